"""Public constants of the TensorBoard Logs plugin (action, menu and section ids).

Other plugins and extensions (for instance the console-following features)
refer to the pane's actions and menus through these ids, the way Spyder's own
plugins expose theirs in ``api.py``.
"""


class TBLogsActions:
    """Ids of the pane's actions."""

    OpenInTensorBoard = "tblogs_open_in_tensorboard"
    StopTensorBoard = "tblogs_stop_tensorboard"
    OpenInBrowser = "tblogs_open_in_browser"
    CopyPath = "tblogs_copy_path"
    ShowInFiles = "tblogs_show_in_files"
    AddLogDirectory = "tblogs_add_log_directory"
    AddRemoteLogDirectory = "tblogs_add_remote_log_directory"
    HideLogDirectory = "tblogs_hide_log_directory"
    ShowHiddenLogDirectories = "tblogs_show_hidden_log_directories"
    Refresh = "tblogs_refresh"
    # Checkable: select the run the current console's kernel starts writing.
    FollowConsole = "tblogs_follow_console"
    # Every scalar point of the current run, folder or root, long format.
    ExportScalarsCsv = "tblogs_export_scalars_csv"
    ExportScalarsParquet = "tblogs_export_scalars_parquet"
    ShowRunsTable = "tblogs_show_runs_table"


class TBLogsExplorerActions:
    """Ids of the items added to the Files and Projects context menus."""

    FilesOpenInTensorBoard = "tblogs_files_open_in_tensorboard"
    ProjectsOpenInTensorBoard = "tblogs_projects_open_in_tensorboard"


class TBLogsMenus:
    """Ids of the pane's menus."""

    Context = "tblogs_context_menu"


class TBLogsToolbarSections:
    """Sections of the pane's main toolbar."""

    TensorBoard = "tblogs_tensorboard_section"
    Directories = "tblogs_directories_section"
    Console = "tblogs_console_section"


class TBLogsContextMenuSections:
    """Sections of the pane's context menu."""

    TensorBoard = "tblogs_tensorboard_section"
    Path = "tblogs_path_section"
    Export = "tblogs_export_section"
    Directories = "tblogs_directories_section"


class InterpreterMode:
    """Values of the ``interpreter_mode`` option."""

    Automatic = "automatic"
    Spyder = "spyder"
    Console = "console"
    Custom = "custom"


class OpenTarget:
    """Values of the ``open_in`` option."""

    Pane = "pane"
    Browser = "browser"
    # Only start the instance; it is listed in the TensorBoard tab.
    Nothing = "none"
