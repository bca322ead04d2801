"""TensorBoard with and without TensorFlow's weight (issue 11, section 1).

Real TensorBoard servers in an interpreter where TensorFlow 2.21 is
installed (the ``real_tensorflow`` fixture undoes the tests' hiding of it):
the default launch never imports TensorFlow, "when installed" does, and
both serve the same runs, tags and scalar series from real logs.
"""

import json
import shutil
import sys
import time
import urllib.parse
import urllib.request

import psutil
import pytest

from spyder_tblogs.tensorboard import (
    TensorBoardError, TensorFlowChoice, TensorFlowUse)
from spyder_tblogs.tensorboard import process as tb_process
from spyder_tblogs.tensorboard.launch_plan import (
    STUB_MESSAGE, plan_launch, s3_environment, url_scheme)
from tb_helpers import leftover_processes, portable_run_name, writers

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch_json(url, timeout=30):
    with _OPENER.open(url, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


def tensorflow_mapped(pid):
    """Whether TensorFlow's native library is mapped into ``pid`` (Linux)."""
    return any("_pywrap_tensorflow" in region.path
               for region in psutil.Process(pid).memory_maps())


needs_linux_maps = pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="reads the process' memory maps (Linux)")


@needs_linux_maps
def test_default_launch_skips_tensorflow_and_choice_loads_it(
        manager, sandbox, real_tensorflow):
    fast_dir, full_dir = sandbox / "fast", sandbox / "full"
    writers.write_tensorboard_events(str(fast_dir / "train"), steps=3)
    writers.write_tensorboard_events(str(full_dir / "train"), steps=3)

    fast = manager.start(str(fast_dir), timeout=120)
    assert fast.tensorflow is TensorFlowUse.SKIPPED
    assert not tensorflow_mapped(fast.pid)
    assert tb_process.LAUNCHER_PATH in psutil.Process(fast.pid).cmdline()
    with open(fast.stderr_log, encoding="utf-8") as stream:
        assert STUB_MESSAGE in stream.read()

    full = manager.start(str(full_dir), tensorflow="when-installed",
                         timeout=120)
    assert full.tensorflow is TensorFlowUse.LOADED
    assert tensorflow_mapped(full.pid)
    cmdline = psutil.Process(full.pid).cmdline()
    assert cmdline[cmdline.index("-m") + 1] == "tensorboard.main"
    # What TensorFlow costs in the TensorBoard process itself.
    assert psutil.Process(fast.pid).memory_info().rss < \
        psutil.Process(full.pid).memory_info().rss / 2

    # The registry says how each runs, for the CLI and the pane.
    listed = {instance.pid: instance.tensorflow for instance in manager.list()}
    assert listed == {fast.pid: TensorFlowUse.SKIPPED,
                      full.pid: TensorFlowUse.LOADED}
    manager.stop(fast)
    manager.stop(full)


def test_tensorflow_allowed_but_not_installed_is_recorded(manager, logdir):
    # The fixtures hide TensorFlow here: TensorBoard falls back to its stub.
    instance = manager.start(str(logdir), tensorflow="when-installed")
    assert instance.tensorflow is TensorFlowUse.NOT_INSTALLED
    manager.stop(instance)


@pytest.fixture(scope="module")
def real_logs(tmp_path_factory):
    """Logs of real writers: TF2 ``tf.summary`` and Keras (tensor scalars),
    PyTorch-style legacy summaries, tensorboardX."""
    root = tmp_path_factory.mktemp("real-logs")
    writers.write_tensorflow_logs(str(root / "tf"))
    writers.write_tensorboard_events(str(root / "torch" / "train"), steps=40)
    writers.write_tensorboard_events(str(root / "torch" / "train"), steps=20,
                                     start_step=30, filename_suffix=".2")
    writers.write_tensorboardx_events(str(root / "tbx"))
    return root


def served_scalars(url):
    """Runs, scalar tags and every scalar series TensorBoard serves."""
    runs = [portable_run_name(run) for run in fetch_json(url + "data/runs")]
    tags = fetch_json(url + "data/plugin/scalars/tags")
    series = {}
    for run, run_tags in sorted(tags.items()):
        for tag in sorted(run_tags):
            query = urllib.parse.urlencode({"run": run, "tag": tag})
            series[run, tag] = fetch_json(
                url + "data/plugin/scalars/scalars?" + query)
    return {"runs": sorted(runs), "tags": tags, "series": series}


def settled_scalars(url, expected_runs, timeout=120):
    """What TensorBoard serves once every run is listed and two reads a
    second apart agree (it loads in the background after it answers)."""
    deadline = time.monotonic() + timeout
    previous = None
    while True:
        current = served_scalars(url)
        if current == previous and current["runs"] == expected_runs:
            return current
        assert time.monotonic() < deadline, (current["runs"], expected_runs)
        previous = current
        time.sleep(1.0)


@pytest.mark.parametrize("loader", [(), ("--load_fast=false",)],
                         ids=["default-loader", "python-loader"])
def test_same_data_served_with_and_without_tensorflow(
        manager, sandbox, real_logs, real_tensorflow, loader):
    # Two copies: one identity each, started side by side.
    without_dir, with_dir = sandbox / "without-tf", sandbox / "with-tf"
    shutil.copytree(real_logs, without_dir)
    shutil.copytree(real_logs, with_dir)
    from spyder_tblogs.logs import LogIndex
    index = LogIndex(str(without_dir))
    index.refresh()
    expected_runs = sorted(run.name for run in index.runs())
    assert {"tf/tf2", "tf/keras/train", "torch/train", "tbx"} <= \
        set(expected_runs)

    without_tf = manager.start(str(without_dir), extra_args=loader,
                               timeout=120)
    with_tf = manager.start(str(with_dir), extra_args=loader,
                            tensorflow=TensorFlowChoice.WHEN_INSTALLED,
                            timeout=120)
    assert (without_tf.tensorflow, with_tf.tensorflow) == (
        TensorFlowUse.SKIPPED, TensorFlowUse.LOADED)

    served_without = settled_scalars(without_tf.url, expected_runs)
    served_with = settled_scalars(with_tf.url, expected_runs)
    assert served_without == served_with
    # Not equal by being empty: real series, Keras' and PyTorch-style ones.
    # (How a restart's overlapping steps merge depends on the loader.)
    assert len(served_with["series"][("torch/train", "loss")]) >= 50
    assert any(run.startswith("tf/keras") and series
               for (run, _), series in served_with["series"].items())
    manager.stop(without_tf)
    manager.stop(with_tf)


def test_scheme_only_tensorflow_reads_loads_tensorflow(
        manager, sandbox, real_tensorflow):
    # ram:// is TensorFlow's in-memory file system; neither TensorBoard's
    # stub nor fsspec knows it, so the default choice falls back to
    # TensorFlow (an empty root: TensorBoard serves no runs).
    instance = manager.start("ram://spyder-tblogs-test/logs", timeout=120)
    try:
        assert instance.logdir == "ram://spyder-tblogs-test/logs"
        assert instance.tensorflow is TensorFlowUse.LOADED
        cmdline = psutil.Process(instance.pid).cmdline()
        assert ("-m", "tensorboard.main") in set(zip(cmdline, cmdline[1:]))
        assert fetch_json(instance.url + "data/runs") == []
    finally:
        manager.stop(instance)
    assert leftover_processes("ram://spyder-tblogs-test") == []


def test_launch_plans_per_root_and_choice():
    python = tb_process.normalize_interpreter(sys.executable)
    never, allowed = TensorFlowChoice.NEVER, TensorFlowChoice.WHEN_INSTALLED
    assert plan_launch("/data/logs", python, never).program == (
        tb_process.LAUNCHER_PATH,)
    assert plan_launch("/data/logs", python, allowed).program == (
        "-m", "tensorboard.main")
    # fsspec reads memory:// for the stub: the choice holds.
    assert plan_launch("memory://logs", python, never).program == (
        tb_process.LAUNCHER_PATH,)
    # S3: the stub whatever the choice (TensorFlow refuses s3://).
    s3_plan = plan_launch("s3://logs-bucket/runs", python, allowed)
    assert s3_plan.program == (tb_process.LAUNCHER_PATH,)
    assert s3_plan.tensorflow is TensorFlowUse.SKIPPED
    assert "s3://" in s3_plan.reason
    with pytest.raises(TensorBoardError, match="bad TensorFlow choice"):
        TensorFlowChoice.of("sometimes")


def test_url_schemes_and_s3_endpoint_variables():
    assert url_scheme("s3://bucket/prefix") == "s3"
    assert url_scheme("HDFS://namenode/logs") == "hdfs"
    assert url_scheme("/data/s3://not-a-url") is None
    assert url_scheme("C://logs") is None  # a Windows drive letter
    assert url_scheme("relative/logs") is None
    endpoint = "http://127.0.0.1:9000"
    assert s3_environment({"AWS_ENDPOINT_URL": endpoint}) == {
        "S3_ENDPOINT": endpoint}
    assert s3_environment({"AWS_ENDPOINT_URL": "http://other",
                           "AWS_ENDPOINT_URL_S3": endpoint}) == {
        "S3_ENDPOINT": endpoint}
    # TensorBoard's own variable, when set, is the user's choice.
    assert s3_environment({"AWS_ENDPOINT_URL": "http://other",
                           "S3_ENDPOINT": endpoint}) == {}
    assert s3_environment({}) == {}
