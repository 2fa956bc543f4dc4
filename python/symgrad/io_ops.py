"""File ops: ``tf.io.read_file``, ``tf.io.write_file`` and ``tf.io.matching_files``, and
tensors as ``TensorProto`` bytes: ``tf.io.serialize_tensor`` and ``tf.io.parse_tensor``.

Each runs on the host as a ``PyFunc`` op named as TF's (``ReadFile``, ``WriteFile``,
``MatchingFiles``, ``SerializeTensor``, ``ParseTensor``), with TF's shapes and error texts.
"""

from __future__ import annotations

import glob
import os
from typing import Any, Optional

import numpy as np

from . import dtypes as _dtypes
from . import errors
from .constant_op import convert_to_tensor
from .framework import Operation, Tensor, name_scope
from .tf_record import read_compressed

__all__ = ["read_file", "write_file", "matching_files", "serialize_tensor", "parse_tensor"]


def _text(value: Any) -> str:
    item = np.asarray(value, dtype=object).reshape(-1)
    if item.size != 1:
        raise errors.InvalidArgumentError(None, None, f"Input filename tensor must be scalar, "
                                          f"but had shape: {list(np.shape(value))}")
    path = item[0]
    return path.decode() if isinstance(path, bytes) else str(path)


def _inputs(values: list[Any]) -> list[Tensor]:
    return [v for v in values if isinstance(v, Tensor)]


def read_file(filename: Any, name: Optional[str] = None) -> Tensor:
    """The whole contents of the file ``filename`` as a ``string`` scalar."""
    from .data.iterator_ops import _host_op

    def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
        return [np.asarray(read_compressed(_text(arrays[0]), ""), dtype=object)]

    with name_scope(name, "ReadFile", _inputs([filename])) as scope:
        path = convert_to_tensor(filename, dtype=_dtypes.string, name="filename")
        op = _host_op("ReadFile", [path], [_dtypes.string], run, scope=scope)
    out: Tensor = op.outputs[0]
    out.set_shape([])
    return out


def write_file(filename: Any, contents: Any, name: Optional[str] = None) -> Operation:
    """An op writing ``contents`` to ``filename``, making missing directories, as TF."""
    from .data.iterator_ops import _host_op

    def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
        path = _text(arrays[0])
        data = np.asarray(arrays[1], dtype=object).reshape(-1)
        if data.size != 1:
            raise errors.InvalidArgumentError(
                None, None, f"Contents tensor must be scalar, but had shape: "
                f"{list(np.shape(arrays[1]))}")
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        content = data[0]
        with open(path, "wb") as f:
            f.write(content.encode() if isinstance(content, str) else bytes(content))
        return []

    with name_scope(name, "WriteFile", _inputs([filename, contents])) as scope:
        path = convert_to_tensor(filename, dtype=_dtypes.string, name="filename")
        data = convert_to_tensor(contents, dtype=_dtypes.string, name="contents")
        return _host_op("WriteFile", [path, data], [], run, scope=scope)


def matching_files(pattern: Any, name: Optional[str] = None) -> Tensor:
    """The sorted names of the files matching a glob pattern (or a vector of patterns);
    empty when nothing matches."""
    from .data.iterator_ops import _host_op

    def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
        patterns = np.asarray(arrays[0], dtype=object).reshape(-1)
        found = sorted({f for p in patterns
                        for f in glob.glob(p.decode() if isinstance(p, bytes) else str(p))})
        out = np.empty(len(found), dtype=object)
        out[:] = [f.encode() for f in found]
        return [out]

    with name_scope(name, "MatchingFiles", _inputs([pattern])) as scope:
        patterns = convert_to_tensor(pattern, dtype=_dtypes.string, name="pattern")
        op = _host_op("MatchingFiles", [patterns], [_dtypes.string], run, scope=scope)
    out: Tensor = op.outputs[0]
    out.set_shape([None])
    return out


def serialize_tensor(tensor: Any, name: Optional[str] = None) -> Tensor:
    """``tensor`` as the bytes of a ``TensorProto`` (TF's: numbers in ``tensor_content``,
    strings in ``string_val``)."""
    from .data.iterator_ops import _host_op
    from .event_file import _tensor_proto

    def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
        return [np.asarray(_tensor_proto(arrays[0]).SerializeToString(), dtype=object)]

    with name_scope(name, "SerializeTensor", _inputs([tensor])) as scope:
        value = convert_to_tensor(tensor, name="tensor")
        out: Tensor = _host_op("SerializeTensor", [value], [_dtypes.string], run,
                               scope=scope).outputs[0]
    out.set_shape([])
    return out


_VALUE_FIELDS = {"float32": "float_val", "float64": "double_val", "int32": "int_val",
                 "int16": "int_val", "int8": "int_val", "uint8": "int_val",
                 "int64": "int64_val", "bool": "bool_val", "string": "string_val"}


def _array_from_proto(data: bytes, dtype: Any) -> np.ndarray:
    import base64

    from ._proto import DecodeError
    from .summary_pb2 import TensorProto
    try:
        proto = TensorProto.FromString(data)
    except (DecodeError, ValueError, TypeError):
        text = base64.b64encode(data).decode()
        raise errors.InvalidArgumentError(
            None, None, f"Could not parse `serialized` as TensorProto, base64: {text}") \
            from None
    return _array_of_proto(proto, dtype)


def _array_of_proto(proto: Any, dtype: Any) -> np.ndarray:
    """The value a parsed ``TensorProto`` holds, which must be of ``dtype``."""
    try:
        parsed = _dtypes.as_dtype(int(proto.dtype))
    except (TypeError, ValueError, KeyError):
        raise errors.InvalidArgumentError(None, None, f"Unsupported dtype {proto.dtype} in a "
                                          "serialized TensorProto") from None
    if parsed != dtype:
        names = {"float32": "float", "float64": "double"}
        raise errors.InvalidArgumentError(
            None, None, "Type mismatch between parsed tensor "
            f"({names.get(parsed.name, parsed.name)}) and dtype "
            f"({names.get(dtype.name, dtype.name)})")
    shape = [int(d.size) for d in proto.tensor_shape.dim]
    size = int(np.prod(shape, dtype=np.int64))
    if dtype == _dtypes.string:
        flat = np.empty(len(proto.string_val), dtype=object)
        flat[:] = list(proto.string_val)
    elif dtype == _dtypes.float16 and not proto.tensor_content:
        # TF keeps each half's bits in an int32 of `half_val`.
        flat = np.asarray(list(proto.half_val), np.uint16).view(np.float16)
    elif proto.tensor_content:
        np_type = np.dtype(dtype.as_numpy_dtype).newbyteorder("<")
        flat = np.frombuffer(proto.tensor_content, dtype=np_type).astype(dtype.as_numpy_dtype)
    else:
        flat = np.asarray(list(getattr(proto, _VALUE_FIELDS[dtype.name])),
                          dtype=dtype.as_numpy_dtype)
    if flat.size == 1 and size != 1:
        flat = np.repeat(flat, size)  # TF's proto form: one value stands for all
    if flat.size != size:
        raise errors.InvalidArgumentError(
            None, None, f"Could not parse a tensor of shape {shape} from {flat.size} values")
    return flat.reshape(shape)


def parse_tensor(serialized: Any, out_type: Any, name: Optional[str] = None) -> Tensor:
    """The tensor whose ``TensorProto`` bytes are ``serialized``; its dtype must be
    ``out_type`` (TF's "Type mismatch" error otherwise). The static shape is unknown."""
    from .data.iterator_ops import _host_op
    dtype = _dtypes.as_dtype(out_type)

    def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
        data = np.asarray(arrays[0], dtype=object).reshape(-1)
        if data.size != 1:
            raise errors.InvalidArgumentError(None, None, "Expected `serialized` to be a "
                                              "scalar, got shape: "
                                              f"{list(np.shape(arrays[0]))}")
        raw = data[0]
        return [_array_from_proto(raw if isinstance(raw, bytes) else bytes(raw), dtype)]

    with name_scope(name, "ParseTensor", _inputs([serialized])) as scope:
        value = convert_to_tensor(serialized, dtype=_dtypes.string, name="serialized")
        return _host_op("ParseTensor", [value], [dtype], run, scope=scope).outputs[0]
