"""The pane's actions on real logs and real TensorBoard processes.

Open in TensorBoard, Stop (row button and action), an instance killed from
outside, a bad extra argument, Copy path, Open in browser, Show in Files,
Add log directory and the embedded web view. TensorBoard runs on 127.0.0.1
with TensorFlow hidden (its documented reduced mode: it is ready in about a
second instead of importing TensorFlow) and the isolated registry of
``conftest.isolated_registry``.
"""

import os
import signal
import time
import urllib.request

import psutil
import pytest
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QApplication, QToolButton

from spyder_helpers import kill_processes
from logwriters import write_run
from spyder_tblogs.spyder.models import NodeKind
from spyder_tblogs.spyder.widgets.instances import Column
from spyder_tblogs.tensorboard.instance_table import InstanceState

# QtWebEngine cannot create an OpenGL context on the offscreen platform and
# aborts the whole process; Qt Quick's software backend avoids OpenGL. It is
# read when the QApplication starts, which happens after collection.
_APP_EXISTED_AT_IMPORT = QApplication.instance() is not None
os.environ.setdefault("QT_QUICK_BACKEND", "software")

WAIT_MS = 15000
START_MS = 90000

pytestmark = pytest.mark.filterwarnings(
    "ignore:There already exists a reference:UserWarning")

_HIDE_TENSORFLOW = 'raise ImportError("tensorflow hidden to speed up tests")\n'


@pytest.fixture(scope="session")
def tensorflow_hiding_path(tmp_path_factory):
    """Directory with a ``tensorflow`` package that refuses to import."""
    root = tmp_path_factory.mktemp("hide-tensorflow")
    (root / "tensorflow").mkdir()
    (root / "tensorflow" / "__init__.py").write_text(_HIDE_TENSORFLOW)
    return str(root)


@pytest.fixture(autouse=True)
def fast_tensorboard(monkeypatch, tensorflow_hiding_path):
    """TensorBoards started by the test see TensorFlow as not installed."""
    original = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [tensorflow_hiding_path] + ([original] if original else [])))


def processes_mentioning(text):
    """Live processes whose command line mentions ``text``."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        try:
            if process.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            cmdline = process.info["cmdline"] or []
        except (psutil.Error, OSError):
            continue
        if process.pid != os.getpid() and any(text in a for a in cmdline):
            found.append(process)
    return found


@pytest.fixture
def project(tmp_path):
    """A project with two runs; every process serving it dies at the end."""
    root = tmp_path / "project"
    for run in ("mnist/train", "mnist/validation"):
        write_run(str(root / "logs" / run), steps=6)
    yield root
    kill_processes(processes_mentioning(str(tmp_path)))
    deadline = time.monotonic() + 10
    while processes_mentioning(str(tmp_path)) and \
            time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_mentioning(str(tmp_path)) == []


def shown_runs(pane):
    return {node.run_name: node for node in pane.model.iter_runs()}


def load(qtbot, pane, project, runs=("mnist/train", "mnist/validation")):
    """Show ``project`` and wait for its runs."""
    pane.set_project(str(project))
    qtbot.waitUntil(lambda: pane.is_idle()
                    and set(runs) <= set(shown_runs(pane)), timeout=WAIT_MS)


def select_run(pane, name):
    node = shown_runs(pane)[name]
    pane.select_node(node)
    assert pane.current_node() is node
    return node


def open_and_wait(qtbot, pane, action=None):
    """Trigger Open in TensorBoard; return the started instance."""
    with qtbot.waitSignal(pane.sig_tensorboard_started,
                          timeout=START_MS) as blocker:
        (action or pane.open_action).trigger()
    return blocker.args[0]


def process_tree(pid):
    process = psutil.Process(pid)
    return [process] + process.children(recursive=True)


def row_button(pane, entry, tooltip):
    """The tool button of an instance row with this tooltip."""
    item = pane.instances.item(entry.logdir)
    container = pane.instances.list.itemWidget(item, Column.Buttons)
    buttons = [button for button in container.findChildren(QToolButton)
               if button.toolTip() == tooltip]
    assert len(buttons) == 1
    return buttons[0]


def test_open_run_lists_running_instance_and_row_button_stops_it(
        qtbot, pane, project):
    load(qtbot, pane, project)
    node = select_run(pane, "mnist/train")
    assert pane.open_action.isEnabled()
    assert not pane.stop_action.isEnabled()

    instance = open_and_wait(qtbot, pane)
    assert os.path.samefile(instance.logdir, node.path)
    assert instance.host == "127.0.0.1"
    entry = pane.instances.entry(node.path)
    assert entry.state == InstanceState.RUNNING
    assert entry.url == instance.url and entry.pid == instance.pid
    assert pane.instances.item(entry.logdir).text(Column.State) == "running"
    assert pane.instances.item(entry.logdir).text(Column.URL) == instance.url
    assert pane.details_tabs.currentWidget() is pane.instances
    assert pane.instances.list.isVisible()
    with urllib.request.urlopen(instance.url, timeout=30) as response:
        assert response.status == 200
    assert pane.stop_action.isEnabled()

    tree = process_tree(instance.pid)
    qtbot.mouseClick(row_button(pane, entry, "Stop this TensorBoard"),
                     Qt.LeftButton)
    qtbot.waitUntil(lambda: pane.instances.entry(node.path) is None,
                    timeout=WAIT_MS)
    assert psutil.wait_procs(tree, timeout=15)[1] == []
    assert not pane.stop_action.isEnabled()
    assert pane.instances.empty_label.isVisible()


def test_directory_reached_through_a_symlink_keeps_one_row(
        qtbot, pane, project, tmp_path):
    # The manager serves the resolved path; the pane's row is the user's.
    link = tmp_path / "linked project"
    link.symlink_to(project, target_is_directory=True)
    load(qtbot, pane, link)
    node = select_run(pane, "mnist/train")
    assert node.path.startswith(str(link))

    instance = open_and_wait(qtbot, pane)
    assert instance.logdir == os.path.realpath(node.path) != node.path
    entry = pane.instances.entry(node.path)
    assert entry is pane.instances.entry(instance.logdir)
    assert entry.state == InstanceState.RUNNING
    # The periodic instance list reports the resolved path too.
    pane.tensorboard.worker.request_list()
    qtbot.wait(500)
    assert len(pane.instances.entries) == 1
    assert entry.state == InstanceState.RUNNING

    tree = process_tree(instance.pid)
    qtbot.mouseClick(row_button(pane, entry, "Stop this TensorBoard"),
                     Qt.LeftButton)
    qtbot.waitUntil(lambda: not pane.instances.entries, timeout=WAIT_MS)
    assert psutil.wait_procs(tree, timeout=15)[1] == []


def test_stop_action_from_toolbar_and_context_menu(qtbot, pane, project):
    load(qtbot, pane, project)
    root = pane.model.root_node(str(project / "logs"))
    pane.select_node(root)
    # The same action sits in the toolbar and the context menu (Spyder
    # renders toolbars when the plugin is added to the main window).
    pane.render_toolbars()
    toolbar_actions = pane.get_main_toolbar().actions()
    assert pane.open_action in toolbar_actions
    assert pane.stop_action in toolbar_actions
    menu_actions = pane.context_menu.get_actions()
    assert pane.stop_action in menu_actions
    assert pane.open_action in menu_actions

    instance = open_and_wait(qtbot, pane)
    assert os.path.samefile(instance.logdir, str(project / "logs"))
    tree = process_tree(instance.pid)
    assert pane.stop_action.isEnabled()

    pane.stop_action.trigger()
    entry = pane.instances.entry(str(project / "logs"))
    # Either still stopping or already gone: never shown as running.
    assert entry is None or entry.state == InstanceState.STOPPING
    qtbot.waitUntil(
        lambda: pane.instances.entry(str(project / "logs")) is None,
        timeout=WAIT_MS)
    assert psutil.wait_procs(tree, timeout=15)[1] == []
    assert not pane.stop_action.isEnabled()


def test_killed_instance_shows_exit_and_stderr_tail(qtbot, pane, project):
    load(qtbot, pane, project)
    node = select_run(pane, "mnist/validation")
    instance = open_and_wait(qtbot, pane)
    with open(instance.stderr_log, encoding="utf-8", errors="replace") as log:
        stderr_lines = [line.strip() for line in log if line.strip()]
    assert stderr_lines, "TensorBoard wrote nothing on stderr"

    os.kill(instance.pid, signal.SIGKILL)
    entry = pane.instances.entry(node.path)
    # The exit code and stderr come from the manager's next poll.
    qtbot.waitUntil(lambda: entry.state == InstanceState.EXITED
                    and "-9" in entry.detail, timeout=WAIT_MS)
    assert pane.instances.item(entry.logdir).text(1) == "exited"
    assert stderr_lines[-1] in entry.detail
    # The failure is shown in the pane, not only in a tooltip.
    assert stderr_lines[-1] in pane.instances.detail_text()
    assert not pane.stop_action.isEnabled()
    # Opening again starts a fresh instance.
    again = open_and_wait(qtbot, pane)
    assert again.pid != instance.pid
    assert pane.instances.entry(node.path).state == InstanceState.RUNNING


def test_bad_extra_argument_fails_with_stderr_tail(qtbot, pane, project,
                                                   tblogs_conf):
    tblogs_conf.set("tblogs", "extra_args", "--no_such_flag_xyz")
    load(qtbot, pane, project)
    node = select_run(pane, "mnist/train")
    with qtbot.waitSignal(pane.sig_tensorboard_failed,
                          timeout=START_MS) as blocker:
        pane.open_action.trigger()
    assert os.path.samefile(blocker.args[0], node.path)
    entry = pane.instances.entry(node.path)
    assert entry.state == InstanceState.FAILED
    assert pane.instances.item(entry.logdir).text(1) == "failed"
    # TensorBoard's own complaint about the flag reaches the pane.
    assert "no_such_flag_xyz" in entry.detail
    assert "no_such_flag_xyz" in pane.instances.item(entry.logdir).toolTip(1)
    assert "no_such_flag_xyz" in pane.instances.detail_text()
    assert pane.details_tabs.currentWidget() is pane.instances
    assert processes_mentioning(str(project)) == []


def test_unreadable_extra_arguments_fail_visibly(qtbot, pane, project,
                                                 tblogs_conf):
    # An unbalanced quote (set outside the preferences page, which refuses
    # it) must not start a TensorBoard without the user's arguments.
    tblogs_conf.set("tblogs", "extra_args", "--samples_per_plugin 'images=5")
    load(qtbot, pane, project)
    node = select_run(pane, "mnist/train")
    with qtbot.waitSignal(pane.sig_tensorboard_failed,
                          timeout=START_MS) as blocker:
        pane.open_action.trigger()
    assert blocker.args[0] == node.path
    assert "cannot be read" in blocker.args[1]
    entry = pane.instances.entry(node.path)
    assert entry.state == InstanceState.FAILED
    assert "cannot be read" in pane.instances.detail_text()
    assert processes_mentioning(str(project)) == []


def test_copy_path(qtbot, pane, project):
    load(qtbot, pane, project)
    node = select_run(pane, "mnist/train")
    pane.copy_path_action.trigger()
    assert QApplication.clipboard().text() == str(project / "logs" / "mnist"
                                                  / "train")
    file_node = [c for c in node.children if c.kind == NodeKind.File][0]
    pane.select_node(file_node)
    pane.copy_path_action.trigger()
    assert QApplication.clipboard().text() == file_node.file.path
    assert os.path.isfile(QApplication.clipboard().text())


def test_open_in_browser(qtbot, pane, project, monkeypatch):
    from qtpy.QtGui import QDesktopServices

    opened = []
    # The OS boundary: record instead of launching a browser.
    monkeypatch.setattr(QDesktopServices, "openUrl",
                        lambda url: opened.append(url.toString()) or True)
    load(qtbot, pane, project)
    node = select_run(pane, "mnist/train")
    instance = open_and_wait(qtbot, pane, pane.browser_action)
    qtbot.waitUntil(lambda: opened == [instance.url], timeout=WAIT_MS)
    entry = pane.instances.entry(node.path)
    assert entry.url == instance.url

    # The row's browser button opens the same URL; a second Open in browser
    # reuses the running instance.
    qtbot.mouseClick(row_button(pane, entry, "Open in browser"),
                     Qt.LeftButton)
    pane.browser_action.trigger()
    assert opened == [instance.url] * 3
    assert [e.pid for e in pane.instances.entries.values()] == [instance.pid]


def test_show_in_files_requests_the_directory(qtbot, pane, project):
    load(qtbot, pane, project)
    node = select_run(pane, "mnist/validation")
    with qtbot.waitSignal(pane.sig_show_in_files_requested,
                          timeout=WAIT_MS) as blocker:
        pane.show_in_files_action.trigger()
    assert blocker.args == [node.path]
    # For a file: the directory holding it.
    file_node = [c for c in node.children if c.kind == NodeKind.File][0]
    pane.select_node(file_node)
    with qtbot.waitSignal(pane.sig_show_in_files_requested,
                          timeout=WAIT_MS) as blocker:
        pane.show_in_files_action.trigger()
    assert blocker.args == [node.path]
    assert pane.show_in_files_action in pane.context_menu.get_actions()


def test_add_log_directory_persists_per_project(qtbot, pane, project,
                                                tmp_path, monkeypatch,
                                                tblogs_conf):
    from spyder_tblogs.spyder.widgets import main_widget

    outside = tmp_path / "shared-logs"
    write_run(str(outside / "baseline"), steps=3)
    asked = []

    def choose_directory(parent, caption, basedir):
        asked.append(basedir)
        return str(outside)

    monkeypatch.setattr(main_widget, "getexistingdirectory",
                        choose_directory)
    load(qtbot, pane, project)
    pane.add_directory_action.trigger()
    assert asked == [str(project)]
    qtbot.waitUntil(lambda: pane.model.root_node(str(outside)) is not None
                    and "baseline" in shown_runs(pane), timeout=WAIT_MS)
    settings = tblogs_conf.get("tblogs", "log_directories")
    key = os.path.normcase(os.path.abspath(str(project)))
    assert settings[key]["added"] == [str(outside)]

    # Another project does not show it; coming back does.
    other = tmp_path / "other"
    write_run(str(other / "logs" / "solo"), steps=2)
    pane.set_project(str(other))
    qtbot.waitUntil(lambda: pane.is_idle()
                    and set(shown_runs(pane)) == {"solo"}, timeout=WAIT_MS)
    assert pane.model.root_node(str(outside)) is None
    pane.set_project(str(project))
    qtbot.waitUntil(lambda: pane.is_idle()
                    and pane.model.root_node(str(outside)) is not None,
                    timeout=WAIT_MS)

    # Cancelling the dialog changes nothing.
    monkeypatch.setattr(main_widget, "getexistingdirectory",
                        lambda *args: "")
    pane.add_directory_action.trigger()
    assert tblogs_conf.get("tblogs", "log_directories")[key]["added"] == [
        str(outside)]


def test_non_loopback_host_warns_when_starting(qtbot, pane, project,
                                               tblogs_conf, monkeypatch):
    from qtpy.QtWidgets import QMessageBox
    from spyder_tblogs.spyder.widgets.instances import host_security_warning

    expected = host_security_warning("0.0.0.0")
    assert "0.0.0.0" in expected and "network" in expected
    assert host_security_warning("127.0.0.1") == ""
    assert host_security_warning("localhost") == ""
    assert host_security_warning("::1") == ""

    # A bad flag makes TensorBoard exit at once: nothing listens on the
    # network for long, and the warning must be there anyway.
    tblogs_conf.set("tblogs", "host", "0.0.0.0")
    tblogs_conf.set("tblogs", "extra_args", "--no_such_flag_xyz")
    load(qtbot, pane, project)
    select_run(pane, "mnist/train")
    assert not pane.instances.host_warning.isVisible()

    # The user is asked first; "No" starts nothing.
    questions = []
    answer = {"button": QMessageBox.No}

    def ask(parent, title, text, *args):
        questions.append(text)
        return answer["button"]

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(ask))
    pane.open_action.trigger()
    assert len(questions) == 1 and expected in questions[0]
    assert pane.instances.entry(
        str(project / "logs" / "mnist" / "train")) is None

    answer["button"] = QMessageBox.Yes
    with qtbot.waitSignal(pane.sig_tensorboard_failed, timeout=START_MS):
        pane.open_action.trigger()
        # Shown from the moment the start is requested.
        assert pane.instances.host_warning.isVisible()
        assert expected in pane.instances.host_warning.text()
    entry = pane.instances.entry(str(project / "logs" / "mnist" / "train"))
    assert expected in pane.instances.item(entry.logdir).toolTip(0)
    # Asked once per host and session.
    assert len(questions) == 2

    # Back to loopback: the warning goes with the next start.
    tblogs_conf.set("tblogs", "host", "127.0.0.1")
    tblogs_conf.set("tblogs", "extra_args", "")
    select_run(pane, "mnist/validation")
    open_and_wait(qtbot, pane)
    assert not pane.instances.host_warning.isVisible()


def test_embedded_web_view_shows_tensorboard(qtbot, pane, project,
                                             tblogs_conf):
    if QApplication.platformName() == "offscreen" and (
            _APP_EXISTED_AT_IMPORT
            or os.environ.get("QT_QUICK_BACKEND") != "software"):
        pytest.skip("QtWebEngine aborts the process on the offscreen "
                    "platform unless QT_QUICK_BACKEND=software is set "
                    "before the QApplication starts")
    if not pane.instances.web_engine_available():
        pytest.skip("QtWebEngineWidgets cannot be imported here")
    tblogs_conf.set("tblogs", "open_in", "pane")
    load(qtbot, pane, project)
    select_run(pane, "mnist/train")
    instance = open_and_wait(qtbot, pane)
    view = pane.instances.web_view
    assert view is not None
    assert pane.instances.web_container.isVisible()
    assert pane.instances.current_url().startswith(instance.url)
    qtbot.waitUntil(lambda: view.page().title() == "TensorBoard",
                    timeout=60000)

    # Stopping blanks the view instead of leaving a dead page.
    pane.stop_action.trigger()
    qtbot.waitUntil(lambda: not view.url().toString().startswith(
        instance.url), timeout=WAIT_MS)
