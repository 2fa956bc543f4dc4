//! Elementwise math beyond the basic unary and binary sets: hyperbolic and inverse
//! trigonometric functions, gamma-family and error-family special functions, Bessel
//! functions, Dawson's, the exponential, Fresnel and Spence integrals, softsign, the NaN/inf
//! tests, `x log y`-style ops, truncating division, and the incomplete gamma and beta
//! functions.
//!
//! Per op, side by side: the shape rule (elementwise; binary ops broadcast, `Betainc` and
//! `SoftsignGrad` need equal shapes as in TF), the kernel (computed in f64 and rounded once
//! for float32; the scalar functions are in `special_fns`, `bessel_fns` and
//! `integral_fns`), and the gradient, built as TF's math_grad.py builds it from
//! differentiable ops so that second derivatives work.

use super::bessel_fns as bf;
use super::integral_fns as integral;
use super::special_fns as sf;
use super::{
    array, binary, one, reduce, source, unary, Family, InferCtx, KernelCtx, OpKind, Outputs,
};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx};
use crate::graph::{Graph, Metas, Node, Tensor};
use crate::shape::{broadcast_static, Shape};
use crate::value::{Arr, Value};
use binary::{BinaryOp, Operand};
use ndarray::{ArrayView, IxDyn, Zip};
use num_traits::{CheckedRem, PrimInt, WrappingNeg};
use smallvec::smallvec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpecialOp {
    Sinh,
    Cosh,
    Asin,
    Acos,
    Atan,
    Asinh,
    Acosh,
    Atanh,
    Lgamma,
    Digamma,
    Erfc,
    Erfinv,
    Ndtri,
    Rint,
    Softsign,
    SoftsignGrad,
    IsNan,
    IsInf,
    IsFinite,
    BesselI0e,
    BesselI1e,
    BesselI0,
    BesselI1,
    BesselK0,
    BesselK0e,
    BesselK1,
    BesselK1e,
    BesselJ0,
    BesselJ1,
    BesselY0,
    BesselY1,
    Dawsn,
    Expint,
    FresnelCos,
    FresnelSin,
    Spence,
    Xlogy,
    Xdivy,
    Xlog1py,
    TruncateDiv,
    TruncateMod,
    Igamma,
    Igammac,
    IgammaGradA,
    Polygamma,
    Zeta,
    Betainc,
    MulNoNan,
}

/// TF's allowed-type lists, as its `TypeError` prints them (in op-definition order).
const FLOATS_COMPLEX: &str = "bfloat16, float16, float32, float64, complex64, complex128";
const FLOATS_COMPLEX_HALF_FIRST: &str =
    "float16, bfloat16, float32, float64, complex64, complex128";
const FLOATS: &str = "bfloat16, float16, float32, float64";
const FLOATS_HALF_FIRST: &str = "float16, bfloat16, float32, float64";
const F32_F64: &str = "float32, float64";
const TRUNCATE_DIV_TYPES: &str = "bfloat16, float16, float32, float64, uint8, int8, uint16, int16, int32, uint32, uint64, int64, complex64, complex128";
const TRUNCATE_MOD_TYPES: &str = "int32, int64, bfloat16, float16, float32, float64";

impl SpecialOp {
    const ALL: [SpecialOp; 48] = [
        SpecialOp::Sinh,
        SpecialOp::Cosh,
        SpecialOp::Asin,
        SpecialOp::Acos,
        SpecialOp::Atan,
        SpecialOp::Asinh,
        SpecialOp::Acosh,
        SpecialOp::Atanh,
        SpecialOp::Lgamma,
        SpecialOp::Digamma,
        SpecialOp::Erfc,
        SpecialOp::Erfinv,
        SpecialOp::Ndtri,
        SpecialOp::Rint,
        SpecialOp::Softsign,
        SpecialOp::SoftsignGrad,
        SpecialOp::IsNan,
        SpecialOp::IsInf,
        SpecialOp::IsFinite,
        SpecialOp::BesselI0e,
        SpecialOp::BesselI1e,
        SpecialOp::BesselI0,
        SpecialOp::BesselI1,
        SpecialOp::BesselK0,
        SpecialOp::BesselK0e,
        SpecialOp::BesselK1,
        SpecialOp::BesselK1e,
        SpecialOp::BesselJ0,
        SpecialOp::BesselJ1,
        SpecialOp::BesselY0,
        SpecialOp::BesselY1,
        SpecialOp::Dawsn,
        SpecialOp::Expint,
        SpecialOp::FresnelCos,
        SpecialOp::FresnelSin,
        SpecialOp::Spence,
        SpecialOp::Xlogy,
        SpecialOp::Xdivy,
        SpecialOp::Xlog1py,
        SpecialOp::TruncateDiv,
        SpecialOp::TruncateMod,
        SpecialOp::Igamma,
        SpecialOp::Igammac,
        SpecialOp::IgammaGradA,
        SpecialOp::Polygamma,
        SpecialOp::Zeta,
        SpecialOp::Betainc,
        SpecialOp::MulNoNan,
    ];

    /// TF's input names (their count is the op's arity).
    fn input_names(self) -> &'static [&'static str] {
        use SpecialOp::*;
        match self {
            Softsign => &["features"],
            SoftsignGrad => &["gradients", "features"],
            Xlogy | Xdivy | Xlog1py | TruncateDiv | TruncateMod | MulNoNan => &["x", "y"],
            Igamma | Igammac | IgammaGradA | Polygamma => &["a", "x"],
            Zeta => &["x", "q"],
            Betainc => &["a", "b", "x"],
            _ => &["x"],
        }
    }

    /// The dtypes the op takes, and TF's list of them for the `TypeError`.
    fn accepts(self, dtype: DType) -> (bool, &'static str) {
        use SpecialOp::*;
        let float = dtype.is_floating();
        let inexact = dtype.is_inexact();
        match self {
            Sinh | Cosh | Asin | Acos | Atan | Asinh | Acosh | Atanh => (inexact, FLOATS_COMPLEX),
            Softsign | SoftsignGrad => (float, FLOATS_HALF_FIRST),
            Xlogy | Xdivy | Xlog1py | MulNoNan => (inexact, FLOATS_COMPLEX_HALF_FIRST),
            TruncateDiv => (dtype != DType::Bool, TRUNCATE_DIV_TYPES),
            TruncateMod => (
                float || matches!(dtype, DType::I32 | DType::I64),
                TRUNCATE_MOD_TYPES,
            ),
            IgammaGradA | Polygamma | Zeta | Betainc => (float, F32_F64),
            _ => (float, FLOATS),
        }
    }

    fn is_bool_valued(self) -> bool {
        matches!(
            self,
            SpecialOp::IsNan | SpecialOp::IsInf | SpecialOp::IsFinite
        )
    }
}

impl Family for SpecialOp {
    fn type_name(&self) -> &'static str {
        use SpecialOp::*;
        match self {
            Sinh => "Sinh",
            Cosh => "Cosh",
            Asin => "Asin",
            Acos => "Acos",
            Atan => "Atan",
            Asinh => "Asinh",
            Acosh => "Acosh",
            Atanh => "Atanh",
            Lgamma => "Lgamma",
            Digamma => "Digamma",
            Erfc => "Erfc",
            Erfinv => "Erfinv",
            Ndtri => "Ndtri",
            Rint => "Rint",
            Softsign => "Softsign",
            SoftsignGrad => "SoftsignGrad",
            IsNan => "IsNan",
            IsInf => "IsInf",
            IsFinite => "IsFinite",
            BesselI0e => "BesselI0e",
            BesselI1e => "BesselI1e",
            BesselI0 => "BesselI0",
            BesselI1 => "BesselI1",
            BesselK0 => "BesselK0",
            BesselK0e => "BesselK0e",
            BesselK1 => "BesselK1",
            BesselK1e => "BesselK1e",
            BesselJ0 => "BesselJ0",
            BesselJ1 => "BesselJ1",
            BesselY0 => "BesselY0",
            BesselY1 => "BesselY1",
            Dawsn => "Dawsn",
            Expint => "Expint",
            FresnelCos => "FresnelCos",
            FresnelSin => "FresnelSin",
            Spence => "Spence",
            Xlogy => "Xlogy",
            Xdivy => "Xdivy",
            Xlog1py => "Xlog1py",
            TruncateDiv => "TruncateDiv",
            TruncateMod => "TruncateMod",
            Igamma => "Igamma",
            Igammac => "Igammac",
            IgammaGradA => "IgammaGradA",
            Polygamma => "Polygamma",
            Zeta => "Zeta",
            Betainc => "Betainc",
            MulNoNan => "MulNoNan",
        }
    }

    fn from_def(op_type: &str, _attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        SpecialOp::ALL
            .iter()
            .copied()
            .find(|op| op.type_name() == op_type)
            .map(Ok)
    }

    fn attrs(&self, _node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        input_types
            .first()
            .map(|t| vec![("T", AttrValue::Type(*t))])
            .unwrap_or_default()
    }

    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        let names = self.input_names();
        ctx.expect_inputs(names.len())?;
        let first = names.first().copied().unwrap_or("x");
        let mut dtype = ctx.dtype(0)?;
        for (i, name) in names.iter().enumerate().skip(1) {
            dtype = ctx.same_dtype(self.type_name(), 0, i, (first, name))?;
        }
        let (ok, allowed) = self.accepts(dtype);
        if !ok {
            return Err(Error::type_error(format!(
                "Value passed to parameter '{first}' has DataType {dtype} not in list of allowed values: {allowed}"
            )));
        }
        let out_dtype = if self.is_bool_valued() {
            DType::Bool
        } else {
            dtype
        };
        let shape = match self {
            SpecialOp::SoftsignGrad => ctx.shape(0)?.merge(ctx.shape(1)?).map_err(|_| {
                ctx.err(format!(
                    "Incompatible shapes {} and {} of gradients and features",
                    ctx.shape(0).map(|s| s.bracketed()).unwrap_or_default(),
                    ctx.shape(1).map(|s| s.bracketed()).unwrap_or_default()
                ))
            })?,
            SpecialOp::Betainc => betainc_shape(ctx)?,
            _ if names.len() == 2 => {
                let (sa, sb) = (ctx.shape(0)?, ctx.shape(1)?);
                broadcast_static(sa, sb).map_err(|(a, b)| {
                    ctx.err(format!(
                        "Dimensions must be equal, but are {a} and {b}; input shapes: {}, {}",
                        sa.bracketed(),
                        sb.bracketed()
                    ))
                })?
            }
            _ => ctx.shape(0)?.clone(),
        };
        one(out_dtype, shape)
    }

    fn compute(&self, _ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let name = self.type_name();
        let input = |i: usize| {
            inputs
                .get(i)
                .ok_or_else(|| Error::internal(format!("{name} is missing input {i}")))
        };
        use SpecialOp::*;
        if input(0)?.dtype().is_complex() {
            let out = match inputs {
                [z] => super::complex::special_unary(*self, z)?,
                [x, y] => super::complex::special_binary(*self, x, y)?,
                _ => return Err(super::not_for_complex(name, input(0)?.dtype())),
            };
            return Ok(smallvec![out]);
        }
        let unary_fn: Option<fn(f64) -> f64> = match self {
            Sinh => Some(f64::sinh),
            Cosh => Some(f64::cosh),
            Asin => Some(f64::asin),
            Acos => Some(f64::acos),
            Atan => Some(f64::atan),
            Asinh => Some(asinh),
            Acosh => Some(f64::acosh),
            Atanh => Some(f64::atanh),
            Lgamma => Some(sf::lgamma),
            Digamma => Some(sf::digamma),
            Erfc => Some(sf::erfc),
            Erfinv => Some(sf::erfinv),
            Ndtri => Some(sf::ndtri),
            Rint => Some(sf::rint),
            Softsign => Some(|x| x / (1.0 + x.abs())),
            BesselI0e => Some(bf::i0e),
            BesselI1e => Some(bf::i1e),
            BesselI0 => Some(bf::i0),
            BesselI1 => Some(bf::i1),
            BesselK0 => Some(bf::k0),
            BesselK0e => Some(bf::k0e),
            BesselK1 => Some(bf::k1),
            BesselK1e => Some(bf::k1e),
            BesselJ0 => Some(bf::j0),
            BesselJ1 => Some(bf::j1),
            BesselY0 => Some(bf::y0),
            BesselY1 => Some(bf::y1),
            Dawsn => Some(integral::dawsn),
            Expint => Some(integral::expint),
            FresnelCos => Some(integral::fresnel_cos),
            FresnelSin => Some(integral::fresnel_sin),
            Spence => Some(integral::spence),
            _ => None,
        };
        if let Some(f) = unary_fn {
            return Ok(smallvec![map_float(name, input(0)?, f)?]);
        }
        let binary_fn: Option<fn(f64, f64) -> f64> = match self {
            SoftsignGrad => Some(|g, x| g / ((1.0 + x.abs()) * (1.0 + x.abs()))),
            Xlogy => Some(sf::xlogy),
            Xdivy => Some(sf::xdivy),
            Xlog1py => Some(sf::xlog1py),
            Igamma => Some(sf::igamma),
            Igammac => Some(sf::igammac),
            IgammaGradA => Some(sf::igamma_grad_a),
            Polygamma => Some(sf::polygamma),
            Zeta => Some(sf::zeta),
            // 0 wherever y is 0, even for an infinite or NaN x.
            MulNoNan => Some(|x, y| if y == 0.0 { 0.0 } else { x * y }),
            _ => None,
        };
        if let Some(f) = binary_fn {
            return Ok(smallvec![zip_float(name, input(0)?, input(1)?, f)?]);
        }
        Ok(smallvec![match self {
            IsNan => test_float(name, input(0)?, f64::is_nan)?,
            IsInf => test_float(name, input(0)?, f64::is_infinite)?,
            IsFinite => test_float(name, input(0)?, f64::is_finite)?,
            TruncateDiv => truncate_div(input(0)?, input(1)?)?,
            TruncateMod => truncate_mod(input(0)?, input(1)?)?,
            Betainc => betainc(input(0)?, input(1)?, input(2)?)?,
            _ => return Err(Error::internal(format!("{name} has no kernel"))),
        }])
    }

    fn register_gradients(r: &mut GradRegistry) {
        r.builtin("Sinh", sinh_grad);
        r.builtin("Cosh", cosh_grad);
        r.builtin("Asin", asin_grad);
        r.builtin("Acos", acos_grad);
        r.builtin("Atan", atan_grad);
        r.builtin("Asinh", asinh_grad);
        r.builtin("Acosh", acosh_grad);
        r.builtin("Atanh", atanh_grad);
        r.builtin("Lgamma", lgamma_grad);
        r.builtin("Digamma", digamma_grad);
        r.builtin("Erfc", erfc_grad);
        r.builtin("Erfinv", erfinv_grad);
        r.builtin("Ndtri", ndtri_grad);
        r.builtin("Rint", rint_grad);
        r.builtin("Softsign", softsign_grad);
        r.builtin("SoftsignGrad", softsign_grad_grad);
        r.builtin("BesselI0e", bessel_i0e_grad);
        r.builtin("BesselI1e", bessel_i1e_grad);
        r.builtin("BesselI0", bessel_i0_grad);
        r.builtin("BesselI1", bessel_i1_grad);
        r.builtin("BesselK0", bessel_k0_grad);
        r.builtin("BesselK0e", bessel_k0e_grad);
        r.builtin("BesselK1", bessel_k1_grad);
        r.builtin("BesselK1e", bessel_k1e_grad);
        r.builtin("BesselJ0", bessel_j0_grad);
        r.builtin("BesselJ1", bessel_j1_grad);
        r.builtin("BesselY0", bessel_y0_grad);
        r.builtin("BesselY1", bessel_y1_grad);
        r.builtin("Dawsn", dawsn_grad);
        r.builtin("Expint", expint_grad);
        r.builtin("FresnelCos", fresnel_cos_grad);
        r.builtin("FresnelSin", fresnel_sin_grad);
        r.builtin("Spence", spence_grad);
        r.not_differentiable("IsNan");
        r.not_differentiable("IsInf");
        r.not_differentiable("IsFinite");
        r.builtin("Xlogy", xlogy_grad);
        r.builtin("Xdivy", xdivy_grad);
        r.builtin("Xlog1py", xlog1py_grad);
        r.builtin("TruncateDiv", truncate_div_grad);
        // TruncateMod and IgammaGradA have no gradient in TF either (a LookupError).
        r.builtin("Igamma", igamma_grad);
        r.builtin("Igammac", igammac_grad);
        r.builtin("Polygamma", polygamma_grad);
        r.builtin("Zeta", zeta_grad);
        r.builtin("Betainc", betainc_grad);
        r.builtin("MulNoNan", mul_no_nan_grad);
    }
}

/// asinh that stays finite and exact in the tails (f64::asinh computes x + sqrt(x^2 + 1),
/// which overflows for |x| > 1e154 and loses the sign of -0).
fn asinh(x: f64) -> f64 {
    let ax = x.abs();
    let magnitude = if ax > 1e8 {
        ax.ln() + std::f64::consts::LN_2
    } else {
        (ax + ax * ax / (1.0 + (ax * ax + 1.0).sqrt())).ln_1p()
    };
    magnitude.copysign(x)
}

/// Betainc's shape rule: a, b and x are scalars or of one shape (TF does not broadcast them).
fn betainc_shape(ctx: &InferCtx<'_>) -> Result<Shape> {
    let mut out = Shape::known(&[]);
    let mut seen: Option<Shape> = None;
    for i in 0..3 {
        let s = ctx.shape(i)?;
        if s.rank() == Some(0) {
            continue;
        }
        let Some(prev) = &seen else {
            seen = Some(s.clone());
            out = s.clone();
            continue;
        };
        if let (Some(ra), Some(rb)) = (prev.rank(), s.rank()) {
            if ra != rb {
                return Err(ctx.err(format!("Shapes must be equal rank, but are {ra} and {rb}")));
            }
        }
        if let (Some(da), Some(db)) = (prev.dims(), s.dims()) {
            for (k, (a, b)) in da.iter().zip(db.iter()).enumerate() {
                if let (Some(a), Some(b)) = (a, b) {
                    if a != b {
                        return Err(ctx.err(format!(
                            "Dimension {k} in both shapes must be equal, but are {a} and {b}. Shapes are {} and {}.",
                            prev.bracketed(),
                            s.bracketed()
                        )));
                    }
                }
            }
        }
        out = out.merge(s).unwrap_or_else(|_| s.clone());
        seen = Some(out.clone());
    }
    if seen.is_none() && (0..3).any(|i| ctx.shape(i).map(|s| s.rank().is_none()).unwrap_or(false)) {
        return Ok(Shape::unknown());
    }
    Ok(out)
}

// ----- kernels -----

fn dtype_err(op: &str, v: &Value) -> Error {
    Error::op_invalid(format!("{op} is not defined for dtype {}", v.dtype()))
}

fn map_float(op: &str, x: &Value, f: fn(f64) -> f64) -> Result<Value> {
    Ok(match x {
        Value::F32(a) => Value::F32(super::elementwise::map(a.clone(), |v| f(v as f64) as f32)),
        Value::F64(a) => Value::F64(super::elementwise::map(a.clone(), f)),
        other => return Err(dtype_err(op, other)),
    })
}

fn test_float(op: &str, x: &Value, f: fn(f64) -> bool) -> Result<Value> {
    Ok(Value::Bool(match x {
        Value::F32(a) => super::elementwise::map_new(a, |v| f(v as f64)),
        Value::F64(a) => super::elementwise::map_new(a, f),
        other => return Err(dtype_err(op, other)),
    }))
}

fn zip_float(op: &str, a: &Value, b: &Value, f: fn(f64, f64) -> f64) -> Result<Value> {
    if op == "SoftsignGrad" && a.shape() != b.shape() {
        return Err(Error::op_invalid(format!(
            "{op}: gradients and features must have the same shape, got {:?} and {:?}",
            a.shape(),
            b.shape()
        )));
    }
    Ok(match (a, b) {
        (Value::F32(x), Value::F32(y)) => Value::F32(binary::zip_broadcast(x, y, |p, q| {
            f(p as f64, q as f64) as f32
        })?),
        (Value::F64(x), Value::F64(y)) => Value::F64(binary::zip_broadcast(x, y, f)?),
        (x, _) => return Err(dtype_err(op, x)),
    })
}

/// TF's text for an integer TruncateDiv/TruncateMod by zero (an `InternalError` there).
const INT_DIV_BY_ZERO: &str =
    "Unexpected error in binary operator (only integer div and mod should have errors)";

fn int_zip<T: PrimInt + WrappingNeg + Send + Sync>(
    a: &Arr<T>,
    b: &Arr<T>,
    f: impl Fn(T, T) -> T,
) -> Result<Arr<T>> {
    if b.iter().any(|y| y.is_zero()) {
        return Err(Error::internal(INT_DIV_BY_ZERO));
    }
    binary::zip_broadcast(a, b, f)
}

/// Integer division rounding toward zero; `MIN / -1` wraps to MIN as TF's kernel does.
fn trunc_div_int<T: PrimInt + WrappingNeg>(x: T, y: T) -> T {
    x.checked_div(&y).unwrap_or_else(|| x.wrapping_neg())
}

/// The remainder of `trunc_div_int` (0 for `MIN % -1`).
fn trunc_rem_int<T: PrimInt + CheckedRem>(x: T, y: T) -> T {
    x.checked_rem(&y).unwrap_or_else(T::zero)
}

macro_rules! int_or_float {
    ($a:expr, $b:expr, $op:expr, float: |$x:ident, $y:ident| $f:expr, int: $i:expr) => {
        match ($a, $b) {
            (Value::F32(a), Value::F32(b)) => Value::F32(binary::zip_broadcast(a, b, |$x, $y| $f)?),
            (Value::F64(a), Value::F64(b)) => Value::F64(binary::zip_broadcast(a, b, |$x, $y| $f)?),
            (Value::I8(a), Value::I8(b)) => Value::I8(int_zip(a, b, $i)?),
            (Value::I16(a), Value::I16(b)) => Value::I16(int_zip(a, b, $i)?),
            (Value::I32(a), Value::I32(b)) => Value::I32(int_zip(a, b, $i)?),
            (Value::I64(a), Value::I64(b)) => Value::I64(int_zip(a, b, $i)?),
            (Value::U8(a), Value::U8(b)) => Value::U8(int_zip(a, b, $i)?),
            (x, _) => return Err(dtype_err($op, x)),
        }
    };
}

fn truncate_div(a: &Value, b: &Value) -> Result<Value> {
    Ok(int_or_float!(a, b, "TruncateDiv", float: |x, y| (x / y).trunc(), int: trunc_div_int))
}

fn truncate_mod(a: &Value, b: &Value) -> Result<Value> {
    if matches!(a, Value::I8(_) | Value::I16(_) | Value::U8(_)) {
        return Err(dtype_err("TruncateMod", a));
    }
    Ok(int_or_float!(a, b, "TruncateMod", float: |x, y| x % y, int: trunc_rem_int))
}

fn betainc(a: &Value, b: &Value, x: &Value) -> Result<Value> {
    fn run<T: Copy + Send + Sync>(
        a: &Arr<T>,
        b: &Arr<T>,
        x: &Arr<T>,
        to: impl Fn(T) -> f64,
        from: impl Fn(f64) -> T,
    ) -> Result<Arr<T>> {
        let shape: Vec<usize> = [a, b, x]
            .iter()
            .find(|v| v.ndim() > 0)
            .map(|v| v.shape().to_vec())
            .unwrap_or_default();
        let non_scalar_mismatch = [a, b, x]
            .iter()
            .any(|v| v.ndim() > 0 && v.shape() != shape.as_slice());
        if non_scalar_mismatch {
            return Err(Error::op_invalid(format!(
                "Shapes of a, b, and x are inconsistent: {:?} vs. {:?} vs. {:?}",
                a.shape(),
                b.shape(),
                x.shape()
            )));
        }
        let view = |v| broadcast_view(v, &shape);
        let (va, vb, vx) = (view(a)?, view(b)?, view(x)?);
        Ok(Zip::from(&va)
            .and(&vb)
            .and(&vx)
            .map_collect(|&p, &q, &r| from(sf::betainc(to(p), to(q), to(r))))
            .into_shared())
    }
    Ok(match (a, b, x) {
        (Value::F32(a), Value::F32(b), Value::F32(x)) => {
            Value::F32(run(a, b, x, |v| v as f64, |v| v as f32)?)
        }
        (Value::F64(a), Value::F64(b), Value::F64(x)) => Value::F64(run(a, b, x, |v| v, |v| v)?),
        (other, _, _) => return Err(dtype_err("Betainc", other)),
    })
}

fn broadcast_view<'a, T>(v: &'a Arr<T>, shape: &[usize]) -> Result<ArrayView<'a, T, IxDyn>> {
    v.broadcast(IxDyn(shape))
        .ok_or_else(|| Error::internal("Betainc operand does not broadcast"))
}

// ----- builders -----

/// The op named after its type (TF's generated wrappers).
pub fn special(g: &Graph, op: SpecialOp, inputs: &[Tensor]) -> Result<Tensor> {
    g.add1(OpKind::Special(op), inputs, Some(op.type_name()))
}

/// The op inside a name scope, as TF's Python wrappers that open one (`bessel_i1e/BesselI1e`).
fn special_in_scope(g: &Graph, scope: &str, op: SpecialOp, inputs: &[Tensor]) -> Result<Tensor> {
    let (_, previous) = g.enter_name_scope(Some(scope));
    let r = special(g, op, inputs);
    g.set_name_scope(&previous);
    r
}

// ----- gradients -----

type GradOut = Result<Vec<Option<Grad>>>;

fn dense(t: Tensor) -> GradOut {
    Ok(vec![Some(Grad::Dense(t))])
}
fn mul(g: &Graph, a: Tensor, b: impl Into<Operand>) -> Result<Tensor> {
    binary::operator(g, BinaryOp::Mul, a, b)
}
fn scalar(g: &Graph, like: Tensor, v: f64) -> Result<Tensor> {
    source::scalar_const(g, g.dtype(like)?, v, None, None)
}

/// `grad * f(x)` under `control_dependencies([grad])` (most of TF's unary rules).
fn grad_times(
    ctx: &GradCtx<'_>,
    grads: &[Option<Grad>],
    f: impl FnOnce(&Graph, Tensor) -> Result<Tensor>,
) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let x = ctx.input(0)?;
    dense(binary::with_control_dependency(g, grad, || {
        let d = f(g, super::complex::conj(g, x)?)?;
        mul(g, grad, d)
    })?)
}

fn sinh_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    grad_times(ctx, grads, |g, x| special(g, SpecialOp::Cosh, &[x]))
}
fn cosh_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    grad_times(ctx, grads, |g, x| special(g, SpecialOp::Sinh, &[x]))
}
/// `1 / sqrt(1 - x^2)`, TF's Asin/Acos factor.
fn inv_sqrt_one_minus_square(g: &Graph, x: Tensor) -> Result<Tensor> {
    let x2 = unary::square(g, x)?;
    let one = scalar(g, x, 1.0)?;
    let den = unary::sqrt(g, binary::binary(g, BinaryOp::Sub, one, x2, Some("Sub"))?)?;
    unary::reciprocal(g, den)
}
fn asin_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    grad_times(ctx, grads, inv_sqrt_one_minus_square)
}
fn acos_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let x = ctx.input(0)?;
    dense(binary::with_control_dependency(g, grad, || {
        let inv = inv_sqrt_one_minus_square(g, super::complex::conj(g, x)?)?;
        mul(g, unary::neg(g, grad)?, inv)
    })?)
}
fn atan_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    grad_times(ctx, grads, |g, x| {
        let x2 = unary::square(g, x)?;
        let one = scalar(g, x, 1.0)?;
        unary::reciprocal(g, binary::binary(g, BinaryOp::AddV2, one, x2, Some("Add"))?)
    })
}
fn atanh_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    grad_times(ctx, grads, |g, x| {
        let x2 = unary::square(g, x)?;
        let one = scalar(g, x, 1.0)?;
        unary::reciprocal(g, binary::binary(g, BinaryOp::Sub, one, x2, Some("Sub"))?)
    })
}
/// `grad / f(y)` on the op's output, under `control_dependencies([grad])` (Asinh, Acosh).
fn grad_over_output(ctx: &GradCtx<'_>, grads: &[Option<Grad>], f: SpecialOp) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let y = ctx.output(0);
    dense(binary::with_control_dependency(g, grad, || {
        let d = special(g, f, &[super::complex::conj(g, y)?])?;
        binary::operator(g, BinaryOp::RealDiv, grad, d)
    })?)
}
fn asinh_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    grad_over_output(ctx, grads, SpecialOp::Cosh)
}
fn acosh_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    grad_over_output(ctx, grads, SpecialOp::Sinh)
}
fn lgamma_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    grad_times(ctx, grads, |g, x| special(g, SpecialOp::Digamma, &[x]))
}
fn digamma_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    grad_times(ctx, grads, |g, x| {
        let one = scalar(g, x, 1.0)?;
        special(g, SpecialOp::Polygamma, &[one, x])
    })
}
/// `grad * c * exp(e)`, c a constant made before `control_dependencies([grad])`, e built
/// inside it (TF's Erfc, Erfinv and Ndtri rules).
fn grad_const_exp(
    ctx: &GradCtx<'_>,
    grads: &[Option<Grad>],
    c: f64,
    exponent: impl FnOnce(&Graph) -> Result<Tensor>,
) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let c = scalar(g, grad, c)?;
    dense(binary::with_control_dependency(g, grad, || {
        let t = mul(g, grad, c)?;
        let e = unary::exp(g, exponent(g)?)?;
        mul(g, t, e)
    })?)
}
fn erfc_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let x = ctx.input(0)?;
    let c = -2.0 / std::f64::consts::PI.sqrt();
    grad_const_exp(ctx, grads, c, |g| unary::neg(g, unary::square(g, x)?))
}
fn erfinv_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let y = ctx.output(0);
    let c = std::f64::consts::PI.sqrt() / 2.0;
    grad_const_exp(ctx, grads, c, |g| unary::square(g, y))
}
fn ndtri_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let y = ctx.output(0);
    let c = (2.0 * std::f64::consts::PI).sqrt();
    grad_const_exp(ctx, grads, c, |g| {
        binary::operator(g, BinaryOp::RealDiv, unary::square(g, y)?, Operand::S(2.0))
    })
}
fn rint_grad(_ctx: &GradCtx<'_>, _grads: &[Option<Grad>]) -> GradOut {
    Ok(vec![None])
}
fn softsign_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    dense(special(
        g,
        SpecialOp::SoftsignGrad,
        &[ctx.grad(grads, 0)?, ctx.input(0)?],
    )?)
}
/// TF registers none (second derivatives of softsign are a LookupError there). With
/// `SoftsignGrad(dy, x) = dy / (1 + |x|)^2`: d/d(dy) is `SoftsignGrad(grad, x)`, and d/dx is
/// `-2 sign(x) SoftsignGrad(grad * dy, x) / (1 + |x|)`.
fn softsign_grad_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let (dy, x) = (ctx.input(0)?, ctx.input(1)?);
    binary::with_control_dependency(g, grad, || {
        let d_dy = special(g, SpecialOp::SoftsignGrad, &[grad, x])?;
        let both = special(g, SpecialOp::SoftsignGrad, &[mul(g, grad, dy)?, x])?;
        let one_plus_abs =
            binary::operator(g, BinaryOp::AddV2, Operand::S(1.0), unary::abs(g, x)?)?;
        let scaled = mul(g, both, Operand::S(-2.0))?;
        let signed = mul(g, scaled, unary::sign(g, x)?)?;
        let d_x = binary::operator(g, BinaryOp::RealDiv, signed, one_plus_abs)?;
        Ok(vec![Some(Grad::Dense(d_dy)), Some(Grad::Dense(d_x))])
    })
}
fn bessel_i0e_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let y = ctx.output(0);
    grad_times(ctx, grads, |g, x| {
        // bessel_i1e(x) - sign(x) * y
        let i1e = special_in_scope(g, "bessel_i1e", SpecialOp::BesselI1e, &[x])?;
        let sy = mul(g, unary::sign(g, x)?, y)?;
        binary::operator(g, BinaryOp::Sub, i1e, sy)
    })
}
fn bessel_i1e_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let y = ctx.output(0);
    grad_times(ctx, grads, |g, x| {
        // At x = 0 the formula divides by zero; the limit there is 0.5.
        let at_zero = binary::gen_binary(g, BinaryOp::Equal, x, Operand::S(0.0))?;
        let half = cast_scalar(g, 0.5, g.dtype(x)?)?;
        let i0e = special_in_scope(g, "bessel_i0e", SpecialOp::BesselI0e, &[x])?;
        let s = binary::operator(
            g,
            BinaryOp::AddV2,
            unary::sign(g, x)?,
            unary::reciprocal(g, x)?,
        )?;
        let general = binary::operator(g, BinaryOp::Sub, i0e, mul(g, y, s)?)?;
        array::select_v2(g, at_zero, half, general)
    })
}

/// `special_math_ops.<scope>(x)`: the op inside its wrapper's name scope.
fn scoped(g: &Graph, op: SpecialOp, x: Tensor) -> Result<Tensor> {
    special_in_scope(g, &scope_of(op), op, &[x])
}

/// The name scope TF's Python wrapper opens: the op type in snake case (`BesselK0e` ->
/// `bessel_k0e`, `FresnelCos` -> `fresnel_cos`).
fn scope_of(op: SpecialOp) -> String {
    let mut out = String::new();
    for (i, c) in op.type_name().chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// `math_ops.div(y, x)` on floats: a `RealDiv` named `div`.
fn div(g: &Graph, y: Tensor, x: Tensor) -> Result<Tensor> {
    binary::binary(g, BinaryOp::RealDiv, y, x, Some("div"))
}

/// `a - y / x`, the order-1 Bessel rules' common term (`div` named as TF's `math_ops.div`).
fn minus_y_over_x(g: &Graph, a: Tensor, y: Tensor, x: Tensor) -> Result<Tensor> {
    binary::operator(g, BinaryOp::Sub, a, div(g, y, x)?)
}

/// `grad * -f(x)` (the K0, J0 and Y0 rules).
fn grad_times_negated(ctx: &GradCtx<'_>, grads: &[Option<Grad>], f: SpecialOp) -> GradOut {
    grad_times(ctx, grads, |g, x| unary::neg(g, scoped(g, f, x)?))
}

/// `grad * where_v2(x == 0, at_zero, f(x) - y / x)` (the I1, J1 rules; `f(x) - y / x` is
/// also Y1's, without the guard).
fn grad_times_guarded(
    ctx: &GradCtx<'_>,
    grads: &[Option<Grad>],
    f: SpecialOp,
    at_zero: f32,
) -> GradOut {
    let y = ctx.output(0);
    grad_times(ctx, grads, |g, x| {
        let is_zero = binary::gen_binary(g, BinaryOp::Equal, x, Operand::S(0.0))?;
        let limit = cast_scalar(g, at_zero, g.dtype(x)?)?;
        let general = minus_y_over_x(g, scoped(g, f, x)?, y, x)?;
        array::select_v2(g, is_zero, limit, general)
    })
}

fn bessel_i0_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    grad_times(ctx, grads, |g, x| scoped(g, SpecialOp::BesselI1, x))
}
fn bessel_i1_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    grad_times_guarded(ctx, grads, SpecialOp::BesselI0, 1.0)
}
fn bessel_k0_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    grad_times_negated(ctx, grads, SpecialOp::BesselK1)
}
fn bessel_k0e_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let y = ctx.output(0);
    grad_times(ctx, grads, |g, x| {
        let k1e = scoped(g, SpecialOp::BesselK1e, x)?;
        binary::operator(g, BinaryOp::Sub, y, k1e)
    })
}
/// `-k0(x) - y / x`, NaN at 0 where the derivative is undefined (as TF).
fn bessel_k1_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let y = ctx.output(0);
    grad_times(ctx, grads, |g, x| {
        let k0 = unary::neg(g, scoped(g, SpecialOp::BesselK0, x)?)?;
        minus_y_over_x(g, k0, y, x)
    })
}
/// `y (1 - 1/x) - k0e(x)`.
fn bessel_k1e_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let y = ctx.output(0);
    grad_times(ctx, grads, |g, x| {
        let one_minus =
            binary::operator(g, BinaryOp::Sub, Operand::S(1.0), unary::reciprocal(g, x)?)?;
        let scaled = mul(g, y, one_minus)?;
        let k0e = scoped(g, SpecialOp::BesselK0e, x)?;
        binary::operator(g, BinaryOp::Sub, scaled, k0e)
    })
}
fn bessel_j0_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    grad_times_negated(ctx, grads, SpecialOp::BesselJ1)
}
fn bessel_j1_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    grad_times_guarded(ctx, grads, SpecialOp::BesselJ0, 0.5)
}
fn bessel_y0_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    grad_times_negated(ctx, grads, SpecialOp::BesselY1)
}
/// `y0(x) - y / x`, NaN at 0 (as TF).
fn bessel_y1_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let y = ctx.output(0);
    grad_times(ctx, grads, |g, x| {
        minus_y_over_x(g, scoped(g, SpecialOp::BesselY0, x)?, y, x)
    })
}
/// `1 - 2 x y`.
fn dawsn_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let y = ctx.output(0);
    grad_times(ctx, grads, |g, x| {
        let two_x = binary::operator(g, BinaryOp::Mul, Operand::S(2.0), x)?;
        let two_xy = mul(g, two_x, y)?;
        binary::operator(g, BinaryOp::Sub, Operand::S(1.0), two_xy)
    })
}
/// `grad * exp(x) / x`, multiplied before dividing as TF's expression is evaluated.
fn expint_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let x = ctx.input(0)?;
    dense(binary::with_control_dependency(g, grad, || {
        let t = mul(g, grad, unary::exp(g, x)?)?;
        binary::operator(g, BinaryOp::RealDiv, t, x)
    })?)
}
/// `trig(pi/2 x^2)`, the integrand of a Fresnel integral.
fn fresnel_integrand(
    ctx: &GradCtx<'_>,
    grads: &[Option<Grad>],
    trig: fn(&Graph, Tensor) -> Result<Tensor>,
) -> GradOut {
    grad_times(ctx, grads, |g, x| {
        let arg = binary::operator(
            g,
            BinaryOp::Mul,
            Operand::S(std::f64::consts::FRAC_PI_2),
            unary::square(g, x)?,
        )?;
        trig(g, arg)
    })
}
fn fresnel_cos_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    fresnel_integrand(ctx, grads, unary::cos)
}
fn fresnel_sin_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    fresnel_integrand(ctx, grads, unary::sin)
}
/// `log(x) / (1 - x)`, -1 at x = 1 (its limit), through TF's v1 `where` (`Select`).
fn spence_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    grad_times(ctx, grads, |g, x| {
        let log = unary::log(g, x)?;
        let one_minus = binary::operator(g, BinaryOp::Sub, Operand::S(1.0), x)?;
        let partial = binary::operator(g, BinaryOp::RealDiv, log, one_minus)?;
        let at_one = binary::gen_binary(g, BinaryOp::Equal, x, Operand::S(1.0))?;
        let minus_one = unary::neg(g, array::ones_like(g, x)?)?;
        array::select(g, at_one, minus_one, partial)
    })
}

/// TF's `math_ops.cast(v, dtype)` of a Python float: a float32 Const `Cast/x`, then, for
/// another dtype, a `Cast` op named after the scope.
fn cast_scalar(g: &Graph, v: f32, dtype: DType) -> Result<Tensor> {
    let (scope, previous) = g.enter_name_scope(Some("Cast"));
    let r = source::const_value(g, Value::scalar(v), Some("x")).and_then(|zero| {
        if dtype == DType::F32 {
            Ok(zero)
        } else {
            g.add1(
                OpKind::Cast {
                    to: dtype,
                    truncate: false,
                },
                &[zero],
                Some(&scope),
            )
        }
    });
    g.set_name_scope(&previous);
    r
}

/// `cast(x != cast(0, dtype), dtype)`: the x-derivative of the `x * f(y)` ops, 0 where
/// they are 0.
fn not_zero(g: &Graph, x: Tensor) -> Result<Tensor> {
    let dtype = g.dtype(x)?;
    let zero = cast_scalar(g, 0.0, dtype)?;
    let ne = binary::binary(g, BinaryOp::NotEqual, x, zero, None)?;
    array::cast(g, ne, dtype)
}

/// `reshape(reduce_sum(partial * grad, r), shape)` for each input with a partial, `r` from
/// `BroadcastGradientArgs` of the two shapes, built in TF's order: shapes first, then the
/// partials under `control_dependencies([grad])` (TF's Xlogy, Xdivy, Xlog1py, Igamma,
/// Polygamma and Zeta rules). A `None` partial is an input without a gradient.
fn broadcast_partials(
    ctx: &GradCtx<'_>,
    grads: &[Option<Grad>],
    partials: impl FnOnce(&Graph, Tensor, Tensor) -> Result<(Option<Tensor>, Option<Tensor>)>,
) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let (x, y) = (ctx.input(0)?, ctx.input(1)?);
    let sx = array::shape_of(g, x, DType::I32, None)?;
    let sy = array::shape_of(g, y, DType::I32, None)?;
    let (rx, ry) = array::broadcast_gradient_args(g, sx, sy)?;
    binary::with_control_dependency(g, grad, || {
        let (px, py) = partials(g, x, y)?;
        [(px, rx, sx), (py, ry, sy)]
            .into_iter()
            .map(|(p, r, shape)| {
                p.map(|p| {
                    let summed = reduce::sum_t(g, mul(g, p, grad)?, r, false)?;
                    Ok(Grad::Dense(array::reshape_t(g, summed, shape)?))
                })
                .transpose()
            })
            .collect()
    })
}
fn xlogy_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    broadcast_partials(ctx, grads, |g, x, y| {
        let px = special(g, SpecialOp::Xlogy, &[not_zero(g, x)?, y])?;
        let py = special(g, SpecialOp::Xdivy, &[x, y])?;
        Ok((Some(px), Some(py)))
    })
}
fn xdivy_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    broadcast_partials(ctx, grads, |g, x, y| {
        let px = special(g, SpecialOp::Xdivy, &[not_zero(g, x)?, y])?;
        let neg_x = unary::neg(g, x)?;
        let y2 = binary::operator(g, BinaryOp::Pow, y, Operand::S(2.0))?;
        let py = special(g, SpecialOp::Xdivy, &[neg_x, y2])?;
        Ok((Some(px), Some(py)))
    })
}
fn xlog1py_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    broadcast_partials(ctx, grads, |g, x, y| {
        let px = special(g, SpecialOp::Xlog1py, &[not_zero(g, x)?, y])?;
        let y1 = binary::operator(g, BinaryOp::AddV2, y, Operand::S(1.0))?;
        let py = special(g, SpecialOp::Xdivy, &[x, y1])?;
        Ok((Some(px), Some(py)))
    })
}
fn truncate_div_grad(_ctx: &GradCtx<'_>, _grads: &[Option<Grad>]) -> GradOut {
    Ok(vec![None, None])
}
/// d/da via `IgammaGradA`, d/dx = `exp(-x + (a - 1) log x - lgamma(a))`.
fn igamma_partials(g: &Graph, a: Tensor, x: Tensor) -> Result<(Option<Tensor>, Option<Tensor>)> {
    let pa = special(g, SpecialOp::IgammaGradA, &[a, x])?;
    let neg_x = unary::neg(g, x)?;
    let a1 = binary::operator(g, BinaryOp::Sub, a, Operand::S(1.0))?;
    let t = mul(g, a1, unary::log(g, x)?)?;
    let t = binary::operator(g, BinaryOp::AddV2, neg_x, t)?;
    let t = binary::operator(g, BinaryOp::Sub, t, special(g, SpecialOp::Lgamma, &[a])?)?;
    Ok((Some(pa), Some(unary::exp(g, t)?)))
}
fn igamma_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    broadcast_partials(ctx, grads, igamma_partials)
}
fn igammac_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    broadcast_partials(ctx, grads, igamma_partials)?
        .into_iter()
        .map(|d| match d {
            Some(Grad::Dense(t)) => Ok(Some(Grad::Dense(unary::neg(g, t)?))),
            other => Ok(other),
        })
        .collect()
}
fn polygamma_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    broadcast_partials(ctx, grads, |g, n, x| {
        let n1 = binary::operator(g, BinaryOp::AddV2, n, Operand::S(1.0))?;
        Ok((None, Some(special(g, SpecialOp::Polygamma, &[n1, x])?)))
    })
}
fn zeta_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    broadcast_partials(ctx, grads, |g, x, q| {
        let neg_x = unary::neg(g, x)?;
        let x1 = binary::operator(g, BinaryOp::AddV2, x, Operand::S(1.0))?;
        let z = special(g, SpecialOp::Zeta, &[x1, q])?;
        Ok((None, Some(mul(g, neg_x, z)?)))
    })
}
/// `(MulNoNan(grad, y), MulNoNan(x, grad))` reduced to the inputs' shapes (TF's rule: no
/// control dependency).
fn mul_no_nan_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let (x, y) = (ctx.input(0)?, ctx.input(1)?);
    let gx = special(g, SpecialOp::MulNoNan, &[grad, y])?;
    let gy = special(g, SpecialOp::MulNoNan, &[x, grad])?;
    binary::reduce_to_inputs(ctx, grad, Some(gx), Some(gy), true)
}

/// d/dx only (TF has no rule for a and b): `exp(xlog1py(b - 1, -x) + xlogy(a - 1, x) -
/// log B(a, b))`, reduced to x's shape.
fn betainc_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let (a, b, x) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
    // x is a scalar and a, b of one shape, or the other way round: a's shape tells.
    let sa = array::shape_of(g, a, DType::I32, None)?;
    let sx = array::shape_of(g, x, DType::I32, None)?;
    let (_, rx) = array::broadcast_gradient_args(g, sa, sx)?;
    let lgamma = |t: Tensor| special(g, SpecialOp::Lgamma, &[t]);
    let add = |p: Tensor, q: Tensor| binary::operator(g, BinaryOp::AddV2, p, q);
    let sub = |p: Tensor, q: Tensor| binary::operator(g, BinaryOp::Sub, p, q);
    let log_beta = add(lgamma(a)?, lgamma(b)?)?;
    let log_beta = sub(log_beta, lgamma(add(a, b)?)?)?;
    let b1 = binary::operator(g, BinaryOp::Sub, b, Operand::S(1.0))?;
    let neg_x = unary::neg(g, x)?;
    let t = special_in_scope(g, "xlog1py", SpecialOp::Xlog1py, &[b1, neg_x])?;
    let a1 = binary::operator(g, BinaryOp::Sub, a, Operand::S(1.0))?;
    let t = add(t, special(g, SpecialOp::Xlogy, &[a1, x])?)?;
    let partial_x = unary::exp(g, sub(t, log_beta)?)?;
    let summed = reduce::sum_t(g, mul(g, partial_x, grad)?, rx, false)?;
    let gx = array::reshape_t(g, summed, sx)?;
    Ok(vec![None, None, Some(Grad::Dense(gx))])
}
