"""Every scalar point of one event file, for an export.

The index's reader folds each record into per-tag aggregates (extremes,
regressions, step ranges) an export never uses; this scan keeps only the
points. It takes records exactly as the reader does (both checksums, the
same fast path for one-scalar records of a layout the protobuf parser has
vouched for, the same kind and value of each tag), so an export holds the
points the index and TensorBoard see.

Only framing happens a record at a time, in a loop that does nothing
else. Everything else is done a chunk at a time with numpy
(:mod:`~spyder_tblogs.logs.record_groups`): the data checksums are checked
a group of records of one length at a time, the records are grouped by
layout (the bytes after the step, but the value), and the groups of a
layout known to hold one scalar are decoded at once; lone values of a tag
known to hold no scalar (histograms, images) are grouped by tag and passed
over. The protobuf parser takes the rest in file order: the first record
of each new layout or tag (which teaches the scan about it), and whatever
else there is.
"""

import heapq
import struct
from array import array

import numpy
from google.protobuf.message import DecodeError
from tensorboard.compat.proto import event_pb2

from spyder_tblogs.logs.event_values import (
    is_scalar_record, tensor_scalar,
)
from spyder_tblogs.logs.file_state import MODE, new_tag_state
from spyder_tblogs.logs.record_groups import (
    RecordViews, after_step_ends, decode_scalars, intact_records,
    lone_value_tags, scalar_like, span_groups,
)
from spyder_tblogs.logs.records import (
    CHUNK_SIZE, FOOTER_SIZE, HEADER_SIZE, FramingError, check_length,
    iter_chunks, masked_crc32c,
)

__all__ = ["scalar_points", "run_series"]

_LENGTH_AND_CRC = struct.Struct("<QI").unpack_from
# What the reader files graph events under (they hold no scalars, but a
# tag first met as one keeps that kind).
_GRAPH_TAG = "__run_graph__"
# Caches of the scan are cleared past this many entries (hostile files).
_CACHE_LIMIT = 4096
# A tag's entry: its points (step, wall time, value triples), how its value
# is read, and the points the parser took from the chunk being scanned,
# with the record index of each (merged in file order with the groups').
_POINTS, _MODE, _PARSED_AT, _PARSED = 0, 1, 2, 3
# Bytes read at a time: most event files in one or two reads, so the numpy
# work of a chunk is done about once per file; memory stays some 3 times
# this per worker.
_SCAN_CHUNK_SIZE = 2 * CHUNK_SIZE
# A layout not seen yet (``None`` in the layouts means "not one scalar").
_UNSEEN = object()


def scalar_points(path):
    """``{tag: array('d') of step, wall_time, value triples}`` of ``path``.

    Tags come in order of first appearance; a tag that is not a scalar
    maps to ``None``. Reading stops at damage that cannot be framed past,
    or an I/O error, keeping the points before it, as the reader does.
    """
    scan = _FileScan()
    try:
        iter_chunks(path, 0, scan.chunk, _SCAN_CHUNK_SIZE)
    except (FramingError, OSError):
        pass
    return {tag: entry and entry[_POINTS]
            for tag, entry in scan.tags.items()}


def run_series(paths):
    """``{tag: [points of each file]}`` of a run's files (given by name),
    scalar tags in order of first appearance."""
    series = {}
    for path in paths:
        for tag, points in scalar_points(path).items():
            if points is not None:
                series.setdefault(tag, []).append(points)
    return series


class _FileScan:
    """The state of one file's scan, fed a chunk at a time."""

    def __init__(self):
        self.tags = {}
        # Checked headers -> record size (header, data and footer).
        self.record_sizes = {}
        # The order records of one length are checked in (see
        # intact_records).
        self.random = numpy.random.default_rng()
        # Layout -> the entry of the tag it is one scalar of, or None.
        self.layouts = {}
        # Tags (as bytes) known to hold no scalar.
        self.skipped = set()

    def chunk(self, buffer, base):
        """Take the complete records of ``buffer`` (see ``iter_chunks``)."""
        starts = array("q")
        position, needed, error = self._frame(buffer, base, starts)
        if starts:
            self._take(buffer, numpy.frombuffer(starts, numpy.int64))
        if error is not None:
            raise error
        return position, needed

    def _frame(self, buffer, base, starts):
        """Note where each complete record starts; ``(position, needed,
        error)`` as ``iter_chunks`` wants them, with the framing error that
        ended the chunk, if any."""
        record_sizes = self.record_sizes
        note_start = starts.append
        position, end = 0, len(buffer)
        # 12: HEADER_SIZE, a literal because a global lookup per record
        # costs more than the rest.
        while position + 12 <= end:
            header = buffer[position:position + 12]
            try:
                stop = position + record_sizes[header]
            except KeyError:
                length, length_crc = _LENGTH_AND_CRC(header)
                try:
                    if masked_crc32c(header[:8]) != length_crc:
                        raise FramingError(base + position)
                    check_length(length, base + position)
                except FramingError as error:
                    return position, 0, error
                if len(record_sizes) > _CACHE_LIMIT:
                    record_sizes.clear()
                record_sizes[header] = HEADER_SIZE + length + FOOTER_SIZE
                stop = position + record_sizes[header]
            if stop > end:
                return position, stop - position, None
            note_start(position)
            position = stop
        return position, 0, None

    def _take(self, buffer, starts):
        """Take the framed records of a chunk, in file order."""
        views = RecordViews(buffer)
        data = starts + HEADER_SIZE
        # Records are shorter than 2 GiB (check_length): the length's low
        # half.
        length = views.u32[starts].astype(numpy.int64)
        intact = intact_records(buffer, views, data, length, self.random)
        if not intact.all():       # damaged records: skipped, as TB does
            data, length = data[intact], length[intact]
        after_step = after_step_ends(views, data, length)
        parse = numpy.flatnonzero(after_step == 0).tolist()
        timed = numpy.flatnonzero(after_step)
        like = scalar_like(views, data[timed], length[timed])
        # The first record of each layout or tag not known yet is parsed
        # first: ``waiting`` holds the rest until then.
        waiting, groups = {}, []
        layouts = timed[like]
        layout_starts = data[layouts] + after_step[layouts]
        for members, layout in span_groups(
                buffer, views, layouts, layout_starts,
                data[layouts] + length[layouts] - 4 - layout_starts, parse):
            entry = self.layouts.get(layout, _UNSEEN)
            if entry is _UNSEEN:
                self._wait(members, layout, None, parse, waiting)
            elif entry is None:
                parse.extend(members.tolist())
            else:
                groups.append((entry, members))
        others = timed[~like]
        found, tag_starts, tag_sizes = lone_value_tags(
            views, data[others], length[others], after_step[others])
        parse.extend(others[~found].tolist())
        for members, tag in span_groups(buffer, views, others[found],
                                        tag_starts[found], tag_sizes[found],
                                        parse):
            if not self._holds_no_scalar(tag):
                self._wait(members, None, tag, parse, waiting)
        self._parse_in_order(buffer, data, length, after_step, parse,
                             waiting, groups)
        self._add_points(views, data, length, after_step, groups)

    @staticmethod
    def _wait(members, layout, tag, parse, waiting):
        first = int(members[0])
        parse.append(first)
        if len(members) > 1:
            waiting[first] = (members[1:], layout, tag)

    def _parse_in_order(self, buffer, data, length, after_step, parse,
                        waiting, groups):
        """Parse the records at indexes ``parse`` in file order. Once the
        first of a group is parsed, the rest of it joins ``groups`` if its
        layout proved to be one scalar, is passed over if its tag proved
        to hold no scalar, else joins ``parse``."""
        heapq.heapify(parse)
        event = event_pb2.Event()     # fresh per chunk: upb arenas only grow
        while parse:
            index = heapq.heappop(parse)
            start = data[index]
            self._parse(index, buffer[start:start + length[index]],
                        int(after_step[index]), event)
            if index not in waiting:
                continue
            members, layout, tag = waiting.pop(index)
            if tag is not None:
                if self._holds_no_scalar(tag):
                    continue
            else:
                entry = self.layouts.get(layout)
                if entry is not None:
                    groups.append((entry, members))
                    continue
            for member in members.tolist():
                heapq.heappush(parse, member)

    def _parse(self, index, record, after_step, event):
        """Take one record through the protobuf parser."""
        if after_step:
            if record[after_step:-4] in self.layouts:
                after_step = 0    # known not to be one scalar
        try:
            event.ParseFromString(record)
        except DecodeError:
            return                # intact, but not an event
        self._take_event(index, event, record, after_step)

    def _holds_no_scalar(self, tag):
        """Whether the scan already found ``tag`` (bytes) to hold no scalar;
        remembered (a tag's kind never changes once found)."""
        if tag in self.skipped:
            return True
        try:
            name = tag.decode("utf-8")
        except UnicodeDecodeError:
            return False        # the parser refuses it too: let it
        if name in self.tags and self.tags[name] is None:
            self.skipped.add(tag)
            return True
        return False

    def _take_event(self, index, event, record, after_step):
        """Fold a parsed event into the tags, learning its layout when it
        is the canonical record of one scalar (``after_step`` is where its
        step ends, 0 when not to learn)."""
        tags, layouts = self.tags, self.layouts
        what = event.WhichOneof("what")
        if what == "summary":
            step, wall = event.step, event.wall_time
            values = event.summary.value
            for value in values:
                tag = value.tag or value.node_name
                entry = tags.get(tag, False)
                if entry is False:
                    mode = new_tag_state(value, step, wall)[MODE]
                    entry = tags[tag] = ([array("d"), mode, array("q"),
                                          array("d")] if mode else None)
                if entry is None:
                    continue
                if entry[_MODE] == 1:
                    number = value.simple_value
                else:
                    number = tensor_scalar(value.tensor)
                    if number is None:
                        continue
                if after_step and len(values) == 1:
                    if len(layouts) > _CACHE_LIMIT:
                        layouts.clear()
                    layouts[record[after_step:-4]] = (
                        entry if is_scalar_record(record, after_step, tag,
                                                  entry[_MODE])
                        else None)
                entry[_PARSED_AT].append(index)
                entry[_PARSED].extend((step, wall, number))
        elif what == "tagged_run_metadata":
            tags.setdefault(event.tagged_run_metadata.tag, None)
        elif what in ("graph_def", "meta_graph_def"):
            tags.setdefault(_GRAPH_TAG, None)

    def _add_points(self, views, data, length, after_step, groups):
        """Append the chunk's points to their tags, in file order: the
        groups' (decoded here) merged with the parser's."""
        parts = {}
        if groups:
            # One decode for all the groups of the chunk, then split.
            members = numpy.concatenate([group for _, group in groups])
            decoded = decode_scalars(views, data[members], length[members],
                                     after_step[members])
            start = 0
            for entry, group in groups:
                stop = start + len(group)
                parts.setdefault(id(entry), (entry, []))[1].append(
                    (group, decoded[start:stop]))
                start = stop
        for entry in self.tags.values():
            if entry is not None and entry[_PARSED_AT]:
                # Copies: the arrays are emptied for the next chunk.
                parts.setdefault(id(entry), (entry, []))[1].append((
                    numpy.frombuffer(entry[_PARSED_AT], numpy.int64).copy(),
                    numpy.frombuffer(entry[_PARSED]).reshape(-1, 3).copy()))
                del entry[_PARSED_AT][:]
                del entry[_PARSED][:]
        for entry, pieces in parts.values():
            if len(pieces) == 1:
                points = pieces[0][1]
            else:
                order = numpy.argsort(
                    numpy.concatenate([at for at, _ in pieces]),
                    kind="stable")
                points = numpy.concatenate(
                    [points for _, points in pieces])[order]
            entry[_POINTS].frombytes(
                numpy.ascontiguousarray(points).reshape(-1).view(numpy.uint8))
