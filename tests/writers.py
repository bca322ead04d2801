"""Real writers for tests: each helper writes TensorBoard logs into a directory.

Plain functions (no pytest), so every floor's tests can build logs. The
TensorFlow helpers run TensorFlow in a subprocess: the calling process never
imports it (the log index must work without it, and importing it is slow).
:func:`tensorboard_oracle` asks TensorBoard's own ``EventMultiplexer``
(also in a subprocess, because it uses TensorFlow when installed) what it
sees, to compare against.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np

__all__ = [
    "write_tensorboard_events", "write_tensorboardx_events",
    "write_tensorflow_logs", "tensorboard_oracle", "run_python",
    "without_tensorflow",
]


def run_python(code, *args, timeout=300):
    """Run ``code`` in a fresh interpreter; return its stdout (raise on error)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)] + [str(a) for a in args],
        capture_output=True, text=True, timeout=timeout, env=env)
    if completed.returncode != 0:
        raise RuntimeError("subprocess failed (%d):\n%s" % (
            completed.returncode, completed.stderr[-4000:]))
    return completed.stdout


def write_tensorboard_events(directory, steps=20, *, tags=("loss", "accuracy"),
                             start_step=0, histogram=True, text=True,
                             graph=False, flush_secs=120, close=True,
                             filename_suffix=""):
    """Write scalars (and more) with tensorboard's own ``EventFileWriter``.

    Scalars are legacy ``simple_value`` summaries (what PyTorch writes);
    histograms are legacy ``histo``; text is a TF2-style tensor with text
    plugin metadata.

    Returns
    -------
    tensorboard.summary.writer.event_file_writer.EventFileWriter or str
        The event file's path when ``close`` (default), else the open writer.
    """
    without_tensorflow()
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.compat.proto.graph_pb2 import GraphDef
    from tensorboard.plugins.text import metadata as text_metadata
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    from tensorboard.util import tensor_util

    os.makedirs(directory, exist_ok=True)
    writer = EventFileWriter(directory, flush_secs=flush_secs,
                             filename_suffix=filename_suffix)
    if graph:
        event = event_pb2.Event(wall_time=1.0, step=0,
                                graph_def=GraphDef().SerializeToString())
        writer.add_event(event)
    rng = np.random.default_rng(start_step)
    for step in range(start_step, start_step + steps):
        summary = summary_pb2.Summary()
        for index, tag in enumerate(tags):
            summary.value.add(tag=tag, simple_value=float(index + 1) / (step + 1))
        if histogram:
            data = rng.normal(size=50)
            value = summary.value.add(tag="weights")
            value.histo.min = float(data.min())
            value.histo.max = float(data.max())
            value.histo.num = len(data)
            value.histo.sum = float(data.sum())
            counts, edges = np.histogram(data, bins=10)
            value.histo.bucket_limit.extend(edges[1:].tolist())
            value.histo.bucket.extend(counts.astype(float).tolist())
        if text and step % 5 == 0:
            value = summary.value.add(
                tag="notes", tensor=tensor_util.make_tensor_proto(
                    "step %d" % step))
            if step == start_step:
                value.metadata.CopyFrom(text_metadata.create_summary_metadata(
                    display_name="notes", description=""))
        writer.add_event(event_pb2.Event(wall_time=1e9 + step, step=step,
                                         summary=summary))
    if not close:
        return writer
    writer.close()
    return writer._file_name


def without_tensorflow():
    """Make tensorboard use its pure-Python I/O instead of importing TensorFlow.

    tensorboard's writer reaches TensorFlow through ``tensorboard.compat.tf``,
    which falls back to tensorboard's own stub when the marker module
    ``tensorboard.compat.notf`` exists (its no-TensorFlow build). Registering
    the marker before first use keeps the calling process TensorFlow-free;
    once TensorFlow is imported this does nothing.
    """
    import types

    if "tensorflow" in sys.modules or "tensorboard.compat.notf" in sys.modules:
        return
    sys.modules["tensorboard.compat.notf"] = types.ModuleType(
        "tensorboard.compat.notf")


def write_tensorboardx_events(directory, steps=10, *, hparams=True):
    """Write scalars, a histogram, an image, text and hparams with tensorboardX.

    ``add_hparams`` writes into a new timestamp-named subdirectory, which
    TensorBoard shows as a separate run.
    """
    from tensorboardX import SummaryWriter

    os.makedirs(directory, exist_ok=True)
    rng = np.random.default_rng(0)
    with SummaryWriter(logdir=directory) as writer:
        for step in range(steps):
            writer.add_scalar("train/loss", 1.0 / (step + 1), step)
            writer.add_scalar("train/lr", 0.1, step)
            writer.add_histogram("weights", rng.normal(size=100), step)
            if step % 3 == 0:
                writer.add_image("sample", rng.random((3, 8, 8)), step)
                writer.add_text("log", "step **%d**" % step, step)
        if hparams:
            writer.add_hparams({"lr": 0.1, "batch": 32},
                               {"hparam/loss": 0.5})
    return directory


_TENSORFLOW_WRITER = r"""
import os, sys
import numpy as np
import tensorflow as tf
from tensorboard.plugins.hparams import api as hp
from tensorboard.plugins.scalar import metadata as scalar_metadata

root = sys.argv[1]
tf.random.set_seed(0)
writer = tf.summary.create_file_writer(os.path.join(root, "tf2"))
meta = scalar_metadata.create_summary_metadata(display_name="", description="")
with writer.as_default():
    hp.hparams({"learning_rate": 0.01, "optimizer": "adam"})
    for step in range(12):
        tf.summary.scalar("loss", 1.0 / (step + 1), step=step)
        tf.summary.write("loss64", tf.constant(step * 0.5, tf.float64),
                         step=step, metadata=meta)
        tf.summary.write("count", tf.constant(step * 3, tf.int64),
                         step=step, metadata=meta)
        tf.summary.histogram("weights", np.random.randn(64), step=step)
        if step % 4 == 0:
            tf.summary.image("image", np.random.rand(1, 8, 8, 3), step=step)
            tf.summary.text("note", "step %d" % step, step=step)
writer.close()

x = np.random.rand(64, 4).astype("float32")
y = x.sum(axis=1, keepdims=True)
model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(8),
                             tf.keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
callback = tf.keras.callbacks.TensorBoard(log_dir=os.path.join(root, "keras"),
                                          histogram_freq=1)
model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25,
          callbacks=[callback], verbose=0)
print("ok")
"""


def write_tensorflow_logs(directory):
    """Write TF2 ``tf.summary`` logs and a tiny Keras ``fit`` in a subprocess.

    Produces the runs ``tf2`` (scalars of several dtypes, histograms,
    images, text, hparams) and ``keras/train``, ``keras/validation`` (the
    Keras TensorBoard callback).
    """
    os.makedirs(directory, exist_ok=True)
    run_python(_TENSORFLOW_WRITER, directory)
    return directory


_ORACLE = r"""
import json, sys
from tensorboard.backend.event_processing import plugin_event_multiplexer as pem
from tensorboard.backend.event_processing import event_accumulator as ea

guidance = {kind: 0 for kind in (ea.COMPRESSED_HISTOGRAMS, ea.IMAGES,
            ea.AUDIO, ea.SCALARS, ea.HISTOGRAMS, ea.TENSORS)}
multiplexer = pem.EventMultiplexer(size_guidance=guidance,
                                   tensor_size_guidance={},
                                   purge_orphaned_data=False)
multiplexer.AddRunsFromDirectory(sys.argv[1])
multiplexer.Reload()
result = {}
for run in multiplexer.Runs():
    accumulator = multiplexer.GetAccumulator(run)
    tags = {}
    for plugin in accumulator.ActivePlugins():
        for tag in accumulator.PluginTagToContent(plugin):
            tags[tag] = {"kind": plugin}
    for tag in accumulator.Tags()["tensors"]:
        events = accumulator.Tensors(tag)
        entry = tags.setdefault(tag, {"kind": None})
        entry.update(count=len(events), first_step=events[0].step,
                     last_step=events[-1].step)
    result[run] = tags
print(json.dumps(result))
"""


def tensorboard_oracle(logdir):
    """Return what TensorBoard's ``EventMultiplexer`` loads from ``logdir``.

    Sampling and purging are off, so every value is kept. Runs in a
    subprocess (it imports TensorFlow when installed).

    Returns
    -------
    dict
        ``{run: {tag: {"kind", "count", "first_step", "last_step"}}}``;
        tags without values (tensorboardX hparams) have only ``kind``.
    """
    return json.loads(run_python(_ORACLE, logdir).strip().splitlines()[-1])
