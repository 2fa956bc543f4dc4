"""TF 1 queues: ``tf.FIFOQueue``, ``tf.RandomShuffleQueue`` and ``tf.PaddingFIFOQueue``.

A queue is graph ops over a host-side state, as dataset iterators are: its handle is a
``string`` scalar ``Const`` named as TF's queue op (``fifo_queue``...), holding a token that
names the queue; each op (``<queue>_enqueue``, ``<queue>_Dequeue``, ``<queue>_Close``...) is a
``PyFunc`` op named as TF's. As in TF, a queue's contents belong to the session that runs its
ops. Blocking ops wait on a condition variable: ``Session.run`` releases the GIL while it
runs, so runs on other threads (queue runners) proceed and wake them; closing the session
cancels them (``CancelledError``).
"""

from __future__ import annotations

import itertools
import threading
import weakref
from typing import Any, Callable, Optional, Sequence

import numpy as np

from . import dtypes as _dtypes
from . import errors
from .constant_op import constant, convert_to_tensor
from .framework import Operation, Tensor, get_default_graph, name_scope
from .tensor_shape import TensorShape

__all__ = ["QueueBase", "FIFOQueue", "RandomShuffleQueue", "PaddingFIFOQueue"]

_TOKENS = itertools.count()
_INSTANCES = itertools.count()  # TF names a queue's state "_<n>_<queue name>" in messages
_LOCK = threading.Lock()
_RESOURCES: "weakref.WeakValueDictionary[str, _QueueResource]" = weakref.WeakValueDictionary()
_POLL_SECONDS = 0.05


def _session_closed(session: Any) -> bool:
    return session is not None and getattr(session, "_closed", False)


class _QueueState:
    """One session's queue: its elements (lists of arrays), closed flag and waiters."""

    def __init__(self, resource: "_QueueResource", session: Any) -> None:
        with _LOCK:
            number = next(_INSTANCES)
        self.label = f"{resource.kind} '_{number}_{resource.name}'"
        self.resource = resource
        self.session = session
        self.elements: list[list[np.ndarray]] = []
        self.closed = False
        self.cancelled = False
        self.pending_enqueues = 0
        self.cond = threading.Condition()
        seed = resource.seed
        self.rng = np.random.RandomState(seed) if seed is not None else np.random.RandomState()

    def _wait(self, ready: Callable[[], bool], on_closed: Callable[[], Any]) -> Any:
        """Waits (holding ``cond``) until ``ready()``; ``on_closed()`` decides what a closed
        queue does (raise, or return a value to stop waiting)."""
        while not ready():
            if self.closed:
                result = on_closed()
                if result is not None:
                    return result
            if _session_closed(self.session):
                raise errors.CancelledError(None, None, "Session has been closed.")
            self.cond.wait(_POLL_SECONDS)
        return None

    def _closed_error(self) -> errors.CancelledError:
        return errors.CancelledError(None, None, f"{self.label} is closed.")

    def enqueue(self, items: list[list[np.ndarray]]) -> None:
        """Adds ``items``, waiting for room. A closed queue refuses a new enqueue; one
        already waiting completes unless the close cancelled pending enqueues, as in TF."""
        capacity = self.resource.capacity
        with self.cond:
            if self.closed:
                raise self._closed_error()

            def has_room() -> bool:
                if self.cancelled:
                    raise self._closed_error()
                return capacity <= 0 or len(self.elements) < capacity

            def still_pending() -> Any:
                return None  # keep waiting: only a cancelling close stops this enqueue

            self.pending_enqueues += 1
            try:
                for item in items:
                    self._wait(has_room, still_pending)
                    self.elements.append(item)
                    self.cond.notify_all()
            finally:
                self.pending_enqueues -= 1
                self.cond.notify_all()

    def _insufficient(self, requested: int) -> errors.OutOfRangeError:
        return errors.OutOfRangeError(
            None, None, f"{self.label} is closed and has insufficient elements (requested "
            f"{requested}, current size {len(self.elements)})")

    def dequeue(self, count: int, up_to: bool) -> list[list[np.ndarray]]:
        """``count`` elements (fewer, but at least one, with ``up_to`` once closed)."""
        keep = self.resource.min_after_dequeue
        with self.cond:
            def enough() -> bool:
                size = len(self.elements)
                if self.closed:
                    return size >= count or (up_to and size > 0)
                return size >= count + keep

            def closed_while_waiting() -> Any:
                size = len(self.elements)
                if size >= count or (up_to and size > 0):
                    return True
                if self.pending_enqueues and not self.cancelled:
                    return None  # TF lets enqueues pending at the close deliver first
                raise self._insufficient(count)

            self._wait(enough, closed_while_waiting)
            take = min(count, len(self.elements))
            if self.resource.shuffle:
                picked = [self.elements.pop(self.rng.randint(len(self.elements)))
                          for _ in range(take)]
            else:
                picked, self.elements = self.elements[:take], self.elements[take:]
            self.cond.notify_all()
            return picked

    def close(self, cancel_pending_enqueues: bool) -> None:
        with self.cond:
            self.closed = True
            self.cancelled = self.cancelled or cancel_pending_enqueues
            self.cond.notify_all()

    def size(self) -> int:
        with self.cond:
            return len(self.elements)


class _QueueResource:
    """What a queue handle names: its configuration and one state per session."""

    def __init__(self, kind: str, name: str, capacity: int, min_after_dequeue: int,
                 shuffle: bool, seed: Optional[int]) -> None:
        with _LOCK:
            self.token = f"queue_{next(_TOKENS)}"
        self.kind, self.name, self.capacity = kind, name, capacity
        self.min_after_dequeue, self.shuffle, self.seed = min_after_dequeue, shuffle, seed
        self._states: "weakref.WeakKeyDictionary[Any, _QueueState]" = \
            weakref.WeakKeyDictionary()
        self._no_session: Optional[_QueueState] = None
        self._lock = threading.Lock()
        _RESOURCES[self.token] = self

    def state(self) -> _QueueState:
        from .session import _running_session
        session = _running_session()
        with self._lock:
            if session is None:
                if self._no_session is None:
                    self._no_session = _QueueState(self, None)
                return self._no_session
            state = self._states.get(session)
            if state is None:
                state = _QueueState(self, session)
                self._states[session] = state
            return state


def resource_for(handle: Any) -> _QueueResource:
    from .data.iterator_ops import handle_token
    token = handle_token(handle)
    resource = _RESOURCES.get(token)
    if resource is None:
        raise errors.NotFoundError(None, None, f"Resource {token} does not exist.")
    return resource


def _shape_text(shape: Sequence[int]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


class QueueBase:
    """What the queues share: the handle, component dtypes, shapes and names, and the ops."""

    _KIND = "FIFOQueue"

    def __init__(self, capacity: int, dtypes: Any, shapes: Any, names: Any, name: str,
                 min_after_dequeue: int = 0, shuffle: bool = False, seed: Any = None,
                 pad: bool = False) -> None:
        single = not isinstance(dtypes, (list, tuple))
        self._dtypes = [_dtypes.as_dtype(d) for d in ([dtypes] if single else dtypes)]
        if single and isinstance(shapes, TensorShape):
            shapes = [shapes]
        if shapes is None:
            self._shapes = [TensorShape(None) for _ in self._dtypes]
        else:
            shape_list = list(shapes) if isinstance(shapes, (list, tuple)) else [shapes]
            if all(d is None or isinstance(d, (int, np.integer)) for d in shape_list):
                shape_list = [shape_list]  # one shape for all, as TF reads a flat list
            if len(shape_list) != len(self._dtypes):
                raise ValueError("Queue shapes must have the same length as dtypes")
            self._shapes = [TensorShape(s) for s in shape_list]
        if names is not None:
            name_list = [names] if isinstance(names, str) else list(names)
            if len(name_list) != len(self._dtypes):
                raise ValueError("Queue names must have the same length as dtypes")
            self._names: Optional[list[str]] = name_list
        else:
            self._names = None
        if pad and shapes is None:
            raise ValueError("Shapes must be provided for all components, but received None.")
        if not pad and any(not s.is_fully_defined() and s.rank is not None
                           for s in self._shapes):
            raise ValueError("Queue shapes must have fully defined dimensions; use "
                             "PaddingFIFOQueue for dimensions of unknown size.")
        self._pad = pad
        graph = get_default_graph()
        self._resource = _QueueResource(self._KIND, name, int(capacity),
                                        int(min_after_dequeue), shuffle,
                                        None if seed is None else int(seed))
        self._queue_ref = constant(self._resource.token, dtype=_dtypes.string, name=name)
        self._name = self._queue_ref.op.name.split("/")[-1]
        self._resource.name = self._name
        _keep_alive(graph, self._resource)

    @property
    def queue_ref(self) -> Tensor:
        return self._queue_ref

    @property
    def name(self) -> str:
        return self._queue_ref.op.name

    @property
    def dtypes(self) -> list[Any]:
        return list(self._dtypes)

    @property
    def shapes(self) -> list[TensorShape]:
        return list(self._shapes)

    @property
    def names(self) -> Optional[list[str]]:
        return None if self._names is None else list(self._names)

    # ----- building ops -----
    def _components(self, vals: Any, many: bool) -> list[Tensor]:
        if self._names is not None:
            if not isinstance(vals, dict):
                raise TypeError(
                    f"Queue with names {self._names} requires a dict of values to enqueue")
            missing = set(self._names) ^ set(vals)
            if missing:
                raise ValueError(f"Keys in dictionary to enqueue {sorted(vals)} do not match "
                                 f"the names of the queue {sorted(self._names)}")
            vals = [vals[n] for n in self._names]
        elif isinstance(vals, dict):
            raise ValueError("Queue must have names to enqueue a dictionary")
        if not isinstance(vals, (list, tuple)):
            vals = [vals]
        if len(vals) != len(self._dtypes):
            raise ValueError(f"Expected {len(self._dtypes)} components to enqueue, got "
                             f"{len(vals)}")
        tensors = []
        for i, (v, dtype, shape) in enumerate(zip(vals, self._dtypes, self._shapes)):
            t = convert_to_tensor(v, dtype=dtype, name=f"component_{i}")
            static = t.shape
            if many and static.rank is not None:
                if static.rank == 0:
                    raise ValueError(f"Shape must be at least rank 1 but is rank 0 for "
                                     f"component {i} of enqueue_many")
                static = TensorShape(static.as_list()[1:])
            if not static.is_compatible_with(shape):
                raise ValueError(f"Shapes {static} and {shape} are incompatible")
            tensors.append(t)
        return tensors

    def _check_element(self, item: list[np.ndarray]) -> None:
        for i, (array, shape) in enumerate(zip(item, self._shapes)):
            if not shape.is_compatible_with(array.shape):
                expected = _shape_text([-1 if d is None else d for d in shape.as_list()])
                raise errors.InvalidArgumentError(
                    None, None, f"Shape mismatch in tuple component {i}. Expected "
                    f"{expected}, got {_shape_text(array.shape)}")

    def _op(self, default_name: str, name: Optional[str], inputs: list[Tensor],
            tout: list[Any], run: Callable[[list[np.ndarray]], list[np.ndarray]]
            ) -> Operation:
        from .data.iterator_ops import _host_op
        with name_scope(name, f"{self._name}_{default_name}", inputs) as scope:
            return _host_op(default_name, [self._queue_ref] + inputs, tout, run, scope=scope)

    def _enqueue_op(self, vals: Any, name: Optional[str], many: bool) -> Operation:
        from .data.iterator_ops import _host_op
        default = "EnqueueMany" if many else "enqueue"
        with name_scope(name, f"{self._name}_{default}",
                        [v for v in (vals.values() if isinstance(vals, dict) else
                                     vals if isinstance(vals, (list, tuple)) else [vals])
                         if isinstance(v, Tensor)]) as scope:
            tensors = self._components(vals, many)

            def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
                state = resource_for(arrays[0]).state()
                parts = [np.asarray(a) for a in arrays[1:]]
                if many:
                    counts = {p.shape[0] if p.ndim else -1 for p in parts}
                    if -1 in counts or len(counts) != 1:
                        raise errors.InvalidArgumentError(
                            None, None, "EnqueueMany requires all components to have the same "
                            "size in the 0th dimension")
                    items = [[p[j, ...] for p in parts] for j in range(counts.pop())]
                else:
                    items = [parts]
                for item in items:
                    self._check_element(item)
                state.enqueue(items)
                return []

            return _host_op(default, [self._queue_ref] + tensors, [], run, scope=scope)

    def enqueue(self, vals: Any, name: Optional[str] = None) -> Operation:
        """An op adding one element (blocks while the queue is full)."""
        return self._enqueue_op(vals, name, many=False)

    def enqueue_many(self, vals: Any, name: Optional[str] = None) -> Operation:
        """An op adding the slices of ``vals`` along their first dimension as elements."""
        return self._enqueue_op(vals, name, many=True)

    def _batch(self, picked: list[list[np.ndarray]]) -> list[np.ndarray]:
        out = []
        for i, dtype in enumerate(self._dtypes):
            arrays = [item[i] for item in picked]
            if self._pad:
                shapes = np.array([a.shape for a in arrays]).reshape(len(arrays), -1)
                full = shapes.max(axis=0) if len(arrays) else \
                    [d or 0 for d in self._shapes[i].as_list()]
                batch: np.ndarray = np.empty([len(arrays)] + [int(d) for d in full],
                                 dtype=dtype.as_numpy_dtype)
                batch[...] = b"" if dtype == _dtypes.string else 0
                for j, a in enumerate(arrays):
                    # a 0-d object array would be stored as an object itself
                    batch[(j,) + tuple(slice(0, d) for d in a.shape)] = a if a.ndim else a[()]
                out.append(batch)
            elif arrays:
                out.append(np.stack(arrays).astype(dtype.as_numpy_dtype, copy=False))
            else:
                dims = [int(d) for d in self._shapes[i].as_list() if d is not None]
                out.append(np.zeros([0] + dims, dtype=dtype.as_numpy_dtype))
        return out

    def _structured(self, tensors: list[Tensor]) -> Any:
        if self._names is not None:
            return dict(zip(self._names, tensors))
        return tensors[0] if len(tensors) == 1 else tensors

    def _dequeue_op(self, default_name: str, n: Any, up_to: bool, name: Optional[str]) -> Any:
        many = n is not None
        inputs = []
        if many:
            count = convert_to_tensor(n, dtype=_dtypes.int32, name="n")
            inputs = [count]

        def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
            state = resource_for(arrays[0]).state()
            if not many:
                return [np.asarray(a) for a in state.dequeue(1, up_to=False)[0]]
            if not self._pad and any(not s.is_fully_defined() for s in self._shapes):
                raise errors.InvalidArgumentError(
                    None, None, f"{self._KIND}'s DequeueMany and DequeueUpTo require the "
                    "components to have specified shapes.")
            return self._batch(state.dequeue(int(np.asarray(arrays[1])), up_to=up_to))

        op = self._op(default_name, name, inputs, list(self._dtypes), run)
        outputs = list(op.outputs)
        static_n = None
        if many and not up_to and inputs[0].op.type == "Const":
            static_n = int(np.asarray(inputs[0].op.get_attr("value")))
        for t, shape in zip(outputs, self._shapes):
            if not many:
                t.set_shape(shape)
            elif shape.rank is not None:
                t.set_shape([static_n] + shape.as_list())
        return self._structured(outputs)

    def dequeue(self, name: Optional[str] = None) -> Any:
        """One element (blocks until there is one; ``OutOfRangeError`` once closed and
        empty)."""
        return self._dequeue_op("Dequeue", None, False, name)

    def dequeue_many(self, n: Any, name: Optional[str] = None) -> Any:
        """``n`` elements stacked (blocks until there are ``n``)."""
        return self._dequeue_op("DequeueMany", n, False, name)

    def dequeue_up_to(self, n: Any, name: Optional[str] = None) -> Any:
        """As ``dequeue_many``, but once the queue is closed returns what is left."""
        return self._dequeue_op("DequeueUpTo", n, True, name)

    def close(self, cancel_pending_enqueues: bool = False, name: Optional[str] = None
              ) -> Operation:
        """An op closing the queue: later enqueues fail, dequeues drain what is left."""
        def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
            resource_for(arrays[0]).state().close(bool(cancel_pending_enqueues))
            return []
        return self._op("Close", name, [], [], run)

    def size(self, name: Optional[str] = None) -> Tensor:
        """The number of elements, an ``int32`` scalar."""
        def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
            return [np.asarray(resource_for(arrays[0]).state().size(), dtype=np.int32)]
        out: Tensor = self._op("Size", name, [], [_dtypes.int32], run).outputs[0]
        out.set_shape([])
        return out

    def is_closed(self, name: Optional[str] = None) -> Tensor:
        """Whether the queue is closed, a ``bool`` scalar."""
        def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
            return [np.asarray(resource_for(arrays[0]).state().closed)]
        out: Tensor = self._op("Is_Closed", name, [], [_dtypes.bool], run).outputs[0]
        out.set_shape([])
        return out


def _keep_alive(graph: Any, obj: Any) -> None:
    from .data.iterator_ops import _keep_alive as keep
    keep(graph, obj)


class FIFOQueue(QueueBase):
    """``tf.FIFOQueue``: elements leave in the order they came."""

    def __init__(self, capacity: int, dtypes: Any, shapes: Any = None, names: Any = None,
                 shared_name: Any = None, name: str = "fifo_queue") -> None:
        super().__init__(capacity, dtypes, shapes, names, name)


class PaddingFIFOQueue(QueueBase):
    """``tf.PaddingFIFOQueue``: a FIFO queue whose shapes may have unknown dimensions;
    ``dequeue_many`` pads each batch to its largest element with zeros (empty strings)."""

    _KIND = "PaddingFIFOQueue"

    def __init__(self, capacity: int, dtypes: Any, shapes: Any, names: Any = None,
                 shared_name: Any = None, name: str = "padding_fifo_queue") -> None:
        super().__init__(capacity, dtypes, shapes, names, name, pad=True)


class RandomShuffleQueue(QueueBase):
    """``tf.RandomShuffleQueue``: dequeues a random element, keeping at least
    ``min_after_dequeue`` elements until the queue is closed."""

    _KIND = "RandomShuffleQueue"

    def __init__(self, capacity: int, min_after_dequeue: int, dtypes: Any, shapes: Any = None,
                 names: Any = None, seed: Any = None, shared_name: Any = None,
                 name: str = "random_shuffle_queue") -> None:
        from .random_ops import get_seed
        graph_seed, op_seed = get_seed(seed)
        combined = None if graph_seed is None and op_seed is None else \
            (int(graph_seed or 0) * 1000003 + int(op_seed or 0)) % (1 << 32)
        super().__init__(capacity, dtypes, shapes, names, name, min_after_dequeue,
                         shuffle=True, seed=combined)
