"""Main widget of the TensorBoard Logs pane: layout, actions and wiring.

Layout: an empty-state page or the content page, the latter a vertical
splitter with the log tree on top and a tab widget below it
(:attr:`TBLogsWidget.details_tabs`) holding the *Details*, *Scalars* and
*TensorBoard* tabs. Extensions add their own tabs there and per-run columns
through :meth:`~spyder_tblogs.spyder.models.LogTreeModel.add_column`.

The work is done by the pane's objects: :class:`IndexController` (the index
worker and the tree's updates), :class:`TensorBoardController` (servers),
:class:`ConsoleFollowController` (the IPython console) and
:class:`LogDirectorySettings` (added and hidden roots).
"""

from __future__ import annotations

import os
from typing import Optional

from qtpy.QtCore import Qt, QTimer, Signal, Slot
from qtpy.compat import getexistingdirectory
from qtpy.QtWidgets import (
    QLabel, QSplitter, QStackedWidget, QTabWidget, QVBoxLayout)

from spyder.api.config.decorators import on_conf_change
from spyder.api.translations import _
from spyder.api.widgets.main_widget import PluginMainWidget

from spyder_tblogs.spyder.config import CONF_SECTION
from spyder_tblogs.spyder.console_follow import ConsoleFollowController
from spyder_tblogs.spyder.index_control import IndexController
from spyder_tblogs.spyder.pane_context import PaneContext
from spyder_tblogs.spyder.models import LogTreeModel, NodeKind
from spyder_tblogs.spyder.previews import ScalarsPreview
from spyder_tblogs.spyder.runs_control import RunsTableController
from spyder_tblogs.spyder.tensorboard_control import TensorBoardController
from spyder_tblogs.spyder.widgets.details_view import DetailsView
from spyder_tblogs.spyder.widgets.empty_page import EmptyLogsPage
from spyder_tblogs.spyder.widgets.instances import InstancesPanel
from spyder_tblogs.spyder.widgets.log_tree import LogTreeView
from spyder_tblogs.spyder.widgets.pane_actions import add_pane_actions
from spyder_tblogs.spyder.widgets.remote_url import ask_remote_url
from spyder_tblogs.spyder.widgets.sparklines import SparklinesWidget
from spyder_tblogs.tensorboard.instance_table import InstanceTable

# How often "2 min ago" and the live markers are re-evaluated.
AGE_REFRESH_MS = 15000


class TBLogsWidget(PluginMainWidget):
    """The TensorBoard Logs pane."""

    ENABLE_SPINNER = True
    CONF_SECTION = CONF_SECTION

    sig_show_in_files_requested = Signal(str)
    """Show a directory in the Files pane."""

    sig_tensorboard_started = Signal(object)
    """A TensorBoard instance is serving (TensorBoardInstance)."""

    sig_tensorboard_failed = Signal(str, str)
    """``(logdir, message)``: starting TensorBoard failed."""

    def __init__(self, name=None, plugin=None, parent=None):
        super().__init__(name, plugin, parent)
        self._closed = False

        # Model and views
        self.model = LogTreeModel(self)
        self.tree = LogTreeView(self.model, self)
        self.details = DetailsView(self)
        self.sparklines = SparklinesWidget(self)
        self.instances = InstancesPanel(InstanceTable(), self)
        self.details_tabs = QTabWidget(self)
        self.details_tabs.addTab(self.details, _("Details"))
        self.details_tabs.addTab(self.sparklines, _("Scalars"))
        self.details_tabs.addTab(self.instances, _("TensorBoard"))
        # "Console 1/A · paused in debugger", shown while there is a console.
        self.console_label = QLabel(self)
        self.console_label.setContentsMargins(4, 2, 4, 2)
        self.console_label.hide()
        # The tree, and the Runs tab beside it (added by its controller).
        self.view_tabs = QTabWidget(self)
        self.view_tabs.addTab(self.tree, _("Tree"))
        self.splitter = QSplitter(Qt.Vertical, self)
        self.splitter.addWidget(self.view_tabs)
        self.splitter.addWidget(self.details_tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.empty_page = EmptyLogsPage(self)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty_page)
        self.stack.addWidget(self.splitter)
        layout = QVBoxLayout()
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.console_label)
        layout.addWidget(self.stack)
        self.setLayout(layout)

        # The objects that do the work
        self.index = IndexController(self.model, self)
        self.tensorboard = TensorBoardController(self.instances, self)
        self.console = ConsoleFollowController(self.model, self)
        self.console_tracker = self.console.tracker
        self.console_column = self.model.add_column(
            _("Console"), self.console.column_data)
        self.previews = ScalarsPreview(self.tree, self.sparklines, self)
        self.runs_table = RunsTableController(self)
        self.context = PaneContext(self.index, self.console, self)
        self._age_timer = QTimer(self)
        self._age_timer.timeout.connect(self._refresh_ages)
        self._age_timer.start(AGE_REFRESH_MS)

        # Wiring
        self.tree.sig_context_menu_requested.connect(self.update_actions)
        self.tree.sig_show_in_files_requested.connect(
            self.sig_show_in_files_requested)
        self.tree.selectionModel().currentChanged.connect(
            self._on_current_changed)
        self.tree.selectionModel().selectionChanged.connect(
            self.previews.update)
        self.model.rowsInserted.connect(self._on_rows_inserted)
        self.model.rowsRemoved.connect(self._on_rows_removed)
        self.empty_page.sig_add_directory_requested.connect(
            self.add_log_directory)
        self.previews.sig_open_requested.connect(self.open_in_tensorboard)
        self.index.sig_busy.connect(self._on_worker_busy)
        self.index.sig_roots_found.connect(self._update_empty_state)
        self.index.sig_applying.connect(self.console.refresh_kernel)
        self.index.sig_batch_applied.connect(
            lambda batch: self.console.follow(batch.root, batch.runs))
        self.index.sig_slice_applied.connect(self._on_slice_applied)
        self.tensorboard.sig_started.connect(self.sig_tensorboard_started)
        self.tensorboard.sig_failed.connect(self.sig_tensorboard_failed)
        self.tensorboard.sig_changed.connect(self.update_actions)
        self.tensorboard.sig_show_requested.connect(
            lambda: self.details_tabs.setCurrentWidget(self.instances))
        self.console.sig_changed.connect(self._repaint_console)
        self.console.sig_select_requested.connect(self.select_node)
        self.console.sig_code_finished.connect(
            self.index.worker.request_roots_check)
        self.console.sig_cwd_changed.connect(self.context.update_soon)
        self.context.sig_requested.connect(self._on_context_requested)

        self.empty_page.show_reason(None)

    # ---- PluginMainWidget API
    def get_title(self):
        return _("TensorBoard Logs")

    def get_focus_widget(self):
        return self.tree

    def setup(self):
        add_pane_actions(self)
        self.runs_table.add_tree_actions(self)
        self.tree.set_context_menu(self.context_menu)
        self.update_actions()

    def update_actions(self):
        if self._closed or not hasattr(self, "open_action"):
            return      # before setup() or after close_widget()
        node = self.current_node()
        logdir = self.target_logdir()
        is_root = node is not None and node.kind == NodeKind.Root
        self.open_action.setEnabled(bool(logdir))
        self.browser_action.setEnabled(bool(logdir))
        self.stop_action.setEnabled(self.tensorboard.is_serving(logdir))
        self.copy_path_action.setEnabled(node is not None)
        self.show_in_files_action.setEnabled(node is not None)
        self.hide_directory_action.setEnabled(is_root)
        self.hide_directory_action.setVisible(is_root)
        self.show_hidden_action.setEnabled(
            self.context.has_hidden())

    # ---- Context: project, working directory, added and hidden roots
    def set_project(self, path: Optional[str]):
        """Show the logs of the project at ``path`` (None: no project)."""
        self.context.set_project(path)

    def set_working_directory(self, path: Optional[str]):
        """Remember the console's working directory (used without project)."""
        self.context.set_working_directory(path)

    def context_directory(self) -> Optional[str]:
        """The directory whose logs are shown."""
        return self.context.directory

    def refresh(self):
        """Look for log roots again and re-read everything."""
        self.context.update()

    def is_idle(self) -> bool:
        """Whether every result of the worker has been applied."""
        return self.index.is_idle()

    def _on_context_requested(self, looking_in):
        if not self.model.root_nodes():
            self.empty_page.show_searching(looking_in)
            self.stack.setCurrentWidget(self.empty_page)
        self.update_actions()

    def add_log_directory(self, directory: Optional[str] = None):
        """Show ``directory`` (asked for when None) for this project."""
        directory = directory or getexistingdirectory(
            self, _("Add log directory"),
            self.context.directory or os.path.expanduser("~"))
        if directory:
            self.context.add(directory)

    def add_remote_log_directory(self, url: Optional[str] = None):
        """Show the remote log directory ``url`` (asked for when None)."""
        url = url or ask_remote_url(self)
        if url:
            self.context.add(url)

    def hide_log_directory(self, directory: Optional[str] = None):
        """Stop showing the log root ``directory`` (default: selected)."""
        if directory is None:
            node = self.current_node()
            if node is None or node.kind != NodeKind.Root:
                return
            directory = node.root_path
        node = self.model.root_node(directory)
        self.context.hide(directory,
                          found=node is None or node.origin != "added")

    # ---- Empty state
    def _update_empty_state(self):
        if self.model.root_nodes():
            self.stack.setCurrentWidget(self.splitter)
            return
        self.empty_page.show_reason(
            self.context.directory, self.context.project_path is not None,
            self.index.message)
        self.stack.setCurrentWidget(self.empty_page)

    def empty_message(self) -> str:
        """Text of the empty state ('' when the tree is shown)."""
        if self.stack.currentWidget() is self.empty_page:
            return self.empty_page.label.text()
        return ""

    # ---- Tree
    def current_node(self):
        """The selected node (None if nothing is selected)."""
        return self.tree.current_node()

    def selected_nodes(self):
        """The selected rows' nodes, in display order."""
        return self.tree.selected_nodes()

    def select_node(self, node):
        """Make ``node`` current and visible."""
        self.tree.select_node(node)

    def target_logdir(self) -> Optional[str]:
        """Directory that the TensorBoard actions apply to."""
        node = self.current_node()
        if node is not None:
            return node.tensorboard_logdir()
        roots = self.model.root_nodes()
        return roots[0].root_path if len(roots) == 1 else None

    def _on_rows_inserted(self, parent, first, last):
        if not parent.isValid():
            self._update_empty_state()

    def _on_rows_removed(self, parent, first, last):
        if not parent.isValid() and not self.model.root_nodes():
            self._update_empty_state()
        if self.details.node is not None and not self.details.node.attached:
            self._update_details(force=True)

    def _on_current_changed(self, current, previous):
        self._update_details(force=True)
        self.previews.update()
        self.update_actions()

    def _on_slice_applied(self):
        self._update_details()
        self.previews.update()
        self.update_actions()

    @Slot(bool)
    def _on_worker_busy(self, busy):
        if busy:
            self.start_spinner()
        else:
            self.stop_spinner()

    def _update_details(self, force=False):
        node = self.current_node()
        self.details.show_node(node, self.console.details_html(node), force)

    def _refresh_ages(self):
        self.model.refresh_times()
        self.tree.viewport().update()
        # The details age too: "written 3 min ago", and the flush hint of a
        # paused console's run appears with time alone, no new bytes.
        if not self._closed:
            self._update_details(force=True)

    # ---- Console
    def _repaint_console(self):
        text = self.console.label_text()
        self.console_label.setText(
            _("Console: {}").format(text) if text else "")
        self.console_label.setVisible(bool(text))
        self.tree.viewport().update()
        if not self._closed:
            self._update_details(force=True)

    def set_follow_console(self, follow: bool):
        """Turn *Follow console* on or off."""
        follow = bool(follow)
        if hasattr(self, "follow_action") and \
                self.follow_action.isChecked() != follow:
            # Its toggled signal calls back here with the same value.
            self.follow_action.setChecked(follow)
        self.console.set_following(follow)

    def is_following(self) -> bool:
        """Whether *Follow console* is on."""
        return self.console.is_following()

    # ---- TensorBoard
    def open_in_tensorboard(self, logdir: Optional[str], target=None):
        """Start or reuse TensorBoard for ``logdir`` and show it in
        ``target`` (an :class:`OpenTarget`; the ``open_in`` option if None).
        """
        self.tensorboard.open(logdir, target)

    def stop_tensorboard(self, logdir: Optional[str]):
        """Stop the TensorBoard serving ``logdir``."""
        self.tensorboard.stop(logdir)

    # ---- Preferences (a plugin's observers are its widgets: Spyder's
    # configuration manager expects them to go with the window)
    @on_conf_change(option=list(IndexController.WORKER_OPTIONS)
                    + ["autodetect", "autodetect_depth"])
    def _on_index_option_changed(self, option, value):
        if option in IndexController.WORKER_OPTIONS:
            self.index.apply_option(option, value)
        else:
            self.context.update_soon()

    # ---- Shutdown
    def close_widget(self, stop_instances=True):
        """Stop the workers and, if asked, the instances started here.

        Safe to call more than once.
        """
        if self._closed:
            return
        self._closed = True
        self.console_tracker.detach()
        self._age_timer.stop()
        self.context.close()
        # Instances first: a start waiting in the TensorBoard thread for its
        # server then ends instead of holding the thread.
        self.tensorboard.close(stop_instances)
        self.runs_table.close()
        self.index.close()
        self.instances.close_web_view()
