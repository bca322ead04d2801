"""The runs table: runs side by side, with hyper-parameters and metrics.

Qt-free: the pane's Runs table, ``python -m spyder_tblogs runs`` and the
CSV export all build on :func:`table_rows`. Every number comes from the
index, which reads every point, so a minimum or maximum is exact.
"""

import csv
import math
from collections import Counter
from dataclasses import dataclass
from typing import Mapping, Optional, Tuple

from spyder_tblogs.logs.diagnostics import LIVE_SECONDS, SEVERITIES
from spyder_tblogs.logs.info import json_safe, nonfinite_name

__all__ = ["Metric", "RunRow", "default_tags", "scalar_tags", "table_rows",
           "hparam_names", "rows_to_json", "write_table_csv", "METRIC_FIELDS",
           "DEFAULT_TAG_COUNT"]

# How many shared scalar tags a table shows when none are chosen.
DEFAULT_TAG_COUNT = 4
# Per tag, the columns of the CSV table (and the keys of the JSON metrics).
METRIC_FIELDS = ("last", "min", "max", "min_step", "max_step", "count")


@dataclass(frozen=True)
class Metric:
    """One scalar tag of one run, over every point written."""

    last: Optional[float]
    min: Optional[float]
    max: Optional[float]
    min_step: Optional[int]
    max_step: Optional[int]
    count: int
    nonfinite_step: Optional[int] = None

    def to_dict(self):
        """The JSON shape: non-finite numbers are ``null`` (see ``json_safe``)."""
        document = {name: getattr(self, name) for name in METRIC_FIELDS}
        document["last_nonfinite"] = nonfinite_name(self.last)
        document["nonfinite_step"] = self.nonfinite_step
        return document


@dataclass(frozen=True)
class RunRow:
    """One row of the runs table, as :func:`table_rows` builds it for the
    CLI, the CSV export and the pane alike.

    Attributes
    ----------
    run : str
        The run's name, as TensorBoard names it.
    status : str
        ``live`` (written within :data:`LIVE_SECONDS`) or ``finished``.
    severity : str or None
        Of its worst diagnostic.
    duration : float or None
        Seconds from its first to its last data event (wall-clock).
    last_step : int or None
        Highest step written.
    hparams : Mapping
    metrics : Mapping[str, Metric]
        The chosen tags this run has.
    diagnostics : tuple of Diagnostic
    """

    run: str
    status: str
    severity: Optional[str]
    duration: Optional[float]
    last_step: Optional[int]
    hparams: Mapping
    metrics: Mapping
    diagnostics: Tuple = ()


def scalar_tags(runs):
    """Scalar tags of ``runs``, by how many runs have them, then by name."""
    counts = Counter(tag for run in runs for tag, info in run.tags.items()
                     if info.kind == "scalars")
    return sorted(counts, key=lambda tag: (-counts[tag], tag))


def default_tags(runs, limit=DEFAULT_TAG_COUNT):
    """The scalar tags most runs share, at most ``limit``."""
    return scalar_tags(runs)[:limit]


def _finite(value):
    return value is not None and math.isfinite(value)


def _wall_span(run):
    starts = [info.first_wall_time for info in run.files
              if _finite(info.first_wall_time)]
    ends = [info.last_wall_time for info in run.files
            if _finite(info.last_wall_time)]
    if not starts or not ends:
        return None
    return max(0.0, max(ends) - min(starts))


def _metric(info):
    return Metric(info.last_value, info.min_value, info.max_value,
                  info.min_value_step, info.max_value_step, info.count,
                  info.nonfinite_step)


def table_rows(runs, tags, now):
    """Return a :class:`RunRow` per run of ``runs`` for the scalar ``tags``.

    Parameters
    ----------
    runs : iterable of RunInfo
    tags : sequence of str
    now : float
        Current time, for the live/finished status.
    """
    rows = []
    for run in runs:
        run_tags = run.tags
        metrics = {tag: _metric(run_tags[tag]) for tag in tags
                   if tag in run_tags and run_tags[tag].kind == "scalars"}
        steps = [info.last_step for info in run.files
                 if info.last_step is not None]
        severities = [item.severity for item in run.diagnostics]
        rows.append(RunRow(
            run=run.name,
            status=("live" if now - run.last_modified < LIVE_SECONDS
                    else "finished"),
            severity=(max(severities, key=SEVERITIES.index)
                      if severities else None),
            duration=_wall_span(run),
            last_step=max(steps) if steps else None,
            hparams=dict(run.hparams), metrics=metrics,
            diagnostics=run.diagnostics))
    return rows


def rows_to_json(rows):
    """The ``runs --json`` document: strict JSON (no NaN)."""
    return json_safe([{
        "run": row.run, "status": row.status, "duration": row.duration,
        "last_step": row.last_step, "hparams": dict(row.hparams),
        "metrics": {tag: metric.to_dict()
                    for tag, metric in row.metrics.items()},
        "diagnostics": [item.to_dict() for item in row.diagnostics],
    } for row in rows])


def _cell(value):
    """A CSV cell: empty for nothing, ``nan``/``inf`` spelled out."""
    if value is None:
        return ""
    if isinstance(value, float):
        return nonfinite_name(value) or repr(value)
    return value


def write_table_csv(rows, tags, stream, hparams=None):
    """Write the table as CSV: run facts, ``hparam:NAME`` columns, then
    ``TAG:last``, ``TAG:min``... for each tag."""
    hparams = hparam_names(rows) if hparams is None else hparams
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["run", "status", "duration_s", "last_step"]
                    + ["hparam:%s" % name for name in hparams]
                    + ["%s:%s" % (tag, field) for tag in tags
                       for field in METRIC_FIELDS])
    for row in rows:
        cells = [row.run, row.status, _cell(row.duration),
                 _cell(row.last_step)]
        cells += [_cell(row.hparams.get(name)) for name in hparams]
        for tag in tags:
            metric = row.metrics.get(tag)
            cells += [_cell(None if metric is None else getattr(metric, field))
                      for field in METRIC_FIELDS]
        writer.writerow(cells)


def hparam_names(rows):
    """Every hyper-parameter name of table rows, sorted."""
    return sorted({name for row in rows for name in row.hparams})
