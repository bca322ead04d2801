"""The pane's actions and where they show: toolbar, options and context menu.

:func:`add_pane_actions` makes them the main widget's attributes (for
instance ``open_action``), as Spyder's own panes keep theirs; what they do
is the widget's and its controllers' business.
"""

from spyder.api.translations import _

from spyder_tblogs.spyder.api import (
    OpenTarget, TBLogsActions, TBLogsContextMenuSections, TBLogsMenus,
    TBLogsToolbarSections)

# Per action: the widget attribute, its id, text, icon, tooltip, and what it
# does given the widget.
_ACTIONS = (
    ("open_action", TBLogsActions.OpenInTensorBoard,
     _("Open in TensorBoard"), "plot",
     _("Serve the selected log directory or run with TensorBoard and show "
       "it"),
     lambda pane: pane.open_in_tensorboard(pane.target_logdir())),
    ("stop_action", TBLogsActions.StopTensorBoard, _("Stop TensorBoard"),
     "stop", _("Stop the TensorBoard serving the selection"),
     lambda pane: pane.stop_tensorboard(pane.target_logdir())),
    ("browser_action", TBLogsActions.OpenInBrowser, _("Open in browser"),
     "browse_tab",
     _("Open TensorBoard for the selection in the system browser"),
     lambda pane: pane.open_in_tensorboard(pane.target_logdir(),
                                           OpenTarget.Browser)),
    ("copy_path_action", TBLogsActions.CopyPath, _("Copy path"), "editcopy",
     None, lambda pane: pane.tree.copy_path()),
    ("show_in_files_action", TBLogsActions.ShowInFiles, _("Show in Files"),
     "files", None, lambda pane: pane.tree.show_in_files()),
    ("add_directory_action", TBLogsActions.AddLogDirectory,
     _("Add log directory…"), "folder_new",
     _("Show another log directory for this project"),
     lambda pane: pane.add_log_directory()),
    ("add_remote_action", TBLogsActions.AddRemoteLogDirectory,
     _("Add remote log directory (URL)…"), "remote_server",
     _("Show a log directory in object storage (s3://bucket/prefix)"),
     lambda pane: pane.add_remote_log_directory()),
    ("hide_directory_action", TBLogsActions.HideLogDirectory,
     _("Hide log directory"), "hide",
     _("Stop showing the selected log directory for this project"),
     lambda pane: pane.hide_log_directory()),
    ("show_hidden_action", TBLogsActions.ShowHiddenLogDirectories,
     _("Show hidden log directories again"), None, None,
     lambda pane: pane.context.show_hidden()),
    ("refresh_action", TBLogsActions.Refresh, _("Refresh"), "refresh",
     _("Look for log directories again and re-read the logs"),
     lambda pane: pane.refresh()),
)

# Where each shows, by attribute: (section, actions) per place.
_TOOLBAR = (
    (TBLogsToolbarSections.TensorBoard,
     ("open_action", "stop_action", "browser_action")),
    (TBLogsToolbarSections.Directories,
     ("add_directory_action", "refresh_action")),
    (TBLogsToolbarSections.Console, ("follow_action",)),
)
_OPTIONS_MENU = ("add_directory_action", "add_remote_action",
                 "show_hidden_action", "refresh_action")
_CONTEXT_MENU = (
    (TBLogsContextMenuSections.TensorBoard,
     ("open_action", "stop_action", "browser_action")),
    (TBLogsContextMenuSections.Path,
     ("copy_path_action", "show_in_files_action")),
    (TBLogsContextMenuSections.Directories,
     ("add_directory_action", "add_remote_action", "hide_directory_action",
      "refresh_action")),
)


def _on(pane, does):
    # No parameter: Qt then calls it without the action's "checked" flag.
    return lambda: does(pane)


def add_pane_actions(pane):
    """Create the actions of ``pane`` (a ``TBLogsWidget``), its context menu
    (``pane.context_menu``), and fill its toolbar and options menu."""
    for attribute, name, text, icon, tip, does in _ACTIONS:
        setattr(pane, attribute, pane.create_action(
            name, text=text, tip=tip,
            triggered=_on(pane, does),
            icon=pane.create_icon(icon) if icon else None))
    pane.follow_action = pane.create_action(
        TBLogsActions.FollowConsole, text=_("Follow console"),
        tip=_("Select the run the current console's kernel writes, "
              "whenever it creates a new event file"),
        icon=pane.create_icon("ipython_console"),
        toggled=pane.set_follow_console, initial=False)

    toolbar = pane.get_main_toolbar()
    for section, attributes in _TOOLBAR:
        for attribute in attributes:
            pane.add_item_to_toolbar(getattr(pane, attribute),
                                     toolbar=toolbar, section=section)
    for attribute in _OPTIONS_MENU:
        pane.add_item_to_menu(getattr(pane, attribute),
                              menu=pane.get_options_menu())
    pane.context_menu = pane.create_menu(TBLogsMenus.Context)
    for section, attributes in _CONTEXT_MENU:
        for attribute in attributes:
            pane.add_item_to_menu(getattr(pane, attribute),
                                  menu=pane.context_menu, section=section)
