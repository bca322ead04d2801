"""The Runs table in a real Spyder main window, on logs written by real
writers, a diverged (NaN) run among them."""

import pytest
from qtpy.QtCore import Qt

from runs_logs import NAN_RUN, PLAIN_RUN, RUNS, write_runs_logs

WAIT_MS = 60000

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning",
                                        "ignore::DeprecationWarning")


@pytest.fixture
def main_window(spyder_window):
    return spyder_window["window"]


def test_runs_table_in_spyder_shows_the_nan_alarm(qtbot, main_window,
                                                  tmp_path):
    project = tmp_path / "project"
    logdir = write_runs_logs(str(project / "logs"))
    tblogs = main_window.get_plugin("tblogs")
    tblogs.set_conf("open_in", "none")
    main_window.get_plugin("project_explorer").create_project(str(project))
    tblogs.switch_to_plugin(force_focus=True)
    pane = tblogs.get_widget()
    qtbot.waitUntil(lambda: {node.run_name for node in pane.model.iter_runs()}
                    == set(RUNS) | {PLAIN_RUN}, timeout=WAIT_MS)
    pane.select_node(pane.model.root_node(logdir))
    pane.runs_table.show()
    model = pane.runs_table.table_model
    qtbot.waitUntil(lambda: model.total_rows() == len(RUNS) + 1,
                    timeout=WAIT_MS)
    assert pane.runs_table.widget.isVisible()

    names = [model.run_name(row) for row in range(model.rowCount())]
    row = names.index(NAN_RUN)
    status = model.index(row, 1)
    assert "warning" in model.data(status)
    assert "'loss' became NaN at step 2" in model.data(
        status, Qt.ToolTipRole)
    assert model.data(status, Qt.DecorationRole) is not None
    headers = [model.headerData(column, Qt.Horizontal)
               for column in range(model.columnCount())]
    assert headers[4:6] == ["lr", "optimizer"]
    last = headers.index("loss last")
    assert model.data(model.index(row, last)) == "NaN"
    assert model.data(model.index(row, headers.index("loss max"))) == "3"

    # A click on the row selects the run in the tree (and its sparklines).
    view = pane.runs_table.widget.view
    rect = view.visualRect(model.index(row, 0))
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    assert pane.current_node().run_name == NAN_RUN
    qtbot.waitUntil(lambda: pane.previews._key is not None and len(
        pane.previews._key) == 1, timeout=WAIT_MS)
    # The tree's context menu offers the scalar exports.
    texts = [action.text() for action in pane.context_menu.get_actions()
             if action is not None]
    assert "Export scalars as CSV…" in texts
    assert "Show in Runs table" in texts
