"""A small file store recording the TensorBoard instances we launched.

One JSON file per instance, named after a hash of its identity (real log
directory, interpreter, extra arguments), so there is at most one record per
identity and finding it is a single file read. Files are written to a
temporary name and moved into place with ``os.replace`` (atomic), so a
reader never sees half a record, and the last of two concurrent writers wins.
Anything unreadable is treated as garbage: ignored, and removed if it has
our record name. The store lives in the user's cache directory (not a shared
temporary directory, where another user could plant records).
"""

import contextlib
import hashlib
import json
import os
import sys
import tempfile
import time

from spyder_tblogs.tensorboard.instance import ServerState, TensorBoardInstance

#: Environment variable overriding the registry directory (tests, CLI).
REGISTRY_ENV = "SPYDER_TBLOGS_REGISTRY"

RECORD_PREFIX = "tb-"
RECORD_SUFFIX = ".json"
_FORMAT_VERSION = 1
# Temporary files left by a writer that crashed are removed after this.
_STALE_TEMP_SECONDS = 3600


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


def identity_hash(logdir, python, extra_args):
    """Return the record name stem for one instance identity."""
    identity = json.dumps([logdir, python, list(extra_args)],
                          ensure_ascii=True)
    return hashlib.sha256(identity.encode("ascii")).hexdigest()[:24]


class Registry:
    """The instance records in one directory.

    Parameters
    ----------
    directory : str
        Created (mode 0700) if missing.
    """

    def __init__(self, directory):
        self.directory = os.path.abspath(directory)
        os.makedirs(self.directory, mode=0o700, exist_ok=True)

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
        return self._read_path(self.record_path(key))

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
                entry = self._read_path(path)
                if entry is not None:
                    key = name[len(RECORD_PREFIX):-len(RECORD_SUFFIX)]
                    found.append((key, entry[0], entry[1]))
            elif ".tmp" in name:
                self._remove_stale_temp(path)
        return found

    def _read_path(self, path):
        try:
            with open(path, "rb") as stream:
                data = json.loads(stream.read().decode("utf-8"))
            if not isinstance(data, dict) or data.get("version") != 1:
                raise ValueError("unknown record format")
            instance = TensorBoardInstance.from_record(data["instance"])
            state = ServerState(data.get("state", "running"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            # Garbage (a crashed writer from an older version, a stray edit):
            # never let it break list/start.
            with contextlib.suppress(OSError):
                os.remove(path)
            return None
        return instance, state

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
            os.replace(temp, self.record_path(key))
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
            entry = self._read_path(path)
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
        lock, yielding False (the caller decides). POSIX only; elsewhere
        this always yields True without locking.
        """
        try:
            import fcntl
        except ImportError:
            yield True
            return
        path = os.path.join(self.directory, RECORD_PREFIX + key + ".lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        locked = False
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    locked = True
                    break
                except OSError:
                    if time.monotonic() >= deadline:
                        break
                    time.sleep(0.05)
            yield locked
        finally:
            if locked:
                with contextlib.suppress(OSError):
                    fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
