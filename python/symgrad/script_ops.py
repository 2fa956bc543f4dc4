"""``tf.py_func`` and ``tf.numpy_function``: ops that call a Python function at run time.

The op (``PyFunc``, or ``PyFuncStateless`` for ``stateful=False``) names its function by a
``token`` attribute (``pyfunc_0``, ``pyfunc_1``, ...); the native core keeps a registry of
token → callback and the executor calls back into Python, taking the GIL for the call. The
function gets numpy arrays and returns a value, a list of values or ``None``; its outputs have
unknown shapes and no gradient (as in TF). An exception it raises becomes TF's run-time error:
``ValueError``/``TypeError`` → ``InvalidArgumentError``, ``StopIteration`` →
``OutOfRangeError``, ``MemoryError`` → ``ResourceExhaustedError``, ``NotImplementedError`` →
``UnimplementedError``, anything else (an ``OpError`` too) → ``UnknownError``.

A callback lives as long as its graph: it is unregistered when the graph is collected.
"""

from __future__ import annotations

import itertools
import threading
import traceback
import weakref
from typing import Any, Callable, Optional, Sequence

import numpy as np

from . import _symgrad
from . import dtypes as _dtypes
from . import errors
from .constant_op import convert_to_tensor
from .framework import Graph, Operation, Tensor, get_default_graph, name_scope

__all__ = ["py_func", "numpy_function", "py_function"]

_TOKENS = itertools.count()
_TOKENS_LOCK = threading.Lock()


def _error_class(exc: BaseException) -> type:
    if isinstance(exc, (ValueError, TypeError)):
        return errors.InvalidArgumentError
    if isinstance(exc, StopIteration):
        return errors.OutOfRangeError
    if isinstance(exc, MemoryError):
        return errors.ResourceExhaustedError
    if isinstance(exc, NotImplementedError):
        return errors.UnimplementedError
    return errors.UnknownError


def _as_output(value: Any) -> np.ndarray:
    return np.asarray(value, order="C")


def _callback(func: Callable[..., Any]) -> Callable[[list[np.ndarray]], list[np.ndarray]]:
    """What the core calls: the user's function on the inputs, its result as a list of
    arrays, and its exception as a ``symgrad.errors`` class with TF's message."""

    def call(arrays: list[np.ndarray]) -> list[np.ndarray]:
        try:
            result = func(*arrays)
        except BaseException as exc:  # noqa: BLE001 - as TF, every exception becomes an OpError
            text = "\n".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            message = f"{type(exc).__name__}: {exc}\n{text}"
            raise _error_class(exc)(None, None, message) from exc
        if result is None:
            return []
        if isinstance(result, (list, tuple)):
            return [_as_output(v) for v in result]
        return [_as_output(result)]

    return call


def _forget_tokens(tokens: list[str]) -> None:
    for token in tokens:
        _symgrad.unregister_host_callback(token)


def _register(graph: Graph, func: Callable[..., Any], wrap: bool = True) -> str:
    """Registers ``func`` for a new token kept until ``graph`` is collected; ``wrap=False``
    registers a callback that already takes and returns lists of arrays."""
    with _TOKENS_LOCK:
        token = f"pyfunc_{next(_TOKENS)}"
    tokens = getattr(graph, "_symgrad_py_func_tokens", None)
    if tokens is None:
        tokens = []
        setattr(graph, "_symgrad_py_func_tokens", tokens)
        weakref.finalize(graph, _forget_tokens, tokens)
    tokens.append(token)
    _symgrad.register_host_callback(token, _callback(func) if wrap else func)
    return token


def _internal_py_func(func: Callable[..., Any], inp: Any, Tout: Any, stateful: bool,
                      name: Optional[str]) -> Any:
    if not callable(func):
        raise ValueError(f"Expected func to be callable. Received func={func} of type "
                         f"{type(func)}.")
    is_list = isinstance(Tout, (list, tuple))
    tout = [_dtypes.as_dtype(t) for t in (Tout if is_list else [Tout])]
    graph = get_default_graph()
    op_type = "PyFunc" if stateful else "PyFuncStateless"
    inputs = [convert_to_tensor(x) for x in (inp if isinstance(inp, (list, tuple)) else [inp])]
    token = _register(graph, func)
    attrs = {"token": token, "Tout": [t.name for t in tout]}
    with name_scope(name, op_type, inputs) as scope:
        op: Operation = graph._create_op(op_type, inputs, attrs, scope or None)
    if not tout:
        return op
    outputs: Sequence[Tensor] = op.outputs
    return list(outputs) if is_list else outputs[0]


def py_func(func: Callable[..., Any], inp: Any, Tout: Any, stateful: bool = True,
            name: Optional[str] = None) -> Any:
    """Wraps ``func`` (numpy arrays in, numpy values out) as a graph op."""
    return _internal_py_func(func, inp, Tout, stateful, name)


def numpy_function(func: Callable[..., Any], inp: Any, Tout: Any, stateful: bool = True,
                   name: Optional[str] = None) -> Any:
    """``py_func`` by its TF 2 name."""
    return _internal_py_func(func, inp, Tout, stateful, name)


def py_function(func: Optional[Callable[..., Any]] = None, inp: Any = None, Tout: Any = None,
                name: Optional[str] = None) -> Any:
    """TF 2's ``py_function``: ``func`` gets eager tensors (it may call symgrad ops on them)
    and returns tensors or numpy values. Built on ``PyFunc`` (TF: ``EagerPyFunc``, named
    ``EagerPyFunc`` by default as in TF); like ``py_func`` it has no gradient."""
    from .eager import eager_mode
    if func is None:
        raise TypeError("py_function needs a function: func=None")

    def call_eagerly(*arrays: np.ndarray) -> Any:
        with eager_mode():
            result = func(*[convert_to_tensor(a) for a in arrays])
        if isinstance(result, (list, tuple)):
            return [_eager_value(r) for r in result]
        return None if result is None else _eager_value(result)

    return _internal_py_func(call_eagerly, [] if inp is None else inp,
                             [] if Tout is None else Tout, True, name or "EagerPyFunc")


def _eager_value(value: Any) -> Any:
    numpy = getattr(value, "numpy", None)
    return numpy() if callable(numpy) else value
