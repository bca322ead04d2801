"""Log roots under the console's working directory (Qt-free, walks the disk).

Relative log paths (``SummaryWriter("runs/exp1")``) land under the kernel's
working directory, which is often not the project: the pane shows them as
roots of their own.
"""

from __future__ import annotations

import os
from typing import Iterable

from spyder_tblogs.logs.discovery import DEFAULT_SKIP, find_log_roots


def _is_inside(path: str, parent: str) -> bool:
    try:
        return os.path.commonpath([path, parent]) == parent
    except ValueError:  # different drives on Windows
        return False


def _normalized(path: str) -> str:
    return os.path.normcase(os.path.realpath(os.path.abspath(path)))


def _subdirectories(directory):
    """Subdirectories worth a look (no caches, environments, VCS data)."""
    found = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                try:
                    if entry.name not in DEFAULT_SKIP and entry.is_dir():
                        found.append(entry.path)
                except OSError:
                    continue
    except OSError:
        pass
    return sorted(found)


def _roots_beside(directory, shown, depth, visited):
    """The largest directories under ``directory`` with event files at most
    ``depth`` levels down that contain no shown root (``directory`` itself
    contains one)."""
    if depth <= 0:
        return []
    found = []
    for subdir in _subdirectories(directory):
        real_subdir = _normalized(subdir)
        if any(_is_inside(real_subdir, root) for root in shown):
            continue    # shown already
        if not any(_is_inside(root, real_subdir) for root in shown):
            if find_log_roots(subdir, max_depth=depth - 1):
                found.append(subdir)
            continue
        try:
            info = os.stat(subdir)
        except OSError:
            continue
        if (info.st_dev, info.st_ino) not in visited:   # symlink loops
            visited.add((info.st_dev, info.st_ino))
            found.extend(_roots_beside(subdir, shown, depth - 1, visited))
    return found


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
    if not any(_is_inside(root, real_base) for root in shown):
        # Nothing shown below: the working directory is one root.
        return (base,) if find_log_roots(base, max_depth=max_depth) else ()
    # The console sits above a shown root: look beside it, so no run is
    # listed twice.
    return tuple(sorted(_roots_beside(base, shown, max_depth, set())))
