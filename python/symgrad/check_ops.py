"""Run-time checks: ``Assert``, the ``assert_*`` family, ``check_numerics``, ``Print``.

Built as TF 2.x builds them in ``tf.compat.v1`` graph mode, including the checks that raise
while building when the values are known then. symgrad has no string dtype: the string items
of an ``Assert``'s data are attributes of the op (``_messages``, at positions
``_message_at``) instead of ``Const`` inputs; the failure text is TF's.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import numpy as np

from . import dtypes
from ._op_helpers import op_scope
from .constant_op import convert_to_tensor
from .errors import InvalidArgumentError
from .framework import Operation, Tensor

__all__ = [
    "Assert", "assert_equal", "assert_none_equal", "assert_less", "assert_less_equal",
    "assert_greater", "assert_greater_equal", "assert_positive", "assert_negative",
    "assert_non_negative", "assert_non_positive", "assert_rank", "assert_rank_at_least",
    "assert_type", "assert_scalar", "check_numerics", "verify_tensor_all_finite", "Print",
    "assert_near", "assert_integer", "assert_rank_in", "assert_same_float_dtype",
    "assert_proper_iterable", "is_numeric_tensor", "is_non_decreasing",
    "is_strictly_increasing",
]


def _is_text(item: Any) -> bool:
    return isinstance(item, (str, bytes))


def _text(item: Any) -> str:
    return item.decode("utf-8", "replace") if isinstance(item, bytes) else item


def _assert_op(condition: Any, data: Sequence[Any], summarize: Optional[int],
               name: str) -> Operation:
    """The ``Assert`` op itself (TF's ``gen_logging_ops._assert``)."""
    with op_scope(name, "Assert", [condition]) as scope:
        cond = convert_to_tensor(condition, name="condition")
        tensors: list[Tensor] = []
        messages: list[str] = []
        positions: list[int] = []
        for i, item in enumerate(data):
            if _is_text(item):
                messages.append(_text(item))
                positions.append(i)
            else:
                tensors.append(convert_to_tensor(item, name=f"data_{i}"))
        if cond.dtype != dtypes.bool:
            raise TypeError(f"Input 'condition' of 'Assert' Op has type {cond.dtype.name} that "
                            "does not match expected type of bool.")
        attrs: dict[str, Any] = {"summarize": 3 if summarize is None else int(summarize)}
        if messages:
            attrs["_messages"] = messages
            attrs["_message_at"] = positions
        return cond.graph._create_op("Assert", [cond] + tensors, attrs, scope or None)


def Assert(condition: Any, data: Sequence[Any], summarize: Optional[int] = None,
           name: Optional[str] = None) -> Operation:
    """An op that fails with ``InvalidArgumentError`` when ``condition`` is false.

    As in TF, when some data is neither text nor int32 the ``Assert`` sits in the false branch
    of a ``cond`` named ``AssertGuard`` (so the data is only read when the check fails) and
    the ``Merge`` op of that cond is returned.
    """
    from .cond_ops import cond
    from .control_flow_ops import no_op
    if isinstance(condition, bool) or isinstance(condition, np.bool_):
        condition = bool(condition)
    with op_scope(name, "Assert", [condition, data]) as scope:
        data = list(data)
        tensors = [item if isinstance(item, Tensor) else convert_to_tensor(item)
                   for item in data if not _is_text(item)]
        if all(t.dtype == dtypes.int32 for t in tensors):
            return _assert_op(condition, data, summarize, "Assert")
        condition = convert_to_tensor(condition, name="Condition")
        guarded = cond(condition, no_op,
                       lambda: _assert_op(condition, data, summarize, "Assert"),
                       name="AssertGuard")
        del scope
        # In eager mode `cond` already returns the op (an `_EagerOp`), not a tensor.
        return getattr(guarded, "op", guarded)


# ----- static values, for the checks TF makes while building -----

def _static_value(t: Any) -> Optional[np.ndarray]:
    if not isinstance(t, Tensor):
        return None
    op = t.op
    if op.type == "Const":
        return np.asarray(op.get_attr("value"))
    if op.type == "Identity":
        return _static_value(op.inputs[0])
    return None


def _static_text(item: Any) -> Any:
    value = _static_value(item)
    if value is not None:
        return str(value)
    return item if _is_text(item) else str(item)


def _assert_static(condition: bool, data: Sequence[Any]) -> None:
    if not condition:
        raise InvalidArgumentError(None, None, "\n".join(_text(_static_text(d)) for d in data))


def _binary_assert(sym: str, opname: str, op_func: Callable[..., Tensor],
                   static_func: Callable[..., Any], x: Any, y: Any, data: Any,
                   summarize: Optional[int], message: Optional[str],
                   name: Optional[str]) -> Operation:
    from ._nn_math import reduce_all
    with op_scope(name, opname, [x, y, data]):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y")
        if data is None:
            data = [f"Condition x {sym} y did not hold element-wise:",
                    f"x ({x.name}) = ", x, f"y ({y.name}) = ", y]
        if message is not None:
            data = [message] + list(data)
        condition = reduce_all(op_func(x, y))
        x_static, y_static = _static_value(x), _static_value(y)
        if x_static is not None and y_static is not None:
            _assert_static(bool(np.all(static_func(x_static, y_static))), data)
        return Assert(condition, data, summarize=summarize)


def assert_equal(x: Any, y: Any, data: Any = None, summarize: Optional[int] = None,
                 message: Optional[str] = None, name: Optional[str] = None) -> Operation:
    from .control_flow_ops import no_op
    from .math_ops import equal
    # TF opens (and so uses up) the scope name once before the real one.
    with op_scope(name, "assert_equal", [x, y, data]):
        if x is y:
            return no_op()
    return _binary_assert("==", "assert_equal", equal, np.equal, x, y, data, summarize,
                          message, name)


def assert_none_equal(x: Any, y: Any, data: Any = None, summarize: Optional[int] = None,
                      message: Optional[str] = None, name: Optional[str] = None) -> Operation:
    from .math_ops import not_equal
    return _binary_assert("!=", "assert_none_equal", not_equal, np.not_equal, x, y, data,
                          summarize, message, name)


def assert_less(x: Any, y: Any, data: Any = None, summarize: Optional[int] = None,
                message: Optional[str] = None, name: Optional[str] = None) -> Operation:
    from .math_ops import less
    return _binary_assert("<", "assert_less", less, np.less, x, y, data, summarize,
                          message, name)


def assert_less_equal(x: Any, y: Any, data: Any = None, summarize: Optional[int] = None,
                      message: Optional[str] = None, name: Optional[str] = None) -> Operation:
    from .math_ops import less_equal
    return _binary_assert("<=", "assert_less_equal", less_equal, np.less_equal, x, y, data,
                          summarize, message, name)


def assert_greater(x: Any, y: Any, data: Any = None, summarize: Optional[int] = None,
                   message: Optional[str] = None, name: Optional[str] = None) -> Operation:
    from .math_ops import greater
    return _binary_assert(">", "assert_greater", greater, np.greater, x, y, data, summarize,
                          message, name)


def assert_greater_equal(x: Any, y: Any, data: Any = None, summarize: Optional[int] = None,
                         message: Optional[str] = None,
                         name: Optional[str] = None) -> Operation:
    from .math_ops import greater_equal
    return _binary_assert(">=", "assert_greater_equal", greater_equal, np.greater_equal, x, y,
                          data, summarize, message, name)


def _message_prefix(message: Optional[str]) -> str:
    return f"{message}.  " if message else ""


def _sign_assert(opname: str, sym: str, check: Callable[..., Operation], zero_first: bool,
                 x: Any, data: Any, summarize: Optional[int], message: Optional[str],
                 name: Optional[str]) -> Operation:
    prefix = _message_prefix(message)
    with op_scope(name, opname, [x, data]):
        x = convert_to_tensor(x, name="x")
        if data is None:
            data = [prefix, f"Condition x {sym} did not hold element-wise:",
                    f"x ({x.name}) = ", x]
        zero = convert_to_tensor(0, dtype=x.dtype)
        a, b = (zero, x) if zero_first else (x, zero)
        return check(a, b, data=data, summarize=summarize)


def assert_positive(x: Any, data: Any = None, summarize: Optional[int] = None,
                    message: Optional[str] = None, name: Optional[str] = None) -> Operation:
    return _sign_assert("assert_positive", "> 0", assert_less, True, x, data, summarize,
                        message, name)


def assert_negative(x: Any, data: Any = None, summarize: Optional[int] = None,
                    message: Optional[str] = None, name: Optional[str] = None) -> Operation:
    return _sign_assert("assert_negative", "< 0", assert_less, False, x, data, summarize,
                        message, name)


def assert_non_negative(x: Any, data: Any = None, summarize: Optional[int] = None,
                        message: Optional[str] = None, name: Optional[str] = None) -> Operation:
    return _sign_assert("assert_non_negative", ">= 0", assert_less_equal, True, x, data,
                        summarize, message, name)


def assert_non_positive(x: Any, data: Any = None, summarize: Optional[int] = None,
                        message: Optional[str] = None, name: Optional[str] = None) -> Operation:
    return _sign_assert("assert_non_positive", "<= 0", assert_less_equal, False, x, data,
                        summarize, message, name)


def _rank_assert(opname: str, words: str, static_ok: Callable[[int, int], bool],
                 dynamic: Callable[..., Tensor], x: Any, rank: Any, data: Any,
                 summarize: Optional[int], message: Optional[str],
                 name: Optional[str]) -> Operation:
    from .array_ops import rank as rank_of, shape
    from .control_flow_ops import no_op
    with op_scope(name, opname, [x, rank] + list(data or [])):
        x = convert_to_tensor(x, name="x")
        rank = convert_to_tensor(rank, name="rank")
        prefix = _message_prefix(message)
        if data is None:
            data = [prefix, f"Tensor {x.name} must have {words}", rank, "Received shape: ",
                    shape(x)]
        if rank.dtype != dtypes.int32:
            raise TypeError(f"{rank.name} must be of type tf.int32; got {rank.dtype!r}")
        rank_static = _static_value(rank)
        if rank_static is not None:
            if rank_static.ndim != 0:
                raise ValueError("Rank must be a scalar.")
            x_rank = x.shape.ndims
            if x_rank is not None:
                if not static_ok(x_rank, int(rank_static)):
                    raise ValueError(
                        f"{prefix}Tensor {x.name} must have {words} {int(rank_static)}.  "
                        f"Received rank {x_rank}, shape {x.shape}")
                return no_op(name="static_checks_determined_all_ok")
        condition = dynamic(rank_of(x), rank)
        return Assert(condition, data, summarize=summarize)


def assert_rank(x: Any, rank: Any, data: Any = None, summarize: Optional[int] = None,
                message: Optional[str] = None, name: Optional[str] = None) -> Operation:
    from .math_ops import equal
    return _rank_assert("assert_rank", "rank", lambda a, r: a == r, equal, x, rank, data,
                        summarize, message, name)


def assert_rank_at_least(x: Any, rank: Any, data: Any = None,
                         summarize: Optional[int] = None, message: Optional[str] = None,
                         name: Optional[str] = None) -> Operation:
    from .math_ops import greater_equal
    return _rank_assert("assert_rank_at_least", "rank at least", lambda a, r: a >= r,
                        greater_equal, x, rank, data, summarize, message, name)


def assert_type(tensor: Any, tf_type: Any, message: Optional[str] = None,
                name: Optional[str] = None) -> Operation:
    from .control_flow_ops import no_op
    tf_type = dtypes.as_dtype(tf_type)
    with op_scope(name, "assert_type", [tensor]):
        tensor = convert_to_tensor(tensor, name="tensor")
        if tensor.dtype != tf_type:
            raise TypeError(f"{_message_prefix(message)}{tensor.name} must be of type "
                            f"{tf_type!r}; got {tensor.dtype!r}")
        return no_op("statically_determined_correct_type")


def assert_scalar(tensor: Any, name: Optional[str] = None,
                  message: Optional[str] = None) -> Tensor:
    with op_scope(name, "assert_scalar", [tensor]) as scope:
        tensor = convert_to_tensor(tensor, name=scope)
        if tensor.shape.ndims != 0:
            raise ValueError(f"{_message_prefix(message)}Expected scalar shape for "
                             f"{tensor.name}, saw shape: {tensor.shape}.")
        return tensor


def check_numerics(tensor: Any, message: str, name: Optional[str] = None) -> Tensor:
    """Identity that fails with ``InvalidArgumentError`` on NaN or Inf; its gradient is
    checked the same way."""
    with op_scope(name, "CheckNumerics", [tensor]) as scope:
        t = convert_to_tensor(tensor, name="tensor")
        return t.graph._create_op("CheckNumerics", [t], {"message": str(message)},
                                  scope or None).outputs[0]


def verify_tensor_all_finite(t: Any = None, msg: Optional[str] = None,
                             name: Optional[str] = None, x: Any = None,
                             message: Optional[str] = None) -> Tensor:
    """``t`` after a ``CheckNumerics`` of it has run (TF1's argument names and aliases)."""
    from .control_flow_ops import with_dependencies
    from .framework import colocate_with
    if t is not None and x is not None:
        raise ValueError("Cannot specify both 't' and 'x'.")
    if msg is not None and message is not None:
        raise ValueError("Cannot specify both 'msg' and 'message'.")
    x = t if x is None else x
    message = msg if message is None else message
    with op_scope(name, "VerifyFinite", [x]):
        x = convert_to_tensor(x, name="x")
        with colocate_with(x):
            verify_input = check_numerics(x, message=message or "")
            return with_dependencies([verify_input], x)


def Print(input_: Any, data: Sequence[Any], message: Optional[str] = None,
          first_n: Optional[int] = None, summarize: Optional[int] = None,
          name: Optional[str] = None) -> Tensor:
    """Identity on ``input_`` that writes ``message`` and ``[data...]`` to stderr when it
    runs (TF1's ``Print`` op; ``first_n`` limits how many runs log)."""
    with op_scope(name, "Print", [input_] + list(data)) as scope:
        value = convert_to_tensor(input_, name="input")
        tensors = [convert_to_tensor(d, name=f"data_{i}") for i, d in enumerate(data)]
        attrs = {"message": "" if message is None else str(message),
                 "first_n": -1 if first_n is None else int(first_n),
                 "summarize": 3 if summarize is None else int(summarize)}
        return value.graph._create_op("Print", [value] + tensors, attrs,
                                      scope or None).outputs[0]


def assert_near(x: Any, y: Any, rtol: Any = None, atol: Any = None, data: Any = None,
                summarize: Optional[int] = None, message: Optional[str] = None,
                name: Optional[str] = None) -> Operation:
    """Asserts ``|x - y| < atol + rtol * |y|`` everywhere; both tolerances default to ten
    machine epsilons of the dtype."""
    from ._nn_math import reduce_all
    from .math_ops import abs as abs_, add, less, multiply, subtract
    prefix = _message_prefix(message)
    with op_scope(name, "assert_near", [x, y, rtol, atol, data]):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype)
        # As TF: numpy's finfo refuses integer dtypes with its ValueError, tolerances or not.
        eps = float(np.finfo(x.dtype.as_numpy_dtype).eps)
        rtol_t = convert_to_tensor(10 * eps if rtol is None else rtol, name="rtol",
                                   dtype=x.dtype)
        atol_t = convert_to_tensor(10 * eps if atol is None else atol, name="atol",
                                   dtype=x.dtype)
        if data is None:
            data = [prefix, f"x and y not equal to tolerance rtol = {rtol_t}, "
                            f"atol = {atol_t}", f"x ({x.name}) = ", x, f"y ({y.name}) = ", y]
        tolerance = add(atol_t, multiply(rtol_t, abs_(y)))
        difference = abs_(subtract(x, y))
        condition = reduce_all(less(difference, tolerance))
        return Assert(condition, data, summarize=summarize)


def assert_integer(x: Any, message: Optional[str] = None,
                   name: Optional[str] = None) -> Operation:
    """``TypeError`` unless ``x`` has an integer dtype (decided while building)."""
    from .control_flow_ops import no_op
    with op_scope(name, "assert_integer", [x]):
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_integer:
            raise TypeError(f'{_message_prefix(message)}Expected "x" to be integer type.  '
                            f"Found: {x.name} of dtype {x.dtype}")
        return no_op("statically_determined_was_integer")


def assert_rank_in(x: Any, ranks: Sequence[Any], data: Any = None,
                   summarize: Optional[int] = None, message: Optional[str] = None,
                   name: Optional[str] = None) -> Operation:
    """Asserts that ``x``'s rank is one of ``ranks`` (a ``ValueError`` while building when
    both are known)."""
    from .array_ops import rank as rank_of, shape
    from .control_flow_ops import no_op, with_dependencies
    from .math_ops import equal, logical_or
    with op_scope(name, "assert_rank_in", [x] + list(ranks) + list(data or [])):
        x = convert_to_tensor(x, name="x")
        ranks_t = [convert_to_tensor(r, name="rank") for r in ranks]
        prefix = _message_prefix(message)
        if data is None:
            data = [prefix, f"Tensor {x.name} must have rank in"] + list(ranks_t) + [
                "Received shape: ", shape(x)]
        for r in ranks_t:
            assert_type(r, dtypes.int32)
        statics = [_static_value(r) for r in ranks_t]
        if all(v is not None for v in statics):
            if any(v.ndim != 0 for v in statics):
                raise ValueError("Rank must be a scalar.")
            x_rank = x.shape.ndims
            if x_rank is not None:
                if x_rank not in [int(v) for v in statics]:
                    raise ValueError(
                        f"{prefix}Tensor {x.name} must have rank in "
                        f"{tuple(int(v) for v in statics)}.  Received rank {x_rank}, "
                        f"shape {x.shape}")
                return no_op(name="static_checks_determined_all_ok")
        actual = rank_of(x)
        condition = convert_to_tensor(False) if not ranks_t else equal(ranks_t[0], actual)
        for r in ranks_t[1:]:
            condition = logical_or(condition, equal(r, actual))
        for r, v in zip(ranks_t, statics):
            if v is None:
                check = assert_rank(r, 0, data=["Rank must be a scalar. Received rank: ", r])
                condition = with_dependencies([check], condition)
        return Assert(condition, data, summarize=summarize)


def assert_same_float_dtype(tensors: Any = None, dtype: Any = None) -> dtypes.DType:
    """The one floating dtype of ``tensors`` (and ``dtype``), float32 when there are none;
    ``ValueError`` for a mix or a non-floating dtype."""
    expected = None if dtype is None else dtypes.as_dtype(dtype)
    first_name = None
    for item in tensors or []:
        if item is None:
            continue
        item_type = item.dtype
        if expected is None:
            expected, first_name = item_type, getattr(item, "name", str(item))
        elif item_type != expected:
            name = getattr(item, "name", str(item))
            known = f" as {first_name}" if first_name else ""
            raise ValueError(f"{name}, type={item_type}, must be of the same type "
                             f"({expected}){known}.")
    if expected is None:
        return dtypes.float32
    if not expected.is_floating:
        raise ValueError(f"Expected floating point type, got {expected}.")
    return expected


def assert_proper_iterable(values: Any) -> None:
    """``TypeError`` for a tensor, array or string (iterable by accident) or a non-iterable."""
    from .sparse_tensor import SparseTensor
    if isinstance(values, (Tensor, SparseTensor, np.ndarray, str, bytes)):
        raise TypeError('Expected argument "values" to be a "proper" iterable.  Found: '
                        f"{type(values)}")
    if not hasattr(values, "__iter__"):
        raise TypeError(f'Expected argument "values" to be iterable.  Found: {type(values)}')


def is_numeric_tensor(tensor: Any) -> bool:
    return isinstance(tensor, Tensor) and tensor.dtype in (
        dtypes.float32, dtypes.float64, dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64,
        dtypes.uint8)


def _neighbours(x: Any, compare: Callable[..., Tensor]) -> Tensor:
    """``compare(x[1:], x[:-1])`` over ``x`` flattened; empty below two elements."""
    from .array_ops import reshape, shape, size, strided_slice
    from .cond_ops import cond
    from .math_ops import add, less
    x = reshape(x, [-1])
    if not is_numeric_tensor(x):
        raise TypeError(f"Expected x to be numeric, instead found: {x}")
    last = add(shape(x), -1)
    return cond(less(size(x), 2), lambda: convert_to_tensor([], dtype=dtypes.bool),
                lambda: compare(strided_slice(x, [1], add([1], last)),
                                strided_slice(x, [0], last)))


def is_non_decreasing(x: Any, name: Optional[str] = None) -> Tensor:
    """Whether ``x`` (flattened) never decreases; True below two elements."""
    from ._nn_math import reduce_all
    from .math_ops import greater_equal
    with op_scope(name, "is_non_decreasing", [x]):
        return reduce_all(_neighbours(convert_to_tensor(x, name="x"), greater_equal))


def is_strictly_increasing(x: Any, name: Optional[str] = None) -> Tensor:
    """Whether ``x`` (flattened) always increases; True below two elements."""
    from ._nn_math import reduce_all
    from .math_ops import greater
    with op_scope(name, "is_strictly_increasing", [x]):
        return reduce_all(_neighbours(convert_to_tensor(x, name="x"), greater))
