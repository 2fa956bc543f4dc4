//! Convolutions and pooling (NHWC and NDHWC), with their backprop ops and those ops' own
//! gradients.
//!
//! Per op, side by side: builder, shape rule, kernel, gradient. A 2-D and a 3-D op of one
//! kind (`Conv2D`/`Conv3D`, `MaxPool`/`MaxPool3D`, ...) are one variant: the number of
//! spatial axes is that of the window attributes (`strides` of 4 or 5 values), and it picks
//! the TF type name. The kernels see every op as 3-D (a 2-D op has depth 1), so 2-D and 3-D
//! share them: convolutions run im2col + `general_mat_mul` one image at a time (the patch
//! matrix of a whole batch would be large); depthwise convolution and pooling are window
//! loops whose innermost loop runs over contiguous channels. Only channels-last is native:
//! the Python layer transposes NCHW / NCDHW.

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
use smallvec::{smallvec, SmallVec};
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

/// Attributes shared by the convolution ops (2-D, 3-D and depthwise, forward and backprop).
/// `strides` and `dilations` have one value per axis: 4 for a 2-D op, 5 for a 3-D one.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvAttrs {
    pub strides: Vec<i64>,
    pub dilations: Vec<i64>,
    pub padding: Padding,
    pub use_cudnn_on_gpu: bool,
}

/// Attributes shared by the pooling ops; 4 values per list for 2-D, 5 for 3-D.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolAttrs {
    pub ksize: Vec<i64>,
    pub strides: Vec<i64>,
    pub padding: Padding,
}

/// An op of the convolution family. The conv and pool variants are 2-D or 3-D by their
/// attributes (see the module note).
#[derive(Debug, Clone, PartialEq)]
pub enum ConvOp {
    Conv(ConvAttrs),
    ConvBackpropInput(ConvAttrs),
    ConvBackpropFilter(ConvAttrs),
    Depthwise(ConvAttrs),
    DepthwiseBackpropInput(ConvAttrs),
    DepthwiseBackpropFilter(ConvAttrs),
    MaxPool(PoolAttrs),
    MaxPoolGrad(PoolAttrs),
    MaxPoolGradGrad(PoolAttrs),
    AvgPool(PoolAttrs),
    AvgPoolGrad(PoolAttrs),
}

/// TF's type names by variant index: the 2-D ops, then the 3-D ones (None: no 3-D op).
const TYPE_NAMES: [(&str, Option<&str>); 11] = [
    ("Conv2D", Some("Conv3D")),
    ("Conv2DBackpropInput", Some("Conv3DBackpropInputV2")),
    ("Conv2DBackpropFilter", Some("Conv3DBackpropFilterV2")),
    ("DepthwiseConv2dNative", None),
    ("DepthwiseConv2dNativeBackpropInput", None),
    ("DepthwiseConv2dNativeBackpropFilter", None),
    ("MaxPool", Some("MaxPool3D")),
    ("MaxPoolGrad", Some("MaxPool3DGrad")),
    ("MaxPoolGradGrad", Some("MaxPool3DGradGrad")),
    ("AvgPool", Some("AvgPool3D")),
    ("AvgPoolGrad", Some("AvgPool3DGrad")),
];

/// Which padding strings an op's def allows (TF: AvgPool, MaxPoolGradGrad and the 3-D ops
/// have no EXPLICIT).
fn allows_explicit(op_type: &str) -> bool {
    !matches!(
        op_type,
        "AvgPool"
            | "AvgPoolGrad"
            | "MaxPoolGradGrad"
            | "MaxPoolWithArgmax"
            | "MaxPoolGradWithArgmax"
            | "ExtractImagePatches"
    ) && !op_type.contains("3D")
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
    window_ints(op_type, attrs, name, default, 4)
}

/// A window attribute of `len` positive values (4 for 2-D ops, 5 for 3-D ones).
fn window_ints(
    op_type: &str,
    attrs: &Attrs,
    name: &str,
    default: Option<Vec<i64>>,
    len: usize,
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
    if len == 5 && v.len() < len {
        // The 3-D op defs declare these lists with a minimum length.
        return Err(Error::invalid(format!(
            "Attr '{name}' of '{op_type}' Op passed list of length {} less than minimum {len}.",
            v.len()
        )));
    }
    if v.len() != len {
        return Err(Error::invalid(format!(
            "{op_type} requires the {name} attribute to contain {len} values, but got: {}",
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

/// The channels-last data format of an op with `spatial` window axes.
fn native_format(spatial: usize) -> &'static str {
    if spatial == 3 {
        "NDHWC"
    } else {
        "NHWC"
    }
}

fn check_format(op_type: &str, attrs: &Attrs, spatial: usize) -> Result<()> {
    let native = native_format(spatial);
    let f = attrs.str_or("data_format", native)?;
    if f != native {
        return Err(Error::invalid(format!(
            "symgrad's {op_type} kernel supports data_format {native} only (got {f}); the \
             Python functions accept channels-first data by transposing"
        )));
    }
    Ok(())
}

fn conv_attrs(op_type: &str, attrs: &Attrs, spatial: usize) -> Result<ConvAttrs> {
    check_format(op_type, attrs, spatial)?;
    let len = spatial + 2;
    Ok(ConvAttrs {
        strides: window_ints(op_type, attrs, "strides", None, len)?,
        dilations: window_ints(op_type, attrs, "dilations", Some(vec![1; len]), len)?,
        padding: parse_padding(op_type, attrs)?,
        use_cudnn_on_gpu: attrs.bool_or("use_cudnn_on_gpu", true)?,
    })
}

fn pool_attrs(op_type: &str, attrs: &Attrs, spatial: usize) -> Result<PoolAttrs> {
    check_format(op_type, attrs, spatial)?;
    let len = spatial + 2;
    Ok(PoolAttrs {
        ksize: window_ints(op_type, attrs, "ksize", None, len)?,
        strides: window_ints(op_type, attrs, "strides", None, len)?,
        padding: parse_padding(op_type, attrs)?,
    })
}

/// An op's window over the spatial axes, lifted to three axes (depth, height, width): a
/// 2-D op has depth 1.
struct Window<'a> {
    spatial: usize,
    strides: [usize; 3],
    dilations: [usize; 3],
    padding: &'a Padding,
    ksize: Option<[usize; 3]>,
}

/// The spatial values of a window attribute (`[1, s..., 1]`) on the three lifted axes.
fn lift_attr(v: &[i64]) -> [usize; 3] {
    let spatial: Vec<usize> = v
        .get(1..v.len().saturating_sub(1))
        .unwrap_or(&[])
        .iter()
        .map(|&x| x.max(1) as usize)
        .collect();
    lift(&spatial)
}

/// Spatial sizes (two or three) on the three lifted axes.
fn lift(spatial: &[usize]) -> [usize; 3] {
    let mut out = [1; 3];
    let start = 3usize.saturating_sub(spatial.len());
    for (o, &s) in out.iter_mut().skip(start).zip(spatial) {
        *o = s;
    }
    out
}

impl ConvOp {
    fn index(&self) -> usize {
        match self {
            ConvOp::Conv(_) => 0,
            ConvOp::ConvBackpropInput(_) => 1,
            ConvOp::ConvBackpropFilter(_) => 2,
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
            ConvOp::Conv(a)
            | ConvOp::ConvBackpropInput(a)
            | ConvOp::ConvBackpropFilter(a)
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
    fn is_plain_conv(&self) -> bool {
        matches!(
            self,
            ConvOp::Conv(_) | ConvOp::ConvBackpropInput(_) | ConvOp::ConvBackpropFilter(_)
        )
    }
    /// 2 or 3: the op's spatial axes, from the length of its strides.
    fn spatial(&self) -> usize {
        let strides = match (self.conv(), self.pool()) {
            (Some(a), _) => &a.strides,
            (_, Some(p)) => &p.strides,
            _ => return 2,
        };
        if strides.len() == 5 {
            3
        } else {
            2
        }
    }
    /// The rank of the op's image tensors.
    fn rank(&self) -> usize {
        self.spatial() + 2
    }
    fn window(&self) -> Window<'_> {
        let spatial = self.spatial();
        if let Some(a) = self.conv() {
            Window {
                spatial,
                strides: lift_attr(&a.strides),
                dilations: lift_attr(&a.dilations),
                padding: &a.padding,
                ksize: None,
            }
        } else if let Some(p) = self.pool() {
            Window {
                spatial,
                strides: lift_attr(&p.strides),
                dilations: [1; 3],
                padding: &p.padding,
                ksize: Some(lift_attr(&p.ksize)),
            }
        } else {
            Window {
                spatial,
                strides: [1; 3],
                dilations: [1; 3],
                padding: &Padding::Valid,
                ksize: None,
            }
        }
    }
}

impl Family for ConvOp {
    fn type_name(&self) -> &'static str {
        let (two, three) = TYPE_NAMES[self.index()];
        match three {
            Some(name) if self.spatial() == 3 => name,
            _ => two,
        }
    }

    fn from_def(op_type: &str, attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        let conv =
            |f: fn(ConvAttrs) -> ConvOp, spatial| Some(conv_attrs(op_type, attrs, spatial).map(f));
        let pool =
            |f: fn(PoolAttrs) -> ConvOp, spatial| Some(pool_attrs(op_type, attrs, spatial).map(f));
        match op_type {
            "Conv2D" => conv(ConvOp::Conv, 2),
            "Conv2DBackpropInput" => conv(ConvOp::ConvBackpropInput, 2),
            "Conv2DBackpropFilter" => conv(ConvOp::ConvBackpropFilter, 2),
            "Conv3D" => conv(ConvOp::Conv, 3),
            "Conv3DBackpropInputV2" => conv(ConvOp::ConvBackpropInput, 3),
            "Conv3DBackpropFilterV2" => conv(ConvOp::ConvBackpropFilter, 3),
            "DepthwiseConv2dNative" => conv(ConvOp::Depthwise, 2),
            "DepthwiseConv2dNativeBackpropInput" => conv(ConvOp::DepthwiseBackpropInput, 2),
            "DepthwiseConv2dNativeBackpropFilter" => conv(ConvOp::DepthwiseBackpropFilter, 2),
            "MaxPool" => pool(ConvOp::MaxPool, 2),
            "MaxPoolGrad" => pool(ConvOp::MaxPoolGrad, 2),
            "MaxPoolGradGrad" => pool(ConvOp::MaxPoolGradGrad, 2),
            "AvgPool" => pool(ConvOp::AvgPool, 2),
            "AvgPoolGrad" => pool(ConvOp::AvgPoolGrad, 2),
            "MaxPool3D" => pool(ConvOp::MaxPool, 3),
            "MaxPool3DGrad" => pool(ConvOp::MaxPoolGrad, 3),
            "MaxPool3DGradGrad" => pool(ConvOp::MaxPoolGradGrad, 3),
            "AvgPool3D" => pool(ConvOp::AvgPool, 3),
            "AvgPool3DGrad" => pool(ConvOp::AvgPoolGrad, 3),
            _ => None,
        }
    }

    fn attrs(&self, _node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        let mut out: Vec<(&'static str, AttrValue)> = Vec::new();
        // T is the float input: the data input, or input 1 for ops whose input 0 is a shape
        // (and MaxPool3DGrad's incoming gradient, input 2).
        let three = self.spatial() == 3;
        let t_index = match self {
            ConvOp::ConvBackpropInput(_)
            | ConvOp::DepthwiseBackpropInput(_)
            | ConvOp::AvgPoolGrad(_) => 1,
            ConvOp::MaxPoolGrad(_) if three => 2,
            _ => 0,
        };
        let t = input_types.get(t_index).map(|t| ("T", AttrValue::Type(*t)));
        let format = (
            "data_format",
            AttrValue::Str(native_format(self.spatial()).into()),
        );
        if let Some(a) = self.conv() {
            out.extend(t);
            out.push(("strides", AttrValue::Ints(a.strides.clone())));
            if self.is_plain_conv() && !three {
                out.push(("use_cudnn_on_gpu", AttrValue::Bool(a.use_cudnn_on_gpu)));
            }
            out.push(("padding", AttrValue::Str(a.padding.name().into())));
            if !three {
                out.push(("explicit_paddings", AttrValue::Ints(a.padding.explicit())));
            }
            out.push(format);
            out.push(("dilations", AttrValue::Ints(a.dilations.clone())));
            if three && matches!(self, ConvOp::ConvBackpropInput(_)) {
                if let Some(s) = input_types.first() {
                    out.push(("Tshape", AttrValue::Type(*s)));
                }
            }
        } else if let Some(p) = self.pool() {
            if !three {
                out.extend(t.clone());
            }
            out.push(("ksize", AttrValue::Ints(p.ksize.clone())));
            out.push(("strides", AttrValue::Ints(p.strides.clone())));
            out.push(("padding", AttrValue::Str(p.padding.name().into())));
            if allows_explicit(self.type_name()) {
                out.push(("explicit_paddings", AttrValue::Ints(p.padding.explicit())));
            }
            out.push(format);
            if three {
                out.extend(t);
                if matches!(self, ConvOp::MaxPoolGrad(_)) {
                    if let Some(s) = input_types.first() {
                        out.push(("TInput", AttrValue::Type(*s)));
                    }
                }
            }
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
        for three in [false, true] {
            let name = |two: &'static str, three_name: &'static str| {
                if three {
                    three_name
                } else {
                    two
                }
            };
            r.builtin(name("Conv2D", "Conv3D"), conv_grad);
            r.builtin(
                name("Conv2DBackpropInput", "Conv3DBackpropInputV2"),
                conv_backprop_input_grad,
            );
            r.builtin(
                name("Conv2DBackpropFilter", "Conv3DBackpropFilterV2"),
                conv_backprop_filter_grad,
            );
            r.builtin(name("MaxPool", "MaxPool3D"), max_pool_grad_fn);
            r.builtin(name("MaxPoolGrad", "MaxPool3DGrad"), max_pool_grad_grad_fn);
            r.builtin(
                name("MaxPoolGradGrad", "MaxPool3DGradGrad"),
                max_pool_grad_grad_grad_fn,
            );
            r.builtin(name("AvgPool", "AvgPool3D"), avg_pool_grad_fn);
            r.builtin(name("AvgPoolGrad", "AvgPool3DGrad"), avg_pool_grad_grad_fn);
        }
        r.builtin("DepthwiseConv2dNative", depthwise_grad);
        r.builtin(
            "DepthwiseConv2dNativeBackpropInput",
            depthwise_backprop_input_grad,
        );
        r.builtin(
            "DepthwiseConv2dNativeBackpropFilter",
            depthwise_backprop_filter_grad,
        );
    }
}

// ----- builders -----

fn add(g: &Graph, op: ConvOp, inputs: &[Tensor]) -> Result<Tensor> {
    let name = op.type_name();
    g.add1(OpKind::Conv(Box::new(op)), inputs, Some(name))
}

/// `Conv2D` or `Conv3D`, by the attributes.
pub fn conv(g: &Graph, x: Tensor, filter: Tensor, a: &ConvAttrs) -> Result<Tensor> {
    add(g, ConvOp::Conv(a.clone()), &[x, filter])
}
pub fn conv_backprop_input(
    g: &Graph,
    input_sizes: Tensor,
    filter: Tensor,
    out_backprop: Tensor,
    a: &ConvAttrs,
) -> Result<Tensor> {
    add(
        g,
        ConvOp::ConvBackpropInput(a.clone()),
        &[input_sizes, filter, out_backprop],
    )
}
pub fn conv_backprop_filter(
    g: &Graph,
    x: Tensor,
    filter_sizes: Tensor,
    out_backprop: Tensor,
    a: &ConvAttrs,
) -> Result<Tensor> {
    add(
        g,
        ConvOp::ConvBackpropFilter(a.clone()),
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

/// The input's dims when its rank is `rank` (all unknown when its rank is unknown).
pub(super) fn ranked(ctx: &InferCtx<'_>, i: usize, rank: usize) -> Result<Vec<Dim>> {
    let s = ctx.shape(i)?;
    match s.dims() {
        None => Ok(vec![None; rank]),
        Some(d) if d.len() == rank => Ok(d.to_vec()),
        Some(d) => Err(ctx.err(format!(
            "Shape must be rank {rank} but is rank {} with input shapes: {}",
            d.len(),
            (0..ctx.num_inputs())
                .map(|j| ctx.shape(j).map(|s| s.bracketed()).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Checks that input `i` is float32/float64 (or float32 only for `MaxPool3D` and
/// `MaxPool3DGrad`, as TF's op defs; TF also takes half types).
fn float_dtype(ctx: &InferCtx<'_>, op: &ConvOp, i: usize, arg: &str) -> Result<DType> {
    let t = ctx.dtype(i)?;
    let f32_only = op.spatial() == 3 && matches!(op, ConvOp::MaxPool(_) | ConvOp::MaxPoolGrad(_));
    if f32_only && !matches!(t, DType::F16 | DType::F32) {
        return Err(Error::type_error(format!(
            "Value passed to parameter '{arg}' has DataType {t} not in list of allowed values: \
             float16, bfloat16, float32"
        )));
    }
    if !matches!(t, DType::F16 | DType::F32 | DType::F64) {
        return Err(Error::type_error(format!(
            "Value passed to parameter '{arg}' has DataType {t} not in list of allowed values: \
             float16, float32, float64 (symgrad's {} kernels)",
            op.type_name()
        )));
    }
    Ok(t)
}

fn sizes_input(ctx: &InferCtx<'_>, i: usize, len: usize) -> Result<Option<Vec<i64>>> {
    let t = ctx.dtype(i)?;
    if !matches!(t, DType::I32 | DType::I64) {
        return Err(Error::type_error(format!(
            "Value passed to parameter {i} of a size input has DataType {t} not in list of \
             allowed values: int32, int64 for '{}'",
            ctx.name
        )));
    }
    if let Some(d) = ctx.shape(i)?.dims() {
        if d.len() != 1 || d[0].is_some_and(|n| n != len) {
            return Err(ctx.err(format!(
                "input sizes must be a {len}-element vector, got shape {}",
                ctx.shape(i)?.bracketed()
            )));
        }
    }
    Ok(ctx.const_ints(i).filter(|v| v.len() == len))
}

fn from_ints(v: &[i64]) -> Vec<Dim> {
    v.iter().map(|&x| usize::try_from(x).ok()).collect()
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

/// Static output dims of the window over the input's spatial dims `input` given the
/// window's spatial sizes `k` (each list has the op's number of spatial axes).
fn out_spatial(ctx: &InferCtx<'_>, op: &ConvOp, input: &[Dim], k: &[Dim]) -> Result<Vec<Dim>> {
    let w = op.window();
    let first = 3 - w.spatial;
    let mut out = Vec::with_capacity(input.len());
    for (i, (&size, &k)) in input.iter().zip(k).enumerate() {
        let axis = first + i;
        let (s, d) = (w.strides[axis], w.dilations[axis]);
        out.push(match (size, k, w.padding) {
            (Some(size), Some(k), padding) => Some(
                windowed(size, k, s, d, padding, i + 1)
                    .map_err(|m| ctx.err(m))?
                    .0,
            ),
            (Some(size), None, Padding::Same) => Some(size.div_ceil(s)),
            _ => None,
        });
    }
    Ok(out)
}

/// `[batch, spatial..., channels]` of a static shape.
fn parts(d: &[Dim]) -> (Dim, &[Dim], Dim) {
    let last = d.len().saturating_sub(1);
    (
        d.first().copied().flatten(),
        d.get(1..last).unwrap_or(&[]),
        d.get(last).copied().flatten(),
    )
}

fn join(batch: Dim, spatial: &[Dim], channels: Dim) -> Shape {
    let mut dims = vec![batch];
    dims.extend_from_slice(spatial);
    dims.push(channels);
    Shape::from_dims(&dims)
}

fn infer(op: &ConvOp, ctx: &InferCtx<'_>) -> Result<Metas> {
    let rank = op.rank();
    let spatial = op.spatial();
    match op {
        ConvOp::Conv(_) | ConvOp::Depthwise(_) => {
            ctx.expect_inputs(2)?;
            let t = float_dtype(ctx, op, 0, "input")?;
            ctx.same_dtype(op.type_name(), 0, 1, ("input", "filter"))?;
            let x = ranked(ctx, 0, rank)?;
            let f = ranked(ctx, 1, rank)?;
            let (batch, x_spatial, c) = parts(&x);
            let (f_in, f_out) = (f[spatial], f[spatial + 1]);
            let depthwise = matches!(op, ConvOp::Depthwise(_));
            if depthwise {
                check_depthwise_strides(op).map_err(|m| ctx.err(m))?;
            }
            let oc = if depthwise {
                must_equal(ctx, c, f_in)?;
                match (c.or(f_in), f_out) {
                    (Some(c), Some(m)) => c.checked_mul(m),
                    _ => None,
                }
            } else {
                if let (Some(c), Some(fc)) = (c, f_in) {
                    if fc == 0 || c % fc != 0 {
                        return Err(ctx.err(format!(
                            "Depth of input ({c}) is not a multiple of input depth of filter ({fc})"
                        )));
                    }
                    if let Some(o) = f_out {
                        let groups = c / fc;
                        if o % groups != 0 {
                            return Err(ctx.err(format!(
                                "Depth of output ({o}) is not a multiple of the number of groups ({groups})"
                            )));
                        }
                    }
                }
                f_out
            };
            let out = out_spatial(ctx, op, x_spatial, &f[..spatial])?;
            one(t, join(batch, &out, oc))
        }
        ConvOp::ConvBackpropInput(_) | ConvOp::DepthwiseBackpropInput(_) => {
            ctx.expect_inputs(3)?;
            let t = float_dtype(ctx, op, 1, "filter")?;
            ctx.same_dtype(op.type_name(), 1, 2, ("filter", "out_backprop"))?;
            let sizes = sizes_input(ctx, 0, rank)?;
            let f = ranked(ctx, 1, rank)?;
            let dy = ranked(ctx, 2, rank)?;
            if matches!(op, ConvOp::ConvBackpropInput(_)) {
                must_equal(ctx, dy[rank - 1], f[spatial + 1])?;
            }
            let out = match sizes {
                Some(v) => Shape::from_dims(&from_ints(&v)),
                None => join(dy[0], &vec![None; spatial], f[spatial]),
            };
            one(t, out)
        }
        ConvOp::ConvBackpropFilter(_) | ConvOp::DepthwiseBackpropFilter(_) => {
            ctx.expect_inputs(3)?;
            let t = float_dtype(ctx, op, 0, "input")?;
            ctx.same_dtype(op.type_name(), 0, 2, ("input", "out_backprop"))?;
            let sizes = sizes_input(ctx, 1, rank)?;
            let x = ranked(ctx, 0, rank)?;
            let dy = ranked(ctx, 2, rank)?;
            must_equal(ctx, x[0], dy[0])?;
            let out = match sizes {
                Some(v) => from_ints(&v),
                None => {
                    let mut d = vec![None; spatial];
                    d.push(x[rank - 1]);
                    d.push(if matches!(op, ConvOp::ConvBackpropFilter(_)) {
                        dy[rank - 1]
                    } else {
                        None
                    });
                    d
                }
            };
            one(t, Shape::from_dims(&out))
        }
        ConvOp::MaxPool(_) | ConvOp::AvgPool(_) => {
            ctx.expect_inputs(1)?;
            let arg = if spatial == 3 { "input" } else { "value" };
            let t = float_dtype(ctx, op, 0, arg)?;
            let x = ranked(ctx, 0, rank)?;
            one(t, Shape::from_dims(&pool_out(ctx, op, &x)?))
        }
        ConvOp::MaxPoolGrad(_) => {
            ctx.expect_inputs(3)?;
            let name = op.type_name();
            let t = float_dtype(ctx, op, 0, "orig_input")?;
            ctx.same_dtype(name, 0, 1, ("orig_input", "orig_output"))?;
            ctx.same_dtype(name, 0, 2, ("orig_input", "grad"))?;
            let x = ranked(ctx, 0, rank)?;
            ranked(ctx, 1, rank)?;
            ranked(ctx, 2, rank)?;
            one(t, Shape::from_dims(&x))
        }
        ConvOp::MaxPoolGradGrad(_) => {
            ctx.expect_inputs(3)?;
            let name = op.type_name();
            let t = float_dtype(ctx, op, 0, "orig_input")?;
            ctx.same_dtype(name, 0, 1, ("orig_input", "orig_output"))?;
            ctx.same_dtype(name, 0, 2, ("orig_input", "grad"))?;
            let x = ranked(ctx, 0, rank)?;
            let y = ranked(ctx, 1, rank)?;
            ranked(ctx, 2, rank)?;
            let from_x = pool_out(ctx, op, &x)?;
            let out = y
                .iter()
                .zip(&from_x)
                .map(|(&a, &b)| must_equal(ctx, a, b))
                .collect::<Result<Vec<Dim>>>()?;
            one(t, Shape::from_dims(&out))
        }
        ConvOp::AvgPoolGrad(_) => {
            ctx.expect_inputs(2)?;
            let t = float_dtype(ctx, op, 1, "grad")?;
            let sizes = sizes_input(ctx, 0, rank)?;
            let dy = ranked(ctx, 1, rank)?;
            let out = match sizes {
                Some(v) => Shape::from_dims(&from_ints(&v)),
                None => join(dy[0], &vec![None; spatial], dy[rank - 1]),
            };
            one(t, out)
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

fn pool_out(ctx: &InferCtx<'_>, op: &ConvOp, x: &[Dim]) -> Result<Vec<Dim>> {
    let w = op.window();
    let k: Vec<Dim> = w.ksize.unwrap_or([1; 3])[3 - w.spatial..]
        .iter()
        .map(|&k| Some(k))
        .collect();
    let (batch, spatial, c) = parts(x);
    let mut out = vec![batch];
    out.extend(out_spatial(ctx, op, spatial, &k)?);
    out.push(c);
    Ok(out)
}

// ----- kernels -----

/// Float element types of the kernels.
trait ConvElem: Elem + num_traits::Float + ndarray::LinalgScalar + Default {}
impl ConvElem for f32 {}
impl ConvElem for f64 {}

/// Where the window of one op sits over one input: sizes, strides, dilations and leading
/// padding per spatial axis, lifted to (depth, height, width) — a 2-D op has depth 1.
/// Pixels (one channel vector each) are numbered row-major within an image.
#[derive(Debug, Clone, Copy)]
struct Geom {
    spatial: usize,
    n: usize,
    input: [usize; 3],
    ic: usize,
    k: [usize; 3],
    out: [usize; 3],
    stride: [usize; 3],
    dilation: [usize; 3],
    pad: [usize; 3],
}

impl Geom {
    /// `x`: the input's dims (`[n, spatial..., c]`); `k`: the window's spatial sizes.
    fn new(op: &ConvOp, x: &[usize], k: &[usize]) -> Result<Geom> {
        let w = op.window();
        let (n, c) = (
            x.first().copied().unwrap_or(0),
            x.last().copied().unwrap_or(0),
        );
        let input = lift(x.get(1..x.len().saturating_sub(1)).unwrap_or(&[]));
        let k = lift(k);
        let (mut out, mut pad) = ([1; 3], [0; 3]);
        let first = 3 - w.spatial;
        for axis in first..3 {
            let (o, p) = windowed(
                input[axis],
                k[axis],
                w.strides[axis],
                w.dilations[axis],
                w.padding,
                axis - first + 1,
            )
            .map_err(Error::op_invalid)?;
            out[axis] = o;
            pad[axis] = p;
        }
        // Every index the loops form is below one of these products; checking them once
        // keeps the index arithmetic free of overflow.
        let out_all = [n, out[0], out[1], out[2], c];
        let k_all = [k[0], k[1], k[2], c];
        for dims in [x, &out_all[..], &k_all[..]] {
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
            spatial: w.spatial,
            n,
            input,
            ic: c,
            k,
            out,
            stride: w.strides,
            dilation: w.dilations,
            pad,
        })
    }
    /// The input index on `axis` for output index `o` and window offset `k`, if inside
    /// the image.
    fn at(&self, axis: usize, o: usize, k: usize) -> Option<usize> {
        (o * self.stride[axis] + k * self.dilation[axis])
            .checked_sub(self.pad[axis])
            .filter(|&i| i < self.input[axis])
    }
    fn in_pixels(&self) -> usize {
        self.input.iter().product()
    }
    fn out_pixels(&self) -> usize {
        self.out.iter().product()
    }
    fn taps(&self) -> usize {
        self.k.iter().product()
    }
    /// `[n, out spatial..., c]` with the op's own number of spatial axes.
    fn out_dims(&self, c: usize) -> Vec<usize> {
        let mut d = vec![self.n];
        d.extend_from_slice(&self.out[3 - self.spatial..]);
        d.push(c);
        d
    }
    /// Calls `f(window tap, input pixel)` for each tap of the window of output pixel `o`
    /// that falls inside the image.
    fn for_taps(&self, o: usize, mut f: impl FnMut(usize, usize)) {
        let [_, oh, ow] = self.out;
        let (oz, oy, ox) = (o / (oh * ow), (o / ow) % oh, o % ow);
        let [kd, kh, kw] = self.k;
        let [_, ih, iw] = self.input;
        for kz in 0..kd {
            let Some(iz) = self.at(0, oz, kz) else {
                continue;
            };
            for ky in 0..kh {
                let Some(iy) = self.at(1, oy, ky) else {
                    continue;
                };
                for kx in 0..kw {
                    let Some(ix) = self.at(2, ox, kx) else {
                        continue;
                    };
                    f((kz * kh + ky) * kw + kx, (iz * ih + iy) * iw + ix);
                }
            }
        }
    }
}

/// A value's dims when its rank is the op's.
fn dims_of(v: &Value, what: &str, op: &ConvOp) -> Result<Vec<usize>> {
    let rank = op.rank();
    if v.shape().len() != rank {
        return Err(Error::op_invalid(format!(
            "{}: {what} must be {rank}-dimensional, got shape {}",
            op.type_name(),
            Shape::known(v.shape()).bracketed()
        )));
    }
    Ok(v.shape().to_vec())
}

fn sizes_value(v: &Value, op: &ConvOp, what: &str) -> Result<Vec<usize>> {
    let ints = v.to_i64_vec()?;
    let rank = op.rank();
    if ints.len() != rank || ints.iter().any(|&x| x < 0) {
        return Err(Error::op_invalid(format!(
            "{}: {what} must be a vector of {rank} non-negative sizes, got {ints:?}",
            op.type_name()
        )));
    }
    Ok(ints.iter().map(|&x| x as usize).collect())
}

fn mul(a: usize, b: usize) -> Result<usize> {
    a.checked_mul(b)
        .ok_or_else(|| Error::op_invalid(format!("size {a} * {b} overflows")))
}

/// True when a window attribute is not 1 on the batch or channel dim.
fn outer(v: &[i64]) -> bool {
    v.first() != Some(&1) || v.last() != Some(&1)
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

fn finish<T: ConvElem>(dims: &[usize], v: Vec<T>) -> Result<Value> {
    let a = ndarray::ArrayD::from_shape_vec(IxDyn(dims), v)
        .map_err(|e| Error::internal(format!("conv kernel produced a bad buffer: {e}")))?;
    Ok(T::wrap(a.into_shared()))
}
fn compute(op: &ConvOp, inputs: &[Value]) -> Result<Value> {
    check_window(op)?;
    let want = match op {
        ConvOp::MaxPool(_) | ConvOp::AvgPool(_) => 1,
        ConvOp::Conv(_) | ConvOp::Depthwise(_) | ConvOp::AvgPoolGrad(_) => 2,
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
        ConvOp::ConvBackpropInput(_)
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
    let spatial = op.spatial();
    match op {
        ConvOp::Conv(_) => {
            let (xd, fd) = (
                dims_of(&inputs[0], "input", op)?,
                dims_of(&inputs[1], "filter", op)?,
            );
            let g = conv_geom(op, &xd, &fd)?;
            let oc = fd[spatial + 1];
            let (x, f) = (arr::<T>(&inputs[0], op)?, arr::<T>(&inputs[1], op)?);
            finish(&g.out_dims(oc), conv_fwd(&g, &data(x), &data(f), oc)?)
        }
        ConvOp::ConvBackpropInput(_) => {
            let xd = sizes_value(&inputs[0], op, "input_sizes")?;
            let fd = dims_of(&inputs[1], "filter", op)?;
            let g = conv_geom(op, &xd, &fd)?;
            let oc = fd[spatial + 1];
            check_backprop(op, &inputs[2], &g.out_dims(oc))?;
            let (f, dy) = (arr::<T>(&inputs[1], op)?, arr::<T>(&inputs[2], op)?);
            finish(&xd, conv_bwd_input(&g, &data(f), &data(dy), oc)?)
        }
        ConvOp::ConvBackpropFilter(_) => {
            let xd = dims_of(&inputs[0], "input", op)?;
            let fd = sizes_value(&inputs[1], op, "filter_sizes")?;
            let g = conv_geom(op, &xd, &fd)?;
            let oc = fd[spatial + 1];
            check_backprop(op, &inputs[2], &g.out_dims(oc))?;
            let (x, dy) = (arr::<T>(&inputs[0], op)?, arr::<T>(&inputs[2], op)?);
            finish(&fd, conv_bwd_filter(&g, &data(x), &data(dy), oc)?)
        }
        ConvOp::Depthwise(_) => {
            let (xd, fd) = (
                dims_of(&inputs[0], "input", op)?,
                dims_of(&inputs[1], "filter", op)?,
            );
            let g = depthwise_geom(op, &xd, &fd)?;
            let (x, f) = (arr::<T>(&inputs[0], op)?, arr::<T>(&inputs[1], op)?);
            let (x, f) = (data(x), data(f));
            let mut out = zeros::<T>(&[g.n, g.out_pixels(), g.ic, fd[3]])?;
            depthwise_loop(&g, fd[3], |xi, fi, oi| out[oi] = out[oi] + x[xi] * f[fi]);
            finish(&g.out_dims(mul(g.ic, fd[3])?), out)
        }
        ConvOp::DepthwiseBackpropInput(_) => {
            let xd = sizes_value(&inputs[0], op, "input_sizes")?;
            let fd = dims_of(&inputs[1], "filter", op)?;
            let g = depthwise_geom(op, &xd, &fd)?;
            check_backprop(op, &inputs[2], &g.out_dims(mul(g.ic, fd[3])?))?;
            let (f, dy) = (arr::<T>(&inputs[1], op)?, arr::<T>(&inputs[2], op)?);
            let (f, dy) = (data(f), data(dy));
            let mut dx = zeros::<T>(&xd)?;
            depthwise_loop(&g, fd[3], |xi, fi, oi| dx[xi] = dx[xi] + dy[oi] * f[fi]);
            finish(&xd, dx)
        }
        ConvOp::DepthwiseBackpropFilter(_) => {
            let xd = dims_of(&inputs[0], "input", op)?;
            let fd = sizes_value(&inputs[1], op, "filter_sizes")?;
            let g = depthwise_geom(op, &xd, &fd)?;
            check_backprop(op, &inputs[2], &g.out_dims(mul(g.ic, fd[3])?))?;
            let (x, dy) = (arr::<T>(&inputs[0], op)?, arr::<T>(&inputs[2], op)?);
            let (x, dy) = (data(x), data(dy));
            let mut df = zeros::<T>(&fd)?;
            depthwise_loop(&g, fd[3], |xi, fi, oi| df[fi] = df[fi] + x[xi] * dy[oi]);
            finish(&fd, df)
        }
        ConvOp::MaxPool(_) => {
            let xd = dims_of(&inputs[0], "input", op)?;
            let g = pool_geom(op, &xd)?;
            let x = data(arr::<T>(&inputs[0], op)?).into_owned();
            let arg = argmax(&g, &x);
            let out = arg
                .iter()
                .map(|a| a.map_or(T::neg_infinity(), |i| x[i]))
                .collect();
            finish(&g.out_dims(g.ic), out)
        }
        ConvOp::MaxPoolGrad(_) => {
            let xd = dims_of(&inputs[0], "orig_input", op)?;
            let g = pool_geom(op, &xd)?;
            check_backprop(op, &inputs[1], &g.out_dims(g.ic))?;
            check_backprop(op, &inputs[2], &g.out_dims(g.ic))?;
            let x = data(arr::<T>(&inputs[0], op)?).into_owned();
            let dy = data(arr::<T>(&inputs[2], op)?).into_owned();
            let mut dx = vec![T::zero(); x.len()];
            for (o, a) in argmax(&g, &x).into_iter().enumerate() {
                if let Some(i) = a {
                    dx[i] = dx[i] + dy[o];
                }
            }
            finish(&xd, dx)
        }
        ConvOp::MaxPoolGradGrad(_) => {
            let xd = dims_of(&inputs[0], "orig_input", op)?;
            let g = pool_geom(op, &xd)?;
            check_backprop(op, &inputs[1], &g.out_dims(g.ic))?;
            check_backprop(op, &inputs[2], &xd)?;
            let x = data(arr::<T>(&inputs[0], op)?).into_owned();
            let gg = data(arr::<T>(&inputs[2], op)?).into_owned();
            let out = argmax(&g, &x)
                .into_iter()
                .map(|a| a.map_or(T::zero(), |i| gg[i]))
                .collect();
            finish(&g.out_dims(g.ic), out)
        }
        ConvOp::AvgPool(_) => {
            let xd = dims_of(&inputs[0], "value", op)?;
            let g = pool_geom(op, &xd)?;
            let x = data(arr::<T>(&inputs[0], op)?);
            let mut out = zeros::<T>(&[g.n, g.out_pixels(), g.ic])?;
            avg_windows(&g, |xi, oi, scale| {
                out[oi] = out[oi] + x[xi] * T::from_f64(scale)
            });
            finish(&g.out_dims(g.ic), out)
        }
        ConvOp::AvgPoolGrad(_) => {
            let xd = sizes_value(&inputs[0], op, "orig_input_shape")?;
            let g = pool_geom(op, &xd)?;
            check_backprop(op, &inputs[1], &g.out_dims(g.ic))?;
            let dy = data(arr::<T>(&inputs[1], op)?);
            let mut dx = zeros::<T>(&xd)?;
            avg_windows(&g, |xi, oi, scale| {
                dx[xi] = dx[xi] + dy[oi] * T::from_f64(scale)
            });
            finish(&xd, dx)
        }
    }
}

fn check_backprop(op: &ConvOp, v: &Value, want: &[usize]) -> Result<()> {
    if v.shape() != want {
        return Err(Error::op_invalid(format!(
            "{}: Size of out_backprop doesn't match computed: actual = {}, computed = {}",
            op.type_name(),
            Shape::known(v.shape()).bracketed(),
            Shape::known(want).bracketed()
        )));
    }
    Ok(())
}

/// A filter is `[spatial..., in_channels, out_channels]`.
fn conv_geom(op: &ConvOp, x: &[usize], f: &[usize]) -> Result<Geom> {
    let spatial = op.spatial();
    let (c, fc) = (x[spatial + 1], f[spatial]);
    if c != fc {
        if fc != 0 && c % fc == 0 {
            return Err(Error::unimplemented(format!(
                "{}: grouped convolution (input depth {c} with filter depth {fc}) is not supported",
                op.type_name(),
            )));
        }
        return Err(Error::op_invalid(format!(
            "{}: input depth must be evenly divisible by filter depth: {c} vs {fc}",
            op.type_name(),
        )));
    }
    Geom::new(op, x, &f[..spatial])
}

fn depthwise_geom(op: &ConvOp, x: &[usize], f: &[usize]) -> Result<Geom> {
    check_depthwise_strides(op).map_err(Error::op_invalid)?;
    if x[3] != f[2] {
        return Err(Error::op_invalid(format!(
            "{}: input and filter must have the same depth: {} vs {}",
            op.type_name(),
            x[3],
            f[2]
        )));
    }
    Geom::new(op, x, &f[..2])
}

fn pool_geom(op: &ConvOp, x: &[usize]) -> Result<Geom> {
    let w = op.window();
    let k = w.ksize.unwrap_or([1; 3]);
    Geom::new(op, x, &k[3 - w.spatial..])
}

/// Fills `col` (rows: output pixels of image `n`; columns: (window tap, channel)) from `x`.
fn im2col<T: ConvElem>(g: &Geom, x: &[T], n: usize, col: &mut [T]) {
    let c = g.ic;
    let row_len = g.taps() * c;
    let image = g.in_pixels() * c;
    let img = &x[n * image..(n + 1) * image];
    for o in 0..g.out_pixels() {
        let row = &mut col[o * row_len..][..row_len];
        row.fill(T::zero());
        g.for_taps(o, |t, p| {
            row[t * c..][..c].copy_from_slice(&img[p * c..][..c]);
        });
    }
}

/// Adds `col`'s rows back onto image `n` of `dx` (the adjoint of `im2col`).
fn col2im<T: ConvElem>(g: &Geom, col: &[T], n: usize, dx: &mut [T]) {
    let c = g.ic;
    let row_len = g.taps() * c;
    let image = g.in_pixels() * c;
    let img = &mut dx[n * image..(n + 1) * image];
    for o in 0..g.out_pixels() {
        let row = &col[o * row_len..][..row_len];
        g.for_taps(o, |t, p| {
            let src = &row[t * c..][..c];
            for (d, &s) in img[p * c..][..c].iter_mut().zip(src) {
                *d = *d + s;
            }
        });
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

fn conv_fwd<T: ConvElem>(g: &Geom, x: &[T], f: &[T], oc: usize) -> Result<Vec<T>> {
    let k = g.taps() * g.ic;
    let p = g.out_pixels();
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

fn conv_bwd_input<T: ConvElem>(g: &Geom, f: &[T], dy: &[T], oc: usize) -> Result<Vec<T>> {
    let k = g.taps() * g.ic;
    let p = g.out_pixels();
    let mut dx = zeros::<T>(&[g.n, g.in_pixels(), g.ic])?;
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

fn conv_bwd_filter<T: ConvElem>(g: &Geom, x: &[T], dy: &[T], oc: usize) -> Result<Vec<T>> {
    let k = g.taps() * g.ic;
    let p = g.out_pixels();
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
    let (ip, op) = (g.in_pixels(), g.out_pixels());
    for n in 0..g.n {
        for o in 0..op {
            let obase = (n * op + o) * oc;
            g.for_taps(o, |t, p| {
                let xbase = (n * ip + p) * g.ic;
                let fbase = t * oc;
                for c in 0..g.ic {
                    for j in 0..m {
                        f(xbase + c, fbase + c * m + j, obase + c * m + j);
                    }
                }
            });
        }
    }
}

/// For each output element of a max pool, the flat input index of its maximum: the first
/// in window scan order on ties, as TF's CPU kernels pick; `None` for an all-padding window.
fn argmax<T: ConvElem>(g: &Geom, x: &[T]) -> Vec<Option<usize>> {
    let c = g.ic;
    let (ip, op) = (g.in_pixels(), g.out_pixels());
    let mut best: Vec<Option<usize>> = vec![None; g.n * op * c];
    for n in 0..g.n {
        for o in 0..op {
            let obase = (n * op + o) * c;
            let out = &mut best[obase..obase + c];
            g.for_taps(o, |_, p| {
                let xbase = (n * ip + p) * c;
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
            });
        }
    }
    best
}

/// Calls `f(input index, output index, 1/count)` for every element of every average-pool
/// window, where count is the number of in-image elements (TF excludes padding).
fn avg_windows(g: &Geom, mut f: impl FnMut(usize, usize, f64)) {
    let c = g.ic;
    let (ip, op) = (g.in_pixels(), g.out_pixels());
    let mut pixels: SmallVec<[usize; 32]> = SmallVec::new();
    for n in 0..g.n {
        for o in 0..op {
            pixels.clear();
            g.for_taps(o, |_, p| pixels.push(p));
            if pixels.is_empty() {
                continue;
            }
            let scale = 1.0 / pixels.len() as f64;
            let obase = (n * op + o) * c;
            for &p in &pixels {
                let xbase = (n * ip + p) * c;
                for ch in 0..c {
                    f(xbase + ch, obase + ch, scale);
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
fn conv_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let a = conv_of(ctx)?;
    let g = ctx.graph;
    let dy = ctx.grad(grads, 0)?;
    let (x, f) = (ctx.input(0)?, ctx.input(1)?);
    let shapes = array::shape_n(g, &[x, f], DType::I32)?;
    let dx = conv_backprop_input(g, shapes[0], f, dy, &a)?;
    let df = conv_backprop_filter(g, x, shapes[1], dy, &a)?;
    Ok(vec![dense(dx), dense(df)])
}

/// TF's `_Conv2DBackpropInputGrad`: the op is linear in filter and out_backprop.
fn conv_backprop_input_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let a = conv_of(ctx)?;
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let (f, dy) = (ctx.input(1)?, ctx.input(2)?);
    let f_shape = shape(ctx, f)?;
    let df = conv_backprop_filter(g, grad, f_shape, dy, &a)?;
    let ddy = conv(g, grad, f, &a)?;
    Ok(vec![None, dense(df), dense(ddy)])
}

/// TF's `_Conv2DBackpropFilterGrad`.
fn conv_backprop_filter_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let a = conv_of(ctx)?;
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let (x, dy) = (ctx.input(0)?, ctx.input(2)?);
    let x_shape = shape(ctx, x)?;
    let dx = conv_backprop_input(g, x_shape, grad, dy, &a)?;
    let ddy = conv(g, x, grad, &a)?;
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
