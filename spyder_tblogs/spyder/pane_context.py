"""What the pane shows: the project's logs, else the console's directory's.

:class:`PaneContext` holds the project and the working directory Spyder
reported, the log directories the user added or hid per project
(:class:`~spyder_tblogs.spyder.log_directories.LogDirectorySettings`), and
sends the resulting context to the index. Changes come in bursts (opening a
project also changes the working directory): they are coalesced.
"""

from __future__ import annotations

from typing import Optional

from qtpy.QtCore import QObject, QTimer, Signal, Slot

from spyder_tblogs.spyder.log_directories import LogDirectorySettings

# How long a burst of context changes is coalesced.
CONTEXT_DELAY_MS = 150


class PaneContext(QObject):
    """The directory whose logs the pane shows, and its added and hidden
    log directories.

    Parameters
    ----------
    index : IndexController
        Where the context is sent.
    console : ConsoleFollowController
        Gives the console's working directory (a root of its own when it
        lies outside the project).
    """

    sig_requested = Signal(object)
    """The index was asked for a context: ``(directory or added roots)``,
    what the pane is now looking in ('' if nothing)."""

    def __init__(self, index, console, parent=None):
        super().__init__(parent)
        self.index = index
        self.console = console
        self.directories = LogDirectorySettings()
        self.project_path: Optional[str] = None
        self.working_directory: Optional[str] = None
        self._closed = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(CONTEXT_DELAY_MS)
        self._timer.timeout.connect(self.update)

    @property
    def directory(self) -> Optional[str]:
        """The project, or without one the console's working directory."""
        return self.project_path or self.working_directory

    def set_project(self, path: Optional[str]) -> None:
        """Show the project at ``path`` (None: no project)."""
        self.project_path = path or None
        self.update_soon()

    def set_working_directory(self, path: Optional[str]) -> None:
        """The console's working directory (shown when there is no
        project)."""
        if path == self.working_directory:
            return
        self.working_directory = path
        if self.project_path is None:
            self.update_soon()

    def update_soon(self) -> None:
        """Send the context once the current burst of changes is over."""
        if not self._closed:
            self._timer.start()

    @Slot()
    def update(self) -> None:
        """Send the context to the index now."""
        if self._closed:
            return
        directory = self.directory
        added = self.directories.added(directory)
        self.index.request(
            directory, is_project=self.project_path is not None,
            added=added, hidden=self.directories.hidden(directory),
            console_cwd=self.console.cwd)
        self.sig_requested.emit(directory or ", ".join(added))

    # ---- Added and hidden log directories
    def add(self, log_directory: str) -> None:
        """Show ``log_directory`` (a path or URL) for this project."""
        self.directories.add(self.directory, log_directory)
        self.update()

    def hide(self, root: str, found: bool) -> None:
        """Stop showing the log root ``root`` for this project; ``found``:
        discovered (not added), so it must be remembered as hidden."""
        self.directories.hide(self.directory, root, found=found)
        self.update()

    def show_hidden(self) -> None:
        """Forget the hidden roots of this project."""
        self.directories.show_hidden(self.directory)
        self.update()

    def has_hidden(self) -> bool:
        """Whether this project hides any log root."""
        return bool(self.directories.hidden(self.directory))

    def close(self) -> None:
        """Send nothing more."""
        self._closed = True
        self._timer.stop()
