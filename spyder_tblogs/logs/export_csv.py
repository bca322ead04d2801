"""CSV rows of exported points, ``run,tag,step,wall_time,value``, as UTF-8.

Each number is written as ``%d``/``%r`` writes it: the shortest text that
reads back as the same double. Formatting the doubles is most of the
cost, so orjson writes a block of them in one call from the numpy array.
Its spelling is ``repr``'s but for magnitudes from 1e-9 to 1e-4
(``0.00001``, ``1e-6``) and values that are not finite (``null``): rows
holding one are written with ``%r``. A self-check at import decides
whether orjson is used; without it, every row is written with ``%r``
(some three times slower).
"""

import csv
import io

import numpy

__all__ = ["csv_chunks"]

# Rows formatted at a time: the text of a block (some 200 kB) stays small
# next to the points.
ROWS_PER_CHUNK = 4096
# Below this magnitude (but 0) orjson and repr may spell a double apart.
_REPR_BELOW = 1e-4


def _orjson_dumps():
    """A function writing a numpy array as JSON, when orjson spells the
    numbers of a sample as ``repr`` does (outside the rows it leaves to
    ``%r``); else ``None``."""
    try:
        import orjson
    except ImportError:
        return None
    option = orjson.OPT_SERIALIZE_NUMPY

    def dumps(array):
        return orjson.dumps(array, option=option)

    sample = numpy.array([
        [0, 0.1, 1 / 3], [-7, 1e-4, 1e+16], [2**62, 5e-324, 1e-320],
        [1, 1700000000.05, 0.30000000000000004], [2, -0.0, 2.5e-07],
        [3, 1e22, float(numpy.float32(0.1))], [4, 123456.789e300, 1e-10]])
    try:
        fast = _rows_with(dumps, b"r,t,", sample)
    except (TypeError, ValueError):     # JSONEncodeError is a TypeError
        return None
    return dumps if fast == _rows_with(None, b"r,t,", sample) else None


def _csv_prefix(run, tag):
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow([run, tag, ""])
    return line.getvalue().encode("utf-8")


def csv_chunks(run, series):
    """Yield the CSV rows of a run as chunks of UTF-8 bytes.

    ``series`` is ``{tag: [array('d') of step, wall_time, value triples]}``
    in the order to write.
    """
    for tag, parts in series.items():
        prefix = _csv_prefix(run, tag)
        for points in parts:
            points = numpy.frombuffer(points).reshape(-1, 3)
            for start in range(0, len(points), ROWS_PER_CHUNK):
                yield _rows_with(_DUMPS, prefix,
                                 points[start:start + ROWS_PER_CHUNK])


def _rows_with(dumps, prefix, block):
    """The CSV bytes of a block of points, ``prefix`` before each row,
    numbers written by ``dumps`` (orjson's) or, if ``None``, ``%r``."""
    count = len(block)
    if dumps is None or not count:
        row = prefix.decode("utf-8").replace("%", "%%") + "%d,%r,%r\n"
        return (row * count % tuple(block.ravel().tolist())).encode("utf-8")
    steps = dumps(block[:, 0].astype(numpy.int64))[1:-1].split(b",")
    numbers = numpy.ascontiguousarray(block[:, 1:])
    pairs = dumps(numbers)[2:-2].split(b"],[")
    with numpy.errstate(invalid="ignore"):
        magnitude = numpy.abs(numbers)
        # NaN fails both comparisons; infinity is left by the first.
        spelled_apart = ~((magnitude >= _REPR_BELOW) | (magnitude == 0))
        spelled_apart |= numpy.isinf(magnitude)
    for row in numpy.flatnonzero(spelled_apart.any(axis=1)).tolist():
        pairs[row] = b"%r,%r" % tuple(numbers[row].tolist())
    # prefix, step, ",", wall time and value, for each row; "\n" before
    # each prefix (the first one dropped), and one at the end.
    parts = [None] * (4 * count)
    parts[0::4] = [b"\n" + prefix] * count
    parts[1::4] = steps
    parts[2::4] = [b","] * count
    parts[3::4] = pairs
    return b"".join(parts)[1:] + b"\n"


_DUMPS = _orjson_dumps()
