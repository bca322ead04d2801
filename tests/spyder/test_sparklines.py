"""Sparkline previews drawn from the index's series of real event files."""

import math
import time

import pytest
from qtpy.QtCore import QPoint, Qt

from spyder_tblogs.logs import LogIndex
from spyder_tblogs.spyder.widgets.sparkline_chart import (
    RUN_COLORS, SparklineChart, format_step, format_value)
from spyder_tblogs.spyder.widgets.sparklines import SparklinesWidget


def write_scalars(logdir, steps, values, tag="loss", extra_tag=None):
    """Write scalars with tensorboard's own EventFileWriter."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(logdir))
    for step, value in zip(steps, values):
        entries = [summary_pb2.Summary.Value(tag=tag, simple_value=value)]
        if extra_tag:
            entries.append(summary_pb2.Summary.Value(
                tag=extra_tag, simple_value=value * 2))
        writer.add_event(event_pb2.Event(
            wall_time=time.time(), step=step,
            summary=summary_pb2.Summary(value=entries)))
    writer.close()


def finite_points(series):
    return tuple((step, value) for step, _wall, value in series
                 if math.isfinite(value))


@pytest.fixture
def sparklines(qtbot):
    widget = SparklinesWidget()
    widget.resize(500, 400)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_points_drawn_equal_the_index_series(tmp_path, qtbot, sparklines):
    values = [math.sin(step / 7) for step in range(300)]
    write_scalars(tmp_path / "train", range(0, 600, 2), values,
                  extra_tag="accuracy")
    index = LogIndex(str(tmp_path))
    index.refresh()
    run = index.run("train")

    sparklines.set_runs([run])
    qtbot.waitUntil(
        lambda: len(sparklines.chart("loss").mapped_points("train")) > 0)

    assert sparklines.tags() == ["accuracy", "loss"]
    for tag in ("loss", "accuracy"):
        chart = sparklines.chart(tag)
        series = run.tags[tag].series
        assert chart.plotted_points("train") == finite_points(series)
        # One pixel position per point, inside the plot area, ordered by
        # step left to right.
        mapped = chart.mapped_points("train")
        assert len(mapped) == len(series)
        area = chart.plot_rect()
        assert all(area.contains(point) for point in mapped)
        xs = [point.x() for point in mapped]
        assert xs == sorted(xs) and xs[0] < xs[-1]
        # Highest value drawn highest (smallest y).
        values_drawn = [value for _, value in chart.plotted_points("train")]
        top = min(range(len(mapped)), key=lambda i: mapped[i].y())
        assert values_drawn[top] == max(values_drawn)
        assert chart.last_point("train") == (series[-1][0], series[-1][2])
    assert sparklines.empty_message() == ""


def test_two_runs_overlay_in_one_chart_per_tag(tmp_path, qtbot, sparklines):
    write_scalars(tmp_path / "a", range(10), [float(i) for i in range(10)])
    write_scalars(tmp_path / "b", range(20), [10.0 - i for i in range(20)])
    write_scalars(tmp_path / "c", range(5), [1.0] * 5, tag="other")
    index = LogIndex(str(tmp_path))
    index.refresh()
    runs = [index.run("a"), index.run("b")]

    sparklines.set_runs(runs)
    chart = sparklines.chart("loss")
    qtbot.waitUntil(lambda: len(chart.mapped_points("b")) > 0)

    assert sparklines.tags() == ["loss"]
    assert chart.runs() == ["a", "b"]
    for run in runs:
        assert chart.plotted_points(run.name) == finite_points(
            run.tags["loss"].series)
    assert chart.color("a").name() == RUN_COLORS[0]
    assert chart.color("b").name() == RUN_COLORS[1]
    # Both runs share the chart's scales: b spans steps 0..19, so a (0..9)
    # ends halfway across.
    a_points, b_points = chart.mapped_points("a"), chart.mapped_points("b")
    assert a_points[0].x() == pytest.approx(b_points[0].x())
    middle = (b_points[0].x() + b_points[-1].x()) / 2
    assert a_points[-1].x() < middle < b_points[-1].x()
    # The legend makes the chart taller than a one-run chart.
    single = SparklineChart("loss")
    qtbot.addWidget(single)
    single.set_series({"a": runs[0].tags["loss"].series})
    assert chart.height() > single.height()
    # Tooltip lists each run's value at the hovered step.
    text = chart._tooltip_at(b_points[-1].x())
    assert "a: 9 @ step 9" in text and "b: -9 @ step 19" in text

    # A run with another tag gets its own chart.
    sparklines.set_runs(runs + [index.run("c")])
    assert sparklines.tags() == ["loss", "other"]
    assert sparklines.chart("other").runs() == ["c"]


def test_click_emits_the_runs_of_the_chart(tmp_path, qtbot, sparklines):
    write_scalars(tmp_path / "a", range(3), [1.0, 2.0, 3.0])
    write_scalars(tmp_path / "b", range(3), [3.0, 2.0, 1.0])
    index = LogIndex(str(tmp_path))
    index.refresh()
    sparklines.set_runs({"root1:a": index.run("a"),
                         "root1:b": index.run("b")},
                        labels={"root1:a": "a", "root1:b": "b"})
    chart = sparklines.chart("loss")
    qtbot.waitExposed(chart)

    with qtbot.waitSignal(sparklines.sig_clicked) as clicked, \
            qtbot.waitSignal(sparklines.sig_tag_clicked) as tag_clicked:
        qtbot.mouseClick(chart, Qt.LeftButton,
                         pos=QPoint(chart.width() // 2, chart.height() // 2))
    assert clicked.args == [["root1:a", "root1:b"]]
    assert tag_clicked.args == ["loss", ["root1:a", "root1:b"]]

    # A right click does not open anything.
    with qtbot.assertNotEmitted(sparklines.sig_clicked):
        qtbot.mouseClick(chart, Qt.RightButton,
                         pos=QPoint(chart.width() // 2, chart.height() // 2))


def test_live_update_reuses_the_chart(tmp_path, qtbot, sparklines):
    run_dir = tmp_path / "live"
    write_scalars(run_dir, range(5), [float(i) for i in range(5)])
    index = LogIndex(str(tmp_path))
    index.refresh()
    sparklines.set_runs([index.run("live")])
    chart = sparklines.chart("loss")
    qtbot.waitUntil(lambda: len(chart.mapped_points("live")) == 5)

    # The writer appends (a second file of the same run, as a resumed
    # script does); the index refreshes; the same chart shows the new data.
    time.sleep(1.1)
    write_scalars(run_dir, range(5, 12), [float(i) for i in range(5, 12)])
    update = index.refresh()
    assert "live" in update.changed
    run = index.run("live")
    sparklines.set_runs([run])

    assert sparklines.chart("loss") is chart
    assert chart.plotted_points("live") == finite_points(
        run.tags["loss"].series)
    assert chart.last_point("live") == (11, 11.0)
    qtbot.waitUntil(lambda: len(chart.mapped_points("live"))
                    == len(run.tags["loss"].series))

    # The run is deselected: its chart goes, the empty state says why.
    sparklines.set_runs([])
    assert sparklines.tags() == []
    assert "Select a run" in sparklines.empty_message()


def test_non_finite_values_are_left_out_of_the_line(tmp_path, qtbot,
                                                    sparklines):
    values = [1.0, float("nan"), 2.0, float("inf"), 3.0, float("nan")]
    write_scalars(tmp_path / "nan", range(6), values)
    index = LogIndex(str(tmp_path))
    index.refresh()
    run = index.run("nan")
    sparklines.set_runs([run])
    chart = sparklines.chart("loss")

    assert chart.plotted_points("nan") == ((0, 1.0), (2, 2.0), (4, 3.0))
    step, value = chart.last_point("nan")
    assert step == 5 and math.isnan(value)
    assert format_value(value) == "NaN"


def test_runs_without_scalars_show_a_message(tmp_path, qtbot, sparklines):
    from tensorboard.compat.proto import event_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(tmp_path / "empty"))
    writer.add_event(event_pb2.Event(wall_time=time.time(), step=0,
                                     file_version="brain.Event:2"))
    writer.close()
    index = LogIndex(str(tmp_path))
    index.refresh()
    sparklines.set_runs([index.run("empty")])
    assert sparklines.tags() == []
    assert "No scalars" in sparklines.empty_message()


def test_formatting():
    assert format_value(0.123456) == "0.1235"
    assert format_value(123456.0) == "1.235e+05"
    assert format_value(float("-inf")) == "−∞"
    assert format_value(None) == "–"
    assert format_step(12000) == "12,000"
