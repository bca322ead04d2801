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

import socket

from qtpy.QtCore import QObject, QTimer, Signal
from spyder.api.shellconnect.mixins import ShellConnectMixin

from spyder_tblogs.logs.console_state import ConsoleState
from spyder_tblogs.logs.ownership import KernelIdentity
from spyder_tblogs.spyder.shell import _ask, is_remote_shell
from spyder_tblogs.spyder.shell_watcher import (
    DISCONNECT_ERRORS, ShellWatcher)

__all__ = ["ConsoleTracker"]

class ConsoleTracker(QObject, ShellConnectMixin):
    """Follow the current IPython console without touching its kernel.

    It is connected to the console like Spyder's own console-bound panes,
    through :class:`ShellConnectMixin`: a console becoming current, created
    (a kernel connected), deleted (its kernel gone) or errored (its kernel
    failed to start).

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
        self._watchers: dict[int, ShellWatcher] = {}
        self._current = None          # current shell widget
        self._last_state = ConsoleState.NONE
        self._last_cwd = ""
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
        self.register_ipythonconsole(ipyconsole)
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
        if self._plugin is not None:
            try:
                self.unregister_ipythonconsole(self._plugin)
            except DISCONNECT_ERRORS:   # the console was deleted first
                pass
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

    # ---- ShellConnectMixin: what the IPython console tells
    def set_shellwidget(self, shellwidget) -> None:
        """Another console became current."""
        self._set_current(shellwidget)

    def add_shellwidget(self, shellwidget) -> None:
        """A console's kernel connected (a new console, or a restart)."""
        watcher = self._watch(shellwidget)
        watcher.kernel_gone = False
        watcher.forget_kernel_process()
        watcher.resync()
        if shellwidget is self._current:
            # A (re)connected kernel: the pid may have changed.
            self.sig_console_changed.emit()
            self._emit_state_if_changed()

    def remove_shellwidget(self, shellwidget) -> None:
        """A console's kernel is gone (the console closed, or it died)."""
        watcher = self._watchers.get(id(shellwidget))
        if watcher is not None and watcher.shellwidget is shellwidget:
            # The widget may get a kernel again (restart after a crash): keep
            # watching it until it is destroyed.
            watcher.mark_kernel_gone()
        if shellwidget is self._current:
            self.sig_console_changed.emit()
            self._emit_state_if_changed()

    def add_errored_shellwidget(self, shellwidget) -> None:
        """A console's kernel failed to start: it has no state and no
        process to own logs, until a kernel connects (a restart)."""
        self._watch(shellwidget)
        self.remove_shellwidget(shellwidget)

    def resync(self) -> None:
        """Re-read every watched console's flags (cheap, no kernel call)."""
        for watcher in list(self._watchers.values()):
            watcher.resync()
        self._emit_state_if_changed()
        self._emit_cwd_if_changed()

    # ---- Internals
    def _current_watcher(self) -> ShellWatcher | None:
        if self._current is None:
            return None
        return self._watchers.get(id(self._current))

    def _watch(self, shellwidget) -> ShellWatcher:
        watcher = self._watchers.get(id(shellwidget))
        if watcher is not None and watcher.shellwidget is shellwidget:
            return watcher
        watcher = ShellWatcher(shellwidget, self)
        watcher.sig_changed.connect(self._on_watcher_changed)
        watcher.sig_kernel_changed.connect(self._on_watcher_kernel_changed)
        watcher.sig_destroyed.connect(self._on_shellwidget_destroyed)
        watcher.sig_cwd_changed.connect(self._on_watcher_cwd_changed)
        self._watchers[id(shellwidget)] = watcher
        return watcher

    def _drop(self, watcher: ShellWatcher) -> None:
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
