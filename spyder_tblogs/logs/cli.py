"""``python -m spyder_tblogs scan LOGDIR [--json]``: index a log directory."""

import json
import os
import sys
import time

from spyder_tblogs.logs.info import json_safe
from spyder_tblogs.logs.printable import make_stream_safe, printable
from spyder_tblogs.logs.remote import is_remote, remote_problem

__all__ = ["add_parsers", "add_command", "scan_command", "format_tree",
           "logdir_problem"]


def add_command(subparsers, name, handler, help_text, description=None):
    """Add the sub-command ``name`` to ``subparsers``; return its parser.

    ``handler(args)`` runs it and returns the exit code (``__main__`` calls
    ``args.handler``).
    """
    parser = subparsers.add_parser(name, help=help_text,
                                   description=description)
    parser.set_defaults(handler=handler)
    return parser


def add_parsers(subparsers):
    """Add the ``scan`` sub-command to ``subparsers``."""
    parser = add_command(
        subparsers, "scan", scan_command,
        "list runs, event files, tags and diagnostics",
        "Read a TensorBoard log directory the way TensorBoard does (without "
        "TensorFlow) and explain what it will show.")
    parser.add_argument("logdir", metavar="LOGDIR",
                        help="log directory (as for tensorboard --logdir), "
                             "or a URL such as s3://bucket/prefix")
    parser.add_argument("--json", action="store_true",
                        help="print the index as JSON")
    parser.add_argument("--workers", type=int, default=None,
                        help="reader processes (default: automatic)")
    return parser


def logdir_problem(logdir):
    """Why ``logdir`` (a path or a URL) cannot be read at all, in one line
    for the user; ``None`` when it can be tried."""
    if is_remote(logdir):
        return remote_problem(logdir)
    if not os.path.exists(logdir):
        return "log directory not found: %s" % logdir
    if not os.path.isdir(logdir):
        return "not a directory: %s" % logdir
    return None


def scan_command(args):
    """Run ``scan``; return the exit code."""
    from spyder_tblogs.logs.index import LogIndex

    make_stream_safe(sys.stdout)
    make_stream_safe(sys.stderr)
    logdir = args.logdir
    problem = logdir_problem(logdir)
    if problem:
        print("scan: %s" % printable(problem), file=sys.stderr)
        return 2
    if args.workers is not None and args.workers < 1:
        print("scan: --workers must be at least 1", file=sys.stderr)
        return 2
    index = LogIndex(logdir, workers=args.workers)
    index.refresh()
    # A remote root that refused or did not answer: said, and not a success.
    failed = any(item.code == "remote-error" for item in index.diagnostics)
    if args.json:
        # Made whole before a byte is written: no half document on stdout.
        text = json.dumps(json_safe(index.to_dict()), indent=1,
                          allow_nan=False) + "\n"
    else:
        text = format_tree(index)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # Output piped into `head`: not an error worth a traceback.
        sys.stderr.close()
    return 1 if failed else 0


def _when(timestamp):
    if timestamp is None:
        return "-"
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))
    except (OverflowError, ValueError, OSError):   # a forged mtime
        return repr(timestamp)


def _size(size):
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return ("%d %s" % (size, unit) if unit == "B"
                    else "%.1f %s" % (size, unit))
        size /= 1024.0


def _steps(first, last):
    if first is None:
        return "no steps"
    return "step %d" % first if first == last else "steps %d..%d" % (first, last)


def format_tree(index):
    """Return a readable tree of the index: runs, files, tags, diagnostics,
    every character a terminal would act on escaped."""
    lines = ["Log directory: %s" % index.logdir]
    for diagnostic in index.diagnostics:
        lines.append("  [%s] %s: %s" % (diagnostic.severity, diagnostic.code,
                                        diagnostic.message))
    runs = index.runs()
    if not runs:
        lines.append("  (no runs: no file whose name contains 'tfevents')")
    for run in runs:
        lines.append("")
        lines.append("run %s  (%d file%s, %d tag%s, last written %s)" % (
            run.name, len(run.files), "" if len(run.files) == 1 else "s",
            len(run.tags), "" if len(run.tags) == 1 else "s",
            _when(run.last_modified)))
        for info in run.files:
            where = ", ".join(part for part in (
                "host %s" % info.host if info.host else "",
                "pid %d" % info.pid if info.pid is not None else "") if part)
            extra = []
            if info.corrupt_records:
                extra.append("%d corrupt" % info.corrupt_records)
            if info.undecodable_records:
                extra.append("%d undecodable" % info.undecodable_records)
            if info.partial_tail_bytes:
                extra.append("%d-byte partial record" % info.partial_tail_bytes)
            if info.error:
                extra.append(info.error)
            lines.append("  file %s" % info.name)
            lines.append("    %s, %d events, %s%s%s" % (
                _size(info.size), info.events,
                _steps(info.first_step, info.last_step),
                "; " + where if where else "",
                "; " + "; ".join(extra) if extra else ""))
        by_kind = {}
        for tag in run.tags.values():
            by_kind.setdefault(tag.kind, []).append(tag)
        for kind in sorted(by_kind):
            lines.append("  %s:" % kind)
            for tag in by_kind[kind]:
                value = ("" if tag.last_value is None
                         else ", last %.6g" % tag.last_value)
                lines.append("    %s  (%d value%s, %s%s)" % (
                    tag.tag, tag.count, "" if tag.count == 1 else "s",
                    _steps(tag.first_step, tag.last_step), value))
        for diagnostic in run.diagnostics:
            lines.append("  [%s] %s: %s" % (diagnostic.severity,
                                            diagnostic.code,
                                            diagnostic.message))
    # Names, tags and messages come from files: escaped line by line, so a
    # newline or an escape sequence in a name cannot forge output.
    return "\n".join(printable(line) for line in lines) + "\n"
