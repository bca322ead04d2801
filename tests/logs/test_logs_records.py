"""TFRecord framing against tensorboard's own record writer."""

import os

from conftest import event_files, writers

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
