"""``while_loop`` as TF 2's functional ``While`` op, and ``map_fn``, ``scan``, ``foldl`` and
``foldr`` built on it.

``cond`` and ``body`` are traced once into sub-graphs of the same graph, under the loop's
name scope. While one runs, the graph's control-flow context is a ``WhileContext``: every
op created then passes through it (``Graph._create_op``), and an input made outside the
function is replaced by a placeholder standing for it — a *capture*. Captures become extra
loop variables that the body returns unchanged, as TF appends them to the ``While`` op's
inputs; so the function sub-graphs are closed, and gradients with respect to a captured
tensor flow through the ``While`` op (its gradient is the Rust core's, ops/while_loop.rs).
A variable read inside a function is read once before the loop and its value captured.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Optional, Sequence

from . import dtypes
from ._op_helpers import op_scope
from .cond_ops import _flatten, _outside_contexts, _pack_as
from .constant_op import constant, convert_to_tensor
from .framework import Graph, Operation, Tensor, get_default_graph
from .tensor_shape import TensorShape, as_shape

__all__ = ["while_loop", "map_fn", "scan", "foldl", "foldr", "WhileContext"]


class WhileContext:
    """The control-flow context of one loop function (``cond`` or ``body``) being traced."""

    def __init__(self, graph: Graph) -> None:
        self._graph = graph
        self.outer_context: Any = None
        self._first_op_id: Optional[int] = None
        # outer tensor → the placeholder standing for it inside the function
        self._captured: dict[Tensor, Tensor] = {}
        self.captures: list[tuple[Tensor, Tensor]] = []
        # Ops made outside the function while it was traced (hoisted variable reads).
        self._outer_ops: set[int] = set()

    @contextlib.contextmanager
    def entered(self) -> Iterator["WhileContext"]:
        graph = self._graph
        self.outer_context = graph._control_flow_context
        if self._first_op_id is None:
            self._first_op_id = graph._native.num_ops()
        graph._control_flow_context = self
        try:
            # A function depends on its arguments only, never on enclosing control inputs.
            with graph.control_dependencies(None):
                yield self
        finally:
            graph._control_flow_context = self.outer_context

    def _is_internal(self, t: Tensor) -> bool:
        return (self._first_op_id is not None and t.op._id >= self._first_op_id
                and t.op._id not in self._outer_ops)

    def add_value(self, t: Tensor, scope: Optional[str] = None) -> Tensor:
        """``t`` as the function sees it: itself when made inside, else its capture."""
        if self._is_internal(t):
            return t
        cached = self._captured.get(t)
        if cached is not None:
            return cached
        outer = self.outer_context.add_value(t, scope) if self.outer_context else t
        with _outside_contexts(self._graph):
            arg = _argument(t)
        self._captured[t] = arg
        self.captures.append((outer, arg))
        return arg

    def create_op(self, graph: Graph, op_type: str, inputs: Sequence[Tensor],
                  attrs: Optional[dict[str, Any]], name: Optional[str]) -> Operation:
        if op_type == "ReadVariableOp" and inputs and not self._is_internal(inputs[0]):
            saved = graph._control_flow_context
            graph._control_flow_context = self.outer_context
            try:
                with graph.control_dependencies(None):
                    read = graph._create_op(op_type, inputs, attrs, name).outputs[0]
            finally:
                graph._control_flow_context = saved
            self._outer_ops.add(read.op._id)
            inner = self.add_value(read)
            with _outside_contexts(graph):
                return graph._create_op("Identity", [inner], {}, None)
        inputs = [self.add_value(t) for t in inputs]
        with _outside_contexts(graph):
            return graph._create_op(op_type, inputs, attrs, name)


def _argument(like: Tensor, shape: Optional[TensorShape] = None) -> Tensor:
    """A placeholder standing for ``like`` inside a loop function."""
    from .array_ops import placeholder
    return placeholder(like.dtype, like.shape if shape is None else shape, name="placeholder")


def _shape_text(shape: TensorShape) -> str:
    return str(shape)


def _less_or_equal(s1: TensorShape, s2: TensorShape) -> bool:
    """TF's ``_ShapeLessThanOrEqual``: ``s1`` is at least as specific as ``s2``."""
    if s2.rank is None:
        return True
    if s1.rank != s2.rank:
        return False
    return all(b is None or a == b for a, b in zip(s1.as_list(), s2.as_list()))


def _structure_error(a: Any, b: Any) -> Optional[str]:
    """Why ``a`` and ``b`` differ in nesting (lists and tuples count as the same), or None."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        x_seq, y_seq = isinstance(x, (list, tuple, dict)), isinstance(y, (list, tuple, dict))
        if x_seq != y_seq or (x_seq and (len(x) != len(y)
                                         or isinstance(x, dict) != isinstance(y, dict))):
            return ("The two structures don't have the same nested structure.\n\n"
                    f"First structure: {a}\n\nSecond structure: {b}")
        if isinstance(x, dict):
            if sorted(x) != sorted(y):
                return ("The two structures don't have the same nested structure.\n\n"
                        f"First structure: {a}\n\nSecond structure: {b}")
            stack.extend((x[k], y[k]) for k in sorted(x))
        elif x_seq:
            stack.extend(zip(x, y))
    return None


def _maximum_iterations(maximum_iterations: Any) -> Tensor:
    if maximum_iterations is None:
        return constant(-1, dtype=dtypes.int32, name="maximum_iterations")
    value = convert_to_tensor(maximum_iterations, name="maximum_iterations")
    if value.shape.rank is not None and value.shape.rank != 0:
        raise ValueError(
            f"maximum_iterations must be a scalar, saw shape: {value.shape}")
    return value


def _eager_loop(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Any,
                maximum_iterations: Any, return_same_structure: bool) -> Any:
    try_to_pack = len(loop_vars) == 1 and not return_same_structure
    packed = False
    iterations = 0
    while maximum_iterations is None or iterations < int(maximum_iterations):
        if not bool(convert_to_tensor(cond(*loop_vars)).numpy()):  # type: ignore[attr-defined]
            break
        loop_vars = body(*loop_vars)
        iterations += 1
        if try_to_pack and not isinstance(loop_vars, (list, tuple)):
            packed = True
            loop_vars = (loop_vars,)
    return loop_vars[0] if packed else loop_vars


def while_loop(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Any,
               shape_invariants: Any = None, parallel_iterations: int = 10,
               back_prop: bool = True, swap_memory: bool = False,
               name: Optional[str] = None, maximum_iterations: Any = None,
               return_same_structure: bool = False) -> Any:
    """Repeats ``body`` while ``cond`` is true: one ``While``/``StatelessWhile`` op."""
    if not callable(cond):
        raise TypeError("'cond' must be callable.")
    if not callable(body):
        raise TypeError("'body' must be callable.")
    if parallel_iterations < 1:
        raise TypeError("'parallel_iterations' must be a positive integer.")
    if not isinstance(loop_vars, (list, tuple)):
        loop_vars = (loop_vars,)
    graph = get_default_graph()
    if graph._is_eager:
        return _eager_loop(cond, body, loop_vars, maximum_iterations, return_same_structure)
    if not loop_vars:
        raise ValueError("No loop variables provided")
    from .tensor_array_ops import has_arrays, while_loop_with_arrays
    if has_arrays(_flatten(loop_vars)):
        packed = while_loop_with_arrays(cond, body, loop_vars, shape_invariants,
                                        parallel_iterations, name, maximum_iterations)
    else:
        packed, _ = _build_while(cond, body, loop_vars, shape_invariants,
                                 parallel_iterations, name, maximum_iterations)
    if return_same_structure:
        return packed
    flat_out = _flatten(packed)
    return flat_out[0] if len(flat_out) == 1 else packed


def _build_while(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Any,
                 shape_invariants: Any, parallel_iterations: int, name: Optional[str],
                 maximum_iterations: Any, collect: bool = False
                 ) -> tuple[Any, list[Tensor]]:
    """The ``While`` op of ``while_loop``: (loop results packed like ``loop_vars``, collected
    results). With ``collect``, ``body`` returns ``(next loop vars, results)``, a list of
    tensors per iteration that the op stacks along a new axis 0 (symgrad's stand-in for TF's
    ``TensorArray`` writes)."""
    graph = get_default_graph()
    flat_orig = _flatten(loop_vars)
    with op_scope(name, "while", flat_orig) as scope:
        flat = [convert_to_tensor(v) for v in flat_orig]
        if shape_invariants is not None:
            problem = _structure_error(list(loop_vars), list(shape_invariants)
                                       if isinstance(shape_invariants, (list, tuple))
                                       else [shape_invariants])
            if problem is not None:
                raise ValueError(problem)
            invariants = [as_shape(s) for s in _flatten(shape_invariants)]
            for t, inv in zip(flat, invariants):
                if not t.shape.is_compatible_with(inv):
                    raise ValueError(
                        f"The shape invariant specified for {t.name} is not compatible with "
                        "the initial shape of the loop variable. It enters the loop with "
                        f"shape {t.shape}, but the specified shape invariant is {inv}.")
        else:
            invariants = [t.shape for t in flat]
        max_iter = _maximum_iterations(maximum_iterations)
        counter = constant(0, dtype=max_iter.dtype, name="loop_counter")
        fixed = [counter, max_iter]
        fn_prefix = scope.rstrip("/").replace("/", "_")

        # cond(counter, max, *vars)
        cond_ctx = WhileContext(graph)
        with cond_ctx.entered():
            cond_args = [_argument(t) for t in fixed]
            cond_args += [_argument(t, s) for t, s in zip(flat, invariants)]
            pred = cond(*_pack_as(list(loop_vars), cond_args[2:]))
            pred = convert_to_tensor(pred)
            if maximum_iterations is not None:
                from .math_ops import less, logical_and
                pred = logical_and(less(cond_args[0], cond_args[1]), pred)
            pred = cond_ctx.add_value(pred)

        body_ctx = WhileContext(graph)
        with body_ctx.entered():
            body_args = [_argument(t) for t in fixed]
            body_args += [_argument(t, s) for t, s in zip(flat, invariants)]
            # cond's captures come first, in its order, as TF captures them in the body.
            for outer, _ in cond_ctx.captures:
                body_ctx.add_value(outer)
            result = body(*_pack_as(list(loop_vars), body_args[2:]))
            results: list[Tensor] = []
            if collect:
                result, per_iteration = result
                results = [body_ctx.add_value(convert_to_tensor(r)) for r in per_iteration]
            if not isinstance(result, (list, tuple, dict)):
                result = [result]
            problem = _structure_error(list(result), list(loop_vars))
            if problem is not None:
                raise ValueError(problem)
            flat_result = [body_ctx.add_value(convert_to_tensor(r)) for r in _flatten(result)]
            from .math_ops import add
            next_counter = add(body_args[0], 1)
        for t, r, inv in zip(flat, flat_result, invariants):
            if r.dtype.base_dtype != t.dtype.base_dtype:
                raise TypeError(
                    f"Loop var {t.name} enters the loop with type {t.dtype} but has type "
                    f"{r.dtype} after 1 iteration. {t.name} type should remain constant.")
            if not _less_or_equal(r.shape, inv):
                raise ValueError(
                    f"Input tensor `{t.name}` enters the loop with shape {_shape_text(inv)}, "
                    f"but has shape {_shape_text(r.shape)} after one iteration. To allow the "
                    "shape to vary across iterations, use the `shape_invariants` argument "
                    "of tf.while_loop to specify a less-specific shape.")

        # Every capture of either function is a loop variable of both.
        captured = [outer for outer, _ in body_ctx.captures]
        extra_cond = [outer for outer, _ in cond_ctx.captures if outer not in captured]
        inputs = fixed + flat + captured + extra_cond
        with body_ctx.entered():
            body_capture_args = [arg for _, arg in body_ctx.captures]
            for outer in extra_cond:
                body_capture_args.append(body_ctx.add_value(outer))
        cond_by_outer = {outer: arg for outer, arg in cond_ctx.captures}
        with cond_ctx.entered():
            cond_capture_args = [cond_by_outer[outer] if outer in cond_by_outer
                                 else _argument(outer) for outer in captured + extra_cond]
        body_outputs = [next_counter, body_args[1]] + flat_result + body_capture_args + results
        body_inputs = body_args + body_capture_args
        cond_inputs = cond_args + cond_capture_args
        shapes = ([t.shape for t in fixed] + list(invariants)
                  + [t.shape for t in captured + extra_cond])
        ref = lambda ts: [t._ref for t in ts]  # noqa: E731
        node = graph._native.add_while(
            ref(inputs),
            (graph.unique_name(fn_prefix + "_cond"), ref(cond_inputs), ref([pred])),
            (graph.unique_name(fn_prefix + "_body"), ref(body_inputs), ref(body_outputs)),
            [None if s.rank is None else s.as_list() for s in shapes],
            int(parallel_iterations), scope, len(results))
        op = graph._op(node)
        from .array_ops import identity
        outputs = [identity(t, name="Identity") for t in op.outputs[:len(inputs)]]
        packed = _pack_as(list(loop_vars), outputs[2:2 + len(flat)])
        return packed, op.outputs[len(inputs):len(inputs) + len(results)]


def _traversal(elems: Any, initializer: Any, reverse: bool, what: str) -> tuple[Any, ...]:
    """How fold and scan walk ``elems`` along axis 0 (last to first with ``reverse``):
    ``(element(i), first accumulator, first index, first row or None, cond(i, acc),
    step(i), element count)``; without ``initializer`` the first (last) element starts and is the first
    row."""
    from .array_ops import gather
    from .math_ops import add, greater_equal, less, subtract
    flat, n = _elements(elems, what)

    def element(i: Any) -> Any:
        return _pack_as(elems, [gather(x, i) for x in flat])

    def step(i: Any) -> Tensor:
        return subtract(i, 1) if reverse else add(i, 1)

    def cond(i: Tensor, a: Any) -> Tensor:
        return greater_equal(i, 0) if reverse else less(i, n)

    start = convert_to_tensor(n - 1 if reverse else 0)
    if initializer is None:
        acc = element(start)
        return element, acc, step(start), _flatten(acc), cond, step, n
    return element, initializer, start, None, cond, step, n


def _fold(fn: Callable[[Any, Any], Any], elems: Any, initializer: Any,
          parallel_iterations: int, back_prop: bool, swap_memory: bool,
          name: Optional[str], default_name: str, reverse: bool) -> Any:
    if not callable(fn):
        raise TypeError(f"{getattr(fn, '__name__', fn)} is not callable. "
                        "Please provide a callable function.")
    with op_scope(name, default_name, _flatten(elems)):
        element, acc, i0, _, cond, step, _ = _traversal(elems, initializer, reverse,
                                                        default_name)

        def body(i: Tensor, a: Any) -> tuple[Tensor, Any]:
            return step(i), fn(a, element(i))

        _, result = while_loop(cond, body, [i0, acc], parallel_iterations=parallel_iterations,
                               back_prop=back_prop, swap_memory=swap_memory,
                               return_same_structure=True)
        return result


def foldl(fn: Callable[[Any, Any], Any], elems: Any, initializer: Any = None,
          parallel_iterations: int = 10, back_prop: bool = True, swap_memory: bool = False,
          name: Optional[str] = None) -> Any:
    """``fn`` folded over ``elems`` along axis 0, first to last: a ``while_loop``."""
    return _fold(fn, elems, initializer, parallel_iterations, back_prop, swap_memory, name,
                 "foldl", reverse=False)


def foldr(fn: Callable[[Any, Any], Any], elems: Any, initializer: Any = None,
          parallel_iterations: int = 10, back_prop: bool = True, swap_memory: bool = False,
          name: Optional[str] = None) -> Any:
    """``fn`` folded over ``elems`` along axis 0, last to first: a ``while_loop``."""
    return _fold(fn, elems, initializer, parallel_iterations, back_prop, swap_memory, name,
                 "foldr", reverse=True)


def _elements(elems: Any, what: str) -> tuple[list[Tensor], Any]:
    """``elems`` flattened and converted, and their length along axis 0 (an int when
    known statically, else a scalar tensor)."""
    from .array_ops import shape
    flat = [convert_to_tensor(e, name="elems") for e in _flatten(elems)]
    if not flat:
        raise ValueError(f"{what}: elems must not be empty")
    for t in flat:
        if t.shape.rank == 0:
            raise ValueError(
                "Elements in elems must be 1+ dimensional Tensors, not scalars")
    dims = flat[0].shape.as_list() if flat[0].shape.rank is not None else [None]
    n = dims[0] if dims[0] is not None else shape(flat[0])[0]
    return flat, n


def _with_length(rows: list[Tensor], n: Any) -> list[Tensor]:
    """``rows`` with their static length set when the element count is known, as TF's
    ``TensorArray.stack`` gives it."""
    if isinstance(n, int):
        for r in rows:
            if r.shape.rank is not None:
                r.set_shape([n] + r.shape.as_list()[1:])
    return rows


def map_fn(fn: Callable[[Any], Any], elems: Any, dtype: Any = None,
           parallel_iterations: Optional[int] = None, back_prop: bool = True,
           swap_memory: bool = False, infer_shape: bool = True, name: Optional[str] = None,
           fn_output_signature: Any = None) -> Any:
    """``fn`` applied to each slice of ``elems`` along axis 0, results stacked: a
    ``while_loop`` whose body writes one row per iteration."""
    if not callable(fn):
        raise TypeError(f"{getattr(fn, '__name__', fn)} is not callable. "
                        "Please provide a callable function.")
    from .array_ops import gather
    from .math_ops import add, less
    if parallel_iterations is None:
        parallel_iterations = 10
    flat_elems = _flatten(elems)
    with op_scope(name, "map", flat_elems):
        flat, n = _elements(elems, "map_fn")
        structure: list[Any] = []

        def body(i: Tensor) -> tuple[Any, list[Any]]:
            y = fn(_pack_as(elems, [gather(x, i) for x in flat]))
            structure.append(y)
            return [add(i, 1)], _flatten(y)

        _, stacked = _build_while(lambda i: less(i, n), body, [constant(0)], None,
                                  parallel_iterations, None, None, collect=True)
        return _pack_as(structure[0], _with_length(list(stacked), n))


def scan(fn: Callable[[Any, Any], Any], elems: Any, initializer: Any = None,
         parallel_iterations: int = 10, back_prop: bool = True, swap_memory: bool = False,
         infer_shape: bool = True, reverse: bool = False, name: Optional[str] = None) -> Any:
    """Every intermediate accumulator of ``fn`` folded over ``elems`` along axis 0, stacked:
    a ``while_loop`` whose body writes the new accumulator per iteration."""
    if not callable(fn):
        raise TypeError(f"{getattr(fn, '__name__', fn)} is not callable. "
                        "Please provide a callable function.")
    from .array_ops import concat, expand_dims, reverse as reverse_rows
    with op_scope(name, "scan", _flatten(elems)):
        element, acc, i0, first, cond, step, n = _traversal(elems, initializer, reverse,
                                                            "scan")

        def body(i: Tensor, a: Any) -> tuple[Any, list[Any]]:
            new = fn(a, element(i))
            return [step(i), new], _flatten(new)

        _, stacked = _build_while(cond, body, [i0, acc], None, parallel_iterations, None,
                                  None, collect=True)
        rows = list(stacked)
        if first is not None:
            rows = [concat([expand_dims(f, 0), r], 0) for f, r in zip(first, rows)]
        if reverse:
            rows = [reverse_rows(r, [0]) for r in rows]
        return _pack_as(acc, _with_length(rows, n))
