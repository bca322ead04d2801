"""Start, reuse, watch and stop TensorBoard servers (Qt-free, blocking).

Unlike ``tensorboard.manager`` (info files in a shared temp directory, reused
without checking that anyone still answers), an instance here is reused only
if its pid still belongs to the process we launched (same creation time, and
a command line carrying our launch marker for that record and log directory)
and its HTTP server answers; other records are dropped, never acted on, and a
fresh server started. Where a server listens is read from the operating
system, not assumed from the host it was given.

One server per log directory, whoever asks and however it is spelled (see
identity.py): a start without explicit extra arguments reuses any live
server for that directory and interpreter (a caller's preference defaults
are not explicit); only explicit ones must match. Servers run without TensorFlow unless asked (see launch_plan.py).
"""

import contextlib
import dataclasses
import subprocess
import threading
import time

import psutil

from spyder_tblogs.tensorboard import arguments as _arguments
from spyder_tblogs.tensorboard import identity as _identity
from spyder_tblogs.tensorboard import launch as _launch
from spyder_tblogs.tensorboard import launch_plan as _launch_plan
from spyder_tblogs.tensorboard import listening as _listening
from spyder_tblogs.tensorboard import process as _process
# Public names of the manager module since before arguments.py existed.
from spyder_tblogs.tensorboard.arguments import (  # noqa: F401
    check_extra_args, security_warning)
from spyder_tblogs.tensorboard.instance import (
    ServerState, TensorBoardError, TensorBoardInstance)
from spyder_tblogs.tensorboard.instance import same_process as _same
# POLL_INTERVAL: bench/bench_tensorboard.py reads it from this module.
from spyder_tblogs.tensorboard.launch import (  # noqa: F401
    POLL_INTERVAL, PROBE_TIMEOUT)
from spyder_tblogs.tensorboard.launch_plan import TensorFlowChoice
from spyder_tblogs.tensorboard.registry import (
    Registry, default_registry_dir, identity_hash)

#: Launch attempts when an automatically chosen port is taken meanwhile.
PORT_ATTEMPTS = 5


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
              extra_args=(), default_args=(),
              tensorflow=TensorFlowChoice.NEVER, timeout=60.0):
        """Start TensorBoard on ``logdir``, or return the one serving it.

        Parameters
        ----------
        logdir : str
            Existing log directory (its real path identifies the instance),
            or the URL of a remote root such as ``s3://bucket/prefix`` (the
            URL identifies it; nothing local is checked).
        python : str, optional
            Interpreter to run TensorBoard with. Default: this process'
            interpreter if it can import tensorboard.
        port : int, optional
            Port to listen on. Default: a free one chosen here.
        host : str
            Address to bind. Anything but loopback must be asked for
            explicitly and triggers a :class:`TensorBoardSecurityWarning`.
        extra_args : sequence of str
            TensorBoard flags the user asked for explicitly; part of the
            instance identity.
        default_args : sequence of str
            TensorBoard flags a caller adds from its preferences (the pane's
            ``--reload_interval 5``): used when a server is launched, never
            part of its identity. Explicit ``extra_args`` win over them.
        tensorflow : TensorFlowChoice or str
            "Load TensorFlow in TensorBoard": ``never`` (default, fastest)
            or ``when-installed``. A root that only TensorFlow's file
            systems read loads it anyway; ``s3://`` never does (TensorFlow
            does not read it). Used when a server is launched, never part of
            its identity: the instance's ``tensorflow`` says how it runs.
        timeout : float
            Seconds to wait for the HTTP server to answer.

        Returns
        -------
        TensorBoardInstance
            With ``reused=True`` if one was already running for the same
            log directory and interpreter: any such one when
            ``extra_args`` is empty, else one with the same ``extra_args``.
            A registered server whose process lives but does not answer
            within a few seconds is stopped and replaced.

        Raises
        ------
        TensorBoardError
            Bad arguments, an interpreter without tensorboard (or without
            what reads the root's URL scheme, such as boto3 for s3://), a
            port in use, a server that exits at start or does not answer in
            time, or one that listens off loopback although ``host`` is
            loopback (it is stopped).
        """
        logdir = _arguments.normalize_logdir(logdir)
        python = _arguments.normalize_python(python)
        extra_args = check_extra_args(extra_args)
        default_args = check_extra_args(default_args)
        choice = TensorFlowChoice.of(tensorflow)
        host = _arguments.check_host(host)
        if port is not None:
            port = _arguments.check_port(port)
        timeout = _arguments.check_seconds(timeout)
        key = identity_hash(logdir, python, extra_args)

        found = self._live_instance(key, logdir, python, extra_args)
        if found is not None:
            return self._reuse(*found, host, port)
        with self.registry.lock(key, timeout) as locked:
            if not locked:
                raise TensorBoardError(
                    f"another process is still starting TensorBoard for "
                    f"{logdir}; try again later")
            # Someone else may have started it while we waited for the lock.
            found = self._live_instance(key, logdir, python, extra_args)
            if found is not None:
                return self._reuse(*found, host, port)
            status, instance = self._registered_status(key)
            if status in ("starting", "unresponsive"):
                if _process.http_ready(instance.url, 3 * PROBE_TIMEOUT):
                    self.registry.write(key, instance, ServerState.RUNNING)
                    return self._reuse(key, instance, host, port)
                # Its starter gave up or it hung: replace it.
                self._stop_one(key, instance, grace=2.0)
            launch = _launch.Launch(key, logdir, python, host, extra_args,
                                    default_args, choice)
            return self._launch(launch, port, timeout)

    def _live_instance(self, key, logdir, python, extra_args):
        """Return ``(key, instance)`` of a live server to reuse, or None.

        The record of ``key`` first (one file read); then any live one
        :func:`~.identity.serves` this log directory and interpreter,
        however spelled (another case, a bind mount), with the same explicit
        extra arguments if there are any.
        """
        status, instance = self._registered_status(key)
        if status == "alive":
            return key, instance
        for other_key, other, _ in self.registry.records():
            if other_key != key and \
                    _identity.serves(other, logdir, python, extra_args):
                status, instance = self._registered_status(other_key)
                if status == "alive":
                    return other_key, instance
        return None

    def _reuse(self, key, instance, host, port):
        if (port is not None and port != instance.port) or \
                host != instance.host:
            raise TensorBoardError(
                f"TensorBoard for {instance.logdir} already runs at "
                f"{instance.url} (pid {instance.pid}); stop it first to serve "
                f"it on {host}:{port or 'any port'}")
        self._check_listening(key, instance, None)
        reused = dataclasses.replace(instance, reused=True)
        with self._lock:
            started = self._started.get(key)
            popen = started[1] if started and _same(started[0], instance) \
                else None
            self._watched[key] = (reused, popen)
        return reused

    def _launch(self, launch, port, timeout):
        host = launch.host
        _launch.check_interpreter(launch.python)
        launch.plan = _launch_plan.plan_launch(launch.logdir, launch.python,
                                               launch.choice)
        if port is not None:
            _launch.check_fixed_port(launch, port)
        deadline = time.monotonic() + timeout
        attempts = 1 if port is not None else PORT_ATTEMPTS
        for attempt in range(1, attempts + 1):
            chosen = port if port is not None else \
                _process.choose_free_port(host)
            try:
                return self._launch_once(launch, chosen, deadline, timeout)
            except _launch.PortTaken as taken:
                # Another process bound the port between our choice and
                # TensorBoard's bind: choose again (only ports we chose).
                if attempt == attempts:
                    raise taken.error from None

    def _launch_once(self, launch, port, deadline, timeout):
        key, logdir = launch.key, launch.logdir
        command = launch.command(port)
        stdout_log, stderr_log = self.registry.log_paths(key)
        launched_at = time.monotonic()
        started_at = time.time()
        popen = instance = None
        try:
            # Ctrl+C waits until the server is recorded (STARTING), so the
            # handler below, or a later `stop --all`, always finds it.
            with _launch.interrupts_deferred():
                popen = _launch.popen_server(command, stdout_log, stderr_log,
                                             self.registry.directory,
                                             launch.plan.environment)
                instance = launch.instance(popen.pid, port, started_at,
                                           stdout_log, stderr_log)
                # Ours from now on: stop_started() (Spyder closing while this
                # thread still waits for the server) stops it too, and the
                # wait then ends.
                with self._lock:
                    self._started[key] = (instance, popen)
                self.registry.write(key, instance, ServerState.STARTING)
            _launch.wait_ready(instance, popen, command, deadline, timeout)
            self._check_listening(key, instance, popen)
            with _launch.interrupts_deferred():
                instance.startup_seconds = time.monotonic() - launched_at
                # TensorBoard says at start-up when it runs on its stub.
                instance.tensorflow = _launch_plan.tensorflow_use(
                    launch.plan, _process.read_tail(stderr_log, lines=200))
                with self._lock:
                    if self._started.get(key, (None,))[0] is not instance:
                        # Stopped just as it came up.
                        raise _launch.stopped_while_starting(logdir, command)
                    self.registry.write(key, instance, ServerState.RUNNING)
                    self._watched[key] = (instance, popen)
        except BaseException as error:
            # Includes KeyboardInterrupt in the CLI: never leave it behind.
            if popen is None:
                raise
            with _launch.interrupts_deferred():
                with self._lock:
                    stopped = instance is None or \
                        self._started.get(key, (None,))[0] is not instance
                    self._forget(key, popen.pid)
                self._kill_launch(key, popen)
            if stopped and isinstance(error, TensorBoardError):
                raise _launch.stopped_while_starting(logdir, command) from None
            raise
        return dataclasses.replace(instance)

    def _check_listening(self, key, instance, popen):
        """Record where ``instance`` listens; stop it if that leaves loopback
        although its host is loopback (an extra flag for its data server, a
        plugin, a wrapper interpreter...)."""
        try:
            process = psutil.Process(popen.pid) if popen is not None else \
                self._process_of(key, instance)
        except psutil.NoSuchProcess:
            process = None
        if process is None:
            return
        addresses = _listening.listen_addresses(process)
        instance.listening = addresses or ()
        problem = _listening.exposure_problem(instance)
        if problem:
            if popen is None:
                self._stop_one(key, instance, grace=2.0)
            raise TensorBoardError(problem)

    def _kill_launch(self, key, popen):
        # Our own child: its pid cannot be reused before we reap it.
        if popen.poll() is None:
            with contextlib.suppress(psutil.NoSuchProcess):
                _process.stop_tree(psutil.Process(popen.pid), grace=1.0,
                                   popen=popen)
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(timeout=5)
        self.registry.remove(key, popen.pid)

    def _process_of(self, key, instance):
        """The live process of a record, only if it proves to be ours."""
        return _process.process_if_launched(
            instance.pid, instance.create_time, key, instance.logdir)

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
        if self._process_of(key, instance) is None:
            # Dead, or a process that is not the one launched for this
            # record: the record goes, the process is never touched.
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
        Each carries the addresses its process tree listens on now.
        """
        running = []
        for key, instance, state in self.registry.records():
            self._reap(key, instance)
            process = self._process_of(key, instance)
            if process is None:
                self.registry.remove(key, instance.pid)
                continue
            self._trim_logs(key)
            if state is ServerState.RUNNING and \
                    _process.http_ready(instance.url, PROBE_TIMEOUT):
                instance.listening = \
                    _listening.listen_addresses(process) or ()
                running.append(instance)
        return sorted(running, key=lambda item: item.started_at)

    def find(self, logdir, *, python=None, extra_args=()):
        """Return the running instance :meth:`start` would reuse, or None."""
        try:
            logdir = _arguments.normalize_logdir(logdir, must_exist=False)
            python = _arguments.normalize_python(python)
            extra_args = check_extra_args(extra_args)
        except TensorBoardError:
            return None
        key = identity_hash(logdir, python, extra_args)
        found = self._live_instance(key, logdir, python, extra_args)
        return found[1] if found else None

    def is_alive(self, instance):
        """Tell whether ``instance``'s process exists and its server answers.
        """
        with self._lock:
            for started, popen in self._started.values():
                if started.pid == instance.pid:
                    popen.poll()
        key = identity_hash(instance.logdir, instance.python,
                            instance.extra_args)
        if self._process_of(key, instance) is None:
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
                dead = self._process_of(key, instance) is None
            if not dead:
                self._trim_logs(key)
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
            (every instance serving it, however spelled, is stopped).
            Unregistered pids are never signalled.
        grace : float
            Seconds between SIGTERM and SIGKILL.

        Returns
        -------
        list of int
            Pids of all processes signalled (servers and their children);
            empty if nothing matched.
        """
        logdir = None
        if isinstance(target, bool) or \
                not isinstance(target, (TensorBoardInstance, int)):
            logdir = _arguments.normalize_logdir(target, must_exist=False)
        matches = _identity.records_to_stop(self.registry.records(), target,
                                            logdir)
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
        process = None
        if popen is not None and popen.poll() is None:
            # Our own child: its pid cannot be reused before we reap it.
            with contextlib.suppress(psutil.NoSuchProcess):
                process = psutil.Process(popen.pid)
        elif popen is None:
            process = self._process_of(key, instance)
        pids = []
        if process is not None:
            pids = _process.stop_tree(process, grace, popen=popen)
        elif popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(timeout=1)
        self.registry.remove(key, instance.pid)
        return pids

    def _trim_logs(self, key):
        # The registry's own paths, never ones a record names.
        for path in self.registry.log_paths(key):
            _process.trim_log(path)

    def _forget(self, key, pid):
        for table in (self._started, self._watched):
            entry = table.get(key)
            if entry is not None and entry[0].pid == pid:
                del table[key]
