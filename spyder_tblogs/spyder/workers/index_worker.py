"""The index worker: log roots of the pane's context, refreshed off the GUI."""

from __future__ import annotations

import logging
import os
import time

from qtpy.QtCore import QObject, QTimer, Signal, Slot

from spyder_tblogs.logs import LogIndex, find_log_roots
from spyder_tblogs.logs.workdir import cwd_log_roots
from spyder_tblogs.logs.remote import is_remote
from spyder_tblogs.logs.paths import absolute_logdir, path_key
from spyder_tblogs.spyder.snapshots import IndexContext, RootBatch, RootSpec, \
    RootsFound
from spyder_tblogs.logs.watching import RootWatcher

logger = logging.getLogger(__name__)

# Runs per batch sent to the GUI thread: small enough that applying one
# batch stays well under a frame, large enough to keep signal overhead low.
RUNS_PER_BATCH = 200

# How often the worker looks at roots the file watcher marked as changed.
WATCH_CHECK_MS = 300
# How often the worker looks for log roots again (a project's first logs/,
# a run written outside every known root): at least this, and ten times
# what the last search took.
ROOTS_CHECK_MS = 4000
# Polls never come closer than this.
MIN_POLL_MS = 250


class IndexWorker(QObject):
    """Index the log roots of the current context in a worker thread."""

    sig_roots_found = Signal(object)
    """Roots of a context were found (:class:`RootsFound`)."""

    sig_batch = Signal(object)
    """Part of a root's refresh is ready (:class:`RootBatch`)."""

    sig_busy = Signal(bool)
    """The worker started (True) or finished (False) a unit of work."""

    sig_teardown_requested = Signal(object)

    # Queued requests from the GUI thread.
    _sig_set_context = Signal(object)
    _sig_set_poll_interval = Signal(int)
    _sig_set_remote_poll_interval = Signal(int)
    _sig_look_for_roots = Signal()
    _sig_set_watching = Signal(bool)

    def __init__(self, poll_interval_ms=2000, use_watcher=True,
                 remote_poll_interval_ms=10000):
        super().__init__()
        self._poll_interval_ms = poll_interval_ms
        # Remote roots (URLs) are listed at their own, slower pace: each
        # listing is a request to the object store.
        self._remote_poll_interval_ms = remote_poll_interval_ms
        self._remote_refreshed = {}    # URL root -> time.monotonic()
        self._use_watcher = use_watcher
        self._context = None
        self._indexes = {}          # root -> LogIndex
        self._primed = set()        # roots sent in full at least once
        self._root_diagnostics = {}
        self._watcher = RootWatcher()
        self._poll_timer = None
        self._watch_timer = None
        self._roots_timer = None
        self._roots = ()            # RootSpecs last sent to the GUI
        self._roots_message = ""
        # Written by the GUI thread, read here between roots so that work
        # for a superseded context stops early.
        self.latest_generation = 0
        self._sig_set_context.connect(self._set_context)
        self._sig_set_poll_interval.connect(self._set_poll_interval)
        self._sig_set_remote_poll_interval.connect(
            self._set_remote_poll_interval)
        self._sig_look_for_roots.connect(self._look_for_new_roots)
        self._sig_set_watching.connect(self._set_watching)
        self.sig_teardown_requested.connect(self._teardown)

    # ---- API for the GUI thread (thread safe)
    def request_context(self, context: IndexContext):
        """Switch to ``context`` (queued to the worker thread)."""
        self.latest_generation = context.generation
        self._sig_set_context.emit(context)

    def request_roots_check(self):
        """Look for log roots that appeared, now (only new ones are sent)."""
        self._sig_look_for_roots.emit()

    def request_watching(self, enabled):
        """Turn file watching on or off (polling goes on either way)."""
        self._sig_set_watching.emit(bool(enabled))

    def request_poll_interval(self, milliseconds):
        """Change the polling interval."""
        self._sig_set_poll_interval.emit(int(milliseconds))

    def request_remote_poll_interval(self, milliseconds):
        """Change how often remote roots are listed again."""
        self._sig_set_remote_poll_interval.emit(int(milliseconds))

    def watched_roots(self) -> tuple:
        """The roots being watched (a snapshot; for tests and benches)."""
        return self._watcher.watched_roots()

    # ---- Worker thread
    @Slot()
    def setup(self):
        self._poll_timer = QTimer(self)
        self._poll_timer.setSingleShot(True)
        self._poll_timer.timeout.connect(self._poll)
        self._poll_timer.start(max(MIN_POLL_MS, self._poll_interval_ms))
        self._watch_timer = QTimer(self)
        self._watch_timer.timeout.connect(self._refresh_changed)
        self._watch_timer.start(WATCH_CHECK_MS)
        self._roots_timer = QTimer(self)
        self._roots_timer.setSingleShot(True)
        self._roots_timer.timeout.connect(self._look_for_new_roots)
        self._roots_timer.start(ROOTS_CHECK_MS)

    @Slot(object)
    def _teardown(self, done):
        try:
            for timer in (self._poll_timer, self._watch_timer,
                          self._roots_timer):
                if timer is not None:
                    timer.stop()
            self._watcher.stop()
            self._indexes.clear()
        finally:
            done.set()

    @Slot(int)
    def _set_poll_interval(self, milliseconds):
        self._poll_interval_ms = milliseconds
        if self._poll_timer is not None:
            self._poll_timer.start(max(MIN_POLL_MS, milliseconds))

    @Slot(bool)
    @Slot(int)
    def _set_remote_poll_interval(self, milliseconds):
        self._remote_poll_interval_ms = milliseconds

    def _set_watching(self, enabled):
        if enabled == self._use_watcher:
            return
        self._use_watcher = enabled
        self._watcher.stop()
        if self._context is not None:
            # Watch (or not) the same roots; the GUI learns which it is.
            self._send_roots(self._context, self._roots, self._roots_message)

    def _is_current(self, context) -> bool:
        return context is not None and \
            context.generation == self.latest_generation

    @Slot(object)
    def _set_context(self, context):
        if not self._is_current(context):
            return
        self._context = context
        self.sig_busy.emit(True)
        try:
            roots, message = self._find_roots(context)
            if not self._is_current(context):
                return
            self._send_roots(context, roots, message)
            # Re-send everything: the GUI dropped its rows of the old context.
            self._primed.clear()
            self._root_diagnostics.clear()
            for spec in roots:
                if not self._is_current(context):
                    return
                self._refresh_root(spec.path)
        finally:
            self.sig_busy.emit(False)

    def _send_roots(self, context, roots, message):
        """Index exactly ``roots`` from now on and tell the GUI."""
        paths = {spec.path for spec in roots}
        for path in list(self._indexes):
            if path not in paths:
                del self._indexes[path]
                self._primed.discard(path)
                self._root_diagnostics.pop(path, None)
        # Object stores have nothing to watch: remote roots are polled.
        watching = self._use_watcher and self._watcher.watch(
            {path for path in paths if not is_remote(path)})
        self._roots = tuple(roots)
        self._roots_message = message
        self.sig_roots_found.emit(RootsFound(
            context.generation, tuple(roots), message, watching))

    @Slot()
    def _look_for_new_roots(self):
        """Find roots that appeared (or went) since the context was set.

        Watching covers only known roots: a project's first ``logs/`` or a
        run written beside them shows up here, without a Refresh.
        """
        started = time.perf_counter()
        try:
            context = self._context
            if not self._is_current(context):
                return
            roots, message = self._find_roots(context)
            if not self._is_current(context) or tuple(roots) == self._roots:
                return
            self._send_roots(context, roots, message)
            for spec in roots:
                if spec.path not in self._primed:
                    self._refresh_root(spec.path)
        finally:
            spent_ms = (time.perf_counter() - started) * 1000
            if self._roots_timer is not None:
                self._roots_timer.start(int(max(ROOTS_CHECK_MS,
                                                10 * spent_ms)))

    @staticmethod
    def _find_roots(context):
        """Log roots of ``context`` and a message when there is an issue.

        Walks the disk, which is why it runs here and not in the GUI.
        """
        hidden = {path_key(path) for path in context.hidden}
        roots, seen = [], set()

        def add(path, origin):
            key = path_key(path)
            if key not in hidden and key not in seen:
                seen.add(key)
                roots.append(RootSpec(absolute_logdir(path), origin))

        message = ""
        directory = context.directory
        if directory and context.autodetect:
            if os.path.isdir(directory):
                origin = "auto" if context.is_project else "workdir"
                for path in find_log_roots(directory,
                                           max_depth=context.max_depth):
                    add(path, origin)
            else:
                message = f"{directory} does not exist or is not a directory"
        for path in context.added:
            if is_remote(path):
                add(path.rstrip("/"), "added")
            else:
                add(os.path.expanduser(path), "added")
        if context.console_cwd:
            # Under the console's working directory, what no root shows.
            shown = [spec.path for spec in roots]
            for path in cwd_log_roots(context.console_cwd, shown):
                if path_key(path) not in hidden:
                    roots.append(RootSpec(os.path.abspath(path), "workdir"))
        roots.sort(key=lambda spec: spec.path)
        return roots, message

    def _index(self, root):
        index = self._indexes.get(root)
        if index is None:
            index = self._indexes[root] = LogIndex(root)
        return index

    def _refresh_known_roots(self):
        if self._context is None:
            return
        now = time.monotonic()
        for root in list(self._indexes):
            if not self._is_current(self._context):
                return
            if is_remote(root):
                last = self._remote_refreshed.get(root, 0.0)
                if (now - last) * 1000 < self._remote_poll_interval_ms:
                    continue
                self._remote_refreshed[root] = now
            self._refresh_root(root)

    @Slot()
    def _poll(self):
        started = time.perf_counter()
        try:
            self._refresh_known_roots()
        finally:
            # A poll of a huge tree must not keep a core (and the GIL) busy
            # all the time: wait at least ten times what the poll took.
            spent_ms = (time.perf_counter() - started) * 1000
            if self._poll_timer is not None:
                self._poll_timer.start(int(max(
                    MIN_POLL_MS, self._poll_interval_ms, 10 * spent_ms)))

    @Slot()
    def _refresh_changed(self):
        for root in self._watcher.take_changed():
            if root in self._indexes or self._watcher.is_watched(root):
                self._refresh_root(root)

    def _refresh_root(self, root):
        """Refresh one root and send what changed, in batches."""
        context = self._context
        generation = context.generation if context else 0
        try:
            index = self._index(root)
            update = index.refresh()
            first = root not in self._primed
            diagnostics = tuple(index.diagnostics)
            # Runs travel as plain tuples (``RunInfo.row``): 10,000 RunInfo
            # objects queued for the GUI thread would set off a full
            # garbage collection, which holds the GIL.
            if first:
                runs = index.run_rows()
                removed = ()
            else:
                if update.empty and diagnostics == \
                        self._root_diagnostics.get(root):
                    return
                runs = index.run_rows(update.added + update.changed)
                removed = tuple(update.removed)
            run_count = len(index)
        except Exception as error:  # noqa: BLE001
            # Thread boundary: a bug reading one root shows on its row, and
            # the other roots go on being refreshed.
            logger.exception("Refreshing %s failed", root)
            self.sig_batch.emit(RootBatch(
                generation, root, error=f"{type(error).__name__}: {error}",
                final=True))
            return
        self._primed.add(root)
        self._root_diagnostics[root] = diagnostics
        chunks = [runs[i:i + RUNS_PER_BATCH]
                  for i in range(0, len(runs), RUNS_PER_BATCH)] or [()]
        for number, chunk in enumerate(chunks):
            self.sig_batch.emit(RootBatch(
                generation, root, runs=chunk,
                removed=removed if number == 0 else (),
                diagnostics=diagnostics, run_count=run_count,
                final=number == len(chunks) - 1))
