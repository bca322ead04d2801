"""The one way the Spyder floor compares directories."""

import os


def path_key(path: str) -> str:
    """Key identifying a directory: absolute, ``~`` expanded, case-folded
    where the file system ignores case.

    No file-system call (symlinks are not resolved), so the GUI thread may
    use it.
    """
    return os.path.normcase(os.path.abspath(os.path.expanduser(path)))
