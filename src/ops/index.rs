//! Indexing ops: gather, gather_nd, scatter_nd, segment sums, strided slices, one_hot.
//!
//! Every kernel here reduces to one of two moves over flat row-major buffers: *take*
//! (output element i is input element `offsets[i]`) or *scatter-add* (input element i is
//! added into output element `offsets[i]`). Each op's work is computing the offsets, with
//! its bounds checks and TF's messages.

use super::{
    array, binary, one, reduce, source, BinaryOp, Family, InferCtx, KernelCtx, OpKind, Outputs,
};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx, IndexedSlices};
use crate::graph::{Graph, Input, Metas, Node, Tensor};
use crate::shape::{Dims, Shape};
use crate::value::{Arr, Value};
use crate::{map_numeric, map_same};
use ndarray::{ArrayD, IxDyn};
use num_traits::Zero;
use smallvec::smallvec;
use std::sync::Arc;

/// The five bit masks of `StridedSlice` / `StridedSliceGrad`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Masks {
    pub begin: i64,
    pub end: i64,
    pub ellipsis: i64,
    pub new_axis: i64,
    pub shrink: i64,
}

impl Masks {
    fn from_attrs(attrs: &Attrs) -> Result<Masks> {
        Ok(Masks {
            begin: attrs.int_or("begin_mask", 0)?,
            end: attrs.int_or("end_mask", 0)?,
            ellipsis: attrs.int_or("ellipsis_mask", 0)?,
            new_axis: attrs.int_or("new_axis_mask", 0)?,
            shrink: attrs.int_or("shrink_axis_mask", 0)?,
        })
    }
    fn push_attrs(&self, out: &mut Vec<(&'static str, AttrValue)>) {
        out.push(("begin_mask", AttrValue::Int(self.begin)));
        out.push(("end_mask", AttrValue::Int(self.end)));
        out.push(("ellipsis_mask", AttrValue::Int(self.ellipsis)));
        out.push(("new_axis_mask", AttrValue::Int(self.new_axis)));
        out.push(("shrink_axis_mask", AttrValue::Int(self.shrink)));
    }
}

/// An op of the indexing family.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexOp {
    GatherV2 {
        batch_dims: i64,
    },
    GatherNd,
    ScatterNd,
    UnsortedSegmentSum,
    StridedSlice(Box<Masks>),
    StridedSliceGrad(Box<Masks>),
    OneHot {
        axis: i64,
    },
    /// `Where(x)`: the coordinates of the true (nonzero) elements, `int64 [num_true, rank]`.
    Where,
}

impl Family for IndexOp {
    fn type_name(&self) -> &'static str {
        match self {
            IndexOp::GatherV2 { .. } => "GatherV2",
            IndexOp::GatherNd => "GatherNd",
            IndexOp::ScatterNd => "ScatterNd",
            IndexOp::UnsortedSegmentSum => "UnsortedSegmentSum",
            IndexOp::StridedSlice(_) => "StridedSlice",
            IndexOp::StridedSliceGrad(_) => "StridedSliceGrad",
            IndexOp::OneHot { .. } => "OneHot",
            IndexOp::Where => "Where",
        }
    }
    fn from_def(op_type: &str, attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        Some(match op_type {
            "GatherV2" => attrs
                .int_or("batch_dims", 0)
                .map(|batch_dims| IndexOp::GatherV2 { batch_dims }),
            "GatherNd" => Ok(IndexOp::GatherNd),
            "ScatterNd" => Ok(IndexOp::ScatterNd),
            "UnsortedSegmentSum" => Ok(IndexOp::UnsortedSegmentSum),
            "StridedSlice" => Masks::from_attrs(attrs).map(|m| IndexOp::StridedSlice(Box::new(m))),
            "StridedSliceGrad" => {
                Masks::from_attrs(attrs).map(|m| IndexOp::StridedSliceGrad(Box::new(m)))
            }
            "OneHot" => attrs
                .int_or("axis", -1)
                .map(|axis| IndexOp::OneHot { axis }),
            "Where" => Ok(IndexOp::Where),
            _ => return None,
        })
    }
    fn attrs(&self, _node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        let mut out: Vec<(&'static str, AttrValue)> = Vec::new();
        let mut t = |name: &'static str, i: usize| {
            if let Some(d) = input_types.get(i) {
                out.push((name, AttrValue::Type(*d)));
            }
        };
        match self {
            IndexOp::GatherV2 { .. } => {
                t("Tparams", 0);
                t("Tindices", 1);
                t("Taxis", 2);
            }
            IndexOp::GatherNd => {
                t("Tparams", 0);
                t("Tindices", 1);
            }
            IndexOp::ScatterNd => {
                t("T", 1);
                t("Tindices", 0);
            }
            IndexOp::UnsortedSegmentSum => {
                t("T", 0);
                t("Tindices", 1);
                t("Tnumsegments", 2);
            }
            IndexOp::StridedSlice(_) => {
                t("T", 0);
                t("Index", 1);
            }
            IndexOp::StridedSliceGrad(_) => {
                t("T", 4);
                t("Index", 0);
            }
            IndexOp::OneHot { .. } => {
                t("T", 2);
                t("TI", 0);
            }
            IndexOp::Where => t("T", 0),
        }
        match self {
            IndexOp::GatherV2 { batch_dims } => {
                out.push(("batch_dims", AttrValue::Int(*batch_dims)))
            }
            IndexOp::StridedSlice(m) | IndexOp::StridedSliceGrad(m) => m.push_attrs(&mut out),
            IndexOp::OneHot { axis } => out.push(("axis", AttrValue::Int(*axis))),
            _ => {}
        }
        out
    }
    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        match self {
            IndexOp::GatherV2 { batch_dims } => infer_gather(ctx, *batch_dims),
            IndexOp::GatherNd => infer_gather_nd(ctx),
            IndexOp::ScatterNd => infer_scatter_nd(ctx),
            IndexOp::UnsortedSegmentSum => infer_segment_sum(ctx),
            IndexOp::StridedSlice(m) => infer_strided_slice(ctx, **m),
            IndexOp::StridedSliceGrad(m) => infer_strided_slice_grad(ctx, **m),
            IndexOp::OneHot { axis } => infer_one_hot(ctx, *axis),
            IndexOp::Where => {
                ctx.expect_inputs(1)?;
                ctx.dtype(0)?;
                let rank = ctx.shape(0)?.rank();
                one(DType::I64, Shape::from_dims(&[None, rank]))
            }
        }
    }
    fn compute(&self, _ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let input = |i: usize| {
            inputs
                .get(i)
                .ok_or_else(|| Error::internal(format!("{} needs input {i}", self.type_name())))
        };
        Ok(smallvec![match self {
            IndexOp::GatherV2 { batch_dims } => {
                gather_kernel(input(0)?, input(1)?, input(2)?, *batch_dims)?
            }
            IndexOp::GatherNd => gather_nd_kernel(input(0)?, input(1)?)?,
            IndexOp::ScatterNd => scatter_nd_kernel(input(0)?, input(1)?, input(2)?)?,
            IndexOp::UnsortedSegmentSum => segment_sum_kernel(input(0)?, input(1)?, input(2)?)?,
            IndexOp::StridedSlice(m) => {
                strided_slice_kernel(input(0)?, input(1)?, input(2)?, input(3)?, **m)?
            }
            IndexOp::StridedSliceGrad(m) => strided_slice_grad_kernel(
                input(0)?,
                input(1)?,
                input(2)?,
                input(3)?,
                input(4)?,
                **m
            )?,
            IndexOp::OneHot { axis } => {
                one_hot_kernel(input(0)?, input(1)?, input(2)?, input(3)?, *axis)?
            }
            IndexOp::Where => where_kernel(input(0)?)?,
        }])
    }
    fn register_gradients(r: &mut GradRegistry) {
        r.builtin("GatherV2", gather_grad);
        r.builtin("GatherNd", gather_nd_grad);
        r.builtin("ScatterNd", scatter_nd_grad);
        r.builtin("UnsortedSegmentSum", segment_sum_grad);
        r.builtin("StridedSlice", strided_slice_grad);
        r.builtin("StridedSliceGrad", strided_slice_grad_grad);
        r.builtin("DynamicStitch", dynamic_stitch_grad);
        r.not_differentiable("OneHot");
        r.not_differentiable("Where");
    }
}

/// `Where(x)`: the row-major coordinates of every element that is true or nonzero (NaN
/// counts as nonzero, as `x != 0` is true for it).
fn where_kernel(x: &Value) -> Result<Value> {
    let dims = x.shape().to_vec();
    let flat_true: Vec<usize> = match x {
        Value::Bool(a) => true_positions(a, |v| *v),
        Value::F16(a) => true_positions(a, |v| *v != half::f16::ZERO),
        Value::F32(a) => true_positions(a, |v| *v != 0.0),
        Value::F64(a) => true_positions(a, |v| *v != 0.0),
        Value::I8(a) => true_positions(a, |v| *v != 0),
        Value::I16(a) => true_positions(a, |v| *v != 0),
        Value::I32(a) => true_positions(a, |v| *v != 0),
        Value::I64(a) => true_positions(a, |v| *v != 0),
        Value::U8(a) => true_positions(a, |v| *v != 0),
        Value::C64(a) => true_positions(a, |v| v.re != 0.0 || v.im != 0.0),
        Value::C128(a) => true_positions(a, |v| v.re != 0.0 || v.im != 0.0),
        Value::Str(_) => return Err(super::strings::rejected("Where")),
    };
    let (rank, count) = (dims.len(), flat_true.len());
    let mut coords: Vec<i64> = Vec::with_capacity(count * rank);
    for mut flat in flat_true {
        let start = coords.len();
        coords.resize(start + rank, 0);
        for (slot, &d) in coords[start..].iter_mut().zip(&dims).rev() {
            *slot = (flat % d) as i64;
            flat /= d;
        }
    }
    Value::from_vec(&[count, rank], coords)
}

fn true_positions<T>(a: &Arr<T>, is_true: impl Fn(&T) -> bool) -> Vec<usize> {
    a.iter()
        .enumerate()
        .filter_map(|(i, v)| is_true(v).then_some(i))
        .collect()
}

// ===== flat-buffer helpers =====

fn flat<T: Clone>(a: &Arr<T>) -> Vec<T> {
    a.iter().cloned().collect()
}

fn build<T: Clone>(shape: &[usize], data: Vec<T>) -> Result<Arr<T>> {
    ArrayD::from_shape_vec(IxDyn(shape), data)
        .map(|a| a.into_shared())
        .map_err(|e| Error::internal(e.to_string()))
}

fn pick<T: Clone>(src: &[T], offsets: &[usize]) -> Result<Vec<T>> {
    offsets
        .iter()
        .map(|&o| {
            src.get(o)
                .cloned()
                .ok_or_else(|| Error::internal("offset past the end of the input"))
        })
        .collect()
}

/// Output element i = input element `offsets[i]`, shaped `shape`.
fn take(v: &Value, offsets: &[usize], shape: &[usize]) -> Result<Value> {
    Ok(map_same!(v, a => build(shape, pick(&flat(a), offsets)?)?))
}

fn add_at<T: Copy + Zero>(src: &[T], offsets: &[Option<usize>], n: usize) -> Result<Vec<T>> {
    let mut out = vec![T::zero(); n];
    for (x, o) in src.iter().zip(offsets) {
        if let Some(o) = o {
            let slot = out
                .get_mut(*o)
                .ok_or_else(|| Error::internal("offset past the end of the output"))?;
            *slot = *slot + *x;
        }
    }
    Ok(out)
}

/// Zeros of `shape` with input element i added at `offsets[i]` (`None`: dropped).
fn scatter_add(v: &Value, offsets: &[Option<usize>], shape: &[usize], op: &str) -> Result<Value> {
    let n: usize = shape.iter().product();
    let err = Error::op_invalid(format!("{op} does not support bool values"));
    Ok(match v {
        Value::C64(a) => Value::C64(build(shape, add_at(&flat(a), offsets, n)?)?),
        Value::C128(a) => Value::C128(build(shape, add_at(&flat(a), offsets, n)?)?),
        _ => map_numeric!(v, err, a => build(shape, add_at(&flat(a), offsets, n)?)?),
    })
}

/// Flat offsets of the cartesian product of per-dimension positions.
fn cartesian(in_shape: &[usize], picks: &[Vec<usize>]) -> Vec<usize> {
    let rank = in_shape.len();
    let mut strides = vec![1usize; rank];
    for i in (0..rank.saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * in_shape[i + 1];
    }
    let mut out = vec![0usize];
    for (d, positions) in picks.iter().enumerate() {
        let mut next = Vec::with_capacity(out.len() * positions.len());
        for &base in &out {
            for &p in positions {
                next.push(base + p * strides[d]);
            }
        }
        out = next;
    }
    out
}

fn fmt_dims(dims: &[usize]) -> String {
    let parts: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(","))
}

/// TF's `SliceDebugString`: the multi-index of flat position `i` in `shape`, as `1,0`.
fn coords(shape: &[usize], mut i: usize) -> String {
    let mut c = vec![0usize; shape.len()];
    for d in (0..shape.len()).rev() {
        if shape[d] > 0 {
            c[d] = i % shape[d];
            i /= shape[d];
        }
    }
    let parts: Vec<String> = c.iter().map(|d| d.to_string()).collect();
    parts.join(",")
}

pub(crate) fn index_type(ctx: &InferCtx<'_>, i: usize, name: &str) -> Result<()> {
    let t = ctx.dtype(i)?;
    if !matches!(t, DType::I32 | DType::I64) {
        return Err(Error::type_error(format!(
            "Value passed to parameter '{name}' has DataType {t} not in list of allowed values: int32, int64"
        )));
    }
    Ok(())
}

fn scalar_int(v: &Value, what: &str) -> Result<i64> {
    let xs = v.to_i64_vec()?;
    match (v.shape().len(), xs.as_slice()) {
        (0, [x]) => Ok(*x),
        _ => Err(Error::op_invalid(format!(
            "{what} must be a scalar, but got shape {}",
            fmt_dims(v.shape())
        ))),
    }
}

// ===== GatherV2 =====

fn normalize(axis: i64, rank: usize, what: &str) -> std::result::Result<usize, String> {
    let r = rank as i64;
    if axis < -r || axis >= r {
        return Err(format!(
            "Expected {what} in the range [{}, {r}), but got {axis}",
            -r
        ));
    }
    Ok(if axis < 0 { axis + r } else { axis } as usize)
}

fn infer_gather(ctx: &InferCtx<'_>, batch_dims: i64) -> Result<Metas> {
    ctx.expect_inputs(3)?;
    index_type(ctx, 1, "indices")?;
    index_type(ctx, 2, "axis")?;
    let dtype = ctx.dtype(0)?;
    let (p, i) = (ctx.shape(0)?.clone(), ctx.shape(1)?.clone());
    let (Some(pd), Some(id)) = (p.dims(), i.dims()) else {
        return one(dtype, Shape::unknown());
    };
    let b = if batch_dims < 0 {
        batch_dims + id.len() as i64
    } else {
        batch_dims
    };
    if b < 0 || b as usize > id.len() {
        return Err(ctx.err(format!(
            "batch_dims must be in the range [{}, {}], but got {batch_dims}",
            -(id.len() as i64),
            id.len()
        )));
    }
    let b = b as usize;
    let axis = match ctx.const_ints(2).as_deref() {
        Some([a]) => normalize(*a, pd.len(), "axis").map_err(|m| ctx.err(m))?,
        _ => {
            // Axis unknown: only the rank is known.
            let rank = (pd.len() + id.len()).saturating_sub(1 + b);
            return one(dtype, Shape::unknown_dims(rank));
        }
    };
    if b > axis {
        return Err(ctx.err(format!(
            "batch_dims ({b}) must be less than or equal to axis ({axis})"
        )));
    }
    let mut dims = Dims::new();
    dims.extend(pd[..axis].iter().copied());
    dims.extend(id[b..].iter().copied());
    dims.extend(pd[axis + 1..].iter().copied());
    one(dtype, Shape(Some(dims)))
}

pub(crate) fn gather_kernel(
    params: &Value,
    indices: &Value,
    axis: &Value,
    batch_dims: i64,
) -> Result<Value> {
    let ps = params.shape();
    let is = indices.shape();
    let axis = normalize(scalar_int(axis, "axis")?, ps.len(), "axis").map_err(Error::op_invalid)?;
    let b = if batch_dims < 0 {
        batch_dims + is.len() as i64
    } else {
        batch_dims
    };
    if b < 0 || b as usize > axis || b as usize > is.len() {
        return Err(Error::op_invalid(format!(
            "batch_dims ({batch_dims}) must be in [0, {}] and at most axis ({axis})",
            is.len()
        )));
    }
    let b = b as usize;
    if ps[..b] != is[..b] {
        return Err(Error::op_invalid(format!(
            "params.shape[:{b}] {} must equal indices.shape[:{b}] {}",
            fmt_dims(&ps[..b]),
            fmt_dims(&is[..b])
        )));
    }
    let ids = indices.to_i64_vec()?;
    let batch: usize = ps[..b].iter().product();
    let outer: usize = ps[b..axis].iter().product();
    let limit = ps[axis];
    let inner: usize = ps[axis + 1..].iter().product();
    let n = ids.len().checked_div(batch).unwrap_or(0);
    let mut offsets = Vec::with_capacity(batch * outer * n * inner);
    for bi in 0..batch {
        for o in 0..outer {
            for j in 0..n {
                let pos = bi * n + j;
                let idx = ids[pos];
                if idx < 0 || idx as usize >= limit {
                    return Err(Error::op_invalid(format!(
                        "indices[{}] = {idx} is not in [0, {limit})",
                        coords(is, pos)
                    )));
                }
                let base = ((bi * outer + o) * limit + idx as usize) * inner;
                offsets.extend(base..base + inner);
            }
        }
    }
    // With an empty outer part the indices are still checked, as TF does.
    if batch * outer == 0 {
        if let Some((pos, idx)) = ids
            .iter()
            .enumerate()
            .find(|(_, &x)| x < 0 || x as usize >= limit)
        {
            return Err(Error::op_invalid(format!(
                "indices[{}] = {idx} is not in [0, {limit})",
                coords(is, pos)
            )));
        }
    }
    let mut shape: Vec<usize> = ps[..axis].to_vec();
    shape.extend_from_slice(&is[b..]);
    shape.extend_from_slice(&ps[axis + 1..]);
    take(params, &offsets, &shape)
}

// ===== GatherNd / ScatterNd =====

fn infer_gather_nd(ctx: &InferCtx<'_>) -> Result<Metas> {
    ctx.expect_inputs(2)?;
    index_type(ctx, 1, "indices")?;
    let dtype = ctx.dtype(0)?;
    let (p, i) = (ctx.shape(0)?.clone(), ctx.shape(1)?.clone());
    let (Some(pd), Some(id)) = (p.dims(), i.dims()) else {
        return one(dtype, Shape::unknown());
    };
    let Some((last, batch)) = id.split_last() else {
        return Err(ctx.err("indices must be at least a vector, got a scalar"));
    };
    let Some(m) = last else {
        return one(dtype, Shape::unknown());
    };
    if *m > pd.len() {
        return Err(ctx.err(format!(
            "indices.shape[-1] must be <= params.rank, but saw indices shape: {i} and params shape: {p}"
        )));
    }
    let mut dims: Dims = batch.iter().copied().collect();
    dims.extend(pd[*m..].iter().copied());
    one(dtype, Shape(Some(dims)))
}

/// Row offsets into the first `m` dims of `shape` for each index tuple in `indices`.
pub(super) fn nd_rows(indices: &Value, shape: &[usize], what: &str) -> Result<(usize, Vec<usize>)> {
    let is = indices.shape();
    let Some((&m, batch)) = is.split_last() else {
        return Err(Error::op_invalid(
            "indices must be at least a vector, got a scalar",
        ));
    };
    if m > shape.len() {
        return Err(Error::op_invalid(format!(
            "index innermost dimension length must be <= {what} rank; saw: {m} vs. {}",
            shape.len()
        )));
    }
    let ids = indices.to_i64_vec()?;
    let rows: usize = batch.iter().product();
    let mut out = Vec::with_capacity(rows);
    for r in 0..rows {
        let tuple = &ids[r * m..(r + 1) * m];
        let mut off = 0usize;
        for (d, &x) in tuple.iter().enumerate() {
            if x < 0 || x as usize >= shape[d] {
                let t: Vec<String> = tuple.iter().map(|v| v.to_string()).collect();
                return Err(Error::op_invalid(format!(
                    "indices[{}] = [{}] does not index into {what} shape {}",
                    coords(batch, r),
                    t.join(", "),
                    fmt_dims(shape)
                )));
            }
            off = off * shape[d] + x as usize;
        }
        out.push(off);
    }
    Ok((m, out))
}

fn gather_nd_kernel(params: &Value, indices: &Value) -> Result<Value> {
    let ps = params.shape();
    let (m, rows) = nd_rows(indices, ps, "param")?;
    let inner: usize = ps[m..].iter().product();
    let offsets: Vec<usize> = rows
        .iter()
        .flat_map(|&r| r * inner..(r + 1) * inner)
        .collect();
    let is = indices.shape();
    let mut shape = is[..is.len() - 1].to_vec();
    shape.extend_from_slice(&ps[m..]);
    take(params, &offsets, &shape)
}

fn infer_scatter_nd(ctx: &InferCtx<'_>) -> Result<Metas> {
    ctx.expect_inputs(3)?;
    index_type(ctx, 0, "indices")?;
    let dtype = ctx.dtype(1)?;
    if ctx.dtype(2)? != ctx.dtype(0)? {
        return Err(Error::type_error(format!(
            "Input 'shape' of 'ScatterNd' Op has type {} that does not match type {} of argument 'indices'.",
            ctx.dtype(2)?,
            ctx.dtype(0)?
        )));
    }
    let shape = match ctx.const_ints(2) {
        Some(v) => {
            if v.iter().any(|&d| d < 0) {
                return Err(ctx.err(format!("Negative dimension in shape {v:?}")));
            }
            Shape(Some(v.iter().map(|&d| Some(d as usize)).collect()))
        }
        None => match ctx.shape(2)?.dim(0) {
            Some(n) => Shape::unknown_dims(n),
            None => Shape::unknown(),
        },
    };
    one(dtype, shape)
}

fn scatter_nd_kernel(indices: &Value, updates: &Value, shape: &Value) -> Result<Value> {
    let dims = shape.to_i64_vec()?;
    if dims.iter().any(|&d| d < 0) {
        return Err(Error::op_invalid(format!(
            "Negative dimension in shape {dims:?}"
        )));
    }
    let out_shape: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
    let (m, rows) = nd_rows(indices, &out_shape, "")
        .map_err(|e| Error::op_invalid(e.to_string().replace(" into  shape", " into shape")))?;
    let is = indices.shape();
    let mut want = is[..is.len() - 1].to_vec();
    want.extend_from_slice(&out_shape[m..]);
    if updates.shape() != want.as_slice() {
        return Err(Error::op_invalid(format!(
            "updates.shape {} must equal indices.shape[:-1] + shape[indices.shape[-1]:] {}",
            fmt_dims(updates.shape()),
            fmt_dims(&want)
        )));
    }
    let inner: usize = out_shape[m..].iter().product();
    let offsets: Vec<Option<usize>> = rows
        .iter()
        .flat_map(|&r| (r * inner..(r + 1) * inner).map(Some))
        .collect();
    scatter_add(updates, &offsets, &out_shape, "ScatterNd")
}

// ===== UnsortedSegmentSum =====

pub(crate) fn infer_segment_sum(ctx: &InferCtx<'_>) -> Result<Metas> {
    ctx.expect_inputs(3)?;
    index_type(ctx, 1, "segment_ids")?;
    index_type(ctx, 2, "num_segments")?;
    let dtype = ctx.dtype(0)?;
    if dtype == DType::Bool {
        return Err(Error::type_error(
            "Value passed to parameter 'data' has DataType bool not in list of allowed values: numeric types",
        ));
    }
    let (d, s) = (ctx.shape(0)?.clone(), ctx.shape(1)?.clone());
    if let Some(r) = ctx.shape(2)?.rank() {
        if r != 0 {
            return Err(ctx.err(format!("Shape must be rank 0 but is rank {r}")));
        }
    }
    let n = match ctx.const_ints(2).as_deref() {
        Some([n]) if *n < 0 => {
            return Err(ctx.err(format!("num_segments must be non-negative, got {n}")))
        }
        Some([n]) => Some(*n as usize),
        _ => None,
    };
    let (Some(dd), Some(sd)) = (d.dims(), s.dims()) else {
        return one(dtype, Shape::unknown());
    };
    if sd.len() > dd.len() {
        return Err(ctx.err(format!(
            "Shape must be at least rank {} but is rank {}",
            sd.len(),
            dd.len()
        )));
    }
    if !Shape::from_dims(&dd[..sd.len()]).is_compatible_with(&s) {
        return Err(ctx.err(format!(
            "data.shape = {d} does not start with segment_ids.shape = {s}"
        )));
    }
    let mut dims: Dims = smallvec![n];
    dims.extend(dd[sd.len()..].iter().copied());
    one(dtype, Shape(Some(dims)))
}

/// The output row of each id of an unsorted segment op (`None`: a negative id, dropped as
/// TF's kernels do) and the number of segments, with TF's checks.
pub(crate) fn segment_rows(
    data: &Value,
    ids: &Value,
    num: &Value,
) -> Result<(Vec<Option<usize>>, usize)> {
    let n = scalar_int(num, "num_segments")?;
    if n < 0 {
        return Err(Error::op_invalid(format!(
            "num_segments must be non-negative, got {n}"
        )));
    }
    let (ds, ss) = (data.shape(), ids.shape());
    if ss.len() > ds.len() || ds[..ss.len()] != *ss {
        return Err(Error::op_invalid(format!(
            "data.shape = {} does not start with segment_ids.shape = {}",
            fmt_dims(ds),
            fmt_dims(ss)
        )));
    }
    let seg = ids.to_i64_vec()?;
    let mut rows = Vec::with_capacity(seg.len());
    for (pos, &s) in seg.iter().enumerate() {
        if s >= n {
            return Err(Error::op_invalid(format!(
                "segment_ids[{}] = {s} is out of range [0, {n})",
                coords(ss, pos)
            )));
        }
        rows.push((s >= 0).then_some(s as usize));
    }
    Ok((rows, n as usize))
}

fn segment_sum_kernel(data: &Value, ids: &Value, num: &Value) -> Result<Value> {
    let (rows, n) = segment_rows(data, ids, num)?;
    let ds = data.shape();
    let lead = ids.shape().len();
    let inner: usize = ds[lead..].iter().product();
    let offsets: Vec<Option<usize>> = rows
        .iter()
        .flat_map(|r| (0..inner).map(move |k| r.map(|b| b * inner + k)))
        .collect();
    let mut shape = vec![n];
    shape.extend_from_slice(&ds[lead..]);
    scatter_add(data, &offsets, &shape, "UnsortedSegmentSum")
}

// ===== StridedSlice =====

/// Where a final output dimension comes from.
#[derive(Debug, Clone, Copy)]
enum Pos {
    Dense(usize),
    NewAxis,
    Shrink,
}

/// One input dimension of the dense spec: which sparse entry gives its begin/end/stride
/// (`None`: filled by the ellipsis, the full range).
#[derive(Debug, Clone, Copy)]
struct DenseDim {
    src: Option<usize>,
    begin_masked: bool,
    end_masked: bool,
    shrink: bool,
}

fn bit(mask: i64, i: usize) -> bool {
    i < 63 && (mask >> i) & 1 == 1
}

/// TF's `BuildDenseSpec`: expands the ellipsis (implicit at the end when absent) and
/// separates new axes from input dimensions.
fn dense_spec(
    rank: usize,
    n: usize,
    m: Masks,
) -> std::result::Result<(Vec<DenseDim>, Vec<Pos>), String> {
    if m.ellipsis.count_ones() > 1 {
        return Err("Multiple ellipses in slice spec not allowed".into());
    }
    let explicit = (0..n).any(|i| bit(m.ellipsis, i));
    let n_eff = if explicit { n } else { n + 1 };
    let mut dense = Vec::with_capacity(rank);
    let mut gather = Vec::with_capacity(n_eff + rank);
    let mut full = 0usize;
    for i in 0..n_eff {
        let is_ellipsis = if explicit { bit(m.ellipsis, i) } else { i == n };
        if is_ellipsis {
            let new_after = (i + 1..n).filter(|&j| bit(m.new_axis, j)).count() as i64;
            let next = (rank as i64 - (n_eff as i64 - i as i64) + 1 + new_after).min(rank as i64);
            while (full as i64) < next {
                dense.push(DenseDim {
                    src: None,
                    begin_masked: true,
                    end_masked: true,
                    shrink: false,
                });
                gather.push(Pos::Dense(full));
                full += 1;
            }
        } else if bit(m.new_axis, i) {
            gather.push(Pos::NewAxis);
        } else {
            if full >= rank {
                return Err(format!(
                    "Index out of range using input dim {full}; input has only {rank} dims"
                ));
            }
            let shrink = bit(m.shrink, i);
            dense.push(DenseDim {
                src: Some(i),
                begin_masked: bit(m.begin, i),
                end_masked: bit(m.end, i),
                shrink,
            });
            gather.push(if shrink {
                Pos::Shrink
            } else {
                Pos::Dense(full)
            });
            full += 1;
        }
    }
    Ok((dense, gather))
}

/// One dimension's (begin, stride, size), as TF canonicalizes it.
fn resolve(
    dim: i64,
    b: i64,
    e: i64,
    s: i64,
    d: &DenseDim,
    i: usize,
) -> std::result::Result<(i64, i64, usize), String> {
    if s == 0 {
        return Err(format!("strides[{i}] must be non-zero"));
    }
    if d.shrink {
        if s <= 0 {
            return Err("only stride 1 allowed on non-range indexing.".into());
        }
        let x = if b < 0 { dim + b } else { b };
        if x < 0 || x >= dim {
            return Err(format!("slice index {b} of dimension {i} out of bounds."));
        }
        return Ok((x, 1, 1));
    }
    let canon = |x: i64, is_end: bool, masked: bool| {
        if masked {
            match (s > 0, is_end) {
                (true, false) => 0,
                (true, true) => dim,
                (false, false) => dim - 1,
                (false, true) => -1,
            }
        } else {
            let x = if x < 0 { dim + x } else { x };
            if s > 0 {
                x.clamp(0, dim)
            } else {
                x.clamp(-1, dim - 1)
            }
        }
    };
    let begin = canon(b, false, d.begin_masked);
    let end = canon(e, true, d.end_masked);
    let interval = end - begin;
    let size = if interval == 0 || (interval > 0) != (s > 0) {
        0
    } else {
        interval.unsigned_abs().div_ceil(s.unsigned_abs()) as usize
    };
    Ok((begin, s, size))
}

/// The per-input-dimension ranges and the final output shape of a strided slice.
struct Plan {
    ranges: Vec<(i64, i64, usize)>,
    processing: Vec<usize>,
    final_shape: Vec<usize>,
}

fn plan(shape: &[usize], begin: &Value, end: &Value, strides: &Value, m: Masks) -> Result<Plan> {
    let (b, e, s) = (
        begin.to_i64_vec()?,
        end.to_i64_vec()?,
        strides.to_i64_vec()?,
    );
    if begin.shape().len() != 1 || b.len() != e.len() || b.len() != s.len() {
        return Err(Error::op_invalid(format!(
            "Expected begin, end, and strides to be 1D equal size tensors, but got shapes {}, {}, and {} instead.",
            fmt_dims(begin.shape()),
            fmt_dims(end.shape()),
            fmt_dims(strides.shape())
        )));
    }
    let (dense, gather) = dense_spec(shape.len(), b.len(), m).map_err(Error::op_invalid)?;
    let mut ranges = Vec::with_capacity(dense.len());
    for (i, d) in dense.iter().enumerate() {
        let dim = shape.get(i).copied().unwrap_or(0) as i64;
        let (bb, ee, ss) = match d.src {
            Some(k) => (b[k], e[k], s[k]),
            None => (0, 0, 1),
        };
        ranges.push(resolve(dim, bb, ee, ss, d, i).map_err(Error::op_invalid)?);
    }
    let processing: Vec<usize> = ranges.iter().map(|r| r.2).collect();
    let final_shape = gather
        .iter()
        .filter_map(|p| match p {
            Pos::Dense(i) => Some(processing[*i]),
            Pos::NewAxis => Some(1),
            Pos::Shrink => None,
        })
        .collect();
    Ok(Plan {
        ranges,
        processing,
        final_shape,
    })
}

fn plan_offsets(shape: &[usize], p: &Plan) -> Vec<usize> {
    let picks: Vec<Vec<usize>> = p
        .ranges
        .iter()
        .map(|&(b, s, n)| (0..n as i64).map(|k| (b + k * s) as usize).collect())
        .collect();
    cartesian(shape, &picks)
}

fn strided_slice_kernel(
    x: &Value,
    begin: &Value,
    end: &Value,
    strides: &Value,
    m: Masks,
) -> Result<Value> {
    let p = plan(x.shape(), begin, end, strides, m)?;
    let offsets = plan_offsets(x.shape(), &p);
    take(x, &offsets, &p.final_shape)
}

fn strided_slice_grad_kernel(
    shape: &Value,
    begin: &Value,
    end: &Value,
    strides: &Value,
    dy: &Value,
    m: Masks,
) -> Result<Value> {
    let dims = shape.to_i64_vec()?;
    if dims.iter().any(|&d| d < 0) {
        return Err(Error::op_invalid(format!(
            "Negative dimension in shape {dims:?}"
        )));
    }
    let out_shape: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
    let p = plan(&out_shape, begin, end, strides, m)?;
    if dy.shape() != p.final_shape.as_slice() {
        return Err(Error::op_invalid(format!(
            "shape of dy was {} instead of {}",
            fmt_dims(dy.shape()),
            fmt_dims(&p.final_shape)
        )));
    }
    let _ = &p.processing;
    let offsets: Vec<Option<usize>> = plan_offsets(&out_shape, &p).into_iter().map(Some).collect();
    scatter_add(dy, &offsets, &out_shape, "StridedSliceGrad")
}

/// The static output shape of a strided slice of `x` (dims may be unknown).
fn static_strided(ctx: &InferCtx<'_>, x: &Shape, first: usize, m: Masks) -> Result<Shape> {
    for (k, name) in [(first, "begin"), (first + 1, "end"), (first + 2, "strides")] {
        index_type(ctx, k, name)?;
        if let Some(r) = ctx.shape(k)?.rank() {
            if r != 1 {
                return Err(ctx.err(format!("Shape must be rank 1 but is rank {r}")));
            }
        }
    }
    let (b, e, s) = (
        ctx.const_ints(first),
        ctx.const_ints(first + 1),
        ctx.const_ints(first + 2),
    );
    let n = [first, first + 1, first + 2]
        .iter()
        .find_map(|&k| ctx.shape(k).ok().and_then(|s| s.dim(0)))
        .or(b.as_ref().map(Vec::len));
    let (Some(n), Some(xd)) = (n, x.dims()) else {
        return Ok(Shape::unknown());
    };
    let (dense, gather) = dense_spec(xd.len(), n, m).map_err(|msg| ctx.err(msg))?;
    let mut processing: Vec<Option<usize>> = Vec::with_capacity(dense.len());
    for (i, d) in dense.iter().enumerate() {
        let known = match d.src {
            None => Some((0, 0, 1)),
            Some(k) => {
                let get = |v: &Option<Vec<i64>>, masked: bool| {
                    if masked {
                        Some(0)
                    } else {
                        v.as_ref().and_then(|v| v.get(k).copied())
                    }
                };
                match (
                    get(&b, d.begin_masked && !d.shrink),
                    get(&e, d.end_masked || d.shrink),
                    s.as_ref().and_then(|v| v.get(k).copied()),
                ) {
                    (Some(bb), Some(ee), Some(ss)) => Some((bb, ee, ss)),
                    _ => None,
                }
            }
        };
        processing.push(match (known, xd.get(i).copied().flatten()) {
            (Some((bb, ee, ss)), Some(dim)) => Some(
                resolve(dim as i64, bb, ee, ss, d, i)
                    .map_err(|msg| ctx.err(msg))?
                    .2,
            ),
            (Some((_, _, 0)), None) => {
                return Err(ctx.err(format!("strides[{i}] must be non-zero")))
            }
            _ if d.shrink => Some(1),
            _ => None,
        });
    }
    Ok(Shape(Some(
        gather
            .iter()
            .filter_map(|p| match p {
                Pos::Dense(i) => Some(processing[*i]),
                Pos::NewAxis => Some(Some(1)),
                Pos::Shrink => None,
            })
            .collect(),
    )))
}

fn infer_strided_slice(ctx: &InferCtx<'_>, m: Masks) -> Result<Metas> {
    ctx.expect_inputs(4)?;
    let x = ctx.shape(0)?.clone();
    let shape = static_strided(ctx, &x, 1, m)?;
    one(ctx.dtype(0)?, shape)
}

fn infer_strided_slice_grad(ctx: &InferCtx<'_>, m: Masks) -> Result<Metas> {
    ctx.expect_inputs(5)?;
    index_type(ctx, 0, "shape")?;
    let shape = match ctx.const_ints(0) {
        Some(v) => Shape(Some(v.iter().map(|&d| usize::try_from(d).ok()).collect())),
        None => match ctx.shape(0)?.dim(0) {
            Some(n) => Shape::unknown_dims(n),
            None => Shape::unknown(),
        },
    };
    // Checks the spec (and its errors) against the output shape.
    static_strided(ctx, &shape, 1, m)?;
    one(ctx.dtype(4)?, shape)
}

// ===== OneHot =====

fn infer_one_hot(ctx: &InferCtx<'_>, axis: i64) -> Result<Metas> {
    ctx.expect_inputs(4)?;
    let ti = ctx.dtype(0)?;
    if !matches!(ti, DType::U8 | DType::I32 | DType::I64) {
        return Err(Error::type_error(format!(
            "Value passed to parameter 'indices' has DataType {ti} not in list of allowed values: uint8, int32, int64"
        )));
    }
    let dtype = ctx.same_dtype("OneHot", 2, 3, ("on_value", "off_value"))?;
    let Some(id) = ctx.shape(0)?.dims().map(|d| d.to_vec()) else {
        return one(dtype, Shape::unknown());
    };
    if axis < -1 || axis > id.len() as i64 {
        return Err(ctx.err(format!(
            "Expected axis to be -1 or between [0, {}).  But received: {axis}",
            id.len() + 1
        )));
    }
    let depth = match ctx.const_ints(1).as_deref() {
        Some([d]) if *d < 0 => return Err(ctx.err(format!("depth must be non-negative, got: {d}"))),
        Some([d]) => Some(*d as usize),
        _ => None,
    };
    let at = if axis == -1 { id.len() } else { axis as usize };
    let mut dims: Dims = id.into_iter().collect();
    dims.insert(at, depth);
    one(dtype, Shape(Some(dims)))
}

fn one_hot_typed<T: crate::value::Fixed>(
    on: &Arr<T>,
    off: &Value,
    selector: &[usize],
    shape: &[usize],
) -> Result<Arr<T>> {
    let off = T::unwrap_ref(off)
        .ok_or_else(|| Error::op_invalid("on_value and off_value must have one dtype"))?;
    let (Some(on), Some(off)) = (on.iter().next(), off.iter().next()) else {
        return Err(Error::op_invalid("on_value and off_value must be scalars"));
    };
    build(shape, pick(&[*off, *on], selector)?)
}

fn one_hot_kernel(
    indices: &Value,
    depth: &Value,
    on: &Value,
    off: &Value,
    axis: i64,
) -> Result<Value> {
    let d = scalar_int(depth, "depth")?;
    if d < 0 {
        return Err(Error::op_invalid(format!(
            "indices must be non-negative, got: {d}"
        )));
    }
    if on.len() != 1 || off.len() != 1 {
        return Err(Error::op_invalid("on_value and off_value must be scalars"));
    }
    let d = d as usize;
    let is = indices.shape();
    let at = if axis == -1 { is.len() } else { axis as usize }.min(is.len());
    let ids = indices.to_i64_vec()?;
    let mut shape = is.to_vec();
    shape.insert(at, d);
    // The selector holds one usize per output element.
    Value::check_allocation(DType::I64, &shape)?;
    let outer: usize = is[..at].iter().product();
    let inner: usize = is[at..].iter().product();
    let mut selector = Vec::with_capacity(outer * d * inner);
    for o in 0..outer {
        for j in 0..d {
            for k in 0..inner {
                selector.push(usize::from(ids[o * inner + k] == j as i64));
            }
        }
    }
    Ok(
        crate::map_fixed!(on, super::strings::rejected("OneHot"), a => one_hot_typed(a, off, &selector, &shape)?),
    )
}

/// The value of a small integer strided slice of a constant (TF's shape inference evaluates
/// such subgraphs, e.g. `shape[1:]` or `dense_shape[0]`).
pub(crate) fn fold(
    graph: &crate::graph::GraphData,
    op: &IndexOp,
    node: &Node,
    t: Tensor,
) -> Option<Value> {
    let IndexOp::StridedSlice(m) = op else {
        return None;
    };
    if t.index != 0 || !matches!(graph.output_meta(node, 0)?.dtype, DType::I32 | DType::I64) {
        return None;
    }
    // One level only: a slice of a slice is not folded, so folding never recurses deeply.
    let src = graph.node(node.inputs.first()?.node)?;
    if matches!(src.op, OpKind::Index(_)) {
        return None;
    }
    let mut vals = Vec::with_capacity(4);
    for x in &node.inputs {
        let v = graph.constant_value(*x)?;
        if v.len() > 64 {
            return None;
        }
        vals.push(v);
    }
    match vals.as_slice() {
        [x, b, e, s] => strided_slice_kernel(x, b, e, s, **m).ok(),
        _ => None,
    }
}

// ===== builders =====

fn int_scalar(dtype: DType, x: i64) -> Result<Value> {
    Value::int_vector(dtype, &[x]).reshape(&[])
}

/// `GatherV2(params, indices, axis)` with a constant axis, named as TF's `gather`.
pub fn gather(g: &Graph, params: Tensor, indices: Tensor, axis: i64) -> Result<Tensor> {
    Ok(g.add_with_consts(
        OpKind::Index(IndexOp::GatherV2 { batch_dims: 0 }),
        &[
            params.into(),
            indices.into(),
            Input::constant("axis", int_scalar(DType::I32, axis)?),
        ],
        Some("GatherV2"),
    )?
    .output(0))
}

/// `Where(condition)`: the coordinates of the true elements.
pub fn where_true(g: &Graph, condition: Tensor) -> Result<Tensor> {
    g.add1(OpKind::Index(IndexOp::Where), &[condition], Some("Where"))
}

pub fn gather_nd(g: &Graph, params: Tensor, indices: Tensor) -> Result<Tensor> {
    g.add1(
        OpKind::Index(IndexOp::GatherNd),
        &[params, indices],
        Some("GatherNd"),
    )
}

pub fn scatter_nd(g: &Graph, indices: Tensor, updates: Tensor, shape: Tensor) -> Result<Tensor> {
    g.add1(
        OpKind::Index(IndexOp::ScatterNd),
        &[indices, updates, shape],
        Some("ScatterNd"),
    )
}

pub fn unsorted_segment_sum(g: &Graph, data: Tensor, ids: Tensor, num: Tensor) -> Result<Tensor> {
    g.add1(
        OpKind::Index(IndexOp::UnsortedSegmentSum),
        &[data, ids, num],
        Some("UnsortedSegmentSum"),
    )
}

/// A strided slice whose begin/end/strides may be constants (TF's `strided_slice/stack*`).
pub fn strided_slice(
    g: &Graph,
    x: Tensor,
    begin: Input,
    end: Input,
    strides: Input,
    m: Masks,
) -> Result<Tensor> {
    let (scope, previous) = g.enter_name_scope(Some("strided_slice"));
    let r = (|| {
        let mut ts = Vec::with_capacity(3);
        for (input, name) in [(begin, "stack"), (end, "stack_1"), (strides, "stack_2")] {
            ts.push(match input {
                Input::Tensor(t) => t,
                Input::Const(_, v) => source::const_value(g, Arc::unwrap_or_clone(v), Some(name))?,
            });
        }
        g.add1(
            OpKind::Index(IndexOp::StridedSlice(Box::new(m))),
            &[x, ts[0], ts[1], ts[2]],
            Some(&scope),
        )
    })();
    g.set_name_scope(&previous);
    r
}

/// `shape[lo:hi]` (or `shape[lo:]` with `hi = None`) of a 1-D int32 tensor.
pub(crate) fn vector_slice(g: &Graph, v: Tensor, lo: i64, hi: Option<i64>) -> Result<Tensor> {
    let c = |x: i64| Input::constant("", Value::int_vector(DType::I32, &[x]));
    let m = Masks {
        end: i64::from(hi.is_none()),
        ..Masks::default()
    };
    strided_slice(g, v, c(lo), c(hi.unwrap_or(0)), c(1), m)
}

/// `v[i]` of a 1-D int32 tensor.
fn vector_elem(g: &Graph, v: Tensor, i: i64) -> Result<Tensor> {
    let c = |x: i64| Input::constant("", Value::int_vector(DType::I32, &[x]));
    let m = Masks {
        shrink: 1,
        ..Masks::default()
    };
    strided_slice(g, v, c(i), c(i + 1), c(1), m)
}

/// Densifies an IndexedSlices as TF's `_indexed_slices_to_tensor`:
/// `UnsortedSegmentSum(values, indices, dense_shape[0])`.
pub fn densify_slices(
    g: &Graph,
    values: Tensor,
    indices: Tensor,
    dense_shape: Tensor,
) -> Result<Tensor> {
    densify_slices_named(g, values, indices, dense_shape, "UnsortedSegmentSum")
}

/// `densify_slices` with the sum named `name` (TF names a converted op input after the
/// argument, `inputs_<i>`).
pub fn densify_slices_named(
    g: &Graph,
    values: Tensor,
    indices: Tensor,
    dense_shape: Tensor,
    name: &str,
) -> Result<Tensor> {
    let rows = vector_elem(g, dense_shape, 0)?;
    g.add1(
        OpKind::Index(IndexOp::UnsortedSegmentSum),
        &[values, indices, rows],
        Some(name),
    )
}

pub(crate) fn concat_ints(g: &Graph, parts: &[Tensor]) -> Result<Tensor> {
    array::concat(g, parts, 0)
}

// ===== gradients =====

type GradOut = Result<Vec<Option<Grad>>>;

/// TF's `_GatherV2Grad`: an IndexedSlices for axis 0 without batch dims, else a dense
/// `UnsortedSegmentSum` over the gathered axis moved to the front.
fn gather_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let (params, indices, axis) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
    let batch_dims = match &ctx.kind {
        OpKind::Index(IndexOp::GatherV2 { batch_dims }) => *batch_dims,
        _ => return Err(Error::internal("GatherV2 gradient on another op")),
    };
    let grad = ctx.grad(grads, 0)?;
    g.push_colocation(Some(params.op()), false)?;
    let params_shape = array::shape_of(g, params, DType::I32, None);
    g.pop_colocation();
    let params_shape = params_shape?;
    // TF folds `size(indices)` to a constant when the shape is static.
    let size = match g.shape(indices)?.num_elements() {
        Some(n) => source::const_value(g, int_scalar(DType::I32, n as i64)?, Some("Size"))?,
        None => array::size(g, indices, DType::I32)?,
    };
    let indices_size = array::expand_dims(g, size, 0)?;
    let axis_static = g
        .read()
        .constant_value(axis)
        .and_then(|v| v.to_i64_vec().ok());
    let indices_rank = g.shape(indices)?.rank();
    let b = if batch_dims < 0 {
        match indices_rank {
            Some(r) => batch_dims + r as i64,
            None => {
                return Err(Error::invalid(
                    "Currently, it is unsupported to take the gradient of tf.gather when batch_dims < 0 and the rank of the indices is unknown. Please pass a positive batch_dims or use tf.ensure_shape to update the shape of indices when calling tf.gather.",
                ))
            }
        }
    } else {
        batch_dims
    };
    if axis_static.as_deref() == Some(&[0]) {
        let tail = vector_slice(g, params_shape, 1, None)?;
        let values_shape = concat_ints(g, &[indices_size, tail])?;
        let values = array::reshape_t(g, grad, values_shape)?;
        let flat_indices = array::reshape_t(g, indices, indices_size)?;
        return Ok(vec![
            Some(Grad::Sparse(IndexedSlices {
                values,
                indices: flat_indices,
                dense_shape: Some(params_shape),
            })),
            None,
            None,
        ]);
    }
    let (Some([a]), Some(r)) = (axis_static.as_deref(), g.shape(params)?.rank()) else {
        if b != 0 {
            return Err(Error::unimplemented(
                "symgrad differentiates GatherV2 with batch_dims along a non-constant axis only when params has a known rank",
            ));
        }
        let out = gather_grad_dynamic_axis(g, grad, params_shape, indices, indices_size, axis)?;
        return Ok(vec![Some(Grad::Dense(out)), None, None]);
    };
    let r = r as i64;
    let a = if *a < 0 { a + r } else { *a };
    let b_u = b as usize;
    let a_u = a as usize;
    // values: grad with the gathered dims collapsed to one at position `a`.
    let outer = vector_slice(g, params_shape, 0, Some(a))?;
    let inner = vector_slice(g, params_shape, a + 1, None)?;
    let minus_one = source::const_value(g, Value::int_vector(DType::I32, &[-1]), None)?;
    let values_shape = concat_ints(g, &[outer, minus_one, inner])?;
    let values = array::reshape_t(g, grad, values_shape)?;
    // Move the gathered axis to position b (after the batch dims).
    let perm: Vec<i64> = (0..b)
        .chain(std::iter::once(a))
        .chain(b..a)
        .chain(a + 1..r)
        .collect();
    let perm_t = source::const_ints(g, &perm)?;
    let values_t = array::transpose(g, values, perm_t)?;
    let shape_t = gather(g, params_shape, perm_t, 0)?;
    let limit = vector_elem(g, params_shape, a)?;
    let summed = if b_u == 0 {
        let ids = array::reshape(g, indices, &[-1])?;
        unsorted_segment_sum(g, values_t, ids, limit)?
    } else {
        // Batch dims: offset each batch's indices by batch * limit, flatten the batches.
        let batch_shape = vector_slice(g, params_shape, 0, Some(b))?;
        let batch = reduce::prod(g, batch_shape, &[0], false)?;
        let total = binary::binary(g, BinaryOp::Mul, batch, limit, None)?;
        let zero = source::scalar_const(g, DType::I32, 0.0, None, None)?;
        let starts = array::range(g, zero, total, limit)?;
        let ir = indices_rank.unwrap_or(b_u);
        let ones = source::const_value(g, Value::int_vector(DType::I32, &vec![1; ir - b_u]), None)?;
        let starts = array::reshape_t(g, starts, concat_ints(g, &[batch_shape, ones])?)?;
        let starts = array::cast(g, starts, g.dtype(indices)?)?;
        let ids = binary::binary(g, BinaryOp::AddV2, indices, starts, None)?;
        let ids = array::reshape(g, ids, &[-1])?;
        let rest = vector_slice(g, params_shape, b + 1, None)?;
        let rest_t = gather(g, params_shape, source::const_ints(g, &perm[b_u + 1..])?, 0)?;
        let _ = rest;
        let flat_shape = concat_ints(g, &[minus_one, rest_t])?;
        let flat_values = array::reshape_t(g, values_t, flat_shape)?;
        unsorted_segment_sum(g, flat_values, ids, total)?
    };
    let summed = array::reshape_t(g, summed, shape_t)?;
    let inverse: Vec<i64> = (0..b)
        .chain(b + 1..a + 1)
        .chain(std::iter::once(b))
        .chain(a + 1..r)
        .collect();
    let _ = a_u;
    let out = array::transpose(g, summed, source::const_ints(g, &inverse)?)?;
    Ok(vec![Some(Grad::Dense(out)), None, None])
}

/// TF's `_GatherV2Grad` when the axis is known only at run time (or params' rank is not
/// known), without batch dims: the same moves as the static branch, with the axis and the
/// permutations computed in the graph.
fn gather_grad_dynamic_axis(
    g: &Graph,
    grad: Tensor,
    params_shape: Tensor,
    indices: Tensor,
    indices_size: Tensor,
    axis: Tensor,
) -> Result<Tensor> {
    let i32s = |xs: &[i64]| source::const_value(g, Value::int_vector(DType::I32, xs), None);
    // A negative axis counts from the end, as the forward op takes it.
    let axis = array::cast(g, axis, DType::I32)?;
    let rank = array::size(g, params_shape, DType::I32)?;
    let axis = binary::binary(g, BinaryOp::FloorMod, axis, rank, None)?;
    let axis_1 = array::expand_dims(g, axis, 0)?;
    let one = source::scalar_const(g, DType::I32, 1.0, None, None)?;
    let zero = source::scalar_const(g, DType::I32, 0.0, None, None)?;
    let outer = array::slice(g, params_shape, i32s(&[0])?, axis_1)?;
    let after = binary::binary(g, BinaryOp::AddV2, axis_1, one, None)?;
    let inner = array::slice(g, params_shape, after, i32s(&[-1])?)?;
    let values_shape = array::concat(g, &[outer, i32s(&[-1])?, inner], 0)?;
    let values_dims = array::size(g, values_shape, DType::I32)?;
    let axis_plus_1 = binary::binary(g, BinaryOp::AddV2, axis, one, None)?;
    let before = array::range(g, zero, axis, one)?;
    let rest = array::range(g, axis_plus_1, values_dims, one)?;
    let values = array::reshape_t(g, grad, values_shape)?;
    // The gathered axis to the front, summed per index, and back to its place.
    let to_front = array::concat(g, &[axis_1, before, rest], 0)?;
    let values = array::transpose(g, values, to_front)?;
    let moved_shape = array::shape_of(g, values, DType::I32, None)?;
    let flat_shape = array::concat(
        g,
        &[indices_size, vector_slice(g, moved_shape, 1, None)?],
        0,
    )?;
    let values = array::reshape_t(g, values, flat_shape)?;
    let ids = array::reshape_t(g, indices, indices_size)?;
    let limit = strided_slice(
        g,
        params_shape,
        Input::Tensor(axis_1),
        Input::Tensor(binary::binary(g, BinaryOp::AddV2, axis_1, one, None)?),
        Input::constant("", Value::int_vector(DType::I32, &[1])),
        Masks {
            shrink: 1,
            ..Masks::default()
        },
    )?;
    let summed = unsorted_segment_sum(g, values, ids, limit)?;
    let shifted = array::range(g, one, axis_plus_1, one)?;
    let back = array::concat(g, &[shifted, i32s(&[0])?, rest], 0)?;
    array::transpose(g, summed, back)
}

/// TF's `_GatherNdGrad`: rows of a [N, 1] index make an IndexedSlices, else `ScatterNd`.
fn gather_nd_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let (params, indices) = (ctx.input(0)?, ctx.input(1)?);
    let grad = ctx.grad(grads, 0)?;
    let shape = array::shape_of(g, params, g.dtype(indices)?, None)?;
    let ishape = g.shape(indices)?;
    let out = if ishape.rank() == Some(2) && ishape.dim(1) == Some(1) {
        let squeezed = array::squeeze(g, indices, &[-1])?;
        Grad::Sparse(IndexedSlices {
            values: grad,
            indices: squeezed,
            dense_shape: Some(shape),
        })
    } else {
        Grad::Dense(scatter_nd(g, indices, grad, shape)?)
    };
    Ok(vec![Some(out), None])
}

/// TF's `_ScatterNdGrad`: the updates' gradient gathers the incoming one.
fn scatter_nd_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    Ok(vec![
        None,
        Some(Grad::Dense(gather_nd(g, grad, ctx.input(0)?)?)),
        None,
    ])
}

/// TF's `_UnsortedSegmentSumGrad` (`_GatherDropNegatives`): gather the gradient rows at
/// the ids clipped to 0, zeroing rows whose id was negative.
fn segment_sum_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let ids = ctx.input(1)?;
    let grad = ctx.grad(grads, 0)?;
    let zeros = array::zeros_like(g, ids)?;
    let clipped = binary::binary(g, BinaryOp::Maximum, ids, zeros, None)?;
    let gathered = gather(g, grad, clipped, 0)?;
    let zero = Input::constant("y", int_scalar(g.dtype(ids)?, 0)?);
    let positive = g
        .add_with_consts(
            OpKind::Binary(BinaryOp::GreaterEqual),
            &[ids.into(), zero],
            Some("GreaterEqual"),
        )?
        .output(0);
    // TF reshapes the mask to broadcast against the gathered rows:
    // concat([shape(mask), ones([rank(gathered) - rank(mask)])]).
    let mask_shape = array::shape_of(g, positive, DType::I32, None)?;
    let rank_g = static_rank(g, gathered)?;
    let rank_m = static_rank(g, positive)?;
    let extra = binary::binary(g, BinaryOp::Sub, rank_g, rank_m, Some("sub"))?;
    let ones = ones_vector(g, extra)?;
    let shape = concat_ints(g, &[mask_shape, ones])?;
    let positive = array::reshape_t(g, positive, shape)?;
    // TF's shape inference evaluates the `ones` vector; here the static shape is set directly.
    if let (Some(dims), Some(gr)) = (g.shape(ids)?.dims(), g.shape(gathered)?.rank()) {
        let mut dims: Dims = dims.iter().copied().collect();
        while dims.len() < gr {
            dims.push(Some(1));
        }
        g.set_shape(positive, &Shape(Some(dims)))?;
    }
    let all_true = array::ones_like(g, positive)?;
    let positive = binary::binary(g, BinaryOp::LogicalAnd, positive, all_true, Some("and"))?;
    let zero_rows = array::zeros_like(g, gathered)?;
    let out = array::select_v2(g, positive, gathered, zero_rows)?;
    Ok(vec![Some(Grad::Dense(out)), None, None])
}

/// `rank(x)`: a `Const` named `Rank` when static, as TF folds it.
fn static_rank(g: &Graph, x: Tensor) -> Result<Tensor> {
    match g.shape(x)?.rank() {
        Some(r) => source::const_value(g, Value::scalar(r as i32), Some("Rank")),
        None => array::rank(g, x),
    }
}

/// TF's `ones([n], dtype=int32)`: `ones/packed`, `ones/Const`, `Fill` named `ones`.
fn ones_vector(g: &Graph, n: Tensor) -> Result<Tensor> {
    let (scope, previous) = g.enter_name_scope(Some("ones"));
    let r = (|| {
        let packed = g.add1(OpKind::Pack { axis: 0 }, &[n], Some("packed"))?;
        let one = source::scalar_const(g, DType::I32, 1.0, None, None)?;
        g.add1(OpKind::Fill, &[packed, one], Some(&scope))
    })();
    g.set_name_scope(&previous);
    r
}

fn masks_of(ctx: &GradCtx<'_>) -> Result<Masks> {
    match &ctx.kind {
        OpKind::Index(IndexOp::StridedSlice(m)) | OpKind::Index(IndexOp::StridedSliceGrad(m)) => {
            Ok(**m)
        }
        _ => Err(Error::internal("strided-slice gradient on another op")),
    }
}

/// An input as TF's gradient sees it: its constant value when known (becoming a `Const`
/// inside the new op's scope), else the tensor.
fn folded(g: &Graph, t: Tensor, name: &'static str) -> Input {
    match g.read().constant_value(t) {
        Some(v) => Input::constant(name, v),
        None => Input::Tensor(t),
    }
}

/// TF's `_StridedSliceGrad`: `StridedSliceGrad(shape(x), begin, end, strides, grad)`, with
/// static inputs folded to constants.
fn strided_slice_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let m = masks_of(ctx)?;
    let (x, begin, end, strides) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?, ctx.input(3)?);
    let grad = ctx.grad(grads, 0)?;
    let index = g.dtype(begin)?;
    // TF calls shape(x) first (a folded `Shape` Const when static), then passes its
    // constant value on, which becomes `StridedSliceGrad/shape`.
    let x_shape = array::shape_of(g, x, index, None)?;
    let shape = folded(g, x_shape, "shape");
    let out = g
        .add_with_consts(
            OpKind::Index(IndexOp::StridedSliceGrad(Box::new(m))),
            &[
                shape,
                folded(g, begin, "begin"),
                folded(g, end, "end"),
                folded(g, strides, "strides"),
                grad.into(),
            ],
            Some("StridedSliceGrad"),
        )?
        .output(0);
    Ok(vec![Some(Grad::Dense(out)), None, None, None])
}

/// TF's `_StridedSliceGradGrad`: the strided slice of the incoming gradient.
fn strided_slice_grad_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let m = masks_of(ctx)?;
    let grad = ctx.grad(grads, 0)?;
    let out = strided_slice(
        g,
        grad,
        ctx.input(1)?.into(),
        ctx.input(2)?.into(),
        ctx.input(3)?.into(),
        m,
    )?;
    Ok(vec![None, None, None, None, Some(Grad::Dense(out))])
}

/// TF's `_DynamicStitchGrads`: each data input's gradient gathers the output gradient at
/// its indices (an IndexedSlices gradient is first summed densely by row).
fn dynamic_stitch_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let n = ctx.inputs.len() / 2;
    let grad = match grads.first().copied().flatten() {
        Some(Grad::Sparse(s)) => {
            let out_shape = array::shape_of(g, ctx.output(0), DType::I32, None)?;
            let rows = vector_elem(g, out_shape, 0)?;
            unsorted_segment_sum(g, s.values, s.indices, rows)?
        }
        _ => ctx.grad(grads, 0)?,
    };
    let mut out: Vec<Option<Grad>> = vec![None; n];
    for i in 0..n {
        let idx = ctx.input(i)?;
        let idx = if g.dtype(idx)? == DType::I32 {
            idx
        } else {
            array::cast(g, idx, DType::I32)?
        };
        out.push(Some(Grad::Dense(gather(g, grad, idx, 0)?)));
    }
    Ok(out)
}
