"""symgrad against TensorFlow itself (tf.compat.v1 graph mode) as the oracle.

Skipped when tensorflow is not importable (the normal test run). To run it where a TF venv
exists next to a built symgrad tree:

    PYTHONPATH=/path/to/symgrad/python /path/to/tfenv/bin/python -m pytest \
        tests/python/test_tf_oracle.py

Every program below is written once against the ``tf.compat.v1`` API and built twice, with
``tf`` = TensorFlow and ``tf`` = symgrad, then compared on
* gradient values (feeds drawn once, shared by both), and
* for a few simple programs, the gradient graph itself: ``(op.name, op.type)`` of every op
  in the ``gradients/`` scope, in creation order.
Every program here now gives TF's graph exactly; a new difference is a bug, not expected
behaviour.
"""

from __future__ import annotations

import collections
import difflib

import numpy as np
import pytest

tensorflow = pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402

tf1.disable_eager_execution()

BACKENDS = {"tf": tf1, "symgrad": symgrad}


def _rng(seed: int = 0) -> np.random.RandomState:
    return np.random.RandomState(seed)


def run_program(tf, program):
    """Builds ``program(tf)`` in a fresh graph and runs its gradients.

    A program returns ``(grads, feeds)``: ``grads`` a list of tensors/None (from
    ``tf.gradients``/``tf.hessians``), ``feeds`` a dict placeholder -> value.
    Returns (list of arrays or None, graph).
    """
    graph = tf.Graph()
    with graph.as_default():
        grads, feeds = program(tf)
        fetch = [g for g in grads if g is not None]
        with tf.Session(graph=graph) as sess:
            values = sess.run(fetch, feeds) if fetch else []
    it = iter(values)
    return [None if g is None else np.asarray(next(it)) for g in grads], graph


def compare_values(program, rtol=1e-10, atol=1e-12):
    expected, _ = run_program(tf1, program)
    got, _ = run_program(symgrad, program)
    assert len(got) == len(expected)
    for i, (e, g) in enumerate(zip(expected, got)):
        if e is None:
            assert g is None, f"gradient {i}: TF gives None, symgrad {g!r}"
            continue
        assert g is not None, f"gradient {i}: TF gives {e!r}, symgrad None"
        assert g.shape == e.shape, f"gradient {i}: shape {g.shape}, TF {e.shape}"
        assert g.dtype == e.dtype, f"gradient {i}: dtype {g.dtype}, TF {e.dtype}"
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, err_msg=f"gradient {i}")
    return got


# ----------------------------------------------------------------------------------------
# programs for value comparison (each written once against the compat.v1 API)
# ----------------------------------------------------------------------------------------
def mlp_relu_mse(tf):
    rng = _rng(1)
    x = tf.placeholder(tf.float64, [None, 3], name="x")
    target = tf.placeholder(tf.float64, [None, 2], name="target")
    w1 = tf.placeholder(tf.float64, [3, 5], name="w1")
    b1 = tf.placeholder(tf.float64, [5], name="b1")
    w2 = tf.placeholder(tf.float64, [5, 2], name="w2")
    b2 = tf.placeholder(tf.float64, [2], name="b2")
    h = tf.nn.relu(tf.matmul(x, w1) + b1)
    out = tf.matmul(h, w2) + b2
    loss = tf.reduce_mean(tf.square(out - target))
    grads = tf.gradients(loss, [w1, b1, w2, b2, x])
    feeds = {x: rng.uniform(-1, 1, (4, 3)), target: rng.uniform(-1, 1, (4, 2)),
             w1: rng.uniform(-1, 1, (3, 5)), b1: rng.uniform(-0.1, 0.1, 5),
             w2: rng.uniform(-1, 1, (5, 2)), b2: rng.uniform(-0.1, 0.1, 2)}
    return grads, feeds


def mlp_float32_sigmoid(tf):
    rng = _rng(2)
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    w = tf.placeholder(tf.float32, [4, 3], name="w")
    b = tf.placeholder(tf.float32, [3], name="b")
    y = tf.sigmoid(tf.matmul(x, w) + b)
    loss = tf.reduce_sum(tf.squared_difference(y, 0.5)) / 2.0
    return tf.gradients(loss, [w, b]), {x: rng.uniform(-1, 1, (5, 4)).astype(np.float32),
                                        w: rng.uniform(-1, 1, (4, 3)).astype(np.float32),
                                        b: rng.uniform(-1, 1, 3).astype(np.float32)}


def broadcasting(tf):
    rng = _rng(3)
    x = tf.placeholder(tf.float64, [None, 3], name="x")
    b = tf.placeholder(tf.float64, [3], name="b")
    s = tf.placeholder(tf.float64, [], name="s")
    c = tf.placeholder(tf.float64, [None, 1], name="c")
    y = x * b + s / (x + 3.0) - tf.pow(b, 2.0) * c + tf.maximum(x, c) + tf.minimum(b, s)
    y = y - tf.squared_difference(c, b)
    return tf.gradients(y, [x, b, s, c]), {x: rng.uniform(-1, 1, (4, 3)),
                                           b: rng.uniform(0.5, 1, 3), s: 0.7,
                                           c: rng.uniform(-1, 1, (4, 1))}


def broadcasting_unknown_rank(tf):
    rng = _rng(4)
    x = tf.placeholder(tf.float64, None, name="x")
    y = tf.placeholder(tf.float64, None, name="y")
    z = tf.reduce_sum(x * y + x / (y * y + 1.0), axis=-1)
    return tf.gradients(z, [x, y]), {x: rng.uniform(-1, 1, (2, 1, 3)),
                                     y: rng.uniform(-1, 1, (4, 1))}


def grad_ys_and_many_ys(tf):
    x = tf.placeholder(tf.float64, [3], name="x")
    y1 = tf.sin(x) * x
    y2 = tf.reduce_sum(tf.exp(x))
    gy = tf.constant([1.0, -2.0, 0.5], tf.float64)
    g1 = tf.gradients([y1, y2], x, grad_ys=[gy, None])
    g2 = tf.gradients([y1, y1], [x])
    return g1 + g2, {x: np.array([0.1, 0.7, -1.3])}


def stop_gradients_args(tf):
    a = tf.constant(0.0, tf.float64)
    b = 2 * a
    x = tf.placeholder(tf.float64, [3], name="x")
    h = tf.tanh(x)
    y = tf.reduce_sum(h * h * x)
    return (tf.gradients(a + b, [a, b], stop_gradients=[a, b])
            + tf.gradients(y, [x, h], stop_gradients=[h])
            + tf.gradients(y, x, stop_gradients=x)
            + tf.gradients(tf.stop_gradient(h) * x + h, x)), {x: np.array([0.2, -0.4, 1.1])}


def unconnected(tf):
    x = tf.placeholder(tf.float64, [None, 3], name="x")
    z = tf.placeholder(tf.float64, [2], name="z")
    k = tf.placeholder(tf.int32, [2], name="k")
    y = tf.reduce_sum(x * x)
    feeds = {x: np.ones((2, 3)), z: np.ones(2), k: [1, 2]}
    return (tf.gradients(y, [x, z], unconnected_gradients="zero")
            + tf.gradients(y, [x, z], unconnected_gradients=tf.UnconnectedGradients.ZERO)
            + tf.gradients(y, [z], unconnected_gradients="none")
            + tf.gradients(y, [k], unconnected_gradients="zero")), feeds


def _aggregation(method):
    def program(tf):
        x = tf.placeholder(tf.float64, [None, 3], name="x")
        s = tf.sin(x)
        y = tf.reduce_sum(s * s + s * x + tf.exp(s) + x + tf.add_n([s, x, s * x]))
        return tf.gradients(y, x, aggregation_method=method), {
            x: np.array([[0.1, -0.5, 0.9], [1.2, 0.3, -0.7]])}
    return program


def hessians_and_second_order(tf):
    x = tf.placeholder(tf.float64, [3], name="x")
    w = tf.placeholder(tf.float64, [3, 3], name="w")
    y = tf.reduce_sum(tf.sin(x) * x) + tf.reduce_sum(tf.tanh(tf.matmul(w, tf.reshape(x, [3, 1]))))
    (g,) = tf.gradients(y, x)
    (gg,) = tf.gradients(g * g, x)
    return tf.hessians(y, [x, w]) + [g, gg], {x: np.array([0.3, -1.0, 2.0]),
                                             w: _rng(5).uniform(-1, 1, (3, 3))}


def reductions(tf):
    x = tf.placeholder(tf.float64, [None, 3], name="x")
    v = np.array([[1.0, 3.0, 3.0], [0.5, -2.0, 0.25]])
    ys = [tf.reduce_sum(x, axis=-1, keepdims=True) * x,
          tf.reduce_mean(x, axis=[0, -1]),
          tf.reduce_max(x, axis=1),
          tf.reduce_min(x, axis=-2, keepdims=True),
          tf.reduce_prod(x, axis=1),
          tf.reduce_max(x),
          tf.reduce_prod(tf.constant([[0.0, 2.0, 3.0]], tf.float64) + x * 0.0 + x, axis=1)]
    return [tf.gradients(tf.reduce_sum(y * y), x)[0] for y in ys], {x: v}


def array_ops(tf):
    x = tf.placeholder(tf.float64, [None, 3], name="x")
    parts = tf.unstack(x, axis=1)
    s0, s1, s2 = tf.split(x, 3, axis=1)
    y = (tf.stack(parts, axis=1) * tf.transpose(tf.tile(tf.transpose(x), [1, 1]))
         + tf.reshape(tf.expand_dims(x, 0), [-1, 3]) * s0 + tf.squeeze(tf.expand_dims(s1, -1),
                                                                        -1) * s2
         + tf.broadcast_to(tf.reduce_sum(x, axis=0), [2, 3]))
    return tf.gradients(tf.reduce_sum(y * y), x), {x: np.array([[0.1, 0.2, 0.3],
                                                                 [-1.0, 0.5, 2.0]])}


def matmul_variants(tf):
    rng = _rng(6)
    a = tf.placeholder(tf.float64, [3, 2], name="a")
    b = tf.placeholder(tf.float64, [4, 3], name="b")
    p = tf.placeholder(tf.float64, [None, 1, 2, 3], name="p")
    q = tf.placeholder(tf.float64, [3, 4, 3], name="q")
    y = (tf.reduce_sum(tf.matmul(a, b, transpose_a=True, transpose_b=True) ** 2)
         + tf.reduce_sum(tf.sin(tf.matmul(p, q, transpose_b=True))))
    return tf.gradients(y, [a, b, p, q]), {a: rng.uniform(-1, 1, (3, 2)),
                                           b: rng.uniform(-1, 1, (4, 3)),
                                           p: rng.uniform(-1, 1, (2, 1, 2, 3)),
                                           q: rng.uniform(-1, 1, (3, 4, 3))}


def select_and_cast(tf):
    x = tf.placeholder(tf.float64, [None, 3], name="x")
    c = tf.placeholder(tf.bool, [None], name="c")
    c0 = tf.placeholder(tf.bool, [], name="c0")
    y = tf.where(c, x * x, -x) + tf.where(x > 0.0, tf.sqrt(tf.abs(x) + 1.0), tf.exp(x))
    y32 = tf.cast(y, tf.float32)
    z = tf.reduce_sum(tf.cast(y32 * y32, tf.float64)) + tf.reduce_sum(tf.where_v2(c0, x, 0.0))
    return tf.gradients(z, x), {x: np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]),
                                c: [True, False], c0: True}


def unary_zoo(tf):
    x = tf.placeholder(tf.float64, [4], name="x")
    y = (tf.negative(x) + tf.abs(x) + tf.sign(x) + tf.square(x) + tf.sqrt(x) + tf.rsqrt(x)
         + tf.exp(x) + tf.log(x) + tf.log1p(x) + tf.reciprocal(x) + tf.sin(x) + tf.cos(x)
         + tf.tanh(x) + tf.sigmoid(x) + tf.nn.relu(x - 1.0) + tf.nn.softplus(x)
         + tf.floordiv(x, 0.3) + tf.mod(x, 0.3) + x ** 1.5 + 2.0 ** x)
    (g,) = tf.gradients(y, x)
    return [g] + tf.gradients(g, x), {x: np.array([0.35, 0.8, 1.7, 2.45])}


def pow_at_zero(tf):
    x = tf.placeholder(tf.float64, [3], name="x")
    y = tf.placeholder(tf.float64, [3], name="y")
    return tf.gradients(tf.pow(x, y), [x, y]), {x: [0.0, 2.0, 0.0], y: [2.0, 2.0, 3.0]}


VALUE_PROGRAMS = [
    pytest.param(mlp_relu_mse, id="mlp_relu_mse"),
    pytest.param(mlp_float32_sigmoid, id="mlp_float32"),
    pytest.param(broadcasting, id="broadcasting"),
    pytest.param(broadcasting_unknown_rank, id="broadcasting_unknown_rank"),
    pytest.param(grad_ys_and_many_ys, id="grad_ys_many_ys"),
    pytest.param(stop_gradients_args, id="stop_gradients"),
    pytest.param(unconnected, id="unconnected_zero"),
    pytest.param(_aggregation(None), id="aggregation_default"),
    pytest.param(_aggregation(0), id="aggregation_add_n"),
    pytest.param(_aggregation(1), id="aggregation_tree"),
    pytest.param(_aggregation(2), id="aggregation_accumulate_n"),
    pytest.param(hessians_and_second_order, id="hessians"),
    pytest.param(reductions, id="reductions"),
    pytest.param(array_ops, id="array_ops"),
    pytest.param(matmul_variants, id="matmul"),
    pytest.param(select_and_cast, id="select_cast"),
    pytest.param(unary_zoo, id="unary_zoo"),
    pytest.param(pow_at_zero, id="pow_at_zero"),
]


@pytest.mark.parametrize("program", VALUE_PROGRAMS)
def test_gradient_values_match_tf(program):
    first = run_program(symgrad, program)[0]
    rtol = 1e-5 if any(v is not None and v.dtype == np.float32 for v in first) else 1e-10
    compare_values(program, rtol=rtol)


def test_aggregation_methods_agree():
    base = compare_values(_aggregation(None))
    for method in (0, 1, 2):
        np.testing.assert_allclose(compare_values(_aggregation(method))[0], base[0],
                                   rtol=1e-12)


# ----------------------------------------------------------------------------------------
# the gradient graph: op names and types under gradients/
# ----------------------------------------------------------------------------------------
def _x(tf):
    return tf.placeholder(tf.float32, [3], name="x")


def _m(tf):
    return tf.placeholder(tf.float32, [2, 3], name="m")


def g_square(tf):
    x = _x(tf)
    tf.gradients(x * x, x)


def g_sin_plus_x(tf):
    x = _x(tf)
    tf.gradients(tf.sin(x) + x, x)


def g_add_n3(tf):
    x = _x(tf)
    tf.gradients(tf.add_n([x, x * x, tf.tanh(x)]), x)


def g_add_n3_sin(tf):
    x = _x(tf)
    tf.gradients(tf.add_n([x, x * x, tf.sin(x)]), x)


def g_tanh_chain(tf):
    x = _x(tf)
    tf.gradients(tf.tanh(tf.tanh(tf.tanh(x))), x)


def g_where(tf):
    x = _x(tf)
    tf.gradients(tf.where(x > 0.0, x, -x), x)


def g_stack_unstack(tf):
    m = _m(tf)
    tf.gradients(tf.stack(tf.unstack(m)), m)


def g_log_neg(tf):
    x = _x(tf)
    tf.gradients(-tf.log(x), x)


def g_exp(tf):
    x = _x(tf)
    tf.gradients(tf.exp(x), x)


def g_reduce_sum(tf):
    x = _x(tf)
    tf.gradients(tf.reduce_sum(x), x)


def g_bias_add(tf):
    x, m = _x(tf), _m(tf)
    tf.gradients(m + x, [x, m])


def g_bias_add_unknown(tf):
    x = _x(tf)
    m = tf.placeholder(tf.float32, [None, 3], name="m")
    tf.gradients(m * x, [m, x])


def g_div(tf):
    x = _x(tf)
    tf.gradients(x / (x + 1.0), x)


def g_reduce_max(tf):
    m = _m(tf)
    tf.gradients(tf.reduce_max(m, axis=0), m)


def g_reduce_mean_axis(tf):
    m = _m(tf)
    tf.gradients(tf.reduce_mean(m, axis=1), m)


def g_pow(tf):
    x = _x(tf)
    tf.gradients(tf.pow(x, 3.0), x)


def g_mlp(tf):
    m = _m(tf)
    tf.gradients(tf.reduce_mean(tf.square(tf.nn.relu(tf.matmul(m, m, transpose_b=True)))), m)


def gradient_ops(tf, program):
    graph = tf.Graph()
    with graph.as_default():
        program(tf)
    return [(op.name, op.type) for op in graph.get_operations()
            if op.name.startswith("gradients/")]


def _describe(expected, got):
    return "\n".join(difflib.unified_diff([f"{n} {t}" for n, t in expected],
                                          [f"{n} {t}" for n, t in got],
                                          "tensorflow", "symgrad", lineterm=""))


NAME_PROGRAMS = [
    pytest.param(g_square, id="x*x"),
    pytest.param(g_sin_plus_x, id="sin(x)+x"),
    pytest.param(g_add_n3, id="add_n3"),
    pytest.param(g_add_n3_sin, id="add_n3_sin"),
    pytest.param(g_tanh_chain, id="tanh_chain"),
    pytest.param(g_where, id="where"),
    pytest.param(g_stack_unstack, id="stack_unstack"),
    pytest.param(g_log_neg, id="-log(x)"),
    pytest.param(g_exp, id="exp"),
    pytest.param(g_reduce_sum, id="reduce_sum"),
    pytest.param(g_bias_add, id="bias_add"),
    pytest.param(g_bias_add_unknown, id="bias_mul_None_dim"),
    pytest.param(g_div, id="div"),
    pytest.param(g_reduce_max, id="reduce_max"),
    pytest.param(g_reduce_mean_axis, id="reduce_mean_axis"),
    pytest.param(g_pow, id="pow"),
    pytest.param(g_mlp, id="mlp"),
]


@pytest.mark.parametrize("program", NAME_PROGRAMS)
def test_gradient_graph_names_match_tf(program):
    expected = gradient_ops(tf1, program)
    got = gradient_ops(symgrad, program)
    assert got == expected, "gradient graph differs from TF:\n" + _describe(expected, got)


# Every name program, compared by the multiset of op types (names aside).
TYPE_PROGRAMS = [pytest.param(p.values[0], id=p.id) for p in NAME_PROGRAMS]


@pytest.mark.parametrize("program", TYPE_PROGRAMS)
def test_gradient_graph_op_types_match_tf(program):
    """The multiset of op types (names aside): the same computation, the same op count."""
    expected = collections.Counter(t for _, t in gradient_ops(tf1, program))
    got = collections.Counter(t for _, t in gradient_ops(symgrad, program))
    assert got == expected, f"op types differ: TF-only {expected - got}, symgrad-only " \
                            f"{got - expected}"


def test_gradient_output_tensor_names_match_tf():
    """The names of the returned gradient tensors (what users print and fetch by name)."""
    def program(tf):
        x = _x(tf)
        return [g.name for g in tf.gradients(tf.tanh(x) * x + tf.square(x), x)]

    names = {}
    for key, tf in BACKENDS.items():
        with tf.Graph().as_default():
            names[key] = program(tf)
    assert names["symgrad"] == names["tf"]


def test_replayed_gradient_graphs_match_tf_under_scopes_and_name_clashes():
    """Gradient rules replayed from templates (every step of a chain after the first) build
    the graph TF builds, op for op with inputs and control inputs: also where a gradient
    scope already holds a name, inside control_dependencies, with colocation, and under a
    gradient override."""
    def program(tf):
        g = tf.get_default_graph()
        x = tf.placeholder(tf.float32, [16], name="x")
        y = x
        for _ in range(3):
            y = tf.tanh(y * 1.0001 + 0.1)
        with g.name_scope("gradients/mul_1_grad/"):
            tf.constant(1, name="Shape")
        with g.name_scope("gradients/add_grad/Sum/"):
            tf.constant(1, name="c")
        loss = tf.reduce_sum(y)
        first = len(g.get_operations())
        with tf.control_dependencies([x.op]):
            tf.gradients(loss, x)
        tf.gradients(loss, x, colocate_gradients_with_ops=True)
        tf.gradients(loss, x)
        with g.gradient_override_map({"Tanh": "Sigmoid"}):
            z = tf.tanh(x)
        tf.gradients(tf.reduce_sum(z * z), x)
        return [
            (op.name, op.type, [t.name for t in op.inputs],
             sorted(c.name for c in op.control_inputs))
            for op in g.get_operations()[first:]
        ]

    graphs = {}
    for key, tf in BACKENDS.items():
        with tf.Graph().as_default():
            graphs[key] = program(tf)
    assert len(graphs["symgrad"]) == len(graphs["tf"]) > 100
    for got, expected in zip(graphs["symgrad"], graphs["tf"]):
        assert got == expected
