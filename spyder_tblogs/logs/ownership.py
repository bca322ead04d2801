"""Which runs a console's kernel writes, and why the pane thinks so.

Pure functions over the index's immutable snapshots (:class:`RunInfo`,
:class:`EventFileInfo`) and a :class:`KernelIdentity` that the Spyder floor
builds from the IPython console *without asking the kernel anything*, so the
answers keep coming while the kernel is busy or paused in the debugger.

Two ways to tell that an event file belongs to a kernel
(:class:`OwnershipMethod`):

``PID``
    TensorFlow, tensorboard's ``EventFileWriter`` and PyTorch put the writer's
    host and process id in the file name
    (``events.out.tfevents.<time>.<host>.<pid>.<uid>[suffix]``). A match on
    both, for a file created after the kernel process started (process ids
    are reused), is certain.
``TIMING``
    tensorboardX 2.6 names files ``events.out.tfevents.<time>.<host>[suffix]``:
    no pid. The fallback is the rule a user would apply by hand: the file was
    created after this kernel started and written while the kernel was
    executing code. It is a good guess, not a proof (another process writing
    at the same time would match too), and the reason says so.

Nothing here imports Qt, Spyder or TensorFlow.
"""

from __future__ import annotations

import enum
import math
import socket
import time
from dataclasses import dataclass
from typing import Iterable

from spyder_tblogs.logs.info import run_file_field
from spyder_tblogs.logs.kernel_process import process_start_time
from spyder_tblogs.logs.rows import EVENT_FILE_FIELDS

# tensorboardX truncates the creation time in its file name to whole seconds,
# and mtimes/wall times are taken by different clocks calls: allow this much
# slack (seconds) when comparing them with the console's busy periods.
TIMING_SLACK_SECONDS = 2.0


class OwnershipMethod(enum.Enum):
    """How an event file was found to be a kernel's, if it was."""

    PID = "pid"
    TIMING = "timing"
    NONE = "none"


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
    method : OwnershipMethod
    reason : str
        One plain sentence explaining the verdict (tooltip text).
    """

    name: str
    method: OwnershipMethod
    reason: str

    @property
    def owned(self) -> bool:
        """True when the file is attributed to the kernel."""
        return self.method is not OwnershipMethod.NONE


@dataclass(frozen=True)
class RunOwnership:
    """Whether a run is written by a console, with the evidence.

    Attributes
    ----------
    run : str
        Run name, as in :attr:`RunInfo.name`.
    method : OwnershipMethod
        ``PID`` if any file matches on host and pid, else ``TIMING`` if any
        file matches by timing, else ``NONE``.
    files : tuple of FileOwnership
        The verdict for each event file of the run, in the run's order.
    reason : str
        Plain text for the pane's tooltip.
    newest_created : float or None
        Creation time of the newest attributed file (for *Follow console*).
    """

    run: str
    method: OwnershipMethod
    files: tuple[FileOwnership, ...]
    reason: str
    newest_created: float | None = None

    @property
    def owned(self) -> bool:
        """True when at least one event file is attributed to the kernel."""
        return self.method is not OwnershipMethod.NONE

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
    return KernelIdentity(pid=pid, host=socket.gethostname(),
                          started_at=process_start_time(pid),
                          busy_intervals=tuple(busy_intervals),
                          console_name=console_name)


# Characters of a Windows NetBIOS computer name.
NETBIOS_LENGTH = 15


def same_host(first: str | None, second: str | None) -> bool:
    """Compare two host names the way writers and Spyder spell them.

    ``socket.gethostname()`` gives a short name on some systems and a fully
    qualified one on others; ``"node1"`` and ``"node1.cluster.org"`` are the
    same machine, and so are ``"WORKSTATION-1234"`` (15 characters, the
    NetBIOS name TensorFlow's writer uses on Windows) and
    ``"workstation-12345.corp.example"``.

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
    first, second = first.split(".", 1)[0], second.split(".", 1)[0]
    if first == second:
        return True
    # TensorFlow on Windows writes the NetBIOS name: the DNS name's first
    # label, upper case, cut to 15 characters.
    shorter, longer = sorted((first, second), key=len)
    return len(shorter) == NETBIOS_LENGTH and longer.startswith(shorter)


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
            return FileOwnership(name, OwnershipMethod.NONE, (
                f"Written by process {file_pid}; the process id of "
                f"{label}'s kernel is unknown (remote kernel?)."))
        if file_pid != kernel.pid or (
                file_host and kernel.host
                and not same_host(file_host, kernel.host)):
            return FileOwnership(name, OwnershipMethod.NONE, (
                f"Written by process {file_pid} on {file_host or 'a host'}"
                f", not by {label}'s kernel (process {kernel.pid})."))
        if (created is not None and kernel.started_at is not None
                and created < kernel.started_at - slack):
            # Same number, earlier process: pids are recycled.
            return FileOwnership(name, OwnershipMethod.NONE, (
                f"Written by an earlier process {file_pid}: the file was "
                f"created at {_format_clock(created)}, before {label}'s "
                f"kernel started at {_format_clock(kernel.started_at)}."))
        return FileOwnership(name, OwnershipMethod.PID, (
            f"Written by {label}: the event file name carries the kernel's "
            f"host and process id ({file_host or kernel.host}, {file_pid})."))

    # No pid in the name (tensorboardX): fall back on timing.
    if file_host and kernel.host and not same_host(file_host, kernel.host):
        return FileOwnership(name, OwnershipMethod.NONE, (
            f"Written on another host ({file_host})."))
    if kernel.started_at is None or created is None:
        return FileOwnership(name, OwnershipMethod.NONE, (
            "The writer puts no process id in its file names and the "
            "kernel's start time or the file's creation time is unknown."))
    if created < kernel.started_at - slack:
        return FileOwnership(name, OwnershipMethod.NONE, (
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
        return FileOwnership(name, OwnershipMethod.NONE, (
            f"The writer puts no process id in its file names, and the file "
            f"was not written while {label} was executing code."))
    return FileOwnership(name, OwnershipMethod.TIMING, (
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
        return RunOwnership(run.name, OwnershipMethod.NONE, (),
                            "No IPython console to compare with.")
    verdicts = tuple(file_ownership(event_file, kernel, slack=slack)
                     for event_file in run.files)
    by_name = {event_file.name: event_file for event_file in run.files}
    for method in (OwnershipMethod.PID, OwnershipMethod.TIMING):
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
    return RunOwnership(run.name, OwnershipMethod.NONE, verdicts, reason)


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


# Positions of EventFileInfo fields (see ``run_file_field``).
_PID, _CREATED, _FIRST_WALL_TIME = (
    EVENT_FILE_FIELDS.index(name)
    for name in ("pid", "created", "first_wall_time"))


def may_be_owned(row, kernel: KernelIdentity | None, *,
                 slack: float = TIMING_SLACK_SECONDS) -> bool:
    """Whether :func:`run_ownership` could find the run ``kernel``'s.

    ``row`` is the run as ``RunInfo.row``; no RunInfo is built, so the pane
    can sift 10,000 runs on the GUI thread in milliseconds.

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


__all__ = [
    "TIMING_SLACK_SECONDS", "OwnershipMethod", "KernelIdentity",
    "FileOwnership", "RunOwnership", "local_kernel_identity", "same_host",
    "file_ownership", "run_ownership", "runs_owned_by", "may_be_owned",
]
