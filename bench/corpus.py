"""Deterministic generators of TensorBoard log trees for the benchmarks.

Three kinds of tree, each cached under ``.bench-cache/`` in the repository and
keyed by its parameters (a rerun with the same parameters is instant):

* ``corpus``: about 100 runs / 200 event files / 230 MB / 3 million events at
  ``scale=1``: mostly scalars, some histograms, PNG images and text, in three
  writer styles (TF2 ``tf.summary`` tensors with plugin metadata, tensorboardX
  and TF1 legacy ``simple_value`` / ``histo`` / ``image``), some runs restarted
  (two files with overlapping steps), some split over eight files, some with
  an extra empty file (a writer that never flushed). ``scale`` multiplies the
  number of steps, not the number of runs or files.
* ``big``: one run with a single ~1 GB event file of the same mix, for the
  append-then-refresh benchmark.
* ``discovery``: 10,000 runs (tiny event files) among 50,000 other files
  (checkpoints, configs, logs), for the discovery benchmark.

Records are framed here (length, masked CRC32C of the length, data, masked
CRC32C of the data) around events serialized with tensorboard's own protobufs;
that is byte-for-byte what TensorBoard's writers produce, and ~10x faster than
going through ``EventFileWriter``. ``verify`` reads a sample back with
TensorBoard's ``EventAccumulator``.

Command line::

    .venv/bin/python bench/corpus.py [--scale 1.0] [--seed 0] [--big] [--discovery] [--verify]
"""

import argparse
import json
import math
import multiprocessing
import os
import random
import shutil
import struct
import sys
import time
import zlib

import crc32c

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import CACHE_DIR  # noqa: E402

# Bump when the generated content changes, so stale caches are not reused.
FORMAT_VERSION = 2

WALL_TIME_ORIGIN = 1_700_000_000.0
SECONDS_PER_STEP = 0.05
HOST = "bench-host"

STEPS_PER_RUN = 2600          # at scale 1; each run gets 0.5x..1.5x of it
SCALAR_TAGS = (
    "loss", "accuracy", "learning_rate", "grad_norm", "epoch_loss",
    "metrics/precision", "metrics/recall", "metrics/f1", "perf/steps_per_sec",
    "perf/examples_per_sec",
)
HISTOGRAM_TAGS = ("weights/dense", "weights/conv1", "activations/relu", "gradients/dense")
HISTOGRAM_EVERY = 10
HISTOGRAM_BUCKETS = 20
IMAGE_TAG = "samples/input"
IMAGE_EVERY = 125
IMAGE_SIDE = 48
TEXT_TAG = "notes/sample"
TEXT_EVERY = 100

STYLES = ("tf2", "tensorboardx", "tf1")
_FLOAT32 = struct.Struct("<f")


# --------------------------------------------------------------------------
# Record framing

def _masked_crc(data):
    """TFRecord's masked CRC32C of ``data``."""
    crc = crc32c.crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def frame_record(data):
    """One TFRecord: length, masked CRC of the length, data, masked CRC of data."""
    header = struct.pack("<Q", len(data))
    return b"".join((
        header, struct.pack("<I", _masked_crc(header)),
        data, struct.pack("<I", _masked_crc(data)),
    ))


# --------------------------------------------------------------------------
# Event content

def _png(width, height, rgb):
    """A minimal valid PNG (8-bit RGB, no filter) from raw pixel bytes."""
    def chunk(kind, payload):
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))

    stride = width * 3
    raw = b"".join(b"\x00" + rgb[y * stride:(y + 1) * stride] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6))
            + chunk(b"IEND", b""))


class EventEncoder:
    """Serialize the events of one run in one writer style, deterministically.

    Parameters
    ----------
    style : str
        One of ``STYLES``.
    seed : int
        Seed of the values (noise, images, histograms).
    """

    def __init__(self, style, seed):
        # Imported here: the parent process of the pool never needs them.
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.plugins.histogram import metadata as histogram_metadata
        from tensorboard.plugins.image import metadata as image_metadata
        from tensorboard.plugins.scalar import metadata as scalar_metadata
        from tensorboard.plugins.text import metadata as text_metadata
        from tensorboard.util import tensor_util

        self._event_pb2 = event_pb2
        self._summary_pb2 = summary_pb2
        self._tensor_util = tensor_util
        self.style = style
        self.rng = random.Random(seed)
        self.metadata = {
            "scalar": scalar_metadata.create_summary_metadata("", ""),
            "histogram": histogram_metadata.create_summary_metadata("", ""),
            "image": image_metadata.create_summary_metadata("", ""),
            "text": text_metadata.create_summary_metadata("", ""),
        }
        # tf.summary attaches plugin metadata to the first event of each tag
        # in each file only; remember which tags already had it.
        self._described = set()
        self.images = [
            _png(IMAGE_SIDE, IMAGE_SIDE, self.rng.randbytes(IMAGE_SIDE * IMAGE_SIDE * 3))
            for _ in range(8)
        ]
        self.histograms = [self._histogram_variant(i) for i in range(64)]

    def new_file(self):
        """Start a new event file (metadata is written again)."""
        self._described.clear()

    def _histogram_variant(self, index):
        """Bucket edges and counts of a Gaussian drifting with ``index``."""
        mean = (index - 32) / 32.0
        sigma = 0.5 + index / 64.0
        edges = [-3.0 + 6.0 * k / HISTOGRAM_BUCKETS for k in range(HISTOGRAM_BUCKETS + 1)]
        cdf = [0.5 * (1 + math.erf((e - mean) / (sigma * math.sqrt(2)))) for e in edges]
        counts = [round(1000 * (b - a)) for a, b in zip(cdf, cdf[1:])]
        return edges, counts, mean, sigma

    def header(self, wall_time):
        """The first record of every event file."""
        return self._event_pb2.Event(
            wall_time=wall_time, file_version="brain.Event:2").SerializeToString()

    def _event(self, wall_time, step):
        return self._event_pb2.Event(wall_time=wall_time, step=step)

    def _value(self, event, tag, kind):
        value = event.summary.value.add()
        value.tag = tag
        if self.style == "tf2" or kind == "text":
            if tag not in self._described:
                value.metadata.CopyFrom(self.metadata[kind])
                self._described.add(tag)
        return value

    def scalar(self, wall_time, step, tag_index, total_steps):
        event = self._event(wall_time, step)
        tag = SCALAR_TAGS[tag_index]
        x = (1 + tag_index) * math.exp(-3.0 * step / max(total_steps, 1)) + 0.05 * self.rng.random()
        value = self._value(event, tag, "scalar")
        if self.style == "tf2":
            # What TF2's summary writer stores: a 0-d DT_FLOAT tensor whose
            # value is packed in tensor_content (not float_val).
            value.tensor.dtype = 1                # DT_FLOAT
            value.tensor.tensor_shape.SetInParent()
            value.tensor.tensor_content = _FLOAT32.pack(x)
        else:
            value.simple_value = x
        return event.SerializeToString()

    def histogram(self, wall_time, step, tag_index):
        event = self._event(wall_time, step)
        edges, counts, mean, sigma = self.histograms[(step // HISTOGRAM_EVERY + tag_index) % 64]
        value = self._value(event, HISTOGRAM_TAGS[tag_index], "histogram")
        if self.style == "tf2":
            # tf.summary.histogram: a [k, 3] float64 tensor of (left, right, count).
            rows = [(a, b, float(c)) for a, b, c in zip(edges, edges[1:], counts)]
            value.tensor.CopyFrom(self._tensor_util.make_tensor_proto(rows, dtype="float64"))
        else:
            histo = value.histo
            total = sum(counts)
            histo.min, histo.max, histo.num = edges[0], edges[-1], total
            histo.sum = mean * total
            histo.sum_squares = (sigma * sigma + mean * mean) * total
            histo.bucket_limit.extend(edges[1:])
            histo.bucket.extend(float(c) for c in counts)
        return event.SerializeToString()

    def image(self, wall_time, step):
        event = self._event(wall_time, step)
        png = self.images[(step // IMAGE_EVERY) % len(self.images)]
        value = self._value(event, IMAGE_TAG, "image")
        if self.style == "tf2":
            # tf.summary.image: a string tensor [width, height, png...].
            value.tensor.dtype = 7                # DT_STRING
            value.tensor.tensor_shape.dim.add(size=3)
            value.tensor.string_val.extend(
                [str(IMAGE_SIDE).encode(), str(IMAGE_SIDE).encode(), png])
        else:
            value.image.height = IMAGE_SIDE
            value.image.width = IMAGE_SIDE
            value.image.colorspace = 3
            value.image.encoded_image_string = png
        return event.SerializeToString()

    def text(self, wall_time, step):
        event = self._event(wall_time, step)
        value = self._value(event, TEXT_TAG, "text")
        value.tensor.dtype = 7                    # DT_STRING
        value.tensor.tensor_shape.SetInParent()
        value.tensor.string_val.append(
            ("step %d: **sample** prediction `%08x` for the validation batch"
             % (step, self.rng.getrandbits(32))).encode())
        return event.SerializeToString()

    def step_events(self, step, wall_time, total_steps):
        """All serialized events written at ``step``, in writing order."""
        events = [self.scalar(wall_time, step, k, total_steps) for k in range(len(SCALAR_TAGS))]
        if step % HISTOGRAM_EVERY == 0:
            events.extend(self.histogram(wall_time, step, k) for k in range(len(HISTOGRAM_TAGS)))
        if step % IMAGE_EVERY == 0:
            events.append(self.image(wall_time, step))
        if step % TEXT_EVERY == 0:
            events.append(self.text(wall_time, step))
        return events


def event_file_name(style, created, pid, index):
    """The file name each writer style uses."""
    if style == "tf2":
        return "events.out.tfevents.%d.%s.%d.%d.v2" % (created, HOST, pid, index)
    if style == "tensorboardx":
        return "events.out.tfevents.%010d.%s.%d.%d" % (created, HOST, pid, index)
    return "events.out.tfevents.%d.%s" % (created, HOST)


# --------------------------------------------------------------------------
# The corpus

def _run_plan(scale, seed):
    """List of run specs: name, style, steps and file segments (step ranges)."""
    rng = random.Random(seed)
    plan = []
    for index in range(100):
        experiment = index // 2
        name = "exp_%02d/%s" % (experiment, "train" if index % 2 == 0 else "validation")
        style = STYLES[experiment % 3]
        steps = max(10, round(STEPS_PER_RUN * rng.uniform(0.5, 1.5) * scale))
        if index % 10 == 3:
            # Preempted and resumed seven times, no overlap: 8 files.
            cuts = [round(steps * k / 8) for k in range(9)]
            segments = [(cuts[k], cuts[k + 1]) for k in range(8)]
            empty_tail = False
        elif index % 5 == 0:
            # Restarted from a checkpoint: the second file repeats steps.
            segments = [(0, round(steps * 0.6)), (round(steps * 0.5), steps)]
            empty_tail = False
        else:
            segments = [(0, steps)]
            # A second writer that never flushed: one header record only.
            empty_tail = index % 10 == 7
        plan.append({
            "index": index, "name": name, "style": style, "steps": steps,
            "segments": segments, "empty_tail": empty_tail,
        })
    return plan


def _write_run(task):
    """Write one run's event files; return per-file stats (pool worker)."""
    spec, root, seed = task
    encoder = EventEncoder(spec["style"], seed * 1_000_003 + spec["index"])
    run_dir = os.path.join(root, spec["name"])
    os.makedirs(run_dir, exist_ok=True)
    base_wall = WALL_TIME_ORIGIN + spec["index"] * 86_400.0
    stats = []
    # A restart resumes later in wall time than where the previous file ended.
    wall_offset = 0.0
    for file_index, (start, stop) in enumerate(spec["segments"]):
        encoder.new_file()
        first_wall = base_wall + start * SECONDS_PER_STEP + wall_offset
        name = event_file_name(spec["style"], int(first_wall), 4000 + spec["index"], file_index)
        records = [frame_record(encoder.header(first_wall))]
        summary_events = 0
        for step in range(start, stop):
            wall_time = base_wall + step * SECONDS_PER_STEP + wall_offset
            for data in encoder.step_events(step, wall_time, spec["steps"]):
                records.append(frame_record(data))
                summary_events += 1
        wall_offset += 600.0
        path = os.path.join(run_dir, name)
        with open(path, "wb") as stream:
            stream.write(b"".join(records))
        stats.append({"path": os.path.relpath(path, root), "records": len(records),
                      "summary_events": summary_events, "bytes": os.path.getsize(path),
                      "first_step": start, "last_step": stop - 1})
    if spec["empty_tail"]:
        wall = base_wall + spec["steps"] * SECONDS_PER_STEP + 3600.0
        name = event_file_name(spec["style"], int(wall), 5000 + spec["index"], 0)
        path = os.path.join(run_dir, name)
        with open(path, "wb") as stream:
            stream.write(frame_record(encoder.header(wall)))
        stats.append({"path": os.path.relpath(path, root), "records": 1,
                      "summary_events": 0, "bytes": os.path.getsize(path),
                      "first_step": None, "last_step": None})
    return spec["name"], stats


def _cached(key, build):
    """Return the cache directory ``key``, building it atomically if needed."""
    final = os.path.join(CACHE_DIR, key)
    if os.path.exists(os.path.join(final, "manifest.json")):
        return final
    os.makedirs(CACHE_DIR, exist_ok=True)
    staging = final + ".partial-%d" % os.getpid()
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    started = time.perf_counter()
    manifest = build(os.path.join(staging, "logs"))
    manifest["build_seconds"] = round(time.perf_counter() - started, 1)
    with open(os.path.join(staging, "manifest.json"), "w", encoding="utf-8") as stream:
        json.dump(manifest, stream, indent=1)
    shutil.rmtree(final, ignore_errors=True)
    os.rename(staging, final)
    return final


def load_manifest(cache_dir):
    """The manifest written next to a generated tree."""
    with open(os.path.join(cache_dir, "manifest.json"), encoding="utf-8") as stream:
        return json.load(stream)


def _format_scale(scale):
    return ("%g" % scale).replace(".", "p")


def corpus(scale=1.0, seed=0, processes=None):
    """Path of the cached corpus (``<dir>/logs`` is the logdir), built if needed."""
    key = "corpus-s%s-seed%d-v%d" % (_format_scale(scale), seed, FORMAT_VERSION)

    def build(logdir):
        plan = _run_plan(scale, seed)
        tasks = [(spec, logdir, seed) for spec in plan]
        # Big runs first so the two workers finish together.
        tasks.sort(key=lambda task: -task[0]["steps"])
        with multiprocessing.get_context("spawn").Pool(processes or os.cpu_count()) as pool:
            results = dict(pool.imap_unordered(_write_run, tasks))
        files = [stat for spec in plan for stat in results[spec["name"]]]
        return {
            "kind": "corpus", "scale": scale, "seed": seed, "version": FORMAT_VERSION,
            "runs": len(plan), "files": len(files),
            "bytes": sum(f["bytes"] for f in files),
            "records": sum(f["records"] for f in files),
            "summary_events": sum(f["summary_events"] for f in files),
            "run_names": [spec["name"] for spec in plan],
            "file_stats": files,
        }

    return _cached(key, build)


# --------------------------------------------------------------------------
# One big file

_BIG_STEPS_PER_CHUNK = 20_000
_BIG_TOTAL_STEPS = 10_000_000     # scalar decay horizon; the file stops at its size


def _encode_step_range(task):
    """Framed records of steps [start, stop) of the big file (pool worker)."""
    start, stop, seed, style = task
    encoder = EventEncoder(style, seed * 7919 + start)
    # Every chunk after the first continues a file: no metadata repeats.
    if start:
        encoder._described.update(SCALAR_TAGS + HISTOGRAM_TAGS + (IMAGE_TAG, TEXT_TAG))
    out = []
    count = 0
    for step in range(start, stop):
        wall_time = WALL_TIME_ORIGIN + step * SECONDS_PER_STEP
        for data in encoder.step_events(step, wall_time, _BIG_TOTAL_STEPS):
            out.append(frame_record(data))
            count += 1
    return b"".join(out), count


def big_file(size=2**30, seed=0, style="tf2", processes=None):
    """Path of the cached tree holding one run with a single ``size``-byte file.

    Returns the cache directory; the manifest gives the file path (relative to
    ``<dir>/logs``), its records and last step.
    """
    key = "big-%dMiB-%s-seed%d-v%d" % (size // 2**20, style, seed, FORMAT_VERSION)

    def build(logdir):
        run_dir = os.path.join(logdir, "long_run")
        os.makedirs(run_dir)
        name = event_file_name(style, int(WALL_TIME_ORIGIN), 4242, 0)
        path = os.path.join(run_dir, name)
        written = 0
        records = 1
        next_step = 0
        with open(path, "wb") as stream:
            stream.write(frame_record(EventEncoder(style, seed).header(WALL_TIME_ORIGIN)))
            with multiprocessing.get_context("spawn").Pool(processes or os.cpu_count()) as pool:
                while written < size:
                    # Enough chunks to cross the remaining size, in order.
                    batch = [(s, s + _BIG_STEPS_PER_CHUNK, seed, style)
                             for s in range(next_step, next_step + 4 * _BIG_STEPS_PER_CHUNK,
                                            _BIG_STEPS_PER_CHUNK)]
                    for data, count in pool.imap(_encode_step_range, batch):
                        if written >= size:
                            break
                        stream.write(data)
                        written += len(data)
                        records += count
                        next_step += _BIG_STEPS_PER_CHUNK
        return {
            "kind": "big", "size_target": size, "seed": seed, "style": style,
            "version": FORMAT_VERSION, "file": os.path.relpath(path, logdir),
            "bytes": os.path.getsize(path), "records": records,
            "last_step": next_step - 1,
        }

    return _cached(key, build)


def events_payload(count, first_step, seed=1, style="tf2"):
    """Framed records of ``count`` events of the usual mix, from ``first_step`` on.

    Metadata is not repeated (the tags exist in the file already), as a live
    writer continuing a file would do.
    """
    encoder = EventEncoder(style, seed)
    encoder._described.update(SCALAR_TAGS + HISTOGRAM_TAGS + (IMAGE_TAG, TEXT_TAG))
    records = []
    step = first_step
    while len(records) < count:
        wall_time = WALL_TIME_ORIGIN + step * SECONDS_PER_STEP
        for data in encoder.step_events(step, wall_time, _BIG_TOTAL_STEPS):
            records.append(frame_record(data))
        step += 1
    return b"".join(records[:count])


def append_events(path, count, first_step, seed=1, style="tf2"):
    """Append ``count`` events to ``path``; return the number of bytes appended."""
    payload = events_payload(count, first_step, seed, style)
    with open(path, "ab") as stream:
        stream.write(payload)
    return len(payload)


# --------------------------------------------------------------------------
# Discovery tree

_OTHER_FILES_PER_RUN = ("config.json", "stdout.log", "metrics.csv",
                        "checkpoints/ckpt-1.index", "checkpoints/ckpt-1.data-00000-of-00001")


def discovery_tree(runs=10_000, other_files=50_000, seed=0):
    """Path of the cached tree with ``runs`` runs among ``other_files`` files.

    Runs sit two levels deep (``project_XX/run_YYYY``) with a one-record event
    file each; the other files are the usual clutter of a training directory
    (configs, logs, checkpoints in a subdirectory), spread evenly; whatever does
    not divide evenly goes into run-less ``scratch/`` directories.
    """
    key = "discovery-r%d-o%d-seed%d-v%d" % (runs, other_files, seed, FORMAT_VERSION)

    def build(logdir):
        rng = random.Random(seed)
        encoder = EventEncoder("tf2", seed)
        per_run = min(len(_OTHER_FILES_PER_RUN), other_files // max(runs, 1))
        placed = 0
        projects = max(1, round(math.sqrt(runs)))
        for index in range(runs):
            run_dir = os.path.join(logdir, "project_%03d" % (index % projects),
                                   "run_%05d" % index)
            os.makedirs(os.path.join(run_dir, "checkpoints"))
            wall = WALL_TIME_ORIGIN + index
            name = event_file_name("tf2", int(wall), 1000 + index, 0)
            with open(os.path.join(run_dir, name), "wb") as stream:
                stream.write(frame_record(encoder.header(wall)))
                stream.write(frame_record(encoder.scalar(wall, 0, 0, 1)))
            for other in _OTHER_FILES_PER_RUN[:per_run]:
                with open(os.path.join(run_dir, other), "wb") as stream:
                    stream.write(rng.randbytes(16))
                placed += 1
        scratch = 0
        while placed < other_files:
            directory = os.path.join(logdir, "scratch", "dir_%04d" % (scratch // 100))
            os.makedirs(directory, exist_ok=True)
            with open(os.path.join(directory, "file_%06d.tmp" % scratch), "wb") as stream:
                stream.write(b"x")
            scratch += 1
            placed += 1
        return {"kind": "discovery", "runs": runs, "other_files": other_files,
                "seed": seed, "version": FORMAT_VERSION}

    return _cached(key, build)


# --------------------------------------------------------------------------
# Verification against TensorBoard itself

def verify(cache_dir, max_files=6):
    """Read a sample of files with TensorBoard's ``EventAccumulator``.

    Checks that every record parses (TensorBoard stops at the first bad one)
    and that the step ranges and the number of values per tag match what was
    written. Returns a list of problems (empty when all is well).
    """
    from tensorboard.backend.event_processing import event_accumulator

    manifest = load_manifest(cache_dir)
    logdir = os.path.join(cache_dir, "logs")
    problems = []
    # One file of each writer style and each layout, plus the empty one.
    samples = [f for f in manifest["file_stats"] if f["summary_events"]]
    chosen = samples[:: max(1, len(samples) // max_files)][:max_files]
    chosen += [f for f in manifest["file_stats"] if not f["summary_events"]][:1]
    for stat in chosen:
        path = os.path.join(logdir, stat["path"])
        accumulator = event_accumulator.EventAccumulator(
            path, size_guidance=event_accumulator.STORE_EVERYTHING_SIZE_GUIDANCE)
        accumulator.Reload()
        tags = accumulator.Tags()
        loaded = 0
        steps = []
        for kind in ("scalars", "histograms", "images", "tensors"):
            for tag in tags.get(kind, ()):
                items = getattr(accumulator, {"scalars": "Scalars", "histograms": "Histograms",
                                              "images": "Images", "tensors": "Tensors"}[kind])(tag)
                loaded += len(items)
                steps.extend(item.step for item in items)
        if loaded != stat["summary_events"]:
            problems.append("%s: TensorBoard loaded %d values, %d were written"
                            % (stat["path"], loaded, stat["summary_events"]))
        if steps and (min(steps), max(steps)) != (stat["first_step"], stat["last_step"]):
            problems.append("%s: steps %s..%s, expected %s..%s" % (
                stat["path"], min(steps), max(steps), stat["first_step"], stat["last_step"]))
        if accumulator.file_version != 2.0:
            problems.append("%s: file_version not read" % stat["path"])
    return problems, len(chosen)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--big", action="store_true", help="also the 1 GB single file")
    parser.add_argument("--big-mib", type=int, default=1024)
    parser.add_argument("--discovery", action="store_true", help="also the discovery tree")
    parser.add_argument("--verify", action="store_true",
                        help="read a sample back with TensorBoard's EventAccumulator")
    args = parser.parse_args(argv)
    path = corpus(args.scale, args.seed)
    manifest = load_manifest(path)
    print("corpus: %s\n  %d runs, %d files, %.1f MB, %d records (%d summary events), built in %ss"
          % (path, manifest["runs"], manifest["files"], manifest["bytes"] / 1e6,
             manifest["records"], manifest["summary_events"], manifest["build_seconds"]))
    if args.verify:
        problems, checked = verify(path)
        print("verify: %d files read by EventAccumulator: %s"
              % (checked, "OK" if not problems else "; ".join(problems)))
        if problems:
            return 1
    if args.big:
        path = big_file(args.big_mib * 2**20, args.seed)
        manifest = load_manifest(path)
        print("big file: %s\n  %.1f MB, %d records, built in %ss"
              % (os.path.join(path, "logs", manifest["file"]), manifest["bytes"] / 1e6,
                 manifest["records"], manifest["build_seconds"]))
    if args.discovery:
        path = discovery_tree()
        manifest = load_manifest(path)
        print("discovery tree: %s\n  %d runs among %d other files, built in %ss"
              % (path, manifest["runs"], manifest["other_files"], manifest["build_seconds"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
