"""Start, reuse, watch and stop TensorBoard servers (Qt-free, blocking).

Unlike ``tensorboard.manager`` (info files in a shared temp directory, reused
without checking that anyone still answers), an instance here is reused only
if its pid still belongs to the process we launched (same creation time) and
its HTTP server answers; dead records are dropped and a fresh server started.
"""

import contextlib
import dataclasses
import os
import subprocess
import sys
import threading
import time
import warnings

from spyder_tblogs.tensorboard import process as _process
from spyder_tblogs.tensorboard.instance import (
    ServerState, TensorBoardError, TensorBoardInstance,
    TensorBoardSecurityWarning)
from spyder_tblogs.tensorboard.registry import (
    Registry, default_registry_dir, identity_hash)

#: Seconds between checks while waiting for a new server to answer.
POLL_INTERVAL = 0.05
#: Timeout of one HTTP probe of a server that should already be running.
PROBE_TIMEOUT = 1.0
#: Launch attempts when an automatically chosen port is taken meanwhile.
PORT_ATTEMPTS = 5

# Arguments the manager sets itself; letting them through would make the
# recorded port/host/logdir lie (and --bind_all would bypass the host check).
_RESERVED_FLAGS = ("--logdir", "--logdir_spec", "--port", "--host",
                   "--bind_all")


class _PortTaken(Exception):
    """TensorBoard exited because its port was taken (internal)."""

    def __init__(self, error):
        super().__init__(error.message)
        self.error = error


class TensorBoardManager:
    """Launch TensorBoard servers as separate processes and keep track of them.

    Every method blocks (``start`` for seconds): a GUI calls them from a
    worker thread. Methods are thread-safe.

    Parameters
    ----------
    registry_dir : str, optional
        Directory of the instance records and output logs. Default:
        ``$SPYDER_TBLOGS_REGISTRY``, else the user's cache directory.
    """

    def __init__(self, registry_dir=None):
        self.registry = Registry(registry_dir or default_registry_dir())
        self._lock = threading.RLock()
        # key -> (instance, Popen) for servers this object launched.
        self._started = {}
        # key -> (instance, Popen or None): started or adopted, for
        # poll_exited().
        self._watched = {}

    # --- starting -----------------------------------------------------------

    def start(self, logdir, *, python=None, port=None, host="127.0.0.1",
              extra_args=(), timeout=60.0):
        """Start TensorBoard on ``logdir``, or return the one serving it.

        Parameters
        ----------
        logdir : str
            Existing log directory (its real path identifies the instance).
        python : str, optional
            Interpreter to run ``-m tensorboard.main`` with. Default: this
            process' interpreter if it can import tensorboard.
        port : int, optional
            Port to listen on. Default: a free one chosen here.
        host : str
            Address to bind. Anything but loopback must be asked for
            explicitly and triggers a :class:`TensorBoardSecurityWarning`.
        extra_args : sequence of str
            More TensorBoard flags (``--reload_interval``, ``--load_fast``,
            ...); part of the instance identity.
        timeout : float
            Seconds to wait for the HTTP server to answer.

        Returns
        -------
        TensorBoardInstance
            With ``reused=True`` if an instance with the same log directory,
            interpreter and extra arguments was already running. A
            registered server whose process lives but does not answer within
            a few seconds is stopped and replaced.

        Raises
        ------
        TensorBoardError
            Bad arguments, an interpreter without tensorboard, a port in use,
            a server that exits at start or does not answer in time.
        """
        logdir = self._normalize_logdir(logdir)
        python = self._normalize_python(python)
        extra_args = self._check_extra_args(extra_args)
        host = self._check_host(host)
        if port is not None:
            port = self._check_port(port)
        key = identity_hash(logdir, python, extra_args)

        status, instance = self._registered_status(key)
        if status == "alive":
            return self._reuse(key, instance, host, port)
        with self.registry.lock(key, timeout) as locked:
            if not locked:
                raise TensorBoardError(
                    f"another process is still starting TensorBoard for "
                    f"{logdir}; try again later")
            # Someone else may have started it while we waited for the lock.
            status, instance = self._registered_status(key)
            if status == "alive":
                return self._reuse(key, instance, host, port)
            if status in ("starting", "unresponsive"):
                if _process.http_ready(instance.url, 3 * PROBE_TIMEOUT):
                    self.registry.write(key, instance, ServerState.RUNNING)
                    return self._reuse(key, instance, host, port)
                # Its starter gave up or it hung: replace it.
                self._stop_one(key, instance, grace=2.0)
            return self._launch(key, logdir, python, port, host, extra_args,
                                timeout)

    def _reuse(self, key, instance, host, port):
        if (port is not None and port != instance.port) or \
                host != instance.host:
            raise TensorBoardError(
                f"TensorBoard for {instance.logdir} already runs at "
                f"{instance.url} (pid {instance.pid}); stop it first to serve "
                f"it on {host}:{port or 'any port'}")
        reused = dataclasses.replace(instance, reused=True)
        with self._lock:
            started = self._started.get(key)
            popen = started[1] if started and _same(started[0], instance) \
                else None
            self._watched[key] = (reused, popen)
        return reused

    def _launch(self, key, logdir, python, port, host, extra_args, timeout):
        command_of = (lambda chosen: [
            python, "-m", "tensorboard.main", "--logdir", logdir,
            "--host", host, "--port", str(chosen), *extra_args])
        available, reason = _process.check_interpreter(python)
        if not available:
            if not os.path.exists(python):
                message = f"Python interpreter not found: {python}"
            else:
                message = (f"{python} cannot run TensorBoard (no importable "
                           f"tensorboard package); install tensorboard there "
                           f"or choose another interpreter")
            raise TensorBoardError(message, command_of(port or 0), reason)
        if port is not None and not _process.port_is_free(host, port):
            raise TensorBoardError(
                f"port {port} on {host} is already in use; choose another "
                f"port or leave it unset", command_of(port))
        deadline = time.monotonic() + timeout
        attempts = 1 if port is not None else PORT_ATTEMPTS
        for attempt in range(1, attempts + 1):
            chosen = port if port is not None else \
                _process.choose_free_port(host)
            try:
                return self._launch_once(key, logdir, python, chosen, host,
                                         extra_args, command_of(chosen),
                                         deadline, timeout)
            except _PortTaken as taken:
                # Another process bound the port between our choice and
                # TensorBoard's bind: choose again (only ports we chose).
                if attempt == attempts:
                    raise taken.error from None

    def _launch_once(self, key, logdir, python, port, host, extra_args,
                     command, deadline, timeout):
        stdout_log, stderr_log = self.registry.log_paths(key)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        if os.name == "posix":
            # Own session: survives the CLI that launched it, and no terminal
            # signal (Ctrl+C in Spyder's parent shell) reaches it by accident.
            platform_kwargs = {"start_new_session": True}
        else:
            platform_kwargs = {"creationflags": (
                subprocess.CREATE_NEW_PROCESS_GROUP
                | subprocess.CREATE_NO_WINDOW)}
        launched_at = time.monotonic()
        started_at = time.time()
        try:
            # Output goes to files, never to a pipe nobody reads (it would
            # fill and block the server). cwd is our directory so nothing in
            # the user's cwd shadows tensorboard on sys.path.
            with _process.open_log(stdout_log) as out, \
                    _process.open_log(stderr_log) as err:
                popen = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                    cwd=self.registry.directory, env=env, close_fds=True,
                    **platform_kwargs)
        except OSError as error:
            raise TensorBoardError(
                f"cannot launch {python}: {error.strerror or error}",
                command) from None
        url = _process.make_url(host, port)
        create_time = _process.create_time_of(popen.pid) or started_at
        instance = TensorBoardInstance(
            pid=popen.pid, port=port, host=host, url=url, logdir=logdir,
            python=python, extra_args=tuple(extra_args),
            create_time=create_time, started_at=started_at,
            startup_seconds=None, reused=False,
            stdout_log=stdout_log, stderr_log=stderr_log)
        # Ours from now on: stop_started() (Spyder closing while this thread
        # still waits for the server) stops it too, and the wait then ends.
        with self._lock:
            self._started[key] = (instance, popen)
        try:
            # Recorded at once, so a crash of this process during start-up
            # leaves a record through which the server can be found and
            # stopped.
            self.registry.write(key, instance, ServerState.STARTING)
            self._wait_ready(instance, popen, command, deadline, timeout)
        except BaseException as error:
            # Includes KeyboardInterrupt in the CLI: never leave it behind.
            with self._lock:
                stopped = self._started.get(key, (None,))[0] is not instance
                self._forget(key, instance.pid)
            self._kill_launch(key, instance, popen)
            if stopped and isinstance(error, TensorBoardError):
                raise self._stopped_while_starting(logdir, command) from None
            raise
        instance.startup_seconds = time.monotonic() - launched_at
        with self._lock:
            if self._started.get(key, (None,))[0] is not instance:
                # Stopped just as it came up.
                raise self._stopped_while_starting(logdir, command)
            self.registry.write(key, instance, ServerState.RUNNING)
            self._watched[key] = (instance, popen)
        return dataclasses.replace(instance)

    @staticmethod
    def _stopped_while_starting(logdir, command):
        return TensorBoardError(
            f"TensorBoard for {logdir} was stopped while starting", command)

    def _wait_ready(self, instance, popen, command, deadline, timeout):
        while True:
            code = popen.poll()
            if code is not None:
                tail = _process.read_tail(instance.stderr_log)
                last = tail.splitlines()[-1] if tail else "no output"
                error = TensorBoardError(
                    f"TensorBoard exited at start (exit code {code}): {last}",
                    command, tail)
                if _process.PORT_IN_USE_PATTERN.search(tail):
                    raise _PortTaken(error)
                raise error
            remaining = deadline - time.monotonic()
            if _process.http_ready(instance.url,
                                   max(0.05, min(PROBE_TIMEOUT, remaining))):
                return
            if time.monotonic() >= deadline:
                tail = _process.read_tail(instance.stderr_log)
                raise TensorBoardError(
                    f"TensorBoard did not answer at {instance.url} within "
                    f"{timeout:g} s", command, tail)
            time.sleep(POLL_INTERVAL)

    def _kill_launch(self, key, instance, popen):
        process = _process.process_if_same(instance.pid, instance.create_time)
        if process is not None:
            _process.stop_tree(process, grace=1.0, popen=popen)
        else:
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(timeout=5)
        self.registry.remove(key, instance.pid)

    # --- inspecting ---------------------------------------------------------

    def _registered_status(self, key):
        """Return ``(status, instance)`` for the record of ``key``.

        ``status`` is ``"none"`` (no record, or a dead one, now removed),
        ``"alive"``, ``"starting"`` (process exists, recorded as starting) or
        ``"unresponsive"`` (process exists but its server does not answer).
        """
        entry = self.registry.read(key)
        if entry is None:
            return "none", None
        instance, state = entry
        self._reap(key, instance)
        if _process.process_if_same(instance.pid,
                                    instance.create_time) is None:
            self.registry.remove(key, instance.pid)
            return "none", None
        if state is ServerState.STARTING:
            return "starting", instance
        if _process.http_ready(instance.url, PROBE_TIMEOUT):
            return "alive", instance
        return "unresponsive", instance

    def _reap(self, key, instance):
        """Collect our own exited child so it does not linger as a zombie."""
        with self._lock:
            started = self._started.get(key)
        if started is not None and _same(started[0], instance):
            started[1].poll()

    def list(self):
        """Return the running instances, oldest first; prune dead records.

        Instances still starting (or not answering) are left out but kept.
        """
        running = []
        for key, instance, state in self.registry.records():
            self._reap(key, instance)
            if _process.process_if_same(instance.pid,
                                        instance.create_time) is None:
                self.registry.remove(key, instance.pid)
                continue
            _process.trim_log(instance.stdout_log)
            _process.trim_log(instance.stderr_log)
            if state is ServerState.RUNNING and \
                    _process.http_ready(instance.url, PROBE_TIMEOUT):
                running.append(instance)
        return sorted(running, key=lambda item: item.started_at)

    def find(self, logdir, *, python=None, extra_args=()):
        """Return the running instance for this identity, or None."""
        try:
            logdir = self._normalize_logdir(logdir, must_exist=False)
            python = self._normalize_python(python)
        except TensorBoardError:
            return None
        key = identity_hash(logdir, python, tuple(str(a) for a in extra_args))
        status, instance = self._registered_status(key)
        return instance if status == "alive" else None

    def is_alive(self, instance):
        """Tell whether ``instance``'s process exists and its server answers.
        """
        with self._lock:
            for started, popen in self._started.values():
                if started.pid == instance.pid:
                    popen.poll()
        if _process.process_if_same(instance.pid,
                                    instance.create_time) is None:
            return False
        return _process.http_ready(instance.url, PROBE_TIMEOUT)

    def poll_exited(self):
        """Report instances started or adopted here that died since last time.

        Returns
        -------
        list of (TensorBoardInstance, int or None, str)
            The instance, its exit code (known only for servers this object
            launched) and the tail of its stderr log. Their records are
            removed; instances stopped through :meth:`stop` are not reported.
        """
        exited = []
        with self._lock:
            watched = list(self._watched.items())
        for key, (instance, popen) in watched:
            if popen is not None:
                code = popen.poll()
                dead = code is not None
            else:
                code = None
                dead = _process.process_if_same(
                    instance.pid, instance.create_time) is None
            if not dead:
                _process.trim_log(instance.stdout_log)
                _process.trim_log(instance.stderr_log)
                continue
            tail = _process.read_tail(instance.stderr_log)
            self.registry.remove(key, instance.pid)
            with self._lock:
                self._forget(key, instance.pid)
            exited.append((instance, code, tail))
        return exited

    # --- stopping -----------------------------------------------------------

    def stop(self, target, *, grace=5.0):
        """Stop instances and their whole process trees; remove their records.

        Parameters
        ----------
        target : TensorBoardInstance, int or str
            An instance, the pid of a registered instance, or a log directory
            (every instance serving it is stopped). Unregistered pids are
            never signalled.
        grace : float
            Seconds between SIGTERM and SIGKILL.

        Returns
        -------
        list of int
            Pids of all processes signalled (servers and their children);
            empty if nothing matched.
        """
        matches = []
        if isinstance(target, TensorBoardInstance):
            for key, instance, _ in self.registry.records():
                if _same(instance, target):
                    matches.append((key, instance))
            if not matches:
                # Record gone (pruned elsewhere) but the caller holds proof
                # of identity (pid + creation time).
                key = identity_hash(target.logdir, target.python,
                                    target.extra_args)
                matches.append((key, target))
        elif isinstance(target, int) and not isinstance(target, bool):
            matches = [(key, instance)
                       for key, instance, _ in self.registry.records()
                       if instance.pid == target]
        else:
            logdir = self._normalize_logdir(target, must_exist=False)
            matches = [(key, instance)
                       for key, instance, _ in self.registry.records()
                       if instance.logdir == logdir]
        stopped = []
        for key, instance in matches:
            stopped.extend(self._stop_one(key, instance, grace))
        return stopped

    def stop_started(self, *, grace=5.0):
        """Stop every instance this manager object launched (Spyder's exit).

        Returns
        -------
        list of int
            Pids of all processes signalled.
        """
        with self._lock:
            started = [instance for instance, _ in self._started.values()]
        stopped = []
        for instance in started:
            stopped.extend(self.stop(instance, grace=grace))
        return stopped

    def _stop_one(self, key, instance, grace):
        with self._lock:
            started = self._started.get(key)
            popen = started[1] if started and _same(started[0], instance) \
                else None
            self._forget(key, instance.pid)
        if popen is not None:
            popen.poll()
        process = _process.process_if_same(instance.pid, instance.create_time)
        pids = []
        if process is not None:
            pids = _process.stop_tree(process, grace, popen=popen)
        elif popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(timeout=1)
        self.registry.remove(key, instance.pid)
        return pids

    def _forget(self, key, pid):
        for table in (self._started, self._watched):
            entry = table.get(key)
            if entry is not None and entry[0].pid == pid:
                del table[key]

    # --- argument checks ----------------------------------------------------

    @staticmethod
    def _normalize_logdir(logdir, must_exist=True):
        if logdir is None or not str(logdir).strip():
            raise TensorBoardError("no log directory given")
        path = os.path.realpath(os.path.expanduser(os.fspath(logdir)))
        if must_exist and not os.path.isdir(path):
            if os.path.exists(path):
                raise TensorBoardError(f"not a directory: {logdir}")
            raise TensorBoardError(f"log directory does not exist: {logdir}")
        return path

    @staticmethod
    def _normalize_python(python):
        if python is None:
            found = _process.find_interpreter([sys.executable])
            if found is None:
                raise TensorBoardError(
                    f"this Python ({sys.executable}) cannot import "
                    f"tensorboard; pass the interpreter of an environment "
                    f"that has it")
            return found
        if not str(python).strip():
            raise TensorBoardError("empty interpreter path")
        return _process.normalize_interpreter(python)

    @staticmethod
    def _check_extra_args(extra_args):
        return check_extra_args(extra_args)

    @staticmethod
    def _check_host(host):
        host = (host or "").strip()
        if not host:
            raise TensorBoardError("empty host")
        warning = security_warning(host)
        if warning:
            warnings.warn(warning, TensorBoardSecurityWarning, stacklevel=3)
        return host

    @staticmethod
    def _check_port(port):
        try:
            value = int(port)
        except (TypeError, ValueError):
            raise TensorBoardError(f"bad port: {port!r}") from None
        if isinstance(port, bool) or not 0 < value < 65536:
            raise TensorBoardError(f"port out of range (1-65535): {port}")
        return value


def check_extra_args(extra_args):
    """Return ``extra_args`` as a tuple of strings, or raise
    :class:`TensorBoardError` for arguments TensorBoard must not get
    (a single string, or flags the manager sets itself)."""
    if isinstance(extra_args, str):
        raise TensorBoardError(
            "extra_args must be a sequence of arguments, not one string")
    extra_args = tuple(str(arg) for arg in extra_args)
    for arg in extra_args:
        flag = arg.split("=", 1)[0]
        if flag in _RESERVED_FLAGS:
            raise TensorBoardError(
                f"{flag} is set by the manager; use its logdir/host/port "
                f"options instead of passing it through")
    return extra_args


def security_warning(host):
    """The warning for serving on ``host`` ('' for a loopback address)."""
    host = (host or "").strip()
    if not host or _process.is_loopback(host):
        return ""
    return (f"TensorBoard will listen on {host}: the logs it serves become "
            f"visible to anyone who can reach this machine on the network")


def _same(first, second):
    """Tell whether two instance snapshots describe the same process."""
    return first.pid == second.pid and \
        abs(first.create_time - second.create_time) < 0.01
