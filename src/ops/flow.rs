//! Dataflow control flow and run-time checks: `Switch`, `Merge` (TF1's cond primitives),
//! `Assert`, `CheckNumerics` and `Print`.
//!
//! `Switch` and `Merge` are what make a tensor *dead*: the executor (exec/mod.rs,
//! `run_dataflow`) marks the untaken output of a `Switch` dead, skips every op with a dead
//! data or control input (its outputs are dead too), and lets a `Merge` forward its first
//! live input. Their kernels here only say which output is taken / which input is
//! forwarded; the marking is the executor's, as in TF's executor.

use super::{Family, InferCtx, KernelCtx, OpKind, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{densify, Grad, GradCtx};
use crate::graph::{Graph, Metas, Node, OpSpec, Tensor, TensorMeta};
use crate::ops::binary::{self, BinaryOp};
use crate::ops::source;
use crate::shape::Shape;
use crate::value::Value;
use smallvec::{smallvec, SmallVec};
use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq)]
pub enum FlowOp {
    /// `Switch(data, pred) -> (output_false, output_true)`.
    Switch,
    /// `Merge(inputs) -> (output, value_index)`.
    Merge,
    /// `Assert(condition, data...)`. symgrad has no string dtype, so the string items of
    /// `data` are kept as attributes: `messages[k]` stands at position `message_at[k]` of
    /// the data list, between the tensor inputs.
    Assert {
        summarize: i64,
        messages: Vec<String>,
        message_at: Vec<i64>,
    },
    /// `CheckNumerics(tensor)`: identity that fails on NaN or Inf.
    CheckNumerics { message: String },
    /// `Print(input, data...)`: identity on `input` that logs `message` and the data.
    Print {
        message: String,
        first_n: i64,
        summarize: i64,
    },
}

impl Family for FlowOp {
    fn type_name(&self) -> &'static str {
        match self {
            FlowOp::Switch => "Switch",
            FlowOp::Merge => "Merge",
            FlowOp::Assert { .. } => "Assert",
            FlowOp::CheckNumerics { .. } => "CheckNumerics",
            FlowOp::Print { .. } => "Print",
        }
    }

    fn from_def(op_type: &str, attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        let strs = |name: &str| -> Result<Vec<String>> {
            match attrs.get(name) {
                None => Ok(Vec::new()),
                Some(AttrValue::Strs(v)) => Ok(v.clone()),
                // Python's `[]` arrives as an empty int list.
                Some(AttrValue::Ints(v)) if v.is_empty() => Ok(Vec::new()),
                Some(other) => Err(Error::type_error(format!(
                    "attr '{name}' must be a list of strings, got {other:?}"
                ))),
            }
        };
        Some(match op_type {
            "Switch" => Ok(FlowOp::Switch),
            "Merge" => Ok(FlowOp::Merge),
            "Assert" => (|| {
                let messages = strs("_messages")?;
                let message_at = attrs.ints_or("_message_at", Vec::new())?;
                if messages.len() != message_at.len() {
                    return Err(Error::invalid(
                        "Assert: '_messages' and '_message_at' differ in length",
                    ));
                }
                Ok(FlowOp::Assert {
                    summarize: attrs.int_or("summarize", 3)?,
                    messages,
                    message_at,
                })
            })(),
            "CheckNumerics" => attrs
                .str_or("message", "")
                .map(|message| FlowOp::CheckNumerics { message }),
            "Print" => (|| {
                Ok(FlowOp::Print {
                    message: attrs.str_or("message", "")?,
                    first_n: attrs.int_or("first_n", -1)?,
                    summarize: attrs.int_or("summarize", 3)?,
                })
            })(),
            _ => return None,
        })
    }

    fn attrs(&self, node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        let t0 = || input_types.first().map(|d| ("T", AttrValue::Type(*d)));
        match self {
            FlowOp::Switch => t0().into_iter().collect(),
            FlowOp::Merge => t0()
                .into_iter()
                .chain([("N", AttrValue::Int(node.inputs.len() as i64))])
                .collect(),
            FlowOp::Assert {
                summarize,
                messages,
                message_at,
            } => vec![
                (
                    "T",
                    AttrValue::Types(input_types.get(1..).unwrap_or(&[]).to_vec()),
                ),
                ("summarize", AttrValue::Int(*summarize)),
                ("_messages", AttrValue::Strs(messages.clone())),
                ("_message_at", AttrValue::Ints(message_at.clone())),
            ],
            FlowOp::CheckNumerics { message } => t0()
                .into_iter()
                .chain([("message", AttrValue::Str(message.clone()))])
                .collect(),
            FlowOp::Print {
                message,
                first_n,
                summarize,
            } => t0()
                .into_iter()
                .chain([
                    (
                        "U",
                        AttrValue::Types(input_types.get(1..).unwrap_or(&[]).to_vec()),
                    ),
                    ("message", AttrValue::Str(message.clone())),
                    ("first_n", AttrValue::Int(*first_n)),
                    ("summarize", AttrValue::Int(*summarize)),
                ])
                .collect(),
        }
    }

    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        match self {
            FlowOp::Switch => {
                ctx.expect_inputs(2)?;
                expect_bool(ctx, 1, "Switch", "pred")?;
                expect_scalar(ctx, 1)?;
                let data = ctx.input(0)?.clone();
                Ok(smallvec![data.clone(), data])
            }
            FlowOp::Merge => {
                if ctx.num_inputs() == 0 {
                    return Err(ctx.err("Merge expects at least one input"));
                }
                let first = ctx.input(0)?.clone();
                let mut shape = first.shape.clone();
                for i in 1..ctx.num_inputs() {
                    let m = ctx.input(i)?;
                    if m.dtype != first.dtype {
                        let names: Vec<&str> = (0..ctx.num_inputs())
                            .map(|j| ctx.dtype(j).map(DType::name).unwrap_or("?"))
                            .collect();
                        return Err(Error::type_error(format!(
                            "Tensors in list passed to 'inputs' of 'Merge' Op have types [{}] that don't all match.",
                            names.join(", ")
                        )));
                    }
                    shape = merge_shape(&shape, &m.shape);
                }
                Ok(smallvec![
                    TensorMeta::new(first.dtype, shape),
                    TensorMeta::new(DType::I32, Shape::known(&[]))
                ])
            }
            FlowOp::Assert { .. } => {
                if ctx.num_inputs() == 0 {
                    return Err(ctx.err("Assert expects a condition"));
                }
                expect_bool(ctx, 0, "Assert", "condition")?;
                Ok(SmallVec::new())
            }
            FlowOp::CheckNumerics { .. } => {
                ctx.expect_inputs(1)?;
                let m = ctx.input(0)?.clone();
                if !m.dtype.is_floating() {
                    return Err(Error::type_error(format!(
                        "Value passed to parameter 'tensor' has DataType {} not in list of allowed values: bfloat16, float16, float32, float64",
                        m.dtype.name()
                    )));
                }
                Ok(smallvec![m])
            }
            FlowOp::Print { .. } => {
                if ctx.num_inputs() == 0 {
                    return Err(ctx.err("Print expects an input"));
                }
                Ok(smallvec![ctx.input(0)?.clone()])
            }
        }
    }

    fn compute(&self, ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        match self {
            // Dead outputs are the executor's business: it runs these two itself.
            FlowOp::Switch | FlowOp::Merge => Err(Error::internal(
                "Switch and Merge run in the executor's dataflow loop",
            )),
            FlowOp::Assert {
                summarize,
                messages,
                message_at,
            } => {
                let cond = inputs
                    .first()
                    .ok_or_else(|| Error::internal("Assert without a condition"))?;
                if cond.len() != 1 || cond.shape().len() > 1 {
                    return Err(Error::op_invalid(format!(
                        "In[0] should be a scalar: {}",
                        shape_text(cond.shape())
                    )));
                }
                if let Value::Bool(a) = cond {
                    if a.iter().all(|&b| b) {
                        return Ok(SmallVec::new());
                    }
                }
                let mut text = String::from("assertion failed: ");
                let data = inputs.get(1..).unwrap_or(&[]);
                let total = data.len() + messages.len();
                let mut tensors = data.iter();
                for pos in 0..total {
                    if pos > 0 {
                        text.push(' ');
                    }
                    let message = message_at
                        .iter()
                        .position(|&p| p == pos as i64)
                        .and_then(|k| messages.get(k));
                    if let Some(m) = message {
                        let _ = write!(text, "[{m}]");
                    } else if let Some(v) = tensors.next() {
                        let _ = write!(text, "[{}]", summarize_value(v, *summarize));
                    }
                }
                Err(Error::op_invalid(text))
            }
            FlowOp::CheckNumerics { message } => {
                let v = inputs
                    .first()
                    .ok_or_else(|| Error::internal("CheckNumerics without input"))?;
                let (nan, inf) = match v {
                    Value::F32(a) => (
                        a.iter().any(|x| x.is_nan()),
                        a.iter().any(|x| x.is_infinite()),
                    ),
                    Value::F64(a) => (
                        a.iter().any(|x| x.is_nan()),
                        a.iter().any(|x| x.is_infinite()),
                    ),
                    _ => (false, false),
                };
                let what = match (inf, nan) {
                    (true, true) => "Inf and NaN",
                    (true, false) => "Inf",
                    (false, true) => "NaN",
                    (false, false) => return Ok(smallvec![v.clone()]),
                };
                Err(Error::op_invalid(format!(
                    "{message} : Tensor had {what} values"
                )))
            }
            FlowOp::Print {
                message,
                first_n,
                summarize,
            } => {
                let input = inputs
                    .first()
                    .ok_or_else(|| Error::internal("Print without input"))?;
                // The per-op counter lives with the random streams' counters: both are
                // per-node run counts kept for the session's lifetime.
                let mut counters = ctx
                    .state
                    .rng_counters
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                let count = counters.entry(ctx.node).or_insert(0);
                if *first_n < 0 || (*count as i64) < *first_n {
                    *count += 1;
                    let mut text = message.clone();
                    for v in inputs.get(1..).unwrap_or(&[]) {
                        let _ = write!(text, "[{}]", summarize_value(v, *summarize));
                    }
                    eprintln!("{text}");
                }
                Ok(smallvec![input.clone()])
            }
        }
    }

    fn register_gradients(r: &mut GradRegistry) {
        r.builtin("Switch", switch_grad);
        r.builtin("Merge", merge_grad);
        r.builtin("CheckNumerics", check_numerics_grad);
        r.builtin("Print", print_grad);
        r.not_differentiable("Assert");
    }
}

fn expect_bool(ctx: &InferCtx<'_>, i: usize, op: &str, arg: &str) -> Result<()> {
    let d = ctx.dtype(i)?;
    if d != DType::Bool {
        return Err(Error::type_error(format!(
            "Input '{arg}' of '{op}' Op has type {} that does not match expected type of bool.",
            d.name()
        )));
    }
    Ok(())
}

fn expect_scalar(ctx: &InferCtx<'_>, i: usize) -> Result<()> {
    match ctx.shape(i)?.rank() {
        Some(r) if r != 0 => Err(ctx.err(format!("Shape must be rank 0 but is rank {r}"))),
        _ => Ok(()),
    }
}

/// TF's Merge shape: dimensions the inputs agree on, unknown elsewhere; unknown rank when
/// ranks differ.
fn merge_shape(a: &Shape, b: &Shape) -> Shape {
    match (&a.0, &b.0) {
        (Some(x), Some(y)) if x.len() == y.len() => Shape(Some(
            x.iter()
                .zip(y)
                .map(|(p, q)| if p == q { *p } else { None })
                .collect(),
        )),
        _ => Shape(None),
    }
}

fn shape_text(dims: &[usize]) -> String {
    let parts: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(","))
}

/// Which output of a `Switch` its predicate routes the data to: 1 when true.
pub fn switch_output(pred: &Value) -> Result<usize> {
    match pred {
        Value::Bool(a) if a.shape().is_empty() => Ok(usize::from(a.iter().any(|&b| b))),
        other => Err(Error::op_invalid(format!(
            "The second input must be a scalar, but it has shape {}",
            shape_text(other.shape())
        ))),
    }
}

/// TF's `Tensor::SummarizeValue(max_entries)` (the legacy, non-`print_v2` form).
pub fn summarize_value(v: &Value, max_entries: i64) -> String {
    let items: Vec<String> = element_texts(v);
    let n = items.len();
    let limit = if max_entries < 0 {
        n
    } else {
        n.min(max_entries as usize)
    };
    let shape = v.shape();
    let mut out = String::new();
    if n == 0 {
        return out;
    }
    if shape.is_empty() {
        out.push_str(&items.get(..limit).unwrap_or(&[]).join(" "));
    } else {
        summarize_dims(shape, limit, &items, &mut out);
    }
    if n > limit {
        out.push_str("...");
    }
    out
}

/// TF's `PrintOneDim`, over an explicit stack of (dimension, next index) frames. Every
/// frame but the root was opened with "[" by its parent, and is closed when it ends.
fn summarize_dims(shape: &[usize], limit: usize, items: &[String], out: &mut String) {
    let last = shape.len().saturating_sub(1);
    let mut next = 0usize;
    let mut stack: Vec<(usize, usize)> = vec![(0, 0)];
    while let Some(frame) = stack.last_mut() {
        let (dim, i) = *frame;
        let len = shape.get(dim).copied().unwrap_or(0);
        if dim == last {
            for k in 0..len {
                if next >= limit {
                    if dim != 0 {
                        out.push_str("...");
                    }
                    break;
                }
                if k > 0 {
                    out.push(' ');
                }
                out.push_str(items.get(next).map_or("", String::as_str));
                next += 1;
            }
        } else if i < len && next < limit {
            frame.1 = i + 1;
            out.push('[');
            stack.push((dim + 1, 0));
            continue;
        }
        stack.pop();
        if !stack.is_empty() {
            out.push(']');
        }
    }
}

/// Each element as TF's `PrintOneElement` writes it (bools as 1/0, floats shortest-ish).
pub(crate) fn element_texts(v: &Value) -> Vec<String> {
    match v {
        Value::F16(a) => a
            .iter()
            .map(|x| float_text(x.to_f64(), 6, 9, true))
            .collect(),
        Value::F32(a) => a
            .iter()
            .map(|x| float_text(f64::from(*x), 6, 9, true))
            .collect(),
        Value::F64(a) => a.iter().map(|x| float_text(*x, 15, 17, false)).collect(),
        Value::I8(a) => a.iter().map(|x| x.to_string()).collect(),
        Value::I16(a) => a.iter().map(|x| x.to_string()).collect(),
        Value::I32(a) => a.iter().map(|x| x.to_string()).collect(),
        Value::I64(a) => a.iter().map(|x| x.to_string()).collect(),
        Value::U8(a) => a.iter().map(|x| x.to_string()).collect(),
        Value::Bool(a) => a.iter().map(|&b| u8::from(b).to_string()).collect(),
        // std::complex's operator<<: `(re,im)`.
        Value::C64(a) => a
            .iter()
            .map(|z| {
                let part = |x: f32| float_text(f64::from(x), 6, 9, true);
                format!("({},{})", part(z.re), part(z.im))
            })
            .collect(),
        Value::C128(a) => a
            .iter()
            .map(|z| {
                let part = |x: f64| float_text(x, 15, 17, false);
                format!("({},{})", part(z.re), part(z.im))
            })
            .collect(),
        Value::Str(a) => a.iter().map(|s| super::strings::c_escape(s)).collect(),
    }
}

/// `%.{short}g` when it reads back as the same value, else `%.{long}g` (TF's
/// `FloatToBuffer`/`DoubleToBuffer`).
fn float_text(x: f64, short: usize, long: usize, single: bool) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = super::strings::format_g(x, short, false);
    let back: f64 = s.parse().unwrap_or(f64::NAN);
    let same = if single {
        back as f32 == x as f32
    } else {
        back == x
    };
    if same {
        s
    } else {
        super::strings::format_g(x, long, false)
    }
}

// ----- builders -----

fn flow_op(g: &Graph, op: FlowOp, inputs: &[Tensor], name: &str) -> Result<crate::graph::OpRef> {
    g.add_op(OpSpec {
        op: OpKind::Flow(Box::new(op)),
        inputs,
        name: Some(name),
    })
}

/// `Switch(data, pred)`: (output_false, output_true).
pub fn switch(g: &Graph, data: Tensor, pred: Tensor, name: &str) -> Result<(Tensor, Tensor)> {
    let op = flow_op(g, FlowOp::Switch, &[data, pred], name)?;
    Ok((op.output(0), op.output(1)))
}

/// `Merge(inputs)`: (output, value_index).
pub fn merge(g: &Graph, inputs: &[Tensor], name: &str) -> Result<(Tensor, Tensor)> {
    let op = flow_op(g, FlowOp::Merge, inputs, name)?;
    Ok((op.output(0), op.output(1)))
}

// ----- gradients -----

/// TF's `_SwitchGrad` outside a cond context, which needs no context: each output's
/// gradient is routed by the same predicate to the side it belongs to, and the live one
/// merged. The untaken output's gradient is the traversal's `ZerosLike` of that output,
/// dead when it is, so exactly one side reaches the `Merge`.
fn switch_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> Result<Vec<Option<Grad>>> {
    let g = ctx.graph;
    let (Some(g_false), Some(g_true)) = (
        grads.first().copied().flatten(),
        grads.get(1).copied().flatten(),
    ) else {
        return Ok(vec![None, None]);
    };
    let pred = ctx.input(1)?;
    let false_grad = switch(g, densify(g, g_false)?, pred, "Switch")?.0;
    let true_grad = switch(g, densify(g, g_true)?, pred, "Switch")?.1;
    let merged = merge(g, &[false_grad, true_grad], "cond_grad")?.0;
    Ok(vec![Some(Grad::Dense(merged)), None])
}

/// TF's `_MergeGrad` outside a cond context: input `i` gets the gradient when
/// `value_index == i`, through a `Switch` on that test.
fn merge_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> Result<Vec<Option<Grad>>> {
    let g = ctx.graph;
    let Some(grad) = grads.first().copied().flatten() else {
        return Ok(vec![None; ctx.inputs.len()]);
    };
    let grad = densify(g, grad)?;
    let value_index = ctx.output(1);
    let mut out = Vec::with_capacity(ctx.inputs.len());
    for i in 0..ctx.inputs.len() {
        let index = source::scalar_const(g, DType::I32, i as f64, None, None)?;
        let taken = binary::binary(g, BinaryOp::Equal, value_index, index, None)?;
        out.push(Some(Grad::Dense(switch(g, grad, taken, "cond_grad")?.1)));
    }
    Ok(out)
}

/// The gradient is checked too, with TF's message.
fn check_numerics_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> Result<Vec<Option<Grad>>> {
    let g = ctx.graph;
    let Some(grad) = grads.first().copied().flatten() else {
        return Ok(vec![None]);
    };
    let message = match &ctx.kind {
        OpKind::Flow(f) => match f.as_ref() {
            FlowOp::CheckNumerics { message } => message.clone(),
            _ => String::new(),
        },
        _ => String::new(),
    };
    let op = flow_op(
        g,
        FlowOp::CheckNumerics {
            message: format!(
                "Not a number (NaN) or infinity (Inf) values detected in gradient. b'{message}'"
            ),
        },
        &[densify(g, grad)?],
        "CheckNumerics",
    )?;
    Ok(vec![Some(Grad::Dense(op.output(0)))])
}

fn print_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> Result<Vec<Option<Grad>>> {
    let mut out = vec![None; ctx.inputs.len()];
    if let Some(first) = out.first_mut() {
        *first = grads.first().copied().flatten();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_match_tf() {
        let ones = Value::full(DType::F32, &[3, 4, 2], 1.0);
        assert_eq!(summarize_value(&ones, 3), "[[1 1][1...]]...");
        let r = Value::from_vec(&[30], (0..30).collect::<Vec<i32>>()).unwrap();
        assert_eq!(summarize_value(&r, 3), "0 1 2...");
        assert_eq!(summarize_value(&Value::scalar(1.5f64), 3), "1.5");
        let m = Value::from_vec(&[2, 2], vec![1i32, 2, 3, 4]).unwrap();
        assert_eq!(summarize_value(&m, -1), "[1 2][3 4]");
        assert_eq!(summarize_value(&Value::scalar(0.1f32), 3), "0.1");
        assert_eq!(summarize_value(&Value::scalar(1e-7f64), 3), "1e-07");
    }
}
