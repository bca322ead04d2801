"""Incremental reading of one event file into compact, resumable state.

:func:`read_event_file` is the hot loop of the index: it frames records,
checks both CRCs, decodes each event once with tensorboard's protobufs (upb)
and folds it into per-tag aggregates without keeping events. Most records
are one scalar of a known tag: once the parser has vouched for a record's
layout, records of the same layout are taken apart from their bytes (see
:func:`_is_scalar_record`), which halves the time per record. Its input
and output is a :class:`FileState`, a small picklable object, so the loop
can run in a worker process and the parent can resume from the returned
state on the next refresh.
"""

import struct
from array import array

import crc32c as _crc32c
from google.protobuf.message import DecodeError
from tensorboard.compat.proto import event_pb2

from spyder_tblogs.logs.records import (
    CHUNK_SIZE, FOOTER_SIZE, HEADER_SIZE, MASK_DELTA, FramingError,
    check_length, iter_chunks, open_regular_file,
)

__all__ = ["FileState", "read_event_file", "tensor_scalar", "GRAPH_TAG",
           "SERIES_POINTS"]

# Tag under which TensorBoard files a run's graph (graphs plugin).
GRAPH_TAG = "__run_graph__"
# Points kept per series; older points are thinned (every other dropped).
SERIES_POINTS = 256
# Bytes kept from just before the read offset: when they change, the file
# was rewritten rather than appended to, and is read again from the start.
TAIL_BYTES = 8

# Legacy (TF1, tensorboardX, PyTorch) value fields -> TensorBoard plugin,
# as tensorboard/data_compat.py migrates them.
_LEGACY_KINDS = {
    "simple_value": "scalars",
    "histo": "histograms",
    "image": "images",
    "audio": "audio",
}

# Tag state: a list, because the hot loop indexes it millions of times.
COUNT, FIRST_STEP, LAST_STEP, MIN_STEP, MAX_STEP = 0, 1, 2, 3, 4
LAST_WALL, LAST_VALUE, KIND, MODE, SERIES, REGRESSIONS = 5, 6, 7, 8, 9, 10
FIRST_WALL = 11
# Scalars: the smallest and largest finite value and their steps, and the
# first value that was not finite as (step, value, last value before it).
MIN_VALUE, MIN_VALUE_STEP, MAX_VALUE, MAX_VALUE_STEP, NONFINITE = (
    12, 13, 14, 15, 16)
# TensorBoard's hparams plugin: the summary that holds a run's values.
HPARAMS_PLUGIN = "hparams"
HPARAMS_START_TAG = "_hparams_/session_start_info"
# How a tag's scalar value is read.
_NO_VALUE, _SIMPLE_VALUE, _TENSOR_VALUE = 0, 1, 2
# Series: [stride, points seen, array('d') of step, wall_time, value triples]
STRIDE, SEEN, POINTS = 0, 1, 2

# tensor_content layouts of 0-d tensors, by TensorFlow DataType number.
_CONTENT_FORMATS = {
    1: "<f", 2: "<d", 3: "<i", 4: "<B", 5: "<h", 6: "<b", 9: "<q",
    10: "<?", 17: "<H", 19: "<e", 22: "<I", 23: "<Q",
}
_DT_BFLOAT16 = 14
_DT_HALF = 19


class FileState:
    """Everything the index remembers about one event file.

    Plain attributes so the object pickles cheaply between processes.

    Attributes
    ----------
    path : str
        Absolute path of the file.
    series_limit : int or None
        Points kept per scalar series (older ones thinned), or ``None``
        to keep every point (an export).
    identity : tuple or None
        ``(st_dev, st_ino)`` when last read: a new identity means the file
        was replaced and is read again from the start.
    size, mtime : int, float
        Size and modification time seen by the last read.
    grew_at : float
        When a refresh last saw the size grow (0 if never).
    tail : bytes
        The bytes just before ``offset`` (up to ``TAIL_BYTES``).
    offset : int
        Byte offset of the first record not yet read (the start of a
        partial record when the file ends with one).
    events, data_events : int
        Records decoded; those that carry summaries or graphs.
    first_step, last_step, first_wall_time, last_wall_time
        Of the data events, in file order.
    corrupt_records : int
        Records skipped because their data failed its checksum.
    first_corrupt_offset : int or None
        Byte offset of the first such record.
    undecodable_records : int
        Records whose checksum is good but whose bytes are not an event.
    first_undecodable_offset : int or None
        Byte offset of the first such record.
    error : str or None
        Why reading stopped for good (corrupt length) or failed (I/O).
    error_offset : int or None
        Byte offset of a corrupt record length.
    error_bytes : bytes or None
        The file's bytes at ``error_offset`` (a header): when they change,
        the file was repaired and is read again from there.
    regressions : int
        Values whose step went back compared with the same tag's previous
        value in this file.
    first_regression : tuple or None
        ``(tag, previous_step, step)`` of the first regression.
    hparams : dict
        Hyper-parameters of the run written into this file (TensorBoard's
        hparams plugin), name -> float, str or bool.
    tags : dict
        Tag -> tag-state list (see the ``COUNT``... index constants).
    """

    def __init__(self, path, series_limit=SERIES_POINTS):
        self.path = path
        self.series_limit = series_limit
        self.identity = None
        self.size = 0
        self.mtime = 0.0
        self.grew_at = 0.0
        self.reset()

    def reset(self):
        """Forget everything read (the file shrank or was replaced)."""
        self.offset = 0
        self.tail = b""
        self.size_read = 0
        self.events = 0
        self.data_events = 0
        self.first_step = None
        self.last_step = None
        self.first_wall_time = None
        self.last_wall_time = None
        self.corrupt_records = 0
        self.first_corrupt_offset = None
        self.undecodable_records = 0
        self.first_undecodable_offset = None
        self.clear_error()
        self.regressions = 0
        self.first_regression = None
        self.hparams = {}
        self.tags = {}

    def clear_error(self):
        """Forget why reading stopped: read on from ``offset`` next time."""
        self.error = None
        self.error_offset = None
        self.error_bytes = None

    @property
    def last_change(self):
        """When the file last changed as far as anyone can tell: its mtime,
        or when a refresh saw it grow (NTFS may move the mtime only when
        the writer closes the file)."""
        return max(self.mtime, self.grew_at)

    @property
    def step_range(self):
        """``(lowest, highest)`` step of the data read, or ``(None, None)``:
        how far training got, whatever order the steps came in."""
        tags = self.tags.values()
        if not tags:
            return None, None
        return (min(tag_state[3] for tag_state in tags),
                max(tag_state[4] for tag_state in tags))

    @property
    def partial_tail_bytes(self):
        """Bytes of an incomplete record at the end of the file, if any."""
        if self.error is not None:
            return 0
        return max(0, self.size_read - self.offset)


def tensor_scalar(tensor):
    """Return the value of a 0-d ``TensorProto`` as a float, or ``None``.

    Handles every dtype TensorFlow writes for scalar summaries, whether the
    value is packed in ``tensor_content`` (what TensorFlow 2 writes, checked
    first) or sits in a typed field.
    """
    content = tensor.tensor_content
    if content:
        unpack = _CONTENT_UNPACKERS.get(tensor.dtype)
        if unpack is None:
            return None
        try:
            return float(unpack(content)[0])
        except struct.error:     # shorter than one element
            return None
    if tensor.float_val:
        return tensor.float_val[0]
    if tensor.double_val:
        return tensor.double_val[0]
    if tensor.half_val:
        bits = tensor.half_val[0]
        if tensor.dtype == _DT_BFLOAT16:
            return struct.unpack("<f", struct.pack("<I", bits << 16))[0]
        return struct.unpack("<e", struct.pack("<H", bits))[0]
    for values in (tensor.int_val, tensor.int64_val, tensor.uint32_val,
                   tensor.uint64_val, tensor.bool_val):
        if values:
            return float(values[0])
    return None


def _unpack_bfloat16(content):
    return struct.unpack("<f", b"\0\0" + bytes(content[:2]))


_CONTENT_UNPACKERS = {dtype: struct.Struct(layout).unpack_from
                      for dtype, layout in _CONTENT_FORMATS.items()}
_CONTENT_UNPACKERS[_DT_BFLOAT16] = _unpack_bfloat16


def _new_tag_state(value, step, wall_time):
    """Return the state of a tag first met in ``value``.

    The kind is what TensorBoard files the tag under: the plugin named in
    the first value's metadata, or the plugin legacy value fields migrate
    to; a tensor without plugin metadata stays a plain tensor.
    """
    field = value.WhichOneof("value")
    kind = _LEGACY_KINDS.get(field)
    if kind is None:
        kind = value.metadata.plugin_data.plugin_name or (
            "tensors" if field == "tensor" else "unknown")
    if field == "simple_value":
        mode = _SIMPLE_VALUE
    elif kind == "scalars":
        mode = _TENSOR_VALUE
    else:
        mode = _NO_VALUE
    series = [1, 0, array("d")] if mode else None
    return [0, step, step, step, step, wall_time, None, kind, mode, series, 0,
            wall_time, _INF, None, -_INF, None, None]


def _new_event_tag_state(kind, step, wall_time):
    return [0, step, step, step, step, wall_time, None, kind, _NO_VALUE, None,
            0, wall_time, _INF, None, -_INF, None, None]


_INF = float("inf")


def _note_nonfinite(tag_state, step, number):
    """Remember the first value of a tag that is NaN or infinite (rare)."""
    if tag_state[16] is None:
        tag_state[16] = (step, number, tag_state[6])


def hparams_of(value):
    """The hyper-parameters in an hparams ``session_start_info`` value, as a
    dict of name -> float, str or bool (``{}`` if they cannot be read)."""
    from tensorboard.plugins.hparams import plugin_data_pb2

    data = plugin_data_pb2.HParamsPluginData()
    try:
        data.ParseFromString(value.metadata.plugin_data.content)
    except DecodeError:
        return {}
    found = {}
    for name, item in data.session_start_info.hparams.items():
        which = item.WhichOneof("kind")
        if which in ("number_value", "string_value", "bool_value"):
            found[name] = getattr(item, which)
    return found


def thin_series(series):
    """Drop every other kept point and double the stride (in place)."""
    points = series[POINTS]
    kept = array("d")
    for index in range(0, len(points), 6):
        kept.extend(points[index:index + 3])
    series[POINTS] = kept
    series[STRIDE] *= 2


def _encode_varint(number):
    """Return the protobuf varint encoding of a non-negative ``number``."""
    encoded = bytearray()
    while number > 0x7F:
        encoded.append(number & 0x7F | 0x80)
        number >>= 7
    encoded.append(number)
    return bytes(encoded)


def _read_step(data, start):
    """Decode the int64 varint at ``data[start:]`` as protobuf does.

    Returns ``(step, end)``, or ``(0, 0)`` when it is not a valid varint.
    """
    number = shift = 0
    position = start
    limit = min(len(data), start + 10)
    while position < limit:
        byte = data[position]
        position += 1
        number |= (byte & 0x7F) << shift
        if byte < 0x80:
            number &= 0xFFFFFFFFFFFFFFFF
            if number >= 0x8000000000000000:
                number -= 0x10000000000000000
            return number, position
        shift += 7
    return 0, 0


def _is_scalar_record(data, after_step, tag, mode):
    """Whether ``data`` is exactly the canonical record of one scalar.

    The record must be::

        Event{wall_time (fixed64), step (varint, ends at ``after_step``),
              summary{value{tag, simple_value}}}              # mode 1
        Event{wall_time, step, summary{value{tag, tensor{
              dtype: DT_FLOAT, tensor_shape{}, tensor_content: 4 bytes}}}}
                                                              # mode 2

    Then any record made of ``09 <8 bytes> 10 <varint>``, the same bytes as
    ``data[after_step:-4]`` and 4 more bytes decodes, by the wire format
    alone, to this tag with those 4 bytes as a little-endian float32: the
    reader can take such records apart without the protobuf parser and
    stay exact. Metadata, more values or fields, and non-canonical
    encodings all fail the comparison.
    """
    tag = tag.encode("utf-8")
    number = data[-4:]
    if mode == _SIMPLE_VALUE:
        payload = b"\x15" + number
    else:
        tensor = b"\x08\x01\x12\x00\x22\x04" + number
        payload = b"\x42" + _encode_varint(len(tensor)) + tensor
    value = b"\x0a" + _encode_varint(len(tag)) + tag + payload
    summary = b"\x0a" + _encode_varint(len(value)) + value
    return data == (data[:after_step] + b"\x2a"
                    + _encode_varint(len(summary)) + summary)


def bytes_at(path, offset, count=HEADER_SIZE):
    """The ``count`` bytes of ``path`` at ``offset`` (fewer at its end), or
    ``None`` when it cannot be read."""
    try:
        with open_regular_file(path) as stream:
            stream.seek(offset)
            return stream.read(count)
    except OSError:
        return None


def read_event_file(state, chunk_size=CHUNK_SIZE, chunks=iter_chunks):
    """Read the records appended to ``state.path`` since ``state.offset``.

    Parameters
    ----------
    state : FileState
        State from the previous read (or a fresh one); updated in place.
    chunk_size : int
        Bytes per read.
    chunks : callable
        What feeds the bytes, with the signature and contract of
        :func:`~spyder_tblogs.logs.records.iter_chunks` (a local file by
        default; ranged reads of an object for a remote log directory).

    Returns
    -------
    FileState
        ``state`` itself (so the function can run in a worker process and
        hand the state back).
    """
    if state.error is not None:
        return state
    tags = state.tags
    new_event = event_pb2.Event
    crc = _crc32c.crc32c
    unpack_length = struct.Struct("<QI").unpack_from
    unpack_crc = struct.Struct("<I").unpack_from
    unpack_float = struct.Struct("<f").unpack_from
    unpack_double = struct.Struct("<d").unpack_from
    # Checked 12-byte headers -> record length. A header is a pure function
    # of the length, so records of a length seen before skip the second
    # CRC computation while still being checked byte for byte.
    header_lengths = {}
    # The bytes between the step and the value of one-scalar records (see
    # _is_scalar_record) -> (tag, tag state), or False for bytes known not
    # to be such a layout.
    known_layouts = {}
    new_tag = _new_tag_state
    max_points = (_INF if state.series_limit is None
                  else state.series_limit * 3)
    header_size, footer_size = HEADER_SIZE, FOOTER_SIZE
    mask_delta = MASK_DELTA

    # In the loop, tag-state indices are the constants above spelled as
    # literals: a global lookup per access would cost more than the work.
    def scan(buffer, base):
        # A fresh message per chunk: upb grows a reused message's arena on
        # every parse (~400 bytes per event) and never gives it back.
        event = new_event()
        parse = event.ParseFromString
        which = event.WhichOneof
        position = 0
        end = len(buffer)
        events = data_events = corrupt = undecodable = regressions = 0
        first_step = last_step = first_wall = last_wall = None
        try:
            while position + header_size <= end:
                header = buffer[position:position + header_size]
                length = header_lengths.get(header)
                if length is None:
                    length, length_crc = unpack_length(header)
                    checksum = crc(header[:8])
                    if ((((checksum >> 15) | (checksum << 17)) + mask_delta)
                            & 0xFFFFFFFF) != length_crc:
                        raise FramingError(base + position)
                    check_length(length, base + position)
                    if len(header_lengths) > 4096:
                        header_lengths.clear()
                    header_lengths[header] = length
                stop = position + header_size + length + footer_size
                if stop > end:
                    return position, stop - position
                data = buffer[position + header_size:stop - footer_size]
                checksum = crc(data)
                if ((((checksum >> 15) | (checksum << 17)) + mask_delta)
                        & 0xFFFFFFFF) != unpack_crc(buffer, stop - 4)[0]:
                    corrupt += 1
                    if state.first_corrupt_offset is None:
                        state.first_corrupt_offset = base + position
                    position = stop
                    continue

                # Fast path: a one-scalar record of a known layout (see
                # _is_scalar_record) skips the protobuf parser. Steps below
                # 2**21 (three varint bytes) are decoded inline, and the tag
                # update repeats the parsed path's below on purpose: a call
                # per record would cost more than the update itself.
                after_step = 0
                layout = None
                if length > 14 and data[0] == 0x09 and data[9] == 0x10:
                    byte = data[10]
                    if byte < 0x80:
                        step, after_step = byte, 11
                    else:
                        step = byte & 0x7F
                        byte = data[11]
                        if byte < 0x80:
                            step |= byte << 7
                            after_step = 12
                        else:
                            step |= (byte & 0x7F) << 7
                            byte = data[12]
                            if byte < 0x80:
                                step |= byte << 14
                                after_step = 13
                            else:
                                step, after_step = _read_step(data, 10)
                    if after_step:
                        layout = known_layouts.get(data[after_step:-4])
                    if layout:
                        position = stop
                        events += 1
                        data_events += 1
                        wall = unpack_double(data, 1)[0]
                        tag, tag_state = layout
                        previous = tag_state[2]
                        if step >= previous:
                            if step > tag_state[4]:
                                tag_state[4] = step
                        else:
                            regressions += 1
                            tag_state[10] += 1
                            if step < tag_state[3]:
                                tag_state[3] = step
                            if state.first_regression is None:
                                state.first_regression = (tag, previous, step)
                        tag_state[2] = step
                        tag_state[5] = wall
                        tag_state[0] += 1
                        number = unpack_float(data, length - 4)[0]
                        # NaN and infinities, and only they, give a
                        # non-zero (NaN) difference.
                        if number - number:
                            _note_nonfinite(tag_state, step, number)
                        else:
                            if number < tag_state[12]:
                                tag_state[12] = number
                                tag_state[13] = step
                            if number > tag_state[14]:
                                tag_state[14] = number
                                tag_state[15] = step
                        tag_state[6] = number
                        series = tag_state[9]
                        seen = series[1]
                        if not seen % series[0]:
                            points = series[2]
                            points.append(step)
                            points.append(wall)
                            points.append(number)
                            if len(points) >= max_points:
                                thin_series(series)
                        series[1] = seen + 1
                        if first_step is None:
                            first_step = step
                            first_wall = wall
                        last_step = step
                        last_wall = wall
                        continue

                try:
                    parse(data)
                except DecodeError:
                    # Intact on disk (the checksum holds) but not an event:
                    # another format, or a writer's bug.
                    undecodable += 1
                    if state.first_undecodable_offset is None:
                        state.first_undecodable_offset = base + position
                    position = stop
                    continue
                position = stop
                events += 1
                what = which("what")
                if what == "summary":
                    step = event.step
                    wall = event.wall_time
                    values = event.summary.value
                    # Indexing beats iterating a upb repeated field.
                    for value in ((values[0],) if len(values) == 1
                                  else values):
                        tag = value.tag or value.node_name
                        tag_state = tags.get(tag)
                        if tag_state is None:
                            tag_state = tags[tag] = new_tag(value, step, wall)
                        else:
                            previous = tag_state[2]
                            if step >= previous:
                                if step > tag_state[4]:
                                    tag_state[4] = step
                            else:
                                regressions += 1
                                tag_state[10] += 1
                                if step < tag_state[3]:
                                    tag_state[3] = step
                                if state.first_regression is None:
                                    state.first_regression = (tag, previous,
                                                              step)
                            tag_state[2] = step
                            tag_state[5] = wall
                        tag_state[0] += 1
                        mode = tag_state[8]
                        if mode:
                            if mode == 1:
                                number = value.simple_value
                                learn = layout is None
                            else:
                                tensor = value.tensor
                                content = tensor.tensor_content
                                # TF2's float32 scalars, inline: the rest
                                # goes through tensor_scalar.
                                if (len(content) == 4
                                        and tensor.dtype == 1):
                                    number = unpack_float(content)[0]
                                    learn = layout is None
                                else:
                                    number = tensor_scalar(tensor)
                                    if number is None:
                                        continue
                                    learn = False
                            # First sight of this record's layout: keep
                            # it (or that it is none) for the fast path.
                            if learn and after_step and len(values) == 1:
                                if len(known_layouts) > 4096:
                                    known_layouts.clear()
                                is_scalar = _is_scalar_record(
                                    data, after_step, tag, mode)
                                known_layouts[data[after_step:-4]] = (
                                    (tag, tag_state) if is_scalar else False)
                            if number - number:
                                _note_nonfinite(tag_state, step, number)
                            else:
                                if number < tag_state[12]:
                                    tag_state[12] = number
                                    tag_state[13] = step
                                if number > tag_state[14]:
                                    tag_state[14] = number
                                    tag_state[15] = step
                            tag_state[6] = number
                            series = tag_state[9]
                            seen = series[1]
                            if not seen % series[0]:
                                points = series[2]
                                points.append(step)
                                points.append(wall)
                                points.append(number)
                                if len(points) >= max_points:
                                    thin_series(series)
                            series[1] = seen + 1
                        elif tag == HPARAMS_START_TAG:
                            # The last session's values win (a Keras
                            # callback writes them at each fit).
                            state.hparams = hparams_of(value)
                elif what in ("graph_def", "meta_graph_def",
                              "tagged_run_metadata"):
                    step = event.step
                    wall = event.wall_time
                    if what == "tagged_run_metadata":
                        tag = event.tagged_run_metadata.tag
                        kind = "graph_tagged_run_metadata"
                    else:
                        tag, kind = GRAPH_TAG, "graphs"
                    tag_state = tags.get(tag)
                    if tag_state is None:
                        tag_state = tags[tag] = _new_event_tag_state(
                            kind, step, wall)
                    tag_state[0] += 1
                    tag_state[2] = step
                    tag_state[5] = wall
                    tag_state[3] = min(tag_state[3], step)
                    tag_state[4] = max(tag_state[4], step)
                else:
                    # file_version, session_log, log_message: not data.
                    continue
                data_events += 1
                if first_step is None:
                    first_step = step
                    first_wall = wall
                last_step = step
                last_wall = wall
            return position, 0
        finally:
            # Fold this chunk's counters into the state once per chunk.
            state.events += events
            state.data_events += data_events
            state.corrupt_records += corrupt
            state.undecodable_records += undecodable
            state.regressions += regressions
            if first_step is not None:
                if state.first_step is None:
                    state.first_step = first_step
                    state.first_wall_time = first_wall
                state.last_step = last_step
                state.last_wall_time = last_wall

    try:
        state.offset, state.size_read = chunks(
            state.path, state.offset, scan, chunk_size)
    except FramingError as error:
        state.error = str(error)
        state.error_offset = error.offset
        state.offset = error.offset
        state.error_bytes = bytes_at(state.path, error.offset)
    except PermissionError:
        state.error = "permission denied"
    except FileNotFoundError:
        state.error = "file vanished while reading"
    except OSError as error:
        state.error = "cannot read: %s" % (error.strerror or error)
    if chunks is iter_chunks and state.error is None:
        start = max(0, state.offset - TAIL_BYTES)
        state.tail = bytes_at(state.path, start, state.offset - start) or b""
    return state
