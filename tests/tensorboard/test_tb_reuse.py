"""One server per directory, whoever asks (issue 11, section 2).

The pane and the CLI share the registry: a start without explicit extra
arguments reuses any live server for the directory and interpreter, the
pane's preference defaults do not count as explicit, and a server stopped
from one is stopped for the other. Real TensorBoard subprocesses.
"""

import json

import psutil

from spyder_tblogs.tensorboard import TensorBoardManager, TensorFlowUse
from tb_helpers import gone, run_cli

PANE_DEFAULTS = ("--reload_interval", "5")


def test_start_without_extra_args_reuses_the_panes_server(manager, logdir,
                                                          sandbox):
    # The pane: its preferences' defaults, no explicit arguments.
    pane = manager.start(str(logdir), default_args=PANE_DEFAULTS)
    assert pane.reused is False
    assert pane.default_args == PANE_DEFAULTS
    assert pane.extra_args == ()
    cmdline = psutil.Process(pane.pid).cmdline()
    assert cmdline[cmdline.index("--reload_interval") + 1] == "5"

    # A user in a terminal, on the same directory: the same server.
    cli = run_cli("tensorboard", "start", str(logdir), "--json")
    assert cli.returncode == 0, cli.stderr
    info = json.loads(cli.stdout)
    assert (info["pid"], info["reused"]) == (pane.pid, True)
    assert info["default_args"] == list(PANE_DEFAULTS)

    # Another Spyder session with other preference defaults: the same too.
    other = TensorBoardManager(str(sandbox / "registry"))
    again = other.start(str(logdir), default_args=("--reload_interval", "30"))
    assert (again.pid, again.reused) == (pane.pid, True)
    manager.stop(pane)


def test_explicit_extra_args_reuse_only_the_same_ones(manager, logdir):
    plain = manager.start(str(logdir), default_args=PANE_DEFAULTS)
    sampled = ("--samples_per_plugin", "scalars=500")

    # Explicit arguments the running server was not started with: a second
    # server, then that one for the same arguments.
    explicit = manager.start(str(logdir), extra_args=sampled)
    assert explicit.reused is False and explicit.pid != plain.pid
    same = manager.start(str(logdir), extra_args=sampled)
    assert (same.pid, same.reused) == (explicit.pid, True)
    # The pane's defaults given explicitly are explicit arguments.
    as_explicit = manager.start(str(logdir), extra_args=PANE_DEFAULTS)
    assert as_explicit.pid not in (plain.pid, explicit.pid)

    # Without explicit arguments: the server started without any first.
    assert manager.start(str(logdir)).pid == plain.pid
    manager.stop(plain)
    # ... and any other live one once that is gone.
    assert manager.start(str(logdir)).pid in (explicit.pid,
                                              as_explicit.pid)
    assert manager.find(str(logdir)).pid in (explicit.pid, as_explicit.pid)
    manager.stop(str(logdir))
    assert manager.list() == []


def test_explicit_args_win_over_defaults(manager, logdir):
    instance = manager.start(str(logdir), default_args=PANE_DEFAULTS,
                             extra_args=("--reload_interval", "30"))
    cmdline = psutil.Process(instance.pid).cmdline()
    # argparse keeps the last value of a flag: the explicit one comes last.
    values = [cmdline[position + 1]
              for position, arg in enumerate(cmdline)
              if arg == "--reload_interval"]
    assert values == ["5", "30"]
    manager.stop(instance)


def test_stopping_a_cli_server_from_the_pane_stops_it_for_the_cli(
        manager, logdir):
    started = run_cli("tensorboard", "start", str(logdir), "--json")
    assert started.returncode == 0, started.stderr
    pid = json.loads(started.stdout)["pid"]

    # The pane lists what the CLI started (shared registry) ...
    listed = manager.list()
    assert [instance.pid for instance in listed] == [pid]
    # ... and stops it the way its worker does, with the listed instance.
    assert pid in manager.stop(listed[0])
    assert gone(pid)

    assert json.loads(run_cli("tensorboard", "list", "--json").stdout) == []
    stop = run_cli("tensorboard", "stop", str(pid))
    assert stop.returncode != 0
    assert stop.stderr == f"error: no running TensorBoard registered for " \
                          f"pid {pid}\n"


def test_tensorflow_choice_does_not_split_servers(manager, logdir):
    fast = manager.start(str(logdir))
    assert fast.tensorflow is TensorFlowUse.SKIPPED
    cli = run_cli("tensorboard", "start", str(logdir), "--with-tensorflow",
                  "--json")
    assert cli.returncode == 0, cli.stderr
    info = json.loads(cli.stdout)
    assert (info["pid"], info["reused"], info["tensorflow"]) == (
        fast.pid, True, "skipped")
    # The CLI says why the server it hands back has no TensorFlow.
    assert "started without TensorFlow" in cli.stderr
    assert "stop it first" in cli.stderr
    manager.stop(fast)
