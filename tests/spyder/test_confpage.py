"""The preferences page, built for the real plugin, changes the real pane.

The page is constructed the way Spyder's Preferences dialog does it
(``PluginConfigPage(plugin, dialog)`` then ``initialize()``), for a real
:class:`~spyder_tblogs.spyder.plugin.TBLogs` plugin whose pane indexes real
logs and starts real TensorBoard processes on 127.0.0.1. Options are changed
through the page's own widgets and applied with ``apply_changes()``, as the
dialog's Apply button does.
"""

import os
import socket
import sys
import urllib.request

import psutil
import pytest
from qtpy.QtWidgets import QMainWindow, QWidget

from spyder_helpers import kill_processes
from logwriters import write_run
# Fixtures: TensorBoard with TensorFlow hidden, and a project whose
# processes are all killed at the end.
from test_actions import (  # noqa: F401
    fast_tensorboard, project, tensorflow_hiding_path)
from spyder_tblogs.logs import find_log_roots
from spyder_tblogs.spyder.api import InterpreterMode, OpenTarget
from spyder_tblogs.spyder.config import watches_by_default
from spyder_tblogs.tensorboard import TensorFlowChoice, TensorFlowUse

WAIT_MS = 15000
START_MS = 90000

pytestmark = pytest.mark.filterwarnings(
    "ignore:There already exists a reference:UserWarning")


class PreferencesDialog(QWidget):
    """The parent a plugin page gets: Spyder's dialog exposes ``main``."""

    def __init__(self, main):
        super().__init__()
        self.main = main


@pytest.fixture
def plugin(qtbot, tblogs_conf):
    """The real plugin (and its pane) on a bare main window."""
    from spyder_tblogs.spyder.plugin import TBLogs

    main = QMainWindow()
    qtbot.addWidget(main)
    tblogs = TBLogs(main, tblogs_conf)
    widget = tblogs.get_widget()
    widget.resize(900, 700)
    widget.show()
    yield tblogs
    widget.close_widget(stop_instances=True)
    tblogs_conf.unobserve_configuration(widget)
    tblogs_conf.unobserve_configuration(tblogs)
    kill_processes([p for p in psutil.Process().children(recursive=True)
                    if "tensorboard" in " ".join(_cmdline(p))])


def _cmdline(process):
    try:
        return process.cmdline()
    except psutil.Error:
        return []


@pytest.fixture
def page(qtbot, plugin):
    """The plugin's preferences page, initialized from the configuration."""
    dialog = PreferencesDialog(plugin.main)
    qtbot.addWidget(dialog)
    conf_page = plugin.CONF_WIDGET_CLASS(plugin, dialog)
    conf_page.initialize()
    dialog.resize(700, 900)
    conf_page.resize(700, 900)
    dialog.show()
    # qtbot holds widgets weakly; the page dies with its dialog.
    yield conf_page
    dialog.close()


def option_widget(page, option):
    """The input widget the page created for ``option``."""
    for mapping in (page.lineedits, page.checkboxes, page.spinboxes,
                    page.comboboxes):
        for widget, (_section, name, _default) in mapping.items():
            if name == option:
                return widget
    raise KeyError(option)


def choose(page, option, value):
    """Pick ``value`` in the combo box of ``option``."""
    combobox = option_widget(page, option)
    index = combobox.findData(value)
    assert index >= 0
    combobox.setCurrentIndex(index)


def set_checked(page, option, checked):
    """Click the checkbox of ``option`` if needed (as a user would: the page
    notices clicks, not programmatic changes)."""
    checkbox = option_widget(page, option)
    if checkbox.isChecked() != checked:
        checkbox.click()
    assert checkbox.isChecked() == checked


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_page_loads_the_defaults(page, plugin):
    for option in ("host", "extra_args"):
        assert option_widget(page, option).text() == plugin.get_conf(option)
    for option in ("port", "reload_interval", "autodetect_depth",
                   "poll_interval"):
        assert option_widget(page, option).value() == plugin.get_conf(option)
    for option in ("port_auto", "stop_on_exit", "autodetect",
                   "file_watching"):
        assert option_widget(page, option).isChecked() == \
            plugin.get_conf(option)
    assert option_widget(page, "open_in").currentData() == \
        plugin.get_conf("open_in")
    assert option_widget(page, "load_tensorflow").currentData() == \
        plugin.get_conf("load_tensorflow") == "never"
    # Fixed port and interpreter path are greyed out until chosen.
    assert not option_widget(page, "port").isEnabled()
    assert not option_widget(page, "interpreter_path").isEnabled()
    assert page.host_warning.isHidden()
    assert page.is_valid()


def test_server_options_reach_a_real_tensorboard(qtbot, page, plugin,
                                                 project, monkeypatch):
    from qtpy.QtGui import QDesktopServices

    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl",
                        lambda url: opened.append(url.toString()) or True)
    pane = plugin.get_widget()
    port = free_port()
    set_checked(page, "port_auto", False)
    assert option_widget(page, "port").isEnabled()
    option_widget(page, "port").setValue(port)
    option_widget(page, "extra_args").setText(
        "--samples_per_plugin images=7")
    option_widget(page, "reload_interval").setValue(9)
    choose(page, "open_in", OpenTarget.Browser)
    choose(page, "interpreter_mode", InterpreterMode.Spyder)
    choose(page, "load_tensorflow", TensorFlowChoice.WHEN_INSTALLED.value)
    assert page.is_modified
    page.apply_changes()
    assert not page.is_modified
    assert plugin.get_conf("port_auto") is False
    assert plugin.get_conf("port") == port
    assert plugin.get_conf("open_in") == OpenTarget.Browser

    pane.set_project(str(project))
    logs = str(project / "logs")
    qtbot.waitUntil(lambda: pane.model.root_node(logs) is not None,
                    timeout=WAIT_MS)
    pane.select_node(pane.model.root_node(logs))
    with qtbot.waitSignal(pane.sig_tensorboard_started,
                          timeout=START_MS) as blocker:
        pane.open_action.trigger()
    instance = blocker.args[0]
    assert instance.port == port
    assert instance.python == os.path.realpath(sys.executable) or \
        os.path.samefile(instance.python, sys.executable)
    # The user's arguments identify the server; the reload interval is a
    # default that reaches the command line without splitting servers.
    assert instance.extra_args == ("--samples_per_plugin", "images=7")
    assert instance.default_args == ("--reload_interval", "9")
    command = " ".join(psutil.Process(instance.pid).cmdline())
    assert "--reload_interval 9" in command
    # TensorFlow allowed, and hidden from this test's TensorBoard.
    assert instance.tensorflow is TensorFlowUse.NOT_INSTALLED
    assert opened == [instance.url]
    with urllib.request.urlopen(instance.url, timeout=30) as response:
        assert response.status == 200

    # Keep instances when Spyder closes: closing the plugin leaves it up.
    set_checked(page, "stop_on_exit", False)
    page.apply_changes()
    assert plugin.get_conf("stop_on_exit") is False
    plugin.on_close()
    assert psutil.pid_exists(instance.pid)
    with urllib.request.urlopen(instance.url, timeout=30) as response:
        assert response.status == 200
    kill_processes([psutil.Process(instance.pid)]
                   + psutil.Process(instance.pid).children(recursive=True))


def test_custom_interpreter_and_host(qtbot, page, plugin, tmp_path):
    from spyder_tblogs.spyder.widgets.instances import host_security_warning

    pane = plugin.get_widget()
    choose(page, "interpreter_mode", InterpreterMode.Custom)
    assert option_widget(page, "interpreter_path").isEnabled()
    option_widget(page, "interpreter_path").setText(sys.executable)
    option_widget(page, "host").setText("0.0.0.0")
    # The page warns with the process manager's words.
    assert page.host_warning.isVisible()
    assert host_security_warning("0.0.0.0") in page.host_warning.text()
    page.apply_changes()
    request = pane.tensorboard.start_request(str(tmp_path))
    assert request.python == sys.executable and request.candidates == ()
    assert request.host == "0.0.0.0"

    choose(page, "interpreter_mode", InterpreterMode.Console)
    assert not option_widget(page, "interpreter_path").isEnabled()
    page.apply_changes()
    request = pane.tensorboard.start_request(str(tmp_path))
    assert request.python == pane.tensorboard.console_interpreter()
    assert request.candidates == ()

    option_widget(page, "host").setText("localhost")
    assert page.host_warning.isHidden()
    choose(page, "interpreter_mode", InterpreterMode.Automatic)
    assert not option_widget(page, "interpreter_path").isEnabled()
    page.apply_changes()
    request = pane.tensorboard.start_request(str(tmp_path))
    assert request.host == "localhost"
    assert request.python is None and sys.executable in request.candidates


@pytest.mark.parametrize("text", ['--samples_per_plugin "images=1',
                                  "--port 7000", "--logdir=/tmp"])
def test_unusable_extra_arguments_are_refused(page, plugin, text):
    option_widget(page, "extra_args").setText(text)
    assert page.extra_args_error.isVisible()
    assert page.extra_args_error.text()
    assert not page.is_valid()
    option_widget(page, "extra_args").setText("--load_fast false")
    assert page.extra_args_error.isHidden()
    assert page.is_valid()


def test_discovery_options_change_the_tree(qtbot, page, plugin, tmp_path):
    pane = plugin.get_widget()
    tree = tmp_path / "project"
    write_run(str(tree / "logs" / "train"), steps=3)
    deep = tree / "a" / "b" / "c" / "d" / "logs"
    write_run(str(deep / "deep_run"), steps=3)
    added = tmp_path / "added-logs"
    write_run(str(added / "extra"), steps=3)
    pane.set_project(str(tree))
    pane.add_log_directory(str(added))

    def shown_roots():
        return sorted(node.root_path for node in pane.model.root_nodes())

    everything = sorted(find_log_roots(str(tree), max_depth=6)
                        + [str(added)])
    qtbot.waitUntil(lambda: pane.is_idle() and shown_roots() == everything,
                    timeout=WAIT_MS)

    # A shallower search finds fewer roots.
    option_widget(page, "autodetect_depth").setValue(2)
    page.apply_changes()
    shallow = sorted(find_log_roots(str(tree), max_depth=2)
                     + [str(added)])
    assert shallow != everything
    qtbot.waitUntil(lambda: pane.is_idle() and shown_roots() == shallow,
                    timeout=WAIT_MS)

    # Auto-detection off: only the directories the user added remain.
    set_checked(page, "autodetect", False)
    assert not option_widget(page, "autodetect_depth").isEnabled()
    page.apply_changes()
    qtbot.waitUntil(lambda: pane.is_idle() and shown_roots() == [str(added)],
                    timeout=WAIT_MS)

    set_checked(page, "autodetect", True)
    option_widget(page, "autodetect_depth").setValue(6)
    page.apply_changes()
    qtbot.waitUntil(lambda: pane.is_idle() and shown_roots() == everything,
                    timeout=WAIT_MS)

    # File watching off, then on again, without restarting Spyder; the runs
    # stay (polling goes on). It starts off on Windows.
    worker = pane.index.worker
    if watches_by_default():
        qtbot.waitUntil(lambda: pane.index.watching
                        and bool(worker.watched_roots()), timeout=WAIT_MS)
    set_checked(page, "file_watching", False)
    page.apply_changes()
    qtbot.waitUntil(lambda: not pane.index.watching
                    and not worker.watched_roots(), timeout=WAIT_MS)
    set_checked(page, "file_watching", True)
    page.apply_changes()
    qtbot.waitUntil(lambda: pane.index.watching
                    and sorted(worker.watched_roots()) == everything,
                    timeout=WAIT_MS)
    assert shown_roots() == everything


@pytest.fixture
def windows_defaults(tblogs_conf):
    """The file-watching option as a new configuration has it on Windows."""
    tblogs_conf.set("tblogs", "file_watching", watches_by_default("win32"))


def test_windows_polls_until_watching_is_ticked(qtbot, windows_defaults,
                                                page, plugin, tmp_path):
    pane = plugin.get_widget()
    project = tmp_path / "project"
    write_run(str(project / "logs" / "train"), steps=2)
    pane.set_project(str(project))
    qtbot.waitUntil(lambda: pane.is_idle() and [
        node.root_path for node in pane.model.root_nodes()] == [
        str(project / "logs")], timeout=WAIT_MS)
    assert not option_widget(page, "file_watching").isChecked()
    assert not pane.index.watching
    assert pane.index.worker.watched_roots() == ()

    set_checked(page, "file_watching", True)
    page.apply_changes()
    qtbot.waitUntil(lambda: pane.index.watching and
                    pane.index.worker.watched_roots() == (
                        str(project / "logs"),), timeout=WAIT_MS)


def test_polling_interval_reaches_the_worker_timer(qtbot, page, plugin):
    pane = plugin.get_widget()
    option_widget(page, "poll_interval").setValue(7)
    page.apply_changes()
    assert plugin.get_conf("poll_interval") == 7
    timer = pane.index.worker._poll_timer
    qtbot.waitUntil(lambda: timer.interval() == 7000, timeout=WAIT_MS)
