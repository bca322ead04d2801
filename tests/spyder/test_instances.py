"""The TensorBoard tab on real servers (127.0.0.1): how each one runs, the
columns fitting what they show, servers started from the command line,
registry errors in words, URL roots kept as URLs, and "Last step".
"""

import json
import os
import stat
import subprocess
import sys

import psutil
import pytest
from qtpy.QtWidgets import QToolButton

from spyder_helpers import kill_processes
from logwriters import write_run
from spyder_tblogs.logs.paths import path_key
from spyder_tblogs.spyder.tree_display import Column as TreeColumn
from spyder_tblogs.spyder.widgets.instances import Column
from spyder_tblogs.tensorboard.instance_table import InstanceState
from spyder_tblogs.tensorboard import TensorFlowUse

WAIT_MS = 15000
START_MS = 90000

pytestmark = pytest.mark.filterwarnings(
    "ignore:There already exists a reference:UserWarning")


@pytest.fixture
def logs(tmp_path):
    """A log directory with one run; whatever serves it dies at the end."""
    root = tmp_path / "a-rather-long-directory-name-for-the-column" / "logs"
    write_run(str(root / "mnist" / "train"), steps=6)
    yield root
    kill_processes([p for p in psutil.process_iter()
                    if str(tmp_path) in " ".join(_cmdline(p))])


def _cmdline(process):
    try:
        return process.cmdline()
    except (psutil.Error, OSError):
        return []


def open_root(qtbot, pane, root):
    pane.set_project(str(root.parent))
    qtbot.waitUntil(lambda: pane.model.root_node(str(root)) is not None,
                    timeout=WAIT_MS)
    pane.select_node(pane.model.root_node(str(root)))
    with qtbot.waitSignal(pane.sig_tensorboard_started,
                          timeout=START_MS) as blocker:
        pane.open_action.trigger()
    return blocker.args[0]


def stop_button(pane, entry):
    item = pane.instances.item(entry.logdir)
    container = pane.instances.list.itemWidget(item, Column.Buttons)
    return [button for button in container.findChildren(QToolButton)
            if button.toolTip() == "Stop this TensorBoard"][0]


def cli(*args):
    """Run the project's command line (same registry, the test's env)."""
    return subprocess.run(
        [sys.executable, "-m", "spyder_tblogs", "tensorboard", *args],
        capture_output=True, text=True, timeout=120, check=True).stdout


def test_pane_start_is_tensorflow_free_and_columns_fit(qtbot, pane, logs):
    instance = open_root(qtbot, pane, logs)
    assert instance.tensorflow is TensorFlowUse.SKIPPED
    # The pane's reload interval is a default, not part of the identity.
    assert instance.extra_args == ()
    assert "--reload_interval" in instance.default_args
    entry = pane.instances.entry(str(logs))
    item = pane.instances.item(entry.logdir)
    assert item.text(Column.TensorFlow) == "no (fast)"
    assert "127.0.0.1" in item.toolTip(Column.URL)
    assert ", ".join(instance.listening) in item.toolTip(Column.URL)

    tree = pane.instances.list
    header = tree.header()
    metrics = tree.fontMetrics()
    # Short columns show all of their text, the URL included.
    for column in (Column.State, Column.TensorFlow, Column.URL):
        assert header.sectionSize(column) >= metrics.horizontalAdvance(
            item.text(column))
    # The directory takes the rest: no empty half of the pane.
    used = sum(header.sectionSize(c) for c in range(header.count()))
    assert used >= tree.viewport().width() - 2
    # Too narrow for the whole path: both of its ends stay visible.
    from qtpy.QtCore import Qt
    assert tree.textElideMode() == Qt.ElideMiddle
    assert header.sectionSize(Column.LogDir) > header.sectionSize(
        Column.URL)


def test_cli_server_is_listed_reused_and_stopped_from_the_pane(
        qtbot, pane, logs):
    started = json.loads(cli("start", "--json", str(logs)))
    pid = started["pid"]
    try:
        # Listed within a poll of the registry, without any pane action.
        qtbot.waitUntil(lambda: pane.instances.entry(str(logs)) is not None,
                        timeout=WAIT_MS)
        entry = pane.instances.entry(str(logs))
        assert entry.state == InstanceState.RUNNING and entry.pid == pid
        item = pane.instances.item(entry.logdir)
        assert item.text(Column.TensorFlow) == "no (fast)"

        # The pane's own start request (with its reload-interval default)
        # reuses the CLI's server rather than starting a second one.
        request = pane.tensorboard.start_request(str(logs))
        with qtbot.waitSignal(pane.tensorboard.worker.sig_started,
                              timeout=START_MS) as blocker:
            pane.tensorboard.worker.request_start(request)
        instance = blocker.args[1]
        assert instance.pid == pid and instance.reused

        stop_button(pane, pane.instances.entry(str(logs))).click()
        qtbot.waitUntil(lambda: pane.instances.entry(str(logs)) is None,
                        timeout=WAIT_MS)
        assert not psutil.pid_exists(pid) or \
            psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        # Gone for the command line too.
        assert json.loads(cli("list", "--json")) == []
    finally:
        if psutil.pid_exists(pid):
            kill_processes([psutil.Process(pid)])


@pytest.fixture
def shared_registry(tmp_path, monkeypatch):
    """A registry directory others can write (the pane must refuse it)."""
    directory = tmp_path / "shared-registry"
    directory.mkdir()
    directory.chmod(0o777)
    monkeypatch.setenv("SPYDER_TBLOGS_REGISTRY", str(directory))
    return directory


@pytest.mark.skipif(os.name != "posix", reason="mode bits are POSIX")
def test_shared_registry_is_refused_in_words(qtbot, shared_registry, pane):
    qtbot.waitUntil(lambda: pane.instances.error_text() != "",
                    timeout=WAIT_MS)
    text = pane.instances.error_text()
    assert "writable by other users" in text and "chmod 700" in text
    assert "Traceback" not in text
    assert pane.details_tabs.currentWidget() is pane.instances
    assert stat.S_IMODE(shared_registry.stat().st_mode) == 0o777
    # Made private: the next list clears the message.
    shared_registry.chmod(0o700)
    pane.tensorboard.worker.request_list()
    qtbot.waitUntil(lambda: pane.instances.error_text() == "",
                    timeout=WAIT_MS)


@pytest.fixture
def file_as_registry(tmp_path, monkeypatch):
    path = tmp_path / "registry-is-a-file"
    path.write_text("not a directory")
    monkeypatch.setenv("SPYDER_TBLOGS_REGISTRY", str(path))
    return path


def test_registry_os_error_is_named(qtbot, file_as_registry, pane):
    qtbot.waitUntil(lambda: pane.instances.error_text() != "",
                    timeout=WAIT_MS)
    text = pane.instances.error_text()
    assert text.startswith(("FileExistsError: ", "NotADirectoryError: "))
    assert str(file_as_registry) in text
    assert file_as_registry.read_text() == "not a directory"


def test_url_roots_stay_urls(pane, tblogs_conf):
    request = pane.tensorboard.start_request("s3://bucket/logs")
    assert request.logdir == "s3://bucket/logs"
    assert request.extra_args == ()
    assert request.default_args == ("--reload_interval", "5")
    assert request.tensorflow == "never"
    assert path_key("s3://bucket/logs/") == "s3://bucket/logs"
    tblogs_conf.set("tblogs", "load_tensorflow", "when-installed")
    assert pane.tensorboard.start_request("gs://b/x").tensorflow == \
        "when-installed"


def test_last_step_is_the_highest_step(qtbot, pane, tmp_path):
    from tensorboardX import SummaryWriter

    run = tmp_path / "project" / "logs" / "run"
    with SummaryWriter(str(run)) as writer:
        for step in range(120):
            writer.add_scalar("loss", 1.0 / (step + 1), step)
        writer.add_text("notes", "trained on the full set", 0)
    pane.set_project(str(tmp_path / "project"))
    qtbot.waitUntil(lambda: pane.is_idle() and any(
        node.run_name == "run" for node in pane.model.iter_runs()),
        timeout=WAIT_MS)
    node = next(n for n in pane.model.iter_runs() if n.run_name == "run")
    assert node.last_step == 119
    index = pane.model.index_for_node(node, TreeColumn.LastStep)
    assert pane.model.data(index) == "119"
    pane.select_node(node)
    pane._update_details(force=True)
    # Steps of the run, of its file and of its scalar tag: 0 to 119.
    assert "0 – 119" in pane.details.toPlainText()
    assert "119 – 0" not in pane.details.toPlainText()


def test_a_refused_stop_is_said_and_the_row_stays(qtbot, pane, logs,
                                                  monkeypatch):
    instance = open_root(qtbot, pane, logs)
    manager = pane.tensorboard.worker.manager

    def refuse(target, **kwargs):
        # What signalling another user's process gives.
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(manager, "stop", refuse)
    entry = pane.instances.entry(str(logs))
    stop_button(pane, entry).click()
    qtbot.waitUntil(lambda: pane.instances.error_text() != "",
                    timeout=WAIT_MS)
    assert pane.instances.error_text() == \
        "PermissionError: [Errno 1] Operation not permitted"
    qtbot.waitUntil(lambda: pane.instances.entry(str(logs)).state
                    == InstanceState.RUNNING, timeout=WAIT_MS)
    assert psutil.pid_exists(instance.pid)

    # Allowed again: the next stop clears the message and stops it.
    monkeypatch.undo()
    stop_button(pane, pane.instances.entry(str(logs))).click()
    assert pane.instances.error_text() == ""
    qtbot.waitUntil(lambda: pane.instances.entry(str(logs)) is None,
                    timeout=WAIT_MS)
