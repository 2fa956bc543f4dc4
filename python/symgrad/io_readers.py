"""TF 1 readers over a queue of file names: ``tf.TFRecordReader``, ``tf.TextLineReader``,
``tf.FixedLengthRecordReader`` and ``tf.WholeFileReader``.

A reader's ``read(queue)`` is a ``PyFunc`` op named ``ReaderReadV2`` returning ``(key,
value)`` string scalars; when its current file is used up it dequeues the next file name
(blocking as a dequeue does; ``OutOfRangeError`` once the queue is closed and empty). The
reader handle is a ``string`` ``Const`` named as TF's reader op; a reader's position
belongs to the session that runs it, as a queue's contents do.
"""

from __future__ import annotations

import io
import itertools
import threading
import weakref
from typing import Any, Iterator, Optional

import numpy as np

from . import dtypes as _dtypes
from . import errors
from .constant_op import constant, convert_to_tensor
from .data_flow_ops import QueueBase, resource_for
from .framework import Tensor, get_default_graph, name_scope
from .tf_record import (TFRecordOptions, fixed_length_records, read_compressed,
                        read_records)

__all__ = ["ReaderBase", "TFRecordReader", "TextLineReader", "FixedLengthRecordReader",
           "WholeFileReader"]

_TOKENS = itertools.count()
_LOCK = threading.Lock()
_READERS: "weakref.WeakValueDictionary[str, ReaderBase]" = weakref.WeakValueDictionary()


class _ReaderState:
    """One session's position: the current file's records, and the counters."""

    def __init__(self) -> None:
        self.records: Optional[Iterator[tuple[bytes, bytes]]] = None
        self.produced = 0
        self.completed = 0
        self.lock = threading.Lock()


class ReaderBase:
    """What the readers share: the handle, ``read``, ``read_up_to`` and the counters."""

    _OP_NAME = "ReaderBase"

    def __init__(self, name: Optional[str]) -> None:
        with _LOCK:
            self._token = f"reader_{next(_TOKENS)}"
        self._reader_ref = constant(self._token, dtype=_dtypes.string,
                                    name=name or self._OP_NAME)
        self._states: "weakref.WeakKeyDictionary[Any, _ReaderState]" = \
            weakref.WeakKeyDictionary()
        self._no_session = _ReaderState()
        self._states_lock = threading.Lock()
        _READERS[self._token] = self
        from .data.iterator_ops import _keep_alive
        _keep_alive(get_default_graph(), self)

    @property
    def reader_ref(self) -> Tensor:
        return self._reader_ref

    @property
    def supports_serialize(self) -> bool:
        return False

    def _records(self, path: str, data: bytes) -> Iterator[tuple[bytes, bytes]]:
        raise NotImplementedError  # each reader class defines its record format

    def _state(self) -> _ReaderState:
        from .session import _running_session
        session = _running_session()
        if session is None:
            return self._no_session
        with self._states_lock:
            state = self._states.get(session)
            if state is None:
                state = self._states[session] = _ReaderState()
            return state

    def _next(self, state: _ReaderState, queue_handle: Any) -> tuple[bytes, bytes]:
        while True:
            if state.records is not None:
                record = next(state.records, None)
                if record is not None:
                    state.produced += 1
                    return record
                state.records = None
                state.completed += 1
            work = resource_for(queue_handle).state().dequeue(1, up_to=False)[0][0]
            name = work.item() if isinstance(work, np.ndarray) else work
            path = name.decode() if isinstance(name, bytes) else str(name)
            state.records = self._records(path, self._read(path))

    def _read(self, path: str) -> bytes:
        return read_compressed(path, "")

    @staticmethod
    def _queue_ref(queue: Any) -> Tensor:
        if isinstance(queue, QueueBase):
            return queue.queue_ref
        return convert_to_tensor(queue, dtype=_dtypes.string)

    def read(self, queue: Any, name: Optional[str] = None) -> tuple[Tensor, Tensor]:
        """The next ``(key, value)`` record, taking file names from ``queue``."""
        from .data.iterator_ops import _host_op
        queue_ref = self._queue_ref(queue)

        def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
            state = self._state()
            with state.lock:
                key, value = self._next(state, arrays[1])
            return [np.asarray(key, dtype=object), np.asarray(value, dtype=object)]

        with name_scope(name, "ReaderReadV2", [queue_ref]) as scope:
            op = _host_op("ReaderReadV2", [self._reader_ref, queue_ref],
                          [_dtypes.string, _dtypes.string], run, scope=scope)
        key, value = op.outputs
        key.set_shape([])
        value.set_shape([])
        return key, value

    def read_up_to(self, queue: Any, num_records: Any, name: Optional[str] = None
                   ) -> tuple[Tensor, Tensor]:
        """Up to ``num_records`` records as two ``string`` vectors; fewer at the end of the
        input, ``OutOfRangeError`` when there are none."""
        from .data.iterator_ops import _host_op
        queue_ref = self._queue_ref(queue)

        def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
            limit = int(np.asarray(arrays[2]))
            state = self._state()
            keys: list[bytes] = []
            values: list[bytes] = []
            with state.lock:
                while len(keys) < limit:
                    try:
                        key, value = self._next(state, arrays[1])
                    except errors.OutOfRangeError:
                        if keys:
                            break
                        raise
                    keys.append(key)
                    values.append(value)
            out_k, out_v = np.empty(len(keys), dtype=object), np.empty(len(keys), dtype=object)
            out_k[:], out_v[:] = keys, values
            return [out_k, out_v]

        with name_scope(name, "ReaderReadUpToV2", [queue_ref]) as scope:
            count = convert_to_tensor(num_records, dtype=_dtypes.int64, name="num_records")
            op = _host_op("ReaderReadUpToV2", [self._reader_ref, queue_ref, count],
                          [_dtypes.string, _dtypes.string], run, scope=scope)
        keys, values = op.outputs
        keys.set_shape([None])
        values.set_shape([None])
        return keys, values

    def _counter(self, op_name: str, name: Optional[str], attribute: str) -> Tensor:
        from .data.iterator_ops import _host_op

        def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
            return [np.asarray(getattr(self._state(), attribute), dtype=np.int64)]

        with name_scope(name, op_name, []) as scope:
            out: Tensor = _host_op(op_name, [self._reader_ref], [_dtypes.int64], run,
                                   scope=scope).outputs[0]
        out.set_shape([])
        return out

    def num_records_produced(self, name: Optional[str] = None) -> Tensor:
        return self._counter("ReaderNumRecordsProducedV2", name, "produced")

    def num_work_units_completed(self, name: Optional[str] = None) -> Tensor:
        return self._counter("ReaderNumWorkUnitsCompletedV2", name, "completed")

    def reset(self, name: Optional[str] = None) -> Any:
        """An op forgetting the current file and the counters."""
        from .data.iterator_ops import _host_op

        def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
            state = self._state()
            with state.lock:
                state.records, state.produced, state.completed = None, 0, 0
            return []

        with name_scope(name, "ReaderResetV2", []) as scope:
            return _host_op("ReaderResetV2", [self._reader_ref], [], run, scope=scope)


class TFRecordReader(ReaderBase):
    """Records of TFRecord files; keys ``b"<file>:<byte offset>"``."""

    _OP_NAME = "TFRecordReaderV2"

    def __init__(self, name: Optional[str] = None, options: Any = None) -> None:
        self._compression = TFRecordOptions.get_compression_type_string(options)
        super().__init__(name)

    def _read(self, path: str) -> bytes:
        return read_compressed(path, self._compression)

    def _records(self, path: str, data: bytes) -> Iterator[tuple[bytes, bytes]]:
        offset = 0
        for record in read_records(io.BytesIO(data), truncated_ok=False):
            yield f"{path}:{offset}".encode(), record
            offset += 16 + len(record)


class TextLineReader(ReaderBase):
    """Lines of text files without their line ends; keys ``b"<file>:<line number>"``
    (from 1, header lines counted)."""

    _OP_NAME = "TextLineReaderV2"

    def __init__(self, skip_header_lines: Optional[int] = None, name: Optional[str] = None
                 ) -> None:
        self._skip = int(skip_header_lines or 0)
        super().__init__(name)

    def _records(self, path: str, data: bytes) -> Iterator[tuple[bytes, bytes]]:
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        for number, line in enumerate(lines, start=1):
            if number > self._skip:
                yield f"{path}:{number}".encode(), line[:-1] if line.endswith(b"\r") else line


class FixedLengthRecordReader(ReaderBase):
    """Records of ``record_bytes`` bytes after ``header_bytes`` and before ``footer_bytes``,
    ``hop_bytes`` apart when given; keys ``b"<file>:<record number>"`` (from 0)."""

    _OP_NAME = "FixedLengthRecordReaderV2"

    def __init__(self, record_bytes: int, header_bytes: Optional[int] = None,
                 footer_bytes: Optional[int] = None, hop_bytes: Optional[int] = None,
                 name: Optional[str] = None, encoding: Optional[str] = None) -> None:
        self._record_bytes = int(record_bytes)
        self._header = int(header_bytes or 0)
        self._footer = int(footer_bytes or 0)
        self._hop = int(hop_bytes or 0)
        self._encoding = encoding or ""
        super().__init__(name)

    def _read(self, path: str) -> bytes:
        return read_compressed(path, "ZLIB" if self._encoding == "ZLIB" else
                               "GZIP" if self._encoding == "GZIP" else "")

    def _records(self, path: str, data: bytes) -> Iterator[tuple[bytes, bytes]]:
        records = fixed_length_records(data, self._record_bytes, self._header, self._footer,
                                       self._hop)
        for number, record in enumerate(records):
            yield f"{path}:{number}".encode(), record


class WholeFileReader(ReaderBase):
    """Each file as one record; the key is the file name."""

    _OP_NAME = "WholeFileReaderV2"

    def __init__(self, name: Optional[str] = None) -> None:
        super().__init__(name)

    def _records(self, path: str, data: bytes) -> Iterator[tuple[bytes, bytes]]:
        yield path.encode(), data
