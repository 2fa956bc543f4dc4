//! Matrix products: `MatMul` (rank 2, transpose attributes) and `BatchMatMulV2` (rank ≥ 2,
//! numpy-broadcast batch dimensions, adjoint attributes; real dtypes only, so the adjoint
//! is the transpose).
//!
//! Per op, side by side: builder, shape rule, kernel, gradient. Float kernels run through
//! the `gemm` crate on 2-D views, threaded for large products (transposes are strides,
//! never copies): it measured 2-3x faster than ndarray's matrixmultiply here; integer
//! kernels are a plain row loop with wrapping arithmetic, as TF's C++ kernels overflow.

use super::{array, one, reduce, InferCtx, OpKind, Outputs};
use crate::attr::AttrValue;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx};
use crate::graph::{Graph, Metas, Tensor};
use crate::shape::{broadcast_dims, broadcast_reduction_axes, broadcast_static, Dim, Dims, Shape};
use crate::value::{Arr, Complex32, Complex64, Value};
use ndarray::{Array2, Array3, ArrayView2, ArrayViewMut2, Ix2, IxDyn};
use smallvec::smallvec;

// ----- builders -----

/// `MatMul(a, b)`: `op(a) · op(b)` for rank-2 `a`, `b`, `op` an optional transpose.
pub fn matmul(
    g: &Graph,
    a: Tensor,
    b: Tensor,
    transpose_a: bool,
    transpose_b: bool,
) -> Result<Tensor> {
    g.add1(
        OpKind::MatMul {
            transpose_a,
            transpose_b,
        },
        &[a, b],
        None,
    )
}

/// `BatchMatMulV2(x, y)`: matrix products over the last two axes, batch axes broadcast.
pub fn batch_matmul(g: &Graph, x: Tensor, y: Tensor, adj_x: bool, adj_y: bool) -> Result<Tensor> {
    g.add1(OpKind::BatchMatMulV2 { adj_x, adj_y }, &[x, y], None)
}

// ----- shape rules -----

pub fn infer(op: &OpKind, ctx: &InferCtx<'_>) -> Result<Metas> {
    ctx.expect_inputs(2)?;
    let dtype = match op {
        OpKind::MatMul { .. } => ctx.same_dtype("MatMul", 0, 1, ("a", "b"))?,
        _ => ctx.same_dtype("BatchMatMulV2", 0, 1, ("x", "y"))?,
    };
    if dtype == DType::Bool {
        return Err(Error::type_error(format!(
            "Value passed to parameter '{}' has DataType bool not in list of allowed values: \
             float32, float64, int32, uint8, int16, int8, int64",
            if matches!(op, OpKind::MatMul { .. }) {
                "a"
            } else {
                "x"
            }
        )));
    }
    let shape = match op {
        OpKind::MatMul {
            transpose_a,
            transpose_b,
        } => matmul_shape(ctx, op, *transpose_a, *transpose_b)?,
        OpKind::BatchMatMulV2 { adj_x, adj_y } => batch_matmul_shape(ctx, op, *adj_x, *adj_y)?,
        other => {
            return Err(Error::internal(format!(
                "linalg::infer called for {}",
                other.type_name()
            )))
        }
    };
    one(dtype, shape)
}

/// A `ValueError` in TF's shape-function form: the message, the node and both input shapes.
fn shape_err(ctx: &InferCtx<'_>, op: &OpKind, message: impl std::fmt::Display) -> Error {
    let attrs = match op {
        OpKind::MatMul {
            transpose_a,
            transpose_b,
        } => format!("transpose_a={transpose_a}, transpose_b={transpose_b}"),
        OpKind::BatchMatMulV2 { adj_x, adj_y } => format!("adj_x={adj_x}, adj_y={adj_y}"),
        _ => String::new(),
    };
    let dtype = ctx.dtype(0).map(|d| d.tf_enum_name()).unwrap_or("?");
    let (inputs, shapes) = node_inputs_and_shapes(ctx);
    Error::invalid(format!(
        "{message} for '{{{{node {}}}}} = {}[T={dtype}, {attrs}]({})' with input shapes: {}.",
        ctx.name,
        op.type_name(),
        inputs,
        shapes
    ))
}

/// The input list and the input shapes of a node being built, as TF's shape-function
/// errors print them (`a, b:1` and `[2,3], [3]`).
pub(crate) fn node_inputs_and_shapes(ctx: &InferCtx<'_>) -> (String, String) {
    let inputs: Vec<String> = ctx
        .inputs
        .iter()
        .map(|t| match ctx.graph.node(t.node) {
            Some(n) if t.index == 0 => ctx.graph.op_name(n).to_string(),
            Some(n) => format!("{}:{}", ctx.graph.op_name(n), t.index),
            None => "?".to_string(),
        })
        .collect();
    let shapes: Vec<String> = (0..ctx.num_inputs())
        .map(|i| ctx.shape(i).map_or("?".into(), |s| s.bracketed()))
        .collect();
    (inputs.join(", "), shapes.join(", "))
}

/// TF's rank check of input `i` in a shape function: `shape_fn_error` when its static rank
/// is known and is not `rank`.
pub(crate) fn expect_rank(
    ctx: &InferCtx<'_>,
    i: usize,
    rank: usize,
    type_name: &str,
    attrs_of: impl FnOnce(&[DType]) -> Vec<(&'static str, AttrValue)>,
) -> Result<()> {
    match ctx.shape(i)?.rank() {
        Some(r) if r != rank => Err(shape_fn_error(
            ctx,
            type_name,
            attrs_of,
            format!("Shape must be rank {rank} but is rank {r}"),
        )),
        _ => Ok(()),
    }
}

/// A `ValueError` as TF's shape functions word it: the message, then the node def
/// (`{{node name}} = Type[attrs](inputs)`) and the input shapes. `attrs_of` gives the
/// node's attributes from its input types.
pub(crate) fn shape_fn_error(
    ctx: &InferCtx<'_>,
    type_name: &str,
    attrs_of: impl FnOnce(&[DType]) -> Vec<(&'static str, AttrValue)>,
    message: impl std::fmt::Display,
) -> Error {
    let types: Vec<DType> = (0..ctx.num_inputs())
        .filter_map(|i| ctx.dtype(i).ok())
        .collect();
    let attrs: Vec<String> = attrs_of(&types)
        .iter()
        .map(|(k, v)| {
            let v = match v {
                AttrValue::Type(t) => t.tf_enum_name().to_string(),
                AttrValue::Bool(b) => b.to_string(),
                AttrValue::Str(s) => format!("\"{s}\""),
                AttrValue::Int(i) => i.to_string(),
                _ => String::new(),
            };
            format!("{k}={v}")
        })
        .collect();
    let (inputs, shapes) = node_inputs_and_shapes(ctx);
    Error::invalid(format!(
        "{message} for '{{{{node {}}}}} = {type_name}[{}]({inputs})' with input shapes: {shapes}.",
        ctx.name,
        attrs.join(", "),
    ))
}

/// (rows, cols) of the last two static dims, swapped when `transpose`.
fn matrix_dims(dims: &[Dim], transpose: bool) -> (Dim, Dim) {
    let n = dims.len();
    let (r, c) = match n {
        0 | 1 => (None, None),
        _ => (
            dims.get(n - 2).copied().flatten(),
            dims.get(n - 1).copied().flatten(),
        ),
    };
    if transpose {
        (c, r)
    } else {
        (r, c)
    }
}

fn check_inner(ctx: &InferCtx<'_>, op: &OpKind, k: Dim, k2: Dim) -> Result<()> {
    match (k, k2) {
        (Some(k), Some(k2)) if k != k2 => Err(shape_err(
            ctx,
            op,
            format!("Dimensions must be equal, but are {k} and {k2}"),
        )),
        _ => Ok(()),
    }
}

fn matmul_shape(ctx: &InferCtx<'_>, op: &OpKind, ta: bool, tb: bool) -> Result<Shape> {
    let (sa, sb) = (ctx.shape(0)?.clone(), ctx.shape(1)?.clone());
    for s in [&sa, &sb] {
        if let Some(r) = s.rank().filter(|&r| r != 2) {
            return Err(shape_err(
                ctx,
                op,
                format!("Shape must be rank 2 but is rank {r}"),
            ));
        }
    }
    let unknown = [None, None];
    let (m, k) = matrix_dims(sa.dims().unwrap_or(&unknown), ta);
    let (k2, n) = matrix_dims(sb.dims().unwrap_or(&unknown), tb);
    check_inner(ctx, op, k, k2)?;
    Ok(Shape::from_dims(&[m, n]))
}

fn batch_matmul_shape(ctx: &InferCtx<'_>, op: &OpKind, adj_x: bool, adj_y: bool) -> Result<Shape> {
    let (sx, sy) = (ctx.shape(0)?.clone(), ctx.shape(1)?.clone());
    for s in [&sx, &sy] {
        if let Some(r) = s.rank().filter(|&r| r < 2) {
            return Err(shape_err(
                ctx,
                op,
                format!("Shape must be at least rank 2 but is rank {r}"),
            ));
        }
    }
    let (Some(dx), Some(dy)) = (sx.dims(), sy.dims()) else {
        return Ok(Shape::unknown());
    };
    let (m, k) = matrix_dims(dx, adj_x);
    let (k2, n) = matrix_dims(dy, adj_y);
    check_inner(ctx, op, k, k2)?;
    let batch_x = Shape::from_dims(dx.get(..dx.len() - 2).unwrap_or(&[]));
    let batch_y = Shape::from_dims(dy.get(..dy.len() - 2).unwrap_or(&[]));
    let batch = broadcast_static(&batch_x, &batch_y).map_err(|(a, b)| {
        shape_err(
            ctx,
            op,
            format!("Dimensions must be equal, but are {a} and {b}"),
        )
    })?;
    let mut dims: Dims = batch
        .dims()
        .map(|d| d.iter().copied().collect())
        .unwrap_or_default();
    dims.push(m);
    dims.push(n);
    Ok(Shape(Some(dims)))
}

// ----- kernels -----

/// Element types with a matrix product: `c = a · b` into a zeroed `c`.
trait MatElem: Copy + num_traits::Zero + 'static {
    /// Complex types: an adjoint (`adj_x`) conjugates as well as transposes.
    const COMPLEX: bool = false;
    fn gemm(a: &ArrayView2<'_, Self>, b: &ArrayView2<'_, Self>, c: &mut ArrayViewMut2<'_, Self>);
    fn conj(self) -> Self {
        self
    }
}

/// Below this many multiply-adds a product is too small to repay sharing it out.
const PARALLEL_MIN_FLOPS: usize = 1 << 18;

/// Rows or columns per gemm call when an operand has to be packed. The gemm crate allocates
/// its packing workspace afresh on every call, sized by the whole call (kc × rows or kc ×
/// columns), so an unbounded call on the MLP's 1024-wide layers held up to 4 MiB of workspace
/// beside the tensors (issue 6 bounds the executor's peak at 1.3× the live tensors). Calls of
/// 256 keep it at or under 0.5 MiB for f32 and cost nothing measurable: each block is still a
/// full-speed product.
const PACKED_BLOCK: usize = 256;

/// Output blocks of at least this many rows or columns when a product is split for the
/// threads: narrower blocks would run the microkernel mostly on edges.
const SPLIT_MIN: usize = 64;

/// `c = a · b` through the gemm crate, which works column-major: a row-major `c` is computed
/// as `cᵀ = bᵀ · aᵀ`, so that the operand gemm reads down its columns is the one whose rows
/// are contiguous; the call is split into blocks along the dimensions whose operand gemm packs.
/// A large product is also split into several blocks per thread, which run as single-threaded
/// gemm calls on the crate's pool (one parallel region per product; gemm's own threading
/// would use rayon's, whose workers sleep between regions).
///
/// # Safety
/// The pointers and element strides must describe live, non-overlapping buffers of exactly
/// (m, k), (k, n) and (m, n) elements, with `c` writable.
unsafe fn gemm_blocked<T: Copy + Sync + 'static>(
    (m, n, k): (usize, usize, usize),
    c: (*mut T, [isize; 2]),
    a: (*const T, [isize; 2]),
    b: (*const T, [isize; 2]),
    zero: T,
    one: T,
) {
    // Column-major terms after the transpose: dst is n × m, lhs = bᵀ (n × k), rhs = aᵀ (k × m).
    // A row stride of c, a or b is a column stride of its transpose.
    let (dst, [dst_cs, dst_rs]) = c;
    let (lhs, [lhs_cs, lhs_rs]) = b;
    let (rhs, [rhs_cs, rhs_rs]) = a;
    let (rows, cols) = (n, m);
    if rows == 0 || cols == 0 {
        return;
    }
    // gemm packs the lhs unless its rows are contiguous, and the rhs unless its columns are.
    let mut row_block = if lhs_rs.unsigned_abs() == 1 {
        rows
    } else {
        PACKED_BLOCK.min(rows)
    };
    let mut col_block = if rhs_rs.unsigned_abs() == 1 {
        cols
    } else {
        PACKED_BLOCK.min(cols)
    };
    let threads = crate::pool::threads();
    if threads > 1 && m.saturating_mul(n).saturating_mul(k) >= PARALLEL_MIN_FLOPS {
        // Several blocks per thread, so a thread that the machine slows down hands work over.
        let wanted = 4 * threads;
        while rows.div_ceil(row_block) * cols.div_ceil(col_block) < wanted {
            if row_block >= col_block && row_block > SPLIT_MIN {
                row_block = (row_block / 2).next_multiple_of(16);
            } else if col_block > SPLIT_MIN {
                col_block = (col_block / 2).next_multiple_of(16);
            } else {
                break;
            }
        }
    }
    let col_blocks = cols.div_ceil(col_block);
    // Addresses rather than pointers, so the task closure is Sync; each task turns them back
    // into pointers to the same allocations.
    let (dst, lhs, rhs) = (dst as usize, lhs as usize, rhs as usize);
    let block = |task: usize| {
        let (i, j) = (
            (task / col_blocks) * row_block,
            (task % col_blocks) * col_block,
        );
        let (block_rows, block_cols) = (row_block.min(rows - i), col_block.min(cols - j));
        let (i, j) = (i as isize, j as isize);
        let (dst, lhs, rhs) = (dst as *mut T, lhs as *const T, rhs as *const T);
        // SAFETY (caller's contract): the offsets stay inside the three buffers, and the
        // blocks of dst are disjoint, so concurrent tasks never write the same element.
        unsafe {
            gemm::gemm(
                block_rows,
                block_cols,
                k,
                dst.offset(i * dst_rs + j * dst_cs),
                dst_cs,
                dst_rs,
                false,
                lhs.offset(i * lhs_rs),
                lhs_cs,
                lhs_rs,
                rhs.offset(j * rhs_cs),
                rhs_cs,
                rhs_rs,
                zero,
                one,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    };
    crate::pool::for_each_index(rows.div_ceil(row_block) * col_blocks, &block);
}

macro_rules! mat_float {
    ($t:ty, $zero:expr, $one:expr $(, $extra:item)*) => {
        impl MatElem for $t {
            $($extra)*
            fn gemm(
                a: &ArrayView2<'_, Self>,
                b: &ArrayView2<'_, Self>,
                c: &mut ArrayViewMut2<'_, Self>,
            ) {
                let ((m, k), n) = (a.dim(), b.ncols());
                if m == 0 || n == 0 || k == 0 || b.nrows() != k || c.dim() != (m, n) {
                    return; // `c` is already zero (or the caller checked the sizes)
                }
                let (sa, sb) = (a.strides(), b.strides());
                let sc = [c.strides()[0], c.strides()[1]];
                // SAFETY: the pointers and element strides come from live views of exactly
                // (m, k), (k, n) and (m, n) elements; `c` is borrowed mutably and cannot alias
                // `a` or `b`; with read_dst false, gemm only writes c = a·b.
                unsafe {
                    gemm_blocked(
                        (m, n, k),
                        (c.as_mut_ptr(), sc),
                        (a.as_ptr(), [sa[0], sa[1]]),
                        (b.as_ptr(), [sb[0], sb[1]]),
                        $zero,
                        $one,
                    );
                }
            }
        }
    };
}
mat_float!(f32, 0.0, 1.0);
mat_float!(f64, 0.0, 1.0);
// gemm has its own complex kernels (num_complex's layout).
mat_float!(
    Complex32,
    Complex32::new(0.0, 0.0),
    Complex32::new(1.0, 0.0),
    const COMPLEX: bool = true;,
    fn conj(self) -> Self {
        Complex32::conj(&self)
    }
);
mat_float!(
    Complex64,
    Complex64::new(0.0, 0.0),
    Complex64::new(1.0, 0.0),
    const COMPLEX: bool = true;,
    fn conj(self) -> Self {
        Complex64::conj(&self)
    }
);

macro_rules! mat_int {
    ($t:ty) => {
        impl MatElem for $t {
            fn gemm(
                a: &ArrayView2<'_, Self>,
                b: &ArrayView2<'_, Self>,
                c: &mut ArrayViewMut2<'_, Self>,
            ) {
                // Row i of c accumulates a[i,p] * row p of b: unit-stride inner loop.
                for (a_row, mut c_row) in a.rows().into_iter().zip(c.rows_mut()) {
                    for (&aip, b_row) in a_row.iter().zip(b.rows()) {
                        for (cij, &bpj) in c_row.iter_mut().zip(b_row.iter()) {
                            *cij = cij.wrapping_add(aip.wrapping_mul(bpj));
                        }
                    }
                }
            }
        }
    };
}
mat_int!(i8);
mat_int!(i16);
mat_int!(i32);
mat_int!(i64);
mat_int!(u8);

fn bracketed(shape: &[usize]) -> String {
    Shape::known(shape).bracketed()
}

/// Runs `$f::<T>($a, $b)` for matching numeric variants; errors for bool or mixed types.
macro_rules! dispatch_pair {
    ($name:expr, $a:expr, $b:expr, $f:ident ( $($arg:expr),* )) => {
        match ($a, $b) {
            (Value::F32(a), Value::F32(b)) => Value::F32($f(a, b, $($arg),*)?),
            (Value::F64(a), Value::F64(b)) => Value::F64($f(a, b, $($arg),*)?),
            (Value::I8(a), Value::I8(b)) => Value::I8($f(a, b, $($arg),*)?),
            (Value::I16(a), Value::I16(b)) => Value::I16($f(a, b, $($arg),*)?),
            (Value::I32(a), Value::I32(b)) => Value::I32($f(a, b, $($arg),*)?),
            (Value::I64(a), Value::I64(b)) => Value::I64($f(a, b, $($arg),*)?),
            (Value::U8(a), Value::U8(b)) => Value::U8($f(a, b, $($arg),*)?),
            (Value::C64(a), Value::C64(b)) => Value::C64($f(a, b, $($arg),*)?),
            (Value::C128(a), Value::C128(b)) => Value::C128($f(a, b, $($arg),*)?),
            (a, b) => {
                return Err(Error::op_invalid(format!(
                    "No {} kernel for input types {} and {}",
                    $name,
                    a.dtype(),
                    b.dtype()
                )))
            }
        }
    };
}

pub fn compute(op: &OpKind, inputs: &[Value]) -> Result<Outputs> {
    let [a, b] = inputs else {
        return Err(Error::internal(format!(
            "{} expects 2 inputs, got {}",
            op.type_name(),
            inputs.len()
        )));
    };
    let out = match op {
        OpKind::MatMul {
            transpose_a,
            transpose_b,
        } => {
            dispatch_pair!("MatMul", a, b, matmul_arr(*transpose_a, *transpose_b))
        }
        OpKind::BatchMatMulV2 { adj_x, adj_y } => {
            dispatch_pair!("BatchMatMulV2", a, b, batch_matmul_arr(*adj_x, *adj_y))
        }
        other => {
            return Err(Error::internal(format!(
                "linalg::compute called for {}",
                other.type_name()
            )))
        }
    };
    Ok(smallvec![out])
}

fn matmul_arr<T: MatElem>(a: &Arr<T>, b: &Arr<T>, ta: bool, tb: bool) -> Result<Arr<T>> {
    let (a2, b2) = (as_matrix(a, 0)?, as_matrix(b, 1)?);
    let a2 = if ta { a2.reversed_axes() } else { a2 };
    let b2 = if tb { b2.reversed_axes() } else { b2 };
    if a2.ncols() != b2.nrows() {
        return Err(size_incompatible(a.shape(), b.shape()));
    }
    let mut c = Array2::<T>::zeros((a2.nrows(), b2.ncols()));
    T::gemm(&a2, &b2, &mut c.view_mut());
    Ok(c.into_dyn().into_shared())
}

fn as_matrix<T: MatElem>(x: &Arr<T>, which: usize) -> Result<ArrayView2<'_, T>> {
    x.view().into_dimensionality::<Ix2>().map_err(|_| {
        Error::op_invalid(format!(
            "In[{which}] is not a matrix. Instead it has shape {}",
            bracketed(x.shape())
        ))
    })
}

fn size_incompatible(a: &[usize], b: &[usize]) -> Error {
    Error::op_invalid(format!(
        "Matrix size-incompatible: In[0]: {}, In[1]: {}",
        bracketed(a),
        bracketed(b)
    ))
}

/// The batch of 2-D matrices in `x` (rank ≥ 2), each transposed when `adjoint`: views into
/// one contiguous buffer. Returns the batch dims and the (possibly copied) buffer's views.
fn matrices<'a, T: MatElem>(
    x: &'a ndarray::CowArray<'a, T, IxDyn>,
    adjoint: bool,
) -> Result<Vec<ArrayView2<'a, T>>> {
    let shape = x.shape();
    let n = shape.len();
    let (&[rows, cols], batch) = (
        shape.get(n.saturating_sub(2)..).unwrap_or(&[]),
        shape.get(..n.saturating_sub(2)).unwrap_or(&[]),
    ) else {
        return Err(Error::internal("matrices() needs rank >= 2"));
    };
    let count: usize = batch.iter().product();
    let cube = x
        .view()
        .into_shape_with_order((count, rows, cols))
        .map_err(|e| Error::internal(format!("batch matmul reshape: {e}")))?;
    Ok(cube
        .into_outer_iter()
        .map(|m| if adjoint { m.reversed_axes() } else { m })
        .collect())
}

/// The flat index into a (right-aligned, broadcast) source batch of the `flat`-th element
/// of the output batch.
pub(crate) fn source_index(mut flat: usize, out: &[usize], src: &[usize]) -> usize {
    let offset = out.len().saturating_sub(src.len());
    let (mut index, mut stride) = (0, 1);
    for (pos, &d) in out.iter().enumerate().rev() {
        if d == 0 {
            return 0;
        }
        let i = flat % d;
        flat /= d;
        if let Some(&s) = pos.checked_sub(offset).and_then(|p| src.get(p)) {
            if s != 1 {
                index += i * stride;
            }
            stride *= s;
        }
    }
    index
}

fn batch_matmul_arr<T: MatElem>(
    x: &Arr<T>,
    y: &Arr<T>,
    adj_x: bool,
    adj_y: bool,
) -> Result<Arr<T>> {
    for (which, s) in [x.shape(), y.shape()].into_iter().enumerate() {
        if s.len() < 2 {
            return Err(Error::op_invalid(format!(
                "In[{which}] ndims must be >= 2: {}",
                s.len()
            )));
        }
    }
    let (rx, ry) = (x.ndim() - 2, y.ndim() - 2);
    let (bx, by) = (
        x.shape().get(..rx).unwrap_or(&[]),
        y.shape().get(..ry).unwrap_or(&[]),
    );
    let batch = broadcast_dims(bx, by).ok_or_else(|| {
        Error::op_invalid(format!(
            "In[0] and In[1] must have compatible batch dimensions: {} vs. {}",
            bracketed(x.shape()),
            bracketed(y.shape())
        ))
    })?;
    // A complex adjoint is the conjugate transpose: conjugate here, transpose in `matrices`.
    let conjugated = |v: &Arr<T>, adj: bool| (adj && T::COMPLEX).then(|| v.mapv(T::conj));
    let (x_conj, y_conj) = (conjugated(x, adj_x), conjugated(y, adj_y));
    let (xc, yc) = (
        x_conj
            .as_ref()
            .map_or_else(|| x.as_standard_layout(), |c| c.view().into()),
        y_conj
            .as_ref()
            .map_or_else(|| y.as_standard_layout(), |c| c.view().into()),
    );
    let (xm, ym) = (matrices(&xc, adj_x)?, matrices(&yc, adj_y)?);
    let dims = |ms: &[ArrayView2<'_, T>], s: &[usize], adj: bool| match ms.first() {
        Some(m) => m.dim(),
        None => {
            // An empty batch has no views to ask: read the dims off the shape.
            let n = s.len();
            let (r, c) = (
                s.get(n - 2).copied().unwrap_or(0),
                s.get(n - 1).copied().unwrap_or(0),
            );
            if adj {
                (c, r)
            } else {
                (r, c)
            }
        }
    };
    let ((m, k), (k2, n)) = (dims(&xm, x.shape(), adj_x), dims(&ym, y.shape(), adj_y));
    if k != k2 {
        return Err(size_incompatible(x.shape(), y.shape()));
    }
    let count: usize = batch.iter().product();
    let mut out = Array3::<T>::zeros((count, m, n));
    for (i, mut c) in out.outer_iter_mut().enumerate() {
        let a = xm.get(source_index(i, &batch, bx));
        let b = ym.get(source_index(i, &batch, by));
        let (Some(a), Some(b)) = (a, b) else {
            return Err(Error::internal("batch matmul: batch index out of range"));
        };
        T::gemm(a, b, &mut c);
    }
    let mut out_shape = batch;
    out_shape.extend([m, n]);
    let out = out
        .into_shape_with_order(IxDyn(&out_shape))
        .map_err(|e| Error::internal(format!("batch matmul output reshape: {e}")))?;
    Ok(out.into_shared())
}

// ----- gradients -----

type GradOut = Result<Vec<Option<Grad>>>;

/// The four transpose cases (TF's `_MatMulGrad`; conj is the identity for real dtypes).
fn matmul_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let OpKind::MatMul {
        transpose_a,
        transpose_b,
    } = ctx.kind
    else {
        return Err(Error::internal("matmul_grad called for another op"));
    };
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let a = super::complex::conj(g, ctx.input(0)?)?;
    let b = super::complex::conj(g, ctx.input(1)?)?;
    let (ga, gb) = match (transpose_a, transpose_b) {
        (false, false) => (
            matmul(g, grad, b, false, true)?,
            matmul(g, a, grad, true, false)?,
        ),
        (false, true) => (
            matmul(g, grad, b, false, false)?,
            matmul(g, grad, a, true, false)?,
        ),
        (true, false) => (
            matmul(g, b, grad, false, true)?,
            matmul(g, a, grad, false, false)?,
        ),
        (true, true) => (
            matmul(g, b, grad, true, true)?,
            matmul(g, grad, a, true, true)?,
        ),
    };
    Ok(vec![Some(Grad::Dense(ga)), Some(Grad::Dense(gb))])
}

/// `math_ops.matmul` on batched operands: a `BatchMatMulV2` named `MatMul`.
fn bmm(g: &Graph, x: Tensor, y: Tensor, adj_x: bool, adj_y: bool) -> Result<Tensor> {
    g.add1(
        OpKind::BatchMatMulV2 { adj_x, adj_y },
        &[x, y],
        Some("MatMul"),
    )
}

/// The same four cases with adjoints, then each gradient summed over the batch axes its
/// input was broadcast along.
fn batch_matmul_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let OpKind::BatchMatMulV2 { adj_x, adj_y } = ctx.kind else {
        return Err(Error::internal("batch_matmul_grad called for another op"));
    };
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let (x, y) = (ctx.input(0)?, ctx.input(1)?);
    let (gx, gy) = match (adj_x, adj_y) {
        (false, false) => (bmm(g, grad, y, false, true)?, bmm(g, x, grad, true, false)?),
        (false, true) => (
            bmm(g, grad, y, false, false)?,
            bmm(g, grad, x, true, false)?,
        ),
        (true, false) => (
            bmm(g, y, grad, false, true)?,
            bmm(g, x, grad, false, false)?,
        ),
        (true, true) => (bmm(g, y, grad, true, true)?, bmm(g, grad, x, true, true)?),
    };
    let (sx, sy) = (g.shape(x)?, g.shape(y)?);
    let no_batch = |s: &Shape| s.rank().is_some_and(|r| r <= 2);
    let batch_of = |s: &Shape| {
        s.dims()
            .map(|d| Shape::from_dims(d.get(..d.len().saturating_sub(2)).unwrap_or(&[])))
    };
    let same_batch = match (batch_of(&sx), batch_of(&sy)) {
        (Some(bx), Some(by)) => bx.is_fully_defined() && bx == by,
        _ => false,
    };
    if (no_batch(&sx) && no_batch(&sy)) || same_batch {
        return Ok(vec![Some(Grad::Dense(gx)), Some(Grad::Dense(gy))]);
    }
    Ok(vec![
        Some(Grad::Dense(unbroadcast(g, gx, x)?)),
        Some(Grad::Dense(unbroadcast(g, gy, y)?)),
    ])
}

/// Sums `grad` (shaped like the broadcast output batch + x's matrix dims) back to x's shape.
/// Statically when the shapes tell which axes x was broadcast along, else with
/// `BroadcastGradientArgs(shape(x), shape(grad))` (the matrix dims match, so only batch
/// axes come back; this needs no slicing of the shapes).
pub(crate) fn unbroadcast(g: &Graph, grad: Tensor, x: Tensor) -> Result<Tensor> {
    let (sx, sg) = (g.shape(x)?, g.shape(grad)?);
    let summed = match broadcast_reduction_axes(&sx, &sg) {
        Some((axes, _)) => {
            if axes.is_empty() && sx.rank() == sg.rank() {
                return Ok(grad);
            }
            let axes: Vec<i64> = axes.iter().map(|&a| a as i64).collect();
            reduce::sum(g, grad, &axes, true)?
        }
        None => {
            let shape_x = array::shape_of(g, x, DType::I32, None)?;
            let shape_g = array::shape_of(g, grad, DType::I32, None)?;
            let (rx, _) = array::broadcast_gradient_args(g, shape_x, shape_g)?;
            reduce::sum_t(g, grad, rx, true)?
        }
    };
    let shape_x = array::shape_of(g, x, DType::I32, None)?;
    array::reshape_t(g, summed, shape_x)
}

pub(crate) fn register_gradients(r: &mut GradRegistry) {
    r.structural("MatMul", matmul_grad);
    r.builtin("BatchMatMulV2", batch_matmul_grad);
    // TF registers the same rule under the older and newer names.
    r.builtin("BatchMatMul", batch_matmul_grad);
    r.builtin("BatchMatMulV3", batch_matmul_grad);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f64s(shape: &[usize], data: &[f64]) -> Value {
        Value::from_vec(shape, data.to_vec()).expect("test data")
    }
    fn run(op: OpKind, a: &Value, b: &Value) -> Result<Value> {
        let out = compute(&op, &[a.clone(), b.clone()])?;
        out.into_iter()
            .next()
            .ok_or_else(|| Error::internal("no output"))
    }
    fn mm(ta: bool, tb: bool) -> OpKind {
        OpKind::MatMul {
            transpose_a: ta,
            transpose_b: tb,
        }
    }
    fn bmm(ax: bool, ay: bool) -> OpKind {
        OpKind::BatchMatMulV2 {
            adj_x: ax,
            adj_y: ay,
        }
    }
    fn check(v: &Value, shape: &[usize], expect: &[f64]) {
        assert_eq!(v.shape(), shape);
        assert_eq!(v.to_f64_vec(), expect);
    }

    #[test]
    fn matmul_four_transpose_cases() {
        // a = [[1,2,3],[4,5,6]], b = [[1,0],[0,1],[1,1]]: a·b = [[4,5],[10,11]]
        let a = f64s(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
        let b = f64s(&[3, 2], &[1., 0., 0., 1., 1., 1.]);
        let at = f64s(&[3, 2], &[1., 4., 2., 5., 3., 6.]);
        let bt = f64s(&[2, 3], &[1., 0., 1., 0., 1., 1.]);
        let want = [4., 5., 10., 11.];
        check(&run(mm(false, false), &a, &b).expect("ok"), &[2, 2], &want);
        check(&run(mm(true, false), &at, &b).expect("ok"), &[2, 2], &want);
        check(&run(mm(false, true), &a, &bt).expect("ok"), &[2, 2], &want);
        check(&run(mm(true, true), &at, &bt).expect("ok"), &[2, 2], &want);
    }

    #[test]
    fn matmul_f32_int_and_empty() {
        let a = Value::from_vec(&[1, 2], vec![2f32, 3.]).expect("data");
        let b = Value::from_vec(&[2, 1], vec![4f32, 5.]).expect("data");
        check(&run(mm(false, false), &a, &b).expect("ok"), &[1, 1], &[23.]);
        let ai = Value::from_vec(&[2, 2], vec![1i32, 2, 3, 4]).expect("data");
        check(
            &run(mm(false, true), &ai, &ai).expect("ok"),
            &[2, 2],
            &[5., 11., 11., 25.],
        );
        let big = Value::from_vec(&[1, 1], vec![i8::MAX]).expect("data");
        let two = Value::from_vec(&[1, 1], vec![2i8]).expect("data");
        check(
            &run(mm(false, false), &big, &two).expect("wraps"),
            &[1, 1],
            &[-2.],
        );
        // Inner dimension 0: zeros.
        let e1 = f64s(&[2, 0], &[]);
        let e2 = f64s(&[0, 3], &[]);
        check(
            &run(mm(false, false), &e1, &e2).expect("ok"),
            &[2, 3],
            &[0.; 6],
        );
    }

    #[test]
    fn matmul_kernel_errors() {
        let a = f64s(&[2, 3], &[0.; 6]);
        let b = f64s(&[4, 5], &[0.; 20]);
        let e = run(mm(false, false), &a, &b).expect_err("mismatch");
        assert!(matches!(e, Error::Op { .. }));
        assert_eq!(
            e.to_string(),
            "Matrix size-incompatible: In[0]: [2,3], In[1]: [4,5]"
        );
        let v = f64s(&[3], &[0.; 3]);
        assert!(run(mm(false, false), &v, &a)
            .expect_err("rank")
            .to_string()
            .contains("In[0] is not a matrix"));
        let ai = Value::from_vec(&[3, 2], vec![0i32; 6]).expect("data");
        assert!(run(mm(false, false), &a, &ai).is_err());
        let bools = Value::from_vec(&[1, 1], vec![true]).expect("data");
        assert!(run(mm(false, false), &bools, &bools).is_err());
    }

    #[test]
    fn batch_matmul_broadcasts() {
        // x: [2,1,2] = two row vectors, y: [2,1] shared: x·y = [[1*1+2*2],[3*1+4*2]]
        let x = f64s(&[2, 1, 2], &[1., 2., 3., 4.]);
        let y = f64s(&[2, 1], &[1., 2.]);
        check(
            &run(bmm(false, false), &x, &y).expect("ok"),
            &[2, 1, 1],
            &[5., 11.],
        );
        // y batch [3] against x batch [2,1]: output batch [2,3].
        let x4 = f64s(&[2, 1, 1, 2], &[1., 2., 3., 4.]);
        let y3 = f64s(&[3, 2, 1], &[1., 0., 0., 1., 1., 1.]);
        check(
            &run(bmm(false, false), &x4, &y3).expect("ok"),
            &[2, 3, 1, 1],
            &[1., 2., 3., 3., 4., 7.],
        );
        // Adjoints: x^T with x [1,2,1] equals the row vector.
        let xt = f64s(&[2, 2, 1], &[1., 2., 3., 4.]);
        check(
            &run(bmm(true, false), &xt, &y).expect("ok"),
            &[2, 1, 1],
            &[5., 11.],
        );
        let yt = f64s(&[1, 2], &[1., 2.]);
        check(
            &run(bmm(true, true), &xt, &yt).expect("ok"),
            &[2, 1, 1],
            &[5., 11.],
        );
        // Empty batch.
        let e = f64s(&[0, 2, 2], &[]);
        check(
            &run(bmm(false, false), &e, &f64s(&[2, 3], &[0.; 6])).expect("ok"),
            &[0, 2, 3],
            &[],
        );
    }

    #[test]
    fn batch_matmul_errors() {
        let x = f64s(&[2, 2, 3], &[0.; 12]);
        let y = f64s(&[3, 3, 1], &[0.; 9]);
        let e = run(bmm(false, false), &x, &y).expect_err("batch");
        assert!(
            e.to_string()
                .contains("compatible batch dimensions: [2,2,3] vs. [3,3,1]"),
            "{e}"
        );
        let y2 = f64s(&[2, 2, 1], &[0.; 4]);
        let e = run(bmm(false, false), &x, &y2).expect_err("inner");
        assert_eq!(
            e.to_string(),
            "Matrix size-incompatible: In[0]: [2,2,3], In[1]: [2,2,1]"
        );
        assert!(run(bmm(false, false), &f64s(&[3], &[0.; 3]), &y).is_err());
    }

    #[test]
    fn source_index_broadcasts_right_aligned() {
        // out batch [2,3]; src [3] ignores the leading axis; src [2,1] ignores the last.
        assert_eq!(source_index(4, &[2, 3], &[3]), 1);
        assert_eq!(source_index(4, &[2, 3], &[2, 1]), 1);
        assert_eq!(source_index(2, &[2, 3], &[2, 1]), 0);
        assert_eq!(source_index(5, &[2, 3], &[2, 3]), 5);
        assert_eq!(source_index(0, &[], &[]), 0);
    }

    // ----- shape rules -----

    fn placeholder(g: &Graph, shape: Shape) -> Tensor {
        g.add1(
            OpKind::Placeholder {
                dtype: DType::F64,
                shape: Box::new(shape),
            },
            &[],
            None,
        )
        .expect("placeholder")
    }

    #[test]
    fn matmul_shapes() {
        let g = Graph::new();
        let a = placeholder(&g, Shape::from_dims(&[None, Some(3)]));
        let b = placeholder(&g, Shape::known(&[3, 5]));
        assert_eq!(
            g.shape(matmul(&g, a, b, false, false).expect("ok"))
                .expect("s"),
            Shape::from_dims(&[None, Some(5)])
        );
        assert_eq!(
            g.shape(matmul(&g, b, a, true, true).expect("ok"))
                .expect("s"),
            Shape::from_dims(&[Some(5), None])
        );
        let u = placeholder(&g, Shape::unknown());
        assert_eq!(
            g.shape(matmul(&g, u, b, false, false).expect("ok"))
                .expect("s"),
            Shape::from_dims(&[None, Some(5)])
        );
        let e = matmul(&g, b, b, false, false).expect_err("inner");
        assert!(matches!(e, Error::InvalidArgument { .. }));
        let text = e.to_string();
        assert!(
            text.starts_with("Dimensions must be equal, but are 5 and 3 for '{{node MatMul"),
            "{text}"
        );
        assert!(text.ends_with("with input shapes: [3,5], [3,5]."), "{text}");
        let r3 = placeholder(&g, Shape::known(&[1, 3, 5]));
        assert!(matmul(&g, r3, b, false, false)
            .expect_err("rank")
            .to_string()
            .contains("must be rank 2 but is rank 3"));
        let i = g
            .add1(
                OpKind::Placeholder {
                    dtype: DType::I32,
                    shape: Box::new(Shape::known(&[3, 5])),
                },
                &[],
                None,
            )
            .expect("p");
        assert!(matches!(
            matmul(&g, i, b, false, true),
            Err(Error::Type { .. })
        ));
    }

    #[test]
    fn batch_matmul_shapes() {
        let g = Graph::new();
        let x = placeholder(&g, Shape::from_dims(&[Some(4), Some(1), Some(2), Some(3)]));
        let y = placeholder(&g, Shape::from_dims(&[Some(7), Some(3), None]));
        let z = batch_matmul(&g, x, y, false, false).expect("ok");
        assert_eq!(
            g.shape(z).expect("s"),
            Shape::from_dims(&[Some(4), Some(7), Some(2), None])
        );
        let z = batch_matmul(&g, y, y, true, false).expect("ok");
        assert_eq!(
            g.shape(z).expect("s"),
            Shape::from_dims(&[Some(7), None, None])
        );
        let u = placeholder(&g, Shape::unknown());
        assert_eq!(
            g.shape(batch_matmul(&g, x, u, false, false).expect("ok"))
                .expect("s"),
            Shape::unknown()
        );
        let w = placeholder(&g, Shape::known(&[3, 5, 3, 2]));
        assert!(batch_matmul(&g, x, w, false, false)
            .expect_err("batch")
            .to_string()
            .contains("but are 4 and 3"));
        assert!(batch_matmul(&g, x, x, false, false)
            .expect_err("inner")
            .to_string()
            .contains("but are 3 and 2"));
        let v = placeholder(&g, Shape::known(&[3]));
        assert!(batch_matmul(&g, v, x, false, false).is_err());
    }
}
