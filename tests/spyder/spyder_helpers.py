"""Process hygiene of the plugin tests, and Spyder's main window started
and ended cleanly; imported by the tests and their conftest.

A module of its own (not ``from conftest import``): pytest imports every
``conftest.py`` under the same module name.
"""

import contextlib

import psutil


def processes_below(*needles):
    """Processes started below this test process whose command line
    mentions one of ``needles``."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            command = " ".join(child.cmdline())
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if any(needle in command for needle in needles):
            found.append(child)
    return found


def tensorboard_processes():
    """TensorBoard processes started below this test process."""
    return processes_below("tensorboard")


def kill_processes(processes):
    """Kill ``processes`` and wait for them."""
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(processes, timeout=10)


@contextlib.contextmanager
def spyder_main_window():
    """Start Spyder's main window with the plugin enabled (slow: once per
    module); on leaving, close it unless a test did and end every process
    it started.

    Yields ``{"window": window, "closed": False}``: a test that closes the
    window itself sets ``"closed"``.
    """
    from qtpy.QtWidgets import QApplication
    from spyder import dependencies
    from spyder.api.plugin_registration.registry import PLUGIN_REGISTRY
    from spyder.app import start
    from spyder.config.manager import CONF

    CONF.set("tours", "show_tour_message", False)
    CONF.set("main", "single_instance", False)
    # No network in the tests (nor in CI): no look for Spyder updates.
    CONF.set("update_manager", "check_updates_on_startup", False)
    # Other tests in the same process may have disabled the plugin.
    CONF.set(PLUGIN_REGISTRY._external_plugins_conf_section,
             "tblogs/enable", True)
    QApplication.processEvents()
    dependencies.DEPENDENCIES = []
    PLUGIN_REGISTRY.reset()
    # Panes of earlier tests in this process were observers of the plugin's
    # section; Spyder notifies every observed section when it starts.
    CONF._observers.pop("tblogs", None)
    children_before = {child.pid for child in
                       psutil.Process().children(recursive=True)}
    window = start.main()
    QApplication.processEvents()
    state = {"window": window, "closed": False}
    try:
        yield state
    finally:
        try:
            if not state["closed"]:
                window.close()
            # The console shuts its kernels down in QThreads of its own:
            # one still running when the interpreter exits makes Qt abort.
            from spyder.plugins.ipythonconsole.utils.kernel_handler import (
                KernelHandler)
            KernelHandler.wait_all_shutdown_threads()
        finally:
            kill_processes(tensorboard_processes())
            # The console's kernels end with the window; kill whatever did
            # not: the console's reader threads on their pipes would keep
            # the interpreter from exiting.
            started = [child for child in psutil.Process().children(
                recursive=True) if child.pid not in children_before]
            _gone, alive = psutil.wait_procs(started, timeout=15)
            kill_processes(alive)
            CONF.reset_to_defaults(notification=False)
