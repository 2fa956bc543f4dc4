"""``gradients``/``hessians`` argument handling, the gradient registry and custom gradients.

The traversal itself runs in the native core; this module normalises arguments with TF's
errors, wraps native results in Python objects, and runs Python gradient functions for the
core through a trampoline installed at import.
"""

from __future__ import annotations

import enum
import functools
import itertools
import threading
from typing import Any, Callable, Optional, Sequence, TypeVar

from . import _symgrad
from .constant_op import convert_to_tensor
from .framework import (Graph, Operation, Tensor, _graph_of, get_default_graph,
                        graph_for_native_id)
from .indexed_slices import IndexedSlices

__all__ = [
    "gradients", "hessians", "AggregationMethod", "UnconnectedGradients", "RegisterGradient",
    "NotDifferentiable", "NoGradient", "no_gradient", "custom_gradient",
]


class AggregationMethod:
    """How several gradient contributions to one tensor are summed."""

    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


class UnconnectedGradients(enum.Enum):
    """What ``gradients`` returns for an x with no path from the ys."""

    NONE = "none"
    ZERO = "zero"


# ----- wrapping values that cross the native seam -----
GradRef = Any  # (node, index) or ((node, index), (node, index), (node, index) | None)


def _wrap_grad(graph: Graph, ref: Optional[GradRef]) -> Any:
    """Native gradient reference → Tensor, IndexedSlices or None."""
    if ref is None:
        return None
    if len(ref) == 3:
        values, indices, dense_shape = ref
        return IndexedSlices(graph._tensor(values), graph._tensor(indices),
                             None if dense_shape is None else graph._tensor(dense_shape))
    return graph._tensor(ref)


def _unwrap_grad(value: Any, dtype_hint: Any = None) -> Optional[GradRef]:
    """Tensor, IndexedSlices, None or a Python number → native gradient reference."""
    if value is None:
        return None
    if isinstance(value, IndexedSlices):
        shape = value.dense_shape
        return (value.values._ref, value.indices._ref, None if shape is None else shape._ref)
    if not isinstance(value, Tensor):
        value = convert_to_tensor(value, preferred_dtype=dtype_hint)
    return value._ref


def _gradient_trampoline(fn: Callable[..., Any], graph_id: int, op_id: int,
                         grads: Sequence[Optional[GradRef]]) -> list[Optional[GradRef]]:
    """Runs a Python gradient function for the native core, in Python objects."""
    graph = graph_for_native_id(graph_id)
    op = graph._op(op_id)
    wrapped = [_wrap_grad(graph, g) for g in grads]
    with graph.as_default():
        result = fn(op, *wrapped)
        if not isinstance(result, (list, tuple)):
            result = [result]
        inputs = op.inputs
        return [_unwrap_grad(r, inputs[i].dtype if i < len(inputs) else None)
                for i, r in enumerate(result)]


_symgrad.set_gradient_trampoline(_gradient_trampoline)


# ----- argument normalisation -----
def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _check_not_none_or_op(values: Sequence[Any], kind: str) -> None:
    """TF's errors for None (no ``.op``) and Operations among ys/xs."""
    for v in values:
        if v is None:
            raise AttributeError("'NoneType' object has no attribute 'op'")
        if isinstance(v, Operation):
            raise TypeError(f"can't convert Operation {v.name!r} to Tensor")


def _normalise_unconnected(value: Any) -> bool:
    """True for 'zero'; ValueError with TF's text for anything but none/zero."""
    try:
        return UnconnectedGradients(value) is UnconnectedGradients.ZERO
    except ValueError:
        raise ValueError(f"Unknown value for unconnected_gradients: {value!r}") from None


def gradients(ys: Any, xs: Any, grad_ys: Any = None, name: Optional[str] = "gradients",
              colocate_gradients_with_ops: bool = False, gate_gradients: bool = False,
              aggregation_method: Optional[int] = None, stop_gradients: Any = None,
              unconnected_gradients: Any = UnconnectedGradients.NONE) -> list[Any]:
    """Symbolic partial derivatives of ``sum(ys)`` w.r.t. each x (``tf.compat.v1.gradients``)."""
    ys_list = _as_list(ys)
    xs_list = _as_list(xs)
    _check_not_none_or_op(ys_list, "ys")
    _check_not_none_or_op(xs_list, "xs")
    # A Variable in xs stands for all of its reads (TF differentiates through them to the
    # handle); the per-read gradients are summed back at the end.
    from .variables import Variable, expand_variable_xs, sum_variable_grads
    # A Variable y is its cached read, so that it is among the reads a Variable x expands to.
    ys_list = [y.value() if isinstance(y, Variable) else y for y in ys_list]
    original_xs = xs_list
    xs_list, variable_groups = expand_variable_xs(xs_list)
    stops = [] if stop_gradients is None else _as_list(stop_gradients)
    for s in stops:
        if not isinstance(s, Tensor):
            raise AttributeError(f"'{type(s).__name__}' object has no attribute 'op'")
    grad_ys_list: list[Any] = [None] * len(ys_list) if grad_ys is None else _as_list(grad_ys)
    unconnected_zero = _normalise_unconnected(unconnected_gradients)
    if len(grad_ys_list) != len(ys_list):
        raise ValueError(f"Length mismatch. Passed {len(grad_ys_list)} grad_ys for "
                         f"{len(ys_list)} ys")

    graph = _graph_of(ys_list + xs_list + stops + grad_ys_list) or get_default_graph()
    if not xs_list:
        return [None] * len(original_xs) if variable_groups else []

    needs_conversion = any(not isinstance(v, (Tensor, IndexedSlices))
                           for v in ys_list + xs_list + [g for g in grad_ys_list
                                                         if g is not None])
    native_name: Optional[str] = "gradients" if name is None else name
    if needs_conversion:
        # Open the gradient scope here so that constants made from Python values land inside
        # it, as in TF; the native core then re-enters the exact scope.
        new_scope, previous = graph._native.enter_name_scope(native_name)
        graph._native.set_name_scope(previous)
        # TF's names: convert_n's "y_<i>" / "x_<i>", and "grad_y_<i>" for seeds.
        ys_list = _convert_at(graph, new_scope, ys_list, "y_")
        xs_list = _convert_at(graph, new_scope, xs_list, "x_")
        grad_ys_list = _convert_at(graph, new_scope, grad_ys_list, "grad_y_")
        native_name = new_scope if new_scope else ""

    with graph.as_default():
        results = graph._native.gradients(
            [y._ref for y in ys_list],
            [x._ref for x in xs_list],
            [_unwrap_grad(g) for g in grad_ys_list],
            native_name,
            bool(colocate_gradients_with_ops),
            bool(gate_gradients),
            aggregation_method,
            [s._ref for s in stops],
            unconnected_zero,
        )
    wrapped = [_wrap_grad(graph, r) for r in results]
    if variable_groups is not None:
        with graph.as_default():
            return sum_variable_grads(original_xs, wrapped, variable_groups, unconnected_zero)
    return wrapped


def _convert_at(graph: Graph, scope: str, values: list[Any], name_prefix: str) -> list[Any]:
    """Converts non-tensors to constants ``<scope>/<name_prefix><i>`` (scope used exactly)."""
    out: list[Any] = []
    for i, v in enumerate(values):
        if v is None or isinstance(v, (Tensor, IndexedSlices)):
            out.append(v)
            continue
        previous = graph._native.name_scope()
        graph._native.set_name_scope(scope)
        try:
            with graph.as_default():
                out.append(convert_to_tensor(v, name=f"{name_prefix}{i}"))
        finally:
            graph._native.set_name_scope(previous)
    return out


def hessians(ys: Any, xs: Any, name: str = "hessians",
             colocate_gradients_with_ops: bool = False, gate_gradients: bool = False,
             aggregation_method: Optional[int] = None) -> list[Tensor]:
    """Second derivatives of ``sum(ys)``: one ``x.shape + x.shape`` block per x."""
    ys_list = _as_list(ys)
    xs_list = _as_list(xs)
    _check_not_none_or_op(ys_list, "ys")
    _check_not_none_or_op(xs_list, "xs")
    from .variables import Variable, variable_hessian
    if any(isinstance(x, Variable) for x in xs_list):
        # A Variable may be read many times; its Hessian is built from gradients() (which
        # sums over the reads), one row per element.
        return [variable_hessian(ys_list, x, name, colocate_gradients_with_ops,
                                 gate_gradients, aggregation_method)
                if isinstance(x, Variable) else
                hessians(ys_list, x, name, colocate_gradients_with_ops, gate_gradients,
                         aggregation_method)[0]
                for x in xs_list]
    graph = _graph_of(ys_list + xs_list) or get_default_graph()
    if any(not isinstance(v, Tensor) for v in ys_list + xs_list):
        with graph.as_default():
            ys_list = [convert_to_tensor(v) for v in ys_list]
            xs_list = [convert_to_tensor(v) for v in xs_list]
    with graph.as_default():
        results = graph._native.hessians(
            [y._ref for y in ys_list], [x._ref for x in xs_list], name,
            bool(colocate_gradients_with_ops), bool(gate_gradients), aggregation_method)
    return [graph._tensor(r) for r in results]


# ----- the registry -----
GradFn = TypeVar("GradFn", bound=Callable[..., Any])


def _register(op_type: str, fn: Optional[Callable[..., Any]]) -> None:
    # The native registry raises TF's KeyError text for a duplicate, naming the earlier
    # registration's function, file and line.
    if fn is None:
        _symgrad.register_not_differentiable(op_type)
    else:
        _symgrad.register_gradient(op_type, fn)


class RegisterGradient:
    """Decorator registering ``fn(op, *grads)`` as the gradient of ops of type ``op_type``."""

    def __init__(self, op_type: str) -> None:
        if not isinstance(op_type, str):
            raise TypeError("op_type must be a string")
        self._op_type = op_type

    def __call__(self, fn: GradFn) -> GradFn:
        _register(self._op_type, fn)
        return fn


def no_gradient(op_type: str) -> None:
    """Declares ops of ``op_type`` not differentiable: their inputs get None."""
    if not isinstance(op_type, str):
        raise TypeError("op_type must be a string")
    _register(op_type, None)


NotDifferentiable = no_gradient
NoGradient = no_gradient


# ----- custom_gradient (graph mode) -----
_uid_counter = itertools.count(1)
_uid_lock = threading.Lock()


def _next_uid() -> int:
    with _uid_lock:
        return next(_uid_counter)


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _flatten(item)]
    return [value]


def _pack_like(structure: Any, flat: Sequence[Any]) -> Any:
    iterator = iter(flat)

    def build(node: Any) -> Any:
        if isinstance(node, (list, tuple)):
            items = [build(item) for item in node]
            if isinstance(node, tuple) and hasattr(node, "_fields"):
                return type(node)(*items)
            return type(node)(items)
        return next(iterator)

    return build(structure)


def custom_gradient(f: Optional[Callable[..., Any]] = None) -> Any:
    """Decorator for ``f(*x) -> (y, grad_fn)``: y's gradient w.r.t. x is ``grad_fn(*dys)``.

    As TF in graph mode: the outputs and inputs pass through one ``IdentityN`` whose gradient
    is overridden by a uniquely named registered function.
    """
    if f is None:
        return custom_gradient

    @functools.wraps(f)
    def decorated(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise ValueError("The custom_gradient decorator currently supports keywords "
                             "arguments only when eager execution is enabled.")
        inputs = [convert_to_tensor(a) for a in args]
        result, grad_fn = f(*inputs)
        from .array_ops import identity, identity_n
        flat_result = [identity(convert_to_tensor(r)) for r in _flatten(result)]
        n_results = len(flat_result)
        gradient_name = f"CustomGradient-{_next_uid()}"

        def internal_grad_fn(unused_op: Operation, *result_grads: Any) -> list[Any]:
            input_grads = grad_fn(*result_grads[:n_results])
            input_grads = _flatten(input_grads) if isinstance(input_grads, (list, tuple)) \
                else [input_grads]
            if len(input_grads) != len(inputs):
                raise ValueError(
                    f"custom_gradient function expected to return {len(inputs)} gradients, "
                    f"but returned {len(input_grads)} instead.")
            return [None] * n_results + list(input_grads)

        RegisterGradient(gradient_name)(internal_grad_fn)
        graph = get_default_graph()
        with graph.gradient_override_map({"IdentityN": gradient_name}):
            all_tensors = identity_n(flat_result + inputs)
        return _pack_like(result, all_tensors[:n_results])

    return decorated
