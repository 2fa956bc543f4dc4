"""tf.math.special: the Bessel functions of orders 0 and 1 (J, Y, I, K, plain and scaled),
Dawson's integral, the exponential integral, the Fresnel integrals and Spence's function.

Values against 40-digit references (computed once with mpmath and written here), the edge
values TF 2.21 returns, identities between the functions over wide ranges, float32 and
float16 kernels, and first and second derivatives against central differences in float64.
test_special_tf_oracle.py compares the gradient graphs and values with TF itself.
"""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import assert_gradients_close

NAN, INF = float("nan"), float("inf")
SPECIAL = tf.math.special

REFERENCE = {
    "bessel_j0": [(0.001, 0.9999997500000156), (0.7, 0.8812008886074053), (1.9, 0.28181855937438555), (2.5, -0.048383776468198), (7.3, 0.2882169476350144), (19.0, 0.1466294396596512), (24.5, 0.0236974337340679), (31.0, 0.05120814530454225), (120.0, 0.07182341582915613)],
    "bessel_j1": [(0.001, 0.0004999999375000026), (0.7, 0.32899574154005895), (1.9, 0.5811570727134341), (2.5, 0.49709410246427405), (7.3, 0.08257043049325784), (19.0, -0.10570143114240926), (24.5, -0.1589784118193281), (31.0, -0.1330243166663142), (120.0, -0.01180521143300189)],
    "bessel_y0": [(0.001, -4.471416611375923), (0.7, -0.19066492933739512), (1.9, 0.4968199712838202), (2.5, 0.4980703596152319), (7.3, 0.0627738863740376), (19.0, -0.10951969138534148), (24.5, -0.15942871774975043), (31.0, -0.1338326605036443), (120.0, -0.012104365410016202)],
    "bessel_y1": [(0.001, -636.6221672311394), (0.7, -1.1032498719076334), (1.9, -0.1644057723315953), (2.5, 0.1459181379667858), (7.3, -0.2845943718680721), (19.0, -0.1495601138626533), (24.5, -0.026954655331885412), (31.0, -0.053372826957321595), (120.0, -0.07187447320914954)],
    "bessel_i0": [(0.001, 1.0000002500000156), (0.7, 1.1263030183068092), (1.9, 2.127740194053888), (2.5, 3.289839144050123), (7.3, 222.65879987301187), (19.0, 16446190.44061171), (24.5, 3538383451.2172413), (31.0, 2089962966491.9038), (120.0, 4.754573471017091e+50)],
    "bessel_i1": [(0.001, 0.0005000000625000026), (0.7, 0.37187967777700864), (1.9, 1.4482443730548888), (2.5, 2.5167162452886984), (7.3, 206.79167004622548), (19.0, 16007373.785836995), (24.5, 3465402511.4814854), (31.0, 2055972795294.5647), (120.0, 4.734721127388196e+50)],
    "bessel_k0": [(0.001, 7.023688800562382), (0.7, 0.6605198599151016), (1.9, 0.1288459792760475), (2.5, 0.06234755320036619), (7.3, 0.0003083622130609318), (19.0, 1.6006712869293614e-09), (24.5, 5.768856182529219e-12), (31.0, 7.718382655527615e-15), (120.0, 8.763568099825578e-54)],
    "bessel_k1": [(0.001, 999.9962381560856), (0.7, 1.050283535312918), (1.9, 0.15966015303266762), (2.5, 0.07389081634774707), (7.3, 0.0003288419967843263), (19.0, 1.642266970382279e-09), (24.5, 5.885432744756932e-12), (31.0, 7.841899600834063e-15), (120.0, 8.800007520092761e-54)],
    "bessel_k0e": [(0.001, 7.030716002378251), (0.7, 1.3301236562420558), (1.9, 0.8614506167517558), (2.5, 0.7595486903280996), (7.3, 0.45646856166390737), (19.0, 0.28569149437685853), (24.5, 0.25194428924816337), (31.0, 0.2242101374192749), (120.0, 0.11429277942292937)],
    "bessel_k1e": [(0.001, 1000.9967345590684), (0.7, 2.1150113128480523), (1.9, 1.0674709298145701), (2.5, 0.900174423907878), (7.3, 0.4867847840265954), (19.0, 0.29311558766967166), (24.5, 0.2570355583289222), (31.0, 0.2277981625945925), (120.0, 0.11476801537425148)],
    "dawsn": [(0.001, 0.0009999993333336), (0.15, 0.14777012046966786), (0.7, 0.5105040575592318), (3.1, 0.17160035571614468), (9.5, 0.05292815270562565), (10.5, 0.04783801407421344), (55.0, 0.009092412466232986)],
    "expint": [(1e-05, -10.935699800043695), (0.3725, -2.8874183188745963e-05), (1.0, 1.8951178163559368), (12.0, 14959.532666397528), (39.5, 3710918879133970.5), (41.0, 1.6006649143245042e+16), (300.0, 6.496482508088665e+127)],
    "fresnel_cos": [(0.001, 0.0009999999999997533), (0.7, 0.6596523519045103), (1.4, 0.5430957835462564), (1.6, 0.36546168344048763), (4.2, 0.5417192031634152), (12.3, 0.4767364329921508), (1000.25, 0.500031191926018)],
    "fresnel_sin": [(0.001, 5.235987755982066e-10), (0.7, 0.17213645786347742), (1.4, 0.7135250773634121), (1.6, 0.6388876835093809), (4.2, 0.5631988883966114), (12.3, 0.4886639231669361), (1000.25, 0.4996833020274881)],
    "spence": [(0.0001, 1.6439129842561455), (0.3, 0.8893776242860387), (0.5, 0.5822405264650125), (0.999, 0.001000250111173652), (1.0, 0.0), (1.001, -0.000999750111048541), (1.8, -0.6797815878346811), (2.5, -1.1473806603755707), (10000.0, -44.05909786808333)],
}


EDGE_POINTS = [0.0, -0.0, -1.0, INF, -INF, NAN, 1e-300]
EDGE = {
    "bessel_i0": [1.0, 1.0, 1.2660658777520082, NAN, NAN, NAN, 1.0],
    "bessel_i1": [0.0, 0.0, -0.565159103992485, NAN, NAN, NAN, 5e-301],
    "bessel_j0": [1.0, 1.0, 0.7651976865579665, NAN, NAN, NAN, 1.0],
    "bessel_j1": [0.0, -0.0, -0.44005058574493355, NAN, NAN, NAN, 5.000000000000001e-301],
    "bessel_k0": [INF, INF, INF, 0.0, INF, NAN, 690.8914594138721],
    "bessel_k0e": [INF, INF, INF, 0.0, INF, NAN, 690.8914594138721],
    "bessel_k1": [INF, INF, INF, 0.0, INF, NAN, 9.999999999999999e+299],
    "bessel_k1e": [INF, INF, INF, 0.0, INF, NAN, 9.999999999999999e+299],
    "bessel_y0": [-INF, -INF, -INF, NAN, -INF, NAN, -439.8351636227653],
    "bessel_y1": [-INF, -INF, -INF, NAN, -INF, NAN, -6.366197723675813e+299],
    "dawsn": [0.0, 0.0, -0.5380795069127684, 0.0, 0.0, NAN, 1e-300],
    "expint": [-INF, -INF, NAN, NAN, NAN, NAN, -690.1983122333121],
    "fresnel_cos": [0.0, 0.0, -0.779893400376823, 0.5, -0.5, NAN, 1e-300],
    "fresnel_sin": [0.0, 0.0, -0.4382591473903547, 0.5, -0.5, NAN, 0.0],
    "spence": [1.6449340668482264, 1.6449340668482264, NAN, NAN, NAN, NAN, 1.6449340668482264],
}

NEW = ["bessel_i0", "bessel_i1", "bessel_j0", "bessel_j1", "bessel_k0", "bessel_k0e",
       "bessel_k1", "bessel_k1e", "bessel_y0", "bessel_y1", "dawsn", "expint", "fresnel_cos",
       "fresnel_sin", "spence"]
ODD = {"bessel_i1", "bessel_j1", "dawsn", "fresnel_cos", "fresnel_sin"}
EVEN = {"bessel_i0", "bessel_j0"}


def run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def evaluate(fn, values, dtype=tf.float64):
    with tf.Graph().as_default():
        x = tf.placeholder(dtype, [None])
        return run(getattr(SPECIAL, fn)(x), {x: np.asarray(values, dtype.as_numpy_dtype)})


@pytest.mark.parametrize("fn", sorted(REFERENCE))
def test_values_against_references(fn):
    xs = np.array([x for x, _ in REFERENCE[fn]])
    want = np.array([v for _, v in REFERENCE[fn]])
    # Ei's zero at 0.3725 is found by cancellation: an absolute floor there.
    atol = 1e-16 if fn == "expint" else 0
    np.testing.assert_allclose(evaluate(fn, xs), want, rtol=2e-14, atol=atol)
    if fn in ODD:
        np.testing.assert_allclose(evaluate(fn, -xs), -want, rtol=2e-14, atol=0)
    if fn in EVEN:
        np.testing.assert_allclose(evaluate(fn, -xs), want, rtol=2e-14, atol=0)


@pytest.mark.parametrize("fn", sorted(EDGE))
def test_edges_as_tf(fn):
    got = evaluate(fn, EDGE_POINTS)
    np.testing.assert_allclose(got, EDGE[fn], rtol=1e-14, atol=0)
    # the sign of zero too: -0 gives -0 only for J1
    zeros = np.array(EDGE[fn]) == 0
    assert list(np.signbit(got[zeros])) == [fn == "bessel_j1" and p == -0.0 and np.signbit(p)
                                            for p in np.array(EDGE_POINTS)[zeros]]


@pytest.mark.parametrize("fn", sorted(REFERENCE))
def test_float32_and_float16_round_the_float64_value(fn):
    xs = np.array([x for x, _ in REFERENCE[fn]])
    exact = np.array([v for _, v in REFERENCE[fn]])
    # The f64 value rounded once: within half an ulp of the reference's rounding, so equal
    # to it or one ulp off where the f64 value and the reference straddle a rounding point.
    x32 = xs.astype(np.float32)
    got32 = evaluate(fn, x32, tf.float32)
    assert got32.dtype == np.float32
    with np.errstate(over="ignore"):  # values past float32's range round to inf, as intended
        want32 = evaluate(fn, x32.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(got32, want32)
    finite = np.isfinite(exact) & (np.abs(exact) < 3e38) & (np.abs(exact) > 1.2e-38)
    same_point = x32.astype(np.float64) == xs
    np.testing.assert_allclose(got32[finite & same_point], exact[finite & same_point],
                               rtol=1.2e-7)
    got16 = evaluate(fn, xs.astype(np.float16), tf.float16)
    assert got16.dtype == np.float16
    with np.errstate(over="ignore"):
        want16 = evaluate(fn, xs.astype(np.float16).astype(np.float64)).astype(np.float16)
    np.testing.assert_array_equal(got16, want16)


def test_wronskians_over_six_decades():
    x = np.logspace(-3, 3, 301)
    j0, j1, y0, y1 = (evaluate(f, x) for f in ("bessel_j0", "bessel_j1", "bessel_y0",
                                                "bessel_y1"))
    # J1 Y0 - J0 Y1 = 2 / (pi x)
    np.testing.assert_allclose((j1 * y0 - j0 * y1) * np.pi * x / 2, 1.0, rtol=1e-13)
    # I0 K1 + I1 K0 = 1 / x, with the scaled pairs (their exponentials cancel)
    x = np.logspace(-3, 2.8, 301)
    i0, i1 = evaluate("bessel_i0", x) * np.exp(-x), evaluate("bessel_i1", x) * np.exp(-x)
    k0e, k1e = evaluate("bessel_k0e", x), evaluate("bessel_k1e", x)
    np.testing.assert_allclose((i0 * k1e + i1 * k0e) * x, 1.0, rtol=1e-13)
    # the scaled and plain K agree
    x = np.linspace(0.05, 600, 97)
    np.testing.assert_allclose(evaluate("bessel_k0", x) * np.exp(x), evaluate("bessel_k0e", x),
                               rtol=1e-13)
    np.testing.assert_allclose(evaluate("bessel_k1", x) * np.exp(x), evaluate("bessel_k1e", x),
                               rtol=1e-13)
    np.testing.assert_allclose(evaluate("bessel_i0", x[:60]) * np.exp(-x[:60]),
                               tf.Session().run(tf.math.bessel_i0e(x[:60])), rtol=1e-13)


def test_spence_reflection_and_fresnel_limits():
    # Li2(z) + Li2(1 - z) = pi^2/6 - ln z ln(1 - z): spence(x) + spence(1 - x) for 0 < x < 1
    x = np.linspace(0.01, 0.99, 99)
    got = evaluate("spence", x) + evaluate("spence", 1 - x)
    np.testing.assert_allclose(got, np.pi ** 2 / 6 - np.log(x) * np.log(1 - x), rtol=1e-14)
    # Li2(z) + Li2(1/z) = -pi^2/6 - ln^2(-z)/2 for z < 0: spence(1 - z) + spence(1 - 1/z)
    z = -np.logspace(-2, 4, 61)
    got = evaluate("spence", 1 - z) + evaluate("spence", 1 - 1 / z)
    np.testing.assert_allclose(got, -np.pi ** 2 / 6 - np.log(-z) ** 2 / 2, rtol=1e-13)
    # C(x) -> 1/2 + sin(pi x^2 / 2) / (pi x), S(x) -> 1/2 - cos(pi x^2 / 2) / (pi x)
    x = np.array([1000.3, 5000.7, 20000.1])
    phase = np.pi / 2 * np.mod(x * x, 4)
    np.testing.assert_allclose(evaluate("fresnel_cos", x), 0.5 + np.sin(phase) / (np.pi * x),
                               atol=1e-10)
    np.testing.assert_allclose(evaluate("fresnel_sin", x), 0.5 - np.cos(phase) / (np.pi * x),
                               atol=1e-10)


def test_dawsn_expint_continuity_across_method_changes():
    for fn, edges in (("dawsn", [0.2, 10.0]), ("expint", [40.0]),
                      ("fresnel_cos", [1.5]), ("fresnel_sin", [1.5]),
                      ("bessel_j0", [2.0, 25.0]), ("bessel_y1", [2.0, 25.0]),
                      ("bessel_k1e", [2.0, 25.0]), ("bessel_i0", [20.0])):
        for e in edges:
            below, at, above = np.nextafter(e, 0), e, np.nextafter(e, np.inf)
            v = evaluate(fn, [below, at, above])
            slope = (v[2] - v[0]) / (above - below)
            # neighbours differ by the derivative times the step, up to a few ulps
            assert abs(v[1] - v[0]) <= abs(slope) * (at - below) + 8 * np.spacing(abs(v[1])), (
                fn, e, v)


# ----- graph -----
@pytest.mark.parametrize("fn", NEW)
def test_op_type_scope_and_namespaces(fn):
    op_type = "".join(p.capitalize() for p in fn.split("_"))
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [3, None], name="x")
        y = getattr(SPECIAL, fn)(x)
        assert (y.op.type, y.op.name) == (op_type, f"{fn}/{op_type}")
        assert y.op.get_attr("T") == tf.float32
        assert y.shape.as_list() == [3, None] and y.dtype == tf.float32
        assert getattr(SPECIAL, fn)(x, name="given").op.name == f"given/{op_type}"
        with pytest.raises(TypeError, match="int32 not in list of allowed values"):
            getattr(SPECIAL, fn)(tf.constant([1, 2]))
    assert not hasattr(tf, fn)
    assert hasattr(tf.math, fn) == (fn in ("bessel_i0", "bessel_i1"))


def test_special_namespace_matches_tf():
    assert sorted(SPECIAL.__all__) == sorted(NEW + ["bessel_i0e", "bessel_i1e"])
    assert SPECIAL.bessel_i0e is tf.math.bessel_i0e


# ----- gradients -----
GRAD_RANGES = {
    "bessel_i0": (-3.0, 3.0), "bessel_i1": (-3.0, 3.0), "bessel_j0": (-12.0, 12.0),
    "bessel_j1": (-12.0, 12.0), "bessel_k0": (0.3, 4.0), "bessel_k0e": (0.3, 30.0),
    "bessel_k1": (0.3, 4.0), "bessel_k1e": (0.3, 30.0), "bessel_y0": (0.5, 30.0),
    "bessel_y1": (0.5, 30.0), "dawsn": (-4.0, 4.0), "expint": (0.2, 6.0),
    "fresnel_cos": (-2.5, 2.5), "fresnel_sin": (-2.5, 2.5), "spence": (0.2, 3.0),
}


@pytest.mark.parametrize("fn", sorted(GRAD_RANGES))
def test_first_and_second_derivatives(fn):
    low, high = GRAD_RANGES[fn]
    values = np.random.RandomState(sum(map(ord, fn))).uniform(low, high, size=(2, 3))
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [None, None])
        assert_gradients_close([x], getattr(SPECIAL, fn)(x), [values], tol=1e-5,
                               second_order=True, delta=1e-6)


def test_derivatives_at_the_guarded_points():
    with tf.Graph().as_default():
        x = tf.constant([0.0, 1.0, 2.0], tf.float64)
        g = {fn: tf.gradients(getattr(SPECIAL, fn)(x), x)[0]
             for fn in ("bessel_i1", "bessel_j1", "spence")}
        got = run(g)
    # TF's rule imputes I1'(0) = 1 (I1'(0) is 1/2 mathematically); symgrad builds TF's rule.
    np.testing.assert_allclose(got["bessel_i1"][0], 1.0)
    np.testing.assert_allclose(got["bessel_j1"][0], 0.5)
    # spence'(x) = ln x / (1 - x): -inf at 0, -1 at x = 1
    np.testing.assert_allclose(got["spence"], [-INF, -1.0, np.log(2.0) / -1.0])


def test_gradient_graph_follows_tf():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float64, [2], name="x")
        y = SPECIAL.bessel_k1e(x)
        n = len(g.get_operations())
        tf.gradients(y, x)
        added = [(op.name, op.type) for op in g.get_operations()[n:]]
    assert added == [
        ("gradients/Shape", "Const"), ("gradients/grad_ys_0/Const", "Const"),
        ("gradients/grad_ys_0", "Fill"),
        ("gradients/bessel_k1e/BesselK1e_grad/Reciprocal", "Reciprocal"),
        ("gradients/bessel_k1e/BesselK1e_grad/sub/x", "Const"),
        ("gradients/bessel_k1e/BesselK1e_grad/sub", "Sub"),
        ("gradients/bessel_k1e/BesselK1e_grad/mul", "Mul"),
        ("gradients/bessel_k1e/BesselK1e_grad/bessel_k0e/BesselK0e", "BesselK0e"),
        ("gradients/bessel_k1e/BesselK1e_grad/sub_1", "Sub"),
        ("gradients/bessel_k1e/BesselK1e_grad/mul_1", "Mul"),
    ]
