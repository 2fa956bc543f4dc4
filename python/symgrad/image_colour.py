"""More of TF 1's ``tf.image``: colour spaces (``rgb_to_hsv``, ``hsv_to_rgb``, YIQ, YUV),
hue, saturation and gamma adjustments and their random forms, image gradients
(``image_gradients``, ``sobel_edges``) and image quality (``psnr``, ``ssim``,
``ssim_multiscale``), built as TF 2.21's ``image_ops_impl.py`` builds them.

``rgb_to_hsv``, ``hsv_to_rgb``, ``adjust_hue`` and ``adjust_saturation`` are single ops
(``RGBToHSV``, ``HSVToRGB``, ``AdjustHue``, ``AdjustSaturation``) computed per pixel as
TF's kernels compute them; the rest are compositions of existing ops.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from . import dtypes as _dtypes
from ._op_helpers import convert_same_type, create_tensor, op_scope
from ._nn_math import reduce_all, reduce_any
from .array_ops import (concat, expand_dims, identity, pad, reshape, shape, size, stack, tile,
                        unstack, zeros)
from .check_ops import Assert
from .cond_ops import cond
from .constant_op import constant, convert_to_tensor
from .control_flow_ops import with_dependencies
from .framework import Tensor, control_dependencies, name_scope
from .image_ops import _assert, _random_factor, convert_image_dtype
from .layout_ops import shape_n
from .math_ops import (cast, equal, greater_equal, log, not_equal, pow as _pow, range as _range,
                       reduce_mean, reduce_prod, square, squared_difference, subtract,
                       tensordot)
from .nn import relu, softmax
from .nn_conv import avg_pool, depthwise_conv2d
from .random_ops import random_uniform

__all__ = [
    "rgb_to_hsv", "hsv_to_rgb", "adjust_hue", "adjust_saturation", "random_hue",
    "random_saturation", "adjust_gamma", "rgb_to_yiq", "yiq_to_rgb", "rgb_to_yuv",
    "yuv_to_rgb", "image_gradients", "sobel_edges", "psnr", "ssim", "ssim_multiscale",
]


# ----- colour spaces -----

def _colour_op(op_type: str, images: Any, name: Optional[str]) -> Tensor:
    with op_scope(name, op_type, [images]) as scope:
        images = convert_to_tensor(images, name="images")
        return create_tensor(op_type, [images], {}, scope)


def rgb_to_hsv(images: Any, name: Optional[str] = None) -> Tensor:
    """``RGBToHSV``: the last axis (red, green, blue in ``[0, 1]``) as hue, saturation,
    value; float32 or float64, differentiable."""
    return _colour_op("RGBToHSV", images, name)


def hsv_to_rgb(images: Any, name: Optional[str] = None) -> Tensor:
    """``HSVToRGB``: the inverse of ``rgb_to_hsv`` (not differentiable, as in TF)."""
    return _colour_op("HSVToRGB", images, name)


def _adjusted(op_type: str, scope_name: str, image: Any, amount_name: str, amount: Any,
              name: Optional[str]) -> Tensor:
    """``op_type`` on the image as float32 (integer images scaled to ``[0, 1]``), converted
    back to the image's type."""
    with name_scope(name, scope_name, [image]):
        image = convert_to_tensor(image, name="image")
        orig_dtype = image.dtype
        flt_image = image if orig_dtype is _dtypes.float32 else convert_image_dtype(
            image, _dtypes.float32)
        (amount_t,) = convert_same_type(op_type, [(amount_name, amount)],
                                        dtype=_dtypes.float32)
        adjusted = create_tensor(op_type, [flt_image, amount_t], {}, "")
        return convert_image_dtype(adjusted, orig_dtype)


def adjust_hue(image: Any, delta: Any, name: Optional[str] = None) -> Tensor:
    """Turns the hue of RGB images by ``delta`` (a fraction of the colour wheel, in
    ``[-1, 1]``): ``AdjustHue``, in float32."""
    return _adjusted("AdjustHue", "adjust_hue", image, "delta", delta, name)


def adjust_saturation(image: Any, saturation_factor: Any, name: Optional[str] = None
                      ) -> Tensor:
    """Scales the saturation of RGB images by ``saturation_factor`` (clamped to ``[0, 1]``
    per pixel): ``AdjustSaturation``, in float32."""
    return _adjusted("AdjustSaturation", "adjust_saturation", image, "scale",
                     saturation_factor, name)


def random_hue(image: Any, max_delta: float, seed: Optional[int] = None) -> Tensor:
    """``adjust_hue`` by a delta drawn uniformly from ``[-max_delta, max_delta)``
    (``max_delta`` in ``[0, 0.5]``)."""
    if max_delta > 0.5:
        raise ValueError("max_delta must be <= 0.5.")
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    delta = random_uniform([], -max_delta, max_delta, seed=seed)
    return adjust_hue(image, delta)


def random_saturation(image: Any, lower: float, upper: float,
                      seed: Optional[int] = None) -> Tensor:
    """``adjust_saturation`` by a factor drawn uniformly from ``[lower, upper)``."""
    return adjust_saturation(image, _random_factor(lower, upper, seed))


def adjust_gamma(image: Any, gamma: Any = 1, gain: Any = 1) -> Tensor:
    """``gain * image ** gamma`` in float (integer images scaled to ``[0, 1]``), converted
    back to the image's type, saturating; ``gamma`` must be non-negative."""
    with name_scope(None, "adjust_gamma", [image, gamma, gain]):
        image = convert_to_tensor(image, name="image")
        orig_dtype = image.dtype
        flt_image = image if orig_dtype is _dtypes.float32 else convert_image_dtype(
            image, _dtypes.float32)
        gamma_ok = greater_equal(gamma, 0) if isinstance(gamma, Tensor) else gamma >= 0
        checks = _assert(gamma_ok, ValueError, "Gamma should be a non-negative real number.")
        if checks:
            gamma = with_dependencies(checks, gamma)
        adjusted = gain * flt_image ** gamma
        return convert_image_dtype(adjusted, orig_dtype, saturate=True)


_RGB_TO_YIQ = [[0.299, 0.59590059, 0.2115], [0.587, -0.27455667, -0.52273617],
               [0.114, -0.32134392, 0.31119955]]
_YIQ_TO_RGB = [[1, 1, 1], [0.95598634, -0.27201283, -1.10674021],
               [0.6208248, -0.64720424, 1.70423049]]
_RGB_TO_YUV = [[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512],
               [0.114, 0.43601035, -0.10001026]]
_YUV_TO_RGB = [[1, 1, 1], [0, -0.394642334, 2.03206185], [1.13988303, -0.58062185, 0]]


def _linear_colour(images: Any, kernel: Sequence[Sequence[float]]) -> Tensor:
    """The last axis multiplied by a 3x3 colour matrix (a ``tensordot``)."""
    images = convert_to_tensor(images, name="images")
    kernel_t = convert_to_tensor(kernel, dtype=images.dtype, name="kernel")
    ndims = images.shape.ndims
    return tensordot(images, kernel_t, axes=[[ndims - 1], [0]])


def rgb_to_yiq(images: Any) -> Tensor:
    """RGB in ``[0, 1]`` to YIQ (NTSC) on the last axis."""
    return _linear_colour(images, _RGB_TO_YIQ)


def yiq_to_rgb(images: Any) -> Tensor:
    """YIQ to RGB on the last axis."""
    return _linear_colour(images, _YIQ_TO_RGB)


def rgb_to_yuv(images: Any) -> Tensor:
    """RGB in ``[0, 1]`` to YUV on the last axis."""
    return _linear_colour(images, _RGB_TO_YUV)


def yuv_to_rgb(images: Any) -> Tensor:
    """YUV to RGB on the last axis."""
    return _linear_colour(images, _YUV_TO_RGB)


# ----- image gradients -----

def image_gradients(image: Tensor) -> tuple[Tensor, Tensor]:
    """``(dy, dx)``: forward differences down and across a 4-D ``[batch, h, w, d]`` image,
    zero in the last row (column)."""
    if image.shape.ndims != 4:
        raise ValueError("image_gradients expects a 4D tensor [batch_size, h, w, d], not "
                         f"{image.shape}.")
    image_shape = shape(image)
    batch_size, height, width, depth = unstack(image_shape)
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    dy = concat([dy, zeros(stack([batch_size, 1, width, depth]), image.dtype)], 1)
    dy = reshape(dy, image_shape)
    dx = concat([dx, zeros(stack([batch_size, height, 1, depth]), image.dtype)], 2)
    dx = reshape(dx, image_shape)
    return dy, dx


def sobel_edges(image: Tensor) -> Tensor:
    """The vertical and horizontal Sobel responses of each channel of a 4-D image (edges
    reflected), stacked on a new last axis: ``[batch, h, w, d, 2]``."""
    static_shape = image.shape
    image_shape = shape(image)
    kernels = np.array([[[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
                        [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]])
    num_kernels = len(kernels)
    kernels = np.expand_dims(np.transpose(kernels, (1, 2, 0)), -2)
    kernels_t = tile(constant(kernels, dtype=image.dtype), [1, 1, image_shape[-1], 1],
                     name="sobel_filters")
    padded = pad(image, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    output = depthwise_conv2d(padded, kernels_t, [1, 1, 1, 1], "VALID")
    output = reshape(output, concat([image_shape, [num_kernels]], 0))
    output.set_shape(static_shape.concatenate([num_kernels]))
    return output


# ----- image quality -----

def _verify_compatible_image_shapes(img1: Tensor, img2: Tensor
                                    ) -> tuple[Tensor, Tensor, list[Any]]:
    """TF's static checks that two image batches compare (the last three dims match, the
    batch dims broadcast) and its run-time ``Assert``s for what is not static."""
    shape1 = img1.shape.with_rank_at_least(3)
    shape2 = img2.shape.with_rank_at_least(3)
    shape1[-3:].assert_is_compatible_with(shape2[-3:])
    if shape1.ndims is not None and shape2.ndims is not None:
        for dim1, dim2 in zip(reversed(shape1.dims[:-3]), reversed(shape2.dims[:-3])):
            if not (dim1 == 1 or dim2 == 1 or dim1.is_compatible_with(dim2)):
                raise ValueError(f"Two images are not compatible: {shape1} and {shape2}")
    dyn1, dyn2 = shape_n([img1, img2])
    checks = [
        Assert(greater_equal(size(dyn1), 3), [dyn1, dyn2], summarize=10),
        Assert(reduce_all(equal(dyn1[-3:], dyn2[-3:])), [dyn1, dyn2], summarize=10),
    ]
    return dyn1, dyn2, checks


def psnr(a: Any, b: Any, max_val: Any, name: Optional[str] = None) -> Tensor:
    """Peak signal-to-noise ratio between two image batches (over the last three axes), in
    dB: ``20 log10(max_val) - 10 log10(mse)``, computed in float32."""
    with name_scope(name, "PSNR", [a, b]):
        a = convert_to_tensor(a)
        max_val = convert_image_dtype(cast(max_val, a.dtype), _dtypes.float32)
        a = convert_image_dtype(a, _dtypes.float32)
        b = convert_image_dtype(convert_to_tensor(b), _dtypes.float32)
        mse = reduce_mean(squared_difference(a, b), [-3, -2, -1])
        value = subtract(20 * log(max_val) / log(10.0),
                         np.float32(10 / np.log(10)) * log(mse), name="psnr")
        _, _, checks = _verify_compatible_image_shapes(a, b)
        with control_dependencies(checks):
            return identity(value)


def _gaussian_kernel(size_t: Tensor, sigma: Tensor) -> Tensor:
    """MATLAB's ``fspecial('gaussian')``: a normalized ``[size, size, 1, 1]`` kernel."""
    coords = cast(_range(size_t), sigma.dtype)
    coords -= cast(size_t - 1, sigma.dtype) / 2.0
    g = square(coords)
    g *= -0.5 / square(sigma)
    g = reshape(g, [1, -1]) + reshape(g, [-1, 1])
    g = softmax(reshape(g, [1, -1]))
    return reshape(g, [size_t, size_t, 1, 1])


def _ssim_terms(x: Tensor, y: Tensor, reducer: Any, max_val: Any, k1: float,
                k2: float) -> tuple[Tensor, Tensor]:
    """SSIM's luminance and contrast-structure terms from local weighted means."""
    c1 = (k1 * max_val) ** 2
    c2 = (k2 * max_val) ** 2
    mean0, mean1 = reducer(x), reducer(y)
    num0 = mean0 * mean1 * 2.0
    den0 = square(mean0) + square(mean1)
    luminance = (num0 + c1) / (den0 + c1)
    num1 = reducer(x * y) * 2.0
    den1 = reducer(square(x) + square(y))
    cs = (num1 - num0 + c2) / (den1 - den0 + c2)
    return luminance, cs


def _ssim_per_channel(img1: Tensor, img2: Tensor, max_val: Any, filter_size: int,
                      filter_sigma: float, k1: float, k2: float,
                      return_index_map: bool = False) -> tuple[Tensor, Tensor]:
    size_t = constant(filter_size, dtype=_dtypes.int32)
    sigma = constant(filter_sigma, dtype=img1.dtype)
    shape1, shape2 = shape_n([img1, img2])
    checks = [
        Assert(reduce_all(greater_equal(shape1[-3:-1], size_t)), [shape1, size_t],
               summarize=8),
        Assert(reduce_all(greater_equal(shape2[-3:-1], size_t)), [shape2, size_t],
               summarize=8),
    ]
    with control_dependencies(checks):
        img1 = identity(img1)
    kernel = tile(_gaussian_kernel(size_t, sigma), multiples=[1, 1, shape1[-1], 1])

    def reducer(x: Tensor) -> Tensor:
        x_shape = shape(x)
        flat = reshape(x, concat([[-1], x_shape[-3:]], 0))
        y = depthwise_conv2d(flat, kernel, strides=[1, 1, 1, 1], padding="VALID")
        return reshape(y, concat([x_shape[:-3], shape(y)[1:]], 0))

    luminance, cs = _ssim_terms(img1, img2, reducer, max_val, k1, k2)
    if return_index_map:
        return luminance * cs, cs
    axes = constant([-3, -2], dtype=_dtypes.int32)
    return reduce_mean(luminance * cs, axes), reduce_mean(cs, axes)


def _as_float_pair(img1: Any, img2: Any, max_val: Any
                   ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Both images and ``max_val`` in float32 after the shape checks, and the shapes."""
    img1 = convert_to_tensor(img1, name="img1")
    img2 = convert_to_tensor(img2, name="img2")
    shape1, shape2, checks = _verify_compatible_image_shapes(img1, img2)
    with control_dependencies(checks):
        img1 = identity(img1)
    max_val = convert_image_dtype(cast(max_val, img1.dtype), _dtypes.float32)
    return (convert_image_dtype(img1, _dtypes.float32),
            convert_image_dtype(img2, _dtypes.float32), max_val, shape1, shape2)


def ssim(img1: Any, img2: Any, max_val: Any, filter_size: int = 11,
         filter_sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03,
         return_index_map: bool = False) -> Tensor:
    """Structural similarity of two image batches (Gaussian window ``filter_size`` /
    ``filter_sigma``), averaged over each image and its channels; with
    ``return_index_map`` the map of local values."""
    with name_scope(None, "SSIM", [img1, img2]):
        img1, img2, max_val, _, _ = _as_float_pair(img1, img2, max_val)
        per_channel, _ = _ssim_per_channel(img1, img2, max_val, filter_size, filter_sigma,
                                           k1, k2, return_index_map)
        return reduce_mean(per_channel, [-1])


_MSSSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def ssim_multiscale(img1: Any, img2: Any, max_val: Any,
                    power_factors: Sequence[float] = _MSSSIM_WEIGHTS, filter_size: int = 11,
                    filter_sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03) -> Tensor:
    """Multi-scale SSIM: the contrast-structure term at each scale (images halved by 2x2
    average pooling, odd sizes padded symmetrically) and the SSIM at the last, weighted by
    ``power_factors``."""
    with name_scope(None, "MS-SSIM", [img1, img2]):
        img1, img2, max_val, shape1, shape2 = _as_float_pair(img1, img2, max_val)
        imgs = [img1, img2]
        heads = [s[:-3] for s in (shape1, shape2)]
        tails = [s[-3:] for s in (shape1, shape2)]
        divisor = [1, 2, 2, 1]
        divisor_t = constant(divisor[1:], dtype=_dtypes.int32)

        def do_pad(images: list[Tensor], remainder: Tensor) -> list[Tensor]:
            padding = pad(expand_dims(remainder, -1), [[1, 0], [1, 0]])
            return [pad(x, padding, mode="SYMMETRIC") for x in images]

        mcs: list[Tensor] = []
        per_channel = None
        for k in range(len(power_factors)):
            with name_scope(None, f"Scale{k}", imgs):
                if k > 0:
                    flat = [reshape(x, concat([[-1], t], 0)) for x, t in zip(imgs, tails)]
                    remainder = tails[0] % divisor_t
                    need_padding = reduce_any(not_equal(remainder, 0))
                    padded = cond(need_padding, lambda: do_pad(flat, remainder),
                                  lambda: flat)
                    downscaled = [avg_pool(x, ksize=divisor, strides=divisor, padding="VALID")
                                  for x in padded]
                    tails = [x[1:] for x in shape_n(downscaled)]
                    imgs = [reshape(x, concat([h, t], 0))
                            for x, h, t in zip(downscaled, heads, tails)]
                per_channel, cs = _ssim_per_channel(imgs[0], imgs[1], max_val, filter_size,
                                                    filter_sigma, k1, k2)
                mcs.append(relu(cs))
        mcs.pop()  # the last scale contributes its SSIM, not its cs
        stacked = stack(mcs + [relu(per_channel)], axis=-1)
        ms_ssim = reduce_prod(_pow(stacked, power_factors), [-1])
        return reduce_mean(ms_ssim, [-1])
