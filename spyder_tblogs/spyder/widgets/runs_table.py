"""The *Runs* tab: runs side by side, with a filter line and column choice.

A ``QTableView`` on :class:`~spyder_tblogs.spyder.runs_model.RunsTableModel`
(which sorts and filters itself: see there why not through a proxy), the
filter line (run-name regex and ``hparam=value`` words), a *Columns* menu
and the table's actions. What the actions do is the
:class:`~spyder_tblogs.spyder.runs_control.RunsTableController`'s job.
"""

from __future__ import annotations

from qtpy.QtCore import Qt, QTimer, Signal
from qtpy.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMenu,
    QTableView, QToolButton, QVBoxLayout, QWidget)

from spyder.api.translations import _
from spyder.utils.icon_manager import ima

from spyder_tblogs.spyder.runs_model import RunsTableModel
from spyder_tblogs.spyder.runs_rows import ColumnKind, FilterError, RowFilter

# Initial column widths by kind, in pixels (metrics: 120, which fits
# "train/loss last").
COLUMN_WIDTHS = {ColumnKind.Run: 150, ColumnKind.Status: 165,
                 ColumnKind.Duration: 95, ColumnKind.LastStep: 100,
                 ColumnKind.Hparam: 85}
# Typing in the filter line is coalesced over this long.
FILTER_DELAY_MS = 150


class RunsTableWidget(QWidget):
    """The Runs table with its filter line and buttons."""

    sig_columns_chosen = Signal(object, object)
    """``(tags, hidden hparams)``: the user changed the columns (tags None:
    the default ones)."""

    sig_open_requested = Signal()
    """Open the selected runs in TensorBoard."""

    sig_export_table_requested = Signal()
    sig_export_scalars_requested = Signal(str)
    """Export the scalars of the selected run or the scope (format)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = RunsTableModel(self)
        self.filter_error = ""
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText(
            _("Filter runs: name regex, lr=0.1, batch>=32"))
        self.filter_edit.setClearButtonEnabled(True)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.filter_edit.textChanged.connect(self._filter_timer.start)

        self.columns_menu = QMenu(self)
        self.columns_menu.aboutToShow.connect(self._fill_columns_menu)
        self.columns_button = self._button(
            _("Columns…"), "tooloptions",
            _("Choose the tags and hyper-parameters shown"))
        self.columns_button.setMenu(self.columns_menu)
        self.columns_button.setPopupMode(QToolButton.InstantPopup)
        self.open_button = self._button(
            _("Open selected in TensorBoard"), "plot",
            _("Serve the log directory with only the selected runs shown"))
        self.open_button.clicked.connect(self.sig_open_requested)
        self.export_menu = QMenu(self)
        self.export_table_action = self.export_menu.addAction(
            _("Export table as CSV…"), self.sig_export_table_requested)
        self.export_csv_action = self.export_menu.addAction(
            _("Export scalars as CSV…"),
            lambda: self.sig_export_scalars_requested.emit("csv"))
        self.export_parquet_action = self.export_menu.addAction(
            _("Export scalars as Parquet…"),
            lambda: self.sig_export_scalars_requested.emit("parquet"))
        self.export_button = self._button(_("Export"), "fileexport",
                                          _("Export the table or scalars"))
        self.export_button.setMenu(self.export_menu)
        self.export_button.setPopupMode(QToolButton.InstantPopup)
        self.count_label = QLabel(self)

        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicator(-1, Qt.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.view.verticalHeader().hide()
        # Fixed row heights: Qt measures no row of 10,000.
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.Fixed)
        self.view.setWordWrap(False)
        self.view.horizontalHeader().setSectionResizeMode(
            QHeaderView.Interactive)
        self.view.horizontalHeader().setStretchLastSection(False)
        self.model.modelReset.connect(self._on_reset)
        self.model.layoutChanged.connect(self._update_count)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.filter_edit, 1)
        for widget in (self.columns_button, self.open_button,
                       self.export_button):
            bar.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count_label)

    # ---- API
    def selected_rows(self) -> list:
        """View rows selected, in view order."""
        return sorted(index.row() for index in
                      self.view.selectionModel().selectedRows(0))

    def selected_run_names(self) -> list:
        return [self.model.run_name(row) for row in self.selected_rows()]

    def apply_filter(self) -> None:
        """Filter the rows by the text of the filter line now."""
        self._filter_timer.stop()
        try:
            row_filter = RowFilter.parse(self.filter_edit.text())
        except FilterError as error:
            self.filter_error = str(error)
            self.filter_edit.setToolTip(
                _("Not a regular expression: {}").format(error))
            self.filter_edit.setStyleSheet("QLineEdit { color: red; }")
            return
        self.filter_error = ""
        self.filter_edit.setToolTip("")
        self.filter_edit.setStyleSheet("")
        self.model.set_filter(row_filter)

    def set_parquet_available(self, available: bool) -> None:
        self.export_parquet_action.setVisible(available)

    # ---- Private
    def _button(self, text, icon, tip):
        button = QToolButton(self)
        button.setText(text)
        button.setIcon(ima.icon(icon))
        button.setToolTip(tip)
        button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        button.setAutoRaise(True)
        return button

    def _on_reset(self):
        header = self.view.horizontalHeader()
        for column, spec in enumerate(self.model.table.columns
                                      if self.model.table else ()):
            header.resizeSection(column, COLUMN_WIDTHS.get(spec.kind, 120))
        self._update_count()

    def _update_count(self):
        shown, total = self.model.rowCount(), self.model.total_rows()
        self.count_label.setText(
            _("{} runs").format(total) if shown == total else
            _("{} of {} runs").format(shown, total))

    def _fill_columns_menu(self):
        menu = self.columns_menu
        menu.clear()
        table = self.model.table
        if table is None:
            menu.addAction(_("No runs")).setEnabled(False)
            return
        menu.addAction(_("Default tags"),
                       lambda: self.sig_columns_chosen.emit(
                           None, self._hidden_hparams(table.hparams)))
        _add_check_section(
            menu, _("Scalar tags"), table.all_tags, table.tags,
            lambda tag, on: self._toggle_tag(table, tag, on))
        _add_check_section(
            menu, _("Hyper-parameters"), table.all_hparams, table.hparams,
            lambda name, on: self._toggle_hparam(table, name, on))

    def _hidden_hparams(self, shown):
        table = self.model.table
        return tuple(name for name in table.all_hparams if name not in shown)

    def _toggle_tag(self, table, tag, on):
        tags = [name for name in table.all_tags
                if (name in table.tags and name != tag)
                or (name == tag and on)]
        self.sig_columns_chosen.emit(tuple(tags),
                                     self._hidden_hparams(table.hparams))

    def _toggle_hparam(self, table, name, on):
        shown = set(table.hparams) - {name} | ({name} if on else set())
        self.sig_columns_chosen.emit(tuple(table.tags),
                                     self._hidden_hparams(shown))


def _add_check_section(menu, title, names, checked, on_toggled):
    """A titled section of one checkable action per name (none at all
    without names); ``on_toggled(name, checked)`` when one is toggled."""
    if names:
        menu.addSection(title)
    for name in names:
        action = menu.addAction(name)
        action.setCheckable(True)
        action.setChecked(name in checked)
        action.toggled.connect(lambda on, name=name: on_toggled(name, on))
