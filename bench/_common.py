"""Helpers shared by the benchmarks: paths, child processes, memory, tables.

Every measurement runs in a fresh child interpreter so that imports, caches
and memory of one measurement never leak into another. The child prints one
JSON line (prefixed with ``RESULT``); the parent polls the child's whole
process tree with psutil to get its peak memory (a process pool of the index
counts too).
"""

import json
import os
import statistics
import subprocess
import sys
import threading
import time

import psutil

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
CACHE_DIR = os.path.join(REPO_DIR, ".bench-cache")
PYTHON = sys.executable

RESULT_PREFIX = "RESULT "

# Installed in a child before tensorboard is imported, so that
# `tensorboard.compat.tf` falls back to its pure-Python stub exactly as on a
# machine without tensorflow.
BLOCK_TENSORFLOW = '''
import importlib.abc, sys

class _BlockTensorFlow(importlib.abc.MetaPathFinder):
    """Make `import tensorflow` fail as if it were not installed."""

    def find_spec(self, name, path=None, target=None):
        if name == "tensorflow" or name.startswith("tensorflow."):
            raise ModuleNotFoundError("No module named %r (blocked by bench)" % name)
        return None

sys.meta_path.insert(0, _BlockTensorFlow())
'''


def emit_result(**fields):
    """Print a child's result line, with its own peak RSS (kernel figure)."""
    import resource

    self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    fields.setdefault("maxrss_self_mb", self_kib / 1024)
    fields.setdefault("maxrss_children_mb", children_kib / 1024)
    sys.stdout.write(RESULT_PREFIX + json.dumps(fields) + "\n")
    sys.stdout.flush()


class TreeMemoryPoller:
    """Sample the summed RSS of a process and all its descendants.

    The peak of the sum is what the machine actually had to hold for the
    measurement, process pools included (an upper bound: pages shared by
    forked workers count once per process).
    """

    def __init__(self, pid, interval=0.05):
        self.pid = pid
        self.interval = interval
        self.peak_rss = 0
        self.peak_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()

    def _run(self):
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            try:
                processes = [root] + root.children(recursive=True)
            except psutil.Error:
                break
            total = 0
            for process in processes:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass
            self.peak_rss = max(self.peak_rss, total)
            self.peak_processes = max(self.peak_processes, len(processes))
            self._stop.wait(self.interval)


def run_child(args, *, timeout=3600, env=None):
    """Run ``python <args>`` in a fresh interpreter; return its result dict.

    The dict gets ``peak_tree_rss_mb`` (polled), ``wall_s`` and ``cpu_s``
    (the whole child and the workers it waited for, imports included) added. A child that fails raises RuntimeError
    with the tail of its stderr.
    """
    command = [PYTHON] + list(args)
    child_env = dict(os.environ)
    child_env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    child_env["PYTHONDONTWRITEBYTECODE"] = "1"
    if env:
        child_env.update(env)
    import resource

    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env,
        cwd=REPO_DIR,
        text=True,
    )
    try:
        with TreeMemoryPoller(process.pid) as poller:
            stdout, stderr = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            kill_tree(process.pid)
            process.wait()
    wall = time.perf_counter() - started
    usage_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = None
    for line in stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX):])
    if process.returncode != 0 or result is None:
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        raise RuntimeError(
            "child %s failed (exit %s):\n%s" % (" ".join(args), process.returncode, tail)
        )
    result["peak_tree_rss_mb"] = poller.peak_rss / 2**20
    result["peak_processes"] = poller.peak_processes
    result["wall_s"] = wall
    # CPU of the child and the workers it waited for, imports included: less
    # sensitive than wall time to other work on the machine.
    result["cpu_s"] = (usage_after.ru_utime + usage_after.ru_stime
                       - usage_before.ru_utime - usage_before.ru_stime)
    return result


def kill_tree(pid, grace=3.0):
    """Terminate a process and its descendants, then kill what is left."""
    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    processes = root.children(recursive=True) + [root]
    for process in processes:
        try:
            process.terminate()
        except psutil.NoSuchProcess:
            pass
    _gone, alive = psutil.wait_procs(processes, timeout=grace)
    for process in alive:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=grace)


def machine_load_note():
    """One line on the machine's load: other work skews every timing."""
    one, five, _fifteen = os.getloadavg()
    note = "load average %.2f (1 min), %.2f (5 min) on %d cores" % (one, five, os.cpu_count())
    if one > 0.5:
        note += " -- WARNING: the machine is busy; figures are pessimistic for both sides"
    return note


def median(values):
    """Median of a non-empty list (None if empty)."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt_seconds(seconds):
    """Seconds with a sensible number of digits."""
    if seconds is None:
        return "n/a"
    if seconds < 0.01:
        return "%.2f ms" % (seconds * 1000)
    if seconds < 1:
        return "%.0f ms" % (seconds * 1000)
    return "%.2f s" % seconds


def fmt_mb(megabytes):
    """Megabytes, rounded."""
    return "n/a" if megabytes is None else "%.0f MB" % megabytes


def markdown_table(header, rows):
    """A GitHub-flavoured markdown table as a string."""
    widths = [len(h) for h in header]
    cells = [[str(c) for c in row] for row in rows]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]

    def line(row):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |"

    out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out.extend(line(row) for row in cells)
    return "\n".join(out)


def verdict(ok):
    """PASS / FAIL / n/a for a target check."""
    if ok is None:
        return "n/a"
    return "PASS" if ok else "FAIL"
