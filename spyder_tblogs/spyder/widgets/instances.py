"""The TensorBoard tab: running instances and the embedded web view."""

from __future__ import annotations

from typing import Optional

from qtpy.QtCore import Qt, QUrl, Signal
from qtpy.QtWidgets import (
    QHBoxLayout, QHeaderView, QLabel, QPlainTextEdit, QSplitter, QToolButton,
    QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from spyder.api.translations import _
from spyder.utils.icon_manager import ima
from spyder.utils.palette import SpyderPalette

from spyder_tblogs.tensorboard import TensorFlowUse, security_warning
from spyder_tblogs.tensorboard.instance_table import (
    InstanceRow, InstanceState, InstanceTable)


class Column:
    """Column numbers of the instances list."""

    LogDir = 0
    State = 1
    TensorFlow = 2
    URL = 3
    Buttons = 4


# Each state in the words and icon of the State column.
STATE_TEXT = {
    InstanceState.STARTING: _("starting…"),
    InstanceState.RUNNING: _("running"),
    InstanceState.STOPPING: _("stopping…"),
    InstanceState.FAILED: _("failed"),
    InstanceState.EXITED: _("exited"),
}
STATE_ICON = {
    InstanceState.STARTING: "information",
    InstanceState.RUNNING: "run",
    InstanceState.STOPPING: "run",
    InstanceState.FAILED: "error",
    InstanceState.EXITED: "error",
}

# How each server runs, in the words of the TensorFlow column.
TENSORFLOW_TEXT = {
    TensorFlowUse.SKIPPED: _("no (fast)"),
    TensorFlowUse.LOADED: _("loaded"),
    TensorFlowUse.NOT_INSTALLED: _("not installed"),
    TensorFlowUse.UNKNOWN: "?",
}
TENSORFLOW_TIP = {
    TensorFlowUse.SKIPPED: _("Started without TensorFlow (TensorBoard's "
                             "TF-free mode: same data, faster, lighter)"),
    TensorFlowUse.LOADED: _("TensorBoard loaded TensorFlow"),
    TensorFlowUse.NOT_INSTALLED: _("TensorFlow was allowed but is not "
                                   "installed in TensorBoard's interpreter"),
    TensorFlowUse.UNKNOWN: _("Started by a version that did not record it"),
}


def _web_engine_view_class():
    """QWebEngineView, or None when QtWebEngine is not installed."""
    try:
        from qtpy.QtWebEngineWidgets import QWebEngineView
    except ImportError:    # qtpy's QtModuleNotFoundError is one
        return None
    return QWebEngineView


def host_security_warning(host: str) -> str:
    """The process manager's warning for binding ``host`` ('' if loopback).

    The manager decides what counts as loopback and words the warning
    (:class:`~spyder_tblogs.tensorboard.TensorBoardSecurityWarning`); asking
    it keeps the pane and the command line saying the same thing.
    """
    return security_warning(host)


class InstancesPanel(QWidget):
    """List of TensorBoard instances with state, URL and a stop button, above
    an embedded web view (created on first use: QtWebEngine is heavy).

    It renders an :class:`InstanceTable`, which the pane's TensorBoard
    controller changes; the panel never changes a state itself.

    A warning line above the list shows while an instance listens on an
    address other than loopback, and the message of a failed or exited
    instance (with TensorBoard's stderr tail) shows below it.
    """

    sig_stop_requested = Signal(str)
    """Stop the instance serving this logdir."""

    sig_open_in_browser_requested = Signal(str)
    """Open this URL in the system browser."""

    sig_show_requested = Signal(str)
    """Show the instance serving this logdir in the pane."""

    COLUMNS = (_("Log directory"), _("State"), _("TensorFlow"), _("URL"),
               "")

    def __init__(self, table: InstanceTable, parent=None):
        super().__init__(parent)
        self.table = table
        self._items = {}      # row key -> its QTreeWidgetItem
        self.web_view = None
        self._web_view_class = None
        self._web_view_checked = False

        self.list = QTreeWidget(self)
        self.list.setHeaderLabels(self.COLUMNS)
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        # Paths and URLs differ at their ends: keep both ends visible.
        self.list.setTextElideMode(Qt.ElideMiddle)
        header = self.list.header()
        header.setStretchLastSection(False)
        for column in range(len(self.COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeToContents)
        # The directory takes the room the others leave (elided if short).
        header.setSectionResizeMode(Column.LogDir, QHeaderView.Stretch)
        self.list.itemDoubleClicked.connect(self._on_double_click)
        self.list.currentItemChanged.connect(self._show_current_detail)

        self.host_warning = self._warning_label()
        # Listing or stopping failed (the registry, a process): shown until
        # a list succeeds (listing errors) or the user starts or stops one.
        self.error_label = self._warning_label()
        self._error_from_list = False

        # Plain text: stderr tails contain '<' and '&'.
        self.detail_view = QPlainTextEdit(self)
        self.detail_view.setReadOnly(True)
        self.detail_view.setMaximumHeight(140)
        self.detail_view.hide()

        self.empty_label = QLabel(
            _("No TensorBoard is running. Select a log directory or run "
              "and use <i>Open in TensorBoard</i>; servers started with "
              "<tt>python -m spyder_tblogs tensorboard start</tt> show here "
              "too."), self)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignCenter)

        self.web_container = QWidget(self)
        self._web_layout = QVBoxLayout(self.web_container)
        self._web_layout.setContentsMargins(0, 0, 0, 0)
        self.web_container.hide()

        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.host_warning)
        top_layout.addWidget(self.error_label)
        top_layout.addWidget(self.empty_label)
        top_layout.addWidget(self.list)
        top_layout.addWidget(self.detail_view)
        self.splitter = QSplitter(Qt.Vertical, self)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.web_container)
        self.splitter.setStretchFactor(1, 4)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self._update_empty()

    # ---- Public API
    @property
    def entries(self) -> dict:
        """The rows shown, by key."""
        return self.table.rows()

    def entry(self, logdir: str) -> Optional[InstanceRow]:
        """The row of ``logdir``, if any."""
        return self.table.row(logdir)

    def item(self, logdir: str) -> Optional[QTreeWidgetItem]:
        """The list item showing ``logdir``'s row, if any."""
        return self._items.get(self.table.key(logdir)) if logdir else None

    def render(self, changed=()):
        """Show the table as it is; select ``changed`` rows that ended in
        an error, so the failure is visible, not a tooltip away."""
        rows = self.table.rows()
        for key in set(self._items) - set(rows):
            item = self._items.pop(key)
            self.list.takeTopLevelItem(self.list.indexOfTopLevelItem(item))
        for key, row in rows.items():
            item = self._items.get(key)
            if item is None:
                item = self._items[key] = QTreeWidgetItem(self.list)
                self._add_buttons(key, item)
            self._render_row(row, item)
            if row.state.ended and any(row is other for other in changed):
                self.list.setCurrentItem(item)
        self._show_current_detail()
        self._update_host_warning()
        self._update_empty()

    def show_error(self, message: str, from_list: bool) -> bool:
        """Show ``message`` above the list; whether it is new there.

        ``from_list``: listing or polling failed, so the next successful
        list clears it.
        """
        changed = self.error_label.isHidden() or \
            self.error_label.text() != message
        self._error_from_list = from_list
        self.error_label.setText(message)
        self.error_label.show()
        return changed

    def clear_error(self, only_from_list=False):
        """Hide the error: the user acts again, or (``only_from_list``) a
        list succeeded, so a listing error no longer holds."""
        if self._error_from_list or not only_from_list:
            self._error_from_list = False
            self.error_label.clear()
            self.error_label.hide()

    def error_text(self) -> str:
        """The error shown above the list ('' if none)."""
        return "" if self.error_label.isHidden() else self.error_label.text()

    def detail_text(self) -> str:
        """Message shown below the list for the current row ('' if none)."""
        if self.detail_view.isHidden():
            return ""
        return self.detail_view.toPlainText()

    def web_engine_available(self) -> bool:
        """Whether an embedded web view can be used."""
        if not self._web_view_checked:
            self._web_view_checked = True
            self._web_view_class = _web_engine_view_class()
        return self._web_view_class is not None

    def show_url(self, url: str) -> bool:
        """Show ``url`` in the embedded view; False if there is none."""
        if not self.web_engine_available():
            return False
        if self.web_view is None:
            self.web_view = self._web_view_class(self.web_container)
            self._web_layout.addWidget(self.web_view)
        self.web_container.show()
        self.web_view.setUrl(QUrl(url))
        return True

    def current_url(self) -> str:
        """URL shown in the embedded view ('' if none)."""
        if self.web_view is None or not self.web_container.isVisible():
            return ""
        return self.web_view.url().toString()

    def hide_url(self, url: str):
        """Blank the embedded view if it shows ``url`` (instance stopped)."""
        if self.web_view is not None and url and \
                self.web_view.url().toString().startswith(url):
            self.web_view.setHtml(
                "<p>" + _("This TensorBoard instance stopped.") + "</p>")

    def close_web_view(self):
        """Release the web view now (Spyder is closing).

        Not later: with no event loop left to delete it, its page outlives
        QtWebEngine's profile at exit, which crashes the process.
        """
        if self.web_view is None:
            return
        view, self.web_view = self.web_view, None
        view.setParent(None)
        try:
            from qtpy import sip     # PyQt: delete the C++ object at once
        except ImportError:
            view.deleteLater()
        else:
            sip.delete(view)

    # ---- Private
    def _warning_label(self) -> QLabel:
        """A hidden line of selectable plain text in the error colour."""
        label = QLabel(self)
        label.setWordWrap(True)
        label.setTextFormat(Qt.PlainText)
        label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        label.setStyleSheet(f"color: {SpyderPalette.COLOR_ERROR_1};")
        label.hide()
        return label

    def _render_row(self, row: InstanceRow, item: QTreeWidgetItem):
        item.setText(Column.LogDir, row.logdir)
        warning = host_security_warning(row.host)
        item.setToolTip(Column.LogDir, row.logdir + (
            "\n\n" + warning if warning else ""))
        state_text = STATE_TEXT[row.state]
        item.setText(Column.State, state_text)
        item.setToolTip(Column.State, row.detail or state_text)
        item.setIcon(Column.State, ima.icon(STATE_ICON[row.state]))
        self._show_tensorflow(row, item)
        item.setText(Column.URL, row.url)
        listening = getattr(row.instance, "listening", ())
        item.setToolTip(Column.URL, row.url + (
            "\n" + _("Listening on {}").format(", ".join(listening))
            if listening else ""))

    def _add_buttons(self, key, item):
        container = QWidget(self.list)
        layout = QHBoxLayout(container)
        layout.setContentsMargins(0, 0, 0, 0)

        def open_in_browser():
            row = self.table.rows().get(key)
            if row is not None and row.url:
                self.sig_open_in_browser_requested.emit(row.url)

        def stop():
            row = self.table.rows().get(key)
            if row is not None:
                self.sig_stop_requested.emit(row.logdir)

        for icon, tip, handler in (
                ("browse_tab", _("Open in browser"), open_in_browser),
                ("stop", _("Stop this TensorBoard"), stop)):
            button = QToolButton(container)
            button.setIcon(ima.icon(icon))
            button.setToolTip(tip)
            button.setAutoRaise(True)
            button.clicked.connect(handler)
            layout.addWidget(button)
        layout.addStretch()
        self.list.setItemWidget(item, Column.Buttons, container)

    def _on_double_click(self, item, column):
        row = self._row_of(item)
        if row is not None and row.state == InstanceState.RUNNING:
            self.sig_show_requested.emit(row.logdir)

    def _show_tensorflow(self, row, item):
        use = getattr(row.instance, "tensorflow", None)
        if use is None:     # not started yet, or failed
            item.setText(Column.TensorFlow, "")
            item.setToolTip(Column.TensorFlow, "")
            return
        item.setText(Column.TensorFlow, TENSORFLOW_TEXT.get(use, "?"))
        item.setToolTip(Column.TensorFlow, TENSORFLOW_TIP.get(use, ""))

    def _row_of(self, item) -> Optional[InstanceRow]:
        for key, shown in self._items.items():
            if shown is item:
                return self.table.rows().get(key)
        return None

    def _show_current_detail(self, *args):
        row = self._row_of(self.list.currentItem())
        text = row.detail if row is not None and row.state.ended else ""
        self.detail_view.setPlainText(text)
        self.detail_view.setVisible(bool(text))

    def _update_host_warning(self):
        warnings_shown = []
        for row in self.table:
            warning = host_security_warning(row.host) \
                if row.state.serving else ""
            if warning and warning not in warnings_shown:
                warnings_shown.append(warning)
        self.host_warning.setText("\n".join(warnings_shown))
        self.host_warning.setVisible(bool(warnings_shown))

    def _update_empty(self):
        empty = not len(self.table)
        self.empty_label.setVisible(empty)
        self.list.setVisible(not empty)
