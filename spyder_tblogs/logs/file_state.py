"""What the reader remembers of one event file between reads.

A :class:`FileState` is small and picklable (it crosses to reader worker
processes and back); its per-tag state is a plain list laid out as
:data:`~spyder_tblogs.logs.rows.TAG_STATE_FIELDS`, because the reader's loop
touches it millions of times.
"""

from array import array

# The tag-state and series layouts live in rows.py; re-exported here, where
# the reader's callers have always found them.
from spyder_tblogs.logs.rows import (
    COUNT, FIRST_STEP, FIRST_WALL, KIND, LAST_STEP, LAST_VALUE, LAST_WALL,
    MAX_STEP, MAX_VALUE, MAX_VALUE_STEP, MIN_STEP, MIN_VALUE, MIN_VALUE_STEP,
    MODE, NONFINITE, POINTS, REGRESSIONS, SEEN, SERIES, STRIDE,
)

_INF = float("inf")

__all__ = ["FileState", "SERIES_POINTS", "TAIL_BYTES", "thin_series",
           "new_tag_state", "new_event_tag_state", "COUNT", "FIRST_STEP",
           "LAST_STEP", "MIN_STEP", "MAX_STEP", "LAST_WALL", "LAST_VALUE",
           "KIND", "MODE", "SERIES", "REGRESSIONS", "FIRST_WALL", "MIN_VALUE",
           "MIN_VALUE_STEP", "MAX_VALUE", "MAX_VALUE_STEP", "NONFINITE",
           "NO_VALUE", "SIMPLE_VALUE", "TENSOR_VALUE", "STRIDE", "SEEN",
           "POINTS"]

# Points kept per series; older points are thinned (every other dropped).
SERIES_POINTS = 256
# Bytes kept from just before the read offset: when they change, the file
# was rewritten rather than appended to, and is read again from the start.
TAIL_BYTES = 8

# Legacy (TF1, tensorboardX, PyTorch) value fields -> TensorBoard plugin,
# as tensorboard/data_compat.py migrates them.
_LEGACY_KINDS = {
    "simple_value": "scalars",
    "histo": "histograms",
    "image": "images",
    "audio": "audio",
}

# How a tag's scalar value is read (its state's MODE).
NO_VALUE, SIMPLE_VALUE, TENSOR_VALUE = 0, 1, 2


class FileState:
    """Everything the index remembers about one event file.

    Plain attributes so the object pickles cheaply between processes.

    Attributes
    ----------
    path : str
        Absolute path of the file.
    series_limit : int or None
        Points kept per scalar series (older ones thinned), or ``None``
        to keep every point (an export).
    identity : tuple or None
        ``(st_dev, st_ino)`` when last read: a new identity means the file
        was replaced and is read again from the start.
    size, mtime : int, float
        Size and modification time seen by the last read.
    grew_at : float
        When a refresh last saw the size grow (0 if never).
    tail : bytes
        The bytes just before ``offset`` (up to ``TAIL_BYTES``).
    offset : int
        Byte offset of the first record not yet read (the start of a
        partial record when the file ends with one).
    events, data_events : int
        Records decoded; those that carry summaries or graphs.
    first_step, last_step, first_wall_time, last_wall_time
        Of the data events, in file order.
    corrupt_records : int
        Records skipped because their data failed its checksum.
    first_corrupt_offset : int or None
        Byte offset of the first such record.
    undecodable_records : int
        Records whose checksum is good but whose bytes are not an event.
    first_undecodable_offset : int or None
        Byte offset of the first such record.
    error : str or None
        Why reading stopped for good (corrupt length) or failed (I/O).
    error_offset : int or None
        Byte offset of a corrupt record length.
    error_bytes : bytes or None
        The file's bytes at ``error_offset`` (a header): when they change,
        the file was repaired and is read again from there.
    regressions : int
        Values whose step went back compared with the same tag's previous
        value in this file.
    first_regression : tuple or None
        ``(tag, previous_step, step)`` of the first regression.
    hparams : dict
        Hyper-parameters of the run written into this file (TensorBoard's
        hparams plugin), name -> float, str or bool.
    tags : dict
        Tag -> tag-state list (see the ``COUNT``... index constants).
    """

    def __init__(self, path, series_limit=SERIES_POINTS):
        self.path = path
        self.series_limit = series_limit
        self.identity = None
        self.size = 0
        self.mtime = 0.0
        self.grew_at = 0.0
        self.reset()

    def reset(self):
        """Forget everything read (the file shrank or was replaced)."""
        self.offset = 0
        self.tail = b""
        self.size_read = 0
        self.events = 0
        self.data_events = 0
        self.first_step = None
        self.last_step = None
        self.first_wall_time = None
        self.last_wall_time = None
        self.corrupt_records = 0
        self.first_corrupt_offset = None
        self.undecodable_records = 0
        self.first_undecodable_offset = None
        self.clear_error()
        self.regressions = 0
        self.first_regression = None
        self.hparams = {}
        self.tags = {}

    def clear_error(self):
        """Forget why reading stopped: read on from ``offset`` next time."""
        self.error = None
        self.error_offset = None
        self.error_bytes = None

    @property
    def last_change(self):
        """When the file last changed as far as anyone can tell: its mtime,
        or when a refresh saw it grow (NTFS may move the mtime only when
        the writer closes the file)."""
        return max(self.mtime, self.grew_at)

    @property
    def step_range(self):
        """``(lowest, highest)`` step of the data read, or ``(None, None)``:
        how far training got, whatever order the steps came in."""
        tags = self.tags.values()
        if not tags:
            return None, None
        return (min(tag_state[MIN_STEP] for tag_state in tags),
                max(tag_state[MAX_STEP] for tag_state in tags))

    @property
    def partial_tail_bytes(self):
        """Bytes of an incomplete record at the end of the file, if any."""
        if self.error is not None:
            return 0
        return max(0, self.size_read - self.offset)


def new_tag_state(value, step, wall_time):
    """Return the state of a tag first met in ``value``.

    The kind is what TensorBoard files the tag under: the plugin named in
    the first value's metadata, or the plugin legacy value fields migrate
    to; a tensor without plugin metadata stays a plain tensor.
    """
    field = value.WhichOneof("value")
    kind = _LEGACY_KINDS.get(field)
    if kind is None:
        kind = value.metadata.plugin_data.plugin_name or (
            "tensors" if field == "tensor" else "unknown")
    if field == "simple_value":
        mode = SIMPLE_VALUE
    elif kind == "scalars":
        mode = TENSOR_VALUE
    else:
        mode = NO_VALUE
    # A series: [STRIDE, SEEN, POINTS].
    series = [1, 0, array("d")] if mode else None
    return _tag_state(kind, mode, series, step, wall_time)


def new_event_tag_state(kind, step, wall_time):
    """Return the state of a tag of graph events (no values)."""
    return _tag_state(kind, NO_VALUE, None, step, wall_time)


def _tag_state(kind, mode, series, step, wall_time):
    # In the order of rows.TAG_STATE_FIELDS (tests/logs/test_logs_rows.py).
    return [0, step, step, step, step, wall_time, None, kind, mode, series, 0,
            wall_time, _INF, None, -_INF, None, None]


def thin_series(series):
    """Drop every other kept point and double the stride (in place)."""
    points = series[POINTS]
    kept = array("d")
    for index in range(0, len(points), 6):
        kept.extend(points[index:index + 3])
    series[POINTS] = kept
    series[STRIDE] *= 2


