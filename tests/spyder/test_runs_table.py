"""The Runs table: its model, sorting and filtering, selection kept in step
with the tree, TensorBoard on the selected runs and exports from the pane,
on logs written by real writers."""

import csv
import io
import os
import time
from urllib.parse import unquote

import pytest
from qtpy.QtCore import QItemSelectionModel, Qt

from spyder_tblogs.logs import LogIndex
from spyder_tblogs.logs.export import export_scalars
from spyder_tblogs.logs.runs_table import table_rows, write_table_csv
from spyder_tblogs.spyder.runs_model import RunNameRole, RunsTableModel
from spyder_tblogs.spyder.runs_rows import (
    ColumnKind, RowFilter, FilterError, build_table, run_filter_regex)

from runs_logs import NAN_RUN, PLAIN_RUN, RUNS, write_runs_logs

WAIT_MS = 30000
ALL_RUNS = set(RUNS) | {PLAIN_RUN}


@pytest.fixture(autouse=True)
def application(qapp):
    """Icons need the QApplication, even for the model alone."""
    return qapp


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    return write_runs_logs(str(tmp_path_factory.mktemp("runs") / "logs"))


@pytest.fixture(scope="module")
def index_runs(logdir):
    index = LogIndex(logdir, workers=1)
    index.refresh()
    return {run.name: run for run in index.runs()}


def make_model(logdir, index_runs, **options):
    model = RunsTableModel()
    model.set_table(build_table(logdir, [run.row for run in
                                         index_runs.values()],
                                time.time(), **options))
    return model


def column_of(model, kind, name=""):
    for position, column in enumerate(model.table.columns):
        if column.kind == kind and column.name == name:
            return position
    raise AssertionError("no column %s %s" % (kind, name))


def column_texts(model, column):
    return [model.data(model.index(row, column))
            for row in range(model.rowCount())]


def run_names(model):
    return [model.data(model.index(row, 0), RunNameRole)
            for row in range(model.rowCount())]


# ---- Model
def test_model_passes_qt_model_tester(qtmodeltester, logdir, index_runs):
    model = make_model(logdir, index_runs)
    qtmodeltester.check(model)
    # Sorting, filtering and a new snapshot move rows under the tester.
    model.sort(column_of(model, ColumnKind.Hparam, "lr"), Qt.DescendingOrder)
    model.set_filter(RowFilter.parse("sweep"))
    model.set_table(build_table(logdir, [run.row for run in
                                         index_runs.values()], time.time()))
    model.set_filter(RowFilter())
    qtmodeltester.check(model)


def test_columns_hparams_and_metrics(logdir, index_runs):
    model = make_model(logdir, index_runs)
    assert set(run_names(model)) == ALL_RUNS
    assert model.table.hparams == ("lr", "optimizer")
    assert model.table.tags == ("accuracy", "loss")
    headers = [model.headerData(c, Qt.Horizontal)
               for c in range(model.columnCount())]
    assert headers[:4] == ["Run", "Status", "Duration", "Highest step"]
    assert "loss min" in headers and "accuracy last" in headers
    row = run_names(model).index("sweep/lr_0.1")
    loss_min = model.index(row, column_of(model, ColumnKind.Min, "loss"))
    assert model.data(loss_min) == "0.25"
    assert model.data(loss_min, Qt.ToolTipRole).startswith(
        "min 0.25 at step 4")
    # The diverged run: last value NaN, the alarm in its status.
    row = run_names(model).index(NAN_RUN)
    last = model.index(row, column_of(model, ColumnKind.Last, "loss"))
    assert model.data(last) == "NaN"
    assert "first NaN/Inf at step 2" in model.data(last, Qt.ToolTipRole)
    status = model.index(row, 1)
    assert "warning" in model.data(status)
    assert "NaN at step 2" in model.data(status, Qt.ToolTipRole)
    assert model.data(status, Qt.DecorationRole) is not None
    # The run without hparams has empty hparam cells.
    row = run_names(model).index(PLAIN_RUN)
    assert model.data(model.index(
        row, column_of(model, ColumnKind.Hparam, "lr"))) == ""


def test_chosen_columns(logdir, index_runs):
    model = make_model(logdir, index_runs, tags=("loss", "missing"),
                       hidden_hparams=("optimizer",))
    assert model.table.tags == ("loss",)
    assert model.table.hparams == ("lr",)
    assert model.table.all_hparams == ("lr", "optimizer")
    # None of the chosen tags here: the shared ones.
    model = make_model(logdir, index_runs, tags=("missing",))
    assert model.table.tags == ("accuracy", "loss")


# ---- Sorting and filtering
def test_sort_numbers_numerically_missing_last(logdir, index_runs):
    model = make_model(logdir, index_runs)
    lr = column_of(model, ColumnKind.Hparam, "lr")
    model.sort(lr, Qt.AscendingOrder)
    assert column_texts(model, lr) == ["0.01", "0.1", "1", ""]
    model.sort(lr, Qt.DescendingOrder)
    assert column_texts(model, lr) == ["1", "0.1", "0.01", ""]
    # NaN sorts with the missing values, last both ways.
    last = column_of(model, ColumnKind.Last, "loss")
    for order in (Qt.AscendingOrder, Qt.DescendingOrder):
        model.sort(last, order)
        assert column_texts(model, last)[-1] == "NaN"
    model.sort(0, Qt.AscendingOrder)
    assert run_names(model) == sorted(ALL_RUNS, key=str.lower)


def test_filter_by_regex_and_hparams(logdir, index_runs):
    model = make_model(logdir, index_runs)
    model.set_filter(RowFilter.parse("lr_0\\.0"))
    assert run_names(model) == ["sweep/lr_0.01"]
    model.set_filter(RowFilter.parse("lr=0.1"))
    assert run_names(model) == ["sweep/lr_0.1"]
    model.set_filter(RowFilter.parse("optimizer=adam lr>=0.5"))
    assert run_names(model) == [NAN_RUN]
    model.set_filter(RowFilter.parse("sweep optimizer=ADAM"))
    assert set(run_names(model)) == {"sweep/lr_0.1", NAN_RUN}
    model.set_filter(RowFilter.parse("nosuch=1"))
    assert run_names(model) == []
    with pytest.raises(FilterError):
        RowFilter.parse("lr_(")
    model.set_filter(RowFilter())
    assert set(run_names(model)) == ALL_RUNS


def test_sort_keeps_persistent_indexes_on_their_runs(logdir, index_runs):
    from qtpy.QtCore import QPersistentModelIndex

    model = make_model(logdir, index_runs)
    row = run_names(model).index(NAN_RUN)
    kept = QPersistentModelIndex(model.index(row, 0))
    model.sort(column_of(model, ColumnKind.Hparam, "lr"), Qt.AscendingOrder)
    assert model.data(model.index(kept.row(), 0), RunNameRole) == NAN_RUN
    model.set_filter(RowFilter.parse("lr_0"))
    assert not kept.isValid()


def test_run_filter_regex_escapes_names():
    assert run_filter_regex(["a/b", "lr_0.1"]) == r"^(a/b|lr_0\.1)$"


# ---- The pane
def wait_table(qtbot, pane, names=ALL_RUNS):
    model = pane.runs_table.table_model
    qtbot.waitUntil(lambda: set(model.visible_rows() and run_names(model))
                    == set(names), timeout=WAIT_MS)
    return model


@pytest.fixture
def runs_pane(qtbot, pane, logdir):
    pane.set_project(os.path.dirname(logdir))
    qtbot.waitUntil(lambda: pane.is_idle() and {
        node.run_name for node in pane.model.iter_runs()} == ALL_RUNS,
        timeout=WAIT_MS)
    pane.select_node(pane.model.root_node(logdir))
    pane.runs_table.show()
    wait_table(qtbot, pane)
    return pane


def select_table_rows(pane, names):
    view = pane.runs_table.widget.view
    model = pane.runs_table.table_model
    view.selectionModel().clear()
    for row in model.rows_of_runs(names):
        view.selectionModel().setCurrentIndex(
            model.index(row, 0),
            QItemSelectionModel.Select | QItemSelectionModel.Rows)


def test_pane_table_selection_follows_both_ways(qtbot, runs_pane, logdir):
    pane = runs_pane
    select_table_rows(pane, ["sweep/lr_0.1"])
    assert pane.current_node().run_name == "sweep/lr_0.1"
    assert [n.run_name for n in pane.selected_nodes()] == ["sweep/lr_0.1"]
    # The Scalars tab follows the tree.
    qtbot.waitUntil(lambda: pane.previews._key is not None
                    and len(pane.previews._key) == 1, timeout=WAIT_MS)
    # Several rows: the sparklines overlay them.
    select_table_rows(pane, ["sweep/lr_0.1", NAN_RUN])
    assert {n.run_name for n in pane.selected_nodes()} == {
        "sweep/lr_0.1", NAN_RUN}
    assert len(pane.previews._key) == 2
    # The table keeps its scope (the whole root).
    assert pane.runs_table.scope == (logdir, None)
    # Tree to table.
    pane.select_node(pane.model.find_run(logdir, PLAIN_RUN))
    assert pane.runs_table.widget.selected_run_names() == [PLAIN_RUN]
    assert pane.runs_table.table_model.rowCount() == len(ALL_RUNS)


def test_pane_table_scope_is_the_selected_folder(qtbot, runs_pane, logdir):
    pane = runs_pane
    folder = pane.model.root_node(logdir)
    folder = [child for child in folder.children if child.name == "sweep"][0]
    pane.select_node(folder)
    wait_table(qtbot, pane, RUNS)
    assert pane.runs_table.scope == (logdir, "sweep")


def test_pane_filter_line(qtbot, runs_pane):
    widget = runs_pane.runs_table.widget
    widget.filter_edit.setText("lr=0.01")
    widget.apply_filter()
    assert run_names(widget.model) == ["sweep/lr_0.01"]
    assert widget.count_label.text() == "1 of 4 runs"
    widget.filter_edit.setText("(")
    widget.apply_filter()
    assert widget.filter_error
    assert run_names(widget.model) == ["sweep/lr_0.01"]


def columns_menu_actions(widget):
    """The Columns menu's actions by text, as the menu shows them now."""
    widget._fill_columns_menu()
    return {action.text(): action for action in widget.columns_menu.actions()}


def test_pane_columns_menu(qtbot, runs_pane):
    controller = runs_pane.runs_table
    widget = controller.widget
    columns_menu_actions(widget)["accuracy"].setChecked(False)
    qtbot.waitUntil(lambda: widget.model.table.tags == ("loss",),
                    timeout=WAIT_MS)
    assert controller.get_conf("runs_table_tags") == ["loss"]
    actions = columns_menu_actions(widget)
    actions["optimizer"].setChecked(False)
    qtbot.waitUntil(lambda: widget.model.table.hparams == ("lr",),
                    timeout=WAIT_MS)
    actions["Default tags"].trigger()
    qtbot.waitUntil(lambda: widget.model.table.tags == ("accuracy", "loss"),
                    timeout=WAIT_MS)


def test_pane_open_selected_filters_runs(qtbot, runs_pane, logdir,
                                         monkeypatch):
    opened = []
    monkeypatch.setattr(runs_pane.tensorboard, "open",
                        lambda *args, **kwargs: opened.append(
                            (args, kwargs)))
    select_table_rows(runs_pane, ["sweep/lr_0.1", PLAIN_RUN])
    runs_pane.runs_table.widget.open_button.click()
    (args, kwargs), = opened
    assert args[0] == logdir
    fragment = kwargs["fragment"]
    assert fragment.startswith("#scalars&regexInput=")
    regex = unquote(fragment.split("=", 1)[1])
    assert regex == r"^(baseline|sweep/lr_0\.1)$"


def test_pane_open_selected_url_reaches_the_view(runs_pane, monkeypatch):
    # A running instance: the fragment is appended to its URL.
    controller = runs_pane.tensorboard
    shown = []
    monkeypatch.setattr(controller, "_show_instance",
                        lambda url, target: shown.append(url))

    class Entry:
        state = "running"
        url = "http://127.0.0.1:6123/"

    from spyder_tblogs.tensorboard.instance_table import InstanceState
    Entry.state = InstanceState.RUNNING
    monkeypatch.setattr(controller.table, "row", lambda logdir: Entry)
    controller.open("/tmp/x", "browser", fragment="#scalars&regexInput=a")
    assert shown == ["http://127.0.0.1:6123/#scalars&regexInput=a"]


def wait_export(qtbot, controller, start):
    with qtbot.waitSignal(controller.sig_export_finished,
                          timeout=WAIT_MS) as blocker:
        start()
    return blocker.args


def test_pane_export_scalars_equals_export_scalars(qtbot, runs_pane, logdir,
                                                   tmp_path):
    controller = runs_pane.runs_table
    # From the tree's context menu action, on the root.
    output = str(tmp_path / "pane.csv")
    runs_pane.select_node(runs_pane.model.root_node(logdir))
    assert wait_export(qtbot, controller, lambda: controller.export_scalars(
        controller.tree_export_source(), "csv", output)) == [output, ""]
    expected = str(tmp_path / "expected.csv")
    export_scalars(logdir, expected)
    with open(output) as pane_file, open(expected) as expected_file:
        assert pane_file.read() == expected_file.read()
    # From the table, one run.
    select_table_rows(runs_pane, [NAN_RUN])
    source = controller.table_export_source()
    assert source == os.path.join(logdir, "sweep", "lr_1.0")
    output = str(tmp_path / "run.csv")
    wait_export(qtbot, controller,
                lambda: controller.export_scalars(source, "csv", output))
    expected = str(tmp_path / "run-expected.csv")
    export_scalars(source, expected)
    with open(output) as pane_file, open(expected) as expected_file:
        text = pane_file.read()
        assert text == expected_file.read()
    assert ",nan" in text


def test_pane_export_parquet(qtbot, runs_pane, logdir, tmp_path):
    pyarrow_parquet = pytest.importorskip("pyarrow.parquet")
    controller = runs_pane.runs_table
    output = str(tmp_path / "scalars.parquet")
    assert wait_export(qtbot, controller, lambda: controller.export_scalars(
        logdir, "parquet", output)) == [output, ""]
    assert pyarrow_parquet.read_table(output).num_rows == sum(
        len(losses) * 2 for _, losses in RUNS.values()) + 4 * 2


def test_pane_export_table_csv(qtbot, runs_pane, logdir, index_runs,
                               tmp_path):
    controller = runs_pane.runs_table
    model = controller.table_model
    model.sort(column_of(model, ColumnKind.Hparam, "lr"), Qt.AscendingOrder)
    output = str(tmp_path / "table.csv")
    wait_export(qtbot, controller, lambda: controller.export_table(output))
    runs = [index_runs[name] for name in run_names(model)]
    expected = io.StringIO()
    write_table_csv(table_rows(runs, model.table.tags, time.time()),
                    model.table.tags, expected,
                    hparams=list(model.table.hparams))
    with open(output, newline="") as table_file:
        written = list(csv.reader(table_file))
    expected_rows = list(csv.reader(io.StringIO(expected.getvalue())))
    # Status and duration are the same facts; compare every column.
    assert written == expected_rows
    assert [row[0] for row in written[1:]] == [
        "sweep/lr_0.01", "sweep/lr_0.1", NAN_RUN, PLAIN_RUN]


def test_pane_export_error_is_a_message(qtbot, runs_pane, logdir, tmp_path,
                                        monkeypatch):
    controller = runs_pane.runs_table
    messages = []
    monkeypatch.setattr(controller, "show_error", messages.append)
    output = str(tmp_path / "no" / "such" / "dir.csv")
    output_arg, error = wait_export(
        qtbot, controller,
        lambda: controller.export_scalars(logdir, "csv", output))
    assert error and "Traceback" not in error
    assert messages == ["The export failed: " + error]
    # A directory that is not one: ExportError's message.
    messages.clear()
    _, error = wait_export(
        qtbot, controller, lambda: controller.export_scalars(
            str(tmp_path / "missing"), "csv", str(tmp_path / "x.csv")))
    assert "not a directory" in error
    assert messages and not os.path.exists(tmp_path / "x.csv")


def test_pane_export_cancel_writes_nothing(qtbot, runs_pane, logdir,
                                           tmp_path, monkeypatch):
    from spyder_tblogs.spyder.workers import runs_worker

    controller = runs_pane.runs_table
    messages = []
    monkeypatch.setattr(controller, "show_error", messages.append)
    output = str(tmp_path / "cancelled.csv")
    # The real export, held at its first progress report until the user
    # cancels (the logs are too small to cancel in time otherwise).
    cancelled = controller.export_worker._cancel

    def held_export(*args, progress, **kwargs):
        def held_progress(done, total):
            cancelled.wait(10)
            progress(done, total)
        return export_scalars(*args, progress=held_progress, **kwargs)

    monkeypatch.setattr(runs_worker, "export_scalars", held_export)

    def start():
        controller.export_scalars(logdir, "csv", output)
        # What the dialog's Cancel button emits.
        controller._progress.canceled.emit()

    assert wait_export(qtbot, controller, start) == [output, "cancelled"]
    assert not os.path.exists(output)
    assert not [name for name in os.listdir(os.path.dirname(output))
                if name.startswith(os.path.basename(output))]
    assert not messages
    assert not controller.is_exporting()


def test_status_sorts_alarms_together(logdir, index_runs):
    model = make_model(logdir, index_runs)
    model.sort(1, Qt.DescendingOrder)
    assert run_names(model)[0] == NAN_RUN
