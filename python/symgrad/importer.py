"""``tf.import_graph_def`` and the ``TensorProto`` helpers ``make_ndarray`` /
``make_tensor_proto``.

A ``GraphDef`` (from ``Graph.as_graph_def()``, ``write_graph(as_text=False)`` or TF) is
rebuilt op by op in the default graph under a name scope (``import/`` by default): each
node's attributes are read back from their ``AttrValue`` protos, its inputs come from the
nodes already imported or from ``input_map``, and its control inputs and device are kept.
Nodes are imported in an order where inputs come first, whatever the order of the
``GraphDef``, without recursion.
"""

from __future__ import annotations

import heapq
from typing import Any, Optional, Sequence

import numpy as np

from . import dtypes as _dtypes
from .framework import Operation, Tensor, get_default_graph
from .summary_pb2 import AttrValue, GraphDef, TensorProto

__all__ = ["import_graph_def", "make_ndarray", "make_tensor_proto"]


def make_ndarray(tensor: TensorProto) -> np.ndarray:
    """The numpy value a ``TensorProto`` holds."""
    from .io_ops import _array_of_proto
    return _array_of_proto(tensor, _dtypes.as_dtype(int(tensor.dtype)))


def make_tensor_proto(values: Any, dtype: Any = None, shape: Any = None,
                      verify_shape: bool = False, allow_broadcast: bool = False) -> TensorProto:
    """A ``TensorProto`` of ``values`` (converted to ``dtype``, broadcast or reshaped to
    ``shape`` when given)."""
    from .event_file import _tensor_proto
    np_dtype = None if dtype is None else _dtypes.as_dtype(dtype).as_numpy_dtype
    array = np.asarray(values, dtype=np_dtype)
    if array.dtype == np.float64 and dtype is None and not isinstance(values, np.ndarray):
        array = array.astype(np.float32)  # TF's default for Python floats
    if shape is not None:
        shape = [int(d) for d in shape]
        if verify_shape and list(array.shape) != shape:
            raise TypeError(f"Expected Tensor's shape: {tuple(shape)}, but got "
                            f"{array.shape}.")
        if array.size == int(np.prod(shape, dtype=np.int64)):
            array = array.reshape(shape)
        elif array.size == 1 or allow_broadcast:
            array = np.broadcast_to(array, shape).copy()
        else:
            raise ValueError(f"Too many elements provided. Takes at most "
                             f"{int(np.prod(shape))}, but got {array.size}.")
    return _tensor_proto(array)


def _shape_value(proto: Any) -> Optional[list[Optional[int]]]:
    if proto.unknown_rank:
        return None
    return [None if d.size < 0 else int(d.size) for d in proto.dim]


def _text(raw: Any) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw


# An AttrValue field's value as the Python value `Graph._create_op` takes.
_FROM_FIELD: dict[str, Any] = {
    "type": lambda t: _dtypes.as_dtype(int(t)).name, "shape": _shape_value,
    "tensor": make_ndarray, "s": _text, "b": bool, "i": int, "f": float,
}


def _attr_python(value: AttrValue) -> Any:
    """An ``AttrValue`` as the Python value ``Graph._create_op`` takes (a list attribute's
    items through the same conversions)."""
    kind = value.WhichOneof("value")
    if kind in _FROM_FIELD:
        return _FROM_FIELD[kind](getattr(value, kind))
    if kind == "list":
        for field in ("type", "shape", "s", "i", "f", "b", "tensor"):
            items = getattr(value.list, field)
            if len(items):
                return [_FROM_FIELD[field](item) for item in items]
        return []
    if kind in ("func", "placeholder"):
        raise ValueError(f"import_graph_def in symgrad cannot import a {kind} attribute")
    return None


def _split_input(name: str) -> tuple[str, int]:
    op, _, index = name.partition(":")
    return op, int(index) if index else 0


def _order(nodes: Sequence[Any]) -> list[Any]:
    """The nodes with every node after the nodes it reads (data and control inputs): of the
    nodes ready, always the first in the ``GraphDef``, as TF's importer takes them, so a
    sorted ``GraphDef`` keeps its order."""
    index = {n.name: i for i, n in enumerate(nodes)}
    waiting = [0] * len(nodes)
    readers: list[list[int]] = [[] for _ in nodes]
    for i, n in enumerate(nodes):
        sources = {(s[1:] if s.startswith("^") else _split_input(s)[0]) for s in n.input}
        found = [index[s] for s in sources if s in index]
        waiting[i] = len(found)
        for j in found:
            readers[j].append(i)
    ready = [i for i, w in enumerate(waiting) if w == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(nodes[i])
        for r in readers[i]:
            waiting[r] -= 1
            if waiting[r] == 0:
                heapq.heappush(ready, r)
    if len(order) != len(nodes):
        stuck = sorted(nodes[i].name for i, w in enumerate(waiting) if w > 0)
        raise ValueError(f"GraphDef has a cycle or reads itself through: {stuck[:5]}")
    return order


def import_graph_def(graph_def: GraphDef, input_map: Optional[dict[str, Any]] = None,
                     return_elements: Optional[Sequence[str]] = None,
                     name: Optional[str] = None, op_dict: Any = None,
                     producer_op_list: Any = None) -> Optional[list[Any]]:
    """Adds the ops of ``graph_def`` to the default graph under ``name`` (default
    ``"import"``; ``""`` for none). ``input_map`` replaces the graph_def's tensors (``"x:0"``
    or ``"x"``) by tensors of this graph; ``return_elements`` names the imported tensors
    (``"y:0"``) and operations (``"y"``) to return."""
    del op_dict, producer_op_list
    if not isinstance(graph_def, GraphDef):
        raise TypeError("graph_def must be a GraphDef proto.")
    graph = get_default_graph()
    mapped: dict[str, Tensor] = {}
    for key, value in (input_map or {}).items():
        if not isinstance(key, str):
            raise TypeError(f"input_map keys must be strings, got {key!r}")
        if not isinstance(value, Tensor):
            raise TypeError(f"input_map values must be Tensors, got {value!r}")
        if value.graph is not graph:
            raise ValueError(f"input_map value {value} is not from the default graph")
        op_name, index = _split_input(key)
        mapped[f"{op_name}:{index}"] = value
    nodes = list(graph_def.node)
    names = [n.name for n in nodes]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"GraphDef has duplicate node names: {dup}")
    used: set[str] = set()
    created: dict[str, Operation] = {}
    with graph.name_scope("import" if name is None else (name or None)) as prefix:
        if name == "":
            prefix = ""
        for node in _order(nodes):
            inputs: list[Tensor] = []
            controls: list[Operation] = []
            for raw in node.input:
                if raw.startswith("^"):
                    source = raw[1:]
                    if source not in created:
                        raise ValueError(f"Node '{node.name}': Unknown input node '{raw}'")
                    controls.append(created[source])
                    continue
                op_name, index = _split_input(raw)
                key = f"{op_name}:{index}"
                if key in mapped:
                    inputs.append(mapped[key])
                    used.add(key)
                elif op_name in created:
                    outputs = created[op_name].outputs
                    if index >= len(outputs):
                        raise ValueError(f"Node '{node.name}': Connecting to invalid output "
                                         f"{index} of source node {op_name} which has "
                                         f"{len(outputs)} outputs.")
                    inputs.append(outputs[index])
                else:
                    raise ValueError(f"Node '{node.name}': Unknown input node '{raw}'")
            attrs = {k: _attr_python(v) for k, v in node.attr.items() if not k.startswith("_")}
            full = f"{prefix}{node.name}"
            if prefix == "" and graph._native.op_by_name(full) is not None:
                raise ValueError(f"Node name '{full}' already exists in the Graph and "
                                 "import_graph_def was called with name=''")
            with graph.control_dependencies(None), graph.device(node.device or None):
                with graph.control_dependencies(controls):
                    created[node.name] = graph._create_op(node.op, inputs, attrs, full + "/")
    unused = sorted(set(mapped) - used)
    if unused:
        raise ValueError("Attempted to map inputs that were not found in graph_def: "
                         f"[{', '.join(unused)}]")
    if return_elements is None:
        return None
    out: list[Any] = []
    for element in return_elements:
        if ":" in element:
            op_name, index = _split_input(element)
            op = created.get(op_name)
            if op is None or index >= len(op.outputs):
                raise ValueError(f"Requested return tensor '{element}' not found in graph def")
            out.append(op.outputs[index])
        else:
            if element not in created:
                raise ValueError(f"Requested return node '{element}' not found in graph def")
            out.append(created[element])
    return out
