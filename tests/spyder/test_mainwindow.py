"""The plugin inside a real Spyder main window (``spyder.app.start.main``)."""

import os
import urllib.request

import psutil
import pytest
from qtpy.QtWidgets import QApplication

from spyder_helpers import kill_processes, tensorboard_processes
from logwriters import write_run

WAIT_MS = 60000

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning",
                                        "ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory):
    """A project whose logs/ holds two runs."""
    root = tmp_path_factory.mktemp("spyder-project") / "demo"
    for run in ("mnist/train", "mnist/validation"):
        write_run(str(root / "logs" / run), steps=6)
    (root / "train.py").write_text("print('training')\n")
    return root


def plugin_of(window, name):
    return window.get_plugin(name, error=False)


def test_plugin_loads(spyder_window):
    tblogs = plugin_of(spyder_window["window"], "tblogs")
    assert tblogs is not None
    assert tblogs.get_widget().get_title() == "TensorBoard Logs"
    tblogs.set_conf("open_in", "none")


def test_project_shows_its_runs(qtbot, spyder_window, project_dir):
    window = spyder_window["window"]
    tblogs = plugin_of(window, "tblogs")
    projects = plugin_of(window, "project_explorer")
    projects.create_project(str(project_dir))
    pane = tblogs.get_widget()
    qtbot.waitUntil(
        lambda: {node.run_name for node in pane.model.iter_runs()}
        == {"mnist/train", "mnist/validation"}, timeout=WAIT_MS)
    assert [node.root_path for node in pane.model.root_nodes()] == [
        str(project_dir / "logs")]


def show_menu(hook):
    """Run what showing the context menu runs (Spyder's and our handlers).

    Spyder's own handler reads the clipboard's mime data, which is None on
    an offscreen display until something was copied.
    """
    QApplication.clipboard().setText("spyder-tblogs test")
    hook.menu.aboutToShow.emit()


def _check_menu(qtbot, hook, directory, select):
    """The hook's action is in the menu and visible for a directory."""
    assert hook is not None and hook.installed
    assert hook.action in hook.menu.get_actions()
    select(directory)
    show_menu(hook)
    assert hook.action.isVisible()
    assert hook.selected_directory() == str(directory)


def test_files_and_projects_menus_carry_the_action(qtbot, spyder_window,
                                                    project_dir):
    from spyder.api.plugins import Plugins

    window = spyder_window["window"]
    tblogs = plugin_of(window, "tblogs")
    explorer = plugin_of(window, Plugins.Explorer)

    files_hook = tblogs.get_menu_hook(Plugins.Explorer)
    explorer.chdir(str(project_dir))
    tree = files_hook.tree_widget

    def select_in_files(directory):
        qtbot.waitUntil(lambda: tree.get_index(str(directory)).isValid(),
                        timeout=WAIT_MS)
        tree.setCurrentIndex(tree.get_index(str(directory)))

    _check_menu(qtbot, files_hook, project_dir / "logs", select_in_files)

    projects_hook = tblogs.get_menu_hook(Plugins.Projects)
    project_tree = projects_hook.tree_widget

    def select_in_projects(directory):
        def index():
            return project_tree.get_index(str(directory))
        qtbot.waitUntil(lambda: index() is not None and index().isValid(),
                        timeout=WAIT_MS)
        project_tree.setCurrentIndex(index())

    _check_menu(qtbot, projects_hook, project_dir / "logs",
                select_in_projects)


def test_closing_the_project_clears_its_runs(qtbot, spyder_window,
                                             project_dir):
    window = spyder_window["window"]
    pane = plugin_of(window, "tblogs").get_widget()
    projects = plugin_of(window, "project_explorer")
    logs = str(project_dir / "logs")

    def origin():
        node = pane.model.root_node(logs)
        return node.origin if node is not None else None

    assert origin() == "auto"
    projects.close_project()
    # Without a project the pane shows the working directory's logs (the
    # Files test above made it the project's folder), labelled as such.
    qtbot.waitUntil(lambda: origin() in (None, "workdir"), timeout=WAIT_MS)
    assert pane.context.project_path is None

    projects.open_project(path=str(project_dir), restart_console=False)
    qtbot.waitUntil(lambda: origin() == "auto", timeout=WAIT_MS)


def test_cli_server_is_listed_and_stopped_in_the_window(qtbot, spyder_window,
                                                       tmp_path):
    """A server started from a terminal shows in the pane of a running
    Spyder, says it runs without TensorFlow, and its Stop button stops it
    for the command line too."""
    import json
    import subprocess
    import sys

    from qtpy.QtWidgets import QToolButton

    from spyder_tblogs.spyder.widgets.instances import Column

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "spyder_tblogs", "tensorboard", *args],
            capture_output=True, text=True, timeout=120, check=True).stdout

    logs = tmp_path / "terminal-logs"
    write_run(str(logs / "run"), steps=4)
    pane = plugin_of(spyder_window["window"], "tblogs").get_widget()
    pid = json.loads(cli("start", "--json", str(logs)))["pid"]
    try:
        qtbot.waitUntil(lambda: pane.instances.entry(str(logs)) is not None,
                        timeout=WAIT_MS)
        entry = pane.instances.entry(str(logs))
        assert entry.pid == pid
        item = pane.instances.item(entry.logdir)
        assert item.text(Column.TensorFlow) == "no (fast)"
        container = pane.instances.list.itemWidget(item, Column.Buttons)
        [stop] = [button for button in container.findChildren(QToolButton)
                  if button.toolTip() == "Stop this TensorBoard"]
        stop.click()
        qtbot.waitUntil(lambda: pane.instances.entry(str(logs)) is None,
                        timeout=WAIT_MS)
        assert json.loads(cli("list", "--json")) == []
    finally:
        process = _process(pid)
        if process is not None:
            kill_processes([process])


def test_open_in_tensorboard_then_close_spyder(qtbot, spyder_window,
                                               project_dir):
    from spyder.api.plugins import Plugins

    window = spyder_window["window"]
    tblogs = plugin_of(window, "tblogs")
    pane = tblogs.get_widget()
    hook = tblogs.get_menu_hook(Plugins.Explorer)
    tree = hook.tree_widget
    logs = str(project_dir / "logs")
    qtbot.waitUntil(lambda: tree.get_index(logs).isValid(), timeout=WAIT_MS)
    tree.setCurrentIndex(tree.get_index(logs))
    show_menu(hook)

    with qtbot.waitSignal(pane.sig_tensorboard_started,
                          timeout=120000) as blocker:
        hook.action.trigger()
    instance = blocker.args[0]
    assert os.path.samefile(instance.logdir, logs)
    assert instance.host == "127.0.0.1"
    with urllib.request.urlopen(instance.url, timeout=30) as response:
        assert response.status == 200
    entry = pane.instances.entry(logs)
    assert entry is not None and entry.url == instance.url

    # Closing Spyder stops what it started.
    window.close()
    spyder_window["closed"] = True
    assert not pane.index.thread.thread.isRunning()
    assert not pane.tensorboard.thread.thread.isRunning()
    assert psutil.wait_procs(
        [p for p in [_process(instance.pid)] if p], timeout=30)[1] == []
    assert tensorboard_processes() == []


def _process(pid):
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None
