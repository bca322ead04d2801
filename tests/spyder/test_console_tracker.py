"""ConsoleTracker against a real Spyder main window and its IPython console.

The test drives the console the way a user does (code typed in, a script
that stops at ``breakpoint()``, ``continue`` at the debugger prompt); the
tracker only listens. Whatever the tracker reports is checked against what
the kernel itself says (its ``os.getpid()``, written to a file by code the
*test* runs) and against event files on disk read by ``LogIndex`` from the
test thread while the kernel is paused.
"""

import os
import socket
import subprocess
import sys
import textwrap
import time
from types import SimpleNamespace

import psutil
import pytest

from spyder_helpers import kill_processes
from spyder_tblogs.logs import LogIndex
from spyder_tblogs.logs.console_state import ConsoleState
from spyder_tblogs.logs.flush_hint import flush_hint, last_written
from spyder_tblogs.logs.follower import ConsoleFollower
from spyder_tblogs.logs.ownership import (
    OwnershipMethod, run_ownership, runs_owned_by)
from spyder_tblogs.logs.workdir import cwd_log_roots
from spyder_tblogs.spyder.console import ConsoleTracker
from spyder_tblogs.spyder.shell_watcher import ShellWatcher

# Generous: the suite shares two cores with other test runs.
SHELL_TIMEOUT = 120000    # ms: a kernel start
EVAL_TIMEOUT = 60000      # ms: a bit of code run in the console


# ---- Fixtures ---------------------------------------------------------------
@pytest.fixture(scope="module")
def main_window(qapp):
    """A real Spyder main window, as spyder-unittest's fixture starts it."""
    from spyder.api.plugin_registration.registry import PLUGIN_REGISTRY
    from spyder.app import start
    from spyder.config.manager import CONF

    CONF.set("tours", "show_tour_message", False)
    CONF.set("main", "single_instance", False)
    CONF.set("project_explorer", "current_project_path", None)
    # Only the tracker is under test here: the pane has its own main-window
    # tests, and keeping it out makes this test independent of it.
    CONF.set(PLUGIN_REGISTRY._external_plugins_conf_section,
             "tblogs/enable", False)
    this_process = psutil.Process()
    children_before = {child.pid for child in
                       this_process.children(recursive=True)}
    PLUGIN_REGISTRY.reset()
    window = start.main()
    try:
        shell = window.ipyconsole.get_current_shellwidget()
        _wait_until(qapp, lambda: shell.spyder_kernel_ready
                    and shell._prompt_html is not None, SHELL_TIMEOUT)
        yield window
    finally:
        started = [child for child in this_process.children(recursive=True)
                   if child.pid not in children_before]
        try:
            window.closing(close_immediately=True)
            window.close()
            try:
                from spyder.plugins.ipythonconsole.utils.kernel_handler \
                    import KernelHandler
                KernelHandler.wait_all_shutdown_threads()
            except Exception:
                pass
        finally:
            CONF.reset_to_defaults(notification=False)
            CONF.reset_manager()
            PLUGIN_REGISTRY.reset()
            # Kernels end with the window; kill whatever did not.
            _gone, alive = psutil.wait_procs(started, timeout=15)
            kill_processes(alive)


@pytest.fixture
def shell(main_window, qtbot):
    """The current console, idle and ready."""
    shell = main_window.ipyconsole.get_current_shellwidget()
    qtbot.waitUntil(lambda: not shell._executing
                    and not shell.is_debugging(), timeout=EVAL_TIMEOUT)
    return shell


@pytest.fixture
def leave_debugger(shell, qtbot):
    """Quit the debugger at the end even if the test failed while paused,
    so the next test finds the console idle."""
    yield
    if shell.is_debugging():
        shell.pdb_execute_command("exit")
        qtbot.waitUntil(lambda: not shell.is_debugging()
                        and not shell._executing, timeout=EVAL_TIMEOUT)


@pytest.fixture
def tracker(main_window, shell):
    tracker = ConsoleTracker()
    tracker.attach(main_window.ipyconsole)
    yield tracker
    tracker.detach()
    tracker.deleteLater()


@pytest.fixture
def writer_processes():
    """Writer subprocesses started by a test; stopped even on failure."""
    processes = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def _wait_until(app, condition, timeout_ms):
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        app.processEvents()
        if condition():
            return
        time.sleep(0.02)
    raise TimeoutError("condition not met in time")


def run_in_console(qtbot, shell, code):
    """Execute ``code`` in the console (as the user would) and wait."""
    with qtbot.waitSignal(shell.executed, timeout=EVAL_TIMEOUT):
        shell.execute(code)


def refresh_until(qtbot, index, condition, timeout=EVAL_TIMEOUT):
    """Refresh the index from the test thread until ``condition(index)``."""
    def check():
        index.refresh()
        return condition(index)
    qtbot.waitUntil(check, timeout=timeout)


def last_step(index, run_name, tag="loss"):
    """Last step of ``tag`` in the run, None until both exist (a writer's
    file appears with its header before its first scalar)."""
    run = index.run(run_name)
    info = None if run is None else run.tags.get(tag)
    return None if info is None else info.last_step


# ---- Scripts run in the console and in writer processes ---------------------
TRAINING_SCRIPT = textwrap.dedent("""
    import time
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    def log(writer, step):
        value = summary_pb2.Summary.Value(
            tag="loss", simple_value=1 / (step + 1))
        writer.add_event(event_pb2.Event(
            wall_time=time.time(), step=step,
            summary=summary_pb2.Summary(value=[value])))

    # A relative path: it lands under the console's working directory.
    writer = EventFileWriter("logs/console_run")
    for step in range(5):
        log(writer, step)
    writer.flush()
    breakpoint()
    for step in range(5, 10):
        log(writer, step)
    writer.close()
""")

# Writes steps 0-2, waits for a go file, then writes steps 3-5.
WORKER_SCRIPT = textwrap.dedent("""
    import os, sys, time
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    logdir, go_file = sys.argv[1], sys.argv[2]
    writer = EventFileWriter(logdir)
    def log(step):
        value = summary_pb2.Summary.Value(tag="loss", simple_value=float(step))
        writer.add_event(event_pb2.Event(
            wall_time=time.time(), step=step,
            summary=summary_pb2.Summary(value=[value])))
    for step in range(3):
        log(step)
    writer.flush()
    deadline = time.time() + 120
    while not os.path.exists(go_file) and time.time() < deadline:
        time.sleep(0.05)
    for step in range(3, 6):
        log(step)
    writer.close()
""")


# ---- Tests ------------------------------------------------------------------
def test_tracker_reports_the_kernel_seen_from_inside(
        main_window, shell, tracker, qtbot, tmp_path):
    pid_file = tmp_path / "kernel_pid.txt"
    run_in_console(qtbot, shell, (
        f"import os; open({str(pid_file)!r}, 'w').write(str(os.getpid()))"))
    kernel_pid = int(pid_file.read_text())

    assert tracker.shellwidget is shell
    # Looked up in a thread: known once the lookup is back.
    qtbot.waitUntil(lambda: tracker.kernel_pid == kernel_pid,
                    timeout=EVAL_TIMEOUT)
    assert tracker.kernel_pid != os.getpid()
    assert tracker.kernel_host == socket.gethostname()
    assert tracker.kernel_started_at == pytest.approx(
        psutil.Process(kernel_pid).create_time())
    client = main_window.ipyconsole.get_current_client()
    assert tracker.console_name == client.get_name() != ""
    assert tracker.state == ConsoleState.IDLE

    identity = tracker.identity()
    assert identity.pid == kernel_pid
    assert identity.console_name == tracker.console_name
    # The code just run is a finished busy period.
    assert identity.busy_intervals
    start, end = identity.busy_intervals[-1]
    assert end is not None and start <= end <= time.time()


def test_errored_console_has_no_kernel_until_one_connects(
        main_window, shell, tracker, qtbot):
    # Spyder's console says so through the ShellConnect signals.
    console = main_window.ipyconsole
    qtbot.waitUntil(lambda: tracker.identity() is not None,
                    timeout=EVAL_TIMEOUT)
    with qtbot.waitSignal(tracker.sig_console_changed, timeout=EVAL_TIMEOUT):
        console.sig_shellwidget_errored.emit(shell)
    assert tracker.state == ConsoleState.NONE
    assert tracker.identity() is None
    with qtbot.waitSignal(tracker.sig_console_changed, timeout=EVAL_TIMEOUT):
        console.sig_shellwidget_created.emit(shell)
    assert tracker.state == ConsoleState.IDLE
    qtbot.waitUntil(lambda: tracker.identity() is not None,
                    timeout=EVAL_TIMEOUT)


def test_tracker_reports_cwd_changes(shell, tracker, qtbot, tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    with qtbot.waitSignal(tracker.sig_cwd_changed,
                          timeout=EVAL_TIMEOUT) as changed:
        shell.execute(f"import os; os.chdir({str(target)!r})")
    assert os.path.samefile(changed.args[0], target)
    assert os.path.samefile(tracker.cwd, target)


def test_paused_console_keeps_the_index_live(main_window, shell, tracker,
                                             qtbot, tmp_path, leave_debugger,
                                             writer_processes):
    project_logs = tmp_path / "project" / "logs"
    project_logs.mkdir(parents=True)
    cwd = tmp_path / "console_cwd"
    cwd.mkdir()
    script = tmp_path / "train.py"
    script.write_text(TRAINING_SCRIPT)
    run_in_console(qtbot, shell, f"import os; os.chdir({str(cwd)!r})")
    qtbot.waitUntil(lambda: os.path.exists(tracker.cwd)
                    and os.path.samefile(tracker.cwd, cwd),
                    timeout=EVAL_TIMEOUT)

    index = LogIndex(str(cwd))
    index.refresh()
    follower = ConsoleFollower()
    assert follower.start(index.run_rows(), tracker.identity()) is None

    states = []
    tracker.sig_state_changed.connect(states.append)
    shell.execute(f"runfile({str(script)!r}, wdir={str(cwd)!r})")
    qtbot.waitUntil(lambda: tracker.state == ConsoleState.DEBUGGING,
                    timeout=EVAL_TIMEOUT)
    # running -> debugging, never idle in between.
    before_pause = states[:states.index(ConsoleState.DEBUGGING)]
    assert before_pause and set(before_pause) == {ConsoleState.RUNNING}
    assert shell.is_waiting_pdb_input()

    # -- The kernel is paused. Everything below runs in the test thread and
    # never touches the kernel.
    refresh_until(qtbot, index,
                  lambda index: last_step(index, "logs/console_run") == 4)
    kernel = tracker.identity()
    console_run = index.run("logs/console_run")
    verdict = run_ownership(console_run, kernel)
    assert verdict.method == OwnershipMethod.PID
    assert tracker.console_name in verdict.reason
    assert follower.update(index.run_rows(), kernel) == "logs/console_run"
    # The busy period is still open while paused.
    assert kernel.busy_intervals[-1][1] is None

    # Relative logs went to the console's cwd, outside the project's roots.
    assert cwd_log_roots(tracker.cwd, [str(project_logs)]) == (
        os.path.abspath(tracker.cwd),)

    # Paused for longer than a flush interval: the pane explains.
    hint = flush_hint(console_run, tracker.state,
                      now=last_written(console_run) + 300)
    assert hint is not None and "flush()" in hint and "not lost" in hint

    # A second writer process appends to its run while the kernel waits.
    go_file = tmp_path / "go"
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER_SCRIPT,
         str(cwd / "logs" / "worker"), str(go_file)])
    writer_processes.append(worker)
    refresh_until(qtbot, index,
                  lambda index: last_step(index, "logs/worker") == 2)
    go_file.write_text("go")
    worker.wait(timeout=60)
    update = index.refresh()
    assert "logs/worker" in update.changed
    assert index.run("logs/worker").tags["loss"].last_step == 5
    assert index.run("logs/worker").files[0].pid == worker.pid
    # Not this console's: a different process wrote it.
    assert not run_ownership(index.run("logs/worker"), kernel).owned
    assert follower.update(index.run_rows(), kernel) is None
    # The kernel is still paused, and the tracker still answers.
    assert tracker.state == ConsoleState.DEBUGGING
    assert shell.is_waiting_pdb_input()

    # -- Continue: the script finishes, the console is idle again.
    shell.pdb_execute_command("continue")
    qtbot.waitUntil(lambda: tracker.state == ConsoleState.IDLE,
                    timeout=EVAL_TIMEOUT)
    assert states[-1] == ConsoleState.IDLE
    refresh_until(qtbot, index,
                  lambda index: last_step(index, "logs/console_run") == 9)
    finished = tracker.identity().busy_intervals[-1]
    assert finished[1] is not None
    assert flush_hint(index.run("logs/console_run"), tracker.state,
                      now=time.time() + 300) is None


def test_tensorboardx_run_in_console_is_owned_by_timing(shell, tracker,
                                                        qtbot, tmp_path):
    logdir = tmp_path / "tbx_run"
    run_in_console(qtbot, shell, textwrap.dedent(f"""
        from tensorboardX import SummaryWriter
        writer = SummaryWriter({str(logdir)!r})
        for step in range(3):
            writer.add_scalar("loss", 1.0 / (step + 1), step)
        writer.close()
    """))
    index = LogIndex(str(tmp_path))
    index.refresh()
    run = index.run("tbx_run")
    assert run.files[0].pid is None
    qtbot.waitUntil(lambda: tracker.identity() is not None,
                    timeout=EVAL_TIMEOUT)
    owned = runs_owned_by(index.runs(), tracker.identity())
    assert owned["tbx_run"].method == OwnershipMethod.TIMING
    assert "tensorboardX" in owned["tbx_run"].reason


def kernel_pid_from_inside(qtbot, shell, tmp_path, name="pid.txt"):
    """The kernel's own os.getpid(), written to a file by console code."""
    pid_file = tmp_path / name
    run_in_console(qtbot, shell, (
        f"import os; open({str(pid_file)!r}, 'w').write(str(os.getpid()))"))
    return int(pid_file.read_text())


def test_new_console_and_back(main_window, shell, tracker, qtbot, tmp_path):
    ipyconsole = main_window.ipyconsole
    qtbot.waitUntil(lambda: tracker.kernel_pid is not None,
                    timeout=EVAL_TIMEOUT)
    first_name, first_pid = tracker.console_name, tracker.kernel_pid

    with qtbot.waitSignal(tracker.sig_console_changed, timeout=EVAL_TIMEOUT):
        ipyconsole.create_new_client(give_focus=True)
    new_client = ipyconsole.get_current_client()
    new_shell = new_client.shellwidget
    qtbot.waitUntil(lambda: new_shell.spyder_kernel_ready
                    and new_shell._prompt_html is not None,
                    timeout=SHELL_TIMEOUT)
    assert tracker.shellwidget is new_shell
    assert tracker.console_name == new_client.get_name() != first_name
    new_pid = kernel_pid_from_inside(qtbot, new_shell, tmp_path)
    qtbot.waitUntil(lambda: tracker.kernel_pid == new_pid,
                    timeout=EVAL_TIMEOUT)
    assert new_pid != first_pid
    assert tracker.state == ConsoleState.IDLE

    # Closing it brings the first console back, and its kernel ends.
    with qtbot.waitSignal(tracker.sig_console_changed, timeout=EVAL_TIMEOUT):
        ipyconsole.close_client(client=new_client, ask_recursive=False)
    qtbot.waitUntil(lambda: tracker.shellwidget is shell,
                    timeout=EVAL_TIMEOUT)
    assert tracker.kernel_pid == first_pid
    assert tracker.console_name == first_name
    try:
        psutil.Process(new_pid).wait(timeout=30)
    except psutil.NoSuchProcess:
        pass
    assert not psutil.pid_exists(new_pid)


def test_kernel_restart_gives_a_new_identity(main_window, shell, tracker,
                                             qtbot, tmp_path):
    old_pid = kernel_pid_from_inside(qtbot, shell, tmp_path, "old.txt")
    qtbot.waitUntil(lambda: tracker.kernel_pid == old_pid,
                    timeout=EVAL_TIMEOUT)

    with qtbot.waitSignal(tracker.sig_console_changed,
                          timeout=SHELL_TIMEOUT):
        main_window.ipyconsole.restart_kernel()
    qtbot.waitUntil(lambda: shell.spyder_kernel_ready
                    and tracker.state == ConsoleState.IDLE
                    and tracker.kernel_pid not in (None, old_pid),
                    timeout=SHELL_TIMEOUT)
    # Spyder may not have shown the new prompt yet.
    qtbot.waitUntil(lambda: shell._prompt_html is not None
                    and not shell._executing, timeout=SHELL_TIMEOUT)
    new_pid = kernel_pid_from_inside(qtbot, shell, tmp_path, "new.txt")
    assert tracker.kernel_pid == new_pid != old_pid
    identity = tracker.identity()
    assert identity.started_at == pytest.approx(
        psutil.Process(new_pid).create_time())
    # The restarted kernel's history starts with the code just run.
    assert len(identity.busy_intervals) == 1


def test_kernel_of_a_console_without_manager_is_found_off_the_gui_thread(
        qtbot, tmp_path):
    # A console connected to an existing kernel has no kernel manager: the
    # kernel is the process started with its connection file, found by
    # reading the process table (slow), in a thread. Spyder's dialog for
    # such a console cannot be driven here; the shell widget is reduced to
    # the attributes the tracker reads.
    connection_file = tmp_path / "kernel-tblogs-test.json"
    kernel = subprocess.Popen([sys.executable, "-c",
                               "import time; time.sleep(120)",
                               str(connection_file)])
    try:
        handler = SimpleNamespace(connection_file=str(connection_file),
                                  kernel_manager=None)
        watcher = ShellWatcher(SimpleNamespace(kernel_handler=handler))
        with qtbot.waitSignal(watcher.sig_kernel_changed, timeout=EVAL_TIMEOUT):
            assert watcher.kernel_process() == (None, None)
        pid, started = watcher.kernel_process()
        assert pid == kernel.pid
        assert started == pytest.approx(psutil.Process(kernel.pid).create_time())
    finally:
        kernel.kill()
        kernel.wait()
