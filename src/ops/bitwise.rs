//! `tf.bitwise`: `BitwiseAnd`, `BitwiseOr`, `BitwiseXor`, `LeftShift`, `RightShift` (two
//! integer inputs of one type, numpy broadcasting), `Invert` and `PopulationCount` (one
//! input; the count is uint8). Every integer type symgrad has: int8, int16, int32, int64,
//! uint8.
//!
//! Shifts follow TF's kernels: the shift amount is clamped to `[0, bits - 1]`, a left shift
//! works on the unsigned bits (so it wraps), a right shift of a signed value is arithmetic.
//! None is differentiable (TF registers them `NotDifferentiable`).

use super::{binary, linalg, one, Family, InferCtx, KernelCtx, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::graph::{Metas, Node};
use crate::shape::broadcast_static;
use crate::value::{Arr, Value};
use num_traits::PrimInt;
use smallvec::smallvec;

/// An op of this family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitwiseOp {
    And,
    Or,
    Xor,
    LeftShift,
    RightShift,
    Invert,
    PopulationCount,
}

const ALL: [BitwiseOp; 7] = [
    BitwiseOp::And,
    BitwiseOp::Or,
    BitwiseOp::Xor,
    BitwiseOp::LeftShift,
    BitwiseOp::RightShift,
    BitwiseOp::Invert,
    BitwiseOp::PopulationCount,
];

impl BitwiseOp {
    fn is_unary(self) -> bool {
        matches!(self, BitwiseOp::Invert | BitwiseOp::PopulationCount)
    }
}

fn shift_amount<T: PrimInt>(y: T) -> usize {
    let bits = T::zero().count_zeros() as usize;
    if y < T::zero() {
        0
    } else {
        y.to_usize().map_or(bits - 1, |s| s.min(bits - 1))
    }
}

/// `x << y` on the bits of `x`; the shift cannot reach the width, so it never overflows.
fn shl<T: PrimInt>(x: T, y: T) -> T {
    x.unsigned_shl(shift_amount(y) as u32)
}

/// `x >> y`, arithmetic for signed `T` (`PrimInt::shr` is the sign-propagating `>>`).
fn shr<T: PrimInt>(x: T, y: T) -> T {
    x >> shift_amount(y)
}

/// The two-input kernel over one integer element type.
fn zip_ints<T: PrimInt>(op: BitwiseOp, a: &Arr<T>, b: &Arr<T>) -> Result<Arr<T>> {
    match op {
        BitwiseOp::And => binary::zip_broadcast(a, b, |x, y| x & y),
        BitwiseOp::Or => binary::zip_broadcast(a, b, |x, y| x | y),
        BitwiseOp::Xor => binary::zip_broadcast(a, b, |x, y| x ^ y),
        BitwiseOp::LeftShift => binary::zip_broadcast(a, b, shl),
        _ => binary::zip_broadcast(a, b, shr),
    }
}

fn not_integer(op: BitwiseOp, t: DType) -> Error {
    Error::op_invalid(format!(
        "{} is not defined for {} tensors",
        Family::type_name(&op),
        t
    ))
}

/// Runs `$body` with `$a` bound to the array of any integer variant, wrapping the result
/// in the same variant.
macro_rules! map_int {
    ($v:expr, $err:expr, $a:ident => $body:expr) => {
        match $v {
            Value::I8($a) => Value::I8($body),
            Value::I16($a) => Value::I16($body),
            Value::I32($a) => Value::I32($body),
            Value::I64($a) => Value::I64($body),
            Value::U8($a) => Value::U8($body),
            _ => return Err($err),
        }
    };
}

impl Family for BitwiseOp {
    fn type_name(&self) -> &'static str {
        match self {
            BitwiseOp::And => "BitwiseAnd",
            BitwiseOp::Or => "BitwiseOr",
            BitwiseOp::Xor => "BitwiseXor",
            BitwiseOp::LeftShift => "LeftShift",
            BitwiseOp::RightShift => "RightShift",
            BitwiseOp::Invert => "Invert",
            BitwiseOp::PopulationCount => "PopulationCount",
        }
    }

    fn from_def(op_type: &str, _attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        ALL.iter()
            .find(|op| op.type_name() == op_type)
            .map(|&op| Ok(op))
    }

    fn attrs(&self, _node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        self.attrs_of(input_types)
    }

    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        let name = self.type_name();
        let t = if self.is_unary() {
            ctx.expect_inputs(1)?;
            ctx.dtype(0)?
        } else {
            ctx.expect_inputs(2)?;
            ctx.same_dtype(name, 0, 1, ("x", "y"))?
        };
        if !t.is_integer() {
            return Err(Error::type_error(format!(
                "Value passed to parameter 'x' has DataType {t} not in list of allowed values: int8, int16, int32, int64, uint8, uint16, uint32, uint64"
            )));
        }
        let out = if *self == BitwiseOp::PopulationCount {
            DType::U8
        } else {
            t
        };
        if self.is_unary() {
            return one(out, ctx.shape(0)?.clone());
        }
        let (sa, sb) = (ctx.shape(0)?, ctx.shape(1)?);
        let shape = broadcast_static(sa, sb).map_err(|(a, b)| {
            linalg::shape_fn_error(
                ctx,
                name,
                |types| self.attrs_of(types),
                format!("Dimensions must be equal, but are {a} and {b}"),
            )
        })?;
        one(out, shape)
    }

    fn compute(&self, _ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let op = *self;
        let out = match (op, inputs) {
            (BitwiseOp::Invert, [x]) => {
                map_int!(x, not_integer(op, x.dtype()), a => a.mapv(|v| !v).into_shared())
            }
            (BitwiseOp::PopulationCount, [x]) => {
                let counts: Vec<u8> = match x {
                    Value::I8(a) => a.iter().map(|v| v.count_ones() as u8).collect(),
                    Value::I16(a) => a.iter().map(|v| v.count_ones() as u8).collect(),
                    Value::I32(a) => a.iter().map(|v| v.count_ones() as u8).collect(),
                    Value::I64(a) => a.iter().map(|v| v.count_ones() as u8).collect(),
                    Value::U8(a) => a.iter().map(|v| v.count_ones() as u8).collect(),
                    other => return Err(not_integer(op, other.dtype())),
                };
                Value::from_vec(x.shape(), counts)?
            }
            (_, [x, y]) => match (x, y) {
                (Value::I8(a), Value::I8(b)) => Value::I8(zip_ints(op, a, b)?),
                (Value::I16(a), Value::I16(b)) => Value::I16(zip_ints(op, a, b)?),
                (Value::I32(a), Value::I32(b)) => Value::I32(zip_ints(op, a, b)?),
                (Value::I64(a), Value::I64(b)) => Value::I64(zip_ints(op, a, b)?),
                (Value::U8(a), Value::U8(b)) => Value::U8(zip_ints(op, a, b)?),
                _ => return Err(not_integer(op, x.dtype())),
            },
            _ => {
                return Err(Error::internal(format!(
                    "{} got {} inputs",
                    op.type_name(),
                    inputs.len()
                )))
            }
        };
        Ok(smallvec![out])
    }

    fn register_gradients(r: &mut GradRegistry) {
        for op in ALL {
            r.not_differentiable(op.type_name());
        }
    }
}

impl BitwiseOp {
    fn attrs_of(&self, types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        types
            .first()
            .map(|&t| ("T", AttrValue::Type(t)))
            .into_iter()
            .collect()
    }
}
