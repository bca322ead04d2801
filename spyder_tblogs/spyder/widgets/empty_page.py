"""What the pane shows instead of the tree when there are no logs to show.

Spyder's own empty-pane support (``PluginMainWidget.SHOW_MESSAGE_WHEN_EMPTY``)
shows one fixed message; this page says why the pane is empty (no project,
still looking, nothing found under the project or the working directory)
and offers the one action that always helps.
"""

import html
from typing import Optional

from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, \
    QWidget

from spyder.api.translations import _

NO_LOGS = _(
    "No TensorBoard logs in this project yet — write to <tt>logs/</tt> with "
    "<tt>tf.summary</tt> or <tt>torch.utils.tensorboard</tt>, or add a log "
    "directory.")
NO_LOGS_WORKDIR = _(
    "No TensorBoard logs in the working directory <tt>{}</tt> — open a "
    "project, change the console's working directory, or add a log "
    "directory.")
NO_DIRECTORY = _(
    "Open a project or set a working directory to see its TensorBoard logs, "
    "or add a log directory.")
SEARCHING = _("Looking for TensorBoard logs in <tt>{}</tt>…")


class EmptyLogsPage(QWidget):
    """A centred message and an *Add log directory…* button."""

    sig_add_directory_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignCenter)
        self.label.setTextFormat(Qt.RichText)
        self.add_button = QPushButton(_("Add log directory…"), self)
        self.add_button.clicked.connect(self.sig_add_directory_requested)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.label)
        button_row = QHBoxLayout()
        button_row.addStretch(1)
        button_row.addWidget(self.add_button)
        button_row.addStretch(1)
        layout.addLayout(button_row)
        layout.addStretch(2)

    def show_searching(self, where: str) -> None:
        """Say the pane is looking in ``where`` (nowhere: why it cannot)."""
        self.label.setText(SEARCHING.format(html.escape(where)) if where
                           else NO_DIRECTORY)

    def show_reason(self, directory: Optional[str], is_project=False,
                    problem="") -> None:
        """Say why ``directory`` shows no logs (``problem``, when known)."""
        if problem:
            text = html.escape(problem)
        elif directory is None:
            text = NO_DIRECTORY
        elif not is_project:
            text = NO_LOGS_WORKDIR.format(html.escape(directory))
        else:
            text = NO_LOGS
        self.label.setText(text)
