"""``runs`` and ``export``: compare runs, and take every scalar point out.

``python -m spyder_tblogs runs LOGDIR [--tags T1,T2] [--json | --csv]``
``python -m spyder_tblogs export LOGDIR_OR_RUN (--csv OUT | --parquet OUT)``
"""

import contextlib
import io
import json
import sys
import time

from spyder_tblogs.logs.cli import add_command, logdir_problem
from spyder_tblogs.logs.printable import make_stream_safe, printable

__all__ = ["add_parsers"]


def add_parsers(subparsers):
    """Add the ``runs`` and ``export`` sub-commands to ``subparsers``."""
    parser = add_command(
        subparsers, "runs", runs_command,
        "runs side by side: hyper-parameters and metrics",
        "One row per run: status, duration, highest step, hyper-parameters "
        "and, for each scalar tag, its last, smallest and largest value (from "
        "every point).")
    parser.add_argument("logdir", metavar="LOGDIR")
    parser.add_argument("--tags", default=None,
                        help="comma-separated scalar tags (default: the "
                             "tags most runs share)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true",
                        help="print a JSON list of runs")
    output.add_argument("--csv", action="store_true",
                        help="print the table as CSV")

    parser = add_command(
        subparsers, "export", export_command,
        "every scalar point, one row each",
        "Write every scalar point of a log directory or run in long format: "
        "run,tag,step,wall_time,value.")
    parser.add_argument("source", metavar="LOGDIR_OR_RUN")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--csv", metavar="OUT",
                        help="CSV file to write ('-' for standard output)")
    target.add_argument("--parquet", metavar="OUT",
                        help="Parquet file to write (needs pyarrow)")
    parser.add_argument("--workers", type=int, default=None,
                        help="reader processes (default: automatic)")


def _directory_problem(command, path):
    problem = logdir_problem(path)
    return None if problem is None else "%s: %s" % (command, printable(problem))


def runs_command(args):
    """Run ``runs``; return the exit code."""
    from spyder_tblogs.logs.index import LogIndex
    from spyder_tblogs.logs.runs_table import (
        default_tags, rows_to_json, table_rows, write_table_csv,
    )

    make_stream_safe(sys.stdout)
    make_stream_safe(sys.stderr)
    problem = _directory_problem("runs", args.logdir)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    index = LogIndex(args.logdir)
    index.refresh()
    runs = index.runs()
    tags = ([tag.strip() for tag in args.tags.split(",") if tag.strip()]
            if args.tags else default_tags(runs))
    rows = table_rows(runs, tags, time.time())
    if args.json:
        text = json.dumps(rows_to_json(rows), indent=1, allow_nan=False) + "\n"
    elif args.csv:
        buffer = io.StringIO()
        write_table_csv(rows, tags, buffer)
        text = buffer.getvalue()
    else:
        text = format_table(rows, tags)
    with _quiet_broken_pipe():
        sys.stdout.write(text)
        sys.stdout.flush()
    return 0


@contextlib.contextmanager
def _quiet_broken_pipe():
    """Output piped into ``head``: not an error worth a traceback."""
    try:
        yield
    except BrokenPipeError:
        sys.stderr.close()


def _number(value):
    if value is None:
        return "-"
    if isinstance(value, float):
        return "%.6g" % value
    return str(value)


def format_table(rows, tags):
    """The table as aligned text, names escaped for the terminal."""
    header = ["run", "status", "last step"] + [
        "%s %s" % (tag, field) for tag in tags
        for field in ("last", "min", "max")]
    lines = [header]
    for row in rows:
        cells = [row.run, row.status + (" !" if row.severity in
                                        ("warning", "error") else ""),
                 _number(row.last_step)]
        for tag in tags:
            metric = row.metrics.get(tag)
            cells += (["-"] * 3 if metric is None else
                      [_number(metric.last), _number(metric.min),
                       _number(metric.max)])
        if row.hparams:
            cells.append(", ".join("%s=%s" % (name, _number(value))
                                   for name, value in sorted(
                                       row.hparams.items())))
        lines.append([printable(str(cell)) for cell in cells])
    if not rows:
        return "(no runs)\n"
    widths = [max(len(line[column]) for line in lines if column < len(line))
              for column in range(max(len(line) for line in lines))]
    return "".join("  ".join(cell.ljust(widths[column])
                             for column, cell in enumerate(line)).rstrip()
                   + "\n" for line in lines)


def export_command(args):
    """Run ``export``; return the exit code."""
    from spyder_tblogs.logs.export import ExportError, export_scalars

    make_stream_safe(sys.stderr)
    problem = _directory_problem("export", args.source)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    if args.workers is not None and args.workers < 1:
        print("export: --workers must be at least 1", file=sys.stderr)
        return 2
    fmt, output = (("csv", args.csv) if args.csv is not None
                   else ("parquet", args.parquet))
    if output == "-":
        if fmt != "csv":
            print("export: Parquet needs a file name", file=sys.stderr)
            return 2
        output = sys.stdout
    try:
        with _quiet_broken_pipe():
            count = export_scalars(args.source, output, fmt=fmt,
                                   workers=args.workers)
    except ExportError as error:
        print("export: %s" % printable(str(error)), file=sys.stderr)
        return 1
    if output is not sys.stdout:
        print("export: %d points written to %s" % (count, printable(output)),
              file=sys.stderr)
    return 0
