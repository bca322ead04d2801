"""The log index: runs, event files, tags and diagnostics of a log directory.

:class:`LogIndex` keeps one :class:`~spyder_tblogs.logs.reader.FileState`
per event file (pickled between refreshes, see ``_rest``).
:meth:`LogIndex.refresh` rediscovers the runs, reads only
the bytes appended since the last refresh (in worker processes when there
is a lot to read) and rebuilds the immutable :class:`RunInfo` snapshots of
the runs that changed.
"""

import logging
import math
import os
import pickle
import time

from spyder_tblogs.logs.diagnostics import (
    STALE_AFTER_SECONDS, logdir_diagnostics, remote_diagnostic,
    run_diagnostics,
)
from spyder_tblogs.logs.discovery import (
    FILE_DEVICE, FILE_INODE, FILE_MTIME, FILE_NAME, FILE_PATH, FILE_SIZE,
    discover_runs, iter_files,
)
from spyder_tblogs.logs.filenames import parse_event_file_name
from spyder_tblogs.logs.info import (
    IndexUpdate, RunInfo, flat_hparams,
)
from spyder_tblogs.logs.records import HEADER_SIZE
from spyder_tblogs.logs.remote import RemoteLogdir, is_remote, remote_errors
from spyder_tblogs.logs.merge import merge_tags
from spyder_tblogs.logs.reader import FileState, bytes_at, read_event_file

__all__ = ["LogIndex", "PARALLEL_MIN_BYTES"]

logger = logging.getLogger(__name__)

# Below this many unread bytes, starting worker processes costs more than
# it saves.
PARALLEL_MIN_BYTES = 32 * 1024 * 1024


# A file state at rest between refreshes: the fields a refresh compares, then
# the pickled FileState. A flat tuple of plain values and bytes is skipped by
# Python's garbage collector, whereas a FileState with its dict of tag lists
# is three or more containers that every full collection walks: with 10,000
# runs that was a visible freeze of a GUI holding the index. (Flat: the
# collector untracks one level of nested tuples per collection.)
(_REST_PATH, _REST_DEVICE, _REST_INODE, _REST_SIZE, _REST_MTIME, _REST_OFFSET,
 _REST_SIZE_READ, _REST_EVENTS, _REST_CORRUPT, _REST_UNDECODABLE, _REST_ERROR,
 _REST_ERROR_OFFSET, _REST_ERROR_BYTES, _REST_LAST_CHANGE, _REST_MAY_GO_STALE,
 _REST_PICKLE) = range(16)


def _rest(state):
    """The resting tuple of a :class:`FileState`."""
    return _summary(state) + (pickle.dumps(state, pickle.HIGHEST_PROTOCOL),)


def _summary(state):
    """The resting tuple of a :class:`FileState` without the pickle."""
    device, inode = state.identity or (None, None)
    return (state.path, device, inode, state.size, state.mtime, state.offset,
            state.size_read, state.events, state.corrupt_records,
            state.undecodable_records, state.error, state.error_offset,
            state.error_bytes, state.last_change,
            # Files that may turn into a diagnostic when they go quiet
            # (partial tail, no data yet) change with time.
            bool(state.partial_tail_bytes or not state.data_events))


def _available_cpus():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class LogIndex:
    """Incremental index of a TensorBoard log directory.

    Parameters
    ----------
    logdir : str
        The log directory (the one you would pass to ``tensorboard
        --logdir``).
    workers : int or None
        Processes used to read event files. ``None`` chooses: in-process
        unless there is more than 32 MB to read in more than one file,
        then one process per CPU. ``1`` always reads in-process.

    Notes
    -----
    Call :meth:`refresh` from one thread at a time. The snapshots returned
    by :meth:`runs` and :meth:`run` are immutable and can be handed to
    other threads. Worker processes are fresh interpreters running
    :mod:`spyder_tblogs.logs.worker` (never ``fork``): safe inside threaded
    (Qt) applications, and they never re-import the caller's ``__main__``.
    """

    def __init__(self, logdir, *, workers=None):
        logdir = os.fspath(logdir)
        if is_remote(logdir):
            self._remote = RemoteLogdir(logdir)
            self.logdir = self._remote.url
        else:
            self._remote = None
            self.logdir = os.path.abspath(os.path.expanduser(logdir))
        self.workers = workers
        self.diagnostics = ()
        # Event-file path -> FileState while a refresh runs, its resting
        # tuple (see ``_rest``) between refreshes.
        self._states = {}
        # Event-file path -> (host, pid, created, suffix) parsed from the name:
        # a tuple of plain values, which the garbage collector skips.
        self._names = {}
        # Run name -> its RunInfo as a flat tuple (``RunInfo.row``), which
        # the garbage collector skips; RunInfo objects are made when asked.
        self._runs = {}
        self._signatures = {}     # run name -> what the snapshot was built from
        # Directory listings of the last walk, reused where a directory has
        # not changed (see ``discover_runs``).
        self._listings = {}
        # Until then (time.time()), a refresh that finds no file changed has
        # nothing to publish: the earliest moment a quiet file turns into a
        # diagnostic by age alone (see ``_file_signature``).
        self._quiet_until = 0.0

    # -- Public API ---------------------------------------------------------
    def runs(self):
        """Return the runs (:class:`RunInfo`), sorted by name."""
        return tuple(RunInfo.from_row(row) for row in self.run_rows())

    def run(self, name):
        """Return the run called ``name`` (:class:`RunInfo`), or ``None``."""
        row = self._runs.get(name)
        return None if row is None else RunInfo.from_row(row)

    def run_rows(self, names=None):
        """Return runs as plain tuples (``RunInfo.row``), sorted by name.

        Parameters
        ----------
        names : iterable of str, optional
            Only these runs (unknown names are left out), in this order.

        Notes
        -----
        The form to hand thousands of runs to another thread: a tuple of
        plain values is not walked by the garbage collector, a RunInfo is.
        """
        runs = self._runs
        if names is None:
            return tuple(runs[name] for name in sorted(runs))
        return tuple(runs[name] for name in names if name in runs)

    def __len__(self):
        """Number of runs."""
        return len(self._runs)

    def to_dict(self):
        """Return the index in the ``scan --json`` shape."""
        return {"logdir": self.logdir,
                "runs": [run.to_dict() for run in self.runs()]}

    def refresh(self):
        """Rediscover runs and read what was appended since the last refresh.

        Returns
        -------
        IndexUpdate
            Names of the runs added, changed and removed.

        Notes
        -----
        Never raises for bad input: a missing or unreadable log directory,
        unreadable or damaged files become diagnostics.
        """
        now = time.time()
        if self._remote is not None:
            return self._refresh_remote(now)
        problem = self._logdir_problem()
        if problem is not None:
            self.diagnostics = logdir_diagnostics(self.logdir, problem)
            self._listings = {}
            update = self._publish({}, {}, now)
            self._quiet_until = 0.0   # the runs come back in full
            return update
        discovery = discover_runs(self.logdir, self._listings)
        self._listings = discovery.listings
        self.diagnostics = logdir_diagnostics(
            self.logdir, None, discovery.unreadable, discovery.loops)
        try:
            to_read, touched = self._files_to_read(discovery, now)
            if not touched and now < self._quiet_until:
                # The common poll: same files, same sizes and times. Runs are
                # a function of their files' paths, so none changed either;
                # skip the pass over every run (pure Python that a GUI thread
                # waiting for the GIL would feel with 10,000 runs).
                return IndexUpdate((), (), ())
            pending = self._read(to_read, discovery)
            return self._publish(discovery.runs, discovery.paths, now,
                                 pending)
        finally:
            self._rest_states()

    @property
    def remote(self):
        """The :class:`RemoteLogdir` of a URL, with its request counters
        (``None`` for a local directory)."""
        return self._remote

    def _refresh_remote(self, now):
        """A refresh of a URL: the same steps, over a listing and ranged
        reads. A refusal or an outage keeps the runs as last read and says
        why; it never raises."""
        try:
            discovery = self._remote.discover()
            to_read, touched = self._files_to_read(discovery, now)
            if touched:
                self._read(to_read, discovery)
        except remote_errors() as error:
            self.diagnostics = (remote_diagnostic(
                self.logdir, self._remote.endpoint, error),)
            self._rest_states()
            self._quiet_until = 0.0   # republish once it answers again
            return IndexUpdate((), (), ())
        self.diagnostics = ()
        try:
            if not touched and now < self._quiet_until:
                return IndexUpdate((), (), ())
            return self._publish(discovery.runs, discovery.paths, now)
        finally:
            self._rest_states()

    # -- Steps of a refresh -----------------------------------------------
    def _logdir_problem(self):
        try:
            if not os.path.exists(self.logdir):
                return "does not exist"
            if not os.path.isdir(self.logdir):
                return "is not a directory"
            os.scandir(self.logdir).close()
        except PermissionError:
            return "cannot be read (permission denied)"
        except OSError as error:
            return "cannot be read (%s)" % (error.strerror or error)
        return None

    def _files_to_read(self, discovery, now):
        """Match discovered files with their states.

        Returns ``(to_read, touched)``: the paths of the files to read, and
        whether any file is new, gone or not exactly as the last refresh
        left it. A new file's state is ``None`` until it is read (see
        ``_state_of``): 10,000 new files are not 30,000 objects at once.
        """
        to_read = []
        seen = 0
        touched = False
        get = self._states.get
        unchanged = _unchanged_at_rest
        for files in discovery.runs.values():
            for file in iter_files(files):
                path = file[FILE_PATH]
                seen += 1
                state = get(path)
                if type(state) is tuple:
                    if unchanged(state, file) and not self._repaired(state):
                        continue
                    state = self._wake(path)
                touched = True
                if path not in self._states:
                    self._states[path] = None
                    parts = parse_event_file_name(path)
                    self._names[path] = (parts.host, parts.pid,
                                         parts.created, parts.suffix)
                    to_read.append(path)
                    continue
                if state is None:
                    # New at the last refresh and never read (it failed).
                    to_read.append(path)
                    continue
                identity = (file[FILE_DEVICE], file[FILE_INODE])
                size, mtime = file[FILE_SIZE], file[FILE_MTIME]
                resumed = False
                replaced = (identity != state.identity
                            or size < max(state.size, state.offset))
                if not replaced and state.error_offset is not None:
                    # Bad framing: once the file changes there (repaired
                    # in place, or written on), read on from the last
                    # good offset.
                    resumed = (size != state.size or mtime != state.mtime
                               or self._bytes_at(path, state.error_offset)
                               != state.error_bytes)
                    if resumed:
                        state.clear_error()
                elif ((size != state.size or mtime != state.mtime)
                      and state.offset and self._remote is None
                      and self._bytes_at(path, state.offset - len(state.tail),
                                         len(state.tail)) != state.tail):
                    # Rewritten, not appended to. A changed mtime alone is
                    # not enough: NTFS may move it long after the bytes.
                    # (A remote object's reader checks this in its read.)
                    replaced = True
                if size > state.size:
                    state.grew_at = now
                if replaced:
                    state.reset()
                elif state.error is not None and state.error_offset is None:
                    # An I/O error (permissions) may have been fixed.
                    state.reset()
                    replaced = True
                fresh = replaced or resumed or size != state.size
                state.identity = identity
                state.size = size
                state.mtime = mtime
                if fresh and state.error is None:
                    to_read.append(path)
        # Every file seen has a state now: fewer seen than states means
        # some are gone.
        if seen != len(self._states):
            touched = True
            present = {file[FILE_PATH] for files in discovery.runs.values()
                       for file in iter_files(files)}
            for path in set(self._states) - present:
                del self._states[path]
                del self._names[path]
        return to_read, touched

    def _worker_count(self, to_read, files):
        if len(to_read) < 2:
            return 1
        if self.workers is not None:
            return max(1, min(self.workers, len(to_read)))
        unread = 0
        for path in to_read:
            state = self._states[path]      # None (new) or a woken state
            unread += (files[path][FILE_SIZE] if state is None
                       else max(0, state.size - state.offset))
        if unread < PARALLEL_MIN_BYTES:
            return 1
        return max(1, min(_available_cpus(), len(to_read)))

    def _read(self, to_read, discovery):
        """Read ``to_read`` in worker processes when that pays.

        Returns the paths left to read in this process: ``_publish`` reads
        them run by run and puts each run's states to rest at once, so that
        a first refresh of 10,000 runs never holds all their states.
        """
        wanted = set(to_read)
        if self._remote is not None:
            files = {file[FILE_PATH]: file
                     for run_files in discovery.runs.values()
                     for file in iter_files(run_files)
                     if file[FILE_PATH] in wanted}
            states = [self._state_of(path, files[path]) for path in to_read]
            for state in self._remote.read_many(states):
                if state.error_offset is not None:
                    state.error_bytes = self._bytes_at(state.path,
                                                       state.error_offset)
            return set()
        if len(to_read) < 2 or self.workers == 1:
            return wanted
        files = {file[FILE_PATH]: file
                 for run_files in discovery.runs.values()
                 for file in iter_files(run_files)
                 if file[FILE_PATH] in wanted}
        workers = self._worker_count(to_read, files)
        if workers > 1:
            states = [self._state_of(path, files[path]) for path in to_read]
            try:
                self._read_in_processes(states, workers)
                return set()
            except (RuntimeError, OSError, EOFError,
                    pickle.UnpicklingError):
                # A worker that died, could not start or answered garbage:
                # read in this process instead of losing the refresh.
                logger.exception("worker processes failed; reading in-process")
        return wanted

    def _read_in_processes(self, to_read, workers):
        # Imported here: the worker module is also the workers' entry point
        # (``python -m``), which must not find it imported by the package.
        from spyder_tblogs.logs.worker import read_in_processes
        for state in read_in_processes(to_read, workers):
            self._states[state.path] = state

    def _bytes_at(self, path, offset, count=HEADER_SIZE):
        if self._remote is not None:
            return self._remote.bytes_at(path, offset, count)
        return bytes_at(path, offset, count)

    def _repaired(self, rest):
        """Whether the bytes where framing failed changed since (a repair
        that kept the file's size and times)."""
        offset = rest[_REST_ERROR_OFFSET]
        return (offset is not None and self._bytes_at(rest[_REST_PATH], offset)
                != rest[_REST_ERROR_BYTES])

    def _wake(self, path):
        """The FileState of ``path``, unpickled if it was at rest."""
        state = self._states[path]
        if type(state) is tuple:
            state = self._states[path] = pickle.loads(state[_REST_PICKLE])
        return state

    def _state_of(self, path, file):
        """The FileState of ``path``, made from ``file`` (as discovered) if
        the file is new."""
        state = self._wake(path)
        if state is None:
            state = self._states[path] = FileState(path)
            state.identity = (file[FILE_DEVICE], file[FILE_INODE])
            state.size = file[FILE_SIZE]
            state.mtime = file[FILE_MTIME]
        return state

    def _rest_states(self):
        """Put every FileState to rest until the next refresh (what
        ``_publish`` did not already)."""
        states = self._states
        for path, state in states.items():
            if state is not None and type(state) is not tuple:
                states[path] = _rest(state)

    def _file_signature(self, path, now):
        state = self._states[path]
        if type(state) is not tuple:
            state = _summary(state)
        # Only files that may turn into a diagnostic when they go quiet
        # (partial tail, no data yet) change with time.
        stale = False
        if state[_REST_MAY_GO_STALE]:
            stale = now - state[_REST_LAST_CHANGE] > STALE_AFTER_SECONDS
            if not stale:
                self._quiet_until = min(
                    self._quiet_until,
                    state[_REST_LAST_CHANGE] + STALE_AFTER_SECONDS)
        return state[:_REST_MAY_GO_STALE] + (stale,)

    def _publish(self, discovered, paths, now, pending=frozenset()):
        """Read the ``pending`` paths, rebuild the snapshots of changed runs
        and swap them in."""
        self._quiet_until = math.inf
        runs = {}
        signatures = {}
        added, changed = [], []
        states = self._states
        for name, file_values in discovered.items():
            run_path = paths[name]
            files = tuple(iter_files(file_values))
            woken = []
            if pending:
                for file in files:
                    path = file[FILE_PATH]
                    if path in pending:
                        woken.append(path)
                        read_event_file(self._state_of(path, file))
            # One flat tuple of fixed-width parts: a tuple of tuples would
            # reach the collector's oldest generation still tracked.
            signature = (run_path,) + tuple(
                value for file in files
                for value in self._file_signature(file[FILE_PATH], now))
            previous = self._runs.get(name)
            previous_signature = self._signatures.get(name)
            if previous is not None and previous_signature == signature:
                # Keep the old objects so that the new ones die young: a
                # poll that changes nothing leaves no new long-lived objects.
                runs[name] = previous
                signature = previous_signature
            else:
                named_states = [(file[FILE_NAME], self._wake(file[FILE_PATH]))
                                for file in files]
                runs[name] = self._snapshot(name, run_path, named_states, now)
                (changed if previous is not None else added).append(name)
                woken = [file[FILE_PATH] for file in files]
            signatures[name] = signature
            for path in woken:
                state = states[path]
                if type(state) is not tuple:
                    states[path] = _rest(state)
        removed = sorted(set(self._runs) - set(runs))
        self._runs = runs
        self._signatures = signatures
        return IndexUpdate(tuple(sorted(added)), tuple(sorted(changed)),
                           tuple(removed))

    def _snapshot(self, name, path, files, now):
        """The ``RunInfo.row`` of a run from its ``(file name, FileState)``."""
        # One flat tuple (see RunInfo's notes on nested tuples).
        hparams = {}
        for _, state in files:      # in load order: the last file wins
            hparams.update(state.hparams)
        row = [name, path, tuple(run_diagnostics(name, files, now)),
               max((state.last_change for _, state in files), default=0.0),
               flat_hparams(hparams), len(files)]
        for file_name, state in files:
            row += self._file_row(file_name, state)
        row += merge_tags(files)
        return tuple(row)

    def _file_row(self, name, state):
        """The fields of the :class:`EventFileInfo` of a file, in order."""
        host, pid, created, suffix = self._names[state.path]
        first_step, last_step = state.step_range
        return (name, state.path, state.size, state.mtime, host, pid, created,
                suffix, state.events, first_step, last_step,
                state.first_wall_time, state.last_wall_time,
                state.corrupt_records, state.partial_tail_bytes, state.error,
                state.undecodable_records)


def _unchanged_at_rest(rest, file):
    """Whether a refresh has nothing to do for a file at rest.

    True exactly when the checks of ``_files_to_read`` would neither reset
    nor read the file, given what discovery found (``file``). (Its offset
    is at most the size it had, so an equal size is never a shrink.)
    """
    return (file[FILE_SIZE] == rest[_REST_SIZE]
            and file[FILE_MTIME] == rest[_REST_MTIME]
            and file[FILE_INODE] == rest[_REST_INODE]
            and file[FILE_DEVICE] == rest[_REST_DEVICE]
            # An I/O error is retried; a corrupt length is final.
            and (rest[_REST_ERROR] is None
                 or rest[_REST_ERROR_OFFSET] is not None))
