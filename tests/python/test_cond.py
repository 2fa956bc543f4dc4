"""``cond`` and ``case``: TF1's Switch/Merge graph, only the taken branch running, gradients.

Expected graphs, values and messages were recorded from TF 2.21 with
``tf.disable_v2_behavior()`` (control flow v1, which is what symgrad builds).
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import assert_gradients_close


def _graph_listing(graph):
    return [(op.name, op.type, [i.name for i in op.inputs], [c.name for c in op.control_inputs])
            for op in graph.get_operations()]


def test_cond_graph_matches_tf_v1():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [2], name="x")
        p = tf.placeholder(tf.bool, [], name="p")
        y = tf.cond(p, lambda: x * 2.0, lambda: tf.constant([1.0, 1.0]) + x)
        listing = {name: (kind, inputs, controls)
                   for name, kind, inputs, controls in _graph_listing(g)}
        # TF creates a captured value's Switch after its consumer and rewires the input;
        # symgrad creates it first (same name, inputs and consumers).
        assert listing == {
            "x": ("Placeholder", [], []),
            "p": ("Placeholder", [], []),
            "cond/Switch": ("Switch", ["p:0", "p:0"], []),
            "cond/switch_t": ("Identity", ["cond/Switch:1"], []),
            "cond/switch_f": ("Identity", ["cond/Switch:0"], []),
            "cond/pred_id": ("Identity", ["p:0"], []),
            "cond/mul/y": ("Const", [], ["cond/switch_t"]),
            "cond/mul": ("Mul", ["cond/mul/Switch:1", "cond/mul/y:0"], []),
            "cond/mul/Switch": ("Switch", ["x:0", "cond/pred_id:0"], []),
            "cond/Const": ("Const", [], ["cond/switch_f"]),
            "cond/add": ("AddV2", ["cond/Const:0", "cond/add/Switch:0"], []),
            "cond/add/Switch": ("Switch", ["x:0", "cond/pred_id:0"], []),
            "cond/Merge": ("Merge", ["cond/add:0", "cond/mul:0"], []),
        }
        assert y.name == "cond/Merge:0"
        assert y.shape.as_list() == [2] and y.dtype == tf.float32
        merge = y.op
        assert [t.dtype for t in merge.outputs] == [tf.float32, tf.int32]
        assert merge.get_attr("N") == 2 and merge.get_attr("T") == tf.float32
        sw = g.get_operation_by_name("cond/mul/Switch")
        assert [o.shape.as_list() for o in sw.outputs] == [[2], [2]]
        with tf.Session() as s:
            assert np.allclose(s.run(y, {x: [1, 2], p: True}), [2, 4])
            assert np.allclose(s.run(y, {x: [1, 2], p: False}), [2, 3])


def test_gradient_values_both_branches():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        p = tf.placeholder(tf.bool, [], name="p")
        y = tf.cond(p, lambda: x * 2.0, lambda: tf.constant([1.0, 1.0]) + x)
        (g,) = tf.gradients(y, x)
        assert g.shape.as_list() == [2]
        with tf.Session() as s:
            assert np.allclose(s.run(g, {x: [1, 2], p: True}), [2, 2])
            assert np.allclose(s.run(g, {x: [1, 2], p: False}), [1, 1])


def _check_both(build, values, **kw):
    for taken in (True, False):
        with tf.Graph().as_default():
            xs = [tf.placeholder(tf.float64, np.shape(v), name=f"x{i}")
                  for i, v in enumerate(values)]
            p = tf.placeholder(tf.bool, [], name="p")
            y = build(p, *xs)
            assert_gradients_close(xs, y, values, extra_feed={p: taken}, **kw)


def test_gradcheck_captures_and_constants():
    rng = np.random.RandomState(0)
    a, b = rng.uniform(0.5, 1.5, (2, 3)), rng.uniform(0.5, 1.5, (3,))

    def build(p, x, y):
        return tf.cond(p, lambda: tf.sin(x) * y + 3.0, lambda: x * x / y - tf.exp(y))

    _check_both(build, [a, b])


def test_gradcheck_nested_cond_and_tuple_outputs():
    rng = np.random.RandomState(1)
    a, b = rng.uniform(0.5, 1.5, (3,)), rng.uniform(0.5, 1.5, (3,))

    def build(p, x, y):
        q = tf.reduce_sum(x) > tf.reduce_sum(y)

        def outer_true():
            inner = tf.cond(q, lambda: x * y, lambda: tf.tanh(x) + y)
            return inner * x, y

        def outer_false():
            return tf.square(y), x + 1.0

        first, second = tf.cond(p, outer_true, outer_false)
        return first * second

    _check_both(build, [a, b])
    _check_both(build, [b, a])


def test_gradient_through_lambda_returning_outer_tensor():
    def build(p, x):
        return tf.cond(p, lambda: x, lambda: x * 3.0)

    _check_both(build, [np.array([0.5, -1.0])])


def test_gradient_flows_to_predicate_inputs_as_none():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [], name="x")
        y = tf.cond(x > 0, lambda: x * 2.0, lambda: -x)
        (g,) = tf.gradients(y, x)
        with tf.Session() as s:
            assert s.run(g, {x: 3.0}) == 2.0
            assert s.run(g, {x: -3.0}) == -1.0


def test_untaken_branch_never_runs():
    with tf.Graph().as_default():
        p = tf.placeholder(tf.bool, [], name="p")
        v = tf.Variable(1.0, name="v")
        x = tf.constant([np.nan])

        def bad():
            with tf.control_dependencies([tf.assign(v, 100.0)]):
                return tf.check_numerics(x, "ran the untaken branch")

        y = tf.cond(p, lambda: tf.constant([5.0]), bad)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            assert s.run(y, {p: True}).tolist() == [5.0]
            assert s.run(v) == 1.0
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match="ran the untaken branch : Tensor had NaN values"):
                s.run(y, {p: False})


def test_nested_structures_and_singletons():
    Pair = collections.namedtuple("Pair", "a b")
    with tf.Graph().as_default():
        p = tf.placeholder(tf.bool, [], name="p")
        x = tf.constant(2.0)
        r = tf.cond(p, lambda: {"k": Pair(x, [x * 2]), "j": x},
                    lambda: {"k": Pair(x + 1, [x]), "j": x - 1})
        assert isinstance(r["k"], Pair) and isinstance(r["k"].b, list)
        single = tf.cond(p, lambda: [x], lambda: [x + 1.0])
        assert isinstance(single, tf.Tensor)
        strict = tf.cond(p, lambda: [x], lambda: [x + 1.0], strict=True)
        assert isinstance(strict, list) and len(strict) == 1
        old_names = tf.cond(p, fn1=lambda: x, fn2=lambda: x * 5.0)
        with tf.Session() as s:
            out = s.run(r, {p: False})
            assert out["j"] == 1.0 and out["k"].a == 3.0 and out["k"].b == [2.0]
            assert s.run(single, {p: True}) == 2.0
            assert s.run(strict, {p: False}) == [3.0]
            assert s.run(old_names, {p: False}) == 10.0


def test_branch_returning_an_op():
    with tf.Graph().as_default():
        p = tf.placeholder(tf.bool, [], name="p")
        v = tf.Variable(0.0, name="v")
        op = tf.cond(p, lambda: tf.assign_add(v, 1.0).op, lambda: tf.no_op())
        assert op.dtype == tf.bool  # the Merge of the two pivots, as in TF
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            s.run(op, {p: True})
            s.run(op, {p: False})
            s.run(op, {p: True})
            assert s.run(v) == 2.0


def test_cond_errors():
    with tf.Graph().as_default():
        p = tf.placeholder(tf.bool, [], name="p")
        x = tf.constant(1.0)
        with pytest.raises(TypeError, match="'true_fn' and 'fn1' may not be set"):
            tf.cond(p, lambda: x, lambda: x, fn1=lambda: x)
        with pytest.raises(TypeError, match=r"cond\(\): 'false_fn' argument required"):
            tf.cond(p, lambda: x)
        with pytest.raises(TypeError, match="'true_fn' must be callable."):
            tf.cond(p, x, lambda: x)
        with pytest.raises(TypeError, match="'pred' must not be a Python bool."):
            tf.cond(True, lambda: x, lambda: x)
        with pytest.raises(ValueError, match="'true_fn' must have a return value."):
            tf.cond(p, lambda: None, lambda: x)
        with pytest.raises(ValueError, match="Outputs of 'true_fn' and 'false_fn' must have "
                                             "the same type"):
            tf.cond(p, lambda: x, lambda: tf.constant(1))
        with pytest.raises(ValueError, match="Incompatible return values of 'true_fn' and "
                                             "'false_fn'"):
            tf.cond(p, lambda: (x, x), lambda: x)
        with pytest.raises(TypeError, match="Input 'pred' of 'Switch' Op has type float32"):
            tf.cond(x, lambda: x, lambda: x)


def test_fetching_a_dead_tensor_fails():
    with tf.Graph().as_default() as g:
        p = tf.placeholder(tf.bool, [], name="p")
        x = tf.constant(1.0)
        tf.cond(p, lambda: x * 2.0, lambda: x)
        with tf.Session() as s:
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=r"Retval\[0\] does not have value"):
                s.run(g.get_tensor_by_name("cond/mul:0"), {p: False})
            assert s.run(g.get_tensor_by_name("cond/mul:0"), {p: True}) == 2.0


def test_case_picks_first_true_and_default():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.int32, [], name="x")
        r = tf.case([(tf.less(x, 0), lambda: tf.constant(-1)),
                     (tf.equal(x, 0), lambda: tf.constant(0))],
                    default=lambda: tf.constant(1))
        assert r.name == "case/cond/Merge:0"
        with tf.Session() as s:
            assert [s.run(r, {x: v}) for v in (-5, 0, 7)] == [-1, 0, 1]


def test_case_without_default_and_exclusive():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [], name="x")
        r = tf.case([(x < 0.0, lambda: -x), (x >= 0.0, lambda: x * 2.0)])
        ex = tf.case([(x < 1.0, lambda: x), (x > -1.0, lambda: x * 2.0)],
                     default=lambda: x * 3.0, exclusive=True)
        none_true = tf.case([(x < 0.0, lambda: x), (x > 1.0, lambda: x * 2.0)])
        (g,) = tf.gradients(r, x)
        with tf.Session() as s:
            assert s.run([r, g], {x: -2.0}) == [2.0, -1.0]
            assert s.run([r, g], {x: 3.0}) == [6.0, 2.0]
            assert s.run(ex, {x: 5.0}) == 10.0
            assert s.run(ex, {x: -5.0}) == -5.0
            with pytest.raises(tf.errors.InvalidArgumentError) as info:
                s.run(ex, {x: 0.0})
            assert info.value.message.startswith(
                "assertion failed: [Input error: exclusive=True: more than 1 conditions "
                "(Less_1:0, Greater:0) evaluated as True:] [1 1]")
            with pytest.raises(tf.errors.InvalidArgumentError) as info:
                s.run(none_true, {x: 0.5})
            assert info.value.message.startswith(
                "assertion failed: [Input error: None of conditions evaluated as True:] [0 0]")


def test_case_argument_errors():
    with tf.Graph().as_default():
        x = tf.constant(1.0)
        with pytest.raises(TypeError, match="'pred_fn_pairs' must be a list, tuple, or dict"):
            tf.case(x)
        with pytest.raises(TypeError, match="Each entry in 'pred_fn_pairs' must be a 2-tuple"):
            tf.case([[x > 0, lambda: x]])
        with pytest.raises(TypeError, match="pred must be Tensor of type bool"):
            tf.case([(x, lambda: x)])


def test_cond_in_eager_mode_calls_the_taken_function():
    with tf.eager_mode():
        x = tf.constant(2.0)
        assert float(tf.cond(x > 1.0, lambda: x * 3.0, lambda: x).numpy()) == 6.0
        assert float(tf.cond(x > 5.0, lambda: x * 3.0, lambda: [x]).numpy()) == 2.0


def test_training_variables_read_inside_branches():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        p = tf.placeholder(tf.bool, [], name="p")
        w = tf.get_variable("w", [3, 1], initializer=tf.ones_initializer())
        b = tf.Variable(0.5)
        y = tf.cond(p, lambda: tf.matmul(x, w) + b,
                    lambda: tf.nn.relu(tf.matmul(x, w)) * 2.0)
        loss = tf.reduce_mean(tf.square(y - 1.0))
        step = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        losses = []
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            for taken in (True, False, True):
                losses.append(s.run([loss, step], {x: np.ones((2, 3)), p: taken})[0])
            # By hand: w 1 -> 0.5 -> -0.3 -> 0.08, b 0.5 -> 0 -> 0 -> 0.38.
            assert np.allclose(losses, [6.25, 4.0, 3.61])
            assert np.allclose(s.run(w).ravel(), [0.08] * 3) and np.isclose(s.run(b), 0.38)
