//! Convolutions and pooling (NHWC), with their backprop ops and those ops' own gradients.
//!
//! Per op, side by side: builder, shape rule, kernel, gradient. The 2-D convolution kernels
//! run im2col + `general_mat_mul` one image at a time (the patch matrix of a whole batch
//! would be large); depthwise convolution and pooling are window loops whose innermost loop
//! runs over contiguous channels. Only NHWC is native: the Python layer transposes NCHW.

use super::{array, one, Family, InferCtx, KernelCtx, OpKind, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx};
use crate::graph::{Graph, Metas, Node, Tensor};
use crate::shape::{Dim, Shape};
use crate::value::{Arr, Elem, Value};
use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2, IxDyn};
use smallvec::smallvec;
use std::borrow::Cow;

// ----- attributes -----

/// TF's `padding` attribute; `Explicit` carries `explicit_paddings` (8 values, NHWC pairs).
#[derive(Debug, Clone, PartialEq)]
pub enum Padding {
    Same,
    Valid,
    Explicit(Vec<i64>),
}

impl Padding {
    pub(super) fn name(&self) -> &'static str {
        match self {
            Padding::Same => "SAME",
            Padding::Valid => "VALID",
            Padding::Explicit(_) => "EXPLICIT",
        }
    }
    fn explicit(&self) -> Vec<i64> {
        match self {
            Padding::Explicit(p) => p.clone(),
            _ => vec![],
        }
    }
}

/// Attributes shared by the convolution ops (2-D and depthwise, forward and backprop).
#[derive(Debug, Clone, PartialEq)]
pub struct ConvAttrs {
    pub strides: Vec<i64>,
    pub dilations: Vec<i64>,
    pub padding: Padding,
    pub use_cudnn_on_gpu: bool,
}

/// Attributes shared by the pooling ops.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolAttrs {
    pub ksize: Vec<i64>,
    pub strides: Vec<i64>,
    pub padding: Padding,
}

/// An op of the convolution family.
#[derive(Debug, Clone, PartialEq)]
pub enum ConvOp {
    Conv2D(ConvAttrs),
    Conv2DBackpropInput(ConvAttrs),
    Conv2DBackpropFilter(ConvAttrs),
    Depthwise(ConvAttrs),
    DepthwiseBackpropInput(ConvAttrs),
    DepthwiseBackpropFilter(ConvAttrs),
    MaxPool(PoolAttrs),
    MaxPoolGrad(PoolAttrs),
    MaxPoolGradGrad(PoolAttrs),
    AvgPool(PoolAttrs),
    AvgPoolGrad(PoolAttrs),
}

const TYPE_NAMES: [&str; 11] = [
    "Conv2D",
    "Conv2DBackpropInput",
    "Conv2DBackpropFilter",
    "DepthwiseConv2dNative",
    "DepthwiseConv2dNativeBackpropInput",
    "DepthwiseConv2dNativeBackpropFilter",
    "MaxPool",
    "MaxPoolGrad",
    "MaxPoolGradGrad",
    "AvgPool",
    "AvgPoolGrad",
];

/// Which padding strings an op's def allows (TF: AvgPool and MaxPoolGradGrad have no EXPLICIT).
fn allows_explicit(op_type: &str) -> bool {
    !matches!(
        op_type,
        "AvgPool"
            | "AvgPoolGrad"
            | "MaxPoolGradGrad"
            | "MaxPoolWithArgmax"
            | "MaxPoolGradWithArgmax"
            | "ExtractImagePatches"
    )
}

pub(super) fn parse_padding(op_type: &str, attrs: &Attrs) -> Result<Padding> {
    let s = attrs.str_or("padding", "")?;
    let explicit = allows_explicit(op_type);
    let pad = match s.as_str() {
        "SAME" => Padding::Same,
        "VALID" => Padding::Valid,
        "EXPLICIT" if explicit => {
            let p = attrs.ints_or("explicit_paddings", vec![])?;
            if p.len() != 8 {
                return Err(Error::invalid(format!(
                    "explicit_paddings attribute must contain 8 values, but got: {} for '{op_type}'",
                    p.len()
                )));
            }
            if p.iter().any(|&v| v < 0) {
                return Err(Error::invalid(format!(
                    "All elements of explicit_paddings must be nonnegative for '{op_type}'"
                )));
            }
            if p[0] != 0 || p[1] != 0 || p[6] != 0 || p[7] != 0 {
                return Err(Error::invalid(format!(
                    "Nonzero explicit padding in the batch or depth dimensions is not supported for '{op_type}'"
                )));
            }
            Padding::Explicit(p)
        }
        other => {
            let allowed = if explicit {
                "\"SAME\", \"VALID\", \"EXPLICIT\""
            } else {
                "\"SAME\", \"VALID\""
            };
            return Err(Error::invalid(format!(
                "Attr 'padding' of '{op_type}' Op passed string '{other}' not in: {allowed}."
            )));
        }
    };
    if !matches!(pad, Padding::Explicit(_))
        && explicit
        && !attrs.ints_or("explicit_paddings", vec![])?.is_empty()
    {
        return Err(Error::invalid(format!(
            "explicit_paddings attribute must be empty if the padding attribute is not EXPLICIT for '{op_type}'"
        )));
    }
    Ok(pad)
}

pub(super) fn four_ints(
    op_type: &str,
    attrs: &Attrs,
    name: &str,
    default: Option<Vec<i64>>,
) -> Result<Vec<i64>> {
    let v = match default {
        Some(d) => attrs.ints_or(name, d)?,
        None => attrs.ints_or(name, vec![]).and_then(|v| {
            if v.is_empty() {
                Err(Error::invalid(format!(
                    "NodeDef missing attr '{name}' for '{op_type}'"
                )))
            } else {
                Ok(v)
            }
        })?,
    };
    if v.len() != 4 {
        return Err(Error::invalid(format!(
            "{op_type} requires the {name} attribute to contain 4 values, but got: {}",
            v.len()
        )));
    }
    if v.iter().any(|&x| x < 1) {
        return Err(Error::invalid(format!(
            "{op_type}: all values of {name} must be positive, got {v:?}"
        )));
    }
    Ok(v)
}

fn check_format(op_type: &str, attrs: &Attrs) -> Result<()> {
    let f = attrs.str_or("data_format", "NHWC")?;
    if f != "NHWC" {
        return Err(Error::invalid(format!(
            "symgrad's {op_type} kernel supports data_format NHWC only (got {f}); the Python \
             functions accept NCHW by transposing"
        )));
    }
    Ok(())
}

fn conv_attrs(op_type: &str, attrs: &Attrs) -> Result<ConvAttrs> {
    check_format(op_type, attrs)?;
    Ok(ConvAttrs {
        strides: four_ints(op_type, attrs, "strides", None)?,
        dilations: four_ints(op_type, attrs, "dilations", Some(vec![1, 1, 1, 1]))?,
        padding: parse_padding(op_type, attrs)?,
        use_cudnn_on_gpu: attrs.bool_or("use_cudnn_on_gpu", true)?,
    })
}

fn pool_attrs(op_type: &str, attrs: &Attrs) -> Result<PoolAttrs> {
    check_format(op_type, attrs)?;
    Ok(PoolAttrs {
        ksize: four_ints(op_type, attrs, "ksize", None)?,
        strides: four_ints(op_type, attrs, "strides", None)?,
        padding: parse_padding(op_type, attrs)?,
    })
}

impl ConvOp {
    fn index(&self) -> usize {
        match self {
            ConvOp::Conv2D(_) => 0,
            ConvOp::Conv2DBackpropInput(_) => 1,
            ConvOp::Conv2DBackpropFilter(_) => 2,
            ConvOp::Depthwise(_) => 3,
            ConvOp::DepthwiseBackpropInput(_) => 4,
            ConvOp::DepthwiseBackpropFilter(_) => 5,
            ConvOp::MaxPool(_) => 6,
            ConvOp::MaxPoolGrad(_) => 7,
            ConvOp::MaxPoolGradGrad(_) => 8,
            ConvOp::AvgPool(_) => 9,
            ConvOp::AvgPoolGrad(_) => 10,
        }
    }
    fn conv(&self) -> Option<&ConvAttrs> {
        match self {
            ConvOp::Conv2D(a)
            | ConvOp::Conv2DBackpropInput(a)
            | ConvOp::Conv2DBackpropFilter(a)
            | ConvOp::Depthwise(a)
            | ConvOp::DepthwiseBackpropInput(a)
            | ConvOp::DepthwiseBackpropFilter(a) => Some(a),
            _ => None,
        }
    }
    fn pool(&self) -> Option<&PoolAttrs> {
        match self {
            ConvOp::MaxPool(a)
            | ConvOp::MaxPoolGrad(a)
            | ConvOp::MaxPoolGradGrad(a)
            | ConvOp::AvgPool(a)
            | ConvOp::AvgPoolGrad(a) => Some(a),
            _ => None,
        }
    }
    fn is_2d_conv(&self) -> bool {
        matches!(
            self,
            ConvOp::Conv2D(_) | ConvOp::Conv2DBackpropInput(_) | ConvOp::Conv2DBackpropFilter(_)
        )
    }
    /// The window of this op: (strides, dilations, padding) per spatial dim and kernel size
    /// where it is an attribute (pooling).
    fn window(&self) -> ([usize; 2], [usize; 2], &Padding, Option<[usize; 2]>) {
        let u = |v: &[i64], i: usize| v.get(i).copied().unwrap_or(1).max(1) as usize;
        if let Some(a) = self.conv() {
            (
                [u(&a.strides, 1), u(&a.strides, 2)],
                [u(&a.dilations, 1), u(&a.dilations, 2)],
                &a.padding,
                None,
            )
        } else if let Some(p) = self.pool() {
            (
                [u(&p.strides, 1), u(&p.strides, 2)],
                [1, 1],
                &p.padding,
                Some([u(&p.ksize, 1), u(&p.ksize, 2)]),
            )
        } else {
            ([1, 1], [1, 1], &Padding::Valid, None)
        }
    }
}

impl Family for ConvOp {
    fn type_name(&self) -> &'static str {
        TYPE_NAMES[self.index()]
    }

    fn from_def(op_type: &str, attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        let conv = |f: fn(ConvAttrs) -> ConvOp| Some(conv_attrs(op_type, attrs).map(f));
        let pool = |f: fn(PoolAttrs) -> ConvOp| Some(pool_attrs(op_type, attrs).map(f));
        match op_type {
            "Conv2D" => conv(ConvOp::Conv2D),
            "Conv2DBackpropInput" => conv(ConvOp::Conv2DBackpropInput),
            "Conv2DBackpropFilter" => conv(ConvOp::Conv2DBackpropFilter),
            "DepthwiseConv2dNative" => conv(ConvOp::Depthwise),
            "DepthwiseConv2dNativeBackpropInput" => conv(ConvOp::DepthwiseBackpropInput),
            "DepthwiseConv2dNativeBackpropFilter" => conv(ConvOp::DepthwiseBackpropFilter),
            "MaxPool" => pool(ConvOp::MaxPool),
            "MaxPoolGrad" => pool(ConvOp::MaxPoolGrad),
            "MaxPoolGradGrad" => pool(ConvOp::MaxPoolGradGrad),
            "AvgPool" => pool(ConvOp::AvgPool),
            "AvgPoolGrad" => pool(ConvOp::AvgPoolGrad),
            _ => None,
        }
    }

    fn attrs(&self, _node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        let mut out: Vec<(&'static str, AttrValue)> = Vec::new();
        // T is the float input: the data input, or input 1 for ops whose input 0 is a shape.
        let t_index = match self {
            ConvOp::Conv2DBackpropInput(_)
            | ConvOp::DepthwiseBackpropInput(_)
            | ConvOp::AvgPoolGrad(_) => 1,
            _ => 0,
        };
        if let Some(t) = input_types.get(t_index) {
            out.push(("T", AttrValue::Type(*t)));
        }
        if let Some(a) = self.conv() {
            out.push(("strides", AttrValue::Ints(a.strides.clone())));
            if self.is_2d_conv() {
                out.push(("use_cudnn_on_gpu", AttrValue::Bool(a.use_cudnn_on_gpu)));
            }
            out.push(("padding", AttrValue::Str(a.padding.name().into())));
            out.push(("explicit_paddings", AttrValue::Ints(a.padding.explicit())));
            out.push(("data_format", AttrValue::Str("NHWC".into())));
            out.push(("dilations", AttrValue::Ints(a.dilations.clone())));
        } else if let Some(p) = self.pool() {
            out.push(("ksize", AttrValue::Ints(p.ksize.clone())));
            out.push(("strides", AttrValue::Ints(p.strides.clone())));
            out.push(("padding", AttrValue::Str(p.padding.name().into())));
            if allows_explicit(self.type_name()) {
                out.push(("explicit_paddings", AttrValue::Ints(p.padding.explicit())));
            }
            out.push(("data_format", AttrValue::Str("NHWC".into())));
        }
        out
    }

    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        infer(self, ctx)
    }

    fn compute(&self, ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let _ = ctx;
        compute(self, inputs).map(|v| smallvec![v])
    }

    fn register_gradients(r: &mut GradRegistry) {
        r.builtin("Conv2D", conv2d_grad);
        r.builtin("Conv2DBackpropInput", conv2d_backprop_input_grad);
        r.builtin("Conv2DBackpropFilter", conv2d_backprop_filter_grad);
        r.builtin("DepthwiseConv2dNative", depthwise_grad);
        r.builtin(
            "DepthwiseConv2dNativeBackpropInput",
            depthwise_backprop_input_grad,
        );
        r.builtin(
            "DepthwiseConv2dNativeBackpropFilter",
            depthwise_backprop_filter_grad,
        );
        r.builtin("MaxPool", max_pool_grad_fn);
        r.builtin("MaxPoolGrad", max_pool_grad_grad_fn);
        r.builtin("MaxPoolGradGrad", max_pool_grad_grad_grad_fn);
        r.builtin("AvgPool", avg_pool_grad_fn);
        r.builtin("AvgPoolGrad", avg_pool_grad_grad_fn);
    }
}

// ----- builders -----

fn add(g: &Graph, op: ConvOp, inputs: &[Tensor]) -> Result<Tensor> {
    let name = op.type_name();
    g.add1(OpKind::Conv(Box::new(op)), inputs, Some(name))
}

pub fn conv2d(g: &Graph, x: Tensor, filter: Tensor, a: &ConvAttrs) -> Result<Tensor> {
    add(g, ConvOp::Conv2D(a.clone()), &[x, filter])
}
pub fn conv2d_backprop_input(
    g: &Graph,
    input_sizes: Tensor,
    filter: Tensor,
    out_backprop: Tensor,
    a: &ConvAttrs,
) -> Result<Tensor> {
    add(
        g,
        ConvOp::Conv2DBackpropInput(a.clone()),
        &[input_sizes, filter, out_backprop],
    )
}
pub fn conv2d_backprop_filter(
    g: &Graph,
    x: Tensor,
    filter_sizes: Tensor,
    out_backprop: Tensor,
    a: &ConvAttrs,
) -> Result<Tensor> {
    add(
        g,
        ConvOp::Conv2DBackpropFilter(a.clone()),
        &[x, filter_sizes, out_backprop],
    )
}
pub fn depthwise_conv2d_native(
    g: &Graph,
    x: Tensor,
    filter: Tensor,
    a: &ConvAttrs,
) -> Result<Tensor> {
    add(g, ConvOp::Depthwise(a.clone()), &[x, filter])
}
pub fn max_pool(g: &Graph, x: Tensor, a: &PoolAttrs) -> Result<Tensor> {
    add(g, ConvOp::MaxPool(a.clone()), &[x])
}
pub fn avg_pool(g: &Graph, x: Tensor, a: &PoolAttrs) -> Result<Tensor> {
    add(g, ConvOp::AvgPool(a.clone()), &[x])
}

// ----- shape rules -----

/// The output size and leading padding of one spatial dim (TF's `GetWindowedOutputSize`).
pub(super) fn windowed(
    input: usize,
    k: usize,
    stride: usize,
    dilation: usize,
    padding: &Padding,
    dim: usize,
) -> std::result::Result<(usize, usize), String> {
    let overflow = || "window size overflows".to_string();
    let eff = (k.max(1) - 1)
        .checked_mul(dilation)
        .and_then(|e| e.checked_add(1))
        .ok_or_else(overflow)?;
    match padding {
        Padding::Valid => {
            if input < eff {
                return Err(format!(
                    "Negative dimension size caused by subtracting {eff} from {input}"
                ));
            }
            Ok(((input - eff) / stride + 1, 0))
        }
        Padding::Same => {
            let out = input.div_ceil(stride);
            let span = (out.saturating_sub(1))
                .checked_mul(stride)
                .and_then(|v| v.checked_add(eff))
                .ok_or_else(overflow)?;
            let needed = span.saturating_sub(input);
            Ok((out, needed / 2))
        }
        Padding::Explicit(p) => {
            let before = p.get(2 * dim).copied().unwrap_or(0).max(0) as usize;
            let after = p.get(2 * dim + 1).copied().unwrap_or(0).max(0) as usize;
            let padded = input
                .checked_add(before)
                .and_then(|v| v.checked_add(after))
                .ok_or_else(overflow)?;
            if padded < eff {
                return Err(format!(
                    "Negative dimension size caused by subtracting {eff} from {padded}"
                ));
            }
            Ok(((padded - eff) / stride + 1, before))
        }
    }
}

fn rank4(ctx: &InferCtx<'_>, i: usize) -> Result<[Dim; 4]> {
    let s = ctx.shape(i)?;
    match s.dims() {
        None => Ok([None; 4]),
        Some(d) if d.len() == 4 => Ok([d[0], d[1], d[2], d[3]]),
        Some(d) => Err(ctx.err(format!(
            "Shape must be rank 4 but is rank {} with input shapes: {}",
            d.len(),
            (0..ctx.num_inputs())
                .map(|j| ctx.shape(j).map(|s| s.bracketed()).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn float_dtype(ctx: &InferCtx<'_>, op: &ConvOp, i: usize, arg: &str) -> Result<DType> {
    let t = ctx.dtype(i)?;
    if !matches!(t, DType::F32 | DType::F64) {
        return Err(Error::type_error(format!(
            "Value passed to parameter '{arg}' has DataType {t} not in list of allowed values: \
             float32, float64 (symgrad's {} kernels)",
            op.type_name()
        )));
    }
    Ok(t)
}

fn sizes_input(ctx: &InferCtx<'_>, i: usize) -> Result<Option<Vec<i64>>> {
    let t = ctx.dtype(i)?;
    if !matches!(t, DType::I32 | DType::I64) {
        return Err(Error::type_error(format!(
            "Value passed to parameter {i} of a size input has DataType {t} not in list of \
             allowed values: int32, int64 for '{}'",
            ctx.name
        )));
    }
    if let Some(d) = ctx.shape(i)?.dims() {
        if d.len() != 1 || d[0].is_some_and(|n| n != 4) {
            return Err(ctx.err(format!(
                "input sizes must be a 4-element vector, got shape {}",
                ctx.shape(i)?.bracketed()
            )));
        }
    }
    Ok(ctx.const_ints(i).filter(|v| v.len() == 4))
}

fn from_ints(v: &[i64]) -> [Dim; 4] {
    let d = |x: i64| usize::try_from(x).ok();
    [d(v[0]), d(v[1]), d(v[2]), d(v[3])]
}

fn must_equal(ctx: &InferCtx<'_>, a: Dim, b: Dim) -> Result<Dim> {
    match (a, b) {
        (Some(x), Some(y)) if x != y => {
            Err(ctx.err(format!("Dimensions must be equal, but are {x} and {y}")))
        }
        (Some(x), _) | (_, Some(x)) => Ok(Some(x)),
        _ => Ok(None),
    }
}

/// Static output dims of the window over input spatial dims `h`, `w`.
fn out_spatial(
    ctx: &InferCtx<'_>,
    op: &ConvOp,
    h: Dim,
    w: Dim,
    kh: Dim,
    kw: Dim,
) -> Result<[Dim; 2]> {
    let (s, d, padding, _) = op.window();
    let mut out = [None, None];
    for (i, (input, k)) in [(h, kh), (w, kw)].into_iter().enumerate() {
        if let (Some(input), Some(k)) = (input, k) {
            let (o, _) = windowed(input, k, s[i], d[i], padding, i + 1).map_err(|m| ctx.err(m))?;
            out[i] = Some(o);
        } else if let (Some(input), Padding::Same) = (input, padding) {
            out[i] = Some(input.div_ceil(s[i]));
        }
    }
    Ok(out)
}

fn infer(op: &ConvOp, ctx: &InferCtx<'_>) -> Result<Metas> {
    let shape4 = |d: [Dim; 4]| Shape::from_dims(&d);
    match op {
        ConvOp::Conv2D(_) | ConvOp::Depthwise(_) => {
            ctx.expect_inputs(2)?;
            let t = float_dtype(ctx, op, 0, "input")?;
            ctx.same_dtype(op.type_name(), 0, 1, ("input", "filter"))?;
            let x = rank4(ctx, 0)?;
            let f = rank4(ctx, 1)?;
            let depthwise = matches!(op, ConvOp::Depthwise(_));
            if depthwise {
                check_depthwise_strides(op).map_err(|m| ctx.err(m))?;
            }
            let oc = if depthwise {
                must_equal(ctx, x[3], f[2])?;
                match (x[3].or(f[2]), f[3]) {
                    (Some(c), Some(m)) => c.checked_mul(m),
                    _ => None,
                }
            } else {
                if let (Some(c), Some(fc)) = (x[3], f[2]) {
                    if fc == 0 || c % fc != 0 {
                        return Err(ctx.err(format!(
                            "Depth of input ({c}) is not a multiple of input depth of filter ({fc})"
                        )));
                    }
                    if let Some(o) = f[3] {
                        let groups = c / fc;
                        if o % groups != 0 {
                            return Err(ctx.err(format!(
                                "Depth of output ({o}) is not a multiple of the number of groups ({groups})"
                            )));
                        }
                    }
                }
                f[3]
            };
            let [oh, ow] = out_spatial(ctx, op, x[1], x[2], f[0], f[1])?;
            one(t, shape4([x[0], oh, ow, oc]))
        }
        ConvOp::Conv2DBackpropInput(_) | ConvOp::DepthwiseBackpropInput(_) => {
            ctx.expect_inputs(3)?;
            let t = float_dtype(ctx, op, 1, "filter")?;
            ctx.same_dtype(op.type_name(), 1, 2, ("filter", "out_backprop"))?;
            let sizes = sizes_input(ctx, 0)?;
            let f = rank4(ctx, 1)?;
            let dy = rank4(ctx, 2)?;
            if matches!(op, ConvOp::Conv2DBackpropInput(_)) {
                must_equal(ctx, dy[3], f[3])?;
            }
            let out = match sizes {
                Some(v) => from_ints(&v),
                None => [dy[0], None, None, f[2]],
            };
            one(t, shape4(out))
        }
        ConvOp::Conv2DBackpropFilter(_) | ConvOp::DepthwiseBackpropFilter(_) => {
            ctx.expect_inputs(3)?;
            let t = float_dtype(ctx, op, 0, "input")?;
            ctx.same_dtype(op.type_name(), 0, 2, ("input", "out_backprop"))?;
            let sizes = sizes_input(ctx, 1)?;
            let x = rank4(ctx, 0)?;
            let dy = rank4(ctx, 2)?;
            must_equal(ctx, x[0], dy[0])?;
            let out = match sizes {
                Some(v) => from_ints(&v),
                None if matches!(op, ConvOp::Conv2DBackpropFilter(_)) => [None, None, x[3], dy[3]],
                None => [None, None, x[3], None],
            };
            one(t, shape4(out))
        }
        ConvOp::MaxPool(_) | ConvOp::AvgPool(_) => {
            ctx.expect_inputs(1)?;
            let t = float_dtype(ctx, op, 0, "value")?;
            let x = rank4(ctx, 0)?;
            one(t, shape4(pool_out(ctx, op, x)?))
        }
        ConvOp::MaxPoolGrad(_) => {
            ctx.expect_inputs(3)?;
            let t = float_dtype(ctx, op, 0, "orig_input")?;
            ctx.same_dtype("MaxPoolGrad", 0, 1, ("orig_input", "orig_output"))?;
            ctx.same_dtype("MaxPoolGrad", 0, 2, ("orig_input", "grad"))?;
            let x = rank4(ctx, 0)?;
            rank4(ctx, 1)?;
            rank4(ctx, 2)?;
            one(t, shape4(x))
        }
        ConvOp::MaxPoolGradGrad(_) => {
            ctx.expect_inputs(3)?;
            let t = float_dtype(ctx, op, 0, "orig_input")?;
            ctx.same_dtype("MaxPoolGradGrad", 0, 1, ("orig_input", "orig_output"))?;
            ctx.same_dtype("MaxPoolGradGrad", 0, 2, ("orig_input", "grad"))?;
            let x = rank4(ctx, 0)?;
            let y = rank4(ctx, 1)?;
            rank4(ctx, 2)?;
            let from_x = pool_out(ctx, op, x)?;
            let mut out = [None; 4];
            for i in 0..4 {
                out[i] = must_equal(ctx, y[i], from_x[i])?;
            }
            one(t, shape4(out))
        }
        ConvOp::AvgPoolGrad(_) => {
            ctx.expect_inputs(2)?;
            let t = float_dtype(ctx, op, 1, "grad")?;
            let sizes = sizes_input(ctx, 0)?;
            let dy = rank4(ctx, 1)?;
            let out = match sizes {
                Some(v) => from_ints(&v),
                None => [dy[0], None, None, dy[3]],
            };
            one(t, shape4(out))
        }
    }
}

/// TF's depthwise kernels take one stride for both spatial dims.
fn check_depthwise_strides(op: &ConvOp) -> std::result::Result<(), &'static str> {
    match op.conv() {
        Some(a) if a.strides.get(1) != a.strides.get(2) => Err(
            "Current implementation only supports equal length strides in the row and column dimensions.",
        ),
        _ => Ok(()),
    }
}

fn pool_out(ctx: &InferCtx<'_>, op: &ConvOp, x: [Dim; 4]) -> Result<[Dim; 4]> {
    let (_, _, _, k) = op.window();
    let [kh, kw] = k.unwrap_or([1, 1]);
    let [oh, ow] = out_spatial(ctx, op, x[1], x[2], Some(kh), Some(kw))?;
    Ok([x[0], oh, ow, x[3]])
}

// ----- kernels -----

/// Float element types of the kernels.
trait ConvElem: Elem + num_traits::Float + ndarray::LinalgScalar + Default {}
impl ConvElem for f32 {}
impl ConvElem for f64 {}

/// Where the window of one op sits over one input: sizes, strides, leading padding.
#[derive(Debug, Clone, Copy)]
struct Geom {
    n: usize,
    ih: usize,
    iw: usize,
    ic: usize,
    kh: usize,
    kw: usize,
    oh: usize,
    ow: usize,
    sh: usize,
    sw: usize,
    dh: usize,
    dw: usize,
    pt: usize,
    pl: usize,
}

impl Geom {
    fn new(op: &ConvOp, x: [usize; 4], k: [usize; 2]) -> Result<Geom> {
        let (s, d, padding, _) = op.window();
        let (oh, pt) = windowed(x[1], k[0], s[0], d[0], padding, 1).map_err(Error::op_invalid)?;
        let (ow, pl) = windowed(x[2], k[1], s[1], d[1], padding, 2).map_err(Error::op_invalid)?;
        // Every index the loops form is below one of these products; checking them once
        // keeps the index arithmetic free of overflow.
        for dims in [&x[..], &[x[0], oh, ow, x[3]], &[k[0], k[1], x[3]]] {
            if dims
                .iter()
                .try_fold(1usize, |a, &d| a.checked_mul(d))
                .is_none()
            {
                return Err(Error::op_invalid(format!(
                    "{}: sizes {dims:?} are too large",
                    op.type_name()
                )));
            }
        }
        Ok(Geom {
            n: x[0],
            ih: x[1],
            iw: x[2],
            ic: x[3],
            kh: k[0],
            kw: k[1],
            oh,
            ow,
            sh: s[0],
            sw: s[1],
            dh: d[0],
            dw: d[1],
            pt,
            pl,
        })
    }
    /// The input row for output row `o` and kernel row `k`, if inside the image.
    fn row(&self, o: usize, k: usize) -> Option<usize> {
        (o * self.sh + k * self.dh)
            .checked_sub(self.pt)
            .filter(|&r| r < self.ih)
    }
    fn col(&self, o: usize, k: usize) -> Option<usize> {
        (o * self.sw + k * self.dw)
            .checked_sub(self.pl)
            .filter(|&c| c < self.iw)
    }
    fn out_dims(&self, c: usize) -> [usize; 4] {
        [self.n, self.oh, self.ow, c]
    }
}

fn dims4(v: &Value, what: &str, op: &ConvOp) -> Result<[usize; 4]> {
    match v.shape() {
        [a, b, c, d] => Ok([*a, *b, *c, *d]),
        s => Err(Error::op_invalid(format!(
            "{}: {what} must be 4-dimensional, got shape {}",
            op.type_name(),
            Shape::known(s).bracketed()
        ))),
    }
}

fn sizes_value(v: &Value, op: &ConvOp, what: &str) -> Result<[usize; 4]> {
    let ints = v.to_i64_vec()?;
    match ints.as_slice() {
        [a, b, c, d] if ints.iter().all(|&x| x >= 0) => {
            Ok([*a as usize, *b as usize, *c as usize, *d as usize])
        }
        _ => Err(Error::op_invalid(format!(
            "{}: {what} must be a vector of 4 non-negative sizes, got {ints:?}",
            op.type_name()
        ))),
    }
}

fn mul(a: usize, b: usize) -> Result<usize> {
    a.checked_mul(b)
        .ok_or_else(|| Error::op_invalid(format!("size {a} * {b} overflows")))
}

/// True when a 4-value window attribute is not 1 on the batch or channel dim.
fn outer(v: &[i64]) -> bool {
    v.first() != Some(&1) || v.get(3) != Some(&1)
}

/// A zeroed buffer for `dims`, or TF's errors when the size overflows or cannot be allocated
/// (sizes can come from a shape input, so they are not bounded by existing tensors).
fn zeros<T: ConvElem>(dims: &[usize]) -> Result<Vec<T>> {
    let n = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| Error::op_invalid(format!("tensor of shape {dims:?} is too large")))?;
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        Error::op(
            crate::error::Code::ResourceExhausted,
            format!("OOM when allocating tensor with shape {dims:?}"),
        )
    })?;
    v.resize(n, T::zero());
    Ok(v)
}

/// TF's run-time checks on strides and dilations (its shape functions accept them).
fn check_window(op: &ConvOp) -> Result<()> {
    if let Some(a) = op.conv() {
        if outer(&a.strides) {
            return Err(Error::op_invalid(
                "Current implementation does not yet support strides in the batch and depth dimensions.",
            ));
        }
        if outer(&a.dilations) {
            return Err(Error::op_invalid(
                "Current implementation does not yet support dilations in the batch and depth dimensions.",
            ));
        }
    }
    if let Some(p) = op.pool() {
        if outer(&p.ksize) || outer(&p.strides) {
            return Err(Error::unimplemented(
                "Pooling is not yet supported on the batch nor depth dimensions.",
            ));
        }
    }
    Ok(())
}

fn data<T: Clone>(a: &Arr<T>) -> Cow<'_, [T]> {
    match a.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(a.iter().cloned().collect()),
    }
}

fn finish<T: ConvElem>(dims: [usize; 4], v: Vec<T>) -> Result<Value> {
    let a = ndarray::ArrayD::from_shape_vec(IxDyn(&dims), v)
        .map_err(|e| Error::internal(format!("conv kernel produced a bad buffer: {e}")))?;
    Ok(T::wrap(a.into_shared()))
}

fn compute(op: &ConvOp, inputs: &[Value]) -> Result<Value> {
    check_window(op)?;
    let want = match op {
        ConvOp::MaxPool(_) | ConvOp::AvgPool(_) => 1,
        ConvOp::Conv2D(_) | ConvOp::Depthwise(_) | ConvOp::AvgPoolGrad(_) => 2,
        _ => 3,
    };
    if inputs.len() != want {
        return Err(Error::internal(format!(
            "{} expects {want} inputs, got {}",
            op.type_name(),
            inputs.len()
        )));
    }
    let float_at = match op {
        ConvOp::Conv2DBackpropInput(_)
        | ConvOp::DepthwiseBackpropInput(_)
        | ConvOp::AvgPoolGrad(_) => 1,
        _ => 0,
    };
    match &inputs[float_at] {
        Value::F32(_) => compute_t::<f32>(op, inputs),
        Value::F64(_) => compute_t::<f64>(op, inputs),
        v => Err(Error::op_invalid(format!(
            "No {} kernel for dtype {}",
            op.type_name(),
            v.dtype()
        ))),
    }
}

fn arr<'a, T: ConvElem>(v: &'a Value, op: &ConvOp) -> Result<&'a Arr<T>> {
    T::unwrap_ref(v).ok_or_else(|| {
        Error::op_invalid(format!(
            "{}: inputs must share one dtype, got {}",
            op.type_name(),
            v.dtype()
        ))
    })
}

fn compute_t<T: ConvElem>(op: &ConvOp, inputs: &[Value]) -> Result<Value> {
    match op {
        ConvOp::Conv2D(_) => {
            let (xd, fd) = (
                dims4(&inputs[0], "input", op)?,
                dims4(&inputs[1], "filter", op)?,
            );
            let g = conv_geom(op, xd, fd)?;
            let (x, f) = (arr::<T>(&inputs[0], op)?, arr::<T>(&inputs[1], op)?);
            finish(
                g.out_dims(fd[3]),
                conv2d_fwd(&g, &data(x), &data(f), fd[3])?,
            )
        }
        ConvOp::Conv2DBackpropInput(_) => {
            let xd = sizes_value(&inputs[0], op, "input_sizes")?;
            let fd = dims4(&inputs[1], "filter", op)?;
            let g = conv_geom(op, xd, fd)?;
            check_backprop(op, &inputs[2], g.out_dims(fd[3]))?;
            let (f, dy) = (arr::<T>(&inputs[1], op)?, arr::<T>(&inputs[2], op)?);
            finish(xd, conv2d_bwd_input(&g, &data(f), &data(dy), fd[3])?)
        }
        ConvOp::Conv2DBackpropFilter(_) => {
            let xd = dims4(&inputs[0], "input", op)?;
            let fd = sizes_value(&inputs[1], op, "filter_sizes")?;
            let g = conv_geom(op, xd, fd)?;
            check_backprop(op, &inputs[2], g.out_dims(fd[3]))?;
            let (x, dy) = (arr::<T>(&inputs[0], op)?, arr::<T>(&inputs[2], op)?);
            finish(fd, conv2d_bwd_filter(&g, &data(x), &data(dy), fd[3])?)
        }
        ConvOp::Depthwise(_) => {
            let (xd, fd) = (
                dims4(&inputs[0], "input", op)?,
                dims4(&inputs[1], "filter", op)?,
            );
            let g = depthwise_geom(op, xd, fd)?;
            let (x, f) = (arr::<T>(&inputs[0], op)?, arr::<T>(&inputs[1], op)?);
            let (x, f) = (data(x), data(f));
            let mut out = zeros::<T>(&[g.n, g.oh, g.ow, g.ic, fd[3]])?;
            depthwise_loop(&g, fd[3], |xi, fi, oi| out[oi] = out[oi] + x[xi] * f[fi]);
            finish(g.out_dims(mul(g.ic, fd[3])?), out)
        }
        ConvOp::DepthwiseBackpropInput(_) => {
            let xd = sizes_value(&inputs[0], op, "input_sizes")?;
            let fd = dims4(&inputs[1], "filter", op)?;
            let g = depthwise_geom(op, xd, fd)?;
            check_backprop(op, &inputs[2], g.out_dims(mul(g.ic, fd[3])?))?;
            let (f, dy) = (arr::<T>(&inputs[1], op)?, arr::<T>(&inputs[2], op)?);
            let (f, dy) = (data(f), data(dy));
            let mut dx = zeros::<T>(&xd)?;
            depthwise_loop(&g, fd[3], |xi, fi, oi| dx[xi] = dx[xi] + dy[oi] * f[fi]);
            finish(xd, dx)
        }
        ConvOp::DepthwiseBackpropFilter(_) => {
            let xd = dims4(&inputs[0], "input", op)?;
            let fd = sizes_value(&inputs[1], op, "filter_sizes")?;
            let g = depthwise_geom(op, xd, fd)?;
            check_backprop(op, &inputs[2], g.out_dims(mul(g.ic, fd[3])?))?;
            let (x, dy) = (arr::<T>(&inputs[0], op)?, arr::<T>(&inputs[2], op)?);
            let (x, dy) = (data(x), data(dy));
            let mut df = zeros::<T>(&fd)?;
            depthwise_loop(&g, fd[3], |xi, fi, oi| df[fi] = df[fi] + x[xi] * dy[oi]);
            finish(fd, df)
        }
        ConvOp::MaxPool(_) => {
            let xd = dims4(&inputs[0], "input", op)?;
            let g = pool_geom(op, xd)?;
            let x = data(arr::<T>(&inputs[0], op)?).into_owned();
            let arg = argmax(&g, &x);
            let out = arg
                .iter()
                .map(|a| a.map_or(T::neg_infinity(), |i| x[i]))
                .collect();
            finish(g.out_dims(g.ic), out)
        }
        ConvOp::MaxPoolGrad(_) => {
            let xd = dims4(&inputs[0], "orig_input", op)?;
            let g = pool_geom(op, xd)?;
            check_backprop(op, &inputs[1], g.out_dims(g.ic))?;
            check_backprop(op, &inputs[2], g.out_dims(g.ic))?;
            let x = data(arr::<T>(&inputs[0], op)?).into_owned();
            let dy = data(arr::<T>(&inputs[2], op)?).into_owned();
            let mut dx = vec![T::zero(); x.len()];
            for (o, a) in argmax(&g, &x).into_iter().enumerate() {
                if let Some(i) = a {
                    dx[i] = dx[i] + dy[o];
                }
            }
            finish(xd, dx)
        }
        ConvOp::MaxPoolGradGrad(_) => {
            let xd = dims4(&inputs[0], "orig_input", op)?;
            let g = pool_geom(op, xd)?;
            check_backprop(op, &inputs[1], g.out_dims(g.ic))?;
            check_backprop(op, &inputs[2], xd)?;
            let x = data(arr::<T>(&inputs[0], op)?).into_owned();
            let gg = data(arr::<T>(&inputs[2], op)?).into_owned();
            let out = argmax(&g, &x)
                .into_iter()
                .map(|a| a.map_or(T::zero(), |i| gg[i]))
                .collect();
            finish(g.out_dims(g.ic), out)
        }
        ConvOp::AvgPool(_) => {
            let xd = dims4(&inputs[0], "value", op)?;
            let g = pool_geom(op, xd)?;
            let x = data(arr::<T>(&inputs[0], op)?);
            let mut out = zeros::<T>(&[g.n, g.oh, g.ow, g.ic])?;
            avg_windows(&g, |xi, oi, scale| {
                out[oi] = out[oi] + x[xi] * T::from_f64(scale)
            });
            finish(g.out_dims(g.ic), out)
        }
        ConvOp::AvgPoolGrad(_) => {
            let xd = sizes_value(&inputs[0], op, "orig_input_shape")?;
            let g = pool_geom(op, xd)?;
            check_backprop(op, &inputs[1], g.out_dims(g.ic))?;
            let dy = data(arr::<T>(&inputs[1], op)?);
            let mut dx = zeros::<T>(&xd)?;
            avg_windows(&g, |xi, oi, scale| {
                dx[xi] = dx[xi] + dy[oi] * T::from_f64(scale)
            });
            finish(xd, dx)
        }
    }
}

fn check_backprop(op: &ConvOp, v: &Value, want: [usize; 4]) -> Result<()> {
    if v.shape() != want {
        return Err(Error::op_invalid(format!(
            "{}: Size of out_backprop doesn't match computed: actual = {}, computed = {}",
            op.type_name(),
            Shape::known(v.shape()).bracketed(),
            Shape::known(&want).bracketed()
        )));
    }
    Ok(())
}

fn conv_geom(op: &ConvOp, x: [usize; 4], f: [usize; 4]) -> Result<Geom> {
    if x[3] != f[2] {
        if f[2] != 0 && x[3] % f[2] == 0 {
            return Err(Error::unimplemented(format!(
                "{}: grouped convolution (input depth {} with filter depth {}) is not supported",
                op.type_name(),
                x[3],
                f[2]
            )));
        }
        return Err(Error::op_invalid(format!(
            "{}: input depth must be evenly divisible by filter depth: {} vs {}",
            op.type_name(),
            x[3],
            f[2]
        )));
    }
    Geom::new(op, x, [f[0], f[1]])
}

fn depthwise_geom(op: &ConvOp, x: [usize; 4], f: [usize; 4]) -> Result<Geom> {
    check_depthwise_strides(op).map_err(Error::op_invalid)?;
    if x[3] != f[2] {
        return Err(Error::op_invalid(format!(
            "{}: input and filter must have the same depth: {} vs {}",
            op.type_name(),
            x[3],
            f[2]
        )));
    }
    Geom::new(op, x, [f[0], f[1]])
}

fn pool_geom(op: &ConvOp, x: [usize; 4]) -> Result<Geom> {
    let (_, _, _, k) = op.window();
    Geom::new(op, x, k.unwrap_or([1, 1]))
}

/// Fills `col` (rows: output pixels of image `n`; columns: (ky, kx, c)) from `x`.
fn im2col<T: ConvElem>(g: &Geom, x: &[T], n: usize, col: &mut [T]) {
    let kc = g.kw * g.ic;
    let row_len = g.kh * kc;
    let img = &x[n * g.ih * g.iw * g.ic..(n + 1) * g.ih * g.iw * g.ic];
    for oy in 0..g.oh {
        for ox in 0..g.ow {
            let row = &mut col[(oy * g.ow + ox) * row_len..][..row_len];
            for ky in 0..g.kh {
                let seg = &mut row[ky * kc..(ky + 1) * kc];
                let Some(iy) = g.row(oy, ky) else {
                    seg.fill(T::zero());
                    continue;
                };
                for kx in 0..g.kw {
                    let dst = &mut seg[kx * g.ic..(kx + 1) * g.ic];
                    match g.col(ox, kx) {
                        Some(ix) => dst.copy_from_slice(&img[(iy * g.iw + ix) * g.ic..][..g.ic]),
                        None => dst.fill(T::zero()),
                    }
                }
            }
        }
    }
}

/// Adds `col`'s rows back onto image `n` of `dx` (the adjoint of `im2col`).
fn col2im<T: ConvElem>(g: &Geom, col: &[T], n: usize, dx: &mut [T]) {
    let kc = g.kw * g.ic;
    let row_len = g.kh * kc;
    let img = &mut dx[n * g.ih * g.iw * g.ic..(n + 1) * g.ih * g.iw * g.ic];
    for oy in 0..g.oh {
        for ox in 0..g.ow {
            let row = &col[(oy * g.ow + ox) * row_len..][..row_len];
            for ky in 0..g.kh {
                let Some(iy) = g.row(oy, ky) else { continue };
                for kx in 0..g.kw {
                    let Some(ix) = g.col(ox, kx) else { continue };
                    let src = &row[(ky * g.kw + kx) * g.ic..][..g.ic];
                    let dst = &mut img[(iy * g.iw + ix) * g.ic..][..g.ic];
                    for (d, &s) in dst.iter_mut().zip(src) {
                        *d = *d + s;
                    }
                }
            }
        }
    }
}

fn view<T>(s: &[T], r: usize, c: usize) -> Result<ArrayView2<'_, T>> {
    ArrayView2::from_shape((r, c), s)
        .map_err(|e| Error::internal(format!("conv kernel buffer mismatch: {e}")))
}

fn view_mut<T>(s: &mut [T], r: usize, c: usize) -> Result<ArrayViewMut2<'_, T>> {
    ArrayViewMut2::from_shape((r, c), s)
        .map_err(|e| Error::internal(format!("conv kernel buffer mismatch: {e}")))
}

fn conv2d_fwd<T: ConvElem>(g: &Geom, x: &[T], f: &[T], oc: usize) -> Result<Vec<T>> {
    let k = g.kh * g.kw * g.ic;
    let p = g.oh * g.ow;
    let mut out = zeros::<T>(&[g.n, p, oc])?;
    if k == 0 || p == 0 || oc == 0 {
        return Ok(out);
    }
    let mut col = zeros::<T>(&[p, k])?;
    let fv = view(f, k, oc)?;
    for n in 0..g.n {
        im2col(g, x, n, &mut col);
        let mut o = view_mut(&mut out[n * p * oc..(n + 1) * p * oc], p, oc)?;
        general_mat_mul(T::one(), &view(&col, p, k)?, &fv, T::zero(), &mut o);
    }
    Ok(out)
}

fn conv2d_bwd_input<T: ConvElem>(g: &Geom, f: &[T], dy: &[T], oc: usize) -> Result<Vec<T>> {
    let k = g.kh * g.kw * g.ic;
    let p = g.oh * g.ow;
    let mut dx = zeros::<T>(&[g.n, g.ih, g.iw, g.ic])?;
    if k == 0 || p == 0 || oc == 0 {
        return Ok(dx);
    }
    let mut col = zeros::<T>(&[p, k])?;
    let ft = view(f, k, oc)?.reversed_axes();
    for n in 0..g.n {
        let dyn_ = view(&dy[n * p * oc..(n + 1) * p * oc], p, oc)?;
        general_mat_mul(
            T::one(),
            &dyn_,
            &ft,
            T::zero(),
            &mut view_mut(&mut col, p, k)?,
        );
        col2im(g, &col, n, &mut dx);
    }
    Ok(dx)
}

fn conv2d_bwd_filter<T: ConvElem>(g: &Geom, x: &[T], dy: &[T], oc: usize) -> Result<Vec<T>> {
    let k = g.kh * g.kw * g.ic;
    let p = g.oh * g.ow;
    let mut df = zeros::<T>(&[k, oc])?;
    if k == 0 || p == 0 || oc == 0 {
        return Ok(df);
    }
    let mut col = zeros::<T>(&[p, k])?;
    for n in 0..g.n {
        im2col(g, x, n, &mut col);
        let ct = view(&col, p, k)?.reversed_axes();
        let dyn_ = view(&dy[n * p * oc..(n + 1) * p * oc], p, oc)?;
        general_mat_mul(
            T::one(),
            &ct,
            &dyn_,
            T::one(),
            &mut view_mut(&mut df, k, oc)?,
        );
    }
    Ok(df)
}

/// Calls `f(input index, filter index, output index)` for every product term of a
/// depthwise convolution with channel multiplier `m`; channels run innermost.
fn depthwise_loop(g: &Geom, m: usize, mut f: impl FnMut(usize, usize, usize)) {
    let oc = g.ic * m;
    for n in 0..g.n {
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let obase = ((n * g.oh + oy) * g.ow + ox) * oc;
                for ky in 0..g.kh {
                    let Some(iy) = g.row(oy, ky) else { continue };
                    for kx in 0..g.kw {
                        let Some(ix) = g.col(ox, kx) else { continue };
                        let xbase = ((n * g.ih + iy) * g.iw + ix) * g.ic;
                        let fbase = (ky * g.kw + kx) * oc;
                        for c in 0..g.ic {
                            for j in 0..m {
                                f(xbase + c, fbase + c * m + j, obase + c * m + j);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// For each output element of a max pool, the flat input index of its maximum: the first
/// in window scan order on ties, as TF's CPU kernels pick; `None` for an all-padding window.
fn argmax<T: ConvElem>(g: &Geom, x: &[T]) -> Vec<Option<usize>> {
    let c = g.ic;
    let mut best: Vec<Option<usize>> = vec![None; g.n * g.oh * g.ow * c];
    for n in 0..g.n {
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let obase = ((n * g.oh + oy) * g.ow + ox) * c;
                let out = &mut best[obase..obase + c];
                for ky in 0..g.kh {
                    let Some(iy) = g.row(oy, ky) else { continue };
                    for kx in 0..g.kw {
                        let Some(ix) = g.col(ox, kx) else { continue };
                        let xbase = ((n * g.ih + iy) * g.iw + ix) * c;
                        for (ch, b) in out.iter_mut().enumerate() {
                            let i = xbase + ch;
                            // A NaN wins and then stays: the maximum of a window holding a NaN is NaN.
                            let better = match *b {
                                None => true,
                                Some(j) => x[i] > x[j] || (x[i].is_nan() && !x[j].is_nan()),
                            };
                            if better {
                                *b = Some(i);
                            }
                        }
                    }
                }
            }
        }
    }
    best
}

/// Calls `f(input index, output index, 1/count)` for every element of every average-pool
/// window, where count is the number of in-image elements (TF excludes padding).
fn avg_windows(g: &Geom, mut f: impl FnMut(usize, usize, f64)) {
    let c = g.ic;
    for n in 0..g.n {
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let rows: Vec<usize> = (0..g.kh).filter_map(|k| g.row(oy, k)).collect();
                let cols: Vec<usize> = (0..g.kw).filter_map(|k| g.col(ox, k)).collect();
                let count = rows.len() * cols.len();
                if count == 0 {
                    continue;
                }
                let scale = 1.0 / count as f64;
                let obase = ((n * g.oh + oy) * g.ow + ox) * c;
                for &iy in &rows {
                    for &ix in &cols {
                        let xbase = ((n * g.ih + iy) * g.iw + ix) * c;
                        for ch in 0..c {
                            f(xbase + ch, obase + ch, scale);
                        }
                    }
                }
            }
        }
    }
}

// ----- gradients -----

type GradOut = Result<Vec<Option<Grad>>>;

fn conv_of(ctx: &GradCtx<'_>) -> Result<ConvAttrs> {
    match &ctx.kind {
        OpKind::Conv(op) => op
            .conv()
            .cloned()
            .ok_or_else(|| Error::internal("conv gradient called for a pooling op")),
        _ => Err(Error::internal("conv gradient called for another op")),
    }
}

fn pool_of(ctx: &GradCtx<'_>) -> Result<PoolAttrs> {
    match &ctx.kind {
        OpKind::Conv(op) => op
            .pool()
            .cloned()
            .ok_or_else(|| Error::internal("pool gradient called for a conv op")),
        _ => Err(Error::internal("pool gradient called for another op")),
    }
}

fn shape(ctx: &GradCtx<'_>, t: Tensor) -> Result<Tensor> {
    array::shape_of(ctx.graph, t, DType::I32, None)
}

fn dense(t: Tensor) -> Option<Grad> {
    Some(Grad::Dense(t))
}

/// TF's `_Conv2DGrad`: both backprop ops, fed one `ShapeN` of input and filter.
fn conv2d_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let a = conv_of(ctx)?;
    let g = ctx.graph;
    let dy = ctx.grad(grads, 0)?;
    let (x, f) = (ctx.input(0)?, ctx.input(1)?);
    let shapes = array::shape_n(g, &[x, f], DType::I32)?;
    let dx = conv2d_backprop_input(g, shapes[0], f, dy, &a)?;
    let df = conv2d_backprop_filter(g, x, shapes[1], dy, &a)?;
    Ok(vec![dense(dx), dense(df)])
}

/// TF's `_Conv2DBackpropInputGrad`: the op is linear in filter and out_backprop.
fn conv2d_backprop_input_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let a = conv_of(ctx)?;
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let (f, dy) = (ctx.input(1)?, ctx.input(2)?);
    let f_shape = shape(ctx, f)?;
    let df = conv2d_backprop_filter(g, grad, f_shape, dy, &a)?;
    let ddy = conv2d(g, grad, f, &a)?;
    Ok(vec![None, dense(df), dense(ddy)])
}

/// TF's `_Conv2DBackpropFilterGrad`.
fn conv2d_backprop_filter_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let a = conv_of(ctx)?;
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let (x, dy) = (ctx.input(0)?, ctx.input(2)?);
    let x_shape = shape(ctx, x)?;
    let dx = conv2d_backprop_input(g, x_shape, grad, dy, &a)?;
    let ddy = conv2d(g, x, grad, &a)?;
    Ok(vec![dense(dx), None, dense(ddy)])
}

/// TF's `_DepthwiseConv2dNativeGrad`.
fn depthwise_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let a = conv_of(ctx)?;
    let g = ctx.graph;
    let dy = ctx.grad(grads, 0)?;
    let (x, f) = (ctx.input(0)?, ctx.input(1)?);
    let x_shape = shape(ctx, x)?;
    let dx = add(
        g,
        ConvOp::DepthwiseBackpropInput(a.clone()),
        &[x_shape, f, dy],
    )?;
    let f_shape = shape(ctx, f)?;
    let df = add(g, ConvOp::DepthwiseBackpropFilter(a), &[x, f_shape, dy])?;
    Ok(vec![dense(dx), dense(df)])
}

/// TF's `_DepthwiseConv2dNativeBackpropInputGrad`.
fn depthwise_backprop_input_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let a = conv_of(ctx)?;
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let (f, dy) = (ctx.input(1)?, ctx.input(2)?);
    let f_shape = shape(ctx, f)?;
    let df = add(
        g,
        ConvOp::DepthwiseBackpropFilter(a.clone()),
        &[grad, f_shape, dy],
    )?;
    let ddy = depthwise_conv2d_native(g, grad, f, &a)?;
    Ok(vec![None, dense(df), dense(ddy)])
}

/// TF's `_DepthwiseConv2dNativeBackpropFilterGrad`.
fn depthwise_backprop_filter_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let a = conv_of(ctx)?;
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let (x, dy) = (ctx.input(0)?, ctx.input(2)?);
    let x_shape = shape(ctx, x)?;
    let dx = add(
        g,
        ConvOp::DepthwiseBackpropInput(a.clone()),
        &[x_shape, grad, dy],
    )?;
    let ddy = depthwise_conv2d_native(g, x, grad, &a)?;
    Ok(vec![dense(dx), None, dense(ddy)])
}

/// TF's `_MaxPoolGrad`.
fn max_pool_grad_fn(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let a = pool_of(ctx)?;
    let grad = ctx.grad(grads, 0)?;
    let x = ctx.input(0)?;
    let dx = add(ctx.graph, ConvOp::MaxPoolGrad(a), &[x, ctx.output(0), grad])?;
    Ok(vec![dense(dx)])
}

/// TF's `_MaxPoolGradGrad` (the gradient of MaxPoolGrad): zeros for the original input and
/// output, `MaxPoolGradGrad` for the incoming gradient.
fn max_pool_grad_grad_fn(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let a = pool_of(ctx)?;
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let (x, y) = (ctx.input(0)?, ctx.input(1)?);
    let zx = array::zeros_like(g, x)?;
    let zy = array::zeros_like(g, y)?;
    let padding = match a.padding {
        // MaxPoolGradGrad has no EXPLICIT padding in TF either.
        Padding::Explicit(_) => {
            return Err(Error::invalid(
                "MaxPoolGradGrad does not support EXPLICIT padding (as in TF)",
            ))
        }
        p => p,
    };
    let dd = add(
        g,
        ConvOp::MaxPoolGradGrad(PoolAttrs { padding, ..a }),
        &[x, y, grad],
    )?;
    Ok(vec![dense(zx), dense(zy), dense(dd)])
}

/// TF's `_MaxPoolGradGradGrad`: zeros, zeros, `MaxPoolGrad`.
fn max_pool_grad_grad_grad_fn(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let a = pool_of(ctx)?;
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let (x, y) = (ctx.input(0)?, ctx.input(1)?);
    let zx = array::zeros_like(g, x)?;
    let zy = array::zeros_like(g, y)?;
    let dd = add(g, ConvOp::MaxPoolGrad(a), &[x, y, grad])?;
    Ok(vec![dense(zx), dense(zy), dense(dd)])
}

/// TF's `_AvgPoolGrad`.
fn avg_pool_grad_fn(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let a = pool_of(ctx)?;
    let grad = ctx.grad(grads, 0)?;
    let x_shape = shape(ctx, ctx.input(0)?)?;
    let dx = add(ctx.graph, ConvOp::AvgPoolGrad(a), &[x_shape, grad])?;
    Ok(vec![dense(dx)])
}

/// TF's `_AvgPoolGradGrad`: `stop_gradient` of the shape input, `AvgPool` of the gradient.
fn avg_pool_grad_grad_fn(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let a = pool_of(ctx)?;
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let s = array::stop_gradient(g, ctx.input(0)?)?;
    let dd = avg_pool(g, grad, &a)?;
    Ok(vec![dense(s), dense(dd)])
}
