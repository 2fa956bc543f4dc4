//! Segment reductions: `Segment{Sum,Mean,Max,Min,Prod}` over sorted segment ids and
//! `UnsortedSegment{Max,Min,Prod}` over any ids (`UnsortedSegmentSum` lives with the
//! indexing ops, whose gradients use it).
//!
//! Per op, side by side: shape rule, kernel (every numeric dtype, integers wrapping as TF's
//! kernels do) and TF's gradient from `math_grad.py`, built from differentiable ops.

use super::{array, binary, index, one, Family, InferCtx, KernelCtx, OpKind, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx};
use crate::graph::{Graph, Input, Metas, Node, Tensor};
use crate::shape::{Dims, Shape};
use crate::value::{Arr, Elem, Value};
use smallvec::smallvec;

/// How a segment combines its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduction {
    Sum,
    Mean,
    Max,
    Min,
    Prod,
}

/// An op of the segment family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentOp {
    /// `Segment*(data, segment_ids)`: ids sorted, one output row per id up to the largest.
    Sorted(Reduction),
    /// `UnsortedSegment*(data, segment_ids, num_segments)` for Max, Min and Prod.
    Unsorted(Reduction),
}

impl Family for SegmentOp {
    fn type_name(&self) -> &'static str {
        match self {
            SegmentOp::Sorted(Reduction::Sum) => "SegmentSum",
            SegmentOp::Sorted(Reduction::Mean) => "SegmentMean",
            SegmentOp::Sorted(Reduction::Max) => "SegmentMax",
            SegmentOp::Sorted(Reduction::Min) => "SegmentMin",
            SegmentOp::Sorted(Reduction::Prod) => "SegmentProd",
            SegmentOp::Unsorted(Reduction::Max) => "UnsortedSegmentMax",
            SegmentOp::Unsorted(Reduction::Min) => "UnsortedSegmentMin",
            SegmentOp::Unsorted(Reduction::Prod) => "UnsortedSegmentProd",
            // Not constructed: UnsortedSegmentSum is an `IndexOp`, and TF has no
            // UnsortedSegmentMean op.
            SegmentOp::Unsorted(Reduction::Sum) => "UnsortedSegmentSum",
            SegmentOp::Unsorted(Reduction::Mean) => "UnsortedSegmentMean",
        }
    }
    fn from_def(op_type: &str, _attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        let op = match op_type {
            "SegmentSum" => SegmentOp::Sorted(Reduction::Sum),
            "SegmentMean" => SegmentOp::Sorted(Reduction::Mean),
            "SegmentMax" => SegmentOp::Sorted(Reduction::Max),
            "SegmentMin" => SegmentOp::Sorted(Reduction::Min),
            "SegmentProd" => SegmentOp::Sorted(Reduction::Prod),
            "UnsortedSegmentMax" => SegmentOp::Unsorted(Reduction::Max),
            "UnsortedSegmentMin" => SegmentOp::Unsorted(Reduction::Min),
            "UnsortedSegmentProd" => SegmentOp::Unsorted(Reduction::Prod),
            _ => return None,
        };
        Some(Ok(op))
    }
    fn attrs(&self, _node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        let names: &[&'static str] = match self {
            SegmentOp::Sorted(_) => &["T", "Tindices"],
            SegmentOp::Unsorted(_) => &["T", "Tindices", "Tnumsegments"],
        };
        names
            .iter()
            .zip(input_types)
            .map(|(n, t)| (*n, AttrValue::Type(*t)))
            .collect()
    }
    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        match self {
            SegmentOp::Sorted(_) => {
                ctx.expect_inputs(2)?;
                let dtype = numeric(ctx)?;
                index::index_type(ctx, 1, "segment_ids")?;
                let (data, ids) = (ctx.shape(0)?.clone(), ctx.shape(1)?.clone());
                if let Some(r) = ids.rank().filter(|&r| r != 1) {
                    return Err(self.node_err(ctx, format!("Shape must be rank 1 but is rank {r}")));
                }
                if let Some(0) = data.rank() {
                    return Err(self.node_err(ctx, "Shape must be at least rank 1 but is rank 0"));
                }
                if let (Some(a), Some(b)) = (data.dim(0), ids.dim(0)) {
                    if a != b {
                        return Err(self.node_err(
                            ctx,
                            format!("Dimensions must be equal, but are {a} and {b}"),
                        ));
                    }
                }
                let Some(d) = data.dims() else {
                    return one(dtype, Shape::unknown());
                };
                let mut out: Dims = smallvec![None];
                out.extend(d[1..].iter().copied());
                one(dtype, Shape(Some(out)))
            }
            // Same shape rule and type checks as UnsortedSegmentSum.
            SegmentOp::Unsorted(_) => index::infer_segment_sum(ctx),
        }
    }
    fn compute(&self, _ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let input = |i: usize| {
            inputs
                .get(i)
                .ok_or_else(|| Error::internal(format!("{} needs input {i}", self.type_name())))
        };
        let (data, ids) = (input(0)?, input(1)?);
        let (reduction, rows, segments) = match self {
            SegmentOp::Sorted(r) => {
                let (rows, n) = sorted_rows(data, ids)?;
                (*r, rows, n)
            }
            SegmentOp::Unsorted(r) => {
                let (rows, n) = index::segment_rows(data, ids, input(2)?)?;
                (*r, rows, n)
            }
        };
        let sorted = matches!(self, SegmentOp::Sorted(_));
        let s = data.shape();
        let lead = ids.shape().len().min(s.len());
        let mut shape = vec![segments];
        shape.extend_from_slice(&s[lead..]);
        if data.dtype().is_complex() {
            // Sums and means are linear: reduce the two parts apart.
            if !matches!(reduction, Reduction::Sum | Reduction::Mean) {
                return Err(super::not_for_complex(self.type_name(), data.dtype()));
            }
            let part = |op| -> Result<Value> {
                let p = super::complex::part(op, data)?;
                Ok(
                    crate::map_numeric!(&p, Error::internal("complex part"), a => reduce(a, &rows, segments, &shape, reduction, sorted)?),
                )
            };
            let (re, im) = (
                part(super::complex::ComplexOp::Real)?,
                part(super::complex::ComplexOp::Imag)?,
            );
            return Ok(smallvec![super::complex::from_parts(&re, &im)?]);
        }
        let err = Error::op_invalid(format!("{} does not support bool values", self.type_name()));
        Ok(smallvec![
            crate::map_numeric!(data, err, a => reduce(a, &rows, segments, &shape, reduction, sorted)?)
        ])
    }
    fn register_gradients(r: &mut GradRegistry) {
        r.builtin("SegmentSum", segment_sum_grad);
        r.builtin("SegmentMean", segment_mean_grad);
        r.builtin("SegmentMax", min_or_max_grad);
        r.builtin("SegmentMin", min_or_max_grad);
        r.builtin("SegmentProd", prod_grad);
        r.builtin("UnsortedSegmentMax", min_or_max_grad);
        r.builtin("UnsortedSegmentMin", min_or_max_grad);
        r.builtin("UnsortedSegmentProd", prod_grad);
    }
}

impl SegmentOp {
    fn node_err(&self, ctx: &InferCtx<'_>, message: impl std::fmt::Display) -> Error {
        let attrs_of = |types: &[DType]| match types {
            [t, i, ..] => vec![
                ("T", AttrValue::Type(*t)),
                ("Tindices", AttrValue::Type(*i)),
            ],
            _ => Vec::new(),
        };
        super::linalg::shape_fn_error(ctx, self.type_name(), attrs_of, message)
    }
}

fn numeric(ctx: &InferCtx<'_>) -> Result<DType> {
    let dtype = ctx.dtype(0)?;
    if dtype == DType::Bool {
        return Err(Error::type_error(
            "Value passed to parameter 'data' has DataType bool not in list of allowed values: numeric types",
        ));
    }
    Ok(dtype)
}

fn fmt_dims(dims: &[usize]) -> String {
    Shape::known(dims).bracketed()
}

/// The output row of each data row of a sorted segment op, and the number of segments.
fn sorted_rows(data: &Value, ids: &Value) -> Result<(Vec<Option<usize>>, usize)> {
    if ids.shape().len() != 1 {
        return Err(Error::op_invalid(format!(
            "segment_ids should be a vector, got shape {}",
            fmt_dims(ids.shape())
        )));
    }
    if data.shape().first() != Some(&ids.len()) {
        return Err(Error::op_invalid(
            "segment_ids should be the same size as dimension 0 of input.",
        ));
    }
    let ids = ids.to_i64_vec()?;
    let segments = ids.last().map_or(0, |&last| last.max(-1) + 1);
    // Order before range, as TF's kernel reports them.
    if ids.windows(2).any(|w| w[1] < w[0]) {
        return Err(Error::op_invalid("segment ids are not increasing"));
    }
    let mut rows = Vec::with_capacity(ids.len());
    for &id in &ids {
        if id < 0 || id >= segments {
            return Err(Error::op_invalid(format!(
                "Segment id {id} out of range [0, {segments}), possibly because 'segment_ids' input is not sorted."
            )));
        }
        rows.push(Some(id as usize));
    }
    Ok((rows, segments as usize))
}

/// Element arithmetic the reductions need; integers wrap, as TF's kernels do.
trait SegmentElem: Elem {
    fn add(self, other: Self) -> Self;
    fn mul(self, other: Self) -> Self;
    fn lowest() -> Self;
    fn highest() -> Self;
    fn div_count(self, n: usize) -> Self;
}

macro_rules! int_elem {
    ($($t:ty),*) => {$(
        impl SegmentElem for $t {
            fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
            fn lowest() -> Self { <$t>::MIN }
            fn highest() -> Self { <$t>::MAX }
            fn div_count(self, n: usize) -> Self { self.wrapping_div(n as $t) }
        }
    )*};
}
int_elem!(i8, i16, i32, i64, u8);

macro_rules! float_elem {
    ($($t:ty),*) => {$(
        impl SegmentElem for $t {
            fn add(self, o: Self) -> Self { self + o }
            fn mul(self, o: Self) -> Self { self * o }
            fn lowest() -> Self { <$t>::MIN }
            fn highest() -> Self { <$t>::MAX }
            fn div_count(self, n: usize) -> Self { self / n as $t }
        }
    )*};
}
float_elem!(f32, f64);

/// Combines the rows of `a` (after the id dims) into `segments` rows. Sorted ops give 0 to
/// an empty segment (1 for Prod); unsorted Max and Min give the lowest and highest values.
fn reduce<T: SegmentElem>(
    a: &Arr<T>,
    rows: &[Option<usize>],
    segments: usize,
    shape: &[usize],
    reduction: Reduction,
    sorted: bool,
) -> Result<Arr<T>> {
    let src: Vec<T> = a.iter().copied().collect();
    let inner = src.len().checked_div(rows.len()).unwrap_or(0);
    let start = match reduction {
        Reduction::Sum | Reduction::Mean => T::from_f64(0.0),
        Reduction::Prod => T::from_f64(1.0),
        Reduction::Max => T::lowest(),
        Reduction::Min => T::highest(),
    };
    let mut out = vec![start; segments * inner];
    let mut counts = vec![0usize; segments];
    for (r, row) in rows.iter().enumerate() {
        let Some(s) = *row else { continue };
        counts[s] += 1;
        for k in 0..inner {
            let (o, x) = (&mut out[s * inner + k], src[r * inner + k]);
            *o = match reduction {
                Reduction::Sum | Reduction::Mean => o.add(x),
                Reduction::Prod => o.mul(x),
                Reduction::Max if x > *o => x,
                Reduction::Min if x < *o => x,
                Reduction::Max | Reduction::Min => *o,
            };
        }
    }
    for (s, &count) in counts.iter().enumerate() {
        for o in &mut out[s * inner..(s + 1) * inner] {
            if count == 0 && sorted {
                *o = T::from_f64(if reduction == Reduction::Prod {
                    1.0
                } else {
                    0.0
                });
            } else if reduction == Reduction::Mean && count > 0 {
                *o = o.div_count(count);
            }
        }
    }
    ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), out)
        .map(|a| a.into_shared())
        .map_err(|e| Error::internal(e.to_string()))
}

// ===== builders =====

/// `Segment*(data, ids)`, named after its type as TF's generated wrappers do.
pub fn segment(g: &Graph, reduction: Reduction, data: Tensor, ids: Tensor) -> Result<Tensor> {
    let op = SegmentOp::Sorted(reduction);
    g.add1(OpKind::Segment(op), &[data, ids], Some(op.type_name()))
}

/// `UnsortedSegment*(data, ids, num)` for Max, Min and Prod; Sum is `index`'s op.
pub fn unsorted_segment(
    g: &Graph,
    reduction: Reduction,
    data: Tensor,
    ids: Tensor,
    num: Tensor,
) -> Result<Tensor> {
    if reduction == Reduction::Sum {
        return index::unsorted_segment_sum(g, data, ids, num);
    }
    let op = SegmentOp::Unsorted(reduction);
    g.add1(OpKind::Segment(op), &[data, ids, num], Some(op.type_name()))
}

// ===== gradients =====

type GradOut = Result<Vec<Option<Grad>>>;

fn op_of(ctx: &GradCtx<'_>) -> Result<SegmentOp> {
    match &ctx.kind {
        OpKind::Segment(op) => Ok(*op),
        other => Err(Error::internal(format!(
            "segment gradient called for {}",
            other.type_name()
        ))),
    }
}

/// The gradient list: `grad` for data, `None` for the ids (and `num_segments`).
fn data_only(ctx: &GradCtx<'_>, grad: Tensor) -> GradOut {
    let mut out = vec![Some(Grad::Dense(grad))];
    out.resize(ctx.inputs.len(), None);
    Ok(out)
}

/// A segment sum of the same kind as the op: sorted, or unsorted over the op's
/// `num_segments`.
fn sum_like(ctx: &GradCtx<'_>, data: Tensor) -> Result<Tensor> {
    let (g, ids) = (ctx.graph, ctx.input(1)?);
    match op_of(ctx)? {
        SegmentOp::Sorted(_) => segment(g, Reduction::Sum, data, ids),
        SegmentOp::Unsorted(_) => index::unsorted_segment_sum(g, data, ids, ctx.input(2)?),
    }
}

/// Rows of `params` at the op's ids: a plain gather for sorted ops, TF's
/// `_GatherDropNegatives` (zero rows for negative ids) for unsorted ones. Returns the rows
/// and, for unsorted ops, the mask of rows whose id was non-negative (broadcast to them).
fn gather_rows(ctx: &GradCtx<'_>, params: Tensor) -> Result<(Tensor, Option<Tensor>)> {
    let (g, ids) = (ctx.graph, ctx.input(1)?);
    if let SegmentOp::Sorted(_) = op_of(ctx)? {
        return Ok((index::gather(g, params, ids, 0)?, None));
    }
    let zeros = array::zeros_like(g, ids)?;
    let clipped = binary::maximum(g, ids, zeros)?;
    let gathered = index::gather(g, params, clipped, 0)?;
    let zero = Input::constant("y", Value::zeros(g.dtype(ids)?, &[]));
    let positive = g
        .add_with_consts(
            OpKind::Binary(super::BinaryOp::GreaterEqual),
            &[ids.into(), zero],
            Some("GreaterEqual"),
        )?
        .output(0);
    // Broadcast the mask over the trailing dims of the rows: reshape to
    // shape(ids) + [1] * (rank(rows) - rank(ids)), then `& ones_like(rows)`.
    let ids_shape = array::shape_of(g, positive, DType::I32, None)?;
    let extra = binary::sub(g, array::rank(g, gathered)?, array::rank(g, positive)?)?;
    let one_ = super::source::const_value(g, Value::scalar(1i32), None)?;
    let ones = array::fill(g, array::expand_dims(g, extra, 0)?, one_)?;
    let mask_shape = array::concat(g, &[ids_shape, ones], 0)?;
    let mask = array::reshape_t(g, positive, mask_shape)?;
    let all = array::ones_like(g, gathered)?;
    let all = array::cast(g, all, DType::Bool)?;
    let mask = binary::logical_and(g, mask, all)?;
    let zero_rows = array::zeros_like(g, gathered)?;
    Ok((array::select_v2(g, mask, gathered, zero_rows)?, Some(mask)))
}

/// TF's `_SegmentSumGrad`: each row takes its segment's gradient.
fn segment_sum_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let grad = ctx.grad(grads, 0)?;
    let (rows, _) = gather_rows(ctx, grad)?;
    data_only(ctx, rows)
}

/// TF's `_SegmentMeanGrad`: the gradient divided by the segment sizes, then gathered.
fn segment_mean_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let (data, ids) = (ctx.input(0)?, ctx.input(1)?);
    let grad = ctx.grad(grads, 0)?;
    // ones of shape(ids) + [1] * (rank(data) - 1), counted per segment.
    let rank = array::rank(g, data)?;
    let one_ = super::source::const_value(g, Value::scalar(1i32), None)?;
    let rest = binary::sub(g, rank, one_)?;
    let ones_tail = array::fill(g, array::expand_dims(g, rest, 0)?, one_)?;
    let ids_shape = array::shape_of(g, ids, DType::I32, None)?;
    let ones_shape = array::concat(g, &[ids_shape, ones_tail], 0)?;
    let unit = super::source::scalar_const(g, g.dtype(grad)?, 1.0, None, None)?;
    let ones = array::fill(g, ones_shape, unit)?;
    let counts = segment(g, Reduction::Sum, ones, ids)?;
    let scaled = binary::div(g, grad, counts)?;
    data_only(ctx, index::gather(g, scaled, ids, 0)?)
}

/// TF's `_SegmentMinOrMaxGrad` / `_UnsortedSegmentMinOrMaxGrad`: the gradient shared
/// evenly among the elements equal to their segment's extreme.
fn min_or_max_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let data = ctx.input(0)?;
    let grad = ctx.grad(grads, 0)?;
    let (gathered, positive) = gather_rows(ctx, ctx.output(0))?;
    let mut selected = binary::equal(g, data, gathered)?;
    if let Some(mask) = positive {
        selected = binary::logical_and(g, selected, mask)?;
    }
    let counts = sum_like(ctx, array::cast(g, selected, g.dtype(grad)?)?)?;
    let weighted = binary::div(g, grad, counts)?;
    let (spread, _) = gather_rows(ctx, weighted)?;
    let zeros = array::zeros_like(g, spread)?;
    data_only(ctx, array::select_v2(g, selected, spread, zeros)?)
}

/// TF's `_SegmentProdGrad` / `_UnsortedSegmentProdGrad`: the product of the other
/// elements, exact when a segment holds one zero and zero when it holds several.
fn prod_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let (data, ids) = (ctx.input(0)?, ctx.input(1)?);
    let grad = ctx.grad(grads, 0)?;
    let dtype = g.dtype(data)?;
    let zero = super::source::scalar_const(g, dtype, 0.0, None, None)?;
    let is_zero = binary::equal(g, data, zero)?;
    let num_zeros = sum_like(ctx, array::cast(g, is_zero, DType::I32)?)?;
    let one_i = super::source::const_value(g, Value::scalar(1i32), None)?;
    let many = binary::greater(g, num_zeros, one_i)?;
    let grad = array::select_v2(g, many, array::zeros_like(g, grad)?, grad)?;
    let non_zero_data = array::select_v2(g, is_zero, array::ones_like(g, data)?, data)?;
    let non_zero_prod = match op_of(ctx)? {
        SegmentOp::Sorted(_) => segment(g, Reduction::Prod, non_zero_data, ids)?,
        SegmentOp::Unsorted(_) => {
            unsorted_segment(g, Reduction::Prod, non_zero_data, ids, ctx.input(2)?)?
        }
    };
    let (gathered_prod, _) = gather_rows(ctx, ctx.output(0))?;
    let (gathered_non_zero_prod, _) = gather_rows(ctx, non_zero_prod)?;
    let divisor = match op_of(ctx)? {
        SegmentOp::Sorted(_) => non_zero_data,
        SegmentOp::Unsorted(_) => data,
    };
    let divided = binary::div(g, gathered_prod, divisor)?;
    let partial = array::select_v2(g, is_zero, gathered_non_zero_prod, divided)?;
    let (gathered_grad, _) = gather_rows(ctx, grad)?;
    data_only(ctx, binary::mul(g, gathered_grad, partial)?)
}
