//! Variables and assignments; values live in the session state.
//!
//! TF 2.x's `tf.compat.v1.Variable` in graph mode is a resource variable: `VarHandleOp`
//! makes a handle, `ReadVariableOp` reads through it, `AssignVariableOp` (and its Add/Sub
//! forms) write through it. symgrad has no resource dtype, so a handle is a `uint8` vector
//! holding the variable's shared name: every kernel finds the variable from its input alone,
//! which keeps these ops free of graph access at run time.

use super::{one, Family, InferCtx, KernelCtx, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Code, Error, Result};
use crate::grad::registry::GradRegistry;
use crate::graph::{Graph, Metas, Node, OpRef, OpSpec, Tensor};
use crate::ops::binary::{self, BinaryOp};
use crate::ops::OpKind;
use crate::shape::Shape;
use crate::value::Value;

/// A stateful variable op.
#[derive(Debug, Clone, PartialEq)]
pub enum StateOp {
    VarHandleOp {
        dtype: DType,
        shape: Shape,
        shared_name: String,
        container: String,
    },
    ReadVariableOp {
        dtype: DType,
    },
    AssignVariableOp {
        dtype: DType,
    },
    AssignAddVariableOp {
        dtype: DType,
    },
    AssignSubVariableOp {
        dtype: DType,
    },
    VarIsInitializedOp,
}

const TYPES: [&str; 6] = [
    "VarHandleOp",
    "ReadVariableOp",
    "AssignVariableOp",
    "AssignAddVariableOp",
    "AssignSubVariableOp",
    "VarIsInitializedOp",
];

impl Family for StateOp {
    fn type_name(&self) -> &'static str {
        match self {
            StateOp::VarHandleOp { .. } => TYPES[0],
            StateOp::ReadVariableOp { .. } => TYPES[1],
            StateOp::AssignVariableOp { .. } => TYPES[2],
            StateOp::AssignAddVariableOp { .. } => TYPES[3],
            StateOp::AssignSubVariableOp { .. } => TYPES[4],
            StateOp::VarIsInitializedOp => TYPES[5],
        }
    }

    fn from_def(op_type: &str, attrs: &Attrs, input_types: &[DType]) -> Option<Result<Self>> {
        if !TYPES.contains(&op_type) {
            return None;
        }
        Some((|| {
            // TF calls the value type `dtype` on every op here; the assign ops can take it
            // from their value input when the caller leaves it out.
            let dtype = || -> Result<DType> {
                match attrs.dtype_opt("dtype")? {
                    Some(d) => Ok(d),
                    None => input_types.get(1).copied().ok_or_else(|| {
                        Error::invalid(format!("{op_type} needs a 'dtype' attribute"))
                    }),
                }
            };
            Ok(match op_type {
                "VarHandleOp" => StateOp::VarHandleOp {
                    dtype: attrs.dtype("dtype")?,
                    shape: attrs.shape_or_unknown("shape")?,
                    shared_name: attrs.str_or("shared_name", "")?,
                    container: attrs.str_or("container", "")?,
                },
                "ReadVariableOp" => StateOp::ReadVariableOp {
                    dtype: attrs.dtype("dtype")?,
                },
                "AssignVariableOp" => StateOp::AssignVariableOp { dtype: dtype()? },
                "AssignAddVariableOp" => StateOp::AssignAddVariableOp { dtype: dtype()? },
                "AssignSubVariableOp" => StateOp::AssignSubVariableOp { dtype: dtype()? },
                _ => StateOp::VarIsInitializedOp,
            })
        })())
    }

    fn attrs(&self, _node: &Node, _input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        match self {
            StateOp::VarHandleOp {
                dtype,
                shape,
                shared_name,
                container,
            } => vec![
                ("container", AttrValue::Str(container.clone())),
                ("shared_name", AttrValue::Str(shared_name.clone())),
                ("dtype", AttrValue::Type(*dtype)),
                ("shape", AttrValue::Shape(shape.clone())),
            ],
            StateOp::ReadVariableOp { dtype }
            | StateOp::AssignVariableOp { dtype }
            | StateOp::AssignAddVariableOp { dtype }
            | StateOp::AssignSubVariableOp { dtype } => vec![("dtype", AttrValue::Type(*dtype))],
            StateOp::VarIsInitializedOp => vec![],
        }
    }

    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        match self {
            StateOp::VarHandleOp { shared_name, .. } => {
                ctx.expect_inputs(0)?;
                let len = if shared_name.is_empty() {
                    ctx.name.len()
                } else {
                    shared_name.len()
                };
                one(DType::U8, Shape::known(&[len]))
            }
            StateOp::ReadVariableOp { dtype } => {
                ctx.expect_inputs(1)?;
                let shape = handle_meta(ctx, *dtype)?;
                one(*dtype, shape)
            }
            StateOp::AssignVariableOp { dtype }
            | StateOp::AssignAddVariableOp { dtype }
            | StateOp::AssignSubVariableOp { dtype } => {
                ctx.expect_inputs(2)?;
                let var_shape = handle_meta(ctx, *dtype)?;
                let value_type = ctx.dtype(1)?;
                if value_type != *dtype {
                    return Err(Error::type_error(format!(
                        "Input 'value' of '{}' Op has type {value_type} that does not match \
                         the variable's type {dtype} for '{}'",
                        self.type_name(),
                        ctx.name
                    )));
                }
                let value_shape = ctx.shape(1)?;
                if !var_shape.is_compatible_with(value_shape) {
                    return Err(ctx.err(format!(
                        "Shapes {var_shape} and {value_shape} are incompatible: cannot assign \
                         a value of shape {value_shape} to a variable of shape {var_shape}"
                    )));
                }
                Ok(Metas::new())
            }
            StateOp::VarIsInitializedOp => {
                ctx.expect_inputs(1)?;
                check_handle(ctx)?;
                one(DType::Bool, Shape::scalar())
            }
        }
    }

    fn compute(&self, ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        match self {
            StateOp::VarHandleOp { shared_name, .. } => {
                let name = if shared_name.is_empty() {
                    ctx.name
                } else {
                    shared_name.as_str()
                };
                let bytes = name.as_bytes().to_vec();
                Ok(smallvec::smallvec![Value::from_vec(&[bytes.len()], bytes)?])
            }
            StateOp::ReadVariableOp { dtype } => {
                let name = handle_name(inputs)?;
                let vars = ctx
                    .state
                    .variables
                    .read()
                    .unwrap_or_else(|p| p.into_inner());
                let value = vars.get(&name).ok_or_else(|| not_found(&name))?;
                if value.dtype() != *dtype {
                    return Err(Error::op_invalid(format!(
                        "Trying to read variable with wrong dtype. Expected {} got {}",
                        value.dtype().tf_short_name(),
                        dtype.tf_short_name()
                    )));
                }
                Ok(smallvec::smallvec![value.clone()])
            }
            StateOp::AssignVariableOp { dtype } => {
                let name = handle_name(inputs)?;
                let value = inputs
                    .get(1)
                    .ok_or_else(|| Error::internal("AssignVariableOp needs a value"))?;
                if value.dtype() != *dtype {
                    return Err(Error::op_invalid(format!(
                        "Trying to assign variable with wrong dtype. Expected {} got {}",
                        dtype.tf_short_name(),
                        value.dtype().tf_short_name()
                    )));
                }
                ctx.state
                    .variables
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(name, value.clone());
                Ok(Outputs::new())
            }
            StateOp::AssignAddVariableOp { .. } | StateOp::AssignSubVariableOp { .. } => {
                let name = handle_name(inputs)?;
                let delta = inputs
                    .get(1)
                    .ok_or_else(|| Error::internal("assign op needs a value"))?;
                // The write lock is held across read-modify-write so that concurrent runs
                // never lose an update.
                let mut vars = ctx
                    .state
                    .variables
                    .write()
                    .unwrap_or_else(|p| p.into_inner());
                let old = vars.get(&name).ok_or_else(|| not_found(&name))?;
                if old.shape() != delta.shape() {
                    return Err(Error::op_invalid(format!(
                        "Cannot update variable with shape {} using a Tensor with shape {}, \
                         shapes must be equal.",
                        Shape::known(old.shape()).bracketed(),
                        Shape::known(delta.shape()).bracketed()
                    )));
                }
                let op = if matches!(self, StateOp::AssignAddVariableOp { .. }) {
                    BinaryOp::AddV2
                } else {
                    BinaryOp::Sub
                };
                let mut out = binary::compute(op, &[old.clone(), delta.clone()])?;
                let new = out
                    .pop()
                    .ok_or_else(|| Error::internal("update produced no value"))?;
                vars.insert(name, new);
                Ok(Outputs::new())
            }
            StateOp::VarIsInitializedOp => {
                let name = handle_name(inputs)?;
                let known = ctx
                    .state
                    .variables
                    .read()
                    .unwrap_or_else(|p| p.into_inner())
                    .contains_key(&name);
                Ok(smallvec::smallvec![Value::scalar(known)])
            }
        }
    }

    fn register_gradients(r: &mut GradRegistry) {
        // Gradients w.r.t. a variable are taken at its reads (the Python layer maps a
        // Variable in `xs` to the outputs of its ReadVariableOps), so nothing flows into the
        // handle; the assign ops have no outputs.
        for t in TYPES {
            r.not_differentiable(t);
        }
    }
}

/// Checks that input 0 is a handle (a `uint8` vector).
fn check_handle(ctx: &InferCtx<'_>) -> Result<()> {
    let meta = ctx.input(0)?;
    if meta.dtype != DType::U8 || meta.shape.rank().is_some_and(|r| r != 1) {
        return Err(ctx.err(format!(
            "Input 'resource' must be a variable handle (made by VarHandleOp), got a {} \
             tensor of shape {}",
            meta.dtype, meta.shape
        )));
    }
    Ok(())
}

/// The variable's static shape when input 0 comes straight from a `VarHandleOp`, checking
/// that the op's `dtype` is the variable's.
fn handle_meta(ctx: &InferCtx<'_>, dtype: DType) -> Result<Shape> {
    check_handle(ctx)?;
    let Some(t) = ctx.inputs.first() else {
        return Ok(Shape::unknown());
    };
    if let Some(node) = ctx.graph.node(t.node) {
        if let OpKind::State(StateOp::VarHandleOp {
            dtype: var_dtype,
            shape,
            ..
        }) = &node.op
        {
            if *var_dtype != dtype {
                return Err(Error::type_error(format!(
                    "'{}' uses variable '{}' of dtype {var_dtype} as dtype {dtype}",
                    ctx.name, node.name
                )));
            }
            return Ok(shape.clone());
        }
    }
    Ok(Shape::unknown())
}

fn handle_name(inputs: &[Value]) -> Result<String> {
    let bytes = inputs
        .first()
        .and_then(|v| v.as_array::<u8>())
        .ok_or_else(|| Error::op_invalid("expected a variable handle as input 0"))?;
    String::from_utf8(bytes.iter().copied().collect())
        .map_err(|_| Error::op_invalid("variable handle is not a valid name"))
}

/// TF 2.x's text for reading a variable that has no value in this session.
fn not_found(name: &str) -> Error {
    Error::op(
        Code::FailedPrecondition,
        format!(
            "Could not find variable {name}. This could mean that the variable has been \
             deleted. In TF1, it can also mean the variable is uninitialized. Debug info: \
             container=localhost, status error message=Resource localhost/{name}/\
             N10tensorflow3VarE does not exist."
        ),
    )
}

// ----- builders (the Rust-side API; Python builds the same ops by type name) -----

/// `VarHandleOp` named `name` (also its shared name): the handle of a variable.
pub fn var_handle(g: &Graph, name: &str, dtype: DType, shape: Shape) -> Result<Tensor> {
    g.add1(
        OpKind::State(StateOp::VarHandleOp {
            dtype,
            shape,
            shared_name: name.to_string(),
            container: String::new(),
        }),
        &[],
        Some(name),
    )
}

/// `ReadVariableOp(handle)`: the variable's current value.
pub fn read_variable(
    g: &Graph,
    handle: Tensor,
    dtype: DType,
    name: Option<&str>,
) -> Result<Tensor> {
    g.add1(
        OpKind::State(StateOp::ReadVariableOp { dtype }),
        &[handle],
        name,
    )
}

/// `AssignVariableOp(handle, value)` (or its Add/Sub forms with `op_type`): an op with no
/// outputs, run as a target.
pub fn assign_variable(
    g: &Graph,
    op_type: &str,
    handle: Tensor,
    value: Tensor,
    name: Option<&str>,
) -> Result<OpRef> {
    let dtype = g.dtype(value)?;
    let op = match op_type {
        "AssignVariableOp" => StateOp::AssignVariableOp { dtype },
        "AssignAddVariableOp" => StateOp::AssignAddVariableOp { dtype },
        "AssignSubVariableOp" => StateOp::AssignSubVariableOp { dtype },
        other => return Err(Error::invalid(format!("{other} is not an assign op"))),
    };
    g.add_op(OpSpec {
        op: OpKind::State(op),
        inputs: &[handle, value],
        name,
    })
}

/// `VarIsInitializedOp(handle)`: whether the variable has a value in the session.
pub fn var_is_initialized(g: &Graph, handle: Tensor, name: Option<&str>) -> Result<Tensor> {
    g.add1(OpKind::State(StateOp::VarIsInitializedOp), &[handle], name)
}
