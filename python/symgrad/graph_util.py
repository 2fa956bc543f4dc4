"""``tf.graph_util``: freezing and pruning ``GraphDef``s for inference.

``convert_variables_to_constants`` is the usual end of a TF 1 training script: the
subgraph the outputs need, with every variable replaced by a ``Const`` holding its value in
the session (and each ``ReadVariableOp`` of it by an ``Identity``), ready to be written with
``SerializeToString`` and loaded back with ``import_graph_def``. Node names, order and
attributes are kept, as TF keeps them.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Iterable, Optional, Sequence

from . import dtypes as _dtypes
from . import logging as _logging
from .summary_pb2 import AttrValue, GraphDef, NodeDef

__all__ = ["convert_variables_to_constants", "extract_sub_graph", "remove_training_nodes",
           "must_run_on_cpu", "tensor_shape_from_node_def_name"]

_VARIABLE_OPS = {"Assign", "AssignAdd", "AssignSub", "Queue", "ScatterAdd", "ScatterSub",
                 "ScatterUpdate", "TruncatedNormal", "Variable", "VariableV2"}
# The variable ops a `Const` can stand in for when a graph is frozen.
_FREEZABLE = {"VarHandleOp", "Variable", "VariableV2"}


def _node_name(name: str) -> str:
    """The op name in a ``NodeDef`` input (``^op``, ``op:1`` or ``op``)."""
    return name[1:] if name.startswith("^") else name.split(":")[0]


def _colocated_names(node: NodeDef) -> list[str]:
    if "_class" not in node.attr:
        return []
    names = []
    for raw in node.attr["_class"].list.s:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        names.append(text[len("loc:@"):] if text.startswith("loc:@") else text)
    return names


def extract_sub_graph(graph_def: GraphDef, dest_nodes: Iterable[str]) -> GraphDef:
    """The nodes of ``graph_def`` that ``dest_nodes`` reach through inputs, control inputs
    and colocation, in their original order."""
    if not isinstance(graph_def, GraphDef):
        raise TypeError("graph_def must be a graph_pb2.GraphDef proto, but got "
                        f"type {type(graph_def)}.")
    if isinstance(dest_nodes, str):
        raise TypeError("dest_nodes must be an iterable of strings, but got "
                        f"type {type(dest_nodes)}.")
    dest_nodes = list(dest_nodes)
    order: dict[str, int] = {}
    sources: dict[str, list[str]] = {}
    by_name: dict[str, NodeDef] = {}
    for i, node in enumerate(graph_def.node):
        name = _node_name(node.name)
        by_name[name] = node
        order[name] = i
        sources[name] = [_node_name(x) for x in node.input] + _colocated_names(node)
    for d in dest_nodes:
        assert d in by_name, f"{d} is not in graph"
    keep: set[str] = set()
    queue = deque(dest_nodes)
    while queue:
        name = queue.popleft()
        if name in keep:
            continue
        keep.add(name)
        queue.extend(sources.get(name, ()))
    out = GraphDef()
    for name in sorted((n for n in keep if n in by_name), key=order.__getitem__):
        out.node.add().CopyFrom(by_name[name])
    out.versions.CopyFrom(graph_def.versions)
    return out


def _variable_values(sess: Any, graph_def: GraphDef, names: Sequence[str]) -> dict[str, Any]:
    """The session's value of each variable in ``names``, read through a read op the
    graph has (or a new read of the Variable when it has none)."""
    reads: dict[str, str] = {}
    for node in graph_def.node:
        if node.op == "ReadVariableOp" and node.input:
            reads.setdefault(_node_name(node.input[0]), node.name + ":0")
    fetches: dict[str, Any] = {}
    missing = [n for n in names if n not in reads]
    if missing:
        from .variables import global_variables, local_variables
        with sess.graph.as_default():
            variables = {v.op.name: v for v in global_variables() + local_variables()}
            for name in missing:
                variable = variables.get(name)
                if variable is None:
                    raise ValueError(f"Cannot find the variable {name!r} in the session's "
                                     "graph to read its value")
                fetches[name] = variable
    for name in names:
        if name in reads:
            fetches[name] = sess.graph.get_tensor_by_name(reads[name])
    keys = list(fetches)
    values = sess.run([fetches[k] for k in keys]) if keys else []
    return dict(zip(keys, values))


def convert_variables_to_constants(sess: Any, input_graph_def: GraphDef,
                                   output_node_names: Sequence[str],
                                   variable_names_whitelist: Optional[Iterable[str]] = None,
                                   variable_names_blacklist: Optional[Iterable[str]] = None
                                   ) -> GraphDef:
    """The part of ``input_graph_def`` that ``output_node_names`` need, with its variables
    (those in the whitelist and not in the blacklist, when given) turned into constants
    holding their values in ``sess``."""
    from .importer import make_tensor_proto
    graph_def = extract_sub_graph(input_graph_def, output_node_names)
    allow = None if variable_names_whitelist is None else set(variable_names_whitelist)
    deny = set(variable_names_blacklist or ())
    frozen = [n.name for n in graph_def.node if n.op in _FREEZABLE
              and (allow is None or n.name in allow) and n.name not in deny]
    values = _variable_values(sess, graph_def, frozen)
    out = GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    for node in graph_def.node:
        copy = out.node.add()
        if node.name in values:
            dtype = _dtypes.as_dtype(node.attr["dtype"].type)
            copy.name, copy.op, copy.device = node.name, "Const", node.device
            copy.attr["dtype"].CopyFrom(AttrValue(type=dtype.as_datatype_enum))
            copy.attr["value"].CopyFrom(AttrValue(tensor=make_tensor_proto(
                values[node.name], dtype=dtype)))
        elif node.op == "ReadVariableOp" and node.input and \
                _node_name(node.input[0]) in values:
            copy.CopyFrom(node)
            copy.op = "Identity"
            copy.attr["T"].CopyFrom(node.attr["dtype"])
            del copy.attr["dtype"]
        else:
            copy.CopyFrom(node)
    _logging.info("Froze %d variables.", len(values))
    _logging.info("Converted %d variables to const ops.", len(values))
    return out


def remove_training_nodes(input_graph: GraphDef,
                          protected_nodes: Optional[Sequence[str]] = None) -> GraphDef:
    """``input_graph`` without its ``CheckNumerics`` nodes (inputs that named them are
    dropped, as in TF) and with ``Identity``/``StopGradient`` nodes spliced out, except
    protected ones and those in control edges or colocation groups."""
    protected = set(protected_nodes or ())
    removed = {n.name for n in input_graph.node
               if n.op == "CheckNumerics" and n.name not in protected}
    kept: list[NodeDef] = []
    for node in input_graph.node:
        if node.name in removed:
            continue
        copy = NodeDef()
        copy.CopyFrom(node)
        del copy.input[:]
        copy.input.extend(x for x in node.input if x.lstrip("^") not in removed)
        kept.append(copy)
    controls: set[str] = set()
    with_controls: set[str] = set()
    colocated: set[str] = set()
    for node in kept:
        for x in node.input:
            if "^" in x:
                controls.add(x.replace("^", ""))
                with_controls.add(node.name)
        colocated.update(_colocated_names(node))
    splice = {n.name: n.input[0] for n in kept
              if n.op in ("Identity", "StopGradient") and n.name not in protected
              and n.name not in colocated and n.name not in with_controls
              and n.name not in controls and n.input}
    out = GraphDef()
    for node in kept:
        if node.name in splice:
            continue
        copy = out.node.add()
        copy.CopyFrom(node)
        del copy.input[:]
        for x in node.input:
            while x.lstrip("^") in splice:
                x = splice[x.lstrip("^")]
            copy.input.append(x)
    return out


def must_run_on_cpu(node: Any, pin_variables_on_cpu: bool = False) -> bool:
    """Whether TF would have to place ``node`` (an Operation or a NodeDef) on the CPU."""
    node_def = getattr(node, "node_def", node)
    op = node_def.op

    def attr_dtype(key: str) -> Optional[_dtypes.DType]:
        if key not in node_def.attr:
            return None
        value = node_def.attr[key]
        raw = value.type if isinstance(value, AttrValue) else value
        try:
            return _dtypes.as_dtype(raw)
        except (TypeError, ValueError):
            return None

    if pin_variables_on_cpu and op in _VARIABLE_OPS:
        return True
    if op == "Const":
        return attr_dtype("dtype") in (_dtypes.string, _dtypes.int32)
    if op in ("DynamicStitch", "ParallelDynamicStitch"):
        return attr_dtype("T") is _dtypes.int32
    if op == "Cast":
        return attr_dtype("SrcT") is _dtypes.int32
    return False


def tensor_shape_from_node_def_name(graph: Any, input_name: str) -> Any:
    """The static shape of the tensor a ``NodeDef`` input string names (``op`` is
    ``op:0``)."""
    name = input_name if ":" in input_name else input_name + ":0"
    return graph.get_tensor_by_name(name).get_shape()
