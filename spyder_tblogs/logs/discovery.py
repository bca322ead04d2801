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
from dataclasses import dataclass, field

from spyder_tblogs.logs.filenames import is_event_file_name

__all__ = ["discover_runs", "Discovery", "find_log_roots", "iter_files",
           "DEFAULT_SKIP", "FILE_NAME", "FILE_PATH", "FILE_SIZE", "FILE_MTIME",
           "FILE_DEVICE", "FILE_INODE", "FILE_FIELD_COUNT"]

# Deeper than any real log tree; stops pathological link chains too.
MAX_DEPTH = 64

DEFAULT_SKIP = frozenset({
    ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "env", ".env",
    "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", ".ipynb_checkpoints", "site-packages", ".idea",
    ".vscode", ".spyproject", ".cache", "build", "dist", ".eggs",
})


# Fields of a discovered event file: ``(name, path, size, mtime, device,
# inode)``, from one ``os.stat``.
FILE_NAME, FILE_PATH, FILE_SIZE, FILE_MTIME, FILE_DEVICE, FILE_INODE = range(6)
FILE_FIELD_COUNT = 6


def iter_files(values):
    """Yield the ``(name, path, size, mtime, device, inode)`` of each file
    of a run of :attr:`Discovery.runs`."""
    for start in range(0, len(values), FILE_FIELD_COUNT):
        yield values[start:start + FILE_FIELD_COUNT]


@dataclass
class Discovery:
    """Result of one walk of a log directory.

    Attributes
    ----------
    runs : dict
        Run name -> its event files sorted by name, their fields (see
        ``FILE_NAME`` ... ``FILE_INODE``) end to end in one flat tuple;
        :func:`iter_files` yields them file by file.
    paths : dict
        Run name -> the run's absolute directory.
    unreadable : list of (str, str)
        ``(path, reason)`` of directories or files that could not be read.
    loops : list of (str, str)
        ``(link path, target)`` of symlinks that lead back to an ancestor.

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


def _reason(error):
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, FileNotFoundError):
        return "does not exist"
    return error.strerror or str(error)


def discover_runs(logdir):
    """Walk ``logdir`` and return its runs and the problems met.

    Parameters
    ----------
    logdir : str
        Absolute path of the log directory (must exist; the caller checks).

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
    # Ancestors of the directory being listed, by (st_dev, st_ino) of their
    # real paths: meeting one again through a link is a loop.
    ancestors = {(top.st_dev, top.st_ino)}
    _walk(logdir, ".", top.st_dev, ancestors, 0, result)
    return result


def _walk(path, name, device, ancestors, depth, result):
    try:
        entries = os.scandir(path)
    except OSError as error:
        result.unreadable.append((path, _reason(error)))
        return
    files = None
    subdirs = []
    with entries:
        try:
            for entry in entries:
                entry_name = entry.name
                try:
                    if "tfevents" in entry_name:
                        if not is_event_file_name(entry_name):
                            continue
                        if entry.is_file():
                            info = entry.stat()
                            if files is None:
                                files = []
                            files.append((entry_name, entry.path,
                                          info.st_size, info.st_mtime,
                                          info.st_dev, info.st_ino))
                            continue
                    if entry.is_dir():
                        subdirs.append(entry)
                except FileNotFoundError:
                    continue    # removed while we were listing
                except OSError as error:
                    result.unreadable.append((entry.path, _reason(error)))
        except OSError as error:
            result.unreadable.append((path, _reason(error)))
    if files is not None:
        files.sort()
        result.runs[name] = tuple(value for file in files for value in file)
        result.paths[name] = path
    if depth >= MAX_DEPTH:
        return
    for entry in subdirs:
        child_name = entry.name if name == "." else name + "/" + entry.name
        try:
            if entry.is_symlink():
                info = os.stat(entry.path)
            else:
                # Same device as the parent unless it is a mount point;
                # lstat only then costs nothing extra on Linux (cached).
                info = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue    # removed while we were listing, or a dangling link
        except OSError as error:
            result.unreadable.append((entry.path, _reason(error)))
            continue
        if not stat_module.S_ISDIR(info.st_mode):
            continue
        key = (info.st_dev, info.st_ino)
        if key in ancestors:
            result.loops.append((entry.path, os.path.realpath(entry.path)))
            continue
        ancestors.add(key)
        _walk(entry.path, child_name, info.st_dev, ancestors, depth + 1,
              result)
        ancestors.discard(key)


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
