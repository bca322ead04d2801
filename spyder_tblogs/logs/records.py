"""TFRecord framing: the container format of TensorBoard event files.

Each record is::

    uint64 length            (little endian)
    uint32 masked_crc32c(length bytes)
    bytes  data[length]
    uint32 masked_crc32c(data)

The CRC is CRC-32C (Castagnoli), "masked" so that a CRC of data holding
CRCs does not look like one. This module holds the framing primitives and
the chunked reader that the event-file reader builds on; it never loads a
whole file into memory.
"""

import os
import stat
import struct

import crc32c as _crc32c

__all__ = [
    "HEADER_SIZE", "FOOTER_SIZE", "CHUNK_SIZE", "MAX_RECORD_LENGTH",
    "MASK_DELTA",
    "masked_crc32c", "mask_crc", "check_length", "frame_record",
    "iter_chunks", "read_records", "open_regular_file", "FramingError",
    "NotRegularFile",
]

HEADER_SIZE = 12   # length (8) + its masked CRC (4)
FOOTER_SIZE = 4    # masked CRC of the data
# Large enough that per-read overhead is negligible (some 10,000 records),
# small enough to keep a reader's peak memory low: a chunk and its
# concatenation with the carried tail are alive at the same time.
CHUNK_SIZE = 1024 * 1024

# No writer can produce a longer record: protobuf refuses to serialize a
# message of 2 GiB or more. A longer length with a valid checksum is forged
# or damaged framing, never a record still being written.
MAX_RECORD_LENGTH = 2**31 - 1

MASK_DELTA = 0xA282EAD8
_LENGTH_AND_CRC = struct.Struct("<QI")
_CRC = struct.Struct("<I")
# Opening a FIFO for reading blocks until a writer comes; with O_NONBLOCK it
# returns at once and fstat tells what it is. (No FIFOs to fear on Windows.)
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
               | getattr(os, "O_BINARY", 0))


class FramingError(Exception):
    """Nothing at or after ``offset`` can be framed.

    Attributes
    ----------
    offset : int
        Byte offset of the bad record header.
    reason : str
        What is wrong with it, in words that fit after "the record length
        at byte N".
    """

    def __init__(self, offset, reason="fails its checksum"):
        super().__init__("corrupt record length at byte %d (%s)"
                         % (offset, reason))
        self.offset = offset
        self.reason = reason


class NotRegularFile(OSError):
    """The path is a FIFO, device, socket or directory, not a file."""


def open_regular_file(path):
    """Open ``path`` for binary reading without ever blocking.

    Raises
    ------
    NotRegularFile
        When ``path`` is not a regular file (say a FIFO swapped in after
        discovery): reading it could wait forever.
    OSError
        When it cannot be opened.
    """
    descriptor = os.open(path, _OPEN_FLAGS)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile("not a regular file (%s)" % _kind(mode))
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def _kind(mode):
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISDIR, "a directory"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device")):
        if test(mode):
            return name
    return "a special file"


def check_length(length, offset):
    """Raise :class:`FramingError` for a length no writer can produce."""
    if length > MAX_RECORD_LENGTH:
        raise FramingError(offset, "declares %d bytes, more than any writer "
                                   "can produce" % length)


def masked_crc32c(data):
    """Return the masked CRC-32C of ``data`` as TFRecord stores it."""
    return mask_crc(_crc32c.crc32c(data))


def mask_crc(crc):
    """Mask a CRC-32C the way TFRecord does (the one definition of it)."""
    return (((crc >> 15) | (crc << 17)) + MASK_DELTA) & 0xFFFFFFFF


def frame_record(data):
    """Return ``data`` framed as one TFRecord (used to write damaged copies)."""
    length = struct.pack("<Q", len(data))
    return (length + _CRC.pack(masked_crc32c(length)) + data
            + _CRC.pack(masked_crc32c(data)))


def iter_chunks(path, offset, scan, chunk_size=CHUNK_SIZE):
    """Feed a file from ``offset`` to ``scan`` in large chunks.

    Parameters
    ----------
    path : str
        File to read.
    offset : int
        Byte offset of the first unread record.
    scan : callable
        ``scan(buffer, base_offset) -> (consumed, needed)``: processes the
        complete records at the start of ``buffer`` (whose first byte is at
        ``base_offset`` in the file), returns how many bytes it consumed and
        the size of the incomplete record that follows when its header
        could be checked (else 0). It may raise :class:`FramingError`.
    chunk_size : int
        Bytes per read.

    Returns
    -------
    tuple of (int, int)
        ``(offset, end)``: the offset of the first unconsumed byte (the
        start of a partial record, or the end of the file) and the number
        of bytes read through, i.e. the file size seen.

    Notes
    -----
    A declared length is never trusted: a record is read whole only when
    the file holds it, so memory stays bounded by the largest record that
    is really there, whatever a header claims.
    """
    carry = b""
    with open_regular_file(path) as stream:
        stream.seek(offset)
        read = stream.read
        fileno = stream.fileno()
        want = chunk_size
        while True:
            chunk = read(want)
            if not chunk:
                break
            buffer = carry + chunk if carry else chunk
            consumed, needed = scan(buffer, offset)
            offset += consumed
            carry = buffer[consumed:] if consumed < len(buffer) else b""
            want = chunk_size
            if needed > len(carry):
                # A record larger than what is carried: read it in one go
                # if the file holds it, else it is a partial tail (still
                # being written, or truncated) and reading ends here.
                end = os.fstat(fileno).st_size
                if offset + needed > end:
                    return offset, max(end, offset + len(carry))
                want = max(chunk_size, needed - len(carry))
    return offset, offset + len(carry)


def read_records(path, offset=0):
    """Return ``[(offset, data_or_None), ...]`` for the complete records from ``offset``.

    ``data`` is ``None`` for a record whose data CRC does not match. This is
    the simple, general reader (used by tests and tools); the index uses a
    fused, faster loop in :mod:`spyder_tblogs.logs.reader`.

    Raises
    ------
    FramingError
        On a record length whose CRC does not match.
    """
    records = []

    def scan(buffer, base):
        position, end = 0, len(buffer)
        while position + HEADER_SIZE <= end:
            length, length_crc = _LENGTH_AND_CRC.unpack_from(buffer, position)
            if masked_crc32c(buffer[position:position + 8]) != length_crc:
                raise FramingError(base + position)
            check_length(length, base + position)
            stop = position + HEADER_SIZE + length + FOOTER_SIZE
            if stop > end:
                return position, stop - position
            data = buffer[position + HEADER_SIZE:stop - FOOTER_SIZE]
            good = masked_crc32c(data) == _CRC.unpack_from(buffer, stop - 4)[0]
            records.append((base + position, bytes(data) if good else None))
            position = stop
        return position, 0

    iter_chunks(path, offset, scan)
    return records
