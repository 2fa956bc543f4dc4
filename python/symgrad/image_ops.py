"""TF 1's ``tf.image`` helpers (flips, rotations, crops, pads, colour and dtype conversions,
brightness and contrast), composed from existing ops as TF 2.21's ``image_ops_impl.py``
composes them: the same op types, name scopes and static shapes, and the same static checks
(``ValueError``) and run-time ``Assert`` ops where a shape is only known when running.

``adjust_contrast`` builds TF's ``AdjustContrastv2`` op (float32 in and out; TF also takes
float16). ``saturate_cast`` clamps with ``Minimum``/``Maximum`` in a ``clamp`` scope where TF
builds one ``ClipByValue`` op: same values, same gradient.
"""

from __future__ import annotations

import typing
from typing import Any, Callable, Optional

import numpy as np

from . import dtypes as _dtypes
from ._op_helpers import convert_same_type, create_tensor
from .array_ops import (concat, expand_dims, ones, pad, rank, reshape, reverse, shape, slice,
                        squeeze, stack, tile, unstack)
from .array_ops import transpose as _transpose
from .check_ops import Assert, assert_equal, assert_greater_equal, assert_positive
from .cond_ops import case, cond
from .constant_op import convert_to_tensor
from .control_flow_ops import with_dependencies
from .framework import Tensor, name_scope
from .math_ops import (abs as _abs, add, cast, divide, equal, floordiv, less, logical_or,
                       maximum, minimum, mod, multiply, reduce_mean, reduce_prod, reduce_sum, rsqrt,
                       tensordot)
from .math_ops import round as _round
from .random_ops import random_uniform
from .special_math_ops import reduce_std
from ._nn_math import clip_by_value, reduce_all

__all__ = [
    "flip_left_right", "flip_up_down", "random_flip_left_right", "random_flip_up_down",
    "transpose", "transpose_image", "rot90", "per_image_standardization", "central_crop",
    "crop_to_bounding_box", "pad_to_bounding_box", "resize_image_with_crop_or_pad",
    "resize_with_crop_or_pad", "random_crop", "rgb_to_grayscale", "grayscale_to_rgb",
    "convert_image_dtype", "saturate_cast", "adjust_brightness", "adjust_contrast",
    "random_brightness", "random_contrast", "total_variation",
]


def _tensor(value: Any, name: str) -> Tensor:
    converted: Tensor = convert_to_tensor(value, name=name)
    return converted


def _is_tensor(x: Any) -> bool:
    from .variables import Variable
    return isinstance(x, (Tensor, Variable))


def _assert(condition: Any, ex_type: type, msg: str) -> list[Any]:
    """A Python condition is checked now; a tensor one becomes an ``Assert`` op."""
    if _is_tensor(condition):
        return [Assert(condition, [msg])]
    if not condition:
        raise ex_type(msg)
    return []


def _image_dimensions(image: Tensor, rank_: int) -> list[Any]:
    """The dims of ``image``: Python ints where static, else scalar tensors."""
    static = image.get_shape()
    if static.is_fully_defined():
        return static.as_list()
    static = static.with_rank(rank_)
    dynamic = unstack(shape(image), rank_)
    return [s if s is not None else d for s, d in zip(static.as_list(), dynamic)]


def _check_at_least_3d(image: Tensor) -> list[Any]:
    static = image.get_shape()
    if static.ndims is not None and static.ndims < 3:
        raise ValueError(
            f"'image' (shape {image.shape}) must be at least three-dimensional.")
    inner = static[-3:] if static.ndims is not None else None
    if inner is not None and any(d == 0 for d in inner.as_list()):
        raise ValueError(f"inner 3 dims of 'image.shape' must be > 0: {static}")
    if inner is None or not inner.is_fully_defined():
        return [
            assert_positive(shape(image)[-3:], ["inner 3 dims of 'image.shape' must be > 0."]),
            assert_greater_equal(rank(image), 3,
                                 message="'image' must be at least three-dimensional."),
        ]
    return []


def _assert_at_least_3d(image: Tensor) -> Tensor:
    return with_dependencies(_check_at_least_3d(image), image)


def _check_grayscale(image: Tensor) -> list[Any]:
    static = image.get_shape()
    if static.ndims is not None and static.ndims < 2:
        raise ValueError(
            f"A grayscale image (shape {image.shape}) must be at least two-dimensional.")
    if static.is_fully_defined():
        if static.as_list()[-1] != 1:
            raise ValueError("Last dimension of a grayscale image should be size 1.")
        return []
    return [
        assert_equal(shape(image)[-1], 1,
                     message="Last dimension of a grayscale image should be size 1."),
        assert_greater_equal(rank(image), 3,
                             message="A grayscale image must be at least two-dimensional."),
    ]


def _fix_image_flip_shape(image: Tensor, result: Tensor) -> Tensor:
    """A flipped 3-D image keeps the input's static shape (at least rank 3)."""
    if image.get_shape().ndims is None:
        result.set_shape([None, None, None])
    else:
        result.set_shape(image.get_shape())
    return result


def _by_rank(image: Tensor, f_rank3: Callable[[], Tensor], f_rank4: Callable[[], Tensor],
             gap: str = " ") -> Tensor:
    """Picks the 3-D or 4-D construction by static rank, or by a ``cond`` on the run-time
    rank when the rank is unknown (TF's texts differ by one space between functions)."""
    ndims = image.get_shape().ndims
    if ndims is None:
        picked: Tensor = cond(equal(rank(image), 3), f_rank3, f_rank4)
        return picked
    if ndims == 3:
        return f_rank3()
    if ndims == 4:
        return f_rank4()
    raise ValueError(
        f"'image' (shape {image.get_shape()}){gap}must have either 3 or 4 dimensions.")


def _flip(image: Any, flip_index: int, scope_name: str) -> Tensor:
    with name_scope(None, scope_name, [image]):
        image = _assert_at_least_3d(convert_to_tensor(image, name="image"))
        return _by_rank(
            image,
            lambda: _fix_image_flip_shape(image, reverse(image, [flip_index])),
            lambda: reverse(image, [flip_index + 1]),
            gap="")


def flip_left_right(image: Any) -> Tensor:
    """Reverses the width axis of a 3-D ``[h, w, c]`` or 4-D ``[n, h, w, c]`` image."""
    return _flip(image, 1, "flip_left_right")


def flip_up_down(image: Any) -> Tensor:
    """Reverses the height axis of a 3-D or 4-D image."""
    return _flip(image, 0, "flip_up_down")


def _random_flip(image: Any, flip_index: int, seed: Optional[int], scope_name: str) -> Tensor:
    with name_scope(None, scope_name, [image]) as scope:
        image = _assert_at_least_3d(convert_to_tensor(image, name="image"))

        def f_rank3() -> Tensor:
            uniform = random_uniform(shape=[], minval=0, maxval=1.0, seed=seed)
            result = cond(less(uniform, .5), lambda: reverse(image, [flip_index]),
                          lambda: image, name=scope)
            return _fix_image_flip_shape(image, result)

        def f_rank4() -> Tensor:
            batch_size = shape(image)[0]
            uniform = random_uniform(shape=[batch_size], minval=0, maxval=1.0, seed=seed)
            flips = cast(_round(reshape(uniform, [batch_size, 1, 1, 1])), image.dtype)
            flipped = reverse(image, [flip_index + 1])
            mixed: Tensor = flips * flipped + (1 - flips) * image
            return mixed

        return _by_rank(image, f_rank3, f_rank4)


def random_flip_left_right(image: Any, seed: Optional[int] = None) -> Tensor:
    """Flips a 3-D image left-right with probability 1/2 (each image of a 4-D batch
    independently)."""
    return _random_flip(image, 1, seed, "random_flip_left_right")


def random_flip_up_down(image: Any, seed: Optional[int] = None) -> Tensor:
    """Flips a 3-D image upside down with probability 1/2 (per image of a 4-D batch)."""
    return _random_flip(image, 0, seed, "random_flip_up_down")


def transpose(image: Any, name: Optional[str] = None) -> Tensor:
    """Swaps the height and width axes of a 3-D or 4-D image."""
    with name_scope(name, "transpose", [image]):
        image = _assert_at_least_3d(convert_to_tensor(image, name="image"))
        op_name = name or "transpose"
        return _by_rank(image, lambda: _transpose(image, [1, 0, 2], name=op_name),
                        lambda: _transpose(image, [0, 2, 1, 3], name=op_name))


transpose_image = transpose


def _rot90(images: Tensor, k: Tensor, scope: str, batched: bool) -> Tensor:
    """The rotation by ``k`` quarter turns as a ``case`` over k in {1, 2, 3}."""
    h, w = (1, 2) if batched else (0, 1)
    perm = [0, 2, 1, 3] if batched else [1, 0, 2]
    cases = [
        (equal(k, 1), lambda: _transpose(reverse(images, [w]), perm)),
        (equal(k, 2), lambda: reverse(images, [h, w])),
        (equal(k, 3), lambda: reverse(_transpose(images, perm), [w])),
    ]
    result: Tensor = case(cases, default=lambda: images, exclusive=True, name=scope)
    if batched:
        static = result.get_shape()
        result.set_shape([static[0], None, None, static[3]])
    else:
        result.set_shape([None, None, images.get_shape()[2]])
    return result


def rot90(image: Any, k: Any = 1, name: Optional[str] = None) -> Tensor:
    """Rotates a 3-D or 4-D image counter-clockwise by ``k`` quarter turns (``k`` may be a
    tensor; it is taken mod 4)."""
    with name_scope(name, "rot90", [image, k]) as scope:
        image = _assert_at_least_3d(convert_to_tensor(image, name="image"))
        k_t = convert_to_tensor(k, dtype=_dtypes.int32, name="k")
        k_t.get_shape().assert_has_rank(0)
        k_t = mod(k_t, 4)
        return _by_rank(image, lambda: _rot90(image, k_t, scope, False),
                        lambda: _rot90(image, k_t, scope, True))


def per_image_standardization(image: Any) -> Tensor:
    """``(x - mean) / max(stddev, 1/sqrt(num_pixels))`` per image, as float32."""
    with name_scope(None, "per_image_standardization", [image]) as scope:
        image = _assert_at_least_3d(convert_to_tensor(image, name="image"))
        image = cast(image, dtype=_dtypes.float32)
        num_pixels = reduce_prod(shape(image)[-3:])
        image_mean = reduce_mean(image, axis=[-1, -2, -3], keepdims=True)
        stddev = reduce_std(image, axis=[-1, -2, -3], keepdims=True)
        min_stddev = rsqrt(cast(num_pixels, _dtypes.float32))
        adjusted_stddev = maximum(stddev, min_stddev)
        image -= image_mean
        return divide(image, adjusted_stddev, name=scope)


def _constant_value(value: Any) -> Any:
    """TF's ``constant_value``: a Python or numpy value, or a ``Const`` tensor's value."""
    if isinstance(value, Tensor):
        return value.op.get_attr("value") if value.op.type == "Const" else None
    return value


def central_crop(image: Any, central_fraction: Any) -> Tensor:
    """The central ``central_fraction`` (in (0, 1]) of each side of a 3-D or 4-D image."""
    with name_scope(None, "central_crop", [image]):
        image = _tensor(image, "image")
        fraction_static = _constant_value(central_fraction)
        if fraction_static is not None:
            if fraction_static <= 0.0 or fraction_static > 1.0:
                raise ValueError("central_fraction must be within (0, 1]")
            if fraction_static == 1.0:
                return typing.cast(Tensor, image)
        else:
            checks = _assert(
                logical_or(central_fraction > 0.0, central_fraction <= 1.0), ValueError,
                "central_fraction must be within (0, 1]")
            image = with_dependencies(checks, image)
        # TF builds the check and drops its result.
        _assert_at_least_3d(image)
        ndims = image.get_shape().ndims
        if ndims not in (3, 4):
            raise ValueError("`image` should either be a Tensor with rank = 3 or "
                             f"rank = 4. Had rank = {ndims}.")

        def get_dim(idx: int) -> tuple[Any, bool]:
            static = image.get_shape()[idx]
            if static is not None:
                return static, False
            return shape(image)[idx], True

        first = 0 if ndims == 3 else 1
        img_h, dynamic_h = get_dim(first)
        img_w, dynamic_w = get_dim(first + 1)
        depth = image.get_shape()[first + 2]
        dynamic_h = dynamic_h or fraction_static is None
        dynamic_w = dynamic_w or fraction_static is None

        def start(size: Any, dynamic: bool) -> Any:
            if dynamic:
                size_d = cast(size, _dtypes.float64)
                return cast((size_d - size_d * cast(central_fraction, _dtypes.float64)) / 2,
                            _dtypes.int32)
            return int((float(size) - float(size) * fraction_static) / 2)

        h_start = start(img_h, dynamic_h)
        w_start = start(img_w, dynamic_w)
        h_size = img_h - h_start * 2
        w_size = img_w - w_start * 2
        if ndims == 3:
            begin = stack([h_start, w_start, 0])
            size = stack([h_size, w_size, -1])
        else:
            begin = stack([0, h_start, w_start, 0])
            size = stack([-1, h_size, w_size, -1])
        cropped = slice(image, begin, size)
        static_hw = [None if dynamic_h else h_size, None if dynamic_w else w_size]
        if ndims == 3:
            cropped.set_shape(static_hw + [depth])
        else:
            cropped.set_shape([image.get_shape()[0]] + static_hw + [depth])
        return cropped


def _as_batch(image: Tensor) -> tuple[Tensor, bool]:
    """A 3-D (or unknown-rank) image as a batch of one; whether it already was a batch."""
    ndims = image.get_shape().ndims
    if ndims == 3:
        return expand_dims(image, 0), False
    if ndims is None:
        batch = expand_dims(image, 0)
        batch.set_shape([None] * 4)
        return batch, False
    if ndims != 4:
        raise ValueError(
            f"'image' (shape {image.get_shape()}) must have either 3 or 4 dimensions.")
    return image, True


def pad_to_bounding_box(image: Any, offset_height: Any, offset_width: Any,
                        target_height: Any, target_width: Any) -> Tensor:
    """Zero-pads a 3-D or 4-D image to ``target_height`` x ``target_width``, placing it at
    ``(offset_height, offset_width)``."""
    with name_scope(None, "pad_to_bounding_box", [image]):
        image, is_batch = _as_batch(convert_to_tensor(image, name="image"))
        batch, height, width, depth = _image_dimensions(image, 4)
        after_width = target_width - offset_width - width
        after_height = target_height - offset_height - height
        checks = _check_at_least_3d(image)
        checks += _assert(offset_height >= 0, ValueError, "offset_height must be >= 0")
        checks += _assert(offset_width >= 0, ValueError, "offset_width must be >= 0")
        checks += _assert(after_width >= 0, ValueError, "width must be <= target - offset")
        checks += _assert(after_height >= 0, ValueError, "height must be <= target - offset")
        image = with_dependencies(checks, image)
        paddings = reshape(stack([0, 0, offset_height, after_height, offset_width,
                                  after_width, 0, 0]), [4, 2])
        padded = pad(image, paddings)
        padded.set_shape([None if _is_tensor(d) else d
                          for d in (batch, target_height, target_width, depth)])
        return padded if is_batch else squeeze(padded, axis=[0])


def crop_to_bounding_box(image: Any, offset_height: Any, offset_width: Any,
                         target_height: Any, target_width: Any) -> Tensor:
    """The ``target_height`` x ``target_width`` window of a 3-D or 4-D image whose top-left
    corner is ``(offset_height, offset_width)``."""
    with name_scope(None, "crop_to_bounding_box", [image]):
        image, is_batch = _as_batch(convert_to_tensor(image, name="image"))
        checks = _check_at_least_3d(image)
        batch, height, width, depth = _image_dimensions(image, 4)
        checks += _assert(offset_width >= 0, ValueError, "offset_width must be >= 0.")
        checks += _assert(offset_height >= 0, ValueError, "offset_height must be >= 0.")
        checks += _assert(target_width > 0, ValueError, "target_width must be > 0.")
        checks += _assert(target_height > 0, ValueError, "target_height must be > 0.")
        checks += _assert(width >= (target_width + offset_width), ValueError,
                          "width must be >= target + offset.")
        checks += _assert(height >= (target_height + offset_height), ValueError,
                          "height must be >= target + offset.")
        image = with_dependencies(checks, image)
        cropped = slice(image, stack([0, offset_height, offset_width, 0]),
                        stack([shape(image)[0], target_height, target_width,
                               shape(image)[3]]))
        cropped.set_shape([None if _is_tensor(d) else d
                           for d in (batch, target_height, target_width, depth)])
        return cropped if is_batch else squeeze(cropped, axis=[0])


def _either(tensor_fn: Callable[[Any, Any], Any], python_fn: Callable[[Any, Any], Any]
            ) -> Callable[[Any, Any], Any]:
    return lambda x, y: (tensor_fn(x, y) if _is_tensor(x) or _is_tensor(y)
                         else python_fn(x, y))


def resize_image_with_crop_or_pad(image: Any, target_height: Any, target_width: Any
                                  ) -> Tensor:
    """Centrally crops or zero-pads a 3-D or 4-D image to the target height and width."""
    max_ = _either(maximum, max)
    min_ = _either(minimum, min)
    equal_ = _either(equal, lambda x, y: x == y)
    with name_scope(None, "resize_image_with_crop_or_pad", [image]):
        image, is_batch = _as_batch(convert_to_tensor(image, name="image"))
        checks = _check_at_least_3d(image)
        checks += _assert(target_width > 0, ValueError, "target_width must be > 0.")
        checks += _assert(target_height > 0, ValueError, "target_height must be > 0.")
        image = with_dependencies(checks, image)
        if _is_tensor(target_height):
            target_height = with_dependencies(checks, target_height)
        if _is_tensor(target_width):
            target_width = with_dependencies(checks, target_width)
        _, height, width, _ = _image_dimensions(image, 4)
        width_diff = target_width - width
        offset_crop_width = max_(-width_diff // 2, 0)
        offset_pad_width = max_(width_diff // 2, 0)
        height_diff = target_height - height
        offset_crop_height = max_(-height_diff // 2, 0)
        offset_pad_height = max_(height_diff // 2, 0)
        cropped = crop_to_bounding_box(image, offset_crop_height, offset_crop_width,
                                       min_(target_height, height), min_(target_width, width))
        resized = pad_to_bounding_box(cropped, offset_pad_height, offset_pad_width,
                                      target_height, target_width)
        if resized.get_shape().ndims is None:
            raise ValueError("resized contains no shape.")
        _, resized_height, resized_width, _ = _image_dimensions(resized, 4)
        checks = _assert(equal_(resized_height, target_height), ValueError,
                         "resized height is not correct.")
        checks += _assert(equal_(resized_width, target_width), ValueError,
                          "resized width is not correct.")
        resized = with_dependencies(checks, resized)
        return resized if is_batch else squeeze(resized, axis=[0])


resize_with_crop_or_pad = resize_image_with_crop_or_pad


def random_crop(value: Any, size: Any, seed: Optional[int] = None,
                name: Optional[str] = None) -> Tensor:
    """A uniformly placed ``size`` slice of ``value`` (any rank); fails when running if
    ``size`` exceeds the shape."""
    with name_scope(name, "random_crop", [value, size]) as scope:
        value = convert_to_tensor(value, name="value")
        size = convert_to_tensor(size, dtype=_dtypes.int32, name="size")
        value_shape = shape(value)
        check = Assert(reduce_all(value_shape >= size),
                       ["Need value.shape >= size, got ", value_shape, size], summarize=1000)
        value_shape = with_dependencies([check], value_shape)
        limit = value_shape - size + 1
        offset = random_uniform(shape(value_shape), dtype=size.dtype,
                                maxval=size.dtype.max, seed=seed) % limit
        return slice(value, offset, size, name=scope)


def saturate_cast(value: Any, dtype: Any, name: Optional[str] = None) -> Tensor:
    """``cast`` after clamping ``value`` to the range ``dtype`` can hold (TF's limits,
    nudged inwards where the other type cannot represent them exactly)."""
    with name_scope(name, "saturate_cast", [value]) as scope:
        value = convert_to_tensor(value, name="value")
        dtype = _dtypes.as_dtype(dtype).base_dtype
        in_dtype = value.dtype
        np_in = in_dtype.as_numpy_dtype
        promoted_type = np.promote_types(np_in, dtype.as_numpy_dtype)
        min_limit = np_in(np.maximum(in_dtype.min, dtype.min))
        if np.array([min_limit, dtype.min], dtype=promoted_type)[0] < dtype.min:
            min_limit = np.nextafter(min_limit, np_in(0), dtype=np_in)
        max_limit = np_in(np.minimum(float(in_dtype.max), float(dtype.max)))
        promoted = np.array([max_limit, dtype.max], dtype=promoted_type)
        if promoted[0] > promoted[1]:
            max_limit = np.nextafter(max_limit, np_in(0), dtype=np_in)
        value = clip_by_value(value, convert_to_tensor(min_limit, dtype=in_dtype),
                              convert_to_tensor(max_limit, dtype=in_dtype), name="clamp")
        return cast(value, dtype, name=scope)


def convert_image_dtype(image: Any, dtype: Any, saturate: bool = False,
                        name: Optional[str] = None) -> Tensor:
    """Converts between image types with TF's scaling: floats are in [0, 1], integers span
    their type's range (``uint8`` 255 is float 1.0); ``saturate`` clamps before casting."""
    image = convert_to_tensor(image, name="image")
    dtype = _dtypes.as_dtype(dtype)
    if not dtype.is_floating and not dtype.is_integer:
        raise AttributeError("dtype must be either floating point or integer")
    if not image.dtype.is_floating and not image.dtype.is_integer:
        raise AttributeError("image dtype must be either floating point or integer")
    if dtype == image.dtype:
        from .array_ops import identity
        return identity(image, name=name)
    with name_scope(name, "convert_image", [image]) as scope:
        caster = (lambda x, t, name=None: saturate_cast(x, t, name=name)) if saturate \
            else cast
        if image.dtype.is_integer and dtype.is_integer:
            scale_in, scale_out = image.dtype.max, dtype.max
            if scale_in > scale_out:
                scaled = floordiv(image, (scale_in + 1) // (scale_out + 1))
                return caster(scaled, dtype, name=scope)
            cast_image = caster(image, dtype)
            return multiply(cast_image, (scale_out + 1) // (scale_in + 1), name=scope)
        if image.dtype.is_floating and dtype.is_floating:
            return cast(image, dtype, name=scope)
        if image.dtype.is_integer:
            return multiply(cast(image, dtype), 1. / image.dtype.max, name=scope)
        # + 0.5 keeps the largest value from rounding down in the cast.
        scaled = multiply(image, dtype.max + 0.5)
        return caster(scaled, dtype, name=scope)


def rgb_to_grayscale(images: Any, name: Optional[str] = None) -> Tensor:
    """The luma ``0.2989 R + 0.5870 G + 0.1140 B`` of the last axis, kept as a size-1 axis,
    in the input's type."""
    with name_scope(name, "rgb_to_grayscale", [images]) as scope:
        images = convert_to_tensor(images, name="images")
        orig_dtype = images.dtype
        flt_image = convert_image_dtype(images, _dtypes.float32)
        gray_float = tensordot(flt_image, [0.2989, 0.5870, 0.1140], [-1, -1])
        gray_float = expand_dims(gray_float, -1)
        return convert_image_dtype(gray_float, orig_dtype, name=scope)


def grayscale_to_rgb(images: Any, name: Optional[str] = None) -> Tensor:
    """The size-1 last axis repeated three times."""
    with name_scope(name, "grayscale_to_rgb", [images]) as scope:
        images = convert_to_tensor(images, name="images")
        images = with_dependencies(_check_grayscale(images), images)
        rank_1 = expand_dims(rank(images) - 1, 0)
        multiples = concat([ones(rank_1, dtype=_dtypes.int32), expand_dims(3, 0)], 0)
        rgb = tile(images, multiples, name=scope)
        static = images.get_shape()
        if static.ndims is not None:
            rgb.set_shape(static[:-1].concatenate([3]))
        return rgb


def _float_image(image: Tensor) -> Tensor:
    return image if image.dtype is _dtypes.float32 else convert_image_dtype(
        image, _dtypes.float32)


def adjust_brightness(image: Any, delta: Any) -> Tensor:
    """``image + delta`` computed in float32 (integer images are scaled to [0, 1] first) and
    converted back to the image's type, saturating."""
    with name_scope(None, "adjust_brightness", [image, delta]) as scope:
        image = convert_to_tensor(image, name="image")
        orig_dtype = image.dtype
        flt_image = _float_image(image)
        adjusted = add(flt_image, cast(delta, flt_image.dtype), name=scope)
        return convert_image_dtype(adjusted, orig_dtype, saturate=True)


def adjust_contrast(images: Any, contrast_factor: Any) -> Tensor:
    """``(x - mean) * contrast_factor + mean`` with the mean over each image's height and
    width, per channel (``AdjustContrastv2``), computed in float32."""
    with name_scope(None, "adjust_contrast", [images, contrast_factor]) as scope:
        images = convert_to_tensor(images, name="images")
        orig_dtype = images.dtype
        flt_images = _float_image(images)
        (factor,) = convert_same_type("AdjustContrastv2",
                                      [("contrast_factor", contrast_factor)],
                                      dtype=_dtypes.float32)
        adjusted = create_tensor("AdjustContrastv2", [flt_images, factor], {}, scope)
        return convert_image_dtype(adjusted, orig_dtype, saturate=True)


def random_brightness(image: Any, max_delta: Any, seed: Optional[int] = None) -> Tensor:
    """``adjust_brightness`` by a delta drawn uniformly from ``[-max_delta, max_delta)``."""
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    delta = random_uniform([], -max_delta, max_delta, seed=seed)
    return adjust_brightness(image, delta)


def random_contrast(image: Any, lower: Any, upper: Any, seed: Optional[int] = None
                    ) -> Tensor:
    """``adjust_contrast`` by a factor drawn uniformly from ``[lower, upper)``."""
    return adjust_contrast(image, _random_factor(lower, upper, seed))


def _random_factor(lower: Any, upper: Any, seed: Optional[int]) -> Tensor:
    """A factor drawn uniformly from ``[lower, upper)``, with TF's checks of the range."""
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")
    return random_uniform([], lower, upper, seed=seed)


def total_variation(images: Any, name: Optional[str] = None) -> Tensor:
    """The sum of absolute differences of neighbouring pixels (one value per image of a
    4-D batch)."""
    with name_scope(name, "total_variation"):
        ndims = images.get_shape().ndims
        if ndims == 3:
            dif1 = images[1:, :, :] - images[:-1, :, :]
            dif2 = images[:, 1:, :] - images[:, :-1, :]
            sum_axis = None
        elif ndims == 4:
            dif1 = images[:, 1:, :, :] - images[:, :-1, :, :]
            dif2 = images[:, :, 1:, :] - images[:, :, :-1, :]
            sum_axis = [1, 2, 3]
        else:
            raise ValueError("'images' must be either 3 or 4-dimensional.")
        return (reduce_sum(_abs(dif1), axis=sum_axis)
                + reduce_sum(_abs(dif2), axis=sum_axis))
