"""Helpers for the TensorBoard manager tests (imported by tests and conftest).

Logs are written with the shared real writers of ``tests/writers.py``.
"""

import json
import os
import subprocess
import sys
import time
import urllib.request

import psutil

import writers  # noqa: F401  (tests/writers.py, on pytest's pythonpath)

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _processes_mentioning(text):
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        try:
            if process.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            cmdline = process.info["cmdline"] or []
        except (psutil.Error, OSError):
            continue
        if process.pid != os.getpid() and any(text in arg for arg in cmdline):
            found.append(process)
    return found


def leftover_processes(root):
    """Return live processes whose command line mentions ``root``."""
    return _processes_mentioning(str(root))


def tree_pids(pid):
    """Return ``pid`` and its descendants' pids."""
    process = psutil.Process(pid)
    return [pid] + [child.pid for child in process.children(recursive=True)]


def gone(pid):
    """Tell whether ``pid`` no longer runs (zombies count as gone)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def symlink_or_skip(target, link):
    """Make the symlink ``link`` -> ``target``, or skip the test where
    symlinks cannot be made (Windows without Developer Mode or the
    privilege; some file systems)."""
    import pytest
    try:
        os.symlink(target, link)
    except (OSError, NotImplementedError) as error:
        pytest.skip(f"cannot make a symlink here: {error}")


def venv_python(env_dir):
    """Return the interpreter of the virtual environment at ``env_dir``
    (``Scripts\\python.exe`` on Windows, ``bin/python`` elsewhere)."""
    if os.name == "nt":
        return os.path.join(str(env_dir), "Scripts", "python.exe")
    return os.path.join(str(env_dir), "bin", "python")


def kill(pid):
    """Kill ``pid`` at once (SIGKILL on POSIX, TerminateProcess on
    Windows) through psutil."""
    psutil.Process(pid).kill()


def is_killed_exit_code(code):
    """Tell whether ``code`` is what Popen reports for a process killed by
    :func:`kill`: minus SIGKILL on POSIX; on Windows the code psutil's
    TerminateProcess gives (anything but 0 and None)."""
    if os.name == "posix":
        import signal
        return code == -signal.SIGKILL
    return code not in (None, 0)


def run_cli(*args, timeout=120):
    """Run ``python -m spyder_tblogs ARGS``; return the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "spyder_tblogs", *args],
        stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=timeout)


def tree_bytes(root):
    """Return ``{relative path: bytes}`` of every file under ``root``, to
    check that an input was left exactly as it was."""
    found = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as stream:
                found[os.path.relpath(path, root)] = stream.read()
    return found


def portable_run_name(name):
    """Return TensorBoard's run ``name`` with '/' between its parts (on
    Windows TensorBoard names a nested run ``a\\b``; the index says
    ``a/b``)."""
    return name.replace(os.sep, "/") if os.sep != "/" else name


def served_runs(instance, expected, timeout=30.0):
    """Return TensorBoard's runs (separators made '/') once they equal
    ``expected`` (or at timeout).

    TensorBoard loads logs in the background after it starts answering, so
    the list can be incomplete for a moment.
    """
    deadline = time.monotonic() + timeout
    while True:
        with _OPENER.open(instance.url + "data/runs", timeout=5) as response:
            runs = sorted(portable_run_name(run) for run in
                          json.loads(response.read().decode("utf-8")))
        if runs == sorted(expected) or time.monotonic() > deadline:
            return runs
        time.sleep(0.2)
