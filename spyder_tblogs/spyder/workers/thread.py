"""A QThread running one worker object, with a clean shutdown, and the base
of the workers that need nothing set up or torn down in their thread."""

import logging
import threading

from qtpy.QtCore import QObject, QThread, Signal, Slot

logger = logging.getLogger(__name__)


class WorkerThread:
    """A QThread running one worker object.

    Parameters
    ----------
    worker : QObject
        Object to move to the thread. Its ``setup`` slot runs in the thread
        when it starts; its ``sig_teardown_requested`` signal, emitted with
        a :class:`threading.Event`, must run its teardown there and set the
        event.
    name : str
        Thread name (shows in debuggers).
    """

    def __init__(self, worker, name):
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName(name)
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.setup)
        self.thread.start()

    def stop(self, timeout_ms=10000):
        """Run the worker's teardown in its thread, then end the thread."""
        if not self.thread.isRunning():
            return
        done = threading.Event()
        self.worker.sig_teardown_requested.emit(done)
        # The teardown runs queued in the worker thread once the work in
        # progress returns; wait for it without spinning the GUI loop.
        done.wait(timeout_ms / 1000)
        self.thread.quit()
        if not self.thread.wait(timeout_ms):
            logger.warning("Thread %s did not stop", self.thread.objectName())


class NoSetupWorker(QObject):
    """A worker for :class:`WorkerThread` that holds nothing of its thread's
    (no timers, watchers or processes): setup and teardown have nothing to
    do."""

    sig_teardown_requested = Signal(object)

    def __init__(self):
        super().__init__()
        self.sig_teardown_requested.connect(self._teardown)

    @Slot()
    def setup(self):
        pass

    @Slot(object)
    def _teardown(self, done):
        done.set()
