"""nn functions TF composes from other ops: conv1d, separable_conv2d, pool, max_pool2d,
avg_pool2d — graphs as TF 2.21 builds them, values against numpy, float64 first and second
derivatives."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import check_on_placeholders, run_once, seeded_uniform


def _ops(g, start=0):
    return [(o.name, o.type) for o in g.get_operations()[start:]]


def np_conv1d_valid(x, w, stride=1):
    """x [N, W, C], w [K, C, O], VALID."""
    k = w.shape[0]
    out_w = (x.shape[1] - k) // stride + 1
    out = np.zeros([x.shape[0], out_w, w.shape[2]])
    for i in range(out_w):
        window = x[:, i * stride:i * stride + k, :]
        out[:, i, :] = np.einsum("nkc,kco->no", window, w)
    return out


def test_conv1d_graph_as_tf():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [2, 7, 3], name="x")
        w = tf.placeholder(tf.float32, [3, 3, 4], name="w")
        y = tf.nn.conv1d(x, w, 2, "SAME")
        assert y.shape.as_list() == [2, 4, 4]
        assert _ops(g, 2) == [
            ("conv1d/ExpandDims/dim", "Const"), ("conv1d/ExpandDims", "ExpandDims"),
            ("conv1d/ExpandDims_1/dim", "Const"), ("conv1d/ExpandDims_1", "ExpandDims"),
            ("conv1d", "Conv2D"), ("conv1d/Squeeze", "Squeeze")]
        conv = g.get_operation_by_name("conv1d")
        assert list(conv.get_attr("strides")) == [1, 1, 2, 1]
        assert list(conv.get_attr("dilations")) == [1, 1, 1, 1]


def test_conv1d_values_and_formats():
    x = seeded_uniform([2, 6, 3], "c1x")
    w = seeded_uniform([3, 3, 4], "c1w")
    with tf.Graph().as_default():
        y = tf.nn.conv1d(x, w, 1, "VALID")
        z = tf.nn.conv1d(input=x.transpose(0, 2, 1), filters=w, stride=1, padding="VALID",
                         data_format="NCW")
        s = tf.nn.conv1d(x, w, 2, "VALID")
        yv, zv, sv = run_once([y, z, s])
    np.testing.assert_allclose(yv, np_conv1d_valid(x, w), rtol=1e-10)
    np.testing.assert_allclose(zv, np_conv1d_valid(x, w).transpose(0, 2, 1), rtol=1e-10)
    np.testing.assert_allclose(sv, np_conv1d_valid(x, w, 2), rtol=1e-10)
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="`data_format` must be 'NWC' or 'NCW'"):
            tf.nn.conv1d(x, w, 1, "VALID", data_format="NHCW")


def test_conv1d_gradients():
    check_on_placeholders(lambda x, w: tf.square(tf.nn.conv1d(x, w, 1, "SAME")),
                          [([1, 5, 2], seeded_uniform([1, 5, 2], "c1gx")),
                           ([2, 2, 2], seeded_uniform([2, 2, 2], "c1gw"))])


def test_separable_conv2d_graph_and_values():
    x = seeded_uniform([2, 5, 5, 3], "spx")
    dw = seeded_uniform([3, 3, 3, 2], "spd")
    pw = seeded_uniform([1, 1, 6, 4], "spp")
    with tf.Graph().as_default() as g:
        y = tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "SAME")
        assert y.op.name == "separable_conv2d" and y.op.type == "Conv2D"
        assert y.op.inputs[0].op.name == "separable_conv2d/depthwise"
        assert y.op.inputs[0].op.type == "DepthwiseConv2dNative"
        assert y.op.get_attr("padding") == b"VALID"
        assert y.shape.as_list() == [2, 5, 5, 4]
        ref = tf.nn.conv2d(tf.nn.depthwise_conv2d_native(x, dw, [1, 1, 1, 1], "SAME"), pw,
                           [1, 1, 1, 1], "VALID")
        dilated = tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "VALID", rate=[2, 2])
        assert dilated.shape.as_list() == [2, 1, 1, 4]
        yv, rv, dv = run_once([y, ref, dilated])
    np.testing.assert_allclose(yv, rv, rtol=1e-12)
    # Dilation 2 with a 3x3 depthwise filter reads x[::2, ::2] over the 5x5 image.
    depth = np.einsum("nhwc,hwcm->ncm", x[:, ::2, ::2, :], dw).reshape(2, 6)
    np.testing.assert_allclose(dv[:, 0, 0, :], depth @ pw[0, 0], rtol=1e-10)
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="not compatible"):
            tf.nn.separable_conv2d(x, dw, np.zeros([2, 1, 6, 4]), [1, 1, 1, 1], "SAME")


def test_separable_conv2d_gradients():
    check_on_placeholders(
        lambda x, d, p: tf.square(tf.nn.separable_conv2d(x, d, p, [1, 1, 1, 1], "VALID")),
        [([1, 3, 3, 2], seeded_uniform([1, 3, 3, 2], "sgx")),
         ([2, 2, 2, 1], seeded_uniform([2, 2, 2, 1], "sgd")),
         ([1, 1, 2, 2], seeded_uniform([1, 1, 2, 2], "sgp"))])


def test_pool_graphs_as_tf():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [2, 6, 6, 3], name="x")
        y = tf.nn.pool(x, [2, 2], "MAX", "VALID", strides=[2, 2])
        assert (y.op.name, y.op.type) == ("max_pool", "MaxPool")
        assert y.shape.as_list() == [2, 3, 3, 3]
        assert list(y.op.get_attr("ksize")) == [1, 2, 2, 1]
        n = len(g.get_operations())
        z = tf.nn.pool(tf.placeholder(tf.float32, [2, 6, 3]), [2], "AVG", "SAME")
        assert z.shape.as_list() == [2, 6, 3]
        assert [t for _, t in _ops(g, n + 1)] == ["Const", "ExpandDims", "AvgPool", "Squeeze"]
        assert z.op.name == "avg_pool/Squeeze" and z.op.inputs[0].op.name == "avg_pool"
        m = tf.nn.max_pool2d(x, 2, 2, "SAME")
        assert (m.op.name, m.op.type) == ("MaxPool2d", "MaxPool")
        a = tf.nn.avg_pool2d(x, 2, 2, "SAME")
        assert (a.op.name, a.op.type) == ("AvgPool", "AvgPool")
        assert tf.nn.avg_pool2d is tf.nn.avg_pool


def test_pool_values_and_errors():
    x = seeded_uniform([1, 6, 2], "pool1")
    with tf.Graph().as_default():
        mx = tf.nn.pool(x, [2], "MAX", "VALID", strides=[2])
        av = tf.nn.pool(x, [3], "AVG", "VALID")
        mv, avv = run_once([mx, av])
        with pytest.raises(ValueError, match="`strides` > `window_shape` not supported"):
            tf.nn.pool(x, [2], "MAX", "VALID", strides=[3])
        with pytest.raises(ValueError, match="pooling with 'SAME' padding is not implemented"):
            tf.nn.pool(x, [2], "MAX", "SAME", dilation_rate=[2])
        with pytest.raises(ValueError, match="3-D MAX pooling is not supported"):
            tf.nn.pool(np.zeros([1, 2, 2, 2, 1]), [1, 1, 1], "MAX", "VALID")
    np.testing.assert_allclose(mv, x.reshape(1, 3, 2, 2).max(axis=2))
    want = np.stack([x[:, i:i + 3].mean(axis=1) for i in range(4)], axis=1)
    np.testing.assert_allclose(avv, want, rtol=1e-12)


def test_pool_1d_gradients():
    check_on_placeholders(lambda x: tf.square(tf.nn.pool(x, [2], "AVG", "VALID")),
                          [([1, 4, 2], seeded_uniform([1, 4, 2], "p1g"))])


# ----- LRN (TF 2.21's values for this input) -----
LRN_X = (np.arange(20, dtype=np.float32).reshape(2, 1, 2, 5) - 9.0) / 4.0
LRN_W = np.linspace(-1, 1, 20).reshape(2, 1, 2, 5).astype(np.float32)
LRN_Y = [-0.659354031085968, -0.5342662930488586, -0.4410659372806549, -0.4652807414531708,
         -0.4820519685745239, -0.5850313901901245, -0.4357784390449524, -0.29051896929740906,
         -0.16343426704406738, 0.0, 0.16343426704406738, 0.29051896929740906,
         0.3737317621707916, 0.5010954141616821, 0.6407690644264221, 0.50287926197052,
         0.4674830138683319, 0.43320271372795105, 0.5221290588378906, 0.6445795297622681]
LRN_GX = [-0.023701824247837067, 0.06056401506066322, 0.12484550476074219,
          -0.021301530301570892, -0.11041710525751114, -0.16439326107501984,
          -0.1245800107717514, -0.09324698150157928, -0.08864709734916687,
          -0.03710489720106125, 0.026984959840774536, 0.0603657066822052, 0.04204211011528969,
          0.06802117824554443, 0.10958700627088547, 0.08115079253911972,
          -0.0014541931450366974, -0.13474637269973755, -0.06768235564231873,
          0.013836666941642761]


def test_lrn_values_gradient_and_graph():
    with tf.Graph().as_default() as g:
        t = tf.constant(LRN_X)
        y = tf.nn.lrn(t, depth_radius=2, bias=1.5, alpha=0.3, beta=0.75)
        assert (y.op.name, y.op.type) == ("LRN", "LRN")
        attrs = {k: y.op.get_attr(k) for k in ["depth_radius", "bias", "alpha", "beta"]}
        assert attrs == {"depth_radius": 2, "bias": 1.5, "alpha": np.float32(0.3).item(),
                         "beta": 0.75}
        (gx,) = tf.gradients(y * LRN_W, t)
        assert (gx.op.name, gx.op.type) == ("gradients/LRN_grad/LRNGrad", "LRNGrad")
        yv, gv = run_once([y, gx])
        d = tf.nn.local_response_normalization(t)
        assert [d.op.get_attr(k) for k in ["depth_radius", "bias", "alpha", "beta"]] == [
            5, 1.0, 1.0, 0.5]
        # As in TF, LRNGrad has no gradient of its own.
        with pytest.raises(LookupError, match="LRNGrad"):
            tf.gradients(gx, t)
    np.testing.assert_allclose(yv.ravel(), LRN_Y, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(gv.ravel(), LRN_GX, rtol=1e-5, atol=1e-7)


def test_lrn_errors():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="has DataType float64 not in list of allowed "
                                            "values: float16, bfloat16, float32"):
            tf.nn.lrn(tf.constant(LRN_X.astype(np.float64)))
        with pytest.raises(ValueError, match="Shape must be rank 4 but is rank 3"):
            tf.nn.lrn(tf.constant(LRN_X[0]))


class LRNGradientTest(tf.test.TestCase):
    """lrn_op_test.py's float32 gradient check through tf.test.compute_gradient_error."""

    def testGradients(self):
        x = np.random.RandomState(3).uniform(-1, 1, [1, 2, 2, 6]).astype(np.float32)
        with self.cached_session():
            inp = tf.constant(x)
            out = tf.nn.lrn(inp, depth_radius=2, bias=1.0, alpha=0.5, beta=0.75)
            err = tf.test.compute_gradient_error(inp, x.shape, out, x.shape, x_init_value=x)
        self.assertLess(err, 1e-2)


# ----- max_pool_with_argmax (TF 2.21's values for this input) -----
ARGMAX_X = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3, 3,
                     8, 3, 2, 7, 9, 5], np.float32).reshape(2, 4, 2, 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
def test_max_pool_with_argmax_values(dtype):
    with tf.Graph().as_default():
        r = tf.nn.max_pool_with_argmax(ARGMAX_X.astype(dtype), [1, 2, 2, 1], [1, 2, 1, 1], "SAME")
        assert r._fields == ("output", "argmax")
        assert (r.output.op.name, r.output.op.type) == ("MaxPoolWithArgmax", "MaxPoolWithArgmax")
        assert r.argmax.dtype == tf.int64 and r.output.shape.as_list() == [2, 2, 2, 2]
        attrs = {k: r.output.op.get_attr(k) for k in
                 ["ksize", "strides", "padding", "Targmax", "include_batch_in_index"]}
        assert attrs == {"ksize": [1, 2, 2, 1], "strides": [1, 2, 1, 1], "padding": b"SAME",
                         "Targmax": tf.int64, "include_batch_in_index": False}
        r2 = tf.nn.max_pool_with_argmax(ARGMAX_X.astype(dtype), [1, 2, 2, 1], [1, 2, 2, 1],
                                        "VALID", include_batch_in_index=True,
                                        output_dtype=tf.int32)
        assert r2.argmax.dtype == tf.int32 and r2.output.shape.as_list() == [2, 2, 1, 2]
        out, arg, out2, arg2 = run_once([r.output, r.argmax, r2.output, r2.argmax])
    np.testing.assert_array_equal(out.ravel(), [5, 9, 4, 6, 9, 8, 9, 8, 8, 4, 8, 4, 9, 7, 9, 5])
    np.testing.assert_array_equal(arg.ravel(), [4, 5, 2, 7, 12, 11, 14, 11, 2, 3, 2, 3, 14, 13,
                                                14, 15])
    np.testing.assert_array_equal(out2.ravel(), [5, 9, 9, 8, 8, 4, 9, 7])
    np.testing.assert_array_equal(arg2.ravel(), [4, 5, 12, 11, 18, 19, 30, 29])


def test_max_pool_with_argmax_gradient():
    with tf.Graph().as_default():
        t = tf.constant(ARGMAX_X)
        r = tf.nn.max_pool_with_argmax(t, [1, 2, 2, 1], [1, 2, 1, 1], "SAME")
        w = np.arange(16, dtype=np.float32).reshape(2, 2, 2, 2) + 1
        (gx,) = tf.gradients(r.output * w, t)
        assert (gx.op.name, gx.op.type) == (
            "gradients/MaxPoolWithArgmax_grad/MaxPoolGradWithArgmax", "MaxPoolGradWithArgmax")
        # As in TF, MaxPoolGradWithArgmax has no gradient of its own.
        with pytest.raises(LookupError, match="MaxPoolGradWithArgmax"):
            tf.gradients(gx, t)
        gv = run_once(gx)
    np.testing.assert_array_equal(gv.ravel(), [0, 0, 3, 0, 1, 2, 0, 4, 0, 0, 0, 14, 5, 0, 7, 0,
                                               0, 0, 20, 22, 0, 0, 0, 0, 0, 0, 0, 0, 0, 14, 28,
                                               16])


def test_max_pool_with_argmax_float64_gradient_check():
    x = seeded_uniform([1, 4, 4, 2], "argmax-pool")
    with tf.Graph().as_default(), tf.Session():
        xt = tf.constant(x)
        y = tf.nn.max_pool_with_argmax(xt, [1, 2, 2, 1], [1, 2, 2, 1], "VALID").output
        err = tf.test.compute_gradient_error(xt, [1, 4, 4, 2], y, [1, 2, 2, 2], x_init_value=x,
                                             delta=1e-6)
    assert err < 1e-8


def test_max_pool_with_argmax_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="`data_format` values other  than 'NHWC' are not "
                                             "supported"):
            tf.nn.max_pool_with_argmax(ARGMAX_X, [1, 2, 2, 1], [1, 2, 2, 1], "VALID",
                                       data_format="NCHW")
        with pytest.raises(ValueError, match="Negative dimension size"):
            tf.nn.max_pool_with_argmax(ARGMAX_X, [1, 5, 2, 1], [1, 1, 1, 1], "VALID")
        with pytest.raises(ValueError, match="Shape must be rank 4"):
            tf.nn.max_pool_with_argmax(ARGMAX_X[0], [1, 2, 2, 1], [1, 1, 1, 1], "VALID")


def test_pool_with_dilation_as_tf():
    x = seeded_uniform([1, 7, 2], "pool-dil")
    with tf.Graph().as_default() as g:
        y = tf.nn.pool(x, [2], "MAX", "VALID", dilation_rate=[2])
        types = [o.type for o in g.get_operations()]
        assert "SpaceToBatchND" in types and "BatchToSpaceND" in types
        assert y.shape.as_list() == [1, 5, 2]
        x2 = tf.placeholder(tf.float64, [1, None, None, 2])
        y2 = tf.nn.pool(x2, [2, 2], "AVG", "VALID", dilation_rate=[2, 3])
        yv, y2v = run_once([y, y2], {x2: seeded_uniform([1, 6, 7, 2], "pool-dil2")})
    # A dilated window of 2 reads positions i and i + 2.
    np.testing.assert_allclose(yv[0], np.maximum(x[0, :5], x[0, 2:7]))
    x2v = seeded_uniform([1, 6, 7, 2], "pool-dil2")
    want = (x2v[:, :4, :4] + x2v[:, 2:6, :4] + x2v[:, :4, 3:7] + x2v[:, 2:6, 3:7]) / 4
    np.testing.assert_allclose(y2v, want, rtol=1e-12)


def test_separable_conv2d_dilated_graph_as_tf():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [2, 6, 6, 3], name="x")
        dw = tf.placeholder(tf.float32, [3, 3, 3, 2], name="dw")
        pw = tf.placeholder(tf.float32, [1, 1, 6, 5], name="pw")
        y = tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "VALID", rate=[2, 2])
        assert y.shape.as_list() == [2, 2, 2, 5]
        assert [(o.name, o.type) for o in g.get_operations()[3:]] == [
            ("separable_conv2d/required_space_to_batch_paddings/input_shape", "Const"),
            ("separable_conv2d/required_space_to_batch_paddings/base_paddings", "Const"),
            ("separable_conv2d/required_space_to_batch_paddings/paddings", "Const"),
            ("separable_conv2d/required_space_to_batch_paddings/crops", "Const"),
            ("separable_conv2d/SpaceToBatchND/block_shape", "Const"),
            ("separable_conv2d/SpaceToBatchND/paddings", "Const"),
            ("separable_conv2d/SpaceToBatchND", "SpaceToBatchND"),
            ("separable_conv2d/depthwise", "DepthwiseConv2dNative"),
            ("separable_conv2d/BatchToSpaceND/block_shape", "Const"),
            ("separable_conv2d/BatchToSpaceND/crops", "Const"),
            ("separable_conv2d/BatchToSpaceND", "BatchToSpaceND"),
            ("separable_conv2d", "Conv2D")]


def test_separable_conv2d_dilated_same_gradients():
    check_on_placeholders(
        lambda x, d: tf.square(tf.nn.separable_conv2d(x, d, np.ones([1, 1, 2, 1]) * 0.5,
                                                      [1, 1, 1, 1], "SAME", rate=[2, 2])),
        [([1, 4, 4, 1], seeded_uniform([1, 4, 4, 1], "sdx")),
         ([2, 2, 1, 2], seeded_uniform([2, 2, 1, 2], "sdd"))])


def test_max_pool_with_argmax_window_larger_than_image_is_cheap():
    # A 2^40-wide window must cost the image, not the window (it used to loop 2^40 times).
    x = np.arange(4, dtype=np.float32).reshape(1, 2, 2, 1)
    with tf.Graph().as_default():
        r = tf.nn.max_pool_with_argmax(x, [1, 2**40, 1, 1], [1, 1, 1, 1], "SAME")
        out, arg = run_once([r.output, r.argmax])
    np.testing.assert_array_equal(out.ravel(), [2, 3, 2, 3])
    np.testing.assert_array_equal(arg.ravel(), [2, 3, 2, 3])
