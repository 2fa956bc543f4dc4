//! Shape and data-movement ops: identity, cast, select, reshape, transpose, expand/squeeze,
//! shape queries, fill/tile/broadcast, split/unpack/pack/concat, and the integer helpers
//! gradients use (`BroadcastGradientArgs`, `Range`, `DynamicStitch`, `InvertPermutation`).

use super::{one, reduce, source, InferCtx, OpKind, Outputs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx, IndexedSlices};
use crate::graph::{Graph, Input, Metas, OpSpec, Tensor, TensorMeta};
use crate::shape::{broadcast_dims, broadcast_static, normalize_axis, Dims, Shape};
use crate::value::{reshape_arr, Arr, Value};
use crate::map_same;
use ndarray::{Axis, IxDyn, Slice};
use smallvec::smallvec;

// ===== shape rules =====

pub fn infer(op: &OpKind, ctx: &InferCtx<'_>) -> Result<Metas> {
    match op {
        OpKind::Identity | OpKind::StopGradient => {
            ctx.expect_inputs(1)?;
            Ok(smallvec![ctx.input(0)?.clone()])
        }
        OpKind::IdentityN => (0..ctx.num_inputs()).map(|i| ctx.input(i).cloned()).collect(),
        OpKind::Cast { to, .. } => {
            ctx.expect_inputs(1)?;
            one(*to, ctx.shape(0)?.clone())
        }
        OpKind::Select => infer_select(ctx),
        OpKind::SelectV2 => {
            ctx.expect_inputs(3)?;
            expect_dtype(ctx, 0, DType::Bool, "condition")?;
            let dtype = ctx.same_dtype("SelectV2", 1, 2, ("t", "e"))?;
            let c = ctx.shape(0)?;
            let s = broadcast_static(ctx.shape(1)?, ctx.shape(2)?)
                .and_then(|s| broadcast_static(c, &s))
                .map_err(|(a, b)| ctx.err(format!("Dimensions must be equal, but are {a} and {b}")))?;
            one(dtype, s)
        }
        OpKind::Reshape => infer_reshape(ctx),
        OpKind::Transpose => infer_transpose(ctx),
        OpKind::InvertPermutation => {
            ctx.expect_inputs(1)?;
            int_input(ctx, 0, "x")?;
            one(ctx.dtype(0)?, ctx.shape(0)?.clone())
        }
        OpKind::ExpandDims => infer_expand_dims(ctx),
        OpKind::Squeeze { dims } => infer_squeeze(ctx, dims),
        OpKind::Shape { out_type } => {
            ctx.expect_inputs(1)?;
            one(*out_type, Shape(Some(smallvec![ctx.shape(0)?.rank()])))
        }
        OpKind::Size { out_type } => {
            ctx.expect_inputs(1)?;
            one(*out_type, Shape::scalar())
        }
        OpKind::Rank => {
            ctx.expect_inputs(1)?;
            one(DType::I32, Shape::scalar())
        }
        OpKind::Fill => {
            ctx.expect_inputs(2)?;
            int_input(ctx, 0, "dims")?;
            if ctx.shape(1)?.rank().is_some_and(|r| r != 0) {
                return Err(ctx.err(format!("Shape must be rank 0 but is rank {}", ctx.shape(1)?.rank().unwrap_or(0))));
            }
            one(ctx.dtype(1)?, shape_from_input(ctx, 0)?)
        }
        OpKind::Tile => infer_tile(ctx),
        OpKind::BroadcastTo => {
            ctx.expect_inputs(2)?;
            int_input(ctx, 1, "shape")?;
            let target = shape_from_input(ctx, 1)?;
            if let Err((a, b)) = broadcast_static(ctx.shape(0)?, &target) {
                return Err(ctx.err(format!("Incompatible shapes for broadcasting: {a} vs {b}")));
            }
            one(ctx.dtype(0)?, target)
        }
        OpKind::BroadcastGradientArgs => {
            ctx.expect_inputs(2)?;
            let dtype = ctx.same_dtype("BroadcastGradientArgs", 0, 1, ("s0", "s1"))?;
            let v = Shape(Some(smallvec![None]));
            Ok(smallvec![TensorMeta::new(dtype, v.clone()), TensorMeta::new(dtype, v)])
        }
        OpKind::Range => {
            ctx.expect_inputs(3)?;
            let dtype = ctx.dtype(0)?;
            for i in 1..3 {
                if ctx.dtype(i)? != dtype {
                    return Err(Error::type_error("Range expects start, limit and delta of one dtype"));
                }
            }
            let len = match (ctx.const_value(0), ctx.const_value(1), ctx.const_value(2)) {
                (Some(a), Some(b), Some(c)) => range_len(&a, &b, &c).ok(),
                _ => None,
            };
            one(dtype, Shape(Some(smallvec![len])))
        }
        OpKind::DynamicStitch { n } => {
            if ctx.num_inputs() != 2 * n || *n == 0 {
                return Err(ctx.err("DynamicStitch expects N index tensors and N data tensors"));
            }
            let dtype = ctx.dtype(*n)?;
            let inner: Shape = match (ctx.shape(0)?.rank(), ctx.shape(*n)?.dims()) {
                (Some(r), Some(d)) if d.len() >= r => Shape::from_dims(&d[r..]),
                _ => Shape::unknown(),
            };
            let mut first: Option<usize> = None;
            let mut known = true;
            for i in 0..*n {
                match ctx.const_ints(i) {
                    Some(v) => {
                        if let Some(m) = v.iter().copied().max() {
                            first = Some(first.unwrap_or(0).max(m as usize + 1));
                        }
                    }
                    None => known = false,
                }
            }
            let first = if known { Some(first.unwrap_or(0)) } else { None };
            let shape = match inner.dims() {
                Some(d) => {
                    let mut dims: Dims = smallvec![first];
                    dims.extend(d.iter().copied());
                    Shape(Some(dims))
                }
                None => Shape::unknown(),
            };
            one(dtype, shape)
        }
        OpKind::Split { num } => infer_split(ctx, *num),
        OpKind::Unpack { num, axis } => infer_unpack(ctx, *num, *axis),
        OpKind::Pack { axis } => infer_pack(ctx, *axis),
        OpKind::ConcatV2 => infer_concat(ctx),
        _ => Err(Error::internal(format!("array::infer called for {}", op.type_name()))),
    }
}

fn expect_dtype(ctx: &InferCtx<'_>, i: usize, want: DType, name: &str) -> Result<()> {
    let got = ctx.dtype(i)?;
    if got != want {
        return Err(Error::type_error(format!("Input '{name}' expects dtype {want}, got {got}")));
    }
    Ok(())
}

fn int_input(ctx: &InferCtx<'_>, i: usize, name: &str) -> Result<()> {
    let t = ctx.dtype(i)?;
    if !matches!(t, DType::I32 | DType::I64) {
        return Err(Error::type_error(format!(
            "Value passed to parameter '{name}' has DataType {t} not in list of allowed values: int32, int64"
        )));
    }
    Ok(())
}

/// The static shape a 1-D shape tensor describes: exact when it is constant, else its rank
/// when its length is known.
fn shape_from_input(ctx: &InferCtx<'_>, i: usize) -> Result<Shape> {
    if let Some(v) = ctx.const_ints(i) {
        return Ok(Shape(Some(v.iter().map(|&d| if d < 0 { None } else { Some(d as usize) }).collect())));
    }
    Ok(match ctx.shape(i)?.dims() {
        Some([Some(n)]) => Shape::unknown_dims(*n),
        _ => Shape::unknown(),
    })
}

fn infer_select(ctx: &InferCtx<'_>) -> Result<Metas> {
    ctx.expect_inputs(3)?;
    expect_dtype(ctx, 0, DType::Bool, "condition")?;
    let dtype = ctx.same_dtype("Select", 1, 2, ("t", "e"))?;
    let t = ctx.shape(1)?.merge(ctx.shape(2)?).map_err(|_| {
        ctx.err(format!("Shapes must be equal rank, but are {} and {}", ctx.shape(1).map(|s| s.to_string()).unwrap_or_default(), ctx.shape(2).map(|s| s.to_string()).unwrap_or_default()))
    })?;
    let c = ctx.shape(0)?;
    let ok = match (c.rank(), t.rank()) {
        (Some(0), _) | (None, _) | (_, None) => true,
        (Some(1), Some(r)) if r >= 1 => c.is_compatible_with(&Shape::from_dims(&[t.dim(0)])) || c.is_compatible_with(&t),
        _ => c.is_compatible_with(&t),
    };
    if !ok {
        return Err(ctx.err(format!("condition shape {c} must be a scalar, equal to the shape of t {t}, or a vector of its first dimension")));
    }
    one(dtype, t)
}

fn infer_reshape(ctx: &InferCtx<'_>) -> Result<Metas> {
    ctx.expect_inputs(2)?;
    int_input(ctx, 1, "shape")?;
    let dtype = ctx.dtype(0)?;
    let Some(req) = ctx.const_ints(1) else {
        return one(dtype, shape_from_input(ctx, 1)?);
    };
    let unknown: Vec<usize> = req.iter().enumerate().filter(|(_, &d)| d == -1).map(|(i, _)| i).collect();
    if unknown.len() > 1 {
        return Err(ctx.err(format!("Cannot infer multiple unknown dimensions in shape {req:?}")));
    }
    if let Some(bad) = req.iter().find(|&&d| d < -1) {
        return Err(ctx.err(format!("Size {bad} must be non-negative, not {bad}")));
    }
    let mut dims: Dims = req.iter().map(|&d| if d < 0 { None } else { Some(d as usize) }).collect();
    if let Some(n) = ctx.shape(0)?.num_elements() {
        let known: usize = req.iter().filter(|&&d| d >= 0).map(|&d| d as usize).product();
        match unknown.first() {
            Some(&u) => {
                if known == 0 || n % known != 0 {
                    if !(known == 0 && n == 0) {
                        return Err(ctx.err(format!(
                            "Cannot reshape a tensor with {n} elements to shape {req:?} ({known} elements)"
                        )));
                    }
                } else {
                    dims[u] = Some(n / known);
                }
            }
            None if known != n => {
                return Err(ctx.err(format!("Cannot reshape a tensor with {n} elements to shape {req:?} ({known} elements)")));
            }
            None => {}
        }
    }
    one(dtype, Shape(Some(dims)))
}

fn infer_transpose(ctx: &InferCtx<'_>) -> Result<Metas> {
    ctx.expect_inputs(2)?;
    int_input(ctx, 1, "perm")?;
    let x = ctx.shape(0)?;
    let dtype = ctx.dtype(0)?;
    let Some(perm) = ctx.const_ints(1) else {
        let rank = x.rank().or_else(|| ctx.shape(1).ok().and_then(|s| s.dim(0)));
        return one(dtype, rank.map_or(Shape::unknown(), Shape::unknown_dims));
    };
    check_permutation(&perm).map_err(|m| ctx.err(m))?;
    match x.dims() {
        Some(d) => {
            if d.len() != perm.len() {
                return Err(ctx.err(format!("Dimension must be {} but is {}", d.len(), perm.len())));
            }
            one(dtype, Shape(Some(perm.iter().map(|&p| d[p as usize]).collect())))
        }
        None => one(dtype, Shape::unknown_dims(perm.len())),
    }
}

fn check_permutation(perm: &[i64]) -> std::result::Result<(), String> {
    let n = perm.len();
    let mut seen = vec![false; n];
    for &p in perm {
        if p < 0 || p as usize >= n || seen[p as usize] {
            return Err(format!("{perm:?} is not a valid permutation of [0, {n})"));
        }
        seen[p as usize] = true;
    }
    Ok(())
}

fn infer_expand_dims(ctx: &InferCtx<'_>) -> Result<Metas> {
    ctx.expect_inputs(2)?;
    int_input(ctx, 1, "dim")?;
    let dtype = ctx.dtype(0)?;
    let Some(dims) = ctx.shape(0)?.dims() else { return one(dtype, Shape::unknown()) };
    let Some(axis) = ctx.const_ints(1) else { return one(dtype, Shape::unknown_dims(dims.len() + 1)) };
    let [axis] = axis.as_slice() else {
        return Err(ctx.err("'dim' must be a tensor with a single value"));
    };
    let axis = normalize_axis(*axis, dims.len() + 1).map_err(|e| ctx.err(e))?;
    let mut out: Dims = dims.iter().copied().collect();
    out.insert(axis, Some(1));
    one(dtype, Shape(Some(out)))
}

fn infer_squeeze(ctx: &InferCtx<'_>, squeeze: &[i64]) -> Result<Metas> {
    ctx.expect_inputs(1)?;
    let dtype = ctx.dtype(0)?;
    let Some(dims) = ctx.shape(0)?.dims() else { return one(dtype, Shape::unknown()) };
    let rank = dims.len();
    let axes: Vec<usize> = squeeze.iter().map(|&a| normalize_axis(a, rank)).collect::<Result<_>>().map_err(|e| ctx.err(e))?;
    let mut out = Dims::new();
    for (i, d) in dims.iter().enumerate() {
        if axes.is_empty() {
            match d {
                Some(1) => continue,
                None => return one(dtype, Shape::unknown()),
                _ => out.push(*d),
            }
        } else if axes.contains(&i) {
            match d {
                Some(1) | None => continue,
                Some(k) => {
                    return Err(ctx.err(format!("Can not squeeze dim[{i}], expected a dimension of 1, got {k}")))
                }
            }
        } else {
            out.push(*d);
        }
    }
    one(dtype, Shape(Some(out)))
}

fn infer_tile(ctx: &InferCtx<'_>) -> Result<Metas> {
    ctx.expect_inputs(2)?;
    int_input(ctx, 1, "multiples")?;
    let dtype = ctx.dtype(0)?;
    let x = ctx.shape(0)?;
    let mult = ctx.const_ints(1);
    let rank = x.rank().or(mult.as_ref().map(|m| m.len()));
    let Some(rank) = rank else { return one(dtype, Shape::unknown()) };
    if let Some(m) = &mult {
        if m.len() != rank {
            return Err(ctx.err(format!("Shape must be rank {rank} but multiples has length {}", m.len())));
        }
        if m.iter().any(|&v| v < 0) {
            return Err(ctx.err(format!("Expected multiples to be non-negative, got {m:?}")));
        }
    }
    let dims: Dims = (0..rank)
        .map(|i| match (x.dim(i), mult.as_ref().map(|m| m[i])) {
            (Some(d), Some(m)) => Some(d * m as usize),
            (_, Some(0)) => Some(0),
            _ => None,
        })
        .collect();
    one(dtype, Shape(Some(dims)))
}

fn infer_split(ctx: &InferCtx<'_>, num: usize) -> Result<Metas> {
    ctx.expect_inputs(2)?;
    int_input(ctx, 0, "split_dim")?;
    if num == 0 {
        return Err(ctx.err("num_split must be >= 1"));
    }
    let dtype = ctx.dtype(1)?;
    let x = ctx.shape(1)?;
    let shape = match (x.dims(), ctx.const_ints(0)) {
        (Some(d), Some(axis)) => {
            let [axis] = axis.as_slice() else { return Err(ctx.err("split_dim must be a scalar")) };
            let axis = normalize_axis(*axis, d.len()).map_err(|e| ctx.err(e))?;
            let mut out: Dims = d.iter().copied().collect();
            if let Some(size) = d[axis] {
                if size % num != 0 {
                    return Err(ctx.err(format!(
                        "Dimension size must be evenly divisible by {num} but is {size}; Number of ways to split should evenly divide the split dimension"
                    )));
                }
                out[axis] = Some(size / num);
            }
            Shape(Some(out))
        }
        (Some(d), None) => Shape::unknown_dims(d.len()),
        _ => Shape::unknown(),
    };
    Ok((0..num).map(|_| TensorMeta::new(dtype, shape.clone())).collect())
}

fn infer_unpack(ctx: &InferCtx<'_>, num: usize, axis: i64) -> Result<Metas> {
    ctx.expect_inputs(1)?;
    let dtype = ctx.dtype(0)?;
    let shape = match ctx.shape(0)?.dims() {
        Some(d) => {
            let a = normalize_axis(axis, d.len()).map_err(|e| ctx.err(e))?;
            if let Some(n) = d[a] {
                if n != num {
                    return Err(ctx.err(format!("Dimension must be {num} but is {n}")));
                }
            }
            let mut out: Dims = d.iter().copied().collect();
            out.remove(a);
            Shape(Some(out))
        }
        None => Shape::unknown(),
    };
    Ok((0..num).map(|_| TensorMeta::new(dtype, shape.clone())).collect())
}

fn infer_pack(ctx: &InferCtx<'_>, axis: i64) -> Result<Metas> {
    if ctx.num_inputs() == 0 {
        return Err(ctx.err("Pack expects at least one input"));
    }
    let dtype = ctx.dtype(0)?;
    let mut shape = ctx.shape(0)?.clone();
    for i in 1..ctx.num_inputs() {
        if ctx.dtype(i)? != dtype {
            return Err(Error::type_error("Tensors passed to stack must share one dtype"));
        }
        shape = shape.merge(ctx.shape(i)?).map_err(|_| {
            ctx.err(format!("Shapes of all inputs must match: values[0].shape = {} != values[{i}].shape", ctx.shape(0).map(|s| s.to_string()).unwrap_or_default()))
        })?;
    }
    let out = match shape.dims() {
        Some(d) => {
            let a = normalize_axis(axis, d.len() + 1).map_err(|e| ctx.err(e))?;
            let mut out: Dims = d.iter().copied().collect();
            out.insert(a, Some(ctx.num_inputs()));
            Shape(Some(out))
        }
        None => Shape::unknown(),
    };
    one(dtype, out)
}

fn infer_concat(ctx: &InferCtx<'_>) -> Result<Metas> {
    let n = ctx.num_inputs();
    if n < 2 {
        return Err(ctx.err("ConcatV2 expects at least one value and an axis"));
    }
    int_input(ctx, n - 1, "axis")?;
    let dtype = ctx.dtype(0)?;
    for i in 1..n - 1 {
        if ctx.dtype(i)? != dtype {
            return Err(Error::type_error("Tensors passed to concat must share one dtype"));
        }
    }
    let rank = (0..n - 1).find_map(|i| ctx.shape(i).ok().and_then(|s| s.rank()));
    let Some(rank) = rank else { return one(dtype, Shape::unknown()) };
    let Some(axis) = ctx.const_ints(n - 1) else { return one(dtype, Shape::unknown_dims(rank)) };
    let [axis] = axis.as_slice() else { return Err(ctx.err("axis must be a scalar")) };
    let axis = normalize_axis(*axis, rank).map_err(|e| ctx.err(e))?;
    let mut out: Dims = smallvec![None; rank];
    let mut total = Some(0usize);
    for i in 0..n - 1 {
        let Some(d) = ctx.shape(i)?.dims() else {
            total = None;
            continue;
        };
        if d.len() != rank {
            return Err(ctx.err(format!("Shape must be rank {rank} but is rank {}", d.len())));
        }
        for (j, dim) in d.iter().enumerate() {
            if j == axis {
                total = match (total, dim) {
                    (Some(t), Some(x)) => Some(t + x),
                    _ => None,
                };
            } else {
                match (out[j], dim) {
                    (Some(a), Some(b)) if a != *b => {
                        return Err(ctx.err(format!("Dimension {j} in both shapes must be equal, but are {a} and {b}")))
                    }
                    (None, Some(b)) => out[j] = Some(*b),
                    _ => {}
                }
            }
        }
    }
    out[axis] = total;
    one(dtype, Shape(Some(out)))
}

// ===== kernels =====

fn arg(inputs: &[Value], i: usize) -> Result<&Value> {
    inputs.get(i).ok_or_else(|| Error::internal(format!("missing input {i}")))
}

pub fn compute(op: &OpKind, inputs: &[Value]) -> Result<Outputs> {
    Ok(match op {
        OpKind::Identity | OpKind::StopGradient => smallvec![arg(inputs, 0)?.clone()],
        OpKind::IdentityN => inputs.iter().cloned().collect(),
        OpKind::Cast { to, .. } => smallvec![arg(inputs, 0)?.cast(*to)],
        OpKind::Select => smallvec![select_kernel(arg(inputs, 0)?, arg(inputs, 1)?, arg(inputs, 2)?)?],
        OpKind::SelectV2 => smallvec![select_v2_kernel(arg(inputs, 0)?, arg(inputs, 1)?, arg(inputs, 2)?)?],
        OpKind::Reshape => {
            let x = arg(inputs, 0)?;
            let dims = resolve_reshape(x.len(), &arg(inputs, 1)?.to_i64_vec()?)?;
            smallvec![x.reshape(&dims)?]
        }
        OpKind::Transpose => {
            let x = arg(inputs, 0)?;
            let perm = arg(inputs, 1)?.to_i64_vec()?;
            if perm.len() != x.shape().len() {
                return Err(Error::op_invalid(format!(
                    "transpose expects a vector of size {}. But input(1) is a vector of size {}",
                    x.shape().len(),
                    perm.len()
                )));
            }
            check_permutation(&perm).map_err(Error::op_invalid)?;
            let perm: Vec<usize> = perm.iter().map(|&p| p as usize).collect();
            smallvec![map_same!(x, a => a.clone().permuted_axes(IxDyn(&perm)))]
        }
        OpKind::InvertPermutation => {
            let x = arg(inputs, 0)?;
            let perm = x.to_i64_vec()?;
            check_permutation(&perm).map_err(Error::op_invalid)?;
            let mut inv = vec![0i64; perm.len()];
            for (i, &p) in perm.iter().enumerate() {
                inv[p as usize] = i as i64;
            }
            smallvec![Value::int_vector(x.dtype(), &inv)]
        }
        OpKind::ExpandDims => {
            let x = arg(inputs, 0)?;
            let axis = single_int(arg(inputs, 1)?, "dim")?;
            let a = normalize_axis(axis, x.shape().len() + 1).map_err(|e| Error::op_invalid(e.to_string()))?;
            let mut dims = x.shape().to_vec();
            dims.insert(a, 1);
            smallvec![x.reshape(&dims)?]
        }
        OpKind::Squeeze { dims } => {
            let x = arg(inputs, 0)?;
            let rank = x.shape().len();
            let axes: Vec<usize> = dims
                .iter()
                .map(|&a| normalize_axis(a, rank).map_err(|e| Error::op_invalid(e.to_string())))
                .collect::<Result<_>>()?;
            let mut out = Vec::new();
            for (i, &d) in x.shape().iter().enumerate() {
                if axes.is_empty() && d == 1 {
                    continue;
                }
                if axes.contains(&i) {
                    if d != 1 {
                        return Err(Error::op_invalid(format!(
                            "Can not squeeze dim[{i}], expected a dimension of 1, got {d}"
                        )));
                    }
                    continue;
                }
                out.push(d);
            }
            smallvec![x.reshape(&out)?]
        }
        OpKind::Shape { out_type } => {
            let dims: Vec<i64> = arg(inputs, 0)?.shape().iter().map(|&d| d as i64).collect();
            smallvec![Value::int_vector(*out_type, &dims)]
        }
        OpKind::Size { out_type } => {
            let n = arg(inputs, 0)?.len() as i64;
            smallvec![Value::int_vector(*out_type, &[n]).reshape(&[])?]
        }
        OpKind::Rank => smallvec![Value::scalar(arg(inputs, 0)?.shape().len() as i32)],
        OpKind::Fill => {
            let dims = arg(inputs, 0)?.to_dims()?;
            let v = arg(inputs, 1)?;
            if !v.shape().is_empty() {
                return Err(Error::op_invalid(format!("value must be a scalar, got shape {:?}", v.shape())));
            }
            smallvec![broadcast_value(v, &dims)?]
        }
        OpKind::Tile => smallvec![tile_kernel(arg(inputs, 0)?, &arg(inputs, 1)?.to_i64_vec()?)?],
        OpKind::BroadcastTo => {
            let x = arg(inputs, 0)?;
            let dims = arg(inputs, 1)?.to_dims()?;
            smallvec![broadcast_value(x, &dims)?]
        }
        OpKind::BroadcastGradientArgs => {
            let (s0, s1) = (arg(inputs, 0)?, arg(inputs, 1)?);
            let (r0, r1) = broadcast_gradient_axes(&s0.to_i64_vec()?, &s1.to_i64_vec()?)?;
            smallvec![Value::int_vector(s0.dtype(), &r0), Value::int_vector(s0.dtype(), &r1)]
        }
        OpKind::Range => smallvec![range_kernel(arg(inputs, 0)?, arg(inputs, 1)?, arg(inputs, 2)?)?],
        OpKind::DynamicStitch { n } => smallvec![dynamic_stitch_kernel(&inputs[..*n.min(&inputs.len())], inputs.get(*n..).unwrap_or(&[]))?],
        OpKind::Split { num } => {
            let axis = single_int(arg(inputs, 0)?, "split_dim")?;
            split_kernel(arg(inputs, 1)?, axis, *num)?
        }
        OpKind::Unpack { num, axis } => unpack_kernel(arg(inputs, 0)?, *axis, *num)?,
        OpKind::Pack { axis } => smallvec![pack_kernel(inputs, *axis)?],
        OpKind::ConcatV2 => {
            let (axis, values) = inputs.split_last().ok_or_else(|| Error::internal("ConcatV2 without inputs"))?;
            smallvec![concat_kernel(values, single_int(axis, "axis")?)?]
        }
        _ => return Err(Error::internal(format!("array::compute called for {}", op.type_name()))),
    })
}

fn single_int(v: &Value, what: &str) -> Result<i64> {
    match v.to_i64_vec()?.as_slice() {
        [x] => Ok(*x),
        _ => Err(Error::op_invalid(format!("'{what}' must be a scalar, got shape {:?}", v.shape()))),
    }
}

/// The sizes a reshape asks for, with its one `-1` resolved.
fn resolve_reshape(n: usize, req: &[i64]) -> Result<Vec<usize>> {
    let mut unknown = None;
    let mut known: usize = 1;
    for (i, &d) in req.iter().enumerate() {
        if d == -1 {
            if unknown.is_some() {
                return Err(Error::op_invalid("Only one input size may be -1, not both"));
            }
            unknown = Some(i);
        } else if d < 0 {
            return Err(Error::op_invalid(format!("Size {i} must be non-negative, not {d}")));
        } else {
            known = known.checked_mul(d as usize).ok_or_else(|| Error::op_invalid("reshape size overflows"))?;
        }
    }
    let mut dims: Vec<usize> = req.iter().map(|&d| d.max(0) as usize).collect();
    if let Some(u) = unknown {
        if known == 0 || n % known != 0 {
            return Err(Error::op_invalid(format!(
                "Input to reshape is a tensor with {n} values, but the requested shape requires a multiple of {known}"
            )));
        }
        dims[u] = n / known;
    } else if known != n {
        return Err(Error::op_invalid(format!(
            "Input to reshape is a tensor with {n} values, but the requested shape has {known}"
        )));
    }
    Ok(dims)
}

/// Broadcasts a value to `dims` (numpy rules), materialised.
fn broadcast_value(v: &Value, dims: &[usize]) -> Result<Value> {
    let out = broadcast_dims(v.shape(), dims);
    if out.as_deref() != Some(dims) {
        return Err(Error::op_invalid(format!(
            "Incompatible shapes for broadcasting: {:?} vs. {:?}",
            v.shape(),
            dims
        )));
    }
    Ok(map_same!(v, a => match a.broadcast(IxDyn(dims)) {
        Some(b) => b.to_owned().into_shared(),
        None => return Err(Error::op_invalid("broadcast failed")),
    }))
}

fn tile_kernel(x: &Value, mult: &[i64]) -> Result<Value> {
    if mult.len() != x.shape().len() {
        return Err(Error::op_invalid(format!(
            "Expected multiples argument to be a vector of length {} but got length {}",
            x.shape().len(),
            mult.len()
        )));
    }
    if mult.iter().any(|&m| m < 0) {
        return Err(Error::op_invalid(format!("Expected multiples to be non-negative, got {mult:?}")));
    }
    // Interleave [m0, d0, m1, d1, ...]: broadcast over the multiples, then merge pairs.
    let shape = x.shape().to_vec();
    let mut view_shape = Vec::with_capacity(2 * shape.len());
    let mut split = Vec::with_capacity(2 * shape.len());
    let mut out_dims = Vec::with_capacity(shape.len());
    for (&d, &m) in shape.iter().zip(mult) {
        view_shape.extend([1, d]);
        split.extend([m as usize, d]);
        out_dims.push(d * m as usize);
    }
    let expanded = x.reshape(&view_shape)?;
    broadcast_value(&expanded, &split)?.reshape(&out_dims)
}

/// TF's `BroadcastGradientArgs`: for each side, the output axes it must be summed over.
pub fn broadcast_gradient_axes(s0: &[i64], s1: &[i64]) -> Result<(Vec<i64>, Vec<i64>)> {
    let rank = s0.len().max(s1.len());
    let (mut r0, mut r1) = (Vec::new(), Vec::new());
    for i in 0..rank {
        let a = if i + s0.len() >= rank { s0[i + s0.len() - rank] } else { 1 };
        let b = if i + s1.len() >= rank { s1[i + s1.len() - rank] } else { 1 };
        if a == b {
            if a == 1 {
                r0.push(i as i64);
                r1.push(i as i64);
            }
        } else if a == 1 {
            r0.push(i as i64);
        } else if b == 1 {
            r1.push(i as i64);
        } else {
            return Err(Error::op_invalid(format!("Incompatible shapes: {s0:?} vs. {s1:?}")));
        }
    }
    Ok((r0, r1))
}

fn range_len(start: &Value, limit: &Value, delta: &Value) -> Result<usize> {
    let (s, l, d) = (scalar_f64(start)?, scalar_f64(limit)?, scalar_f64(delta)?);
    if d == 0.0 {
        return Err(Error::op_invalid(format!("Requires delta != 0: {d}")));
    }
    if d > 0.0 && s > l {
        return Err(Error::op_invalid(format!("Requires start <= limit when delta > 0: {s}/{l}")));
    }
    if d < 0.0 && s < l {
        return Err(Error::op_invalid(format!("Requires start >= limit when delta < 0: {s}/{l}")));
    }
    let n = if start.dtype().is_integer() {
        let (s, l, d) = (s as i64, l as i64, d as i64);
        ((l - s).abs() + d.abs() - 1) / d.abs()
    } else {
        ((l - s) / d).ceil() as i64
    };
    usize::try_from(n.max(0)).map_err(|_| Error::op_invalid("range too large"))
}

fn scalar_f64(v: &Value) -> Result<f64> {
    match v.to_f64_vec().as_slice() {
        [x] => Ok(*x),
        _ => Err(Error::op_invalid(format!("expected a scalar, got shape {:?}", v.shape()))),
    }
}

fn range_kernel(start: &Value, limit: &Value, delta: &Value) -> Result<Value> {
    let n = range_len(start, limit, delta)?;
    let (s, d) = (scalar_f64(start)?, scalar_f64(delta)?);
    Ok(match start.dtype() {
        DType::F32 => Value::from_vec(&[n], (0..n).map(|i| (s + d * i as f64) as f32).collect())?,
        DType::F64 => Value::from_vec(&[n], (0..n).map(|i| s + d * i as f64).collect())?,
        dtype => {
            let (s, d) = (s as i64, d as i64);
            Value::int_vector(DType::I64, &(0..n as i64).map(|i| s + d * i).collect::<Vec<_>>()).cast(dtype)
        }
    })
}

fn dynamic_stitch_kernel(indices: &[Value], data: &[Value]) -> Result<Value> {
    let first = data.first().ok_or_else(|| Error::op_invalid("DynamicStitch needs data"))?;
    let mut rows: Vec<(usize, Value, usize)> = Vec::new();
    let mut size = 0usize;
    let mut inner: Option<Vec<usize>> = None;
    for (idx, d) in indices.iter().zip(data) {
        let ids = idx.to_i64_vec()?;
        let r = idx.shape().len();
        let this_inner = d.shape().get(r..).ok_or_else(|| Error::op_invalid("data rank below indices rank"))?.to_vec();
        if d.shape().get(..r) != Some(idx.shape()) {
            return Err(Error::op_invalid("data.shape must start with indices.shape in DynamicStitch"));
        }
        if let Some(inn) = &inner {
            if *inn != this_inner {
                return Err(Error::op_invalid("DynamicStitch data shapes disagree"));
            }
        }
        inner = Some(this_inner.clone());
        let flat = d.reshape(&[ids.len(), this_inner.iter().product()])?;
        for (row, &id) in ids.iter().enumerate() {
            let id = usize::try_from(id).map_err(|_| Error::op_invalid(format!("DynamicStitch index {id} is negative")))?;
            size = size.max(id + 1);
            rows.push((id, flat.clone(), row));
        }
    }
    let inner = inner.unwrap_or_default();
    let width: usize = inner.iter().product();
    let mut out_shape = vec![size];
    out_shape.extend(&inner);
    let mut out = Value::zeros(first.dtype(), &[size, width]);
    for (id, src, row) in rows {
        copy_row(&mut out, id, &src, row)?;
    }
    out.reshape(&out_shape)
}

fn copy_row(dst: &mut Value, dst_row: usize, src: &Value, src_row: usize) -> Result<()> {
    macro_rules! go {
        ($($v:ident),*) => {
            match (dst, src) {
                $((Value::$v(d), Value::$v(s)) => {
                    d.index_axis_mut(Axis(0), dst_row).assign(&s.index_axis(Axis(0), src_row));
                    Ok(())
                })*
                _ => Err(Error::op_invalid("dtype mismatch")),
            }
        };
    }
    go!(F32, F64, I8, I16, I32, I64, U8, Bool)
}

fn split_kernel(x: &Value, axis: i64, num: usize) -> Result<Outputs> {
    let a = normalize_axis(axis, x.shape().len()).map_err(|e| Error::op_invalid(e.to_string()))?;
    let size = x.shape()[a];
    if num == 0 || size % num != 0 {
        return Err(Error::op_invalid(format!(
            "Number of ways to split should evenly divide the split dimension, but got split_dim {a} (size = {size}) and num_split {num}"
        )));
    }
    let step = size / num;
    Ok((0..num)
        .map(|i| map_same!(x, v => v.slice_axis(Axis(a), Slice::from(i * step..(i + 1) * step)).to_owned().into_shared()))
        .collect())
}

fn unpack_kernel(x: &Value, axis: i64, num: usize) -> Result<Outputs> {
    let a = normalize_axis(axis, x.shape().len()).map_err(|e| Error::op_invalid(e.to_string()))?;
    if x.shape()[a] != num {
        return Err(Error::op_invalid(format!(
            "Input shape axis {a} must equal {num}, got shape {:?}",
            x.shape()
        )));
    }
    Ok((0..num).map(|i| map_same!(x, v => v.index_axis(Axis(a), i).to_owned().into_shared())).collect())
}

fn pack_kernel(values: &[Value], axis: i64) -> Result<Value> {
    let first = values.first().ok_or_else(|| Error::op_invalid("Pack needs inputs"))?;
    let a = normalize_axis(axis, first.shape().len() + 1).map_err(|e| Error::op_invalid(e.to_string()))?;
    let mut dims = first.shape().to_vec();
    dims.insert(a, 1);
    let expanded: Vec<Value> = values
        .iter()
        .map(|v| {
            if v.shape() != first.shape() {
                return Err(Error::op_invalid(format!(
                    "Shapes of all inputs must match: values[0].shape = {:?} != values[i].shape = {:?}",
                    first.shape(),
                    v.shape()
                )));
            }
            v.reshape(&dims)
        })
        .collect::<Result<_>>()?;
    concat_axis(&expanded, a)
}

fn concat_kernel(values: &[Value], axis: i64) -> Result<Value> {
    let first = values.first().ok_or_else(|| Error::op_invalid("ConcatV2 needs values"))?;
    let a = normalize_axis(axis, first.shape().len()).map_err(|e| Error::op_invalid(e.to_string()))?;
    concat_axis(values, a)
}

fn concat_axis(values: &[Value], a: usize) -> Result<Value> {
    macro_rules! go {
        ($($v:ident),*) => {
            match values.first() {
                $(Some(Value::$v(_)) => {
                    let views: Vec<_> = values.iter().map(|v| match v {
                        Value::$v(x) => Ok(x.view()),
                        other => Err(Error::op_invalid(format!("concat inputs mix dtypes ({})", other.dtype()))),
                    }).collect::<Result<_>>()?;
                    Value::$v(ndarray::concatenate(Axis(a), &views)
                        .map_err(|e| Error::op_invalid(format!("ConcatOp : Dimensions of inputs should match: {e}")))?
                        .into_shared())
                })*
                None => return Err(Error::op_invalid("concat of nothing")),
            }
        };
    }
    Ok(go!(F32, F64, I8, I16, I32, I64, U8, Bool))
}

fn select_kernel(c: &Value, t: &Value, e: &Value) -> Result<Value> {
    let Value::Bool(cond) = c else { return Err(Error::op_invalid("Select condition must be bool")) };
    if t.shape() != e.shape() {
        return Err(Error::op_invalid(format!("'then' and 'else' must have the same size.  but received: {:?} vs. {:?}", t.shape(), e.shape())));
    }
    let cond_b: Arr<bool> = if cond.shape() == t.shape() || cond.ndim() == 0 {
        cond.clone()
    } else if cond.ndim() == 1 && t.shape().first() == Some(&cond.len()) {
        let mut dims = vec![1usize; t.shape().len()];
        dims[0] = cond.len();
        reshape_arr(cond, &dims)
    } else {
        return Err(Error::op_invalid(format!(
            "'cond' and 'then' must have compatible shapes, got {:?} and {:?}",
            cond.shape(),
            t.shape()
        )));
    };
    select_v2_kernel(&Value::Bool(cond_b), t, e)
}

fn select_v2_kernel(c: &Value, t: &Value, e: &Value) -> Result<Value> {
    let Value::Bool(cond) = c else { return Err(Error::op_invalid("Select condition must be bool")) };
    let dims = broadcast_dims(t.shape(), e.shape())
        .and_then(|d| broadcast_dims(cond.shape(), &d))
        .ok_or_else(|| Error::op_invalid(format!("Incompatible shapes: {:?} vs. {:?} vs. {:?}", cond.shape(), t.shape(), e.shape())))?;
    let Some(cb) = cond.broadcast(IxDyn(&dims)) else { return Err(Error::op_invalid("select broadcast failed")) };
    macro_rules! go {
        ($($v:ident),*) => {
            match (t, e) {
                $((Value::$v(a), Value::$v(b)) => {
                    let (Some(av), Some(bv)) = (a.broadcast(IxDyn(&dims)), b.broadcast(IxDyn(&dims))) else {
                        return Err(Error::op_invalid("select broadcast failed"));
                    };
                    Value::$v(ndarray::Zip::from(&cb).and(&av).and(&bv).map_collect(|&c, &x, &y| if c { x } else { y }).into_shared())
                })*
                _ => return Err(Error::op_invalid("Select branches must share a dtype")),
            }
        };
    }
    Ok(go!(F32, F64, I8, I16, I32, I64, U8, Bool))
}

// ===== builders =====

pub fn identity(g: &Graph, x: Tensor) -> Result<Tensor> {
    g.add1(OpKind::Identity, &[x], Some("Identity"))
}

pub fn stop_gradient(g: &Graph, x: Tensor) -> Result<Tensor> {
    g.add1(OpKind::StopGradient, &[x], Some("StopGradient"))
}

pub fn cast(g: &Graph, x: Tensor, to: DType) -> Result<Tensor> {
    if g.dtype(x)? == to {
        return Ok(x);
    }
    g.add1(OpKind::Cast { to, truncate: false }, &[x], Some("Cast"))
}

pub fn select(g: &Graph, c: Tensor, t: Tensor, e: Tensor) -> Result<Tensor> {
    g.add1(OpKind::Select, &[c, t, e], Some("Select"))
}

pub fn select_v2(g: &Graph, c: Tensor, t: Tensor, e: Tensor) -> Result<Tensor> {
    g.add1(OpKind::SelectV2, &[c, t, e], Some("SelectV2"))
}

/// `Reshape(x, shape)` with the shape as a `Const` named `Reshape/shape`.
pub fn reshape(g: &Graph, x: Tensor, shape: &[i64]) -> Result<Tensor> {
    let shape = Input::Const("shape", Value::int_vector(DType::I32, shape));
    Ok(g.add_with_consts(OpKind::Reshape, &[x.into(), shape], None)?.output(0))
}

pub fn reshape_t(g: &Graph, x: Tensor, shape: Tensor) -> Result<Tensor> {
    g.add1(OpKind::Reshape, &[x, shape], Some("Reshape"))
}

pub fn transpose(g: &Graph, x: Tensor, perm: Tensor) -> Result<Tensor> {
    g.add1(OpKind::Transpose, &[x, perm], Some("transpose"))
}

pub fn invert_permutation(g: &Graph, perm: Tensor) -> Result<Tensor> {
    g.add1(OpKind::InvertPermutation, &[perm], Some("InvertPermutation"))
}

pub fn expand_dims(g: &Graph, x: Tensor, axis: i64) -> Result<Tensor> {
    let dim = Input::Const("dim", Value::scalar(axis as i32));
    Ok(g.add_with_consts(OpKind::ExpandDims, &[x.into(), dim], None)?.output(0))
}

pub fn squeeze(g: &Graph, x: Tensor, axes: &[i64]) -> Result<Tensor> {
    g.add1(OpKind::Squeeze { dims: axes.to_vec() }, &[x], Some("Squeeze"))
}

/// `shape(x)`: a `Const` when the static shape is fully known (TF's `optimize=True`).
pub fn shape_of(g: &Graph, x: Tensor, out_type: DType, name: Option<&str>) -> Result<Tensor> {
    let name = name.unwrap_or("Shape");
    if let Some(dims) = g.shape(x)?.to_vec() {
        let v: Vec<i64> = dims.iter().map(|&d| d as i64).collect();
        return source::const_value(g, Value::int_vector(out_type, &v), Some(name));
    }
    g.add1(OpKind::Shape { out_type }, &[x], Some(name))
}

/// A `Shape` op whatever is known statically.
pub fn shape_dynamic(g: &Graph, x: Tensor) -> Result<Tensor> {
    g.add1(OpKind::Shape { out_type: DType::I32 }, &[x], Some("Shape"))
}

pub fn size(g: &Graph, x: Tensor, out_type: DType) -> Result<Tensor> {
    g.add1(OpKind::Size { out_type }, &[x], Some("Size"))
}

pub fn rank(g: &Graph, x: Tensor) -> Result<Tensor> {
    g.add1(OpKind::Rank, &[x], Some("Rank"))
}

pub fn fill(g: &Graph, dims: Tensor, value: Tensor) -> Result<Tensor> {
    g.add1(OpKind::Fill, &[dims, value], Some("Fill"))
}

/// `Fill` named exactly `name` within the current scope (the op takes a scope's name).
pub fn fill_named(g: &Graph, dims: Tensor, value: Tensor, name: &str) -> Result<Tensor> {
    let full = format!("{}{}/", g.name_scope(), name);
    g.add1(OpKind::Fill, &[dims, value], Some(&full_exact(g, &full)))
}

/// Turns a full scope path into a name `add_op` takes exactly (relative to the root).
fn full_exact(g: &Graph, full: &str) -> String {
    // add_op prefixes nothing for names ending in '/', so pass the full path.
    let _ = g;
    full.to_string()
}

pub fn tile(g: &Graph, x: Tensor, multiples: Tensor) -> Result<Tensor> {
    g.add1(OpKind::Tile, &[x, multiples], Some("Tile"))
}

pub fn broadcast_to(g: &Graph, x: Tensor, shape: Tensor) -> Result<Tensor> {
    g.add1(OpKind::BroadcastTo, &[x, shape], Some("BroadcastTo"))
}

pub fn broadcast_gradient_args(g: &Graph, s0: Tensor, s1: Tensor) -> Result<(Tensor, Tensor)> {
    let op = g.add_op(OpSpec { op: OpKind::BroadcastGradientArgs, inputs: &[s0, s1], name: Some("BroadcastGradientArgs") })?;
    Ok((op.output(0), op.output(1)))
}

pub fn range(g: &Graph, start: Tensor, limit: Tensor, delta: Tensor) -> Result<Tensor> {
    g.add1(OpKind::Range, &[start, limit, delta], Some("range"))
}

pub fn dynamic_stitch(g: &Graph, indices: &[Tensor], data: &[Tensor]) -> Result<Tensor> {
    if indices.len() != data.len() {
        return Err(Error::invalid("DynamicStitch needs as many index tensors as data tensors"));
    }
    let inputs: Vec<Tensor> = indices.iter().chain(data).copied().collect();
    g.add1(OpKind::DynamicStitch { n: indices.len() }, &inputs, Some("DynamicStitch"))
}

pub fn split(g: &Graph, x: Tensor, num: usize, axis: i64) -> Result<Vec<Tensor>> {
    let a = source::const_value(g, Value::scalar(axis as i32), Some("split/split_dim"))?;
    let op = g.add_op(OpSpec { op: OpKind::Split { num }, inputs: &[a, x], name: Some("split") })?;
    Ok((0..num as u32).map(|i| op.output(i)).collect())
}

pub fn unstack(g: &Graph, x: Tensor, num: usize, axis: i64) -> Result<Vec<Tensor>> {
    let op = g.add_op(OpSpec { op: OpKind::Unpack { num, axis }, inputs: &[x], name: Some("unstack") })?;
    Ok((0..num as u32).map(|i| op.output(i)).collect())
}

pub fn stack(g: &Graph, xs: &[Tensor], axis: i64) -> Result<Tensor> {
    g.add1(OpKind::Pack { axis }, xs, Some("stack"))
}

pub fn concat(g: &Graph, xs: &[Tensor], axis: i64) -> Result<Tensor> {
    let a = source::const_value(g, Value::scalar(axis as i32), Some("concat/axis"))?;
    let mut inputs = xs.to_vec();
    inputs.push(a);
    g.add1(OpKind::ConcatV2, &inputs, Some("concat"))
}

/// TF's `zeros_like`: a `Const` for small static shapes, `Fill` for large static ones,
/// else a `ZerosLike` op; always named `zeros_like`.
pub fn zeros_like(g: &Graph, x: Tensor) -> Result<Tensor> {
    let meta = g.meta(x)?;
    match meta.shape.to_vec() {
        Some(dims) if dims.iter().product::<usize>() < 1000 => {
            source::const_value(g, Value::zeros(meta.dtype, &dims), Some("zeros_like"))
        }
        Some(dims) => {
            let (scope, previous) = g.enter_name_scope(Some("zeros_like"));
            let r = (|| {
                let v: Vec<i64> = dims.iter().map(|&d| d as i64).collect();
                let shape = source::const_value(g, Value::int_vector(DType::I32, &v), Some("shape_as_tensor"))?;
                let zero = source::scalar_const(g, meta.dtype, 0.0, None, None)?;
                g.add1(OpKind::Fill, &[shape, zero], Some(&scope))
            })();
            g.set_name_scope(&previous);
            r
        }
        None => g.add1(OpKind::Unary(super::UnaryOp::ZerosLike), &[x], Some("zeros_like")),
    }
}

/// TF's `ones_like`: `Fill(shape(x), 1)` named `ones_like`.
pub fn ones_like(g: &Graph, x: Tensor) -> Result<Tensor> {
    let meta = g.meta(x)?;
    let (scope, previous) = g.enter_name_scope(Some("ones_like"));
    let r = (|| {
        let shape = shape_of(g, x, DType::I32, None)?;
        let one = source::scalar_const(g, meta.dtype, 1.0, None, None)?;
        let t = g.add1(OpKind::Fill, &[shape, one], Some(&scope))?;
        g.set_shape(t, &meta.shape)?;
        Ok(t)
    })();
    g.set_name_scope(&previous);
    r
}

/// Densifies sparse rows into a tensor of `dense_shape` (TF's `UnsortedSegmentSum`).
pub fn unsorted_segment_sum_dense(g: &Graph, values: Tensor, indices: Tensor, dense_shape: Tensor) -> Result<Tensor> {
    let _ = (g, values, indices, dense_shape);
    Err(Error::unimplemented("Converting IndexedSlices to a dense tensor needs UnsortedSegmentSum, which arrives with the sparse-gradient ops"))
}

/// Several IndexedSlices of one tensor, concatenated (duplicates are kept, as in TF).
pub fn concat_slices(g: &Graph, slices: &[IndexedSlices]) -> Result<IndexedSlices> {
    let first = slices.first().ok_or_else(|| Error::invalid("no slices to aggregate"))?;
    let mut index_types: Vec<DType> = slices.iter().map(|s| g.dtype(s.indices)).collect::<Result<_>>()?;
    index_types.dedup();
    let indices: Vec<Tensor> = if index_types.len() > 1 {
        slices.iter().map(|s| cast(g, s.indices, DType::I64)).collect::<Result<_>>()?
    } else {
        slices.iter().map(|s| s.indices).collect()
    };
    let values: Vec<Tensor> = slices.iter().map(|s| s.values).collect();
    Ok(IndexedSlices { values: concat(g, &values, 0)?, indices: concat(g, &indices, 0)?, dense_shape: first.dense_shape })
}

// ===== gradients =====

type GradOut = Result<Vec<Option<Grad>>>;

fn identity_grad(_ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    Ok(vec![grads.first().copied().flatten()])
}

fn identity_n_grad(_ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    Ok(grads.to_vec())
}

fn cast_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let src = g.dtype(ctx.input(0)?)?;
    let dst = g.dtype(ctx.output(0))?;
    if !(src.is_floating() && dst.is_floating()) {
        return Ok(vec![None]);
    }
    Ok(vec![Some(Grad::Dense(cast(g, ctx.grad(grads, 0)?, src)?))])
}

fn select_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let (c, x) = (ctx.input(0)?, ctx.input(1)?);
    let grad = ctx.grad(grads, 0)?;
    let zeros = zeros_like(g, x)?;
    Ok(vec![None, Some(select(g, c, grad, zeros)?.into()), Some(select(g, c, zeros, grad)?.into())])
}

/// Sums `t` (shaped like `out`) back to `input`'s shape.
fn reduce_like(g: &Graph, t: Tensor, input: Tensor, out: Tensor) -> Result<Tensor> {
    let (si, so) = (g.shape(input)?, g.shape(out)?);
    if si.is_fully_defined() && si == so {
        return Ok(t);
    }
    let shape_in = shape_dynamic(g, input)?;
    let shape_out = shape_dynamic(g, out)?;
    let (axes, _) = broadcast_gradient_args(g, shape_in, shape_out)?;
    let summed = reduce::sum_t(g, t, axes, true)?;
    reshape_t(g, summed, shape_in)
}

fn select_v2_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let (c, x, y) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
    let z = ctx.output(0);
    let grad = ctx.grad(grads, 0)?;
    let zero = source::scalar_const(g, g.dtype(grad)?, 0.0, Some("zeros"), None)?;
    let gx = reduce_like(g, select_v2(g, c, grad, zero)?, x, z)?;
    let gy = reduce_like(g, select_v2(g, c, zero, grad)?, y, z)?;
    Ok(vec![None, Some(gx.into()), Some(gy.into())])
}

/// The shape to reshape a gradient back to `x`: a `Const` when known (one unknown dim
/// becomes -1), else `Shape(x)`.
fn shape_for_reshape(g: &Graph, x: Tensor) -> Result<Tensor> {
    let s = g.shape(x)?;
    if let Some(dims) = s.dims() {
        if dims.iter().filter(|d| d.is_none()).count() <= 1 {
            let v: Vec<i64> = dims.iter().map(|d| d.map_or(-1, |d| d as i64)).collect();
            return source::const_ints(g, &v);
        }
    }
    shape_dynamic(g, x)
}

fn reshape_like_input_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let x = ctx.input(0)?;
    let grad = ctx.grad(grads, 0)?;
    let shape = shape_for_reshape(g, x)?;
    let mut out = vec![Some(Grad::Dense(reshape_t(g, grad, shape)?))];
    out.resize(ctx.inputs.len(), None);
    Ok(out)
}

fn transpose_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let inv = invert_permutation(g, ctx.input(1)?)?;
    Ok(vec![Some(transpose(g, ctx.grad(grads, 0)?, inv)?.into()), None])
}

/// Sum over every axis of `t`.
fn sum_all(g: &Graph, t: Tensor) -> Result<Tensor> {
    match g.shape(t)?.rank() {
        Some(r) => reduce::sum(g, t, &(0..r as i64).collect::<Vec<_>>(), false),
        None => {
            let zero = source::const_value(g, Value::scalar(0i32), None)?;
            let one = source::const_value(g, Value::scalar(1i32), None)?;
            let axes = range(g, zero, rank(g, t)?, one)?;
            reduce::sum_t(g, t, axes, false)
        }
    }
}

fn fill_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    Ok(vec![None, Some(sum_all(ctx.graph, ctx.grad(grads, 0)?)?.into())])
}

fn tile_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let (x, multiples) = (ctx.input(0)?, ctx.input(1)?);
    let grad = ctx.grad(grads, 0)?;
    let x_dims = g.shape(x)?.to_vec();
    let mult = g.read().constant_value(multiples).and_then(|v| v.to_i64_vec().ok());
    let summed = match (x_dims, mult) {
        (Some(d), Some(m)) => {
            let split: Vec<i64> = m.iter().zip(&d).flat_map(|(&m, &d)| [m, d as i64]).collect();
            let axes: Vec<i64> = (0..d.len() as i64).map(|i| 2 * i).collect();
            reduce::sum(g, reshape(g, grad, &split)?, &axes, false)?
        }
        _ => {
            let shape = shape_dynamic(g, x)?;
            let shape = cast(g, shape, g.dtype(multiples)?)?;
            let pairs = stack(g, &[multiples, shape], 0)?;
            let perm = source::const_ints(g, &[1, 0])?;
            let split = reshape_t(g, transpose(g, pairs, perm)?, source::const_ints(g, &[-1])?)?;
            let zero = source::const_value(g, Value::scalar(0i32), None)?;
            let two = source::const_value(g, Value::scalar(2i32), None)?;
            let axes = range(g, zero, size(g, split, DType::I32)?, two)?;
            let reshaped = reshape_t(g, grad, split)?;
            reduce::sum_t(g, reshaped, axes, false)?
        }
    };
    Ok(vec![Some(summed.into()), None])
}

fn broadcast_to_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let x = ctx.input(0)?;
    let grad = ctx.grad(grads, 0)?;
    let out = ctx.output(0);
    Ok(vec![Some(reduce_like(g, grad, x, out)?.into()), None])
}

fn split_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let parts: Vec<Tensor> = (0..grads.len()).map(|i| ctx.grad(grads, i)).collect::<Result<_>>()?;
    let mut inputs = parts;
    inputs.push(ctx.input(0)?);
    Ok(vec![None, Some(g.add1(OpKind::ConcatV2, &inputs, Some("concat"))?.into())])
}

fn unpack_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let OpKind::Unpack { axis, .. } = ctx.kind else { return Err(Error::internal("Unpack grad on another op")) };
    let parts: Vec<Tensor> = (0..grads.len()).map(|i| ctx.grad(grads, i)).collect::<Result<_>>()?;
    Ok(vec![Some(ctx.graph.add1(OpKind::Pack { axis }, &parts, Some("stack"))?.into())])
}

fn pack_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let OpKind::Pack { axis } = ctx.kind else { return Err(Error::internal("Pack grad on another op")) };
    let n = ctx.inputs.len();
    let parts = unstack(ctx.graph, ctx.grad(grads, 0)?, n, axis)?;
    Ok(parts.into_iter().map(|t| Some(Grad::Dense(t))).collect())
}

pub(crate) fn register_gradients(r: &mut GradRegistry) {
    r.builtin("Identity", identity_grad);
    r.builtin("IdentityN", identity_n_grad);
    r.not_differentiable("StopGradient");
    r.builtin("Cast", cast_grad);
    r.builtin("Select", select_grad);
    r.builtin("SelectV2", select_v2_grad);
    r.builtin("Reshape", reshape_like_input_grad);
    r.builtin("ExpandDims", reshape_like_input_grad);
    r.builtin("Squeeze", reshape_like_input_grad);
    r.builtin("Transpose", transpose_grad);
    r.builtin("Fill", fill_grad);
    r.builtin("Tile", tile_grad);
    r.builtin("BroadcastTo", broadcast_to_grad);
    r.builtin("Split", split_grad);
    r.builtin("Unpack", unpack_grad);
    r.builtin("Pack", pack_grad);
    for t in ["Shape", "Size", "Rank", "Range", "InvertPermutation", "BroadcastGradientArgs"] {
        r.not_differentiable(t);
    }
}

