"""The one way the pane and the CLI compare directories and log roots (no
file-system call: the GUI thread may use it)."""

import os

from spyder_tblogs.logs.remote import url_scheme


def absolute_logdir(logdir: str) -> str:
    """``logdir`` made absolute; a URL root (``s3://bucket/run``) as given,
    since a path join would turn it into a local path."""
    return logdir if url_scheme(logdir) else os.path.abspath(logdir)


def path_key(path: str) -> str:
    """Key identifying a directory: absolute, ``~`` expanded, case-folded
    where the file system ignores case; a URL root is its own key.

    No file-system call (symlinks are not resolved), so the GUI thread may
    use it.
    """
    if url_scheme(path):
        return path.rstrip("/")
    return os.path.normcase(os.path.abspath(os.path.expanduser(path)))
