"""Low-level process helpers: interpreters, ports, HTTP probes, process trees.

Nothing here keeps state except the interpreter cache; the manager combines
these pieces. Kept free of heavy imports so a reused start stays fast.
"""

import errno
import http.client
import ipaddress
import os
import re
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.request

import psutil

from spyder_tblogs.tensorboard import windows as _windows

#: TensorBoard's message when the port it was given is taken
#: (``tensorboard.program.WerkzeugServer``).
PORT_IN_USE_PATTERN = re.compile(
    r"could not bind to port (\d+), it was already in use", re.IGNORECASE)

#: Log files are cut back to their last ``LOG_KEEP_BYTES`` once they grow
#: past ``LOG_MAX_BYTES`` (see :func:`trim_log`).
LOG_MAX_BYTES = 1024 * 1024
LOG_KEEP_BYTES = 256 * 1024

# A probe must not go through an HTTP(S)_PROXY from the environment: the
# server is local, and a proxy would answer for a dead one.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

_interpreter_cache = {}
_interpreter_lock = threading.Lock()

_CHECK_SNIPPET = "import tensorboard"


# --- Interpreters -----------------------------------------------------------

def normalize_interpreter(path):
    """Return an absolute interpreter path, keeping symlinks.

    Virtual environments' ``python`` is a symlink to the base interpreter;
    resolving it would lose the environment, so only ``abspath`` is applied.
    A bare name such as ``python3`` is looked up on ``PATH``.
    """
    path = os.path.expanduser(str(path))
    if os.sep not in path and (os.altsep is None or os.altsep not in path):
        import shutil
        found = shutil.which(path)
        if found:
            path = found
    return os.path.abspath(path)


def check_interpreter(path):
    """Tell whether ``path`` is an interpreter that can import tensorboard.

    Parameters
    ----------
    path : str
        Interpreter path (normalized with :func:`normalize_interpreter`).

    Returns
    -------
    (bool, str)
        Whether it can, and if not a short reason (the interpreter's stderr
        tail or an OS error).
    """
    if not os.path.isfile(path):
        return False, f"no such file: {path}"
    if not os.access(path, os.X_OK):
        return False, f"not executable: {path}"
    try:
        stat = os.stat(path)
    except OSError as error:
        return False, str(error)
    cache_key = (path, stat.st_mtime_ns)
    with _interpreter_lock:
        if cache_key in _interpreter_cache:
            return _interpreter_cache[cache_key]
    if path == os.path.abspath(sys.executable):
        # Our own interpreter: no subprocess needed (a reused start must be
        # fast). find_spec avoids importing tensorboard into this process.
        import importlib.util
        try:
            found = importlib.util.find_spec("tensorboard") is not None
        except (ImportError, ValueError):
            found = False
        result = (found, "" if found else
                  "No module named 'tensorboard' in this interpreter")
    else:
        try:
            completed = subprocess.run(
                check_command(path),
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, timeout=60, **_windows.child_kwargs())
        except (OSError, subprocess.SubprocessError) as error:
            return False, f"cannot run {path}: {error}"
        if completed.returncode == 0:
            result = (True, "")
        else:
            stderr = completed.stderr.decode("utf-8", "replace")
            result = (False, tail_lines(stderr) or
                      f"exit code {completed.returncode}")
    with _interpreter_lock:
        _interpreter_cache[cache_key] = result
    return result


def check_command(path):
    """Return the command :func:`check_interpreter` runs for ``path``."""
    return [path, "-c", _CHECK_SNIPPET]


def find_interpreter(candidates):
    """Return the first of ``candidates`` that can import tensorboard.

    Parameters
    ----------
    candidates : sequence of str
        Interpreter paths or names, in order of preference; empty entries are
        skipped.

    Returns
    -------
    str or None
        The absolute path (symlinks kept), or None if none qualifies. Results
        are cached per path and modification time.
    """
    for candidate in candidates:
        if not candidate:
            continue
        path = normalize_interpreter(candidate)
        if check_interpreter(path)[0]:
            return path
    return None


# --- Hosts and ports --------------------------------------------------------

def is_loopback(host):
    """Tell whether ``host`` only reaches this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _family(host):
    """Return the socket family to bind ``host`` with."""
    try:
        return socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror:
        return socket.AF_INET


def choose_free_port(host):
    """Return a port that is free on ``host`` now (the OS picks it).

    Another process can take it before TensorBoard binds it; the manager
    retries in that case.
    """
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, 0))
        except OSError as error:
            from spyder_tblogs.tensorboard.instance import TensorBoardError
            raise TensorBoardError(_windows.bind_problem(error, host, 0) or
                                   f"no free port on {host}") from None
        return sock.getsockname()[1]


def port_problem(host, port):
    """Return why ``port`` cannot be bound on ``host`` right now ('' if it
    can): in use, reserved by Windows (WinError 10013), privileged, or an
    address this machine does not have, worded for a user."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR on POSIX (a port in TIME_WAIT is free for TensorBoard
        # too), SO_EXCLUSIVEADDRUSE on Windows (where SO_REUSEADDR would
        # let this bind succeed on a port someone listens on).
        sock.setsockopt(*_windows.exclusive_bind_option(), 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            return _windows.bind_problem(error, host, port) or (
                f"port {port} on {host} is already in use; choose another "
                f"port or leave it unset")
    return ""


def probe_host(host):
    """Return the address to probe for a server bound to ``host``."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host.strip("[]") == "::":
        return "::1"
    return host


def make_url(host, port):
    """Return the browser URL of a server bound to ``host``:``port``."""
    host = probe_host(host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/"


#: What a probe asks TensorBoard: a route of its core plugin, served as soon
#: as its HTTP app is, and cheap (``data/runs`` lists every run, ~45 ms on
#: the 100-run bench corpus).
PROBE_PATH = "data/logdir"


def http_ready(url, timeout):
    """Tell whether TensorBoard at ``url`` answers :data:`PROBE_PATH`
    with 200."""
    try:
        with _OPENER.open(url + PROBE_PATH, timeout=timeout) as response:
            response.read()
            return response.status == 200
    except (OSError, ValueError, http.client.HTTPException):
        # Refused, timed out, HTTP errors (URLError and HTTPError are
        # OSErrors), and a half-started server's malformed answers.
        return False


# --- Processes --------------------------------------------------------------

def process_if_same(pid, create_time):
    """Return the live ``psutil.Process`` for ``pid`` if it is the same one.

    Returns None if the pid is gone, a zombie, or now belongs to another
    process (different creation time: pids are recycled).
    """
    try:
        process = psutil.Process(pid)
        if abs(process.create_time() - create_time) > 0.01:
            return None
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return process
    except (psutil.Error, OSError):
        return None


#: Name of the ``-X`` option (CPython keeps unknown ones in
#: ``sys._xoptions`` and ignores them) that the manager puts on TensorBoard's
#: command line, with the record key as value: a record then shows that its
#: pid is the server the manager launched for it, not a stranger's process.
LAUNCH_MARKER = "spyder_tblogs_instance"


def launch_marker(key):
    """Return the interpreter options marking a launch for record ``key``."""
    return ["-X", f"{LAUNCH_MARKER}={key}"]


#: The TF-free launcher (see launch_plan.py), run by path.
LAUNCHER_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             "launcher.py")
#: How the launcher's path ends on any installation: a record written by
#: another environment's spyder_tblogs (the registry is per user) still
#: proves itself.
LAUNCHER_SUFFIX = os.sep + os.path.join("spyder_tblogs", "tensorboard",
                                        "launcher.py")
#: TensorBoard with TensorFlow, as a user would start it.
TENSORBOARD_MODULE = ("-m", "tensorboard.main")


def launched_for(cmdline, key, logdir):
    """Tell whether ``cmdline`` is TensorBoard launched for ``key``/``logdir``
    (through the launcher or ``-m tensorboard.main``)."""
    pairs = set(zip(cmdline, cmdline[1:]))
    runs_tensorboard = TENSORBOARD_MODULE in pairs or any(
        arg.endswith(LAUNCHER_SUFFIX) for arg in cmdline)
    return runs_tensorboard and {
        tuple(launch_marker(key)), ("--logdir", logdir)} <= pairs


def process_if_launched(pid, create_time, key, logdir):
    """Return the live process of a record only if it proves to be ours.

    Like :func:`process_if_same`, and its command line must carry the launch
    marker of ``key`` and serve ``logdir``. A record naming any other
    process (forged, or from a pid recycled with a matching start time) gets
    None, so nothing is ever signalled through it.
    """
    process = process_if_same(pid, create_time)
    if process is None:
        return None
    try:
        cmdline = process.cmdline()
    except (psutil.Error, OSError):
        return None
    return process if launched_for(cmdline, key, logdir) else None


def create_time_of(pid):
    """Return ``psutil`` creation time of ``pid`` (None if it is gone)."""
    try:
        return psutil.Process(pid).create_time()
    except (psutil.Error, OSError):
        return None


def stop_tree(process, grace, popen=None):
    """Terminate ``process`` and all its descendants; kill what is left.

    Parameters
    ----------
    process : psutil.Process
        The root of the tree.
    grace : float
        Seconds to wait after SIGTERM before SIGKILL.
    popen : subprocess.Popen, optional
        If the root is our child, its Popen, used to reap it (no zombie).

    Returns
    -------
    list of int
        Pids of every process of the tree that was signalled.
    """
    try:
        # Collect the children first: once the root dies they are re-parented
        # and can no longer be found from it (the Rust data server, ...).
        tree = [process] + process.children(recursive=True)
    except (psutil.Error, OSError):
        tree = [process]
    for member in tree:
        try:
            member.terminate()
        except (psutil.Error, OSError):
            pass
    grace = max(grace, 0)
    _, alive = psutil.wait_procs(tree[:1], timeout=grace)
    # Once TensorBoard itself is gone its children hold no state worth a
    # long wait (the Rust data server only exits when its stdin closes,
    # ~2 s after SIGTERM): a short extra grace, then SIGKILL.
    _, alive_children = psutil.wait_procs(tree[1:], timeout=min(grace, 0.5))
    alive += alive_children
    for member in alive:
        try:
            member.kill()
        except (psutil.Error, OSError):
            pass
    _, still = psutil.wait_procs(alive, timeout=5)
    # Anything the tree spawned meanwhile in its session/process group.
    _kill_process_group(process.pid)
    if popen is not None:
        try:
            popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    return [member.pid for member in tree]


def _kill_process_group(pgid):
    """SIGKILL the process group ``pgid`` if it still has members (POSIX)."""
    if os.name != "posix":
        return
    members = []
    for candidate in psutil.process_iter():
        try:
            if os.getpgid(candidate.pid) == pgid:
                members.append(candidate)
        except (OSError, psutil.Error):
            continue
    for member in members:
        try:
            member.kill()
        except (psutil.Error, OSError):
            pass
    if members:
        psutil.wait_procs(members, timeout=5)


# --- Log files --------------------------------------------------------------

def tail_lines(text, lines=20):
    """Return the last ``lines`` non-empty lines of ``text``."""
    kept = [line.rstrip() for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


class NotRegularFile(OSError):
    """A path names a FIFO, device, directory or symlink, not a file."""


# Never block on a FIFO, never follow a symlink planted in our directory
# (both flags are POSIX-only; elsewhere the fstat check below still holds).
_SAFE_OPEN_FLAGS = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)


def open_regular(path, flags, mode=0o600):
    """Open ``path`` with ``os.open`` flags if it is a regular file; return
    the file descriptor.

    Raises
    ------
    NotRegularFile
        If it is anything else (a FIFO named like a record must not hang a
        reader: the open does not wait for a writer).
    OSError
        If it cannot be opened.
    """
    fd = os.open(path, flags | _SAFE_OPEN_FLAGS | getattr(os, "O_BINARY", 0),
                 mode)
    return _regular_or_closed(fd, path)


def _regular_or_closed(fd, path):
    """``fd`` if it is a regular file; else it is closed and
    :class:`NotRegularFile` raised."""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(errno.EINVAL, "not a regular file", path)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path, max_bytes):
    """Return up to ``max_bytes`` bytes of the regular file ``path``."""
    fd = open_regular(path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as stream:
        return stream.read(max_bytes)


def read_tail(path, lines=20, max_bytes=16384):
    """Return the last ``lines`` non-empty lines of the file at ``path``."""
    try:
        with os.fdopen(open_regular(path, os.O_RDONLY), "rb") as stream:
            stream.seek(0, os.SEEK_END)
            size = stream.tell()
            stream.seek(max(0, size - max_bytes))
            data = stream.read()
    except OSError:
        return ""
    return tail_lines(data.decode("utf-8", "replace"), lines)


def trim_log(path, max_bytes=LOG_MAX_BYTES, keep_bytes=LOG_KEEP_BYTES):
    """Cut the log at ``path`` back to its last ``keep_bytes`` if too big.

    The child writes with ``O_APPEND``, so after truncation its next write
    lands at the new end (no sparse file). A line written during the trim
    may be lost; these logs are diagnostics, not records. Anything but a
    regular file (a symlink included) is left alone.
    """
    try:
        with os.fdopen(open_regular(path, os.O_RDWR), "r+b") as stream:
            if os.fstat(stream.fileno()).st_size <= max_bytes:
                return
            stream.seek(-keep_bytes, os.SEEK_END)
            kept = stream.read()
            stream.seek(0)
            stream.truncate()
            stream.write(b"[... earlier output trimmed ...]\n" + kept)
    except OSError:
        pass


def open_log(path):
    """Open ``path`` fresh (truncated) for a child's output, in append mode.

    A symlink left at that name is removed, never followed into someone
    else's file; a FIFO or other non-file is refused, never waited on
    (O_NONBLOCK changes nothing for a regular file's writes). The child's
    writes append whatever the platform: on POSIX it inherits the open file
    with O_APPEND; on Windows, where a child inherits only the handle, the
    handle itself may only append (see ``windows.append_only_fd``).
    """
    try:
        if stat.S_ISLNK(os.lstat(path).st_mode):
            os.remove(path)
    except FileNotFoundError:
        pass
    fd = open_regular(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC
                      | os.O_APPEND)
    if _windows.is_windows():
        os.close(fd)
        fd = _regular_or_closed(_windows.append_only_fd(path), path)
    return os.fdopen(fd, "ab", buffering=0)


def now():
    """Monotonic seconds (for durations)."""
    return time.monotonic()
