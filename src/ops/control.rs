//! Sums of many tensors, and the ops that only order execution: `NoOp`, `group`, `tuple`.

use super::{elementwise, InferCtx, Inputs, OpKind, Outputs};
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx, IndexedSlices};
use crate::graph::{Graph, Metas, OpRef, Tensor, TensorMeta};
use crate::value::Value;
use smallvec::{smallvec, SmallVec};

pub fn infer(op: &OpKind, ctx: &InferCtx<'_>) -> Result<Metas> {
    match op {
        OpKind::NoOp => {
            ctx.expect_inputs(0)?;
            Ok(SmallVec::new())
        }
        OpKind::TestPanic => {
            ctx.expect_inputs(1)?;
            Ok(smallvec![ctx.input(0)?.clone()])
        }
        OpKind::AddN => {
            if ctx.num_inputs() == 0 {
                return Err(ctx.err("AddN expects at least one input"));
            }
            let first = ctx.input(0)?.clone();
            if first.dtype == crate::dtype::DType::Bool {
                return Err(Error::type_error("Value passed to parameter 'inputs' has DataType bool not in list of allowed values for AddN"));
            }
            let mut shape = first.shape.clone();
            for i in 1..ctx.num_inputs() {
                let m = ctx.input(i)?;
                if m.dtype != first.dtype {
                    return Err(Error::type_error(format!(
                        "Inputs to AddN must all have the same dtype: input {i} has {} but input 0 has {}",
                        m.dtype, first.dtype
                    )));
                }
                shape = shape.merge(&m.shape).map_err(|_| {
                    ctx.err(format!(
                        "Shapes must be equal: input 0 has shape {} and input {i} has shape {}",
                        first.shape, m.shape
                    ))
                })?;
            }
            Ok(smallvec![TensorMeta::new(first.dtype, shape)])
        }
        _ => Err(Error::internal("control::infer called for another op")),
    }
}

pub fn compute(op: &OpKind, inputs: &[Value]) -> Result<Outputs> {
    let mut owned: Inputs = inputs.iter().cloned().collect();
    compute_owned(op, &mut owned)
}

/// `compute` on inputs handed over: `AddN` accumulates into its first input's buffer when
/// the executor passed its last reference.
pub fn compute_owned(op: &OpKind, inputs: &mut Inputs) -> Result<Outputs> {
    match op {
        OpKind::NoOp => Ok(SmallVec::new()),
        // Deliberate: the one audited panic, the hook that proves a kernel panic reaches
        // callers as an InternalError naming the op (tests/python/test_bad_input.py).
        #[allow(clippy::panic)]
        OpKind::TestPanic => panic!("_SymgradTestPanic kernel called"),
        OpKind::AddN => {
            let first_shape = inputs
                .first()
                .ok_or_else(|| Error::internal("AddN without inputs"))?
                .shape();
            if let Some(v) = inputs.iter().find(|v| v.shape() != first_shape) {
                return Err(Error::op_invalid(format!(
                    "Inputs to operation AddN must have the same size and shape.  Input 0: {:?} != input: {:?}",
                    first_shape,
                    v.shape()
                )));
            }
            let mut terms = inputs.drain(..);
            let mut acc = terms
                .next()
                .ok_or_else(|| Error::internal("AddN without inputs"))?;
            for v in terms {
                acc = add_into(acc, &v)?;
            }
            Ok(smallvec![acc])
        }
        _ => Err(Error::internal("control::compute called for another op")),
    }
}

/// `acc + v`, into `acc`'s buffer when nothing else shares it; large tensors on all cores.
fn add_into(acc: Value, v: &Value) -> Result<Value> {
    macro_rules! go {
        ($a:expr, $b:expr, $wrap:path, |$x:ident, $y:ident| $body:expr) => {{
            $wrap(
                match elementwise::zip_same($a, $b.clone(), |$x, $y| $body) {
                    Ok(sum) => sum,
                    Err(operands) => {
                        let (mut a, b) = *operands;
                        a.zip_mut_with(&b, |acc, &$y| {
                            let $x = *acc;
                            *acc = $body
                        });
                        a
                    }
                },
            )
        }};
    }
    Ok(match (acc, v) {
        (Value::F32(a), Value::F32(b)) => go!(a, b, Value::F32, |x, y| x + y),
        (Value::F64(a), Value::F64(b)) => go!(a, b, Value::F64, |x, y| x + y),
        (Value::I8(a), Value::I8(b)) => go!(a, b, Value::I8, |x, y| x.wrapping_add(y)),
        (Value::I16(a), Value::I16(b)) => go!(a, b, Value::I16, |x, y| x.wrapping_add(y)),
        (Value::I32(a), Value::I32(b)) => go!(a, b, Value::I32, |x, y| x.wrapping_add(y)),
        (Value::I64(a), Value::I64(b)) => go!(a, b, Value::I64, |x, y| x.wrapping_add(y)),
        (Value::U8(a), Value::U8(b)) => go!(a, b, Value::U8, |x, y| x.wrapping_add(y)),
        (Value::C64(a), Value::C64(b)) => go!(a, b, Value::C64, |x, y| x + y),
        (Value::C128(a), Value::C128(b)) => go!(a, b, Value::C128, |x, y| x + y),
        (a, b) => {
            return Err(Error::op_invalid(format!(
                "AddN inputs must share a numeric dtype, got {} and {}",
                a.dtype(),
                b.dtype()
            )))
        }
    })
}

// ----- builders -----

/// `add_n(inputs)`: a single input is returned as it is (no op), as TF does.
pub fn add_n(g: &Graph, inputs: &[Tensor]) -> Result<Tensor> {
    match inputs {
        [] => Err(Error::invalid("inputs must be a list of at least one Tensor/IndexedSlices with the same dtype and shape")),
        [one] => Ok(*one),
        many => g.add1(OpKind::AddN, many, Some("AddN")),
    }
}

pub fn no_op(g: &Graph, name: Option<&str>) -> Result<OpRef> {
    g.add_op(crate::graph::OpSpec {
        op: OpKind::NoOp,
        inputs: &[],
        name: Some(name.unwrap_or("NoOp")),
    })
}

/// A `NoOp` that runs after every op in `deps` (TF's `group`).
pub fn group(g: &Graph, deps: &[OpRef], name: Option<&str>) -> Result<OpRef> {
    g.push_control_dependencies(Some(deps))?;
    let r = no_op(g, name);
    g.pop_control_dependencies();
    r
}

/// TF's `tuple` as the `gate_gradients` option uses it: every non-None gradient passes
/// through an `Identity` that waits on a `NoOp` depending on all of them.
pub fn gate(g: &Graph, grads: Vec<Option<Grad>>) -> Result<Vec<Option<Grad>>> {
    let (_, previous) = g.enter_name_scope(Some("tuple"));
    let r = gate_in_scope(g, &grads);
    g.set_name_scope(&previous);
    r
}

fn gate_in_scope(g: &Graph, grads: &[Option<Grad>]) -> Result<Vec<Option<Grad>>> {
    let gid = g.id();
    let mut deps: Vec<OpRef> = grads
        .iter()
        .flatten()
        .map(|gr| match gr {
            Grad::Dense(t) => t.op(),
            Grad::Sparse(s) => s.values.op(),
        })
        .collect();
    deps.sort_by_key(|o| o.node);
    deps.dedup();
    g.push_device(None);
    let gate = g.push_colocation(None, true).and_then(|_| {
        let r = group(g, &deps, Some("group_deps"));
        g.pop_colocation();
        r
    });
    g.pop_device();
    let gate = gate?;
    let mut out = Vec::with_capacity(grads.len());
    for gr in grads {
        out.push(match gr {
            None => None,
            Some(Grad::Dense(t)) => Some(Grad::Dense(with_dependency(g, gate, *t)?)),
            Some(Grad::Sparse(s)) => Some(Grad::Sparse(IndexedSlices {
                values: with_dependency(g, gate, s.values)?,
                ..*s
            })),
        });
    }
    let _ = gid;
    Ok(out)
}

/// `Identity(t)` named `control_dependency`, colocated with `t`, after `dep`.
fn with_dependency(g: &Graph, dep: OpRef, t: Tensor) -> Result<Tensor> {
    g.push_colocation(Some(t.op()), true)?;
    let r = g.push_control_dependencies(Some(&[dep])).and_then(|_| {
        let r = g.add1(OpKind::Identity, &[t], Some("control_dependency"));
        g.pop_control_dependencies();
        r
    });
    g.pop_colocation();
    r
}

// ----- gradients -----

fn add_n_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> Result<Vec<Option<Grad>>> {
    let g = grads.first().copied().flatten();
    Ok(vec![g; ctx.inputs.len()])
}

pub(crate) fn register_gradients(r: &mut GradRegistry) {
    r.builtin("AddN", add_n_grad);
    r.not_differentiable("NoOp");
}
