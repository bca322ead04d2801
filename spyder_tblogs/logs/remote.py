"""Log directories in object storage: ``s3://``, ``gs://``, any fsspec URL.

Discovery is one recursive listing of the prefix (``find(detail=True)``:
paged list requests, never a walk of per-directory calls). Reading is
incremental like on a local disk: an object that grew is read from the old
offset with ranged reads of the new bytes only, after checking that the 8
bytes before that offset did not change; one that shrank or changed there
is read again from the start; new small objects are fetched together with
fsspec's concurrent ``cat``. Credentials and endpoints come from the
standard chains (environment, ``~/.aws``, application-default credentials):
nothing is stored here.
"""

import functools
import os
import posixpath

from spyder_tblogs.logs.discovery import Discovery
from spyder_tblogs.logs.filenames import is_event_file_name
from spyder_tblogs.logs.reader import TAIL_BYTES, read_event_file

__all__ = ["is_remote", "url_scheme", "RemoteError", "RemoteLogdir", "remote_errors",
           "remote_problem",
           "EXTRA_FOR_PROTOCOL"]

# New objects up to this size are fetched in one concurrent batch.
BATCH_MAX_BYTES = 8 * 1024 * 1024
# Bytes per ranged read of a large object (bounds memory).
RANGE_BYTES = 16 * 1024 * 1024
# Seconds before a request to an unreachable or silent endpoint gives up.
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 20

# What to install for a protocol (``pip install spyder-tblogs[extra]``).
EXTRA_FOR_PROTOCOL = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs"}


def url_scheme(logdir):
    """The lower-case scheme of a URL log root, ``None`` for a path.

    One-letter schemes are Windows drive letters, not URLs.
    """
    head, separator, _ = str(logdir).partition("://")
    if not separator or len(head) < 2 or not head[0].isalpha() or \
            not all(char.isalnum() or char in "+.-" for char in head):
        return None
    return head.lower()


def is_remote(logdir):
    """Whether ``logdir`` is a URL of a remote file system (not ``file://``)."""
    return url_scheme(logdir) not in (None, "file")


class RemoteError(Exception):
    """A remote log directory cannot be reached (a message for the user)."""


@functools.lru_cache(maxsize=None)
def remote_errors():
    """The exceptions remote file systems raise for refusals and outages.

    fsspec implementations raise their client library's own types as well
    as OSError: each is caught where it can be imported (only once a remote
    log directory is used, so a local one never imports them).
    """
    found = [OSError, ValueError, TimeoutError, RemoteError]
    try:
        import botocore.exceptions
        found += [botocore.exceptions.BotoCoreError,
                  botocore.exceptions.ClientError]
    except ImportError:
        pass
    try:
        import aiohttp
        found.append(aiohttp.ClientError)
    except ImportError:
        pass
    try:
        import google.auth.exceptions
        found.append(google.auth.exceptions.GoogleAuthError)
    except ImportError:
        pass
    return tuple(found)


def _filesystem(url):
    """``(filesystem, root path)`` for ``url``, with timeouts where the
    protocol takes them."""
    import fsspec

    protocol = url.split("://", 1)[0]
    options = {"skip_instance_cache": True}
    if protocol in ("s3", "s3a"):
        options["config_kwargs"] = {
            "connect_timeout": CONNECT_TIMEOUT, "read_timeout": READ_TIMEOUT,
            "retries": {"max_attempts": 2, "mode": "standard"}}
    try:
        return fsspec.url_to_fs(url, **options)
    except ImportError as error:
        extra = EXTRA_FOR_PROTOCOL.get(protocol)
        hint = ("pip install spyder-tblogs[%s]" % extra if extra
                else str(error))
        raise RemoteError("%s:// needs a package that is not installed: %s"
                          % (protocol, hint)) from None
    except ValueError:
        raise RemoteError("%s:// is not a protocol fsspec knows"
                          % protocol) from None


def _mtime(info):
    for key in ("LastModified", "updated", "mtime", "last_modified",
                "modified"):
        value = info.get(key)
        if value is None:
            continue
        if hasattr(value, "timestamp"):
            return value.timestamp()
        if isinstance(value, (int, float)):
            return float(value)
        try:
            from datetime import datetime
            return datetime.fromisoformat(str(value).replace("Z", "+00:00")) \
                .timestamp()
        except ValueError:
            continue
    return 0.0


def remote_problem(url):
    """Why ``url`` cannot be read at all here (a package missing, an
    unknown protocol), in one line; ``None`` when it can be tried."""
    try:
        _filesystem(url)
    except RemoteError as error:
        return str(error)
    return None


class RemoteLogdir:
    """One remote log directory: its listing and its objects' bytes.

    Parameters
    ----------
    url : str
        ``protocol://bucket/prefix``; runs are named relative to it.
    """

    def __init__(self, url):
        self.url = url.rstrip("/")
        self.protocol = url.split("://", 1)[0]
        self._fs = None
        self._root = None
        # Counters, for users and tests: what a refresh cost.
        self.list_requests = 0
        self.read_requests = 0
        self.bytes_read = 0

    @property
    def endpoint(self):
        """Where requests go, in words (for messages)."""
        if self.protocol in ("s3", "s3a"):
            return os.environ.get("AWS_ENDPOINT_URL") or "AWS S3"
        return self.protocol

    def _connect(self):
        if self._fs is None:
            self._fs, self._root = _filesystem(self.url)
            self._root = self._root.rstrip("/")
        return self._fs

    def discover(self):
        """List every event file below the URL as a :class:`Discovery`.

        Files are ``(name, url, size, mtime, 0, 0)``: an object has no
        device or inode, and its ETag changes with every append, so its
        identity is its key alone.
        """
        fs = self._connect()
        fs.invalidate_cache()          # listings must be fresh every poll
        self.list_requests += 1
        found = fs.find(self._root, detail=True, withdirs=False)
        result = Discovery()
        prefix = self._root + "/"
        runs = {}
        for key, info in found.items():
            key = key.rstrip("/")
            if not key.startswith(prefix) and key != self._root:
                continue
            folder, name = posixpath.split(key)
            if not is_event_file_name(name) or info.get("type") == "directory":
                continue
            relative = folder[len(prefix):] if folder != self._root else "."
            url = self._url_of(key)
            runs.setdefault(relative, []).append(
                (name, url, int(info.get("size") or 0), _mtime(info), 0, 0))
        for name in sorted(runs):
            files = sorted(runs[name])
            result.runs[name] = tuple(value for file in files
                                      for value in file)
            result.paths[name] = (self.url if name == "."
                                  else self.url + "/" + name)
        return result

    def _url_of(self, key):
        return "%s://%s" % (self.protocol, key)

    def _key_of(self, url):
        return url.split("://", 1)[1]

    def read_many(self, states):
        """Read what was appended to each state's object since its offset.

        New small objects are fetched in one concurrent batch; the others
        by ranged reads. A failure of one object is an error on its state.
        """
        fs = self._connect()
        batch = [state for state in states
                 if state.offset == 0 and state.size <= BATCH_MAX_BYTES]
        if len(batch) > 1:
            self.read_requests += len(batch)
            contents = fs.cat([self._key_of(state.path) for state in batch],
                              on_error="return")
            for state in batch:
                data = contents.get(self._key_of(state.path))
                if isinstance(data, bytes):
                    self.bytes_read += len(data)
                    self._scan(state, data, 0)
                else:
                    state.error = "cannot read: %s" % (data or "missing")
        done = set(map(id, batch)) if len(batch) > 1 else set()
        for state in states:
            if id(state) not in done:
                self.read(state)
        return states

    def read(self, state):
        """Read one object from ``state.offset`` (ranged reads)."""
        fs = self._connect()
        key = self._key_of(state.path)
        start = state.offset
        check = min(TAIL_BYTES, start)
        if start >= state.size:
            return state
        try:
            data = self._range(fs, key, start - check,
                               min(state.size, start + RANGE_BYTES))
            if check and data[:check] != state.tail:
                # Rewritten, not appended to: read it all again.
                state.reset()
                return self.read(state)
            self._scan(state, data[check:], start)
        except remote_errors() as error:
            state.error = "cannot read: %s" % (error or type(error).__name__)
        return state

    def _range(self, fs, key, start, end):
        self.read_requests += 1
        data = fs.cat_file(key, start=start, end=end)
        self.bytes_read += len(data)
        return data

    def _scan(self, state, first, start):
        """Run the reader over ``first`` (the bytes from ``start``), then
        over ranged reads of the rest of the object; keep the bytes just
        before the new offset for the next read's check."""
        fs = self._fs
        key = self._key_of(state.path)
        tail = state.tail if start else b""

        def chunks(_path, offset, scan, _chunk_size):
            nonlocal tail
            buffer, position = first, start + len(first)
            while True:
                consumed, needed = scan(buffer, offset)
                tail = (tail + bytes(buffer[max(0, consumed - TAIL_BYTES):
                                            consumed]))[-TAIL_BYTES:]
                offset += consumed
                carry = buffer[consumed:]
                if position >= state.size or (
                        needed > len(carry) and offset + needed > state.size):
                    # The end, or a partial record whose rest is not there.
                    return offset, max(offset + len(carry), position)
                end = min(state.size,
                          position + max(RANGE_BYTES, needed - len(carry)))
                buffer = carry + self._range(fs, key, position, end)
                position = end

        read_event_file(state, chunks=chunks)
        state.tail = tail

    def bytes_at(self, url, offset, count):
        """``count`` bytes of the object at ``offset``, or None."""
        try:
            return self._range(self._connect(), self._key_of(url), offset,
                               offset + count)
        except remote_errors():
            return None
