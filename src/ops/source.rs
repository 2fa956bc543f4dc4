//! Ops with no inputs to differentiate: constants and placeholders.

use super::{one, InferCtx, OpKind, Outputs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::graph::{Graph, Metas, Tensor};
use crate::shape::Shape;
use crate::value::Value;
use smallvec::smallvec;
use std::sync::Arc;

pub fn infer(op: &OpKind, ctx: &InferCtx<'_>) -> Result<Metas> {
    match op {
        OpKind::Const { value } => {
            ctx.expect_inputs(0)?;
            one(value.dtype(), Shape::known(value.shape()))
        }
        OpKind::Placeholder { dtype, shape } => {
            ctx.expect_inputs(0)?;
            one(*dtype, Shape::clone(shape))
        }
        OpKind::PlaceholderWithDefault { dtype, shape } => {
            ctx.expect_inputs(1)?;
            let input = ctx.input(0)?;
            if input.dtype != *dtype {
                return Err(Error::type_error(format!(
                    "Input 'input' of 'PlaceholderWithDefault' Op has type {} that does not match type {} of argument 'dtype'.",
                    input.dtype, dtype
                )));
            }
            if !input.shape.is_compatible_with(shape) {
                return Err(ctx.err(format!(
                    "PlaceholderWithDefault: the default value's shape {} is not compatible with the shape {}",
                    input.shape, shape
                )));
            }
            one(*dtype, Shape::clone(shape))
        }
        _ => Err(Error::internal("source::infer called for a non-source op")),
    }
}

/// Placeholders are fed by the executor; reaching this kernel means the feed is missing.
pub fn compute(op: &OpKind, name: &str, inputs: &[Value]) -> Result<Outputs> {
    match op {
        OpKind::Const { value } => Ok(smallvec![Value::clone(value)]),
        OpKind::Placeholder { dtype, shape } => Err(Error::op_invalid(format!(
            "You must feed a value for placeholder tensor '{}' with dtype {}{}",
            name,
            dtype.tf_short_name(),
            match shape.rank() {
                Some(_) => format!(" and shape {}", shape.bracketed()),
                None => String::new(),
            }
        ))),
        OpKind::PlaceholderWithDefault { .. } => {
            let v = inputs
                .first()
                .ok_or_else(|| Error::internal("PlaceholderWithDefault without input"))?;
            Ok(smallvec![v.clone()])
        }
        _ => Err(Error::internal(
            "source::compute called for a non-source op",
        )),
    }
}

// ----- builders -----

/// A `Const` holding `value`.
pub fn const_value(g: &Graph, value: Value, name: Option<&str>) -> Result<Tensor> {
    g.add1(
        OpKind::Const {
            value: Arc::new(value),
        },
        &[],
        Some(name.unwrap_or("Const")),
    )
}

/// A scalar `Const` of `dtype`. With `scope`, it is built inside that name scope (TF's
/// `ones(..., name=scope)` puts its scalar at `scope/Const`).
pub fn scalar_const(
    g: &Graph,
    dtype: DType,
    x: f64,
    name: Option<&str>,
    scope: Option<&str>,
) -> Result<Tensor> {
    let value = Value::full(dtype, &[], x);
    match scope {
        None => const_value(g, value, name),
        Some(scope) => {
            let (_, previous) = g.enter_name_scope(Some(scope));
            let r = const_value(g, value, name);
            g.set_name_scope(&previous);
            r
        }
    }
}

/// A 1-D int32 `Const`.
pub fn const_ints(g: &Graph, xs: &[i64]) -> Result<Tensor> {
    const_value(g, Value::int_vector(DType::I32, xs), None)
}

pub fn placeholder(g: &Graph, dtype: DType, shape: Shape, name: Option<&str>) -> Result<Tensor> {
    g.add1(
        OpKind::Placeholder {
            dtype,
            shape: Box::new(shape),
        },
        &[],
        Some(name.unwrap_or("Placeholder")),
    )
}

pub fn placeholder_with_default(
    g: &Graph,
    input: Tensor,
    shape: Shape,
    name: Option<&str>,
) -> Result<Tensor> {
    let dtype = g.dtype(input)?;
    g.add1(
        OpKind::PlaceholderWithDefault {
            dtype,
            shape: Box::new(shape),
        },
        &[input],
        Some(name.unwrap_or("PlaceholderWithDefault")),
    )
}

fn pass_through(
    ctx: &crate::grad::GradCtx<'_>,
    grads: &[Option<crate::grad::Grad>],
) -> Result<Vec<Option<crate::grad::Grad>>> {
    let _ = ctx;
    Ok(vec![grads.first().copied().flatten()])
}

pub(crate) fn register_gradients(r: &mut GradRegistry) {
    r.not_differentiable("Const");
    r.not_differentiable("Placeholder");
    r.builtin("PlaceholderWithDefault", pass_through);
}
