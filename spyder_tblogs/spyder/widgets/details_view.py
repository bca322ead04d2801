"""The *Details* tab: what is known about the current row, in full."""

from __future__ import annotations

from qtpy.QtWidgets import QTextBrowser

from spyder.api.translations import _

from spyder_tblogs.spyder.details_html import node_html


class DetailsView(QTextBrowser):
    """Tags, files and diagnostics of one node, re-rendered only when the
    node or what it holds changed (a refresh keeps the scroll position)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setOpenExternalLinks(False)
        self.setPlaceholderText(
            _("Select a log directory, run or event file to see its tags, "
              "files and diagnostics."))
        self.node = None
        self._shown = None

    def show_node(self, node, console_html="", force=False):
        """Show ``node`` (None: nothing), below ``console_html``."""
        shown = None
        if node is not None:
            shown = (id(node), node.run_row, id(node.file), node.diagnostics,
                     node.run_count, node.message, len(node.children))
        if not force and node is self.node and shown == self._shown:
            return
        self.node, self._shown = node, shown
        scroll = self.verticalScrollBar().value()
        self.setHtml(console_html + node_html(node))
        if node is not None and not force:
            self.verticalScrollBar().setValue(scroll)
