"""LogIndex: incremental reading, damaged files and their diagnostics."""

import gc
import os
import shutil
import time

import pytest
from log_helpers import event_files, make_old, writers

from spyder_tblogs.logs import LogIndex
from spyder_tblogs.logs import index as index_module
from spyder_tblogs.logs.diagnostics import CODES, STALE_AFTER_SECONDS
from spyder_tblogs.logs.discovery import discover_runs
from spyder_tblogs.logs.info import RunInfo
from spyder_tblogs.logs.reader import SERIES_POINTS
from spyder_tblogs.logs.records import read_records


def _codes(run):
    return [diagnostic.code for diagnostic in run.diagnostics]


def _add_scalars(writer, steps, tag="loss"):
    from tensorboard.compat.proto import event_pb2, summary_pb2

    for step in steps:
        summary = summary_pb2.Summary()
        summary.value.add(tag=tag, simple_value=float(step))
        writer.add_event(event_pb2.Event(wall_time=1e9 + step, step=step,
                                         summary=summary))
    writer.flush()


@pytest.fixture
def read_log(monkeypatch):
    """Record (path, starting offset) of every read the index makes."""
    reads = []
    real = index_module.read_event_file

    def recording(state, *args, **kwargs):
        reads.append((state.path, state.offset))
        return real(state, *args, **kwargs)

    monkeypatch.setattr(index_module, "read_event_file", recording)
    return reads


def test_refresh_reads_only_appended_bytes(tmp_path, read_log):
    run = tmp_path / "run"
    writer = writers.write_tensorboard_events(str(run), steps=5, close=False,
                                              histogram=False, text=False)
    writer.flush()
    index = LogIndex(str(tmp_path), workers=1)
    update = index.refresh()
    assert update.added == ("run",) and not update.changed
    (path,) = event_files(str(tmp_path))
    first_size = os.path.getsize(path)
    assert read_log == [(path, 0)]
    assert index.run("run").files[0].events == 6   # header + 5 steps
    assert index.refresh().empty                   # nothing new: no read
    assert len(read_log) == 1

    _add_scalars(writer, range(5, 12))
    update = index.refresh()
    assert update.changed == ("run",)
    assert read_log[-1] == (path, first_size)      # resumed, not re-read
    info = index.run("run").files[0]
    assert info.events == 13 and info.last_step == 11
    assert info.size == os.path.getsize(path) and info.partial_tail_bytes == 0
    tag = index.run("run").tags["loss"]
    assert (tag.count, tag.first_step, tag.last_step) == (12, 0, 11)
    assert tag.last_value == 11.0
    writer.close()

    # The incremental result equals a fresh full read.
    fresh = LogIndex(str(tmp_path), workers=1)
    fresh.refresh()
    assert fresh.to_dict() == index.to_dict()


def test_partial_record_is_completed_on_a_later_refresh(tmp_path, read_log):
    source = writers.write_tensorboard_events(str(tmp_path / "src"), steps=8)
    data = open(source, "rb").read()
    records = read_records(source)
    cut = records[5][0] + 7          # inside the sixth record's header
    run = tmp_path / "logs" / "run"
    run.mkdir(parents=True)
    target = run / os.path.basename(source)
    target.write_bytes(data[:cut])
    index = LogIndex(str(tmp_path / "logs"), workers=1)
    index.refresh()
    info = index.run("run").files[0]
    assert info.events == 5 and info.partial_tail_bytes == 7
    # Recently written: a write in progress, not a diagnostic.
    assert "truncated-record" not in _codes(index.run("run"))

    with open(target, "ab") as stream:
        stream.write(data[cut:])
    index.refresh()
    assert read_log[-1] == (str(target), records[5][0])
    info = index.run("run").files[0]
    assert info.events == len(records) and info.partial_tail_bytes == 0


def test_truncated_file_not_written_for_a_while(tmp_path):
    source = writers.write_tensorboard_events(str(tmp_path / "src"), steps=8)
    data = open(source, "rb").read()
    run = tmp_path / "logs" / "run"
    run.mkdir(parents=True)
    target = run / os.path.basename(source)
    target.write_bytes(data[:-5])
    make_old(target, STALE_AFTER_SECONDS + 60)
    index = LogIndex(str(tmp_path / "logs"), workers=1)
    index.refresh()
    info = index.run("run").files[0]
    assert info.partial_tail_bytes == len(read_records(source)[-1][1]) + 11
    (diagnostic,) = [d for d in index.run("run").diagnostics
                     if d.code == "truncated-record"]
    assert diagnostic.severity == "warning"
    assert diagnostic.files == (target.name,)
    assert "incomplete record" in diagnostic.message


def test_stale_partial_tail_becomes_a_diagnostic_without_new_bytes(tmp_path):
    source = writers.write_tensorboard_events(str(tmp_path / "src"), steps=4)
    run = tmp_path / "logs" / "run"
    run.mkdir(parents=True)
    target = run / os.path.basename(source)
    target.write_bytes(open(source, "rb").read()[:-3])
    index = LogIndex(str(tmp_path / "logs"), workers=1)
    index.refresh()
    assert "truncated-record" not in _codes(index.run("run"))
    make_old(target, STALE_AFTER_SECONDS + 60)
    update = index.refresh()
    assert update.changed == ("run",)
    assert "truncated-record" in _codes(index.run("run"))


def test_replaced_and_shrunk_files_are_read_again(tmp_path, read_log):
    run = tmp_path / "run"
    long_file = writers.write_tensorboard_events(str(tmp_path / "a"), steps=30)
    short_file = writers.write_tensorboard_events(str(tmp_path / "b"), steps=4)
    run.mkdir()
    target = run / "events.out.tfevents.1700000000.host.1.0"
    shutil.copyfile(long_file, target)
    index = LogIndex(str(run), workers=1)
    index.refresh()
    assert index.run(".").tags["loss"].count == 30

    # Shrunk in place (same inode).
    with open(target, "r+b") as stream:
        stream.truncate(0)
        stream.write(open(short_file, "rb").read())
    index.refresh()
    assert read_log[-1] == (str(target), 0)
    assert index.run(".").tags["loss"].count == 4

    # Replaced by another file (new inode) of the same length as before.
    replacement = tmp_path / "replacement"
    shutil.copyfile(long_file, replacement)
    os.replace(replacement, target)
    index.refresh()
    assert read_log[-1] == (str(target), 0)
    assert index.run(".").tags["loss"].count == 30


def _damaged_logdir(tmp_path):
    """Runs holding one damaged copy each of a real 12-step file."""
    source = writers.write_tensorboard_events(str(tmp_path / "src"), steps=12,
                                              histogram=False, text=False)
    data = open(source, "rb").read()
    records = read_records(source)
    middle = records[6][0]          # the event of step 5
    root = tmp_path / "logs"
    name = os.path.basename(source)

    def place(run, content):
        (root / run).mkdir(parents=True)
        (root / run / name).write_bytes(bytes(content))
        make_old(root / run / name, STALE_AFTER_SECONDS + 60)

    place("intact", data)
    flipped = bytearray(data)
    flipped[middle + 12 + 3] ^= 0x40
    place("bad-data", flipped)
    flipped = bytearray(data)
    flipped[middle + 2] ^= 0x01
    place("bad-length", flipped)
    place("truncated", data[:records[9][0] + 20])
    place("zero-bytes", b"")
    place("header-only", data[:records[1][0]])
    return str(root), middle


def test_damaged_copies_each_give_their_diagnostic(tmp_path):
    root, middle = _damaged_logdir(tmp_path)
    index = LogIndex(root, workers=1)
    index.refresh()
    runs = {run.name: run for run in index.runs()}
    assert _codes(runs["intact"]) == []

    bad_data = runs["bad-data"]
    assert _codes(bad_data) == ["corrupt-record"]
    assert bad_data.diagnostics[0].severity == "error"
    assert bad_data.files[0].corrupt_records == 1
    # Skipped one record and went on to the end.
    assert bad_data.tags["loss"].count == 11
    assert bad_data.tags["loss"].last_step == 11
    assert "byte %d" % middle in bad_data.diagnostics[0].message

    bad_length = runs["bad-length"]
    assert _codes(bad_length) == ["corrupt-record"]
    assert bad_length.files[0].error == (
        "corrupt record length at byte %d (fails its checksum)" % middle)
    assert bad_length.tags["loss"].count == 5     # steps 0..4 before it
    assert bad_length.files[0].partial_tail_bytes == 0

    assert _codes(runs["truncated"]) == ["truncated-record"]
    assert runs["truncated"].tags["loss"].count == 8
    for run in ("zero-bytes", "header-only"):
        assert _codes(runs[run]) == ["empty-event-file"], run
        assert "flush()" in runs[run].diagnostics[0].message
        assert runs[run].tags == {}
    assert runs["header-only"].files[0].events == 1


def test_damaged_copies_keep_at_least_what_tensorboard_shows(tmp_path):
    root, _ = _damaged_logdir(tmp_path)
    oracle = writers.tensorboard_oracle(root)
    index = LogIndex(root, workers=1)
    index.refresh()
    for run in index.runs():
        theirs = oracle.get(run.name, {})
        for tag, info in theirs.items():
            assert run.tags[tag].count >= info["count"], (run.name, tag)
    # TensorBoard stops at the corrupt record; the index reads past it.
    assert (index.run("bad-data").tags["loss"].count
            > oracle["bad-data"]["loss"]["count"])


def test_step_regression_within_a_file(tmp_path):
    writer = writers.write_tensorboard_events(str(tmp_path), steps=0,
                                              close=False)
    _add_scalars(writer, list(range(10)) + list(range(3, 6)))
    writer.close()
    index = LogIndex(str(tmp_path), workers=1)
    index.refresh()
    run = index.run(".")
    assert _codes(run) == ["step-regression"]
    assert "from 9 to 3" in run.diagnostics[0].message
    tag = run.tags["loss"]
    # Lowest and highest step (how far training got), not file order;
    # the last value is the last written.
    assert (tag.count, tag.first_step, tag.last_step) == (13, 0, 9)
    assert tag.last_value == 5.0
    assert run.files[0].last_step == 9


def test_restart_into_the_same_run_overlaps(tmp_path):
    writers.write_tensorboard_events(str(tmp_path), steps=10)
    writers.write_tensorboard_events(str(tmp_path), steps=10, start_step=6)
    index = LogIndex(str(tmp_path), workers=1)
    index.refresh()
    run = index.run(".")
    assert len(run.files) == 2
    assert _codes(run) == ["multiple-event-files", "overlapping-steps"]
    overlap = run.diagnostics[1]
    assert overlap.severity == "warning"
    assert "--load_fast" in overlap.message and "zig-zag" in overlap.message
    assert set(overlap.files) == {info.name for info in run.files}
    # Files load in name order (as in TensorBoard), whichever came first.
    loss = run.tags["loss"]
    assert loss.count == 20
    assert {info.first_step for info in run.files} == {0, 6}
    # Lowest and highest step over both files, whichever loads first.
    assert (loss.first_step, loss.last_step) == (
        min(info.first_step for info in run.files),
        max(info.last_step for info in run.files)) == (0, 15)


def test_consecutive_files_do_not_overlap(tmp_path):
    writers.write_tensorboard_events(str(tmp_path), steps=10, graph=True)
    writers.write_tensorboard_events(str(tmp_path), steps=10, start_step=10,
                                     graph=True)
    index = LogIndex(str(tmp_path), workers=1)
    index.refresh()
    assert _codes(index.run(".")) == ["multiple-event-files"]


def test_hparams_subrun(mixed_logdir):
    index = LogIndex(mixed_logdir, workers=1)
    index.refresh()
    (subrun,) = [run for run in index.runs() if run.name.startswith("tbx/")]
    assert _codes(subrun) == ["hparams-subrun"]
    assert subrun.diagnostics[0].severity == "info"
    assert subrun.name in subrun.diagnostics[0].message
    assert _codes(index.run("tbx")) == []


def test_series_stay_bounded_and_end_with_the_last_point(tmp_path):
    writer = writers.write_tensorboard_events(str(tmp_path), steps=0,
                                              close=False)
    _add_scalars(writer, range(5000))
    writer.close()
    index = LogIndex(str(tmp_path), workers=1)
    index.refresh()
    tag = index.run(".").tags["loss"]
    assert tag.count == 5000
    assert SERIES_POINTS // 2 <= len(tag.series) <= SERIES_POINTS
    assert tag.series[0] == (0, 1e9, 0.0)
    assert tag.series[-1] == (4999, 1e9 + 4999, 4999.0)
    steps = [point[0] for point in tag.series]
    assert steps == sorted(set(steps))
    # Evenly thinned: gaps differ by at most a factor of two.
    gaps = [b - a for a, b in zip(steps, steps[1:-1])]
    assert max(gaps) <= 2 * min(gaps)


def test_unreadable_event_file(tmp_path, monkeypatch):
    path = writers.write_tensorboard_events(str(tmp_path / "run"), steps=3)
    from spyder_tblogs.logs import records

    real_open = records.open_regular_file

    def refusing_open(file):
        if os.fspath(file) == path:
            raise PermissionError(13, "Permission denied", file)
        return real_open(file)

    # Root reads any file, so the refusal is simulated where files open.
    monkeypatch.setattr(records, "open_regular_file", refusing_open)
    index = LogIndex(str(tmp_path), workers=1)
    index.refresh()
    run = index.run("run")
    assert run.files[0].error == "permission denied"
    assert _codes(run) == ["unreadable"]
    assert run.diagnostics[0].severity == "error"
    # Once readable again, the next refresh reads it.
    monkeypatch.undo()
    index.refresh()
    assert index.run("run").files[0].error is None
    assert index.run("run").tags["loss"].count == 3


def test_missing_logdir_then_created(tmp_path):
    logdir = tmp_path / "not yet"
    index = LogIndex(str(logdir))
    update = index.refresh()
    assert update.empty and index.runs() == ()
    assert [d.code for d in index.diagnostics] == ["unreadable"]
    assert "does not exist" in index.diagnostics[0].message
    writers.write_tensorboard_events(str(logdir / "run"), steps=2)
    update = index.refresh()
    assert update.added == ("run",) and index.diagnostics == ()
    shutil.rmtree(logdir / "run")
    update = index.refresh()
    assert update.removed == ("run",) and index.run("run") is None


def test_snapshots_are_immutable_and_json_has_the_exact_shape(mixed_logdir):
    index = LogIndex(mixed_logdir, workers=1)
    index.refresh()
    run = index.runs()[0]
    with pytest.raises(Exception):
        run.name = "other"
    with pytest.raises(TypeError):
        run.tags["x"] = None
    assert isinstance(run.files, tuple) and isinstance(run.diagnostics, tuple)
    document = index.to_dict()
    assert set(document) == {"logdir", "runs"}
    for run_dict in document["runs"]:
        assert set(run_dict) == {"name", "path", "hparams", "files", "tags",
                                 "diagnostics"}
        for file_dict in run_dict["files"]:
            assert set(file_dict) == {
                "name", "size", "mtime", "host", "pid", "created", "events",
                "first_step", "last_step", "first_wall_time",
                "last_wall_time", "corrupt_records", "undecodable_records",
                "partial_tail_bytes", "error"}
        for tag_dict in run_dict["tags"].values():
            assert set(tag_dict) == {"kind", "count", "first_step",
                                     "last_step", "last_value",
                                     "last_value_nonfinite"}
        for diagnostic in run_dict["diagnostics"]:
            assert set(diagnostic) == {"code", "severity", "message", "files"}
            assert CODES[diagnostic["code"]] == diagnostic["severity"]


def test_index_never_modifies_the_logs(mixed_logdir):
    def snapshot():
        result = {}
        for folder, _, names in os.walk(mixed_logdir):
            for name in names:
                path = os.path.join(folder, name)
                stat = os.stat(path)
                with open(path, "rb") as stream:
                    result[path] = (stream.read(), stat.st_mtime_ns,
                                    stat.st_mode)
        return result

    before = snapshot()
    for workers in (1, 2):
        index = LogIndex(mixed_logdir, workers=workers)
        index.refresh()
        index.refresh()
    writers.run_python("import sys, runpy; sys.argv = ['x', 'scan', sys.argv[1]];"
                       "runpy.run_module('spyder_tblogs', run_name='__main__')",
                       mixed_logdir)
    assert snapshot() == before


def test_quiet_refreshes_publish_nothing_until_a_file_ages(tmp_path,
                                                          monkeypatch):
    logs = tmp_path / "logs"
    writers.write_tensorboard_events(str(logs / "done"), steps=3)
    source = writers.write_tensorboard_events(str(tmp_path / "src"), steps=4)
    (logs / "run").mkdir()
    target = logs / "run" / os.path.basename(source)
    target.write_bytes(open(source, "rb").read()[:-3])   # a partial tail
    index = LogIndex(str(logs), workers=1)
    assert set(index.refresh().added) == {"done", "run"}
    snapshots = {row[0]: row for row in index.run_rows()}
    assert [RunInfo.from_row(row) for row in snapshots.values()] == list(
        index.runs())

    # Nothing changed: nothing published, the same snapshot objects kept.
    for _ in range(2):
        assert index.refresh().empty
        assert all(index.run_rows([name])[0] is row
                   for name, row in snapshots.items())

    # Time alone turns the partial tail into a truncated record.
    real_time = time.time
    monkeypatch.setattr(time, "time",
                        lambda: real_time() + STALE_AFTER_SECONDS + 60)
    update = index.refresh()
    assert update.changed == ("run",)
    assert "truncated-record" in _codes(index.run("run"))
    assert index.run_rows(["done"])[0] is snapshots["done"]
    assert index.refresh().empty

    # A log directory that went away and came back, files untouched.
    moved = tmp_path / "moved"
    logs.rename(moved)
    assert set(index.refresh().removed) == {"done", "run"}
    moved.rename(logs)
    assert set(index.refresh().added) == {"done", "run"}


def test_kept_runs_cost_the_garbage_collector_nothing(tmp_path):
    # With 10,000 runs listed, containers per run made every full
    # collection (which holds the GIL) freeze the GUI. Runs, file states at
    # rest and discovery results are flat tuples of plain values, which the
    # collector stops tracking the first time it meets them.
    logs = tmp_path / "logs"
    for number in range(60):
        writers.write_tensorboard_events(str(logs / f"exp{number % 3}" /
                                             f"run{number}"), steps=4)
    warm_up = LogIndex(str(logs), workers=1)    # imports, caches
    warm_up.refresh()
    del warm_up
    gc.collect()
    before = len(gc.get_objects())

    index = LogIndex(str(logs), workers=1)
    index.refresh()
    found = discover_runs(str(logs))
    rows = index.run_rows()
    gc.collect(0)   # the youngest generation only
    assert len(rows) == 60 and not any(gc.is_tracked(row) for row in rows)
    assert not any(gc.is_tracked(files) for files in found.runs.values())
    assert [RunInfo.from_row(row) for row in rows] == list(index.runs())
    assert all(RunInfo.from_row(row).row == row for row in rows)
    del found, rows
    index.refresh()     # a poll that finds nothing new
    gc.collect()
    assert len(gc.get_objects()) - before < 30     # not one per run

    # Still true of runs that changed, except for the Diagnostic objects
    # of a run with a problem: a restart that wrote a second file.
    writers.write_tensorboard_events(str(logs / "exp0" / "run0"), steps=20,
                                     start_step=4)
    writers.write_tensorboard_events(str(logs / "exp0" / "run3"), steps=4)
    assert index.refresh().changed == ("exp0/run0", "exp0/run3")
    gc.collect(0)
    tracked = [RunInfo.from_row(row) for row in index.run_rows()
               if gc.is_tracked(row)]
    assert [run.name for run in tracked] == ["exp0/run0", "exp0/run3"]
    assert all(run.diagnostics for run in tracked)


def test_a_new_mtime_alone_never_rereads_from_the_start(tmp_path):
    # NTFS may move a file's mtime long after its bytes (when the writer
    # closes it): size and identity unchanged means nothing to read.
    path = writers.write_tensorboard_events(str(tmp_path / "run"), steps=6,
                                            histogram=False, text=False)
    index = LogIndex(str(tmp_path), workers=1)
    index.refresh()
    records = read_records(path)
    # Damage an early record (same size, same last bytes): only a re-read
    # from byte 0 would see it.
    with open(path, "r+b") as stream:
        stream.seek(records[2][0] + 14)
        stream.write(b"\xff")
    os.utime(path, (time.time() + 5, time.time() + 5))
    index.refresh()
    run = index.run("run")
    assert run.files[0].corrupt_records == 0
    assert run.tags["loss"].count == 6
    assert run.files[0].mtime == os.stat(path).st_mtime


def test_a_rewrite_that_changes_the_bytes_before_the_offset_rereads(tmp_path):
    path = writers.write_tensorboard_events(str(tmp_path / "run"), steps=6,
                                            histogram=False, text=False)
    index = LogIndex(str(tmp_path), workers=1)
    index.refresh()
    with open(path, "rb") as stream:
        data = bytearray(stream.read())
    data[-2] ^= 0x01           # the last record's checksum: now corrupt
    with open(path, "r+b") as stream:
        stream.write(bytes(data))
    os.utime(path, (time.time() + 5, time.time() + 5))
    index.refresh()
    assert index.run("run").files[0].corrupt_records == 1


def test_growth_counts_as_activity_when_the_mtime_does_not_move(tmp_path):
    writer = writers.write_tensorboard_events(str(tmp_path), steps=0,
                                              histogram=False, text=False,
                                              close=False)
    writer.flush()
    (path,) = [os.path.join(str(tmp_path), name)
               for name in os.listdir(str(tmp_path))]
    make_old(path, STALE_AFTER_SECONDS + 60)
    old = os.stat(path).st_mtime
    index = LogIndex(str(tmp_path), workers=1)
    index.refresh()
    assert _codes(index.run(".")) == ["empty-event-file"]
    _add_scalars(writer, range(3))
    os.utime(path, (old, old))      # the mtime stays behind (NTFS)
    before = time.time()
    index.refresh()
    run = index.run(".")
    assert run.tags["loss"].count == 3
    assert _codes(run) == []
    assert run.last_modified >= before
    writer.close()
