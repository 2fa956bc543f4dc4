"""``tf.signal`` beyond the Fourier transforms: framing (``frame``, ``overlap_and_add``),
windows (Hann, Hamming, Kaiser, Kaiser-Bessel-derived, Vorbis), the short-time Fourier
transform and its inverse, mel filter banks and MFCCs, the discrete cosine transforms and the
MDCT.

TF builds all of these in Python from ordinary ops, and so does symgrad, with TF 2.21's
algorithms and name scopes: a frame is a ``Gather`` of sub-frames of ``gcd(frame_length,
frame_step)`` samples, ``overlap_and_add`` pads, reshapes, transposes and sums, the DCTs are
``RFFT``/``IRFFT`` with a complex phase. Gradients therefore flow through every function
(to any order) with no rule of their own, and static shapes are inferred as TF infers them.
"""

from __future__ import annotations

import math as _math
from typing import Any, Callable, Optional

import numpy as np

from . import dtypes as _dtypes
from .array_ops import (concat, expand_dims, gather, ones, pad, rank as rank_of, reshape,
                        reverse, shape as shape_of, size as size_of, split, strided_slice,
                        tile, transpose, zeros, zeros_like)
from .complex_ops import complex as make_complex, real
from .constant_op import convert_to_tensor
from .framework import Tensor, name_scope
from .math_ops import _binary
from .math_ops import (cast, cos, cumsum, equal, exp, floormod, linspace, log, maximum,
                       minimum, pow as pow_, range as range_, reduce_sum, rsqrt, sin, sqrt,
                       square, where)
from .nn import relu
from .signal import irfft, rfft
from .special_math_ops import bessel_i0e
from .static_value import get_static_value

__all__ = [
    "frame", "overlap_and_add", "hann_window", "hamming_window", "kaiser_window",
    "kaiser_bessel_derived_window", "vorbis_window", "stft", "inverse_stft",
    "inverse_stft_window_fn", "linear_to_mel_weight_matrix", "mfccs_from_log_mel_spectrograms",
    "dct", "idct", "mdct", "inverse_mdct",
]


def _static(t: Any) -> Any:
    """The value of ``t`` when it is known while building, else None."""
    v = get_static_value(t)
    return None if v is None else v.item() if np.ndim(v) == 0 else v


def _assert_scalar(t: Tensor, what: str) -> None:
    if t.shape.ndims is not None and t.shape.ndims != 0:
        raise ValueError(f"Shape {t.shape} must have rank 0 ({what} must be a scalar)")


# ----- framing -----
def _gcd(a: Tensor, b: Tensor) -> Tensor:
    """TF's ``util_ops.gcd``: a constant when both are known, else Euclid in a while loop."""
    from .while_ops import while_loop

    with name_scope(None, "gcd", [a, b]):
        a, b = convert_to_tensor(a), convert_to_tensor(b)
        if not (a.dtype.is_integer and b.dtype.is_integer):
            raise ValueError(f"a and b must be integer types. Got: {a.dtype}, {b.dtype}")
        static_a, static_b = _static(a), _static(b)
        if static_a is not None and static_b is not None:
            return convert_to_tensor(_math.gcd(int(static_a), int(static_b)))
        return while_loop(lambda _, y: y > zeros_like(y),
                          lambda x, y: [y, floormod(x, y)], [a, b], back_prop=False)[0]


def _infer_frame_shape(signal: Tensor, frame_length: Any, frame_step: Any, pad_end: bool,
                       axis: Any) -> Optional[list]:
    frame_length, frame_step, axis = _static(frame_length), _static(frame_step), _static(axis)
    if signal.shape.ndims is None:
        return None
    if axis is None:
        return [None] * (signal.shape.ndims + 1)
    dims = signal.shape.as_list()
    axis = range(len(dims))[axis]
    length = dims[axis]
    num_frames = None
    if length is not None:
        if frame_step is not None and pad_end:
            num_frames = max(0, -(-length // frame_step))
        elif frame_step is not None and frame_length is not None:
            num_frames = max(0, (length - frame_length + frame_step) // frame_step)
    return dims[:axis] + [num_frames, frame_length] + dims[axis + 1:]


def frame(signal: Any, frame_length: Any, frame_step: Any, pad_end: bool = False,
          pad_value: Any = 0, axis: Any = -1, name: Optional[str] = None) -> Tensor:
    """``[..., samples, ...]`` -> ``[..., frames, frame_length, ...]``: windows of
    ``frame_length`` samples every ``frame_step`` along ``axis``; with ``pad_end`` the last
    windows run past the end, filled with ``pad_value``."""
    with name_scope(name, "frame", [signal, frame_length, frame_step, pad_value]):
        signal = convert_to_tensor(signal, name="signal")
        frame_length = convert_to_tensor(frame_length, name="frame_length")
        frame_step = convert_to_tensor(frame_step, name="frame_step")
        axis = convert_to_tensor(axis, name="axis")
        if signal.shape.ndims == 0:
            raise ValueError("Shape () must have rank at least 1")
        for t, what in ((frame_length, "frame_length"), (frame_step, "frame_step"),
                        (axis, "axis")):
            _assert_scalar(t, what)
        result_shape = _infer_frame_shape(signal, frame_length, frame_step, pad_end, axis)

        full_shape = shape_of(signal)
        signal_shape = _static(full_shape)
        static_axis = _static(axis)
        if signal_shape is not None and static_axis is not None:
            dims = np.atleast_1d(signal_shape).astype(np.int32)
            a = range(len(dims))[static_axis]
            # numpy int32 pieces, as TF's np.split: empty ones still convert to int32
            outer, length, inner = dims[:a], int(dims[a]), dims[a + 1:]
            axis_value: Any = a
        else:
            signal_shape = full_shape
            signal_rank = rank_of(signal)
            axis_value = range_(signal_rank)[axis]
            outer, length, inner = split(signal_shape,
                                         [axis_value, 1, signal_rank - 1 - axis_value])
            length = reshape(length, [])
        num_outer = size_of(outer)
        num_inner = size_of(inner)

        if pad_end:
            pad_value = convert_to_tensor(pad_value, signal.dtype)
            _assert_scalar(pad_value, "pad_value")
            num_frames = -(-length // frame_step)
            pad_samples = maximum(0, frame_length + frame_step * (num_frames - 1) - length)
            paddings = concat([zeros([num_outer, 2], dtype=pad_samples.dtype),
                               convert_to_tensor([[0, pad_samples]]),
                               zeros([num_inner, 2], dtype=pad_samples.dtype)], 0)
            signal = pad(signal, paddings, constant_values=pad_value)
            signal_shape = shape_of(signal)
            length = signal_shape[axis_value]
        else:
            num_frames = maximum(convert_to_tensor(0, dtype=frame_length.dtype),
                                 1 + (length - frame_length) // frame_step)

        subframe_length = _gcd(frame_length, frame_step)
        static_sub = _static(subframe_length)
        if static_sub is not None:
            subframe_length = static_sub
        subframes_per_frame = frame_length // subframe_length
        subframes_per_hop = frame_step // subframe_length
        num_subframes = length // subframe_length

        slice_shape = concat([outer, [num_subframes * subframe_length], inner], 0)
        subframe_shape = concat([outer, [num_subframes, subframe_length], inner], 0)
        subframes = reshape(strided_slice(signal, zeros_like(signal_shape), slice_shape),
                            subframe_shape)
        frame_selector = reshape(range_(num_frames, dtype=frame_length.dtype)
                                 * subframes_per_hop, [num_frames, 1])
        subframe_selector = reshape(range_(subframes_per_frame, dtype=frame_length.dtype),
                                    [1, subframes_per_frame])
        selector = frame_selector + subframe_selector
        outer = convert_to_tensor(outer)
        inner = convert_to_tensor(inner, dtype=outer.dtype)
        middle = convert_to_tensor([num_frames, frame_length], dtype=outer.dtype)
        frames = reshape(gather(subframes, selector, axis=axis_value),
                         concat([outer, middle, inner], 0))
        if result_shape:
            frames.set_shape(result_shape)
        return frames


def overlap_and_add(signal: Any, frame_step: Any, name: Optional[str] = None) -> Tensor:
    """``[..., frames, frame_length]`` -> ``[..., output_size]``: the frames placed
    ``frame_step`` apart and summed where they overlap."""
    with name_scope(name, "overlap_and_add", [signal, frame_step]):
        signal = convert_to_tensor(signal, name="signal")
        if signal.shape.ndims is not None and signal.shape.ndims < 2:
            raise ValueError(f"Shape {signal.shape} must have rank at least 2")
        frame_step = convert_to_tensor(frame_step, name="frame_step")
        _assert_scalar(frame_step, "frame_step")
        if not frame_step.dtype.is_integer:
            raise ValueError(f"frame_step must be an integer. Got {frame_step.dtype}")
        static_step = _static(frame_step)
        step: Any = frame_step if static_step is None else int(static_step)

        signal_shape: Any = shape_of(signal)
        static_shape = _static(signal_shape)
        if static_shape is not None:
            signal_shape = np.atleast_1d(static_shape).astype(np.int32)
        outer = signal_shape[:-2]
        outer_rank: Any = size_of(outer)
        static_rank = get_static_value(outer_rank)
        if static_rank is not None:
            outer_rank = static_rank  # a numpy int32, so `outer_rank + [1, 0, 2]` stays numpy

        def full_shape(inner: list) -> Tensor:
            return concat([outer, inner], 0)

        frame_length = signal_shape[-1]
        frames = signal_shape[-2]
        if static_shape is not None:
            frame_length, frames = int(frame_length), int(frames)
        output_length = frame_length + step * (frames - 1)
        dims = signal.shape.as_list() if signal.shape.ndims is not None else None
        if static_step is not None and dims is not None and step == dims[-1]:
            return reshape(signal, full_shape([output_length]), name="fast_path")

        segments = -(-frame_length // step)
        paddings = [[0, segments], [0, segments * step - frame_length]]
        paddings = concat([zeros([outer_rank, 2], _dtypes.int32), paddings], 0)
        signal = pad(signal, paddings)
        signal = reshape(signal, full_shape([frames + segments, segments, step]))
        perm: Any = concat([range_(outer_rank), outer_rank + np.array([1, 0, 2], np.int32)], 0)
        static_perm = get_static_value(perm)
        signal = transpose(signal, static_perm if static_perm is not None else perm)
        signal = reshape(signal, full_shape([(frames + segments) * segments, step]))
        signal = signal[..., :(frames + segments - 1) * segments, :]
        signal = reshape(signal, full_shape([segments, frames + segments - 1, step]))
        signal = reduce_sum(signal, -3)
        signal = reshape(signal, full_shape([(frames + segments - 1) * step]))
        return signal[..., :output_length]


# ----- windows -----
def _window_length(window_length: Any, dtype: Any, name: Optional[str] = None) -> Tensor:
    dtype = _dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"dtype must be a floating point type. Found {dtype}")
    length = convert_to_tensor(window_length, dtype=_dtypes.int32, name=name)
    _assert_scalar(length, "window_length")
    return length


def _raised_cosine_window(name: Optional[str], default_name: str, window_length: Any,
                          periodic: Any, dtype: Any, a: float, b: float) -> Tensor:
    from .cond_ops import cond

    dtype = _dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"dtype must be a floating point type. Found {dtype}")
    with name_scope(name, default_name, [window_length, periodic]):
        length = _window_length(window_length, dtype, name="window_length")
        static_length = _static(length)
        if static_length == 1:
            return ones([1], dtype=dtype)
        periodic = cast(convert_to_tensor(periodic, dtype=_dtypes.bool, name="periodic"),
                        _dtypes.int32)
        _assert_scalar(periodic, "periodic")
        even = 1 - _binary("FloorMod", "mod", length, 2, None)
        n = cast(length + periodic * even - 1, dtype=dtype)
        count = cast(range_(length), dtype)
        cos_arg = convert_to_tensor(2 * np.pi, dtype=dtype) * count / n
        if static_length is not None:
            return cast(a - b * cos(cos_arg), dtype=dtype)
        return cond(equal(length, 1), lambda: ones([length], dtype=dtype),
                    lambda: cast(a - b * cos(cos_arg), dtype=dtype))


def hann_window(window_length: Any, periodic: Any = True, dtype: Any = _dtypes.float32,
                name: Optional[str] = None) -> Tensor:
    """``0.5 - 0.5 cos(2 pi n / N)``, N the length (periodic) or the length - 1."""
    return _raised_cosine_window(name, "hann_window", window_length, periodic, dtype, 0.5, 0.5)


def hamming_window(window_length: Any, periodic: Any = True, dtype: Any = _dtypes.float32,
                   name: Optional[str] = None) -> Tensor:
    """``0.54 - 0.46 cos(2 pi n / N)``."""
    return _raised_cosine_window(name, "hamming_window", window_length, periodic, dtype, 0.54,
                                 0.46)


def kaiser_window(window_length: Any, beta: Any = 12.0, dtype: Any = _dtypes.float32,
                  name: Optional[str] = None) -> Tensor:
    """``I0(beta sqrt(1 - (2n/(N-1) - 1)^2)) / I0(beta)``, from the scaled ``bessel_i0e``."""
    with name_scope(name, "kaiser_window"):
        length = _window_length(window_length, dtype)
        dtype = _dtypes.as_dtype(dtype)
        if _static(length) == 1:
            return ones([1], dtype=dtype)
        half = (cast(length, dtype=_dtypes.float32) - 1.0) / 2.0
        arg = cast(range_(-half, half + 0.1, dtype=_dtypes.float32), dtype=dtype)
        beta = cast(beta, dtype=dtype)
        one = cast(1.0, dtype=dtype)
        half = cast(half, dtype=dtype)
        num = beta * sqrt(relu(one - square(arg / half)))
        return exp(num - beta) * (bessel_i0e(num) / bessel_i0e(beta))


def kaiser_bessel_derived_window(window_length: Any, beta: Any = 12.0,
                                 dtype: Any = _dtypes.float32,
                                 name: Optional[str] = None) -> Tensor:
    """The square root of the Kaiser window's normalised running sum, mirrored."""
    with name_scope(name, "kaiser_bessel_derived_window"):
        length = _window_length(window_length, dtype)
        halflen = length // 2
        kaiser = kaiser_window(halflen + 1, beta, dtype=dtype)
        running = cumsum(kaiser)
        half = sqrt(running[:-1] / running[-1])
        return concat((half, half[::-1]), axis=0)


def vorbis_window(window_length: Any, dtype: Any = _dtypes.float32,
                  name: Optional[str] = None) -> Tensor:
    """``sin(pi/2 sin^2(pi (n + 1/2) / N))``."""
    with name_scope(name, "vorbis_window"):
        length = _window_length(window_length, dtype)
        dtype = _dtypes.as_dtype(dtype)
        arg = cast(range_(length), dtype=dtype)
        inner = sin(np.pi / cast(length, dtype=dtype) * (arg + 0.5))
        return sin(np.pi / 2.0 * pow_(inner, 2.0))


# ----- short-time Fourier transform -----
def _enclosing_power_of_two(value: Tensor) -> Tensor:
    static = _static(value)
    if static is not None:
        return convert_to_tensor(int(2 ** np.ceil(np.log(static) / np.log(2.0))), value.dtype)
    from .math_ops import ceil

    exponent = ceil(log(cast(value, _dtypes.float32)) / log(2.0))
    return cast(pow_(2.0, exponent), value.dtype)


def _stft_lengths(frame_length: Any, frame_step: Any, fft_length: Any
                  ) -> tuple[Tensor, Tensor, Tensor]:
    """The scalar arguments of ``stft`` and ``inverse_stft`` as tensors, ``fft_length``
    defaulting to the power of two enclosing ``frame_length``."""
    frame_length = convert_to_tensor(frame_length, name="frame_length")
    _assert_scalar(frame_length, "frame_length")
    frame_step = convert_to_tensor(frame_step, name="frame_step")
    _assert_scalar(frame_step, "frame_step")
    if fft_length is None:
        return frame_length, frame_step, _enclosing_power_of_two(frame_length)
    return frame_length, frame_step, convert_to_tensor(fft_length, name="fft_length")


def stft(signals: Any, frame_length: Any, frame_step: Any, fft_length: Any = None,
         window_fn: Optional[Callable[..., Tensor]] = hann_window, pad_end: bool = False,
         name: Optional[str] = None) -> Tensor:
    """``[..., samples]`` -> ``[..., frames, fft_length // 2 + 1]`` complex: the RFFT of each
    windowed frame (``fft_length`` defaults to the power of two enclosing ``frame_length``)."""
    with name_scope(name, "stft", [signals, frame_length, frame_step]):
        signals = convert_to_tensor(signals, name="signals")
        if signals.shape.ndims == 0:
            raise ValueError("Shape () must have rank at least 1")
        frame_length, frame_step, fft_length = _stft_lengths(frame_length, frame_step,
                                                             fft_length)
        framed = frame(signals, frame_length, frame_step, pad_end=pad_end)
        if window_fn is not None:
            framed *= window_fn(frame_length, dtype=framed.dtype)
        return rfft(framed, [fft_length])


def inverse_stft_window_fn(frame_step: Any,
                           forward_window_fn: Callable[..., Tensor] = hann_window,
                           name: Optional[str] = None) -> Callable[..., Tensor]:
    """A window for ``inverse_stft`` that undoes ``forward_window_fn``'s overlapping gain."""
    def inverse_window(frame_length: Any, dtype: Any) -> Tensor:
        with name_scope(name, "inverse_stft_window_fn", [forward_window_fn]):
            step = convert_to_tensor(frame_step, name="frame_step")
            _assert_scalar(step, "frame_step")
            length = convert_to_tensor(frame_length, name="frame_length")
            _assert_scalar(length, "frame_length")
            forward = forward_window_fn(length, dtype=dtype)
            denom = square(forward)
            overlaps = -(-length // step)
            denom = pad(denom, [(0, overlaps * step - length)])
            denom = reshape(denom, [overlaps, step])
            denom = reduce_sum(denom, 0, keepdims=True)
            denom = tile(denom, [overlaps, 1])
            denom = reshape(denom, [overlaps * step])
            denom = denom[:length]
            return where(equal(denom, 0.0), zeros_like(forward), forward / denom)
    return inverse_window


def inverse_stft(stfts: Any, frame_length: Any, frame_step: Any, fft_length: Any = None,
                 window_fn: Optional[Callable[..., Tensor]] = hann_window,
                 name: Optional[str] = None) -> Tensor:
    """``[..., frames, fft_unique_bins]`` complex -> ``[..., samples]``: the IRFFT of each
    frame, cut or padded to ``frame_length``, windowed, overlapped and added."""
    with name_scope(name, "inverse_stft", [stfts]):
        stfts = convert_to_tensor(stfts, name="stfts")
        if stfts.shape.ndims is not None and stfts.shape.ndims < 2:
            raise ValueError(f"Shape {stfts.shape} must have rank at least 2")
        frame_length, frame_step, fft_length = _stft_lengths(frame_length, frame_step,
                                                             fft_length)
        _assert_scalar(fft_length, "fft_length")
        frames = irfft(stfts, [fft_length])
        static_length = _static(frame_length)
        dims = frames.shape.as_list() if frames.shape.ndims is not None else None
        if static_length is None or dims is None or dims[-1] is None:
            frames = frames[..., :frame_length]
            frames_rank = rank_of(frames)
            frames_shape = shape_of(frames)
            paddings = concat([zeros([frames_rank - 1, 2], dtype=frame_length.dtype),
                               [[0, maximum(0, frame_length - frames_shape[-1])]]], 0)
            frames = pad(frames, paddings)
        elif dims[-1] > static_length:
            frames = frames[..., :static_length]
        elif dims[-1] < static_length:
            frames = pad(frames, [[0, 0]] * (len(dims) - 1)
                         + [[0, static_length - dims[-1]]])
        if static_length is not None and frames.shape.ndims is not None:
            frames.set_shape([None] * (frames.shape.ndims - 1) + [static_length])
        if window_fn is not None:
            frames *= window_fn(frame_length, dtype=stfts.dtype.real_dtype)
        return overlap_and_add(frames, frame_step)


# ----- mel scale -----
_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _hertz_to_mel(frequencies: Any) -> Tensor:
    with name_scope(None, "hertz_to_mel", [frequencies]):
        frequencies = convert_to_tensor(frequencies)
        return _MEL_HIGH_FREQUENCY_Q * log(1.0 + frequencies / _MEL_BREAK_FREQUENCY_HERTZ)


def linear_to_mel_weight_matrix(num_mel_bins: int = 20, num_spectrogram_bins: int = 129,
                                sample_rate: Any = 8000, lower_edge_hertz: float = 125.0,
                                upper_edge_hertz: float = 3800.0,
                                dtype: Any = _dtypes.float32,
                                name: Optional[str] = None) -> Tensor:
    """``[num_spectrogram_bins, num_mel_bins]``: triangular filters evenly spaced on the mel
    scale (HTK's formula), the DC bin zeroed, for multiplying a magnitude spectrogram."""
    dtype = _dtypes.as_dtype(dtype)
    with name_scope(name, "linear_to_mel_weight_matrix") as scope:
        if isinstance(sample_rate, Tensor):
            static_rate = _static(sample_rate)
            if static_rate is not None:
                sample_rate = static_rate
        if num_mel_bins <= 0:
            raise ValueError(f"num_mel_bins must be positive. Got: {num_mel_bins}")
        if lower_edge_hertz < 0.0:
            raise ValueError(f"lower_edge_hertz must be non-negative. Got: {lower_edge_hertz}")
        if lower_edge_hertz >= upper_edge_hertz:
            raise ValueError("lower_edge_hertz %.1f >= upper_edge_hertz %.1f"
                             % (lower_edge_hertz, upper_edge_hertz))
        if not isinstance(sample_rate, Tensor):
            if sample_rate <= 0.0:
                raise ValueError(f"sample_rate must be positive. Got: {sample_rate}")
            if upper_edge_hertz > sample_rate / 2:
                raise ValueError("upper_edge_hertz must not be larger than the Nyquist frequency"
                                 f" (sample_rate / 2). Got {upper_edge_hertz} for sample_rate: "
                                 f"{sample_rate}")
        if not dtype.is_floating:
            raise ValueError(f"dtype must be a floating point type. Got: {dtype}")
        sample_rate = cast(sample_rate, dtype, name="sample_rate")
        lower = convert_to_tensor(lower_edge_hertz, dtype, name="lower_edge_hertz")
        upper = convert_to_tensor(upper_edge_hertz, dtype, name="upper_edge_hertz")
        zero = convert_to_tensor(0.0, dtype)
        nyquist = sample_rate / 2.0
        linear = linspace(zero, nyquist, num_spectrogram_bins)[1:]
        bins_mel = expand_dims(_hertz_to_mel(linear), 1)
        edges = frame(linspace(_hertz_to_mel(lower), _hertz_to_mel(upper), num_mel_bins + 2),
                      frame_length=3, frame_step=1)
        lower_mel, center_mel, upper_mel = tuple(
            reshape(t, [1, num_mel_bins]) for t in split(edges, 3, axis=1))
        lower_slopes = (bins_mel - lower_mel) / (center_mel - lower_mel)
        upper_slopes = (upper_mel - bins_mel) / (upper_mel - center_mel)
        weights = maximum(zero, minimum(lower_slopes, upper_slopes))
        return pad(weights, [[1, 0], [0, 0]], name=scope)


def mfccs_from_log_mel_spectrograms(log_mel_spectrograms: Any,
                                    name: Optional[str] = None) -> Tensor:
    """The orthonormal DCT-II of log-mel spectrograms over the innermost axis (HTK's MFCCs)."""
    with name_scope(name, "mfccs_from_log_mel_spectrograms", [log_mel_spectrograms]):
        spectrograms = convert_to_tensor(log_mel_spectrograms)
        dims = spectrograms.shape.as_list() if spectrograms.shape.ndims else None
        if dims and dims[-1] is not None:
            num_mel_bins: Any = dims[-1]
            if num_mel_bins == 0:
                raise ValueError(f"num_mel_bins must be positive. Got: {spectrograms}")
        else:
            num_mel_bins = shape_of(spectrograms)[-1]
        dct2 = dct(spectrograms, type=2)
        return dct2 * rsqrt(cast(num_mel_bins, dct2.dtype) * 2.0)


# ----- discrete cosine transforms -----
def _validate_dct(x: Any, dct_type: int, n: Optional[int], axis: int,
                  norm: Optional[str]) -> None:
    if axis != -1:
        raise NotImplementedError(f"axis must be -1. Got: {axis}")
    if n is not None and n < 1:
        raise ValueError("n should be a positive integer or None")
    if dct_type not in (1, 2, 3, 4):
        raise ValueError("Types I, II, III and IV (I)DCT are supported.")
    if dct_type == 1:
        if norm == "ortho":
            raise ValueError("Normalization is not supported for the Type-I DCT.")
        last = convert_to_tensor(x).shape
        if last.ndims and last.as_list()[-1] is not None and last.as_list()[-1] < 2:
            raise ValueError("Type-I DCT requires the dimension to be greater than one.")
    if norm not in (None, "ortho"):
        raise ValueError(f"Unknown normalization. Expected None or 'ortho', got: {norm}")


def _last_dim(x: Tensor) -> Any:
    dims = x.shape.as_list() if x.shape.ndims else None
    return dims[-1] if dims and dims[-1] else shape_of(x)[-1]


def _dct(x: Any, dct_type: int, n: Optional[int], norm: Optional[str],
         name: Optional[str]) -> Tensor:
    with name_scope(name, "dct", [x]):
        x = convert_to_tensor(x)
        zero = convert_to_tensor(0.0, dtype=x.dtype)
        seq_len = _last_dim(x)
        if n is not None:
            static_len = seq_len if isinstance(seq_len, int) else None
            if static_len is not None and n <= static_len:
                x = x[..., 0:n]
            elif static_len is not None:
                paddings = [[0, 0] for _ in range(x.shape.ndims)]
                paddings[-1][1] = n - static_len
                x = pad(x, paddings=convert_to_tensor(paddings, dtype=_dtypes.int32))
            else:
                raise ValueError("dct with n needs the innermost dimension known while building")
        axis_dim = _last_dim(x)
        axis_dim_float = cast(axis_dim, x.dtype)
        if dct_type == 1:
            dct1_input = concat([x, x[..., -2:0:-1]], axis=-1)
            return real(rfft(dct1_input))
        if dct_type == 2:
            phase = make_complex(zero, -range_(axis_dim_float) * _math.pi * 0.5 / axis_dim_float)
            scale = 2.0 * exp(phase)
            dct2 = real(rfft(x, fft_length=[2 * axis_dim])[..., :axis_dim] * scale)
            if norm == "ortho":
                n1 = 0.5 * rsqrt(axis_dim_float)
                n2 = n1 * _math.sqrt(2.0)
                weights = pad(expand_dims(n1, 0), [[0, axis_dim - 1]], constant_values=n2)
                dct2 *= weights
            return dct2
        if dct_type == 3:
            if norm == "ortho":
                n1 = sqrt(axis_dim_float)
                n2 = n1 * _math.sqrt(0.5)
                weights = pad(expand_dims(n1, 0), [[0, axis_dim - 1]], constant_values=n2)
                x *= weights
            else:
                x *= axis_dim_float
            phase = make_complex(zero, range_(axis_dim_float) * _math.pi * 0.5 / axis_dim_float)
            scale = 2.0 * exp(phase)
            return real(irfft(scale * make_complex(x, zero),
                              fft_length=[2 * axis_dim]))[..., :axis_dim]
        dct2 = _dct(x, 2, 2 * axis_dim, None, None)
        dct4 = dct2[..., 1::2]
        if norm == "ortho":
            dct4 *= _math.sqrt(0.5) * rsqrt(axis_dim_float)
        return dct4


def dct(input: Any, type: int = 2, n: Optional[int] = None, axis: int = -1,  # noqa: A002
        norm: Optional[str] = None, name: Optional[str] = None) -> Tensor:
    """The type I-IV discrete cosine transform over the innermost axis (scipy's
    definitions; ``norm="ortho"`` for the orthonormal II, III and IV)."""
    _validate_dct(input, type, n, axis, norm)
    return _dct(input, type, n, norm, name)


def idct(input: Any, type: int = 2, n: Optional[int] = None, axis: int = -1,  # noqa: A002
         norm: Optional[str] = None, name: Optional[str] = None) -> Tensor:
    """The DCT of the inverse type (I <-> I, II <-> III, IV <-> IV); the exact inverse with
    ``norm="ortho"``, else scaled by ``2 N`` (``2 (N - 1)`` for type I)."""
    _validate_dct(input, type, n, axis, norm)
    return _dct(input, {1: 1, 2: 3, 3: 2, 4: 4}[type], n, norm, name)


def mdct(signals: Any, frame_length: Any,
         window_fn: Optional[Callable[..., Tensor]] = vorbis_window, pad_end: bool = False,
         norm: Optional[str] = None, name: Optional[str] = None) -> Tensor:
    """The modified DCT of frames of ``frame_length`` (a multiple of 4) every half frame:
    ``[..., samples]`` -> ``[..., frames, frame_length // 2]``."""
    with name_scope(name, "mdct", [signals, frame_length]):
        signals = convert_to_tensor(signals, name="signals")
        if signals.shape.ndims == 0:
            raise ValueError("Shape () must have rank at least 1")
        frame_length = convert_to_tensor(frame_length, name="frame_length")
        _assert_scalar(frame_length, "frame_length")
        static_length = _static(frame_length)
        if static_length is not None:
            if static_length % 4 != 0:
                raise ValueError("The frame length must be a multiple of 4.")
            frame_step = convert_to_tensor(static_length // 2, dtype=frame_length.dtype)
        else:
            frame_step = frame_length // 2
        framed = frame(signals, frame_length, frame_step, pad_end=pad_end)
        if window_fn is not None:
            framed *= window_fn(frame_length, dtype=framed.dtype)
        else:
            framed *= 1.0 / np.sqrt(2)
        quarters = split(framed, 4, axis=-1)
        first_half = -reverse(quarters[2], [-1]) - quarters[3]
        second_half = quarters[0] - reverse(quarters[1], [-1])
        return dct(concat((first_half, second_half), axis=-1), type=4, norm=norm)


def inverse_mdct(mdcts: Any, window_fn: Optional[Callable[..., Tensor]] = vorbis_window,
                 norm: Optional[str] = None, name: Optional[str] = None) -> Tensor:
    """The inverse of ``mdct``: ``[..., frames, frame_length // 2]`` -> ``[..., samples]``,
    by the type IV DCT, unfolding, windowing and overlap-add."""
    with name_scope(name, "inverse_mdct", [mdcts]):
        mdcts = convert_to_tensor(mdcts, name="mdcts")
        if mdcts.shape.ndims is not None and mdcts.shape.ndims < 2:
            raise ValueError(f"Shape {mdcts.shape} must have rank at least 2")
        half_len = cast(mdcts.shape.as_list()[-1], dtype=_dtypes.int32)
        if norm is None:
            result = 0.5 / cast(half_len, dtype=mdcts.dtype) * dct(mdcts, type=4)
        elif norm == "ortho":
            result = dct(mdcts, type=4, norm="ortho")
        else:
            raise ValueError(f"Unknown normalization. Expected None or 'ortho', got: {norm}")
        halves = split(result, 2, axis=-1)
        frames = concat((halves[1], -reverse(halves[1], [-1]), -reverse(halves[0], [-1]),
                         -halves[0]), axis=-1)
        if window_fn is not None:
            frames *= window_fn(2 * half_len, dtype=mdcts.dtype)
        else:
            frames *= 1.0 / np.sqrt(2)
        return overlap_and_add(frames, half_len)
