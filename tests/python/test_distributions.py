"""tf.distributions: Normal, Bernoulli, Categorical, Uniform and kl_divergence. The expected
values are TF 2.21's on the same parameters (tf.compat.v1.distributions, printed to 5
decimals); test_distributions_tf_oracle.py compares with TF itself when it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import assert_gradients_close

D = tf.distributions


def _build():
    n = D.Normal(loc=[0.0, 1.0], scale=[1.0, 2.0])
    n2 = D.Normal(loc=0.5, scale=1.5)
    x = tf.constant([[0.3, -1.2], [2.0, 0.1]])
    b = D.Bernoulli(logits=[0.2, -1.0, 3.0])
    bp = D.Bernoulli(probs=0.3)
    c = D.Categorical(logits=[[1.0, 2.0, 0.5], [0.1, 0.1, 3.0]])
    cp = D.Categorical(probs=[0.2, 0.5, 0.3])
    u = D.Uniform(low=[0.0, 1.0], high=[2.0, 5.0])
    return {
        "n.log_prob": n.log_prob(x), "n.prob": n.prob(x), "n.cdf": n.cdf(x),
        "n.log_cdf": n.log_cdf(x), "n.entropy": n.entropy(), "n.mean": n.mean(),
        "n.stddev": n.stddev(), "n.variance": n.variance(), "n.mode": n.mode(),
        "n.quantile": n.quantile([0.1, 0.9]), "n.survival": n.survival_function(x),
        "kl_nn": D.kl_divergence(n, n2), "n.kl": n.kl_divergence(n2),
        "n.xent": n.cross_entropy(n2),
        "b.log_prob": b.log_prob([1, 0, 1]), "b.prob": b.prob([[1], [0]]),
        "b.entropy": b.entropy(), "b.mean": b.mean(), "b.variance": b.variance(),
        "b.mode": b.mode(), "bp.logits": bp.logits, "kl_bb": D.kl_divergence(b, bp),
        "c.log_prob": c.log_prob([2, 0]), "c.log_prob_b": c.log_prob([[0], [1]]),
        "c.prob": c.prob([1, 2]), "c.entropy": c.entropy(), "c.mode": c.mode(),
        "c.cdf": c.cdf([1, 3]), "cp.logits": cp.logits, "kl_cc": D.kl_divergence(c, cp),
        "u.prob": u.prob([[1.0, 0.5], [2.0, 4.9]]), "u.log_prob": u.log_prob([1.0, 3.0]),
        "u.cdf": u.cdf([[-1.0, 2.0], [1.0, 9.0]]), "u.entropy": u.entropy(),
        "u.mean": u.mean(), "u.variance": u.variance(), "u.stddev": u.stddev(),
    }


def _build_gamma_family():
    g = D.Gamma(concentration=[0.5, 2.0, 3.0], rate=[1.0, 2.0, 0.5])
    g2 = D.Gamma(concentration=1.5, rate=1.2)
    e = D.Exponential(rate=[0.5, 2.0])
    lp = D.Laplace(loc=[0.0, 1.0], scale=[1.0, 2.0])
    x = tf.constant([0.3, 1.1, 4.0])
    return {
        "g.lp": g.log_prob(x), "g.cdf": g.cdf(x), "g.ent": g.entropy(), "g.mean": g.mean(),
        "g.var": g.variance(), "g.std": g.stddev(), "g.mode": g.mode(),
        "kl_gg": D.kl_divergence(g, g2), "e.lp": e.log_prob([0.5, 2.0]),
        "e.cdf": e.cdf([0.5, 2.0]), "e.ent": e.entropy(), "e.mean": e.mean(),
        "e.mode": e.mode(), "l.lp": lp.log_prob([0.5, -1.0]),
        "l.cdf": lp.cdf([[0.5, -1.0], [-2.0, 3.0]]), "l.ent": lp.entropy(),
        "l.mean": lp.mean(), "l.std": lp.stddev(), "l.surv": lp.survival_function([0.5, -1.0]),
    }


TF_GAMMA_FAMILY = {
    "g.lp": [-0.27038, -0.7184, -2.0], "g.cdf": [0.56142, 0.64543, 0.32332],
    "g.ent": [0.09061, 0.88407, 2.54073], "g.mean": [0.5, 1.0, 6.0], "g.var": [0.5, 0.5, 12.0],
    "g.std": [0.70711, 0.70711, 3.4641], "g.mode": [np.nan, 0.5, 4.0],
    "kl_gg": [1.09688, 0.05685, 3.45704], "e.lp": [-0.94315, -3.30685],
    "e.cdf": [0.2212, 0.98168], "e.ent": [1.69315, 0.30685], "e.mean": [2.0, 0.5],
    "e.mode": [np.nan, np.nan], "l.lp": [-1.19315, -2.38629],
    "l.cdf": [[0.69673, 0.18394], [0.06767, 0.81606]], "l.ent": [1.69315, 2.38629],
    "l.mean": [0.0, 1.0], "l.std": [1.41421, 2.82843], "l.surv": [0.30327, 0.81606],
}


def test_gamma_exponential_laplace_values_as_tf():
    with tf.Graph().as_default():
        ts = _build_gamma_family()
        with tf.Session() as sess:
            got = sess.run(ts)
            e = D.Exponential(rate=[0.5, 2.0])
            g = D.Gamma(concentration=3.0, rate=0.5)
            lp = D.Laplace(loc=1.0, scale=2.0)
            es, gs, ls = sess.run([e.sample(40000, seed=2), g.sample(40000, seed=1),
                                   lp.sample(40000, seed=3)])
    for k, want in TF_GAMMA_FAMILY.items():
        np.testing.assert_allclose(got[k], want, atol=2e-5, err_msg=k)
    np.testing.assert_allclose(es.mean(0), [2.0, 0.5], rtol=0.03)
    np.testing.assert_allclose([gs.mean(), gs.std()], [6.0, np.sqrt(12.0)], rtol=0.03)
    np.testing.assert_allclose([ls.mean(), ls.std()], [1.0, 2.0 * np.sqrt(2.0)], atol=0.05)


TF_VALUES = {
    "n.log_prob": [[-0.96394, -2.21709], [-2.91894, -1.71334]],
    "n.prob": [[0.38139, 0.10893], [0.05399, 0.18026]],
    "n.cdf": [[0.61791, 0.13567], [0.97725, 0.32636]],
    "n.log_cdf": [[-0.48141, -1.99756], [-0.02301, -1.11977]],
    "n.entropy": [1.41894, 2.11209], "n.mean": [0.0, 1.0], "n.stddev": [1.0, 2.0],
    "n.variance": [1.0, 4.0], "n.mode": [0.0, 1.0], "n.quantile": [-1.28155, 3.5631],
    "n.survival": [[0.38209, 0.86433], [0.02275, 0.67364]],
    "kl_nn": [0.18324, 0.15676], "n.kl": [0.18324, 0.15676], "n.xent": [1.60218, 2.26885],
    "b.log_prob": [-0.59814, -0.31326, -0.04859],
    "b.prob": [[0.54983, 0.26894, 0.95257], [0.45017, 0.73106, 0.04743]],
    "b.entropy": [0.68817, 0.5822, 0.19086], "b.mean": [0.54983, 0.26894, 0.95257],
    "b.variance": [0.24752, 0.19661, 0.04518], "b.mode": [1, 0, 1], "bp.logits": -0.8473,
    "kl_bb": [0.13438, 0.00235, 0.97292],
    "c.log_prob": [-1.96437, -3.0044],
    "c.log_prob_b": [[-1.46437, -3.0044], [-0.46437, -3.0044]],
    "c.prob": [0.62853, 0.90086], "c.entropy": [0.90596, 0.3919], "c.mode": [1, 2],
    "c.cdf": [0.23122, 1.0], "cp.logits": [-1.60944, -0.69315, -1.20397],
    "kl_cc": [0.0707, 0.80685],
    "u.prob": [[0.5, 0.0], [0.0, 0.25]], "u.log_prob": [-0.69315, -1.38629],
    "u.cdf": [[0.0, 0.25], [0.5, 1.0]], "u.entropy": [0.69315, 1.38629],
    "u.mean": [1.0, 3.0], "u.variance": [0.33333, 1.33333], "u.stddev": [0.57735, 1.1547],
}


def test_values_as_tf():
    with tf.Graph().as_default():
        ts = _build()
        with tf.Session() as sess:
            got = sess.run(ts)
    for k, want in TF_VALUES.items():
        np.testing.assert_allclose(got[k], want, atol=2e-5, err_msg=k)


def test_shapes_names_and_properties():
    with tf.Graph().as_default():
        n = D.Normal(loc=[0.0, 1.0], scale=[1.0, 2.0])
        c = D.Categorical(logits=[[1.0, 2.0, 0.5], [0.1, 0.1, 3.0]])
        b = D.Bernoulli(logits=[0.2, -1.0, 3.0])
        assert (n.name, c.name) == ("Normal/", "Categorical/")
        assert n.log_prob(0.5).name.startswith("Normal/log_prob/")
        assert D.kl_divergence(n, n).name.startswith("KullbackLeibler/kl_normal_normal/")
        assert n.sample(3, seed=1).shape.as_list() == [3, 2]
        assert c.sample([2, 4], seed=1).shape.as_list() == [2, 4, 2]
        assert b.sample(seed=1).shape.as_list() == [3]
        assert n.batch_shape.as_list() == [2] and c.event_shape.as_list() == []
        assert b.dtype == tf.int32 and c.sample().dtype == tf.int32
        assert n.reparameterization_type is D.FULLY_REPARAMETERIZED
        assert b.reparameterization_type is D.NOT_REPARAMETERIZED
        assert repr(D.FULLY_REPARAMETERIZED) == "<Reparameterization Type: FULLY_REPARAMETERIZED>"
        with pytest.raises(NotImplementedError, match="No KL"):
            D.kl_divergence(n, b)
        with pytest.raises(NotImplementedError, match="quantile is not implemented"):
            b.quantile(0.5)
        with pytest.raises(ValueError, match="Must pass probs or logits, but not both"):
            D.Bernoulli(logits=1.0, probs=0.5)


def test_samples_follow_the_distributions():
    with tf.Graph().as_default():
        n = D.Normal(loc=[0.0, 3.0], scale=[1.0, 0.5])
        c = D.Categorical(probs=[0.2, 0.5, 0.3])
        u = D.Uniform(low=1.0, high=3.0)
        b = D.Bernoulli(probs=[0.1, 0.8])
        with tf.Session() as sess:
            ns, cs, us, bs = sess.run([n.sample(40000, seed=1), c.sample(40000, seed=2),
                                       u.sample(40000, seed=3), b.sample(40000, seed=4)])
    np.testing.assert_allclose(ns.mean(0), [0.0, 3.0], atol=0.03)
    np.testing.assert_allclose(ns.std(0), [1.0, 0.5], atol=0.03)
    np.testing.assert_allclose(np.bincount(cs, minlength=3) / 40000, [0.2, 0.5, 0.3], atol=0.01)
    assert us.min() >= 1.0 and us.max() < 3.0 and abs(us.mean() - 2.0) < 0.02
    np.testing.assert_allclose(bs.mean(0), [0.1, 0.8], atol=0.01)


def test_gradients_of_log_prob_kl_and_reparameterized_samples():
    with tf.Graph().as_default():
        loc = tf.placeholder(tf.float64, [2])
        scale = tf.placeholder(tf.float64, [2])
        x = tf.placeholder(tf.float64, [2])
        n = D.Normal(loc, scale)
        m = D.Normal(0.5 * loc, scale + 1.0)
        y = n.log_prob(x) + D.kl_divergence(n, m) + n.entropy()
        values = [np.array([0.2, -0.4]), np.array([1.3, 0.7]), np.array([0.5, 1.5])]
        assert_gradients_close([loc, scale, x], y, values)
        logits = tf.placeholder(tf.float64, [2, 3])
        c = D.Categorical(logits=logits)
        yc = c.log_prob([2, 0]) + c.entropy() + D.kl_divergence(c, D.Categorical(logits=2 * logits))
        assert_gradients_close([logits], yc, [np.array([[1.0, 2.0, 0.5], [0.1, 0.1, 3.0]])])
        conc = tf.placeholder(tf.float64, [2])
        rate = tf.placeholder(tf.float64, [2])
        ga = D.Gamma(conc, rate)
        yg = (ga.log_prob(x) + ga.entropy()
              + D.kl_divergence(ga, D.Gamma(conc + 1.0, 2.0 * rate)))
        gamma_values = [np.array([1.5, 2.5]), np.array([0.7, 1.3]), values[2]]
        assert_gradients_close([conc, rate, x], yg, gamma_values)
        # IgammaGradA has no gradient in TF either: the cdf is checked to first order.
        assert_gradients_close([conc, rate, x], ga.cdf(x), gamma_values, second_order=False)
        la = D.Laplace(loc, scale)
        yl = la.log_prob(x) + la.cdf(x) + la.entropy()
        assert_gradients_close([loc, scale, x], yl, values)
        # A Normal sample is loc + scale * eps: d/dloc = 1, d/dscale = eps.
        s = D.Normal(loc, scale).sample(seed=7)
        dl, ds = tf.gradients(tf.reduce_sum(s), [loc, scale])
        with tf.Session() as sess:
            sv, dlv, dsv = sess.run([s, dl, ds], {loc: values[0], scale: values[1]})
        np.testing.assert_allclose(dlv, [1.0, 1.0])
        np.testing.assert_allclose(dsv, (sv - values[0]) / values[1], rtol=1e-10)
