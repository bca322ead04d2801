"""The export's scan against the index's reader, on event files built by
Hypothesis from the records writers produce and some they never should.

The scan frames records one at a time but takes them apart in groups with
numpy (by layout, by tag); the reader parses its way through. Whatever the
records, the chunk size and the damage, both keep the same points of the
same tags in the same order.
"""

import os
import struct

import crc32c
import numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tensorboard.compat.proto import event_pb2, summary_pb2

from spyder_tblogs.logs import export, export_scan, record_groups
from spyder_tblogs.logs.records import (
    MASK_DELTA, frame_record, mask_crc, masked_crc32c,
)

FUZZ = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
# Families of tags whose layouts' keys collide: same lengths, same last
# bytes, shared prefixes, and two long tags apart only where a key does
# not look.
TAG_FAMILIES = [
    ["train/loss", "valid/loss", "epoch_loss", "metrics/f1"],
    ["a/x1/loss", "a/x2/loss", "lr"],
    ["model/l0a/attention/query/weights/grad_norm",
     "model/l0b/attention/query/weights/grad_norm"],
    ["hist/w", "text/note", "acc_%", "lr"]]
# Steps of 1 to 5 varint bytes, none (0 is not written), negative ones.
STEPS = st.one_of(st.integers(1, 300), st.integers(0, 2**35),
                  st.integers(-2**40, -1))
FLOATS = st.floats(width=32)


def _event(step, wall, **summary_fields):
    return event_pb2.Event(step=step, wall_time=wall, **summary_fields)


def _simple(tag, number):
    return summary_pb2.Summary.Value(tag=tag, simple_value=number)


def _tensor(tag, number, plugin=None):
    value = summary_pb2.Summary.Value(tag=tag)
    value.tensor.dtype = 1                       # DT_FLOAT
    value.tensor.tensor_content = struct.pack("<f", number)
    value.tensor.tensor_shape.SetInParent()
    if plugin:
        value.metadata.plugin_data.plugin_name = plugin
    return value


def _histogram(tag, number):
    value = summary_pb2.Summary.Value(tag=tag)
    value.histo.min, value.histo.max = number, number + 1
    value.histo.bucket_limit.extend([number, number + 1])
    value.histo.bucket.extend([1.0, 2.0])
    return value


def _text(tag, number, repeat=1):
    value = summary_pb2.Summary.Value(tag=tag)
    value.tensor.dtype = 7                       # DT_STRING
    value.tensor.string_val.append(b"%r" % number * repeat)
    value.metadata.plugin_data.plugin_name = "text"
    return value


VALUE_KINDS = {"simple": _simple, "tensor": _tensor,
               "tensor+meta": lambda tag, number: _tensor(tag, number,
                                                          "scalars"),
               "histogram": _histogram, "text": _text,
               # Sizes of 3 varint bytes (over 16 kB).
               "long text": lambda tag, number: _text(tag, number, 2000)}
# How a tag is written at each step. "tf2": TF2's tf.summary writes the
# plugin metadata once, then bare tensors.
WRITING = ["simple", "tf2", "tensor+meta", "tensor", "histogram", "text",
           "long text"]


@st.composite
def training(draw, tags):
    """The records of a training loop logging ``tags`` at each step."""
    # Mostly one way for all: tags written alike are the ones that collide.
    usual = draw(st.sampled_from(WRITING))
    writing = {tag: draw(st.sampled_from([usual] * 3 + WRITING))
               for tag in tags}
    written = []
    for step in draw(st.lists(STEPS, max_size=25)):
        wall = draw(st.floats(1, 2e9))
        for tag in tags:
            kind = writing[tag]
            if kind == "tf2":
                kind = "tensor" if written else "tensor+meta"
            value = VALUE_KINDS[kind](tag, draw(FLOATS))
            written.append(_event(step, wall, summary=summary_pb2.Summary(
                value=[value])).SerializeToString())
    return written


@st.composite
def odd_records(draw, tags):
    """The data of a record a writer seldom or never writes."""
    kind = draw(st.sampled_from(
        ["two values", "version", "graph", "garbage", "empty summary",
         "bad utf-8 tag", "damaged"]))
    step, wall = draw(STEPS), draw(st.floats(1, 2e9))
    if kind in ("two values", "damaged"):
        values = [VALUE_KINDS[draw(st.sampled_from(sorted(VALUE_KINDS)))](
            draw(st.sampled_from(tags)), draw(FLOATS))
            for _ in range(2 if kind == "two values" else 1)]
        data = _event(step, wall,
                      summary=summary_pb2.Summary(value=values))
        data = data.SerializeToString()
        if kind == "damaged":    # framed with the CRC of other bytes
            return ("damaged", data)
        return data
    if kind == "version":
        return _event(0, wall, file_version="brain.Event:2") \
            .SerializeToString()
    if kind == "graph":
        return _event(step, wall, graph_def=b"\x0a\x01x").SerializeToString()
    if kind == "garbage":
        return draw(st.binary(max_size=40))
    # Hand-made: a wall time, a 4-byte step, then an empty summary, or a
    # summary whose one value has a tag that is not UTF-8.
    head = b"\x09" + struct.pack("<d", wall) + b"\x10\x81\x80\x80\x01"
    if kind == "empty summary":
        return head + b"\x2a\x00"
    value = b"\x0a\x02\xff\xfe\x15" + struct.pack("<f", draw(FLOATS))
    return head + b"\x2a" + bytes([len(value) + 2, 0x0a, len(value)]) + value


def _frame(record):
    if isinstance(record, tuple):
        framed = bytearray(frame_record(record[1]))
        framed[-1] ^= 0xFF
        return bytes(framed)
    return frame_record(record)


def _as_bytes(series):
    """Comparable series (NaN equals itself as bytes), in tag order."""
    return [(tag, [points.tobytes() for points in parts])
            for tag, parts in series.items()]


@FUZZ
@given(data=st.data(), repeats=st.integers(1, 4), cut=st.integers(0, 40),
       chunk_size=st.sampled_from([64, 500, 4096, 1 << 22]))
def test_the_scan_keeps_what_the_reader_keeps(
        tmp_path, monkeypatch, data, repeats, cut, chunk_size):
    # A family of tags per file, so that their records meet in groups;
    # odd records among them; a cut leaves a partial record at the end.
    tags = data.draw(st.sampled_from(TAG_FAMILIES))
    content = data.draw(training(tags))
    for _ in range(data.draw(st.integers(0, 6))):
        content.insert(data.draw(st.integers(0, len(content))),
                       data.draw(odd_records(tags)))
    written = b"".join(_frame(record) for record in content) * repeats
    written = written[:max(len(written) - cut, 0)]
    path = os.path.join(str(tmp_path), "events.out.tfevents.1.host")
    with open(path, "wb") as stream:
        stream.write(written)
    monkeypatch.setattr(export_scan, "_SCAN_CHUNK_SIZE", chunk_size)
    states = export._read({path: len(written)}, 0, 1, None)
    assert (_as_bytes(export_scan.run_series([path]))
            == _as_bytes(export._run_series([path], states)))


@FUZZ
@given(data=st.data(), count=st.integers(1, 200), size=st.integers(0, 70),
       same_damage=st.booleans())
def test_records_of_one_length_are_checked_together_exactly(
        data, count, size, same_damage):
    # Real framing around random data; some records damaged in their data
    # or their footer, all the same way or each its own.
    payloads = [data.draw(st.binary(min_size=size, max_size=size))
                for _ in range(min(count, 3))]
    framed = [bytearray(frame_record(payloads[index % len(payloads)]))
              for index in range(count)]
    damaged = data.draw(st.sets(st.integers(0, count - 1), max_size=4))
    flip = None
    for index in sorted(damaged):
        if flip is None or not same_damage:
            flip = (data.draw(st.integers(12, 12 + size + 3)),
                    1 << data.draw(st.integers(0, 7)))
        framed[index][flip[0]] ^= flip[1]
    buffer = b"".join(framed)
    starts = numpy.arange(count, dtype=numpy.int64) * (size + 16)
    intact = record_groups.intact_records(
        buffer, record_groups.RecordViews(buffer), starts + 12,
        numpy.full(count, size, numpy.int64), numpy.random.default_rng())
    expected = [masked_crc32c(bytes(record[12:-4]))
                == struct.unpack("<I", record[-4:])[0] for record in framed]
    assert intact.tolist() == expected


class _InOrder:
    """A stand-in for the random order: the records as they come."""

    @staticmethod
    def permutation(values):
        return values


def _unmasked_rows(framed):
    """Each record's data and unmasked CRC, as the group check sees it."""
    rows = []
    for record in framed:
        masked = struct.unpack("<I", record[-4:])[0]
        value = (masked - MASK_DELTA) & 0xFFFFFFFF
        value = ((value << 15) | (value >> 17)) & 0xFFFFFFFF
        rows.append(bytes(record[12:-4]) + struct.pack("<I", value))
    return rows


def _footer_cancelling(rows, first, second):
    """The 32-bit change of row ``second``'s CRC whose effect on the CRC of
    all the rows end to end cancels that of a bit flipped in row
    ``first``'s data (solved over GF(2), one column per bit)."""
    def effect(row, offset, mask):
        changed = list(rows)
        flipped = bytearray(changed[row])
        flipped[offset] ^= mask
        changed[row] = bytes(flipped)
        return crc32c.crc32c(b"".join(changed)) ^ crc32c.crc32c(
            b"".join(rows))

    target = effect(first, 0, 1)
    size = len(rows[second])
    columns = [(effect(second, size - 4 + bit // 8, 1 << bit % 8), 1 << bit)
               for bit in range(32)]
    solution, pivots = 0, []
    for column, choice in columns:          # Gaussian elimination
        for pivot, (pivot_column, pivot_choice) in pivots:
            if column >> pivot & 1:
                column ^= pivot_column
                choice ^= pivot_choice
        if column:
            pivots.append((column.bit_length() - 1, (column, choice)))
    for pivot, (column, choice) in sorted(pivots, reverse=True):
        if target >> pivot & 1:
            target ^= column
            solution ^= choice
    assert target == 0
    return solution


def test_damage_made_to_cancel_out_is_still_found():
    # Two damaged records whose effects on the group's CRC cancel when the
    # records are taken in file order: the random order finds them.
    count, size = 100, 24
    framed = [bytearray(frame_record(bytes([index]) * size))
              for index in range(count)]
    rows = _unmasked_rows(framed)
    change = _footer_cancelling(rows, 10, 60)
    framed[10][12] ^= 1
    masked = struct.unpack("<I", framed[60][-4:])[0]
    unmasked = struct.unpack("<I", rows[60][-4:])[0] ^ change
    framed[60][-4:] = struct.pack("<I", mask_crc(unmasked))
    buffer = b"".join(framed)
    assert struct.unpack("<I", framed[60][-4:])[0] != masked
    views = record_groups.RecordViews(buffer)
    starts = numpy.arange(count, dtype=numpy.int64) * (size + 16) + 12
    lengths = numpy.full(count, size, numpy.int64)
    expected = [index not in (10, 60) for index in range(count)]
    fooled = record_groups.intact_records(buffer, views, starts, lengths,
                                          _InOrder())
    assert fooled.all()              # in file order, the damage cancels
    for seed in range(5):
        intact = record_groups.intact_records(
            buffer, views, starts, lengths, numpy.random.default_rng(seed))
        assert intact.tolist() == expected
