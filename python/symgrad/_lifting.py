"""Making ops outside the loops and conds being traced (TF's ``init_scope`` for variables)."""

from __future__ import annotations

import contextlib
from typing import Iterator

from .framework import get_default_graph

__all__ = ["lifted"]


@contextlib.contextmanager
def lifted() -> Iterator[None]:
    """Ops made in this block go outside every loop or cond function being traced; each
    enclosing loop then treats them as outer values (a variable read in its body is read
    before the loop and captured), as TF lifts variable creation out of function graphs."""
    graph = get_default_graph()
    saved = graph._control_flow_context
    if saved is None:
        yield
        return
    first = graph._native.num_ops()
    graph._control_flow_context = None
    try:
        yield
    finally:
        graph._control_flow_context = saved
        made = set(range(first, graph._native.num_ops()))
        ctx = saved
        while ctx is not None:
            outer_ops = getattr(ctx, "_outer_ops", None)
            if outer_ops is not None:
                outer_ops.update(made)
            ctx = getattr(ctx, "outer_context", None)
