""""Open in TensorBoard" in the context menus of Spyder's Files and Projects.

Spyder 6 has no public hook for other plugins to extend those menus. Both
panes use a ``DirView`` tree widget (``get_widget().treewidget``) whose
context menu is registered as ``DirViewMenus.Context`` with an
``DirViewContextMenuSections.Extras`` section; we add our action there. Every
step is guarded: if a future Spyder renames any of it, the item is simply not
added (and the failure is logged) instead of breaking the plugin.
"""

from __future__ import annotations

import logging
import os
from typing import Callable, Optional

logger = logging.getLogger(__name__)


def _dirview_ids():
    """``(context menu id, extras section id)`` or None if Spyder changed."""
    try:
        from spyder.plugins.explorer.widgets.explorer import (
            DirViewContextMenuSections, DirViewMenus)
        return DirViewMenus.Context, DirViewContextMenuSections.Extras
    except Exception:
        logger.info("Spyder's DirView menu ids are gone", exc_info=True)
        return None


def tree_widget_of(plugin) -> Optional[object]:
    """The DirView tree widget of the Files or Projects plugin."""
    try:
        return plugin.get_widget().treewidget
    except Exception:
        return None


def context_menu_of(tree_widget):
    """The context menu of a DirView, or None."""
    ids = _dirview_ids()
    if ids is None or tree_widget is None:
        return None
    menu = None
    try:
        menu = tree_widget.get_menu(ids[0])
    except Exception:
        menu = getattr(tree_widget, "context_menu", None)
    return menu


class ExplorerMenuHook:
    """Add one action to a DirView's context menu for selected directories.

    Parameters
    ----------
    tree_widget : DirView
        Files' or Projects' tree widget.
    action : SpyderAction
        The action to add; it is shown only when exactly one directory is
        selected. Its ``triggered`` must call :meth:`trigger`, which calls
        ``callback(directory)``.
    callback : callable
        Called with the selected directory.
    """

    def __init__(self, tree_widget, action, callback: Callable[[str], None]):
        self.tree_widget = tree_widget
        self.action = action
        self.callback = callback
        self.menu = None
        self.installed = False
        self._directory = None

    def install(self) -> bool:
        """Add the action; False (and nothing changed) if it cannot be."""
        ids = _dirview_ids()
        menu = context_menu_of(self.tree_widget)
        if ids is None or menu is None:
            return False
        try:
            menu.add_action(self.action, section=ids[1])
            menu.aboutToShow.connect(self._update)
        except Exception:
            logger.warning("Cannot extend the %s context menu",
                           type(self.tree_widget).__name__, exc_info=True)
            return False
        self.menu = menu
        self.installed = True
        return True

    def uninstall(self):
        """Remove the action again (plugin teardown)."""
        if not self.installed:
            return
        try:
            self.menu.aboutToShow.disconnect(self._update)
        except Exception:
            pass
        try:
            self.menu.remove_action(self.action.action_id)
        except Exception:
            pass
        self.installed = False

    def selected_directory(self) -> Optional[str]:
        """The single selected directory of the tree widget, if any."""
        try:
            names = self.tree_widget.get_selected_filenames()
        except Exception:
            return None
        names = [name for name in names if name]
        if len(names) != 1 or not os.path.isdir(names[0]):
            return None
        return os.path.abspath(names[0])

    def _update(self):
        self._directory = self.selected_directory()
        self.action.setVisible(self._directory is not None)

    def trigger(self):
        """Open the selected directory (the action's ``triggered``)."""
        directory = self._directory or self.selected_directory()
        if directory:
            self.callback(directory)
