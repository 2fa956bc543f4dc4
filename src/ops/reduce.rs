//! Reductions: Sum, Mean, Max, Min, Prod over a set of axes given as an int32/int64 tensor
//! of rank 0 or 1 (TF's `reduction_indices`), with the `keep_dims` attribute.
//!
//! Per op, side by side: builders, the shape rule, the kernel, and the gradient. The
//! gradients are built only from ops that have gradients themselves, so they differentiate
//! again (Hessians).

use super::complex::conj;
use super::{array, axis_ops, binary, elementwise, index, one, source, InferCtx, OpKind, Outputs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx};
use crate::graph::{Graph, Input, Metas, Tensor};
use crate::pool;
use crate::shape::{Dims, Shape};
use crate::value::{Arr, Elem, Value};
use ndarray::{ArcArray, IxDyn};
use num_complex::Complex;
use num_traits::{One as _, Zero as _};
use smallvec::smallvec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    Sum,
    Mean,
    Max,
    Min,
    Prod,
    Any,
    All,
    /// `EuclideanNorm`: `sqrt(sum(x * x))`.
    EuclideanNorm,
}

impl ReduceOp {
    pub const ALL: [ReduceOp; 8] = [
        ReduceOp::Sum,
        ReduceOp::Mean,
        ReduceOp::Max,
        ReduceOp::Min,
        ReduceOp::Prod,
        ReduceOp::Any,
        ReduceOp::All,
        ReduceOp::EuclideanNorm,
    ];

    pub fn type_name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "Sum",
            ReduceOp::Mean => "Mean",
            ReduceOp::Max => "Max",
            ReduceOp::Min => "Min",
            ReduceOp::Prod => "Prod",
            ReduceOp::Any => "Any",
            ReduceOp::All => "All",
            ReduceOp::EuclideanNorm => "EuclideanNorm",
        }
    }

    pub fn from_type_name(name: &str) -> Option<ReduceOp> {
        ReduceOp::ALL.into_iter().find(|op| op.type_name() == name)
    }
}

// ----- builders -----

/// `op(x, axes, keep_dims)`; `axes` is an int32/int64 tensor of rank 0 or 1.
pub fn reduce(
    g: &Graph,
    op: ReduceOp,
    x: Tensor,
    axes: Tensor,
    keep_dims: bool,
    name: Option<&str>,
) -> Result<Tensor> {
    g.add1(
        OpKind::Reduce { op, keep_dims },
        &[x, axes],
        Some(name.unwrap_or(op.type_name())),
    )
}

/// `op(x, axes, keep_dims)` with the axes as an int32 `Const`.
pub fn reduce_axes(
    g: &Graph,
    op: ReduceOp,
    x: Tensor,
    axes: &[i64],
    keep_dims: bool,
) -> Result<Tensor> {
    let axes = Input::constant("reduction_indices", Value::int_vector(DType::I32, axes));
    Ok(
        g.add_with_consts(OpKind::Reduce { op, keep_dims }, &[x.into(), axes], None)?
            .output(0),
    )
}

pub fn sum(g: &Graph, x: Tensor, axes: &[i64], keep_dims: bool) -> Result<Tensor> {
    reduce_axes(g, ReduceOp::Sum, x, axes, keep_dims)
}
pub fn sum_t(g: &Graph, x: Tensor, axes: Tensor, keep_dims: bool) -> Result<Tensor> {
    reduce(g, ReduceOp::Sum, x, axes, keep_dims, None)
}
pub fn mean(g: &Graph, x: Tensor, axes: &[i64], keep_dims: bool) -> Result<Tensor> {
    reduce_axes(g, ReduceOp::Mean, x, axes, keep_dims)
}
pub fn max(g: &Graph, x: Tensor, axes: &[i64], keep_dims: bool) -> Result<Tensor> {
    reduce_axes(g, ReduceOp::Max, x, axes, keep_dims)
}
pub fn min(g: &Graph, x: Tensor, axes: &[i64], keep_dims: bool) -> Result<Tensor> {
    reduce_axes(g, ReduceOp::Min, x, axes, keep_dims)
}
pub fn prod(g: &Graph, x: Tensor, axes: &[i64], keep_dims: bool) -> Result<Tensor> {
    reduce_axes(g, ReduceOp::Prod, x, axes, keep_dims)
}
pub fn prod_t(g: &Graph, x: Tensor, axes: Tensor, keep_dims: bool) -> Result<Tensor> {
    reduce(g, ReduceOp::Prod, x, axes, keep_dims, None)
}

/// Reduces over every axis of `x` (rank must be known statically).
pub fn sum_all(g: &Graph, x: Tensor) -> Result<Tensor> {
    let rank = g
        .shape(x)?
        .rank()
        .ok_or_else(|| Error::invalid("sum_all needs a tensor of known rank"))?;
    let axes: Vec<i64> = (0..rank as i64).collect();
    sum(g, x, &axes, false)
}

// ----- shape rule -----

pub fn infer(op: ReduceOp, keep_dims: bool, ctx: &InferCtx<'_>) -> Result<Metas> {
    ctx.expect_inputs(2)?;
    let dtype = ctx.dtype(0)?;
    let logical = matches!(op, ReduceOp::Any | ReduceOp::All);
    if logical && dtype != DType::Bool {
        return Err(Error::type_error(format!(
            "Value passed to parameter 'input' has DataType {dtype} not in list of allowed values: bool (op '{}')",
            op.type_name()
        )));
    }
    if dtype == DType::Bool && !logical {
        return Err(Error::type_error(format!(
            "Value passed to parameter 'input' has DataType bool not in list of allowed values: \
             float32, float64, int32, uint8, int16, int8, int64 (op '{}')",
            op.type_name()
        )));
    }
    let axes_dtype = ctx.dtype(1)?;
    if !matches!(axes_dtype, DType::I32 | DType::I64) {
        return Err(Error::type_error(format!(
            "Value passed to parameter 'reduction_indices' has DataType {axes_dtype} not in list of allowed values: int32, int64"
        )));
    }
    let axes_shape = ctx.shape(1)?.clone();
    let axes = ctx.const_ints(1);
    let shape = output_shape(ctx.shape(0)?, axes.as_deref(), &axes_shape, keep_dims)
        .map_err(|m| ctx.err(m))?;
    one(dtype, shape)
}

/// The static output shape. With constant axes and a known input rank it is exact; without
/// them only the rank can be known (TF itself gives an unknown shape there).
fn output_shape(
    input: &Shape,
    axes: Option<&[i64]>,
    axes_shape: &Shape,
    keep_dims: bool,
) -> Result<Shape, String> {
    let axes_rank = axes_shape.rank();
    if let Some(r) = axes_rank.filter(|&r| r > 1) {
        return Err(format!("Shape must be at most rank 1 but is rank {r}"));
    }
    let Some(dims) = input.dims() else {
        return Ok(Shape::unknown());
    };
    let rank = dims.len();
    let Some(axes) = axes else {
        if keep_dims {
            return Ok(Shape::unknown_dims(rank));
        }
        // How many axes go away is known only when no duplicate can hide among them:
        // none or one index (a scalar axis counts as one).
        let count = match axes_rank {
            Some(0) => Some(1),
            Some(_) => axes_shape.dim(0),
            None => None,
        };
        return Ok(match count {
            Some(0) => input.clone(),
            Some(1) if rank >= 1 => Shape::unknown_dims(rank - 1),
            _ => Shape::unknown(),
        });
    };
    let mask = axis_mask(axes, rank).map_err(|bad| {
        format!("Invalid reduction dimension {bad} for input with {rank} dimensions.")
    })?;
    let mut out = Dims::new();
    for (&d, &reduced) in dims.iter().zip(&mask) {
        if !reduced {
            out.push(d);
        } else if keep_dims {
            out.push(Some(1));
        }
    }
    Ok(Shape(Some(out)))
}

/// Which of `rank` axes are reduced; duplicates and negative indices allowed, as TF. The
/// error carries the first out-of-range index.
fn axis_mask(axes: &[i64], rank: usize) -> Result<Vec<bool>, i64> {
    let mut mask = vec![false; rank];
    let r = rank as i64;
    for &a in axes {
        if a < -r || a >= r {
            return Err(a);
        }
        let i = if a < 0 { a + r } else { a } as usize;
        if let Some(m) = mask.get_mut(i) {
            *m = true;
        }
    }
    Ok(mask)
}

// ----- kernel -----

/// The arithmetic the kernels need. Integer sums and products wrap, as TF's C++ kernels
/// do (and a debug build must not panic on user data).
trait Reducible: Elem {
    fn zero() -> Self;
    fn one() -> Self;
    /// Identity of Max: -inf for floats (TF's value for an empty max), MIN for integers.
    fn lowest() -> Self;
    fn highest() -> Self;
    fn add(self, other: Self) -> Self;
    fn mul(self, other: Self) -> Self;
    fn nan(self) -> bool;
    /// Mean's final division; integer means truncate toward zero. An empty mean is NaN for
    /// floats and 0 for integers (TF's identity for the mean reducer).
    fn div_count(self, n: usize) -> Self;
    /// EuclideanNorm's final square root; integers take the root in float64 and truncate.
    fn sqrt(self) -> Self;
}

macro_rules! reducible_float {
    ($t:ty) => {
        impl Reducible for $t {
            fn zero() -> Self {
                0.0
            }
            fn one() -> Self {
                1.0
            }
            fn lowest() -> Self {
                <$t>::NEG_INFINITY
            }
            fn highest() -> Self {
                <$t>::INFINITY
            }
            fn add(self, other: Self) -> Self {
                self + other
            }
            fn mul(self, other: Self) -> Self {
                self * other
            }
            fn nan(self) -> bool {
                self.is_nan()
            }
            fn div_count(self, n: usize) -> Self {
                self / n as $t
            }
            fn sqrt(self) -> Self {
                self.sqrt()
            }
        }
    };
}
reducible_float!(f32);
reducible_float!(f64);

macro_rules! reducible_int {
    ($t:ty) => {
        impl Reducible for $t {
            fn zero() -> Self {
                0
            }
            fn one() -> Self {
                1
            }
            fn lowest() -> Self {
                <$t>::MIN
            }
            fn highest() -> Self {
                <$t>::MAX
            }
            fn add(self, other: Self) -> Self {
                self.wrapping_add(other)
            }
            fn mul(self, other: Self) -> Self {
                self.wrapping_mul(other)
            }
            fn nan(self) -> bool {
                false
            }
            fn div_count(self, n: usize) -> Self {
                // In i64 so a count that does not fit the element type still divides right.
                match i64::try_from(n) {
                    Ok(n) if n > 0 => (self as i64 / n) as $t,
                    _ => 0,
                }
            }
            fn sqrt(self) -> Self {
                (self as f64).sqrt() as $t
            }
        }
    };
}
reducible_int!(i8);
reducible_int!(i16);
reducible_int!(i32);
reducible_int!(i64);
reducible_int!(u8);

/// NaN wins, as numpy's `max`: once a lane holds NaN it keeps it.
fn max_nan<T: Reducible>(acc: T, x: T) -> T {
    if acc.nan() || x.nan() || x > acc {
        if acc.nan() {
            acc
        } else {
            x
        }
    } else {
        acc
    }
}
fn min_nan<T: Reducible>(acc: T, x: T) -> T {
    if acc.nan() || x.nan() || x < acc {
        if acc.nan() {
            acc
        } else {
            x
        }
    } else {
        acc
    }
}

pub fn compute(op: ReduceOp, keep_dims: bool, inputs: &[Value]) -> Result<Outputs> {
    let [x, axes] = inputs else {
        return Err(Error::internal(format!(
            "{} expects 2 inputs, got {}",
            op.type_name(),
            inputs.len()
        )));
    };
    let rank = x.shape().len();
    let mask = runtime_mask(axes, rank)?;
    let out_shape: Vec<usize> = x
        .shape()
        .iter()
        .zip(&mask)
        .filter_map(|(&d, &r)| match (r, keep_dims) {
            (false, _) => Some(d),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect();
    let out = match x {
        Value::Str(_) => return Err(super::strings::rejected(op.type_name())),
        Value::F16(_) => return Err(super::half::unwidened(op.type_name())),
        Value::F32(a) => Value::F32(reduce_value(op, a, &mask, &out_shape)?),
        Value::F64(a) => Value::F64(reduce_value(op, a, &mask, &out_shape)?),
        Value::I8(a) => Value::I8(reduce_value(op, a, &mask, &out_shape)?),
        Value::I16(a) => Value::I16(reduce_value(op, a, &mask, &out_shape)?),
        Value::I32(a) => Value::I32(reduce_value(op, a, &mask, &out_shape)?),
        Value::I64(a) => Value::I64(reduce_value(op, a, &mask, &out_shape)?),
        Value::U8(a) => Value::U8(reduce_value(op, a, &mask, &out_shape)?),
        Value::C64(a) => Value::C64(reduce_complex(op, a, &mask, &out_shape)?),
        Value::C128(a) => Value::C128(reduce_complex(op, a, &mask, &out_shape)?),
        Value::Bool(a) if matches!(op, ReduceOp::Any | ReduceOp::All) => {
            let data = if op == ReduceOp::Any {
                reduce_contiguous(a, &mask, false, |p, q| p || q)
            } else {
                reduce_contiguous(a, &mask, true, |p, q| p && q)
            };
            Value::Bool(
                ArcArray::from_shape_vec(IxDyn(&out_shape), data).map_err(|e| {
                    Error::internal(format!(
                        "{}: reduced data does not fit: {e}",
                        op.type_name()
                    ))
                })?,
            )
        }
        Value::Bool(_) => {
            return Err(Error::op_invalid(format!(
                "No OpKernel was registered to support Op '{}' with these attrs: T=DT_BOOL",
                op.type_name()
            )))
        }
    };
    Ok(smallvec![out])
}

/// The reduced-axes mask from the run-time axes tensor, with TF's kernel messages.
fn runtime_mask(axes: &Value, rank: usize) -> Result<Vec<bool>> {
    if !matches!(axes.dtype(), DType::I32 | DType::I64) {
        return Err(Error::op_invalid(format!(
            "reduction_indices must be int32 or int64, got {}",
            axes.dtype()
        )));
    }
    if axes.shape().len() > 1 {
        return Err(Error::op_invalid(format!(
            "reduction_indices must be a scalar or vector, got shape {:?}",
            axes.shape()
        )));
    }
    let axes = axes.to_i64_vec()?;
    let mask = axis_mask(&axes, rank).map_err(|bad| {
        Error::op_invalid(format!(
            "Invalid reduction dimension ({bad} for input with {rank} dimension(s)"
        ))
    })?;
    // Shape inference lets duplicates through; TF's kernels refuse them.
    if mask.iter().filter(|&&m| m).count() < axes.len() {
        let mut seen = vec![false; rank];
        for &a in &axes {
            let i = if a < 0 { a + rank as i64 } else { a } as usize;
            if let Some(s) = seen.get_mut(i) {
                if *s {
                    return Err(Error::op_invalid(format!(
                        "Invalid reduction arguments: Axes contains duplicate dimension: {i}"
                    )));
                }
                *s = true;
            }
        }
    }
    Ok(mask)
}

/// How many elements each output of a reduction over the `mask`ed axes sums.
fn reduced_count(shape: &[usize], mask: &[bool]) -> usize {
    shape
        .iter()
        .zip(mask)
        .filter(|(_, &r)| r)
        .map(|(&d, _)| d)
        .product()
}

/// The reductions TF has complex kernels for: `Sum`, `Prod`, `Mean` and `EuclideanNorm`
/// (`sqrt(sum(|z|²))`, a complex number with no imaginary part).
fn reduce_complex<F: num_traits::Float + Send + Sync>(
    op: ReduceOp,
    a: &Arr<Complex<F>>,
    mask: &[bool],
    out_shape: &[usize],
) -> Result<Arr<Complex<F>>> {
    let add = |p: Complex<F>, q: Complex<F>| p + q;
    let data = match op {
        ReduceOp::Sum => reduce_contiguous(a, mask, Complex::zero(), add),
        ReduceOp::Prod => reduce_contiguous(a, mask, Complex::one(), |p, q| p * q),
        ReduceOp::Mean => {
            let n = F::from(reduced_count(a.shape(), mask)).unwrap_or_else(F::nan);
            let sums = reduce_contiguous(a, mask, Complex::zero(), add);
            sums.into_iter().map(|s| s.unscale(n)).collect()
        }
        ReduceOp::EuclideanNorm => {
            let squares = a.map(|z| Complex::from(z.norm_sqr())).into_shared();
            let sums = reduce_contiguous(&squares, mask, Complex::zero(), add);
            sums.into_iter()
                .map(|s| Complex::from(s.re.sqrt()))
                .collect()
        }
        _ => {
            let t = if std::mem::size_of::<F>() == 4 {
                DType::C64
            } else {
                DType::C128
            };
            return Err(super::not_for_complex(op.type_name(), t));
        }
    };
    ArcArray::from_shape_vec(IxDyn(out_shape), data)
        .map_err(|e| Error::internal(format!("{}: {e}", op.type_name())))
}

fn reduce_value<T: Reducible>(
    op: ReduceOp,
    a: &Arr<T>,
    mask: &[bool],
    out_shape: &[usize],
) -> Result<Arr<T>> {
    let data = match op {
        ReduceOp::Any | ReduceOp::All => {
            return Err(Error::op_invalid(format!(
                "No OpKernel was registered to support Op '{}' with these attrs: T={}",
                op.type_name(),
                T::DTYPE
            )))
        }
        ReduceOp::Sum => reduce_contiguous(a, mask, T::zero(), T::add),
        ReduceOp::Prod => reduce_contiguous(a, mask, T::one(), T::mul),
        ReduceOp::Max => reduce_contiguous(a, mask, T::lowest(), max_nan::<T>),
        ReduceOp::Min => reduce_contiguous(a, mask, T::highest(), min_nan::<T>),
        ReduceOp::Mean => {
            let count = reduced_count(a.shape(), mask);
            let sums = reduce_contiguous(a, mask, T::zero(), T::add);
            sums.into_iter().map(|s| s.div_count(count)).collect()
        }
        ReduceOp::EuclideanNorm => {
            let squares = a.map(|&x| Reducible::mul(x, x)).into_shared();
            let sums = reduce_contiguous(&squares, mask, T::zero(), T::add);
            sums.into_iter().map(Reducible::sqrt).collect()
        }
    };
    ArcArray::from_shape_vec(IxDyn(out_shape), data).map_err(|e| {
        Error::internal(format!(
            "{}: reduced data does not fit {out_shape:?}: {e}",
            op.type_name()
        ))
    })
}

/// Reduces `a` over the masked axes with `f` (associative and commutative, `init` its
/// identity). Returns the kept elements in row-major order.
///
/// Works on the contiguous buffer: neighbouring axes of the same kind are merged into
/// groups, so the work is a few passes of slice folds, never per-element index math.
fn reduce_contiguous<T: Copy + Send + Sync>(
    a: &Arr<T>,
    mask: &[bool],
    init: T,
    f: impl Fn(T, T) -> T + Copy + Send + Sync,
) -> Vec<T> {
    let kept_len: usize = a
        .shape()
        .iter()
        .zip(mask)
        .filter(|(_, &r)| !r)
        .map(|(&d, _)| d)
        .product();
    if a.is_empty() {
        // The reduced axes are empty (or the output is): every output is the identity.
        return vec![init; kept_len];
    }
    let standard = a.as_standard_layout();
    let owned: Vec<T>;
    let data: &[T] = match standard.as_slice() {
        Some(s) => s,
        None => {
            owned = standard.iter().copied().collect();
            &owned
        }
    };
    let mut groups = collapse_groups(a.shape(), mask);
    let mut current: Vec<T>;
    let mut view: &[T] = data;
    // Innermost reduced group: fold each contiguous run.
    if let Some(&(n, true)) = groups.last() {
        current = fold_runs(view, n, init, f);
        groups.pop();
        view = &current;
        if groups.is_empty() {
            return current;
        }
    }
    // Now the innermost group is kept. Each remaining reduced group of size n sits above a
    // kept block of `inner` elements: accumulate its n rows into one.
    while let Some(pos) = groups.iter().rposition(|&(_, reduced)| reduced) {
        let n = groups.get(pos).map_or(1, |g| g.0);
        let inner: usize = groups.iter().skip(pos + 1).map(|g| g.0).product();
        let block = n * inner;
        if block == 0 {
            break;
        }
        let mut next = Vec::with_capacity(view.len() / n.max(1));
        for outer in view.chunks_exact(block) {
            let mut acc = vec![init; inner];
            for row in outer.chunks_exact(inner) {
                for (s, &x) in acc.iter_mut().zip(row) {
                    *s = f(*s, x);
                }
            }
            next.extend_from_slice(&acc);
        }
        groups.remove(pos);
        current = next;
        view = &current;
    }
    view.to_vec()
}

/// Merges neighbouring axes that are both reduced or both kept; size-1 axes are dropped
/// (they change nothing). Returns (size, reduced) per group, outermost first.
fn collapse_groups(shape: &[usize], mask: &[bool]) -> Vec<(usize, bool)> {
    let mut groups: Vec<(usize, bool)> = Vec::new();
    for (&d, &reduced) in shape.iter().zip(mask) {
        if d == 1 {
            continue;
        }
        match groups.last_mut() {
            Some((n, kind)) if *kind == reduced => *n *= d,
            _ => groups.push((d, reduced)),
        }
    }
    groups
}

/// Elements per block when one long run is folded on several cores. Fixed, so the
/// grouping of a float sum (and so its result) does not depend on the number of threads.
const FOLD_BLOCK: usize = 1 << 14;

/// Folds each run of `n` consecutive elements of `data`. Large inputs use the thread pool:
/// many runs are shared out whole; a long run is folded per `FOLD_BLOCK` block and the
/// block results are combined in order.
fn fold_runs<T: Copy + Send + Sync>(
    data: &[T],
    n: usize,
    init: T,
    f: impl Fn(T, T) -> T + Copy + Send + Sync,
) -> Vec<T> {
    if data.len() < elementwise::PARALLEL_MIN || n == 0 {
        return data
            .chunks_exact(n.max(1))
            .map(|run| fold_slice(run, init, f))
            .collect();
    }
    if n >= elementwise::PARALLEL_MIN {
        return data
            .chunks_exact(n)
            .map(|run| {
                pool::map_collect(run.len().div_ceil(FOLD_BLOCK), |b| {
                    fold_slice(
                        &run[b * FOLD_BLOCK..run.len().min((b + 1) * FOLD_BLOCK)],
                        init,
                        f,
                    )
                })
                .into_iter()
                .fold(init, f)
            })
            .collect();
    }
    // Many short runs: each task folds a contiguous group of whole runs.
    let runs = data.len() / n;
    let per_task = (elementwise::PARALLEL_MIN / n).max(runs.div_ceil(8 * pool::threads()));
    pool::map_collect(runs.div_ceil(per_task), |t| {
        let group = &data[t * per_task * n..(runs.min((t + 1) * per_task)) * n];
        group
            .chunks_exact(n)
            .map(|run| fold_slice(run, init, f))
            .collect::<Vec<T>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

/// Folds a slice with eight independent accumulators: the loop vectorises, and float sums
/// lose less precision than one running total.
fn fold_slice<T: Copy>(xs: &[T], init: T, f: impl Fn(T, T) -> T) -> T {
    let mut lanes = [init; 8];
    let chunks = xs.chunks_exact(8);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (lane, &x) in lanes.iter_mut().zip(chunk) {
            *lane = f(*lane, x);
        }
    }
    let mut acc = init;
    for lane in lanes {
        acc = f(acc, lane);
    }
    for &x in rest {
        acc = f(acc, x);
    }
    acc
}

// ----- gradients -----

type GradOut = Result<Vec<Option<Grad>>>;

fn keep_dims_of(ctx: &GradCtx<'_>) -> Result<bool> {
    match &ctx.kind {
        OpKind::Reduce { keep_dims, .. } => Ok(*keep_dims),
        other => Err(Error::internal(format!(
            "reduction gradient called for {}",
            other.type_name()
        ))),
    }
}

fn const_axes(g: &Graph, axes: Tensor) -> Option<Vec<i64>> {
    let value = g.read().constant_value(axes);
    value.and_then(|v| v.to_i64_vec().ok())
}

/// Input dims with the reduced axes set to 1 (TF's `reduced_shape` on static values).
fn kept_dims_static(dims: &[usize], axes: &[i64]) -> Result<Vec<i64>> {
    let mask = axis_mask(axes, dims.len()).map_err(|bad| {
        Error::invalid(format!(
            "Invalid reduction dimension {bad} for input with {} dimensions.",
            dims.len()
        ))
    })?;
    Ok(dims
        .iter()
        .zip(&mask)
        .map(|(&d, &r)| if r { 1 } else { d as i64 })
        .collect())
}

/// TF's `array_ops.size(x, out_type)`: a `Const` named `Size` when x's shape is fully
/// known, else a `Size` op.
pub fn size_folded(g: &Graph, x: Tensor, out_type: DType) -> Result<Tensor> {
    match g.shape(x)?.num_elements() {
        Some(n) if g.shape(x)?.is_fully_defined() => source::const_value(
            g,
            Value::int_vector(out_type, &[n as i64]).reshape(&[])?,
            Some("Size"),
        ),
        _ => array::size(g, x, out_type),
    }
}

/// TF's `array_ops.rank(x)`: a `Const` named `Rank` when the rank is known.
pub fn rank_folded(g: &Graph, x: Tensor) -> Result<Tensor> {
    match g.shape(x)?.rank() {
        Some(r) => source::const_value(g, Value::scalar(r as i32), Some("Rank")),
        None => array::rank(g, x),
    }
}

/// TF's `math_ops.range(start, limit, delta)` with Python-number start and delta: the op
/// is `range`, its number arguments `range/start` and `range/delta`.
pub fn range_from(g: &Graph, start: i64, limit: Tensor, delta: i64) -> Result<Tensor> {
    let dtype = g.dtype(limit)?;
    let inputs = [
        Input::constant("start", Value::int_vector(dtype, &[start]).reshape(&[])?),
        Input::Tensor(limit),
        Input::constant("delta", Value::int_vector(dtype, &[delta]).reshape(&[])?),
    ];
    Ok(g.add_with_consts(OpKind::Range, &inputs, Some("range"))?
        .output(0))
}

/// TF's `reduce_sum(x)` with no axis (`_ReductionDims`): the axes are a `Const` when the
/// rank is known and positive, else `range(0, rank(x))`.
pub fn reduce_sum_all(g: &Graph, x: Tensor) -> Result<Tensor> {
    reduce_all(g, ReduceOp::Sum, x)
}

/// TF's `reduce_<op>(x)` with no axis; see `reduce_sum_all`.
pub fn reduce_all(g: &Graph, op: ReduceOp, x: Tensor) -> Result<Tensor> {
    let axes = match g.shape(x)?.rank() {
        Some(r) if r > 0 => source::const_ints(g, &(0..r as i64).collect::<Vec<_>>())?,
        _ => {
            let rank = rank_folded(g, x)?;
            range_from(g, 0, rank, 1)?
        }
    };
    reduce(g, op, x, axes, false, None)
}

/// `math_ops.reduced_shape`'s result: numbers when the input shape and the axes are
/// constants, else a tensor.
pub enum KeptShape {
    Static(Vec<i64>),
    Dynamic(Tensor),
}

impl KeptShape {
    /// `array_ops.reshape(t, kept)`: a static shape becomes `Reshape/shape`.
    pub fn reshape(&self, g: &Graph, t: Tensor) -> Result<Tensor> {
        match self {
            KeptShape::Static(v) => array::reshape(g, t, v),
            KeptShape::Dynamic(s) => array::reshape_t(g, t, *s),
        }
    }
}

/// The shape of reducing a tensor of shape `input_shape` (a 1-D int32 tensor) over `axes`
/// with the reduced axes kept as 1 (TF's `math_ops.reduced_shape`): numbers when both are
/// constants, else
/// `DynamicStitch([range(rank), (axes + rank) % rank], [input_shape, ones(shape(axes))])`.
pub fn reduced_shape(g: &Graph, input_shape: Tensor, axes: Tensor) -> Result<KeptShape> {
    let constant_shape = g
        .read()
        .constant_value(input_shape)
        .and_then(|v| v.to_i64_vec().ok());
    if let (Some(dims), Some(axes_v)) = (constant_shape, const_axes(g, axes)) {
        let dims: Vec<usize> = dims.iter().map(|&d| d.max(0) as usize).collect();
        return Ok(KeptShape::Static(kept_dims_static(&dims, &axes_v)?));
    }
    let mut axes = axes;
    if g.dtype(axes)? != DType::I32 {
        // DynamicStitch takes int32 indices.
        axes = array::cast(g, axes, DType::I32)?;
    }
    let rank = size_folded(g, input_shape, DType::I32)?;
    let axes = binary::operator(g, binary::BinaryOp::AddV2, axes, rank)?;
    let axes = binary::operator(g, binary::BinaryOp::FloorMod, axes, rank)?;
    let axes_shape = array::shape_of(g, axes, DType::I32, None)?;
    let all_axes = range_from(g, 0, rank, 1)?;
    let ones = {
        let (scope, previous) = g.enter_name_scope(Some("ones"));
        let r = (|| {
            let one = source::scalar_const(g, g.dtype(input_shape)?, 1.0, None, None)?;
            g.add1(OpKind::Fill, &[axes_shape, one], Some(&scope))
        })();
        g.set_name_scope(&previous);
        r?
    };
    Ok(KeptShape::Dynamic(array::dynamic_stitch(
        g,
        &[all_axes, axes],
        &[input_shape, ones],
    )?))
}

/// The (input shape, axes) pairs whose static `_SumGrad` helper ops a graph already holds:
/// TF caches them per graph (`_reduced_shape_cache`) and builds them only the first time.
fn first_static_sum_grad(g: &Graph, dims: &[usize], axes: &[i64]) -> bool {
    g.mark_reduced_shape(dims, axes)
}

/// TF's `_SumGrad`: spreads the gradient of a sum back over the reduced axes.
fn sum_grad_tensor(ctx: &GradCtx<'_>, grad: Tensor) -> Result<Tensor> {
    let g = ctx.graph;
    let (x, axes) = (ctx.input(0)?, ctx.input(1)?);
    let x_shape = g.shape(x)?;
    if let (Some(dims), Some(axes_v)) = (x_shape.dims(), const_axes(g, axes)) {
        let rank = dims.len();
        let axes_is_vector = g.shape(axes)?.rank() == Some(1);
        if axes_is_vector && axes_v == (0..rank as i64).collect::<Vec<_>>() {
            // Reduce-all: one Reshape to [1]*rank and one Tile by x's shape.
            let reshaped = array::reshape(g, grad, &vec![1i64; rank])?;
            let multiples = match x_shape.to_vec() {
                Some(full) => {
                    source::const_ints(g, &full.iter().map(|&d| d as i64).collect::<Vec<_>>())?
                }
                None => array::shape_dynamic(g, x)?,
            };
            return array::tile(g, reshaped, multiples);
        }
        if let Some(full) = x_shape.to_vec() {
            let kept = kept_dims_static(&full, &axes_v)?;
            let scaling: Vec<i64> = full
                .iter()
                .zip(&kept)
                .map(|(&d, &k)| d as i64 / k.max(1))
                .collect();
            if first_static_sum_grad(g, &full, &axes_v) {
                // TF evaluates `input_shape // maximum(kept, 1)` by building (unused) ops.
                let kept_t = Value::int_vector(DType::I32, &kept);
                let one = Value::scalar(1i32);
                let m = g
                    .add_with_consts(
                        OpKind::Binary(binary::BinaryOp::Maximum),
                        &[Input::constant("x", kept_t), Input::constant("y", one)],
                        None,
                    )?
                    .output(0);
                let full_v = Value::int_vector(
                    DType::I32,
                    &full.iter().map(|&d| d as i64).collect::<Vec<_>>(),
                );
                g.add_with_consts(
                    OpKind::Binary(binary::BinaryOp::FloorDiv),
                    &[Input::constant("x", full_v), Input::Tensor(m)],
                    Some("floordiv"),
                )?;
            }
            let reshaped = array::reshape(g, grad, &kept)?;
            let multiples = Input::constant("multiples", Value::int_vector(DType::I32, &scaling));
            return Ok(g
                .add_with_consts(OpKind::Tile, &[reshaped.into(), multiples], None)?
                .output(0));
        }
    }
    let input_shape = array::shape_of(g, x, DType::I32, None)?;
    let grad = if keep_dims_of(ctx)? {
        grad
    } else {
        g.push_colocation(Some(input_shape.op()), false)?;
        let kept = reduced_shape(g, input_shape, axes);
        g.pop_colocation();
        kept?.reshape(g, grad)?
    };
    array::broadcast_to(g, grad, input_shape)
}

fn sum_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let gx = sum_grad_tensor(ctx, ctx.grad(grads, 0)?)?;
    Ok(vec![Some(Grad::Dense(gx)), None])
}

/// Sum's gradient divided by the number of elements averaged: a `Const` when the shapes
/// are static, else size(x) // max(size(y), 1) at run time (TF gathers the reduced dims
/// with `GatherV2`, which symgrad does not have; the sizes give the same count).
fn mean_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let (x, y) = (ctx.input(0)?, ctx.output(0));
    let sum_g = sum_grad_tensor(ctx, grad)?;
    let dtype = g.dtype(sum_g)?;
    let factor = match (g.shape(x)?.num_elements(), g.shape(y)?.num_elements()) {
        (Some(n_in), Some(n_out))
            if g.shape(x)?.is_fully_defined() && g.shape(y)?.is_fully_defined() =>
        {
            source::scalar_const(g, dtype, (n_in / n_out.max(1)) as f64, None, None)?
        }
        _ => {
            // TF 2.21: the product of the reduced dimensions, `prod(gather(shape(x), (axes +
            // rank) % rank))`; so an empty input still divides by the reduced count.
            let input_shape = array::shape_of(g, x, DType::I32, None)?;
            let input_rank = size_folded(g, input_shape, DType::I32)?;
            let axes = array::cast(g, ctx.input(1)?, DType::I32)?;
            let axes = binary::operator(g, binary::BinaryOp::AddV2, axes, input_rank)?;
            let axes = binary::operator(g, binary::BinaryOp::FloorMod, axes, input_rank)?;
            let reduced_dims = index::gather(g, input_shape, axes, 0)?;
            let n = reduce_all(g, ReduceOp::Prod, reduced_dims)?;
            array::cast(g, n, dtype)?
        }
    };
    Ok(vec![
        Some(Grad::Dense(binary::operator(
            g,
            binary::BinaryOp::RealDiv,
            sum_g,
            factor,
        )?)),
        None,
    ])
}

/// Max/Min: the gradient goes to the elements equal to the result, shared equally among
/// ties (TF: max of [1, 3, 3] gives [0, .5, .5]).
fn min_max_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let (x, axes, y) = (ctx.input(0)?, ctx.input(1)?, ctx.output(0));
    let input_shape = array::shape_of(g, x, DType::I32, None)?;
    let (y, grad, kept) = if keep_dims_of(ctx)? {
        (
            y,
            grad,
            KeptShape::Dynamic(array::shape_of(g, y, DType::I32, None)?),
        )
    } else {
        let kept = reduced_shape(g, input_shape, axes)?;
        (kept.reshape(g, y)?, kept.reshape(g, grad)?, kept)
    };
    let dtype = g.dtype(grad)?;
    let indicators = array::cast(g, binary::equal(g, y, x)?, dtype)?;
    let num_selected = kept.reshape(g, sum_t(g, indicators, axes, false)?)?;
    let share = binary::operator(g, binary::BinaryOp::RealDiv, indicators, num_selected)?;
    let gx = binary::operator(g, binary::BinaryOp::Mul, share, grad)?;
    Ok(vec![Some(Grad::Dense(gx)), None])
}

/// TF's `_EuclideanNormGrad`: `x / (norm / grad)`, with the norm and the gradient reshaped
/// to keep the reduced axes.
fn euclidean_norm_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let (x, axes) = (ctx.input(0)?, ctx.input(1)?);
    let (mut norm, mut grad) = (ctx.output(0), ctx.grad(grads, 0)?);
    if !keep_dims_of(ctx)? {
        let input_shape = array::shape_of(g, x, DType::I32, None)?;
        let kept = reduced_shape(g, input_shape, axes)?;
        norm = kept.reshape(g, norm)?;
        grad = kept.reshape(g, grad)?;
    }
    let ratio = binary::operator(g, binary::BinaryOp::RealDiv, norm, grad)?;
    let gx = binary::operator(g, binary::BinaryOp::RealDiv, x, ratio)?;
    Ok(vec![Some(Grad::Dense(gx)), None])
}

/// TF's `_ProdGrad`: d prod / d x_i is the product of the other elements of its slice,
/// computed without dividing as the product of exclusive cumulative products from the left
/// and from the right: x is transposed to [reduced axes..., other axes...], reshaped to
/// [reduced_num, other_num], and `Cumprod(exclusive)` runs along axis 0 in both directions.
/// Cumprod's gradient is exact at zeros (see `axis_ops::cumprod_grad`), so second
/// derivatives are exact with any number of zeros. TF finds the permutation with
/// `SetDiff1d`/`Gather`; symgrad needs the rank and the axes at build time for it, and
/// otherwise falls back to `prod_grad_counting_zeros`.
fn prod_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let (x, axes) = (ctx.input(0)?, ctx.input(1)?);
    let (Some(rank), Some(axes_v)) = (g.shape(x)?.rank(), const_axes(g, axes)) else {
        return prod_grad_counting_zeros(ctx, grads);
    };
    let mut reduced: Vec<i64> = Vec::new();
    for a in axes_v {
        let a = crate::shape::normalize_axis(a, rank)? as i64;
        if !reduced.contains(&a) {
            reduced.push(a);
        }
    }
    let grad = ctx.grad(grads, 0)?;
    let grad = if keep_dims_of(ctx)? {
        grad
    } else {
        let input_shape = array::shape_of(g, x, DType::I32, None)?;
        reduced_shape(g, input_shape, axes)?.reshape(g, grad)?
    };
    let mut perm = reduced.clone();
    perm.extend((0..rank as i64).filter(|a| !reduced.contains(a)));
    let perm_t = source::const_ints(g, &perm)?;
    let permuted = array::transpose(g, x, perm_t)?;
    let permuted_shape = array::shape_of(g, permuted, DType::I32, None)?;
    let split = reduced.len() as i64;
    let reshaped = match g.shape(permuted)?.to_vec() {
        Some(dims) => {
            let reduced_num: usize = dims[..reduced.len()].iter().product();
            let other_num: usize = dims[reduced.len()..].iter().product();
            array::reshape(g, permuted, &[reduced_num as i64, other_num as i64])?
        }
        None => {
            let head = array::slice_const(g, permuted_shape, &[0], &[split])?;
            let tail = array::slice_const(g, permuted_shape, &[split], &[-1])?;
            let reduced_num = prod(g, head, &[0], true)?;
            let other_num = prod(g, tail, &[0], true)?;
            let target = array::concat(g, &[reduced_num, other_num], 0)?;
            array::reshape_t(g, permuted, target)?
        }
    };
    let axis0 = source::const_value(g, Value::scalar(0i32), None)?;
    let left = axis_ops::cumprod(g, reshaped, axis0, true, false)?;
    let right = axis_ops::cumprod(g, reshaped, axis0, true, true)?;
    // For complex inputs the gradient is in the conjugate direction.
    let both = binary::mul(g, conj(g, left)?, conj(g, right)?)?;
    let y = array::reshape_t(g, both, permuted_shape)?;
    let inverse = array::invert_permutation(g, perm_t)?;
    let others = array::transpose(g, y, inverse)?;
    Ok(vec![Some(Grad::Dense(binary::mul(g, grad, others)?)), None])
}

/// Prod's gradient when the permutation is not known at build time: per reduced slice,
/// with P = product of the non-zero elements and z = number of zeros:
///   z = 0: others_i = P / x_i
///   z = 1: the zero gets P; every other element gets (its zero) * P / x_i, which is 0
///          but carries the right derivative with respect to that zero
///   z ≥ 2: 0 everywhere.
/// First derivatives are exact everywhere; higher ones unless a slice holds two zeros.
fn prod_grad_counting_zeros(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let (x, axes) = (ctx.input(0)?, ctx.input(1)?);
    let grad = if keep_dims_of(ctx)? {
        grad
    } else {
        let input_shape = array::shape_of(g, x, DType::I32, None)?;
        reduced_shape(g, input_shape, axes)?.reshape(g, grad)?
    };
    let zeros = array::zeros_like(g, x)?;
    let is_zero = binary::equal(g, x, zeros)?;
    let x_safe = array::select_v2(g, is_zero, array::ones_like(g, x)?, x)?;
    let p_nonzero = prod_t(g, x_safe, axes, true)?;
    let dtype = g.dtype(x)?;
    let zero_count = sum_t(g, array::cast(g, is_zero, dtype)?, axes, true)?;
    let zero_sum = sum_t(g, array::select_v2(g, is_zero, x, zeros)?, axes, true)?;
    let scalar = |v: f64| source::scalar_const(g, dtype, v, None, None);
    let no_zero = binary::equal(g, zero_count, scalar(0.0)?)?;
    let one_zero = binary::equal(g, zero_count, scalar(1.0)?)?;
    let scale = array::select_v2(g, no_zero, array::ones_like(g, zero_sum)?, zero_sum)?;
    let at_nonzero = binary::div(g, binary::mul(g, scale, p_nonzero)?, x_safe)?;
    let at_zero = array::select_v2(g, one_zero, p_nonzero, array::zeros_like(g, p_nonzero)?)?;
    let others = conj(g, array::select_v2(g, is_zero, at_zero, at_nonzero)?)?;
    Ok(vec![Some(Grad::Dense(binary::mul(g, others, grad)?)), None])
}

pub(crate) fn register_gradients(r: &mut GradRegistry) {
    r.builtin("Sum", sum_grad);
    r.builtin("Mean", mean_grad);
    r.builtin("Max", min_max_grad);
    r.builtin("Min", min_max_grad);
    r.builtin("Prod", prod_grad);
    r.builtin("EuclideanNorm", euclidean_norm_grad);
    r.not_differentiable("Any");
    r.not_differentiable("All");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Graph;

    fn f64s(shape: &[usize], data: &[f64]) -> Value {
        Value::from_vec(shape, data.to_vec()).expect("test data")
    }
    fn i32s(shape: &[usize], data: &[i32]) -> Value {
        Value::from_vec(shape, data.to_vec()).expect("test data")
    }
    fn axes(xs: &[i64]) -> Value {
        Value::int_vector(DType::I32, xs)
    }
    fn run(op: ReduceOp, keep: bool, x: &Value, ax: &Value) -> Value {
        let out = compute(op, keep, &[x.clone(), ax.clone()]).expect("kernel");
        out.into_iter().next().expect("one output")
    }
    fn check(v: &Value, shape: &[usize], expect: &[f64]) {
        assert_eq!(v.shape(), shape);
        let got = v.to_f64_vec();
        assert_eq!(got.len(), expect.len());
        for (a, b) in got.iter().zip(expect) {
            assert!(
                a == b || (a - b).abs() < 1e-12 || (a.is_nan() && b.is_nan()),
                "{got:?} vs {expect:?}"
            );
        }
    }

    #[test]
    fn names_round_trip() {
        for op in ReduceOp::ALL {
            assert_eq!(ReduceOp::from_type_name(op.type_name()), Some(op));
        }
        assert_eq!(ReduceOp::from_type_name("ArgMax"), None);
    }

    #[test]
    fn sum_axes_of_2x3() {
        let x = f64s(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
        check(
            &run(ReduceOp::Sum, false, &x, &axes(&[0])),
            &[3],
            &[5., 7., 9.],
        );
        check(
            &run(ReduceOp::Sum, false, &x, &axes(&[1])),
            &[2],
            &[6., 15.],
        );
        check(
            &run(ReduceOp::Sum, true, &x, &axes(&[-1])),
            &[2, 1],
            &[6., 15.],
        );
        check(&run(ReduceOp::Sum, false, &x, &axes(&[0, 1])), &[], &[21.]);
        check(
            &run(ReduceOp::Sum, true, &x, &axes(&[1, 0])),
            &[1, 1],
            &[21.],
        );
        check(
            &run(ReduceOp::Sum, false, &x, &axes(&[])),
            &[2, 3],
            &[1., 2., 3., 4., 5., 6.],
        );
        // Scalar and int64 axes.
        check(
            &run(ReduceOp::Sum, false, &x, &Value::scalar(1i64)),
            &[2],
            &[6., 15.],
        );
        check(
            &run(
                ReduceOp::Sum,
                false,
                &x,
                &Value::int_vector(DType::I64, &[0]),
            ),
            &[3],
            &[5., 7., 9.],
        );
    }

    #[test]
    fn middle_and_outer_axes_of_rank3() {
        // x[i,j,k] = 100i + 10j + k, shape [2,3,2]
        let data: Vec<f64> = (0..2)
            .flat_map(|i| {
                (0..3).flat_map(move |j| (0..2).map(move |k| (100 * i + 10 * j + k) as f64))
            })
            .collect();
        let x = f64s(&[2, 3, 2], &data);
        check(
            &run(ReduceOp::Sum, false, &x, &axes(&[1])),
            &[2, 2],
            &[30., 33., 330., 333.],
        );
        check(
            &run(ReduceOp::Sum, false, &x, &axes(&[0, 2])),
            &[3],
            &[202., 242., 282.],
        );
        check(
            &run(ReduceOp::Max, false, &x, &axes(&[0, 1])),
            &[2],
            &[120., 121.],
        );
        check(
            &run(ReduceOp::Min, true, &x, &axes(&[2])),
            &[2, 3, 1],
            &[0., 10., 20., 100., 110., 120.],
        );
        check(
            &run(ReduceOp::Mean, false, &x, &axes(&[0, 1, 2])),
            &[],
            &[(0. + 1. + 10. + 11. + 20. + 21.) / 6. + 50.],
        );
    }

    #[test]
    fn non_contiguous_input() {
        // The transpose of [[1,2,3],[4,5,6]] as a strided view.
        let a = ndarray::ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![1., 2., 3., 4., 5., 6.])
            .expect("data");
        let t = Value::F64(a.reversed_axes().into_shared());
        check(
            &run(ReduceOp::Sum, false, &t, &axes(&[1])),
            &[3],
            &[5., 7., 9.],
        );
        check(
            &run(ReduceOp::Prod, false, &t, &axes(&[0])),
            &[2],
            &[6., 120.],
        );
    }

    #[test]
    fn prod_mean_min_max() {
        let x = f64s(&[2, 2], &[1., -2., 3., 4.]);
        check(
            &run(ReduceOp::Prod, false, &x, &axes(&[0, 1])),
            &[],
            &[-24.],
        );
        check(
            &run(ReduceOp::Mean, false, &x, &axes(&[0])),
            &[2],
            &[2., 1.],
        );
        check(&run(ReduceOp::Max, false, &x, &axes(&[1])), &[2], &[1., 4.]);
        check(
            &run(ReduceOp::Min, false, &x, &axes(&[1])),
            &[2],
            &[-2., 3.],
        );
    }

    #[test]
    fn integer_kernels() {
        let x = i32s(&[2, 3], &[1, 2, 4, -7, 5, 6]);
        let mean = run(ReduceOp::Mean, false, &x, &axes(&[1]));
        // Integer means truncate toward zero: 7/3 = 2, 4/3 = 1.
        assert_eq!(
            mean.as_array::<i32>()
                .expect("i32")
                .iter()
                .copied()
                .collect::<Vec<_>>(),
            vec![2, 1]
        );
        let mean0 = run(ReduceOp::Mean, false, &x, &axes(&[0]));
        assert_eq!(
            mean0
                .as_array::<i32>()
                .expect("i32")
                .iter()
                .copied()
                .collect::<Vec<_>>(),
            vec![-3, 3, 5]
        );
        check(
            &run(ReduceOp::Prod, false, &x, &axes(&[0, 1])),
            &[],
            &[-1680.],
        );
        check(
            &run(ReduceOp::Max, false, &x, &axes(&[0])),
            &[3],
            &[1., 5., 6.],
        );
        // Wrapping, not panicking.
        let big = Value::from_vec(&[2], vec![i8::MAX, 1]).expect("data");
        let s = run(ReduceOp::Sum, false, &big, &axes(&[0]));
        assert_eq!(
            s.as_array::<i8>()
                .expect("i8")
                .iter()
                .copied()
                .collect::<Vec<_>>(),
            vec![i8::MIN]
        );
        let u = Value::from_vec(&[3], vec![200u8, 100, 7]).expect("data");
        check(
            &run(ReduceOp::Mean, false, &u, &axes(&[0])),
            &[],
            &[((300u32 + 7) % 256 / 3) as f64],
        );
    }

    #[test]
    fn empty_reductions() {
        let x = f64s(&[0, 3], &[]);
        check(
            &run(ReduceOp::Sum, false, &x, &axes(&[0])),
            &[3],
            &[0., 0., 0.],
        );
        check(
            &run(ReduceOp::Prod, false, &x, &axes(&[0])),
            &[3],
            &[1., 1., 1.],
        );
        check(
            &run(ReduceOp::Max, false, &x, &axes(&[0])),
            &[3],
            &[f64::NEG_INFINITY; 3],
        );
        check(
            &run(ReduceOp::Min, false, &x, &axes(&[0])),
            &[3],
            &[f64::INFINITY; 3],
        );
        check(
            &run(ReduceOp::Mean, false, &x, &axes(&[0])),
            &[3],
            &[f64::NAN; 3],
        );
        check(&run(ReduceOp::Sum, false, &x, &axes(&[1])), &[0], &[]);
        let xi = i32s(&[0], &[]);
        let m = run(ReduceOp::Max, false, &xi, &axes(&[0]));
        assert_eq!(
            m.as_array::<i32>()
                .expect("i32")
                .iter()
                .copied()
                .collect::<Vec<_>>(),
            vec![i32::MIN]
        );
        let mean = run(ReduceOp::Mean, false, &xi, &axes(&[0]));
        assert_eq!(
            mean.as_array::<i32>()
                .expect("i32")
                .iter()
                .copied()
                .collect::<Vec<_>>(),
            vec![0]
        );
    }

    #[test]
    fn nan_propagates_through_max() {
        let x = f64s(&[3], &[1., f64::NAN, 3.]);
        assert!(run(ReduceOp::Max, false, &x, &axes(&[0])).to_f64_vec()[0].is_nan());
        assert!(run(ReduceOp::Min, false, &x, &axes(&[0])).to_f64_vec()[0].is_nan());
    }

    #[test]
    fn long_sum_uses_all_lanes() {
        let n = 1003;
        let x = Value::from_vec(&[n], (0..n).map(|i| i as f64).collect()).expect("data");
        check(
            &run(ReduceOp::Sum, false, &x, &axes(&[0])),
            &[],
            &[(n * (n - 1) / 2) as f64],
        );
        let x2 = x.reshape(&[17, 59]).expect("reshape");
        let col0: f64 = (0..17).map(|i| (i * 59) as f64).sum();
        let v = run(ReduceOp::Sum, false, &x2, &axes(&[0]));
        assert_eq!(v.shape(), &[59]);
        assert!((v.to_f64_vec()[0] - col0).abs() < 1e-9);
    }

    #[test]
    fn kernel_errors() {
        let x = f64s(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
        let e = compute(ReduceOp::Sum, false, &[x.clone(), axes(&[2])]).expect_err("out of range");
        assert!(
            e.to_string()
                .contains("Invalid reduction dimension (2 for input with 2 dimension(s)"),
            "{e}"
        );
        for dup in [&[1, 1][..], &[-1, 1][..]] {
            let e = compute(ReduceOp::Mean, false, &[x.clone(), axes(dup)]).expect_err("duplicate");
            assert!(
                e.to_string()
                    .contains("Invalid reduction arguments: Axes contains duplicate dimension: 1"),
                "{e}"
            );
        }
        let e =
            compute(ReduceOp::Sum, false, &[x.clone(), f64s(&[1], &[0.])]).expect_err("float axes");
        assert!(matches!(e, Error::Op { .. }));
        let b = Value::from_vec(&[2], vec![true, false]).expect("data");
        assert!(compute(ReduceOp::Max, false, &[b, axes(&[0])]).is_err());
        assert!(compute(ReduceOp::Sum, false, std::slice::from_ref(&x)).is_err());
        let m = i32s(&[1, 1], &[0]);
        assert!(compute(ReduceOp::Sum, false, &[x, m]).is_err());
    }

    // ----- shape rule -----

    fn placeholder(g: &Graph, dtype: DType, shape: Shape) -> Tensor {
        let shape = Box::new(shape);
        g.add1(OpKind::Placeholder { dtype, shape }, &[], None)
            .expect("placeholder")
    }
    fn shape_of_reduce(input: Shape, ax: Result<&[i64], Shape>, keep: bool) -> Result<Shape> {
        let g = Graph::new();
        let x = placeholder(&g, DType::F32, input);
        let a = match ax {
            Ok(list) => source::const_ints(&g, list)?,
            Err(s) => placeholder(&g, DType::I32, s),
        };
        let y = reduce(&g, ReduceOp::Sum, x, a, keep, None)?;
        g.shape(y)
    }

    #[test]
    fn shape_with_constant_axes() {
        let s = Shape::from_dims(&[Some(2), None, Some(4)]);
        assert_eq!(
            shape_of_reduce(s.clone(), Ok(&[1]), false).expect("ok"),
            Shape::known(&[2, 4])
        );
        assert_eq!(
            shape_of_reduce(s.clone(), Ok(&[-1]), true).expect("ok"),
            Shape::from_dims(&[Some(2), None, Some(1)])
        );
        assert_eq!(
            shape_of_reduce(s.clone(), Ok(&[0, 0]), false).expect("ok"),
            Shape::from_dims(&[None, Some(4)])
        );
        assert_eq!(shape_of_reduce(s.clone(), Ok(&[]), false).expect("ok"), s);
        assert_eq!(
            shape_of_reduce(Shape::unknown(), Ok(&[0]), false).expect("ok"),
            Shape::unknown()
        );
        let e = shape_of_reduce(Shape::known(&[2, 3]), Ok(&[5]), false).expect_err("bad axis");
        assert!(matches!(e, Error::InvalidArgument { .. }));
        assert!(
            e.to_string()
                .contains("Invalid reduction dimension 5 for input with 2 dimensions"),
            "{e}"
        );
        assert!(shape_of_reduce(Shape::known(&[2, 3]), Ok(&[-3]), false).is_err());
    }

    #[test]
    fn shape_with_unknown_axes() {
        let s = Shape::known(&[2, 3, 4]);
        assert_eq!(
            shape_of_reduce(s.clone(), Err(Shape::unknown()), true).expect("ok"),
            Shape::unknown_dims(3)
        );
        assert_eq!(
            shape_of_reduce(s.clone(), Err(Shape::known(&[1])), false).expect("ok"),
            Shape::unknown_dims(2)
        );
        assert_eq!(
            shape_of_reduce(s.clone(), Err(Shape::scalar()), false).expect("ok"),
            Shape::unknown_dims(2)
        );
        assert_eq!(
            shape_of_reduce(s.clone(), Err(Shape::known(&[0])), false).expect("ok"),
            s
        );
        // Two indices may be a duplicate pair: the rank is not known.
        assert_eq!(
            shape_of_reduce(s.clone(), Err(Shape::known(&[2])), false).expect("ok"),
            Shape::unknown()
        );
        assert_eq!(
            shape_of_reduce(s.clone(), Err(Shape::unknown()), false).expect("ok"),
            Shape::unknown()
        );
        assert_eq!(
            shape_of_reduce(Shape::unknown(), Err(Shape::unknown()), true).expect("ok"),
            Shape::unknown()
        );
        assert!(shape_of_reduce(s, Err(Shape::known(&[1, 1])), false).is_err());
    }

    #[test]
    fn shape_rule_rejects_bad_types() {
        let g = Graph::new();
        let b = placeholder(&g, DType::Bool, Shape::known(&[2]));
        let a = source::const_ints(&g, &[0]).expect("const");
        assert!(matches!(
            reduce(&g, ReduceOp::Max, b, a, false, None),
            Err(Error::Type { .. })
        ));
        let x = placeholder(&g, DType::F32, Shape::known(&[2]));
        let fa = placeholder(&g, DType::F32, Shape::known(&[1]));
        assert!(matches!(
            reduce(&g, ReduceOp::Sum, x, fa, false, None),
            Err(Error::Type { .. })
        ));
    }

    #[test]
    fn kept_dims_and_groups() {
        assert_eq!(
            kept_dims_static(&[2, 3, 4], &[0, -1]).expect("ok"),
            vec![1, 3, 1]
        );
        assert!(kept_dims_static(&[2], &[1]).is_err());
        assert_eq!(
            collapse_groups(&[2, 1, 3, 4, 5], &[true, false, true, false, false]),
            vec![(6, true), (20, false)]
        );
    }
}
