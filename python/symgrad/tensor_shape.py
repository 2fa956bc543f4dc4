"""Static shapes (``tf.TensorShape``), with TF 2.x semantics: dims are ``int`` or ``None``."""

from __future__ import annotations

import operator
import sys
from typing import Any, Iterator, Optional, Sequence, Union, overload

__all__ = ["Dimension", "TensorShape", "as_shape", "unknown_shape", "dimension_value",
           "as_dimension", "enable_v2_tensorshape", "disable_v2_tensorshape"]


class Dimension:
    """One dimension of a shape; ``value`` is an ``int`` or ``None`` (unknown).

    TF 2 code sees plain ints from ``shape[i]``; after ``disable_v2_tensorshape()`` (which
    ``disable_v2_behavior()`` calls) user code sees ``Dimension``s there, as TF 1 programs
    expect (``x.shape[1].value``), with TF's arithmetic and comparisons: an unknown
    operand makes an unknown result (``None`` for comparisons).
    """

    __slots__ = ("_value",)

    def __init__(self, value: Any) -> None:
        self._value = _dim_value(value)

    @property
    def value(self) -> Optional[int]:
        return self._value

    def __int__(self) -> int:
        if self._value is None:
            raise TypeError("Cannot convert an unknown Dimension to an int")
        return self._value

    __index__ = __int__

    def __float__(self) -> float:
        return float(int(self))

    def __eq__(self, other: Any) -> Any:
        try:
            other_value = dimension_value(as_dimension(other))
        except (TypeError, ValueError):
            return NotImplemented
        if self._value is None or other_value is None:
            return None
        return self._value == other_value

    def __ne__(self, other: Any) -> Any:
        equal = self.__eq__(other)
        return equal if equal is None or equal is NotImplemented else not equal

    def _compare(self, other: Any, op: Any) -> Optional[bool]:
        other_value = dimension_value(as_dimension(other))
        if self._value is None or other_value is None:
            return None
        return bool(op(self._value, other_value))

    def __lt__(self, other: Any) -> Optional[bool]:
        return self._compare(other, operator.lt)

    def __le__(self, other: Any) -> Optional[bool]:
        return self._compare(other, operator.le)

    def __gt__(self, other: Any) -> Optional[bool]:
        return self._compare(other, operator.gt)

    def __ge__(self, other: Any) -> Optional[bool]:
        return self._compare(other, operator.ge)

    def _combine(self, other: Any, op: Any) -> "Dimension":
        try:
            other_value = dimension_value(as_dimension(other))
        except (TypeError, ValueError):
            return NotImplemented
        if self._value is None or other_value is None:
            return Dimension(None)
        return Dimension(op(self._value, other_value))

    def __add__(self, other: Any) -> "Dimension":
        return self._combine(other, operator.add)

    def __radd__(self, other: Any) -> "Dimension":
        return self._combine(other, operator.add)

    def __sub__(self, other: Any) -> "Dimension":
        return self._combine(other, operator.sub)

    def __rsub__(self, other: Any) -> "Dimension":
        return as_dimension(other)._combine(self, operator.sub)

    def __mul__(self, other: Any) -> "Dimension":
        return self._combine(other, operator.mul)

    def __rmul__(self, other: Any) -> "Dimension":
        return self._combine(other, operator.mul)

    def __floordiv__(self, other: Any) -> "Dimension":
        return self._combine(other, operator.floordiv)

    def __rfloordiv__(self, other: Any) -> "Dimension":
        return as_dimension(other)._combine(self, operator.floordiv)

    def __mod__(self, other: Any) -> "Dimension":
        return self._combine(other, operator.mod)

    def __rmod__(self, other: Any) -> "Dimension":
        return as_dimension(other)._combine(self, operator.mod)

    # Unhashable, as TF's (it defines equality without a hash).
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Dimension({self._value!r})"

    def __str__(self) -> str:
        return "?" if self._value is None else str(self._value)

    def __reduce__(self) -> Any:
        return Dimension, (self._value,)

    def is_compatible_with(self, other: Any) -> bool:
        other_value = dimension_value(other)
        return self._value is None or other_value is None or self._value == other_value

    def assert_is_compatible_with(self, other: Any) -> None:
        if not self.is_compatible_with(other):
            raise ValueError(f"Dimensions {self} and {as_dimension(other)} are not "
                             "compatible")

    def merge_with(self, other: Any) -> "Dimension":
        other = as_dimension(other)
        self.assert_is_compatible_with(other)
        return Dimension(other.value if self._value is None else self._value)


def as_dimension(value: Any) -> Dimension:
    """``value`` (an int, None or Dimension) as a ``Dimension``."""
    return value if isinstance(value, Dimension) else Dimension(value)


_V2_TENSORSHAPE = [True]


def enable_v2_tensorshape() -> None:
    """``shape[i]`` gives ints (``None`` when unknown), as TF 2."""
    _V2_TENSORSHAPE[0] = True


def disable_v2_tensorshape() -> None:
    """``shape[i]`` gives ``Dimension``s (``.value``), as TF 1."""
    _V2_TENSORSHAPE[0] = False


def _dimensions_for_caller() -> bool:
    """Whether ``shape[i]`` should give a ``Dimension``: TF 1 behaviour is on and the
    caller is the program, not symgrad itself (whose code reads ints in both modes)."""
    if _V2_TENSORSHAPE[0]:
        return False
    caller = sys._getframe(2).f_globals.get("__name__", "")
    return not (caller == "symgrad" or caller.startswith("symgrad."))


def _dim_value(value: Any) -> Optional[int]:
    """Normalises one dimension: int-like → int ≥ 0, None/Dimension(None) → None."""
    if value is None:
        return None
    if isinstance(value, Dimension):
        return value.value
    if isinstance(value, float) or isinstance(value, str):
        raise TypeError(
            "Dimension value must be integer or None or have an __index__ method, "
            f"got value '{value!r}' with type '{type(value)!r}'")
    try:
        as_int = operator.index(value)
    except TypeError:
        raise TypeError(
            "Dimension value must be integer or None or have an __index__ method, "
            f"got value '{value!r}' with type '{type(value)!r}'") from None
    if as_int < 0:
        raise ValueError(f"Dimension {as_int} must be >= 0")
    return as_int


def dimension_value(dimension: Any) -> Optional[int]:
    """The int (or None) value of a dimension given as an int, None or Dimension."""
    if isinstance(dimension, Dimension):
        return dimension.value
    return None if dimension is None else operator.index(dimension)


ShapeLike = Union["TensorShape", Sequence[Any], None, int]


class TensorShape:
    """A possibly partial static shape: unknown rank (``dims is None``) or a list of dims."""

    __slots__ = ("_dims",)

    def __init__(self, dims: Any) -> None:
        if dims is None:
            self._dims: Optional[tuple[Optional[int], ...]] = None
        elif isinstance(dims, TensorShape):
            self._dims = dims._dims
        elif isinstance(dims, (str, bytes)):
            raise TypeError(f"Cannot convert {dims!r} to a TensorShape")
        else:
            try:
                items = list(dims)
            except TypeError:
                # A single dimension stands for a rank-1 shape, as in TF.
                items = [dims]
            self._dims = tuple(_dim_value(d) for d in items)

    # ----- basic properties -----
    @property
    def rank(self) -> Optional[int]:
        return None if self._dims is None else len(self._dims)

    @property
    def ndims(self) -> Optional[int]:
        return self.rank

    @property
    def dims(self) -> Optional[list[Dimension]]:
        return None if self._dims is None else [Dimension(d) for d in self._dims]

    def as_list(self) -> list[Optional[int]]:
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def is_fully_defined(self) -> bool:
        return self._dims is not None and all(d is not None for d in self._dims)

    def num_elements(self) -> Optional[int]:
        if not self.is_fully_defined():
            return None
        count = 1
        for d in self._dims or ():
            count *= d  # type: ignore[operator]
        return count

    # ----- sequence protocol -----
    def __len__(self) -> int:
        if self._dims is None:
            raise ValueError("Cannot take the length of shape with unknown rank.")
        return len(self._dims)

    def __iter__(self) -> Iterator[Any]:
        if self._dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        if _dimensions_for_caller():
            return iter([Dimension(d) for d in self._dims])
        return iter(self._dims)

    def __bool__(self) -> bool:
        return self._dims is not None

    @overload
    def __getitem__(self, key: int) -> Optional[int]: ...
    @overload
    def __getitem__(self, key: slice) -> "TensorShape": ...

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            if self._dims is None:
                return TensorShape(None)
            return TensorShape(self._dims[key])
        value = None if self._dims is None else self._dims[key]
        return Dimension(value) if _dimensions_for_caller() else value

    # ----- comparison and combination -----
    def __eq__(self, other: Any) -> Any:
        try:
            other_shape = as_shape(other)
        except (TypeError, ValueError):
            return NotImplemented
        return self._dims == other_shape._dims

    def __ne__(self, other: Any) -> Any:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        return hash(self._dims)

    def is_compatible_with(self, other: Any) -> bool:
        other_shape = as_shape(other)
        if self._dims is None or other_shape._dims is None:
            return True
        if len(self._dims) != len(other_shape._dims):
            return False
        return all(a is None or b is None or a == b
                   for a, b in zip(self._dims, other_shape._dims))

    def assert_is_compatible_with(self, other: Any) -> None:
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {other} are incompatible")

    def merge_with(self, other: Any) -> "TensorShape":
        other_shape = as_shape(other)
        if self._dims is None:
            return other_shape
        if other_shape._dims is None:
            return self
        if not self.is_compatible_with(other_shape):
            raise ValueError(f"Shapes {self} and {other_shape} are not compatible")
        return TensorShape([a if a is not None else b
                            for a, b in zip(self._dims, other_shape._dims)])

    def most_specific_compatible_shape(self, other: Any) -> "TensorShape":
        other_shape = as_shape(other)
        if self._dims is None or other_shape._dims is None \
                or len(self._dims) != len(other_shape._dims):
            return TensorShape(None)
        return TensorShape([a if a == b else None
                            for a, b in zip(self._dims, other_shape._dims)])

    def concatenate(self, other: Any) -> "TensorShape":
        other_shape = as_shape(other)
        if self._dims is None or other_shape._dims is None:
            return TensorShape(None)
        return TensorShape(self._dims + other_shape._dims)

    def __add__(self, other: Any) -> "TensorShape":
        return self.concatenate(other)

    def __radd__(self, other: Any) -> "TensorShape":
        return as_shape(other).concatenate(self)

    def with_rank(self, rank: int) -> "TensorShape":
        if self._dims is None:
            return TensorShape([None] * rank)
        if len(self._dims) != rank:
            raise ValueError(f"Shape {self} must have rank {rank}")
        return self

    def with_rank_at_least(self, rank: int) -> "TensorShape":
        if self._dims is not None and len(self._dims) < rank:
            raise ValueError(f"Shape {self} must have rank at least {rank}")
        return self

    def with_rank_at_most(self, rank: int) -> "TensorShape":
        if self._dims is not None and len(self._dims) > rank:
            raise ValueError(f"Shape {self} must have rank at most {rank}")
        return self

    def assert_has_rank(self, rank: int) -> None:
        if self._dims is not None and len(self._dims) != rank:
            raise ValueError(f"Shape {self} must have rank {rank}")

    def assert_is_fully_defined(self) -> None:
        if not self.is_fully_defined():
            raise ValueError(f"Shape {self} is not fully defined")

    # ----- text -----
    def __repr__(self) -> str:
        if self._dims is None:
            return "TensorShape(None)"
        if not _V2_TENSORSHAPE[0]:
            return f"TensorShape({[Dimension(d) for d in self._dims]!r})"
        return f"TensorShape({list(self._dims)!r})"

    def __str__(self) -> str:
        if self._dims is None:
            return "<unknown>"
        # TF 1 shapes print an unknown dim as "?", TF 2 ones as "None".
        shown = [("?" if d is None else str(d)) if not _V2_TENSORSHAPE[0] else str(d)
                 for d in self._dims]
        if len(shown) == 1:
            return f"({shown[0]},)"
        return "(" + ", ".join(shown) + ")"

    def _shape_text(self) -> str:
        """The C++ shape-inference spelling used in TF's error texts: ``[2,?]``."""
        if self._dims is None:
            return "<unknown>"
        return "[" + ",".join("?" if d is None else str(d) for d in self._dims) + "]"


def as_shape(shape: Any) -> TensorShape:
    """Converts a TensorShape, list, tuple or None to a TensorShape."""
    if isinstance(shape, TensorShape):
        return shape
    return TensorShape(shape)


def unknown_shape(rank: Optional[int] = None) -> TensorShape:
    """A shape of unknown rank, or of known rank with every dim unknown."""
    return TensorShape(None if rank is None else [None] * rank)
