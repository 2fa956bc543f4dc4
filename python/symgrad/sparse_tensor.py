"""Sparse tensors: ``tf.SparseTensor``, its fetched value ``SparseTensorValue``,
``tf.sparse_placeholder`` and ``SparseToDense`` (``tf.sparse.to_dense``, ``tf.sparse_to_dense``).

A ``SparseTensor`` is three tensors: ``indices`` (``int64 [N, rank]``), ``values`` (``[N]``)
and ``dense_shape`` (``int64 [rank]``). ``Session.run`` fetches one as a
``SparseTensorValue`` and feeds one (or an ``(indices, values, dense_shape)`` tuple) into the
three tensors of a ``SparseTensor`` key.

``SparseToDense`` runs on the host: it is a ``PyFunc`` op named as TF's op, with TF's index
checks and messages; its gradient is TF's (``gather_nd`` of the incoming gradient at the
indices for the values, the rest of its sum for ``default_value``), built from
differentiable ops so that higher derivatives work.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

import numpy as np

from . import dtypes as _dtypes
from . import errors
from .constant_op import convert_to_tensor
from .framework import Operation, Tensor, get_default_graph, name_scope
from .tensor_shape import TensorShape

__all__ = ["SparseTensor", "SparseTensorValue", "SparseTensorSpec", "sparse_placeholder",
           "sparse_to_dense", "sparse_tensor_to_dense"]


class SparseTensorValue(NamedTuple):
    """A fetched ``SparseTensor``: numpy ``indices``, ``values`` and ``dense_shape``."""

    indices: Any
    values: Any
    dense_shape: Any


class SparseTensorSpec:
    """The static type of a sparse element of a dataset: dense ``shape`` and ``dtype``."""

    def __init__(self, shape: Any = None, dtype: Any = _dtypes.float32) -> None:
        self._shape = TensorShape(shape)
        self._dtype = _dtypes.as_dtype(dtype)

    @property
    def shape(self) -> TensorShape:
        return self._shape

    @property
    def dtype(self) -> Any:
        return self._dtype

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, SparseTensorSpec) and other.shape == self.shape and \
            other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash((str(self._shape), self._dtype.name))

    def __repr__(self) -> str:
        return f"SparseTensorSpec({self._shape!r}, {self._dtype!r})"


def _merged_dim(a: Any, b: Any) -> Any:
    if a is not None and b is not None and a != b:
        raise ValueError(f"Dimensions {a} and {b} are not compatible")
    return a if a is not None else b


class SparseTensor:
    """``tf.SparseTensor(indices, values, dense_shape)``; Python values become ``Const``s
    named ``SparseTensor/indices``, ``SparseTensor/values`` and ``SparseTensor/dense_shape``."""

    def __init__(self, indices: Any, values: Any, dense_shape: Any) -> None:
        with name_scope(None, "SparseTensor", [t for t in (indices, values, dense_shape)
                                               if isinstance(t, Tensor)]):
            self._indices = convert_to_tensor(indices, dtype=_dtypes.int64, name="indices")
            self._values = convert_to_tensor(values, name="values")
            self._dense_shape = convert_to_tensor(dense_shape, dtype=_dtypes.int64,
                                                  name="dense_shape")
        index_shape = self._indices.shape.with_rank(2)
        values_shape = self._values.shape.with_rank(1)
        shape_shape = self._dense_shape.shape.with_rank(1)
        _merged_dim(index_shape[0], values_shape[0])
        _merged_dim(index_shape[1], shape_shape[0])
        self._dense_shape_default = _constant_shape(self._dense_shape)

    @classmethod
    def from_value(cls, sparse_tensor_value: Any) -> "SparseTensor":
        if isinstance(sparse_tensor_value, SparseTensor):
            return sparse_tensor_value
        return cls(sparse_tensor_value.indices, sparse_tensor_value.values,
                   sparse_tensor_value.dense_shape)

    @property
    def indices(self) -> Tensor:
        return self._indices

    @property
    def values(self) -> Tensor:
        return self._values

    @property
    def dense_shape(self) -> Tensor:
        return self._dense_shape

    @property
    def op(self) -> Operation:
        """The op of ``values``, as TF's."""
        return self._values.op

    @property
    def dtype(self) -> Any:
        return self._values.dtype

    @property
    def graph(self) -> Any:
        return self._values.graph

    @property
    def shape(self) -> TensorShape:
        return self._dense_shape_default

    def get_shape(self) -> TensorShape:
        return self._dense_shape_default

    def eval(self, feed_dict: Any = None, session: Any = None) -> SparseTensorValue:
        from .session import _session_for
        sess = _session_for(self.graph, session, "SparseTensor", "evaluate")
        return sess.run(self, feed_dict)  # type: ignore[no-any-return]

    def consumers(self) -> list[Operation]:
        seen: dict[int, Operation] = {}
        for t in (self._indices, self._values, self._dense_shape):
            for op in t.consumers():
                seen.setdefault(op._id, op)
        return list(seen.values())

    def __repr__(self) -> str:
        return (f"SparseTensor(indices={self._indices}, values={self._values}, "
                f"dense_shape={self._dense_shape})")

    def __mul__(self, other: Any) -> Any:
        """The entries times ``other`` broadcast to the dense shape (same indices)."""
        if isinstance(other, (SparseTensor, SparseTensorValue)):
            return NotImplemented
        from .sparse_ops import sparse_dense_cwise
        return sparse_dense_cwise(self, other, divide=False)

    def __truediv__(self, other: Any) -> Any:
        if isinstance(other, (SparseTensor, SparseTensorValue)):
            return NotImplemented
        from .sparse_ops import sparse_dense_cwise
        return sparse_dense_cwise(self, other, divide=True)

    __div__ = __truediv__


def _constant_value(tensor: Tensor) -> Optional[np.ndarray]:
    if getattr(tensor, "_is_eager", False):
        return np.asarray(tensor)
    if tensor.op.type == "Const":
        return np.asarray(tensor.op.get_attr("value"))
    return None


def _constant_shape(dense_shape: Tensor) -> TensorShape:
    """The static shape a ``dense_shape`` tensor gives: its value when it is a constant
    (``-1`` unknown), else only the rank."""
    value = _constant_value(dense_shape)
    if value is not None:
        return TensorShape([None if d == -1 else int(d) for d in value.reshape(-1)])
    rank = dense_shape.shape[0] if dense_shape.shape.rank == 1 else None
    return TensorShape(None if rank is None else [None] * rank)


def sparse_placeholder(dtype: Any, shape: Any = None, name: Optional[str] = None
                       ) -> SparseTensor:
    """``tf.sparse_placeholder``: placeholders ``<name>/values``, ``<name>/indices`` and a
    ``<name>/shape`` placeholder (a ``PlaceholderWithDefault`` of ``shape`` when given, with
    ``-1`` for unknown dimensions)."""
    from .array_ops import placeholder, placeholder_with_default
    shape_name = f"{name}/shape" if name is not None else None
    default_shape_name = f"{name}/shape_default" if name is not None else None
    if shape is None:
        rank = None
        dense_shape = placeholder(_dtypes.int64, shape=[rank], name=shape_name)
        default = TensorShape(None)
    else:
        if isinstance(shape, Tensor):
            rank = shape.shape[0]
            default = _constant_shape(shape)
        else:
            static = TensorShape(shape)
            dims = static.as_list()
            rank = len(dims)
            default = TensorShape([None if d in (None, -1) else d for d in dims])
            shape = convert_to_tensor([-1 if d is None else d for d in dims],
                                      dtype=_dtypes.int64, name=default_shape_name)
        dense_shape = placeholder_with_default(shape, shape=shape.shape, name=shape_name)
    values = placeholder(dtype, shape=[None],
                         name=f"{name}/values" if name is not None else None)
    indices = placeholder(_dtypes.int64, shape=[None, rank],
                          name=f"{name}/indices" if name is not None else None)
    result = SparseTensor(indices, values, dense_shape)
    result._dense_shape_default = default
    return result


# ----- SparseToDense --------------------------------------------------------------------------
_SPARSE_TO_DENSE_GRADIENT = "SymgradSparseToDense"


def _index_text(index: np.ndarray) -> str:
    return "[" + ",".join(str(int(i)) for i in index) + "]"


def _sparse_to_dense_kernel(validate: bool) -> Any:
    def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
        indices, output_shape, values, default = arrays
        output_shape = np.asarray(output_shape, dtype=np.int64).reshape(-1)
        indices = np.asarray(indices, dtype=np.int64)
        if indices.ndim > 2:
            raise errors.InvalidArgumentError(
                None, None, f"sparse_indices should be a scalar, vector, or matrix, got shape "
                f"{list(indices.shape)}")
        num = indices.shape[0] if indices.ndim > 0 else 1
        if indices.ndim < 2:
            indices = indices.reshape(num, 1)
        if indices.shape[1] != output_shape.size:
            raise errors.InvalidArgumentError(
                None, None, f"output_shape has incorrect number of elements: "
                f"{output_shape.size} should be: {indices.shape[1]}")
        values = np.asarray(values)
        if values.ndim > 1 or (values.ndim == 1 and values.shape[0] != num):
            raise errors.InvalidArgumentError(
                None, None, f"sparse_values has incorrect shape {list(values.shape)}, should "
                f"be [] or [{num}]")
        if np.asarray(default).ndim != 0:
            raise errors.InvalidArgumentError(None, None, "default_value should be a scalar.")
        bounds = _index_text(output_shape)
        if validate:
            _check_indices(indices, output_shape, bounds)
        dense = np.full(tuple(int(d) for d in output_shape), default, dtype=values.dtype)
        if num:
            in_bounds = np.all((indices >= 0) & (indices < output_shape), axis=1)
            if not np.all(in_bounds):
                bad = int(np.argmin(in_bounds))
                raise errors.InvalidArgumentError(
                    None, None, f"indices[{bad}] = {_index_text(indices[bad])} is out of "
                    f"bounds: need 0 <= index < {bounds}")
            dense[tuple(indices.T)] = values
        return [dense]
    return run


def _check_indices(indices: np.ndarray, output_shape: np.ndarray, bounds: str) -> None:
    """TF's ``SparseTensor::ValidateAndInitialize`` order: bounds, then order, then repeats,
    index by index."""
    previous: Optional[tuple[int, ...]] = None
    for i, index in enumerate(indices):
        if np.any(index < 0) or np.any(index >= output_shape):
            raise errors.InvalidArgumentError(
                None, None, f"indices[{i}] = {_index_text(index)} is out of bounds: need "
                f"0 <= index < {bounds}")
        key = tuple(int(v) for v in index)
        if previous is not None:
            if key < previous:
                raise errors.InvalidArgumentError(
                    None, None, f"indices[{i}] = {_index_text(index)} is out of order. Many "
                    "sparse ops require sorted indices.\n    Use `tf.sparse.reorder` to "
                    "create a correctly ordered copy.\n\n")
            if key == previous:
                raise errors.InvalidArgumentError(
                    None, None, f"indices[{i}] = {_index_text(index)} is repeated")
        previous = key


def _register_sparse_to_dense_gradient() -> None:
    from .gradients_impl import RegisterGradient

    @RegisterGradient(_SPARSE_TO_DENSE_GRADIENT)
    def _sparse_to_dense_grad(op: Operation, grad: Tensor) -> list[Any]:
        from .array_ops import gather_nd, reshape
        from .math_ops import reduce_sum, subtract
        indices, _, values, _ = op.inputs
        index_matrix = indices if indices.shape.rank == 2 else reshape(indices, [-1, 1])
        values_grad = gather_nd(grad, index_matrix)
        if values.shape.rank == 0:
            values_grad = reduce_sum(values_grad)
        default_grad = subtract(reduce_sum(grad), reduce_sum(values_grad))
        return [None, None, values_grad, default_grad]


_register_sparse_to_dense_gradient()


def sparse_to_dense(sparse_indices: Any, output_shape: Any, sparse_values: Any,
                    default_value: Any = 0, validate_indices: bool = True,
                    name: Optional[str] = None) -> Tensor:
    """``tf.sparse_to_dense``: a dense tensor of ``output_shape`` holding ``sparse_values``
    at ``sparse_indices`` and ``default_value`` elsewhere."""
    from .data.iterator_ops import _host_op
    graph = get_default_graph()
    with name_scope(name, "SparseToDense", [t for t in (sparse_indices, output_shape,
                                                       sparse_values) if isinstance(t, Tensor)]
                    ) as scope:
        indices = convert_to_tensor(sparse_indices, name="sparse_indices")
        if not indices.dtype.is_integer:
            raise TypeError(f"Value passed to parameter 'sparse_indices' has DataType "
                            f"{indices.dtype.name} not in list of allowed values: int32, int64")
        shape = convert_to_tensor(output_shape, dtype=indices.dtype, name="output_shape")
        values = convert_to_tensor(sparse_values, name="sparse_values")
        default = convert_to_tensor(default_value, dtype=values.dtype, name="default_value")
        with graph.gradient_override_map({"PyFunc": _SPARSE_TO_DENSE_GRADIENT}):
            op = _host_op("SparseToDense", [indices, shape, values, default], [values.dtype],
                          _sparse_to_dense_kernel(bool(validate_indices)), scope=scope)
    out: Tensor = op.outputs[0]
    out.set_shape(_constant_shape(shape) if shape.shape.rank == 1 else TensorShape(None))
    return out


def sparse_tensor_to_dense(sp_input: Any, default_value: Any = None,
                           validate_indices: bool = True, name: Optional[str] = None
                           ) -> Tensor:
    """``tf.sparse.to_dense``: ``sp_input`` as a dense tensor, ``default_value`` (zero when
    ``None``) where it has no value."""
    if not isinstance(sp_input, SparseTensor):
        if isinstance(sp_input, SparseTensorValue):
            sp_input = SparseTensor.from_value(sp_input)
        else:
            raise TypeError(f"Input must be a SparseTensor, received {type(sp_input)}")
    if default_value is None:
        from .array_ops import zeros
        default_value = zeros([], dtype=sp_input.dtype)
    return sparse_to_dense(sp_input.indices, sp_input.dense_shape, sp_input.values,
                           default_value=default_value, validate_indices=validate_indices,
                           name=name)
