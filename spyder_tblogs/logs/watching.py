"""File watching of log roots with watchdog (Qt-free, any thread).

The index worker asks which roots changed since it last looked; polling
covers what cannot be watched (network drives, huge trees, the inotify
limit).
"""

from __future__ import annotations

import logging
import os
import threading

logger = logging.getLogger(__name__)

# Roots with more directories than this are polled, not watched: inotify
# needs one watch per directory (the default per-user limit is often 8192)
# and watchdog keeps two Python objects per watch. With 10,000 runs those
# 40,000 objects made every full garbage collection of Spyder's process
# about 30 ms longer, a freeze of the whole window each time.
WATCH_MAX_DIRECTORIES = 4096


def has_more_directories(root, limit):
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


class _ChangeHandler:
    """watchdog handler that marks its root as changed (watchdog's thread)."""

    # Reading files ourselves produces opened/closed-without-write events;
    # reacting to those would refresh forever.
    IGNORED = ("opened", "closed_no_write")

    def __init__(self, root, watcher):
        self._root = root
        self._watcher = watcher

    def dispatch(self, event):
        if event.event_type not in self.IGNORED:
            self._watcher.mark_changed(self._root)


class RootWatcher:
    """Watch log roots for writes; tell which changed since last asked."""

    def __init__(self):
        self._observer = None
        self._watches = {}          # root -> watchdog ObservedWatch
        self._changed = set()
        self._lock = threading.Lock()

    def mark_changed(self, root):
        """Record a change under ``root`` (called from watchdog's thread)."""
        with self._lock:
            self._changed.add(root)

    def take_changed(self) -> set:
        """Roots changed since the last call."""
        with self._lock:
            changed, self._changed = self._changed, set()
        return changed

    def watched_roots(self) -> tuple:
        """The roots being watched."""
        return tuple(self._watches)

    def is_watched(self, root) -> bool:
        """Whether ``root`` is being watched."""
        return root in self._watches

    def watch(self, roots) -> bool:
        """Watch exactly ``roots``; False when some can only be polled."""
        try:
            from watchdog.observers import Observer
        except ImportError:
            return False
        if self._observer is None:
            try:
                self._observer = Observer()
                self._observer.daemon = True
                self._observer.start()
            except OSError:
                logger.info("File watching unavailable; polling only")
                self._observer = None
                return False
        for root in list(self._watches):
            if root not in roots:
                try:
                    self._observer.unschedule(self._watches.pop(root))
                except KeyError:    # watchdog dropped it (root deleted)
                    pass
        complete = True
        for root in roots:
            if root in self._watches or not os.path.isdir(root):
                continue
            if has_more_directories(root, WATCH_MAX_DIRECTORIES):
                logger.info("%s has more than %d directories; polling",
                            root, WATCH_MAX_DIRECTORIES)
                complete = False
                continue
            try:
                self._watches[root] = self._schedule(
                    _ChangeHandler(root, self), root)
            except OSError as error:
                # Typically the inotify watch limit; polling still works.
                logger.info("Cannot watch %s (%s); polling", root, error)
                complete = False
        return complete

    def _schedule(self, handler, root):
        """Watch ``root`` for writes only.

        Without a filter inotify also reports every open and close, including
        our own reads: on a large tree that floods the kernel queue and keeps
        the watcher thread (and the GIL) busy for nothing.
        """
        from watchdog.events import (
            DirCreatedEvent, DirDeletedEvent, DirMovedEvent, FileClosedEvent,
            FileCreatedEvent, FileDeletedEvent, FileModifiedEvent,
            FileMovedEvent)

        event_filter = [
            DirCreatedEvent, DirDeletedEvent, DirMovedEvent, FileClosedEvent,
            FileCreatedEvent, FileDeletedEvent, FileModifiedEvent,
            FileMovedEvent]
        try:
            return self._observer.schedule(handler, root, recursive=True,
                                           event_filter=event_filter)
        except TypeError:
            # watchdog < 4 has no event_filter.
            return self._observer.schedule(handler, root, recursive=True)

    def stop(self):
        """Stop watching everything (the observer thread ends)."""
        if self._observer is not None:
            try:
                self._observer.unschedule_all()
                self._observer.stop()
                self._observer.join(timeout=5)
            except (OSError, RuntimeError):   # its thread already ended
                logger.debug("Stopping the file watcher", exc_info=True)
            self._observer = None
        self._watches.clear()
