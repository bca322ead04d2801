"""The TensorBoard Logs pane on real logs written by real writers."""

import os
import shutil

import pytest
from qtpy.QtCore import Qt

from logwriters import RunWriter, write_run
from spyder_tblogs.logs import LogIndex, find_log_roots
from spyder_tblogs.spyder.models import Column, NodeKind

WAIT_MS = 15000

# Each test builds its own pane; Spyder's action registry warns when a new
# pane re-registers the same action ids.
pytestmark = pytest.mark.filterwarnings(
    "ignore:There already exists a reference:UserWarning")


def wait_idle(qtbot, pane, predicate=lambda: True, timeout=WAIT_MS):
    """Wait until the pane applied every result and ``predicate`` holds."""
    qtbot.waitUntil(lambda: pane.is_idle() and predicate(), timeout=timeout)


def shown_runs(pane):
    """``{(root, run name): node}`` of the runs in the tree."""
    return {(node.root_node().root_path, node.run_name): node
            for node in pane.model.iter_runs()}


def index_runs(root):
    """What the index itself reports for ``root``."""
    index = LogIndex(root)
    index.refresh()
    return {run.name: run for run in index.runs()}


@pytest.fixture
def project(tmp_path):
    """A project with nested runs in logs/ and a second log root."""
    root = tmp_path / "project"
    for run in ("mnist/lr0.1/train", "mnist/lr0.1/validation",
                "mnist/lr0.01/train", "baseline"):
        write_run(str(root / "logs" / run), steps=7)
    (root / "src").mkdir()
    (root / "src" / "model.py").write_text("print('hi')\n")
    return root


def test_tree_matches_index(qtbot, pane, project):
    # A second, separate tree of logs.
    write_run(str(project / "experiments" / "old" / "a"), steps=3)
    write_run(str(project / "experiments" / "old" / "b"), steps=3)
    expected_roots = find_log_roots(str(project))
    pane.set_project(str(project))
    wait_idle(qtbot, pane, lambda: len(shown_runs(pane)) == 6)

    roots = sorted(node.root_path for node in pane.model.root_nodes())
    assert roots == sorted(expected_roots)
    for root in roots:
        expected = index_runs(root)
        shown = {name: node for (r, name), node in shown_runs(pane).items()
                 if r == root}
        assert set(shown) == set(expected)
        for name, run in expected.items():
            node = shown[name]
            assert node.events == sum(f.events for f in run.files)
            assert node.last_step == max(f.last_step for f in run.files)
            files = [c for c in node.children if c.kind == NodeKind.File]
            assert [c.name for c in files] == [f.name for f in run.files]
            # What the view displays comes from the same numbers.
            index = pane.model.index_for_node(node, Column.Events)
            assert index.data() == f"{node.events:,}"


def test_runs_nest_like_their_names(qtbot, pane, project):
    pane.set_project(str(project))
    wait_idle(qtbot, pane, lambda: len(shown_runs(pane)) == 4)
    # Runs nest the way their names nest: mnist -> lr0.1 -> train.
    logs = pane.model.root_node(str(project / "logs"))
    assert [c.name for c in logs.children] == ["baseline", "mnist"]
    mnist = [c for c in logs.children if c.name == "mnist"][0]
    assert mnist.run is None
    assert sorted(c.name for c in mnist.children) == ["lr0.01", "lr0.1"]
    lr = [c for c in mnist.children if c.name == "lr0.1"][0]
    assert sorted(c.name for c in lr.children) == ["train", "validation"]


def test_live_append_new_run_and_deletion(qtbot, pane, project):
    live = RunWriter(str(project / "logs" / "live"))
    try:
        live.write(3)
        pane.set_project(str(project))
        wait_idle(qtbot, pane, lambda: (str(project / "logs"), "live")
                  in shown_runs(pane))
        node = shown_runs(pane)[(str(project / "logs"), "live")]
        first_events = node.events

        # Appended events show up without any user action.
        live.write(10)
        qtbot.waitUntil(lambda: node.events == first_events + 10,
                        timeout=WAIT_MS)
        assert node.last_step == 12
        assert pane.model.is_live(node)
        status = pane.model.index_for_node(node, Column.Status).data()
        assert "live" in status

        # A new run appears.
        write_run(str(project / "logs" / "mnist" / "lr0.001" / "train"))
        qtbot.waitUntil(
            lambda: (str(project / "logs"), "mnist/lr0.001/train")
            in shown_runs(pane), timeout=WAIT_MS)

        # A run deleted on disk disappears, with the folders it leaves
        # empty; its siblings stay.
        shutil.rmtree(project / "logs" / "mnist" / "lr0.01")
        qtbot.waitUntil(
            lambda: (str(project / "logs"), "mnist/lr0.01/train")
            not in shown_runs(pane), timeout=WAIT_MS)
        mnist = [c for c in pane.model.root_node(
            str(project / "logs")).children if c.name == "mnist"][0]
        assert "lr0.01" not in [c.name for c in mnist.children]
        assert set(index_runs(str(project / "logs"))) == {
            name for (root, name) in shown_runs(pane)
            if root == str(project / "logs")}
    finally:
        live.close()


def test_selection_expansion_and_scroll_survive_updates(qtbot, pane,
                                                        project):
    # Enough runs to scroll.
    for number in range(60):
        write_run(str(project / "logs" / "sweep" / f"trial{number:03d}"),
                  steps=2)
    live = RunWriter(str(project / "logs" / "mnist" / "lr0.1" / "train"),
                     filename_suffix=".second")
    try:
        pane.resize(700, 400)
        pane.set_project(str(project))
        wait_idle(qtbot, pane, lambda: len(shown_runs(pane)) == 64)
        resets = []
        pane.model.modelReset.connect(lambda: resets.append(True))

        logs = pane.model.root_node(str(project / "logs"))
        sweep = [c for c in logs.children if c.name == "sweep"][0]
        mnist = [c for c in logs.children if c.name == "mnist"][0]
        pane.tree.expand(pane.model.index_for_node(sweep))
        pane.tree.expand(pane.model.index_for_node(mnist))
        target = sweep.children[40]
        pane.select_node(target)
        qtbot.wait(50)
        scroll = pane.tree.verticalScrollBar().value()
        assert scroll > 0

        # Changes around the selection: a new file in another run, appended
        # events, a new run sorting before the selection, a removed run.
        live.write(5)
        write_run(str(project / "logs" / "sweep" / "trial000a"), steps=2)
        shutil.rmtree(project / "logs" / "sweep" / "trial001")
        qtbot.waitUntil(
            lambda: (str(project / "logs"), "sweep/trial000a")
            in shown_runs(pane)
            and (str(project / "logs"), "sweep/trial001")
            not in shown_runs(pane)
            and len([c for c in pane.model.find_run(
                str(project / "logs"), "mnist/lr0.1/train").children
                if c.kind == NodeKind.File]) == 2,
            timeout=WAIT_MS)

        assert pane.current_node() is target
        assert pane.tree.isExpanded(pane.model.index_for_node(sweep))
        assert pane.tree.isExpanded(pane.model.index_for_node(mnist))
        assert pane.tree.verticalScrollBar().value() == scroll
        assert resets == []
    finally:
        live.close()


def test_diagnostics_and_details(qtbot, pane, tmp_path):
    project = tmp_path / "diag"
    run = project / "logs" / "restarted"
    first = write_run(str(run), steps=10)
    # A second writer in the same run, as after restarting a script without
    # a new log directory.
    write_run(str(run), steps=10, filename_suffix=".v2")
    # A truncated copy: the last record is cut in half.
    broken = project / "logs" / "broken"
    broken.mkdir(parents=True)
    data = open(first, "rb").read()
    with open(broken / os.path.basename(first), "wb") as handle:
        handle.write(data[:-7])

    pane.set_project(str(project))
    wait_idle(qtbot, pane, lambda: len(shown_runs(pane)) == 2)

    expected = index_runs(str(project / "logs"))
    assert expected["restarted"].diagnostics, "index found no diagnostic"
    for name, info in expected.items():
        node = shown_runs(pane)[(str(project / "logs"), name)]
        assert node.diagnostics == info.diagnostics
        index = pane.model.index_for_node(node, Column.Status)
        if info.diagnostics:
            tooltip = index.data(Qt.ToolTipRole)
            for diagnostic in info.diagnostics:
                assert diagnostic.message in tooltip
            assert index.data(Qt.DecorationRole) is not None
        pane.select_node(node)
        details = pane.details.toPlainText()
        for diagnostic in info.diagnostics:
            assert " ".join(diagnostic.message.split()) in " ".join(
                details.split())
        for tag in info.tags.values():
            assert tag.tag in details
        for event_file in info.files:
            assert event_file.name in details
            if event_file.pid is not None:
                assert str(event_file.pid) in details

    # File rows decode the event-file name.
    node = shown_runs(pane)[(str(project / "logs"), "restarted")]
    file_node = [c for c in node.children if c.kind == NodeKind.File][0]
    pane.select_node(file_node)
    details = pane.details.toPlainText()
    assert file_node.file.host in details
    assert str(file_node.file.pid) in details


def test_empty_states_and_user_roots(qtbot, pane, tmp_path, tblogs_conf):
    empty_project = tmp_path / "empty"
    (empty_project / "src").mkdir(parents=True)
    assert pane.empty_message()  # never blank, even before a project

    pane.set_project(str(empty_project))
    wait_idle(qtbot, pane, lambda: "No TensorBoard logs in this project"
              in pane.empty_message())

    # A log directory outside the project, added by the user.
    outside = tmp_path / "elsewhere" / "runs"
    write_run(str(outside / "exp1"))
    pane.add_log_directory(str(outside))
    wait_idle(qtbot, pane, lambda: (str(outside), "exp1")
              in shown_runs(pane))
    assert pane.empty_message() == ""
    settings = tblogs_conf.get("tblogs", "log_directories")
    assert str(outside) in settings[os.path.normcase(
        str(empty_project))]["added"]

    # A missing added directory is a message on its row, not a traceback.
    missing = tmp_path / "gone"
    pane.add_log_directory(str(missing))
    wait_idle(qtbot, pane, lambda: pane.model.root_node(str(missing))
              is not None and pane.model.root_node(str(missing)).loaded)
    node = pane.model.root_node(str(missing))
    status = pane.model.index_for_node(node, Column.Status).data()
    assert status and status != "0 runs"

    # Hiding the roots brings the empty state back.
    pane.hide_log_directory(str(outside))
    pane.hide_log_directory(str(missing))
    wait_idle(qtbot, pane, lambda: not pane.model.root_nodes())
    assert "No TensorBoard logs in this project" in pane.empty_message()

    # Without a project: the working directory.
    pane.set_project(None)
    pane.set_working_directory(str(tmp_path / "elsewhere"))
    wait_idle(qtbot, pane, lambda: (str(outside), "exp1")
              in shown_runs(pane))


def test_first_logs_of_a_project_appear_without_refresh(qtbot, pane,
                                                        tmp_path):
    # Training starts in a project that had no logs: no Refresh needed.
    project = tmp_path / "fresh"
    (project / "src").mkdir(parents=True)
    pane.set_project(str(project))
    wait_idle(qtbot, pane, lambda: "No TensorBoard logs in this project"
              in pane.empty_message())

    writer = RunWriter(str(project / "logs" / "run1"))
    try:
        writer.write(steps=2)
        logs = str(project / "logs")
        # Root search runs every few seconds; the run follows within a poll.
        qtbot.waitUntil(lambda: (logs, "run1") in shown_runs(pane),
                        timeout=WAIT_MS)
        assert pane.empty_message() == ""
        assert pane.model.root_node(logs).origin == "auto"
    finally:
        writer.close()


def test_many_runs_arrive_in_batches(qtbot, pane, tmp_path):
    """Thousands of runs reach the tree with a handful of insert signals."""
    project = tmp_path / "many"
    count = 1500
    for number in range(count):
        write_run(str(project / "logs" / f"run{number:05d}"), steps=1,
                  tags=("loss",))
    inserts = []
    pane.model.rowsInserted.connect(
        lambda parent, first, last: inserts.append(last - first + 1))
    pane.set_project(str(project))
    wait_idle(qtbot, pane, lambda: len(shown_runs(pane)) == count,
              timeout=120000)
    assert sum(inserts) >= count
    # One signal per batch of runs (plus the root and the files inside new
    # rows, which need none): far fewer signals than runs.
    assert len(inserts) < count / 50


def test_several_selected_runs_overlay_their_scalars(qtbot, pane, tmp_path):
    project = tmp_path / "project"
    for name, steps in (("exp1/train", 4), ("exp2/train", 7), ("other", 3)):
        write_run(str(project / "logs" / name), steps=steps)
    logs = str(project / "logs")
    pane.set_project(str(project))
    wait_idle(qtbot, pane, lambda: len(shown_runs(pane)) == 3)
    runs = shown_runs(pane)
    first, second = runs[(logs, "exp1/train")], runs[(logs, "exp2/train")]

    # Click the first run, Ctrl+click the second, as a user does.
    for node, modifier in ((first, Qt.NoModifier),
                           (second, Qt.ControlModifier)):
        pane.tree.scrollTo(pane.model.index_for_node(node))
        rect = pane.tree.visualRect(pane.model.index_for_node(node))
        qtbot.mouseClick(pane.tree.viewport(), Qt.LeftButton, modifier,
                         rect.center())
    assert pane.selected_nodes() == [first, second]
    assert pane.current_node() is second

    index = index_runs(logs)
    chart = pane.sparklines.chart("loss")
    qtbot.waitUntil(lambda: chart is not None and len(chart.runs()) == 2,
                    timeout=WAIT_MS)
    assert chart.runs() == [first.run.path, second.run.path]
    for name in ("exp1/train", "exp2/train"):
        run = index[name]
        assert chart.plotted_points(run.path) == tuple(
            (step, value) for step, _wall, value in run.tags["loss"].series)

    # A plain click selects one run again.
    rect = pane.tree.visualRect(pane.model.index_for_node(first))
    qtbot.mouseClick(pane.tree.viewport(), Qt.LeftButton, Qt.NoModifier,
                     rect.center())
    qtbot.waitUntil(lambda: pane.sparklines.chart("loss") is not None
                    and pane.sparklines.chart("loss").runs()
                    == [first.run.path], timeout=WAIT_MS)
