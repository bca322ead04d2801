"""One sparkline: a small line chart of a scalar tag, drawn with QPainter.

Why QPainter and not a chart library:

- QtCharts is not part of the PyQt5 wheels Spyder installs from PyPI (it is
  a separate ``PyQtChart`` package), so depending on it would break pip
  installs;
- pyqtgraph is not in Spyder's environment, and pulling a plotting library
  (plus numpy-heavy code paths) into the IDE for a few 60-pixel lines is out
  of proportion;
- the data is already small and bounded: the index keeps a downsampled
  ``TagInfo.series`` of ``(step, wall_time, value)`` points per tag, so a
  polyline per run is all a preview needs, and it repaints in well under a
  millisecond.

A :class:`SparklineChart` shows every run it is given overlaid in its own
colour, the last value and step, and a legend when several runs share the
chart. Clicking it emits the runs it shows.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from qtpy.QtCore import QPointF, QRectF, QSize, Qt, Signal
from qtpy.QtGui import (QColor, QFont, QFontMetrics, QPainter, QPainterPath,
                        QPalette, QPen)
from qtpy.QtWidgets import QSizePolicy, QToolTip, QWidget

from spyder.utils.palette import SpyderPalette

__all__ = ["SparklineChart", "RUN_COLORS", "MIN_CHART_WIDTH",
           "format_value", "format_step"]

# Spyder's group colours (made for the current theme), in an order that
# keeps neighbouring runs' hues apart; lower case, as QColor.name() gives.
RUN_COLORS = tuple(color.lower() for color in (
    SpyderPalette.GROUP_6, SpyderPalette.GROUP_2, SpyderPalette.GROUP_12,
    SpyderPalette.GROUP_1, SpyderPalette.GROUP_4, SpyderPalette.GROUP_8,
    SpyderPalette.GROUP_11, SpyderPalette.GROUP_5, SpyderPalette.GROUP_3,
    SpyderPalette.GROUP_10))

CHART_HEIGHT = 56          # plot area, pixels
MIN_CHART_WIDTH = 220      # below this, one column
MAX_LEGEND_ROWS = 4        # further runs are summarised as "+ n more"


def format_value(value: float | None) -> str:
    """Short text for a scalar: 4 significant digits, plain words for NaN.

    Parameters
    ----------
    value : float or None

    Returns
    -------
    str
    """
    if value is None:
        return "–"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    magnitude = abs(value)
    if magnitude != 0 and (magnitude >= 1e5 or magnitude < 1e-3):
        return f"{value:.3e}"
    return f"{value:.4g}"


def format_step(step: int | None) -> str:
    """Step with thousands separators ("12,000")."""
    return "–" if step is None else f"{step:,}"


class _Line:
    """One run's data in a chart."""

    __slots__ = ("key", "label", "color", "points", "last")

    def __init__(self, key, label, color, series):
        self.key = key
        self.label = label
        self.color = QColor(color)
        # What is drawn: every finite point, in the index's order.
        self.points = tuple((int(step), float(value))
                            for step, _wall, value in series
                            if value is not None and math.isfinite(value))
        # The last point as logged, even if it is NaN (shown as text).
        self.last = (int(series[-1][0]), float(series[-1][2])) \
            if series else None


class SparklineChart(QWidget):
    """A small line chart of one scalar tag for one or more runs.

    Parameters
    ----------
    tag : str
        The scalar tag shown.
    parent : QWidget, optional

    Notes
    -----
    x is the step, y the value, both scaled to the data of all the chart's
    runs. Non-finite values (NaN, inf) are left out of the line; a NaN last
    value is still shown as text.
    """

    sig_clicked = Signal(list)
    """Runs shown by the chart (their keys), when it is clicked."""

    sig_tag_clicked = Signal(str, list)
    """The tag and the runs shown, when the chart is clicked."""

    def __init__(self, tag: str, parent=None):
        super().__init__(parent)
        self.tag = tag
        self._lines: list[_Line] = []
        self._mapped: dict[str, tuple[QPointF, ...]] = {}
        self._plot_rect = QRectF()
        self.setMouseTracking(True)
        self.setCursor(Qt.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setMinimumWidth(120)
        self.setFixedHeight(self._height_for(1))
        self.setToolTip(f"{tag}\nClick to open in TensorBoard")

    # ---- Data
    def set_series(self, series_by_run: Mapping[str, Sequence],
                   colors: Mapping[str, str] | None = None,
                   labels: Mapping[str, str] | None = None) -> None:
        """Replace the chart's data and repaint.

        Parameters
        ----------
        series_by_run : mapping of str to sequence of (step, wall_time, value)
            One series per run, keyed by the run's key (what the click
            signals report), in the order to draw and list them.
        colors : mapping of str to colour name, optional
            Colour per run key; the palette order by default.
        labels : mapping of str to str, optional
            Legend text per run key; the key by default.
        """
        colors = colors or {}
        labels = labels or {}
        self._lines = [
            _Line(key, labels.get(key, key),
                  colors.get(key, RUN_COLORS[index % len(RUN_COLORS)]),
                  tuple(series))
            for index, (key, series) in enumerate(series_by_run.items())
        ]
        self._mapped = {}
        self.setFixedHeight(self._height_for(len(self._lines)))
        self.update()

    def runs(self) -> list[str]:
        """Keys of the runs shown, in drawing order."""
        return [line.key for line in self._lines]

    def plotted_points(self, run: str) -> tuple[tuple[int, float], ...]:
        """The (step, value) points drawn for ``run``, in drawing order.

        Parameters
        ----------
        run : str
            A run key.

        Returns
        -------
        tuple of (int, float)
            Empty if the run is not in the chart.
        """
        for line in self._lines:
            if line.key == run:
                return line.points
        return ()

    def mapped_points(self, run: str) -> tuple[QPointF, ...]:
        """Pixel positions of the polyline drawn for ``run`` at last paint.

        Parameters
        ----------
        run : str

        Returns
        -------
        tuple of QPointF
            Empty before the first paint or if the run is not shown.
        """
        return self._mapped.get(run, ())

    def last_point(self, run: str) -> tuple[int, float] | None:
        """(step, value) of the run's last logged point."""
        for line in self._lines:
            if line.key == run:
                return line.last
        return None

    def color(self, run: str) -> QColor | None:
        """The colour of ``run``'s line."""
        for line in self._lines:
            if line.key == run:
                return QColor(line.color)
        return None

    # ---- Geometry
    def _row_height(self) -> int:
        return QFontMetrics(self.font()).height() + 2

    def _height_for(self, run_count: int) -> int:
        legend_rows = 0 if run_count <= 1 else min(run_count,
                                                   MAX_LEGEND_ROWS + 1)
        return self._row_height() * (1 + legend_rows) + CHART_HEIGHT + 8

    def sizeHint(self):
        return QSize(MIN_CHART_WIDTH, self._height_for(len(self._lines)))

    def plot_rect(self) -> QRectF:
        """The area the lines are drawn in (pixels, at last paint)."""
        return QRectF(self._plot_rect)

    def _ranges(self):
        steps = [step for line in self._lines for step, _ in line.points]
        values = [value for line in self._lines for _, value in line.points]
        if not steps:
            return None
        low_step, high_step = min(steps), max(steps)
        low, high = min(values), max(values)
        if low_step == high_step:
            low_step, high_step = low_step - 1, high_step + 1
        if low == high:
            pad = abs(low) * 0.05 or 0.5
            low, high = low - pad, high + pad
        return low_step, high_step, low, high

    def _map(self, rect: QRectF, ranges, step, value) -> QPointF:
        low_step, high_step, low, high = ranges
        x = rect.left() + (step - low_step) / (high_step - low_step) \
            * rect.width()
        y = rect.bottom() - (value - low) / (high - low) * rect.height()
        return QPointF(x, y)

    # ---- Painting
    def paintEvent(self, event):
        painter = QPainter(self)
        try:
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.Antialiasing, True)
        palette = self.palette()
        text_color = palette.color(QPalette.WindowText)
        dim_color = QColor(text_color)
        dim_color.setAlpha(140)
        metrics = QFontMetrics(self.font())
        row = self._row_height()
        width = self.width()

        # Header: the tag, and with a single run its last value and step
        # (with several runs each one's last value is in the legend).
        header = QRectF(4, 0, width - 8, row)
        summary = ""
        if len(self._lines) == 1 and self._lines[0].last is not None:
            step, value = self._lines[0].last
            summary = f"{format_value(value)}  @ {format_step(step)}"
        summary_width = metrics.horizontalAdvance(summary) + 8 \
            if summary else 0
        painter.setPen(text_color)
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        title = QFontMetrics(font).elidedText(
            self.tag, Qt.ElideMiddle, int(header.width() - summary_width))
        painter.drawText(header, Qt.AlignLeft | Qt.AlignVCenter, title)
        font.setBold(False)
        painter.setFont(font)
        if summary:
            painter.drawText(header, Qt.AlignRight | Qt.AlignVCenter, summary)

        # Value range in a small gutter left of the plot.
        ranges = self._ranges()
        small = QFont(font)
        small.setPointSizeF(max(font.pointSizeF() * 0.8, 6))
        small_metrics = QFontMetrics(small)
        band = QRectF(4, row + 3, width - 8, CHART_HEIGHT)
        gutter = 0
        if ranges is not None:
            high_text, low_text = format_value(ranges[3]), \
                format_value(ranges[2])
            gutter = max(small_metrics.horizontalAdvance(high_text),
                         small_metrics.horizontalAdvance(low_text)) + 4
            painter.setFont(small)
            painter.setPen(dim_color)
            label_rect = QRectF(band.left(), band.top(), gutter - 3,
                                band.height())
            painter.drawText(label_rect, Qt.AlignRight | Qt.AlignTop,
                             high_text)
            painter.drawText(label_rect, Qt.AlignRight | Qt.AlignBottom,
                             low_text)
            painter.setFont(font)
        rect = band.adjusted(gutter, 0, 0, 0)
        self._plot_rect = QRectF(rect)
        frame = QColor(text_color)
        frame.setAlpha(40)
        painter.setPen(QPen(frame, 1))
        painter.drawRect(rect)

        self._mapped = {}
        if ranges is None:
            painter.setPen(dim_color)
            painter.drawText(rect, Qt.AlignCenter, "no finite values yet")
        else:
            inner = rect.adjusted(3, 4, -3, -4)
            for line in self._lines:
                mapped = tuple(self._map(inner, ranges, step, value)
                               for step, value in line.points)
                self._mapped[line.key] = mapped
                if not mapped:
                    continue
                painter.setPen(QPen(line.color, 1.5))
                if len(mapped) > 1:
                    path = QPainterPath(mapped[0])
                    for point in mapped[1:]:
                        path.lineTo(point)
                    painter.drawPath(path)
                # Mark the last point: the live end of the line.
                painter.setBrush(line.color)
                painter.drawEllipse(mapped[-1], 2, 2)
                painter.setBrush(Qt.NoBrush)

        # Legend when several runs share the chart.
        if len(self._lines) > 1:
            top = rect.bottom() + 3
            shown = self._lines[:MAX_LEGEND_ROWS]
            for index, line in enumerate(shown):
                row_rect = QRectF(4, top + index * row, width - 8, row)
                swatch = QRectF(row_rect.left(),
                                row_rect.center().y() - 2, 10, 4)
                painter.fillRect(swatch, line.color)
                last = ""
                if line.last is not None:
                    last = (f"{format_value(line.last[1])}  @ "
                            f"{format_step(line.last[0])}")
                last_width = metrics.horizontalAdvance(last) + 8
                label_rect = row_rect.adjusted(14, 0, -last_width, 0)
                painter.setPen(text_color)
                painter.drawText(
                    label_rect, Qt.AlignLeft | Qt.AlignVCenter,
                    metrics.elidedText(line.label, Qt.ElideMiddle,
                                       int(label_rect.width())))
                painter.setPen(dim_color)
                painter.drawText(row_rect, Qt.AlignRight | Qt.AlignVCenter,
                                 last)
            hidden = len(self._lines) - len(shown)
            if hidden:
                painter.setPen(dim_color)
                painter.drawText(
                    QRectF(18, top + len(shown) * row, width - 22, row),
                    Qt.AlignLeft | Qt.AlignVCenter, f"+ {hidden} more")

    # ---- Interaction
    def mouseMoveEvent(self, event):
        text = self._tooltip_at(event.pos().x())
        if text:
            QToolTip.showText(self.mapToGlobal(event.pos()), text, self)
        super().mouseMoveEvent(event)

    def _tooltip_at(self, x: float) -> str:
        """Values of every run at the step nearest to pixel column ``x``."""
        lines = [self.tag]
        for line in self._lines:
            mapped = self._mapped.get(line.key)
            if not mapped:
                continue
            nearest = min(range(len(mapped)),
                          key=lambda index: abs(mapped[index].x() - x))
            step, value = line.points[nearest]
            lines.append(f"{line.label}: {format_value(value)} "
                         f"@ step {format_step(step)}")
        if len(lines) == 1:
            return ""
        lines.append("Click to open in TensorBoard")
        return "\n".join(lines)

    def mouseReleaseEvent(self, event):
        if event.button() == Qt.LeftButton and self.rect().contains(
                event.pos()):
            runs = self.runs()
            self.sig_clicked.emit(runs)
            self.sig_tag_clicked.emit(self.tag, runs)
        super().mouseReleaseEvent(event)
