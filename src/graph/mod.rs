//! The graph arena: ops in a `Vec`, addressed by index, never by reference (handles stay
//! valid while the graph grows, and cross the Python seam as plain integers).
//!
//! `Graph` is a cheap, cloneable handle to a shared, locked arena. Every builder takes the
//! lock for just the op it adds, so a Python gradient function called from the gradient
//! traversal can build ops in the same graph without deadlock.

mod metas;
mod names;
mod recording;
mod scope;
mod store;

use crate::attr::Attrs;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::{InferCtx, OpKind};
use crate::shape::Shape;
use crate::value::Value;
pub use metas::{MetaId, MetaTable, OutputTypes};
use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub(crate) use recording::{Recording, Source};
pub use scope::ScopeState;
pub use store::NodeStore;

pub type NodeId = u32;

/// One output of one op: the symbolic tensor handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tensor {
    pub graph: u32,
    pub node: NodeId,
    pub index: u32,
}

/// An op's handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OpRef {
    pub graph: u32,
    pub node: NodeId,
}

impl Tensor {
    pub fn op(self) -> OpRef {
        OpRef {
            graph: self.graph,
            node: self.node,
        }
    }
}

impl OpRef {
    pub fn output(self, index: u32) -> Tensor {
        Tensor {
            graph: self.graph,
            node: self.node,
            index,
        }
    }
}

/// The static type of one output.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TensorMeta {
    pub dtype: DType,
    pub shape: Shape,
}

impl TensorMeta {
    pub fn new(dtype: DType, shape: Shape) -> Self {
        TensorMeta { dtype, shape }
    }
}

pub type Metas = SmallVec<[TensorMeta; 1]>;

/// One op in the arena.
#[derive(Debug)]
pub struct Node {
    /// Its name, kept in the graph's `NodeStore` (`GraphData::op_name`).
    name: store::NameRef,
    pub op: OpKind,
    pub inputs: SmallVec<[Tensor; 2]>,
    /// Its outputs' static types, interned in the graph's `MetaTable`.
    output_types: OutputTypes,
    /// (consumer, output index consumed), one entry per data edge.
    pub consumers: SmallVec<[(NodeId, u32); 2]>,
    /// What the scopes added, absent for most ops: boxed so a plain op stays small.
    placement: Option<Box<Placement>>,
}

/// An op's control inputs, device, colocation and gradient override.
#[derive(Debug, Default)]
struct Placement {
    /// Inline up to two: most control edges are a gradient's one on its incoming gradient.
    control_inputs: SmallVec<[NodeId; 2]>,
    device: Box<str>,
    /// Explicit colocation groups (`_class`), e.g. `loc:@w`; empty means "its own group".
    colocation: Vec<Box<str>>,
    /// TF's `_gradient_op_type`, set by `gradient_override_map`.
    gradient_op_type: Option<Box<str>>,
}

impl Node {
    pub fn type_name(&self) -> &str {
        self.op.type_name()
    }
    pub fn num_outputs(&self) -> usize {
        self.output_types.len()
    }
    pub fn control_inputs(&self) -> &[NodeId] {
        self.placement.as_deref().map_or(&[], |p| &p.control_inputs)
    }
    /// The device the op was placed on; empty when none was set.
    pub fn device(&self) -> &str {
        self.placement.as_deref().map_or("", |p| &p.device)
    }
    /// Explicit colocation groups (`_class`), e.g. `loc:@w`; empty means "its own group".
    pub fn colocation(&self) -> &[Box<str>] {
        self.placement.as_deref().map_or(&[], |p| &p.colocation)
    }
    /// TF's `_gradient_op_type`, set by `gradient_override_map`.
    pub fn gradient_op_type(&self) -> Option<&str> {
        self.placement
            .as_deref()
            .and_then(|p| p.gradient_op_type.as_deref())
    }
    pub(crate) fn set_gradient_op_type(&mut self, op_type: Option<Box<str>>) {
        let placement = self.placement.get_or_insert_with(Default::default);
        placement.gradient_op_type = op_type;
    }
    /// TF's `Operation.colocation_groups()`, for this op named `name`.
    pub(crate) fn colocation_groups(&self, name: &str) -> Vec<String> {
        if self.colocation().is_empty() {
            vec![format!("loc:@{name}")]
        } else {
            self.colocation().iter().map(|s| s.to_string()).collect()
        }
    }
}

/// The arena's contents, read under the graph's lock.
#[derive(Debug)]
pub struct GraphData {
    pub(crate) id: u32,
    pub(crate) nodes: NodeStore,
    pub(crate) scope: ScopeState,
    finalized: bool,
    /// (input shape, axes) pairs whose static reduced shape gradient helpers exist already
    /// (TF's per-graph `_reduced_shape_cache`).
    reduced_shapes: rustc_hash::FxHashSet<(Vec<usize>, Vec<i64>)>,
    /// The distinct output types of the ops, which nodes refer to by id.
    metas: MetaTable,
    /// The values of small integer Consts built while differentiating (static shapes,
    /// reduction axes), shared: a chain's gradient repeats the same few thousands of
    /// times, and a shared value costs no allocation (values are copy-on-write).
    small_int_vectors: FxHashMap<(bool, SmallVec<[i64; 4]>), Arc<Value>>,
    /// Bumped on every mutation that can change what a run computes.
    version: u64,
    /// The buffer `add_op` builds each op's full name in before storing it.
    name_scratch: String,
    /// What structural gradient rules built, by signature, to be replayed.
    pub(crate) templates: crate::grad::Templates,
}

static NEXT_GRAPH_ID: AtomicU32 = AtomicU32::new(1);

/// A shared handle to a graph.
#[derive(Debug, Clone)]
pub struct Graph {
    id: u32,
    data: Arc<RwLock<GraphData>>,
}

impl Default for Graph {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialEq for Graph {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

/// A name scope to return to, with its name table entry when known.
#[derive(Debug, Default)]
pub(crate) struct SavedNameScope {
    stack: String,
    entry: Option<u32>,
}

impl SavedNameScope {
    /// A scope given by name only.
    pub(crate) fn named(stack: String) -> Self {
        SavedNameScope { stack, entry: None }
    }
}

/// An op input: a tensor, or a constant value to be created for the named input.
#[derive(Debug, Clone)]
pub enum Input {
    Tensor(Tensor),
    /// Shared, so that a value reused by many ops (a chain's gradient repeats the same
    /// shape vectors thousands of times) costs no allocation per op.
    Const(&'static str, Arc<Value>),
}

impl Input {
    /// A constant input holding `value`.
    pub fn constant(arg: &'static str, value: Value) -> Input {
        Input::Const(arg, Arc::new(value))
    }
}

impl From<Tensor> for Input {
    fn from(t: Tensor) -> Self {
        Input::Tensor(t)
    }
}

/// What an op is made of before it enters the graph.
pub struct OpSpec<'a> {
    pub op: OpKind,
    pub inputs: &'a [Tensor],
    /// Requested name; `None` uses the op type. Uniquified within the current name scope;
    /// a name ending in `/` is taken exactly (TF's name-scope convention).
    pub name: Option<&'a str>,
}

impl Graph {
    pub fn new() -> Graph {
        let id = NEXT_GRAPH_ID.fetch_add(1, Ordering::Relaxed);
        Graph {
            id,
            data: Arc::new(RwLock::new(GraphData {
                id,
                nodes: NodeStore::default(),
                scope: ScopeState::default(),
                finalized: false,
                reduced_shapes: Default::default(),
                metas: MetaTable::default(),
                small_int_vectors: Default::default(),
                version: 0,
                name_scratch: String::new(),
                templates: Default::default(),
            })),
        }
    }

    pub fn id(&self) -> u32 {
        self.id
    }

    /// Reads the arena. Never hold this across a call that builds ops.
    pub fn read(&self) -> RwLockReadGuard<'_, GraphData> {
        self.data.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, GraphData> {
        self.data.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an op: checks its inputs, infers its outputs' types, names it, and applies the
    /// current control-dependency, device, colocation and gradient-override scopes.
    pub fn add_op(&self, spec: OpSpec<'_>) -> Result<OpRef> {
        let mut g = self.write();
        let node = g.add_op(spec)?;
        Ok(OpRef {
            graph: self.id,
            node,
        })
    }

    /// Adds an op by TF type name and attributes (the path Python takes).
    pub fn add_op_def(
        &self,
        op_type: &str,
        inputs: &[Tensor],
        attrs: &Attrs,
        name: Option<&str>,
    ) -> Result<OpRef> {
        let mut g = self.write();
        let input_types: SmallVec<[DType; 4]> = inputs
            .iter()
            .map(|t| g.meta(*t).map(|m| m.dtype))
            .collect::<Result<_>>()?;
        let op = OpKind::from_def(op_type, attrs, &input_types)?;
        let node = g.add_op(OpSpec { op, inputs, name })?;
        Ok(OpRef {
            graph: self.id,
            node,
        })
    }

    /// Adds an op some of whose inputs are constants given as values: as TF's op wrappers
    /// do, the op's unique name becomes a scope, each constant is created inside it named
    /// after its input (`Reshape_1/shape`, `Sum/reduction_indices`), then the op takes the
    /// scope's name.
    pub fn add_with_consts(
        &self,
        op: OpKind,
        inputs: &[Input],
        name: Option<&str>,
    ) -> Result<OpRef> {
        let node = self.write().add_with_consts(op, inputs, name)?;
        Ok(OpRef {
            graph: self.id,
            node,
        })
    }

    /// Runs `f` on the arena locked for writing, for a builder that adds several ops in a row
    /// (a gradient's helper subgraph): one lock instead of one per op, and the same ops,
    /// names and scopes as adding them one by one. `f` cannot reach this `Graph`, so it
    /// cannot deadlock on the lock.
    pub(crate) fn build_locked<T>(&self, f: impl FnOnce(&mut GraphData) -> Result<T>) -> Result<T> {
        f(&mut self.write())
    }

    /// Adds a single-output op and returns its output.
    pub fn add1(&self, op: OpKind, inputs: &[Tensor], name: Option<&str>) -> Result<Tensor> {
        Ok(self.add_op(OpSpec { op, inputs, name })?.output(0))
    }

    pub fn meta(&self, t: Tensor) -> Result<TensorMeta> {
        self.read().meta(t).cloned()
    }
    pub fn dtype(&self, t: Tensor) -> Result<DType> {
        Ok(self.read().meta(t)?.dtype)
    }
    pub fn shape(&self, t: Tensor) -> Result<Shape> {
        Ok(self.read().meta(t)?.shape.clone())
    }
    pub fn num_ops(&self) -> usize {
        self.read().nodes.len()
    }
    pub fn op_name(&self, op: OpRef) -> Result<String> {
        let data = self.read();
        Ok(data.op_name(data.node_checked(op)?).to_string())
    }
    pub fn op_inputs(&self, op: OpRef) -> Result<Vec<Tensor>> {
        Ok(self.read().node_checked(op)?.inputs.to_vec())
    }
    pub fn op_by_name(&self, name: &str) -> Option<OpRef> {
        self.read().op_by_name(name).map(|node| OpRef {
            graph: self.id,
            node,
        })
    }
    /// Records a (shape, axes) pair for a reduction gradient; true the first time.
    pub fn mark_reduced_shape(&self, dims: &[usize], axes: &[i64]) -> bool {
        self.write()
            .reduced_shapes
            .insert((dims.to_vec(), axes.to_vec()))
    }
    pub fn finalize(&self) {
        self.write().finalized = true;
    }
    pub fn is_finalized(&self) -> bool {
        self.read().finalized
    }
    /// Merges a static shape into a tensor's (TF's `Tensor.set_shape`).
    pub fn set_shape(&self, t: Tensor, shape: &Shape) -> Result<()> {
        let mut g = self.write();
        g.check_tensor(t)?;
        let meta = g.meta(t)?;
        let merged = meta.shape.merge(shape).map_err(|_| {
            Error::invalid(format!(
                "Tensor's shape {} is not compatible with supplied shape {}",
                meta.shape, shape
            ))
        })?;
        let merged = TensorMeta::new(meta.dtype, merged);
        let id = g.intern_meta(&merged)?;
        if let Some(slot) = g.nodes[t.node as usize]
            .output_types
            .get_mut(t.index as usize)
        {
            *slot = id;
        }
        g.version += 1;
        Ok(())
    }

    /// Replaces an op's kind by one with the same inputs and more outputs (a loop made to
    /// accumulate its iterations when differentiated, as TF adds outputs to it): the existing
    /// outputs must keep their dtypes and compatible shapes, so every consumer stays valid.
    pub(crate) fn replace_op_kind(&self, op: OpRef, kind: OpKind) -> Result<()> {
        let mut g = self.write();
        let node = g.node_checked(op)?;
        let inputs = node.inputs.clone();
        let name = g.op_name(node).to_string();
        let existing = g.output_metas(node);
        let outputs = kind.infer(&InferCtx {
            graph: &g,
            inputs: &inputs,
            name: &name,
        })?;
        let differs = |(a, b): (&TensorMeta, &TensorMeta)| {
            a.dtype != b.dtype || !a.shape.is_compatible_with(&b.shape)
        };
        if outputs.len() < existing.len() || outputs.iter().zip(&existing).any(differs) {
            return Err(Error::internal(format!(
                "replacing the kind of '{name}' would change its outputs"
            )));
        }
        // The existing outputs keep their metas: `set_shape` may have refined them.
        let added = outputs
            .get(existing.len()..)
            .unwrap_or(&[])
            .iter()
            .map(|m| g.intern_meta(m))
            .collect::<Result<SmallVec<[MetaId; 2]>>>()?;
        let node = &mut g.nodes[op.node as usize];
        node.op = kind;
        node.output_types.extend(added);
        g.version += 1;
        Ok(())
    }

    // Scope management, forwarded to the arena's scope state.
    pub fn unique_name(&self, name: &str, mark_as_used: bool) -> String {
        self.write().scope.unique_name(name, mark_as_used)
    }
    pub fn name_scope(&self) -> String {
        self.read().scope.here().name_stack().to_string()
    }
    /// Enters `name_scope(name)`; returns (new scope, previous scope) for `set_name_scope`.
    pub fn enter_name_scope(&self, name: Option<&str>) -> (String, String) {
        self.write().scope.enter_name_scope(name)
    }
    /// Enters `name_scope(name)`; returns the previous scope, for `restore_name_scope`.
    pub(crate) fn push_name_scope(&self, name: &str) -> SavedNameScope {
        let (stack, entry) = self.write().scope.push_name_scope_saved(Some(name));
        SavedNameScope { stack, entry }
    }
    /// Returns to a scope saved by `push_name_scope`.
    pub(crate) fn restore_name_scope(&self, saved: SavedNameScope) {
        self.write().scope.restore_saved(saved.stack, saved.entry);
    }
    pub fn set_name_scope(&self, scope: &str) {
        self.write()
            .scope
            .here_mut()
            .replace_name_stack(scope.to_string());
    }
    pub fn push_device(&self, spec: Option<&str>) {
        self.write()
            .scope
            .here_mut()
            .devices
            .push(spec.map(str::to_string));
    }
    pub fn pop_device(&self) {
        self.write().scope.here_mut().devices.pop();
    }
    pub fn push_colocation(&self, op: Option<OpRef>, ignore_existing: bool) -> Result<()> {
        let mut g = self.write();
        if let Some(op) = op {
            g.node_checked(op)?;
        } else if !ignore_existing {
            return Err(Error::invalid(
                "Trying to reset colocation (op is None) but ignore_existing is not True",
            ));
        }
        g.scope
            .here_mut()
            .push_colocation(op.map(|o| o.node), ignore_existing);
        Ok(())
    }
    pub fn pop_colocation(&self) {
        self.write().scope.here_mut().pop_colocation();
    }
    /// `control_dependencies(ops)`; `None` clears the enclosing ones.
    pub fn push_control_dependencies(&self, ops: Option<&[OpRef]>) -> Result<()> {
        let mut g = self.write();
        if let Some(ops) = ops {
            for op in ops {
                g.node_checked(*op)?;
            }
        }
        let start = g.nodes.len() as NodeId;
        g.scope
            .here_mut()
            .push_control(ops.map(|o| o.iter().map(|o| o.node).collect()), start);
        Ok(())
    }
    pub fn pop_control_dependencies(&self) {
        self.write().scope.here_mut().controls.pop();
    }
    pub fn push_gradient_override(&self, map: FxHashMap<String, String>) {
        self.write().scope.here_mut().overrides.push(map);
    }
    pub fn pop_gradient_override(&self) {
        self.write().scope.here_mut().overrides.pop();
    }
}

impl GraphData {
    pub fn id(&self) -> u32 {
        self.id
    }
    pub fn nodes(&self) -> &NodeStore {
        &self.nodes
    }
    pub fn version(&self) -> u64 {
        self.version
    }
    pub fn is_finalized(&self) -> bool {
        self.finalized
    }
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id as usize)
    }
    pub fn node_checked(&self, op: OpRef) -> Result<&Node> {
        if op.graph != self.id {
            return Err(Error::invalid("Operation is not an element of this graph."));
        }
        self.nodes
            .get(op.node as usize)
            .ok_or_else(|| Error::invalid(format!("No op with id {} in this graph", op.node)))
    }
    pub fn check_tensor(&self, t: Tensor) -> Result<()> {
        self.meta(t).map(|_| ())
    }
    pub fn meta(&self, t: Tensor) -> Result<&TensorMeta> {
        if t.graph != self.id {
            return Err(Error::invalid(format!(
                "Tensor {} is not an element of this graph.",
                self.tensor_label(t)
            )));
        }
        let node = self
            .nodes
            .get(t.node as usize)
            .ok_or_else(|| Error::invalid(format!("No op with id {} in this graph", t.node)))?;
        let id = node.output_types.get(t.index as usize).ok_or_else(|| {
            Error::invalid(format!(
                "Operation '{}' has {} outputs; output {} does not exist",
                self.op_name(node),
                node.num_outputs(),
                t.index
            ))
        })?;
        self.metas
            .get(*id)
            .ok_or_else(|| Error::internal("an op's output type is missing from its graph"))
    }
    /// Makes room for `additional` more names in large scopes (see `NameTable`).
    pub(crate) fn reserve_names(&mut self, additional: usize) {
        self.scope.names.reserve_indexed(additional);
    }

    /// The interned type of `t`, a tensor of this graph: equal ids mean equal types.
    pub(crate) fn meta_id(&self, t: Tensor) -> Option<MetaId> {
        if t.graph != self.id {
            return None;
        }
        self.nodes
            .get(t.node as usize)?
            .output_types
            .get(t.index as usize)
            .copied()
    }
    /// The static type of `node`'s output `index` (`node` from this graph).
    pub fn output_meta(&self, node: &Node, index: usize) -> Option<&TensorMeta> {
        self.metas.get(*node.output_types.get(index)?)
    }
    /// The static types of all of `node`'s outputs (`node` from this graph).
    pub fn output_metas(&self, node: &Node) -> Metas {
        node.output_types
            .iter()
            .filter_map(|&id| self.metas.get(id))
            .cloned()
            .collect()
    }
    fn intern_meta(&mut self, meta: &TensorMeta) -> Result<MetaId> {
        self.metas
            .intern(meta)
            .ok_or_else(|| Error::invalid("graph has too many distinct output types"))
    }
    /// Whether some op of this graph outputs a string.
    pub fn has_string_outputs(&self) -> bool {
        self.metas.has_strings()
    }
    /// The name of `node`, an op of this graph.
    pub fn op_name(&self, node: &Node) -> &str {
        self.nodes.name_of(node)
    }
    /// TF's `Operation.colocation_groups()` of `node`, an op of this graph.
    pub fn colocation_groups(&self, node: &Node) -> Vec<String> {
        node.colocation_groups(self.op_name(node))
    }
    pub fn op_by_name(&self, name: &str) -> Option<NodeId> {
        self.scope.names.op(name, &self.nodes)
    }
    /// `name:index`, or a placeholder when the handle is foreign.
    pub fn tensor_label(&self, t: Tensor) -> String {
        match self.nodes.get(t.node as usize) {
            Some(n) if t.graph == self.id => format!("{}:{}", self.op_name(n), t.index),
            _ => format!("<tensor {}:{} of graph {}>", t.node, t.index, t.graph),
        }
    }
    /// TF's `str(tensor)`: `Tensor("add:0", shape=(2, 3), dtype=float32)`.
    pub fn tensor_repr(&self, t: Tensor) -> String {
        match self.meta(t) {
            Ok(m) => format!(
                "Tensor(\"{}\", shape={}, dtype={})",
                self.tensor_label(t),
                m.shape,
                m.dtype
            ),
            Err(_) => self.tensor_label(t),
        }
    }

    /// The value of `t` when it is known while building: a `Const`, or the `Shape`/`Size`/
    /// `Rank` of a statically known shape (TF's `constant_value` for these cases).
    pub fn constant_value(&self, t: Tensor) -> Option<Value> {
        let node = self.node(t.node)?;
        match &node.op {
            OpKind::Const { value } => Some(Value::clone(value)),
            OpKind::Shape { out_type } => {
                let dims = self.meta(*node.inputs.first()?).ok()?.shape.to_vec()?;
                let v: Vec<i64> = dims.iter().map(|&d| d as i64).collect();
                Some(Value::int_vector(*out_type, &v))
            }
            OpKind::Size { out_type } => {
                let n = self
                    .meta(*node.inputs.first()?)
                    .ok()?
                    .shape
                    .num_elements()?;
                Some(
                    Value::int_vector(*out_type, &[n as i64])
                        .reshape(&[])
                        .ok()?,
                )
            }
            OpKind::Rank => {
                let r = self.meta(*node.inputs.first()?).ok()?.shape.rank()?;
                Some(Value::scalar(r as i32))
            }
            OpKind::Identity | OpKind::StopGradient => self.constant_value(*node.inputs.first()?),
            OpKind::Index(op) => crate::ops::index::fold(self, op, node, t),
            // `range(rank(x))` and `stack([n, 2])`, as TF's constant_value folds them; from
            // inputs known without folding (so this never recurses deeply), at most 64 values.
            OpKind::Range => {
                let args = self.leaf_constants(&node.inputs)?;
                let [start, limit, delta] = args.as_slice() else {
                    return None;
                };
                if crate::ops::array::range_len(start, limit, delta).ok()? > 64 {
                    return None;
                }
                crate::ops::array::range_kernel(start, limit, delta).ok()
            }
            OpKind::Pack { axis: 0 } if node.inputs.len() <= 64 => {
                let args = self.leaf_constants(&node.inputs)?;
                let dtype = args.first()?.dtype();
                let mut xs = Vec::with_capacity(args.len());
                for a in &args {
                    if a.dtype() != dtype || !a.shape().is_empty() || !dtype.is_integer() {
                        return None;
                    }
                    xs.extend(a.to_i64_vec().ok()?);
                }
                Some(Value::int_vector(dtype, &xs))
            }
            _ => None,
        }
    }

    /// The values of `inputs` when each is a `Const` or the `Shape`, `Size` or `Rank` of a
    /// static shape: the cases `constant_value` answers without recursing.
    fn leaf_constants(&self, inputs: &[Tensor]) -> Option<Vec<Value>> {
        inputs
            .iter()
            .map(|x| {
                let leaf = matches!(
                    self.node(x.node)?.op,
                    OpKind::Const { .. }
                        | OpKind::Shape { .. }
                        | OpKind::Size { .. }
                        | OpKind::Rank
                );
                if leaf {
                    self.constant_value(*x)
                } else {
                    None
                }
            })
            .collect()
    }

    /// `Value::int_vector(dtype, xs)`, shared with earlier equal ones when short.
    pub(crate) fn small_int_vector(&mut self, dtype: DType, xs: &[i64]) -> Arc<Value> {
        if xs.len() > 4 {
            return Arc::new(Value::int_vector(dtype, xs));
        }
        // `int_vector` makes I64 or else I32.
        Arc::clone(
            self.small_int_vectors
                .entry((dtype == DType::I64, SmallVec::from_slice(xs)))
                .or_insert_with(|| Arc::new(Value::int_vector(dtype, xs))),
        )
    }

    /// `Graph::add1` under a lock already held.
    pub(crate) fn add1(
        &mut self,
        op: OpKind,
        inputs: &[Tensor],
        name: Option<&str>,
    ) -> Result<Tensor> {
        let node = self.add_op(OpSpec { op, inputs, name })?;
        Ok(Tensor {
            graph: self.id,
            node,
            index: 0,
        })
    }

    /// `Graph::add_with_consts` under a lock already held.
    pub(crate) fn add_with_consts(
        &mut self,
        op: OpKind,
        inputs: &[Input],
        name: Option<&str>,
    ) -> Result<NodeId> {
        if inputs.iter().all(|i| matches!(i, Input::Tensor(_))) {
            let ts: SmallVec<[Tensor; 4]> = inputs
                .iter()
                .filter_map(|i| {
                    if let Input::Tensor(t) = i {
                        Some(*t)
                    } else {
                        None
                    }
                })
                .collect();
            return self.add_op(OpSpec {
                op,
                inputs: &ts,
                name,
            });
        }
        let requested = name.unwrap_or_else(|| op.type_name());
        let (previous, previous_entry) = self.scope.push_name_scope_saved(Some(requested));
        let scope = self.scope.here().name_stack().to_string();
        let result = self.add_consts_then(op, inputs, &scope);
        self.scope.restore_saved(previous, previous_entry);
        result
    }

    /// The constants of `inputs` inside the current scope, then `op` named `scope` exactly.
    fn add_consts_then(&mut self, op: OpKind, inputs: &[Input], scope: &str) -> Result<NodeId> {
        let mut ts: SmallVec<[Tensor; 4]> = SmallVec::new();
        for input in inputs {
            ts.push(match input {
                Input::Tensor(t) => *t,
                Input::Const(arg, value) => self.add1(
                    OpKind::Const {
                        value: Arc::clone(value),
                    },
                    &[],
                    Some(arg),
                )?,
            });
        }
        self.add_op(OpSpec {
            op,
            inputs: &ts,
            name: Some(scope),
        })
    }

    fn add_op(&mut self, spec: OpSpec<'_>) -> Result<NodeId> {
        let mut name = std::mem::take(&mut self.name_scratch);
        let result = self.add_op_named(spec, &mut name);
        self.name_scratch = name;
        result
    }

    /// `add_op` with `name` as the buffer for the op's full name.
    #[inline(always)]
    fn add_op_named(&mut self, spec: OpSpec<'_>, name: &mut String) -> Result<NodeId> {
        if self.finalized {
            return Err(Error::runtime("Graph is finalized and cannot be modified."));
        }
        let id = NodeId::try_from(self.nodes.len())
            .map_err(|_| Error::invalid("graph has too many ops"))?;
        for t in spec.inputs {
            self.check_tensor(*t)?;
        }
        let requested = spec.name.unwrap_or_else(|| spec.op.type_name());
        match requested.strip_suffix('/') {
            Some(exact) => {
                // A scope name taken as an op name: TF does not uniquify it again. When it
                // is the scope just built in (an op after its constants), its entry is known.
                let here = self.scope.here();
                let entry = here.name_entry().filter(|_| here.name_stack() == requested);
                self.scope
                    .names
                    .name_op_exactly(exact, entry, id, &self.nodes)?;
                name.clear();
                name.push_str(exact);
            }
            None => {
                self.scope
                    .unique_in_scope_into(requested, true, id, 0, name);
            }
        }
        let name: &str = name;
        let inferred = {
            let ctx = InferCtx {
                graph: self,
                inputs: spec.inputs,
                name,
            };
            spec.op.infer(&ctx)
        };
        let stored = inferred.and_then(|metas| {
            let ids = metas
                .iter()
                .map(|m| self.intern_meta(m))
                .collect::<Result<OutputTypes>>()?;
            let name_ref = self
                .nodes
                .store_name(name)
                .ok_or_else(|| Error::invalid("graph has too many op names"))?;
            Ok((ids, name_ref))
        });
        let (output_types, name_ref) = match stored {
            Ok(stored) => stored,
            Err(e) => {
                // The name stays used, as in TF, but no op bears it.
                self.scope.names.forget_op(name, id);
                return Err(e);
            }
        };
        let input_ops: SmallVec<[NodeId; 4]> = spec.inputs.iter().map(|t| t.node).collect();
        let scopes = self.scope.here();
        let control_inputs = scopes.control_inputs_for(&input_ops);
        let (device, colocation) = scopes.placement(&self.nodes);
        let gradient_op_type = scopes.gradient_override(spec.op.type_name());
        for t in spec.inputs {
            self.nodes[t.node as usize].consumers.push((id, t.index));
        }
        let control_inputs = SmallVec::from_vec(control_inputs);
        let placement = (!control_inputs.is_empty()
            || !device.is_empty()
            || !colocation.is_empty()
            || gradient_op_type.is_some())
        .then(|| {
            Box::new(Placement {
                control_inputs,
                device: device.into_boxed_str(),
                colocation,
                gradient_op_type,
            })
        });
        self.nodes.push(Node {
            name: name_ref,
            op: spec.op,
            inputs: spec.inputs.iter().copied().collect(),
            output_types,
            consumers: SmallVec::new(),
            placement,
        });
        self.version += 1;
        Ok(id)
    }
}
