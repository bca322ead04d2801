"""What the pane's item models share: their items are shown, never edited."""

from qtpy.QtCore import Qt


class ReadOnlyItemsMixin:
    """``flags()`` of a model whose items can be selected but not edited.

    List it before the ``QAbstractItemModel`` class, so that its ``flags``
    is the one Qt calls.
    """

    def flags(self, index):
        if not index.isValid():
            return Qt.NoItemFlags
        return Qt.ItemIsEnabled | Qt.ItemIsSelectable
