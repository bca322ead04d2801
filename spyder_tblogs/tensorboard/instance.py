"""Plain data types shared by the TensorBoard manager and its callers."""

import enum
from dataclasses import asdict, dataclass
from typing import Optional, Tuple


class ServerState(enum.Enum):
    """Life-cycle state of a TensorBoard server, as recorded in the registry.

    A GUI can use the same states for what it shows: ``STARTING`` until the
    HTTP server answers, ``RUNNING`` afterwards, ``EXITED`` when the process
    died without being asked to, ``STOPPED`` after :meth:`stop`.
    """

    STARTING = "starting"
    RUNNING = "running"
    EXITED = "exited"
    STOPPED = "stopped"


class TensorFlowUse(enum.Enum):
    """Whether a TensorBoard server runs with TensorFlow (shown per instance).
    """

    #: Started through the TF-free launcher: TensorBoard's stub, by choice
    #: (or because only the stub reads its log root, such as s3://).
    SKIPPED = "skipped"
    #: TensorFlow was allowed and TensorBoard imported it.
    LOADED = "loaded"
    #: TensorFlow was allowed but the interpreter has none: the stub.
    NOT_INSTALLED = "not-installed"
    #: A record from a version that did not say.
    UNKNOWN = "unknown"


class TensorBoardSecurityWarning(UserWarning):
    """TensorBoard was asked to listen on a non-loopback address."""


class TensorBoardError(Exception):
    """TensorBoard could not be started, reached or stopped.

    Attributes
    ----------
    message : str
        One line saying what went wrong and, when known, what to do.
    command : list of str or None
        The command line that was tried, if a process was (to be) launched.
    stderr_tail : str
        The last lines TensorBoard (or the interpreter) wrote to stderr.
    """

    def __init__(self, message, command=None, stderr_tail=""):
        super().__init__(message)
        self.message = message
        self.command = list(command) if command is not None else None
        self.stderr_tail = stderr_tail or ""

    def __str__(self):
        return self.message

    def details(self):
        """Return a multi-line report: message, command line, stderr tail."""
        parts = [self.message]
        if self.command:
            parts.append("command: " + " ".join(_quote(arg)
                                                for arg in self.command))
        if self.stderr_tail:
            parts.append("stderr (last lines):\n" + self.stderr_tail)
        return "\n".join(parts)


def _quote(arg):
    """Quote one argument for display only (it is never run by a shell), as
    this platform's shell reads it."""
    from spyder_tblogs.tensorboard.windows import quote_arg
    return quote_arg(arg)


@dataclass
class TensorBoardInstance:
    """One TensorBoard server process known to the manager.

    Attributes
    ----------
    pid : int
        Process id of the ``python -m tensorboard.main`` process.
    port, host, url :
        Where its HTTP server listens; ``url`` is what a browser opens.
    logdir : str
        Real path of the served log directory, or the URL of a remote root
        (``s3://bucket/prefix``) as given, without trailing slashes.
    python : str
        Absolute path of the interpreter that runs it.
    extra_args : tuple of str
        Extra TensorBoard arguments the caller asked for explicitly; part of
        its identity (a start with other explicit ones does not reuse it).
    create_time : float
        ``psutil`` creation time of ``pid``; guards against recycled pids.
    started_at : float
        Wall-clock time (``time.time()``) at which it was launched.
    startup_seconds : float or None
        Seconds from launch until the HTTP server answered (None if unknown).
    reused : bool
        True when :meth:`TensorBoardManager.start` found it already running.
    stdout_log, stderr_log : str
        Files receiving its output (never a pipe, which could fill and block
        the server). Bounded: past 1 MiB a manager that lists, polls or
        checks the instance cuts them back to their last 256 KiB.
        TensorBoard writes little after start-up (no per-request log).
    listening : tuple of str
        The ``ip:port`` addresses the server and its children (the Rust data
        server) listen on, as the operating system reports them when the
        instance was started, reused or listed; empty if unknown.
    default_args : tuple of str
        TensorBoard arguments the caller added from its preferences (the
        pane's ``--reload_interval``); not part of its identity. They come
        before ``extra_args`` on the command line, so explicit ones win.
    tensorflow : TensorFlowUse
        Whether it runs with TensorFlow.
    """

    pid: int
    port: int
    host: str
    url: str
    logdir: str
    python: str
    extra_args: Tuple[str, ...]
    create_time: float
    started_at: float
    startup_seconds: Optional[float]
    reused: bool
    stdout_log: str
    stderr_log: str
    listening: Tuple[str, ...] = ()
    default_args: Tuple[str, ...] = ()
    tensorflow: TensorFlowUse = TensorFlowUse.UNKNOWN

    def to_json(self):
        """Return the public JSON shape of ``tensorboard start --json``."""
        return {
            "pid": self.pid,
            "port": self.port,
            "host": self.host,
            "url": self.url,
            "logdir": self.logdir,
            "reused": self.reused,
            "listening": list(self.listening),
            "tensorflow": self.tensorflow.value,
            "extra_args": list(self.extra_args),
            "default_args": list(self.default_args),
        }

    def to_record(self):
        """Return every field as JSON-compatible values (registry format)."""
        record = asdict(self)
        record["extra_args"] = list(self.extra_args)
        record["listening"] = list(self.listening)
        record["default_args"] = list(self.default_args)
        record["tensorflow"] = self.tensorflow.value
        return record

    @classmethod
    def from_record(cls, record):
        """Build an instance from :meth:`to_record` output.

        Raises
        ------
        ValueError
            If a field is missing or has the wrong type (a garbage record).
        """
        try:
            startup = record["startup_seconds"]
            instance = cls(
                pid=_typed(record["pid"], int),
                port=_typed(record["port"], int),
                host=_typed(record["host"], str),
                url=_typed(record["url"], str),
                logdir=_typed(record["logdir"], str),
                python=_typed(record["python"], str),
                extra_args=tuple(
                    _typed(arg, str)
                    for arg in _typed(record["extra_args"], list)),
                create_time=float(_typed(record["create_time"],
                                         (int, float))),
                started_at=float(_typed(record["started_at"], (int, float))),
                startup_seconds=(None if startup is None
                                 else float(_typed(startup, (int, float)))),
                reused=False,
                stdout_log=_typed(record["stdout_log"], str),
                stderr_log=_typed(record["stderr_log"], str),
                listening=tuple(
                    _typed(address, str)
                    for address in _typed(record.get("listening", []),
                                          list)),
                default_args=tuple(
                    _typed(arg, str)
                    for arg in _typed(record.get("default_args", []), list)),
                tensorflow=TensorFlowUse(_typed(
                    record.get("tensorflow", "unknown"), str)),
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"bad instance record: {error!r}") from None
        if instance.pid <= 0 or not 0 < instance.port < 65536:
            raise ValueError("bad instance record: pid or port out of range")
        return instance


def _typed(value, types):
    """Return ``value`` if it is of ``types`` (bool never counts as int)."""
    if isinstance(value, bool) or not isinstance(value, types):
        raise TypeError(f"unexpected {type(value).__name__}: {value!r}")
    return value


def same_process(first, second):
    """Tell whether two instance snapshots describe the same process."""
    return first.pid == second.pid and \
        abs(first.create_time - second.create_time) < 0.01
