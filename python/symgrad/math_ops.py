"""Elementwise math, comparisons, casts, reductions, matmul and the Tensor operators."""

from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from . import dtypes as _dtypes
from ._op_helpers import (convert_list_same_type, convert_same_type, create_tensor,
                          int_tensor, op_scope)
from .constant_op import constant, convert_to_tensor
from .framework import Tensor

__all__ = [
    "add", "add_v2", "subtract", "multiply", "divide", "truediv", "div", "realdiv",
    "floordiv", "floor_div", "mod", "floormod", "pow", "maximum", "minimum",
    "squared_difference", "negative", "abs", "sign", "square", "sqrt", "rsqrt", "exp", "log",
    "log1p", "reciprocal", "sin", "cos", "tanh", "sigmoid", "expm1", "tan", "floor", "ceil",
    "round", "less", "less_equal", "greater",
    "greater_equal", "equal", "not_equal", "logical_and", "logical_or", "logical_not", "cast",
    "to_float", "to_double", "to_int32", "to_int64", "where", "where_v2", "reduce_sum",
    "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "matmul", "add_n",
    "accumulate_n", "range",
]


# ----- elementwise binary ops -----
def _binary(op_type: str, default_name: str, x: Any, y: Any, name: Optional[str]) -> Tensor:
    with op_scope(name, default_name, [x, y]) as scope:
        tx, ty = convert_same_type(op_type, [("x", x), ("y", y)])
        return create_tensor(op_type, [tx, ty], {}, scope)


def add(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("AddV2", "Add", x, y, name)


def add_v2(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("AddV2", "AddV2", x, y, name)


def subtract(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("Sub", "Sub", x, y, name)


def multiply(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("Mul", "Mul", x, y, name)


def _float_type_for_int(dtype: _dtypes.DType) -> _dtypes.DType:
    # TF's truediv: small ints divide as float32, int32/int64 as float64.
    if dtype in (_dtypes.int8, _dtypes.int16, _dtypes.uint8):
        return _dtypes.float32
    return _dtypes.float64


def _truediv_in_scope(x: Any, y: Any, scope: str) -> Tensor:
    tx, ty = convert_same_type("RealDiv", [("x", x), ("y", y)])
    if tx.dtype.is_integer:
        target = _float_type_for_int(tx.dtype)
        tx, ty = cast(tx, target), cast(ty, target)
    return create_tensor("RealDiv", [tx, ty], {}, scope)


def truediv(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    with op_scope(name, "truediv", [x, y]) as scope:
        return _truediv_in_scope(x, y, scope)


def divide(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    if name is not None:
        # TF: with a name, divide is ``x / y`` wrapped in that scope's truediv.
        with op_scope(name, "truediv", [x, y]) as scope:
            return _truediv_in_scope(x, y, scope)
    return truediv(x, y)


def div(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    """TF1's deprecated ``div``: RealDiv for floats, FloorDiv for integers."""
    with op_scope(name, "div", [x, y]) as scope:
        tx, ty = convert_same_type("RealDiv", [("x", x), ("y", y)])
        op_type = "FloorDiv" if tx.dtype.is_integer else "RealDiv"
        return create_tensor(op_type, [tx, ty], {}, scope)


def realdiv(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("RealDiv", "RealDiv", x, y, name)


def floordiv(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("FloorDiv", "floordiv", x, y, name)


floor_div = floordiv


def floormod(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("FloorMod", "FloorMod", x, y, name)


mod = floormod


def pow(x: Any, y: Any, name: Optional[str] = None) -> Tensor:  # noqa: A001 - TF's name
    return _binary("Pow", "Pow", x, y, name)


def maximum(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("Maximum", "Maximum", x, y, name)


def minimum(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("Minimum", "Minimum", x, y, name)


def squared_difference(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("SquaredDifference", "SquaredDifference", x, y, name)


def less(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("Less", "Less", x, y, name)


def less_equal(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("LessEqual", "LessEqual", x, y, name)


def greater(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("Greater", "Greater", x, y, name)


def greater_equal(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("GreaterEqual", "GreaterEqual", x, y, name)


def equal(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("Equal", "Equal", x, y, name)


def not_equal(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("NotEqual", "NotEqual", x, y, name)


def logical_and(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("LogicalAnd", "LogicalAnd", x, y, name)


def logical_or(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("LogicalOr", "LogicalOr", x, y, name)


# ----- elementwise unary ops -----
def _unary(op_type: str, x: Any, name: Optional[str], default_name: Optional[str] = None
           ) -> Tensor:
    with op_scope(name, default_name or op_type, [x]) as scope:
        tx = convert_to_tensor(x, name="x")
        return create_tensor(op_type, [tx], {}, scope)


def negative(x: Any, name: Optional[str] = None) -> Tensor:
    return _unary("Neg", x, name)


def abs(x: Any, name: Optional[str] = None) -> Tensor:  # noqa: A001 - TF's name
    return _unary("Abs", x, name)


def sign(x: Any, name: Optional[str] = None) -> Tensor:
    return _unary("Sign", x, name)


def square(x: Any, name: Optional[str] = None) -> Tensor:
    return _unary("Square", x, name)


def sqrt(x: Any, name: Optional[str] = None) -> Tensor:
    return _unary("Sqrt", x, name)


def rsqrt(x: Any, name: Optional[str] = None) -> Tensor:
    return _unary("Rsqrt", x, name)


def exp(x: Any, name: Optional[str] = None) -> Tensor:
    return _unary("Exp", x, name)


def log(x: Any, name: Optional[str] = None) -> Tensor:
    return _unary("Log", x, name)


def log1p(x: Any, name: Optional[str] = None) -> Tensor:
    return _unary("Log1p", x, name)


def reciprocal(x: Any, name: Optional[str] = None) -> Tensor:
    return _unary("Reciprocal", x, name)


def sin(x: Any, name: Optional[str] = None) -> Tensor:
    return _unary("Sin", x, name)


def cos(x: Any, name: Optional[str] = None) -> Tensor:
    return _unary("Cos", x, name)


def tanh(x: Any, name: Optional[str] = None) -> Tensor:
    return _unary("Tanh", x, name)


def sigmoid(x: Any, name: Optional[str] = None) -> Tensor:
    return _unary("Sigmoid", x, name)


def expm1(x: Any, name: Optional[str] = None) -> Tensor:
    return _unary("Expm1", x, name)


def tan(x: Any, name: Optional[str] = None) -> Tensor:
    return _unary("Tan", x, name)


def floor(x: Any, name: Optional[str] = None) -> Tensor:
    return _unary("Floor", x, name)


def ceil(x: Any, name: Optional[str] = None) -> Tensor:
    return _unary("Ceil", x, name)


def round(x: Any, name: Optional[str] = None) -> Tensor:  # noqa: A001 - TF's name
    """Rounds half to even; integer tensors are returned unchanged (as TF)."""
    tx = convert_to_tensor(x)
    if tx.dtype.is_integer:
        return tx
    return _unary("Round", tx, name)


def logical_not(x: Any, name: Optional[str] = None) -> Tensor:
    return _unary("LogicalNot", x, name)


# ----- casts -----
def cast(x: Any, dtype: Any, name: Optional[str] = None) -> Tensor:
    target = _dtypes.as_dtype(dtype)
    if isinstance(x, Tensor) and x.dtype is target:
        return x  # TF returns the input itself when no cast is needed
    with op_scope(name, "Cast", [x]) as scope:
        tx = convert_to_tensor(x, name="x")
        if tx.dtype is target:
            return tx
        return create_tensor("Cast", [tx], {"DstT": target.name, "Truncate": False}, scope)


def to_float(x: Any, name: str = "ToFloat") -> Tensor:
    return cast(x, _dtypes.float32, name=name)


def to_double(x: Any, name: str = "ToDouble") -> Tensor:
    return cast(x, _dtypes.float64, name=name)


def to_int32(x: Any, name: str = "ToInt32") -> Tensor:
    return cast(x, _dtypes.int32, name=name)


def to_int64(x: Any, name: str = "ToInt64") -> Tensor:
    return cast(x, _dtypes.int64, name=name)


# ----- selection -----
def where(condition: Any, x: Any = None, y: Any = None, name: Optional[str] = None) -> Tensor:
    """TF1's ``where``: ``Select`` (cond same shape as x, or a vector over dim 0)."""
    if x is None and y is None:
        raise NotImplementedError(
            "where(condition) without x and y needs the Where op, which symgrad does not "
            "implement yet")
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    with op_scope(name, "Select", [condition, x, y]) as scope:
        cond = convert_to_tensor(condition, dtype=_dtypes.bool, name="condition")
        tx, ty = convert_same_type("Select", [("t", x), ("e", y)])
        return create_tensor("Select", [cond, tx, ty], {}, scope)


def where_v2(condition: Any, x: Any = None, y: Any = None, name: Optional[str] = None
             ) -> Tensor:
    """Broadcasting ``where`` (``SelectV2``)."""
    if x is None or y is None:
        raise NotImplementedError("where_v2 needs both x and y in symgrad")
    with op_scope(name, "SelectV2", [condition, x, y]) as scope:
        cond = convert_to_tensor(condition, dtype=_dtypes.bool, name="condition")
        tx, ty = convert_same_type("SelectV2", [("t", x), ("e", y)])
        return create_tensor("SelectV2", [cond, tx, ty], {}, scope)


# ----- reductions -----
def _pick_deprecated(new_name: str, new: Any, old_name: str, old: Any) -> Any:
    if new is not None and old is not None:
        raise ValueError(f"Cannot specify both '{new_name}' and '{old_name}'.")
    return new if new is not None else old


def _reduction_dims(x: Tensor, axis: Any) -> Any:
    """All axes: a Const when the rank is static, else ``range(0, rank(x))`` (as TF)."""
    if axis is not None:
        return axis
    rank_ = x.shape.rank
    if rank_ is not None:
        return constant(np.arange(rank_, dtype=np.int32))
    from .array_ops import rank as rank_op
    return range(0, rank_op(x))


def _reduce(op_type: str, input_tensor: Any, axis: Any, keepdims: Any, name: Optional[str],
            reduction_indices: Any, keep_dims: Any) -> Tensor:
    axis = _pick_deprecated("axis", axis, "reduction_indices", reduction_indices)
    keepdims = _pick_deprecated("keepdims", keepdims, "keep_dims", keep_dims)
    x = convert_to_tensor(input_tensor)
    with x.graph.as_default():
        dims = _reduction_dims(x, axis)
    with op_scope(name, op_type, [x, dims]) as scope:
        index = int_tensor(dims, "reduction_indices")
        result = create_tensor(op_type, [x, index], {"keep_dims": bool(keepdims)}, scope)
    if axis is None and not keepdims:
        result.set_shape([])  # reducing everything gives a scalar, even for unknown rank
    return result


def reduce_sum(input_tensor: Any, axis: Any = None, keepdims: Any = None,
               name: Optional[str] = None, reduction_indices: Any = None,
               keep_dims: Any = None) -> Tensor:
    return _reduce("Sum", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_mean(input_tensor: Any, axis: Any = None, keepdims: Any = None,
                name: Optional[str] = None, reduction_indices: Any = None,
                keep_dims: Any = None) -> Tensor:
    return _reduce("Mean", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_max(input_tensor: Any, axis: Any = None, keepdims: Any = None,
               name: Optional[str] = None, reduction_indices: Any = None,
               keep_dims: Any = None) -> Tensor:
    return _reduce("Max", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_min(input_tensor: Any, axis: Any = None, keepdims: Any = None,
               name: Optional[str] = None, reduction_indices: Any = None,
               keep_dims: Any = None) -> Tensor:
    return _reduce("Min", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_prod(input_tensor: Any, axis: Any = None, keepdims: Any = None,
                name: Optional[str] = None, reduction_indices: Any = None,
                keep_dims: Any = None) -> Tensor:
    return _reduce("Prod", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


# ----- linear algebra -----
def matmul(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False,
           adjoint_a: bool = False, adjoint_b: bool = False, a_is_sparse: bool = False,
           b_is_sparse: bool = False, output_type: Any = None, grad_a: bool = False,
           grad_b: bool = False, name: Optional[str] = None) -> Tensor:
    """``MatMul`` for two rank-2 inputs, ``BatchMatMulV2`` otherwise (as TF)."""
    if transpose_a and adjoint_a:
        raise ValueError("Only one of transpose_a and adjoint_a can be True.")
    if transpose_b and adjoint_b:
        raise ValueError("Only one of transpose_b and adjoint_b can be True.")
    with op_scope(name, "MatMul", [a, b]) as scope:
        ta = convert_to_tensor(a, name="a")
        tb = convert_to_tensor(b, preferred_dtype=ta.dtype, name="b")
        rank_a, rank_b = ta.shape.rank, tb.shape.rank
        batched = rank_a is None or rank_b is None or rank_a > 2 or rank_b > 2
        if batched:
            _check_same_type("BatchMatMulV2", ("x", ta), ("y", tb))
            return create_tensor("BatchMatMulV2", [ta, tb],
                                 {"adj_x": bool(transpose_a or adjoint_a),
                                  "adj_y": bool(transpose_b or adjoint_b)}, scope)
        _check_same_type("MatMul", ("a", ta), ("b", tb))
        return create_tensor("MatMul", [ta, tb],
                             {"transpose_a": bool(transpose_a or adjoint_a),
                              "transpose_b": bool(transpose_b or adjoint_b)}, scope)


def _check_same_type(op_type: str, first: tuple[str, Tensor], second: tuple[str, Tensor]
                     ) -> None:
    if first[1].dtype is not second[1].dtype:
        raise TypeError(
            f"Input '{second[0]}' of '{op_type}' Op has type {second[1].dtype.name} that does "
            f"not match type {first[1].dtype.name} of argument '{first[0]}'.")


# ----- sums of lists -----
def add_n(inputs: Any, name: Optional[str] = None) -> Tensor:
    """Sums a list of tensors with one ``AddN`` (a single input is returned as is)."""
    message = ("Inputs must be an iterable of at least one Tensor/IndexedSlices with the "
               "same dtype and shape.")
    if isinstance(inputs, Tensor) or not isinstance(inputs, (list, tuple)) or not inputs:
        if isinstance(inputs, Tensor):
            iter(inputs)  # raises TF's "Iterating over a symbolic tf.Tensor" error
        raise ValueError(message)
    if len(inputs) == 1:
        only = inputs[0]
        if name:
            from .array_ops import identity
            return identity(only, name=name)
        return only if isinstance(only, Tensor) else convert_to_tensor(only)
    with op_scope(name, "AddN", list(inputs)) as scope:
        tensors = convert_list_same_type("AddN", "inputs", list(inputs))
        return create_tensor("AddN", tensors, {}, scope)


def accumulate_n(inputs: Any, shape: Any = None, tensor_dtype: Any = None,
                 name: Optional[str] = None) -> Tensor:
    """TF 2.21's ``accumulate_n``: argument checks, then ``add_n``."""
    if not inputs or not isinstance(inputs, (list, tuple)):
        raise ValueError("inputs must be a list of at least one Tensor/IndexedSlices with "
                         "the same dtype and shape")
    tensors = [convert_to_tensor(t) for t in inputs]
    if tensor_dtype is not None and any(
            t.dtype is not _dtypes.as_dtype(tensor_dtype) for t in tensors):
        raise TypeError("tensor_dtype is {}, but input is of type {}".format(
            _dtypes.as_dtype(tensor_dtype).name,
            next(t.dtype.name for t in tensors if t.dtype is not _dtypes.as_dtype(tensor_dtype))))
    if shape is not None:
        from .tensor_shape import as_shape
        wanted = as_shape(shape)
        for t in tensors:
            if not t.shape.is_compatible_with(wanted):
                raise ValueError(f"Shapes {t.shape} and {wanted} are incompatible")
    return add_n(tensors, name=name)


# ----- range -----
_RANGE_ORDER = (_dtypes.int32, _dtypes.int64, _dtypes.float32, _dtypes.float64)


def range(start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None,  # noqa: A001
          name: str = "range") -> Tensor:
    if limit is None:
        start, limit = 0, start
    target = _dtypes.as_dtype(dtype) if dtype is not None else None
    with op_scope(name, "Range", [start, limit, delta]) as scope:
        parts = []
        for arg_name, value in (("start", start), ("limit", limit), ("delta", delta)):
            if isinstance(value, Tensor):
                parts.append(value)
            else:
                parts.append(convert_to_tensor(value, dtype=target, name=arg_name))
        if target is None:
            ranked = [t.dtype for t in parts if t.dtype in _RANGE_ORDER]
            target = max(ranked, key=_RANGE_ORDER.index) if ranked else parts[0].dtype
        parts = [cast(t, target) for t in parts]
        return create_tensor("Range", parts, {}, scope)


# ----- operators -----
# operator key -> (scope name, function building the op inside that scope)
def _operator_table() -> dict[str, tuple[str, Callable[[Any, Any, str], Tensor]]]:
    def simple(op_type: str) -> Callable[[Any, Any, str], Tensor]:
        def build(x: Any, y: Any, scope: str) -> Tensor:
            tx, ty = convert_same_type(op_type, [("x", x), ("y", y)])
            return create_tensor(op_type, [tx, ty], {}, scope)
        return build

    def build_matmul(x: Any, y: Any, scope: str) -> Tensor:
        return matmul(x, y, name=scope)

    return {
        "add": ("add", simple("AddV2")),
        "sub": ("sub", simple("Sub")),
        "mul": ("mul", simple("Mul")),
        "truediv": ("truediv", _truediv_in_scope),
        "floordiv": ("floordiv", simple("FloorDiv")),
        "mod": ("mod", simple("FloorMod")),
        "pow": ("pow", simple("Pow")),
        "matmul": ("matmul", build_matmul),
        "and": ("and", simple("LogicalAnd")),
        "or": ("or", simple("LogicalOr")),
        "Less": ("Less", simple("Less")),
        "LessEqual": ("LessEqual", simple("LessEqual")),
        "Greater": ("Greater", simple("Greater")),
        "GreaterEqual": ("GreaterEqual", simple("GreaterEqual")),
    }


_OPERATORS: Optional[dict[str, tuple[str, Callable[[Any, Any, str], Tensor]]]] = None


def binary_operator(key: str, tensor: Tensor, other: Any, reflected: bool = False) -> Tensor:
    """``tensor <op> other`` (or ``other <op> tensor`` when reflected), as TF's wrappers.

    The non-tensor operand takes the tensor's dtype; when reflected, a failed conversion
    raises at once (TF's ``r_binary_op_wrapper``), otherwise the op reports the mismatch.
    """
    global _OPERATORS
    if _OPERATORS is None:
        _OPERATORS = _operator_table()
    scope_name, build = _OPERATORS[key]
    with op_scope(None, scope_name, [tensor, other]) as scope:
        if reflected:
            left = convert_to_tensor(other, dtype=tensor.dtype, name="x")
            return build(left, tensor, scope)
        if not isinstance(other, Tensor) and key != "matmul":
            try:
                other = convert_to_tensor(other, dtype=tensor.dtype, name="y")
            except (TypeError, ValueError):
                pass  # the op's own conversion reports TF's mismatch error
        return build(tensor, other, scope)
