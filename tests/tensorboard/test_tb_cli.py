"""``python -m spyder_tblogs tensorboard ...`` in subprocesses.

The sandbox fixture exports ``$SPYDER_TBLOGS_REGISTRY``, so every CLI call of
a test shares one isolated registry, as successive calls by a user share the
default one.
"""

import json
import os

import psutil

from tb_helpers import gone, leftover_processes, run_cli, writers

JSON_TYPES = {"pid": int, "port": int, "host": str, "url": str, "logdir": str,
              "reused": bool, "listening": list, "tensorflow": str,
              "extra_args": list, "default_args": list}


def assert_one_line_error(result):
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr


def test_start_list_reuse_stop(sandbox):
    logdir = sandbox / "run logs ü"
    writers.write_tensorboard_events(str(logdir / "train"), steps=5)

    started = run_cli("tensorboard", "start", str(logdir), "--json", "--",
                      "--load_fast=false")
    assert started.returncode == 0, started.stderr
    info = json.loads(started.stdout)
    assert {key: type(value) for key, value in info.items()} == JSON_TYPES
    assert info["reused"] is False
    assert info["host"] == "127.0.0.1"
    assert info["url"] == f"http://127.0.0.1:{info['port']}/"
    assert info["logdir"] == os.path.realpath(logdir)
    # Launched without TensorFlow's weight (the default).
    assert info["tensorflow"] == "skipped"
    assert info["extra_args"] == ["--load_fast=false"]
    assert info["default_args"] == []
    # Where it really listens, read from the OS (no data server here).
    assert info["listening"] == [f"127.0.0.1:{info['port']}"]
    # The CLI has exited; the server keeps running on its own.
    assert not gone(info["pid"])
    assert psutil.Process(info["pid"]).ppid() != os.getpid()

    # A second call sees it ...
    listed = run_cli("tensorboard", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == [dict(info)]
    plain = run_cli("tensorboard", "list")
    assert plain.stdout.split("\t")[:4] == [
        str(info["pid"]), info["url"],
        f"listening on 127.0.0.1:{info['port']}", "tensorflow skipped"]
    # ... and reuses it (same identity: same interpreter and extra args).
    again = run_cli("tensorboard", "start", str(logdir), "--json", "--",
                    "--load_fast=false")
    assert json.loads(again.stdout) == dict(info, reused=True)
    url_only = run_cli("tensorboard", "start", str(logdir), "--",
                       "--load_fast=false")
    assert url_only.stdout == info["url"] + "\n"

    stopped = run_cli("tensorboard", "stop", str(info["pid"]))
    assert stopped.returncode == 0, stopped.stderr
    assert gone(info["pid"])
    assert json.loads(run_cli("tensorboard", "list", "--json").stdout) == []
    assert_one_line_error(run_cli("tensorboard", "stop", str(info["pid"])))


def test_stop_by_logdir_and_all(sandbox):
    first_dir = sandbox / "first"
    second_dir = sandbox / "second"
    first_dir.mkdir()
    second_dir.mkdir()
    pids = []
    for logdir in (first_dir, second_dir):
        result = run_cli("tensorboard", "start", str(logdir), "--json", "--",
                         "--load_fast=false")
        assert result.returncode == 0, result.stderr
        pids.append(json.loads(result.stdout)["pid"])

    assert run_cli("tensorboard", "stop", str(first_dir)).returncode == 0
    assert gone(pids[0]) and not gone(pids[1])
    assert run_cli("tensorboard", "stop", "--all").returncode == 0
    assert gone(pids[1])
    assert leftover_processes(sandbox) == []


def test_failures_are_one_line_without_traceback(sandbox):
    logdir = sandbox / "logs"
    logdir.mkdir()
    assert_one_line_error(run_cli("tensorboard", "start",
                                  str(sandbox / "missing")))
    assert_one_line_error(run_cli("tensorboard", "start", str(logdir),
                                  "--python", str(sandbox / "nopython")))
    crashed = run_cli("tensorboard", "start", str(logdir), "--",
                      "--no_such_flag")
    assert_one_line_error(crashed)
    assert "unrecognized arguments: --no_such_flag" in crashed.stderr
    assert_one_line_error(run_cli("tensorboard", "stop", str(logdir)))
    assert leftover_processes(sandbox) == []


def test_concurrent_starts_launch_one_instance(sandbox):
    import subprocess
    import sys

    logdir = sandbox / "shared"
    logdir.mkdir()
    command = [sys.executable, "-m", "spyder_tblogs", "tensorboard", "start",
               str(logdir), "--json", "--", "--load_fast=false"]
    starters = [subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
                for _ in range(2)]
    outputs = [starter.communicate(timeout=120) for starter in starters]
    assert [starter.returncode for starter in starters] == [0, 0], outputs
    infos = [json.loads(stdout) for stdout, _ in outputs]
    assert infos[0]["pid"] == infos[1]["pid"]
    assert sorted(info["reused"] for info in infos) == [False, True]
    assert [proc.pid for proc in leftover_processes(logdir)] == [
        infos[0]["pid"]]
