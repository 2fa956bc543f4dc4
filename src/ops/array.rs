//! Shape and data-movement ops: identity, cast, select, reshape, transpose, expand/squeeze,
//! shape queries, fill/tile/broadcast, split/unpack/pack/concat, and the integer helpers
//! gradients use (`BroadcastGradientArgs`, `Range`, `DynamicStitch`, `InvertPermutation`).

use super::{binary, one, reduce, source, BinaryOp, InferCtx, OpKind, Outputs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx, IndexedSlices};
use crate::graph::{Graph, Input, Metas, OpSpec, Tensor, TensorMeta};
use crate::map_same;
use crate::shape::{
    broadcast_dims, broadcast_static, checked_num_elements, normalize_axis, Dim, Dims, Shape,
};
use crate::value::{reshape_arr, Arr, Value};
use ndarray::{ArcArray, Axis, IxDyn, Slice};
use smallvec::smallvec;

// ===== shape rules =====

pub fn infer(op: &OpKind, ctx: &InferCtx<'_>) -> Result<Metas> {
    match op {
        OpKind::Identity | OpKind::StopGradient => {
            ctx.expect_inputs(1)?;
            Ok(smallvec![ctx.input(0)?.clone()])
        }
        OpKind::IdentityN => (0..ctx.num_inputs())
            .map(|i| ctx.input(i).cloned())
            .collect(),
        OpKind::EnsureShape { shape } => {
            ctx.expect_inputs(1)?;
            let x = ctx.input(0)?;
            one(x.dtype, ensured_shape(ctx, shape, &x.shape)?)
        }
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
                .map_err(|(a, b)| {
                    ctx.err(format!("Dimensions must be equal, but are {a} and {b}"))
                })?;
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
                return Err(ctx.err(format!(
                    "Shape must be rank 0 but is rank {}",
                    ctx.shape(1)?.rank().unwrap_or(0)
                )));
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
            Ok(smallvec![
                TensorMeta::new(dtype, v.clone()),
                TensorMeta::new(dtype, v)
            ])
        }
        OpKind::Range => {
            ctx.expect_inputs(3)?;
            let dtype = ctx.dtype(0)?;
            for i in 1..3 {
                if ctx.dtype(i)? != dtype {
                    return Err(Error::type_error(
                        "Range expects start, limit and delta of one dtype",
                    ));
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
                        // A negative or unrepresentable index is the kernel's error to report.
                        if let Some(m) = v.iter().copied().max() {
                            let end = usize::try_from(m).ok().and_then(|m| m.checked_add(1));
                            first = Some(first.unwrap_or(0).max(end.unwrap_or(0)));
                        }
                    }
                    None => known = false,
                }
            }
            let first = if known {
                Some(first.unwrap_or(0))
            } else {
                None
            };
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
        OpKind::Slice => infer_slice(ctx),
        OpKind::Pad => infer_pad(ctx, false),
        OpKind::PadV2 => infer_pad(ctx, true),
        OpKind::ConcatOffset => infer_concat_offset(ctx),
        OpKind::SplitV { num } => infer_split_v(ctx, *num),
        OpKind::ShapeN { out_type } => infer_shape_n(ctx, *out_type),
        _ => Err(Error::internal(format!(
            "array::infer called for {}",
            op.type_name()
        ))),
    }
}

fn expect_dtype(ctx: &InferCtx<'_>, i: usize, want: DType, name: &str) -> Result<()> {
    let got = ctx.dtype(i)?;
    if got != want {
        return Err(Error::type_error(format!(
            "Input '{name}' expects dtype {want}, got {got}"
        )));
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

/// The static shape a 1-D shape tensor describes, as far as shape inference knows it (see
/// `partial_ints`).
fn shape_from_input(ctx: &InferCtx<'_>, i: usize) -> Result<Shape> {
    if let Some(v) = partial_ints(ctx, i) {
        return Ok(Shape(Some(
            v.iter()
                .map(|d| d.filter(|&d| d >= 0).map(|d| d as usize))
                .collect(),
        )));
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
        ctx.err(format!(
            "Shapes must be equal rank, but are {} and {}",
            ctx.shape(1).map(|s| s.to_string()).unwrap_or_default(),
            ctx.shape(2).map(|s| s.to_string()).unwrap_or_default()
        ))
    })?;
    let c = ctx.shape(0)?;
    let ok = match (c.rank(), t.rank()) {
        (Some(0), _) | (None, _) | (_, None) => true,
        (Some(1), Some(r)) if r >= 1 => {
            c.is_compatible_with(&Shape::from_dims(&[t.dim(0)])) || c.is_compatible_with(&t)
        }
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
    let target = match partial_ints(ctx, 1) {
        Some(v) => {
            let mut dims = Dims::with_capacity(v.len());
            for d in v {
                dims.push(match d {
                    Some(-1) | None => None,
                    Some(d) if d < 0 => {
                        return Err(ctx.err(format!("Invalid value in tensor used for shape: {d}")))
                    }
                    Some(d) => Some(d as usize),
                });
            }
            dims
        }
        None => return one(dtype, shape_from_input(ctx, 1)?),
    };
    let dims = match ctx.shape(0)?.dims() {
        Some(input) => reshape_dims(ctx, input, target)?,
        None => target,
    };
    one(dtype, Shape(Some(dims)))
}

/// TF's `SetOutputShapeForReshape` once both ranks are known: with at most one unknown
/// dimension on each side, the element counts either must match or give the output's
/// unknown dimension (a `-1`, or a size not known while building).
fn reshape_dims(ctx: &InferCtx<'_>, input: &[Dim], mut out: Dims) -> Result<Dims> {
    // The product of the known dims, and where the one unknown dim is; `None` past one.
    let count = |dims: &[Dim]| -> Result<Option<(usize, Option<usize>)>> {
        let (mut known, mut unknown) = (1usize, None);
        for (i, d) in dims.iter().enumerate() {
            match d {
                Some(d) => {
                    known = checked_num_elements(&[known, *d]).map_err(|_| {
                        ctx.err(format!(
                            "Negative dimension size caused by overflow when multiplying {known} and {d}"
                        ))
                    })?;
                }
                None if unknown.is_some() => return Ok(None),
                None => unknown = Some(i),
            }
        }
        Ok(Some((known, unknown)))
    };
    let (Some((known_in, in_unknown)), Some((known_out, out_unknown))) =
        (count(input)?, count(&out)?)
    else {
        return Ok(out);
    };
    let not_divisible = |by: usize, size: usize| {
        ctx.err(format!(
            "Dimension size must be evenly divisible by {by} but is {size}"
        ))
    };
    // Every dim of the input known: the counts must agree unless one output dim is open
    // to a non-empty remainder.
    if in_unknown.is_none() && known_in != known_out && (out_unknown.is_none() || known_out == 0) {
        let target = Shape(Some(out.clone())).bracketed();
        return Err(ctx.err(format!(
            "Cannot reshape a tensor with {known_in} elements to shape {target} \
             ({known_out} elements)"
        )));
    }
    match (in_unknown, out_unknown) {
        (None, Some(u)) if known_out != 0 => {
            if known_in % known_out != 0 {
                return Err(not_divisible(known_out, known_in));
            }
            if let Some(d) = out.get_mut(u) {
                *d = Some(known_in / known_out);
            }
        }
        (Some(_), None) if known_in != 0 && known_out % known_in != 0 => {
            return Err(not_divisible(known_in, known_out));
        }
        _ => {}
    }
    Ok(out)
}

/// `EnsureShape`'s static shape: the input's merged with the expected one, or TF's message
/// for a rank or a dimension that cannot match.
fn ensured_shape(ctx: &InferCtx<'_>, expected: &Shape, input: &Shape) -> Result<Shape> {
    let (Some(want), Some(have)) = (expected.dims(), input.dims()) else {
        // An unknown rank on either side merges without conflict.
        return input.merge(expected);
    };
    if want.len() != have.len() {
        return Err(ctx.err(format!(
            "Shape must be rank {} but is rank {}",
            want.len(),
            have.len()
        )));
    }
    for (i, (w, h)) in want.iter().zip(have).enumerate() {
        if let (Some(w), Some(h)) = (w, h) {
            if w != h {
                return Err(ctx.err(format!(
                    "Dimension {i} in both shapes must be equal, but are {w} and {h}. Shapes are {} and {}.",
                    expected.bracketed(),
                    input.bracketed()
                )));
            }
        }
    }
    input.merge(expected)
}

/// The `Transpose` kernel: `x`'s axes in the order `perm` gives.
pub(crate) fn transpose_value(x: &Value, perm: &Value) -> Result<Value> {
    let perm = perm.to_i64_vec()?;
    if perm.len() != x.shape().len() {
        return Err(Error::op_invalid(format!(
            "transpose expects a vector of size {}. But input(1) is a vector of size {}",
            x.shape().len(),
            perm.len()
        )));
    }
    check_permutation(&perm).map_err(Error::op_invalid)?;
    let perm: Vec<usize> = perm.iter().map(|&p| p as usize).collect();
    Ok(map_same!(x, a => a.clone().permuted_axes(IxDyn(&perm))))
}

pub(crate) fn infer_transpose(ctx: &InferCtx<'_>) -> Result<Metas> {
    ctx.expect_inputs(2)?;
    int_input(ctx, 1, "perm")?;
    let x = ctx.shape(0)?;
    let dtype = ctx.dtype(0)?;
    let Some(perm) = ctx.const_ints(1) else {
        let rank = x
            .rank()
            .or_else(|| ctx.shape(1).ok().and_then(|s| s.dim(0)));
        return one(dtype, rank.map_or(Shape::unknown(), Shape::unknown_dims));
    };
    check_permutation(&perm).map_err(|m| ctx.err(m))?;
    match x.dims() {
        Some(d) => {
            if d.len() != perm.len() {
                return Err(ctx.err(format!(
                    "Dimension must be {} but is {}",
                    d.len(),
                    perm.len()
                )));
            }
            one(
                dtype,
                Shape(Some(perm.iter().map(|&p| d[p as usize]).collect())),
            )
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
    let Some(dims) = ctx.shape(0)?.dims() else {
        return one(dtype, Shape::unknown());
    };
    let Some(axis) = ctx.const_ints(1) else {
        return one(dtype, Shape::unknown_dims(dims.len() + 1));
    };
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
    let Some(dims) = ctx.shape(0)?.dims() else {
        return one(dtype, Shape::unknown());
    };
    let rank = dims.len();
    let axes: Vec<usize> = squeeze
        .iter()
        .map(|&a| normalize_axis(a, rank))
        .collect::<Result<_>>()
        .map_err(|e| ctx.err(e))?;
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
                    return Err(ctx.err(format!(
                        "Can not squeeze dim[{i}], expected a dimension of 1, got {k}"
                    )))
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
    let Some(rank) = rank else {
        return one(dtype, Shape::unknown());
    };
    if let Some(m) = &mult {
        if m.len() != rank {
            return Err(ctx.err(format!(
                "Shape must be rank {rank} but multiples has length {}",
                m.len()
            )));
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
            let [axis] = axis.as_slice() else {
                return Err(ctx.err("split_dim must be a scalar"));
            };
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
    Ok((0..num)
        .map(|_| TensorMeta::new(dtype, shape.clone()))
        .collect())
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
    Ok((0..num)
        .map(|_| TensorMeta::new(dtype, shape.clone()))
        .collect())
}

fn infer_pack(ctx: &InferCtx<'_>, axis: i64) -> Result<Metas> {
    if ctx.num_inputs() == 0 {
        return Err(ctx.err("Pack expects at least one input"));
    }
    let dtype = ctx.dtype(0)?;
    let mut shape = ctx.shape(0)?.clone();
    for i in 1..ctx.num_inputs() {
        if ctx.dtype(i)? != dtype {
            return Err(Error::type_error(
                "Tensors passed to stack must share one dtype",
            ));
        }
        shape = shape.merge(ctx.shape(i)?).map_err(|_| {
            ctx.err(format!(
                "Shapes of all inputs must match: values[0].shape = {} != values[{i}].shape",
                ctx.shape(0).map(|s| s.to_string()).unwrap_or_default()
            ))
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
            return Err(Error::type_error(
                "Tensors passed to concat must share one dtype",
            ));
        }
    }
    let rank = (0..n - 1).find_map(|i| ctx.shape(i).ok().and_then(|s| s.rank()));
    let Some(rank) = rank else {
        return one(dtype, Shape::unknown());
    };
    let Some(axis) = ctx.const_ints(n - 1) else {
        return one(dtype, Shape::unknown_dims(rank));
    };
    let [axis] = axis.as_slice() else {
        return Err(ctx.err("axis must be a scalar"));
    };
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
                        return Err(ctx.err(format!(
                            "Dimension {j} in both shapes must be equal, but are {a} and {b}"
                        )))
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

// ----- slice, pad, concat offsets, split by sizes -----

/// The elements of a 1-D integer input as far as shape inference knows them (see
/// `fold::partial_shape`).
fn partial_ints(ctx: &InferCtx<'_>, i: usize) -> Option<Vec<Option<i64>>> {
    super::fold::partial_shape(ctx.graph, *ctx.inputs.get(i)?)
}

/// The rank an op's input must have, from its static shape and the length of an index
/// vector (TF's `WithRank`).
fn rank_from(ctx: &InferCtx<'_>, x: &Shape, n: Option<usize>) -> Result<Option<usize>> {
    Ok(match (x.rank(), n) {
        (Some(r), Some(n)) if r != n => {
            return Err(ctx.err(format!("Shape must be rank {n} but is rank {r}")))
        }
        (Some(r), _) => Some(r),
        (None, n) => n,
    })
}

fn expect_rank(ctx: &InferCtx<'_>, i: usize, want: usize) -> Result<()> {
    match ctx.shape(i)?.rank() {
        Some(r) if r != want => Err(ctx.err(format!("Shape must be rank {want} but is rank {r}"))),
        _ => Ok(()),
    }
}

fn infer_slice(ctx: &InferCtx<'_>) -> Result<Metas> {
    ctx.expect_inputs(3)?;
    int_input(ctx, 1, "begin")?;
    int_input(ctx, 2, "size")?;
    ctx.same_dtype("Slice", 1, 2, ("begin", "size"))?;
    expect_rank(ctx, 1, 1)?;
    expect_rank(ctx, 2, 1)?;
    let dtype = ctx.dtype(0)?;
    let (nb, ns) = (ctx.shape(1)?.dim(0), ctx.shape(2)?.dim(0));
    if let (Some(a), Some(b)) = (nb, ns) {
        if a != b {
            return Err(ctx.err(format!(
                "Dimension 0 in both shapes must be equal, but are {a} and {b}. Shapes are [{a}] and [{b}]."
            )));
        }
    }
    let x = ctx.shape(0)?.clone();
    let Some(rank) = rank_from(ctx, &x, nb.or(ns))? else {
        return one(dtype, Shape::unknown());
    };
    let begin = partial_ints(ctx, 1);
    let size = partial_ints(ctx, 2);
    let mut dims = Dims::new();
    for i in 0..rank {
        let b = begin.as_ref().and_then(|v| v.get(i).copied().flatten());
        let s = size.as_ref().and_then(|v| v.get(i).copied().flatten());
        dims.push(match s {
            Some(-1) => match (x.dim(i), b) {
                (Some(d), Some(b)) if b >= 0 && b as usize <= d => Some(d - b as usize),
                _ => None,
            },
            Some(s) if s < -1 => {
                return Err(ctx.err(format!("Invalid value in tensor used for shape: {s}")))
            }
            Some(s) => Some(s as usize),
            None => None,
        });
    }
    one(dtype, Shape(Some(dims)))
}

fn infer_pad(ctx: &InferCtx<'_>, v2: bool) -> Result<Metas> {
    ctx.expect_inputs(if v2 { 3 } else { 2 })?;
    int_input(ctx, 1, "paddings")?;
    let dtype = ctx.dtype(0)?;
    if v2 {
        ctx.same_dtype("PadV2", 0, 2, ("input", "constant_values"))?;
    }
    expect_rank(ctx, 1, 2)?;
    let p = ctx.shape(1)?.clone();
    if let Some(c) = p.dim(1) {
        if c != 2 {
            return Err(ctx.err(format!("Dimension must be 2 but is {c}")));
        }
    }
    let x = ctx.shape(0)?.clone();
    let Some(rank) = rank_from(ctx, &x, p.dim(0))? else {
        return one(dtype, Shape::unknown());
    };
    let pads = ctx.const_ints(1);
    if let Some(p) = &pads {
        if p.iter().any(|&v| v < 0) {
            return Err(ctx.err("Paddings must be non-negative"));
        }
    }
    let dims: Dims = (0..rank)
        .map(|i| match (x.dim(i), &pads) {
            (Some(d), Some(p)) => Some(d + p[2 * i] as usize + p[2 * i + 1] as usize),
            _ => None,
        })
        .collect();
    one(dtype, Shape(Some(dims)))
}

fn infer_concat_offset(ctx: &InferCtx<'_>) -> Result<Metas> {
    let n = ctx.num_inputs();
    if n < 3 {
        return Err(ctx.err("ConcatOffset expects a concat_dim and at least two shapes"));
    }
    expect_dtype(ctx, 0, DType::I32, "concat_dim")?;
    expect_rank(ctx, 0, 0)?;
    int_input(ctx, 1, "shape")?;
    let dtype = ctx.dtype(1)?;
    (1..n)
        .map(|i| {
            if ctx.dtype(i)? != dtype {
                return Err(Error::type_error(
                    "Tensors passed to 'shape' of 'ConcatOffset' Op must share one dtype",
                ));
            }
            expect_rank(ctx, i, 1)?;
            Ok(TensorMeta::new(dtype, ctx.shape(i)?.clone()))
        })
        .collect()
}

fn infer_shape_n(ctx: &InferCtx<'_>, out_type: DType) -> Result<Metas> {
    if ctx.num_inputs() == 0 {
        return Err(ctx.err("ShapeN expects at least one input"));
    }
    let dtype = ctx.dtype(0)?;
    (0..ctx.num_inputs())
        .map(|i| {
            if ctx.dtype(i)? != dtype {
                return Err(Error::type_error(
                    "Tensors passed to 'input' of 'ShapeN' Op must share one dtype",
                ));
            }
            Ok(TensorMeta::new(
                out_type,
                Shape(Some(smallvec![ctx.shape(i)?.rank()])),
            ))
        })
        .collect()
}

fn infer_split_v(ctx: &InferCtx<'_>, num: usize) -> Result<Metas> {
    ctx.expect_inputs(3)?;
    int_input(ctx, 1, "size_splits")?;
    int_input(ctx, 2, "split_dim")?;
    if num == 0 {
        return Err(ctx.err("num_split must be >= 1"));
    }
    expect_rank(ctx, 1, 1)?;
    if let Some(n) = ctx.shape(1)?.dim(0) {
        if n != num {
            return Err(ctx.err(format!(
                "size of the split_tensor must be 1-D and have the same elements as outputs got 1 -D and {n} elements"
            )));
        }
    }
    let dtype = ctx.dtype(0)?;
    let x = ctx.shape(0)?.clone();
    let all = |s: Shape| -> Result<Metas> {
        Ok((0..num)
            .map(|_| TensorMeta::new(dtype, s.clone()))
            .collect())
    };
    let Some(dims) = x.dims().map(|d| d.to_vec()) else {
        return all(Shape::unknown());
    };
    let rank = dims.len();
    let Some(axis) = ctx.const_ints(2) else {
        return all(Shape::unknown_dims(rank));
    };
    let [axis] = axis.as_slice() else {
        return Err(ctx.err("split_dim must be a scalar"));
    };
    let r = rank as i64;
    if *axis < -r || *axis >= r {
        return Err(ctx.err(format!(
            "Dimension size, given by scalar input {axis} must be in range [{}, {r})",
            -r
        )));
    }
    let a = if *axis < 0 {
        (axis + r) as usize
    } else {
        *axis as usize
    };
    if num == 1 {
        return all(x);
    }
    let with_axis = |d: Option<usize>| {
        let mut out: Dims = dims.iter().copied().collect();
        out[a] = d;
        TensorMeta::new(dtype, Shape(Some(out)))
    };
    let Some(mut sizes) = partial_ints(ctx, 1) else {
        return Ok((0..num).map(|_| with_axis(None)).collect());
    };
    if sizes.iter().filter(|s| **s == Some(-1)).count() > 1 {
        return Err(ctx.err("size_splits can only have one -1"));
    }
    for (i, s) in sizes.iter().enumerate() {
        if let Some(v) = s {
            if *v < -1 {
                return Err(ctx.err(format!("Split size at index {i} must be >= 0. Got: {v}")));
            }
        }
    }
    if let (Some(d), true) = (dims[a], sizes.iter().all(Option::is_some)) {
        let d = d as i64;
        let known: i64 = sizes.iter().flatten().filter(|&&v| v != -1).sum();
        match sizes.iter().position(|s| *s == Some(-1)) {
            Some(u) => {
                if d - known < 0 {
                    return Err(ctx.err(format!(
                        "Split size at index {u} must be >= 0. Got: {}",
                        d - known
                    )));
                }
                sizes[u] = Some(d - known);
            }
            None if known != d => {
                let list: Vec<String> = sizes.iter().flatten().map(|v| v.to_string()).collect();
                return Err(ctx.err(format!(
                    "can't split axis of size {d} into pieces of size [{}]",
                    list.join(",")
                )));
            }
            None => {}
        }
    }
    Ok(sizes
        .iter()
        .map(|s| with_axis(s.filter(|&v| v >= 0).map(|v| v as usize)))
        .collect())
}

// ===== kernels =====

fn arg(inputs: &[Value], i: usize) -> Result<&Value> {
    inputs
        .get(i)
        .ok_or_else(|| Error::internal(format!("missing input {i}")))
}

pub fn compute(op: &OpKind, inputs: &[Value]) -> Result<Outputs> {
    Ok(match op {
        OpKind::Identity | OpKind::StopGradient => smallvec![arg(inputs, 0)?.clone()],
        OpKind::IdentityN => inputs.iter().cloned().collect(),
        OpKind::EnsureShape { shape } => {
            let x = arg(inputs, 0)?;
            let dims = Shape::known(x.shape());
            if dims.merge(shape).is_err() {
                return Err(Error::op_invalid(format!(
                    "Shape of tensor {} is not compatible with expected shape {}.",
                    dims.bracketed(),
                    shape.bracketed()
                )));
            }
            smallvec![x.clone()]
        }
        OpKind::Cast { to, .. } => smallvec![arg(inputs, 0)?.cast(*to)],
        OpKind::Select => smallvec![select_kernel(
            arg(inputs, 0)?,
            arg(inputs, 1)?,
            arg(inputs, 2)?
        )?],
        OpKind::SelectV2 => smallvec![select_v2_kernel(
            arg(inputs, 0)?,
            arg(inputs, 1)?,
            arg(inputs, 2)?
        )?],
        OpKind::Reshape => {
            let x = arg(inputs, 0)?;
            let dims = resolve_reshape(x.len(), &arg(inputs, 1)?.to_i64_vec()?)?;
            smallvec![x.reshape(&dims)?]
        }
        OpKind::Transpose => smallvec![transpose_value(arg(inputs, 0)?, arg(inputs, 1)?)?],
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
            let a = normalize_axis(axis, x.shape().len() + 1)
                .map_err(|e| Error::op_invalid(e.to_string()))?;
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
                return Err(Error::op_invalid(format!(
                    "value must be a scalar, got shape {:?}",
                    v.shape()
                )));
            }
            smallvec![broadcast_value(v, &dims)?]
        }
        OpKind::Tile => smallvec![tile_kernel(
            arg(inputs, 0)?,
            &arg(inputs, 1)?.to_i64_vec()?
        )?],
        OpKind::BroadcastTo => {
            let x = arg(inputs, 0)?;
            let dims = arg(inputs, 1)?.to_dims()?;
            smallvec![broadcast_value(x, &dims)?]
        }
        OpKind::BroadcastGradientArgs => {
            let (s0, s1) = (arg(inputs, 0)?, arg(inputs, 1)?);
            let (r0, r1) = broadcast_gradient_axes(&s0.to_i64_vec()?, &s1.to_i64_vec()?)?;
            smallvec![
                Value::int_vector(s0.dtype(), &r0),
                Value::int_vector(s0.dtype(), &r1)
            ]
        }
        OpKind::Range => smallvec![range_kernel(
            arg(inputs, 0)?,
            arg(inputs, 1)?,
            arg(inputs, 2)?
        )?],
        OpKind::DynamicStitch { n } => smallvec![dynamic_stitch_kernel(
            &inputs[..*n.min(&inputs.len())],
            inputs.get(*n..).unwrap_or(&[])
        )?],
        OpKind::Split { num } => {
            let axis = single_int(arg(inputs, 0)?, "split_dim")?;
            split_kernel(arg(inputs, 1)?, axis, *num)?
        }
        OpKind::Unpack { num, axis } => unpack_kernel(arg(inputs, 0)?, *axis, *num)?,
        OpKind::Pack { axis } => smallvec![pack_kernel(inputs, *axis)?],
        OpKind::ConcatV2 => {
            let (axis, values) = inputs
                .split_last()
                .ok_or_else(|| Error::internal("ConcatV2 without inputs"))?;
            smallvec![concat_kernel(values, single_int(axis, "axis")?)?]
        }
        OpKind::Slice => smallvec![slice_kernel(
            arg(inputs, 0)?,
            arg(inputs, 1)?,
            arg(inputs, 2)?
        )?],
        OpKind::Pad => smallvec![pad_kernel(arg(inputs, 0)?, arg(inputs, 1)?, None)?],
        OpKind::PadV2 => smallvec![pad_kernel(
            arg(inputs, 0)?,
            arg(inputs, 1)?,
            Some(arg(inputs, 2)?)
        )?],
        OpKind::ConcatOffset => concat_offset_kernel(inputs)?,
        OpKind::SplitV { num } => split_v_kernel(
            arg(inputs, 0)?,
            arg(inputs, 1)?,
            single_int(arg(inputs, 2)?, "split_dim")?,
            *num,
        )?,
        OpKind::ShapeN { out_type } => inputs
            .iter()
            .map(|v| {
                Value::int_vector(
                    *out_type,
                    &v.shape().iter().map(|&d| d as i64).collect::<Vec<_>>(),
                )
            })
            .collect(),
        _ => {
            return Err(Error::internal(format!(
                "array::compute called for {}",
                op.type_name()
            )))
        }
    })
}

fn single_int(v: &Value, what: &str) -> Result<i64> {
    match v.to_i64_vec()?.as_slice() {
        [x] => Ok(*x),
        _ => Err(Error::op_invalid(format!(
            "'{what}' must be a scalar, got shape {:?}",
            v.shape()
        ))),
    }
}

/// The sizes a reshape asks for, with its one `-1` resolved.
pub(crate) fn resolve_reshape(n: usize, req: &[i64]) -> Result<Vec<usize>> {
    let mut unknown = None;
    let mut known: usize = 1;
    for (i, &d) in req.iter().enumerate() {
        if d == -1 {
            if unknown.is_some() {
                return Err(Error::op_invalid(format!(
                    "Only one input size may be -1, not both {} and {i}",
                    unknown.unwrap_or(0)
                )));
            }
            unknown = Some(i);
        } else if d < 0 {
            return Err(Error::op_invalid(format!(
                "Size {i} must be non-negative, not {d}"
            )));
        } else {
            known = known
                .checked_mul(d as usize)
                .ok_or_else(|| Error::op_invalid("reshape size overflows"))?;
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
    Value::check_allocation(v.dtype(), dims)?;
    let out = broadcast_dims(v.shape(), dims);
    if out.as_deref() != Some(dims) {
        return Err(Error::op_invalid(format!(
            "Incompatible shapes for broadcasting: {:?} vs. {:?}",
            v.shape(),
            dims
        )));
    }
    Ok(
        map_same!(v, a => match (a.broadcast(IxDyn(dims)), a.first()) {
            // One element (the seed of a full reduction's gradient): a plain fill, far faster
            // than walking a zero-stride view.
            (Some(_), Some(x)) if a.len() == 1 => ArcArray::from_elem(IxDyn(dims), x.to_owned()),
            (Some(b), _) => b.to_owned().into_shared(),
            (None, _) => return Err(Error::op_invalid("broadcast failed")),
        }),
    )
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
        return Err(Error::op_invalid(format!(
            "Expected multiples to be non-negative, got {mult:?}"
        )));
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
        let a = if i + s0.len() >= rank {
            s0[i + s0.len() - rank]
        } else {
            1
        };
        let b = if i + s1.len() >= rank {
            s1[i + s1.len() - rank]
        } else {
            1
        };
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
            return Err(Error::op_invalid(format!(
                "Incompatible shapes: {s0:?} vs. {s1:?}"
            )));
        }
    }
    Ok((r0, r1))
}

pub(crate) fn range_len(start: &Value, limit: &Value, delta: &Value) -> Result<usize> {
    let (s, l, d) = (scalar_f64(start)?, scalar_f64(limit)?, scalar_f64(delta)?);
    if d == 0.0 {
        return Err(Error::op_invalid(format!("Requires delta != 0: {d}")));
    }
    if d > 0.0 && s > l {
        return Err(Error::op_invalid(format!(
            "Requires start <= limit when delta > 0: {s}/{l}"
        )));
    }
    if d < 0.0 && s < l {
        return Err(Error::op_invalid(format!(
            "Requires start >= limit when delta < 0: {s}/{l}"
        )));
    }
    // i128: the span of two extreme int64 bounds does not fit in i64.
    let n = if start.dtype().is_integer() {
        let (s, l, d) = (s as i64 as i128, l as i64 as i128, d as i64 as i128);
        ((l - s).abs() + d.abs() - 1) / d.abs()
    } else {
        ((l - s) / d).ceil() as i128
    };
    let n = usize::try_from(n.max(0)).map_err(|_| {
        Error::op_invalid(format!(
            "Requires ((limit - start) / delta) <= {}",
            i64::MAX
        ))
    })?;
    Value::check_allocation(start.dtype(), &[n])?;
    Ok(n)
}

fn scalar_f64(v: &Value) -> Result<f64> {
    match v.to_f64_vec().as_slice() {
        [x] => Ok(*x),
        _ => Err(Error::op_invalid(format!(
            "expected a scalar, got shape {:?}",
            v.shape()
        ))),
    }
}

pub(crate) fn range_kernel(start: &Value, limit: &Value, delta: &Value) -> Result<Value> {
    let n = range_len(start, limit, delta)?;
    let (s, d) = (scalar_f64(start)?, scalar_f64(delta)?);
    Ok(match start.dtype() {
        DType::F32 => Value::from_vec(&[n], (0..n).map(|i| (s + d * i as f64) as f32).collect())?,
        DType::F64 => Value::from_vec(&[n], (0..n).map(|i| s + d * i as f64).collect())?,
        dtype => {
            let (s, d) = (s as i64, d as i64);
            Value::int_vector(
                DType::I64,
                &(0..n as i64).map(|i| s + d * i).collect::<Vec<_>>(),
            )
            .cast(dtype)
        }
    })
}

fn dynamic_stitch_kernel(indices: &[Value], data: &[Value]) -> Result<Value> {
    let first = data
        .first()
        .ok_or_else(|| Error::op_invalid("DynamicStitch needs data"))?;
    let mut rows: Vec<(usize, Value, usize)> = Vec::new();
    let mut size = 0usize;
    let mut inner: Option<Vec<usize>> = None;
    for (idx, d) in indices.iter().zip(data) {
        let ids = idx.to_i64_vec()?;
        let r = idx.shape().len();
        let this_inner = d
            .shape()
            .get(r..)
            .ok_or_else(|| Error::op_invalid("data rank below indices rank"))?
            .to_vec();
        if d.shape().get(..r) != Some(idx.shape()) {
            return Err(Error::op_invalid(
                "data.shape must start with indices.shape in DynamicStitch",
            ));
        }
        if let Some(inn) = &inner {
            if *inn != this_inner {
                return Err(Error::op_invalid("DynamicStitch data shapes disagree"));
            }
        }
        inner = Some(this_inner.clone());
        let flat = d.reshape(&[ids.len(), this_inner.iter().product()])?;
        for (row, &id) in ids.iter().enumerate() {
            let id = usize::try_from(id)
                .map_err(|_| Error::op_invalid(format!("DynamicStitch index {id} is negative")))?;
            size = size.max(id.saturating_add(1));
            rows.push((id, flat.clone(), row));
        }
    }
    let inner = inner.unwrap_or_default();
    let width: usize = inner.iter().product();
    let mut out_shape = vec![size];
    out_shape.extend(&inner);
    Value::check_allocation(first.dtype(), &out_shape)?;
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
    go!(F32, F64, I8, I16, I32, I64, U8, Bool, C64, C128)
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
    Ok((0..num)
        .map(|i| map_same!(x, v => v.index_axis(Axis(a), i).to_owned().into_shared()))
        .collect())
}

fn pack_kernel(values: &[Value], axis: i64) -> Result<Value> {
    let first = values
        .first()
        .ok_or_else(|| Error::op_invalid("Pack needs inputs"))?;
    let a = normalize_axis(axis, first.shape().len() + 1)
        .map_err(|e| Error::op_invalid(e.to_string()))?;
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
    let first = values
        .first()
        .ok_or_else(|| Error::op_invalid("ConcatV2 needs values"))?;
    let a =
        normalize_axis(axis, first.shape().len()).map_err(|e| Error::op_invalid(e.to_string()))?;
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
    Ok(go!(
        F16, F32, F64, I8, I16, I32, I64, U8, Bool, Str, C64, C128
    ))
}

/// A shape as TF prints it in kernel messages: `[2,3]`.
fn fmt_shape(dims: &[usize]) -> String {
    let parts: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(","))
}

fn slice_kernel(x: &Value, begin: &Value, size: &Value) -> Result<Value> {
    let rank = x.shape().len();
    let (b, s) = (begin.to_i64_vec()?, size.to_i64_vec()?);
    if begin.shape().len() != 1 || size.shape().len() != 1 || b.len() != rank || s.len() != rank {
        return Err(Error::op_invalid(format!(
            "Expected begin and size arguments to be 1-D tensors of size {rank}, but got shapes {} and {} instead.",
            fmt_shape(begin.shape()),
            fmt_shape(size.shape())
        )));
    }
    let mut ranges = Vec::with_capacity(rank);
    for i in 0..rank {
        let d = x.shape()[i] as i64;
        if b[i] < 0 || b[i] > d {
            return Err(Error::op_invalid(format!(
                "Expected begin[{i}] in [0, {d}], but got {}",
                b[i]
            )));
        }
        let len = if s[i] == -1 { d - b[i] } else { s[i] };
        if len < 0 || len > d - b[i] {
            return Err(Error::op_invalid(format!(
                "Expected size[{i}] in [0, {}], but got {}",
                d - b[i],
                s[i]
            )));
        }
        ranges.push((b[i] as usize, (b[i] + len) as usize));
    }
    Ok(map_same!(x, a => a
        .slice_each_axis(|ax| {
            let (lo, hi) = ranges[ax.axis.index()];
            Slice::from(lo..hi)
        })
        .to_owned()
        .into_shared()))
}

fn pad_kernel(x: &Value, paddings: &Value, constant: Option<&Value>) -> Result<Value> {
    let rank = x.shape().len();
    let ps = paddings.shape();
    if ps.len() != 2 || ps[1] != 2 {
        return Err(Error::op_invalid(format!(
            "paddings must be a matrix with 2 columns: {}",
            fmt_shape(ps)
        )));
    }
    if ps[0] != rank {
        return Err(Error::op_invalid(format!(
            "The first dimension of paddings must be the rank of inputs{} {}",
            fmt_shape(ps),
            fmt_shape(x.shape())
        )));
    }
    let p = paddings.to_i64_vec()?;
    if let Some(row) = p.chunks(2).find(|r| r[0] < 0 || r[1] < 0) {
        return Err(Error::op_invalid(format!(
            "Paddings must be non-negative: {} {}",
            row[0], row[1]
        )));
    }
    let fill = match constant {
        Some(c) if !c.shape().is_empty() => {
            return Err(Error::op_invalid(format!(
                "constant_values must be a scalar. Found: {}",
                fmt_shape(c.shape())
            )))
        }
        Some(c) => c.clone(),
        None => Value::zeros(x.dtype(), &[]),
    };
    let dims: Vec<usize> = x
        .shape()
        .iter()
        .enumerate()
        .map(|(i, &d)| d + (p[2 * i] + p[2 * i + 1]) as usize)
        .collect();
    let before: Vec<usize> = (0..rank).map(|i| p[2 * i] as usize).collect();
    let inner = x.shape().to_vec();
    macro_rules! go {
        ($($v:ident),*) => {
            match (x, &fill) {
                $((Value::$v(a), Value::$v(c)) => {
                    let value = c.iter().next().cloned().ok_or_else(|| Error::op_invalid("constant_values is empty"))?;
                    let mut out = ndarray::ArrayD::from_elem(IxDyn(&dims), value);
                    out.slice_each_axis_mut(|ax| {
                        let i = ax.axis.index();
                        Slice::from(before[i]..before[i] + inner[i])
                    })
                    .assign(a);
                    Value::$v(out.into_shared())
                })*
                _ => return Err(Error::op_invalid("constant_values must have the input's dtype")),
            }
        };
    }
    Ok(go!(
        F16, F32, F64, I8, I16, I32, I64, U8, Bool, Str, C64, C128
    ))
}

fn concat_offset_kernel(inputs: &[Value]) -> Result<Outputs> {
    let (dim, shapes) = inputs
        .split_first()
        .ok_or_else(|| Error::internal("ConcatOffset without inputs"))?;
    let cdim = single_int(dim, "concat_dim")?;
    let first = shapes
        .first()
        .ok_or_else(|| Error::op_invalid("ConcatOffset needs shapes"))?
        .to_i64_vec()?;
    let n = first.len() as i64;
    let axis = if cdim < 0 { cdim + n } else { cdim };
    if axis < 0 || axis >= n {
        return Err(Error::op_invalid(format!(
            "Concat dim is out of range: {cdim} vs. {n}"
        )));
    }
    let axis = axis as usize;
    let spaced = |v: &[i64]| {
        v.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut offset = 0i64;
    let mut out = Outputs::new();
    for (i, s) in shapes.iter().enumerate() {
        let v = s.to_i64_vec()?;
        if v.len() != first.len() {
            return Err(Error::op_invalid(format!(
                "input {i} should contain {n} elements, but got {}",
                v.len()
            )));
        }
        if (0..v.len()).any(|j| j != axis && v[j] != first[j]) {
            return Err(Error::op_invalid(format!(
                "All dimensions except {axis} must match. Input {i} has shape [{}] and doesn't match input 0 with shape [{}].",
                spaced(&v),
                spaced(&first)
            )));
        }
        let mut o = vec![0i64; v.len()];
        o[axis] = offset;
        offset += v[axis];
        out.push(Value::int_vector(s.dtype(), &o));
    }
    Ok(out)
}

fn split_v_kernel(x: &Value, sizes: &Value, axis: i64, num: usize) -> Result<Outputs> {
    let r = x.shape().len() as i64;
    if axis < -r || axis >= r {
        return Err(Error::op_invalid(format!(
            "-input rank(-{r}) <= split_dim < input rank ({r}), but got {axis}"
        )));
    }
    let a = if axis < 0 { axis + r } else { axis } as usize;
    let mut s = sizes.to_i64_vec()?;
    if sizes.shape().len() != 1 || s.len() != num {
        return Err(Error::op_invalid(format!(
            "size of the split_tensor must be 1-D and have the same elements as outputs got {} -D and {} elements",
            sizes.shape().len(),
            s.len()
        )));
    }
    let d = x.shape()[a] as i64;
    let mut unknown = None;
    let mut known = 0i64;
    for (i, &v) in s.iter().enumerate() {
        if v == -1 {
            if unknown.is_some() {
                return Err(Error::op_invalid("There can only be one -1 in the input."));
            }
            unknown = Some(i);
        } else if v < 0 {
            return Err(Error::op_invalid(format!(
                "Split size at index {i} must be >= 0. Got: {v}"
            )));
        } else {
            known += v;
        }
    }
    if (unknown.is_none() && known != d) || (unknown.is_some() && known > d) {
        return Err(Error::op_invalid(format!(
            "Determined shape must either match input shape along split_dim exactly if fully specified, or be less than the size of the input along split_dim if not fully specified.  Got: {known}"
        )));
    }
    if let Some(u) = unknown {
        s[u] = d - known;
    }
    let mut start = 0usize;
    Ok(s.iter()
        .map(|&len| {
            let (lo, hi) = (start, start + len as usize);
            start = hi;
            map_same!(x, v => v.slice_axis(Axis(a), Slice::from(lo..hi)).to_owned().into_shared())
        })
        .collect())
}

fn select_kernel(c: &Value, t: &Value, e: &Value) -> Result<Value> {
    let Value::Bool(cond) = c else {
        return Err(Error::op_invalid("Select condition must be bool"));
    };
    if t.shape() != e.shape() {
        return Err(Error::op_invalid(format!(
            "'then' and 'else' must have the same size.  but received: {:?} vs. {:?}",
            t.shape(),
            e.shape()
        )));
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
    let Value::Bool(cond) = c else {
        return Err(Error::op_invalid("Select condition must be bool"));
    };
    let dims = broadcast_dims(t.shape(), e.shape())
        .and_then(|d| broadcast_dims(cond.shape(), &d))
        .ok_or_else(|| {
            Error::op_invalid(format!(
                "Incompatible shapes: {:?} vs. {:?} vs. {:?}",
                cond.shape(),
                t.shape(),
                e.shape()
            ))
        })?;
    let Some(cb) = cond.broadcast(IxDyn(&dims)) else {
        return Err(Error::op_invalid("select broadcast failed"));
    };
    macro_rules! go {
        ($($v:ident),*) => {
            match (t, e) {
                $((Value::$v(a), Value::$v(b)) => {
                    let (Some(av), Some(bv)) = (a.broadcast(IxDyn(&dims)), b.broadcast(IxDyn(&dims))) else {
                        return Err(Error::op_invalid("select broadcast failed"));
                    };
                    Value::$v(ndarray::Zip::from(&cb).and(&av).and(&bv).map_collect(|&c, x, y| if c { x.to_owned() } else { y.to_owned() }).into_shared())
                })*
                _ => return Err(Error::op_invalid("Select branches must share a dtype")),
            }
        };
    }
    Ok(go!(
        F16, F32, F64, I8, I16, I32, I64, U8, Bool, Str, C64, C128
    ))
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
    g.add1(
        OpKind::Cast {
            to,
            truncate: false,
        },
        &[x],
        Some("Cast"),
    )
}

pub fn select(g: &Graph, c: Tensor, t: Tensor, e: Tensor) -> Result<Tensor> {
    g.add1(OpKind::Select, &[c, t, e], Some("Select"))
}

pub fn select_v2(g: &Graph, c: Tensor, t: Tensor, e: Tensor) -> Result<Tensor> {
    g.add1(OpKind::SelectV2, &[c, t, e], Some("SelectV2"))
}

/// `Reshape(x, shape)` with the shape as a `Const` named `Reshape/shape`.
pub fn reshape(g: &Graph, x: Tensor, shape: &[i64]) -> Result<Tensor> {
    let shape = Input::constant("shape", Value::int_vector(DType::I32, shape));
    Ok(
        g.add_with_consts(OpKind::Reshape, &[x.into(), shape], None)?
            .output(0),
    )
}

pub fn reshape_t(g: &Graph, x: Tensor, shape: Tensor) -> Result<Tensor> {
    g.add1(OpKind::Reshape, &[x, shape], Some("Reshape"))
}

pub fn transpose(g: &Graph, x: Tensor, perm: Tensor) -> Result<Tensor> {
    g.add1(OpKind::Transpose, &[x, perm], Some("transpose"))
}

pub fn invert_permutation(g: &Graph, perm: Tensor) -> Result<Tensor> {
    g.add1(
        OpKind::InvertPermutation,
        &[perm],
        Some("InvertPermutation"),
    )
}

pub fn expand_dims(g: &Graph, x: Tensor, axis: i64) -> Result<Tensor> {
    let dim = Input::constant("dim", Value::scalar(axis as i32));
    Ok(
        g.add_with_consts(OpKind::ExpandDims, &[x.into(), dim], None)?
            .output(0),
    )
}

pub fn squeeze(g: &Graph, x: Tensor, axes: &[i64]) -> Result<Tensor> {
    g.add1(OpKind::Squeeze { dims: axes.into() }, &[x], Some("Squeeze"))
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
    g.add1(
        OpKind::Shape {
            out_type: DType::I32,
        },
        &[x],
        Some("Shape"),
    )
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

pub fn tile(g: &Graph, x: Tensor, multiples: Tensor) -> Result<Tensor> {
    g.add1(OpKind::Tile, &[x, multiples], Some("Tile"))
}

pub fn broadcast_to(g: &Graph, x: Tensor, shape: Tensor) -> Result<Tensor> {
    g.add1(OpKind::BroadcastTo, &[x, shape], Some("BroadcastTo"))
}

pub fn broadcast_gradient_args(g: &Graph, s0: Tensor, s1: Tensor) -> Result<(Tensor, Tensor)> {
    let op = g.add_op(OpSpec {
        op: OpKind::BroadcastGradientArgs,
        inputs: &[s0, s1],
        name: Some("BroadcastGradientArgs"),
    })?;
    Ok((op.output(0), op.output(1)))
}

pub fn range(g: &Graph, start: Tensor, limit: Tensor, delta: Tensor) -> Result<Tensor> {
    g.add1(OpKind::Range, &[start, limit, delta], Some("range"))
}

pub fn dynamic_stitch(g: &Graph, indices: &[Tensor], data: &[Tensor]) -> Result<Tensor> {
    if indices.len() != data.len() {
        return Err(Error::invalid(
            "DynamicStitch needs as many index tensors as data tensors",
        ));
    }
    let inputs: Vec<Tensor> = indices.iter().chain(data).copied().collect();
    g.add1(
        OpKind::DynamicStitch { n: indices.len() },
        &inputs,
        Some("DynamicStitch"),
    )
}

pub fn split(g: &Graph, x: Tensor, num: usize, axis: i64) -> Result<Vec<Tensor>> {
    let a = source::const_value(g, Value::scalar(axis as i32), Some("split/split_dim"))?;
    let op = g.add_op(OpSpec {
        op: OpKind::Split { num },
        inputs: &[a, x],
        name: Some("split"),
    })?;
    Ok((0..num as u32).map(|i| op.output(i)).collect())
}

pub fn unstack(g: &Graph, x: Tensor, num: usize, axis: i64) -> Result<Vec<Tensor>> {
    let op = g.add_op(OpSpec {
        op: OpKind::Unpack { num, axis },
        inputs: &[x],
        name: Some("unstack"),
    })?;
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

/// `Slice(x, begin, size)`: `size[i] = -1` takes the rest of dimension i.
pub fn slice(g: &Graph, x: Tensor, begin: Tensor, size: Tensor) -> Result<Tensor> {
    g.add1(OpKind::Slice, &[x, begin, size], Some("Slice"))
}

/// `Slice` with constant int32 `begin`/`size`, named `Slice/begin` and `Slice/size` as TF's.
pub fn slice_const(g: &Graph, x: Tensor, begin: &[i64], size: &[i64]) -> Result<Tensor> {
    let b = Input::constant("begin", Value::int_vector(DType::I32, begin));
    let s = Input::constant("size", Value::int_vector(DType::I32, size));
    Ok(g.add_with_consts(OpKind::Slice, &[x.into(), b, s], None)?
        .output(0))
}

/// `Pad(x, paddings)`: zeros around x, `paddings` of shape `[rank(x), 2]`.
pub fn pad(g: &Graph, x: Tensor, paddings: Tensor) -> Result<Tensor> {
    g.add1(OpKind::Pad, &[x, paddings], Some("Pad"))
}

fn paddings_value(paddings: &[[i64; 2]]) -> Result<Value> {
    let flat: Vec<i32> = paddings.iter().flatten().map(|&p| p as i32).collect();
    Value::from_vec(&[paddings.len(), 2], flat)
}

/// `Pad` with constant paddings named `Pad/paddings`.
pub fn pad_const(g: &Graph, x: Tensor, paddings: &[[i64; 2]]) -> Result<Tensor> {
    let p = Input::constant("paddings", paddings_value(paddings)?);
    Ok(g.add_with_consts(OpKind::Pad, &[x.into(), p], None)?
        .output(0))
}

/// `PadV2(x, paddings, constant_values)`: pads with a scalar of x's dtype.
pub fn pad_v2(g: &Graph, x: Tensor, paddings: Tensor, constant_values: Tensor) -> Result<Tensor> {
    g.add1(
        OpKind::PadV2,
        &[x, paddings, constant_values],
        Some("PadV2"),
    )
}

/// `ConcatOffset(concat_dim, shapes)`: where each input starts in the concatenation.
pub fn concat_offset(g: &Graph, concat_dim: Tensor, shapes: &[Tensor]) -> Result<Vec<Tensor>> {
    let mut inputs = vec![concat_dim];
    inputs.extend_from_slice(shapes);
    let op = g.add_op(OpSpec {
        op: OpKind::ConcatOffset,
        inputs: &inputs,
        name: Some("ConcatOffset"),
    })?;
    Ok((0..shapes.len() as u32).map(|i| op.output(i)).collect())
}

/// `ShapeN(xs)`: one shape vector per input, from one op.
pub fn shape_n(g: &Graph, xs: &[Tensor], out_type: DType) -> Result<Vec<Tensor>> {
    let op = g.add_op(OpSpec {
        op: OpKind::ShapeN { out_type },
        inputs: xs,
        name: Some("ShapeN"),
    })?;
    Ok((0..xs.len() as u32).map(|i| op.output(i)).collect())
}

/// `SplitV(x, size_splits, split_dim)` into `num` pieces, named `split` as TF's `split`.
pub fn split_v(
    g: &Graph,
    x: Tensor,
    size_splits: Tensor,
    axis: Tensor,
    num: usize,
) -> Result<Vec<Tensor>> {
    let op = g.add_op(OpSpec {
        op: OpKind::SplitV { num },
        inputs: &[x, size_splits, axis],
        name: Some("split"),
    })?;
    Ok((0..num as u32).map(|i| op.output(i)).collect())
}

/// TF's `split(x, [sizes...], axis)`: the sizes are a `Const` made first, outside the op's
/// scope; the axis is `split/split_dim`.
pub fn split_sizes(g: &Graph, x: Tensor, sizes: &[i64], axis: i64) -> Result<Vec<Tensor>> {
    let sizes_t = source::const_value(g, Value::int_vector(DType::I32, sizes), None)?;
    let dim = Input::constant("split_dim", Value::scalar(axis as i32));
    let num = sizes.len();
    let op = g.add_with_consts(
        OpKind::SplitV { num },
        &[x.into(), sizes_t.into(), dim],
        Some("split"),
    )?;
    Ok((0..num as u32).map(|i| op.output(i)).collect())
}

/// `rank(x)` as TF's `array_ops.rank`: a `Const` named `Rank` when the rank is static.
fn rank_of(g: &Graph, x: Tensor) -> Result<Tensor> {
    match g.shape(x)?.rank() {
        Some(r) => source::const_value(g, Value::scalar(r as i32), Some("Rank")),
        None => rank(g, x),
    }
}

/// TF's autopacked `[t, k]`: `Pack` named `name` with the scalar `k` as `name/1`.
fn pack_with_int(g: &Graph, t: Tensor, k: i32, name: &str) -> Result<Tensor> {
    let k = Input::constant("1", Value::scalar(k));
    Ok(
        g.add_with_consts(OpKind::Pack { axis: 0 }, &[t.into(), k], Some(name))?
            .output(0),
    )
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
                let shape = source::const_value(
                    g,
                    Value::int_vector(DType::I32, &v),
                    Some("shape_as_tensor"),
                )?;
                let zero = source::scalar_const(g, meta.dtype, 0.0, None, None)?;
                g.add1(OpKind::Fill, &[shape, zero], Some(&scope))
            })();
            g.set_name_scope(&previous);
            r
        }
        None => g.add1(
            OpKind::Unary(super::UnaryOp::ZerosLike),
            &[x],
            Some("zeros_like"),
        ),
    }
}

/// TF's `ones_like`: `Fill(shape(x), 1)` named `ones_like`.
pub fn ones_like(g: &Graph, x: Tensor) -> Result<Tensor> {
    let meta = g.meta(x)?;
    let (scope, previous) = g.enter_name_scope(Some("ones_like"));
    let r = (|| {
        // A static shape is TF's `Shape/shape_as_tensor` Const, else a `Shape` op.
        let shape = match meta.shape.to_vec() {
            Some(dims) => {
                let v: Vec<i64> = dims.iter().map(|&d| d as i64).collect();
                source::const_value(
                    g,
                    Value::int_vector(DType::I32, &v),
                    Some("Shape/shape_as_tensor"),
                )?
            }
            None => shape_dynamic(g, x)?,
        };
        let one = source::scalar_const(g, meta.dtype, 1.0, None, None)?;
        let t = g.add1(OpKind::Fill, &[shape, one], Some(&scope))?;
        g.set_shape(t, &meta.shape)?;
        Ok(t)
    })();
    g.set_name_scope(&previous);
    r
}

/// Several IndexedSlices of one tensor, concatenated (duplicates are kept, as in TF).
pub fn concat_slices(g: &Graph, slices: &[IndexedSlices]) -> Result<IndexedSlices> {
    let first = slices
        .first()
        .ok_or_else(|| Error::invalid("no slices to aggregate"))?;
    let mut index_types: Vec<DType> = slices
        .iter()
        .map(|s| g.dtype(s.indices))
        .collect::<Result<_>>()?;
    index_types.dedup();
    let indices: Vec<Tensor> = if index_types.len() > 1 {
        slices
            .iter()
            .map(|s| cast(g, s.indices, DType::I64))
            .collect::<Result<_>>()?
    } else {
        slices.iter().map(|s| s.indices).collect()
    };
    let values: Vec<Tensor> = slices.iter().map(|s| s.values).collect();
    Ok(IndexedSlices {
        values: concat(g, &values, 0)?,
        indices: concat(g, &indices, 0)?,
        dense_shape: first.dense_shape,
    })
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
    // TF's `_CastGrad` looks at the incoming gradient's type, not the op's output.
    let grad = ctx.grad(grads, 0)?;
    let dst = g.dtype(grad)?;
    if !(src.is_inexact() && dst.is_inexact()) {
        return Ok(vec![None]);
    }
    Ok(vec![Some(Grad::Dense(cast(g, grad, src)?))])
}

fn select_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let (c, x) = (ctx.input(0)?, ctx.input(1)?);
    let grad = ctx.grad(grads, 0)?;
    let zeros = zeros_like(g, x)?;
    Ok(vec![
        None,
        Some(select(g, c, grad, zeros)?.into()),
        Some(select(g, c, zeros, grad)?.into()),
    ])
}

fn select_v2_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let (c, x, y) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
    let z = ctx.output(0);
    let grad = ctx.grad(grads, 0)?;
    let zero = source::scalar_const(g, g.dtype(grad)?, 0.0, Some("zeros"), None)?;
    let gx = select_v2(g, c, grad, zero)?;
    let gy = select_v2(g, c, zero, grad)?;
    // TF's _ReduceGradientArgs(x, z, gx, None), then (y, z, gy, None).
    let (gx, _) = super::binary::reduce_gradient_args(g, x, z, Some(gx), None)?;
    let (gy, _) = super::binary::reduce_gradient_args(g, y, z, Some(gy), None)?;
    Ok(vec![None, gx.map(Grad::Dense), gy.map(Grad::Dense)])
}

/// TF's `_ReshapeGrad`: with one unknown dim (and no zero dim) the shape is a list with
/// -1 (`Reshape/shape`), else `shape(x)` (a `Const` named `Shape` when static).
fn reshape_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let x = ctx.input(0)?;
    let grad = ctx.grad(grads, 0)?;
    if let Some(dims) = g.shape(x)?.dims() {
        let unknown = dims.iter().filter(|d| d.is_none()).count();
        if unknown == 1 && !dims.contains(&Some(0)) {
            let v: Vec<i64> = dims.iter().map(|d| d.map_or(-1, |d| d as i64)).collect();
            return Ok(vec![Some(Grad::Dense(reshape(g, grad, &v)?)), None]);
        }
    }
    let shape = shape_of(g, x, DType::I32, None)?;
    Ok(vec![Some(Grad::Dense(reshape_t(g, grad, shape)?)), None])
}

/// TF's `_ReshapeToInput` (ExpandDims, Squeeze): `reshape(grad, shape(x))`.
fn reshape_like_input_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let x = ctx.input(0)?;
    let grad = ctx.grad(grads, 0)?;
    let shape = shape_of(g, x, DType::I32, None)?;
    let mut out = vec![Some(Grad::Dense(reshape_t(g, grad, shape)?))];
    out.resize(ctx.inputs.len(), None);
    Ok(out)
}

fn transpose_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let inv = invert_permutation(g, ctx.input(1)?)?;
    Ok(vec![
        Some(transpose(g, ctx.grad(grads, 0)?, inv)?.into()),
        None,
    ])
}

fn fill_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    Ok(vec![
        None,
        Some(reduce::reduce_sum_all(ctx.graph, ctx.grad(grads, 0)?)?.into()),
    ])
}

/// TF's `_TileGrad`: interleave multiples and x's shape into split_shape, reshape the
/// gradient to it and sum over the even (tiled) axes.
fn tile_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let (x, multiples) = (ctx.input(0)?, ctx.input(1)?);
    let grad = ctx.grad(grads, 0)?;
    let input_shape = shape_of(g, x, g.dtype(multiples)?, None)?;
    let pairs = stack(g, &[multiples, input_shape], 0)?;
    let perm = Input::constant("perm", Value::int_vector(DType::I32, &[1, 0]));
    let swapped = g
        .add_with_consts(OpKind::Transpose, &[pairs.into(), perm], Some("transpose"))?
        .output(0);
    let split_shape = reshape(g, swapped, &[-1])?;
    let size = reduce::size_folded(g, split_shape, DType::I32)?;
    let axes = reduce::range_from(g, 0, size, 2)?;
    let reshaped = reshape_t(g, grad, split_shape)?;
    let summed = reduce::sum_t(g, reshaped, axes, false)?;
    g.set_shape(summed, &g.shape(x)?)?;
    Ok(vec![Some(summed.into()), None])
}

/// TF's `_BroadcastToGrad`: the target shape as a `Const` when it is known,
/// `BroadcastGradientArgs(target, shape(x))` and a keepdims sum over its second output.
fn broadcast_to_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let (x, target) = (ctx.input(0)?, ctx.input(1)?);
    let grad = ctx.grad(grads, 0)?;
    let shape_dtype = g.dtype(target)?;
    let input_shape = shape_of(g, x, shape_dtype, None)?;
    let target_value = g
        .read()
        .constant_value(target)
        .and_then(|v| v.to_i64_vec().ok());
    let target = match target_value {
        Some(v) if v.iter().all(|&d| d >= 0) => {
            source::const_value(g, Value::int_vector(shape_dtype, &v), None)?
        }
        _ => target,
    };
    let (_, axes) = broadcast_gradient_args(g, target, input_shape)?;
    let summed = reduce::sum_t(g, grad, axes, true)?;
    Ok(vec![Some(reshape_t(g, summed, input_shape)?.into()), None])
}

fn split_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let parts: Vec<Tensor> = (0..grads.len())
        .map(|i| ctx.grad(grads, i))
        .collect::<Result<_>>()?;
    let mut inputs = parts;
    inputs.push(ctx.input(0)?);
    Ok(vec![
        None,
        Some(g.add1(OpKind::ConcatV2, &inputs, Some("concat"))?.into()),
    ])
}

fn unpack_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let OpKind::Unpack { axis, .. } = ctx.kind else {
        return Err(Error::internal("Unpack grad on another op"));
    };
    let parts: Vec<Tensor> = (0..grads.len())
        .map(|i| ctx.grad(grads, i))
        .collect::<Result<_>>()?;
    Ok(vec![Some(
        ctx.graph
            .add1(OpKind::Pack { axis }, &parts, Some("stack"))?
            .into(),
    )])
}

fn pack_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let OpKind::Pack { axis } = ctx.kind else {
        return Err(Error::internal("Pack grad on another op"));
    };
    let n = ctx.inputs.len();
    let parts = unstack(ctx.graph, ctx.grad(grads, 0)?, n, axis)?;
    Ok(parts.into_iter().map(|t| Some(Grad::Dense(t))).collect())
}

/// TF's `_ConcatGradHelper` for dense gradients: one value passes the gradient through; up
/// to 16 values slice it at `ConcatOffset`; more split it by the inputs' sizes on the axis.
fn concat_v2_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let n = ctx.inputs.len().saturating_sub(1);
    let incoming = grads.first().copied().flatten();
    if n == 1 {
        return Ok(vec![incoming, None]);
    }
    let grad = match incoming {
        Some(Grad::Dense(t)) => t,
        Some(Grad::Sparse(slices)) => return concat_v2_sparse_grad(ctx, slices),
        None => return Err(Error::invalid("missing gradient for output 0")),
    };
    let values = &ctx.inputs[..n];
    let mut axis = ctx.input(n)?;
    if g.dtype(axis)? != DType::I32 {
        axis = cast(g, axis, DType::I32)?;
    }
    let rank = rank_of(g, values[0])?;
    let non_neg = binary::binary(g, BinaryOp::FloorMod, axis, rank, Some("mod"))?;
    let sizes = input_shapes(g, values)?;
    let parts = if n > 16 {
        let stacked = g.add1(OpKind::Pack { axis: 1 }, &sizes, Some("stack"))?;
        let (scope, previous) = g.enter_name_scope(Some("Slice"));
        let sliced = (|| {
            let begin = pack_with_int(g, non_neg, 0, "begin")?;
            let size =
                source::const_value(g, Value::int_vector(DType::I32, &[1, -1]), Some("size"))?;
            g.add1(OpKind::Slice, &[stacked, begin, size], Some(&scope))
        })();
        g.set_name_scope(&previous);
        let along_axis = squeeze(g, sliced?, &[])?;
        split_v(g, grad, along_axis, non_neg, n)?
    } else {
        let offsets = concat_offset(g, non_neg, &sizes)?;
        offsets
            .iter()
            .zip(&sizes)
            .map(|(&o, &s)| slice(g, grad, o, s))
            .collect::<Result<Vec<_>>>()?
    };
    Ok(parts
        .into_iter()
        .map(|t| Some(Grad::Dense(t)))
        .chain(std::iter::once(None))
        .collect())
}

/// The IndexedSlices branch of TF's `_ConcatGradHelper`. Along axis 0 each input keeps the
/// slices whose indices fall in its rows (`Where` picks them, the indices are shifted to the
/// input's own rows); along another axis every input keeps all indices and its own columns
/// of the values. The axis must be known while building, as in TF.
fn concat_v2_sparse_grad(ctx: &GradCtx<'_>, grad: IndexedSlices) -> GradOut {
    let g = ctx.graph;
    let n = ctx.inputs.len().saturating_sub(1);
    let values = &ctx.inputs[..n];
    let concat_dim = ctx.input(n)?;
    let rank = rank_of(g, values[0])?;
    let non_neg = binary::binary(g, BinaryOp::FloorMod, concat_dim, rank, Some("mod"))?;
    let known_axis = g.read().constant_value(concat_dim);
    let axis = known_axis
        .and_then(|v| v.to_i64_vec().ok())
        .and_then(|v| v.first().copied())
        .ok_or_else(|| {
            Error::invalid(
                "Can only compute IndexedSlices gradient with statically-known concat_dim",
            )
        })?;
    let axis = if axis < 0 {
        let r = g.shape(values[0])?.rank().ok_or_else(|| {
            Error::invalid(
                "Can only compute IndexedSlices gradient with negative concat_dim when first \
                 value rank is statically-known.",
            )
        })?;
        axis.rem_euclid(r.max(1) as i64)
    } else {
        axis
    };
    let sizes = values
        .iter()
        .map(|&x| shape_of(g, x, DType::I32, None))
        .collect::<Result<Vec<_>>>()?;
    let mut out = Vec::with_capacity(n + 1);
    if axis > 0 {
        // TF's _CreateDenseMaskAndBegin: a one-hot mask of the axis and a zero begin.
        let shape_of_shape = shape_of(g, sizes[0], DType::I32, None)?;
        let zero = source::const_value(g, Value::scalar(0i32), Some("zeros/Const"))?;
        let before = fill(g, expand_dims(g, non_neg, 0)?, zero)?;
        let one = source::const_value(g, Value::int_vector(DType::I32, &[1]), Some("Const"))?;
        let after_len = binary::binary(g, BinaryOp::Sub, shape_of_shape, non_neg, Some("sub"))?;
        let one_scalar = source::const_value(g, Value::scalar(1i32), Some("sub_1/y"))?;
        let after_len = binary::binary(g, BinaryOp::Sub, after_len, one_scalar, Some("sub_1"))?;
        let after = fill(g, after_len, zero)?;
        let mask = concat(g, &[before, one, after], 0)?;
        let mut begin = fill(g, shape_of_shape, zero)?;
        for &size in &sizes {
            let rest = slice_const(g, size, &[1], &[-1])?;
            let minus_one = source::const_value(
                g,
                Value::int_vector(DType::I32, &[-1]),
                Some("concat/values_0"),
            )?;
            let slice_size = concat(g, &[minus_one, rest], 0)?;
            let new_values = slice(g, grad.values, begin, slice_size)?;
            out.push(Some(Grad::Sparse(IndexedSlices {
                values: new_values,
                indices: grad.indices,
                dense_shape: Some(size),
            })));
            let step = binary::binary(g, BinaryOp::Mul, size, mask, Some("mul"))?;
            begin = binary::binary(g, BinaryOp::AddV2, begin, step, Some("AddV2"))?;
        }
    } else {
        let index_type = g.dtype(grad.indices)?;
        let mut start = source::const_value(
            g,
            Value::int_vector(index_type, &[0]).reshape(&[])?,
            Some("Const"),
        )?;
        for &size in &sizes {
            let mut size_on_axis = crate::ops::index::gather(g, size, non_neg, 0)?;
            if index_type != DType::I32 {
                size_on_axis = cast(g, size_on_axis, index_type)?;
            }
            let end = binary::binary(g, BinaryOp::AddV2, start, size_on_axis, Some("add"))?;
            let from_start = binary::binary(
                g,
                BinaryOp::GreaterEqual,
                grad.indices,
                start,
                Some("GreaterEqual"),
            )?;
            let before_end = binary::binary(g, BinaryOp::Less, grad.indices, end, Some("Less"))?;
            let inside = binary::binary(
                g,
                BinaryOp::LogicalAnd,
                from_start,
                before_end,
                Some("LogicalAnd"),
            )?;
            let picked = squeeze(g, crate::ops::index::where_true(g, inside)?, &[1])?;
            let kept = crate::ops::index::gather(g, grad.indices, picked, 0)?;
            let new_indices = binary::binary(g, BinaryOp::Sub, kept, start, Some("sub"))?;
            let new_values = crate::ops::index::gather(g, grad.values, picked, 0)?;
            out.push(Some(Grad::Sparse(IndexedSlices {
                values: new_values,
                indices: new_indices,
                dense_shape: Some(size),
            })));
            start = end;
        }
    }
    out.push(None);
    Ok(out)
}

/// TF's `_ExtractInputShapes`: one `Const` shape per input while every shape is static,
/// else (after the first non-constant `Shape`) a `ShapeN` of all of them.
fn input_shapes(g: &Graph, values: &[Tensor]) -> Result<Vec<Tensor>> {
    let mut sizes = Vec::with_capacity(values.len());
    for &x in values {
        let s = shape_of(g, x, DType::I32, None)?;
        if !g.shape(x)?.is_fully_defined() {
            return shape_n(g, values, DType::I32);
        }
        sizes.push(s);
    }
    Ok(sizes)
}

/// TF's `_SliceGrad`: pad the gradient back with `[begin, shape(x) - size - begin]`.
fn slice_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let (x, begin) = (ctx.input(0)?, ctx.input(1)?);
    let grad = ctx.grad(grads, 0)?;
    let index = g.dtype(begin)?;
    let input_rank = rank_of(g, x)?;
    let slice_size = shape_of(g, ctx.output(0), index, None)?;
    let column = pack_with_int(g, input_rank, 1, "stack")?;
    let before = reshape_t(g, begin, column)?;
    let x_shape = shape_of(g, x, index, None)?;
    let rest = binary::binary(g, BinaryOp::Sub, x_shape, slice_size, Some("sub"))?;
    let after = binary::binary(g, BinaryOp::Sub, rest, begin, Some("sub"))?;
    let after = reshape_t(g, after, column)?;
    let paddings = concat(g, &[before, after], 1)?;
    Ok(vec![Some(pad(g, grad, paddings)?.into()), None, None])
}

/// TF's `_PadGrad` (Pad and PadV2): slice x's shape out of the gradient at `pad_before`.
fn pad_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let (x, paddings) = (ctx.input(0)?, ctx.input(1)?);
    let grad = ctx.grad(grads, 0)?;
    let column = pack_with_int(g, rank_of(g, x)?, 1, "stack")?;
    let origin = Input::constant("begin", Value::int_vector(DType::I32, &[0, 0]));
    let pad_before = g
        .add_with_consts(
            OpKind::Slice,
            &[paddings.into(), origin, column.into()],
            None,
        )?
        .output(0);
    let begin = reshape(g, pad_before, &[-1])?;
    let sizes = shape_of(g, x, g.dtype(begin)?, None)?;
    let mut out = vec![Some(Grad::Dense(slice(g, grad, begin, sizes)?)), None];
    out.resize(ctx.inputs.len(), None);
    Ok(out)
}

fn split_v_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let mut inputs: Vec<Tensor> = (0..grads.len())
        .map(|i| ctx.grad(grads, i))
        .collect::<Result<_>>()?;
    inputs.push(ctx.input(2)?);
    Ok(vec![
        Some(g.add1(OpKind::ConcatV2, &inputs, Some("concat"))?.into()),
        None,
        None,
    ])
}

pub(crate) fn register_gradients(r: &mut GradRegistry) {
    r.builtin("Identity", identity_grad);
    r.builtin("IdentityN", identity_n_grad);
    r.builtin("EnsureShape", identity_grad);
    r.not_differentiable("StopGradient");
    r.builtin("Cast", cast_grad);
    r.builtin("Select", select_grad);
    r.builtin("SelectV2", select_v2_grad);
    r.structural("Reshape", reshape_grad);
    r.builtin("ExpandDims", reshape_like_input_grad);
    r.builtin("Squeeze", reshape_like_input_grad);
    r.builtin("Transpose", transpose_grad);
    r.builtin("Fill", fill_grad);
    r.builtin("Tile", tile_grad);
    r.builtin("BroadcastTo", broadcast_to_grad);
    r.builtin("Split", split_grad);
    r.builtin("Unpack", unpack_grad);
    r.builtin("Pack", pack_grad);
    r.builtin("ConcatV2", concat_v2_grad);
    r.builtin("Slice", slice_grad);
    r.builtin("Pad", pad_grad);
    r.builtin("PadV2", pad_grad);
    r.builtin("SplitV", split_v_grad);
    for t in [
        "Shape",
        "ShapeN",
        "Size",
        "Rank",
        "Range",
        "InvertPermutation",
        "BroadcastGradientArgs",
        "ConcatOffset",
    ] {
        r.not_differentiable(t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f64s(shape: &[usize], data: &[f64]) -> Value {
        Value::from_vec(shape, data.to_vec()).expect("test data")
    }
    fn ints(xs: &[i64]) -> Value {
        Value::int_vector(DType::I32, xs)
    }
    fn x23() -> Value {
        f64s(&[2, 3], &[0., 1., 2., 3., 4., 5.])
    }
    fn msg(e: Error) -> String {
        e.to_string()
    }
    fn dims(shape: &[usize]) -> Shape {
        Shape::known(shape)
    }
    fn placeholder(g: &Graph, dtype: DType, shape: Shape) -> Tensor {
        source::placeholder(g, dtype, shape, None).expect("placeholder")
    }

    #[test]
    fn slice_kernel_values_and_errors() {
        let out = slice_kernel(&x23(), &ints(&[0, 1]), &ints(&[-1, 2])).expect("slice");
        assert_eq!(out.shape(), &[2, 2]);
        assert_eq!(out.to_f64_vec(), vec![1., 2., 4., 5.]);
        let out = slice_kernel(&x23(), &ints(&[1, 3]), &ints(&[1, 0])).expect("empty slice");
        assert_eq!(out.shape(), &[1, 0]);
        // Every dtype, including bool and int64 indices.
        let b = Value::from_vec(&[3], vec![true, false, true]).expect("bool");
        let out = slice_kernel(
            &b,
            &Value::int_vector(DType::I64, &[1]),
            &Value::int_vector(DType::I64, &[2]),
        )
        .expect("bool");
        assert_eq!(out.to_f64_vec(), vec![0., 1.]);
        let e = msg(slice_kernel(&x23(), &ints(&[0, 4]), &ints(&[-1, 1])).expect_err("begin"));
        assert!(e.contains("Expected begin[1] in [0, 3], but got 4"), "{e}");
        let e = msg(slice_kernel(&x23(), &ints(&[0, 1]), &ints(&[1, 3])).expect_err("size"));
        assert!(e.contains("Expected size[1] in [0, 2], but got 3"), "{e}");
        let e = msg(slice_kernel(&x23(), &ints(&[-1, 1]), &ints(&[1, 1])).expect_err("negative"));
        assert!(e.contains("Expected begin[0] in [0, 2], but got -1"), "{e}");
        let e = msg(slice_kernel(&x23(), &ints(&[0]), &ints(&[1])).expect_err("rank"));
        assert!(e.contains("Expected begin and size arguments to be 1-D tensors of size 2, but got shapes [1] and [1] instead."), "{e}");
    }

    #[test]
    fn pad_kernel_values_and_errors() {
        let p = Value::from_vec(&[2, 2], vec![1i32, 0, 0, 2]).expect("p");
        let out = pad_kernel(&x23(), &p, None).expect("pad");
        assert_eq!(out.shape(), &[3, 5]);
        assert_eq!(
            out.to_f64_vec(),
            vec![0., 0., 0., 0., 0., 0., 1., 2., 0., 0., 3., 4., 5., 0., 0.]
        );
        let v = Value::int_vector(DType::I32, &[0, 1, 2, 3]);
        let out = pad_kernel(
            &v,
            &Value::from_vec(&[1, 2], vec![1i64, 2]).expect("p"),
            Some(&Value::scalar(7i32)),
        )
        .expect("v2");
        assert_eq!(out.dtype(), DType::I32);
        assert_eq!(out.to_i64_vec().expect("ints"), vec![7, 0, 1, 2, 3, 7, 7]);
        let b = Value::from_vec(&[1], vec![true]).expect("bool");
        let out = pad_kernel(
            &b,
            &Value::from_vec(&[1, 2], vec![1i32, 2]).expect("p"),
            None,
        )
        .expect("bool");
        assert_eq!(out.to_f64_vec(), vec![0., 1., 0., 0.]);
        let e = msg(pad_kernel(
            &x23(),
            &Value::from_vec(&[1, 2], vec![1i32, 0]).expect("p"),
            None,
        )
        .expect_err("rank"));
        assert!(
            e.contains("The first dimension of paddings must be the rank of inputs[1,2] [2,3]"),
            "{e}"
        );
        let e = msg(pad_kernel(
            &x23(),
            &Value::from_vec(&[2, 2], vec![1i32, 1, 0, -1]).expect("p"),
            None,
        )
        .expect_err("neg"));
        assert!(e.contains("Paddings must be non-negative: 0 -1"), "{e}");
        let e = msg(pad_kernel(
            &x23(),
            &Value::from_vec(&[2, 3], vec![0i32; 6]).expect("p"),
            None,
        )
        .expect_err("cols"));
        assert!(
            e.contains("paddings must be a matrix with 2 columns: [2,3]"),
            "{e}"
        );
        let e = msg(pad_kernel(&x23(), &p, Some(&f64s(&[2], &[1., 2.]))).expect_err("cv"));
        assert!(
            e.contains("constant_values must be a scalar. Found: [2]"),
            "{e}"
        );
    }

    #[test]
    fn concat_offset_kernel_values_and_errors() {
        let out = concat_offset_kernel(&[
            Value::scalar(1i32),
            ints(&[2, 3]),
            ints(&[2, 5]),
            ints(&[2, 1]),
        ])
        .expect("offsets");
        let got: Vec<Vec<i64>> = out.iter().map(|v| v.to_i64_vec().expect("ints")).collect();
        assert_eq!(got, vec![vec![0, 0], vec![0, 3], vec![0, 8]]);
        let out = concat_offset_kernel(&[Value::scalar(-2i32), ints(&[2, 3]), ints(&[4, 3])])
            .expect("negative dim");
        assert_eq!(out[1].to_i64_vec().expect("ints"), vec![2, 0]);
        let e = msg(
            concat_offset_kernel(&[Value::scalar(1i32), ints(&[2, 3]), ints(&[3, 5])])
                .expect_err("dims"),
        );
        assert!(e.contains("All dimensions except 1 must match. Input 1 has shape [3 5] and doesn't match input 0 with shape [2 3]."), "{e}");
        let e = msg(
            concat_offset_kernel(&[Value::scalar(2i32), ints(&[2, 3]), ints(&[2, 5])])
                .expect_err("axis"),
        );
        assert!(e.contains("Concat dim is out of range: 2 vs. 2"), "{e}");
        let e = msg(
            concat_offset_kernel(&[Value::scalar(1i32), ints(&[2, 3]), ints(&[2, 5, 1])])
                .expect_err("rank"),
        );
        assert!(
            e.contains("input 1 should contain 2 elements, but got 3"),
            "{e}"
        );
    }

    #[test]
    fn split_v_kernel_values_and_errors() {
        let out = split_v_kernel(&x23(), &ints(&[1, -1]), 1, 2).expect("split");
        assert_eq!(out[0].shape(), &[2, 1]);
        assert_eq!(out[1].to_f64_vec(), vec![1., 2., 4., 5.]);
        let out = split_v_kernel(&x23(), &ints(&[0, 2]), -2, 2).expect("axis -2");
        assert_eq!(out[0].shape(), &[0, 3]);
        assert_eq!(out[1].shape(), &[2, 3]);
        let e = msg(split_v_kernel(&x23(), &ints(&[-1, -1]), 1, 2).expect_err("two -1"));
        assert!(e.contains("There can only be one -1 in the input."), "{e}");
        let e = msg(split_v_kernel(&x23(), &ints(&[1, 1]), 1, 2).expect_err("sum"));
        assert!(e.contains("Determined shape must either match input shape along split_dim exactly if fully specified") && e.ends_with("Got: 2"), "{e}");
        let e = msg(split_v_kernel(&x23(), &ints(&[4, -1]), 1, 2).expect_err("too big"));
        assert!(e.contains("Got: 4"), "{e}");
        let e = msg(split_v_kernel(&x23(), &ints(&[-2, 5]), 1, 2).expect_err("negative"));
        assert!(
            e.contains("Split size at index 0 must be >= 0. Got: -2"),
            "{e}"
        );
        let e = msg(split_v_kernel(&x23(), &ints(&[1, 2]), 2, 2).expect_err("axis"));
        assert!(
            e.contains("-input rank(-2) <= split_dim < input rank (2), but got 2"),
            "{e}"
        );
        let e = msg(split_v_kernel(&x23(), &ints(&[1, 2]), 1, 3).expect_err("count"));
        assert!(
            e.contains("have the same elements as outputs got 1 -D and 2 elements"),
            "{e}"
        );
    }

    #[test]
    fn slice_shape_rule() {
        let g = Graph::new();
        let x = placeholder(&g, DType::F64, Shape::from_dims(&[Some(2), None, Some(4)]));
        let s = slice_const(&g, x, &[0, 1, 1], &[-1, 2, -1]).expect("slice");
        assert_eq!(
            g.shape(s).expect("shape"),
            Shape::from_dims(&[Some(2), Some(2), Some(3)])
        );
        let s = slice_const(&g, x, &[0, 1, 1], &[1, -1, 2]).expect("slice");
        assert_eq!(
            g.shape(s).expect("shape"),
            Shape::from_dims(&[Some(1), None, Some(2)])
        );
        // Unknown begin: sizes still known; -1 dims unknown.
        let b = placeholder(&g, DType::I32, Shape::known(&[3]));
        let size = source::const_ints(&g, &[1, 2, -1]).expect("size");
        let s = slice(&g, x, b, size).expect("slice");
        assert_eq!(
            g.shape(s).expect("shape"),
            Shape::from_dims(&[Some(1), Some(2), None])
        );
        // A Pack of scalars with a constant element, and a Shape of a partly known shape.
        let scalar = placeholder(&g, DType::I32, Shape::scalar());
        let begin = pack_with_int(&g, scalar, 1, "stack").expect("pack");
        let y = placeholder(&g, DType::F64, dims(&[2, 5]));
        let s = slice_const(&g, y, &[0, 0], &[1, 1]).expect("slice");
        let size = source::const_ints(&g, &[1, -1]).expect("size");
        let t = slice(&g, y, begin, size).expect("slice");
        assert_eq!(
            g.shape(t).expect("shape"),
            Shape::from_dims(&[Some(1), Some(4)])
        );
        let shape_x = shape_dynamic(&g, x).expect("shape");
        let z = placeholder(&g, DType::F64, Shape::unknown());
        let zero = source::const_ints(&g, &[0, 0, 0]).expect("zero");
        let t = slice(&g, z, zero, shape_x).expect("slice");
        assert_eq!(
            g.shape(t).expect("shape"),
            Shape::from_dims(&[Some(2), None, Some(4)])
        );
        let _ = s;
        // Errors at construction.
        let e = msg(slice_const(&g, y, &[0], &[1]).expect_err("rank"));
        assert!(e.contains("Shape must be rank 1 but is rank 2"), "{e}");
        let e = msg(slice_const(&g, y, &[0, 0], &[1]).expect_err("lengths"));
        assert!(e.contains("Dimension 0 in both shapes must be equal, but are 2 and 1. Shapes are [2] and [1]."), "{e}");
        let e = msg(slice_const(&g, y, &[0, 1], &[1, -2]).expect_err("size"));
        assert!(
            e.contains("Invalid value in tensor used for shape: -2"),
            "{e}"
        );
        let fb = source::const_value(&g, f64s(&[2], &[0., 0.]), None).expect("float");
        let e = slice(&g, y, fb, fb).expect_err("float begin");
        assert!(matches!(e, Error::Type { .. }), "{e:?}");
    }

    #[test]
    fn pad_shape_rule() {
        let g = Graph::new();
        let x = placeholder(&g, DType::F64, Shape::from_dims(&[None, Some(3)]));
        let p = pad_const(&g, x, &[[1, 0], [0, 2]]).expect("pad");
        assert_eq!(
            g.shape(p).expect("shape"),
            Shape::from_dims(&[None, Some(5)])
        );
        let dynamic = placeholder(&g, DType::I32, Shape::unknown());
        let p = pad(&g, x, dynamic).expect("pad");
        assert_eq!(g.shape(p).expect("shape"), Shape::unknown_dims(2));
        let u = placeholder(&g, DType::F64, Shape::unknown());
        let known = placeholder(&g, DType::I32, dims(&[3, 2]));
        assert_eq!(
            g.shape(pad(&g, u, known).expect("pad")).expect("shape"),
            Shape::unknown_dims(3)
        );
        let e = msg(pad_const(&g, x, &[[-1, 0], [0, 2]]).expect_err("negative"));
        assert!(e.contains("Paddings must be non-negative"), "{e}");
        let e = msg(pad_const(&g, x, &[[1, 0]]).expect_err("rank"));
        assert!(e.contains("Shape must be rank 1 but is rank 2"), "{e}");
        let three = source::const_value(
            &g,
            Value::from_vec(&[2, 3], vec![0i32; 6]).expect("v"),
            None,
        )
        .expect("c");
        let e = msg(pad(&g, x, three).expect_err("columns"));
        assert!(e.contains("Dimension must be 2 but is 3"), "{e}");
        let cv = source::const_value(&g, Value::scalar(1i32), None).expect("cv");
        let pc = source::const_value(&g, paddings_value(&[[1, 1], [1, 1]]).expect("p"), None)
            .expect("p");
        let e = pad_v2(&g, x, pc, cv).expect_err("dtype");
        assert!(matches!(e, Error::Type { .. }), "{e:?}");
    }

    #[test]
    fn split_v_shape_rule() {
        let g = Graph::new();
        let x = placeholder(&g, DType::F64, Shape::from_dims(&[Some(2), Some(6)]));
        let parts = split_sizes(&g, x, &[1, -1, 2], 1).expect("split");
        let shapes: Vec<Shape> = parts.iter().map(|t| g.shape(*t).expect("shape")).collect();
        assert_eq!(shapes, vec![dims(&[2, 1]), dims(&[2, 3]), dims(&[2, 2])]);
        let u = placeholder(&g, DType::F64, Shape::from_dims(&[Some(2), None]));
        let parts = split_sizes(&g, u, &[1, -1], -1).expect("split");
        assert_eq!(g.shape(parts[0]).expect("shape"), dims(&[2, 1]));
        assert_eq!(
            g.shape(parts[1]).expect("shape"),
            Shape::from_dims(&[Some(2), None])
        );
        let dyn_axis = placeholder(&g, DType::I32, Shape::scalar());
        let sizes = source::const_ints(&g, &[1, 5]).expect("sizes");
        let parts = split_v(&g, x, sizes, dyn_axis, 2).expect("split");
        assert_eq!(g.shape(parts[1]).expect("shape"), Shape::unknown_dims(2));
        for (sizes, text) in [
            (&[-1i64, -1][..], "size_splits can only have one -1"),
            (
                &[1, 1],
                "can't split axis of size 6 into pieces of size [1,1]",
            ),
            (&[-2, 8], "Split size at index 0 must be >= 0. Got: -2"),
            (&[7, -1], "Split size at index 1 must be >= 0. Got: -1"),
        ] {
            let e = msg(split_sizes(&g, x, sizes, 1).expect_err(text));
            assert!(e.contains(text), "{e}");
        }
        let e = msg(split_sizes(&g, x, &[1, 5], 2).expect_err("axis"));
        assert!(
            e.contains("Dimension size, given by scalar input 2 must be in range [-2, 2)"),
            "{e}"
        );
    }

    #[test]
    fn concat_offset_and_shape_n_shape_rules() {
        let g = Graph::new();
        let a = placeholder(&g, DType::F32, Shape::from_dims(&[Some(2), None]));
        let b = placeholder(&g, DType::F32, Shape::unknown());
        let shapes = shape_n(&g, &[a, b], DType::I32).expect("shape_n");
        assert_eq!(g.shape(shapes[0]).expect("shape"), dims(&[2]));
        assert_eq!(
            g.shape(shapes[1]).expect("shape"),
            Shape::from_dims(&[None])
        );
        let axis = source::const_value(&g, Value::scalar(1i32), None).expect("axis");
        let offsets = concat_offset(&g, axis, &shapes).expect("offsets");
        assert_eq!(offsets.len(), 2);
        assert_eq!(g.dtype(offsets[1]).expect("dtype"), DType::I32);
        assert_eq!(g.shape(offsets[0]).expect("shape"), dims(&[2]));
        let e = concat_offset(&g, axis, &shapes[..1]).expect_err("one shape");
        assert!(msg(e).contains("at least two shapes"));
        // ShapeN outputs (with unknown dims) fold partially into Slice sizes.
        let grad = placeholder(&g, DType::F32, Shape::unknown_dims(2));
        let s = slice(&g, grad, offsets[0], shapes[0]).expect("slice");
        assert_eq!(
            g.shape(s).expect("shape"),
            Shape::from_dims(&[Some(2), None])
        );
    }
}
