"""Worker objects that keep disk and process work off Spyder's GUI thread.

- :class:`IndexWorker` finds the log roots of a directory, owns one
  :class:`~spyder_tblogs.logs.LogIndex` per root, refreshes them when the
  file watcher reports a change or the polling timer fires, and sends the
  results to the GUI thread as immutable :class:`~.models.RootBatch`
  snapshots, split into bounded batches.
- :class:`TensorBoardWorker` starts and stops TensorBoard through the
  blocking :class:`~spyder_tblogs.tensorboard.TensorBoardManager` and polls
  for instances that died.

Both are plain ``QObject``\\s moved to their own ``QThread`` by
:class:`WorkerThread`; the GUI talks to them only through queued signals.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Optional

from qtpy.QtCore import QObject, QThread, QTimer, Signal, Slot

from spyder_tblogs.spyder.models import RootBatch, RootSpec

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

# Roots with more directories than this are polled, not watched: inotify
# needs one watch per directory (the default per-user limit is often 8192)
# and watchdog keeps two Python objects per watch. With 10,000 runs those
# 40,000 objects made every full garbage collection of Spyder's process
# about 30 ms longer, a freeze of the whole window each time.
WATCH_MAX_DIRECTORIES = 4096


@dataclass(frozen=True)
class IndexContext:
    """What the pane should index, as decided by the GUI.

    Attributes
    ----------
    generation : int
        Increases with every new context; results of older ones are dropped.
    directory : str or None
        Project directory, or the console's working directory.
    is_project : bool
        Whether ``directory`` is a Spyder project.
    autodetect : bool
        Look for log roots under ``directory``.
    max_depth : int
        Depth limit of the search.
    added : tuple of str
        Log directories the user added.
    hidden : tuple of str
        Log directories the user hid.
    console_cwd : str or None
        The current console's working directory: event files under it that
        no other root shows are added as ``'workdir'`` roots (relative log
        paths land there, not in the project).
    """

    generation: int
    directory: Optional[str]
    is_project: bool = False
    autodetect: bool = True
    max_depth: int = 6
    added: tuple = ()
    hidden: tuple = ()
    console_cwd: Optional[str] = None


@dataclass(frozen=True)
class RootsFound:
    """The roots of a context, sent before their first batches."""

    generation: int
    roots: tuple = ()
    message: str = ""
    watching: bool = True


def _norm(path):
    return os.path.normcase(os.path.abspath(os.path.expanduser(path)))


class WorkerThread:
    """A QThread running one worker object, with a clean shutdown.

    Parameters
    ----------
    worker : QObject
        Object to move to the thread; its ``setup`` slot runs in the thread
        when it starts and its ``teardown`` slot before it stops.
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


def _has_more_directories(root, limit):
    """Whether ``root`` holds more than ``limit`` directories (stops early)."""
    count = 0
    pending = [root]
    while pending:
        try:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            count += 1
                            if count > limit:
                                return True
                            pending.append(entry.path)
                    except OSError:
                        continue
        except OSError:
            continue
    return False


class _WatchHandler:
    """watchdog handler that marks a root as changed (any thread)."""

    # Reading files ourselves produces opened/closed-without-write events;
    # reacting to those would refresh forever.
    IGNORED = ("opened", "closed_no_write")

    def __init__(self, root, dirty, lock):
        self._root = root
        self._dirty = dirty
        self._lock = lock

    def dispatch(self, event):
        if event.event_type in self.IGNORED:
            return
        with self._lock:
            self._dirty.add(self._root)


class IndexWorker(QObject):
    """Index the log roots of the current context in a worker thread."""

    sig_roots_found = Signal(object)
    """Roots of a context were found (:class:`RootsFound`)."""

    sig_batch = Signal(object)
    """Part of a root's refresh is ready (:class:`~.models.RootBatch`)."""

    sig_busy = Signal(bool)
    """The worker started (True) or finished (False) a unit of work."""

    sig_teardown_requested = Signal(object)

    # Queued requests from the GUI thread.
    _sig_set_context = Signal(object)
    _sig_refresh = Signal(bool)
    _sig_set_poll_interval = Signal(int)
    _sig_look_for_roots = Signal()
    _sig_set_watching = Signal(bool)

    def __init__(self, poll_interval_ms=2000, use_watcher=True):
        super().__init__()
        self._poll_interval_ms = poll_interval_ms
        self._use_watcher = use_watcher
        self._context = None
        self._indexes = {}          # root -> LogIndex
        self._primed = set()        # roots sent in full at least once
        self._root_diagnostics = {}
        self._observer = None
        self._watches = {}
        self._dirty = set()
        self._dirty_lock = threading.Lock()
        self._poll_timer = None
        self._watch_timer = None
        self._roots_timer = None
        self._roots = ()            # RootSpecs last sent to the GUI
        self._roots_message = ""
        # Written by the GUI thread, read here between roots so that work
        # for a superseded context stops early.
        self.latest_generation = 0
        self._sig_set_context.connect(self._set_context)
        self._sig_refresh.connect(self._refresh_all)
        self._sig_set_poll_interval.connect(self._set_poll_interval)
        self._sig_look_for_roots.connect(self._look_for_new_roots)
        self._sig_set_watching.connect(self._set_watching)
        self.sig_teardown_requested.connect(self._teardown)

    # ---- API for the GUI thread (thread safe)
    def request_context(self, context: IndexContext):
        """Switch to ``context`` (queued to the worker thread)."""
        self.latest_generation = context.generation
        self._sig_set_context.emit(context)

    def request_refresh(self, full=False):
        """Refresh every root now; ``full`` re-sends all runs."""
        self._sig_refresh.emit(full)

    def request_roots_check(self):
        """Look for log roots that appeared, now (only new ones are sent)."""
        self._sig_look_for_roots.emit()

    def request_watching(self, enabled):
        """Turn file watching on or off (polling goes on either way)."""
        self._sig_set_watching.emit(bool(enabled))

    def request_poll_interval(self, milliseconds):
        """Change the polling interval."""
        self._sig_set_poll_interval.emit(int(milliseconds))

    # ---- Worker thread
    @Slot()
    def setup(self):
        self._poll_timer = QTimer(self)
        self._poll_timer.setSingleShot(True)
        self._poll_timer.timeout.connect(self._poll)
        self._poll_timer.start(max(250, self._poll_interval_ms))
        self._watch_timer = QTimer(self)
        self._watch_timer.timeout.connect(self._refresh_dirty)
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
            self._stop_watching()
            self._indexes.clear()
        finally:
            done.set()

    @Slot(int)
    def _set_poll_interval(self, milliseconds):
        self._poll_interval_ms = milliseconds
        if self._poll_timer is not None:
            self._poll_timer.start(max(250, milliseconds))

    @Slot(bool)
    def _set_watching(self, enabled):
        if enabled == self._use_watcher:
            return
        self._use_watcher = enabled
        self._stop_watching()
        if self._context is not None:
            # Watch (or not) the same roots; the GUI learns which it is.
            self._send_roots(self._context, self._roots, self._roots_message)

    @Slot(object)
    def _set_context(self, context):
        if context.generation != self.latest_generation:
            return
        self._context = context
        self.sig_busy.emit(True)
        try:
            roots, message = self._find_roots(context)
            if context.generation != self.latest_generation:
                return
            self._send_roots(context, roots, message)
            # Re-send everything: the GUI dropped its rows of the old context.
            self._primed.clear()
            self._root_diagnostics.clear()
            for spec in roots:
                if context.generation != self.latest_generation:
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
        watching = self._watch(paths)
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
            if context is None or context.generation != self.latest_generation:
                return
            roots, message = self._find_roots(context)
            if context.generation != self.latest_generation or \
                    tuple(roots) == self._roots:
                return
            self._send_roots(context, roots, message)
            for spec in roots:
                if spec.path not in self._primed:
                    self._refresh_root(spec.path)
        except Exception:  # never let a bad tree kill the worker
            logger.exception("Looking for new log roots failed")
        finally:
            spent_ms = (time.perf_counter() - started) * 1000
            if self._roots_timer is not None:
                self._roots_timer.start(int(max(ROOTS_CHECK_MS,
                                                10 * spent_ms)))

    def _find_roots(self, context):
        """Log roots of ``context`` and a message when there is an issue."""
        from spyder_tblogs.logs import find_log_roots

        hidden = {_norm(p) for p in context.hidden}
        roots = []
        seen = set()
        message = ""
        directory = context.directory
        if directory and context.autodetect:
            if os.path.isdir(directory):
                origin = "auto" if context.is_project else "workdir"
                try:
                    found = find_log_roots(directory,
                                           max_depth=context.max_depth)
                except Exception as error:  # never let a bad tree kill us
                    logger.exception("find_log_roots failed")
                    found = []
                    message = str(error)
                for path in found:
                    path = os.path.abspath(path)
                    if _norm(path) in hidden or _norm(path) in seen:
                        continue
                    seen.add(_norm(path))
                    roots.append(RootSpec(path, origin))
            else:
                message = f"{directory} does not exist or is not a directory"
        for path in context.added:
            path = os.path.abspath(os.path.expanduser(path))
            if _norm(path) in hidden or _norm(path) in seen:
                continue
            seen.add(_norm(path))
            roots.append(RootSpec(path, "added"))
        roots.extend(self._console_cwd_roots(context, roots, hidden))
        roots.sort(key=lambda spec: spec.path)
        return roots, message

    @staticmethod
    def _console_cwd_roots(context, roots, hidden):
        """Roots under the console's working directory that ``roots`` miss.

        Walks the disk, which is why it runs here and not in the GUI.
        """
        from spyder_tblogs.logs.ownership import cwd_log_roots

        if not context.console_cwd:
            return []
        shown = [spec.path for spec in roots]
        try:
            found = cwd_log_roots(context.console_cwd, shown)
        except Exception:  # never let a bad tree kill the worker
            logger.exception("cwd_log_roots failed")
            return []
        return [RootSpec(os.path.abspath(path), "workdir") for path in found
                if _norm(path) not in hidden]

    def _index(self, root):
        index = self._indexes.get(root)
        if index is None:
            from spyder_tblogs.logs import LogIndex

            index = self._indexes[root] = LogIndex(root)
        return index

    @Slot(bool)
    def _refresh_all(self, full=False):
        if self._context is None:
            return
        if full:
            self._primed.clear()
            self._root_diagnostics.clear()
        for root in list(self._indexes) or []:
            if self._context.generation != self.latest_generation:
                return
            self._refresh_root(root)

    @Slot()
    def _poll(self):
        started = time.perf_counter()
        try:
            self._refresh_all(False)
        finally:
            # A poll of a huge tree must not keep a core (and the GIL) busy
            # all the time: wait at least ten times what the poll took.
            spent_ms = (time.perf_counter() - started) * 1000
            if self._poll_timer is not None:
                self._poll_timer.start(int(max(
                    250, self._poll_interval_ms, 10 * spent_ms)))

    @Slot()
    def _refresh_dirty(self):
        with self._dirty_lock:
            dirty, self._dirty = self._dirty, set()
        for root in dirty:
            if root in self._indexes or root in self._watches:
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
        except Exception as error:  # bad input must never reach a traceback
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
            last = number == len(chunks) - 1
            self.sig_batch.emit(RootBatch(
                generation, root, runs=chunk,
                removed=removed if number == 0 else (),
                diagnostics=diagnostics, run_count=run_count, final=last))

    # ---- File watching
    def _watch(self, roots):
        """Watch ``roots`` for changes; False when only polling works."""
        if not self._use_watcher:
            return False
        try:
            from watchdog.observers import Observer
        except Exception:
            return False
        ok = True
        if self._observer is None:
            try:
                self._observer = Observer()
                self._observer.daemon = True
                self._observer.start()
            except Exception:
                logger.info("File watching unavailable; polling only")
                self._observer = None
                return False
        for root in list(self._watches):
            if root not in roots:
                try:
                    self._observer.unschedule(self._watches.pop(root))
                except Exception:
                    pass
        for root in roots:
            if root in self._watches or not os.path.isdir(root):
                continue
            if _has_more_directories(root, WATCH_MAX_DIRECTORIES):
                logger.info("%s has more than %d directories; polling",
                            root, WATCH_MAX_DIRECTORIES)
                ok = False
                continue
            try:
                handler = _WatchHandler(root, self._dirty, self._dirty_lock)
                self._watches[root] = self._schedule(handler, root)
            except Exception as error:
                # Typically the inotify watch limit; polling still works.
                logger.info("Cannot watch %s (%s); polling", root, error)
                ok = False
        return ok

    def _schedule(self, handler, root):
        """Watch ``root`` for writes only.

        Without a filter inotify also reports every open and close, including
        our own reads: on a large tree that floods the kernel queue and keeps
        the watcher thread (and the GIL) busy for nothing.
        """
        try:
            from watchdog.events import (
                DirCreatedEvent, DirDeletedEvent, DirMovedEvent,
                FileClosedEvent, FileCreatedEvent, FileDeletedEvent,
                FileModifiedEvent, FileMovedEvent)
            event_filter = [
                DirCreatedEvent, DirDeletedEvent, DirMovedEvent,
                FileClosedEvent, FileCreatedEvent, FileDeletedEvent,
                FileModifiedEvent, FileMovedEvent]
            return self._observer.schedule(handler, root, recursive=True,
                                           event_filter=event_filter)
        except TypeError:
            # watchdog < 4 has no event_filter.
            return self._observer.schedule(handler, root, recursive=True)

    def _stop_watching(self):
        if self._observer is not None:
            try:
                self._observer.unschedule_all()
                self._observer.stop()
                self._observer.join(timeout=5)
            except Exception:
                pass
            self._observer = None
        self._watches.clear()


# ---- TensorBoard processes
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class StartRequest:
    """Everything needed to start or reuse a TensorBoard instance.

    Attributes
    ----------
    logdir : str
        Directory to serve.
    python : str or None
        Interpreter to use; None to pick the first of ``candidates`` that
        can import tensorboard.
    candidates : tuple of str
        Interpreters to try when ``python`` is None.
    host : str
        Address to bind.
    port : int or None
        Fixed port, or None for an automatic one.
    extra_args : tuple of str
        Extra command-line arguments.
    """

    logdir: str
    python: Optional[str] = None
    candidates: tuple = ()
    host: str = "127.0.0.1"
    port: Optional[int] = None
    extra_args: tuple = field(default_factory=tuple)


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
        self._sig_start.connect(self._start)
        self._sig_stop.connect(self._stop)
        self._sig_list.connect(self._list)
        self.sig_teardown_requested.connect(self._teardown)

    @property
    def manager(self):
        """The process manager (created on first use)."""
        if self._manager is None:
            from spyder_tblogs.tensorboard import TensorBoardManager

            self._manager = TensorBoardManager(self._registry_dir)
        return self._manager

    # ---- API for the GUI thread
    def request_start(self, request: StartRequest):
        self._sig_start.emit(request)

    def request_stop(self, target):
        """Stop an instance given by instance, pid or logdir."""
        self._sig_stop.emit(target)

    def request_list(self):
        self._sig_list.emit()

    def stop_started_blocking(self):
        """Stop the instances this worker started, those still starting too.

        Called from the GUI thread when Spyder closes: the manager is
        thread-safe, and a start waiting in the worker thread then ends.
        """
        if self._manager is not None:
            try:
                self._manager.stop_started()
            except Exception:
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
            from spyder_tblogs.tensorboard import (
                TensorBoardError, find_interpreter)
        except Exception as error:
            self.sig_failed.emit(request, str(error), "")
            return
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
                host=request.host, extra_args=tuple(request.extra_args))
        except TensorBoardError as error:
            self.sig_failed.emit(request, getattr(error, "message", str(error)),
                                 getattr(error, "stderr_tail", "") or "")
            return
        except Exception as error:
            logger.exception("Starting TensorBoard failed")
            self.sig_failed.emit(request, f"{type(error).__name__}: {error}",
                                 "")
            return
        self.sig_started.emit(request, instance)
        self._list()

    @Slot(object)
    def _stop(self, target):
        logdir = target if isinstance(target, str) else getattr(
            target, "logdir", str(target))
        try:
            pids = self.manager.stop(target)
        except Exception:
            logger.exception("Stopping TensorBoard failed")
            pids = []
        self.sig_stopped.emit(logdir, pids)
        self._list()

    @Slot()
    def _list(self):
        try:
            self.sig_instances.emit(list(self.manager.list()))
        except Exception:
            logger.exception("Listing TensorBoard instances failed")

    @Slot()
    def _poll(self):
        if self._manager is None:
            return
        try:
            exited = self._manager.poll_exited()
        except Exception:
            logger.exception("Polling TensorBoard instances failed")
            return
        for instance, code, tail in exited:
            self.sig_exited.emit(instance, code, tail or "")
        if exited:
            self._list()
