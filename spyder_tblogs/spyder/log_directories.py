"""Log directories the user added or hid, per project (or working directory).

Kept in the ``log_directories`` option as ``{directory key: {"added": [...],
"hidden": [...]}}``.
"""

from __future__ import annotations

from typing import Optional

from spyder.api.config.mixins import SpyderConfigurationAccessor

from spyder_tblogs.spyder.config import CONF_SECTION
from spyder_tblogs.logs.paths import absolute_logdir, path_key

OPTION = "log_directories"


class LogDirectorySettings(SpyderConfigurationAccessor):
    """The added and hidden log directories, per context directory.

    ``context`` is the directory (project or working directory) whose logs
    the pane shows, or None.
    """

    CONF_SECTION = CONF_SECTION

    # ---- Reading
    def added(self, context: Optional[str]) -> tuple:
        """Directories shown besides those found."""
        return tuple(self._settings(context).get("added", ()))

    def hidden(self, context: Optional[str]) -> tuple:
        """Directories not shown although found."""
        return tuple(self._settings(context).get("hidden", ()))

    # ---- Changing
    def add(self, context: Optional[str], directory: str) -> None:
        """Show ``directory`` (and stop hiding it)."""
        directory = absolute_logdir(directory)
        key = path_key(directory)
        added = list(self.added(context))
        if all(path_key(path) != key for path in added):
            added.append(directory)
        self._save(context, added, [path for path in self.hidden(context)
                                    if path_key(path) != key])

    def hide(self, context: Optional[str], directory: str,
             found: bool) -> None:
        """Stop showing ``directory``; ``found`` when discovery finds it
        (then it must be hidden, not only left out of the added ones)."""
        key = path_key(directory)
        hidden = list(self.hidden(context))
        if found and all(path_key(path) != key for path in hidden):
            hidden.append(directory)
        self._save(context, [path for path in self.added(context)
                             if path_key(path) != key], hidden)

    def show_hidden(self, context: Optional[str]) -> None:
        """Forget the hidden directories."""
        self._save(context, list(self.added(context)), [])

    # ---- Private
    def _settings(self, context) -> dict:
        all_settings = self.get_conf(OPTION) or {}
        if not isinstance(all_settings, dict):
            return {}
        settings = all_settings.get(_key(context), {})
        return settings if isinstance(settings, dict) else {}

    def _save(self, context, added, hidden) -> None:
        all_settings = dict(self.get_conf(OPTION) or {})
        all_settings[_key(context)] = {"added": list(added),
                                       "hidden": list(hidden)}
        self.set_conf(OPTION, all_settings)


def _key(context) -> str:
    return path_key(context) if context else ""
