"""tf.py_func / tf.numpy_function: PyFunc ops calling Python at run time (op types, attrs,
shapes, values, TF's error classes and texts, no gradient, threads)."""

from __future__ import annotations

import gc
import threading

import numpy as np
import pytest

import symgrad as tf
from symgrad import _symgrad


def test_op_types_names_attrs_and_unknown_shapes():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2])
        y = tf.py_func(lambda a: a * 2, [x], tf.float32)
        pair = tf.py_func(lambda a: (a, a.astype(np.int32)), [x], [tf.float32, tf.int32],
                          stateful=False, name="pf")
        z = tf.numpy_function(lambda a: a + 1, [x], tf.float32)
        assert (y.op.type, pair[0].op.type, z.op.type) == ("PyFunc", "PyFuncStateless",
                                                           "PyFunc")
        assert (y.name, pair[0].name, pair[1].name, z.name) == (
            "PyFunc:0", "pf:0", "pf:1", "PyFunc_1:0")
        assert y.shape.rank is None and pair[1].dtype == tf.int32
        assert y.op.get_attr("Tin") == [tf.float32]
        assert pair[0].op.get_attr("Tout") == [tf.float32, tf.int32]
        assert y.op.get_attr("token").startswith(b"pyfunc_")
        assert y.op.get_attr("token") != z.op.get_attr("token")
        with tf.Session() as sess:
            a, (b, c), d = sess.run([y, pair, z], {x: [1, 2]})
        np.testing.assert_array_equal(a, [2, 4])
        np.testing.assert_array_equal(b, [1, 2])
        assert c.dtype == np.int32 and d.dtype == np.float32
        np.testing.assert_array_equal(d, [2, 3])


def test_several_inputs_python_scalars_and_empty_tout():
    calls = []
    with tf.Graph().as_default():
        x = tf.constant([1.0, 2.0], tf.float64)
        y = tf.py_func(lambda a, b: a * b, [x, tf.constant(3.0, tf.float64)], tf.float64)
        n = tf.py_func(lambda a: np.int64(a.size), [x], tf.int64)
        op = tf.py_func(lambda a: calls.append(a.sum()), [x], [])
        assert isinstance(op, tf.Operation)
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(y), [3.0, 6.0])
            assert sess.run(n) == 2
            assert sess.run(op) is None
        assert calls == [3.0]


def test_stateful_call_runs_each_time_and_sees_python_state():
    counter = [0]

    def bump():
        counter[0] += 1
        return np.array(counter[0], np.int64)

    with tf.Graph().as_default():
        y = tf.py_func(bump, [], tf.int64)
        with tf.Session() as sess:
            assert [int(sess.run(y)) for _ in range(3)] == [1, 2, 3]


def test_composes_with_graph_ops_and_set_shape():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        y = tf.py_func(np.square, [x], tf.float32)
        y.set_shape([None, 3])
        z = tf.reduce_sum(y, axis=1)
        assert z.shape.as_list() == [None]
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(z, {x: [[1, 2, 3]]}), [14])


@pytest.mark.parametrize("func,error,text", [
    (lambda a: 1 / 0, tf.errors.UnknownError, "ZeroDivisionError: division by zero"),
    (lambda a: (_ for _ in ()).throw(ValueError("nope")), tf.errors.InvalidArgumentError,
     "ValueError: nope"),
    (lambda a: (_ for _ in ()).throw(TypeError("bad")), tf.errors.InvalidArgumentError,
     "TypeError: bad"),
    (lambda a: next(iter(())), tf.errors.OutOfRangeError, "StopIteration: \n"),
    (lambda a: (_ for _ in ()).throw(NotImplementedError("x")), tf.errors.UnimplementedError,
     "NotImplementedError: x"),
])
def test_exception_becomes_tf_error(func, error, text):
    with tf.Graph().as_default():
        y = tf.py_func(func, [tf.constant([1.0])], tf.float32)
        with tf.Session() as sess:
            with pytest.raises(error) as info:
                sess.run(y)
        assert info.value.message.startswith(text)
        assert "Traceback (most recent call last):" in info.value.message
        assert info.value.op is y.op


@pytest.mark.parametrize("exc,error,text", [
    (MemoryError(), tf.errors.ResourceExhaustedError, "MemoryError: \n"),
    (KeyError("k"), tf.errors.UnknownError, "KeyError: 'k'\n"),
    # As TF: an OpError raised inside becomes UnknownError, naming its class.
    (tf.errors.NotFoundError(None, None, "no such thing"), tf.errors.UnknownError,
     "NotFoundError: no such thing\n"),
])
def test_other_exceptions(exc, error, text):
    def fail(a):
        raise exc

    with tf.Graph().as_default():
        y = tf.py_func(fail, [tf.constant(1)], tf.int32)
        with tf.Session() as sess, pytest.raises(error) as info:
            sess.run(y)
        assert info.value.message.startswith(text)


@pytest.mark.parametrize("func,tout,text", [
    (lambda a: a.astype(np.float64), tf.float32,
     r"^0-th value returned by pyfunc_\d+ is double, but expects float\n"),
    (lambda a: 3.0, tf.float32, r"^0-th value returned by pyfunc_\d+ is double, but expects "
     "float\n"),
    (lambda a: [a, a], tf.float32, r"^pyfunc_\d+ returns 2 values, but expects to see 1 "
     r"values\.\n"),
    (lambda a: [1.5, 2.5], tf.float32, r"^pyfunc_\d+ returns 2 values, but expects to see 1 "
     r"values\.\n"),
])
def test_wrong_results(func, tout, text):
    with tf.Graph().as_default():
        y = tf.py_func(func, [tf.constant([1.0, 2.0])], tout)
        with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match=text):
            sess.run(y)


def test_no_gradient_as_tf():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2])
        y = tf.py_func(lambda a: a * 2, [x], tf.float32)
        assert tf.gradients(y, x) == [None]
        assert tf.gradients(y * x, x)[0] is not None


def test_user_registered_gradient_through_override_map():
    with tf.Graph().as_default() as g:
        @tf.RegisterGradient("SymgradTestPyFuncDouble")
        def _double_grad(op, grad):
            return [2.0 * grad]

        x = tf.constant([1.0, 3.0])
        with g.gradient_override_map({"PyFunc": "SymgradTestPyFuncDouble"}):
            y = tf.py_func(lambda a: a * 2, [x], tf.float32)
        (dx,) = tf.gradients(y, x)
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(dx), [2.0, 2.0])


def test_not_callable():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Expected func to be callable"):
            tf.py_func(3, [], tf.float32)


def test_callbacks_are_released_with_their_graph():
    graph = tf.Graph()
    with graph.as_default():
        y = tf.py_func(lambda: np.float32(1), [], tf.float32)
    token = y.op.get_attr("token").decode()
    del y, graph
    gc.collect()
    assert not _symgrad.unregister_host_callback(token)


def test_concurrent_runs_from_threads():
    """Sessions run with the GIL released; each callback takes it back. Many Python threads
    running PyFunc graphs at once must neither deadlock nor mix up results."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [None])
        y = tf.py_func(lambda a: np.sort(a) * 2, [x], tf.float64)
        z = tf.reduce_sum(tf.py_func(lambda a: a + 1, [y], tf.float64))
        sess = tf.Session()
        errors = []

        def work(seed):
            rng = np.random.RandomState(seed)
            for _ in range(20):
                v = rng.randn(50)
                got = sess.run(z, {x: v})
                if not np.isclose(got, (np.sort(v) * 2 + 1).sum()):
                    errors.append((seed, got))

        threads = [threading.Thread(target=work, args=(s,)) for s in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        sess.close()
