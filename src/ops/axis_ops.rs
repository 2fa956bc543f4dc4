//! Ops along one axis: reverse, cumulative sums and products, arg max/min, top-k, mirror pad, linspace.

use super::{array, binary, one, source, Family, InferCtx, KernelCtx, OpKind, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx};
use crate::graph::{Graph, Input, Metas, Node, Tensor, TensorMeta};
use crate::shape::{normalize_axis, Dims, Shape};
use crate::value::{Arr, Elem, Value};
use ndarray::{ArrayD, Axis, IxDyn};
use smallvec::smallvec;

/// An op of the along-an-axis family.
#[derive(Debug, Clone, PartialEq)]
pub enum AxisOp {
    ReverseV2,
    Cumsum { exclusive: bool, reverse: bool },
    Cumprod { exclusive: bool, reverse: bool },
    ArgMax { output_type: DType },
    ArgMin { output_type: DType },
    TopKV2 { sorted: bool },
    LinSpace,
    MirrorPad { symmetric: bool },
    MirrorPadGrad { symmetric: bool },
}

fn mode_attr(attrs: &Attrs) -> Result<bool> {
    match attrs.str_or("mode", "")?.to_ascii_uppercase().as_str() {
        "REFLECT" => Ok(false),
        "SYMMETRIC" => Ok(true),
        other => Err(Error::invalid(format!(
            "Value for attr 'mode' of \"{other}\" is not in the list of allowed values: \"REFLECT\", \"SYMMETRIC\""
        ))),
    }
}

fn mode_name(symmetric: bool) -> &'static str {
    if symmetric {
        "SYMMETRIC"
    } else {
        "REFLECT"
    }
}

impl Family for AxisOp {
    fn type_name(&self) -> &'static str {
        match self {
            AxisOp::ReverseV2 => "ReverseV2",
            AxisOp::Cumsum { .. } => "Cumsum",
            AxisOp::Cumprod { .. } => "Cumprod",
            AxisOp::ArgMax { .. } => "ArgMax",
            AxisOp::ArgMin { .. } => "ArgMin",
            AxisOp::TopKV2 { .. } => "TopKV2",
            AxisOp::LinSpace => "LinSpace",
            AxisOp::MirrorPad { .. } => "MirrorPad",
            AxisOp::MirrorPadGrad { .. } => "MirrorPadGrad",
        }
    }

    fn from_def(op_type: &str, attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        let cum = |f: fn(bool, bool) -> AxisOp| -> Result<AxisOp> {
            Ok(f(
                attrs.bool_or("exclusive", false)?,
                attrs.bool_or("reverse", false)?,
            ))
        };
        let out_type = || -> Result<DType> {
            let t = attrs.dtype_opt("output_type")?.unwrap_or(DType::I64);
            if !matches!(t, DType::I32 | DType::I64) {
                return Err(Error::type_error(format!(
                    "Value passed to parameter 'output_type' has DataType {t} not in list of allowed values: int16, uint16, int32, int64"
                )));
            }
            Ok(t)
        };
        Some(match op_type {
            "ReverseV2" => Ok(AxisOp::ReverseV2),
            "Cumsum" => cum(|exclusive, reverse| AxisOp::Cumsum { exclusive, reverse }),
            "Cumprod" => cum(|exclusive, reverse| AxisOp::Cumprod { exclusive, reverse }),
            "ArgMax" => out_type().map(|output_type| AxisOp::ArgMax { output_type }),
            "ArgMin" => out_type().map(|output_type| AxisOp::ArgMin { output_type }),
            "TopKV2" | "TopK" => attrs
                .bool_or("sorted", true)
                .map(|sorted| AxisOp::TopKV2 { sorted }),
            "LinSpace" => Ok(AxisOp::LinSpace),
            "MirrorPad" => mode_attr(attrs).map(|symmetric| AxisOp::MirrorPad { symmetric }),
            "MirrorPadGrad" => {
                mode_attr(attrs).map(|symmetric| AxisOp::MirrorPadGrad { symmetric })
            }
            _ => return None,
        })
    }

    fn attrs(&self, _node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        let t = |i: usize| input_types.get(i).copied().map(AttrValue::Type);
        let mut out: Vec<(&'static str, AttrValue)> = Vec::new();
        let mut push = |name: &'static str, v: Option<AttrValue>| {
            if let Some(v) = v {
                out.push((name, v));
            }
        };
        match self {
            AxisOp::ReverseV2 => {
                push("Tidx", t(1));
                push("T", t(0));
            }
            AxisOp::Cumsum { exclusive, reverse } | AxisOp::Cumprod { exclusive, reverse } => {
                push("exclusive", Some(AttrValue::Bool(*exclusive)));
                push("reverse", Some(AttrValue::Bool(*reverse)));
                push("T", t(0));
                push("Tidx", t(1));
            }
            AxisOp::ArgMax { output_type } | AxisOp::ArgMin { output_type } => {
                push("T", t(0));
                push("Tidx", t(1));
                push("output_type", Some(AttrValue::Type(*output_type)));
            }
            AxisOp::TopKV2 { sorted } => {
                push("sorted", Some(AttrValue::Bool(*sorted)));
                push("T", t(0));
                push("Tk", t(1));
                push("index_type", Some(AttrValue::Type(DType::I32)));
            }
            AxisOp::LinSpace => {
                push("T", t(0));
                push("Tidx", t(2));
            }
            AxisOp::MirrorPad { symmetric } | AxisOp::MirrorPadGrad { symmetric } => {
                push("T", t(0));
                push("Tpaddings", t(1));
                push(
                    "mode",
                    Some(AttrValue::Str(mode_name(*symmetric).to_string())),
                );
            }
        }
        out
    }

    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        match self {
            AxisOp::ReverseV2 => {
                ctx.expect_inputs(2)?;
                int_input(ctx, 1, "axis")?;
                let x = ctx.shape(0)?.clone();
                if let (Some(r), Some(axes)) = (x.rank(), ctx.const_ints(1)) {
                    let mut seen = vec![false; r];
                    for a in axes {
                        let a = normalize_axis(a, r).map_err(|e| ctx.err(e))?;
                        if seen[a] {
                            return Err(ctx.err(format!("axis {a} specified more than once.")));
                        }
                        seen[a] = true;
                    }
                }
                one(ctx.dtype(0)?, x)
            }
            AxisOp::Cumsum { .. } | AxisOp::Cumprod { .. } => {
                ctx.expect_inputs(2)?;
                int_input(ctx, 1, "axis")?;
                numeric_input(ctx)?;
                let x = ctx.shape(0)?.clone();
                if let Some(r) = ctx.shape(1)?.rank() {
                    if r != 0 {
                        return Err(ctx.err(format!("Shape must be rank 0 but is rank {r}")));
                    }
                }
                if let (Some(r), Some(a)) = (x.rank(), ctx.const_ints(1)) {
                    if let Some(&a) = a.first() {
                        normalize_axis(a, r).map_err(|e| ctx.err(e))?;
                    }
                }
                one(ctx.dtype(0)?, x)
            }
            AxisOp::ArgMax { output_type } | AxisOp::ArgMin { output_type } => {
                ctx.expect_inputs(2)?;
                int_input(ctx, 1, "dimension")?;
                numeric_input(ctx)?;
                let x = ctx.shape(0)?;
                let Some(dims) = x.dims() else {
                    return one(*output_type, Shape::unknown());
                };
                match ctx.const_ints(1).as_deref() {
                    Some([a]) => {
                        let a = normalize_axis(*a, dims.len()).map_err(|e| ctx.err(e))?;
                        let out: Dims = dims
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| *i != a)
                            .map(|(_, d)| *d)
                            .collect();
                        one(*output_type, Shape(Some(out)))
                    }
                    Some(_) => Err(ctx.err("dimension must be a scalar")),
                    None => one(
                        *output_type,
                        Shape::unknown_dims(dims.len().saturating_sub(1)),
                    ),
                }
            }
            AxisOp::TopKV2 { .. } => {
                ctx.expect_inputs(2)?;
                int_input(ctx, 1, "k")?;
                numeric_input(ctx)?;
                let k = ctx.const_ints(1).and_then(|v| v.first().copied());
                if let Some(k) = k {
                    if k < 0 {
                        return Err(ctx.err(format!("Need k >= 0, got {k}")));
                    }
                }
                let shape = match ctx.shape(0)?.dims() {
                    None => Shape::unknown(),
                    Some([]) => return Err(ctx.err("Shape must be at least rank 1 but is rank 0")),
                    Some(d) => {
                        let last = d[d.len() - 1];
                        if let (Some(n), Some(k)) = (last, k) {
                            if (n as i64) < k {
                                return Err(ctx.err(format!(
                                    "input must have last dimension >= k = {k} but is {n}"
                                )));
                            }
                        }
                        let mut out: Dims = d.iter().copied().collect();
                        let n = out.len();
                        out[n - 1] = k.map(|k| k as usize);
                        Shape(Some(out))
                    }
                };
                Ok(smallvec![
                    TensorMeta::new(ctx.dtype(0)?, shape.clone()),
                    TensorMeta::new(DType::I32, shape)
                ])
            }
            AxisOp::LinSpace => {
                ctx.expect_inputs(3)?;
                let dtype = ctx.same_dtype("LinSpace", 0, 1, ("start", "stop"))?;
                if !dtype.is_floating() {
                    return Err(Error::type_error(format!(
                        "Value passed to parameter 'start' has DataType {dtype} not in list of allowed values: bfloat16, float32, float64"
                    )));
                }
                int_input(ctx, 2, "num")?;
                for i in 0..3 {
                    if let Some(r) = ctx.shape(i)?.rank() {
                        if r != 0 {
                            return Err(ctx.err(format!("Shape must be rank 0 but is rank {r}")));
                        }
                    }
                }
                let n = ctx.const_ints(2).and_then(|v| v.first().copied());
                if let Some(n) = n {
                    if n <= 0 {
                        return Err(ctx.err(format!("Requires num > 0: {n}")));
                    }
                }
                one(dtype, Shape(Some(smallvec![n.map(|n| n as usize)])))
            }
            AxisOp::MirrorPad { symmetric } | AxisOp::MirrorPadGrad { symmetric } => {
                ctx.expect_inputs(2)?;
                int_input(ctx, 1, "paddings")?;
                let grad = matches!(self, AxisOp::MirrorPadGrad { .. });
                let x = ctx.shape(0)?;
                let rank = x
                    .rank()
                    .or_else(|| ctx.shape(1).ok().and_then(|s| s.dim(0)));
                let Some(rank) = rank else {
                    return one(ctx.dtype(0)?, Shape::unknown());
                };
                let Some(p) = ctx.const_ints(1) else {
                    return one(ctx.dtype(0)?, Shape::unknown_dims(rank));
                };
                if p.len() != 2 * rank {
                    return Err(ctx.err(format!(
                        "The first dimension of paddings must be the rank of inputs[{rank},2]"
                    )));
                }
                let mut out = Dims::new();
                for i in 0..rank {
                    let (a, b) = (p[2 * i], p[2 * i + 1]);
                    if a < 0 || b < 0 {
                        return Err(ctx.err(format!("Paddings must be non-negative: {a} {b}")));
                    }
                    let d = x.dim(i);
                    if let (Some(n), false) = (d, grad) {
                        check_mirror(n, a, b, *symmetric).map_err(|m| ctx.err(m))?;
                    }
                    out.push(d.and_then(|n| {
                        if grad {
                            (n as i64 - a - b).try_into().ok()
                        } else {
                            Some(n + (a + b) as usize)
                        }
                    }));
                }
                one(ctx.dtype(0)?, Shape(Some(out)))
            }
        }
    }

    fn compute(&self, ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let _ = ctx;
        let x = arg(inputs, 0)?;
        let y = arg(inputs, 1)?;
        Ok(match self {
            AxisOp::ReverseV2 => smallvec![reverse_kernel(x, y)?],
            AxisOp::Cumsum { exclusive, reverse } => {
                smallvec![scan_kernel(x, y, *exclusive, *reverse, false)?]
            }
            AxisOp::Cumprod { exclusive, reverse } => {
                smallvec![scan_kernel(x, y, *exclusive, *reverse, true)?]
            }
            AxisOp::ArgMax { output_type } => smallvec![arg_kernel(x, y, *output_type, true)?],
            AxisOp::ArgMin { output_type } => smallvec![arg_kernel(x, y, *output_type, false)?],
            AxisOp::TopKV2 { .. } => top_k_kernel(x, y)?,
            AxisOp::LinSpace => smallvec![linspace_kernel(x, y, arg(inputs, 2)?)?],
            AxisOp::MirrorPad { symmetric } => smallvec![mirror_kernel(x, y, *symmetric, false)?],
            AxisOp::MirrorPadGrad { symmetric } => {
                smallvec![mirror_kernel(x, y, *symmetric, true)?]
            }
        })
    }

    fn register_gradients(r: &mut GradRegistry) {
        r.builtin("ReverseV2", reverse_grad);
        r.builtin("Cumsum", cumsum_grad);
        r.builtin("Cumprod", cumprod_grad);
        r.builtin("ArgMax", none_grads);
        r.builtin("ArgMin", none_grads);
        r.builtin("TopKV2", top_k_grad);
        r.builtin("TopK", top_k_grad);
        r.not_differentiable("LinSpace");
        r.builtin("MirrorPad", mirror_pad_gradient);
        r.builtin("MirrorPadGrad", mirror_pad_grad_grad);
    }
}

// ===== shape-rule helpers =====

fn int_input(ctx: &InferCtx<'_>, i: usize, name: &str) -> Result<()> {
    let t = ctx.dtype(i)?;
    if !matches!(t, DType::I32 | DType::I64) {
        return Err(Error::type_error(format!(
            "Value passed to parameter '{name}' has DataType {t} not in list of allowed values: int32, int64"
        )));
    }
    Ok(())
}

fn numeric_input(ctx: &InferCtx<'_>) -> Result<()> {
    let t = ctx.dtype(0)?;
    if t == DType::Bool {
        return Err(Error::type_error(format!(
            "Value passed to parameter 'x' has DataType bool not in list of allowed values for '{}'",
            ctx.name
        )));
    }
    Ok(())
}

/// TF's limits: REFLECT pads less than the dimension, SYMMETRIC at most the dimension.
fn check_mirror(n: usize, a: i64, b: i64, symmetric: bool) -> std::result::Result<(), String> {
    let limit = if symmetric { n as i64 } else { n as i64 - 1 };
    if a > limit || b > limit {
        return Err(format!(
            "paddings must be no greater than the dimension size: {a}, {b} greater than {limit}"
        ));
    }
    Ok(())
}

// ===== kernels =====

fn arg(inputs: &[Value], i: usize) -> Result<&Value> {
    inputs
        .get(i)
        .ok_or_else(|| Error::internal(format!("missing input {i}")))
}

pub(crate) fn scalar_int(v: &Value, what: &str) -> Result<i64> {
    let xs = v.to_i64_vec()?;
    match (v.shape().len(), xs.as_slice()) {
        (0, [x]) => Ok(*x),
        _ => Err(Error::op_invalid(format!(
            "{what} must be a scalar, got shape {:?}",
            v.shape()
        ))),
    }
}

fn run_axis(axis: i64, rank: usize) -> Result<usize> {
    normalize_axis(axis, rank).map_err(|e| Error::op_invalid(e.to_string()))
}

fn reverse_kernel(x: &Value, axes: &Value) -> Result<Value> {
    let rank = x.shape().len();
    let mut flip = vec![false; rank];
    for a in axes.to_i64_vec()? {
        let a = run_axis(a, rank)?;
        if flip[a] {
            return Err(Error::op_invalid(format!(
                "axis {a} specified more than once."
            )));
        }
        flip[a] = true;
    }
    Ok(crate::map_same!(x, a => {
        let mut v = a.view();
        for (i, f) in flip.iter().enumerate() {
            if *f {
                v.invert_axis(Axis(i));
            }
        }
        v.to_owned().into_shared()
    }))
}

/// The arithmetic the scans need; integer sums and products wrap as TF's kernels do.
trait Num: Elem + Copy + PartialOrd {
    fn zero() -> Self;
    fn one() -> Self;
    fn add(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn is_nan(self) -> bool;
}
macro_rules! num_float {
    ($($t:ty),*) => {$(
        impl Num for $t {
            fn zero() -> Self { 0.0 }
            fn one() -> Self { 1.0 }
            fn add(self, o: Self) -> Self { self + o }
            fn mul(self, o: Self) -> Self { self * o }
            fn is_nan(self) -> bool { <$t>::is_nan(self) }
        }
    )*};
}
macro_rules! num_int {
    ($($t:ty),*) => {$(
        impl Num for $t {
            fn zero() -> Self { 0 }
            fn one() -> Self { 1 }
            fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
            fn is_nan(self) -> bool { false }
        }
    )*};
}
num_float!(f32, f64);
num_int!(i8, i16, i32, i64, u8);

fn bool_err(op: &str) -> Error {
    Error::op_invalid(format!("{op} does not support bool tensors"))
}

fn scan<T: Num>(a: &Arr<T>, axis: usize, exclusive: bool, reverse: bool, prod: bool) -> Arr<T> {
    if prod {
        scan_with(a, axis, exclusive, reverse, T::one(), T::mul)
    } else {
        scan_with(a, axis, exclusive, reverse, T::zero(), T::add)
    }
}

/// Cumulative `f` along `axis` starting from `init` (complex numbers come here directly).
fn scan_with<T: Copy>(
    a: &Arr<T>,
    axis: usize,
    exclusive: bool,
    reverse: bool,
    init: T,
    f: impl Fn(T, T) -> T,
) -> Arr<T> {
    let mut out = a.to_owned();
    for mut lane in out.lanes_mut(Axis(axis)) {
        let n = lane.len();
        let mut acc = init;
        for step in 0..n {
            let i = if reverse { n - 1 - step } else { step };
            let v = lane[i];
            let next = f(acc, v);
            lane[i] = if exclusive { acc } else { next };
            acc = next;
        }
    }
    out.into_shared()
}

fn scan_kernel(
    x: &Value,
    axis: &Value,
    exclusive: bool,
    reverse: bool,
    prod: bool,
) -> Result<Value> {
    let rank = x.shape().len();
    if rank == 0 {
        return Err(Error::op_invalid("ScanOp: input must be at least rank 1"));
    }
    let axis = run_axis(scalar_int(axis, "axis")?, rank)?;
    let name = if prod { "Cumprod" } else { "Cumsum" };
    macro_rules! complex_scan {
        ($a:expr) => {
            if prod {
                scan_with(
                    $a,
                    axis,
                    exclusive,
                    reverse,
                    num_traits::One::one(),
                    |p, q| p * q,
                )
            } else {
                scan_with(
                    $a,
                    axis,
                    exclusive,
                    reverse,
                    num_traits::Zero::zero(),
                    |p, q| p + q,
                )
            }
        };
    }
    Ok(match x {
        Value::C64(a) => Value::C64(complex_scan!(a)),
        Value::C128(a) => Value::C128(complex_scan!(a)),
        _ => crate::map_numeric!(x, bool_err(name), a => scan(a, axis, exclusive, reverse, prod)),
    })
}

fn arg_best<T: Num>(a: &Arr<T>, axis: usize, max: bool) -> Result<Vec<i64>> {
    if a.shape()[axis] == 0 {
        return Err(Error::op_invalid(format!(
            "Reduction axis {axis} is empty in shape {:?}",
            a.shape()
        )));
    }
    Ok(a.lanes(Axis(axis))
        .into_iter()
        .map(|lane| {
            // First index wins ties; a NaN wins as soon as it is seen (as numpy's argmax).
            let mut best = 0usize;
            for (i, &v) in lane.iter().enumerate().skip(1) {
                let b = lane[best];
                if b.is_nan() {
                    break;
                }
                if v.is_nan() || (max && v > b) || (!max && v < b) {
                    best = i;
                }
            }
            best as i64
        })
        .collect())
}

fn arg_kernel(x: &Value, axis: &Value, out_type: DType, max: bool) -> Result<Value> {
    let rank = x.shape().len();
    let axis = run_axis(scalar_int(axis, "dimension")?, rank.max(1))?;
    if rank == 0 {
        return Err(Error::op_invalid("Expected dimension in the range [0, 0)"));
    }
    let name = if max { "ArgMax" } else { "ArgMin" };
    let idx: Vec<i64> = match x {
        Value::F16(_) => return Err(super::half::unwidened(name)),
        Value::F32(a) => arg_best(a, axis, max)?,
        Value::F64(a) => arg_best(a, axis, max)?,
        Value::I8(a) => arg_best(a, axis, max)?,
        Value::I16(a) => arg_best(a, axis, max)?,
        Value::I32(a) => arg_best(a, axis, max)?,
        Value::I64(a) => arg_best(a, axis, max)?,
        Value::U8(a) => arg_best(a, axis, max)?,
        Value::Bool(_) => return Err(bool_err(name)),
        Value::C64(_) | Value::C128(_) => return Err(super::not_for_complex(name, x.dtype())),
        Value::Str(_) => return Err(super::strings::rejected(name)),
    };
    let shape: Vec<usize> = x
        .shape()
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != axis)
        .map(|(_, d)| *d)
        .collect();
    Value::int_vector(out_type, &idx).reshape(&shape)
}

fn top_k_rows<T: Num>(a: &Arr<T>, k: usize) -> Result<(Value, Value)> {
    let shape = a.shape().to_vec();
    let last = shape.len() - 1;
    let n = shape[last];
    let mut out_shape = shape.clone();
    out_shape[last] = k;
    let rows = a.len().checked_div(n).unwrap_or(0);
    let mut values = Vec::with_capacity(rows * k);
    let mut indices = Vec::with_capacity(rows * k);
    let mut order: Vec<usize> = Vec::with_capacity(n);
    for lane in a.lanes(Axis(last)) {
        order.clear();
        order.extend(0..n);
        // Stable: equal values keep the lower index first, as TF's kernel.
        order.sort_by(|&i, &j| {
            let (x, y) = (lane[i], lane[j]);
            match (x.is_nan(), y.is_nan()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => std::cmp::Ordering::Less,
                (false, true) => std::cmp::Ordering::Greater,
                _ => y.partial_cmp(&x).unwrap_or(std::cmp::Ordering::Equal),
            }
        });
        for &i in order.iter().take(k) {
            values.push(lane[i]);
            indices.push(i as i32);
        }
    }
    Ok((
        Value::from_vec(&out_shape, values)?,
        Value::from_vec(&out_shape, indices)?,
    ))
}

fn top_k_kernel(x: &Value, k: &Value) -> Result<Outputs> {
    let k = scalar_int(k, "k")?;
    if k < 0 {
        return Err(Error::op_invalid(format!("Need k >= 0, got {k}")));
    }
    let shape = x.shape();
    let Some(&n) = shape.last() else {
        return Err(Error::op_invalid("input must be >= 1-D, got shape []"));
    };
    if (n as i64) < k {
        return Err(Error::op_invalid(format!(
            "input must have at least k columns. Had {n}, needed {k}"
        )));
    }
    let k = k as usize;
    let (v, i) = match x {
        Value::F16(_) => return Err(super::half::unwidened("TopKV2")),
        Value::F32(a) => top_k_rows(a, k)?,
        Value::F64(a) => top_k_rows(a, k)?,
        Value::I8(a) => top_k_rows(a, k)?,
        Value::I16(a) => top_k_rows(a, k)?,
        Value::I32(a) => top_k_rows(a, k)?,
        Value::I64(a) => top_k_rows(a, k)?,
        Value::U8(a) => top_k_rows(a, k)?,
        Value::C64(_) | Value::C128(_) => return Err(super::not_for_complex("TopKV2", x.dtype())),
        Value::Bool(_) => return Err(bool_err("TopKV2")),
        Value::Str(_) => return Err(super::strings::rejected("TopKV2")),
    };
    Ok(smallvec![v, i])
}

fn linspace_kernel(start: &Value, stop: &Value, num: &Value) -> Result<Value> {
    let n = scalar_int(num, "num")?;
    if n <= 0 {
        return Err(Error::op_invalid(format!("Requires num > 0: {n}")));
    }
    let one_f = |v: &Value, what: &str| -> Result<f64> {
        match (v.shape().len(), v.to_f64_vec().as_slice()) {
            (0, [x]) => Ok(*x),
            _ => Err(Error::op_invalid(format!(
                "{what} must be a scalar, not shape {:?}",
                v.shape()
            ))),
        }
    };
    let (a, b) = (one_f(start, "start")?, one_f(stop, "stop")?);
    let n = n as usize;
    let step = if n > 1 { (b - a) / (n - 1) as f64 } else { 0.0 };
    // The last value is exactly `stop`, as TF's kernel.
    let xs: Vec<f64> = (0..n)
        .map(|i| {
            if i + 1 == n && n > 1 {
                b
            } else {
                a + step * i as f64
            }
        })
        .collect();
    let v = Value::from_vec(&[n], xs)?;
    Ok(v.cast(start.dtype()))
}

/// For one dimension of a mirror pad, the input index each output index reads.
fn mirror_map(n: usize, before: usize, out_len: usize, symmetric: bool) -> Vec<usize> {
    (0..out_len)
        .map(|o| {
            let i = o as i64 - before as i64;
            let n = n as i64;
            let j = if i < 0 {
                if symmetric {
                    -i - 1
                } else {
                    -i
                }
            } else if i >= n {
                if symmetric {
                    2 * n - 1 - i
                } else {
                    2 * n - 2 - i
                }
            } else {
                i
            };
            j.clamp(0, (n - 1).max(0)) as usize
        })
        .collect()
}

fn mirror_kernel(x: &Value, paddings: &Value, symmetric: bool, grad: bool) -> Result<Value> {
    let shape = x.shape().to_vec();
    let rank = shape.len();
    let p = paddings.to_i64_vec()?;
    if paddings.shape() != [rank, 2] {
        return Err(Error::op_invalid(format!(
            "The first dimension of paddings must be the rank of inputs[{rank},2], got {:?}",
            paddings.shape()
        )));
    }
    // `small` is the unpadded shape: the input of MirrorPad, the output of MirrorPadGrad.
    let mut small = Vec::with_capacity(rank);
    let mut big = Vec::with_capacity(rank);
    for i in 0..rank {
        let (a, b) = (p[2 * i], p[2 * i + 1]);
        if a < 0 || b < 0 {
            return Err(Error::op_invalid(format!(
                "Paddings must be non-negative: {a} {b}"
            )));
        }
        let n = if grad {
            let n = shape[i] as i64 - a - b;
            if n < 0 {
                return Err(Error::op_invalid(format!(
                    "paddings {a}, {b} exceed the gradient's dimension {}",
                    shape[i]
                )));
            }
            n as usize
        } else {
            shape[i]
        };
        check_mirror(n, a, b, symmetric).map_err(Error::op_invalid)?;
        small.push(n);
        big.push(n + (a + b) as usize);
    }
    let maps: Vec<Vec<usize>> = (0..rank)
        .map(|i| mirror_map(small[i], p[2 * i] as usize, big[i], symmetric))
        .collect();
    // Row-major strides of the unpadded shape turn a padded multi-index into a flat source.
    let mut strides = vec![1usize; rank];
    for i in (0..rank.saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * small[i + 1];
    }
    let total: usize = big.iter().product();
    let mut source = Vec::with_capacity(total);
    let mut idx = vec![0usize; rank];
    for _ in 0..total {
        source.push(
            (0..rank)
                .map(|d| maps[d][idx[d]] * strides[d])
                .sum::<usize>(),
        );
        for d in (0..rank).rev() {
            idx[d] += 1;
            if idx[d] < big[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    fn gather<T: Clone>(a: &Arr<T>, source: &[usize], big: &[usize]) -> Result<Arr<T>> {
        let flat: Vec<T> = a.iter().cloned().collect();
        let out: Vec<T> = source.iter().map(|&s| flat[s].clone()).collect();
        Ok(ArrayD::from_shape_vec(IxDyn(big), out)
            .map_err(|e| Error::internal(e.to_string()))?
            .into_shared())
    }
    fn scatter<T: Num>(a: &Arr<T>, source: &[usize], small: &[usize]) -> Result<Arr<T>> {
        let mut out = vec![T::zero(); small.iter().product()];
        for (&s, &v) in source.iter().zip(a.iter()) {
            out[s] = out[s].add(v);
        }
        Ok(ArrayD::from_shape_vec(IxDyn(small), out)
            .map_err(|e| Error::internal(e.to_string()))?
            .into_shared())
    }
    if grad {
        Ok(crate::map_numeric!(x, bool_err("MirrorPadGrad"), a => scatter(a, &source, &small)?))
    } else {
        Ok(crate::map_same!(x, a => gather(a, &source, &big)?))
    }
}

// ===== builders =====

fn axis_const(axis: i64) -> Input {
    Input::constant("axis", Value::scalar(axis as i32))
}

pub fn reverse(g: &Graph, x: Tensor, axis: Tensor) -> Result<Tensor> {
    g.add1(
        OpKind::AxisOps(AxisOp::ReverseV2),
        &[x, axis],
        Some("ReverseV2"),
    )
}

pub fn cumsum(
    g: &Graph,
    x: Tensor,
    axis: Tensor,
    exclusive: bool,
    reverse: bool,
) -> Result<Tensor> {
    g.add1(
        OpKind::AxisOps(AxisOp::Cumsum { exclusive, reverse }),
        &[x, axis],
        Some("Cumsum"),
    )
}

pub fn cumprod(
    g: &Graph,
    x: Tensor,
    axis: Tensor,
    exclusive: bool,
    reverse: bool,
) -> Result<Tensor> {
    g.add1(
        OpKind::AxisOps(AxisOp::Cumprod { exclusive, reverse }),
        &[x, axis],
        Some("Cumprod"),
    )
}

/// `Cumsum` along a constant axis, the axis a `Const` named `Cumsum/axis`.
pub fn cumsum_const(
    g: &Graph,
    x: Tensor,
    axis: i64,
    exclusive: bool,
    reverse: bool,
) -> Result<Tensor> {
    Ok(g.add_with_consts(
        OpKind::AxisOps(AxisOp::Cumsum { exclusive, reverse }),
        &[x.into(), axis_const(axis)],
        None,
    )?
    .output(0))
}

pub fn top_k(g: &Graph, x: Tensor, k: Tensor, sorted: bool) -> Result<(Tensor, Tensor)> {
    let op = g.add_with_consts(
        OpKind::AxisOps(AxisOp::TopKV2 { sorted }),
        &[x.into(), k.into()],
        Some("TopKV2"),
    )?;
    Ok((op.output(0), op.output(1)))
}

pub fn mirror_pad(g: &Graph, x: Tensor, paddings: Tensor, symmetric: bool) -> Result<Tensor> {
    g.add1(
        OpKind::AxisOps(AxisOp::MirrorPad { symmetric }),
        &[x, paddings],
        Some("MirrorPad"),
    )
}

pub fn mirror_pad_grad(g: &Graph, x: Tensor, paddings: Tensor, symmetric: bool) -> Result<Tensor> {
    g.add1(
        OpKind::AxisOps(AxisOp::MirrorPadGrad { symmetric }),
        &[x, paddings],
        Some("MirrorPadGrad"),
    )
}

// ===== gradients =====

type GradOut = Result<Vec<Option<Grad>>>;

fn own(ctx: &GradCtx<'_>) -> Result<AxisOp> {
    match &ctx.kind {
        OpKind::AxisOps(op) => Ok(op.clone()),
        other => Err(Error::internal(format!(
            "axis-op gradient called for {}",
            other.type_name()
        ))),
    }
}

fn none_grads(ctx: &GradCtx<'_>, _grads: &[Option<Grad>]) -> GradOut {
    Ok(vec![None; ctx.inputs.len()])
}

/// TF's `_ReverseV2Grad`: reverse the gradient along the same axes.
fn reverse_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let grad = ctx.grad(grads, 0)?;
    Ok(vec![
        Some(reverse(ctx.graph, grad, ctx.input(1)?)?.into()),
        None,
    ])
}

/// TF's `_CumsumGrad`: a cumulative sum of the gradient in the other direction.
fn cumsum_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let AxisOp::Cumsum { exclusive, reverse } = own(ctx)? else {
        return Err(Error::internal("Cumsum gradient for another op"));
    };
    let grad = ctx.grad(grads, 0)?;
    let gx = cumsum(ctx.graph, grad, ctx.input(1)?, exclusive, !reverse)?;
    Ok(vec![Some(gx.into()), None])
}

/// Cumprod's gradient. TF's `_CumprodGrad` is `cumsum(cumprod(x) * grad, reverse=!reverse)
/// / x`, which is undefined where x holds zeros (and so is every higher derivative through
/// it, e.g. of `Prod`). When the rank and the axis are known at build time symgrad computes
/// the same value without dividing: with the axis moved last,
///   dx[k] = sum_i included(k, i) * grad[i] * prod_{j in scan(i), j != k} x[j]
/// where the products come from one `Cumprod` of an [n, n] matrix whose row k is x with
/// x[k] replaced by 1, and `included(k, i)` says whether x[k] is a factor of output i
/// (k <= i forward, k < i exclusive, mirrored for reverse). It costs O(n^2) per lane and is
/// built from differentiable ops, so derivatives of any order are exact at zeros. Otherwise
/// (unknown rank or a fed axis) it falls back to TF's formula.
fn cumprod_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let AxisOp::Cumprod { exclusive, reverse } = own(ctx)? else {
        return Err(Error::internal("Cumprod gradient for another op"));
    };
    let g = ctx.graph;
    let (x, axis) = (ctx.input(0)?, ctx.input(1)?);
    let grad = ctx.grad(grads, 0)?;
    let rank = g.shape(x)?.rank();
    let axis_value = g
        .read()
        .constant_value(axis)
        .and_then(|v| v.to_i64_vec().ok())
        .and_then(|v| v.first().copied());
    if let (Some(rank), Some(a)) = (rank, axis_value) {
        if rank > 0 {
            let a = normalize_axis(a, rank)?;
            let gx = cumprod_grad_exact(g, x, grad, rank, a, exclusive, reverse)?;
            return Ok(vec![Some(gx.into()), None]);
        }
    }
    let prod = cumprod(g, x, axis, exclusive, reverse)?;
    // Complex inputs: the derivatives conjugated (the identity for real ones).
    let prod = super::complex::conj(g, prod)?;
    let weighted = binary::operator(g, binary::BinaryOp::Mul, prod, grad)?;
    let out = cumsum(g, weighted, axis, exclusive, !reverse)?;
    let gx = binary::operator(
        g,
        binary::BinaryOp::RealDiv,
        out,
        super::complex::conj(g, x)?,
    )?;
    Ok(vec![Some(gx.into()), None])
}

fn cumprod_grad_exact(
    g: &Graph,
    x: Tensor,
    grad: Tensor,
    rank: usize,
    axis: usize,
    exclusive: bool,
    reverse: bool,
) -> Result<Tensor> {
    use binary::{operator, BinaryOp};
    // Swapping the axis with the last one is its own inverse.
    let perm: Option<Tensor> = if axis + 1 == rank {
        None
    } else {
        let mut p: Vec<i64> = (0..rank as i64).collect();
        p.swap(axis, rank - 1);
        Some(source::const_ints(g, &p)?)
    };
    let to_last = |t: Tensor| -> Result<Tensor> {
        match perm {
            Some(p) => array::transpose(g, t, p),
            None => Ok(t),
        }
    };
    let (xt, gt) = (to_last(x)?, to_last(grad)?);
    let dtype = g.dtype(x)?;
    let ones = array::cast(g, array::ones_like(g, xt)?, DType::I32)?;
    let positions = cumsum_const(g, ones, -1, true, false)?;
    let k = array::expand_dims(g, positions, -1)?;
    let i = array::expand_dims(g, positions, -2)?;
    let eye = array::cast(g, binary::equal(g, k, i)?, dtype)?;
    let off = operator(g, BinaryOp::Sub, binary::Operand::S(1.0), eye)?;
    let rows = operator(g, BinaryOp::Mul, array::expand_dims(g, xt, -2)?, off)?;
    let masked = operator(g, BinaryOp::AddV2, rows, eye)?;
    let last = Input::constant("axis", Value::scalar(-1i32));
    let products = g
        .add_with_consts(
            OpKind::AxisOps(AxisOp::Cumprod { exclusive, reverse }),
            &[masked.into(), last],
            None,
        )?
        .output(0);
    let products = super::complex::conj(g, products)?;
    let included = match (exclusive, reverse) {
        (false, false) => binary::less_equal(g, k, i)?,
        (true, false) => binary::less(g, k, i)?,
        (false, true) => binary::greater_equal(g, k, i)?,
        (true, true) => binary::greater(g, k, i)?,
    };
    let included = array::cast(g, included, dtype)?;
    let weighted = operator(g, BinaryOp::Mul, products, included)?;
    let weighted = operator(g, BinaryOp::Mul, weighted, array::expand_dims(g, gt, -2)?)?;
    let dx = super::reduce::sum(g, weighted, &[-1], false)?;
    to_last(dx)
}

/// TopKV2: each value's gradient goes back to the position it came from. TF scatters with
/// `ScatterNd`; symgrad builds the same sum from a one-hot comparison of the indices with
/// each position's index (`Cumsum` of ones, exclusive), so every op on the way has a
/// gradient and higher derivatives follow:
///   gx[..., j] = sum_k grad[..., k] * (indices[..., k] == j)
fn top_k_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let x = ctx.input(0)?;
    let indices = ctx.output(1);
    let grad = ctx.grad(grads, 0)?;
    let dtype = g.dtype(x)?;
    let (scope, previous) = g.enter_name_scope(Some("TopKGrad"));
    let r = (|| -> Result<Tensor> {
        let ones = array::cast(g, array::ones_like(g, x)?, DType::I32)?;
        let positions = cumsum_const(g, ones, -1, true, false)?;
        let positions = array::expand_dims(g, positions, -2)?;
        let chosen = array::expand_dims(g, indices, -1)?;
        let hit = array::cast(g, binary::equal(g, chosen, positions)?, dtype)?;
        let spread = binary::mul(g, array::expand_dims(g, grad, -1)?, hit)?;
        let gx = super::reduce::sum(g, spread, &[-2], false)?;
        let _ = &scope;
        Ok(gx)
    })();
    g.set_name_scope(&previous);
    Ok(vec![Some(r?.into()), None])
}

/// TF's `_MirrorPadGrad`: fold the padded borders back onto the input.
fn mirror_pad_gradient(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let AxisOp::MirrorPad { symmetric } = own(ctx)? else {
        return Err(Error::internal("MirrorPad gradient for another op"));
    };
    let grad = ctx.grad(grads, 0)?;
    let gx = mirror_pad_grad(ctx.graph, grad, ctx.input(1)?, symmetric)?;
    Ok(vec![Some(gx.into()), None])
}

/// TF's `_MirrorPadGradGrad`: MirrorPadGrad is linear, its adjoint is MirrorPad.
fn mirror_pad_grad_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let AxisOp::MirrorPadGrad { symmetric } = own(ctx)? else {
        return Err(Error::internal("MirrorPadGrad gradient for another op"));
    };
    let grad = ctx.grad(grads, 0)?;
    let gx = mirror_pad(ctx.graph, grad, ctx.input(1)?, symmetric)?;
    Ok(vec![Some(gx.into()), None])
}
