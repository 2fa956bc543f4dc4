//! The executor: `Session::run` prunes the graph to what the fetches need, runs each op
//! once in dependency order, and drops each buffer after its last use. Plans are cached
//! per (graph version, fetches, targets, fed tensors).

mod plan;

use crate::error::{Code, Error, Result};
use crate::graph::{Graph, NodeId, OpRef, Tensor};
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

    fn run_inner(
        &self,
        fetches: &[Tensor],
        targets: &[OpRef],
        feeds: &[(Tensor, Value)],
    ) -> Result<Vec<Value>> {
        let plan = self.plan(fetches, targets, feeds)?;
        execute(&plan, feeds, &self.state)
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
        let p = Arc::new(Plan::build(&data, fetches, targets, feeds)?);
        if cache.len() > 256 {
            cache.clear();
        }
        cache.insert(key, p.clone());
        Ok(p)
    }
}

fn execute(plan: &Plan, feeds: &[(Tensor, Value)], state: &SessionState) -> Result<Vec<Value>> {
    let mut slots: Vec<Option<Value>> = vec![None; plan.num_slots];
    let mut remaining: Vec<u32> = plan.uses.clone();
    for (slot, feed_index) in &plan.fed_slots {
        slots[*slot] = feeds.get(*feed_index).map(|(_, v)| v.clone());
    }
    let mut inputs: SmallVec<[Value; 4]> = SmallVec::new();
    for step in &plan.steps {
        inputs.clear();
        for &slot in &step.inputs {
            remaining[slot] = remaining[slot].saturating_sub(1);
            let v = if remaining[slot] == 0 {
                slots[slot].take()
            } else {
                slots[slot].clone()
            };
            inputs.push(v.ok_or_else(|| {
                Error::internal(format!("input of '{}' was not computed", step.name))
            })?);
        }
        let ctx = KernelCtx {
            name: &step.name,
            node: step.node,
            state,
        };
        // Caught per step as well as per run, so the InternalError names the op.
        let outputs = catch_unwind(AssertUnwindSafe(|| step.op.compute(&ctx, &inputs)))
            .unwrap_or_else(|panic| {
                Err(Error::internal(format!(
                    "internal error while running the graph: {}",
                    panic_text(panic.as_ref())
                )))
            })
            .map_err(|e| attribute(e, step))?;
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
            if value.dtype() != meta.dtype
                || !meta
                    .shape
                    .is_compatible_with(&crate::shape::Shape::known(value.shape()))
            {
                return Err(attribute(
                    Error::op_invalid(format!(
                        "computed a {} tensor of shape {:?}, but the graph declares {} with shape {}",
                        value.dtype(),
                        value.shape(),
                        meta.dtype,
                        meta.shape
                    )),
                    step,
                ));
            }
            if let Some(slot) = slot {
                slots[*slot] = Some(value);
            }
        }
    }
    plan.fetch_sources
        .iter()
        .map(|src| {
            let slot = match src {
                Source::Slot(s) => *s,
            };
            slots[slot]
                .clone()
                .ok_or_else(|| Error::internal("fetched value missing"))
        })
        .collect()
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
