"""The pane's side of the IPython console: whose runs, what state, follow.

:class:`ConsoleFollowController` keeps the current kernel's identity (from
the :class:`~spyder_tblogs.spyder.console.ConsoleTracker`, which never asks
the kernel), judges which shown runs that kernel writes (cached for painted
rows only), and drives *Follow console*: it asks the pane to select the run
the kernel starts writing.
"""

from __future__ import annotations

from qtpy.QtCore import QObject, Qt, Signal, Slot

from spyder.api.translations import _

from spyder_tblogs.logs.console_state import ConsoleState
from spyder_tblogs.logs.flush_hint import flush_hint
from spyder_tblogs.logs.follower import ConsoleFollower
from spyder_tblogs.logs.ownership import run_ownership
from spyder_tblogs.spyder.console import ConsoleTracker
from spyder_tblogs.spyder.details_html import console_html
from spyder_tblogs.spyder.tree_nodes import NodeKind

# Console verdicts kept for painted rows: many screens' worth. Scrolling
# through 10,000 runs must not leave 10,000 verdicts (several objects each)
# for every full garbage collection to walk.
OWNERSHIP_CACHE_SIZE = 2000

WORKDIR_ROOT_LABEL = _("Console's working directory")
WORKDIR_ROOT_TOOLTIP = _(
    "The console's working directory holds event files outside the "
    "project's log directories: relative log paths (e.g. "
    "SummaryWriter('runs/exp1')) land under the kernel's working directory, "
    "not under the project.")


class ConsoleFollowController(QObject):
    """Which runs the current console writes, and *Follow console*.

    Parameters
    ----------
    model : LogTreeModel
        The pane's tree.
    parent : QObject
    """

    sig_changed = Signal()
    """The console, its state or its kernel changed: repaint what shows it.
    """

    sig_select_requested = Signal(object)
    """*Follow console* chose this run node."""

    sig_cwd_changed = Signal(str)
    """The console's working directory changed (look for logs there)."""

    sig_code_finished = Signal()
    """Code stopped running (it may have made new log directories)."""

    def __init__(self, model, parent=None):
        super().__init__(parent)
        self.model = model
        self.tracker = ConsoleTracker(self)
        self.follower = ConsoleFollower()
        self.cwd = None
        self._kernel = None
        self._state = ConsoleState.NONE
        # Per run directory, (run row, RunOwnership), computed lazily (only
        # for painted rows) and dropped when the kernel changes.
        self._ownership = {}
        self._following = False
        self._followed_created = None
        self.tracker.sig_console_changed.connect(self._on_console_changed)
        self.tracker.sig_state_changed.connect(self._on_state_changed)
        self.tracker.sig_cwd_changed.connect(self._on_cwd_changed)

    # ---- Ownership
    def refresh_kernel(self) -> bool:
        """Re-read the current kernel's identity; True if it changed.

        Cheap and kernel-free: the tracker answers from Spyder's side. Busy
        periods grow while the kernel runs, and timing-based verdicts need
        the latest ones.
        """
        kernel = self.tracker.identity()
        if kernel == self._kernel:
            return False
        self._kernel = kernel
        self._ownership.clear()
        return True

    def label_text(self) -> str:
        """"Console 1/A · paused in debugger" ('' without a console)."""
        state = self.tracker.state
        name = self.tracker.console_name
        if state is ConsoleState.NONE and not name:
            return ""
        return f"{name or _('Console')} · {state.label}"

    def run_ownership(self, node):
        """Whether the current console writes the run of ``node``.

        Returns
        -------
        RunOwnership or None
            None for nodes without a run.
        """
        row = getattr(node, "run_row", None)
        if row is None or node.kind == NodeKind.File:
            return None
        path = node.path
        cached = self._ownership.get(path)
        if cached is not None and cached[0] is row:
            return cached[1]
        verdict = run_ownership(node.run, self._kernel)
        if len(self._ownership) >= OWNERSHIP_CACHE_SIZE:
            self._ownership.clear()
        self._ownership[path] = (row, verdict)
        return verdict

    def tooltip(self, node) -> str:
        """Why a run is the console's, and the flush hint if it applies."""
        verdict = self.run_ownership(node)
        if verdict is None or not verdict.owned:
            return ""
        hint = flush_hint(node.run, self.tracker.state)
        return verdict.reason + ("\n\n" + hint if hint else "")

    def column_data(self, node, role):
        """The tree's *Console* column."""
        if node.kind == NodeKind.Root:
            if node.origin != "workdir":
                return None
            if role == Qt.DisplayRole:
                return WORKDIR_ROOT_LABEL
            if role == Qt.ToolTipRole:
                return WORKDIR_ROOT_TOOLTIP
            return None
        if role not in (Qt.DisplayRole, Qt.ToolTipRole):
            return None
        verdict = self.run_ownership(node)
        if verdict is None or not verdict.owned:
            return None
        if role == Qt.DisplayRole:
            return self.label_text()
        return self.tooltip(node)

    def details_html(self, node) -> str:
        """The details' section on the console writing the run ('' if
        none)."""
        verdict = self.run_ownership(node) if node is not None else None
        if verdict is None or not verdict.owned:
            return ""
        return console_html(self.label_text(), verdict,
                            flush_hint(node.run, self.tracker.state))

    # ---- Follow console
    def is_following(self) -> bool:
        """Whether *Follow console* is on."""
        return self._following

    def set_following(self, follow: bool) -> None:
        """Turn *Follow console* on or off."""
        if follow == self._following:
            return
        self._following = follow
        self.follower.reset()
        if follow:
            self._start_following()

    def follow(self, root, rows) -> None:
        """Runs of ``root`` were added or changed (as ``RunInfo.row``)."""
        if not self._following or not rows:
            return
        name = self.follower.update(rows, self._kernel)
        node = self.model.find_run(root, name) if name else None
        if node is None:
            return
        # Roots report separately (a root found later reports files the
        # kernel created earlier): only a newer file moves the selection.
        created = self.run_ownership(node).newest_created
        if created is not None and self._followed_created is not None \
                and created < self._followed_created:
            return
        self._select(node)

    def _start_following(self):
        """Remember the files shown now; select the console's latest run."""
        self.refresh_kernel()
        self._followed_created = None
        best, best_created = None, None
        for root in self.model.root_nodes():
            rows = [node.run_row for node in self.model.iter_runs(root)]
            name = self.follower.start(rows, self._kernel)
            node = self.model.find_run(root.root_path, name) if name else None
            if node is None:
                continue
            created = self.run_ownership(node).newest_created or 0.0
            if best is None or created > best_created:
                best, best_created = node, created
        if best is not None:
            self._select(best)

    def _select(self, node):
        verdict = self.run_ownership(node)
        if verdict is not None and verdict.newest_created is not None:
            self._followed_created = verdict.newest_created
        self.sig_select_requested.emit(node)

    # ---- Tracker
    @Slot()
    def _on_console_changed(self):
        self.refresh_kernel()
        if self._following:
            # Another kernel: what it writes from now on is what to follow.
            self.follower.reset()
            self._start_following()
        self.sig_changed.emit()

    @Slot(object)
    def _on_state_changed(self, state):
        previous, self._state = self._state, state
        self.refresh_kernel()
        self.sig_changed.emit()
        if previous is ConsoleState.RUNNING and state in (
                ConsoleState.IDLE, ConsoleState.DEBUGGING):
            # The code that just ran or stopped at a breakpoint may have
            # created log directories (relative paths land under the
            # console's cwd) that no shown root covers yet.
            self.sig_code_finished.emit()

    @Slot(str)
    def _on_cwd_changed(self, cwd):
        if not cwd or cwd == self.cwd:
            return
        self.cwd = cwd
        self.sig_cwd_changed.emit(cwd)
