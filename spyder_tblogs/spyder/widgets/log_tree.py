"""The tree of log roots, runs and event files, with its context menu."""

from __future__ import annotations

import os
from typing import Optional

from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import (
    QAbstractItemView, QApplication, QHeaderView, QTreeView)

from spyder_tblogs.spyder.models import Column, LogTreeModel, NodeKind
from spyder_tblogs.spyder.tree_nodes import TreeNode

# Initial widths of the columns, in pixels (the last one stretches).
COLUMN_WIDTHS = ((Column.Name, 280), (Column.LastStep, 80),
                 (Column.Events, 70), (Column.Size, 80),
                 (Column.LastWritten, 100), (Column.Status, 110))


class LogTreeView(QTreeView):
    """The pane's tree (no per-row widgets: 10,000 runs stay cheap).

    Ctrl/Shift+click selects several rows, whose runs the *Scalars* tab
    overlays; actions apply to the current row. New log roots open
    expanded: their runs are what users want to see.
    """

    sig_context_menu_requested = Signal()
    """The context menu is about to show for the current row."""

    sig_show_in_files_requested = Signal(str)
    """Show this directory in the Files pane."""

    def __init__(self, model: LogTreeModel, parent=None):
        super().__init__(parent)
        self._context_menu = None
        # Uniform rows let Qt skip measuring each of 10,000 rows.
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setContextMenuPolicy(Qt.CustomContextMenu)
        self.setAlternatingRowColors(False)
        self.setAllColumnsShowFocus(True)
        self.setExpandsOnDoubleClick(True)
        self.setModel(model)
        header = self.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.Interactive)
        for column, width in COLUMN_WIDTHS:
            header.resizeSection(column, width)
        self.customContextMenuRequested.connect(self._show_context_menu)
        model.rowsInserted.connect(self._expand_new_roots)

    def set_context_menu(self, menu) -> None:
        """The menu to show on right click."""
        self._context_menu = menu

    # ---- Nodes
    def current_node(self) -> Optional[TreeNode]:
        """The node of the current row (None if there is none)."""
        return self.model().node_from_index(self.currentIndex())

    def selected_nodes(self) -> list:
        """The selected rows' nodes, in display order."""
        model = self.model()
        nodes = [model.node_from_index(index)
                 for index in self.selectionModel().selectedRows(0)]
        return [node for node in nodes if node is not None]

    def select_node(self, node: TreeNode) -> None:
        """Make ``node`` current and visible."""
        index = self.model().index_for_node(node)
        if index.isValid():
            self.setCurrentIndex(index)
            self.scrollTo(index)

    # ---- Path actions
    def copy_path(self) -> None:
        """Copy the current row's directory or file path."""
        node = self.current_node()
        if node is not None:
            QApplication.clipboard().setText(node.path)

    def show_in_files(self) -> None:
        """Ask for the current row's directory in the Files pane."""
        node = self.current_node()
        if node is None:
            return
        # An event file's row shows its run directory: known from the row,
        # without a file-system call on the GUI thread.
        path = node.path
        if node.kind == NodeKind.File:
            path = os.path.dirname(path)
        self.sig_show_in_files_requested.emit(path)

    # ---- Private
    def _expand_new_roots(self, parent, first, last):
        if not parent.isValid():
            for row in range(first, last + 1):
                self.expand(self.model().index(row, 0))

    def _show_context_menu(self, position):
        index = self.indexAt(position)
        if index.isValid():
            self.setCurrentIndex(index)
        self.sig_context_menu_requested.emit()
        if self._context_menu is not None:
            self._context_menu.popup(self.viewport().mapToGlobal(position))
