"""Static shapes from computed shape tensors, as TF 2.21's shape inference gives them: it
runs the small constant subgraph feeding a shape input (``EvaluateConstantTensor``), reads
``shape(x)[i]`` from a known dimension, and follows ``Shape``, ``Pack``, ``ConcatV2``,
``Cast`` and slices of them dimension by dimension (``ConstantPartialShape``). Each
expected shape was printed by TF 2.21 (``tf.compat.v1``, graph mode);
test_shape_folding_tf_oracle.py compares against TF itself when it is installed."""

from __future__ import annotations

import pytest

import symgrad



def _cases():
    c = {}

    def case(expected):
        def put(f):
            c[f.__name__] = (f, expected)
            return f
        return put

    @case((None, 3136))
    def reshape_const(tf):
        x = tf.placeholder(tf.float32, [None, 7, 7, 64])
        return tf.reshape(x, [-1, 7 * 7 * 64])

    @case((None, None))
    def reshape_stack(tf):
        x = tf.placeholder(tf.float32, [None, 4, 3])
        return tf.reshape(x, tf.stack([tf.shape(x)[0], -1]))

    @case((None, 12))
    def reshape_concat(tf):
        x = tf.placeholder(tf.float32, [None, 4, 3])
        return tf.reshape(x, tf.concat([tf.shape(x)[:1], [12]], 0))

    @case((None, 12))
    def reshape_shape_slice(tf):
        x = tf.placeholder(tf.float32, [None, 4, 3])
        return tf.reshape(x, tf.concat([tf.shape(x)[:-2], [12]], 0))

    @case((None, 12))
    def reshape_product_of_known_dims(tf):
        x = tf.placeholder(tf.float32, [None, 4, 3])
        return tf.reshape(x, [-1, tf.shape(x)[1] * tf.shape(x)[2]])

    @case((None, 12))
    def reshape_stacked_product(tf):
        x = tf.placeholder(tf.float32, [None, 4, 3])
        return tf.reshape(x, tf.stack([-1, tf.shape(x)[1] * tf.shape(x)[2]]))

    @case((None, None))
    def reshape_reduce_prod_of_partial_shape(tf):
        x = tf.placeholder(tf.float32, [None, 4, 3])
        return tf.reshape(x, [-1, tf.reduce_prod(tf.shape(x)[1:])])

    @case((4, 6))
    def reshape_constant_times_two(tf):
        x = tf.placeholder(tf.float32, [None])
        return tf.reshape(x, tf.constant([2, 3]) * 2)

    @case((3, 5))
    def reshape_constant_minus_one(tf):
        x = tf.placeholder(tf.float32, [None])
        return tf.reshape(x, tf.constant([4, 6]) - 1)

    @case((2, 3))
    def reshape_cast(tf):
        x = tf.placeholder(tf.float32, [None])
        return tf.reshape(x, tf.cast(tf.constant([2.0, 3.0]), tf.int32))

    @case((4, 4))
    def reshape_maximum(tf):
        x = tf.placeholder(tf.float32, [None])
        return tf.reshape(x, tf.maximum(tf.constant([2, 3]), 4))

    @case((4, 3))
    def reshape_floordiv(tf):
        x = tf.placeholder(tf.float32, [None])
        return tf.reshape(x, tf.constant([8, 6]) // 2)

    @case((1, 3))
    def reshape_cumsum(tf):
        x = tf.placeholder(tf.float32, [None])
        return tf.reshape(x, tf.cumsum([1, 2]))

    @case((20,))
    def reshape_static_dims_product(tf):
        x = tf.placeholder(tf.float32, [5, 4])
        s = tf.shape(x)
        return tf.reshape(x, [s[0] * s[1]])

    @case((None,))
    def reshape_dynamic_dims_product(tf):
        x = tf.placeholder(tf.float32, [None, 4])
        s = tf.shape(x)
        return tf.reshape(x, [s[0] * s[1]])

    @case((12,))
    def reshape_expanded_size(tf):
        x = tf.placeholder(tf.float32, [3, 4])
        return tf.reshape(x, tf.expand_dims(tf.size(x), 0))

    @case((None, 4))
    def reshape_shape_n(tf):
        x = tf.placeholder(tf.float32, [None, 4])
        return tf.reshape(x, tf.shape_n([x])[0])

    @case((4,))
    def zeros_of_a_shape_slice(tf):
        x = tf.placeholder(tf.float32, [None, 4])
        return tf.zeros(tf.shape(x)[1:])

    @case((None, 5))
    def zeros_stacked(tf):
        x = tf.placeholder(tf.float32, [None, 4])
        return tf.zeros(tf.stack([tf.shape(x)[0], 5]))

    @case((None, 4))
    def fill_shape(tf):
        x = tf.placeholder(tf.float32, [None, 4])
        return tf.fill(tf.shape(x), 2.0)

    @case((1, 2, 3))
    def ones_of_a_range(tf):
        return tf.ones(tf.range(3) + 1)

    @case((6, 6))
    def tile_computed_multiples(tf):
        x = tf.placeholder(tf.float32, [2, 3])
        return tf.tile(x, tf.constant([2, 1]) + 1)

    @case((None, None))
    def tile_fed_multiples(tf):
        x = tf.placeholder(tf.float32, [None, 4])
        n = tf.placeholder(tf.int32, [])
        return tf.tile(x, tf.stack([1, n]))

    @case((None, 2))
    def slice_to_the_end(tf):
        x = tf.placeholder(tf.float32, [None, 4])
        return tf.slice(x, [0, 0], [-1, 2])

    @case((3, None, 4))
    def transpose_by_a_tensor(tf):
        x = tf.placeholder(tf.float32, [None, 4, 3])
        return tf.transpose(x, tf.constant([2, 0, 1]))

    @case((None, 3))
    def reduce_over_a_tensor_axis(tf):
        x = tf.placeholder(tf.float32, [None, 4, 3])
        return tf.reduce_sum(x, tf.constant([1]))

    @case((None, 2))
    def random_normal_of_a_partial_shape(tf):
        x = tf.placeholder(tf.float32, [None, 4])
        return tf.random_normal([tf.shape(x)[0], 2])

    @case((None, None))
    def reshape_random_shape(tf):
        x = tf.placeholder(tf.float32, [None])
        return tf.reshape(x, tf.cast(tf.random_uniform([2], 1, 4), tf.int32))

    @case((2, 4, 6, 1))
    def resize_keeping_the_aspect_ratio(tf):
        x = tf.placeholder(tf.float32, [2, 3, 4, 1])
        return tf.image.resize_images(x, [6, 6], preserve_aspect_ratio=True)

    @case((2, 3))
    def reshape_partial_target_gets_its_unknown_dim(tf):
        n = tf.placeholder(tf.int32, [])
        return tf.reshape(tf.zeros([6]), tf.stack([2, n]))

    @case((2, 3))
    def reshape_to_the_shape_of_partial_labels(tf):
        labels = tf.placeholder(tf.int32, [None, 3])
        return tf.reshape(tf.zeros([6]), tf.shape(labels))

    @case((2, 3))
    def reshape_partial_input_to_a_known_shape(tf):
        return tf.reshape(tf.placeholder(tf.float32, [None, 3]), [2, 3])

    @case((None, None))
    def reshape_two_minus_ones_left_to_the_run(tf):
        return tf.reshape(tf.zeros([6]), [-1, -1])

    @case((0, None))
    def reshape_empty_to_empty(tf):
        return tf.reshape(tf.zeros([0, 3]), [0, -1])

    @case((None, 4, None))
    def bias_add_channel_from_the_bias(tf):
        return tf.nn.bias_add(tf.placeholder(tf.float32, [None, None, None]), tf.ones([4]),
                              data_format="NCHW")

    return c


CASES = _cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_static_shape_as_tf(name):
    build, expected = CASES[name]
    with symgrad.Graph().as_default():
        assert tuple(build(symgrad).shape.as_list()) == expected


def test_folded_shapes_still_run():
    """The shapes found while building agree with the values a run gives."""
    import numpy as np
    with symgrad.Graph().as_default():
        x = symgrad.placeholder(symgrad.float32, [None, 4, 3])
        y = symgrad.reshape(x, [-1, symgrad.shape(x)[1] * symgrad.shape(x)[2]])
        z = symgrad.zeros(symgrad.shape(x)[1:])
        with symgrad.Session() as sess:
            yv, zv = sess.run([y, z], {x: np.ones([5, 4, 3], np.float32)})
    assert yv.shape == (5, 12) and zv.shape == (4, 3)


def test_a_folded_shape_that_cannot_hold_the_input_is_refused():
    """As in TF, a shape known by running its subgraph is checked while building."""
    with symgrad.Graph().as_default():
        x = symgrad.zeros([6])
        with pytest.raises(ValueError, match="Cannot reshape a tensor with 6 elements"):
            symgrad.reshape(x, symgrad.constant([4, 6]) - 1)


@pytest.mark.parametrize("build, message", [
    (lambda tf: tf.reshape(tf.zeros([7]), tf.stack([2, tf.placeholder(tf.int32, [])])),
     "Dimension size must be evenly divisible by 2 but is 7"),
    (lambda tf: tf.reshape(tf.placeholder(tf.float32, [None, 4]), [2, 3]),
     "Dimension size must be evenly divisible by 4 but is 6"),
    (lambda tf: tf.reshape(tf.zeros([6]), [4, -1, 6]),
     "Dimension size must be evenly divisible by 24 but is 6"),
    (lambda tf: tf.reshape(tf.zeros([6]), [4, 6]),
     r"Cannot reshape a tensor with 6 elements to shape \[4,6\] \(24 elements\)"),
    (lambda tf: tf.reshape(tf.zeros([2, 3]), [0, -1]),
     r"Cannot reshape a tensor with 6 elements to shape \[0,\?\] \(0 elements\)"),
    (lambda tf: tf.reshape(tf.zeros([6]), [-2, 3]), "Invalid value in tensor used for shape: -2"),
])
def test_reshape_refuses_what_tf_refuses_while_building(build, message):
    with symgrad.Graph().as_default():
        with pytest.raises(ValueError, match=message):
            build(symgrad)


def test_two_minus_ones_fail_at_run_time():
    import numpy as np
    with symgrad.Graph().as_default():
        y = symgrad.reshape(symgrad.constant(np.zeros(6, np.float32)), [-1, -1])
        with symgrad.Session() as sess:
            with pytest.raises(symgrad.errors.InvalidArgumentError,
                               match="Only one input size may be -1, not both 0 and 1"):
                sess.run(y)
