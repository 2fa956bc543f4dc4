//! Elementwise ops of one input. Per op: the kernel (`apply`), the gradient rule, and the
//! dtypes it accepts; shape and dtype pass through unchanged.

use super::complex::conj;
use super::elementwise::{map, map_f32};
use super::vmath::F32Fn;
use super::{binary, one, InferCtx, Inputs, OpKind, Outputs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx};
use crate::graph::{Graph, Metas, Tensor};
use crate::map_float;
use crate::value::{Elem, Value};
use num_traits::{Float, PrimInt, WrappingNeg, WrappingSub, Zero};
use smallvec::smallvec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Neg,
    Abs,
    Sign,
    Square,
    Sqrt,
    Rsqrt,
    Exp,
    Expm1,
    Log,
    Log1p,
    Reciprocal,
    Sin,
    Cos,
    Tan,
    Tanh,
    Sigmoid,
    Relu,
    Softplus,
    Floor,
    Ceil,
    Round,
    ZerosLike,
    OnesLike,
    LogicalNot,
    Erf,
}

/// Which dtypes an op accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Accepts {
    Float,
    Numeric,
    Any,
    Bool,
}

impl UnaryOp {
    pub const ALL: [UnaryOp; 25] = [
        UnaryOp::Neg,
        UnaryOp::Abs,
        UnaryOp::Sign,
        UnaryOp::Square,
        UnaryOp::Sqrt,
        UnaryOp::Rsqrt,
        UnaryOp::Exp,
        UnaryOp::Expm1,
        UnaryOp::Log,
        UnaryOp::Log1p,
        UnaryOp::Reciprocal,
        UnaryOp::Sin,
        UnaryOp::Cos,
        UnaryOp::Tan,
        UnaryOp::Tanh,
        UnaryOp::Sigmoid,
        UnaryOp::Relu,
        UnaryOp::Softplus,
        UnaryOp::Floor,
        UnaryOp::Ceil,
        UnaryOp::Round,
        UnaryOp::ZerosLike,
        UnaryOp::OnesLike,
        UnaryOp::LogicalNot,
        UnaryOp::Erf,
    ];

    pub fn type_name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "Neg",
            UnaryOp::Abs => "Abs",
            UnaryOp::Sign => "Sign",
            UnaryOp::Square => "Square",
            UnaryOp::Sqrt => "Sqrt",
            UnaryOp::Rsqrt => "Rsqrt",
            UnaryOp::Exp => "Exp",
            UnaryOp::Expm1 => "Expm1",
            UnaryOp::Log => "Log",
            UnaryOp::Log1p => "Log1p",
            UnaryOp::Reciprocal => "Reciprocal",
            UnaryOp::Sin => "Sin",
            UnaryOp::Cos => "Cos",
            UnaryOp::Tan => "Tan",
            UnaryOp::Tanh => "Tanh",
            UnaryOp::Sigmoid => "Sigmoid",
            UnaryOp::Relu => "Relu",
            UnaryOp::Softplus => "Softplus",
            UnaryOp::Floor => "Floor",
            UnaryOp::Ceil => "Ceil",
            UnaryOp::Round => "Round",
            UnaryOp::ZerosLike => "ZerosLike",
            UnaryOp::OnesLike => "OnesLike",
            UnaryOp::LogicalNot => "LogicalNot",
            UnaryOp::Erf => "Erf",
        }
    }

    pub fn from_type_name(name: &str) -> Option<UnaryOp> {
        match name {
            "Inv" => Some(UnaryOp::Reciprocal),
            _ => UnaryOp::ALL.iter().copied().find(|u| u.type_name() == name),
        }
    }

    fn accepts(self) -> Accepts {
        match self {
            UnaryOp::Neg
            | UnaryOp::Abs
            | UnaryOp::Sign
            | UnaryOp::Square
            | UnaryOp::Reciprocal
            | UnaryOp::Relu => Accepts::Numeric,
            UnaryOp::ZerosLike | UnaryOp::OnesLike => Accepts::Any,
            UnaryOp::LogicalNot => Accepts::Bool,
            _ => Accepts::Float,
        }
    }
}

pub fn infer(op: UnaryOp, ctx: &InferCtx<'_>) -> Result<Metas> {
    ctx.expect_inputs(1)?;
    let x = ctx.input(0)?;
    let ok = match op.accepts() {
        _ if x.dtype.is_complex() => super::complex::unary_takes_complex(op),
        Accepts::Float => x.dtype.is_floating(),
        Accepts::Numeric => x.dtype != DType::Bool,
        Accepts::Any => true,
        Accepts::Bool => x.dtype == DType::Bool,
    };
    if !ok {
        let allowed = match op.accepts() {
            Accepts::Float => "float32, float64",
            Accepts::Numeric => "float32, float64, int8, int16, int32, int64, uint8",
            Accepts::Bool => "bool",
            Accepts::Any => "",
        };
        return Err(Error::type_error(format!(
            "Value passed to parameter 'x' has DataType {} not in list of allowed values: {allowed}",
            x.dtype
        )));
    }
    one(x.dtype, x.shape.clone())
}

impl F32Fn {
    /// The vectorised float32 function that computes `op`, if there is one.
    pub fn of(op: UnaryOp) -> Option<F32Fn> {
        Some(match op {
            UnaryOp::Exp => F32Fn::Exp,
            UnaryOp::Log => F32Fn::Log,
            UnaryOp::Sin => F32Fn::Sin,
            UnaryOp::Cos => F32Fn::Cos,
            UnaryOp::Tanh => F32Fn::Tanh,
            UnaryOp::Sigmoid => F32Fn::Sigmoid,
            _ => return None,
        })
    }
}

fn float_err(op: UnaryOp, dtype: DType) -> Error {
    Error::op_invalid(format!(
        "{} is not defined for dtype {}",
        op.type_name(),
        dtype
    ))
}

fn sigmoid_f<T: Float>(x: T) -> T {
    // Split by sign so neither branch overflows exp().
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

fn softplus_f<T: Float>(x: T) -> T {
    // log(1 + e^x) without overflow: x + log1p(e^-x) for positive x.
    if x > T::zero() {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// erf in f64 from the all-positive series
/// `erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1))`, which has no
/// cancellation; past |x| = 6 erf is 1 to f64 precision.
fn erf_f(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x.abs() >= 6.0 {
        return x.signum();
    }
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    let mut n = 0.0;
    while term.abs() > sum.abs() * 1e-17 && n < 400.0 {
        n += 1.0;
        term *= 2.0 * x2 / (2.0 * n + 1.0);
        sum += term;
    }
    2.0 / std::f64::consts::PI.sqrt() * (-x2).exp() * sum
}

/// Round half to even, as TF's `Round`.
fn round_half_even<T: Float>(x: T) -> T {
    let r = x.round();
    let two = T::one() + T::one();
    if (x - x.trunc()).abs() == T::one() / two && (r % two) != T::zero() {
        // -0.5 rounds to -0, as TF's (and numpy's) round does.
        (r - x.signum()).copysign(x)
    } else {
        r
    }
}

/// Maps numeric variants with separate float and integer bodies (value taken over, so an
/// unshared buffer is overwritten in place).
macro_rules! numeric_map {
    ($v:expr, $err:expr, |$x:ident| float: $f:expr, int: $i:expr) => {
        match $v {
            Value::F32(a) => Value::F32(map(a, |$x| $f)),
            Value::F64(a) => Value::F64(map(a, |$x| $f)),
            Value::I8(a) => Value::I8(map(a, |$x| $i)),
            Value::I16(a) => Value::I16(map(a, |$x| $i)),
            Value::I32(a) => Value::I32(map(a, |$x| $i)),
            Value::I64(a) => Value::I64(map(a, |$x| $i)),
            Value::U8(a) => Value::U8(map(a, |$x| $i)),
            Value::F16(_) | Value::Bool(_) | Value::Str(_) | Value::C64(_) | Value::C128(_) => {
                return Err($err)
            }
        }
    };
}

fn int_abs<T: PrimInt + WrappingNeg>(x: T) -> T {
    if x < T::zero() {
        x.wrapping_neg()
    } else {
        x
    }
}
fn int_sign<T: PrimInt + WrappingSub>(x: T) -> T {
    if x > T::zero() {
        T::one()
    } else if x < T::zero() {
        T::zero().wrapping_sub(&T::one())
    } else {
        T::zero()
    }
}
/// Integer reciprocal truncates toward zero, as TF's; 1/0 is an error caught before.
fn int_reciprocal<T: PrimInt>(x: T) -> T {
    if x == T::zero() {
        T::zero()
    } else {
        T::one() / x
    }
}
fn float_sign<T: Float>(x: T) -> T {
    if x > T::zero() {
        T::one()
    } else if x < T::zero() {
        -T::one()
    } else {
        x // keeps 0, -0 and NaN as they are
    }
}

pub fn apply(op: UnaryOp, x: &Value) -> Result<Value> {
    apply_owned(op, x.clone())
}

/// `apply` on a value handed over: a buffer nobody else holds becomes the output.
pub fn apply_owned(op: UnaryOp, x: Value) -> Result<Value> {
    let dtype = x.dtype();
    if dtype.is_complex() {
        return super::complex::unary(op, x);
    }
    let err = || float_err(op, dtype);
    let x = match (x, F32Fn::of(op)) {
        (Value::F32(a), Some(f)) => return Ok(Value::F32(map_f32(a, f))),
        (x, _) => x,
    };
    Ok(match op {
        UnaryOp::Neg => numeric_map!(x, err(), |v| float: -v, int: v.wrapping_neg()),
        UnaryOp::Abs => numeric_map!(x, err(), |v| float: v.abs(), int: int_abs(v)),
        UnaryOp::Sign => numeric_map!(x, err(), |v| float: float_sign(v), int: int_sign(v)),
        UnaryOp::Square => numeric_map!(x, err(), |v| float: v * v, int: v.wrapping_mul(v)),
        UnaryOp::Reciprocal => {
            if x.dtype().is_integer() && x.to_f64_vec().contains(&0.0) {
                return Err(Error::op_invalid("Integer division by zero in Reciprocal"));
            }
            numeric_map!(x, err(), |v| float: v.recip(), int: int_reciprocal(v))
        }
        UnaryOp::Relu => {
            numeric_map!(x, err(), |v| float: if v > 0.0 || v.is_nan() { v } else { 0.0 }, int: v.max(Zero::zero()))
        }
        UnaryOp::Sqrt => map_float!(x, err(), a => map(a, |v| v.sqrt())),
        UnaryOp::Rsqrt => map_float!(x, err(), a => map(a, |v| v.sqrt().recip())),
        UnaryOp::Exp => map_float!(x, err(), a => map(a, |v| v.exp())),
        UnaryOp::Expm1 => map_float!(x, err(), a => map(a, |v| v.exp_m1())),
        UnaryOp::Log => map_float!(x, err(), a => map(a, |v| v.ln())),
        UnaryOp::Log1p => map_float!(x, err(), a => map(a, |v| v.ln_1p())),
        UnaryOp::Sin => map_float!(x, err(), a => map(a, |v| v.sin())),
        UnaryOp::Cos => map_float!(x, err(), a => map(a, |v| v.cos())),
        UnaryOp::Tan => map_float!(x, err(), a => map(a, |v| v.tan())),
        UnaryOp::Tanh => map_float!(x, err(), a => map(a, |v| v.tanh())),
        UnaryOp::Sigmoid => map_float!(x, err(), a => map(a, sigmoid_f)),
        UnaryOp::Softplus => map_float!(x, err(), a => map(a, softplus_f)),
        UnaryOp::Floor => map_float!(x, err(), a => map(a, |v| v.floor())),
        UnaryOp::Ceil => map_float!(x, err(), a => map(a, |v| v.ceil())),
        UnaryOp::Round => map_float!(x, err(), a => map(a, round_half_even)),
        UnaryOp::Erf => map_float!(x, err(), a => map(a, |v| erf_f(Elem::to_f64(v)) as _)),
        UnaryOp::ZerosLike => Value::zeros(x.dtype(), x.shape()),
        UnaryOp::OnesLike => Value::full(x.dtype(), x.shape(), 1.0),
        UnaryOp::LogicalNot => match x {
            Value::Bool(a) => Value::Bool(map(a, |v| !v)),
            _ => return Err(err()),
        },
    })
}

pub fn compute(op: UnaryOp, inputs: &[Value]) -> Result<Outputs> {
    let x = inputs
        .first()
        .ok_or_else(|| Error::internal("unary op without input"))?;
    Ok(smallvec![apply(op, x)?])
}

pub fn compute_owned(op: UnaryOp, inputs: &mut Inputs) -> Result<Outputs> {
    let (Some(x), true) = (inputs.pop(), inputs.is_empty()) else {
        return Err(Error::internal("unary op needs one input"));
    };
    Ok(smallvec![apply_owned(op, x)?])
}

// ----- builders -----

pub fn unary(g: &Graph, op: UnaryOp, x: Tensor, name: Option<&str>) -> Result<Tensor> {
    g.add1(
        OpKind::Unary(op),
        &[x],
        Some(name.unwrap_or(op.type_name())),
    )
}

macro_rules! builders {
    ($($fname:ident => $op:ident),* $(,)?) => {
        $(
            #[doc = concat!("`", stringify!($op), "(x)`")]
            pub fn $fname(g: &Graph, x: Tensor) -> Result<Tensor> {
                unary(g, UnaryOp::$op, x, None)
            }
        )*
    };
}
builders!(
    neg => Neg, abs => Abs, sign => Sign, square => Square, sqrt => Sqrt, rsqrt => Rsqrt,
    exp => Exp, expm1 => Expm1, log => Log, log1p => Log1p, reciprocal => Reciprocal,
    sin => Sin, cos => Cos, tan => Tan, tanh => Tanh, sigmoid => Sigmoid, relu => Relu,
    softplus => Softplus, erf => Erf, floor => Floor, ceil => Ceil, round => Round,
    logical_not => LogicalNot,
);

// ----- gradients -----

type GradOut = Result<Vec<Option<Grad>>>;

fn dense(t: Tensor) -> Vec<Option<Grad>> {
    vec![Some(Grad::Dense(t))]
}

fn neg_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    Ok(dense(neg(ctx.graph, ctx.grad(grads, 0)?)?))
}
/// `grad * x`, as TF's Python operator builds it (an op named `mul`).
fn times(g: &Graph, grad: Tensor, x: Tensor) -> Result<Tensor> {
    binary::operator(g, binary::BinaryOp::Mul, grad, x)
}
/// Builds `f` under `control_dependencies([grad])`, as most of TF's unary gradients do.
fn guarded(
    ctx: &GradCtx<'_>,
    grads: &[Option<Grad>],
    f: impl FnOnce(&Graph, Tensor) -> Result<Tensor>,
) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    Ok(dense(binary::with_control_dependency(g, grad, || {
        f(g, grad)
    })?))
}
fn abs_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let s = sign(g, ctx.input(0)?)?;
    Ok(dense(times(g, grad, s)?))
}
fn sign_grad(ctx: &GradCtx<'_>, _grads: &[Option<Grad>]) -> GradOut {
    Ok(dense(super::array::zeros_like(ctx.graph, ctx.input(0)?)?))
}
fn square_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let x = ctx.input(0)?;
    guarded(ctx, grads, |g, grad| {
        // multiply(grad, multiply(conj(x), 2.0))
        let x = conj(g, x)?;
        let two = super::source::scalar_const(g, g.dtype(x)?, 2.0, None, None)?;
        let two_x = binary::mul(g, x, two)?;
        binary::mul(g, grad, two_x)
    })
}
/// Ops whose gradient is a `*Grad` helper op of (output, incoming gradient).
fn output_helper_grad(
    ctx: &GradCtx<'_>,
    grads: &[Option<Grad>],
    helper: binary::BinaryOp,
) -> GradOut {
    Ok(dense(binary::binary(
        ctx.graph,
        helper,
        ctx.output(0),
        ctx.grad(grads, 0)?,
        None,
    )?))
}
fn sqrt_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    output_helper_grad(ctx, grads, binary::BinaryOp::SqrtGrad)
}
fn rsqrt_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    output_helper_grad(ctx, grads, binary::BinaryOp::RsqrtGrad)
}
fn reciprocal_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    output_helper_grad(ctx, grads, binary::BinaryOp::ReciprocalGrad)
}
fn tanh_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let y = ctx.output(0);
    guarded(ctx, grads, |g, grad| {
        binary::binary(g, binary::BinaryOp::TanhGrad, conj(g, y)?, grad, None)
    })
}
fn sigmoid_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let y = ctx.output(0);
    guarded(ctx, grads, |g, grad| {
        binary::binary(g, binary::BinaryOp::SigmoidGrad, conj(g, y)?, grad, None)
    })
}
fn relu_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    // ReluGrad(gradients, features) gates by the op's output.
    Ok(dense(binary::binary(
        ctx.graph,
        binary::BinaryOp::ReluGrad,
        ctx.grad(grads, 0)?,
        ctx.output(0),
        None,
    )?))
}
fn exp_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let y = ctx.output(0);
    guarded(ctx, grads, |g, grad| times(g, grad, conj(g, y)?))
}
fn expm1_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let x = ctx.input(0)?;
    guarded(ctx, grads, |g, grad| times(g, grad, exp(g, conj(g, x)?)?))
}
fn log_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let x = ctx.input(0)?;
    guarded(ctx, grads, |g, grad| {
        times(g, grad, reciprocal(g, conj(g, x)?)?)
    })
}
fn log1p_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let x = ctx.input(0)?;
    guarded(ctx, grads, |g, grad| {
        let x = conj(g, x)?;
        let one_plus_x = binary::operator(g, binary::BinaryOp::AddV2, binary::Operand::S(1.0), x)?;
        times(g, grad, reciprocal(g, one_plus_x)?)
    })
}
fn sin_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let x = ctx.input(0)?;
    guarded(ctx, grads, |g, grad| times(g, grad, cos(g, conj(g, x)?)?))
}
fn cos_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let x = ctx.input(0)?;
    guarded(ctx, grads, |g, grad| {
        let x = conj(g, x)?;
        let ng = neg(g, grad)?;
        times(g, ng, sin(g, x)?)
    })
}
fn tan_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let x = ctx.input(0)?;
    guarded(ctx, grads, |g, grad| {
        let sec = reciprocal(g, cos(g, conj(g, x)?)?)?;
        let sec2 = square(g, sec)?;
        times(g, sec2, grad)
    })
}
fn softplus_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let s = sigmoid(g, ctx.input(0)?)?;
    Ok(dense(times(g, grad, s)?))
}
fn erf_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    // grad * 2/sqrt(pi) * exp(-x^2), under control_dependencies([grad]) as TF.
    let x = ctx.input(0)?;
    guarded(ctx, grads, |g, grad| {
        let c = 2.0 / std::f64::consts::PI.sqrt();
        let two_over_root_pi = super::source::scalar_const(g, g.dtype(x)?, c, None, None)?;
        let t = times(g, grad, two_over_root_pi)?;
        let e = exp(g, neg(g, square(g, x)?)?)?;
        times(g, t, e)
    })
}
fn none_grad(_ctx: &GradCtx<'_>, _grads: &[Option<Grad>]) -> GradOut {
    Ok(vec![None])
}

pub(crate) fn register_gradients(r: &mut GradRegistry) {
    r.structural("Neg", neg_grad);
    r.structural("Abs", abs_grad);
    r.structural("Sign", sign_grad);
    r.structural("Square", square_grad);
    r.structural("Sqrt", sqrt_grad);
    r.structural("Rsqrt", rsqrt_grad);
    r.structural("Reciprocal", reciprocal_grad);
    r.structural("Inv", reciprocal_grad);
    r.structural("Tanh", tanh_grad);
    r.structural("Sigmoid", sigmoid_grad);
    r.structural("Relu", relu_grad);
    r.structural("Exp", exp_grad);
    r.structural("Expm1", expm1_grad);
    r.structural("Log", log_grad);
    r.structural("Log1p", log1p_grad);
    r.structural("Sin", sin_grad);
    r.structural("Cos", cos_grad);
    r.structural("Tan", tan_grad);
    r.structural("Softplus", softplus_grad);
    r.structural("Erf", erf_grad);
    r.structural("Floor", none_grad);
    r.structural("Ceil", none_grad);
    r.structural("Round", none_grad);
    r.not_differentiable("ZerosLike");
    r.not_differentiable("OnesLike");
    r.not_differentiable("LogicalNot");
}
