"""What Windows needs done differently, in one place (imported everywhere).

Every function here runs on any platform: each takes the platform as an
argument (default: this one), so Linux tests can check the Windows branch
of what does not need Windows itself (flags, argument splitting, error
wording). The parts that call Windows APIs are marked as such.
"""

import errno
import os
import subprocess
import sys

#: ``subprocess.CREATE_NO_WINDOW`` (winbase.h), spelled out because the
#: name only exists in ``subprocess`` on Windows: a console program started
#: from a GUI without it (Spyder under ``pythonw``) flashes a console window.
CREATE_NO_WINDOW = 0x08000000
#: ``subprocess.CREATE_NEW_PROCESS_GROUP``: Ctrl+C in Spyder's console does
#: not reach a server started with it.
CREATE_NEW_PROCESS_GROUP = 0x00000200

#: Winsock's WSAEACCES: binding a port in a range Windows reserves (Hyper-V,
#: WSL and Docker reserve ranges, see ``netsh interface ipv4 show
#: excludedportrange protocol=tcp``) or one another socket holds exclusively.
WSAEACCES = 10013
#: Winsock's WSAEADDRINUSE.
WSAEADDRINUSE = 10048


def is_windows(platform=None):
    """Tell whether ``platform`` (default ``sys.platform``) is Windows."""
    return (platform or sys.platform) == "win32"


def child_kwargs(platform=None):
    """Return the ``subprocess`` keyword arguments every short-lived child
    (interpreter checks, probes, reader workers) gets: no console window on
    Windows, nothing elsewhere."""
    if is_windows(platform):
        return {"creationflags": CREATE_NO_WINDOW}
    return {}


def server_kwargs(platform=None):
    """Return the ``subprocess`` keyword arguments of a detached server: its
    own session on POSIX (it outlives the CLI that started it and no
    terminal signal reaches it), its own process group and no console window
    on Windows."""
    if is_windows(platform):
        return {"creationflags": CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW}
    return {"start_new_session": True}


def exclusive_bind_option(platform=None):
    """Return ``(level, option)`` to set before a bind that must fail when
    the port is in use.

    POSIX: ``SO_REUSEADDR``, the option TensorBoard's server sets too, so a
    port left in TIME_WAIT counts as free, as it will for TensorBoard (it
    never lets a bind share a listening port there). Windows:
    ``SO_EXCLUSIVEADDRUSE``, because there ``SO_REUSEADDR`` lets a bind
    succeed on a port someone is listening on.
    """
    import socket
    if is_windows(platform):
        # socket.SO_EXCLUSIVEADDRUSE is only defined on Windows; its value
        # is ~SO_REUSEADDR (winsock2.h), -5 as a C int.
        return socket.SOL_SOCKET, getattr(socket, "SO_EXCLUSIVEADDRUSE", -5)
    return socket.SOL_SOCKET, socket.SO_REUSEADDR


def bind_problem(error, host, port):
    """Word why binding ``host``:``port`` failed with ``error`` (an
    ``OSError``) for a user, or return '' if the port is simply in use."""
    code = getattr(error, "winerror", None) or error.errno
    if code in (errno.EADDRINUSE, WSAEADDRINUSE):
        return ""
    if code == WSAEACCES:
        return (f"port {port} on {host} cannot be used: Windows reserves it "
                f"or another program holds it exclusively (WinError 10013; "
                f"'netsh interface ipv4 show excludedportrange "
                f"protocol=tcp' lists the reserved ranges); choose another "
                f"port or leave it unset")
    if code == errno.EACCES:
        return (f"port {port} on {host} needs privileges this user does "
                f"not have (ports below 1024 usually do); choose another "
                f"port or leave it unset")
    if code == errno.EADDRNOTAVAIL:
        return (f"cannot listen on {host}: no network interface of this "
                f"machine has that address")
    return f"cannot listen on {host}:{port}: {error.strerror or error}"


def split_args(text, platform=None):
    """Split a line of extra arguments the way this platform's shell would.

    POSIX: :func:`shlex.split`. Windows: the C runtime's rules (what
    ``CommandLineToArgvW`` does and :func:`subprocess.list2cmdline`
    reverses), under which a backslash is an ordinary character unless
    backslashes lead up to a double quote, so ``C:\\logs\\run`` survives;
    POSIX rules would eat those backslashes.

    Raises
    ------
    ValueError
        For an unclosed quote (on Windows too, where the C runtime would
        silently run to the end of the line: the user meant something else).
    """
    text = text or ""
    if not is_windows(platform):
        import shlex
        return shlex.split(text)
    args, current, in_arg, quoted = [], [], False, False
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char == "\\":
            end = index
            while end < length and text[end] == "\\":
                end += 1
            count = end - index
            if end < length and text[end] == '"':
                # 2n backslashes + quote: n backslashes, the quote toggles;
                # 2n+1: n backslashes and a literal quote.
                current.append("\\" * (count // 2))
                if count % 2:
                    current.append('"')
                    end += 1
            else:
                current.append("\\" * count)
            in_arg, index = True, end
            continue
        if char == '"':
            if quoted and text.startswith('""', index):
                # "" inside quotes is one literal quote (C runtime, 2008+).
                current.append('"')
                index += 2
                continue
            quoted, in_arg = not quoted, True
        elif char in " \t" and not quoted:
            if in_arg:
                args.append("".join(current))
                current, in_arg = [], False
        else:
            current.append(char)
            in_arg = True
        index += 1
    if quoted:
        raise ValueError("No closing quotation")
    if in_arg:
        args.append("".join(current))
    return args


def quote_arg(arg, platform=None):
    """Quote one argument for display, as this platform's shell reads it."""
    if is_windows(platform):
        return subprocess.list2cmdline([arg])
    import shlex
    return shlex.quote(arg)


# Access and flags of CreateFileW (winnt.h / fileapi.h).
_FILE_APPEND_DATA = 0x0004
_FILE_READ_ATTRIBUTES = 0x0080
_SYNCHRONIZE = 0x00100000
_SHARE_ALL = 0x1 | 0x2 | 0x4          # read, write, delete
_OPEN_EXISTING = 3
_FILE_ATTRIBUTE_NORMAL = 0x80
_FILE_FLAG_OPEN_REPARSE_POINT = 0x00200000


def append_only_fd(path):
    """Windows only: return a file descriptor on the existing file ``path``
    whose handle may only append.

    A child inherits the handle, not the C runtime's append flag: with a
    handle holding ``FILE_APPEND_DATA`` and no ``FILE_WRITE_DATA``, Windows
    itself puts every write at the end of the file, so after the manager
    trims the log the child's next write lands at the new end (what
    ``O_APPEND`` gives a child on POSIX). A reparse point (symlink,
    junction) at ``path`` is opened itself, never followed. Untested on
    Linux.
    """
    import _winapi
    import msvcrt
    handle = _winapi.CreateFile(
        path, _FILE_APPEND_DATA | _FILE_READ_ATTRIBUTES | _SYNCHRONIZE,
        _SHARE_ALL, _winapi.NULL, _OPEN_EXISTING,
        _FILE_ATTRIBUTE_NORMAL | _FILE_FLAG_OPEN_REPARSE_POINT, _winapi.NULL)
    try:
        return msvcrt.open_osfhandle(handle, os.O_WRONLY | os.O_APPEND)
    except OSError:
        _winapi.CloseHandle(handle)
        raise
