"""Log directories the user added or hid, per project (or working directory).

Kept in the ``log_directories`` option as ``{directory key: {"added": [...],
"hidden": [...]}}``.
"""

from __future__ import annotations

import os
from typing import Callable, Optional

from spyder.api.config.mixins import SpyderConfigurationAccessor

from spyder_tblogs.spyder.config import CONF_SECTION
from spyder_tblogs.spyder.paths import path_key

OPTION = "log_directories"


class LogDirectorySettings(SpyderConfigurationAccessor):
    """The added and hidden log directories of the pane's context directory.

    Parameters
    ----------
    context_directory : callable
        Returns the directory (project or working directory) whose logs
        the pane shows, or None.
    """

    CONF_SECTION = CONF_SECTION

    def __init__(self, context_directory: Callable[[], Optional[str]]):
        self._context_directory = context_directory

    # ---- Reading
    def added(self) -> tuple:
        """Directories shown besides those found."""
        return tuple(self._settings().get("added", ()))

    def hidden(self) -> tuple:
        """Directories not shown although found."""
        return tuple(self._settings().get("hidden", ()))

    # ---- Changing
    def add(self, directory: str) -> None:
        """Show ``directory`` (and stop hiding it)."""
        directory = os.path.abspath(directory)
        key = path_key(directory)
        added = list(self.added())
        if all(path_key(path) != key for path in added):
            added.append(directory)
        self._save(added, [path for path in self.hidden()
                           if path_key(path) != key])

    def hide(self, directory: str, found: bool) -> None:
        """Stop showing ``directory``; ``found`` when discovery finds it
        (then it must be hidden, not only left out of the added ones)."""
        key = path_key(directory)
        hidden = list(self.hidden())
        if found and all(path_key(path) != key for path in hidden):
            hidden.append(directory)
        self._save([path for path in self.added() if path_key(path) != key],
                   hidden)

    def show_hidden(self) -> None:
        """Forget the hidden directories."""
        self._save(list(self.added()), [])

    # ---- Private
    def _key(self) -> str:
        directory = self._context_directory()
        return path_key(directory) if directory else ""

    def _settings(self) -> dict:
        all_settings = self.get_conf(OPTION) or {}
        if not isinstance(all_settings, dict):
            return {}
        settings = all_settings.get(self._key(), {})
        return settings if isinstance(settings, dict) else {}

    def _save(self, added, hidden) -> None:
        all_settings = dict(self.get_conf(OPTION) or {})
        all_settings[self._key()] = {"added": list(added),
                                     "hidden": list(hidden)}
        self.set_conf(OPTION, all_settings)
