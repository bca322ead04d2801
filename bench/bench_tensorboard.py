"""Time to ready of a managed TensorBoard against one started by hand.

Run by hand (never in the test suite)::

    .venv/bin/python bench/bench_tensorboard.py [--repeats 5] [--scale 1.0]

"By hand" is ``python -m tensorboard.main --logdir D --host 127.0.0.1 --port P``
in a subprocess, polled on ``/data/runs`` until HTTP 200 at the manager's own
polling interval. "Ours" is ``TensorBoardManager.start()`` on the same log
directory with the same interpreter, timed around the call. The two alternate
(after one discarded warm-up start), and medians are compared. Then a start
for the instance that is alive (reuse) is timed, from the same manager object
and from a fresh one (which finds it in the registry, as a new Spyder session
would). Every process started here is stopped, and checked gone at the end.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import psutil

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus as corpus_module  # noqa: E402
from _common import (  # noqa: E402
    CACHE_DIR, PYTHON, fmt_seconds, kill_tree, machine_load_note, markdown_table, median,
    verdict)

TARGET_RATIO = 1.1
TARGET_REUSE_SECONDS = 0.100
DEFAULT_POLL_INTERVAL = 0.05

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _log(message):
    print(message, flush=True)


def free_port():
    """A free loopback port (bound then released, as a user would pick one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url, timeout=1.0):
    """Whether ``url`` answers HTTP 200."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            response.read()
            return response.status == 200
    except Exception:  # noqa: BLE001 -- refused, reset, half-started server
        return False


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
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    alive.append(process)
            except psutil.NoSuchProcess:
                pass
        return alive


def start_by_hand(logdir, scratch, poll_interval, ledger, timeout=120.0):
    """Start plain TensorBoard, wait for /data/runs; return (seconds, pid)."""
    port = free_port()
    url = "http://127.0.0.1:%d/data/runs" % port
    command = [PYTHON, "-m", "tensorboard.main", "--logdir", logdir,
               "--host", "127.0.0.1", "--port", str(port)]
    started = time.perf_counter()
    with open(os.path.join(scratch, "plain.out"), "ab") as out, \
            open(os.path.join(scratch, "plain.err"), "ab") as err:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=err, start_new_session=True)
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError("plain TensorBoard exited with %s" % process.returncode)
            if answers(url):
                seconds = time.perf_counter() - started
                break
            if time.perf_counter() - started > timeout:
                raise RuntimeError("plain TensorBoard did not answer in %g s" % timeout)
            time.sleep(poll_interval)
        ledger.record(process.pid)
        return seconds
    finally:
        ledger.record(process.pid)
        kill_tree(process.pid)
        process.wait()


def start_managed(manager, logdir, ledger):
    """Start through the manager; return (seconds, instance)."""
    started = time.perf_counter()
    instance = manager.start(logdir, python=PYTHON, timeout=120.0)
    seconds = time.perf_counter() - started
    ledger.record(instance.pid)
    if instance.reused:
        raise RuntimeError("expected a fresh instance, got a reused one")
    return seconds, instance


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="starts of each kind")
    parser.add_argument("--reuse-repeats", type=int, default=20)
    parser.add_argument("--scale", type=float, default=1.0, help="corpus scale of the logdir")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from spyder_tblogs.tensorboard import TensorBoardManager
    try:
        from spyder_tblogs.tensorboard.manager import POLL_INTERVAL as poll_interval
    except ImportError:
        poll_interval = DEFAULT_POLL_INTERVAL

    logdir = os.path.join(corpus_module.corpus(args.scale, args.seed), "logs")
    scratch = os.path.join(CACHE_DIR, "tmp-tensorboard-%d" % os.getpid())
    registry = os.path.join(scratch, "registry")
    os.makedirs(registry)
    ledger = ProcessLedger()
    manager = TensorBoardManager(registry_dir=registry)
    _log("# bench_tensorboard (%s, %d cores, Python %s)" % (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.cpu_count(),
        sys.version.split()[0]))
    _log("logdir %s; interpreter %s; polling every %g s" % (logdir, PYTHON, poll_interval))
    _log("at start: %s\n" % machine_load_note())
    plain, ours, internal = [], [], []
    reuse_same, reuse_fresh = [], []
    try:
        _log("  warm-up start by hand: %s (discarded)" % fmt_seconds(
            start_by_hand(logdir, scratch, poll_interval, ledger)))
        for repeat in range(args.repeats):
            order = ("ours", "plain") if repeat % 2 == 0 else ("plain", "ours")
            for kind in order:
                if kind == "plain":
                    seconds = start_by_hand(logdir, scratch, poll_interval, ledger)
                    plain.append(seconds)
                else:
                    seconds, instance = start_managed(manager, logdir, ledger)
                    ours.append(seconds)
                    internal.append(instance.startup_seconds)
                    try:
                        if repeat == 0:
                            # Reuse while it is alive: same object, then a new
                            # manager that only has the registry to go on.
                            for _ in range(args.reuse_repeats):
                                started = time.perf_counter()
                                again = manager.start(logdir, python=PYTHON)
                                reuse_same.append(time.perf_counter() - started)
                                assert again.reused and again.pid == instance.pid, again
                            for _ in range(args.reuse_repeats):
                                other = TensorBoardManager(registry_dir=registry)
                                started = time.perf_counter()
                                again = other.start(logdir, python=PYTHON)
                                reuse_fresh.append(time.perf_counter() - started)
                                assert again.reused and again.pid == instance.pid, again
                    finally:
                        manager.stop(instance)
                _log("  run %d/%d %-5s %s" % (repeat + 1, args.repeats, kind,
                                              fmt_seconds(seconds)))
    finally:
        manager.stop_started()
        for process in ledger.survivors():
            kill_tree(process.pid)
        left = ledger.survivors()
        shutil.rmtree(scratch, ignore_errors=True)
    _log("\nat end: " + machine_load_note())
    _log("processes started: %d (with children); still alive after the bench: %d"
         % (len(ledger.processes), len(left)))

    ours_median, plain_median = median(ours), median(plain)
    ratio = ours_median / plain_median if ours and plain else None
    rows = [
        ["plain `python -m tensorboard.main` (by hand)", fmt_seconds(plain_median),
         fmt_seconds(min(plain)), fmt_seconds(max(plain)), len(plain)],
        ["ours: TensorBoardManager.start()", fmt_seconds(ours_median),
         fmt_seconds(min(ours)), fmt_seconds(max(ours)), len(ours)],
        ["ours: instance.startup_seconds (as reported)", fmt_seconds(median(internal)),
         fmt_seconds(min(internal)), fmt_seconds(max(internal)), len(internal)],
        ["reused start, same manager", fmt_seconds(median(reuse_same)),
         fmt_seconds(min(reuse_same)), fmt_seconds(max(reuse_same)), len(reuse_same)],
        ["reused start, new manager (from the registry)", fmt_seconds(median(reuse_fresh)),
         fmt_seconds(min(reuse_fresh)), fmt_seconds(max(reuse_fresh)), len(reuse_fresh)],
    ]
    _log("")
    _log(markdown_table(["start", "median", "min", "max", "n"], rows))
    reuse_worst = max(reuse_same + reuse_fresh) if reuse_same and reuse_fresh else None
    summary = [
        ["Time to ready, managed vs by hand", "%s vs %s" % (
            fmt_seconds(ours_median), fmt_seconds(plain_median)),
         "n/a" if ratio is None else "%.2fx" % ratio, "<= %gx" % TARGET_RATIO,
         verdict(None if ratio is None else ratio <= TARGET_RATIO)],
        ["Reused start (slowest of %d, same and new manager)" % (len(reuse_same)
                                                                + len(reuse_fresh)),
         "median %s / %s, max %s" % (fmt_seconds(median(reuse_same)),
                                     fmt_seconds(median(reuse_fresh)),
                                     fmt_seconds(reuse_worst)),
         "", "< %g ms" % (TARGET_REUSE_SECONDS * 1000),
         verdict(None if reuse_worst is None else reuse_worst < TARGET_REUSE_SECONDS)],
        ["No process left behind", "%d started, %d alive" % (len(ledger.processes), len(left)),
         "", "0 alive", verdict(not left)],
    ]
    _log("\n## Summary\n")
    _log(markdown_table(["measure", "figures", "ratio", "target", "result"], summary))
    return 1 if any(row[-1] == "FAIL" for row in summary) else 0


if __name__ == "__main__":
    sys.exit(main())
