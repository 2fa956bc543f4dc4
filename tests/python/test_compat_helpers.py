"""Small TF 1 helpers programs reach for: tf.compat's string and dimension helpers,
is_tensor, arg_max/arg_min, the old initializer names, model_variables, no_regularizer and
nn.weighted_moments. Expected values and names are TF 2.21's."""

from __future__ import annotations

import numbers
import os
import pathlib

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import assert_gradients_close


def test_string_helpers():
    assert tf.compat.as_bytes("ab") == b"ab"
    assert tf.compat.as_bytes(bytearray(b"ab")) == b"ab"
    assert tf.compat.as_bytes("é", "latin-1") == b"\xe9"
    assert tf.compat.as_text(b"ab") == "ab" and tf.compat.as_str("ab") == "ab"
    assert tf.compat.as_str_any(3) == "3" and tf.compat.as_str_any(b"x") == "x"
    assert tf.compat.path_to_str(pathlib.Path("a") / "b") == os.path.join("a", "b")
    assert tf.compat.path_to_str(7) == 7
    for fn in (tf.compat.as_bytes, tf.compat.as_text):
        with pytest.raises(TypeError, match="^Expected binary or unicode string, got 3$"):
            fn(3)
    assert tf.compat.bytes_or_text_types == (bytes, str)
    assert tf.compat.integral_types == (numbers.Integral, np.integer)
    assert isinstance(np.float32(1), tf.compat.real_types)
    assert not isinstance("1", tf.compat.complex_types)


def test_forward_compatibility():
    assert tf.compat.forward_compatible(2020, 1, 1)
    assert not tf.compat.forward_compatible(2099, 1, 1)
    with tf.compat.forward_compatibility_horizon(2100, 1, 1):
        assert tf.compat.forward_compatible(2099, 1, 1)
    assert not tf.compat.forward_compatible(2099, 1, 1)


def test_dimension_helpers():
    shape = tf.TensorShape([2, None])
    assert tf.dimension_value(shape[1]) is None
    assert tf.dimension_value(tf.Dimension(4)) == 4 and tf.dimension_value(5) == 5
    first = tf.dimension_at_index(shape, 0)
    assert isinstance(first, tf.Dimension) and first.value == 2
    unknown = tf.compat.dimension_at_index(tf.TensorShape(None), 3)
    assert isinstance(unknown, tf.Dimension) and unknown.value is None


def test_is_tensor():
    with tf.Graph().as_default():
        x = tf.constant(1.0)
        assert tf.is_tensor(x) and tf.is_tensor(tf.Variable(1.0))
        assert tf.is_tensor(tf.SparseTensor([[0]], [1.0], [2]))
        assert tf.is_tensor(tf.IndexedSlices(x, x))
        assert not tf.is_tensor(np.ones(2)) and not tf.is_tensor(x.op)


def test_arg_max_and_arg_min():
    with tf.Graph().as_default():
        v = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
        a = tf.arg_max(v, 1)
        b = tf.arg_min(v, 0, output_type=tf.int32)
        assert (a.op.type, a.op.name, a.dtype) == ("ArgMax", "ArgMax", tf.int64)
        assert (b.op.type, b.dtype) == ("ArgMin", tf.int32)
        with tf.Session() as sess:
            got_a, got_b = sess.run([a, b])
    np.testing.assert_array_equal(got_a, [1, 0])
    np.testing.assert_array_equal(got_b, [0, 1, 0])


def test_old_initializer_names_and_collections():
    with tf.Graph().as_default():
        assert tf.initialize_all_tables().name == "init_all_tables"
        local = tf.Variable(3.0, collections=[tf.GraphKeys.LOCAL_VARIABLES])
        init = tf.initialize_local_variables()
        assert init.name == "init"
        assert tf.model_variables() == []
        w = tf.Variable(1.0, collections=[tf.GraphKeys.MODEL_VARIABLES,
                                          tf.GraphKeys.GLOBAL_VARIABLES])
        assert tf.model_variables() == [w]
        assert tf.GraphKeys.MODEL_VARIABLES == "model_variables"
        assert tf.GraphKeys.TRAIN_OP == "train_op"
        assert tf.no_regularizer(w) is None
        with tf.Session() as sess:
            sess.run(init)
            assert sess.run(local) == 3.0


def test_weighted_moments_as_tf():
    x = np.arange(6.0).reshape(2, 3)
    with tf.Graph().as_default() as g:
        m, v = tf.nn.weighted_moments(tf.constant(x), [1], tf.constant([[1.0, 2.0, 3.0]]))
        names = [op.name for op in g.get_operations()][-14:]
        mk, vk = tf.nn.weighted_moments(x, [0, 1], np.ones((2, 3)), keepdims=True)
        mz, vz = tf.nn.weighted_moments(x, [1], np.zeros((2, 3)))
        with tf.Session() as sess:
            got = sess.run([m, v, mk, vk, mz, vz])
    assert m.name == "weighted_moments/Squeeze:0" and v.name == "weighted_moments/Squeeze_1:0"
    assert names == [
        "weighted_moments/weighted_input_sum/reduction_indices",
        "weighted_moments/weighted_input_sum", "weighted_moments/zeros_like",
        "weighted_moments/add", "weighted_moments/sum_of_weights/reduction_indices",
        "weighted_moments/sum_of_weights", "weighted_moments/div_no_nan",
        "weighted_moments/SquaredDifference", "weighted_moments/mul_1",
        "weighted_moments/weighted_distsq/reduction_indices", "weighted_moments/weighted_distsq",
        "weighted_moments/div_no_nan_1", "weighted_moments/Squeeze",
        "weighted_moments/Squeeze_1"]
    w = np.array([1.0, 2.0, 3.0])
    mean = (x * w).sum(1) / w.sum()
    np.testing.assert_allclose(got[0], mean, rtol=1e-12)
    np.testing.assert_allclose(got[1], (w * (x - mean[:, None]) ** 2).sum(1) / w.sum(),
                               rtol=1e-12)
    assert got[2].shape == (1, 1) and got[3].shape == (1, 1)
    np.testing.assert_allclose(got[2], [[2.5]])
    np.testing.assert_allclose(got[3], [[x.var()]])
    np.testing.assert_array_equal(got[4], [0.0, 0.0])
    np.testing.assert_array_equal(got[5], [0.0, 0.0])
    # First and second derivatives of both moments against finite differences.
    with tf.Graph().as_default():
        xp = tf.placeholder(tf.float64, [2, 3])
        wp = tf.placeholder(tf.float64, [1, 3])
        mean_t, var_t = tf.nn.weighted_moments(xp, [1], wp)
        assert_gradients_close([xp, wp], mean_t + 2.0 * var_t, [x, w[None, :]])


def test_ensure_shape():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [None, 3])
        y = tf.ensure_shape(x, [2, None])
        assert (y.name, y.op.type, y.shape.as_list()) == ("EnsureShape:0", "EnsureShape", [2, 3])
        z = tf.ensure_shape(tf.placeholder(tf.float32), [None, 3], name="e")
        assert z.name == "e:0" and z.shape.as_list() == [None, 3]
        with pytest.raises(ValueError, match=r"Dimension 1 in both shapes must be equal, but "
                                             r"are 4 and 3. Shapes are \[2,4\] and \[\?,3\]."):
            tf.ensure_shape(x, [2, 4])
        with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
            tf.ensure_shape(x, [2])
        v = np.arange(6.0).reshape(2, 3)
        assert_gradients_close([x], y * y, [v])
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(y, {x: v}), v)
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=r"Shape of tensor \[3,3\] is not compatible with "
                                     r"expected shape \[2,\?\]."):
                sess.run(y, {x: np.ones([3, 3])})


def test_get_static_value_as_tf():
    """TF's tensor_util.constant_value: what the graph alone determines, and the tensor can
    no longer be fed once its value was read; expected values printed by TF 2.21."""
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [None, 3])
        y = tf.placeholder(tf.float32, [2, 3])
        c = tf.constant([1, 2])
        known = {
            "const": (c, [1, 2], "int32"), "shape_full": (tf.shape(y), [2, 3], "int32"),
            "size": (tf.size(y), 6, "int32"), "rank": (tf.rank(x), 2, "int32"),
            "range": (tf.range(2, 8, 2), [2, 4, 6], "int32"),
            "cast": (tf.cast(c, tf.float32), [1.0, 2.0], "float32"),
            "concat": (tf.concat([c, [5]], 0), [1, 2, 5], "int32"),
            "pack": (tf.stack([1, 2, 3]), [1, 2, 3], "int32"),
            "unpack": (tf.unstack(c)[1], 2, "int32"),
            "fill": (tf.fill([2, 2], 7), [[7, 7], [7, 7]], "int32"),
            "equal": (tf.equal(c, [1, 3]), [True, False], "bool"),
            "not_equal": (tf.not_equal(c, [1, 3]), [False, True], "bool"),
            "identity": (tf.identity(c), [1, 2], "int32"),
            "stop": (tf.stop_gradient(c), [1, 2], "int32"),
        }
        for name, (t, want, dtype) in known.items():
            got = tf.get_static_value(t)
            assert got is not None, name
            np.testing.assert_array_equal(got, want, err_msg=name)
            assert np.asarray(got).dtype.name == dtype, name
            assert not g.is_feedable(t), name
        unknown = [tf.shape(x), c + 1, tf.shape(y)[1], x, tf.stack([tf.shape(x)[0], 3])]
        for t in unknown:
            assert tf.get_static_value(t) is None
            assert g.is_feedable(t)
        partial = tf.get_static_value(unknown[-1], partial=True)
        assert partial[0] is None and int(partial[1]) == 3 and not g.is_feedable(unknown[-1])
        assert tf.get_static_value(5) == 5
        np.testing.assert_array_equal(tf.get_static_value(np.ones(2)), [1.0, 1.0])
