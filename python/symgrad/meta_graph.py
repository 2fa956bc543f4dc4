"""``MetaGraphDef`` export and import: ``tf.train.export_meta_graph``,
``tf.train.import_meta_graph`` (and ``Saver``'s ``.meta`` files).

A meta graph is a ``GraphDef`` together with the graph's collections and the ``SaverDef``
of the saver that wrote it, so a program can rebuild a trained model from its files alone:
``import_meta_graph("model.meta")`` adds the ops, refills the collections (variables come
back as ``Variable`` objects through their ``VariableDef``), and returns a ``Saver`` that
restores the checkpoint into them. Collections are written as TF writes them
(``meta_graph.add_collection_def``): variables as serialized ``VariableDef`` bytes, graph
elements as names, strings, ints and floats as lists; other values are left out with a
warning. ``export_scope``/``import_scope`` work on names as TF's ``strip_name_scope`` and
``prepend_name_scope`` do.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Optional, Sequence

from . import logging as _logging
from .framework import Graph, Operation, Tensor, get_default_graph
from .summary_pb2 import Any as AnyProto
from .summary_pb2 import (CollectionDef, DecodeError, GraphDef, MetaGraphDef, SaverDef,
                          VariableDef)
from .variables import GraphKeys, Variable, prepend_name_scope, strip_name_scope

__all__ = ["export_meta_graph", "import_meta_graph", "read_meta_graph_file"]

# The collections whose Variables travel as `VariableDef`s (TF's `_VARIABLE_COLLECTIONS`).
_VARIABLE_COLLECTIONS = (
    GraphKeys.GLOBAL_VARIABLES, GraphKeys.LOCAL_VARIABLES, GraphKeys.METRIC_VARIABLES,
    GraphKeys.MODEL_VARIABLES, GraphKeys.TRAINABLE_VARIABLES,
    GraphKeys.MOVING_AVERAGE_VARIABLES, "concatenated_variables",
    "trainable_resource_variables",
)

# TF's prefix for inputs from outside an exported scope.
_UNBOUND_INPUT_PREFIX = "$unbound_inputs_"
_UNBOUND_INPUTS_KEY = "unbound_inputs"


def _kind_of(item: Any) -> str:
    if isinstance(item, AnyProto):
        return "any_list"
    if isinstance(item, (str, bytes)):
        return "bytes_list"
    if isinstance(item, int):
        return "int64_list"
    if isinstance(item, float):
        return "float_list"
    return "node_list"


def _in_scope(item: Any, export_scope: Optional[str]) -> bool:
    name = getattr(item, "name", None)
    return not export_scope or not isinstance(name, str) or name.startswith(export_scope)


def _proto_collection(key: str) -> Optional[tuple[type, Callable[..., Any]]]:
    """The message type and the ``from_proto`` of a collection whose items travel as
    serialized messages (TF's ``register_proto_function``): variables and savers."""
    if key in _VARIABLE_COLLECTIONS:
        return VariableDef, Variable.from_proto
    if key == GraphKeys.SAVERS:
        from .train.saver import Saver
        return SaverDef, Saver.from_proto
    return None


def _add_collection_def(meta: MetaGraphDef, key: Any, graph: Graph,
                        export_scope: Optional[str]) -> None:
    """Writes collection ``key`` into ``meta`` as TF's ``add_collection_def``."""
    if not isinstance(key, (str, bytes)):
        _logging.warning("Only collections with string type keys will be serialized. This "
                         "key has %s", type(key))
        return
    items = [x for x in graph.get_collection(key) if _in_scope(x, export_scope)]
    if not items:
        return
    col = CollectionDef()
    try:
        if _proto_collection(key) is not None:
            for x in items:
                proto = x.to_proto(export_scope=export_scope)
                if proto is not None:
                    col.bytes_list.value.append(proto.SerializeToString())
        else:
            kind = _kind_of(items[0])
            if kind == "node_list":
                for x in items:
                    if not isinstance(x, (Tensor, Operation, Variable)):
                        raise TypeError(f"{x!r} is not a graph element")
                    col.node_list.value.append(strip_name_scope(x.name, export_scope))
            elif kind == "bytes_list":
                col.bytes_list.value.extend(
                    x.encode("utf-8") if isinstance(x, str) else x for x in items)
            elif kind == "any_list":
                for x in items:
                    col.any_list.value.add().CopyFrom(x)
            else:
                getattr(col, kind).value.extend(items)
    except (TypeError, ValueError, AttributeError) as e:
        _logging.warning("Issue encountered when serializing: %s.\n%s", key, e)
        return
    meta.collection_def[key] = col


def _scoped_graph_def(graph_def: GraphDef,
                      export_scope: Optional[str]) -> tuple[GraphDef, list[str]]:
    """The nodes of ``graph_def`` under ``export_scope``, named relative to it, and the
    inputs they read from outside it, which take TF's ``$unbound_inputs_`` prefix."""
    if not export_scope:
        return graph_def, []
    out = GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    unbound: list[str] = []
    for node in graph_def.node:
        if not node.name.startswith(export_scope):
            continue
        copy = out.node.add()
        copy.CopyFrom(node)
        copy.name = strip_name_scope(node.name, export_scope)
        del copy.input[:]
        for raw in node.input:
            if raw.lstrip("^").startswith(export_scope):
                copy.input.append(strip_name_scope(raw, export_scope))
            else:
                control = "^" if raw.startswith("^") else ""
                copy.input.append(control + _UNBOUND_INPUT_PREFIX + raw.lstrip("^"))
                unbound.append(copy.input[-1])
    return out, unbound


def export_meta_graph(filename: Optional[str] = None, meta_info_def: Any = None,
                      graph_def: Optional[GraphDef] = None, saver_def: Any = None,
                      collection_list: Optional[Sequence[str]] = None, as_text: bool = False,
                      graph: Optional[Graph] = None, export_scope: Optional[str] = None,
                      clear_devices: bool = False, clear_extraneous_savers: bool = False,
                      strip_default_attrs: bool = False, save_debug_info: bool = False,
                      **kwargs: Any) -> MetaGraphDef:
    """The ``MetaGraphDef`` of ``graph`` (default: the default graph): its ``GraphDef``, the
    collections in ``collection_list`` (default: all), ``saver_def``; written to
    ``filename`` when given (protobuf text format with ``as_text``)."""
    del clear_extraneous_savers, save_debug_info, kwargs
    graph = graph or get_default_graph()
    if getattr(graph, "_is_eager", False):
        raise RuntimeError("Exporting/importing meta graphs is not supported when eager "
                           "execution is enabled. No graph exists when eager execution is "
                           "enabled.")
    meta = MetaGraphDef()
    if meta_info_def is not None:
        meta.meta_info_def.CopyFrom(meta_info_def)
    meta.meta_info_def.stripped_default_attrs = bool(strip_default_attrs)
    source = graph_def if graph_def is not None else graph.as_graph_def(add_shapes=True)
    scoped, unbound = _scoped_graph_def(source, export_scope)
    meta.graph_def.CopyFrom(scoped)
    if clear_devices:
        for node in meta.graph_def.node:
            node.device = ""
    if saver_def is not None:
        meta.saver_def.CopyFrom(saver_def)
    keys = graph.get_all_collection_keys() if collection_list is None else collection_list
    for key in keys:
        if key != _UNBOUND_INPUTS_KEY:
            _add_collection_def(meta, key, graph, export_scope)
    if unbound:
        meta.collection_def[_UNBOUND_INPUTS_KEY].bytes_list.value.extend(
            u.encode("utf-8") for u in unbound)
    if filename:
        directory = os.path.dirname(os.path.abspath(filename))
        os.makedirs(directory, exist_ok=True)
        data = str(meta).encode("utf-8") if as_text else meta.SerializeToString()
        with open(filename, "wb") as f:
            f.write(data)
    return meta


def read_meta_graph_file(filename: str) -> MetaGraphDef:
    """The ``MetaGraphDef`` in ``filename`` (binary protobuf)."""
    if not os.path.exists(filename):
        raise OSError(f"File does not exist. Received: {filename}.")
    with open(filename, "rb") as f:
        data = f.read()
    try:
        return MetaGraphDef.FromString(data)
    except (DecodeError, ValueError, TypeError, UnicodeDecodeError) as e:
        raise OSError(f"Cannot parse file {filename}: {e}. symgrad reads MetaGraphDefs in "
                      "protobuf's binary form (as_text=False).") from None


def _restore_collections(meta: MetaGraphDef, graph: Graph, scope: str,
                         keep: Callable[[str], bool]) -> dict[bytes, Variable]:
    """Refills the graph's collections from ``meta``; returns the Variables rebuilt, by
    their serialized ``VariableDef``."""
    variables: dict[bytes, Variable] = {}
    # Variables first: a saver in the `savers` collection takes them over.
    for key, col in sorted(meta.collection_def.items(),
                           key=lambda item: (item[0] not in _VARIABLE_COLLECTIONS, item[0])):
        if key == _UNBOUND_INPUTS_KEY or not keep(key):
            continue
        kind = col.WhichOneof("kind")
        if kind is None:
            _logging.warning("Cannot identify data type for collection %s. Skipping.", key)
            continue
        proto = _proto_collection(key)
        if kind == "bytes_list" and proto is not None:
            proto_type, from_proto = proto
            for value in col.bytes_list.value:
                item = variables.get(value)
                if item is None:
                    item = from_proto(proto_type.FromString(value), import_scope=scope)
                    if isinstance(item, Variable):
                        variables[value] = item
                graph.add_to_collection(key, item)
        elif kind == "node_list":
            for value in col.node_list.value:
                graph.add_to_collection(
                    key, graph.as_graph_element(prepend_name_scope(value, scope)))
        elif kind == "int64_list":
            for value in col.int64_list.value:
                graph.add_to_collection(key, int(value))
        elif kind == "float_list":
            for value in col.float_list.value:
                graph.add_to_collection(key, float(value))
        elif kind == "any_list":
            for value in col.any_list.value:
                graph.add_to_collection(key, value)
        else:
            # TF puts even plain strings under the import scope (as text then).
            for value in col.bytes_list.value:
                graph.add_to_collection(key, prepend_name_scope(
                    value.decode("utf-8", "replace"), scope) if scope else value)
    # A graph element that is a rebuilt variable's handle stands for the Variable (the
    # global step is kept in its collection by name).
    by_handle = {v.name: v for v in variables.values()}
    for key in graph.get_all_collection_keys():
        items = graph.get_collection_ref(key)
        for i, item in enumerate(items):
            if isinstance(item, Tensor) and item.name in by_handle:
                items[i] = by_handle[item.name]
    return variables


def _check_unbound_inputs(meta: MetaGraphDef, input_map: Optional[dict[str, Any]]) -> None:
    """TF's check that ``input_map`` maps exactly the inputs an ``export_scope`` left
    unbound (by their ``$unbound_inputs_`` names)."""
    if _UNBOUND_INPUTS_KEY not in meta.collection_def:
        return
    col = meta.collection_def[_UNBOUND_INPUTS_KEY]
    kind = col.WhichOneof("kind")
    values = [v.decode("utf-8") if isinstance(v, bytes) else v
              for v in (getattr(col, kind).value if kind else [])]
    if values and (not input_map or sorted(values) != sorted(input_map)):
        raise ValueError("Graph contains unbound inputs: %s. Must provide these inputs "
                         "through input_map." % ",".join(
                             v for v in values if not input_map or v not in input_map))


def import_scoped_meta_graph(meta_graph_or_file: Any, clear_devices: bool = False,
                             import_scope: Optional[str] = None,
                             input_map: Optional[dict[str, Any]] = None,
                             return_elements: Optional[Sequence[str]] = None,
                             restore_collections_predicate: Callable[[str], bool] = (
                                 lambda key: True),
                             ) -> tuple[dict[str, Variable], Optional[list[Any]], str]:
    """Adds a meta graph's ops and collections to the default graph; returns its global
    variables by their names relative to the import scope, the ``return_elements`` and
    the scope the names were put under."""
    meta = meta_graph_or_file if isinstance(meta_graph_or_file, MetaGraphDef) else \
        read_meta_graph_file(meta_graph_or_file)
    graph = get_default_graph()
    if getattr(graph, "_is_eager", False):
        raise RuntimeError("Exporting/importing meta graphs is not supported when eager "
                           "execution is enabled. No graph exists when eager execution is "
                           "enabled.")
    from .importer import import_graph_def
    _check_unbound_inputs(meta, input_map)
    graph_def = meta.graph_def
    if clear_devices:
        graph_def = GraphDef.FromString(graph_def.SerializeToString())
        for node in graph_def.node:
            node.device = ""
    scope = graph.unique_name(import_scope or "", mark_as_used=False)
    returned = import_graph_def(graph_def, input_map=input_map or None,
                                return_elements=return_elements,
                                name=import_scope or scope)
    _restore_collections(meta, graph, scope, restore_collections_predicate)
    var_list = {strip_name_scope(v.op.name, scope): v
                for v in graph.get_collection(GraphKeys.GLOBAL_VARIABLES, scope=scope or None)
                if isinstance(v, Variable)}
    return var_list, returned, scope


def import_meta_graph(meta_graph_or_file: Any, clear_devices: bool = False,
                      import_scope: Optional[str] = None, **kwargs: Any) -> Any:
    """Rebuilds a saved model's graph in the default graph from its ``MetaGraphDef`` (a
    message or a ``.meta`` file) and returns a ``Saver`` that restores its variables from
    the checkpoint; ``None`` when it has no variables. Keyword arguments: ``input_map``,
    ``return_elements``, ``restore_collections_predicate``."""
    from .train.saver import Saver
    meta = meta_graph_or_file if isinstance(meta_graph_or_file, MetaGraphDef) else \
        read_meta_graph_file(meta_graph_or_file)
    var_list, _, scope = import_scoped_meta_graph(
        meta, clear_devices=clear_devices, import_scope=import_scope, **kwargs)
    if meta.HasField("saver_def"):
        return Saver(saver_def=meta.saver_def, name=scope)
    if var_list:
        return Saver()
    return None
