"""A chunk's framed records, taken apart a group at a time with numpy.

The export's scan (:mod:`~spyder_tblogs.logs.export_scan`) frames records
one at a time; everything it can do to all of them at once is here:
checking their data CRCs a group of records of one length at a time,
finding where each record's step ends, grouping records by the bytes of a
span (the layout after the step, or the tag of a lone summary value), and
decoding the step, wall time and value of records of a one-scalar layout.
Every group is checked byte for byte, so a key collision only costs time.
"""

import crc32c as _crc32c
import numpy

from spyder_tblogs.logs.records import MASK_DELTA, mask_crc

__all__ = ["RecordViews", "intact_records", "after_step_ends", "scalar_like",
           "span_groups", "lone_value_tags", "decode_scalars"]

# Odd multipliers that spread a span's size and words over a key's bits.
_KEY_MIX = numpy.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F,
                        0x165667B19E3779F9, 0xD6E8FEB86659FD93],
                       numpy.uint64)
# The 8 bytes before a one-scalar float tensor's value: the end of the
# tensor's size, then dtype DT_FLOAT, an empty shape, 4 bytes of content.
_TENSOR_END = numpy.frombuffer(b"\x42\x0a\x08\x01\x12\x00\x22\x04",
                               "<u8")[0]
# Records of one length checked together from this many on (below, a CRC
# call per record costs less than the numpy work of a group).
_CHECKED_TOGETHER_MIN = 48
# Spans told apart in one key group before the rest is left to the parser
# (keys collide by chance, or in a file made to).
_SPLITS_MAX = 8


class RecordViews:
    """Views of a chunk that read a number at any byte offset: ``u32[at]``
    is the little-endian uint32 at byte ``at`` (one gather per value)."""

    def __init__(self, buffer):
        self.u8 = numpy.frombuffer(buffer, numpy.uint8)
        for name, dtype in (("u32", "<u4"), ("u64", "<u8"), ("f32", "<f4"),
                            ("f64", "<f8")):
            size = numpy.dtype(dtype).itemsize
            setattr(self, name, numpy.ndarray(
                (max(len(buffer) - size + 1, 0),), dtype, buffer,
                strides=(1,)))


def intact_records(buffer, views, data, length, random):
    """Which records' data match their masked CRC (the footer after it).

    Records of one length are checked together. Each one's data followed
    by its CRC (unmasked, little-endian) leaves CRC-32C's residue, so the
    CRC of all of them end to end is that of as many copies of any intact
    record: one C call over the group instead of one per record. When it
    differs, each record is checked alone. Damage in two records could
    cancel out only by a 1 in 2**32 chance, or in a file made to; the
    records go in an order ``random`` draws, so the author of such a file
    cannot know which damage cancels.
    """
    intact = numpy.zeros(len(data), bool)
    footers = views.u32[data + length]
    order = numpy.argsort(length, kind="stable")
    bounds = numpy.flatnonzero(numpy.diff(length[order])) + 1
    crc = _crc32c.crc32c
    for group in numpy.split(order, bounds):
        size = int(length[group[0]])
        if (len(group) >= _CHECKED_TOGETHER_MIN and size >= 4
                and _together_intact(views, random.permutation(data[group]),
                                     size, crc)):
            intact[group] = True
            continue
        for index in group.tolist():
            start = int(data[index])
            intact[index] = (mask_crc(crc(buffer[start:start + size]))
                             == footers[index])
    return intact


def _together_intact(views, data, size, crc):
    """Whether the records of ``size`` bytes at ``data`` are all intact
    (see ``intact_records``)."""
    # Each record and its footer as a row: 8-byte words, the last one
    # ending with the row (it overlaps the one before when needed).
    row = size + 4
    words = (row + 7) // 8
    offsets = numpy.append(numpy.arange(0, 8 * (words - 1), 8), row - 8)
    rows = views.u64[data[:, None] + offsets].view(numpy.uint8)
    overlap = 8 * words - row
    if overlap:
        rows = numpy.concatenate(
            [rows[:, :8 * (words - 1)], rows[:, 8 * (words - 1) + overlap:]],
            axis=1)
    masked = views.u32[data + size].astype(numpy.int64)
    unmasked = (masked - MASK_DELTA) & 0xFFFFFFFF
    unmasked = ((unmasked << 15) | (unmasked >> 17)) & 0xFFFFFFFF
    rows[:, size:] = unmasked.astype("<u4").view(numpy.uint8).reshape(-1, 4)
    return crc(rows) == crc(_intact_row(size, crc) * len(data))


def _intact_row(size, crc):
    zeros = bytes(size)
    return zeros + int(crc(zeros)).to_bytes(4, "little")


def after_step_ends(views, data, length):
    """Where the step ends in each record whose data starts with a wall
    time and a step of up to 4 varint bytes (the fast path's layout, see
    ``is_scalar_record``); 0 for the others."""
    after_step = numpy.zeros(len(data), numpy.int64)
    long_enough = numpy.flatnonzero(length > 14)
    start = data[long_enough]
    step = views.u32[start + 10]
    ends = numpy.where(step & 0x80 == 0, 11, numpy.where(
        step & 0x8000 == 0, 12, numpy.where(
            step & 0x800000 == 0, 13, numpy.where(
                step & 0x80000000 == 0, 14, 0))))
    timed = (views.u8[start] == 0x09) & (views.u8[start + 9] == 0x10)
    after_step[long_enough] = numpy.where(timed, ends, 0)
    return after_step


def scalar_like(views, data, length):
    """Which records end as one scalar's do: a value field, or a float
    tensor's, then 4 bytes (see ``is_scalar_record``). Records longer
    than 14 bytes only."""
    value_end = data + length
    like = views.u8[value_end - 5] == 0x15
    like |= views.u64[value_end - 12] == _TENSOR_END
    return like


def span_groups(buffer, views, records, starts, sizes, parse):
    """Yield ``(record indexes, span bytes)`` for each distinct span of
    ``records`` (``starts[i]``, ``sizes[i]`` bytes for ``records[i]``),
    indexes in file order; records of key groups split too often are
    added to ``parse`` instead."""
    if not len(records):
        return
    # The words lie inside the span when it holds 8 bytes (a shorter one
    # is keyed by bytes beyond it too: groups split more, nothing else).
    last = starts + numpy.maximum(sizes - 8, 0)
    key = sizes.astype(numpy.uint64) * _KEY_MIX[0]
    for mix, at in zip(_KEY_MIX[1:], (starts, (starts + last) // 2, last)):
        key ^= views.u64[at] * mix
    order = numpy.argsort(key)
    bounds = numpy.flatnonzero(numpy.diff(key[order])) + 1
    for group in numpy.split(order, bounds):
        group.sort()                    # file order
        yield from _exact(buffer, views, records[group], starts[group],
                          sizes[group], parse)


def _exact(buffer, views, records, starts, sizes, parse):
    for _ in range(_SPLITS_MAX):
        span = buffer[starts[0]:starts[0] + sizes[0]]
        if len(records) == 1:
            yield records, span
            return
        same = _holds(views, starts, sizes, span)
        yield records[same], span
        if same.all():
            return
        if same.sum() == 1:
            # Spans of one record each (histograms whose bytes at the
            # key's words agree): the parser takes them anyway.
            break
        records, starts, sizes = (records[~same], starts[~same],
                                  sizes[~same])
    else:
        same = numpy.zeros(len(records), bool)
    parse.extend(records[~same].tolist())


def _holds(views, starts, sizes, span):
    """Which of the spans are exactly ``span``."""
    size = len(span)
    same = sizes == size
    starts = numpy.where(same, starts, 0)    # others: any byte, discarded
    if size < 8:
        for at, byte in enumerate(span):
            same &= views.u8[starts + at] == byte
        return same
    # Words at every 8 bytes, and one ending with the span (overlapping).
    words = numpy.ndarray((size - 7,), "<u8", span, strides=(1,))
    for at in list(range(0, size - 8, 8)) + [size - 8]:
        same &= views.u64[starts + at] == words[at]
    return same


def lone_value_tags(views, data, length, after_step):
    """``(found, tag starts, tag sizes)`` of records whose summary (at
    ``after_step``) holds one value whose first field is its tag, with
    sizes below 2 MiB (``found`` is False for the others: the parser
    takes them)."""
    end = data + length
    last = len(views.u8) - 1
    found = views.u8[data + after_step] == 0x2A
    at = data + after_step + 1
    for field_end_is_record_end in (True, True, False):
        found &= at < end
        size, at, valid = _short_varint(views, numpy.minimum(at, last - 2))
        found &= valid
        if field_end_is_record_end:
            found &= (at + size == end) & (at < end)
            found &= views.u8[numpy.minimum(at, last)] == 0x0A
            at = at + 1
        else:
            found &= at + size <= end
    return found, at, size


def _short_varint(views, at):
    """``(value, position after it, valid)`` of the varints of up to 3
    bytes at ``at``."""
    value = numpy.zeros(len(at), numpy.int64)
    size = numpy.zeros(len(at), numpy.int64)
    ended = numpy.zeros(len(at), bool)
    for index in range(3):
        byte = views.u8[at + index].astype(numpy.int64)
        value |= numpy.where(ended, 0, (byte & 0x7F) << 7 * index)
        size = numpy.where(ended, size, index + 1)
        ended |= byte < 0x80
    return value, at + size, ended


def decode_scalars(views, data, length, after_step):
    """``(n, 3)`` step, wall time, value of records of one-scalar
    layouts."""
    # The step's varint bytes, 7 bits each, as many as it has.
    varint = views.u32[data + 10].astype(numpy.int64)
    size = after_step - 10
    step = varint & 0x7F
    for index in (1, 2, 3):
        step |= numpy.where(index < size,
                            (varint >> index) & (0x7F << 7 * index), 0)
    points = numpy.empty((len(data), 3))
    points[:, 0] = step
    points[:, 1] = views.f64[data + 1]
    points[:, 2] = views.f32[data + length - 4]
    return points
