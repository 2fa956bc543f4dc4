"""tf.losses against values, gradients and op names recorded from TF 2.21's tf.compat.v1.losses
in graph mode (the same graph built with ``import tensorflow.compat.v1 as tf``), and
tf.math.divide_no_nan."""

import numpy as np
import pytest

import symgrad as tf

P = np.array([[0.2, 0.7, 0.9], [0.4, 0.1, 0.6]], np.float32)
L = np.array([[0., 1., 1.], [1., 0., 0.]], np.float32)
W = np.array([[1.], [0.]], np.float32)

# name: (loss value, d loss / d p), recorded from TF 2.21.
TF_VALUES = {
    'abs': (0.31666669249534607,
        [[0.1666666716337204, -0.1666666716337204, -0.1666666716337204], [-0.1666666716337204, 0.1666666716337204, 0.1666666716337204]]),
    'mse_w': (0.046666670590639114,
        [[0.13333334028720856, -0.20000001788139343, -0.06666668504476547], [-0.0, 0.0, 0.0]]),
    'log': (0.4371866285800934,
        [[0.20833329856395721, -0.2380952090024948, -0.18518517911434174], [-0.41666659712791443, 0.18518517911434174, 0.41666659712791443]]),
    'hinge': (4.900000095367432,
        [[1.0, -1.0, -1.0], [-1.0, 1.0, 1.0]]),
    'huber': (0.3608332872390747,
        [[0.25, 0.25, 0.25], [0.10000002384185791, 0.15000000596046448, 0.25]]),
    'sig': (0.6487297415733337,
        [[0.08330567181110382, -0.046968698501586914, -0.03984174132347107], [-0.05855204910039902, 0.07916320115327835, 0.09927605837583542]]),
    'soft': (1.411894679069519,
        [[0.07390587031841278, -0.25652578473091125, -0.2173801064491272], [-0.2645410895347595, 0.09171105921268463, 0.1728300005197525]]),
    'sparse': (1.2958259582519531,
        [[0.05361960083246231, 0.08840377628803253, -0.14202338457107544], [-0.6624155044555664, 0.25008878111839294, 0.4123266637325287]]),
    'cos': (0.2366011142730713,
        [[0.07293698936700821, -0.05014416575431824, 0.022792816162109375], [-0.47946611046791077, 0.05183417350053787, 0.3110050559043884]]),
    'none': ([[0.04000000283122063, 0.09000000357627869, 0.010000004433095455], [0.36000001430511475, 0.010000000707805157, 0.36000001430511475]],
        [[0.4000000059604645, -0.6000000238418579, -0.20000004768371582], [-1.2000000476837158, 0.20000000298023224, 1.2000000476837158]]),
    'zero_w': (0.0,
        [[0.0, -0.0, -0.0], [-0.0, 0.0, 0.0]]),
}
TF_TOTAL_LOSS = 9.654404640197754
TF_ABSOLUTE_DIFFERENCE_OPS = [('absolute_difference/Sub', 'Sub'), ('absolute_difference/Abs', 'Abs'), ('absolute_difference/assert_broadcastable/weights', 'Const'), ('absolute_difference/assert_broadcastable/weights/shape', 'Const'), ('absolute_difference/assert_broadcastable/weights/rank', 'Const'), ('absolute_difference/assert_broadcastable/values/shape', 'Const'), ('absolute_difference/assert_broadcastable/values/rank', 'Const'), ('absolute_difference/assert_broadcastable/static_scalar_check_success', 'NoOp'), ('absolute_difference/Cast/x', 'Const'), ('absolute_difference/Mul', 'Mul'), ('absolute_difference/Const', 'Const'), ('absolute_difference/Sum', 'Sum'), ('absolute_difference/num_present/Equal/y', 'Const'), ('absolute_difference/num_present/Equal', 'Equal'), ('absolute_difference/num_present/zeros_like', 'Const'), ('absolute_difference/num_present/ones_like/Shape/shape_as_tensor', 'Const'), ('absolute_difference/num_present/ones_like/Const', 'Const'), ('absolute_difference/num_present/ones_like', 'Fill'), ('absolute_difference/num_present/Select', 'Select'), ('absolute_difference/num_present/broadcast_weights/assert_broadcastable/weights/shape', 'Const'), ('absolute_difference/num_present/broadcast_weights/assert_broadcastable/weights/rank', 'Const'), ('absolute_difference/num_present/broadcast_weights/assert_broadcastable/values/shape', 'Const'), ('absolute_difference/num_present/broadcast_weights/assert_broadcastable/values/rank', 'Const'), ('absolute_difference/num_present/broadcast_weights/assert_broadcastable/static_scalar_check_success', 'NoOp'), ('absolute_difference/num_present/broadcast_weights/ones_like/Shape/shape_as_tensor', 'Const'), ('absolute_difference/num_present/broadcast_weights/ones_like/Const', 'Const'), ('absolute_difference/num_present/broadcast_weights/ones_like', 'Fill'), ('absolute_difference/num_present/broadcast_weights', 'Mul'), ('absolute_difference/num_present/Const', 'Const'), ('absolute_difference/num_present', 'Sum'), ('absolute_difference/Rank', 'Const'), ('absolute_difference/range/start', 'Const'), ('absolute_difference/range/delta', 'Const'), ('absolute_difference/range', 'Range'), ('absolute_difference/Sum_1', 'Sum'), ('absolute_difference/value', 'DivNoNan')]


def _build_cases():
    p = tf.placeholder(tf.float32, [2, 3], name="p")
    lab = tf.constant(L)
    w = tf.constant(W)
    cases = {
        "abs": tf.losses.absolute_difference(lab, p),
        "mse_w": tf.losses.mean_squared_error(lab, p, weights=w),
        "log": tf.losses.log_loss(lab, p),
        "hinge": tf.losses.hinge_loss(lab, p, reduction=tf.losses.Reduction.SUM),
        "huber": tf.losses.huber_loss(lab, p * 3.0, delta=0.5,
                                      reduction=tf.losses.Reduction.MEAN),
        "sig": tf.losses.sigmoid_cross_entropy(lab, p, label_smoothing=0.1),
        "soft": tf.losses.softmax_cross_entropy(
            lab, p, label_smoothing=0.2, reduction=tf.losses.Reduction.SUM_OVER_BATCH_SIZE),
        "sparse": tf.losses.sparse_softmax_cross_entropy(tf.constant([2, 0]), p,
                                                         weights=tf.constant([0.5, 2.0])),
        "cos": tf.losses.cosine_distance(tf.nn.l2_normalize(lab, 1), tf.nn.l2_normalize(p, 1),
                                         axis=1),
        "none": tf.losses.mean_squared_error(lab, p, reduction=tf.losses.Reduction.NONE,
                                             loss_collection=None),
        "zero_w": tf.losses.absolute_difference(lab, p, weights=0.0),
    }
    return p, cases


def test_values_and_gradients_match_tf():
    g = tf.Graph()
    with g.as_default():
        p, cases = _build_cases()
        total = tf.losses.get_total_loss()
        grads = {k: tf.gradients(v, p)[0] for k, v in cases.items()}
        with tf.Session() as sess:
            values, grad_values, total_value = sess.run((cases, grads, total), {p: P})
    for name, (want, want_grad) in TF_VALUES.items():
        np.testing.assert_allclose(values[name], want, rtol=2e-6, atol=1e-7, err_msg=name)
        np.testing.assert_allclose(grad_values[name], want_grad, rtol=2e-6, atol=1e-7,
                                   err_msg=name)
        assert values[name].dtype == np.float32, name
    np.testing.assert_allclose(total_value, TF_TOTAL_LOSS, rtol=2e-6)
    assert len(g.get_collection(tf.GraphKeys.LOSSES)) == 10


def test_graph_is_tfs_op_for_op():
    g = tf.Graph()
    with g.as_default():
        p = tf.placeholder(tf.float32, [2, 3], name="p")
        loss = tf.losses.absolute_difference(tf.constant(L), p)
    ops = [(o.name, o.type) for o in g.get_operations()
           if o.name.startswith("absolute_difference/")]
    assert ops == TF_ABSOLUTE_DIFFERENCE_OPS
    assert loss.op.type == "DivNoNan" and loss.name == "absolute_difference/value:0"
    assert tf.losses.get_losses() == []  # another graph's collection
    with g.as_default():
        assert tf.losses.get_losses() == [loss]


def test_reduction_keys_and_validation():
    R = tf.losses.Reduction
    assert (R.NONE, R.SUM, R.MEAN, R.SUM_OVER_BATCH_SIZE, R.SUM_BY_NONZERO_WEIGHTS) == (
        "none", "weighted_sum", "weighted_mean", "weighted_sum_over_batch_size",
        "weighted_sum_by_nonzero_weights")
    assert R.SUM_OVER_NONZERO_WEIGHTS == R.SUM_BY_NONZERO_WEIGHTS
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="^Invalid Reduction Key bogus. Key should be one "
                                             "of"):
            tf.losses.compute_weighted_loss(tf.constant([1.0]), reduction="bogus")


def test_weights_that_cannot_broadcast_raise_tfs_error():
    with tf.Graph().as_default():
        losses = tf.constant(np.ones((2, 3), np.float32))
        with pytest.raises(ValueError, match=r"^weights can not be broadcast to values\. "
                                             r"Mismatch at dim 1\. values.shape=\[2 3\], "
                                             r"weights.shape=\[1 2\]\."):
            tf.losses.compute_weighted_loss(losses, weights=tf.constant([[1.0, 2.0]]))
        with pytest.raises(ValueError, match=r"^weights can not be broadcast to values\. "
                                             r"values.rank=2\. weights.rank=1\."):
            tf.losses.compute_weighted_loss(losses, weights=tf.constant([1.0, 2.0, 3.0]))
        with pytest.raises(ValueError, match="^Argument `labels` must not be None.$"):
            tf.losses.mean_squared_error(None, losses)
        with pytest.raises(ValueError, match="^You must specify argument `axis`.$"):
            tf.losses.cosine_distance(losses, losses)


def test_unknown_shapes_build_and_run():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        w = tf.placeholder(tf.float32, [None, 1])
        loss = tf.losses.mean_squared_error(tf.zeros_like(x), x, weights=w)
        with tf.Session() as sess:
            got = sess.run(loss, {x: [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], w: [[1.0], [0.0]]})
    # Sum of the first row's squares over the three elements with non-zero weight.
    np.testing.assert_allclose(got, 14.0 / 3.0, rtol=1e-6)


def test_regularization_and_add_loss():
    with tf.Graph().as_default():
        assert tf.losses.get_regularization_losses() == []
        with tf.Session() as sess:
            assert sess.run(tf.losses.get_regularization_loss()) == 0.0
        reg = tf.constant(0.25)
        tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES, reg)
        tf.losses.add_loss(tf.constant(2.0))
        total = tf.losses.get_total_loss()
        assert total.op.name == "total_loss" and total.op.type == "AddN"
        reg_total = tf.losses.get_regularization_loss()
        assert reg_total.op.name == "total_regularization_loss"
        with tf.Session() as sess:
            assert sess.run(total) == 2.25
            assert sess.run(tf.losses.get_total_loss(add_regularization_losses=False)) == 2.0


def test_divide_no_nan_values_names_and_gradients():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [4])
        y = tf.placeholder(tf.float64, [4])
        z = tf.math.divide_no_nan(x, y)
        assert z.op.type == "DivNoNan" and z.op.name == "div_no_nan"
        assert tf.div_no_nan(x, 2.0).op.inputs[1].op.name == "div_no_nan_1/y"
        ints = tf.div_no_nan(tf.constant([3, 4]), tf.constant([2, 0]))
        assert ints.dtype == tf.float64
        dx, dy = tf.gradients(tf.reduce_sum(z), [x, y])
        with tf.Session() as sess:
            out = sess.run([z, dx, dy, ints], {x: [1.0, -3.0, 0.0, 5.0], y: [2.0, 0.0, 0.0, -4.0]})
    np.testing.assert_array_equal(out[0], [0.5, 0.0, 0.0, -1.25])
    np.testing.assert_array_equal(out[1], [0.5, 0.0, 0.0, -0.25])
    np.testing.assert_array_equal(out[2], [-0.25, 0.0, 0.0, -5.0 / 16.0])
    np.testing.assert_array_equal(out[3], [1.5, 0.0])


def test_mean_pairwise_squared_error_as_tf():
    """Values printed by TF 2.21 on the same inputs, the loss's name, the LOSSES collection,
    the definition, and the gradient's closed form."""
    rng = np.random.RandomState(0)
    labels = rng.randn(3, 4).astype(np.float32)
    predictions = rng.randn(3, 4).astype(np.float32)
    with tf.Graph().as_default():
        a = tf.losses.mean_pairwise_squared_error(labels, predictions)
        b = tf.losses.mean_pairwise_squared_error(labels, predictions,
                                                  weights=[[1.0], [0.0], [2.0]])
        x = tf.placeholder(tf.float32, [None, 4])
        c = tf.losses.mean_pairwise_squared_error(x, predictions[:2],
                                                  weights=tf.constant([[1.0], [3.0]]))
        d = tf.losses.mean_pairwise_squared_error(
            labels[:, :, None] * np.ones(2, np.float32),
            predictions[:, :, None] * np.array([2.0, 3.0], np.float32))
        none = tf.losses.mean_pairwise_squared_error(labels, predictions, weights=0.0)
        assert a.name == "mean_pairwise_squared_error/value_2:0"
        assert len(tf.get_collection(tf.GraphKeys.LOSSES)) == 5
        with tf.Session() as sess:
            got = sess.run([a, b, c, d, none], {x: labels[:2]})
    np.testing.assert_allclose(got[:4], [7.31183, 11.71125, 3.85499, 33.27887], rtol=2e-6)
    assert got[4] == 0.0
    # By the definition: the mean over pairs (i, j) of ((d_i - d_j)^2), doubled over
    # ordered pairs as TF counts them.
    diffs = (predictions - labels).astype(np.float64)
    per_entry = [np.mean([(u - v) ** 2 for i, u in enumerate(row) for j, v in enumerate(row)
                          if i != j]) * 2 for row in diffs]
    np.testing.assert_allclose(got[0], sum(per_entry) / 2, rtol=1e-5)
    # The loss is computed in float32 (TF casts its inputs), too coarse for finite
    # differences: the gradient is checked against its closed form instead,
    # w * (4 d_k / (n - 1) - 4 sum(d) / (n (n - 1))) for predictions, minus that for labels.
    pv, qv = rng.randn(2, 3).astype(np.float32), rng.randn(2, 3).astype(np.float32)
    w = np.array([[1.0], [2.0]])
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [2, 3])
        q = tf.placeholder(tf.float32, [2, 3])
        loss = tf.losses.mean_pairwise_squared_error(q, p, weights=w)
        dp, dq = tf.gradients(loss, [p, q])
        with tf.Session() as sess:
            dpv, dqv = sess.run([dp, dq], {p: pv, q: qv})
    dd = (pv - qv).astype(np.float64)
    want = w * (4 * dd / 2 - 4 * dd.sum(1, keepdims=True) / 6)
    np.testing.assert_allclose(dpv, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dqv, -want, rtol=1e-5, atol=1e-6)
