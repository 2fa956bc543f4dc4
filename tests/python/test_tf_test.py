"""``symgrad.test``: TestCase helpers and TF1's gradient_checker, exercised the way
TensorFlow's own op tests use them (the first classes are TF's tests rewritten to
``import symgrad as tf``; pytest runs the TestCase classes as unittest cases)."""

from __future__ import annotations

import collections
import os

import numpy as np
import pytest

import symgrad as tf


# ----- TF's own tests, rewritten -----
class SquaredDifferenceOpTest(tf.test.TestCase):
    """math_grad_test.py: feeds the Const inputs themselves."""

    def _testGrad(self, left_shape, right_shape):
        output_shape = left_shape if len(left_shape) > len(right_shape) else right_shape
        left = np.random.randn(*left_shape)
        right = np.random.randn(*right_shape)
        with self.cached_session():
            left_tensor = tf.constant(left, shape=left_shape)
            right_tensor = tf.constant(right, shape=right_shape)
            output = tf.squared_difference(left_tensor, right_tensor)
            left_err = tf.test.compute_gradient_error(
                left_tensor, left_shape, output, output_shape, x_init_value=left)
            right_err = tf.test.compute_gradient_error(
                right_tensor, right_shape, output, output_shape, x_init_value=right)
        self.assertLess(left_err, 1e-10)
        self.assertLess(right_err, 1e-10)

    def testGrad(self):
        self._testGrad([1, 2, 3, 2], [3, 2])
        self._testGrad([2, 4], [3, 2, 4])


class ReverseSequenceTest(tf.test.TestCase):
    """reverse_sequence_op_test.py: testFloatReverseSequenceGrad."""

    def testFloatReverseSequenceGrad(self):
        x = np.arange(1, 25, dtype=np.float64).reshape(3, 2, 4, 1, 1)
        x = x.transpose([2, 1, 0, 3, 4])  # transpose axes 0 <=> 2
        seq_lengths = np.asarray([3, 0, 4], dtype=np.int64)
        with self.cached_session():
            input_t = tf.constant(x, shape=x.shape)
            seq_lengths_t = tf.constant(seq_lengths, shape=seq_lengths.shape)
            out = tf.reverse_sequence(input_t, batch_axis=2, seq_axis=0,
                                      seq_lengths=seq_lengths_t)
            err = tf.test.compute_gradient_error(input_t, x.shape, out, x.shape,
                                                 x_init_value=x)
        self.assertLess(err, 1e-8)


class SpaceToDepthGradientTest(tf.test.TestCase):
    """spacetodepth_op_test.py: float32 Jacobians compared with assertAllClose."""

    def _checkGrad(self, x, block_size):
        with self.cached_session():
            tf_x = tf.convert_to_tensor(x)
            tf_y = tf.space_to_depth(tf_x, block_size)
            epsilon = 1e-2
            x_jacob_t, x_jacob_n = tf.test.compute_gradient(
                tf_x, x.shape, tf_y, tf_y.get_shape().as_list(), x_init_value=x,
                delta=epsilon)
        self.assertAllClose(x_jacob_t, x_jacob_n, rtol=1e-2, atol=epsilon)

    def testSmall(self):
        x = np.random.normal(0, 1, [1 * 2 * 3 * 5 * 4]).astype(np.float32)
        self._checkGrad(x.reshape([1, 4, 6, 5]), 2)


class HelperTest(tf.test.TestCase):
    def testSetUpResetsGraphAndSeeds(self):
        self.assertEqual(tf.get_default_graph().get_operations(), [])
        self.assertEqual(tf.get_default_graph().seed, 87654321)

    def testCachedSessionIsReusedAndBindsDefaults(self):
        with self.cached_session() as first:
            self.assertIs(tf.get_default_session(), first)
            self.assertIs(first.graph, tf.get_default_graph())
        with self.test_session() as second:
            self.assertIs(first, second)
        with self.session() as fresh:
            self.assertIsNot(fresh, first)

    def testEvaluateNestsAndWithoutSession(self):
        a = tf.constant([1.0, 2.0])
        out = self.evaluate({"a": a, "pair": (a * 2, [a + 1])})
        np.testing.assert_array_equal(out["pair"][0], [2.0, 4.0])
        np.testing.assert_array_equal(out["pair"][1][0], [2.0, 3.0])
        var = tf.Variable(3.0)
        self.evaluate(tf.global_variables_initializer())
        self.assertAllClose(var, 3.0)

    def testAssertAllClose(self):
        Point = collections.namedtuple("Point", "x y")
        self.assertAllClose({"a": [1.0, (2.0, 3.0)]}, {"a": [1.0, (2.0, 3.0000001)]})
        self.assertAllClose(Point(1.0, [2.0]), Point(1.0, [2.0]))
        self.assertAllClose(tf.constant([1.0, 2.0]), [1.0, 2.0])
        self.assertAllClose([1.0, np.nan], [1.0, np.nan])
        self.assertAllClose(1.0, 1.05, rtol=0.1)
        with self.assertRaises(AssertionError):
            self.assertAllClose([1.0, 2.0], [1.0, 2.5])
        with self.assertRaisesRegex(AssertionError, "Shape mismatch"):
            self.assertAllClose(np.zeros([2]), np.zeros([3]))
        with self.assertRaisesRegex(ValueError, "Can't compare dict to non-dict"):
            self.assertAllClose({"a": 1.0}, [1.0])
        self.assertNotAllClose([1.0], [2.0])
        self.assertAllCloseAccordingToType(np.float32(1.0), np.float32(1.0 + 1e-7))

    def testEqualityAndOrder(self):
        self.assertAllEqual(tf.constant([1, 2]), [1, 2])
        with self.assertRaises(AssertionError):
            self.assertAllEqual([1, 2], [1, 3])
        self.assertNotAllEqual([1, 2], [1, 3])
        self.assertAllGreater([2, 3], 1)
        self.assertAllGreaterEqual([2, 3], 2)
        self.assertAllLess(tf.constant([2, 3]), 4)
        self.assertAllLessEqual([2, 3], 3)
        self.assertAllInRange([0.0, 1.0], 0.0, 1.0)
        with self.assertRaisesRegex(AssertionError, "outside the range"):
            self.assertAllInRange([0.0, 1.0], 0.0, 1.0, open_upper_bound=True)
        self.assertAllInSet([1, 2, 1], {1, 2})
        self.assertArrayNear([1.0, 2.0], [1.0, 2.05], 0.1)
        self.assertNear(1.0, 1.05, 0.1)
        with self.assertRaises(AssertionError):
            self.assertNear(1.0, 1.5, 0.1)
        self.assertNDArrayNear(np.ones(3), np.ones(3) + 1e-4, 1e-3)
        self.assertShapeEqual(np.zeros((2, 3)), tf.zeros([2, 3]))
        with self.assertRaises(TypeError):
            self.assertShapeEqual([1], np.zeros(1))
        self.assertDTypeEqual(tf.constant([1.0]), np.float32)
        self.assertItemsEqual([1, 2], [2, 1])
        self.assertStartsWith("symgrad", "sym")

    def testAssertRaisesOpError(self):
        x = tf.placeholder(tf.float32)
        with self.cached_session():
            with self.assertRaisesOpError("must feed a value for placeholder"):
                self.evaluate(x)
            with self.assertRaisesOpError("Placeholder"):  # the op name is searched too
                self.evaluate(x)
        with self.assertRaisesWithPredicateMatch(ValueError, lambda e: "bad" in str(e)):
            raise ValueError("bad value")
        with self.assertRaises(AssertionError):
            with self.assertRaisesWithPredicateMatch(ValueError, "other"):
                raise ValueError("bad value")
        with self.assertRaises(AssertionError):
            with self.assertRaisesOpError("x"):
                pass

    def testCheckedThread(self):
        seen = []
        ok = self.checkedThread(seen.append, args=[1])
        ok.start()
        ok.join()
        self.assertEqual(seen, [1])

        def boom():
            raise RuntimeError("bad thread")
        bad = self.checkedThread(boom)
        bad.start()
        with self.assertRaisesRegex(AssertionError, "Error in checkedThread: bad thread"):
            bad.join()
        self.assertIs(tf.test.mock.patch, __import__("unittest.mock").mock.patch)

    def testTempDir(self):
        d = self.get_temp_dir()
        self.assertEqual(d, self.get_temp_dir())
        self.assertTrue(os.path.isdir(d))
        self.assertTrue(d.startswith(tf.test.get_temp_dir()))


def test_environment_queries():
    assert tf.test.is_gpu_available() is False
    assert tf.test.gpu_device_name() == ""
    assert tf.test.is_built_with_cuda() is False
    assert callable(tf.test.main)


def test_compute_gradient_layout_and_lists():
    with tf.Graph().as_default(), tf.Session():
        a = tf.constant([1.0, 2.0], dtype=tf.float64)
        b = tf.constant([3.0, 4.0, 5.0], dtype=tf.float64)
        y = tf.reshape(a, [2, 1]) * tf.reshape(b, [1, 3])  # [2, 3]
        (ta, na), (tb, nb) = tf.test.compute_gradient(
            [a, b], [[2], [3]], y, [2, 3],
            x_init_value=[np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])])
        # Rows: elements of x; columns: elements of y (row-major).
        want_a = np.array([[3, 4, 5, 0, 0, 0], [0, 0, 0, 3, 4, 5]], np.float64)
        np.testing.assert_allclose(ta, want_a)
        np.testing.assert_allclose(na, want_a, atol=1e-6)
        np.testing.assert_allclose(tb, nb, atol=1e-6)
        assert tb.shape == (3, 6)
        err = tf.test.compute_gradient_error([a, b], [[2], [3]], y, [2, 3])
        assert err < 1e-6


def test_compute_gradient_indexed_slices_and_extra_feed():
    with tf.Graph().as_default(), tf.Session():
        params = tf.constant(np.arange(6.0).reshape(3, 2))
        scale = tf.placeholder(tf.float64, [])
        y = tf.gather(params, [2, 0]) * scale
        t, n = tf.test.compute_gradient(params, [3, 2], y, [2, 2],
                                        extra_feed_dict={scale: 2.0})
        np.testing.assert_allclose(t, n, atol=1e-6)
        assert t[4, 0] == 2.0 and t[0, 2] == 2.0


def test_compute_gradient_needs_float_and_session():
    with tf.Graph().as_default():
        x = tf.constant([1.0])
        with pytest.raises(ValueError, match="default session"):
            tf.test.compute_gradient(x, [1], x * 2.0, [1])
        with tf.Session():
            i = tf.constant([1])
            # As in TF, the int32 seed constant 1.0 fails first.
            with pytest.raises(TypeError, match="Expected int32"):
                tf.test.compute_gradient(i, [1], i * 2, [1])
