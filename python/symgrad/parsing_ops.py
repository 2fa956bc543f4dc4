"""Parsing ``tf.train.Example`` records and decoding bytes: ``parse_example``,
``parse_single_example`` (with ``FixedLenFeature``, ``FixedLenSequenceFeature`` and
``VarLenFeature``), ``decode_raw`` and ``decode_csv``.

Each parsing op runs on the host as a ``PyFunc`` op named as TF's (``ParseExampleV2``,
``DecodeRaw``, ``DecodeCSV``), with TF's output order, static shapes, dtypes and run-time
error texts. The feature configuration lives in the op's callback instead of TF's key and
default inputs. None of them has a gradient (TF registers none).
"""

from __future__ import annotations

import collections
from typing import Any, NamedTuple, Optional

import numpy as np

from . import dtypes as _dtypes
from . import errors
from ._proto import DecodeError, _c_escape
from .constant_op import convert_to_tensor
from .example_pb2 import Example, SequenceExample
from .framework import Tensor, name_scope
from .sparse_tensor import SparseTensor
from .tensor_shape import TensorShape

__all__ = ["FixedLenFeature", "FixedLenSequenceFeature", "VarLenFeature", "parse_example",
           "parse_single_example", "parse_single_sequence_example", "decode_raw", "decode_csv"]


class FixedLenFeature(collections.namedtuple(
        "FixedLenFeature", ["shape", "dtype", "default_value"])):
    """A feature of fixed ``shape``; ``default_value`` (``None``: required) when missing."""

    __slots__ = ()

    def __new__(cls, shape: Any, dtype: Any, default_value: Any = None) -> "FixedLenFeature":
        return super().__new__(cls, shape, dtype, default_value)


class FixedLenSequenceFeature(collections.namedtuple(
        "FixedLenSequenceFeature", ["shape", "dtype", "allow_missing", "default_value"])):
    """A feature of any number of items of ``shape``; batches pad with ``default_value``."""

    __slots__ = ()

    def __new__(cls, shape: Any, dtype: Any, allow_missing: bool = False,
                default_value: Any = None) -> "FixedLenSequenceFeature":
        return super().__new__(cls, shape, dtype, allow_missing, default_value)


class VarLenFeature(collections.namedtuple("VarLenFeature", ["dtype"])):
    """A feature of any number of values, parsed into a ``SparseTensor``."""

    __slots__ = ()


_KIND_DTYPES = {"bytes_list": _dtypes.string, "float_list": _dtypes.float32,
                "int64_list": _dtypes.int64}
_TYPE_TEXT = {"string": "string", "float32": "float", "int64": "int64"}
_VALUES_TEXT = {"string": "bytes", "float32": "float", "int64": "int64"}


def _parse_dtype(dtype: Any, parameter: str) -> Any:
    dt = _dtypes.as_dtype(dtype)
    if dt not in (_dtypes.float32, _dtypes.int64, _dtypes.string):
        raise TypeError(f"Value passed to parameter '{parameter}' has DataType {dt.name} not in "
                        "list of allowed values: float32, int64, string")
    return dt


def _numpy_values(dtype: Any, values: Any) -> np.ndarray:
    if dtype == _dtypes.string:
        out = np.empty(len(values), dtype=object)
        out[:] = [v.encode() if isinstance(v, str) else bytes(v) for v in values]
        return out
    return np.asarray(list(values), dtype=dtype.as_numpy_dtype)


class _Spec(NamedTuple):
    key: str
    kind: str  # "sparse", "dense" or "sequence"
    dtype: Any
    shape: list[int]
    default: Optional[np.ndarray]


def _specs(features: Any) -> list[_Spec]:
    if not features:
        raise ValueError("Invalid argument: features cannot be empty.")
    sparse, dense = [], []
    for key in sorted(features):
        feature = features[key]
        if isinstance(feature, VarLenFeature):
            sparse.append(_Spec(key, "sparse", _parse_dtype(feature.dtype, "sparse_types"),
                                [], None))
            continue
        if not isinstance(feature, (FixedLenFeature, FixedLenSequenceFeature)):
            raise ValueError(f"Unsupported {type(feature).__name__} {feature}.")
        dtype = _parse_dtype(feature.dtype, "dense_defaults")
        dims = TensorShape(feature.shape).as_list()
        if isinstance(feature, FixedLenSequenceFeature):
            if not feature.allow_missing:
                raise ValueError("Unsupported: FixedLenSequenceFeature requires allow_missing "
                                 "to be True.")
            if any(d is None for d in dims):
                raise ValueError(f"All dimensions of shape for feature {key} need to be "
                                 f"known but received {feature.shape}.")
            shape = [int(d) for d in dims if d is not None]
            pad = feature.default_value
            default = _numpy_values(dtype, [b"" if pad is None else pad]) if dtype == \
                _dtypes.string else np.asarray(0 if pad is None else pad,
                                               dtype=dtype.as_numpy_dtype)
            dense.append(_Spec(key, "sequence", dtype, shape, default.reshape(())))
            continue
        if dims and dims[0] is None:
            raise ValueError(f"First dimension of shape for feature {key} unknown. Consider "
                             f"using FixedLenSequenceFeature. Received feature={feature}.")
        if any(d is None for d in dims):
            raise ValueError(f"All dimensions of shape for feature {key} need to be known but "
                             f"received {feature.shape}.")
        shape = [int(d) for d in dims if d is not None]
        fixed_default: Optional[np.ndarray] = None
        if feature.default_value is not None:
            flat = np.asarray(feature.default_value, dtype=object).reshape(-1)
            values = _numpy_values(dtype, list(flat)) if dtype == _dtypes.string else \
                np.asarray(feature.default_value, dtype=dtype.as_numpy_dtype).reshape(-1)
            if values.size != int(np.prod(shape, dtype=np.int64)):
                raise ValueError(f"Cannot reshape a tensor with {values.size} elements to "
                                 f"shape {shape} (the default of feature {key})")
            fixed_default = values.reshape(shape)
        dense.append(_Spec(key, "dense", dtype, shape, fixed_default))
    return sparse + dense


def _shape_text(shape: list[int]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


class _Parser:
    """The kernel: parses a batch (or one) of serialized ``Example``s."""

    def __init__(self, specs: list[_Spec], single: bool) -> None:
        self.specs, self.single = specs, single

    def _where(self, key: str, index: int) -> str:
        return f"Key: {key}." if self.single else f"Name: <unknown>, Key: {key}, Index: {index}."

    def _fail(self, text: str) -> errors.InvalidArgumentError:
        return errors.InvalidArgumentError(None, None, text)

    def _missing(self, spec: _Spec) -> errors.InvalidArgumentError:
        prefix = "" if self.single else "Name: <unknown>, "
        return self._fail(f"{prefix}Feature: {spec.key} (data type: "
                          f"{_TYPE_TEXT[spec.dtype.name]}) is required but could not be found.")

    def _values(self, spec: _Spec, feature: Any, index: int) -> np.ndarray:
        kind = feature.WhichOneof("kind")
        if kind is None:
            return _numpy_values(spec.dtype, [])
        actual = _KIND_DTYPES[kind]
        if actual != spec.dtype:
            found, wanted = _TYPE_TEXT[actual.name], _TYPE_TEXT[spec.dtype.name]
            if spec.kind == "sparse":
                raise self._fail(f"{self._where(spec.key, index)}  Data types don't match. "
                                 f"Expected type: {wanted}, Actual type: {found}")
            raise self._fail(f"{self._where(spec.key, index)}  Data types don't match. "
                             f"Data type: {found} but expected type: {wanted}")
        return _numpy_values(spec.dtype, getattr(feature, kind).value)

    def _example(self, data: Any) -> Any:
        raw = data if isinstance(data, bytes) else bytes(data)
        try:
            return Example.FromString(raw).features.feature
        except (DecodeError, ValueError, TypeError):
            raise self._fail(f"Could not parse example input, value: '{_c_escape(raw)}'") \
                from None

    def _dense(self, spec: _Spec, values: Optional[np.ndarray], index: int) -> np.ndarray:
        if values is None:
            if spec.default is None:
                raise self._missing(spec)
            return spec.default
        size = int(np.prod(spec.shape, dtype=np.int64))
        if values.size != size:
            if self.single:
                raise self._fail(f"Key: {spec.key}.  Can't parse serialized Example: Some "
                                 f"{_VALUES_TEXT[spec.dtype.name]}_list slice was not parsed."
                                 if spec.dtype != _dtypes.string else
                                 f"Key: {spec.key}.  Can't parse serialized Example: Some "
                                 "bytes_list slice was not parsed.")
            raise self._fail(f"{self._where(spec.key, index)}  Number of "
                             f"{_VALUES_TEXT[spec.dtype.name]} values != expected.  Values "
                             f"size: {values.size} but output shape: "
                             f"{_shape_text(spec.shape)}")
        return values.reshape(spec.shape)

    def _sequence(self, spec: _Spec, values: Optional[np.ndarray], index: int) -> np.ndarray:
        stride = int(np.prod(spec.shape, dtype=np.int64))
        if values is None:
            values = _numpy_values(spec.dtype, [])
        if stride == 0 or values.size % stride:
            raise self._fail(f"Error while parsing feature with key {spec.key}: number of "
                             f"elements should be divisible by {stride}, found {values.size} "
                             "instead")
        return values.reshape([values.size // stride] + spec.shape)

    def __call__(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        serialized = np.asarray(arrays[0], dtype=object)
        return self.parse_maps([self._example(data) for data in serialized.reshape(-1)])

    def parse_maps(self, feature_maps: list[Any]) -> list[np.ndarray]:
        """The outputs for the feature maps of a batch (one map when ``single``)."""
        parsed: dict[str, list[Any]] = {spec.key: [] for spec in self.specs}
        for index, feature_map in enumerate(feature_maps):
            for spec in self.specs:
                found = feature_map[spec.key] if spec.key in feature_map else None
                values = None if found is None else self._values(spec, found, index)
                if spec.kind == "dense":
                    parsed[spec.key].append(self._dense(spec, values, index))
                elif spec.kind == "sequence":
                    parsed[spec.key].append(self._sequence(spec, values, index))
                else:
                    parsed[spec.key].append(_numpy_values(spec.dtype, []) if values is None
                                            else values)
        return self._outputs(parsed, len(feature_maps))

    def _outputs(self, parsed: dict[str, list[Any]], count: int) -> list[np.ndarray]:
        indices, values, shapes, dense = [], [], [], []
        for spec in self.specs:
            items = parsed[spec.key]
            if spec.kind == "sparse":
                longest = max((len(v) for v in items), default=0)
                rows = [[b, j] for b, v in enumerate(items) for j in range(len(v))]
                index = np.asarray(rows, dtype=np.int64).reshape(-1, 2)
                joined = np.concatenate(items) if items else _numpy_values(spec.dtype, [])
                if self.single:
                    index, shape = index[:, 1:], [longest]
                else:
                    shape = [count, longest]
                indices.append(index)
                values.append(joined.astype(spec.dtype.as_numpy_dtype))
                shapes.append(np.asarray(shape, dtype=np.int64))
            elif spec.kind == "dense":
                stacked = np.stack(items) if items else np.zeros(
                    [0] + spec.shape, dtype=spec.dtype.as_numpy_dtype)
                dense.append(stacked[0] if self.single else stacked)
            else:
                longest = max((len(v) for v in items), default=0)
                padded = np.empty([count, longest] + spec.shape,
                                  dtype=spec.dtype.as_numpy_dtype)
                padded[...] = spec.default
                for b, v in enumerate(items):
                    padded[b, :len(v)] = v
                dense.append(padded[0] if self.single else padded)
        return [np.asarray(a, order="C") for a in indices + values + shapes + dense]


def _parse(serialized: Any, features: Any, single: bool) -> dict[str, Any]:
    from .data.iterator_ops import _host_op
    specs = _specs(features)
    serialized = convert_to_tensor(serialized, dtype=_dtypes.string, name="serialized")
    batch_dims = [] if single else serialized.shape.as_list() \
        if serialized.shape.rank is not None else [None]
    sparse = [s for s in specs if s.kind == "sparse"]
    dense = [s for s in specs if s.kind != "sparse"]
    tout = ([_dtypes.int64] * len(sparse) + [s.dtype for s in sparse]
            + [_dtypes.int64] * len(sparse) + [s.dtype for s in dense])
    op = _host_op("ParseExampleV2", [serialized], tout, _Parser(specs, single))
    outputs = list(op.outputs)
    rank = len(batch_dims) + 1
    result: dict[str, Any] = {}
    n = len(sparse)
    for i, spec in enumerate(sparse):
        result[spec.key] = _sparse_output(outputs[i], outputs[n + i], outputs[2 * n + i], rank)
    for spec, tensor in zip(dense, outputs[3 * n:]):
        extra = [None] if spec.kind == "sequence" else []
        tensor.set_shape(batch_dims + extra + spec.shape)
        result[spec.key] = tensor
    return {key: result[key] for key in features}


def parse_example(serialized: Any, features: Any, name: Optional[str] = None,
                  example_names: Any = None) -> dict[str, Any]:
    """``tf.io.parse_example``: a batch (``string [B]``) of serialized ``Example``s parsed
    into ``{key: Tensor or SparseTensor}`` as ``features`` describes."""
    with name_scope(name, "ParseExample", [serialized] if isinstance(serialized, Tensor)
                    else []):
        return _parse(serialized, features, single=False)


def parse_single_example(serialized: Any, features: Any, name: Optional[str] = None,
                         example_names: Any = None) -> dict[str, Any]:
    """``tf.io.parse_single_example``: one serialized ``Example`` (a ``string`` scalar)."""
    with name_scope(name, "ParseSingleExample", [serialized] if isinstance(serialized, Tensor)
                    else []):
        serialized = convert_to_tensor(serialized, dtype=_dtypes.string, name="serialized")
        if serialized.shape.rank not in (None, 0):
            raise ValueError(f"Input serialized must be a scalar, got shape "
                             f"{serialized.shape}")
        with name_scope(None, "ParseExample", [serialized]):
            return _parse(serialized, features, single=True)


# ----- SequenceExample ------------------------------------------------------------------------
class _ListSpec(NamedTuple):
    key: str
    sparse: bool
    dtype: Any
    shape: list[int]
    allow_missing: bool


def _list_specs(features: Any) -> list[_ListSpec]:
    sparse, dense = [], []
    for key in sorted(features or {}):
        feature = features[key]
        if isinstance(feature, VarLenFeature):
            sparse.append(_ListSpec(key, True, _parse_dtype(feature.dtype, "sparse_types"),
                                    [], True))
        elif isinstance(feature, FixedLenSequenceFeature):
            dims = TensorShape(feature.shape).as_list()
            if any(d is None for d in dims):
                raise ValueError(f"All dimensions of shape for feature {key} need to be "
                                 f"known but received {feature.shape}.")
            dense.append(_ListSpec(key, False, _parse_dtype(feature.dtype, "dense_defaults"),
                                   [int(d) for d in dims if d is not None],
                                   bool(feature.allow_missing)))
        else:
            raise ValueError(f"Unsupported sequence feature {type(feature).__name__} for key "
                             f"{key}: use FixedLenSequenceFeature or VarLenFeature.")
    return sparse + dense


class _ContextParser(_Parser):
    """A ``SequenceExample``'s context: an ``Example``'s features, with TF's message for a
    missing required one."""

    def _missing(self, spec: _Spec) -> errors.InvalidArgumentError:
        return self._fail(f"Inconsistent max number of elements for feature {spec.key}: "
                          "expected 1, but found 0")


class _SequenceParser:
    """The kernel of ``parse_single_sequence_example``: context outputs, then feature-list
    outputs (sparse indices, values, shapes, then dense), each group by sorted key."""

    def __init__(self, context: list[_Spec], lists: list[_ListSpec]) -> None:
        self.context = _ContextParser(context, single=True)
        self.lists = lists

    def _fail(self, text: str) -> errors.InvalidArgumentError:
        return errors.InvalidArgumentError(None, None, text)

    def _step_values(self, spec: _ListSpec, feature: Any, step: int) -> np.ndarray:
        kind = feature.WhichOneof("kind")
        if kind is None:
            return _numpy_values(spec.dtype, [])
        if _KIND_DTYPES[kind] != spec.dtype:
            raise self._fail(f"Name: <unknown>, Feature list: {spec.key}, Index: {step}.  "
                             f"Data types don't match. Expected type: "
                             f"{_TYPE_TEXT[spec.dtype.name]}")
        return _numpy_values(spec.dtype, getattr(feature, kind).value)

    def _dense(self, spec: _ListSpec, steps: list[np.ndarray]) -> np.ndarray:
        size = int(np.prod(spec.shape, dtype=np.int64))
        for step, values in enumerate(steps):
            if values.size != size:
                raise self._fail(f"Name: <unknown>, Key: {spec.key}, Index: {step}.  Number of "
                                 f"values != expected.  values size: {values.size} but output "
                                 f"shape: {_shape_text(spec.shape)}")
        if not steps:
            return np.zeros([0] + spec.shape, dtype=spec.dtype.as_numpy_dtype) \
                if spec.dtype != _dtypes.string else np.empty([0] + spec.shape, dtype=object)
        return np.stack([v.reshape(spec.shape) for v in steps])

    def __call__(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        raw = np.asarray(arrays[0], dtype=object).reshape(-1)[0]
        raw = raw if isinstance(raw, bytes) else bytes(raw)
        try:
            example = SequenceExample.FromString(raw)
        except (DecodeError, ValueError, TypeError):
            raise self._fail(f"Could not parse example input, value: '{_c_escape(raw)}'") \
                from None
        context = self.context.parse_maps([example.context.feature]) if \
            self.context.specs else []
        lists = example.feature_lists.feature_list
        indices, values, shapes, dense = [], [], [], []
        for spec in self.lists:
            found = lists[spec.key].feature if spec.key in lists else None
            if found is None and not spec.sparse and not spec.allow_missing:
                raise self._fail(
                    f"Name: <unknown>, Feature list '{spec.key}' is required but could not be "
                    "found.  Did you mean to include it in "
                    "feature_list_dense_missing_assumed_empty or feature_list_dense_defaults?")
            steps = [self._step_values(spec, f, t) for t, f in enumerate(found or [])]
            if spec.sparse:
                rows = [[t, j] for t, v in enumerate(steps) for j in range(v.size)]
                indices.append(np.asarray(rows, dtype=np.int64).reshape(-1, 2))
                values.append(np.concatenate(steps).astype(spec.dtype.as_numpy_dtype)
                              if steps else _numpy_values(spec.dtype, []))
                shapes.append(np.asarray([len(steps), max((v.size for v in steps), default=0)],
                                         dtype=np.int64))
            else:
                dense.append(self._dense(spec, steps))
        return context + [np.asarray(a, order="C") for a in indices + values + shapes + dense]


def parse_single_sequence_example(serialized: Any, context_features: Any = None,
                                  sequence_features: Any = None, example_name: Any = None,
                                  name: Optional[str] = None) -> tuple[dict[str, Any],
                                                                       dict[str, Any]]:
    """``tf.io.parse_single_sequence_example``: one serialized ``SequenceExample`` into
    ``(context, feature_lists)`` dicts of tensors and ``SparseTensor``s; a
    ``FixedLenSequenceFeature`` list gives ``[steps] + shape``, a ``VarLenFeature`` list a
    ``SparseTensor`` of dense shape ``[steps, longest step]``."""
    from .data.iterator_ops import _host_op
    if not context_features and not sequence_features:
        raise ValueError("Missing features.")
    context = _specs(context_features) if context_features else []
    lists = _list_specs(sequence_features)
    with name_scope(name, "ParseSingleSequenceExample",
                    [serialized] if isinstance(serialized, Tensor) else []):
        serialized = convert_to_tensor(serialized, dtype=_dtypes.string, name="serialized")
        if serialized.shape.rank not in (None, 0):
            raise ValueError(f"Input serialized must be a scalar, got shape "
                             f"{serialized.shape}")
        c_sparse = [s for s in context if s.kind == "sparse"]
        c_dense = [s for s in context if s.kind != "sparse"]
        l_sparse = [s for s in lists if s.sparse]
        l_dense = [s for s in lists if not s.sparse]
        tout = ([_dtypes.int64] * len(c_sparse) + [s.dtype for s in c_sparse]
                + [_dtypes.int64] * len(c_sparse) + [s.dtype for s in c_dense]
                + [_dtypes.int64] * len(l_sparse) + [s.dtype for s in l_sparse]
                + [_dtypes.int64] * len(l_sparse) + [s.dtype for s in l_dense])
        with name_scope(None, "ParseSequenceExample", [serialized]):
            op = _host_op("ParseSequenceExampleV2", [serialized], tout,
                          _SequenceParser(context, lists))
    outputs = list(op.outputs)
    context_out: dict[str, Any] = {}
    n = len(c_sparse)
    for i, spec in enumerate(c_sparse):
        context_out[spec.key] = _sparse_output(outputs[i], outputs[n + i], outputs[2 * n + i], 1)
    for spec, tensor in zip(c_dense, outputs[3 * n:]):
        tensor.set_shape(([None] if spec.kind == "sequence" else []) + spec.shape)
        context_out[spec.key] = tensor
    rest = outputs[3 * n + len(c_dense):]
    m = len(l_sparse)
    lists_out: dict[str, Any] = {}
    for i, lspec in enumerate(l_sparse):
        lists_out[lspec.key] = _sparse_output(rest[i], rest[m + i], rest[2 * m + i], 2)
    for lspec, tensor in zip(l_dense, rest[3 * m:]):
        tensor.set_shape([None] + lspec.shape)
        lists_out[lspec.key] = tensor
    return context_out, lists_out


def _sparse_output(indices: Tensor, values: Tensor, shape: Tensor, rank: int) -> SparseTensor:
    indices.set_shape([None, rank])
    values.set_shape([None])
    shape.set_shape([rank])
    return SparseTensor(indices, values, shape)


# ----- decode_raw -----------------------------------------------------------------------------
_DECODE_RAW_TYPES = (_dtypes.float16, _dtypes.float32, _dtypes.float64, _dtypes.int32,
                     _dtypes.uint8, _dtypes.int16, _dtypes.int8, _dtypes.int64, _dtypes.bool)


def decode_raw(input_bytes: Any = None, out_type: Any = None, little_endian: bool = True,
               name: Optional[str] = None, bytes: Any = None) -> Tensor:  # noqa: A002
    """``tf.io.decode_raw``: each string of ``input_bytes`` read as an array of
    ``out_type`` numbers (all strings the same length); the result has one more dimension."""
    from .data.iterator_ops import _host_op
    if input_bytes is None:
        input_bytes = bytes
    if input_bytes is None:
        raise ValueError("input_bytes is required")
    dtype = _dtypes.as_dtype(out_type)
    if dtype not in _DECODE_RAW_TYPES:
        raise TypeError(f"Value passed to parameter 'out_type' has DataType {dtype.name} not "
                        "in list of allowed values: float16, float32, float64, int32, uint16, "
                        "uint8, int16, int8, int64, complex64, complex128, bool, bfloat16")
    np_type = np.dtype(dtype.as_numpy_dtype).newbyteorder("<" if little_endian else ">")
    item = np_type.itemsize

    def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
        strings = np.asarray(arrays[0], dtype=object)
        flat = strings.reshape(-1)
        width = len(flat[0]) if flat.size else 0
        if width % item:
            raise errors.InvalidArgumentError(
                None, None, f"Input to DecodeRaw has length {width} that is not a multiple of "
                f"{item}, the size of {dtype.name}")
        for i, s in enumerate(flat):
            if len(s) != width:
                raise errors.InvalidArgumentError(
                    None, None, "DecodeRaw requires input strings to all be the same size, but "
                    f"element {i} has size {len(s)} != {width}")
        joined = b"".join(flat)
        out: np.ndarray = np.frombuffer(joined, dtype=np_type).astype(dtype.as_numpy_dtype)
        return [out.reshape(strings.shape + (width // item,))]

    with name_scope(name, "DecodeRaw", [input_bytes] if isinstance(input_bytes, Tensor)
                    else []) as scope:
        tensor = convert_to_tensor(input_bytes, dtype=_dtypes.string, name="bytes")
        op = _host_op("DecodeRaw", [tensor], [dtype], run, scope=scope)
    out: Tensor = op.outputs[0]
    dims = tensor.shape.as_list() if tensor.shape.rank is not None else None
    out.set_shape(None if dims is None else dims + [None])
    return out


# ----- decode_csv -----------------------------------------------------------------------------
_CSV_TYPES = (_dtypes.float32, _dtypes.float64, _dtypes.int32, _dtypes.int64, _dtypes.string)
_CSV_TYPE_TEXT = {"float32": "float", "float64": "double", "int32": "int32", "int64": "int64"}


def _split_csv(record: bytes, delim: bytes, quoted: bool) -> list[tuple[bytes, bool]]:
    """The fields of one record, each with whether it was quoted; TF's quoting errors."""
    fields: list[tuple[bytes, bool]] = []
    i, n = 0, len(record)
    while True:
        if quoted and i < n and record[i:i + 1] == b'"':
            out = bytearray()
            i += 1
            while True:
                if i >= n:
                    raise errors.InvalidArgumentError(
                        None, None, "Quoted field has to end with quote followed by delim or "
                        "end")
                c = record[i:i + 1]
                if c == b'"':
                    if record[i + 1:i + 2] == b'"':
                        out += b'"'
                        i += 2
                        continue
                    i += 1
                    break
                out += c
                i += 1
            if i < n and record[i:i + 1] != delim:
                raise errors.InvalidArgumentError(
                    None, None, "Quoted field has to end with quote followed by delim or end")
            fields.append((bytes(out), True))
        else:
            end = record.find(delim, i)
            end = n if end < 0 else end
            field = record[i:end]
            if quoted and (b'"' in field or b"\n" in field or b"\r" in field):
                raise errors.InvalidArgumentError(
                    None, None, "Unquoted fields cannot have quotes/CRLFs inside")
            fields.append((field, False))
            i = end
        if i >= n:
            return fields
        i += 1  # the delimiter
        if i == n:
            fields.append((b"", False))
            return fields


def _csv_number(text: bytes, dtype: Any, column: int, record: int) -> Any:
    word = text.decode("utf-8", "replace")
    bad = errors.InvalidArgumentError(
        None, None, f"Field {column} in record {record} is not a valid "
        f"{_CSV_TYPE_TEXT[dtype.name]}: {word}")
    try:
        if dtype.is_integer:
            value = int(word.strip())
            info = np.iinfo(dtype.as_numpy_dtype)
            if not info.min <= value <= info.max:
                raise bad
            return value
        return float(word.strip())
    except ValueError:
        raise bad from None


def decode_csv(records: Any, record_defaults: Any, field_delim: str = ",",
               use_quote_delim: bool = True, name: Optional[str] = None, na_value: str = "",
               select_cols: Any = None) -> list[Tensor]:
    """``tf.io.decode_csv``: CSV records into one tensor per column (each of ``records``'
    shape); ``record_defaults`` gives each column's dtype and default (empty: required)."""
    from .data.iterator_ops import _host_op
    if select_cols is not None:
        cols = [int(c) for c in select_cols]
        if any(b <= a for a, b in zip(cols, cols[1:])):
            raise ValueError("select_cols is not strictly increasing.")
        if cols and cols[0] < 0:
            raise ValueError("select_cols contains negative values.")
        if len(cols) != len(record_defaults):
            raise ValueError("Length of select_cols and record_defaults do not match.")
    else:
        cols = []
    with name_scope(name, "DecodeCSV", [records] if isinstance(records, Tensor) else []
                    ) as scope:
        records_t = convert_to_tensor(records, dtype=_dtypes.string, name="records")
        defaults = []
        for i, d in enumerate(record_defaults):
            t = d if isinstance(d, Tensor) else convert_to_tensor(
                d, name=f"record_defaults_{i}",
                dtype=_dtypes.string if _is_text(d) else None)
            if t.dtype not in _CSV_TYPES:
                raise TypeError(f"Value passed to parameter 'record_defaults' has DataType "
                                f"{t.dtype.name} not in list of allowed values: float32, "
                                "float64, int32, int64, string")
            defaults.append(t)
        dtypes = [t.dtype for t in defaults]
        delim = field_delim.encode() if isinstance(field_delim, str) else bytes(field_delim)
        na = na_value.encode() if isinstance(na_value, str) else bytes(na_value)

        def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
            records_a = np.asarray(arrays[0], dtype=object)
            given = [np.asarray(a).reshape(-1) for a in arrays[1:]]
            columns: list[list[Any]] = [[] for _ in dtypes]
            for r, record in enumerate(records_a.reshape(-1)):
                fields = _split_csv(bytes(record), delim, bool(use_quote_delim))
                if cols:
                    if len(fields) <= cols[-1]:
                        present = sum(c < len(fields) for c in cols)
                        raise errors.InvalidArgumentError(
                            None, None, f"Expect {len(dtypes)} fields but have "
                            f"{present} in record {r}")
                    fields = [fields[c] for c in cols]
                elif len(fields) != len(dtypes):
                    raise errors.InvalidArgumentError(
                        None, None, f"Expect {len(dtypes)} fields but have {len(fields)} in "
                        f"record {r}")
                for c, ((text, was_quoted), dtype) in enumerate(zip(fields, dtypes)):
                    missing = (not text and not (was_quoted and dtype == _dtypes.string)) \
                        or (na and text == na)
                    if missing:
                        if given[c].size == 0:
                            raise errors.InvalidArgumentError(
                                None, None, f"Field {c} is required but missing in record "
                                f"{r}!")
                        columns[c].append(given[c][0])
                    elif dtype == _dtypes.string:
                        columns[c].append(text)
                    else:
                        columns[c].append(_csv_number(text, dtype, c, r))
            out = []
            for values, dtype in zip(columns, dtypes):
                array = (_numpy_values(dtype, values) if dtype == _dtypes.string
                         else np.asarray(values, dtype=dtype.as_numpy_dtype))
                out.append(array.reshape(records_a.shape))
            return out

        op = _host_op("DecodeCSV", [records_t] + defaults, dtypes, run, scope=scope)
    outputs = list(op.outputs)
    for t in outputs:
        t.set_shape(records_t.shape)
    return outputs


def _is_text(value: Any) -> bool:
    flat = np.asarray(value, dtype=object).reshape(-1)
    return bool(flat.size) and isinstance(flat[0], (str, bytes))

