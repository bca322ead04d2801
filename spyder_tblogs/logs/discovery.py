"""Find runs and event files the way TensorBoard does, without its pitfalls.

A run is every directory under the log directory that holds a file whose
name contains ``tfevents`` (except ``*.profile-empty``), named by its path
relative to the log directory with ``/`` separators, ``.`` for the log
directory itself. Symlinked directories are followed like TensorBoard does,
but a link back to one of its own ancestors (a loop, which TensorBoard
walks until the OS refuses, listing the same runs many times) is reported
and skipped. Unreadable directories are reported, never raised.
"""

import os
import stat as stat_module
import time
from dataclasses import dataclass, field

from spyder_tblogs.logs.filenames import is_event_file_name
# FILE_* re-exported: export.py reads discovered files by them.
from spyder_tblogs.logs.rows import (
    DISCOVERED_FILE_FIELD_COUNT, FILE_DEVICE, FILE_INODE, FILE_MTIME,
    FILE_NAME, FILE_PATH, FILE_SIZE,
)

__all__ = ["discover_runs", "Discovery", "find_log_roots", "iter_files",
           "DEFAULT_SKIP", "FILE_NAME", "FILE_PATH", "FILE_SIZE", "FILE_MTIME",
           "FILE_DEVICE", "FILE_INODE", "DISCOVERED_FILE_FIELD_COUNT"]

DEFAULT_SKIP = frozenset({
    ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "env", ".env",
    "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", ".ipynb_checkpoints", "site-packages", ".idea",
    ".vscode", ".spyproject", ".cache", "build", "dist", ".eggs",
})


def iter_files(values):
    """Yield the ``(name, path, size, mtime, device, inode)`` of each file
    of a run of :attr:`Discovery.runs`."""
    for start in range(0, len(values), DISCOVERED_FILE_FIELD_COUNT):
        yield values[start:start + DISCOVERED_FILE_FIELD_COUNT]


@dataclass
class Discovery:
    """Result of one walk of a log directory.

    Attributes
    ----------
    runs : dict
        Run name -> its event files sorted by name, their fields (see
        ``rows.DISCOVERED_FILE_FIELDS``) end to end in one flat tuple;
        :func:`iter_files` yields them file by file.
    paths : dict
        Run name -> the run's absolute directory.
    unreadable : list of (str, str)
        ``(path, reason)`` of directories or files that could not be read.
    loops : list of (str, str)
        ``(link path, target)`` of symlinks that lead back to an ancestor.
    listings : dict
        Directory path -> what it held, for the next walk (``previous``
        of :func:`discover_runs`).

    Notes
    -----
    Plain tuples on purpose: Python's garbage collector stops tracking a
    tuple of strings and numbers, whereas an object, a list and an
    ``os.stat_result`` per run and file are containers it walks. A poll of
    10,000 runs made 35,000 of them, enough to set off a full collection
    that froze the GUI thread holding the GIL. Flat, too: the collector
    untracks one level of nested tuples per collection, so a tuple of
    tuples may reach its oldest generation still tracked.
    """

    runs: dict = field(default_factory=dict)
    paths: dict = field(default_factory=dict)
    unreadable: list = field(default_factory=list)
    loops: list = field(default_factory=list)
    listings: dict = field(default_factory=dict)


def _reason(error):
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, FileNotFoundError):
        return "does not exist"
    return error.strerror or str(error)


def discover_runs(logdir, previous=None):
    """Walk ``logdir`` and return its runs and the problems met.

    Parameters
    ----------
    logdir : str
        Absolute path of the log directory (must exist; the caller checks).
    previous : dict, optional
        :attr:`Discovery.listings` of the last walk of the same directory:
        a directory that has not changed since is not listed again (see
        ``_trusted``), only its event files and subdirectories are stat'ed.

    Returns
    -------
    Discovery
    """
    result = Discovery()
    try:
        top = os.stat(logdir)
    except OSError as error:
        result.unreadable.append((logdir, _reason(error)))
        return result
    _Walk(result, previous or {}, time.time_ns()).run(logdir, top)
    return result


# A directory's listing is taken again when it is older than this, whatever
# the directory's times say: the last resort against a file system whose
# clock or timestamps cannot be trusted.
LISTING_MAX_AGE_NS = 30 * 10**9
# ... or when it was taken less than this after the directory last changed:
# on file systems with coarse timestamps (FAT: 2 s) an entry added later in
# the same tick leaves the directory's times as they were.
LISTING_SETTLE_NS = 3 * 10**9
_SEPARATOR = "\0"      # never in a file name


class _Walk:
    """One walk of a log directory, reusing the listings of the last one.

    A listing is ``(st_dev, st_ino, st_mtime_ns, st_ctime_ns, taken at,
    event file names, subdirectory names)``, the names joined by NUL: a
    flat tuple of plain values that the garbage collector skips.
    """

    def __init__(self, result, previous, now_ns):
        self.result = result
        self.previous = previous
        self.now_ns = now_ns

    def run(self, logdir, top):
        """Walk from ``logdir`` (stat'ed as ``top``), depth first, at any
        depth: no recursion, so a deep tree cannot exhaust Python's stack.

        The directories on the way to the one being walked are kept by
        ``(st_dev, st_ino)`` of their real paths: meeting one again through
        a link is a loop.
        """
        ancestry = []       # keys of the directories above, by depth
        ancestors = set()
        pending = [(logdir, ".", top, 0)]
        while pending:
            path, name, info, depth = pending.pop()
            ancestors.difference_update(ancestry[depth:])
            del ancestry[depth:]
            key = (info.st_dev, info.st_ino)
            if key in ancestors:
                self.result.loops.append((path, os.path.realpath(path)))
                continue
            ancestry.append(key)
            ancestors.add(key)
            children = self.directory(path, name, info)
            # Reversed: the first child is walked first, as listed.
            pending.extend((child_path, child_name, child_info, depth + 1)
                           for child_path, child_name, child_info
                           in reversed(children))

    def directory(self, path, name, info):
        """Record the event files of one directory; return its subdirectories
        as ``(path, run name, stat)``."""
        result = self.result
        listing = self.previous.get(path)
        if listing is None or not _trusted(listing, info, self.now_ns):
            listing = self._list(path, info)
            if listing is None:
                return ()
        result.listings[path] = listing
        # os.path.join, without its cost per call (30,000 calls a poll).
        prefix = path if path.endswith(os.sep) else path + os.sep
        files = []
        for file_name in _names(listing[5]):
            file_path = prefix + file_name
            try:
                file_info = os.stat(file_path)
            except FileNotFoundError:
                continue    # removed since it was listed
            except OSError as error:
                result.unreadable.append((file_path, _reason(error)))
                continue
            if stat_module.S_ISREG(file_info.st_mode):
                files.append((file_name, file_path, file_info.st_size,
                              file_info.st_mtime, file_info.st_dev,
                              file_info.st_ino))
        if files:
            result.runs[name] = tuple(value for file in files
                                      for value in file)
            result.paths[name] = path
        children = []
        for entry_name in _names(listing[6]):
            child_path = prefix + entry_name
            child_name = entry_name if name == "." else name + "/" + entry_name
            try:
                # Followed, so a link's (or a Windows junction's, which is
                # no link to lstat) identity is its target's: a loop shows
                # as an ancestor met again.
                child_info = os.stat(child_path)
            except FileNotFoundError:
                continue    # removed since it was listed, or a dangling link
            except OSError as error:
                result.unreadable.append((child_path, _reason(error)))
                continue
            if stat_module.S_ISDIR(child_info.st_mode):
                children.append((child_path, child_name, child_info))
        return children

    def _list(self, path, info):
        """List ``path`` now; None (and a problem reported) if unreadable."""
        unreadable = self.result.unreadable
        event_names = []
        subdir_names = []
        taken_ns = self.now_ns
        try:
            entries = os.scandir(path)
        except OSError as error:
            unreadable.append((path, _reason(error)))
            return None
        with entries:
            try:
                for entry in entries:
                    entry_name = entry.name
                    try:
                        if "tfevents" in entry_name:
                            if not is_event_file_name(entry_name):
                                continue
                            if entry.is_file():
                                event_names.append(entry_name)
                                continue
                        if entry.is_dir():
                            subdir_names.append(entry_name)
                    except FileNotFoundError:
                        continue    # removed while we were listing
                    except OSError as error:
                        unreadable.append((entry.path, _reason(error)))
            except OSError as error:
                # What was listed is used, never trusted: listed again.
                unreadable.append((path, _reason(error)))
                taken_ns = 0
        event_names.sort()
        return (info.st_dev, info.st_ino, info.st_mtime_ns, info.st_ctime_ns,
                taken_ns, _SEPARATOR.join(event_names),
                _SEPARATOR.join(subdir_names))


def _trusted(listing, info, now_ns):
    """Whether a directory's listing still says what it holds."""
    dev, ino, mtime_ns, ctime_ns, taken_ns = listing[:5]
    return (info.st_mtime_ns == mtime_ns and info.st_ctime_ns == ctime_ns
            and info.st_ino == ino and info.st_dev == dev
            and taken_ns - max(mtime_ns, ctime_ns) >= LISTING_SETTLE_NS
            and 0 <= now_ns - taken_ns < LISTING_MAX_AGE_NS)


def _names(joined):
    return joined.split(_SEPARATOR) if joined else ()


def find_log_roots(directory, *, max_depth=6, skip=DEFAULT_SKIP):
    """Return the log directories to offer for a project directory.

    The roots are the topmost directories under ``directory`` (inclusive)
    with event files somewhere below them: ``directory`` itself when it
    holds event files directly, else each of its subdirectories that has
    event files at most ``max_depth`` levels down. ``project/logs/fit/...``
    and ``project/runs/{a,b}`` give ``project/logs`` and ``project/runs``,
    the directories one passes to ``tensorboard --logdir``.

    Parameters
    ----------
    directory : str
        Where to look (for example the current project).
    max_depth : int
        How many levels below ``directory`` to look.
    skip : iterable of str
        Directory names never entered (version control, virtual
        environments, caches...).

    Returns
    -------
    list of str
        Absolute paths, sorted; empty when nothing is found. Never raises
        for unreadable directories and never follows a symlink loop.
    """
    skip = frozenset(skip)
    directory = os.path.abspath(directory)

    def listing(path):
        """Return (holds event files, subdirectory paths to enter)."""
        direct = False
        subdirs = []
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    name = entry.name
                    try:
                        if is_event_file_name(name) and entry.is_file():
                            direct = True
                        elif (name not in skip and not name.endswith(".egg-info")
                              and entry.is_dir()):
                            subdirs.append(entry.path)
                    except OSError:
                        continue
        except OSError:
            pass
        return direct, sorted(subdirs)

    def has_events_below(path, depth, ancestors):
        direct, subdirs = listing(path)
        if direct:
            return True
        if depth >= max_depth:
            return False
        for subdir in subdirs:
            try:
                info = os.stat(subdir)
            except OSError:
                continue
            key = (info.st_dev, info.st_ino)
            if key in ancestors:
                continue    # a symlink loop
            ancestors.add(key)
            try:
                if has_events_below(subdir, depth + 1, ancestors):
                    return True
            finally:
                ancestors.discard(key)
        return False

    try:
        top = os.stat(directory)
    except OSError:
        return []
    direct, subdirs = listing(directory)
    if direct:
        return [directory]
    roots = []
    for subdir in subdirs:
        try:
            info = os.stat(subdir)
        except OSError:
            continue
        ancestors = {(top.st_dev, top.st_ino), (info.st_dev, info.st_ino)}
        if len(ancestors) == 2 and has_events_below(subdir, 1, ancestors):
            roots.append(subdir)
    return roots
