"""Workers of the Runs table: building its rows and exporting, off the GUI
thread.

- :class:`RunsTableWorker` turns the tree's run rows into a
  :class:`~spyder_tblogs.spyder.runs_rows.RunsTable` (10,000 runs take a
  few hundred milliseconds of Python: a stall if done on the GUI thread).
- :class:`ExportWorker` writes the table as CSV and every scalar point of a
  run or folder (:func:`~spyder_tblogs.logs.export.export_scalars`),
  reporting progress; a cancelled export raises from its progress callback,
  which the export turns into no file at all.

Each runs in its own :class:`~.thread.WorkerThread`, so a long export never
holds back the table.
"""

from __future__ import annotations

import logging
import threading
import time

from qtpy.QtCore import Signal, Slot

from spyder_tblogs.logs.export import ExportError, export_scalars
from spyder_tblogs.logs.info import RunInfo
from spyder_tblogs.logs.runs_table import table_rows, write_table_csv
from spyder_tblogs.spyder.runs_rows import build_table
from spyder_tblogs.spyder.workers.thread import NoSetupWorker

logger = logging.getLogger(__name__)


class RunsTableWorker(NoSetupWorker):
    """Build Runs tables in a worker thread, newest request only."""

    sig_table = Signal(int, object)
    """``(generation, RunsTable)``."""

    _sig_build = Signal(int, str, object, object, object)

    def __init__(self):
        super().__init__()
        self._latest = 0
        self._lock = threading.Lock()
        self._sig_build.connect(self._build)

    def request_table(self, generation, root, run_rows, tags,
                      hidden_hparams):
        """Build the table of ``run_rows`` (``RunInfo.row``) of ``root``
        (see :func:`~spyder_tblogs.spyder.runs_rows.build_table`)."""
        with self._lock:
            self._latest = generation
        self._sig_build.emit(generation, root, tuple(run_rows), tags,
                             tuple(hidden_hparams))

    @Slot(int, str, object, object, object)
    def _build(self, generation, root, run_rows, tags, hidden_hparams):
        with self._lock:
            if generation != self._latest:
                return      # superseded while queued
        table = build_table(root, run_rows, time.time(), tags,
                            hidden_hparams)
        self.sig_table.emit(generation, table)


class ExportCancelled(Exception):
    """The user cancelled the export (raised from its progress callback)."""


class ExportWorker(NoSetupWorker):
    """Run exports one at a time in a worker thread."""

    sig_progress = Signal(object, object)
    """``(bytes_done, bytes_total)`` of the running export."""

    sig_finished = Signal(str, str)
    """``(output, error message)``: '' when it worked; 'cancelled' when
    cancelled."""

    _sig_scalars = Signal(str, str, str)
    _sig_table = Signal(object, object, object, str)

    CANCELLED = "cancelled"

    def __init__(self):
        super().__init__()
        # Set from the GUI thread, read by the progress callback.
        self._cancel = threading.Event()
        self._sig_scalars.connect(self._export_scalars)
        self._sig_table.connect(self._export_table)

    # ---- API for the GUI thread
    def request_scalars(self, source, output, fmt):
        """Export every scalar point under ``source`` to ``output``."""
        self._cancel.clear()
        self._sig_scalars.emit(source, output, fmt)

    def request_table(self, run_rows, tags, hparams, output):
        """Write the table of ``run_rows`` as CSV to ``output``."""
        self._cancel.clear()
        self._sig_table.emit(tuple(run_rows), tuple(tags), tuple(hparams),
                             output)

    def cancel(self):
        """Stop the running export (its output is not written)."""
        self._cancel.set()

    # ---- Worker thread
    def _progress(self, done, total):
        if self._cancel.is_set():
            raise ExportCancelled()
        if total:
            self.sig_progress.emit(done, total)

    @Slot(str, str, str)
    def _export_scalars(self, source, output, fmt):
        try:
            self._progress(0, 0)    # cancelled while queued
            export_scalars(source, output, fmt=fmt, progress=self._progress)
        except ExportCancelled:
            self.sig_finished.emit(output, self.CANCELLED)
        except ExportError as error:
            self.sig_finished.emit(output, str(error))
        except OSError as error:
            self.sig_finished.emit(output, "%s: %s" % (
                getattr(error, "filename", None) or output,
                error.strerror or error))
        else:
            self.sig_finished.emit(output, "")

    @Slot(object, object, object, str)
    def _export_table(self, run_rows, tags, hparams, output):
        rows = table_rows([RunInfo.from_row(row) for row in run_rows],
                          tags, time.time())
        try:
            with open(output, "w", newline="", encoding="utf-8") as stream:
                write_table_csv(rows, tags, stream, hparams=list(hparams))
        except OSError as error:
            self.sig_finished.emit(output, "%s: %s" % (
                output, error.strerror or error))
        else:
            self.sig_finished.emit(output, "")
