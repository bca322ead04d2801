"""Qt-free reading and indexing of TensorBoard log directories.

Never imports TensorFlow: events are framed with :mod:`crc32c` and decoded
with tensorboard's own protobufs (``tensorboard.compat.proto``).
"""

from spyder_tblogs.logs.diagnostics import Diagnostic
from spyder_tblogs.logs.discovery import DEFAULT_SKIP, find_log_roots
from spyder_tblogs.logs.filenames import EventFileName, parse_event_file_name
from spyder_tblogs.logs.index import LogIndex
from spyder_tblogs.logs.info import EventFileInfo, IndexUpdate, RunInfo, TagInfo

__all__ = [
    "LogIndex", "IndexUpdate", "RunInfo", "EventFileInfo", "TagInfo",
    "Diagnostic", "EventFileName", "parse_event_file_name", "find_log_roots",
    "DEFAULT_SKIP",
]
