"""Numerical gradient checking for symgrad graphs, in the spirit of ``tf.test.compute_gradient``.

The *theoretical* Jacobian comes from ``gradients()``: the gradient graph is built once with a
``grad_ys`` placeholder, which is then fed a one-hot seed for each element of ``y`` (row ``j``
of the Jacobian is ``d y[j] / d x``). The *numerical* Jacobian comes from central differences,
``(y(x + h e_i) - y(x - h e_i)) / 2h`` with ``h = delta * max(1, |x_i|)``.

Jacobians are laid out as in TF's ``gradient_checker``: shape ``(x.size, y.size)``, row ``i``
for input element ``i``, column ``j`` for output element ``j``.

``compute_second_order`` checks second derivatives: with a fixed random weight ``w`` of y's
shape, ``g = gradients(reduce_sum(y * w), xs)`` is a function of ``xs``; the theoretical
Jacobian of ``g`` (built by differentiating ``g`` again, i.e. Hessian-vector products) is
compared against central differences of ``g``.

Everything is fed through placeholders, so the same helpers work for placeholders of unknown
dimensions (``[None, 3]``): shapes are taken from the fed values and the run outputs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np

import symgrad as tf

__all__ = [
    "JacobianPair", "compute_gradient", "compute_gradient_error", "compute_second_order",
    "compute_second_order_error", "max_error", "max_relative_error", "assert_gradients_close",
]


@dataclass
class JacobianPair:
    """Theoretical and numerical Jacobian of one ``y`` with respect to one ``x``.

    ``theoretical`` is all zeros when ``gradients()`` returned None for this x; ``is_none``
    records that, so tests can tell "zero gradient" from "no gradient".
    """

    theoretical: np.ndarray
    numerical: np.ndarray
    is_none: bool = False
    x_name: str = ""
    y_name: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def abs_error(self) -> float:
        if self.theoretical.size == 0:
            return 0.0
        return float(np.max(np.abs(self.theoretical - self.numerical)))

    @property
    def rel_error(self) -> float:
        """max |t - n| / max(1, |t|, |n|), elementwise: absolute near 0, relative for large."""
        if self.theoretical.size == 0:
            return 0.0
        scale = np.maximum(1.0, np.maximum(np.abs(self.theoretical), np.abs(self.numerical)))
        return float(np.max(np.abs(self.theoretical - self.numerical) / scale))


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _np_dtype(tensor: Any) -> Any:
    return np.dtype(tensor.dtype.as_numpy_dtype)


def _feed(xs: Sequence[Any], values: Sequence[np.ndarray], extra_feed: Optional[dict]) -> dict:
    feed = dict(extra_feed or {})
    for x, v in zip(xs, values):
        feed[x] = v
    return feed


def compute_gradient(xs: Any, y: Any, x_values: Any, delta: float = 1e-6,
                     extra_feed: Optional[dict] = None, session: Any = None
                     ) -> list[JacobianPair]:
    """Theoretical and numerical Jacobians of ``y`` with respect to each of ``xs``.

    ``xs``: placeholder(s) (any float dtype; float64 for tight checks); ``x_values``: the
    arrays fed to them; ``y``: a float tensor in the same graph. Returns one
    :class:`JacobianPair` per x, in order.
    """
    xs = _as_list(xs)
    x_values = [np.asarray(v, dtype=_np_dtype(x)) for x, v in zip(xs, _as_list(x_values))]
    assert len(xs) == len(x_values), "one value per x"
    graph = y.graph
    own_session = session is None
    if own_session:
        session = tf.Session(graph=graph)
    try:
        with graph.as_default():
            seed = tf.placeholder(y.dtype, shape=None, name="gradient_checker_seed")
            grads = tf.gradients(y, xs, grad_ys=seed)
        feed = _feed(xs, x_values, extra_feed)
        y_value = np.asarray(session.run(y, feed))
        y_dtype = _np_dtype(y)

        # Theoretical: one run of all gradients per output element.
        live = [i for i, g in enumerate(grads) if g is not None]
        theoretical = [np.zeros((v.size, y_value.size)) for v in x_values]
        for j in range(y_value.size):
            onehot = np.zeros(y_value.size, dtype=y_dtype)
            onehot[j] = 1
            feed[seed] = onehot.reshape(y_value.shape)
            if live:
                outs = session.run([grads[i] for i in live], feed)
                for i, out in zip(live, outs):
                    out = np.asarray(_densify(out, x_values[i].shape))
                    assert out.shape == x_values[i].shape, (
                        f"gradient for {xs[i].name} has shape {out.shape}, "
                        f"x has {x_values[i].shape}")
                    theoretical[i][:, j] = out.ravel()
        feed.pop(seed, None)

        # Numerical: central differences, one x element at a time.
        pairs = []
        for i, (x, v) in enumerate(zip(xs, x_values)):
            numerical = np.zeros((v.size, y_value.size))
            flat = v.ravel()
            for k in range(v.size):
                h = delta * max(1.0, abs(float(flat[k])))
                plus, minus = flat.copy(), flat.copy()
                plus[k] += h
                minus[k] -= h
                # the actual step after rounding to x's dtype
                step = float(plus[k]) - float(minus[k])
                feed[x] = plus.reshape(v.shape)
                y_plus = np.asarray(session.run(y, feed), dtype=np.float64)
                feed[x] = minus.reshape(v.shape)
                y_minus = np.asarray(session.run(y, feed), dtype=np.float64)
                numerical[k, :] = ((y_plus - y_minus) / step).ravel()
            feed[x] = v
            pairs.append(JacobianPair(theoretical[i], numerical, grads[i] is None,
                                      x.name, y.name))
        return pairs
    finally:
        if own_session:
            session.close()


def _densify(value: Any, shape: tuple) -> Any:
    """Session results of IndexedSlices → dense arrays (a no-op for arrays)."""
    if hasattr(value, "indices") and hasattr(value, "values"):
        dense = np.zeros(shape)
        np.add.at(dense, np.asarray(value.indices), np.asarray(value.values))
        return dense
    return value


def max_error(pairs: Sequence[JacobianPair]) -> float:
    return max((p.abs_error for p in pairs), default=0.0)


def max_relative_error(pairs: Sequence[JacobianPair]) -> float:
    return max((p.rel_error for p in pairs), default=0.0)


def compute_gradient_error(xs: Any, y: Any, x_values: Any, delta: float = 1e-6,
                           extra_feed: Optional[dict] = None) -> float:
    """Max absolute difference between theoretical and numerical Jacobians (as TF's)."""
    return max_error(compute_gradient(xs, y, x_values, delta, extra_feed))


def compute_second_order(xs: Any, y: Any, x_values: Any, delta: float = 1e-6,
                         extra_feed: Optional[dict] = None, seed: int = 0
                         ) -> list[list[JacobianPair]]:
    """Jacobians of ``g_i = d reduce_sum(y * w) / d x_i`` with respect to every x.

    Returns ``result[i][k]``: the pair for ``d g_i / d x_k``. An x whose first gradient is
    None has an empty list (nothing to differentiate). The theoretical side differentiates the
    gradient graph again, so this checks the gradients of the gradient ops themselves.
    """
    xs = _as_list(xs)
    x_values = [np.asarray(v, dtype=_np_dtype(x)) for x, v in zip(xs, _as_list(x_values))]
    graph = y.graph
    with tf.Session(graph=graph) as session:
        y_value = np.asarray(session.run(y, _feed(xs, x_values, extra_feed)))
        rng = np.random.RandomState(seed)
        with graph.as_default():
            w = tf.constant(rng.uniform(0.5, 1.5, size=y_value.shape).astype(_np_dtype(y)),
                            name="gradient_checker_w")
            total = tf.reduce_sum(y * w)
            firsts = tf.gradients(total, xs)
        result = []
        for g in firsts:
            if g is None:
                result.append([])
                continue
            if isinstance(g, tf.IndexedSlices):
                # A sparse first gradient (gather's) is differentiated as its dense value.
                with graph.as_default(), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    g = tf.convert_to_tensor(g)
            result.append(compute_gradient(xs, g, x_values, delta, extra_feed, session))
        return result


def compute_second_order_error(xs: Any, y: Any, x_values: Any, delta: float = 1e-6,
                               extra_feed: Optional[dict] = None) -> float:
    return max((max_relative_error(row)
                for row in compute_second_order(xs, y, x_values, delta, extra_feed)),
               default=0.0)


def assert_gradients_close(xs: Any, y: Any, x_values: Any, tol: float = 1e-5,
                           second_order: bool = True, delta: float = 1e-6,
                           extra_feed: Optional[dict] = None,
                           second_tol: Optional[float] = None) -> list[JacobianPair]:
    """Asserts first (and, by default, second) derivatives match finite differences.

    The error measure is :attr:`JacobianPair.rel_error`. Returns the first-order pairs.
    """
    pairs = compute_gradient(xs, y, x_values, delta, extra_feed)
    for p in pairs:
        assert p.rel_error <= tol, (
            f"d {p.y_name} / d {p.x_name}: relative error {p.rel_error:.3g} > {tol}\n"
            f"theoretical=\n{p.theoretical}\nnumerical=\n{p.numerical}")
    if second_order:
        tol2 = tol if second_tol is None else second_tol
        for i, row in enumerate(compute_second_order(xs, y, x_values, delta, extra_feed)):
            for p in row:
                assert p.rel_error <= tol2, (
                    f"second order: d (d y / d x{i}) / d {p.x_name}: relative error "
                    f"{p.rel_error:.3g} > {tol2}\n"
                    f"theoretical=\n{p.theoretical}\nnumerical=\n{p.numerical}")
    return pairs


# ----- small helpers shared by the op test files -----

def seeded_uniform(shape, key):
    """Values in [-2, 2) drawn from a generator seeded by ``key`` (stable across runs)."""
    import zlib

    return np.random.RandomState(zlib.crc32(key.encode())).uniform(-2, 2, shape)


def run_once(fetches, feed=None):
    """``fetches`` evaluated in a fresh Session on the default graph."""
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict=feed)


def check_on_placeholders(build, inputs, tol=1e-5):
    """inputs: [(placeholder shape, value)]; build(*placeholders) -> y (float64). Checks first
    and second derivatives of y with respect to every placeholder."""
    with tf.Graph().as_default():
        xs = [tf.placeholder(tf.float64, shape, name=f"x{i}") for i, (shape, _) in
              enumerate(inputs)]
        y = build(*xs)
        assert_gradients_close(xs, y, [v for _, v in inputs], tol=tol)
