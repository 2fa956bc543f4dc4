"""``tf.nest``: nested structures of lists, tuples, namedtuples and dicts.

As TF's ``nest``: lists, tuples (namedtuples included) and mappings are structure, anything
else (tensors, arrays, strings, ``None``) is a leaf; a mapping's values flatten in sorted
key order and are packed back into the mapping's own type and key order. Everything is
iterative, so deep structures do not reach Python's recursion limit.
"""

from __future__ import annotations

import collections.abc
from typing import Any, Callable, Iterator

__all__ = ["is_nested", "flatten", "pack_sequence_as", "map_structure",
           "assert_same_structure"]


def is_nested(seq: Any) -> bool:
    """Whether ``seq`` is a structure (a list, tuple or mapping) rather than a leaf."""
    return isinstance(seq, (list, tuple, collections.abc.Mapping))


def _sorted_keys(mapping: Any) -> list[Any]:
    try:
        return sorted(mapping)
    except TypeError:
        raise TypeError("nest only supports dicts with sortable keys.") from None


def _children(seq: Any) -> list[Any]:
    if isinstance(seq, collections.abc.Mapping):
        return [seq[k] for k in _sorted_keys(seq)]
    return list(seq)


def _rebuild(template: Any, children: list[Any]) -> Any:
    if isinstance(template, collections.abc.Mapping):
        by_key = dict(zip(_sorted_keys(template), children))
        if isinstance(template, collections.defaultdict):
            out = type(template)(template.default_factory)
            out.update((k, by_key[k]) for k in template)
            return out
        return type(template)((k, by_key[k]) for k in template)
    if isinstance(template, tuple) and hasattr(template, "_fields"):
        return type(template)(*children)
    return type(template)(children)


def flatten(structure: Any, expand_composites: bool = False) -> list[Any]:
    """The leaves of ``structure``, depth first; a leaf alone is ``[leaf]``."""
    del expand_composites
    out: list[Any] = []
    stack = [structure]
    while stack:
        item = stack.pop()
        if is_nested(item):
            stack.extend(reversed(_children(item)))
        else:
            out.append(item)
    return out


def _count_leaves(structure: Any) -> int:
    return len(flatten(structure))


def pack_sequence_as(structure: Any, flat_sequence: Any,
                     expand_composites: bool = False) -> Any:
    """``flat_sequence``'s items put into the shape of ``structure``."""
    del expand_composites
    if not is_nested(flat_sequence):
        raise TypeError(f"Attempted to pack value:\n  {flat_sequence}\ninto a structure, but "
                        f"found incompatible type `{type(flat_sequence)}` instead.")
    flat = list(flat_sequence)
    if not is_nested(structure):
        if len(flat) != 1:
            raise ValueError(f"The target structure is of type `{type(structure)}`\n  "
                             f"{structure}\nHowever the input is a sequence "
                             f"({type(flat_sequence)}) of length {len(flat)}.\n  "
                             f"{flat_sequence}\nnest cannot guarantee that it is safe to map "
                             "one to the other.")
        return flat[0]
    leaves = _count_leaves(structure)
    if leaves != len(flat):
        raise ValueError(f"Could not pack sequence. Structure had {leaves} atoms, but "
                         f"flat_sequence had {len(flat)} items.  Structure: {structure}, "
                         f"flat_sequence: {flat_sequence}.")
    items: Iterator[Any] = iter(flat)
    # Post-order without recursion: each structure is rebuilt once its children are.
    # A frame's children wait reversed, so the next one is popped from the end.
    stack: list[tuple[Any, list[Any]]] = [(structure, _children(structure)[::-1])]
    built: list[list[Any]] = [[]]
    while True:
        node, pending = stack[-1]
        if pending:
            child = pending.pop()
            if is_nested(child):
                stack.append((child, _children(child)[::-1]))
                built.append([])
            else:
                built[-1].append(next(items))
            continue
        stack.pop()
        made = _rebuild(node, built.pop())
        if not stack:
            return made
        built[-1].append(made)


class _Dot:
    """A leaf's stand-in when TF prints a structure's shape (``[., (., .)]``)."""

    def __repr__(self) -> str:
        return "."


def _described(value: Any) -> str:
    return f"type={type(value).__name__} str={value}"


def _mismatch(nest1: Any, nest2: Any, detail: str) -> str:
    """TF 2.21's text for two structures that differ: both, the difference, their shapes."""
    dot = _Dot()
    return ("The two structures don't have the same nested structure.\n\n"
            f"First structure: {_described(nest1)}\n\n"
            f"Second structure: {_described(nest2)}\n\n"
            f"More specifically: {detail}\n"
            f"Entire first structure:\n{map_structure(lambda _: dot, nest1)!r}\n"
            f"Entire second structure:\n{map_structure(lambda _: dot, nest2)!r}")


def assert_same_structure(nest1: Any, nest2: Any, check_types: bool = True,
                          expand_composites: bool = False) -> None:
    """``ValueError`` unless both have the same nesting and lengths; with ``check_types``,
    ``TypeError`` where their sequence types differ. TF 2.21's messages."""
    del expand_composites
    stack = [(nest1, nest2)]
    while stack:
        a, b = stack.pop()
        if is_nested(a) != is_nested(b):
            seq, leaf = (a, b) if is_nested(a) else (b, a)
            raise ValueError(_mismatch(nest1, nest2, (
                f'Substructure "{_described(seq)}" is a sequence, while substructure '
                f'"{_described(leaf)}" is not')))
        if not is_nested(a):
            continue
        mappings = isinstance(a, collections.abc.Mapping) and isinstance(
            b, collections.abc.Mapping)
        if check_types and type(a) is not type(b) and not mappings:
            raise TypeError(_mismatch(nest1, nest2, (
                "The two namedtuples don't have the same sequence type. First structure "
                f"{_described(a)} has type {type(a).__name__}, while second structure "
                f"{_described(b)} has type {type(b).__name__}")))
        if mappings and set(a) != set(b):
            raise ValueError(_mismatch(nest1, nest2, (
                "The two dictionaries don't have the same set of keys. First structure has "
                f"keys {_described(list(a.keys()))}, while second structure has keys "
                f"{_described(list(b.keys()))}")))
        ca, cb = _children(a), _children(b)
        if len(ca) != len(cb):
            raise ValueError(_mismatch(nest1, nest2, (
                "The two structures don't have the same number of elements. First "
                f"structure: {_described(a)}. Second structure: {_described(b)}")))
        stack.extend(reversed(list(zip(ca, cb))))


def map_structure(func: Callable[..., Any], *structure: Any, **kwargs: Any) -> Any:
    """``func`` applied to the leaves at each place of the (same-shaped) structures, packed
    into the first one's shape. Keyword arguments: ``check_types`` (default True),
    ``expand_composites``."""
    if not callable(func):
        raise TypeError(f"func must be callable, got: {func}")
    if not structure:
        raise ValueError("Must provide at least one structure")
    check_types = kwargs.pop("check_types", True)
    kwargs.pop("expand_composites", None)
    if kwargs:
        raise ValueError("Only valid keyword arguments are `check_types` and "
                         f"`expand_composites`, not: `{'`, `'.join(kwargs)}`")
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types=check_types)
    flats = [flatten(s) for s in structure]
    return pack_sequence_as(structure[0], [func(*leaves) for leaves in zip(*flats)])
