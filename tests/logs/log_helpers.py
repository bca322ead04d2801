"""Helpers of the log-index tests, imported by the tests and their conftest.

A module of its own (not ``from conftest import``): pytest imports every
``conftest.py`` under the same module name, so which one a test got would
depend on which directories were collected.
"""

import os

import writers  # noqa: F401  (tests/writers.py, on pytest's pythonpath)

# A run name with non-ASCII characters and spaces.
ODD_RUN = "résumé run ü"


def make_old(path, seconds=3600):
    """Set a file's mtime ``seconds`` in the past (a writer long gone)."""
    stat = os.stat(path)
    os.utime(path, (stat.st_atime - seconds, stat.st_mtime - seconds))


def event_files(directory):
    """Return the event files under ``directory``, sorted."""
    found = []
    for folder, _, names in os.walk(directory):
        found.extend(os.path.join(folder, name) for name in names
                     if "tfevents" in name)
    return sorted(found)
