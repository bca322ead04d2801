"""Sparklines of the selected runs: one chart per scalar tag, in a grid.

:class:`SparklinesWidget` lays out a
:class:`~spyder_tblogs.spyder.widgets.sparkline_chart.SparklineChart` per
scalar tag of the selected runs, each run overlaid in its own colour, and
updates them in place when the index refreshes: the same chart widgets get
new data and repaint, so nothing flickers or scrolls away.

Clicking a chart emits the runs it shows (the pane opens them in
TensorBoard).
"""

from __future__ import annotations

from typing import Mapping

from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import (QGridLayout, QLabel, QScrollArea, QVBoxLayout,
                            QWidget)

from spyder_tblogs.spyder.widgets.sparkline_chart import (
    MIN_CHART_WIDTH, RUN_COLORS, SparklineChart)

__all__ = ["SparklinesWidget"]

SCALARS_KIND = "scalars"


class SparklinesWidget(QScrollArea):
    """One sparkline per scalar tag of the selected runs, updated in place.

    Parameters
    ----------
    parent : QWidget, optional

    Notes
    -----
    Call :meth:`set_runs` with the selected runs whenever the selection
    changes *and* after every index refresh that changed one of them; charts
    of tags still present keep their widget and only repaint.
    """

    sig_clicked = Signal(list)
    """Keys of the runs of the clicked chart (open them in TensorBoard)."""

    sig_tag_clicked = Signal(str, list)
    """Tag and run keys of the clicked chart."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.NoFrame)
        self._charts: dict[str, SparklineChart] = {}
        self._columns = 1
        self._body = QWidget(self)
        self._outer = QVBoxLayout(self._body)
        self._outer.setContentsMargins(2, 2, 2, 2)
        self._grid = QGridLayout()
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(8)
        self._grid.setVerticalSpacing(6)
        self._empty_label = QLabel(self._body)
        self._empty_label.setWordWrap(True)
        self._empty_label.setAlignment(Qt.AlignCenter)
        self._outer.addWidget(self._empty_label)
        self._outer.addLayout(self._grid)
        self._outer.addStretch(1)
        self.setWidget(self._body)
        self._show_empty("Select a run to preview its scalars.")

    # ---- Public API
    def set_runs(self, runs, labels: Mapping[str, str] | None = None) -> None:
        """Show the scalar tags of ``runs``; update existing charts in place.

        Parameters
        ----------
        runs : sequence of RunInfo, or mapping of str to RunInfo
            The selected runs, in selection order. A mapping gives each run
            the key the click signals report (use it when run names repeat
            across log roots); a sequence keys runs by ``RunInfo.name``.
        labels : mapping of str to str, optional
            Legend text per key (the key by default).
        """
        if not isinstance(runs, Mapping):
            runs = {run.name: run for run in runs}
        labels = dict(labels or {})
        colors = {key: RUN_COLORS[index % len(RUN_COLORS)]
                  for index, key in enumerate(runs)}
        series_by_tag: dict[str, dict[str, tuple]] = {}
        for key, run in runs.items():
            for tag, info in run.tags.items():
                if info.kind != SCALARS_KIND or not info.series:
                    continue
                series_by_tag.setdefault(tag, {})[key] = info.series
        tags = sorted(series_by_tag)

        for tag in list(self._charts):
            if tag not in series_by_tag:
                chart = self._charts.pop(tag)
                self._grid.removeWidget(chart)
                chart.setParent(None)
                chart.deleteLater()
        layout_changed = False
        for tag in tags:
            chart = self._charts.get(tag)
            if chart is None:
                chart = SparklineChart(tag, self._body)
                chart.sig_clicked.connect(self.sig_clicked)
                chart.sig_tag_clicked.connect(self.sig_tag_clicked)
                self._charts[tag] = chart
                layout_changed = True
            chart.set_series(series_by_tag[tag], colors, labels)
        if layout_changed or len(tags) != self._grid.count():
            self._relayout()

        if not runs:
            self._show_empty("Select a run to preview its scalars.")
        elif not tags:
            self._show_empty("No scalars in the selected run"
                             f"{'s' if len(runs) > 1 else ''} yet.")
        else:
            self._empty_label.hide()

    def tags(self) -> list[str]:
        """Tags with a chart, in display order."""
        return sorted(self._charts)

    def chart(self, tag: str) -> SparklineChart | None:
        """The chart of ``tag``, if shown."""
        return self._charts.get(tag)

    def empty_message(self) -> str:
        """The text shown instead of charts ("" when charts are shown)."""
        return "" if self._empty_label.isHidden() else \
            self._empty_label.text()

    # ---- Layout
    def _show_empty(self, text: str) -> None:
        self._empty_label.setText(text)
        self._empty_label.show()

    def _column_count(self) -> int:
        width = self.viewport().width()
        return max(1, width // MIN_CHART_WIDTH)

    def _relayout(self) -> None:
        previous, self._columns = self._columns, self._column_count()
        for chart in self._charts.values():
            self._grid.removeWidget(chart)
        for index, tag in enumerate(sorted(self._charts)):
            chart = self._charts[tag]
            self._grid.addWidget(chart, index // self._columns,
                                 index % self._columns)
            chart.show()
        for column in range(max(previous, self._columns)):
            self._grid.setColumnStretch(
                column, 1 if column < self._columns else 0)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        if self._column_count() != self._columns:
            self._relayout()
