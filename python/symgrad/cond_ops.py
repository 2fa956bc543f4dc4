"""``cond`` and ``case`` built as TF1's dataflow control flow: ``Switch`` and ``Merge`` ops.

While a branch function runs, the graph's control-flow context is a ``CondContext``. Every op
created then passes through it (``Graph._create_op``): an input made outside the branch is
replaced by the taken output of a ``Switch(value, pred)`` (one per value and branch, cached,
as TF's ``CondContext.AddValue``), and an op without inputs gets a control dependency on the
branch's pivot. So every op of a branch has a dead input when the branch is not taken, and
the executor skips it: the untaken branch never runs.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Optional, Sequence

from . import dtypes
from ._op_helpers import op_scope
from .constant_op import convert_to_tensor
from .framework import Graph, Operation, Tensor, get_default_graph

__all__ = ["cond", "case", "switch", "merge", "CondContext"]


def switch(data: Any, pred: Any, name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    """``Switch(data, pred)``: ``(output_false, output_true)``; the untaken one is dead."""
    with op_scope(name, "Switch", [data, pred]) as scope:
        data = convert_to_tensor(data, name="data")
        pred = convert_to_tensor(pred, name="pred")
        graph = data.graph
        op = graph._create_op("Switch", [data, pred], {}, scope or None)
        return op.outputs[0], op.outputs[1]


def merge(inputs: Sequence[Any], name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    """``Merge(inputs)``: ``(output, value_index)`` of the first live input."""
    with op_scope(name, "Merge", list(inputs)) as scope:
        tensors = [convert_to_tensor(t) for t in inputs]
        graph = tensors[0].graph if tensors else get_default_graph()
        op = graph._create_op("Merge", tensors, {}, scope or None)
        return op.outputs[0], op.outputs[1]


@contextlib.contextmanager
def _outside_contexts(graph: Graph) -> Iterator[None]:
    saved = graph._control_flow_context
    graph._control_flow_context = None
    try:
        yield
    finally:
        graph._control_flow_context = saved


class CondContext:
    """One branch of a ``cond``: its predicate, pivot and branch index (1 true, 0 false)."""

    def __init__(self, pred: Tensor, pivot: Tensor, branch: int) -> None:
        self.pred = pred
        self.pivot = pivot
        self.branch = branch
        self.outer_context: Optional[CondContext] = None
        self._graph = pred.graph
        self._first_op_id = 0
        # tensor → its stand-in inside this branch; the predicate and pivot are the
        # branch's own (TF's CondContext adds them to its values).
        self._external_values: dict[Tensor, Tensor] = {pred: pred, pivot: pivot}

    @contextlib.contextmanager
    def entered(self) -> Iterator["CondContext"]:
        graph = self._graph
        self.outer_context = graph._control_flow_context
        self._first_op_id = graph._native.num_ops()
        graph._control_flow_context = self
        try:
            yield self
        finally:
            graph._control_flow_context = self.outer_context

    def _is_internal(self, t: Tensor) -> bool:
        return t.op._id >= self._first_op_id

    def add_value(self, t: Tensor, scope: Optional[str] = None) -> Tensor:
        """``t`` as this branch sees it: itself when made inside, else a switched copy."""
        if self._is_internal(t):
            return t
        cached = self._external_values.get(t)
        if cached is not None:
            return cached
        return self._switch_in(t, scope)

    def _switch_in(self, t: Tensor, scope: Optional[str]) -> Tensor:
        """``t``, made outside this branch, through a ``Switch`` on the branch's predicate."""
        outer = self.outer_context.add_value(t, scope) if self.outer_context else t
        # Outside any control dependencies, as TF: a Switch gated on a branch's ops would be
        # dead whenever they are, and so would the gradient built from it.
        graph = self._graph
        named = graph.name_scope(scope) if scope else contextlib.nullcontext()
        with _outside_contexts(graph), named, graph.control_dependencies(None):
            value = switch(outer, self.pred)[self.branch]
        self._external_values[t] = value
        return value

    def create_op(self, graph: Graph, op_type: str, inputs: Sequence[Tensor],
                  attrs: Optional[dict[str, Any]], name: Optional[str]) -> Operation:
        # TF names a captured value's Switch after its first consumer ("cond/mul/Switch").
        switch_scope = name if name and name.endswith("/") else None
        if op_type == "ReadVariableOp" and inputs and not self._is_internal(inputs[0]):
            return self._outer_read(graph, inputs, attrs, name, switch_scope)
        inputs = [self.add_value(t, switch_scope) for t in inputs]
        with _outside_contexts(graph):
            if inputs:
                return graph._create_op(op_type, inputs, attrs, name)
            with graph.control_dependencies([self.pivot.op]):
                return graph._create_op(op_type, inputs, attrs, name)

    def _outer_read(self, graph: Graph, inputs: Sequence[Tensor],
                    attrs: Optional[dict[str, Any]], name: Optional[str],
                    switch_scope: Optional[str]) -> Operation:
        """A read of an outer variable: made outside the branch and its value switched in.

        Gradients with respect to a variable are taken at its reads (``variable_reads``);
        a read behind a switched handle would get a gradient only when its branch runs,
        while the read's value, switched, gets the merged gradient of both branches (TF
        reaches the handle through the Switch instead). The read itself has no effect, so
        running it when the branch is not taken is harmless.
        """
        saved = graph._control_flow_context
        graph._control_flow_context = self.outer_context
        try:
            read = graph._create_op("ReadVariableOp", inputs, attrs, name).outputs[0]
        finally:
            graph._control_flow_context = saved
        switched = self._switch_in(read, switch_scope)
        with _outside_contexts(graph):
            return graph._create_op("Identity", [switched], {}, None)

    def build_branch(self, fn: Callable[[], Any]) -> tuple[Any, Optional[list[Tensor]]]:
        """Runs ``fn`` in this context; returns its result and the flat tensors it stands for."""
        original = fn()
        if original is None:
            return None, None
        flat = [self._output_tensor(v) for v in _flatten(original)]
        return original, flat

    def _output_tensor(self, v: Any) -> Tensor:
        if isinstance(v, Operation):
            from .control_flow_ops import with_dependencies
            # An op result stands as the pivot, run after the op (TF's proxy).
            return with_dependencies([v], self.pivot)
        t = convert_to_tensor(v)
        with _outside_contexts(self._graph):
            return self.add_value(t)


# ----- nested structures (lists, tuples, namedtuples, dicts), as TF's nest -----

def _is_sequence(x: Any) -> bool:
    return isinstance(x, (list, tuple, dict))


def _flatten(structure: Any) -> list[Any]:
    out: list[Any] = []
    stack = [structure]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item[k] for k in reversed(sorted(item)))
        elif isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        else:
            out.append(item)
    return out


def _pack_as(structure: Any, flat: list[Any]) -> Any:
    values = iter(flat)

    def build(s: Any) -> Any:
        if isinstance(s, dict):
            built = {k: build(s[k]) for k in sorted(s)}
            return type(s)((k, built[k]) for k in s)
        if isinstance(s, (list, tuple)):
            items = [build(x) for x in s]
            if isinstance(s, tuple) and hasattr(s, "_fields"):
                return type(s)(*items)
            return type(s)(items)
        return next(values)

    return build(structure)


def _same_structure(a: Any, b: Any) -> Optional[str]:
    """Why ``a`` and ``b`` differ in nesting, or None."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if _is_sequence(x) != _is_sequence(y):
            return (f"The two structures don't have the same nested structure.\n\n"
                    f"First structure: {a}\n\nSecond structure: {b}")
        if not _is_sequence(x):
            continue
        if type(x) is not type(y) and not (isinstance(x, list) and isinstance(y, list)):
            return (f"The two structures don't have the same sequence type. Input structure "
                    f"has type {type(x)}, while shallow structure has type {type(y)}.")
        if len(x) != len(y):
            return (f"The two structures don't have the same number of elements.\n\n"
                    f"First structure ({len(x)} elements): {a}\n\n"
                    f"Second structure ({len(y)} elements): {b}")
        if isinstance(x, dict):
            if sorted(x) != sorted(y):
                return "The two dictionaries don't have the same set of keys."
            stack.extend((x[k], y[k]) for k in sorted(x))
        else:
            stack.extend(zip(x, y))
    return None


def _unpack_if_singleton(res: Any) -> Any:
    if isinstance(res, (list, tuple)) and len(res) == 1:
        return res[0]
    return res


def _branch_argument(fn: Any, old_fn: Any, name: str, old_name: str) -> Any:
    """A branch given under its name or TF1's deprecated one (``fn1``/``fn2``)."""
    if old_fn is not None:
        if fn is not None:
            raise TypeError(
                f"cond(): '{name}' and '{old_name}' may not be set simultaneously.")
        return old_fn
    if fn is None:
        raise TypeError(f"cond(): '{name}' argument required")
    return fn


def cond(pred: Any, true_fn: Optional[Callable[[], Any]] = None,
         false_fn: Optional[Callable[[], Any]] = None, strict: bool = False,
         name: Optional[str] = None, fn1: Optional[Callable[[], Any]] = None,
         fn2: Optional[Callable[[], Any]] = None) -> Any:
    """``true_fn()`` if ``pred`` else ``false_fn()``; only the taken branch runs."""
    true_fn = _branch_argument(true_fn, fn1, "true_fn", "fn1")
    false_fn = _branch_argument(false_fn, fn2, "false_fn", "fn2")
    if not callable(true_fn):
        raise TypeError("'true_fn' must be callable.")
    if not callable(false_fn):
        raise TypeError("'false_fn' must be callable.")
    graph = pred.graph if isinstance(pred, Tensor) else get_default_graph()
    if graph._is_eager:
        value = convert_to_tensor(pred)  # an EagerTensor
        taken = true_fn if bool(value.numpy()) else false_fn  # type: ignore[attr-defined]
        result = taken()
        return _unpack_if_singleton(result) if not strict else result

    with op_scope(name, "cond", [pred]):
        if isinstance(pred, bool):
            raise TypeError("'pred' must not be a Python bool.")
        from .array_ops import identity
        p_2, p_1 = switch(pred, pred)
        pivot_1 = identity(p_1, name="switch_t")
        pivot_2 = identity(p_2, name="switch_f")
        pred = identity(pred, name="pred_id")

        context_t = CondContext(pred, pivot_1, branch=1)
        with context_t.entered():
            orig_res_t, res_t = context_t.build_branch(true_fn)
        if orig_res_t is None:
            raise ValueError("'true_fn' must have a return value.")
        context_f = CondContext(pred, pivot_2, branch=0)
        with context_f.entered():
            orig_res_f, res_f = context_f.build_branch(false_fn)
        if orig_res_f is None:
            raise ValueError("'false_fn' must have a return value.")
        assert res_t is not None and res_f is not None

        if not strict:
            orig_res_t = _unpack_if_singleton(orig_res_t)
            orig_res_f = _unpack_if_singleton(orig_res_f)
        problem = _same_structure(orig_res_t, orig_res_f)
        if problem is not None:
            kind = TypeError if "sequence type" in problem else ValueError
            words = "types" if kind is TypeError else "values"
            raise kind(f"Incompatible return {words} of 'true_fn' and 'false_fn': {problem}")
        if not res_t:
            raise ValueError("'true_fn' and 'false_fn' must return at least one result.")
        for x, y in zip(res_t, res_f):
            if x.dtype.base_dtype != y.dtype.base_dtype:
                raise ValueError(
                    "Outputs of 'true_fn' and 'false_fn' must have the same type(s). "
                    f"Received {x.dtype.name} from 'true_fn' and {y.dtype.name} from "
                    "'false_fn'.")
        merges = [merge([f, t])[0] for f, t in zip(res_f, res_t)]
        packed = _pack_as(orig_res_t, merges)
        if not strict:
            packed = _unpack_if_singleton(packed)
        return packed


def _verify_case_args(pred_fn_pairs: Any, exclusive: bool, name: str
                      ) -> tuple[list[Any], list[Callable[[], Any]]]:
    import collections
    if not isinstance(pred_fn_pairs, (list, tuple, dict)):
        raise TypeError("'pred_fn_pairs' must be a list, tuple, or dict. "
                        f"Received: {type(pred_fn_pairs)}")
    if isinstance(pred_fn_pairs, collections.OrderedDict):
        pairs = list(pred_fn_pairs.items())
    elif isinstance(pred_fn_pairs, dict):
        pairs = sorted(pred_fn_pairs.items(), key=lambda item: item[0].name)
    else:
        pairs = list(pred_fn_pairs)
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError("Each entry in 'pred_fn_pairs' must be a 2-tuple. "
                            f"Received {pair}.")
        pred, fn = pair
        if isinstance(pred, Tensor):
            if pred.dtype != dtypes.bool:
                raise TypeError("pred must be Tensor of type bool: %s" % pred.name)
        else:
            raise TypeError("pred must be a Tensor, got: %s" % pred)
        if not callable(fn):
            raise TypeError("fn for pred %s must be callable." % pred.name)
    return [p for p, _ in pairs], [f for _, f in pairs]


def _assert_at_most_n_true(predicates: Sequence[Tensor], n: int, msg: str) -> Operation:
    from .array_ops import stack
    from .check_ops import Assert
    from .constant_op import constant
    from .math_ops import cast, less_equal, reduce_sum
    preds_c = stack(list(predicates), name="preds_c")
    num_true = reduce_sum(cast(preds_c, dtypes.int32), name="num_true_conds")
    condition = less_equal(num_true, constant(n, name="n_true_conds"))
    names = ", ".join(getattr(p, "name", "?") for p in predicates)
    data = ["%s: more than %d conditions (%s) evaluated as True:" % (msg, n, names), preds_c]
    return Assert(condition, data=data, summarize=len(predicates))


def case(pred_fn_pairs: Any, default: Optional[Callable[[], Any]] = None,
         exclusive: bool = False, strict: bool = False, name: str = "case") -> Any:
    """The result of the first callable whose predicate holds, else ``default()``: nested
    ``cond``s, as TF1 builds them."""
    from .array_ops import stack
    from .check_ops import Assert
    from .framework import control_dependencies
    predicates, actions = _verify_case_args(pred_fn_pairs, exclusive, name)
    with op_scope(name, "case", [predicates]):
        if default is None:
            k = len(predicates) - 1
            predicate, action = predicates[k], actions[k]
            others, other_actions = predicates[:k], actions[:k]
            all_predicates = list(predicates)

            def default_action() -> Any:
                others_msg = ("Implementation error: selected default action #%d was called, "
                              "but some of other predicates are True: " % k)
                default_msg = ["Input error: None of conditions evaluated as True:",
                               stack(all_predicates, name="preds_c")]
                with control_dependencies([
                        _assert_at_most_n_true(others, n=0, msg=others_msg),
                        Assert(predicate, data=default_msg)]):
                    return action()

            default, predicates, actions = default_action, others, other_actions
        elif not callable(default):
            raise TypeError("default must be callable.")

        def chain(i: int) -> Any:
            if i == len(predicates):
                return default()  # type: ignore[misc]
            return cond(predicates[i], true_fn=actions[i], false_fn=lambda: chain(i + 1),
                        strict=strict)

        if exclusive:
            with control_dependencies([
                    _assert_at_most_n_true(predicates, n=1, msg="Input error: exclusive=True")]):
                return chain(0)
        return chain(0)
