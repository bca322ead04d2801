"""Which runs the *Scalars* tab previews for a selection of tree rows."""

from __future__ import annotations

from itertools import islice

from qtpy.QtCore import QObject, Signal, Slot

from spyder_tblogs.spyder.tree_nodes import NodeKind

# A folder or log directory previews at most this many of its runs: more
# lines in one small chart are unreadable.
MAX_PREVIEW_RUNS = 8


def preview_runs(nodes, model, limit=MAX_PREVIEW_RUNS):
    """Runs (RunInfo) to preview for ``nodes``, at most ``limit``.

    A run (or one of its files) is that run; a folder or log directory its
    first runs. Several nodes overlay their runs.
    """
    runs, seen = [], set()
    for node in nodes:
        if node.kind == NodeKind.File:
            node = node.run_node() or node.parent
        if node.kind == NodeKind.Path and node.is_run:
            found = [node.run]
        else:
            found = [run_node.run for run_node in
                     islice(model.iter_runs(node), limit)]
        for run in found:
            if run.path not in seen:
                seen.add(run.path)
                runs.append(run)
    return runs[:limit]


class ScalarsPreview(QObject):
    """Keep the *Scalars* tab on the runs of the tree's selection.

    Parameters
    ----------
    tree : LogTreeView
    sparklines : SparklinesWidget
    """

    sig_open_requested = Signal(str)
    """Open this directory in TensorBoard (a chart was clicked)."""

    def __init__(self, tree, sparklines, parent=None):
        super().__init__(parent)
        self.tree = tree
        self.sparklines = sparklines
        self._key = None
        self._root = None
        sparklines.sig_clicked.connect(self._on_clicked)

    def update(self, *_selection):
        """Show the runs of the selected and current rows (if they changed).
        """
        nodes = self.tree.selected_nodes()
        current = self.tree.current_node()
        if current is not None and current not in nodes:
            nodes.append(current)
        runs = preview_runs(nodes, self.tree.model())
        # RunInfo objects are made on demand: compare what they hold.
        key = tuple(run.row for run in runs)
        if key == self._key:
            return
        self._key = key
        self._root = current.root_node().root_path if current else None
        self.sparklines.set_runs({run.path: run for run in runs},
                                 {run.path: run.name for run in runs})

    @Slot(list)
    def _on_clicked(self, keys):
        """Open the clicked chart's run (or, for several, their root)."""
        if len(keys) == 1:
            self.sig_open_requested.emit(keys[0])
        elif keys and self._root:
            self.sig_open_requested.emit(self._root)
