"""Multinomial / random.categorical, RandomGamma (with its alpha and beta gradients) and
RandomPoissonV2: graph structure as TF builds it, TF's edge cases, errors, and the
distributions checked statistically with fixed seeds (deterministic: a seed fixes the draws).
Literal expected values were recorded from TF 2.21."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict=feed)


# ----- Multinomial -----

def test_multinomial_graph_as_tf():
    with tf.Graph().as_default():
        logits = tf.constant([[0., 1., -np.inf]])
        m = tf.multinomial(logits, 5, seed=3)
        assert (m.op.name, m.op.type, m.dtype, m.shape.as_list()) == (
            "multinomial/Multinomial", "Multinomial", tf.int64, [1, 5])
        assert [t.name for t in m.op.inputs] == ["Const:0",
                                                 "multinomial/Multinomial/num_samples:0"]
        assert m.op.get_attr("T") == tf.float32
        assert m.op.get_attr("output_dtype") == tf.int64
        assert (m.op.get_attr("seed"), m.op.get_attr("seed2")) == (87654321, 3)
        c = tf.random.categorical(logits, 4, dtype=tf.int32, name="cat")
        assert (c.op.name, c.dtype, c.shape.as_list()) == ("cat/Multinomial", tf.int32, [1, 4])
        d = tf.multinomial(tf.placeholder(tf.float64, [None, 3]),
                           tf.placeholder(tf.int32, []))
        assert d.shape.as_list() == [None, None]
        assert tf.gradients(tf.cast(m, tf.float32), logits) == [None]


def test_multinomial_frequencies_and_minus_inf():
    with tf.Graph().as_default():
        probs = np.array([[0.2, 0.3, 0.5], [0.0, 0.6, 0.4]])
        log_probs = np.log(np.where(probs > 0, probs, 1.0)) + np.where(probs > 0, 0.0, -np.inf)
        for dtype in (tf.float32, tf.float64):
            logits = tf.constant(log_probs, dtype)
            draws = _run(tf.multinomial(logits, 20000, seed=11))
            assert draws.shape == (2, 20000)
            for row, p in zip(draws, probs):
                freq = np.bincount(row, minlength=3) / row.size
                # 5 standard errors of a frequency from 20000 draws.
                np.testing.assert_allclose(freq, p, atol=5 * np.sqrt(0.25 / 20000))
            assert not np.any(draws[1] == 0)  # log(0) = -inf is never drawn


def test_multinomial_non_finite_logits_as_tf():
    # TF's kernel gives non-finite logits no mass; a row without mass gives num_classes.
    with tf.Graph().as_default():
        logits = tf.constant([[-np.inf, -np.inf], [np.nan, 1.], [np.inf, 1.], [1e30, 1.]])
        got = _run(tf.multinomial(logits, 3, seed=1))
    np.testing.assert_array_equal(got, [[2, 2, 2], [1, 1, 1], [1, 1, 1], [0, 0, 0]])


def test_multinomial_seeds_reproduce_per_session():
    with tf.Graph().as_default():
        m = tf.multinomial(tf.zeros([2, 10]), 8, seed=5)
        with tf.Session() as s1:
            a1, a2 = s1.run(m), s1.run(m)
        with tf.Session() as s2:
            b1 = s2.run(m)
    np.testing.assert_array_equal(a1, b1)
    assert not np.array_equal(a1, a2)


def test_multinomial_empty_shapes():
    with tf.Graph().as_default():
        assert _run(tf.multinomial(tf.zeros([0, 3]), 3)).shape == (0, 3)
        assert _run(tf.multinomial(tf.zeros([1, 2]), 0)).shape == (1, 0)


def test_multinomial_errors():
    with tf.Graph().as_default():
        logits = tf.constant([[0., 1., 2.]])
        with pytest.raises(ValueError, match=r"Shape must be rank 2 but is rank 1 for "
                           r"'\{\{node multinomial/Multinomial\}\} = Multinomial\[T=DT_FLOAT, "
                           r"output_dtype=DT_INT64, seed=0, seed2=0\]"):
            tf.multinomial(tf.constant([1., 2.]), 3)
        with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
            tf.multinomial(logits, tf.constant([3]))
        with pytest.raises(ValueError, match=r"Dimension size, given by scalar input 1, must be "
                           r"non-negative but is -1 for .* with input shapes: \[1,3\], \[\] and "
                           r"with computed input tensors: input\[1\] = <-1>\."):
            tf.multinomial(logits, -1)
        with pytest.raises(ValueError, match=r"Argument `dtype` got invalid value "
                           r"<dtype: 'float32'>. Accepted dtypes are \(tf.int32, tf.int64\)."):
            tf.multinomial(logits, 3, output_dtype=tf.float32)
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="num_classes should be positive, got 0"):
            _run(tf.multinomial(tf.zeros([2, 0]), 3))
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="num_samples should be non-negative, got -2"):
            _run(tf.multinomial(logits, tf.placeholder_with_default(-2, [])))


# ----- RandomGamma -----

def test_random_gamma_graph_as_tf():
    with tf.Graph().as_default() as g:
        alpha, beta = tf.constant([1., 2.]), tf.constant([[1.], [3.]])
        r = tf.random.gamma([5, 4], alpha, beta, seed=1)
        assert (r.op.name, r.shape.as_list(), r.dtype) == ("random_gamma/Maximum",
                                                           [5, 4, 2, 2], tf.float32)
        ops = [(o.name, o.type) for o in g.get_operations()][2:]
        assert ops == [
            ("random_gamma/shape", "Const"), ("random_gamma/Shape_1", "Const"),
            ("random_gamma/Shape_2", "Const"), ("random_gamma/BroadcastArgs", "BroadcastArgs"),
            ("random_gamma/BroadcastTo", "BroadcastTo"),
            ("random_gamma/RandomGamma", "RandomGamma"), ("random_gamma/truediv", "RealDiv"),
            ("random_gamma/Maximum/x", "Const"), ("random_gamma/Maximum", "Maximum")]
        op = g.get_operation_by_name("random_gamma/RandomGamma")
        assert (op.get_attr("S"), op.get_attr("T")) == (tf.int32, tf.float32)
        assert op.outputs[0].shape.as_list() == [5, 4, 2, 2]
        assert tf.random_gamma([3], tf.placeholder(tf.float64, [None]),
                               dtype=tf.float64).shape.as_list() == [3, None]


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
@pytest.mark.parametrize("alpha,beta", [(0.3, 1.0), (1.0, 2.0), (2.5, 0.5), (40.0, 1.0)])
def test_random_gamma_moments_and_cdf(dtype, alpha, beta):
    n = 20000
    with tf.Graph().as_default():
        x = _run(tf.random.gamma([n], alpha, beta, dtype=dtype, seed=7))
        assert x.dtype == dtype.as_numpy_dtype and x.shape == (n,)
        points = np.quantile(x, [0.1, 0.5, 0.9]) * beta
        cdf = _run(tf.math.igamma(tf.constant(alpha, tf.float64), points))
    mean, var = alpha / beta, alpha / beta**2
    assert abs(x.mean() - mean) < 5 * np.sqrt(var / n)
    assert abs(x.var() - var) < 0.1 * var
    # The empirical quantiles sit where Gamma's CDF says they should.
    np.testing.assert_allclose(cdf, [0.1, 0.5, 0.9], atol=0.015)


def test_random_gamma_edge_alphas_as_tf():
    with tf.Graph().as_default():
        x = _run(tf.random_gamma([3], tf.constant([0.5, 0., -1., np.nan, 1.], tf.float64),
                                 dtype=tf.float64, seed=2))
    tiny = np.finfo(np.float64).tiny
    assert np.all(x[:, 1] == tiny)  # alpha == 0 draws 0, floored at tiny
    assert np.all(np.isnan(x[:, 2])) and np.all(np.isnan(x[:, 3]))
    assert np.all(x[:, [0, 4]] > 0)


def _gamma_grad_op(alpha, sample):
    return tf.get_default_graph()._create_op("RandomGammaGrad", [alpha, sample], {},
                                             None).outputs[0]


def test_random_gamma_grad_kernel_as_tf():
    with tf.Graph().as_default():
        for dtype in (tf.float32, tf.float64):
            a = tf.constant([0.5, 1., 2., 0., -1.], dtype)
            x = tf.constant([0.3, 0.3, 2., 1., 1.], dtype)
            got = _run(_gamma_grad_op(a, x))
            np.testing.assert_allclose(got, [1.00980195, 0.59577847, 1.08620858, np.nan,
                                             np.nan], rtol=1e-6 if dtype == tf.float64 else 1e-5)


def test_random_gamma_grad_is_implicit_derivative():
    # d x / d alpha at fixed CDF level: -(dP/dalpha) / (dP/dx), P = igamma, by differences.
    a = np.array([0.4, 1.0, 3.0, 12.0])
    x = np.array([0.2, 1.7, 2.5, 14.0])
    h = 1e-5
    with tf.Graph().as_default():
        p = lambda aa, xx: tf.math.igamma(tf.constant(aa), tf.constant(xx))  # noqa: E731
        d_a = (p(a + h, x) - p(a - h, x)) / (2 * h)
        d_x = (p(a, x + h) - p(a, x - h)) / (2 * h)
        want, got = _run([-d_a / d_x, _gamma_grad_op(tf.constant(a), tf.constant(x))])
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_random_gamma_gradients():
    with tf.Graph().as_default() as g:
        alpha = tf.constant([0.7, 2.0, 5.0], tf.float64)
        beta = tf.constant([[1.5], [0.5]], tf.float64)
        r = tf.random.gamma([4], alpha, beta, dtype=tf.float64, seed=3)
        w = tf.constant(np.arange(24.).reshape(4, 2, 3) / 10 + 0.5)
        d_alpha, d_beta = tf.gradients(tf.reduce_sum(r * w), [alpha, beta])
        types = [o.type for o in g.get_operations() if "RandomGamma_grad" in o.name]
        assert "RandomGammaGrad" in types
        raw = g.get_operation_by_name("random_gamma/RandomGamma").outputs[0]
        sample, r_val, ga, gb = _run([raw, r, d_alpha, d_beta])
    alpha_b = np.broadcast_to([0.7, 2.0, 5.0], (2, 3))
    with tf.Graph().as_default():
        partial = _run(_gamma_grad_op(tf.constant(np.broadcast_to(alpha_b, (4, 2, 3)).copy()),
                                      tf.constant(sample)))
    wv = np.arange(24.).reshape(4, 2, 3) / 10 + 0.5
    beta_v = np.array([[1.5], [0.5]])
    np.testing.assert_allclose(ga, (wv * partial / beta_v).sum(axis=(0, 1)), rtol=1e-10)
    np.testing.assert_allclose(gb, (-wv * sample / beta_v**2).sum(axis=(0, 2))[:, None],
                               rtol=1e-10)
    np.testing.assert_allclose(r_val, sample / beta_v, rtol=1e-12)


def test_random_gamma_second_derivative_as_tf():
    with tf.Graph().as_default():
        alpha = tf.constant([2.0], tf.float64)
        beta = tf.constant([1.5], tf.float64)
        r = tf.random.gamma([3], alpha, beta, dtype=tf.float64, seed=3)
        d_alpha, d_beta = tf.gradients(tf.reduce_sum(r), [alpha, beta])
        # TF registers no gradient for RandomGammaGrad.
        with pytest.raises(LookupError, match="RandomGammaGrad"):
            tf.gradients(d_alpha, alpha)
        sample = tf.get_default_graph().get_operation_by_name(
            "random_gamma/RandomGamma").outputs[0]
        dd_beta = tf.gradients(d_beta, beta)[0]
        s, got = _run([sample, dd_beta])
    np.testing.assert_allclose(got, [2 * s.sum() / 1.5**3], rtol=1e-10)


def test_random_gamma_errors():
    with tf.Graph().as_default():
        with pytest.raises(TypeError):
            tf.random.gamma([3], [1., 2.], dtype=tf.int32)
        with pytest.raises(ValueError, match=r"Shape must be rank 1 but is rank 2 for "
                           r"'\{\{node .*RandomGamma\}\} = RandomGamma\[S=DT_INT32, T=DT_FLOAT, "
                           r"seed=0, seed2=0\]"):
            tf.random.gamma([[3]], [1.])
        with pytest.raises(ValueError, match="Invalid value in tensor used for shape: -3"):
            tf.random.gamma([-3], [1.])


# ----- RandomPoissonV2 -----

def test_random_poisson_graph_as_tf():
    with tf.Graph().as_default():
        p = tf.random.poisson([1., 5.], [3], seed=1)
        assert (p.op.name, p.op.type, p.dtype, p.shape.as_list()) == (
            "random_poisson/RandomPoissonV2", "RandomPoissonV2", tf.float32, [3, 2])
        assert [t.name for t in p.op.inputs] == ["random_poisson/shape:0",
                                                 "random_poisson/RandomPoissonV2/rate:0"]
        assert (p.op.get_attr("R"), p.op.get_attr("S"), p.op.get_attr("dtype")) == (
            tf.float32, tf.int32, tf.float32)
        q = tf.random_poisson(tf.constant([1, 5], tf.int64), [3], dtype=tf.int32)
        assert q.dtype == tf.int32 and q.op.get_attr("R") == tf.int64
        with pytest.raises(TypeError, match="Value passed to parameter 'dtype' has DataType "
                           "int8 not in list of allowed values: float16, float32, float64, "
                           "int32, int64"):
            tf.random.poisson([1.], [3], dtype=tf.int8)
        rate = tf.constant([2.0])
        with pytest.raises(LookupError):
            tf.gradients(tf.random.poisson(rate, [3]), rate)


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64, tf.int32, tf.int64])
def test_random_poisson_moments(dtype):
    n = 20000
    rates = np.array([0.5, 3.0, 25.0, 1000.0])
    with tf.Graph().as_default():
        x = _run(tf.random.poisson(rates, [n], dtype=dtype, seed=9))
    assert x.dtype == dtype.as_numpy_dtype and x.shape == (n, 4)
    assert np.all(x == np.round(x)) and np.all(x >= 0)
    np.testing.assert_array_less(np.abs(x.mean(axis=0) - rates), 5 * np.sqrt(rates / n))
    np.testing.assert_allclose(x.var(axis=0), rates, rtol=0.06)


def test_random_poisson_non_positive_rate_is_zero():
    with tf.Graph().as_default():
        x = _run(tf.random.poisson([0., -1.], [4], seed=1))
    np.testing.assert_array_equal(x, np.zeros((4, 2)))
