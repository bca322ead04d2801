"""The workers in their threads, driven through their public requests."""

import os
import shutil
import sys

import pytest

from logwriters import write_run
from spyder_tblogs.spyder.config import CONF_DEFAULTS, watches_by_default
from spyder_tblogs.spyder.snapshots import IndexContext, StartRequest
from spyder_tblogs.spyder.workers import (
    IndexWorker, TensorBoardWorker, WorkerThread)

WAIT_MS = 30000


@pytest.fixture
def index_worker(qtbot):
    worker = IndexWorker(poll_interval_ms=500, use_watcher=False)
    thread = WorkerThread(worker, "test-index")
    yield worker
    thread.stop()
    assert not thread.thread.isRunning()


def test_index_worker_sends_roots_then_batches(qtbot, index_worker,
                                               tmp_path):
    project = tmp_path / "project"
    write_run(str(project / "logs" / "run1"), steps=3)
    write_run(str(project / "runs" / "run2"), steps=2)
    added = tmp_path / "added"
    write_run(str(added / "extra"), steps=1)

    batches = []
    index_worker.sig_batch.connect(batches.append)
    context = IndexContext(generation=1, directory=str(project),
                           is_project=True, added=(str(added),),
                           hidden=(str(project / "runs"),))
    with qtbot.waitSignal(index_worker.sig_roots_found,
                          timeout=WAIT_MS) as found:
        index_worker.request_context(context)
    roots = {spec.path: spec.origin for spec in found.args[0].roots}
    assert roots == {str(project / "logs"): "auto", str(added): "added"}
    assert found.args[0].watching is False
    qtbot.waitUntil(lambda: {batch.root for batch in batches if batch.final}
                    == set(roots), timeout=WAIT_MS)
    assert all(batch.generation == 1 for batch in batches)
    names = {row[0] for batch in batches for row in batch.runs}
    assert names == {"run1", "extra"}

    # A new run is polled in; an unchanged root sends nothing.
    batches.clear()
    write_run(str(project / "logs" / "run3"), steps=1)
    qtbot.waitUntil(lambda: any(row[0] == "run3" for batch in batches
                                for row in batch.runs), timeout=WAIT_MS)
    assert {batch.root for batch in batches} == {str(project / "logs")}


def test_index_worker_drops_superseded_contexts(qtbot, index_worker,
                                                tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    write_run(str(first / "run"), steps=1)
    write_run(str(second / "run"), steps=1)
    found = []
    index_worker.sig_roots_found.connect(found.append)
    index_worker.request_context(IndexContext(1, str(first)))
    index_worker.request_context(IndexContext(2, str(second)))
    qtbot.waitUntil(lambda: any(item.generation == 2 for item in found),
                    timeout=WAIT_MS)
    # The worker may have started on context 1 before context 2 was asked
    # for; once it is superseded, nothing of it arrives any more.
    qtbot.wait(500)
    generations = [item.generation for item in found]
    assert generations[-1] == 2
    assert generations == sorted(generations)


def test_index_worker_reports_a_missing_directory(qtbot, index_worker,
                                                  tmp_path):
    missing = tmp_path / "missing"
    with qtbot.waitSignal(index_worker.sig_roots_found,
                          timeout=WAIT_MS) as found:
        index_worker.request_context(IndexContext(1, str(missing)))
    assert found.args[0].roots == ()
    assert str(missing) in found.args[0].message


def test_windows_polls_unless_watching_is_turned_on(qtbot, tmp_path):
    # Windows' default, decided in one place, as the pane passes it on.
    assert watches_by_default("win32") is False
    assert watches_by_default("linux") is watches_by_default("darwin") is True
    assert dict(CONF_DEFAULTS[0][1])["file_watching"] is \
        watches_by_default(sys.platform)
    worker = IndexWorker(poll_interval_ms=500,
                         use_watcher=watches_by_default("win32"))
    thread = WorkerThread(worker, "test-index")
    try:
        logs = tmp_path / "logs"
        write_run(str(logs / "run1"), steps=1)
        batches = []
        worker.sig_batch.connect(batches.append)
        with qtbot.waitSignal(worker.sig_roots_found,
                              timeout=WAIT_MS) as found:
            worker.request_context(IndexContext(1, str(tmp_path)))
        assert [spec.path for spec in found.args[0].roots] == [str(logs)]
        assert found.args[0].watching is False
        assert worker.watched_roots() == ()
        # Nothing holds the root: the script deletes and re-creates it, and
        # polling picks up the new run.
        shutil.rmtree(logs)
        write_run(str(logs / "run2"), steps=1)
        qtbot.waitUntil(lambda: any(row[0] == "run2" for batch in batches
                                    for row in batch.runs), timeout=WAIT_MS)

        # The preference turns watching on without a restart.
        with qtbot.waitSignal(worker.sig_roots_found,
                              timeout=WAIT_MS) as found:
            worker.request_watching(True)
        assert found.args[0].watching is True
        assert worker.watched_roots() == (str(logs),)
    finally:
        thread.stop()


@pytest.fixture
def tensorboard_worker(qtbot, tmp_path):
    worker = TensorBoardWorker(registry_dir=str(tmp_path / "registry"))
    thread = WorkerThread(worker, "test-tensorboard")
    yield worker
    worker.stop_started_blocking()
    thread.stop()


def test_tensorboard_worker_fails_without_a_usable_interpreter(
        qtbot, tensorboard_worker, tmp_path):
    no_tensorboard = str(tmp_path / "no-such-python")
    request = StartRequest(logdir=str(tmp_path), candidates=(no_tensorboard,))
    with qtbot.waitSignal(tensorboard_worker.sig_failed,
                          timeout=WAIT_MS) as failed:
        tensorboard_worker.request_start(request)
    assert failed.args[0] is request
    assert no_tensorboard in failed.args[1]


def test_tensorboard_worker_lists_and_stops_nothing(qtbot,
                                                    tensorboard_worker,
                                                    tmp_path):
    with qtbot.waitSignal(tensorboard_worker.sig_instances,
                          timeout=WAIT_MS) as listed:
        tensorboard_worker.request_list()
    assert listed.args[0] == []
    with qtbot.waitSignal(tensorboard_worker.sig_stopped,
                          timeout=WAIT_MS) as stopped:
        tensorboard_worker.request_stop(str(tmp_path))
    assert stopped.args == [str(tmp_path), []]


def test_tensorboard_worker_reports_a_refused_start(qtbot,
                                                    tensorboard_worker,
                                                    tmp_path):
    # The manager refuses its own flags among the extra arguments.
    request = StartRequest(logdir=str(tmp_path), python=sys.executable,
                           extra_args=("--logdir", os.fspath(tmp_path)))
    with qtbot.waitSignal(tensorboard_worker.sig_failed,
                          timeout=WAIT_MS) as failed:
        tensorboard_worker.request_start(request)
    assert "--logdir" in failed.args[1]
