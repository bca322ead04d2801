"""Run discovery and log-root detection on real directory trees."""

import os
import shutil
import time

import pytest
from log_helpers import writers

from spyder_tblogs.logs import LogIndex, find_log_roots
from spyder_tblogs.logs import discovery as discovery_module
from spyder_tblogs.logs.discovery import discover_runs, iter_files


def test_runs_are_named_like_tensorboard(tmp_path):
    writers.write_tensorboard_events(str(tmp_path), steps=1)
    writers.write_tensorboard_events(str(tmp_path / "a" / "b"), steps=1)
    writers.write_tensorboard_events(str(tmp_path / "c"), steps=1)
    (tmp_path / "empty" / "deeper").mkdir(parents=True)
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "events.out.tfevents.1.host.profile-empty").write_bytes(b"")
    (tmp_path / "c" / "notes.txt").write_text("not an event file")
    found = discover_runs(str(tmp_path))
    assert sorted(found.runs) == [".", "a/b", "c"]
    assert found.paths["a/b"] == str(tmp_path / "a" / "b")
    run_path, files = found.paths["c"], list(iter_files(found.runs["c"]))
    assert [file[0] for file in files] == sorted(
        name for name in os.listdir(tmp_path / "c") if "tfevents" in name)
    for name, path, size, mtime, device, inode in files:
        info = os.stat(path)
        assert path == os.path.join(run_path, name)
        assert (size, mtime, device, inode) == (
            info.st_size, info.st_mtime, info.st_dev, info.st_ino)


def test_symlinked_runs_are_followed_but_loops_are_not(tmp_path):
    outside = tmp_path / "outside"
    writers.write_tensorboard_events(str(outside / "real run"), steps=2)
    logdir = tmp_path / "logs"
    writers.write_tensorboard_events(str(logdir / "a"), steps=2)
    os.symlink(outside / "real run", logdir / "linked")
    os.symlink(logdir, logdir / "a" / "back to top")
    os.symlink("..", logdir / "a" / "parent")
    index = LogIndex(str(logdir), workers=1)
    index.refresh()
    assert [run.name for run in index.runs()] == ["a", "linked"]
    assert index.run("linked").tags["loss"].count == 2
    loops = [d for d in index.diagnostics if d.code == "symlink-loop"]
    assert sorted(d.files[0] for d in loops) == sorted([
        str(logdir / "a" / "back to top"), str(logdir / "a" / "parent")])
    assert all(d.severity == "warning" for d in loops)


def test_unreadable_directory_is_a_diagnostic(tmp_path, monkeypatch):
    writers.write_tensorboard_events(str(tmp_path / "ok"), steps=1)
    writers.write_tensorboard_events(str(tmp_path / "locked" / "run"), steps=1)
    locked = str(tmp_path / "locked")
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    # Root ignores permission bits, so the refusal is injected here; the
    # test below uses real permissions when not running as root.
    monkeypatch.setattr(discovery_module.os, "scandir", scandir)
    index = LogIndex(str(tmp_path), workers=1)
    index.refresh()
    assert [run.name for run in index.runs()] == ["ok"]
    (diagnostic,) = index.diagnostics
    assert (diagnostic.code, diagnostic.severity) == ("unreadable", "error")
    assert diagnostic.files == (locked,)
    assert "permission denied" in diagnostic.message
    assert find_log_roots(str(tmp_path)) == [str(tmp_path / "ok")]
    # Unreadable directories are never cached: reported on every refresh.
    index.refresh()
    assert [d.files for d in index.diagnostics] == [(locked,)]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any directory")
def test_unreadable_directory_with_real_permissions(tmp_path):
    writers.write_tensorboard_events(str(tmp_path / "ok"), steps=1)
    writers.write_tensorboard_events(str(tmp_path / "locked" / "run"), steps=1)
    os.chmod(tmp_path / "locked", 0)
    try:
        index = LogIndex(str(tmp_path), workers=1)
        index.refresh()
        assert [run.name for run in index.runs()] == ["ok"]
        assert [d.code for d in index.diagnostics] == ["unreadable"]
    finally:
        os.chmod(tmp_path / "locked", 0o755)


def test_find_log_roots_in_a_project(tmp_path):
    project = tmp_path / "project"
    writers.write_tensorboard_events(str(project / "runs" / "exp1"), steps=1)
    writers.write_tensorboard_events(str(project / "runs" / "exp2"), steps=1)
    writers.write_tensorboard_events(
        str(project / "logs" / "fit" / "20240101-120000" / "train"), steps=1)
    writers.write_tensorboard_events(str(project / ".venv" / "x"), steps=1)
    writers.write_tensorboard_events(
        str(project / "deep" / "a" / "b" / "c" / "d" / "e" / "f"), steps=1)
    (project / "src").mkdir()
    (project / "src" / "loop").symlink_to(project / "src")
    (project / "src" / "model.py").write_text("pass\n")
    assert find_log_roots(str(project)) == [str(project / "logs"),
                                            str(project / "runs")]
    assert find_log_roots(str(project), max_depth=7) == [
        str(project / "deep"), str(project / "logs"), str(project / "runs")]
    assert find_log_roots(str(project), skip=()) == [
        str(project / ".venv"), str(project / "logs"), str(project / "runs")]
    # A directory holding event files itself is its own root.
    assert find_log_roots(str(project / "runs" / "exp1")) == [
        str(project / "runs" / "exp1")]
    assert find_log_roots(str(project / "src")) == []
    assert find_log_roots(str(tmp_path / "missing")) == []


def _walk_later(monkeypatch, seconds):
    """Discovery's clock ``seconds`` ahead: the tree as if written then.

    (A directory's ctime cannot be set back, and listings count only once
    taken well after a directory's last change.)
    """
    real_time_ns = time.time_ns
    monkeypatch.setattr(discovery_module.time, "time_ns",
                        lambda: real_time_ns() + int(seconds * 10**9))


def _record_listings(monkeypatch, top):
    """The directories discovery lists from now on, relative to ``top``."""
    listed = []
    real_scandir = os.scandir

    def scandir(path="."):
        if not isinstance(path, int):    # shutil.rmtree lists by descriptor
            listed.append(os.path.relpath(os.fspath(path), top))
        return real_scandir(path)

    monkeypatch.setattr(discovery_module.os, "scandir", scandir)
    return listed


def _same(found, fresh):
    return (found.runs, found.paths) == (fresh.runs, fresh.paths)


def test_rediscovery_lists_only_the_directories_that_changed(tmp_path,
                                                             monkeypatch):
    # A poll of a tree too large to watch stat's every directory and event
    # file but lists only the directories that changed since last time.
    logs = tmp_path / "logs"
    writers.write_tensorboard_events(str(logs / "a" / "run1"), steps=2)
    writers.write_tensorboard_events(str(logs / "b" / "run2"), steps=2)
    (logs / "b" / "notes").mkdir()
    os.symlink(logs, logs / "b" / "loop")
    _walk_later(monkeypatch, 10)
    listed = _record_listings(monkeypatch, logs)
    first = discover_runs(str(logs))
    assert sorted(listed) == [".", "a", "a/run1", "b", "b/notes", "b/run2"]

    # Nothing changed: nothing listed, the same runs, the loop still seen.
    listed.clear()
    second = discover_runs(str(logs), first.listings)
    assert listed == [] and _same(second, first)
    assert [link for link, _ in second.loops] == [str(logs / "b" / "loop")]

    # Appending to an event file changes no directory: seen all the same.
    (event_file,) = (logs / "a" / "run1").iterdir()
    with open(event_file, "ab") as stream:
        stream.write(b"\0" * 7)
    third = discover_runs(str(logs), second.listings)
    assert listed == [] and _same(third, discover_runs(str(logs)))
    size = third.runs["a/run1"][discovery_module.FILE_SIZE]
    assert size == os.path.getsize(event_file)

    # A new run: its parent and itself are listed, nothing else.
    listed.clear()
    writers.write_tensorboard_events(str(logs / "a" / "run3"), steps=1)
    fourth = discover_runs(str(logs), third.listings)
    assert sorted(listed) == ["a", "a/run3"]
    assert "a/run3" in fourth.runs and _same(fourth, discover_runs(str(logs)))

    # A run removed: its parent is listed again and the run is gone.
    shutil.rmtree(logs / "b" / "run2")
    fifth = discover_runs(str(logs), fourth.listings)
    assert "b/run2" not in fifth.runs and _same(fifth, discover_runs(str(logs)))


def test_a_listing_taken_right_after_a_change_is_not_trusted(tmp_path,
                                                             monkeypatch):
    # On file systems with coarse timestamps (FAT: 2 s), a file added in
    # the same tick as the listing leaves the directory's times unchanged:
    # a listing counts only once taken well after the last change, and
    # none is kept longer than LISTING_MAX_AGE_NS.
    logs = tmp_path / "logs"
    writers.write_tensorboard_events(str(logs / "run"), steps=1)
    listed = _record_listings(monkeypatch, logs)
    found = discover_runs(str(logs))
    listed.clear()
    found = discover_runs(str(logs), found.listings)
    assert sorted(listed) == [".", "run"]    # just written: listed again

    _walk_later(monkeypatch, 10)
    found = discover_runs(str(logs), found.listings)
    listed.clear()
    found = discover_runs(str(logs), found.listings)
    assert listed == []
    _walk_later(monkeypatch, 10 + discovery_module.LISTING_MAX_AGE_NS / 1e9)
    discover_runs(str(logs), found.listings)
    assert sorted(listed) == [".", "run"]
