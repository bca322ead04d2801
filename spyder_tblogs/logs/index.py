"""The log index: runs, event files, tags and diagnostics of a log directory.

:class:`LogIndex` keeps one :class:`~spyder_tblogs.logs.reader.FileState`
per event file (in a :class:`~spyder_tblogs.logs.state_store.StateStore`,
pickled between refreshes).
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
from spyder_tblogs.logs.discovery import discover_runs, iter_files
from spyder_tblogs.logs.info import (
    IndexUpdate, RunInfo, flat_hparams,
)
from spyder_tblogs.logs.records import HEADER_SIZE
from spyder_tblogs.logs.remote import RemoteLogdir, is_remote, remote_errors
from spyder_tblogs.logs.merge import merge_tags
from spyder_tblogs.logs.reader import bytes_at, read_event_file
from spyder_tblogs.logs.rows import (
    FILE_NAME, FILE_PATH, FILE_SIZE, REST_LAST_CHANGE, REST_MAY_GO_STALE,
)
from spyder_tblogs.logs.state_store import StateStore, at_rest, rest_summary

__all__ = ["LogIndex", "PARALLEL_MIN_BYTES"]

logger = logging.getLogger(__name__)

# Below this many unread bytes, starting worker processes costs more than
# it saves.
PARALLEL_MIN_BYTES = 32 * 1024 * 1024


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
    :mod:`spyder_tblogs.logs.reader_processes` (never ``fork``): safe
    inside threaded (Qt) applications, and they never re-import the
    caller's ``__main__``.
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
        # Per event file: its FileState, and what its name says. (The
        # remote reader checks for rewrites itself.)
        self._store = (StateStore(bytes_at, check_tail=True)
                       if self._remote is None else
                       StateStore(self._remote.bytes_at, check_tail=False))
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
            to_read, touched = self._store.match(discovery, now)
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
            self._store.rest_all()

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
            to_read, touched = self._store.match(discovery, now)
            if touched:
                self._read(to_read, discovery)
        except remote_errors() as error:
            self.diagnostics = (remote_diagnostic(
                self.logdir, self._remote.endpoint, error),)
            self._store.rest_all()
            self._quiet_until = 0.0   # republish once it answers again
            return IndexUpdate((), (), ())
        self.diagnostics = ()
        try:
            if not touched and now < self._quiet_until:
                return IndexUpdate((), (), ())
            return self._publish(discovery.runs, discovery.paths, now)
        finally:
            self._store.rest_all()

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

    def _worker_count(self, to_read, files):
        if len(to_read) < 2:
            return 1
        if self.workers is not None:
            return max(1, min(self.workers, len(to_read)))
        unread = 0
        for path in to_read:
            state = self._store.states[path]  # None (new) or a woken state
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
            states = [self._store.state_of(path, files[path])
                      for path in to_read]
            for state in self._remote.read_many(states):
                if state.error_offset is not None:
                    state.error_bytes = self._remote.bytes_at(
                        state.path, state.error_offset, HEADER_SIZE)
            return set()
        if len(to_read) < 2 or self.workers == 1:
            return wanted
        files = {file[FILE_PATH]: file
                 for run_files in discovery.runs.values()
                 for file in iter_files(run_files)
                 if file[FILE_PATH] in wanted}
        workers = self._worker_count(to_read, files)
        if workers > 1:
            states = [self._store.state_of(path, files[path])
                      for path in to_read]
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
        from spyder_tblogs.logs.reader_processes import read_in_processes
        for state in read_in_processes(to_read, workers):
            self._store.states[state.path] = state

    def _file_signature(self, state, now):
        """What of a file's state (awake or at rest) its run's snapshot is
        built from."""
        if type(state) is not tuple:
            state = rest_summary(state)
        # Only files that may turn into a diagnostic when they go quiet
        # (partial tail, no data yet) change with time.
        stale = False
        if state[REST_MAY_GO_STALE]:
            stale = now - state[REST_LAST_CHANGE] > STALE_AFTER_SECONDS
            if not stale:
                self._quiet_until = min(
                    self._quiet_until,
                    state[REST_LAST_CHANGE] + STALE_AFTER_SECONDS)
        return state[:REST_MAY_GO_STALE] + (stale,)

    def _publish(self, discovered, paths, now, pending=frozenset()):
        """Read the ``pending`` paths, rebuild the snapshots of changed runs
        and swap them in."""
        self._quiet_until = math.inf
        runs = {}
        signatures = {}
        added, changed = [], []
        store = self._store
        states = store.states
        for name, file_values in discovered.items():
            run_path = paths[name]
            files = tuple(iter_files(file_values))
            woken = []
            if pending:
                for file in files:
                    path = file[FILE_PATH]
                    if path in pending:
                        woken.append(path)
                        read_event_file(store.state_of(path, file))
            # One flat tuple of fixed-width parts: a tuple of tuples would
            # reach the collector's oldest generation still tracked.
            signature = (run_path,) + tuple(
                value for file in files
                for value in self._file_signature(states[file[FILE_PATH]],
                                                  now))
            previous = self._runs.get(name)
            previous_signature = self._signatures.get(name)
            if previous is not None and previous_signature == signature:
                # Keep the old objects so that the new ones die young: a
                # poll that changes nothing leaves no new long-lived objects.
                runs[name] = previous
                signature = previous_signature
            else:
                named_states = [(file[FILE_NAME], store.wake(file[FILE_PATH]))
                                for file in files]
                runs[name] = self._snapshot(name, run_path, named_states, now)
                (changed if previous is not None else added).append(name)
                woken = [file[FILE_PATH] for file in files]
            signatures[name] = signature
            for path in woken:
                state = states[path]
                if type(state) is not tuple:
                    states[path] = at_rest(state)
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
        host, pid, created, suffix = self._store.names[state.path]
        first_step, last_step = state.step_range
        return (name, state.path, state.size, state.mtime, host, pid, created,
                suffix, state.events, first_step, last_step,
                state.first_wall_time, state.last_wall_time,
                state.corrupt_records, state.partial_tail_bytes, state.error,
                state.undecodable_records)

