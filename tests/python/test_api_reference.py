"""docs/api.md must keep up with the code.

Fails when a public name (``symgrad.__all__``, ``symgrad.nn``, ``symgrad.errors``, or a public
attribute of a documented class) is not mentioned in docs/api.md, when a signature written there
no longer matches ``inspect.signature``, or when the Rust quick start in the docs and
examples/rust_quickstart.rs drift apart.
"""

from __future__ import annotations

import enum
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

import symgrad
import symgrad.errors
import symgrad.nn

ROOT = Path(__file__).resolve().parents[2]
API_DOC = ROOT / "docs" / "api.md"
RUST_EXAMPLE = ROOT / "examples" / "rust_quickstart.rs"

# Classes whose own public attributes and methods must each be documented as `Class.attr`.
DOCUMENTED_CLASSES = [
    symgrad.Graph, symgrad.Operation, symgrad.Tensor, symgrad.TensorShape, symgrad.Dimension,
    symgrad.DType, symgrad.Session, symgrad.InteractiveSession, symgrad.IndexedSlices,
    symgrad.IndexedSlicesValue, symgrad.AggregationMethod, symgrad.UnconnectedGradients,
]


@pytest.fixture(scope="module")
def doc() -> str:
    if not API_DOC.exists():
        pytest.fail(f"{API_DOC} is missing")
    return API_DOC.read_text(encoding="utf-8")


def _mentioned(doc: str, qualname: str) -> bool:
    """True if `qualname` (optionally `symgrad.`-prefixed) starts a code span in the doc."""
    pattern = r"`(?:symgrad\.)?" + re.escape(qualname) + r"(?=[`(\s,.\[=])"
    return re.search(pattern, doc) is not None


def _missing(doc: str, names: list[str]) -> list[str]:
    return [n for n in names if not _mentioned(doc, n)]


def test_every_top_level_name_is_documented(doc: str) -> None:
    assert _missing(doc, list(symgrad.__all__)) == []


def test_every_nn_name_is_documented(doc: str) -> None:
    public = [n for n in dir(symgrad.nn) if not n.startswith("_")]
    names = list(getattr(symgrad.nn, "__all__", public))
    assert _missing(doc, [f"nn.{n}" for n in names]) == []


@pytest.mark.parametrize("module", ["math", "random", "logging", "losses", "linalg", "layers",
                                    "metrics", "train", "gfile", "io.gfile"])
def test_every_tf1_namespace_name_is_documented(doc: str, module: str) -> None:
    namespace: Any = symgrad
    for part in module.split("."):
        namespace = getattr(namespace, part)
    names = namespace.__all__
    assert _missing(doc, [f"{module}.{n}" for n in names]) == []


def test_every_errors_name_is_documented(doc: str) -> None:
    assert _missing(doc, [f"errors.{n}" for n in symgrad.errors.__all__]) == []


@pytest.mark.parametrize("cls", DOCUMENTED_CLASSES, ids=lambda c: c.__name__)
def test_every_public_class_attribute_is_documented(doc: str, cls: type) -> None:
    names = [f"{cls.__name__}.{n}" for n in vars(cls) if not n.startswith("_")]
    assert _missing(doc, names) == []


# ----- signatures -----
def render_signature(obj: Any, drop_first: bool = False) -> str:
    """The signature as docs/api.md writes it: no annotations, enum defaults by name.

    ``drop_first`` drops ``self`` of a method looked up on its class.
    """
    params = list(inspect.signature(obj).parameters.values())
    if drop_first:
        params = params[1:]
    out: list[str] = []
    star_done = False
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            out.append("*" + p.name)
            star_done = True
        elif p.kind is p.VAR_KEYWORD:
            out.append("**" + p.name)
        else:
            if p.kind is p.KEYWORD_ONLY and not star_done:
                out.append("*")
                star_done = True
            if p.default is p.empty:
                out.append(p.name)
            elif isinstance(p.default, enum.Enum):
                out.append(f"{p.name}={type(p.default).__name__}.{p.default.name}")
            elif isinstance(p.default, symgrad.DType):
                out.append(f"{p.name}={p.default.name}")
            else:
                out.append(f"{p.name}={p.default!r}")
    return ", ".join(out)


# "- `qualified.name(signature)`" at the start of a list item, in the reference part.
_ENTRY = re.compile(r"^- `((?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*)\((.*?)\)`", re.MULTILINE)


def _documented_signatures(doc: str) -> list[tuple[str, str]]:
    reference = doc.split("## Differences from TensorFlow")[0]
    return _ENTRY.findall(reference)


def _resolve(qualname: str) -> tuple[Any, bool]:
    """The object named ``qualname`` under ``symgrad``, and whether it is an instance method
    looked up on its class (whose first parameter, ``self``, the docs leave out)."""
    parent: Any = None
    obj: Any = symgrad
    for part in qualname.split("."):
        parent, obj = obj, getattr(obj, part)
    is_method = False
    if inspect.isclass(parent):
        raw = next((vars(k)[part] for k in parent.__mro__ if part in vars(k)), None)
        is_method = inspect.isfunction(raw)
    return obj, is_method


def test_documented_signatures_match_the_code(doc: str) -> None:
    entries = _documented_signatures(doc)
    assert len(entries) > 100, "the signature entries of docs/api.md were not found"
    wrong = []
    for qualname, written in entries:
        try:
            obj, is_method = _resolve(qualname)
        except AttributeError:
            wrong.append(f"{qualname}: documented but does not exist")
            continue
        actual = render_signature(obj, drop_first=is_method)
        if actual != written:
            wrong.append(f"{qualname}({written}) should be {qualname}({actual})")
    assert wrong == []


def test_rust_quickstart_matches_the_example_file(doc: str) -> None:
    blocks = re.findall(r"```rust\n(.*?)```", doc, re.DOTALL)
    assert blocks, "no Rust code block in docs/api.md"
    example = RUST_EXAMPLE.read_text(encoding="utf-8")
    assert blocks[0].strip() in example
