"""Find a local kernel's process and its start time (Qt-free, slow).

Reading the process table can take tens of milliseconds: the console
tracker calls :func:`find_kernel_pid` from a thread, never from Spyder's GUI
thread.
"""

from __future__ import annotations

import os

import psutil

# A process can end or be another user's between listing and reading it.
_GONE_OR_FORBIDDEN = (psutil.Error, OSError)


def _mentions(process, needle: str) -> bool:
    try:
        return any(needle in part for part in process.cmdline())
    except _GONE_OR_FORBIDDEN:
        return False


def find_kernel_pid(connection_file: str | None,
                    launcher: int | None) -> int | None:
    """The kernel's pid, from the process table.

    Parameters
    ----------
    connection_file : str or None
        Base name of the kernel's connection file (it is on the kernel's
        command line).
    launcher : int or None
        Pid of the process jupyter_client started for the kernel; None for
        a console connected to an existing kernel.

    Returns
    -------
    int or None
    """
    if launcher is not None:
        try:
            root = psutil.Process(launcher)
            family = [root] + root.children(recursive=True)
        except _GONE_OR_FORBIDDEN:
            return None
        if connection_file:
            # The launcher may be `conda run`/`pixi run`: the kernel is the
            # descendant started with our connection file.
            found = _deepest([process for process in family
                              if _mentions(process, connection_file)
                              and _mentions(process, "kernel")])
            if found is not None:
                return found
        return launcher
    if not connection_file:
        return None
    # A console connected to an existing local kernel: no manager, look for
    # the process started with the connection file.
    return _deepest([process for process in psutil.process_iter()
                     if _mentions(process, connection_file)
                     and process.pid != os.getpid()])


def _deepest(matches) -> int | None:
    """The pid of the match with the most ancestors, or None.

    On Windows a venv's python.exe is a redirector that starts the base
    interpreter as its child with the same command line (so does
    `conda run`): both match, and the kernel is the innermost one.
    """
    best, best_depth = None, -1
    for process in matches:
        try:
            depth = len(process.parents())
        except _GONE_OR_FORBIDDEN:
            continue
        if depth > best_depth:
            best, best_depth = process.pid, depth
    return best


def process_start_time(pid: int | None) -> float | None:
    """When process ``pid`` started (seconds since the epoch), if known."""
    if pid is None:
        return None
    try:
        return psutil.Process(pid).create_time()
    except _GONE_OR_FORBIDDEN:
        return None
