//! Ops that move elements without changing them: space/depth and space/batch rearrangements,
//! Roll, ReverseSequence and the TensorScatter family, plus the shape arithmetic ops
//! BroadcastArgs and UnravelIndex.
//!
//! The moving kernels share one scheme: for each output position (row-major) a closure names
//! the flat input offset it reads, or `None` for a zero (padding); `gather` then copies. Their
//! gradients are their inverses (TF's array_grad.py), so derivatives of every order follow.

use super::index::index_type as int_input;
use super::{array, conv, index, one, source, unary, Family, InferCtx, KernelCtx, OpKind, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx};
use crate::graph::{Graph, Metas, Node, Tensor};
use crate::shape::{Dim, Dims, Shape};
use crate::value::{Arr, Value};
use ndarray::{ArrayD, IxDyn};
use smallvec::smallvec;
use std::borrow::Cow;

/// How a TensorScatter op combines an update with the element it lands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScatterMode {
    Update,
    Add,
    Sub,
}

/// An op of the layout family.
#[derive(Debug, Clone, PartialEq)]
pub enum LayoutOp {
    SpaceToDepth { block_size: usize },
    DepthToSpace { block_size: usize },
    SpaceToBatchND,
    BatchToSpaceND,
    Roll,
    ReverseSequence { seq_dim: i64, batch_dim: i64 },
    TensorScatter(ScatterMode),
    BroadcastArgs,
    UnravelIndex,
    ExtractImagePatches(Box<PatchAttrs>),
}

/// ExtractImagePatches' window: `[rows, cols]` of each 4-value attribute, and SAME/VALID.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchAttrs {
    pub ksizes: [usize; 2],
    pub strides: [usize; 2],
    pub rates: [usize; 2],
    pub padding: conv::Padding,
}

fn patch_attrs(attrs: &Attrs) -> Result<Box<PatchAttrs>> {
    const OP: &str = "ExtractImagePatches";
    let pair = |name: &str| -> Result<[usize; 2]> {
        let v = conv::four_ints(OP, attrs, name, None)?;
        if v[0] != 1 || v[3] != 1 {
            return Err(Error::invalid(format!(
                "{OP} is not yet supported on the batch nor depth dimensions: {name} = {v:?}"
            )));
        }
        let dim = |x: i64| {
            usize::try_from(x).map_err(|_| Error::invalid(format!("{name} {x} is too large")))
        };
        Ok([dim(v[1])?, dim(v[2])?])
    };
    Ok(Box::new(PatchAttrs {
        ksizes: pair("ksizes")?,
        strides: pair("strides")?,
        rates: pair("rates")?,
        padding: conv::parse_padding(OP, attrs)?,
    }))
}

impl PatchAttrs {
    /// `(out, pad_before)` of spatial dim `i` (0: rows, 1: cols) for an input of `size`.
    fn window(&self, i: usize, size: usize) -> std::result::Result<(usize, usize), String> {
        conv::windowed(
            size,
            self.ksizes[i],
            self.strides[i],
            self.rates[i],
            &self.padding,
            i + 1,
        )
    }
}

fn block_size_attr(op_type: &str, attrs: &Attrs) -> Result<usize> {
    let b = attrs.int("block_size")?;
    if b < 2 {
        return Err(Error::invalid(format!(
            "Attr 'block_size' of '{op_type}' Op passed {b} less than minimum 2."
        )));
    }
    // CPU kernels of TF support NHWC only; NCHW would fail at run time there.
    let format = attrs.str_or("data_format", "NHWC")?;
    if format != "NHWC" {
        return Err(Error::invalid(format!(
            "Only NHWC data_format supported on CPU. Got {format}"
        )));
    }
    // TF's kernels take the block size as a 32-bit int; the bound keeps block_size^2 exact.
    if b > i64::from(i32::MAX) {
        return Err(Error::invalid(format!("block_size {b} is too large")));
    }
    usize::try_from(b).map_err(|_| Error::invalid(format!("block_size {b} is too large")))
}

impl Family for LayoutOp {
    fn type_name(&self) -> &'static str {
        match self {
            LayoutOp::SpaceToDepth { .. } => "SpaceToDepth",
            LayoutOp::DepthToSpace { .. } => "DepthToSpace",
            LayoutOp::SpaceToBatchND => "SpaceToBatchND",
            LayoutOp::BatchToSpaceND => "BatchToSpaceND",
            LayoutOp::Roll => "Roll",
            LayoutOp::ReverseSequence { .. } => "ReverseSequence",
            LayoutOp::TensorScatter(ScatterMode::Update) => "TensorScatterUpdate",
            LayoutOp::TensorScatter(ScatterMode::Add) => "TensorScatterAdd",
            LayoutOp::TensorScatter(ScatterMode::Sub) => "TensorScatterSub",
            LayoutOp::BroadcastArgs => "BroadcastArgs",
            LayoutOp::UnravelIndex => "UnravelIndex",
            LayoutOp::ExtractImagePatches(_) => "ExtractImagePatches",
        }
    }

    fn from_def(op_type: &str, attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        Some(match op_type {
            "SpaceToDepth" => block_size_attr(op_type, attrs)
                .map(|block_size| LayoutOp::SpaceToDepth { block_size }),
            "DepthToSpace" => block_size_attr(op_type, attrs)
                .map(|block_size| LayoutOp::DepthToSpace { block_size }),
            "SpaceToBatchND" => Ok(LayoutOp::SpaceToBatchND),
            "BatchToSpaceND" => Ok(LayoutOp::BatchToSpaceND),
            "Roll" => Ok(LayoutOp::Roll),
            "ReverseSequence" => (|| {
                let seq_dim = attrs.int("seq_dim")?;
                let batch_dim = attrs.int_or("batch_dim", 0)?;
                if seq_dim < 0 || batch_dim < 0 {
                    return Err(Error::invalid(format!(
                        "seq_dim and batch_dim must be non-negative, got {seq_dim} and {batch_dim}"
                    )));
                }
                Ok(LayoutOp::ReverseSequence { seq_dim, batch_dim })
            })(),
            "TensorScatterUpdate" => Ok(LayoutOp::TensorScatter(ScatterMode::Update)),
            "TensorScatterAdd" => Ok(LayoutOp::TensorScatter(ScatterMode::Add)),
            "TensorScatterSub" => Ok(LayoutOp::TensorScatter(ScatterMode::Sub)),
            "BroadcastArgs" => Ok(LayoutOp::BroadcastArgs),
            "UnravelIndex" => Ok(LayoutOp::UnravelIndex),
            "ExtractImagePatches" => patch_attrs(attrs).map(LayoutOp::ExtractImagePatches),
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
            LayoutOp::SpaceToDepth { block_size } | LayoutOp::DepthToSpace { block_size } => {
                push("T", t(0));
                push("block_size", Some(AttrValue::Int(*block_size as i64)));
                push("data_format", Some(AttrValue::Str("NHWC".to_string())));
            }
            LayoutOp::SpaceToBatchND => {
                push("T", t(0));
                push("Tblock_shape", t(1));
                push("Tpaddings", t(2));
            }
            LayoutOp::BatchToSpaceND => {
                push("T", t(0));
                push("Tblock_shape", t(1));
                push("Tcrops", t(2));
            }
            LayoutOp::Roll => {
                push("T", t(0));
                push("Tshift", t(1));
                push("Taxis", t(2));
            }
            LayoutOp::ReverseSequence { seq_dim, batch_dim } => {
                push("seq_dim", Some(AttrValue::Int(*seq_dim)));
                push("batch_dim", Some(AttrValue::Int(*batch_dim)));
                push("T", t(0));
                push("Tlen", t(1));
            }
            LayoutOp::TensorScatter(_) => {
                push("T", t(0));
                push("Tindices", t(1));
                push("bad_indices_policy", Some(AttrValue::Str(String::new())));
            }
            LayoutOp::BroadcastArgs => push("T", t(0)),
            LayoutOp::UnravelIndex => push("Tidx", t(0)),
            LayoutOp::ExtractImagePatches(a) => {
                let four = |p: [usize; 2]| AttrValue::Ints(vec![1, p[0] as i64, p[1] as i64, 1]);
                push("ksizes", Some(four(a.ksizes)));
                push("strides", Some(four(a.strides)));
                push("rates", Some(four(a.rates)));
                push("T", t(0));
                push(
                    "padding",
                    Some(AttrValue::Str(a.padding.name().to_string())),
                );
            }
        }
        out
    }

    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        match self {
            LayoutOp::SpaceToDepth { block_size } | LayoutOp::DepthToSpace { block_size } => {
                ctx.expect_inputs(1)?;
                let b = *block_size;
                let dtype = ctx.dtype(0)?;
                let Some(d) = ctx.shape(0)?.dims() else {
                    return one(dtype, Shape::unknown_dims(4));
                };
                let [n, h, w, c] = rank4(ctx, d)?;
                let out: Dims = if matches!(self, LayoutOp::SpaceToDepth { .. }) {
                    smallvec![
                        n,
                        divide(ctx, h, b)?,
                        divide(ctx, w, b)?,
                        c.and_then(|c| c.checked_mul(b * b))
                    ]
                } else {
                    smallvec![
                        n,
                        h.and_then(|h| h.checked_mul(b)),
                        w.and_then(|w| w.checked_mul(b)),
                        divide(ctx, c, b * b)?
                    ]
                };
                one(dtype, Shape(Some(out)))
            }
            LayoutOp::SpaceToBatchND | LayoutOp::BatchToSpaceND => infer_space_batch(self, ctx),
            LayoutOp::Roll => {
                ctx.expect_inputs(3)?;
                int_input(ctx, 1, "shift")?;
                int_input(ctx, 2, "axis")?;
                let (s, a) = (ctx.shape(1)?, ctx.shape(2)?);
                for sh in [s, a] {
                    if let Some(r) = sh.rank().filter(|&r| r > 1) {
                        return Err(
                            ctx.err(format!("Shape must be at most rank 1 but is rank {r}"))
                        );
                    }
                }
                if let (Some(x), Some(y)) = (s.dim(0), a.dim(0)) {
                    if x != y {
                        return Err(ctx.err(format!(
                            "Dimension 0 in both shapes must be equal, but are {x} and {y}. Shapes are [{x}] and [{y}]."
                        )));
                    }
                }
                one(ctx.dtype(0)?, ctx.shape(0)?.clone())
            }
            LayoutOp::ReverseSequence { seq_dim, batch_dim } => {
                ctx.expect_inputs(2)?;
                int_input(ctx, 1, "seq_lengths")?;
                let x = ctx.shape(0)?.clone();
                let lens = ctx.shape(1)?;
                if let Some(r) = lens.rank().filter(|&r| r != 1) {
                    return Err(ctx.err(format!("Shape must be rank 1 but is rank {r}")));
                }
                if seq_dim == batch_dim {
                    return Err(ctx.err(format!("batch_dim == seq_dim == {seq_dim}")));
                }
                if let Some(rank) = x.rank() {
                    for (what, d) in [("batch_dim", *batch_dim), ("seq_dim", *seq_dim)] {
                        if d as usize >= rank {
                            return Err(
                                ctx.err(format!("{what} must be < input rank: {d} vs. {rank}"))
                            );
                        }
                    }
                    if let (Some(b), Some(l)) = (x.dim(*batch_dim as usize), lens.dim(0)) {
                        if b != l {
                            return Err(ctx.err(format!(
                                "Dimension 0 in both shapes must be equal, but are {b} and {l}."
                            )));
                        }
                    }
                }
                one(ctx.dtype(0)?, x)
            }
            LayoutOp::TensorScatter(mode) => {
                ctx.expect_inputs(3)?;
                let name = self.type_name();
                let dtype = ctx.same_dtype(name, 0, 2, ("tensor", "updates"))?;
                if dtype == DType::Bool && *mode != ScatterMode::Update {
                    return Err(Error::type_error(format!(
                        "Value passed to parameter 'tensor' has DataType bool not in list of allowed values for '{name}'"
                    )));
                }
                int_input(ctx, 1, "indices")?;
                let (t, i, u) = (ctx.shape(0)?, ctx.shape(1)?, ctx.shape(2)?);
                if let (Some(td), Some(id), Some(ud)) = (t.dims(), i.dims(), u.dims()) {
                    if let Some((Some(m), batch)) = id.split_last() {
                        let want = scatter_update_dims(td, batch, *m)
                            .ok_or_else(|| ctx.err(format!(
                                "Index innermost dimension length must be <= tensor rank; saw: {m} vs. {}",
                                td.len()
                            )))?;
                        let fits = want.len() == ud.len()
                            && want
                                .iter()
                                .zip(ud)
                                .all(|(a, b)| a.is_none() || b.is_none() || a == b);
                        if !fits {
                            return Err(ctx.err(format!(
                                "updates.shape {} must equal indices.shape[:-1] + tensor.shape[indices.shape[-1]:] {}",
                                u.bracketed(),
                                Shape(Some(want)).bracketed()
                            )));
                        }
                    }
                }
                one(dtype, t.clone())
            }
            LayoutOp::BroadcastArgs => {
                ctx.expect_inputs(2)?;
                let dtype = ctx.same_dtype("BroadcastArgs", 0, 1, ("s0", "s1"))?;
                int_input(ctx, 0, "s0")?;
                let mut len: Dim = Some(0);
                for i in 0..2 {
                    let s = ctx.shape(i)?;
                    if let Some(r) = s.rank().filter(|&r| r != 1) {
                        return Err(ctx.err(format!("Shape must be rank 1 but is rank {r}")));
                    }
                    len = match (len, s.dim(0)) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        _ => None,
                    };
                }
                one(dtype, Shape(Some(smallvec![len])))
            }
            LayoutOp::ExtractImagePatches(a) => {
                ctx.expect_inputs(1)?;
                let dtype = ctx.dtype(0)?;
                let Some(d) = ctx.shape(0)?.dims() else {
                    return one(dtype, Shape::unknown_dims(4));
                };
                let [n, h, w, c] = rank4(ctx, d)?;
                let out = |i: usize, size: Dim| -> Result<Dim> {
                    size.map(|s| a.window(i, s).map(|(o, _)| o))
                        .transpose()
                        .map_err(|e| ctx.err(e))
                };
                let depth = c.and_then(|c| c.checked_mul(a.ksizes[0])?.checked_mul(a.ksizes[1]));
                one(
                    dtype,
                    Shape(Some(smallvec![n, out(0, h)?, out(1, w)?, depth])),
                )
            }
            LayoutOp::UnravelIndex => {
                ctx.expect_inputs(2)?;
                let dtype = ctx.same_dtype("UnravelIndex", 0, 1, ("indices", "dims"))?;
                int_input(ctx, 0, "indices")?;
                let dims = ctx.shape(1)?;
                if let Some(r) = dims.rank().filter(|&r| r != 1) {
                    return Err(ctx.err(format!("Shape must be rank 1 but is rank {r}")));
                }
                let n = dims.dim(0);
                let shape = match ctx.shape(0)?.dims() {
                    None => Shape::unknown(),
                    Some([]) => Shape(Some(smallvec![n])),
                    Some([k]) => Shape(Some(smallvec![n, *k])),
                    Some(d) => {
                        return Err(ctx.err(format!(
                            "Shape must be at most rank 1 but is rank {}",
                            d.len()
                        )))
                    }
                };
                one(dtype, shape)
            }
        }
    }

    fn compute(&self, ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let _ = ctx;
        let input = |i: usize| {
            inputs
                .get(i)
                .ok_or_else(|| Error::internal(format!("missing input {i}")))
        };
        let out = match self {
            LayoutOp::SpaceToDepth { block_size } => space_to_depth(input(0)?, *block_size)?,
            LayoutOp::DepthToSpace { block_size } => depth_to_space(input(0)?, *block_size)?,
            LayoutOp::SpaceToBatchND => space_batch(input(0)?, input(1)?, input(2)?, true)?,
            LayoutOp::BatchToSpaceND => space_batch(input(0)?, input(1)?, input(2)?, false)?,
            LayoutOp::Roll => roll_kernel(input(0)?, input(1)?, input(2)?)?,
            LayoutOp::ReverseSequence { seq_dim, batch_dim } => {
                reverse_sequence_kernel(input(0)?, input(1)?, *seq_dim, *batch_dim)?
            }
            LayoutOp::TensorScatter(mode) => {
                tensor_scatter_kernel(*mode, input(0)?, input(1)?, input(2)?)?
            }
            LayoutOp::BroadcastArgs => broadcast_args_kernel(input(0)?, input(1)?)?,
            LayoutOp::UnravelIndex => unravel_index_kernel(input(0)?, input(1)?)?,
            LayoutOp::ExtractImagePatches(a) => extract_patches_kernel(input(0)?, a)?,
        };
        Ok(smallvec![out])
    }

    fn register_gradients(r: &mut GradRegistry) {
        r.builtin("SpaceToDepth", space_to_depth_grad);
        r.builtin("DepthToSpace", depth_to_space_grad);
        r.builtin("SpaceToBatchND", space_to_batch_grad);
        r.builtin("BatchToSpaceND", batch_to_space_grad);
        r.builtin("Roll", roll_grad);
        r.builtin("ReverseSequence", reverse_sequence_grad);
        r.builtin("TensorScatterUpdate", tensor_scatter_grad);
        r.builtin("TensorScatterAdd", tensor_scatter_grad);
        r.builtin("TensorScatterSub", tensor_scatter_grad);
        r.not_differentiable("BroadcastArgs");
        r.not_differentiable("UnravelIndex");
        r.builtin("ExtractImagePatches", extract_patches_grad);
    }
}

// ===== shape rules =====

fn rank4(ctx: &InferCtx<'_>, d: &[Dim]) -> Result<[Dim; 4]> {
    match d {
        [n, h, w, c] => Ok([*n, *h, *w, *c]),
        _ => Err(ctx.err(format!("Shape must be rank 4 but is rank {}", d.len()))),
    }
}

/// `d / by` when known, with TF's text when it does not divide.
fn divide(ctx: &InferCtx<'_>, d: Dim, by: usize) -> Result<Dim> {
    match d {
        Some(d) if by == 0 || d % by != 0 => Err(ctx.err(format!(
            "Dimension size must be evenly divisible by {by} but is {d}"
        ))),
        Some(d) => Ok(Some(d / by)),
        None => Ok(None),
    }
}

/// `indices.shape[:-1] + tensor.shape[m:]`, or `None` when `m` exceeds the rank.
fn scatter_update_dims(tensor: &[Dim], batch: &[Dim], m: usize) -> Option<Dims> {
    let tail = tensor.get(m..)?;
    Some(batch.iter().chain(tail).copied().collect())
}

fn infer_space_batch(op: &LayoutOp, ctx: &InferCtx<'_>) -> Result<Metas> {
    ctx.expect_inputs(3)?;
    let to_batch = matches!(op, LayoutOp::SpaceToBatchND);
    let third = if to_batch { "paddings" } else { "crops" };
    int_input(ctx, 1, "block_shape")?;
    int_input(ctx, 2, third)?;
    let dtype = ctx.dtype(0)?;
    if let Some(r) = ctx.shape(1)?.rank().filter(|&r| r != 1) {
        return Err(ctx.err(format!("Shape must be rank 1 but is rank {r}")));
    }
    if let Some(r) = ctx.shape(2)?.rank().filter(|&r| r != 2) {
        return Err(ctx.err(format!("Shape must be rank 2 but is rank {r}")));
    }
    let Some(x) = ctx.shape(0)?.dims().map(|d| d.to_vec()) else {
        return one(dtype, Shape::unknown());
    };
    let m = ctx.shape(1)?.dim(0);
    if let Some(m) = m {
        if x.len() < m + 1 {
            return Err(ctx.err(format!(
                "Shape must be at least rank {} but is rank {}",
                m + 1,
                x.len()
            )));
        }
    }
    let (Some(block), Some(pads)) = (ctx.const_ints(1), ctx.const_ints(2)) else {
        let mut out = Shape::unknown_dims(x.len());
        if let (Some(m), Some(dims)) = (m, out.0.as_mut()) {
            for (o, d) in dims.iter_mut().zip(&x).skip(m + 1) {
                *o = *d;
            }
        }
        return one(dtype, out);
    };
    let geometry = SpaceBatch::new(&block, &pads, x.len(), to_batch).map_err(|e| ctx.err(e))?;
    let mut out: Dims = x.iter().copied().collect();
    out[0] = match x[0] {
        Some(b) if to_batch => b.checked_mul(geometry.prod),
        Some(b) => divide(ctx, Some(b), geometry.prod)?,
        None => None,
    };
    for (i, (&b, &(before, after))) in geometry.block.iter().zip(&geometry.pads).enumerate() {
        out[i + 1] = match x[i + 1] {
            None => None,
            Some(d) if to_batch => divide(ctx, Some(d + before + after), b)?,
            Some(d) => {
                let full = d * b;
                if before + after > full {
                    return Err(ctx.err(format!(
                        "Cropped size must be non-negative: start: {before} end: {after} size {full}"
                    )));
                }
                Some(full - before - after)
            }
        };
    }
    one(dtype, Shape(Some(out)))
}

// ===== kernels =====

fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// For every output position in row-major order, the flat input offset it copies (`None`:
/// a zero). The index vector is walked as an odometer, so no per-element division.
fn source_map(
    out: &[usize],
    dtype: DType,
    mut f: impl FnMut(&[usize]) -> Option<usize>,
) -> Result<Vec<Option<usize>>> {
    Value::check_allocation(dtype, out)?;
    let total: usize = out.iter().product();
    let mut idx = vec![0usize; out.len()];
    let mut map = Vec::with_capacity(total);
    for _ in 0..total {
        map.push(f(&idx));
        for d in (0..out.len()).rev() {
            idx[d] += 1;
            if idx[d] < out[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    Ok(map)
}

fn flat<T: Clone>(a: &Arr<T>) -> Cow<'_, [T]> {
    match a.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(a.iter().cloned().collect()),
    }
}

fn from_vec<T: Clone>(shape: &[usize], data: Vec<T>) -> Result<Arr<T>> {
    Ok(ArrayD::from_shape_vec(IxDyn(shape), data)
        .map_err(|e| Error::internal(e.to_string()))?
        .into_shared())
}

/// Copies `x` through a source map into a tensor of shape `out`.
fn gather(x: &Value, map: &[Option<usize>], out: &[usize]) -> Result<Value> {
    fn pick<T: Clone + Default>(
        a: &Arr<T>,
        map: &[Option<usize>],
        out: &[usize],
    ) -> Result<Arr<T>> {
        let src = flat(a);
        let data = map
            .iter()
            .map(|s| s.and_then(|i| src.get(i).cloned()).unwrap_or_default())
            .collect();
        from_vec(out, data)
    }
    Ok(crate::map_same!(x, a => pick(a, map, out)?))
}

fn nhwc(x: &Value, op: &str) -> Result<[usize; 4]> {
    match x.shape() {
        [n, h, w, c] => Ok([*n, *h, *w, *c]),
        s => Err(Error::op_invalid(format!(
            "{op}: input rank should be: 4 instead of: {}",
            s.len()
        ))),
    }
}

fn space_to_depth(x: &Value, b: usize) -> Result<Value> {
    let [n, h, w, c] = nhwc(x, "SpaceToDepth")?;
    if h % b != 0 || w % b != 0 {
        return Err(Error::op_invalid(format!(
            "Image height {h} and width {w} should be divisible by block_size: {b}"
        )));
    }
    let depth = c
        .checked_mul(b * b)
        .ok_or_else(|| Error::op_invalid("SpaceToDepth: output depth is too large"))?;
    let out = [n, h / b, w / b, depth];
    let st = strides(&[n, h, w, c]);
    let map = source_map(&out, x.dtype(), |o| {
        let (bi, bj, ci) = (o[3] / (b * c), (o[3] / c) % b, o[3] % c);
        Some(o[0] * st[0] + (o[1] * b + bi) * st[1] + (o[2] * b + bj) * st[2] + ci)
    })?;
    gather(x, &map, &out)
}

fn depth_to_space(x: &Value, b: usize) -> Result<Value> {
    let [n, h, w, c] = nhwc(x, "DepthToSpace")?;
    if c % (b * b) != 0 {
        return Err(Error::op_invalid(format!(
            "Input depth dimension {c} should be divisible by: {}",
            b * b
        )));
    }
    let oc = c / (b * b);
    let out = [n, h * b, w * b, oc];
    let st = strides(&[n, h, w, c]);
    let map = source_map(&out, x.dtype(), |o| {
        let depth = ((o[1] % b) * b + o[2] % b) * oc + o[3];
        Some(o[0] * st[0] + (o[1] / b) * st[1] + (o[2] / b) * st[2] + depth)
    })?;
    gather(x, &map, &out)
}

/// The checked block shape and paddings (or crops) of SpaceToBatchND / BatchToSpaceND.
struct SpaceBatch {
    block: Vec<usize>,
    pads: Vec<(usize, usize)>,
    prod: usize,
}

impl SpaceBatch {
    fn new(
        block: &[i64],
        pads: &[i64],
        rank: usize,
        to_batch: bool,
    ) -> std::result::Result<Self, String> {
        let what = if to_batch { "paddings" } else { "crops" };
        let m = block.len();
        if pads.len() != 2 * m {
            return Err(format!(
                "{what} should have shape [{m}, 2] instead of {} values",
                pads.len()
            ));
        }
        if rank < m + 1 {
            return Err(format!(
                "input rank should be >= {} instead of {rank}",
                m + 1
            ));
        }
        let mut prod = 1usize;
        let mut sizes = Vec::with_capacity(m);
        for &b in block {
            let b = usize::try_from(b).ok().filter(|&b| b >= 1).ok_or_else(|| {
                format!("All values in block_shape must be positive, got value, {b}")
            })?;
            prod = prod
                .checked_mul(b)
                .ok_or_else(|| "block_shape is too large".to_string())?;
            sizes.push(b);
        }
        let mut pairs = Vec::with_capacity(m);
        for pair in pads.chunks(2) {
            let (a, b) = (
                pair.first().copied().unwrap_or(0),
                pair.get(1).copied().unwrap_or(0),
            );
            let (Ok(a), Ok(b)) = (usize::try_from(a), usize::try_from(b)) else {
                return Err(format!("{what} must be non-negative: {a} {b}"));
            };
            pairs.push((a, b));
        }
        Ok(SpaceBatch {
            block: sizes,
            pads: pairs,
            prod,
        })
    }
}

fn space_batch(x: &Value, block: &Value, pads: &Value, to_batch: bool) -> Result<Value> {
    if block.shape().len() != 1 {
        return Err(Error::op_invalid(format!(
            "block_shape must be one-dimensional, got shape {:?}",
            block.shape()
        )));
    }
    let xs = x.shape().to_vec();
    let g = SpaceBatch::new(
        &block.to_i64_vec()?,
        &pads.to_i64_vec()?,
        xs.len(),
        to_batch,
    )
    .map_err(Error::op_invalid)?;
    let m = g.block.len();
    let st = strides(&xs);
    // The dims after the block dims are copied as they are.
    let rest_offset = |o: &[usize]| -> usize {
        o.iter()
            .zip(&st)
            .skip(m + 1)
            .map(|(a, b)| a * b)
            .sum::<usize>()
    };
    let mut out = xs.clone();
    let mut block_index = vec![0usize; m];
    if to_batch {
        out[0] = xs[0]
            .checked_mul(g.prod)
            .ok_or_else(|| Error::op_invalid("output batch is too large"))?;
        for i in 0..m {
            let padded = xs[i + 1]
                .checked_add(g.pads[i].0)
                .and_then(|p| p.checked_add(g.pads[i].1))
                .ok_or_else(|| Error::op_invalid("padded shape is too large"))?;
            if padded % g.block[i] != 0 {
                return Err(Error::op_invalid(format!(
                    "padded_shape[{i}]={padded} is not divisible by block_shape[{i}]={}",
                    g.block[i]
                )));
            }
            out[i + 1] = padded / g.block[i];
        }
        let batch = xs[0];
        let map = source_map(&out, x.dtype(), |o| {
            // Output batch = block offset (row-major over the block) * batch + n.
            let mut k = o[0] / batch.max(1);
            for i in (0..m).rev() {
                block_index[i] = k % g.block[i];
                k /= g.block[i];
            }
            let mut off = (o[0] % batch.max(1)) * st[0];
            for i in 0..m {
                let p = o[i + 1] * g.block[i] + block_index[i];
                let c = p.checked_sub(g.pads[i].0).filter(|&c| c < xs[i + 1])?;
                off += c * st[i + 1];
            }
            Some(off + rest_offset(o))
        })?;
        gather(x, &map, &out)
    } else {
        if xs[0] % g.prod != 0 {
            return Err(Error::op_invalid(format!(
                "Input batch dimension ({}) is not divisible by product of block sizes ({})",
                xs[0], g.prod
            )));
        }
        let batch = xs[0] / g.prod;
        out[0] = batch;
        for i in 0..m {
            let full = xs[i + 1]
                .checked_mul(g.block[i])
                .ok_or_else(|| Error::op_invalid("output shape is too large"))?;
            let (a, b) = g.pads[i];
            if a.saturating_add(b) > full {
                return Err(Error::op_invalid(format!(
                    "Cropped size must be non-negative: start: {a} end: {b} size {full}"
                )));
            }
            out[i + 1] = full - a - b;
        }
        let map = source_map(&out, x.dtype(), |o| {
            let mut k = 0usize;
            let mut off = 0usize;
            for i in 0..m {
                let y = o[i + 1] + g.pads[i].0;
                k = k * g.block[i] + y % g.block[i];
                off += (y / g.block[i]) * st[i + 1];
            }
            off += (k * batch + o[0]) * st[0];
            Some(off + rest_offset(o))
        })?;
        gather(x, &map, &out)
    }
}

fn roll_kernel(x: &Value, shift: &Value, axis: &Value) -> Result<Value> {
    if shift.shape().len() > 1 {
        return Err(Error::op_invalid(format!(
            "shift must be a scalar or a 1-D vector. Found: {:?}",
            shift.shape()
        )));
    }
    let (shifts, axes) = (shift.to_i64_vec()?, axis.to_i64_vec()?);
    if shifts.len() != axes.len() || shift.shape() != axis.shape() {
        return Err(Error::op_invalid(format!(
            "shift and axis must have the same size, got {} and {}",
            shifts.len(),
            axes.len()
        )));
    }
    let xs = x.shape().to_vec();
    let rank = xs.len() as i64;
    // Net shift per dimension, reduced modulo its size; repeated axes add up as in TF.
    let mut net = vec![0usize; xs.len()];
    for (&s, &a) in shifts.iter().zip(&axes) {
        let d = if a < 0 { a + rank } else { a };
        if d < 0 || d >= rank {
            return Err(Error::op_invalid(format!("axis {a} is out of range")));
        }
        let d = d as usize;
        let n = xs[d] as i64;
        if n > 0 {
            net[d] = ((net[d] as i64 + s.rem_euclid(n)) % n) as usize;
        }
    }
    let st = strides(&xs);
    let map = source_map(&xs, x.dtype(), |o| {
        Some(
            o.iter()
                .zip(&xs)
                .zip(&net)
                .zip(&st)
                .map(|(((&i, &n), &s), &stride)| ((i + n - s) % n) * stride)
                .sum(),
        )
    })?;
    gather(x, &map, &xs)
}

fn reverse_sequence_kernel(x: &Value, lens: &Value, seq_dim: i64, batch_dim: i64) -> Result<Value> {
    let xs = x.shape().to_vec();
    let (seq, batch) = (seq_dim as usize, batch_dim as usize);
    if seq == batch {
        return Err(Error::op_invalid(format!(
            "batch_dim == seq_dim == {seq_dim}"
        )));
    }
    if seq >= xs.len() || batch >= xs.len() {
        return Err(Error::op_invalid(format!(
            "seq_dim ({seq_dim}) and batch_dim ({batch_dim}) must be < input rank {}",
            xs.len()
        )));
    }
    if lens.shape().len() != 1 {
        return Err(Error::op_invalid(format!(
            "seq_lengths must be 1-dim, not {}",
            lens.shape().len()
        )));
    }
    let l = lens.to_i64_vec()?;
    if l.len() != xs[batch] {
        return Err(Error::op_invalid(format!(
            "Length of seq_lengths != input.dims({batch_dim}), ({} vs. {})",
            l.len(),
            xs[batch]
        )));
    }
    let mut lengths = Vec::with_capacity(l.len());
    for (i, &v) in l.iter().enumerate() {
        if v < 0 {
            return Err(Error::op_invalid(format!("seq_lengths({i}) < 0")));
        }
        if v as usize > xs[seq] {
            return Err(Error::op_invalid(format!(
                "seq_lengths({i}) = {v} > input.dims({seq_dim}) = {}",
                xs[seq]
            )));
        }
        lengths.push(v as usize);
    }
    let st = strides(&xs);
    let map = source_map(&xs, x.dtype(), |o| {
        let len = lengths.get(o[batch]).copied().unwrap_or(0);
        Some(
            o.iter()
                .enumerate()
                .map(|(d, &i)| {
                    let i = if d == seq && i < len { len - 1 - i } else { i };
                    i * st[d]
                })
                .sum(),
        )
    })?;
    gather(x, &map, &xs)
}

/// Element arithmetic of TensorScatterAdd/Sub; integers wrap as TF's kernels do.
trait Combine: Copy {
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
}

macro_rules! combine_float {
    ($($t:ty),*) => {$(
        impl Combine for $t {
            fn add(self, o: Self) -> Self { self + o }
            fn sub(self, o: Self) -> Self { self - o }
        }
    )*};
}
macro_rules! combine_int {
    ($($t:ty),*) => {$(
        impl Combine for $t {
            fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            fn sub(self, o: Self) -> Self { self.wrapping_sub(o) }
        }
    )*};
}
combine_float!(f32, f64);
combine_int!(i8, i16, i32, i64, u8);

fn tensor_scatter_kernel(
    mode: ScatterMode,
    t: &Value,
    indices: &Value,
    u: &Value,
) -> Result<Value> {
    let shape = t.shape().to_vec();
    let (m, rows) = index::nd_rows(indices, &shape, "")
        .map_err(|e| Error::op_invalid(e.to_string().replace(" into  shape", " into shape")))?;
    let is = indices.shape();
    let mut want = is[..is.len().saturating_sub(1)].to_vec();
    want.extend_from_slice(shape.get(m..).unwrap_or(&[]));
    if u.shape() != want.as_slice() {
        return Err(Error::op_invalid(format!(
            "updates.shape {:?} must equal indices.shape[:-1] + tensor.shape[indices.shape[-1]:] {:?}",
            u.shape(),
            want
        )));
    }
    let inner: usize = shape.get(m..).unwrap_or(&[]).iter().product();
    fn apply<T: Clone>(
        t: &Arr<T>,
        u: &Arr<T>,
        rows: &[usize],
        inner: usize,
        f: impl Fn(&T, &T) -> T,
    ) -> Result<Arr<T>> {
        let mut out: Vec<T> = t.iter().cloned().collect();
        let upd = flat(u);
        for (r, &row) in rows.iter().enumerate() {
            for j in 0..inner {
                let (Some(slot), Some(v)) = (out.get_mut(row * inner + j), upd.get(r * inner + j))
                else {
                    return Err(Error::internal("scatter offset past the end"));
                };
                *slot = f(slot, v);
            }
        }
        from_vec(t.shape(), out)
    }
    fn arith<T: Combine>(mode: ScatterMode) -> impl Fn(&T, &T) -> T {
        move |a: &T, b: &T| match mode {
            ScatterMode::Update => *b,
            ScatterMode::Add => a.add(*b),
            ScatterMode::Sub => a.sub(*b),
        }
    }
    let mismatch = || Error::op_invalid("tensor and updates must have the same dtype");
    Ok(match (t, u) {
        (Value::F32(a), Value::F32(b)) => Value::F32(apply(a, b, &rows, inner, arith(mode))?),
        (Value::F64(a), Value::F64(b)) => Value::F64(apply(a, b, &rows, inner, arith(mode))?),
        (Value::I8(a), Value::I8(b)) => Value::I8(apply(a, b, &rows, inner, arith(mode))?),
        (Value::I16(a), Value::I16(b)) => Value::I16(apply(a, b, &rows, inner, arith(mode))?),
        (Value::I32(a), Value::I32(b)) => Value::I32(apply(a, b, &rows, inner, arith(mode))?),
        (Value::I64(a), Value::I64(b)) => Value::I64(apply(a, b, &rows, inner, arith(mode))?),
        (Value::U8(a), Value::U8(b)) => Value::U8(apply(a, b, &rows, inner, arith(mode))?),
        (Value::Bool(a), Value::Bool(b)) if mode == ScatterMode::Update => {
            Value::Bool(apply(a, b, &rows, inner, |_, v| *v)?)
        }
        (Value::Bool(_), Value::Bool(_)) => {
            return Err(Error::op_invalid(
                "TensorScatterAdd/Sub do not support bool",
            ))
        }
        _ => return Err(mismatch()),
    })
}

fn broadcast_args_kernel(s0: &Value, s1: &Value) -> Result<Value> {
    let (a, b) = (s0.to_i64_vec()?, s1.to_i64_vec()?);
    let n = a.len().max(b.len());
    let at = |v: &[i64], i: usize| -> i64 {
        // Right-aligned: missing leading dims are 1.
        (i + v.len())
            .checked_sub(n)
            .and_then(|j| v.get(j).copied())
            .unwrap_or(1)
    };
    let fmt = |v: &[i64]| {
        let parts: Vec<String> = v.iter().map(|d| d.to_string()).collect();
        format!("[{}]", parts.join(","))
    };
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (x, y) = (at(&a, i), at(&b, i));
        out.push(if x == y || y == 1 {
            x
        } else if x == 1 {
            y
        } else {
            return Err(Error::op_invalid(format!(
                "Incompatible shapes: {} vs. {}",
                fmt(&a),
                fmt(&b)
            )));
        });
    }
    Ok(Value::int_vector(s0.dtype(), &out))
}

fn unravel_index_kernel(indices: &Value, dims: &Value) -> Result<Value> {
    if dims.shape().len() != 1 {
        return Err(Error::op_invalid("dims must be a vector"));
    }
    if indices.shape().len() > 1 {
        return Err(Error::op_invalid("indices must be a scalar or a vector"));
    }
    let d = dims.to_i64_vec()?;
    if d.iter().any(|&x| x <= 0) {
        return Err(Error::op_invalid("Input dims must be > 0"));
    }
    let total = d
        .iter()
        .try_fold(1i64, |acc, &x| acc.checked_mul(x))
        .unwrap_or(i64::MAX);
    let idx = indices.to_i64_vec()?;
    let n = idx.len();
    let mut out = vec![0i64; d.len() * n];
    for (j, &v) in idx.iter().enumerate() {
        if v < 0 || v >= total {
            return Err(Error::op_invalid("index is out of bound as with dims"));
        }
        let mut rest = v;
        for (i, &size) in d.iter().enumerate().rev() {
            out[i * n + j] = rest % size;
            rest /= size;
        }
    }
    let shape: Vec<usize> = if indices.shape().is_empty() {
        vec![d.len()]
    } else {
        vec![d.len(), n]
    };
    Value::int_vector(indices.dtype(), &out).reshape(&shape)
}

/// `out[n, i, j, (ki * kc + kj) * depth + d] = x[n, i * sr + ki * rr - pt, j * sc + kj * rc - pl, d]`,
/// zero outside the image.
fn extract_patches_kernel(x: &Value, a: &PatchAttrs) -> Result<Value> {
    let [n, h, w, c] = nhwc(x, "ExtractImagePatches")?;
    let (oh, pt) = a.window(0, h).map_err(Error::op_invalid)?;
    let (ow, pl) = a.window(1, w).map_err(Error::op_invalid)?;
    let [kr, kc] = a.ksizes;
    let depth = c
        .checked_mul(kr)
        .and_then(|v| v.checked_mul(kc))
        .ok_or_else(|| Error::op_invalid("ExtractImagePatches: output depth is too large"))?;
    let out = [n, oh, ow, depth];
    let st = strides(&[n, h, w, c]);
    let map = source_map(&out, x.dtype(), |o| {
        let (k, d) = (o[3] / c, o[3] % c);
        let (ki, kj) = (k / kc, k % kc);
        let row = (o[1] * a.strides[0] + ki * a.rates[0])
            .checked_sub(pt)
            .filter(|&r| r < h)?;
        let col = (o[2] * a.strides[1] + kj * a.rates[1])
            .checked_sub(pl)
            .filter(|&r| r < w)?;
        Some(o[0] * st[0] + row * st[1] + col * st[2] + d)
    })?;
    gather(x, &map, &out)
}

// ===== builders =====

fn add(g: &Graph, op: LayoutOp, inputs: &[Tensor]) -> Result<Tensor> {
    let name = op.type_name();
    g.add1(OpKind::Layout(Box::new(op)), inputs, Some(name))
}

pub fn space_to_depth_op(g: &Graph, x: Tensor, block_size: usize) -> Result<Tensor> {
    add(g, LayoutOp::SpaceToDepth { block_size }, &[x])
}

pub fn depth_to_space_op(g: &Graph, x: Tensor, block_size: usize) -> Result<Tensor> {
    add(g, LayoutOp::DepthToSpace { block_size }, &[x])
}

pub fn space_to_batch_nd(g: &Graph, x: Tensor, block: Tensor, pads: Tensor) -> Result<Tensor> {
    add(g, LayoutOp::SpaceToBatchND, &[x, block, pads])
}

pub fn batch_to_space_nd(g: &Graph, x: Tensor, block: Tensor, crops: Tensor) -> Result<Tensor> {
    add(g, LayoutOp::BatchToSpaceND, &[x, block, crops])
}

pub fn roll(g: &Graph, x: Tensor, shift: Tensor, axis: Tensor) -> Result<Tensor> {
    add(g, LayoutOp::Roll, &[x, shift, axis])
}

pub fn reverse_sequence(
    g: &Graph,
    x: Tensor,
    lens: Tensor,
    seq_dim: i64,
    batch_dim: i64,
) -> Result<Tensor> {
    add(
        g,
        LayoutOp::ReverseSequence { seq_dim, batch_dim },
        &[x, lens],
    )
}

pub fn tensor_scatter(
    g: &Graph,
    mode: ScatterMode,
    t: Tensor,
    indices: Tensor,
    updates: Tensor,
) -> Result<Tensor> {
    add(g, LayoutOp::TensorScatter(mode), &[t, indices, updates])
}

// ===== gradients =====

type GradOut = Result<Vec<Option<Grad>>>;

fn own(ctx: &GradCtx<'_>) -> Result<LayoutOp> {
    match &ctx.kind {
        OpKind::Layout(op) => Ok((**op).clone()),
        other => Err(Error::internal(format!(
            "layout gradient called for {}",
            other.type_name()
        ))),
    }
}

fn dense(t: Tensor) -> Option<Grad> {
    Some(t.into())
}

/// TF's `_SpaceToDepthGrad`: DepthToSpace with the same block size.
fn space_to_depth_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let LayoutOp::SpaceToDepth { block_size } = own(ctx)? else {
        return Err(Error::internal("SpaceToDepth gradient for another op"));
    };
    let grad = ctx.grad(grads, 0)?;
    Ok(vec![dense(depth_to_space_op(ctx.graph, grad, block_size)?)])
}

/// TF's `_DepthToSpaceGrad`: SpaceToDepth with the same block size.
fn depth_to_space_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let LayoutOp::DepthToSpace { block_size } = own(ctx)? else {
        return Err(Error::internal("DepthToSpace gradient for another op"));
    };
    let grad = ctx.grad(grads, 0)?;
    Ok(vec![dense(space_to_depth_op(ctx.graph, grad, block_size)?)])
}

/// TF's `_SpaceToBatchNDGrad`: the opposite op with the same block shape and paddings.
fn space_to_batch_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let grad = ctx.grad(grads, 0)?;
    let gx = batch_to_space_nd(ctx.graph, grad, ctx.input(1)?, ctx.input(2)?)?;
    Ok(vec![dense(gx), None, None])
}

/// TF's `_BatchToSpaceNDGrad`: the opposite op with the same block shape and crops.
fn batch_to_space_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let grad = ctx.grad(grads, 0)?;
    let gx = space_to_batch_nd(ctx.graph, grad, ctx.input(1)?, ctx.input(2)?)?;
    Ok(vec![dense(gx), None, None])
}

/// TF's `_RollGrad`: roll the gradient back by `-shift`.
fn roll_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let back = unary::unary(g, unary::UnaryOp::Neg, ctx.input(1)?, None)?;
    Ok(vec![dense(roll(g, grad, back, ctx.input(2)?)?), None, None])
}

/// TF's `_ReverseSequenceGrad`: the same reversal undoes itself.
fn reverse_sequence_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let LayoutOp::ReverseSequence { seq_dim, batch_dim } = own(ctx)? else {
        return Err(Error::internal("ReverseSequence gradient for another op"));
    };
    let grad = ctx.grad(grads, 0)?;
    let gx = reverse_sequence(ctx.graph, grad, ctx.input(1)?, seq_dim, batch_dim)?;
    Ok(vec![dense(gx), None])
}

/// TF's `_ExtractImagePatchesGrad`: the patches of an image of 1-based positions (0 for
/// padding) name where each patch element came from; `UnsortedSegmentSum` over those
/// positions minus 1 (padding, -1, is dropped) folds the gradient back onto the image. All
/// sizes are read at run time, and every op on the way is differentiable.
fn extract_patches_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    use super::binary::{operator, BinaryOp};
    let LayoutOp::ExtractImagePatches(a) = own(ctx)? else {
        return Err(Error::internal(
            "ExtractImagePatches gradient for another op",
        ));
    };
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let i64_const = |v: i64| source::const_value(g, Value::scalar(v), None);
    let in_dims = array::unstack(
        g,
        array::shape_of(g, ctx.input(0)?, DType::I64, None)?,
        4,
        0,
    )?;
    let out_dims = array::unstack(
        g,
        array::shape_of(g, ctx.output(0), DType::I64, None)?,
        4,
        0,
    )?;
    let [batch, rows, cols, channels] = [in_dims[0], in_dims[1], in_dims[2], in_dims[3]];
    let positions = operator(g, BinaryOp::Mul, rows, cols)?;
    let one_f = source::scalar_const(g, DType::F32, 1.0, None, None)?;
    let limit = array::cast(
        g,
        operator(g, BinaryOp::AddV2, positions, i64_const(1)?)?,
        DType::F32,
    )?;
    let idx = array::range(
        g,
        one_f,
        limit,
        source::scalar_const(g, DType::F32, 1.0, None, None)?,
    )?;
    let one_i = i64_const(1)?;
    let idx = array::reshape_t(g, idx, array::stack(g, &[one_i, rows, cols, one_i], 0)?)?;
    let patched = add(g, LayoutOp::ExtractImagePatches(a.clone()), &[idx])?;
    let patched = array::cast(g, patched, DType::I64)?;
    let [kr, kc] = [
        i64_const(a.ksizes[0] as i64)?,
        i64_const(a.ksizes[1] as i64)?,
    ];
    let six = array::stack(g, &[batch, out_dims[1], out_dims[2], kr, kc, channels], 0)?;
    let expanded = array::transpose(
        g,
        array::reshape_t(g, grad, six)?,
        source::const_ints(g, &[1, 2, 3, 4, 0, 5])?,
    )?;
    let flat_shape = array::stack(
        g,
        &[i64_const(-1)?, operator(g, BinaryOp::Mul, batch, channels)?],
        0,
    )?;
    let flat = array::reshape_t(g, expanded, flat_shape)?;
    let ids = operator(
        g,
        BinaryOp::Sub,
        array::reshape(g, patched, &[-1])?,
        i64_const(1)?,
    )?;
    let summed = index::unsorted_segment_sum(g, flat, ids, positions)?;
    let back = array::reshape_t(
        g,
        summed,
        array::stack(g, &[rows, cols, batch, channels], 0)?,
    )?;
    let gx = array::transpose(g, back, source::const_ints(g, &[2, 0, 1, 3])?)?;
    Ok(vec![dense(gx)])
}

/// TF's `_TensorScatter{Update,Add,Sub}Grad`: the updates' gradient gathers the incoming
/// one at the indices (negated for Sub); the tensor's passes through, with the overwritten
/// positions zeroed for Update.
fn tensor_scatter_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let LayoutOp::TensorScatter(mode) = own(ctx)? else {
        return Err(Error::internal("TensorScatter gradient for another op"));
    };
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let indices = ctx.input(1)?;
    let gathered = index::gather_nd(g, grad, indices)?;
    let tensor_grad = match mode {
        ScatterMode::Update => {
            let passed = array::identity(g, grad)?;
            let zeros = array::zeros_like(g, ctx.input(2)?)?;
            tensor_scatter(g, ScatterMode::Update, passed, indices, zeros)?
        }
        ScatterMode::Add | ScatterMode::Sub => array::identity(g, grad)?,
    };
    let updates_grad = match mode {
        ScatterMode::Sub => unary::unary(g, unary::UnaryOp::Neg, gathered, None)?,
        _ => gathered,
    };
    Ok(vec![dense(tensor_grad), None, dense(updates_grad)])
}
