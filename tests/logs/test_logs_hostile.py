"""Hostile and unlucky inputs: no file can take the index (or ``scan``) down.

Each test damages real event files written by tensorboard's own writer and
checks both what a user sees and that the input's bytes are unchanged.
"""

import json
import os
import struct
import subprocess
import sys
import threading
import tracemalloc

import pytest
from log_helpers import make_old, writers

from spyder_tblogs.logs import LogIndex
from spyder_tblogs.logs.diagnostics import STALE_AFTER_SECONDS
from spyder_tblogs.logs.reader import FileState, read_event_file
from spyder_tblogs.logs.records import (
    MAX_RECORD_LENGTH, frame_record, masked_crc32c, read_records,
)

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"),
                                reason="FIFOs are POSIX-only")


def _scan(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "spyder_tblogs", "scan"] + [str(a) for a in args],
        capture_output=True, timeout=120, env=env)


def _snapshot(root):
    """Bytes of every regular file under ``root`` (what must not change)."""
    found = {}
    pending = [str(root)]
    while pending:          # not os.walk: it recurses (see the depth test)
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    with open(entry.path, "rb") as stream:
                        found[entry.path] = stream.read()
    return found


def _header(length):
    """A record header declaring ``length`` bytes, with a valid checksum."""
    packed = struct.pack("<Q", length)
    return packed + struct.pack("<I", masked_crc32c(packed))


def _real_file(directory, steps=12):
    path = writers.write_tensorboard_events(str(directory), steps=steps,
                                            histogram=False, text=False)
    with open(path, "rb") as stream:
        return path, stream.read()


def _codes(run):
    return [diagnostic.code for diagnostic in run.diagnostics]


@pytest.mark.parametrize("length", [2**35, 2**40, 2**63 - 1, 2**64 - 1])
def test_a_huge_declared_length_costs_one_file_not_the_scan(tmp_path, length):
    root = tmp_path / "logs"
    _, data = _real_file(root / "intact")
    bad_path, bad = _real_file(root / "forged")
    records = read_records(bad_path)
    cut = records[6][0]
    with open(bad_path, "wb") as stream:
        stream.write(bad[:cut] + _header(length) + bad[cut:])
    make_old(bad_path, STALE_AFTER_SECONDS + 60)
    before = _snapshot(root)

    tracemalloc.start()
    try:
        index = LogIndex(str(root), workers=1)
        index.refresh()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Bounded by what is on disk (a few KB), never by the declared length.
    assert peak < 8 * 1024 * 1024
    forged = index.run("forged")
    assert forged.tags["loss"].count == 5          # steps 0..4 before it
    assert _codes(forged) == ["corrupt-record"]
    assert "declares %d bytes" % length in forged.diagnostics[0].message
    assert forged.files[0].error.startswith("corrupt record length at byte %d"
                                            % cut)
    assert index.run("intact").tags["loss"].count == 12

    result = _scan(root)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "run intact " in out and "run forged " in out
    assert "corrupt-record" in out and b"Traceback" not in result.stderr
    assert _snapshot(root) == before


def test_a_length_beyond_the_end_is_a_partial_tail_not_an_allocation(tmp_path):
    # Under the 2 GiB limit, so a writer may still be completing the record:
    # a partial tail while fresh, a truncated record once quiet.
    path, data = _real_file(tmp_path / "run")
    with open(path, "ab") as stream:
        stream.write(_header(2**30) + b"x" * 100)
    before = _snapshot(tmp_path)
    tracemalloc.start()
    try:
        state = read_event_file(FileState(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024
    assert state.error is None
    assert state.offset == len(data)
    assert state.partial_tail_bytes == 112
    make_old(path, STALE_AFTER_SECONDS + 60)
    index = LogIndex(str(tmp_path), workers=1)
    index.refresh()
    assert _codes(index.run("run")) == ["truncated-record"]
    assert index.run("run").tags["loss"].count == 12
    assert _snapshot(tmp_path) == before


def test_the_longest_possible_length_is_still_a_partial_tail(tmp_path):
    path, data = _real_file(tmp_path / "run")
    with open(path, "ab") as stream:
        stream.write(_header(MAX_RECORD_LENGTH))
    state = read_event_file(FileState(path))
    assert state.error is None and state.partial_tail_bytes == 12
    with open(path, "ab") as stream:
        stream.write(_header(MAX_RECORD_LENGTH + 1))
    # The file grew: re-read from 0, the impossible length stops framing
    # (the earlier header now reads as a record whose body is the rest).
    state = read_event_file(FileState(path))
    assert state.offset == len(data)
    assert state.partial_tail_bytes == 24


def test_nan_and_infinite_wall_times_and_values_make_valid_json(tmp_path):
    writers.without_tensorflow()
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    run = tmp_path / "run"
    writer = EventFileWriter(str(run))
    points = [(0, float("nan"), 1.0), (1, float("inf"), float("inf")),
              (2, 5.0, float("nan"))]
    for step, wall_time, value in points:
        summary = summary_pb2.Summary()
        summary.value.add(tag="loss", simple_value=value)
        writer.add_event(event_pb2.Event(wall_time=wall_time, step=step,
                                         summary=summary))
    writer.close()
    before = _snapshot(tmp_path)

    def refuse(constant):
        raise AssertionError("non-standard JSON constant %s" % constant)

    result = _scan(tmp_path, "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout, parse_constant=refuse)
    (run_dict,) = document["runs"]
    (file_dict,) = run_dict["files"]
    assert file_dict["first_wall_time"] is None      # was NaN
    assert file_dict["last_wall_time"] == 5.0
    assert run_dict["tags"]["loss"]["last_value"] is None
    assert run_dict["tags"]["loss"]["last_value_nonfinite"] == "nan"
    assert _scan(tmp_path).returncode == 0
    assert _snapshot(tmp_path) == before


def _in_thread(function, seconds=20):
    """Run ``function``; fail (instead of hanging the suite) if it blocks."""
    outcome = {}

    def target():
        try:
            outcome["value"] = function()
        except BaseException as error:  # noqa: B902 - re-raised below
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    return thread, outcome


@needs_fifo
def test_a_file_swapped_for_a_fifo_never_blocks_the_reader(tmp_path):
    path, _ = _real_file(tmp_path / "run")
    index = LogIndex(str(tmp_path), workers=1)
    index.refresh()
    os.remove(path)
    os.mkfifo(path)
    try:
        # Between listing and reading: the reader meets the FIFO itself.
        thread, outcome = _in_thread(
            lambda: read_event_file(FileState(path)))
        if thread.is_alive():      # release it before failing
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            pytest.fail("the reader blocked on a FIFO")
        assert "error" not in outcome, outcome
        assert outcome["value"].error == "cannot read: not a regular file " \
                                         "(a FIFO)"
        # And a whole refresh (discovery sees it is not a file) returns.
        thread, outcome = _in_thread(index.refresh)
        assert not thread.is_alive() and "error" not in outcome
        assert index.run("run") is None
        result = _scan(tmp_path)
        assert result.returncode == 0
    finally:
        os.remove(path)


def test_runs_are_found_at_any_depth(tmp_path):
    # Deeper than Python's recursion limit (1,000) and the old 64 levels.
    depth = 1200
    parts = ["d"] * depth
    # os.makedirs, os.walk and shutil.rmtree recurse: made and removed by hand.
    folders = []
    deep = str(tmp_path)
    for part in parts:
        deep = os.path.join(deep, part)
        os.mkdir(deep)
        folders.append(deep)
    try:
        deep_file, _ = _real_file(deep, steps=3)
        _real_file(tmp_path / "shallow", steps=3)
        before = _snapshot(tmp_path)
        index = LogIndex(str(tmp_path), workers=1)
        index.refresh()
        assert ({run.name for run in index.runs()}
                == {"/".join(parts), "shallow"})
        assert index.run("/".join(parts)).tags["loss"].count == 3
        assert _snapshot(tmp_path) == before
        os.remove(deep_file)
    finally:
        for folder in reversed(folders):
            os.rmdir(folder)


def test_a_record_that_is_intact_but_not_an_event_is_undecodable(tmp_path):
    path, data = _real_file(tmp_path / "run")
    records = read_records(path)
    cut = records[6][0]
    garbage = b"\xff\xff\xff\xff"
    with open(path, "wb") as stream:
        stream.write(data[:cut] + frame_record(garbage) + data[cut:])
    before = _snapshot(tmp_path)
    index = LogIndex(str(tmp_path), workers=1)
    index.refresh()
    run = index.run("run")
    assert _codes(run) == ["undecodable-record"]
    message = run.diagnostics[0].message
    assert "byte %d" % cut in message
    assert "disk" not in message and "checksum" in message
    assert run.files[0].undecodable_records == 1
    assert run.files[0].corrupt_records == 0
    assert run.tags["loss"].count == 12         # read on past it
    result = _scan(tmp_path)
    assert b"1 undecodable" in result.stdout
    assert _snapshot(tmp_path) == before


def _break_length(path, data, offset):
    broken = bytearray(data)
    broken[offset + 2] ^= 0x01
    with open(path, "wb") as stream:
        stream.write(bytes(broken))


def test_a_file_repaired_in_place_is_read_again(tmp_path):
    path, data = _real_file(tmp_path / "run")
    cut = read_records(path)[6][0]
    _break_length(path, data, cut)
    stat = os.stat(path)
    index = LogIndex(str(tmp_path), workers=1)
    index.refresh()
    assert index.run("run").tags["loss"].count == 5
    assert index.refresh().changed == ()            # stays broken

    # Repaired with the same size and modification time: only the bytes
    # at the error offset tell.
    with open(path, "r+b") as stream:
        stream.write(data)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert index.refresh().changed == ("run",)
    run = index.run("run")
    assert run.tags["loss"].count == 12 and _codes(run) == []
    assert run.files[0].error is None


def test_a_file_repaired_and_grown_is_read_again(tmp_path):
    path, data = _real_file(tmp_path / "run")
    records = read_records(path)
    extra = records[-2:]          # two more intact events (steps 10, 11)
    _break_length(path, data, records[6][0])
    index = LogIndex(str(tmp_path), workers=1)
    index.refresh()
    assert index.run("run").files[0].error is not None
    with open(path, "wb") as stream:
        stream.write(data + b"".join(frame_record(record)
                                     for _, record in extra))
    index.refresh()
    run = index.run("run")
    assert run.files[0].error is None
    assert run.tags["loss"].count == 14


ODD_NAMES = {
    "escape": "evil\x1b[31mred",
    "newline": "two\nlines",
    "bidi": "abc\u202edcba",
}


@pytest.mark.parametrize("encoding", ["utf-8", "ascii", "cp1252"])
def test_text_output_is_printable_under_any_encoding(tmp_path, encoding):
    for name in ODD_NAMES.values():
        _real_file(tmp_path / name, steps=2)
    raw_name = None
    if sys.platform != "win32" and sys.platform != "darwin":
        # Not UTF-8: only POSIX file systems other than APFS allow it.
        # (tensorboard's writer cannot open such a path: renamed after.)
        raw_name = os.fsencode(str(tmp_path)) + b"/caf\xe9"
        _real_file(tmp_path / "plain", steps=2)
        os.rename(os.fsencode(str(tmp_path / "plain")), raw_name)
    before = _snapshot(tmp_path)
    env = dict(os.environ, PYTHONIOENCODING=encoding)
    result = _scan(tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr
    out = result.stdout
    assert b"\x1b" not in out and b"\xe2\x80\xae" not in out
    assert b"run evil\\x1b[31mred " in out
    assert b"run two\\x0alines " in out
    assert b"run abc\\u202edcba " in out
    if raw_name is not None:
        assert b"run caf\\xe9 " in out
    lines = out.split(b"\n")
    assert not any(line.startswith(b"lines") for line in lines)
    # JSON stays valid (non-ASCII escaped) and names every run.
    result = _scan(tmp_path, "--json", env=env)
    assert result.returncode == 0, result.stderr
    names = {run["name"] for run in json.loads(result.stdout)["runs"]}
    assert set(ODD_NAMES.values()) <= names
    assert _snapshot(tmp_path) == before
