"""TF 1 shapes after disable_v2_tensorshape / disable_v2_behavior: the program sees
Dimensions with TF's arithmetic, comparisons, printing and conversion (expectations
recorded from TF 2.21 in the same mode); symgrad's own code keeps reading ints."""

from __future__ import annotations

import pytest

import symgrad as tf


@pytest.fixture
def v1_shapes():
    tf.disable_v2_tensorshape()
    try:
        yield
    finally:
        tf.enable_v2_tensorshape()


def test_dimensions_as_tf1_programs_use_them(v1_shapes):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3, 4])
        s = x.get_shape()
        assert repr(s[1]) == "Dimension(3)" and s[1].value == 3 and s[0].value is None
        assert int(s[1]) == 3 and list(range(s[1])) == [0, 1, 2]
        assert repr(s[1] * 2) == "Dimension(6)" and str(s[0] * 2) == "?"
        assert repr(s[1] + s[2]) == "Dimension(7)" and repr(12 // s[1]) == "Dimension(4)"
        assert (s[1] == 3) is True and (s[0] == 3) is None
        assert (s[1] > 2) is True and (s[0] > 2) is None
        assert [repr(d) for d in s] == ["Dimension(None)", "Dimension(3)", "Dimension(4)"]
        assert s.as_list() == [None, 3, 4]
        assert str(s) == "(?, 3, 4)"
        assert repr(s) == "TensorShape([Dimension(None), Dimension(3), Dimension(4)])"
        assert repr(tf.TensorShape(None)[0]) == "Dimension(None)"
        with pytest.raises(TypeError, match="unhashable"):
            hash(s[1])
        # Dimensions convert wherever ints do.
        y = tf.reshape(x, [-1, s[1] * s[2]])
        assert str(y.shape) == "(?, 12)" and y.shape[1].value == 12
        w = tf.get_variable("w", [x.shape[-1], 5])
        assert w.shape.as_list() == [4, 5]
        assert tf.zeros([s[1], 2]).shape.as_list() == [3, 2]
        with pytest.raises(TypeError, match="Failed to convert elements of \\? to Tensor"):
            tf.constant(s[0])
        # symgrad's own shape logic is unaffected (it reads ints).
        assert tf.image.rgb_to_hsv(tf.zeros([2, 3])).shape.as_list() == [2, 3]


def test_disable_v2_behavior_switches_and_enable_restores():
    try:
        tf.disable_v2_behavior()
        assert isinstance(tf.TensorShape([2])[0], tf.Dimension)
    finally:
        tf.enable_v2_tensorshape()
    assert tf.TensorShape([2])[0] == 2 and tf.TensorShape([None])[0] is None
    assert str(tf.TensorShape([None, 2])) == "(None, 2)"
