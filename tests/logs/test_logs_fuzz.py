"""Property-based fuzzing of the reader and the index with Hypothesis.

Inputs are random bytes, and real event files written by tensorboard's own
writer that are cut, bit-flipped or given forged record lengths. Whatever
the input, reading never raises, never reports more events than the bytes
can frame, keeps memory bounded by the file, and leaves the file as it was.
"""

import os
import struct
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from log_helpers import writers

from spyder_tblogs.logs import LogIndex
from spyder_tblogs.logs.file_state import POINTS, SERIES
from spyder_tblogs.logs.reader import FileState, read_event_file
from spyder_tblogs.logs.records import (
    FOOTER_SIZE, HEADER_SIZE, MAX_RECORD_LENGTH, masked_crc32c, read_records,
)

# Enough to find what breaks, small enough for CI's budget (a few seconds).
FUZZ = settings(max_examples=120, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
# The smallest record: a header, no data, a footer.
MIN_RECORD = HEADER_SIZE + FOOTER_SIZE
# Far above what reading a file of a few KB needs (a 1 MiB chunk at most).
MEMORY_BOUND = 8 * 1024 * 1024


@pytest.fixture(scope="module")
def valid_file(tmp_path_factory):
    """A real file (scalars, histograms, text) and its records' end offsets."""
    directory = tmp_path_factory.mktemp("valid")
    path = writers.write_tensorboard_events(str(directory), steps=30)
    with open(path, "rb") as stream:
        data = stream.read()
    ends = [offset + HEADER_SIZE + len(record) + FOOTER_SIZE
            for offset, record in read_records(path)]
    assert ends[-1] == len(data)
    return data, ends


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def _read_checked(directory, content):
    """Read ``content`` as an event file, in the reader and in the index;
    check the invariants that hold for any input; return the state."""
    run = os.path.join(str(directory), "run")
    os.makedirs(run, exist_ok=True)
    path = os.path.join(run, "events.out.tfevents.1.host")
    with open(path, "wb") as stream:
        stream.write(content)
    tracemalloc.start()
    try:
        state = read_event_file(FileState(path))
        index = LogIndex(str(directory), workers=1)
        index.refresh()           # never raises
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND + 4 * len(content)
    assert 0 <= state.offset <= len(content)
    assert state.size_read <= len(content)
    decoded = state.events + state.corrupt_records + state.undecodable_records
    assert decoded * MIN_RECORD <= state.offset
    info = index.run("run").files[0]
    assert info.events == state.events
    with open(path, "rb") as stream:
        assert stream.read() == content        # reading changed nothing
    return state


@FUZZ
@given(content=st.binary(max_size=4096))
def test_random_bytes_never_break_the_reader(fuzz_dir, content):
    _read_checked(fuzz_dir, content)


def _series(state):
    return {tag: list(tag_state[SERIES][POINTS])
            for tag, tag_state in state.tags.items()
            if tag_state[SERIES] is not None}


@FUZZ
@given(data=st.data())
def test_a_prefix_of_a_valid_file_yields_a_prefix_of_its_events(
        fuzz_dir, valid_file, data):
    content, ends = valid_file
    cut = data.draw(st.integers(0, len(content)))
    full = read_event_file_from_bytes(fuzz_dir, content)
    state = _read_checked(fuzz_dir, content[:cut])
    complete = sum(1 for end in ends if end <= cut)
    assert state.events == complete
    assert state.offset == (ends[complete - 1] if complete else 0)
    assert state.error is None and state.corrupt_records == 0
    # Fewer than SERIES_POINTS points: nothing thinned, so every tag's
    # points are the first of the whole file's.
    full_series = _series(full)
    for tag, points in _series(state).items():
        assert points == full_series[tag][:len(points)]
        assert state.tags[tag][0] <= full.tags[tag][0]


def read_event_file_from_bytes(directory, content):
    path = os.path.join(str(directory), "whole.tfevents")
    with open(path, "wb") as stream:
        stream.write(content)
    return read_event_file(FileState(path))


@FUZZ
@given(data=st.data())
def test_bit_flips_never_break_the_reader(fuzz_dir, valid_file, data):
    content, ends = valid_file
    flipped = bytearray(content)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(content) - 1))
        flipped[position] ^= 1 << data.draw(st.integers(0, 7))
    state = _read_checked(fuzz_dir, bytes(flipped))
    # The records before the first flip are all read.
    first = min((index for index in range(len(content))
                 if flipped[index] != content[index]), default=len(content))
    intact = sum(1 for end in ends if end <= first)
    assert state.events >= intact


def _header(length):
    packed = struct.pack("<Q", length)
    return packed + struct.pack("<I", masked_crc32c(packed))


@FUZZ
@given(data=st.data())
def test_huge_lengths_spliced_into_a_real_file(fuzz_dir, valid_file, data):
    content, ends = valid_file
    boundary = data.draw(st.sampled_from([0] + ends[:-1]))
    length = data.draw(st.one_of(
        st.integers(len(content), MAX_RECORD_LENGTH),
        st.integers(MAX_RECORD_LENGTH + 1, 2**64 - 1),
        st.sampled_from([2**35, 2**40, 2**63 - 1, 2**64 - 1])))
    spliced = content[:boundary] + _header(length) + content[boundary:]
    state = _read_checked(fuzz_dir, spliced)
    before = sum(1 for end in ends if end <= boundary)
    assert state.events == before
    assert state.offset == boundary
    if length > MAX_RECORD_LENGTH:
        assert state.error_offset == boundary
        assert "declares %d bytes" % length in state.error
    else:
        # Could still be completed by a writer: a partial tail.
        assert state.error is None
        assert state.partial_tail_bytes == len(spliced) - boundary
