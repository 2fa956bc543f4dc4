"""Run-time checks: ``Assert``, ``assert_*``, ``check_numerics``, ``verify_tensor_all_finite``,
``Print``. Messages, op types and names recorded from TF 2.21 (``tf.compat.v1`` graph mode)."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import assert_gradients_close


def _failure(fetch, feed=None):
    with tf.Session() as s, pytest.raises(tf.errors.InvalidArgumentError) as info:
        s.run(fetch, feed)
    return info.value.message.split("\n\t [[")[0]


def test_assert_guarded_by_cond_when_data_is_not_int32():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        p = tf.placeholder(tf.bool, [], name="p")
        a = tf.Assert(tf.reduce_all(x > 0), [x, "hello", p], name="A")
        assert (a.name, a.type) == ("A/AssertGuard/Merge", "Merge")
        assert _failure(a, {x: [-1, 2], p: False}) == "assertion failed: [-1 2] [hello] [0]"
        with tf.Session() as s:
            s.run(a, {x: [1, 2], p: False})
        inner = tf.get_default_graph().get_operation_by_name("A/AssertGuard/Assert")
        assert inner.type == "Assert" and inner.get_attr("summarize") == 3


def test_assert_summaries():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        direct = tf.Assert(x[0] > 0, [tf.range(30), "s"], summarize=5)
        assert (direct.name, direct.type) == ("Assert/Assert", "Assert")
        assert _failure(direct, {x: [-1, 2]}) == "assertion failed: [0 1 2 3 4...] [s]"
        default = tf.Assert(x[0] > 0, [tf.range(30), "s"])
        assert _failure(default, {x: [-1, 2]}) == "assertion failed: [0 1 2...] [s]"
        nested = tf.Assert(x[0] > 0, [tf.ones([3, 4, 2]), tf.constant(1.5, tf.float64),
                                      tf.constant([True, False])])
        assert _failure(nested, {x: [-1, 2]}) == (
            "assertion failed: [[[1 1][1...]]...] [1.5] [1 0]")


def test_assert_condition_must_be_bool():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        with pytest.raises(TypeError, match="Input 'condition' of 'Assert' Op has type "
                                            "float32 that does not match expected type of "
                                            "bool."):
            tf.Assert(x, ["static"])
        static_false = tf.Assert(False, ["static"])
        assert _failure(static_false) == "assertion failed: [static]"


def test_assert_in_control_dependencies_stops_the_run():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        with tf.control_dependencies([tf.debugging.assert_positive(x)]):
            y = tf.reduce_sum(x)
        with tf.Session() as s:
            assert s.run(y, {x: [1.0, 2.0]}) == 3.0
        assert _failure(y, {x: [1.0, -2.0]}) == (
            "assertion failed: [] [Condition x > 0 did not hold element-wise:] "
            "[x (x:0) = ] [1 -2]")


def test_binary_asserts_at_run_time():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        ae = tf.debugging.assert_equal(x, tf.constant([1.0, 2.0]), message="mm")
        assert ae.name == "assert_equal_1/Assert/AssertGuard/Merge"
        assert _failure(ae, {x: [1, 3]}) == (
            "assertion failed: [mm] [Condition x == y did not hold element-wise:] "
            "[x (x:0) = ] [1 3] [y (Const:0) = ] [1 2]")
        al = tf.assert_less(x, 3.0)
        assert _failure(al, {x: [1, 3]}) == (
            "assertion failed: [Condition x < y did not hold element-wise:] [x (x:0) = ] "
            "[1 3] [y (assert_less/y:0) = ] [3]")
        checks = [tf.assert_less_equal(x, 3.0), tf.assert_greater(x, 0.0),
                  tf.assert_greater_equal(x, 1.0), tf.assert_none_equal(x, 7.0),
                  tf.assert_non_negative(x), tf.assert_negative(-x),
                  tf.assert_non_positive(-x)]
        with tf.Session() as s:
            s.run(checks, {x: [1.0, 3.0]})
        assert "Condition x >= y" in _failure(checks[2], {x: [0.5, 3.0]})
        assert "Condition x != y" in _failure(checks[3], {x: [7.0, 3.0]})
        assert "Condition x <= 0" in _failure(checks[6], {x: [-1.0, 3.0]})


def test_static_failures_raise_while_building():
    with tf.Graph().as_default():
        a, b = tf.constant([1, 2]), tf.constant([1, 3])
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            tf.debugging.assert_equal(a, b)
        assert info.value.message == (
            "Condition x == y did not hold element-wise:\nx (Const:0) = \n[1 2]\n"
            "y (Const_1:0) = \n[1 3]")
        assert tf.debugging.assert_equal(a, a).name == "assert_equal_2/NoOp"
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            tf.debugging.assert_positive(tf.constant([1.0, -2.0]))
        assert info.value.message == (
            "\nCondition x > 0 did not hold element-wise:\nx (Const_2:0) = \n[ 1. -2.]")
        ok = tf.debugging.assert_equal(a, tf.constant([1, 2]))
        assert ok.type == "Assert"


def test_assert_rank_and_type():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"^Tensor Const:0 must have rank 2.  Received "
                                             r"rank 1, shape \(2,\)$"):
            tf.debugging.assert_rank(tf.constant([1.0, -2.0]), 2)
        x = tf.placeholder(tf.float32, [2], name="x")
        ok = tf.assert_rank(x, 1)
        assert (ok.name, ok.type) == ("assert_rank_1/static_checks_determined_all_ok", "NoOp")
        y = tf.placeholder(tf.float32, None, name="y")
        dyn = tf.assert_rank(y, 1)
        assert dyn.type == "Assert"
        assert _failure(dyn, {y: [[1.0]]}) == (
            "assertion failed: [] [Tensor y:0 must have rank] [1] [Received shape: ] [1 1]")
        at_least = tf.assert_rank_at_least(y, 2)
        with tf.Session() as s:
            s.run(at_least, {y: [[1.0]]})
        with pytest.raises(TypeError, match=r"^x:0 must be of type tf.int32; got tf.float32$"):
            tf.debugging.assert_type(x, tf.int32)
        same = tf.debugging.assert_type(x, tf.float32)
        assert (same.name, same.type) == ("assert_type_1/statically_determined_correct_type",
                                          "NoOp")
        assert tf.assert_scalar(tf.constant(1.0)).shape.ndims == 0
        with pytest.raises(ValueError, match="Expected scalar shape for"):
            tf.assert_scalar(x)


def test_check_numerics_messages_and_gradient():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [2], name="x")
        c = tf.check_numerics(x, "boom")
        assert (c.op.name, c.op.type, c.op.get_attr("message")) == (
            "CheckNumerics", "CheckNumerics", b"boom")
        (grad,) = tf.gradients(c * 2.0, x)
        grad_check = g.get_operation_by_name("gradients/CheckNumerics_grad/CheckNumerics")
        assert grad_check.get_attr("message") == (
            b"Not a number (NaN) or infinity (Inf) values detected in gradient. b'boom'")
        assert _failure(c, {x: [np.nan, 1]}) == "boom : Tensor had NaN values"
        assert _failure(c, {x: [np.inf, 1]}) == "boom : Tensor had Inf values"
        assert _failure(c, {x: [-np.inf, np.nan]}) == "boom : Tensor had Inf and NaN values"
        with tf.Session() as s:
            assert s.run(grad, {x: [1, 2]}).tolist() == [2.0, 2.0]
        bad_seed = tf.gradients(c, x, grad_ys=tf.constant([np.inf, 1.0]))[0]
        assert _failure(bad_seed, {x: [1, 2]}).startswith(
            "Not a number (NaN) or infinity (Inf) values detected in gradient.")
        with pytest.raises(TypeError, match="DataType int32 not in list of allowed values"):
            tf.check_numerics(tf.constant(1), "m")


def test_check_numerics_gradcheck():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [3], name="x")
        y = tf.sin(tf.debugging.check_numerics(x * x, "m"))
        assert_gradients_close([x], y, [np.array([0.3, -0.7, 1.1])])


def test_verify_tensor_all_finite():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        v = tf.verify_tensor_all_finite(x, "not finite")
        assert (v.op.type, v.op.name) == ("Identity", "VerifyFinite/control_dependency")
        with tf.Session() as s:
            assert s.run(v, {x: [1, 2]}).tolist() == [1.0, 2.0]
        assert _failure(v, {x: [1, np.inf]}) == "not finite : Tensor had Inf values"


def test_print_is_identity_and_logs(capfd):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        p = tf.Print(x, [x, tf.range(5)], message="hi: ", first_n=2)
        assert (p.op.type, p.op.name) == ("Print", "Print")
        assert p.op.get_attr("first_n") == 2 and p.op.get_attr("summarize") == 3
        (g,) = tf.gradients(p * 3.0, x)
        with tf.Session() as s:
            for _ in range(3):
                assert s.run(p, {x: [3, 4]}).tolist() == [3.0, 4.0]
            assert s.run(g, {x: [3, 4]}).tolist() == [3.0, 3.0]
        err = capfd.readouterr().err
        assert err.count("hi: [3 4][0 1 2...]\n") == 2
