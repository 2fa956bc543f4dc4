"""tf.repeat as TF 2.21 builds it: values, static shapes, output names, errors, and first
and second derivatives against finite differences; sequence_mask's op names."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import assert_gradients_close


@pytest.mark.parametrize("data,repeats,axis,want,name,static", [
    ([[1, 2], [3, 4]], 3, 1, [[1, 1, 1, 2, 2, 2], [3, 3, 3, 4, 4, 4]], "Repeat/Reshape_1:0",
     [2, 6]),
    ([[1, 2], [3, 4], [5, 6]], [2, 0, 1], 0, [[1, 2], [1, 2], [5, 6]],
     "Repeat/boolean_mask/GatherV2:0", [None, 2]),
    ([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [1, 2, 3], 1,
     [[1.0, 2.0, 2.0, 3.0, 3.0, 3.0], [4.0, 5.0, 5.0, 6.0, 6.0, 6.0]], "Repeat/Reshape:0", [2, 6]),
    ([[1, 2], [3, 4]], 2, None, [1, 1, 2, 2, 3, 3, 4, 4], "Repeat/Reshape_1:0", [8]),
    (3, 4, None, [3, 3, 3, 3], "Repeat/Reshape_1:0", [4]),
    ([[1, 2], [3, 4]], [1, 2], -1, [[1, 2, 2], [3, 4, 4]], "Repeat/Reshape:0", [2, 3]),
])
def test_values_names_and_shapes_as_tf(data, repeats, axis, want, name, static):
    with tf.Graph().as_default():
        y = tf.repeat(tf.constant(data), repeats, axis=axis)
        assert y.name == name and y.shape.as_list() == static
        with tf.Session() as sess:
            got = sess.run(y)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, np.repeat(np.asarray(data), repeats, axis=axis))


def test_unknown_sizes_and_errors():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        assert tf.repeat(x, 2, axis=0).shape.as_list() == [None, 3]
        y = tf.repeat(x, [1, 0, 2], axis=1)
        assert y.shape.as_list() == [None, 3]
        with tf.Session() as sess:
            got = sess.run(y, {x: np.arange(6, dtype=np.float32).reshape(2, 3)})
        np.testing.assert_array_equal(got, [[0, 2, 2], [3, 5, 5]])
        with pytest.raises(TypeError, match="must be of type integer"):
            tf.repeat(x, 1.5, axis=0)
        with pytest.raises(ValueError, match="out of bounds"):
            tf.repeat(x, 2, axis=2)
        with pytest.raises(ValueError, match="may only be negative if rank"):
            tf.repeat(tf.placeholder(tf.float32), 2, axis=-1)


def test_gradients():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2, 3])
        y = tf.repeat(x, [2, 1, 3], axis=1) ** 2
        z = tf.repeat(x, 2, axis=0) ** 2
        v = np.random.RandomState(0).randn(2, 3)
        assert_gradients_close([x], y, [v])
        assert_gradients_close([x], z, [v])


def test_sequence_mask_op_names_as_tf():
    with tf.Graph().as_default() as g:
        tf.sequence_mask([1, 3, 2], 5)
        names = [(op.name, op.type) for op in g.get_operations()]
    assert names[4:8] == [("SequenceMask/Range", "Range"),
                          ("SequenceMask/ExpandDims/dim", "Const"),
                          ("SequenceMask/ExpandDims", "ExpandDims"),
                          ("SequenceMask/Cast", "Cast")]
