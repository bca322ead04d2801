"""Why steps seem missing from a run its console is busy with (Qt-free).

Writers keep recent events in memory; a script that is paused, or busy
between two flushes, shows fewer steps on disk than it logged. The pane
explains that instead of letting it look like lost data.
"""

from __future__ import annotations

import time

from spyder_tblogs.logs.console_state import ConsoleState

# Writers flush what they buffered at least this often (seconds), and keep up
# to 10 events in memory before that:
# - TensorFlow ``tf.summary.create_file_writer``: ``flush_millis`` defaults to
#   120,000 and ``max_queue`` to 10; it flushes only when it is writing
#   anyway, so a paused script holds its queue until ``flush()``/``close()``.
# - PyTorch ``torch.utils.tensorboard.SummaryWriter``, tensorboardX
#   ``SummaryWriter`` and tensorboard's ``EventFileWriter``: ``flush_secs=120``
#   and ``max_queue=10``, flushed by a background thread.
DEFAULT_FLUSH_SECONDS = 120.0


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


def flush_hint(run, console_state: ConsoleState, now: float | None = None, *,
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
    console_state : ConsoleState
        The console's state (``ConsoleTracker.state``).
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
    if not console_state.busy:
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
    if console_state is ConsoleState.DEBUGGING:
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
