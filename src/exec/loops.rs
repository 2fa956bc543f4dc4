//! Running `While` ops (ops/while_loop.rs). A loop's cond and body functions are compiled
//! into plans once, when the plan holding the loop is built (and cached with it); a run then
//! feeds the loop variables to the cond plan and, while it holds, to the body plan, whose
//! fetches are the next values. Iterations are a Rust `loop`: no stack grows with their
//! number. Nested loops nest plans, so only the nesting depth written in the program
//! recurses.

use super::plan::Plan;
use super::{execute, SessionState};
use crate::error::{Error, Result};
use crate::graph::GraphData;
use crate::ops::while_loop::WhileOp;
use crate::ops::{array, OpKind, Outputs};
use crate::value::Value;
use std::cell::RefCell;

/// The compiled cond and body of one `While` op.
pub struct LoopPlans {
    cond: Plan,
    body: Plan,
}

impl LoopPlans {
    pub(super) fn build(data: &GraphData, w: &WhileOp, fuse: bool) -> Result<LoopPlans> {
        Ok(LoopPlans {
            cond: Plan::build_with(data, &w.cond.outputs, &[], &w.cond.args, fuse)?,
            body: Plan::build_with(data, &w.body.outputs, &[], &w.body.args, fuse)?,
        })
    }
}

/// Runs the loop from `vars` (the op's inputs) and returns the op's outputs.
pub(super) fn run(
    plans: &LoopPlans,
    w: &WhileOp,
    vars: Vec<Value>,
    state: &SessionState,
) -> Result<Outputs> {
    let mut vars = vars;
    let mut stacks: Vec<Vec<Value>> = vec![Vec::new(); w.accumulated.len()];
    let mut count: i32 = 0;
    loop {
        let pred = execute(&plans.cond, &|i| vars.get(i).cloned(), state)?;
        if !to_bool(pred.first())? {
            break;
        }
        for (stack, &j) in stacks.iter_mut().zip(&w.accumulated) {
            if let Some(v) = vars.get(j) {
                stack.push(v.clone());
            }
        }
        // The variables are handed over, so the body may reuse their buffers.
        let fed: RefCell<Vec<Option<Value>>> = RefCell::new(vars.into_iter().map(Some).collect());
        vars = execute(
            &plans.body,
            &|i| fed.borrow_mut().get_mut(i).and_then(Option::take),
            state,
        )?;
        count = count
            .checked_add(1)
            .ok_or_else(|| Error::op_invalid("While loop ran more than 2**31 - 1 iterations"))?;
    }
    let mut outputs: Outputs = vars.into_iter().collect();
    if w.accumulates {
        outputs.push(Value::scalar(count));
        for (stack, &j) in stacks.into_iter().zip(&w.accumulated) {
            let first = outputs
                .get(j)
                .ok_or_else(|| Error::internal("accumulated loop variable out of range"))?;
            outputs.push(stacked(stack, first, j)?);
        }
    }
    Ok(outputs)
}

/// The values of loop variable `j`, one per iteration, as one tensor with the iterations
/// along a new first axis.
fn stacked(rows: Vec<Value>, last: &Value, j: usize) -> Result<Value> {
    let Some(first) = rows.first() else {
        let mut dims = vec![0];
        dims.extend_from_slice(last.shape());
        return Ok(Value::zeros(last.dtype(), &dims));
    };
    if rows.iter().any(|r| r.shape() != first.shape()) {
        return Err(Error::op(
            crate::error::Code::Unimplemented,
            format!(
                "symgrad differentiates a while_loop only when the shape of every loop \
                 variable it changes stays the same across iterations; loop variable {j} \
                 changed from {:?} to another shape",
                first.shape()
            ),
        ));
    }
    let packed = array::compute(&OpKind::Pack { axis: 0 }, &rows)?;
    packed
        .into_iter()
        .next()
        .ok_or_else(|| Error::internal("Pack returned no output"))
}

/// TF's `ToBool` of a cond result: a scalar is true when non-zero, any other tensor when it
/// has elements.
fn to_bool(v: Option<&Value>) -> Result<bool> {
    let v = v.ok_or_else(|| Error::internal("a While cond returned nothing"))?;
    if !v.shape().is_empty() {
        return Ok(!v.is_empty());
    }
    Ok(v.to_f64_vec().first().is_some_and(|x| *x != 0.0))
}
