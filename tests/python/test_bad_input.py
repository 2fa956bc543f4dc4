"""Bad input: each case raises TF's error class with a message naming the op or tensor, and the
graph and session stay usable — every test runs something valid after the error.

The expected classes and texts are those TF 2.21 (tf.compat.v1, graph mode) gives for the same
program."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf
from symgrad import errors


@pytest.fixture
def setup():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2, 3], name="x")
        y = tf.identity(x * 2.0, name="y")
        c = tf.constant([1.0, 2.0], name="c")
        v = tf.placeholder(tf.float32, [None], name="v")
        sess = tf.Session(graph=g)
        yield g, sess, x, y, c, v
        sess.close()


def still_works(sess, x, y):
    """The valid run each test ends with."""
    out = sess.run(y, {x: np.ones((2, 3), np.float32)})
    np.testing.assert_array_equal(out, np.full((2, 3), 2.0, np.float32))


def test_wrong_feed_shape(setup):
    g, sess, x, y, *_ = setup
    with pytest.raises(ValueError, match=r"Cannot feed value of shape \(3, 2\) for Tensor "
                                         r"'?x:0'?, which has shape '?\(2, 3\)'?"):
        sess.run(y, {x: np.zeros((3, 2), np.float32)})
    still_works(sess, x, y)


def test_feed_dtype_is_converted_as_tf_does(setup):
    g, sess, x, y, *_ = setup
    # TF converts a numeric feed to the placeholder's dtype.
    out = sess.run(y, {x: np.ones((2, 3), np.int32)})
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.full((2, 3), 2.0))
    with pytest.raises(ValueError, match="could not convert string to float"):
        sess.run(y, {x: np.array([["a", "b", "c"]] * 2)})
    still_works(sess, x, y)


def test_missing_feed_names_the_placeholder(setup):
    g, sess, x, y, *_ = setup
    with pytest.raises(errors.InvalidArgumentError,
                       match=r"You must feed a value for placeholder tensor 'x' with dtype "
                             r"float and shape \[2,3\]") as info:
        sess.run(y)
    assert info.value.op is not None and info.value.op.name == "x"
    still_works(sess, x, y)


def test_feeding_a_non_placeholder_is_allowed(setup):
    g, sess, x, y, c, v = setup
    # TF lets any feedable tensor be fed: the fed value replaces the computed one.
    np.testing.assert_array_equal(sess.run(c * 2.0, {c: [5.0, 6.0]}), [10.0, 12.0])
    with g.as_default():
        total = tf.reduce_sum(y)
    assert sess.run(total, {y: np.ones((2, 3), np.float32)}) == 6.0
    # What TF forbids: a tensor marked unfeedable.
    g.prevent_feeding(c)
    assert not g.is_feedable(c) and g.is_feedable(x)
    with pytest.raises(ValueError, match=r"Tensor c:0 may not be fed."):
        sess.run(c * 2.0, {c: [5.0, 6.0]})
    # Feeding c does not satisfy y's own placeholder.
    with pytest.raises(errors.InvalidArgumentError, match="You must feed a value for "
                                                         "placeholder tensor 'x'"):
        sess.run(y, {v: [5.0, 6.0]})
    still_works(sess, x, y)


def test_nan_and_inf_propagate(setup):
    g, sess, x, y, c, v = setup
    with g.as_default():
        out_t = tf.log(v)
        grad_t = tf.gradients(tf.reduce_sum(tf.sqrt(v)), v)[0]
    out = sess.run(out_t, {v: [np.nan, -1.0, 0.0, np.inf]})
    assert np.isnan(out[0]) and np.isnan(out[1])
    assert out[2] == -np.inf and out[3] == np.inf
    grad = sess.run(grad_t, {v: [np.nan, 0.0, np.inf, 4.0]})
    assert np.isnan(grad[0]) and grad[1] == np.inf and grad[2] == 0.0 and grad[3] == 0.25
    still_works(sess, x, y)


def test_fetching_an_op_that_does_not_exist(setup):
    g, sess, x, y, *_ = setup
    with pytest.raises(ValueError, match=r"The name 'nonexistent:0' refers to a Tensor which "
                                         r"does not exist. The operation, 'nonexistent', does "
                                         r"not exist in the graph."):
        sess.run("nonexistent:0")
    with pytest.raises(ValueError, match=r"The name 'nonexistent' refers to an Operation not "
                                         r"in the graph."):
        sess.run("nonexistent")
    with pytest.raises(ValueError, match=r"The operation, 'y', exists but only has 1 outputs."):
        sess.run("y:5")
    still_works(sess, x, y)


def test_tensors_from_another_graph(setup):
    g, sess, x, y, *_ = setup
    other = tf.Graph()
    with other.as_default():
        z = tf.constant(1.0, name="z")
    with g.as_default():
        with pytest.raises(ValueError, match="must be from the same graph"):
            tf.add(x, z)
        with pytest.raises(ValueError, match="must be from the same graph"):
            tf.gradients(y, z)
    with pytest.raises(ValueError, match="is not an element of this graph"):
        sess.run(z)
    still_works(sess, x, y)


def test_finalized_graph(setup):
    g, sess, x, y, *_ = setup
    g.finalize()
    with g.as_default():
        with pytest.raises(RuntimeError, match="Graph is finalized and cannot be modified."):
            tf.constant(3.0)
    still_works(sess, x, y)


def test_invalid_axis(setup):
    g, sess, x, y, *_ = setup
    with g.as_default():
        with pytest.raises(ValueError, match=r"Invalid reduction dimension 5 for input with 2 "
                                             r"dimensions.* for '.*Sum"):
            tf.reduce_sum(x, axis=5)
        # TF words this "Shape must be at least rank 4 but is rank 2 for ... concat".
        with pytest.raises(ValueError, match=r"axis 3 is out of bounds.*concat"):
            tf.concat([x, x], axis=3)
        with pytest.raises((ValueError, errors.InvalidArgumentError), match="dim"):
            tf.nn.softmax(x, axis=4)
    still_works(sess, x, y)


def test_integer_overflow_in_shapes(setup):
    g, sess, x, y, *_ = setup
    with g.as_default():
        with pytest.raises(ValueError, match=r"Negative dimension size caused by overflow when "
                                             r"multiplying 4611686018427387904 and 4 for "
                                             r"'.*Reshape"):
            tf.reshape(tf.zeros([0]), [2**62, 4, -1])
        dims = tf.placeholder(tf.int64, [2], name="dims")
        filled = tf.fill(dims, 1.0)
    with pytest.raises(errors.InvalidArgumentError,
                       match=r"Shape \[1099511627776,1099511627776\] would have more than "
                             r"2\*\*63 - 1 elements") as info:
        sess.run(filled, {dims: [2**40, 2**40]})
    assert info.value.op is not None and info.value.op.name == filled.op.name
    with pytest.raises(errors.ResourceExhaustedError, match="OOM when allocating tensor"):
        sess.run(filled, {dims: [2**31, 2**31]})
    with pytest.raises(errors.ResourceExhaustedError, match="OOM when allocating tensor"):
        sess.run(filled, {dims: [2**40, 2**20]})
    assert sess.run(filled, {dims: [2, 1]}).shape == (2, 1)
    still_works(sess, x, y)


def test_gradient_function_that_raises(setup):
    g, sess, x, y, *_ = setup

    @tf.RegisterGradient("SymgradTestRaisingGrad")
    def _raising(op, grad):
        raise RuntimeError("boom from grad fn")

    with g.as_default():
        with g.gradient_override_map({"Identity": "SymgradTestRaisingGrad"}):
            b = tf.identity(x, name="b")
        with pytest.raises(RuntimeError, match="boom from grad fn"):
            tf.gradients(b, x)
        (dx,) = tf.gradients(tf.reduce_sum(y), x)
    np.testing.assert_array_equal(sess.run(dx, {x: np.ones((2, 3))}), np.full((2, 3), 2.0))
    still_works(sess, x, y)


def test_gradient_function_returning_the_wrong_number_of_gradients(setup):
    g, sess, x, y, *_ = setup

    @tf.RegisterGradient("SymgradTestTwoGrads")
    def _two(op, grad):
        return [grad, grad]

    with g.as_default():
        with g.gradient_override_map({"Identity": "SymgradTestTwoGrads"}):
            b = tf.identity(x, name="b2")
        with pytest.raises(ValueError, match=r"(?s)Num gradients 2 generated for op .*b2.* do "
                                             r"not match num inputs 1"):
            tf.gradients(b, x)
    still_works(sess, x, y)


def test_closed_session(setup):
    g, sess, x, y, *_ = setup
    sess.close()
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session."):
        sess.run(y, {x: np.zeros((2, 3))})
    with tf.Session(graph=g) as fresh:
        still_works(fresh, x, y)


def test_a_kernel_panic_surfaces_as_internal_error(setup):
    """``_SymgradTestPanic`` is an internal op whose kernel always panics (see ops/mod.rs)."""
    g, sess, x, y, *_ = setup
    with g.as_default():
        p = g._create_op("_SymgradTestPanic", [x], name="panics").outputs[0]
    with pytest.raises(errors.InternalError, match=r"(?s)_SymgradTestPanic kernel called.*node panics"
                       ) as info:
        sess.run(p, {x: np.ones((2, 3))})
    assert isinstance(info.value, Exception)  # not PyO3's PanicException (a BaseException)
    assert info.value.op is not None and info.value.op.name == "panics"
    still_works(sess, x, y)
