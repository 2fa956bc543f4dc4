//! `complex64` and `complex128`. The ops only complex numbers have (`Complex`, `Real`,
//! `Imag`, `Conj`, `Angle`, `ComplexAbs`), each with its shape rule, kernel and gradient
//! side by side, and the complex kernels of the shared elementwise ops, which `unary` and
//! `binary` hand complex operands to.
//!
//! Gradients are TF's (`math_grad.py`): a rule that multiplies the incoming gradient by a
//! function of an input multiplies by the function of its conjugate (`conj` below), which
//! builds a `Conj` op for complex tensors and nothing for real ones, as `math_ops.conj` does;
//! so real graphs stay op for op what they were.

use super::binary::{self, BinaryOp};
use super::special::SpecialOp;
use super::unary::UnaryOp;
use super::{elementwise, linalg, one, Family, InferCtx, KernelCtx, OpKind, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx};
use crate::graph::{Graph, Metas, Node, Tensor};
use crate::shape::broadcast_static;
use crate::value::{Arr, Stored, Value};
use num_complex::Complex;
use num_traits::{Float, One, Zero};
use smallvec::smallvec;

/// An op of this family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComplexOp {
    /// `Complex(real, imag)`: two real tensors of one type, broadcast, into complex numbers.
    Complex,
    Real,
    Imag,
    Conj,
    /// The argument `atan2(imag, real)`.
    Angle,
    /// The modulus `|z|` (what `tf.abs` builds for complex input).
    ComplexAbs,
    /// `Transpose` and `Conj` in one op (`tf.transpose(conjugate=True)`); a transpose for
    /// real types.
    ConjugateTranspose,
}

const ALL: [ComplexOp; 7] = [
    ComplexOp::Complex,
    ComplexOp::Real,
    ComplexOp::Imag,
    ComplexOp::Conj,
    ComplexOp::Angle,
    ComplexOp::ComplexAbs,
    ComplexOp::ConjugateTranspose,
];

impl Family for ComplexOp {
    fn type_name(&self) -> &'static str {
        match self {
            ComplexOp::Complex => "Complex",
            ComplexOp::Real => "Real",
            ComplexOp::Imag => "Imag",
            ComplexOp::Conj => "Conj",
            ComplexOp::Angle => "Angle",
            ComplexOp::ComplexAbs => "ComplexAbs",
            ComplexOp::ConjugateTranspose => "ConjugateTranspose",
        }
    }

    fn from_def(op_type: &str, attrs: &Attrs, input_types: &[DType]) -> Option<Result<Self>> {
        let op = *ALL.iter().find(|op| op.type_name() == op_type)?;
        // `Tout` is fixed by the input type; a GraphDef that says otherwise is refused.
        let declared = match attrs.dtype_opt("Tout") {
            Ok(t) => t,
            Err(e) => return Some(Err(e)),
        };
        let implied = input_types.first().and_then(|&t| op.output_type(t).ok());
        Some(match (declared, implied) {
            (Some(d), Some(i)) if d != i => Err(Error::type_error(format!(
                "{op_type} with input {} has Tout {i}, not {d}",
                input_types[0]
            ))),
            _ => Ok(op),
        })
    }

    fn attrs(&self, _node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        let Some(&t) = input_types.first() else {
            return Vec::new();
        };
        let mut attrs = vec![("T", AttrValue::Type(t))];
        if *self == ComplexOp::ConjugateTranspose {
            if let Some(&p) = input_types.get(1) {
                attrs.push(("Tperm", AttrValue::Type(p)));
            }
            return attrs;
        }
        if *self != ComplexOp::Conj {
            if let Ok(out) = self.output_type(t) {
                attrs.push(("Tout", AttrValue::Type(out)));
            }
        }
        attrs
    }

    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        if *self == ComplexOp::ConjugateTranspose {
            return super::array::infer_transpose(ctx);
        }
        if *self == ComplexOp::Complex {
            ctx.expect_inputs(2)?;
            let t = ctx.same_dtype("Complex", 0, 1, ("real", "imag"))?;
            let out = self.output_type(t)?;
            let (sa, sb) = (ctx.shape(0)?, ctx.shape(1)?);
            let shape = broadcast_static(sa, sb).map_err(|(a, b)| {
                linalg::shape_fn_error(
                    ctx,
                    "Complex",
                    |types| self.attrs_of(types),
                    format!("Dimensions must be equal, but are {a} and {b}"),
                )
            })?;
            return one(out, shape);
        }
        ctx.expect_inputs(1)?;
        let x = ctx.input(0)?;
        one(self.output_type(x.dtype)?, x.shape.clone())
    }

    fn compute(&self, _ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let out = match (self, inputs) {
            (ComplexOp::Complex, [re, im]) => from_parts(re, im)?,
            (ComplexOp::ConjugateTranspose, [x, perm]) => {
                let t = super::array::transpose_value(x, perm)?;
                if t.dtype().is_complex() {
                    part(ComplexOp::Conj, &t)?
                } else {
                    t
                }
            }
            (op, [z]) => part(*op, z)?,
            _ => {
                return Err(Error::internal(format!(
                    "{} got {} inputs",
                    self.type_name(),
                    inputs.len()
                )))
            }
        };
        Ok(smallvec![out])
    }

    fn register_gradients(r: &mut GradRegistry) {
        r.structural("Complex", complex_grad);
        r.structural("Real", real_grad);
        r.structural("Imag", imag_grad);
        r.structural("Conj", conj_grad);
        r.structural("Angle", angle_grad);
        r.structural("ComplexAbs", complex_abs_grad);
        r.structural("ConjugateTranspose", conjugate_transpose_grad);
    }
}

impl ComplexOp {
    fn attrs_of(&self, types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        let mut attrs = Vec::new();
        if let Some(&t) = types.first() {
            attrs.push(("T", AttrValue::Type(t)));
            if let Ok(out) = self.output_type(t) {
                attrs.push(("Tout", AttrValue::Type(out)));
            }
        }
        attrs
    }

    /// The output type for input type `t`, with TF's op-definition error otherwise.
    fn output_type(self, t: DType) -> Result<DType> {
        let (allowed, out) = match self {
            ComplexOp::Complex => ("float, double", t.complex_of()),
            ComplexOp::Conj => (
                "complex64, complex128, variant",
                t.is_complex().then_some(t),
            ),
            ComplexOp::ConjugateTranspose => ("", Some(t)),
            _ => ("complex64, complex128", t.is_complex().then(|| t.real())),
        };
        out.ok_or_else(|| {
            Error::type_error(format!(
                "Value passed to parameter '{}' has DataType {t} not in list of allowed values: {allowed}",
                if self == ComplexOp::Complex { "real" } else { "input" }
            ))
        })
    }
}

/// `re + i im` from two real values of one type and shape.
pub fn from_parts(re: &Value, im: &Value) -> Result<Value> {
    Ok(match (re, im) {
        (Value::F32(a), Value::F32(b)) => Value::C64(binary::zip_broadcast(a, b, Complex::new)?),
        (Value::F64(a), Value::F64(b)) => Value::C128(binary::zip_broadcast(a, b, Complex::new)?),
        _ => return Err(Error::internal("complex parts must be float32 or float64")),
    })
}

/// The one-input kernels: a part, the conjugate, the argument or the modulus (also used by
/// kernels that work on the parts apart, e.g. segment sums).
pub fn part(op: ComplexOp, z: &Value) -> Result<Value> {
    fn of<F: Float + Stored>(op: ComplexOp, a: &Arr<Complex<F>>) -> Result<Value>
    where
        Complex<F>: Stored,
    {
        Ok(match op {
            ComplexOp::Real => F::wrap(a.mapv(|z| z.re).into_shared()),
            ComplexOp::Imag => F::wrap(a.mapv(|z| z.im).into_shared()),
            ComplexOp::Angle => F::wrap(a.mapv(|z| z.im.atan2(z.re)).into_shared()),
            ComplexOp::ComplexAbs => F::wrap(a.mapv(|z| z.re.hypot(z.im)).into_shared()),
            ComplexOp::Conj => Complex::<F>::wrap(a.mapv(|z| z.conj()).into_shared()),
            ComplexOp::Complex | ComplexOp::ConjugateTranspose => {
                return Err(Error::internal(
                    "a two-input op reached the one-input kernel",
                ))
            }
        })
    }
    match z {
        Value::C64(a) => of(op, a),
        Value::C128(a) => of(op, a),
        other => Err(Error::op_invalid(format!(
            "{} needs a complex input, got {}",
            op.type_name(),
            other.dtype()
        ))),
    }
}

// ----- the complex kernels of the shared elementwise ops -----

/// Whether unary `op` has a complex kernel in TF (its op definition and CPU kernel).
pub fn unary_takes_complex(op: UnaryOp) -> bool {
    use UnaryOp::*;
    matches!(
        op,
        Neg | Sign
            | Square
            | Sqrt
            | Rsqrt
            | Exp
            | Expm1
            | Log
            | Log1p
            | Reciprocal
            | Sin
            | Cos
            | Tan
            | Tanh
            | Sigmoid
            | ZerosLike
            | OnesLike
    )
}

/// Whether binary `op` has a complex kernel in TF.
pub fn binary_takes_complex(op: BinaryOp) -> bool {
    use BinaryOp::*;
    matches!(
        op,
        AddV2
            | Sub
            | Mul
            | RealDiv
            | DivNoNan
            | Pow
            | SquaredDifference
            | Equal
            | NotEqual
            | TanhGrad
            | SigmoidGrad
            | SqrtGrad
            | RsqrtGrad
            | ReciprocalGrad
    )
}

/// `exp(z) - 1` without the cancellation near 0 (numpy's formula).
fn expm1<F: Float>(z: Complex<F>) -> Complex<F> {
    let two = F::one() + F::one();
    let half_sin = (z.im / two).sin();
    Complex::new(
        z.re.exp_m1() * z.im.cos() - two * half_sin * half_sin,
        z.re.exp() * z.im.sin(),
    )
}

/// `log(1 + z)` without the cancellation near 0: `|1 + z|² - 1 = 2x + x² + y²`.
fn log1p<F: Float>(z: Complex<F>) -> Complex<F> {
    let two = F::one() + F::one();
    let (x, y) = (z.re, z.im);
    Complex::new(
        (two * x + x * x + y * y).ln_1p() / two,
        y.atan2(F::one() + x),
    )
}

/// `z / |z|`, and 0 for 0 (Eigen's complex sign).
fn sign<F: Float>(z: Complex<F>) -> Complex<F> {
    let m = z.norm();
    if m == F::zero() {
        Complex::zero()
    } else {
        z / m
    }
}

fn sigmoid<F: Float>(z: Complex<F>) -> Complex<F> {
    let one = Complex::<F>::one();
    one / (one + (-z).exp())
}

/// Runs `$body` over the complex array of either width, keeping the variant.
macro_rules! map_complex {
    ($v:expr, $err:expr, $a:ident => $body:expr) => {
        match $v {
            Value::C64($a) => Value::C64($body),
            Value::C128($a) => Value::C128($body),
            _ => return Err($err),
        }
    };
}

/// Unary `op` on a complex value (taken over: an unshared buffer is written in place).
pub fn unary(op: UnaryOp, x: Value) -> Result<Value> {
    use UnaryOp::*;
    let dtype = x.dtype();
    let err = || super::not_for_complex(op.type_name(), dtype);
    if !unary_takes_complex(op) {
        return Err(err());
    }
    macro_rules! each {
        (|$z:ident| $f:expr) => {
            map_complex!(x, err(), a => elementwise::map(a, |$z| $f))
        };
    }
    Ok(match op {
        Neg => each!(|z| -z),
        Sign => each!(|z| sign(z)),
        Square => each!(|z| z * z),
        Sqrt => each!(|z| z.sqrt()),
        Rsqrt => each!(|z| z.sqrt().finv()),
        Exp => each!(|z| z.exp()),
        Expm1 => each!(|z| expm1(z)),
        Log => each!(|z| z.ln()),
        Log1p => each!(|z| log1p(z)),
        Reciprocal => each!(|z| z.finv()),
        Sin => each!(|z| z.sin()),
        Cos => each!(|z| z.cos()),
        Tan => each!(|z| z.tan()),
        Tanh => each!(|z| z.tanh()),
        Sigmoid => each!(|z| sigmoid(z)),
        ZerosLike => Value::zeros(dtype, x.shape()),
        OnesLike => Value::full(dtype, x.shape(), 1.0),
        _ => return Err(err()),
    })
}

/// `0.5 / conj(y) * dy` and the other `*Grad` helpers' complex forms (Eigen's: the
/// helpers of `Sqrt`, `Rsqrt` and `Reciprocal` conjugate the output themselves; `Tanh`'s
/// and `Sigmoid`'s get it conjugated by the gradient rule).
fn helper<F: Float>(op: BinaryOp, y: Complex<F>, dy: Complex<F>) -> Complex<F> {
    let one = Complex::<F>::one();
    let half = F::one() / (F::one() + F::one());
    match op {
        BinaryOp::TanhGrad => dy * (one - y * y),
        BinaryOp::SigmoidGrad => dy * y * (one - y),
        BinaryOp::SqrtGrad => dy.scale(half).fdiv(y.conj()),
        BinaryOp::RsqrtGrad => {
            let c = y.conj();
            dy.scale(-half) * c * c * c
        }
        _ => {
            let c = y.conj();
            -(dy * c * c)
        }
    }
}

/// Binary `op` on complex operands of one type (taken over), broadcast as numpy.
pub fn binary(op: BinaryOp, a: Value, b: Value) -> Result<Value> {
    use BinaryOp::*;
    let dtype = a.dtype();
    if !binary_takes_complex(op) {
        return Err(super::not_for_complex(op.type_name(), dtype));
    }
    let mismatch = {
        let (ta, tb) = (a.dtype(), b.dtype());
        move || {
            Error::op_invalid(format!(
                "{} does not support dtypes {ta} and {tb}",
                op.type_name()
            ))
        }
    };
    macro_rules! zip {
        (|$x:ident, $y:ident| $f:expr) => {
            match (a, b) {
                (Value::C64(p), Value::C64(q)) => Value::C64(binary::zip_owned(p, q, |$x, $y| $f)?),
                (Value::C128(p), Value::C128(q)) => {
                    Value::C128(binary::zip_owned(p, q, |$x, $y| $f)?)
                }
                _ => return Err(mismatch()),
            }
        };
    }
    macro_rules! compare {
        (|$x:ident, $y:ident| $f:expr) => {
            Value::Bool(match (&a, &b) {
                (Value::C64(p), Value::C64(q)) => binary::zip_broadcast(p, q, |$x, $y| $f)?,
                (Value::C128(p), Value::C128(q)) => binary::zip_broadcast(p, q, |$x, $y| $f)?,
                _ => return Err(mismatch()),
            })
        };
    }
    Ok(match op {
        AddV2 => zip!(|x, y| x + y),
        Sub => zip!(|x, y| x - y),
        Mul => zip!(|x, y| x * y),
        RealDiv => zip!(|x, y| x.fdiv(y)),
        DivNoNan => zip!(|x, y| if y.is_zero() {
            Complex::zero()
        } else {
            x.fdiv(y)
        }),
        Pow => zip!(|x, y| pow(x, y)),
        SquaredDifference => zip!(|x, y| {
            let d = x - y;
            d * d.conj()
        }),
        Equal => compare!(|x, y| x == y),
        NotEqual => compare!(|x, y| x != y),
        _ => zip!(|y, dy| helper(op, y, dy)),
    })
}

/// `x ** y` as `std::pow`: `exp(y log x)`, with `0 ** y` 0 for `Re(y) > 0`, and anything to
/// the power 0 is 1.
fn pow<F: Float>(x: Complex<F>, y: Complex<F>) -> Complex<F> {
    if y.is_zero() {
        return Complex::one();
    }
    if x.is_zero() && y.im == F::zero() && y.re > F::zero() {
        return Complex::zero();
    }
    (y * x.ln()).exp()
}

/// The complex kernels of `special`'s hyperbolic and inverse trigonometric functions.
pub fn special_unary(op: SpecialOp, z: &Value) -> Result<Value> {
    use SpecialOp::*;
    macro_rules! each {
        (|$z:ident| $f:expr) => {
            map_complex!(z.clone(), not_here(op, z), a => elementwise::map(a, |$z| $f))
        };
    }
    Ok(match op {
        Sinh => each!(|z| z.sinh()),
        Cosh => each!(|z| z.cosh()),
        Asin => each!(|z| z.asin()),
        Acos => each!(|z| z.acos()),
        Atan => each!(|z| z.atan()),
        Asinh => each!(|z| z.asinh()),
        Acosh => each!(|z| z.acosh()),
        Atanh => each!(|z| z.atanh()),
        _ => return Err(not_here(op, z)),
    })
}

/// `Xlogy`, `Xdivy`, `Xlog1py` (0 where `x` is 0) and `MulNoNan` (0 where `y` is 0).
pub fn special_binary(op: SpecialOp, x: &Value, y: &Value) -> Result<Value> {
    use SpecialOp::*;
    fn zip<F: Float + Send + Sync>(
        op: SpecialOp,
        a: &Arr<Complex<F>>,
        b: &Arr<Complex<F>>,
    ) -> Result<Arr<Complex<F>>> {
        let zero = Complex::<F>::zero();
        binary::zip_broadcast(a, b, |x, y| match op {
            MulNoNan if y.is_zero() => zero,
            MulNoNan => x * y,
            _ if x.is_zero() => zero,
            Xlogy => x * y.ln(),
            Xdivy => x.fdiv(y),
            _ => x * log1p(y),
        })
    }
    if !matches!(op, Xlogy | Xdivy | Xlog1py | MulNoNan) {
        return Err(not_here(op, x));
    }
    Ok(match (x, y) {
        (Value::C64(a), Value::C64(b)) => Value::C64(zip(op, a, b)?),
        (Value::C128(a), Value::C128(b)) => Value::C128(zip(op, a, b)?),
        _ => return Err(not_here(op, x)),
    })
}

fn not_here(op: SpecialOp, z: &Value) -> Error {
    super::not_for_complex(op.type_name(), z.dtype())
}

// ----- builders -----

/// `math_ops.conj`: a `Conj` op for complex `x`, `x` itself for real numbers.
pub fn conj(g: &Graph, x: Tensor) -> Result<Tensor> {
    if g.dtype(x)?.is_complex() {
        g.add1(OpKind::Complex(ComplexOp::Conj), &[x], Some("Conj"))
    } else {
        Ok(x)
    }
}

/// `math_ops.complex(real, imag)`.
pub fn complex(g: &Graph, re: Tensor, im: Tensor) -> Result<Tensor> {
    g.add1(
        OpKind::Complex(ComplexOp::Complex),
        &[re, im],
        Some("Complex"),
    )
}

/// `math_ops.real(z)`: the `Real` op for complex `z`, `z` itself otherwise.
pub fn real(g: &Graph, z: Tensor) -> Result<Tensor> {
    if g.dtype(z)?.is_complex() {
        g.add1(OpKind::Complex(ComplexOp::Real), &[z], Some("Real"))
    } else {
        Ok(z)
    }
}

/// `math_ops.imag(z)`: the `Imag` op for complex `z`, zeros otherwise.
pub fn imag(g: &Graph, z: Tensor) -> Result<Tensor> {
    if g.dtype(z)?.is_complex() {
        g.add1(OpKind::Complex(ComplexOp::Imag), &[z], Some("Imag"))
    } else {
        super::array::zeros_like(g, z)
    }
}

// ----- gradients (math_grad.py) -----

type GradOut = Result<Vec<Option<Grad>>>;

fn dense(t: Tensor) -> Vec<Option<Grad>> {
    vec![Some(Grad::Dense(t))]
}

/// `_ComplexGrad`: the real and imaginary parts of the gradient, each reduced to its
/// input's shape.
fn complex_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let gx = real(g, grad)?;
    let gy = imag(g, grad)?;
    binary::reduce_to_inputs(ctx, grad, Some(gx), Some(gy), false)
}

/// A complex number from a real gradient and a zero of its type (`constant(0, grad.dtype)`).
fn with_zero(g: &Graph, grad: Tensor, grad_is_real_part: bool) -> Result<Tensor> {
    let zero = super::source::scalar_const(g, g.dtype(grad)?, 0.0, None, None)?;
    if grad_is_real_part {
        complex(g, grad, zero)
    } else {
        complex(g, zero, grad)
    }
}

/// `_RealGrad`: `complex(grad, 0)`.
fn real_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    Ok(dense(with_zero(ctx.graph, ctx.grad(grads, 0)?, true)?))
}

/// `_ImagGrad`: `complex(0, grad)`.
fn imag_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    Ok(dense(with_zero(ctx.graph, ctx.grad(grads, 0)?, false)?))
}

/// `_ConjGrad`: `conj(grad)`.
fn conj_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    Ok(dense(conj(ctx.graph, ctx.grad(grads, 0)?)?))
}

/// `_AngleGrad`: `-complex(grad, 0) / complex(imag(x), real(x))`, under
/// `control_dependencies([grad])`.
fn angle_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let x = ctx.input(0)?;
    Ok(dense(binary::with_control_dependency(g, grad, || {
        let re = real(g, x)?;
        let im = imag(g, x)?;
        let z = super::unary::reciprocal(g, complex(g, im, re)?)?;
        let zero = super::source::scalar_const(g, g.dtype(grad)?, 0.0, None, None)?;
        let complex_grad = complex(g, grad, zero)?;
        let negated = super::unary::unary(g, UnaryOp::Neg, complex_grad, Some("Neg"))?;
        binary::operator(g, BinaryOp::Mul, negated, z)
    })?))
}

/// `_ConjugateTransposeGrad`: `transpose(grad, invert_permutation(perm), conjugate=True)`.
fn conjugate_transpose_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let inverse = super::array::invert_permutation(g, ctx.input(1)?)?;
    let kind = if g.dtype(grad)?.is_complex() {
        OpKind::Complex(ComplexOp::ConjugateTranspose)
    } else {
        OpKind::Transpose
    };
    Ok(vec![
        Some(Grad::Dense(g.add1(
            kind,
            &[grad, inverse],
            Some("transpose"),
        )?)),
        None,
    ])
}

/// `_ComplexAbsGrad`: `div_no_nan(complex(grad, 0) * x, complex(|x|, 0))`.
fn complex_abs_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let (x, y) = (ctx.input(0)?, ctx.output(0));
    let grad_zeros = super::array::zeros_like(g, grad)?;
    let complex_grad = complex(g, grad, grad_zeros)?;
    let scaled = binary::operator(g, BinaryOp::Mul, complex_grad, x)?;
    let y_zeros = super::array::zeros_like(g, y)?;
    let complex_y = complex(g, y, y_zeros)?;
    // math_ops.div_no_nan opens a `div_no_nan` scope.
    Ok(dense(binary::operator(
        g,
        BinaryOp::DivNoNan,
        scaled,
        complex_y,
    )?))
}
