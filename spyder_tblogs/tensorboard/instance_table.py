"""The pane's TensorBoard instances and their states (Qt-free).

:class:`InstanceTable` is the one place an instance's state changes: the
pane's controller calls a method per event (a start asked for, a server
serving, a start failing, a stop asked for, a process gone, a registry
listing) and the table applies the transition, refusing those that make no
sense (a late "exited" for an instance being stopped, say). The *TensorBoard*
tab only renders the rows it is given.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, Iterator, List, Optional

from spyder_tblogs.logs.paths import path_key

__all__ = ["InstanceState", "InstanceRow", "InstanceTable"]


class InstanceState(enum.Enum):
    """What the pane shows for one of its TensorBoard instances."""

    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    FAILED = "failed"
    EXITED = "exited"

    @property
    def serving(self) -> bool:
        """Whether the instance serves, or is about to."""
        return self in (InstanceState.STARTING, InstanceState.RUNNING)

    @property
    def ended(self) -> bool:
        """Whether it ended without being asked to (shown as an error)."""
        return self in (InstanceState.FAILED, InstanceState.EXITED)


# From each state, the states an event may move a row to. A row that does
# not exist yet may only start, or be adopted running from a listing.
_NEW = None
TRANSITIONS = {
    _NEW: {InstanceState.STARTING, InstanceState.RUNNING,
           InstanceState.FAILED},
    InstanceState.STARTING: {InstanceState.RUNNING, InstanceState.FAILED,
                             InstanceState.STOPPING, InstanceState.EXITED},
    InstanceState.RUNNING: {InstanceState.RUNNING, InstanceState.STOPPING,
                            InstanceState.EXITED},
    # A stop that failed leaves the server running; a start asked for
    # meanwhile is queued behind the stop; a start that completes first
    # stays stopping.
    InstanceState.STOPPING: {InstanceState.RUNNING, InstanceState.STARTING,
                             InstanceState.STOPPING},
    InstanceState.FAILED: {InstanceState.STARTING, InstanceState.RUNNING,
                           InstanceState.FAILED, InstanceState.STOPPING},
    # The manager's exit report (code, stderr) may follow a listing that
    # already missed the process: it refines the message.
    InstanceState.EXITED: {InstanceState.STARTING, InstanceState.RUNNING,
                           InstanceState.FAILED, InstanceState.STOPPING,
                           InstanceState.EXITED},
}


@dataclass
class InstanceRow:
    """One instance of the pane, by the directory it serves."""

    logdir: str
    state: InstanceState
    url: str = ""
    pid: Optional[int] = None
    detail: str = ""          # error message and stderr tail
    instance: object = None   # TensorBoardInstance, once serving
    host: str = ""            # address it binds (configured, then actual)


class InstanceTable:
    """Rows by directory; every state change goes through a method here.

    Each event method returns the row it changed, or None when the event
    does not apply (no such row, or a transition the state does not allow).

    Parameters
    ----------
    key : callable
        Turns a directory into the key that identifies it.
    """

    def __init__(self, key: Callable[[str], str] = path_key):
        self._key = key
        self._rows: Dict[str, InstanceRow] = {}
        # The manager reports directories resolved (symlinks followed):
        # those spellings must find the row too.
        self._aliases: Dict[str, str] = {}

    # ---- Reading
    def row(self, logdir: Optional[str]) -> Optional[InstanceRow]:
        """The row of ``logdir``, if any."""
        return self._rows.get(self.key(logdir)) if logdir else None

    def key(self, logdir: str) -> str:
        """The key of ``logdir``'s row (an alias leads to its row's key)."""
        key = self._key(logdir)
        return self._aliases.get(key, key)

    def rows(self) -> Dict[str, InstanceRow]:
        """The rows by key (a copy)."""
        return dict(self._rows)

    def __iter__(self) -> Iterator[InstanceRow]:
        return iter(list(self._rows.values()))

    def __len__(self) -> int:
        return len(self._rows)

    def is_serving(self, logdir: Optional[str]) -> bool:
        """Whether an instance for ``logdir`` runs or is starting."""
        row = self.row(logdir)
        return row is not None and row.state.serving

    # ---- Events
    def start_requested(self, logdir: str, host: str) -> Optional[InstanceRow]:
        """A start was asked for: STARTING, about to bind ``host``."""
        return self._move(logdir, InstanceState.STARTING, host=host,
                          detail="")

    def started(self, logdir: str, instance,
                detail: str = "") -> Optional[InstanceRow]:
        """The server for ``logdir`` serves (``instance``); a row being
        stopped meanwhile stays stopping."""
        row = self.row(logdir)
        stopping = row is not None and row.state == InstanceState.STOPPING
        return self._move(logdir, InstanceState.STOPPING if stopping
                          else InstanceState.RUNNING, instance=instance,
                          detail=detail)

    def start_failed(self, logdir: str, detail: str) -> Optional[InstanceRow]:
        """Starting failed, or could not even be asked for."""
        return self._move(logdir, InstanceState.FAILED, detail=detail)

    def stop_requested(self, logdir: str) -> Optional[InstanceRow]:
        """A stop was asked for (keeps the detail a failed row shows)."""
        return self._move(logdir, InstanceState.STOPPING)

    def stop_failed(self, logdir: str) -> Optional[InstanceRow]:
        """Stopping failed: still serving as far as anyone knows."""
        row = self.row(logdir)
        if row is None or row.state != InstanceState.STOPPING:
            return None
        return self._move(logdir, InstanceState.RUNNING)

    def stopped(self, logdir: str) -> Optional[InstanceRow]:
        """The server was stopped: its row goes, unless a new start was
        asked for since."""
        key = self.key(logdir)
        row = self._rows.get(key)
        if row is None or row.state == InstanceState.STARTING:
            return None
        del self._rows[key]
        if row is not None:
            self._aliases = {alias: target for alias, target
                             in self._aliases.items() if target != key}
        return row

    def exited(self, logdir: str, detail: str) -> Optional[InstanceRow]:
        """The server died without being asked to."""
        return self._move(logdir, InstanceState.EXITED, detail=detail,
                          create=False)

    def listed(self, instances: Iterable,
               gone_detail: str) -> List[InstanceRow]:
        """The registry lists ``instances``: adopt the running ones, mark
        running rows whose process is not among them EXITED
        (``gone_detail``). Rows starting or stopping are left to their own
        events. Return the changed rows."""
        changed, live_pids = [], set()
        for instance in instances:
            live_pids.add(instance.pid)
            row = self.row(instance.logdir)
            if row is not None and row.state in (InstanceState.STARTING,
                                                 InstanceState.STOPPING):
                continue
            moved = self._move(instance.logdir, InstanceState.RUNNING,
                               instance=instance, detail="")
            if moved is not None:
                changed.append(moved)
        for row in self:
            if row.state == InstanceState.RUNNING and \
                    row.pid not in live_pids:
                changed.append(self._move(row.logdir, InstanceState.EXITED,
                                          detail=gone_detail))
        return changed

    # ---- The one place a state changes
    def _move(self, logdir, state, *, instance=None, host=None, detail=None,
              create=True) -> Optional[InstanceRow]:
        key = self.key(logdir)
        row = self._rows.get(key)
        if row is None and not create:
            return None
        if state not in TRANSITIONS[row.state if row else _NEW]:
            return None
        if row is None:
            row = self._rows[key] = InstanceRow(logdir, state)
        row.state = state
        if host is not None:
            row.host = host
        if detail is not None:
            row.detail = detail
        if instance is not None:
            self._aliases[self._key(instance.logdir)] = key
            row.instance = instance
            row.url = instance.url or row.url
            row.pid = instance.pid
            row.host = getattr(instance, "host", "") or row.host
        return row
