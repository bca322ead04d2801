"""Main widget of the TensorBoard Logs pane.

Layout: an empty-state page or the content page, the latter a vertical
splitter with the log tree on top and a tab widget below it
(:attr:`TBLogsWidget.details_tabs`) holding the *Details* and *TensorBoard*
tabs. Extensions add their own tabs there and per-run columns through
:meth:`~spyder_tblogs.spyder.models.LogTreeModel.add_column`.
"""

from __future__ import annotations

import logging
import os
import shlex
import sys
import time
from collections import deque
from itertools import islice
from typing import Optional

from qtpy.compat import getexistingdirectory
from qtpy.QtCore import Qt, QTimer, QUrl, Signal, Slot
from qtpy.QtGui import QDesktopServices
from qtpy.QtWidgets import (
    QAbstractItemView, QApplication, QHBoxLayout, QHeaderView, QLabel,
    QMessageBox, QPushButton, QSplitter, QStackedWidget, QTabWidget, QTextBrowser,
    QTreeView, QVBoxLayout, QWidget,
)

from spyder.api.config.decorators import on_conf_change
from spyder.api.translations import _
from spyder.api.widgets.main_widget import PluginMainWidget

from spyder_tblogs.logs.info import RunInfo
from spyder_tblogs.logs.ownership import (
    STATE_DEBUGGING, STATE_IDLE, STATE_NONE, STATE_RUNNING, ConsoleFollower,
    flush_hint, run_ownership, state_label)
from spyder_tblogs.spyder.api import (
    InterpreterMode, OpenTarget, TBLogsActions, TBLogsContextMenuSections,
    TBLogsMenus, TBLogsToolbarSections,
)
from spyder_tblogs.spyder.console import ConsoleTracker
from spyder_tblogs.spyder.models import Column, LogTreeModel, NodeKind
from spyder_tblogs.spyder.widgets.details import console_html, node_html
from spyder_tblogs.spyder.widgets.sparklines import SparklinesWidget
from spyder_tblogs.spyder.widgets.instances import (
    InstancesPanel, InstanceState, host_security_warning, logdir_key,
)
from spyder_tblogs.spyder.workers import (
    IndexContext, IndexWorker, StartRequest, TensorBoardWorker, WorkerThread,
)

logger = logging.getLogger(__name__)

# Budget of one slice of model updates on the GUI thread; the rest waits for
# the next event-loop turn so that painting and input stay fluid.
APPLY_BUDGET_SECONDS = 0.012

# How often "2 min ago" and the live markers are re-evaluated.
AGE_REFRESH_MS = 15000

EMPTY_NO_LOGS = _(
    "No TensorBoard logs in this project yet — write to <tt>logs/</tt> with "
    "<tt>tf.summary</tt> or <tt>torch.utils.tensorboard</tt>, or add a log "
    "directory.")
EMPTY_NO_LOGS_WORKDIR = _(
    "No TensorBoard logs in the working directory <tt>{}</tt> — open a "
    "project, change the console's working directory, or add a log "
    "directory.")
EMPTY_NO_DIRECTORY = _(
    "Open a project or set a working directory to see its TensorBoard logs, "
    "or add a log directory.")
EMPTY_SEARCHING = _("Looking for TensorBoard logs in <tt>{}</tt>…")

WORKDIR_ROOT_LABEL = _("Console's working directory")
WORKDIR_ROOT_TOOLTIP = _(
    "The console's working directory holds event files outside the "
    "project's log directories: relative log paths (e.g. "
    "SummaryWriter('runs/exp1')) land under the kernel's working directory, "
    "not under the project.")

# A folder or log directory previews at most this many of its runs: more
# lines in one small chart are unreadable.
MAX_PREVIEW_RUNS = 8
# Console verdicts kept for painted rows: many screens' worth. Scrolling
# through 10,000 runs must not leave 10,000 verdicts (several objects each)
# for every full garbage collection to walk.
OWNERSHIP_CACHE_SIZE = 2000


class LogTreeView(QTreeView):
    """The tree of roots, runs and event files (no per-row widgets)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        # Uniform rows let Qt skip measuring each of 10,000 rows.
        self.setUniformRowHeights(True)
        # Ctrl/Shift+click selects several runs: their scalars overlay in
        # the Scalars tab. Actions apply to the current row.
        self.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setContextMenuPolicy(Qt.CustomContextMenu)
        self.setAlternatingRowColors(False)
        self.setAllColumnsShowFocus(True)
        self.setExpandsOnDoubleClick(True)

    def setModel(self, model):
        super().setModel(model)
        header = self.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.Interactive)
        header.resizeSection(Column.Name, 280)
        for column, width in ((Column.LastStep, 80), (Column.Events, 70),
                              (Column.Size, 80), (Column.LastWritten, 100)):
            header.resizeSection(column, width)


class TBLogsWidget(PluginMainWidget):
    """The TensorBoard Logs pane."""

    ENABLE_SPINNER = True
    CONF_SECTION = "tblogs"

    sig_show_in_files_requested = Signal(str)
    """Show a directory in the Files pane."""

    sig_tensorboard_started = Signal(object)
    """A TensorBoard instance is serving (TensorBoardInstance)."""

    sig_tensorboard_failed = Signal(str, str)
    """``(logdir, message)``: starting TensorBoard failed."""

    sig_batches_applied = Signal()
    """Index results were applied to the tree."""

    sig_roots_changed = Signal()
    """The set of shown log roots changed."""

    sig_followed = Signal(object)
    """*Follow console* selected this run node."""

    def __init__(self, name=None, plugin=None, parent=None):
        super().__init__(name, plugin, parent)
        self._project_path = None
        self._working_directory = None
        self._generation = 0
        self._context = None
        self._context_message = ""
        self._searching = False
        self._pending_batches = deque()
        self._closed = False
        self._details_node = None
        self._details_state = None
        self._open_targets = {}        # logdir key -> where to show it
        self._confirmed_hosts = set()  # non-loopback hosts the user allowed
        self._watching = True
        # Console following: identity of the current kernel, and per run
        # directory the (run row, RunOwnership) computed for it, lazily
        # (only rows that are painted) and dropped when the kernel changes.
        self._kernel = None
        self._console_cwd = None
        self._console_state = STATE_NONE
        self._ownership = {}
        self._following = False
        self._followed_created = None
        self._preview_key = None
        self._preview_root = None
        self.console_tracker = ConsoleTracker(self)
        self.follower = ConsoleFollower()

        # Model and views
        self.model = LogTreeModel(self)
        self.console_column = self.model.add_column(
            _("Console"), self._console_column_data)
        self.tree = LogTreeView(self)
        self.tree.setModel(self.model)
        self.tree.header().resizeSection(Column.Status, 110)
        self.details = QTextBrowser(self)
        self.details.setOpenExternalLinks(False)
        self.details.setPlaceholderText(
            _("Select a log directory, run or event file to see its tags, "
              "files and diagnostics."))
        self.instances = InstancesPanel(self)
        self.sparklines = SparklinesWidget(self)
        self.details_tabs = QTabWidget(self)
        self.details_tabs.addTab(self.details, _("Details"))
        self.details_tabs.addTab(self.sparklines, _("Scalars"))
        self.details_tabs.addTab(self.instances, _("TensorBoard"))

        # "Console 1/A: paused in debugger", shown while there is a console.
        self.console_label = QLabel(self)
        self.console_label.setContentsMargins(4, 2, 4, 2)
        self.console_label.hide()

        self.splitter = QSplitter(Qt.Vertical, self)
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(self.details_tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)

        # Empty state: a message and the one action that always helps.
        self.empty_page = QWidget(self)
        self.empty_label = QLabel(self.empty_page)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignCenter)
        self.empty_label.setTextFormat(Qt.RichText)
        self.empty_add_button = QPushButton(_("Add log directory…"),
                                            self.empty_page)
        self.empty_add_button.clicked.connect(self.add_log_directory)
        empty_layout = QVBoxLayout(self.empty_page)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty_label)
        button_row = QHBoxLayout()
        button_row.addStretch(1)
        button_row.addWidget(self.empty_add_button)
        button_row.addStretch(1)
        empty_layout.addLayout(button_row)
        empty_layout.addStretch(2)

        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty_page)
        self.stack.addWidget(self.splitter)

        layout = QVBoxLayout()
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.console_label)
        layout.addWidget(self.stack)
        self.setLayout(layout)

        # Applying batches in time-boxed slices
        self._apply_timer = QTimer(self)
        self._apply_timer.setSingleShot(True)
        self._apply_timer.setInterval(0)
        self._apply_timer.timeout.connect(self._apply_pending_batches)

        # Context changes arrive in bursts (project open also changes the
        # working directory): coalesce them.
        self._context_timer = QTimer(self)
        self._context_timer.setSingleShot(True)
        self._context_timer.setInterval(150)
        self._context_timer.timeout.connect(self._update_context)

        self._age_timer = QTimer(self)
        self._age_timer.timeout.connect(self._refresh_ages)
        self._age_timer.start(AGE_REFRESH_MS)

        # Signals
        self.tree.customContextMenuRequested.connect(self._show_context_menu)
        self.tree.selectionModel().currentChanged.connect(
            self._on_current_changed)
        self.tree.selectionModel().selectionChanged.connect(
            self._update_previews)
        self.model.rowsInserted.connect(self._on_rows_inserted)
        self.model.rowsRemoved.connect(self._on_rows_removed)
        self.instances.sig_stop_requested.connect(self.stop_tensorboard)
        self.instances.sig_open_in_browser_requested.connect(
            self._open_url_in_browser)
        self.instances.sig_show_requested.connect(
            lambda logdir: self.open_in_tensorboard(logdir, OpenTarget.Pane))
        self.sparklines.sig_clicked.connect(self._on_sparklines_clicked)
        self.console_tracker.sig_console_changed.connect(
            self._on_console_changed)
        self.console_tracker.sig_state_changed.connect(
            self._on_console_state_changed)
        self.console_tracker.sig_cwd_changed.connect(
            self._on_console_cwd_changed)

        # Workers
        self.index_worker = IndexWorker(
            poll_interval_ms=int(self._conf("poll_interval", 2.0) * 1000),
            use_watcher=bool(self._conf("file_watching", True)))
        self.index_worker.sig_roots_found.connect(self._on_roots_found)
        self.index_worker.sig_batch.connect(self._on_batch)
        self.index_worker.sig_busy.connect(self._on_worker_busy)
        self._index_thread = WorkerThread(self.index_worker, "tblogs-index")

        self.tensorboard_worker = TensorBoardWorker()
        self.tensorboard_worker.sig_started.connect(self._on_tb_started)
        self.tensorboard_worker.sig_failed.connect(self._on_tb_failed)
        self.tensorboard_worker.sig_stopped.connect(self._on_tb_stopped)
        self.tensorboard_worker.sig_exited.connect(self._on_tb_exited)
        self.tensorboard_worker.sig_instances.connect(self._on_tb_instances)
        self._tb_thread = WorkerThread(self.tensorboard_worker,
                                       "tblogs-tensorboard")
        self.tensorboard_worker.request_list()

        self._show_empty(EMPTY_NO_DIRECTORY)

    # ---- PluginMainWidget API
    def get_title(self):
        return _("TensorBoard Logs")

    def get_focus_widget(self):
        return self.tree

    def setup(self):
        self.open_action = self.create_action(
            TBLogsActions.OpenInTensorBoard,
            text=_("Open in TensorBoard"),
            tip=_("Serve the selected log directory or run with TensorBoard "
                  "and show it"),
            icon=self.create_icon("plot"),
            triggered=lambda: self.open_in_tensorboard(self.target_logdir()),
        )
        self.stop_action = self.create_action(
            TBLogsActions.StopTensorBoard,
            text=_("Stop TensorBoard"),
            tip=_("Stop the TensorBoard serving the selection"),
            icon=self.create_icon("stop"),
            triggered=lambda: self.stop_tensorboard(self.target_logdir()),
        )
        self.browser_action = self.create_action(
            TBLogsActions.OpenInBrowser,
            text=_("Open in browser"),
            tip=_("Open TensorBoard for the selection in the system browser"),
            icon=self.create_icon("browse_tab"),
            triggered=lambda: self.open_in_tensorboard(
                self.target_logdir(), OpenTarget.Browser),
        )
        self.copy_path_action = self.create_action(
            TBLogsActions.CopyPath,
            text=_("Copy path"),
            icon=self.create_icon("editcopy"),
            triggered=self.copy_path,
        )
        self.show_in_files_action = self.create_action(
            TBLogsActions.ShowInFiles,
            text=_("Show in Files"),
            icon=self.create_icon("files"),
            triggered=self.show_in_files,
        )
        self.add_directory_action = self.create_action(
            TBLogsActions.AddLogDirectory,
            text=_("Add log directory…"),
            tip=_("Show another log directory for this project"),
            icon=self.create_icon("folder_new"),
            triggered=self.add_log_directory,
        )
        self.hide_directory_action = self.create_action(
            TBLogsActions.HideLogDirectory,
            text=_("Hide log directory"),
            tip=_("Stop showing the selected log directory for this project"),
            icon=self.create_icon("hide"),
            triggered=self.hide_log_directory,
        )
        self.show_hidden_action = self.create_action(
            TBLogsActions.ShowHiddenLogDirectories,
            text=_("Show hidden log directories again"),
            triggered=self.show_hidden_log_directories,
        )
        self.follow_action = self.create_action(
            TBLogsActions.FollowConsole,
            text=_("Follow console"),
            tip=_("Select the run the current console's kernel writes, "
                  "whenever it creates a new event file"),
            icon=self.create_icon("ipython_console"),
            toggled=self.set_follow_console,
            initial=False,
        )
        self.refresh_action = self.create_action(
            TBLogsActions.Refresh,
            text=_("Refresh"),
            tip=_("Look for log directories again and re-read the logs"),
            icon=self.create_icon("refresh"),
            triggered=self.refresh,
        )

        toolbar = self.get_main_toolbar()
        for action in (self.open_action, self.stop_action,
                       self.browser_action):
            self.add_item_to_toolbar(
                action, toolbar=toolbar,
                section=TBLogsToolbarSections.TensorBoard)
        for action in (self.add_directory_action, self.refresh_action):
            self.add_item_to_toolbar(
                action, toolbar=toolbar,
                section=TBLogsToolbarSections.Directories)
        self.add_item_to_toolbar(self.follow_action, toolbar=toolbar,
                                 section=TBLogsToolbarSections.Console)

        options_menu = self.get_options_menu()
        for action in (self.add_directory_action, self.show_hidden_action,
                       self.refresh_action):
            self.add_item_to_menu(action, menu=options_menu)

        self.context_menu = self.create_menu(TBLogsMenus.Context)
        for action in (self.open_action, self.stop_action,
                       self.browser_action):
            self.add_item_to_menu(
                action, menu=self.context_menu,
                section=TBLogsContextMenuSections.TensorBoard)
        for action in (self.copy_path_action, self.show_in_files_action):
            self.add_item_to_menu(
                action, menu=self.context_menu,
                section=TBLogsContextMenuSections.Path)
        for action in (self.add_directory_action, self.hide_directory_action,
                       self.refresh_action):
            self.add_item_to_menu(
                action, menu=self.context_menu,
                section=TBLogsContextMenuSections.Directories)
        self.update_actions()

    def update_actions(self):
        if not hasattr(self, "open_action"):
            return
        node = self.current_node()
        logdir = self.target_logdir()
        entry = self.instances.entry(logdir) if logdir else None
        serving = entry is not None and entry.state in (
            InstanceState.Running, InstanceState.Starting)
        self.open_action.setEnabled(bool(logdir))
        self.browser_action.setEnabled(bool(logdir))
        self.stop_action.setEnabled(serving)
        self.copy_path_action.setEnabled(node is not None)
        self.show_in_files_action.setEnabled(node is not None)
        self.hide_directory_action.setEnabled(
            node is not None and node.kind == NodeKind.Root)
        self.hide_directory_action.setVisible(
            node is not None and node.kind == NodeKind.Root)
        settings = self._directory_settings()
        self.show_hidden_action.setEnabled(bool(settings.get("hidden")))

    # ---- Context: project / working directory
    def set_project(self, path: Optional[str]):
        """Show the logs of the project at ``path`` (None: no project)."""
        self._project_path = path or None
        self._context_timer.start()

    def set_working_directory(self, path: Optional[str]):
        """Remember the console's working directory (used without project)."""
        if path == self._working_directory:
            return
        self._working_directory = path
        if self._project_path is None:
            self._context_timer.start()

    def context_directory(self) -> Optional[str]:
        """The directory whose logs are shown."""
        return self._project_path or self._working_directory

    def refresh(self):
        """Look for log roots again and re-read everything."""
        self._update_context()

    @Slot()
    def _update_context(self):
        if self._closed:
            return
        directory = self.context_directory()
        settings = self._directory_settings()
        self._generation += 1
        self._context = IndexContext(
            generation=self._generation,
            directory=directory,
            is_project=self._project_path is not None,
            autodetect=bool(self._conf("autodetect", True)),
            max_depth=int(self._conf("autodetect_depth", 6)),
            added=tuple(settings.get("added", ())),
            hidden=tuple(settings.get("hidden", ())),
            console_cwd=self._console_cwd,
        )
        self._pending_batches.clear()
        self._searching = True
        if not self.model.root_nodes():
            if directory or self._context.added:
                self._show_empty(EMPTY_SEARCHING.format(
                    _html(directory or ", ".join(self._context.added))))
            else:
                self._show_empty(EMPTY_NO_DIRECTORY)
        self.index_worker.request_context(self._context)
        self.update_actions()

    # ---- Per-directory settings (added / hidden roots)
    def _directory_key(self):
        directory = self.context_directory()
        return os.path.normcase(os.path.abspath(directory)) if directory \
            else ""

    def _directory_settings(self) -> dict:
        all_settings = self._conf("log_directories", {}) or {}
        if not isinstance(all_settings, dict):
            return {}
        settings = all_settings.get(self._directory_key(), {})
        return settings if isinstance(settings, dict) else {}

    def _save_directory_settings(self, settings):
        all_settings = dict(self._conf("log_directories", {}) or {})
        all_settings[self._directory_key()] = {
            "added": list(settings.get("added", [])),
            "hidden": list(settings.get("hidden", [])),
        }
        self.set_conf("log_directories", all_settings)

    def add_log_directory(self, directory: Optional[str] = None):
        """Show ``directory`` (asked for when None) for this project."""
        if not directory:
            directory = getexistingdirectory(
                self, _("Add log directory"),
                self.context_directory() or os.path.expanduser("~"))
            if not directory:
                return
        directory = os.path.abspath(directory)
        settings = self._directory_settings()
        added = list(settings.get("added", []))
        hidden = [p for p in settings.get("hidden", [])
                  if logdir_key(p) != logdir_key(directory)]
        if all(logdir_key(p) != logdir_key(directory) for p in added):
            added.append(directory)
        self._save_directory_settings({"added": added, "hidden": hidden})
        self._update_context()

    def hide_log_directory(self, directory: Optional[str] = None):
        """Stop showing the log root ``directory`` (default: selected)."""
        if directory is None:
            node = self.current_node()
            if node is None or node.kind != NodeKind.Root:
                return
            directory = node.root_path
        settings = self._directory_settings()
        added = [p for p in settings.get("added", [])
                 if logdir_key(p) != logdir_key(directory)]
        hidden = list(settings.get("hidden", []))
        node = self.model.root_node(directory)
        if node is None or node.origin != "added":
            if all(logdir_key(p) != logdir_key(directory) for p in hidden):
                hidden.append(directory)
        self._save_directory_settings({"added": added, "hidden": hidden})
        self._update_context()

    def show_hidden_log_directories(self):
        """Forget the hidden roots of this project."""
        settings = self._directory_settings()
        self._save_directory_settings(
            {"added": settings.get("added", []), "hidden": []})
        self._update_context()

    # ---- Worker results
    @Slot(object)
    def _on_roots_found(self, found):
        if found.generation != self._generation:
            return
        self._searching = False
        self._context_message = found.message
        self._watching = found.watching
        self.model.set_roots(found.roots)
        self._update_empty_state()
        self.sig_roots_changed.emit()

    @Slot(object)
    def _on_batch(self, batch):
        if batch.generation != self._generation:
            return
        self._pending_batches.append(batch)
        if not self._apply_timer.isActive():
            self._apply_timer.start()

    @Slot()
    def _apply_pending_batches(self):
        started = time.perf_counter()
        applied = False
        if self._pending_batches:
            # Busy periods grow while the kernel runs: timing-based
            # ownership of the new files needs the latest ones.
            self._refresh_kernel()
        while self._pending_batches:
            batch = self._pending_batches.popleft()
            if batch.generation != self._generation:
                continue
            self.model.apply_batch(batch)
            applied = True
            if self._following and batch.runs:
                self._follow(batch.root, [RunInfo.from_row(row)
                                          for row in batch.runs])
            if time.perf_counter() - started > APPLY_BUDGET_SECONDS:
                break
        if self._pending_batches:
            self._apply_timer.start()
        if applied:
            self._update_details()
            self._update_previews()
            self.update_actions()
            self.sig_batches_applied.emit()

    @Slot(bool)
    def _on_worker_busy(self, busy):
        if busy:
            self.start_spinner()
        else:
            self.stop_spinner()

    def is_idle(self) -> bool:
        """Whether every result of the worker has been applied."""
        return not self._searching and not self._pending_batches

    # ---- Empty states
    def _show_empty(self, text):
        self.empty_label.setText(text)
        self.stack.setCurrentWidget(self.empty_page)

    def _update_empty_state(self):
        if self.model.root_nodes():
            self.stack.setCurrentWidget(self.splitter)
            return
        directory = self.context_directory()
        if self._context_message:
            text = _html(self._context_message)
        elif directory is None:
            text = EMPTY_NO_DIRECTORY
        elif self._project_path is None:
            text = EMPTY_NO_LOGS_WORKDIR.format(_html(directory))
        else:
            text = EMPTY_NO_LOGS
        self._show_empty(text)

    def empty_message(self) -> str:
        """Text of the empty state ('' when the tree is shown)."""
        if self.stack.currentWidget() is self.empty_page:
            return self.empty_label.text()
        return ""

    # ---- Tree helpers
    def current_node(self):
        """The selected node (None if nothing is selected)."""
        return self.model.node_from_index(self.tree.currentIndex())

    def select_node(self, node):
        """Make ``node`` current and visible."""
        index = self.model.index_for_node(node)
        if index.isValid():
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index)

    def target_logdir(self) -> Optional[str]:
        """Directory that the TensorBoard actions apply to."""
        node = self.current_node()
        if node is not None:
            return node.tensorboard_logdir()
        roots = self.model.root_nodes()
        if len(roots) == 1:
            return roots[0].root_path
        return None

    def _on_rows_inserted(self, parent, first, last):
        if not parent.isValid():
            # New log roots start expanded: their runs are what users want.
            for row in range(first, last + 1):
                self.tree.expand(self.model.index(row, 0))
            self._update_empty_state()

    def _on_rows_removed(self, parent, first, last):
        if not parent.isValid() and not self.model.root_nodes():
            self._update_empty_state()
        if self._details_node is not None and \
                not self._details_node.attached:
            self._update_details(force=True)

    def _on_current_changed(self, current, previous):
        self._update_details(force=True)
        self._update_previews()
        self.update_actions()

    def _update_details(self, force=False):
        node = self.current_node()
        state = None
        if node is not None:
            state = (id(node), node.run_row, id(node.file),
                     node.diagnostics, node.run_count, node.message,
                     len(node.children))
        if not force and node is self._details_node and \
                state == self._details_state:
            return
        self._details_node = node
        self._details_state = state
        scroll = self.details.verticalScrollBar().value()
        self.details.setHtml(self._console_details_html(node)
                             + node_html(node))
        if node is not None and not force:
            self.details.verticalScrollBar().setValue(scroll)

    def _refresh_ages(self):
        self.model.refresh_times()
        self.tree.viewport().update()
        # The details age too: "written 3 min ago", and the flush hint of a
        # paused console's run appears with time alone, no new bytes.
        if not self._closed:
            self._update_details(force=True)

    def _show_context_menu(self, position):
        index = self.tree.indexAt(position)
        if index.isValid():
            self.tree.setCurrentIndex(index)
        self.update_actions()
        self.context_menu.popup(self.tree.viewport().mapToGlobal(position))

    # ---- Console: ownership, state, follow, working directory
    def _refresh_kernel(self) -> bool:
        """Re-read the current kernel's identity; True if it changed.

        Cheap and kernel-free: the tracker answers from Spyder's side.
        """
        kernel = self.console_tracker.identity()
        if kernel == self._kernel:
            return False
        self._kernel = kernel
        self._ownership.clear()
        return True

    def console_label_text(self) -> str:
        """"Console 1/A · paused in debugger" ('' without a console)."""
        state = self.console_tracker.state
        name = self.console_tracker.console_name
        if state == STATE_NONE and not name:
            return ""
        return f"{name or _('Console')} · {state_label(state)}"

    def run_ownership(self, node):
        """Whether the current console writes the run of ``node``.

        Returns
        -------
        RunOwnership or None
            None for nodes without a run.
        """
        row = getattr(node, "run_row", None)
        if row is None or node.kind == NodeKind.File:
            return None
        path = node.path
        cached = self._ownership.get(path)
        if cached is not None and cached[0] is row:
            return cached[1]
        verdict = run_ownership(node.run, self._kernel)
        if len(self._ownership) >= OWNERSHIP_CACHE_SIZE:
            self._ownership.clear()
        self._ownership[path] = (row, verdict)
        return verdict

    def console_tooltip(self, node) -> str:
        """Why a run is the console's, and the flush hint if it applies."""
        verdict = self.run_ownership(node)
        if verdict is None or not verdict.owned:
            return ""
        hint = flush_hint(node.run, self.console_tracker.state)
        return verdict.reason + ("\n\n" + hint if hint else "")

    def _console_column_data(self, node, role):
        if node.kind == NodeKind.Root:
            if node.origin != "workdir":
                return None
            if role == Qt.DisplayRole:
                return WORKDIR_ROOT_LABEL
            if role == Qt.ToolTipRole:
                return WORKDIR_ROOT_TOOLTIP
            return None
        if role not in (Qt.DisplayRole, Qt.ToolTipRole):
            return None
        verdict = self.run_ownership(node)
        if verdict is None or not verdict.owned:
            return None
        if role == Qt.DisplayRole:
            return self.console_label_text()
        return self.console_tooltip(node)

    def _console_details_html(self, node) -> str:
        verdict = self.run_ownership(node) if node is not None else None
        if verdict is None or not verdict.owned:
            return ""
        return console_html(self.console_label_text(), verdict,
                            flush_hint(node.run, self.console_tracker.state))

    def _repaint_console(self):
        text = self.console_label_text()
        self.console_label.setText(
            _("Console: {}").format(text) if text else "")
        self.console_label.setVisible(bool(text))
        self.tree.viewport().update()
        if not self._closed:
            self._update_details(force=True)

    @Slot()
    def _on_console_changed(self):
        self._refresh_kernel()
        if self._following:
            # Another kernel: what it writes from now on is what to follow.
            self.follower.reset()
            self._start_following()
        self._repaint_console()

    @Slot(str)
    def _on_console_state_changed(self, state):
        previous, self._console_state = self._console_state, state
        self._refresh_kernel()
        self._repaint_console()
        if previous == STATE_RUNNING and state in (STATE_IDLE,
                                                   STATE_DEBUGGING):
            # The code that just ran or stopped at a breakpoint may have
            # created log directories (relative paths land under the
            # console's cwd) that no shown root covers yet: look now, in
            # the worker, rather than at its next periodic search.
            self.index_worker.request_roots_check()

    @Slot(str)
    def _on_console_cwd_changed(self, cwd):
        if not cwd or cwd == self._console_cwd:
            return
        self._console_cwd = cwd
        # The worker looks for logs under it (off this thread).
        self._context_timer.start()

    def set_follow_console(self, follow: bool):
        """Turn *Follow console* on or off."""
        follow = bool(follow)
        if hasattr(self, "follow_action") and \
                self.follow_action.isChecked() != follow:
            # Its toggled signal calls back here with the same value.
            self.follow_action.setChecked(follow)
        if follow == self._following:
            return
        self._following = follow
        self.follower.reset()
        if follow:
            self._start_following()

    def is_following(self) -> bool:
        """Whether *Follow console* is on."""
        return self._following

    def _start_following(self):
        """Remember the files shown now; select the console's latest run."""
        self._refresh_kernel()
        self._followed_created = None
        best, best_created = None, None
        for root in self.model.root_nodes():
            rows = [node.run_row for node in self.model.iter_runs(root)]
            name = self.follower.start_rows(rows, self._kernel)
            node = self.model.find_run(root.root_path, name) if name else None
            if node is None:
                continue
            created = self.run_ownership(node).newest_created or 0.0
            if best is None or created > best_created:
                best, best_created = node, created
        if best is not None:
            self._select_followed(best)

    def _follow(self, root, runs):
        name = self.follower.update(runs, self._kernel)
        node = self.model.find_run(root, name) if name else None
        if node is None:
            return
        # Roots report separately (a root found later reports files the
        # kernel created earlier): only a newer file moves the selection.
        created = self.run_ownership(node).newest_created
        if created is not None and self._followed_created is not None \
                and created < self._followed_created:
            return
        self._select_followed(node)

    def _select_followed(self, node):
        verdict = self.run_ownership(node)
        if verdict is not None and verdict.newest_created is not None:
            self._followed_created = verdict.newest_created
        self.select_node(node)
        self.sig_followed.emit(node)

    # ---- Scalar previews
    def selected_nodes(self):
        """The selected rows' nodes, in display order."""
        indexes = self.tree.selectionModel().selectedRows(0)
        nodes = [self.model.node_from_index(index) for index in indexes]
        return [node for node in nodes if node is not None]

    def preview_runs(self, node=None):
        """Runs whose scalars the *Scalars* tab shows.

        For ``node``, or else the selection: a run (or one of its files) is
        that run; a folder or log directory its first runs. Several selected
        rows overlay their runs. At most ``MAX_PREVIEW_RUNS``.
        """
        if node is not None:
            nodes = [node]
        else:
            nodes = self.selected_nodes()
            current = self.current_node()
            if current is not None and current not in nodes:
                nodes.append(current)
        runs, seen = [], set()
        for node in nodes:
            if node.kind == NodeKind.File:
                node = node.run_node() or node.parent
            if node.kind == NodeKind.Path and node.is_run:
                found = [node.run]
            else:
                found = [run_node.run for run_node in
                         islice(self.model.iter_runs(node), MAX_PREVIEW_RUNS)]
            for run in found:
                if run.path not in seen:
                    seen.add(run.path)
                    runs.append(run)
        return runs[:MAX_PREVIEW_RUNS]

    def _update_previews(self, *_selection):
        node = self.current_node()
        runs = self.preview_runs()
        # RunInfo objects are made on demand: compare what they hold.
        key = tuple(run.row for run in runs)
        if key == self._preview_key:
            return
        self._preview_key = key
        self._preview_root = node.root_node().root_path if node else None
        self.sparklines.set_runs({run.path: run for run in runs},
                                 {run.path: run.name for run in runs})

    @Slot(list)
    def _on_sparklines_clicked(self, keys):
        """Open the clicked chart's run (or, for several, their root)."""
        if len(keys) == 1:
            self.open_in_tensorboard(keys[0])
        elif keys and self._preview_root:
            self.open_in_tensorboard(self._preview_root)

    # ---- Path actions
    def copy_path(self):
        """Copy the selected directory or file path to the clipboard."""
        node = self.current_node()
        if node is not None:
            QApplication.clipboard().setText(node.path)

    def show_in_files(self):
        """Ask Spyder's Files pane to show the selection."""
        node = self.current_node()
        if node is None:
            return
        # An event file's row shows its run directory: known from the row,
        # without a file-system call on the GUI thread.
        path = node.path
        if node.kind == NodeKind.File:
            path = os.path.dirname(path)
        self.sig_show_in_files_requested.emit(path)

    # ---- TensorBoard
    def _conf(self, option, default):
        try:
            return self.get_conf(option, default)
        except Exception:
            return default

    def interpreter_candidates(self):
        """``(python, candidates)`` per the interpreter preference."""
        mode = self._conf("interpreter_mode", InterpreterMode.Automatic)
        console = self.console_interpreter()
        if mode == InterpreterMode.Spyder:
            return sys.executable, ()
        if mode == InterpreterMode.Console:
            return console, ()
        if mode == InterpreterMode.Custom:
            path = self._conf("interpreter_path", "")
            if path:
                return path, ()
        candidates = []
        for python in (console, sys.executable):
            if python and python not in candidates:
                candidates.append(python)
        return None, tuple(candidates)

    def console_interpreter(self) -> str:
        """The interpreter Spyder's consoles use."""
        try:
            if not self.get_conf("default", section="main_interpreter"):
                executable = self.get_conf(
                    "executable", section="main_interpreter")
                if executable:
                    return executable
        except Exception:
            pass
        return sys.executable

    def start_request(self, logdir) -> StartRequest:
        """What to start for ``logdir`` according to the preferences."""
        python, candidates = self.interpreter_candidates()
        host = (self._conf("host", "127.0.0.1") or "127.0.0.1").strip()
        port = None
        if not self._conf("port_auto", True):
            port = int(self._conf("port", 6006))
        try:
            extra = shlex.split(self._conf("extra_args", "") or "")
        except ValueError as error:
            # Dropping the arguments silently would start a TensorBoard the
            # user did not ask for.
            raise ValueError(
                _("Extra arguments in Preferences cannot be read: {}").format(
                    error)) from None
        reload_interval = self._conf("reload_interval", 5)
        if reload_interval and not any(
                arg.startswith("--reload_interval") for arg in extra):
            extra += ["--reload_interval", str(int(reload_interval))]
        return StartRequest(logdir=os.path.abspath(logdir), python=python,
                            candidates=candidates, host=host, port=port,
                            extra_args=tuple(extra))

    def open_in_tensorboard(self, logdir: Optional[str], target=None):
        """Start or reuse TensorBoard for ``logdir`` and show it.

        Parameters
        ----------
        logdir : str
            Directory to serve.
        target : str, optional
            A :class:`~spyder_tblogs.spyder.api.OpenTarget` value; the
            ``open_in`` preference when None.
        """
        if not logdir:
            return
        logdir = os.path.abspath(logdir)
        target = target or self._conf("open_in", OpenTarget.Pane)
        key = logdir_key(logdir)
        self._open_targets[key] = target
        entry = self.instances.entry(logdir)
        self.details_tabs.setCurrentWidget(self.instances)
        if entry is not None and entry.state == InstanceState.Running:
            self._show_instance(entry.logdir, entry.url, target)
            return
        if entry is not None and entry.state == InstanceState.Starting:
            return
        try:
            request = self.start_request(logdir)
        except ValueError as error:
            self.instances.set_state(logdir, InstanceState.Failed,
                                     detail=str(error))
            self.sig_tensorboard_failed.emit(logdir, str(error))
            return
        if not self._confirm_host(request.host):
            return
        self.instances.set_state(logdir, InstanceState.Starting)
        self.tensorboard_worker.request_start(request)
        self.update_actions()

    def _confirm_host(self, host) -> bool:
        """Ask once per session before serving logs beyond loopback."""
        warning = host_security_warning(host)
        if not warning or host in self._confirmed_hosts:
            return True
        answer = QMessageBox.warning(
            self, _("TensorBoard Logs"),
            warning + "\n\n" + _("Start it anyway?"),
            QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        if answer != QMessageBox.Yes:
            return False
        self._confirmed_hosts.add(host)
        return True

    def stop_tensorboard(self, logdir: Optional[str]):
        """Stop the TensorBoard serving ``logdir``."""
        if not logdir:
            return
        entry = self.instances.entry(logdir)
        target = logdir
        if entry is not None:
            if entry.instance is not None:
                target = entry.instance
            self.instances.set_state(entry.logdir, InstanceState.Stopping,
                                     detail=entry.detail)
        self.tensorboard_worker.request_stop(target)
        self.update_actions()

    def _show_instance(self, logdir, url, target):
        if not url:
            return
        if target == OpenTarget.Pane:
            if self.instances.show_url(url):
                self.details_tabs.setCurrentWidget(self.instances)
                return
            target = OpenTarget.Browser
        if target == OpenTarget.Browser:
            self._open_url_in_browser(url)

    def _open_url_in_browser(self, url):
        QDesktopServices.openUrl(QUrl(url))

    @Slot(object, object)
    def _on_tb_started(self, request, instance):
        entry = self.instances.set_state(
            request.logdir, InstanceState.Running, url=instance.url,
            pid=instance.pid, instance=instance,
            detail=_("Reusing an instance already serving this directory")
            if getattr(instance, "reused", False) else "")
        target = self._open_targets.pop(
            logdir_key(request.logdir), self._conf("open_in",
                                                   OpenTarget.Pane))
        self._show_instance(entry.logdir, instance.url, target)
        self.update_actions()
        self.sig_tensorboard_started.emit(instance)

    @Slot(object, str, str)
    def _on_tb_failed(self, request, message, stderr_tail):
        detail = message
        if stderr_tail:
            detail += "\n\n" + stderr_tail.strip()
        self.instances.set_state(request.logdir, InstanceState.Failed,
                                 detail=detail)
        self._open_targets.pop(logdir_key(request.logdir), None)
        self.details_tabs.setCurrentWidget(self.instances)
        self.update_actions()
        self.sig_tensorboard_failed.emit(request.logdir, message)

    @Slot(str, object)
    def _on_tb_stopped(self, logdir, pids):
        entry = self.instances.entry(logdir)
        if entry is not None:
            self.instances.hide_url(entry.url)
            self.instances.remove(entry.logdir)
        self.update_actions()

    @Slot(object, object, str)
    def _on_tb_exited(self, instance, code, stderr_tail):
        entry = self.instances.entry(instance.logdir)
        if entry is None or entry.state == InstanceState.Stopping:
            return
        detail = _("TensorBoard exited")
        if code is not None:
            detail += _(" with code {}").format(code)
        if stderr_tail:
            detail += "\n\n" + stderr_tail.strip()
        self.instances.set_state(entry.logdir, InstanceState.Exited,
                                 detail=detail)
        self.instances.hide_url(entry.url)
        self.update_actions()

    @Slot(object)
    def _on_tb_instances(self, instances):
        live_pids = set()
        for instance in instances:
            live_pids.add(instance.pid)
            entry = self.instances.entry(instance.logdir)
            if entry is not None and entry.state in (
                    InstanceState.Starting, InstanceState.Stopping):
                continue
            self.instances.set_state(
                instance.logdir, InstanceState.Running, url=instance.url,
                pid=instance.pid, instance=instance)
        for entry in list(self.instances.entries.values()):
            if entry.state == InstanceState.Running and \
                    entry.pid not in live_pids:
                self.instances.set_state(
                    entry.logdir, InstanceState.Exited,
                    detail=_("TensorBoard is no longer running"))
        self.update_actions()

    # ---- Preferences
    @on_conf_change(option="poll_interval")
    def _on_poll_interval_changed(self, value):
        if not self._closed:
            self.index_worker.request_poll_interval(int(float(value) * 1000))

    @on_conf_change(option="file_watching")
    def _on_file_watching_changed(self, value):
        if not self._closed:
            self.index_worker.request_watching(bool(value))

    @on_conf_change(option=["autodetect", "autodetect_depth"])
    def _on_autodetect_changed(self, option, value):
        if not self._closed:
            self._context_timer.start()

    # ---- Shutdown
    def close_widget(self, stop_instances=True):
        """Stop the workers and, if asked, the instances started here.

        Safe to call more than once.
        """
        if self._closed:
            return
        self._closed = True
        self.console_tracker.detach()
        self._apply_timer.stop()
        self._age_timer.stop()
        self._context_timer.stop()
        if stop_instances:
            # First, so that a start still waiting in the worker thread for
            # its server ends now instead of holding the thread (the manager
            # is thread-safe).
            self.tensorboard_worker.stop_started_blocking()
        self._index_thread.stop()
        self._tb_thread.stop()
        self.instances.close_web_view()


def _html(text) -> str:
    import html

    return html.escape(str(text))
