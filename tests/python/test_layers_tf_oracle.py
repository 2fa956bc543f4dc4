"""tf.layers and tf.metrics against TensorFlow itself (skipped without TF and tf_keras).

Run where a TF venv with tf_keras exists next to a built symgrad tree:

    TF_USE_LEGACY_KERAS=1 PYTHONPATH=/path/to/symgrad/python /path/to/tfenv/bin/python \
        -m pytest tests/python/test_layers_tf_oracle.py

Each program is written once against ``tf.compat.v1`` and built with TF and with symgrad; the
graphs are compared as (op name, op type) lists, leaving out variable initializers (TF draws
glorot_uniform with stateless random ops), and the metric values on shared data.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
tensorflow = pytest.importorskip("tensorflow")
pytest.importorskip("tf_keras")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402

tf1.disable_eager_execution()


def _graph_ops(tf, program):
    graph = tf.Graph()
    with graph.as_default():
        program(tf)
        return [(op.name, op.type) for op in graph.get_operations()
                if "/Initializer/" not in op.name and "/IsInitialized" not in op.name
                and "/Read/" not in op.name and not op.name.endswith("/Assign")]


def _dense_program(tf):
    x = tf.placeholder(tf.float32, [None, 3])
    h = tf.layers.dense(x, 4, activation=tf.nn.relu)
    layer = tf.layers.Dense(2, use_bias=False)
    layer(h)
    layer(h)
    with tf.variable_scope("net"):
        tf.layers.dense(tf.placeholder(tf.float32, [2, 5, 3]), 4)


def _conv_program(tf):
    x = tf.placeholder(tf.float32, [2, 8, 8, 3])
    h = tf.layers.conv2d(x, 4, 3, padding="same", activation=tf.nn.relu)
    h = tf.layers.max_pooling2d(h, 2, 2)
    h = tf.layers.average_pooling2d(h, 2, 1)
    h = tf.layers.flatten(h)
    tf.layers.conv1d(tf.placeholder(tf.float32, [2, 8, 3]), 2, 3)
    tf.layers.max_pooling1d(tf.placeholder(tf.float32, [2, 8, 3]), 2, 2)


def _conv1d_program(tf):
    tf.layers.conv1d(tf.placeholder(tf.float32, [2, 7, 3]), 2, 3, padding="causal",
                     dilation_rate=2)
    tf.layers.conv1d(tf.placeholder(tf.float32, [2, 7, 3]), 2, 2, padding="causal")
    tf.layers.conv1d(tf.placeholder(tf.float32, [2, 9, 3]), 2, 3, padding="same",
                     dilation_rate=3)
    tf.layers.conv2d(tf.placeholder(tf.float32, [2, 8, 8, 3]), 4, 3, dilation_rate=2,
                     padding="same")


def _conv3d_program(tf):
    x = tf.placeholder(tf.float32, [2, 6, 6, 6, 3])
    h = tf.layers.conv3d(x, 4, 3, padding="same", activation=tf.nn.relu)
    h = tf.layers.max_pooling3d(h, 2, 2)
    tf.layers.average_pooling3d(h, 2, 1)
    # (A channels-first Conv3D runs between two Transposes in symgrad, natively in TF.)
    first = tf.placeholder(tf.float32, [2, 3, 6, 6, 6])
    tf.layers.max_pooling3d(first, 2, 2, data_format="channels_first")
    tf.layers.conv3d(x, 2, 3, dilation_rate=2, padding="same")


def _batch_norm_program(tf):
    tf.layers.batch_normalization(tf.placeholder(tf.float32, [None, 3]), training=True)
    tf.layers.batch_normalization(tf.placeholder(tf.float32, [None, 3]))


def _dropout_flatten_program(tf):
    tf.layers.dropout(tf.placeholder(tf.float32, [2, 3]), 0.3, training=True)
    tf.layers.dropout(tf.placeholder(tf.float32, [2, 3]))
    tf.layers.flatten(tf.placeholder(tf.float32, [None, None, 3]))
    tf.layers.flatten(tf.placeholder(tf.float32, [5, None, 3]))
    tf.layers.flatten(tf.placeholder(tf.float32, [None]))


@pytest.mark.parametrize("program", [_dense_program, _conv_program, _conv1d_program,
                                     _conv3d_program, _batch_norm_program,
                                     _dropout_flatten_program],
                         ids=lambda p: p.__name__)
def test_layer_graphs_match_tf(program):
    assert _graph_ops(symgrad, program) == _graph_ops(tf1, program)


def _metric_values(tf, make, feeds):
    graph = tf.Graph()
    with graph.as_default():
        labels = tf.placeholder(tf.int64, [None])
        scores = tf.placeholder(tf.float32, [None])
        weights = tf.placeholder(tf.float32, [None])
        value, update = make(tf, labels, scores, weights)
        names = sorted(v.name for v in tf.local_variables())
        out = []
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            for lab, sco, w in feeds:
                out.append(sess.run(update, {labels: lab, scores: sco, weights: w}))
            out.append(sess.run(value))
        return names, np.array(out, np.float64)


METRICS = {
    "accuracy": lambda tf, l, s, w: tf.metrics.accuracy(l, tf.cast(s > 0.5, tf.int64), w),
    "mean": lambda tf, l, s, w: tf.metrics.mean(s, w),
    "mse": lambda tf, l, s, w: tf.metrics.mean_squared_error(tf.cast(l, tf.float32), s, w),
    "mae": lambda tf, l, s, w: tf.metrics.mean_absolute_error(tf.cast(l, tf.float32), s),
    "rmse": lambda tf, l, s, w: tf.metrics.root_mean_squared_error(tf.cast(l, tf.float32), s),
    "precision": lambda tf, l, s, w: tf.metrics.precision(l, s > 0.5, w),
    "recall": lambda tf, l, s, w: tf.metrics.recall(l, s > 0.5),
    "tn": lambda tf, l, s, w: tf.metrics.true_negatives(l, s > 0.5, w),
    "auc": lambda tf, l, s, w: tf.metrics.auc(l, s, w),
    "auc_pr": lambda tf, l, s, w: tf.metrics.auc(l, s, curve="PR", num_thresholds=50),
    "auc_minoring": lambda tf, l, s, w: tf.metrics.auc(l, s, summation_method="minoring"),
    "precision_at": lambda tf, l, s, w: tf.metrics.precision_at_thresholds(l, s, [.2, .7], w),
    "recall_at": lambda tf, l, s, w: tf.metrics.recall_at_thresholds(l, s, [.2, .7]),
    "fn_at": lambda tf, l, s, w: tf.metrics.false_negatives_at_thresholds(l, s, [.5], w),
}


@pytest.mark.parametrize("name", sorted(METRICS))
def test_metric_values_match_tf(name):
    rng = np.random.RandomState(7)
    feeds = [(rng.randint(0, 2, 20).astype(np.int64), rng.rand(20).astype(np.float32),
              rng.rand(20).astype(np.float32)) for _ in range(3)]
    ours = _metric_values(symgrad, METRICS[name], feeds)
    theirs = _metric_values(tf1, METRICS[name], feeds)
    assert ours[0] == theirs[0]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=2e-5, atol=1e-6)
