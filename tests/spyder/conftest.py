"""Fixtures of the plugin tests: a standalone pane and process hygiene."""

import os

import pytest

# QtWebEngineWidgets must be imported before the QApplication exists (Spyder
# and its main window need it).
try:
    from qtpy import QtWebEngineWidgets  # noqa: F401
except ImportError:  # pragma: no cover - no QtWebEngine on this machine
    pass

# pytest puts this directory on sys.path (rootdir-relative "prepend" import
# mode, no __init__.py here), so the helper modules import by name.
from spyder_helpers import (  # noqa: E402
    kill_processes, spyder_main_window, tensorboard_processes)


# Modules that start a real Spyder main window (one per module), in the
# order they run, after every other test.
MAIN_WINDOW_MODULES = ("test_console_tracker.py", "test_follow_console.py",
                       "test_mainwindow.py", "test_runs_table_mainwindow.py")


def pytest_collection_modifyitems(config, items):
    """Run the real-main-window tests last, one module after the other:
    Spyder leaves callbacks behind after its window closes, which must not
    fire inside other tests, and each module's window must be closed
    before the next one starts."""
    def module_rank(item):
        name = item.path.name
        return (MAIN_WINDOW_MODULES.index(name) + 1
                if name in MAIN_WINDOW_MODULES else 0)
    # sorted() is stable: the order inside each module is kept.
    items[:] = sorted(items, key=module_rank)


@pytest.fixture(scope="module")
def spyder_window():
    """Spyder's real main window, started once per module (slow) and closed
    after it: ``{"window": ..., "closed": bool}`` (set "closed" when a test
    closed it itself)."""
    with spyder_main_window() as state:
        yield state


@pytest.fixture(scope="session", autouse=True)
def isolated_registry(tmp_path_factory):
    """Keep the tests' TensorBoard registry away from the user's, and make
    sure no TensorBoard outlives the session even when a test fails."""
    registry = str(tmp_path_factory.mktemp("tb-registry"))
    previous = os.environ.get("SPYDER_TBLOGS_REGISTRY")
    os.environ["SPYDER_TBLOGS_REGISTRY"] = registry
    yield registry
    kill_processes(tensorboard_processes())
    if previous is None:
        os.environ.pop("SPYDER_TBLOGS_REGISTRY", None)
    else:
        os.environ["SPYDER_TBLOGS_REGISTRY"] = previous


@pytest.fixture
def tblogs_conf():
    """Register the plugin's configuration (as Spyder does on loading it)."""
    from spyder.config.manager import CONF

    from spyder_tblogs.spyder.plugin import TBLogs

    if TBLogs.CONF_SECTION not in CONF._plugin_configs:
        CONF.register_plugin(TBLogs)
    for section, defaults in TBLogs.CONF_DEFAULTS:
        for option, value in defaults.items():
            CONF.set(section, option, value)
    CONF.set("tblogs", "open_in", "none")
    yield CONF
    # The main window registers the section itself when it loads the plugin.
    CONF.unregister_plugin(TBLogs)
    # The pane observed options of the section; a main window started later
    # in this process notifies every observed section, and this one is gone.
    CONF._observers.pop(TBLogs.CONF_SECTION, None)


@pytest.fixture
def pane(qtbot, tblogs_conf):
    """A TensorBoard Logs pane outside Spyder's main window."""
    from spyder_tblogs.spyder.widgets.main_widget import TBLogsWidget

    widget = TBLogsWidget("tblogs", None)
    widget.setup()
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    yield widget
    widget.close_widget(stop_instances=True)
    # A real plugin's widget lives as long as Spyder; this one must stop
    # listening to the configuration before the next test changes it.
    tblogs_conf.unobserve_configuration(widget)
    kill_processes(tensorboard_processes())
