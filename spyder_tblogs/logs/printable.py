"""Text that is safe to print whatever a file or run is called.

Names come from the file system: they may hold control characters (a
terminal would obey them), bidirectional overrides (the name would read
differently from what it is) or, on POSIX, bytes that are not UTF-8 (Python
carries them as lone surrogates, which no encoding accepts).
"""

import re

__all__ = ["printable", "make_stream_safe"]

# C0 and C1 controls, DEL, and the bidirectional embeddings and overrides.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff]")


def _escape(match):
    character = match.group()
    code = ord(character)
    if 0xDC80 <= code <= 0xDCFF:
        # A byte that was not UTF-8 (surrogateescape): show the byte.
        return "\\x%02x" % (code - 0xDC00)
    if code <= 0xFF:
        return "\\x%02x" % code
    return "\\u%04x" % code


def printable(text):
    """``text`` with every character a terminal would act on escaped."""
    return _UNSAFE.sub(_escape, text)


def make_stream_safe(stream):
    """Let ``stream`` write any text, escaping what its encoding lacks
    (a Windows console in cp1252, a pipe under ``PYTHONIOENCODING=ascii``)."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="backslashreplace")
