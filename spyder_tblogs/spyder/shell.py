"""What a console's shell widget tells about its kernel, without asking it.

Everything here reads Spyder's side of the wire: the kernel handler's
connection state and connection file, the shell widget's flags. Nothing
calls the kernel, so the answers keep coming while it is busy or paused in
the debugger.
"""

from __future__ import annotations

import os

from spyder_tblogs.logs.console_state import ConsoleState
from spyder_tblogs.logs.kernel_process import find_kernel_pid

# Values of Spyder's ``KernelConnectionState``.
_READY_CONNECTION_STATES = ("spyder_kernel_ready", "ipykernel_ready")
_FAILED_CONNECTION_STATES = ("error", "closed", "crashed")


def _ask(obj, name, default=None):
    """``obj.name()``, or ``default`` when ``obj`` has no such method (no
    console, a client still being built)."""
    method = getattr(obj, name, None)
    return default if method is None else method()


def is_remote_shell(shellwidget) -> bool:
    """Whether the console's kernel runs on another machine."""
    if _ask(shellwidget, "is_remote", False):
        return True
    handler = getattr(shellwidget, "kernel_handler", None)
    if handler is None:
        return False
    return bool(getattr(handler, "hostname", None)
                or getattr(handler, "ssh_connection", None)
                or getattr(handler, "websocket_url", None))


def shell_state(shellwidget) -> ConsoleState:
    """State of a console from the flags Spyder keeps on its side.

    ``NONE`` without a console or for a failed kernel, ``DEBUGGING`` at the
    debugger prompt, ``RUNNING`` while code executes (a debugger step
    included).
    """
    if shellwidget is None:
        return ConsoleState.NONE
    handler = getattr(shellwidget, "kernel_handler", None)
    if handler is None:
        return ConsoleState.STARTING
    connection_state = str(getattr(handler, "connection_state", ""))
    if connection_state in _FAILED_CONNECTION_STATES:
        return ConsoleState.NONE
    if connection_state and connection_state not in _READY_CONNECTION_STATES:
        return ConsoleState.STARTING
    if _ask(shellwidget, "is_waiting_pdb_input", False):
        return ConsoleState.DEBUGGING
    if getattr(shellwidget, "_executing", False) or _ask(
            shellwidget, "is_debugging", False):
        return ConsoleState.RUNNING
    return ConsoleState.IDLE


def _launcher_pid(kernel_manager) -> int | None:
    """Pid of the process jupyter_client started for the kernel."""
    if kernel_manager is None:
        return None
    provisioner = getattr(kernel_manager, "provisioner", None)
    for owner, attribute in ((getattr(provisioner, "process", None), "pid"),
                             (provisioner, "pid"),
                             (getattr(kernel_manager, "kernel", None), "pid")):
        pid = getattr(owner, attribute, None) if owner is not None else None
        if isinstance(pid, int) and pid > 0:
            return pid
    return None


def kernel_clues(shellwidget):
    """``(connection file name, launcher pid)`` of a local kernel, or None.

    Cheap (read from Spyder's objects): the GUI thread takes them and hands
    them to :func:`~spyder_tblogs.logs.kernel_process.find_kernel_pid` in a
    thread.
    """
    handler = getattr(shellwidget, "kernel_handler", None)
    if handler is None or is_remote_shell(shellwidget):
        return None
    connection_file = getattr(handler, "connection_file", None)
    name = os.path.basename(connection_file) if connection_file else None
    return name, _launcher_pid(getattr(handler, "kernel_manager", None))


def kernel_pid(shellwidget) -> int | None:
    """Process id of a local console's kernel, found without asking it.

    None for remote kernels, consoles without a kernel, or when the process
    cannot be found. Reads the process table: call it from a thread.
    """
    clues = kernel_clues(shellwidget)
    return None if clues is None else find_kernel_pid(*clues)
