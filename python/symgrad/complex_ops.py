"""Complex numbers: ``tf.complex``, ``tf.math.real``/``imag``/``conj``/``angle`` (the ``Complex``,
``Real``, ``Imag``, ``Conj`` and ``Angle`` ops), as TF's ``math_ops`` builds them. On real
tensors ``real`` and ``conj`` return the input itself, ``imag`` its zeros and ``angle`` 0 or
pi by sign, adding no complex op, as TF does."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import dtypes as _dtypes
from ._op_helpers import create_tensor, op_scope
from .constant_op import convert_to_tensor
from .framework import Tensor

__all__ = ["complex", "real", "imag", "conj", "angle"]


def complex(real: Any, imag: Any, name: Optional[str] = None) -> Tensor:  # noqa: A001
    """``real + imag * 1j`` from two float32 (complex64) or two float64 (complex128) tensors."""
    real = convert_to_tensor(real, name="real")
    imag = convert_to_tensor(imag, name="imag")
    with op_scope(name, "Complex", [real, imag]) as scope:
        types = (real.dtype, imag.dtype)
        if types == (_dtypes.float64, _dtypes.float64):
            out = _dtypes.complex128
        elif types == (_dtypes.float32, _dtypes.float32):
            out = _dtypes.complex64
        else:
            raise TypeError(
                f"The `real` and `imag` components have incorrect types: {real.dtype.name} "
                f"{imag.dtype.name}. They must be consistent, and one of "
                f"{[_dtypes.float32, _dtypes.float64]}")
        return create_tensor("Complex", [real, imag], {"Tout": out.name}, scope)


def _numeric(x: Tensor) -> bool:
    return x.dtype.is_floating or x.dtype.is_integer or x.dtype.is_complex


def real(input: Any, name: Optional[str] = None) -> Tensor:  # noqa: A002 - TF's name
    """The real parts of a complex tensor; a real tensor itself."""
    with op_scope(name, "Real", [input]) as scope:
        x = convert_to_tensor(input, name="input")
        if x.dtype.is_complex:
            return create_tensor("Real", [x], {"Tout": x.dtype.real_dtype.name}, scope)
        if _numeric(x):
            return x
        raise TypeError(
            f"input must be a numeric tensor, but got tensor with dtype {x.dtype}")


def imag(input: Any, name: Optional[str] = None) -> Tensor:  # noqa: A002 - TF's name
    """The imaginary parts of a complex tensor; zeros for a real one."""
    with op_scope(name, "Imag", [input]) as scope:
        x = convert_to_tensor(input, name="input")
        if x.dtype.is_complex:
            return create_tensor("Imag", [x], {"Tout": x.dtype.real_dtype.name}, scope)
        from .array_ops import zeros_like
        return zeros_like(x)


def conj(x: Any, name: Optional[str] = None) -> Tensor:
    """The complex conjugate; a real or integer tensor is returned as it is."""
    if isinstance(x, Tensor) and (x.dtype.is_floating or x.dtype.is_integer):
        return x
    with op_scope(name, "Conj", [x]) as scope:
        t = convert_to_tensor(x, name="x")
        if t.dtype.is_complex:
            return create_tensor("Conj", [t], {}, scope)
        if t.dtype.is_floating or t.dtype.is_integer:
            return t
        raise TypeError(f"Expected numeric or variant tensor, got dtype {t.dtype!r}.")


def angle(input: Any, name: Optional[str] = None) -> Tensor:  # noqa: A002 - TF's name
    """The argument of each complex number; for real numbers pi where negative, else 0."""
    with op_scope(name, "Angle", [input]) as scope:
        x = convert_to_tensor(input, name="input")
        if x.dtype.is_complex:
            return create_tensor("Angle", [x], {"Tout": x.dtype.real_dtype.name}, scope)
        from .array_ops import ones_like, zeros_like
        from .math_ops import less, multiply, where_v2
        negative = less(x, 0)
        return where_v2(negative, multiply(np.pi, ones_like(x)), zeros_like(x))
