"""A remote log directory in the pane, against moto's real S3 server."""

import pytest
from logwriters import write_run
from s3_server import S3Server, s3_environment

pytest.importorskip("s3fs")

WAIT_MS = 20000

pytestmark = pytest.mark.filterwarnings(
    "ignore:There already exists a reference:UserWarning")


@pytest.fixture
def s3(monkeypatch):
    server = S3Server().start()
    for name, value in s3_environment(server.endpoint).items():
        monkeypatch.setenv(name, value)
    yield server
    server.close()


def _runs(pane, root):
    return {node.run_name for node in pane.model.iter_runs()
            if node.root_node().root_path == root}


def test_an_s3_root_shows_its_runs_and_new_uploads(qtbot, pane, tblogs_conf,
                                                   s3, tmp_path):
    s3.client().create_bucket(Bucket="pane-bucket")
    local = tmp_path / "logs"
    write_run(str(local / "first"), steps=5)
    s3.upload_tree(str(local), "pane-bucket", "exp")
    tblogs_conf.set("tblogs", "remote_poll_interval", 2)
    project = tmp_path / "project"
    project.mkdir()
    pane.set_project(str(project))
    url = "s3://pane-bucket/exp"
    pane.add_remote_log_directory(url)
    qtbot.waitUntil(lambda: _runs(pane, url) == {"first"}, timeout=WAIT_MS)
    assert url not in pane.index.worker.watched_roots()   # polled only

    # An upload appears within one remote poll interval.
    write_run(str(local / "second"), steps=3)
    s3.upload_tree(str(local / "second"), "pane-bucket", "exp/second")
    qtbot.waitUntil(lambda: _runs(pane, url) == {"first", "second"},
                    timeout=WAIT_MS)
    # Kept per project, as the URL typed.
    assert pane.context.directories.added(str(project)) == (url,)


def test_a_refused_bucket_is_a_diagnostic_on_its_root(qtbot, pane, s3,
                                                      tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    pane.set_project(str(project))
    url = "s3://no-such-bucket/logs"
    pane.add_remote_log_directory(url)

    def root_diagnostics():
        node = pane.model.root_node(url)
        return () if node is None else tuple(node.diagnostics)

    qtbot.waitUntil(lambda: any(item.code == "remote-error"
                                for item in root_diagnostics()),
                    timeout=WAIT_MS)
    assert s3.endpoint in root_diagnostics()[0].message


def test_typed_url_is_checked_by_the_worker_not_the_dialog(qtbot, pane,
                                                           tmp_path,
                                                           monkeypatch):
    from qtpy.QtWidgets import QInputDialog, QMessageBox

    warnings = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda *args: warnings.append(args[2]))
    answers = iter([(str(tmp_path), True),
                    ("nosuchproto://bucket/x/", True)])
    monkeypatch.setattr(QInputDialog, "getText",
                        lambda *args, **kwargs: next(answers))
    project = tmp_path / "project"
    project.mkdir()
    pane.set_project(str(project))
    # A folder is refused with a word on what to use instead; asked again.
    pane.add_remote_log_directory()
    assert len(warnings) == 1 and "Add log directory" in warnings[0]

    # The protocol is found unreadable off the GUI thread, on the root.
    url = "nosuchproto://bucket/x"

    def root_messages():
        node = pane.model.root_node(url)
        return [item.message for item in (node.diagnostics if node else ())
                if item.code == "remote-error"]

    qtbot.waitUntil(lambda: bool(root_messages()), timeout=WAIT_MS)
    assert "not a protocol fsspec knows" in root_messages()[0]
    assert len(warnings) == 1
    assert pane.context.directories.added(str(project)) == (url,)
