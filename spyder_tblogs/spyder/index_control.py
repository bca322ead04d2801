"""Feeding the tree: contexts to the index worker, its results to the model.

:class:`IndexController` sends the pane's context (project or working
directory, added and hidden roots, the console's cwd) to the
:class:`~spyder_tblogs.spyder.workers.IndexWorker` in its thread, drops
results of superseded contexts, and applies the worker's batches to the
:class:`~spyder_tblogs.spyder.models.LogTreeModel` in time-boxed slices so
that painting and input stay fluid.
"""

from __future__ import annotations

import time
from collections import deque

from qtpy.QtCore import QObject, QTimer, Signal, Slot

from spyder.api.config.mixins import SpyderConfigurationAccessor

from spyder_tblogs.spyder.config import CONF_SECTION
from spyder_tblogs.spyder.snapshots import IndexContext
from spyder_tblogs.spyder.workers import IndexWorker, WorkerThread

# Budget of one slice of model updates on the GUI thread; the rest waits for
# the next event-loop turn so that painting and input stay fluid.
APPLY_BUDGET_SECONDS = 0.012


class IndexController(QObject, SpyderConfigurationAccessor):
    """Index the pane's context in a worker thread; update the tree."""

    CONF_SECTION = CONF_SECTION

    sig_roots_found = Signal()
    """The roots of the current context are known (and in the model)."""

    sig_applying = Signal()
    """Batches are about to be applied (the console's kernel may have
    grown new busy periods: refresh what depends on them)."""

    sig_batch_applied = Signal(object)
    """One :class:`~.snapshots.RootBatch` is in the model."""

    sig_slice_applied = Signal()
    """A slice of batches is in the model (details and actions may age)."""

    sig_busy = Signal(bool)
    """The worker started (True) or finished (False) a unit of work."""

    def __init__(self, model, parent=None):
        super().__init__(parent)
        self.model = model
        self.generation = 0
        self.context = None
        self.message = ""          # why the context shows nothing, if known
        self.watching = True       # False: some roots are only polled
        self._searching = False
        self._pending = deque()
        # Results the worker queued before it stopped may still arrive.
        self._closed = False
        self._apply_timer = QTimer(self)
        self._apply_timer.setSingleShot(True)
        self._apply_timer.setInterval(0)
        self._apply_timer.timeout.connect(self._apply_pending)
        self.worker = IndexWorker(
            poll_interval_ms=int(float(self.get_conf("poll_interval"))
                                 * 1000),
            use_watcher=bool(self.get_conf("file_watching")),
            remote_poll_interval_ms=int(
                float(self.get_conf("remote_poll_interval")) * 1000))
        self.worker.sig_roots_found.connect(self._on_roots_found)
        self.worker.sig_batch.connect(self._on_batch)
        self.worker.sig_busy.connect(self.sig_busy)
        self.thread = WorkerThread(self.worker, "tblogs-index")

    def request(self, directory, *, is_project, added, hidden, console_cwd):
        """Index a new context; results of earlier ones are dropped."""
        self.generation += 1
        self.context = IndexContext(
            generation=self.generation, directory=directory,
            is_project=is_project,
            autodetect=bool(self.get_conf("autodetect")),
            max_depth=int(self.get_conf("autodetect_depth")),
            added=tuple(added), hidden=tuple(hidden),
            console_cwd=console_cwd)
        self._pending.clear()
        self._searching = True
        self.worker.request_context(self.context)

    def is_idle(self) -> bool:
        """Whether every result of the worker has been applied."""
        return not self._searching and not self._pending

    def close(self):
        """Stop applying and end the worker thread."""
        self._closed = True
        self._apply_timer.stop()
        self.thread.stop()

    # ---- Preferences
    WORKER_OPTIONS = ("poll_interval", "remote_poll_interval",
                      "file_watching")

    def apply_option(self, option: str, value) -> None:
        """Pass a changed preference of :data:`WORKER_OPTIONS` on to the
        worker."""
        if self._closed:
            return
        if option == "file_watching":
            self.worker.request_watching(bool(value))
        elif option == "poll_interval":
            self.worker.request_poll_interval(int(float(value) * 1000))
        elif option == "remote_poll_interval":
            self.worker.request_remote_poll_interval(int(float(value) * 1000))

    # ---- Worker results
    @Slot(object)
    def _on_roots_found(self, found):
        if self._closed or found.generation != self.generation:
            return
        self._searching = False
        self.message = found.message
        self.watching = found.watching
        self.model.set_roots(found.roots)
        self.sig_roots_found.emit()

    @Slot(object)
    def _on_batch(self, batch):
        if self._closed or batch.generation != self.generation:
            return
        self._pending.append(batch)
        if not self._apply_timer.isActive():
            self._apply_timer.start()

    @Slot()
    def _apply_pending(self):
        started = time.perf_counter()
        applied = False
        if self._pending:
            self.sig_applying.emit()
        while self._pending:
            batch = self._pending.popleft()
            if batch.generation != self.generation:
                continue
            self.model.apply_batch(batch)
            applied = True
            self.sig_batch_applied.emit(batch)
            if time.perf_counter() - started > APPLY_BUDGET_SECONDS:
                break
        if self._pending:
            self._apply_timer.start()
        if applied:
            self.sig_slice_applied.emit()
