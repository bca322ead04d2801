"""CSV text of exported points: ``run,tag,step,wall_time,value`` rows.

Each number is written as ``%r``/``%d`` writes it: the shortest text that
reads back as the same double. Formatting the doubles is most of the
cost, so when ujson (a dependency of Spyder's language server) writes them
the same way, as ujson 5 does with double-conversion, it formats a few
thousand rows at a time in C, three times faster than ``%r``; a
self-check at import decides.
"""

import csv
import io
import re

import numpy

__all__ = ["csv_chunks"]

# Rows formatted at a time: the text of a block (some 200 kB) stays small
# next to the points.
ROWS_PER_CHUNK = 4096
# ujson writes 1e-05 as 1e-5 (the same double); repr's spelling, and
# repr's words for the values that are not finite.
_SHORT_EXPONENT = re.compile(r"e-(\d)(?!\d)")
_NOT_FINITE = (("NaN", "nan"), ("Infinity", "inf"))


def _json_rows():
    """``ujson.dumps`` when it writes doubles as ``repr`` does, else
    ``None``."""
    try:
        from ujson import dumps
    except ImportError:
        return None
    sample = [[0, 0.1, 1 / 3], [-7, 1e-05, 1e+16], [2**62, 5e-324, 1e-320],
              [1, 1700000000.05, 0.30000000000000004], [2, -0.0, 2.5e-07]]
    if _spelled_as_repr(dumps(sample)) != repr(sample).replace(" ", ""):
        return None
    return dumps


def _spelled_as_repr(text):
    if "e-" in text:
        text = _SHORT_EXPONENT.sub(r"e-0\1", text)
    for word, spelling in _NOT_FINITE:
        if word in text:
            text = text.replace(word, spelling)
    return text


_DUMPS = _json_rows()


def _csv_prefix(run, tag):
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow([run, tag, ""])
    return line.getvalue()


def csv_chunks(run, series):
    """Yield the CSV rows of a run as text chunks.

    ``series`` is ``{tag: [array('d') of step, wall_time, value triples]}``
    in the order to write.
    """
    for tag, parts in series.items():
        prefix = _csv_prefix(run, tag)
        for points in parts:
            points = numpy.frombuffer(points).reshape(-1, 3)
            for start in range(0, len(points), ROWS_PER_CHUNK):
                yield _rows(prefix, points[start:start + ROWS_PER_CHUNK])


def _rows(prefix, block):
    """The CSV text of a block of points, ``prefix`` before each row."""
    if _DUMPS is None:
        return ((prefix + "%d,%r,%r\n") * len(block)
                % tuple(block.ravel().tolist()))
    # "[[step,wall,value],[...]]" -> one row per point.
    body = _spelled_as_repr(_DUMPS(list(zip(
        block[:, 0].astype(numpy.int64).tolist(), block[:, 1].tolist(),
        block[:, 2].tolist())))[2:-2])
    return prefix + body.replace("],[", "\n" + prefix) + "\n"
