//! Neural-network ops: activations, softmax and cross-entropies, bias_add, l2_loss, and their gradient helper ops.
//!
//! Per op, side by side: the shape rule, the kernel, and the gradient. Every `*Grad` helper
//! op that a gradient builds has its own registered gradient, so second derivatives work.
//! The float kernels compute in f64 and round once to the input's dtype.

use super::{array, binary, one, reduce, unary, Family, InferCtx, KernelCtx, OpKind, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx};
use crate::graph::{Graph, Metas, Node, Tensor, TensorMeta};
use crate::shape::Shape;
use crate::value::{Arr, Value};
use binary::{BinaryOp, Operand};
use smallvec::smallvec;

/// SELU's constants (Klambauer et al.), the values TF's kernel uses.
const SELU_ALPHA: f64 = 1.6732632423543772848170429916717;
const SELU_SCALE: f64 = 1.0507009873554804934193349852946;

/// An op of the `nn` family.
#[derive(Debug, Clone, PartialEq)]
pub enum NnOp {
    Relu6,
    Relu6Grad,
    Elu,
    EluGrad,
    Selu,
    SeluGrad,
    LeakyRelu { alpha: f64 },
    LeakyReluGrad { alpha: f64 },
    Softmax,
    LogSoftmax,
    BiasAdd { nchw: bool },
    BiasAddGrad { nchw: bool },
    L2Loss,
    SoftmaxCrossEntropyWithLogits,
    SparseSoftmaxCrossEntropyWithLogits,
}

fn data_format(attrs: &Attrs) -> Result<bool> {
    match attrs.str_or("data_format", "NHWC")?.as_str() {
        "NHWC" | "N..C" => Ok(false),
        "NCHW" | "NC.." => Ok(true),
        other => Err(Error::invalid(format!(
            "Invalid data format: {other}; BiasAdd expects NHWC or NCHW"
        ))),
    }
}

impl Family for NnOp {
    fn type_name(&self) -> &'static str {
        match self {
            NnOp::Relu6 => "Relu6",
            NnOp::Relu6Grad => "Relu6Grad",
            NnOp::Elu => "Elu",
            NnOp::EluGrad => "EluGrad",
            NnOp::Selu => "Selu",
            NnOp::SeluGrad => "SeluGrad",
            NnOp::LeakyRelu { .. } => "LeakyRelu",
            NnOp::LeakyReluGrad { .. } => "LeakyReluGrad",
            NnOp::Softmax => "Softmax",
            NnOp::LogSoftmax => "LogSoftmax",
            NnOp::BiasAdd { .. } => "BiasAdd",
            NnOp::BiasAddGrad { .. } => "BiasAddGrad",
            NnOp::L2Loss => "L2Loss",
            NnOp::SoftmaxCrossEntropyWithLogits => "SoftmaxCrossEntropyWithLogits",
            NnOp::SparseSoftmaxCrossEntropyWithLogits => "SparseSoftmaxCrossEntropyWithLogits",
        }
    }

    fn from_def(op_type: &str, attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        // TF's `alpha` is a 32-bit float attr: round it as TF stores it.
        let alpha = || -> Result<f64> {
            match attrs.get("alpha") {
                None => Ok(0.2f32 as f64),
                Some(AttrValue::Float(a)) => Ok(*a as f32 as f64),
                Some(AttrValue::Int(a)) => Ok(*a as f32 as f64),
                Some(other) => Err(Error::type_error(format!(
                    "attr 'alpha' expects a float, got {other:?}"
                ))),
            }
        };
        Some(match op_type {
            "Relu6" => Ok(NnOp::Relu6),
            "Relu6Grad" => Ok(NnOp::Relu6Grad),
            "Elu" => Ok(NnOp::Elu),
            "EluGrad" => Ok(NnOp::EluGrad),
            "Selu" => Ok(NnOp::Selu),
            "SeluGrad" => Ok(NnOp::SeluGrad),
            "LeakyRelu" => alpha().map(|alpha| NnOp::LeakyRelu { alpha }),
            "LeakyReluGrad" => alpha().map(|alpha| NnOp::LeakyReluGrad { alpha }),
            "Softmax" => Ok(NnOp::Softmax),
            "LogSoftmax" => Ok(NnOp::LogSoftmax),
            "BiasAdd" | "BiasAddV1" => data_format(attrs).map(|nchw| NnOp::BiasAdd { nchw }),
            "BiasAddGrad" => data_format(attrs).map(|nchw| NnOp::BiasAddGrad { nchw }),
            "L2Loss" => Ok(NnOp::L2Loss),
            "SoftmaxCrossEntropyWithLogits" => Ok(NnOp::SoftmaxCrossEntropyWithLogits),
            "SparseSoftmaxCrossEntropyWithLogits" => Ok(NnOp::SparseSoftmaxCrossEntropyWithLogits),
            _ => return None,
        })
    }

    fn attrs(&self, _node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        let mut out: Vec<(&'static str, AttrValue)> = Vec::new();
        if let Some(t) = input_types.first() {
            out.push(("T", AttrValue::Type(*t)));
        }
        match self {
            NnOp::LeakyRelu { alpha } | NnOp::LeakyReluGrad { alpha } => {
                out.push(("alpha", AttrValue::Float(*alpha)))
            }
            NnOp::BiasAdd { nchw } | NnOp::BiasAddGrad { nchw } => out.push((
                "data_format",
                AttrValue::Str(if *nchw { "NCHW" } else { "NHWC" }.to_string()),
            )),
            NnOp::SparseSoftmaxCrossEntropyWithLogits => {
                if let Some(t) = input_types.get(1) {
                    out.push(("Tlabels", AttrValue::Type(*t)));
                }
            }
            _ => {}
        }
        out
    }

    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        let name = self.type_name();
        match self {
            NnOp::Relu6 | NnOp::Elu | NnOp::Selu | NnOp::LeakyRelu { .. } => {
                ctx.expect_inputs(1)?;
                let x = ctx.input(0)?;
                float_only(name, "features", x.dtype)?;
                one(x.dtype, x.shape.clone())
            }
            NnOp::Relu6Grad | NnOp::EluGrad | NnOp::SeluGrad | NnOp::LeakyReluGrad { .. } => {
                ctx.expect_inputs(2)?;
                let second = match self {
                    NnOp::EluGrad | NnOp::SeluGrad => "outputs",
                    _ => "features",
                };
                let dtype = ctx.same_dtype(name, 0, 1, ("gradients", second))?;
                float_only(name, "gradients", dtype)?;
                let shape = ctx.shape(0)?.merge(ctx.shape(1)?).map_err(|_| {
                    ctx.err(format!(
                        "Incompatible shapes {} and {} of gradients and {second}",
                        ctx.shape(0).map(|s| s.bracketed()).unwrap_or_default(),
                        ctx.shape(1).map(|s| s.bracketed()).unwrap_or_default()
                    ))
                })?;
                one(dtype, shape)
            }
            NnOp::Softmax | NnOp::LogSoftmax => {
                ctx.expect_inputs(1)?;
                let x = ctx.input(0)?;
                float_only(name, "logits", x.dtype)?;
                if x.shape.rank() == Some(0) {
                    return Err(ctx.err("Shape must be at least rank 1 but is rank 0"));
                }
                one(x.dtype, x.shape.clone())
            }
            NnOp::BiasAdd { nchw } => {
                ctx.expect_inputs(2)?;
                let dtype = ctx.same_dtype(name, 0, 1, ("value", "bias"))?;
                numeric_only(name, "value", dtype)?;
                let (value, bias) = (ctx.shape(0)?, ctx.shape(1)?);
                if let Some(r) = value.rank().filter(|&r| r < 2) {
                    return Err(ctx.err(format!("Shape must be at least rank 2 but is rank {r}")));
                }
                if let Some(r) = bias.rank().filter(|&r| r != 1) {
                    return Err(ctx.err(format!("Shape must be rank 1 but is rank {r}")));
                }
                if let (Some(dims), Some(b)) = (value.dims(), bias.dim(0)) {
                    let c = if *nchw { dims.get(1) } else { dims.last() };
                    if let Some(Some(c)) = c {
                        if *c != b {
                            return Err(
                                ctx.err(format!("Dimensions must be equal, but are {c} and {b}"))
                            );
                        }
                    }
                }
                one(dtype, value.clone())
            }
            NnOp::BiasAddGrad { nchw } => {
                ctx.expect_inputs(1)?;
                let x = ctx.input(0)?;
                numeric_only(name, "out_backprop", x.dtype)?;
                let shape = match x.shape.dims() {
                    Some(dims) if dims.len() < 2 => {
                        return Err(ctx.err(format!(
                            "Shape must be at least rank 2 but is rank {}",
                            dims.len()
                        )))
                    }
                    Some(dims) => {
                        let c = if *nchw { dims[1] } else { dims[dims.len() - 1] };
                        Shape::from_dims(&[c])
                    }
                    None => Shape::unknown_dims(1),
                };
                one(x.dtype, shape)
            }
            NnOp::L2Loss => {
                ctx.expect_inputs(1)?;
                let x = ctx.input(0)?;
                float_only(name, "t", x.dtype)?;
                one(x.dtype, Shape::scalar())
            }
            NnOp::SoftmaxCrossEntropyWithLogits => {
                ctx.expect_inputs(2)?;
                let dtype = ctx.same_dtype(name, 0, 1, ("features", "labels"))?;
                float_only(name, "features", dtype)?;
                let (f, l) = (ctx.shape(0)?, ctx.shape(1)?);
                for s in [f, l] {
                    if let Some(r) = s.rank().filter(|&r| r != 2) {
                        return Err(ctx.err(format!("Shape must be rank 2 but is rank {r}")));
                    }
                }
                let shape = f.merge(l).map_err(|_| {
                    ctx.err(format!(
                        "Dimensions must be equal; logits and labels must have the same shape, got {} and {}",
                        f.bracketed(),
                        l.bracketed()
                    ))
                })?;
                let batch = match shape.dims() {
                    Some(d) => Shape::from_dims(&[d[0]]),
                    None => Shape::unknown_dims(1),
                };
                let backprop = if shape.rank().is_some() {
                    shape
                } else {
                    Shape::unknown_dims(2)
                };
                Ok(smallvec![
                    TensorMeta::new(dtype, batch),
                    TensorMeta::new(dtype, backprop)
                ])
            }
            NnOp::SparseSoftmaxCrossEntropyWithLogits => {
                ctx.expect_inputs(2)?;
                let dtype = ctx.dtype(0)?;
                float_only(name, "features", dtype)?;
                let ltype = ctx.dtype(1)?;
                if !matches!(ltype, DType::I32 | DType::I64) {
                    return Err(Error::type_error(format!(
                        "Value passed to parameter 'labels' has DataType {ltype} not in list of allowed values: int32, int64"
                    )));
                }
                let (f, l) = (ctx.shape(0)?, ctx.shape(1)?);
                if let Some(r) = f.rank().filter(|&r| r != 2) {
                    return Err(ctx.err(format!("Shape must be rank 2 but is rank {r}")));
                }
                if let Some(r) = l.rank().filter(|&r| r != 1) {
                    return Err(ctx.err(format!("Shape must be rank 1 but is rank {r}")));
                }
                let fb = f.dims().map(|d| d[0]).unwrap_or(None);
                let lb = l.dims().map(|d| d[0]).unwrap_or(None);
                if let (Some(a), Some(b)) = (fb, lb) {
                    if a != b {
                        return Err(
                            ctx.err(format!("Dimensions must be equal, but are {a} and {b}"))
                        );
                    }
                }
                let batch = fb.or(lb);
                let classes = f.dims().map(|d| d[1]).unwrap_or(None);
                Ok(smallvec![
                    TensorMeta::new(dtype, Shape::from_dims(&[batch])),
                    TensorMeta::new(dtype, Shape::from_dims(&[batch, classes]))
                ])
            }
        }
    }

    fn compute(&self, ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let name = self.type_name();
        let input = |i: usize| {
            inputs
                .get(i)
                .ok_or_else(|| Error::internal(format!("{name} is missing input {i}")))
        };
        Ok(match self {
            NnOp::Relu6 => smallvec![map1(name, input(0)?, |x| {
                if x.is_nan() {
                    x
                } else {
                    x.clamp(0.0, 6.0)
                }
            })?],
            NnOp::Elu => smallvec![map1(name, input(0)?, |x| if x < 0.0 {
                x.exp_m1()
            } else {
                x
            })?],
            NnOp::Selu => smallvec![map1(name, input(0)?, |x| {
                if x < 0.0 {
                    SELU_SCALE * SELU_ALPHA * x.exp_m1()
                } else {
                    SELU_SCALE * x
                }
            })?],
            NnOp::LeakyRelu { alpha } => {
                let a = *alpha;
                smallvec![map1(name, input(0)?, |x| if x > 0.0 { x } else { a * x })?]
            }
            NnOp::Relu6Grad => smallvec![map2(name, input(0)?, input(1)?, |g, f| {
                if f > 0.0 && f < 6.0 {
                    g
                } else {
                    0.0
                }
            })?],
            NnOp::EluGrad => smallvec![map2(name, input(0)?, input(1)?, |g, y| {
                if y < 0.0 {
                    g * (y + 1.0)
                } else {
                    g
                }
            })?],
            NnOp::SeluGrad => smallvec![map2(name, input(0)?, input(1)?, |g, y| {
                if y < 0.0 {
                    g * (y + SELU_SCALE * SELU_ALPHA)
                } else {
                    g * SELU_SCALE
                }
            })?],
            NnOp::LeakyReluGrad { alpha } => {
                let a = *alpha;
                smallvec![map2(name, input(0)?, input(1)?, |g, f| if f > 0.0 {
                    g
                } else {
                    a * g
                })?]
            }
            NnOp::Softmax | NnOp::LogSoftmax => {
                let x = input(0)?;
                let shape = x.shape().to_vec();
                let Some(&c) = shape.last() else {
                    return Err(Error::op_invalid(format!(
                        "logits must have >= 1 dimension, got [] ({})",
                        ctx.name
                    )));
                };
                let mut data = floats(name, x)?;
                let log = matches!(self, NnOp::LogSoftmax);
                if c > 0 {
                    for row in data.chunks_mut(c) {
                        softmax_row(row, log);
                    }
                }
                smallvec![from_f64(x.dtype(), &shape, data)?]
            }
            NnOp::BiasAdd { nchw } => {
                let (v, b) = (input(0)?, input(1)?);
                let shape = v.shape().to_vec();
                let (c, inner) = channel_layout(&shape, *nchw)?;
                if b.shape() != [c] {
                    return Err(Error::op_invalid(format!(
                        "Must provide as many biases as the last dimension of the input tensor: {:?} vs. {:?}",
                        b.shape(),
                        shape
                    )));
                }
                let bias = b.to_f64_vec();
                let data: Vec<f64> = v
                    .to_f64_vec()
                    .into_iter()
                    .enumerate()
                    .map(|(i, x)| x + bias[(i / inner) % c])
                    .collect();
                smallvec![from_f64(v.dtype(), &shape, data)?]
            }
            NnOp::BiasAddGrad { nchw } => {
                let v = input(0)?;
                let shape = v.shape().to_vec();
                let (c, inner) = channel_layout(&shape, *nchw)?;
                let mut sums = vec![0.0; c];
                if c > 0 {
                    for (i, x) in v.to_f64_vec().into_iter().enumerate() {
                        sums[(i / inner) % c] += x;
                    }
                }
                smallvec![from_f64(v.dtype(), &[c], sums)?]
            }
            NnOp::L2Loss => {
                let x = input(0)?;
                let s: f64 = floats(name, x)?.iter().map(|v| v * v).sum::<f64>() / 2.0;
                smallvec![from_f64(x.dtype(), &[], vec![s])?]
            }
            NnOp::SoftmaxCrossEntropyWithLogits => {
                let (f, l) = (input(0)?, input(1)?);
                if f.shape() != l.shape() || f.shape().len() != 2 {
                    return Err(Error::op_invalid(format!(
                        "logits and labels must be broadcastable: logits_size={:?} labels_size={:?}",
                        f.shape(),
                        l.shape()
                    )));
                }
                let (b, c) = (f.shape()[0], f.shape()[1]);
                let logits = floats(name, f)?;
                let labels = floats(name, l)?;
                let mut loss = vec![0.0; b];
                let mut back = logits.clone();
                if c > 0 {
                    for (r, row) in back.chunks_mut(c).enumerate() {
                        softmax_row(row, true);
                        let lab = &labels[r * c..(r + 1) * c];
                        loss[r] = -row.iter().zip(lab).map(|(lp, y)| lp * y).sum::<f64>();
                        for (v, y) in row.iter_mut().zip(lab) {
                            *v = v.exp() - y;
                        }
                    }
                }
                smallvec![
                    from_f64(f.dtype(), &[b], loss)?,
                    from_f64(f.dtype(), &[b, c], back)?
                ]
            }
            NnOp::SparseSoftmaxCrossEntropyWithLogits => {
                let (f, l) = (input(0)?, input(1)?);
                if f.shape().len() != 2 || l.shape().len() != 1 || l.shape()[0] != f.shape()[0] {
                    return Err(Error::op_invalid(format!(
                        "logits and labels must have the same first dimension, got logits shape {:?} and labels shape {:?}",
                        f.shape(),
                        l.shape()
                    )));
                }
                let (b, c) = (f.shape()[0], f.shape()[1]);
                let labels = l.to_i64_vec()?;
                if let Some(bad) = labels.iter().find(|&&y| y < 0 || y >= c as i64) {
                    return Err(Error::op_invalid(format!(
                        "Received a label value of {bad} which is outside the valid range of [0, {c}).  Label values: {}",
                        labels.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(" ")
                    )));
                }
                let mut back = floats(name, f)?;
                let mut loss = vec![0.0; b];
                if c > 0 {
                    for (r, row) in back.chunks_mut(c).enumerate() {
                        softmax_row(row, true);
                        let y = labels[r] as usize;
                        loss[r] = -row[y];
                        for v in row.iter_mut() {
                            *v = v.exp();
                        }
                        row[y] -= 1.0;
                    }
                }
                smallvec![
                    from_f64(f.dtype(), &[b], loss)?,
                    from_f64(f.dtype(), &[b, c], back)?
                ]
            }
        })
    }

    fn register_gradients(r: &mut GradRegistry) {
        r.builtin("Relu6", relu6_grad);
        r.builtin("Relu6Grad", relu6_grad_grad);
        r.builtin("Elu", elu_grad);
        r.builtin("EluGrad", elu_grad_grad);
        r.builtin("Selu", selu_grad);
        r.builtin("SeluGrad", selu_grad_grad);
        r.builtin("LeakyRelu", leaky_relu_grad);
        r.builtin("LeakyReluGrad", leaky_relu_grad_grad);
        r.builtin("Softmax", softmax_grad);
        r.builtin("LogSoftmax", log_softmax_grad);
        r.builtin("BiasAdd", bias_add_grad);
        r.builtin("BiasAddV1", bias_add_grad);
        r.builtin("BiasAddGrad", bias_add_grad_grad);
        r.builtin("L2Loss", l2_loss_grad);
        r.builtin("SoftmaxCrossEntropyWithLogits", xent_grad);
        r.builtin("SparseSoftmaxCrossEntropyWithLogits", sparse_xent_grad);
    }
}

// ----- kernel helpers -----

fn float_only(op: &str, arg: &str, dtype: DType) -> Result<()> {
    if dtype.is_floating() {
        return Ok(());
    }
    Err(Error::type_error(format!(
        "Value passed to parameter '{arg}' has DataType {dtype} not in list of allowed values: float32, float64 (op '{op}')"
    )))
}

fn numeric_only(op: &str, arg: &str, dtype: DType) -> Result<()> {
    if dtype != DType::Bool {
        return Ok(());
    }
    Err(Error::type_error(format!(
        "Value passed to parameter '{arg}' has DataType bool not in list of allowed values: float32, float64, int32, uint8, int16, int8, int64 (op '{op}')"
    )))
}

fn floats(op: &str, v: &Value) -> Result<Vec<f64>> {
    if !v.dtype().is_floating() {
        return Err(Error::op_invalid(format!(
            "{op} is not defined for dtype {}",
            v.dtype()
        )));
    }
    Ok(v.to_f64_vec())
}

fn from_f64(dtype: DType, shape: &[usize], data: Vec<f64>) -> Result<Value> {
    Ok(Value::from_vec(shape, data)?.cast(dtype))
}

fn map1(op: &str, x: &Value, f: impl Fn(f64) -> f64) -> Result<Value> {
    Ok(match x {
        Value::F32(a) => Value::F32(a.mapv(|v| f(v as f64) as f32).into_shared()),
        Value::F64(a) => Value::F64(a.mapv(f).into_shared()),
        other => {
            return Err(Error::op_invalid(format!(
                "{op} is not defined for dtype {}",
                other.dtype()
            )))
        }
    })
}

fn map2(op: &str, a: &Value, b: &Value, f: impl Fn(f64, f64) -> f64) -> Result<Value> {
    if a.shape() != b.shape() {
        return Err(Error::op_invalid(format!(
            "{op}: gradients and features must have the same shape, got {:?} and {:?}",
            a.shape(),
            b.shape()
        )));
    }
    Ok(match (a, b) {
        (Value::F32(x), Value::F32(y)) => {
            Value::F32(zip(x, y, |p, q| f(p as f64, q as f64) as f32)?)
        }
        (Value::F64(x), Value::F64(y)) => Value::F64(zip(x, y, &f)?),
        (x, y) => {
            return Err(Error::op_invalid(format!(
                "{op} does not support dtypes {} and {}",
                x.dtype(),
                y.dtype()
            )))
        }
    })
}

fn zip<T: Copy>(a: &Arr<T>, b: &Arr<T>, f: impl Fn(T, T) -> T) -> Result<Arr<T>> {
    binary::zip_broadcast(a, b, f)
}

/// In place: a row's softmax (or log-softmax), shifted by its max so exp() cannot overflow.
fn softmax_row(row: &mut [f64], log: bool) {
    let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let shift = if max.is_finite() { max } else { 0.0 };
    let sum: f64 = row.iter().map(|v| (v - shift).exp()).sum();
    let log_sum = sum.ln();
    for v in row.iter_mut() {
        *v = if log {
            *v - shift - log_sum
        } else {
            (*v - shift).exp() / sum
        };
    }
}

/// The channel count and the stride of the channel axis in row-major order.
fn channel_layout(shape: &[usize], nchw: bool) -> Result<(usize, usize)> {
    if shape.len() < 2 {
        return Err(Error::op_invalid(format!(
            "Input tensor must be at least 2D: {shape:?}"
        )));
    }
    if nchw {
        Ok((shape[1], shape[2..].iter().product()))
    } else {
        Ok((shape[shape.len() - 1], 1))
    }
}

// ----- builders -----

fn nn1(g: &Graph, op: NnOp, x: Tensor) -> Result<Tensor> {
    let name = op.type_name();
    g.add1(OpKind::Nn(op), &[x], Some(name))
}
fn nn2(g: &Graph, op: NnOp, x: Tensor, y: Tensor) -> Result<Tensor> {
    let name = op.type_name();
    g.add1(OpKind::Nn(op), &[x, y], Some(name))
}

pub fn relu6(g: &Graph, x: Tensor) -> Result<Tensor> {
    nn1(g, NnOp::Relu6, x)
}
pub fn elu(g: &Graph, x: Tensor) -> Result<Tensor> {
    nn1(g, NnOp::Elu, x)
}
pub fn selu(g: &Graph, x: Tensor) -> Result<Tensor> {
    nn1(g, NnOp::Selu, x)
}
pub fn leaky_relu(g: &Graph, x: Tensor, alpha: f64) -> Result<Tensor> {
    nn1(g, NnOp::LeakyRelu { alpha }, x)
}
/// Softmax over the last axis.
pub fn softmax(g: &Graph, x: Tensor) -> Result<Tensor> {
    nn1(g, NnOp::Softmax, x)
}
/// LogSoftmax over the last axis.
pub fn log_softmax(g: &Graph, x: Tensor) -> Result<Tensor> {
    nn1(g, NnOp::LogSoftmax, x)
}
pub fn bias_add(g: &Graph, value: Tensor, bias: Tensor, nchw: bool) -> Result<Tensor> {
    nn2(g, NnOp::BiasAdd { nchw }, value, bias)
}
pub fn l2_loss(g: &Graph, x: Tensor) -> Result<Tensor> {
    nn1(g, NnOp::L2Loss, x)
}
/// `(loss, backprop)` of `SoftmaxCrossEntropyWithLogits(features, labels)`.
pub fn softmax_cross_entropy(
    g: &Graph,
    logits: Tensor,
    labels: Tensor,
) -> Result<(Tensor, Tensor)> {
    let op = g.add1(
        OpKind::Nn(NnOp::SoftmaxCrossEntropyWithLogits),
        &[logits, labels],
        Some("SoftmaxCrossEntropyWithLogits"),
    )?;
    Ok((op, op.op().output(1)))
}
/// `(loss, backprop)` of `SparseSoftmaxCrossEntropyWithLogits(features, labels)`.
pub fn sparse_softmax_cross_entropy(
    g: &Graph,
    logits: Tensor,
    labels: Tensor,
) -> Result<(Tensor, Tensor)> {
    let op = g.add1(
        OpKind::Nn(NnOp::SparseSoftmaxCrossEntropyWithLogits),
        &[logits, labels],
        Some("SparseSoftmaxCrossEntropyWithLogits"),
    )?;
    Ok((op, op.op().output(1)))
}

// ----- gradients -----

type GradOut = Result<Vec<Option<Grad>>>;

fn dense(ts: &[Tensor]) -> Vec<Option<Grad>> {
    ts.iter().map(|t| Some(Grad::Dense(*t))).collect()
}

fn relu6_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let d = nn2(g, NnOp::Relu6Grad, ctx.grad(grads, 0)?, ctx.input(0)?)?;
    Ok(dense(&[d]))
}
fn relu6_grad_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let x = ctx.input(1)?;
    let d = nn2(g, NnOp::Relu6Grad, ctx.grad(grads, 0)?, x)?;
    Ok(dense(&[d, array::zeros_like(g, x)?]))
}
fn elu_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let d = nn2(ctx.graph, NnOp::EluGrad, ctx.grad(grads, 0)?, ctx.output(0))?;
    Ok(dense(&[d]))
}
fn selu_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let d = nn2(
        ctx.graph,
        NnOp::SeluGrad,
        ctx.grad(grads, 0)?,
        ctx.output(0),
    )?;
    Ok(dense(&[d]))
}
/// EluGrad/SeluGrad(gradients, outputs): linear in gradients; in outputs the slope is
/// `gradients` where outputs < 0 (both kernels add `outputs` there) and 0 elsewhere.
fn output_gated_grad_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>], helper: NnOp) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let y = ctx.input(1)?;
    let d_gradients = nn2(g, helper, grad, y)?;
    let negative = binary::operator(g, BinaryOp::Less, y, Operand::S(0.0))?;
    let slope = binary::operator(g, BinaryOp::Mul, grad, ctx.input(0)?)?;
    let d_outputs = array::select(g, negative, slope, array::zeros_like(g, y)?)?;
    Ok(dense(&[d_gradients, d_outputs]))
}
fn elu_grad_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    output_gated_grad_grad(ctx, grads, NnOp::EluGrad)
}
fn selu_grad_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    output_gated_grad_grad(ctx, grads, NnOp::SeluGrad)
}
fn alpha_of(ctx: &GradCtx<'_>) -> f64 {
    match &ctx.kind {
        OpKind::Nn(NnOp::LeakyRelu { alpha }) | OpKind::Nn(NnOp::LeakyReluGrad { alpha }) => *alpha,
        _ => 0.2,
    }
}
fn leaky_relu_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let alpha = alpha_of(ctx);
    let d = nn2(
        ctx.graph,
        NnOp::LeakyReluGrad { alpha },
        ctx.grad(grads, 0)?,
        ctx.input(0)?,
    )?;
    Ok(dense(&[d]))
}
fn leaky_relu_grad_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let alpha = alpha_of(ctx);
    let x = ctx.input(1)?;
    let d = nn2(g, NnOp::LeakyReluGrad { alpha }, ctx.grad(grads, 0)?, x)?;
    Ok(dense(&[d, array::zeros_like(g, x)?]))
}
fn softmax_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    // (grad - sum(grad * softmax, -1, keepdims)) * softmax
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let y = ctx.output(0);
    let gy = binary::operator(g, BinaryOp::Mul, grad, y)?;
    let s = reduce::sum(g, gy, &[-1], true)?;
    let diff = binary::operator(g, BinaryOp::Sub, grad, s)?;
    Ok(dense(&[binary::operator(g, BinaryOp::Mul, diff, y)?]))
}
fn log_softmax_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    // grad - sum(grad, -1, keepdims) * exp(log_softmax)
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let p = unary::exp(g, ctx.output(0))?;
    let s = reduce::sum(g, grad, &[-1], true)?;
    let t = binary::operator(g, BinaryOp::Mul, s, p)?;
    Ok(dense(&[binary::operator(g, BinaryOp::Sub, grad, t)?]))
}
fn nchw_of(ctx: &GradCtx<'_>) -> bool {
    matches!(
        ctx.kind,
        OpKind::Nn(NnOp::BiasAdd { nchw: true }) | OpKind::Nn(NnOp::BiasAddGrad { nchw: true })
    )
}
fn bias_add_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let grad = ctx.grad(grads, 0)?;
    let nchw = nchw_of(ctx);
    let db = nn1(ctx.graph, NnOp::BiasAddGrad { nchw }, grad)?;
    Ok(dense(&[grad, db]))
}
/// BiasAddGrad sums over every axis but the channel one, so its gradient spreads the
/// incoming `[C]` gradient back along those axes: `BiasAdd(zeros_like(out_backprop), grad)`
/// broadcasts exactly that for either data format and any rank, and is differentiable.
fn bias_add_grad_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let nchw = nchw_of(ctx);
    let zeros = array::zeros_like(g, ctx.input(0)?)?;
    let d = nn2(g, NnOp::BiasAdd { nchw }, zeros, ctx.grad(grads, 0)?)?;
    Ok(dense(&[d]))
}
fn l2_loss_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let d = binary::operator(g, BinaryOp::Mul, ctx.input(0)?, ctx.grad(grads, 0)?)?;
    Ok(dense(&[d]))
}
/// TF's `_BroadcastMul`: a `[B]` vector times a `[B, C]` matrix row-wise.
fn broadcast_mul(g: &Graph, vec: Tensor, mat: Tensor) -> Result<Tensor> {
    let v = array::expand_dims(g, vec, -1)?;
    binary::operator(g, BinaryOp::Mul, v, mat)
}
/// Whether the gradient reaching the `backprop` output is a real one, not the traversal's
/// zero fill: only then does the second-order term need building.
fn has_grad_grad(g: &Graph, grads: &[Option<Grad>]) -> bool {
    let Some(Some(grad)) = grads.get(1) else {
        return false;
    };
    let t = match grad {
        Grad::Dense(t) => *t,
        Grad::Sparse(s) => s.values,
    };
    let data = g.read();
    match data.node_checked(t.op()) {
        Ok(node) => node.type_name() != "ZerosLike",
        Err(_) => true,
    }
}
/// The term the `backprop` output contributes: `(gg - sum(gg * softmax, 1)) * softmax`,
/// the softmax Jacobian applied to `gg` (TF writes the sum as a batched matmul).
fn xent_second_order(g: &Graph, logits: Tensor, grad_grad: Tensor) -> Result<Tensor> {
    let sm = softmax(g, logits)?;
    let prod = binary::operator(g, BinaryOp::Mul, grad_grad, sm)?;
    let s = reduce::sum(g, prod, &[1], true)?;
    let diff = binary::operator(g, BinaryOp::Sub, grad_grad, s)?;
    binary::operator(g, BinaryOp::Mul, diff, sm)
}
fn xent_logits_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> Result<Tensor> {
    let g = ctx.graph;
    let grad_loss = ctx.grad(grads, 0)?;
    let mut grad = broadcast_mul(g, grad_loss, ctx.output(1))?;
    if has_grad_grad(g, grads) {
        let gg = ctx.grad(grads, 1)?;
        let extra = xent_second_order(g, ctx.input(0)?, gg)?;
        grad = binary::operator(g, BinaryOp::AddV2, grad, extra)?;
    }
    Ok(grad)
}
fn xent_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let d_logits = xent_logits_grad(ctx, grads)?;
    let ls = log_softmax(g, ctx.input(0)?)?;
    let mut d_labels = broadcast_mul(g, ctx.grad(grads, 0)?, unary::neg(g, ls)?)?;
    // backprop = softmax(logits) - labels, so a gradient reaching it flows to the labels
    // negated. TF leaves this term out (its mixed second derivative logits/labels is then
    // zero); it is added here so that derivative is right.
    if has_grad_grad(g, grads) {
        d_labels = binary::operator(g, BinaryOp::Sub, d_labels, ctx.grad(grads, 1)?)?;
    }
    Ok(dense(&[d_logits, d_labels]))
}
fn sparse_xent_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let d_logits = xent_logits_grad(ctx, grads)?;
    Ok(vec![Some(Grad::Dense(d_logits)), None])
}
