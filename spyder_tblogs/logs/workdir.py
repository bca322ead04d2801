"""Log roots under the console's working directory (Qt-free, walks the disk).

Relative log paths (``SummaryWriter("runs/exp1")``) land under the kernel's
working directory, which is often not the project: the pane shows them as
roots of their own.
"""

from __future__ import annotations

import os
from typing import Iterable

from spyder_tblogs.logs.discovery import DEFAULT_SKIP


def _is_inside(path: str, parent: str) -> bool:
    try:
        return os.path.commonpath([path, parent]) == parent
    except ValueError:  # different drives on Windows
        return False


def _normalized(path: str) -> str:
    return os.path.normcase(os.path.realpath(os.path.abspath(path)))


def _event_directories(directory: str, max_depth: int,
                       max_directories: int = 20000) -> list[str]:
    """Directories under ``directory`` that directly hold event files.

    Depth-limited, loop-safe (symlinked directories are visited once),
    skips virtual environments and caches, and stops after
    ``max_directories`` so a working directory of ``/`` stays cheap.
    """
    found = []
    visited: set[tuple[int, int]] = set()
    pending = [(directory, 0)]
    while pending and len(visited) < max_directories:
        path, depth = pending.pop()
        try:
            stat = os.stat(path)
        except OSError:
            continue
        key = (stat.st_dev, stat.st_ino)
        if key in visited:
            continue
        visited.add(key)
        holds_events = False
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir():
                            if (depth < max_depth
                                    and entry.name not in DEFAULT_SKIP):
                                pending.append((entry.path, depth + 1))
                        elif "tfevents" in entry.name:
                            holds_events = True
                    except OSError:
                        continue
        except OSError:
            continue
        if holds_events:
            found.append(path)
    return sorted(found)


def cwd_log_roots(cwd: str | None, shown_roots: Iterable[str], *,
                  max_depth: int = 4) -> tuple[str, ...]:
    """Log roots under the console's working directory the pane lacks.

    Relative log paths (``SummaryWriter("runs/exp1")``) land under the
    kernel's working directory, which is often not the project. When that
    directory is outside the roots the pane shows and holds event files,
    the pane adds what this returns as roots labelled "console's working
    directory": the working directory itself, or, when it contains a shown
    root (the console sits in a parent of the project), its largest
    subdirectories that hold event files and contain no shown root, so no
    run is listed twice.

    This walks the file system (depth-limited): call it off the GUI thread.

    Parameters
    ----------
    cwd : str or None
        The console's working directory.
    shown_roots : iterable of str
        Log roots already shown (project roots and user-added ones).
    max_depth : int
        How deep below ``cwd`` to look.

    Returns
    -------
    tuple of str
        Absolute directories, sorted: empty when ``cwd`` is missing, inside
        a shown root, or holds no event files that are not already shown.
    """
    if not cwd:
        return ()
    try:
        if not os.path.isdir(cwd):
            return ()
    except (OSError, ValueError):
        return ()
    base = os.path.abspath(cwd)
    real_base = _normalized(base)
    shown = [_normalized(root) for root in shown_roots if root]
    if any(_is_inside(real_base, root) for root in shown):
        return ()
    event_dirs = _event_directories(base, max_depth)
    extra: set[str] = set()
    for event_dir in event_dirs:
        real_dir = _normalized(event_dir)
        if any(_is_inside(real_dir, root) for root in shown):
            continue
        # Walk down from cwd to the first directory that contains no shown
        # root: the largest root that does not repeat the project's runs.
        relative = os.path.relpath(event_dir, base)
        parts = [] if relative == os.curdir else relative.split(os.sep)
        candidate = base
        for part in parts:
            real_candidate = _normalized(candidate)
            if not any(_is_inside(root, real_candidate) for root in shown):
                break
            candidate = os.path.join(candidate, part)
        extra.add(candidate)
    # A root inside another one found here adds nothing.
    topmost = [root for root in extra
               if not any(other != root and _is_inside(root, other)
                          for other in extra)]
    return tuple(sorted(topmost))
