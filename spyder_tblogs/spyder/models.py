"""Qt item model of the TensorBoard Logs pane: log roots -> runs -> event files.

The model is fed immutable snapshots (:class:`~.snapshots.RootSpec`,
:class:`~.snapshots.RootBatch`) computed by the index worker thread and
updates its :mod:`~.tree_nodes` *in place*: rows are inserted, removed and
changed with the fine-grained ``begin/end*Rows`` and ``dataChanged`` signals,
never with a model reset, so the view keeps its selection, expansion and
scroll position across refreshes. Insertions and removals are grouped into
contiguous row ranges, which keeps a batch of thousands of new runs down to a
handful of signals.
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from qtpy.QtCore import QAbstractItemModel, QModelIndex, Qt

from spyder.utils.icon_manager import ima

from spyder_tblogs.logs.diagnostics import LIVE_SECONDS
from spyder_tblogs.logs.info import RUN_NAME, RunInfo
from spyder_tblogs.spyder.read_only_items import ReadOnlyItemsMixin
from spyder_tblogs.spyder.snapshots import RootBatch
from spyder_tblogs.spyder.tree_display import (
    COLUMN_TITLES, ICON_NAMES, Column, display_text, icon_name, tooltip_text)
from spyder_tblogs.spyder.tree_nodes import (
    NO_CHILDREN, NodeKind, TreeNode, attach, bisect_key, child_with_key,
    detach, node_key, ranges, row_of, set_file, set_run, split_run_name)

__all__ = ["Column", "COLUMN_TITLES", "NodeKind", "NodeRole", "ExtraColumn",
           "LogTreeModel", "LIVE_SECONDS"]

# Role beyond Qt's own: the node of an index.
NodeRole = Qt.UserRole + 1


@dataclass
class ExtraColumn:
    """A column added by an extension (e.g. a scalar sparkline).

    Attributes
    ----------
    title : str
        Header text.
    data : callable
        ``data(node, role) -> value or None``; called on the GUI thread for
        painting, so it must be cheap (read precomputed values).
    """

    title: str
    data: Callable[[TreeNode, int], Any]
    column: int = field(default=-1)


# ---- The model
# ----------------------------------------------------------------------------
class LogTreeModel(ReadOnlyItemsMixin, QAbstractItemModel):
    """Tree of log roots, runs (nested the way their names nest) and files."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._invisible_root = TreeNode(NodeKind.Root, "", None)
        self._invisible_root.attached = True
        self._roots_by_path = {}
        self._extra_columns = []
        self.live_seconds = LIVE_SECONDS
        self._icons = {name: ima.icon(name) for name in ICON_NAMES}

    # ---- Extension API
    def add_column(self, title: str, data: Callable) -> int:
        """Append a column computed by ``data(node, role)``; return its number."""
        column = len(COLUMN_TITLES) + len(self._extra_columns)
        self.beginInsertColumns(QModelIndex(), column, column)
        self._extra_columns.append(ExtraColumn(title, data, column))
        self.endInsertColumns()
        return column

    # ---- Public API used by the widget
    def root_nodes(self) -> list:
        """Top-level (log root) nodes."""
        return list(self._invisible_root.made_children)

    def root_node(self, path: str) -> Optional[TreeNode]:
        """The node of the log root ``path``, if shown."""
        return self._roots_by_path.get(path)

    def run_count(self) -> int:
        """Number of runs over all roots (as last reported by the worker)."""
        return sum(node.run_count
                   for node in self._invisible_root.made_children)

    def node_from_index(self, index: QModelIndex) -> Optional[TreeNode]:
        """The node of ``index`` (None for an invalid index)."""
        if not index.isValid():
            return None
        return index.internalPointer()

    def index_for_node(self, node: TreeNode, column: int = 0) -> QModelIndex:
        """The model index of ``node``."""
        if node is None or node is self._invisible_root or not node.attached:
            return QModelIndex()
        return self.createIndex(row_of(node), column, node)

    def find_run(self, root: str, run_name: str) -> Optional[TreeNode]:
        """The node of the run ``run_name`` under root ``root``, if shown."""
        node = self._roots_by_path.get(root)
        if node is None:
            return None
        for part in split_run_name(run_name):
            node = child_with_key(node, (0, part))
            if node is None:
                return None
        return node if node.run_row is not None else None

    def iter_runs(self, root_node: Optional[TreeNode] = None):
        """Yield every run node (depth first, in display order)."""
        stack = list(reversed(
            [root_node] if root_node else self._invisible_root.made_children))
        while stack:
            node = stack.pop()
            if node.kind == NodeKind.Path and node.run_row is not None:
                yield node
            stack.extend(reversed(
                [c for c in node.made_children if c.kind != NodeKind.File]))

    def set_roots(self, specs) -> None:
        """Show exactly the log roots ``specs`` (sequence of RootSpec)."""
        wanted = {spec.path: spec for spec in specs}
        top = self._invisible_root
        gone = [row for row, node in enumerate(top.made_children)
                if node.root_path not in wanted]
        for row in gone:
            self._roots_by_path.pop(top.made_children[row].root_path, None)
        self._remove_rows(top, gone)
        new_nodes = []
        for path, spec in wanted.items():
            node = self._roots_by_path.get(path)
            if node is not None:
                if node.origin != spec.origin:
                    node.origin = spec.origin
                    self._emit_changed(node)
                continue
            node = TreeNode(NodeKind.Root, path, top)
            node.root_path = path
            node.origin = spec.origin
            self._roots_by_path[path] = node
            new_nodes.append(node)
        self._insert_nodes(top, new_nodes)

    def apply_batch(self, batch: RootBatch) -> None:
        """Apply one batch of a root's refresh in place."""
        root = self._roots_by_path.get(batch.root)
        if root is None:
            return
        if batch.removed:
            self._remove_runs(root, batch.removed)
        if batch.runs:
            self._upsert_runs(root, batch.runs)
        changed = (root.diagnostics != tuple(batch.diagnostics)
                   or root.run_count != batch.run_count
                   or root.message != batch.error
                   or (batch.final and not root.loaded))
        root.diagnostics = tuple(batch.diagnostics)
        root.run_count = batch.run_count
        root.message = batch.error
        if batch.final:
            root.loaded = True
        if changed:
            self._emit_changed(root)

    def refresh_times(self) -> None:
        """Tell views that the relative-time and live columns aged."""
        top = self._invisible_root
        if not top.made_children:
            return
        # Views repaint only the visible part; the roles they ask for are
        # recomputed from the stored timestamps.
        self.dataChanged.emit(
            self.index(0, Column.LastWritten),
            self.index(len(top.made_children) - 1, Column.Status))

    def is_live(self, node: TreeNode, now: Optional[float] = None) -> bool:
        """Whether the run or file of ``node`` was written very recently."""
        if node.modified is None:
            return False
        now = time.time() if now is None else now
        return now - node.modified < self.live_seconds

    # ---- QAbstractItemModel
    def index(self, row, column, parent=QModelIndex()):
        node = parent.internalPointer() if parent.isValid() else \
            self._invisible_root
        if parent.isValid() and parent.column() != 0:
            return QModelIndex()
        children = node.children
        if 0 <= row < len(children) and \
                0 <= column < self.columnCount():
            return self.createIndex(row, column, children[row])
        return QModelIndex()

    def parent(self, index=QModelIndex()):
        if not index.isValid():
            return QModelIndex()
        node = index.internalPointer()
        parent = node.parent
        if parent is None or parent is self._invisible_root:
            return QModelIndex()
        return self.createIndex(row_of(parent), 0, parent)

    def rowCount(self, parent=QModelIndex()):
        if not parent.isValid():
            return len(self._invisible_root.made_children)
        if parent.column() != 0:
            return 0
        return len(parent.internalPointer().children)

    def hasChildren(self, parent=QModelIndex()):
        if not parent.isValid():
            return bool(self._invisible_root.made_children)
        if parent.column() != 0:
            return False
        return parent.internalPointer().has_children()

    def columnCount(self, parent=QModelIndex()):
        return len(COLUMN_TITLES) + len(self._extra_columns)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            if section < len(COLUMN_TITLES):
                return COLUMN_TITLES[section]
            extra = section - len(COLUMN_TITLES)
            if extra < len(self._extra_columns):
                return self._extra_columns[extra].title
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        node = index.internalPointer()
        column = index.column()
        if role == NodeRole:
            return node
        if column >= len(COLUMN_TITLES):
            extra = column - len(COLUMN_TITLES)
            if extra < len(self._extra_columns):
                return self._extra_columns[extra].data(node, role)
            return None
        if role == Qt.DisplayRole:
            return display_text(node, column, self.is_live(node))
        if role == Qt.ToolTipRole:
            return tooltip_text(node, column, self.is_live(node),
                                self.live_seconds)
        if role == Qt.DecorationRole:
            icon = icon_name(node, column, self.is_live(node))
            return None if icon is None else self._icons[icon]
        if role == Qt.TextAlignmentRole and column in (
                Column.LastStep, Column.Events, Column.Size):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None

    # ---- Tree bookkeeping
    def _emit_changed(self, node):
        if not node.attached:
            return
        row = row_of(node)
        self.dataChanged.emit(
            self.createIndex(row, 0, node),
            self.createIndex(row, self.columnCount() - 1, node))

    def _emit_changed_rows(self, parent, rows):
        """One dataChanged per contiguous range of ``rows`` under parent."""
        last = self.columnCount() - 1
        for start, end in ranges(sorted(rows)):
            self.dataChanged.emit(
                self.createIndex(start, 0, parent.made_children[start]),
                self.createIndex(end, last, parent.made_children[end]))

    def _remove_rows(self, parent, rows):
        """Remove children at ``rows`` of an attached parent, in ranges."""
        if not rows:
            return
        if not parent.attached:
            for row in sorted(rows, reverse=True):
                del parent.made_children[row]
            return
        parent_index = self.index_for_node(parent)
        for start, end in reversed(ranges(sorted(rows))):
            self.beginRemoveRows(parent_index, start, end)
            for child in parent.made_children[start:end + 1]:
                detach(child)
            del parent.made_children[start:end + 1]
            self.endRemoveRows()

    def _insert_nodes(self, parent, nodes):
        """Insert new (detached) ``nodes`` under ``parent`` in sorted order."""
        if not nodes:
            return
        nodes = sorted(nodes, key=node_key)
        if parent.made_children is NO_CHILDREN:
            parent.made_children = []
        if not parent.attached:
            # Not visible yet: plain list merge, no signals.
            for node in nodes:
                parent.made_children.insert(
                    bisect_key(parent.made_children, node.key), node)
            return
        # Final positions of the new nodes in the merged list.
        merged_keys = sorted([n.key for n in parent.made_children]
                             + [n.key for n in nodes])
        positions = [bisect.bisect_left(merged_keys, n.key) for n in nodes]
        parent_index = self.index_for_node(parent)
        i = 0
        for start, end in ranges(positions):
            chunk = nodes[i:i + end - start + 1]
            i += len(chunk)
            self.beginInsertRows(parent_index, start, end)
            parent.made_children[start:start] = chunk
            for node in chunk:
                attach(node)
            self.endInsertRows()

    def _upsert_runs(self, root, runs):
        pending = {}        # id(parent) -> (parent, {key: new node})
        changed = {}        # id(parent) -> (parent, set of rows)
        for run in runs:
            node = root
            parts = split_run_name(run[RUN_NAME])
            for depth, part in enumerate(parts):
                key = (0, part)
                child = child_with_key(node, key)
                if child is None and node.attached:
                    # New rows under a visible parent wait in ``pending`` so
                    # that they are inserted in ranges after the loop.
                    entry = pending.setdefault(id(node), (node, {}))[1]
                    child = entry.get(key)
                    if child is None:
                        child = entry[key] = self._new_path_node(
                            node, part, parts[:depth + 1])
                elif child is None:
                    child = self._new_path_node(node, part, parts[:depth + 1])
                    if node.made_children is NO_CHILDREN:
                        node.made_children = []
                    node.made_children.insert(
                        bisect_key(node.made_children, key), child)
                node = child
            set_run(node, run)
            if node.files_loaded:
                self._sync_files(node, RunInfo.from_row(run).files)
            if node.attached:
                changed.setdefault(id(node.parent), (node.parent, set())
                                   )[1].add(row_of(node))
        for parent, rows in changed.values():
            self._emit_changed_rows(parent, rows)
        for parent, nodes in pending.values():
            self._insert_nodes(parent, list(nodes.values()))

    @staticmethod
    def _new_path_node(parent, part, parts):
        node = TreeNode(NodeKind.Path, part, parent)
        node.run_name = "/".join(parts)
        return node

    def _sync_files(self, node, files):
        if not node.files_loaded:
            # No file rows yet; they are made from ``node.run_row`` when
            # needed.
            return
        wanted = {info.name: info for info in files}
        gone = [row for row, child in enumerate(node.made_children)
                if child.kind == NodeKind.File and child.name not in wanted]
        self._remove_rows(node, gone)
        changed_rows = []
        new_nodes = []
        for name, info in wanted.items():
            child = child_with_key(node, (1, name))
            if child is None:
                child = TreeNode(NodeKind.File, name, node)
                child.run_name = node.run_name
                set_file(child, info)
                new_nodes.append(child)
            elif child.file != info:
                set_file(child, info)
                if node.attached:
                    changed_rows.append(row_of(child))
        if changed_rows:
            self._emit_changed_rows(node, changed_rows)
        self._insert_nodes(node, new_nodes)

    def _remove_runs(self, root, names):
        to_remove = {}          # id(parent) -> (parent, [nodes])
        for name in names:
            node = root
            for part in split_run_name(name):
                node = child_with_key(node, (0, part))
                if node is None:
                    break
            if node is None or node is root:
                continue
            if any(c.kind == NodeKind.Path for c in node.made_children):
                # Keep the folder for the runs nested below it.
                set_run(node, None)
                self._sync_files(node, ())
                self._emit_changed(node)
            else:
                to_remove.setdefault(
                    id(node.parent), (node.parent, []))[1].append(node)
        # Remove, then prune folders left empty, one level up at a time.
        # Rows are computed at removal time because earlier removals under
        # the same parent shift them.
        while to_remove:
            next_to_remove = {}
            for parent, nodes in to_remove.values():
                rows = sorted({row_of(n) for n in nodes if n.attached})
                self._remove_rows(parent, rows)
                if (parent.kind == NodeKind.Path and parent.run_row is None
                        and not parent.made_children and parent.attached):
                    grand = parent.parent
                    next_to_remove.setdefault(
                        id(grand), (grand, []))[1].append(parent)
            to_remove = next_to_remove

