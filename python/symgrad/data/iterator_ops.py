"""TF 1 iterators over datasets: one-shot, initializable, reinitializable and feedable.

An iterator is graph ops over a host-side state. Its handle is a ``string`` scalar (a
``Const`` named as TF's iterator op, ``IteratorV2`` or ``OneShotIterator``) holding a token
that names the state; ``get_next()`` is a ``PyFunc`` op named ``IteratorGetNext`` that reads
the handle and pulls the next element at run time, its outputs typed and shaped by the
dataset's ``output_types``/``output_shapes``; an initializer is a ``PyFunc`` op named
``MakeIterator`` whose inputs are the handle and the tensors the dataset captured, so a run
of it evaluates them with that run's feeds. As in TF, an iterator's position belongs to the
session that runs it: each session has its own.
"""

from __future__ import annotations

import itertools
import threading
import traceback
import weakref
from typing import Any, Callable, Optional

import numpy as np

from .. import _symgrad
from .. import dtypes as _dtypes
from .. import errors
from ..constant_op import constant
from ..framework import Graph, Operation, Tensor, get_default_graph, name_scope
from ..tensor_shape import TensorShape
from . import _structure as st
from ._structure import ComponentSpec
from .dataset_ops import DatasetV1, IterationContext

_TOKENS = itertools.count()
_TOKENS_LOCK = threading.Lock()
# Iterator states by handle token; the graph that made an iterator keeps it alive.
_RESOURCES: "weakref.WeakValueDictionary[str, _IteratorResource]" = \
    weakref.WeakValueDictionary()


class _NoSession:
    """Stands for "no session" when an iterator op runs outside ``Session.run``."""


_NO_SESSION = _NoSession()


def _session_key() -> Any:
    from ..session import _running_session
    session = _running_session()
    return _NO_SESSION if session is None else session


def _new_token(kind: str) -> str:
    with _TOKENS_LOCK:
        return f"{kind}_{next(_TOKENS)}"


def _keep_alive(graph: Graph, obj: Any) -> None:
    kept = getattr(graph, "_symgrad_data_objects", None)
    if kept is None:
        kept = []
        setattr(graph, "_symgrad_data_objects", kept)
    kept.append(obj)


def _error_class(exc: BaseException) -> type:
    from ..script_ops import _error_class as py_func_error_class
    return py_func_error_class(exc)


def _host_op(op_name: str, inputs: list[Tensor], tout: list[Any],
             func: Callable[[list[np.ndarray]], list[np.ndarray]],
             scope: Optional[str] = None) -> Operation:
    """A ``PyFunc`` op named ``op_name`` that calls ``func``; ``OpError``s keep their class,
    other exceptions map as in ``py_func``. ``scope``, an open name scope (``"name/"``),
    names the op exactly instead."""
    from ..script_ops import _register

    def call(arrays: list[np.ndarray]) -> list[np.ndarray]:
        try:
            return func(arrays)
        except errors.OpError:
            raise
        except BaseException as exc:  # noqa: BLE001 - as py_func, every exception is an OpError
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            raise _error_class(exc)(None, None, f"{type(exc).__name__}: {exc}\n{text}") \
                from exc

    graph = get_default_graph()
    token = _register(graph, call, wrap=False)
    attrs = {"token": token, "Tout": [t.name for t in tout]}
    if scope is not None:
        return graph._create_op("PyFunc", inputs, attrs, scope)
    with name_scope(None, op_name, inputs) as op_scope:
        return graph._create_op("PyFunc", inputs, attrs, op_scope or None)


class _IteratorState:
    """One session's position in one iterator's dataset."""

    def __init__(self, dataset: DatasetV1, values: dict[Tensor, Any]) -> None:
        self._ctx = IterationContext(values)
        self._elements = dataset._iter(self._ctx)
        self._done = False

    def next(self) -> list[np.ndarray]:
        if not self._done:
            try:
                return next(self._elements)
            except StopIteration:
                pass
            except BaseException:
                self.close()
                raise
            self.close()
        raise errors.OutOfRangeError(None, None, "End of sequence")

    def close(self) -> None:
        self._done = True
        self._ctx.close()


class _IteratorResource:
    """What an iterator handle names: its element structure and one state per session."""

    def __init__(self, token: str, structure: Any, one_shot: Optional[DatasetV1],
                 one_shot_values: Optional[dict[Tensor, Any]] = None) -> None:
        self.token = token
        self.structure = structure
        self._one_shot = one_shot
        self._one_shot_values = one_shot_values or {}
        self._states: "weakref.WeakKeyDictionary[Any, _IteratorState]" = \
            weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        _RESOURCES[token] = self

    def initialize(self, dataset: DatasetV1, values: dict[Tensor, Any]) -> None:
        key = _session_key()
        with self._lock:
            old = self._states.pop(key, None)
            if old is not None:
                old.close()
            self._states[key] = _IteratorState(dataset, values)

    def next(self) -> list[np.ndarray]:
        key = _session_key()
        with self._lock:
            state = self._states.get(key)
            if state is None:
                if self._one_shot is None:
                    raise errors.FailedPreconditionError(
                        None, None,
                        "GetNext() failed because the iterator has not been initialized. "
                        "Ensure that you have run the initializer operation for this iterator "
                        "before getting the next element.")
                state = _IteratorState(self._one_shot, self._one_shot_values)
                self._states[key] = state
            return state.next()


def handle_token(handle: Any) -> str:
    """The token a host-state handle (an iterator's, a queue's) holds."""
    token = np.asarray(handle, dtype=object).item()
    if isinstance(token, bytes):
        token = token.decode("utf-8", "replace")
    return str(token)


def _resource_for(handle: Any) -> _IteratorResource:
    token = handle_token(handle)
    resource = _RESOURCES.get(token)
    if resource is None:
        raise errors.NotFoundError(
            None, None, f"Resource {token} does not exist: the handle names no iterator.")
    return resource


def _check_compatible(expected: Any, got: Any, what: str) -> None:
    """TF's ``TypeError`` when a dataset's element structure does not fit an iterator's."""
    types_ok = st.same_structure(expected, got) and all(
        a.dtype == b.dtype for a, b in zip(st.flatten(expected), st.flatten(got)))
    if not types_ok:
        raise TypeError(f"Expected output types {_types(expected)!r} but got {what} with "
                        f"output types {_types(got)!r}.")
    if not all(a.shape.is_compatible_with(b.shape)
               for a, b in zip(st.flatten(expected), st.flatten(got))):
        raise TypeError(f"Expected output shapes compatible with {_shapes(expected)!r} but "
                        f"got {what} with output shapes {_shapes(got)!r}.")


def _types(structure: Any) -> Any:
    return st.map_structure(lambda s: s.dtype, structure)


def _shapes(structure: Any) -> Any:
    return st.map_structure(lambda s: s.shape, structure)


def _structure_from(output_types: Any, output_shapes: Any) -> Any:
    from .dataset_ops import _shapes_up_to
    types = st.map_structure(_dtypes.as_dtype, output_types)
    if output_shapes is None:
        shapes = st.map_structure(lambda _: TensorShape(None), types)
    else:
        shapes = _shapes_up_to(types, output_shapes)
    return st.pack(types, [ComponentSpec(t, s)
                           for t, s in zip(st.flatten(types), st.flatten(shapes))])


class Iterator:
    """``tf.compat.v1.data.Iterator``: the state of iterating over a dataset."""

    def __init__(self, handle: Tensor, initializer: Optional[Operation], structure: Any,
                 resource: Optional[_IteratorResource]) -> None:
        self._handle = handle
        self._initializer = initializer
        self._structure = structure
        self._resource = resource

    # ----- making iterators -----
    @staticmethod
    def from_structure(output_types: Any, output_shapes: Any = None,
                       shared_name: Optional[str] = None, output_classes: Any = None
                       ) -> "Iterator":
        structure = _structure_from(output_types, output_shapes)
        return _new_iterator(structure, None, "IteratorV2")

    @staticmethod
    def from_string_handle(string_handle: Any, output_types: Any, output_shapes: Any = None,
                           output_classes: Any = None) -> "Iterator":
        from ..array_ops import identity
        from ..constant_op import convert_to_tensor
        handle = convert_to_tensor(string_handle, dtype=_dtypes.string)
        structure = _structure_from(output_types, output_shapes)
        return Iterator(identity(handle, name="IteratorFromStringHandleV2"), None, structure,
                        None)

    # ----- properties -----
    @property
    def initializer(self) -> Operation:
        if self._initializer is None:
            raise ValueError("The iterator does not have an initializer. This means it was "
                             "likely created using `tf.data.Dataset.make_one_shot_iterator()`. "
                             "For an initializable iterator, use "
                             "`tf.data.Dataset.make_initializable_iterator()` instead.")
        return self._initializer

    @property
    def element_spec(self) -> Any:
        from ..eager import TensorSpec
        return st.map_structure(lambda s: TensorSpec(s.shape, s.dtype), self._structure)

    @property
    def output_types(self) -> Any:
        return _types(self._structure)

    @property
    def output_shapes(self) -> Any:
        return _shapes(self._structure)

    @property
    def output_classes(self) -> Any:
        return st.map_structure(lambda s: Tensor, self._structure)

    # ----- ops -----
    def make_initializer(self, dataset: DatasetV1, name: Optional[str] = None) -> Operation:
        if not isinstance(dataset, DatasetV1):
            raise TypeError(f"Expected a `tf.data.Dataset`, got {type(dataset)}.")
        _check_compatible(self._structure, dataset._structure, "dataset")
        if self._resource is None:
            raise ValueError("Iterator.make_initializer() needs an iterator made by "
                             "Iterator.from_structure() or make_initializable_iterator().")
        return _initializer_op(self._resource, self._handle, dataset, name)

    def get_next(self, name: Optional[str] = None) -> Any:
        specs: list[ComponentSpec] = st.flatten(self._structure)
        expected = self._structure

        def pull(arrays: list[np.ndarray]) -> list[np.ndarray]:
            resource = _resource_for(arrays[0])
            if resource.structure is not expected:
                _check_runtime_structure(expected, resource.structure)
            flat = resource.next()
            out = []
            for value, spec in zip(flat, specs):
                array = st.as_component(value, spec.dtype)
                if not spec.shape.is_compatible_with(array.shape):
                    raise errors.InvalidArgumentError(
                        None, None, f"Expected an element of shape {spec.shape} but got "
                                    f"{TensorShape(array.shape)}.")
                out.append(array)
            return out

        op = _host_op(name or "IteratorGetNext", [self._handle], [s.dtype for s in specs],
                      pull)
        outputs = list(op.outputs)
        for t, spec in zip(outputs, specs):
            t.set_shape(spec.shape)
        return st.pack(self._structure, outputs)

    def string_handle(self, name: Optional[str] = None) -> Tensor:
        from ..array_ops import identity
        return identity(self._handle, name=name or "IteratorToStringHandle")


def _check_runtime_structure(expected: Any, got: Any) -> None:
    exp, have = st.flatten(expected), st.flatten(got)
    if len(exp) != len(have):
        raise errors.InvalidArgumentError(
            None, None, f"Number of components does not match: expected {len(exp)} types but "
                        f"got {len(have)}.")
    for i, (a, b) in enumerate(zip(exp, have)):
        if a.dtype != b.dtype:
            raise errors.InvalidArgumentError(
                None, None, f"Data type of component {i} ({b.dtype.name}) does not match "
                            f"expected type ({a.dtype.name}).")


def _new_iterator(structure: Any, one_shot: Optional[DatasetV1], op_name: str,
                  one_shot_values: Optional[dict[Tensor, Any]] = None) -> Iterator:
    graph = get_default_graph()
    token = _new_token(op_name)
    resource = _IteratorResource(token, structure, one_shot, one_shot_values)
    _keep_alive(graph, resource)
    handle = constant(token.encode(), name=op_name)
    return Iterator(handle, None, structure, resource)


def _initializer_op(resource: _IteratorResource, handle: Tensor, dataset: DatasetV1,
                    name: Optional[str]) -> Operation:
    # The callback lives in a global registry: it refers to graph objects only weakly, so
    # that the graph (which keeps them alive) can be collected.
    captures = dataset._captures()
    resource_ref = weakref.ref(resource)
    dataset_ref = weakref.ref(dataset)
    _keep_alive(get_default_graph(), dataset)

    def initialize(arrays: list[np.ndarray]) -> list[np.ndarray]:
        target, source = resource_ref(), dataset_ref()
        if target is None or source is None:
            raise errors.CancelledError(None, None, "The iterator's graph was deleted.")
        target.initialize(source, dict(zip(source._captures(), arrays[1:])))
        return []

    return _host_op(name or "MakeIterator", [handle] + captures, [], initialize)


def _constant_captures(dataset: DatasetV1) -> dict[Tensor, Any]:
    values: dict[Tensor, Any] = {}
    for t in dataset._captures():
        if t.op.type != "Const":
            raise ValueError(
                f"Cannot capture a placeholder (name:{t.op.name}, type:{t.op.type}) by value.")
        values[t] = np.asarray(t.op.get_attr("value"))
    return values


class _EagerIterator:
    """What ``make_one_shot_iterator`` gives in eager mode: Python iteration."""

    def __init__(self, dataset: DatasetV1) -> None:
        self._dataset = dataset
        self._elements = iter(dataset)

    def get_next(self, name: Optional[str] = None) -> Any:
        try:
            return next(self._elements)
        except StopIteration:
            raise errors.OutOfRangeError(None, None, "End of sequence") from None

    def __iter__(self) -> "_EagerIterator":
        return self

    def __next__(self) -> Any:
        return next(self._elements)

    @property
    def element_spec(self) -> Any:
        return self._dataset.element_spec


def make_one_shot_iterator(dataset: DatasetV1) -> Any:
    """An iterator that needs no initialization; it can be used in one pass only."""
    from ..eager import executing_eagerly
    if executing_eagerly():
        return _EagerIterator(dataset)
    values = _constant_captures(dataset)
    return _new_iterator(dataset._structure, dataset, "OneShotIterator", values)


def make_initializable_iterator(dataset: DatasetV1, shared_name: Optional[str] = None
                                ) -> Iterator:
    """An iterator whose ``initializer`` op (re)starts it over ``dataset``."""
    from ..eager import executing_eagerly
    if executing_eagerly():
        raise RuntimeError("`make_initializable_iterator()` is not supported in eager mode. "
                           "Use Python-style iteration instead.")
    iterator = _new_iterator(dataset._structure, None, "IteratorV2")
    assert iterator._resource is not None
    iterator._initializer = _initializer_op(iterator._resource, iterator._handle, dataset,
                                            None)
    return iterator


def get_output_types(dataset_or_iterator: Any) -> Any:
    return dataset_or_iterator.output_types


def get_output_shapes(dataset_or_iterator: Any) -> Any:
    return dataset_or_iterator.output_shapes


def get_output_classes(dataset_or_iterator: Any) -> Any:
    return dataset_or_iterator.output_classes
