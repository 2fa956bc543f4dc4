"""``tf.signal`` (and TF 1's ``tf.spectral``): discrete Fourier transforms over the innermost
1, 2 or 3 axes (``FFT``/``IFFT``, ``RFFT``/``IRFFT`` and their 2-D and 3-D forms, Rust
kernels), ``fftshift`` and ``ifftshift``.

The real transforms' wrappers infer ``fft_length`` and pad the input as TF's ``fft_ops.py``
does, and their gradients are registered here, built from the same ops as TF's: the
gradient of ``RFFT`` is half of ``IRFFT(grad) * n`` plus the terms for the frequencies the
half spectrum leaves out; the gradient of ``IRFFT`` is ``RFFT(grad) / n`` with the
duplicated frequencies counted twice. TF registers no gradient for the 3-D real transforms;
neither does symgrad (``LookupError``).
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import dtypes as _dtypes
from ._op_helpers import create_tensor, op_scope
from .constant_op import constant, convert_to_tensor
from .framework import Operation, Tensor


__all__ = ["fft", "ifft", "fft2d", "ifft2d", "fft3d", "ifft3d", "rfft", "irfft", "rfft2d",
           "irfft2d", "rfft3d", "irfft3d", "fftshift", "ifftshift"]


def _complex_transform(op_type: str, input: Any, name: Optional[str]) -> Tensor:
    with op_scope(name, op_type, [input]) as scope:
        x = convert_to_tensor(input, name="input")
        return create_tensor(op_type, [x], {}, scope)


def fft(input: Any, name: Optional[str] = None) -> Tensor:  # noqa: A002 - TF's name
    """The DFT over the innermost axis of a complex tensor (``FFT``)."""
    return _complex_transform("FFT", input, name)


def ifft(input: Any, name: Optional[str] = None) -> Tensor:  # noqa: A002
    """The inverse DFT over the innermost axis (``IFFT``, divided by its length)."""
    return _complex_transform("IFFT", input, name)


def fft2d(input: Any, name: Optional[str] = None) -> Tensor:  # noqa: A002
    return _complex_transform("FFT2D", input, name)


def ifft2d(input: Any, name: Optional[str] = None) -> Tensor:  # noqa: A002
    return _complex_transform("IFFT2D", input, name)


def fft3d(input: Any, name: Optional[str] = None) -> Tensor:  # noqa: A002
    return _complex_transform("FFT3D", input, name)


def ifft3d(input: Any, name: Optional[str] = None) -> Tensor:  # noqa: A002
    return _complex_transform("IFFT3D", input, name)


def _inner_dims(x: Tensor, rank: int) -> Optional[list[int]]:
    """The innermost ``rank`` static dims, or None when any is unknown."""
    if x.shape.rank is None:
        return None
    dims = x.shape.as_list()[-rank:] if rank else []
    return None if any(d is None for d in dims) else [int(d) for d in dims]


def _dynamic_inner(x: Tensor, rank: int) -> Tensor:
    from .array_ops import shape
    return shape(x)[-rank:]


def _static_lengths(fft_length: Tensor) -> Optional[list[int]]:
    from .static_value import get_static_value
    value = get_static_value(fft_length)
    return None if value is None else [int(v) for v in np.reshape(value, [-1])]


def _maybe_pad(x: Tensor, rank: int, fft_length: Tensor, reverse: bool) -> Tensor:
    """TF's ``_maybe_pad_for_rfft``: pad the inner dims up to the transform's lengths."""
    from .array_ops import concat, pad, rank as rank_of, shape, stack, zeros, zeros_like
    from .math_ops import floordiv, maximum
    if x.shape.rank is not None and any(d == 0 for d in x.shape.as_list()):
        return x
    lengths = _static_lengths(fft_length)
    inner = _inner_dims(x, rank)
    if lengths is not None and inner is not None:
        if reverse and lengths:
            lengths = lengths[:-1] + [lengths[-1] // 2 + 1]
        paddings = [[0, max(n - d, 0)] for n, d in zip(lengths, inner)]
        if any(p > 0 for _, p in paddings):
            outer = [[0, 0]] * max(int(x.shape.rank) - rank, 0)
            return pad(x, outer + paddings)
        return x
    input_fft_shape = shape(x)[-rank:]
    outer_dims = maximum(0, rank_of(x) - rank)
    outer_paddings = zeros([outer_dims], fft_length.dtype)
    if reverse:
        fft_length = concat([fft_length[:-1], floordiv(fft_length[-1:], 2) + 1], 0)
    fft_paddings = maximum(0, fft_length - input_fft_shape)
    paddings = concat([outer_paddings, fft_paddings], 0)
    paddings = stack([zeros_like(paddings), paddings], axis=1)
    return pad(x, paddings)


def _restated(lengths: Tensor) -> Tensor:
    """TF's wrappers hand a static ``fft_length`` to the op as a numpy value, which makes a
    second ``Const`` (the first, used for the padding, stays in the graph)."""
    static = _static_lengths(lengths)
    if static is None:
        return lengths
    return constant(np.asarray(static, np.int32), name="fft_length")


def _real_transform(op_type: str, rank: int, default_name: str, input: Any, fft_length: Any,
                    name: Optional[str]) -> Tensor:
    with op_scope(name, default_name, [input, fft_length]) as scope:
        x = convert_to_tensor(input, preferred_dtype=_dtypes.float32)
        if x.dtype not in (_dtypes.float32, _dtypes.float64):
            raise ValueError(f"RFFT requires tf.float32 or tf.float64 inputs, got: {x}")
        x.shape.with_rank_at_least(rank)
        if fft_length is None:
            inner = _inner_dims(x, rank)
            lengths = (constant(inner, dtype=_dtypes.int32) if inner is not None
                       else _dynamic_inner(x, rank))
        else:
            lengths = convert_to_tensor(fft_length, dtype=_dtypes.int32)
        x = _maybe_pad(x, rank, lengths, reverse=False)
        lengths = _restated(lengths)
        complex_dtype = _dtypes.complex64 if x.dtype == _dtypes.float32 else _dtypes.complex128
        return create_tensor(op_type, [x, lengths], {"Tcomplex": complex_dtype.name}, scope)


def _inverse_real_transform(op_type: str, rank: int, default_name: str, input: Any,
                            fft_length: Any, name: Optional[str]) -> Tensor:
    from .array_ops import stack, unstack
    from .math_ops import maximum
    with op_scope(name, default_name, [input, fft_length]) as scope:
        x = convert_to_tensor(input, preferred_dtype=_dtypes.complex64)
        x.shape.with_rank_at_least(rank)
        if x.dtype not in (_dtypes.complex64, _dtypes.complex128):
            raise ValueError(f"IRFFT requires tf.complex64 or tf.complex128 inputs, got: {x}")
        if fft_length is None:
            inner = _inner_dims(x, rank)
            if inner is not None:
                if inner:
                    inner[-1] = max(0, 2 * (inner[-1] - 1))
                lengths = constant(inner, dtype=_dtypes.int32)
            else:
                parts = unstack(_dynamic_inner(x, rank))
                parts[-1] = maximum(0, 2 * (parts[-1] - 1))
                lengths = stack(parts)
        else:
            lengths = convert_to_tensor(fft_length, dtype=_dtypes.int32)
        x = _maybe_pad(x, rank, lengths, reverse=True)
        lengths = _restated(lengths)
        return create_tensor(op_type, [x, lengths], {"Treal": x.dtype.real_dtype.name}, scope)


def rfft(input_tensor: Any, fft_length: Any = None, name: Optional[str] = None) -> Tensor:
    """The DFT of a real signal over its innermost axis: the ``n // 2 + 1`` non-negative
    frequencies (``RFFT``)."""
    return _real_transform("RFFT", 1, "rfft", input_tensor, fft_length, name)


def irfft(input_tensor: Any, fft_length: Any = None, name: Optional[str] = None) -> Tensor:
    """The real signal whose ``rfft`` is ``input_tensor`` (``IRFFT``)."""
    return _inverse_real_transform("IRFFT", 1, "irfft", input_tensor, fft_length, name)


def rfft2d(input_tensor: Any, fft_length: Any = None, name: Optional[str] = None) -> Tensor:
    return _real_transform("RFFT2D", 2, "rfft2d", input_tensor, fft_length, name)


def irfft2d(input_tensor: Any, fft_length: Any = None, name: Optional[str] = None) -> Tensor:
    return _inverse_real_transform("IRFFT2D", 2, "irfft2d", input_tensor, fft_length, name)


def rfft3d(input_tensor: Any, fft_length: Any = None, name: Optional[str] = None) -> Tensor:
    return _real_transform("RFFT3D", 3, "rfft3d", input_tensor, fft_length, name)


def irfft3d(input_tensor: Any, fft_length: Any = None, name: Optional[str] = None) -> Tensor:
    return _inverse_real_transform("IRFFT3D", 3, "irfft3d", input_tensor, fft_length, name)


def _shift(x: Any, axes: Any, name: Optional[str], default_name: str, inverse: bool) -> Tensor:
    from .array_ops import gather, rank, shape
    from .layout_ops import roll
    from .math_ops import floordiv, less, negative, where
    with op_scope(name, default_name, []) as scope:
        t = convert_to_tensor(x)
        if axes is None:
            axes = tuple(range(t.shape.rank))
            half = floordiv(shape(t), 2)
        elif isinstance(axes, int):
            half = floordiv(shape(t)[axes], 2)
        else:
            r = rank(t)
            axes = where(less(axes, 0), axes + r, axes)
            half = floordiv(gather(shape(t), axes), 2)
        shift = negative(half) if inverse else half
        return roll(t, shift, axes, scope or None)


def fftshift(x: Any, axes: Any = None, name: Optional[str] = None) -> Tensor:
    """Moves the zero frequency to the centre (``numpy.fft.fftshift``), a ``Roll``."""
    return _shift(x, axes, name, "fftshift", inverse=False)


def ifftshift(x: Any, axes: Any = None, name: Optional[str] = None) -> Tensor:
    """The inverse of ``fftshift`` (``numpy.fft.ifftshift``)."""
    return _shift(x, axes, name, "ifftshift", inverse=True)


# ----- gradients of the real transforms -----

def _transform_size(t: Tensor, rank: int) -> Tensor:
    from .array_ops import shape
    from .math_ops import reduce_prod
    return reduce_prod(shape(t)[-rank:])


def _register_real_fft_gradients() -> None:
    from .array_ops import concat, expand_dims, ones, rank as rank_of, reshape, shape, tile
    from .array_ops import transpose
    from .complex_ops import conj, real
    from .gradients_impl import RegisterGradient
    from .math_ops import _binary, cast, exp, matmul, range as range_, reciprocal

    def rfft_grad(rank: int, inverse_fn: Any) -> Any:
        def grad_fn(op: Operation, grad: Tensor) -> list[Any]:
            fft_length = op.inputs[1]
            complex_dtype = grad.dtype
            real_dtype = complex_dtype.real_dtype
            input_shape = shape(op.inputs[0])
            is_even = cast(1 - (fft_length[-1] % 2), complex_dtype)

            def alternating(length: Tensor) -> Tensor:
                # 1, -1, 1, -1, ... as complex numbers.
                return cast(1 - 2 * (range_(length) % 2), complex_dtype)

            y0 = grad[..., 0:1]
            if rank == 1:
                ym = grad[..., -1:]
                extra = y0 + is_even * ym * alternating(input_shape[-1])
            else:
                length = input_shape[-2]
                a = tile(expand_dims(range_(length), 0), (length, 1))
                b = transpose(a, [1, 0])
                mask = exp(-2j * np.pi * cast(a * b, complex_dtype) / cast(length, complex_dtype))
                lead = ones([rank_of(y0) - 2], _dtypes.int32)
                expanded = reshape(mask, concat([lead, shape(mask)], 0))
                tiled = tile(expanded, concat([shape(y0)[:-2], [1, 1]], 0))
                extra = matmul(tiled, conj(y0))
                ym_term = matmul(tiled, conj(grad[..., -1:]))
                inner = input_shape[-1]
                ym_term = tile(ym_term, concat([ones([rank_of(grad) - 1], _dtypes.int32),
                                                [inner]], 0)) * alternating(inner)
                extra = extra + is_even * ym_term
            size = cast(_transform_size(op.inputs[0], rank), real_dtype)
            the_inverse = inverse_fn(grad, fft_length)
            return [0.5 * (the_inverse * size + real(extra)), None]
        return grad_fn

    def irfft_grad(rank: int, forward_fn: Any) -> Any:
        def grad_fn(op: Operation, grad: Tensor) -> list[Any]:
            from .static_value import get_static_value
            fft_length: Any = op.inputs[1]
            static = get_static_value(fft_length)
            if static is not None:
                fft_length = static
            real_dtype = grad.dtype
            complex_dtype = (_dtypes.complex64 if real_dtype == _dtypes.float32
                             else _dtypes.complex128)
            is_odd = _binary("FloorMod", "mod", fft_length[-1], 2, None)  # math_ops.mod
            last = shape(op.inputs[0])[-1]
            mask = concat([[1.0], 2.0 * ones([last - 2 + is_odd], real_dtype),
                           ones([1 - is_odd], real_dtype)], 0)
            rsize = reciprocal(cast(_transform_size(grad, rank), real_dtype))
            the_forward = forward_fn(grad, fft_length)
            return [the_forward * cast(rsize * mask, complex_dtype), None]
        return grad_fn

    RegisterGradient("RFFT")(rfft_grad(1, irfft))
    RegisterGradient("IRFFT")(irfft_grad(1, rfft))
    RegisterGradient("RFFT2D")(rfft_grad(2, irfft2d))
    RegisterGradient("IRFFT2D")(irfft_grad(2, rfft2d))


_register_real_fft_gradients()

# Framing, windows, STFT, mel, MFCC, DCT and MDCT: built from the ops above and others.
from .signal_ops import (dct, frame, hamming_window, hann_window, idct,  # noqa: E402
                         inverse_mdct, inverse_stft, inverse_stft_window_fn,
                         kaiser_bessel_derived_window, kaiser_window,
                         linear_to_mel_weight_matrix, mdct, mfccs_from_log_mel_spectrograms,
                         overlap_and_add, stft, vorbis_window)

__all__ += ["dct", "frame", "hamming_window", "hann_window", "idct", "inverse_mdct",
            "inverse_stft", "inverse_stft_window_fn", "kaiser_bessel_derived_window",
            "kaiser_window", "linear_to_mel_weight_matrix", "mdct",
            "mfccs_from_log_mel_spectrograms", "overlap_and_add", "stft", "vorbis_window"]
