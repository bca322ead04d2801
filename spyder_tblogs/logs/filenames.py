"""Parse the names real writers give to event files.

Writers name files ``<prefix>.out.tfevents.<time>.<host>[.<pid>.<counter>][suffix]``:

- TensorFlow 1 ``FileWriter`` and the C++ ``EventsWriter``:
  ``events.out.tfevents.1700000000.host``;
- TensorFlow 2 ``tf.summary`` and Keras:
  ``events.out.tfevents.1700000000.host.1234.0.v2`` (pid, counter, ``.v2``);
- tensorboard's ``EventFileWriter`` (also used by PyTorch):
  ``events.out.tfevents.1700000000.host.1234.0`` (pid, global counter);
- tensorboardX: ``events.out.tfevents.1700000000.host`` (no pid);
- the profiler: ``events.out.tfevents.1700000000.host.profile-empty``.

Host names may contain dots (``node1.cluster.local``), so the pid is found
from the right: it is the first of the last two all-digit parts.
"""

import re
from dataclasses import dataclass
from typing import Optional

__all__ = ["EventFileName", "parse_event_file_name", "is_event_file_name"]

_NAME_RE = re.compile(r"^(?P<prefix>.*?)\.?out\.tfevents\.(?P<time>\d+(?:\.\d+)?)(?:\.(?P<rest>.*))?$")

# Suffixes that writers append without a pid in front of them.
_KNOWN_SUFFIXES = ("v2", "profile-empty", "sagemaker-uploaded")


@dataclass(frozen=True)
class EventFileName:
    """Parts of an event-file name; ``None`` where the writer omits one.

    Attributes
    ----------
    created : float or None
        Creation time (seconds since the epoch) written in the name.
    host : str or None
        Host name of the writing machine (may contain dots).
    pid : int or None
        Process id of the writer (TensorFlow 2, tensorboard, PyTorch).
    suffix : str or None
        Everything after the pid (``'0.v2'``, ``'3'``) or a known suffix
        such as ``'v2'`` or ``'profile-empty'`` when there is no pid.
    """

    created: Optional[float]
    host: Optional[str]
    pid: Optional[int]
    suffix: Optional[str]


def is_event_file_name(name):
    """Return whether TensorBoard treats a file name as an event file.

    TensorBoard reads every file whose name contains ``tfevents`` except the
    empty markers the profiler leaves (``*.profile-empty``).
    """
    return "tfevents" in name and not name.endswith(".profile-empty")


def parse_event_file_name(name):
    """Split an event-file base name into creation time, host, pid and suffix.

    Parameters
    ----------
    name : str
        Base name of the file (a path is reduced to its base name).

    Returns
    -------
    EventFileName
        Parts found; every part a writer omitted is ``None``. A name that
        does not follow the convention gives all ``None``.
    """
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    match = _NAME_RE.match(name)
    if match is None:
        return EventFileName(None, None, None, None)
    created = float(match.group("time"))
    rest = match.group("rest")
    if not rest:
        return EventFileName(created, None, None, None)
    parts = rest.split(".")
    # The rightmost pair of all-digit parts with a host before it is
    # ``<pid>.<counter>``; a lone trailing number after a host is a pid too.
    for index in range(len(parts) - 2, 0, -1):
        if parts[index].isdigit() and parts[index + 1].isdigit():
            return EventFileName(created, ".".join(parts[:index]),
                                 int(parts[index]),
                                 ".".join(parts[index + 1:]) or None)
    suffix_parts = []
    while len(parts) > 1 and parts[-1] in _KNOWN_SUFFIXES:
        suffix_parts.insert(0, parts.pop())
    if len(parts) > 1 and parts[-1].isdigit():
        pid = int(parts.pop())
        return EventFileName(created, ".".join(parts), pid,
                             ".".join(suffix_parts) or None)
    return EventFileName(created, ".".join(parts) or None, None,
                         ".".join(suffix_parts) or None)
