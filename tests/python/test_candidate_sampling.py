"""Candidate samplers, compute_accidental_hits, nce_loss and sampled_softmax_loss. With the
sampled values given, the losses equal TF 2.21's (printed on the same inputs); the samplers
are checked against their distribution; the losses' derivatives against finite
differences."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import assert_gradients_close

RNG = np.random.RandomState(0)
W = RNG.randn(10, 4).astype(np.float32)
B = RNG.randn(10).astype(np.float32)
X = RNG.randn(3, 4).astype(np.float32)
LABELS = np.array([[1, 2], [3, 1], [0, 5]], np.int64)


def _sampled(dtype=tf.float32):
    return (tf.constant([1, 7, 4], tf.int64), tf.constant([[0.3, 0.2]] * 3, dtype),
            tf.constant([0.4, 0.1, 0.2], dtype))


def test_losses_with_given_samples_as_tf():
    with tf.Graph().as_default():
        sv = _sampled()
        nce = tf.nn.nce_loss(W, B, LABELS, X, 3, 10, num_true=2, sampled_values=sv)
        softmax = tf.nn.sampled_softmax_loss(W, B, LABELS, X, 3, 10, num_true=2,
                                             sampled_values=sv)
        nce_hits = tf.nn.nce_loss(W, B, LABELS, X, 3, 10, num_true=2, sampled_values=sv,
                                  remove_accidental_hits=True)
        assert nce.shape.as_list() == [3] and softmax.shape.as_list() == [3]
        with tf.Session() as sess:
            got = sess.run([nce, softmax, nce_hits])
    np.testing.assert_allclose(got, [[5.31573, 7.65845, 5.15372], [4.14951, 2.78764, 2.86058],
                                     [5.26008, 7.33359, 5.15372]], rtol=1e-5)


def test_compute_accidental_hits_as_tf():
    with tf.Graph().as_default():
        hits = tf.nn.compute_accidental_hits(LABELS, [1, 7, 4, 1], num_true=2)
        with tf.Session() as sess:
            indices, ids, weights = sess.run(hits)
    # A class sampled twice counts at its last position, as in TF's kernel.
    np.testing.assert_array_equal(indices, [0, 1])
    np.testing.assert_array_equal(ids, [3, 3])
    np.testing.assert_array_equal(weights, [-np.finfo(np.float32).max] * 2)


@pytest.mark.parametrize("sampler", ["log_uniform", "uniform"])
def test_samplers(sampler):
    fn = {"log_uniform": tf.nn.log_uniform_candidate_sampler,
          "uniform": tf.random.uniform_candidate_sampler}[sampler]
    with tf.Graph().as_default():
        true = tf.constant([[0], [3]], tf.int64)
        unique = fn(true, 1, 5, True, 20, seed=7)
        plain = fn(true, 1, 5, False, 20, seed=7)
        assert [t.shape.as_list() for t in unique] == [[5], [2, 1], [5]]
        counts = np.zeros(20)
        with tf.Session() as sess:
            for _ in range(400):
                s, tc, sc = sess.run(unique)
                assert len(set(s.tolist())) == 5 and s.min() >= 0 and s.max() < 20
                # Counts are below 1 after redraws; with none, TF's shortcut p * num_sampled.
                assert np.all((sc > 0) & (sc <= 5)) and np.all((tc > 0) & (tc <= 5))
                counts[s] += 1
            s, tc, sc = sess.run(plain)
    if sampler == "log_uniform":
        p = np.log((np.arange(20) + 2.0) / (np.arange(20) + 1.0)) / np.log(21.0)
        assert counts[0] > counts[5] > counts[19]
    else:
        p = np.full(20, 1 / 20)
        assert counts.min() > 40
    # Without uniqueness the expected count is p * num_sampled exactly.
    np.testing.assert_allclose(sc, p[s] * 5, rtol=1e-6)
    np.testing.assert_allclose(tc[:, 0], p[[0, 3]] * 5, rtol=1e-6)


def test_sampler_errors():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="int64"):
            tf.nn.log_uniform_candidate_sampler(tf.constant([[1]]), 1, 2, True, 5)
        with pytest.raises(ValueError, match="more samples"):
            tf.nn.log_uniform_candidate_sampler(tf.constant([[1]], tf.int64), 1, 6, True, 5)


def test_word2vec_style_training_converges():
    with tf.Graph().as_default():
        tf.set_random_seed(1)
        inputs = tf.placeholder(tf.int32, [16])
        labels = tf.placeholder(tf.int32, [16, 1])
        embeddings = tf.Variable(tf.random_uniform([50, 8], -1.0, 1.0))
        weights = tf.Variable(tf.truncated_normal([50, 8], stddev=0.35))
        biases = tf.Variable(tf.zeros([50]))
        embed = tf.nn.embedding_lookup(embeddings, inputs)
        loss = tf.reduce_mean(tf.nn.nce_loss(weights, biases, labels, embed, 8, 50))
        step = tf.train.GradientDescentOptimizer(1.0).minimize(loss)
        x = RNG.randint(0, 50, 16)
        feed = {inputs: x, labels: ((x + 1) % 50)[:, None]}
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            first = np.mean([sess.run([loss, step], feed)[0] for _ in range(10)])
            for _ in range(280):
                sess.run(step, feed)
            last = np.mean([sess.run([loss, step], feed)[0] for _ in range(10)])
    assert last < first / 5


def test_gradients_with_given_samples():
    with tf.Graph().as_default():
        w = tf.placeholder(tf.float64, [10, 4])
        b = tf.placeholder(tf.float64, [10])
        x = tf.placeholder(tf.float64, [3, 4])
        sv = _sampled(tf.float64)
        nce = tf.nn.nce_loss(w, b, LABELS, x, 3, 10, num_true=2, sampled_values=sv)
        softmax = tf.nn.sampled_softmax_loss(w, b, LABELS, x, 3, 10, num_true=2,
                                             sampled_values=sv)
        values = [W.astype(np.float64), B.astype(np.float64), X.astype(np.float64)]
        assert_gradients_close([w, b, x], nce + softmax, values)
