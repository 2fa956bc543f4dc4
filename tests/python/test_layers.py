"""tf.layers: variable names and collections, op names and types, shapes and values as
TF 2.21 (tf_keras legacy layers, graph mode) builds them; expected values recorded from TF."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf


def _ops(graph):
    """(name, type) of the ops a layer built, without variable plumbing."""
    skip = ("/Initializer/", "/IsInitialized", "/Read/")
    return [(op.name, op.type) for op in graph.get_operations()
            if not any(s in op.name for s in skip) and not op.name.endswith("/Assign")]


def _init(sess):
    sess.run(tf.global_variables_initializer())


def _fd_grad(sess, x, y, xv, feed=None, h=1e-6):
    """Central differences of sum(y * w) w.r.t. x, and the symbolic gradient."""
    feed = dict(feed or {})
    rng = np.random.RandomState(0)
    y_shape = sess.run(y, {**feed, x: xv}).shape
    w = rng.uniform(0.5, 1.5, size=y_shape)
    total = tf.reduce_sum(y * tf.constant(w, dtype=y.dtype))
    (g,) = tf.gradients(total, [x])
    theoretical = sess.run(g, {**feed, x: xv})
    numerical = np.zeros_like(xv)
    for i in range(xv.size):
        plus, minus = xv.copy(), xv.copy()
        plus.flat[i] += h
        minus.flat[i] -= h
        numerical.flat[i] = (sess.run(total, {**feed, x: plus})
                             - sess.run(total, {**feed, x: minus})) / (2 * h)
    return theoretical, numerical


# ----- Dense -----

def test_dense_names_variables_and_values():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [None, 3])
        y = tf.layers.dense(x, 4)
        assert y.name == "dense/BiasAdd:0"
        assert y.shape.as_list() == [None, 4]
        assert [v.name for v in tf.global_variables()] == ["dense/kernel:0", "dense/bias:0"]
        assert [v.name for v in tf.trainable_variables()] == ["dense/kernel:0",
                                                              "dense/bias:0"]
        assert _ops(g) == [
            ("Placeholder", "Placeholder"), ("dense/kernel", "VarHandleOp"),
            ("dense/bias", "VarHandleOp"), ("dense/MatMul/ReadVariableOp", "ReadVariableOp"),
            ("dense/MatMul", "MatMul"), ("dense/BiasAdd/ReadVariableOp", "ReadVariableOp"),
            ("dense/BiasAdd", "BiasAdd")]
        with tf.Session() as sess:
            _init(sess)
            xv = np.arange(6, dtype=np.float32).reshape(2, 3)
            kernel, bias, out = sess.run([tf.global_variables()[0], tf.global_variables()[1],
                                          y], {x: xv})
            np.testing.assert_allclose(out, xv @ kernel + bias, rtol=1e-6)
            assert np.all(bias == 0)
            # glorot_uniform: limit sqrt(6 / (fan_in + fan_out))
            assert np.all(np.abs(kernel) <= np.sqrt(6 / 7))


def test_dense_layer_object_called_twice_shares_variables_and_name_scope():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        layer = tf.layers.Dense(4)
        a, b = layer(x), layer(x)
        assert (a.name, b.name) == ("dense/BiasAdd:0", "dense/BiasAdd_1:0")
        assert [v.name for v in layer.trainable_weights] == ["dense/kernel:0", "dense/bias:0"]
        assert [v.name for v in layer.variables] == ["dense/kernel:0", "dense/bias:0"]
        assert layer.non_trainable_weights == [] and layer.losses == [] and layer.updates == []
        assert len(tf.global_variables()) == 2
        assert layer.built and layer.scope_name == "dense"


def test_dense_reuse_by_name():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        a = tf.layers.dense(x, 4, name="fc")
        b = tf.layers.dense(x, 4, name="fc", reuse=True)
        assert (a.name, b.name) == ("fc/BiasAdd:0", "fc_1/BiasAdd:0")
        assert b.op.inputs[0].op.inputs[1].op.inputs[0].op.name == "fc/kernel"
        assert len(tf.global_variables()) == 2
        with pytest.raises(ValueError, match="Variable fc/kernel already exists, disallowed"):
            tf.layers.dense(x, 4, name="fc")


def test_dense_inside_variable_and_name_scopes():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        with tf.variable_scope("net"):
            a = tf.layers.dense(x, 4)
        with tf.name_scope("ns"):
            b = tf.layers.dense(x, 4, bias_regularizer=lambda v: tf.reduce_sum(v),
                                activity_regularizer=lambda t: tf.reduce_mean(t))
        assert a.name == "net/dense/BiasAdd:0"
        assert b.name == "ns/dense/BiasAdd:0"
        assert [v.name for v in tf.global_variables()] == [
            "net/dense/kernel:0", "net/dense/bias:0", "dense/kernel:0", "dense/bias:0"]
        losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
        assert [t.name for t in losses] == ["ns/dense/bias/Regularizer/Sum:0",
                                            "ns/dense/ActivityRegularizer/truediv:0"]
        assert tf.losses.get_regularization_losses() == losses
        with tf.Session() as sess:
            _init(sess)
            xv = np.ones((2, 3), np.float32)
            out, act = sess.run([b, losses[1]], {x: xv})
            np.testing.assert_allclose(act, out.mean() / 2, rtol=1e-5)


def test_dense_regularizer_constraint_activation_and_dtype():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [None, 3])
        layer = tf.layers.Dense(2, activation=tf.nn.relu, use_bias=False,
                                kernel_initializer=tf.constant_initializer(
                                    [[1., -1.], [2., 0.], [0., 3.]]),
                                kernel_regularizer=lambda w: 0.5 * tf.reduce_sum(w * w),
                                kernel_constraint=lambda w: w * 2)
        y = layer(x)
        assert y.name == "dense/Relu:0" and y.dtype == tf.float64
        assert layer.kernel.dtype == tf.float64 and layer.kernel_constraint is not None
        assert layer.kernel.constraint is not None
        assert [v.name for v in tf.global_variables()] == ["dense/kernel:0"]
        assert len(layer.losses) == 1
        with tf.Session() as sess:
            _init(sess)
            out, reg = sess.run([y, layer.losses[0]], {x: [[1., 1., 1.], [-1., 0., 0.]]})
            np.testing.assert_allclose(out, [[3., 2.], [0., 1.]])
            assert reg == pytest.approx(7.5)


def test_dense_rank3_input_uses_tensordot():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [2, 5, 3], name="x")
        y = tf.layers.dense(x, 4)
        assert y.shape.as_list() == [2, 5, 4]
        assert ("dense/Tensordot", "Reshape") in _ops(g)
        assert ("dense/Tensordot/MatMul", "MatMul") in _ops(g)
        z = tf.layers.dense(tf.placeholder(tf.float32, [None, None, 3]), 2)
        assert z.shape.as_list() == [None, None, 2]
        with tf.Session() as sess:
            _init(sess)
            xv = np.random.RandomState(1).randn(2, 5, 3).astype(np.float32)
            k, out = sess.run([tf.global_variables()[0], y], {x: xv})
            np.testing.assert_allclose(out, xv @ k, rtol=1e-5, atol=1e-6)


def test_dense_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="The last dimension of the inputs to a Dense "
                                             "layer should be defined. Found None."):
            tf.layers.dense(tf.placeholder(tf.float32, [None, None]), 3)
        with pytest.raises(ValueError, match="expected min_ndim=2, found ndim=1"):
            tf.layers.dense(tf.placeholder(tf.float32, [3]), 3)
        layer = tf.layers.Dense(2)
        layer(tf.placeholder(tf.float32, [None, 3]))
        with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
            layer(tf.placeholder(tf.float32, [None, 4]))


def test_dense_gradient_matches_finite_differences():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2, 3])
        y = tf.layers.dense(x, 2, activation=tf.tanh)
        with tf.Session() as sess:
            _init(sess)
            xv = np.random.RandomState(2).randn(2, 3)
            t, n = _fd_grad(sess, x, y, xv)
            np.testing.assert_allclose(t, n, rtol=1e-6, atol=1e-7)
            # Second derivative: the gradient of the gradient, against differences of it.
            (g,) = tf.gradients(tf.reduce_sum(y), [x])
            t2, n2 = _fd_grad(sess, x, g, xv)
            np.testing.assert_allclose(t2, n2, rtol=1e-5, atol=1e-6)


# ----- convolutions -----

def test_conv2d_layer():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [2, 8, 8, 3])
        y = tf.layers.conv2d(x, 4, 3, strides=2, padding="same", activation=tf.nn.relu)
        assert y.name == "conv2d/Relu:0" and y.shape.as_list() == [2, 4, 4, 4]
        assert [(v.name, v.shape.as_list()) for v in tf.global_variables()] == [
            ("conv2d/kernel:0", [3, 3, 3, 4]), ("conv2d/bias:0", [4])]
        assert ("conv2d/Conv2D", "Conv2D") in _ops(g)
        with tf.Session() as sess:
            _init(sess)
            xv = np.random.RandomState(3).rand(2, 8, 8, 3).astype(np.float32)
            k, out = sess.run([tf.global_variables()[0], y], {x: xv})
            ref = sess.run(tf.nn.relu(tf.nn.conv2d(xv, k, [1, 2, 2, 1], "SAME")))
            np.testing.assert_allclose(out, ref, rtol=1e-5)


def test_conv2d_dilated_channels_first_and_conv1d():
    with tf.Graph().as_default() as g:
        y = tf.layers.conv2d(tf.placeholder(tf.float32, [2, 3, 8, 8]), 4, (3, 3),
                             dilation_rate=2, data_format="channels_first")
        assert y.shape.as_list() == [2, 4, 4, 4]
        types = dict(_ops(g))
        assert types["conv2d/Conv2D/SpaceToBatchND"] == "SpaceToBatchND"
        assert types["conv2d/Conv2D/BatchToSpaceND"] == "BatchToSpaceND"
        z = tf.layers.conv1d(tf.placeholder(tf.float32, [2, 8, 3]), 4, 3)
        assert z.name == "conv1d/BiasAdd:0" and z.shape.as_list() == [2, 6, 4]
        assert tf.global_variables()[2].shape.as_list() == [3, 3, 4]
        assert dict(_ops(g))["conv1d/Conv1D"] == "Conv2D"


def test_conv1d_causal_dilated():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [2, 7, 3])
        kernel = np.arange(18).reshape(3, 3, 2) * 0.1
        y = tf.layers.conv1d(x, 2, 3, padding="causal", dilation_rate=2,
                             kernel_initializer=tf.constant_initializer(kernel))
        assert y.shape.as_list() == [2, 7, 2]
        types = dict(_ops(g))
        assert types["conv1d/Pad"] == "Pad"
        assert types["conv1d/Conv1D/SpaceToBatchND"] == "SpaceToBatchND"
        with tf.Session() as sess:
            _init(sess)
            out = sess.run(y, {x: np.arange(42, dtype=np.float32).reshape(2, 7, 3)})
        # Recorded from TF 2.21.
        np.testing.assert_allclose(out[0], [[4.6, 4.9], [17.2, 18.4], [32.6, 35.0],
                                            [52.4, 56.6], [73.2, 79.5], [94.8, 103.8],
                                            [116.4, 128.1]], rtol=1e-5)
        with pytest.raises(ValueError, match="The `padding` argument must be"):
            tf.layers.conv2d(x, 2, 3, padding="causal")


def test_conv2d_dilated_same_values():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [1, 7, 7, 2])
        y = tf.layers.conv2d(x, 3, 3, dilation_rate=2, padding="same", use_bias=False)
        with tf.Session() as sess:
            _init(sess)
            xv = np.random.RandomState(4).randn(1, 7, 7, 2)
            k, out = sess.run([tf.global_variables()[0], y], {x: xv})
            ref = sess.run(tf.nn.conv2d(xv, k, [1, 1, 1, 1], "SAME", dilations=[1, 2, 2, 1]))
            np.testing.assert_allclose(out, ref, rtol=1e-10)
            t, n = _fd_grad(sess, x, y, xv)
            np.testing.assert_allclose(t, n, rtol=1e-6, atol=1e-7)


def test_conv2d_transpose_layer():
    with tf.Graph().as_default() as g:
        y = tf.layers.conv2d_transpose(tf.placeholder(tf.float32, [2, 4, 4, 3]), 5, 3,
                                       strides=2, padding="same")
        assert y.name == "conv2d_transpose/BiasAdd:0" and y.shape.as_list() == [2, 8, 8, 5]
        assert tf.global_variables()[0].shape.as_list() == [3, 3, 5, 3]
        assert dict(_ops(g))["conv2d_transpose/conv2d_transpose"] == "Conv2DBackpropInput"
        z = tf.layers.conv2d_transpose(tf.placeholder(tf.float32, [None, 4, 4, 3]), 5, 3,
                                       strides=2, padding="valid")
        assert z.shape.as_list() == [None, 9, 9, 5]
        with tf.Session() as sess:
            _init(sess)
            out = sess.run(z, {z.graph.get_tensor_by_name("Placeholder_1:0"):
                               np.ones((3, 4, 4, 3), np.float32)})
            assert out.shape == (3, 9, 9, 5)


def test_separable_conv2d_layer():
    with tf.Graph().as_default() as g:
        y = tf.layers.separable_conv2d(tf.placeholder(tf.float32, [2, 8, 8, 3]), 4, 3,
                                       depth_multiplier=2)
        assert y.name == "separable_conv2d/BiasAdd:0" and y.shape.as_list() == [2, 6, 6, 4]
        assert [(v.name, v.shape.as_list()) for v in tf.global_variables()] == [
            ("separable_conv2d/depthwise_kernel:0", [3, 3, 3, 2]),
            ("separable_conv2d/pointwise_kernel:0", [1, 1, 6, 4]),
            ("separable_conv2d/bias:0", [4])]
        types = dict(_ops(g))
        assert types["separable_conv2d/separable_conv2d/depthwise"] == "DepthwiseConv2dNative"
        assert types["separable_conv2d/separable_conv2d"] == "Conv2D"


def test_conv_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="The channel dimension of the inputs should be "
                                             "defined"):
            tf.layers.conv2d(tf.placeholder(tf.float32, [2, 8, 8, None]), 4, 3)
        with pytest.raises(ValueError, match="expected min_ndim=4, found ndim=3"):
            tf.layers.conv2d(tf.placeholder(tf.float32, [8, 8, 3]), 4, 3)
        with pytest.raises(ValueError, match="`strides > 1` not supported in conjunction"):
            tf.layers.Conv2D(4, 3, strides=2, dilation_rate=2)


# ----- pooling, flatten -----

def test_pooling_layers():
    with tf.Graph().as_default() as g:
        a = tf.layers.max_pooling2d(tf.placeholder(tf.float32, [2, 8, 8, 3]), 2, 2)
        b = tf.layers.average_pooling2d(tf.placeholder(tf.float32, [2, 8, 8, 3]), 3, 1,
                                        padding="same")
        c = tf.layers.max_pooling1d(tf.placeholder(tf.float32, [2, 8, 3]), 2, 2)
        d = tf.layers.average_pooling1d(tf.placeholder(tf.float32, [2, 8, 3]), 2, 2)
        p = tf.placeholder(tf.float32, [2, 3, 8])
        e = tf.layers.max_pooling1d(p, 2, 2, data_format="channels_first")
        assert [(t.name, t.shape.as_list()) for t in (a, b, c, d, e)] == [
            ("max_pooling2d/MaxPool:0", [2, 4, 4, 3]),
            ("average_pooling2d/AvgPool:0", [2, 8, 8, 3]),
            ("max_pooling1d/Squeeze:0", [2, 4, 3]),
            ("average_pooling1d/Squeeze:0", [2, 4, 3]),
            ("max_pooling1d_1/Squeeze:0", [2, 3, 4])]
        assert dict(_ops(g))["max_pooling1d/ExpandDims"] == "ExpandDims"
        xv = np.arange(2 * 3 * 8, dtype=np.float32).reshape(2, 3, 8)
        with tf.Session() as sess:
            out = sess.run(e, {p: xv})
        np.testing.assert_array_equal(out, xv.reshape(2, 3, 4, 2).max(-1))


def test_flatten():
    with tf.Graph().as_default():
        a = tf.layers.flatten(tf.placeholder(tf.float32, [None, 4, 3]))
        b = tf.layers.flatten(tf.placeholder(tf.float32, [None, None, 3]))
        c = tf.layers.flatten(tf.placeholder(tf.float32, [None]))
        assert [(t.name, t.shape.as_list()) for t in (a, b, c)] == [
            ("flatten/Reshape:0", [None, 12]), ("flatten_1/Reshape:0", [None, None]),
            ("flatten_2/ExpandDims:0", [None, 1])]
        np.testing.assert_array_equal(a.op.inputs[1].op.get_attr("value"), [-1, 12])
        p = tf.placeholder(tf.float32, [2, 3, 2])
        d = tf.layers.Flatten(data_format="channels_first")(p)
        xv = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(d, {p: xv}),
                                          xv.transpose(0, 2, 1).reshape(2, 6))


# ----- Dropout -----

def test_dropout_static_training():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [200, 50])
        off = tf.layers.dropout(x)
        on = tf.layers.dropout(x, 0.3, training=True)
        assert off.name == "dropout/Identity:0"
        assert on.name == "dropout_1/dropout/SelectV2:0"
        xv = np.ones((200, 50), np.float32)
        with tf.Session() as sess:
            a, b = sess.run([off, on], {x: xv})
        np.testing.assert_array_equal(a, xv)
        kept = b != 0
        np.testing.assert_allclose(b[kept], 1 / 0.7, rtol=1e-6)
        assert 0.6 < kept.mean() < 0.8


def test_dropout_training_tensor_and_noise_shape():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [400, 3])
        training = tf.placeholder(tf.bool, [])
        y = tf.layers.dropout(x, 0.5, noise_shape=[400, 1], training=training)
        assert y.shape.as_list() == [400, 3]
        xv = np.ones((400, 3), np.float32)
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(y, {x: xv, training: False}), xv)
            out = sess.run(y, {x: xv, training: True})
        # One draw per row: a row is all kept (scaled by 2) or all dropped.
        assert set(np.unique(out)) <= {0.0, 2.0}
        assert np.all(out.min(1) == out.max(1))
        with pytest.raises(ValueError, match="Invalid value received for argument `rate`"):
            tf.layers.Dropout(1.5)


# ----- BatchNormalization -----

def test_batch_normalization_inference_names():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        y = tf.layers.batch_normalization(x)
        assert y.name == "batch_normalization/batchnorm/add_1:0"
        assert [(v.name, v in tf.trainable_variables()) for v in tf.global_variables()] == [
            ("batch_normalization/gamma:0", True), ("batch_normalization/beta:0", True),
            ("batch_normalization/moving_mean:0", False),
            ("batch_normalization/moving_variance:0", False)]
        assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []
        with tf.Session() as sess:
            _init(sess)
            xv = np.array([[1., 2., 3.]], np.float32)
            np.testing.assert_allclose(sess.run(y, {x: xv}), xv / np.sqrt(1 + 1e-3),
                                       rtol=1e-6)


def test_batch_normalization_training_updates_moving_averages():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        layer = tf.layers.BatchNormalization(momentum=0.9)
        y = layer(x, training=True)
        updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        assert [op.name for op in updates] == [
            "batch_normalization/AssignMovingAvg/AssignSubVariableOp",
            "batch_normalization/AssignMovingAvg_1/AssignSubVariableOp"]
        assert layer.updates == updates
        assert [v.name for v in layer.non_trainable_weights] == [
            "batch_normalization/moving_mean:0", "batch_normalization/moving_variance:0"]
        loss = tf.reduce_sum(y * y)
        with tf.control_dependencies(updates):
            train = tf.train.GradientDescentOptimizer(0.0).minimize(loss)
        xv = np.array([[1., 2., 4.], [3., 6., 0.]], np.float32)
        with tf.Session() as sess:
            _init(sess)
            out = sess.run(y, {x: xv})
            mean, var = xv.mean(0), xv.var(0)
            np.testing.assert_allclose(out, (xv - mean) / np.sqrt(var + 1e-3), rtol=1e-5)
            sess.run(train, {x: xv})
            mm, mv = sess.run([layer.moving_mean, layer.moving_variance])
            np.testing.assert_allclose(mm, 0.1 * mean, rtol=1e-6)
            np.testing.assert_allclose(mv, 0.9 + 0.1 * var, rtol=1e-6)


def test_batch_normalization_training_tensor():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2])
        training = tf.placeholder(tf.bool, [])
        y = tf.layers.batch_normalization(x, training=training, momentum=0.5)
        updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        assert len(updates) == 2
        xv = np.array([[0., 2.], [2., 6.]], np.float32)
        mm = tf.global_variables()[2]
        with tf.Session() as sess:
            _init(sess)
            # Inference: no update, moving statistics.
            out, _ = sess.run([y, updates], {x: xv, training: False})
            np.testing.assert_allclose(out, xv / np.sqrt(1 + 1e-3), rtol=1e-6)
            np.testing.assert_allclose(sess.run(mm), [0., 0.])
            out, _ = sess.run([y, updates], {x: xv, training: True})
            np.testing.assert_allclose(out, [[-1, -1], [1, 1]] / np.sqrt(1 + 1e-3 / 1.0),
                                       rtol=1e-3)
            np.testing.assert_allclose(sess.run(mm), [0.5, 2.0])


def test_batch_normalization_4d_matches_tf_fused_statistics():
    # TF 2.21 fuses this case (FusedBatchNormV3): the moving variance takes the
    # Bessel-corrected batch variance. Values recorded from TF.
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, 2, 2, 3])
        y = tf.layers.batch_normalization(x, training=True)
        updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        with tf.Session() as sess:
            _init(sess)
            xv = np.arange(24, dtype=np.float32).reshape(2, 2, 2, 3) ** 1.5
            out = sess.run([y] + updates, {x: xv})[0]
            np.testing.assert_allclose(
                out.ravel()[:6],
                [-1.2286081, -1.2715533, -1.3007442, -1.0685866, -1.0669492, -1.067564],
                rtol=1e-5)
            gamma, beta, mm, mv = sess.run(tf.global_variables())
            np.testing.assert_allclose(mm, [0.39894798, 0.44502884, 0.4941769], rtol=1e-5)
            np.testing.assert_allclose(mv, [13.040298, 14.367009, 15.651555], rtol=1e-5)


@pytest.mark.parametrize("shape,axis,expected", [
    # Values recorded from TF 2.21: 5-D input is fused (Bessel-corrected moving variance),
    # a middle axis is not.
    ([2, 3, 4, 5, 6], -1, [1.0338391, 1.0348251, 1.0354621, 1.0296869]),
    ([2, 4, 4, 3], 2, [1.0354682, 1.0254773, 1.0330626, 1.026549]),
    ([2, 4, 4, 3], [1, 3], [1.0191747, 1.0422542, 1.0334623, 1.0207278]),
])
def test_batch_normalization_moving_variance_matches_tf(shape, axis, expected):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, shape)
        y = tf.layers.batch_normalization(x, axis=axis, training=True)
        with tf.Session() as sess:
            _init(sess)
            xv = (np.arange(np.prod(shape), dtype=np.float32).reshape(shape) ** 1.3) % 7
            sess.run([y] + tf.get_collection(tf.GraphKeys.UPDATE_OPS), {x: xv})
            moving_variance = sess.run(tf.global_variables()[-1])
        np.testing.assert_allclose(moving_variance.ravel()[:4], expected, rtol=1e-5)


def test_batch_normalization_channels_first_and_gradient():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2, 3, 2, 2])
        y = tf.layers.batch_normalization(x, axis=1, training=True, center=False)
        assert [v.name for v in tf.global_variables()] == [
            "batch_normalization/gamma:0", "batch_normalization/moving_mean:0",
            "batch_normalization/moving_variance:0"]
        with tf.Session() as sess:
            _init(sess)
            xv = np.random.RandomState(5).randn(2, 3, 2, 2)
            out = sess.run(y, {x: xv})
            mean = xv.mean((0, 2, 3), keepdims=True)
            var = xv.var((0, 2, 3), keepdims=True)
            np.testing.assert_allclose(out, (xv - mean) / np.sqrt(var + 1e-3), rtol=1e-10)
            t, n = _fd_grad(sess, x, y, xv)
            np.testing.assert_allclose(t, n, rtol=1e-5, atol=1e-6)


def test_batch_normalization_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Input has undefined `axis` dimension"):
            tf.layers.batch_normalization(tf.placeholder(tf.float32, [None, None]))
        with pytest.raises(NotImplementedError):
            tf.layers.BatchNormalization(renorm=True)


def test_layers_train_end_to_end():
    """A small TF 1 style program: conv, pool, flatten, dense, batch norm, dropout, trained
    with the update ops as control dependencies; the loss goes down."""
    rng = np.random.RandomState(0)
    xv = rng.rand(16, 6, 6, 1).astype(np.float32)
    yv = (xv.mean((1, 2, 3)) > 0.5).astype(np.int64)
    with tf.Graph().as_default():
        tf.set_random_seed(1)
        x = tf.placeholder(tf.float32, [None, 6, 6, 1])
        labels = tf.placeholder(tf.int64, [None])
        training = tf.placeholder_with_default(False, [])
        h = tf.layers.conv2d(x, 4, 3, padding="same", activation=tf.nn.relu)
        h = tf.layers.max_pooling2d(h, 2, 2)
        h = tf.layers.flatten(h)
        h = tf.layers.dense(h, 8)
        h = tf.layers.batch_normalization(h, training=training)
        h = tf.nn.relu(h)
        h = tf.layers.dropout(h, 0.1, training=training)
        logits = tf.layers.dense(h, 2)
        loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            train = tf.train.AdamOptimizer(0.05).minimize(loss)
        moving_mean = [v for v in tf.global_variables()
                       if v.name == "batch_normalization/moving_mean:0"][0]
        feed = {x: xv, labels: yv, training: True}
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            first = sess.run(loss, feed)
            for _ in range(60):
                sess.run(train, feed)
            last = sess.run(loss, feed)
            assert np.all(sess.run(moving_mean) != 0)
            # Inference runs without dropout and with the moving statistics.
            out = sess.run(logits, {x: xv})
            np.testing.assert_array_equal(out, sess.run(logits, {x: xv}))
        assert last < first * 0.7
