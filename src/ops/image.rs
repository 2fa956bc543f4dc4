//! Image resizing (NHWC): `ResizeBilinear`, `ResizeNearestNeighbor`, `ResizeBicubic`,
//! `ResizeArea` and the gradient ops.
//!
//! Per op, side by side: shape rule, kernel and gradient. The kernels follow TF's CPU
//! kernels to the bit: source coordinates, scales and interpolation weights are computed in
//! float32 (TF's `CalculateResizeScale`, `HalfPixelScaler`, `LegacyScaler`), and bilinear
//! resizing reads every input type as float32 and returns float32.
//!
//! TF marks `ResizeBilinearGrad` not differentiable and registers no gradient for
//! `ResizeNearestNeighborGrad`. Both are linear in `grads`, with the forward resize as
//! their adjoint, so symgrad registers that as their gradient: second derivatives through
//! a resize are then exact where TF's are missing (None or `LookupError`).

use super::{array, index, linalg, one, Family, InferCtx, KernelCtx, OpKind, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx};
use crate::graph::{Graph, Metas, Node, Tensor};
use crate::shape::{Dims, Shape};
use crate::value::{Arr, Elem, Value};
use smallvec::smallvec;

/// The attributes every resize op has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResizeAttrs {
    pub align_corners: bool,
    pub half_pixel_centers: bool,
}

/// An op of the image family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageOp {
    /// `ResizeBilinear(images, size)`: any real type in, float32 out.
    ResizeBilinear(ResizeAttrs),
    /// `ResizeBilinearGrad(grads, original_image)`: float32 grads, original's float type out.
    ResizeBilinearGrad(ResizeAttrs),
    /// `ResizeBicubic(images, size)`: any real type in, float32 out. Keys' cubic
    /// convolution (a = -0.5, weights outside the image dropped and the rest renormalized)
    /// with half-pixel centers, else TF's legacy kernel (a = -0.75, edge pixels repeated).
    ResizeBicubic(ResizeAttrs),
    /// `ResizeBicubicGrad(grads, original_image)`: float32 grads, original's type out.
    ResizeBicubicGrad(ResizeAttrs),
    /// `ResizeArea(images, size)`: each output pixel the mean of the input area it covers,
    /// float32 out. No `half_pixel_centers`, and no gradient, as in TF.
    ResizeArea(ResizeAttrs),
    /// `ResizeNearestNeighbor(images, size)`: keeps the type.
    ResizeNearestNeighbor(ResizeAttrs),
    /// `ResizeNearestNeighborGrad(grads, size)`: sums each output pixel's gradient into the
    /// input pixel it was copied from.
    ResizeNearestNeighborGrad(ResizeAttrs),
    /// `AdjustContrastv2(images, contrast_factor)`: `(x - mean) * factor + mean`, the mean
    /// over each image's height and width per channel. float32 only (TF also takes half);
    /// no gradient, as in TF.
    AdjustContrastv2,
}

/// TF's allowed-type lists, as its `TypeError` texts print them.
const RESIZE_TYPES: &str =
    "int8, uint8, int16, uint16, int32, int64, bfloat16, float16, float32, float64, bfloat16";
const NEAREST_TYPES: &str =
    "int8, uint8, int16, uint16, int32, int64, float16, float32, float64, bfloat16";
const NN_GRAD_TYPES: &str = "uint8, int8, int32, float16, float32, float64, bfloat16";
const BILINEAR_GRAD_TYPES: &str = "float32, bfloat16, float16, float64";

impl ImageOp {
    fn resize_attrs(&self) -> ResizeAttrs {
        match self {
            ImageOp::ResizeBilinear(a)
            | ImageOp::ResizeBilinearGrad(a)
            | ImageOp::ResizeBicubic(a)
            | ImageOp::ResizeBicubicGrad(a)
            | ImageOp::ResizeArea(a)
            | ImageOp::ResizeNearestNeighbor(a)
            | ImageOp::ResizeNearestNeighborGrad(a) => *a,
            ImageOp::AdjustContrastv2 => ResizeAttrs {
                align_corners: false,
                half_pixel_centers: false,
            },
        }
    }

    fn attr_list(&self, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        let a = self.resize_attrs();
        // T is the image type: input 1 of the bilinear and bicubic gradients, else input 0.
        let t_index = usize::from(matches!(
            self,
            ImageOp::ResizeBilinearGrad(_) | ImageOp::ResizeBicubicGrad(_)
        ));
        let mut out = Vec::with_capacity(3);
        if let Some(t) = input_types.get(t_index) {
            out.push(("T", AttrValue::Type(*t)));
        }
        if matches!(self, ImageOp::AdjustContrastv2) {
            return out;
        }
        out.push(("align_corners", AttrValue::Bool(a.align_corners)));
        if !matches!(self, ImageOp::ResizeArea(_)) {
            out.push(("half_pixel_centers", AttrValue::Bool(a.half_pixel_centers)));
        }
        out
    }

    /// A `ValueError` in TF's shape-function form: message, node def and input shapes.
    fn node_err(&self, ctx: &InferCtx<'_>, message: impl std::fmt::Display) -> Error {
        linalg::shape_fn_error(ctx, self.type_name(), |t| self.attr_list(t), message)
    }

    /// The input's rank must be `rank` when it is known.
    fn with_rank(&self, ctx: &InferCtx<'_>, i: usize, rank: usize) -> Result<()> {
        match ctx.shape(i)?.rank() {
            Some(r) if r != rank => {
                Err(self.node_err(ctx, format!("Shape must be rank {rank} but is rank {r}")))
            }
            _ => Ok(()),
        }
    }

    /// Checks a `size` input (int32, `[2]`) and returns the new height and width as far as
    /// they are known statically (a negative constant is unknown, as in TF).
    fn size_input(&self, ctx: &InferCtx<'_>, i: usize) -> Result<[Option<usize>; 2]> {
        let dtype = ctx.dtype(i)?;
        if dtype != DType::I32 {
            return Err(Error::type_error(format!(
                "Input 'size' of '{}' Op has type {dtype} that does not match expected type of int32.",
                self.type_name()
            )));
        }
        self.with_rank(ctx, i, 1)?;
        if let Some(n) = ctx.shape(i)?.dim(0).filter(|&n| n != 2) {
            return Err(self.node_err(ctx, format!("Dimension must be 2 but is {n}")));
        }
        let dim = |v: Option<&i64>| v.and_then(|&d| usize::try_from(d).ok());
        Ok(match ctx.const_ints(i) {
            Some(v) => [dim(v.first()), dim(v.get(1))],
            None => [None, None],
        })
    }
}

fn check_type(param: &str, dtype: DType, allowed: &[DType], list: &str) -> Result<()> {
    if allowed.contains(&dtype) {
        return Ok(());
    }
    Err(Error::type_error(format!(
        "Value passed to parameter '{param}' has DataType {dtype} not in list of allowed values: {list}"
    )))
}

const REAL: [DType; 8] = [
    DType::F16,
    DType::I8,
    DType::U8,
    DType::I16,
    DType::I32,
    DType::I64,
    DType::F32,
    DType::F64,
];

impl Family for ImageOp {
    fn type_name(&self) -> &'static str {
        match self {
            ImageOp::ResizeBilinear(_) => "ResizeBilinear",
            ImageOp::ResizeBilinearGrad(_) => "ResizeBilinearGrad",
            ImageOp::ResizeBicubic(_) => "ResizeBicubic",
            ImageOp::ResizeBicubicGrad(_) => "ResizeBicubicGrad",
            ImageOp::ResizeArea(_) => "ResizeArea",
            ImageOp::ResizeNearestNeighbor(_) => "ResizeNearestNeighbor",
            ImageOp::ResizeNearestNeighborGrad(_) => "ResizeNearestNeighborGrad",
            ImageOp::AdjustContrastv2 => "AdjustContrastv2",
        }
    }

    fn from_def(op_type: &str, attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        let make: fn(ResizeAttrs) -> ImageOp = match op_type {
            "ResizeBilinear" => ImageOp::ResizeBilinear,
            "ResizeBilinearGrad" => ImageOp::ResizeBilinearGrad,
            "ResizeBicubic" => ImageOp::ResizeBicubic,
            "ResizeBicubicGrad" => ImageOp::ResizeBicubicGrad,
            "ResizeArea" => ImageOp::ResizeArea,
            "ResizeNearestNeighbor" => ImageOp::ResizeNearestNeighbor,
            "ResizeNearestNeighborGrad" => ImageOp::ResizeNearestNeighborGrad,
            "AdjustContrastv2" => return Some(Ok(ImageOp::AdjustContrastv2)),
            _ => return None,
        };
        let parse = || -> Result<ImageOp> {
            Ok(make(ResizeAttrs {
                align_corners: attrs.bool_or("align_corners", false)?,
                half_pixel_centers: attrs.bool_or("half_pixel_centers", false)?,
            }))
        };
        Some(parse())
    }

    fn attrs(&self, _node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        self.attr_list(input_types)
    }

    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        ctx.expect_inputs(2)?;
        let name = self.type_name();
        let dtype = ctx.dtype(0)?;
        match self {
            ImageOp::AdjustContrastv2 => {
                check_type("images", dtype, &[DType::F32], "float16, float32")?;
                let factor = ctx.dtype(1)?;
                if factor != DType::F32 {
                    return Err(Error::type_error(format!(
                        "Input 'contrast_factor' of '{name}' Op has type {factor} that does not match expected type of float32."
                    )));
                }
                let images = ctx.shape(0)?;
                if let Some(r) = images.rank().filter(|&r| r < 3) {
                    return Err(self.node_err(
                        ctx,
                        format!("Shape must be at least rank 3 but is rank {r}"),
                    ));
                }
                self.with_rank(ctx, 1, 0)?;
                one(DType::F32, images.clone())
            }
            ImageOp::ResizeBilinear(_)
            | ImageOp::ResizeBicubic(_)
            | ImageOp::ResizeArea(_)
            | ImageOp::ResizeNearestNeighbor(_) => {
                let nearest = matches!(self, ImageOp::ResizeNearestNeighbor(_));
                let list = if nearest { NEAREST_TYPES } else { RESIZE_TYPES };
                check_type("images", dtype, &REAL, list)?;
                self.with_rank(ctx, 0, 4)?;
                let [h, w] = self.size_input(ctx, 1)?;
                let image = ctx.shape(0)?;
                let dims: Dims = smallvec![image.dim(0), h, w, image.dim(3)];
                let out = if nearest { dtype } else { DType::F32 };
                one(out, Shape(Some(dims)))
            }
            ImageOp::ResizeBilinearGrad(_) | ImageOp::ResizeBicubicGrad(_) => {
                if dtype != DType::F32 {
                    return Err(Error::type_error(format!(
                        "Input 'grads' of '{name}' Op has type {dtype} that does not match expected type of float32."
                    )));
                }
                let original = ctx.dtype(1)?;
                // TF's bicubic gradient takes float and double only.
                let (allowed, list): (&[DType], &str) =
                    if matches!(self, ImageOp::ResizeBicubicGrad(_)) {
                        (&[DType::F32, DType::F64], "float32, float64")
                    } else {
                        (&[DType::F16, DType::F32, DType::F64], BILINEAR_GRAD_TYPES)
                    };
                check_type("original_image", original, allowed, list)?;
                self.with_rank(ctx, 0, 4)?;
                self.with_rank(ctx, 1, 4)?;
                one(original, ctx.shape(1)?.clone())
            }
            ImageOp::ResizeNearestNeighborGrad(_) => {
                let allowed = [
                    DType::U8,
                    DType::I8,
                    DType::I32,
                    DType::F16,
                    DType::F32,
                    DType::F64,
                ];
                check_type("grads", dtype, &allowed, NN_GRAD_TYPES)?;
                self.with_rank(ctx, 0, 4)?;
                let [h, w] = self.size_input(ctx, 1)?;
                let grads = ctx.shape(0)?;
                one(
                    dtype,
                    Shape(Some(smallvec![grads.dim(0), h, w, grads.dim(3)])),
                )
            }
        }
    }

    fn compute(&self, _ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let [data, second] = inputs else {
            return Err(Error::internal(format!(
                "{} expects 2 inputs",
                self.type_name()
            )));
        };
        if matches!(self, ImageOp::AdjustContrastv2) {
            return Ok(smallvec![adjust_contrast(data, second)?]);
        }
        let a = self.resize_attrs();
        if a.half_pixel_centers && a.align_corners {
            return Err(Error::op_invalid(
                "If half_pixel_centers is True, align_corners must be False.",
            ));
        }
        let out = match self {
            ImageOp::ResizeBilinear(_) => {
                let plan = Plan::forward(data, second, a)?;
                let f = data.cast(DType::F32);
                let src = f
                    .as_array::<f32>()
                    .ok_or_else(|| Error::internal("ResizeBilinear: cast to float32 failed"))?;
                Value::F32(plan.bilinear(src)?)
            }
            ImageOp::ResizeBicubic(_) | ImageOp::ResizeArea(_) => {
                let plan = Plan::forward(data, second, a)?;
                let f = data.cast(DType::F32);
                let src = f
                    .as_array::<f32>()
                    .ok_or_else(|| Error::internal("resize: cast to float32 failed"))?;
                Value::F32(if matches!(self, ImageOp::ResizeArea(_)) {
                    plan.area(src)?
                } else {
                    plan.bicubic(src)?
                })
            }
            ImageOp::ResizeNearestNeighbor(_) => {
                let plan = Plan::forward(data, second, a)?;
                let err = Error::op_invalid("ResizeNearestNeighbor does not support bool values");
                crate::map_numeric!(data, err, x => plan.nearest(x)?)
            }
            ImageOp::ResizeBilinearGrad(_) | ImageOp::ResizeBicubicGrad(_) => {
                let plan = Plan::backward(data, second.shape(), a, "original_image")?;
                let grads = data.as_array::<f32>().ok_or_else(|| {
                    Error::op_invalid(format!("{}: grads must be float32", self.type_name()))
                })?;
                let bicubic = matches!(self, ImageOp::ResizeBicubicGrad(_));
                match (second.dtype(), bicubic) {
                    (DType::F64, false) => Value::F64(plan.bilinear_grad(grads)?),
                    (DType::F64, true) => Value::F64(plan.bicubic_grad(grads)?),
                    (_, false) => Value::F32(plan.bilinear_grad(grads)?),
                    (_, true) => Value::F32(plan.bicubic_grad(grads)?),
                }
            }
            ImageOp::AdjustContrastv2 => {
                return Err(Error::internal(
                    "AdjustContrastv2 reached the resize kernels",
                ))
            }
            ImageOp::ResizeNearestNeighborGrad(_) => {
                let size = size_value(second)?;
                let shape = data.shape();
                let orig = [
                    shape.first().copied().unwrap_or(0),
                    size[0],
                    size[1],
                    shape.get(3).copied().unwrap_or(0),
                ];
                let plan = Plan::backward(data, &orig, a, "size")?;
                let err =
                    Error::op_invalid("ResizeNearestNeighborGrad does not support bool values");
                crate::map_numeric!(data, err, x => plan.nearest_grad(x)?)
            }
        };
        Ok(smallvec![out])
    }

    fn register_gradients(r: &mut GradRegistry) {
        r.builtin("ResizeBilinear", resize_bilinear_grad_fn);
        r.builtin("ResizeNearestNeighbor", resize_nearest_grad_fn);
        r.builtin("ResizeBilinearGrad", resize_grad_adjoint_fn);
        r.builtin("ResizeBicubic", resize_bicubic_grad_fn);
        r.builtin("ResizeBicubicGrad", resize_grad_adjoint_fn);
        // ResizeArea has no gradient in TF either: `gradients` raises LookupError.
        r.builtin("ResizeNearestNeighborGrad", resize_grad_adjoint_fn);
    }
}

// ===== kernels =====

/// TF's `CalculateResizeScale`.
fn resize_scale(in_size: usize, out_size: usize, align_corners: bool) -> f32 {
    if align_corners && out_size > 1 {
        (in_size as f32 - 1.0) / (out_size - 1) as f32
    } else {
        in_size as f32 / out_size as f32
    }
}

/// The `size` input as (height, width), with TF's run-time checks.
fn size_value(size: &Value) -> Result<[usize; 2]> {
    let dims = Shape::known(size.shape()).bracketed();
    if size.shape().len() != 1 {
        return Err(Error::op_invalid(format!(
            "shape_t must be 1-dimensional{dims}"
        )));
    }
    let v = size.to_i64_vec()?;
    let [h, w] = v.as_slice() else {
        return Err(Error::op_invalid(format!(
            "shape_t must have two elements{dims}"
        )));
    };
    if *h <= 0 || *w <= 0 {
        return Err(Error::op_invalid("output dimensions must be positive"));
    }
    let fit = |d: i64| {
        usize::try_from(d)
            .ok()
            .filter(|_| d <= i64::from(i32::MAX))
            .ok_or_else(|| Error::op_invalid("output dimensions must be positive"))
    };
    Ok([fit(*h)?, fit(*w)?])
}

/// One resize: the small image `[batch, in_h, in_w, channels]`, the large one
/// `[batch, out_h, out_w, channels]` and the per-axis scales. For the forward ops "in" is
/// the input image; for the gradient ops "in" is the original image and "out" the resized
/// one, so both directions share the coordinate maps.
struct Plan {
    batch: usize,
    channels: usize,
    input: [usize; 2],
    output: [usize; 2],
    scale: [f32; 2],
    attrs: ResizeAttrs,
}

/// A bicubic source position: four neighbours (clamped to the image) and their weights.
#[derive(Clone, Copy)]
struct Cubic {
    index: [usize; 4],
    weight: [f32; 4],
}

/// Entries per unit of TF's cubic-kernel table (`kTableSize`).
const CUBIC_TABLE: usize = 1024;

/// TF's `InitCoeffsTable`: the cubic kernel at distance `x` and `x + 1` for
/// `x = i / 1024`, computed in double and stored as float.
fn cubic_table(a: f64) -> Vec<f32> {
    let mut table = Vec::with_capacity((CUBIC_TABLE + 1) * 2);
    for i in 0..=CUBIC_TABLE {
        let x = (i as f64 / CUBIC_TABLE as f64) as f32;
        let xd = f64::from(x);
        table.push((((a + 2.0) * xd - (a + 3.0)) * xd * xd + 1.0) as f32);
        let x1 = f64::from(x + 1.0);
        table.push((((a * x1 - 5.0 * a) * x1 + 8.0 * a) * x1 - 4.0 * a) as f32);
    }
    table
}

/// A bilinear source position: the two neighbours and the weight of the upper one.
#[derive(Clone, Copy)]
struct Interp {
    lower: usize,
    upper: usize,
    lerp: f32,
}

impl Plan {
    fn forward(image: &Value, size: &Value, attrs: ResizeAttrs) -> Result<Plan> {
        let s = image.shape();
        let [n, h, w, c] = s else {
            return Err(Error::op_invalid(format!(
                "input must be 4-dimensional{}",
                Shape::known(s).bracketed()
            )));
        };
        let output = size_value(size)?;
        if *h == 0 || *w == 0 {
            return Err(Error::op_invalid("input image must be of non-zero size"));
        }
        Ok(Plan::new(*n, *c, [*h, *w], output, attrs))
    }

    /// `grads` is the resized image's gradient; `original` the shape to scatter into.
    fn backward(grads: &Value, original: &[usize], attrs: ResizeAttrs, what: &str) -> Result<Plan> {
        let g = grads.shape();
        let [n, h, w, c] = g else {
            return Err(Error::op_invalid(format!(
                "input_grad must be 4-dimensional{}",
                Shape::known(g).bracketed()
            )));
        };
        let [on, oh, ow, oc] = original else {
            return Err(Error::op_invalid(format!(
                "{what} must be 4-dimensional{}",
                Shape::known(original).bracketed()
            )));
        };
        if on != n || oc != c {
            return Err(Error::op_invalid(format!(
                "{what} and input_grad must have the same batch size and number of channels, \
                 got {} and {}",
                Shape::known(original).bracketed(),
                Shape::known(g).bracketed()
            )));
        }
        if *oh == 0 || *ow == 0 {
            return Err(Error::op_invalid("original image must be of non-zero size"));
        }
        Ok(Plan::new(*n, *c, [*oh, *ow], [*h, *w], attrs))
    }

    fn new(
        batch: usize,
        channels: usize,
        input: [usize; 2],
        output: [usize; 2],
        attrs: ResizeAttrs,
    ) -> Plan {
        let scale = [
            resize_scale(input[0], output[0], attrs.align_corners),
            resize_scale(input[1], output[1], attrs.align_corners),
        ];
        Plan {
            batch,
            channels,
            input,
            output,
            scale,
            attrs,
        }
    }

    fn check_size(&self) -> Result<usize> {
        let [oh, ow] = self.output;
        [self.batch, oh, ow, self.channels]
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| Error::op_invalid("resize output is too large"))
    }

    /// TF's `compute_interpolation_weights` for one axis (HalfPixelScaler or LegacyScaler).
    fn bilinear_axis(&self, axis: usize) -> Vec<Interp> {
        let (scale, in_size) = (self.scale[axis], self.input[axis]);
        (0..self.output[axis])
            .map(|i| {
                let x = if self.attrs.half_pixel_centers {
                    (i as f32 + 0.5) * scale - 0.5
                } else {
                    i as f32 * scale
                };
                let floor = x.floor();
                let last = in_size.saturating_sub(1);
                Interp {
                    lower: (floor.max(0.0) as usize).min(last),
                    upper: (x.ceil().max(0.0) as usize).min(last),
                    lerp: x - floor,
                }
            })
            .collect()
    }

    /// The nearest source index for each output index of one axis (TF's
    /// `HalfPixelScalerForNN` or `LegacyScaler`, rounded when aligning corners).
    fn nearest_axis(&self, axis: usize) -> Vec<usize> {
        let (scale, in_size) = (self.scale[axis], self.input[axis]);
        (0..self.output[axis])
            .map(|i| {
                let x = if self.attrs.half_pixel_centers {
                    (i as f32 + 0.5) * scale
                } else {
                    i as f32 * scale
                };
                let source = if self.attrs.align_corners {
                    x.round()
                } else {
                    x.floor()
                };
                (source.max(0.0) as usize).min(in_size.saturating_sub(1))
            })
            .collect()
    }

    fn offsets(&self) -> ([usize; 2], [usize; 2]) {
        let c = self.channels;
        let [ih, iw] = self.input;
        let [oh, ow] = self.output;
        ([ih * iw * c, iw * c], [oh * ow * c, ow * c])
    }

    fn out_shape(&self, dims: [usize; 2]) -> [usize; 4] {
        [self.batch, dims[0], dims[1], self.channels]
    }

    fn bilinear(&self, src: &Arr<f32>) -> Result<Arr<f32>> {
        let total = self.check_size()?;
        let src: Vec<f32> = src.iter().copied().collect();
        let (ys, xs) = (self.bilinear_axis(0), self.bilinear_axis(1));
        let ([in_b, in_row], _) = self.offsets();
        let c = self.channels;
        let mut out = Vec::with_capacity(total);
        for b in 0..self.batch {
            for y in &ys {
                let top = b * in_b + y.lower * in_row;
                let bottom = b * in_b + y.upper * in_row;
                for x in &xs {
                    for k in 0..c {
                        let at = |row: usize, col: usize| {
                            src.get(row + col * c + k).copied().unwrap_or(0.0)
                        };
                        let (tl, tr) = (at(top, x.lower), at(top, x.upper));
                        let (bl, br) = (at(bottom, x.lower), at(bottom, x.upper));
                        let t = tl + (tr - tl) * x.lerp;
                        let btm = bl + (br - bl) * x.lerp;
                        out.push(t + (btm - t) * y.lerp);
                    }
                }
            }
        }
        to_arr(self.out_shape(self.output), out)
    }

    fn bilinear_grad<T: Elem + std::ops::AddAssign>(&self, grads: &Arr<f32>) -> Result<Arr<T>> {
        let [ih, iw] = self.input;
        let size = self.batch * ih * iw * self.channels;
        let mut out = vec![T::from_f64(0.0); size];
        let grads: Vec<f32> = grads.iter().copied().collect();
        let (ys, xs) = (self.bilinear_axis(0), self.bilinear_axis(1));
        let ([in_b, in_row], _) = self.offsets();
        let c = self.channels;
        let mut g = grads.iter();
        for b in 0..self.batch {
            for y in &ys {
                let rows = [b * in_b + y.lower * in_row, b * in_b + y.upper * in_row];
                let wy = [1.0 - y.lerp, y.lerp];
                for x in &xs {
                    let cols = [x.lower * c, x.upper * c];
                    let wx = [1.0 - x.lerp, x.lerp];
                    for k in 0..c {
                        let v = g.next().copied().unwrap_or(0.0);
                        for (row, wr) in rows.iter().zip(wy) {
                            for (col, wc) in cols.iter().zip(wx) {
                                if let Some(o) = out.get_mut(row + col + k) {
                                    // TF multiplies in float, then converts to T.
                                    *o += T::from_f64(f64::from(v * wr * wc));
                                }
                            }
                        }
                    }
                }
            }
        }
        to_arr(self.out_shape(self.input), out)
    }

    /// TF's `GetWeightsAndIndices` for one axis: four source rows (or columns) and their
    /// weights per output index.
    fn bicubic_axis(&self, axis: usize) -> Vec<Cubic> {
        let keys = self.attrs.half_pixel_centers;
        let table = cubic_table(if keys { -0.5 } else { -0.75 });
        let (scale, limit) = (self.scale[axis], self.input[axis] as i64);
        let bound = |i: i64| i.clamp(0, limit - 1) as usize;
        (0..self.output[axis])
            .map(|out_loc| {
                let in_loc_f = if keys {
                    (out_loc as f32 + 0.5) * scale - 0.5
                } else {
                    out_loc as f32 * scale
                };
                let in_loc = in_loc_f.floor() as i64;
                // C's lrintf: to nearest, ties to even.
                let offset = ((in_loc_f - in_loc as f32) * CUBIC_TABLE as f32).round_ties_even();
                let offset = (offset.max(0.0) as usize).min(CUBIC_TABLE);
                let back = CUBIC_TABLE - offset;
                let mut weight = [
                    table[offset * 2 + 1],
                    table[offset * 2],
                    table[back * 2],
                    table[back * 2 + 1],
                ];
                let wanted = [in_loc - 1, in_loc, in_loc + 1, in_loc + 2];
                let index = wanted.map(bound);
                if keys {
                    // Samples outside the image get no weight; the rest sum to one.
                    for k in 0..4 {
                        if index[k] as i64 != wanted[k] {
                            weight[k] = 0.0;
                        }
                    }
                    let sum = weight[0] + weight[1] + weight[2] + weight[3];
                    if sum.abs() >= 1000.0 * f32::MIN_POSITIVE {
                        let inv = 1.0 / sum;
                        weight = weight.map(|w| w * inv);
                    }
                }
                Cubic { index, weight }
            })
            .collect()
    }

    /// Columns first interpolated down the four rows, then across (TF's order).
    fn bicubic(&self, src: &Arr<f32>) -> Result<Arr<f32>> {
        let total = self.check_size()?;
        let src: Vec<f32> = src.iter().copied().collect();
        let (ys, xs) = (self.bicubic_axis(0), self.bicubic_axis(1));
        let ([in_b, in_row], _) = self.offsets();
        let c = self.channels;
        let at = |i: usize| src.get(i).copied().unwrap_or(0.0);
        let mut out = Vec::with_capacity(total);
        for b in 0..self.batch {
            for y in &ys {
                let rows = y.index.map(|r| b * in_b + r * in_row);
                for x in &xs {
                    for k in 0..c {
                        let column = |j: usize| {
                            let col = x.index[j] * c + k;
                            let w = y.weight;
                            at(rows[0] + col) * w[0]
                                + at(rows[1] + col) * w[1]
                                + at(rows[2] + col) * w[2]
                                + at(rows[3] + col) * w[3]
                        };
                        let w = x.weight;
                        out.push(
                            column(0) * w[0]
                                + column(1) * w[1]
                                + column(2) * w[2]
                                + column(3) * w[3],
                        );
                    }
                }
            }
        }
        to_arr(self.out_shape(self.output), out)
    }

    /// Each resized pixel's gradient spread over its sixteen sources with their weights.
    fn bicubic_grad<T: Elem + std::ops::AddAssign>(&self, grads: &Arr<f32>) -> Result<Arr<T>> {
        let [ih, iw] = self.input;
        let mut out = vec![T::from_f64(0.0); self.batch * ih * iw * self.channels];
        let grads: Vec<f32> = grads.iter().copied().collect();
        let (ys, xs) = (self.bicubic_axis(0), self.bicubic_axis(1));
        let ([in_b, in_row], _) = self.offsets();
        let c = self.channels;
        let mut g = grads.iter();
        for b in 0..self.batch {
            for y in &ys {
                for x in &xs {
                    for k in 0..c {
                        let v = g.next().copied().unwrap_or(0.0);
                        for (row, wy) in y.index.iter().zip(y.weight) {
                            for (col, wx) in x.index.iter().zip(x.weight) {
                                let at = b * in_b + row * in_row + col * c + k;
                                if let Some(o) = out.get_mut(at) {
                                    // TF multiplies in float, then converts to T.
                                    *o += T::from_f64(f64::from(v * wy * wx));
                                }
                            }
                        }
                    }
                }
            }
        }
        to_arr(self.out_shape(self.input), out)
    }

    /// TF's `ResizeAreaOp`: the input cells each output cell overlaps, with the overlap as
    /// weight, summed across then down and divided by the cell's area.
    fn area(&self, src: &Arr<f32>) -> Result<Arr<f32>> {
        let total = self.check_size()?;
        let src: Vec<f32> = src.iter().copied().collect();
        let (ys, xs) = (self.area_axis(0), self.area_axis(1));
        let ([in_b, in_row], _) = self.offsets();
        let c = self.channels;
        let norm = 1.0 / (self.scale[0] * self.scale[1]);
        let mut out = Vec::with_capacity(total);
        for b in 0..self.batch {
            for y in &ys {
                for x in &xs {
                    for k in 0..c {
                        let mut sum = 0.0f32;
                        for &(row, wy) in y {
                            let mut across = 0.0f32;
                            for &(col, wx) in x {
                                let v = src.get(b * in_b + row * in_row + col * c + k);
                                across += v.copied().unwrap_or(0.0) * wx;
                            }
                            sum += across * wy;
                        }
                        out.push(sum * norm);
                    }
                }
            }
        }
        to_arr(self.out_shape(self.output), out)
    }

    /// For each output index of one axis, the (clamped) input indices it overlaps and the
    /// length of each overlap.
    fn area_axis(&self, axis: usize) -> Vec<Vec<(usize, f32)>> {
        let (scale, limit) = (self.scale[axis], self.input[axis] as i64);
        (0..self.output[axis])
            .map(|o| {
                let start = o as f32 * scale;
                let end = (o + 1) as f32 * scale;
                (start.floor() as i64..end.ceil() as i64)
                    .map(|i| {
                        let f = i as f32;
                        let w = if f < start {
                            if f + 1.0 > end {
                                scale
                            } else {
                                f + 1.0 - start
                            }
                        } else if f + 1.0 > end {
                            end - f
                        } else {
                            1.0
                        };
                        (i.clamp(0, limit - 1) as usize, w)
                    })
                    .collect()
            })
            .collect()
    }

    fn nearest<T: Elem>(&self, src: &Arr<T>) -> Result<Arr<T>> {
        let total = self.check_size()?;
        let src: Vec<T> = src.iter().copied().collect();
        let (ys, xs) = (self.nearest_axis(0), self.nearest_axis(1));
        let ([in_b, in_row], _) = self.offsets();
        let c = self.channels;
        let mut out = Vec::with_capacity(total);
        for b in 0..self.batch {
            for &y in &ys {
                for &x in &xs {
                    let start = b * in_b + y * in_row + x * c;
                    let pixel = src.get(start..start + c).ok_or_else(|| {
                        Error::internal("ResizeNearestNeighbor: index out of range")
                    })?;
                    out.extend_from_slice(pixel);
                }
            }
        }
        to_arr(self.out_shape(self.output), out)
    }

    fn nearest_grad<T: Accumulate>(&self, grads: &Arr<T>) -> Result<Arr<T>> {
        let [ih, iw] = self.input;
        let mut out = vec![T::from_f64(0.0); self.batch * ih * iw * self.channels];
        let grads: Vec<T> = grads.iter().copied().collect();
        let (ys, xs) = (self.nearest_axis(0), self.nearest_axis(1));
        let ([in_b, in_row], _) = self.offsets();
        let c = self.channels;
        let mut g = grads.iter();
        for b in 0..self.batch {
            for &y in &ys {
                for &x in &xs {
                    let start = b * in_b + y * in_row + x * c;
                    for o in out.get_mut(start..start + c).into_iter().flatten() {
                        if let Some(&v) = g.next() {
                            *o = o.accumulate(v);
                        }
                    }
                }
            }
        }
        to_arr(self.out_shape(self.input), out)
    }
}

/// Addition as TF's kernels do it: integers wrap.
trait Accumulate: Elem {
    fn accumulate(self, other: Self) -> Self;
}

macro_rules! wrapping_accumulate {
    ($($t:ty),*) => {$(
        impl Accumulate for $t {
            fn accumulate(self, other: Self) -> Self { self.wrapping_add(other) }
        }
    )*};
}
wrapping_accumulate!(i8, i16, i32, i64, u8);

impl Accumulate for f32 {
    fn accumulate(self, other: Self) -> Self {
        self + other
    }
}
impl Accumulate for f64 {
    fn accumulate(self, other: Self) -> Self {
        self + other
    }
}

fn to_arr<T: Elem>(shape: [usize; 4], data: Vec<T>) -> Result<Arr<T>> {
    ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape), data)
        .map(|a| a.into_shared())
        .map_err(|e| Error::internal(e.to_string()))
}

/// `AdjustContrastv2`'s kernel: per image and channel, the mean over height and width is
/// accumulated in float64 and the result computed in float32, as `(x - mean) * f + mean`.
fn adjust_contrast(images: &Value, factor: &Value) -> Result<Value> {
    let dims = images.shape();
    let rank = dims.len();
    if rank < 3 {
        return Err(Error::op_invalid(format!(
            "input must be at least 3-D, got shape{}",
            Shape::known(dims).bracketed()
        )));
    }
    if !factor.shape().is_empty() {
        return Err(Error::op_invalid(format!(
            "contrast_factor must be scalar: {}",
            Shape::known(factor.shape()).bracketed()
        )));
    }
    let (Some(x), Some(f)) = (images.as_array::<f32>(), factor.as_array::<f32>()) else {
        return Err(Error::op_invalid(
            "AdjustContrastv2 takes float32 images and factor",
        ));
    };
    let f = f.iter().next().copied().unwrap_or(1.0);
    let (h, w, c) = (dims[rank - 3], dims[rank - 2], dims[rank - 1]);
    let plane = h * w * c;
    let data: Vec<f32> = x.iter().copied().collect();
    let mut out = Vec::with_capacity(data.len());
    if plane > 0 {
        for image in data.chunks_exact(plane) {
            let mut sums = vec![0.0f64; c];
            for pixel in image.chunks_exact(c.max(1)) {
                for (s, &v) in sums.iter_mut().zip(pixel) {
                    *s += f64::from(v);
                }
            }
            let means: Vec<f32> = sums.iter().map(|s| (s / (h * w) as f64) as f32).collect();
            for pixel in image.chunks_exact(c.max(1)) {
                out.extend(pixel.iter().zip(&means).map(|(&v, &m)| (v - m) * f + m));
            }
        }
    }
    let arr = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(dims), out)
        .map_err(|e| Error::internal(e.to_string()))?;
    Ok(Value::F32(arr.into_shared()))
}

// ===== builders =====

/// `ResizeBilinear(images, size)` or `ResizeNearestNeighbor(images, size)`, named after its
/// type as TF's generated wrappers do.
pub fn resize(g: &Graph, op: ImageOp, images: Tensor, size: Tensor) -> Result<Tensor> {
    g.add1(OpKind::Image(op), &[images, size], Some(op.type_name()))
}

// ===== gradients =====

type GradOut = Result<Vec<Option<Grad>>>;

fn op_of(ctx: &GradCtx<'_>) -> Result<ImageOp> {
    match &ctx.kind {
        OpKind::Image(op) => Ok(*op),
        other => Err(Error::internal(format!(
            "image gradient called for {}",
            other.type_name()
        ))),
    }
}

/// `shape(t)[1:3]`: a constant when the height and width are known (as TF's
/// `_ResizeNearestNeighborGrad` takes `image.get_shape()[1:3]`).
fn height_width(g: &Graph, t: Tensor) -> Result<Tensor> {
    let shape = g.shape(t)?;
    if let (Some(h), Some(w)) = (shape.dim(1), shape.dim(2)) {
        return super::source::const_ints(g, &[h as i64, w as i64]);
    }
    let dynamic = array::shape_dynamic(g, t)?;
    index::vector_slice(g, dynamic, 1, Some(3))
}

/// TF's `_ResizeBilinearGrad`: `ResizeBilinearGrad(grad, image)`, none for the size.
fn resize_bilinear_grad_fn(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let ImageOp::ResizeBilinear(a) = op_of(ctx)? else {
        return Err(Error::internal("resize_bilinear_grad_fn: wrong op"));
    };
    let g = ctx.graph;
    let image = ctx.input(0)?;
    if !matches!(g.dtype(image)?, DType::F16 | DType::F32 | DType::F64) {
        return Ok(vec![None, None]);
    }
    let grad = ctx.grad(grads, 0)?;
    let op = ImageOp::ResizeBilinearGrad(a);
    let dx = g.add1(OpKind::Image(op), &[grad, image], Some(op.type_name()))?;
    Ok(vec![Some(Grad::Dense(dx)), None])
}

/// TF's `_ResizeBicubicGrad`: `ResizeBicubicGrad(grad, image)` for float32 and float64
/// images, none otherwise (nor for the size).
fn resize_bicubic_grad_fn(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let ImageOp::ResizeBicubic(a) = op_of(ctx)? else {
        return Err(Error::internal("resize_bicubic_grad_fn: wrong op"));
    };
    let g = ctx.graph;
    let image = ctx.input(0)?;
    if !matches!(g.dtype(image)?, DType::F32 | DType::F64) {
        return Ok(vec![None, None]);
    }
    let grad = ctx.grad(grads, 0)?;
    let op = ImageOp::ResizeBicubicGrad(a);
    let dx = g.add1(OpKind::Image(op), &[grad, image], Some(op.type_name()))?;
    Ok(vec![Some(Grad::Dense(dx)), None])
}

/// TF's `_ResizeNearestNeighborGrad`: the gradient summed back at the image's height and
/// width.
fn resize_nearest_grad_fn(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let ImageOp::ResizeNearestNeighbor(a) = op_of(ctx)? else {
        return Err(Error::internal("resize_nearest_grad_fn: wrong op"));
    };
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let size = height_width(g, ctx.input(0)?)?;
    let op = ImageOp::ResizeNearestNeighborGrad(a);
    let dx = g.add1(OpKind::Image(op), &[grad, size], Some(op.type_name()))?;
    Ok(vec![Some(Grad::Dense(dx)), None])
}

/// The gradient ops are linear in `grads` and adjoint to the forward resize, so their
/// gradient is that resize at the resized (`grads`) height and width. A symgrad addition:
/// TF has none (see the module note).
fn resize_grad_adjoint_fn(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let forward = match op_of(ctx)? {
        ImageOp::ResizeBilinearGrad(a) => ImageOp::ResizeBilinear(a),
        ImageOp::ResizeBicubicGrad(a) => ImageOp::ResizeBicubic(a),
        ImageOp::ResizeNearestNeighborGrad(a) => ImageOp::ResizeNearestNeighbor(a),
        _ => return Err(Error::internal("resize_grad_adjoint_fn: wrong op")),
    };
    let grad = ctx.grad(grads, 0)?;
    let size = height_width(g, ctx.input(0)?)?;
    let dgrads = resize(g, forward, grad, size)?;
    Ok(vec![Some(Grad::Dense(dgrads)), None])
}
