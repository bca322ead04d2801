""""Open in TensorBoard" in the context menus of Spyder's Files and Projects.

Spyder 6 has no public hook for other plugins to extend those menus. Both
panes use a ``DirView`` tree widget (``get_widget().treewidget``) whose
context menu is registered as ``DirViewMenus.Context`` with a
``DirViewContextMenuSections.Extras`` section (ids from
``spyder.plugins.explorer.api``); the action goes there.
"""

from __future__ import annotations

import os
from typing import Callable, Optional

from spyder.plugins.explorer.api import (
    DirViewContextMenuSections, DirViewMenus)


def tree_widget_of(plugin):
    """The DirView tree widget of the Files or Projects plugin."""
    return plugin.get_widget().treewidget


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
        self.tree_widget, self.action, self.callback = (
            tree_widget, action, callback)
        # Set by install(): the hooked menu; by a right click: its directory.
        self.menu = self._directory = None
        self.installed = False

    def install(self) -> bool:
        """Add the action; False (and nothing changed) if the tree widget
        has no context menu (yet)."""
        try:
            menu = self.tree_widget.get_menu(DirViewMenus.Context)
        except KeyError:    # not registered: the widget was not set up
            return False
        menu.add_action(self.action,
                        section=DirViewContextMenuSections.Extras)
        menu.aboutToShow.connect(self._update)
        self.menu = menu
        self.installed = True
        return True

    def uninstall(self):
        """Remove the action again (plugin teardown)."""
        if not self.installed:
            return
        self.menu.aboutToShow.disconnect(self._update)
        self.menu.remove_action(self.action.action_id)
        self.installed = False

    def selected_directory(self) -> Optional[str]:
        """The single selected directory of the tree widget, if any."""
        names = [name for name in self.tree_widget.get_selected_filenames()
                 if name]
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
