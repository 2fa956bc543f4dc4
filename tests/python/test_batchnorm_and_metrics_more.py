"""nn.fused_batch_norm (values, running statistics, first and second derivatives),
batch_norm_with_global_normalization, compute_average_loss, scale_regularization_loss, and
the metrics mean_per_class_accuracy, mean_relative_error, mean_cosine_distance,
percentage_below and mean_tensor."""

from __future__ import annotations

import numpy as np
import pytest
from gradient_checker import assert_gradients_close, run_once

import symgrad as tf


def _x(shape=(2, 3, 4, 5), seed=0):
    return np.random.RandomState(seed).randn(*shape)


def test_fused_batch_norm_training_values_and_statistics():
    x = _x()
    scale, offset = np.linspace(0.5, 1.5, 5), np.linspace(-1, 1, 5)
    with tf.Graph().as_default():
        y, mean, var = tf.nn.fused_batch_norm(x, scale, offset, epsilon=1e-3)
        y2, mean2, var2 = tf.nn.fused_batch_norm(
            np.transpose(x, (0, 3, 1, 2)), scale, offset, data_format="NCHW")
        ya, mean_a, var_a = tf.nn.fused_batch_norm(x, scale, offset, mean=np.ones(5),
                                                   variance=np.ones(5),
                                                   exponential_avg_factor=0.25)
        got = run_once([y, mean, var, y2, mean2, var2, mean_a, var_a])
    batch_mean = x.mean(axis=(0, 1, 2))
    batch_var = x.var(axis=(0, 1, 2))
    want_y = (x - batch_mean) / np.sqrt(batch_var + 1e-3) * scale + offset
    np.testing.assert_allclose(got[0], want_y, rtol=1e-10)
    np.testing.assert_allclose(got[1], batch_mean, rtol=1e-12)
    n = 2 * 3 * 4
    np.testing.assert_allclose(got[2], batch_var * n / (n - 1), rtol=1e-12)
    np.testing.assert_allclose(got[3], np.transpose(want_y, (0, 3, 1, 2)), rtol=1e-10)
    np.testing.assert_allclose(got[6], 0.75 + 0.25 * batch_mean, rtol=1e-12)
    np.testing.assert_allclose(got[7], 0.75 + 0.25 * batch_var * n / (n - 1), rtol=1e-12)


def test_fused_batch_norm_inference_and_errors():
    x = _x()
    with tf.Graph().as_default():
        mean, var = np.linspace(-0.2, 0.2, 5), np.linspace(0.5, 2.0, 5)
        y, m, v = tf.nn.fused_batch_norm(x, np.ones(5), np.zeros(5), mean=mean, variance=var,
                                         is_training=False, epsilon=0.01)
        got = run_once([y, m, v])
        with pytest.raises(ValueError, match="Both `mean` and `variance` must be a 1D tensor"):
            tf.nn.fused_batch_norm(x, np.ones(5), np.zeros(5), is_training=False)
        with pytest.raises(ValueError, match="Shape must be rank 4 but is rank 2"):
            tf.nn.fused_batch_norm(np.zeros((2, 5)), np.ones(5), np.zeros(5))
    np.testing.assert_allclose(got[0], (x - mean) / np.sqrt(var + 0.01), rtol=1e-12)
    np.testing.assert_allclose(got[1], mean)
    np.testing.assert_allclose(got[2], var)


def test_fused_batch_norm_gradients():
    x = _x((2, 2, 2, 3), seed=1)
    with tf.Graph().as_default():
        px = tf.placeholder(tf.float64, x.shape)
        ps = tf.placeholder(tf.float64, [3])
        po = tf.placeholder(tf.float64, [3])
        weights = tf.constant(np.random.RandomState(2).randn(*x.shape))
        y, mean, var = tf.nn.fused_batch_norm(px, ps, po)
        loss = tf.reduce_sum(y * weights)
        assert_gradients_close([px, ps, po], loss,
                               [x, np.array([0.5, 1.0, 2.0]), np.array([0.1, 0.0, -0.3])],
                               tol=1e-6)
        # As TF's gradient, the returned statistics carry none back.
        assert tf.gradients(tf.reduce_sum(mean) + tf.reduce_sum(var), px) == [None]


def test_global_normalization_and_loss_scaling():
    x = _x()
    m, v = np.linspace(-0.2, 0.2, 5), np.linspace(0.5, 2.0, 5)
    beta, gamma = np.linspace(0, 1, 5), np.linspace(1, 2, 5)
    with tf.Graph().as_default():
        scaled = tf.nn.batch_norm_with_global_normalization(x, m, v, beta, gamma, 0.01, True)
        unscaled = tf.nn.batch_norm_with_global_normalization(
            input=x, mean=m, variance=v, beta=beta, gamma=gamma, variance_epsilon=0.01,
            scale_after_normalization=False)
        average = tf.nn.compute_average_loss([1.0, 2.0, 3.0, 4.0], sample_weight=[1, 0, 1, 1])
        fixed = tf.nn.compute_average_loss([[1.0, 2.0], [3.0, 4.0]], global_batch_size=8)
        reg = tf.nn.scale_regularization_loss([1.0, 2.0])
        got = run_once([scaled, unscaled, average, fixed, reg])
        with pytest.raises(ValueError, match="Expected a tensor with at least rank 1"):
            tf.nn.compute_average_loss(1.0)
        with pytest.raises(TypeError, match="global_batch_size must be an integer"):
            tf.nn.compute_average_loss([1.0], global_batch_size=2.0)
    np.testing.assert_allclose(got[0], (x - m) / np.sqrt(v + 0.01) * gamma + beta, rtol=1e-10)
    np.testing.assert_allclose(got[1], (x - m) / np.sqrt(v + 0.01) + beta, rtol=1e-10)
    assert got[2:] == [pytest.approx(2.0), pytest.approx(1.25), pytest.approx(3.0)]


def test_more_streaming_metrics():
    rng = np.random.RandomState(0)
    batches = [(rng.randint(0, 4, 8), rng.randint(0, 4, 8), rng.rand(8)) for _ in range(2)]
    dense = [(rng.rand(5, 3), rng.rand(5, 3), rng.randint(0, 3, (5, 3))) for _ in range(2)]
    with tf.Graph().as_default():
        labels = tf.placeholder(tf.int32, [None])
        predictions = tf.placeholder(tf.int32, [None])
        weights = tf.placeholder(tf.float32, [None])
        y_true = tf.placeholder(tf.float32, [None, 3])
        y_pred = tf.placeholder(tf.float32, [None, 3])
        normalizer = tf.placeholder(tf.float32, [None, 3])
        per_class, per_class_up = tf.metrics.mean_per_class_accuracy(
            labels, predictions, 4, weights=weights)
        relative, relative_up = tf.metrics.mean_relative_error(y_true, y_pred, normalizer)
        cosine, cosine_up = tf.metrics.mean_cosine_distance(y_true, y_pred, dim=1)
        below, below_up = tf.metrics.percentage_below(y_pred, 0.5)
        tensor, tensor_up = tf.metrics.mean_tensor(y_pred[1] * 2)
        assert per_class.name == "mean_accuracy/mean_accuracy:0"
        assert tensor.shape.as_list() == [3]
        with pytest.raises(ValueError, match="Cannot convert a partially known TensorShape"):
            tf.metrics.mean_tensor(tf.reshape(y_pred, [-1]))
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            for (lab, pred, w), (t, p, nz) in zip(batches, dense):
                sess.run([per_class_up, relative_up, cosine_up, below_up, tensor_up],
                         {labels: lab, predictions: pred, weights: w, y_true: t, y_pred: p,
                          normalizer: nz})
            got = sess.run([per_class, relative, cosine, below, tensor])
    lab = np.concatenate([b[0] for b in batches])
    pred = np.concatenate([b[1] for b in batches])
    w = np.concatenate([b[2] for b in batches])
    totals = np.bincount(lab, weights=w, minlength=4)
    hits = np.bincount(lab, weights=w * (lab == pred), minlength=4)
    np.testing.assert_allclose(got[0], np.mean(np.where(totals > 0, hits / np.maximum(
        totals, 1e-30), 0)), rtol=1e-5)
    t = np.concatenate([d[0] for d in dense])
    p = np.concatenate([d[1] for d in dense])
    nz = np.concatenate([d[2] for d in dense])
    rel = np.where(nz == 0, 0.0, np.abs(t - p) / np.where(nz == 0, 1, nz))
    np.testing.assert_allclose(got[1], rel.mean(), rtol=1e-5)
    np.testing.assert_allclose(got[2], 1 - (t * p).sum(axis=1).mean(), rtol=1e-5)
    np.testing.assert_allclose(got[3], (p < 0.5).mean(), rtol=1e-6)
    np.testing.assert_allclose(got[4], np.mean([d[1][1] * 2 for d in dense], axis=0),
                               rtol=1e-6)
