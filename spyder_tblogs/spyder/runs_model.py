"""Qt table model of the Runs table: one row per run, sorted and filtered
in Python on plain tuples.

The model keeps the view order itself (a list of positions into the
snapshot's rows) rather than sitting behind a ``QSortFilterProxyModel``:
the proxy compares rows by calling ``data()`` in Python for every pair,
850 ms for 10,000 runs, where a list sort on precomputed keys takes a few
milliseconds. Sorting and new snapshots of the same runs move rows with
``layoutChanged`` and update persistent indexes, so the selection and the
scroll position survive live refreshes.
"""

from __future__ import annotations

import math
from typing import Optional

from qtpy.QtCore import QAbstractTableModel, QModelIndex, Qt

from spyder.api.translations import _
from spyder.utils.icon_manager import ima

from spyder_tblogs.spyder.read_only_items import ReadOnlyItemsMixin
from spyder_tblogs.spyder.runs_rows import (
    DIAGNOSTICS, PATH, RUN, SEVERITY, STATUS, TAG_FIELDS, ColumnKind,
    RowFilter, sorted_positions)

# ``ima`` icons of the status column (a finished run without diagnostics
# has none: the alarms stand out).
STATUS_ICONS = {"error": "error", "warning": "warning", "info": "information",
                "live": "run"}
# Role beyond Qt's own: the run name of a row.
RunNameRole = Qt.UserRole + 1

_TITLES = {ColumnKind.Run: _("Run"), ColumnKind.Status: _("Status"),
           ColumnKind.Duration: _("Duration"),
           ColumnKind.LastStep: _("Highest step")}
_NUMERIC = (ColumnKind.Duration, ColumnKind.LastStep, ColumnKind.Hparam,
            ColumnKind.Last, ColumnKind.Min, ColumnKind.Max)


def format_duration(seconds: Optional[float]) -> str:
    """``42 s``, ``12 min 05 s``, ``3 h 07 min``."""
    if seconds is None:
        return ""
    seconds = int(round(seconds))
    if seconds < 60:
        return "%d s" % seconds
    if seconds < 3600:
        return "%d min %02d s" % divmod(seconds, 60)
    return "%d h %02d min" % (seconds // 3600, seconds % 3600 // 60)


def format_value(value) -> str:
    """A metric or hparam as a cell shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Inf" if value > 0 else "-Inf"
        return "%.6g" % value
    return str(value)


class RunsTableModel(ReadOnlyItemsMixin, QAbstractTableModel):
    """The runs of a :class:`~.runs_rows.RunsTable`, sorted and filtered."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.table = None
        self._rows = ()            # the snapshot's rows
        self._order = []           # positions in _rows, in view order
        self._sort_column = -1
        self._descending = False
        self._filter = RowFilter()
        self._icons = {name: ima.icon(icon)
                       for name, icon in STATUS_ICONS.items()}

    # ---- API
    def set_table(self, table) -> None:
        """Show ``table`` (a RunsTable), keeping sort and filter.

        The same runs and columns move rows in place (selection kept);
        anything else resets the model.
        """
        same_shape = (self.table is not None
                      and table.columns == self.table.columns
                      and table.root == self.table.root
                      and [row[RUN] for row in table.rows]
                      == [row[RUN] for row in self._rows])
        if not same_shape:
            self.beginResetModel()
            self.table, self._rows = table, table.rows
            self._order = self._view_order()
            self.endResetModel()
            return
        self.layoutAboutToBeChanged.emit()
        old_order, old_rows = self._order, self._rows
        persistent = self.persistentIndexList()
        self.table, self._rows = table, table.rows
        self._order = self._view_order()
        self._move_persistent(persistent, old_order, old_rows)
        self.layoutChanged.emit()

    def set_filter(self, row_filter: RowFilter) -> None:
        """Show only the rows passing ``row_filter``."""
        self._filter = row_filter
        self._relayout()

    def visible_rows(self):
        """The shown rows (tuples), in view order."""
        return [self._rows[position] for position in self._order]

    def visible_run_rows(self):
        """The shown runs as ``RunInfo.row``, in view order."""
        return [self.table.run_rows[position] for position in self._order]

    def rows_of_runs(self, run_names):
        """View rows of the shown runs among ``run_names``."""
        wanted = set(run_names)
        return [row for row, position in enumerate(self._order)
                if self._rows[position][RUN] in wanted]

    def run_name(self, row) -> str:
        """Run name at view row ``row``."""
        return self._rows[self._order[row]][RUN]

    def run_path(self, row) -> str:
        """Run directory at view row ``row``."""
        return self._rows[self._order[row]][PATH]

    def total_rows(self) -> int:
        """Rows of the snapshot, filtered out ones included."""
        return len(self._rows)

    # ---- QAbstractItemModel
    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent=QModelIndex()):
        if parent.isValid() or self.table is None:
            return 0
        return len(self.table.columns)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation != Qt.Horizontal or self.table is None or \
                not 0 <= section < len(self.table.columns):
            return None
        column = self.table.columns[section]
        if role == Qt.DisplayRole:
            if column.kind == ColumnKind.Hparam:
                return column.name
            if column.kind in (ColumnKind.Last, ColumnKind.Min,
                               ColumnKind.Max):
                return "%s %s" % (column.name, column.kind)
            return _TITLES[column.kind]
        if role == Qt.ToolTipRole:
            if column.kind == ColumnKind.Hparam:
                return _("Hyper-parameter {}").format(column.name)
            if column.kind in (ColumnKind.Min, ColumnKind.Max):
                return _("Exact {} of {} over every point written").format(
                    column.kind, column.name)
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._order):
            return None
        row = self._rows[self._order[index.row()]]
        column = self.table.columns[index.column()]
        kind = column.kind
        if role == Qt.DisplayRole:
            if kind == ColumnKind.Status:
                return _status_text(row)
            if kind == ColumnKind.Duration:
                return format_duration(row[column.field])
            return format_value(row[column.field])
        if role == Qt.DecorationRole and kind == ColumnKind.Status:
            return self._icons.get(row[SEVERITY] or row[STATUS])
        if role == Qt.ToolTipRole:
            return _tooltip(row, column)
        if role == Qt.TextAlignmentRole and kind in _NUMERIC:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == RunNameRole:
            return row[RUN]
        return None

    def sort(self, column, order=Qt.AscendingOrder):
        self._sort_column = column
        self._descending = order == Qt.DescendingOrder
        self._relayout()

    # ---- Private
    def _view_order(self):
        rows = self._rows
        if self.table is None:
            return []
        if 0 <= self._sort_column < len(self.table.columns):
            field = self.table.columns[self._sort_column].field
            order = sorted_positions(rows, field, self._descending)
        else:
            order = list(range(len(rows)))
        if self._filter.pattern is None and not self._filter.conditions:
            return order
        passing = set(self._filter.positions(rows, self.table.hparams))
        return [position for position in order if position in passing]

    def _relayout(self):
        """Re-sort and re-filter, keeping persistent indexes on their runs."""
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        old_order = self._order
        self._order = self._view_order()
        self._move_persistent(persistent, old_order, self._rows)
        self.layoutChanged.emit()

    def _move_persistent(self, persistent, old_order, old_rows):
        if not persistent:
            return
        new_row = {self._rows[position][RUN]: row
                   for row, position in enumerate(self._order)}
        invalid = QModelIndex()
        moved = []
        for index in persistent:
            row = index.row()
            name = (old_rows[old_order[row]][RUN]
                    if 0 <= row < len(old_order) else None)
            target = new_row.get(name)
            moved.append(invalid if target is None
                         else self.index(target, index.column()))
        self.changePersistentIndexList(persistent, moved)


def _status_text(row):
    text = _("live") if row[STATUS] == "live" else _("finished")
    if row[SEVERITY] is not None:
        text += " · " + _(row[SEVERITY])
    return text


def _tooltip(row, column):
    kind = column.kind
    if kind == ColumnKind.Status:
        return row[DIAGNOSTICS] or None
    if kind == ColumnKind.Run:
        return row[PATH]
    if kind not in (ColumnKind.Last, ColumnKind.Min, ColumnKind.Max):
        return None
    last, low, high, low_step, high_step, nonfinite_step = row[
        column.tag_start:column.tag_start + len(TAG_FIELDS)]
    if last is None:
        return _("{} has no {}").format(row[RUN], column.name)
    lines = [_("min {} at step {}").format(format_value(low), low_step),
             _("max {} at step {}").format(format_value(high), high_step)]
    if nonfinite_step is not None:
        lines.append(_("first NaN/Inf at step {}").format(nonfinite_step))
    return "\n".join(lines)
