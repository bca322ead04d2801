"""The CSV export of a local log directory, in worker processes.

Reading and formatting the points is what takes the time, so both happen
in the workers: each takes whole runs, one at a time as it gets free,
writes their rows to its own part file and answers with where they are (a
few numbers, never the points). The parent copies each run's rows from
its part file to the output as soon as the runs before it are there, so
the output keeps the runs' order and a worker holds one run at a time.

Workers are fresh interpreters running :func:`main` (see
:func:`~spyder_tblogs.logs.reader_processes.start_worker`), never
``fork``: safe in a threaded Qt process, and the caller's ``__main__`` is
never imported.
"""

import codecs
import os
import pickle
import queue
import sys
import tempfile
import threading

__all__ = ["export_csv_in_processes", "write_run", "PathSink", "StreamSink",
           "WorkerDied"]

# Bytes read per copy from a part file where the OS cannot copy itself.
_COPY_BLOCK = 1024 * 1024
# os.sendfile copies between two files only on Linux.
_SENDFILE = sys.platform.startswith("linux")


class WorkerDied(Exception):
    """A worker exited before finishing (the caller exports the runs left
    in-process)."""


def write_run(write, label, paths):
    """Write the rows of the run made of ``paths`` with ``write(bytes)``
    (UTF-8); return the number of points."""
    # Here, not at the top: the parent never reads (nor imports numpy).
    from spyder_tblogs.logs.export_csv import csv_chunks
    from spyder_tblogs.logs.export_scan import run_series

    series = run_series(paths)
    count = sum(len(points) for parts in series.values()
                for points in parts) // 3
    for chunk in csv_chunks(label, series):
        write(chunk)
    return count


class PathSink:
    """The output file, written as bytes."""

    def __init__(self, stream):
        self.stream = stream

    def write_bytes(self, data):
        self.stream.write(data)

    def copy(self, path, start, end):
        """Append bytes ``start:end`` of the file ``path``."""
        self.stream.flush()
        with open(path, "rb") as part:
            if _SENDFILE:
                while start < end:
                    sent = os.sendfile(self.stream.fileno(), part.fileno(),
                                       start, end - start)
                    if not sent:
                        raise OSError("a part file of the export was cut "
                                      "short")
                    start += sent
                return
            part.seek(start)
            for block in _blocks(part, end - start):
                self.stream.write(block)


class StreamSink:
    """A text stream of the caller."""

    def __init__(self, stream):
        self._write = stream.write

    def write_bytes(self, data):
        """Write UTF-8 bytes of whole rows."""
        self._write(data.decode("utf-8"))

    def copy(self, path, start, end):
        decoder = codecs.getincrementaldecoder("utf-8")()
        with open(path, "rb") as part:
            part.seek(start)
            for block in _blocks(part, end - start):
                self._write(decoder.decode(block))
        self._write(decoder.decode(b"", final=True))


def _blocks(stream, count):
    while count > 0:
        block = stream.read(min(_COPY_BLOCK, count))
        if not block:
            raise OSError("a part file of the export was cut short")
        count -= len(block)
        yield block


def export_csv_in_processes(runs, sink, workers, progress, total,
                            part_dir=None):
    """Write the rows of ``runs`` (``(label, paths, bytes, ...)``, in order)
    to ``sink`` with ``workers`` processes; return the number of points.

    ``progress(bytes_read, bytes_total)`` is called from this thread after
    each run. On any exit the workers are ended and their part files
    removed.

    Raises
    ------
    WorkerDied
        With ``(runs done, points written)`` as its arguments: the runs
        before that index are in the output, the caller writes the others
        (also when no part file or worker could be made).
    """
    from spyder_tblogs.logs.reader_processes import start_worker

    jobs = queue.Queue()
    for index, run in enumerate(runs):
        jobs.put((index, run[0], run[1]))
    replies = queue.Queue()
    processes, threads, parts = [], [], []
    try:
        try:
            for _ in range(min(workers, len(runs))):
                handle, part = tempfile.mkstemp(
                    prefix=".tblogs-export-", suffix=".part", dir=part_dir)
                os.close(handle)
                parts.append(part)
                processes.append(start_worker(__name__))
        except OSError:     # no room for parts, or no process to be had
            raise WorkerDied(0, 0) from None
        for process, part in zip(processes, parts):
            thread = threading.Thread(target=_feed, daemon=True,
                                      args=(process, part, jobs, replies))
            threads.append(thread)
            thread.start()
        return _join(runs, sink, replies, progress, total)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
        for thread in threads:
            thread.join()
        for part in parts:
            os.remove(part)


def _feed(process, part, jobs, replies):
    """Hand a worker runs one at a time until none are left (a thread per
    worker); put each answer, or ``None`` when the worker died, in
    ``replies``."""
    try:
        with process.stdin, process.stdout:
            pickle.dump(part, process.stdin)
            while True:
                try:
                    job = jobs.get_nowait()
                except queue.Empty:
                    return
                pickle.dump(job, process.stdin)
                process.stdin.flush()
                replies.put((part,) + pickle.load(process.stdout))
    except (OSError, EOFError, pickle.UnpicklingError):
        replies.put(None)


def _join(runs, sink, replies, progress, total):
    finished = {}
    next_run = count = done = 0
    while next_run < len(runs):
        reply = replies.get()
        if reply is None:
            raise WorkerDied(next_run, count)
        part, index, start, end, points = reply
        finished[index] = (part, start, end, points)
        done += runs[index][2]
        while next_run in finished:
            part, start, end, points = finished.pop(next_run)
            sink.copy(part, start, end)
            count += points
            next_run += 1
        if progress is not None:
            progress(done, total)
    return count


def main():
    """Worker: the part file's path, then ``(index, label, paths)`` jobs,
    pickled on stdin; for each, ``(index, start, end, points)`` on stdout
    once the run's rows are in bytes ``start:end`` of the part file."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    with open(pickle.load(stdin), "wb") as part:
        write = part.write
        while True:
            try:
                index, label, paths = pickle.load(stdin)
            except EOFError:
                return 0
            start = part.tell()
            points = write_run(write, label, paths)
            part.flush()
            pickle.dump((index, start, part.tell(), points), stdout)
            stdout.flush()
