"""Watch one IPython console's shell widget: state, busy periods, kernel.

:class:`ShellWatcher` reads only Spyder's side of the console (signals and
cached flags, :mod:`spyder_tblogs.spyder.shell`), so it keeps answering
while the kernel is busy or stopped at a breakpoint. The kernel process is
looked up in a thread: reading the process table is slow.
"""

from __future__ import annotations

import logging
import threading
import time

from qtpy.QtCore import QObject, Signal

from spyder_tblogs.logs.console_state import ConsoleState
from spyder_tblogs.logs.kernel_process import (
    find_kernel_pid, process_start_time)
from spyder_tblogs.spyder.shell import kernel_clues, shell_state

__all__ = ["DISCONNECT_ERRORS", "ShellWatcher", "connect_signals",
           "disconnect_signals"]

logger = logging.getLogger(__name__)

# A kernel process not found (yet) is looked up again after this long.
PID_RETRY_SECONDS = 5.0

# Busy periods kept per console: enough for hours of cell-by-cell work, while
# bounding memory for consoles that live for weeks.
MAX_BUSY_INTERVALS = 500

# Disconnecting from a widget Qt already deleted, or a slot already gone.
DISCONNECT_ERRORS = (RuntimeError, TypeError)


def connect_signals(owner, signals):
    """Connect ``owner``'s signals that exist; return what was connected.

    A console still being built, or a stand-in in tests, lacks some.
    """
    connections = []
    for name, slot in signals:
        signal = getattr(owner, name, None)
        if signal is None:
            logger.debug("%s has no signal %s", type(owner).__name__, name)
            continue
        signal.connect(slot)
        connections.append((signal, slot))
    return connections


def disconnect_signals(connections):
    for signal, slot in connections:
        try:
            signal.disconnect(slot)
        except DISCONNECT_ERRORS:  # already gone with its widget
            pass


class ShellWatcher(QObject):
    """Watch one shell widget: its state changes and busy periods."""

    sig_changed = Signal(object)   # this watcher: its state changed
    sig_kernel_changed = Signal(object)   # this watcher: new kernel process
    sig_destroyed = Signal(int)   # key of the shell widget that was deleted
    sig_cwd_changed = Signal(object, str)   # this watcher, cwd
    # (kernel handler, pid, start time), emitted by the lookup thread.
    _sig_kernel_found = Signal(object)

    def __init__(self, shellwidget, parent=None):
        super().__init__(parent)
        self.shellwidget = shellwidget
        self.key = id(shellwidget)
        self.state = ConsoleState.NONE
        # Spyder said the kernel is disconnected for good (closed console,
        # dead kernel) until a kernel connects again.
        self.kernel_gone = False
        self._kernel_handler = getattr(shellwidget, "kernel_handler", None)
        self.busy_intervals: list[list[float | None]] = []
        # (kernel handler, pid, start time, when looked up)
        self._pid_cache: tuple[object, int | None, float | None,
                               float] | None = None
        self._lookup_handler = None   # kernel handler being looked up
        self._sig_kernel_found.connect(self._on_kernel_found)
        if self._kernel_handler is not None:
            self._look_up_kernel(self._kernel_handler)
        self._connections = connect_signals(shellwidget, (
            ("executing", self._on_activity),
            ("executed", self._on_activity),
            ("sig_pdb_state_changed", self._on_activity),
            ("sig_prompt_ready", self._on_activity),
            ("sig_kernel_is_ready", self._on_kernel_ready),
            ("sig_working_directory_changed", self._on_cwd_changed),
            ("destroyed", self._on_destroyed)))
        self.resync()

    def disconnect_all(self):
        """Stop listening to the shell widget."""
        disconnect_signals(self._connections)
        self._connections = []

    # ---- Identity
    def kernel_process(self) -> tuple[int | None, float | None]:
        """(pid, start time) of the kernel, cached per kernel handler.

        ``(None, None)`` until a lookup in a thread finds it (reading the
        process table can take tens of milliseconds, which the GUI thread
        must not spend); :attr:`sig_kernel_changed` tells when it did.
        """
        handler = getattr(self.shellwidget, "kernel_handler", None)
        if handler is None:
            return None, None
        cached = self._pid_cache
        if cached is not None and cached[0] is handler and (
                cached[1] is not None
                or time.monotonic() - cached[3] < PID_RETRY_SECONDS):
            return cached[1], cached[2]
        self._look_up_kernel(handler)
        return None, None

    def forget_kernel_process(self):
        """Drop the cached kernel process and look it up again now, so that
        it is known by the time anyone asks."""
        self._pid_cache = None
        handler = getattr(self.shellwidget, "kernel_handler", None)
        if handler is not None:
            self._look_up_kernel(handler)

    def _look_up_kernel(self, handler):
        if self._lookup_handler is handler:
            return      # already looking
        clues = kernel_clues(self.shellwidget)
        if clues is None:
            self._pid_cache = (handler, None, None, time.monotonic())
            return
        self._lookup_handler = handler
        found = self._sig_kernel_found

        def look_up():
            pid = find_kernel_pid(*clues)
            started = process_start_time(pid)
            try:
                found.emit((handler, pid, started))
            except RuntimeError:
                pass    # the watcher was deleted meanwhile

        threading.Thread(target=look_up, name="tblogs-kernel-lookup",
                         daemon=True).start()

    def _on_kernel_found(self, result):
        handler, pid, started = result
        if self._lookup_handler is handler:
            self._lookup_handler = None
        if handler is not getattr(self.shellwidget, "kernel_handler", None):
            return      # a restart made another kernel meanwhile
        self._pid_cache = (handler, pid, started, time.monotonic())
        if pid is not None:
            self.sig_kernel_changed.emit(self)

    # ---- State
    def resync(self):
        """Recompute the state; open or close a busy period on change."""
        if self.shellwidget is None or self.kernel_gone:
            state = ConsoleState.NONE
        else:
            state = shell_state(self.shellwidget)
        if state == self.state:
            return False
        previous, self.state = self.state, state
        now = time.time()
        if state.busy and not previous.busy:
            self.busy_intervals.append([now, None])
            del self.busy_intervals[:-MAX_BUSY_INTERVALS]
        elif previous.busy and not state.busy:
            if self.busy_intervals and self.busy_intervals[-1][1] is None:
                self.busy_intervals[-1][1] = now
        self.sig_changed.emit(self)
        return True

    def _on_activity(self, *args):
        self.resync()

    def _on_kernel_ready(self, *args):
        # A restarted kernel is a new process: its history starts afresh.
        handler = getattr(self.shellwidget, "kernel_handler", None)
        if handler is not self._kernel_handler:
            self._kernel_handler = handler
            self.busy_intervals = []
        self.forget_kernel_process()
        self.kernel_gone = False
        self.resync()
        self.sig_kernel_changed.emit(self)

    def mark_kernel_gone(self):
        """Spyder disconnected the kernel: no state, no identity."""
        self.kernel_gone = True
        self.forget_kernel_process()
        self.resync()

    def _on_destroyed(self, *args):
        self.sig_destroyed.emit(self.key)

    def _on_cwd_changed(self, cwd, *args):
        self.sig_cwd_changed.emit(self, str(cwd or ""))
