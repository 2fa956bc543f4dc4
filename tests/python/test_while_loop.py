"""``while_loop`` as TF 2's functional ``While`` op, its gradients, and the loops built on it.

Expected graphs, values and messages were recorded from TF 2.21 (``tf.compat.v1`` graph
mode, control flow v2: what ``tf.while_loop`` builds by default).
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import check_on_placeholders


def test_graph_matches_tf():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float64, [], name="x")
        w = tf.constant(2.0, tf.float64, name="w")
        i0 = tf.constant(0, name="i0")
        r = tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * x * w),
                          [i0, tf.constant(1.0, tf.float64)], name="loop")
        op = g.get_operation_by_name("loop")
        assert op.type == "StatelessWhile"
        assert [t.name for t in op.inputs] == [
            "loop/loop_counter:0", "loop/maximum_iterations:0", "i0:0", "Const:0", "x:0",
            "w:0"]
        assert [t.dtype for t in op.outputs] == [tf.int32, tf.int32, tf.int32, tf.float64,
                                                 tf.float64, tf.float64]
        assert op.get_attr("T") == [tf.int32, tf.int32, tf.int32, tf.float64, tf.float64,
                                    tf.float64]
        assert op.get_attr("parallel_iterations") == 10
        assert g.get_operation_by_name("loop/maximum_iterations").get_attr("value") == -1
        assert isinstance(r, list) and [t.name for t in r] == ["loop/Identity_2:0",
                                                               "loop/Identity_3:0"]
        gx, gw = tf.gradients(r[1], [x, w])
        with tf.Session() as s:
            assert s.run(r, {x: 1.5}) == [3, 27.0]
            assert np.allclose(s.run([gx, gw], {x: 1.5}), [54.0, 40.5])


def test_single_var_returns_tensor_and_same_structure():
    with tf.Graph().as_default():
        r = tf.while_loop(lambda a: a < 100.0, lambda a: a * 2.0, [tf.constant(1.0)])
        assert isinstance(r, tf.Tensor) and r.name == "while/Identity_2:0"
        r2 = tf.while_loop(lambda a: a < 100.0, lambda a: a * 2.0, [tf.constant(1.0)],
                           return_same_structure=True)
        assert isinstance(r2, list) and len(r2) == 1
        with tf.Session() as s:
            assert s.run(r) == 128.0
            assert s.run(r2) == [128.0]


def test_nested_structures_namedtuple_and_dict():
    Pair = collections.namedtuple("Pair", ["a", "b"])
    with tf.Graph().as_default():
        init = (tf.constant(0), Pair(tf.constant(1.0), {"z": tf.constant([1.0, 2.0])}))

        def body(i, p):
            return i + 1, Pair(p.a * 2.0, {"z": p.b["z"] + p.a})

        i, p = tf.while_loop(lambda i, p: i < 4, body, init)
        assert isinstance(p, Pair) and set(p.b) == {"z"}
        with tf.Session() as s:
            iv, a, z = s.run([i, p.a, p.b["z"]])
        assert iv == 4 and a == 16.0 and np.allclose(z, [16.0, 17.0])


def test_maximum_iterations_and_zero_iterations():
    with tf.Graph().as_default() as g:
        r = tf.while_loop(lambda a: a < 1000.0, lambda a: a + 1.0, [tf.constant(0.0)],
                          maximum_iterations=5)
        z = tf.while_loop(lambda a: a > 1000.0, lambda a: a + 1.0, [tf.constant(3.0)])
        assert g.get_operation_by_name("while/maximum_iterations").get_attr("value") == 5
        with tf.Session() as s:
            assert s.run([r, z]) == [5.0, 3.0]


def test_long_loop_runs_without_recursion():
    with tf.Graph().as_default():
        n = tf.placeholder(tf.int32, [])
        i, acc = tf.while_loop(lambda i, a: i < n, lambda i, a: (i + 1, a + 1.0),
                               [tf.constant(0), tf.constant(0.0, tf.float64)])
        with tf.Session() as s:
            assert s.run([i, acc], {n: 100000}) == [100000, 100000.0]


def test_shape_invariants():
    with tf.Graph().as_default():
        x = tf.ones([2])
        with pytest.raises(ValueError, match=r"Input tensor `ones:0` enters the loop with "
                           r"shape \(2,\), but has shape \(4,\) after one iteration\. To allow "
                           r"the shape to vary across iterations, use the `shape_invariants`"):
            tf.while_loop(lambda a: tf.reduce_sum(a) < 100.0, lambda a: tf.concat([a, a], 0),
                          [x])
        r = tf.while_loop(lambda a: tf.reduce_sum(a) < 100.0, lambda a: tf.concat([a, a], 0),
                          [x], shape_invariants=[tf.TensorShape([None])])
        assert r.shape.as_list() == [None]
        with tf.Session() as s:
            assert s.run(r).shape == (128,)
        with pytest.raises(ValueError, match="The shape invariant specified for ones:0 is "
                           "not compatible with the initial shape of the loop variable"):
            tf.while_loop(lambda a: True, lambda a: a, [x],
                          shape_invariants=[tf.TensorShape([3])])
        with pytest.raises(ValueError, match="don't have the same nested structure"):
            tf.while_loop(lambda a: True, lambda a: a, [x], shape_invariants=[[2]])


def test_argument_errors():
    with tf.Graph().as_default():
        x = tf.ones([])
        with pytest.raises(TypeError, match="^'cond' must be callable.$"):
            tf.while_loop(3, lambda a: a, [x])
        with pytest.raises(TypeError, match="^'body' must be callable.$"):
            tf.while_loop(lambda a: a < 1.0, 3, [x])
        with pytest.raises(TypeError, match="'parallel_iterations' must be a positive"):
            tf.while_loop(lambda a: a < 1.0, lambda a: a, [x], parallel_iterations=0)
        with pytest.raises(TypeError, match=r"Loop var ones:0 enters the loop with type "
                           r"<dtype: 'float32'> but has type <dtype: 'int32'> after 1 "
                           r"iteration\. ones:0 type should remain constant\."):
            tf.while_loop(lambda a: a < 100.0, lambda a: tf.cast(a, tf.int32), [x])
        with pytest.raises(ValueError, match="don't have the same nested structure"):
            tf.while_loop(lambda a: a < 100.0, lambda a: (a, a), [x])


def test_ops_named_under_loop_scope_and_variable_read():
    with tf.Graph().as_default() as g:
        v = tf.Variable(3.0, name="v")
        r = tf.while_loop(lambda a: a < 50.0, lambda a: a * v, [tf.constant(1.0)],
                          name="outer")
        body_ops = [op.name for op in g.get_operations()
                    if op.type == "Mul"]
        assert body_ops and all(n.startswith("outer/") for n in body_ops)
        (gv,) = tf.gradients(r, [v])
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            # r = v**4 (1, 3, 9, 27, 81): dr/dv = 4 v**3
            assert s.run(r) == 81.0
            assert np.isclose(s.run(gv), 4 * 27.0)


def test_nested_loops_and_cond_in_body():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [], name="x")

        def body(i, a):
            inner = tf.while_loop(lambda j, b: j < i, lambda j, b: (j + 1, b + x),
                                  [tf.constant(0), tf.constant(0.0, tf.float64)])[1]
            a = tf.cond(i > 1, lambda: a + inner, lambda: a - x)
            return i + 1, a

        _, r = tf.while_loop(lambda i, a: i < 4, body, [tf.constant(0), x])
        (gx,) = tf.gradients(r, x)
        with tf.Session() as s:
            # a = x - x - x + 2x + 3x = 4x
            assert np.allclose(s.run([r, gx], {x: 2.0}), [8.0, 4.0])


def test_gradient_is_none_for_unconnected_and_int_inputs():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [])
        y = tf.placeholder(tf.float64, [])
        i, a = tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * 2.0), [0, x])
        assert tf.gradients(a, [y]) == [None]
        (gx,) = tf.gradients(a, [x])
        with tf.Session() as s:
            assert s.run(gx, {x: 1.0}) == 8.0


# ----- float64 finite-difference checks, first and second derivatives -----

def test_gradcheck_power_by_repeated_multiplication():
    def build(x):
        return tf.while_loop(lambda i, p: i < 4, lambda i, p: (i + 1, p * x),
                             [tf.constant(0), tf.ones_like(x)])[1]

    check_on_placeholders(build, [((3,), np.array([0.7, -1.2, 1.5]))])


def test_gradcheck_rnn_with_captured_weights():
    rng = np.random.RandomState(3)

    def build(h0, w, u, xs):
        def body(t, h):
            x_t = tf.gather(xs, t)
            return t + 1, tf.tanh(tf.matmul(h, w) + tf.matmul(x_t, u))

        _, h = tf.while_loop(lambda t, h: t < 3, body, [tf.constant(0), h0])
        return h

    check_on_placeholders(build, [((1, 3), rng.uniform(-1, 1, (1, 3))),
                                  ((3, 3), rng.uniform(-0.8, 0.8, (3, 3))),
                                  ((2, 3), rng.uniform(-0.8, 0.8, (2, 3))),
                                  ((3, 1, 2), rng.uniform(-1, 1, (3, 1, 2)))])


def test_gradcheck_data_dependent_trip_count():
    def build(x, y):
        # Runs while the (changing) value is small: the count depends on x, the gradient
        # only on the values along the way.
        return tf.while_loop(lambda a, b: tf.reduce_sum(a) < 10.0,
                             lambda a, b: (a * 1.5 + b, b * a), [x, y])

    def build_sum(x, y):
        a, b = build(x, y)
        return tf.reduce_sum(a) + tf.reduce_sum(b)

    check_on_placeholders(build_sum, [((2,), np.array([1.1, 0.9])),
                                      ((2,), np.array([0.3, 0.2]))])


def test_gradient_of_stacked_loop_vs_numpy():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [3])
        _, cp = tf.while_loop(lambda i, c: i < 3,
                              lambda i, c: (i + 1, c * tf.gather(x, i)),
                              [tf.constant(0), tf.constant(1.0, tf.float64)])
        (gx,) = tf.gradients(cp, x)
        with tf.Session() as s:
            v = np.array([2.0, 3.0, 5.0])
            assert np.allclose(s.run(gx, {x: v}), [15.0, 10.0, 6.0])


def test_foldl_foldr_values_names_and_gradients():
    with tf.Graph().as_default():
        x = tf.constant([1.0, 2.0, 3.0, 4.0], tf.float64)
        a = tf.foldl(lambda a, e: a * 2.0 + e, x)
        b = tf.foldr(lambda a, e: a * 2.0 + e, x)
        c = tf.foldl(lambda a, e: a + e[0] * e[1], (x, x),
                     initializer=tf.constant(10.0, tf.float64))
        assert [t.name for t in (a, b, c)] == ["foldl/while/Identity_3:0",
                                               "foldr/while/Identity_3:0",
                                               "foldl_1/while/Identity_3:0"]
        (g,) = tf.gradients([a, b, c], x)
        with tf.Session() as s:
            av, bv, cv, gv = s.run([a, b, c, g])
        # values and gradient recorded from TF 2.21
        assert (av, bv, cv) == (26.0, 49.0, 40.0)
        assert np.allclose(gv, [11.0, 10.0, 12.0, 17.0])
        with pytest.raises(TypeError, match="is not callable. Please provide a callable"):
            tf.foldl(3, x)


def test_gradcheck_cumulative_product_by_foldl():
    def build(x):
        return tf.foldl(lambda acc, e: acc * e, x, initializer=tf.ones([2], tf.float64))

    check_on_placeholders(build, [((3, 2), np.array([[0.5, 1.2], [-0.7, 0.9], [1.3, -1.1]]))])


def test_gradcheck_foldr_with_captured_matrix():
    rng = np.random.RandomState(5)

    def build(xs, w):
        return tf.foldr(lambda h, x: tf.tanh(tf.matmul(h, w) + x), xs)

    check_on_placeholders(build, [((3, 1, 2), rng.uniform(-1, 1, (3, 1, 2))),
                                  ((2, 2), rng.uniform(-0.8, 0.8, (2, 2)))])


def test_map_fn_and_scan_values_shapes_and_gradients_match_tf():
    with tf.Graph().as_default():
        x = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], tf.float64)
        w = tf.constant([0.5, -1.0], tf.float64)
        m = tf.map_fn(lambda r: tf.reduce_sum(r * w) * r, x)
        m2 = tf.map_fn(lambda r: (r[0] * 2.0, r * r), x, dtype=(tf.float64, tf.float64))
        s1 = tf.scan(lambda a, e: a * e, x)
        s2 = tf.scan(lambda a, e: a + e, x, initializer=tf.constant([1.0, 1.0], tf.float64),
                     reverse=True)
        s3 = tf.scan(lambda a, e: a * 0.5 + e, x, reverse=True)
        assert [t.shape.as_list() for t in (m, m2[0], m2[1], s1, s2, s3)] == [
            [3, 2], [3], [3, 2], [3, 2], [3, 2], [3, 2]]
        gx, gw = tf.gradients([m, m2[0], m2[1], s1, s2, s3], [x, w])
        with tf.Session() as s:
            mv, (a, b), v1, v2, v3, gxv, gwv = s.run([m, m2, s1, s2, s3, gx, gw])
        # recorded from TF 2.21
        assert np.allclose(mv, [[-1.5, -3.0], [-7.5, -10.0], [-17.5, -21.0]])
        assert np.allclose(a, [2.0, 6.0, 10.0])
        assert np.allclose(b, [[1.0, 4.0], [9.0, 16.0], [25.0, 36.0]])
        assert np.allclose(v1, [[1.0, 2.0], [3.0, 8.0], [15.0, 48.0]])
        assert np.allclose(v2, [[10.0, 13.0], [9.0, 11.0], [6.0, 7.0]])
        assert np.allclose(v3, [[3.75, 5.5], [5.5, 7.0], [5.0, 6.0]])
        assert np.allclose(gxv, [[25.0, 30.5], [18.5, 16.0], [21.75, 10.25]])
        assert np.allclose(gwv, [79.0, 100.0])


def test_map_fn_dynamic_length_and_empty_input():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2])
        y = tf.map_fn(lambda r: r * 2.0, x)
        assert y.shape.as_list() == [None, 2]
        with tf.Session() as s:
            assert s.run(y, {x: np.ones((4, 2))}).shape == (4, 2)
            assert s.run(y, {x: np.ones((0, 2))}).shape == (0, 2)
        with pytest.raises(ValueError, match="must be 1\\+ dimensional Tensors, not scalars"):
            tf.map_fn(lambda r: r, tf.constant(1.0))
        with pytest.raises(TypeError, match="is not callable"):
            tf.scan(3, x)


def test_gradcheck_map_fn_with_captured_matrix():
    rng = np.random.RandomState(7)

    def build(xs, w):
        return tf.map_fn(lambda r: tf.sin(tf.matmul(r, w)), xs)

    check_on_placeholders(build, [((3, 1, 2), rng.uniform(-1, 1, (3, 1, 2))),
                                  ((2, 2), rng.uniform(-1, 1, (2, 2)))])


def test_gradcheck_cumulative_product_by_scan():
    def build(x):
        return tf.scan(lambda acc, e: acc * e, x)

    check_on_placeholders(build, [((4,), np.array([0.5, 1.2, -0.7, 0.9]))])


def test_gradcheck_reverse_scan_rnn():
    rng = np.random.RandomState(9)

    def build(xs, w):
        return tf.scan(lambda h, x: tf.tanh(tf.matmul(h, w) + x), xs,
                       initializer=tf.zeros([1, 2], tf.float64), reverse=True)

    check_on_placeholders(build, [((3, 1, 2), rng.uniform(-1, 1, (3, 1, 2))),
                                  ((2, 2), rng.uniform(-0.8, 0.8, (2, 2)))])


def test_gradient_uses_the_random_values_the_forward_loop_drew():
    # d(acc)/dx = sum of the draws: the gradient must reuse the forward loop's draws, not
    # draw again when it rebuilds the body.
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, [])

        def body(i, acc, mask_sum):
            r = tf.random_uniform([3], dtype=tf.float64)
            keep = tf.cast(r > 0.5, tf.float64)  # a dropout-style mask
            return i + 1, acc + x * r * keep, mask_sum + r * keep

        zeros = tf.zeros([3], tf.float64)
        _, acc, drawn = tf.while_loop(lambda i, a, m: i < 6, body,
                                      [tf.constant(0), zeros, zeros])
        dx, = tf.gradients(tf.reduce_sum(acc), x)
        ddx, = tf.gradients(dx, x)
        with tf.Session() as sess:
            for _ in range(3):
                a, d, total = sess.run([acc, dx, drawn], {x: 2.0})
                np.testing.assert_allclose(a, 2.0 * total, rtol=1e-12)
                np.testing.assert_allclose(d, total.sum(), rtol=1e-12)
            if ddx is not None:  # the draws do not depend on x
                assert sess.run(ddx, {x: 2.0}) == 0.0

