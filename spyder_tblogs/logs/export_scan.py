"""Every scalar point of one event file, for an export.

The index's reader folds each record into per-tag aggregates (extremes,
regressions, step ranges) an export never uses; this scan keeps only the
points. It takes records exactly as the reader does (both checksums, the
same fast path for one-scalar records of a layout the protobuf parser has
vouched for, the same kind and value of each tag), so an export holds the
points the index and TensorBoard see.

Its loop only frames the records of a known layout and notes where they
are; their checksums, steps, wall times and values are checked and decoded
a chunk at a time with numpy, which is what makes it fast.
"""

import struct
from array import array

import crc32c as _crc32c
import numpy
from google.protobuf.message import DecodeError
from tensorboard.compat.proto import event_pb2

from spyder_tblogs.logs.event_values import (
    is_scalar_record, tensor_scalar,
)
from spyder_tblogs.logs.file_state import MODE, new_tag_state
from spyder_tblogs.logs.records import (
    HEADER_SIZE, MASK_DELTA, FramingError, check_length, iter_chunks,
    mask_crc,
)

__all__ = ["scalar_points", "run_series"]

_LENGTH_AND_CRC = struct.Struct("<QI").unpack_from
_CRC = struct.Struct("<I").unpack_from
# What the reader files graph events under (they hold no scalars, but a
# tag first met as one keeps that kind).
_GRAPH_TAG = "__run_graph__"
# Caches of the scan are cleared past this many entries (hostile files).
_CACHE_LIMIT = 4096
# A tag's entry: its points, how its value is read, and the records of a
# known layout not decoded yet, as (record offset in the chunk, CRC) pairs.
_POINTS, _MODE, _PENDING = 0, 1, 2


def scalar_points(path):
    """``{tag: array('d') of step, wall_time, value triples}`` of ``path``.

    Tags come in order of first appearance; a tag that is not a scalar
    maps to ``None``. Reading stops at damage that cannot be framed past,
    or an I/O error, keeping the points before it, as the reader does.
    """
    tags = {}
    # Checked headers -> record length; record bytes after the step, but
    # the value -> the append of their tag's pending records, or None:
    # "not one scalar".
    header_lengths = {}
    layouts = {}
    # Tags (as bytes) known to hold no scalar.
    skipped = set()

    def scan(buffer, base):
        event = event_pb2.Event()     # fresh per chunk: upb arenas only grow
        position, end = 0, len(buffer)
        crc = _crc32c.crc32c
        try:
            # 12 and 4: HEADER_SIZE and FOOTER_SIZE, as literals because
            # a global lookup per record costs more than the rest.
            while position + 12 <= end:
                header = buffer[position:position + 12]
                length = header_lengths.get(header)
                if length is None:
                    length, length_crc = _LENGTH_AND_CRC(header)
                    if mask_crc(crc(header[:8])) != length_crc:
                        raise FramingError(base + position)
                    check_length(length, base + position)
                    if len(header_lengths) > _CACHE_LIMIT:
                        header_lengths.clear()
                    header_lengths[header] = length
                stop = position + 16 + length
                if stop > end:
                    return position, stop - position
                data = buffer[position + 12:stop - 4]
                # Fast path: wall time, a step of up to 4 varint bytes,
                # then the bytes of a known layout (see is_scalar_record).
                after_step = 0
                if length > 14 and data[0] == 0x09 and data[9] == 0x10:
                    if data[10] < 0x80:
                        after_step = 11
                    elif data[11] < 0x80:
                        after_step = 12
                    elif data[12] < 0x80:
                        after_step = 13
                    elif data[13] < 0x80:
                        after_step = 14
                    if after_step:
                        note = layouts.get(data[after_step:-4])
                        if note is not None:
                            note(position)
                            note(crc(data))
                            position = stop
                            continue
                        # One value of a tag known to hold no scalar (a
                        # histogram, an image): nothing to take, no parse.
                        if data[after_step] == 0x2A:
                            tag = _lone_value_tag(data, after_step)
                            if tag is not None and (
                                    tag in skipped or
                                    _holds_no_scalar(tag, tags, skipped)):
                                position = stop
                                continue
                        if data[after_step:-4] in layouts:
                            after_step = 0    # known not to be one scalar
                position = stop
                checksum = crc(data)
                if mask_crc(checksum) != _CRC(buffer, stop - 4)[0]:
                    continue          # damaged record: skipped, as TB does
                try:
                    event.ParseFromString(data)
                except DecodeError:
                    continue          # intact, but not an event
                _take_event(event, data, after_step, tags, layouts,
                            lambda entry: _decode(buffer, entry))
            return position, 0
        finally:
            for entry in tags.values():
                if entry is not None and entry[_PENDING]:
                    _decode(buffer, entry)

    try:
        iter_chunks(path, 0, scan)
    except (FramingError, OSError):
        pass
    return {tag: entry and entry[_POINTS] for tag, entry in tags.items()}


def _lone_value_tag(data, start):
    """The tag (bytes) of an event whose bytes from ``start`` on are its
    summary holding one value whose first field is its tag; else None."""
    # 0x2A: Event.summary; 0x0A: Summary.value, then Value.tag.
    summary_size, at = _varint(data, start + 1)
    if at is None or at + summary_size != len(data) or data[at] != 0x0A:
        return None
    value_size, at = _varint(data, at + 1)
    if at is None or at + value_size != len(data) or data[at] != 0x0A:
        return None
    tag_size, at = _varint(data, at + 1)
    if at is None or at + tag_size > len(data):
        return None
    return data[at:at + tag_size]


def _varint(data, at):
    """``(value, position after it)`` of the varint at ``at``; ``(0, None)``
    if the data ends in it or it is longer than 5 bytes."""
    value = shift = 0
    for position in range(at, min(at + 5, len(data))):
        byte = data[position]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position + 1
        shift += 7
    return 0, None


def _holds_no_scalar(tag, tags, skipped):
    """Whether the scan already found ``tag`` (bytes) to hold no scalar;
    remembered in ``skipped`` (a tag's kind never changes once found)."""
    try:
        name = tag.decode("utf-8")
    except UnicodeDecodeError:
        return False        # the parser refuses it too: let it
    if name in tags and tags[name] is None:
        skipped.add(tag)
        return True
    return False


def _take_event(event, data, after_step, tags, layouts, decode):
    """Fold a parsed event into ``tags``, learning its layout when it is
    the canonical record of one scalar (``after_step`` is where its step
    ends, 0 when not to learn); ``decode(entry)`` first decodes what a
    tag has pending, so its points stay in file order."""
    what = event.WhichOneof("what")
    if what == "summary":
        step, wall = event.step, event.wall_time
        values = event.summary.value
        for value in values:
            tag = value.tag or value.node_name
            entry = tags.get(tag, False)
            if entry is False:
                mode = new_tag_state(value, step, wall)[MODE]
                entry = tags[tag] = ([array("d"), mode, array("q")] if mode
                                     else None)
            if entry is None:
                continue
            if entry[_MODE] == 1:
                number = value.simple_value
            else:
                number = tensor_scalar(value.tensor)
                if number is None:
                    continue
            if after_step and len(values) == 1:
                if len(layouts) > _CACHE_LIMIT:
                    layouts.clear()
                layouts[data[after_step:-4]] = (
                    entry[_PENDING].append
                    if is_scalar_record(data, after_step, tag, entry[_MODE])
                    else None)
            if entry[_PENDING]:
                decode(entry)
            entry[_POINTS].extend((step, wall, number))
    elif what == "tagged_run_metadata":
        tags.setdefault(event.tagged_run_metadata.tag, None)
    elif what in ("graph_def", "meta_graph_def"):
        tags.setdefault(_GRAPH_TAG, None)


def _gather(chunk, offsets, dtype):
    """The ``dtype`` value at each of ``offsets`` in the uint8 ``chunk``."""
    size = numpy.dtype(dtype).itemsize
    return chunk[offsets[:, None] + numpy.arange(size)].view(dtype)[:, 0]


def _decode(buffer, entry):
    """Check and decode a tag's pending records (all in ``buffer``) into
    its points; records that fail their checksum are dropped."""
    chunk = numpy.frombuffer(buffer, numpy.uint8)
    # A copy, so the array (whose append the layouts hold) can be emptied.
    pending = numpy.array(entry[_PENDING]).reshape(-1, 2)
    del entry[_PENDING][:]
    # Records are shorter than 2 GiB (check_length): the length's low half.
    length = _gather(chunk, pending[:, 0], "<u4").astype(numpy.int64)
    start = pending[:, 0] + HEADER_SIZE
    checksum = pending[:, 1]
    masked = (((checksum >> 15) | (checksum << 17)) + MASK_DELTA) & 0xFFFFFFFF
    intact = masked == _gather(chunk, start + length, "<u4")
    if not intact.all():
        start, length = start[intact], length[intact]
    varint = chunk[start[:, None] + numpy.arange(10, 14)].astype(numpy.int64)
    step = varint[:, 0] & 0x7F
    more = varint[:, 0] >= 0x80
    for index in (1, 2, 3):
        step |= numpy.where(more, (varint[:, index] & 0x7F) << 7 * index, 0)
        more &= varint[:, index] >= 0x80
    points = numpy.empty((len(start), 3))
    points[:, 0] = step
    points[:, 1] = _gather(chunk, start + 1, "<f8")
    points[:, 2] = _gather(chunk, start + length - 4, "<f4")
    entry[_POINTS].frombytes(points.tobytes())


def run_series(paths):
    """``{tag: [points of each file]}`` of a run's files (given by name),
    scalar tags in order of first appearance."""
    series = {}
    for path in paths:
        for tag, points in scalar_points(path).items():
            if points is not None:
                series.setdefault(tag, []).append(points)
    return series
