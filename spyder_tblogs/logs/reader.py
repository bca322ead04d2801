"""Incremental reading of one event file into compact, resumable state.

:func:`read_event_file` is the hot loop of the index: it frames records,
checks both CRCs, decodes each event once with tensorboard's protobufs (upb)
and folds it into per-tag aggregates without keeping events. Most records
are one scalar of a known tag: once the parser has vouched for a record's
layout, records of the same layout are taken apart from their bytes (see
:func:`~spyder_tblogs.logs.event_values.is_scalar_record`), which halves the time per record. Its input
and output is a :class:`FileState`, a small picklable object, so the loop
can run in a worker process and the parent can resume from the returned
state on the next refresh.
"""

import struct

import crc32c as _crc32c
from google.protobuf.message import DecodeError
from tensorboard.compat.proto import event_pb2

from spyder_tblogs.logs.event_values import (
    HPARAMS_START_TAG, hparams_of, is_scalar_record, read_step, tensor_scalar,
)
from spyder_tblogs.logs.file_state import (
    SERIES_POINTS, TAIL_BYTES, FileState, new_event_tag_state, new_tag_state,
    thin_series,
)
from spyder_tblogs.logs.records import (
    CHUNK_SIZE, FOOTER_SIZE, HEADER_SIZE, MASK_DELTA, FramingError,
    check_length, iter_chunks, open_regular_file,
)

__all__ = ["FileState", "read_event_file", "bytes_at", "GRAPH_TAG",
           "SERIES_POINTS"]

# Tag under which TensorBoard files a run's graph (graphs plugin).
GRAPH_TAG = "__run_graph__"

# The positions of rows.TAG_STATE_FIELDS and rows.SERIES_FIELDS that the
# loop below (and _note_nonfinite) spell as literals, a global lookup per
# access costing more than the work: ``tag_state[N]`` and ``series[N]``
# with N from here only (tests/logs/test_logs_rows.py checks both ways).
TAG_STATE_LITERALS = (
    ("COUNT", 0), ("LAST_STEP", 2), ("MIN_STEP", 3), ("MAX_STEP", 4),
    ("LAST_WALL", 5), ("LAST_VALUE", 6), ("MODE", 8), ("SERIES", 9),
    ("REGRESSIONS", 10), ("MIN_VALUE", 12), ("MIN_VALUE_STEP", 13),
    ("MAX_VALUE", 14), ("MAX_VALUE_STEP", 15), ("NONFINITE", 16))
SERIES_LITERALS = (("STRIDE", 0), ("SEEN", 1), ("POINTS", 2))


def _note_nonfinite(tag_state, step, number):
    """Remember the first value of a tag that is NaN or infinite (rare)."""
    if tag_state[16] is None:
        tag_state[16] = (step, number, tag_state[6])


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
    new_tag = new_tag_state
    max_points = (float("inf") if state.series_limit is None
                  else state.series_limit * 3)
    header_size, footer_size = HEADER_SIZE, FOOTER_SIZE
    frame_bytes = HEADER_SIZE + FOOTER_SIZE     # a record's bytes but its data
    mask_delta = MASK_DELTA

    # Tag-state and series positions are literals here (TAG_STATE_LITERALS,
    # SERIES_LITERALS).
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
                stop = position + length + frame_bytes
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
                # 2**21 (three varint bytes) are decoded inline. Both paths
                # fall through to one tag update below: a call per record
                # would cost more than the update itself.
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
                                step, after_step = read_step(data, 10)
                    if after_step:
                        layout = known_layouts.get(data[after_step:-4])
                if layout:
                    wall = unpack_double(data, 1)[0]
                    number = unpack_float(data, length - 4)[0]
                    remaining = 1
                else:
                    try:
                        parse(data)
                    except DecodeError:
                        # Intact on disk (the checksum holds) but not an
                        # event: another format, or a writer's bug.
                        undecodable += 1
                        if state.first_undecodable_offset is None:
                            state.first_undecodable_offset = base + position
                        position = stop
                        continue
                    what = which("what")
                    if what == "summary":
                        step = event.step
                        wall = event.wall_time
                        values = event.summary.value
                        remaining = value_count = len(values)
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
                            tag_state = tags[tag] = new_event_tag_state(
                                kind, step, wall)
                        tag_state[0] += 1
                        tag_state[2] = step
                        tag_state[5] = wall
                        tag_state[3] = min(tag_state[3], step)
                        tag_state[4] = max(tag_state[4], step)
                        remaining = 0
                    else:
                        # file_version, session_log, log_message: not data.
                        position = stop
                        events += 1
                        continue
                position = stop
                events += 1
                # The record's values, in order, through one tag update. A
                # countdown: a for loop's iterator per record costs more, and
                # indexing beats iterating a upb repeated field.
                while remaining:
                    if layout:
                        tag, tag_state = layout
                        remaining = 0
                    else:
                        value = values[-remaining]
                        remaining -= 1
                        tag = value.tag or value.node_name
                        tag_state = tags.get(tag)
                        if tag_state is None:
                            # Its steps are this one: the update below
                            # leaves them as they are.
                            tag_state = tags[tag] = new_tag(value, step, wall)
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
                    if not layout:
                        mode = tag_state[8]
                        if not mode:
                            if tag == HPARAMS_START_TAG:
                                # The last session's values win (a Keras
                                # callback writes them at each fit).
                                state.hparams = hparams_of(value)
                            continue
                        if mode == 1:
                            number = value.simple_value
                            learn = layout is None
                        else:
                            tensor = value.tensor
                            content = tensor.tensor_content
                            # TF2's float32 scalars, inline: the rest goes
                            # through tensor_scalar.
                            if len(content) == 4 and tensor.dtype == 1:
                                number = unpack_float(content)[0]
                                learn = layout is None
                            else:
                                number = tensor_scalar(tensor)
                                if number is None:
                                    continue
                                learn = False
                        # First sight of this record's layout: keep it (or
                        # that it is none) for the fast path.
                        if learn and after_step and value_count == 1:
                            if len(known_layouts) > 4096:
                                known_layouts.clear()
                            is_scalar = is_scalar_record(
                                data, after_step, tag, mode)
                            known_layouts[data[after_step:-4]] = (
                                (tag, tag_state) if is_scalar else False)
                    # NaN and infinities, and only they, give a non-zero
                    # (NaN) difference.
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
