"""Runs side by side, divergence alarms and exports, against TensorBoard.

The logs come from real writers: TF2 ``tf.summary`` (tensor scalars) with
``hp.hparams``, a Keras ``fit`` with the TensorBoard callback and
``hp.KerasCallback``, tensorboardX (with ``add_hparams``, NaN and Inf) and
tensorboard's own writer (TF1-style ``simple_value``). TensorBoard's own
loader, with every point kept, is the oracle.
"""

import csv
import io
import json
import math
import os
import subprocess
import sys
import time

import pytest
from log_helpers import writers

from spyder_tblogs.logs import LogIndex
from spyder_tblogs.logs.export import ExportError, export_scalars
from spyder_tblogs.logs.runs_table import (
    default_tags, rows_to_json, table_rows, write_table_csv,
)

_TENSORFLOW_WRITER = r"""
import os, sys
import numpy as np
import tensorflow as tf
from tensorboard.plugins.hparams import api as hp

root = sys.argv[1]
writer = tf.summary.create_file_writer(os.path.join(root, "tf_diverged"))
with writer.as_default():
    hp.hparams({"lr": 0.01, "optimizer": "adam", "warmup": True})
    for step in range(10):
        value = {6: float("nan"), 7: float("inf")}.get(step, 1.0 / (step + 1))
        tf.summary.scalar("loss", value, step=step)
        tf.summary.scalar("accuracy", step / 10.0, step=step)
writer.close()

x = np.random.rand(64, 4).astype("float32")
y = x.sum(axis=1, keepdims=True)
model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(8),
                             tf.keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
logdir = os.path.join(root, "keras_hp")
model.fit(x, y, epochs=4, batch_size=16, validation_split=0.25, verbose=0,
          callbacks=[tf.keras.callbacks.TensorBoard(log_dir=logdir),
                     hp.KerasCallback(logdir, {"units": 8, "dropout": 0.25})])
print("ok")
"""

_ORACLE = r"""
import json, sys
from tensorboard.backend.event_processing import plugin_event_multiplexer as pem
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.util import tensor_util

multiplexer = pem.EventMultiplexer(size_guidance={"tensors": 0},
                                   tensor_size_guidance={"scalars": 0},
                                   purge_orphaned_data=False)
multiplexer.AddRunsFromDirectory(sys.argv[1])
multiplexer.Reload()
result = {}
for run in multiplexer.Runs():
    accumulator = multiplexer.GetAccumulator(run)
    series = {}
    for tag in accumulator.PluginTagToContent("scalars") if "scalars" in \
            accumulator.ActivePlugins() else ():
        series[tag] = [
            [event.step, event.wall_time,
             float(tensor_util.make_ndarray(event.tensor_proto).item())]
            for event in accumulator.Tensors(tag)]
    hparams = {}
    if "hparams" in accumulator.ActivePlugins():
        content = accumulator.PluginTagToContent("hparams")
        start = content.get(hparams_metadata.SESSION_START_INFO_TAG)
        if start is not None:
            info = hparams_metadata.parse_session_start_info_plugin_data(start)
            for name, value in info.hparams.items():
                hparams[name] = getattr(value, value.WhichOneof("kind"))
    result[run.replace("\\", "/")] = {"series": series, "hparams": hparams}
print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def compare_logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    writers.run_python(_TENSORFLOW_WRITER, root)
    from tensorboardX import SummaryWriter

    with SummaryWriter(logdir=str(root / "tbx_diverged")) as writer:
        for step in range(8):
            value = [0.9, 0.7, 0.5, 0.4, float("inf"), float("nan"), 0.3,
                     0.2][step]
            writer.add_scalar("loss", value, step)
            writer.add_scalar("lr", 0.1, step)
        # Into a timestamp-named subrun, as tensorboardX does by default.
        writer.add_hparams({"lr": 0.1, "batch": 32, "net": "resnet"},
                           {"hparam/best": 0.4})
    writers.write_tensorboard_events(str(root / "tb_simple"), steps=15,
                                     histogram=False)
    return str(root)


@pytest.fixture(scope="module")
def oracle(compare_logdir):
    return json.loads(writers.run_python(_ORACLE, compare_logdir)
                      .strip().splitlines()[-1])


@pytest.fixture(scope="module")
def index(compare_logdir):
    index = LogIndex(compare_logdir, workers=1)
    index.refresh()
    return index


def _same(a, b):
    return (a == b) or (isinstance(a, float) and isinstance(b, float)
                        and math.isnan(a) and math.isnan(b))


def test_hparams_equal_what_tensorboard_reads(index, oracle):
    checked = 0
    for run in index.runs():
        assert dict(run.hparams) == oracle[run.name]["hparams"], run.name
        checked += bool(run.hparams)
    assert index.run("tf_diverged").hparams["optimizer"] == "adam"
    (subrun,) = [run for run in index.runs()
                 if run.name.startswith("tbx_diverged/")]
    assert subrun.hparams["net"] == "resnet"
    assert index.run("keras_hp").hparams["dropout"] == 0.25
    assert checked == 3


def test_last_min_max_equal_every_point_tensorboard_reads(index, oracle):
    checked = 0
    for run in index.runs():
        for tag, points in oracle[run.name]["series"].items():
            info = run.tags[tag]
            assert info.count == len(points)
            values = [(value, step) for step, _, value in points
                      if math.isfinite(value)]
            assert _same(info.last_value, points[-1][2]), (run.name, tag)
            if values:
                low = min(values, key=lambda item: item[0])
                high = max(values, key=lambda item: item[0])
                # Ties: the first step that reached it.
                low_step = min(step for value, step in values
                               if value == low[0])
                high_step = min(step for value, step in values
                                if value == high[0])
                assert (info.min_value, info.min_value_step) == (low[0],
                                                                 low_step)
                assert (info.max_value, info.max_value_step) == (high[0],
                                                                 high_step)
            checked += 1
    assert checked >= 8
    # Keras' own tags are tensor scalars of the train and validation runs.
    assert "epoch_loss" in index.run("keras_hp/train").tags


def test_divergence_is_a_warning_naming_tag_step_and_last_value(index):
    tf_run = index.run("tf_diverged")
    (alarm,) = [item for item in tf_run.diagnostics
                if item.code == "non-finite-values"]
    assert alarm.severity == "warning"
    assert "'loss' became NaN at step 6" in alarm.message
    assert "last finite value 0.166667" in alarm.message      # 1/6, step 5
    assert tf_run.tags["loss"].nonfinite_step == 6
    tbx_run = index.run("tbx_diverged")
    (alarm,) = [item for item in tbx_run.diagnostics
                if item.code == "non-finite-values"]
    assert "'loss' became +Inf at step 4 (last finite value 0.4)" in \
        alarm.message
    assert index.run("tb_simple").diagnostics == ()


def _scan_json(path):
    result = subprocess.run([sys.executable, "-m", "spyder_tblogs", "scan",
                             path, "--json"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_alarm_is_in_scan_json_and_text(compare_logdir):
    document = _scan_json(compare_logdir)
    codes = {run["name"]: [item["code"] for item in run["diagnostics"]]
             for run in document["runs"]}
    assert "non-finite-values" in codes["tf_diverged"]
    assert "non-finite-values" in codes["tbx_diverged"]
    text = subprocess.run([sys.executable, "-m", "spyder_tblogs", "scan",
                           compare_logdir], capture_output=True, text=True,
                          timeout=120).stdout
    assert "[warning] non-finite-values: Training diverged" in text


def test_a_live_run_shows_the_alarm_once_the_value_is_on_disk(tmp_path):
    writer = writers.write_tensorboard_events(str(tmp_path), steps=5,
                                              histogram=False, text=False,
                                              close=False)
    index = LogIndex(str(tmp_path), workers=1)
    index.refresh()
    assert index.run(".").diagnostics == ()
    from tensorboard.compat.proto import event_pb2, summary_pb2

    summary = summary_pb2.Summary()
    summary.value.add(tag="loss", simple_value=float("nan"))
    writer.add_event(event_pb2.Event(wall_time=2e9, step=5, summary=summary))
    writer.flush()
    index.refresh()
    codes = [item.code for item in index.run(".").diagnostics]
    assert codes == ["non-finite-values"]
    writer.close()


def test_runs_json_has_the_documented_shape(index, compare_logdir):
    result = subprocess.run([sys.executable, "-m", "spyder_tblogs", "runs",
                             compare_logdir, "--json", "--tags",
                             "loss,accuracy"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr

    def refuse(constant):
        raise AssertionError("non-standard JSON constant %s" % constant)

    document = json.loads(result.stdout, parse_constant=refuse)
    rows = {row["run"]: row for row in document}
    assert set(rows) == {run.name for run in index.runs()}
    tf_row = rows["tf_diverged"]
    assert tf_row["hparams"] == {"lr": 0.01, "optimizer": "adam",
                                 "warmup": True}
    loss = tf_row["metrics"]["loss"]
    assert set(loss) >= {"last", "min", "max", "min_step", "max_step",
                         "count"}
    tag = index.run("tf_diverged").tags["loss"]
    assert (loss["last"], loss["min"], loss["max"], loss["count"]) == (
        tag.last_value, tag.min_value, tag.max_value, 10)
    assert loss["min_step"] == tag.min_value_step == 9
    assert "non-finite-values" in [item["code"]
                                   for item in tf_row["diagnostics"]]
    tbx_loss = rows["tbx_diverged"]["metrics"]["loss"]
    assert tbx_loss["min"] == pytest.approx(0.2)
    assert tbx_loss["nonfinite_step"] == 4


def test_the_table_as_csv_reads_back(index):
    runs = index.runs()
    tags = default_tags(runs)
    assert "loss" in tags
    # An hour from now every run is finished; now, they were just written.
    assert {row.status for row in table_rows(runs, tags, time.time())} == \
        {"live"}
    rows = table_rows(runs, tags, time.time() + 3600)
    buffer = io.StringIO()
    write_table_csv(rows, tags, buffer)
    table = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert [row["run"] for row in table] == [run.name for run in runs]
    by_run = {row["run"]: row for row in table}
    assert [row["hparam:net"] for row in table
            if row["run"].startswith("tbx_diverged/")] == ["resnet"]
    assert float(by_run["tf_diverged"]["loss:max"]) == \
        index.run("tf_diverged").tags["loss"].max_value
    assert by_run["tb_simple"]["status"] == "finished"
    assert json.dumps(rows_to_json(rows), allow_nan=False)


def test_export_equals_tensorboards_series_row_for_row(compare_logdir, oracle,
                                                       tmp_path):
    out = tmp_path / "points.csv"
    before = _bytes_of(compare_logdir)
    count = export_scalars(compare_logdir, str(out))
    with open(out, newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["run", "tag", "step", "wall_time", "value"]
    expected = [[run, tag] + point
                for run in sorted(oracle)
                for tag, points in oracle[run]["series"].items()
                for point in points]
    got = [[run, tag, int(step), float(wall), float(value)]
           for run, tag, step, wall, value in rows[1:]]
    assert count == len(got) == len(expected)
    # Tags in TensorBoard's order of first appearance within each run.
    for want, have in zip(expected, got):
        assert want[:3] == have[:3]
        assert want[3] == have[3]
        assert _same(want[4], have[4])
    assert _bytes_of(compare_logdir) == before


def test_export_of_one_run_and_to_parquet(compare_logdir, oracle, tmp_path):
    parquet = pytest.importorskip("pyarrow.parquet")
    run_dir = os.path.join(compare_logdir, "tb_simple")
    out = tmp_path / "run.parquet"
    count = export_scalars(run_dir, str(out), fmt="parquet")
    table = parquet.read_table(out).to_pylist()
    expected = oracle["tb_simple"]["series"]
    assert count == len(table) == sum(len(p) for p in expected.values())
    assert {row["run"] for row in table} == {"tb_simple"}
    loss = [row for row in table if row["tag"] == "loss"]
    assert [[row["step"], row["wall_time"], row["value"]]
            for row in loss] == expected["loss"]


def test_export_refuses_clearly(tmp_path, compare_logdir):
    with pytest.raises(ExportError, match="not a directory"):
        export_scalars(str(tmp_path / "missing"), str(tmp_path / "x.csv"))
    result = subprocess.run(
        [sys.executable, "-m", "spyder_tblogs", "export", compare_logdir,
         "--csv", str(tmp_path / "no" / "such" / "dir.csv")],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("export: cannot write")
    assert "Traceback" not in result.stderr


def _bytes_of(root):
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            with open(os.path.join(folder, name), "rb") as stream:
                found[os.path.join(folder, name)] = stream.read()
    return found
