"""``symgrad.image``: the part of TF 1's ``tf.image`` that symgrad has.

The resize functions build the ops TF 2.21's ``tf.compat.v1.image`` builds: the
``resize_bilinear`` / ``resize_nearest_neighbor`` / ``resize_bicubic`` / ``resize_area``
wrappers create ``ResizeBilinear`` / ``ResizeNearestNeighbor`` / ``ResizeBicubic`` /
``ResizeArea`` directly, and ``resize_images`` (alias ``resize``, TF 1 semantics:
no half-pixel centers) wraps them in a ``resize`` name scope.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from . import dtypes as _dtypes
from ._op_helpers import convert_same_type, create_tensor, op_scope
from .array_ops import expand_dims, squeeze
from .constant_op import convert_to_tensor
from .framework import Tensor
from .layout_ops import extract_image_patches

__all__ = [
    "extract_image_patches", "extract_patches", "ResizeMethod", "resize_bilinear",
    "resize_nearest_neighbor", "resize_bicubic", "resize_area", "resize_images", "resize",
]

from .image_ops import __all__ as _helpers_all  # noqa: E402
from .image_ops import (adjust_brightness, adjust_contrast, central_crop,  # noqa: E402,F401
                        convert_image_dtype, crop_to_bounding_box, flip_left_right,
                        flip_up_down, grayscale_to_rgb, pad_to_bounding_box,
                        per_image_standardization, random_brightness, random_contrast,
                        random_crop, random_flip_left_right, random_flip_up_down,
                        resize_image_with_crop_or_pad, resize_with_crop_or_pad,
                        rgb_to_grayscale, rot90, total_variation, transpose, transpose_image)

__all__ += [n for n in _helpers_all if n != "saturate_cast"]

from .image_colour import __all__ as _colour_all  # noqa: E402
from .image_colour import (adjust_gamma, adjust_hue, adjust_saturation,  # noqa: E402,F401
                           hsv_to_rgb, image_gradients, psnr, random_hue, random_saturation,
                           rgb_to_hsv, rgb_to_yiq, rgb_to_yuv, sobel_edges, ssim,
                           ssim_multiscale, yiq_to_rgb, yuv_to_rgb)

__all__ += _colour_all


def extract_patches(images: Any, sizes: Any, strides: Any, rates: Any, padding: Any,
                    name: Optional[str] = None) -> Tensor:
    """``ExtractImagePatches`` with TF 2's argument names."""
    return extract_image_patches(images, sizes, strides, rates, padding, name=name)


class ResizeMethod:
    """TF 1's ``tf.image.ResizeMethod`` (``ResizeMethodV1``): integer codes."""

    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


# TF's v1 resize also accepts the v2 method strings.
_METHOD_OPS = {
    ResizeMethod.BILINEAR: "ResizeBilinear", "bilinear": "ResizeBilinear",
    ResizeMethod.NEAREST_NEIGHBOR: "ResizeNearestNeighbor", "nearest": "ResizeNearestNeighbor",
    ResizeMethod.BICUBIC: "ResizeBicubic", "bicubic": "ResizeBicubic",
    ResizeMethod.AREA: "ResizeArea", "area": "ResizeArea",
}


def _resize_op(op_type: str, images: Any, size: Any, align_corners: bool,
               half_pixel_centers: bool, name: Optional[str]) -> Tensor:
    with op_scope(name, op_type, [images, size]) as scope:
        images_t = convert_to_tensor(images, name="images")
        (size_t,) = convert_same_type(op_type, [("size", size)], dtype=_dtypes.int32)
        attrs = {"align_corners": bool(align_corners)}
        if op_type != "ResizeArea":  # TF's ResizeArea has no half-pixel mode
            attrs["half_pixel_centers"] = bool(half_pixel_centers)
        return create_tensor(op_type, [images_t, size_t], attrs, scope)


def resize_bilinear(images: Any, size: Any, align_corners: bool = False,
                    name: Optional[str] = None, half_pixel_centers: bool = False) -> Tensor:
    """``ResizeBilinear``: NHWC images of any real type resized to ``size`` (float32 out)."""
    return _resize_op("ResizeBilinear", images, size, align_corners, half_pixel_centers, name)


def resize_nearest_neighbor(images: Any, size: Any, align_corners: bool = False,
                            name: Optional[str] = None,
                            half_pixel_centers: bool = False) -> Tensor:
    """``ResizeNearestNeighbor``: NHWC images resized to ``size``, keeping their type."""
    return _resize_op("ResizeNearestNeighbor", images, size, align_corners,
                      half_pixel_centers, name)


def resize_bicubic(images: Any, size: Any, align_corners: bool = False,
                   name: Optional[str] = None, half_pixel_centers: bool = False) -> Tensor:
    """``ResizeBicubic``: NHWC images of any real type resized to ``size`` by cubic
    convolution (float32 out)."""
    return _resize_op("ResizeBicubic", images, size, align_corners, half_pixel_centers, name)


def resize_area(images: Any, size: Any, align_corners: bool = False,
                name: Optional[str] = None) -> Tensor:
    """``ResizeArea``: each output pixel the mean of the input area it covers (float32 out;
    no gradient, as in TF)."""
    return _resize_op("ResizeArea", images, size, align_corners, False, name)


def _static_size(size: Tensor) -> tuple[Optional[int], Optional[int]]:
    """The new height and width where ``size`` is a constant (TF's
    ``constant_value_as_shape``: negative values are unknown)."""
    if size.op.type != "Const":
        return None, None
    values = [int(v) for v in size.op.get_attr("value").reshape(-1)]
    known = [v if v >= 0 else None for v in values] + [None, None]
    return known[0], known[1]


def resize_images(images: Any, size: Any, method: Any = ResizeMethod.BILINEAR,
                  align_corners: bool = False, preserve_aspect_ratio: bool = False,
                  name: Optional[str] = None) -> Tensor:
    """TF 1's ``tf.image.resize_images`` (also ``tf.compat.v1.image.resize``): a 3-D or 4-D
    NHWC image resized by ``method`` inside a ``resize`` name scope; returned unchanged when
    its size is statically the requested one."""
    with op_scope(name, "resize", [images, size]):
        images = convert_to_tensor(images, name="images")
        ndims = images.get_shape().ndims
        if ndims is None:
            raise ValueError("'images' contains no shape.")
        is_batch = ndims != 3
        if not is_batch:
            images = expand_dims(images, 0)
        elif ndims != 4:
            raise ValueError("'images' must have either 3 or 4 dimensions.")
        _, height, width, _ = images.get_shape().as_list()
        try:
            size = convert_to_tensor(size, _dtypes.int32, name="size")
        except (TypeError, ValueError):
            raise ValueError("'size' must be a 1-D int32 Tensor") from None
        if not size.get_shape().is_compatible_with([2]):
            raise ValueError("'size' must be a 1-D Tensor of 2 elements: new_height, "
                             "new_width")
        if preserve_aspect_ratio:
            size = _aspect_preserving_size(images, size)
        new_height, new_width = _static_size(size)
        if (None not in (new_height, new_width, height, width) and width == new_width
                and height == new_height):
            return images if is_batch else squeeze(images, axis=[0])
        resizer = _resizer(method)
        images = resizer(images, size, align_corners)
        images.set_shape([None, new_height, new_width, None])
        return images if is_batch else squeeze(images, axis=[0])


resize = resize_images


def _resizer(method: Any) -> Callable[[Tensor, Tensor, bool], Tensor]:
    try:
        op_type = _METHOD_OPS.get(method)
    except TypeError:  # an unhashable method
        op_type = None
    if op_type is None:
        raise ValueError(f"Resize method is not implemented: {method}")

    def run(images: Tensor, size: Tensor, align_corners: bool) -> Tensor:
        return _resize_op(op_type, images, size, align_corners, False, None)
    return run


def _aspect_preserving_size(images: Tensor, size: Tensor) -> Tensor:
    """TF's ``preserve_aspect_ratio``: both sides scaled by the smaller of the two ratios,
    rounded (computed in float32, as TF does)."""
    from .array_ops import shape as _shape, stack
    from .math_ops import cast, minimum, round as _round

    dims = images.get_shape().as_list()
    dynamic = _shape(images)

    def dim(i: int) -> Any:
        return dims[i] if dims[i] is not None else dynamic[i]

    height = cast(dim(1), _dtypes.float32)
    width = cast(dim(2), _dtypes.float32)
    scale = minimum(cast(size[0], _dtypes.float32) / height,
                    cast(size[1], _dtypes.float32) / width)
    new_height = cast(_round(scale * height), _dtypes.int32)
    new_width = cast(_round(scale * width), _dtypes.int32)
    return convert_to_tensor(stack([new_height, new_width]), _dtypes.int32, name="size")

from .image_boxes import __all__ as _boxes_all  # noqa: E402
from .image_boxes import (crop_and_resize, non_max_suppression,  # noqa: E402,F401
                          non_max_suppression_overlaps, non_max_suppression_with_scores)

__all__ += _boxes_all
