"""The states of an IPython console, as the pane tells them (Qt-free).

The Spyder floor's console tracker decides the state from Spyder's own
flags; the flush hint and the pane's labels read it.
"""

import enum


class ConsoleState(enum.Enum):
    """State of a console's kernel, read without asking the kernel."""

    NONE = "none"               # no console, or a failed kernel
    STARTING = "starting"
    IDLE = "idle"
    RUNNING = "running"         # executing code, a debugger step included
    DEBUGGING = "debugging"     # paused at the debugger prompt

    @property
    def busy(self) -> bool:
        """Whether a cell is under way (running or paused in it)."""
        return self in (ConsoleState.RUNNING, ConsoleState.DEBUGGING)

    @property
    def label(self) -> str:
        """Words for the pane's console line and column."""
        return _LABELS[self]


_LABELS = {
    ConsoleState.NONE: "no console",
    ConsoleState.STARTING: "starting",
    ConsoleState.IDLE: "idle",
    ConsoleState.RUNNING: "running",
    ConsoleState.DEBUGGING: "paused in debugger",
}
