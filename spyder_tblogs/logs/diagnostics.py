"""Diagnostics: what TensorBoard will show for a run, and what to do.

Every diagnostic has a stable ``code`` (for programs and tests), a
``severity`` and a plain-words ``message``. Builders here take the index's
per-file states and return tuples of :class:`Diagnostic`.
"""

import math
import time
from dataclasses import dataclass
from typing import Tuple

__all__ = ["Diagnostic", "STALE_AFTER_SECONDS", "LIVE_SECONDS", "SEVERITIES",
           "CODES", "run_diagnostics", "logdir_diagnostics",
           "remote_diagnostic"]

# Writers flush every 2 minutes by default (tf.summary, tensorboardX,
# PyTorch): a file quiet for longer than that is no longer being written.
STALE_AFTER_SECONDS = 120.0
# A run written within this many seconds is shown as being written (live).
LIVE_SECONDS = 60.0
# Severities, least severe first.
SEVERITIES = ("info", "warning", "error")

CODES = {
    "multiple-event-files": "info",
    "overlapping-steps": "warning",
    "step-regression": "warning",
    "empty-event-file": "warning",
    "truncated-record": "warning",
    "corrupt-record": "error",
    "undecodable-record": "warning",
    "non-finite-values": "warning",
    "unreadable": "error",
    "hparams-subrun": "info",
    "symlink-loop": "warning",
    "remote-error": "error",
}

# Kinds written once per writer (graphs, hparams): repeating them in a
# restarted run is harmless, so they never count as overlapping steps.
_NOT_STEPPED = frozenset({"graphs", "hparams", "graph_tagged_run_metadata",
                          "graph_run_metadata", "graph_keras_model",
                          "graph_run_metadata_graph", "custom_scalars"})


@dataclass(frozen=True)
class Diagnostic:
    """A finding about a run or the log directory.

    Attributes
    ----------
    code : str
        Stable identifier, one of :data:`CODES`.
    severity : str
        ``'info'``, ``'warning'`` or ``'error'``.
    message : str
        What TensorBoard will show and what to do, in plain words.
    files : tuple of str
        Event-file base names in the run, or paths for directories.
    """

    code: str
    severity: str
    message: str
    files: Tuple[str, ...] = ()

    def to_dict(self):
        """Return the ``scan --json`` shape of this diagnostic."""
        return {"code": self.code, "severity": self.severity,
                "message": self.message, "files": list(self.files)}


def _make(code, message, files):
    return Diagnostic(code, CODES[code], message, tuple(files))


def _age(seconds):
    if seconds < 120:
        return "%d s" % seconds
    if seconds < 7200:
        return "%d min" % (seconds // 60)
    if seconds < 172800:
        return "%d h" % (seconds // 3600)
    return "%d days" % (seconds // 86400)


def _names(names, limit=3):
    names = list(names)
    shown = ", ".join("'%s'" % name for name in names[:limit])
    if len(names) > limit:
        shown += " and %d more" % (len(names) - limit)
    return shown


def run_diagnostics(run_name, files, now=None):
    """Return the diagnostics of one run.

    Parameters
    ----------
    run_name : str
        The run's name (``.`` for the log directory itself).
    files : list of (str, FileState)
        Event-file base names and their reader states, sorted by name.
    now : float, optional
        Current time (for "not written for a while" checks).

    Returns
    -------
    tuple of Diagnostic
    """
    now = time.time() if now is None else now
    found = []
    if len(files) > 1:
        found.append(_make(
            "multiple-event-files",
            "This run has %d event files (several writers, or a training "
            "restarted into the same directory). TensorBoard merges them "
            "into one run, reading the files in name order."
            % len(files), [name for name, _ in files]))
    found.extend(_overlaps(files))
    for name, state in files:
        quiet = now - state.last_change
        stale = quiet > STALE_AFTER_SECONDS
        if state.error is not None and state.error_offset is None:
            found.append(_make(
                "unreadable",
                "'%s' cannot be read (%s): TensorBoard cannot show it either."
                " Fix its permissions or check the disk." % (name, state.error),
                [name]))
            continue
        if state.regressions:
            tag, previous, step = state.first_regression
            found.append(_make(
                "step-regression",
                "In '%s' the step goes back %d time(s), first for tag '%s' "
                "(from %d to %d). TensorBoard draws values in file order, so "
                "the line doubles back on itself. The step counter was reset "
                "while logging to the same writer: log with an increasing "
                "global step, or use a new run directory for each training."
                % (name, state.regressions, tag, previous, step), [name]))
        if state.error_offset is not None:
            lost = max(0, state.size - state.error_offset)
            found.append(_make(
                "corrupt-record",
                "'%s' is damaged: %s, so nothing after it can be read (%d "
                "bytes lost). TensorBoard stops at the same place. The file "
                "was damaged on disk or while copying: copy it again from its "
                "source if you can. Once the file changes there, it is read "
                "again from that byte." % (name, state.error, lost), [name]))
        if state.corrupt_records:
            found.append(_make(
                "corrupt-record",
                "'%s' has %d record(s) that fail their checksum (first at "
                "byte %d); they were skipped and reading went on. TensorBoard "
                "stops reading this file at the first bad record, so it will "
                "not show anything written after byte %d. The file was damaged "
                "on disk or while copying: copy it again from its source if "
                "you can." % (name, state.corrupt_records,
                              state.first_corrupt_offset,
                              state.first_corrupt_offset), [name]))
        if state.undecodable_records:
            found.append(_make(
                "undecodable-record",
                "'%s' has %d record(s) that are intact (their checksums are "
                "good) but are not TensorBoard events (first at byte %d): "
                "the program that wrote them used another format or has a "
                "bug. They were skipped; TensorBoard cannot decode them "
                "either and may stop reading the file there."
                % (name, state.undecodable_records,
                   state.first_undecodable_offset), [name]))
        if stale and state.partial_tail_bytes:
            found.append(_make(
                "truncated-record",
                "'%s' ends with an incomplete record (%d bytes) and has not "
                "been written for %s: the writer stopped in the middle of a "
                "write (killed, disk full) or the file was copied while being "
                "written. TensorBoard shows everything before it and ignores "
                "the tail." % (name, state.partial_tail_bytes, _age(quiet)),
                [name]))
        if (stale and state.error is None and not state.data_events
                and not state.partial_tail_bytes):
            what = "is empty (0 bytes)" if state.size == 0 else (
                "holds only its header event, no summaries")
            found.append(_make(
                "empty-event-file",
                "'%s' %s and has not been written for %s. TensorBoard shows "
                "nothing from it. The writer was never flushed or closed "
                "(writers buffer events for up to 2 minutes): call "
                "writer.flush() or writer.close(), or use the writer as a "
                "context manager." % (name, what, _age(quiet)), [name]))
    found.extend(_nonfinite(files))
    found.extend(_hparams_subrun(run_name, files))
    return tuple(found)


def _value_name(value):
    return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")


def _nonfinite(files):
    """Scalar tags that became NaN or infinite: training that diverged."""
    first = {}      # tag -> (step, value, last finite value, file name)
    last_values = {}
    for name, state in files:
        for tag, tag_state in state.tags.items():
            found = tag_state[16]
            if found is not None and tag not in first:
                step, value, before = found
                if before is None:
                    before = last_values.get(tag)
                first[tag] = (step, value, before, name)
            if tag_state[6] is not None:
                last_values[tag] = tag_state[6]
    if not first:
        return []
    parts = []
    for tag, (step, value, before, _) in first.items():
        parts.append("'%s' became %s at step %d (%s)" % (
            tag, _value_name(value), step,
            "no finite value before it" if before is None
            else "last finite value %.6g" % before))
    shown = "; ".join(parts[:3])
    if len(parts) > 3:
        shown += "; and %d more tag(s)" % (len(parts) - 3)
    return [_make(
        "non-finite-values",
        "Training diverged: %s. Every later point of such a tag is "
        "meaningless; stop the training and lower the learning rate, clip "
        "gradients or check the inputs for NaN." % shown,
        sorted({entry[3] for entry in first.values()}))]


def _overlaps(files):
    """Find tags whose step ranges overlap across files of one run."""
    if len(files) < 2:
        return []
    ranges = {}
    for name, state in files:
        for tag, tag_state in state.tags.items():
            if tag_state[7] in _NOT_STEPPED:
                continue
            ranges.setdefault(tag, []).append(
                (tag_state[3], tag_state[4], name))
    tags = []
    example = None
    involved = set()
    for tag, spans in ranges.items():
        if len(spans) < 2:
            continue
        spans.sort()
        reach, reach_name = spans[0][1], spans[0][2]
        for low, high, name in spans[1:]:
            if low <= reach:
                if not tags or tags[-1] != tag:
                    tags.append(tag)
                involved.update((reach_name, name))
                if example is None:
                    example = (tag, reach_name, name)
            if high > reach:
                reach, reach_name = high, name
    if not tags:
        return []
    tag, first, second = example
    return [_make(
        "overlapping-steps",
        "Step ranges overlap across event files for %d tag(s) (%s), e.g. "
        "'%s' in '%s' and '%s': the training was restarted from an earlier "
        "step, or two writers (processes) wrote into this run. TensorBoard's "
        "default Python loader draws all points in file order, so the lines "
        "zig-zag back; with --load_fast it keeps only the newer points for "
        "each step. Give each restart or writer its own run directory, or "
        "resume logging from the last step written."
        % (len(tags), _names(tags), tag, first, second),
        [name for name, _ in files if name in involved])]


def _looks_like_timestamp(name):
    head, _, tail = name.partition(".")
    return len(head) >= 9 and head.isdigit() and (not tail or tail.isdigit())


def _hparams_subrun(run_name, files):
    """Spot the timestamp-named run tensorboardX/PyTorch add_hparams makes."""
    if run_name == ".":
        return []
    parent, _, leaf = run_name.rpartition("/")
    if not _looks_like_timestamp(leaf):
        return []
    if not any(tag_state[7] == "hparams"
               for _, state in files for tag_state in state.tags.values()):
        return []
    return [_make(
        "hparams-subrun",
        "This run holds hyperparameters written by add_hparams() "
        "(PyTorch or tensorboardX), which puts them in a new subdirectory "
        "named after the current time. TensorBoard lists it as a separate "
        "run '%s' (in the HParams tab and with its own metric scalars), not "
        "as part of '%s'. To keep them with the run, pass run_name='.' "
        "(PyTorch) or name='.' (tensorboardX) to add_hparams."
        % (run_name, parent or "."), [name for name, _ in files])]


def remote_diagnostic(url, endpoint, error):
    """The diagnostic of a remote log directory that cannot be read now."""
    reason = str(error).strip().splitlines()[0] if str(error).strip() else (
        type(error).__name__)
    return _make(
        "remote-error",
        "%s cannot be read through %s: %s. The runs are shown as last read "
        "(they may be stale) until it answers again; check the credentials, "
        "the bucket and the endpoint (AWS_ENDPOINT_URL for an S3-compatible "
        "server)." % (url, endpoint, reason), [url])


def logdir_diagnostics(logdir, problem=None, unreadable=(), loops=()):
    """Return the diagnostics of the log directory itself.

    Parameters
    ----------
    logdir : str
    problem : str, optional
        Why the log directory itself cannot be read (missing, not a
        directory, permission denied).
    unreadable : iterable of (str, str)
        ``(path, reason)`` of directories below it that cannot be listed.
    loops : iterable of (str, str)
        ``(link, target)`` of symlinks leading back to an ancestor.
    """
    found = []
    if problem:
        found.append(_make(
            "unreadable",
            "The log directory %s %s: TensorBoard would show no runs."
            % (logdir, problem), [logdir]))
    for path, reason in unreadable:
        found.append(_make(
            "unreadable",
            "%s cannot be read (%s): TensorBoard will not show the runs in "
            "it or below it. Fix its permissions." % (path, reason), [path]))
    for link, target in loops:
        found.append(_make(
            "symlink-loop",
            "The link %s points back to its own ancestor %s. TensorBoard "
            "follows it again and again (until the system refuses: too many "
            "levels of links) and lists the same runs many times. It was "
            "skipped here; remove the link or start TensorBoard on a "
            "directory without it." % (link, target), [link]))
    return tuple(found)
