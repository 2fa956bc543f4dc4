"""``symgrad.test``: TF1's ``tf.test`` for graph-mode tests.

``TestCase`` carries the helpers TensorFlow's own op tests are written with (sessions bound to
the default graph, ``evaluate``, the ``assertAll*`` family, ``assertRaisesOpError``), and
``compute_gradient`` / ``compute_gradient_error`` are TF1's ``gradient_checker``: theoretical
and numerical Jacobians of shape ``[x_size, y_size]``, filled column by column from
``gradients`` and row by row from central differences.
"""

from __future__ import annotations

import collections.abc
import contextlib
import math
import random as _random
import re
import tempfile
import threading
import unittest
import unittest.mock as mock
from typing import Any, Callable, Iterator, Optional, Sequence, Union

import numpy as np

from . import dtypes as _dtypes
from .array_ops import identity
from .constant_op import constant
from .errors import OpError
from .framework import Tensor, _default_graph_stack, reset_default_graph, set_random_seed
from .gradients_impl import gradients
from .indexed_slices import IndexedSlices
from .session import Session, get_default_session

__all__ = [
    "TestCase", "main", "get_temp_dir", "is_gpu_available", "gpu_device_name",
    "is_built_with_cuda", "is_built_with_gpu_support", "is_built_with_rocm",
    "compute_gradient", "compute_gradient_error", "mock",
]

# TF's `random_seed.DEFAULT_GRAPH_SEED`: setUp seeds Python, numpy and the graph with it.
_DEFAULT_SEED = 87654321

_temp_dir: Optional[str] = None


def get_temp_dir() -> str:
    """One temporary directory per process, as TF's ``googletest.GetTempDir``."""
    global _temp_dir
    if _temp_dir is None:
        _temp_dir = tempfile.mkdtemp(prefix="symgrad_test_")
    return _temp_dir


def is_gpu_available(cuda_only: bool = False, min_cuda_compute_capability: Any = None) -> bool:
    return False


def gpu_device_name() -> str:
    return ""


def is_built_with_cuda() -> bool:
    return False


def is_built_with_gpu_support() -> bool:
    return False


def is_built_with_rocm() -> bool:
    return False


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Runs the test cases of ``__main__`` (TF's ``googletest.main``)."""
    unittest.main(argv=list(argv) if argv is not None else None)


def _is_graph_value(a: Any) -> bool:
    """Whether ``a`` must be run to become an array (TF's ``tensor_util.is_tf_type``)."""
    from .variables import Variable
    return isinstance(a, (Tensor, Variable, IndexedSlices))


class _CheckedThread:
    """A thread whose exception fails the test when it is joined (TF's ``checkedThread``)."""

    def __init__(self, testcase: unittest.TestCase, target: Callable[..., Any],
                 args: Optional[Sequence[Any]] = None,
                 kwargs: Optional[dict[str, Any]] = None) -> None:
        self._testcase = testcase
        self._target = target
        self._args = tuple(args or ())
        self._kwargs = dict(kwargs or {})
        self._exception: Optional[BaseException] = None
        self._is_thread_joined = False
        self._thread = threading.Thread(target=self._protected_run)

    def _protected_run(self) -> None:
        try:
            self._target(*self._args, **self._kwargs)
        except Exception as e:  # noqa: BLE001 - reported by join()
            self._exception = e

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        self._thread.join()
        self._is_thread_joined = True
        if self._exception is not None:
            self._testcase.fail("Error in checkedThread: %s" % str(self._exception))

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def check_termination(self) -> None:
        if self._is_thread_joined:
            return
        if self.is_alive():
            raise self._testcase.failureException(
                "Thread was not joined. Did you forget to call join()?")
        self._testcase.fail("A checked thread was not joined.")


class TestCase(unittest.TestCase):
    """TF's ``tf.test.TestCase`` for graph mode."""

    def __init__(self, methodName: str = "runTest") -> None:
        super().__init__(methodName)
        self._cached_session: Optional[Session] = None
        self._tempdir: Optional[str] = None
        self._threads: list[_CheckedThread] = []

    def setUp(self) -> None:
        super().setUp()
        self._clear_cached_session()
        _random.seed(_DEFAULT_SEED)
        np.random.seed(_DEFAULT_SEED)
        # A test that failed inside `as_default()` may leave the graph stack non-empty,
        # which would make `reset_default_graph` refuse; TF clears the stack first too.
        del _default_graph_stack()[:]
        reset_default_graph()
        set_random_seed(_DEFAULT_SEED)
        # `test_session` is a helper whose name looks like a test to unittest.
        if self.id().endswith(".test_session"):
            self.skipTest("Not a test.")

    def tearDown(self) -> None:
        threads, self._threads = self._threads, []
        for thread in threads:
            thread.check_termination()
        self._clear_cached_session()
        super().tearDown()

    def checkedThread(self, target: Callable[..., Any], args: Optional[Sequence[Any]] = None,
                      kwargs: Optional[dict[str, Any]] = None) -> _CheckedThread:
        """A thread running ``target`` whose exception fails the test at ``join()``; a thread
        left unjoined fails it in ``tearDown``."""
        thread = _CheckedThread(self, target, args, kwargs)
        self._threads.append(thread)
        return thread

    def _clear_cached_session(self) -> None:
        if self._cached_session is not None:
            self._cached_session.close()
            self._cached_session = None

    def get_temp_dir(self) -> str:
        """One directory per test, kept for all calls within it."""
        if self._tempdir is None:
            self._tempdir = tempfile.mkdtemp(dir=get_temp_dir())
        return self._tempdir

    # ----- sessions -----
    @contextlib.contextmanager
    def _as_default(self, sess: Session) -> Iterator[Session]:
        with sess.graph.as_default(), sess.as_default():
            yield sess

    @contextlib.contextmanager
    def session(self, graph: Any = None, config: Any = None, use_gpu: bool = True,
                force_gpu: bool = False) -> Iterator[Session]:
        """A new session on ``graph`` (the default graph), made the default with its graph."""
        with Session(graph=graph, config=config) as sess:
            with self._as_default(sess):
                yield sess

    @contextlib.contextmanager
    def cached_session(self, graph: Any = None, config: Any = None, use_gpu: bool = True,
                       force_gpu: bool = False) -> Iterator[Session]:
        """The test's one session, made on first use and closed in ``tearDown``."""
        if self._cached_session is None:
            self._cached_session = Session(graph=graph, config=config)
        elif graph is not None and graph is not self._cached_session.graph:
            raise ValueError("The graph used to get the cached session is different than "
                             "the one that was used to create the session. Maybe create a "
                             "new session with self.session()")
        with self._as_default(self._cached_session) as sess:
            yield sess

    @contextlib.contextmanager
    def test_session(self, graph: Any = None, config: Any = None, use_gpu: bool = True,
                     force_gpu: bool = False) -> Iterator[Session]:
        """TF's deprecated spelling: the cached session, or a new one for a given graph."""
        if graph is None:
            with self.cached_session(config=config) as sess:
                yield sess
        else:
            with self.session(graph, config) as sess:
                yield sess

    def evaluate(self, tensors: Any) -> Any:
        """Runs a nest of tensors in the default session (or the cached one)."""
        sess = get_default_session()
        if sess is not None:
            return sess.run(tensors)
        with self.test_session() as sess:
            return sess.run(tensors)

    def _get_ndarray(self, a: Any) -> np.ndarray:
        if _is_graph_value(a):
            a = self.evaluate(a)
        elif hasattr(a, "numpy") and callable(a.numpy):
            a = a.numpy()
        if not isinstance(a, np.ndarray):
            try:
                return np.array(a)
            except ValueError as e:
                if "inhomogeneous shape" in str(e):
                    return np.array(a, dtype=object)
                raise
        return a

    # TF's private name, which some tests call.
    _GetNdArray = _get_ndarray

    def _evaluate_if_both(self, a: Any, b: Any) -> tuple[Any, Any]:
        if _is_graph_value(a) and _is_graph_value(b):
            return tuple(self.evaluate((a, b)))  # type: ignore[return-value]
        return a, b

    # ----- closeness -----
    def assertNear(self, f1: Any, f2: Any, err: float, msg: Optional[str] = None) -> None:
        f1 = np.squeeze(f1)
        f2 = np.squeeze(f2)
        if f1 != f2:
            diff = math.fabs(f1 - f2)
            self.assertTrue(diff <= err, "%f != %f +/- %f (difference: %g)%s" % (
                f1, f2, err, diff, " (%s)" % msg if msg is not None else ""))

    def assertArrayNear(self, farray1: Any, farray2: Any, err: float,
                        msg: Optional[str] = None) -> None:
        self.assertEqual(len(farray1), len(farray2), msg=msg)
        for f1, f2 in zip(farray1, farray2):
            self.assertNear(float(f1), float(f2), err, msg=msg)

    def assertNDArrayNear(self, ndarray1: Any, ndarray2: Any, err: float,
                          msg: Optional[str] = None) -> None:
        self.assertTrue(bool(np.linalg.norm(ndarray1 - ndarray2) < err), msg=msg)

    def _assert_array_like_all_close(self, a: Any, b: Any, rtol: float, atol: float,
                                     msg: Optional[str]) -> None:
        a, b = self._evaluate_if_both(a, b)
        a = self._get_ndarray(a)
        b = self._get_ndarray(b)
        if a.shape != b.shape and (b.ndim <= 3 or b.size < 500):
            mismatch = "Shape mismatch: expected %s, got %s with contents %s." % (
                a.shape, b.shape, b)
        else:
            mismatch = "Shape mismatch: expected %s, got %s." % (a.shape, b.shape)
        self.assertEqual(a.shape, b.shape, mismatch)
        if not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
            msgs = [msg or ""]
            cond = np.logical_or(np.abs(a - b) > atol + rtol * np.abs(b),
                                 np.isnan(a) != np.isnan(b))
            if a.ndim:
                x, y = a[np.where(cond)], b[np.where(cond)]
                msgs.append("not close where = {}".format(np.where(cond)))
            else:
                x, y = a, b
            msgs.append("not close lhs = {}".format(x))
            msgs.append("not close rhs = {}".format(y))
            msgs.append("not close dif = {}".format(np.abs(x - y)))
            msgs.append("not close tol = {}".format(atol + rtol * np.abs(y)))
            msgs.append("dtype = {}, shape = {}".format(a.dtype, a.shape))
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg="\n".join(msgs),
                                       equal_nan=True)

    def _assert_all_close_nested(self, a: Any, b: Any, rtol: float, atol: float,
                                 path: list[str], msg: Optional[str]) -> None:
        # A work list rather than recursion over the nest; `path` names the element.
        work: list[tuple[Any, Any, list[str]]] = [(a, b, path)]
        while work:
            a, b, path = work.pop()
            path_str = ("[" + "][".join(str(p) for p in path) + "]") if path else ""
            note = msg or ""
            if hasattr(a, "_asdict"):
                a = a._asdict()
            if hasattr(b, "_asdict"):
                b = b._asdict()
            a_is_dict = isinstance(a, collections.abc.Mapping)
            if a_is_dict != isinstance(b, collections.abc.Mapping):
                raise ValueError("Can't compare dict to non-dict, a%s vs b%s. %s" % (
                    path_str, path_str, note))
            mismatch = "Mismatched value: a%s is different from b%s. %s" % (
                path_str, path_str, note)
            if a_is_dict:
                self.assertCountEqual(
                    a.keys(), b.keys(),
                    msg="mismatched keys: a%s has keys %s, but b%s has keys %s. %s" % (
                        path_str, a.keys(), path_str, b.keys(), note))
                work.extend((a[k], b[k], path + [k]) for k in reversed(list(a)))
            elif isinstance(a, (list, tuple)):
                try:
                    self._assert_array_like_all_close(a, b, rtol, atol, mismatch)
                except (ValueError, TypeError, NotImplementedError):
                    if len(a) != len(b):
                        raise ValueError(
                            "Mismatched length: a%s has %d items, but b%s has %d items. %s"
                            % (path_str, len(a), path_str, len(b), note)) from None
                    work.extend((x, y, path + [str(i)])
                                for i, (x, y) in reversed(list(enumerate(zip(a, b)))))
            else:
                try:
                    self._assert_array_like_all_close(a, b, rtol, atol, mismatch)
                except TypeError as e:
                    text = "Error: a%s has %s, but b%s has %s. %s" % (
                        path_str, type(a), path_str, type(b), note)
                    e.args = ((str(e.args[0]) if e.args else "") + " : " + text,) + e.args[1:]
                    raise

    def assertAllClose(self, a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-6,
                       msg: Optional[str] = None) -> None:
        """Nested structures (dicts, namedtuples, lists, tuples) of arrays or tensors."""
        self._assert_all_close_nested(a, b, rtol, atol, [], msg)

    def assertAllCloseAccordingToType(
            self, a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-6,
            float_rtol: float = 1e-6, float_atol: float = 1e-6, half_rtol: float = 1e-3,
            half_atol: float = 1e-3, bfloat16_rtol: float = 1e-2, bfloat16_atol: float = 1e-2,
            msg: Optional[str] = None) -> None:
        a, b = self._evaluate_if_both(a, b)
        a = self._get_ndarray(a)
        b = self._get_ndarray(b)
        if a.dtype == np.float32 or b.dtype == np.float32:
            rtol, atol = max(rtol, float_rtol), max(atol, float_atol)
        if a.dtype == np.float16 or b.dtype == np.float16:
            rtol, atol = max(rtol, half_rtol), max(atol, half_atol)
        self.assertAllClose(a, b, rtol=rtol, atol=atol, msg=msg)

    def assertNotAllClose(self, a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-6,
                          msg: Optional[str] = None) -> None:
        try:
            self.assertAllClose(a, b, rtol=rtol, atol=atol, msg=msg)
        except AssertionError:
            return
        raise AssertionError("The two values are close at all elements. %s" % (msg or ""))

    # ----- equality and order -----
    def assertAllEqual(self, a: Any, b: Any, msg: Optional[str] = None) -> None:
        msg = msg if msg else ""
        a, b = self._evaluate_if_both(a, b)
        a = self._get_ndarray(a)
        b = self._get_ndarray(b)
        if b.ndim <= 3 or b.size < 500:
            self.assertEqual(a.shape, b.shape, "Shape mismatch: expected %s, got %s."
                             " Contents: %r. \n%s." % (a.shape, b.shape, b, msg))
        else:
            self.assertEqual(a.shape, b.shape, "Shape mismatch: expected %s, got %s."
                             " %s" % (a.shape, b.shape, msg))
        same = a == b
        if a.dtype.kind == "f":
            same = np.logical_or(same, np.logical_and(np.isnan(a), np.isnan(b)))
        if not np.all(same):
            msgs = [msg]
            diff = np.logical_not(same)
            if a.ndim:
                x, y = a[np.where(diff)], b[np.where(diff)]
                msgs.append("not equal where = {}".format(np.where(diff)))
            else:
                x, y = a, b
            msgs.append("not equal lhs = %r" % x)
            msgs.append("not equal rhs = %r" % y)
            np.testing.assert_array_equal(a, b, err_msg="\n".join(msgs))

    def assertNotAllEqual(self, a: Any, b: Any, msg: Optional[str] = None) -> None:
        try:
            self.assertAllEqual(a, b)
        except AssertionError:
            return
        raise AssertionError("The two values are equal at all elements. %s" % (msg or ""))

    def assertAllGreater(self, a: Any, comparison_target: Any) -> None:
        a, comparison_target = self._evaluate_if_both(a, comparison_target)
        self.assertGreater(np.min(self._get_ndarray(a)), comparison_target)

    def assertAllLess(self, a: Any, comparison_target: Any) -> None:
        a, comparison_target = self._evaluate_if_both(a, comparison_target)
        self.assertLess(np.max(self._get_ndarray(a)), comparison_target)

    def assertAllGreaterEqual(self, a: Any, comparison_target: Any) -> None:
        a, comparison_target = self._evaluate_if_both(a, comparison_target)
        self.assertGreaterEqual(np.min(self._get_ndarray(a)), comparison_target)

    def assertAllLessEqual(self, a: Any, comparison_target: Any) -> None:
        a, comparison_target = self._evaluate_if_both(a, comparison_target)
        self.assertLessEqual(np.max(self._get_ndarray(a)), comparison_target)

    @staticmethod
    def _format_subscripts(subscripts: Any, value: np.ndarray, limit: int = 10) -> list[str]:
        if np.ndim(value) == 0:
            return ["  [0] : " + str(value)]
        rows = np.transpose(subscripts)
        lines = ["  " + str(s) + " : " + str(value[tuple(s)]) for s in rows[:limit]]
        if len(rows) > limit:
            lines.append("  ...")
        return lines

    def assertAllInRange(self, target: Any, lower_bound: Any, upper_bound: Any,
                         open_lower_bound: bool = False, open_upper_bound: bool = False) -> None:
        target = self._get_ndarray(target)
        if not (np.issubdtype(target.dtype, np.floating)
                or np.issubdtype(target.dtype, np.integer)):
            raise AssertionError(
                "The value of %s does not have an ordered numeric type, instead it has type: "
                "%s" % (target, target.dtype))
        nans = np.where(np.isnan(target))
        if np.size(nans):
            raise AssertionError(
                "%d of the %d element(s) are NaN. Subscripts(s) and value(s) of the NaN "
                "element(s):\n" % (len(nans[0]), np.size(target))
                + "\n".join(self._format_subscripts(nans, target)))
        range_str = (("(" if open_lower_bound else "[") + str(lower_bound) + ", "
                     + str(upper_bound) + (")" if open_upper_bound else "]"))
        low = np.less_equal if open_lower_bound else np.less
        high = np.greater_equal if open_upper_bound else np.greater
        bad = np.where(np.logical_or(low(target, lower_bound), high(target, upper_bound)))
        if np.size(bad):
            raise AssertionError(
                "%d of the %d element(s) are outside the range %s. " % (
                    len(bad[0]), np.size(target), range_str)
                + "Subscript(s) and value(s) of the offending elements:\n"
                + "\n".join(self._format_subscripts(bad, target)))

    def assertAllInSet(self, target: Any, expected_set: Any) -> None:
        target = self._get_ndarray(target)
        diff = np.setdiff1d(target.flatten(), list(expected_set))
        if np.size(diff):
            raise AssertionError("%d unique element(s) are not in the set %s: %s" % (
                np.size(diff), expected_set, diff))

    def assertDTypeEqual(self, target: Any, expected_dtype: Any) -> None:
        self.assertEqual(self._get_ndarray(target).dtype, expected_dtype)

    def assertShapeEqual(self, input_a: Any, input_b: Any, msg: Optional[str] = None) -> None:
        """Static shapes for tensors, array shapes for numpy values."""
        for arg, value in (("input_a", input_a), ("input_b", input_b)):
            if not isinstance(value, (np.ndarray, np.generic, Tensor)):
                raise TypeError(f"{arg} must be a Numpy ndarray, Numpy scalar, or a Tensor."
                                f"Instead received {type(value)}")
        shape_a = input_a.get_shape().as_list() if isinstance(input_a, Tensor) else input_a.shape
        shape_b = input_b.get_shape().as_list() if isinstance(input_b, Tensor) else input_b.shape
        self.assertAllEqual(shape_a, shape_b, msg=msg)

    def assertDeviceEqual(self, device1: Any, device2: Any, msg: Optional[str] = None) -> None:
        self.assertEqual(str(device1), str(device2),
                         "Devices %s and %s are not equal. %s" % (device1, device2, msg))

    def assertStartsWith(self, actual: str, expected_start: str,
                         msg: Optional[str] = None) -> None:
        if not actual.startswith(expected_start):
            fail = "%r does not start with %r" % (actual, expected_start)
            self.fail(fail + (" : %r" % msg if msg else ""))

    # absltest's names, which TF's tests still use.
    def assertItemsEqual(self, first: Any, second: Any, msg: Optional[str] = None) -> None:
        self.assertCountEqual(first, second, msg)

    def assertRaisesRegexp(self, *args: Any, **kwargs: Any) -> Any:
        return self.assertRaisesRegex(*args, **kwargs)

    # ----- errors -----
    @contextlib.contextmanager
    def assertRaisesWithPredicateMatch(
            self, exception_type: Any,
            expected_err_re_or_predicate: Union[str, Callable[[BaseException], Any]],
    ) -> Iterator[None]:
        """The block must raise ``exception_type`` whose message matches the regex (searched,
        not anchored) or satisfies the predicate; for an ``OpError`` the op's name is searched
        too."""
        if callable(expected_err_re_or_predicate):
            predicate = expected_err_re_or_predicate
        else:
            pattern = expected_err_re_or_predicate

            def predicate(e: BaseException) -> Any:
                if isinstance(e, OpError):
                    err_str = str(e.message)
                    if e.op is not None:
                        err_str += "\nCaused by: " + e.op.name
                else:
                    err_str = str(e)
                return re.search(pattern, err_str)
        try:
            yield
        except Exception as e:  # noqa: BLE001 - any exception is judged below
            if not isinstance(e, exception_type) or not predicate(e):
                raise AssertionError("Exception of type %s: %s" % (str(type(e)), str(e))) from e
            return
        self.fail(exception_type.__name__ + " not raised")

    def assertRaisesOpError(self, expected_err_re_or_predicate: Any) -> Any:
        return self.assertRaisesWithPredicateMatch(OpError, expected_err_re_or_predicate)

    def assertRaisesIncompatibleShapesError(self, exception_type: Any = None) -> Any:
        from .errors import InvalidArgumentError
        return self.assertRaisesWithPredicateMatch(
            exception_type or InvalidArgumentError,
            r"Incompatible shapes|Dimensions must be equal|required broadcastable shapes")


# ----- gradient_checker (TF1) -----
def _product(shape: Any) -> int:
    if isinstance(shape, (int, np.integer)):
        return int(shape)
    out = 1
    for d in shape:
        out *= int(d)
    return out


def _with_feeds(extra_feed_dict: Optional[dict[Any, Any]], new: dict[Any, Any]) -> dict[Any, Any]:
    if not extra_feed_dict:
        return new
    merged = dict(extra_feed_dict)
    merged.update(new)
    return merged


def _require_session() -> Session:
    sess = get_default_session()
    if sess is None:
        raise ValueError("compute_gradient needs a default session: call it inside "
                         "`with tf.Session():` (or a TestCase session)")
    return sess


def _theoretical_jacobian(x: Tensor, x_shape: Any, x_data: np.ndarray, dy: Tensor,
                          dy_shape: Any, dx: Any, extra_feed_dict: Any) -> np.ndarray:
    # Complex numbers count as two reals each, interleaved (real, imaginary), as in TF.
    if x.dtype.is_complex:
        x_shape = tuple(x_shape) + (2,)
    x_size = _product(x_shape)
    row_size = _product(list(x_shape)[1:])  # one row of a sparse (IndexedSlices) gradient
    dy_size = _product(dy_shape) * (2 if dy.dtype.is_complex else 1)
    jacobian = np.zeros((x_size, dy_size), dtype=x.dtype.real_dtype.as_numpy_dtype)
    dy_data = np.zeros(dy_shape, dtype=dy.dtype.as_numpy_dtype)
    dy_flat = dy_data.ravel().view(dy.dtype.real_dtype.as_numpy_dtype)
    sess = _require_session()
    for col in range(dy_size):
        dy_flat[col] = 1
        feeds = _with_feeds(extra_feed_dict, {x: x_data, dy: dy_data})
        if isinstance(dx, IndexedSlices):
            indices, values = sess.run([dx.indices, dx.values], feed_dict=feeds)
            for i, v in zip(indices, values):
                jacobian[i * row_size:(i + 1) * row_size, col] += np.ravel(v).view(
                    jacobian.dtype)
        else:
            backprop = np.ascontiguousarray(sess.run(dx, feed_dict=feeds))
            jacobian[:, col] = backprop.ravel().view(jacobian.dtype)
        dy_flat[col] = 0
    if not dy_size:
        backprop = sess.run(dx, feed_dict=_with_feeds(extra_feed_dict, {x: x_data, dy: dy_data}))
        if backprop.shape != x_data.shape:
            raise ValueError("Empty gradient has wrong shape: expected %s, got %s" % (
                x_data.shape, backprop.shape))
        if np.any(backprop):
            raise ValueError("Empty tensor with nonzero gradients")
    return jacobian


def _numeric_jacobian(x: Tensor, x_shape: Any, x_data: np.ndarray, y: Tensor, y_shape: Any,
                      delta: float, extra_feed_dict: Any) -> np.ndarray:
    x_size = _product(x_shape) * (2 if x.dtype.is_complex else 1)
    y_size = _product(y_shape) * (2 if y.dtype.is_complex else 1)
    x_dtype = x.dtype.real_dtype.as_numpy_dtype
    y_dtype = y.dtype.real_dtype.as_numpy_dtype
    x_data = np.asarray(x_data, dtype=x.dtype.as_numpy_dtype)
    scale = np.asarray(2 * delta, dtype=y_dtype)[()]
    jacobian = np.zeros((x_size, y_size), dtype=x_dtype)
    sess = _require_session()
    for row in range(x_size):
        x_pos, x_neg = x_data.copy(), x_data.copy()
        x_pos.ravel().view(x_dtype)[row] += delta
        y_pos = sess.run(y, feed_dict=_with_feeds(extra_feed_dict, {x: x_pos}))
        x_neg.ravel().view(x_dtype)[row] -= delta
        y_neg = sess.run(y, feed_dict=_with_feeds(extra_feed_dict, {x: x_neg}))
        diff = np.ascontiguousarray((y_pos - y_neg) / scale)
        jacobian[row, :] = diff.ravel().view(y_dtype)
    return jacobian


def _dx_and_dy(x: Tensor, y: Tensor, y_shape: Any) -> tuple[Any, Tensor]:
    # The Const is what gets fed; the Identity keeps it from being folded into the gradient.
    with x.graph.as_default():
        dy_orig = constant(1.0, shape=y_shape, dtype=y.dtype)
        dy = identity(dy_orig)
    grads = gradients(y, x, dy)
    return grads[0], dy_orig


_ALLOWED = (_dtypes.float16, _dtypes.float32, _dtypes.float64, _dtypes.complex64,
            _dtypes.complex128)


def _one_gradient(x: Tensor, x_shape: Any, dx: Any, y: Tensor, y_shape: Any, dy: Tensor,
                  x_init_value: Any, delta: float,
                  extra_feed_dict: Any) -> tuple[np.ndarray, np.ndarray]:
    if x.dtype not in _ALLOWED:
        raise AssertionError("Don't support type %s for x" % x.dtype.name)
    if y.dtype not in _ALLOWED:
        raise AssertionError("Don't support type %s for y" % y.dtype.name)
    if x_init_value is not None:
        if list(x_shape) != list(x_init_value.shape):
            raise AssertionError("x_shape = %s, init_data shape = %s" % (
                x_shape, list(x_init_value.shape)))
        x_data = x_init_value
    else:
        x_data = np.random.random_sample(x_shape).astype(x.dtype.as_numpy_dtype)
        if x.dtype.is_complex:
            x_data.imag = np.random.random_sample(x_shape)
    if dx is None:
        # TF fails here too (its session cannot fetch None); say why.
        raise ValueError(f"y does not depend on x ({x.name}): its gradient is None")
    jacob_t = _theoretical_jacobian(x, x_shape, x_data, dy, y_shape, dx, extra_feed_dict)
    jacob_n = _numeric_jacobian(x, x_shape, x_data, y, y_shape, delta, extra_feed_dict)
    return jacob_t, jacob_n


def _run_init_targets(init_targets: Any) -> None:
    if init_targets is not None:
        if not isinstance(init_targets, (list, tuple)):
            raise AssertionError("init_targets must be a list or tuple")
        sess = _require_session()
        for init in init_targets:
            sess.run(init)


def compute_gradient(x: Any, x_shape: Any, y: Tensor, y_shape: Any, x_init_value: Any = None,
                     delta: float = 1e-3, init_targets: Any = None,
                     extra_feed_dict: Any = None) -> Any:
    """TF1's ``tf.test.compute_gradient``: ``(theoretical, numerical)`` Jacobians, each of
    shape ``[x_size, y_size]``; a list of such pairs when ``x`` is a list."""
    extra_feed_dict = extra_feed_dict or {}
    if isinstance(x, list):
        pairs = [_dx_and_dy(xi, y, y_shape) for xi in x]
        _run_init_targets(init_targets)
        inits = x_init_value if x_init_value is not None else [None] * len(x)
        return [_one_gradient(xi, si, dxi, y, y_shape, dyi, ii, delta, extra_feed_dict)
                for xi, si, (dxi, dyi), ii in zip(x, x_shape, pairs, inits)]
    _run_init_targets(init_targets)
    dx, dy = _dx_and_dy(x, y, y_shape)
    return _one_gradient(x, x_shape, dx, y, y_shape, dy, x_init_value, delta, extra_feed_dict)


def compute_gradient_error(x: Any, x_shape: Any, y: Tensor, y_shape: Any,
                           x_init_value: Any = None, delta: float = 1e-3,
                           init_targets: Any = None, extra_feed_dict: Any = None) -> Any:
    """The largest absolute difference between the theoretical and numerical Jacobians."""
    grad = compute_gradient(x, x_shape, y, y_shape, x_init_value, delta, init_targets,
                            extra_feed_dict)
    pairs = [grad] if isinstance(grad, tuple) else grad
    error: Any = 0
    for j_t, j_n in pairs:
        if j_t.size or j_n.size:
            error = np.maximum(error, np.fabs(j_t - j_n).max())
    return error

