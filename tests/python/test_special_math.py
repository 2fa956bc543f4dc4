"""The special-math ops (special_math_ops.py, nn_extra.py, src/ops/special.rs): op types and
names, values at ordinary and special points, float64 gradients and second derivatives
against central differences, and TF's errors. Expected values were recorded from TF 2.21
(``tf.compat.v1`` graph mode); test_special_tf_oracle.py re-checks against TF when present.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402
from gradient_checker import assert_gradients_close  # noqa: E402

NAN, INF = np.nan, np.inf


def _rng(key: str) -> np.random.RandomState:
    return np.random.RandomState(zlib.crc32(key.encode()))


def run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def check_grad(build, values, second_order=True, tol=1e-5, delta=1e-6):
    """float64 placeholders of unknown shape; first and second derivatives."""
    graph = tf.Graph()
    with graph.as_default():
        xs = [tf.placeholder(tf.float64, [None] * np.ndim(v), name=f"x{i}")
              for i, v in enumerate(values)]
        y = build(*xs)
        assert_gradients_close(xs, y, values, tol=tol, second_order=second_order, delta=delta)


# ----- op types, names, dtypes -----
UNARY_NAMES = [
    ("sinh", "Sinh", "Sinh"), ("cosh", "Cosh", "Cosh"), ("asin", "Asin", "Asin"),
    ("acos", "Acos", "Acos"), ("atan", "Atan", "Atan"), ("asinh", "Asinh", "Asinh"),
    ("acosh", "Acosh", "Acosh"), ("atanh", "Atanh", "Atanh"), ("lgamma", "Lgamma", "Lgamma"),
    ("digamma", "Digamma", "Digamma"), ("erfc", "Erfc", "Erfc"),
    ("erfinv", "Erfinv", "erfinv/Erfinv"), ("ndtri", "Ndtri", "ndtri/Ndtri"),
    ("rint", "Rint", "Rint"), ("softsign", "Softsign", "Softsign"),
    ("is_nan", "IsNan", "IsNan"), ("is_inf", "IsInf", "IsInf"),
    ("is_finite", "IsFinite", "IsFinite"), ("bessel_i0e", "BesselI0e", "bessel_i0e/BesselI0e"),
    ("bessel_i1e", "BesselI1e", "bessel_i1e/BesselI1e"),
]


@pytest.mark.parametrize("fn,op_type,op_name", UNARY_NAMES)
def test_unary_op_type_name_and_dtype(fn, op_type, op_name):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [3, None], name="x")
        y = getattr(tf.math, fn)(x)
        assert y.op.type == op_type
        assert y.op.name == op_name
        assert y.op.get_attr("T") == tf.float32
        assert y.shape.as_list() == [3, None]
        assert y.dtype == (tf.bool if fn.startswith("is_") else tf.float32)
        named = getattr(tf.math, fn)(x, name="given")
        assert named.op.name == ("given/" + op_type if "/" in op_name else "given")


def test_namespaces_match_tf():
    top = ["sinh", "cosh", "asin", "acos", "atan", "asinh", "acosh", "atanh", "lgamma",
           "digamma", "erfc", "rint", "is_nan", "is_inf", "is_finite", "truncatediv",
           "truncatemod", "igamma", "igammac", "polygamma", "zeta", "betainc",
           "count_nonzero", "log_sigmoid"]
    math_only = ["erfinv", "ndtri", "bessel_i0e", "bessel_i1e", "xlogy", "xdivy", "xlog1py",
                 "reduce_variance", "reduce_std", "polyval", "softsign"]
    for n in top:
        assert hasattr(tf, n), n
        if n not in ("truncatediv", "truncatemod"):
            assert getattr(tf.math, n) is getattr(tf, n), n
    for n in math_only:
        assert hasattr(tf.math, n) and not hasattr(tf, n), n
    for n in ["softsign", "swish", "silu", "crelu", "relu_layer", "xw_plus_b",
              "log_poisson_loss", "weighted_cross_entropy_with_logits",
              "sufficient_statistics", "normalize_moments"]:
        assert hasattr(tf.nn, n), n
    assert tf.nn.softsign is tf.math.softsign
    assert tf.math.invert_permutation is tf.invert_permutation
    assert tf.math.unsorted_segment_sum is tf.unsorted_segment_sum


BINARY_NAMES = [
    ("xlogy", "Xlogy", "Xlogy"), ("xdivy", "Xdivy", "xdivy/Xdivy"),
    ("xlog1py", "Xlog1py", "xlog1py/Xlog1py"), ("igamma", "Igamma", "Igamma"),
    ("igammac", "Igammac", "Igammac"), ("polygamma", "Polygamma", "Polygamma"),
    ("zeta", "Zeta", "Zeta"),
]


@pytest.mark.parametrize("fn,op_type,op_name", BINARY_NAMES)
def test_binary_op_type_name_and_broadcast_shape(fn, op_type, op_name):
    with tf.Graph().as_default():
        a = tf.placeholder(tf.float64, [2, 1])
        b = tf.placeholder(tf.float64, [3])
        y = getattr(tf.math, fn)(a, b)
        assert (y.op.type, y.op.name) == (op_type, op_name)
        assert y.shape.as_list() == [2, 3] and y.dtype == tf.float64


def test_truncate_and_betainc_names():
    with tf.Graph().as_default():
        x = tf.constant([7, -7], tf.int32)
        assert tf.truncatediv(x, 2).op.name == "TruncateDiv"
        assert tf.truncatemod(x, 2).op.type == "TruncateMod"
        a = tf.constant([1.0, 2.0])
        assert tf.math.betainc(a, a, 0.5).op.name == "Betainc"


# ----- values -----
EDGE = np.array([NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 2.0, -2.5, 0.5, 1e-10, 30.0, 800.0,
                 -3.0, 1.5, 1e-300])
# TF 2.21's float64 results on EDGE.
EXPECTED_EDGE = {
    "lgamma": [NAN, INF, INF, INF, INF, 0.0, INF, 0.0, -5.6243716497674068e-02,
               5.7236494292470008e-01, 2.3025850929882736e+01, 7.1257038967168015e+01,
               4.5452661189703731e+03, INF, -1.2078223763524522e-01, 6.9077552789821368e+02],
    "digamma": [NAN, INF, NAN, NAN, NAN, -5.7721566490153231e-01, NAN,
                4.2278433509846747e-01, 1.1031566406452433, -1.9635100260214227,
                -1.0000000000577215e+10, 3.3844381326855251, 6.6839865974596142, NAN,
                3.6489973978576451e-02, -1e300],
    "erfc": [NAN, 0.0, 2.0, 1.0, 1.0, 0.15729920705028522, 1.8427007929497148,
             0.00467773498104727, 1.999593047982555, 0.47950012218695337, 0.999999999887162,
             0.0, 0.0, 1.9999779095030015, 0.03389485352468927, 1.0],
    "erfinv": [NAN, NAN, NAN, 0.0, 0.0, INF, -INF, NAN, NAN, 4.769362762044699e-01,
               8.862269987795027e-11, NAN, NAN, NAN, NAN, 0.0],
    "ndtri": [NAN, NAN, NAN, -INF, -INF, INF, NAN, NAN, NAN, 0.0, -6.361340902404056, NAN,
              NAN, NAN, NAN, -37.0470962993612],
    "rint": [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.0, 0.0, 30.0, 800.0, -3.0,
             2.0, 0.0],
    "bessel_i0e": [NAN, 0.0, 0.0, 1.0, 1.0, 0.46575960759364043, 0.46575960759364043,
                   0.308508322553671, 0.27004644161220276, 0.6450352704491502, 0.9999999999,
                   0.07314594648223728, 0.01410694500586918, 0.24300035416182536,
                   0.36743360905415834, 1.0],
    "bessel_i1e": [NAN, 0.0, -0.0, 0.0, 0.0, 2.0791041534970844e-01, -2.0791041534970844e-01,
                   2.1526928924893771e-01, -2.0658464953126654e-01, 1.5642080318487162e-01,
                   4.9999999995000025e-11, 7.1916330598647535e-02, 1.4098125406526996e-02,
                   -1.9682671329730084e-01, 2.1903938742092574e-01, 5e-301],
    "softsign": [NAN, NAN, NAN, 0.0, -0.0, 0.5, -0.5, 2 / 3, -2.5 / 3.5, 1 / 3,
                 9.999999999e-11, 30 / 31, 800 / 801, -0.75, 0.6, 1e-300],
    "asin": [NAN, NAN, NAN, 0.0, -0.0, np.pi / 2, -np.pi / 2, NAN, NAN, np.pi / 6, 1e-10,
             NAN, NAN, NAN, NAN, 1e-300],
    "acosh": [NAN, INF, NAN, NAN, NAN, 0.0, NAN, 1.3169578969248166, NAN, NAN, NAN,
              4.0940666686320855, 7.3777585176026435, NAN, 0.9624236501192069, NAN],
    "atanh": [NAN, NAN, NAN, 0.0, -0.0, INF, -INF, NAN, NAN, 5.493061443340548e-01, 1e-10,
              NAN, NAN, NAN, NAN, 1e-300],
}


@pytest.mark.parametrize("fn", sorted(EXPECTED_EDGE))
def test_special_points_float64(fn):
    with tf.Graph().as_default():
        got = run(getattr(tf.math, fn)(tf.constant(EDGE)))
    want = np.array(EXPECTED_EDGE[fn])
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-18)
    np.testing.assert_array_equal(np.signbit(got[want == 0]), np.signbit(want[want == 0]))


@pytest.mark.parametrize("fn,ref", [
    ("sinh", np.sinh), ("cosh", np.cosh), ("asin", np.arcsin), ("acos", np.arccos),
    ("atan", np.arctan), ("asinh", np.arcsinh), ("acosh", np.arccosh),
    ("atanh", np.arctanh)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_elementary_against_numpy(fn, ref, dtype):
    x = np.array([-1e300, -800.0, -3.0, -1.0, -0.5, -0.0, 0.0, 1e-20, 0.25, 0.999, 1.0, 1.5,
                  10.0, 700.0, 1e300, NAN, INF, -INF]).astype(dtype)
    with tf.Graph().as_default():
        got = run(getattr(tf, fn)(tf.constant(x)))
    assert got.dtype == dtype
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64)).astype(dtype)
    np.testing.assert_allclose(got, want, rtol=2e-7 if dtype == np.float32 else 1e-15)


def test_nan_inf_tests():
    x = np.array([NAN, INF, -INF, 0.0, 1.5, -2.0], np.float32)
    with tf.Graph().as_default():
        c = tf.constant(x)
        nan, inf, fin = run(tf.is_nan(c)), run(tf.is_inf(c)), run(tf.is_finite(c))
    assert nan.tolist() == [True, False, False, False, False, False]
    assert inf.tolist() == [False, True, True, False, False, False]
    assert fin.tolist() == [False, False, False, True, True, True]


def test_rint_rounds_half_to_even():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999], np.float32)
    with tf.Graph().as_default():
        got = run(tf.rint(x))
    np.testing.assert_array_equal(got, [0.0, 2.0, 2.0, -0.0, -2.0, 2.0])
    assert np.signbit(got[3])


def f64(fn, *args):
    return fn(*[np.array(a, np.float64) for a in args])


def test_binary_special_values():
    with tf.Graph().as_default():
        got = {
            "polygamma": f64(tf.math.polygamma, [0., 1., 2., -1., 1.5, 3., 1., 1.],
                                           [2., 2., 0.5, 1., 1., -1.5, 0., -2.]),
            "zeta": f64(tf.math.zeta, [2., 1., 0.5, 3., 2., 2., 3.],
                                 [1., 1., 1., 0., -1., -1.5, 2.5]),
            "igamma": f64(tf.math.igamma, [1., 0., -1., 2., 2., 2., 0.5, 100.],
                                     [1., 1., 1., 0., -1., INF, 3., 101.]),
            "igammac": f64(tf.math.igammac, [1., 0., -1., 2., 2., 2., 0.5],
                                       [1., 1., 1., 0., -1., INF, 3.]),
            "betainc": f64(tf.math.betainc, [1., 0., 2., 2., 2., 0.5, -1.],
                                       [1., 1., 3., 3., 3., 0.5, 1.],
                                       [0.5, 0.5, 0., 1., 1.5, 0.3, 0.5]),
            "xlogy": f64(tf.math.xlogy, [0., 0., 1., NAN, 0.], [0., NAN, 0., 1., INF]),
            "xdivy": f64(tf.math.xdivy, [0., 0., 1., NAN], [0., NAN, 0., 1.]),
            "xlog1py": f64(tf.math.xlog1py, [0., 0., 1., 2.], [-1., NAN, -1., 0.5]),
        }
        got["grad_a"] = tf.get_default_graph()._create_op(
            "IgammaGradA", [tf.constant([1., 0., 2., 2., 0.5, 100., 3.], tf.float64),
                            tf.constant([1., 1., 0., INF, 3., 101., 0.5], tf.float64)], {},
            None).outputs[0]
        vals = run(got)
    want = {
        "polygamma": [0.42278433509846747, 0.6449340668482266, -16.828796644234316, NAN, NAN,
                      194.59427621918758, INF, INF],
        "zeta": [1.6449340668482266, INF, NAN, NAN, INF, 9.379246644989124,
                 0.11810202582086368],
        "igamma": [0.6321205588285578, NAN, NAN, 0.0, NAN, 1.0, 0.9856941215645704,
                   0.5528962934345149],
        "igammac": [0.36787944117144233, NAN, NAN, 1.0, NAN, 0.0, 0.01430587843542964],
        "betainc": [0.5, NAN, 0.0, 1.0, NAN, 0.36901011956554536, NAN],
        "xlogy": [0.0, 0.0, -INF, NAN, 0.0],
        "xdivy": [0.0, 0.0, INF, NAN],
        "xlog1py": [0.0, 0.0, -INF, 0.8109302162163288],
        "grad_a": [-0.43172971063489896, NAN, 0.0, 0.0, -0.04724032644797378,
                   -0.03953233929272993, -0.02852023587882894],
    }
    for k, w in want.items():
        np.testing.assert_allclose(vals[k], w, rtol=1e-12, atol=1e-300, err_msg=k)


def test_truncate_div_mod():
    with tf.Graph().as_default():
        a = np.array([7, -7, 7, -7])
        b = np.array([2, 2, -2, -2])
        out = {}
        for dt in (np.int8, np.int16, np.int32, np.int64, np.uint8):
            if dt == np.uint8:
                out[dt] = tf.truncatediv(np.array([7, 200], dt), np.array([2, 7], dt))
            else:
                out[dt] = tf.truncatediv(a.astype(dt), b.astype(dt))
        mod32 = tf.truncatemod(a.astype(np.int32), b.astype(np.int32))
        mod64 = tf.truncatemod(a.astype(np.int64), b.astype(np.int64))
        fdiv = tf.truncatediv([7., -7., 1., 0.], [2., 2., 0., 0.])
        fmod = tf.truncatemod([7.5, -7.5, 7., 1.], [2., 2., -2., 0.])
        vals = run([out, mod32, mod64, fdiv, fmod])
    for dt, v in vals[0].items():
        assert v.dtype == dt
        assert v.tolist() == ([3, 28] if dt == np.uint8 else [3, -3, -3, 3])
    assert vals[1].tolist() == [1, -1, 1, -1] and vals[2].tolist() == [1, -1, 1, -1]
    np.testing.assert_array_equal(vals[3], [3., -3., INF, NAN])
    np.testing.assert_array_equal(vals[4], [1.5, -1.5, 1., NAN])


@pytest.mark.parametrize("fn", ["truncatediv", "truncatemod"])
def test_integer_division_by_zero_is_internal_error(fn):
    with tf.Graph().as_default():
        y = getattr(tf, fn)(tf.constant([1], tf.int32), tf.constant([0], tf.int32))
        with pytest.raises(tf.errors.InternalError,
                           match=r"Unexpected error in binary operator \(only integer div "
                                 r"and mod should have errors\)"):
            run(y)


def test_asinh_tails_and_float32_rounding():
    x = np.array([1e200, -1e200, 1e-200, -1e-200, 3.0], np.float64)
    with tf.Graph().as_default():
        got = run(tf.asinh(x))
    np.testing.assert_allclose(got, np.arcsinh(x), rtol=1e-15)


# ----- errors -----
@pytest.mark.parametrize("fn,arg,allowed", [
    ("sinh", "x", "bfloat16, float16, float32, float64, complex64, complex128"),
    ("lgamma", "x", "bfloat16, float16, float32, float64"),
    ("is_nan", "x", "bfloat16, float16, float32, float64"),
    ("softsign", "features", "float16, bfloat16, float32, float64"),
])
def test_unary_rejects_integers_as_tf(fn, arg, allowed):
    with tf.Graph().as_default():
        with pytest.raises(TypeError) as info:
            getattr(tf.math, fn)(tf.constant([1, 2]))
    assert str(info.value) == (f"Value passed to parameter '{arg}' has DataType int32 not in "
                               f"list of allowed values: {allowed}")


@pytest.mark.parametrize("fn,arg,allowed", [
    ("math.xlogy", "x", "float16, bfloat16, float32, float64, complex64, complex128"),
    ("math.polygamma", "a", "float32, float64"),
    ("truncatemod", "x", "int32, int64, bfloat16, float16, float32, float64"),
])
def test_binary_rejects_dtypes_as_tf(fn, arg, allowed):
    f = tf
    for part in fn.split("."):
        f = getattr(f, part)
    with tf.Graph().as_default():
        with pytest.raises(TypeError) as info:
            f(tf.constant([1, 2], tf.int8), tf.constant([1, 2], tf.int8))
    assert str(info.value) == (f"Value passed to parameter '{arg}' has DataType int8 not in "
                               f"list of allowed values: {allowed}")


def test_binary_errors_as_tf():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3"):
            tf.math.xlogy(tf.constant([1., 2.]), tf.constant([1., 2., 3.]))
        with pytest.raises(TypeError, match="Input 'y' of 'Xlogy' Op has type int32 that does "
                                            "not match type float32 of argument 'x'."):
            tf.math.xlogy(tf.constant([1., 2.]), tf.constant([1, 2]))
        with pytest.raises(TypeError, match="Input 'q' of 'Zeta' Op has type int32"):
            tf.math.zeta(tf.constant([1., 2.]), tf.constant([1, 2]))


def test_betainc_shapes_as_tf():
    with tf.Graph().as_default():
        ones = lambda s: tf.ones(s, tf.float64)  # noqa: E731
        assert tf.math.betainc(ones([]), ones([2]), 0.5).shape.as_list() == [2]
        assert run(tf.math.betainc(ones([]), ones([2]), tf.constant(0.5, tf.float64))
                   ).tolist() == [0.5, 0.5]
        with pytest.raises(ValueError, match="Shapes must be equal rank, but are 2 and 1"):
            tf.math.betainc(ones([2, 1]), ones([2]), tf.constant(0.5, tf.float64))
        with pytest.raises(ValueError, match=r"Dimension 0 in both shapes must be equal, but "
                                             r"are 2 and 3. Shapes are \[2\] and \[3\]."):
            tf.math.betainc(ones([2]), ones([3]), ones([2]))


# ----- gradients (float64, first and second order) -----
def _sample(key, shape, low, high):
    return _rng(key).uniform(low, high, size=shape)


UNARY_GRADS = [
    ("sinh", -2.0, 2.0), ("cosh", -2.0, 2.0), ("asin", -0.8, 0.8), ("acos", -0.8, 0.8),
    ("atan", -3.0, 3.0), ("asinh", -3.0, 3.0), ("acosh", 1.2, 4.0), ("atanh", -0.8, 0.8),
    ("lgamma", 0.3, 6.0), ("digamma", 0.3, 6.0), ("erfc", -2.0, 2.0), ("erfinv", -0.9, 0.9),
    ("ndtri", 0.05, 0.95), ("softsign", -3.0, 3.0), ("bessel_i0e", 0.2, 5.0),
    ("bessel_i1e", -5.0, -0.2),
]


@pytest.mark.parametrize("fn,low,high", UNARY_GRADS)
def test_unary_gradients(fn, low, high):
    x = _sample(fn, (2, 3), low, high)
    check_grad(getattr(tf.math, fn), [x])


def test_bessel_i1e_gradient_at_zero_is_half():
    with tf.Graph().as_default():
        x = tf.constant([0.0, 1.0], tf.float64)
        g = run(tf.gradients(tf.math.bessel_i1e(x), x)[0])
    np.testing.assert_allclose(g, [0.5, 0.4657596075936404 - 2 * 0.2079104153497085],
                               rtol=1e-12)


def test_rint_and_truncatediv_have_no_gradient():
    with tf.Graph().as_default():
        x = tf.constant([1.2, 2.7], tf.float64)
        assert tf.gradients(tf.rint(x), x) == [None]
        assert tf.gradients(tf.truncatediv(x, x), x) == [None]


def test_truncatemod_and_igamma_grad_a_have_no_gradient_as_tf():
    with tf.Graph().as_default():
        x = tf.constant([1.2, 2.7], tf.float64)
        with pytest.raises(LookupError, match="TruncateMod"):
            tf.gradients(tf.truncatemod(x, 2.0), x)
        g = tf.gradients(tf.math.igamma(x, x), x)[0]
        with pytest.raises(LookupError, match="IgammaGradA"):
            tf.gradients(g, x)


def test_softsign_gradient_op():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [3])
        g = tf.gradients(tf.nn.softsign(x), x)[0]
        assert g.op.type == "SoftsignGrad"
        assert g.op.name == "gradients/Softsign_grad/SoftsignGrad"


@pytest.mark.parametrize("fn,sample_x,sample_y", [
    ("xlogy", (-2.0, 2.0), (0.3, 3.0)),
    ("xdivy", (-2.0, 2.0), (0.5, 3.0)),
    ("xlog1py", (-2.0, 2.0), (-0.5, 3.0)),
])
def test_broadcast_binary_gradients(fn, sample_x, sample_y):
    x = _sample(fn + "x", (2, 3), *sample_x)
    y = _sample(fn + "y", (3,), *sample_y)
    check_grad(getattr(tf.math, fn), [x, y])


def test_xlogy_gradient_at_x_zero():
    with tf.Graph().as_default():
        x = tf.constant([0.0, 2.0], tf.float64)
        y = tf.constant([0.0, 3.0], tf.float64)
        gx, gy = run(tf.gradients(tf.math.xlogy(x, y), [x, y]))
    np.testing.assert_allclose(gx, [0.0, np.log(3.0)])
    np.testing.assert_allclose(gy, [0.0, 2.0 / 3.0])


def test_igamma_gradients():
    a = _sample("ia", (2, 3), 0.5, 4.0)
    x = _sample("ix", (3,), 0.3, 6.0)
    # w.r.t. x: first and second order; w.r.t. a: first order (no gradient of IgammaGradA).
    check_grad(lambda x_: tf.math.igamma(tf.constant(a), x_), [x])
    check_grad(lambda x_: tf.math.igammac(tf.constant(a), x_), [x])
    check_grad(tf.math.igamma, [a, x], second_order=False)
    check_grad(tf.math.igammac, [a, x], second_order=False)


def test_polygamma_zeta_betainc_gradients():
    with tf.Graph().as_default():
        n = tf.constant([0.0, 1.0, 2.0], tf.float64)
        x = tf.constant([1.5, 2.5, 3.5], tf.float64)
        gn, _ = tf.gradients(tf.math.polygamma(n, x), [n, x])
        assert gn is None
        q = tf.constant([1.5, 2.5], tf.float64)
        gs, _ = tf.gradients(tf.math.zeta(tf.constant([2.0, 3.0], tf.float64), q), [x, q])
        assert gs is None
    check_grad(lambda x_: tf.math.polygamma(tf.constant([[0.0, 1.0, 2.0]], tf.float64), x_),
               [_sample("pg", (2, 3), 0.5, 4.0)])
    check_grad(lambda q_: tf.math.zeta(tf.constant([2.5, 3.0, 4.0], tf.float64), q_),
               [_sample("zq", (2, 3), 0.5, 4.0)])
    a = [[1.5, 2.0, 3.0]]
    b = [[2.0, 0.7, 1.2]]
    check_grad(lambda x_: tf.math.betainc(tf.constant(a, tf.float64), tf.constant(b, tf.float64),
                                          x_), [_sample("bx", (1, 3), 0.1, 0.9)])


def test_betainc_gradient_none_for_a_and_b():
    with tf.Graph().as_default():
        a = tf.constant([1.5, 2.0], tf.float64)
        b = tf.constant([2.0, 0.7], tf.float64)
        x = tf.constant([0.3, 0.6], tf.float64)
        ga, gb, gx = tf.gradients(tf.math.betainc(a, b, x), [a, b, x])
        assert ga is None and gb is None
        # d/dx I_x(a, b) = x^(a-1) (1-x)^(b-1) / B(a, b)
        from math import gamma
        want = [0.3 ** 0.5 * 0.7 / (gamma(1.5) * gamma(2.0) / gamma(3.5)),
                0.6 * 0.4 ** -0.3 / (gamma(2.0) * gamma(0.7) / gamma(2.7))]
        np.testing.assert_allclose(run(gx), want, rtol=1e-12)


# ----- compositions -----
def test_reduce_variance_std_values_and_graph():
    x = np.array([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]])
    with tf.Graph().as_default() as g:
        v = tf.math.reduce_variance(x, axis=1)
        s = tf.math.reduce_std(x, axis=0, keepdims=True)
        vals = run([v, s])
        ops = [(op.name, op.type) for op in g.get_operations()]
    np.testing.assert_allclose(vals[0], x.var(axis=1))
    np.testing.assert_allclose(vals[1], x.std(axis=0, keepdims=True))
    assert ("reduce_variance/Mean", "Mean") in ops
    assert ("reduce_variance/sub", "Sub") in ops
    assert ("reduce_variance/Square", "Square") in ops
    assert ("reduce_variance/Mean_1", "Mean") in ops
    assert ("reduce_std/Sqrt", "Sqrt") in ops
    assert v.op.name == "reduce_variance/Mean_1"
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="Input must be either real or complex"):
            tf.math.reduce_variance(tf.constant([1, 2]))
    check_grad(lambda t: tf.math.reduce_std(t, axis=1), [_sample("std", (2, 4), -2, 2)])
    check_grad(lambda t: tf.math.reduce_variance(t), [_sample("var", (2, 4), -2, 2)])


def test_count_nonzero():
    x = np.array([[0.0, 1.5, -2.0], [0.0, 0.0, 3.0]])
    with tf.Graph().as_default():
        a = tf.count_nonzero(x)
        b = tf.math.count_nonzero(x, axis=1, keepdims=True, dtype=tf.int32)
        c = tf.count_nonzero(tf.constant([True, False, True]))
        d = tf.count_nonzero(x, reduction_indices=[0])
        vals = run([a, b, c, d])
        assert a.op.name == "count_nonzero/Sum" and a.dtype == tf.int64
        assert b.op.name == "count_nonzero_1/Cast_1"
        assert b.dtype == tf.int32
    assert vals[0] == 3 and vals[1].tolist() == [[2], [1]] and vals[2] == 2
    assert vals[3].tolist() == [0, 1, 2]


def test_polyval():
    with tf.Graph().as_default():
        x = tf.constant([1.0, 2.0, -0.5], tf.float64)
        p = tf.math.polyval(list(np.array([2.0, -1.0, 3.0])), x)
        z = tf.math.polyval([], x)
        vals = run([p, z])
        assert z.op.name == "polyval_1"
        with pytest.raises(ValueError, match="Argument coeffs must be list type"):
            tf.math.polyval((1.0, 2.0), x)
    np.testing.assert_allclose(vals[0], np.polyval([2.0, -1.0, 3.0], [1.0, 2.0, -0.5]))
    assert vals[1].tolist() == [0.0, 0.0, 0.0]
    check_grad(lambda t: tf.math.polyval(list(np.array([1.5, -2.0, 0.5, 3.0])), t),
               [_sample("poly", (4,), -2, 2)])


def test_swish_and_silu():
    assert tf.nn.silu is tf.nn.swish
    x = _sample("swish", (2, 3), -3, 3)
    with tf.Graph().as_default():
        t = tf.constant(x)
        y = tf.nn.swish(t)
        y2 = tf.nn.swish(t, beta=0.5)
        vals = run([y, y2])
        assert y.op.type == "IdentityN"
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    np.testing.assert_allclose(vals[0], x * sig(x))
    np.testing.assert_allclose(vals[1], x * sig(0.5 * x))
    # TF's custom gradient is first-order only (its grad is built from differentiable ops,
    # so second derivatives work through it too).
    check_grad(tf.nn.swish, [x])
    check_grad(lambda t, b: tf.nn.swish(t, beta=b), [x, np.array(0.7)])


def test_crelu_relu_layer_xw_plus_b():
    rng = _rng("crelu")
    x = rng.uniform(-2, 2, (2, 3))
    w = rng.uniform(-1, 1, (3, 4))
    b = rng.uniform(-1, 1, (4,))
    with tf.Graph().as_default():
        c = tf.nn.crelu(x)
        xw = tf.nn.xw_plus_b(x, w, b)
        rl = tf.nn.relu_layer(x, w, b)
        vals = run([c, xw, rl])
        assert (c.op.type, c.op.name) == ("Relu", "CRelu/Relu")
        assert c.op.inputs[0].op.name == "CRelu"
        assert (xw.op.type, xw.op.name) == ("BiasAdd", "xw_plus_b")
        assert (rl.op.type, rl.op.name) == ("Relu", "relu_layer")
    np.testing.assert_allclose(vals[0], np.maximum(np.concatenate([x, -x], -1), 0))
    np.testing.assert_allclose(vals[1], x @ w + b)
    np.testing.assert_allclose(vals[2], np.maximum(x @ w + b, 0))
    check_grad(lambda t: tf.nn.crelu(t, axis=0), [x], second_order=False)


def test_log_poisson_loss():
    rng = _rng("poisson")
    z = rng.uniform(0.0, 4.0, (5,))
    z[0], z[1] = 0.5, 1.0
    lx = rng.uniform(-1, 1, (5,))
    with tf.Graph().as_default():
        basic = tf.nn.log_poisson_loss(z, lx)
        full = tf.nn.log_poisson_loss(z, lx, compute_full_loss=True)
        vals = run([basic, full])
        with pytest.raises(ValueError, match="`log_input` and `targets` must have the same"):
            tf.nn.log_poisson_loss(tf.ones([2]), tf.ones([3]))
    want = np.exp(lx) - lx * z
    stirling = z * np.log(z) - z + 0.5 * np.log(2 * np.pi * z)
    np.testing.assert_allclose(vals[0], want)
    np.testing.assert_allclose(vals[1], want + np.where((z >= 0) & (z <= 1), 0, stirling))
    check_grad(lambda t: tf.nn.log_poisson_loss(tf.constant(z), t, compute_full_loss=True),
               [lx])


def test_weighted_cross_entropy_with_logits():
    rng = _rng("wce")
    labels = rng.uniform(0, 1, (2, 3))
    logits = rng.uniform(-3, 3, (2, 3))
    with tf.Graph().as_default():
        a = tf.nn.weighted_cross_entropy_with_logits(labels=labels, logits=logits,
                                                     pos_weight=2.5)
        b = tf.nn.weighted_cross_entropy_with_logits(targets=labels, logits=logits,
                                                     pos_weight=2.5)
        vals = run([a, b])
        assert (a.op.type, a.op.name) == ("AddV2", "logistic_loss")
    sig = 1 / (1 + np.exp(-logits))
    want = -(2.5 * labels * np.log(sig) + (1 - labels) * np.log(1 - sig))
    np.testing.assert_allclose(vals[0], want, rtol=1e-12)
    np.testing.assert_allclose(vals[1], want, rtol=1e-12)
    check_grad(lambda t, l: tf.nn.weighted_cross_entropy_with_logits(
        labels=l, logits=t, pos_weight=1.7), [logits, labels])


def test_sufficient_statistics_and_normalize_moments():
    x = _rng("moments").uniform(-2, 2, (3, 4))
    with tf.Graph().as_default():
        counts, m_ss, v_ss, shift = tf.nn.sufficient_statistics(x, [0])
        mean, var = tf.nn.normalize_moments(counts, m_ss, v_ss, shift)
        xp = tf.placeholder(tf.float64, [None, 4])
        c2, m2, v2, s2 = tf.nn.sufficient_statistics(xp, [0, 1], shift=np.float64(0.5),
                                                    keepdims=True)
        mean2, var2 = tf.nn.normalize_moments(c2, m2, v2, s2)
        assert counts.op.type == "Const" and shift is None
        assert c2.op.name == "sufficient_statistics_1/count"
        assert m_ss.op.name == "sufficient_statistics/mean_ss"
        assert mean.op.name == "normalize/mean" and var.op.name == "normalize/variance"
        assert mean2.op.name == "normalize_1/mean"
        vals = run([counts, mean, var, c2, mean2, var2], {xp: x})
    assert vals[0] == 3.0 and vals[3] == 12.0
    np.testing.assert_allclose(vals[1], x.mean(0))
    np.testing.assert_allclose(vals[2], x.var(0))
    np.testing.assert_allclose(vals[4], [[x.mean()]])
    np.testing.assert_allclose(vals[5], [[x.var()]])


def test_multiply_no_nan():
    with tf.Graph().as_default():
        x = tf.constant([INF, NAN, 2.0, 3.0], tf.float64)
        y = tf.constant([0.0, 0.0, 4.0, -1.0], tf.float64)
        z = tf.math.multiply_no_nan(x, y)
        assert (z.op.type, z.op.name) == ("MulNoNan", "multiply_no_nan")
        assert run(z).tolist() == [0.0, 0.0, 8.0, -3.0]
        with pytest.raises(TypeError, match="`x` and `y` must have the same dtype"):
            tf.math.multiply_no_nan(x, tf.constant([1.0], tf.float32))
        gx, gy = tf.gradients(z, [x, y])
        assert gx.op.type == "MulNoNan" and gx.op.name == "gradients/multiply_no_nan_grad/MulNoNan"
    rng = _rng("mulnonan")
    check_grad(tf.math.multiply_no_nan, [rng.uniform(-2, 2, (2, 3)), rng.uniform(-2, 2, (3,))])
    check_grad(tf.math.multiply_no_nan, [rng.uniform(-2, 2, (3,)), rng.uniform(-2, 2, (3,))])


def test_reciprocal_no_nan_scalar_mul_erfcinv_lbeta():
    with tf.Graph().as_default():
        r = tf.math.reciprocal_no_nan(tf.constant([0.0, 4.0, -0.5]))
        assert (r.op.type, r.op.name) == ("DivNoNan", "reciprocal_no_nan")
        s = tf.scalar_mul(2.0, tf.constant([1.0, -3.0]))
        assert s.op.type == "Mul" and tf.math.scalar_mul is tf.scalar_mul
        with pytest.raises(ValueError, match="The input scalar must be a 0-D value"):
            tf.scalar_mul([2.0, 3.0], tf.constant([1.0, -3.0]))
        e = tf.math.erfcinv(tf.constant([0.5, 1.0, 1.5], tf.float64))
        lb = tf.lbeta(tf.constant([[1.0, 2.0], [0.5, 0.5]], tf.float64))
        vals = run([r, s, e, lb])
    np.testing.assert_allclose(vals[0], [0.0, 0.25, -2.0])
    np.testing.assert_allclose(vals[1], [2.0, -6.0])
    # erfcinv(y) = erfinv(1 - y)
    np.testing.assert_allclose(vals[2], [0.4769362762044699, 0.0, -0.4769362762044699],
                               atol=1e-15)
    np.testing.assert_allclose(vals[3], [np.log(0.5), np.log(np.pi)], rtol=1e-14)
    check_grad(tf.math.erfcinv, [_sample("erfcinv", (3,), 0.2, 1.8)])
    check_grad(tf.lbeta, [_sample("lbeta", (2, 3), 0.5, 4.0)])
