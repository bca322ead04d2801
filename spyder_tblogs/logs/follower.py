"""The state behind the pane's *Follow console* action (Qt-free).

Runs are given as ``RunInfo.row`` flat tuples, as the pane keeps and the
index worker sends them: only runs with new files, or that may be the
kernel's, become :class:`~spyder_tblogs.logs.info.RunInfo` objects, so
following 10,000 listed runs costs the GUI thread milliseconds.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

from spyder_tblogs.logs.info import RunInfo, run_file_field
from spyder_tblogs.logs.ownership import (
    KernelIdentity, may_be_owned, runs_owned_by)
from spyder_tblogs.logs.rows import EVENT_FILE_FIELDS

_PATH = EVENT_FILE_FIELDS.index("path")


class ConsoleFollower:
    """Which run to select next while following a console.

    Call :meth:`start` when following starts (it returns the run the
    console wrote last, to select at once), then :meth:`update` with the
    runs of every refresh: it returns the run where the console's kernel
    created an event file since. Files already present at :meth:`start`
    are not news.

    Files are remembered by absolute path, so one follower serves several
    log roots: call :meth:`start` and :meth:`update` once per root.
    """

    def __init__(self):
        self._seen_files: set[str] = set()

    def reset(self) -> None:
        """Forget every file seen (following was turned off)."""
        self._seen_files.clear()

    def start(self, rows: Iterable[tuple],
              kernel: KernelIdentity | None) -> str | None:
        """Remember the current files of one root; pick its latest run.

        Parameters
        ----------
        rows : iterable of tuple
            Every run of one log root, as ``RunInfo.row``.
        kernel : KernelIdentity or None
            The console's kernel.

        Returns
        -------
        str or None
            The owned run with the most recently created event file.
        """
        candidates = []
        for row in rows:
            self._seen_files.update(run_file_field(row, _PATH))
            if may_be_owned(row, kernel):
                candidates.append(RunInfo.from_row(row))
        return _newest(candidates, kernel)

    def update(self, rows: Iterable[tuple],
               kernel: KernelIdentity | None) -> str | None:
        """Run to select after a refresh of one root, or None.

        Parameters
        ----------
        rows : iterable of tuple
            Runs of the root added or changed by the refresh, as
            ``RunInfo.row``.
        kernel : KernelIdentity or None
            The console's kernel.

        Returns
        -------
        str or None
            Name of the run where the kernel created a new event file (the
            newest one if several), else None.
        """
        fresh = []
        for row in rows:
            new_paths = set(run_file_field(row, _PATH)) - self._seen_files
            if not new_paths:
                continue
            self._seen_files.update(new_paths)
            run = RunInfo.from_row(row)
            fresh.append(_RunFiles(run.name, tuple(
                info for info in run.files if info.path in new_paths)))
        return _newest(fresh, kernel)


class _RunFiles:
    """A run seen through some of its files (what is new in it)."""

    __slots__ = ("name", "files")

    def __init__(self, name, files):
        self.name, self.files = name, files


def _newest(runs: Sequence, kernel: KernelIdentity | None) -> str | None:
    best_name, best_time = None, -math.inf
    for verdict in runs_owned_by(runs, kernel).values():
        created = verdict.newest_created
        moment = -math.inf if created is None else created
        if best_name is None or moment > best_time:
            best_name, best_time = verdict.run, moment
    return best_name
