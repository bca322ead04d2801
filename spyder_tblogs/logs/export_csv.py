"""CSV text of exported points: ``run,tag,step,wall_time,value`` rows.

Numbers are written with ``%r``/``%d``: the shortest text that reads back
as the same double, formatted in C a few thousand rows per ``%``
operation. Formatting the doubles is most of the cost, so when many points
of a run share their wall time (one event per step holding every tag, as
TF1 summaries and tensorboardX's ``add_scalars`` write), each distinct wall
time is formatted once.
"""

import csv
import io

import numpy

__all__ = ["csv_chunks"]

# Rows formatted by one ``%`` operation: the whole block is formatted in C,
# and its text (some 200 kB) stays small next to the points.
ROWS_PER_CHUNK = 4096
# Wall times are formatted once each when a run has at most this share of
# distinct ones, and at most this many points (the texts are held for the
# whole run).
SHARED_WALLS_RATIO = 0.5
SHARED_WALLS_MAX_POINTS = 500_000


def _csv_prefix(run, tag):
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow([run, tag, ""])
    return line.getvalue()


def csv_chunks(run, series):
    """Yield the CSV rows of a run as text chunks.

    ``series`` is ``{tag: [array('d') of step, wall_time, value triples]}``
    in the order to write.
    """
    arrays = [numpy.frombuffer(points).reshape(-1, 3)
              for parts in series.values() for points in parts]
    wall_texts = _shared_wall_texts(arrays)
    index = offset = 0
    for tag, parts in series.items():
        prefix = _csv_prefix(run, tag)
        for _ in parts:
            points = arrays[index]
            index += 1
            for start in range(0, len(points), ROWS_PER_CHUNK):
                block = points[start:start + ROWS_PER_CHUNK]
                if wall_texts is None:
                    yield ((prefix + "%d,%r,%r\n") * len(block)
                           % tuple(block.ravel().tolist()))
                    continue
                rows = numpy.empty(block.shape, dtype=object)
                rows[:, 0] = block[:, 0].astype(numpy.int64)
                rows[:, 1] = wall_texts[offset + start:
                                        offset + start + len(block)]
                rows[:, 2] = block[:, 2]
                yield ((prefix + "%d,%s,%r\n") * len(block)
                       % tuple(rows.ravel().tolist()))
            offset += len(points)


def _shared_wall_texts(arrays):
    """The text of each point's wall time, all points of ``arrays`` in
    order, when few are distinct; else ``None``."""
    count = sum(len(points) for points in arrays)
    if not count or count > SHARED_WALLS_MAX_POINTS:
        return None
    distinct, which = numpy.unique(
        numpy.concatenate([points[:, 1] for points in arrays]),
        return_inverse=True)
    # unique() takes -0.0 for 0.0, whose text differs.
    if len(distinct) > count * SHARED_WALLS_RATIO or not distinct.all():
        return None
    return numpy.array(list(map(repr, distinct.tolist())),
                       dtype=object)[which]
