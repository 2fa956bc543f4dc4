//! Colour-space ops on the last axis of an image (`[..., 3]`): `RGBToHSV`, `HSVToRGB`,
//! `AdjustHue` and `AdjustSaturation`, computed per pixel as TF's CPU kernels do.
//!
//! `RGBToHSV` is differentiable (as in TF, whose `_RGBToHSVGrad` is the same piecewise
//! derivative); `HSVToRGB` is not (TF marks it so); `AdjustHue` and `AdjustSaturation` have
//! no gradient, so differentiating through them is a `LookupError`, as in TF.

use super::binary::{self, BinaryOp, Operand};
use super::{array, linalg, one, Family, InferCtx, KernelCtx, OpKind, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Code, Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx};
use crate::graph::{Graph, Metas, Node, Tensor};
use crate::shape::Shape;
use crate::value::{Arr, Value};
use ndarray::Axis;
use num_traits::Float;
use smallvec::smallvec;

/// An op of the colour family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColourOp {
    /// `RGBToHSV(images)`: hue in `[0, 1)`, saturation and value, for float32/float64.
    RgbToHsv,
    /// `HSVToRGB(images)`: the inverse of `RGBToHSV`.
    HsvToRgb,
    /// `AdjustHue(images, delta)`: the hue turned by `delta` (a float32 scalar, in turns).
    AdjustHue,
    /// `AdjustSaturation(images, scale)`: the saturation scaled and clamped to `[0, 1]`.
    AdjustSaturation,
}

impl ColourOp {
    fn attr_list(&self, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        input_types
            .first()
            .map(|t| ("T", AttrValue::Type(*t)))
            .into_iter()
            .collect()
    }

    fn shape_error(&self, ctx: &InferCtx<'_>, message: impl std::fmt::Display) -> Error {
        linalg::shape_fn_error(ctx, self.type_name(), |t| self.attr_list(t), message)
    }
}

impl Family for ColourOp {
    fn type_name(&self) -> &'static str {
        match self {
            ColourOp::RgbToHsv => "RGBToHSV",
            ColourOp::HsvToRgb => "HSVToRGB",
            ColourOp::AdjustHue => "AdjustHue",
            ColourOp::AdjustSaturation => "AdjustSaturation",
        }
    }

    fn from_def(op_type: &str, _attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        let op = match op_type {
            "RGBToHSV" => ColourOp::RgbToHsv,
            "HSVToRGB" => ColourOp::HsvToRgb,
            "AdjustHue" => ColourOp::AdjustHue,
            "AdjustSaturation" => ColourOp::AdjustSaturation,
            _ => return None,
        };
        Some(Ok(op))
    }

    fn attrs(&self, _node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        self.attr_list(input_types)
    }

    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        let name = self.type_name();
        let dtype = ctx.dtype(0)?;
        let images = ctx.shape(0)?;
        if matches!(self, ColourOp::AdjustHue | ColourOp::AdjustSaturation) {
            // TF's shape rule is `UnchangedShapeWithRankAtLeast(3)`: the channels and the
            // amount's rank are checked when the kernel runs.
            ctx.expect_inputs(2)?;
            if !matches!(dtype, DType::F16 | DType::F32) {
                return Err(Error::type_error(format!(
                    "Value passed to parameter 'images' has DataType {dtype} not in list of allowed values: float16, float32"
                )));
            }
            let (param, amount) = (ctx.dtype(1)?, self.amount_name());
            if param != DType::F32 {
                return Err(Error::type_error(format!(
                    "Input '{amount}' of '{name}' Op has type {param} that does not match expected type of float32."
                )));
            }
            if let Some(r) = images.rank().filter(|&r| r < 3) {
                return Err(self.shape_error(
                    ctx,
                    format!("Shape must be at least rank 3 but is rank {r}"),
                ));
            }
            return one(dtype, images.clone());
        }
        ctx.expect_inputs(1)?;
        if !matches!(dtype, DType::F16 | DType::F32 | DType::F64) {
            return Err(Error::type_error(format!(
                "Value passed to parameter 'images' has DataType {dtype} not in list of allowed values: float16, bfloat16, float32, float64"
            )));
        }
        // TF's `ColorspaceShapeFn`: rank at least 1, the last dim 3 (set when unknown).
        let out = match images.dims() {
            Some([]) => {
                return Err(self.shape_error(ctx, "Shape must be at least rank 1 but is rank 0"))
            }
            Some([.., Some(c)]) if *c != 3 => {
                return Err(self.shape_error(ctx, format!("Dimension must be 3 but is {c}")));
            }
            Some(dims) => {
                let mut dims = dims.to_vec();
                if let Some(last) = dims.last_mut() {
                    *last = Some(3);
                }
                Shape::from_dims(&dims)
            }
            None => Shape::unknown(),
        };
        one(dtype, out)
    }

    fn compute(&self, _ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let images = inputs
            .first()
            .ok_or_else(|| Error::internal(format!("{} needs its images", self.type_name())))?;
        let shape = images.shape();
        let out = match self {
            ColourOp::RgbToHsv | ColourOp::HsvToRgb => {
                if shape.is_empty() {
                    return Err(Error::op_invalid(format!(
                        "input must be at least 1D{}",
                        Shape::known(shape).bracketed()
                    )));
                }
                let channels = shape.last().copied().unwrap_or(0);
                if channels != 3 {
                    return Err(Error::op(
                        Code::FailedPrecondition,
                        format!(
                            "input must have 3 channels but input only has {channels} channels."
                        ),
                    ));
                }
                let err = Error::op_invalid(format!("{} needs float input", self.type_name()));
                if matches!(self, ColourOp::RgbToHsv) {
                    crate::map_float!(images, err, a => per_pixel(a, rgb_to_hsv)?)
                } else {
                    crate::map_float!(images, err, a => per_pixel(a, hsv_to_rgb)?)
                }
            }
            ColourOp::AdjustHue | ColourOp::AdjustSaturation => {
                if shape.len() < 3 {
                    return Err(Error::op_invalid(format!(
                        "input must be at least 3-D, got shape{}",
                        Shape::known(shape).bracketed()
                    )));
                }
                let amount = inputs.get(1).ok_or_else(|| {
                    Error::internal(format!("{} needs its amount", self.type_name()))
                })?;
                let value = match (amount.shape(), amount.to_f64_vec().as_slice()) {
                    ([], [v]) => *v as f32,
                    (s, _) => {
                        return Err(Error::op_invalid(format!(
                            "{} must be scalar: {}",
                            self.amount_name(),
                            Shape::known(s).bracketed()
                        )))
                    }
                };
                let channels = shape.last().copied().unwrap_or(0);
                if channels != 3 {
                    return Err(Error::op_invalid(format!(
                        "input must have 3 channels but instead has {channels} channels."
                    )));
                }
                let a = images.as_array::<f32>().ok_or_else(|| {
                    Error::op_invalid(format!("{} needs float32 images", self.type_name()))
                })?;
                Value::F32(if matches!(self, ColourOp::AdjustHue) {
                    per_pixel(a, |p| turn_hue(p, value))?
                } else {
                    per_pixel(a, |p| scale_saturation(p, value))?
                })
            }
        };
        Ok(smallvec![out])
    }

    fn register_gradients(r: &mut GradRegistry) {
        r.builtin("RGBToHSV", rgb_to_hsv_grad);
        r.not_differentiable("HSVToRGB");
    }
}

impl ColourOp {
    fn amount_name(&self) -> &'static str {
        if matches!(self, ColourOp::AdjustHue) {
            "delta"
        } else {
            "scale"
        }
    }
}

// ===== kernels =====

/// `f` applied to each pixel (each length-3 lane of the last axis); an error for arrays
/// whose last axis is not 3.
fn per_pixel<T: Float>(a: &Arr<T>, f: impl Fn([T; 3]) -> [T; 3]) -> Result<Arr<T>> {
    if a.shape().last() != Some(&3) {
        return Err(Error::internal("colour kernels need pixels of 3 channels"));
    }
    let mut out = a.to_owned();
    let last = Axis(out.ndim() - 1);
    for mut lane in out.lanes_mut(last) {
        let [x, y, z] = f([lane[0], lane[1], lane[2]]);
        lane[0] = x;
        lane[1] = y;
        lane[2] = z;
    }
    Ok(out.into_shared())
}

fn c<T: Float>(v: f64) -> T {
    T::from(v).unwrap_or_else(T::zero)
}

/// TF's `RGBToHSV` kernel (Eigen, in `T`): `V = max`, `S = range / V`, the hue a sixth per
/// sector from the largest channel (red first on ties, then green), in `[0, 1)`, with
/// `norm = (1 / range) * (1 / 6)` as TF rounds it.
fn rgb_to_hsv<T: Float>([r, g, b]: [T; 3]) -> [T; 3] {
    let v = r.max(g.max(b));
    let range = v - r.min(g.min(b));
    let s = if v > T::zero() { range / v } else { T::zero() };
    let sixth = T::one() / c::<T>(6.0);
    let norm = range.recip() * sixth;
    let mut h = if r == v {
        norm * (g - b)
    } else if g == v {
        norm * (b - r) + c::<T>(2.0) / c::<T>(6.0)
    } else {
        norm * (r - g) + c::<T>(4.0) / c::<T>(6.0)
    };
    if range <= T::zero() {
        h = T::zero();
    }
    if h < T::zero() {
        h = h + T::one();
    }
    [h, s, v]
}

/// TF's `HSVToRGB` kernel: each channel a clamped triangle wave of the hue, scaled by
/// saturation and value.
fn hsv_to_rgb<T: Float>([h, s, v]: [T; 3]) -> [T; 3] {
    let dh = h * c(6.0);
    let clamp = |x: T| x.max(T::zero()).min(T::one());
    let dr = clamp((dh - c(3.0)).abs() - T::one());
    let dg = clamp(c::<T>(2.0) - (dh - c(2.0)).abs());
    let db = clamp(c::<T>(2.0) - (dh - c(4.0)).abs());
    let one_minus_s = T::one() - s;
    [
        (one_minus_s + s * dr) * v,
        (one_minus_s + s * dg) * v,
        (one_minus_s + s * db) * v,
    ]
}

/// `AdjustHue` per pixel, as TF's kernel: the hue in sixths `[0, 6)` with the channel
/// extremes, turned by `delta * 6`, and mapped back (value and chroma kept).
fn turn_hue([r, g, b]: [f32; 3], delta: f32) -> [f32; 3] {
    // The sector (0..6) from the order of the channels; ties fall on either side.
    let (v_max, v_mid, v_min, sector) = if r < g {
        if b < r {
            (g, r, b, 1)
        } else if b > g {
            (b, g, r, 3)
        } else {
            (g, b, r, 2)
        }
    } else if b < g {
        (r, g, b, 0)
    } else if b > r {
        (b, r, g, 4)
    } else {
        (r, b, g, 5)
    };
    if v_max == v_min {
        return [r, g, b];
    }
    let ratio = (v_mid - v_min) / (v_max - v_min);
    let rising = sector % 2 == 0;
    let h = sector as f32 + if rising { ratio } else { 1.0 - ratio };
    // Into [0, 6) as TF's loops of +-6 do, without looping on a huge or infinite delta.
    let h = (h + delta * 6.0).rem_euclid(6.0);
    let sector = h as i32;
    let mut ratio = h - sector as f32;
    if sector % 2 != 0 {
        ratio = 1.0 - ratio;
    }
    let v_mid = v_min + ratio * (v_max - v_min);
    match sector {
        0 => [v_max, v_mid, v_min],
        1 => [v_mid, v_max, v_min],
        2 => [v_min, v_max, v_mid],
        3 => [v_min, v_mid, v_max],
        4 => [v_mid, v_min, v_max],
        _ => [v_max, v_min, v_mid],
    }
}

/// `AdjustSaturation` per pixel, as TF's kernel: its own float conversion to HSV
/// (`1 / (6 range)`, the sector offsets added in double), the saturation scaled and clamped
/// to `[0, 1]` (NaN to 0, as `std::min`/`std::max` do), back to RGB through chroma.
fn scale_saturation([r, g, b]: [f32; 3], scale: f32) -> [f32; 3] {
    let v = r.max(g.max(b));
    let range = v - r.min(g.min(b));
    let s = if v > 0.0 { range / v } else { 0.0 };
    let norm = 1.0 / (6.0 * range);
    let mut h = if r == v {
        norm * (g - b)
    } else if g == v {
        (f64::from(norm * (b - r)) + 2.0 / 6.0) as f32
    } else {
        (f64::from(norm * (r - g)) + 4.0 / 6.0) as f32
    };
    if range <= 0.0 {
        h = 0.0;
    }
    if h < 0.0 {
        h += 1.0;
    }
    // Not `clamp`: TF's std::max(0, s) turns a NaN saturation into 0, as `f32::max` does.
    #[allow(clippy::manual_clamp)]
    let s = (s * scale).max(0.0).min(1.0);
    let chroma = s * v;
    let m = v - chroma;
    let dh = h * 6.0;
    let sector = dh as i32;
    // TF's `fmodu` loops bring dh into (0, 2] then [0, 2); `rem_euclid` gives the same for
    // finite dh and cannot loop on a non-finite one.
    let wave = dh.rem_euclid(2.0);
    let x = chroma * (1.0 - (wave - 1.0).abs());
    let [rr, gg, bb] = match sector {
        0 => [chroma, x, 0.0],
        1 => [x, chroma, 0.0],
        2 => [0.0, chroma, x],
        3 => [0.0, x, chroma],
        4 => [x, 0.0, chroma],
        5 => [chroma, 0.0, x],
        _ => [0.0, 0.0, 0.0],
    };
    [rr + m, gg + m, bb + m]
}

// ===== gradients =====

/// The gradient of `RGBToHSV`, the derivative of the kernel's piecewise formulas (with its
/// tie-breaking: red is the largest channel on ties, then green; the smallest is taken
/// from blue, then green, then red, as TF's `_RGBToHSVGrad`):
/// `dV = e_max`; `dS = (min dV - V dmin) / V^2` where `V > 0`; and with
/// `range = V - min` and the hue `(p - q) / (6 range)` of the max channel's sector,
/// `dH = (d(p - q) range - (p - q)(dV - dmin)) / (6 range^2)` where `range > 0`.
fn rgb_to_hsv_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> Result<Vec<Option<Grad>>> {
    let g = ctx.graph;
    let images = ctx.input(0)?;
    let grad = ctx.grad(grads, 0)?;
    let dtype = ctx.dtype(images)?;
    let [r, gr, b]: [Tensor; 3] = array::unstack(g, images, 3, -1)?
        .try_into()
        .map_err(|_| Error::internal("RGBToHSV gradient: three channels expected"))?;
    let [grad_h, grad_s, grad_v]: [Tensor; 3] = array::unstack(g, grad, 3, -1)?
        .try_into()
        .map_err(|_| Error::internal("RGBToHSV gradient: three channels expected"))?;
    let bin = |op: BinaryOp, x: Tensor, y: Operand| binary::gen_binary(g, op, x, y);
    let both = |x: Tensor, y: Tensor| bin(BinaryOp::LogicalAnd, x, y.into());
    let mask = |x: Tensor| array::cast(g, x, dtype);
    let cmp = |op: BinaryOp, x: Tensor, y: Tensor| bin(op, x, y.into());
    use BinaryOp::{Greater, GreaterEqual, Less, LessEqual};
    // Which channel is the largest (value) and which the smallest.
    let r_max = mask(both(cmp(GreaterEqual, r, b)?, cmp(GreaterEqual, r, gr)?)?)?;
    let g_max = mask(both(cmp(Greater, gr, r)?, cmp(GreaterEqual, gr, b)?)?)?;
    let b_max = mask(both(cmp(Greater, b, r)?, cmp(Greater, b, gr)?)?)?;
    let r_min = mask(both(cmp(Less, r, b)?, cmp(Less, r, gr)?)?)?;
    let g_min = mask(both(cmp(LessEqual, gr, r)?, cmp(Less, gr, b)?)?)?;
    let b_min = mask(both(cmp(LessEqual, b, r)?, cmp(LessEqual, b, gr)?)?)?;
    let mul = |x: Tensor, y: Tensor| bin(BinaryOp::Mul, x, y.into());
    let add = |x: Tensor, y: Tensor| bin(BinaryOp::AddV2, x, y.into());
    let sub = |x: Tensor, y: Tensor| bin(BinaryOp::Sub, x, y.into());
    let value = binary::gen_binary(
        g,
        BinaryOp::Maximum,
        r,
        bin(BinaryOp::Maximum, gr, b.into())?,
    )?;
    let least = binary::gen_binary(
        g,
        BinaryOp::Minimum,
        r,
        bin(BinaryOp::Minimum, gr, b.into())?,
    )?;
    let range = sub(value, least)?;
    // Denominators made safe where they vanish; those pixels' terms are masked to zero.
    let zeros = array::zeros_like(g, value)?;
    let ones = array::ones_like(g, value)?;
    let value_pos = bin(Greater, value, Operand::S(0.0))?;
    let range_pos = bin(Greater, range, Operand::S(0.0))?;
    let safe_value = array::select_v2(g, value_pos, value, ones)?;
    let safe_range = array::select_v2(g, range_pos, range, ones)?;
    let s_scale = array::select_v2(
        g,
        value_pos,
        bin(BinaryOp::RealDiv, ones, mul(safe_value, safe_value)?.into())?,
        zeros,
    )?;
    let h_scale = array::select_v2(
        g,
        range_pos,
        bin(
            BinaryOp::RealDiv,
            ones,
            bin(BinaryOp::Mul, mul(safe_range, safe_range)?, Operand::S(6.0))?.into(),
        )?,
        zeros,
    )?;
    // p - q of the max channel's sector, and its derivative per channel.
    let diff = add(
        add(mul(r_max, sub(gr, b)?)?, mul(g_max, sub(b, r)?)?)?,
        mul(b_max, sub(r, gr)?)?,
    )?;
    let d_diff = [sub(b_max, g_max)?, sub(r_max, b_max)?, sub(g_max, r_max)?];
    let d_value = [r_max, g_max, b_max];
    let d_least = [r_min, g_min, b_min];
    let mut channels = Vec::with_capacity(3);
    for k in 0..3 {
        let ds = mul(
            sub(mul(least, d_value[k])?, mul(value, d_least[k])?)?,
            s_scale,
        )?;
        let dh = mul(
            sub(
                mul(d_diff[k], range)?,
                mul(diff, sub(d_value[k], d_least[k])?)?,
            )?,
            h_scale,
        )?;
        let total = add(
            add(mul(grad_v, d_value[k])?, mul(grad_s, ds)?)?,
            mul(grad_h, dh)?,
        )?;
        channels.push(total);
    }
    let dx = array::stack(g, &channels, -1)?;
    Ok(vec![Some(Grad::Dense(dx))])
}

/// Builds `RGBToHSV`, `HSVToRGB`, `AdjustHue` or `AdjustSaturation` (Rust callers).
pub fn colour(g: &Graph, op: ColourOp, inputs: &[Tensor]) -> Result<Tensor> {
    g.add1(OpKind::Colour(op), inputs, None)
}
