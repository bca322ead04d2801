"""A small file store recording the TensorBoard instances we launched.

One JSON file per instance, named after a hash of its identity (real log
directory, interpreter, extra arguments), so there is at most one record per
identity and finding it is a single file read. Files are written to a
temporary name and moved into place with ``os.replace`` (atomic), so a
reader never sees half a record, and the last of two concurrent writers wins;
a PermissionError (Windows, while another process holds the file) is retried
for a moment. A record whose content does not parse is garbage: ignored and
removed; one that cannot be read right now is only skipped. The store lives
in the user's cache directory (not a shared temporary directory, where
another user could plant records), and a directory others can write is
refused. A record must prove itself before it
is used: a regular file of bounded size, whose instance hashes to its name
and whose log files lie in this directory (the manager then also checks the
recorded process' command line before signalling it).
"""

import contextlib
import hashlib
import json
import os
import stat
import sys
import tempfile
import time

from spyder_tblogs.tensorboard.instance import (
    ServerState, TensorBoardError, TensorBoardInstance)
from spyder_tblogs.tensorboard.process import NotRegularFile, read_regular

#: Environment variable overriding the registry directory (tests, CLI).
REGISTRY_ENV = "SPYDER_TBLOGS_REGISTRY"

RECORD_PREFIX = "tb-"
RECORD_SUFFIX = ".json"
_FORMAT_VERSION = 1
# Temporary files left by a writer that crashed are removed after this.
_STALE_TEMP_SECONDS = 3600
# A record is well under 2 KiB; anything larger is not one of ours.
_MAX_RECORD_BYTES = 64 * 1024


def default_registry_dir():
    """Return the registry directory: ``$SPYDER_TBLOGS_REGISTRY`` or the
    user's cache directory for spyder-tblogs plus ``tensorboard``."""
    override = os.environ.get(REGISTRY_ENV)
    if override:
        return os.path.abspath(os.path.expanduser(override))
    try:
        import platformdirs
        cache = platformdirs.user_cache_dir("spyder-tblogs", appauthor=False)
    except ImportError:
        if sys.platform == "win32":
            base = os.environ.get("LOCALAPPDATA") or os.path.expanduser(
                "~\\AppData\\Local")
            cache = os.path.join(base, "spyder-tblogs", "Cache")
        elif sys.platform == "darwin":
            cache = os.path.expanduser("~/Library/Caches/spyder-tblogs")
        else:
            base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser(
                "~/.cache")
            cache = os.path.join(base, "spyder-tblogs")
    return os.path.join(cache, "tensorboard")


def _refuse_shared_directory(directory):
    """Raise TensorBoardError if another user owns or can write ``directory``.

    Whoever can write the registry can plant records, and records say which
    processes to signal. POSIX only: on Windows the per-user cache directory
    is private through its ACLs, which mode bits do not show.
    """
    if os.name != "posix":
        return
    info = os.stat(directory)
    if not stat.S_ISDIR(info.st_mode):
        raise TensorBoardError(f"registry path is not a directory: "
                               f"{directory}")
    if info.st_uid != os.geteuid():
        problem = "belongs to another user"
    elif info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        problem = (f"is writable by other users (mode "
                   f"{stat.S_IMODE(info.st_mode):o})")
    else:
        return
    raise TensorBoardError(
        f"registry directory {directory} {problem}: anyone who can write "
        f"there could plant records that make this tool stop their choice "
        f"of your processes; make it private (chmod 700) or set "
        f"{REGISTRY_ENV} to a private directory")


def identity_hash(logdir, python, extra_args):
    """Return the record name stem for one instance identity.

    The interpreter is case-folded where paths ignore case (Windows), so
    that two spellings of one interpreter share a record and its start lock.
    """
    identity = json.dumps([logdir, os.path.normcase(python),
                           list(extra_args)], ensure_ascii=True)
    return hashlib.sha256(identity.encode("ascii")).hexdigest()[:24]


class Registry:
    """The instance records in one directory.

    Parameters
    ----------
    directory : str
        Created (mode 0700) if missing.

    Raises
    ------
    TensorBoardError
        If the directory is another user's or others can write it (POSIX).
    OSError
        If it cannot be created.
    """

    def __init__(self, directory):
        self.directory = os.path.abspath(directory)
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        _refuse_shared_directory(self.directory)
        self._real_directory = os.path.realpath(self.directory)

    # --- paths ---------------------------------------------------------------

    def record_path(self, key):
        """Return the record file path for identity hash ``key``."""
        return os.path.join(self.directory,
                            RECORD_PREFIX + key + RECORD_SUFFIX)

    def log_paths(self, key):
        """Return the (stdout, stderr) log file paths for ``key``."""
        stem = os.path.join(self.directory, RECORD_PREFIX + key)
        return stem + ".stdout.log", stem + ".stderr.log"

    # --- reading -------------------------------------------------------------

    def read(self, key):
        """Return ``(instance, state)`` recorded for ``key``, or None.

        A garbage record is removed and reported as None.
        """
        return self._read_path(self.record_path(key), key)

    def records(self):
        """Return ``[(key, instance, state), ...]`` for every valid record."""
        found = []
        try:
            names = os.listdir(self.directory)
        except OSError:
            return found
        for name in sorted(names):
            path = os.path.join(self.directory, name)
            if name.startswith(RECORD_PREFIX) and name.endswith(RECORD_SUFFIX):
                key = name[len(RECORD_PREFIX):-len(RECORD_SUFFIX)]
                entry = self._read_path(path, key)
                if entry is not None:
                    found.append((key, entry[0], entry[1]))
            elif ".tmp" in name:
                self._remove_stale_temp(path)
        return found

    def _read_path(self, path, key):
        try:
            payload = _with_retries(read_regular, path,
                                    _MAX_RECORD_BYTES + 1)
        except (FileNotFoundError, NotRegularFile):
            # Gone, or a FIFO/directory/symlink named like a record: skipped
            # (opened without waiting), never read nor removed.
            return None
        except OSError:
            # Unreadable now (on Windows a scanner or another reader can
            # hold it past our retries): skipped, never removed, since it
            # may be the record of a live server.
            return None
        try:
            if len(payload) > _MAX_RECORD_BYTES:
                raise ValueError("too large for a record")
            data = json.loads(payload.decode("utf-8"))
            if not isinstance(data, dict) or data.get("version") != 1:
                raise ValueError("unknown record format")
            instance = TensorBoardInstance.from_record(data["instance"])
            state = ServerState(data.get("state", "running"))
            self._check_belongs(key, instance)
        except (ValueError, KeyError, TypeError):
            # Garbage (a crashed writer from an older version, a stray edit):
            # the only records removed here; never let it break list/start.
            with contextlib.suppress(OSError):
                os.remove(path)
            return None
        return instance, state

    def _check_belongs(self, key, instance):
        """Raise ValueError unless ``instance`` is what a record named
        ``key`` holds: its identity hashes to ``key`` and its logs are this
        directory's (a record must never make us write elsewhere)."""
        if identity_hash(instance.logdir, instance.python,
                         instance.extra_args) != key:
            raise ValueError("record name does not match its instance")
        for recorded, expected in zip(
                (instance.stdout_log, instance.stderr_log),
                self.log_paths(key)):
            if os.path.basename(recorded) != os.path.basename(expected) or \
                    os.path.realpath(os.path.dirname(recorded)) != \
                    self._real_directory:
                raise ValueError("log file outside the registry directory")

    def _remove_stale_temp(self, path):
        with contextlib.suppress(OSError):
            if time.time() - os.path.getmtime(path) > _STALE_TEMP_SECONDS:
                os.remove(path)

    # --- writing -------------------------------------------------------------

    def write(self, key, instance, state):
        """Record ``instance`` in ``state`` for ``key``, atomically."""
        data = {
            "version": _FORMAT_VERSION,
            "state": state.value,
            "instance": instance.to_record(),
        }
        payload = json.dumps(data, indent=1, sort_keys=True).encode("utf-8")
        fd, temp = tempfile.mkstemp(
            prefix=RECORD_PREFIX + key + ".", suffix=".tmp",
            dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as stream:
                stream.write(payload)
            try:
                _with_retries(os.replace, temp, self.record_path(key))
            except OSError as error:
                raise TensorBoardError(
                    f"cannot write the TensorBoard record "
                    f"{self.record_path(key)}: "
                    f"{error.strerror or error}") from None
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(temp)
            raise

    def remove(self, key, pid=None):
        """Remove the record for ``key`` (only if it is for ``pid``, if given).

        The pid check keeps a newer record, written meanwhile by another
        process for the same identity, from being removed.
        """
        path = self.record_path(key)
        if pid is not None:
            entry = self._read_path(path, key)
            if entry is None or entry[0].pid != pid:
                return
        with contextlib.suppress(OSError):
            os.remove(path)

    # --- locking -------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self, key, timeout):
        """Hold an exclusive lock on identity ``key`` for a start.

        Two processes starting the same instance at once would otherwise both
        launch one. Waits up to ``timeout`` seconds, then proceeds without the
        lock, yielding False (the caller decides). The lock is the
        ``filelock`` package's: ``flock`` on POSIX, ``msvcrt.locking`` on
        Windows, released by the OS if the holder dies.
        """
        try:
            import filelock
        except ImportError:
            raise TensorBoardError(
                "the filelock package is missing (a requirement of "
                "spyder-tblogs): install it with pip or conda") from None
        path = os.path.join(self.directory, RECORD_PREFIX + key + ".lock")
        held = filelock.FileLock(path)
        try:
            held.acquire(timeout=timeout, poll_interval=0.05)
        except filelock.Timeout:
            yield False
            return
        try:
            yield True
        finally:
            held.release()


#: Pauses between attempts of a file operation that fails with
#: PermissionError: on Windows, replacing or opening a file that another
#: process (a reader, a virus scanner, the search indexer) holds for a
#: moment fails with WinError 5 or 32.
_RETRY_PAUSES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.4)


def _with_retries(operation, *args):
    """Return ``operation(*args)``, trying again after a PermissionError
    (about 0.8 s in all); the last error is raised."""
    for pause in _RETRY_PAUSES:
        try:
            return operation(*args)
        except PermissionError:
            time.sleep(pause)
    return operation(*args)
