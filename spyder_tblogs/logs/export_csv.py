"""CSV text of exported points: ``run,tag,step,wall_time,value`` rows."""

import csv
import io

__all__ = ["CSV_HEADER", "csv_chunks"]

CSV_HEADER = "run,tag,step,wall_time,value\n"
# Rows formatted by one ``%`` operation: the whole chunk is formatted in C,
# and its text (some 200 kB) stays small next to the points.
ROWS_PER_CHUNK = 4096


def _csv_prefix(run, tag):
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow([run, tag, ""])
    return line.getvalue()


def csv_chunks(run, series):
    """Yield the CSV rows of a run as text chunks.

    ``series`` is ``{tag: [array('d') of step, wall_time, value triples]}``
    in the order to write. Values are written with ``%r``: the shortest
    text that reads back as the same double.
    """
    for tag, parts in series.items():
        row = _csv_prefix(run, tag) + "%d,%r,%r\n"
        chunk = ROWS_PER_CHUNK * 3
        for points in parts:
            for start in range(0, len(points), chunk):
                block = points[start:start + chunk]
                yield (row * (len(block) // 3)) % tuple(block)
