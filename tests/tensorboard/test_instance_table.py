"""The pane's instance table: every transition, and the ones it refuses."""

from dataclasses import dataclass

import pytest
from tb_helpers import symlink_or_skip

from spyder_tblogs.tensorboard.instance_table import (
    TRANSITIONS, InstanceState, InstanceTable)


@dataclass
class Instance:
    """What the table reads of a TensorBoardInstance."""

    logdir: str
    pid: int
    url: str = "http://127.0.0.1:6006/"
    host: str = "127.0.0.1"


@pytest.fixture
def table():
    return InstanceTable()


def test_start_then_serve_then_stop(table, tmp_path):
    logdir = str(tmp_path)
    row = table.start_requested(logdir, "127.0.0.1")
    assert row.state == InstanceState.STARTING and row.host == "127.0.0.1"
    assert table.is_serving(logdir)
    row = table.started(logdir, Instance(logdir, 41), detail="reused")
    assert (row.state, row.pid, row.url, row.detail) == (
        InstanceState.RUNNING, 41, "http://127.0.0.1:6006/", "reused")
    assert table.stop_requested(logdir).state == InstanceState.STOPPING
    assert not table.is_serving(logdir)
    assert table.stopped(logdir) is row
    assert table.row(logdir) is None and len(table) == 0


def test_failed_start_keeps_its_message_until_started_again(table, tmp_path):
    logdir = str(tmp_path)
    table.start_requested(logdir, "127.0.0.1")
    row = table.start_failed(logdir, "port in use")
    assert row.state == InstanceState.FAILED and row.state.ended
    assert row.detail == "port in use"
    assert table.start_requested(logdir, "127.0.0.1").detail == ""


def test_late_exit_of_an_instance_being_stopped_is_ignored(table, tmp_path):
    logdir = str(tmp_path)
    table.started(logdir, Instance(logdir, 7))
    table.stop_requested(logdir)
    assert table.exited(logdir, "exited with code -15") is None
    assert table.row(logdir).state == InstanceState.STOPPING
    # An exit of a directory the pane never showed makes no row.
    assert table.exited(str(tmp_path / "other"), "gone") is None
    assert len(table) == 1


def test_failed_stop_leaves_it_running(table, tmp_path):
    logdir = str(tmp_path)
    table.started(logdir, Instance(logdir, 7))
    assert table.stop_failed(logdir) is None        # not being stopped
    table.stop_requested(logdir)
    assert table.stop_failed(logdir).state == InstanceState.RUNNING


def test_start_asked_while_stopping_survives_the_stop(table, tmp_path):
    logdir = str(tmp_path)
    table.started(logdir, Instance(logdir, 7))
    table.stop_requested(logdir)
    table.start_requested(logdir, "127.0.0.1")
    assert table.stopped(logdir) is None
    assert table.row(logdir).state == InstanceState.STARTING


def test_start_finishing_after_a_stop_was_asked_stays_stopping(table,
                                                               tmp_path):
    logdir = str(tmp_path)
    table.start_requested(logdir, "127.0.0.1")
    table.stop_requested(logdir)
    row = table.started(logdir, Instance(logdir, 9))
    assert row.state == InstanceState.STOPPING and row.pid == 9


def test_resolved_directory_finds_the_row(table, tmp_path):
    # The manager reports the directory with symlinks resolved.
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    symlink_or_skip(str(real), str(link))
    table.start_requested(str(link), "127.0.0.1")
    table.started(str(link), Instance(str(real), 5))
    assert table.row(str(real)) is table.row(str(link))
    assert table.exited(str(real), "died").state == InstanceState.EXITED
    table.stop_requested(str(real))
    assert table.stopped(str(real)) is not None
    assert len(table) == 0 and table.row(str(real)) is None


def test_listing_adopts_and_retires(table, tmp_path):
    ours, theirs, starting = (str(tmp_path / name)
                              for name in ("ours", "theirs", "starting"))
    table.started(ours, Instance(ours, 1), detail="reused")
    table.start_requested(starting, "127.0.0.1")
    changed = table.listed([Instance(theirs, 2), Instance(starting, 3)],
                           gone_detail="no longer running")
    assert {row.logdir: row.state for row in changed} == {
        theirs: InstanceState.RUNNING, ours: InstanceState.EXITED}
    assert table.row(ours).detail == "no longer running"
    # The manager's own report of the exit, coming later, says more.
    assert table.exited(ours, "exited with code -9").detail == \
        "exited with code -9"
    # A start under way is left to its own events.
    assert table.row(starting).state == InstanceState.STARTING
    assert table.row(starting).pid is None


def test_every_state_has_its_transitions_and_a_failed_row_restarts():
    assert set(TRANSITIONS) - {None} == set(InstanceState)
    for state in (InstanceState.FAILED, InstanceState.EXITED):
        assert InstanceState.STARTING in TRANSITIONS[state]
    assert {state for state in InstanceState if state.serving} == {
        InstanceState.STARTING, InstanceState.RUNNING}
