"""Immutable snapshots the index hands out (safe to pass between threads)."""

import math
import struct
from dataclasses import FrozenInstanceError, dataclass, field, fields
from types import MappingProxyType
from typing import Optional, Tuple

from spyder_tblogs.logs.diagnostics import Diagnostic  # noqa: F401
# The layout of ``RunInfo.row`` lives in rows.py; re-exported here, where the
# tree model has always found it.
from spyder_tblogs.logs.rows import (
    EVENT_FILE_FIELD_COUNT, EVENT_FILE_FIELDS, RUN_DIAGNOSTICS,
    RUN_FILE_COUNT, RUN_FILES, RUN_HPARAMS, RUN_LAST_MODIFIED, RUN_NAME,
    RUN_PATH, TAG_INFO_FIELDS,
)

__all__ = ["EventFileInfo", "TagInfo", "RunInfo", "IndexUpdate",
           "pack_series", "RUN_NAME", "RUN_PATH", "RUN_DIAGNOSTICS",
           "RUN_LAST_MODIFIED", "RUN_HPARAMS", "RUN_FILE_COUNT", "RUN_FILES",
           "TAG_FIELDS",
           "EVENT_FILE_FIELDS", "EVENT_FILE_FIELD_COUNT", "TAG_FIELD_COUNT",
           "run_file_field", "json_safe", "nonfinite_name", "flat_hparams"]


# One series point: step, wall time, value (three doubles).
_POINT = struct.Struct("<ddd")


def pack_series(points):
    """Pack ``(step, wall_time, value)`` points for :attr:`TagInfo.packed_series`."""
    return b"".join(_POINT.pack(*point) for point in points)


def nonfinite_name(value):
    """``'nan'``, ``'inf'`` or ``'-inf'`` for a non-finite float, else None:
    how JSON output names what it has to write as ``null``."""
    if value is None or math.isfinite(value):
        return None
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def json_safe(document):
    """``document`` with every non-finite float replaced by ``None``.

    JSON has no NaN or infinity, and a hostile file can put them anywhere
    (values, wall times), so the whole document goes through this once.
    """
    if isinstance(document, float):
        return document if math.isfinite(document) else None
    if isinstance(document, dict):
        return {key: json_safe(value) for key, value in document.items()}
    if isinstance(document, (list, tuple)):
        return [json_safe(value) for value in document]
    return document


@dataclass(frozen=True)
class EventFileInfo:
    """One event file as last read.

    Attributes
    ----------
    name, path : str
        Base name and absolute path.
    size : int
        Bytes on disk when last read.
    mtime : float
        Modification time when last read.
    host, pid, created, suffix
        Parsed from the name (``None`` where the writer omits them).
    events : int
        Records decoded (including the ``file_version`` header event).
    first_step, last_step
        Lowest and highest step of the events that carry data (summaries,
        graphs): how far training got, whatever order steps came in.
    first_wall_time, last_wall_time
        Of the first and last events that carry data, in file order.
    corrupt_records : int
        Records skipped because their data failed the checksum.
    partial_tail_bytes : int
        Bytes of an incomplete record at the end (a write in progress, or
        a truncated file).
    error : str or None
        Why the file could not be read to the end.
    undecodable_records : int
        Records intact on disk (checksums good) that are not events.
    """

    name: str
    path: str
    size: int
    mtime: float
    host: Optional[str]
    pid: Optional[int]
    created: Optional[float]
    suffix: Optional[str]
    events: int
    first_step: Optional[int]
    last_step: Optional[int]
    first_wall_time: Optional[float]
    last_wall_time: Optional[float]
    corrupt_records: int
    partial_tail_bytes: int
    error: Optional[str]
    undecodable_records: int = 0

    def to_dict(self):
        """Return the ``scan --json`` shape of this file."""
        return {
            "name": self.name, "size": self.size, "mtime": self.mtime,
            "host": self.host, "pid": self.pid, "created": self.created,
            "events": self.events, "first_step": self.first_step,
            "last_step": self.last_step,
            "first_wall_time": self.first_wall_time,
            "last_wall_time": self.last_wall_time,
            "corrupt_records": self.corrupt_records,
            "undecodable_records": self.undecodable_records,
            "partial_tail_bytes": self.partial_tail_bytes,
            "error": self.error,
        }


# EventFileInfo's fields are how files are laid in RunInfo.row.
if tuple(item.name for item in fields(EventFileInfo)) != EVENT_FILE_FIELDS:
    raise AssertionError("EventFileInfo's fields differ from rows.py's")


def run_file_field(row, position):
    """One field of every file of a run given as :attr:`RunInfo.row`.

    Parameters
    ----------
    row : tuple
    position : int
        Position of the field in :data:`EVENT_FILE_FIELDS`.

    Returns
    -------
    tuple
        The field's values, file by file, without building the files.
    """
    return row[RUN_FILES + position:
               RUN_FILES + row[RUN_FILE_COUNT] * EVENT_FILE_FIELD_COUNT:
               EVENT_FILE_FIELD_COUNT]


@dataclass(frozen=True)
class TagInfo:
    """One tag of a run, over all its event files.

    Attributes
    ----------
    tag : str
    kind : str
        TensorBoard plugin that shows it (``scalars``, ``histograms``,
        ``images``, ``audio``, ``text``, ``hparams``, ``pr_curves``,
        ``graphs``...; ``tensors`` for tensors without plugin metadata).
    count : int
        Values written (TensorBoard shows all of them with sampling off).
    first_step, last_step : int
        Lowest and highest step of its values.
    last_value : float or None
        Last scalar value (scalars only), in file-name then file order
        (TensorBoard's load order).
    last_wall_time : float or None
    min_value, max_value : float or None
        Scalars only: the smallest and largest finite value, read from every
        point (never a sample), and ``min_value_step``, ``max_value_step``,
        the steps of their first occurrence.
    nonfinite_step : int or None
        Scalars only: the step of the first value that is NaN or infinite
        (training that diverged), ``nonfinite_value`` that value and
        ``last_finite_value`` the value before it (``None`` if none).
    series : tuple of (int, float, float)
        Scalars only: bounded, evenly thinned ``(step, wall_time, value)``
        points for previews, always ending with the last point. Built on
        access from :attr:`packed_series`.
    packed_series : bytes
        The same points packed as little-endian doubles: a thousand tags'
        previews then cost a few megabytes instead of tens.
    """

    tag: str
    kind: str
    count: int
    first_step: int
    last_step: int
    last_value: Optional[float]
    last_wall_time: Optional[float]
    min_value: Optional[float] = None
    min_value_step: Optional[int] = None
    max_value: Optional[float] = None
    max_value_step: Optional[int] = None
    nonfinite_step: Optional[int] = None
    nonfinite_value: Optional[float] = None
    last_finite_value: Optional[float] = None
    packed_series: bytes = field(default=b"", repr=False)

    @property
    def series(self):
        """Preview points ``((step, wall_time, value), ...)``, oldest first."""
        return tuple((int(step), wall_time, value) for step, wall_time, value
                     in _POINT.iter_unpack(self.packed_series))

    def to_dict(self):
        """Return the ``scan --json`` shape of this tag."""
        return {"kind": self.kind, "count": self.count,
                "first_step": self.first_step, "last_step": self.last_step,
                "last_value": self.last_value,
                "last_value_nonfinite": nonfinite_name(self.last_value)}


# TagInfo's field names, in order (how tags are laid in RunInfo.row).
TAG_FIELDS = TAG_INFO_FIELDS
TAG_FIELD_COUNT = len(TAG_FIELDS)
if tuple(item.name for item in fields(TagInfo)) != TAG_FIELDS:
    raise AssertionError("TagInfo's fields differ from rows.py's")


class RunInfo:
    """One run: a directory holding event files.

    Attributes
    ----------
    name : str
        As TensorBoard names it: path relative to the log directory with
        ``/`` separators, ``.`` for the log directory itself.
    path : str
        Absolute directory.
    files : tuple of EventFileInfo
        Sorted by name (TensorBoard's load order).
    tags : Mapping[str, TagInfo]
        Read-only mapping, in order of first appearance.
    diagnostics : tuple of Diagnostic
    last_modified : float
        Latest modification time of its event files.
    hparams : Mapping[str, float or str or bool]
        Hyper-parameters written for the run (TensorBoard's hparams
        plugin), read-only, sorted by name.

    Notes
    -----
    Immutable, like a frozen dataclass. A run is kept as :attr:`row`, a
    tuple of plain values, and its files and tags are turned into
    :class:`EventFileInfo` and :class:`TagInfo` objects on access. Python's
    garbage collector stops tracking a tuple of plain values, whereas
    objects per run, file and tag make every full collection walk tens of
    thousands of containers when 10,000 runs are listed: a freeze of the
    GUI that holds them. The row is flat, the file and tag fields laid end
    to end in it, because the collector untracks one level of nested
    tuples per collection: a tuple of tuples may reach the oldest
    generation still tracked.
    """

    __slots__ = ("name", "path", "file_values", "tag_values", "diagnostics",
                 "last_modified", "hparam_values")

    def __init__(self, name, path, files, tags, diagnostics, last_modified,
                 hparams=None):
        self._init(name, path,
                   tuple(value for info in files for value in _file_row(info)),
                   tuple(value for info in tags.values()
                         for value in _tag_row(info)),
                   tuple(diagnostics), last_modified,
                   flat_hparams(hparams or {}))

    def _init(self, name, path, file_values, tag_values, diagnostics,
              last_modified, hparam_values):
        setter = object.__setattr__
        setter(self, "name", name)
        setter(self, "path", path)
        setter(self, "file_values", file_values)
        setter(self, "tag_values", tag_values)
        setter(self, "diagnostics", diagnostics)
        setter(self, "last_modified", last_modified)
        setter(self, "hparam_values", hparam_values)

    @classmethod
    def from_row(cls, row):
        """Build from :attr:`row` (how the index keeps runs).

        Parameters
        ----------
        row : tuple
            ``(name, path, diagnostics, last_modified, hparams, file
            count)`` (positions ``RUN_NAME`` ... ``RUN_FILE_COUNT``), then
            from ``RUN_FILES`` on, file after file, the
            ``EVENT_FILE_FIELD_COUNT`` fields of :class:`EventFileInfo` in
            their order, then tag after tag the ``TAG_FIELD_COUNT`` fields
            of :class:`TagInfo`.
            ``diagnostics`` is a tuple, ``hparams`` a flat tuple of names
            and values (see :func:`flat_hparams`).
        """
        tags_start = RUN_FILES + row[RUN_FILE_COUNT] * EVENT_FILE_FIELD_COUNT
        run = cls.__new__(cls)
        run._init(row[RUN_NAME], row[RUN_PATH], row[RUN_FILES:tags_start],
                  row[tags_start:], row[RUN_DIAGNOSTICS],
                  row[RUN_LAST_MODIFIED], row[RUN_HPARAMS])
        return run

    @property
    def row(self):
        """The run as one flat tuple of plain values (see :meth:`from_row`).

        Thousands of runs kept or handed over this way cost the garbage
        collector nothing; RunInfo objects are made from them when needed.
        """
        return (self.name, self.path, self.diagnostics, self.last_modified,
                self.hparam_values,
                len(self.file_values) // EVENT_FILE_FIELD_COUNT) + \
            self.file_values + self.tag_values

    @property
    def hparams(self):
        """Read-only mapping name -> value of the run's hyper-parameters."""
        values = self.hparam_values
        return MappingProxyType(dict(zip(values[::2], values[1::2])))

    @property
    def files(self):
        """The event files (:class:`EventFileInfo`), sorted by name."""
        return tuple(EventFileInfo(*row)
                     for row in _chunks(self.file_values,
                                        EVENT_FILE_FIELD_COUNT))

    @property
    def tags(self):
        """Read-only mapping tag -> :class:`TagInfo`, in order of first appearance."""
        return MappingProxyType({
            row[0]: TagInfo(*row)
            for row in _chunks(self.tag_values, TAG_FIELD_COUNT)})

    def __setattr__(self, name, value):
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name):
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self.row == other.row

    def __hash__(self):
        return hash(self.row)

    def __reduce__(self):
        return (RunInfo.from_row, (self.row,))

    def __repr__(self):
        return (f"RunInfo(name={self.name!r}, path={self.path!r}, "
                f"files={self.files!r}, tags={dict(self.tags)!r}, "
                f"diagnostics={self.diagnostics!r}, "
                f"last_modified={self.last_modified!r})")

    def to_dict(self):
        """Return the ``scan --json`` shape of this run."""
        return {
            "name": self.name,
            "path": self.path,
            "files": [info.to_dict() for info in self.files],
            "hparams": dict(self.hparams),
            "tags": {tag: info.to_dict() for tag, info in self.tags.items()},
            "diagnostics": [item.to_dict() for item in self.diagnostics],
        }


def flat_hparams(hparams):
    """A mapping of hyper-parameters as one flat tuple ``(name, value, ...)``
    sorted by name (how :attr:`RunInfo.row` keeps them)."""
    return tuple(item for name in sorted(hparams)
                 for item in (name, hparams[name]))


def _chunks(values, size):
    return tuple(values[start:start + size]
                 for start in range(0, len(values), size))


def _file_row(info):
    return tuple(getattr(info, name) for name in EVENT_FILE_FIELDS)


def _tag_row(info):
    return tuple(getattr(info, name) for name in TAG_FIELDS)


@dataclass(frozen=True)
class IndexUpdate:
    """What a refresh changed, by run name."""

    added: Tuple[str, ...] = ()
    changed: Tuple[str, ...] = ()
    removed: Tuple[str, ...] = ()

    @property
    def empty(self):
        """Whether nothing changed."""
        return not (self.added or self.changed or self.removed)
