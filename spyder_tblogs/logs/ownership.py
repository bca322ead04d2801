"""Which runs a console's kernel writes, and why the pane thinks so.

Pure functions over the index's immutable snapshots (:class:`RunInfo`,
:class:`EventFileInfo`) and a :class:`KernelIdentity` that the Spyder floor
builds from the IPython console *without asking the kernel anything*, so the
answers keep coming while the kernel is busy or paused in the debugger.

Two ways to tell that an event file belongs to a kernel:

``pid``
    TensorFlow, tensorboard's ``EventFileWriter`` and PyTorch put the writer's
    host and process id in the file name
    (``events.out.tfevents.<time>.<host>.<pid>.<uid>[suffix]``). A match on
    both, for a file created after the kernel process started (process ids
    are reused), is certain.
``timing``
    tensorboardX 2.6 names files ``events.out.tfevents.<time>.<host>[suffix]``:
    no pid. The fallback is the rule a user would apply by hand: the file was
    created after this kernel started and written while the kernel was
    executing code. It is a good guess, not a proof (another process writing
    at the same time would match too), and the reason says so.

This module also holds the "why are my steps missing" hint for a paused
console (:func:`flush_hint`), the "my logs went somewhere else" check for the
console's working directory (:func:`cwd_log_roots`) and the state behind the
pane's *Follow console* action (:class:`ConsoleFollower`).

Nothing here imports Qt, Spyder or TensorFlow.
"""

from __future__ import annotations

import math
import os
import socket
import time
from dataclasses import dataclass
from typing import Iterable, Sequence

from spyder_tblogs.logs.info import FILE_FIELDS, RunInfo, run_file_field

# Writers flush what they buffered at least this often (seconds), and keep up
# to this many events in memory before that:
# - TensorFlow ``tf.summary.create_file_writer``: ``flush_millis`` defaults to
#   120,000 and ``max_queue`` to 10; it flushes only when it is writing
#   anyway, so a paused script holds its queue until ``flush()``/``close()``.
# - PyTorch ``torch.utils.tensorboard.SummaryWriter``, tensorboardX
#   ``SummaryWriter`` and tensorboard's ``EventFileWriter``: ``flush_secs=120``
#   and ``max_queue=10``, flushed by a background thread.
DEFAULT_FLUSH_SECONDS = 120.0
DEFAULT_MAX_QUEUE = 10

# tensorboardX truncates the creation time in its file name to whole seconds,
# and mtimes/wall times are taken by different clocks calls: allow this much
# slack (seconds) when comparing them with the console's busy periods.
TIMING_SLACK_SECONDS = 2.0

OWNED_BY_PID = "pid"
OWNED_BY_TIMING = "timing"
NOT_OWNED = "none"

# Console states reported by the Spyder floor (``ConsoleTracker.state``).
STATE_NONE = "none"
STATE_STARTING = "starting"
STATE_IDLE = "idle"
STATE_RUNNING = "running"
STATE_DEBUGGING = "debugging"

# Directories never worth scanning below a console's working directory.
_SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv", "venv",
    "env", ".env", ".tox", ".nox", ".mypy_cache", ".pytest_cache",
    ".ipynb_checkpoints", "site-packages", ".cache", ".conda",
})


@dataclass(frozen=True)
class KernelIdentity:
    """What the pane knows about one console's kernel, without asking it.

    Parameters
    ----------
    pid : int or None
        Process id of the kernel process (None for remote kernels or when
        Spyder does not say).
    host : str or None
        Host name of the machine the kernel runs on, as
        ``socket.gethostname()`` gives it (writers use the same call).
    started_at : float or None
        When the kernel process started (seconds since the epoch).
    busy_intervals : tuple of (float, float or None)
        Periods the kernel was executing code, oldest first; a period still
        going on ends in ``None``. A period includes the time the code was
        paused in the debugger: the cell has not finished yet.
    console_name : str
        The console's tab name (``client.get_name()``), used in messages.
    """

    pid: int | None
    host: str | None
    started_at: float | None
    busy_intervals: tuple[tuple[float, float | None], ...] = ()
    console_name: str = ""

    def was_busy_at(self, moment: float, *,
                    slack: float = TIMING_SLACK_SECONDS) -> bool:
        """Whether the kernel was executing code at ``moment`` (± ``slack``).

        Parameters
        ----------
        moment : float
            Seconds since the epoch.
        slack : float
            Tolerance in seconds on both ends of every busy period.

        Returns
        -------
        bool
        """
        for start, end in self.busy_intervals:
            stop = math.inf if end is None else end
            if start - slack <= moment <= stop + slack:
                return True
        return False


@dataclass(frozen=True)
class FileOwnership:
    """Whether one event file was written by a kernel.

    Attributes
    ----------
    name : str
        Event-file basename.
    method : str
        ``"pid"``, ``"timing"`` or ``"none"``.
    reason : str
        One plain sentence explaining the verdict (tooltip text).
    """

    name: str
    method: str
    reason: str

    @property
    def owned(self) -> bool:
        """True when the file is attributed to the kernel."""
        return self.method != NOT_OWNED


@dataclass(frozen=True)
class RunOwnership:
    """Whether a run is written by a console, with the evidence.

    Attributes
    ----------
    run : str
        Run name, as in :attr:`RunInfo.name`.
    method : str
        ``"pid"`` if any file matches on host and pid, else ``"timing"`` if
        any file matches by timing, else ``"none"``.
    files : tuple of FileOwnership
        The verdict for each event file of the run, in the run's order.
    reason : str
        Plain text for the pane's tooltip.
    newest_created : float or None
        Creation time of the newest attributed file (for *Follow console*).
    """

    run: str
    method: str
    files: tuple[FileOwnership, ...]
    reason: str
    newest_created: float | None = None

    @property
    def owned(self) -> bool:
        """True when at least one event file is attributed to the kernel."""
        return self.method != NOT_OWNED

    @property
    def owned_files(self) -> tuple[str, ...]:
        """Basenames of the files attributed to the kernel."""
        return tuple(item.name for item in self.files if item.owned)


def local_kernel_identity(pid: int, *, busy_intervals=(),
                          console_name: str = "") -> KernelIdentity:
    """Build the identity of a kernel running on this machine.

    The start time comes from the operating system (``psutil``), so it is
    right even for a kernel that was started long before the pane.

    Parameters
    ----------
    pid : int
        Kernel process id.
    busy_intervals : iterable of (float, float or None)
        Periods the kernel was executing.
    console_name : str
        The console's name.

    Returns
    -------
    KernelIdentity
        ``started_at`` is None when the process is gone or not visible.
    """
    started_at = None
    try:
        import psutil
        started_at = psutil.Process(pid).create_time()
    except Exception:  # gone, access denied, psutil missing: degrade
        started_at = None
    return KernelIdentity(pid=pid, host=socket.gethostname(),
                          started_at=started_at,
                          busy_intervals=tuple(busy_intervals),
                          console_name=console_name)


def same_host(first: str | None, second: str | None) -> bool:
    """Compare two host names the way writers and Spyder spell them.

    ``socket.gethostname()`` gives a short name on some systems and a fully
    qualified one on others; ``"node1"`` and ``"node1.cluster.org"`` are the
    same machine.

    Parameters
    ----------
    first, second : str or None
        Host names.

    Returns
    -------
    bool
        False if either is missing.
    """
    if not first or not second:
        return False
    first, second = first.lower(), second.lower()
    if first == second:
        return True
    if "." in first and "." in second:
        return False
    return first.split(".", 1)[0] == second.split(".", 1)[0]


def _format_clock(moment: float | None) -> str:
    if moment is None:
        return "an unknown time"
    return time.strftime("%H:%M:%S", time.localtime(moment))


def _console_label(kernel: KernelIdentity) -> str:
    return kernel.console_name or "this console"


def _creation_time(event_file) -> float | None:
    """When the writer opened the file: its name, else its first event."""
    created = getattr(event_file, "created", None)
    if created is not None:
        return float(created)
    first_wall_time = getattr(event_file, "first_wall_time", None)
    return None if first_wall_time is None else float(first_wall_time)


def file_ownership(event_file, kernel: KernelIdentity, *,
                   slack: float = TIMING_SLACK_SECONDS) -> FileOwnership:
    """Decide whether ``kernel`` wrote ``event_file``.

    Parameters
    ----------
    event_file : EventFileInfo
        From the index (only ``name``, ``host``, ``pid``, ``created``,
        ``mtime``, ``first_wall_time`` and ``last_wall_time`` are read).
    kernel : KernelIdentity
        The console's kernel.
    slack : float
        Tolerance in seconds for the timing comparisons.

    Returns
    -------
    FileOwnership
    """
    name = event_file.name
    label = _console_label(kernel)
    file_host = getattr(event_file, "host", None)
    file_pid = getattr(event_file, "pid", None)
    created = _creation_time(event_file)

    if file_pid is not None:
        if kernel.pid is None:
            return FileOwnership(name, NOT_OWNED, (
                f"Written by process {file_pid}; the process id of "
                f"{label}'s kernel is unknown (remote kernel?)."))
        if file_pid != kernel.pid or (
                file_host and kernel.host
                and not same_host(file_host, kernel.host)):
            return FileOwnership(name, NOT_OWNED, (
                f"Written by process {file_pid} on {file_host or 'a host'}"
                f", not by {label}'s kernel (process {kernel.pid})."))
        if (created is not None and kernel.started_at is not None
                and created < kernel.started_at - slack):
            # Same number, earlier process: pids are recycled.
            return FileOwnership(name, NOT_OWNED, (
                f"Written by an earlier process {file_pid}: the file was "
                f"created at {_format_clock(created)}, before {label}'s "
                f"kernel started at {_format_clock(kernel.started_at)}."))
        return FileOwnership(name, OWNED_BY_PID, (
            f"Written by {label}: the event file name carries the kernel's "
            f"host and process id ({file_host or kernel.host}, {file_pid})."))

    # No pid in the name (tensorboardX): fall back on timing.
    if file_host and kernel.host and not same_host(file_host, kernel.host):
        return FileOwnership(name, NOT_OWNED, (
            f"Written on another host ({file_host})."))
    if kernel.started_at is None or created is None:
        return FileOwnership(name, NOT_OWNED, (
            "The writer puts no process id in its file names and the "
            "kernel's start time or the file's creation time is unknown."))
    if created < kernel.started_at - slack:
        return FileOwnership(name, NOT_OWNED, (
            f"Created at {_format_clock(created)}, before {label}'s kernel "
            f"started at {_format_clock(kernel.started_at)}."))
    write_times = [moment for moment in (
        created,
        getattr(event_file, "first_wall_time", None),
        getattr(event_file, "last_wall_time", None),
        getattr(event_file, "mtime", None),
    ) if moment is not None]
    if not any(kernel.was_busy_at(moment, slack=slack)
               for moment in write_times):
        return FileOwnership(name, NOT_OWNED, (
            f"The writer puts no process id in its file names, and the file "
            f"was not written while {label} was executing code."))
    return FileOwnership(name, OWNED_BY_TIMING, (
        f"Probably written by {label}: the writer puts no process id in its "
        f"file names (tensorboardX does this), but the file was created at "
        f"{_format_clock(created)}, after the kernel started at "
        f"{_format_clock(kernel.started_at)}, and written while the console "
        f"was executing code."))


def run_ownership(run, kernel: KernelIdentity | None, *,
                  slack: float = TIMING_SLACK_SECONDS) -> RunOwnership:
    """Decide whether ``kernel`` writes ``run``.

    Parameters
    ----------
    run : RunInfo
        From the index.
    kernel : KernelIdentity or None
        The console's kernel; None means no console (nothing is owned).
    slack : float
        Tolerance in seconds for the timing comparisons.

    Returns
    -------
    RunOwnership
        ``reason`` is the text for the pane's tooltip.
    """
    if kernel is None:
        return RunOwnership(run.name, NOT_OWNED, (),
                            "No IPython console to compare with.")
    verdicts = tuple(file_ownership(event_file, kernel, slack=slack)
                     for event_file in run.files)
    by_name = {event_file.name: event_file for event_file in run.files}
    for method in (OWNED_BY_PID, OWNED_BY_TIMING):
        matching = [item for item in verdicts if item.method == method]
        if not matching:
            continue
        created = [_creation_time(by_name[item.name]) for item in matching]
        created = [moment for moment in created if moment is not None]
        reason = matching[-1].reason
        if len(verdicts) > 1:
            reason += (f" {len(matching)} of the run's {len(verdicts)} "
                       f"event files are the console's.")
        return RunOwnership(run.name, method, verdicts, reason,
                            max(created) if created else None)
    if not verdicts:
        reason = "The run has no event files yet."
    else:
        reason = verdicts[-1].reason
    return RunOwnership(run.name, NOT_OWNED, verdicts, reason)


def runs_owned_by(runs: Iterable, kernel: KernelIdentity | None, *,
                  slack: float = TIMING_SLACK_SECONDS,
                  ) -> dict[str, RunOwnership]:
    """The runs written by ``kernel``, keyed by run name.

    Parameters
    ----------
    runs : iterable of RunInfo
        Typically ``LogIndex.runs()``.
    kernel : KernelIdentity or None
        The console's kernel.
    slack : float
        Tolerance in seconds for the timing comparisons.

    Returns
    -------
    dict of str to RunOwnership
        Only the owned runs, in the order given.
    """
    if kernel is None:
        return {}
    owned = {}
    for run in runs:
        verdict = run_ownership(run, kernel, slack=slack)
        if verdict.owned:
            owned[run.name] = verdict
    return owned


class ConsoleFollower:
    """State behind *Follow console*: which run to select next.

    The pane calls :meth:`update` after every index refresh; it returns the
    run where the console's kernel created an event file since the last
    call, so the pane can select it. Files already present when following
    starts are not "new"; :meth:`start` returns the run the console wrote
    last, to select at once.

    Files are remembered by absolute path, so one follower serves several
    log roots: call :meth:`start` and :meth:`update` once per root's index.
    """

    def __init__(self):
        self._seen_files: set[str] = set()

    def reset(self) -> None:
        """Forget every file seen (following was turned off)."""
        self._seen_files.clear()

    def start(self, runs: Iterable, kernel: KernelIdentity | None,
              ) -> str | None:
        """Remember the current files of one root; pick its latest run.

        Parameters
        ----------
        runs : iterable of RunInfo
            All runs of one log root.
        kernel : KernelIdentity or None
            The console's kernel.

        Returns
        -------
        str or None
            The owned run with the most recently created event file.
        """
        runs = tuple(runs)
        for run in runs:
            self._seen_files.update(self._paths(run))
        return self._newest(runs, kernel)

    def start_rows(self, rows: Iterable[tuple],
                   kernel: KernelIdentity | None) -> str | None:
        """:meth:`start` for runs given as ``RunInfo.row`` (as the pane
        keeps them).

        Only runs that may be the kernel's become RunInfo objects and get a
        verdict: turning *Follow console* on with 10,000 runs listed then
        costs the GUI thread milliseconds, not a visible freeze.
        """
        candidates = []
        for row in rows:
            self._seen_files.update(run_file_field(row, _PATH))
            if _may_be_owned(row, kernel):
                candidates.append(RunInfo.from_row(row))
        return self._newest(candidates, kernel)

    def update(self, runs: Iterable, kernel: KernelIdentity | None,
               ) -> str | None:
        """Run to select after a refresh of one root, or None.

        Parameters
        ----------
        runs : iterable of RunInfo
            All runs of the root, after the refresh.
        kernel : KernelIdentity or None
            The console's kernel.

        Returns
        -------
        str or None
            Name of the run where the kernel created a new event file (the
            newest one if several), else None.
        """
        fresh = []
        for run in runs:
            paths = self._paths(run)
            new_paths = paths - self._seen_files
            if not new_paths:
                continue
            self._seen_files.update(new_paths)
            fresh.append(_with_files(run, new_paths))
        return self._newest(fresh, kernel)

    @staticmethod
    def _paths(run) -> set[str]:
        return {event_file.path for event_file in run.files}

    @staticmethod
    def _newest(runs: Sequence, kernel: KernelIdentity | None) -> str | None:
        best_name, best_time = None, -math.inf
        for verdict in runs_owned_by(runs, kernel).values():
            created = verdict.newest_created
            moment = -math.inf if created is None else created
            if best_name is None or moment > best_time:
                best_name, best_time = verdict.run, moment
        return best_name


# Positions of EventFileInfo fields (see ``run_file_field``).
_PATH, _PID, _CREATED, _FIRST_WALL_TIME = (
    FILE_FIELDS.index(name)
    for name in ("path", "pid", "created", "first_wall_time"))


def _may_be_owned(row, kernel, slack=TIMING_SLACK_SECONDS):
    """Whether :func:`run_ownership` could find the run ``kernel``'s.

    A necessary condition of :func:`file_ownership` for one of its files,
    read from the row alone: the kernel's pid in the file name, or no pid
    and a creation at or after the kernel's start.
    """
    if kernel is None:
        return False
    for pid, created, first_wall_time in zip(
            run_file_field(row, _PID), run_file_field(row, _CREATED),
            run_file_field(row, _FIRST_WALL_TIME)):
        if pid is not None:
            if pid == kernel.pid:
                return True
            continue
        if created is None:
            created = first_wall_time
        if (created is not None and kernel.started_at is not None
                and created >= kernel.started_at - slack):
            return True
    return False


class _RunFiles:
    """A run seen through some of its files (what is new in it)."""

    __slots__ = ("name", "files")

    def __init__(self, name, files):
        self.name, self.files = name, files


def _with_files(run, paths):
    return _RunFiles(run.name, tuple(event_file for event_file in run.files
                                     if event_file.path in paths))


def last_written(run) -> float | None:
    """When the run last reached the disk: the newest file mtime.

    Parameters
    ----------
    run : RunInfo

    Returns
    -------
    float or None
    """
    moments = [event_file.mtime for event_file in run.files
               if getattr(event_file, "mtime", None) is not None]
    last_modified = getattr(run, "last_modified", None)
    if last_modified:
        moments.append(last_modified)
    return max(moments) if moments else None


def _format_duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def flush_hint(run, console_state: str, now: float | None = None, *,
               flush_seconds: float = DEFAULT_FLUSH_SECONDS) -> str | None:
    """Explain missing steps of a run written by a paused or busy console.

    Writers keep up to 10 events in memory and write them every 120 s, or
    only on the next write (TensorFlow). A script paused in the debugger
    writes nothing, so what it logged last may still be in memory: that is
    not lost, it reaches the disk on ``flush()`` or ``close()``.

    Parameters
    ----------
    run : RunInfo
        A run written by the console (the caller checks ownership).
    console_state : str
        ``"debugging"``, ``"running"``, ``"idle"``, ... (see
        ``ConsoleTracker.state``).
    now : float, optional
        Current time (seconds since the epoch); ``time.time()`` by default.
    flush_seconds : float
        The writer's flush interval.

    Returns
    -------
    str or None
        A plain message, or None when there is nothing to explain (console
        idle, or the run was written within the flush interval).
    """
    if console_state not in (STATE_DEBUGGING, STATE_RUNNING):
        return None
    written = last_written(run)
    if written is None:
        return None
    now = time.time() if now is None else now
    quiet = now - written
    if quiet <= flush_seconds:
        return None
    since = _format_duration(quiet)
    buffered = (
        "Writers keep recent events in memory and write them to disk only "
        "every 2 minutes or every 10 events (TensorFlow's "
        "tf.summary.create_file_writer: flush_millis=120000, max_queue=10; "
        "PyTorch's SummaryWriter: flush_secs=120, max_queue=10), or when "
        "the script calls flush() or close()."
    )
    if console_state == STATE_DEBUGGING:
        return (
            f"Nothing written to this run for {since} while the console is "
            f"paused in the debugger. {buffered} The steps logged since the "
            f"last write are not lost: they reach the disk when the script "
            f"continues, or at once if you call writer.flush() at the "
            f"debugger prompt.")
    return (
        f"Nothing written to this run for {since} while the console is "
        f"running. {buffered} The steps logged since the last write are not "
        f"lost: they appear after the next flush.")


def _is_inside(path: str, parent: str) -> bool:
    try:
        return os.path.commonpath([path, parent]) == parent
    except ValueError:  # different drives on Windows
        return False


def _normalized(path: str) -> str:
    return os.path.normcase(os.path.realpath(os.path.abspath(path)))


def _event_directories(directory: str, max_depth: int,
                       max_directories: int = 20000) -> list[str]:
    """Directories under ``directory`` that directly hold event files.

    Depth-limited, loop-safe (symlinked directories are visited once),
    skips virtual environments and caches, and stops after
    ``max_directories`` so a working directory of ``/`` stays cheap.
    """
    found = []
    visited: set[tuple[int, int]] = set()
    pending = [(directory, 0)]
    while pending and len(visited) < max_directories:
        path, depth = pending.pop()
        try:
            stat = os.stat(path)
        except OSError:
            continue
        key = (stat.st_dev, stat.st_ino)
        if key in visited:
            continue
        visited.add(key)
        holds_events = False
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir():
                            if (depth < max_depth
                                    and entry.name not in _SKIP_DIRS):
                                pending.append((entry.path, depth + 1))
                        elif "tfevents" in entry.name:
                            holds_events = True
                    except OSError:
                        continue
        except OSError:
            continue
        if holds_events:
            found.append(path)
    return sorted(found)


def cwd_log_roots(cwd: str | None, shown_roots: Iterable[str], *,
                  max_depth: int = 4) -> tuple[str, ...]:
    """Log roots under the console's working directory the pane lacks.

    Relative log paths (``SummaryWriter("runs/exp1")``) land under the
    kernel's working directory, which is often not the project. When that
    directory is outside the roots the pane shows and holds event files,
    the pane adds what this returns as roots labelled "console's working
    directory": the working directory itself, or, when it contains a shown
    root (the console sits in a parent of the project), its largest
    subdirectories that hold event files and contain no shown root, so no
    run is listed twice.

    This walks the file system (depth-limited): call it off the GUI thread.

    Parameters
    ----------
    cwd : str or None
        The console's working directory.
    shown_roots : iterable of str
        Log roots already shown (project roots and user-added ones).
    max_depth : int
        How deep below ``cwd`` to look.

    Returns
    -------
    tuple of str
        Absolute directories, sorted: empty when ``cwd`` is missing, inside
        a shown root, or holds no event files that are not already shown.
    """
    if not cwd:
        return ()
    try:
        if not os.path.isdir(cwd):
            return ()
    except (OSError, ValueError):
        return ()
    base = os.path.abspath(cwd)
    real_base = _normalized(base)
    shown = [_normalized(root) for root in shown_roots if root]
    if any(_is_inside(real_base, root) for root in shown):
        return ()
    try:
        event_dirs = _event_directories(base, max_depth)
    except Exception:  # unreadable trees must not break the pane
        return ()
    extra: set[str] = set()
    for event_dir in event_dirs:
        real_dir = _normalized(event_dir)
        if any(_is_inside(real_dir, root) for root in shown):
            continue
        # Walk down from cwd to the first directory that contains no shown
        # root: the largest root that does not repeat the project's runs.
        relative = os.path.relpath(event_dir, base)
        parts = [] if relative == os.curdir else relative.split(os.sep)
        candidate = base
        for part in parts:
            real_candidate = _normalized(candidate)
            if not any(_is_inside(root, real_candidate) for root in shown):
                break
            candidate = os.path.join(candidate, part)
        extra.add(candidate)
    # A root inside another one found here adds nothing.
    topmost = [root for root in extra
               if not any(other != root and _is_inside(root, other)
                          for other in extra)]
    return tuple(sorted(topmost))


def state_label(state: str) -> str:
    """Words for a console state, for the pane's status column.

    Parameters
    ----------
    state : str

    Returns
    -------
    str
    """
    return {
        STATE_NONE: "no console",
        STATE_STARTING: "starting",
        STATE_IDLE: "idle",
        STATE_RUNNING: "running",
        STATE_DEBUGGING: "paused in debugger",
    }.get(state, state)


__all__ = [
    "DEFAULT_FLUSH_SECONDS", "DEFAULT_MAX_QUEUE", "TIMING_SLACK_SECONDS",
    "OWNED_BY_PID", "OWNED_BY_TIMING", "NOT_OWNED",
    "STATE_NONE", "STATE_STARTING", "STATE_IDLE", "STATE_RUNNING",
    "STATE_DEBUGGING",
    "KernelIdentity", "FileOwnership", "RunOwnership", "ConsoleFollower",
    "local_kernel_identity", "same_host", "file_ownership", "run_ownership",
    "runs_owned_by", "last_written", "flush_hint", "cwd_log_roots",
    "state_label",
]
