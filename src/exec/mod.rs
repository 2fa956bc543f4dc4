//! The executor: `Session::run` prunes the graph to what the fetches need, runs each op
//! once in dependency order, and drops each buffer after its last use. Plans are cached
//! per (graph version, fetches, targets, fed tensors).

mod fuse;
mod loops;
mod plan;

use crate::dtype::DType;
use crate::error::{Code, Error, Result};
use crate::graph::{Graph, NodeId, OpRef, Tensor, TensorMeta};
use crate::ops::flow::{self, FlowOp};
use crate::ops::{binary, unary, Inputs, OpKind};
use crate::value::Value;
use plan::{Plan, PlanKey, Source};
use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// What lives in a session beyond one run: variable values and random-number streams.
#[derive(Debug, Default)]
pub struct SessionState {
    /// Variable values, by the variable's shared name.
    pub variables: RwLock<FxHashMap<String, Value>>,
    /// Per random op, how many numbers its stream has handed out so far.
    pub rng_counters: Mutex<FxHashMap<NodeId, u64>>,
}

/// What a kernel sees besides its inputs.
pub struct KernelCtx<'a> {
    /// The op's name, for messages.
    pub name: &'a str,
    pub node: NodeId,
    pub state: &'a SessionState,
    /// The op's declared outputs (a kernel computing half in f32 rounds to these).
    pub metas: &'a [TensorMeta],
}

/// Runs a graph. Safe to share between threads: runs do not block each other.
pub struct Session {
    graph: Graph,
    closed: AtomicBool,
    plans: Mutex<FxHashMap<PlanKey, Arc<Plan>>>,
    state: SessionState,
}

impl Session {
    pub fn new(graph: &Graph) -> Session {
        Session {
            graph: graph.clone(),
            closed: AtomicBool::new(false),
            plans: Mutex::new(FxHashMap::default()),
            state: SessionState::default(),
        }
    }

    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Variable values and random streams of this session.
    pub fn state(&self) -> &SessionState {
        &self.state
    }

    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Computes `fetches` (and runs `targets` for their effects) given `feeds`.
    pub fn run(&self, fetches: &[Tensor], feeds: &[(Tensor, Value)]) -> Result<Vec<Value>> {
        self.run_with_targets(fetches, &[], feeds)
    }

    pub fn run_with_targets(
        &self,
        fetches: &[Tensor],
        targets: &[OpRef],
        feeds: &[(Tensor, Value)],
    ) -> Result<Vec<Value>> {
        if self.is_closed() {
            return Err(Error::runtime("Attempted to use a closed Session."));
        }
        // A kernel bug must surface as an error, never abort the host process.
        match catch_unwind(AssertUnwindSafe(|| self.run_inner(fetches, targets, feeds))) {
            Ok(r) => r,
            Err(panic) => Err(Error::op(
                Code::Internal,
                format!(
                    "internal error while running the graph: {}",
                    panic_text(panic.as_ref())
                ),
            )),
        }
    }

    /// How many ops a run of `fetches` given `feeds` executes (after pruning), for
    /// per-op figures.
    pub fn executed_ops(&self, fetches: &[Tensor], feeds: &[(Tensor, Value)]) -> Result<usize> {
        Ok(self.plan(fetches, &[], feeds)?.op_count())
    }

    fn run_inner(
        &self,
        fetches: &[Tensor],
        targets: &[OpRef],
        feeds: &[(Tensor, Value)],
    ) -> Result<Vec<Value>> {
        let plan = self.plan(fetches, targets, feeds)?;
        execute(
            &plan,
            &|i| feeds.get(i).map(|(_, v)| v.clone()),
            &self.state,
        )
    }

    fn plan(
        &self,
        fetches: &[Tensor],
        targets: &[OpRef],
        feeds: &[(Tensor, Value)],
    ) -> Result<Arc<Plan>> {
        let data = self.graph.read();
        plan::validate_feeds(&data, feeds)?;
        let key = PlanKey::new(&data, fetches, targets, feeds);
        let mut cache = self.plans.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = cache.get(&key) {
            return Ok(p.clone());
        }
        let fed: SmallVec<[Tensor; 4]> = feeds.iter().map(|(t, _)| *t).collect();
        let p = Arc::new(Plan::build(&data, fetches, targets, &fed)?);
        if cache.len() > 256 {
            cache.clear();
        }
        cache.insert(key, p.clone());
        Ok(p)
    }
}

/// A plan built once for fixed fetches and fed tensors, for callers that run the same
/// computation many times with new values (eager functions): no plan-cache lookup per run.
pub struct PreparedRun {
    plan: Plan,
}

impl PreparedRun {
    pub fn new(
        graph: &Graph,
        fetches: &[Tensor],
        targets: &[OpRef],
        fed: &[Tensor],
    ) -> Result<PreparedRun> {
        let data = graph.read();
        Ok(PreparedRun {
            plan: Plan::build(&data, fetches, targets, fed)?,
        })
    }

    /// `values[i]` feeds `fed[i]`; the caller guarantees their dtypes and shapes.
    pub fn run(&self, values: &[Value], state: &SessionState) -> Result<Vec<Value>> {
        match catch_unwind(AssertUnwindSafe(|| {
            execute(&self.plan, &|i| values.get(i).cloned(), state)
        })) {
            Ok(r) => r,
            Err(_) => Err(Error::op(
                Code::Internal,
                "internal error while running an eager function",
            )),
        }
    }
}

fn execute(
    plan: &Plan,
    feed: &dyn Fn(usize) -> Option<Value>,
    state: &SessionState,
) -> Result<Vec<Value>> {
    let mut slots = plan.take_slots();
    let result = run_steps(plan, &mut slots, feed, state);
    match &result {
        // Only fed and fetched slots can still hold a value: every other one was moved out
        // at its last read.
        Ok(_) => {
            for (slot, _) in &plan.fed_slots {
                slots[*slot] = None;
            }
            for Source::Slot(slot) in &plan.fetch_sources {
                slots[*slot] = None;
            }
        }
        Err(_) => slots.iter_mut().for_each(|s| *s = None),
    }
    plan.return_slots(slots);
    result
}

/// Runs the plan's steps in order over `slots` (all empty on entry) and collects the
/// fetches. Everything per step is precomputed in the plan; the loop only moves values.
fn run_steps(
    plan: &Plan,
    slots: &mut [Option<Value>],
    feed: &dyn Fn(usize) -> Option<Value>,
    state: &SessionState,
) -> Result<Vec<Value>> {
    for (slot, feed_index) in &plan.fed_slots {
        slots[*slot] = feed(*feed_index);
    }
    if let Some(flow) = &plan.dataflow {
        return run_dataflow(plan, flow, slots, state);
    }
    let mut inputs = Inputs::new();
    for step in &plan.steps {
        match &step.fused {
            Some(group) if !group.run(slots) => {
                for member in &group.members {
                    run_step(member, slots, &mut inputs, state)?;
                }
            }
            Some(_) => {}
            None => run_step(step, slots, &mut inputs, state)?,
        }
    }
    plan.fetch_sources
        .iter()
        .map(|Source::Slot(slot)| {
            slots[*slot]
                .clone()
                .ok_or_else(|| Error::internal("fetched value missing"))
        })
        .collect()
}

/// `run_steps` for plans with `Switch`/`Merge`: TF's dead-value rules. A `Switch` leaves
/// its untaken output dead; an op with a dead data or control input is skipped and its
/// outputs are dead; a `Merge` forwards its first live input and is dead only when all
/// are. Fetching a dead value is an error.
fn run_dataflow(
    plan: &Plan,
    flow: &plan::Dataflow,
    slots: &mut [Option<Value>],
    state: &SessionState,
) -> Result<Vec<Value>> {
    let mut dead_slot = vec![false; plan.num_slots];
    let mut dead_step = vec![false; plan.steps.len()];
    let mut inputs = Inputs::new();
    for (k, step) in plan.steps.iter().enumerate() {
        let control_dead = flow
            .controls
            .get(k)
            .is_some_and(|c| c.iter().any(|&j| dead_step[j as usize]));
        let flow_op = match &step.op {
            OpKind::Flow(f) => Some(f.as_ref()),
            _ => None,
        };
        let is_merge = matches!(flow_op, Some(FlowOp::Merge));
        let dead = control_dead
            || if is_merge {
                step.inputs.iter().all(|r| dead_slot[r.slot])
            } else {
                step.inputs.iter().any(|r| dead_slot[r.slot])
            };
        if dead {
            for read in &step.inputs {
                if read.last {
                    slots[read.slot] = None;
                }
            }
            for slot in step.outputs.iter().flatten() {
                dead_slot[*slot] = true;
            }
            dead_step[k] = true;
            continue;
        }
        match flow_op {
            Some(FlowOp::Switch) => {
                let data = read_input(step, slots, 0)?;
                let pred = read_input(step, slots, 1)?;
                let taken = flow::switch_output(&pred).map_err(|e| attribute(e, step))?;
                for (i, slot) in step.outputs.iter().enumerate() {
                    if let Some(slot) = slot {
                        if i == taken {
                            slots[*slot] = Some(data.clone());
                        } else {
                            dead_slot[*slot] = true;
                        }
                    }
                }
            }
            Some(FlowOp::Merge) => {
                let mut chosen: Option<(usize, Value)> = None;
                for (i, read) in step.inputs.iter().enumerate() {
                    if dead_slot[read.slot] {
                        continue;
                    }
                    let value = read_input(step, slots, i)?;
                    if chosen.is_none() {
                        chosen = Some((i, value));
                    }
                }
                let (index, value) = chosen
                    .ok_or_else(|| attribute(Error::internal("Merge without input"), step))?;
                let index = Value::scalar(i32::try_from(index).unwrap_or(i32::MAX));
                for (slot, value) in step.outputs.iter().zip([value, index]) {
                    if let Some(slot) = slot {
                        slots[*slot] = Some(value);
                    }
                }
            }
            _ => run_step(step, slots, &mut inputs, state)?,
        }
    }
    plan.fetch_sources
        .iter()
        .enumerate()
        .map(|(i, Source::Slot(slot))| {
            if dead_slot[*slot] {
                return Err(Error::op_invalid(format!(
                    "Retval[{i}] does not have value"
                )));
            }
            slots[*slot]
                .clone()
                .ok_or_else(|| Error::internal("fetched value missing"))
        })
        .collect()
}

fn run_step(
    step: &plan::Step,
    slots: &mut [Option<Value>],
    inputs: &mut Inputs,
    state: &SessionState,
) -> Result<()> {
    // Elementwise ops and constants, most of a gradient graph, skip the kernel's input
    // and output vectors: every move of a `Value` through them costs on tiny tensors.
    if let Some(value) = run_single(step, slots)? {
        return store_single(step, slots, value);
    }
    inputs.clear();
    for i in 0..step.inputs.len() {
        inputs.push(read_input(step, slots, i)?);
    }
    let ctx = KernelCtx {
        name: &step.name,
        node: step.node,
        state,
        metas: &step.metas,
    };
    let outputs = match (&step.loop_plans, &step.op) {
        (Some(plans), OpKind::Loop(w)) => {
            loops::run(plans, w, &step.metas, inputs.drain(..).collect(), state)
                .map_err(|e| attribute(e, step))?
        }
        // Caught per step as well as per run, so the InternalError names the op.
        _ => catch_unwind(AssertUnwindSafe(|| step.op.compute_owned(&ctx, inputs)))
            .unwrap_or_else(|panic| {
                Err(Error::internal(format!(
                    "internal error while running the graph: {}",
                    panic_text(panic.as_ref())
                )))
            })
            .map_err(|e| attribute(e, step))?,
    };
    if outputs.len() != step.outputs.len() {
        return Err(attribute(
            Error::internal(format!(
                "kernel returned {} outputs, expected {}",
                outputs.len(),
                step.outputs.len()
            )),
            step,
        ));
    }
    for ((value, slot), meta) in outputs.into_iter().zip(&step.outputs).zip(&step.metas) {
        if !fits(meta, &value) {
            return Err(attribute(misfit(meta, &value), step));
        }
        if let Some(slot) = slot {
            slots[*slot] = Some(value);
        }
    }
    Ok(())
}

/// Reads input `i` of `step`: moved out at its last use, else shared.
fn read_input(step: &plan::Step, slots: &mut [Option<Value>], i: usize) -> Result<Value> {
    let value = match step.inputs.get(i) {
        Some(read) if read.last => slots[read.slot].take(),
        Some(read) => slots[read.slot].clone(),
        None => None,
    };
    value.ok_or_else(|| Error::internal(format!("input of '{}' was not computed", step.name)))
}

/// The one output of a unary, binary or `Const` step, computed without the generic kernel
/// call; `None` for every other step.
fn run_single(step: &plan::Step, slots: &mut [Option<Value>]) -> Result<Option<Value>> {
    // Half precision takes the generic path, which widens it (`ops::half`).
    if step.metas.first().is_some_and(|m| m.dtype == DType::F16) {
        return Ok(None);
    }
    let value = match (&step.op, step.inputs.len()) {
        (OpKind::Const { value }, 0) => Ok(Value::clone(value)),
        (OpKind::Unary(op), 1) => {
            let x = read_input(step, slots, 0)?;
            if x.dtype() == DType::F16 {
                // `IsNan` and friends: bool out, f32 in.
                unary::apply_owned(*op, crate::ops::half::widen(&x))
            } else {
                unary::apply_owned(*op, x)
            }
        }
        (OpKind::Binary(op), 2) => {
            let a = read_input(step, slots, 0)?;
            let b = read_input(step, slots, 1)?;
            if a.dtype() == DType::F16 {
                // A comparison of halves: bool out, f32 in.
                binary::apply_owned(
                    *op,
                    crate::ops::half::widen(&a),
                    crate::ops::half::widen(&b),
                )
            } else {
                binary::apply_owned(*op, a, b)
            }
        }
        _ => return Ok(None),
    };
    value.map(Some).map_err(|e| attribute(e, step))
}

fn store_single(step: &plan::Step, slots: &mut [Option<Value>], value: Value) -> Result<()> {
    let (Some(meta), [slot]) = (step.metas.first(), &step.outputs[..]) else {
        return Err(attribute(
            Error::internal("an elementwise op must have one output"),
            step,
        ));
    };
    if !fits(meta, &value) {
        return Err(attribute(misfit(meta, &value), step));
    }
    if let Some(slot) = slot {
        slots[*slot] = Some(value);
    }
    Ok(())
}

fn misfit(meta: &TensorMeta, value: &Value) -> Error {
    Error::op_invalid(format!(
        "computed a {} tensor of shape {:?}, but the graph declares {} with shape {}",
        value.dtype(),
        value.shape(),
        meta.dtype,
        meta.shape
    ))
}

/// Whether a computed value has the dtype and a shape compatible with what the graph
/// declares for it (checked without building a `Shape`: this runs for every op).
fn fits(meta: &TensorMeta, value: &Value) -> bool {
    if value.dtype() != meta.dtype {
        return false;
    }
    match &meta.shape.0 {
        None => true,
        Some(dims) => {
            let shape = value.shape();
            dims.len() == shape.len()
                && dims
                    .iter()
                    .zip(shape)
                    .all(|(d, &n)| d.is_none_or(|d| d == n))
        }
    }
}

/// The message a panic carried, when it is a string.
pub(crate) fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// Names the op in a run-time error, as TF appends `[[{{node name}}]]`.
fn attribute(e: Error, step: &plan::Step) -> Error {
    match e {
        Error::Op {
            code,
            op: None,
            message,
        } => Error::Op {
            code,
            op: Some(step.node),
            message: format!("{message}\n\t [[{{{{node {}}}}}]]", step.name),
        },
        other => other,
    }
}
