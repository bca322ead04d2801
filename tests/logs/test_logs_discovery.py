"""Run discovery and log-root detection on real directory trees."""

import os

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
