"""Launching one TensorBoard process and waiting for it (no registry here).

The manager records and tracks what these functions start; they only run
the process, wait for its HTTP server, and keep Ctrl+C from landing between
a launch and its record.
"""

import contextlib
import dataclasses
import os
import signal
import subprocess
import threading
import time
from typing import Optional

from spyder_tblogs.tensorboard import process as _process
from spyder_tblogs.tensorboard import windows as _windows
from spyder_tblogs.tensorboard.instance import (
    TensorBoardError, TensorBoardInstance, TensorFlowUse)
from spyder_tblogs.tensorboard.launch_plan import (
    LaunchPlan, TensorFlowChoice)

#: Seconds between checks while waiting for a new server to answer.
POLL_INTERVAL = 0.05
#: Timeout of one HTTP probe of a server that should already be running.
PROBE_TIMEOUT = 1.0


@dataclasses.dataclass
class Launch:
    """What one start launches: checked arguments, and once decided the
    :class:`~spyder_tblogs.tensorboard.launch_plan.LaunchPlan`."""

    key: str
    logdir: str
    python: str
    host: str
    extra_args: tuple
    default_args: tuple
    choice: TensorFlowChoice
    plan: Optional[LaunchPlan] = None

    def instance(self, pid, port, started_at, stdout_log, stderr_log):
        """The record of the server launched as ``pid``, until it is ready
        (``startup_seconds`` unknown; ``tensorflow`` unknown unless the
        plan tells)."""
        return TensorBoardInstance(
            pid=pid, port=port, host=self.host,
            url=_process.make_url(self.host, port), logdir=self.logdir,
            python=self.python, extra_args=self.extra_args,
            create_time=_process.create_time_of(pid) or started_at,
            started_at=started_at, startup_seconds=None, reused=False,
            stdout_log=stdout_log, stderr_log=stderr_log,
            default_args=self.default_args,
            tensorflow=self.plan.tensorflow or TensorFlowUse.UNKNOWN)

    def command(self, port):
        # The manager's flags come last: argparse keeps the last value of a
        # flag, so they win over anything the extra arguments slipped in;
        # explicit extra arguments win over the caller's defaults.
        return [self.python, *_process.launch_marker(self.key),
                *self.plan.program, *self.default_args, *self.extra_args,
                "--logdir", self.logdir, "--host", self.host,
                "--port", str(port)]


def check_interpreter(python):
    """Raise TensorBoardError unless ``python`` can run TensorBoard."""
    available, reason = _process.check_interpreter(python)
    if available:
        return
    if not os.path.exists(python):
        message = f"Python interpreter not found: {python}"
    else:
        message = (f"{python} cannot run TensorBoard (no importable "
                   f"tensorboard package); install tensorboard there "
                   f"or choose another interpreter")
    raise TensorBoardError(message, _process.check_command(python), reason)


def check_fixed_port(launch, port):
    """Raise TensorBoardError if the port the caller chose cannot be bound
    (in use, reserved by Windows, privileged, foreign address)."""
    problem = _process.port_problem(launch.host, port)
    if problem:
        raise TensorBoardError(problem, launch.command(port))


def stopped_while_starting(logdir, command):
    """The error of a start whose server was stopped before it answered."""
    return TensorBoardError(
        f"TensorBoard for {logdir} was stopped while starting", command)


class PortTaken(Exception):
    """TensorBoard exited because its port was taken (``error`` says so)."""

    def __init__(self, error):
        super().__init__(error.message)
        self.error = error


def popen_server(command, stdout_log, stderr_log, cwd, environment=None):
    """Start ``command`` detached, its output going to the two log files,
    with ``environment`` (a dict) added to ours.

    Raises
    ------
    TensorBoardError
        If it cannot be started (missing or non-executable interpreter...).
    """
    env = dict(os.environ, **(environment or {}), PYTHONUNBUFFERED="1")
    # Own session (POSIX) or process group (Windows): it survives the CLI
    # that launched it, no terminal signal reaches it by accident, and no
    # console window opens for it on Windows.
    platform_kwargs = _windows.server_kwargs()
    try:
        # Output goes to files, never to a pipe nobody reads (it would fill
        # and block the server). cwd is the registry directory so nothing in
        # the user's cwd shadows tensorboard on sys.path.
        with _process.open_log(stdout_log) as out, \
                _process.open_log(stderr_log) as err:
            return subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                cwd=cwd, env=env, close_fds=True, **platform_kwargs)
    except OSError as error:
        raise TensorBoardError(
            f"cannot launch {command[0]}: {error.strerror or error}",
            command) from None


def wait_ready(instance, popen, command, deadline, timeout):
    """Return once ``instance`` answers HTTP.

    Raises
    ------
    PortTaken
        It exited because its port was taken.
    TensorBoardError
        It exited otherwise, or did not answer before ``deadline``
        (``time.monotonic()``; ``timeout`` is for the message).
    """
    while True:
        code = popen.poll()
        if code is not None:
            tail = _process.read_tail(instance.stderr_log)
            last = tail.splitlines()[-1] if tail else "no output"
            error = TensorBoardError(
                f"TensorBoard exited at start (exit code {code}): {last}",
                command, tail)
            if _process.PORT_IN_USE_PATTERN.search(tail):
                raise PortTaken(error)
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


@contextlib.contextmanager
def interrupts_deferred():
    """Hold Ctrl+C (SIGINT) back until the block is done, then raise it.

    Only in the main thread with Python's default handler (the CLI): signal
    handlers can be changed nowhere else, and an application's own handler
    is left alone. A server launched and recorded in such a block is never
    left unrecorded by an interrupt that lands between the two steps.
    """
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    received = []
    signal.signal(signal.SIGINT, lambda signum, frame: received.append(1))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if received:
            raise KeyboardInterrupt
