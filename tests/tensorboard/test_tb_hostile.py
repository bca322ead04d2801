"""Hostile and unlucky inputs to the TensorBoard floor (issue 9).

Each test feeds one bad input to the real CLI or manager, with real
TensorBoard processes on 127.0.0.1, and checks both the outcome a user sees
and that the input itself (files, directories, processes) is left as it was.
"""

import json
import os
import signal
import stat
import subprocess
import sys
import time

import psutil
import pytest

from spyder_tblogs.tensorboard import (
    ServerState, TensorBoardError, TensorBoardManager, check_extra_args)
from spyder_tblogs.tensorboard import process as tb_process
from spyder_tblogs.tensorboard.registry import identity_hash
from tb_helpers import (
    gone, leftover_processes, run_cli, symlink_or_skip, tree_bytes, writers)

FAST = ("--load_fast=false",)
POSIX_ONLY = pytest.mark.skipif(os.name != "posix",
                                reason="POSIX modes, FIFOs and signals")


def assert_one_line_error(result, code=1):
    assert result.returncode == code, result
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "error: " in lines[0]
    assert "Traceback" not in result.stderr
    return lines[0]


def write_logs(logdir):
    writers.write_tensorboard_events(str(logdir / "train"), steps=5)
    return tree_bytes(logdir)


# --- item 2: reserved flags cannot be smuggled -------------------------------

def test_abbreviated_reserved_flags_are_refused_naming_the_flag(sandbox):
    logdir = sandbox / "logs"
    before = write_logs(logdir)
    flagfile = sandbox / "flags.txt"
    flagfile.write_bytes(b"--host=0.0.0.0\n")
    attempts = {
        ("--hos=0.0.0.0",): "--host",
        ("--ho", "::"): "--host",
        ("--bind",): "--bind_all",
        ("--logdir_s=x:/tmp",): "--logdir_spec",
        ("--po", "1"): "--port",
        ("--port=6006",): "--port",
        (f"--flagfile={flagfile}",): "--flagfile",
        ("-flagfile", str(flagfile)): "-flagfile",
    }
    for extra, flag in attempts.items():
        result = run_cli("tensorboard", "start", str(logdir), "--", *extra)
        line = assert_one_line_error(result)
        assert flag in line, (extra, line)
    # An abbreviation TensorBoard would find ambiguous names every reserved
    # flag it could be.
    with pytest.raises(TensorBoardError, match="--logdir or --logdir_spec"):
        check_extra_args(["--logd", "x"])
    # Flags that merely look alike go through.
    assert check_extra_args(["--log_dir=x", "--load_fast=false", "--path_pr",
                             "-v", "1"]) == (
        "--log_dir=x", "--load_fast=false", "--path_pr", "-v", "1")
    # A bare "--" would turn the manager's flags, which follow, into words.
    with pytest.raises(TensorBoardError, match="bare --"):
        check_extra_args(["--load_fast=false", "--"])
    assert leftover_processes(sandbox) == []
    assert os.listdir(sandbox / "registry") == []
    assert tree_bytes(logdir) == before
    assert flagfile.read_bytes() == b"--host=0.0.0.0\n"


_PARSER_ORACLE = r"""
import contextlib, io, json, sys, importlib.abc

class NoTensorFlow(importlib.abc.MetaPathFinder):
    # Flags do not depend on TensorFlow; importing it takes seconds.
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "tensorflow":
            raise ImportError("not needed to build the parser")

sys.meta_path.insert(0, NoTensorFlow())
from absl.flags import argparse_flags
from tensorboard import default, program

tensorboard = program.TensorBoard(plugins=default.get_plugins(),
                                  assets_zip_provider=lambda: None)
parser = argparse_flags.ArgumentParser(prog="tensorboard")
for loader in tensorboard.plugin_loaders:
    loader.define_flags(parser)
reserved = json.loads(sys.argv[1])
unset = object()
parser.set_defaults(**{flag[2:]: unset for flag in reserved})
landed = {}
for arg in json.loads(sys.argv[2]):
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            namespace, _ = parser.parse_known_args([arg, "1"])
    except SystemExit:
        landed[arg] = "error"
        continue
    landed[arg] = [flag for flag in reserved
                   if getattr(namespace, flag[2:], unset) is not unset]
options = sorted(option for action in parser._actions
                 for option in action.option_strings)
print(json.dumps({"landed": landed, "options": options}))
"""


def test_reserved_flag_rule_matches_tensorboards_own_parser(sandbox):
    from spyder_tblogs.tensorboard.arguments import RESERVED_FLAGS

    candidates = sorted({flag[:length] + suffix
                         for flag in RESERVED_FLAGS
                         for length in range(3, len(flag) + 1)
                         for suffix in ("", "=1")})
    result = subprocess.run(
        [sys.executable, "-c", _PARSER_ORACLE, json.dumps(RESERVED_FLAGS),
         json.dumps(candidates)],
        capture_output=True, text=True, timeout=120, check=True)
    oracle = json.loads(result.stdout)

    # Every reserved flag is a real TensorBoard flag ...
    assert set(RESERVED_FLAGS) <= set(oracle["options"])
    for arg, landed in oracle["landed"].items():
        try:
            check_extra_args([arg])
            refused = False
        except TensorBoardError:
            refused = True
        # ... whatever TensorBoard reads as a reserved flag is refused, and
        # what is refused either lands there or TensorBoard rejects anyway.
        assert refused, (arg, landed)
        assert landed == "error" or landed, (arg, landed)
    # No other TensorBoard flag is refused.
    for option in oracle["options"]:
        if option not in RESERVED_FLAGS:
            assert check_extra_args([option]) == (option,)


def test_server_listening_off_loopback_is_stopped_with_the_reason(
        manager, sandbox):
    logdir = sandbox / "logs"
    before = write_logs(logdir)
    # TensorBoard itself binds 127.0.0.1; this flag makes its Rust data
    # server bind every interface.
    exposing = ("--load_fast=true", "--extra_data_server_flags=--host=0.0.0.0")

    with pytest.raises(TensorBoardError) as caught:
        manager.start(str(logdir), extra_args=exposing, timeout=120)

    message = caught.value.message
    assert "0.0.0.0:" in message and "stopped" in message, message
    assert "--extra_data_server_flags" in message
    assert leftover_processes(sandbox) == []
    assert manager.registry.records() == []
    assert tree_bytes(logdir) == before
    # The CLI says the same in one line.
    line = assert_one_line_error(run_cli("tensorboard", "start", str(logdir),
                                         "--", *exposing))
    assert "0.0.0.0:" in line
    assert leftover_processes(sandbox) == []


def test_listen_addresses_of_server_and_data_server_are_reported(
        manager, sandbox):
    logdir = sandbox / "logs"
    write_logs(logdir)
    instance = manager.start(str(logdir), extra_args=("--load_fast=true",),
                             timeout=120)
    try:
        tree = [psutil.Process(instance.pid)] + \
            psutil.Process(instance.pid).children(recursive=True)
        from_os = sorted(
            (conn.laddr.ip, conn.laddr.port) for member in tree
            for conn in member.net_connections(kind="inet")
            if conn.status == psutil.CONN_LISTEN)
        assert len(from_os) >= 2, "the data server does not listen"
        expected = sorted(
            f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
            for ip, port in from_os)
        assert list(instance.listening) == expected
        assert f"127.0.0.1:{instance.port}" in instance.listening
        listed = run_cli("tensorboard", "list", "--json")
        assert json.loads(listed.stdout)[0]["listening"] == expected
    finally:
        manager.stop(instance)
    assert leftover_processes(sandbox) == []


# --- item 5: registry records prove themselves -------------------------------

def forge_record(manager, instance, **changes):
    """Write ``instance`` with ``changes`` as a valid-looking record."""
    for name, value in changes.items():
        setattr(instance, name, value)
    key = identity_hash(instance.logdir, instance.python, instance.extra_args)
    instance.stdout_log, instance.stderr_log = manager.registry.log_paths(key)
    manager.registry.write(key, instance, ServerState.RUNNING)
    return key


def test_record_of_an_unrelated_process_never_signals_it(manager, sandbox):
    logdir = sandbox / "logs"
    other_logdir = sandbox / "other"
    other_logdir.mkdir()
    write_logs(logdir)
    real = manager.start(str(other_logdir), extra_args=FAST)
    # A process that is no TensorBoard but even names the log directory.
    stranger = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)", "--logdir",
         str(logdir)])
    try:
        created = psutil.Process(stranger.pid).create_time()
        forge_record(manager, dataclass_copy(real), pid=stranger.pid,
                     create_time=created, logdir=str(logdir))
        # The real server launched for another log directory, claimed for
        # this one.
        forge_record(manager, dataclass_copy(real), logdir=str(logdir),
                     extra_args=("--reload_interval=7",))

        stop_pid = run_cli("tensorboard", "stop", str(stranger.pid))
        assert "no running TensorBoard registered" in \
            assert_one_line_error(stop_pid)
        assert_one_line_error(run_cli("tensorboard", "stop", str(logdir)))
        assert stranger.poll() is None and psutil.Process(
            stranger.pid).create_time() == created
        other = TensorBoardManager(manager.registry.directory)
        assert [item.pid for item in other.list()] == [real.pid]
        assert not gone(real.pid)
    finally:
        stranger.kill()
        stranger.wait()
        manager.stop(real)
    assert leftover_processes(sandbox) == []


def dataclass_copy(instance):
    import dataclasses
    return dataclasses.replace(instance)


def test_record_naming_a_log_outside_the_registry_is_never_written(
        manager, sandbox):
    logdir = sandbox / "logs"
    write_logs(logdir)
    outside = sandbox / "precious.txt"
    # Past the size at which the manager cuts its own logs back.
    outside.write_bytes(b"keep me\n" * (tb_process.LOG_MAX_BYTES // 4))
    before = outside.read_bytes()
    # A symlink where the next launch will put its output.
    key = identity_hash(os.path.realpath(logdir),
                        os.path.abspath(sys.executable), FAST)
    planted = manager.registry.log_paths(key)[0]
    symlink_or_skip(outside, planted)
    instance = manager.start(str(logdir), extra_args=FAST)
    try:
        assert stat.S_ISREG(os.lstat(planted).st_mode)
        assert outside.read_bytes() == before
        record_path = manager.registry.record_path(key)
        with open(record_path, "rb") as stream:
            record = json.load(stream)
        record["instance"]["stdout_log"] = str(outside)
        with open(record_path, "w", encoding="utf-8") as stream:
            json.dump(record, stream)
        run_cli("tensorboard", "list")
        TensorBoardManager(manager.registry.directory).list()
        assert outside.read_bytes() == before

        # A log file of the registry swapped for a symlink to it.
        manager.registry.write(key, instance, ServerState.RUNNING)
        os.remove(instance.stderr_log)
        symlink_or_skip(outside, instance.stderr_log)
        assert [item.pid for item in TensorBoardManager(
            manager.registry.directory).list()] == [instance.pid]
        manager.poll_exited()
        assert outside.read_bytes() == before
    finally:
        assert manager.stop_started() == [instance.pid]
    assert leftover_processes(sandbox) == []


@POSIX_ONLY
def test_fifo_and_directory_named_like_records_do_not_hang_list(sandbox):
    registry = sandbox / "registry"
    registry.mkdir(mode=0o700)
    fifo = registry / "tb-0123456789abcdef01234567.json"
    os.mkfifo(fifo, 0o600)
    (registry / "tb-fedcba9876543210fedcba98.json").mkdir()
    os.mkfifo(registry / "tb-fedcba9876543210fedcba98.stderr.log", 0o600)

    started = time.monotonic()
    listed = run_cli("tensorboard", "list", "--json", timeout=30)
    stopped = run_cli("tensorboard", "stop", "--all", timeout=30)

    assert time.monotonic() - started < 20
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []
    assert stopped.stdout == "stopped 0 process(es)\n"
    # Skipped, neither read nor removed.
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert (registry / "tb-fedcba9876543210fedcba98.json").is_dir()


@POSIX_ONLY
@pytest.mark.parametrize("mode", [0o777, 0o770, 0o1777])
def test_registry_directory_others_can_write_is_refused(sandbox, mode):
    registry = sandbox / "registry"
    registry.mkdir()
    os.chmod(registry, mode)
    logdir = sandbox / "logs"
    before = write_logs(logdir)

    for args in (("list",), ("start", str(logdir)), ("stop", "--all")):
        line = assert_one_line_error(run_cli("tensorboard", *args))
        assert "writable by other users" in line and str(registry) in line
    with pytest.raises(TensorBoardError, match="writable by other users"):
        TensorBoardManager(str(registry))

    assert stat.S_IMODE(os.stat(registry).st_mode) == mode
    assert os.listdir(registry) == []
    assert tree_bytes(logdir) == before
    assert leftover_processes(sandbox) == []


# --- numbers and interruptions -----------------------------------------------

def test_numeric_options_must_be_finite_and_positive(sandbox):
    logdir = sandbox / "logs"
    before = write_logs(logdir)
    bad = [("--timeout", value) for value in ("nan", "inf", "-inf", "-1",
                                              "0", "1e999", "soon")]
    bad += [("--port", value) for value in ("0", "-1", "65536", "nan", "x")]
    for option, value in bad:
        result = run_cli("tensorboard", "start", str(logdir),
                         f"{option}={value}")
        line = assert_one_line_error(result, code=2)
        assert f"argument {option}" in line and repr(value) in line, line
    manager = TensorBoardManager(str(sandbox / "registry"))
    for value in (float("nan"), float("inf"), -1.0, 0, True, "soon"):
        with pytest.raises(TensorBoardError, match="timeout"):
            manager.start(str(logdir), extra_args=FAST, timeout=value)
    assert leftover_processes(sandbox) == []
    assert manager.registry.records() == []
    assert tree_bytes(logdir) == before


@POSIX_ONLY
def test_ctrl_c_during_start_leaves_no_hidden_server(sandbox, monkeypatch):
    # A TensorFlow whose import takes long keeps TensorBoard starting.
    slow = sandbox / "slow-tensorflow"
    (slow / "tensorflow").mkdir(parents=True)
    (slow / "tensorflow" / "__init__.py").write_text(
        "import time\ntime.sleep(60)\nraise ImportError('slow')\n",
        encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(slow))
    logdir = sandbox / "logs"
    before = write_logs(logdir)
    registry = sandbox / "registry"

    starter = subprocess.Popen(
        [sys.executable, "-m", "spyder_tblogs", "tensorboard", "start",
         str(logdir), "--", *FAST],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        servers = []
        while not servers and time.monotonic() < deadline:
            time.sleep(0.05)
            servers = [process for process in leftover_processes(logdir)
                       if process.pid != starter.pid]
        assert servers, "TensorBoard was never launched"
        starter.send_signal(signal.SIGINT)
        stdout, stderr = starter.communicate(timeout=60)
    finally:
        if starter.poll() is None:
            starter.kill()
            starter.wait()

    assert starter.returncode == 130, stderr
    assert stderr == "interrupted\n" and stdout == ""
    assert all(gone(process.pid) for process in servers)
    assert leftover_processes(sandbox) == []
    assert json.loads(run_cli("tensorboard", "list", "--json").stdout) == []
    assert [name for name in os.listdir(registry)
            if name.endswith(".json")] == []
    assert tree_bytes(logdir) == before
