"""TensorBoard Logs: a Spyder 6 pane for the TensorBoard logs of the project."""

from __future__ import annotations

import logging

from spyder.api.plugin_registration.decorators import (
    on_plugin_available, on_plugin_teardown)
from spyder.api.plugins import Plugins, SpyderDockablePlugin
from spyder.api.translations import _

from spyder_tblogs.spyder.api import TBLogsExplorerActions
from spyder_tblogs.spyder.config import (
    CONF_DEFAULTS, CONF_SECTION, CONF_VERSION)
from spyder_tblogs.spyder.confpage import TBLogsConfigPage
from spyder_tblogs.spyder.explorer_menus import (
    ExplorerMenuHook, tree_widget_of)
from spyder_tblogs.spyder.widgets.main_widget import TBLogsWidget

logger = logging.getLogger(__name__)


class TBLogs(SpyderDockablePlugin):
    """Browse, diagnose and serve the TensorBoard logs of the project."""

    NAME = CONF_SECTION
    REQUIRES = []
    # Optional so that the pane loads when any of them is disabled.
    OPTIONAL = [Plugins.Projects, Plugins.Explorer, Plugins.IPythonConsole,
                Plugins.WorkingDirectory, Plugins.Preferences]
    TABIFY = [Plugins.Plots, Plugins.VariableExplorer]
    WIDGET_CLASS = TBLogsWidget
    CONF_SECTION = CONF_SECTION
    CONF_FILE = True
    CONF_WIDGET_CLASS = TBLogsConfigPage
    CONF_DEFAULTS = CONF_DEFAULTS
    CONF_VERSION = CONF_VERSION
    DISABLE_ACTIONS_WHEN_HIDDEN = False

    # ---- SpyderDockablePlugin API
    @staticmethod
    def get_name():
        return _("TensorBoard Logs")

    @staticmethod
    def get_description():
        return _("Browse the TensorBoard logs of the project live, see what "
                 "is wrong with them, and open them in TensorBoard.")

    @classmethod
    def get_icon(cls):
        return cls.create_icon("hist")

    def __init__(self, *args, **kwargs):
        self._menu_hooks = {}
        super().__init__(*args, **kwargs)

    def on_initialize(self):
        widget = self.get_widget()
        widget.sig_show_in_files_requested.connect(self._show_in_files)

    def on_close(self, cancelable=False):
        for hook in list(self._menu_hooks.values()):
            hook.uninstall()
        try:
            self.get_widget().close_widget(
                stop_instances=bool(self.get_conf("stop_on_exit")))
        except Exception:  # noqa: BLE001
            # Plugin boundary: Spyder must go on closing whatever failed
            # here (the TensorBoard servers' manager reports its own errors).
            logger.exception("Closing the TensorBoard Logs pane failed")
        return True

    # ---- Projects
    @on_plugin_available(plugin=Plugins.Projects)
    def on_projects_available(self):
        projects = self.get_plugin(Plugins.Projects)
        projects.sig_project_loaded.connect(self._on_project_loaded)
        # Only the (str) overload is forwarded from the Projects widget.
        projects.sig_project_closed.connect(self._on_project_closed)
        self._add_menu_hook(
            Plugins.Projects, projects,
            TBLogsExplorerActions.ProjectsOpenInTensorBoard)
        path = projects.get_active_project_path()
        if path:
            self.get_widget().set_project(path)

    @on_plugin_teardown(plugin=Plugins.Projects)
    def on_projects_teardown(self):
        projects = self.get_plugin(Plugins.Projects)
        projects.sig_project_loaded.disconnect(self._on_project_loaded)
        projects.sig_project_closed.disconnect(self._on_project_closed)
        self._remove_menu_hook(Plugins.Projects)

    # ---- Files
    @on_plugin_available(plugin=Plugins.Explorer)
    def on_explorer_available(self):
        explorer = self.get_plugin(Plugins.Explorer)
        self._add_menu_hook(
            Plugins.Explorer, explorer,
            TBLogsExplorerActions.FilesOpenInTensorBoard)

    @on_plugin_teardown(plugin=Plugins.Explorer)
    def on_explorer_teardown(self):
        self._remove_menu_hook(Plugins.Explorer)

    # ---- Working directory
    @on_plugin_available(plugin=Plugins.WorkingDirectory)
    def on_working_directory_available(self):
        workdir = self.get_plugin(Plugins.WorkingDirectory)
        workdir.sig_current_directory_changed.connect(
            self._on_working_directory_changed)
        self.get_widget().set_working_directory(workdir.get_workdir())

    @on_plugin_teardown(plugin=Plugins.WorkingDirectory)
    def on_working_directory_teardown(self):
        workdir = self.get_plugin(Plugins.WorkingDirectory)
        workdir.sig_current_directory_changed.disconnect(
            self._on_working_directory_changed)

    # ---- IPython console / Preferences
    @on_plugin_available(plugin=Plugins.IPythonConsole)
    def on_ipython_console_available(self):
        # The tracker only listens to Spyder's side of the console (signals,
        # cached flags and cwd): it never talks to the kernel, so the pane
        # keeps working while the kernel is busy or paused in the debugger.
        ipyconsole = self.get_plugin(Plugins.IPythonConsole)
        self.get_widget().console_tracker.attach(ipyconsole)

    @on_plugin_teardown(plugin=Plugins.IPythonConsole)
    def on_ipython_console_teardown(self):
        self.get_widget().console_tracker.detach()

    @on_plugin_available(plugin=Plugins.Preferences)
    def on_preferences_available(self):
        preferences = self.get_plugin(Plugins.Preferences)
        preferences.register_plugin_preferences(self)

    @on_plugin_teardown(plugin=Plugins.Preferences)
    def on_preferences_teardown(self):
        preferences = self.get_plugin(Plugins.Preferences)
        preferences.deregister_plugin_preferences(self)

    # ---- Public API
    def open_in_tensorboard(self, directory, target=None):
        """Serve ``directory`` with TensorBoard and show it."""
        self.switch_to_plugin(force_focus=False)
        self.get_widget().open_in_tensorboard(directory, target)

    def get_menu_hook(self, plugin_name):
        """The context-menu hook installed in a Files/Projects pane."""
        return self._menu_hooks.get(plugin_name)

    # ---- Private
    def _on_project_loaded(self, path):
        self.get_widget().set_project(path)

    def _on_project_closed(self, _path):
        self.get_widget().set_project(None)

    def _on_working_directory_changed(self, directory, sender=None,
                                      server_id=None):
        if server_id:
            # A remote directory: its files are not on this disk.
            return
        self.get_widget().set_working_directory(directory)

    def _show_in_files(self, directory):
        explorer = self.get_plugin(Plugins.Explorer, error=False)
        if explorer is None:
            return
        # emit=False: only show the folder, don't change the console's
        # working directory.
        explorer.chdir(directory, emit=False)
        explorer.switch_to_plugin()

    def _add_menu_hook(self, plugin_name, plugin, action_id):
        tree_widget = tree_widget_of(plugin)
        hooks = {}
        action = self.create_action(
            action_id, text=_("Open in TensorBoard"),
            tip=_("Serve this directory with TensorBoard"),
            icon=self.create_icon("hist"),
            # The hook knows the selected directory.
            triggered=lambda: hooks["hook"].trigger())
        hook = hooks["hook"] = ExplorerMenuHook(
            tree_widget, action, self.open_in_tensorboard)
        if hook.install():
            self._menu_hooks[plugin_name] = hook
        else:
            logger.warning("No 'Open in TensorBoard' in the %s context menu",
                           plugin_name)

    def _remove_menu_hook(self, plugin_name):
        hook = self._menu_hooks.pop(plugin_name, None)
        if hook is not None:
            hook.uninstall()
