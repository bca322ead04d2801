"""Tree nodes of the pane: log roots -> runs (nested as named) -> event files.

Plain Python objects, no Qt: the item model (:mod:`~.models`) owns them and
tells views about every change. A run node keeps its run as ``RunInfo.row``,
a flat tuple of plain values the garbage collector skips (see
:class:`~spyder_tblogs.logs.info.RunInfo`).
"""

from __future__ import annotations

import os
from typing import Optional

from spyder_tblogs.logs.info import (
    EVENT_FILE_FIELDS, RUN_DIAGNOSTICS, RUN_FILE_COUNT, RUN_LAST_MODIFIED,
    RUN_PATH, RunInfo, run_file_field,
)

class NodeKind:
    """Kinds of tree nodes."""

    Root = 0
    # A path component of run names: a run (``run`` is set), a plain folder
    # holding nested runs (``run`` is None) or both.
    Path = 1
    File = 2


# The children of every leaf.
NO_CHILDREN = ()
# Positions of EventFileInfo fields (see ``run_file_field``).
_SIZE, _EVENTS, _LAST_STEP = (
    EVENT_FILE_FIELDS.index(name) for name in ("size", "events", "last_step"))


class TreeNode:
    """One row of the tree; plain Python object owned by the model.

    Children are kept sorted by :attr:`key`, so lookups bisect them.
    """

    __slots__ = (
        "kind", "name", "key", "parent", "made_children", "files_loaded",
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
        # The child nodes made so far (``children`` also makes a run's file
        # rows). Most nodes are leaves: they share one empty tuple and get a
        # list with their first child. Every list is a container the garbage
        # collector walks on each full collection; 10,000 runs made 40,000.
        self.made_children = NO_CHILDREN
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
    def _file_or_run(self, name, position, combine):
        """Field ``name`` of the file, or ``combine`` of it over the run's
        files (None for roots and folders)."""
        if self.file is not None:
            return getattr(self.file, name)
        if self.run_row is None:
            return None
        return combine(run_file_field(self.run_row, position))

    @property
    def last_step(self) -> Optional[int]:
        """Last step of the file, or the largest of the run's files."""
        return self._file_or_run("last_step", _LAST_STEP, _max_known)

    @property
    def events(self) -> Optional[int]:
        """Events of the file, or the sum over the run's files."""
        return self._file_or_run("events", _EVENTS, sum)

    @property
    def size(self) -> Optional[int]:
        """Bytes of the file, or the sum over the run's files."""
        return self._file_or_run("size", _SIZE, sum)

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
        return self.made_children

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
            set_file(child, info)
            files.append(child)
        files.sort(key=node_key)
        if self.made_children is NO_CHILDREN:
            self.made_children = []
        # File keys sort after every path key.
        self.made_children.extend(files)

    def has_children(self) -> bool:
        """Whether the node has rows below it (without making file rows)."""
        if self.made_children:
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


def _max_known(values):
    known = [value for value in values if value is not None]
    return max(known) if known else None


def set_run(node: TreeNode, row) -> None:
    """Store a run (``RunInfo.row``, or None) on a path node."""
    # The columns (last step, events, size, modified) are read from the
    # run's plain file rows when painted.
    node.run_row = row
    node.diagnostics = () if row is None else row[RUN_DIAGNOSTICS]


def set_file(node: TreeNode, info) -> None:
    node.file = info
    node.diagnostics = ()


def node_key(node):
    """Sort key of a node among its siblings."""
    return node.key


def bisect_key(children, key):
    """Leftmost position for ``key`` in ``children`` sorted by node key."""
    low, high = 0, len(children)
    while low < high:
        middle = (low + high) // 2
        if children[middle].key < key:
            low = middle + 1
        else:
            high = middle
    return low


def attach(node):
    """Mark ``node`` and its subtree as shown by views."""
    node.attached = True
    for child in node.made_children:
        attach(child)


def detach(node):
    """Mark ``node`` and its subtree as no longer shown."""
    node.attached = False
    for child in node.made_children:
        detach(child)


def ranges(sorted_numbers):
    """Group sorted ints into ``[(start, end), ...]`` contiguous ranges."""
    ranges = []
    for number in sorted_numbers:
        if ranges and number == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], number)
        else:
            ranges.append((number, number))
    return ranges


def split_run_name(run_name):
    """Path components of a run name, the rows it nests under."""
    # TensorBoard names the run at the logdir itself "."; keep it as one
    # row named "." rather than merging it into the root row.
    return [part for part in run_name.split("/") if part] or ["."]


def child_with_key(node, key):
    """The child of ``node`` with sort key ``key``, or None."""
    children = node.made_children
    position = bisect_key(children, key)
    if position < len(children) and children[position].key == key:
        return children[position]
    return None


def row_of(node):
    """Position of ``node`` among its parent's children."""
    children = node.parent.made_children
    position = bisect_key(children, node.key)
    if position < len(children) and children[position] is node:
        return position
    return children.index(node)
