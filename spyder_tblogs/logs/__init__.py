"""Qt-free reading and indexing of TensorBoard log directories.

Never imports TensorFlow: events are framed with :mod:`crc32c` and decoded
with tensorboard's own protobufs (``tensorboard.compat.proto``).

The names below are imported on first use: reader and export worker
processes import only the modules they run, and start faster for it.
"""

import importlib

# Public name -> the module defining it.
_EXPORTS = {
    "LogIndex": "index",
    "IndexUpdate": "info", "RunInfo": "info", "EventFileInfo": "info",
    "TagInfo": "info",
    "Diagnostic": "diagnostics",
    "EventFileName": "filenames", "parse_event_file_name": "filenames",
    "find_log_roots": "discovery", "DEFAULT_SKIP": "discovery",
}

__all__ = list(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError("module %r has no attribute %r"
                             % (__name__, name))
    value = getattr(importlib.import_module("%s.%s" % (__name__, module)),
                    name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
