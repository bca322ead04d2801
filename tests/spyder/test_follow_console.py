"""Issue 5 end to end: the pane follows a real IPython console while it debugs.

A real Spyder main window with the TensorBoard Logs plugin enabled and its
real IPython console. The test opens a project, runs a training script in
the console that writes with tensorboard's ``EventFileWriter`` and stops at
``breakpoint()``, and while the kernel is paused checks what the *pane*
shows: the console's run marked and followed, a second writer process's new
steps, the relative-path logs under the console's working directory, the
scalar previews. Nothing in the pane may talk to the kernel: every check
below is made while the kernel waits at the debugger prompt.
"""

import os
import subprocess
import sys
import textwrap
import time

import psutil
import pytest
from qtpy.QtCore import Qt

from spyder_helpers import (
    kill_processes, processes_below, tensorboard_processes)
from logwriters import write_run
from spyder_tblogs.logs import LogIndex
from spyder_tblogs.logs.console_state import ConsoleState
from spyder_tblogs.spyder.models import Column

SHELL_TIMEOUT = 120000    # ms: a kernel start on a loaded 2-core machine
WAIT_MS = 60000           # ms: the pane picks up a change, code runs

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning",
                                        "ignore::DeprecationWarning")

# Relative logs first (they land under the console's cwd), then, a little
# later so its file is the newest, the project's run; then a breakpoint.
TRAINING_SCRIPT = textwrap.dedent("""
    import time
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    def log(writer, step):
        value = summary_pb2.Summary.Value(
            tag="loss", simple_value=1.0 / (step + 1))
        writer.add_event(event_pb2.Event(
            wall_time=time.time(), step=step,
            summary=summary_pb2.Summary(value=[value])))

    relative = EventFileWriter("runs/relative")
    for step in range(3):
        log(relative, step)
    relative.close()
    time.sleep(1.5)
    writer = EventFileWriter({logdir!r})
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


# ---- Fixtures ---------------------------------------------------------------
@pytest.fixture(scope="module")
def main_window(qapp):
    """A real Spyder main window with the plugin enabled, console ready."""
    from spyder import dependencies
    from spyder.api.plugin_registration.registry import PLUGIN_REGISTRY
    from spyder.app import start
    from spyder.config.manager import CONF

    CONF.set("tours", "show_tour_message", False)
    CONF.set("main", "single_instance", False)
    CONF.set("project_explorer", "current_project_path", None)
    # Other modules in the same process may have disabled the plugin.
    CONF.set(PLUGIN_REGISTRY._external_plugins_conf_section,
             "tblogs/enable", True)
    dependencies.DEPENDENCIES = []
    # Standalone panes of other tests observed the plugin's section.
    CONF._observers.pop("tblogs", None)
    this_process = psutil.Process()
    children_before = {child.pid for child in
                       this_process.children(recursive=True)}
    PLUGIN_REGISTRY.reset()
    window = start.main()
    state = {"window": window, "closed": False}
    try:
        tblogs = window.get_plugin("tblogs", error=False)
        assert tblogs is not None, "the plugin did not load"
        tblogs.set_conf("open_in", "none")
        shell = window.ipyconsole.get_current_shellwidget()
        _wait_until(qapp, lambda: shell.spyder_kernel_ready
                    and shell._prompt_html is not None, SHELL_TIMEOUT)
        yield state
    finally:
        started = [child for child in this_process.children(recursive=True)
                   if child.pid not in children_before]
        try:
            if not state["closed"]:
                window.closing(close_immediately=True)
                window.close()
            try:
                from spyder.plugins.ipythonconsole.utils.kernel_handler \
                    import KernelHandler
                KernelHandler.wait_all_shutdown_threads()
            except Exception:
                pass
        finally:
            kill_processes(tensorboard_processes())
            CONF.reset_to_defaults(notification=False)
            CONF.reset_manager()
            PLUGIN_REGISTRY.reset()
            _gone, alive = psutil.wait_procs(started, timeout=15)
            kill_processes(alive)


@pytest.fixture(scope="module")
def tblogs_pane(main_window):
    """The plugin's pane inside the main window."""
    return main_window["window"].get_plugin("tblogs").get_widget()


@pytest.fixture(scope="module")
def shell(main_window):
    return main_window["window"].ipyconsole.get_current_shellwidget()


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    """A project with logs/ (one finished run) and a console cwd outside."""
    base = tmp_path_factory.mktemp("follow")
    project = base / "project"
    write_run(str(project / "logs" / "baseline"), steps=4)
    cwd = base / "console_cwd"
    cwd.mkdir()
    return {"base": base, "project": project, "logs": project / "logs",
            "cwd": cwd}


@pytest.fixture
def leave_debugger(main_window, shell, qtbot):
    """Quit the debugger at the end even if the test failed while paused."""
    yield
    if main_window["closed"]:
        return
    if shell.is_debugging():
        shell.pdb_execute_command("exit")
        qtbot.waitUntil(lambda: not shell.is_debugging()
                        and not shell._executing, timeout=WAIT_MS)


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
    with qtbot.waitSignal(shell.executed, timeout=WAIT_MS):
        shell.execute(code)


def cell(pane, node, column):
    """Display text of ``node`` in ``column`` of the pane's tree."""
    return pane.model.data(pane.model.index_for_node(node, column),
                           Qt.DisplayRole)


def tooltip(pane, node, column):
    return pane.model.data(pane.model.index_for_node(node, column),
                           Qt.ToolTipRole)


def run_node(pane, root, name):
    return pane.model.find_run(str(root), name)


# ---- Tests ------------------------------------------------------------------
# First, without a main window (the conftest's standalone ``pane``): what the
# Scalars tab shows for a folder, and where clicking it leads.
def test_folder_overlays_its_runs_and_opens_the_root(qtbot, pane, tmp_path):
    project = tmp_path / "project"
    for name in ("exp/a", "exp/b"):
        write_run(str(project / "logs" / name), steps=6)
    logs = project / "logs"
    pane.set_project(str(project))
    qtbot.waitUntil(lambda: pane.is_idle()
                    and run_node(pane, logs, "exp/b") is not None,
                    timeout=WAIT_MS)
    # No console attached: nothing is anybody's, no console label.
    first = run_node(pane, logs, "exp/a")
    assert cell(pane, first, pane.console_column) is None
    assert pane.console_label.isHidden()

    folder = first.parent
    assert folder.name == "exp" and folder.run is None
    pane.select_node(folder)
    index = LogIndex(str(logs))
    index.refresh()
    runs = [index.run("exp/a"), index.run("exp/b")]
    for tag in ("loss", "accuracy"):
        chart = pane.sparklines.chart(tag)
        assert chart.runs() == [run.path for run in runs]
        for run in runs:
            assert chart.plotted_points(run.path) == tuple(
                (step, value) for step, _wall, value in run.tags[tag].series)

    # A chart of several runs opens their log directory.
    pane.details_tabs.setCurrentWidget(pane.sparklines)
    chart = pane.sparklines.chart("loss")
    qtbot.waitUntil(chart.isVisible, timeout=WAIT_MS)
    with qtbot.waitSignal(pane.sig_tensorboard_started,
                          timeout=120000) as blocker:
        qtbot.mouseClick(chart, Qt.LeftButton,
                         pos=chart.plot_rect().center().toPoint())
    assert os.path.samefile(blocker.args[0].logdir, logs)


def test_pane_follows_the_console(main_window, tblogs_pane, shell, places,
                                  qtbot, leave_debugger, writer_processes):
    pane = tblogs_pane
    window = main_window["window"]
    project, logs, cwd = places["project"], places["logs"], places["cwd"]
    tracker = pane.console_tracker

    # The pane follows the real console (attached by the plugin).
    qtbot.waitUntil(lambda: tracker.shellwidget is shell
                    and tracker.identity() is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: pane.console_label.text().endswith(
        ConsoleState.IDLE.label), timeout=WAIT_MS)
    assert tracker.console_name in pane.console_label.text()

    # Open the project: its logs/ is shown.
    projects = window.get_plugin("project_explorer")
    projects.open_project(path=str(project), restart_console=False)
    qtbot.waitUntil(lambda: run_node(pane, logs, "baseline") is not None,
                    timeout=WAIT_MS)

    # The console works somewhere else (outside the project).
    run_in_console(qtbot, shell, f"import os; os.chdir({str(cwd)!r})")
    qtbot.waitUntil(lambda: pane.console.cwd is not None
                    and os.path.samefile(pane.console.cwd, cwd),
                    timeout=WAIT_MS)

    pane.follow_action.setChecked(True)
    assert pane.is_following()

    script = places["base"] / "train.py"
    script.write_text(TRAINING_SCRIPT.format(
        logdir=str(logs / "console_run")))
    shell.execute(f"runfile({str(script)!r}, wdir={str(cwd)!r})")
    qtbot.waitUntil(lambda: tracker.state == ConsoleState.DEBUGGING
                    and shell.is_waiting_pdb_input(), timeout=WAIT_MS)

    # ---- The kernel is paused at breakpoint(). ----
    # The console's run appears with its five steps, marked as the
    # console's, and Follow console selected it.
    qtbot.waitUntil(lambda: run_node(pane, logs, "console_run") is not None
                    and cell(pane, run_node(pane, logs, "console_run"),
                             Column.LastStep) == "4", timeout=WAIT_MS)
    node = run_node(pane, logs, "console_run")
    qtbot.waitUntil(lambda: pane.current_node() is run_node(
        pane, logs, "console_run"), timeout=WAIT_MS)
    node = pane.current_node()
    qtbot.waitUntil(lambda: tracker.kernel_pid is not None, timeout=WAIT_MS)
    kernel_pid = tracker.kernel_pid
    assert node.run.files[0].pid == kernel_pid
    qtbot.waitUntil(lambda: cell(pane, node, pane.console_column) ==
                    f"{tracker.console_name} · "
                    f"{ConsoleState.DEBUGGING.label}", timeout=WAIT_MS)
    reason = tooltip(pane, node, pane.console_column)
    assert tracker.console_name in reason and str(kernel_pid) in reason
    assert "paused in debugger" in pane.console_label.text()
    # The details area says whose run it is.
    assert "Written by this console" in pane.details.toPlainText()
    # The project's finished run is not the console's.
    assert cell(pane, run_node(pane, logs, "baseline"),
                pane.console_column) is None

    # Relative-path logs went to the console's cwd: shown as a root
    # labelled as the console's working directory.
    cwd_root = str(cwd)
    qtbot.waitUntil(lambda: pane.model.root_node(cwd_root) is not None
                    and run_node(pane, cwd, "runs/relative") is not None,
                    timeout=WAIT_MS)
    root = pane.model.root_node(cwd_root)
    assert root.origin == "workdir"
    assert cell(pane, root, pane.console_column) == \
        "Console's working directory"
    relative = run_node(pane, cwd, "runs/relative")
    qtbot.waitUntil(lambda: cell(pane, run_node(pane, cwd, "runs/relative"),
                                 Column.LastStep) == "2", timeout=WAIT_MS)
    assert cell(pane, relative, pane.console_column).startswith(
        tracker.console_name)
    # Follow console kept the newest file's run selected.
    assert pane.current_node() is run_node(pane, logs, "console_run")

    # Sparklines of the selected run: the index's series, point for point.
    chart = pane.sparklines.chart("loss")
    assert chart is not None
    index = LogIndex(str(logs))
    index.refresh()
    series = index.run("console_run").tags["loss"].series
    assert [step for step, _wall, _value in series] == list(range(5))
    run_path = pane.current_node().run.path
    assert chart.plotted_points(run_path) == tuple(
        (step, value) for step, _wall, value in series)

    # Paused for longer than a writer's flush interval: the pane says the
    # buffered steps are not lost. (The test's own event file is dated back
    # five minutes instead of waiting two.)
    assert "flush()" not in reason
    long_ago = time.time() - 300
    os.utime(node.run.files[0].path, (long_ago, long_ago))

    def console_tooltip():
        return tooltip(pane, run_node(pane, logs, "console_run"),
                       pane.console_column) or ""
    qtbot.waitUntil(lambda: "flush()" in console_tooltip(), timeout=WAIT_MS)
    assert "not lost" in console_tooltip()
    assert "debugger" in console_tooltip()
    qtbot.waitUntil(lambda: "not lost" in pane.details.toPlainText(),
                    timeout=WAIT_MS)

    # A second writer process appends while the kernel is paused.
    go_file = places["base"] / "go"
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER_SCRIPT, str(logs / "worker"),
         str(go_file)])
    writer_processes.append(worker)
    qtbot.waitUntil(lambda: run_node(pane, logs, "worker") is not None
                    and cell(pane, run_node(pane, logs, "worker"),
                             Column.LastStep) == "2", timeout=WAIT_MS)
    go_file.write_text("go")
    worker.wait(timeout=60)
    qtbot.waitUntil(lambda: cell(pane, run_node(pane, logs, "worker"),
                                 Column.LastStep) == "5", timeout=WAIT_MS)
    worker_node = run_node(pane, logs, "worker")
    assert worker_node.run.files[0].pid == worker.pid
    # Another process's run: not the console's, and not followed.
    assert cell(pane, worker_node, pane.console_column) is None
    assert pane.current_node() is run_node(pane, logs, "console_run")
    # All of this while the kernel stayed paused.
    assert tracker.state == ConsoleState.DEBUGGING and shell.is_waiting_pdb_input()

    # ---- Continue: the script finishes, the console is idle. ----
    shell.pdb_execute_command("continue")
    qtbot.waitUntil(lambda: tracker.state == ConsoleState.IDLE
                    and not shell.is_debugging(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: cell(pane, run_node(pane, logs, "console_run"),
                                 Column.LastStep) == "9", timeout=WAIT_MS)
    node = run_node(pane, logs, "console_run")
    qtbot.waitUntil(lambda: cell(pane, node, pane.console_column) ==
                    f"{tracker.console_name} · {ConsoleState.IDLE.label}",
                    timeout=WAIT_MS)
    assert pane.console_label.text().endswith(ConsoleState.IDLE.label)
    # The preview followed the new steps.
    index.refresh()
    series = index.run("console_run").tags["loss"].series
    qtbot.waitUntil(lambda: pane.sparklines.chart("loss").plotted_points(
        run_path) == tuple((step, value) for step, _w, value in series),
        timeout=WAIT_MS)


def test_clicking_a_chart_opens_the_run_in_tensorboard(tblogs_pane, places,
                                                       qtbot):
    pane = tblogs_pane
    node = run_node(pane, places["logs"], "console_run")
    pane.select_node(node)
    chart = pane.sparklines.chart("loss")
    pane.details_tabs.setCurrentWidget(pane.sparklines)
    qtbot.waitUntil(chart.isVisible, timeout=WAIT_MS)
    with qtbot.waitSignal(pane.sig_tensorboard_started,
                          timeout=120000) as blocker:
        qtbot.mouseClick(chart, Qt.LeftButton,
                         pos=chart.plot_rect().center().toPoint())
    instance = blocker.args[0]
    assert os.path.samefile(instance.logdir, node.run.path)


def test_closing_spyder_leaves_no_process(main_window, tblogs_pane, qtbot):
    pane = tblogs_pane
    window = main_window["window"]
    window.closing(close_immediately=True)
    window.close()
    main_window["closed"] = True
    try:
        from spyder.plugins.ipythonconsole.utils.kernel_handler import \
            KernelHandler
        KernelHandler.wait_all_shutdown_threads()
    except Exception:
        pass
    assert not pane.index.thread.thread.isRunning()
    _gone, alive = psutil.wait_procs(
        processes_below("spyder_kernels", "tensorboard"), timeout=30)
    assert alive == []
