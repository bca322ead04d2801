"""TensorBoardManager against real TensorBoard subprocesses on 127.0.0.1."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import warnings

import psutil
import pytest

from spyder_tblogs.tensorboard import (
    TensorBoardError, TensorBoardManager, TensorBoardSecurityWarning,
    find_interpreter)
from spyder_tblogs.tensorboard import process as tb_process
from spyder_tblogs.tensorboard.registry import identity_hash
from tb_helpers import (
    gone, is_killed_exit_code, kill, leftover_processes, served_runs,
    tree_pids, venv_python, writers)

FAST = ("--load_fast=false",)
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def indexed_run_names(logdir):
    """Run names as the log index finds them."""
    from spyder_tblogs.logs import LogIndex
    index = LogIndex(str(logdir))
    index.refresh()
    return [run.name for run in index.runs()]


def test_start_serves_exactly_the_runs_the_index_finds(
        manager, logdir, real_tensorflow):
    writers.write_tensorboard_events(str(logdir / "train"), graph=True)
    writers.write_tensorboard_events(str(logdir / "sweep" / "lr=0.1"),
                                     steps=5)
    # tensorboardX's add_hparams adds a timestamp-named subrun.
    writers.write_tensorboardx_events(str(logdir / "tbx"))
    expected = indexed_run_names(logdir)
    assert {"train", "sweep/lr=0.1", "tbx"} <= set(expected)
    assert len(expected) == 4

    instance = manager.start(str(logdir), extra_args=FAST, timeout=120)

    assert instance.reused is False
    assert instance.host == "127.0.0.1"
    assert instance.url == f"http://127.0.0.1:{instance.port}/"
    assert instance.logdir == os.path.realpath(logdir)
    assert instance.python == os.path.abspath(sys.executable)
    assert instance.startup_seconds > 0
    assert served_runs(instance, expected) == sorted(expected)
    assert psutil.Process(instance.pid).create_time() == pytest.approx(
        instance.create_time)
    assert set(instance.to_json()) == {
        "pid", "port", "host", "url", "logdir", "reused", "listening",
        "tensorflow", "extra_args", "default_args"}


def test_reuse_while_alive_returns_same_pid_quickly(manager, logdir):
    first = manager.start(str(logdir), extra_args=FAST)

    started = time.perf_counter()
    second = manager.start(str(logdir), extra_args=FAST)
    elapsed = time.perf_counter() - started

    assert second.reused is True and first.reused is False
    assert (second.pid, second.port) == (first.pid, first.port)
    # Not a speed target (that lives in bench/): only proof that nothing
    # was launched, which takes far longer than this.
    assert elapsed < first.startup_seconds
    # Another manager (another Spyder, the CLI) sees and reuses it too.
    other = TensorBoardManager(manager.registry.directory)
    assert other.start(str(logdir), extra_args=FAST).pid == first.pid
    assert other.find(str(logdir), extra_args=FAST).pid == first.pid
    assert [item.pid for item in other.list()] == [first.pid]
    # A different identity (other extra arguments) is another instance.
    third = manager.start(str(logdir), extra_args=FAST + ("--reload_interval",
                                                          "7"))
    assert third.pid != first.pid and third.reused is False
    assert sorted(item.pid for item in manager.list()) == sorted(
        [first.pid, third.pid])


def test_after_kill_9_start_gives_a_new_live_instance(manager, logdir):
    first = manager.start(str(logdir), extra_args=FAST)
    adopter = TensorBoardManager(manager.registry.directory)
    assert adopter.start(str(logdir), extra_args=FAST).reused is True

    kill(first.pid)

    # Watchers poll (the pane on a timer): the launcher learns the exit code,
    # an adopter only that it is gone.
    exited = []
    deadline = time.monotonic() + 10
    while not exited and time.monotonic() < deadline:
        time.sleep(0.05)
        exited = manager.poll_exited()
    assert not manager.is_alive(first)
    assert [item.pid for item, _, _ in exited] == [first.pid]
    assert is_killed_exit_code(exited[0][1]), exited[0][1]
    assert "TensorBoard" in exited[0][2]      # its stderr tail
    assert [(item.pid, code) for item, code, _ in adopter.poll_exited()] == [
        (first.pid, None)]
    assert manager.poll_exited() == []        # reported once

    second = manager.start(str(logdir), extra_args=FAST)
    assert second.reused is False
    assert second.pid != first.pid
    assert manager.is_alive(second)
    assert [item.pid for item in manager.list()] == [second.pid]


def test_record_with_recycled_pid_is_pruned_not_reused(manager, logdir):
    first = manager.start(str(logdir), extra_args=FAST)
    key = next(key for key, _, _ in manager.registry.records())
    instance, state = manager.registry.read(key)
    # Same pid, another creation time: what a recycled pid looks like.
    instance.create_time -= 1000.0
    manager.registry.write(key, instance, state)

    # The process behind the pid is not "ours" by that record: it is not
    # listed, not reused, and never signalled through the record.
    other = TensorBoardManager(manager.registry.directory)
    assert other.list() == []
    assert other.registry.records() == []
    assert other.stop(first.pid) == []
    fresh = other.start(str(logdir), extra_args=FAST)
    assert fresh.reused is False and fresh.pid != first.pid
    assert not gone(first.pid)

    # Its launcher still knows its own child and stops it on exit.
    assert manager.stop_started() == [first.pid]
    assert gone(first.pid) and not gone(fresh.pid)
    assert [item.pid for item in other.list()] == [fresh.pid]


def test_stop_terminates_the_whole_tree(manager, logdir):
    writers.write_tensorboard_events(str(logdir / "train"), steps=5)
    instance = manager.start(str(logdir), extra_args=("--load_fast=true",))
    # The Rust data server is a child of TensorBoard's Python process.
    deadline = time.monotonic() + 20
    while len(tree_pids(instance.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = tree_pids(instance.pid)
    assert len(pids) >= 2, "tensorboard-data-server did not start"

    stopped = manager.stop(instance)

    assert sorted(stopped) == sorted(pids)
    assert all(gone(pid) for pid in pids)
    assert leftover_processes(logdir) == []
    assert manager.registry.records() == []
    assert manager.list() == []
    assert manager.poll_exited() == []        # a stop is not a crash


def test_stop_started_stops_a_server_still_starting(manager, logdir):
    # Spyder closing while its worker thread waits for a server to answer:
    # the server must not outlive it.
    import threading

    outcome = {}

    def start():
        try:
            outcome["instance"] = manager.start(str(logdir), extra_args=FAST)
        except TensorBoardError as error:
            outcome["error"] = error

    thread = threading.Thread(target=start)
    thread.start()
    deadline = time.monotonic() + 30
    while not manager.registry.records() and time.monotonic() < deadline:
        time.sleep(0.01)
    records = manager.registry.records()
    assert records, "the launch was never recorded"
    pid = records[0][1].pid

    stopped = manager.stop_started(grace=2.0)
    thread.join(timeout=30)

    assert not thread.is_alive()
    assert pid in stopped and gone(pid)
    if "error" in outcome:
        assert "stopped while starting" in str(outcome["error"])
    else:
        # The server answered just before the stop: it is stopped all the same.
        assert outcome["instance"].pid == pid
    assert leftover_processes(logdir) == []
    assert manager.registry.records() == []
    assert manager.list() == []


def test_stop_by_pid_by_logdir_and_on_exit(manager, logdir, sandbox):
    other_logdir = sandbox / "other"
    other_logdir.mkdir()
    first = manager.start(str(logdir), extra_args=FAST)
    second = manager.start(str(logdir), extra_args=FAST + ("--reload_interval",
                                                           "9"))
    third = manager.start(str(other_logdir), extra_args=FAST)

    # A pid that is not a registered TensorBoard is never signalled.
    assert manager.stop(os.getpid()) == []
    assert manager.stop(str(sandbox / "nothing-here")) == []

    assert manager.stop(first.pid) == [first.pid]
    assert gone(first.pid) and not gone(second.pid)
    # A log directory stops every instance serving it, given as any path.
    assert manager.stop(f"{logdir}{os.sep}.{os.sep}") == [second.pid]
    assert gone(second.pid) and not gone(third.pid)

    # On Spyder's exit only what this manager launched is stopped.
    bystander = TensorBoardManager(manager.registry.directory)
    assert bystander.start(str(other_logdir), extra_args=FAST).reused
    assert bystander.stop_started() == []
    assert not gone(third.pid)
    assert manager.stop_started() == [third.pid]
    assert gone(third.pid)
    assert manager.registry.records() == []


def test_port_taken_between_choice_and_bind_is_retried(
        manager, logdir, monkeypatch):
    held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    held.bind(("127.0.0.1", 0))
    held.listen()
    held_port = held.getsockname()[1]
    chosen = []
    real_choose = tb_process.choose_free_port

    def choose_taken_port_first(host):
        # The first choice is a port someone else grabbed after the check.
        port = held_port if not chosen else real_choose(host)
        chosen.append(port)
        return port

    monkeypatch.setattr(tb_process, "choose_free_port",
                        choose_taken_port_first)
    try:
        instance = manager.start(str(logdir), extra_args=FAST)
    finally:
        held.close()

    assert chosen[0] == held_port and len(chosen) == 2
    assert instance.port == chosen[1] != held_port
    assert manager.is_alive(instance)


def test_explicit_port_in_use_is_a_clear_error(manager, logdir):
    held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    held.bind(("127.0.0.1", 0))
    held.listen()
    port = held.getsockname()[1]
    try:
        with pytest.raises(TensorBoardError) as caught:
            manager.start(str(logdir), port=port, extra_args=FAST)
    finally:
        held.close()
    assert f"port {port}" in caught.value.message
    assert "in use" in caught.value.message
    assert caught.value.command[caught.value.command.index("--port") + 1] \
        == str(port)
    assert manager.registry.records() == []


def test_interpreter_without_tensorboard(manager, logdir, sandbox):
    bare = sandbox / "bare env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)],
                   check=True, timeout=120)
    bare_python = venv_python(bare)

    with pytest.raises(TensorBoardError) as caught:
        manager.start(str(logdir), python=bare_python)
    assert "cannot run TensorBoard" in caught.value.message
    assert bare_python in caught.value.message
    assert caught.value.command == [bare_python, "-c", "import tensorboard"]
    assert "No module named 'tensorboard'" in caught.value.stderr_tail

    missing = str(sandbox / "no-such-python")
    with pytest.raises(TensorBoardError) as caught:
        manager.start(str(logdir), python=missing)
    assert caught.value.message == f"Python interpreter not found: {missing}"

    assert find_interpreter([missing, bare_python, sys.executable]) == \
        os.path.abspath(sys.executable)
    assert find_interpreter([missing, bare_python]) is None
    assert manager.registry.records() == []


def test_tensorboard_crashing_at_start_reports_stderr_and_command(
        manager, logdir):
    with pytest.raises(TensorBoardError) as caught:
        manager.start(str(logdir), extra_args=("--no_such_flag",))
    error = caught.value
    assert "exited at start (exit code 2)" in error.message
    assert "unrecognized arguments: --no_such_flag" in error.message
    assert "unrecognized arguments: --no_such_flag" in error.stderr_tail
    # The manager's own flags come after the extra ones (the last wins).
    assert error.command[4] == "--no_such_flag"
    assert error.command[-6:-1] == ["--logdir", str(logdir), "--host",
                                    "127.0.0.1", "--port"]
    # Through the TF-free launcher (the default), run by its path.
    assert error.command[:4] == [os.path.abspath(sys.executable), "-X",
                                 "spyder_tblogs_instance=" + identity_hash(
                                     os.path.realpath(logdir),
                                     os.path.abspath(sys.executable),
                                     ("--no_such_flag",)),
                                 tb_process.LAUNCHER_PATH]
    assert "--no_such_flag" in error.details()
    assert manager.registry.records() == []
    assert leftover_processes(logdir) == []


def test_server_not_answering_in_time_is_stopped(manager, logdir):
    with pytest.raises(TensorBoardError) as caught:
        manager.start(str(logdir), extra_args=FAST, timeout=0.2)
    assert "did not answer" in caught.value.message
    assert manager.registry.records() == []
    assert leftover_processes(logdir) == []


def test_bad_arguments_are_clear_errors(manager, sandbox, logdir):
    with pytest.raises(TensorBoardError, match="does not exist"):
        manager.start(str(sandbox / "missing"))
    afile = sandbox / "file.txt"
    afile.write_text("x", encoding="utf-8")
    with pytest.raises(TensorBoardError, match="not a directory"):
        manager.start(str(afile))
    with pytest.raises(TensorBoardError, match="--port is set by the manager"):
        manager.start(str(logdir), extra_args=("--port=6006",))
    with pytest.raises(TensorBoardError, match="--bind_all is set by"):
        manager.start(str(logdir), extra_args=("--bind_all",))
    with pytest.raises(TensorBoardError, match="out of range"):
        manager.start(str(logdir), port=70000)
    assert leftover_processes(logdir) == []


def test_non_loopback_host_needs_opt_in_and_warns(manager, logdir):
    held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    held.bind(("0.0.0.0", 0))
    held.listen()
    port = held.getsockname()[1]
    try:
        # The port is taken so nothing actually listens on the network.
        with pytest.warns(TensorBoardSecurityWarning, match="network"):
            with pytest.raises(TensorBoardError, match="in use"):
                manager.start(str(logdir), host="0.0.0.0", port=port)
    finally:
        held.close()
    # The default is loopback and says nothing.
    with warnings.catch_warnings():
        warnings.simplefilter("error", TensorBoardSecurityWarning)
        instance = manager.start(str(logdir), extra_args=FAST)
    assert instance.host == "127.0.0.1"
    assert [conn.laddr.ip for conn in psutil.Process(instance.pid)
            .net_connections(kind="inet")
            if conn.status == psutil.CONN_LISTEN] == ["127.0.0.1"]


def test_garbage_registry_files_are_ignored(manager, logdir):
    registry = manager.registry.directory
    garbage = {
        "tb-0000.json": b"\x00\xffnot json",
        "tb-0001.json": json.dumps({"version": 1, "state": "running",
                                    "instance": {"pid": "x"}}).encode(),
        "tb-0002.json": b"[1, 2, 3]",
        "tb-0003.json": b"",
    }
    for name, data in garbage.items():
        with open(os.path.join(registry, name), "wb") as stream:
            stream.write(data)
    unrelated = os.path.join(registry, "notes.txt")
    with open(unrelated, "w", encoding="utf-8") as stream:
        stream.write("not ours to delete")

    assert manager.list() == []
    instance = manager.start(str(logdir), extra_args=FAST)
    assert [item.pid for item in manager.list()] == [instance.pid]
    names = os.listdir(registry)
    assert not set(garbage) & set(names)
    assert "notes.txt" in names
    assert len(manager.registry.records()) == 1


def test_logdir_with_spaces_and_non_ascii(manager, sandbox):
    logdir = sandbox / "my runs ü 日本"
    writers.write_tensorboard_events(str(logdir / "réseau 1"), steps=5)
    expected = indexed_run_names(logdir)
    assert expected == ["réseau 1"]
    instance = manager.start(str(logdir), extra_args=FAST)
    assert instance.logdir == os.path.realpath(logdir)
    assert served_runs(instance, expected) == expected
    assert manager.start(str(logdir), extra_args=FAST).reused is True
    assert manager.stop(str(logdir)) == [instance.pid]
    assert gone(instance.pid)
