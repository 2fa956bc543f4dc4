"""DType objects and ``as_dtype`` (pure Python; no native module needed)."""

import pickle

import numpy as np
import pytest

from symgrad import dtypes


def test_singletons_and_names():
    assert dtypes.float32.name == "float32"
    assert dtypes.float64 is dtypes.double
    assert [d.name for d in (dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64,
                             dtypes.uint8, dtypes.bool)] == [
        "int8", "int16", "int32", "int64", "uint8", "bool"]


def test_repr_and_str_follow_tf():
    assert repr(dtypes.float32) == "tf.float32"
    assert str(dtypes.int64) == "<dtype: 'int64'>"


def test_kind_flags():
    assert dtypes.float32.is_floating and not dtypes.float32.is_integer
    assert dtypes.int32.is_integer and not dtypes.int32.is_floating
    assert dtypes.bool.is_bool and not dtypes.bool.is_integer
    assert dtypes.uint8.is_unsigned and not dtypes.int8.is_unsigned


def test_numpy_types_and_limits():
    assert dtypes.float32.as_numpy_dtype is np.float32
    assert dtypes.bool.as_numpy_dtype is np.bool_
    assert dtypes.int32.min == -2147483648 and dtypes.int32.max == 2147483647
    assert dtypes.uint8.max == 255
    assert dtypes.float32.max == np.finfo(np.float32).max
    assert dtypes.float64.size == 8
    assert dtypes.float32.base_dtype is dtypes.float32
    with pytest.raises(TypeError, match="Cannot find minimum value"):
        dtypes.bool.min


@pytest.mark.parametrize("value, expected", [
    ("float", "float32"), ("float32", "float32"), ("double", "float64"), ("float64", "float64"),
    ("int32", "int32"), ("int64", "int64"), ("bool", "bool"), ("uint8", "uint8"),
    (np.float32, "float32"), (np.dtype("float64"), "float64"), (np.int16, "int16"),
    (float, "float32"), (bool, "bool"), (1, "float32"), (9, "int64"),
])
def test_as_dtype_accepts_tf_spellings(value, expected):
    assert dtypes.as_dtype(value).name == expected


def test_as_dtype_passes_dtypes_through():
    assert dtypes.as_dtype(dtypes.int8) is dtypes.int8


@pytest.mark.parametrize("value", ["bfloat16", "nonsense", int, 3.5, np.uint16])
def test_as_dtype_rejects(value):
    with pytest.raises(TypeError, match="Cannot convert the argument `type_value`"):
        dtypes.as_dtype(value)


def test_bfloat16_is_named_as_unsupported():
    with pytest.raises(TypeError, match="bfloat16 is not supported by symgrad"):
        dtypes.as_dtype("bfloat16")


def test_equality_and_hash():
    assert dtypes.float32 == "float32"
    assert dtypes.float32 == np.float32
    assert dtypes.float32 != dtypes.float64
    assert dtypes.float32 != "nonsense"
    assert dtypes.float32 != None  # noqa: E711
    assert {dtypes.float32: 1}[dtypes.as_dtype("float")] == 1


def test_pickle_keeps_identity():
    assert pickle.loads(pickle.dumps(dtypes.int16)) is dtypes.int16
