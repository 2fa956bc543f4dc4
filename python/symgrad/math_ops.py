"""Elementwise math, comparisons, casts, reductions, matmul and the Tensor operators."""

from __future__ import annotations

import builtins
import collections
from typing import Any, Callable, Optional

import numpy as np

from . import dtypes as _dtypes
from ._op_helpers import (convert_list_same_type, convert_same_type, create_op, create_tensor,
                          int_tensor, op_scope)
from .constant_op import constant, convert_to_tensor
from .framework import Tensor

__all__ = [
    "add", "add_v2", "subtract", "multiply", "divide", "truediv", "div", "realdiv",
    "div_no_nan", "divide_no_nan",
    "floordiv", "floor_div", "mod", "floormod", "pow", "maximum", "minimum",
    "squared_difference", "negative", "abs", "sign", "square", "sqrt", "rsqrt", "exp", "log",
    "log1p", "reciprocal", "sin", "cos", "tanh", "sigmoid", "expm1", "tan", "floor", "ceil",
    "round", "less", "less_equal", "greater",
    "greater_equal", "equal", "not_equal", "logical_and", "logical_or", "logical_not", "cast",
    "to_float", "to_double", "to_int32", "to_int64", "where", "where_v2", "reduce_sum",
    "reduce_euclidean_norm",
    "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "matmul", "add_n",
    "accumulate_n", "range", "cumsum", "cumprod", "argmax", "argmin", "top_k", "sort",
    "argsort", "linspace", "lin_space", "eye", "einsum", "tensordot",
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


def div_no_nan(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    """``x / y``, 0 where ``y`` is 0 (TF's ``DivNoNan``); integers divide as floats."""
    with op_scope(name, "div_no_nan", [x, y]) as scope:
        if not isinstance(x, Tensor) and isinstance(y, Tensor):
            ty = convert_to_tensor(y, name="y")
            tx = convert_to_tensor(x, dtype=ty.dtype, name="x")
        else:
            tx = convert_to_tensor(x, name="x")
            ty = convert_to_tensor(y, dtype=tx.dtype if not isinstance(y, Tensor) else None,
                                   name="y")
        if tx.dtype is not ty.dtype:
            raise TypeError(f"`x` and `y` must have the same dtype, got {tx.dtype!r} != "
                            f"{ty.dtype!r}.")
        if tx.dtype.is_integer:
            target = _float_type_for_int(tx.dtype)
            tx, ty = cast(tx, target), cast(ty, target)
        return create_tensor("DivNoNan", [tx, ty], {}, scope)


divide_no_nan = div_no_nan


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
    """``|x|``; for complex ``x`` the modulus, a real tensor (``ComplexAbs``, as TF)."""
    with op_scope(name, "Abs", [x]) as scope:
        tx = convert_to_tensor(x, name="x")
        if tx.dtype.is_complex:
            return create_tensor("ComplexAbs", [tx], {"Tout": tx.dtype.real_dtype.name}, scope)
        return create_tensor("Abs", [tx], {}, scope)


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
    """TF1's ``where``: ``Select`` (cond same shape as x, or a vector over dim 0); with only
    a condition, the coordinates of its true elements (``Where``)."""
    if x is None and y is None:
        return _where_coordinates(condition, name)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    with op_scope(name, "Select", [condition, x, y]) as scope:
        cond = convert_to_tensor(condition, dtype=_dtypes.bool, name="condition")
        tx, ty = convert_same_type("Select", [("t", x), ("e", y)])
        return create_tensor("Select", [cond, tx, ty], {}, scope)


def where_v2(condition: Any, x: Any = None, y: Any = None, name: Optional[str] = None
             ) -> Tensor:
    """Broadcasting ``where`` (``SelectV2``); with only a condition, ``Where``."""
    if x is None and y is None:
        return _where_coordinates(condition, name)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    with op_scope(name, "SelectV2", [condition, x, y]) as scope:
        cond = convert_to_tensor(condition, dtype=_dtypes.bool, name="condition")
        tx, ty = convert_same_type("SelectV2", [("t", x), ("e", y)])
        return create_tensor("SelectV2", [cond, tx, ty], {}, scope)


def _where_coordinates(condition: Any, name: Optional[str]) -> Tensor:
    """``Where``: an int64 ``[num_true, rank]`` matrix of the true (nonzero) coordinates."""
    with op_scope(name, "Where", [condition]) as scope:
        cond = convert_to_tensor(condition, preferred_dtype=_dtypes.bool, name="condition")
        return create_tensor("Where", [cond], {}, scope)


def logical_xor(x: Any, y: Any, name: str = "LogicalXor") -> Tensor:
    """``(x | y) & ~(x & y)``, built from three ops as TF builds it."""
    either = logical_or(x, y)
    both = logical_and(x, y)
    return logical_and(either, logical_not(both), name=name)


# ----- reductions -----
def _pick_deprecated(new_name: str, new: Any, old_name: str, old: Any) -> Any:
    if new is not None and old is not None:
        raise ValueError(f"Cannot specify both '{new_name}' and '{old_name}'.")
    return new if new is not None else old


def _reduction_dims(x: Tensor, axis: Any) -> Any:
    """All axes: a Const when the rank is static and non-zero, else ``range(0, rank(x))``
    (as TF, whose test of the rank is falsy for a scalar too)."""
    if axis is not None:
        return axis
    rank_ = x.shape.rank
    if rank_:
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


def reduce_euclidean_norm(input_tensor: Any, axis: Any = None, keepdims: Any = False,
                          name: Optional[str] = None) -> Tensor:
    """``EuclideanNorm``: ``sqrt(sum(x * x))`` over ``axis``."""
    return _reduce("EuclideanNorm", input_tensor, axis, keepdims, name, None, None)


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
        # For complex numbers an adjoint conjugates as well: TF conjugates a transposed batch
        # operand and takes the adjoint (`adj_x` is the conjugate transpose), and a 2-D
        # operand's adjoint is a `Conj` and a transpose. Real tensors get no `Conj`.
        from .complex_ops import conj
        if batched:
            _check_same_type("BatchMatMulV2", ("x", ta), ("y", tb))
            if transpose_a:
                ta = conj(ta)
            if transpose_b:
                tb = conj(tb)
            return create_tensor("BatchMatMulV2", [ta, tb],
                                 {"adj_x": bool(transpose_a or adjoint_a),
                                  "adj_y": bool(transpose_b or adjoint_b)}, scope)
        _check_same_type("MatMul", ("a", ta), ("b", tb))
        if adjoint_a:
            ta = conj(ta)
        if adjoint_b:
            tb = conj(tb)
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
_RANGE_ORDER = (_dtypes.int32, _dtypes.int64, _dtypes.float16, _dtypes.float32,
                _dtypes.float64)


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
        "xor": ("xor", lambda x, y, scope: logical_xor(x, y, name=scope)),
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


# ----- along an axis -----
def cumsum(x: Any, axis: Any = 0, exclusive: bool = False, reverse: bool = False,
           name: Optional[str] = None) -> Tensor:
    """``Cumsum``: running sums along ``axis`` (``exclusive`` leaves out the element itself)."""
    with op_scope(name, "Cumsum", [x]) as scope:
        value = convert_to_tensor(x, name="x")
        return create_tensor("Cumsum", [value, int_tensor(axis, "axis")],
                             {"exclusive": bool(exclusive), "reverse": bool(reverse)}, scope)


def cumprod(x: Any, axis: Any = 0, exclusive: bool = False, reverse: bool = False,
            name: Optional[str] = None) -> Tensor:
    """``Cumprod``: running products along ``axis``."""
    with op_scope(name, "Cumprod", [x]) as scope:
        value = convert_to_tensor(x, name="x")
        return create_tensor("Cumprod", [value, int_tensor(axis, "axis")],
                             {"exclusive": bool(exclusive), "reverse": bool(reverse)}, scope)


def _arg_reduce(op_type: str, input: Any, axis: Any, name: Optional[str], dimension: Any,
                output_type: Any) -> Tensor:
    axis = _pick_deprecated("axis", axis, "dimension", dimension)
    if axis is None:
        axis = 0
    with op_scope(name, op_type, [input]) as scope:
        value = convert_to_tensor(input, name="input")
        out = _dtypes.as_dtype(output_type)
        return create_tensor(op_type, [value, int_tensor(axis, "dimension")],
                             {"output_type": out.name}, scope)


def argmax(input: Any, axis: Any = None, name: Optional[str] = None, dimension: Any = None,
           output_type: Any = _dtypes.int64) -> Tensor:
    """``ArgMax``: the index of the largest value along ``axis`` (default 0)."""
    return _arg_reduce("ArgMax", input, axis, name, dimension, output_type)


def argmin(input: Any, axis: Any = None, name: Optional[str] = None, dimension: Any = None,
           output_type: Any = _dtypes.int64) -> Tensor:
    """``ArgMin``: the index of the smallest value along ``axis`` (default 0)."""
    return _arg_reduce("ArgMin", input, axis, name, dimension, output_type)


def arg_max(input: Any, dimension: Any, output_type: Any = _dtypes.int64,
            name: Optional[str] = None) -> Tensor:
    """TF 1's ``arg_max``: ``argmax`` along ``dimension``."""
    return _arg_reduce("ArgMax", input, dimension, name, None, output_type)


def arg_min(input: Any, dimension: Any, output_type: Any = _dtypes.int64,
            name: Optional[str] = None) -> Tensor:
    """TF 1's ``arg_min``: ``argmin`` along ``dimension``."""
    return _arg_reduce("ArgMin", input, dimension, name, None, output_type)


def top_k(input: Any, k: Any = 1, sorted: bool = True,  # noqa: A002 - TF's name
          name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    """``TopKV2``: the ``k`` largest values of the last dimension and their indices."""
    with op_scope(name, "TopKV2", [input, k]) as scope:
        value = convert_to_tensor(input, name="input")
        op = create_op("TopKV2", [value, int_tensor(k, "k")], {"sorted": bool(sorted)}, scope)
        return op.outputs[0], op.outputs[1]


_SORT_DIRECTIONS = ("ASCENDING", "DESCENDING")


def _axis_length(values: Tensor, axis: int) -> Any:
    """``shape(values)[axis]``: a Python int when static, else ``Slice`` of ``Shape``."""
    from .array_ops import reshape, shape as shape_op, slice as slice_op
    static_rank = values.shape.rank
    if static_rank is not None:
        dim = values.shape.as_list()[axis]
        if dim is not None:
            return dim
        begin: Any = [axis % static_rank]
    else:
        from .array_ops import rank as rank_op
        begin = reshape(add(rank_op(values), axis), [1]) if axis < 0 else [axis]
    return reshape(slice_op(shape_op(values), begin, [1]), [])


def _sort_or_argsort(values: Any, axis: Any, direction: str, return_argsort: bool) -> Tensor:
    from .array_ops import transpose
    if direction not in _SORT_DIRECTIONS:
        raise ValueError(f"{direction} should be one of {', '.join(_SORT_DIRECTIONS)}")
    if isinstance(axis, Tensor) or np.ndim(axis) != 0:
        raise ValueError("axis must be a constant scalar")
    axis = int(axis)
    x = convert_to_tensor(values, name="values")
    rank_ = x.shape.rank
    if rank_ is not None and not -rank_ <= axis < rank_:
        raise ValueError(f"axis {axis} is out of bounds for a tensor of rank {rank_}")
    ascending = direction == "ASCENDING"
    if ascending:
        # TF sorts ascending as the descending sort of the negated values.
        x = negative(x) if not x.dtype.is_unsigned else subtract(x.dtype.max, x)
    transposition = None
    if not (axis == -1 or (rank_ is not None and axis + 1 == rank_)):
        if rank_ is None:
            raise ValueError("sort along an axis other than the last needs a known rank")
        axis %= rank_
        perm = list(builtins.range(axis)) + [rank_ - 1] + \
            list(builtins.range(axis + 1, rank_ - 1)) + [axis]
        transposition = constant(np.array(perm, dtype=np.int32), name="transposition")
        x = transpose(x, transposition)
    k = _axis_length(x, -1)
    top_values, indices = top_k(x, k)
    result = indices if return_argsort else top_values
    if transposition is not None:
        result = transpose(result, transposition)
    if ascending and not return_argsort:
        result = negative(result) if not result.dtype.is_unsigned else \
            subtract(result.dtype.max, result)
    return result


def sort(values: Any, axis: Any = -1, direction: str = "ASCENDING",
         name: Optional[str] = None) -> Tensor:
    """Sorted values along ``axis``, built on ``TopKV2`` as TF does."""
    with op_scope(name, "sort", [values]):
        return _sort_or_argsort(values, axis, direction, return_argsort=False)


def argsort(values: Any, axis: Any = -1, direction: str = "ASCENDING", stable: bool = False,
            name: Optional[str] = None) -> Tensor:
    """Indices that sort ``values`` along ``axis`` (always stable: ``TopKV2`` keeps ties in
    index order)."""
    del stable
    with op_scope(name, "argsort", [values]):
        return _sort_or_argsort(values, axis, direction, return_argsort=True)


def linspace(start: Any, stop: Any, num: Any, name: Optional[str] = None,
             axis: int = 0) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive, along a new ``axis``
    (``start`` and ``stop`` broadcast against each other).

    TF 2.21's ``linspace_nd``, op for op: the interior points are ``start + delta * k`` and
    the last one is ``stop`` itself, then a ``Slice`` keeps ``num`` of them (so ``num`` 0 and
    1 work; TF's single ``LinSpace`` op still imports from a GraphDef and runs).
    """
    from .array_ops import (broadcast_to, concat, expand_dims, reshape, shape, slice,
                            zeros_like)
    from .layout_ops import broadcast_dynamic_shape

    with op_scope(name, "linspace", [start, stop]):
        tstart = convert_to_tensor(start, name="start")
        tstop = convert_to_tensor(stop, name="stop", dtype=tstart.dtype)
        # TF's convert_to_int_tensor: an integer tensor, cast to int32 by the generated op
        # even when it is int32 already; then a cast to start's dtype it leaves unused.
        num_int = convert_to_tensor(num, name="num", preferred_dtype=_dtypes.int32)
        if not num_int.dtype.is_integer:
            raise TypeError(f"num must be an integer tensor, got {num_int.dtype}")
        with op_scope(None, "Cast", [num_int]) as cast_scope:
            num_int = create_tensor("Cast", [num_int], {"DstT": "int32", "Truncate": False},
                                    cast_scope)
        cast(num_int, dtype=tstart.dtype)
        broadcast_shape = broadcast_dynamic_shape(shape(tstart), shape(tstop))
        tstart = broadcast_to(tstart, broadcast_shape)
        tstop = broadcast_to(tstop, broadcast_shape)
        first = expand_dims(tstart, axis=axis)
        last = expand_dims(tstop, axis=axis)
        full_shape = shape(first)
        ndims = shape(full_shape)[0]
        axis_t = where_v2(axis >= 0, axis, ndims + axis)
        num_fill = maximum(num_int - 2, 0)
        n_steps = maximum(num_int - 1, 1)
        delta = (last - first) / cast(n_steps, last.dtype)
        first = cast(first, delta.dtype)
        last = cast(last, delta.dtype)
        range_end = where_v2(num_int >= 0, n_steps, -1)
        steps = cast(range(1, range_end, dtype=_dtypes.int64), delta.dtype)
        mask = equal(axis_t, range(ndims))
        steps = reshape(steps, where_v2(mask, num_fill, 1))
        interior = first + delta * steps
        joined = concat((first, interior, last), axis=axis_t)
        begin = zeros_like(full_shape)
        size = concat((full_shape[0:axis_t], reshape(num_int, [1]), full_shape[axis_t + 1:]),
                      axis=0)
        return slice(joined, begin, size)


lin_space = linspace


def eye(num_rows: Any, num_columns: Any = None, batch_shape: Any = None,
        dtype: Any = _dtypes.float32, name: Optional[str] = None) -> Tensor:
    """An identity matrix (or a batch of them).

    TF builds it with ``MatrixDiagV3`` of ones; symgrad compares a row index column with a
    column index row (``Equal(ExpandDims(Range), ExpandDims(Range))``, cast to ``dtype``),
    and broadcasts over ``batch_shape`` with ``BroadcastTo``. Values are the same; op names
    differ.
    """
    from .array_ops import broadcast_to, concat, expand_dims, shape as shape_op
    target = _dtypes.as_dtype(dtype)
    with op_scope(name, "eye", [num_rows, num_columns, batch_shape]):
        rows = range(num_rows)
        columns = rows if num_columns is None else range(num_columns)
        hit = equal(expand_dims(rows, 1), expand_dims(columns, 0))
        matrix = cast(hit, target)
        if batch_shape is None:
            return matrix
        batch = int_tensor(batch_shape, "batch_shape")
        full = concat([batch, shape_op(matrix)], 0)
        return broadcast_to(matrix, full)


# ----- einsum and tensordot: composites of transpose/reshape/matmul/reduce_sum/multiply -----
def _dims_of(x: Tensor) -> list[Any]:
    """Each dim as an int when static, else a 1-element int32 tensor sliced from Shape."""
    from .array_ops import shape as shape_op, slice as slice_op
    static = x.shape.as_list()
    dynamic = None
    out: list[Any] = []
    for i, d in enumerate(static):
        if d is None:
            if dynamic is None:
                dynamic = shape_op(x)
            out.append(slice_op(dynamic, [i], [1]))
        else:
            out.append(d)
    return out


def _shape_of_dims(dims: list[Any]) -> Any:
    """A reshape target from dims: a Python list when all static, else a concat of pieces."""
    from .array_ops import concat
    if all(isinstance(d, int) for d in dims):
        return dims
    pieces = [constant(np.array([d], dtype=np.int32)) if isinstance(d, int) else d
              for d in dims]
    return concat(pieces, 0)


def _product(dims: list[Any]) -> Any:
    if all(isinstance(d, int) for d in dims):
        return int(np.prod(dims, dtype=np.int64)) if dims else 1
    from .array_ops import concat
    pieces = [constant(np.array([d], dtype=np.int32)) if isinstance(d, int) else d
              for d in dims]
    return reduce_prod(concat(pieces, 0), keepdims=True)


def _permute(x: Tensor, letters: str, order: str) -> Tensor:
    from .array_ops import transpose
    if letters == order:
        return x
    return transpose(x, [letters.index(c) for c in order])


def _sum_out(x: Tensor, letters: str, keep: str) -> tuple[Tensor, str]:
    """Sums the axes whose letters are not in ``keep``."""
    axes = [i for i, c in enumerate(letters) if c not in keep]
    if not axes:
        return x, letters
    return reduce_sum(x, axes), "".join(c for c in letters if c in keep)


def _contract_pair(a: Tensor, la: str, b: Tensor, lb: str, out: str) -> tuple[Tensor, str]:
    """Two operands to one whose letters are exactly ``out``'s letters present in a or b,
    in the order batch + a_free + b_free (the caller transposes to the final order)."""
    from .array_ops import expand_dims, reshape
    a, la = _sum_out(a, la, lb + out)
    b, lb = _sum_out(b, lb, la + out)
    batch = "".join(c for c in la if c in lb and c in out)
    contract = "".join(c for c in la if c in lb and c not in out)
    a_free = "".join(c for c in la if c not in lb)
    b_free = "".join(c for c in lb if c not in la)
    result_letters = batch + a_free + b_free
    if not contract:
        # An outer product (with shared batch letters): broadcasting multiply.
        a = _permute(a, la, batch + a_free)
        b = _permute(b, lb, batch + b_free)
        for _ in a_free:
            b = expand_dims(b, len(batch))
        for _ in b_free:
            a = expand_dims(a, -1)
        return multiply(a, b), result_letters
    da = dict(zip(la, _dims_of(a)))
    db = dict(zip(lb, _dims_of(b)))
    batch_a, batch_b = [da[c] for c in batch], [db[c] for c in batch]
    a = _permute(a, la, batch + a_free + contract)
    b = _permute(b, lb, batch + contract + b_free)
    fa, fc, fb = (_product([da[c] for c in a_free]), _product([da[c] for c in contract]),
                  _product([db[c] for c in b_free]))
    a = reshape(a, _shape_of_dims(batch_a + [fa, fc]))
    b = reshape(b, _shape_of_dims(batch_b + [fc, fb]))
    # BatchMatMulV2 broadcasts the batch dims (an ellipsis's size-1 dims); the result's are
    # read back from it unless both sides' are known.
    product = matmul(a, b)
    if all(isinstance(d, int) for d in batch_a + batch_b):
        batch_dims: list[Any] = [x if y == 1 else y for x, y in zip(batch_a, batch_b)]
    else:
        batch_dims = _dims_of(product)[:len(batch)]
    final = batch_dims + [da[c] for c in a_free] + [db[c] for c in b_free]
    return reshape(product, _shape_of_dims(final)), result_letters


def _parse_einsum(equation: str, count: int) -> tuple[list[str], Optional[str]]:
    """The input terms and the output term (``None`` in implicit mode), ``...`` kept."""
    eq = equation.replace(" ", "")
    lhs, out = eq.split("->", 1) if "->" in eq else (eq, None)
    terms = lhs.split(",")
    if len(terms) != count:
        raise ValueError(f"Expected {len(terms)} input tensors, received {count}")
    for t in terms + ([out] if out is not None else []):
        letters = t.replace("...", "", 1)
        if not all(c.isalpha() for c in letters):
            raise ValueError(f"Invalid character in einsum equation {equation!r}")
        if len(set(letters)) != len(letters):
            raise ValueError(f"einsum: repeated subscripts in one term are not supported by "
                             f"symgrad: {equation!r}")
    return terms, out


def _expand_ellipses(terms: list[str], out: Optional[str],
                     tensors: list[Tensor]) -> tuple[list[str], str, list[Tensor]]:
    """Letters for the dims ``...`` stands for, aligned from the right across operands as
    broadcasting aligns them, and the implicit output (the letters used once, sorted). A
    size-1 ellipsis dim broadcast against a larger one is squeezed out of its
    operand, so the letter belongs to the others alone."""
    from .array_ops import squeeze
    explicit = "".join(terms) + (out or "")
    pool = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
            if c not in explicit]
    widths = []
    for t, x in zip(terms, tensors):
        if "..." not in t:
            widths.append(0)
            continue
        if x.shape.rank is None:
            raise ValueError("einsum: an operand with an ellipsis needs a known rank in "
                             f"symgrad: {t!r}")
        w = x.shape.rank - (len(t) - 3)
        if w < 0:
            raise ValueError(f"einsum: operand for {t!r} has rank {x.shape.rank}")
        widths.append(w)
    width = max(widths, default=0)
    ell = "".join(pool[:width])
    terms = [t.replace("...", ell[width - w:]) for t, w in zip(terms, widths)]
    if out is None:
        # As TF: the implicit output is the letters used once, sorted; no ellipsis dims.
        letters = "".join(terms)
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    if width and ell[0] not in out:
        # TF's Einsum shape function: dims under an ellipsis the output lacks must be none.
        raise ValueError(f"Shape must be at most rank 0 but is rank {width}")
    # Broadcast ellipsis dims: drop the size-1 ones where another operand's is larger.
    tensors = list(tensors)
    for c in ell:
        sizes = [dict(zip(t, x.shape.as_list())).get(c) if c in t else None
                 for t, x in zip(terms, tensors)]
        if not any(d is not None and d != 1 for d in sizes):
            continue
        for i, d in enumerate(sizes):
            if d == 1:
                tensors[i] = squeeze(tensors[i], [terms[i].index(c)])
                terms[i] = terms[i].replace(c, "")
    return terms, out, tensors


def einsum(equation: str, *inputs: Any, **kwargs: Any) -> Tensor:
    """Einstein summation as a composite of ``Transpose``, ``Reshape``, ``MatMul``/
    ``BatchMatMulV2``, ``Sum`` and ``Mul`` (TF has one ``Einsum`` op; the values and
    gradients agree, the op names differ). Differentiable to any order. Operands are
    contracted left to right; ``...`` broadcasts as in TF; repeated subscripts in one term
    are not supported."""
    from .array_ops import identity
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"Invalid keyword arguments for einsum: {', '.join(kwargs)}")
    terms, out_term = _parse_einsum(equation, len(inputs))
    with op_scope(name, "einsum", list(inputs)):
        tensors = [convert_to_tensor(x, name=f"input_{i}") for i, x in enumerate(inputs)]
        terms, out, tensors = _expand_ellipses(terms, out_term, tensors)
        if len(set(out)) != len(out):
            raise ValueError(f"einsum: repeated subscripts in one term are not supported by "
                             f"symgrad: {equation!r}")
        if any(c not in "".join(terms) for c in out):
            raise ValueError(f"einsum: output subscripts must appear in the inputs: "
                             f"{equation!r}")
        for i, (t, letters) in enumerate(zip(tensors, terms)):
            if t.shape.rank is None:
                # The equation gives the rank, as TF's Einsum shape function takes it.
                tensors[i] = identity(t)
                tensors[i].set_shape([None] * len(letters))
            elif t.shape.rank != len(letters):
                raise ValueError(f"einsum: operand for {letters!r} has rank {t.shape.rank}")
        acc, acc_letters = tensors[0], terms[0]
        for i in builtins.range(1, len(tensors)):
            later = "".join(terms[i + 1:])
            acc, acc_letters = _contract_pair(acc, acc_letters, tensors[i], terms[i],
                                              out + later)
        acc, acc_letters = _sum_out(acc, acc_letters, out)
        return _permute(acc, acc_letters, out)


def _tensordot_reshape(a: Tensor, axes: Any, flipped: bool = False
                       ) -> tuple[Tensor, Any, Optional[list[Optional[int]]]]:
    """``a`` transposed and reshaped to a matrix with the contracted ``axes`` last (first
    when ``flipped``), its free dims (ints when ``a``'s shape is static, else a tensor) and
    their static values (TF's ``_tensordot_reshape``)."""
    from .array_ops import concat, gather, rank, reshape, shape, stack, transpose
    if a.shape.is_fully_defined() and isinstance(axes, (list, tuple)):
        dims = a.shape.as_list()
        axes = [i if i >= 0 else i + len(dims) for i in axes]
        free = [i for i in builtins.range(len(dims)) if i not in axes]
        free_dims = [dims[i] for i in free]
        prod_free = int(np.prod([dims[i] for i in free]))
        prod_axes = int(np.prod([dims[i] for i in axes]))
        perm = list(axes) + free if flipped else free + list(axes)
        new_shape = [prod_axes, prod_free] if flipped else [prod_free, prod_axes]
        moved = transpose(a, perm) if perm != list(builtins.range(len(dims))) else a
        reshaped = reshape(moved, new_shape) if moved.shape.as_list() != new_shape else moved
        return reshaped, free_dims, free_dims
    if a.shape.ndims is not None and isinstance(axes, (list, tuple)):
        dims = a.shape.as_list()
        axes = [i if i >= 0 else i + len(dims) for i in axes]
        free = [i for i in builtins.range(len(dims)) if i not in axes]
        free_static: Optional[list[Optional[int]]] = [dims[i] for i in free]
        axes_t = convert_to_tensor(axes, dtype=_dtypes.int32, name="axes")
        free_t = convert_to_tensor(free, dtype=_dtypes.int32, name="free")
        shape_a = shape(a)
    else:
        free_static = None
        shape_a = shape(a)
        rank_a = rank(a)
        axes_t = convert_to_tensor(axes, dtype=_dtypes.int32, name="axes")
        axes_t = where(axes_t >= 0, axes_t, axes_t + rank_a)
        free_t, _ = setdiff1d(range(rank_a), axes_t, _dtypes.int32)
    free_dims = gather(shape_a, free_t)
    axes_dims = gather(shape_a, axes_t)
    prod_free, prod_axes = reduce_prod(free_dims), reduce_prod(axes_dims)
    if flipped:
        perm_t = concat([axes_t, free_t], 0)
        new_shape_t = stack([prod_axes, prod_free])
    else:
        perm_t = concat([free_t, axes_t], 0)
        new_shape_t = stack([prod_free, prod_axes])
    return reshape(transpose(a, perm_t), new_shape_t), free_dims, free_static


def _tensordot_axes(a: Tensor, axes: Any) -> tuple[Any, Any]:
    """The contracted axes of ``a`` and of ``b`` (TF's ``_tensordot_axes``)."""
    ndims = a.shape.ndims
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
        if axes < 0:
            raise ValueError(f"`axes` must be at least 0. Received: {axes}.")
        if ndims is not None:
            if axes > ndims:
                raise ValueError(f"`axes` must not be larger than the number of dimensions "
                                 f"of tensor {a}.  Received {axes}, vs tensor dimensions "
                                 f"{ndims}.")
            return list(builtins.range(ndims - axes, ndims)), list(builtins.range(axes))
        from .array_ops import rank
        rank_a = rank(a)
        return (range(rank_a - axes, rank_a, dtype=_dtypes.int32),
                range(axes, dtype=_dtypes.int32))
    if isinstance(axes, (list, tuple)):
        if len(axes) != 2:
            raise ValueError(f"`axes` must be an integer or have length 2. Received {axes}.")
        a_axes, b_axes = axes[0], axes[1]
        if isinstance(a_axes, (int, np.integer)) and isinstance(b_axes, (int, np.integer)):
            a_axes, b_axes = [a_axes], [b_axes]
        if len(a_axes) != len(b_axes):
            raise ValueError(f"Different number of contraction axes `a` and `b`, "
                             f"{len(a_axes)} != {len(b_axes)}.")
        return a_axes, b_axes
    axes_t = convert_to_tensor(axes, name="axes", dtype=_dtypes.int32)
    return axes_t[0], axes_t[1]


def tensordot(a: Any, b: Any, axes: Any, name: Optional[str] = None) -> Tensor:
    """Sums the products of ``a`` and ``b`` over ``axes`` (an int: the last ``axes`` of a with
    the first of b; two lists; or an int32 tensor ``[2, k]``). Built op for op as TF: each
    operand transposed and reshaped to a matrix (with ``Shape``/``Gather``/``Prod`` where
    shapes are not static, ``ListDiff`` where ranks are not), one ``MatMul``, a reshape
    back."""
    from .array_ops import concat, reshape
    with op_scope(name, "Tensordot", [a, b, axes]) as scope:
        ta = convert_to_tensor(a, name="a")
        tb = convert_to_tensor(b, name="b")
        a_axes, b_axes = _tensordot_axes(ta, axes)
        a_matrix, a_free, a_static = _tensordot_reshape(ta, a_axes)
        b_matrix, b_free, b_static = _tensordot_reshape(tb, b_axes, True)
        product = matmul(a_matrix, b_matrix)
        if isinstance(a_free, list) and isinstance(b_free, list):
            if product.shape.is_fully_defined() and \
                    product.shape.as_list() == a_free + b_free:
                return product
            return reshape(product, a_free + b_free, name=scope)
        a_free_t = convert_to_tensor(a_free, dtype=_dtypes.int32)
        b_free_t = convert_to_tensor(b_free, dtype=_dtypes.int32)
        result = reshape(product, concat([a_free_t, b_free_t], 0), name=scope)
        if a_static is not None and b_static is not None:
            result.set_shape(a_static + b_static)
        return result


SetDiffOutput = collections.namedtuple("ListDiff", ["out", "idx"])


def setdiff1d(x: Any, y: Any, index_dtype: Any = _dtypes.int32,
              name: Optional[str] = None) -> Any:
    """``ListDiff``: ``(out, idx)``, the values of the vector ``x`` that are not in ``y``, in
    their order, and their positions in ``x``."""
    with op_scope(name, "ListDiff", [x, y]) as scope:
        tx = convert_to_tensor(x, name="x")
        ty = convert_to_tensor(y, name="y", dtype=tx.dtype) if not isinstance(y, Tensor) \
            else y
        if ty.dtype is not tx.dtype:
            raise TypeError(f"Input 'y' of 'ListDiff' Op has type {ty.dtype.name} that does "
                            f"not match type {tx.dtype.name} of argument 'x'.")
        op = tx.graph._create_op(
            "ListDiff", [tx, ty], {"out_idx": _dtypes.as_dtype(index_dtype).name},
            scope or None)
        return SetDiffOutput(*op.outputs)
