"""TensorBoard on an s3:// root (issue 12), against moto's real S3 server.

The server runs on 127.0.0.1 in a child process (``tests/s3_server.py``);
event files written by real writers are uploaded with boto3, and the
endpoint reaches TensorBoard only through the standard variables
(``AWS_ENDPOINT_URL``), as a user's would.
"""

import json
import os
import sys

import psutil
import pytest

from spyder_tblogs.tensorboard import (
    TensorBoardError, TensorFlowChoice, TensorFlowUse)
from tb_helpers import gone, leftover_processes, run_cli, served_runs, writers

from s3_server import S3Server, s3_environment  # tests/ (via tb_helpers)

BUCKET = "logs-bucket"
RUNS = ["eval/fold-1", "train"]


@pytest.fixture(scope="module")
def s3_server():
    server = S3Server().start()
    try:
        server.client().create_bucket(Bucket=BUCKET)
        yield server
    finally:
        server.close()


@pytest.fixture
def s3_logs(s3_server, sandbox, monkeypatch):
    """Real event files uploaded under a prefix of this test; the endpoint
    in ``AWS_ENDPOINT_URL`` only. Yields the root's URL."""
    local = sandbox / "local-logs"
    writers.write_tensorboard_events(str(local / "train"), steps=8)
    writers.write_tensorboard_events(str(local / "eval" / "fold-1"), steps=4)
    prefix = f"runs-{sandbox.name}"
    s3_server.upload_tree(str(local), BUCKET, prefix)
    for name, value in s3_environment(s3_server.endpoint).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("S3_ENDPOINT", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    yield f"s3://{BUCKET}/{prefix}"
    # The sandbox only finds processes naming its directory; these name the
    # prefix.
    leftovers = leftover_processes(prefix)
    for process in leftovers:
        process.kill()
    psutil.wait_procs(leftovers, timeout=10)
    assert leftovers == []


def test_start_serves_the_runs_of_an_s3_prefix(manager, s3_server, s3_logs,
                                               real_tensorflow):
    requests_before = s3_server.log_size()
    # Asked to load TensorFlow, which cannot read s3://: the stub anyway.
    instance = manager.start(s3_logs + "/",
                             tensorflow=TensorFlowChoice.WHEN_INSTALLED,
                             timeout=120)
    assert instance.logdir == s3_logs  # the URL, less its trailing slash
    assert instance.tensorflow is TensorFlowUse.SKIPPED
    assert served_runs(instance, RUNS) == RUNS
    # Read from the server on 127.0.0.1, not from anywhere else.
    assert any(method == "GET" and path.startswith(f"/{BUCKET}")
               for method, path in s3_server.requests(requests_before))
    if sys.platform.startswith("linux"):
        # The endpoint the way TensorBoard's stub reads it.
        assert psutil.Process(instance.pid).environ()["S3_ENDPOINT"] == \
            s3_server.endpoint

    again = manager.start(s3_logs)
    assert (again.pid, again.reused) == (instance.pid, True)
    assert instance.pid in manager.stop(s3_logs)
    assert gone(instance.pid)


def test_cli_starts_lists_and_stops_an_s3_root(s3_logs, sandbox):
    started = run_cli("tensorboard", "start", s3_logs, "--json")
    assert started.returncode == 0, started.stderr
    info = json.loads(started.stdout)
    assert (info["logdir"], info["tensorflow"]) == (s3_logs, "skipped")

    listed = json.loads(run_cli("tensorboard", "list", "--json").stdout)
    assert [entry["pid"] for entry in listed] == [info["pid"]]
    stopped = run_cli("tensorboard", "stop", s3_logs)
    assert stopped.returncode == 0, stopped.stderr
    assert gone(info["pid"])


def test_s3_without_boto3_says_what_to_install(
        manager, s3_logs, sandbox, monkeypatch, fast_tensorboard):
    # An environment where boto3 cannot be imported (as if not installed).
    hider = sandbox / "hide-boto3"
    (hider / "boto3").mkdir(parents=True)
    (hider / "boto3" / "__init__.py").write_text(
        'raise ImportError("No module named boto3 (hidden by the test)")\n',
        encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(hider)] + ([fast_tensorboard] if fast_tensorboard else [])))

    with pytest.raises(TensorBoardError) as caught:
        manager.start(s3_logs)
    message = caught.value.message
    assert "TensorBoard reads s3:// through boto3" in message
    assert "pip install boto3" in message
    assert manager.registry.records() == []

    cli = run_cli("tensorboard", "start", s3_logs)
    assert cli.returncode != 0
    assert cli.stderr.count("\n") == 1 and "pip install boto3" in cli.stderr
    assert "Traceback" not in cli.stderr
