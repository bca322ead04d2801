"""The Runs table's behaviour in the pane: its scope, its rows, selection
kept in step with the tree, TensorBoard on the selected runs, exports.

:class:`RunsTableController` adds the *Runs* tab beside the tree. The
table shows the runs under the tree's log root or folder: selecting a run
keeps the scope, so picking a row in the table (which selects it in the
tree, and the *Scalars* tab follows) does not shrink the table to that run.
Rows are built in a :class:`~.workers.runs_worker.RunsTableWorker` thread,
exports run in an :class:`~.workers.runs_worker.ExportWorker` thread.
"""

from __future__ import annotations

import importlib.util
import os
from urllib.parse import quote

from qtpy.QtCore import QItemSelection, QItemSelectionModel, QObject
from qtpy.QtCore import QTimer, Signal, Slot
from qtpy.compat import getsavefilename
from qtpy.QtWidgets import QMessageBox, QProgressDialog

from spyder.api.config.mixins import SpyderConfigurationAccessor
from spyder.api.translations import _

from spyder_tblogs.spyder.api import (
    TBLogsActions, TBLogsContextMenuSections)
from spyder_tblogs.spyder.config import CONF_SECTION
from spyder_tblogs.spyder.runs_rows import run_filter_regex
from spyder_tblogs.spyder.tree_nodes import (
    NodeKind, child_with_key, split_run_name)
from spyder_tblogs.spyder.widgets.runs_table import RunsTableWidget
from spyder_tblogs.spyder.workers import WorkerThread
from spyder_tblogs.spyder.workers.runs_worker import (
    ExportWorker, RunsTableWorker)

# Tree changes arrive in slices; the table is rebuilt at most this often.
REBUILD_DELAY_MS = 300
# Live/finished ages without new bytes: re-evaluated this often.
AGE_REFRESH_MS = 15000
# Exports shorter than this show no progress dialog.
PROGRESS_DELAY_MS = 400
PROGRESS_STEPS = 1000


class RunsTableController(QObject, SpyderConfigurationAccessor):
    """Keep the *Runs* tab on the tree's scope and run its actions.

    Parameters
    ----------
    pane : TBLogsWidget
        Its ``tree``, ``model``, ``index``, ``tensorboard`` and
        ``view_tabs`` are used.
    """

    CONF_SECTION = CONF_SECTION

    sig_table_shown = Signal()
    """A new table is in the model (tests wait on it)."""

    sig_export_finished = Signal(str, str)
    """``(output, error message)``; '' when it worked."""

    def __init__(self, pane):
        super().__init__(pane)
        self.pane = pane
        self.tree = pane.tree
        self.model = pane.model
        self.widget = RunsTableWidget(pane)
        self.table_model = self.widget.model
        self.scope = None          # (root path, folder run name or None)
        self.generation = 0
        self._syncing = False      # selection being copied: no echo back
        self._dirty = True
        self._export_output = None
        self._progress = None
        self._closed = False
        self.parquet_available = importlib.util.find_spec("pyarrow") \
            is not None
        self.widget.set_parquet_available(self.parquet_available)

        self.table_worker = RunsTableWorker()
        self.table_worker.sig_table.connect(self._on_table)
        self.table_thread = WorkerThread(self.table_worker, "tblogs-runs")
        self.export_worker = ExportWorker()
        self.export_worker.sig_progress.connect(self._on_export_progress)
        self.export_worker.sig_finished.connect(self._on_export_finished)
        self.export_thread = WorkerThread(self.export_worker,
                                          "tblogs-export")

        self._rebuild_timer = QTimer(self)
        self._rebuild_timer.setSingleShot(True)
        self._rebuild_timer.setInterval(REBUILD_DELAY_MS)
        self._rebuild_timer.timeout.connect(self.rebuild)
        self._age_timer = QTimer(self)
        self._age_timer.timeout.connect(self._schedule)
        self._age_timer.start(AGE_REFRESH_MS)

        pane.view_tabs.addTab(self.widget, _("Runs"))
        pane.view_tabs.currentChanged.connect(self._schedule)
        pane.index.sig_slice_applied.connect(self._schedule)
        self.tree.selectionModel().selectionChanged.connect(
            self._on_tree_selection)
        self.tree.selectionModel().currentChanged.connect(
            self._on_tree_selection)
        self.widget.view.selectionModel().selectionChanged.connect(
            self._on_table_selection)
        self.widget.sig_columns_chosen.connect(self._on_columns_chosen)
        self.widget.sig_open_requested.connect(self.open_selected)
        self.widget.sig_export_table_requested.connect(self.export_table)
        self.widget.sig_export_scalars_requested.connect(
            lambda fmt: self.export_scalars(self.table_export_source(), fmt))

    # ---- Scope and rows
    def is_shown(self) -> bool:
        return self.pane.view_tabs.currentWidget() is self.widget

    def show(self):
        """Bring the *Runs* tab to the front."""
        self.pane.view_tabs.setCurrentWidget(self.widget)

    def scope_node(self):
        """The tree node whose runs the table lists (None if gone)."""
        if self.scope is None:
            return None
        root_path, folder = self.scope
        node = self.model.root_node(root_path)
        if node is None or folder is None:
            return node
        for part in split_run_name(folder):
            node = child_with_key(node, (0, part))
            if node is None:
                return None
        return node

    def rebuild(self):
        """Ask the worker for the scope's table now."""
        self._rebuild_timer.stop()
        if self._closed:
            return
        self._dirty = False
        self._update_scope(self.tree.current_node())
        node = self.scope_node()
        if node is None:
            roots = self.model.root_nodes()
            if not roots:
                return
            node = roots[0]
            self.scope = (node.root_path, None)
        self.generation += 1
        run_rows = [run.run_row for run in self.model.iter_runs(node)]
        tags = self.get_conf("runs_table_tags") or None
        self.table_worker.request_table(
            self.generation, node.root_node().root_path, run_rows, tags,
            self.get_conf("runs_table_hidden_hparams"))

    def _schedule(self, *_args):
        """Rebuild soon if the tab shows, else when it is shown."""
        if self._closed:
            return
        if not self.is_shown():
            self._dirty = True
            return
        if not self._rebuild_timer.isActive():
            self._rebuild_timer.start()

    def _update_scope(self, node):
        """A root or plain folder becomes the scope; a run or file keeps the
        scope that holds it (else its root's)."""
        if node is None:
            return
        if node.kind == NodeKind.File:
            node = node.run_node() or node.parent
        root_path = node.root_node().root_path
        if node.kind == NodeKind.Root:
            scope = (root_path, None)
        elif not node.is_run:
            scope = (root_path, node.run_name)
        else:
            current = self.scope
            inside = current is not None and current[0] == root_path and (
                current[1] is None or node.run_name == current[1]
                or node.run_name.startswith(current[1] + "/"))
            scope = current if inside else (root_path, None)
        if scope != self.scope:
            self.scope = scope
            self._dirty = True

    @Slot(int, object)
    def _on_table(self, generation, table):
        if self._closed or generation != self.generation:
            return
        self._syncing = True
        try:
            self.table_model.set_table(table)
        finally:
            self._syncing = False
        self._select_tree_runs_in_table()
        self.sig_table_shown.emit()

    def _on_columns_chosen(self, tags, hidden_hparams):
        self.set_conf("runs_table_tags", list(tags or ()))
        self.set_conf("runs_table_hidden_hparams", list(hidden_hparams))
        self.rebuild()

    # ---- Selection, both ways
    def _on_tree_selection(self, *_args):
        if self._syncing or self._closed:
            return
        self._update_scope(self.tree.current_node())
        if self._dirty:
            self._schedule()
        self._select_tree_runs_in_table()

    def _select_tree_runs_in_table(self):
        table = self.table_model.table
        if table is None or self.scope is None or \
                table.root != self.scope[0]:
            return
        names = [node.run_name for node in self.tree.selected_nodes()
                 if node.kind != NodeKind.Root and node.is_run]
        rows = self.table_model.rows_of_runs(names)
        view = self.widget.view
        selection = QItemSelection()
        last = self.table_model.columnCount() - 1
        for row in rows:
            selection.select(self.table_model.index(row, 0),
                             self.table_model.index(row, last))
        self._syncing = True
        try:
            view.selectionModel().select(
                selection, QItemSelectionModel.ClearAndSelect)
            if rows:
                view.scrollTo(self.table_model.index(rows[0], 0))
        finally:
            self._syncing = False

    def _on_table_selection(self, *_args):
        if self._syncing or self._closed or self.scope is None:
            return
        root = self.table_model.table.root
        nodes = [self.model.find_run(root, name)
                 for name in self.widget.selected_run_names()]
        indexes = [self.model.index_for_node(node) for node in nodes
                   if node is not None]
        if not indexes:
            return
        tree_selection = QItemSelection()
        last = self.model.columnCount() - 1
        for index in indexes:
            tree_selection.select(index, index.siblingAtColumn(last))
        current = self.widget.view.currentIndex()
        current_node = (self.model.find_run(
            root, self.table_model.run_name(current.row()))
            if current.isValid() else None)
        self._syncing = True
        try:
            selection_model = self.tree.selectionModel()
            if current_node is not None:
                selection_model.setCurrentIndex(
                    self.model.index_for_node(current_node),
                    QItemSelectionModel.NoUpdate)
            selection_model.select(tree_selection,
                                   QItemSelectionModel.ClearAndSelect)
            self.tree.scrollTo(indexes[0])
        finally:
            self._syncing = False

    # ---- TensorBoard
    def open_selected(self, target=None):
        """Open the root's TensorBoard showing only the selected runs (all
        shown runs when none is selected)."""
        table = self.table_model.table
        if table is None:
            return
        names = self.widget.selected_run_names() or [
            row[0] for row in self.table_model.visible_rows()]
        if not names:
            return
        fragment = "#scalars&regexInput=" + quote(run_filter_regex(names),
                                                  safe="")
        self.pane.tensorboard.open(table.root, target, fragment=fragment)

    # ---- Tree context menu
    def add_tree_actions(self, pane):
        """Add *Show in Runs table* and the scalar exports to the tree's
        context menu (the pane's ``setup``)."""
        def action(name, text, triggered, icon):
            return pane.create_action(name, text=text, triggered=triggered,
                                      icon=pane.create_icon(icon))

        actions = [
            action(TBLogsActions.ShowRunsTable, _("Show in Runs table"),
                   self._show_from_tree, "show"),
            action(TBLogsActions.ExportScalarsCsv,
                   _("Export scalars as CSV…"),
                   lambda: self.export_scalars(self.tree_export_source(),
                                               "csv"), "fileexport")]
        if self.parquet_available:
            actions.append(action(
                TBLogsActions.ExportScalarsParquet,
                _("Export scalars as Parquet…"),
                lambda: self.export_scalars(self.tree_export_source(),
                                            "parquet"), "fileexport"))
        for item in actions:
            pane.add_item_to_menu(item, menu=pane.context_menu,
                                  section=TBLogsContextMenuSections.Export,
                                  before_section=(
                                      TBLogsContextMenuSections.Directories))

    def _show_from_tree(self):
        self._update_scope(self.tree.current_node())
        self.show()

    # ---- Exports
    def table_export_source(self):
        """What *Export scalars* exports from the table: the one selected
        run, else the scope's directory."""
        rows = self.widget.selected_rows()
        if len(rows) == 1:
            return self.table_model.run_path(rows[0])
        node = self.scope_node()
        return None if node is None else node.path

    def tree_export_source(self):
        """What *Export scalars* exports from the tree: the current run,
        folder or root (a file's run)."""
        node = self.tree.current_node()
        if node is None:
            return None
        if node.kind == NodeKind.File:
            node = node.run_node() or node.parent
        return node.path

    def is_exporting(self) -> bool:
        return self._export_output is not None

    def export_table(self, output=None):
        """Write the shown rows, in view order, as CSV (asks where)."""
        table = self.table_model.table
        if table is None or self.is_exporting():
            return
        if output is None:
            output = self._ask_output(_("Export table as CSV"),
                                      "runs.csv", "csv")
            if not output:
                return
        self._start_export(output, _("Exporting the runs table…"))
        self.export_worker.request_table(
            self.table_model.visible_run_rows(), table.tags, table.hparams,
            output)

    def export_scalars(self, source, fmt="csv", output=None):
        """Export every scalar point under ``source`` (asks where)."""
        if not source or self.is_exporting():
            return
        if output is None:
            name = os.path.basename(source.rstrip(os.sep)) or "scalars"
            output = self._ask_output(
                _("Export scalars as {}").format(fmt.upper()),
                "%s.%s" % (name, fmt), fmt)
            if not output:
                return
        self._start_export(output, _("Exporting the scalars of {}…").format(
            source))
        self.export_worker.request_scalars(source, output, fmt)

    def cancel_export(self):
        """Stop the running export; nothing is written."""
        self.export_worker.cancel()

    def _ask_output(self, title, name, fmt):
        start = self.pane.context_directory() or os.path.expanduser("~")
        output, _filter = getsavefilename(
            self.pane, title, os.path.join(start, name),
            "%s (*.%s)" % (fmt.upper(), fmt))
        return output

    def _start_export(self, output, label):
        self._export_output = output
        progress = QProgressDialog(label, _("Cancel"), 0, PROGRESS_STEPS,
                                   self.pane)
        progress.setWindowTitle(_("TensorBoard Logs"))
        progress.setMinimumDuration(PROGRESS_DELAY_MS)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        # Called here, not queued to the worker's thread, where it would
        # wait for the export it means to stop.
        progress.canceled.connect(self.cancel_export)
        progress.setValue(0)
        self._progress = progress

    @Slot(object, object)
    def _on_export_progress(self, done, total):
        if self._progress is not None and total:
            self._progress.setValue(int(PROGRESS_STEPS * done / total))

    @Slot(str, str)
    def _on_export_finished(self, output, error):
        if self._progress is not None:
            self._progress.canceled.disconnect(self.cancel_export)
            self._progress.close()
            self._progress.deleteLater()
            self._progress = None
        self._export_output = None
        if self._closed:
            return
        if error and error != ExportWorker.CANCELLED:
            self.show_error(_("The export failed: {}").format(error))
        self.sig_export_finished.emit(output, error)

    def show_error(self, message):
        """Tell the user (a message box; tests replace it)."""
        QMessageBox.warning(self.pane, _("TensorBoard Logs"), message)

    # ---- Shutdown
    def close(self):
        """Cancel an export and end the worker threads."""
        self._closed = True
        self._rebuild_timer.stop()
        self._age_timer.stop()
        self.export_worker.cancel()
        self.table_thread.stop()
        self.export_thread.stop()
