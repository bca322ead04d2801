"""Speed and memory of the log index against TensorBoard's own loader.

Run by hand (never in the test suite)::

    .venv/bin/python bench/bench_index.py            # full scale (~10 min)
    .venv/bin/python bench/bench_index.py --quick    # small trees (~1 min)

Every figure comes from a fresh child interpreter (``--child MODE``), so that
imports and caches of one measurement never help another; the parent polls
the child's whole process tree for its peak memory (the index's process pool
included). Files are read from a warm page cache (each tree is read once
before timing). See bench/README.md for what each line measures.
"""

import argparse
import os
import shutil
import struct
import sys
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus as corpus_module  # noqa: E402
from _common import (  # noqa: E402
    BLOCK_TENSORFLOW, CACHE_DIR, emit_result, fmt_mb, fmt_seconds, machine_load_note,
    markdown_table, median, run_child, verdict)

THIS = os.path.abspath(__file__)

TARGET_VS_TB_WITH_TF = 4.0
TARGET_VS_TB_WITHOUT_TF = 10.0
TARGET_VS_FLOOR = 2.0
TARGET_APPEND_FRACTION = 0.01
TARGET_PEAK_MB = 100.0
APPENDED_EVENTS = 1000


# ==========================================================================
# Children: each measures one thing and prints one RESULT line.

def _event_files(logdir):
    """Every event file under ``logdir`` (what all the readers read)."""
    paths = []
    for directory, _dirs, files in os.walk(logdir):
        paths.extend(os.path.join(directory, f) for f in files if "tfevents" in f)
    paths.sort()
    return paths


def child_raw_read(logdir):
    """Floor 1: read every byte of every event file, nothing else."""
    paths = _event_files(logdir)
    buffer = bytearray(1 << 20)
    started = time.perf_counter()
    total = 0
    for path in paths:
        with open(path, "rb", buffering=0) as stream:
            while True:
                count = stream.readinto(buffer)
                if not count:
                    break
                total += count
    emit_result(seconds=time.perf_counter() - started, bytes=total, files=len(paths))


def _frame_loop(paths, parse):
    """A plain Python TFRecord loop: both masked CRC32C checked, optional parse."""
    import crc32c

    event_class = None
    if parse:
        from tensorboard.compat.proto import event_pb2
        event_class = event_pb2.Event
    header = struct.Struct("<QI")
    footer = struct.Struct("<I")
    records = bad = 0
    for path in paths:
        with open(path, "rb") as stream:
            data = stream.read()
        view = memoryview(data)
        size = len(data)
        position = 0
        while position + 12 <= size:
            length, length_crc = header.unpack_from(data, position)
            crc = crc32c.crc32c(view[position:position + 8])
            if ((((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF) != length_crc:
                raise RuntimeError("corrupt length in %s at %d" % (path, position))
            start = position + 12
            end = start + length
            if end + 4 > size:
                break
            crc = crc32c.crc32c(view[start:end])
            if ((((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF) != \
                    footer.unpack_from(data, end)[0]:
                bad += 1
            elif parse:
                event_class.FromString(data[start:end])
            records += 1
            position = end + 4
    return records, bad


def child_frame_crc(logdir, parse=False):
    """Floor 2 (and 2b with ``parse``): framing + both CRCs (+ protobuf parse)."""
    paths = _event_files(logdir)
    import crc32c  # noqa: F401 -- imported before the clock starts
    if parse:
        from tensorboard.compat.proto import event_pb2  # noqa: F401
    started = time.perf_counter()
    records, bad = _frame_loop(paths, parse)
    emit_result(seconds=time.perf_counter() - started, records=records, bad_crc=bad)


def _resolve_tensorboard_tf(block):
    """Import TensorBoard's loader; say which TF it will use (real or stub)."""
    if block:
        exec(BLOCK_TENSORFLOW, {})
    from tensorboard.compat import tf

    # Resolve the lazy module now, so importing TensorFlow (seconds) is not
    # charged to the load itself; TensorBoard pays it once at start-up.
    version = tf.__version__
    if "tensorflow" in sys.modules:
        backend = "tensorflow"
    elif "tensorboard.compat.tensorflow_stub" in sys.modules:
        backend = "stub"
    else:
        backend = "unknown"
    if block and backend != "stub":
        raise RuntimeError("tensorflow was not blocked: tf is %s" % backend)
    if not block and backend != "tensorflow":
        raise RuntimeError("tensorflow not importable: tf is %s" % backend)
    return "%s %s" % (backend, version)


def child_legacy_multiplexer(logdir, block_tf):
    """TensorBoard's older ``event_multiplexer.EventMultiplexer`` (context).

    The loader of TensorBoard 1.x and of many scripts and tests, with its
    ``DEFAULT_SIZE_GUIDANCE``, purge off: no tensor migration of legacy values.
    """
    import_started = time.perf_counter()
    backend = _resolve_tensorboard_tf(block_tf)
    from tensorboard.backend.event_processing import event_multiplexer

    import_seconds = time.perf_counter() - import_started
    multiplexer = event_multiplexer.EventMultiplexer(purge_orphaned_data=False)
    started = time.perf_counter()
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    seconds = time.perf_counter() - started
    emit_result(seconds=seconds, import_seconds=import_seconds, backend=backend,
                runs=len(multiplexer.Runs()))


def child_multiplexer(logdir, block_tf):
    """TensorBoard's loader as ``tensorboard --logdir`` sets it up.

    ``plugin_event_multiplexer.EventMultiplexer`` with
    ``data_ingester.DEFAULT_SIZE_GUIDANCE`` / ``DEFAULT_TENSOR_SIZE_GUIDANCE``
    (no ``--samples_per_plugin``), one reload thread (the default), purge of
    orphaned data off.
    """
    import_started = time.perf_counter()
    backend = _resolve_tensorboard_tf(block_tf)
    from tensorboard.backend.event_processing import data_ingester, plugin_event_multiplexer

    import_seconds = time.perf_counter() - import_started
    multiplexer = plugin_event_multiplexer.EventMultiplexer(
        size_guidance=data_ingester.DEFAULT_SIZE_GUIDANCE,
        tensor_size_guidance=dict(data_ingester.DEFAULT_TENSOR_SIZE_GUIDANCE),
        purge_orphaned_data=False,
        max_reload_threads=1,
    )
    started = time.perf_counter()
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    seconds = time.perf_counter() - started
    runs = multiplexer.Runs()
    tags = sum(len(t.get("tensors", ())) for t in runs.values())
    emit_result(seconds=seconds, import_seconds=import_seconds, backend=backend,
                runs=len(runs), tags=tags)


def child_summary_iterator(logdir):
    """TensorFlow's C++ record reader + Python protobuf parse, for context."""
    import tensorflow as tf

    iterate = tf.compat.v1.train.summary_iterator
    paths = _event_files(logdir)
    started = time.perf_counter()
    records = 0
    for path in paths:
        for _event in iterate(path):
            records += 1
    emit_result(seconds=time.perf_counter() - started, records=records)


def _index_totals(index):
    runs = index.runs()
    return {
        "runs": len(runs),
        "files": sum(len(r.files) for r in runs),
        "events": sum(f.events for r in runs for f in r.files),
        "tags": sum(len(r.tags) for r in runs),
        "corrupt": sum(f.corrupt_records for r in runs for f in r.files),
    }


def child_index(logdir, workers):
    """Our full index: ``LogIndex(logdir).refresh()`` from nothing."""
    import_started = time.perf_counter()
    from spyder_tblogs.logs import LogIndex

    import_seconds = time.perf_counter() - import_started
    kwargs = {} if workers == 0 else {"workers": workers}
    index = LogIndex(logdir, **kwargs)
    started = time.perf_counter()
    index.refresh()
    seconds = time.perf_counter() - started
    # A refresh with nothing new: discovery + one stat per file.
    started = time.perf_counter()
    update = index.refresh()
    idle_seconds = time.perf_counter() - started
    emit_result(seconds=seconds, idle_refresh_seconds=idle_seconds,
                idle_refresh_empty=update.empty, import_seconds=import_seconds,
                **_index_totals(index))


def child_append(logdir, event_file, payload_file):
    """Full index of a 1 GB file, then refresh after 1,000 appended events.

    The appended records come ready-made in ``payload_file`` (encoded by the
    parent), so that the encoder's imports do not count in this child.
    """
    from spyder_tblogs.logs import LogIndex

    with open(payload_file, "rb") as stream:
        payload = stream.read()

    index = LogIndex(logdir)
    started = time.perf_counter()
    index.refresh()
    full_seconds = time.perf_counter() - started
    before = _index_totals(index)
    full_peak_kib = _self_and_children_maxrss_kib()
    with open(event_file, "ab") as stream:
        stream.write(payload)
    appended = len(payload)
    started = time.perf_counter()
    update = index.refresh()
    seconds = time.perf_counter() - started
    after = _index_totals(index)
    emit_result(seconds=seconds, full_seconds=full_seconds, appended_bytes=appended,
                events_before=before["events"], events_after=after["events"],
                changed=list(update.changed), full_maxrss_mb=full_peak_kib / 1024)


def _self_and_children_maxrss_kib():
    import resource

    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def child_discovery_ours(tree):
    """Our discovery: ``spyder_tblogs.logs.discovery.discover_runs``."""
    from spyder_tblogs.logs import discovery
    from spyder_tblogs.logs.discovery import discover_runs

    started = time.perf_counter()
    found = discover_runs(tree)
    emit_result(seconds=time.perf_counter() - started, runs=len(found.runs),
                files=sum(len(files) // discovery.DISCOVERED_FILE_FIELD_COUNT
                          for files in found.runs.values()))


def child_discovery_tensorboard(tree, block_tf):
    """TensorBoard's discovery, as ``EventMultiplexer.AddRunsFromDirectory`` does it."""
    backend = _resolve_tensorboard_tf(block_tf)
    from tensorboard.backend.event_processing import io_wrapper

    started = time.perf_counter()
    runs = list(io_wrapper.GetLogdirSubdirectories(tree))
    emit_result(seconds=time.perf_counter() - started, runs=len(runs), backend=backend)


CHILDREN = {
    "raw-read": lambda a: child_raw_read(a.dir),
    "frame-crc": lambda a: child_frame_crc(a.dir),
    "frame-crc-parse": lambda a: child_frame_crc(a.dir, parse=True),
    "tb-tf": lambda a: child_multiplexer(a.dir, block_tf=False),
    "tb-notf": lambda a: child_multiplexer(a.dir, block_tf=True),
    "tf-iterator": lambda a: child_summary_iterator(a.dir),
    "legacy-tf": lambda a: child_legacy_multiplexer(a.dir, block_tf=False),
    "legacy-notf": lambda a: child_legacy_multiplexer(a.dir, block_tf=True),
    "index": lambda a: child_index(a.dir, a.workers),
    "append": lambda a: child_append(a.dir, a.file, a.payload),
    "discovery-ours": lambda a: child_discovery_ours(a.dir),
    "discovery-tb-tf": lambda a: child_discovery_tensorboard(a.dir, block_tf=False),
    "discovery-tb-notf": lambda a: child_discovery_tensorboard(a.dir, block_tf=True),
    "index-discovery": lambda a: child_index(a.dir, 0),
}


# ==========================================================================
# Parent: runs the children, prints tables.

class Measure:
    """Repeated runs of one child mode; medians of time and peak memory."""

    def __init__(self, label, mode, directory, repeats, **options):
        self.label = label
        self.mode = mode
        self.directory = directory
        self.repeats = repeats
        self.options = options
        self.results = []
        self.error = None

    def run(self, log):
        args = [THIS, "--child", self.mode, "--dir", self.directory]
        for key, value in self.options.items():
            args += ["--" + key.replace("_", "-"), str(value)]
        for repeat in range(self.repeats):
            try:
                result = run_child(args)
            except RuntimeError as error:
                self.error = str(error).strip().splitlines()[-1]
                log("  %-44s FAILED: %s" % (self.label, self.error))
                return self
            self.results.append(result)
            log("  %-44s run %d/%d: %s, peak %s" % (
                self.label, repeat + 1, self.repeats, fmt_seconds(result["seconds"]),
                fmt_mb(result["peak_tree_rss_mb"])))
        return self

    @property
    def ok(self):
        return bool(self.results)

    def get(self, key):
        return median([r.get(key) for r in self.results]) if self.results else None

    @property
    def seconds(self):
        return self.get("seconds")

    @property
    def peak_mb(self):
        return self.get("peak_tree_rss_mb")

    def last(self, key, default=None):
        return self.results[-1].get(key, default) if self.results else default


def _ratio(numerator, denominator):
    if numerator is None or denominator in (None, 0):
        return None
    return numerator / denominator


def _fmt_ratio(value):
    return "n/a" if value is None else "%.2fx" % value


def _log(message):
    print(message, flush=True)


def bench_corpus(args, summary):
    path = corpus_module.corpus(args.scale, args.seed)
    manifest = corpus_module.load_manifest(path)
    logdir = os.path.join(path, "logs")
    _log("\n## Full read of the corpus\n")
    _log("corpus %s: %d runs, %d files, %.1f MB, %d records (%d summary events)"
         % (logdir, manifest["runs"], manifest["files"], manifest["bytes"] / 1e6,
            manifest["records"], manifest["summary_events"]))
    fast, slow = args.repeats, args.slow_repeats
    Measure("warm-up (page cache)", "raw-read", logdir, 1).run(lambda _m: None)
    measures = {
        "raw": Measure("raw bytes read (floor)", "raw-read", logdir, fast),
        "crc": Measure("framing + both CRC32C, Python loop (floor)", "frame-crc", logdir, fast),
        "ours": Measure("ours: LogIndex(d).refresh(), default workers", "index", logdir, fast),
        "ours1": Measure("ours: LogIndex(d, workers=1).refresh()", "index", logdir, fast,
                         workers=1),
        "tb_tf": Measure("TensorBoard EventMultiplexer, with tensorflow", "tb-tf", logdir, slow),
        "tb_notf": Measure("TensorBoard EventMultiplexer, tensorflow blocked", "tb-notf",
                           logdir, slow),
    }
    if not args.no_context:
        measures["parse"] = Measure("framing + CRC + protobuf parse, Python loop",
                                    "frame-crc-parse", logdir, slow)
        measures["tf_iter"] = Measure("tensorflow summary_iterator", "tf-iterator", logdir, slow)
    if not args.no_legacy:
        measures["legacy_tf"] = Measure("legacy event_multiplexer, with tensorflow", "legacy-tf",
                                        logdir, slow)
        measures["legacy_notf"] = Measure("legacy event_multiplexer, tensorflow blocked",
                                          "legacy-notf", logdir, slow)
    for measure in measures.values():
        measure.run(_log)

    ours = measures["ours"]
    rows = []
    for key, measure in measures.items():
        if measure.ok:
            extra = []
            if "backend" in measure.results[-1]:
                extra.append("tf=%s; import %.1f s; %d runs" % (
                    measure.last("backend"), measure.get("import_seconds"), measure.last("runs")))
            if key in ("ours", "ours1"):
                extra.append("%d runs, %d files, %d events, %d tags; idle refresh %s" % (
                    measure.last("runs"), measure.last("files"), measure.last("events"),
                    measure.last("tags"), fmt_seconds(measure.get("idle_refresh_seconds"))))
            if "records" in measure.results[-1]:
                extra.append("%d records" % measure.last("records"))
            rows.append([measure.label, fmt_seconds(measure.seconds),
                         fmt_seconds(min(r["seconds"] for r in measure.results)),
                         len(measure.results),
                         fmt_seconds(measure.get("cpu_s")), fmt_mb(measure.peak_mb),
                         _fmt_ratio(_ratio(measure.seconds, ours.seconds)), "; ".join(extra)])
        else:
            rows.append([measure.label, "n/a", "n/a", 0, "n/a", "n/a", "n/a",
                         "FAILED: %s" % measure.error])
    _log("")
    _log(markdown_table(["reader", "median", "min", "runs", "CPU (child, incl. imports)",
                         "peak RSS (tree)", "time / ours", "notes"], rows))

    if ours.ok:
        # The index must see every record TensorBoard would.
        if ours.last("events") not in (manifest["records"], manifest["summary_events"]):
            _log("\nWARNING: index counted %s events; the corpus has %d records "
                 "(%d with summaries)" % (ours.last("events"), manifest["records"],
                                          manifest["summary_events"]))
        if ours.last("runs") != manifest["runs"]:
            _log("\nWARNING: index found %s runs, the corpus has %d"
                 % (ours.last("runs"), manifest["runs"]))
    floor = _ratio(ours.seconds, measures["crc"].seconds)
    corpus_label = "%d runs / %d files / %.0f MB / %.1fM events" % (
        manifest["runs"], manifest["files"], manifest["bytes"] / 1e6, manifest["records"] / 1e6)
    # Each target is checked against both TensorBoard loaders; the faster one
    # binds (it is the legacy one, with a fraction of the per-event work).
    for suffix, target, with_tf in (("tf", TARGET_VS_TB_WITH_TF, True),
                                    ("notf", TARGET_VS_TB_WITHOUT_TF, False)):
        for prefix, name in (("tb", "plugin EventMultiplexer (`tensorboard --logdir`)"),
                             ("legacy", "legacy event_multiplexer")):
            measure = measures.get("%s_%s" % (prefix, suffix))
            if measure is None:
                continue
            speed = _ratio(measure.seconds, ours.seconds)
            summary.append([
                "Full index vs %s %s tensorflow%s" % (
                    name, "with" if with_tf else "without",
                    " (%s)" % corpus_label if prefix == "tb" and with_tf else ""),
                "%s vs %s" % (fmt_seconds(ours.seconds), fmt_seconds(measure.seconds)),
                "%s faster" % _fmt_ratio(speed), ">= %gx" % target,
                verdict(None if speed is None else speed >= target)])
    summary.append(["Full index vs framing+CRC floor (Python loop, 1 core)",
                    "%s vs %s" % (fmt_seconds(ours.seconds), fmt_seconds(measures["crc"].seconds)),
                    "%s the floor" % _fmt_ratio(floor), "<= %gx" % TARGET_VS_FLOOR,
                    verdict(None if floor is None else floor <= TARGET_VS_FLOOR)])
    summary.append(["Peak memory, full index of the corpus (process tree RSS)",
                    "%s (TensorBoard: %s with tf, %s without)" % (
                        fmt_mb(ours.peak_mb), fmt_mb(measures["tb_tf"].peak_mb),
                        fmt_mb(measures["tb_notf"].peak_mb)),
                    "", "< %g MB" % TARGET_PEAK_MB,
                    verdict(None if ours.peak_mb is None else ours.peak_mb < TARGET_PEAK_MB)])


def bench_append(args, summary):
    path = corpus_module.big_file(args.big_mib * 2**20, args.seed)
    manifest = corpus_module.load_manifest(path)
    _log("\n## Refresh after %d events appended to a %.0f MB file\n"
         % (APPENDED_EVENTS, manifest["bytes"] / 1e6))
    source = os.path.join(path, "logs", manifest["file"])
    payload = corpus_module.events_payload(APPENDED_EVENTS, manifest["last_step"] + 1)
    results = []
    for repeat in range(args.repeats):
        # Appends go to a copy: the cached file stays as generated.
        scratch = os.path.join(CACHE_DIR, "tmp-append-%d" % os.getpid())
        shutil.rmtree(scratch, ignore_errors=True)
        target = os.path.join(scratch, "logs", manifest["file"])
        os.makedirs(os.path.dirname(target))
        try:
            shutil.copyfile(source, target)
            payload_file = os.path.join(scratch, "payload.bin")
            with open(payload_file, "wb") as stream:
                stream.write(payload)
            measure = Measure("append", "append", os.path.join(scratch, "logs"), 1,
                              file=target, payload=payload_file)
            measure.run(lambda _m: None)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        if not measure.ok:
            _log("  FAILED: %s" % measure.error)
            break
        result = measure.results[0]
        results.append(result)
        _log("  run %d/%d: full index %s (peak %s), refresh after append %s, "
             "events %d -> %d, %d bytes appended"
             % (repeat + 1, args.repeats, fmt_seconds(result["full_seconds"]),
                fmt_mb(result["peak_tree_rss_mb"]), fmt_seconds(result["seconds"]),
                result["events_before"], result["events_after"], result["appended_bytes"]))
    full = median([r["full_seconds"] for r in results])
    refresh = median([r["seconds"] for r in results])
    peak = median([r["peak_tree_rss_mb"] for r in results])
    fraction = _ratio(refresh, full)
    if results and results[-1]["events_after"] - results[-1]["events_before"] != APPENDED_EVENTS:
        _log("WARNING: refresh saw %d new events, %d were appended" % (
            results[-1]["events_after"] - results[-1]["events_before"], APPENDED_EVENTS))
    _log("")
    _log(markdown_table(
        ["measure", "median"],
        [["full index of the file (first refresh)", fmt_seconds(full)],
         ["refresh after %d appended events" % APPENDED_EVENTS, fmt_seconds(refresh)],
         ["refresh / full read", "n/a" if fraction is None else "%.3f%%" % (100 * fraction)],
         ["peak RSS of the child (tree)", fmt_mb(peak)]]))
    summary.append(["Refresh after %d events appended to a %.0f MB file"
                     % (APPENDED_EVENTS, manifest["bytes"] / 1e6),
                     "%s vs %s full read" % (fmt_seconds(refresh), fmt_seconds(full)),
                     "n/a" if fraction is None else "%.3f%% of a full read" % (100 * fraction),
                     "< %g%%" % (100 * TARGET_APPEND_FRACTION),
                     verdict(None if fraction is None else fraction < TARGET_APPEND_FRACTION)])
    summary.append(["Peak memory, full index of that file (%.1fM events in one run)"
                     % (manifest["records"] / 1e6), fmt_mb(peak), "", "< %g MB" % TARGET_PEAK_MB,
                     verdict(None if peak is None else peak < TARGET_PEAK_MB)])


def bench_discovery(args, summary):
    path = corpus_module.discovery_tree(args.discovery_runs, args.discovery_other)
    tree = os.path.join(path, "logs")
    _log("\n## Discovery of %d runs among %d other files\n"
         % (args.discovery_runs, args.discovery_other))
    Measure("warm-up (dentry cache)", "discovery-ours", tree, 1).run(lambda _m: None)
    measures = [
        Measure("ours: discovery.discover_runs", "discovery-ours", tree, args.repeats),
        Measure("TensorBoard GetLogdirSubdirectories, with tensorflow", "discovery-tb-tf",
                tree, args.repeats),
        Measure("TensorBoard GetLogdirSubdirectories, tensorflow blocked",
                "discovery-tb-notf", tree, args.repeats),
        Measure("ours: full LogIndex(d).refresh() (reads every file)", "index-discovery",
                tree, 1),
    ]
    for measure in measures:
        measure.run(_log)
    ours, tb_tf, tb_notf, _full = measures
    rows = [[m.label, fmt_seconds(m.seconds), m.last("runs", "n/a"),
             "n/a" if not m.ok else fmt_mb(m.peak_mb), m.error or ""] for m in measures]
    _log("")
    _log(markdown_table(["discovery", "median", "runs found", "peak RSS", "error"], rows))
    for measure in (tb_tf, tb_notf):
        if measure.ok and ours.ok and measure.last("runs") != ours.last("runs"):
            _log("WARNING: %s found %s runs, ours %s" % (
                measure.label, measure.last("runs"), ours.last("runs")))
    slowest_ratio = min([r for r in (_ratio(tb_tf.seconds, ours.seconds),
                                     _ratio(tb_notf.seconds, ours.seconds)) if r is not None],
                        default=None)
    summary.append(["Discovery of %d runs among %d other files"
                    % (args.discovery_runs, args.discovery_other),
                    "%s vs %s (tf) / %s (no tf)" % (fmt_seconds(ours.seconds),
                                                   fmt_seconds(tb_tf.seconds),
                                                   fmt_seconds(tb_notf.seconds)),
                    "%s faster" % _fmt_ratio(slowest_ratio), "faster than TensorBoard",
                    verdict(None if slowest_ratio is None else slowest_ratio > 1.0)])
    # What the pane's worker does every poll of a tree too large to watch:
    # directories that did not change are not listed again.
    poll = _full.last("idle_refresh_seconds") if _full.ok else None
    summary.append(["A poll of those runs (refresh, nothing new)",
                    "%s (a fresh discovery: %s)" % (fmt_seconds(poll),
                                                    fmt_seconds(ours.seconds)),
                    "%s of a fresh discovery" % _fmt_ratio(
                        None if poll is None or not ours.seconds
                        else poll / ours.seconds),
                    "(no target)", "info"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="corpus scale (steps)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3,
                        help="repeats of the fast measurements (median)")
    parser.add_argument("--slow-repeats", type=int, default=1,
                        help="repeats of TensorBoard's and other slow readers")
    parser.add_argument("--big-mib", type=int, default=1024)
    parser.add_argument("--discovery-runs", type=int, default=10_000)
    parser.add_argument("--discovery-other", type=int, default=50_000)
    parser.add_argument("--only", default="corpus,append,discovery",
                        help="comma-separated sections: corpus, append, discovery")
    parser.add_argument("--no-context", action="store_true",
                        help="skip the context-only readers (protobuf loop, summary_iterator)")
    parser.add_argument("--no-legacy", action="store_true",
                        help="skip TensorBoard's older event_multiplexer")
    parser.add_argument("--quick", action="store_true",
                        help="small trees: --scale 0.1 --big-mib 128 --discovery-runs 1000 "
                             "--discovery-other 5000")
    # Child mode (internal).
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--payload", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        CHILDREN[args.child](args)
        return 0
    if args.quick:
        args.scale, args.big_mib = 0.1, 128
        args.discovery_runs, args.discovery_other = 1000, 5000
    sections = {s.strip() for s in args.only.split(",") if s.strip()}
    _log("# bench_index (%s, %d cores, Python %s)" % (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.cpu_count(),
        sys.version.split()[0]))
    _log("at start: " + machine_load_note())
    summary = []
    if "corpus" in sections:
        bench_corpus(args, summary)
    if "append" in sections:
        bench_append(args, summary)
    if "discovery" in sections:
        bench_discovery(args, summary)
    _log("\nat end: " + machine_load_note())
    _log("\n## Summary\n")
    _log(markdown_table(["measure", "figures", "ratio", "target", "result"], summary))
    return 1 if any(row[-1] == "FAIL" for row in summary) else 0


if __name__ == "__main__":
    sys.exit(main())
