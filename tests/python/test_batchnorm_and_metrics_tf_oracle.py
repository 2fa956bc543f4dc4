"""fused_batch_norm, batch_norm_with_global_normalization, compute_average_loss and the
added streaming metrics in TensorFlow and in symgrad: the same values and gradients (and, for
the metrics, the same tensor and variable names). Skipped when tensorflow is not importable
(the normal test run); see test_tf_oracle.py for how to run it."""

from __future__ import annotations

import numpy as np
import pytest

tensorflow = pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402

tf1.disable_eager_execution()


def _batchnorm(tf):
    rng = np.random.RandomState(0)
    x_val = rng.randn(2, 3, 4, 5).astype(np.float32)
    scale = rng.rand(5).astype(np.float32) + 0.5
    offset = rng.randn(5).astype(np.float32)
    with tf.Graph().as_default():
        # Fed, so that TF's graph optimizer does not fold the inference op away.
        px = tf.placeholder(tf.float32, x_val.shape)
        x, s, o = px + 0.0, tf.constant(scale), tf.constant(offset)
        outs = {
            "train": tf.nn.fused_batch_norm(x, s, o),
            "nchw": tf.nn.fused_batch_norm(tf.transpose(x, [0, 3, 1, 2]), s, o,
                                           data_format="NCHW"),
            "avg": tf.nn.fused_batch_norm(x, s, o, mean=tf.zeros([5]), variance=tf.ones([5]),
                                          exponential_avg_factor=0.3),
            # TF can fetch only y of an inference batch norm (its optimizer rewrites it).
            "infer": tf.nn.fused_batch_norm(x, s, o, mean=tf.constant(offset),
                                            variance=tf.constant(scale), is_training=False,
                                            epsilon=0.01)[:1],
            "global": tf.nn.batch_norm_with_global_normalization(
                x, tf.constant(offset), tf.constant(scale), o, s, 0.01, True),
            "average": tf.nn.compute_average_loss([1.0, 2.0, 3.0, 4.0],
                                                  sample_weight=[1.0, 0.0, 1.0, 1.0]),
        }
        weights = tf.constant(rng.randn(*x_val.shape).astype(np.float32))
        outs["grads"] = tf.gradients(tf.reduce_sum(outs["train"][0] * weights), [px, s, o])
        outs["infer_grads"] = tf.gradients(tf.reduce_sum(outs["infer"][0] ** 2), [px, s, o])
        with tf.Session() as sess:
            return sess.run(outs, {px: x_val})


def test_batchnorm_agrees_with_tf():
    want, got = _batchnorm(tf1), _batchnorm(symgrad)

    def parts(value):
        return list(value) if isinstance(value, (list, tuple)) else [value]

    for key in want:
        assert len(parts(got[key])) == len(parts(want[key])), key
        for w, g in zip(parts(want[key]), parts(got[key])):
            np.testing.assert_allclose(g, w, rtol=2e-4, atol=2e-5, err_msg=key)


def _metrics(tf):
    rng = np.random.RandomState(1)
    with tf.Graph().as_default():
        lab = tf.placeholder(tf.int32, [None])
        pred = tf.placeholder(tf.int32, [None])
        w = tf.placeholder(tf.float32, [None])
        yl = tf.placeholder(tf.float32, [None, 3])
        yp = tf.placeholder(tf.float32, [None, 3])
        nz = tf.placeholder(tf.float32, [None, 3])
        ms = {"mpca": tf.metrics.mean_per_class_accuracy(lab, pred, 4),
              "mpca_w": tf.metrics.mean_per_class_accuracy(lab, pred, 4, weights=w),
              "mre": tf.metrics.mean_relative_error(yl, yp, nz),
              "mcd": tf.metrics.mean_cosine_distance(yl, yp, dim=1),
              "pb": tf.metrics.percentage_below(yp, 0.5),
              "mt": tf.metrics.mean_tensor(yp[1] * 2),
              "mt_w": tf.metrics.mean_tensor(yp[0], weights=[1.0, 0.0, 2.0])}
        names = {k: (v[0].name, v[1].name, v[0].shape.as_list()) for k, v in ms.items()}
        names["locals"] = sorted(v.name for v in tf.local_variables())
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            for _ in range(2):
                feed = {lab: rng.randint(0, 4, 8), pred: rng.randint(0, 4, 8), w: rng.rand(8),
                        yl: rng.rand(5, 3), yp: rng.rand(5, 3),
                        nz: rng.randint(0, 3, (5, 3)).astype(np.float32)}
                updates = sess.run({k: v[1] for k, v in ms.items()}, feed)
            values = sess.run({k: v[0] for k, v in ms.items()})
    return names, updates, values


def test_metrics_agree_with_tf():
    want, got = _metrics(tf1), _metrics(symgrad)
    assert got[0] == want[0]
    for w_part, g_part in zip(want[1:], got[1:]):
        for key in w_part:
            np.testing.assert_allclose(g_part[key], w_part[key], rtol=1e-5, err_msg=key)
