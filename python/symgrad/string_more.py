"""More of TF 1's string ops: case, stripping, number parsing, splitting into a
``SparseTensor``, joining along axes, regular expressions and hash buckets
(``tf.strings.*`` and the ``tf.string_*`` / ``tf.regex_replace`` / ``tf.reduce_join`` names).

They run on the host as ``PyFunc`` ops over numpy (where TF has kernels of the same
names), with TF's results and run-time errors. Patterns are Python regular expressions,
which agree with TF's RE2 on the common syntax (RE2 has no backreferences or lookaround;
``\\0`` in a rewrite is the whole match, as in RE2). ``to_hash_bucket_fast`` computes
FarmHash's ``Fingerprint64``, so its buckets are TF's.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Optional

import numpy as np

from . import dtypes as _dtypes
from . import errors
from .constant_op import convert_to_tensor
from .framework import Tensor, name_scope
from .sparse_tensor import SparseTensor

__all__ = ["lower", "upper", "strip", "to_number", "split", "string_split", "reduce_join",
           "regex_replace", "regex_full_match", "to_hash_bucket_fast", "encode_base64",
           "decode_base64"]


def _bytes(item: Any) -> bytes:
    return item if isinstance(item, bytes) else str(item).encode("utf-8")


def _elementwise(op_name: str, input: Any, out_dtype: Any,  # noqa: A002
                 fn: Callable[[bytes], Any], name: Optional[str]) -> Tensor:
    """``fn`` of each string, in the input's shape."""
    from .data.iterator_ops import _host_op
    with name_scope(name, op_name, [input]) as scope:
        t = convert_to_tensor(input, dtype=_dtypes.string, name="input")
        np_type = object if out_dtype is _dtypes.string else out_dtype.as_numpy_dtype

        def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
            flat = np.asarray(arrays[0], dtype=object).reshape(-1)
            out = np.empty(len(flat), dtype=np_type)
            for i, item in enumerate(flat):
                out[i] = fn(_bytes(item))
            return [out.reshape(np.shape(arrays[0]))]

        out: Tensor = _host_op(op_name, [t], [out_dtype], run, scope=scope).outputs[0]
        out.set_shape(t.shape)
        return out


def lower(input: Any, encoding: str = "", name: Optional[str] = None) -> Tensor:  # noqa: A002
    """Lower case: ASCII letters only, or all of Unicode with ``encoding='utf-8'``."""
    fn: Callable[[bytes], bytes] = (lambda s: s.decode("utf-8").lower().encode("utf-8")) \
        if encoding else bytes.lower
    return _elementwise("StringLower", input, _dtypes.string, fn, name)


def upper(input: Any, encoding: str = "", name: Optional[str] = None) -> Tensor:  # noqa: A002
    """Upper case: ASCII letters only, or all of Unicode with ``encoding='utf-8'``."""
    fn: Callable[[bytes], bytes] = (lambda s: s.decode("utf-8").upper().encode("utf-8")) \
        if encoding else bytes.upper
    return _elementwise("StringUpper", input, _dtypes.string, fn, name)


def strip(input: Any, name: Optional[str] = None) -> Tensor:  # noqa: A002
    """Leading and trailing ASCII whitespace removed."""
    return _elementwise("StringStrip", input, _dtypes.string, bytes.strip, name)


_FLOAT = re.compile(rb"[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|inf(inity)?|nan)",
                    re.IGNORECASE)
_INT = re.compile(rb"[+-]?\d+")


def to_number(string_tensor: Any, out_type: Any = _dtypes.float32,
              name: Optional[str] = None) -> Tensor:
    """Each string parsed as a number of ``out_type`` (float32, float64, int32, int64),
    surrounding whitespace allowed; TF's ``InvalidArgumentError`` otherwise."""
    out_type = _dtypes.as_dtype(out_type)
    if out_type not in (_dtypes.float32, _dtypes.float64, _dtypes.int32, _dtypes.int64):
        raise TypeError(f"Value passed to parameter 'out_type' has DataType {out_type.name} "
                        "not in list of allowed values: float32, float64, int32, int64")

    def parse(s: bytes) -> Any:
        text = s.strip()
        if out_type.is_floating:
            if _FLOAT.fullmatch(text):
                value = float(text)
                if out_type is _dtypes.float32 and np.isfinite(value) and \
                        abs(value) > np.finfo(np.float32).max:
                    raise _not_a_number(s)
                return value
        elif _INT.fullmatch(text):
            value = int(text)
            info = np.iinfo(out_type.as_numpy_dtype)
            if info.min <= value <= info.max:
                return value
        raise _not_a_number(s)

    return _elementwise("StringToNumber", string_tensor, out_type, parse, name)


def _not_a_number(s: bytes) -> errors.InvalidArgumentError:
    text = s.decode("utf-8", "backslashreplace")
    return errors.InvalidArgumentError(
        None, None, f"StringToNumberOp could not correctly convert string: {text}")


def _to_sparse(op_name: str, source: Any, tokens: Callable[[bytes], list[bytes]],
               name: Optional[str]) -> SparseTensor:
    """The tokens of each string of a vector as a ``SparseTensor`` ``[rows, max tokens]``."""
    from .data.iterator_ops import _host_op
    with name_scope(name, op_name, [source]) as scope:
        t = convert_to_tensor(source, dtype=_dtypes.string, name="input")
        if t.shape.ndims not in (None, 1):
            raise ValueError(f"Shape must be rank 1 but is rank {t.shape.ndims} for "
                             f"'{op_name}'")

        def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
            rows = np.asarray(arrays[0], dtype=object)
            if rows.ndim != 1:
                raise errors.InvalidArgumentError(
                    None, None, f"input must be a vector, got shape: {list(rows.shape)}")
            indices, values, width = [], [], 0
            for r, item in enumerate(rows):
                parts = tokens(_bytes(item))
                width = max(width, len(parts))
                for c, part in enumerate(parts):
                    indices.append((r, c))
                    values.append(part)
            out_values = np.empty(len(values), dtype=object)
            out_values[:] = values
            return [np.asarray(indices, dtype=np.int64).reshape(-1, 2), out_values,
                    np.asarray([len(rows), width], dtype=np.int64)]

        op = _host_op(op_name, [t], [_dtypes.int64, _dtypes.string, _dtypes.int64], run,
                      scope=scope)
        indices, values, dense_shape = op.outputs
        indices.set_shape([None, 2])
        values.set_shape([None])
        dense_shape.set_shape([2])
        return SparseTensor(indices, values, dense_shape)


def split(input: Any = None, sep: Any = None, maxsplit: int = -1,  # noqa: A002
          result_type: str = "SparseTensor", source: Any = None,
          name: Optional[str] = None) -> SparseTensor:
    """Each string of a vector split at ``sep`` (runs of whitespace when None, empty
    pieces dropped then), at most ``maxsplit`` times: a ``SparseTensor`` (TF 1's
    ``strings.split``)."""
    if source is not None:
        if input is not None:
            raise ValueError("Cannot specify both 'source' and 'input'")
        input = source
    if result_type != "SparseTensor":
        raise ValueError("symgrad's strings.split returns a SparseTensor "
                         "(result_type='SparseTensor'); RaggedTensors are not supported")
    # An empty separator splits at runs of whitespace, as None does (TF's StringSplitV2).
    separator = _bytes(sep) or None if sep is not None else None
    count = -1 if maxsplit is None or maxsplit < 0 else int(maxsplit)
    return _to_sparse("StringSplitV2", input, lambda s: s.split(separator, count), name)


def string_split(source: Any, sep: Any = None, skip_empty: bool = True,
                 delimiter: Any = None, result_type: str = "SparseTensor",
                 name: Optional[str] = None) -> SparseTensor:
    """TF 1's ``string_split``: each character of ``delimiter`` (default ``" "``)
    separates tokens; an empty delimiter splits into characters; ``skip_empty`` drops empty
    tokens."""
    if sep is not None:
        if delimiter is not None:
            raise ValueError("Cannot specify both 'sep' and 'delimiter'")
        delimiter = sep
    if result_type != "SparseTensor":
        raise ValueError("symgrad's string_split returns a SparseTensor")
    chars = b" " if delimiter is None else _bytes(delimiter)

    def tokens(s: bytes) -> list[bytes]:
        if not chars:
            parts = [s[i:i + 1] for i in range(len(s))]
        else:
            parts = re.split(b"[" + re.escape(chars) + b"]", s)
        return [p for p in parts if p] if skip_empty else parts

    return _to_sparse("StringSplit", source, tokens, name)


def reduce_join(inputs: Any, axis: Any = None, keep_dims: Any = None, separator: str = "",
                name: Optional[str] = None, reduction_indices: Any = None,
                keepdims: Any = None) -> Tensor:
    """The strings joined with ``separator`` along ``axis`` (all axes when None, in
    row-major order)."""
    from .data.iterator_ops import _host_op
    if axis is None:
        axis = reduction_indices
    keep = bool(keepdims if keepdims is not None else keep_dims)
    sep = _bytes(separator)
    with name_scope(name, "ReduceJoin", [inputs]) as scope:
        t = convert_to_tensor(inputs, dtype=_dtypes.string, name="inputs")
        rank = t.shape.ndims
        axes = None if axis is None else [int(a) for a in np.reshape(axis, -1)]

        def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
            data = np.asarray(arrays[0], dtype=object)
            picked = list(range(data.ndim)) if axes is None else axes
            for a in picked:
                if not -data.ndim <= a < data.ndim:
                    raise errors.InvalidArgumentError(
                        None, None, f"Invalid reduction dimension {a} for input with "
                                    f"{data.ndim} dimensions")
            picked = sorted({a % data.ndim for a in picked}) if data.ndim else []
            kept = [d for d in range(data.ndim) if d not in picked]
            moved = np.transpose(data, kept + picked)
            lead = [data.shape[d] for d in kept]
            reduced = int(np.prod([data.shape[d] for d in picked], dtype=np.int64))
            flat = moved.reshape(int(np.prod(lead, dtype=np.int64)), reduced)
            joined = np.empty(len(flat), dtype=object)
            for i, row in enumerate(flat):
                joined[i] = sep.join(_bytes(x) for x in row)
            out = joined.reshape(lead)
            if keep:
                out = out.reshape([1 if d in picked else data.shape[d]
                                   for d in range(data.ndim)])
            return [out]

        out: Tensor = _host_op("ReduceJoin", [t], [_dtypes.string], run,
                               scope=scope).outputs[0]
        if rank is not None:
            picked = set(range(rank)) if axes is None else {a % rank for a in axes}
            dims = t.shape.as_list()
            out.set_shape([1 if d in picked else dims[d] for d in range(rank)] if keep else
                          [dims[d] for d in range(rank) if d not in picked])
        return out


def _pattern(pattern: Any) -> re.Pattern[bytes]:
    try:
        return re.compile(_bytes(pattern))
    except re.error as e:
        raise errors.InvalidArgumentError(
            None, None, f"Invalid pattern: {_bytes(pattern).decode('utf-8', 'replace')}, "
                        f"error: {e}") from None


def regex_replace(input: Any, pattern: Any, rewrite: Any,  # noqa: A002
                  replace_global: bool = True, name: Optional[str] = None) -> Tensor:
    """Each string with the matches of ``pattern`` replaced by ``rewrite`` (``\\1`` the
    first group, ``\\0`` the whole match); only the first match unless
    ``replace_global``."""
    compiled = _pattern(pattern)
    template = re.sub(rb"\\0", rb"\\g<0>", _bytes(rewrite))

    def replace(s: bytes) -> bytes:
        return compiled.sub(template, s, count=0 if replace_global else 1)

    return _elementwise("StaticRegexReplace", input, _dtypes.string, replace, name)


def regex_full_match(input: Any, pattern: Any, name: Optional[str] = None  # noqa: A002
                     ) -> Tensor:
    """Whether each whole string matches ``pattern``."""
    compiled = _pattern(pattern)
    return _elementwise("StaticRegexFullMatch", input, _dtypes.bool,
                        lambda s: compiled.fullmatch(s) is not None, name)


# ----- FarmHash Fingerprint64 (farmhashna::Hash64) -----

_MASK = (1 << 64) - 1
_K0, _K1, _K2 = 0xc3a5c85c97cb3127, 0xb492b66fbe98f273, 0x9ae16a3b2f90404f


def _fetch64(s: bytes, i: int) -> int:
    return int.from_bytes(s[i:i + 8], "little")


def _fetch32(s: bytes, i: int) -> int:
    return int.from_bytes(s[i:i + 4], "little")


def _rotate(v: int, shift: int) -> int:
    return v if shift == 0 else ((v >> shift) | (v << (64 - shift))) & _MASK


def _shift_mix(v: int) -> int:
    return v ^ (v >> 47)


def _hash_len16(u: int, v: int, mul: int) -> int:
    a = ((u ^ v) * mul) & _MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & _MASK
    b ^= b >> 47
    return (b * mul) & _MASK


def _hash_len0to16(s: bytes) -> int:
    n = len(s)
    if n >= 8:
        mul = _K2 + n * 2
        a = (_fetch64(s, 0) + _K2) & _MASK
        b = _fetch64(s, n - 8)
        c = (_rotate(b, 37) * mul + a) & _MASK
        d = ((_rotate(a, 25) + b) * mul) & _MASK
        return _hash_len16(c, d, mul)
    if n >= 4:
        mul = _K2 + n * 2
        a = _fetch32(s, 0)
        return _hash_len16((n + (a << 3)) & _MASK, _fetch32(s, n - 4), mul)
    if n > 0:
        a, b, c = s[0], s[n >> 1], s[n - 1]
        y = a + (b << 8)
        z = n + (c << 2)
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _MASK) * _K2) & _MASK
    return _K2


def _head_and_tail(s: bytes, a_mul: int) -> tuple[int, int, int, int, int, int, int]:
    """The words both 17-64 byte hashes start from: ``mul``, ``a`` (the first word times
    ``a_mul``), ``b``, ``c``, ``d``, and the two values they mix them into."""
    n = len(s)
    mul = _K2 + n * 2
    a = (_fetch64(s, 0) * a_mul) & _MASK
    b = _fetch64(s, 8)
    c = (_fetch64(s, n - 8) * mul) & _MASK
    d = (_fetch64(s, n - 16) * _K2) & _MASK
    y = (_rotate((a + b) & _MASK, 43) + _rotate(c, 30) + d) & _MASK
    u = (a + _rotate((b + _K2) & _MASK, 18) + c) & _MASK
    return mul, a, b, c, d, y, u


def _hash_len17to32(s: bytes) -> int:
    mul, _, _, _, _, y, u = _head_and_tail(s, _K1)
    return _hash_len16(y, u, mul)


def _hash_len33to64(s: bytes) -> int:
    n = len(s)
    mul, a, _, _, _, y, u = _head_and_tail(s, _K2)
    z = _hash_len16(y, u, mul)
    e = (_fetch64(s, 16) * mul) & _MASK
    f = _fetch64(s, 24)
    g = ((y + _fetch64(s, n - 32)) * mul) & _MASK
    h = ((z + _fetch64(s, n - 24)) * mul) & _MASK
    return _hash_len16((_rotate((e + f) & _MASK, 43) + _rotate(g, 30) + h) & _MASK,
                       (e + _rotate((f + a) & _MASK, 18) + g) & _MASK, mul)


def _weak_hash_len32_with_seeds(s: bytes, i: int, a: int, b: int) -> tuple[int, int]:
    w, x, y, z = (_fetch64(s, i), _fetch64(s, i + 8), _fetch64(s, i + 16),
                  _fetch64(s, i + 24))
    a = (a + w) & _MASK
    b = _rotate((b + a + z) & _MASK, 21)
    c = a
    a = (a + x) & _MASK
    a = (a + y) & _MASK
    b = (b + _rotate(a, 44)) & _MASK
    return (a + z) & _MASK, (b + c) & _MASK


def _mix64(s: bytes, i: int, x: int, y: int, z: int, v: tuple[int, int],
           w: tuple[int, int], mul: int, weight: int
           ) -> tuple[int, int, int, tuple[int, int], tuple[int, int]]:
    """One 64-byte round of ``Hash64`` at ``s[i:]`` (``weight`` 9 in the final round);
    ``x`` and ``z`` come back swapped, as FarmHash swaps them."""
    x = (_rotate((x + y + v[0] + _fetch64(s, i + 8)) & _MASK, 37) * mul) & _MASK
    y = (_rotate((y + v[1] + _fetch64(s, i + 48)) & _MASK, 42) * mul) & _MASK
    x ^= (w[1] * weight) & _MASK
    y = (y + v[0] * weight + _fetch64(s, i + 40)) & _MASK
    z = (_rotate((z + w[0]) & _MASK, 33) * mul) & _MASK
    v = _weak_hash_len32_with_seeds(s, i, (v[1] * mul) & _MASK, (x + w[0]) & _MASK)
    w = _weak_hash_len32_with_seeds(s, i + 32, (z + w[1]) & _MASK,
                                    (y + _fetch64(s, i + 16)) & _MASK)
    return z, y, x, v, w


def fingerprint64(s: bytes) -> int:
    """FarmHash's ``Fingerprint64`` of ``s`` (TF's ``Fingerprint64``)."""
    n = len(s)
    if n <= 16:
        return _hash_len0to16(s)
    if n <= 32:
        return _hash_len17to32(s)
    if n <= 64:
        return _hash_len33to64(s)
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _MASK
    z = (_shift_mix((y * _K2 + 113) & _MASK) * _K2) & _MASK
    v = (0, 0)
    w = (0, 0)
    x = (x * _K2 + _fetch64(s, 0)) & _MASK
    end = ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    for i in range(0, end, 64):
        x, y, z, v, w = _mix64(s, i, x, y, z, v, w, _K1, 1)
    mul = _K1 + ((z & 0xff) << 1)
    w = ((w[0] + ((n - 1) & 63)) & _MASK, w[1])
    v = ((v[0] + w[0]) & _MASK, v[1])
    w = ((w[0] + v[0]) & _MASK, w[1])
    x, y, z, v, w = _mix64(s, last64, x, y, z, v, w, mul, 9)
    return _hash_len16(
        (_hash_len16(v[0], w[0], mul) + _shift_mix(y) * _K0 + z) & _MASK,
        (_hash_len16(v[1], w[1], mul) + x) & _MASK, mul)


def to_hash_bucket_fast(input: Any, num_buckets: int,  # noqa: A002
                        name: Optional[str] = None) -> Tensor:
    """``Fingerprint64(s) % num_buckets`` of each string, as int64."""
    buckets = int(num_buckets)
    if buckets < 1:
        raise ValueError(f"Value for attr 'num_buckets' of {buckets} must be at least "
                         "minimum 1")
    return _elementwise("StringToHashBucketFast", input, _dtypes.int64,
                        lambda s: fingerprint64(s) % buckets, name)


def encode_base64(input: Any, pad: bool = False, name: Optional[str] = None  # noqa: A002
                  ) -> Tensor:
    """Web-safe base64 of each string (``-`` and ``_`` for ``+`` and ``/``), ``=`` padding
    only with ``pad``."""
    import base64

    def encode(s: bytes) -> bytes:
        text = base64.urlsafe_b64encode(s)
        return text if pad else text.rstrip(b"=")

    return _elementwise("EncodeBase64", input, _dtypes.string, encode, name)


def decode_base64(input: Any, name: Optional[str] = None) -> Tensor:  # noqa: A002
    """The strings web-safe base64 encodes (padded or not); TF's error for other text."""
    import base64
    import binascii

    def decode(s: bytes) -> bytes:
        if len(s) % 4 == 1 or not re.fullmatch(rb"[A-Za-z0-9_-]*=*", s):
            raise errors.InvalidArgumentError(None, None, "Invalid character found in "
                                                          "base64.")
        try:
            return base64.urlsafe_b64decode(s + b"=" * (-len(s) % 4))
        except (binascii.Error, ValueError):
            raise errors.InvalidArgumentError(None, None, "Invalid character found in "
                                                          "base64.") from None

    return _elementwise("DecodeBase64", input, _dtypes.string, decode, name)
