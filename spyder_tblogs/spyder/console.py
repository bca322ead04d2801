"""Follow Spyder's IPython console: current console, kernel, state, cwd.

:class:`ConsoleTracker` watches the IPython console plugin and answers, at
any moment and *without talking to the kernel*, the questions the pane asks:
which console is current and what is its name, which process is its kernel
(pid, host, start time), is it idle, running code or paused in the debugger,
when was it busy, and what is its working directory.

Everything it reads is already on Spyder's side of the wire
(:mod:`spyder_tblogs.spyder.shell`):

- the kernel pid comes from the kernel manager's launcher process (checked
  with ``psutil`` against the connection file, because in conda and pixi
  environments Spyder starts the kernel through ``conda run``/``pixi run``),
  looked up in a thread because reading the process table is slow;
- the state comes from the shell widget's ``executing``/``executed``
  signals, ``sig_pdb_state_changed``, ``is_waiting_pdb_input()`` and
  ``is_debugging()``;
- the working directory comes from ``sig_working_directory_changed`` and the
  shell widget's cached ``get_cwd()`` (which Spyder documents as not asking
  the kernel).

So the tracker keeps answering while the kernel is busy or stopped at a
breakpoint: no ``execute``, no comm call.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

from qtpy.QtCore import QObject, QTimer, Signal

from spyder_tblogs.logs.console_state import ConsoleState
from spyder_tblogs.logs.kernel_process import (
    find_kernel_pid, process_start_time)
from spyder_tblogs.logs.ownership import KernelIdentity
from spyder_tblogs.spyder.shell import (
    _ask, is_remote_shell, kernel_clues, shell_state)

__all__ = ["ConsoleTracker"]

logger = logging.getLogger(__name__)

# A kernel process not found (yet) is looked up again after this long.
PID_RETRY_SECONDS = 5.0

# Busy periods kept per console: enough for hours of cell-by-cell work, while
# bounding memory for consoles that live for weeks.
MAX_BUSY_INTERVALS = 500

# Disconnecting from a widget Qt already deleted, or a slot already gone.
_DISCONNECT_ERRORS = (RuntimeError, TypeError)


def _connect(owner, signals):
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


def _disconnect(connections):
    for signal, slot in connections:
        try:
            signal.disconnect(slot)
        except _DISCONNECT_ERRORS:  # already gone with its widget
            pass


class _ShellWatcher(QObject):
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
        self._connections = _connect(shellwidget, (
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
        _disconnect(self._connections)
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


class ConsoleTracker(QObject):
    """Follow the current IPython console without touching its kernel.

    Parameters
    ----------
    parent : QObject, optional
    resync_interval_ms : int
        How often to re-read the consoles' flags, in case Spyder changed a
        state without a signal (a kernel restart resets ``_executing``
        silently). Zero disables the timer.

    Notes
    -----
    Attach it to the IPython console plugin with :meth:`attach` (from the
    plugin's ``on_plugin_available`` for ``Plugins.IPythonConsole``) and
    :meth:`detach` it on teardown.
    """

    sig_console_changed = Signal()
    """The current console changed, or its kernel was (re)started."""

    sig_state_changed = Signal(object)
    """The current console's state (:class:`ConsoleState`) changed."""

    sig_cwd_changed = Signal(str)
    """The current console's working directory changed."""

    def __init__(self, parent=None, *, resync_interval_ms: int = 1000):
        super().__init__(parent)
        self._plugin = None
        self._watchers: dict[int, _ShellWatcher] = {}
        self._current = None          # current shell widget
        self._last_state = ConsoleState.NONE
        self._last_cwd = ""
        self._plugin_connections = []
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.resync)
        self._resync_interval_ms = resync_interval_ms

    # ---- Attaching
    def attach(self, ipyconsole) -> None:
        """Start following an IPython console plugin.

        Parameters
        ----------
        ipyconsole : IPythonConsole
            Spyder's plugin (``self.get_plugin(Plugins.IPythonConsole)``).
        """
        self.detach()
        self._plugin = ipyconsole
        self._plugin_connections = _connect(ipyconsole, (
            ("sig_shellwidget_changed", self._on_shellwidget_changed),
            ("sig_shellwidget_created", self._on_shellwidget_created),
            ("sig_shellwidget_deleted", self._on_shellwidget_deleted)))
        for client in _ask(ipyconsole, "get_clients") or []:
            shellwidget = getattr(client, "shellwidget", None)
            if shellwidget is not None:
                self._watch(shellwidget)
        self._set_current(_ask(ipyconsole, "get_current_shellwidget"))
        if self._resync_interval_ms > 0:
            self._timer.start(self._resync_interval_ms)

    def detach(self) -> None:
        """Stop following the plugin (safe to call twice)."""
        self._timer.stop()
        _disconnect(self._plugin_connections)
        self._plugin_connections = []
        for watcher in list(self._watchers.values()):
            self._drop(watcher)
        self._plugin = None
        self._set_current(None)

    # ---- What the pane reads
    @property
    def shellwidget(self):
        """The current console's shell widget, or None."""
        return self._current

    @property
    def client(self):
        """The current console's client widget (its tab), or None."""
        return getattr(self._current, "ipyclient", None)

    @property
    def console_name(self) -> str:
        """The current console's tab name ("Console 1/A"), or ""."""
        name = _ask(self.client, "get_name", "")
        return str(name or "")

    @property
    def state(self) -> ConsoleState:
        """The current console's state."""
        watcher = self._current_watcher()
        return watcher.state if watcher is not None else ConsoleState.NONE

    @property
    def is_remote(self) -> bool:
        """Whether the current console's kernel runs on another machine."""
        return self._current is not None and is_remote_shell(self._current)

    @property
    def kernel_pid(self) -> int | None:
        """Pid of the current console's kernel (None if remote/unknown)."""
        watcher = self._current_watcher()
        return None if watcher is None else watcher.kernel_process()[0]

    @property
    def kernel_host(self) -> str | None:
        """Host name of the current console's kernel (None if remote)."""
        if self._current is None or self.is_remote:
            return None
        return socket.gethostname()

    @property
    def kernel_started_at(self) -> float | None:
        """When the current console's kernel process started."""
        watcher = self._current_watcher()
        return None if watcher is None else watcher.kernel_process()[1]

    @property
    def busy_intervals(self) -> tuple[tuple[float, float | None], ...]:
        """Periods the current console's kernel executed code.

        Oldest first; the last one ends in None while still executing.
        Pauses in the debugger are part of the period.
        """
        watcher = self._current_watcher()
        if watcher is None:
            return ()
        return tuple((start, end) for start, end in watcher.busy_intervals)

    @property
    def cwd(self) -> str:
        """The current console's working directory as Spyder last saw it."""
        cwd = _ask(self._current, "get_cwd", "")
        return str(cwd or "")

    def identity(self) -> KernelIdentity | None:
        """Snapshot of the current kernel for the ownership functions.

        Returns
        -------
        KernelIdentity or None
            None without a console, for remote kernels, or when the kernel
            process cannot be found.
        """
        if self._current is None or self.is_remote:
            return None
        pid = self.kernel_pid
        if pid is None:
            return None
        return KernelIdentity(pid=pid, host=self.kernel_host,
                              started_at=self.kernel_started_at,
                              busy_intervals=self.busy_intervals,
                              console_name=self.console_name)

    def resync(self) -> None:
        """Re-read every watched console's flags (cheap, no kernel call)."""
        for watcher in list(self._watchers.values()):
            watcher.resync()
        self._emit_state_if_changed()
        self._emit_cwd_if_changed()

    # ---- Internals
    def _current_watcher(self) -> _ShellWatcher | None:
        if self._current is None:
            return None
        return self._watchers.get(id(self._current))

    def _watch(self, shellwidget) -> _ShellWatcher:
        watcher = self._watchers.get(id(shellwidget))
        if watcher is not None and watcher.shellwidget is shellwidget:
            return watcher
        watcher = _ShellWatcher(shellwidget, self)
        watcher.sig_changed.connect(self._on_watcher_changed)
        watcher.sig_kernel_changed.connect(self._on_watcher_kernel_changed)
        watcher.sig_destroyed.connect(self._on_shellwidget_destroyed)
        watcher.sig_cwd_changed.connect(self._on_watcher_cwd_changed)
        self._watchers[id(shellwidget)] = watcher
        return watcher

    def _drop(self, watcher: _ShellWatcher) -> None:
        watcher.disconnect_all()
        self._watchers.pop(watcher.key, None)
        watcher.shellwidget = None
        watcher.deleteLater()

    def _set_current(self, shellwidget) -> None:
        if shellwidget is not None:
            self._watch(shellwidget)
        changed = shellwidget is not self._current
        self._current = shellwidget
        if changed:
            self.sig_console_changed.emit()
        self._emit_state_if_changed()
        self._emit_cwd_if_changed()

    def _emit_state_if_changed(self) -> None:
        state = self.state
        if state != self._last_state:
            self._last_state = state
            self.sig_state_changed.emit(state)

    def _emit_cwd_if_changed(self, cwd: str | None = None) -> None:
        cwd = self.cwd if cwd is None else cwd
        if cwd and cwd != self._last_cwd:
            self._last_cwd = cwd
            self.sig_cwd_changed.emit(cwd)

    def _on_shellwidget_changed(self, shellwidget) -> None:
        self._set_current(shellwidget)

    def _on_shellwidget_created(self, shellwidget) -> None:
        watcher = self._watch(shellwidget)
        watcher.kernel_gone = False
        watcher.forget_kernel_process()
        watcher.resync()
        if shellwidget is self._current:
            # A (re)connected kernel: the pid may have changed.
            self.sig_console_changed.emit()
            self._emit_state_if_changed()

    def _on_shellwidget_deleted(self, shellwidget) -> None:
        watcher = self._watchers.get(id(shellwidget))
        if watcher is not None and watcher.shellwidget is shellwidget:
            # The widget may get a kernel again (restart after a crash): keep
            # watching it until it is destroyed.
            watcher.mark_kernel_gone()
        if shellwidget is self._current:
            self.sig_console_changed.emit()
            self._emit_state_if_changed()

    def _on_shellwidget_destroyed(self, key: int) -> None:
        watcher = self._watchers.pop(key, None)
        if watcher is not None:
            watcher.shellwidget = None
            watcher.deleteLater()
        if self._current is not None and id(self._current) == key:
            self._current = None
            self.sig_console_changed.emit()
            self._emit_state_if_changed()

    def _on_watcher_changed(self, watcher) -> None:
        if watcher.shellwidget is self._current:
            self._emit_state_if_changed()

    def _on_watcher_kernel_changed(self, watcher) -> None:
        if watcher.shellwidget is self._current:
            # A new kernel process: the pane recomputes the identity.
            self.sig_console_changed.emit()
            self._emit_state_if_changed()

    def _on_watcher_cwd_changed(self, watcher, cwd: str) -> None:
        if watcher.shellwidget is self._current:
            self._emit_cwd_if_changed(cwd)
