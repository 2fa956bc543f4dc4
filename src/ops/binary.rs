//! Elementwise ops of two inputs with numpy broadcasting, and the `*Grad` helper ops that
//! other ops' gradients build. Every binary gradient reduces back to its input's shape
//! through one helper, `reduce_to_inputs` (TF's `_ReduceGradientArgs`).

use super::complex::conj;
use super::{array, elementwise, one, reduce, source, unary, InferCtx, Inputs, OpKind, Outputs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx};
use crate::graph::{Graph, Input, Metas, Tensor};
use crate::shape::{broadcast_dims, broadcast_reduction_axes, broadcast_static, Shape};
use crate::value::{Arr, Value};
use ndarray::{IxDyn, Zip};
use num_traits::{Float, PrimInt, WrappingMul};
use smallvec::{smallvec, SmallVec};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    AddV2,
    Sub,
    Mul,
    RealDiv,
    DivNoNan,
    FloorDiv,
    FloorMod,
    Pow,
    Maximum,
    Minimum,
    SquaredDifference,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    Equal,
    NotEqual,
    LogicalAnd,
    LogicalOr,
    ReluGrad,
    SoftplusGrad,
    TanhGrad,
    SigmoidGrad,
    SqrtGrad,
    RsqrtGrad,
    ReciprocalGrad,
    Atan2,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// numeric in, same dtype out
    Arith,
    /// numeric in (bool too for Equal/NotEqual), bool out
    Compare,
    /// bool in, bool out
    Logical,
    /// float in, same dtype out
    FloatOnly,
}

impl BinaryOp {
    pub const ALL: [BinaryOp; 27] = [
        BinaryOp::AddV2,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::RealDiv,
        BinaryOp::DivNoNan,
        BinaryOp::FloorDiv,
        BinaryOp::FloorMod,
        BinaryOp::Pow,
        BinaryOp::Maximum,
        BinaryOp::Minimum,
        BinaryOp::SquaredDifference,
        BinaryOp::Less,
        BinaryOp::LessEqual,
        BinaryOp::Greater,
        BinaryOp::GreaterEqual,
        BinaryOp::Equal,
        BinaryOp::NotEqual,
        BinaryOp::LogicalAnd,
        BinaryOp::LogicalOr,
        BinaryOp::ReluGrad,
        BinaryOp::SoftplusGrad,
        BinaryOp::TanhGrad,
        BinaryOp::SigmoidGrad,
        BinaryOp::SqrtGrad,
        BinaryOp::RsqrtGrad,
        BinaryOp::ReciprocalGrad,
        BinaryOp::Atan2,
    ];

    pub fn type_name(self) -> &'static str {
        match self {
            BinaryOp::AddV2 => "AddV2",
            BinaryOp::Sub => "Sub",
            BinaryOp::Mul => "Mul",
            BinaryOp::RealDiv => "RealDiv",
            BinaryOp::DivNoNan => "DivNoNan",
            BinaryOp::FloorDiv => "FloorDiv",
            BinaryOp::FloorMod => "FloorMod",
            BinaryOp::Pow => "Pow",
            BinaryOp::Maximum => "Maximum",
            BinaryOp::Minimum => "Minimum",
            BinaryOp::SquaredDifference => "SquaredDifference",
            BinaryOp::Less => "Less",
            BinaryOp::LessEqual => "LessEqual",
            BinaryOp::Greater => "Greater",
            BinaryOp::GreaterEqual => "GreaterEqual",
            BinaryOp::Equal => "Equal",
            BinaryOp::NotEqual => "NotEqual",
            BinaryOp::LogicalAnd => "LogicalAnd",
            BinaryOp::LogicalOr => "LogicalOr",
            BinaryOp::ReluGrad => "ReluGrad",
            BinaryOp::SoftplusGrad => "SoftplusGrad",
            BinaryOp::TanhGrad => "TanhGrad",
            BinaryOp::SigmoidGrad => "SigmoidGrad",
            BinaryOp::SqrtGrad => "SqrtGrad",
            BinaryOp::RsqrtGrad => "RsqrtGrad",
            BinaryOp::ReciprocalGrad => "ReciprocalGrad",
            BinaryOp::Atan2 => "Atan2",
        }
    }

    pub fn from_type_name(name: &str) -> Option<BinaryOp> {
        match name {
            "Div" => Some(BinaryOp::RealDiv),
            "Mod" => Some(BinaryOp::FloorMod),
            _ => BinaryOp::ALL
                .iter()
                .copied()
                .find(|b| b.type_name() == name),
        }
    }

    fn kind(self) -> Kind {
        use BinaryOp::*;
        match self {
            AddV2 | Sub | Mul | RealDiv | FloorDiv | FloorMod | Pow | Maximum | Minimum
            | SquaredDifference => Kind::Arith,
            Less | LessEqual | Greater | GreaterEqual | Equal | NotEqual => Kind::Compare,
            LogicalAnd | LogicalOr => Kind::Logical,
            _ => Kind::FloatOnly,
        }
    }

    /// TF's names for the two inputs, used in type-mismatch messages.
    fn input_names(self) -> (&'static str, &'static str) {
        use BinaryOp::*;
        match self {
            ReluGrad | SoftplusGrad => ("gradients", "features"),
            TanhGrad | SigmoidGrad | SqrtGrad | RsqrtGrad | ReciprocalGrad => ("y", "dy"),
            Atan2 => ("y", "x"),
            _ => ("x", "y"),
        }
    }
}

pub fn infer(op: BinaryOp, ctx: &InferCtx<'_>) -> Result<Metas> {
    ctx.expect_inputs(2)?;
    let dtype = ctx.same_dtype(op.type_name(), 0, 1, op.input_names())?;
    let ok = match op.kind() {
        _ if dtype.is_complex() => super::complex::binary_takes_complex(op),
        Kind::Arith => dtype != DType::Bool,
        Kind::Compare => dtype != DType::Bool || matches!(op, BinaryOp::Equal | BinaryOp::NotEqual),
        Kind::Logical => dtype == DType::Bool,
        Kind::FloatOnly => dtype.is_floating(),
    };
    if !ok {
        return Err(Error::type_error(format!(
            "Value passed to parameter '{}' has DataType {dtype} not in list of allowed values for {}",
            op.input_names().0,
            op.type_name()
        )));
    }
    let (sa, sb) = (ctx.shape(0)?, ctx.shape(1)?);
    let shape = broadcast_static(sa, sb).map_err(|(a, b)| {
        ctx.err(format!(
            "Dimensions must be equal, but are {a} and {b}; input shapes: {}, {}",
            sa.bracketed(),
            sb.bracketed()
        ))
    })?;
    let out = if op.kind() == Kind::Compare || op.kind() == Kind::Logical {
        DType::Bool
    } else {
        dtype
    };
    one(out, shape)
}

/// TF's kernel text: `Incompatible shapes: [2,3] vs. [4,1]`.
fn incompatible_shapes(a: &[usize], b: &[usize]) -> String {
    format!(
        "Incompatible shapes: {} vs. {}",
        Shape::known(a).bracketed(),
        Shape::known(b).bracketed()
    )
}

/// Applies `f` elementwise over the numpy broadcast of `a` and `b`.
pub fn zip_broadcast<A: Copy, B: Copy, O: Clone>(
    a: &Arr<A>,
    b: &Arr<B>,
    f: impl Fn(A, B) -> O,
) -> Result<Arr<O>> {
    if a.shape() == b.shape() {
        return Ok(Zip::from(a)
            .and(b)
            .map_collect(|&x, &y| f(x, y))
            .into_shared());
    }
    broadcast_general(a, b, f)
}

/// `zip_broadcast` through ndarray's broadcasting iterators: any shapes and layouts.
fn broadcast_general<A: Copy, B: Copy, O: Clone>(
    a: &Arr<A>,
    b: &Arr<B>,
    f: impl Fn(A, B) -> O,
) -> Result<Arr<O>> {
    let shape = broadcast_dims(a.shape(), b.shape())
        .ok_or_else(|| Error::op_invalid(incompatible_shapes(a.shape(), b.shape())))?;
    let (Some(av), Some(bv)) = (a.broadcast(IxDyn(&shape)), b.broadcast(IxDyn(&shape))) else {
        return Err(Error::op_invalid(incompatible_shapes(a.shape(), b.shape())));
    };
    Ok(Zip::from(&av)
        .and(&bv)
        .map_collect(|&x, &y| f(x, y))
        .into_shared())
}

/// `f(a, b)` for a kernel whose result has the operands' element type, taking the operands
/// over so that a buffer nobody else holds becomes the output.
pub(crate) fn zip_owned<T: Copy + Send + Sync>(
    a: Arr<T>,
    b: Arr<T>,
    f: impl Fn(T, T) -> T + Sync,
) -> Result<Arr<T>> {
    match elementwise::zip_same(a, b, &f) {
        Ok(out) => Ok(out),
        Err(operands) => broadcast_general(&operands.0, &operands.1, f),
    }
}

/// Float and integer bodies over matching variants (operands taken by value).
macro_rules! arith {
    ($a:expr, $b:expr, $op:expr, |$x:ident, $y:ident| float: $f:expr, int: $i:expr) => {
        match ($a, $b) {
            (Value::F32(a), Value::F32(b)) => Value::F32(zip_owned(a, b, |$x, $y| $f)?),
            (Value::F64(a), Value::F64(b)) => Value::F64(zip_owned(a, b, |$x, $y| $f)?),
            (Value::I8(a), Value::I8(b)) => Value::I8(zip_owned(a, b, |$x, $y| $i)?),
            (Value::I16(a), Value::I16(b)) => Value::I16(zip_owned(a, b, |$x, $y| $i)?),
            (Value::I32(a), Value::I32(b)) => Value::I32(zip_owned(a, b, |$x, $y| $i)?),
            (Value::I64(a), Value::I64(b)) => Value::I64(zip_owned(a, b, |$x, $y| $i)?),
            (Value::U8(a), Value::U8(b)) => Value::U8(zip_owned(a, b, |$x, $y| $i)?),
            (a, b) => return Err(mismatch($op, &a, &b)),
        }
    };
}

/// Comparison bodies, bool out.
macro_rules! compare {
    ($a:expr, $b:expr, $op:expr, |$x:ident, $y:ident| $body:expr) => {
        Value::Bool(match (&$a, &$b) {
            (Value::F32(a), Value::F32(b)) => zip_broadcast(a, b, |$x, $y| $body)?,
            (Value::F64(a), Value::F64(b)) => zip_broadcast(a, b, |$x, $y| $body)?,
            (Value::I8(a), Value::I8(b)) => zip_broadcast(a, b, |$x, $y| $body)?,
            (Value::I16(a), Value::I16(b)) => zip_broadcast(a, b, |$x, $y| $body)?,
            (Value::I32(a), Value::I32(b)) => zip_broadcast(a, b, |$x, $y| $body)?,
            (Value::I64(a), Value::I64(b)) => zip_broadcast(a, b, |$x, $y| $body)?,
            (Value::U8(a), Value::U8(b)) => zip_broadcast(a, b, |$x, $y| $body)?,
            (Value::Bool(a), Value::Bool(b)) => zip_broadcast(a, b, |$x, $y| $body)?,
            (a, b) => return Err(mismatch($op, a, b)),
        })
    };
}

macro_rules! float_only {
    ($a:expr, $b:expr, $op:expr, |$x:ident, $y:ident| $body:expr) => {
        match ($a, $b) {
            (Value::F32(a), Value::F32(b)) => Value::F32(zip_owned(a, b, |$x, $y| $body)?),
            (Value::F64(a), Value::F64(b)) => Value::F64(zip_owned(a, b, |$x, $y| $body)?),
            (a, b) => return Err(mismatch($op, &a, &b)),
        }
    };
}

fn mismatch(op: BinaryOp, a: &Value, b: &Value) -> Error {
    Error::op_invalid(format!(
        "{} does not support dtypes {} and {}",
        op.type_name(),
        a.dtype(),
        b.dtype()
    ))
}

fn floor_div_int<T: PrimInt>(x: T, y: T, zero_div: &AtomicBool) -> T {
    if y == T::zero() {
        zero_div.store(true, Relaxed);
        return T::zero();
    }
    // min / -1 overflows; TF wraps it.
    if y < T::zero() && x == T::min_value() && T::min_value() < T::zero() {
        return x;
    }
    let q = x / y;
    if (x % y != T::zero()) && ((x < T::zero()) != (y < T::zero())) {
        q - T::one()
    } else {
        q
    }
}

fn floor_mod_int<T: PrimInt>(x: T, y: T, zero_div: &AtomicBool) -> T {
    if y == T::zero() {
        zero_div.store(true, Relaxed);
        return T::zero();
    }
    if y < T::zero() && x == T::min_value() && T::min_value() < T::zero() {
        return T::zero();
    }
    let r = x % y;
    if r != T::zero() && ((r < T::zero()) != (y < T::zero())) {
        r + y
    } else {
        r
    }
}

fn trunc_div_int<T: PrimInt>(x: T, y: T, zero_div: &AtomicBool) -> T {
    if y == T::zero() {
        zero_div.store(true, Relaxed);
        return T::zero();
    }
    x.checked_div(&y).unwrap_or(x)
}

fn pow_int<T: PrimInt + WrappingMul>(x: T, y: T, negative: &AtomicBool) -> T {
    if y < T::zero() {
        negative.store(true, Relaxed);
        return T::zero();
    }
    let mut result = T::one();
    let mut base = x;
    let mut e = y;
    while e > T::zero() {
        if e & T::one() == T::one() {
            result = result.wrapping_mul(&base);
        }
        base = base.wrapping_mul(&base);
        e = e >> 1;
    }
    result
}

fn float_floor_mod<T: Float>(x: T, y: T) -> T {
    let r = x % y;
    if r != T::zero() && ((r < T::zero()) != (y < T::zero())) {
        r + y
    } else {
        r
    }
}

/// NaN-propagating max/min, as TF's kernels.
fn fmax<T: Float>(x: T, y: T) -> T {
    if x.is_nan() || y.is_nan() {
        T::nan()
    } else if x >= y {
        x
    } else {
        y
    }
}
fn fmin<T: Float>(x: T, y: T) -> T {
    if x.is_nan() || y.is_nan() {
        T::nan()
    } else if x <= y {
        x
    } else {
        y
    }
}

fn sigmoid<T: Float>(x: T) -> T {
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

pub fn apply(op: BinaryOp, a: &Value, b: &Value) -> Result<Value> {
    apply_owned(op, a.clone(), b.clone())
}

/// `apply` on operands handed over, so that one nobody else holds can become the output.
// The comparison macros also expand for bool operands, where `<` on bools is intended.
#[allow(clippy::bool_comparison)]
pub fn apply_owned(op: BinaryOp, a: Value, b: Value) -> Result<Value> {
    use BinaryOp::*;
    if a.dtype().is_complex() {
        return super::complex::binary(op, a, b);
    }
    let zero_div = AtomicBool::new(false);
    let negative_pow = AtomicBool::new(false);
    let out = match op {
        AddV2 => arith!(a, b, op, |x, y| float: x + y, int: x.wrapping_add(y)),
        Sub => arith!(a, b, op, |x, y| float: x - y, int: x.wrapping_sub(y)),
        Mul => arith!(a, b, op, |x, y| float: x * y, int: x.wrapping_mul(y)),
        RealDiv => arith!(a, b, op, |x, y| float: x / y, int: trunc_div_int(x, y, &zero_div)),
        // TF's kernel tests the divisor only: 0/0 and inf/0 are 0, x/NaN stays NaN.
        DivNoNan => float_only!(a, b, op, |x, y| if y == 0.0 { 0.0 } else { x / y }),
        FloorDiv => {
            arith!(a, b, op, |x, y| float: (x / y).floor(), int: floor_div_int(x, y, &zero_div))
        }
        FloorMod => {
            arith!(a, b, op, |x, y| float: float_floor_mod(x, y), int: floor_mod_int(x, y, &zero_div))
        }
        Pow => arith!(a, b, op, |x, y| float: x.powf(y), int: pow_int(x, y, &negative_pow)),
        Maximum => arith!(a, b, op, |x, y| float: fmax(x, y), int: x.max(y)),
        Minimum => arith!(a, b, op, |x, y| float: fmin(x, y), int: x.min(y)),
        SquaredDifference => {
            arith!(a, b, op, |x, y| float: (x - y) * (x - y), int: x.wrapping_sub(y).wrapping_mul(x.wrapping_sub(y)))
        }
        Less => compare!(a, b, op, |x, y| x < y),
        LessEqual => compare!(a, b, op, |x, y| x <= y),
        Greater => compare!(a, b, op, |x, y| x > y),
        GreaterEqual => compare!(a, b, op, |x, y| x >= y),
        Equal | NotEqual if a.dtype() == DType::Str => {
            Value::Bool(super::strings::zip_strings(&a, &b, |x, y| {
                (x == y) == (op == Equal)
            })?)
        }
        Equal => compare!(a, b, op, |x, y| x == y),
        NotEqual => compare!(a, b, op, |x, y| x != y),
        LogicalAnd | LogicalOr => match (&a, &b) {
            (Value::Bool(x), Value::Bool(y)) => Value::Bool(if op == LogicalAnd {
                zip_broadcast(x, y, |p, q| p && q)?
            } else {
                zip_broadcast(x, y, |p, q| p || q)?
            }),
            (a, b) => return Err(mismatch(op, a, b)),
        },
        ReluGrad => float_only!(a, b, op, |g, f| if f > 0.0 { g } else { 0.0 }),
        SoftplusGrad => float_only!(a, b, op, |g, f| g * sigmoid(f)),
        TanhGrad => float_only!(a, b, op, |y, dy| dy * (1.0 - y * y)),
        SigmoidGrad => float_only!(a, b, op, |y, dy| dy * y * (1.0 - y)),
        SqrtGrad => float_only!(a, b, op, |y, dy| dy * 0.5 / y),
        RsqrtGrad => float_only!(a, b, op, |y, dy| -0.5 * dy * y * y * y),
        ReciprocalGrad => float_only!(a, b, op, |y, dy| -dy * y * y),
        Atan2 => float_only!(a, b, op, |y, x| y.atan2(x)),
    };
    if zero_div.load(Relaxed) {
        return Err(Error::op_invalid("Integer division by zero"));
    }
    if negative_pow.load(Relaxed) {
        return Err(Error::op_invalid(
            "Integers to negative integer powers are not allowed",
        ));
    }
    Ok(out)
}

pub fn compute(op: BinaryOp, inputs: &[Value]) -> Result<Outputs> {
    let [a, b] = inputs else {
        return Err(Error::internal("binary op needs two inputs"));
    };
    Ok(smallvec![apply(op, a, b)?])
}

pub fn compute_owned(op: BinaryOp, inputs: &mut Inputs) -> Result<Outputs> {
    let (Some(b), Some(a), true) = (inputs.pop(), inputs.pop(), inputs.is_empty()) else {
        return Err(Error::internal("binary op needs two inputs"));
    };
    Ok(smallvec![apply_owned(op, a, b)?])
}

// ----- builders -----

pub fn binary(g: &Graph, op: BinaryOp, x: Tensor, y: Tensor, name: Option<&str>) -> Result<Tensor> {
    g.add1(
        OpKind::Binary(op),
        &[x, y],
        Some(name.unwrap_or(op.type_name())),
    )
}

macro_rules! builders {
    ($($fname:ident => $op:ident),* $(,)?) => {
        $(
            #[doc = concat!("`", stringify!($op), "(x, y)` with broadcasting.")]
            pub fn $fname(g: &Graph, x: Tensor, y: Tensor) -> Result<Tensor> {
                binary(g, BinaryOp::$op, x, y, None)
            }
        )*
    };
}
builders!(
    add => AddV2, sub => Sub, mul => Mul, div => RealDiv, floor_div => FloorDiv,
    floor_mod => FloorMod, pow => Pow, maximum => Maximum, minimum => Minimum,
    squared_difference => SquaredDifference, less => Less, less_equal => LessEqual,
    greater => Greater, greater_equal => GreaterEqual, equal => Equal, not_equal => NotEqual,
    logical_and => LogicalAnd, logical_or => LogicalOr, atan2 => Atan2,
);

/// An operand as TF's Python code passes it: a tensor, or a Python number that TF converts
/// to a `Const` of the other operand's dtype, named `x` or `y` inside the op's name scope.
#[derive(Debug, Clone, Copy)]
pub enum Operand {
    T(Tensor),
    S(f64),
}

impl From<Tensor> for Operand {
    fn from(t: Tensor) -> Self {
        Operand::T(t)
    }
}

/// The name scope TF's Python operator for `op` opens (`x * y` builds an op named `mul`).
fn operator_name(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::AddV2 => "add",
        BinaryOp::Sub => "sub",
        BinaryOp::Mul => "mul",
        BinaryOp::RealDiv => "truediv",
        BinaryOp::DivNoNan => "div_no_nan",
        BinaryOp::FloorDiv => "floordiv",
        BinaryOp::FloorMod => "mod",
        BinaryOp::Pow => "pow",
        other => other.type_name(),
    }
}

/// `op(x, y)` named `name`, a number operand becoming a `Const` named `x`/`y` inside it.
fn binary_named(g: &Graph, op: BinaryOp, x: Operand, y: Operand, name: &str) -> Result<Tensor> {
    let dtype = match (x, y) {
        (Operand::T(t), _) | (_, Operand::T(t)) => g.dtype(t)?,
        _ => {
            return Err(Error::invalid(
                "a binary op needs at least one tensor operand",
            ))
        }
    };
    let input = |o: Operand, arg: &'static str| match o {
        Operand::T(t) => Input::Tensor(t),
        Operand::S(v) => Input::constant(arg, Value::full(dtype, &[], v)),
    };
    let inputs = [input(x, "x"), input(y, "y")];
    Ok(g.add_with_consts(OpKind::Binary(op), &inputs, Some(name))?
        .output(0))
}

/// TF's Python operators on tensors (`x * y`, `x + y`, `x - y`, `x / y`, `x // y`, `x % y`,
/// `x ** y`): the op is named after the operator (`mul`, `add`, `sub`, `truediv`, ...), a
/// Python number becomes `mul/y` (right) or `mul/x` (left).
pub fn operator(
    g: &Graph,
    op: BinaryOp,
    x: impl Into<Operand>,
    y: impl Into<Operand>,
) -> Result<Tensor> {
    binary_named(g, op, x.into(), y.into(), operator_name(op))
}

/// A generated op wrapper (`gen_math_ops.greater(x, 0)`): named after the op type, a
/// Python number becoming `Greater/y`.
pub fn gen_binary(
    g: &Graph,
    op: BinaryOp,
    x: impl Into<Operand>,
    y: impl Into<Operand>,
) -> Result<Tensor> {
    binary_named(g, op, x.into(), y.into(), op.type_name())
}

/// Runs `f` inside `control_dependencies([grad.op])`, as TF's gradient functions that guard
/// their helper ops so they are not computed before the incoming gradient.
pub fn with_control_dependency<T>(
    g: &Graph,
    on: Tensor,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    g.push_control_dependencies(Some(&[on.op()]))?;
    let r = f();
    g.pop_control_dependencies();
    r
}

// ----- gradients -----

type GradOut = Result<Vec<Option<Grad>>>;

/// Reduces each input's gradient (shaped like the broadcast output) back to that input's
/// shape, as TF's `_ReduceGradientArgs`: both input shapes first (`Shape`, `Shape_1`, folded
/// to constants when static), then the broadcast axes — decided statically when the shapes
/// tell, else by `BroadcastGradientArgs` — and per input `Reshape(Sum(g, axes, keepdims))`.
/// `fast_path` is TF's shortcut when x, y and the gradient have one fully known shape.
pub fn reduce_to_inputs(
    ctx: &GradCtx<'_>,
    grad: Tensor,
    gx: Option<Tensor>,
    gy: Option<Tensor>,
    fast_path: bool,
) -> GradOut {
    let g = ctx.graph;
    let (x, y) = (ctx.input(0)?, ctx.input(1)?);
    let (sx, sy, same_as_grad) = {
        let data = g.read();
        let (sx, sy) = (&data.meta(x)?.shape, &data.meta(y)?.shape);
        let same = fast_path && sx.is_fully_defined() && sx == sy && data.meta(grad)?.shape == *sx;
        (sx.clone(), sy.clone(), same)
    };
    if same_as_grad {
        return Ok(vec![gx.map(Grad::Dense), gy.map(Grad::Dense)]);
    }
    let (gx, gy) = reduce_gradient_args_shaped(g, (x, sx), (y, sy), gx, gy)?;
    Ok(vec![gx.map(Grad::Dense), gy.map(Grad::Dense)])
}

/// TF's `_ReduceGradientArgs(x, y, gx, gy)` on explicit tensors.
pub fn reduce_gradient_args(
    g: &Graph,
    x: Tensor,
    y: Tensor,
    gx: Option<Tensor>,
    gy: Option<Tensor>,
) -> Result<(Option<Tensor>, Option<Tensor>)> {
    if gx.is_none() && gy.is_none() {
        return Ok((None, None));
    }
    let (sx, sy) = (g.shape(x)?, g.shape(y)?);
    reduce_gradient_args_shaped(g, (x, sx), (y, sy), gx, gy)
}

/// `reduce_gradient_args` given the static shapes of x and y.
fn reduce_gradient_args_shaped(
    g: &Graph,
    (x, sx): (Tensor, Shape),
    (y, sy): (Tensor, Shape),
    gx: Option<Tensor>,
    gy: Option<Tensor>,
) -> Result<(Option<Tensor>, Option<Tensor>)> {
    if gx.is_none() && gy.is_none() {
        return Ok((None, None));
    }
    if let (Some(dx), Some(dy), Some((rx, ry))) =
        (sx.to_vec(), sy.to_vec(), broadcast_reduction_axes(&sx, &sy))
    {
        return static_reduce_gradient_args(g, [(gx, dx, rx), (gy, dy, ry)]);
    }
    let shape_x = array::shape_of(g, x, DType::I32, None)?;
    let shape_y = array::shape_of(g, y, DType::I32, None)?;
    let (rank_x, rank_y) = (sx.rank().unwrap_or(0), sy.rank().unwrap_or(0));
    let sides = match broadcast_reduction_axes(&sx, &sy) {
        Some((rx, ry)) => {
            let axes = |a: Vec<usize>| {
                Some(Value::int_vector(
                    DType::I32,
                    &a.iter().map(|&i| i as i64).collect::<Vec<_>>(),
                ))
            };
            let must_x = !rx.is_empty() || rank_x < rank_y;
            let must_y = !ry.is_empty() || rank_y < rank_x;
            [
                (gx, shape_x, Axes::Static(axes(rx)), must_x),
                (gy, shape_y, Axes::Static(axes(ry)), must_y),
            ]
        }
        None => {
            let (rx, ry) = array::broadcast_gradient_args(g, shape_x, shape_y)?;
            [
                (gx, shape_x, Axes::Dynamic(rx), true),
                (gy, shape_y, Axes::Dynamic(ry), true),
            ]
        }
    };
    let mut out = Vec::with_capacity(2);
    for (grad, shape, axes, must_reduce) in sides {
        out.push(match grad {
            Some(t) if must_reduce => {
                let summed = match axes {
                    Axes::Static(Some(v)) => g
                        .add_with_consts(
                            OpKind::Reduce {
                                op: reduce::ReduceOp::Sum,
                                keep_dims: true,
                            },
                            &[t.into(), Input::constant("reduction_indices", v)],
                            None,
                        )?
                        .output(0),
                    Axes::Static(None) => t,
                    Axes::Dynamic(a) => reduce::sum_t(g, t, a, true)?,
                };
                Some(array::reshape_t(g, summed, shape)?)
            }
            other => other,
        });
    }
    Ok((out[0], out[1]))
}

enum Axes {
    Static(Option<Value>),
    Dynamic(Tensor),
}

/// `reduce_gradient_args` when both input shapes are fully known (the common case, e.g.
/// every step of a chain): the same ops the general path builds — both shapes as
/// constants, then per input that needs it `Reshape(Sum(g, axes, keep_dims))` — added
/// under one graph lock. Each side is (its gradient, its input's dims, its broadcast axes).
fn static_reduce_gradient_args(
    g: &Graph,
    sides: [(Option<Tensor>, Vec<usize>, Vec<usize>); 2],
) -> Result<(Option<Tensor>, Option<Tensor>)> {
    let ranks = [sides[0].1.len(), sides[1].1.len()];
    g.build_locked(|data| {
        let mut shapes = [None; 2];
        for (shape, (_, dims, _)) in shapes.iter_mut().zip(&sides) {
            let dims: SmallVec<[i64; 4]> = dims.iter().map(|&d| d as i64).collect();
            let value = data.small_int_vector(DType::I32, &dims);
            *shape = Some(data.add1(OpKind::Const { value }, &[], Some("Shape"))?);
        }
        let mut out = [None; 2];
        for (i, (grad, _, axes)) in sides.iter().enumerate() {
            let must_reduce = !axes.is_empty() || ranks[i] < ranks[1 - i];
            out[i] = match (*grad, shapes[i]) {
                (Some(t), Some(shape)) if must_reduce => {
                    let axes: SmallVec<[i64; 4]> = axes.iter().map(|&a| a as i64).collect();
                    let axes = data.small_int_vector(DType::I32, &axes);
                    let sum = data.add_with_consts(
                        OpKind::Reduce {
                            op: reduce::ReduceOp::Sum,
                            keep_dims: true,
                        },
                        &[t.into(), Input::Const("reduction_indices", axes)],
                        None,
                    )?;
                    let summed = Tensor {
                        graph: data.id(),
                        node: sum,
                        index: 0,
                    };
                    Some(data.add1(OpKind::Reshape, &[summed, shape], Some("Reshape"))?)
                }
                (grad, _) => grad,
            };
        }
        Ok((out[0], out[1]))
    })
}

fn add_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.grad(grads, 0)?;
    reduce_to_inputs(ctx, g, Some(g), Some(g), true)
}
fn sub_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.grad(grads, 0)?;
    let ng = unary::neg(ctx.graph, g)?;
    reduce_to_inputs(ctx, g, Some(g), Some(ng), true)
}
fn mul_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let gr = ctx.graph;
    let g = ctx.grad(grads, 0)?;
    let (x, y) = (ctx.input(0)?, ctx.input(1)?);
    let (sx, sy) = (gr.shape(x)?, gr.shape(y)?);
    // TF's shortcut for equal static shapes applies to float32 and int32 only.
    let fast = sx.is_fully_defined()
        && sx == sy
        && gr.shape(g)? == sx
        && matches!(gr.dtype(g)?, DType::F32 | DType::I32);
    // TF builds conj(y), grad * conj(y), then conj(x), conj(x) * grad.
    let (gx, gy) = if fast {
        (mul(gr, g, y)?, mul(gr, g, x)?)
    } else {
        let gx = mul(gr, g, conj(gr, y)?)?;
        (gx, mul(gr, conj(gr, x)?, g)?)
    };
    reduce_to_inputs(ctx, g, Some(gx), Some(gy), fast)
}
fn real_div_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let gr = ctx.graph;
    let g = ctx.grad(grads, 0)?;
    let (x, y) = (conj(gr, ctx.input(0)?)?, conj(gr, ctx.input(1)?)?);
    // realdiv(grad, y); grad * realdiv(realdiv(-x, y), y)
    let gx = div(gr, g, y)?;
    let nx = unary::neg(gr, x)?;
    let q = div(gr, div(gr, nx, y)?, y)?;
    let gy = operator(gr, BinaryOp::Mul, g, q)?;
    reduce_to_inputs(ctx, g, Some(gx), Some(gy), false)
}
/// TF's `_DivNoNanGrad`: `div_no_nan(grad, y)`; `grad * div_no_nan(div_no_nan(-x, y), y)`.
fn div_no_nan_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let gr = ctx.graph;
    let g = ctx.grad(grads, 0)?;
    let (x, y) = (conj(gr, ctx.input(0)?)?, conj(gr, ctx.input(1)?)?);
    let gx = operator(gr, BinaryOp::DivNoNan, g, y)?;
    let nx = unary::neg(gr, x)?;
    let q = operator(gr, BinaryOp::DivNoNan, nx, y)?;
    let q = operator(gr, BinaryOp::DivNoNan, q, y)?;
    let gy = operator(gr, BinaryOp::Mul, g, q)?;
    reduce_to_inputs(ctx, g, Some(gx), Some(gy), false)
}
fn floor_mod_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let gr = ctx.graph;
    let g = ctx.grad(grads, 0)?;
    let (x, y) = (ctx.input(0)?, ctx.input(1)?);
    let q = floor_div(gr, x, y)?;
    let gy = operator(gr, BinaryOp::Mul, g, unary::neg(gr, q)?)?;
    reduce_to_inputs(ctx, g, Some(g), Some(gy), false)
}
fn pow_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let gr = ctx.graph;
    let g = ctx.grad(grads, 0)?;
    let z = conj(gr, ctx.output(0))?;
    let (x, y) = (conj(gr, ctx.input(0)?)?, conj(gr, ctx.input(1)?)?);
    // grad * y * pow(x, y - 1)
    let gy_part = operator(gr, BinaryOp::Mul, g, y)?;
    let y_minus_1 = operator(gr, BinaryOp::Sub, y, Operand::S(1.0))?;
    let gx = operator(gr, BinaryOp::Mul, gy_part, pow(gr, x, y_minus_1)?)?;
    // log(x) only where x > 0 (x != 0 for complex x): d/dy x^y is taken as 0 elsewhere
    // (TF's convention).
    let mask = if gr.dtype(x)?.is_complex() {
        gen_binary(gr, BinaryOp::NotEqual, x, Operand::S(0.0))?
    } else {
        gen_binary(gr, BinaryOp::Greater, x, Operand::S(0.0))?
    };
    let safe_x = array::select(gr, mask, x, array::ones_like(gr, x)?)?;
    let log_x = unary::log(gr, safe_x)?;
    let log_x = array::select(gr, mask, log_x, array::zeros_like(gr, x)?)?;
    let gz = operator(gr, BinaryOp::Mul, g, z)?;
    let gy = operator(gr, BinaryOp::Mul, gz, log_x)?;
    reduce_to_inputs(ctx, g, Some(gx), Some(gy), false)
}
fn max_min_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>], x_wins: BinaryOp) -> GradOut {
    let gr = ctx.graph;
    let g = ctx.grad(grads, 0)?;
    let (x, y) = (ctx.input(0)?, ctx.input(1)?);
    let zeros = array::zeros_like(gr, g)?;
    let mask = binary(gr, x_wins, x, y, None)?;
    let gx = array::select_v2(gr, mask, g, zeros)?;
    let gy = array::select_v2(gr, mask, zeros, g)?;
    reduce_to_inputs(ctx, g, Some(gx), Some(gy), false)
}
fn maximum_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    max_min_grad(ctx, grads, BinaryOp::GreaterEqual)
}
fn minimum_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    max_min_grad(ctx, grads, BinaryOp::LessEqual)
}
fn squared_difference_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let gr = ctx.graph;
    let g = ctx.grad(grads, 0)?;
    let (x, y) = (ctx.input(0)?, ctx.input(1)?);
    // Under control_dependencies([grad]): scalar_mul(2.0, grad) * (x - y).
    let x_grad = with_control_dependency(gr, g, || {
        let two = source::scalar_const(gr, gr.dtype(g)?, 2.0, Some("scalar"), None)?;
        let two_g = mul(gr, two, g)?;
        let diff = operator(gr, BinaryOp::Sub, x, y)?;
        operator(gr, BinaryOp::Mul, two_g, diff)
    })?;
    let y_grad = unary::neg(gr, x_grad)?;
    reduce_to_inputs(ctx, g, Some(x_grad), Some(y_grad), true)
}
fn atan2_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let gr = ctx.graph;
    let g = ctx.grad(grads, 0)?;
    let (y, x) = (ctx.input(0)?, ctx.input(1)?);
    // d/dy atan2(y, x) = x / (y^2 + x^2), d/dx = -y / (y^2 + x^2); y squared first, as in
    // TF 2.21, so the ops are named as TF names them.
    // TF returns `_ReduceGradientArgs` inside the control-dependency block, so the shape
    // ops of the reduction wait on the gradient too.
    with_control_dependency(gr, g, || {
        let denom = operator(
            gr,
            BinaryOp::AddV2,
            unary::square(gr, y)?,
            unary::square(gr, x)?,
        )?;
        let grad_inv = operator(gr, BinaryOp::RealDiv, g, denom)?;
        let gy = operator(gr, BinaryOp::Mul, x, grad_inv)?;
        let gx = operator(gr, BinaryOp::Mul, unary::neg(gr, y)?, grad_inv)?;
        reduce_to_inputs(ctx, g, Some(gy), Some(gx), false)
    })
}
fn none_grads(_ctx: &GradCtx<'_>, _grads: &[Option<Grad>]) -> GradOut {
    Ok(vec![None, None])
}

// Second-order rules for the helper ops (TF's *GradGrad functions).

fn relu_grad_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let gr = ctx.graph;
    let features = ctx.input(1)?;
    let d = binary(gr, BinaryOp::ReluGrad, ctx.grad(grads, 0)?, features, None)?;
    Ok(vec![
        Some(d.into()),
        Some(array::zeros_like(gr, features)?.into()),
    ])
}
fn softplus_grad_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let gr = ctx.graph;
    let g = ctx.grad(grads, 0)?;
    let (dy, x) = (ctx.input(0)?, ctx.input(1)?);
    with_control_dependency(gr, g, || {
        let ddy = binary(gr, BinaryOp::SoftplusGrad, g, x, None)?;
        // grad * dy / (exp(-x) + 2.0 + exp(x))
        let num = operator(gr, BinaryOp::Mul, g, dy)?;
        let e_neg = unary::exp(gr, unary::neg(gr, x)?)?;
        let denom = operator(gr, BinaryOp::AddV2, e_neg, Operand::S(2.0))?;
        let denom = operator(gr, BinaryOp::AddV2, denom, unary::exp(gr, x)?)?;
        let d2x = operator(gr, BinaryOp::RealDiv, num, denom)?;
        Ok(vec![Some(ddy.into()), Some(d2x.into())])
    })
}
/// `grad * -2.0 * b * a` and `helper(a, grad)`, under `control_dependencies([grad])`
/// (TF's `_TanhGradGrad` and `_ReciprocalGradGrad`).
/// For complex numbers `_TanhGradGrad` conjugates both inputs, `_ReciprocalGradGrad` the
/// first input and the incoming gradient (`cg * -2.0 * b * ca`).
fn minus_two_grad_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>], helper: BinaryOp) -> GradOut {
    let gr = ctx.graph;
    let g = ctx.grad(grads, 0)?;
    let (a, b) = (ctx.input(0)?, ctx.input(1)?);
    with_control_dependency(gr, g, || {
        let a = conj(gr, a)?;
        let (b, cg) = if helper == BinaryOp::TanhGrad {
            (conj(gr, b)?, g)
        } else {
            (b, conj(gr, g)?)
        };
        let t = operator(gr, BinaryOp::Mul, cg, Operand::S(-2.0))?;
        let t = operator(gr, BinaryOp::Mul, t, b)?;
        let ga = operator(gr, BinaryOp::Mul, t, a)?;
        let gb = binary(gr, helper, a, g, None)?;
        Ok(vec![Some(ga.into()), Some(gb.into())])
    })
}
fn tanh_grad_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    minus_two_grad_grad(ctx, grads, BinaryOp::TanhGrad)
}
fn sigmoid_grad_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let gr = ctx.graph;
    let g = ctx.grad(grads, 0)?;
    let (a, b) = (ctx.input(0)?, ctx.input(1)?);
    with_control_dependency(gr, g, || {
        let (a, b) = (conj(gr, a)?, conj(gr, b)?);
        // gb = grad * b; gb - 2.0 * gb * a
        let gb = operator(gr, BinaryOp::Mul, g, b)?;
        let t = operator(gr, BinaryOp::Mul, Operand::S(2.0), gb)?;
        let t = operator(gr, BinaryOp::Mul, t, a)?;
        let ga = operator(gr, BinaryOp::Sub, gb, t)?;
        let gdy = binary(gr, BinaryOp::SigmoidGrad, a, g, None)?;
        Ok(vec![Some(ga.into()), Some(gdy.into())])
    })
}
fn sqrt_grad_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let gr = ctx.graph;
    let g = ctx.grad(grads, 0)?;
    let a = ctx.input(0)?;
    let y = ctx.output(0);
    with_control_dependency(gr, g, || {
        // ga = grad / a; (-conj(ga) * y, 0.5 * ga)
        let ga = operator(gr, BinaryOp::RealDiv, g, a)?;
        let first = operator(gr, BinaryOp::Mul, unary::neg(gr, conj(gr, ga)?)?, y)?;
        let second = operator(gr, BinaryOp::Mul, Operand::S(0.5), ga)?;
        Ok(vec![Some(first.into()), Some(second.into())])
    })
}
fn rsqrt_grad_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let gr = ctx.graph;
    let g = ctx.grad(grads, 0)?;
    let (a, b) = (ctx.input(0)?, ctx.input(1)?);
    with_control_dependency(gr, g, || {
        // -1.5 * conj(grad) * b * square(conj(a)); rsqrt_grad(conj(a), grad)
        let (a, cg) = (conj(gr, a)?, conj(gr, g)?);
        let t = operator(gr, BinaryOp::Mul, Operand::S(-1.5), cg)?;
        let t = operator(gr, BinaryOp::Mul, t, b)?;
        let ga = operator(gr, BinaryOp::Mul, t, unary::square(gr, a)?)?;
        let gb = binary(gr, BinaryOp::RsqrtGrad, a, g, None)?;
        Ok(vec![Some(ga.into()), Some(gb.into())])
    })
}
fn reciprocal_grad_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    minus_two_grad_grad(ctx, grads, BinaryOp::ReciprocalGrad)
}

pub(crate) fn register_gradients(r: &mut GradRegistry) {
    r.structural("AddV2", add_grad);
    r.structural("Add", add_grad);
    r.structural("Sub", sub_grad);
    r.structural("Mul", mul_grad);
    r.structural("RealDiv", real_div_grad);
    r.structural("Div", real_div_grad);
    r.structural("DivNoNan", div_no_nan_grad);
    r.structural("FloorDiv", none_grads);
    r.structural("FloorMod", floor_mod_grad);
    r.structural("Pow", pow_grad);
    r.structural("Maximum", maximum_grad);
    r.structural("Minimum", minimum_grad);
    r.structural("SquaredDifference", squared_difference_grad);
    r.structural("Atan2", atan2_grad);
    for t in [
        "Less",
        "LessEqual",
        "Greater",
        "GreaterEqual",
        "Equal",
        "NotEqual",
        "LogicalAnd",
        "LogicalOr",
    ] {
        r.not_differentiable(t);
    }
    r.structural("ReluGrad", relu_grad_grad);
    r.structural("SoftplusGrad", softplus_grad_grad);
    r.structural("TanhGrad", tanh_grad_grad);
    r.structural("SigmoidGrad", sigmoid_grad_grad);
    r.structural("SqrtGrad", sqrt_grad_grad);
    r.structural("RsqrtGrad", rsqrt_grad_grad);
    r.structural("ReciprocalGrad", reciprocal_grad_grad);
}
