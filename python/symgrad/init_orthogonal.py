"""``tf.compat.v1.orthogonal_initializer``: (semi-)orthogonal matrices from the QR
factorization of a normal draw, as TF's ``Orthogonal`` initializer builds them."""

from __future__ import annotations

from typing import Any, Optional

from . import dtypes as _dtypes
from .tensor_shape import as_shape

__all__ = ["orthogonal_initializer"]


class orthogonal_initializer:  # noqa: N801 - TF's public name
    """``gain * q`` reshaped to ``shape``, where ``q`` has orthonormal columns (or rows, when
    the flattened matrix is wide): the first dimensions are flattened into rows, the last is
    the columns."""

    def __init__(self, gain: float = 1.0, seed: Optional[int] = None,
                 dtype: Any = _dtypes.float32) -> None:
        self.gain = gain
        self.seed = seed
        self.dtype = _float_dtype(dtype)

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Any:
        from .array_ops import reshape
        from .linalg import matrix_transpose, qr, tensor_diag_part
        from .math_ops import sign
        from .random_ops import random_normal
        dtype = self.dtype if dtype is None else _float_dtype(dtype)
        dims = as_shape(shape).as_list()
        if len(dims) < 2 or any(d is None for d in dims):
            raise ValueError("The tensor to initialize, specified by argument `shape` must be "
                             f"at least two-dimensional. Received shape={dims}")
        sizes = [int(d) for d in dims if d is not None]
        rows = 1
        for d in sizes[:-1]:
            rows *= d
        cols = sizes[-1]
        flat = (cols, rows) if rows < cols else (rows, cols)
        a = random_normal(list(flat), dtype=dtype, seed=self.seed)
        q, r = qr(a, full_matrices=False)
        # Signs from r's diagonal make the draw uniform over orthogonal matrices.
        q = q * sign(tensor_diag_part(r))
        if rows < cols:
            q = matrix_transpose(q)
        return self.gain * reshape(q, sizes)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain, "seed": self.seed, "dtype": self.dtype.name}


def _float_dtype(dtype: Any) -> _dtypes.DType:
    dt = _dtypes.as_dtype(dtype)
    if not dt.is_floating:
        raise ValueError(f"Argument `dtype` is expected to be floating point. Received: {dt}.")
    return dt
