"""The per-file reading state of a log directory, and what a refresh reads.

:class:`StateStore` keeps a :class:`~spyder_tblogs.logs.file_state.FileState`
per event file. Between refreshes each one is at rest: a flat tuple of the
fields a refresh compares, then the pickled FileState
(:data:`~spyder_tblogs.logs.rows.REST_FIELDS`). A flat tuple of plain values
and bytes is skipped by Python's garbage collector, whereas a FileState with
its dict of tag lists is three or more containers that every full collection
walks: with 10,000 runs that was a visible freeze of a GUI holding the index.
(Flat: the collector untracks one level of nested tuples per collection.)

:meth:`StateStore.match` compares what discovery found with those states and
says which files to read: new, grown, replaced, rewritten in place or
repaired where their framing broke.
"""

import pickle

from spyder_tblogs.logs.file_state import FileState
from spyder_tblogs.logs.filenames import parse_event_file_name
from spyder_tblogs.logs.records import HEADER_SIZE
from spyder_tblogs.logs.discovery import iter_files
from spyder_tblogs.logs.rows import (
    FILE_DEVICE, FILE_INODE, FILE_MTIME, FILE_PATH, FILE_SIZE, REST_DEVICE,
    REST_ERROR, REST_ERROR_BYTES, REST_ERROR_OFFSET, REST_INODE, REST_MTIME,
    REST_PATH, REST_PICKLE, REST_SIZE,
)

__all__ = ["StateStore", "at_rest", "rest_summary"]


def at_rest(state):
    """The resting tuple of a :class:`FileState`."""
    return rest_summary(state) + (
        pickle.dumps(state, pickle.HIGHEST_PROTOCOL),)


def rest_summary(state):
    """The resting tuple of a :class:`FileState` without the pickle."""
    device, inode = state.identity or (None, None)
    return (state.path, device, inode, state.size, state.mtime, state.offset,
            state.size_read, state.events, state.corrupt_records,
            state.undecodable_records, state.error, state.error_offset,
            state.error_bytes, state.last_change,
            # Files that may turn into a diagnostic when they go quiet
            # (partial tail, no data yet) change with time.
            bool(state.partial_tail_bytes or not state.data_events))


class StateStore:
    """The FileStates of one log directory's event files.

    Parameters
    ----------
    bytes_at : callable
        ``bytes_at(path, offset, count)``: a file's bytes there, or ``None``
        (local or ranged remote reads).
    check_tail : bool
        Whether a changed file's bytes before the read offset are compared
        to tell a rewrite from an append (a remote object's reader checks
        this in its read instead).

    Attributes
    ----------
    states : dict
        Event-file path -> ``None`` (new, not read yet), a FileState while a
        refresh runs, its resting tuple (see :func:`at_rest`) between them.
    names : dict
        Event-file path -> what its name says
        (:data:`~spyder_tblogs.logs.rows.NAME_PART_FIELDS`): a tuple of
        plain values, which the garbage collector skips.
    """

    def __init__(self, bytes_at, check_tail):
        self.states = {}
        self.names = {}
        self._bytes_at = bytes_at
        self._check_tail = check_tail

    def wake(self, path):
        """The FileState of ``path``, unpickled if it was at rest."""
        state = self.states[path]
        if type(state) is tuple:
            state = self.states[path] = pickle.loads(state[REST_PICKLE])
        return state

    def state_of(self, path, file):
        """The FileState of ``path``, made from ``file`` (as discovered) if
        the file is new."""
        state = self.wake(path)
        if state is None:
            state = self.states[path] = FileState(path)
            state.identity = (file[FILE_DEVICE], file[FILE_INODE])
            state.size = file[FILE_SIZE]
            state.mtime = file[FILE_MTIME]
        return state

    def rest_all(self):
        """Put every awake FileState to rest until the next refresh."""
        states = self.states
        for path, state in states.items():
            if state is not None and type(state) is not tuple:
                states[path] = at_rest(state)

    def match(self, discovery, now):
        """Match discovered files with their states.

        Returns ``(to_read, touched)``: the paths of the files to read, and
        whether any file is new, gone or not exactly as the last refresh
        left it. A new file's state is ``None`` until it is read (see
        :meth:`state_of`): 10,000 new files are not 30,000 objects at once.
        """
        to_read = []
        seen = 0
        touched = False
        states = self.states
        get = states.get
        unchanged = _unchanged_at_rest
        for files in discovery.runs.values():
            for file in iter_files(files):
                path = file[FILE_PATH]
                seen += 1
                state = get(path)
                if type(state) is tuple:
                    if unchanged(state, file) and not self._repaired(state):
                        continue
                    state = self.wake(path)
                touched = True
                if path not in states:
                    states[path] = None
                    parts = parse_event_file_name(path)
                    self.names[path] = (parts.host, parts.pid,
                                        parts.created, parts.suffix)
                    to_read.append(path)
                    continue
                if state is None:
                    # New at the last refresh and never read (it failed).
                    to_read.append(path)
                    continue
                if self._update(state, file, now):
                    to_read.append(path)
        # Every file seen has a state now: fewer seen than states means
        # some are gone.
        if seen != len(states):
            touched = True
            present = {file[FILE_PATH] for files in discovery.runs.values()
                       for file in iter_files(files)}
            for path in set(states) - present:
                del states[path]
                del self.names[path]
        return to_read, touched

    def _update(self, state, file, now):
        """Bring an awake ``state`` in line with ``file`` (as discovered):
        start over if the file was replaced or rewritten, read on if it was
        repaired. Returns whether it is to be read."""
        path = state.path
        identity = (file[FILE_DEVICE], file[FILE_INODE])
        size, mtime = file[FILE_SIZE], file[FILE_MTIME]
        resumed = False
        replaced = (identity != state.identity
                    or size < max(state.size, state.offset))
        if not replaced and state.error_offset is not None:
            # Bad framing: once the file changes there (repaired in place,
            # or written on), read on from the last good offset.
            resumed = (size != state.size or mtime != state.mtime
                       or self._bytes_at(path, state.error_offset,
                                         HEADER_SIZE) != state.error_bytes)
            if resumed:
                state.clear_error()
        elif ((size != state.size or mtime != state.mtime)
              and state.offset and self._check_tail
              and self._bytes_at(path, state.offset - len(state.tail),
                                 len(state.tail)) != state.tail):
            # Rewritten, not appended to. A changed mtime alone is not
            # enough: NTFS may move it long after the bytes.
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
        return fresh and state.error is None

    def _repaired(self, rest):
        """Whether the bytes where framing failed changed since (a repair
        that kept the file's size and times)."""
        offset = rest[REST_ERROR_OFFSET]
        return (offset is not None
                and self._bytes_at(rest[REST_PATH], offset, HEADER_SIZE)
                != rest[REST_ERROR_BYTES])


def _unchanged_at_rest(rest, file):
    """Whether a refresh has nothing to do for a file at rest.

    True exactly when the checks of :meth:`StateStore.match` would neither
    reset nor read the file, given what discovery found (``file``). (Its
    offset is at most the size it had, so an equal size is never a shrink.)
    """
    return (file[FILE_SIZE] == rest[REST_SIZE]
            and file[FILE_MTIME] == rest[REST_MTIME]
            and file[FILE_INODE] == rest[REST_INODE]
            and file[FILE_DEVICE] == rest[REST_DEVICE]
            # An I/O error is retried; a corrupt length is final.
            and (rest[REST_ERROR] is None
                 or rest[REST_ERROR_OFFSET] is not None))
