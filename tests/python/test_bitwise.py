"""tf.bitwise (BitwiseAnd/Or/Xor, LeftShift, RightShift, Invert) and PopulationCount: values
for every integer dtype, broadcasting, TF's shift clamping, errors and gradients (None).
Expected values were recorded from TF 2.21."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402

INT_TYPES = [tf.int8, tf.int16, tf.int32, tf.int64, tf.uint8]


def _run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


@pytest.mark.parametrize("dtype", INT_TYPES)
def test_and_or_xor_broadcast(dtype):
    with tf.Graph().as_default():
        a = tf.constant([1, 2, 3], dtype)
        b = tf.constant([[1], [3]], dtype)
        ops = [tf.bitwise.bitwise_and(a, b), tf.bitwise.bitwise_or(a, b),
               tf.bitwise.bitwise_xor(a, b)]
        for t, op_type in zip(ops, ["BitwiseAnd", "BitwiseOr", "BitwiseXor"]):
            assert t.op.type == op_type and t.op.name.startswith(op_type)
            assert t.dtype == dtype and t.shape.as_list() == [2, 3]
            assert t.op.get_attr("T") == dtype
        got = _run(ops)
    an, bn = np.array([1, 2, 3]), np.array([[1], [3]])
    np.testing.assert_array_equal(got[0], an & bn)
    np.testing.assert_array_equal(got[1], an | bn)
    np.testing.assert_array_equal(got[2], an ^ bn)
    assert got[0].dtype == dtype.as_numpy_dtype


# TF 2.21's results for x << y, x >> y, ~x, popcount(x) with out-of-range shift amounts.
SIGNED_X = [-3, 5, 127, 0, 1]
SIGNED_Y = [-1, 0, 3, 8, 70]
EXPECTED = {
    tf.int8: ([-3, 5, -8, 0, -128], [-3, 5, 15, 0, 0], [2, -6, -128, -1, -2], [7, 2, 7, 0, 1]),
    tf.int16: ([-3, 5, 1016, 0, -32768], [-3, 5, 15, 0, 0], [2, -6, -128, -1, -2],
               [15, 2, 7, 0, 1]),
    tf.int32: ([-3, 5, 1016, 0, -2**31], [-3, 5, 15, 0, 0], [2, -6, -128, -1, -2],
               [31, 2, 7, 0, 1]),
    tf.int64: ([-3, 5, 1016, 0, -2**63], [-3, 5, 15, 0, 0], [2, -6, -128, -1, -2],
               [63, 2, 7, 0, 1]),
    tf.uint8: ([128, 5, 248, 0, 128], [0, 5, 31, 0, 0], [252, 250, 0, 255, 254],
               [2, 2, 8, 0, 1]),
}


@pytest.mark.parametrize("dtype", INT_TYPES)
def test_shifts_invert_popcount_as_tf(dtype):
    xs, ys = (([3, 5, 255, 0, 1], [9, 0, 3, 8, 70]) if dtype == tf.uint8
              else (SIGNED_X, SIGNED_Y))
    with tf.Graph().as_default():
        x, y = tf.constant(xs, dtype), tf.constant(ys, dtype)
        count = tf.bitwise.population_count(x)
        assert count.dtype == tf.uint8 and count.op.type == "PopulationCount"
        inv = tf.bitwise.invert(x)
        assert inv.op.type == "Invert" and inv.dtype == dtype
        got = _run([tf.bitwise.left_shift(x, y), tf.bitwise.right_shift(x, y), inv, count])
    for g, want in zip(got, EXPECTED[dtype]):
        np.testing.assert_array_equal(g, np.array(want).astype(g.dtype))


def test_python_number_operand_and_names():
    with tf.Graph().as_default():
        t = tf.bitwise.bitwise_and(tf.constant([1, 2]), 3, name="mask")
        assert t.op.name == "mask" and t.op.inputs[1].op.name == "mask/y"
        assert t.dtype == tf.int32
        np.testing.assert_array_equal(_run(t), [1, 2])


def test_errors():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="Value passed to parameter 'x' has DataType float32 "
                           "not in list of allowed values: int8, int16, int32, int64, uint8"):
            tf.bitwise.bitwise_and(tf.constant([1.]), tf.constant([2.]))
        with pytest.raises(TypeError, match="DataType bool not in list"):
            tf.bitwise.invert(tf.constant([True]))
        with pytest.raises(TypeError, match="DataType float32 not in list"):
            tf.bitwise.population_count(tf.constant([1.]))
        with pytest.raises(TypeError, match="Input 'y' of 'BitwiseAnd' Op has type int64 that "
                           "does not match type int32 of argument 'x'."):
            tf.bitwise.bitwise_and(tf.constant([1]), tf.constant([2], tf.int64))
        a, b = tf.constant([1, 2], name="a"), tf.constant([2, 3, 4], name="b")
        with pytest.raises(ValueError) as info:
            tf.bitwise.bitwise_or(a, b)
        assert str(info.value) == (
            "Dimensions must be equal, but are 2 and 3 for '{{node BitwiseOr}} = "
            "BitwiseOr[T=DT_INT32](a, b)' with input shapes: [2], [3].")
        dynamic = tf.placeholder_with_default([1, 2], [None])
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"Incompatible shapes: \[2\] "
                           r"vs. \[3\]"):
            _run(tf.bitwise.left_shift(dynamic, b))


def test_not_differentiable():
    with tf.Graph().as_default():
        x = tf.constant([1., 2.])
        as_int = tf.cast(x, tf.int32)
        y = tf.cast(tf.bitwise.bitwise_xor(tf.bitwise.invert(as_int), 3), tf.float32)
        assert tf.gradients(y, x) == [None]
        for fn in [tf.bitwise.bitwise_and, tf.bitwise.bitwise_or, tf.bitwise.left_shift,
                   tf.bitwise.right_shift]:
            assert tf.gradients(tf.cast(fn(as_int, 1), tf.float32), x) == [None]
        assert tf.gradients(tf.cast(tf.bitwise.population_count(as_int), tf.float32),
                            x) == [None]
