"""Running graphs: ``Session``, ``InteractiveSession`` and the default session."""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Iterator, Optional, cast

import numpy as np

from . import _symgrad
from .config_pb2 import _optional_config
from .errors import OpError
from .framework import Graph, Operation, Tensor, get_default_graph
from .indexed_slices import IndexedSlices, IndexedSlicesValue
from .sparse_tensor import SparseTensor, SparseTensorValue

__all__ = ["Session", "InteractiveSession", "get_default_session"]


class _SessionStack(threading.local):
    def __init__(self) -> None:
        self.stack: list["Session"] = []


_default_sessions = _SessionStack()


def get_default_session() -> Optional["Session"]:
    """The innermost session entered with ``with sess:`` or ``sess.as_default()``."""
    stack = _default_sessions.stack
    return stack[-1] if stack else None


# ----- fetch structures -----
class _RunningSessions(threading.local):
    def __init__(self) -> None:
        self.stack: list["Session"] = []


_running_sessions = _RunningSessions()


def _running_session() -> Optional["Session"]:
    """The session whose ``run`` is executing on this thread, innermost first: host ops that
    keep per-session state (dataset iterators) find their session by it. The executor runs
    ops on the calling thread, so a callback sees the run that called it."""
    stack = _running_sessions.stack
    return stack[-1] if stack else None


class _FetchPlan:
    """Flattens a nest of fetches into unique graph elements and rebuilds the results."""

    def __init__(self, graph: Graph, fetches: Any) -> None:
        self.graph = graph
        self.tensors: list[Tensor] = []
        self.targets: list[Operation] = []
        self._tensor_slot: dict[Tensor, int] = {}
        self._target_ids: set[int] = set()
        self.structure = self._build(fetches)

    def _tensor_index(self, tensor: Tensor) -> int:
        slot = self._tensor_slot.get(tensor)
        if slot is None:
            slot = len(self.tensors)
            self._tensor_slot[tensor] = slot
            self.tensors.append(tensor)
        return slot

    def _build(self, fetch: Any) -> Any:
        """A mirror of the nest: leaves become ('t', slot), ('op',), ('slices', ...)."""
        if isinstance(fetch, dict):
            return ("dict", type(fetch), [(k, self._build(v)) for k, v in fetch.items()])
        if isinstance(fetch, tuple) and hasattr(fetch, "_fields"):
            return ("namedtuple", type(fetch), [self._build(v) for v in fetch])
        if isinstance(fetch, (list, tuple)):
            return ("seq", type(fetch), [self._build(v) for v in fetch])
        if isinstance(fetch, IndexedSlices):
            shape = fetch.dense_shape
            return ("slices", self._build(fetch.values), self._build(fetch.indices),
                    None if shape is None else self._build(shape))
        if isinstance(fetch, SparseTensor):
            return ("sparse", self._build(fetch.indices), self._build(fetch.values),
                    self._build(fetch.dense_shape))
        if not isinstance(fetch, (Tensor, Operation, str)) and hasattr(fetch,
                                                                        "_as_graph_element"):
            fetch = fetch._as_graph_element()  # a Variable fetches its value
        element = self._resolve(fetch)
        if isinstance(element, Operation):
            if element._id not in self._target_ids:
                self._target_ids.add(element._id)
                self.targets.append(element)
            return ("op",)
        return ("t", self._tensor_index(element))

    def _resolve(self, fetch: Any) -> Any:
        if fetch is None:
            raise TypeError(f'Argument `fetch` = {fetch} has invalid type '
                            f'"{type(fetch).__name__}". Cannot be None')
        if not isinstance(fetch, (Tensor, Operation, str)):
            raise TypeError(
                f'Argument `fetch` = {fetch} has invalid type "{type(fetch).__name__}" must be '
                f"a string or Tensor. (Can not convert a {type(fetch).__name__} into a Tensor "
                "or Operation.)")
        try:
            return self.graph.as_graph_element(fetch, allow_tensor=True, allow_operation=True)
        except (KeyError, ValueError) as e:
            raise ValueError(f"Argument `fetch` = {fetch} cannot be interpreted as a "
                             f"Tensor. ({e})") from None

    def rebuild(self, values: list[Any]) -> Any:
        return self._rebuild(self.structure, values)

    def _rebuild(self, node: Any, values: list[Any]) -> Any:
        kind = node[0]
        if kind == "t":
            return values[node[1]]
        if kind == "op":
            return None
        if kind == "slices":
            shape = None if node[3] is None else self._rebuild(node[3], values)
            return IndexedSlicesValue(self._rebuild(node[1], values),
                                      self._rebuild(node[2], values), shape)
        if kind == "sparse":
            return SparseTensorValue(*[self._rebuild(part, values) for part in node[1:]])
        if kind == "dict":
            return node[1]((k, self._rebuild(v, values)) for k, v in node[2])
        if kind == "namedtuple":
            return node[1](*[self._rebuild(v, values) for v in node[2]])
        return node[1](self._rebuild(v, values) for v in node[2])


def _feed_key(graph: Graph, key: Any) -> Tensor:
    try:
        if isinstance(key, (Tensor, str)):
            element = graph.as_graph_element(key, allow_tensor=True, allow_operation=False)
        else:
            raise TypeError(f"Can not convert a {type(key).__name__} into a Tensor.")
    except (KeyError, ValueError, TypeError) as e:
        text = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        raise TypeError(f"Cannot interpret feed_dict key as Tensor: {text}") from None
    return cast(Tensor, element)


def _sparse_feeds_split(feed_dict: Any) -> Iterator[tuple[Any, Any]]:
    """The feeds with each ``SparseTensor`` key fed through its three tensors, from a
    ``SparseTensorValue`` or an ``(indices, values, dense_shape)`` tuple, as TF."""
    for key, value in feed_dict.items():
        if not isinstance(key, SparseTensor):
            yield key, value
            continue
        if not isinstance(value, tuple) or len(value) != 3:
            raise TypeError(f"Cannot feed a SparseTensor with a {type(value).__name__}: "
                            "expected a SparseTensorValue or a 3-tuple "
                            "(indices, values, dense_shape)")
        yield from zip((key.indices, key.values, key.dense_shape), value)


def _feed_value(tensor: Tensor, value: Any) -> np.ndarray:
    """The feed as an array of the tensor's dtype, checked against its static shape."""
    np_type = tensor.dtype.as_numpy_dtype
    if isinstance(value, Tensor):
        raise TypeError("The value of a feed cannot be a tf.Tensor object. Acceptable feed "
                        "values include Python scalars, strings, lists, numpy ndarrays, or "
                        "TensorHandles.")
    if isinstance(value, int) and not isinstance(value, bool) and tensor.dtype.is_integer:
        info = np.iinfo(np_type)
        if not info.min <= value <= info.max:
            raise TypeError(
                f"Type of feed value {value} with type {type(value)} is not compatible with "
                f"Tensor type {np_type}. Try explicitly setting the type of the feed tensor "
                "to a larger type (e.g. int64).")
    array: np.ndarray = np.asarray(value, dtype=np_type)
    if not tensor.shape.is_compatible_with(array.shape):
        raise ValueError(f"Cannot feed value of shape {array.shape} for Tensor "
                         f"{tensor.name}, which has shape {tensor.shape}")
    return array


def _as_result(array: Any) -> Any:
    """0-d results become numpy scalars (np.float32 ...), as TF returns them."""
    array = np.asarray(array)
    return array[()] if array.ndim == 0 else array


class Session:
    """Runs operations and evaluates tensors of one graph."""

    def __init__(self, target: str = "", graph: Optional[Graph] = None, config: Any = None
                 ) -> None:
        self._graph = graph if graph is not None else get_default_graph()
        self._made_eagerly = self._graph._is_eager
        if self._made_eagerly:
            # As TF's Session made in eager mode: a session over an empty graph.
            self._graph = Graph()
        self._native = _symgrad.Session(self._graph._native)
        self._closed = False
        self._target = target
        self._config = _optional_config(config)
        self._context_stack: list[contextlib.ExitStack] = []

    @property
    def graph(self) -> Graph:
        return self._graph

    @property
    def graph_def(self) -> Any:
        return self._graph.as_graph_def()

    @property
    def sess_str(self) -> str:
        return self._target

    def run(self, fetches: Any, feed_dict: Any = None, options: Any = None,
            run_metadata: Any = None) -> Any:
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        if self._made_eagerly and self._graph.version == 0:
            raise RuntimeError("The Session graph is empty. Add operations to the graph "
                               "before calling run().")
        plan = _FetchPlan(self._graph, fetches)
        feeds: dict[Tensor, np.ndarray] = {}
        for key, value in _sparse_feeds_split(feed_dict or {}):
            tensor = _feed_key(self._graph, key)
            if not self._graph.is_feedable(tensor):
                raise ValueError(f"Tensor {tensor.name} may not be fed.")
            feeds[tensor] = _feed_value(tensor, value)
        # A fetched tensor that is also fed gives back the fed value, as in TF.
        to_compute = [t for t in plan.tensors if t not in feeds]
        if not to_compute and not plan.targets:
            computed: list[Any] = []
        else:
            _running_sessions.stack.append(self)
            try:
                computed = self._native.run(
                    [t._ref for t in to_compute], [op._id for op in plan.targets],
                    [(t._ref, array) for t, array in feeds.items()])
            except OpError as error:
                self._attach_op(error)
                raise
            finally:
                _running_sessions.stack.pop()
        by_tensor = dict(zip(to_compute, computed))
        values = [_as_result(feeds[t] if t in feeds else by_tensor[t]) for t in plan.tensors]
        return plan.rebuild(values)

    def _attach_op(self, error: OpError) -> None:
        node_id = getattr(error, "_node_id", None)
        if node_id is not None and error.op is None:
            try:
                error._op = self._graph._op(node_id)
            except Exception:  # a bad id must not hide the original error
                pass

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._native.close()

    @property
    def _is_closed(self) -> bool:
        return self._closed

    @contextlib.contextmanager
    def as_default(self) -> Iterator["Session"]:
        stack = _default_sessions.stack
        stack.append(self)
        try:
            yield self
        finally:
            for i in range(len(stack) - 1, -1, -1):
                if stack[i] is self:
                    del stack[i]
                    break

    def __enter__(self) -> "Session":
        contexts = contextlib.ExitStack()
        contexts.enter_context(self._graph.as_default())
        contexts.enter_context(self.as_default())
        self._context_stack.append(contexts)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._context_stack:
            self._context_stack.pop().close()
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def list_devices(self) -> list[Any]:
        return []

    def make_callable(self, fetches: Any, feed_list: Any = None, accept_options: bool = False
                      ) -> Any:
        feed_list = list(feed_list or [])

        def run_callable(*feed_values: Any, **kwargs: Any) -> Any:
            return self.run(fetches, dict(zip(feed_list, feed_values)))

        return run_callable


class InteractiveSession(Session):
    """A Session that makes itself (and its graph) the default until closed."""

    def __init__(self, target: str = "", graph: Optional[Graph] = None, config: Any = None
                 ) -> None:
        super().__init__(target, graph, config)
        self._default_contexts: Optional[contextlib.ExitStack] = contextlib.ExitStack()
        self._default_contexts.enter_context(self._graph.as_default())
        self._default_contexts.enter_context(self.as_default())

    def close(self) -> None:
        super().close()
        contexts = getattr(self, "_default_contexts", None)
        if contexts is not None:
            self._default_contexts = None
            contexts.close()


def _session_for(graph: Graph, session: Optional[Session], what: str, how: str) -> Session:
    if session is None:
        session = get_default_session()
        if session is None:
            raise ValueError(
                f"Cannot {what} using `{how}()`: No default session is registered. Use "
                f"`with sess.as_default()` or pass an explicit session to `{how}(session=sess)`")
        if session.graph is not graph:
            raise ValueError(
                f"Cannot use the default session to {what}: the {_noun(how)}'s graph is "
                "different from the session's graph. Pass an explicit session to "
                f"`{how}(session=sess)`.")
    elif session.graph is not graph:
        raise ValueError(f"Cannot use the given session to {what}: the {_noun(how)}'s graph "
                         "is different from the session's graph.")
    return session


def _noun(how: str) -> str:
    return "tensor" if how == "eval" else "operation"


def _eval_using_default_session(tensor: Tensor, feed_dict: Any, graph: Graph,
                                session: Optional[Session]) -> Any:
    sess = _session_for(graph, session, "evaluate tensor", "eval")
    return sess.run(tensor, feed_dict)


def _run_using_default_session(op: Operation, feed_dict: Any, graph: Graph,
                               session: Optional[Session]) -> None:
    sess = _session_for(graph, session, "execute operation", "run")
    sess.run(op, feed_dict)
