"""Session.run: fetch nests, feeds, errors, default sessions (needs the native module)."""

import collections

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402


@pytest.fixture
def g():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


@pytest.fixture
def xy(g):
    x = tf.placeholder(tf.float32, [3], name="x")
    return x, x * 2.0


def test_run_tensor_and_scalar(xy):
    x, y = xy
    with tf.Session() as sess:
        out = sess.run(y, {x: [1, 2, 3]})
        assert isinstance(out, np.ndarray) and out.dtype == np.float32
        np.testing.assert_array_equal(out, [2, 4, 6])
        total = sess.run(tf.reduce_sum(y), {x: [1, 2, 3]})
        assert isinstance(total, np.float32) and total == 12.0


def test_run_nests_and_names(xy):
    x, y = xy
    Pair = collections.namedtuple("Pair", "a b")
    with tf.Session() as sess:
        out = sess.run([y, y.op, {"a": y, "b": (y,)}, Pair(y, y.op)], {"x:0": [1, 2, 3]})
        assert out[1] is None
        np.testing.assert_array_equal(out[2]["b"][0], [2, 4, 6])
        assert isinstance(out[3], Pair) and out[3].b is None
        np.testing.assert_array_equal(sess.run("mul:0", {x: [1, 1, 1]}), [2, 2, 2])
        assert sess.run("mul", {x: [1, 1, 1]}) is None
        assert sess.run([]) == [] and sess.run({}) == {}


def test_fed_tensor_fetch_returns_feed(xy):
    x, y = xy
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {y: [7, 7, 7]}), [7, 7, 7])


def test_feed_errors(g, xy):
    x, y = xy
    xi = tf.placeholder(tf.int32, name="xi")
    with tf.Session() as sess:
        with pytest.raises(ValueError, match=r"Cannot feed value of shape \(2,\) for Tensor "
                                             r"x:0, which has shape \(3,\)"):
            sess.run(y, {x: [1, 2]})
        with pytest.raises(ValueError, match="could not convert string to float"):
            sess.run(y, {x: ["a", "b", "c"]})
        with pytest.raises(TypeError, match="Type of feed value 1099511627776 with type "
                                            "<class 'int'> is not compatible"):
            sess.run(xi, {xi: 2 ** 40})
        assert sess.run(xi, {xi: 2.5}) == 2
        with pytest.raises(TypeError, match="Cannot interpret feed_dict key as Tensor: The "
                                            "name 'x' refers to an Operation"):
            sess.run(y, {"x": [1, 2, 3]})
        with pytest.raises(TypeError, match="Cannot interpret feed_dict key as Tensor"):
            sess.run(y, {3: [1, 2, 3]})


def test_fetch_errors(g, xy):
    x, y = xy
    other = tf.Graph()
    with other.as_default():
        z = tf.constant(1.0)
    with tf.Session(graph=g) as sess:
        with pytest.raises(ValueError, match="Argument `fetch` = nope:0 cannot be interpreted "
                                             "as a Tensor."):
            sess.run("nope:0")
        with pytest.raises(TypeError, match="Cannot be None"):
            sess.run(None)
        with pytest.raises(TypeError, match='has invalid type "int" must be a string or '
                                            "Tensor."):
            sess.run(3)
        with pytest.raises(ValueError, match="is not an element of this graph."):
            sess.run(z)


def test_missing_feed_is_invalid_argument_with_op(xy):
    x, y = xy
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(y)
    assert info.value.op is x.op
    assert "x" in info.value.message


def test_closed_session():
    sess = tf.Session(graph=tf.Graph())
    sess.close()
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session."):
        sess.run([])


def test_default_session_eval_and_run(xy):
    x, y = xy
    assert tf.get_default_session() is None
    with tf.Session() as sess:
        assert tf.get_default_session() is sess
        np.testing.assert_array_equal(y.eval({x: [1, 2, 3]}), [2, 4, 6])
        np.testing.assert_array_equal(y.eval(feed_dict={x: [0, 0, 1]}), [0, 0, 2])
        assert y.op.run({x: [1, 2, 3]}) is None
    assert tf.get_default_session() is None
    with pytest.raises(ValueError, match="No default session is registered"):
        y.eval({x: [1, 2, 3]})
    sess = tf.Session()
    with sess.as_default():
        np.testing.assert_array_equal(y.eval({x: [1, 1, 1]}), [2, 2, 2])
    np.testing.assert_array_equal(y.eval({x: [1, 1, 1]}, session=sess), [2, 2, 2])
    sess.close()


def test_interactive_session(xy):
    x, y = xy
    sess = tf.InteractiveSession()
    try:
        assert tf.get_default_session() is sess
        np.testing.assert_array_equal(y.eval({x: [3, 2, 1]}), [6, 4, 2])
    finally:
        sess.close()
    assert tf.get_default_session() is None


def test_values_of_common_ops(g):
    a = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(tf.matmul(a, a)), [[7, 10], [15, 22]])
        assert sess.run(tf.reduce_mean(a)) == 2.5
        np.testing.assert_array_equal(sess.run(tf.reduce_sum(a, axis=0, keepdims=True)),
                                      [[4, 6]])
        np.testing.assert_array_equal(sess.run(tf.transpose(a)), [[1, 3], [2, 4]])
        np.testing.assert_array_equal(sess.run(tf.range(1, 7, 2)), [1, 3, 5])
        np.testing.assert_array_equal(sess.run(tf.zeros([1000, 2])).shape, (1000, 2))
        np.testing.assert_array_equal(sess.run(tf.concat([a, a], 1)).shape, (2, 4))
        np.testing.assert_array_equal(sess.run(tf.where(a > 2.0, a, -a)),
                                      [[-1, -2], [3, 4]])
        assert sess.run(tf.constant(7) // 2) == 3 and sess.run(tf.constant(7) / 2) == 3.5
