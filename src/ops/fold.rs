//! What shape inference knows of an input's value while the graph is built.
//!
//! TF's shape functions read a shape, axis or multiples input through its C++ shape refiner,
//! which does more than look for a `Const`:
//! - `inferred_value` is `EvaluateConstantTensor` (`common_runtime/eval_const_tensor.cc`):
//!   a `Const`; a `Shape`, `Size` or `Rank` whose input's shape says enough; `shape(x)[i]` or
//!   `unstack(shape(x))[i]` when that dimension is known; else the small subgraph feeding
//!   the tensor, run on the spot when nothing in it is fed, stateful or control flow.
//!   So `reshape(x, constant([2, 3]) * 2)` has the static shape `[4, 6]`, and
//!   `[-1, shape(x)[1] * shape(x)[2]]` is `[-1, 12]` when x is `[None, 4, 3]`.
//! - `partial_shape` is `ShapeRefiner::ConstantPartialShape`: the shape a 1-D shape tensor
//!   describes, dimension by dimension, through `Shape`, `Pack`, `ConcatV2`, `Cast` and
//!   strided slices of those, so `zeros(shape(x)[1:])` is `[4]` for x of `[None, 4]`.
//!
//! Gradient rules do not come here: they mirror TF's Python `tensor_util.constant_value`,
//! which folds far less (`GraphData::constant_value`).

use crate::dtype::DType;
use crate::exec::{KernelCtx, SessionState};
use crate::graph::{GraphData, Node, NodeId, Tensor};
use crate::ops::index::IndexOp;
use crate::ops::OpKind;
use crate::value::Value;
use rustc_hash::FxHashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The most ops one evaluation takes in. TF bounds nothing, but it walks a tensor's whole
/// ancestry before it finds a placeholder; a shape computed from a deep graph would make
/// every op built from it cost time that grows with the graph.
const MAX_EVALUATED_OPS: usize = 64;

/// How deep `partial_shape` follows `ConcatV2`, `Cast` and strided slices into each other.
const MAX_PARTIAL_DEPTH: usize = 8;

/// The value of `t` if shape inference can know it (TF's `EvaluateConstantTensor`); `None`
/// when it depends on something fed, stateful or unknown, or when running it fails (TF too
/// leaves such errors to the run).
pub(crate) fn inferred_value(graph: &GraphData, t: Tensor) -> Option<Value> {
    let node = graph.node(t.node)?;
    if let OpKind::Const { value } = &node.op {
        return Some(Value::clone(value));
    }
    if let Some(v) = value_from_shapes(graph, node, t.index as usize) {
        return Some(v);
    }
    evaluate_subgraph(graph, t)
}

/// A single-element integer `inferred_value`, as TF's `EvaluateConstantIntScalarEdge`.
fn inferred_int(graph: &GraphData, t: Tensor) -> Option<i64> {
    match inferred_value(graph, t)?.to_i64_vec().ok()?.as_slice() {
        [v] => Some(*v),
        _ => None,
    }
}

/// TF's `TryInferFromShapes`: `Shape`, `Size` and `Rank` from their input's static shape,
/// and `shape(x)[i]` / `unstack(shape(x))[i]` from one known dimension.
fn value_from_shapes(graph: &GraphData, node: &Node, index: usize) -> Option<Value> {
    let dtype = graph.output_meta(node, index)?.dtype;
    if !matches!(dtype, DType::I32 | DType::I64) {
        return None;
    }
    let input = *node.inputs.first()?;
    let input_shape = &graph.meta(input).ok()?.shape;
    let int = |v: i64| -> Option<i64> {
        // TF refuses what does not fit an int32 output.
        (dtype == DType::I64 || v < i64::from(i32::MAX)).then_some(v)
    };
    let scalar = |v: i64| Value::int_vector(dtype, &[int(v)?]).reshape(&[]).ok();
    match &node.op {
        OpKind::Shape { .. } => {
            let dims = input_shape.to_vec()?;
            let dims: Option<Vec<i64>> = dims.iter().map(|&d| int(d as i64)).collect();
            Some(Value::int_vector(dtype, &dims?))
        }
        OpKind::Size { .. } => scalar(input_shape.num_elements()? as i64),
        OpKind::Rank => scalar(input_shape.rank()? as i64),
        _ => {
            let shape_op = graph.node(input.node)?;
            if !matches!(shape_op.op, OpKind::Shape { .. }) {
                return None;
            }
            let of = &graph.meta(*shape_op.inputs.first()?).ok()?.shape;
            let rank = of.rank()? as i64;
            let ix = shape_index(graph, node, index)?;
            if ix < -rank || ix >= rank {
                return None;
            }
            scalar(of.dim(((ix + rank) % rank) as usize)? as i64)
        }
    }
}

/// `i` when `node` is `tensor[i]` (a strided slice that only shrinks, with a constant
/// index) or output `i` of `unstack(tensor)` along axis 0 (TF's `GetSliceIndex`).
fn shape_index(graph: &GraphData, node: &Node, index: usize) -> Option<i64> {
    match &node.op {
        OpKind::Unpack { axis: 0, .. } => Some(index as i64),
        OpKind::Index(IndexOp::StridedSlice(m))
            if m.begin == 0
                && m.end == 0
                && m.ellipsis == 0
                && m.new_axis == 0
                && m.shrink == 1 =>
        {
            let begin = graph.node(node.inputs.get(1)?.node)?;
            match &begin.op {
                OpKind::Const { value } if value.len() == 1 => {
                    value.to_i64_vec().ok()?.first().copied()
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether an op may be run while building: not fed, not stateful, not control flow
/// (TF's `IsSupportedForEvaluation`).
fn evaluable(node: &Node) -> bool {
    match &node.op {
        OpKind::Const { .. } => true,
        _ if node.inputs.is_empty() => false,
        OpKind::Placeholder { .. }
        | OpKind::PlaceholderWithDefault { .. }
        | OpKind::State(_)
        | OpKind::Random(_)
        | OpKind::RandomDists(_)
        | OpKind::Flow(_)
        | OpKind::Loop(_)
        | OpKind::Host(_)
        | OpKind::Summary(_)
        | OpKind::Strings(_)
        | OpKind::NoOp
        | OpKind::TestPanic => false,
        _ => true,
    }
}

/// Runs the constant subgraph that ends at `t`: gathers it breadth first from `t`'s
/// producer, stopping at values already known (constants, shapes), then runs it in id
/// order, which is an order of inputs before consumers.
fn evaluate_subgraph(graph: &GraphData, t: Tensor) -> Option<Value> {
    let target = graph.node(t.node)?;
    if !evaluable(target) {
        return None;
    }
    let mut known: FxHashMap<(NodeId, u32), Value> = FxHashMap::default();
    let mut to_run: Vec<NodeId> = vec![t.node];
    let mut edges: Vec<Tensor> = target.inputs.to_vec();
    let mut next = 0;
    while let Some(&edge) = edges.get(next) {
        next += 1;
        if to_run.contains(&edge.node) || known.contains_key(&(edge.node, edge.index)) {
            continue;
        }
        let node = graph.node(edge.node)?;
        let value = match &node.op {
            OpKind::Const { value } => Some(Value::clone(value)),
            _ => value_from_shapes(graph, node, edge.index as usize),
        };
        if let Some(v) = value {
            known.insert((edge.node, edge.index), v);
        } else if !evaluable(node) || to_run.len() >= MAX_EVALUATED_OPS {
            return None;
        } else {
            to_run.push(edge.node);
            edges.extend_from_slice(&node.inputs);
        }
    }
    to_run.sort_unstable();
    let state = SessionState::default();
    for &id in &to_run {
        let node = graph.node(id)?;
        let inputs: Option<Vec<Value>> = node
            .inputs
            .iter()
            .map(|x| known.get(&(x.node, x.index)).cloned())
            .collect();
        let metas = graph.output_metas(node);
        let ctx = KernelCtx {
            name: graph.op_name(node),
            node: id,
            state: &state,
            metas: &metas,
        };
        let inputs = inputs?;
        let outputs = catch_unwind(AssertUnwindSafe(|| node.op.compute(&ctx, &inputs)))
            .ok()?
            .ok()?;
        for (i, v) in outputs.into_iter().enumerate() {
            known.insert((id, i as u32), v);
        }
    }
    known.remove(&(t.node, t.index))
}

/// The shape a 1-D integer shape tensor describes, as far as shape inference knows it
/// (TF's `ConstantPartialShape`): `None` when not even its length is known, else one entry
/// per dimension, `None` where unknown. Values are as given (`-1` stays `-1`): each
/// caller decides what a negative one means.
pub(crate) fn partial_shape(graph: &GraphData, t: Tensor) -> Option<Vec<Option<i64>>> {
    partial_shape_at(graph, t, 0)
}

fn partial_shape_at(graph: &GraphData, t: Tensor, depth: usize) -> Option<Vec<Option<i64>>> {
    // The whole vector run as a constant, when it is one (a scalar reads as one dimension,
    // as the shape rules have always taken it).
    let evaluated = || {
        let v = inferred_value(graph, t)?;
        if v.shape().len() > 1 {
            return None;
        }
        v.to_i64_vec()
            .ok()
            .map(|v| v.into_iter().map(Some).collect())
    };
    let unknown_dims = || {
        let n = graph.meta(t).ok()?.shape.dims()?.first().copied()??;
        Some(vec![None; n])
    };
    let node = graph.node(t.node)?;
    let deeper = depth < MAX_PARTIAL_DEPTH;
    // TF's order: the op kinds it follows dimension by dimension first, so that a `Shape` of
    // a partly known shape is read off, not first run (and refused) as a subgraph.
    match &node.op {
        OpKind::Shape { .. } | OpKind::ShapeN { .. } => {
            let src = match node.op {
                OpKind::Shape { .. } => *node.inputs.first()?,
                _ => *node.inputs.get(t.index as usize)?,
            };
            let dims = graph.meta(src).ok()?.shape.dims()?.to_vec();
            Some(dims.iter().map(|d| d.map(|d| d as i64)).collect())
        }
        OpKind::Pack { axis: 0 | -1 } => node
            .inputs
            .iter()
            .map(|x| {
                let scalar = graph.meta(*x).ok()?.shape.rank() == Some(0);
                Some(scalar.then(|| inferred_int(graph, *x)).flatten())
            })
            .collect::<Option<Vec<_>>>()
            .or_else(unknown_dims),
        OpKind::ConcatV2 if deeper => {
            let (_axis, parts) = node.inputs.split_last()?;
            let mut out = Vec::new();
            for p in parts {
                out.extend(partial_shape_at(graph, *p, depth + 1)?);
            }
            Some(out)
        }
        OpKind::Cast { to, .. } if deeper => evaluated().or_else(|| {
            let from = partial_shape_at(graph, *node.inputs.first()?, depth + 1)?;
            if matches!(to, DType::I32 | DType::I64) {
                Some(from)
            } else {
                Some(vec![None; from.len()])
            }
        }),
        OpKind::Index(IndexOp::StridedSlice(m)) if deeper => {
            strided_slice_shape(graph, node, m, depth)
                .or_else(evaluated)
                .or_else(unknown_dims)
        }
        _ => evaluated().or_else(unknown_dims),
    }
}

/// TF's `PartialStridedSliceShape`: a slice `begin:end:stride` of a partly known shape
/// vector, with scalar bounds known and no masks but `begin_mask`/`end_mask` of 1.
fn strided_slice_shape(
    graph: &GraphData,
    node: &Node,
    m: &crate::ops::index::Masks,
    depth: usize,
) -> Option<Vec<Option<i64>>> {
    if !(m.begin == 0 || m.begin == 1)
        || !(m.end == 0 || m.end == 1)
        || m.ellipsis != 0
        || m.new_axis != 0
        || m.shrink != 0
    {
        return None;
    }
    for i in 1..=3 {
        let len = graph
            .meta(*node.inputs.get(i)?)
            .ok()?
            .shape
            .dims()?
            .first()
            .copied()?;
        if len != Some(1) {
            return None;
        }
    }
    let begin = if m.begin == 1 {
        0
    } else {
        inferred_int(graph, *node.inputs.get(1)?)?
    };
    let end = if m.end == 1 {
        i64::MAX
    } else {
        inferred_int(graph, *node.inputs.get(2)?)?
    };
    let stride = inferred_int(graph, *node.inputs.get(3)?)?;
    let input = partial_shape_at(graph, *node.inputs.first()?, depth + 1)?;
    subshape(&input, begin, end, stride)
}

/// TF's `InferenceContext::Subshape` on a shape of known rank: Python's `dims[begin:end:stride]`.
fn subshape(dims: &[Option<i64>], begin: i64, end: i64, stride: i64) -> Option<Vec<Option<i64>>> {
    if stride == 0 {
        return None;
    }
    let rank = dims.len() as i64;
    let clamp = |i: i64, lo: i64, hi: i64| {
        let i = if i < 0 { i + rank } else { i };
        i.clamp(lo, hi)
    };
    let mut out = Vec::new();
    if stride > 0 {
        let (mut i, end) = (clamp(begin, 0, rank), clamp(end, 0, rank));
        while i < end {
            out.push(*dims.get(i as usize)?);
            i += stride;
        }
    } else {
        let (mut i, end) = (clamp(begin, -1, rank - 1), clamp(end, -1, rank - 1));
        while i > end {
            out.push(*dims.get(i as usize)?);
            i += stride;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::subshape;

    #[test]
    fn subshape_is_python_slicing() {
        let d = [Some(1), None, Some(3), Some(4)];
        assert_eq!(
            subshape(&d, 1, i64::MAX, 1),
            Some(vec![None, Some(3), Some(4)])
        );
        assert_eq!(subshape(&d, 0, -2, 1), Some(vec![Some(1), None]));
        assert_eq!(subshape(&d, -1, i64::MIN, -1).map(|v| v.len()), Some(4));
        assert_eq!(subshape(&d, 0, 4, 2), Some(vec![Some(1), Some(3)]));
        assert_eq!(subshape(&d, 0, 4, 0), None);
    }
}
