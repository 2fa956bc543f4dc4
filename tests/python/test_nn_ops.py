"""The nn family and the math added with it: forward values against numpy, first and second
derivatives against finite differences (gradient_checker), TF1 signature spellings, errors,
and op names/types of the cross-entropies as TF 2.21 builds them."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402
from gradient_checker import assert_gradients_close  # noqa: E402

SELU_A = 1.6732632423543772848170429916717
SELU_S = 1.0507009873554804934193349852946


def _run(t, feed=None):
    with tf.Session(graph=t.graph) as sess:
        return sess.run(t, feed)


def _vals(shape, seed, scale=1.0, away=0.2):
    """Irregular values, kept `away` from 0 (kinks of the piecewise ops)."""
    v = np.random.RandomState(seed).uniform(-scale, scale, size=shape)
    return np.where(np.abs(v) < away, v + np.sign(v + 1e-9) * 2 * away, v)


def _check(build, shapes_values, tol=1e-5, second_order=True):
    g = tf.Graph()
    with g.as_default():
        xs = [tf.placeholder(tf.float64, s, name=f"x{i}") for i, (s, _) in enumerate(shapes_values)]
        y = build(*xs)
        assert_gradients_close(xs, y, [v for _, v in shapes_values], tol=tol,
                               second_order=second_order)


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ----- forward values -----

ACTIVATIONS = [
    ("relu6", lambda x: tf.nn.relu6(x), lambda x: np.clip(x, 0, 6)),
    ("elu", lambda x: tf.nn.elu(x), lambda x: np.where(x < 0, np.expm1(x), x)),
    ("selu", lambda x: tf.nn.selu(x),
     lambda x: np.where(x < 0, SELU_S * SELU_A * np.expm1(x), SELU_S * x)),
    # alpha is a float32 attr in TF, so 0.1 is rounded to float32.
    ("leaky_relu", lambda x: tf.nn.leaky_relu(x, alpha=0.1),
     lambda x: np.where(x > 0, x, float(np.float32(0.1)) * x)),
    # TF casts its Python-float constants, which are float32 first (so are these).
    ("gelu", lambda x: tf.nn.gelu(x),
     lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x * float(np.float32(0.7071067811865476))))),
    ("gelu_approx", lambda x: tf.nn.gelu(x, approximate=True),
     lambda x: 0.5 * x * (1 + np.tanh(0.7978845608028654 * (
         x + float(np.float32(0.044715)) * x ** 3)))),
    ("erf", lambda x: tf.erf(x), lambda x: np.vectorize(math.erf)(x)),
    ("softmax", lambda x: tf.nn.softmax(x), _softmax),
    ("softmax_dim0", lambda x: tf.nn.softmax(x, dim=0), lambda x: _softmax(x, 0)),
    ("log_softmax_axis0", lambda x: tf.nn.log_softmax(x, axis=0),
     lambda x: np.log(_softmax(x, 0))),
    ("l2_loss", lambda x: tf.nn.l2_loss(x), lambda x: np.sum(x * x) / 2),
    ("l2_normalize", lambda x: tf.nn.l2_normalize(x, dim=1),
     lambda x: x / np.sqrt(np.sum(x * x, axis=1, keepdims=True))),
    ("norm", lambda x: tf.norm(x), lambda x: np.linalg.norm(x)),
    ("norm_axis", lambda x: tf.norm(x, axis=1, keep_dims=True),
     lambda x: np.linalg.norm(x, axis=1, keepdims=True)),
    ("norm_1", lambda x: tf.norm(x, ord=1, axis=0), lambda x: np.abs(x).sum(0)),
    ("clip", lambda x: tf.clip_by_value(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5)),
    ("logsumexp", lambda x: tf.reduce_logsumexp(x, reduction_indices=1),
     lambda x: np.log(np.exp(x).sum(1))),
    ("logsumexp_keep", lambda x: tf.reduce_logsumexp(x, 0, keep_dims=True),
     lambda x: np.log(np.exp(x).sum(0, keepdims=True))),
]


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", ACTIVATIONS, ids=[c[0] for c in ACTIVATIONS])
def test_forward_values(case, dtype):
    _, build, ref = case
    x = (_vals((3, 4), 1, scale=4.0) * 2).astype(dtype.as_numpy_dtype)
    with tf.Graph().as_default():
        y = build(tf.constant(x))
        assert y.dtype == dtype
        got = _run(y)
    rtol = 1e-5 if dtype == tf.float32 else 1e-12
    np.testing.assert_allclose(got, ref(x.astype(np.float64)), rtol=rtol, atol=rtol)


def test_activation_op_types_and_names():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        assert tf.nn.relu6(x).op.type == "Relu6"
        assert tf.nn.elu(x).name == "Elu:0"
        assert tf.nn.selu(x).op.type == "Selu"
        lr = tf.nn.leaky_relu(x, alpha=0.3)
        assert lr.op.type == "LeakyRelu"
        assert abs(lr.op.get_attr("alpha") - 0.3) < 1e-7
        assert tf.nn.softmax(x).name == "Softmax:0"
        assert tf.nn.log_softmax(x, name="ls").name == "ls:0"
        assert tf.nn.l2_loss(x).op.type == "L2Loss"
        b = tf.nn.bias_add(x, [1.0, 2.0, 3.0])
        assert b.op.type == "BiasAdd" and b.name == "BiasAdd:0"
        assert b.op.get_attr("data_format") in (b"NHWC", "NHWC")
        assert tf.erf(x).op.type == "Erf"
        assert tf.atan2(x, x).op.type == "Atan2"
        assert tf.clip_by_value(x, 0.0, 1.0).name == "clip_by_value:0"
        assert tf.reduce_logsumexp(x).name == "ReduceLogSumExp:0"


def test_bias_add_values_and_formats():
    v = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    with tf.Graph().as_default():
        nhwc = _run(tf.nn.bias_add(v, np.array([1.0, 2.0, 3.0, 4.0])))
        nchw = _run(tf.nn.bias_add(v, np.array([10.0, 20.0, 30.0]), data_format="NCHW"))
        ints = _run(tf.nn.bias_add(np.array([[1, 2]], np.int32), np.array([3, 4], np.int32)))
    np.testing.assert_array_equal(nhwc, v + [1, 2, 3, 4])
    np.testing.assert_array_equal(nchw, v + np.array([10, 20, 30])[None, :, None])
    np.testing.assert_array_equal(ints, [[4, 6]])
    with tf.Graph().as_default():
        # As TF: NCHW needs a channel dim between batch and spatial dims, and the static
        # channel dim comes from the bias when the value's is unknown.
        with pytest.raises(ValueError, match="Shape must be at least rank 3 but is rank 2"):
            tf.nn.bias_add(tf.placeholder(tf.float32, [None, 4]), tf.ones([4]),
                           data_format="NCHW")
        x = tf.placeholder(tf.float32, [None, None, None])
        assert tf.nn.bias_add(x, tf.ones([4]), data_format="NCHW").shape.as_list() == [
            None, 4, None]
        assert tf.nn.bias_add(x, tf.ones([4])).shape.as_list() == [None, None, 4]
        assert tf.nn.bias_add(tf.placeholder(tf.float32), tf.ones([4])).shape.rank is None
    with tf.Graph().as_default():
        with pytest.raises(ValueError):
            tf.nn.bias_add(v, np.array([1.0, 2.0]))
        with pytest.raises(ValueError):
            tf.nn.bias_add(v, np.array([1.0, 2.0, 3.0, 4.0]), data_format="CHWN")


def test_cross_entropy_values():
    rng = np.random.RandomState(3)
    logits = rng.randn(4, 5)
    labels = _softmax(rng.randn(4, 5))
    sparse = np.array([0, 4, 2, 2], np.int64)
    want = -(labels * np.log(_softmax(logits))).sum(1)
    with tf.Graph().as_default():
        v1 = _run(tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        v2 = _run(tf.nn.softmax_cross_entropy_with_logits_v2(labels, logits))
        sp = _run(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=sparse, logits=logits))
        z = (rng.rand(4, 5) > 0.5).astype(np.float64)
        sig = _run(tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=logits))
    np.testing.assert_allclose(v1, want, rtol=1e-12)
    np.testing.assert_allclose(v2, want, rtol=1e-12)
    np.testing.assert_allclose(sp, -np.log(_softmax(logits))[np.arange(4), sparse], rtol=1e-12)
    p = 1 / (1 + np.exp(-logits))
    np.testing.assert_allclose(sig, -(z * np.log(p) + (1 - z) * np.log(1 - p)), rtol=1e-10)


def test_cross_entropy_rank3_and_axis():
    rng = np.random.RandomState(4)
    logits = rng.randn(2, 3, 4)
    labels = _softmax(rng.randn(2, 3, 4))
    with tf.Graph().as_default():
        got = _run(tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits))
        got0 = _run(tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits,
                                                                dim=0))
        sp = _run(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=np.array([[0, 1, 3], [2, 2, 0]], np.int32), logits=logits))
    np.testing.assert_allclose(got, -(labels * np.log(_softmax(logits))).sum(-1), rtol=1e-12)
    # As TF: the class axis moves to the end, the other axes keep their order.
    np.testing.assert_allclose(got0, -(labels * np.log(_softmax(logits, 0))).sum(0),
                               rtol=1e-12)
    assert sp.shape == (2, 3)


def test_moments_and_batch_normalization():
    x = _vals((4, 3), 7, 2.0)
    with tf.Graph().as_default():
        m, v = tf.nn.moments(tf.constant(x), [0])
        mk, vk = tf.nn.moments(tf.constant(x), [0], keep_dims=True)
        bn = tf.nn.batch_normalization(x, m, v, offset=0.5, scale=2.0, variance_epsilon=1e-3)
        with tf.Session() as sess:
            gm, gv, gmk, gbn = sess.run([m, v, mk, bn])
    np.testing.assert_allclose(gm, x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(gv, x.var(0), rtol=1e-12)
    assert gmk.shape == (1, 3)
    np.testing.assert_allclose(gbn, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3) * 2.0 + 0.5,
                               rtol=1e-12)


def test_reduce_any_all():
    b = np.array([[True, False, True], [False, False, False]])
    with tf.Graph().as_default():
        assert _run(tf.reduce_any(b)).item() is True
        np.testing.assert_array_equal(_run(tf.reduce_any(b, axis=1)), [True, False])
        np.testing.assert_array_equal(_run(tf.reduce_all(b, reduction_indices=0, keep_dims=True)),
                                      [[False, False, False]])
        assert tf.reduce_all(b).op.type == "All"
        with pytest.raises(TypeError):
            tf.reduce_any(np.array([1.0, 2.0]))


def test_atan2_values():
    y = np.array([1.0, -1.0, 0.5, -2.0])
    x = np.array([1.0, -3.0, -0.5, 0.25])
    with tf.Graph().as_default():
        np.testing.assert_allclose(_run(tf.atan2(y, x)), np.arctan2(y, x), rtol=1e-15)


# ----- derivatives, first and second order -----

GRAD_CASES = [
    ("relu6_sq", lambda x: tf.square(tf.nn.relu6(x)), 4.0),
    ("elu", lambda x: tf.nn.elu(x), 2.0),
    ("selu", lambda x: tf.nn.selu(x), 2.0),
    ("leaky_relu_sq", lambda x: tf.square(tf.nn.leaky_relu(x, 0.2)), 2.0),
    ("gelu", lambda x: tf.nn.gelu(x), 2.0),
    ("gelu_approx", lambda x: tf.nn.gelu(x, approximate=True), 2.0),
    ("erf", lambda x: tf.erf(x), 1.5),
    ("softmax", lambda x: tf.nn.softmax(x), 2.0),
    ("softmax_dim0", lambda x: tf.nn.softmax(x, dim=0), 2.0),
    ("log_softmax", lambda x: tf.nn.log_softmax(x), 2.0),
    ("l2_loss", lambda x: tf.nn.l2_loss(x), 1.0),
    ("l2_normalize", lambda x: tf.nn.l2_normalize(x, 1), 1.0),
    ("norm", lambda x: tf.norm(x, axis=1), 1.0),
    ("logsumexp", lambda x: tf.reduce_logsumexp(x, 1), 2.0),
    ("clip", lambda x: tf.square(tf.clip_by_value(x, -0.5, 0.5)), 1.0),
    ("sigmoid_xent", lambda x: tf.nn.sigmoid_cross_entropy_with_logits(
        labels=np.full((3, 4), 0.3), logits=x), 2.0),
    ("xent_v2_logits", lambda x: tf.nn.softmax_cross_entropy_with_logits_v2(
        labels=_softmax(np.arange(12.0).reshape(3, 4)), logits=x), 2.0),
    ("sparse_xent", lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=np.array([1, 0, 3]), logits=x), 2.0),
    ("bias_add", lambda x: tf.square(tf.nn.bias_add(x, np.array([0.1, -0.2, 0.3, 0.4]))), 1.0),
]


@pytest.mark.parametrize("shape", [[3, 4], [None, 4]], ids=["static", "unknown_dim"])
@pytest.mark.parametrize("case", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradients(case, shape):
    _, build, scale = case
    _check(build, [(shape, _vals((3, 4), 11, scale))])


@pytest.mark.parametrize("shape", [[3, 4], [None, 4]], ids=["static", "unknown_dim"])
def test_moments_gradient(shape):
    # First order only: as TF, the variance is taken around stop_gradient(mean), which is
    # exact for the first derivative but drops the mean's term from the second.
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, shape)
        m, v = tf.nn.moments(x, [0])
        assert_gradients_close([x], m + v, [_vals((3, 4), 11)], second_order=False)


def test_gradients_two_inputs():
    a, b = _vals((3, 4), 1), _vals((4,), 2)
    _check(lambda x, y: tf.atan2(x, y), [([3, 4], a), ([4], b + 1.0)])
    _check(lambda x, y: tf.square(tf.nn.bias_add(x, y)), [([None, 4], a), ([4], b)])
    _check(lambda x, y: tf.square(tf.nn.bias_add(x, y, data_format="NCHW")),
           [([2, 3, 2], a.T.reshape(2, 3, 2).copy()), ([3], b[:3])])
    labels = _softmax(_vals((3, 4), 5))
    _check(lambda x, y: tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=x),
           [([3, 4], a), ([3, 4], labels)])
    xs = _vals((3, 4), 6)
    _check(lambda m, v: tf.nn.batch_normalization(xs, m, v, 0.1, 2.0, 1e-3),
           [([4], b), ([4], np.abs(b) + 0.5)])


def test_v1_cross_entropy_stops_label_gradient():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2, 3])
        y = tf.placeholder(tf.float64, [2, 3])
        l1 = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=x)
        l2 = tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=x)
        assert tf.gradients(l1, y) == [None]
        assert tf.gradients(l2, y)[0] is not None
        lab = tf.placeholder(tf.int32, [2])
        ls = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=x)
        assert tf.gradients(ls, lab) == [None]
        assert tf.gradients(tf.cast(tf.reduce_any(x > 0.0), tf.float64), x) == [None]


# ----- op names and types as TF 2.21 builds them (recorded from the oracle) -----

def test_cross_entropy_op_names_match_tf():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float64, [2, 3], name="x")
        y = tf.placeholder(tf.float64, [2, 3], name="y")
        tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=x)
        ops = {(o.name, o.type) for o in g.get_operations()}
    # TF: the labels stop_gradient and the fused op are named after the `_sg` scope.
    assert ("softmax_cross_entropy_with_logits_sg/labels_stop_gradient", "StopGradient") in ops
    assert ("softmax_cross_entropy_with_logits_sg", "SoftmaxCrossEntropyWithLogits") in ops
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float64, [2, 3], name="x")
        tf.nn.softmax_cross_entropy_with_logits_v2(labels=x, logits=x)
        tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.placeholder(tf.int32, [2], name="l"), logits=x)
        ops = {(o.name, o.type) for o in g.get_operations()}
    assert ("softmax_cross_entropy_with_logits", "SoftmaxCrossEntropyWithLogits") in ops
    assert ("SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits",
            "SparseSoftmaxCrossEntropyWithLogits") in ops
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float64, [2, 3], name="x")
        out = tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=x)
        assert out.name == "logistic_loss:0" and out.op.type == "AddV2"
        types = [o.type for o in g.get_operations() if o.name.startswith("logistic_loss/")]
        assert [t for t in types if t != "Const"] == [
            "GreaterEqual", "Select", "Neg", "Select", "Mul", "Sub", "Exp", "Log1p"]


# ----- errors and TF1 spellings -----

def test_errors():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2, 3])
        with pytest.raises(ValueError, match="named arguments"):
            tf.nn.softmax_cross_entropy_with_logits(x, x)
        # TF 2.21's texts.
        with pytest.raises(ValueError, match=r"^`labels.shape.rank` must equal `logits.shape"
                           r".rank - 1`. Received: labels.shape=\(2, 3\) of rank 2 and "
                           r"logits.shape=\(2, 3\) of rank 2$"):
            tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tf.placeholder(tf.int32, [2, 3]), logits=x)
        with pytest.raises(ValueError, match=r"^`labels.shape` must equal `logits.shape` "
                           r"except for the last dimension. Received: labels.shape=\(3,\) "
                           r"and logits.shape=\(2, 3\)$"):
            tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tf.placeholder(tf.int32, [3]), logits=x)
        with pytest.raises(ValueError, match="`logits` cannot be a scalar"):
            tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tf.placeholder(tf.int32, []), logits=tf.placeholder(tf.float64, []))
        with pytest.raises(ValueError):
            tf.nn.softmax(x, axis=1, dim=1)
        with pytest.raises(TypeError):
            tf.nn.elu(tf.constant([1, 2]))
        with pytest.raises(TypeError):
            tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tf.placeholder(tf.float64, [2]), logits=x)
        with pytest.raises(ValueError):
            tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.placeholder(tf.float64, [3]),
                                                    logits=x)
        with pytest.raises(ValueError):
            tf.nn.gelu(tf.constant([1, 2]))
        lab = tf.placeholder(tf.int32, [2])
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=x)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="valid range"):
                sess.run(loss, {x: np.zeros((2, 3)), lab: np.array([0, 3], np.int32)})
        b = tf.placeholder(tf.float64, [None])
        out = tf.nn.bias_add(x, b)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError):
                sess.run(out, {x: np.zeros((2, 3)), b: np.zeros(2)})


def test_unknown_shapes_forward():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, None)
        y = tf.nn.softmax(x)
        z = tf.nn.l2_loss(x)
        assert z.shape.rank == 0
        with tf.Session() as sess:
            got = sess.run(y, {x: np.array([[0.0, np.log(3.0)]], np.float32)})
        np.testing.assert_allclose(got, [[0.25, 0.75]], rtol=1e-6)


# Recorded from TF 2.21 (tf.compat.v1.nn.softmax_cross_entropy_with_logits on [2, 3]
# float64 placeholders); S stands for the scope softmax_cross_entropy_with_logits_sg.
XENT_TF_OPS = [
    ('S/labels_stop_gradient', 'StopGradient'),
    ('S/Rank', 'Const'),
    ('S/Shape', 'Const'),
    ('S/Rank_1', 'Const'),
    ('S/Shape_1', 'Const'),
    ('S/Sub/y', 'Const'),
    ('S/Sub', 'Sub'),
    ('S/Slice/begin', 'Pack'),
    ('S/Slice/size', 'Const'),
    ('S/Slice', 'Slice'),
    ('S/concat/values_0', 'Const'),
    ('S/concat/axis', 'Const'),
    ('S/concat', 'ConcatV2'),
    ('S/Reshape', 'Reshape'),
    ('S/Rank_2', 'Const'),
    ('S/Shape_2', 'Const'),
    ('S/Sub_1/y', 'Const'),
    ('S/Sub_1', 'Sub'),
    ('S/Slice_1/begin', 'Pack'),
    ('S/Slice_1/size', 'Const'),
    ('S/Slice_1', 'Slice'),
    ('S/concat_1/values_0', 'Const'),
    ('S/concat_1/axis', 'Const'),
    ('S/concat_1', 'ConcatV2'),
    ('S/Reshape_1', 'Reshape'),
    ('S', 'SoftmaxCrossEntropyWithLogits'),
    ('S/Sub_2/y', 'Const'),
    ('S/Sub_2', 'Sub'),
    ('S/Slice_2/begin', 'Const'),
    ('S/Slice_2/size', 'Pack'),
    ('S/Slice_2', 'Slice'),
    ('S/Reshape_2', 'Reshape'),
]


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_cross_entropy_graph_matches_tf(version):
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float64, [2, 3], name="x")
        y = tf.placeholder(tf.float64, [2, 3], name="y")
        if version == "v1":
            loss = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=x)
            scope, want = "softmax_cross_entropy_with_logits_sg", XENT_TF_OPS
        else:
            loss = tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=x)
            scope = "softmax_cross_entropy_with_logits"
            want = [o for o in XENT_TF_OPS if o[1] != "StopGradient"]
        got = [(o.name, o.type) for o in g.get_operations() if o.name not in ("x", "y")]
    assert got == [(n.replace("S", scope, 1), t) for n, t in want]
    assert loss.name == f"{scope}/Reshape_2:0"
    assert loss.shape.as_list() == [2]


def test_gelu_builds_tfs_erfc_form_and_keeps_tiny_tail_values():
    # TF 2.21: 0.5 * x * erfc(-x * 1/sqrt(2)); 1 + erf(...) would cancel to 0 at x = -10.
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, [3])
        y = tf.nn.gelu(x)
        assert [(o.type, o.name) for o in g.get_operations()[1:]] == [
            ("Const", "Gelu/mul/x"), ("Mul", "Gelu/mul"), ("Neg", "Gelu/Neg"),
            ("Const", "Gelu/Cast/x"), ("Cast", "Gelu/Cast"), ("Mul", "Gelu/mul_1"),
            ("Erfc", "Gelu/Erfc"), ("Mul", "Gelu/mul_2")]
        with tf.Session() as sess:
            out = sess.run(y, {x: [-10.0, -40.0, 1.0]})
    np.testing.assert_allclose(out, [-7.61986619e-23, -0.0, 8.41344742e-01], rtol=1e-8)


def test_cross_entropy_with_logits_of_unknown_rank():
    """TF builds both losses for logits of unknown rank: the dense one flattens through
    Rank/Shape/Slice ops, the sparse one checks the labels' shape at run time."""
    rng = np.random.RandomState(5)
    logits = rng.randn(2, 3, 4)
    labels = _softmax(rng.randn(2, 3, 4))
    sparse = np.array([[0, 1, 3], [2, 2, 0]], np.int32)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64)
        y = tf.placeholder(tf.float64)
        s = tf.placeholder(tf.int32)
        dense = tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=x)
        sp = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=s, logits=x)
        assert dense.shape.rank is None and sp.shape.rank is None
        d_dense = tf.gradients(tf.reduce_sum(dense), x)[0]
        d_sp = tf.gradients(tf.reduce_sum(sp), x)[0]
        with tf.Session() as sess:
            got = sess.run([dense, sp, d_dense, d_sp], {x: logits, y: labels, s: sparse})
            with pytest.raises(tf.errors.InvalidArgumentError, match="Condition x == y"):
                sess.run(sp, {x: logits, s: sparse[:, :2]})
    p = _softmax(logits)
    onehot = np.eye(4)[sparse]
    np.testing.assert_allclose(got[0], -(labels * np.log(p)).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(got[1], -np.log((p * onehot).sum(-1)), rtol=1e-12)
    # d/dlogits of the summed loss: softmax times the label mass, minus the labels.
    np.testing.assert_allclose(got[2], p * labels.sum(-1, keepdims=True) - labels, rtol=1e-10)
    np.testing.assert_allclose(got[3], p - onehot, rtol=1e-10)
