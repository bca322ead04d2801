"""The instance registry and the bounded logs (no TensorBoard processes)."""

import os
import threading
import time

from spyder_tblogs.tensorboard import ServerState, TensorBoardInstance
from spyder_tblogs.tensorboard import process as tb_process
from spyder_tblogs.tensorboard.registry import (
    REGISTRY_ENV, Registry, default_registry_dir, identity_hash)


def make_instance(registry, key, pid):
    stdout_log, stderr_log = registry.log_paths(key)
    return TensorBoardInstance(
        pid=pid, port=6006, host="127.0.0.1", url="http://127.0.0.1:6006/",
        logdir="/data/logs", python="/usr/bin/python3", extra_args=("--a",),
        create_time=123.45, started_at=time.time(), startup_seconds=1.5,
        reused=False, stdout_log=stdout_log, stderr_log=stderr_log)


def test_interpreter_spellings_share_a_record_where_case_is_ignored(
        monkeypatch):
    import ntpath
    import posixpath

    def keys():
        return {identity_hash("C:\\logs", python, ())
                for python in ("C:\\Envs\\ML\\python.exe",
                               "c:/envs/ml/PYTHON.EXE")}

    monkeypatch.setattr(os.path, "normcase", posixpath.normcase)
    assert len(keys()) == 2         # case counts on POSIX file systems
    monkeypatch.setattr(os.path, "normcase", ntpath.normcase)
    assert len(keys()) == 1         # Windows: one interpreter, one record


def test_record_round_trip(tmp_path):
    registry = Registry(str(tmp_path / "registry"))
    key = identity_hash("/data/logs", "/usr/bin/python3", ("--a",))
    instance = make_instance(registry, key, 4242)
    registry.write(key, instance, ServerState.RUNNING)
    assert registry.read(key) == (instance, ServerState.RUNNING)
    assert registry.records() == [(key, instance, ServerState.RUNNING)]
    # Removal is conditional on the pid, so a newer record survives.
    registry.remove(key, pid=1)
    assert registry.read(key) is not None
    registry.remove(key, pid=4242)
    assert registry.read(key) is None
    if os.name == "posix":
        # Mode bits say nothing on Windows (ACLs keep the cache private).
        assert oct(os.stat(registry.directory).st_mode & 0o777) == "0o700"


def test_concurrent_writers_never_expose_a_partial_record(tmp_path):
    registry = Registry(str(tmp_path / "registry"))
    key = identity_hash("/data/logs", "/usr/bin/python3", ("--a",))
    registry.write(key, make_instance(registry, key, 1), ServerState.STARTING)
    stop = threading.Event()
    seen = []

    def write(first_pid):
        pid = first_pid
        while not stop.is_set():
            registry.write(key, make_instance(registry, key, pid),
                           ServerState.RUNNING)
            pid += 2

    writers = [threading.Thread(target=write, args=(start,))
               for start in (2, 3)]
    for thread in writers:
        thread.start()
    try:
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            entry = registry.read(key)
            # None would mean the reader saw garbage and removed the record.
            assert entry is not None
            seen.append(entry[0].pid)
    finally:
        stop.set()
        for thread in writers:
            thread.join()
    assert len(set(seen)) > 1
    # No temporary file is left behind once writers are done.
    assert [name for name in os.listdir(registry.directory)
            if name.endswith(".tmp")] == []


def test_registry_dir_defaults_to_user_cache_and_env_overrides(
        tmp_path, monkeypatch):
    monkeypatch.delenv(REGISTRY_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    default = default_registry_dir()
    assert default.startswith(str(tmp_path / "cache"))
    assert "spyder-tblogs" in default
    monkeypatch.setenv(REGISTRY_ENV, str(tmp_path / "mine"))
    assert default_registry_dir() == str(tmp_path / "mine")


def test_log_is_cut_back_to_its_tail_and_appends_continue(tmp_path):
    path = str(tmp_path / "stderr.log")
    stream = tb_process.open_log(path)   # the child's end, O_APPEND
    try:
        line = b"x" * 99 + b"\n"
        for _ in range(tb_process.LOG_MAX_BYTES // len(line) + 100):
            stream.write(line)
        stream.write(b"last line before trim\n")
        tb_process.trim_log(path)
        size = os.path.getsize(path)
        keep = tb_process.LOG_KEEP_BYTES
        assert keep <= size < keep + 100
        stream.write(b"written after trim\n")
    finally:
        stream.close()
    assert os.path.getsize(path) == size + len(b"written after trim\n")
    assert tb_process.read_tail(path, lines=2).splitlines() == [
        "last line before trim", "written after trim"]
    # A file under the bound is left alone.
    tb_process.trim_log(path)
    assert os.path.getsize(path) == size + len(b"written after trim\n")
