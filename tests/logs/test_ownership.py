"""Which runs a console writes, on event files written by real writers.

The "kernel" here is this test process (tensorboard's writer and
tensorboardX write from it) or a writer subprocess; both are real processes
whose pid and start time the operating system knows.
"""

import os
import socket
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from spyder_tblogs.logs import LogIndex
from spyder_tblogs.logs.console_state import ConsoleState
from spyder_tblogs.logs.flush_hint import flush_hint, last_written
from spyder_tblogs.logs.filenames import parse_event_file_name
from spyder_tblogs.logs.follower import ConsoleFollower
from spyder_tblogs.logs.ownership import (
    KernelIdentity, OwnershipMethod, file_ownership, local_kernel_identity,
    may_be_owned, run_ownership, runs_owned_by, same_host)
from spyder_tblogs.logs.workdir import cwd_log_roots

NOT_OWNED = OwnershipMethod.NONE
OWNED_BY_PID = OwnershipMethod.PID
OWNED_BY_TIMING = OwnershipMethod.TIMING
STATE_DEBUGGING = ConsoleState.DEBUGGING
STATE_IDLE = ConsoleState.IDLE
STATE_RUNNING = ConsoleState.RUNNING



# ---- Real writers -----------------------------------------------------------
def write_with_tensorboard(logdir, steps, tag="loss"):
    """Write scalars with tensorboard's own EventFileWriter (this process)."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(logdir))
    for step in steps:
        summary = summary_pb2.Summary(value=[
            summary_pb2.Summary.Value(tag=tag, simple_value=1.0 / (step + 1))])
        writer.add_event(event_pb2.Event(
            wall_time=time.time(), step=step, summary=summary))
    writer.close()
    return writer.get_logdir()


def write_with_tensorboardx(logdir, steps, tag="loss"):
    """Write scalars with tensorboardX's SummaryWriter (this process)."""
    from tensorboardX import SummaryWriter

    writer = SummaryWriter(str(logdir))
    for step in steps:
        writer.add_scalar(tag, 1.0 / (step + 1), step)
    writer.close()


SUBPROCESS_WRITER = textwrap.dedent("""
    import sys, time
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    writer = EventFileWriter(sys.argv[1])
    for step in range(int(sys.argv[2])):
        summary = summary_pb2.Summary(value=[
            summary_pb2.Summary.Value(tag="loss", simple_value=float(step))])
        writer.add_event(event_pb2.Event(
            wall_time=time.time(), step=step, summary=summary))
    writer.close()
""")


def write_in_subprocess(logdir, steps=3):
    """Write with tensorboard's writer in another process; return its pid."""
    process = subprocess.Popen(
        [sys.executable, "-c", SUBPROCESS_WRITER, str(logdir), str(steps)])
    try:
        assert process.wait(timeout=120) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.pid


# ---- Reading what was written ----------------------------------------------
def read_runs(logdir):
    """Runs of ``logdir`` as the index reports them."""
    index = LogIndex(str(logdir))
    index.refresh()
    return {run.name: run for run in index.runs()}


def read_rows(logdir):
    """Runs of ``logdir`` as rows, as the pane hands them to the follower."""
    return [run.row for run in read_runs(logdir).values()]


def this_process_identity(**changes):
    values = dict(pid=os.getpid(), host=socket.gethostname(),
                  started_at=psutil.Process().create_time(),
                  busy_intervals=(), console_name="Console 1/A")
    values.update(changes)
    return KernelIdentity(**values)


# ---- Ownership by pid -------------------------------------------------------
def test_tensorboard_writer_in_this_process_is_owned_by_pid(tmp_path):
    write_with_tensorboard(tmp_path / "mine", range(5))
    run = read_runs(tmp_path)["mine"]
    (event_file,) = run.files
    assert event_file.pid == os.getpid()
    assert same_host(event_file.host, socket.gethostname())

    verdict = run_ownership(run, local_kernel_identity(
        os.getpid(), console_name="Console 1/A"))

    assert verdict.owned and verdict.method == OWNED_BY_PID
    assert verdict.owned_files == (event_file.name,)
    assert "Console 1/A" in verdict.reason
    assert str(os.getpid()) in verdict.reason
    assert verdict.newest_created == pytest.approx(event_file.created)


def test_writer_in_another_process_is_not_owned(tmp_path):
    started = time.time()
    other_pid = write_in_subprocess(tmp_path / "other")
    run = read_runs(tmp_path)["other"]
    assert run.files[0].pid == other_pid != os.getpid()

    verdict = run_ownership(run, this_process_identity())
    assert not verdict.owned and verdict.method == NOT_OWNED
    assert f"process {other_pid}" in verdict.reason

    # The same files belong to that other process's "kernel".
    other = KernelIdentity(pid=other_pid, host=socket.gethostname(),
                           started_at=started)
    assert run_ownership(run, other).method == OWNED_BY_PID


def test_recycled_pid_does_not_claim_older_files(tmp_path):
    write_with_tensorboard(tmp_path / "old", range(2))
    run = read_runs(tmp_path)["old"]
    # A kernel with this pid that started after the file was written is a
    # different process that got the same number.
    later = this_process_identity(started_at=time.time() + 3600)
    verdict = run_ownership(run, later)
    assert not verdict.owned
    assert "earlier process" in verdict.reason


def test_other_host_with_same_pid_is_not_owned(tmp_path):
    write_with_tensorboard(tmp_path / "run", range(2))
    run = read_runs(tmp_path)["run"]
    elsewhere = this_process_identity(host="another-machine")
    assert not run_ownership(run, elsewhere).owned


def test_same_host_accepts_short_and_qualified_names():
    assert same_host("node1", "NODE1")
    assert same_host("node1", "node1.cluster.org")
    assert not same_host("node1.a.org", "node1.b.org")
    assert not same_host("node1", "node2")
    assert not same_host(None, "node1")
    # Windows: TensorFlow's file names carry the NetBIOS name (15 upper-case
    # characters), Python's gethostname() the DNS name.
    assert same_host("DATASCIENCE-LAP", "datascience-laptop-07.corp.example")
    assert same_host("DATASCIENCE-LAP", "DataScience-Laptop-07")
    assert not same_host("DATASCIENCE-LA", "datascience-laptop-07")
    assert not same_host("DATASCIENCE-LAP", "datascience-lab-02")


# ---- tensorboardX: no pid, ownership by timing ------------------------------
def test_tensorboardx_file_name_has_host_but_no_pid(tmp_path):
    write_with_tensorboardx(tmp_path / "tbx", range(3))
    (name,) = [entry for entry in os.listdir(tmp_path / "tbx")]
    # tensorboardX 2.6.5: events.out.tfevents.<10-digit time>.<hostname>
    prefix = "events.out.tfevents."
    assert name.startswith(prefix)
    stamp, host = name[len(prefix):].split(".", 1)
    assert len(stamp) == 10 and stamp.isdigit()
    assert host == socket.gethostname()
    parsed = parse_event_file_name(name)
    assert parsed.pid is None and parsed.host == socket.gethostname()


def test_tensorboardx_run_written_while_busy_is_owned_by_timing(tmp_path):
    busy_from = time.time()
    write_with_tensorboardx(tmp_path / "tbx", range(4))
    busy_until = time.time()
    run = read_runs(tmp_path)["tbx"]

    kernel = this_process_identity(busy_intervals=((busy_from, busy_until),))
    verdict = run_ownership(run, kernel)
    assert verdict.method == OWNED_BY_TIMING
    assert "no process id" in verdict.reason
    assert "tensorboardX" in verdict.reason
    assert "executing" in verdict.reason

    # Still executing (an open period) counts too.
    running = this_process_identity(busy_intervals=((busy_from, None),))
    assert run_ownership(run, running).method == OWNED_BY_TIMING


def test_tensorboardx_run_not_owned_when_console_was_idle(tmp_path):
    write_with_tensorboardx(tmp_path / "tbx", range(2))
    run = read_runs(tmp_path)["tbx"]
    long_ago = time.time() - 3600
    idle = this_process_identity(
        busy_intervals=((long_ago, long_ago + 10),))
    verdict = run_ownership(run, idle)
    assert not verdict.owned
    assert "not written while" in verdict.reason


def test_tensorboardx_run_created_before_kernel_start_is_not_owned(tmp_path):
    write_with_tensorboardx(tmp_path / "tbx", range(2))
    run = read_runs(tmp_path)["tbx"]
    later = time.time() + 600
    kernel = this_process_identity(started_at=later,
                                   busy_intervals=((later, None),))
    verdict = run_ownership(run, kernel)
    assert not verdict.owned and "before" in verdict.reason


def test_runs_owned_by_picks_only_the_consoles_runs(tmp_path):
    busy_from = time.time()
    write_with_tensorboard(tmp_path / "mine", range(3))
    write_with_tensorboardx(tmp_path / "mine_tbx", range(3))
    busy_until = time.time()
    write_in_subprocess(tmp_path / "theirs")
    runs = read_runs(tmp_path)

    owned = runs_owned_by(
        runs.values(),
        this_process_identity(busy_intervals=((busy_from, busy_until),)))

    assert set(owned) == {"mine", "mine_tbx"}
    assert owned["mine"].method == OWNED_BY_PID
    assert owned["mine_tbx"].method == OWNED_BY_TIMING
    assert runs_owned_by(runs.values(), None) == {}


def test_file_ownership_without_kernel_pid_says_so(tmp_path):
    write_with_tensorboard(tmp_path / "run", range(1))
    (event_file,) = read_runs(tmp_path)["run"].files
    verdict = file_ownership(event_file, this_process_identity(pid=None))
    assert not verdict.owned and "unknown" in verdict.reason


# ---- Follow console ---------------------------------------------------------
def test_follower_selects_the_run_where_the_console_creates_a_file(tmp_path):
    kernel = local_kernel_identity(os.getpid())
    write_with_tensorboard(tmp_path / "first", range(2))
    write_in_subprocess(tmp_path / "foreign")
    follower = ConsoleFollower()

    # Turning "Follow console" on selects the console's latest run.
    assert follower.start(read_rows(tmp_path), kernel) == "first"
    # Nothing new: nothing to select.
    assert follower.update(read_rows(tmp_path), kernel) is None

    # Another process starts a run: not followed.
    write_in_subprocess(tmp_path / "foreign2")
    assert follower.update(read_rows(tmp_path), kernel) is None

    # The console starts a new run: followed.
    time.sleep(1.1)  # distinct creation second in the file name
    write_with_tensorboard(tmp_path / "second", range(2))
    assert follower.update(read_rows(tmp_path), kernel) == "second"
    assert follower.update(read_rows(tmp_path), kernel) is None

    # A new file in an existing run (the script was run again) is followed.
    time.sleep(1.1)
    write_with_tensorboard(tmp_path / "first", range(2, 4))
    assert follower.update(read_rows(tmp_path), kernel) == "first"

    # Another process adding a file to the console's run is not followed.
    write_in_subprocess(tmp_path / "second")
    assert follower.update(read_rows(tmp_path), kernel) is None

    # After a reset, starting again picks the console's latest run.
    follower.reset()
    assert follower.start(read_rows(tmp_path), kernel) == "first"


# ---- Flush hint -------------------------------------------------------------
def test_flush_hint_for_a_paused_console_with_a_quiet_run(tmp_path):
    write_with_tensorboard(tmp_path / "run", range(3))
    run = read_runs(tmp_path)["run"]
    written = last_written(run)
    assert written == pytest.approx(os.stat(run.files[0].path).st_mtime)

    hint = flush_hint(run, STATE_DEBUGGING, now=written + 300)
    assert hint is not None
    assert "flush()" in hint and "close()" in hint
    assert "not lost" in hint
    assert "120" in hint and "5 min" in hint

    running = flush_hint(run, STATE_RUNNING, now=written + 300)
    assert running is not None and "flush" in running

    # Written recently, or the console is idle: nothing to explain.
    assert flush_hint(run, STATE_DEBUGGING, now=written + 30) is None
    assert flush_hint(run, STATE_IDLE, now=written + 3000) is None
    # A shorter flush interval (a writer created with flush_secs=10).
    assert flush_hint(run, STATE_DEBUGGING, now=written + 30,
                      flush_seconds=10) is not None


# ---- Console working directory as an extra root -----------------------------
def test_cwd_with_relative_logs_outside_the_project_is_a_root(tmp_path):
    project_logs = tmp_path / "project" / "logs"
    write_with_tensorboard(project_logs / "run1", range(2))
    cwd = tmp_path / "elsewhere"
    write_with_tensorboard(cwd / "runs" / "exp1", range(2))

    assert cwd_log_roots(str(cwd), [str(project_logs)]) == (str(cwd),)


def test_cwd_inside_a_shown_root_or_without_logs_is_not_a_root(tmp_path):
    logs = tmp_path / "project" / "logs"
    write_with_tensorboard(logs / "run1", range(2))
    (tmp_path / "empty").mkdir()

    assert cwd_log_roots(str(logs / "run1"), [str(logs)]) == ()
    assert cwd_log_roots(str(tmp_path / "empty"), [str(logs)]) == ()
    assert cwd_log_roots(str(tmp_path / "missing"), [str(logs)]) == ()
    assert cwd_log_roots("", [str(logs)]) == ()
    assert cwd_log_roots(None, [str(logs)]) == ()


def test_cwd_above_the_project_adds_only_logs_not_already_shown(tmp_path):
    logs = tmp_path / "project" / "logs"
    write_with_tensorboard(logs / "run1", range(2))
    write_with_tensorboard(tmp_path / "scratch" / "exp", range(2))
    write_with_tensorboard(tmp_path / "project" / "notebooks" / "tb", range(2))

    roots = cwd_log_roots(str(tmp_path), [str(logs)])
    # The project directory holds a shown root: go below it, so run1 is not
    # listed twice.
    assert roots == (str(tmp_path / "project" / "notebooks"),
                     str(tmp_path / "scratch"))


def test_cwd_scan_survives_symlink_loops_and_skips_venvs(tmp_path):
    cwd = tmp_path / "cwd"
    write_with_tensorboard(cwd / ".venv" / "lib" / "run", range(1))
    (cwd / "a").mkdir()
    os.symlink(str(cwd), str(cwd / "a" / "loop"))
    assert cwd_log_roots(str(cwd), []) == ()

    write_with_tensorboard(cwd / "a" / "run", range(1))
    assert cwd_log_roots(str(cwd), []) == (str(cwd),)


def test_follower_starts_from_the_panes_rows(tmp_path):
    # The pane hands its runs over as rows; only those that may be the
    # kernel's become RunInfo objects. The choice must not change.
    busy_from = time.time()
    write_with_tensorboard(tmp_path / "mine", range(2))
    time.sleep(1.1)  # distinct creation second in the file names
    write_with_tensorboardx(tmp_path / "mine_tbx", range(2))
    busy_until = time.time()
    write_in_subprocess(tmp_path / "theirs")
    index = LogIndex(str(tmp_path))
    index.refresh()
    busy = this_process_identity(busy_intervals=((busy_from, busy_until),))
    expected = {"busy": "mine_tbx", "idle": "mine", "none": None}
    followers = {}
    for label, kernel in (("busy", busy), ("idle", this_process_identity()),
                          ("none", None)):
        follower = ConsoleFollower()
        chosen = follower.start(index.run_rows(), kernel)
        assert chosen == expected[label]
        followers[label] = follower

    # Started from rows, it remembers every file: only a new one is news.
    follower = followers["idle"]
    kernel = this_process_identity()
    index.refresh()
    assert follower.update(index.run_rows(), kernel) is None
    time.sleep(1.1)
    write_with_tensorboard(tmp_path / "later", range(1))
    index.refresh()
    assert follower.update(index.run_rows(), kernel) == "later"
    assert follower.update(index.run_rows(), kernel) is None


def test_row_precheck_never_misses_an_owned_run(tmp_path):
    # The follower sifts rows with may_be_owned before any verdict: every
    # run a verdict finds the kernel's must pass the sieve.
    busy_from = time.time()
    write_with_tensorboard(tmp_path / "mine", range(2))
    write_with_tensorboardx(tmp_path / "mine_tbx", range(2))
    busy_until = time.time()
    write_in_subprocess(tmp_path / "theirs")
    runs = read_runs(tmp_path)
    kernels = (this_process_identity(),
               this_process_identity(busy_intervals=((busy_from, busy_until),)),
               this_process_identity(started_at=time.time() + 3600), None)
    for kernel in kernels:
        for run in runs.values():
            if run_ownership(run, kernel).owned:
                assert may_be_owned(run.row, kernel), (run.name, kernel)
    assert not may_be_owned(runs["theirs"].row, this_process_identity())


def test_console_states_name_themselves():
    assert ConsoleState.DEBUGGING.label == "paused in debugger"
    assert ConsoleState.NONE.label == "no console"
    assert [state for state in ConsoleState if state.busy] == [
        ConsoleState.RUNNING, ConsoleState.DEBUGGING]
