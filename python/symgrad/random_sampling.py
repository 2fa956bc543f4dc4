"""Random draws from distributions, as ``tf.compat.v1`` builds them: ``multinomial`` and
``random.categorical`` (``Multinomial``), ``random_gamma`` (``RandomGamma``, differentiable
in ``alpha`` and ``beta``) and ``random_poisson`` (``RandomPoissonV2``).

Seeds follow ``random_ops.get_seed``; the kernels draw from the same per-session streams as
the other random ops (TF's exact numbers are not reproduced, its distributions are).
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import dtypes as _dtypes
from ._op_helpers import create_tensor, op_scope
from .constant_op import convert_to_tensor
from .framework import Tensor
from .random_ops import _seed_attrs

__all__ = ["multinomial", "categorical", "random_gamma", "random_poisson"]


def _categorical(logits: Any, num_samples: Any, dtype: Any, seed: Optional[int]) -> Tensor:
    logits_t = convert_to_tensor(logits, name="logits")
    out = _dtypes.as_dtype(dtype) if dtype is not None else _dtypes.int64
    if out not in (_dtypes.int32, _dtypes.int64):
        raise ValueError(f"Argument `dtype` got invalid value <dtype: '{out.name}'>. "
                         "Accepted dtypes are (tf.int32, tf.int64).")
    attrs = {"output_dtype": out.name, **_seed_attrs(seed)}
    with op_scope(None, "Multinomial", [logits_t, num_samples]) as scope:
        samples = convert_to_tensor(num_samples, dtype=_dtypes.int32, name="num_samples")
        return create_tensor("Multinomial", [logits_t, samples], attrs, scope)


def multinomial(logits: Any, num_samples: Any, seed: Optional[int] = None,
                name: Optional[str] = None, output_dtype: Any = None) -> Tensor:
    """``num_samples`` class indices per row of ``logits`` ([batch, classes], unnormalised
    log-probabilities); ``-inf`` classes are never drawn."""
    with op_scope(name, "multinomial", [logits]):
        return _categorical(logits, num_samples, output_dtype, seed)


def categorical(logits: Any, num_samples: Any, dtype: Any = None, seed: Optional[int] = None,
                name: Optional[str] = None) -> Tensor:
    """``tf.random.categorical``: ``multinomial`` with the output type named ``dtype``."""
    with op_scope(name, "categorical", [logits]):
        return _categorical(logits, num_samples, dtype, seed)


def random_gamma(shape: Any, alpha: Any, beta: Any = None, dtype: Any = _dtypes.float32,
                 seed: Optional[int] = None, name: Optional[str] = None) -> Tensor:
    """Gamma(alpha, beta) samples of shape ``shape + broadcast(alpha, beta).shape``, as TF:
    ``maximum(tiny, RandomGamma(shape, broadcast_to(alpha)) / beta)``. Gradients flow to
    ``alpha`` (through ``RandomGammaGrad``) and ``beta``."""
    from .array_ops import broadcast_to
    from .array_ops import shape as shape_of
    from .layout_ops import broadcast_dynamic_shape
    from .math_ops import truediv
    target = _dtypes.as_dtype(dtype)
    if target not in (_dtypes.float32, _dtypes.float64):
        raise TypeError(f"Value passed to parameter 'alpha' has DataType {target.name} not in "
                        "list of allowed values: float16, float32, float64")
    with op_scope(name, "random_gamma", [shape, alpha, beta]):
        shape_t = convert_to_tensor(shape, name="shape", dtype=_dtypes.int32)
        alpha_t = convert_to_tensor(alpha, name="alpha", dtype=target)
        beta_t = convert_to_tensor(beta if beta is not None else 1, name="beta", dtype=target)
        broadcast_shape = broadcast_dynamic_shape(shape_of(alpha_t), shape_of(beta_t))
        alpha_broadcast = broadcast_to(alpha_t, broadcast_shape)
        if alpha_t.shape.is_fully_defined() and beta_t.shape.is_fully_defined():
            # TF folds BroadcastArgs of static shapes while inferring BroadcastTo's shape.
            static = [[d for d in t.shape.as_list() if d is not None] for t in (alpha_t, beta_t)]
            alpha_broadcast.set_shape(np.broadcast_shapes(tuple(static[0]), tuple(static[1])))
        attrs = _seed_attrs(seed)
        with op_scope(None, "RandomGamma", [shape_t, alpha_broadcast]) as scope:
            draws = create_tensor("RandomGamma", [shape_t, alpha_broadcast], attrs, scope)
        scaled = truediv(draws, beta_t)
        with op_scope(None, "Maximum", [scaled]) as scope:
            tiny = convert_to_tensor(np.finfo(target.as_numpy_dtype).tiny, dtype=target,
                                     name="x")
            return create_tensor("Maximum", [tiny, scaled], {}, scope)


def random_poisson(lam: Any, shape: Any, dtype: Any = _dtypes.float32,
                   seed: Optional[int] = None, name: Optional[str] = None) -> Tensor:
    """Poisson(lam) counts of shape ``shape + lam.shape`` (``RandomPoissonV2``); ``dtype`` may
    be float32, float64, int32 or int64. Not differentiable (TF registers no gradient)."""
    out = _dtypes.as_dtype(dtype)
    with op_scope(name, "random_poisson", [lam, shape]):
        shape_t = convert_to_tensor(shape, name="shape", dtype=_dtypes.int32)
        attrs = {"dtype": out.name, **_seed_attrs(seed)}
        with op_scope(None, "RandomPoissonV2", [shape_t, lam]) as scope:
            rate = convert_to_tensor(lam, name="rate")
            return create_tensor("RandomPoissonV2", [shape_t, rate], attrs, scope)
