"""The tree model against pytest-qt's model tester, and the Qt-free nodes.

The model is fed what the index worker sends (roots, then batches of run
rows from a real :class:`~spyder_tblogs.logs.LogIndex`) and changes in
place; the tester re-checks the whole model on every signal.
"""

import os
import shutil

import pytest

from logwriters import write_run
from spyder_tblogs.logs import LogIndex
from spyder_tblogs.spyder.models import Column, LogTreeModel, NodeKind
from spyder_tblogs.spyder.snapshots import RootBatch, RootSpec
from spyder_tblogs.spyder.tree_nodes import ranges, split_run_name


def refresh(index, root, removed=(), generation=1):
    """The batch the index worker sends after refreshing ``index``."""
    update = index.refresh()
    return RootBatch(generation, root, runs=index.run_rows(
        update.added + update.changed), removed=tuple(update.removed),
        diagnostics=tuple(index.diagnostics), run_count=len(index))


@pytest.fixture
def logs(tmp_path):
    root = tmp_path / "logs"
    for name in ("a/train", "a/validation", "b", "c/d/e"):
        write_run(str(root / name), steps=3)
    return str(root)


def shown(model, parent=None):
    """Names of the rows below ``parent``, depth first."""
    from qtpy.QtCore import QModelIndex

    parent = parent or QModelIndex()
    names = []
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        names.append(model.data(index))
        names.extend(shown(model, index))
    return names


def test_model_passes_the_model_tester_through_inserts_and_removes(
        qapp, qtmodeltester, logs):
    model = LogTreeModel()
    index = LogIndex(logs)
    model.set_roots([RootSpec(logs)])
    model.apply_batch(refresh(index, logs))
    assert {node.run_name for node in model.iter_runs()} == {
        "a/train", "a/validation", "b", "c/d/e"}

    # File rows are made when first asked for.
    run = model.find_run(logs, "b")
    assert not run.files_loaded and run.has_children()
    run_index = model.index_for_node(run)
    assert model.rowCount(run_index) == 1
    file_node = model.node_from_index(model.index(0, 0, run_index))
    assert file_node.kind == NodeKind.File and run.files_loaded

    # From here on the tester walks the whole tree after every signal,
    # making the other runs' file rows as a view would.
    qtmodeltester.check(model, force_py=True)

    # A new run and a new file in a loaded run: inserts.
    write_run(os.path.join(logs, "a", "test"), steps=2)
    write_run(os.path.join(logs, "b"), steps=2, filename_suffix=".v2")
    model.apply_batch(refresh(index, logs))
    assert model.find_run(logs, "a/test") is not None
    assert model.rowCount(run_index) == 2

    # Runs and a nested folder go: removes, with empty folders pruned.
    shutil.rmtree(os.path.join(logs, "c"))
    shutil.rmtree(os.path.join(logs, "a", "validation"))
    model.apply_batch(refresh(index, logs))
    names = shown(model)
    assert "c" not in names and "validation" not in names
    assert {node.run_name for node in model.iter_runs()} == {
        "a/train", "a/test", "b"}

    # A second root, then the first one goes.
    other = os.path.join(os.path.dirname(logs), "other")
    write_run(os.path.join(other, "run"), steps=1)
    model.set_roots([RootSpec(logs), RootSpec(other, "added")])
    model.apply_batch(refresh(LogIndex(other), other))
    model.set_roots([RootSpec(other, "added")])
    assert [node.root_path for node in model.root_nodes()] == [other]
    assert model.run_count() == 1


def test_columns_read_the_run_rows(qapp, qtmodeltester, logs):
    model = LogTreeModel()
    qtmodeltester.check(model, force_py=True)
    index = LogIndex(logs)
    model.set_roots([RootSpec(logs)])
    model.apply_batch(refresh(index, logs))
    node = model.find_run(logs, "a/train")
    cell = model.index_for_node(node, Column.LastStep)
    assert model.data(cell) == "2"
    assert model.data(model.index_for_node(node, Column.Events)) == str(
        index.run("a/train").files[0].events)
    added = model.add_column("Extra", lambda node, role: None)
    assert model.columnCount() == added + 1


def test_node_helpers():
    assert split_run_name(".") == ["."]
    assert split_run_name("a/b") == ["a", "b"]
    assert ranges([1, 2, 3, 5, 7, 8]) == [(1, 3), (5, 5), (7, 8)]
