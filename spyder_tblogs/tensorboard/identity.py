"""Which records serve a log directory, however it is spelled.

A server is identified by its log directory, interpreter and explicit extra
arguments, but one directory has several spellings that ``realpath`` keeps
apart: another case on a case-insensitive file system (macOS' default, and
Windows), a bind mount, a record written before the spelling was made
canonical. Directories that exist are therefore compared by
``(st_dev, st_ino)``, and :func:`stored_spelling` gives a log directory the
spelling its file system lists, so that every spelling hashes to one record
(and one start lock). Interpreter paths compare by ``os.path.normcase``
(case and separators on Windows, nothing elsewhere); symlinks are not
followed for them, since a venv's ``python`` links to the base interpreter.
"""

import os
import unicodedata

from spyder_tblogs.logs.remote import url_scheme
from spyder_tblogs.tensorboard.instance import (
    TensorBoardInstance, same_process)
from spyder_tblogs.tensorboard.registry import identity_hash


def directory_id(path):
    """``(st_dev, st_ino)`` of an existing local ``path``, else None."""
    if url_scheme(path) is not None:
        return None
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def same_logdir(first, second):
    """Whether two normalized log directories are one (URLs: same string)."""
    if first == second:
        return True
    found = directory_id(first)
    return found is not None and found == directory_id(second)


def same_interpreter(first, second):
    """Whether two normalized interpreter paths name one file by spelling."""
    return os.path.normcase(first) == os.path.normcase(second)


def serves(instance, logdir, python, extra_args):
    """Whether ``instance`` is a server a start of ``logdir`` may reuse:
    same directory and interpreter, and the same explicit extra arguments
    if any are given."""
    return same_logdir(instance.logdir, logdir) and \
        same_interpreter(instance.python, python) and \
        (not extra_args or tuple(instance.extra_args) == tuple(extra_args))


def _folded(name):
    return unicodedata.normalize("NFC", name).casefold()


def _listed_spelling(parent, name):
    """The entry of ``parent`` that is ``name`` on a file system ignoring
    case (and Unicode normalization, as APFS does), or ``name``."""
    if name.swapcase() == name:
        return name
    found = directory_id(os.path.join(parent, name))
    if found is None or \
            directory_id(os.path.join(parent, name.swapcase())) != found:
        # Case matters here (or cannot be told): the name is the name.
        return name
    try:
        entries = os.listdir(parent)
    except OSError:
        return name
    if name in entries:
        return name
    for entry in entries:
        if _folded(entry) == _folded(name) and \
                directory_id(os.path.join(parent, entry)) == found:
            return entry
    return name


def stored_spelling(path):
    """``path`` (absolute, existing) spelled as its directories list it.

    On a case-insensitive file system ``Logs`` opens ``logs``; both must
    name one server. A component's parent is listed only when the file
    system ignores case there (its swapped-case name is the same directory).
    On Windows ``realpath`` already returns the stored spelling.
    """
    if os.name == "nt":
        return path
    parts = path.split(os.sep)
    spelled = os.sep
    for name in parts[1:]:
        if name:
            spelled = os.path.join(spelled, _listed_spelling(spelled, name))
    return spelled


def records_to_stop(records, target, logdir=None):
    """The ``(key, instance)`` pairs a stop of ``target`` names.

    Parameters
    ----------
    records : list of (str, TensorBoardInstance, ServerState)
        The registry's records.
    target : TensorBoardInstance, int or str
        An instance (found by pid and creation time; itself if its record is
        gone), a registered pid, or a log directory, already normalized as
        ``logdir``: every record serving that directory, however spelled.
    """
    if isinstance(target, TensorBoardInstance):
        matches = [(key, instance) for key, instance, _ in records
                   if same_process(instance, target)]
        # Record gone (pruned elsewhere) but the caller holds proof of
        # identity (pid + creation time).
        return matches or [(identity_hash(target.logdir, target.python,
                                          target.extra_args), target)]
    if isinstance(target, int) and not isinstance(target, bool):
        return [(key, instance) for key, instance, _ in records
                if instance.pid == target]
    return [(key, instance) for key, instance, _ in records
            if same_logdir(instance.logdir, logdir)]
