//! Gradient templates: a structural rule runs once per signature, and every later op of the
//! same signature gets a replay of what that run built (see `graph/recording.rs`).
//!
//! A rule registered as structural (`GradRegistry::structural`) promises that the ops it
//! builds depend only on its op's attributes, the static types of the op's inputs and
//! outputs and of the incoming gradients, and which of those tensors are the same. That is
//! the signature; a chain of a thousand `tanh(y * 1.0001 + 0.1)` steps has three. The first
//! op of a signature runs the rule while the graph records; the others replay it.

use super::registry::BuiltinGradFn;
use super::{Grad, GradCtx};
use crate::error::Result;
use crate::graph::{GraphData, Recording, Source, Tensor};
use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use std::sync::Arc;

/// A signature, as words: the rule, the op's attributes, the interned types of the inputs,
/// the outputs and the incoming gradients, and the sameness of those tensors.
type Signature = SmallVec<[u32; 16]>;

/// What one structural rule built for one signature.
#[derive(Debug)]
struct Template {
    recording: Recording,
    /// Per input of the op: its gradient, or `None`.
    results: SmallVec<[Option<Source>; 2]>,
}

/// A graph's templates, by signature; `None` for a signature whose run could not be recorded.
#[derive(Debug)]
pub(crate) struct Templates {
    by_signature: FxHashMap<Signature, Option<Arc<Template>>>,
    enabled: bool,
}

impl Default for Templates {
    fn default() -> Self {
        Templates {
            by_signature: FxHashMap::default(),
            enabled: true,
        }
    }
}

#[cfg(test)]
impl Templates {
    /// Turns replaying off (or on again): the rules then run for every op, as without
    /// templates. Tests compare the two.
    pub(crate) fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
    }
}

/// Marks an absent incoming gradient in a signature.
const ABSENT: u32 = u32::MAX;

/// The signature of differentiating `ctx`'s op by `rule` with `grads`, and the tensors a
/// template reads (inputs, outputs, present gradients); `None` when the op's kind has no
/// attribute key or a gradient is sparse.
fn signature(
    data: &GraphData,
    rule: BuiltinGradFn,
    ctx: &GradCtx<'_>,
    grads: &[Option<Grad>],
) -> Option<(Signature, SmallVec<[Tensor; 8]>)> {
    let mut sig = Signature::new();
    let rule = rule as usize as u64;
    sig.extend([rule as u32, (rule >> 32) as u32, ctx.kind.template_key()?]);
    let mut given: SmallVec<[Tensor; 8]> = SmallVec::new();
    sig.push(ctx.inputs.len() as u32);
    for &t in &ctx.inputs {
        sig.push(data.meta_id(t)?);
        given.push(t);
    }
    sig.push(ctx.num_outputs as u32);
    for i in 0..ctx.num_outputs {
        let t = ctx.output(i);
        sig.push(data.meta_id(t)?);
        given.push(t);
    }
    sig.push(grads.len() as u32);
    for grad in grads {
        match grad {
            None => sig.push(ABSENT),
            Some(Grad::Dense(t)) => {
                sig.push(data.meta_id(*t)?);
                given.push(*t);
            }
            Some(Grad::Sparse(_)) => return None,
        }
    }
    // Which given tensors, and which of their ops, are the same: `x * x` differs from
    // `x * y`, and a control input on one output's op reads the op, not the tensor.
    for (i, t) in given.iter().enumerate() {
        let same_tensor = given.iter().position(|u| u == t).unwrap_or(i);
        let same_op = given.iter().position(|u| u.node == t.node).unwrap_or(i);
        sig.push(((same_tensor as u32) << 16) | same_op as u32);
    }
    Some((sig, given))
}

/// `rule(ctx, grads)`, replayed from a template when this signature has one, else run (and
/// recorded when it is the signature's first).
// Kept out of `backprop`: inlined there, the gradient walk measured 15% slower per op added
// (fan-out and chain of 1k, 2026-11-27).
#[inline(never)]
pub(super) fn differentiate(
    ctx: &GradCtx<'_>,
    rule: BuiltinGradFn,
    grads: &[Option<Grad>],
) -> Result<Vec<Option<Grad>>> {
    let g = ctx.graph;
    let mut recording = None;
    {
        let mut data = g.write();
        let Some((sig, given)) = data
            .templates
            .enabled
            .then(|| signature(&data, rule, ctx, grads))
            .flatten()
        else {
            drop(data);
            return rule(ctx, grads);
        };
        match data.templates.by_signature.get(&sig) {
            Some(Some(template)) => {
                let template = Arc::clone(template);
                if let Some(first) = data.replay(&template.recording, &given)? {
                    let id = data.id();
                    return Ok(template
                        .results
                        .iter()
                        .map(|r| {
                            r.and_then(|s| Recording::tensor(id, &given, first, s))
                                .map(Grad::Dense)
                        })
                        .collect());
                }
            }
            Some(None) => {}
            None => recording = data.recording_start().map(|start| (start, sig, given)),
        }
    }
    let out = rule(ctx, grads)?;
    if let Some((start, sig, given)) = recording {
        let mut data = g.write();
        let end = data.nodes().len() as u32;
        let template = data.record_since(&start, &given).and_then(|recording| {
            let results = out
                .iter()
                .map(|r| match r {
                    None => Some(None),
                    Some(Grad::Dense(t)) => Recording::source_of(&start, &given, end, *t).map(Some),
                    Some(Grad::Sparse(_)) => None,
                })
                .collect::<Option<_>>()?;
            Some(Arc::new(Template { recording, results }))
        });
        data.templates.by_signature.insert(sig, template);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::dtype::DType;
    use crate::grad::{gradients, Grad, GradientOptions};
    use crate::graph::{Graph, Tensor};
    use crate::ops::binary::{self, BinaryOp, Operand};
    use crate::ops::unary::{self, UnaryOp};
    use crate::ops::{array, control, linalg, reduce, source};
    use crate::shape::Shape;
    use crate::Result;

    /// Every structural rule, over shapes that broadcast each way, partly unknown shapes,
    /// a tensor used twice, each signature more than once, and second derivatives.
    fn program(g: &Graph) -> Result<()> {
        let x = source::placeholder(g, DType::F32, Shape::known(&[16]), Some("x"))?;
        let a = source::placeholder(g, DType::F64, Shape::known(&[2, 3]), Some("a"))?;
        let b = source::placeholder(g, DType::F64, Shape::known(&[3]), Some("b"))?;
        let c = source::placeholder(g, DType::F64, Shape::from_dims(&[None, Some(3)]), Some("c"))?;
        let mut y = x;
        for _ in 0..4 {
            let scaled = binary::operator(g, BinaryOp::Mul, y, Operand::S(1.0001))?;
            let shifted = binary::operator(g, BinaryOp::AddV2, scaled, Operand::S(0.1))?;
            y = unary::unary(g, UnaryOp::Tanh, shifted, None)?;
        }
        let chain = reduce::reduce_sum_all(g, y)?;
        let mut terms = Vec::new();
        let binaries = [
            BinaryOp::AddV2,
            BinaryOp::Sub,
            BinaryOp::Mul,
            BinaryOp::RealDiv,
            BinaryOp::DivNoNan,
            BinaryOp::Pow,
            BinaryOp::Maximum,
            BinaryOp::Minimum,
            BinaryOp::SquaredDifference,
            BinaryOp::Atan2,
        ];
        for op in binaries {
            for (l, r) in [(a, b), (b, a), (a, a), (c, b), (b, c)] {
                for _ in 0..2 {
                    let t = binary::binary(g, op, l, r, None)?;
                    terms.push(reduce::reduce_sum_all(g, t)?);
                }
            }
            let t = binary::operator(g, op, a, Operand::S(0.5))?;
            terms.push(reduce::reduce_sum_all(g, t)?);
        }
        for op in UnaryOp::ALL {
            if matches!(op, UnaryOp::LogicalNot) {
                continue;
            }
            for input in [a, c, a] {
                let t = unary::unary(g, op, input, None)?;
                terms.push(reduce::reduce_sum_all(g, t)?);
            }
        }
        let m = source::placeholder(g, DType::F64, Shape::known(&[3, 3]), Some("m"))?;
        for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
            for (l, r) in [(m, m), (m, a), (a, m)] {
                let Ok(t) = linalg::matmul(g, l, r, ta, tb) else {
                    continue;
                };
                terms.push(reduce::reduce_sum_all(g, t)?);
            }
        }
        for input in [a, c, a] {
            for shape in [&[6i64][..], &[3, -1], &[-1]] {
                let t = array::reshape(g, input, shape)?;
                terms.push(reduce::reduce_sum_all(g, t)?);
            }
        }
        let loss = control::add_n(g, &terms)?;
        let xs = [x, a, b, c, m];
        let first = gradients(g, &[chain, loss], &xs, &GradientOptions::default())?;
        let dense: Vec<Tensor> = first
            .into_iter()
            .flatten()
            .map(|grad| match grad {
                Grad::Dense(t) => Ok(t),
                Grad::Sparse(_) => Err(crate::Error::internal("sparse")),
            })
            .collect::<Result<_>>()?;
        let sums = dense
            .iter()
            .map(|t| reduce::reduce_sum_all(g, *t))
            .collect::<Result<Vec<_>>>()?;
        let total = control::add_n(g, &sums[1..])?;
        gradients(g, &[sums[0], total], &xs, &GradientOptions::default())?;
        Ok(())
    }

    /// Everything about each op that a user could see, and how the names made around
    /// them would be made unique.
    fn dump(g: &Graph) -> Vec<String> {
        let mut lines = Vec::new();
        let names: Vec<String> = {
            let data = g.read();
            for n in data.nodes() {
                let input = |t: &Tensor| {
                    let p = data.node(t.node).map_or("?", |p| data.op_name(p));
                    format!("{p}:{}", t.index)
                };
                let controls: Vec<&str> = n
                    .control_inputs()
                    .iter()
                    .map(|c| data.node(*c).map_or("?", |p| data.op_name(p)))
                    .collect();
                lines.push(format!(
                    "{} = {:?}({}) ^{:?} -> {:?} @{:?} consumers {:?}",
                    data.op_name(n),
                    n.op,
                    n.inputs.iter().map(input).collect::<Vec<_>>().join(", "),
                    controls,
                    data.output_metas(n),
                    n.device(),
                    n.consumers,
                ));
            }
            data.nodes()
                .iter()
                .map(|n| data.op_name(n).to_string())
                .collect()
        };
        for name in names {
            let scope = name.rsplit_once('/').map_or("", |(s, _)| s);
            for probe in [
                name.clone(),
                format!("{scope}/Shape"),
                format!("{scope}/mul"),
                format!("{name}/y"),
            ] {
                lines.push(format!("{probe} -> {}", g.unique_name(&probe, false)));
            }
            lines.push(format!(
                "{name} is op {:?}",
                g.op_by_name(&name).map(|o| o.node)
            ));
        }
        lines
    }

    #[test]
    fn replayed_gradients_build_the_same_graph_as_running_the_rules() -> Result<()> {
        let replayed = Graph::new();
        program(&replayed)?;
        let run = Graph::new();
        run.write().templates.set_enabled(false);
        program(&run)?;
        let (replayed_dump, run_dump) = (dump(&replayed), dump(&run));
        assert_eq!(replayed_dump.len(), run_dump.len());
        for (r, e) in replayed_dump.iter().zip(&run_dump) {
            assert_eq!(r, e);
        }
        // The replays did happen: the templates were recorded, and most rules replayed.
        let templates = replayed.read().templates.by_signature.len();
        assert!(templates > 50, "{templates} templates");
        assert!(replayed
            .read()
            .templates
            .by_signature
            .values()
            .all(Option::is_some));
        Ok(())
    }
}
