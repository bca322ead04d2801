"""Remote log directories on a local S3 server: the index against TensorBoard.

Targets (issue 12), side by side in one run against moto's S3 server on
127.0.0.1 (a child process):

- 1,000 runs of one small file each: the first index >= 5x faster than
  TensorBoard's own loader (``EventMultiplexer`` through its TF-free S3
  reader, as ``tensorboard --logdir s3://...`` uses it);
- a refresh that finds nothing new makes no read (listing requests only);
- one appended object costs one ranged read.

With ``--corpus``, the 226 MB corpus is uploaded as well and indexed whole
by both (slow: TensorBoard reads it through boto3, object by object).

    .venv/bin/python bench/bench_remote.py [--runs 1000] [--corpus]
"""

import argparse
import os
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH_DIR)
sys.path.insert(0, os.path.join(os.path.dirname(BENCH_DIR), "tests"))

from _common import (  # noqa: E402
    BLOCK_TENSORFLOW, REPO_DIR, emit_result, fmt_seconds, machine_load_note,
    markdown_table, run_child, verdict)

THIS = os.path.abspath(__file__)
TARGET_FIRST_INDEX = 5.0


def child_ours(url):
    sys.path.insert(0, REPO_DIR)
    from spyder_tblogs.logs import LogIndex

    started = time.perf_counter()
    index = LogIndex(url)
    index.refresh()
    seconds = time.perf_counter() - started
    counters = index.remote
    first = (counters.list_requests, counters.read_requests)
    started = time.perf_counter()
    index.refresh()
    idle = time.perf_counter() - started
    emit_result(seconds=seconds, idle_seconds=idle, runs=len(index),
                diagnostics=[item.message for item in index.diagnostics],
                first_requests=first,
                idle_reads=counters.read_requests - first[1],
                idle_lists=counters.list_requests - first[0])


def child_tensorboard(url):
    exec(BLOCK_TENSORFLOW, {})   # TensorBoard's S3 path is its TF-free one
    from tensorboard.backend.event_processing import (
        data_ingester, plugin_event_multiplexer)

    if "S3_ENDPOINT" not in os.environ:
        os.environ["S3_ENDPOINT"] = os.environ["AWS_ENDPOINT_URL"]
    multiplexer = plugin_event_multiplexer.EventMultiplexer(
        size_guidance=data_ingester.DEFAULT_SIZE_GUIDANCE,
        tensor_size_guidance=dict(data_ingester.DEFAULT_TENSOR_SIZE_GUIDANCE),
        purge_orphaned_data=False, max_reload_threads=1)
    started = time.perf_counter()
    multiplexer.AddRunsFromDirectory(url)
    multiplexer.Reload()
    emit_result(seconds=time.perf_counter() - started,
                runs=len(multiplexer.Runs()))


def child_append(url, key, payload_path):
    """Index, append to one object (rewritten longer), refresh: count reads."""
    sys.path.insert(0, REPO_DIR)
    import boto3

    from spyder_tblogs.logs import LogIndex

    index = LogIndex(url)
    index.refresh()
    counters = index.remote
    reads, read_bytes = counters.read_requests, counters.bytes_read
    bucket = url.split("://", 1)[1].split("/", 1)[0]
    client = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    with open(payload_path, "rb") as stream:
        extra = stream.read()
    client.put_object(Bucket=bucket, Key=key, Body=body + extra)
    started = time.perf_counter()
    index.refresh()
    emit_result(seconds=time.perf_counter() - started,
                reads=counters.read_requests - reads,
                bytes=counters.bytes_read - read_bytes, appended=len(extra))


def _small_runs(root, count):
    """``count`` runs of one small file each, written by tensorboard's writer."""
    import writers

    for number in range(count):
        writers.write_tensorboard_events(
            os.path.join(root, "run%04d" % number), steps=20, histogram=False,
            text=False)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=("ours", "tensorboard", "append"))
    parser.add_argument("--url")
    parser.add_argument("--key")
    parser.add_argument("--payload")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--corpus", action="store_true")
    args = parser.parse_args(argv)
    if args.child == "ours":
        return child_ours(args.url)
    if args.child == "tensorboard":
        return child_tensorboard(args.url)
    if args.child == "append":
        return child_append(args.url, args.key, args.payload)

    from s3_server import S3Server, s3_environment

    print(machine_load_note())
    server = S3Server().start()
    rows = []
    ok = True
    try:
        env = s3_environment(server.endpoint)
        os.environ.update(env)
        server.client().create_bucket(Bucket="bench-bucket")
        with tempfile.TemporaryDirectory() as scratch:
            _small_runs(os.path.join(scratch, "small"), args.runs)
            started = time.perf_counter()
            server.upload_tree(os.path.join(scratch, "small"), "bench-bucket",
                               "small")
            print("uploaded %d runs in %s" % (
                args.runs, fmt_seconds(time.perf_counter() - started)))
            url = "s3://bench-bucket/small"
            ours = run_child([THIS, "--child", "ours", "--url", url], env=env)
            theirs = run_child([THIS, "--child", "tensorboard", "--url", url],
                               env=env)
            ratio = theirs["seconds"] / ours["seconds"]
            ok &= ratio >= TARGET_FIRST_INDEX and ours["idle_reads"] == 0
            rows.append(["%d runs: first index (runs found)" % args.runs,
                         "%s (%d) vs %s (%d)" % (
                             fmt_seconds(ours["seconds"]), ours["runs"],
                             fmt_seconds(theirs["seconds"]), theirs["runs"]),
                         "%.1fx" % ratio, verdict(ratio >= TARGET_FIRST_INDEX)])
            rows.append(["%d runs: no-change refresh" % args.runs,
                         "%s, %d listing(s), %d reads" % (
                             fmt_seconds(ours["idle_seconds"]),
                             ours["idle_lists"], ours["idle_reads"]),
                         "", verdict(ours["idle_reads"] == 0)])
            key = None
            for name in sorted(os.listdir(os.path.join(scratch, "small",
                                                       "run0000"))):
                key = "small/run0000/" + name
            payload = os.path.join(scratch, "payload")
            with open(os.path.join(scratch, "small", "run0000",
                                   key.rsplit("/", 1)[1]), "rb") as stream:
                data = stream.read()
            sys.path.insert(0, REPO_DIR)
            from spyder_tblogs.logs.records import read_records

            # The file's events again, after its header: whole records.
            first_event = read_records(os.path.join(
                scratch, "small", "run0000", key.rsplit("/", 1)[1]))[1][0]
            with open(payload, "wb") as stream:
                stream.write(data[first_event:])
            append = run_child([THIS, "--child", "append", "--url", url,
                                "--key", key, "--payload", payload], env=env)
            ok &= append["reads"] == 1
            rows.append(["one appended object", "%s, %d ranged read(s), %d "
                         "bytes for %d appended" % (
                             fmt_seconds(append["seconds"]), append["reads"],
                             append["bytes"], append["appended"]),
                         "", verdict(append["reads"] == 1)])
        if args.corpus:
            from corpus import corpus

            logdir = os.path.join(corpus(), "logs")
            started = time.perf_counter()
            server.upload_tree(logdir, "bench-bucket", "corpus")
            print("uploaded the corpus in %s"
                  % fmt_seconds(time.perf_counter() - started))
            url = "s3://bench-bucket/corpus"
            ours = run_child([THIS, "--child", "ours", "--url", url], env=env)
            theirs = run_child([THIS, "--child", "tensorboard", "--url", url],
                               env=env)
            rows.append(["226 MB corpus: full index",
                         "%s vs %s" % (fmt_seconds(ours["seconds"]),
                                       fmt_seconds(theirs["seconds"])),
                         "%.1fx" % (theirs["seconds"] / ours["seconds"]),
                         "info"])
    finally:
        server.close()
    print(machine_load_note())
    print(markdown_table(["measure", "figures (ours vs TensorBoard)", "ratio",
                          "result"], rows))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
