"""The TensorBoard worker: start, stop and watch servers off the GUI thread."""

from __future__ import annotations

import logging
import os

from qtpy.QtCore import QObject, QTimer, Signal, Slot

from spyder_tblogs.spyder.snapshots import StartRequest
from spyder_tblogs.tensorboard import (
    TensorBoardError, TensorBoardManager, find_interpreter)

logger = logging.getLogger(__name__)

# What the manager raises: its own errors and those of the registry's files
# and of starting or signalling processes.
MANAGER_ERRORS = (TensorBoardError, OSError)


def error_message(error) -> str:
    """What the pane tells the user about one of :data:`MANAGER_ERRORS`:
    the manager's own sentence, or the OS error named (no traceback)."""
    if isinstance(error, TensorBoardError):
        return error.message
    return f"{type(error).__name__}: {error}"


class TensorBoardWorker(QObject):
    """Start, stop and watch TensorBoard instances in a worker thread."""

    sig_started = Signal(object, object)
    """``(request, instance)``: an instance is serving."""

    sig_failed = Signal(object, str, str)
    """``(request, message, stderr_tail)``: starting failed."""

    sig_stopped = Signal(str, object)
    """``(logdir, pids)``: an instance was stopped on request."""

    sig_exited = Signal(object, object, str)
    """``(instance, exit_code, stderr_tail)``: an instance died by itself."""

    sig_instances = Signal(object)
    """List of live instances known to the registry."""

    sig_error = Signal(str, str)
    """``(logdir, message)``: stopping (``logdir`` of the target), listing or
    polling (``logdir`` empty) failed; the message is for the user."""

    sig_teardown_requested = Signal(object)

    _sig_start = Signal(object)
    _sig_stop = Signal(object)
    _sig_list = Signal()

    POLL_MS = 2000

    def __init__(self, registry_dir=None):
        super().__init__()
        self._registry_dir = registry_dir or os.environ.get(
            "SPYDER_TBLOGS_REGISTRY") or None
        self._manager = None
        self._poll_timer = None
        self._registry_mtime = None
        self._sig_start.connect(self._start)
        self._sig_stop.connect(self._stop)
        self._sig_list.connect(self._list)
        self.sig_teardown_requested.connect(self._teardown)

    @property
    def manager(self):
        """The process manager (created on first use)."""
        if self._manager is None:
            self._manager = TensorBoardManager(self._registry_dir)
        return self._manager

    # ---- API for the GUI thread
    def request_start(self, request: StartRequest):
        """Start or reuse an instance for ``request``."""
        self._sig_start.emit(request)

    def request_stop(self, target):
        """Stop an instance given by instance, pid or logdir."""
        self._sig_stop.emit(target)

    def request_list(self):
        """Send the live instances (:attr:`sig_instances`)."""
        self._sig_list.emit()

    def stop_started_blocking(self):
        """Stop the instances this worker started, those still starting too.

        Called from the GUI thread when Spyder closes: the manager is
        thread-safe, and a start waiting in the worker thread then ends.
        """
        if self._manager is not None:
            try:
                self._manager.stop_started()
            except MANAGER_ERRORS:
                logger.exception("Stopping TensorBoard instances failed")

    # ---- Worker thread
    @Slot()
    def setup(self):
        self._poll_timer = QTimer(self)
        self._poll_timer.timeout.connect(self._poll)
        self._poll_timer.start(self.POLL_MS)

    @Slot(object)
    def _teardown(self, done):
        try:
            if self._poll_timer is not None:
                self._poll_timer.stop()
        finally:
            done.set()

    @Slot(object)
    def _start(self, request):
        try:
            python = request.python
            if not python and request.candidates:
                python = find_interpreter(list(request.candidates))
                if python is None:
                    self.sig_failed.emit(
                        request,
                        "None of these interpreters can import tensorboard: "
                        + ", ".join(request.candidates)
                        + ". Install tensorboard in one of them or choose "
                        "an interpreter in Preferences.", "")
                    return
            instance = self.manager.start(
                request.logdir, python=python, port=request.port,
                host=request.host, extra_args=tuple(request.extra_args),
                default_args=tuple(request.default_args),
                tensorflow=request.tensorflow)
        except TensorBoardError as error:
            self.sig_failed.emit(request, error.message,
                                 error.stderr_tail or "")
            return
        except OSError as error:
            logger.exception("Starting TensorBoard failed")
            self.sig_failed.emit(request, error_message(error), "")
            return
        self.sig_started.emit(request, instance)
        self._list()

    @Slot(object)
    def _stop(self, target):
        logdir = target if isinstance(target, str) else getattr(
            target, "logdir", str(target))
        try:
            pids = self.manager.stop(target)
        except MANAGER_ERRORS as error:
            logger.info("Stopping TensorBoard failed", exc_info=True)
            self.sig_error.emit(logdir, error_message(error))
        else:
            self.sig_stopped.emit(logdir, pids)
        self._list()

    def _registry_stamp(self):
        """The registry directory's mtime, which adding, replacing or
        removing a record changes (one stat; None if it cannot be read)."""
        try:
            return os.stat(self.manager.registry.directory).st_mtime_ns
        except OSError:
            return None     # listing says what is wrong

    def _registry_changed(self) -> bool:
        """Whether records changed since the last list."""
        return self._registry_stamp() != self._registry_mtime

    @Slot()
    def _list(self):
        try:
            # Before listing, so a record written meanwhile is seen next
            # poll (pruning dead records costs one more list at most).
            stamp = self._registry_stamp()
            instances = list(self.manager.list())
        except MANAGER_ERRORS as error:
            logger.info("Listing TensorBoard instances failed", exc_info=True)
            self.sig_error.emit("", error_message(error))
            return
        self._registry_mtime = stamp
        self.sig_instances.emit(instances)

    @Slot()
    def _poll(self):
        if self._manager is None:
            return
        if self._registry_changed():
            # A server started or stopped elsewhere (the CLI, another
            # Spyder): the pane lists what the registry holds.
            self._list()
        try:
            exited = self._manager.poll_exited()
        except MANAGER_ERRORS as error:
            logger.info("Polling TensorBoard instances failed", exc_info=True)
            self.sig_error.emit("", error_message(error))
            return
        for instance, code, tail in exited:
            self.sig_exited.emit(instance, code, tail or "")
        if exited:
            self._list()
