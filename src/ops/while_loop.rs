//! `While` / `StatelessWhile`: TF 2's functional loop, as `tf.compat.v1.while_loop` builds it
//! with control flow v2.
//!
//! The loop's `cond` and `body` are functions held by the op: each is a closed sub-graph of
//! the same graph, from placeholders standing for the loop variables (`args`) to its results
//! (`outputs`). Nothing outside reaches into them: values the functions capture from outside
//! are extra loop variables that the body passes through unchanged, as TF appends captures
//! to the `While` op's inputs. The executor (exec/loops.rs) compiles each function into a plan
//! once and runs the plans iteration after iteration — a loop, never a recursion, so the
//! iteration count is bounded by time only.
//!
//! The gradient is a second `While` that walks the iterations backwards. It needs each
//! iteration's loop variables, so differentiating a loop turns the forward op into an
//! *accumulating* one (TF rewrites the forward op the same way, adding accumulator outputs):
//! after the `m` loop outputs come the iteration count and, per loop variable the body
//! changes, the stack of its values at the start of every iteration. The gradient body reads
//! row `k` of each stack, rebuilds the forward body on it (a copy of the forward function's
//! ops) and applies `gradients()` to that copy; every op of it is an ordinary differentiable
//! op, so the gradient `While` has a gradient too. Random ops are not rebuilt: the forward op
//! also stacks what they drew, and the copy reads row `k` of that stack instead.

use super::{Family, InferCtx, KernelCtx, OpKind, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{densify, gradients, Grad, GradCtx, GradientOptions};
use crate::graph::{Graph, Metas, Node, NodeId, OpRef, OpSpec, Tensor, TensorMeta};
use crate::ops::binary::{binary, BinaryOp};
use crate::ops::flow::FlowOp;
use crate::ops::{array, index, source};
use crate::shape::Shape;
use crate::value::Value;
use rustc_hash::{FxHashMap, FxHashSet};
use smallvec::SmallVec;

/// A function of a loop: placeholders for the loop variables and the tensors it returns.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopFn {
    /// TF's function name (`while_body_3`), shown by `get_attr`.
    pub name: String,
    pub args: Vec<Tensor>,
    pub outputs: Vec<Tensor>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WhileOp {
    /// Returns one scalar: run the body while it holds (TF's `ToBool` of the value).
    pub cond: LoopFn,
    /// Returns the next value of every loop variable, then `collected` more tensors.
    pub body: LoopFn,
    /// How many per-iteration results the body returns after the loop variables: each is
    /// stacked over the iterations into one output after the loop outputs (what `map_fn`
    /// and `scan` write to a `TensorArray` in TF).
    pub collected: usize,
    /// `StatelessWhile` when neither function holds a stateful op.
    pub stateless: bool,
    pub parallel_iterations: i64,
    /// The loop variables' shapes as declared (their shape invariants).
    pub output_shapes: Vec<Shape>,
    /// Loop variables whose values at the start of every iteration are stacked into extra
    /// outputs (after the iteration count); empty until the loop is differentiated.
    pub accumulated: Vec<usize>,
    /// Whether the op has the extra outputs (iteration count and stacks).
    pub accumulates: bool,
    /// Outputs of the body's random ops, whose values in every iteration are stacked into
    /// extra outputs after the loop variables' stacks (empty until the loop is
    /// differentiated). The gradient reuses them where it rebuilds the body: drawn again,
    /// they would differ from the values the forward loop used.
    pub recorded: Vec<Tensor>,
}

impl WhileOp {
    /// The loop variables the body returns unchanged (captured values): their value is the
    /// same in every iteration, so they need no stack.
    pub fn invariant(&self, j: usize) -> bool {
        matches!((self.body.args.get(j), self.body.outputs.get(j)), (Some(a), Some(o)) if a == o)
    }
}

impl Family for WhileOp {
    fn type_name(&self) -> &'static str {
        if self.stateless {
            "StatelessWhile"
        } else {
            "While"
        }
    }

    fn from_def(op_type: &str, _attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        match op_type {
            "While" | "StatelessWhile" => Some(Err(Error::invalid(format!(
                "a {op_type} op holds its cond and body functions: build it with while_loop"
            )))),
            _ => None,
        }
    }

    fn attrs(&self, node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        vec![
            ("T", AttrValue::Types(input_types.to_vec())),
            ("cond", AttrValue::Str(self.cond.name.clone())),
            ("body", AttrValue::Str(self.body.name.clone())),
            (
                "parallel_iterations",
                AttrValue::Int(self.parallel_iterations),
            ),
            (
                "_num_original_outputs",
                AttrValue::Int(node.inputs.len() as i64),
            ),
        ]
    }

    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        let m = ctx.num_inputs();
        let counts = [
            ("cond arguments", self.cond.args.len()),
            ("body arguments", self.body.args.len()),
            (
                "body results",
                self.body.outputs.len().saturating_sub(self.collected),
            ),
            ("output shapes", self.output_shapes.len()),
        ];
        for (what, n) in counts {
            if n != m {
                return Err(ctx.err(format!("While has {m} loop variables but {n} {what}")));
            }
        }
        if self.cond.outputs.len() != 1 {
            return Err(ctx.err("a While cond must return one tensor"));
        }
        let mut out = Metas::new();
        for j in 0..m {
            let dtype = ctx.dtype(j)?;
            for t in [self.cond.args[j], self.body.args[j], self.body.outputs[j]] {
                let meta = ctx.graph.meta(t)?;
                if meta.dtype != dtype {
                    return Err(Error::type_error(format!(
                        "Loop var {} enters the loop with type {dtype} but its function \
                         tensor {} has type {}",
                        j,
                        ctx.graph.tensor_label(t),
                        meta.dtype
                    )));
                }
            }
            let shape = &self.output_shapes[j];
            if !shape.is_compatible_with(ctx.shape(j)?) {
                return Err(ctx.err(format!(
                    "loop var {j} has shape {} but its shape invariant is {shape}",
                    ctx.shape(j)?
                )));
            }
            out.push(TensorMeta::new(dtype, shape.clone()));
        }
        for t in self.body.outputs.get(m..).unwrap_or(&[]) {
            let meta = ctx.graph.meta(*t)?;
            out.push(TensorMeta::new(meta.dtype, stacked_shape(&meta.shape)));
        }
        if self.accumulates {
            out.push(TensorMeta::new(DType::I32, Shape::scalar()));
            for &j in &self.accumulated {
                let meta = out
                    .get(j)
                    .ok_or_else(|| ctx.err(format!("no loop variable {j} to accumulate")))?;
                out.push(TensorMeta::new(meta.dtype, stacked_shape(&meta.shape)));
            }
            for t in &self.recorded {
                let meta = ctx.graph.meta(*t)?;
                out.push(TensorMeta::new(meta.dtype, stacked_shape(&meta.shape)));
            }
        }
        Ok(out)
    }

    fn compute(&self, _ctx: &KernelCtx<'_>, _inputs: &[Value]) -> Result<Outputs> {
        Err(Error::internal(
            "a While op runs through its plans (exec/loops.rs), not as a kernel",
        ))
    }

    fn register_gradients(r: &mut GradRegistry) {
        r.builtin("While", while_grad);
        r.builtin("StatelessWhile", while_grad);
    }
}

/// The shape of a stack of tensors of shape `row`, one per iteration.
fn stacked_shape(row: &Shape) -> Shape {
    match row.dims() {
        Some(d) => {
            let mut dims = vec![None];
            dims.extend_from_slice(d);
            Shape::from_dims(&dims)
        }
        None => Shape::unknown(),
    }
}

/// What `while_loop` needs besides the graph.
pub struct WhileSpec<'a> {
    pub inputs: &'a [Tensor],
    pub cond: LoopFn,
    pub body: LoopFn,
    /// Shape invariants; `None` keeps every input's shape.
    pub output_shapes: Option<Vec<Shape>>,
    pub parallel_iterations: i64,
    /// Per-iteration results after the loop variables in `body.outputs`.
    pub collected: usize,
    pub name: Option<&'a str>,
}

/// Adds a `While` (or `StatelessWhile`) op running `spec.body` while `spec.cond` holds.
pub fn while_loop(g: &Graph, spec: WhileSpec<'_>) -> Result<OpRef> {
    let output_shapes = match spec.output_shapes {
        Some(s) => s,
        None => spec
            .inputs
            .iter()
            .map(|t| g.shape(*t))
            .collect::<Result<_>>()?,
    };
    let stateless = !has_stateful_op(g, &[&spec.cond, &spec.body])?;
    g.add_op(OpSpec {
        op: OpKind::Loop(Box::new(WhileOp {
            cond: spec.cond,
            body: spec.body,
            collected: spec.collected,
            stateless,
            parallel_iterations: spec.parallel_iterations,
            output_shapes,
            accumulated: Vec::new(),
            accumulates: false,
            recorded: Vec::new(),
        })),
        inputs: spec.inputs,
        name: spec.name.or(Some("while")),
    })
}

/// The ops of `f` other than its arguments, in creation (so topological) order: everything
/// its outputs depend on through data and control edges, up to the arguments.
pub(crate) fn function_nodes(g: &Graph, f: &LoopFn) -> Result<Vec<NodeId>> {
    let data = g.read();
    let stop: FxHashSet<NodeId> = f.args.iter().map(|t| t.node).collect();
    let mut seen: FxHashSet<NodeId> = FxHashSet::default();
    let mut stack: Vec<NodeId> = f
        .outputs
        .iter()
        .map(|t| t.node)
        .filter(|n| !stop.contains(n))
        .collect();
    while let Some(node) = stack.pop() {
        if !seen.insert(node) {
            continue;
        }
        let n = data.node_checked(OpRef {
            graph: data.id(),
            node,
        })?;
        let preds = n.inputs.iter().map(|t| t.node);
        for p in preds.chain(n.control_inputs().iter().copied()) {
            if !stop.contains(&p) && !seen.contains(&p) {
                stack.push(p);
            }
        }
    }
    let mut nodes: Vec<NodeId> = seen.into_iter().collect();
    nodes.sort_unstable();
    Ok(nodes)
}

fn has_stateful_op(g: &Graph, fns: &[&LoopFn]) -> Result<bool> {
    for f in fns {
        let nodes = function_nodes(g, f)?;
        let data = g.read();
        for node in nodes {
            let stateful = data.node(node).is_some_and(|n| match &n.op {
                OpKind::Random(_) | OpKind::State(_) => true,
                OpKind::Flow(f) => matches!(**f, FlowOp::Assert { .. } | FlowOp::Print { .. }),
                OpKind::Loop(w) => !w.stateless,
                _ => false,
            });
            if stateful {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Rebuilds the ops of `f` on new arguments (in the current name scope) and returns what
/// stands for its outputs. Ops of `f` keep their types and attributes; a nested loop's
/// functions are shared, not copied (they are closed, so any copy of the loop op can run them).
/// `given` maps tensors of `f` to what stands for them in the copy; an op all of whose
/// outputs are given is not copied.
fn copy_function(
    g: &Graph,
    f: &LoopFn,
    args: &[Tensor],
    given: &[(Tensor, Tensor)],
) -> Result<Vec<Tensor>> {
    let nodes = function_nodes(g, f)?;
    let mut tensors: FxHashMap<Tensor, Tensor> = f
        .args
        .iter()
        .copied()
        .zip(args.iter().copied())
        .chain(given.iter().copied())
        .collect();
    let mut ops: FxHashMap<NodeId, NodeId> = FxHashMap::default();
    for node in nodes {
        let num_outputs = g.read().node(node).map_or(0, |n| n.num_outputs() as u32);
        let all_given = num_outputs > 0
            && (0..num_outputs).all(|index| {
                tensors.contains_key(&Tensor {
                    graph: g.id(),
                    node,
                    index,
                })
            });
        if all_given {
            continue;
        }
        let (kind, inputs, controls, name) = {
            let data = g.read();
            let n = data
                .node(node)
                .ok_or_else(|| Error::internal(format!("missing op {node}")))?;
            let base = data
                .op_name(n)
                .rsplit('/')
                .next()
                .unwrap_or("op")
                .to_string();
            (
                n.op.clone(),
                n.inputs.clone(),
                n.control_inputs().to_vec(),
                base,
            )
        };
        let inputs: SmallVec<[Tensor; 4]> = inputs
            .iter()
            .map(|t| tensors.get(t).copied().unwrap_or(*t))
            .collect();
        let controls: Vec<OpRef> = controls
            .iter()
            .map(|c| OpRef {
                graph: g.id(),
                node: ops.get(c).copied().unwrap_or(*c),
            })
            .collect();
        g.push_control_dependencies(Some(&controls))?;
        let made = g.add_op(OpSpec {
            op: kind,
            inputs: &inputs,
            name: Some(&name),
        });
        g.pop_control_dependencies();
        let made = made?;
        ops.insert(node, made.node);
        let outputs = g.read().node_checked(made)?.num_outputs();
        for i in 0..outputs as u32 {
            tensors.insert(
                Tensor {
                    graph: g.id(),
                    node,
                    index: i,
                },
                made.output(i),
            );
        }
    }
    Ok(f.outputs
        .iter()
        .map(|t| tensors.get(t).copied().unwrap_or(*t))
        .collect())
}

/// Makes the differentiated loop record its iterations (TF adds accumulators to the forward
/// op the same way), unless it does already; returns the op as it now is.
fn accumulating(g: &Graph, op: OpRef, w: &WhileOp) -> Result<WhileOp> {
    if w.accumulates {
        return Ok(w.clone());
    }
    let mut rec = w.clone();
    rec.accumulates = true;
    rec.accumulated = (0..w.body.args.len())
        .filter(|&j| !w.invariant(j))
        .collect();
    rec.recorded = random_outputs(g, &w.body)?;
    g.replace_op_kind(op, OpKind::Loop(Box::new(rec.clone())))?;
    Ok(rec)
}

/// The outputs of the random ops of `f`.
fn random_outputs(g: &Graph, f: &LoopFn) -> Result<Vec<Tensor>> {
    let nodes = function_nodes(g, f)?;
    let data = g.read();
    let mut out = Vec::new();
    for node in nodes {
        if let Some(n) = data.node(node) {
            if matches!(n.op, OpKind::Random(_)) {
                out.extend((0..n.num_outputs() as u32).map(|index| Tensor {
                    graph: g.id(),
                    node,
                    index,
                }));
            }
        }
    }
    Ok(out)
}

/// Placeholders standing for `like`'s dtypes and shapes: a function's arguments.
fn arguments(g: &Graph, like: &[Tensor]) -> Result<Vec<Tensor>> {
    like.iter()
        .map(|t| {
            let meta = g.meta(*t)?;
            source::placeholder(g, meta.dtype, meta.shape, Some("placeholder"))
        })
        .collect()
}

/// Runs `f` with no enclosing control dependencies and inside `name_scope(scope)`: a
/// function's ops must depend on nothing but its arguments.
fn in_function_scope<T>(g: &Graph, scope: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    g.push_control_dependencies(None)?;
    let (_, previous) = g.enter_name_scope(Some(scope));
    let r = f();
    g.set_name_scope(&previous);
    g.pop_control_dependencies();
    r
}

/// The gradient of a loop: a `While` over the iterations in reverse. Its loop variables
/// are the iteration index `k` (counting down from the forward count) and one gradient per
/// differentiable loop variable; the stacks and the loop-invariant values pass through.
/// Iteration `k` reads the forward variables of iteration `k - 1`, rebuilds the body on them
/// and maps the gradients through it (plus, for a second derivative, the gradient that
/// reached that row of a stack output).
fn while_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> Result<Vec<Option<Grad>>> {
    let g = ctx.graph;
    let OpKind::Loop(w) = &ctx.kind else {
        return Err(Error::internal("while_grad called for a non-While op"));
    };
    let m = ctx.inputs.len();
    let w = accumulating(g, ctx.op, w)?;
    let dtypes: Vec<DType> = ctx
        .inputs
        .iter()
        .map(|t| g.dtype(*t))
        .collect::<Result<_>>()?;
    let diff: Vec<usize> = (0..m)
        .filter(|&j| dtypes.get(j).is_some_and(|d| d.is_trainable()))
        .collect();
    if diff.is_empty() {
        return Ok(vec![None; m]);
    }
    // Outputs: m loop variables, the collected results, the count, the stacks.
    let c = w.collected;
    let count = ctx.output(m + c);
    let stack_of = |j: usize| {
        w.accumulated
            .iter()
            .position(|&a| a == j)
            .map(|k| ctx.output(m + c + 1 + k))
    };
    // Loop variables: k, then the gradients, then what passes through.
    let mut init = vec![count];
    for &j in &diff {
        init.push(match grads.get(j).copied().flatten() {
            Some(gr) => densify(g, gr)?,
            None => array::zeros_like(g, ctx.output(j))?,
        });
    }
    let mut pass_of: Vec<usize> = Vec::with_capacity(m); // loop var j → position in `init`
    for j in 0..m {
        pass_of.push(init.len());
        init.push(match stack_of(j) {
            Some(stack) => stack,
            None => ctx.input(j)?,
        });
    }
    let mut collected_grads: Vec<(usize, usize)> = Vec::new(); // (result, init position)
    for r in 0..c {
        if let Some(gr) = grads.get(m + r).copied().flatten() {
            if g.dtype(ctx.output(m + r))?.is_trainable() {
                collected_grads.push((m + r, init.len()));
                init.push(densify(g, gr)?);
            }
        }
    }
    // The random values of every iteration pass through, for the rebuilt body to read.
    let first_recorded = m + c + 1 + w.accumulated.len();
    let mut recorded_at: Vec<(Tensor, usize)> = Vec::with_capacity(w.recorded.len());
    for (r, &t) in w.recorded.iter().enumerate() {
        recorded_at.push((t, init.len()));
        init.push(ctx.output(first_recorded + r));
    }
    let mut stack_grads: Vec<(usize, usize)> = Vec::new(); // (diff position, init position)
    for (k, &j) in w.accumulated.iter().enumerate() {
        if let Some(gr) = grads.get(m + c + 1 + k).copied().flatten() {
            if let Some(d) = diff.iter().position(|&x| x == j) {
                stack_grads.push((d, init.len()));
                init.push(densify(g, gr)?);
            }
        }
    }

    let cond = in_function_scope(g, "cond", || {
        let args = arguments(g, &init)?;
        let zero = source::scalar_const(g, DType::I32, 0.0, Some("Const"), None)?;
        let pred = binary(g, BinaryOp::Greater, args[0], zero, None)?;
        Ok(LoopFn {
            name: g.unique_name("while_grad_cond", true),
            args,
            outputs: vec![pred],
        })
    })?;
    let body = in_function_scope(g, "body", || {
        let args = arguments(g, &init)?;
        let one = source::scalar_const(g, DType::I32, 1.0, Some("Const"), None)?;
        let k = binary(g, BinaryOp::Sub, args[0], one, None)?;
        let mut state = Vec::with_capacity(m);
        for (j, &p) in pass_of.iter().enumerate() {
            let arg = *args
                .get(p)
                .ok_or_else(|| Error::internal("missing argument"))?;
            state.push(if stack_of(j).is_some() {
                index::gather(g, arg, k, 0)?
            } else {
                arg
            });
        }
        let drawn = recorded_at
            .iter()
            .map(|&(t, p)| Ok((t, index::gather(g, args[p], k, 0)?)))
            .collect::<Result<Vec<_>>>()?;
        let results = copy_function(g, &w.body, &state, &drawn)?;
        let mut ys: Vec<Tensor> = diff.iter().map(|&j| results[j]).collect();
        let xs: Vec<Tensor> = diff.iter().map(|&j| state[j]).collect();
        let mut seeds: Vec<Option<Grad>> = (1..=diff.len())
            .map(|i| Some(Grad::Dense(args[i])))
            .collect();
        // A collected result of iteration k gets row k of its stack's gradient.
        for &(r, p) in &collected_grads {
            ys.push(results[r]);
            seeds.push(Some(Grad::Dense(index::gather(g, args[p], k, 0)?)));
        }
        let opts = GradientOptions {
            grad_ys: Some(seeds),
            ..Default::default()
        };
        let dxs = gradients(g, &ys, &xs, &opts)?;
        let mut outputs = vec![k];
        for (d, (dx, x)) in dxs.into_iter().zip(&xs).enumerate() {
            let mut dx = match dx {
                Some(gr) => densify(g, gr)?,
                None => array::zeros_like(g, *x)?,
            };
            if let Some((_, p)) = stack_grads.iter().find(|(sd, _)| *sd == d) {
                let row = index::gather(g, args[*p], k, 0)?;
                dx = binary(g, BinaryOp::AddV2, dx, row, None)?;
            }
            outputs.push(dx);
        }
        outputs.extend_from_slice(args.get(diff.len() + 1..).unwrap_or(&[]));
        Ok(LoopFn {
            name: g.unique_name("while_grad_body", true),
            args,
            outputs,
        })
    })?;
    let output_shapes = init
        .iter()
        .map(|t| g.shape(*t))
        .collect::<Result<Vec<_>>>()?;
    let grad_loop = while_loop(
        g,
        WhileSpec {
            inputs: &init,
            cond,
            body,
            output_shapes: Some(output_shapes),
            parallel_iterations: w.parallel_iterations,
            collected: 0,
            name: Some("while_grad"),
        },
    )?;
    let mut out = vec![None; m];
    for (d, &j) in diff.iter().enumerate() {
        out[j] = Some(Grad::Dense(grad_loop.output((d + 1) as u32)));
    }
    Ok(out)
}
