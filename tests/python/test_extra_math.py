"""math.cumulative_logsumexp (with TF's gradient, checked to second order), histogram_fixed_width
and meshgrid. Literal expected values, names and texts were recorded from TF 2.21."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402
from gradient_checker import assert_gradients_close  # noqa: E402


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict=feed)


def _reference(x, axis, exclusive, reverse):
    x = np.moveaxis(np.asarray(x, np.float64), axis, -1)
    if reverse:
        x = x[..., ::-1]
    with np.errstate(divide="ignore"):
        out = np.log(np.cumsum(np.exp(x), axis=-1))
        if exclusive:
            out = np.concatenate([np.full(out.shape[:-1] + (1,), -np.inf), out[..., :-1]], -1)
    if reverse:
        out = out[..., ::-1]
    return np.moveaxis(out, -1, axis)


def test_cumulative_logsumexp_values_as_tf():
    with tf.Graph().as_default():
        x = tf.constant([[1., 2., 3.], [0., -np.inf, 5.]])
        c = tf.math.cumulative_logsumexp(x, axis=1, exclusive=True)
        assert (c.op.name, c.op.type, c.shape.as_list()) == ("CumulativeLogsumexp",
                                                             "CumulativeLogsumexp", [2, 3])
        assert [t.name for t in c.op.inputs] == ["Const:0", "CumulativeLogsumexp/axis:0"]
        assert (c.op.get_attr("T"), c.op.get_attr("Tidx"), c.op.get_attr("exclusive"),
                c.op.get_attr("reverse")) == (tf.float32, tf.int32, True, False)
        got = _run([c, tf.math.cumulative_logsumexp(x, 1),
                    tf.math.cumulative_logsumexp(x, 0, reverse=True),
                    tf.math.cumulative_logsumexp(x, -1, exclusive=True, reverse=True)])
    want = [[[-np.inf, 1., 2.3132617], [-np.inf, 0., 0.]],
            [[1., 2.3132617, 3.4076061], [0., 0., 5.0067153]],
            [[1.3132617, 2., 5.126928], [0., -np.inf, 5.]],
            [[3.3132617, 3., -np.inf], [5., 5., -np.inf]]]
    for g, w in zip(got, want):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, w, rtol=1e-6)


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("shift", [0.0, 800.0, -800.0])
def test_cumulative_logsumexp_float64_and_large_values(exclusive, reverse, axis, shift):
    # exp overflows (or underflows) at +-800: the scan must stay exact, shifted by `shift`.
    x = np.random.RandomState(3).uniform(-3, 3, (3, 4))
    with tf.Graph().as_default():
        got = _run(tf.math.cumulative_logsumexp(tf.constant(x + shift), axis, exclusive,
                                                reverse))
    np.testing.assert_allclose(got - shift, _reference(x, axis, exclusive, reverse),
                               rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumulative_logsumexp_gradients(exclusive, reverse):
    value = np.random.RandomState(5).uniform(-2, 2, (2, 4))
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2, 4])
        y = tf.math.cumulative_logsumexp(x, axis=1, exclusive=exclusive, reverse=reverse)
        if exclusive:
            # The first (or last) exclusive entry is -inf; differentiate the finite ones.
            y = tf.slice(y, [0, 0 if reverse else 1], [2, 3])
        assert_gradients_close(x, y, value, tol=1e-6)


def test_cumulative_logsumexp_gradient_graph_as_tf():
    with tf.Graph().as_default() as g:
        x = tf.constant([[1., 2., 3.]])
        tf.gradients(tf.math.cumulative_logsumexp(x, axis=1, exclusive=True), x)
        names = [(o.name, o.type) for o in g.get_operations()
                 if o.name.startswith("gradients/CumulativeLogsumexp_grad/")]
    p = "gradients/CumulativeLogsumexp_grad/"
    assert names == [(p + n, t) for n, t in [
        ("Greater/y", "Const"), ("Greater", "Greater"), ("Log", "Log"),
        ("SelectV2/e", "Const"), ("SelectV2", "SelectV2"), ("Less/y", "Const"),
        ("Less", "Less"), ("Neg", "Neg"), ("Log_1", "Log"), ("SelectV2_1/e", "Const"),
        ("SelectV2_1", "SelectV2"), ("sub", "Sub"), ("CumulativeLogsumexp", "CumulativeLogsumexp"),
        ("add", "AddV2"), ("Exp", "Exp"), ("sub_1", "Sub"),
        ("CumulativeLogsumexp_1", "CumulativeLogsumexp"), ("add_1", "AddV2"),
        ("Exp_1", "Exp"), ("sub_2", "Sub")]]


def test_cumulative_logsumexp_errors():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="Value passed to parameter 'x' has DataType int32 "
                           "not in list of allowed values: bfloat16, float16, float32, float64"):
            tf.math.cumulative_logsumexp(tf.constant([1, 2]))
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"ScanOp: Expected scan axis "
                           r"in the range \[-2, 2\), but got 2"):
            _run(tf.math.cumulative_logsumexp([[1.]], axis=2))
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"ScanOp: Expected scan axis "
                           r"in the range \[0, 0\), but got 0"):
            _run(tf.math.cumulative_logsumexp(1., axis=0))


def test_histogram_fixed_width_as_tf():
    with tf.Graph().as_default():
        h = tf.histogram_fixed_width(tf.constant([-1., 0., 0.5, 1., 2., 5., np.inf]),
                                     [0., 5.], nbins=5)
        assert (h.op.name, h.op.type, h.dtype, h.shape.as_list()) == (
            "histogram_fixed_width", "HistogramFixedWidth", tf.int32, [5])
        assert [t.name for t in h.op.inputs][1:] == ["histogram_fixed_width/value_range:0",
                                                     "histogram_fixed_width/nbins:0"]
        h64 = tf.histogram_fixed_width(tf.constant([1, 2, 3, 9]), [0, 10], nbins=3,
                                       dtype=tf.int64)
        d = tf.histogram_fixed_width(tf.constant([0.1, 0.2], tf.float64),
                                     tf.constant([0., 1.], tf.float64), 2)
        got = _run([h, h64, d])
    np.testing.assert_array_equal(got[0], [3, 1, 1, 0, 2])
    assert got[1].dtype == np.int64
    np.testing.assert_array_equal(got[1], [3, 0, 1])
    np.testing.assert_array_equal(got[2], [2, 0])


def test_histogram_fixed_width_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"Requires nbins > 0: 0 for '\{\{node "
                           r"histogram_fixed_width\}\} = HistogramFixedWidth\[T=DT_FLOAT, "
                           r"dtype=DT_INT32\].* and with computed input tensors: input\[2\] = "
                           r"<0>\."):
            tf.histogram_fixed_width(tf.constant([1.]), [0., 1.], 0)
        with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
            tf.histogram_fixed_width(tf.constant([1.]), [[0., 1.]], 2)
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"value_range should satisfy value_range\[0\] < "
                           r"value_range\[1\], but got '\[1.5, 0\]'"):
            _run(tf.histogram_fixed_width(tf.constant([1.]), [1.5, 0.], 3))
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"but got '\[1, 0\]'"):
            _run(tf.histogram_fixed_width(tf.constant([1]), [1, 0], 3))
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="nbins should be a positive number, but got '0'"):
            _run(tf.histogram_fixed_width(tf.constant([1.]), [0., 1.],
                                          tf.placeholder_with_default(0, [])))


def test_meshgrid():
    with tf.Graph().as_default():
        a, b = tf.meshgrid([1, 2, 3], [4, 5])
        assert a.op.name == "meshgrid/mul" and a.shape.as_list() == [2, 3]
        ga, gb = _run([a, b])
        np.testing.assert_array_equal(ga, [[1, 2, 3], [1, 2, 3]])
        np.testing.assert_array_equal(gb, [[4, 4, 4], [5, 5, 5]])
        grids = tf.meshgrid([1., 2.], [3., 4., 5.], [6.], indexing="ij")
        assert [t.shape.as_list() for t in grids] == [[2, 3, 1]] * 3
        want = np.meshgrid([1., 2.], [3., 4., 5.], [6.], indexing="ij")
        for got, w in zip(_run(grids), want):
            np.testing.assert_array_equal(got, w)
        assert tf.meshgrid() == []
        with pytest.raises(ValueError, match="Argument `indexing` parameter must be either "
                           "'xy' or 'ij', got 'zz'"):
            tf.meshgrid([1], [2], indexing="zz")
        with pytest.raises(TypeError, match="'foo' is an invalid keyword argument for this "
                           "function"):
            tf.meshgrid([1], [2], foo=1)


def test_meshgrid_gradients():
    vx, vy = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.25])
    with tf.Graph().as_default():
        x, y = tf.placeholder(tf.float64, [3]), tf.placeholder(tf.float64, [2])
        gx, gy = tf.meshgrid(x, y)
        assert_gradients_close([x, y], gx * gx * gy, [vx, vy], tol=1e-6)
