"""Writes ``python/symgrad/_raw_op_defs.py``: the argument lists of the TF ops symgrad can
build, read from TensorFlow's op registry, for ``symgrad.raw_ops``.

Needs TensorFlow and a built symgrad importable in the same interpreter (the package need
not be installed: put a copy of ``python/symgrad`` on ``PYTHONPATH``):

    PYTHONPATH=/tmp/sgpath /path/to/tf-env/bin/python scripts/gen_raw_op_defs.py

Only the facts of each op's signature are taken (argument names and order, which attribute
types an argument, which attribute makes it a list, which attributes TF's raw_ops wrappers
infer from the inputs, and attribute defaults); whether symgrad knows the op is asked of
symgrad itself.
"""
from __future__ import annotations

import inspect
import keyword
import pathlib
import pprint
import re
import sys

import symgrad
import tensorflow as tf
from tensorflow.python.framework import dtypes, op_def_registry, tensor_util

OUT = pathlib.Path(__file__).resolve().parent.parent / "python" / "symgrad" / "_raw_op_defs.py"


def symgrad_knows(op_type: str) -> bool:
    graph = symgrad.Graph()
    try:
        graph._native.add_op(op_type, [], {}, None)
    except Exception as error:  # noqa: BLE001 - any error but "not registered" means known
        return "not registered" not in str(error)
    return True


def default_of(attr) -> object:
    if not attr.HasField("default_value"):
        return REQUIRED
    value = attr.default_value
    kind = value.WhichOneof("value")
    if kind == "type":
        return dtypes.as_dtype(value.type).name
    if kind == "shape":
        shape = value.shape
        return None if shape.unknown_rank else [None if d.size < 0 else d.size for d in shape.dim]
    if kind == "tensor":
        return tensor_util.MakeNdarray(value.tensor).tolist()
    if kind == "list":
        for field in ("type", "shape", "s", "i", "f", "b"):
            items = getattr(value.list, field)
            if len(items):
                if field == "type":
                    return [dtypes.as_dtype(t).name for t in items]
                if field == "s":
                    return [s.decode() for s in items]
                if field == "shape":
                    return [None if s.unknown_rank else [d.size for d in s.dim] for s in items]
                return list(items)
        return []
    if kind == "s":
        return value.s.decode()
    if kind in ("i", "f", "b"):
        return getattr(value, kind)
    return REQUIRED


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()


def python_names(op_type: str) -> tuple[dict[str, str], list[str], list[str] | None]:
    """TF's Python names of the op's arguments (its API definitions rename some: Split's
    `split_dim` is `axis`), read from the call its generated wrapper makes; the wrapper's
    parameters in order; and its outputs' field names, when it returns a named tuple."""
    fn = getattr(tf.raw_ops, op_type)
    wrapped = getattr(fn, "__wrapped__", fn)
    source = inspect.getsource(wrapped)
    call = re.search(r'_apply_op_helper\(\s*"' + op_type + r'",(.*?)\)\n', source, re.S)
    renames = {}
    if call:
        for tf_name, py_name in re.findall(r"(\w+)=(\w+)", call.group(1)):
            renames[tf_name] = py_name
    params = inspect.signature(fn).parameters
    output = wrapped.__globals__.get(f"_{op_type}Output")
    fields = list(output._fields) if output is not None and hasattr(output, "_fields") else None
    return renames, params, fields


def wrapper_default(param) -> object:
    """A default as the wrapper shows it (`alpha=0.2`, where the op def holds the float32
    0.20000000298...), in the table's terms (a dtype by name, a tensor as nested lists)."""
    value = param.default
    if value is inspect.Parameter.empty:
        return REQUIRED
    if isinstance(value, tf.DType):
        return value.name
    if hasattr(value, "tensor_shape"):
        return tensor_util.MakeNdarray(value).tolist()
    return value


def entry(op_def) -> tuple:
    renames, params, fields = python_names(op_def.name)

    def python_name(name: str) -> str:
        return renames.get(name, name + "_" if keyword.iskeyword(name) else name)

    inferred = set()
    inputs = []
    for arg in op_def.input_arg:
        if arg.number_attr:
            inferred.add(arg.number_attr)
            list_of = ("N", arg.number_attr)
        elif arg.type_list_attr:
            inferred.add(arg.type_list_attr)
            list_of = ("types", arg.type_list_attr)
        else:
            list_of = None
        if arg.type_attr:
            inferred.add(arg.type_attr)
            dtype = ("attr", arg.type_attr)
        elif arg.type != 0:
            dtype = ("fixed", dtypes.as_dtype(arg.type).name)
        else:
            dtype = None
        inputs.append((python_name(arg.name), arg.name, dtype, list_of, arg.is_ref))
    outputs = []
    for k, arg in enumerate(op_def.output_arg):
        name = fields[k] if fields and len(fields) == len(op_def.output_arg) else arg.name
        if arg.number_attr:
            outputs.append((name, ("N", arg.number_attr)))
        elif arg.type_list_attr:
            outputs.append((name, ("types", arg.type_list_attr)))
        else:
            outputs.append((name, None))
    attrs = []
    for attr in op_def.attr:
        py_name = python_name(attr.name)
        default = (wrapper_default(params[py_name]) if py_name in params
                   else default_of(attr))
        attrs.append((py_name, attr.name, attr.type, default, attr.name in inferred))
    return tuple(inputs), tuple(outputs), tuple(attrs), tuple(params)


def main() -> None:
    names = sorted(n for n in dir(tf.raw_ops) if not n.startswith("_"))
    table = {}
    for name in names:
        op_def = op_def_registry.get(name)
        if op_def is None or not symgrad_knows(name):
            continue
        table[name] = entry(op_def)
    body = pprint.pformat(table, width=100, sort_dicts=True)
    OUT.write_text(
        '"""Generated by scripts/gen_raw_op_defs.py from TensorFlow '
        f'{tf.__version__}\'s op registry: for each op\ntype symgrad builds, its inputs '
        "(Python name, TF name, dtype rule, list rule, is ref), its\noutputs (name, list "
        "rule) and its attributes (Python name, TF name, type, default, inferred\nfrom the "
        "inputs), and the Python wrapper's parameters in order. Do not edit by hand."
        '"""\n'
        "# fmt: off\n# ruff: noqa\n"
        "REQUIRED = object()\n\n"
        f"OP_DEFS = {body}\n")
    print(f"{len(table)} of {len(names)} op types written to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
