"""TensorBoard control of the pane: what to start, where to show it.

:class:`TensorBoardController` turns the preferences into a
:class:`~spyder_tblogs.spyder.snapshots.StartRequest`, asks once per session
before serving beyond loopback, hands starts and stops to the
:class:`~spyder_tblogs.spyder.workers.TensorBoardWorker` in its thread, and
keeps the *TensorBoard* tab (:class:`~.widgets.instances.InstancesPanel`) up
to date with what the worker reports.
"""

from __future__ import annotations

import sys
from typing import Optional

from qtpy.QtCore import QObject, QUrl, Signal, Slot
from qtpy.QtGui import QDesktopServices
from qtpy.QtWidgets import QMessageBox

from spyder.api.config.mixins import SpyderConfigurationAccessor
from spyder.api.translations import _

from spyder_tblogs.spyder.api import InterpreterMode, OpenTarget
from spyder_tblogs.spyder.config import CONF_SECTION, DEFAULT_HOST
from spyder_tblogs.logs.paths import absolute_logdir, path_key
from spyder_tblogs.spyder.snapshots import StartRequest
from spyder_tblogs.spyder.widgets.instances import host_security_warning
from spyder_tblogs.spyder.workers import TensorBoardWorker, WorkerThread
from spyder_tblogs.tensorboard import split_extra_args
from spyder_tblogs.tensorboard.instance_table import InstanceState


class TensorBoardController(QObject, SpyderConfigurationAccessor):
    """Start, stop and show the pane's TensorBoard instances.

    Parameters
    ----------
    instances : InstancesPanel
        The *TensorBoard* tab. It renders ``instances.table``, whose states
        this controller alone changes.
    parent : QWidget
        The pane (parent of the host confirmation dialog).
    """

    CONF_SECTION = CONF_SECTION

    sig_started = Signal(object)
    """A TensorBoard instance is serving (TensorBoardInstance)."""

    sig_failed = Signal(str, str)
    """``(logdir, message)``: starting TensorBoard failed."""

    sig_changed = Signal()
    """An instance changed state (the pane updates its actions)."""

    sig_show_requested = Signal()
    """Bring the *TensorBoard* tab to the front."""

    def __init__(self, instances, parent):
        super().__init__(parent)
        self.instances = instances
        self.table = instances.table
        self._open_targets = {}        # logdir key -> where to show it
        self._open_fragments = {}      # logdir key -> URL fragment to show
        self._confirmed_hosts = set()  # non-loopback hosts the user allowed
        # Results the worker queued before it stopped may still arrive.
        self._closed = False
        self.worker = TensorBoardWorker()
        self.worker.sig_started.connect(self._on_started)
        self.worker.sig_failed.connect(self._on_failed)
        self.worker.sig_stopped.connect(self._on_stopped)
        self.worker.sig_exited.connect(self._on_exited)
        self.worker.sig_instances.connect(self._on_instances)
        self.worker.sig_error.connect(self._on_error)
        self.thread = WorkerThread(self.worker, "tblogs-tensorboard")
        self.instances.sig_stop_requested.connect(self.stop)
        self.instances.sig_open_in_browser_requested.connect(
            self._open_url_in_browser)
        self.instances.sig_show_requested.connect(
            lambda logdir: self.open(logdir, OpenTarget.Pane))
        self.worker.request_list()

    # ---- Preferences
    def console_interpreter(self) -> str:
        """The interpreter Spyder's consoles use."""
        if not self.get_conf("default", section="main_interpreter"):
            executable = self.get_conf("executable",
                                       section="main_interpreter")
            if executable:
                return executable
        return sys.executable

    def interpreter_candidates(self):
        """``(python, candidates)`` per the interpreter preference."""
        mode = self.get_conf("interpreter_mode")
        console = self.console_interpreter()
        if mode == InterpreterMode.Spyder:
            return sys.executable, ()
        if mode == InterpreterMode.Console:
            return console, ()
        if mode == InterpreterMode.Custom:
            path = self.get_conf("interpreter_path")
            if path:
                return path, ()
        candidates = []
        for python in (console, sys.executable):
            if python and python not in candidates:
                candidates.append(python)
        return None, tuple(candidates)

    def start_request(self, logdir) -> StartRequest:
        """What to start for ``logdir`` according to the preferences.

        Raises
        ------
        ValueError
            The extra arguments cannot be split like a shell would.
        """
        python, candidates = self.interpreter_candidates()
        host = (self.get_conf("host") or DEFAULT_HOST).strip()
        port = None if self.get_conf("port_auto") else int(
            self.get_conf("port"))
        try:
            extra = split_extra_args(self.get_conf("extra_args") or "")
        except ValueError as error:
            # Dropping the arguments silently would start a TensorBoard the
            # user did not ask for.
            raise ValueError(
                _("Extra arguments in Preferences cannot be read: {}").format(
                    error)) from None
        # A preference, not a user's explicit flag: it must not keep the
        # pane from reusing a server the CLI started for the directory.
        reload_interval = self.get_conf("reload_interval")
        defaults = ("--reload_interval", str(int(reload_interval))) \
            if reload_interval else ()
        return StartRequest(logdir=absolute_logdir(logdir), python=python,
                            candidates=candidates, host=host, port=port,
                            extra_args=tuple(extra), default_args=defaults,
                            tensorflow=self.get_conf("load_tensorflow"))

    # ---- Actions
    def is_serving(self, logdir: Optional[str]) -> bool:
        """Whether an instance for ``logdir`` runs or is starting."""
        return self.table.is_serving(logdir)

    def open(self, logdir: Optional[str], target=None, fragment=""):
        """Start or reuse TensorBoard for ``logdir`` and show it in
        ``target`` (an :class:`OpenTarget`; the ``open_in`` option if None),
        at ``fragment`` of its URL (``#scalars&regexInput=...``: a run
        filter).
        """
        if not logdir:
            return
        logdir = absolute_logdir(logdir)
        self.instances.clear_error()
        target = target or self.get_conf("open_in")
        self._open_targets[path_key(logdir)] = target
        self._open_fragments[path_key(logdir)] = fragment
        row = self.table.row(logdir)
        self.sig_show_requested.emit()
        if row is not None and row.state == InstanceState.RUNNING:
            self._show_instance(row.url and row.url + fragment, target)
            return
        if row is not None and row.state == InstanceState.STARTING:
            return
        try:
            request = self.start_request(logdir)
        except ValueError as error:
            self._render(self.table.start_failed(logdir, str(error)))
            self.sig_failed.emit(logdir, str(error))
            return
        if not self._confirm_host(request.host):
            return
        if self._render(self.table.start_requested(logdir, request.host)):
            self.worker.request_start(request)
        self.sig_changed.emit()

    def stop(self, logdir: Optional[str]):
        """Stop the TensorBoard serving ``logdir``."""
        if not logdir:
            return
        self.instances.clear_error()
        row = self.table.row(logdir)
        target = logdir
        if row is not None:
            if row.instance is not None:
                target = row.instance
            self._render(self.table.stop_requested(row.logdir))
        self.worker.request_stop(target)
        self.sig_changed.emit()

    def close(self, stop_instances=True):
        """Stop the worker thread and, if asked, the instances started here.
        """
        self._closed = True
        if stop_instances:
            # First, so that a start still waiting in the worker thread for
            # its server ends now instead of holding the thread (the manager
            # is thread-safe).
            self.worker.stop_started_blocking()
        self.thread.stop()

    # ---- Private
    def _confirm_host(self, host) -> bool:
        """Ask once per session before serving logs beyond loopback."""
        warning = host_security_warning(host)
        if not warning or host in self._confirmed_hosts:
            return True
        answer = QMessageBox.warning(
            self.parent(), _("TensorBoard Logs"),
            warning + "\n\n" + _("Start it anyway?"),
            QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        if answer != QMessageBox.Yes:
            return False
        self._confirmed_hosts.add(host)
        return True

    def _render(self, row):
        """Show the table after ``row`` changed (None: nothing did)."""
        if row is not None:
            self.instances.render((row,))
        return row

    def _show_instance(self, url, target):
        if not url:
            return
        if target == OpenTarget.Pane:
            if self.instances.show_url(url):
                self.sig_show_requested.emit()
                return
            target = OpenTarget.Browser
        if target == OpenTarget.Browser:
            self._open_url_in_browser(url)

    def _open_url_in_browser(self, url):
        QDesktopServices.openUrl(QUrl(url))

    @Slot(object, object)
    def _on_started(self, request, instance):
        if self._closed:
            return
        self._render(self.table.started(
            request.logdir, instance,
            detail=_("Reusing an instance already serving this directory")
            if instance.reused else ""))
        target = self._open_targets.pop(path_key(request.logdir),
                                        self.get_conf("open_in"))
        fragment = self._open_fragments.pop(path_key(request.logdir), "")
        self._show_instance(instance.url and instance.url + fragment, target)
        self.sig_changed.emit()
        self.sig_started.emit(instance)

    @Slot(object, str, str)
    def _on_failed(self, request, message, stderr_tail):
        if self._closed:
            return
        detail = message
        if stderr_tail:
            detail += "\n\n" + stderr_tail.strip()
        self._render(self.table.start_failed(request.logdir, detail))
        self._open_targets.pop(path_key(request.logdir), None)
        self._open_fragments.pop(path_key(request.logdir), None)
        self.sig_show_requested.emit()
        self.sig_changed.emit()
        self.sig_failed.emit(request.logdir, message)

    @Slot(str, object)
    def _on_stopped(self, logdir, pids):
        if self._closed:
            return
        row = self.table.stopped(logdir)
        if row is not None:
            self.instances.hide_url(row.url)
            self.instances.render()
        self.sig_changed.emit()

    @Slot(object, object, str)
    def _on_exited(self, instance, code, stderr_tail):
        if self._closed:
            return
        detail = _("TensorBoard exited")
        if code is not None:
            detail += _(" with code {}").format(code)
        if stderr_tail:
            detail += "\n\n" + stderr_tail.strip()
        row = self._render(self.table.exited(instance.logdir, detail))
        if row is not None:
            self.instances.hide_url(row.url)
            self.sig_changed.emit()

    @Slot(str, str)
    def _on_error(self, logdir, message):
        """Listing, polling or stopping failed: say so above the list, the
        way a failed start says it in its row."""
        if self._closed:
            return
        # Still serving as far as anyone knows; the next list says.
        self._render(self.table.stop_failed(logdir))
        if self.instances.show_error(message, from_list=not logdir):
            # Once per new message: a poll failing every two seconds must
            # not keep pulling the tab to the front.
            self.sig_show_requested.emit()
        self.sig_changed.emit()

    @Slot(object)
    def _on_instances(self, instances):
        if self._closed:
            return
        self.instances.clear_error(only_from_list=True)
        changed = self.table.listed(
            instances, gone_detail=_("TensorBoard is no longer running"))
        self.instances.render(changed)
        self.sig_changed.emit()
