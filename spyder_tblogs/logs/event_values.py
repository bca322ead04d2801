"""Values inside events: scalars of every dtype, hyper-parameters, and the
byte layout of one-scalar records that the reader's fast path relies on.
"""

import struct

from google.protobuf.message import DecodeError

from spyder_tblogs.logs.file_state import SIMPLE_VALUE

__all__ = ["tensor_scalar", "hparams_of", "is_scalar_record", "read_step",
           "HPARAMS_START_TAG"]

# TensorBoard's hparams plugin: the summary that holds a run's values.
HPARAMS_PLUGIN = "hparams"
HPARAMS_START_TAG = "_hparams_/session_start_info"

# tensor_content layouts of 0-d tensors, by TensorFlow DataType number.
_CONTENT_FORMATS = {
    1: "<f", 2: "<d", 3: "<i", 4: "<B", 5: "<h", 6: "<b", 9: "<q",
    10: "<?", 17: "<H", 19: "<e", 22: "<I", 23: "<Q",
}
_DT_BFLOAT16 = 14
_DT_HALF = 19



def tensor_scalar(tensor):
    """Return the value of a 0-d ``TensorProto`` as a float, or ``None``.

    Handles every dtype TensorFlow writes for scalar summaries, whether the
    value is packed in ``tensor_content`` (what TensorFlow 2 writes, checked
    first) or sits in a typed field.
    """
    content = tensor.tensor_content
    if content:
        unpack = _CONTENT_UNPACKERS.get(tensor.dtype)
        if unpack is None:
            return None
        try:
            return float(unpack(content)[0])
        except struct.error:     # shorter than one element
            return None
    if tensor.float_val:
        return tensor.float_val[0]
    if tensor.double_val:
        return tensor.double_val[0]
    if tensor.half_val:
        bits = tensor.half_val[0]
        if tensor.dtype == _DT_BFLOAT16:
            return struct.unpack("<f", struct.pack("<I", bits << 16))[0]
        return struct.unpack("<e", struct.pack("<H", bits))[0]
    for values in (tensor.int_val, tensor.int64_val, tensor.uint32_val,
                   tensor.uint64_val, tensor.bool_val):
        if values:
            return float(values[0])
    return None


def _unpack_bfloat16(content):
    return struct.unpack("<f", b"\0\0" + bytes(content[:2]))


_CONTENT_UNPACKERS = {dtype: struct.Struct(layout).unpack_from
                      for dtype, layout in _CONTENT_FORMATS.items()}
_CONTENT_UNPACKERS[_DT_BFLOAT16] = _unpack_bfloat16


def hparams_of(value):
    """The hyper-parameters in an hparams ``session_start_info`` value, as a
    dict of name -> float, str or bool (``{}`` if they cannot be read)."""
    from tensorboard.plugins.hparams import plugin_data_pb2

    data = plugin_data_pb2.HParamsPluginData()
    try:
        data.ParseFromString(value.metadata.plugin_data.content)
    except DecodeError:
        return {}
    found = {}
    for name, item in data.session_start_info.hparams.items():
        which = item.WhichOneof("kind")
        if which in ("number_value", "string_value", "bool_value"):
            found[name] = getattr(item, which)
    return found


def _encode_varint(number):
    """Return the protobuf varint encoding of a non-negative ``number``."""
    encoded = bytearray()
    while number > 0x7F:
        encoded.append(number & 0x7F | 0x80)
        number >>= 7
    encoded.append(number)
    return bytes(encoded)


def read_step(data, start):
    """Decode the int64 varint at ``data[start:]`` as protobuf does.

    Returns ``(step, end)``, or ``(0, 0)`` when it is not a valid varint.
    """
    number = shift = 0
    position = start
    limit = min(len(data), start + 10)
    while position < limit:
        byte = data[position]
        position += 1
        number |= (byte & 0x7F) << shift
        if byte < 0x80:
            number &= 0xFFFFFFFFFFFFFFFF
            if number >= 0x8000000000000000:
                number -= 0x10000000000000000
            return number, position
        shift += 7
    return 0, 0


def is_scalar_record(data, after_step, tag, mode):
    """Whether ``data`` is exactly the canonical record of one scalar.

    The record must be::

        Event{wall_time (fixed64), step (varint, ends at ``after_step``),
              summary{value{tag, simple_value}}}              # mode 1
        Event{wall_time, step, summary{value{tag, tensor{
              dtype: DT_FLOAT, tensor_shape{}, tensor_content: 4 bytes}}}}
                                                              # mode 2

    Then any record made of ``09 <8 bytes> 10 <varint>``, the same bytes as
    ``data[after_step:-4]`` and 4 more bytes decodes, by the wire format
    alone, to this tag with those 4 bytes as a little-endian float32: the
    reader can take such records apart without the protobuf parser and
    stay exact. Metadata, more values or fields, and non-canonical
    encodings all fail the comparison.
    """
    tag = tag.encode("utf-8")
    number = data[-4:]
    if mode == SIMPLE_VALUE:
        payload = b"\x15" + number
    else:
        tensor = b"\x08\x01\x12\x00\x22\x04" + number
        payload = b"\x42" + _encode_varint(len(tensor)) + tensor
    value = b"\x0a" + _encode_varint(len(tag)) + tag + payload
    summary = b"\x0a" + _encode_varint(len(value)) + value
    return data == (data[:after_step] + b"\x2a"
                    + _encode_varint(len(summary)) + summary)


