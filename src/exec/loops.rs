//! Running `While` ops (ops/while_loop.rs). A loop's cond and body functions are compiled
//! into plans once, when the plan holding the loop is built (and cached with it); a run then
//! feeds the loop variables to the cond plan and, while it holds, to the body plan, whose
//! fetches are the next values. Iterations are a Rust `loop`: no stack grows with their
//! number. Nested loops nest plans, so only the nesting depth written in the program
//! recurses.

use super::plan::Plan;
use super::{execute, SessionState};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::graph::{GraphData, Metas};
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
            body: Plan::build_with(data, &body_fetches(w), &[], &w.body.args, fuse)?,
        })
    }
}

/// What the body plan computes: the body's results, then the values its random ops drew
/// when the loop records them.
fn body_fetches(w: &WhileOp) -> Vec<crate::graph::Tensor> {
    let mut fetches = w.body.outputs.clone();
    if w.accumulates {
        fetches.extend_from_slice(&w.recorded);
    }
    fetches
}

/// Runs the loop from `vars` (the op's inputs) and returns the op's outputs (`metas`).
pub(super) fn run(
    plans: &LoopPlans,
    w: &WhileOp,
    metas: &Metas,
    vars: Vec<Value>,
    state: &SessionState,
) -> Result<Outputs> {
    let m = vars.len();
    let mut vars = vars;
    let mut stacks: Vec<Vec<Value>> = vec![Vec::new(); w.accumulated.len()];
    let mut collected: Vec<Vec<Value>> = vec![Vec::new(); w.collected];
    let recorded_len = if w.accumulates { w.recorded.len() } else { 0 };
    let mut recorded: Vec<Vec<Value>> = vec![Vec::new(); recorded_len];
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
        let drawn = vars.split_off((m + w.collected).min(vars.len()));
        for (rows, value) in recorded.iter_mut().zip(drawn) {
            rows.push(value);
        }
        let results = vars.split_off(m.min(vars.len()));
        for (rows, value) in collected.iter_mut().zip(results) {
            rows.push(value);
        }
        count = count
            .checked_add(1)
            .ok_or_else(|| Error::op_invalid("While loop ran more than 2**31 - 1 iterations"))?;
    }
    let mut outputs: Outputs = vars.into_iter().collect();
    for (r, rows) in collected.into_iter().enumerate() {
        let meta = metas
            .get(m + r)
            .ok_or_else(|| Error::internal("collected result out of range"))?;
        let row = static_row(&meta.shape);
        let mismatch = |first: &[usize], other: &[usize]| {
            Error::op_invalid(format!(
                "Could not write to TensorArray index because the value shape is {other:?} \
                 which is incompatible with the TensorArray's inferred element shape: \
                 {first:?} (per-iteration result {r} of a while_loop)"
            ))
        };
        outputs.push(stacked(rows, meta.dtype, &row, mismatch)?);
    }
    if w.accumulates {
        outputs.push(Value::scalar(count));
        for (stack, &j) in stacks.into_iter().zip(&w.accumulated) {
            let last = outputs
                .get(j)
                .ok_or_else(|| Error::internal("accumulated loop variable out of range"))?;
            let (dtype, row) = (last.dtype(), last.shape().to_vec());
            let changed = |first: &[usize], _: &[usize]| {
                Error::op(
                    crate::error::Code::Unimplemented,
                    format!(
                        "symgrad differentiates a while_loop only when the shape of every \
                         loop variable it changes stays the same across iterations; loop \
                         variable {j} changed from {first:?} to another shape"
                    ),
                )
            };
            outputs.push(stacked(stack, dtype, &row, changed)?);
        }
        let first = outputs.len();
        for (r, rows) in recorded.into_iter().enumerate() {
            let meta = metas
                .get(first + r)
                .ok_or_else(|| Error::internal("recorded random value out of range"))?;
            let row = static_row(&meta.shape);
            let changed = |first: &[usize], other: &[usize]| {
                Error::op(
                    crate::error::Code::Unimplemented,
                    format!(
                        "symgrad differentiates a while_loop only when each random op in its \
                         body draws the same shape in every iteration; random value {r} \
                         changed from {first:?} to {other:?}"
                    ),
                )
            };
            outputs.push(stacked(rows, meta.dtype, &row, changed)?);
        }
    }
    Ok(outputs)
}

/// The row shape of a stacked output for a loop that ran no iteration: the static shape
/// after the first axis, its unknown dimensions as 0.
fn static_row(stacked: &crate::shape::Shape) -> Vec<usize> {
    match stacked.dims() {
        Some(d) => d.iter().skip(1).map(|x| x.unwrap_or(0)).collect(),
        None => Vec::new(),
    }
}

/// `rows`, one per iteration, as one tensor with the iterations along a new first axis;
/// with no rows, an empty tensor of rows shaped `empty_row`. Rows of different shapes are
/// the error `mismatch(first, other)`.
fn stacked(
    rows: Vec<Value>,
    dtype: DType,
    empty_row: &[usize],
    mismatch: impl Fn(&[usize], &[usize]) -> Error,
) -> Result<Value> {
    let Some(first) = rows.first() else {
        let mut dims = vec![0];
        dims.extend_from_slice(empty_row);
        return Ok(Value::zeros(dtype, &dims));
    };
    if let Some(other) = rows.iter().find(|r| r.shape() != first.shape()) {
        return Err(mismatch(first.shape(), other.shape()));
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
