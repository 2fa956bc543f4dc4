//! Partitioning, counting and searching ops: `DynamicPartition`, `Unique`,
//! `UniqueWithCounts`, `ListDiff`, `InTopKV2`, `DenseBincount`, `LowerBound` and
//! `UpperBound`.
//!
//! Per op, side by side: shape rule, kernel (every dtype TF registers that symgrad has) and
//! gradient. Only `DynamicPartition` is differentiable (TF's `_DynamicPartitionGrads`); the
//! others have integer or boolean outputs (`InTopKV2`, the bounds) or no gradient in TF
//! (`Unique`, `DenseBincount`: differentiating them is TF's `LookupError`, here as well).

use super::{array, linalg, one, reduce, source, Family, InferCtx, KernelCtx, OpKind, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx};
use crate::graph::{Graph, Metas, Node, OpSpec, Tensor, TensorMeta};
use crate::shape::{Dims, Shape};
use crate::value::{Arr, Elem, Value};
use smallvec::smallvec;
use std::collections::HashMap;

/// An op of this family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MiscOp {
    /// `DynamicPartition(data, partitions)`: `num` outputs.
    DynamicPartition { num: usize },
    /// `Unique(x)` -> (y, idx); `with_counts` adds `count` (`UniqueWithCounts`).
    Unique { out_idx: DType, with_counts: bool },
    /// `InTopKV2(predictions, targets, k)`.
    InTopK,
    /// `DenseBincount(input, size, weights)`.
    DenseBincount { binary_output: bool },
    /// `LowerBound` (`upper == false`) or `UpperBound(sorted_inputs, values)`.
    Bound { upper: bool, out_type: DType },
    /// `ListDiff(x, y)` -> (out, idx): the values of the vector `x` not in `y`, in order,
    /// and their positions in `x` (`tf.setdiff1d`).
    ListDiff { out_idx: DType },
}

fn int_dtype(attrs: &Attrs, name: &str) -> Result<DType> {
    match attrs.dtype_opt(name)?.unwrap_or(DType::I32) {
        t @ (DType::I32 | DType::I64) => Ok(t),
        t => Err(Error::type_error(format!(
            "Value passed to parameter '{name}' has DataType {t} not in list of allowed values: int32, int64"
        ))),
    }
}

impl MiscOp {
    fn attr_list(&self, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        let t = |i: usize| input_types.get(i).map(|t| AttrValue::Type(*t));
        let mut out: Vec<(&'static str, AttrValue)> = Vec::new();
        match self {
            MiscOp::DynamicPartition { num } => {
                out.extend(t(0).map(|v| ("T", v)));
                out.push(("num_partitions", AttrValue::Int(*num as i64)));
            }
            MiscOp::Unique { out_idx, .. } | MiscOp::ListDiff { out_idx } => {
                out.extend(t(0).map(|v| ("T", v)));
                out.push(("out_idx", AttrValue::Type(*out_idx)));
            }
            MiscOp::InTopK => out.extend(t(1).map(|v| ("T", v))),
            MiscOp::DenseBincount { binary_output } => {
                out.extend(t(0).map(|v| ("Tidx", v)));
                out.extend(t(2).map(|v| ("T", v)));
                out.push(("binary_output", AttrValue::Bool(*binary_output)));
            }
            MiscOp::Bound { out_type, .. } => {
                out.extend(t(0).map(|v| ("T", v)));
                out.push(("out_type", AttrValue::Type(*out_type)));
            }
        }
        out
    }

    fn infer_meta(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        let name = self.type_name();
        match self {
            MiscOp::DynamicPartition { num } => {
                ctx.expect_inputs(2)?;
                expect_type(name, "partitions", ctx.dtype(1)?, DType::I32)?;
                let (data, parts) = (ctx.shape(0)?, ctx.shape(1)?);
                let out = match (data.dims(), parts.rank()) {
                    (Some(d), Some(p)) => {
                        let tail = d.get(p..).ok_or_else(|| {
                            self.node_err(
                                ctx,
                                format!("Shape must be at least rank {p} but is rank {}", d.len()),
                            )
                        })?;
                        check_prefix(self, ctx, d, parts)?;
                        let mut dims: Dims = smallvec![None];
                        dims.extend(tail.iter().copied());
                        Shape(Some(dims))
                    }
                    _ => Shape::unknown(),
                };
                let meta = TensorMeta::new(ctx.dtype(0)?, out);
                Ok((0..*num).map(|_| meta.clone()).collect())
            }
            MiscOp::Unique {
                out_idx,
                with_counts,
            } => {
                ctx.expect_inputs(1)?;
                let x = ctx.shape(0)?;
                if let Some(r) = x.rank().filter(|&r| r != 1) {
                    return Err(self.node_err(ctx, format!("Shape must be rank 1 but is rank {r}")));
                }
                let mut metas: Metas = smallvec![
                    TensorMeta::new(ctx.dtype(0)?, Shape(Some(smallvec![None]))),
                    TensorMeta::new(*out_idx, Shape(Some(smallvec![x.dim(0)]))),
                ];
                if *with_counts {
                    metas.push(TensorMeta::new(*out_idx, Shape(Some(smallvec![None]))));
                }
                Ok(metas)
            }
            MiscOp::ListDiff { out_idx } => {
                ctx.expect_inputs(2)?;
                let dtype = ctx.same_dtype(name, 0, 1, ("x", "y"))?;
                rank_at_most(self, ctx, 0, 1, true)?;
                rank_at_most(self, ctx, 1, 1, true)?;
                let vector = || Shape(Some(smallvec![None]));
                Ok(smallvec![
                    TensorMeta::new(dtype, vector()),
                    TensorMeta::new(*out_idx, vector())
                ])
            }
            MiscOp::InTopK => {
                ctx.expect_inputs(3)?;
                expect_type(name, "predictions", ctx.dtype(0)?, DType::F32)?;
                super::index::index_type(ctx, 1, "T")?;
                ctx.same_dtype(name, 1, 2, ("targets", "k"))?;
                rank_at_most(self, ctx, 0, 2, true)?;
                rank_at_most(self, ctx, 1, 1, true)?;
                rank_at_most(self, ctx, 2, 0, true)?;
                let (p, t) = (ctx.shape(0)?.dim(0), ctx.shape(1)?.dim(0));
                if let (Some(a), Some(b)) = (p, t) {
                    if a != b {
                        return Err(self.node_err(
                            ctx,
                            format!("Dimensions must be equal, but are {a} and {b}"),
                        ));
                    }
                }
                one(DType::Bool, Shape(Some(smallvec![p.or(t)])))
            }
            MiscOp::DenseBincount { .. } => {
                ctx.expect_inputs(3)?;
                super::index::index_type(ctx, 0, "Tidx")?;
                ctx.same_dtype(name, 0, 1, ("input", "size"))?;
                let t = ctx.dtype(2)?;
                if !matches!(t, DType::I32 | DType::I64 | DType::F32 | DType::F64) {
                    return Err(Error::type_error(format!(
                        "Value passed to parameter 'weights' has DataType {t} not in list of allowed values: int32, int64, float32, float64"
                    )));
                }
                rank_at_most(self, ctx, 1, 0, true)?;
                let size = ctx
                    .const_ints(1)
                    .and_then(|v| v.first().copied())
                    .and_then(|s| usize::try_from(s).ok());
                let out = match ctx.shape(0)?.dims() {
                    Some([]) | Some([_]) => Shape(Some(smallvec![size])),
                    Some([rows, _]) => Shape(Some(smallvec![*rows, size])),
                    Some(d) => {
                        return Err(self.node_err(
                            ctx,
                            format!("Shape must be at most rank 2 but is rank {}", d.len()),
                        ))
                    }
                    None => Shape::unknown(),
                };
                one(t, out)
            }
            MiscOp::Bound { out_type, .. } => {
                ctx.expect_inputs(2)?;
                ctx.same_dtype(name, 0, 1, ("sorted_inputs", "values"))?;
                if ctx.dtype(0)? == DType::Bool {
                    return Err(Error::type_error(
                        "Value passed to parameter 'sorted_inputs' has DataType bool not in list of allowed values: float32, float64, int32, uint8, int16, int8, int64, bfloat16, uint16, float16, uint32, uint64",
                    ));
                }
                rank_at_most(self, ctx, 0, 2, true)?;
                rank_at_most(self, ctx, 1, 2, true)?;
                one(*out_type, ctx.shape(1)?.clone())
            }
        }
    }

    /// A `ValueError` in TF's shape-function form: message, node def and input shapes.
    fn node_err(&self, ctx: &InferCtx<'_>, message: impl std::fmt::Display) -> Error {
        linalg::shape_fn_error(ctx, self.type_name(), |t| self.attr_list(t), message)
    }
}

impl Family for MiscOp {
    fn type_name(&self) -> &'static str {
        match self {
            MiscOp::DynamicPartition { .. } => "DynamicPartition",
            MiscOp::Unique {
                with_counts: false, ..
            } => "Unique",
            MiscOp::Unique {
                with_counts: true, ..
            } => "UniqueWithCounts",
            MiscOp::InTopK => "InTopKV2",
            MiscOp::DenseBincount { .. } => "DenseBincount",
            MiscOp::Bound { upper: false, .. } => "LowerBound",
            MiscOp::Bound { upper: true, .. } => "UpperBound",
            MiscOp::ListDiff { .. } => "ListDiff",
        }
    }

    fn from_def(op_type: &str, attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        const TYPES: [&str; 8] = [
            "DynamicPartition",
            "Unique",
            "UniqueWithCounts",
            "InTopKV2",
            "DenseBincount",
            "LowerBound",
            "UpperBound",
            "ListDiff",
        ];
        TYPES.contains(&op_type).then(|| parse_def(op_type, attrs))
    }

    fn attrs(&self, _node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        self.attr_list(input_types)
    }

    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        self.infer_meta(ctx)
    }

    fn compute(&self, _ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let input = |i: usize| {
            inputs
                .get(i)
                .ok_or_else(|| Error::internal(format!("{} needs input {i}", self.type_name())))
        };
        match self {
            MiscOp::DynamicPartition { num } => partition_kernel(input(0)?, input(1)?, *num),
            MiscOp::Unique {
                out_idx,
                with_counts,
            } => unique(input(0)?, *out_idx, *with_counts),
            MiscOp::InTopK => in_top_k(input(0)?, input(1)?, input(2)?).map(|v| smallvec![v]),
            MiscOp::DenseBincount { binary_output } => {
                bincount(input(0)?, input(1)?, input(2)?, *binary_output).map(|v| smallvec![v])
            }
            MiscOp::Bound { upper, out_type } => {
                bounds(input(0)?, input(1)?, *upper, *out_type).map(|v| smallvec![v])
            }
            MiscOp::ListDiff { out_idx } => list_diff(input(0)?, input(1)?, *out_idx),
        }
    }

    fn register_gradients(r: &mut GradRegistry) {
        r.builtin("DynamicPartition", dynamic_partition_grad);
        // Kept from symgrad's integer-only Unique; TF registers nothing (a `LookupError`).
        r.not_differentiable("Unique");
        r.not_differentiable("InTopKV2");
        r.not_differentiable("LowerBound");
        r.not_differentiable("UpperBound");
    }
}

fn parse_def(op_type: &str, attrs: &Attrs) -> Result<MiscOp> {
    Ok(match op_type {
        "DynamicPartition" => {
            let n = attrs.int("num_partitions")?;
            if !(1..=1 << 24).contains(&n) {
                return Err(Error::invalid(format!(
                    "Value for attr 'num_partitions' of {n} must be at least minimum 1"
                )));
            }
            MiscOp::DynamicPartition { num: n as usize }
        }
        "Unique" | "UniqueWithCounts" => MiscOp::Unique {
            out_idx: int_dtype(attrs, "out_idx")?,
            with_counts: op_type == "UniqueWithCounts",
        },
        "InTopKV2" => MiscOp::InTopK,
        "DenseBincount" => MiscOp::DenseBincount {
            binary_output: attrs.bool_or("binary_output", false)?,
        },
        "ListDiff" => MiscOp::ListDiff {
            out_idx: int_dtype(attrs, "out_idx")?,
        },
        "LowerBound" | "UpperBound" => MiscOp::Bound {
            upper: op_type == "UpperBound",
            out_type: int_dtype(attrs, "out_type")?,
        },
        other => return Err(Error::internal(format!("{other} is not a misc op"))),
    })
}

fn expect_type(op_type: &str, param: &str, got: DType, want: DType) -> Result<()> {
    if got == want {
        return Ok(());
    }
    Err(Error::type_error(format!(
        "Input '{param}' of '{op_type}' Op has type {got} that does not match expected type of {want}."
    )))
}

/// TF's `WithRank` (exact) for input `i` when its rank is known.
fn rank_at_most(op: &MiscOp, ctx: &InferCtx<'_>, i: usize, rank: usize, exact: bool) -> Result<()> {
    match ctx.shape(i)?.rank() {
        Some(r) if (exact && r != rank) || r > rank => {
            Err(op.node_err(ctx, format!("Shape must be rank {rank} but is rank {r}")))
        }
        _ => Ok(()),
    }
}

/// `partitions`' shape must be a prefix of `data`'s (where both are known).
fn check_prefix(
    op: &MiscOp,
    ctx: &InferCtx<'_>,
    data: &[Option<usize>],
    parts: &Shape,
) -> Result<()> {
    for (a, b) in data.iter().zip(parts.dims().unwrap_or(&[])) {
        if let (Some(a), Some(b)) = (a, b) {
            if a != b {
                return Err(op.node_err(
                    ctx,
                    format!("Dimensions must be equal, but are {a} and {b}"),
                ));
            }
        }
    }
    Ok(())
}

// ===== kernels =====

fn fmt_dims(dims: &[usize]) -> String {
    Shape::known(dims).bracketed()
}

fn to_value<T: crate::value::Stored>(shape: &[usize], data: Vec<T>) -> Result<Value> {
    ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), data)
        .map(|a| T::wrap(a.into_shared()))
        .map_err(|e| Error::internal(e.to_string()))
}

fn partition_kernel(data: &Value, partitions: &Value, num: usize) -> Result<Outputs> {
    let (d, p) = (data.shape(), partitions.shape());
    if d.len() < p.len() || d.get(..p.len()) != Some(p) {
        return Err(Error::op_invalid(format!(
            "data.shape must start with partitions.shape, got data.shape = {}, partitions.shape = {}",
            fmt_dims(d),
            fmt_dims(p)
        )));
    }
    let parts = partitions.to_i64_vec()?;
    for (i, &q) in parts.iter().enumerate() {
        if q < 0 || q >= num as i64 {
            return Err(Error::op_invalid(format!(
                "partitions[{i}] = {q} is not in [0, {num})"
            )));
        }
    }
    let tail = &d[p.len()..];
    let inner: usize = tail.iter().product();
    // Strings are refused when the op is built (`strings::check_inputs`).
    let strings = Err(Error::internal("DynamicPartition got string data"));
    crate::with_fixed!(data, strings, a => {
        let src: Vec<_> = a.iter().copied().collect();
        let mut rows: Vec<Vec<_>> = vec![Vec::new(); num];
        let mut counts = vec![0usize; num];
        for (r, &q) in parts.iter().enumerate() {
            let q = q as usize;
            counts[q] += 1;
            rows[q].extend_from_slice(src.get(r * inner..(r + 1) * inner).unwrap_or(&[]));
        }
        rows.into_iter()
            .zip(counts)
            .map(|(v, n)| {
                let mut shape = vec![n];
                shape.extend_from_slice(tail);
                to_value(&shape, v)
            })
            .collect::<Result<Outputs>>()
    })
}

/// Equality as TF's hash-map kernels see it: NaN never equals itself, `-0.0 == 0.0`.
trait UniqueKey: Elem {
    fn key(self) -> Option<u64>;
}

macro_rules! int_key {
    ($($t:ty),*) => {$(
        impl UniqueKey for $t {
            fn key(self) -> Option<u64> { Some(self as i64 as u64) }
        }
    )*};
}
int_key!(i8, i16, i32, i64, u8);

impl UniqueKey for bool {
    fn key(self) -> Option<u64> {
        Some(u64::from(self))
    }
}
impl UniqueKey for half::f16 {
    fn key(self) -> Option<u64> {
        self.to_f64().key()
    }
}
impl UniqueKey for f32 {
    fn key(self) -> Option<u64> {
        f64::from(self).key()
    }
}
impl UniqueKey for f64 {
    fn key(self) -> Option<u64> {
        match self {
            x if x.is_nan() => None,
            0.0 => Some(0),
            x => Some(x.to_bits()),
        }
    }
}

fn unique(x: &Value, out_idx: DType, with_counts: bool) -> Result<Outputs> {
    if x.shape().len() != 1 {
        return Err(Error::op_invalid("unique expects a 1D vector."));
    }
    // Each element's slot among the distinct values, in order of first appearance.
    fn slots<K: Eq + std::hash::Hash>(keys: impl Iterator<Item = Option<K>>) -> Distinct {
        let mut seen: HashMap<K, usize> = HashMap::new();
        let mut d = Distinct::default();
        for (i, key) in keys.enumerate() {
            let fresh = d.firsts.len();
            let slot = match key {
                Some(k) => *seen.entry(k).or_insert(fresh),
                None => fresh,
            };
            if slot == fresh {
                d.firsts.push(i);
                d.counts.push(0);
            }
            d.idx.push(slot as i64);
            d.counts[slot] += 1;
        }
        d
    }
    let d = match x {
        Value::Str(a) => slots(a.iter().map(|s| Some(s.as_slice()))),
        _ => crate::with_real!(x, no_complex(x)?, a => slots(a.iter().map(|v| v.key()))),
    };
    let mut out: Outputs = smallvec![pick(x, &d.firsts)?, Value::int_vector(out_idx, &d.idx)];
    if with_counts {
        out.push(Value::int_vector(out_idx, &d.counts));
    }
    Ok(out)
}

#[derive(Default)]
struct Distinct {
    firsts: Vec<usize>,
    idx: Vec<i64>,
    counts: Vec<i64>,
}

/// TF registers its hash-map kernels (`Unique`, `ListDiff`) for real numbers and strings.
fn no_complex<T>(x: &Value) -> Result<T> {
    Err(Error::op(
        crate::error::Code::NotFound,
        format!(
            "No registered kernel for dtype {} (real numbers and strings only)",
            x.dtype()
        ),
    ))
}

/// The Str arm of `with_fixed!` after the string case was matched already.
fn unreachable_str<T>() -> Result<T> {
    Err(Error::internal("string data reached a fixed-size kernel"))
}

/// The elements of the vector `x` at `positions`, as a new vector.
fn pick(x: &Value, positions: &[usize]) -> Result<Value> {
    let shape = [positions.len()];
    match x {
        Value::Str(a) => {
            let strings = positions.iter().map(|&p| a[[p]].clone()).collect();
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape), strings)
                .map(|a| Value::Str(a.into_shared()))
                .map_err(|e| Error::internal(e.to_string()))
        }
        _ => crate::with_fixed!(x, unreachable_str(), a => {
            to_value(&shape, positions.iter().map(|&p| a[[p]]).collect())
        }),
    }
}

fn list_diff(x: &Value, y: &Value, out_idx: DType) -> Result<Outputs> {
    for (v, what) in [(x, "x"), (y, "y")] {
        if v.shape().len() != 1 {
            return Err(Error::op_invalid(format!(
                "{what} should be a 1D vector.{}",
                fmt_dims(v.shape())
            )));
        }
    }
    fn kept<K: Eq + std::hash::Hash>(
        xs: impl Iterator<Item = Option<K>>,
        ys: impl Iterator<Item = Option<K>>,
    ) -> Vec<usize> {
        let excluded: std::collections::HashSet<K> = ys.flatten().collect();
        xs.enumerate()
            .filter(|(_, k)| !k.as_ref().is_some_and(|k| excluded.contains(k)))
            .map(|(i, _)| i)
            .collect()
    }
    fn kept_numbers<T: UniqueKey>(a: &Arr<T>, b: &Arr<T>) -> Vec<usize> {
        kept(a.iter().map(|v| v.key()), b.iter().map(|v| v.key()))
    }
    let mismatch = || Error::op_invalid("ListDiff needs x and y of one dtype");
    let positions = match (x, y) {
        (Value::Str(a), Value::Str(b)) => kept(
            a.iter().map(|s| Some(s.as_slice())),
            b.iter().map(|s| Some(s.as_slice())),
        ),
        (Value::Str(_), _) => return Err(mismatch()),
        _ => crate::with_real!(x, no_complex(x)?, a => {
            let b = y.as_array().ok_or_else(mismatch)?;
            kept_numbers(a, b)
        }),
    };
    let idx: Vec<i64> = positions.iter().map(|&p| p as i64).collect();
    Ok(smallvec![
        pick(x, &positions)?,
        Value::int_vector(out_idx, &idx)
    ])
}

fn in_top_k(predictions: &Value, targets: &Value, k: &Value) -> Result<Value> {
    let p = predictions
        .as_array::<f32>()
        .ok_or_else(|| Error::op_invalid("predictions must be float32"))?;
    let [batch, classes] = predictions.shape() else {
        return Err(Error::op_invalid(format!(
            "predictions must be 2-dimensional{}",
            fmt_dims(predictions.shape())
        )));
    };
    if targets.shape().len() != 1 {
        return Err(Error::op_invalid(format!(
            "targets must be 1-dimensional{}",
            fmt_dims(targets.shape())
        )));
    }
    if targets.len() != *batch {
        return Err(Error::op_invalid(format!(
            "First dimension of predictions {batch} must match length of targets {}",
            targets.len()
        )));
    }
    let k = match (k.shape().len(), k.to_i64_vec()?.as_slice()) {
        (0, [k]) => *k,
        _ => {
            return Err(Error::op_invalid(format!(
                "k must be 0-D, got shape {}",
                fmt_dims(k.shape())
            )))
        }
    };
    let scores: Vec<f32> = p.iter().copied().collect();
    let hits: Vec<bool> = targets
        .to_i64_vec()?
        .iter()
        .enumerate()
        .map(|(b, &t)| {
            let row = scores.get(b * classes..(b + 1) * classes).unwrap_or(&[]);
            let target = usize::try_from(t).ok().and_then(|t| row.get(t)).copied();
            match target {
                Some(tp) if tp.is_finite() && row.iter().all(|v| v.is_finite()) => {
                    (row.iter().filter(|&&v| v > tp).count() as i64) < k
                }
                _ => false,
            }
        })
        .collect();
    to_value(&[*batch], hits)
}

fn bincount(input: &Value, size: &Value, weights: &Value, binary: bool) -> Result<Value> {
    let size = match (size.shape().len(), size.to_i64_vec()?.as_slice()) {
        (0, [s]) => *s,
        _ => {
            return Err(Error::op_invalid(format!(
                "Shape must be rank 0 but is rank {}",
                size.shape().len()
            )))
        }
    };
    let size = usize::try_from(size)
        .map_err(|_| Error::op_invalid(format!("size ({size}) must be non-negative")))?;
    let shape = input.shape();
    let (rows, out_shape) = match shape {
        [] | [_] => (1, vec![size]),
        [r, _] => (*r, vec![*r, size]),
        _ => {
            return Err(Error::op_invalid(
                "Shape must be at most rank 2 but is rank ".to_string() + &shape.len().to_string(),
            ))
        }
    };
    let values = input.to_i64_vec()?;
    if values.iter().any(|&v| v < 0) {
        return Err(Error::op_invalid("Input arr must be non-negative!"));
    }
    let weighted = !weights.is_empty();
    if weighted && weights.shape() != shape {
        return Err(Error::op_invalid(format!(
            "Input must have the same shape as the weights: {} vs {}",
            fmt_dims(shape),
            fmt_dims(weights.shape())
        )));
    }
    let per_row = values.len().checked_div(rows).unwrap_or(0);
    let out_len = rows
        .checked_mul(size)
        .ok_or_else(|| Error::op_invalid("DenseBincount output is too large"))?;
    Value::check_allocation(weights.dtype(), &out_shape)?;
    let w = weights.to_f64_vec();
    let mut out = vec![0.0f64; out_len];
    for (i, &v) in values.iter().enumerate() {
        let bin = v as usize;
        if bin >= size {
            continue;
        }
        let row = i.checked_div(per_row).unwrap_or(0);
        if let Some(o) = out.get_mut(row * size + bin) {
            *o = match (binary, weighted) {
                (true, _) => 1.0,
                (false, true) => *o + w.get(i).copied().unwrap_or(0.0),
                (false, false) => *o + 1.0,
            };
        }
    }
    Ok(Value::from_vec(&out_shape, out)?.cast(weights.dtype()))
}

fn bounds(sorted: &Value, values: &Value, upper: bool, out_type: DType) -> Result<Value> {
    let (s, v) = (sorted.shape(), values.shape());
    if s.len() != 2 || v.len() != 2 {
        return Err(Error::op_invalid(format!(
            "Shape must be rank 2 but is rank {}",
            if s.len() != 2 { s.len() } else { v.len() }
        )));
    }
    if s[0] != v[0] {
        return Err(Error::op_invalid(
            "Leading dim_size of both tensors must match.",
        ));
    }
    let (n, m) = (s[1], v[1]);
    fn search<T: Elem>(
        sorted: &Arr<T>,
        values: &Arr<T>,
        n: usize,
        m: usize,
        upper: bool,
    ) -> Vec<i64> {
        let s: Vec<T> = sorted.iter().copied().collect();
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let row = s
                    .get((i / m.max(1)) * n..(i / m.max(1) + 1) * n)
                    .unwrap_or(&[]);
                let pos = if upper {
                    row.partition_point(|x| x <= v)
                } else {
                    row.partition_point(|x| x < v)
                };
                pos as i64
            })
            .collect()
    }
    let out = match (sorted, values) {
        (Value::F32(a), Value::F32(b)) => search(a, b, n, m, upper),
        (Value::F64(a), Value::F64(b)) => search(a, b, n, m, upper),
        (Value::I8(a), Value::I8(b)) => search(a, b, n, m, upper),
        (Value::I16(a), Value::I16(b)) => search(a, b, n, m, upper),
        (Value::I32(a), Value::I32(b)) => search(a, b, n, m, upper),
        (Value::I64(a), Value::I64(b)) => search(a, b, n, m, upper),
        (Value::U8(a), Value::U8(b)) => search(a, b, n, m, upper),
        _ => {
            return Err(Error::op_invalid(
                "sorted_inputs and values must be of the same real type",
            ))
        }
    };
    if out_type == DType::I32 && n > i32::MAX as usize {
        return Err(Error::op_invalid(
            "trying to return int32 but sorted_inputs is too long",
        ));
    }
    Value::int_vector(out_type, &out).reshape(v)
}

// ===== builders =====

/// `DynamicPartition(data, partitions)`, named after its type.
pub fn dynamic_partition(
    g: &Graph,
    data: Tensor,
    partitions: Tensor,
    num: usize,
) -> Result<Vec<Tensor>> {
    let node = g.add_op(OpSpec {
        op: OpKind::Misc(MiscOp::DynamicPartition { num }),
        inputs: &[data, partitions],
        name: Some("DynamicPartition"),
    })?;
    Ok((0..num as u32).map(|i| node.output(i)).collect())
}

// ===== gradients =====

/// TF's `_DynamicPartitionGrads`: the positions of `data`'s rows, partitioned the same way,
/// stitch the output gradients back (TF uses `ParallelDynamicStitch`; `DynamicStitch`
/// gives the same result, the positions being distinct).
fn dynamic_partition_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> Result<Vec<Option<Grad>>> {
    let g = ctx.graph;
    let (data, partitions) = (ctx.input(0)?, ctx.input(1)?);
    let num = ctx.num_outputs;
    let prefix = array::shape_of(g, partitions, DType::I32, None)?;
    let count = reduce::prod(g, prefix, &[0], false)?;
    let zero = source::const_value(g, Value::scalar(0i32), None)?;
    let step = source::const_value(g, Value::scalar(1i32), None)?;
    let positions = array::range(g, zero, count, step)?;
    let positions = array::reshape_t(g, positions, prefix)?;
    let parts = dynamic_partition(g, positions, partitions, num)?;
    let dense: Vec<Tensor> = (0..num)
        .map(|i| ctx.grad(grads, i))
        .collect::<Result<_>>()?;
    let stitched = array::dynamic_stitch(g, &parts, &dense)?;
    let data_shape = array::shape_of(g, data, DType::I32, None)?;
    let dx = array::reshape_t(g, stitched, data_shape)?;
    Ok(vec![Some(Grad::Dense(dx)), None])
}
