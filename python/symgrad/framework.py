"""Graphs, operations and tensors (``tf.Graph``, ``tf.Operation``, ``tf.Tensor``).

The native ``_symgrad.Graph`` owns the graph; these classes are thin views over it. Each graph
element has exactly one Python object: a ``Graph`` caches its ``Operation`` wrappers by node id
(filled lazily, because the native core also creates ops itself, e.g. in ``gradients()``), and
each ``Operation`` caches its output ``Tensor`` objects.
"""

from __future__ import annotations

import contextlib
import re
import threading
import weakref
from typing import (Any, Callable, ContextManager, Iterable, Iterator, Optional, Sequence,
                    Union, cast)

import numpy as np

from . import _symgrad
from . import dtypes as _dtypes
from .dtypes import DType
from .errors import OperatorNotAllowedInGraphError
from .tensor_shape import TensorShape, as_shape

__all__ = [
    "Graph", "Operation", "Tensor", "get_default_graph", "reset_default_graph",
    "name_scope", "device", "colocate_with", "control_dependencies", "get_name_scope",
    "register_tensor_conversion_function", "graph_for_native_id", "set_random_seed",
    "init_scope",
]

# Native graph id -> Python Graph; the gradient trampoline maps ids back to graphs.
_GRAPHS_BY_NATIVE_ID: "weakref.WeakValueDictionary[int, Graph]" = weakref.WeakValueDictionary()


def graph_for_native_id(graph_id: int) -> "Graph":
    """The Python Graph that wraps the native graph with this id."""
    graph = _GRAPHS_BY_NATIVE_ID.get(graph_id)
    if graph is None:
        # The graph of an eager op or its gradient, built by the native eager context.
        from .eager import context
        native = context().graph(graph_id)
        if native is not None:
            graph = Graph._wrap_native(native)
    if graph is None:
        raise RuntimeError(f"No live symgrad Graph has native id {graph_id}")
    return graph


_TENSOR_NAME = re.compile(r"^(.*):(\d+)$")


class Graph:
    """A dataflow graph: operations connected by tensors."""

    # True only for the eager context's stand-in graph (symgrad.eager.EagerGraph).
    _is_eager = False
    # The cond branch being built (symgrad.cond_ops.CondContext), which routes new ops.
    _control_flow_context: Any = None

    def __init__(self) -> None:
        self._native = _symgrad.Graph()
        self._ops_by_id: dict[int, Operation] = {}
        self._collections: dict[str, list[Any]] = {}
        self.seed: Optional[int] = None
        self._unfeedable_tensors: set["Tensor"] = set()
        _GRAPHS_BY_NATIVE_ID[self._native.id] = self

    @classmethod
    def _wrap_native(cls, native: Any) -> "Graph":
        """A Python view of a graph the native core made (an eager op's graph)."""
        graph = cls.__new__(cls)
        graph._native = native
        graph._ops_by_id = {}
        graph._collections = {}
        graph.seed = None
        _GRAPHS_BY_NATIVE_ID[native.id] = graph
        return graph
    def prevent_feeding(self, tensor: "Tensor") -> None:
        """Marks ``tensor`` as unfeedable: ``Session.run`` refuses it as a feed key."""
        self._unfeedable_tensors.add(tensor)

    def is_feedable(self, tensor: "Tensor") -> bool:
        """Any tensor may be fed (TF's rule) unless ``prevent_feeding`` marked it."""
        return tensor not in self._unfeedable_tensors

    # ----- element lookup -----
    def _op(self, node_id: int) -> "Operation":
        """The (cached) Operation for a native node id."""
        op = self._ops_by_id.get(node_id)
        if op is None:
            op = Operation(self, node_id)
            self._ops_by_id[node_id] = op
        return op

    def _tensor(self, ref: Sequence[int]) -> "Tensor":
        """The (cached) Tensor for a native ``(node_id, output_index)`` reference."""
        return self._op(ref[0]).outputs[ref[1]]

    def get_operations(self) -> list["Operation"]:
        return [self._op(i) for i in range(self._native.num_ops())]

    def get_operation_by_name(self, name: str) -> "Operation":
        if not isinstance(name, str):
            raise TypeError(
                f"Operation names are strings (or similar), not {type(name).__name__}.")
        return cast(Operation,
                    self.as_graph_element(name, allow_tensor=False, allow_operation=True))

    def get_tensor_by_name(self, name: str) -> "Tensor":
        if not isinstance(name, str):
            raise TypeError(f"Tensor names are strings (or similar), not {type(name).__name__}.")
        return cast(Tensor,
                    self.as_graph_element(name, allow_tensor=True, allow_operation=False))

    def as_graph_element(self, obj: Any, allow_tensor: bool = True,
                         allow_operation: bool = True) -> Any:
        """Resolves a Tensor, Operation or name to an element of this graph (TF's rules)."""
        if allow_tensor and allow_operation:
            types_str = "Tensor or Operation"
        elif allow_tensor:
            types_str = "Tensor"
        else:
            types_str = "Operation"
        if isinstance(obj, str):
            return self._element_by_name(obj, allow_tensor, allow_operation)
        if isinstance(obj, Tensor) and allow_tensor:
            if obj.graph is not self:
                raise ValueError(f"Tensor {obj} is not an element of this graph.")
            return obj
        if isinstance(obj, Operation) and allow_operation:
            if obj.graph is not self:
                raise ValueError(f"Operation {obj} is not an element of this graph.")
            return obj
        raise TypeError(f"Can not convert a {type(obj).__name__} into a {types_str}.")

    def _element_by_name(self, name: str, allow_tensor: bool, allow_operation: bool) -> Any:
        if ":" in name and allow_tensor:
            match = _TENSOR_NAME.match(name)
            if match is None:
                raise ValueError(
                    f"The name {name!r} looks a like a Tensor name, but is not a valid one. "
                    'Tensor names must be of the form "<op_name>:<output_index>".')
            op_name, index = match.group(1), int(match.group(2))
            node = self._native.op_by_name(op_name)
            if node is None:
                raise KeyError(
                    f"The name {name!r} refers to a Tensor which does not exist. "
                    f"The operation, {op_name!r}, does not exist in the graph.")
            op = self._op(node)
            if index >= len(op.outputs):
                raise KeyError(
                    f"The name {name!r} refers to a Tensor which does not exist. "
                    f"The operation, {op_name!r}, exists but only has "
                    f"{len(op.outputs)} outputs.")
            return op.outputs[index]
        if ":" in name and not allow_tensor:
            raise ValueError(f"Name {name!r} appears to refer to a Tensor, not a Operation.")
        if not allow_operation:
            if self._native.op_by_name(name) is not None:
                raise ValueError(
                    f"The name {name!r} refers to an Operation, not a Tensor. Tensor names "
                    'must be of the form "<op_name>:<output_index>".')
            raise ValueError(
                f"The name {name!r} looks like an (invalid) Operation name, not a Tensor. "
                'Tensor names must be of the form "<op_name>:<output_index>".')
        node = self._native.op_by_name(name)
        if node is None:
            raise KeyError(f"The name {name!r} refers to an Operation not in the graph.")
        return self._op(node)

    # ----- building -----
    def _create_op(self, op_type: str, inputs: Sequence["Tensor"],
                   attrs: Optional[dict[str, Any]] = None,
                   name: Optional[str] = None) -> "Operation":
        """Adds one op. ``name`` ending in "/" is an exact (already unique) name."""
        if any(getattr(t, "_is_eager", False) for t in inputs):
            inputs = [self._capture(t) if t._is_eager else t for t in inputs]
        capture_outer = getattr(self, "_capture_outer", None)
        if capture_outer is not None:
            # A graph traced for a function (tf.data's map_func) takes outer tensors as inputs.
            inputs = [capture_outer(t) if isinstance(t, Tensor) and t.graph is not self else t
                      for t in inputs]
        for t in inputs:
            if not isinstance(t, Tensor):
                raise TypeError(f"Expected a Tensor as input of {op_type}, got {t!r}")
            if t.graph is not self:
                raise ValueError(
                    f"{t} must be from the same graph as the other inputs of {op_type} "
                    f"(graphs are {t.graph} and {self}).")
        if self._control_flow_context is not None:
            return self._control_flow_context.create_op(self, op_type, inputs, attrs, name)
        node = self._native.add_op(op_type, [t._ref for t in inputs], attrs or {}, name)
        return self._op(node)

    def _capture(self, eager_tensor: "Tensor") -> "Tensor":
        """An eager tensor used in this graph: a constant holding its value."""
        from .constant_op import constant
        with self.as_default(), self.name_scope(None):
            return constant(eager_tensor.numpy())

    @property
    def finalized(self) -> bool:
        return self._native.finalized

    def finalize(self) -> None:
        self._native.finalize()

    @property
    def graph_def_versions(self) -> Any:
        return None

    def as_graph_def(self, from_version: Optional[int] = None, add_shapes: bool = False) -> Any:
        """The graph as a ``GraphDef`` message (see ``symgrad.event_file.graph_def_of``)."""
        from .event_file import graph_def_of
        return graph_def_of(self, add_shapes)

    @property
    def building_function(self) -> bool:
        return False

    @property
    def version(self) -> int:
        return self._native.num_ops()

    def unique_name(self, name: str, mark_as_used: bool = True) -> str:
        return self._native.unique_name(name, mark_as_used)

    def get_name_scope(self) -> str:
        return self._native.name_scope().rstrip("/")

    # ----- context managers -----
    @contextlib.contextmanager
    def as_default(self) -> Iterator["Graph"]:
        stack = _default_graph_stack()
        stack.append(self)
        try:
            yield self
        finally:
            # Remove this entry even if an inner context left the stack out of order.
            for i in range(len(stack) - 1, -1, -1):
                if stack[i] is self:
                    del stack[i]
                    break

    @contextlib.contextmanager
    def name_scope(self, name: Optional[str]) -> Iterator[str]:
        """Enters a (uniquified) name scope; yields its full name ending in "/" (or "")."""
        new_scope, previous = self._native.enter_name_scope(name)
        try:
            yield new_scope
        finally:
            self._native.set_name_scope(previous)

    @contextlib.contextmanager
    def device(self, device_name_or_function: Optional[str]) -> Iterator[None]:
        if device_name_or_function is not None and not isinstance(device_name_or_function, str):
            raise TypeError("symgrad supports device strings only, not device functions")
        self._native.push_device(device_name_or_function)
        try:
            yield
        finally:
            self._native.pop_device()

    @contextlib.contextmanager
    def colocate_with(self, op: Any, ignore_existing: bool = False) -> Iterator[None]:
        if op is None:
            node: Optional[int] = None
            if not ignore_existing:
                raise ValueError("Trying to reset colocation (op is None) but "
                                 "ignore_existing is not True")
        else:
            node = _as_operation(op)._id
        self._native.push_colocation(node, ignore_existing)
        try:
            yield
        finally:
            self._native.pop_colocation()

    @contextlib.contextmanager
    def control_dependencies(self, control_inputs: Optional[Iterable[Any]]) -> Iterator[None]:
        if control_inputs is None:
            ids: Optional[list[int]] = None
        else:
            ids = []
            for c in control_inputs:
                if isinstance(c, Tensor):
                    op = c.op
                elif isinstance(c, Operation):
                    op = c
                elif hasattr(c, "values") and isinstance(getattr(c, "values"), Tensor):
                    op = c.values.op  # IndexedSlices
                elif hasattr(c, "_as_graph_element"):
                    op = c._as_graph_element().op  # a Variable: its cached read, as in TF
                else:
                    raise TypeError(f"Control input must be Operation or Tensor: {c}")
                self.as_graph_element(op)
                ids.append(op._id)
        self._native.push_control_dependencies(ids)
        try:
            yield
        finally:
            self._native.pop_control_dependencies()

    @contextlib.contextmanager
    def gradient_override_map(self, op_type_map: dict[str, str]) -> Iterator[None]:
        if not isinstance(op_type_map, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in op_type_map.items()):
            raise TypeError("op_type_map must be a dictionary mapping strings to strings")
        self._native.push_gradient_override(dict(op_type_map))
        try:
            yield
        finally:
            self._native.pop_gradient_override()

    # ----- collections (TF1 bookkeeping used by variables and training code) -----
    def add_to_collection(self, name: str, value: Any) -> None:
        self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names: Union[str, Iterable[str]], value: Any) -> None:
        for name in [names] if isinstance(names, str) else set(names):
            self.add_to_collection(name, value)

    def get_collection_ref(self, name: str) -> list[Any]:
        return self._collections.setdefault(name, [])

    def get_collection(self, name: str, scope: Optional[str] = None) -> list[Any]:
        items = list(self._collections.get(name, []))
        if scope is None:
            return items
        pattern = re.compile(scope)
        return [i for i in items if pattern.match(getattr(i, "name", "") or "")]

    def get_all_collection_keys(self) -> list[str]:
        return [k for k, v in self._collections.items() if v]

    def clear_collection(self, name: str) -> None:
        self._collections.pop(name, None)


class Operation:
    """A node of a Graph. Create ops with the op functions, not with this constructor."""

    def __init__(self, graph: Graph, node_id: int) -> None:
        self._graph = graph
        self._id = node_id
        self._name: Optional[str] = None
        self._type: Optional[str] = None
        self._outputs: Optional[list[Tensor]] = None

    @property
    def graph(self) -> Graph:
        return self._graph

    @property
    def name(self) -> str:
        if self._name is None:
            self._name = self._graph._native.op_name(self._id)
        return self._name

    @property
    def type(self) -> str:
        if self._type is None:
            self._type = self._graph._native.op_type(self._id)
        return self._type

    @property
    def outputs(self) -> list["Tensor"]:
        if self._outputs is None:
            count = self._graph._native.op_num_outputs(self._id)
            self._outputs = [Tensor(self, i) for i in range(count)]
        return list(self._outputs)

    def values(self) -> tuple["Tensor", ...]:
        return tuple(self.outputs)

    @property
    def inputs(self) -> tuple["Tensor", ...]:
        return tuple(self._graph._tensor(r) for r in self._graph._native.op_inputs(self._id))

    @property
    def control_inputs(self) -> list["Operation"]:
        return [self._graph._op(i) for i in self._graph._native.op_control_inputs(self._id)]

    @property
    def device(self) -> str:
        return self._graph._native.op_device(self._id)

    def colocation_groups(self) -> list[bytes]:
        groups = self._graph._native.op_colocation_groups(self._id)
        return list(groups) if groups else [f"loc:@{self.name}".encode()]

    def get_attr(self, name: str) -> Any:
        try:
            kind, value = self._graph._native.op_attr(self._id, name)
        except ValueError:
            raise ValueError(f"Operation {self.name!r} has no attr named {name!r}.") from None
        return _attr_to_python(kind, value)

    @property
    def node_def(self) -> "NodeDef":
        native = self._graph._native
        attrs = {a: self.get_attr(a) for a in native.op_attr_names(self._id)}
        inputs = [t.name if t.value_index else t.op.name for t in self.inputs]
        inputs += [f"^{c.name}" for c in self.control_inputs]
        return NodeDef(self.name, self.type, inputs, self.device, attrs)

    def run(self, feed_dict: Any = None, session: Any = None) -> None:
        from .session import _run_using_default_session
        _run_using_default_session(self, feed_dict, self.graph, session)

    def __repr__(self) -> str:
        return f"<symgrad.Operation {self.name!r} type={self.type}>"

    def __str__(self) -> str:
        return str(self.node_def)


class NodeDef:
    """A read-only description of a node, printed in TF's text format."""

    def __init__(self, name: str, op: str, inputs: list[str], device: str,
                 attr: dict[str, Any]) -> None:
        self.name = name
        self.op = op
        self.input = inputs
        self.device = device
        self.attr = attr

    def __str__(self) -> str:
        lines = [f'name: "{self.name}"', f'op: "{self.op}"']
        lines += [f'input: "{i}"' for i in self.input]
        if self.device:
            lines.append(f'device: "{self.device}"')
        for key, value in self.attr.items():
            lines.append(f'attr {{\n  key: "{key}"\n  value {{ {value!r} }}\n}}')
        return "\n".join(lines) + "\n"


def _attr_to_python(kind: str, value: Any) -> Any:
    """Native attr pairs → the Python values TF's ``get_attr`` returns."""
    if kind == "type":
        return _dtypes.as_dtype(value)
    if kind == "types":
        return [_dtypes.as_dtype(v) for v in value]
    if kind == "shape":
        return TensorShape(value)
    if kind == "string":
        return value.encode() if isinstance(value, str) else value
    if kind == "strings":
        return [v.encode() if isinstance(v, str) else v for v in value]
    return value  # int, float, bool, ints, tensor (an ndarray)


class Tensor:
    """A symbolic value: output ``value_index`` of an Operation."""

    # numpy on the left of an operator defers to the Tensor's reflected method.
    __array_priority__ = 100
    _is_eager = False

    def __init__(self, op: Operation, value_index: int) -> None:
        self._op = op
        self._value_index = value_index
        self._dtype: Optional[DType] = None

    @property
    def _ref(self) -> tuple[int, int]:
        return (self._op._id, self._value_index)

    @property
    def op(self) -> Operation:
        return self._op

    @property
    def value_index(self) -> int:
        return self._value_index

    @property
    def graph(self) -> Graph:
        return self._op._graph

    @property
    def name(self) -> str:
        return f"{self._op.name}:{self._value_index}"

    @property
    def dtype(self) -> DType:
        if self._dtype is None:
            self._dtype = _dtypes.as_dtype(
                self.graph._native.output_dtype(self._op._id, self._value_index))
        return self._dtype

    @property
    def shape(self) -> TensorShape:
        return TensorShape(self.graph._native.output_shape(self._op._id, self._value_index))

    def get_shape(self) -> TensorShape:
        return self.shape

    def set_shape(self, shape: Any) -> None:
        current = self.shape
        new = as_shape(shape)
        if current.rank is not None and new.rank is not None:
            if current.rank != new.rank:
                raise ValueError(
                    f"Shapes must be equal rank, but are {current.rank} and {new.rank}")
            for i, (a, b) in enumerate(zip(current.as_list(), new.as_list())):
                if a is not None and b is not None and a != b:
                    raise ValueError(
                        f"Dimension {i} in both shapes must be equal, but are {a} and {b}. "
                        f"Shapes are {current._shape_text()} and {new._shape_text()}.")
        merged = current.merge_with(new)
        self.graph._native.set_output_shape(
            self._op._id, self._value_index, None if merged.rank is None else merged.as_list())

    @property
    def device(self) -> str:
        return self._op.device

    @property
    def ndim(self) -> Optional[int]:
        return self.shape.rank

    def consumers(self) -> list[Operation]:
        return [self.graph._op(i)
                for i in self.graph._native.consumers(self._op._id, self._value_index)]

    def eval(self, feed_dict: Any = None, session: Any = None) -> Any:
        from .session import _eval_using_default_session
        return _eval_using_default_session(self, feed_dict, self.graph, session)

    # ----- Python protocol -----
    # Hashing and == stay Python identity (as in TF1 graph mode): tensors are dict keys.
    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        raise OperatorNotAllowedInGraphError(
            "Using a symbolic `tf.Tensor` as a Python `bool` is not allowed in Graph "
            "execution. Use a Session to evaluate the tensor, or symgrad ops such as "
            "`where` to act on its value.")

    def __iter__(self) -> Iterator["Tensor"]:
        raise OperatorNotAllowedInGraphError(
            "Iterating over a symbolic `tf.Tensor` is not allowed in Graph execution.")

    def __len__(self) -> int:
        raise TypeError(
            f"len is not well defined for a symbolic Tensor ({self.name}). Please call "
            "`x.shape` rather than `len(x)` for shape information.")

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise NotImplementedError(
            f"Cannot convert a symbolic tf.Tensor ({self.name}) to a numpy array. This error "
            "may indicate that you're trying to pass a Tensor to a NumPy call, which is not "
            "supported.")

    def __repr__(self) -> str:
        return (f"<symgrad.Tensor {self.name!r} shape={self.shape} "
                f"dtype={self.dtype.name}>")

    def __str__(self) -> str:
        shape = self.shape
        shape_text = "" if shape.rank is None else f", shape={shape}"
        device = self.device
        device_text = f", device={device}" if device else ""
        return f'Tensor("{self.name}"{shape_text}, dtype={self.dtype.name}{device_text})'

    # ----- operators: built in math_ops, imported late to avoid an import cycle -----
    def __add__(self, other: Any) -> "Tensor":
        return _binary_operator("add", self, other)

    def __radd__(self, other: Any) -> "Tensor":
        return _binary_operator("add", self, other, reflected=True)

    def __sub__(self, other: Any) -> "Tensor":
        return _binary_operator("sub", self, other)

    def __rsub__(self, other: Any) -> "Tensor":
        return _binary_operator("sub", self, other, reflected=True)

    def __mul__(self, other: Any) -> "Tensor":
        return _binary_operator("mul", self, other)

    def __rmul__(self, other: Any) -> "Tensor":
        return _binary_operator("mul", self, other, reflected=True)

    def __truediv__(self, other: Any) -> "Tensor":
        return _binary_operator("truediv", self, other)

    def __rtruediv__(self, other: Any) -> "Tensor":
        return _binary_operator("truediv", self, other, reflected=True)

    def __floordiv__(self, other: Any) -> "Tensor":
        return _binary_operator("floordiv", self, other)

    def __rfloordiv__(self, other: Any) -> "Tensor":
        return _binary_operator("floordiv", self, other, reflected=True)

    def __mod__(self, other: Any) -> "Tensor":
        return _binary_operator("mod", self, other)

    def __rmod__(self, other: Any) -> "Tensor":
        return _binary_operator("mod", self, other, reflected=True)

    def __pow__(self, other: Any) -> "Tensor":
        return _binary_operator("pow", self, other)

    def __rpow__(self, other: Any) -> "Tensor":
        return _binary_operator("pow", self, other, reflected=True)

    def __matmul__(self, other: Any) -> "Tensor":
        return _binary_operator("matmul", self, other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return _binary_operator("matmul", self, other, reflected=True)

    def __lt__(self, other: Any) -> "Tensor":
        return _binary_operator("Less", self, other)

    def __le__(self, other: Any) -> "Tensor":
        return _binary_operator("LessEqual", self, other)

    def __gt__(self, other: Any) -> "Tensor":
        return _binary_operator("Greater", self, other)

    def __ge__(self, other: Any) -> "Tensor":
        return _binary_operator("GreaterEqual", self, other)

    def __and__(self, other: Any) -> "Tensor":
        return _binary_operator("and", self, other)

    def __rand__(self, other: Any) -> "Tensor":
        return _binary_operator("and", self, other, reflected=True)

    def __or__(self, other: Any) -> "Tensor":
        return _binary_operator("or", self, other)

    def __ror__(self, other: Any) -> "Tensor":
        return _binary_operator("or", self, other, reflected=True)

    def __xor__(self, other: Any) -> "Tensor":
        return _binary_operator("xor", self, other)

    def __rxor__(self, other: Any) -> "Tensor":
        return _binary_operator("xor", self, other, reflected=True)

    def __invert__(self) -> "Tensor":
        return _unary_operator("logical_not", self)

    def __neg__(self) -> "Tensor":
        return _unary_operator("negative", self)

    def __abs__(self) -> "Tensor":
        return _unary_operator("abs", self)

    def __getitem__(self, key: Any) -> "Tensor":
        from . import array_ops
        return array_ops._slice_helper(self, key)


def _binary_operator(key: str, tensor: Tensor, other: Any, reflected: bool = False) -> Tensor:
    # Imported here: math_ops builds on this module.
    from .math_ops import binary_operator
    return binary_operator(key, tensor, other, reflected)


def _unary_operator(name: str, tensor: Tensor) -> Tensor:
    from . import math_ops
    result: Tensor = getattr(math_ops, name)(tensor)
    return result


def _as_operation(op_or_tensor: Any) -> Operation:
    if isinstance(op_or_tensor, Operation):
        return op_or_tensor
    if isinstance(op_or_tensor, Tensor):
        return op_or_tensor.op
    values = getattr(op_or_tensor, "values", None)
    if isinstance(values, Tensor):
        return values.op
    raise TypeError(f"Expected an Operation or Tensor, got {op_or_tensor!r}")


# ----- the default graph -----
class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.graph_stack: list[Graph] = []


_thread_state = _ThreadState()
_global_default_graph: Optional[Graph] = None
_global_lock = threading.Lock()
# The eager context's graph when eager execution is the default (enable_eager_execution).
_eager_default: Optional[Graph] = None


def _set_eager_default(graph: Optional[Graph]) -> None:
    global _eager_default
    _eager_default = graph


def _default_graph_stack() -> list[Graph]:
    return _thread_state.graph_stack


def get_default_graph() -> Graph:
    """The innermost ``as_default()`` graph of this thread, else the global default graph."""
    stack = _default_graph_stack()
    if stack:
        return stack[-1]
    if _eager_default is not None:
        return _eager_default
    return _global_graph()


def _global_graph() -> Graph:
    """The global default graph of graph mode."""
    global _global_default_graph
    with _global_lock:
        if _global_default_graph is None:
            _global_default_graph = Graph()
        return _global_default_graph


def reset_default_graph() -> None:
    """Replaces the global default graph with a fresh one (not inside ``as_default()``)."""
    global _global_default_graph
    if _default_graph_stack():
        raise AssertionError(
            "Do not use tf.reset_default_graph() to clear nested graphs. If you need a "
            "cleared graph, exit the nesting and create a new graph.")
    with _global_lock:
        _global_default_graph = Graph()


def _graph_of(values: Iterable[Any]) -> Optional[Graph]:
    """The one graph the graph elements among ``values`` belong to (ValueError if several)."""
    first: Any = None
    graph: Optional[Graph] = None
    capturing = getattr(get_default_graph(), "_capture_outer", None) is not None
    for v in values:
        element: Any = v
        if getattr(v, "_is_eager", False):
            continue  # an eager value belongs to whatever graph uses it
        if capturing and isinstance(v, Tensor) and v.graph is not get_default_graph():
            continue  # an outer tensor becomes an input of the function being traced
        if not isinstance(v, (Tensor, Operation)):
            element = getattr(v, "values", None)  # IndexedSlices
            if not isinstance(element, Tensor):
                continue
            element = v
        g = element.graph
        if graph is None:
            graph, first = g, element
        elif g is not graph:
            raise ValueError(
                f"{element} must be from the same graph as {first} "
                f"(graphs are {g} and {graph}).")
    return graph


def get_name_scope() -> str:
    return get_default_graph().get_name_scope()


def name_scope(name: Optional[str], default_name: Optional[str] = None,
               values: Optional[Sequence[Any]] = None) -> ContextManager[str]:
    """TF1's ``name_scope(name, default_name=None, values=None)``; yields the scope name.

    The graph is the one of ``values`` when they hold graph elements, else the default graph.
    """
    if default_name is not None and not isinstance(default_name, str):
        raise TypeError(f"`default_name` type ({type(default_name)}) is not a string type. "
                        "You likely meant to pass this into the `values` kwarg.")
    graph = _graph_of(values or ()) or get_default_graph()
    if graph._is_eager:
        return graph.name_scope(None)  # eager ops have no names
    return _graph_name_scope(graph, default_name if name is None else name)


@contextlib.contextmanager
def _graph_name_scope(graph: Graph, scope_name: Optional[str]) -> Iterator[str]:
    with graph.as_default(), graph.name_scope(scope_name) as scope:
        yield scope


@contextlib.contextmanager
def device(device_name_or_function: Optional[str]) -> Iterator[None]:
    with get_default_graph().device(device_name_or_function):
        yield


@contextlib.contextmanager
def colocate_with(op: Any, ignore_existing: bool = False) -> Iterator[None]:
    graph = op.graph if op is not None else get_default_graph()
    with graph.colocate_with(op, ignore_existing):
        yield


@contextlib.contextmanager
def control_dependencies(control_inputs: Optional[Iterable[Any]]) -> Iterator[None]:
    with get_default_graph().control_dependencies(control_inputs):
        yield


@contextlib.contextmanager
def init_scope() -> Iterator[None]:
    """TF's ``init_scope``: the block builds outside the control dependencies, loops and
    conds around it (keeping the name scope), and outside a ``function`` being traced (in
    the eager context), as variables and their initializers are built."""
    graph = get_default_graph()
    if hasattr(graph, "capture_variable_read"):
        from .eager import eager_mode
        with eager_mode():
            yield
        return
    from ._lifting import lifted
    with graph.control_dependencies(None), lifted():
        yield


# ----- conversion hooks (Variables and other tensor-like types register here) -----
_CONVERSION_FUNCTIONS: list[tuple[int, type, Callable[..., Any]]] = []


def register_tensor_conversion_function(base_type: Any, conversion_func: Callable[..., Any],
                                        priority: int = 100) -> None:
    """Registers ``conversion_func(value, dtype=None, name=None, as_ref=False)``."""
    _CONVERSION_FUNCTIONS.append((priority, base_type, conversion_func))
    _CONVERSION_FUNCTIONS.sort(key=lambda entry: entry[0])


def _registered_conversion(value: Any) -> Optional[Callable[..., Any]]:
    for _, base_type, func in _CONVERSION_FUNCTIONS:
        if isinstance(value, base_type):
            return func
    return None


def set_random_seed(seed: Optional[int]) -> None:
    """Sets the default graph's graph-level seed (TF1's ``tf.set_random_seed``): random ops
    built afterwards without an op seed become deterministic (see ``random_ops.get_seed``)."""
    get_default_graph().seed = None if seed is None else int(seed)


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a graph value: a ``Tensor``, a ``Variable``, a ``SparseTensor`` or
    ``IndexedSlices`` (TF's ``tf.is_tensor``); numpy arrays and ops are not."""
    from .indexed_slices import IndexedSlices
    from .sparse_tensor import SparseTensor
    from .variables import Variable
    return isinstance(x, (Tensor, Variable, SparseTensor, IndexedSlices))
