//! `gradients()`: symbolic reverse-mode differentiation, as TF's `_GradientsHelper`.
//!
//! Read top to bottom: (1) ops reachable forward from the xs through trainable tensors,
//! (2) of those, the ops that are ancestors of the ys ("between"), (3) for each between op,
//! how many between consumers it has, (4) seed the ys, (5) pop ops whose consumers have all
//! delivered (Kahn's order, FIFO, no recursion), sum each output's contributions, call the
//! op's registered gradient function, and hand each input its contribution, (6) read off
//! one entry per x.

mod aggregate;
mod hessians;
pub mod registry;
mod template;

pub use hessians::hessians;
pub(crate) use template::Templates;

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::graph::{Graph, NodeId, OpRef, SavedNameScope, Tensor};
use crate::ops::{self, OpKind};
use crate::shape::Shape;
use registry::GradEntry;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use std::collections::VecDeque;

/// A sparse gradient: rows `indices` of a tensor of shape `dense_shape` hold `values`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexedSlices {
    pub values: Tensor,
    pub indices: Tensor,
    pub dense_shape: Option<Tensor>,
}

/// One gradient: a dense tensor or an `IndexedSlices`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grad {
    Dense(Tensor),
    Sparse(IndexedSlices),
}

impl From<Tensor> for Grad {
    fn from(t: Tensor) -> Self {
        Grad::Dense(t)
    }
}

/// TF's `unconnected_gradients`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unconnected {
    #[default]
    None,
    Zero,
}

/// `gradients()` arguments beyond ys and xs, with TF's defaults.
#[derive(Debug, Clone, Default)]
pub struct GradientOptions {
    /// One seed per y (`None` entries get ones); `None` means all default.
    pub grad_ys: Option<Vec<Option<Grad>>>,
    /// Name scope for the new ops; `None` means "gradients".
    pub name: Option<String>,
    pub colocate_gradients_with_ops: bool,
    pub gate_gradients: bool,
    /// `AggregationMethod`: 0 (ADD_N, the default), 1 (EXPERIMENTAL_TREE),
    /// 2 (EXPERIMENTAL_ACCUMULATE_N).
    pub aggregation_method: Option<i64>,
    pub stop_gradients: Vec<Tensor>,
    pub unconnected_gradients: Unconnected,
}

/// What a gradient function sees of the op being differentiated.
pub struct GradCtx<'a> {
    pub graph: &'a Graph,
    pub op: OpRef,
    pub kind: OpKind,
    pub inputs: SmallVec<[Tensor; 2]>,
    pub num_outputs: usize,
}

impl GradCtx<'_> {
    pub fn input(&self, i: usize) -> Result<Tensor> {
        self.inputs
            .get(i)
            .copied()
            .ok_or_else(|| Error::invalid(format!("op has no input {i}")))
    }
    pub fn output(&self, i: usize) -> Tensor {
        self.op.output(i as u32)
    }
    pub fn shape(&self, t: Tensor) -> Result<Shape> {
        self.graph.shape(t)
    }
    pub fn dtype(&self, t: Tensor) -> Result<DType> {
        self.graph.dtype(t)
    }
    /// The incoming gradient of output `i` as a dense tensor (the traversal zero-fills
    /// float outputs, so this is present for them).
    pub fn grad(&self, grads: &[Option<Grad>], i: usize) -> Result<Tensor> {
        match grads.get(i).copied().flatten() {
            Some(g) => densify(self.graph, g),
            None => Err(Error::invalid(format!("missing gradient for output {i}"))),
        }
    }
}

/// Converts a gradient to a dense tensor.
pub fn densify(g: &Graph, grad: Grad) -> Result<Tensor> {
    densify_named(g, grad, "UnsortedSegmentSum")
}

/// `densify` with the sum of the slices named `name`.
pub(crate) fn densify_named(g: &Graph, grad: Grad, name: &str) -> Result<Tensor> {
    match grad {
        Grad::Dense(t) => Ok(t),
        Grad::Sparse(s) => {
            let shape = s.dense_shape.ok_or_else(|| {
                Error::invalid("Tensor conversion requested for IndexedSlices for argument `value` without dense_shape")
            })?;
            ops::index::densify_slices_named(g, s.values, s.indices, shape, name)
        }
    }
}

/// Restores the name scope (and pops any colocation) when a step of the traversal ends,
/// whether it succeeded or failed.
struct ScopeGuard<'a> {
    graph: &'a Graph,
    previous: SavedNameScope,
    colocations: usize,
}

impl<'a> ScopeGuard<'a> {
    fn enter(graph: &'a Graph, name: &str) -> Self {
        let previous = graph.push_name_scope(name);
        ScopeGuard {
            graph,
            previous,
            colocations: 0,
        }
    }
    fn keep(graph: &'a Graph) -> Self {
        ScopeGuard {
            graph,
            previous: SavedNameScope::named(graph.name_scope()),
            colocations: 0,
        }
    }
    fn colocate(&mut self, op: OpRef, ignore_existing: bool) -> Result<()> {
        self.graph.push_colocation(Some(op), ignore_existing)?;
        self.colocations += 1;
        Ok(())
    }
}

impl Drop for ScopeGuard<'_> {
    fn drop(&mut self) {
        for _ in 0..self.colocations {
            self.graph.pop_colocation();
        }
        self.graph
            .restore_name_scope(std::mem::take(&mut self.previous));
    }
}

/// The vector-Jacobian product `sum_k J(ys[k], x)^T grad_ys[k]` for each x, built as new
/// ops in the graph: one entry per x, `None` where x is not connected to any y.
pub fn gradients(
    g: &Graph,
    ys: &[Tensor],
    xs: &[Tensor],
    opts: &GradientOptions,
) -> Result<Vec<Option<Grad>>> {
    check_same_graph(g, ys, xs, opts)?;
    if let Some(seeds) = &opts.grad_ys {
        if seeds.len() != ys.len() {
            return Err(Error::invalid(format!(
                "Length mismatch. Passed {} grad_ys for {} ys",
                seeds.len(),
                ys.len()
            )));
        }
    }
    let caller_scope = ScopeGuard::keep(g);
    let results = {
        let _scope = ScopeGuard::enter(g, opts.name.as_deref().unwrap_or("gradients"));
        g.unique_name("uid", true);
        let seeds = build_seeds(g, ys, opts)?;
        backprop(g, ys, xs, seeds, opts)?
    };
    // TF builds the zeros for unconnected xs after leaving the gradient scope.
    let mut out = Vec::with_capacity(xs.len());
    for (x, r) in xs.iter().zip(results) {
        out.push(match (r, opts.unconnected_gradients) {
            (None, Unconnected::Zero) => Some(Grad::Dense(ops::array::zeros_like(g, *x)?)),
            (r, _) => r,
        });
    }
    drop(caller_scope);
    Ok(out)
}

fn check_same_graph(g: &Graph, ys: &[Tensor], xs: &[Tensor], opts: &GradientOptions) -> Result<()> {
    let seeds = opts
        .grad_ys
        .iter()
        .flatten()
        .flatten()
        .flat_map(|s| match s {
            Grad::Dense(t) => vec![*t],
            Grad::Sparse(s) => [Some(s.values), Some(s.indices), s.dense_shape]
                .into_iter()
                .flatten()
                .collect(),
        });
    let all: Vec<Tensor> = ys
        .iter()
        .chain(xs)
        .chain(&opts.stop_gradients)
        .copied()
        .chain(seeds)
        .collect();
    let data = g.read();
    for t in all {
        data.check_tensor(t).map_err(|_| {
            Error::invalid(format!(
                "Tensor {} must be from the same graph as the other inputs of gradients().",
                data.tensor_label(t)
            ))
        })?;
    }
    Ok(())
}

/// Seeds: `ones(shape(y))` named `grad_ys_i` by default, else `Identity(seed)`.
fn build_seeds(g: &Graph, ys: &[Tensor], opts: &GradientOptions) -> Result<Vec<Grad>> {
    let mut seeds = Vec::with_capacity(ys.len());
    for (i, &y) in ys.iter().enumerate() {
        let mut guard = ScopeGuard::keep(g);
        if opts.colocate_gradients_with_ops {
            guard.colocate(y.op(), false)?;
        }
        let given = opts
            .grad_ys
            .as_ref()
            .and_then(|s| s.get(i).copied().flatten());
        let y_meta = g.meta(y)?;
        let seed = match given {
            None if y_meta.dtype.is_complex() => {
                return Err(Error::type_error(format!(
                    "Gradients of complex tensors ({}) must set grad_ys (y.dtype = {})",
                    g.read().tensor_repr(y),
                    y_meta.dtype
                )));
            }
            None => {
                let shape = ops::array::shape_of(g, y, DType::I32, Some("Shape"))?;
                // TF's `ones(shape, name="grad_ys_i")`: a unique `grad_ys_i` scope holding
                // the scalar `Const`, and the `Fill` named after that scope.
                let (scope, previous) = g.enter_name_scope(Some(&format!("grad_ys_{i}")));
                let fill = ops::source::scalar_const(g, y_meta.dtype, 1.0, None, None)
                    .and_then(|one| g.add1(OpKind::Fill, &[shape, one], Some(&scope)));
                g.set_name_scope(&previous);
                Grad::Dense(fill?)
            }
            Some(Grad::Dense(t)) => {
                let m = g.meta(t)?;
                let label = |t: Tensor| g.read().tensor_repr(t);
                let real = |d: DType| d.is_floating() || d.is_integer();
                if real(y_meta.dtype) && !real(m.dtype) {
                    return Err(Error::type_error(format!(
                        "Gradient type {} generated for real or integer-valued tensor {} with type {} must be real or integer",
                        m.dtype,
                        label(y),
                        y_meta.dtype
                    )));
                }
                if y_meta.dtype.is_complex() && !m.dtype.is_complex() {
                    // "must be real" is TF's wording (it means complex).
                    return Err(Error::type_error(format!(
                        "Gradient type {} generated for complex-valued tensor {} with type {} must be real",
                        m.dtype,
                        label(y),
                        y_meta.dtype
                    )));
                }
                if m.dtype != y_meta.dtype {
                    return Err(Error::type_error(format!(
                        "grad_ys[{i}] {} has dtype {}, but it seeds y {} of dtype {}; a seed must have its y's dtype",
                        label(t),
                        m.dtype,
                        label(y),
                        y_meta.dtype
                    )));
                }
                if !m.shape.is_compatible_with(&y_meta.shape) {
                    return Err(Error::invalid(format!(
                        "grad_ys[{i}] {} has shape {}, incompatible with the shape {} of y {}",
                        label(t),
                        m.shape,
                        y_meta.shape,
                        label(y)
                    )));
                }
                Grad::Dense(g.add1(OpKind::Identity, &[t], Some(&format!("grad_ys_{i}")))?)
            }
            Some(Grad::Sparse(s)) => {
                let values = g.add1(
                    OpKind::Identity,
                    &[s.values],
                    Some(&format!("grad_ys_{i}_values")),
                )?;
                let indices = g.add1(
                    OpKind::Identity,
                    &[s.indices],
                    Some(&format!("grad_ys_{i}_indices")),
                )?;
                let dense_shape = match s.dense_shape {
                    Some(d) => {
                        Some(g.add1(OpKind::Identity, &[d], Some(&format!("grad_ys_{i}_shape")))?)
                    }
                    None => None,
                };
                Grad::Sparse(IndexedSlices {
                    values,
                    indices,
                    dense_shape,
                })
            }
        };
        seeds.push(seed);
    }
    Ok(seeds)
}

/// The static facts about one op that the traversal needs, read under one lock. One is
/// refilled for every op the walk visits, so its buffers are allocated once per call.
#[derive(Default)]
struct OpFacts {
    inputs: SmallVec<[Tensor; 2]>,
    output_dtypes: SmallVec<[DType; 1]>,
    kind: Option<OpKind>,
    /// TF's `_gradient_op_type` when `gradient_override_map` set one.
    gradient_override: Option<Box<str>>,
    name: String,
}

impl OpFacts {
    fn type_name(&self) -> &str {
        self.kind.as_ref().map_or("", OpKind::type_name)
    }
    fn gradient_type(&self) -> &str {
        self.gradient_override
            .as_deref()
            .unwrap_or_else(|| self.type_name())
    }
    /// Reads the facts of `node`.
    fn refill(&mut self, g: &Graph, node: NodeId) -> Result<()> {
        let data = g.read();
        let n = data
            .node(node)
            .ok_or_else(|| Error::invalid(format!("no op {node}")))?;
        self.inputs.clear();
        self.inputs.extend_from_slice(&n.inputs);
        self.output_dtypes.clear();
        self.output_dtypes
            .extend((0..n.num_outputs()).filter_map(|i| data.output_meta(n, i).map(|m| m.dtype)));
        self.kind = Some(n.op.clone());
        self.gradient_override = n.gradient_op_type().map(Box::from);
        self.name.clear();
        self.name.push_str(data.op_name(n));
        Ok(())
    }
}

// Per-op marks of the walk, over the ids from the first x to the last y only: creation
// order is topological, so an op between them has an id in that range, and the forward and
// backward walks stop at its ends. The marks so cost time in the part of the graph between
// the xs and the ys, not in the whole graph (a mark array over every op was zeroed on each
// call), and stay a plain array (a hash map of the touched ops cost 1.5M instructions more
// on the 1k chain). Ops the walk creates are never between the ys and xs.
const REACHED: u8 = 1;
const BETWEEN: u8 = 2;
const QUEUED: u8 = 4;
const STOPPED: u8 = 8;
const IS_X: u8 = 16;

struct Marks {
    /// The id of `flags[0]`.
    first: NodeId,
    flags: Vec<u8>,
    /// For a between op: how many of its between consumers have not yet delivered.
    pending: Vec<u32>,
}

impl Marks {
    fn slot(&self, op: NodeId) -> Option<usize> {
        op.checked_sub(self.first)
            .map(|i| i as usize)
            .filter(|&i| i < self.flags.len())
    }
    fn has(&self, op: NodeId, flag: u8) -> bool {
        self.slot(op).is_some_and(|i| self.flags[i] & flag != 0)
    }
    /// Sets `flag`; false when it was set already (or the op is outside the range).
    fn set(&mut self, op: NodeId, flag: u8) -> bool {
        match self.slot(op) {
            Some(i) if self.flags[i] & flag == 0 => {
                self.flags[i] |= flag;
                true
            }
            _ => false,
        }
    }
    fn pending(&self, op: NodeId) -> u32 {
        self.slot(op).map_or(0, |i| self.pending[i])
    }
    fn pending_mut(&mut self, op: NodeId) -> Option<&mut u32> {
        self.slot(op).map(|i| &mut self.pending[i])
    }
}

/// Steps (1)-(3): which ops lie between the xs and the ys, and how many between consumers
/// each has.
fn between_ops(g: &Graph, ys: &[Tensor], xs: &[Tensor]) -> Marks {
    let data = g.read();
    let first = xs.iter().map(|t| t.node).min().unwrap_or(0);
    let end = ys
        .iter()
        .map(|t| t.node.saturating_add(1))
        .max()
        .unwrap_or(0)
        .min(NodeId::try_from(data.nodes().len()).unwrap_or(NodeId::MAX));
    let len = end.saturating_sub(first) as usize;
    let mut marks = Marks {
        first,
        flags: vec![0; len],
        pending: vec![0; len],
    };
    // (1) reached: forward from the xs through trainable outputs only.
    let mut stack: Vec<NodeId> = xs.iter().map(|t| t.node).collect();
    while let Some(op) = stack.pop() {
        if !marks.set(op, REACHED) {
            continue;
        }
        if let Some(node) = data.node(op) {
            for &(consumer, out) in &node.consumers {
                let trainable = data
                    .output_meta(node, out as usize)
                    .is_some_and(|m| m.dtype.is_trainable());
                if trainable && !marks.has(consumer, REACHED) {
                    stack.push(consumer);
                }
            }
        }
    }
    // (2) between: backward from the ys through all inputs, kept if reached; and (3)
    // pending: for every edge between two between-ops, one count on the producer. A
    // between-op's reached input is itself between (the walk goes on through it), so the
    // edge is counted as the walk passes it, in the same read of the node.
    let mut stack: Vec<NodeId> = ys.iter().map(|t| t.node).collect();
    while let Some(op) = stack.pop() {
        if marks.has(op, REACHED) && marks.set(op, BETWEEN) {
            if let Some(node) = data.node(op) {
                for t in &node.inputs {
                    if marks.has(t.node, REACHED) {
                        if let Some(p) = marks.pending_mut(t.node) {
                            *p += 1;
                        }
                        stack.push(t.node);
                    }
                }
            }
        }
    }
    marks
}

/// The contributions each output of an op received; most ops have one output.
type Received = SmallVec<[SmallVec<[Grad; 2]>; 1]>;

fn received_for(num_outputs: usize) -> Received {
    std::iter::repeat_with(SmallVec::new)
        .take(num_outputs)
        .collect()
}

fn backprop(
    g: &Graph,
    ys: &[Tensor],
    xs: &[Tensor],
    seeds: Vec<Grad>,
    opts: &GradientOptions,
) -> Result<Vec<Option<Grad>>> {
    let mut marks = between_ops(g, ys, xs);
    // Each between op's gradient gets a scope of its own under this call's scope.
    let between = marks.flags.iter().filter(|&&f| f & BETWEEN != 0).count();
    g.write().reserve_names(between);

    // (4) seeds, and the ops ready to start.
    let mut contributions: FxHashMap<NodeId, Received> = FxHashMap::default();
    let num_outputs = |node: NodeId| g.read().node(node).map_or(0, |n| n.num_outputs());
    for (y, seed) in ys.iter().zip(seeds) {
        let slot = contributions
            .entry(y.node)
            .or_insert_with(|| received_for(num_outputs(y.node)));
        slot[y.index as usize].push(seed);
    }
    let mut queue: VecDeque<NodeId> = VecDeque::new();
    for y in ys {
        if marks.has(y.node, BETWEEN) && marks.pending(y.node) == 0 && marks.set(y.node, QUEUED) {
            queue.push_back(y.node);
        }
    }
    // Ops whose gradient function is not called: the stop_gradients, and the xs that do
    // not themselves consume a between op.
    for t in &opts.stop_gradients {
        marks.set(t.node, STOPPED);
    }
    {
        let data = g.read();
        for x in xs {
            marks.set(x.node, IS_X);
            let feeds_between = data
                .node(x.node)
                .is_some_and(|n| n.inputs.iter().any(|t| marks.pending(t.node) > 0));
            if !feeds_between {
                marks.set(x.node, STOPPED);
            }
        }
    }
    let mut x_grads: FxHashMap<NodeId, Vec<Option<Grad>>> = FxHashMap::default();

    // (5) the reverse walk.
    let mut facts = OpFacts::default();
    // Each op type's rule, looked up once per call rather than once per op.
    let mut rules: FxHashMap<Box<str>, Option<GradEntry>> = FxHashMap::default();
    let mut scope_name = String::new();
    while let Some(op) = queue.pop_front() {
        facts.refill(g, op)?;
        let op_ref = OpRef {
            graph: g.id(),
            node: op,
        };
        let mut placement = None;
        if opts.colocate_gradients_with_ops {
            let mut guard = ScopeGuard::keep(g);
            guard.colocate(op_ref, false)?;
            placement = Some(guard);
        }
        let received = contributions
            .remove(&op)
            .unwrap_or_else(|| received_for(facts.output_dtypes.len()));
        let mut out_grads =
            aggregate::aggregate_outputs(g, &facts.name, received, opts.aggregation_method)?;
        let has_out_grads = out_grads.iter().any(Option::is_some);
        let stopped = marks.has(op, STOPPED);
        let entry = if has_out_grads && !stopped && !facts.inputs.is_empty() {
            let rule = match rules.get(facts.gradient_type()) {
                Some(rule) => rule.clone(),
                None => {
                    let rule = registry::lookup(facts.gradient_type());
                    rules.insert(facts.gradient_type().into(), rule.clone());
                    rule
                }
            };
            match rule {
                Some(GradEntry::NotDifferentiable) => None,
                Some(e) => Some(e),
                None => return Err(no_gradient_error(&facts)),
            }
        } else {
            None
        };
        if entry.is_some() {
            // Gradient functions may rely on dense zeros for unused float outputs.
            for (i, slot) in out_grads.iter_mut().enumerate() {
                if slot.is_none() && facts.output_dtypes[i].is_trainable() {
                    // TF's `ZerosLike` op here (zeros_like with optimize=False), whatever the shape.
                    let zeros = g.add1(
                        OpKind::Unary(ops::UnaryOp::ZerosLike),
                        &[op_ref.output(i as u32)],
                        Some("zeros_like"),
                    )?;
                    *slot = Some(Grad::Dense(zeros));
                }
            }
        }
        // An x's result is its op's aggregated (and zero-filled) output gradients, as TF
        // reads them back from the same list.
        if marks.has(op, IS_X) {
            x_grads.insert(op, out_grads.clone());
        }
        let in_grads = match entry {
            Some(GradEntry::NotDifferentiable) | None => vec![None; facts.inputs.len()],
            Some(entry) => {
                scope_name.clear();
                scope_name.push_str(&facts.name);
                scope_name.push_str("_grad");
                let _scope = ScopeGuard::enter(g, &scope_name);
                let ctx = GradCtx {
                    graph: g,
                    op: op_ref,
                    kind: facts
                        .kind
                        .take()
                        .ok_or_else(|| Error::internal("op facts unread"))?,
                    inputs: facts.inputs.clone(),
                    num_outputs: facts.output_dtypes.len(),
                };
                let in_grads = match entry {
                    GradEntry::Builtin(f) => f(&ctx, &out_grads)?,
                    GradEntry::Structural(f) => template::differentiate(&ctx, f, &out_grads)?,
                    GradEntry::Dyn(f) => f.call(&ctx, &out_grads)?,
                    GradEntry::NotDifferentiable => vec![None; facts.inputs.len()],
                };
                if in_grads.len() != facts.inputs.len() {
                    return Err(Error::invalid(format!(
                        "Num gradients {} generated for op {} do not match num inputs {}",
                        in_grads.len(),
                        node_def_text(g, op),
                        facts.inputs.len()
                    )));
                }
                if opts.gate_gradients && in_grads.iter().filter(|x| x.is_some()).count() > 1 {
                    ops::control::gate(g, in_grads)?
                } else {
                    in_grads
                }
            }
        };
        drop(placement);
        for (i, (t_in, in_grad)) in facts.inputs.iter().zip(in_grads).enumerate() {
            let Some(in_grad) = in_grad else { continue };
            if let Grad::Dense(t) = in_grad {
                check_grad_shape(g, &facts.name, i, *t_in, t)?;
            }
            if marks.has(t_in.node, BETWEEN) {
                let slot = contributions
                    .entry(t_in.node)
                    .or_insert_with(|| received_for(num_outputs(t_in.node)));
                slot[t_in.index as usize].push(in_grad);
            }
        }
        for t_in in &facts.inputs {
            if marks.has(t_in.node, BETWEEN) {
                let left = marks.pending_mut(t_in.node).map_or(0, |p| {
                    *p = p.saturating_sub(1);
                    *p
                });
                if left == 0 && marks.set(t_in.node, QUEUED) {
                    queue.push_back(t_in.node);
                }
            }
        }
    }

    // (6) one entry per x.
    Ok(xs
        .iter()
        .map(|x| {
            x_grads
                .get(&x.node)
                .and_then(|v| v.get(x.index as usize).copied().flatten())
        })
        .collect())
}

/// A dense input gradient must fit its input's static shape, and takes it on.
fn check_grad_shape(g: &Graph, op_name: &str, i: usize, input: Tensor, grad: Tensor) -> Result<()> {
    let (input_shape, differs) = {
        let data = g.read();
        // Interned types: the same id is the same dtype and shape, the usual case.
        if data.meta_id(input).is_some() && data.meta_id(input) == data.meta_id(grad) {
            return Ok(());
        }
        let input_shape = &data.meta(input)?.shape;
        let grad_shape = &data.meta(grad)?.shape;
        if !grad_shape.is_compatible_with(input_shape) {
            return Err(Error::invalid(format!(
                "Incompatible shapes between op input and calculated input gradient. Forward operation: {op_name}. Input index: {i}. Original input shape: {input_shape}. Calculated input gradient shape: {grad_shape}"
            )));
        }
        (input_shape.clone(), grad_shape != input_shape)
    };
    if differs {
        g.set_shape(grad, &input_shape)?;
    }
    Ok(())
}

fn no_gradient_error(facts: &OpFacts) -> Error {
    Error::NoGradient {
        message: format!(
            "No gradient defined for operation'{}' (op type: {}). In general every operation must have an associated `@tf.RegisterGradient` for correct autodiff, which this op is lacking. If you want to pretend this operation is a constant in your program, you may insert `tf.stop_gradient`. This can be useful to silence the error in cases where you know gradients are not needed, e.g. the forward pass of tf.custom_gradient. Please see more details in https://www.tensorflow.org/api_docs/python/tf/custom_gradient.",
            facts.name,
            facts.type_name()
        ),
    }
}

/// A NodeDef-like text for messages that TF fills with `str(op.node_def)`.
pub fn node_def_text(g: &Graph, op: NodeId) -> String {
    let data = g.read();
    let Some(n) = data.node(op) else {
        return format!("{op}");
    };
    let mut s = format!("name: \"{}\"\nop: \"{}\"\n", data.op_name(n), n.type_name());
    for t in &n.inputs {
        let input = data.node(t.node).map_or(String::new(), |p| {
            if t.index == 0 {
                data.op_name(p).to_string()
            } else {
                format!("{}:{}", data.op_name(p), t.index)
            }
        });
        s.push_str(&format!("input: \"{input}\"\n"));
    }
    s
}
