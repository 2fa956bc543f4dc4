"""Grouping and ordering: ``no_op``, ``group``, ``tuple``, ``with_dependencies``."""

from __future__ import annotations

import builtins
from typing import Any, Optional, Sequence

from ._op_helpers import create_op, create_tensor, op_scope
from .constant_op import convert_to_tensor
from .framework import (Operation, Tensor, colocate_with, control_dependencies,
                        get_default_graph)

__all__ = ["no_op", "group", "tuple", "with_dependencies"]


def no_op(name: Optional[str] = None) -> Operation:
    with op_scope(name, "NoOp", []) as scope:
        return create_op("NoOp", [], {}, scope)


def _flatten_ops(inputs: Sequence[Any], out: list[Operation]) -> None:
    for item in inputs:
        if isinstance(item, (list, builtins.tuple)):
            _flatten_ops(item, out)
        elif isinstance(item, Operation):
            out.append(item)
        elif isinstance(item, Tensor):
            out.append(item.op)
        elif item is None:
            continue
        elif isinstance(getattr(item, "values", None), Tensor):
            out.append(item.values.op)  # IndexedSlices
        else:
            raise TypeError(f"Expected an Operation or Tensor in group(), got {item!r}")


def group(*inputs: Any, **kwargs: Any) -> Operation:
    """A ``NoOp`` with a control input on every given op (or each given tensor's op)."""
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"Unknown keyword arguments: {', '.join(kwargs)}")
    if get_default_graph()._is_eager:
        return None  # eager ops ran already; TF's eager group is None
    ops: list[Operation] = []
    _flatten_ops(inputs, ops)
    values: list[Any] = list(ops)
    with op_scope(name, "group_deps", values) as scope:
        if not ops:
            return create_op("NoOp", [], {}, scope)
        graph = ops[0].graph
        with graph.control_dependencies(ops):
            return graph._create_op("NoOp", [], {}, scope or None)


def with_dependencies(dependencies: Sequence[Any], output_tensor: Any,
                      name: Optional[str] = None) -> Tensor:
    """``identity(output_tensor)`` that runs only after ``dependencies``."""
    with op_scope(name, "control_dependency", list(dependencies) + [output_tensor]) as scope:
        with colocate_with(output_tensor), control_dependencies(dependencies):
            value = convert_to_tensor(output_tensor)
            return create_tensor("Identity", [value], {}, scope)


def tuple(tensors: Sequence[Any], name: Optional[str] = None,  # noqa: A001 - TF's name
          control_inputs: Optional[Sequence[Any]] = None) -> list[Any]:
    """Each tensor passed through an Identity gated on all of them (TF's ``tuple``)."""
    if get_default_graph()._is_eager:
        return list(tensors)
    with op_scope(name, "tuple", list(tensors)):
        gating_ops = [t if isinstance(t, Operation) else t.op for t in tensors if t is not None]
        for c in control_inputs or ():
            if isinstance(c, Tensor):
                c = c.op
            elif not isinstance(c, Operation):
                raise TypeError("'control_inputs' must only contain Operation or Tensor. "
                                f"Received: {c}")
            gating_ops.append(c)
        unique = {id(op): op for op in gating_ops}
        gating_ops = sorted(unique.values(), key=lambda op: op._id)
        if not gating_ops:
            raise ValueError(f"'tensors' must have at least one Tensor. Received: {tensors}.")
        gate = group(*gating_ops)
        result: list[Any] = []
        for t in tensors:
            if isinstance(t, Tensor):
                result.append(with_dependencies([gate], t))
            elif isinstance(t, Operation):
                with control_dependencies([gate]):
                    result.append(group(t))
            else:
                result.append(None)
        return result

