"""A run's tags from its event files: per-file tag states merged in
TensorBoard's load order (file names, then file order), with bounded
preview series joined end to end."""

import math

from spyder_tblogs.logs.file_state import SERIES_POINTS
from spyder_tblogs.logs.info import pack_series
from spyder_tblogs.logs.rows import (
    COUNT, KIND, LAST_STEP, LAST_VALUE, LAST_WALL, MAX_STEP, MAX_VALUE,
    MAX_VALUE_STEP, MIN_STEP, MIN_VALUE, MIN_VALUE_STEP, NONFINITE, POINTS,
    SERIES,
)

__all__ = ["merge_tags"]


def merge_tags(files):
    """Merge per-file tag states (in load order) into tag values.

    Returns one flat tuple holding, tag after tag in order of first
    appearance, the fields of :class:`TagInfo` in their order
    (:data:`TAG_FIELDS`; see ``RunInfo.from_row``).
    """
    merged = {}
    for _, state in files:
        for tag, tag_state in state.tags.items():
            entry = merged.get(tag)
            if entry is None:
                entry = merged[tag] = _MergedTag(tag_state[KIND])
            entry.add(tag_state)
    values = []
    for tag, entry in merged.items():
        values.append(tag)
        values += entry.fields()
    return tuple(values)


class _MergedTag:
    """One tag over the files of a run, while they are merged."""

    __slots__ = ("kind", "count", "first_step", "last_step", "last_value",
                 "last_wall", "min_value", "min_step", "max_value", "max_step",
                 "nonfinite", "parts")

    def __init__(self, kind):
        self.kind = kind
        self.count = 0
        self.first_step = self.last_step = None
        self.last_value = self.last_wall = None
        self.min_value, self.min_step = math.inf, None
        self.max_value, self.max_step = -math.inf, None
        self.nonfinite = None
        self.parts = []

    def add(self, tag_state):
        self.count += tag_state[COUNT]
        low, high = tag_state[MIN_STEP], tag_state[MAX_STEP]
        if self.first_step is None or low < self.first_step:
            self.first_step = low
        if self.last_step is None or high > self.last_step:
            self.last_step = high
        self.last_wall = tag_state[LAST_WALL]
        last_value = tag_state[LAST_VALUE]
        if last_value is None:
            return
        if tag_state[MIN_VALUE_STEP] is not None:
            if tag_state[MIN_VALUE] < self.min_value:
                self.min_value = tag_state[MIN_VALUE]
                self.min_step = tag_state[MIN_VALUE_STEP]
            if tag_state[MAX_VALUE] > self.max_value:
                self.max_value = tag_state[MAX_VALUE]
                self.max_step = tag_state[MAX_VALUE_STEP]
        if self.nonfinite is None and tag_state[NONFINITE] is not None:
            step, value, before = tag_state[NONFINITE]
            # A file that starts non-finite: the value before it is the
            # previous file's last.
            self.nonfinite = (step, value,
                              self.last_value if before is None else before)
        self.last_value = last_value
        series = tag_state[SERIES]
        if series is not None:
            self.parts.append((series[POINTS], (tag_state[LAST_STEP],
                                                self.last_wall, last_value)))

    def fields(self):
        """The fields of :class:`TagInfo` after ``tag``, in order."""
        step, value, before = self.nonfinite or (None, None, None)
        found = self.min_step is not None
        return (self.kind, self.count, self.first_step, self.last_step,
                self.last_value, self.last_wall,
                self.min_value if found else None, self.min_step,
                self.max_value if found else None, self.max_step,
                step, value, before, pack_series(_merge_series(self.parts)))


def _merge_series(parts):
    """Join per-file series (each with its last point) into one bounded one."""
    points = []
    for kept, last in parts:
        file_points = [(kept[index], kept[index + 1], kept[index + 2])
                       for index in range(0, len(kept), 3)]
        if not file_points or file_points[-1] != last:
            file_points.append(last)
        points.extend(file_points)
    if len(points) > SERIES_POINTS:
        last_index = len(points) - 1
        scale = last_index / (SERIES_POINTS - 1)
        points = [points[round(index * scale)] for index in range(SERIES_POINTS)]
    return tuple(points)
