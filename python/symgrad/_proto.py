"""A small protocol buffer runtime for the messages symgrad reads and writes itself
(``Summary``, ``Event``, ``GraphDef`` ...), so that event files need no ``protobuf`` package.

A message class lists its fields as ``_FIELDS = (Field(...), ...)``. Instances behave as
protobuf's Python messages where TF 1 programs touch them: keyword construction (nested
messages as instances or dicts), attribute access with proto3 defaults, sub-messages that
spring into existence when first written through, repeated fields with ``add()``/``append``,
oneofs (``WhichOneof``), ``HasField``/``ClearField``, ``SerializeToString``/``FromString``/
``ParseFromString``/``MergeFromString``, ``CopyFrom``, equality and protobuf's text format
from ``str()``. Serialization follows protobuf's C++ encoder: fields in number order, proto3
defaults left out, packed repeated numbers, unknown fields kept.
"""

from __future__ import annotations

import math
import operator
import struct
from typing import Any, ClassVar, Iterable, Iterator, Optional

import numpy as np

__all__ = ["Field", "Message", "DecodeError"]

_VARINT, _FIXED64, _LEN, _FIXED32 = 0, 1, 2, 5
_INT_KINDS = ("int32", "int64", "uint32", "uint64", "enum")
_WIRE = {"int32": _VARINT, "int64": _VARINT, "uint32": _VARINT, "uint64": _VARINT,
         "enum": _VARINT, "bool": _VARINT, "double": _FIXED64, "float": _FIXED32,
         "string": _LEN, "bytes": _LEN}
_RANGES = {"int32": (-(1 << 31), (1 << 31) - 1), "int64": (-(1 << 63), (1 << 63) - 1),
           "uint32": (0, (1 << 32) - 1), "uint64": (0, (1 << 64) - 1),
           "enum": (-(1 << 31), (1 << 31) - 1)}


class DecodeError(Exception):
    """Bytes that are not a valid message (protobuf's ``message.DecodeError``)."""


class Field:
    """One field: ``kind`` is a scalar kind name, a ``Message`` subclass, or
    ``("map", key_kind, value_kind)``."""

    __slots__ = ("name", "number", "kind", "repeated", "oneof")

    def __init__(self, name: str, number: int, kind: Any, repeated: bool = False,
                 oneof: Optional[str] = None) -> None:
        self.name, self.number, self.kind = name, number, kind
        self.repeated, self.oneof = repeated, oneof

    @property
    def is_message(self) -> bool:
        return isinstance(self.kind, type)

    @property
    def is_map(self) -> bool:
        return isinstance(self.kind, tuple)

    def default(self) -> Any:
        return _scalar_default(self.kind)


def _scalar_default(kind: str) -> Any:
    if kind in ("double", "float"):
        return 0.0
    if kind == "bool":
        return False
    if kind == "string":
        return ""
    if kind == "bytes":
        return b""
    return 0


def _checked(field_name: str, kind: str, value: Any) -> Any:
    """``value`` as the field stores it, with protobuf's ``TypeError``/``ValueError``."""
    def wrong(expected: str) -> TypeError:
        return TypeError(f"{value!r} has type {type(value).__name__}, but expected one of: "
                         f"{expected}")
    if kind in _INT_KINDS:
        if isinstance(value, float) or not hasattr(value, "__index__"):
            if kind == "enum" and isinstance(value, str):
                raise wrong("int")  # names are resolved by the message before this
            raise wrong("int")
        v = operator.index(value)
        lo, hi = _RANGES[kind]
        if not lo <= v <= hi:
            raise ValueError(f"Value out of range: {v}")
        return v
    if kind in ("double", "float"):
        if isinstance(value, (str, bytes)) or not isinstance(value, (int, float)) and \
                not hasattr(value, "__float__"):
            raise wrong("int, float")
        v = float(value)
        if kind == "float" and math.isfinite(v):
            # A float field holds float32 precision, as protobuf returns it.
            try:
                v = struct.unpack("<f", struct.pack("<f", v))[0]
            except OverflowError:
                v = math.copysign(math.inf, v)
        return v
    if kind == "bool":
        if not isinstance(value, (bool, int)) and not hasattr(value, "__index__"):
            raise wrong("bool, int")
        return bool(value)
    if kind == "string":
        if isinstance(value, bytes):
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError(f"{value!r} has type bytes, but isn't valid UTF-8 encoding. "
                                 "Non-UTF-8 strings must be converted to unicode objects "
                                 "before being added.") from None
        if not isinstance(value, str):
            raise wrong("str")
        return value
    if kind == "bytes":
        if isinstance(value, str):
            return value.encode("utf-8")
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise wrong("bytes")
        return bytes(value)
    raise TypeError(f"unknown field kind {kind!r} of {field_name}")


class _Repeated(list):  # type: ignore[type-arg]
    """A repeated field: a list that checks its elements and, for a message field, has
    ``add(**fields)``; changing it makes its owner present in the owner's parent."""

    def __init__(self, owner: "Message", field: Field, items: Iterable[Any] = ()) -> None:
        super().__init__()
        self._owner, self._field = owner, field
        for item in items:
            super().append(self._convert(item))

    def _convert(self, item: Any) -> Any:
        if self._field.is_message:
            kind = self._field.kind
            if isinstance(item, dict):
                return kind(**item)
            if not isinstance(item, kind):
                raise TypeError(f"Expected a {kind.__name__}, got {type(item).__name__}")
            return item
        return _checked(self._field.name, self._field.kind, item)

    def add(self, **fields: Any) -> Any:
        if not self._field.is_message:
            raise AttributeError("'RepeatedScalarContainer' object has no attribute 'add'")
        item = self._field.kind(**fields)
        super().append(item)
        self._owner._touch()
        return item

    def append(self, item: Any) -> None:
        super().append(self._convert(item))
        self._owner._touch()

    def extend(self, items: Iterable[Any]) -> None:
        for item in items:
            self.append(item)

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            super().__setitem__(index, [self._convert(v) for v in value])
        else:
            super().__setitem__(index, self._convert(value))
        self._owner._touch()


class _Map(dict):  # type: ignore[type-arg]
    """A map field; message values are created on first access, as protobuf does."""

    def __init__(self, owner: "Message", field: Field, items: Any = ()) -> None:
        super().__init__()
        self._owner, self._field = owner, field
        for key, value in dict(items).items():
            self[key] = value

    def _value_kind(self) -> Any:
        return self._field.kind[2]

    def __setitem__(self, key: Any, value: Any) -> None:
        kind = self._value_kind()
        key = _checked(self._field.name, self._field.kind[1], key)
        if isinstance(kind, type):
            if isinstance(value, dict):
                value = kind(**value)
            elif not isinstance(value, kind):
                raise TypeError(f"Expected a {kind.__name__}, got {type(value).__name__}")
        else:
            value = _checked(self._field.name, kind, value)
        super().__setitem__(key, value)
        self._owner._touch()

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __missing__(self, key: Any) -> Any:
        kind = self._value_kind()
        value = kind() if isinstance(kind, type) else _scalar_default(kind)
        self[key] = value
        return value


class Message:
    """Base of the message classes; see the module docstring."""

    _FIELDS: ClassVar[tuple[Field, ...]] = ()
    _BY_NAME: ClassVar[dict[str, Field]]
    _BY_NUMBER: ClassVar[dict[int, Field]]
    _ENUMS: ClassVar[dict[str, dict[str, int]]] = {}
    """Enum fields' value names, so that a name may be assigned (``status="START"``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._BY_NAME = {f.name: f for f in cls._FIELDS}
        cls._BY_NUMBER = {f.number: f for f in cls._FIELDS}

    def __init__(self, *args: Any, **fields: Any) -> None:
        if args:
            raise TypeError("No positional arguments allowed")
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_unknown", b"")
        object.__setattr__(self, "_parent", None)
        for name, value in fields.items():
            if value is None:
                continue
            field = self._field(name, ValueError)
            if field.repeated:
                getattr(self, name).extend(value)
            elif field.is_map:
                target = getattr(self, name)
                for key, item in dict(value).items():
                    target[key] = item
            elif field.is_message:
                self._set_message(field, value)
            else:
                setattr(self, name, value)

    @classmethod
    def _field(cls, name: str, error: type[Exception] = AttributeError) -> Field:
        field = cls._BY_NAME.get(name)
        if field is None:
            raise error(f'Protocol message {cls.__name__} has no "{name}" field.')
        return field

    # ----- presence -----
    def _touch(self) -> None:
        """Marks this message as set in its parent (and that one in its own, upwards)."""
        node: Optional[Message] = self
        while node is not None and node._parent is not None:
            parent, name = node._parent
            object.__setattr__(node, "_parent", None)
            parent._set_present(parent._field(name), node)
            node = parent

    def _set_present(self, field: Field, value: Any) -> None:
        if field.oneof is not None:
            for other in self._FIELDS:
                if other.oneof == field.oneof and other is not field:
                    self._values.pop(other.name, None)
        self._values[field.name] = value

    def _set_message(self, field: Field, value: Any) -> None:
        if isinstance(value, dict):
            value = field.kind(**value)
        elif not isinstance(value, field.kind):
            raise TypeError(
                "Parameter to initialize message field must be dict or instance of same "
                f"class: expected {field.kind} got {type(value)}.")
        self._set_present(field, value)
        self._touch()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        field = self._field(name)
        values = self.__dict__["_values"]
        if name in values:
            return values[name]
        if field.is_map:
            values[name] = _Map(self, field)
            return values[name]
        if field.repeated:
            values[name] = _Repeated(self, field)
            return values[name]
        if field.is_message:
            child = field.kind()
            object.__setattr__(child, "_parent", (self, name))
            return child
        return field.default()

    def __setattr__(self, name: str, value: Any) -> None:
        field = self._field(name)
        if field.repeated or field.is_map or field.is_message:
            raise AttributeError(
                f"Assignment not allowed to field \"{name}\" in protocol message object.")
        if field.kind == "enum" and isinstance(value, str):
            names = self._ENUMS.get(name, {})
            if value not in names:
                raise ValueError(f"unknown enum label \"{value}\"")
            value = names[value]
        self._set_present(field, _checked(name, field.kind, value))
        self._touch()

    def HasField(self, name: str) -> bool:  # noqa: N802 - protobuf's name
        field = self._BY_NAME.get(name)
        if field is None:
            if any(f.oneof == name for f in self._FIELDS):
                return self.WhichOneof(name) is not None
            raise ValueError(f'Protocol message {type(self).__name__} has no field {name}.')
        if field.repeated or field.is_map:
            raise ValueError(f'Protocol message has no singular "{name}" field.')
        if field.is_message or field.oneof is not None:
            return name in self._values
        raise ValueError(f'Can\'t test non-optional, non-submessage field "{type(self).__name__}'
                         f'.{name}" for presence in proto3.')

    def ClearField(self, name: str) -> None:  # noqa: N802
        if name not in self._BY_NAME:
            for f in self._FIELDS:
                if f.oneof == name:
                    self._values.pop(f.name, None)
            if any(f.oneof == name for f in self._FIELDS):
                return
            raise ValueError(f'Protocol message has no "{name}" field.')
        self._values.pop(name, None)

    def WhichOneof(self, oneof: str) -> Optional[str]:  # noqa: N802
        for f in self._FIELDS:
            if f.oneof == oneof and f.name in self._values:
                return f.name
        if not any(f.oneof == oneof for f in self._FIELDS):
            raise ValueError(f'Protocol message has no oneof "{oneof}" field.')
        return None

    def Clear(self) -> None:  # noqa: N802
        self._values.clear()
        object.__setattr__(self, "_unknown", b"")

    def ListFields(self) -> list[tuple[Field, Any]]:  # noqa: N802
        return [(f, self._values[f.name]) for f in sorted(self._FIELDS, key=lambda f: f.number)
                if self._written(f)]

    def _written(self, field: Field) -> bool:
        if field.name not in self._values:
            return False
        value = self._values[field.name]
        if field.repeated or field.is_map:
            return len(value) > 0
        if field.is_message or field.oneof is not None:
            return True
        if field.kind in ("double", "float"):
            return struct.pack("<d", value) != b"\0" * 8  # -0.0 is written, as in C++
        return bool(value)

    def CopyFrom(self, other: "Message") -> None:  # noqa: N802
        if other is self:
            return
        self.Clear()
        self.MergeFromString(other.SerializeToString())

    def MergeFrom(self, other: "Message") -> None:  # noqa: N802
        self.MergeFromString(other.SerializeToString())

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return type(self) is type(other) and \
            self.SerializeToString(deterministic=True) == other.SerializeToString(deterministic=True)

    __hash__ = None  # type: ignore[assignment] - messages are mutable, as in protobuf

    def ByteSize(self) -> int:  # noqa: N802
        return len(self.SerializeToString())

    # ----- encoding -----
    def SerializeToString(self, deterministic: bool = False) -> bytes:  # noqa: N802
        out = bytearray()
        for field, value in self.ListFields():
            _encode_field(out, field, value)
        out += self._unknown
        return bytes(out)

    def SerializePartialToString(self, deterministic: bool = False) -> bytes:  # noqa: N802
        return self.SerializeToString(deterministic)

    @classmethod
    def FromString(cls, data: bytes) -> Any:  # noqa: N802
        message = cls()
        message.MergeFromString(data)
        return message

    def ParseFromString(self, data: bytes) -> int:  # noqa: N802
        self.Clear()
        return self.MergeFromString(data)

    def MergeFromString(self, data: bytes) -> int:  # noqa: N802
        data = bytes(data)
        unknown = bytearray(self._unknown)
        for number, wire, payload, raw in _fields(data):
            field = self._BY_NUMBER.get(number)
            if field is None or not _wire_fits(field, wire):
                unknown += raw
                continue
            self._merge_field(field, wire, payload)
        object.__setattr__(self, "_unknown", bytes(unknown))
        self._touch()
        return len(data)

    def _merge_field(self, field: Field, wire: int, payload: Any) -> None:
        if field.is_map:
            entry = _MapEntry.decode(field, payload)
            target = getattr(self, field.name)
            dict.__setitem__(target, entry[0], entry[1])
        elif field.is_message:
            if field.repeated:
                item = field.kind()
                item.MergeFromString(payload)
                list.append(getattr(self, field.name), item)
            else:
                existing = self._values.get(field.name)
                if existing is None:
                    existing = field.kind()
                    self._set_present(field, existing)
                existing.MergeFromString(payload)
        elif field.repeated:
            target = getattr(self, field.name)
            if wire == _LEN and _WIRE[field.kind] != _LEN:
                list.extend(target, _unpack(field.kind, payload))
            else:
                list.append(target, _decode_scalar(field.kind, wire, payload))
        else:
            self._set_present(field, _decode_scalar(field.kind, wire, payload))

    # ----- text format -----
    def __str__(self) -> str:
        return "".join(_text_lines(self, 0))

    def __repr__(self) -> str:
        return str(self)

    def __deepcopy__(self, memo: Any) -> Any:
        return type(self).FromString(self.SerializeToString())

    def __reduce__(self) -> Any:
        return (type(self).FromString, (self.SerializeToString(),))


class _MapEntry:
    @staticmethod
    def decode(field: Field, payload: bytes) -> tuple[Any, Any]:
        _, key_kind, value_kind = field.kind
        key = _scalar_default(key_kind)
        value = value_kind() if isinstance(value_kind, type) else _scalar_default(value_kind)
        for number, wire, item, _ in _fields(payload):
            if number == 1:
                key = _decode_scalar(key_kind, wire, item)
            elif number == 2:
                if isinstance(value_kind, type):
                    value.MergeFromString(item)
                else:
                    value = _decode_scalar(value_kind, wire, item)
        return key, value


def _text_lines(message: Message, depth: int) -> Iterator[str]:
    pad = "  " * depth
    for field, value in message.ListFields():
        items = list(value.items()) if field.is_map else value if field.repeated else [value]
        for item in items:
            if field.is_map:
                yield f"{pad}{field.name} {{\n"
                yield f"{pad}  key: {_text_scalar(field.kind[1], item[0])}\n"
                if isinstance(field.kind[2], type):
                    yield f"{pad}  value {{\n"
                    yield from _text_lines(item[1], depth + 2)
                    yield f"{pad}  }}\n"
                else:
                    yield f"{pad}  value: {_text_scalar(field.kind[2], item[1])}\n"
                yield f"{pad}}}\n"
            elif field.is_message:
                yield f"{pad}{field.name} {{\n"
                yield from _text_lines(item, depth + 1)
                yield f"{pad}}}\n"
            else:
                yield f"{pad}{field.name}: {_text_scalar(field.kind, item, message, field)}\n"


def _text_scalar(kind: str, value: Any, message: Optional[Message] = None,
                 field: Optional[Field] = None) -> str:
    if kind == "bool":
        return "true" if value else "false"
    if kind == "enum" and message is not None and field is not None:
        names = {v: k for k, v in type(message)._ENUMS.get(field.name, {}).items()}
        return names.get(value, str(value))
    if kind in ("string", "bytes"):
        raw = value.encode("utf-8") if isinstance(value, str) else value
        return '"' + _c_escape(raw) + '"'
    if kind in ("double", "float"):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        # The shortest text that reads back the same, without a trailing ".0", as protobuf.
        text = repr(value) if kind == "double" else str(np.float32(value))
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def _c_escape(raw: bytes) -> str:
    out = []
    for b in raw:
        c = chr(b)
        if c in "\"'\\":
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif 0x20 <= b < 0x7F:
            out.append(c)
        else:
            out.append(f"\\{b:03o}")
    return "".join(out)


# ----- wire format -----
def _varint(out: bytearray, v: int) -> None:
    v &= (1 << 64) - 1  # negative numbers are ten-byte two's complement
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)


def _key(out: bytearray, number: int, wire: int) -> None:
    _varint(out, (number << 3) | wire)


def _scalar_bytes(kind: str, value: Any) -> bytes:
    if kind == "double":
        return struct.pack("<d", value)
    if kind == "float":
        return struct.pack("<f", value)
    out = bytearray()
    _varint(out, int(value))
    return bytes(out)


def _encode_field(out: bytearray, field: Field, value: Any) -> None:
    if field.is_map:
        _, key_kind, value_kind = field.kind
        for key in sorted(value):
            entry = bytearray()
            _encode_scalar(entry, 1, key_kind, key)
            item = value[key]
            if isinstance(value_kind, type):
                _encode_len(entry, 2, item.SerializeToString())
            else:
                _encode_scalar(entry, 2, value_kind, item)
            _encode_len(out, field.number, bytes(entry))
        return
    if field.is_message:
        for item in (value if field.repeated else [value]):
            _encode_len(out, field.number, item.SerializeToString())
        return
    if field.repeated:
        if _WIRE[field.kind] == _LEN:
            for item in value:
                _encode_scalar(out, field.number, field.kind, item)
        else:  # proto3 packs repeated numbers
            _encode_len(out, field.number, b"".join(_scalar_bytes(field.kind, v) for v in value))
        return
    _encode_scalar(out, field.number, field.kind, value)


def _encode_scalar(out: bytearray, number: int, kind: str, value: Any) -> None:
    wire = _WIRE[kind]
    if wire == _LEN:
        _encode_len(out, number, value.encode("utf-8") if isinstance(value, str) else value)
        return
    _key(out, number, wire)
    out += _scalar_bytes(kind, value)


def _encode_len(out: bytearray, number: int, data: bytes) -> None:
    _key(out, number, _LEN)
    _varint(out, len(data))
    out += data


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift >= 70:
            raise DecodeError("Error parsing message: truncated varint")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result & ((1 << 64) - 1), pos
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, int, Any, bytes]]:
    """(number, wire type, payload, raw bytes of the whole field) for each field."""
    pos = 0
    while pos < len(data):
        start = pos
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise DecodeError("Error parsing message: field number 0")
        if wire == _VARINT:
            payload, pos = _read_varint(data, pos)
        elif wire == _FIXED64:
            payload, pos = data[pos:pos + 8], pos + 8
        elif wire == _FIXED32:
            payload, pos = data[pos:pos + 4], pos + 4
        elif wire == _LEN:
            length, pos = _read_varint(data, pos)
            payload, pos = data[pos:pos + length], pos + length
        else:
            raise DecodeError(f"Error parsing message: unsupported wire type {wire}")
        if pos > len(data):
            raise DecodeError("Error parsing message: truncated field")
        yield number, wire, payload, data[start:pos]


def _wire_fits(field: Field, wire: int) -> bool:
    if field.is_message or field.is_map:
        return wire == _LEN
    expected = _WIRE[field.kind]
    return wire == expected or (field.repeated and wire == _LEN)


def _signed(kind: str, v: int) -> int:
    if kind in ("int32", "enum"):
        v &= (1 << 32) - 1
        return v - (1 << 32) if v >= 1 << 31 else v
    if kind == "int64":
        return v - (1 << 64) if v >= 1 << 63 else v
    if kind == "uint32":
        return v & ((1 << 32) - 1)
    return v


def _decode_scalar(kind: str, wire: int, payload: Any) -> Any:
    if kind == "double":
        return struct.unpack("<d", payload)[0]
    if kind == "float":
        return struct.unpack("<f", payload)[0]
    if kind == "string":
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            raise DecodeError("Error parsing message: invalid UTF-8 in a string field") \
                from None
    if kind == "bytes":
        return payload
    if kind == "bool":
        return bool(payload)
    return _signed(kind, payload)


def _unpack(kind: str, payload: bytes) -> list[Any]:
    if kind == "double":
        return [v for (v,) in struct.iter_unpack("<d", payload)]
    if kind == "float":
        return [v for (v,) in struct.iter_unpack("<f", payload)]
    out, pos = [], 0
    while pos < len(payload):
        v, pos = _read_varint(payload, pos)
        out.append(bool(v) if kind == "bool" else _signed(kind, v))
    return out
