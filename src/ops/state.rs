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
    /// `ResourceScatterAdd/Sub/Update(resource, indices, updates)`: rows of the variable
    /// along dim 0 (`kind`: 0 add, 1 sub, 2 update).
    ResourceScatter {
        kind: u8,
        dtype: DType,
    },
    /// `ResourceGather(resource, indices)`: rows of the variable along dim 0.
    ResourceGather {
        dtype: DType,
        batch_dims: i64,
        validate_indices: bool,
    },
}

const SCATTER_TYPES: [&str; 3] = [
    "ResourceScatterAdd",
    "ResourceScatterSub",
    "ResourceScatterUpdate",
];

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
            StateOp::ResourceScatter { kind, .. } => SCATTER_TYPES[*kind as usize],
            StateOp::ResourceGather { .. } => "ResourceGather",
        }
    }

    fn from_def(op_type: &str, attrs: &Attrs, input_types: &[DType]) -> Option<Result<Self>> {
        if let Some(kind) = SCATTER_TYPES.iter().position(|t| *t == op_type) {
            return Some((|| {
                let dtype = match attrs.dtype_opt("dtype")? {
                    Some(d) => d,
                    None => input_types.get(2).copied().ok_or_else(|| {
                        Error::invalid(format!("{op_type} needs a 'dtype' attribute"))
                    })?,
                };
                Ok(StateOp::ResourceScatter {
                    kind: kind as u8,
                    dtype,
                })
            })());
        }
        if op_type == "ResourceGather" {
            return Some((|| {
                Ok(StateOp::ResourceGather {
                    dtype: attrs.dtype("dtype")?,
                    batch_dims: attrs.int_or("batch_dims", 0)?,
                    validate_indices: attrs.bool_or("validate_indices", true)?,
                })
            })());
        }
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
            StateOp::ResourceScatter { dtype, .. } => vec![("dtype", AttrValue::Type(*dtype))],
            StateOp::ResourceGather {
                dtype,
                batch_dims,
                validate_indices,
            } => vec![
                ("batch_dims", AttrValue::Int(*batch_dims)),
                ("validate_indices", AttrValue::Bool(*validate_indices)),
                ("dtype", AttrValue::Type(*dtype)),
            ],
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
            StateOp::ResourceScatter { dtype, .. } => {
                ctx.expect_inputs(3)?;
                handle_meta(ctx, *dtype)?;
                let it = ctx.dtype(1)?;
                if !matches!(it, DType::I32 | DType::I64) {
                    return Err(Error::type_error(format!(
                        "Input 'indices' of '{}' Op has type {it} that is not int32 or int64",
                        self.type_name()
                    )));
                }
                let ut = ctx.dtype(2)?;
                if ut != *dtype {
                    return Err(Error::type_error(format!(
                        "Input 'updates' of '{}' Op has type {ut} that does not match the \
                         variable's type {dtype}",
                        self.type_name()
                    )));
                }
                Ok(Metas::new())
            }
            StateOp::ResourceGather {
                dtype, batch_dims, ..
            } => {
                ctx.expect_inputs(2)?;
                if *batch_dims != 0 {
                    return Err(Error::unimplemented(
                        "symgrad's ResourceGather supports batch_dims=0 only",
                    ));
                }
                let var_shape = handle_meta(ctx, *dtype)?;
                let it = ctx.dtype(1)?;
                if !matches!(it, DType::I32 | DType::I64) {
                    return Err(Error::type_error(format!(
                        "Input 'indices' of 'ResourceGather' Op has type {it} that is not \
                         int32 or int64"
                    )));
                }
                let (Some(vd), Some(id)) = (var_shape.dims(), ctx.shape(1)?.dims()) else {
                    return one(*dtype, Shape::unknown());
                };
                if vd.is_empty() {
                    return Err(ctx.err("params must be at least 1 dimensional"));
                }
                let mut dims = crate::shape::Dims::new();
                dims.extend(id.iter().copied());
                dims.extend(vd[1..].iter().copied());
                one(*dtype, Shape(Some(dims)))
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
                let new = super::half::keeping_dtype(&[old, delta], |ins| {
                    binary::compute(op, ins)?
                        .pop()
                        .ok_or_else(|| Error::internal("update produced no value"))
                })?;
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
            StateOp::ResourceScatter { kind, .. } => {
                let name = handle_name(inputs)?;
                let (indices, updates) = match inputs {
                    [_, i, u, ..] => (i, u),
                    _ => return Err(Error::internal("scatter op needs 3 inputs")),
                };
                let mut vars = ctx
                    .state
                    .variables
                    .write()
                    .unwrap_or_else(|p| p.into_inner());
                let old = vars.get(&name).ok_or_else(|| not_found(&name))?;
                let new = super::half::keeping_dtype(&[old, updates], |ins| match ins {
                    [old, updates] => scatter_rows(*kind, old, indices, updates),
                    _ => Err(Error::internal("scatter lost its inputs")),
                })?;
                vars.insert(name, new);
                Ok(Outputs::new())
            }
            StateOp::ResourceGather { .. } => {
                let name = handle_name(inputs)?;
                let indices = inputs
                    .get(1)
                    .ok_or_else(|| Error::internal("ResourceGather needs indices"))?;
                let vars = ctx
                    .state
                    .variables
                    .read()
                    .unwrap_or_else(|p| p.into_inner());
                let value = vars.get(&name).ok_or_else(|| not_found(&name))?;
                if value.shape().is_empty() {
                    return Err(Error::op_invalid("params must be at least 1 dimensional"));
                }
                let axis = Value::scalar(0i64);
                let out = crate::ops::index::gather_kernel(value, indices, &axis, 0)?;
                Ok(smallvec::smallvec![out])
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
        for t in SCATTER_TYPES {
            r.not_differentiable(t);
        }
        r.builtin("ResourceGather", resource_gather_grad);
    }
}

/// The variable `old` with rows `indices` (along dim 0) added to, subtracted from or
/// replaced by the matching rows of `updates` (`indices.shape + old.shape[1:]`). Duplicate
/// indices accumulate for add/sub, as TF's kernels do; for update the last one wins.
fn scatter_rows(kind: u8, old: &Value, indices: &Value, updates: &Value) -> Result<Value> {
    let vs = old.shape();
    if vs.is_empty() {
        return Err(Error::op_invalid("params must be at least 1 dimensional"));
    }
    if updates.dtype() != old.dtype() {
        return Err(Error::op_invalid(format!(
            "Trying to update variable with wrong dtype. Expected {} got {}",
            old.dtype().tf_short_name(),
            updates.dtype().tf_short_name()
        )));
    }
    let ids = indices.to_i64_vec()?;
    let limit = vs[0];
    let row: usize = vs[1..].iter().product();
    let mut want: Vec<usize> = indices.shape().to_vec();
    want.extend_from_slice(&vs[1..]);
    let scalar_update = updates.shape().is_empty();
    if !scalar_update && updates.shape() != want.as_slice() {
        return Err(Error::op_invalid(format!(
            "updates.shape {} must equal indices.shape + params.shape[1:] {}",
            Shape::known(updates.shape()).bracketed(),
            Shape::known(&want).bracketed()
        )));
    }
    for (pos, &idx) in ids.iter().enumerate() {
        if idx < 0 || idx as usize >= limit {
            return Err(Error::op_invalid(format!(
                "indices[{pos}] = {idx} is not in [0, {limit})"
            )));
        }
    }
    let mut data = old.to_f64_vec();
    let upd = updates.to_f64_vec();
    for (pos, &idx) in ids.iter().enumerate() {
        let base = idx as usize * row;
        for k in 0..row {
            let u = if scalar_update {
                upd[0]
            } else {
                upd[pos * row + k]
            };
            let slot = &mut data[base + k];
            *slot = match kind {
                0 => *slot + u,
                1 => *slot - u,
                _ => u,
            };
        }
    }
    let dtype = old.dtype();
    let out = Value::from_vec(vs, data)?;
    Ok(if dtype == DType::F64 {
        out
    } else {
        out.cast(dtype)
    })
}

/// TF's `_GatherGrad` for `ResourceGather`: an IndexedSlices into the variable (its handle
/// input), values = grad with the indices flattened, dense_shape = the variable's shape.
fn resource_gather_grad(
    ctx: &crate::grad::GradCtx<'_>,
    grads: &[Option<crate::grad::Grad>],
) -> Result<Vec<Option<crate::grad::Grad>>> {
    use crate::ops::{array, source};
    let g = ctx.graph;
    let (handle, indices) = (ctx.input(0)?, ctx.input(1)?);
    let dtype = match state_op(&ctx.kind) {
        Some(StateOp::ResourceGather { dtype, .. }) => *dtype,
        _ => return Err(Error::internal("ResourceGather gradient on another op")),
    };
    let grad = ctx.grad(grads, 0)?;
    let handle_op = g.read().node(handle.node).map(|n| n.op.clone());
    let var_shape = match handle_op.as_ref().and_then(state_op) {
        Some(StateOp::VarHandleOp { shape, .. }) => shape.clone(),
        _ => Shape::unknown(),
    };
    let params_shape = match var_shape.dims() {
        Some(d) if var_shape.num_elements().is_some() => {
            let ints: Vec<i64> = d.iter().map(|x| x.unwrap_or(0) as i64).collect();
            source::const_value(
                g,
                Value::int_vector(DType::I32, &ints),
                Some("VariableShape"),
            )?
        }
        _ => {
            let read = read_variable(g, handle, dtype, None)?;
            array::shape_of(g, read, DType::I32, None)?
        }
    };
    let size = array::size(g, indices, DType::I32)?;
    let indices_size = array::expand_dims(g, size, 0)?;
    let tail = crate::ops::index::vector_slice(g, params_shape, 1, None)?;
    let values_shape = crate::ops::index::concat_ints(g, &[indices_size, tail])?;
    let values = array::reshape_t(g, grad, values_shape)?;
    let flat_indices = array::reshape_t(g, indices, indices_size)?;
    Ok(vec![
        Some(crate::grad::Grad::Sparse(crate::grad::IndexedSlices {
            values,
            indices: flat_indices,
            dense_shape: Some(params_shape),
        })),
        None,
    ])
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

fn state_op(kind: &OpKind) -> Option<&StateOp> {
    match kind {
        OpKind::State(op) => Some(op),
        _ => None,
    }
}

/// The variable's static shape when input 0 comes straight from a `VarHandleOp`, checking
/// that the op's `dtype` is the variable's.
fn handle_meta(ctx: &InferCtx<'_>, dtype: DType) -> Result<Shape> {
    check_handle(ctx)?;
    let Some(t) = ctx.inputs.first() else {
        return Ok(Shape::unknown());
    };
    if let Some(node) = ctx.graph.node(t.node) {
        if let Some(StateOp::VarHandleOp {
            dtype: var_dtype,
            shape,
            ..
        }) = state_op(&node.op)
        {
            if *var_dtype != dtype {
                return Err(Error::type_error(format!(
                    "'{}' uses variable '{}' of dtype {var_dtype} as dtype {dtype}",
                    ctx.name,
                    ctx.graph.op_name(node)
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
        OpKind::State(Box::new(StateOp::VarHandleOp {
            dtype,
            shape,
            shared_name: name.to_string(),
            container: String::new(),
        })),
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
        OpKind::State(Box::new(StateOp::ReadVariableOp { dtype })),
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
        op: OpKind::State(Box::new(op)),
        inputs: &[handle, value],
        name,
    })
}

/// `VarIsInitializedOp(handle)`: whether the variable has a value in the session.
pub fn var_is_initialized(g: &Graph, handle: Tensor, name: Option<&str>) -> Result<Tensor> {
    g.add1(
        OpKind::State(Box::new(StateOp::VarIsInitializedOp)),
        &[handle],
        name,
    )
}

/// `ResourceScatterAdd/Sub/Update(handle, indices, updates)` by op type name.
pub fn resource_scatter(
    g: &Graph,
    op_type: &str,
    handle: Tensor,
    indices: Tensor,
    updates: Tensor,
    name: Option<&str>,
) -> Result<OpRef> {
    let dtype = g.dtype(updates)?;
    let kind = SCATTER_TYPES
        .iter()
        .position(|t| *t == op_type)
        .ok_or_else(|| Error::invalid(format!("{op_type} is not a scatter op")))?;
    g.add_op(OpSpec {
        op: OpKind::State(Box::new(StateOp::ResourceScatter {
            kind: kind as u8,
            dtype,
        })),
        inputs: &[handle, indices, updates],
        name,
    })
}

/// `ResourceGather(handle, indices)`: rows of the variable along dim 0.
pub fn resource_gather(
    g: &Graph,
    handle: Tensor,
    indices: Tensor,
    dtype: DType,
    name: Option<&str>,
) -> Result<Tensor> {
    g.add1(
        OpKind::State(Box::new(StateOp::ResourceGather {
            dtype,
            batch_dims: 0,
            validate_indices: true,
        })),
        &[handle, indices],
        name,
    )
}
