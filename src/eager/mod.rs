//! Eager execution: ops run at once on concrete values, with tape-based gradients, on the
//! same kernels and the same gradient registry as graph mode.
//!
//! Every eager op runs as a *graph function*: a tiny graph holding the op with
//! placeholders of the concrete input shapes (small integer inputs such as axes or shapes
//! become constants, so static shape inference folds them exactly as in graph mode), cached
//! per (op type, attributes, input dtypes and shapes, folded values). A tape records, per
//! executed function, the input and output tensors. The backward of a function is
//! `gradients()` on its own graph, itself a cached function; running it is an eager
//! execution like any other, so an outer tape records it and nested tapes differentiate
//! again.
//!
//! ```
//! use symgrad::eager::{EagerContext, EagerTensor, Tape};
//! use symgrad::{Attrs, Unconnected, Value};
//! let ctx = EagerContext::new();
//! let x = EagerTensor::new(Value::scalar(3.0f64));
//! let outer = Tape::new(false);
//! let inner = Tape::new(false);
//! ctx.push_tape(&outer);
//! ctx.push_tape(&inner);
//! outer.watch(&x);
//! inner.watch(&x);
//! let y = ctx.execute("Mul", &[x.clone(), x.clone()], &Attrs::new()).unwrap().remove(0);
//! ctx.pop_tape(&inner);
//! let dy = ctx.gradient(&inner, &[y], &[x.clone()], None, Unconnected::None).unwrap();
//! let dy = dy[0].clone().unwrap();
//! ctx.pop_tape(&outer);
//! let d2y = ctx.gradient(&outer, &[dy.clone()], &[x], None, Unconnected::None).unwrap();
//! assert_eq!(dy.value.to_f64_vec(), vec![6.0]);
//! assert_eq!(d2y[0].as_ref().unwrap().value.to_f64_vec(), vec![2.0]);
//! ```

use crate::attr::Attrs;
use crate::dtype::DType;
use crate::error::{Code, Error, Result};
use crate::exec::{PreparedRun, SessionState};
use crate::grad::{self, Grad, GradientOptions, Unconnected};
use crate::graph::{Graph, OpRef, Tensor};
use crate::ops::source;
use crate::shape::Shape;
use crate::value::Value;
use rustc_hash::{FxHashMap, FxHashSet};
use smallvec::SmallVec;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

static NEXT_TENSOR_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh id for something a tape can track (an eager tensor or an eager variable).
pub fn new_tensor_id() -> u64 {
    NEXT_TENSOR_ID.fetch_add(1, Ordering::Relaxed)
}

/// A concrete value with an identity a tape can track.
#[derive(Debug, Clone)]
pub struct EagerTensor {
    pub id: u64,
    pub value: Value,
}

impl EagerTensor {
    pub fn new(value: Value) -> EagerTensor {
        EagerTensor {
            id: new_tensor_id(),
            value,
        }
    }
    /// The value under an existing id (a variable's reads are tracked under its id).
    pub fn with_id(id: u64, value: Value) -> EagerTensor {
        EagerTensor { id, value }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A graph computation with fixed fed inputs and fetched outputs, runnable many times.
pub struct Function {
    graph: Graph,
    inputs: Vec<Tensor>,
    outputs: Vec<Tensor>,
    output_dtypes: Vec<DType>,
    run: PreparedRun,
    /// Names the computation in eager errors (`[Op:MatMul]`).
    label: String,
    backward: Mutex<Option<Arc<Backward>>>,
}

/// A function's backward: runs on (inputs, outputs, output gradients) and yields the
/// gradients of the inputs listed in `input_slots`.
struct Backward {
    func: Option<Arc<Function>>,
    /// Forward outputs that take a gradient (trainable dtypes), in the order fed.
    grad_outputs: Vec<usize>,
    /// For each backward output, the forward input it is the gradient of.
    input_slots: Vec<usize>,
}

impl Function {
    /// A function over `graph` feeding `inputs` and fetching `outputs`; `targets` run
    /// for their effects (variable updates).
    pub fn new(
        graph: &Graph,
        inputs: Vec<Tensor>,
        outputs: Vec<Tensor>,
        targets: &[OpRef],
        label: &str,
    ) -> Result<Function> {
        let output_dtypes = outputs
            .iter()
            .map(|t| graph.dtype(*t))
            .collect::<Result<Vec<_>>>()?;
        let run = PreparedRun::new(graph, &outputs, targets, &inputs)?;
        Ok(Function {
            graph: graph.clone(),
            inputs,
            outputs,
            output_dtypes,
            run,
            label: label.to_string(),
            backward: Mutex::new(None),
        })
    }

    pub fn graph(&self) -> &Graph {
        &self.graph
    }
    pub fn num_outputs(&self) -> usize {
        self.outputs.len()
    }

    fn backward(&self) -> Result<Arc<Backward>> {
        if let Some(b) = lock(&self.backward).as_ref() {
            return Ok(b.clone());
        }
        // Built outside the lock: a Python gradient function may run eager ops.
        let built = Arc::new(self.build_backward()?);
        let mut slot = lock(&self.backward);
        Ok(slot.get_or_insert(built).clone())
    }

    /// `gradients()` of the trainable outputs w.r.t. the trainable inputs, seeded by new
    /// placeholders. Gradients stop at every fed tensor: the tape carries what flows
    /// between functions, so when a backward function (fed its forward op's outputs) is
    /// differentiated, nothing may flow through the forward op inside this graph too.
    fn build_backward(&self) -> Result<Backward> {
        let g = &self.graph;
        let grad_outputs: Vec<usize> = (0..self.outputs.len())
            .filter(|&i| self.output_dtypes[i].is_trainable())
            .collect();
        let trainable_inputs: Vec<usize> = (0..self.inputs.len())
            .filter(|&i| g.dtype(self.inputs[i]).is_ok_and(|d| d.is_trainable()))
            .collect();
        if grad_outputs.is_empty() || trainable_inputs.is_empty() {
            return Ok(Backward {
                func: None,
                grad_outputs,
                input_slots: Vec::new(),
            });
        }
        let mut seeds = Vec::with_capacity(grad_outputs.len());
        for &i in &grad_outputs {
            let meta = g.meta(self.outputs[i])?;
            seeds.push(source::placeholder(
                g,
                meta.dtype,
                meta.shape,
                Some("output_grad"),
            )?);
        }
        let ys: Vec<Tensor> = grad_outputs.iter().map(|&i| self.outputs[i]).collect();
        let xs: Vec<Tensor> = trainable_inputs.iter().map(|&i| self.inputs[i]).collect();
        let opts = GradientOptions {
            grad_ys: Some(seeds.iter().map(|t| Some(Grad::Dense(*t))).collect()),
            stop_gradients: self.inputs.clone(),
            ..Default::default()
        };
        let grads = grad::gradients(g, &ys, &xs, &opts)?;
        let mut outs = Vec::new();
        let mut input_slots = Vec::new();
        for (k, gr) in grads.into_iter().enumerate() {
            if let Some(gr) = gr {
                outs.push(grad::densify(g, gr)?);
                input_slots.push(trainable_inputs[k]);
            }
        }
        if outs.is_empty() {
            return Ok(Backward {
                func: None,
                grad_outputs,
                input_slots,
            });
        }
        let mut fed = self.inputs.clone();
        fed.extend(&self.outputs);
        fed.extend(&seeds);
        let label = format!("{}Grad", self.label);
        Ok(Backward {
            func: Some(Arc::new(Function::new(g, fed, outs, &[], &label)?)),
            grad_outputs,
            input_slots,
        })
    }
}

/// One executed function, as a tape keeps it.
struct Record {
    func: Arc<Function>,
    inputs: Vec<EagerTensor>,
    outputs: Vec<EagerTensor>,
}

/// Records the functions run while it is active, for `EagerContext::gradient`.
pub struct Tape {
    persistent: bool,
    data: Mutex<TapeData>,
}

#[derive(Default)]
struct TapeData {
    /// Watched ids and outputs of recorded functions.
    tracked: FxHashSet<u64>,
    records: Vec<Arc<Record>>,
    used: bool,
}

impl Tape {
    pub fn new(persistent: bool) -> Arc<Tape> {
        Arc::new(Tape {
            persistent,
            data: Mutex::new(TapeData::default()),
        })
    }
    pub fn persistent(&self) -> bool {
        self.persistent
    }
    pub fn watch(&self, t: &EagerTensor) {
        self.watch_id(t.id);
    }
    pub fn watch_id(&self, id: u64) {
        lock(&self.data).tracked.insert(id);
    }
    pub fn is_tracked(&self, id: u64) -> bool {
        lock(&self.data).tracked.contains(&id)
    }
    /// Marks a non-persistent tape as used; the second use is TF's `RuntimeError`.
    pub fn mark_used(&self) -> Result<()> {
        let mut d = lock(&self.data);
        if d.used && !self.persistent {
            return Err(Error::runtime(
                "A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)",
            ));
        }
        d.used = true;
        Ok(())
    }
    fn maybe_record(&self, func: &Arc<Function>, inputs: &[EagerTensor], outputs: &[EagerTensor]) {
        let mut d = lock(&self.data);
        if !inputs.iter().any(|t| d.tracked.contains(&t.id)) {
            return;
        }
        d.tracked.extend(outputs.iter().map(|t| t.id));
        d.records.push(Arc::new(Record {
            func: func.clone(),
            inputs: inputs.to_vec(),
            outputs: outputs.to_vec(),
        }));
    }
}

/// Small integer inputs (axes, shapes, permutations, paddings) become constants of the
/// op's graph so its shape rule sees their values, as it would in graph mode.
fn folds(v: &Value) -> bool {
    matches!(v.dtype(), DType::I32 | DType::I64) && v.len() <= 16 && v.shape().len() <= 2
}

/// Eager errors as TF shows them: the op's type instead of a node, no graph element.
fn eager_error(e: Error, label: &str) -> Error {
    match e {
        Error::Op { code, message, .. } => {
            let message = match message.find("\n\t [[{{node") {
                Some(i) => &message[..i],
                None => message.as_str(),
            };
            Error::Op {
                code,
                op: None,
                message: format!("{message} [Op:{label}]"),
            }
        }
        Error::InvalidArgument { message } => Error::Op {
            code: Code::InvalidArgument,
            op: None,
            message: format!("{message} [Op:{label}]"),
        },
        other => other,
    }
}

/// Where eager state lives: variable values, random streams, cached op functions and the
/// active tapes.
pub struct EagerContext {
    state: SessionState,
    ops: Mutex<FxHashMap<String, Arc<Function>>>,
    /// Graphs of cached functions by id, for Python gradient functions that look them up.
    graphs: Mutex<FxHashMap<u32, Graph>>,
    tapes: Mutex<Vec<Arc<Tape>>>,
    paused: AtomicUsize,
}

impl Default for EagerContext {
    fn default() -> Self {
        Self::new()
    }
}

/// Bounds the op-function cache; a program cycling through more signatures rebuilds.
const MAX_CACHED_OPS: usize = 8192;

impl EagerContext {
    pub fn new() -> EagerContext {
        EagerContext {
            state: SessionState::default(),
            ops: Mutex::new(FxHashMap::default()),
            graphs: Mutex::new(FxHashMap::default()),
            tapes: Mutex::new(Vec::new()),
            paused: AtomicUsize::new(0),
        }
    }

    /// Eager variables and random streams.
    pub fn state(&self) -> &SessionState {
        &self.state
    }

    /// The graph of a cached op function (or of a function made here), by graph id.
    pub fn graph(&self, id: u32) -> Option<Graph> {
        lock(&self.graphs).get(&id).cloned()
    }

    /// Runs one op on concrete inputs, recording it on the active tapes.
    pub fn execute(
        &self,
        op_type: &str,
        inputs: &[EagerTensor],
        attrs: &Attrs,
    ) -> Result<Vec<EagerTensor>> {
        let func = self.op_function(op_type, inputs, attrs)?;
        self.call(&func, inputs)
    }

    /// The cached single-op function for this op on inputs like these.
    pub fn op_function(
        &self,
        op_type: &str,
        inputs: &[EagerTensor],
        attrs: &Attrs,
    ) -> Result<Arc<Function>> {
        let mut key = String::with_capacity(64);
        key.push_str(op_type);
        let _ = write!(key, "|{:?}", attrs.0);
        for t in inputs {
            let v = &t.value;
            let _ = write!(key, "|{}{:?}", v.dtype().name(), v.shape());
            if folds(v) {
                let _ = write!(key, "={:?}", v.to_i64_vec().unwrap_or_default());
            }
        }
        if let Some(f) = lock(&self.ops).get(&key) {
            return Ok(f.clone());
        }
        let func = Arc::new(
            build_op_function(op_type, inputs, attrs).map_err(|e| eager_error(e, op_type))?,
        );
        let mut ops = lock(&self.ops);
        if ops.len() >= MAX_CACHED_OPS {
            ops.clear();
            lock(&self.graphs).clear();
        }
        ops.insert(key, func.clone());
        lock(&self.graphs).insert(func.graph.id(), func.graph.clone());
        Ok(func)
    }

    /// A function over a graph built elsewhere (a traced Python function).
    pub fn make_function(
        &self,
        graph: &Graph,
        inputs: Vec<Tensor>,
        outputs: Vec<Tensor>,
        targets: &[OpRef],
        label: &str,
    ) -> Result<Arc<Function>> {
        let f = Arc::new(Function::new(graph, inputs, outputs, targets, label)?);
        lock(&self.graphs).insert(graph.id(), graph.clone());
        Ok(f)
    }

    /// Runs a function on concrete inputs (one per fed tensor), recording it on the active
    /// tapes.
    pub fn call(&self, func: &Arc<Function>, inputs: &[EagerTensor]) -> Result<Vec<EagerTensor>> {
        if inputs.len() != func.inputs.len() {
            return Err(Error::invalid(format!(
                "{} takes {} inputs, got {}",
                func.label,
                func.inputs.len(),
                inputs.len()
            )));
        }
        let values: SmallVec<[Value; 4]> = inputs.iter().map(|t| t.value.clone()).collect();
        let outs = func
            .run
            .run(&values, &self.state)
            .map_err(|e| eager_error(e, &func.label))?;
        let outs: Vec<EagerTensor> = outs.into_iter().map(EagerTensor::new).collect();
        self.record(func, inputs, &outs);
        Ok(outs)
    }

    /// Records an executed function on every active tape that tracks one of its inputs.
    pub fn record(&self, func: &Arc<Function>, inputs: &[EagerTensor], outputs: &[EagerTensor]) {
        if self.paused.load(Ordering::Relaxed) > 0 {
            return;
        }
        let tapes = lock(&self.tapes);
        for tape in tapes.iter() {
            tape.maybe_record(func, inputs, outputs);
        }
    }

    /// A read of the variable `name`, tracked under the variable's id `var_id`: a tape
    /// that watches the variable records the read as an `Identity` of it.
    pub fn read_variable(&self, name: &str, var_id: u64) -> Result<EagerTensor> {
        let var = self.variable_value(name, var_id)?;
        if !self.is_recording() {
            return Ok(EagerTensor::new(var.value));
        }
        let var = [var];
        let identity = self.op_function("Identity", &var, &Attrs::new())?;
        self.call(&identity, &var)?
            .pop()
            .ok_or_else(|| Error::internal("Identity returned nothing"))
    }

    /// Frees an eager variable's value (its Python object is gone).
    pub fn delete_variable(&self, name: &str) {
        self.state
            .variables
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
    }

    /// The variable's current value under its own id (a gradient source), not recorded.
    pub fn variable_value(&self, name: &str, var_id: u64) -> Result<EagerTensor> {
        let value = self
            .state
            .variables
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
            .ok_or_else(|| {
                Error::op(
                    Code::FailedPrecondition,
                    format!("Could not find variable {name}. This could mean that the variable has been deleted. [Op:ReadVariableOp]"),
                )
            })?;
        Ok(EagerTensor::with_id(var_id, value))
    }

    /// Whether some tape is active and recording is not paused.
    pub fn is_recording(&self) -> bool {
        self.paused.load(Ordering::Relaxed) == 0 && !lock(&self.tapes).is_empty()
    }

    pub fn push_tape(&self, tape: &Arc<Tape>) {
        lock(&self.tapes).push(tape.clone());
    }

    /// Removes the innermost entry of `tape` from the active tapes.
    pub fn pop_tape(&self, tape: &Arc<Tape>) {
        let mut tapes = lock(&self.tapes);
        if let Some(i) = tapes.iter().rposition(|t| Arc::ptr_eq(t, tape)) {
            tapes.remove(i);
        }
    }

    /// The active tapes, innermost last.
    pub fn active_tapes(&self) -> Vec<Arc<Tape>> {
        lock(&self.tapes).clone()
    }

    /// Suspends recording on all tapes until `resume_recording`.
    pub fn pause_recording(&self) {
        self.paused.fetch_add(1, Ordering::Relaxed);
    }
    pub fn resume_recording(&self) {
        let _ = self
            .paused
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }

    /// Sums gradient contributions with an eager `AddN` (recorded, for higher orders).
    fn sum(&self, mut parts: Vec<EagerTensor>) -> Result<Option<EagerTensor>> {
        match parts.len() {
            0 => Ok(None),
            1 => Ok(parts.pop()),
            _ => Ok(self.execute("AddN", &parts, &Attrs::new())?.pop()),
        }
    }

    /// TF's `GradientTape.gradient` on a tape (which need not be active): d(sum of
    /// targets · output_gradients)/d(sources). A non-persistent tape may be used once.
    pub fn gradient(
        &self,
        tape: &Tape,
        targets: &[EagerTensor],
        sources: &[EagerTensor],
        output_gradients: Option<&[Option<EagerTensor>]>,
        unconnected: Unconnected,
    ) -> Result<Vec<Option<EagerTensor>>> {
        tape.mark_used()?;
        self.gradient_unchecked(tape, targets, sources, output_gradients, unconnected)
    }

    /// `gradient` without the one-use check (jacobians differentiate once per element).
    pub fn gradient_unchecked(
        &self,
        tape: &Tape,
        targets: &[EagerTensor],
        sources: &[EagerTensor],
        output_gradients: Option<&[Option<EagerTensor>]>,
        unconnected: Unconnected,
    ) -> Result<Vec<Option<EagerTensor>>> {
        let records: Vec<Arc<Record>> = lock(&tape.data).records.clone();
        let source_ids: FxHashSet<u64> = sources
            .iter()
            .filter(|s| s.value.dtype().is_trainable())
            .map(|s| s.id)
            .collect();
        // Records between the sources and anything: those with an input that depends on a
        // source. Records are in execution order, so one forward sweep finds them.
        let mut reaches: FxHashSet<u64> = source_ids.clone();
        let mut relevant = vec![false; records.len()];
        for (i, r) in records.iter().enumerate() {
            if r.inputs.iter().any(|t| reaches.contains(&t.id)) {
                relevant[i] = true;
                reaches.extend(r.outputs.iter().map(|t| t.id));
            }
        }
        let mut grads: FxHashMap<u64, Vec<EagerTensor>> = FxHashMap::default();
        for (k, t) in targets.iter().enumerate() {
            if !t.value.dtype().is_trainable() {
                continue;
            }
            let seed = match output_gradients
                .and_then(|g| g.get(k))
                .and_then(|g| g.clone())
            {
                Some(g) => g,
                None => EagerTensor::new(Value::full(t.value.dtype(), t.value.shape(), 1.0)),
            };
            grads.entry(t.id).or_default().push(seed);
        }
        // Reverse execution order is a reverse topological order: when a record is
        // reached, every consumer of its outputs has delivered its contribution.
        for (r, _) in records.iter().zip(&relevant).rev().filter(|(_, &rel)| rel) {
            let mut out_grads: Vec<Option<EagerTensor>> = Vec::with_capacity(r.outputs.len());
            for o in &r.outputs {
                let parts = if source_ids.contains(&o.id) {
                    grads.get(&o.id).cloned().unwrap_or_default()
                } else {
                    grads.remove(&o.id).unwrap_or_default()
                };
                let summed = self.sum(parts)?;
                if let Some(s) = &summed {
                    if source_ids.contains(&o.id) {
                        grads.insert(o.id, vec![s.clone()]);
                    }
                }
                out_grads.push(summed);
            }
            if out_grads.iter().all(Option::is_none) {
                continue;
            }
            let backward = r.func.backward()?;
            let Some(bfunc) = &backward.func else {
                continue;
            };
            let mut inputs: Vec<EagerTensor> = r.inputs.clone();
            inputs.extend(r.outputs.iter().cloned());
            for &i in &backward.grad_outputs {
                let g = match out_grads.get(i).cloned().flatten() {
                    Some(g) => g,
                    None => {
                        let v = &r.outputs[i].value;
                        EagerTensor::new(Value::zeros(v.dtype(), v.shape()))
                    }
                };
                inputs.push(g);
            }
            let in_grads = self.call(bfunc, &inputs)?;
            for (g, &slot) in in_grads.into_iter().zip(&backward.input_slots) {
                let id = r.inputs[slot].id;
                if reaches.contains(&id) {
                    grads.entry(id).or_default().push(g);
                }
            }
        }
        let mut out = Vec::with_capacity(sources.len());
        for s in sources {
            let g = if source_ids.contains(&s.id) {
                self.sum(grads.get(&s.id).cloned().unwrap_or_default())?
            } else {
                None
            };
            out.push(match (g, unconnected) {
                (Some(g), _) => Some(g),
                (None, Unconnected::Zero) => Some(EagerTensor::new(Value::zeros(
                    s.value.dtype(),
                    s.value.shape(),
                ))),
                (None, Unconnected::None) => None,
            });
        }
        Ok(out)
    }
}

fn build_op_function(op_type: &str, inputs: &[EagerTensor], attrs: &Attrs) -> Result<Function> {
    let g = Graph::new();
    let mut fed = Vec::with_capacity(inputs.len());
    for t in inputs {
        let v = &t.value;
        fed.push(if folds(v) {
            source::const_value(&g, v.clone(), Some("input"))?
        } else {
            source::placeholder(&g, v.dtype(), Shape::known(v.shape()), Some("input"))?
        });
    }
    let op = g.add_op_def(op_type, &fed, attrs, Some(op_type))?;
    if let Some(crate::attr::AttrValue::Str(grad_type)) = attrs.get("_gradient_op_type") {
        // `gradient_override_map` in eager mode, as TF's `_gradient_op_type` attribute.
        if let Some(node) = g.write().nodes.get_mut(op.node as usize) {
            node.set_gradient_op_type(Some(grad_type.as_str().into()));
        }
    }
    let n = g.read().node_checked(op)?.num_outputs();
    let outputs: Vec<Tensor> = (0..n as u32).map(|i| op.output(i)).collect();
    // Ops without outputs (variable updates) run as targets.
    Function::new(&g, fed, outputs, &[op], op_type)
}
