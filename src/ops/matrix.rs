//! Linear algebra on batches of matrices (every op works on the last two axes and maps over
//! the leading ones): inverse, determinants, solves, Cholesky, band parts and diagonals.
//!
//! Per op, side by side: shape rule, kernel and gradient (TF's `linalg_grad.py` and the
//! diagonal rules of `array_grad.py`, built from differentiable ops so that second
//! derivatives work). Factorisations run in the input's own precision, as TF's Eigen
//! kernels do, so float32 results round like TF's.

use super::{array, binary, linalg, one, unary, BinaryOp, Family, InferCtx, KernelCtx, OpKind};
use super::{matrix_sqrt, source, tridiagonal, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx};
use crate::graph::{Graph, Input, Metas, Node, Tensor, TensorMeta};
use crate::shape::{broadcast_dims, broadcast_static, Dim, Dims, Shape};
use crate::value::{Arr, Elem, Value};
use num_traits::{Float, Zero};
use smallvec::smallvec;

/// Where the shorter diagonals of a band sit in their padded rows (TF's `align` attribute):
/// the first word is for superdiagonals, the second for subdiagonals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    LeftLeft,
    LeftRight,
    RightLeft,
    RightRight,
}

impl Align {
    fn from_attrs(op_type: &str, attrs: &Attrs) -> Result<Align> {
        match attrs.str_or("align", "RIGHT_LEFT")?.as_str() {
            "LEFT_LEFT" => Ok(Align::LeftLeft),
            "LEFT_RIGHT" => Ok(Align::LeftRight),
            "RIGHT_LEFT" => Ok(Align::RightLeft),
            "RIGHT_RIGHT" => Ok(Align::RightRight),
            other => Err(Error::invalid(format!(
                "Attr 'align' of '{op_type}' Op passed string '{other}' not in: \"LEFT_RIGHT\", \"RIGHT_LEFT\", \"LEFT_LEFT\", \"RIGHT_RIGHT\"."
            ))),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Align::LeftLeft => "LEFT_LEFT",
            Align::LeftRight => "LEFT_RIGHT",
            Align::RightLeft => "RIGHT_LEFT",
            Align::RightRight => "RIGHT_RIGHT",
        }
    }
    fn left_super(self) -> bool {
        matches!(self, Align::LeftLeft | Align::LeftRight)
    }
    fn left_sub(self) -> bool {
        matches!(self, Align::LeftLeft | Align::RightLeft)
    }
}

/// An op of the matrix family.
#[derive(Debug, Clone, PartialEq)]
pub enum MatrixOp {
    MatrixInverse {
        adjoint: bool,
    },
    MatrixDeterminant,
    /// Two outputs: the sign and the log of the absolute value of the determinant.
    LogMatrixDeterminant,
    MatrixSolve {
        adjoint: bool,
    },
    MatrixTriangularSolve {
        lower: bool,
        adjoint: bool,
    },
    Cholesky,
    MatrixBandPart,
    /// `Diag`: a rank-k tensor to the rank-2k tensor with it on the diagonal.
    Diag,
    DiagPart,
    /// `MatrixDiagV3(diagonal, k, num_rows, num_cols, padding_value)`.
    MatrixDiag {
        align: Align,
    },
    /// `MatrixDiagPartV3(input, k, padding_value)`.
    MatrixDiagPart {
        align: Align,
    },
    /// `MatrixSetDiagV3(input, diagonal, k)`.
    MatrixSetDiag {
        align: Align,
    },
    /// `SelfAdjointEigV2(input)`: the eigenvalues (ascending) and, with `compute_v`, the
    /// eigenvectors (columns) of symmetric matrices, read from the lower triangle.
    SelfAdjointEig {
        compute_v: bool,
    },
    /// `Qr(input)`: Householder QR of each matrix (`q`, `r`); `full_matrices` keeps all of
    /// Q's columns and R's rows, else `min(rows, cols)` of them.
    Qr {
        full_matrices: bool,
    },
    /// `Svd(input)`: singular values (descending) and, with `compute_uv`, the singular
    /// vectors (`u`, `v` as columns); `full_matrices` completes them to square matrices.
    Svd {
        compute_uv: bool,
        full_matrices: bool,
    },
    /// `TridiagonalMatMul(superdiag, maindiag, subdiag, rhs)` (see `tridiagonal`).
    TridiagonalMatMul,
    /// `MatrixSquareRoot(input)` (see `matrix_sqrt`).
    MatrixSquareRoot,
    /// `TridiagonalSolve(diagonals, rhs)` (see `tridiagonal`).
    TridiagonalSolve {
        partial_pivoting: bool,
        perturb_singular: bool,
    },
}

impl Family for MatrixOp {
    fn type_name(&self) -> &'static str {
        match self {
            MatrixOp::MatrixInverse { .. } => "MatrixInverse",
            MatrixOp::MatrixDeterminant => "MatrixDeterminant",
            MatrixOp::LogMatrixDeterminant => "LogMatrixDeterminant",
            MatrixOp::MatrixSolve { .. } => "MatrixSolve",
            MatrixOp::MatrixTriangularSolve { .. } => "MatrixTriangularSolve",
            MatrixOp::Cholesky => "Cholesky",
            MatrixOp::MatrixBandPart => "MatrixBandPart",
            MatrixOp::Diag => "Diag",
            MatrixOp::DiagPart => "DiagPart",
            MatrixOp::MatrixDiag { .. } => "MatrixDiagV3",
            MatrixOp::MatrixDiagPart { .. } => "MatrixDiagPartV3",
            MatrixOp::MatrixSetDiag { .. } => "MatrixSetDiagV3",
            MatrixOp::SelfAdjointEig { .. } => "SelfAdjointEigV2",
            MatrixOp::Qr { .. } => "Qr",
            MatrixOp::Svd { .. } => "Svd",
            MatrixOp::TridiagonalMatMul => "TridiagonalMatMul",
            MatrixOp::MatrixSquareRoot => "MatrixSquareRoot",
            MatrixOp::TridiagonalSolve { .. } => "TridiagonalSolve",
        }
    }
    fn from_def(op_type: &str, attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        let adjoint = || attrs.bool_or("adjoint", false);
        let align = || Align::from_attrs(op_type, attrs);
        Some(match op_type {
            "MatrixInverse" => adjoint().map(|adjoint| MatrixOp::MatrixInverse { adjoint }),
            "MatrixDeterminant" => Ok(MatrixOp::MatrixDeterminant),
            "LogMatrixDeterminant" => Ok(MatrixOp::LogMatrixDeterminant),
            "MatrixSolve" => adjoint().map(|adjoint| MatrixOp::MatrixSolve { adjoint }),
            "MatrixTriangularSolve" => (|| {
                Ok(MatrixOp::MatrixTriangularSolve {
                    lower: attrs.bool_or("lower", true)?,
                    adjoint: adjoint()?,
                })
            })(),
            "Cholesky" => Ok(MatrixOp::Cholesky),
            "MatrixBandPart" => Ok(MatrixOp::MatrixBandPart),
            "Diag" => Ok(MatrixOp::Diag),
            "DiagPart" => Ok(MatrixOp::DiagPart),
            "MatrixDiagV3" => align().map(|align| MatrixOp::MatrixDiag { align }),
            "MatrixDiagPartV3" => align().map(|align| MatrixOp::MatrixDiagPart { align }),
            "MatrixSetDiagV3" => align().map(|align| MatrixOp::MatrixSetDiag { align }),
            "SelfAdjointEigV2" => attrs
                .bool_or("compute_v", true)
                .map(|compute_v| MatrixOp::SelfAdjointEig { compute_v }),
            "Qr" => attrs
                .bool_or("full_matrices", false)
                .map(|full_matrices| MatrixOp::Qr { full_matrices }),
            "Svd" => (|| {
                Ok(MatrixOp::Svd {
                    compute_uv: attrs.bool_or("compute_uv", true)?,
                    full_matrices: attrs.bool_or("full_matrices", false)?,
                })
            })(),
            "TridiagonalMatMul" => Ok(MatrixOp::TridiagonalMatMul),
            "MatrixSquareRoot" => Ok(MatrixOp::MatrixSquareRoot),
            "TridiagonalSolve" => (|| {
                Ok(MatrixOp::TridiagonalSolve {
                    partial_pivoting: attrs.bool_or("partial_pivoting", true)?,
                    perturb_singular: attrs.bool_or("perturb_singular", false)?,
                })
            })(),
            _ => return None,
        })
    }
    fn attrs(&self, _node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        self.attr_list(input_types)
    }
    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        match self {
            MatrixOp::MatrixInverse { .. } | MatrixOp::Cholesky | MatrixOp::MatrixSquareRoot => {
                ctx.expect_inputs(1)?;
                let dtype = self.float_input(ctx, 0, "input")?;
                let dims = self.square(ctx, 0)?;
                one(dtype, Shape(dims))
            }
            MatrixOp::MatrixDeterminant | MatrixOp::LogMatrixDeterminant => {
                ctx.expect_inputs(1)?;
                let dtype = self.float_input(ctx, 0, "input")?;
                let batch = self
                    .square(ctx, 0)?
                    .map(|d| d[..d.len() - 2].iter().copied().collect::<Dims>());
                let meta = TensorMeta::new(dtype, Shape(batch));
                let mut out: Metas = smallvec![meta.clone()];
                if matches!(self, MatrixOp::LogMatrixDeterminant) {
                    out.push(meta);
                }
                Ok(out)
            }
            MatrixOp::MatrixSolve { .. } => self.infer_solve(ctx),
            MatrixOp::TridiagonalMatMul => tridiagonal::infer_matmul(self, ctx),
            MatrixOp::TridiagonalSolve { .. } => tridiagonal::infer_solve(self, ctx),
            MatrixOp::MatrixTriangularSolve { .. } => self.infer_triangular_solve(ctx),
            MatrixOp::MatrixBandPart => {
                ctx.expect_inputs(3)?;
                let dtype = ctx.dtype(0)?;
                for i in [1, 2] {
                    index_dtype(ctx, i, "Tindex")?;
                }
                let shape = ctx.shape(0)?.clone();
                // The bounds' ranks are checked by the kernel, as TF does.
                self.at_least_rank(ctx, &shape, 2)?;
                one(dtype, shape)
            }
            MatrixOp::Diag => {
                ctx.expect_inputs(1)?;
                let dtype = self.diag_dtype(ctx)?;
                let shape = ctx.shape(0)?.clone();
                self.at_least_rank(ctx, &shape, 1)?;
                let out = shape
                    .dims()
                    .map(|d| d.iter().chain(d.iter()).copied().collect());
                one(dtype, Shape(out))
            }
            MatrixOp::DiagPart => {
                ctx.expect_inputs(1)?;
                let dtype = self.diag_dtype(ctx)?;
                let shape = ctx.shape(0)?.clone();
                let Some(d) = shape.dims() else {
                    return one(dtype, Shape::unknown());
                };
                if d.is_empty() || d.len() % 2 != 0 {
                    return Err(self.node_err(
                        ctx,
                        format!(
                            "Input must have even and non-zero rank, input rank is {}",
                            d.len()
                        ),
                    ));
                }
                let half = d.len() / 2;
                let mut out = Dims::new();
                for i in 0..half {
                    out.push(self.merge_dim(ctx, d[i], d[i + half])?);
                }
                one(dtype, Shape(Some(out)))
            }
            MatrixOp::MatrixDiag { .. } => self.infer_matrix_diag(ctx),
            MatrixOp::MatrixDiagPart { .. } => self.infer_diag_part(ctx),
            MatrixOp::MatrixSetDiag { .. } => {
                ctx.expect_inputs(3)?;
                let dtype = ctx.same_dtype("MatrixSetDiagV3", 0, 1, ("input", "diagonal"))?;
                index_dtype(ctx, 2, "k")?;
                let shape = ctx.shape(0)?.clone();
                self.at_least_rank(ctx, &shape, 2)?;
                self.at_least_rank(ctx, &ctx.shape(1)?.clone(), 1)?;
                one(dtype, shape)
            }
            MatrixOp::SelfAdjointEig { compute_v } => {
                ctx.expect_inputs(1)?;
                let dtype = self.float_input(ctx, 0, "input")?;
                let dims = self.square(ctx, 0)?;
                let e = dims
                    .as_ref()
                    .map(|d| d[..d.len() - 1].iter().copied().collect());
                let v = if *compute_v {
                    Shape(dims)
                } else {
                    Shape(Some(smallvec![Some(0)]))
                };
                Ok(smallvec![
                    TensorMeta::new(dtype, Shape(e)),
                    TensorMeta::new(dtype, v)
                ])
            }
            MatrixOp::Qr { full_matrices } => {
                ctx.expect_inputs(1)?;
                let dtype = self.float_input(ctx, 0, "input")?;
                let shape = ctx.shape(0)?.clone();
                self.at_least_rank(ctx, &shape, 2)?;
                let Some(d) = shape.dims() else {
                    return Ok(smallvec![
                        TensorMeta::new(dtype, Shape::unknown()),
                        TensorMeta::new(dtype, Shape::unknown())
                    ]);
                };
                let k = d.len();
                let (m, n) = (d[k - 2], d[k - 1]);
                let p = match (m, n) {
                    (Some(m), Some(n)) => Some(m.min(n)),
                    _ => None,
                };
                let batch = &d[..k - 2];
                let with = |rows: Dim, cols: Dim| -> Shape {
                    Shape(Some(batch.iter().copied().chain([rows, cols]).collect()))
                };
                let (q, r) = if *full_matrices {
                    (with(m, m), with(m, n))
                } else {
                    (with(m, p), with(p, n))
                };
                Ok(smallvec![
                    TensorMeta::new(dtype, q),
                    TensorMeta::new(dtype, r)
                ])
            }
            MatrixOp::Svd {
                compute_uv,
                full_matrices,
            } => {
                ctx.expect_inputs(1)?;
                let dtype = self.float_input(ctx, 0, "input")?;
                let shape = ctx.shape(0)?.clone();
                self.at_least_rank(ctx, &shape, 2)?;
                let empty = Shape(Some(smallvec![Some(0)]));
                let Some(d) = shape.dims() else {
                    let uv = if *compute_uv { Shape::unknown() } else { empty };
                    return Ok(smallvec![
                        TensorMeta::new(dtype, Shape::unknown()),
                        TensorMeta::new(dtype, uv.clone()),
                        TensorMeta::new(dtype, uv)
                    ]);
                };
                let k = d.len();
                let (m, n) = (d[k - 2], d[k - 1]);
                let p = m.zip(n).map(|(m, n)| m.min(n));
                let batch = &d[..k - 2];
                let with = |dims: &[Dim]| -> Shape {
                    Shape(Some(batch.iter().chain(dims).copied().collect()))
                };
                let (u, v) = match (*compute_uv, *full_matrices) {
                    (false, _) => (empty.clone(), empty),
                    (true, true) => (with(&[m, m]), with(&[n, n])),
                    (true, false) => (with(&[m, p]), with(&[n, p])),
                };
                Ok(smallvec![
                    TensorMeta::new(dtype, with(&[p])),
                    TensorMeta::new(dtype, u),
                    TensorMeta::new(dtype, v)
                ])
            }
        }
    }
    fn compute(&self, _ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let input = |i: usize| {
            inputs
                .get(i)
                .ok_or_else(|| Error::internal(format!("{} needs input {i}", self.type_name())))
        };
        Ok(match self {
            MatrixOp::MatrixInverse { adjoint } => smallvec![inverse_kernel(input(0)?, *adjoint)?],
            MatrixOp::MatrixDeterminant => {
                let (sign, logabs) = slogdet_kernel(input(0)?)?;
                smallvec![binary::apply(
                    BinaryOp::Mul,
                    &sign,
                    &super::unary::apply(super::UnaryOp::Exp, &logabs)?
                )?]
            }
            MatrixOp::LogMatrixDeterminant => {
                let (sign, logabs) = slogdet_kernel(input(0)?)?;
                smallvec![sign, logabs]
            }
            MatrixOp::MatrixSolve { adjoint } => {
                smallvec![solve_kernel(input(0)?, input(1)?, *adjoint)?]
            }
            MatrixOp::MatrixTriangularSolve { lower, adjoint } => {
                smallvec![triangular_solve_kernel(
                    input(0)?,
                    input(1)?,
                    *lower,
                    *adjoint
                )?]
            }
            MatrixOp::Cholesky => smallvec![cholesky_kernel(input(0)?)?],
            MatrixOp::MatrixBandPart => {
                smallvec![band_part_kernel(input(0)?, input(1)?, input(2)?)?]
            }
            MatrixOp::Diag => smallvec![diag_kernel(input(0)?)?],
            MatrixOp::DiagPart => smallvec![diag_part_kernel(input(0)?)?],
            MatrixOp::MatrixDiag { align } => smallvec![matrix_diag_kernel(
                input(0)?,
                input(1)?,
                input(2)?,
                input(3)?,
                input(4)?,
                *align
            )?],
            MatrixOp::MatrixDiagPart { align } => smallvec![matrix_diag_part_kernel(
                input(0)?,
                input(1)?,
                input(2)?,
                *align
            )?],
            MatrixOp::MatrixSetDiag { align } => {
                smallvec![set_diag_kernel(input(0)?, input(1)?, input(2)?, *align)?]
            }
            MatrixOp::SelfAdjointEig { compute_v } => {
                let (e, v) = self_adjoint_eig_kernel(input(0)?, *compute_v)?;
                smallvec![e, v]
            }
            MatrixOp::Qr { full_matrices } => {
                let (q, r) = qr_kernel(input(0)?, *full_matrices)?;
                smallvec![q, r]
            }
            MatrixOp::Svd {
                compute_uv,
                full_matrices,
            } => {
                let (s, u, v) = svd_kernel(input(0)?, *compute_uv, *full_matrices)?;
                smallvec![s, u, v]
            }
            MatrixOp::MatrixSquareRoot => smallvec![matrix_sqrt::sqrtm_kernel(input(0)?)?],
            MatrixOp::TridiagonalMatMul => smallvec![tridiagonal::matmul_kernel(&[
                input(0)?,
                input(1)?,
                input(2)?,
                input(3)?
            ])?],
            MatrixOp::TridiagonalSolve {
                partial_pivoting,
                perturb_singular,
            } => smallvec![tridiagonal::solve_kernel(
                input(0)?,
                input(1)?,
                *partial_pivoting,
                *perturb_singular
            )?],
        })
    }
    fn register_gradients(r: &mut GradRegistry) {
        r.builtin("MatrixInverse", inverse_grad);
        r.builtin("MatrixDeterminant", determinant_grad);
        r.builtin("LogMatrixDeterminant", determinant_grad);
        r.builtin("MatrixSolve", solve_grad);
        r.builtin("MatrixTriangularSolve", triangular_solve_grad);
        r.builtin("Cholesky", cholesky_grad);
        r.builtin("MatrixBandPart", band_part_grad);
        r.builtin("Diag", diag_grad);
        r.builtin("DiagPart", diag_part_grad);
        r.builtin("MatrixDiagV3", matrix_diag_grad);
        r.builtin("MatrixDiagPartV3", matrix_diag_part_grad);
        r.builtin("MatrixSetDiagV3", set_diag_grad);
        r.builtin("SelfAdjointEigV2", self_adjoint_eig_grad);
        r.builtin("Qr", qr_grad);
        r.builtin("Svd", svd_grad);
        r.builtin("TridiagonalMatMul", tridiagonal::matmul_grad);
        r.builtin("TridiagonalSolve", tridiagonal::solve_grad);
    }
}

// ===== attributes and shape rules =====

impl MatrixOp {
    fn attr_list(&self, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        let mut out: Vec<(&'static str, AttrValue)> = Vec::new();
        if let Some(t) = input_types.first() {
            out.push(("T", AttrValue::Type(*t)));
        }
        match self {
            MatrixOp::MatrixInverse { adjoint } | MatrixOp::MatrixSolve { adjoint } => {
                out.push(("adjoint", AttrValue::Bool(*adjoint)))
            }
            MatrixOp::MatrixTriangularSolve { lower, adjoint } => {
                out.push(("adjoint", AttrValue::Bool(*adjoint)));
                out.push(("lower", AttrValue::Bool(*lower)));
            }
            MatrixOp::MatrixBandPart => {
                if let Some(t) = input_types.get(1) {
                    out.push(("Tindex", AttrValue::Type(*t)));
                }
            }
            MatrixOp::MatrixDiag { align }
            | MatrixOp::MatrixDiagPart { align }
            | MatrixOp::MatrixSetDiag { align } => {
                out.push(("align", AttrValue::Str(align.name().to_string())))
            }
            MatrixOp::SelfAdjointEig { compute_v } => {
                out.insert(0, ("compute_v", AttrValue::Bool(*compute_v)))
            }
            MatrixOp::Qr { full_matrices } => {
                out.insert(0, ("full_matrices", AttrValue::Bool(*full_matrices)))
            }
            MatrixOp::Svd {
                compute_uv,
                full_matrices,
            } => {
                out.insert(0, ("compute_uv", AttrValue::Bool(*compute_uv)));
                out.insert(1, ("full_matrices", AttrValue::Bool(*full_matrices)));
            }
            MatrixOp::TridiagonalSolve {
                partial_pivoting,
                perturb_singular,
            } => {
                out.push(("partial_pivoting", AttrValue::Bool(*partial_pivoting)));
                out.push(("perturb_singular", AttrValue::Bool(*perturb_singular)));
            }
            _ => {}
        }
        out
    }

    /// A `ValueError` in TF's shape-function form: message, node def and input shapes.
    pub(super) fn node_err(&self, ctx: &InferCtx<'_>, message: impl std::fmt::Display) -> Error {
        linalg::shape_fn_error(ctx, self.type_name(), |t| self.attr_list(t), message)
    }

    fn float_input(&self, ctx: &InferCtx<'_>, i: usize, param: &str) -> Result<DType> {
        let dtype = ctx.dtype(i)?;
        if matches!(dtype, DType::F16 | DType::F32 | DType::F64) {
            return Ok(dtype);
        }
        let allowed = match self {
            MatrixOp::MatrixDeterminant | MatrixOp::LogMatrixDeterminant => {
                "float16, float32, float64, complex64, complex128"
            }
            MatrixOp::MatrixTriangularSolve { .. } => {
                "bfloat16, float64, float32, float16, complex64, complex128"
            }
            _ => "float64, float32, float16, complex64, complex128",
        };
        Err(Error::type_error(format!(
            "Value passed to parameter '{param}' has DataType {dtype} not in list of allowed values: {allowed}"
        )))
    }

    fn diag_dtype(&self, ctx: &InferCtx<'_>) -> Result<DType> {
        let dtype = ctx.dtype(0)?;
        if matches!(
            dtype,
            DType::F16 | DType::F32 | DType::F64 | DType::I32 | DType::I64
        ) {
            return Ok(dtype);
        }
        let param = if matches!(self, MatrixOp::Diag) {
            "diagonal"
        } else {
            "input"
        };
        Err(Error::type_error(format!(
            "Value passed to parameter '{param}' has DataType {dtype} not in list of allowed values: bfloat16, float16, float32, float64, int32, int64, complex64, complex128"
        )))
    }

    pub(super) fn at_least_rank(
        &self,
        ctx: &InferCtx<'_>,
        shape: &Shape,
        min: usize,
    ) -> Result<()> {
        match shape.rank() {
            Some(r) if r < min => Err(self.node_err(
                ctx,
                format!("Shape must be at least rank {min} but is rank {r}"),
            )),
            _ => Ok(()),
        }
    }

    pub(super) fn merge_dim(&self, ctx: &InferCtx<'_>, a: Dim, b: Dim) -> Result<Dim> {
        match (a, b) {
            (Some(x), Some(y)) if x != y => Err(self.node_err(
                ctx,
                format!("Dimensions must be equal, but are {x} and {y}"),
            )),
            (Some(x), _) | (_, Some(x)) => Ok(Some(x)),
            _ => Ok(None),
        }
    }

    /// Input `i` as a batch of square matrices: its dims with the last two merged.
    fn square(&self, ctx: &InferCtx<'_>, i: usize) -> Result<Option<Dims>> {
        let shape = ctx.shape(i)?.clone();
        self.at_least_rank(ctx, &shape, 2)?;
        let Some(d) = shape.dims() else {
            return Ok(None);
        };
        let n = d.len();
        let m = self.merge_dim(ctx, d[n - 2], d[n - 1])?;
        let mut out: Dims = d.iter().copied().collect();
        out[n - 2] = m;
        out[n - 1] = m;
        Ok(Some(out))
    }

    /// The matrix and right-hand side dims of a solve, checked (`None` when a rank is
    /// unknown).
    fn solve_operands(&self, ctx: &InferCtx<'_>) -> Result<(DType, Option<(Dims, Dims)>)> {
        ctx.expect_inputs(2)?;
        let dtype = self.float_input(ctx, 0, "matrix")?;
        ctx.same_dtype(self.type_name(), 0, 1, ("matrix", "rhs"))?;
        let lhs = self.square(ctx, 0)?;
        let rhs = ctx.shape(1)?.clone();
        self.at_least_rank(ctx, &rhs, 2)?;
        Ok((dtype, lhs.zip(rhs.0)))
    }

    fn infer_solve(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        let (dtype, Some((l, r))) = self.solve_operands(ctx)? else {
            return one(ctx.dtype(0)?, Shape::unknown());
        };
        let (ln, rn) = (l.len(), r.len());
        if ln != rn {
            return Err(self.node_err(
                ctx,
                format!(
                    "Shapes must be equal rank, but are {} and {}",
                    ln - 2,
                    rn - 2
                ),
            ));
        }
        let mut out = Dims::new();
        for (k, (a, b)) in l[..ln - 2].iter().zip(&r[..rn - 2]).enumerate() {
            match (a, b) {
                (Some(x), Some(y)) if x != y => {
                    let fmt = |d: &[Dim]| Shape::from_dims(d).bracketed();
                    return Err(self.node_err(
                        ctx,
                        format!(
                            "Dimension {k} in both shapes must be equal, but are {x} and {y}. Shapes are {} and {}.",
                            fmt(&l[..ln - 2]),
                            fmt(&r[..rn - 2])
                        ),
                    ));
                }
                (Some(x), _) | (_, Some(x)) => out.push(Some(*x)),
                _ => out.push(None),
            }
        }
        out.push(self.merge_dim(ctx, l[ln - 2], r[rn - 2])?);
        out.push(r[rn - 1]);
        one(dtype, Shape(Some(out)))
    }

    fn infer_triangular_solve(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        let (dtype, Some((l, r))) = self.solve_operands(ctx)? else {
            return one(ctx.dtype(0)?, Shape::unknown());
        };
        let (ln, rn) = (l.len(), r.len());
        let rows = self.merge_dim(ctx, l[ln - 2], r[rn - 2])?;
        let batch = broadcast_static(
            &Shape::from_dims(&l[..ln - 2]),
            &Shape::from_dims(&r[..rn - 2]),
        )
        .map_err(|(a, b)| {
            self.node_err(
                ctx,
                format!("Dimensions must be equal, but are {a} and {b}"),
            )
        })?;
        let mut out: Dims = batch
            .dims()
            .map(|d| d.iter().copied().collect())
            .unwrap_or_default();
        out.push(rows);
        out.push(r[rn - 1]);
        one(dtype, Shape(Some(out)))
    }

    fn infer_diag_part(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        ctx.expect_inputs(3)?;
        let dtype = ctx.same_dtype("MatrixDiagPartV3", 0, 2, ("input", "padding_value"))?;
        index_dtype(ctx, 1, "k")?;
        let shape = ctx.shape(0)?.clone();
        self.at_least_rank(ctx, &shape, 2)?;
        let Some(d) = shape.dims() else {
            return one(dtype, Shape::unknown());
        };
        let n = d.len();
        let mut out: Dims = d[..n - 2].iter().copied().collect();
        let k = match ctx.const_ints(1) {
            Some(k) => diag_range(&k).map_err(|m| self.node_err(ctx, m))?,
            None if ctx.shape(1)?.rank() == Some(0) => {
                out.push(None);
                return one(dtype, Shape(Some(out)));
            }
            None => return one(dtype, Shape::unknown()),
        };
        let (Some(rows), Some(cols)) = (d[n - 2], d[n - 1]) else {
            if k.0 < k.1 {
                out.push(Some((k.1 - k.0 + 1) as usize));
            }
            out.push(None);
            return one(dtype, Shape(Some(out)));
        };
        check_diag_bounds(k, rows, cols).map_err(|m| self.node_err(ctx, m))?;
        if k.0 < k.1 {
            out.push(Some((k.1 - k.0 + 1) as usize));
        }
        out.push(Some(max_diag_len(k, rows, cols)));
        one(dtype, Shape(Some(out)))
    }

    fn infer_matrix_diag(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        ctx.expect_inputs(5)?;
        let dtype = ctx.same_dtype("MatrixDiagV3", 0, 4, ("diagonal", "padding_value"))?;
        for (i, name) in [(1, "k"), (2, "num_rows"), (3, "num_cols")] {
            if ctx.dtype(i)? != DType::I32 {
                return Err(Error::type_error(format!(
                    "Input '{name}' of 'MatrixDiagV3' Op has type {} that does not match expected type of int32.",
                    ctx.dtype(i)?
                )));
            }
        }
        let shape = ctx.shape(0)?.clone();
        self.at_least_rank(ctx, &shape, 1)?;
        let (Some(d), Some(k)) = (shape.dims(), ctx.const_ints(1)) else {
            return one(dtype, Shape::unknown());
        };
        let k = diag_range(&k).map_err(|m| self.node_err(ctx, m))?;
        let n = d.len();
        let num_diags = (k.1 - k.0 + 1) as usize;
        let batch_end = if num_diags > 1 {
            if n < 2 {
                return Err(self.node_err(
                    ctx,
                    format!("Shape must be at least rank 2 but is rank {n}"),
                ));
            }
            if let Some(nd) = d[n - 2].filter(|&nd| nd != num_diags) {
                return Err(self.node_err(
                    ctx,
                    format!(
                        "The number of rows of `diagonal` doesn't match the number of diagonals implied from `d_lower` and `d_upper`.\nnum_diags = {nd}, d_lower = {}, d_upper = {}",
                        k.0, k.1
                    ),
                ));
            }
            n - 2
        } else {
            n - 1
        };
        let mut out: Dims = d[..batch_end].iter().copied().collect();
        let requested = (ctx.const_ints(2), ctx.const_ints(3));
        match (d[n - 1], requested) {
            (Some(len), (Some(r), Some(c))) => {
                let (rows, cols) =
                    diag_matrix_size(k, len, r[0], c[0]).map_err(|m| self.node_err(ctx, m))?;
                out.push(Some(rows));
                out.push(Some(cols));
            }
            _ => {
                out.push(None);
                out.push(None);
            }
        }
        one(dtype, Shape(Some(out)))
    }
}

fn index_dtype(ctx: &InferCtx<'_>, i: usize, name: &str) -> Result<()> {
    let t = ctx.dtype(i)?;
    if !matches!(t, DType::I32 | DType::I64) {
        return Err(Error::type_error(format!(
            "Value passed to parameter '{name}' has DataType {t} not in list of allowed values: int32, int64"
        )));
    }
    Ok(())
}

// ===== diagonal bands =====

/// `k` as (lower, upper) diagonal indices: one value or a pair.
fn diag_range(k: &[i64]) -> std::result::Result<(i64, i64), String> {
    match k {
        [d] => Ok((*d, *d)),
        [lo, hi] if lo <= hi => Ok((*lo, *hi)),
        [lo, hi] => Err(format!(
            "lower_diag_index must not be larger than upper_diag_index: {lo} > {hi}"
        )),
        other => Err(format!(
            "diag_index must have only one or two elements, received {} elements.",
            other.len()
        )),
    }
}

fn check_diag_bounds(k: (i64, i64), rows: usize, cols: usize) -> std::result::Result<(), String> {
    let (r, c) = (rows as i64, cols as i64);
    let inside = |d: i64| (-r < d && d < c) || d == 0;
    if !inside(k.0) {
        return Err("lower_diag_index is out of bound.".into());
    }
    if !inside(k.1) {
        return Err("upper_diag_index is out of bound.".into());
    }
    Ok(())
}

fn diag_len(d: i64, rows: usize, cols: usize) -> usize {
    let len = (rows as i64 + d.min(0)).min(cols as i64 - d.max(0));
    len.max(0) as usize
}

fn max_diag_len(k: (i64, i64), rows: usize, cols: usize) -> usize {
    let len = (rows as i64 + k.1.min(0)).min(cols as i64 - k.0.max(0));
    len.max(0) as usize
}

/// The output size of `MatrixDiagV3` from the diagonal length and the requested sizes
/// (-1: inferred), with TF's consistency check.
fn diag_matrix_size(
    k: (i64, i64),
    len: usize,
    rows: i64,
    cols: i64,
) -> std::result::Result<(usize, usize), String> {
    let min_rows = len as i64 - k.1.min(0);
    let min_cols = len as i64 + k.0.max(0);
    let (r, c) = match (rows, cols) {
        (-1, -1) => (min_rows.max(min_cols), min_rows.max(min_cols)),
        (-1, c) => (min_rows, c),
        (r, -1) => (r, min_cols),
        (r, c) => (r, c),
    };
    if r < min_rows || c < min_cols || (r != min_rows && c != min_cols) {
        return Err(format!(
            "num_rows and num_cols are not consistent with lower_diag_index, upper_diag_index, and the length of the given diagonals.\nnum_rows = {r} != min_num_rows = {min_rows}, num_cols = {c} != min_num_cols = {min_cols}"
        ));
    }
    Ok((r as usize, c as usize))
}

/// Where element (i, j) of a `rows × cols` matrix sits in the packed diagonals of band `k`
/// (rows of `max_len`, the top one for diagonal `k.1`), or `None` outside the band.
struct Band {
    k: (i64, i64),
    rows: usize,
    cols: usize,
    max_len: usize,
    align: Align,
}

impl Band {
    fn slot(&self, i: usize, j: usize) -> Option<usize> {
        let d = j as i64 - i as i64;
        if d < self.k.0 || d > self.k.1 {
            return None;
        }
        let left = (d >= 0 && self.align.left_super()) || (d <= 0 && self.align.left_sub());
        let offset = if left {
            0
        } else {
            self.max_len
                .saturating_sub(diag_len(d, self.rows, self.cols))
        };
        let row = (self.k.1 - d) as usize;
        Some(row * self.max_len + i.min(j) + offset)
    }
    fn num_diags(&self) -> usize {
        (self.k.1 - self.k.0 + 1) as usize
    }
}

fn k_of(k: &Value) -> Result<(i64, i64)> {
    if k.shape().len() > 1 {
        return Err(Error::op_invalid(format!(
            "diag_index must be a scalar or vector, received shape: {}",
            Shape::known(k.shape()).bracketed()
        )));
    }
    diag_range(&k.to_i64_vec()?).map_err(Error::op_invalid)
}

fn scalar_of(v: &Value, what: &str) -> Result<i64> {
    match (v.shape().len(), v.to_i64_vec()?.as_slice()) {
        (0, [x]) => Ok(*x),
        _ => Err(Error::op_invalid(format!(
            "{what} must be scalar, got shape {}",
            Shape::known(v.shape()).bracketed()
        ))),
    }
}

fn flat<T: Copy>(a: &Arr<T>) -> Vec<T> {
    a.iter().copied().collect()
}

/// The padding value as the element type of `like`.
fn padding_of<T: crate::value::Fixed>(padding: &Value) -> Result<T> {
    match T::unwrap_ref(padding).and_then(|a| a.iter().next().copied()) {
        Some(p) if padding.shape().is_empty() => Ok(p),
        _ => Err(Error::op_invalid(format!(
            "padding_value must be a scalar, received shape: {}",
            Shape::known(padding.shape()).bracketed()
        ))),
    }
}

fn build<T: Clone>(shape: &[usize], data: Vec<T>) -> Result<Arr<T>> {
    ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), data)
        .map(|a| a.into_shared())
        .map_err(|e| Error::internal(e.to_string()))
}

/// The last two dims of a value of rank ≥ 2 and how many matrices it holds.
fn matrix_dims(v: &Value, what: &str) -> Result<(usize, usize, usize)> {
    let s = v.shape();
    if s.len() < 2 {
        return Err(Error::op_invalid(format!(
            "{what} must be at least 2-dim, received shape: {}",
            Shape::known(s).bracketed()
        )));
    }
    let (rows, cols) = (s[s.len() - 2], s[s.len() - 1]);
    let count = s[..s.len() - 2].iter().product();
    Ok((count, rows, cols))
}

impl Band {
    /// The band `k` of `x`'s matrices: the band, the matrix count, and the shape of `x`'s
    /// packed diagonals (batch dims, the diagonal count when above one, `max_len`).
    fn of_matrices(x: &Value, k: &Value, align: Align) -> Result<(Band, usize, Vec<usize>)> {
        let k = k_of(k)?;
        let (count, rows, cols) = matrix_dims(x, "input")?;
        check_diag_bounds(k, rows, cols).map_err(Error::op_invalid)?;
        let band = Band {
            k,
            rows,
            cols,
            max_len: max_diag_len(k, rows, cols),
            align,
        };
        let s = x.shape();
        let mut shape = s[..s.len() - 2].to_vec();
        if band.num_diags() > 1 {
            shape.push(band.num_diags());
        }
        shape.push(band.max_len);
        Ok((band, count, shape))
    }

    /// (offset in the flat batch of matrices, offset in the flat batch of packed diagonals)
    /// of every element of `count` matrices that lies on the band.
    fn positions(&self, count: usize) -> Vec<(usize, usize)> {
        let (size, per) = (self.rows * self.cols, self.num_diags() * self.max_len);
        let mut one: Vec<(usize, usize)> = Vec::new();
        for i in 0..self.rows {
            for j in 0..self.cols {
                if let Some(slot) = self.slot(i, j) {
                    one.push((i * self.cols + j, slot));
                }
            }
        }
        (0..count)
            .flat_map(|b| one.iter().map(move |&(m, d)| (b * size + m, b * per + d)))
            .collect()
    }
}

/// `n` elements of `pad` shaped `shape`, with `a`'s element `from` copied to `to` for
/// each `(to, from)` of `moves`.
fn moved<T: crate::value::Fixed>(
    a: &Arr<T>,
    pad: T,
    moves: impl Iterator<Item = (usize, usize)>,
    n: usize,
    shape: &[usize],
) -> Result<Arr<T>> {
    let src = flat(a);
    let mut out = vec![pad; n];
    for (to, from) in moves {
        out[to] = src[from];
    }
    build(shape, out)
}

fn matrix_diag_part_kernel(x: &Value, k: &Value, padding: &Value, align: Align) -> Result<Value> {
    let (band, count, shape) = Band::of_matrices(x, k, align)?;
    let positions = band.positions(count);
    let per = band.num_diags() * band.max_len;
    let moves = || positions.iter().map(|&(m, d)| (d, m));
    Ok(
        crate::map_fixed!(x, super::strings::rejected("MatrixDiagPart"), a => moved(a, padding_of(padding)?, moves(), per * count, &shape)?),
    )
}

fn matrix_diag_kernel(
    diagonal: &Value,
    k: &Value,
    num_rows: &Value,
    num_cols: &Value,
    padding: &Value,
    align: Align,
) -> Result<Value> {
    let k = k_of(k)?;
    let s = diagonal.shape();
    let num_diags = (k.1 - k.0 + 1) as usize;
    let batch_end = if num_diags > 1 {
        if s.len() < 2 || s[s.len() - 2] != num_diags {
            return Err(Error::op_invalid(format!(
                "The number of diagonals provided in the input does not match the lower_diag_index and upper_diag_index range. diagonal shape: {}, lower_diag_index: {}, upper_diag_index: {}",
                Shape::known(s).bracketed(),
                k.0,
                k.1
            )));
        }
        s.len() - 2
    } else if s.is_empty() {
        return Err(Error::op_invalid(
            "diagonal must be at least 1-dim, received shape: []",
        ));
    } else {
        s.len() - 1
    };
    let max_len = s[s.len() - 1];
    let (rows, cols) = diag_matrix_size(
        k,
        max_len,
        scalar_of(num_rows, "num_rows")?,
        scalar_of(num_cols, "num_cols")?,
    )
    .map_err(Error::op_invalid)?;
    let band = Band {
        k,
        rows,
        cols,
        max_len,
        align,
    };
    let count: usize = s[..batch_end].iter().product();
    let mut shape = s[..batch_end].to_vec();
    shape.push(rows);
    shape.push(cols);
    Value::check_allocation(diagonal.dtype(), &shape)?;
    let positions = band.positions(count);
    let n = count * rows * cols;
    Ok(
        crate::map_fixed!(diagonal, super::strings::rejected("MatrixDiag"), a => moved(a, padding_of(padding)?, positions.iter().copied(), n, &shape)?),
    )
}

fn set_diag_kernel(x: &Value, diagonal: &Value, k: &Value, align: Align) -> Result<Value> {
    let (band, count, expected) = Band::of_matrices(x, k, align)?;
    if diagonal.shape() != expected.as_slice() {
        return Err(Error::op_invalid(format!(
            "diagonal must have shape {}, but received shape {}",
            Shape::known(&expected).bracketed(),
            Shape::known(diagonal.shape()).bracketed()
        )));
    }
    let positions = band.positions(count);
    fn set<T: crate::value::Fixed>(
        a: &Arr<T>,
        d: &Value,
        positions: &[(usize, usize)],
    ) -> Result<Arr<T>> {
        let diag = T::unwrap_ref(d)
            .map(flat)
            .ok_or_else(|| Error::internal("MatrixSetDiagV3 input and diagonal types differ"))?;
        let mut out = flat(a);
        for &(m, k) in positions {
            out[m] = diag[k];
        }
        build(a.shape(), out)
    }
    Ok(
        crate::map_fixed!(x, super::strings::rejected("MatrixSetDiag"), a => set(a, diagonal, &positions)?),
    )
}

fn band_part_kernel(x: &Value, lower: &Value, upper: &Value) -> Result<Value> {
    let (count, rows, cols) = matrix_dims(x, "input")?;
    let lower = scalar_of(lower, "num_lower")?;
    let upper = scalar_of(upper, "num_upper")?;
    if lower > rows as i64 {
        return Err(Error::op_invalid(format!(
            "num_lower must be negative or less or equal to number of rows ({rows}) got: {lower}"
        )));
    }
    if upper > cols as i64 {
        return Err(Error::op_invalid(format!(
            "num_upper must be negative or less or equal to number of columns ({cols}) got: {upper}"
        )));
    }
    let keep = |i: usize, j: usize| {
        let (i, j) = (i as i64, j as i64);
        (lower < 0 || i - j <= lower) && (upper < 0 || j - i <= upper)
    };
    fn band<T: crate::value::Fixed>(
        a: &Arr<T>,
        count: usize,
        rows: usize,
        cols: usize,
        keep: &dyn Fn(usize, usize) -> bool,
    ) -> Result<Arr<T>> {
        let mut out = flat(a);
        for b in 0..count {
            for i in 0..rows {
                for j in 0..cols {
                    if !keep(i, j) {
                        out[(b * rows + i) * cols + j] = T::from_f64(0.0);
                    }
                }
            }
        }
        build(a.shape(), out)
    }
    Ok(
        crate::map_fixed!(x, super::strings::rejected("MatrixBandPart"), a => band(a, count, rows, cols, &keep)?),
    )
}

fn diag_kernel(x: &Value) -> Result<Value> {
    let s = x.shape();
    if s.is_empty() {
        return Err(Error::op_invalid("Input must be at least rank 1, got 0"));
    }
    let n = x.len();
    let shape: Vec<usize> = s.iter().chain(s.iter()).copied().collect();
    Value::check_allocation(x.dtype(), &shape)?;
    fn diag<T: crate::value::Fixed>(a: &Arr<T>, n: usize, shape: &[usize]) -> Result<Arr<T>> {
        let mut out = vec![T::from_f64(0.0); n * n];
        for (i, v) in a.iter().enumerate() {
            out[i * n + i] = *v;
        }
        build(shape, out)
    }
    Ok(crate::map_fixed!(x, super::strings::rejected("Diag"), a => diag(a, n, &shape)?))
}

fn diag_part_kernel(x: &Value) -> Result<Value> {
    let s = x.shape();
    let half = s.len() / 2;
    if s.is_empty() || s.len() % 2 != 0 {
        return Err(Error::op_invalid(format!(
            "The rank of the tensor should be even and positive, got shape {}",
            Shape::known(s).bracketed()
        )));
    }
    if s[..half] != s[half..] {
        return Err(Error::op_invalid(format!(
            "Invalid shape {}: dimensions {} and {} do not match.",
            Shape::known(s).bracketed(),
            half - 1,
            s.len() - 1
        )));
    }
    let n: usize = s[..half].iter().product();
    fn part<T: crate::value::Fixed>(a: &Arr<T>, n: usize, shape: &[usize]) -> Result<Arr<T>> {
        let src = flat(a);
        build(shape, (0..n).map(|i| src[i * n + i]).collect())
    }
    Ok(crate::map_fixed!(x, super::strings::rejected("DiagPart"), a => part(a, n, &s[..half])?))
}

// ===== factorisations =====

/// Applies `per_matrix` to each n×n matrix of `x` (float32/float64), collecting the outputs.
macro_rules! float_matrices {
    ($x:expr, $err:expr, |$a:ident: &[$t:ident], $n:ident| $body:expr) => {
        match $x {
            Value::F32(arr) => {
                type $t = f32;
                let data = flat(arr);
                let $n = $x.shape()[$x.shape().len() - 1];
                let $a: &[$t] = &data;
                $body
            }
            Value::F64(arr) => {
                type $t = f64;
                let data = flat(arr);
                let $n = $x.shape()[$x.shape().len() - 1];
                let $a: &[$t] = &data;
                $body
            }
            _ => return Err($err),
        }
    };
}

/// LU factorisation with partial pivoting of the n×n row-major `a`, in place. Returns the
/// row permutation and its sign; a zero pivot leaves its column unreduced (the matrix is
/// singular, which callers read off the diagonal).
pub(super) fn lu<T: Float>(a: &mut [T], n: usize) -> (Vec<usize>, T) {
    let mut perm: Vec<usize> = (0..n).collect();
    let mut sign = T::one();
    for k in 0..n {
        let mut p = k;
        let mut best = a[k * n + k].abs();
        for r in k + 1..n {
            let v = a[r * n + k].abs();
            if v > best {
                best = v;
                p = r;
            }
        }
        if p != k {
            for c in 0..n {
                a.swap(k * n + c, p * n + c);
            }
            perm.swap(k, p);
            sign = -sign;
        }
        let pivot = a[k * n + k];
        if pivot == T::zero() {
            continue;
        }
        for r in k + 1..n {
            let f = a[r * n + k] / pivot;
            a[r * n + k] = f;
            for c in k + 1..n {
                a[r * n + c] = a[r * n + c] - f * a[k * n + c];
            }
        }
    }
    (perm, sign)
}

/// False for NaN too: a NaN pivot is no evidence of invertibility.
fn is_positive<T: Float>(v: T) -> bool {
    v > T::zero()
}

fn min_abs_pivot<T: Float>(lu: &[T], n: usize) -> T {
    (0..n)
        .map(|i| lu[i * n + i].abs())
        .fold(T::infinity(), |m, v| if v < m { v } else { m })
}

/// Solves `A x = b` for the n×m row-major `b` from A's LU factors.
pub(super) fn lu_solve<T: Float>(lu: &[T], perm: &[usize], n: usize, b: &[T], m: usize) -> Vec<T> {
    let mut x: Vec<T> = Vec::with_capacity(n * m);
    for &p in perm {
        x.extend_from_slice(&b[p * m..(p + 1) * m]);
    }
    for i in 0..n {
        for k in 0..i {
            let l = lu[i * n + k];
            for c in 0..m {
                x[i * m + c] = x[i * m + c] - l * x[k * m + c];
            }
        }
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            let u = lu[i * n + k];
            for c in 0..m {
                x[i * m + c] = x[i * m + c] - u * x[k * m + c];
            }
        }
        let d = lu[i * n + i];
        for c in 0..m {
            x[i * m + c] = x[i * m + c] / d;
        }
    }
    x
}

pub(super) fn transposed<T: Copy>(a: &[T], n: usize) -> Vec<T> {
    (0..n * n).map(|idx| a[(idx % n) * n + idx / n]).collect()
}

pub(super) fn identity<T: Float>(n: usize) -> Vec<T> {
    (0..n * n)
        .map(|idx| {
            if idx / n == idx % n {
                T::one()
            } else {
                T::zero()
            }
        })
        .collect()
}

/// How many matrices `x` holds, and its shape, when they are square.
fn square_matrices(x: &Value) -> Result<(usize, Vec<usize>)> {
    let (count, rows, cols) = matrix_dims(x, "input")?;
    if rows != cols {
        return Err(Error::op_invalid(format!(
            "Input matrix must be square, got {rows} x {cols}"
        )));
    }
    Ok((count, x.shape().to_vec()))
}

fn inverse_kernel(x: &Value, adjoint: bool) -> Result<Value> {
    let (count, shape) = square_matrices(x)?;
    let err = Error::op_invalid("MatrixInverse supports float32 and float64");
    float_matrices!(x, err, |data: &[T], n| {
        let mut out: Vec<T> = Vec::with_capacity(data.len());
        for b in 0..count {
            let m = &data[b * n * n..(b + 1) * n * n];
            let mut a = if adjoint {
                transposed(m, n)
            } else {
                m.to_vec()
            };
            let (perm, _) = lu(&mut a, n);
            if n > 0 && !is_positive(min_abs_pivot(&a, n)) {
                return Err(Error::op_invalid("Input is not invertible."));
            }
            out.extend(lu_solve(&a, &perm, n, &identity::<T>(n), n));
        }
        Value::from_vec(&shape, out)
    })
}

/// (sign, log |det|) of every matrix, as TF's `SLogDet`: a singular matrix gives sign 0 and
/// log |det| = -inf.
fn slogdet_kernel(x: &Value) -> Result<(Value, Value)> {
    let (_, s) = square_matrices(x)?;
    let batch = &s[..s.len() - 2];
    let err = Error::op_invalid("MatrixDeterminant supports float32 and float64");
    float_matrices!(x, err, |data: &[T], n| {
        let count: usize = batch.iter().product();
        let (mut signs, mut logs): (Vec<T>, Vec<T>) = (Vec::new(), Vec::new());
        for b in 0..count {
            let mut a = data[b * n * n..(b + 1) * n * n].to_vec();
            let (_, mut sign) = lu(&mut a, n);
            let mut log_abs = T::zero();
            for i in 0..n {
                let d = a[i * n + i];
                if d < T::zero() {
                    sign = -sign;
                }
                log_abs += d.abs().ln();
            }
            if log_abs == T::neg_infinity() {
                sign = T::zero();
            }
            signs.push(sign);
            logs.push(log_abs);
        }
        Ok((
            Value::from_vec(batch, signs)?,
            Value::from_vec(batch, logs)?,
        ))
    })
}

fn solve_kernel(a: &Value, b: &Value, adjoint: bool) -> Result<Value> {
    let (count, n, _) = matrix_dims(a, "matrix")?;
    let (rhs_count, rows, m) = matrix_dims(b, "rhs")?;
    if rhs_count != count || rows != n || a.shape().len() != b.shape().len() {
        return Err(Error::op_invalid(format!(
            "Incompatible shapes: matrix {} and rhs {}",
            Shape::known(a.shape()).bracketed(),
            Shape::known(b.shape()).bracketed()
        )));
    }
    let shape = b.shape().to_vec();
    let err = Error::op_invalid("MatrixSolve supports float32 and float64");
    float_matrices!(a, err, |data: &[T], n| {
        let rhs: Vec<T> = T_values(b)?;
        let mut out: Vec<T> = Vec::with_capacity(rhs.len());
        for k in 0..count {
            let m_a = &data[k * n * n..(k + 1) * n * n];
            let mut lu_a = if adjoint {
                transposed(m_a, n)
            } else {
                m_a.to_vec()
            };
            let (perm, _) = lu(&mut lu_a, n);
            if n > 0 && !is_positive(min_abs_pivot(&lu_a, n)) {
                return Err(Error::op_invalid("Input matrix is not invertible."));
            }
            out.extend(lu_solve(
                &lu_a,
                &perm,
                n,
                &rhs[k * n * m..(k + 1) * n * m],
                m,
            ));
        }
        Value::from_vec(&shape, out)
    })
}

/// The elements of a value already known to hold `T`.
#[allow(non_snake_case)]
fn T_values<T: Elem>(v: &Value) -> Result<Vec<T>> {
    T::unwrap_ref(v)
        .map(flat)
        .ok_or_else(|| Error::internal("operand types differ"))
}

fn triangular_solve_kernel(a: &Value, b: &Value, lower: bool, adjoint: bool) -> Result<Value> {
    let (_, n, n2) = matrix_dims(a, "matrix")?;
    let (_, rows, m) = matrix_dims(b, "rhs")?;
    let (sa, sb) = (a.shape(), b.shape());
    let (ba, bb) = (&sa[..sa.len() - 2], &sb[..sb.len() - 2]);
    let batch = match broadcast_dims(ba, bb) {
        Some(batch) if n == n2 && rows == n => batch,
        _ => {
            return Err(Error::op_invalid(format!(
                "Incompatible shapes: matrix {} and rhs {}",
                Shape::known(sa).bracketed(),
                Shape::known(sb).bracketed()
            )))
        }
    };
    let count: usize = batch.iter().product();
    let mut shape = batch.clone();
    shape.push(n);
    shape.push(m);
    // Solving against Aᵀ turns a lower triangle into an upper one.
    let forward = lower != adjoint;
    let err = Error::op_invalid("MatrixTriangularSolve supports float32 and float64");
    float_matrices!(a, err, |data: &[T], n| {
        let rhs: Vec<T> = T_values(b)?;
        let mut out: Vec<T> = Vec::with_capacity(count * n * m);
        for k in 0..count {
            let ia = linalg::source_index(k, &batch, ba);
            let ib = linalg::source_index(k, &batch, bb);
            let mat = &data[ia * n * n..(ia + 1) * n * n];
            let at = |i: usize, j: usize| {
                if adjoint {
                    mat[j * n + i]
                } else {
                    mat[i * n + j]
                }
            };
            let mut x = rhs[ib * n * m..(ib + 1) * n * m].to_vec();
            let order: Vec<usize> = if forward {
                (0..n).collect()
            } else {
                (0..n).rev().collect()
            };
            for (pos, &i) in order.iter().enumerate() {
                for &j in &order[..pos] {
                    let f = at(i, j);
                    for c in 0..m {
                        x[i * m + c] -= f * x[j * m + c];
                    }
                }
                let d = at(i, i);
                for c in 0..m {
                    x[i * m + c] /= d;
                }
            }
            out.extend(x);
        }
        Value::from_vec(&shape, out)
    })
}

/// Lower Cholesky factors, reading only the lower triangle. A matrix that is not positive
/// definite gives a factor of NaNs, as TF's kernel does (no error).
fn cholesky_kernel(x: &Value) -> Result<Value> {
    let (count, shape) = square_matrices(x)?;
    let err = Error::op_invalid("Cholesky supports float32 and float64");
    float_matrices!(x, err, |data: &[T], n| {
        let mut out: Vec<T> = Vec::with_capacity(data.len());
        for b in 0..count {
            let a = &data[b * n * n..(b + 1) * n * n];
            let mut l = vec![T::zero(); n * n];
            let mut ok = true;
            'rows: for j in 0..n {
                let mut s = a[j * n + j];
                for k in 0..j {
                    s -= l[j * n + k] * l[j * n + k];
                }
                if !is_positive(s) {
                    ok = false;
                    break 'rows;
                }
                let d = s.sqrt();
                l[j * n + j] = d;
                for i in j + 1..n {
                    let mut s = a[i * n + j];
                    for k in 0..j {
                        s -= l[i * n + k] * l[j * n + k];
                    }
                    l[i * n + j] = s / d;
                }
            }
            if !ok {
                for i in 0..n {
                    for j in 0..=i {
                        l[i * n + j] = T::nan();
                    }
                }
            }
            out.extend(l);
        }
        Value::from_vec(&shape, out)
    })
}

/// Eigen-decomposition of the symmetric matrix in the lower triangle of `a` (n×n, row-major)
/// by cyclic Jacobi rotations, in float64: the eigenvalues ascending and the eigenvectors as
/// columns, each with its largest-magnitude component positive (TF's solver leaves the sign
/// open; fixing it keeps the vectors continuous in the matrix, as gradients need).
pub(super) fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            m[i * n + j] = a[i * n + j];
            m[j * n + i] = a[i * n + j];
        }
    }
    let mut v = identity::<f64>(n);
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j] * m[i * n + j])
            .sum();
        let scale: f64 = m.iter().map(|x| x * x).sum();
        if off <= f64::EPSILON * f64::EPSILON * scale || off == 0.0 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (mkp, mkq) = (m[k * n + p], m[k * n + q]);
                    m[k * n + p] = c * mkp - s * mkq;
                    m[k * n + q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[p * n + k], m[q * n + k]);
                    m[p * n + k] = c * mpk - s * mqk;
                    m[q * n + k] = s * mpk + c * mqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| m[i * n + i].total_cmp(&m[j * n + j]));
    let values: Vec<f64> = order.iter().map(|&i| m[i * n + i]).collect();
    let mut vectors = vec![0.0; n * n];
    for (col, &src) in order.iter().enumerate() {
        let largest = (0..n).map(|k| v[k * n + src]).fold(0.0f64, |best, x| {
            if x.abs() > best.abs() {
                x
            } else {
                best
            }
        });
        let sign = if largest < 0.0 { -1.0 } else { 1.0 };
        for k in 0..n {
            vectors[k * n + col] = sign * v[k * n + src];
        }
    }
    (values, vectors)
}

/// `SelfAdjointEigV2`'s kernel (computed in float64, returned in the input's type); without
/// `compute_v` the vectors output is empty (`[0]`).
fn self_adjoint_eig_kernel(x: &Value, compute_v: bool) -> Result<(Value, Value)> {
    if !matches!(x.dtype(), DType::F32 | DType::F64) {
        return Err(Error::op_invalid(
            "SelfAdjointEigV2 supports float32 and float64",
        ));
    }
    let (count, shape) = square_matrices(x)?;
    let n = shape.last().copied().unwrap_or(0);
    let data = float64_data(x)?;
    let (mut values, mut vectors) = (Vec::with_capacity(count * n), Vec::new());
    for b in 0..count {
        let (e, v) = symmetric_eigen(&data[b * n * n..(b + 1) * n * n], n);
        values.extend(e);
        if compute_v {
            vectors.extend(v);
        }
    }
    let v_shape: &[usize] = if compute_v { &shape } else { &[0] };
    Ok((
        Value::from_vec(&shape[..shape.len() - 1], values)?.cast(x.dtype()),
        Value::from_vec(v_shape, vectors)?.cast(x.dtype()),
    ))
}

/// A float tensor's elements as float64, row-major.
fn float64_data(x: &Value) -> Result<Vec<f64>> {
    let as_f64 = x.cast(DType::F64);
    Ok(as_f64
        .as_array::<f64>()
        .ok_or_else(|| Error::internal("cast to float64 failed"))?
        .iter()
        .copied()
        .collect())
}

/// Householder QR of the m×n row-major `a` in float64, as Eigen's `HouseholderQR` (each
/// reflection sends its column to `-sign(a_kk)·‖x‖`): Q with `q_cols` columns and the first
/// `r_rows` rows of R.
fn householder_qr(
    a: &[f64],
    m: usize,
    n: usize,
    q_cols: usize,
    r_rows: usize,
) -> (Vec<f64>, Vec<f64>) {
    let mut r = a.to_vec();
    let mut reflectors: Vec<(Vec<f64>, f64)> = Vec::new();
    for k in 0..m.min(n) {
        let x: Vec<f64> = (k..m).map(|i| r[i * n + k]).collect();
        let c0 = x[0];
        let tail: f64 = x[1..].iter().map(|v| v * v).sum();
        let (v, tau) = if tail <= f64::MIN_POSITIVE {
            let mut v = vec![0.0; x.len()];
            v[0] = 1.0;
            (v, 0.0)
        } else {
            let norm = (c0 * c0 + tail).sqrt();
            let beta = if c0 >= 0.0 { -norm } else { norm };
            let mut v: Vec<f64> = x.iter().map(|&xi| xi / (c0 - beta)).collect();
            v[0] = 1.0;
            (v, (beta - c0) / beta)
        };
        for j in k..n {
            let s: f64 = v
                .iter()
                .enumerate()
                .map(|(i, vi)| vi * r[(k + i) * n + j])
                .sum();
            for (i, vi) in v.iter().enumerate() {
                r[(k + i) * n + j] -= tau * vi * s;
            }
        }
        for i in k + 1..m {
            r[i * n + k] = 0.0;
        }
        reflectors.push((v, tau));
    }
    let mut q = vec![0.0; m * q_cols];
    for i in 0..m.min(q_cols) {
        q[i * q_cols + i] = 1.0;
    }
    for (k, (v, tau)) in reflectors.iter().enumerate().rev() {
        for j in 0..q_cols {
            let s: f64 = v
                .iter()
                .enumerate()
                .map(|(i, vi)| vi * q[(k + i) * q_cols + j])
                .sum();
            for (i, vi) in v.iter().enumerate() {
                q[(k + i) * q_cols + j] -= tau * vi * s;
            }
        }
    }
    r.truncate(r_rows * n);
    (q, r)
}

/// `Qr`'s kernel over a batch of m×n matrices (computed in float64, returned in the input's
/// type).
fn qr_kernel(x: &Value, full_matrices: bool) -> Result<(Value, Value)> {
    if !matches!(x.dtype(), DType::F32 | DType::F64) {
        return Err(Error::op_invalid("Qr supports float32 and float64"));
    }
    let (count, m, n) = matrix_dims(x, "input")?;
    let p = m.min(n);
    let (q_cols, r_rows) = if full_matrices { (m, m) } else { (p, p) };
    let batch = &x.shape()[..x.shape().len() - 2];
    let q_shape: Vec<usize> = batch.iter().copied().chain([m, q_cols]).collect();
    let r_shape: Vec<usize> = batch.iter().copied().chain([r_rows, n]).collect();
    let data = float64_data(x)?;
    let (mut qs, mut rs) = (Vec::new(), Vec::new());
    for b in 0..count {
        let (q, r) = householder_qr(&data[b * m * n..(b + 1) * m * n], m, n, q_cols, r_rows);
        qs.extend(q);
        rs.extend(r);
    }
    let q = Value::from_vec(&q_shape, qs)?.cast(x.dtype());
    let r = Value::from_vec(&r_shape, rs)?.cast(x.dtype());
    Ok((q, r))
}

/// Extends the orthonormal columns of the rows×`have` row-major `basis` (stored with `cols`
/// columns) to `cols` orthonormal columns by Gram-Schmidt on the unit vectors.
fn complete_basis(basis: &mut [f64], rows: usize, cols: usize, have: usize) {
    let mut next = have;
    for candidate in 0..rows {
        if next >= cols {
            break;
        }
        let mut w = vec![0.0; rows];
        w[candidate] = 1.0;
        for _pass in 0..2 {
            for j in 0..next {
                let dot: f64 = (0..rows).map(|i| basis[i * cols + j] * w[i]).sum();
                for (i, wi) in w.iter_mut().enumerate() {
                    *wi -= dot * basis[i * cols + j];
                }
            }
        }
        let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm > 1e-8 {
            for (i, wi) in w.iter().enumerate() {
                basis[i * cols + next] = wi / norm;
            }
            next += 1;
        }
    }
}

/// The SVD of the m×n row-major `a` (m ≥ n) by one-sided Jacobi rotations in float64:
/// singular values descending, `u` m×`u_cols`, `v` n×n, each v column's largest-magnitude
/// component positive (TF leaves the signs open; fixing them keeps the vectors continuous).
fn jacobi_svd(a: &[f64], m: usize, n: usize, u_cols: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut w = a.to_vec();
    let mut v = identity::<f64>(n);
    for _sweep in 0..100 {
        let mut rotated = false;
        for p in 0..n {
            for q in p + 1..n {
                let (mut alpha, mut beta, mut gamma) = (0.0, 0.0, 0.0);
                for i in 0..m {
                    let (x, y) = (w[i * n + p], w[i * n + q]);
                    alpha += x * x;
                    beta += y * y;
                    gamma += x * y;
                }
                if gamma == 0.0 || gamma.abs() <= 1e-15 * (alpha * beta).sqrt() {
                    continue;
                }
                rotated = true;
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
                let t = if zeta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = c * t;
                for i in 0..m {
                    let (x, y) = (w[i * n + p], w[i * n + q]);
                    w[i * n + p] = c * x - s * y;
                    w[i * n + q] = s * x + c * y;
                }
                for i in 0..n {
                    let (x, y) = (v[i * n + p], v[i * n + q]);
                    v[i * n + p] = c * x - s * y;
                    v[i * n + q] = s * x + c * y;
                }
            }
        }
        if !rotated {
            break;
        }
    }
    let norms: Vec<f64> = (0..n)
        .map(|j| {
            (0..m)
                .map(|i| w[i * n + j] * w[i * n + j])
                .sum::<f64>()
                .sqrt()
        })
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| norms[j].total_cmp(&norms[i]));
    let s: Vec<f64> = order.iter().map(|&j| norms[j]).collect();
    let mut u = vec![0.0; m * u_cols];
    let mut vs = vec![0.0; n * n];
    let mut have = 0;
    for (col, &j) in order.iter().enumerate() {
        let largest =
            (0..n).map(|i| v[i * n + j]).fold(
                0.0f64,
                |best, x| if x.abs() > best.abs() { x } else { best },
            );
        let sign = if largest < 0.0 { -1.0 } else { 1.0 };
        for i in 0..n {
            vs[i * n + col] = sign * v[i * n + j];
        }
        if norms[j] > 0.0 && col < u_cols && have == col {
            for i in 0..m {
                u[i * u_cols + col] = sign * w[i * n + j] / norms[j];
            }
            have += 1;
        }
    }
    complete_basis(&mut u, m, u_cols, have);
    (s, u, vs)
}

/// `Svd`'s kernel over a batch (computed in float64, returned in the input's type); a wide
/// matrix is decomposed through its transpose. Without `compute_uv`, `u` and `v` are empty.
fn svd_kernel(x: &Value, compute_uv: bool, full: bool) -> Result<(Value, Value, Value)> {
    if !matches!(x.dtype(), DType::F32 | DType::F64) {
        return Err(Error::op_invalid("Svd supports float32 and float64"));
    }
    let (count, m, n) = matrix_dims(x, "input")?;
    let p = m.min(n);
    let (u_cols, v_cols) = if full { (m, n) } else { (p, p) };
    let batch = &x.shape()[..x.shape().len() - 2];
    let dims = |tail: &[usize]| -> Vec<usize> { batch.iter().chain(tail).copied().collect() };
    let data = float64_data(x)?;
    let (mut ss, mut us, mut vs) = (Vec::new(), Vec::new(), Vec::new());
    for b in 0..count {
        let a = &data[b * m * n..(b + 1) * m * n];
        // Decompose the tall one of A and Aᵀ; for Aᵀ the roles of u and v swap.
        let (tall, rows, cols, wide) = if m >= n {
            (a.to_vec(), m, n, false)
        } else {
            (transposed_rect(a, m, n), n, m, true)
        };
        let (left_cols, right_cols) = if wide {
            (v_cols, u_cols)
        } else {
            (u_cols, v_cols)
        };
        let (s, left, right) = jacobi_svd(&tall, rows, cols, left_cols.max(cols.min(rows)));
        ss.extend(s);
        let take = |mat: &[f64], r: usize, stride: usize, c: usize| -> Vec<f64> {
            (0..r)
                .flat_map(|i| mat[i * stride..i * stride + c].to_vec())
                .collect()
        };
        let left = take(&left, rows, left_cols.max(cols.min(rows)), left_cols);
        let right = take(&right, cols, cols, right_cols.min(cols));
        let (u, v) = if wide { (right, left) } else { (left, right) };
        if compute_uv {
            us.extend(u);
            vs.extend(v);
        }
    }
    let s = Value::from_vec(&dims(&[p]), ss)?.cast(x.dtype());
    let (u, v) = if compute_uv {
        (
            Value::from_vec(&dims(&[m, u_cols]), us)?.cast(x.dtype()),
            Value::from_vec(&dims(&[n, v_cols]), vs)?.cast(x.dtype()),
        )
    } else {
        (
            Value::from_vec(&[0], Vec::<f64>::new())?.cast(x.dtype()),
            Value::from_vec(&[0], Vec::<f64>::new())?.cast(x.dtype()),
        )
    };
    Ok((s, u, v))
}

/// The transpose of the r×c row-major `a`.
fn transposed_rect(a: &[f64], r: usize, c: usize) -> Vec<f64> {
    (0..c)
        .flat_map(|j| (0..r).map(move |i| a[i * c + j]))
        .collect()
}

fn add(g: &Graph, op: MatrixOp, inputs: &[Tensor], name: &str) -> Result<Tensor> {
    g.add1(OpKind::Matrix(op), inputs, Some(name))
}

fn add_consts(g: &Graph, op: MatrixOp, inputs: &[Input], name: &str) -> Result<Tensor> {
    Ok(g.add_with_consts(OpKind::Matrix(op), inputs, Some(name))?
        .output(0))
}

pub fn matrix_inverse(g: &Graph, x: Tensor, adjoint: bool) -> Result<Tensor> {
    add(
        g,
        MatrixOp::MatrixInverse { adjoint },
        &[x],
        "MatrixInverse",
    )
}

pub fn matrix_solve(g: &Graph, a: Tensor, b: Tensor, adjoint: bool) -> Result<Tensor> {
    add(g, MatrixOp::MatrixSolve { adjoint }, &[a, b], "MatrixSolve")
}

/// TF's `linalg.triangular_solve`: the op inside a `triangular_solve` name scope.
pub fn matrix_triangular_solve(
    g: &Graph,
    a: Tensor,
    b: Tensor,
    lower: bool,
    adjoint: bool,
) -> Result<Tensor> {
    let (_, previous) = g.enter_name_scope(Some("triangular_solve"));
    let r = add(
        g,
        MatrixOp::MatrixTriangularSolve { lower, adjoint },
        &[a, b],
        "MatrixTriangularSolve",
    );
    g.set_name_scope(&previous);
    r
}

/// `MatrixBandPart(x, num_lower, num_upper)`; the bounds are tensors or constants.
pub fn band_part(g: &Graph, x: Tensor, lower: Input, upper: Input) -> Result<Tensor> {
    add_consts(
        g,
        MatrixOp::MatrixBandPart,
        &[x.into(), lower, upper],
        "MatrixBandPart",
    )
}

fn int_const(name: &'static str, v: i64) -> Input {
    Input::constant(name, Value::scalar(v as i32))
}

fn zero_of(g: &Graph, x: Tensor) -> Result<Value> {
    Ok(Value::zeros(g.dtype(x)?, &[]))
}

/// `MatrixDiagPartV3(x, k, 0)` named `diag_part`, as `tf.linalg.diag_part`.
pub fn matrix_diag_part(g: &Graph, x: Tensor, k: Input, align: Align) -> Result<Tensor> {
    let pad = Input::constant("padding_value", zero_of(g, x)?);
    add_consts(
        g,
        MatrixOp::MatrixDiagPart { align },
        &[x.into(), k, pad],
        "diag_part",
    )
}

/// `MatrixSetDiagV3(x, diagonal, k)` named `set_diag`, as `tf.linalg.set_diag`.
pub fn matrix_set_diag(
    g: &Graph,
    x: Tensor,
    diagonal: Tensor,
    k: Input,
    align: Align,
) -> Result<Tensor> {
    add_consts(
        g,
        MatrixOp::MatrixSetDiag { align },
        &[x.into(), diagonal.into(), k],
        "set_diag",
    )
}

/// `MatrixDiagV3(diagonal, k, num_rows, num_cols, 0)` named `diag`, as `tf.linalg.diag`.
pub fn matrix_diag(
    g: &Graph,
    diagonal: Tensor,
    k: Input,
    num_rows: i64,
    num_cols: i64,
    align: Align,
) -> Result<Tensor> {
    let pad = Input::constant("padding_value", zero_of(g, diagonal)?);
    add_consts(
        g,
        MatrixOp::MatrixDiag { align },
        &[
            diagonal.into(),
            k,
            int_const("num_rows", num_rows),
            int_const("num_cols", num_cols),
            pad,
        ],
        "diag",
    )
}

pub fn diag(g: &Graph, x: Tensor) -> Result<Tensor> {
    add(g, MatrixOp::Diag, &[x], "Diag")
}

pub fn diag_part(g: &Graph, x: Tensor) -> Result<Tensor> {
    add(g, MatrixOp::DiagPart, &[x], "DiagPart")
}

/// TF's `math_ops.matmul` with adjoints: `MatMul` for two known rank-2 operands, else a
/// `BatchMatMulV2` named `MatMul`.
fn matmul(g: &Graph, a: Tensor, b: Tensor, adj_a: bool, adj_b: bool) -> Result<Tensor> {
    if g.shape(a)?.rank() == Some(2) && g.shape(b)?.rank() == Some(2) {
        return linalg::matmul(g, a, b, adj_a, adj_b);
    }
    g.add1(
        OpKind::BatchMatMulV2 {
            adj_x: adj_a,
            adj_y: adj_b,
        },
        &[a, b],
        Some("MatMul"),
    )
}

/// Swaps the last two axes (TF's `linalg.adjoint` of a real tensor).
fn matrix_transpose(g: &Graph, x: Tensor) -> Result<Tensor> {
    matrix_transpose_scoped(g, x, "adjoint")
}

/// The transpose of `x`'s matrices (the last two axes) in a name scope `scope`.
pub(super) fn matrix_transpose_scoped(g: &Graph, x: Tensor, scope: &str) -> Result<Tensor> {
    let (_, previous) = g.enter_name_scope(Some(scope));
    let r = (|| {
        let Some(rank) = g.shape(x)?.rank() else {
            // perm = concat([range(rank - 2), [rank - 1, rank - 2]]), built at run time.
            let rank = array::rank(g, x)?;
            let int = |v: i64| source::const_value(g, Value::scalar(v as i32), None);
            let zero = int(0)?;
            let two = int(2)?;
            let one_ = int(1)?;
            let lead_end = binary::sub(g, rank, two)?;
            let lead = array::range(g, zero, lead_end, one_)?;
            let last = binary::sub(g, rank, one_)?;
            let tail = array::stack(g, &[last, lead_end], 0)?;
            let perm = array::concat(g, &[lead, tail], 0)?;
            return array::transpose(g, x, perm);
        };
        let mut perm: Vec<i64> = (0..rank as i64).collect();
        perm.swap(rank - 2, rank - 1);
        array::transpose(g, x, source::const_ints(g, &perm)?)
    })();
    g.set_name_scope(&previous);
    r
}

/// `s * x` for a Python-number `s`, as TF's `s * x` builds it (`mul/x`).
fn scale(g: &Graph, s: f64, x: Tensor) -> Result<Tensor> {
    let c = Input::constant("x", Value::full(g.dtype(x)?, &[], s));
    Ok(
        g.add_with_consts(OpKind::Binary(BinaryOp::Mul), &[c, x.into()], Some("mul"))?
            .output(0),
    )
}

// ===== gradients =====

type GradOut = Result<Vec<Option<Grad>>>;

fn dense(t: Tensor) -> Option<Grad> {
    Some(Grad::Dense(t))
}

pub(super) fn op_of(ctx: &GradCtx<'_>) -> Result<MatrixOp> {
    match &ctx.kind {
        OpKind::Matrix(op) => Ok(op.clone()),
        other => Err(Error::internal(format!(
            "matrix gradient called for {}",
            other.type_name()
        ))),
    }
}

/// TF's `_MatrixInverseGrad`: `-A⁻ᴴ · grad · A⁻ᴴ` (adjoints placed by the `adjoint` attr).
fn inverse_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let adjoint = matches!(op_of(ctx)?, MatrixOp::MatrixInverse { adjoint: true });
    let grad = ctx.grad(grads, 0)?;
    let ainv = ctx.output(0);
    let inner = matmul(g, grad, ainv, adjoint, !adjoint)?;
    let outer = matmul(g, ainv, inner, !adjoint, false)?;
    Ok(vec![dense(unary::neg(g, outer)?)])
}

/// TF's `_MatrixDeterminantGrad` and `_LogMatrixDeterminantGrad`:
/// `reshape(grad [· det], batch + [1, 1]) · A⁻ᴴ`.
fn determinant_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let a = ctx.input(0)?;
    let log = matches!(op_of(ctx)?, MatrixOp::LogMatrixDeterminant);
    let (grad, c) = if log {
        (ctx.grad(grads, 1)?, ctx.output(1))
    } else {
        (ctx.grad(grads, 0)?, ctx.output(0))
    };
    let a_adj_inv = matrix_inverse(g, a, true)?;
    let weight = if log { grad } else { binary::mul(g, grad, c)? };
    let c_shape = array::shape_of(g, c, DType::I32, None)?;
    let ones = source::const_ints(g, &[1, 1])?;
    let shape = array::concat(g, &[c_shape, ones], 0)?;
    let multipliers = array::reshape_t(g, weight, shape)?;
    Ok(vec![dense(binary::mul(g, multipliers, a_adj_inv)?)])
}

/// TF's `_MatrixSolveGrad`.
fn solve_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let adjoint = matches!(op_of(ctx)?, MatrixOp::MatrixSolve { adjoint: true });
    let (a, c) = (ctx.input(0)?, ctx.output(0));
    let grad = ctx.grad(grads, 0)?;
    let grad_b = matrix_solve(g, a, grad, !adjoint)?;
    let product = if adjoint {
        matmul(g, c, grad_b, false, true)?
    } else {
        matmul(g, grad_b, c, false, true)?
    };
    Ok(vec![dense(unary::neg(g, product)?), dense(grad_b)])
}

/// TF's `_MatrixTriangularSolveGrad`: as for `MatrixSolve`, kept to the triangle that was
/// read, then summed over the batch axes each operand was broadcast along.
fn triangular_solve_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let MatrixOp::MatrixTriangularSolve { lower, adjoint } = op_of(ctx)? else {
        return Err(Error::internal("triangular_solve_grad on another op"));
    };
    let (a, b, c) = (ctx.input(0)?, ctx.input(1)?, ctx.output(0));
    let grad = ctx.grad(grads, 0)?;
    let grad_b = matrix_triangular_solve(g, a, grad, lower, !adjoint)?;
    let product = if adjoint {
        matmul(g, c, grad_b, false, true)?
    } else {
        matmul(g, grad_b, c, false, true)?
    };
    let grad_a = unary::neg(g, product)?;
    let (lo, hi) = if lower { (-1, 0) } else { (0, -1) };
    let grad_a = band_part(
        g,
        grad_a,
        int_const("num_lower", lo),
        int_const("num_upper", hi),
    )?;
    let (sa, sb) = (g.shape(a)?, g.shape(b)?);
    let batch = |s: &Shape| s.dims().map(|d| d[..d.len().saturating_sub(2)].to_vec());
    if sa.is_fully_defined() && sb.is_fully_defined() && batch(&sa) == batch(&sb) {
        return Ok(vec![dense(grad_a), dense(grad_b)]);
    }
    Ok(vec![
        dense(linalg::unbroadcast(g, grad_a, a)?),
        dense(linalg::unbroadcast(g, grad_b, b)?),
    ])
}

/// TF's `_CholeskyGrad` (Murray 2016, eq. 10): with L the factor,
/// `Φ(Lᴴ·grad)` projected and mapped back through L⁻¹, then symmetrised.
fn cholesky_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let l = ctx.output(0);
    let grad = ctx.grad(grads, 0)?;
    let align = Align::RightLeft;
    // The identity of L's batch shape, static or not: ones set on the diagonal of zeros.
    let eye = {
        let (_, previous) = g.enter_name_scope(Some("eye"));
        let r = (|| {
            let d = matrix_diag_part(g, l, int_const("k", 0), align)?;
            let ones = array::ones_like(g, d)?;
            let zeros = array::zeros_like(g, l)?;
            matrix_set_diag(g, zeros, ones, int_const("k", 0), align)
        })();
        g.set_name_scope(&previous);
        r?
    };
    let l_inverse = matrix_triangular_solve(g, l, eye, true, false)?;
    let middle = matmul(g, l, grad, true, false)?;
    let half_diag = scale(
        g,
        0.5,
        matrix_diag_part(g, middle, int_const("k", 0), align)?,
    )?;
    let middle = matrix_set_diag(g, middle, half_diag, int_const("k", 0), align)?;
    let middle = band_part(
        g,
        middle,
        int_const("num_lower", -1),
        int_const("num_upper", 0),
    )?;
    let left = matmul(g, l_inverse, middle, true, false)?;
    let grad_a = matmul(g, left, l_inverse, false, false)?;
    let sym = binary::add(g, grad_a, matrix_transpose(g, grad_a)?)?;
    let c = Input::constant("y", Value::full(g.dtype(sym)?, &[], 0.5));
    let out = g
        .add_with_consts(OpKind::Binary(BinaryOp::Mul), &[sym.into(), c], Some("mul"))?
        .output(0);
    Ok(vec![dense(out)])
}

fn band_part_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let out = band_part(
        g,
        grad,
        Input::Tensor(ctx.input(1)?),
        Input::Tensor(ctx.input(2)?),
    )?;
    Ok(vec![dense(out), None, None])
}

fn diag_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    Ok(vec![dense(diag_part(ctx.graph, ctx.grad(grads, 0)?)?)])
}

fn diag_part_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    Ok(vec![dense(diag(ctx.graph, ctx.grad(grads, 0)?)?)])
}

fn align_of(ctx: &GradCtx<'_>) -> Result<Align> {
    match op_of(ctx)? {
        MatrixOp::MatrixDiag { align }
        | MatrixOp::MatrixDiagPart { align }
        | MatrixOp::MatrixSetDiag { align } => Ok(align),
        _ => Err(Error::internal("align of a matrix op without one")),
    }
}

/// TF's `_MatrixDiagV3Grad`: the same band of the incoming gradient.
fn matrix_diag_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let k = Input::Tensor(ctx.input(1)?);
    let out = matrix_diag_part(g, ctx.grad(grads, 0)?, k, align_of(ctx)?)?;
    Ok(vec![dense(out), None, None, None, None])
}

/// TF's `_MatrixDiagPartV3Grad`: the gradient placed back on its band, through
/// `MatrixDiagV3` when the matrix size is static, else onto zeros with `MatrixSetDiagV3`.
fn matrix_diag_part_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let (x, k) = (ctx.input(0)?, Input::Tensor(ctx.input(1)?));
    let grad = ctx.grad(grads, 0)?;
    let align = align_of(ctx)?;
    let shape = g.shape(x)?;
    let size = shape.dims().and_then(|d| match d {
        [.., Some(r), Some(c)] => Some((*r as i64, *c as i64)),
        _ => None,
    });
    let out = match size {
        Some((rows, cols)) => matrix_diag(g, grad, k, rows, cols, align)?,
        None => matrix_set_diag(g, array::zeros_like(g, x)?, grad, k, align)?,
    };
    Ok(vec![dense(out), None, None])
}

/// TF's `_MatrixSetDiagGradV3`: the input keeps the gradient off the band, the diagonal
/// takes the band.
fn set_diag_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let (diagonal, k) = (ctx.input(1)?, ctx.input(2)?);
    let grad = ctx.grad(grads, 0)?;
    let align = align_of(ctx)?;
    let zeros = array::zeros_like(g, diagonal)?;
    let grad_input = matrix_set_diag(g, grad, zeros, Input::Tensor(k), align)?;
    let grad_diag = matrix_diag_part(g, grad, Input::Tensor(k), align)?;
    Ok(vec![dense(grad_input), dense(grad_diag), None])
}

/// TF's `_SelfAdjointEigV2Grad`: with `F[i, j] = 1 / (e[j] - e[i])` off the diagonal (TF's
/// `_SafeReciprocal`) and `V` the vectors, `grad_a = V (diag(grad_e) + F ∘ Vᵀ grad_v) Vᵀ`,
/// symmetrised onto the lower triangle with the diagonal halved. Without `compute_v` the
/// vectors come from a second `SelfAdjointEigV2`, as in TF.
fn self_adjoint_eig_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let MatrixOp::SelfAdjointEig { compute_v } = op_of(ctx)? else {
        return Err(Error::internal(
            "self_adjoint_eig_grad called for another op",
        ));
    };
    let align = Align::RightLeft;
    let e = ctx.output(0);
    let grad_e = ctx.grad(grads, 0)?;
    let diag_of = |d: Tensor| matrix_diag(g, d, int_const("k", 0), -1, -1, align);
    let grad_a = if compute_v {
        let v = ctx.output(1);
        let grad_v = ctx.grad(grads, 1)?;
        let gaps = binary::sub(
            g,
            array::expand_dims(g, e, -2)?,
            array::expand_dims(g, e, -1)?,
        )?;
        let f = matrix_set_diag(
            g,
            safe_reciprocal(g, gaps)?,
            array::zeros_like(g, e)?,
            int_const("k", 0),
            align,
        )?;
        let projected = matmul(g, v, grad_v, true, false)?;
        let weighted = binary::operator(g, BinaryOp::Mul, f, projected)?;
        let inner = binary::add(g, diag_of(grad_e)?, weighted)?;
        let right = matmul(g, inner, v, false, true)?;
        matmul(g, v, right, false, false)?
    } else {
        let op = MatrixOp::SelfAdjointEig { compute_v: true };
        let eig = g.add_op(crate::graph::OpSpec {
            op: OpKind::Matrix(op),
            inputs: &[ctx.input(0)?],
            name: Some("SelfAdjointEigV2"),
        })?;
        let v = eig.output(1);
        let right = matmul(g, diag_of(grad_e)?, v, false, true)?;
        matmul(g, v, right, false, false)?
    };
    let sym = binary::add(g, grad_a, matrix_transpose(g, grad_a)?)?;
    let lower = band_part(
        g,
        sym,
        int_const("num_lower", -1),
        int_const("num_upper", 0),
    )?;
    let half = scale(
        g,
        0.5,
        matrix_diag_part(g, lower, int_const("k", 0), align)?,
    )?;
    let out = matrix_set_diag(g, lower, half, int_const("k", 0), align)?;
    Ok(vec![dense(out)])
}

/// TF's `_QrGrad` (arXiv 2009.10071): for a square or deep matrix,
/// `dA = Q (dR + tril(QᵀdQ - dQᵀQ + R dRᵀ - dR Rᵀ) R⁻ᵀ) + (dQ - Q QᵀdQ) R⁻ᵀ`; a wide matrix
/// `[X, Y]` (R = `[U, V]`) reduces to the square case for X, and `dY = Q dV`. Like TF, it
/// needs static matrix dims and has no rule for a deep matrix with `full_matrices`.
fn qr_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let (q, r) = (ctx.output(0), ctx.output(1));
    let (dq, dr) = (ctx.grad(grads, 0)?, ctx.grad(grads, 1)?);
    let (q_shape, r_shape) = (g.shape(q)?, g.shape(r)?);
    let last_two = |s: &Shape| {
        s.dims()
            .filter(|d| d.len() >= 2)
            .and_then(|d| d[d.len() - 2].zip(d[d.len() - 1]))
    };
    let (Some((q_rows, q_cols)), Some((r_rows, r_cols))) = (last_two(&q_shape), last_two(&r_shape))
    else {
        return Err(Error::invalid(format!(
            "QrGrad not implemented with dynamic shapes. Received r.shape: {}",
            r_shape.bracketed()
        )));
    };
    if r_rows > r_cols && q_rows == q_cols {
        return Err(Error::invalid(format!(
            "QrGrad not implemented when nrows > ncols and full_matrices is true. Received \
             r.shape={} with nrows={r_rows}and ncols={r_cols}.",
            r_shape.bracketed()
        )));
    }
    if q_rows >= r_cols {
        let out = qr_grad_square_or_deep(g, q, r, dq, dr)?;
        return Ok(vec![dense(out)]);
    }
    let _ = q_cols;
    let split = |t: Tensor, cols: usize| -> Result<(Tensor, Tensor)> {
        let sizes = [q_rows as i64, cols as i64 - q_rows as i64];
        let parts = array::split_sizes(g, t, &sizes, -1)?;
        match parts.as_slice() {
            [left, right] => Ok((*left, *right)),
            _ => Err(Error::internal(
                "QrGrad: split gave the wrong number of parts",
            )),
        }
    };
    let (_, y) = split(ctx.input(0)?, r_cols)?;
    let (u, _) = split(r, r_cols)?;
    let (du, dv) = split(dr, r_cols)?;
    let dy = matmul(g, q, dv, false, false)?;
    let dq_x = binary::add(g, dq, matmul(g, y, dv, false, true)?)?;
    let dx = qr_grad_square_or_deep(g, q, u, dq_x, du)?;
    let out = array::concat(g, &[dx, dy], -1)?;
    Ok(vec![dense(out)])
}

/// `x R⁻ᵀ` for upper-triangular R (TF's `_TriangularSolve` in `_QrGrad`).
fn solve_upper_right(g: &Graph, x: Tensor, r: Tensor) -> Result<Tensor> {
    let xt = matrix_transpose(g, x)?;
    let solved = matrix_triangular_solve(g, r, xt, false, false)?;
    matrix_transpose(g, solved)
}

fn qr_grad_square_or_deep(
    g: &Graph,
    q: Tensor,
    r: Tensor,
    dq: Tensor,
    dr: Tensor,
) -> Result<Tensor> {
    let qdq = matmul(g, q, dq, true, false)?;
    let qdq_skew = binary::sub(g, qdq, matrix_transpose(g, qdq)?)?;
    let rdr = matmul(g, r, dr, false, true)?;
    let rdr_skew = binary::sub(g, rdr, matrix_transpose(g, rdr)?)?;
    let tril = band_part(
        g,
        binary::add(g, qdq_skew, rdr_skew)?,
        int_const("num_lower", -1),
        int_const("num_upper", 0),
    )?;
    let inner = binary::add(g, dr, solve_upper_right(g, tril, r)?)?;
    let grad_a = matmul(g, q, inner, false, false)?;
    let residual = binary::sub(g, dq, matmul(g, q, qdq, false, false)?)?;
    let grad_b = solve_upper_right(g, residual, r)?;
    binary::add(g, grad_a, grad_b)
}

/// TF's `_SafeReciprocal`: `x / (x² + 1e-20)`, finite where x is 0.
fn safe_reciprocal(g: &Graph, x: Tensor) -> Result<Tensor> {
    let squared = binary::operator(g, BinaryOp::Mul, x, x)?;
    let guarded = binary::operator(g, BinaryOp::AddV2, squared, binary::Operand::S(1e-20))?;
    let inverse = unary::unary(g, super::UnaryOp::Reciprocal, guarded, None)?;
    binary::operator(g, BinaryOp::Mul, x, inverse)
}

/// The first `keep` columns of `t` (its last axis statically `cols` long).
fn leading_columns(g: &Graph, t: Tensor, keep: usize, cols: usize) -> Result<Tensor> {
    if keep >= cols {
        return Ok(t);
    }
    let parts = array::split_sizes(g, t, &[keep as i64, (cols - keep) as i64], -1)?;
    parts
        .first()
        .copied()
        .ok_or_else(|| Error::internal("Svd gradient: empty split"))
}

/// TF's `_SvdGrad` (real matrices): with m ≤ n (else everything transposed), `F[i, j] =
/// 1 / (s[j]² - s[i]²)`, `V1` the first m columns of V,
/// `dA = U (diag(ds) + (F∘UᵀdU + (F∘UᵀdU)ᵀ) S + S (F∘V1ᵀdV1 + (F∘V1ᵀdV1)ᵀ)) V1ᵀ`, plus for
/// m < n the term `U S⁻¹ (dV1ᵀ - dV1ᵀ V1 V1ᵀ [- V1ᵀdV2 V2ᵀ])`. Without `compute_uv` the
/// vectors come from a second `Svd`. Like TF it needs static matrix dims, and with
/// `full_matrices` |m - n| ≤ 1.
fn svd_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let MatrixOp::Svd {
        compute_uv,
        full_matrices,
    } = op_of(ctx)?
    else {
        return Err(Error::internal("svd_grad called for another op"));
    };
    let a = ctx.input(0)?;
    let align = Align::RightLeft;
    let diag_of = |d: Tensor| matrix_diag(g, d, int_const("k", 0), -1, -1, align);
    let grad_s = ctx.grad(grads, 0)?;
    let grad_s_mat = diag_of(grad_s)?;
    if !compute_uv {
        let op = MatrixOp::Svd {
            compute_uv: true,
            full_matrices: false,
        };
        let svd = g.add_op(crate::graph::OpSpec {
            op: OpKind::Matrix(op),
            inputs: &[a],
            name: Some("Svd"),
        })?;
        let (u, v) = (svd.output(1), svd.output(2));
        let right = matmul(g, grad_s_mat, v, false, true)?;
        return Ok(vec![dense(matmul(g, u, right, false, false)?)]);
    }
    let dims = g.shape(a)?;
    let Some((m, n)) = dims
        .dims()
        .filter(|d| d.len() >= 2)
        .and_then(|d| d[d.len() - 2].zip(d[d.len() - 1]))
    else {
        return Err(Error::invalid(
            "SVD gradient has not been implemented for input with unknown inner matrix shape.",
        ));
    };
    let (mut u, mut v) = (ctx.output(1), ctx.output(2));
    let (mut grad_u, mut grad_v) = (ctx.grad(grads, 1)?, ctx.grad(grads, 2)?);
    let (mut m, mut n) = (m, n);
    let use_adjoint = m > n;
    if use_adjoint {
        std::mem::swap(&mut m, &mut n);
        std::mem::swap(&mut u, &mut v);
        std::mem::swap(&mut grad_u, &mut grad_v);
    }
    if full_matrices && n - m > 1 {
        return Err(Error::invalid(format!(
            "svd gradient is not implemented for abs(m - n) > 1 when full_matrices is True. \
             Received: m={m} and n={n} from op input with shape={}.",
            dims.bracketed()
        )));
    }
    let s = ctx.output(0);
    let s_mat = diag_of(s)?;
    let s2 = binary::operator(g, BinaryOp::Mul, s, s)?;
    let gaps = binary::sub(
        g,
        array::expand_dims(g, s2, -2)?,
        array::expand_dims(g, s2, -1)?,
    )?;
    let f = matrix_set_diag(
        g,
        safe_reciprocal(g, gaps)?,
        array::zeros_like(g, s)?,
        int_const("k", 0),
        align,
    )?;
    let s_inv_mat = diag_of(safe_reciprocal(g, s)?)?;
    let v_cols = if full_matrices { n } else { m };
    let v1 = leading_columns(g, v, m, v_cols)?;
    let grad_v1 = leading_columns(g, grad_v, m, v_cols)?;
    let f_u = binary::operator(g, BinaryOp::Mul, f, matmul(g, u, grad_u, true, false)?)?;
    let f_v = binary::operator(g, BinaryOp::Mul, f, matmul(g, v1, grad_v1, true, false)?)?;
    let sym_u = binary::add(g, f_u, matrix_transpose(g, f_u)?)?;
    let sym_v = binary::add(g, f_v, matrix_transpose(g, f_v)?)?;
    let term1_nouv = binary::add(
        g,
        binary::add(g, grad_s_mat, matmul(g, sym_u, s_mat, false, false)?)?,
        matmul(g, s_mat, sym_v, false, false)?,
    )?;
    let term1 = matmul(g, u, matmul(g, term1_nouv, v1, false, true)?, false, false)?;
    let before_transpose = if m == n {
        term1
    } else {
        let gv1t = matrix_transpose(g, grad_v1)?;
        let gv1t_v1 = matmul(g, gv1t, v1, false, false)?;
        let mut term2_nous = binary::sub(g, gv1t, matmul(g, gv1t_v1, v1, false, true)?)?;
        if full_matrices {
            let parts = array::split_sizes(g, v, &[m as i64, (n - m) as i64], -1)?;
            let grad_parts = array::split_sizes(g, grad_v, &[m as i64, (n - m) as i64], -1)?;
            let (Some(&v2), Some(&grad_v2)) = (parts.get(1), grad_parts.get(1)) else {
                return Err(Error::internal("Svd gradient: split gave too few parts"));
            };
            let v1t_gv2 = matmul(g, v1, grad_v2, true, false)?;
            term2_nous = binary::sub(g, term2_nous, matmul(g, v1t_gv2, v2, false, true)?)?;
        }
        let u_s_inv = matmul(g, u, s_inv_mat, false, false)?;
        let term2 = matmul(g, u_s_inv, term2_nous, false, false)?;
        binary::add(g, term1, term2)?
    };
    let grad_a = if use_adjoint {
        matrix_transpose(g, before_transpose)?
    } else {
        before_transpose
    };
    Ok(vec![dense(grad_a)])
}
