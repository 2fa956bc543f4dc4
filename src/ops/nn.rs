//! Neural-network ops: activations, softmax and cross-entropies, bias_add, l2_loss, and their gradient helper ops.
//!
//! Per op, side by side: the shape rule, the kernel, and the gradient. Every `*Grad` helper
//! op that a gradient builds has its own registered gradient, so second derivatives work.
//! The float kernels compute in f64 and round once to the input's dtype.

use super::{
    array, binary, conv, one, reduce, unary, Family, InferCtx, KernelCtx, OpKind, Outputs,
};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx};
use crate::graph::{Graph, Metas, Node, Tensor, TensorMeta};
use crate::shape::{Dims, Shape};
use crate::value::{Arr, Elem, Value};
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
    LeakyRelu {
        alpha: f64,
    },
    LeakyReluGrad {
        alpha: f64,
    },
    Softmax,
    LogSoftmax,
    BiasAdd {
        nchw: bool,
    },
    BiasAddGrad {
        nchw: bool,
    },
    L2Loss,
    SoftmaxCrossEntropyWithLogits,
    SparseSoftmaxCrossEntropyWithLogits,
    /// Local response normalization over the last (depth) dim.
    Lrn(Box<LrnParams>),
    /// LRN's gradient: inputs (grads, input image, output image).
    LrnGrad(Box<LrnParams>),
    /// Max pooling that also returns each maximum's flat index.
    MaxPoolWithArgmax(Box<ArgmaxPool>),
    /// Its gradient: inputs (input, grad, argmax), the grad summed at the argmax positions.
    MaxPoolGradWithArgmax(Box<ArgmaxPool>),
}

/// The attributes of the argmax pooling ops (NHWC; SAME or VALID padding).
#[derive(Debug, Clone, PartialEq)]
pub struct ArgmaxPool {
    pub ksize: Vec<i64>,
    pub strides: Vec<i64>,
    pub padding: conv::Padding,
    pub targmax: DType,
    pub include_batch_in_index: bool,
}

fn argmax_pool_attrs(op_type: &str, attrs: &Attrs) -> Result<Box<ArgmaxPool>> {
    let targmax = attrs.dtype_opt("Targmax")?.unwrap_or(DType::I64);
    if !matches!(targmax, DType::I32 | DType::I64) {
        return Err(Error::type_error(format!(
            "Value passed to parameter 'Targmax' has DataType {targmax} not in list of allowed values: int32, int64"
        )));
    }
    Ok(Box::new(ArgmaxPool {
        ksize: conv::four_ints(op_type, attrs, "ksize", None)?,
        strides: conv::four_ints(op_type, attrs, "strides", None)?,
        padding: conv::parse_padding(op_type, attrs)?,
        targmax,
        include_batch_in_index: attrs.bool_or("include_batch_in_index", false)?,
    }))
}

/// LRN's attributes; the floats are TF's 32-bit attrs, kept rounded as TF stores them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrnParams {
    pub depth_radius: usize,
    pub bias: f64,
    pub alpha: f64,
    pub beta: f64,
}

fn lrn_params(attrs: &Attrs) -> Result<LrnParams> {
    let float = |name: &str, default: f32| -> Result<f64> {
        match attrs.get(name) {
            None => Ok(default as f64),
            Some(AttrValue::Float(v)) => Ok(*v as f32 as f64),
            Some(AttrValue::Int(v)) => Ok(*v as f32 as f64),
            Some(other) => Err(Error::type_error(format!(
                "attr '{name}' expects a float, got {other:?}"
            ))),
        }
    };
    let radius = attrs.int_or("depth_radius", 5)?;
    let depth_radius = usize::try_from(radius)
        .ok()
        .filter(|&r| r <= i32::MAX as usize)
        .ok_or_else(|| Error::invalid(format!("depth_radius = {radius} must be in [0, 2^31)")))?;
    Ok(LrnParams {
        depth_radius,
        bias: float("bias", 1.0)?,
        alpha: float("alpha", 1.0)?,
        beta: float("beta", 0.5)?,
    })
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
            NnOp::Lrn(_) => "LRN",
            NnOp::LrnGrad(_) => "LRNGrad",
            NnOp::MaxPoolWithArgmax(_) => "MaxPoolWithArgmax",
            NnOp::MaxPoolGradWithArgmax(_) => "MaxPoolGradWithArgmax",
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
            "LRN" => lrn_params(attrs).map(|p| NnOp::Lrn(Box::new(p))),
            "LRNGrad" => lrn_params(attrs).map(|p| NnOp::LrnGrad(Box::new(p))),
            "MaxPoolWithArgmax" => argmax_pool_attrs(op_type, attrs).map(NnOp::MaxPoolWithArgmax),
            "MaxPoolGradWithArgmax" => {
                argmax_pool_attrs(op_type, attrs).map(NnOp::MaxPoolGradWithArgmax)
            }
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
            NnOp::Lrn(p) | NnOp::LrnGrad(p) => {
                out.push(("depth_radius", AttrValue::Int(p.depth_radius as i64)));
                out.push(("bias", AttrValue::Float(p.bias)));
                out.push(("alpha", AttrValue::Float(p.alpha)));
                out.push(("beta", AttrValue::Float(p.beta)));
            }
            NnOp::MaxPoolWithArgmax(a) | NnOp::MaxPoolGradWithArgmax(a) => {
                out.push(("ksize", AttrValue::Ints(a.ksize.clone())));
                out.push(("strides", AttrValue::Ints(a.strides.clone())));
                out.push(("Targmax", AttrValue::Type(a.targmax)));
                out.push(("padding", AttrValue::Str(a.padding.name().to_string())));
                out.push((
                    "include_batch_in_index",
                    AttrValue::Bool(a.include_batch_in_index),
                ));
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
                let min_rank = if *nchw { 3 } else { 2 };
                if let Some(r) = value.rank().filter(|&r| r < min_rank) {
                    return Err(ctx.err(format!(
                        "Shape must be at least rank {min_rank} but is rank {r}"
                    )));
                }
                if let Some(r) = bias.rank().filter(|&r| r != 1) {
                    return Err(ctx.err(format!("Shape must be rank 1 but is rank {r}")));
                }
                let Some(dims) = value.dims() else {
                    return one(dtype, Shape::unknown());
                };
                // The channel dimension is the bias's length, known from either side.
                let mut out: Dims = dims.iter().copied().collect();
                let at = if *nchw { 1 } else { dims.len() - 1 };
                if let (Some(c), b) = (out.get_mut(at), bias.dim(0)) {
                    match (*c, b) {
                        (Some(x), Some(y)) if x != y => {
                            return Err(
                                ctx.err(format!("Dimensions must be equal, but are {x} and {y}"))
                            );
                        }
                        (None, Some(y)) => *c = Some(y),
                        _ => {}
                    }
                }
                one(dtype, Shape(Some(out)))
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
            NnOp::Lrn(_) | NnOp::LrnGrad(_) => {
                let n = if matches!(self, NnOp::Lrn(_)) { 1 } else { 3 };
                ctx.expect_inputs(n)?;
                let arg = if n == 1 { "input" } else { "input_grads" };
                let dtype = ctx.dtype(0)?;
                // TF registers LRN for half, bfloat16 and float32 only.
                if !matches!(dtype, DType::F16 | DType::F32) {
                    return Err(Error::type_error(format!(
                        "Value passed to parameter '{arg}' has DataType {dtype} not in list of allowed values: float16, bfloat16, float32"
                    )));
                }
                let mut shape = ctx.shape(0)?.clone();
                for i in 1..n {
                    let names = [(arg, "input_image"), (arg, "output_image")];
                    ctx.same_dtype(name, 0, i, names[i - 1])?;
                    shape = shape.merge(ctx.shape(i)?).map_err(|e| ctx.err(e))?;
                }
                if let Some(r) = shape.rank().filter(|&r| r != 4) {
                    return Err(ctx.err(format!("Shape must be rank 4 but is rank {r}")));
                }
                if shape.rank().is_none() {
                    shape = Shape::unknown_dims(4);
                }
                one(dtype, shape)
            }
            NnOp::MaxPoolWithArgmax(a) => {
                ctx.expect_inputs(1)?;
                let dtype = ctx.dtype(0)?;
                numeric_only(name, "input", dtype)?;
                let out = Shape::from_dims(&argmax_pool_out(ctx, a, ctx.shape(0)?)?);
                Ok(smallvec![
                    TensorMeta::new(dtype, out.clone()),
                    TensorMeta::new(a.targmax, out)
                ])
            }
            NnOp::MaxPoolGradWithArgmax(a) => {
                ctx.expect_inputs(3)?;
                let dtype = ctx.same_dtype(name, 0, 1, ("input", "grad"))?;
                numeric_only(name, "input", dtype)?;
                if ctx.dtype(2)? != a.targmax {
                    return Err(Error::type_error(format!(
                        "Input 'argmax' of '{name}' Op has type {} that does not match expected type of {}.",
                        ctx.dtype(2)?,
                        a.targmax
                    )));
                }
                let pooled = Shape::from_dims(&argmax_pool_out(ctx, a, ctx.shape(0)?)?);
                for i in [1, 2] {
                    pooled.merge(ctx.shape(i)?).map_err(|_| {
                        ctx.err(format!(
                            "Shapes of grad and argmax must be the pooled shape {}, got {}",
                            pooled.bracketed(),
                            ctx.shape(i).map(|s| s.bracketed()).unwrap_or_default()
                        ))
                    })?;
                }
                let x = ctx.shape(0)?;
                one(
                    dtype,
                    if x.rank().is_some() {
                        x.clone()
                    } else {
                        Shape::unknown_dims(4)
                    },
                )
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
            NnOp::Lrn(p) => smallvec![lrn_kernel(input(0)?, p)?],
            NnOp::LrnGrad(p) => smallvec![lrn_grad_kernel(input(0)?, input(1)?, input(2)?, p)?],
            NnOp::MaxPoolWithArgmax(a) => argmax_pool_kernel(input(0)?, a)?,
            NnOp::MaxPoolGradWithArgmax(a) => {
                smallvec![argmax_pool_grad_kernel(input(0)?, input(1)?, input(2)?, a)?]
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
        // TF registers no gradient for LRNGrad, so LRN has first derivatives only.
        r.builtin("LRN", lrn_grad);
        // Nor for MaxPoolGradWithArgmax: max_pool_with_argmax has first derivatives only.
        r.builtin("MaxPoolWithArgmax", max_pool_with_argmax_grad);
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

// ----- LRN -----

/// The depth rows of a rank-4 LRN operand, as f64.
fn lrn_rows(op: &str, v: &Value) -> Result<(Vec<usize>, usize, Vec<f64>)> {
    let shape = v.shape().to_vec();
    let [_, _, _, depth] = shape[..] else {
        return Err(Error::op_invalid(format!(
            "{op}: input must be 4-dimensional, got shape {:?}",
            shape
        )));
    };
    Ok((shape, depth, floats(op, v)?))
}

/// `bias + alpha * sum(x[k]^2)` over the window `[j - r, j + r]` of each depth j.
fn lrn_norms(row: &[f64], p: &LrnParams) -> Vec<f64> {
    let d = row.len();
    (0..d)
        .map(|j| {
            let lo = j.saturating_sub(p.depth_radius);
            let hi = j.saturating_add(p.depth_radius).saturating_add(1).min(d);
            let sq: f64 = row[lo..hi].iter().map(|v| v * v).sum();
            p.bias + p.alpha * sq
        })
        .collect()
}

/// `y[j] = x[j] / norm[j]^beta`.
fn lrn_kernel(x: &Value, p: &LrnParams) -> Result<Value> {
    let (shape, depth, mut data) = lrn_rows("LRN", x)?;
    if depth > 0 {
        for row in data.chunks_mut(depth) {
            let norms = lrn_norms(row, p);
            for (v, n) in row.iter_mut().zip(norms) {
                *v /= n.powf(p.beta);
            }
        }
    }
    from_f64(x.dtype(), &shape, data)
}

/// TF's LRNGrad: `dx[k] = g[k] norm[k]^-beta - 2 alpha beta x[k] sum_j g[j] y[j] / norm[j]`
/// over the depths j whose window holds k.
fn lrn_grad_kernel(grads: &Value, x: &Value, y: &Value, p: &LrnParams) -> Result<Value> {
    let (shape, depth, gs) = lrn_rows("LRNGrad", grads)?;
    let xs = floats("LRNGrad", x)?;
    let ys = floats("LRNGrad", y)?;
    if x.shape() != shape.as_slice() || y.shape() != shape.as_slice() {
        return Err(Error::op_invalid(format!(
            "LRNGrad: input_grads, input_image and output_image must have the same shape, got {:?}, {:?} and {:?}",
            shape,
            x.shape(),
            y.shape()
        )));
    }
    let mut out = vec![0.0; gs.len()];
    if depth > 0 {
        let rows = gs
            .chunks(depth)
            .zip(xs.chunks(depth))
            .zip(ys.chunks(depth))
            .zip(out.chunks_mut(depth));
        for (((g, xr), yr), o) in rows {
            let norms = lrn_norms(xr, p);
            for j in 0..depth {
                let lo = j.saturating_sub(p.depth_radius);
                let hi = j
                    .saturating_add(p.depth_radius)
                    .saturating_add(1)
                    .min(depth);
                let shared = -2.0 * p.alpha * p.beta * yr[j] / norms[j] * g[j];
                for k in lo..hi {
                    o[k] += shared * xr[k];
                }
                o[j] += g[j] * norms[j].powf(-p.beta);
            }
        }
    }
    from_f64(grads.dtype(), &shape, out)
}

/// TF's `_LRNGrad`: one LRNGrad op from the incoming gradient, the input and the output.
fn lrn_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let OpKind::Nn(NnOp::Lrn(p)) = &ctx.kind else {
        return Err(Error::internal("LRN gradient for another op"));
    };
    let inputs = [ctx.grad(grads, 0)?, ctx.input(0)?, ctx.output(0)];
    let d = ctx.graph.add1(
        OpKind::Nn(NnOp::LrnGrad(p.clone())),
        &inputs,
        Some("LRNGrad"),
    )?;
    Ok(dense(&[d]))
}

// ----- MaxPoolWithArgmax -----

/// TF's run-time limits: pooling over one batch element and one channel at a time.
fn check_argmax_window(a: &ArgmaxPool) -> Result<()> {
    let outer = |v: &[i64]| v.first() != Some(&1) || v.get(3) != Some(&1);
    if outer(&a.ksize) || outer(&a.strides) {
        return Err(Error::unimplemented(
            "Pooling is not yet supported on the batch nor depth dimensions.",
        ));
    }
    Ok(())
}

/// `[(out, pad_before)]` of the two spatial dims.
fn argmax_geometry(
    a: &ArgmaxPool,
    h: usize,
    w: usize,
) -> std::result::Result<[(usize, usize); 2], String> {
    let dim = |i: usize, size: usize| {
        let k = a.ksize.get(i).copied().unwrap_or(1).max(1) as usize;
        let s = a.strides.get(i).copied().unwrap_or(1).max(1) as usize;
        conv::windowed(size, k, s, 1, &a.padding, i)
    };
    Ok([dim(1, h)?, dim(2, w)?])
}

fn argmax_pool_out(ctx: &InferCtx<'_>, a: &ArgmaxPool, x: &Shape) -> Result<[Option<usize>; 4]> {
    let Some(d) = x.dims() else {
        return Ok([None; 4]);
    };
    let [n, h, w, c] = d[..] else {
        return Err(ctx.err(format!("Shape must be rank 4 but is rank {}", d.len())));
    };
    let [oh, ow] = [(1, h), (2, w)].map(|(i, size)| {
        size.map(|size| {
            let k = a.ksize.get(i).copied().unwrap_or(1).max(1) as usize;
            let s = a.strides.get(i).copied().unwrap_or(1).max(1) as usize;
            conv::windowed(size, k, s, 1, &a.padding, i).map(|(o, _)| o)
        })
    });
    let known = |v: Option<std::result::Result<usize, String>>| -> Result<Option<usize>> {
        v.transpose().map_err(|e| ctx.err(e))
    };
    Ok([n, known(oh)?, known(ow)?, c])
}

/// For each pooled position (NHWC order), the flat input index of its window's maximum:
/// the first in scan order on ties, as TF's CPU kernel.
fn argmax_positions<T: PartialOrd + Copy>(
    x: &[T],
    dims: [usize; 4],
    a: &ArgmaxPool,
) -> Result<(Vec<usize>, [usize; 4])> {
    let [n, h, w, c] = dims;
    let [(oh, pt), (ow, pl)] = argmax_geometry(a, h, w).map_err(Error::op_invalid)?;
    let (kh, kw) = (a.ksize[1] as usize, a.ksize[2] as usize);
    let (sh, sw) = (a.strides[1] as usize, a.strides[2] as usize);
    let out_dims = [n, oh, ow, c];
    Value::check_allocation(DType::I64, &out_dims)?;
    let mut best = Vec::with_capacity(n * oh * ow * c);
    for b in 0..n {
        for oy in 0..oh {
            for ox in 0..ow {
                for ch in 0..c {
                    let mut arg: Option<usize> = None;
                    // Only the kernel offsets that land in the image: a window far larger
                    // than the image must not cost a loop over all of it.
                    let (y0, x0) = (oy * sh, ox * sw);
                    let rows = pt.saturating_sub(y0)..(h + pt).saturating_sub(y0).min(kh);
                    let cols = pl.saturating_sub(x0)..(w + pl).saturating_sub(x0).min(kw);
                    for ky in rows {
                        let iy = y0 + ky - pt;
                        for kx in cols.clone() {
                            let ix = x0 + kx - pl;
                            let i = ((b * h + iy) * w + ix) * c + ch;
                            if arg.is_none_or(|j| x[i] > x[j]) {
                                arg = Some(i);
                            }
                        }
                    }
                    // SAME and VALID windows always hold an in-image element.
                    best.push(arg.ok_or_else(|| Error::internal("empty pooling window"))?);
                }
            }
        }
    }
    Ok((best, out_dims))
}

fn argmax_pool_kernel(x: &Value, a: &ArgmaxPool) -> Result<Outputs> {
    check_argmax_window(a)?;
    let dims = match x.shape() {
        [n, h, w, c] => [*n, *h, *w, *c],
        s => {
            return Err(Error::op_invalid(format!(
                "tensor_in must be 4-dimensional, got shape {s:?}"
            )))
        }
    };
    let per_batch = dims[1] * dims[2] * dims[3];
    fn run<T: Elem + PartialOrd + Copy>(
        arr: &Arr<T>,
        dims: [usize; 4],
        a: &ArgmaxPool,
        per_batch: usize,
    ) -> Result<(Value, Vec<i64>, [usize; 4])> {
        let flat: Vec<T> = arr.iter().copied().collect();
        let (pos, out) = argmax_positions(&flat, dims, a)?;
        let values: Vec<T> = pos.iter().map(|&i| flat[i]).collect();
        let stride = out[1] * out[2] * out[3];
        let idx = pos
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                // Without the batch in the index, it counts from the start of the batch element.
                let base = if a.include_batch_in_index || stride == 0 {
                    0
                } else {
                    (k / stride) * per_batch
                };
                (i - base) as i64
            })
            .collect();
        Ok((Value::from_vec(&out, values)?, idx, out))
    }
    let (values, idx, out) = match x {
        Value::F16(v) => run(v, dims, a, per_batch)?,
        Value::F32(v) => run(v, dims, a, per_batch)?,
        Value::F64(v) => run(v, dims, a, per_batch)?,
        Value::I8(v) => run(v, dims, a, per_batch)?,
        Value::I16(v) => run(v, dims, a, per_batch)?,
        Value::I32(v) => run(v, dims, a, per_batch)?,
        Value::I64(v) => run(v, dims, a, per_batch)?,
        Value::U8(v) => run(v, dims, a, per_batch)?,
        Value::Bool(_) => return Err(Error::op_invalid("MaxPoolWithArgmax does not support bool")),
        Value::C64(_) | Value::C128(_) => {
            return Err(super::not_for_complex("MaxPoolWithArgmax", x.dtype()))
        }
        Value::Str(_) => return Err(super::strings::rejected("MaxPoolWithArgmax")),
    };
    let argmax = Value::from_vec(&out, idx)?.cast(a.targmax);
    Ok(smallvec![values, argmax])
}

/// Sums each pooled gradient into the input position its argmax names.
fn argmax_pool_grad_kernel(
    x: &Value,
    grad: &Value,
    argmax: &Value,
    a: &ArgmaxPool,
) -> Result<Value> {
    check_argmax_window(a)?;
    let dims = x.shape().to_vec();
    let [n, h, w, c] = dims[..] else {
        return Err(Error::op_invalid("input must be 4-dimensional"));
    };
    let [(oh, _), (ow, _)] = argmax_geometry(a, h, w).map_err(Error::op_invalid)?;
    let pooled = [n, oh, ow, c];
    if grad.shape() != pooled || argmax.shape() != pooled {
        return Err(Error::op_invalid(format!(
            "Expected grad and argmax shapes {pooled:?}, got {:?} and {:?}",
            grad.shape(),
            argmax.shape()
        )));
    }
    let size = n * h * w * c;
    let per_batch = h * w * c;
    let stride = oh * ow * c;
    let idx = argmax.to_i64_vec()?;
    let mut targets = Vec::with_capacity(idx.len());
    for (k, &i) in idx.iter().enumerate() {
        let base = if a.include_batch_in_index || stride == 0 {
            0
        } else {
            (k / stride) * per_batch
        };
        let t = usize::try_from(i)
            .ok()
            .map(|i| i + base)
            .filter(|&t| t < size)
            .ok_or_else(|| {
                Error::op_invalid(format!(
                    "Invalid argmax index {i} for an input of {size} elements"
                ))
            })?;
        targets.push(t);
    }
    let mut out = vec![0.0f64; size];
    for (&t, g) in targets.iter().zip(floats("MaxPoolGradWithArgmax", grad)?) {
        out[t] += g;
    }
    from_f64(grad.dtype(), &dims, out)
}

/// TF's `_MaxPoolGradWithArgmax`: the argmax output routes the gradient back.
fn max_pool_with_argmax_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let OpKind::Nn(NnOp::MaxPoolWithArgmax(a)) = &ctx.kind else {
        return Err(Error::internal("MaxPoolWithArgmax gradient for another op"));
    };
    let inputs = [ctx.input(0)?, ctx.grad(grads, 0)?, ctx.output(1)];
    let d = ctx.graph.add1(
        OpKind::Nn(NnOp::MaxPoolGradWithArgmax(a.clone())),
        &inputs,
        Some("MaxPoolGradWithArgmax"),
    )?;
    Ok(dense(&[d]))
}
