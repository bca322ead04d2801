"""TFRecord framing against tensorboard's own record writer."""

import os

from log_helpers import event_files, writers

from spyder_tblogs.logs.reader import FileState, read_event_file
from spyder_tblogs.logs.records import (
    FramingError, frame_record, masked_crc32c, read_records,
)


def test_masked_crc_matches_tensorboard():
    writers.without_tensorflow()
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import (
        masked_crc32c as tensorboard_masked_crc32c,
    )
    for data in (b"", b"a", b"\x00" * 8, os.urandom(1000)):
        assert masked_crc32c(data) == tensorboard_masked_crc32c(data)


def test_reads_every_record_tensorboard_wrote(tmp_path):
    from tensorboard.compat.proto import event_pb2

    path = writers.write_tensorboard_events(str(tmp_path), steps=15)
    records = read_records(path)
    steps = [event_pb2.Event.FromString(data).step for _, data in records]
    # file_version header at step 0, then one event per step.
    assert steps == [0] + list(range(15))
    offsets = [offset for offset, _ in records]
    assert offsets[0] == 0 and offsets == sorted(offsets)
    # Framing the payloads again reproduces the file byte for byte.
    with open(path, "rb") as stream:
        assert stream.read() == b"".join(frame_record(data)
                                         for _, data in records)


def test_bad_length_crc_raises_framing_error(tmp_path):
    path = tmp_path / "events.out.tfevents.1.host"
    good = frame_record(b"x" * 10)
    bad = bytearray(frame_record(b"y" * 10))
    bad[0] ^= 0x01
    path.write_bytes(good + bytes(bad))
    try:
        read_records(str(path))
    except FramingError as error:
        assert error.offset == len(good)
    else:
        raise AssertionError("a corrupt length must stop framing")


def test_small_chunks_and_large_records_give_the_same_state(mixed_logdir):
    # Images make records bigger than these chunks: they must be read whole.
    for path in event_files(mixed_logdir):
        whole = read_event_file(FileState(path))
        pieces = read_event_file(FileState(path), chunk_size=37)
        assert (pieces.events, pieces.offset, pieces.first_step,
                pieces.last_step) == (whole.events, whole.offset,
                                      whole.first_step, whole.last_step)
        assert pieces.tags.keys() == whole.tags.keys()
        assert [state[0] for state in pieces.tags.values()] == [
            state[0] for state in whole.tags.values()]
        assert whole.offset == os.path.getsize(path)


def _scalar_events():
    """Serialized events of every shape the reader's fast path must judge."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.compat.proto.tensor_pb2 import TensorProto
    from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto

    def simple(tag, step, number, wall=1700000000.5):
        return event_pb2.Event(wall_time=wall, step=step, summary=summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag=tag, simple_value=number)]))

    def tensor(tag, step, number, metadata=False, packed=True):
        import struct

        proto = TensorProto(dtype=1, tensor_shape=TensorShapeProto())
        if packed:
            proto.tensor_content = struct.pack("<f", number)
        else:
            proto.float_val.append(number)
        value = summary_pb2.Summary.Value(tag=tag, tensor=proto)
        if metadata:
            value.metadata.plugin_data.plugin_name = "scalars"
        return event_pb2.Event(wall_time=1700000001.25 + step, step=step,
                               summary=summary_pb2.Summary(value=[value]))

    records = [event_pb2.Event(wall_time=1.0, file_version="brain.Event:2")]
    # Steps of every varint length, a regression, a huge and a negative step.
    steps = [1, 2, 127, 128, 300, 16383, 16384, 2**21 - 1, 2**21, 2**35, 5,
             -3, 2**62, 6]
    for number, step in enumerate(steps):
        records.append(simple("loss", step, number / 4))
        records.append(simple("ünïcode tag with spaces", step, -number))
        records.append(tensor("acc", step, number / 8, metadata=number == 0))
        records.append(tensor("acc_typed", step, number / 2,
                              metadata=number == 0, packed=False))
    # Step 0 and wall time 0 are left out of the encoding.
    records.append(simple("loss", 0, 9.5))
    records.append(simple("loss", 7, 9.75, wall=0.0))
    # Two values in one event; a value with metadata on a known tag.
    two = simple("loss", 8, 1.5)
    two.summary.value.add(tag="acc", simple_value=2.5)
    records.append(two)
    with_metadata = simple("loss", 9, 3.5)
    with_metadata.summary.value[0].metadata.display_name = "Loss"
    records.append(with_metadata)
    data = [event.SerializeToString() for event in records]
    # The canonical bytes of a known layout plus an unknown field (15):
    # protobuf ignores the field, the fast path must not take the record.
    data.append(simple("loss", 10, 4.5).SerializeToString() + b"\x78\x01")
    # A step written as a non-minimal varint (protobuf accepts it).
    canonical = simple("loss", 11, 5.5).SerializeToString()
    assert canonical[9:11] == b"\x10\x0b"
    data.append(canonical[:10] + b"\x8b\x00" + canonical[11:])
    return data


def test_fast_path_gives_what_the_protobuf_parser_gives(tmp_path, monkeypatch):
    import spyder_tblogs.logs.file_state as fields
    import spyder_tblogs.logs.reader as reader

    path = tmp_path / "events.out.tfevents.1700000000.host.1.0"
    path.write_bytes(b"".join(frame_record(data) for data in _scalar_events()))

    taken = []
    judge = reader.is_scalar_record

    def counting(*args):
        result = judge(*args)
        taken.append(result)
        return result

    monkeypatch.setattr(reader, "is_scalar_record", counting)
    fast = read_event_file(FileState(str(path)), chunk_size=97)
    # Without the fast path every record goes through the parser.
    monkeypatch.setattr(reader, "is_scalar_record", lambda *args: False)
    parsed = read_event_file(FileState(str(path)))

    assert True in taken and False in taken
    assert vars(fast) == vars(parsed)
    assert fast.events == len(_scalar_events()) and fast.corrupt_records == 0
    loss = fast.tags["loss"]
    assert loss[fields.COUNT] == 14 + 6 and loss[fields.LAST_VALUE] == 5.5
    assert loss[fields.LAST_STEP] == 11 and loss[fields.REGRESSIONS] == 4
    assert fast.tags["acc_typed"][fields.LAST_VALUE] == 13 / 2


def test_the_hot_loop_indices_are_the_named_tag_state_fields(tmp_path):
    # The reader's loop spells tag-state positions as literals (a global
    # lookup per access would cost more than the work): this pins each
    # named field to what the loop writes there.
    import spyder_tblogs.logs.file_state as fields

    writer = writers.write_tensorboard_events(str(tmp_path), steps=0,
                                              close=False)
    from tensorboard.compat.proto import event_pb2, summary_pb2

    for step, value in ((3, 2.0), (4, float("nan")), (1, 5.0), (6, -1.0)):
        summary = summary_pb2.Summary()
        summary.value.add(tag="loss", simple_value=value)
        writer.add_event(event_pb2.Event(wall_time=100.0 + step, step=step,
                                         summary=summary))
    writer.close()
    # Records 2 to 4 share the first one's layout: the fast path.
    state = read_event_file(FileState(writer._file_name))
    loss = state.tags["loss"]
    expected = {
        fields.COUNT: 4, fields.FIRST_STEP: 3, fields.LAST_STEP: 6,
        fields.MIN_STEP: 1, fields.MAX_STEP: 6, fields.LAST_WALL: 106.0,
        fields.LAST_VALUE: -1.0, fields.KIND: "scalars", fields.MODE: 1,
        fields.REGRESSIONS: 1, fields.FIRST_WALL: 103.0,
        fields.MIN_VALUE: -1.0, fields.MIN_VALUE_STEP: 6,
        fields.MAX_VALUE: 5.0, fields.MAX_VALUE_STEP: 1,
    }
    for position, value in expected.items():
        assert loss[position] == value, position
    step, value, before = loss[fields.NONFINITE]
    assert (step, before) == (4, 2.0) and value != value
    assert len(loss[fields.SERIES][fields.POINTS]) == 12
