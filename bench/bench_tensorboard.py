"""A managed TensorBoard (TF-free launch) against a bare one, side by side.

Run by hand (never in the test suite), in an interpreter where TensorFlow is
installed (issue 11's case)::

    .venv/bin/python bench/bench_tensorboard.py [--repeats 3] [--scale 1.0]

Kinds of start, alternating after one discarded warm-up of each, on the
benchmark corpus, all with this interpreter:

* **bare**: ``python -m tensorboard.main --logdir D --host 127.0.0.1
  --port P`` in a subprocess; TensorBoard imports TensorFlow.
* **ours**: ``TensorBoardManager.start(D)`` with its defaults (TensorBoard's
  TF-free stub through the manager's launcher), timed around the call.
* **ours, TensorFlow**: ``start(D, tensorflow="when-installed")``, for
  reference.

For each: time to ready (first HTTP 200 to the manager's own probe, polled
at the manager's interval), time until all runs are listed, and the peak RSS of the
TensorBoard process itself and of its children (the Rust data server, the
same binary in every case) until a second after all runs are listed. Then a
start for the instance that is alive (reuse) is timed, from the same manager
and from a fresh one (which finds it in the registry, as a new Spyder session
would). Every process started here is stopped, and checked gone at the end.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import psutil

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus as corpus_module  # noqa: E402
from spyder_tblogs.tensorboard.process import http_ready  # noqa: E402
from _common import (  # noqa: E402
    CACHE_DIR, PYTHON, fmt_mb, fmt_seconds, kill_tree, machine_load_note,
    markdown_table, median, verdict)

TARGET_READY_RATIO = 0.4
TARGET_RSS_RATIO = 0.3
TARGET_REUSE_SECONDS = 0.100
# Seconds of RSS sampling after all runs are listed.
SETTLE_SECONDS = 1.0

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _log(message):
    print(message, flush=True)


def free_port():
    """A free loopback port (bound then released, as a user would pick one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def served_runs(url, timeout=1.0):
    """TensorBoard's run list at ``url``, or None if it does not answer."""
    try:
        with _OPENER.open(url + "data/runs", timeout=timeout) as response:
            if response.status != 200:
                return None
            return json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError):
        # Refused, reset, timed out, half-started server.
        return None


class RssSampler:
    """Peak RSS of a process and, apart, of its descendants."""

    def __init__(self, pid, interval=0.05):
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_root = self.peak_children = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                root = self.root.memory_info().rss
                children = 0
                for child in self.root.children(recursive=True):
                    try:
                        children += child.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                return
            self.peak_root = max(self.peak_root, root)
            self.peak_children = max(self.peak_children, children)
            self._stop.wait(self.interval)

    def stop(self):
        """Stop sampling; return (root MB, children MB)."""
        self._stop.set()
        self._thread.join()
        return self.peak_root / 2**20, self.peak_children / 2**20


def wait_all_listed(url, expected_runs, poll_interval, timeout=300.0):
    """Seconds until ``/data/runs`` lists ``expected_runs`` runs."""
    started = time.perf_counter()
    while True:
        runs = served_runs(url)
        if runs is not None and len(runs) >= expected_runs:
            return time.perf_counter() - started
        if time.perf_counter() - started > timeout:
            raise RuntimeError("not all runs listed in %g s" % timeout)
        time.sleep(poll_interval)


class ProcessLedger:
    """Every pid started here (with descendants), to check none survive."""

    def __init__(self):
        self.processes = {}

    def record(self, pid):
        try:
            root = psutil.Process(pid)
            for process in [root] + root.children(recursive=True):
                self.processes[process.pid] = process
        except psutil.NoSuchProcess:
            pass

    def survivors(self):
        alive = []
        for process in self.processes.values():
            try:
                if process.is_running() and \
                        process.status() != psutil.STATUS_ZOMBIE:
                    alive.append(process)
            except psutil.NoSuchProcess:
                pass
        return alive


def measure_bare(logdir, scratch, expected_runs, poll_interval, ledger,
                 timeout=120.0):
    """Start bare TensorBoard; return its figures (the process is stopped)."""
    port = free_port()
    url = "http://127.0.0.1:%d/" % port
    command = [PYTHON, "-m", "tensorboard.main", "--logdir", logdir,
               "--host", "127.0.0.1", "--port", str(port)]
    started = time.perf_counter()
    with open(os.path.join(scratch, "bare.out"), "ab") as out, \
            open(os.path.join(scratch, "bare.err"), "ab") as err:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
            start_new_session=True)
    sampler = RssSampler(process.pid)
    try:
        # The manager's own readiness probe, so "ready" means the same.
        while not http_ready(url, 1.0):
            if process.poll() is not None:
                raise RuntimeError("bare TensorBoard exited with %s"
                                   % process.returncode)
            if time.perf_counter() - started > timeout:
                raise RuntimeError("bare TensorBoard did not answer in %g s"
                                   % timeout)
            time.sleep(poll_interval)
        ready = time.perf_counter() - started
        listed = ready + wait_all_listed(url, expected_runs, poll_interval)
        ledger.record(process.pid)
        time.sleep(SETTLE_SECONDS)
        rss, children_rss = sampler.stop()
    finally:
        sampler.stop()
        ledger.record(process.pid)
        kill_tree(process.pid)
        process.wait()
    return {"ready": ready, "listed": listed, "rss": rss,
            "children_rss": children_rss}


def measure_managed(manager, logdir, expected_runs, poll_interval, ledger,
                    tensorflow):
    """Start through the manager; return its figures and the instance (left
    running: the caller stops it)."""
    started = time.perf_counter()
    instance = manager.start(logdir, python=PYTHON, tensorflow=tensorflow,
                             timeout=120.0)
    ready = time.perf_counter() - started
    ledger.record(instance.pid)
    if instance.reused:
        raise RuntimeError("expected a fresh instance, got a reused one")
    sampler = RssSampler(instance.pid)
    try:
        listed = ready + wait_all_listed(instance.url, expected_runs,
                                         poll_interval)
        ledger.record(instance.pid)
        time.sleep(SETTLE_SECONDS)
    finally:
        rss, children_rss = sampler.stop()
    return {"ready": ready, "listed": listed, "rss": rss,
            "children_rss": children_rss,
            "tensorflow": instance.tensorflow.value}, instance


def time_reuse(manager_factory, logdir, instance, repeats):
    """Seconds of each of ``repeats`` starts that must reuse ``instance``."""
    seconds = []
    for _ in range(repeats):
        manager = manager_factory()
        started = time.perf_counter()
        again = manager.start(logdir, python=PYTHON)
        seconds.append(time.perf_counter() - started)
        if not (again.reused and again.pid == instance.pid):
            raise RuntimeError("reuse started another server: %r" % again)
    return seconds


def figures_row(name, results):
    def pick(field):
        return [result[field] for result in results]

    return [name, fmt_seconds(median(pick("ready"))),
            fmt_seconds(median(pick("listed"))), fmt_mb(median(pick("rss"))),
            fmt_mb(median(pick("children_rss"))), len(results)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3,
                        help="measured starts of each kind")
    parser.add_argument("--reuse-repeats", type=int, default=20)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="corpus scale of the logdir")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from spyder_tblogs.tensorboard import TensorBoardManager
    from spyder_tblogs.tensorboard.manager import POLL_INTERVAL as poll

    cache_dir = corpus_module.corpus(args.scale, args.seed)
    logdir = os.path.join(cache_dir, "logs")
    expected_runs = corpus_module.load_manifest(cache_dir)["runs"]
    scratch = os.path.join(CACHE_DIR, "tmp-tensorboard-%d" % os.getpid())
    registry = os.path.join(scratch, "registry")
    os.makedirs(registry)
    ledger = ProcessLedger()
    manager = TensorBoardManager(registry_dir=registry)
    import importlib.util
    has_tensorflow = importlib.util.find_spec("tensorflow") is not None
    _log("# bench_tensorboard (%s, %d cores, Python %s)" % (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.cpu_count(),
        sys.version.split()[0]))
    _log("logdir %s (%d runs); interpreter %s (tensorflow %s); polling "
         "every %g s" % (logdir, expected_runs, PYTHON,
                         "installed" if has_tensorflow else "NOT installed",
                         poll))
    _log("at start: %s\n" % machine_load_note())

    kinds = {"bare": [], "ours": [], "ours-tf": []}
    reuse_same, reuse_fresh = [], []

    def run(kind, repeat):
        if kind == "bare":
            return measure_bare(logdir, scratch, expected_runs, poll, ledger)
        tensorflow = "never" if kind == "ours" else "when-installed"
        result, instance = measure_managed(manager, logdir, expected_runs,
                                           poll, ledger, tensorflow)
        try:
            if kind == "ours" and repeat == 0:
                # Reuse while it is alive: same object, then new managers
                # that only have the registry to go on.
                reuse_same.extend(time_reuse(
                    lambda: manager, logdir, instance, args.reuse_repeats))
                reuse_fresh.extend(time_reuse(
                    lambda: TensorBoardManager(registry_dir=registry),
                    logdir, instance, args.reuse_repeats))
        finally:
            manager.stop(instance)
        return result

    try:
        for kind in kinds:
            result = run(kind, -1)
            _log("  warm-up %-7s ready %s (discarded)" % (
                kind, fmt_seconds(result["ready"])))
        orders = [("bare", "ours", "ours-tf"), ("ours-tf", "ours", "bare")]
        for repeat in range(args.repeats):
            for kind in orders[repeat % 2]:
                result = run(kind, repeat)
                kinds[kind].append(result)
                _log("  run %d/%d %-7s ready %s, all listed %s, RSS %s "
                     "(+ children %s)%s" % (
                         repeat + 1, args.repeats, kind,
                         fmt_seconds(result["ready"]),
                         fmt_seconds(result["listed"]), fmt_mb(result["rss"]),
                         fmt_mb(result["children_rss"]),
                         ", tensorflow " + result["tensorflow"]
                         if "tensorflow" in result else ""))
    finally:
        manager.stop_started()
        for process in ledger.survivors():
            kill_tree(process.pid)
        left = ledger.survivors()
        shutil.rmtree(scratch, ignore_errors=True)
    _log("\nat end: " + machine_load_note())
    _log("processes started: %d (with children); still alive after the "
         "bench: %d" % (len(ledger.processes), len(left)))

    bare, ours = kinds["bare"], kinds["ours"]
    rows = [
        figures_row("bare `python -m tensorboard.main` (TensorFlow loaded)",
                    bare),
        figures_row("ours: `TensorBoardManager.start()` (TF-free launch)",
                    ours),
        figures_row("ours with `tensorflow=\"when-installed\"`",
                    kinds["ours-tf"]),
    ]
    _log("")
    _log(markdown_table(["start", "ready", "all runs listed",
                         "RSS TensorBoard", "RSS children (data server)",
                         "n"], rows))

    def ratio(field):
        return median([r[field] for r in ours]) / \
            median([r[field] for r in bare])

    ready_ratio, rss_ratio = ratio("ready"), ratio("rss")
    reuse_worst = max(reuse_same + reuse_fresh)
    summary = [
        ["Time to ready, ours vs bare",
         "%s vs %s" % (fmt_seconds(median([r["ready"] for r in ours])),
                       fmt_seconds(median([r["ready"] for r in bare]))),
         "%.2fx" % ready_ratio, "<= %gx" % TARGET_READY_RATIO,
         verdict(ready_ratio <= TARGET_READY_RATIO)],
        ["RSS of the TensorBoard process, ours vs bare",
         "%s vs %s" % (fmt_mb(median([r["rss"] for r in ours])),
                       fmt_mb(median([r["rss"] for r in bare]))),
         "%.2fx" % rss_ratio, "<= %gx" % TARGET_RSS_RATIO,
         verdict(rss_ratio <= TARGET_RSS_RATIO)],
        ["All %d runs listed, ours vs bare" % expected_runs,
         "%s vs %s" % (fmt_seconds(median([r["listed"] for r in ours])),
                       fmt_seconds(median([r["listed"] for r in bare]))),
         "%.2fx" % ratio("listed"), "", ""],
        ["Reused start (slowest of %d, same and new manager)"
         % (len(reuse_same) + len(reuse_fresh)),
         "median %s / %s, max %s" % (fmt_seconds(median(reuse_same)),
                                     fmt_seconds(median(reuse_fresh)),
                                     fmt_seconds(reuse_worst)),
         "", "< %g ms" % (TARGET_REUSE_SECONDS * 1000),
         verdict(reuse_worst < TARGET_REUSE_SECONDS)],
        ["No process left behind",
         "%d started, %d alive" % (len(ledger.processes), len(left)),
         "", "0 alive", verdict(not left)],
    ]
    _log("\n## Summary\n")
    _log(markdown_table(["measure", "figures", "ratio", "target", "result"],
                        summary))
    if not has_tensorflow:
        _log("\nWARNING: tensorflow is not installed here; the comparison "
             "is not the one the targets are for.")
    return 1 if any(row[-1] == "FAIL" for row in summary) else 0


if __name__ == "__main__":
    sys.exit(main())
