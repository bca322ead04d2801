"""The positional row layouts of the index, each derived from one field list.

The index keeps its bulk data as flat tuples and lists of plain values on
purpose: Python's garbage collector stops tracking a tuple of plain values,
whereas a namedtuple or an object per run, file and tag stays a container
that every full collection walks (a visible freeze with 10,000 runs). The
price is positions instead of names; this module is the one place that
states them. Each layout is a tuple of field names, its position constants
spelled ``PREFIX + NAME`` (written out so that a reader and a linter see
them), and :func:`check_layout` proves the two agree when the module loads.
"""

__all__ = [
    "check_layout", "LAYOUTS",
    "DISCOVERED_FILE_FIELDS", "DISCOVERED_FILE_FIELD_COUNT", "FILE_NAME",
    "FILE_PATH", "FILE_SIZE", "FILE_MTIME", "FILE_DEVICE", "FILE_INODE",
    "TAG_STATE_FIELDS", "COUNT", "FIRST_STEP", "LAST_STEP", "MIN_STEP",
    "MAX_STEP", "LAST_WALL", "LAST_VALUE", "KIND", "MODE", "SERIES",
    "REGRESSIONS", "FIRST_WALL", "MIN_VALUE", "MIN_VALUE_STEP", "MAX_VALUE",
    "MAX_VALUE_STEP", "NONFINITE",
    "SERIES_FIELDS", "STRIDE", "SEEN", "POINTS",
    "REST_FIELDS", "REST_PATH", "REST_DEVICE", "REST_INODE", "REST_SIZE",
    "REST_MTIME", "REST_OFFSET", "REST_SIZE_READ", "REST_EVENTS",
    "REST_CORRUPT", "REST_UNDECODABLE", "REST_ERROR", "REST_ERROR_OFFSET",
    "REST_ERROR_BYTES", "REST_LAST_CHANGE", "REST_MAY_GO_STALE", "REST_PICKLE",
    "NAME_PART_FIELDS",
    "RUN_FIELDS", "RUN_NAME", "RUN_PATH", "RUN_DIAGNOSTICS",
    "RUN_LAST_MODIFIED", "RUN_HPARAMS", "RUN_FILE_COUNT", "RUN_FILES",
    "EVENT_FILE_FIELDS", "EVENT_FILE_FIELD_COUNT",
    "TAG_INFO_FIELDS", "TAG_INFO_FIELD_COUNT",
]


def check_layout(namespace, prefix, fields):
    """Raise ``AssertionError`` unless ``namespace[prefix + NAME]`` is the
    position of every ``name`` of ``fields``."""
    for position, name in enumerate(fields):
        constant = prefix + name.upper()
        if namespace.get(constant) != position:
            raise AssertionError("%s is %r, the layout puts %r at %d" % (
                constant, namespace.get(constant), name, position))


# A discovered event file (``Discovery.runs`` lays them end to end in one
# flat tuple per run), from one ``os.stat``.
DISCOVERED_FILE_FIELDS = ("name", "path", "size", "mtime", "device", "inode")
DISCOVERED_FILE_FIELD_COUNT = len(DISCOVERED_FILE_FIELDS)
FILE_NAME, FILE_PATH, FILE_SIZE, FILE_MTIME, FILE_DEVICE, FILE_INODE = range(6)

# A tag's state in a FileState: a list, which the reader's loop indexes
# millions of times. ``min_value`` ... ``max_value_step`` are the smallest
# and largest finite scalar and their steps; ``nonfinite`` the first value
# that was not finite as (step, value, last value before it).
TAG_STATE_FIELDS = (
    "count", "first_step", "last_step", "min_step", "max_step", "last_wall",
    "last_value", "kind", "mode", "series", "regressions", "first_wall",
    "min_value", "min_value_step", "max_value", "max_value_step", "nonfinite")
(COUNT, FIRST_STEP, LAST_STEP, MIN_STEP, MAX_STEP, LAST_WALL, LAST_VALUE,
 KIND, MODE, SERIES, REGRESSIONS, FIRST_WALL, MIN_VALUE, MIN_VALUE_STEP,
 MAX_VALUE, MAX_VALUE_STEP, NONFINITE) = range(17)

# A tag state's series: [stride, points seen, array('d') of step, wall_time,
# value triples].
SERIES_FIELDS = ("stride", "seen", "points")
STRIDE, SEEN, POINTS = range(3)

# A FileState at rest between refreshes: the fields a refresh compares, then
# the pickled FileState.
REST_FIELDS = (
    "path", "device", "inode", "size", "mtime", "offset", "size_read",
    "events", "corrupt", "undecodable", "error", "error_offset",
    "error_bytes", "last_change", "may_go_stale", "pickle")
(REST_PATH, REST_DEVICE, REST_INODE, REST_SIZE, REST_MTIME, REST_OFFSET,
 REST_SIZE_READ, REST_EVENTS, REST_CORRUPT, REST_UNDECODABLE, REST_ERROR,
 REST_ERROR_OFFSET, REST_ERROR_BYTES, REST_LAST_CHANGE, REST_MAY_GO_STALE,
 REST_PICKLE) = range(16)

# What the index parses from an event file's name, kept per path (the
# EventFileName fields a snapshot shows).
NAME_PART_FIELDS = ("host", "pid", "created", "suffix")

# The head of ``RunInfo.row``; the files' fields start at RUN_FILES, file
# after file (EVENT_FILE_FIELDS), then tag after tag (TAG_INFO_FIELDS).
RUN_FIELDS = ("name", "path", "diagnostics", "last_modified", "hparams",
              "file_count")
(RUN_NAME, RUN_PATH, RUN_DIAGNOSTICS, RUN_LAST_MODIFIED, RUN_HPARAMS,
 RUN_FILE_COUNT) = range(6)
RUN_FILES = len(RUN_FIELDS)

# EventFileInfo's fields in order (info.py checks its dataclass against it).
EVENT_FILE_FIELDS = (
    "name", "path", "size", "mtime", "host", "pid", "created", "suffix",
    "events", "first_step", "last_step", "first_wall_time", "last_wall_time",
    "corrupt_records", "partial_tail_bytes", "error", "undecodable_records")
EVENT_FILE_FIELD_COUNT = len(EVENT_FILE_FIELDS)

# TagInfo's fields in order (info.py checks its dataclass against it).
TAG_INFO_FIELDS = (
    "tag", "kind", "count", "first_step", "last_step", "last_value",
    "last_wall_time", "min_value", "min_value_step", "max_value",
    "max_value_step", "nonfinite_step", "nonfinite_value",
    "last_finite_value", "packed_series")
TAG_INFO_FIELD_COUNT = len(TAG_INFO_FIELDS)

# (prefix, fields) of every layout spelled as constants here.
LAYOUTS = (("FILE_", DISCOVERED_FILE_FIELDS), ("", TAG_STATE_FIELDS),
           ("", SERIES_FIELDS), ("REST_", REST_FIELDS), ("RUN_", RUN_FIELDS))

for _prefix, _fields in LAYOUTS:
    check_layout(globals(), _prefix, _fields)
del _prefix, _fields
