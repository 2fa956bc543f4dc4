"""Event files as TF writes and reads them: ``FileWriter``, ``FileWriterCache``,
``summary_iterator``, the TFRecord framing with masked CRC-32C, and ``GraphDef``s of symgrad
graphs for the graph events.

An event file is ``<logdir>/events.out.tfevents.<10-digit seconds>.<hostname><suffix>``, a
sequence of TFRecords (``uint64 length``, masked CRC-32C of the length, the serialized
``Event``, masked CRC-32C of it), starting with an event whose ``file_version`` is
``brain.Event:2``. TF queues events for a background thread; symgrad writes each event when
it is added (buffered in the file) and flushes on ``flush()``/``close()`` and every
``flush_secs`` seconds, so the file reads the same.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
import warnings
from typing import Any, Iterator, Optional

import numpy as np

from . import summary_pb2
from .summary_pb2 import AttrValue, Event, GraphDef, MetaGraphDef, NodeDef, TensorProto

__all__ = ["FileWriter", "FileWriterCache", "summary_iterator", "tf_record_iterator",
           "crc32c", "masked_crc32c", "graph_def_of", "write_graph"]

# ----- CRC-32C (Castagnoli), table-driven -----


def _crc_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    """CRC-32C of ``data`` (the checksum TFRecord uses)."""
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC: rotated right by 15 bits plus a constant."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _record(data: bytes) -> bytes:
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", masked_crc32c(length)) + data
            + struct.pack("<I", masked_crc32c(data)))


def tf_record_iterator(path: str) -> Iterator[bytes]:
    """The records of a TFRecord file; ``errors.DataLossError`` on a corrupt record, as TF.
    A record cut off at the end of the file (one still being written) ends the iteration."""
    from .tf_record import read_records
    with open(path, "rb") as f:
        yield from read_records(f, truncated_ok=True)


class _SummaryIterator:
    def __init__(self, path: str) -> None:
        self._records = tf_record_iterator(path)

    def __iter__(self) -> "_SummaryIterator":
        return self

    def __next__(self) -> Event:
        return Event.FromString(next(self._records))

    next = __next__


def summary_iterator(path: str) -> _SummaryIterator:
    """``tf.compat.v1.train.summary_iterator``: the ``Event``s of an event file, in order."""
    return _SummaryIterator(path)


# ----- writing -----
class _EventFileWriter:
    """One event file at a time: made by the first write after opening (TF's EventsWriter
    makes it at its first event, or at once when a suffix is given)."""

    def __init__(self, logdir: str, flush_secs: float, filename_suffix: Optional[str]) -> None:
        self._logdir = str(logdir)
        os.makedirs(self._logdir, exist_ok=True)
        self._flush_secs = flush_secs
        self._suffix = filename_suffix or ""
        self._file: Any = None
        self._next_flush = 0.0
        self._lock = threading.Lock()
        if filename_suffix:
            self._open()

    def _open(self) -> None:
        seconds = int(time.time())
        name = f"events.out.tfevents.{seconds:010d}.{socket.gethostname()}{self._suffix}"
        self.path = os.path.join(self._logdir, name)
        self._file = open(self.path, "wb")  # noqa: SIM115 - kept open between events
        self._file.write(_record(Event(wall_time=float(seconds),
                                       file_version="brain.Event:2").SerializeToString()))
        self._file.flush()

    def write(self, event: Event) -> None:
        with self._lock:
            if self._file is None:
                self._open()
            self._file.write(_record(event.SerializeToString()))
            now = time.time()
            if now > self._next_flush:
                self._file.flush()
                self._next_flush = now + self._flush_secs

    def flush(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


class FileWriter:
    """``tf.compat.v1.summary.FileWriter``: writes ``Event``s (summaries, session logs,
    graphs) to a new event file in ``logdir``."""

    def __init__(self, logdir: str, graph: Any = None, max_queue: int = 10,
                 flush_secs: float = 120, graph_def: Any = None,
                 filename_suffix: Optional[str] = None, session: Any = None) -> None:
        from .eager import executing_eagerly
        if executing_eagerly():
            raise RuntimeError(
                "v1.summary.FileWriter is not compatible with eager execution. Use "
                "`tf.summary.create_file_writer`,or a `with v1.Graph().as_default():` context")
        self._max_queue = max_queue
        self.event_writer = _EventFileWriter(logdir, flush_secs, filename_suffix)
        self._closed = False
        self._session_run_tags: dict[str, bool] = {}
        self._seen_summary_tags: set[str] = set()
        if graph is not None or graph_def is not None:
            self.add_graph(graph=graph, graph_def=graph_def)
            from .framework import Graph
            source = graph_def if graph_def is not None else graph
            graph_proto = _as_graph_def(source) if isinstance(source, Graph) else source
            self.add_meta_graph(MetaGraphDef(graph_def=graph_proto))

    def __enter__(self) -> "FileWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def get_logdir(self) -> str:
        return self.event_writer._logdir

    def _warn_if_event_writer_is_closed(self) -> None:
        if self._closed:
            warnings.warn("Attempting to use a closed FileWriter. The operation will be a noop "
                          "unless the FileWriter is explicitly reopened.")

    def _add_event(self, event: Event, step: Any) -> None:
        self._warn_if_event_writer_is_closed()
        event.wall_time = time.time()
        if step is not None:
            event.step = int(step)
        if not self._closed:
            self.event_writer.write(event)

    def add_event(self, event: Event) -> None:
        """Writes ``event`` as it is (no wall time or step is filled in)."""
        self._warn_if_event_writer_is_closed()
        if not self._closed:
            self.event_writer.write(event)

    def add_summary(self, summary: Any, global_step: Any = None) -> None:
        """``summary``: a ``Summary`` or its serialized bytes (what a summary op returns).
        Metadata is written only with the first value of each tag, as TF."""
        if isinstance(summary, (bytes, np.bytes_)):
            summary = summary_pb2.Summary.FromString(bytes(summary))
        elif not isinstance(summary, summary_pb2.Summary):
            raise TypeError(f"add_summary expects a Summary or its serialized bytes, got "
                            f"{type(summary).__name__}")
        for value in summary.value:
            if not value.HasField("metadata"):
                continue
            if value.tag in self._seen_summary_tags:
                value.ClearField("metadata")
                continue
            self._seen_summary_tags.add(value.tag)
        self._add_event(Event(summary=summary), global_step)

    def add_session_log(self, session_log: Any, global_step: Any = None) -> None:
        self._add_event(Event(session_log=session_log), global_step)

    def add_graph(self, graph: Any, global_step: Any = None, graph_def: Any = None) -> None:
        """Writes the graph as a ``GraphDef`` event (``graph``: a ``Graph``, or the deprecated
        ``GraphDef``)."""
        from .framework import Graph
        if graph is not None and graph_def is not None:
            raise ValueError("Please pass only graph, or graph_def (deprecated), but not both.")
        if isinstance(graph, Graph) or isinstance(graph_def, Graph):
            true_graph_def = _as_graph_def(graph if isinstance(graph, Graph) else graph_def)
        elif isinstance(graph, GraphDef) or isinstance(graph_def, GraphDef):
            true_graph_def = graph if isinstance(graph, GraphDef) else graph_def
        else:
            raise TypeError("The passed graph must be an instance of `Graph` or the deprecated "
                            "`GraphDef`")
        self._add_event(Event(graph_def=true_graph_def.SerializeToString()), global_step)

    def add_meta_graph(self, meta_graph_def: Any, global_step: Any = None) -> None:
        if not isinstance(meta_graph_def, MetaGraphDef):
            raise TypeError("meta_graph_def must be type MetaGraphDef, saw type: "
                            f"{type(meta_graph_def)}")
        self._add_event(Event(meta_graph_def=meta_graph_def.SerializeToString()), global_step)

    def add_run_metadata(self, run_metadata: Any, tag: str, global_step: Any = None) -> None:
        if tag in self._session_run_tags:
            raise ValueError("The provided tag was already used for this event type")
        self._session_run_tags[tag] = True
        serialize = getattr(run_metadata, "SerializeToString", None)
        data = serialize() if serialize is not None else b""
        tagged = summary_pb2.TaggedRunMetadata(tag=tag, run_metadata=data)
        self._add_event(Event(tagged_run_metadata=tagged), global_step)

    def flush(self) -> None:
        self._warn_if_event_writer_is_closed()
        if not self._closed:
            self.event_writer.flush()

    def close(self) -> None:
        if not self._closed:
            self.event_writer.close()
        self._closed = True

    def reopen(self) -> None:
        """After ``close()``: the next event starts a new event file, as in TF."""
        self._closed = False


class FileWriterCache:
    """``tf.compat.v1.summary.FileWriterCache``: one ``FileWriter`` per log directory."""

    _cache: dict[str, FileWriter] = {}
    _lock = threading.RLock()

    @staticmethod
    def clear() -> None:
        with FileWriterCache._lock:
            for writer in FileWriterCache._cache.values():
                writer.close()
            FileWriterCache._cache = {}

    @staticmethod
    def get(logdir: str) -> FileWriter:
        from .framework import get_default_graph
        with FileWriterCache._lock:
            if logdir not in FileWriterCache._cache:
                FileWriterCache._cache[logdir] = FileWriter(logdir, graph=get_default_graph())
            return FileWriterCache._cache[logdir]


# ----- GraphDef of a symgrad graph -----

# TF 2.21's GraphDef producer version (`versions { producer }` of its graphs).
_GRAPH_DEF_VERSION = 2474


def _shape_proto(shape: Any) -> summary_pb2.TensorShapeProto:
    proto = summary_pb2.TensorShapeProto()
    dims = shape.as_list() if shape.ndims is not None else None
    if dims is None:
        proto.unknown_rank = True
    else:
        for d in dims:
            proto.dim.add(size=-1 if d is None else int(d))
    return proto


def _tensor_proto(array: np.ndarray) -> TensorProto:
    from . import dtypes
    array = np.asarray(array)
    dtype = dtypes.string if array.dtype.kind in "OSU" else dtypes.as_dtype(array.dtype)
    proto = TensorProto(dtype=dtype.as_datatype_enum)
    proto.tensor_shape.CopyFrom(_shape_proto(_static_shape(array.shape)))
    if dtype is dtypes.string:
        proto.string_val.extend(v if isinstance(v, bytes) else str(v).encode()
                                for v in array.reshape(-1))
    elif array.size:
        proto.tensor_content = array.astype(array.dtype.newbyteorder("<")).tobytes()
    return proto


def _static_shape(dims: Any) -> Any:
    from .tensor_shape import TensorShape
    return TensorShape(list(dims))


def _attr_value(value: Any) -> AttrValue:
    from .dtypes import DType
    from .tensor_shape import TensorShape
    if isinstance(value, DType):
        return AttrValue(type=value.as_datatype_enum)
    if isinstance(value, TensorShape):
        return AttrValue(shape=_shape_proto(value))
    if isinstance(value, (bytes, str)):
        return AttrValue(s=value)
    if isinstance(value, (bool, np.bool_)):
        return AttrValue(b=bool(value))
    if isinstance(value, (int, np.integer)):
        return AttrValue(i=int(value))
    if isinstance(value, (float, np.floating)):
        return AttrValue(f=float(value))
    if isinstance(value, np.ndarray):
        return AttrValue(tensor=_tensor_proto(value))
    if isinstance(value, (list, tuple)):
        items = AttrValue.ListValue()
        for item in value:
            if isinstance(item, DType):
                items.type.append(item.as_datatype_enum)
            elif isinstance(item, TensorShape):
                items.shape.append(_shape_proto(item))
            elif isinstance(item, (bytes, str)):
                items.s.append(item)
            elif isinstance(item, (bool, np.bool_)):
                items.b.append(bool(item))
            elif isinstance(item, (int, np.integer)):
                items.i.append(int(item))
            elif isinstance(item, (float, np.floating)):
                items.f.append(float(item))
            elif isinstance(item, np.ndarray):
                items.tensor.append(_tensor_proto(item))
        return AttrValue(list=items)
    return AttrValue()


def _as_graph_def(graph: Any, add_shapes: bool = True) -> GraphDef:
    graph_def = GraphDef()
    graph_def.versions.producer = _GRAPH_DEF_VERSION
    for op in graph.get_operations():
        node_def = op.node_def
        node = NodeDef(name=node_def.name, op=node_def.op, input=list(node_def.input),
                       device=node_def.device)
        for key, value in node_def.attr.items():
            node.attr[key] = _attr_value(value)
        if add_shapes and op.outputs:
            node.attr["_output_shapes"] = _attr_value([t.shape for t in op.outputs])
        graph_def.node.append(node)
    return graph_def


def graph_def_of(graph: Any, add_shapes: bool = False) -> GraphDef:
    """The ``GraphDef`` of a symgrad ``Graph`` (``Graph.as_graph_def``): each op's name, type,
    inputs, device and attributes; ``add_shapes`` adds TF's ``_output_shapes`` attribute."""
    return _as_graph_def(graph, add_shapes)


def write_graph(graph_or_graph_def: Any, logdir: str, name: str, as_text: bool = True) -> str:
    """``tf.compat.v1.train.write_graph``: the ``GraphDef`` (of a ``Graph`` or given) to
    ``logdir/name`` in protobuf text format, or serialized with ``as_text=False``; returns
    the path. ``logdir`` is created, and the file is replaced whole (written beside it, then
    renamed), as TF's atomic write."""
    from .framework import Graph
    graph_def = graph_or_graph_def.as_graph_def() if isinstance(graph_or_graph_def, Graph) \
        else graph_or_graph_def
    os.makedirs(logdir, exist_ok=True)
    path = os.path.join(logdir, name)
    data = str(graph_def).encode("utf-8") if as_text else graph_def.SerializeToString()
    temporary = f"{path}.tmp{os.getpid()}"
    with open(temporary, "wb") as f:
        f.write(data)
    os.replace(temporary, path)
    return path
