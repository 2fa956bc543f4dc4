"""The special-math ops against TensorFlow itself: the gradient graph (op names and types in
creation order) and the values of outputs and gradients. Skipped when tensorflow is not
importable (the normal test run); see test_tf_oracle.py for how to run it.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402

tf1.disable_eager_execution()

UNARY = {
    "math.sinh": (-2, 2), "math.cosh": (-2, 2), "math.asin": (-0.9, 0.9),
    "math.acos": (-0.9, 0.9), "math.atan": (-3, 3), "math.asinh": (-3, 3),
    "math.acosh": (1.1, 4), "math.atanh": (-0.9, 0.9), "math.lgamma": (0.2, 8),
    "math.digamma": (0.2, 8), "math.erfc": (-3, 3), "math.erfinv": (-0.95, 0.95),
    "math.ndtri": (0.02, 0.98), "math.rint": (-3, 3), "nn.softsign": (-3, 3),
    "math.bessel_i0e": (-6, 6), "math.bessel_i1e": (-6, 6),
    "math.bessel_i0": (-6, 6), "math.bessel_i1": (-6, 6),
    "math.special.bessel_j0": (-15, 15), "math.special.bessel_j1": (-15, 15),
    "math.special.bessel_y0": (0.2, 15), "math.special.bessel_y1": (0.2, 15),
    "math.special.bessel_k0": (0.2, 6), "math.special.bessel_k1": (0.2, 6),
    "math.special.bessel_k0e": (0.2, 40), "math.special.bessel_k1e": (0.2, 40),
    "math.special.dawsn": (-6, 6), "math.special.expint": (0.1, 8),
    "math.special.fresnel_cos": (-3, 3), "math.special.fresnel_sin": (-3, 3),
    "math.special.spence": (0.05, 4),
}
BINARY = {
    "math.xlogy": ((-2, 2), (0.1, 3)), "math.xdivy": ((-2, 2), (0.1, 3)),
    "math.xlog1py": ((-2, 2), (-0.5, 3)), "math.igamma": ((0.3, 5), (0.1, 8)),
    "math.igammac": ((0.3, 5), (0.1, 8)), "math.polygamma": ((0, 3), (0.3, 5)),
    "math.zeta": ((1.5, 4), (0.3, 5)), "truncatediv": ((-5, 5), (0.5, 2)),
    "math.multiply_no_nan": ((-2, 2), (-2, 2)),
}


def _lookup(tf, path):
    obj = tf
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _build(tf, path, arrays):
    graph = tf.Graph()
    with graph.as_default():
        xs = [tf.placeholder(tf.float64, a.shape, name=f"x{i}") for i, a in enumerate(arrays)]
        out = _lookup(tf, path)(*xs)
        grads = [g for g in tf.gradients(out, xs) if g is not None]
        ops = [(op.name, op.type) for op in graph.get_operations()
               if op.name.startswith("gradients")]
        with tf.Session(graph=graph) as sess:
            values = sess.run([out] + grads, dict(zip(xs, arrays)))
    return ops, values


def _inputs(path, ranges, shapes):
    rng = np.random.RandomState(sum(map(ord, path)))
    arrays = [rng.uniform(lo, hi, size=s) for (lo, hi), s in zip(ranges, shapes)]
    if path == "math.polygamma":
        arrays[0] = np.floor(arrays[0])
    return arrays


@pytest.mark.parametrize("path", sorted(UNARY))
def test_unary_graph_and_values(path):
    arrays = _inputs(path, [UNARY[path]], [(2, 3)])
    want_ops, want = _build(tf1, path, arrays)
    got_ops, got = _build(symgrad, path, arrays)
    assert got_ops == want_ops
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("path", sorted(BINARY))
def test_binary_graph_and_values(path):
    arrays = _inputs(path, BINARY[path], [(2, 3), (3,)])
    want_ops, want = _build(tf1, path, arrays)
    got_ops, got = _build(symgrad, path, arrays)
    assert got_ops == want_ops
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-14)


def test_betainc_graph_and_values():
    arrays = _inputs("betainc", [(0.5, 4), (0.5, 4), (0.05, 0.95)], [(4,), (4,), (4,)])
    want_ops, want = _build(tf1, "math.betainc", arrays)
    got_ops, got = _build(symgrad, "math.betainc", arrays)
    assert got_ops == want_ops
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-9)
