"""Which runs the *Scalars* tab previews for a selection of tree rows."""

from __future__ import annotations

from itertools import islice

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
