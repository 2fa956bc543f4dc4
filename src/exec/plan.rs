//! Execution plans: which ops a run needs, in what order, and where each value lives.

use crate::error::{Error, Result};
use crate::graph::{GraphData, Metas, NodeId, OpRef, Tensor};
use crate::ops::flow::FlowOp;
use crate::ops::OpKind;
use crate::shape::Shape;
use crate::value::Value;
use rustc_hash::{FxHashMap, FxHashSet};
use smallvec::SmallVec;
use std::sync::Mutex;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlanKey {
    graph_version: u64,
    fetches: Vec<Tensor>,
    targets: Vec<NodeId>,
    feeds: Vec<Tensor>,
}

impl PlanKey {
    pub fn new(
        data: &GraphData,
        fetches: &[Tensor],
        targets: &[OpRef],
        feeds: &[(Tensor, Value)],
    ) -> Self {
        PlanKey {
            graph_version: data.version(),
            fetches: fetches.to_vec(),
            targets: targets.iter().map(|t| t.node).collect(),
            feeds: feeds.iter().map(|(t, _)| *t).collect(),
        }
    }
}

pub enum Source {
    Slot(usize),
}

/// One input of a step: the slot it reads, and whether this is the slot's last read in the
/// plan (then the value is moved out, so a kernel can reuse its buffer).
#[derive(Debug, Clone, Copy)]
pub struct Read {
    pub slot: usize,
    pub last: bool,
}

pub struct Step {
    pub node: NodeId,
    pub name: Box<str>,
    pub op: OpKind,
    pub inputs: SmallVec<[Read; 2]>,
    /// Where each output goes; `None` when nothing reads it.
    pub outputs: SmallVec<[Option<usize>; 1]>,
    pub metas: Metas,
    /// Set when this step stands for a fused group of elementwise steps.
    pub fused: Option<Box<super::fuse::Fused>>,
    /// The compiled functions of a `While` step.
    pub loop_plans: Option<Box<super::loops::LoopPlans>>,
}

/// What the executor needs to propagate dead values: per step, the steps (by index) it has
/// a control dependency on.
pub struct Dataflow {
    pub controls: Vec<SmallVec<[u32; 2]>>,
}

impl Dataflow {
    /// `Some` when `steps` hold a `Switch` or `Merge`.
    fn of(data: &GraphData, steps: &[Step]) -> Result<Option<Box<Dataflow>>> {
        let makes_dead = |op: &OpKind| matches!(op, OpKind::Flow(f) if matches!(**f, FlowOp::Switch | FlowOp::Merge));
        if !steps.iter().any(|s| makes_dead(&s.op)) {
            return Ok(None);
        }
        let index: FxHashMap<NodeId, u32> = steps
            .iter()
            .enumerate()
            .map(|(k, s)| (s.node, k as u32))
            .collect();
        let mut controls = Vec::with_capacity(steps.len());
        for step in steps {
            let n = data
                .node(step.node)
                .ok_or_else(|| Error::internal(format!("missing op {}", step.node)))?;
            controls.push(
                n.control_inputs()
                    .iter()
                    .filter_map(|c| index.get(c).copied())
                    .collect(),
            );
        }
        Ok(Some(Box::new(Dataflow { controls })))
    }
}

pub struct Plan {
    pub steps: Vec<Step>,
    pub num_slots: usize,
    /// (slot, index into the feeds) for fed tensors.
    pub fed_slots: Vec<(usize, usize)>,
    pub fetch_sources: Vec<Source>,
    /// Set when the plan holds a `Switch` or `Merge`: its values can then be dead.
    pub dataflow: Option<Box<Dataflow>>,
    /// The slot vector of a finished run, all empty, kept for the next run of this plan.
    spare_slots: Mutex<Option<Vec<Option<Value>>>>,
}

impl Plan {
    /// How many graph ops a run executes (a fused step counts its members).
    pub fn op_count(&self) -> usize {
        self.steps
            .iter()
            .map(|s| s.fused.as_ref().map_or(1, |f| f.members.len()))
            .sum()
    }

    /// An all-empty slot vector: the one the last run left, or a new one when another run
    /// holds it.
    pub fn take_slots(&self) -> Vec<Option<Value>> {
        let spare = self
            .spare_slots
            .lock()
            .map(|mut s| s.take())
            .unwrap_or(None);
        spare.unwrap_or_else(|| vec![None; self.num_slots])
    }

    /// Hands back a slot vector whose entries are all empty.
    pub fn return_slots(&self, slots: Vec<Option<Value>>) {
        if let Ok(mut spare) = self.spare_slots.lock() {
            *spare = Some(slots);
        }
    }
}

/// TF's feed checks, before anything runs: the dtype must be the tensor's and the shape
/// compatible with its static shape (`ValueError`).
pub fn validate_feeds(data: &GraphData, feeds: &[(Tensor, Value)]) -> Result<()> {
    for (t, v) in feeds {
        let meta = data.meta(*t)?;
        if v.dtype() != meta.dtype {
            return Err(Error::invalid(format!(
                "Cannot feed a value of dtype {} for Tensor {}, which has dtype {}",
                v.dtype(),
                data.tensor_label(*t),
                meta.dtype
            )));
        }
        let shape = Shape::known(v.shape());
        if !meta.shape.is_compatible_with(&shape) {
            return Err(Error::invalid(format!(
                "Cannot feed value of shape {} for Tensor {}, which has shape {}",
                shape,
                data.tensor_label(*t),
                meta.shape
            )));
        }
    }
    Ok(())
}

impl Plan {
    pub fn build(
        data: &GraphData,
        fetches: &[Tensor],
        targets: &[OpRef],
        fed: &[Tensor],
    ) -> Result<Plan> {
        Plan::build_with(data, fetches, targets, fed, super::fuse::enabled())
    }

    /// `build`, with elementwise fusion on or off.
    pub fn build_with(
        data: &GraphData,
        fetches: &[Tensor],
        targets: &[OpRef],
        fed: &[Tensor],
        fuse: bool,
    ) -> Result<Plan> {
        for t in fetches {
            data.check_tensor(*t)?;
        }
        for op in targets {
            data.node_checked(*op)?;
        }
        let fed: FxHashMap<Tensor, usize> = fed.iter().enumerate().map(|(i, t)| (*t, i)).collect();

        // Post-order DFS over data and control inputs, without recursion; fed tensors cut
        // the walk.
        let mut order: Vec<NodeId> = Vec::new();
        let mut state: FxHashMap<NodeId, bool> = FxHashMap::default(); // false: entered, true: done
        let mut stack: Vec<(NodeId, bool)> = Vec::new();
        for t in fetches.iter().rev() {
            if !fed.contains_key(t) {
                stack.push((t.node, false));
            }
        }
        for op in targets.iter().rev() {
            stack.push((op.node, false));
        }
        while let Some((node, expanded)) = stack.pop() {
            if expanded {
                if state.insert(node, true) != Some(true) {
                    order.push(node);
                }
                continue;
            }
            match state.get(&node) {
                Some(true) => continue,
                Some(false) => {
                    // Reached again while its inputs are still open: a cycle (cannot be built
                    // through the API, but the check keeps the executor honest).
                    continue;
                }
                None => {}
            }
            state.insert(node, false);
            stack.push((node, true));
            let n = data
                .node(node)
                .ok_or_else(|| Error::internal(format!("missing op {node}")))?;
            for c in n.control_inputs().iter().rev() {
                // A control dependency on an op whose outputs are all fed is met by the feed,
                // as in TF (e.g. `control_dependencies([placeholder])` with it fed).
                let fully_fed = data.node(*c).is_some_and(|cn| {
                    cn.num_outputs() > 0
                        && fed.keys().filter(|t| t.node == *c).count() == cn.num_outputs()
                });
                if !state.contains_key(c) && !fully_fed {
                    stack.push((*c, false));
                }
            }
            for t in n.inputs.iter().rev() {
                if !fed.contains_key(t) && !state.contains_key(&t.node) {
                    stack.push((t.node, false));
                }
            }
        }

        // Run in creation order. It is a topological order: an op's inputs and control inputs
        // exist before the op, and no API adds an input to an existing op. It is also the
        // order the program was written in, gradients() included, so each layer's backward
        // values are consumed and freed before the next layer's are made. The DFS order, led
        // by the first fetch, made the whole first gradient early and kept it live through the
        // rest: on the MLP gradient that peaked 1 MiB higher (tests/memory.rs).
        order.sort_unstable();

        // Slots: one per fed tensor and per computed output that something reads.
        let mut slot_of: FxHashMap<Tensor, usize> = FxHashMap::default();
        let mut uses: Vec<u32> = Vec::new();
        let mut fed_slots = Vec::new();
        let mut slot_for = |t: Tensor, uses: &mut Vec<u32>| -> usize {
            *slot_of.entry(t).or_insert_with(|| {
                uses.push(0);
                uses.len() - 1
            })
        };
        for (t, &i) in &fed {
            let s = slot_for(*t, &mut uses);
            fed_slots.push((s, i));
        }
        let in_plan: FxHashSet<NodeId> = order.iter().copied().collect();
        let mut steps = Vec::with_capacity(order.len());
        for &node in &order {
            let n = data
                .node(node)
                .ok_or_else(|| Error::internal(format!("missing op {node}")))?;
            let mut inputs = SmallVec::new();
            for t in &n.inputs {
                let s = slot_for(*t, &mut uses);
                uses[s] += 1;
                inputs.push(Read {
                    slot: s,
                    last: false,
                });
                if !fed.contains_key(t) && !in_plan.contains(&t.node) {
                    return Err(Error::internal("plan input not scheduled"));
                }
            }
            steps.push(Step {
                node,
                name: data.op_name(n).into(),
                op: n.op.clone(),
                inputs,
                outputs: SmallVec::new(),
                metas: data.output_metas(n),
                fused: None,
                loop_plans: match &n.op {
                    OpKind::Loop(w) => {
                        Some(Box::new(super::loops::LoopPlans::build(data, w, fuse)?))
                    }
                    _ => None,
                },
            });
        }
        let mut fetch_sources = Vec::with_capacity(fetches.len());
        let mut fetched = vec![false; uses.len()];
        for t in fetches {
            let s = slot_for(*t, &mut uses);
            if let Some(f) = fetched.get_mut(s) {
                *f = true;
            } else {
                fetched.resize(s + 1, false);
                fetched[s] = true;
            }
            fetch_sources.push(Source::Slot(s));
        }
        // The final read of a slot that is not fetched moves the value out.
        let mut seen = vec![false; uses.len()];
        for step in steps.iter_mut().rev() {
            for read in step.inputs.iter_mut().rev() {
                if !seen[read.slot] {
                    seen[read.slot] = true;
                    read.last = !fetched.get(read.slot).copied().unwrap_or(false);
                }
            }
        }
        for step in &mut steps {
            let n_out = step.metas.len();
            step.outputs = (0..n_out as u32)
                .map(|i| {
                    let t = Tensor {
                        graph: data.id(),
                        node: step.node,
                        index: i,
                    };
                    if fed.contains_key(&t) {
                        None // the fed value wins over the computed one
                    } else {
                        slot_of.get(&t).copied()
                    }
                })
                .collect();
        }
        let dataflow = Dataflow::of(data, &steps)?;
        // Fused groups assume every input is live; plans with dead values run op by op.
        if fuse && dataflow.is_none() {
            let mut metas = vec![None; uses.len()];
            for (t, &s) in &slot_of {
                metas[s] = data.meta(*t).ok().cloned();
            }
            fetched.resize(uses.len(), false);
            let facts = super::fuse::PlanFacts {
                reads: &uses,
                fetched: &fetched,
                metas: &metas,
            };
            steps = super::fuse::fuse(steps, &facts);
        }
        Ok(Plan {
            num_slots: uses.len(),
            steps,
            fed_slots,
            fetch_sources,
            dataflow,
            spare_slots: Mutex::new(None),
        })
    }
}
