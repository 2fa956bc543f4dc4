"""String ops (``tf.strings``, ``tf.string_join``, ``tf.as_string``, ``tf.substr``) and
``tf.print`` (``PrintV2``), built as TF 2.21's graph mode builds them."""

from __future__ import annotations

import logging as _py_logging
import os
import pprint
import random as _random
import sys
import types
from typing import Any, Optional, Sequence

from . import dtypes as _dtypes
from ._op_helpers import convert_same_type, create_op, create_tensor, op_scope
from .constant_op import convert_to_tensor
from .framework import Operation, Tensor

__all__ = ["string_join", "as_string", "string_format", "string_length", "substr", "print_v2",
           "strings"]


def string_join(inputs: Sequence[Any], separator: str = "", name: Optional[str] = None
                ) -> Tensor:
    """``StringJoin``: elementwise concatenation with ``separator``; scalars broadcast."""
    with op_scope(name, "StringJoin", list(inputs)) as scope:
        tensors = [convert_to_tensor(v, dtype=_dtypes.string, name=f"inputs_{i}")
                   for i, v in enumerate(inputs)]
        return create_tensor("StringJoin", tensors, {"separator": separator}, scope)


def as_string(input: Any, precision: int = -1, scientific: bool = False,  # noqa: A002
              shortest: bool = False, width: int = -1, fill: str = "",
              name: Optional[str] = None) -> Tensor:
    """``AsString``: numbers and bools as text, formatted as C's printf with TF's flags."""
    with op_scope(name, "AsString", [input]) as scope:
        value = convert_to_tensor(input, name="input")
        attrs = {"precision": int(precision), "scientific": bool(scientific),
                 "shortest": bool(shortest), "width": int(width), "fill": str(fill)}
        return create_tensor("AsString", [value], attrs, scope)


def string_format(template: str, inputs: Any, placeholder: str = "{}", summarize: int = 3,
                  name: Optional[str] = None) -> Tensor:
    """``StringFormat``: ``template`` with each ``placeholder`` replaced by a tensor printed
    as numpy-like nested lists (``summarize`` entries at each end of every dimension)."""
    items = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if template.count(placeholder) != len(items):
        raise ValueError(f"The template expects {template.count(placeholder)} tensors, but "
                         f"the inputs only has {len(items)}. Please ensure the number of "
                         "placeholders in template matches inputs length.")
    with op_scope(name, "StringFormat", items) as scope:
        tensors = [convert_to_tensor(v, name=f"inputs_{i}") for i, v in enumerate(items)]
        attrs = {"template": template, "placeholder": placeholder,
                 "summarize": int(summarize)}
        return create_tensor("StringFormat", tensors, attrs, scope)


def string_length(input: Any, name: Optional[str] = None,  # noqa: A002
                  unit: str = "BYTE") -> Tensor:
    """``StringLength``: int32 lengths in bytes or (``unit="UTF8_CHAR"``) characters."""
    with op_scope(name, "StringLength", [input]) as scope:
        value = convert_to_tensor(input, dtype=_dtypes.string, name="input")
        return create_tensor("StringLength", [value], {"unit": unit}, scope)


def substr(input: Any, pos: Any, len: Any, name: Optional[str] = None,  # noqa: A002
           unit: str = "BYTE") -> Tensor:
    """``Substr``: ``len`` units from ``pos`` (negative ``pos`` counts from the end)."""
    with op_scope(name, "Substr", [input, pos, len]) as scope:
        value = convert_to_tensor(input, dtype=_dtypes.string, name="input")
        start, size = convert_same_type("Substr", [("pos", pos), ("len", len)])
        return create_tensor("Substr", [value, start, size], {"unit": unit}, scope)


def _stream_name(output_stream: Any) -> str:
    if isinstance(output_stream, str) and output_stream.startswith("file://"):
        return output_stream
    from . import logging as _tf_logging
    known = [(sys.stdout, "stdout"), (sys.stderr, "stderr"),
             (_tf_logging.INFO, "log(info)"), (_tf_logging.info, "log(info)"),
             (_tf_logging.WARN, "log(warning)"), (_tf_logging.warning, "log(warning)"),
             (_tf_logging.warn, "log(warning)"), (_tf_logging.ERROR, "log(error)"),
             (_tf_logging.error, "log(error)"), (_py_logging.info, "log(info)"),
             (_py_logging.warning, "log(warning)"), (_py_logging.error, "log(error)")]
    for stream, text in known:
        if output_stream is stream:
            return text
    raise ValueError("Unsupported output stream, logging level, or file." + str(output_stream)
                     + ". Supported streams are sys.stdout, sys.stderr, tf.logging.info, "
                     "tf.logging.warning, tf.logging.error. File needs to be in the form of "
                     "'file://<filepath>'.")


def _placeholder_for(text: str) -> str:
    """``{}``, lengthened with TF's seeded digits until it does not occur in ``text``."""
    placeholder = "{}"
    rng = _random.Random(5)
    while placeholder in text:
        placeholder += str(rng.randint(0, 9))
    return placeholder


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for k in sorted(value) for x in _flatten(value[k])]
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _flatten(item)]
    return [value]


def _pack(structure: Any, flat: list[Any]) -> Any:
    """``structure`` with its leaves replaced, in order, by the items of ``flat``."""
    items = iter(flat)

    def build(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: build(value[k]) for k in sorted(value)}
        if isinstance(value, (list, tuple)):
            rebuilt = [build(v) for v in value]
            return rebuilt if isinstance(value, list) else type(value)(rebuilt) \
                if type(value) is tuple else type(value)(*rebuilt)
        return next(items)
    return build(structure)


def print_v2(*inputs: Any, output_stream: Any = None, name: Optional[str] = None,
             summarize: int = 3, sep: str = " ", end: str = os.linesep) -> Operation:
    """``tf.print``: a ``StringFormat`` of the inputs feeding a ``PrintV2`` op, which is
    returned (graph mode); running it writes the text and ``end`` to ``output_stream``
    (``sys.stderr`` as it is when called, as TF)."""
    stream = _stream_name(sys.stderr if output_stream is None else output_stream)
    format_name = name + "_format" if name else None
    if (len(inputs) == 1 and isinstance(inputs[0], Tensor) and inputs[0].shape.ndims == 0
            and inputs[0].dtype is _dtypes.string):
        formatted = inputs[0]
    else:
        free = [_pack(x, ["" if isinstance(v, Tensor) else v for v in _flatten(x)])
                for x in inputs]
        placeholder = _placeholder_for(" ".join(pprint.pformat(x) for x in free))
        templates: list[str] = []
        tensors: list[Tensor] = []
        for item in inputs:
            leaves = []
            for leaf in _flatten(item):
                if isinstance(leaf, Tensor):
                    tensors.append(leaf)
                    leaves.append(placeholder)
                else:
                    leaves.append(leaf)
            templates.append(item if isinstance(item, str)
                             else pprint.pformat(_pack(item, leaves)))
        template = sep.join(templates).replace("'" + placeholder + "'", placeholder)
        formatted = string_format(template, tensors, placeholder=placeholder,
                                  summarize=summarize, name=format_name)
    with op_scope(name, "PrintV2", [formatted]) as scope:
        return create_op("PrintV2", [formatted], {"output_stream": stream, "end": end}, scope)


def _length_v1(input: Any, name: Optional[str] = None, unit: str = "BYTE"  # noqa: A002
               ) -> Tensor:
    return string_length(input, name=name, unit=unit)


from . import string_more as _more  # noqa: E402

strings = types.SimpleNamespace(
    join=string_join, as_string=as_string, format=string_format, length=_length_v1,
    substr=substr, lower=_more.lower, upper=_more.upper, strip=_more.strip,
    to_number=_more.to_number, split=_more.split, reduce_join=_more.reduce_join,
    regex_replace=_more.regex_replace, regex_full_match=_more.regex_full_match,
    to_hash_bucket_fast=_more.to_hash_bucket_fast,
)
strings.__doc__ = "tf.strings: the string ops symgrad has."
