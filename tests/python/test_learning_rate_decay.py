"""Learning-rate schedules against TF 2.21's values (float32 literals from the oracle) and
TF's op names, errors and dtypes."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf

STEPS = [0, 1, 3, 7, 10, 15, 25]

# tf.compat.v1.train.<schedule> evaluated at STEPS with an int64 global step (TF 2.21).
EXPECTED = {
    "piecewise": [1.0, 1.0, 1.0, 0.5, 0.5, 0.10000000149011612, 0.10000000149011612],
    "poly": [0.10000000149011612, 0.08289999514818192, 0.054099999368190765,
             0.01810000091791153, 0.009999999776482582, 0.009999999776482582,
             0.009999999776482582],
    "poly_cycle": [0.10000000149011612, 0.09538149833679199, 0.08529940247535706,
                   0.059295035898685455, 0.009999999776482582, 0.054999999701976776,
                   0.04674234986305237],
    "natural_exp": [0.10000000149011612, 0.09048374742269516, 0.07408182322978973,
                    0.049658533185720444, 0.03678794577717781, 0.022313017398118973,
                    0.008208501152694225],
    "natural_exp_staircase": [0.10000000149011612, 0.10000000149011612, 0.10000000149011612,
                              0.060653068125247955, 0.03678794577717781,
                              0.022313017398118973, 0.008208501152694225],
    "inverse_time": [0.10000000149011612, 0.09090909361839294, 0.07692307978868484,
                     0.05882352963089943, 0.05000000074505806, 0.03999999910593033,
                     0.02857142873108387],
    "inverse_time_staircase": [0.10000000149011612, 0.10000000149011612, 0.10000000149011612,
                               0.06666667014360428, 0.05000000074505806,
                               0.03999999910593033, 0.02857142873108387],
    "cosine": [0.10000000149011612, 0.09944597631692886, 0.09509529173374176,
               0.07542957365512848, 0.05499999597668648, 0.023180196061730385,
               0.010000000707805157],
    "restarts": [0.10000000149011612, 0.08535534143447876, 0.014644661918282509,
                 0.0691341683268547, 0.014644661918282509, 0.09157347679138184,
                 0.008426517248153687],
    "restarts_geometric": [0.10000000149011612, 0.08608757704496384, 0.018912428990006447,
                           0.0429999977350235, 0.0658000037074089, 0.03012109361588955,
                           0.03354312479496002],
    "linear_cosine": [0.11100000143051147, 0.09597338736057281, 0.03382169082760811,
                      0.026911860331892967, 0.061000000685453415, 0.0010000000474974513,
                      0.010999999940395355],
}

SCHEDULES = {
    "piecewise": lambda gs: tf.train.piecewise_constant(gs, [3, 10], [1.0, 0.5, 0.1]),
    "poly": lambda gs: tf.train.polynomial_decay(0.1, gs, 10, 0.01, power=2.0),
    "poly_cycle": lambda gs: tf.train.polynomial_decay(0.1, gs, 10, 0.01, power=0.5,
                                                       cycle=True),
    "natural_exp": lambda gs: tf.train.natural_exp_decay(0.1, gs, 5, 0.5),
    "natural_exp_staircase": lambda gs: tf.train.natural_exp_decay(0.1, gs, 5, 0.5,
                                                                   staircase=True),
    "inverse_time": lambda gs: tf.train.inverse_time_decay(0.1, gs, 5, 0.5),
    "inverse_time_staircase": lambda gs: tf.train.inverse_time_decay(0.1, gs, 5, 0.5,
                                                                     staircase=True),
    "cosine": lambda gs: tf.train.cosine_decay(0.1, gs, 20, alpha=0.1),
    "restarts": lambda gs: tf.train.cosine_decay_restarts(0.1, gs, 4),
    "restarts_geometric": lambda gs: tf.train.cosine_decay_restarts(
        0.1, gs, 4, t_mul=1.5, m_mul=0.8, alpha=0.05),
    "linear_cosine": lambda gs: tf.train.linear_cosine_decay(0.1, gs, 20, num_periods=2,
                                                             alpha=0.1, beta=0.01),
}

# The result tensor's name in TF.
RESULT_NAMES = {
    "poly": "PolynomialDecay:0", "natural_exp": "ExponentialDecay:0",
    "inverse_time": "InverseTimeDecay:0", "cosine": "CosineDecay/Mul_3:0",
    "restarts": "SGDRDecay:0", "linear_cosine": "LinearCosineDecay:0",
}


def _values(build, steps=STEPS, step_dtype=tf.int64):
    with tf.Graph().as_default():
        gs = tf.placeholder(step_dtype, [], name="gs")
        out = build(gs)
        with tf.Session() as s:
            return out, [float(s.run(out, {gs: k})) for k in steps]


@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_schedule_values_match_tf(schedule):
    out, got = _values(SCHEDULES[schedule])
    assert out.dtype == tf.float32
    assert out.shape.as_list() == []
    np.testing.assert_allclose(got, EXPECTED[schedule], rtol=2e-6, atol=1e-9)
    if schedule in RESULT_NAMES:
        assert out.name == RESULT_NAMES[schedule]


def test_polynomial_decay_ops_as_tf():
    with tf.Graph().as_default() as g:
        gs = tf.placeholder(tf.int64, [], name="gs")
        tf.train.polynomial_decay(0.1, gs, 10, 0.01, power=2.0)
        ops = [f"{op.name}:{op.type}" for op in g.get_operations()]
    assert ops == [
        "gs:Placeholder", "PolynomialDecay/initial_learning_rate:Const",
        "PolynomialDecay/Cast/x:Const", "PolynomialDecay/Cast_1/x:Const",
        "PolynomialDecay/Cast_2:Cast", "PolynomialDecay/Cast_3/x:Const",
        "PolynomialDecay/Cast_3:Cast", "PolynomialDecay/Minimum:Minimum",
        "PolynomialDecay/truediv:RealDiv", "PolynomialDecay/sub:Sub",
        "PolynomialDecay/sub_1/x:Const", "PolynomialDecay/sub_1:Sub", "PolynomialDecay/Pow:Pow",
        "PolynomialDecay/Mul:Mul", "PolynomialDecay:AddV2"]


def test_float64_schedules_keep_the_rate_dtype():
    lr = lambda: tf.constant(0.1, tf.float64)  # noqa: E731
    out, got = _values(lambda gs: tf.train.exponential_decay(lr(), gs, 5, 0.5))
    assert out.dtype == tf.float64
    np.testing.assert_allclose(got, [0.1, 0.08705505632961241, 0.06597539553864472,
                                     0.03789291416275995, 0.025, 0.0125, 0.003125], rtol=1e-12)
    out, got = _values(lambda gs: tf.train.polynomial_decay(np.float64(0.1), gs, 10))
    assert out.dtype == tf.float64
    # TF casts the float32 default end rate 1e-4 to float64.
    np.testing.assert_allclose(got, [0.1, 0.09000999999974739, 0.07002999999924213,
                                     0.030069999998231647, 9.999999747378752e-05,
                                     9.999999747378752e-05, 9.999999747378752e-05],
                               rtol=1e-12)


def test_cosine_decay_float64_fails_as_tf():
    # TF multiplies a float32 pi constant with the float64 fraction.
    with tf.Graph().as_default():
        gs = tf.placeholder(tf.int64, [])
        with pytest.raises(TypeError):
            tf.train.cosine_decay(tf.constant(0.1, tf.float64), gs, 5)


def test_noisy_linear_cosine_decay_noise_is_bounded_by_its_variance():
    with tf.Graph().as_default():
        gs = tf.placeholder(tf.int64, [])
        out = tf.train.noisy_linear_cosine_decay(0.1, gs, 20)
        assert out.name == "NoisyLinearCosineDecay:0"
        with tf.Session() as s:
            # At and past decay_steps the linear term is 0 and cos(pi) = -1: only beta left,
            # whatever the noise (the cosine factor is 0.5 * (1 + cos(pi)) = 0).
            assert s.run(out, {gs: 25}) == pytest.approx(0.1 * 0.001, rel=1e-5)
            draws = [s.run(out, {gs: 0}) for _ in range(200)]
    # At step 0: lr * ((0 + 1 + N(0, 1)) * 1 + beta); mean 0.1001, std 0.1.
    assert np.mean(draws) == pytest.approx(0.1001, abs=0.03)
    assert np.std(draws) == pytest.approx(0.1, rel=0.3)


def test_piecewise_constant_float_step_and_float64_values():
    out, got = _values(lambda x: tf.train.piecewise_constant(
        x, [1.0, 3.0], [np.float64(1), np.float64(2), np.float64(3)]),
        steps=[0.5, 1.0, 2.0, 3.0, 3.5], step_dtype=tf.float32)
    assert out.dtype == tf.float64
    assert got == [1.0, 1.0, 2.0, 2.0, 3.0]
    out, got = _values(lambda x: tf.train.piecewise_constant(x, [2], [7, 9]),
                       steps=[1, 2, 3], step_dtype=tf.int32)
    assert out.dtype == tf.int32
    assert got == [7, 7, 9]


@pytest.mark.parametrize("boundaries,values,step_dtype,message", [
    ([3, 10], [1.0, 0.5], tf.int64,
     "The length of boundaries should be 1 less than the length of values"),
    ([3.0, 10.0], [1.0, 0.5, 0.1], tf.int64,
     "Boundaries (<dtype: 'float32'>) must have the same dtype as x (<dtype: 'int64'>)."),
    ([np.int64(3), 10], [1.0, 0.5, 0.1], tf.int32,
     "Boundaries (<dtype: 'int64'>) must have the same dtype as x (<dtype: 'int32'>)."),
    ([3, 10], [1.0, 0.5, 1], tf.int64,
     "Values must have elements all with the same dtype (<dtype: 'float32'> vs "
     "<dtype: 'int32'>)."),
])
def test_piecewise_constant_errors_as_tf(boundaries, values, step_dtype, message):
    with tf.Graph().as_default():
        x = tf.placeholder(step_dtype, [])
        with pytest.raises(ValueError) as info:
            tf.train.piecewise_constant(x, boundaries, values)
    assert str(info.value) == message


@pytest.mark.parametrize("fn", ["exponential_decay", "polynomial_decay", "natural_exp_decay",
                                "inverse_time_decay", "cosine_decay"])
def test_missing_global_step_fails_as_tf(fn):
    args = {"exponential_decay": (5, 0.5), "natural_exp_decay": (5, 0.5),
            "inverse_time_decay": (5, 0.5)}.get(fn, (5,))
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="None values not supported."):
            getattr(tf.train, fn)(0.1, None, *args)


def test_schedule_drives_an_optimizer():
    with tf.Graph().as_default():
        step = tf.train.get_or_create_global_step()
        x = tf.Variable(1.0)
        lr = tf.train.piecewise_constant(step, [2], [0.5, 0.25])
        train = tf.train.GradientDescentOptimizer(lr).minimize(x * x, global_step=step)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            got = []
            for _ in range(4):
                s.run(train)
                got.append(float(s.run(x)))
    # x -= lr * 2x: steps 0,1,2 use 0.5 (x -> 0), step 3 uses 0.25.
    assert got == [0.0, 0.0, 0.0, 0.0]


def test_eager_schedules_are_callables_of_the_current_step():
    with tf.eager_mode():
        step = tf.Variable(0, dtype=tf.int64, trainable=False)
        lr = tf.train.exponential_decay(0.5, step, 1, 0.5)
        assert callable(lr)
        assert float(lr()) == 0.5
        step.assign_add(2)
        assert float(lr()) == 0.125
        pw = tf.train.piecewise_constant(step, [1], [1.0, 2.0])
        assert float(pw()) == 2.0
        # An optimizer evaluates it at every step.
        x = tf.Variable(1.0)
        opt = tf.train.GradientDescentOptimizer(lr)
        opt.minimize(lambda: x * x)
        assert float(x.numpy()) == 1.0 - 0.125 * 2.0
