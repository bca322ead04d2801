"""Scalar values from every tensor layout TensorFlow writes."""

import numpy as np
import pytest
from log_helpers import writers

from spyder_tblogs.logs.event_values import tensor_scalar

writers.without_tensorflow()
from tensorboard.util import tensor_util  # noqa: E402


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8",
                                   "int16", "int32", "int64", "uint8",
                                   "uint16", "uint32", "uint64", "bool"])
def test_typed_fields_and_packed_content(dtype):
    number = np.array(1 if dtype == "bool" else 7.5 if "float" in dtype else 7,
                      dtype=dtype)
    # make_tensor_proto fills the typed field (float_val, int_val, ...);
    # TensorFlow's C++ writer packs the bytes in tensor_content instead.
    typed = tensor_util.make_tensor_proto(number)
    packed = tensor_util.make_tensor_proto(number)
    for field in ("half_val", "float_val", "double_val", "int_val",
                  "int64_val", "uint32_val", "uint64_val", "bool_val"):
        packed.ClearField(field)
    packed.tensor_content = number.astype(number.dtype.newbyteorder("<")).tobytes()
    assert tensor_scalar(typed) == float(number)
    assert tensor_scalar(packed) == float(number)


def test_non_numeric_tensor_has_no_scalar_value():
    assert tensor_scalar(tensor_util.make_tensor_proto("text")) is None
    empty = tensor_util.make_tensor_proto(np.zeros([0], dtype="float32"))
    assert tensor_scalar(empty) is None
