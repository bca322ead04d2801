"""Issue 14 on the TensorBoard floor: what Windows and macOS do differently.

Tests use real processes, files and sockets wherever the behaviour exists on
the machine running them. Where a Windows-only condition must be simulated
on Linux (a file another process holds, WinError 10013), the test says so.
"""

import ast
import errno
import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import psutil
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spyder_tblogs.tensorboard import (
    ServerState, TensorBoardError, split_extra_args)
from spyder_tblogs.tensorboard import process as tb_process
from spyder_tblogs.tensorboard import registry as tb_registry
from spyder_tblogs.tensorboard import windows as tb_windows
from spyder_tblogs.tensorboard.registry import Registry, identity_hash
from tb_helpers import leftover_processes, run_cli, writers

FAST = ("--load_fast=false",)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def write_logs(logdir):
    writers.write_tensorboard_events(str(logdir / "run"), steps=3)


def tensorboard_servers(root):
    """Live TensorBoard servers (launch marker on their command line) whose
    command line mentions ``root``."""
    return [process for process in leftover_processes(root)
            if any(tb_process.LAUNCH_MARKER in arg
                   for arg in process.cmdline())]


def start_holder(script, *args):
    """Run ``script`` in a child that prints a line once it holds what it
    holds, and lets go when its stdin closes."""
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        cwd=ROOT)
    line = holder.stdout.readline()
    assert line.strip() == "held", line
    return holder


def release(holder):
    holder.stdin.close()
    holder.wait(timeout=60)


# --- item 2: the start lock, held by another process ------------------------

_HOLD_LOCK = """
    import sys
    import filelock
    lock = filelock.FileLock(sys.argv[1])
    lock.acquire()
    print("held", flush=True)
    sys.stdin.read()
    lock.release()
"""


def test_start_waits_for_a_lock_another_process_holds(sandbox):
    logdir = sandbox / "logs"
    write_logs(logdir)
    registry = Registry(str(sandbox / "registry"))
    key = identity_hash(os.path.realpath(logdir),
                        os.path.abspath(sys.executable), FAST)
    lock_path = os.path.join(registry.directory, f"tb-{key}.lock")
    holder = start_holder(_HOLD_LOCK, lock_path)
    try:
        started = time.monotonic()
        result = run_cli("tensorboard", "start", str(logdir), "--timeout",
                         "2", "--", *FAST)
        waited = time.monotonic() - started
        # It waited out its timeout for the lock, then gave up, clearly,
        # having launched nothing.
        assert waited >= 2
        assert result.returncode == 1
        assert result.stderr.strip() == (
            f"error: another process is still starting TensorBoard for "
            f"{os.path.realpath(logdir)}; try again later")
        assert tensorboard_servers(sandbox) == []
        assert registry.records() == []
    finally:
        release(holder)
    # Released: the same start goes through.
    result = run_cli("tensorboard", "start", str(logdir), "--json", "--",
                     *FAST)
    assert result.returncode == 0, result.stderr
    assert len(tensorboard_servers(sandbox)) == 1
    assert run_cli("tensorboard", "stop", "--all").returncode == 0
    assert tensorboard_servers(sandbox) == []


# A start that holds the lock for a while after its server answers (its
# wait for readiness slowed down), printing when it starts waiting, the time
# just before it lets go of the lock, and its server's pid.
_SLOW_START = """
    import sys, time
    from spyder_tblogs.tensorboard import TensorBoardManager
    from spyder_tblogs.tensorboard import launch
    real_wait = launch.wait_ready
    def slow_wait(*args):
        real_wait(*args)
        print("held", flush=True)
        time.sleep(3)
        print(time.time(), flush=True)
    launch.wait_ready = slow_wait
    instance = TensorBoardManager(sys.argv[1]).start(
        sys.argv[2], extra_args=("--load_fast=false",))
    print(instance.pid, flush=True)
    sys.stdin.read()
"""


def test_a_second_start_reuses_the_server_of_the_start_holding_the_lock(
        sandbox):
    logdir = sandbox / "logs"
    write_logs(logdir)
    holder = start_holder(_SLOW_START, str(sandbox / "registry"), str(logdir))
    try:
        second = run_cli("tensorboard", "start", str(logdir), "--json", "--",
                         *FAST)
        finished = time.time()
        released = holder.stdout.readline()
        pid = holder.stdout.readline()
        assert second.returncode == 0, second.stderr
        answer = json.loads(second.stdout)
        # It waited for the lock, then found the first start's server.
        assert finished >= float(released)
        assert answer["reused"] is True and answer["pid"] == int(pid)
        assert [server.pid for server in tensorboard_servers(sandbox)] == [
            int(pid)]
    finally:
        release(holder)
        run_cli("tensorboard", "stop", "--all")
    assert tensorboard_servers(sandbox) == []


# --- item 3: records held by someone else for a moment ----------------------
# Windows refuses to open or replace a file another process (a reader, a
# virus scanner) holds, with PermissionError (WinError 5/32), for as long as
# it holds it. Linux has no such condition (and root reads any mode), so
# these tests simulate it by making the operation raise PermissionError.

def make_record(registry, pid=4242):
    key = identity_hash("/data/logs", sys.executable, FAST)
    from spyder_tblogs.tensorboard import TensorBoardInstance
    stdout_log, stderr_log = registry.log_paths(key)
    instance = TensorBoardInstance(
        pid=pid, port=6006, host="127.0.0.1", url="http://127.0.0.1:6006/",
        logdir="/data/logs", python=sys.executable, extra_args=FAST,
        create_time=1.0, started_at=1.0, startup_seconds=0.5, reused=False,
        stdout_log=stdout_log, stderr_log=stderr_log)
    registry.write(key, instance, ServerState.RUNNING)
    return key, instance


def failing(real, failures):
    """Wrap ``real`` so its first ``failures`` calls raise PermissionError
    (simulation of a Windows sharing violation, see above)."""
    calls = []

    def operation(*args, **kwargs):
        calls.append(args)
        if len(calls) <= failures:
            raise PermissionError(errno.EACCES, "Access is denied", args[0])
        return real(*args, **kwargs)
    operation.calls = calls
    return operation


def test_record_held_for_a_moment_is_read_after_retries(tmp_path,
                                                        monkeypatch):
    registry = Registry(str(tmp_path / "registry"))
    key, instance = make_record(registry)
    reader = failing(tb_registry.read_regular, 3)
    monkeypatch.setattr(tb_registry, "read_regular", reader)
    assert registry.read(key) == (instance, ServerState.RUNNING)
    assert len(reader.calls) == 4


def test_record_held_longer_is_skipped_never_deleted(tmp_path, monkeypatch):
    registry = Registry(str(tmp_path / "registry"))
    key, instance = make_record(registry)
    monkeypatch.setattr(tb_registry, "read_regular",
                        failing(tb_registry.read_regular, 1000))
    assert registry.read(key) is None
    assert registry.records() == []
    # A server whose record cannot be read right now keeps it.
    assert os.path.exists(registry.record_path(key))
    monkeypatch.undo()
    assert registry.read(key) == (instance, ServerState.RUNNING)


def test_record_whose_content_does_not_parse_is_deleted(tmp_path):
    registry = Registry(str(tmp_path / "registry"))
    key, _ = make_record(registry)
    with open(registry.record_path(key), "wb") as stream:
        stream.write(b'{"version": 1, "instance": {"pid": ')
    assert registry.read(key) is None
    assert not os.path.exists(registry.record_path(key))


def test_record_replace_is_retried_while_the_target_is_held(tmp_path,
                                                            monkeypatch):
    registry = Registry(str(tmp_path / "registry"))
    key, instance = make_record(registry)
    replace = failing(os.replace, 4)
    monkeypatch.setattr(tb_registry.os, "replace", replace)
    registry.write(key, instance, ServerState.STARTING)
    monkeypatch.undo()
    assert len(replace.calls) == 5
    assert registry.read(key) == (instance, ServerState.STARTING)
    assert [name for name in os.listdir(registry.directory)
            if name.endswith(".tmp")] == []


def test_record_replace_that_keeps_failing_is_a_clear_error(tmp_path,
                                                            monkeypatch):
    registry = Registry(str(tmp_path / "registry"))
    key, instance = make_record(registry)
    monkeypatch.setattr(tb_registry.os, "replace",
                        failing(os.replace, 1000))
    with pytest.raises(TensorBoardError) as caught:
        registry.write(key, instance, ServerState.STARTING)
    monkeypatch.undo()
    assert caught.value.message.startswith(
        f"cannot write the TensorBoard record {registry.record_path(key)}: ")
    # The old record stands, and no temporary file is left behind.
    assert registry.read(key) == (instance, ServerState.RUNNING)
    assert [name for name in os.listdir(registry.directory)
            if name.endswith(".tmp")] == []


# --- item 4: ports ----------------------------------------------------------

def test_fixed_port_someone_listens_on_is_refused_by_the_cli(sandbox):
    logdir = sandbox / "logs"
    write_logs(logdir)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        assert tb_process.port_problem("127.0.0.1", port) == (
            f"port {port} on 127.0.0.1 is already in use; choose another "
            f"port or leave it unset")
        result = run_cli("tensorboard", "start", str(logdir), "--port",
                         str(port), "--", *FAST)
    assert result.returncode == 1
    assert result.stderr == (f"error: port {port} on 127.0.0.1 is already "
                             f"in use; choose another port or leave it "
                             f"unset\n")
    assert "Traceback" not in result.stderr
    assert tensorboard_servers(sandbox) == []


def test_address_this_machine_does_not_have_is_a_clear_error(sandbox):
    logdir = sandbox / "logs"
    write_logs(logdir)
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): no interface has it.
    for port_args in ((), ("--port", "6006")):
        result = run_cli("tensorboard", "start", str(logdir), "--host",
                         "192.0.2.1", *port_args)
        assert result.returncode == 1
        assert result.stderr.splitlines()[-1] == (
            "error: cannot listen on 192.0.2.1: no network interface of "
            "this machine has that address")
    assert tensorboard_servers(sandbox) == []


def test_windows_binds_exclusively():
    assert tb_windows.exclusive_bind_option("linux") == (
        socket.SOL_SOCKET, socket.SO_REUSEADDR)
    level, option = tb_windows.exclusive_bind_option("win32")
    assert level == socket.SOL_SOCKET
    assert option == getattr(socket, "SO_EXCLUSIVEADDRUSE", -5)
    assert option != socket.SO_REUSEADDR


def test_port_windows_reserves_is_a_clear_message():
    # WinError 10013 cannot happen on Linux: the error is built as Windows
    # raises it (errno and winerror both WSAEACCES).
    error = PermissionError(13, "An attempt was made to access a socket in "
                                "a way forbidden by its access permissions")
    error.winerror = tb_windows.WSAEACCES
    message = tb_windows.bind_problem(error, "127.0.0.1", 6006)
    assert message.startswith("port 6006 on 127.0.0.1 cannot be used: "
                              "Windows reserves it")
    assert "excludedportrange" in message
    in_use = OSError(errno.EADDRINUSE, "in use")
    assert tb_windows.bind_problem(in_use, "127.0.0.1", 6006) == ""


# --- smaller items ----------------------------------------------------------

@given(st.lists(st.text(alphabet='ab \t\\"C:/.-=ü', max_size=12),
                max_size=6))
@settings(max_examples=300, deadline=None)
def test_windows_split_reverses_what_windows_quoting_writes(args):
    line = subprocess.list2cmdline(args)
    assert tb_windows.split_args(line, "win32") == args


def test_windows_split_keeps_backslashes_of_paths():
    line = (r'--samples_per_plugin images=5 --path_prefix C:\logs\run '
            r'"D:\my runs\x\\"')
    assert tb_windows.split_args(line, "win32") == [
        "--samples_per_plugin", "images=5", "--path_prefix",
        r"C:\logs\run", "D:\\my runs\\x\\"]
    # What POSIX rules would have made of the same path.
    assert tb_windows.split_args(r"C:\logs\run", "linux") == ["C:logsrun"]
    with pytest.raises(ValueError, match="No closing quotation"):
        tb_windows.split_args('--x "C:\\open', "win32")
    with pytest.raises(ValueError, match="No closing quotation"):
        tb_windows.split_args('--x "open', "linux")
    assert tb_windows.split_args("  ", "win32") == []
    assert split_extra_args(r"--path_prefix C:\logs") == (
        ["--path_prefix", r"C:\logs"] if sys.platform == "win32" else
        ["--path_prefix", "C:logs"])


def _subprocess_calls(path):
    """Yield ``(line, keyword names)`` of every subprocess.run/Popen call."""
    with open(path, encoding="utf-8") as stream:
        tree = ast.parse(stream.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and \
                isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("run", "Popen", "call", "check_call",
                                   "check_output") and \
                isinstance(node.func.value, ast.Name) and \
                node.func.value.id == "subprocess":
            yield node.lineno, node.keywords


def test_every_child_gets_no_console_window_on_windows():
    flags = tb_windows.child_kwargs("win32")["creationflags"]
    assert flags & tb_windows.CREATE_NO_WINDOW
    assert tb_windows.server_kwargs("win32")["creationflags"] & \
        tb_windows.CREATE_NO_WINDOW
    assert tb_windows.child_kwargs("linux") == {}
    assert tb_windows.server_kwargs("darwin") == {"start_new_session": True}
    package = os.path.join(ROOT, "spyder_tblogs")
    # Every module of the two floors that start processes (the reader's
    # and the export's worker processes are started in logs/).
    files = [os.path.join(package, floor, name)
             for floor in ("tensorboard", "logs")
             for name in os.listdir(os.path.join(package, floor))
             if name.endswith(".py")]
    checked = 0
    for path in files:
        for line, keywords in _subprocess_calls(path):
            # creationflags=..., or **child_kwargs()/**server_kwargs().
            assert any(keyword.arg == "creationflags" or (
                keyword.arg is None and "kwargs" in ast.unparse(
                    keyword.value)) for keyword in keywords), (path, line)
            checked += 1
    assert checked >= 4


def test_child_keeps_appending_at_the_end_after_the_log_is_trimmed(tmp_path):
    path = str(tmp_path / "child.log")
    line = "x" * 99
    # A real child writing to the log the way TensorBoard does: its stdout
    # is the log, opened by open_log.
    script = textwrap.dedent(f"""
        import sys
        for _ in range({tb_process.LOG_MAX_BYTES // 100 + 50}):
            print({line!r})
        sys.stdout.flush()
        sys.stdin.readline()
        print("after trim", flush=True)
    """)
    with tb_process.open_log(path) as log:
        child = subprocess.Popen(
            [sys.executable, "-c", script], stdin=subprocess.PIPE,
            stdout=log, **tb_windows.child_kwargs())
    try:
        deadline = time.monotonic() + 30
        while os.path.getsize(path) <= tb_process.LOG_MAX_BYTES and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        tb_process.trim_log(path)
        trimmed = os.path.getsize(path)
        assert trimmed < tb_process.LOG_MAX_BYTES
        child.communicate(b"\n", timeout=30)
    finally:
        if child.poll() is None:
            psutil.Process(child.pid).kill()
            child.wait(timeout=10)
    with open(path, "rb") as stream:
        data = stream.read()
    # At the new end: no hole of NUL bytes up to the child's old offset.
    assert len(data) == trimmed + len(b"after trim" + os.linesep.encode())
    assert b"\0" not in data
    assert data.endswith(b"after trim" + os.linesep.encode())
