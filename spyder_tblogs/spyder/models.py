"""Qt item model of the TensorBoard Logs pane: log roots -> runs -> event files.

The model is fed immutable snapshots (:class:`RootSpec`, :class:`RootBatch`)
computed by the index worker thread and updates itself *in place*: rows are
inserted, removed and changed with the fine-grained ``begin/end*Rows`` and
``dataChanged`` signals, never with a model reset, so the view keeps its
selection, expansion and scroll position across refreshes. Insertions and
removals are grouped into contiguous row ranges, which keeps a batch of
thousands of new runs down to a handful of signals.
"""

from __future__ import annotations

import bisect
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from qtpy.QtCore import QAbstractItemModel, QModelIndex, Qt
from qtpy.QtWidgets import QApplication, QStyle

from spyder.api.translations import _

from spyder_tblogs.logs.info import (
    FILE_FIELDS, RUN_DIAGNOSTICS, RUN_FILE_COUNT, RUN_LAST_MODIFIED, RUN_NAME,
    RUN_PATH, RunInfo, run_file_field,
)

# A run whose newest event file changed less than this many seconds ago is
# shown as being written now.
LIVE_SECONDS = 60.0

# Roles beyond Qt's own.
NodeRole = Qt.UserRole + 1
SortRole = Qt.UserRole + 2


class Column:
    """Column numbers of the tree."""

    Name = 0
    LastStep = 1
    Events = 2
    Size = 3
    LastWritten = 4
    Status = 5


COLUMN_TITLES = (
    _("Name"), _("Last step"), _("Events"), _("Size"), _("Last written"),
    _("Status"),
)

SEVERITY_ORDER = {"info": 0, "warning": 1, "error": 2}


# ---- Snapshots handed over by the worker thread
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class RootSpec:
    """A log root to show.

    Attributes
    ----------
    path : str
        Absolute directory.
    origin : str
        ``'auto'`` (found under the project), ``'added'`` (added by the
        user) or ``'workdir'`` (the console's working directory).
    """

    path: str
    origin: str = "auto"


@dataclass(frozen=True)
class RootBatch:
    """Part of the result of refreshing one log root.

    A refresh of a large root is split into several batches so that the GUI
    thread applies a bounded amount of work at a time.

    Attributes
    ----------
    generation : int
        Context generation the batch belongs to; stale ones are dropped.
    root : str
        Absolute root directory.
    runs : tuple of tuple
        Runs added or changed since the previous refresh, as
        ``RunInfo.row`` plain tuples (which the garbage collector skips).
    removed : tuple of str
        Names of runs that disappeared.
    diagnostics : tuple of Diagnostic
        Root-level diagnostics (missing or unreadable directory, loops).
    run_count : int
        Number of runs in the root after the refresh.
    final : bool
        Whether this is the last batch of the refresh.
    error : str or None
        Message when the refresh itself failed.
    """

    generation: int
    root: str
    runs: tuple = ()
    removed: tuple = ()
    diagnostics: tuple = ()
    run_count: int = 0
    final: bool = True
    error: Optional[str] = None


# ---- Tree nodes
# ----------------------------------------------------------------------------
class NodeKind:
    """Kinds of tree nodes."""

    Root = 0
    # A path component of run names: a run (``run`` is set), a plain folder
    # holding nested runs (``run`` is None) or both.
    Path = 1
    File = 2


_NO_CHILDREN = ()
# Positions of EventFileInfo fields (see ``run_file_field``).
_SIZE, _EVENTS, _LAST_STEP = (
    FILE_FIELDS.index(name) for name in ("size", "events", "last_step"))


class TreeNode:
    """One row of the tree; plain Python object owned by the model.

    Children are kept sorted by :attr:`key`, so lookups bisect them.
    """

    __slots__ = (
        "kind", "name", "key", "parent", "_children", "files_loaded",
        "attached",
        "root_path", "origin", "run_name", "run_row", "file", "diagnostics",
        "run_count", "message", "loaded",
    )

    def __init__(self, kind, name, parent):
        self.kind = kind
        self.name = name
        # Path components sort before event files; both by name.
        self.key = (1 if kind == NodeKind.File else 0, name)
        self.parent = parent
        # Most nodes are leaves: they share one empty tuple and get a list
        # with their first child. Every list is a container the garbage
        # collector walks on each full collection; 10,000 runs made 40,000.
        self._children = _NO_CHILDREN
        # The event-file rows of a run are made when first needed (the run
        # is expanded, selected or its children are read): with 10,000 runs
        # listed, 20,000 nodes and lists less for each full collection to
        # walk, which froze the window for tens of milliseconds.
        self.files_loaded = False
        self.attached = False
        self.root_path = None
        self.origin = None
        self.run_name = None
        # The run as ``RunInfo.row``, a tuple of plain values: with 10,000
        # runs listed, a RunInfo object per node was 10,000 more containers
        # for every full garbage collection to walk.
        self.run_row = None
        self.file = None
        self.diagnostics = ()
        self.run_count = 0
        self.message = None
        self.loaded = False

    @property
    def run(self) -> Optional[RunInfo]:
        """The run snapshot of a run node (None for folders, roots, files)."""
        row = self.run_row
        return None if row is None else RunInfo.from_row(row)

    @property
    def is_run(self) -> bool:
        """Whether the node stands for a run (a path node with a run)."""
        return self.run_row is not None

    # ---- Columns, read from the snapshot on demand: copies kept on 10,000
    # nodes are 40,000 more references for every full collection to follow.
    @property
    def last_step(self) -> Optional[int]:
        """Last step of the file, or the largest of the run's files."""
        if self.file is not None:
            return self.file.last_step
        if self.run_row is None:
            return None
        steps = [step for step in run_file_field(self.run_row, _LAST_STEP)
                 if step is not None]
        return max(steps) if steps else None

    @property
    def events(self) -> Optional[int]:
        """Events of the file, or the sum over the run's files."""
        if self.file is not None:
            return self.file.events
        if self.run_row is None:
            return None
        return sum(run_file_field(self.run_row, _EVENTS))

    @property
    def size(self) -> Optional[int]:
        """Bytes of the file, or the sum over the run's files."""
        if self.file is not None:
            return self.file.size
        if self.run_row is None:
            return None
        return sum(run_file_field(self.run_row, _SIZE))

    @property
    def modified(self) -> Optional[float]:
        """Modification time of the file, or the run's latest one."""
        if self.file is not None:
            return self.file.mtime
        if self.run_row is None:
            return None
        return self.run_row[RUN_LAST_MODIFIED]

    @property
    def children(self) -> list:
        """Child nodes, sorted: nested runs and folders, then event files."""
        if not self.files_loaded and self.run_row is not None:
            self.load_files()
        return self._children

    def load_files(self) -> None:
        """Make the event-file rows of the run now (no model signals).

        Only for rows no view has counted yet: views learn the number of
        rows through ``rowCount``, which calls this first.
        """
        self.files_loaded = True
        if self.run_row is None or not self.run_row[RUN_FILE_COUNT]:
            return
        files = []
        for info in self.run.files:
            child = TreeNode(NodeKind.File, info.name, self)
            child.run_name = self.run_name
            child.attached = self.attached
            _set_file(child, info)
            files.append(child)
        files.sort(key=_node_key)
        if self._children is _NO_CHILDREN:
            self._children = []
        # File keys sort after every path key.
        self._children.extend(files)

    def has_children(self) -> bool:
        """Whether the node has rows below it (without making file rows)."""
        if self._children:
            return True
        return (not self.files_loaded and self.run_row is not None
                and bool(self.run_row[RUN_FILE_COUNT]))

    # ---- Information for actions and the details area
    @property
    def path(self) -> str:
        """Absolute path of the directory or file the node stands for."""
        if self.kind == NodeKind.Root:
            return self.root_path
        if self.kind == NodeKind.File:
            return self.file.path
        if self.run_row is not None:
            return self.run_row[RUN_PATH]
        root = self.root_node()
        return os.path.join(root.root_path, *self.run_name.split("/"))

    def root_node(self) -> "TreeNode":
        """The log-root node above (or at) this node."""
        node = self
        while node.kind != NodeKind.Root:
            node = node.parent
        return node

    def run_node(self) -> Optional["TreeNode"]:
        """The run the node belongs to (itself for a run), if any."""
        node = self
        while node is not None and node.kind != NodeKind.Root:
            if node.run_row is not None:
                return node
            node = node.parent
        return None

    def tensorboard_logdir(self) -> str:
        """Directory to serve for "Open in TensorBoard" on this node."""
        if self.kind == NodeKind.File:
            return os.path.dirname(self.file.path)
        return self.path

    def __repr__(self):
        return f"<TreeNode {self.kind} {self.name!r}>"


def _set_run(node: TreeNode, row) -> None:
    """Store a run (``RunInfo.row``, or None) on a path node."""
    # The columns (last step, events, size, modified) are read from the
    # run's plain file rows when painted.
    node.run_row = row
    node.diagnostics = () if row is None else row[RUN_DIAGNOSTICS]



def _set_file(node: TreeNode, info) -> None:
    node.file = info
    node.diagnostics = ()


# ---- Formatting
# ----------------------------------------------------------------------------
def format_size(size: Optional[int]) -> str:
    """Human-readable byte count."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def format_age(timestamp: Optional[float], now: Optional[float] = None) -> str:
    """Say how long ago ``timestamp`` was ("just now", "2 min ago", ...)."""
    if not timestamp:
        return ""
    now = time.time() if now is None else now
    seconds = max(0.0, now - timestamp)
    if seconds < 10:
        return _("just now")
    if seconds < 60:
        return _("{} s ago").format(int(seconds))
    if seconds < 3600:
        return _("{} min ago").format(int(seconds // 60))
    if seconds < 86400:
        return _("{} h ago").format(int(seconds // 3600))
    days = int(seconds // 86400)
    if days < 30:
        return _("{} days ago").format(days) if days > 1 else _("1 day ago")
    return time.strftime("%Y-%m-%d", time.localtime(timestamp))


def worst_severity(diagnostics) -> Optional[str]:
    """The most severe severity among ``diagnostics`` (None if empty)."""
    worst = None
    for diagnostic in diagnostics:
        if worst is None or (SEVERITY_ORDER.get(diagnostic.severity, 0)
                             > SEVERITY_ORDER.get(worst, 0)):
            worst = diagnostic.severity
    return worst


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
class LogTreeModel(QAbstractItemModel):
    """Tree of log roots, runs (nested the way their names nest) and files."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._invisible_root = TreeNode(NodeKind.Root, "", None)
        self._invisible_root.attached = True
        self._roots_by_path = {}
        self._extra_columns = []
        self.live_seconds = LIVE_SECONDS
        style = QApplication.style()
        self._icons = {
            "error": style.standardIcon(QStyle.SP_MessageBoxCritical),
            "warning": style.standardIcon(QStyle.SP_MessageBoxWarning),
            "info": style.standardIcon(QStyle.SP_MessageBoxInformation),
            "root": style.standardIcon(QStyle.SP_DriveHDIcon),
            "folder": style.standardIcon(QStyle.SP_DirIcon),
            "run": style.standardIcon(QStyle.SP_DirOpenIcon),
            "file": style.standardIcon(QStyle.SP_FileIcon),
            "live": style.standardIcon(QStyle.SP_MediaPlay),
        }

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
        return list(self._invisible_root._children)

    def root_node(self, path: str) -> Optional[TreeNode]:
        """The node of the log root ``path``, if shown."""
        return self._roots_by_path.get(path)

    def run_count(self) -> int:
        """Number of runs over all roots (as last reported by the worker)."""
        return sum(node.run_count for node in self._invisible_root._children)

    def node_from_index(self, index: QModelIndex) -> Optional[TreeNode]:
        """The node of ``index`` (None for an invalid index)."""
        if not index.isValid():
            return None
        return index.internalPointer()

    def index_for_node(self, node: TreeNode, column: int = 0) -> QModelIndex:
        """The model index of ``node``."""
        if node is None or node is self._invisible_root or not node.attached:
            return QModelIndex()
        return self.createIndex(self._row_of(node), column, node)

    def find_run(self, root: str, run_name: str) -> Optional[TreeNode]:
        """The node of the run ``run_name`` under root ``root``, if shown."""
        node = self._roots_by_path.get(root)
        if node is None:
            return None
        for part in self._split(run_name):
            node = self._child(node, (0, part))
            if node is None:
                return None
        return node if node.run_row is not None else None

    def iter_runs(self, root_node: Optional[TreeNode] = None):
        """Yield every run node (depth first, in display order)."""
        stack = list(reversed(
            [root_node] if root_node else self._invisible_root._children))
        while stack:
            node = stack.pop()
            if node.kind == NodeKind.Path and node.run_row is not None:
                yield node
            stack.extend(reversed(
                [c for c in node._children if c.kind != NodeKind.File]))

    def clear(self) -> None:
        """Remove every root (when switching project)."""
        self.set_roots(())

    def set_roots(self, specs) -> None:
        """Show exactly the log roots ``specs`` (sequence of RootSpec)."""
        wanted = {spec.path: spec for spec in specs}
        top = self._invisible_root
        gone = [row for row, node in enumerate(top._children)
                if node.root_path not in wanted]
        for row in gone:
            self._roots_by_path.pop(top._children[row].root_path, None)
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
        if not top._children:
            return
        # Views repaint only the visible part; the roles they ask for are
        # recomputed from the stored timestamps.
        self.dataChanged.emit(
            self.index(0, Column.LastWritten),
            self.index(len(top._children) - 1, Column.Status))

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
        return self.createIndex(self._row_of(parent), 0, parent)

    def rowCount(self, parent=QModelIndex()):
        if not parent.isValid():
            return len(self._invisible_root._children)
        if parent.column() != 0:
            return 0
        return len(parent.internalPointer().children)

    def hasChildren(self, parent=QModelIndex()):
        if not parent.isValid():
            return bool(self._invisible_root._children)
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

    def flags(self, index):
        if not index.isValid():
            return Qt.NoItemFlags
        return Qt.ItemIsEnabled | Qt.ItemIsSelectable

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
            return self._display(node, column)
        if role == Qt.ToolTipRole:
            return self._tooltip(node, column)
        if role == Qt.DecorationRole:
            return self._decoration(node, column)
        if role == Qt.TextAlignmentRole and column in (
                Column.LastStep, Column.Events, Column.Size):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None

    # ---- Display helpers
    def _display(self, node, column):
        if column == Column.Name:
            if node.kind == NodeKind.Root:
                return self._root_label(node)
            return node.name
        if node.kind == NodeKind.Root:
            if column == Column.Status:
                return self._root_status(node)
            return None
        if node.kind == NodeKind.Path and node.run_row is None:
            return None
        if column == Column.LastStep:
            return "" if node.last_step is None else f"{node.last_step:,}"
        if column == Column.Events:
            return "" if node.events is None else f"{node.events:,}"
        if column == Column.Size:
            return format_size(node.size)
        if column == Column.LastWritten:
            return format_age(node.modified)
        if column == Column.Status:
            return self._status_text(node)
        return None

    def _root_label(self, node):
        return node.root_path

    def _root_status(self, node):
        if node.message:
            return node.message
        if node.diagnostics:
            return node.diagnostics[0].message
        if not node.loaded:
            return _("indexing…")
        if node.run_count == 1:
            return _("1 run")
        return _("{} runs").format(node.run_count)

    def _status_text(self, node):
        parts = []
        if self.is_live(node):
            parts.append(_("live"))
        if node.kind == NodeKind.File and node.file.error:
            parts.append(node.file.error)
        elif node.diagnostics:
            count = len(node.diagnostics)
            parts.append(node.diagnostics[0].code if count == 1
                         else _("{} issues").format(count))
        return ", ".join(parts)

    def _tooltip(self, node, column):
        if column == Column.Name:
            return node.path
        if column == Column.Status:
            if node.kind == NodeKind.File and node.file.error:
                return node.file.error
            if node.message:
                return node.message
            if node.diagnostics:
                return "\n\n".join(
                    f"[{d.severity}] {d.message}" for d in node.diagnostics)
            if self.is_live(node):
                return _("Written within the last {} s").format(
                    int(self.live_seconds))
        if column == Column.LastWritten and node.modified:
            return time.strftime(
                "%Y-%m-%d %H:%M:%S", time.localtime(node.modified))
        return None

    def _decoration(self, node, column):
        if column == Column.Name:
            if node.kind == NodeKind.Root:
                return self._icons["root"]
            if node.kind == NodeKind.File:
                return self._icons["file"]
            return self._icons["run" if node.run_row is not None
                               else "folder"]
        if column == Column.Status:
            if node.kind == NodeKind.File and node.file.error:
                return self._icons["error"]
            if node.kind == NodeKind.Root and node.message:
                return self._icons["error"]
            severity = worst_severity(node.diagnostics)
            if severity is not None:
                return self._icons.get(severity, self._icons["info"])
            if node.kind != NodeKind.Root and self.is_live(node):
                return self._icons["live"]
        return None

    # ---- Tree bookkeeping
    @staticmethod
    def _split(run_name):
        # TensorBoard names the run at the logdir itself "."; keep it as one
        # row named "." rather than merging it into the root row.
        return [part for part in run_name.split("/") if part] or ["."]

    @staticmethod
    def _child(node, key):
        children = node._children
        position = _bisect_key(children, key)
        if position < len(children) and children[position].key == key:
            return children[position]
        return None

    def _row_of(self, node):
        children = node.parent._children
        position = _bisect_key(children, node.key)
        if position < len(children) and children[position] is node:
            return position
        return children.index(node)

    def _emit_changed(self, node):
        if not node.attached:
            return
        row = self._row_of(node)
        self.dataChanged.emit(
            self.createIndex(row, 0, node),
            self.createIndex(row, self.columnCount() - 1, node))

    def _emit_changed_rows(self, parent, rows):
        """One dataChanged per contiguous range of ``rows`` under parent."""
        last = self.columnCount() - 1
        for start, end in _ranges(sorted(rows)):
            self.dataChanged.emit(
                self.createIndex(start, 0, parent._children[start]),
                self.createIndex(end, last, parent._children[end]))

    def _remove_rows(self, parent, rows):
        """Remove children at ``rows`` of an attached parent, in ranges."""
        if not rows:
            return
        if not parent.attached:
            for row in sorted(rows, reverse=True):
                del parent._children[row]
            return
        parent_index = self.index_for_node(parent)
        for start, end in reversed(_ranges(sorted(rows))):
            self.beginRemoveRows(parent_index, start, end)
            for child in parent._children[start:end + 1]:
                _detach(child)
            del parent._children[start:end + 1]
            self.endRemoveRows()

    def _insert_nodes(self, parent, nodes):
        """Insert new (detached) ``nodes`` under ``parent`` in sorted order."""
        if not nodes:
            return
        nodes = sorted(nodes, key=_node_key)
        if parent._children is _NO_CHILDREN:
            parent._children = []
        if not parent.attached:
            # Not visible yet: plain list merge, no signals.
            for node in nodes:
                parent._children.insert(
                    _bisect_key(parent._children, node.key), node)
            return
        # Final positions of the new nodes in the merged list.
        merged_keys = sorted([n.key for n in parent._children]
                             + [n.key for n in nodes])
        positions = [bisect.bisect_left(merged_keys, n.key) for n in nodes]
        parent_index = self.index_for_node(parent)
        i = 0
        for start, end in _ranges(positions):
            chunk = nodes[i:i + end - start + 1]
            i += len(chunk)
            self.beginInsertRows(parent_index, start, end)
            parent._children[start:start] = chunk
            for node in chunk:
                _attach(node)
            self.endInsertRows()

    def _upsert_runs(self, root, runs):
        pending = {}        # id(parent) -> (parent, {key: new node})
        changed = {}        # id(parent) -> (parent, set of rows)
        for run in runs:
            node = root
            parts = self._split(run[RUN_NAME])
            for depth, part in enumerate(parts):
                key = (0, part)
                child = self._child(node, key)
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
                    if node._children is _NO_CHILDREN:
                        node._children = []
                    node._children.insert(
                        _bisect_key(node._children, key), child)
                node = child
            _set_run(node, run)
            if node.files_loaded:
                self._sync_files(node, RunInfo.from_row(run).files)
            if node.attached:
                changed.setdefault(id(node.parent), (node.parent, set())
                                   )[1].add(self._row_of(node))
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
        gone = [row for row, child in enumerate(node._children)
                if child.kind == NodeKind.File and child.name not in wanted]
        self._remove_rows(node, gone)
        changed_rows = []
        new_nodes = []
        for name, info in wanted.items():
            child = self._child(node, (1, name))
            if child is None:
                child = TreeNode(NodeKind.File, name, node)
                child.run_name = node.run_name
                _set_file(child, info)
                new_nodes.append(child)
            elif child.file != info:
                _set_file(child, info)
                if node.attached:
                    changed_rows.append(self._row_of(child))
        if changed_rows:
            self._emit_changed_rows(node, changed_rows)
        self._insert_nodes(node, new_nodes)

    def _remove_runs(self, root, names):
        doomed = {}          # id(parent) -> (parent, [nodes])
        for name in names:
            node = root
            for part in self._split(name):
                node = self._child(node, (0, part))
                if node is None:
                    break
            if node is None or node is root:
                continue
            if any(c.kind == NodeKind.Path for c in node._children):
                # Keep the folder for the runs nested below it.
                _set_run(node, None)
                self._sync_files(node, ())
                self._emit_changed(node)
            else:
                doomed.setdefault(id(node.parent), (node.parent, []))[1].append(
                    node)
        # Remove, then prune folders left empty, one level up at a time.
        # Rows are computed at removal time because earlier removals under
        # the same parent shift them.
        while doomed:
            next_doomed = {}
            for parent, nodes in doomed.values():
                rows = sorted({self._row_of(n) for n in nodes if n.attached})
                self._remove_rows(parent, rows)
                if (parent.kind == NodeKind.Path and parent.run_row is None
                        and not parent._children and parent.attached):
                    grand = parent.parent
                    next_doomed.setdefault(id(grand), (grand, []))[1].append(
                        parent)
            doomed = next_doomed


def _node_key(node):
    return node.key


def _bisect_key(children, key):
    """Leftmost position for ``key`` in ``children`` sorted by node key."""
    low, high = 0, len(children)
    while low < high:
        middle = (low + high) // 2
        if children[middle].key < key:
            low = middle + 1
        else:
            high = middle
    return low


def _attach(node):
    node.attached = True
    for child in node._children:
        _attach(child)


def _detach(node):
    node.attached = False
    for child in node._children:
        _detach(child)


def _ranges(sorted_numbers):
    """Group sorted ints into ``[(start, end), ...]`` contiguous ranges."""
    ranges = []
    for number in sorted_numbers:
        if ranges and number == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], number)
        else:
            ranges.append((number, number))
    return ranges
