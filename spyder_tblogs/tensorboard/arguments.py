"""Checks of what callers pass the manager; which extra arguments go through.

TensorBoard parses its flags with ``argparse``, which accepts any
unambiguous prefix of a long flag (``--ho ::`` is ``--host ::``), and with
absl, which expands ``--flagfile=FILE`` into the flags written in FILE before
``argparse`` sees them. An extra argument that lands on a flag the manager
sets itself would make the record lie (port, log directory) or leave
loopback (host, bind_all), so it is refused here, before anything runs.

The rule is stricter than TensorBoard's parser: every prefix of a reserved
flag is refused, even one TensorBoard would reject as ambiguous (``--lo``
could be ``--logdir`` or ``--load_fast``); such an argument can only fail
or land on a reserved flag, so nothing a user may pass is lost. The tests
check the rule against TensorBoard's own parser.
"""

import math
import os
import sys
import warnings

from spyder_tblogs.tensorboard.identity import stored_spelling
from spyder_tblogs.tensorboard.instance import (
    TensorBoardError, TensorBoardSecurityWarning)
from spyder_tblogs.logs.remote import url_scheme
from spyder_tblogs.tensorboard.process import (
    find_interpreter, is_loopback, normalize_interpreter)

#: Flags the manager sets itself. Letting them through would make the
#: recorded port/host/logdir lie, and --bind_all would bypass the host check.
RESERVED_FLAGS = ("--logdir", "--logdir_spec", "--host", "--bind_all",
                  "--port")

#: absl reads more flags from a file named by these (``--flagfile=F`` or
#: ``--flagfile F``, with one or two dashes); its content cannot be checked.
FLAG_FILE_DIRECTIVES = ("--flagfile", "-flagfile")

# What each reserved flag has its own option for (part of the message).
_USE_INSTEAD = {
    "--logdir": "the log directory argument",
    "--logdir_spec": "the log directory argument",
    "--host": "the host option",
    "--bind_all": "the host option",
    "--port": "the port option",
}


def reserved_flags_of(arg):
    """Return the reserved flags that TensorBoard may read ``arg`` as.

    Parameters
    ----------
    arg : str
        One extra argument, as it will be passed to TensorBoard.

    Returns
    -------
    tuple of str
        Empty if ``arg`` cannot set a reserved flag; one flag if it is that
        flag or an abbreviation only of it; several if it abbreviates more
        than one (TensorBoard calls it ambiguous or, for ``--logdir``, which
        is also the start of ``--logdir_spec``, takes the exact match).
    """
    if not arg.startswith("--") or len(arg) < 3:
        # A single dash only reaches short flags (-h, -v) in argparse, and
        # "--" alone ends the flags.
        return ()
    option = arg.split("=", 1)[0]
    if option in RESERVED_FLAGS:
        return (option,)
    return tuple(flag for flag in RESERVED_FLAGS if flag.startswith(option))


def is_flag_file_directive(arg):
    """Tell whether absl will replace ``arg`` by the flags of a file."""
    return arg.split("=", 1)[0] in FLAG_FILE_DIRECTIVES


def check_extra_args(extra_args):
    """Return ``extra_args`` as a tuple of strings, or refuse them.

    Raises
    ------
    TensorBoardError
        For a single string (it would be split nowhere), an argument that
        sets or abbreviates a flag the manager sets itself (the message
        names the flag), absl's ``--flagfile`` and a bare ``--``.
    """
    if isinstance(extra_args, str):
        raise TensorBoardError(
            "extra_args must be a sequence of arguments, not one string")
    extra_args = tuple(str(arg) for arg in extra_args)
    for arg in extra_args:
        if arg == "--":
            # The manager's flags follow the extra ones: after "--" they
            # would be taken for stray words and TensorBoard would exit.
            raise TensorBoardError(
                "a bare -- cannot be an extra TensorBoard argument")
        if is_flag_file_directive(arg):
            raise TensorBoardError(
                f"{arg.split('=', 1)[0]} reads more TensorBoard flags from a "
                f"file, which the manager cannot check; pass the flags "
                f"themselves")
        flags = reserved_flags_of(arg)
        if not flags:
            continue
        option = arg.split("=", 1)[0]
        named = " or ".join(flags)
        them, verb = ("it", "is") if len(flags) == 1 else ("them", "are")
        how = (f"{verb} set by the manager" if option in RESERVED_FLAGS
               else f"({option!r} abbreviates {them}: TensorBoard accepts "
                    f"abbreviated flags) {verb} set by the manager")
        raise TensorBoardError(
            f"{named} {how}; use {_USE_INSTEAD[flags[0]]} instead of "
            f"passing it through")
    return extra_args


def security_warning(host):
    """The warning for serving on ``host`` ('' for a loopback address)."""
    host = (host or "").strip()
    if not host or is_loopback(host):
        return ""
    return (f"TensorBoard will listen on {host}: the logs it serves become "
            f"visible to anyone who can reach this machine on the network")


def normalize_logdir(logdir, must_exist=True):
    """Return the real path of ``logdir`` (it identifies an instance),
    spelled as its file system lists it (one spelling per directory on a
    case-insensitive file system, see identity.py).

    A URL (``s3://bucket/prefix``) is kept as given, less surrounding blanks
    and trailing slashes: nothing local can check or resolve it, and
    TensorBoard is started on that same string.
    """
    if logdir is None or not str(logdir).strip():
        raise TensorBoardError("no log directory given")
    if url_scheme(logdir) is not None:
        url = str(logdir).strip()
        scheme, _, rest = url.partition("://")
        if not rest.strip("/"):
            raise TensorBoardError(f"no bucket or path in {url}")
        return f"{scheme}://{rest.rstrip('/')}"
    path = os.path.realpath(os.path.expanduser(os.fspath(logdir)))
    if must_exist and not os.path.isdir(path):
        if os.path.exists(path):
            raise TensorBoardError(f"not a directory: {logdir}")
        raise TensorBoardError(f"log directory does not exist: {logdir}")
    if os.path.isdir(path):
        path = stored_spelling(path)
    return path


def normalize_python(python):
    """Return the interpreter to run: ``python``, or this one by default."""
    if python is None:
        found = find_interpreter([sys.executable])
        if found is None:
            raise TensorBoardError(
                f"this Python ({sys.executable}) cannot import "
                f"tensorboard; pass the interpreter of an environment "
                f"that has it")
        return found
    if not str(python).strip():
        raise TensorBoardError("empty interpreter path")
    return normalize_interpreter(python)


def check_host(host):
    """Return ``host`` stripped; warn (:class:`TensorBoardSecurityWarning`)
    if it is not loopback."""
    host = (host or "").strip()
    if not host:
        raise TensorBoardError("empty host")
    warning = security_warning(host)
    if warning:
        warnings.warn(warning, TensorBoardSecurityWarning, stacklevel=3)
    return host


def check_port(port):
    """Return ``port`` as an int in 1-65535."""
    try:
        value = int(port)
    except (TypeError, ValueError, OverflowError):
        raise TensorBoardError(f"bad port: {port!r}") from None
    if isinstance(port, bool) or not 0 < value < 65536:
        raise TensorBoardError(f"port out of range (1-65535): {port}")
    return value


def check_seconds(seconds, what="timeout"):
    """Return ``seconds`` as a finite float above 0 (a NaN deadline would
    never pass, an infinite one never end)."""
    try:
        value = float(seconds)
    except (TypeError, ValueError, OverflowError):
        raise TensorBoardError(f"bad {what}: {seconds!r}") from None
    if isinstance(seconds, bool) or not math.isfinite(value) or value <= 0:
        raise TensorBoardError(
            f"{what} must be a finite number of seconds above 0, not "
            f"{seconds!r}")
    return value
