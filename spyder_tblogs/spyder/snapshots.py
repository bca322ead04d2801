"""Immutable messages between the pane and its worker threads.

The GUI sends an :class:`IndexContext` or a :class:`StartRequest`; the
index worker answers with :class:`RootsFound` and :class:`RootBatch`. All are
frozen, so a message is safe to read in any thread once sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from spyder_tblogs.spyder.config import DEFAULT_HOST


# ---- Index
@dataclass(frozen=True)
class IndexContext:
    """What the pane should index, as decided by the GUI.

    Attributes
    ----------
    generation : int
        Increases with every new context; results of older ones are dropped.
    directory : str or None
        Project directory, or the console's working directory.
    is_project : bool
        Whether ``directory`` is a Spyder project.
    autodetect : bool
        Look for log roots under ``directory``.
    max_depth : int
        Depth limit of the search.
    console_cwd : str or None
        The current console's working directory: event files under it that
        no other root shows are added as ``'workdir'`` roots (relative log
        paths land there, not in the project).
    added : tuple of str
        Log directories the user added.
    hidden : tuple of str
        Log directories the user hid.
    """

    generation: int
    directory: Optional[str]
    is_project: bool = False
    autodetect: bool = True
    max_depth: int = 6
    console_cwd: Optional[str] = None
    added: Tuple[str, ...] = ()
    hidden: Tuple[str, ...] = ()


@dataclass(frozen=True)
class RootSpec:
    """A log root to show.

    Attributes
    ----------
    path : str
        Absolute directory.
    origin : str
        ``'auto'`` (found under the project), ``'added'`` (added by the
        user) or ``'workdir'`` (the console's working directory).
    """

    path: str
    origin: str = "auto"


@dataclass(frozen=True)
class RootsFound:
    """The roots of a context, sent before their first batches."""

    generation: int
    roots: tuple = ()
    message: str = ""
    watching: bool = True


@dataclass(frozen=True)
class RootBatch:
    """Part of the result of refreshing one log root.

    A refresh of a large root is split into several batches so that the GUI
    thread applies a bounded amount of work at a time.

    Attributes
    ----------
    generation : int
        Context generation the batch belongs to; stale ones are dropped.
    root : str
        Absolute root directory.
    runs : tuple of tuple
        Runs added or changed since the previous refresh, as
        ``RunInfo.row`` plain tuples (which the garbage collector skips).
    removed : tuple of str
        Names of runs that disappeared.
    diagnostics : tuple of Diagnostic
        Root-level diagnostics (missing or unreadable directory, loops).
    run_count : int
        Number of runs in the root after the refresh.
    final : bool
        Whether this is the last batch of the refresh.
    error : str or None
        Message when the refresh itself failed.
    """

    generation: int
    root: str
    runs: Tuple[tuple, ...] = ()
    removed: Tuple[str, ...] = ()
    diagnostics: tuple = ()
    run_count: int = 0
    final: bool = True
    error: Optional[str] = None


# ---- TensorBoard
@dataclass(frozen=True)
class StartRequest:
    """Everything needed to start or reuse a TensorBoard instance.

    Attributes
    ----------
    logdir : str
        Directory to serve.
    python : str or None
        Interpreter to use; None to pick the first of ``candidates`` that
        can import tensorboard.
    candidates : tuple of str
        Interpreters to try when ``python`` is None.
    host : str
        Address to bind.
    port : int or None
        Fixed port, or None for an automatic one.
    extra_args : tuple of str
        Extra command-line arguments the user asked for (part of the
        instance's identity).
    default_args : tuple of str
        Arguments the pane adds from its preferences (``--reload_interval``):
        never part of the identity, so any live server for the directory is
        reused, a CLI-started one too.
    tensorflow : str
        A ``TensorFlowChoice`` value: whether TensorBoard may load
        TensorFlow when it is launched.
    """

    logdir: str
    python: Optional[str] = None
    candidates: tuple = ()
    host: str = DEFAULT_HOST
    port: Optional[int] = None
    extra_args: tuple = ()
    default_args: tuple = ()
    tensorflow: str = "never"
