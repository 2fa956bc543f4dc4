//! Math ops added for TF coverage: `CumulativeLogsumexp` (a log-sum-exp scan along an axis,
//! with TF's `_CumulativeLogsumexpGrad`) and `HistogramFixedWidth` (counts of values in
//! equal-width bins; no gradient in TF, so differentiating it is a `LookupError`).

use super::axis_ops::scalar_int;
use super::binary::{self, Operand};
use super::{linalg, one, unary, Family, InferCtx, KernelCtx, OpKind, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx};
use crate::graph::{Graph, Input, Metas, Node, Tensor};
use crate::shape::Shape;
use crate::value::{Arr, Value};
use ndarray::Axis;
use num_traits::Float;
use smallvec::smallvec;

/// An op of this family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtraMathOp {
    /// `CumulativeLogsumexp(x, axis)`: `log(cumsum(exp(x)))` computed stably.
    CumulativeLogsumexp { exclusive: bool, reverse: bool },
    /// `HistogramFixedWidth(values, value_range, nbins)` -> `[nbins]` counts in `dtype`.
    HistogramFixedWidth { dtype: DType },
}

impl ExtraMathOp {
    fn attr_list(&self, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        let t = |i: usize| input_types.get(i).copied().map(AttrValue::Type);
        let mut out: Vec<(&'static str, AttrValue)> = Vec::new();
        match self {
            ExtraMathOp::CumulativeLogsumexp { exclusive, reverse } => {
                out.extend(t(0).map(|v| ("T", v)));
                out.extend(t(1).map(|v| ("Tidx", v)));
                out.push(("exclusive", AttrValue::Bool(*exclusive)));
                out.push(("reverse", AttrValue::Bool(*reverse)));
            }
            ExtraMathOp::HistogramFixedWidth { dtype } => {
                out.extend(t(0).map(|v| ("T", v)));
                out.push(("dtype", AttrValue::Type(*dtype)));
            }
        }
        out
    }

    fn expect_rank(&self, ctx: &InferCtx<'_>, i: usize, rank: usize) -> Result<()> {
        linalg::expect_rank(ctx, i, rank, self.type_name(), |t| self.attr_list(t))
    }
}

/// A `ValueError` as TF's shape functions word one about a constant input's value: the
/// node def, the input shapes, then `and with computed input tensors: input[i] = <v>.`
pub(crate) fn computed_input_error(
    ctx: &InferCtx<'_>,
    type_name: &str,
    attrs: &[(&'static str, AttrValue)],
    message: impl std::fmt::Display,
    index: usize,
    value: i64,
) -> Error {
    let (inputs, shapes) = linalg::node_inputs_and_shapes(ctx);
    let attrs: Vec<String> = attrs
        .iter()
        .map(|(k, v)| match v {
            AttrValue::Type(d) => format!("{k}={}", d.tf_enum_name()),
            AttrValue::Int(i) => format!("{k}={i}"),
            AttrValue::Bool(b) => format!("{k}={b}"),
            _ => format!("{k}=?"),
        })
        .collect();
    Error::invalid(format!(
        "{message} for '{{{{node {}}}}} = {type_name}[{}]({inputs})' with input shapes: {shapes} and with computed input tensors: input[{index}] = <{value}>.",
        ctx.name,
        attrs.join(", ")
    ))
}

/// TF's `TypeError` for a dtype outside an op's allowed list.
pub(crate) fn allowed(param: &str, got: DType, list: &str) -> Error {
    Error::type_error(format!(
        "Value passed to parameter '{param}' has DataType {got} not in list of allowed values: {list}"
    ))
}

impl Family for ExtraMathOp {
    fn type_name(&self) -> &'static str {
        match self {
            ExtraMathOp::CumulativeLogsumexp { .. } => "CumulativeLogsumexp",
            ExtraMathOp::HistogramFixedWidth { .. } => "HistogramFixedWidth",
        }
    }

    fn from_def(op_type: &str, attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        match op_type {
            "CumulativeLogsumexp" => Some((|| {
                Ok(ExtraMathOp::CumulativeLogsumexp {
                    exclusive: attrs.bool_or("exclusive", false)?,
                    reverse: attrs.bool_or("reverse", false)?,
                })
            })()),
            "HistogramFixedWidth" => Some((|| {
                let dtype = attrs.dtype_opt("dtype")?.unwrap_or(DType::I32);
                if !matches!(dtype, DType::I32 | DType::I64) {
                    return Err(allowed("dtype", dtype, "int32, int64"));
                }
                Ok(ExtraMathOp::HistogramFixedWidth { dtype })
            })()),
            _ => None,
        }
    }

    fn attrs(&self, _node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        self.attr_list(input_types)
    }

    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        match self {
            ExtraMathOp::CumulativeLogsumexp { .. } => {
                ctx.expect_inputs(2)?;
                let t = ctx.dtype(0)?;
                if !t.is_floating() {
                    return Err(allowed("x", t, "bfloat16, float16, float32, float64"));
                }
                let a = ctx.dtype(1)?;
                if !matches!(a, DType::I32 | DType::I64) {
                    return Err(allowed("axis", a, "int32, int64"));
                }
                one(t, ctx.shape(0)?.clone())
            }
            ExtraMathOp::HistogramFixedWidth { dtype } => {
                ctx.expect_inputs(3)?;
                let t = ctx.same_dtype("HistogramFixedWidth", 0, 1, ("values", "value_range"))?;
                if !matches!(t, DType::I32 | DType::I64 | DType::F32 | DType::F64) {
                    return Err(allowed("values", t, "int32, int64, float32, float64"));
                }
                if ctx.dtype(2)? != DType::I32 {
                    return Err(Error::type_error(format!(
                        "Input 'nbins' of 'HistogramFixedWidth' Op has type {} that does not match expected type of int32.",
                        ctx.dtype(2)?
                    )));
                }
                self.expect_rank(ctx, 1, 1)?;
                self.expect_rank(ctx, 2, 0)?;
                let nbins = match ctx.const_ints(2).as_deref() {
                    Some([n]) if *n <= 0 => {
                        return Err(computed_input_error(
                            ctx,
                            self.type_name(),
                            &self.attr_list(&[t, t, DType::I32]),
                            format!("Requires nbins > 0: {n}"),
                            2,
                            *n,
                        ))
                    }
                    Some([n]) => usize::try_from(*n).ok(),
                    _ => None,
                };
                one(*dtype, Shape(Some(smallvec![nbins])))
            }
        }
    }

    fn compute(&self, _ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let out = match (self, inputs) {
            (ExtraMathOp::CumulativeLogsumexp { exclusive, reverse }, [x, axis]) => {
                let rank = x.shape().len() as i64;
                let axis = scalar_int(axis, "axis")?;
                if axis < -rank || axis >= rank {
                    return Err(Error::op_invalid(format!(
                        "ScanOp: Expected scan axis in the range [{}, {rank}), but got {axis}",
                        -rank
                    )));
                }
                let axis = (if axis < 0 { axis + rank } else { axis }) as usize;
                let not_float = Error::op_invalid("CumulativeLogsumexp needs float input");
                crate::map_float!(x, not_float, a => log_sum_exp_scan(a, axis, *exclusive, *reverse))
            }
            (ExtraMathOp::HistogramFixedWidth { dtype }, [values, range, nbins]) => {
                histogram(values, range, nbins, *dtype)?
            }
            _ => {
                return Err(Error::internal(format!(
                    "{} got {} inputs",
                    self.type_name(),
                    inputs.len()
                )))
            }
        };
        Ok(smallvec![out])
    }

    fn register_gradients(r: &mut GradRegistry) {
        r.builtin("CumulativeLogsumexp", cumulative_logsumexp_grad);
    }
}

// ===== kernels =====

/// `log(exp(a) + exp(b))` without overflow; `-inf` is the identity.
fn log_add_exp<T: Float>(a: T, b: T) -> T {
    if a == T::neg_infinity() {
        return b;
    }
    if b == T::neg_infinity() || a == b {
        return if a == b {
            a + T::from(std::f64::consts::LN_2).unwrap_or_else(T::zero)
        } else {
            a
        };
    }
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

fn log_sum_exp_scan<T: Float>(a: &Arr<T>, axis: usize, exclusive: bool, reverse: bool) -> Arr<T> {
    let mut out = a.to_owned();
    for mut lane in out.lanes_mut(Axis(axis)) {
        let n = lane.len();
        let mut acc = T::neg_infinity();
        for step in 0..n {
            let i = if reverse { n - 1 - step } else { step };
            let next = log_add_exp(acc, lane[i]);
            lane[i] = if exclusive { acc } else { next };
            acc = next;
        }
    }
    out.into_shared()
}

fn histogram(values: &Value, range: &Value, nbins: &Value, dtype: DType) -> Result<Value> {
    let bins = match (nbins.shape(), nbins.to_i64_vec()?.as_slice()) {
        ([], [n]) => *n,
        (s, _) => {
            return Err(Error::op_invalid(format!(
                "nbins should be a scalar, got shape {}",
                Shape::known(s).bracketed()
            )))
        }
    };
    if bins <= 0 {
        return Err(Error::op_invalid(format!(
            "nbins should be a positive number, but got '{bins}'"
        )));
    }
    let (lo, hi) = match (range.shape(), range.to_f64_vec().as_slice()) {
        ([2], [lo, hi]) => (*lo, *hi),
        (s, _) => {
            return Err(Error::op_invalid(format!(
                "value_range should be a vector of 2 elements, got shape {}",
                Shape::known(s).bracketed()
            )))
        }
    };
    if lo >= hi {
        return Err(Error::op_invalid(format!(
            "value_range should satisfy value_range[0] < value_range[1], but got '[{lo}, {hi}]'"
        )));
    }
    Value::check_allocation(dtype, &[bins as usize])?;
    let step = (hi - lo) / bins as f64;
    let last = (bins - 1) as f64;
    let mut counts = vec![0i64; bins as usize];
    for v in values.to_f64_vec() {
        // As TF's kernel: values below the range go to the first bin, above it to the last.
        let bin = ((v.max(lo) - lo) / step).min(last) as usize;
        if let Some(c) = counts.get_mut(bin) {
            *c += 1;
        }
    }
    Ok(Value::int_vector(dtype, &counts))
}

// ===== gradients =====

/// `where_v2(cond, log(value), dtype.min)`, TF's way of taking the log of one sign of the
/// incoming gradient (`e` a constant named `SelectV2/e`).
fn log_of_part(g: &Graph, cond: Tensor, value: Tensor, dtype: DType) -> Result<Tensor> {
    let log = unary::log(g, value)?;
    let lowest = match dtype {
        DType::F16 => half::f16::MIN.to_f64(),
        DType::F32 => f32::MIN as f64,
        _ => f64::MIN,
    };
    let inputs = [
        Input::Tensor(cond),
        Input::Tensor(log),
        Input::constant("e", Value::full(dtype, &[], lowest)),
    ];
    Ok(
        g.add_with_consts(OpKind::SelectV2, &inputs, Some("SelectV2"))?
            .output(0),
    )
}

/// TF's `_CumulativeLogsumexpGrad`: the incoming gradient split by sign so its logarithm
/// exists, each part scanned in the other direction against the output, and recombined.
fn cumulative_logsumexp_grad(
    ctx: &GradCtx<'_>,
    grads: &[Option<Grad>],
) -> Result<Vec<Option<Grad>>> {
    let OpKind::ExtraMath(ExtraMathOp::CumulativeLogsumexp { exclusive, reverse }) = ctx.kind
    else {
        return Err(Error::internal(
            "CumulativeLogsumexp gradient for another op",
        ));
    };
    let g = ctx.graph;
    let (x, axis) = (ctx.input(0)?, ctx.input(1)?);
    let out = ctx.output(0);
    let grad = ctx.grad(grads, 0)?;
    let dtype = ctx.dtype(grad)?;
    let positive = binary::gen_binary(g, binary::BinaryOp::Greater, grad, Operand::S(0.0))?;
    let log_pos = log_of_part(g, positive, grad, dtype)?;
    let negative = binary::gen_binary(g, binary::BinaryOp::Less, grad, Operand::S(0.0))?;
    let minus_grad = unary::neg(g, grad)?;
    let log_neg = log_of_part(g, negative, minus_grad, dtype)?;
    let back = ExtraMathOp::CumulativeLogsumexp {
        exclusive,
        reverse: !reverse,
    };
    let part = |log_grad: Tensor| -> Result<Tensor> {
        let shifted = binary::operator(g, binary::BinaryOp::Sub, log_grad, out)?;
        let scanned = g.add1(
            OpKind::ExtraMath(back),
            &[shifted, axis],
            Some("CumulativeLogsumexp"),
        )?;
        unary::exp(g, binary::operator(g, binary::BinaryOp::AddV2, scanned, x)?)
    };
    let (pos, neg) = (part(log_pos)?, part(log_neg)?);
    let dx = binary::operator(g, binary::BinaryOp::Sub, pos, neg)?;
    Ok(vec![Some(Grad::Dense(dx)), None])
}
