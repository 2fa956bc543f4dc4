"""Random tensors (normal, uniform, truncated normal, shuffle) with TF1's seed rules, and
``dropout`` built on them.

Seeds follow TF's ``get_seed``: an op seed with a graph seed (``set_random_seed``) uses
both; a graph seed alone uses the graph's op count as the op seed, so graphs built the same
way draw the same numbers; an op seed alone pairs it with TF's default graph seed; neither
leaves both attrs 0, which the kernel treats as "seed from the clock". Each session keeps a
stream per op: runs continue it, and a new session starts it over.
"""

from __future__ import annotations

import numbers
from typing import Any, Optional

import numpy as np

from . import dtypes as _dtypes
from ._op_helpers import create_tensor, op_scope
from .constant_op import convert_to_tensor
from .framework import Tensor, get_default_graph
from .tensor_shape import TensorShape

__all__ = ["random_normal", "random_uniform", "truncated_normal", "random_shuffle",
           "get_seed", "dropout"]

DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2**31 - 1


def _truncate_seed(seed: int) -> int:
    return seed % _MAXINT32  # TF keeps seeds in int32 range


def get_seed(op_seed: Optional[int]) -> tuple[Optional[int], Optional[int]]:
    """The (seed, seed2) pair an op gets from the graph seed and its own seed, as TF."""
    graph = get_default_graph()
    global_seed = graph.seed
    if global_seed is not None:
        if op_seed is None:
            op_seed = graph.version  # TF uses the graph's last op id
        seeds: tuple[Optional[int], Optional[int]] = (_truncate_seed(global_seed),
                                                       _truncate_seed(int(op_seed)))
    elif op_seed is not None:
        seeds = DEFAULT_GRAPH_SEED, _truncate_seed(int(op_seed))
    else:
        seeds = None, None
    if seeds == (0, 0):
        # (0, 0) means "nondeterministic" to the kernel; TF avoids it for explicit seeds.
        return 0, _MAXINT32
    return seeds


def _seed_attrs(seed: Optional[int]) -> dict[str, int]:
    seed1, seed2 = get_seed(seed)
    return {"seed": seed1 or 0, "seed2": seed2 or 0}


def _shape_tensor(shape: Any) -> Tensor:
    """TF's ``shape_tensor``: tensors pass, lists and TensorShapes become an int32 Const."""
    if isinstance(shape, Tensor):
        return shape
    if isinstance(shape, TensorShape):
        shape = shape.as_list()
    if isinstance(shape, (list, tuple)) and any(isinstance(d, Tensor) for d in shape):
        # A list holding tensors is auto-packed, as TF converts it.
        from .array_ops import _autopack
        return _autopack(list(shape), _dtypes.int32, "shape")
    values = np.asarray(shape)
    dtype = _dtypes.int64 if values.dtype == np.int64 and values.size and \
        int(np.max(values)) > _MAXINT32 else _dtypes.int32
    return convert_to_tensor(values.astype(dtype.as_numpy_dtype).reshape(-1), name="shape")


def _static_shape(shape: Any, result: Tensor) -> None:
    if isinstance(shape, (list, tuple)) and any(isinstance(d, Tensor) for d in shape):
        result.set_shape([None if isinstance(d, Tensor) else int(d) for d in shape])
    elif not isinstance(shape, Tensor):
        try:
            result.set_shape([int(d) for d in np.reshape(
                shape.as_list() if isinstance(shape, TensorShape) else shape, -1)])
        except (TypeError, ValueError):
            pass


def _float_dtype(dtype: Any, what: str) -> _dtypes.DType:
    target = _dtypes.as_dtype(dtype)
    if not target.is_floating:
        raise ValueError(f"Invalid dtype {target!r} for {what}: a floating point type is "
                         "required")
    return target


def _normal(op_type: str, default_name: str, shape: Any, mean: Any, stddev: Any, dtype: Any,
            seed: Optional[int], name: Optional[str]) -> Tensor:
    from .math_ops import add, multiply
    target = _float_dtype(dtype, default_name)
    with op_scope(name, default_name, [shape, mean, stddev]) as scope:
        shape_t = _shape_tensor(shape)
        mean_t = convert_to_tensor(mean, dtype=target, name="mean")
        stddev_t = convert_to_tensor(stddev, dtype=target, name="stddev")
        attrs = {"dtype": target.name, **_seed_attrs(seed)}
        rnd = create_tensor(op_type, [shape_t], attrs, "")
        scaled = multiply(rnd, stddev_t, name="mul")
        value = add(scaled, mean_t, name=scope)
        _static_shape(shape, value)
        return value


def random_normal(shape: Any, mean: Any = 0.0, stddev: Any = 1.0,
                  dtype: Any = _dtypes.float32, seed: Optional[int] = None,
                  name: Optional[str] = None) -> Tensor:
    """Normal samples: ``mean + stddev * RandomStandardNormal(shape)``."""
    return _normal("RandomStandardNormal", "random_normal", shape, mean, stddev, dtype, seed,
                   name)


def truncated_normal(shape: Any, mean: Any = 0.0, stddev: Any = 1.0,
                     dtype: Any = _dtypes.float32, seed: Optional[int] = None,
                     name: Optional[str] = None) -> Tensor:
    """Normal samples redrawn until within two standard deviations of the mean."""
    return _normal("TruncatedNormal", "truncated_normal", shape, mean, stddev, dtype, seed,
                   name)


def random_uniform(shape: Any, minval: Any = 0, maxval: Any = None,
                   dtype: Any = _dtypes.float32, seed: Optional[int] = None,
                   name: Optional[str] = None) -> Tensor:
    """Uniform samples in ``[minval, maxval)``: ``RandomUniform`` scaled for floats,
    ``RandomUniformInt`` for int32/int64 (which needs ``maxval``)."""
    from .math_ops import add, multiply, subtract
    target = _dtypes.as_dtype(dtype)
    if target not in (_dtypes.float16, _dtypes.float32, _dtypes.float64, _dtypes.int32,
                      _dtypes.int64):
        raise ValueError(f"Invalid dtype {target!r}")
    if maxval is None:
        if target.is_integer:
            raise ValueError(f"Must specify maxval for integer dtype {target!r}")
        maxval = 1
    with op_scope(name, "random_uniform", [shape, minval, maxval]) as scope:
        shape_t = _shape_tensor(shape)
        minval_is_zero = isinstance(minval, numbers.Integral) and not isinstance(minval, bool) \
            and minval == 0
        maxval_is_one = isinstance(maxval, numbers.Integral) and not isinstance(maxval, bool) \
            and maxval == 1
        if not minval_is_zero or not maxval_is_one or target.is_integer:
            minval = convert_to_tensor(minval, dtype=target, name="min")
            maxval = convert_to_tensor(maxval, dtype=target, name="max")
        seeds = _seed_attrs(seed)
        if target.is_integer:
            result = create_tensor("RandomUniformInt", [shape_t, minval, maxval], seeds, scope)
        else:
            result = create_tensor("RandomUniform", [shape_t], {"dtype": target.name, **seeds},
                                   "")
            if minval_is_zero:
                if not maxval_is_one:
                    result = multiply(result, maxval)
            else:
                # TF writes this case with operators, hence the lower-case names.
                span = subtract(maxval, minval, name="sub")
                result = add(multiply(result, span, name="mul"), minval, name=scope)
        _static_shape(shape, result)
        return result


def random_shuffle(value: Any, seed: Optional[int] = None,
                   name: Optional[str] = None) -> Tensor:
    """``RandomShuffle``: a random permutation of ``value`` along its first dimension."""
    with op_scope(name, "RandomShuffle", [value]) as scope:
        tensor = convert_to_tensor(value, name="value")
        return create_tensor("RandomShuffle", [tensor], _seed_attrs(seed), scope)


def dropout(x: Any, keep_prob: Any = None, noise_shape: Any = None, seed: Optional[int] = None,
            name: Optional[str] = None, rate: Any = None) -> Tensor:
    """TF1's ``nn.dropout``: keeps each element with probability ``keep_prob`` (or
    ``1 - rate``), scaled by ``1 / keep_prob``; built as TF1 did,
    ``x / keep_prob * floor(keep_prob + random_uniform(noise_shape))``. ``keep_prob`` may be a
    tensor (e.g. fed)."""
    from .array_ops import shape as shape_op
    from .math_ops import add, divide, floor, multiply, subtract
    if keep_prob is not None and rate is not None:
        raise ValueError("Cannot specify both 'rate' and 'keep_prob'.")
    if keep_prob is None and rate is None:
        raise ValueError(f"`rate` must be provided. Received: rate={rate}")
    with op_scope(name, "dropout", [x]) as scope:
        value = convert_to_tensor(x, name="x")
        if not value.dtype.is_floating:
            raise ValueError(
                "x has to be a floating point tensor since it's going to be scaled. Got a "
                f"{value.dtype.name} tensor instead.")
        if keep_prob is None:
            if not isinstance(rate, Tensor):
                if not 0 <= float(rate) < 1:
                    raise ValueError(f"rate must be a scalar tensor or a float in the range "
                                     f"[0, 1), got {rate}")
                keep_prob = 1.0 - float(rate)
            else:
                keep_prob = subtract(1.0, rate, name="sub")
        if not isinstance(keep_prob, Tensor):
            if not 0 < float(keep_prob) <= 1:
                raise ValueError(f"keep_prob must be a scalar tensor or a float in the range "
                                 f"(0, 1], got {keep_prob}")
            if float(keep_prob) == 1:
                return value
        keep = convert_to_tensor(keep_prob, dtype=value.dtype, name="keep_prob")
        if keep.shape.rank not in (None, 0):
            raise ValueError(f"keep_prob must be a scalar, got shape {keep.shape}")
        noise = shape_op(value) if noise_shape is None else noise_shape
        uniform = random_uniform(noise, seed=seed, dtype=value.dtype)
        binary = floor(add(keep, uniform))
        result = multiply(divide(value, keep), binary, name=scope)
        result.set_shape(value.shape)
        return result
