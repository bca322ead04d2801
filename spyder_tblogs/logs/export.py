"""Export every scalar point of a log directory or run, in long format.

One row per point, ``run,tag,step,wall_time,value``, in TensorBoard's load
order: runs by name, then per tag (in order of first appearance) the
files of the run by name, each in file order. Values are read from disk on
demand, keeping every point instead of a preview. A local CSV export reads
and formats whole runs, in worker processes when there is a lot to read
(:mod:`~spyder_tblogs.logs.export_workers`); remote sources and Parquet go
through the index's reader a batch of runs at a time, so memory stays
bounded.
"""

import contextlib
import os
import secrets

from spyder_tblogs.logs.discovery import (
    FILE_PATH, FILE_SIZE, discover_runs, iter_files,
)
from spyder_tblogs.logs.export_workers import (
    PathSink, StreamSink, WorkerDied, export_csv_in_processes, write_run,
)
from spyder_tblogs.logs.remote import RemoteLogdir, is_remote, remote_errors

__all__ = ["export_scalars", "ExportError", "EXPORT_COLUMNS", "FORMATS"]

EXPORT_COLUMNS = ("run", "tag", "step", "wall_time", "value")
FORMATS = ("csv", "parquet")
_CSV_HEADER = (",".join(EXPORT_COLUMNS) + "\n").encode("utf-8")
# Bytes of event files read per batch: bounds the points held at once
# (a scalar point is 24 bytes, from about 40 bytes on disk).
BATCH_BYTES = 64 * 1024 * 1024
# Below this, worker processes cost more than they save.
PARALLEL_MIN_BYTES = 16 * 1024 * 1024
# Worker processes by default: one per CPU, but each holds some 40 MB and
# the export runs inside Spyder.
DEFAULT_WORKERS_MAX = 4


class ExportError(Exception):
    """The export cannot be done (a message for the user)."""


def _runs_of(path, remote):
    """``[(run name, [file paths], bytes)]`` under ``path``, by run name.

    A run directory given directly is named after itself, not ``.``.
    """
    if remote is not None:
        try:
            discovery = remote.discover()
        except remote_errors() as error:
            raise ExportError("%s cannot be read: %s" % (path, error)) \
                from None
        separator = "/"
    else:
        path = os.path.abspath(os.path.expanduser(path))
        if not os.path.isdir(path):
            raise ExportError("not a directory: %s" % path)
        discovery = discover_runs(path)
        separator = os.sep
    runs = []
    for name in sorted(discovery.runs):
        files = [(file[FILE_PATH], file[FILE_SIZE])
                 for file in iter_files(discovery.runs[name])]
        label = (path.rstrip(separator).rsplit(separator, 1)[-1]
                 if name == "." else name)
        runs.append((label, [item[0] for item in files],
                     sum(item[1] for item in files),
                     [item[1] for item in files]))
    return runs


def _batches(runs, batch_bytes):
    batch, size = [], 0
    for run in runs:
        batch.append(run)
        size += run[2]
        if size >= batch_bytes:
            yield batch, size
            batch, size = [], 0
    if batch:
        yield batch, size


def _read(paths, size, workers, remote):
    """Read ``paths`` keeping every point; return their states by path."""
    from spyder_tblogs.logs.file_state import FileState
    from spyder_tblogs.logs.reader import read_event_file

    states = [FileState(path, series_limit=None) for path in paths]
    if remote is not None:
        for state, (_, file_size) in zip(states, paths.items()):
            state.size = file_size
        try:
            remote.read_many(states)
        except remote_errors() as error:
            raise ExportError("cannot read: %s" % error) from None
    elif workers > 1 and len(states) > 1 and size >= PARALLEL_MIN_BYTES:
        from spyder_tblogs.logs.reader_processes import read_in_processes
        try:
            states = read_in_processes(states, workers)
        except RuntimeError:     # a worker died: read here instead
            states = [read_event_file(state) for state in states]
    else:
        states = [read_event_file(state) for state in states]
    return {state.path: state for state in states}


def _run_series(paths, states):
    """``{tag: [points array per file]}`` of a run, tags in first-seen
    order."""
    from spyder_tblogs.logs.file_state import KIND, POINTS, SERIES

    series = {}
    for path in paths:
        for tag, tag_state in states[path].tags.items():
            if tag_state[KIND] == "scalars" and tag_state[SERIES] is not None:
                series.setdefault(tag, []).append(tag_state[SERIES][POINTS])
    return series


class _CsvSink:
    def __init__(self, sink):
        self.sink = sink
        sink.write_bytes(_CSV_HEADER)

    def write(self, run, series):
        from spyder_tblogs.logs.export_csv import csv_chunks

        for chunk in csv_chunks(run, series):
            self.sink.write_bytes(chunk)

    def close(self):
        pass


class _ParquetSink:
    def __init__(self, path):
        try:
            import pyarrow
            import pyarrow.parquet
        except ImportError:
            raise ExportError("Parquet export needs pyarrow: pip install "
                              "spyder-tblogs[parquet]") from None
        self.pyarrow = pyarrow
        self.schema = pyarrow.schema([
            ("run", pyarrow.string()), ("tag", pyarrow.string()),
            ("step", pyarrow.int64()), ("wall_time", pyarrow.float64()),
            ("value", pyarrow.float64())])
        self.writer = pyarrow.parquet.ParquetWriter(path, self.schema)

    def write(self, run, series):
        for tag, parts in series.items():
            for points in parts:
                self._write(run, tag, points)

    def _write(self, run, tag, points):
        count = len(points) // 3
        pyarrow = self.pyarrow
        table = pyarrow.table({
            "run": [run] * count, "tag": [tag] * count,
            "step": [int(step) for step in points[0::3]],
            "wall_time": points[1::3].tolist(),
            "value": points[2::3].tolist()}, schema=self.schema)
        self.writer.write_table(table)

    def close(self):
        self.writer.close()


def export_scalars(source, output, *, fmt="csv", workers=None, progress=None,
                   batch_bytes=BATCH_BYTES):
    """Write every scalar point under ``source`` to ``output``.

    Parameters
    ----------
    source : str
        A log directory, or one run directory; local, or a URL.
    output : str or text stream
        A path (written through a temporary file, so a failed export never
        leaves half a file), or for CSV an open text stream.
    fmt : {'csv', 'parquet'}
    workers : int, optional
        Reader processes (default: one per CPU, at most
        ``DEFAULT_WORKERS_MAX``, when there is a lot to read).
    progress : callable, optional
        ``progress(bytes_read, bytes_total)`` as runs are done; raising
        from it (say, a cancelled export) stops the export.
    batch_bytes : int, optional
        Bytes of event files read at a time from a remote source or for
        Parquet (a local CSV export holds one run per process).

    Returns
    -------
    int
        The number of points written.

    Raises
    ------
    ExportError
        With a message for the user.
    """
    if fmt not in FORMATS:
        raise ExportError("unknown format %r (one of %s)"
                          % (fmt, ", ".join(FORMATS)))
    remote = RemoteLogdir(source) if is_remote(source) else None
    runs = _runs_of(source, remote)
    total = sum(run[2] for run in runs)
    workers = workers or min(os.cpu_count() or 1, DEFAULT_WORKERS_MAX)
    job = (runs, workers, progress, total, batch_bytes, remote)
    if isinstance(output, (str, os.PathLike)):
        target = os.fspath(output)
        partial = _new_partial(target)
        try:
            count = _export_to_path(partial, fmt, *job)
            os.replace(partial, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(partial)
            raise
        return count
    if fmt != "csv":
        raise ExportError("Parquet needs a file name, not a stream")
    return _export_csv(StreamSink(output), None, *job)


def _new_partial(target):
    """Create the empty file an export of ``target`` is written into.

    A new name each time, created exclusively: a file of the user's that
    happens to bear it is never overwritten nor removed.
    """
    for _ in range(8):
        path = "%s.%s.partial" % (target, secrets.token_hex(4))
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                             0o666))
        except FileExistsError:
            continue
        except OSError as error:
            raise ExportError("cannot write %s: %s"
                              % (target, error.strerror or error)) from None
        return path
    raise ExportError("cannot write %s: no free temporary name beside it"
                      % target)


def _export_to_path(path, fmt, *job):
    try:
        if fmt == "parquet":
            return _export(_ParquetSink(path), *job)
        with open(path, "wb") as stream:
            return _export_csv(PathSink(stream),
                               os.path.dirname(os.path.abspath(path)), *job)
    except OSError as error:
        raise ExportError("cannot write %s: %s"
                          % (path, error.strerror or error)) from None


def _export_csv(sink, part_dir, runs, workers, progress, total, batch_bytes,
                remote):
    if remote is not None:
        return _export(_CsvSink(sink), runs, workers, progress, total,
                       batch_bytes, remote)
    sink.write_bytes(_CSV_HEADER)
    count = start = 0
    if workers > 1 and len(runs) > 1 and total >= PARALLEL_MIN_BYTES:
        try:
            return export_csv_in_processes(runs, sink, workers, progress,
                                           total, part_dir)
        except WorkerDied as died:     # export the runs left here
            start, count = died.args
    done = sum(run[2] for run in runs[:start])
    for label, paths, size, _ in runs[start:]:
        count += write_run(sink.write_bytes, label, paths)
        done += size
        if progress is not None:
            progress(done, total)
    return count


def _export(sink, runs, workers, progress, total, batch_bytes, remote):
    count = done = 0
    try:
        for batch, size in _batches(runs, batch_bytes):
            states = _read({path: file_size for run in batch
                            for path, file_size in zip(run[1], run[3])},
                           size, workers, remote)
            for name, paths, _, _ in batch:
                series = _run_series(paths, states)
                sink.write(name, series)
                count += sum(len(points) for parts in series.values()
                             for points in parts) // 3
            done += size
            if progress is not None:
                progress(done, total)
    finally:
        sink.close()
    return count
