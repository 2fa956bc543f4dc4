"""``tf.TensorArray`` without a variant dtype: the array is a dense tensor.

TF 2 keeps a ``TensorArray``'s elements in a ``TensorList`` (a variant scalar, its ``flow``).
symgrad has no variant dtype, so an array's value is one ordinary tensor, its *buffer*, shaped
``[rows, *element_shape]``, and every operation is an ordinary differentiable op on it:
``write``/``scatter`` are ``TensorScatterUpdate``, ``read``/``gather`` are ``GatherV2``,
``stack`` is the buffer, ``unstack`` makes the buffer. Gradients then flow through the ops
that made it, inside loops too, with no special gradient code.

An array has no buffer until its element shape is known: at construction when
``element_shape`` is fully defined, else at the first write (the buffer is then zeros of
``[size] + shape(value)``, so dimensions unknown until run time are fine). A
``dynamic_size`` array grows (zero-padded) to the largest index written.

In ``while_loop`` (TF accepts arrays in ``loop_vars``) an array is carried in one of two ways:

- an array with a buffer and a fixed size is an ordinary loop variable (its buffer): the body
  may read, write, stack, ... as anywhere;
- an array without a buffer yet, or of ``dynamic_size``, is *collected*: the body sees an array
  that records what it writes (``write``, ``scatter``, ``unstack``), the ``While`` op stacks the
  indices and values written per iteration (``WhileOp::collected``, as for ``map_fn``), and
  after the loop they are scattered into the array in iteration order. The body cannot read
  such an array (``NotImplementedError``); pass a fully defined ``element_shape`` (and no
  ``dynamic_size``) to read in the loop what it wrote.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import numpy as np

from . import dtypes as _dtypes
from ._op_helpers import op_scope
from .constant_op import constant, convert_to_tensor
from .framework import Operation, Tensor
from .tensor_shape import TensorShape, as_shape

__all__ = ["TensorArray"]

_Entry = tuple[Tensor, Tensor]  # (indices [m], values [m, *element_shape])


def _static_int(value: Any) -> Optional[int]:
    if isinstance(value, Tensor):
        if value.op.type == "Const":
            return int(np.asarray(value.op.get_attr("value")))
        return None
    if value is None:
        return None
    return int(value)


class TensorArray:
    """A list of same-dtype, same-shape tensors, written and read by index; each write
    returns a new ``TensorArray`` (use it, as in TF)."""

    def __init__(self, dtype: Any, size: Any = None, dynamic_size: Any = None,
                 clear_after_read: Any = None, tensor_array_name: Optional[str] = None,
                 handle: Any = None, flow: Any = None, infer_shape: bool = True,
                 element_shape: Any = None, colocate_with_first_write_call: bool = True,
                 name: Optional[str] = None) -> None:
        if handle is not None:
            raise ValueError("symgrad's TensorArray has no handle: pass `flow` (its buffer)")
        if flow is None and size is None:
            raise ValueError(
                "Argument `size` must be provided if argument `flow` is not provided.")
        if flow is not None and size is not None:
            raise ValueError(
                "Cannot provide both `flow` and `size` arguments at the same time.")
        if flow is not None and element_shape is not None:
            raise ValueError("Cannot provide both `flow` and `element_shape` argumentsat the "
                             "same time.")
        self._dtype = _dtypes.as_dtype(dtype).base_dtype
        self._dynamic_size = bool(dynamic_size)
        self._infer_shape = infer_shape
        # Shared by every array made from this one (TF shares it too): a shape learnt from a
        # write, even inside a loop body, is known to the array the loop returns.
        self._element_shape = [as_shape(element_shape)]
        self._size = size
        self._buffer: Optional[Tensor] = None
        # Writes recorded by an array collected in a loop body (not applied to a buffer).
        self._collecting = False
        self._writes: tuple[_Entry, ...] = ()
        self._name = name
        with op_scope(name, "TensorArrayV2", [] if size is None else [size]):
            if flow is not None:
                buffer = convert_to_tensor(flow)
                if buffer.dtype is not self._dtype or buffer.shape.rank == 0:
                    raise TypeError(
                        f"Expected `flow` to be a {self._dtype.name} tensor of rank >= 1 (the "
                        f"array's buffer), but received {buffer}")
                self._buffer = buffer
                self._element_shape[0] = buffer.shape[1:]

    # ----- what the array is -----

    @property
    def dtype(self) -> _dtypes.DType:
        return self._dtype

    @property
    def element_shape(self) -> TensorShape:
        return self._element_shape[0]

    @property
    def dynamic_size(self) -> bool:
        return self._dynamic_size

    @property
    def handle(self) -> None:
        return None

    @property
    def flow(self) -> Tensor:
        """The buffer ``[rows, *element_shape]`` (TF: the ``TensorList`` variant)."""
        return self._materialized("flow")

    def _derived(self, buffer: Optional[Tensor], writes: tuple[_Entry, ...] = ()
                 ) -> "TensorArray":
        """An array like this one with another buffer (TF's ``build_ta_with_new_flow``)."""
        out = TensorArray.__new__(TensorArray)
        out.__dict__.update(self.__dict__)
        out._buffer = buffer
        out._writes = writes
        return out

    def _zeros(self, rows: Any, like: Optional[Tensor] = None) -> Tensor:
        """Zeros of ``[rows, *element_shape]``; with ``like`` (values ``[m, *shape]``) the
        element shape is ``like``'s at run time."""
        from .array_ops import concat, expand_dims, shape, zeros
        rows_t = convert_to_tensor(rows, dtype=_dtypes.int32)
        if like is not None:
            dims = concat([expand_dims(rows_t, 0), shape(like)[1:]], 0)
        elif self.element_shape.is_fully_defined():
            elem = [int(d) for d in self.element_shape.as_list() if d is not None]
            dims = concat([expand_dims(rows_t, 0), constant(elem, dtype=_dtypes.int32)], 0)
        else:
            raise ValueError(
                "Tried to build a TensorArray's elements with a non-fully-defined "
                f"element_shape: {self.element_shape}")
        value = zeros(dims, dtype=self._dtype)
        value.set_shape(TensorShape([_static_int(rows)]).concatenate(self.element_shape))
        return value

    def _check_element_shape(self, shape: TensorShape) -> None:
        if not shape.is_compatible_with(self.element_shape):
            raise ValueError(f"Inconsistent shapes: saw {shape} but expected "
                             f"{self.element_shape} ")
        if self._infer_shape:
            self._element_shape[0] = self.element_shape.merge_with(shape)

    def _value(self, value: Any) -> Tensor:
        if isinstance(value, Tensor):
            tensor = value
        else:
            tensor = convert_to_tensor(value, dtype=self._dtype, name="value")
        if tensor.dtype.base_dtype is not self._dtype:
            raise TypeError(f"Input 'item' of 'TensorListSetItem' Op has type "
                            f"{tensor.dtype.name} that does not match expected type of "
                            f"{self._dtype.name}.")
        return tensor

    def _not_in_loop(self, what: str) -> None:
        if self._collecting:
            raise NotImplementedError(
                f"TensorArray.{what}() inside the while_loop body that writes the array: "
                "symgrad collects the writes of an array that enters the loop without "
                "elements (or with a dynamic size) and applies them after the loop. To read "
                "the array inside the loop, write (or unstack) it before the loop, with a "
                "fixed size")

    def _materialized(self, what: str) -> Tensor:
        self._not_in_loop(what)
        if self._buffer is None:
            # Elements never written are zeros, as TF reads them. Not kept: the zeros may be
            # made inside a loop or cond that the array itself is outside of.
            return self._zeros(self._size)
        return self._buffer

    def _rows(self) -> Tensor:
        from .array_ops import shape
        return shape(self._materialized("size"))[0]

    def _apply(self, indices: Tensor, values: Tensor) -> "TensorArray":
        """The array with ``values[k]`` written at ``indices[k]``, in order."""
        from .array_ops import expand_dims, pad, shape, stack
        from .layout_ops import tensor_scatter_nd_update
        from .math_ops import add, maximum, reduce_max, subtract
        if self._collecting:
            return self._derived(None, self._writes + ((indices, values),))
        base = self._buffer
        if base is None:
            if self.element_shape.is_fully_defined():
                base = self._zeros(self._size)
            else:
                base = self._zeros(self._size, like=values)
        if self._dynamic_size:
            current = shape(base)[0]
            needed = maximum(current, add(reduce_max(indices), 1))
            paddings = [stack([0, subtract(needed, current)])]
            paddings += [constant([0, 0], dtype=_dtypes.int32)] * (values.shape.rank - 1
                                                                  if values.shape.rank
                                                                  else 0)
            base = pad(base, stack(paddings))
        buffer = tensor_scatter_nd_update(base, expand_dims(indices, -1), values)
        return self._derived(buffer)

    # ----- TF's methods -----

    def identity(self) -> "TensorArray":
        from .array_ops import identity
        if self._buffer is None:
            return self._derived(None, self._writes)
        return self._derived(identity(self._buffer))

    def grad(self, source: Any, flow: Any = None, name: Optional[str] = None) -> Any:
        raise NotImplementedError()

    def read(self, index: Any, name: Optional[str] = None) -> Tensor:
        """Element ``index`` (``GatherV2`` of the buffer)."""
        from .array_ops import gather
        with op_scope(name, "TensorArrayV2Read", [index]):
            buffer = self._materialized("read")
            value = gather(buffer, convert_to_tensor(index, dtype=_dtypes.int32))
            value.set_shape(self.element_shape)
            return value

    def write(self, index: Any, value: Any, name: Optional[str] = None) -> "TensorArray":
        """The array with ``value`` at ``index``."""
        from .array_ops import expand_dims, reshape
        with op_scope(name, "TensorArrayV2Write", [index, value]):
            tensor = self._value(value)
            self._check_element_shape(tensor.shape)
            index_t = reshape(convert_to_tensor(index, dtype=_dtypes.int32), [1])
            return self._apply(index_t, expand_dims(tensor, 0))

    def stack(self, name: Optional[str] = None) -> Tensor:
        """All elements stacked along a new axis 0."""
        from .array_ops import identity
        with op_scope(name, "TensorArrayV2Stack", []):
            value = identity(self._materialized("stack"), name="TensorListStack")
            rows = None if self._dynamic_size else _static_int(self._size)
            value.set_shape(TensorShape([rows]).concatenate(self.element_shape))
            return value

    def gather(self, indices: Any, name: Optional[str] = None) -> Tensor:
        """The elements at ``indices``, stacked."""
        from .array_ops import gather
        with op_scope(name, "TensorArrayV2Gather", [indices]):
            idx = convert_to_tensor(indices, dtype=_dtypes.int32)
            value = gather(self._materialized("gather"), idx)
            value.set_shape(idx.shape.concatenate(self.element_shape))
            return value

    def concat(self, name: Optional[str] = None) -> Tensor:
        """The elements concatenated along their axis 0 (all of one shape here)."""
        from .array_ops import concat, reshape, shape
        with op_scope(name, "TensorArrayV2Concat", []):
            buffer = self._materialized("concat")
            if buffer.shape.rank is not None and buffer.shape.rank < 2:
                raise ValueError("Concat requires elements of rank >= 1, but the element "
                                 f"shape is {self.element_shape}")
            dims = concat([constant([-1], dtype=_dtypes.int32), shape(buffer)[2:]], 0)
            value = reshape(buffer, dims)
            if self.element_shape.rank is not None:
                value.set_shape(TensorShape([None]).concatenate(self.element_shape[1:]))
            return value

    def unstack(self, value: Any, name: Optional[str] = None) -> "TensorArray":
        """The array whose elements are ``value``'s rows."""
        from .array_ops import identity
        from .math_ops import range as _range
        from .array_ops import shape
        with op_scope(name, "TensorArrayUnstack", [value]):
            tensor = self._value(value)
            if tensor.shape.rank == 0:
                raise ValueError("Shape must be at least rank 1 but is rank 0")
            self._check_element_shape(tensor.shape[1:])
            if self._collecting:
                return self._apply(_range(shape(tensor)[0]), tensor)
            return self._derived(identity(tensor, name="TensorListFromTensor"))

    def scatter(self, indices: Any, value: Any, name: Optional[str] = None) -> "TensorArray":
        """The array with ``value[k]`` written at ``indices[k]``."""
        with op_scope(name, "TensorArrayScatter", [indices, value]):
            tensor = self._value(value)
            if tensor.shape.rank == 0:
                raise ValueError("Shape must be at least rank 1 but is rank 0")
            self._check_element_shape(tensor.shape[1:])
            return self._apply(convert_to_tensor(indices, dtype=_dtypes.int32), tensor)

    def split(self, value: Any, lengths: Any, name: Optional[str] = None) -> "TensorArray":
        """The array whose elements are consecutive pieces of ``value`` along axis 0, of the
        given ``lengths`` (all equal here: the buffer is dense)."""
        from .array_ops import reshape, shape
        with op_scope(name, "TensorArraySplit", [value, lengths]):
            tensor = self._value(value)
            lengths_t = convert_to_tensor(lengths)
            known = (np.asarray(lengths_t.op.get_attr("value"))
                     if lengths_t.op.type == "Const" else None)
            if known is None or known.ndim != 1 or (known.size and known.min() != known.max()):
                raise NotImplementedError(
                    "TensorArray.split needs constant, equal lengths in symgrad (its elements "
                    "share one shape)")
            count = int(known.size)
            piece = int(known[0]) if count else 0
            self._check_element_shape(TensorShape([piece]).concatenate(tensor.shape[1:]))
            rows = reshape(tensor, _split_dims(count, piece, shape(tensor)))
            return self.unstack(rows)

    def size(self, name: Optional[str] = None) -> Tensor:
        """The number of elements (int32 scalar)."""
        if not self._dynamic_size and self._size is not None:
            return convert_to_tensor(self._size, dtype=_dtypes.int32)
        with op_scope(name, "TensorListLength", []):
            return self._rows()

    def close(self, name: Optional[str] = None) -> Operation:
        from .control_flow_ops import no_op
        return no_op(name=name)

    def __repr__(self) -> str:
        return (f"<symgrad.TensorArray dtype={self._dtype.name} "
                f"element_shape={self.element_shape}>")


def _split_dims(count: int, piece: int, shape: Tensor) -> Tensor:
    from .array_ops import concat
    return concat([constant([count, piece], dtype=_dtypes.int32), shape[1:]], 0)


# ----- TensorArrays as while_loop variables -----

def _is_array(value: Any) -> bool:
    return isinstance(value, TensorArray)


def has_arrays(flat: Sequence[Any]) -> bool:
    return any(_is_array(v) for v in flat)


def while_loop_with_arrays(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Any,
                           shape_invariants: Any, parallel_iterations: int,
                           name: Optional[str], maximum_iterations: Any) -> Any:
    """``while_loop`` whose ``loop_vars`` hold ``TensorArray``s (see the module docstring):
    returns the loop's results packed like ``loop_vars``."""
    from .array_ops import concat, reshape, shape
    from .cond_ops import _flatten, _pack_as
    from .while_ops import _build_while
    flat = _flatten(loop_vars)
    # Per flat position: "tensor", "buffer" (an array carried as its buffer) or "collect".
    kinds = []
    for v in flat:
        if not _is_array(v):
            kinds.append("tensor")
        elif v._buffer is not None and not v._dynamic_size and not v._collecting:
            kinds.append("buffer")
        else:
            kinds.append("collect")
    carried = [v._buffer if k == "buffer" else v for v, k in zip(flat, kinds)
               if k != "collect"]
    invariants = None
    if shape_invariants is not None:
        flat_inv = _flatten(shape_invariants)
        if len(flat_inv) == len(flat):
            invariants = [inv if k == "tensor" else v._buffer.shape
                          for inv, v, k in zip(flat_inv, flat, kinds) if k != "collect"]
    collected_counts: list[int] = []

    def unflatten(args: list[Any]) -> Any:
        it = iter(args)
        values = []
        for v, k in zip(flat, kinds):
            if k == "tensor":
                values.append(next(it))
            elif k == "buffer":
                values.append(v._derived(next(it)))
            else:
                arg = v._derived(None)
                arg._collecting = True
                values.append(arg)
        return _pack_as(loop_vars, values)

    def loop_cond(*args: Any) -> Any:
        return cond(*_as_args(unflatten(list(args))))

    def loop_body(*args: Any) -> tuple[list[Any], list[Any]]:
        result = body(*_as_args(unflatten(list(args))))
        if not isinstance(result, (list, tuple)):
            result = [result]
        flat_result = _flatten(list(result))
        if len(flat_result) != len(flat):
            from .while_ops import _structure_error
            problem = _structure_error(list(result), list(loop_vars))
            raise ValueError(problem or "The two structures don't have the same nested "
                             "structure.")
        next_vars: list[Any] = []
        per_iteration: list[Tensor] = []
        for r, k in zip(flat_result, kinds):
            if k == "tensor":
                next_vars.append(r)
                continue
            if not _is_array(r):
                raise TypeError(f"The body returned {r} where the loop variable is a "
                                "TensorArray")
            if k == "buffer":
                next_vars.append(r._materialized("write"))
                continue
            collected_counts.append(len(r._writes))
            for indices, values in r._writes:
                per_iteration += [indices, values]
        return next_vars, per_iteration

    packed, stacked = _build_while(
        loop_cond, loop_body, carried, invariants, parallel_iterations, name,
        maximum_iterations, collect=True)
    it = iter(list(packed))
    stacks = iter(stacked)
    counts = iter(collected_counts)
    results = []
    for v, k in zip(flat, kinds):
        if k == "tensor":
            results.append(next(it))
        elif k == "buffer":
            results.append(v._derived(next(it)))
        else:
            count = next(counts)
            if count == 0:
                results.append(v)
                continue
            parts = [(next(stacks), next(stacks)) for _ in range(count)]
            # Iteration-major order, so a later write to an index wins.
            indices = reshape(concat([i for i, _ in parts], 1), [-1])
            values_all = concat([x for _, x in parts], 1)
            values = reshape(values_all, concat(
                [constant([-1], dtype=_dtypes.int32), shape(values_all)[2:]], 0))
            values.set_shape(TensorShape([None]).concatenate(v.element_shape))
            results.append(v._apply(indices, values))
    return _pack_as(loop_vars, results)


def _as_args(packed: Any) -> list[Any]:
    return list(packed)
