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

import struct

import crc32c as _crc32c

__all__ = [
    "HEADER_SIZE", "FOOTER_SIZE", "CHUNK_SIZE", "masked_crc32c",
    "frame_record", "iter_chunks", "read_records", "FramingError",
]

HEADER_SIZE = 12   # length (8) + its masked CRC (4)
FOOTER_SIZE = 4    # masked CRC of the data
# Large enough that per-read overhead is negligible (some 10,000 records),
# small enough to keep a reader's peak memory low: a chunk and its
# concatenation with the carried tail are alive at the same time.
CHUNK_SIZE = 1024 * 1024

_MASK_DELTA = 0xA282EAD8
_LENGTH_AND_CRC = struct.Struct("<QI")
_CRC = struct.Struct("<I")


class FramingError(Exception):
    """A record length failed its checksum: nothing after it can be framed."""

    def __init__(self, offset):
        super().__init__("corrupt record length at byte %d" % offset)
        self.offset = offset


def masked_crc32c(data):
    """Return the masked CRC-32C of ``data`` as TFRecord stores it."""
    crc = _crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


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
    """
    carry = b""
    with open(path, "rb") as stream:
        stream.seek(offset)
        read = stream.read
        want = chunk_size
        while True:
            chunk = read(want)
            if not chunk:
                break
            buffer = carry + chunk if carry else chunk
            consumed, needed = scan(buffer, offset)
            offset += consumed
            carry = buffer[consumed:] if consumed < len(buffer) else b""
            # A record larger than a chunk is read in one go once its
            # (checked) header says how big it is.
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
