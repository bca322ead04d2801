"""Remote log directories against a real S3 API on 127.0.0.1 (moto's server).

Event files come from real writers (tensorboard's own, tensorboardX, TF2's
``tf.summary`` and Keras via the shared fixture) and are uploaded with
boto3. Nothing of fsspec or boto is mocked: requests are counted by the
index's own counters and by the server's request log.
"""

import json
import os
import shutil
import subprocess
import sys
import urllib.request

import pytest

pytest.importorskip("s3fs")

from log_helpers import writers  # noqa: E402
from s3_server import S3Server, s3_environment  # noqa: E402

from spyder_tblogs.logs import LogIndex  # noqa: E402
from spyder_tblogs.logs.export import export_scalars  # noqa: E402
from spyder_tblogs.logs.records import read_records  # noqa: E402

BUCKET = "logs-bucket"


@pytest.fixture(scope="module")
def server():
    s3 = S3Server().start()
    yield s3
    s3.close()


@pytest.fixture
def s3_env(server, monkeypatch):
    for name, value in s3_environment(server.endpoint).items():
        monkeypatch.setenv(name, value)
    return server


def _fresh_bucket(server, name):
    client = server.client()
    client.create_bucket(Bucket=name)
    return client


def _comparable(index):
    """What an index of the same tree must show wherever the tree lives."""
    runs = {}
    for run in index.runs():
        runs[run.name] = {
            "files": [(info.name, info.size, info.events, info.first_step,
                       info.last_step, info.corrupt_records)
                      for info in run.files],
            "tags": {tag: (info.kind, info.count, info.first_step,
                           info.last_step, info.last_value, info.min_value,
                           info.max_value)
                     for tag, info in run.tags.items()},
            "hparams": dict(run.hparams),
            "codes": sorted(item.code for item in run.diagnostics),
        }
    return runs


def test_an_uploaded_tree_indexes_like_the_local_one(s3_env, mixed_logdir):
    server = s3_env
    _fresh_bucket(server, BUCKET)
    server.upload_tree(mixed_logdir, BUCKET, "exp/logs")
    local = LogIndex(mixed_logdir, workers=1)
    local.refresh()
    remote = LogIndex("s3://%s/exp/logs" % BUCKET)
    update = remote.refresh()
    assert remote.diagnostics == ()
    assert set(update.added) == {run.name for run in local.runs()}
    assert _comparable(remote) == _comparable(local)
    # One listing for the whole tree, not one request per directory.
    assert remote.remote.list_requests == 1

    result = subprocess.run([sys.executable, "-m", "spyder_tblogs", "scan",
                             "s3://%s/exp/logs" % BUCKET, "--json"],
                            capture_output=True, text=True, timeout=120,
                            env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["logdir"] == "s3://%s/exp/logs" % BUCKET
    names = [run["name"] for run in document["runs"]]
    assert names == sorted(run.name for run in local.runs())


def test_growth_costs_one_ranged_read_and_no_change_costs_none(s3_env,
                                                               tmp_path):
    server = s3_env
    client = _fresh_bucket(server, "grow-bucket")
    path = writers.write_tensorboard_events(str(tmp_path / "run"), steps=40,
                                            histogram=False)
    with open(path, "rb") as stream:
        data = stream.read()
    records = read_records(path)
    half = records[20][0]
    key = "run/" + os.path.basename(path)
    client.put_object(Bucket="grow-bucket", Key=key, Body=data[:half])
    index = LogIndex("s3://grow-bucket")
    index.refresh()
    counters = index.remote
    assert index.run("run").tags["loss"].count == 19
    reads, read_bytes = counters.read_requests, counters.bytes_read

    # Nothing changed: the listing, no read.
    log_mark = server.log_size()
    assert index.refresh().empty
    assert (counters.read_requests, counters.bytes_read) == (reads, read_bytes)
    object_gets = [request for request in server.requests(log_mark)
                   if request[0] == "GET" and "list-type" not in request[1]]
    assert object_gets == []

    # Rewritten longer: one ranged read of the new bytes (and the 8 before).
    client.put_object(Bucket="grow-bucket", Key=key, Body=data)
    index.refresh()
    assert counters.read_requests == reads + 1
    assert counters.bytes_read - read_bytes == len(data) - half + 8
    assert index.run("run").tags["loss"].count == 40
    local = LogIndex(str(tmp_path), workers=1)
    local.refresh()
    assert _comparable(index) == _comparable(local)

    # Rewritten with other bytes before the old end: read again from 0.
    other = writers.write_tensorboard_events(str(tmp_path / "other"),
                                             steps=45, histogram=False)
    with open(other, "rb") as stream:
        client.put_object(Bucket="grow-bucket", Key=key, Body=stream.read())
    index.refresh()
    assert index.run("run").tags["loss"].count == 45


def test_new_small_objects_are_fetched_in_one_batch(s3_env, tmp_path):
    server = s3_env
    _fresh_bucket(server, "many-bucket")
    for number in range(12):
        writers.write_tensorboard_events(str(tmp_path / ("run%02d" % number)),
                                         steps=3, histogram=False, text=False)
    server.upload_tree(str(tmp_path), "many-bucket")
    index = LogIndex("s3://many-bucket")
    index.refresh()
    assert len(index) == 12
    assert index.remote.read_requests == 12
    assert all(run.tags["loss"].count == 3 for run in index.runs())


def test_a_missing_bucket_is_a_diagnostic_not_a_traceback(s3_env):
    index = LogIndex("s3://no-such-bucket/logs")
    update = index.refresh()
    assert update.empty
    (diagnostic,) = index.diagnostics
    assert diagnostic.code == "remote-error"
    assert s3_env.endpoint in diagnostic.message
    result = subprocess.run([sys.executable, "-m", "spyder_tblogs", "scan",
                             "s3://no-such-bucket/logs"],
                            capture_output=True, text=True, timeout=120,
                            env=dict(os.environ))
    assert result.returncode == 1
    assert "remote-error" in result.stdout and "Traceback" not in \
        result.stderr


def test_refused_credentials_then_recovery(tmp_path, monkeypatch):
    server = S3Server().start()
    try:
        for name, value in s3_environment(server.endpoint).items():
            monkeypatch.setenv(name, value)
        _fresh_bucket(server, "auth-bucket")
        writers.write_tensorboard_events(str(tmp_path / "run"), steps=5)
        server.upload_tree(str(tmp_path), "auth-bucket")
        iam = __import__("boto3").client(
            "iam", endpoint_url=server.endpoint, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing")
        iam.create_user(UserName="reader")
        iam.put_user_policy(
            UserName="reader", PolicyName="read-logs",
            PolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*",
                               "Resource": "*"}]}))
        key = iam.create_access_key(UserName="reader")["AccessKey"]
        # From now on the server checks every request's signature.
        urllib.request.urlopen(urllib.request.Request(
            server.endpoint + "/moto-api/reset-auth", data=b"0",
            headers={"Content-Type": "text/plain"}, method="POST"),
            timeout=10).close()

        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        index = LogIndex("s3://auth-bucket")
        index.refresh()
        assert [item.code for item in index.diagnostics] == ["remote-error"]
        assert len(index) == 0

        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        index = LogIndex("s3://auth-bucket")
        index.refresh()
        assert index.diagnostics == ()
        assert index.run("run").tags["loss"].count == 5

        # The server goes away: the runs stay, marked by the diagnostic;
        # it comes back: the index recovers.
        server.stop()
        assert index.refresh().empty
        assert [item.code for item in index.diagnostics] == ["remote-error"]
        assert index.run("run").tags["loss"].count == 5
        server.start()
    finally:
        server.close()


def test_a_server_that_comes_back_is_read_again(s3_env, tmp_path):
    server = s3_env
    _fresh_bucket(server, "back-bucket")
    writers.write_tensorboard_events(str(tmp_path / "run"), steps=5,
                                     histogram=False)
    server.upload_tree(str(tmp_path), "back-bucket")
    index = LogIndex("s3://back-bucket")
    index.refresh()
    server.stop()
    try:
        index.refresh()
        assert [item.code for item in index.diagnostics] == ["remote-error"]
        assert "127.0.0.1:%d" % server.port in index.diagnostics[0].message
    finally:
        server.start()        # same port; moto starts empty
    _fresh_bucket(server, "back-bucket")
    writers.write_tensorboard_events(str(tmp_path / "run2"), steps=3,
                                     histogram=False)
    server.upload_tree(str(tmp_path), "back-bucket")
    update = index.refresh()
    assert index.diagnostics == ()
    assert "run2" in update.added
    assert index.run("run").tags["loss"].count == 5


def test_export_and_runs_of_a_remote_root(s3_env, tmp_path):
    server = s3_env
    _fresh_bucket(server, "export-bucket")
    local = tmp_path / "logs"
    writers.write_tensorboard_events(str(local / "a"), steps=7,
                                     histogram=False)
    server.upload_tree(str(local), "export-bucket", "p")
    here = tmp_path / "local.csv"
    there = tmp_path / "remote.csv"
    assert export_scalars(str(local), str(here)) == \
        export_scalars("s3://export-bucket/p", str(there))
    assert here.read_bytes() == there.read_bytes()
    result = subprocess.run([sys.executable, "-m", "spyder_tblogs", "runs",
                             "s3://export-bucket/p", "--json"],
                            capture_output=True, text=True, timeout=120,
                            env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["metrics"]["loss"]["count"] == 7
    shutil.rmtree(local)


def test_a_protocol_without_its_package_names_the_package():
    pytest.importorskip("fsspec")
    try:
        import gcsfs  # noqa: F401
        pytest.skip("gcsfs is installed here")
    except ImportError:
        pass
    result = subprocess.run([sys.executable, "-m", "spyder_tblogs", "scan",
                             "gs://bucket/logs"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "scan: gs:// needs a package that is not installed: "
        "pip install spyder-tblogs[gcs]")
