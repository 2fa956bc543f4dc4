//! The op set. `OpKind` says what an op is (its TF type and typed attributes); each family
//! module keeps, per op, the builder, shape rule, kernel and gradient side by side. This
//! file only dispatches: one `match` per concern, delegating to the family.

pub mod array;
pub mod axis_ops;
pub mod bessel_fns;
pub mod binary;
pub mod control;
pub mod conv;
pub mod elementwise;
pub mod flow;
pub mod fold;
pub(crate) mod half;
pub mod host;
pub mod image;
pub mod index;
pub mod integral_fns;
pub mod layout;
pub mod linalg;
pub mod matrix;
pub mod matrix_sqrt;
pub mod misc;
pub mod morphology;
pub mod nn;
pub mod random;
pub mod reduce;
pub mod segment;
pub mod source;
pub mod special;
pub mod special_fns;
pub mod state;
pub mod strings;
pub mod summary;
pub mod tridiagonal;
pub mod unary;
pub mod vmath;
pub mod while_loop;
// Added with the random-ops branch.
pub mod bitwise;
pub mod colour;
pub mod complex;
pub mod extra_math;
pub mod fft;
pub mod random_dists;

pub use binary::BinaryOp;
pub use reduce::ReduceOp;
pub use unary::UnaryOp;

use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::graph::{GraphData, Metas, Node, Tensor, TensorMeta};
use crate::shape::Shape;
use crate::value::Value;
use smallvec::SmallVec;
use std::sync::Arc;

pub use crate::exec::KernelCtx;

/// A family of ops kept in one file behind one `OpKind` variant: the file owns its enum,
/// and everything about each op in it (name, attributes, shape rule, kernel, gradients).
pub trait Family: Sized {
    fn type_name(&self) -> &'static str;
    /// `None` when `op_type` is not of this family.
    fn from_def(op_type: &str, attrs: &Attrs, input_types: &[DType]) -> Option<Result<Self>>;
    fn attrs(&self, node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)>;
    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas>;
    fn compute(&self, ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs>;
    fn register_gradients(r: &mut GradRegistry);
}

/// Dispatches one `Family` method over the family variants of `OpKind`.
macro_rules! family_dispatch {
    ($kind:expr, $f:ident => $body:expr, else $other:expr) => {
        match $kind {
            OpKind::Nn($f) => $body,
            OpKind::Conv($f) => $body,
            OpKind::Index($f) => $body,
            OpKind::AxisOps($f) => $body,
            OpKind::Random($f) => $body,
            OpKind::State($f) => $body,
            OpKind::Flow($f) => $body,
            OpKind::Layout($f) => $body,
            OpKind::Special($f) => $body,
            OpKind::Matrix($f) => $body,
            OpKind::Segment($f) => $body,
            OpKind::Host($f) => $body,
            OpKind::Strings($f) => $body,
            OpKind::Image($f) => $body,
            OpKind::Colour($f) => $body,
            OpKind::Misc($f) => $body,
            OpKind::Loop($f) => $body,
            OpKind::Summary($f) => $body,
            OpKind::Bitwise($f) => $body,
            OpKind::RandomDists($f) => $body,
            OpKind::ExtraMath($f) => $body,
            OpKind::Complex($f) => $body,
            OpKind::Fft($f) => $body,
            OpKind::Morph($f) => $body,
            _ => $other,
        }
    };
}

/// What an op computes. Variants carry typed attributes; input tensors live on the node.
#[derive(Debug, Clone)]
pub enum OpKind {
    // source.rs
    // The large payloads are boxed so that every op's `OpKind` stays small: most ops carry
    // no more than a few bytes of attributes, and graphs hold millions of them
    // (tests/node_size.rs pins the size).
    Const {
        /// Shared: identical small constants (shape vectors, reduction axes) are one value.
        value: Arc<Value>,
    },
    Placeholder {
        dtype: DType,
        shape: Box<Shape>,
    },
    PlaceholderWithDefault {
        dtype: DType,
        shape: Box<Shape>,
    },
    // unary.rs: one input, elementwise
    Unary(UnaryOp),
    // binary.rs: two inputs, elementwise with broadcasting
    Binary(BinaryOp),
    // array.rs
    Identity,
    IdentityN,
    StopGradient,
    /// An identity that checks its input against `shape` (TF's `tf.ensure_shape`).
    EnsureShape {
        shape: Box<Shape>,
    },
    Cast {
        to: DType,
        truncate: bool,
    },
    Select,
    SelectV2,
    Reshape,
    Transpose,
    InvertPermutation,
    ExpandDims,
    Squeeze {
        dims: Box<[i64]>,
    },
    Shape {
        out_type: DType,
    },
    Size {
        out_type: DType,
    },
    Rank,
    Fill,
    Tile,
    BroadcastTo,
    BroadcastGradientArgs,
    Range,
    DynamicStitch {
        n: usize,
    },
    Split {
        num: usize,
    },
    Unpack {
        num: usize,
        axis: i64,
    },
    Pack {
        axis: i64,
    },
    ConcatV2,
    Slice,
    Pad,
    PadV2,
    ConcatOffset,
    SplitV {
        num: usize,
    },
    ShapeN {
        out_type: DType,
    },
    // reduce.rs
    Reduce {
        op: ReduceOp,
        keep_dims: bool,
    },
    // linalg.rs
    MatMul {
        transpose_a: bool,
        transpose_b: bool,
    },
    BatchMatMulV2 {
        adj_x: bool,
        adj_y: bool,
    },
    // control.rs
    AddN,
    NoOp,
    /// `_SymgradTestPanic`: an identity whose kernel panics, so tests can prove a kernel
    /// panic surfaces as `InternalError`. Internal: no Python wrapper, no gradient.
    TestPanic,
    // Families, one file each.
    Nn(nn::NnOp),
    Conv(Box<conv::ConvOp>),
    Index(index::IndexOp),
    AxisOps(axis_ops::AxisOp),
    Random(Box<random::RandomOp>),
    State(Box<state::StateOp>),
    Flow(Box<flow::FlowOp>),
    Layout(Box<layout::LayoutOp>),
    Special(special::SpecialOp),
    Matrix(matrix::MatrixOp),
    Segment(segment::SegmentOp),
    Host(Box<host::HostOp>),
    Strings(Box<strings::StringOp>),
    Image(image::ImageOp),
    Colour(colour::ColourOp),
    Misc(misc::MiscOp),
    Loop(Box<while_loop::WhileOp>),
    Summary(Box<summary::SummaryOp>),
    Bitwise(bitwise::BitwiseOp),
    RandomDists(Box<random_dists::DistOp>),
    ExtraMath(extra_math::ExtraMathOp),
    Complex(complex::ComplexOp),
    Fft(fft::FftOp),
    Morph(morphology::MorphOp),
}

/// What a shape rule sees: the graph (for constant inputs) and the new op's inputs.
pub struct InferCtx<'a> {
    pub graph: &'a GraphData,
    pub inputs: &'a [Tensor],
    pub name: &'a str,
}

impl InferCtx<'_> {
    pub fn num_inputs(&self) -> usize {
        self.inputs.len()
    }
    pub fn input(&self, i: usize) -> Result<&TensorMeta> {
        let t = self
            .inputs
            .get(i)
            .ok_or_else(|| self.err(format!("expects at least {} inputs", i + 1)))?;
        self.graph.meta(*t)
    }
    pub fn dtype(&self, i: usize) -> Result<DType> {
        Ok(self.input(i)?.dtype)
    }
    pub fn shape(&self, i: usize) -> Result<&Shape> {
        Ok(&self.input(i)?.shape)
    }
    /// The input's value when shape inference can know it (see `fold`).
    pub fn const_value(&self, i: usize) -> Option<Value> {
        self.inputs
            .get(i)
            .and_then(|t| fold::inferred_value(self.graph, *t))
    }
    /// A constant integer input as i64s.
    pub fn const_ints(&self, i: usize) -> Option<Vec<i64>> {
        // Shapes and axes are mostly Consts: read in place, not cloned out first.
        let node = self.inputs.get(i).and_then(|t| self.graph.node(t.node));
        if let Some(OpKind::Const { value }) = node.map(|n| &n.op) {
            return value.to_i64_vec().ok();
        }
        self.const_value(i).and_then(|v| v.to_i64_vec().ok())
    }
    pub fn expect_inputs(&self, n: usize) -> Result<()> {
        if self.inputs.len() != n {
            return Err(self.err(format!("expects {n} inputs, got {}", self.inputs.len())));
        }
        Ok(())
    }
    /// A `ValueError` naming the op, as TF's shape functions report at construction.
    pub fn err(&self, message: impl std::fmt::Display) -> Error {
        Error::invalid(format!("{message} for '{}'", self.name))
    }
    /// TF's text when inputs' dtypes disagree (a `TypeError`).
    pub fn same_dtype(
        &self,
        op_type: &str,
        a: usize,
        b: usize,
        names: (&str, &str),
    ) -> Result<DType> {
        let (ta, tb) = (self.dtype(a)?, self.dtype(b)?);
        if ta != tb {
            return Err(Error::type_error(format!(
                "Input '{}' of '{op_type}' Op has type {tb} that does not match type {ta} of argument '{}'.",
                names.1, names.0
            )));
        }
        Ok(ta)
    }
}

/// What running an op on complex numbers raises where TF registers no complex kernel (its
/// op definition takes them, so the graph builds, as TF's does).
pub(crate) fn not_for_complex(op_type: &str, dtype: DType) -> Error {
    Error::op(
        crate::error::Code::NotFound,
        format!(
            "No registered '{op_type}' OpKernel for 'CPU' devices compatible with node \
             (T={})",
            dtype.tf_enum_name()
        ),
    )
}

pub fn one(dtype: DType, shape: Shape) -> Result<Metas> {
    Ok(smallvec::smallvec![TensorMeta::new(dtype, shape)])
}

pub type Outputs = SmallVec<[Value; 1]>;
/// A kernel's inputs handed over by the executor (see `OpKind::compute_owned`).
pub type Inputs = SmallVec<[Value; 4]>;

impl OpKind {
    /// The op's kind and attributes as one word, for the kinds whose structural gradient
    /// rules a template may stand in for (see `grad/template.rs`); `None` for the others.
    pub(crate) fn template_key(&self) -> Option<u32> {
        match self {
            OpKind::Unary(u) => Some((1 << 16) | *u as u32),
            OpKind::Binary(b) => Some((2 << 16) | *b as u32),
            OpKind::MatMul {
                transpose_a,
                transpose_b,
            } => Some((3 << 16) | u32::from(*transpose_a) | (u32::from(*transpose_b) << 1)),
            OpKind::Reshape => Some(4 << 16),
            _ => None,
        }
    }

    /// TF's op type name (`op.type`), also the gradient-registry key.
    pub fn type_name(&self) -> &'static str {
        match self {
            OpKind::Const { .. } => "Const",
            OpKind::Placeholder { .. } => "Placeholder",
            OpKind::PlaceholderWithDefault { .. } => "PlaceholderWithDefault",
            OpKind::Unary(u) => u.type_name(),
            OpKind::Binary(b) => b.type_name(),
            OpKind::Identity => "Identity",
            OpKind::IdentityN => "IdentityN",
            OpKind::EnsureShape { .. } => "EnsureShape",
            OpKind::StopGradient => "StopGradient",
            OpKind::Cast { .. } => "Cast",
            OpKind::Select => "Select",
            OpKind::SelectV2 => "SelectV2",
            OpKind::Reshape => "Reshape",
            OpKind::Transpose => "Transpose",
            OpKind::InvertPermutation => "InvertPermutation",
            OpKind::ExpandDims => "ExpandDims",
            OpKind::Squeeze { .. } => "Squeeze",
            OpKind::Shape { .. } => "Shape",
            OpKind::Size { .. } => "Size",
            OpKind::Rank => "Rank",
            OpKind::Fill => "Fill",
            OpKind::Tile => "Tile",
            OpKind::BroadcastTo => "BroadcastTo",
            OpKind::BroadcastGradientArgs => "BroadcastGradientArgs",
            OpKind::Range => "Range",
            OpKind::DynamicStitch { .. } => "DynamicStitch",
            OpKind::Split { .. } => "Split",
            OpKind::Unpack { .. } => "Unpack",
            OpKind::Pack { .. } => "Pack",
            OpKind::ConcatV2 => "ConcatV2",
            OpKind::Slice => "Slice",
            OpKind::Pad => "Pad",
            OpKind::PadV2 => "PadV2",
            OpKind::ConcatOffset => "ConcatOffset",
            OpKind::SplitV { .. } => "SplitV",
            OpKind::ShapeN { .. } => "ShapeN",
            OpKind::Reduce { op, .. } => op.type_name(),
            OpKind::MatMul { .. } => "MatMul",
            OpKind::BatchMatMulV2 { .. } => "BatchMatMulV2",
            OpKind::AddN => "AddN",
            OpKind::NoOp => "NoOp",
            OpKind::TestPanic => "_SymgradTestPanic",
            OpKind::Nn(f) => f.type_name(),
            OpKind::Conv(f) => f.type_name(),
            OpKind::Index(f) => f.type_name(),
            OpKind::AxisOps(f) => f.type_name(),
            OpKind::Random(f) => f.type_name(),
            OpKind::State(f) => f.type_name(),
            OpKind::Flow(f) => f.type_name(),
            OpKind::Layout(f) => f.type_name(),
            OpKind::Special(f) => f.type_name(),
            OpKind::Matrix(f) => f.type_name(),
            OpKind::Segment(f) => f.type_name(),
            OpKind::Host(f) => f.type_name(),
            OpKind::Strings(f) => f.type_name(),
            OpKind::Image(f) => f.type_name(),
            OpKind::Colour(f) => f.type_name(),
            OpKind::Misc(f) => f.type_name(),
            OpKind::Loop(f) => f.type_name(),
            OpKind::Summary(f) => f.type_name(),
            OpKind::Bitwise(f) => f.type_name(),
            OpKind::RandomDists(f) => f.type_name(),
            OpKind::ExtraMath(f) => f.type_name(),
            OpKind::Complex(f) => f.type_name(),
            OpKind::Fft(f) => f.type_name(),
            OpKind::Morph(f) => f.type_name(),
        }
    }

    /// Builds an op from its TF type name and attributes; `input_types` lets attributes that
    /// TF derives from inputs (`T`, `SrcT`, ...) be omitted.
    pub fn from_def(op_type: &str, attrs: &Attrs, input_types: &[DType]) -> Result<OpKind> {
        macro_rules! try_family {
            ($($variant:ident => $family:ty),*) => {
                $(if let Some(op) = <$family as Family>::from_def(op_type, attrs, input_types) {
                    return op.map(|op| OpKind::$variant(op.into()));
                })*
            };
        }
        try_family!(
            Nn => nn::NnOp,
            Conv => conv::ConvOp,
            Index => index::IndexOp,
            AxisOps => axis_ops::AxisOp,
            Random => random::RandomOp,
            State => state::StateOp,
            Flow => flow::FlowOp,
            Layout => layout::LayoutOp,
            Special => special::SpecialOp,
            Matrix => matrix::MatrixOp,
            Segment => segment::SegmentOp,
            Host => host::HostOp,
            Strings => strings::StringOp,
            Image => image::ImageOp,
            Colour => colour::ColourOp,
            Misc => misc::MiscOp,
            Loop => while_loop::WhileOp,
            Summary => summary::SummaryOp,
            Bitwise => bitwise::BitwiseOp,
            RandomDists => random_dists::DistOp,
            ExtraMath => extra_math::ExtraMathOp,
            Complex => complex::ComplexOp,
            Fft => fft::FftOp,
            Morph => morphology::MorphOp
        );
        if let Some(u) = UnaryOp::from_type_name(op_type) {
            return Ok(OpKind::Unary(u));
        }
        if let Some(b) = BinaryOp::from_type_name(op_type) {
            return Ok(OpKind::Binary(b));
        }
        if let Some(r) = ReduceOp::from_type_name(op_type) {
            return Ok(OpKind::Reduce {
                op: r,
                keep_dims: attrs.bool_or("keep_dims", false)?,
            });
        }
        let _ = input_types;
        Ok(match op_type {
            "Const" => {
                let value = attrs.tensor("value")?;
                match attrs.dtype_opt("dtype")? {
                    Some(d) if d != value.dtype() => OpKind::Const {
                        value: Arc::new(value.cast(d)),
                    },
                    _ => OpKind::Const {
                        value: Arc::new(value),
                    },
                }
            }
            "Placeholder" => OpKind::Placeholder {
                dtype: attrs.dtype("dtype")?,
                shape: Box::new(attrs.shape_or_unknown("shape")?),
            },
            "PlaceholderWithDefault" => OpKind::PlaceholderWithDefault {
                dtype: match attrs.dtype_opt("dtype")? {
                    Some(d) => d,
                    None => *input_types
                        .first()
                        .ok_or_else(|| Error::invalid("PlaceholderWithDefault needs an input"))?,
                },
                shape: Box::new(attrs.shape_or_unknown("shape")?),
            },
            "Identity" => OpKind::Identity,
            "IdentityN" => OpKind::IdentityN,
            "EnsureShape" => OpKind::EnsureShape {
                shape: Box::new(attrs.shape_or_unknown("shape")?),
            },
            "StopGradient" => OpKind::StopGradient,
            "Cast" => OpKind::Cast {
                to: attrs.dtype("DstT")?,
                truncate: attrs.bool_or("Truncate", false)?,
            },
            "Select" => OpKind::Select,
            "SelectV2" => OpKind::SelectV2,
            "Reshape" => OpKind::Reshape,
            "Transpose" => OpKind::Transpose,
            "InvertPermutation" => OpKind::InvertPermutation,
            "ExpandDims" => OpKind::ExpandDims,
            "Squeeze" => OpKind::Squeeze {
                dims: attrs.ints_or("squeeze_dims", vec![])?.into(),
            },
            "Shape" => OpKind::Shape {
                out_type: attrs.dtype_opt("out_type")?.unwrap_or(DType::I32),
            },
            "Size" => OpKind::Size {
                out_type: attrs.dtype_opt("out_type")?.unwrap_or(DType::I32),
            },
            "Rank" => OpKind::Rank,
            "Fill" => OpKind::Fill,
            "Tile" => OpKind::Tile,
            "BroadcastTo" => OpKind::BroadcastTo,
            "BroadcastGradientArgs" => OpKind::BroadcastGradientArgs,
            "Range" => OpKind::Range,
            "DynamicStitch" => OpKind::DynamicStitch {
                n: input_types.len() / 2,
            },
            "Split" => OpKind::Split {
                num: usize_attr(attrs, "num_split")?,
            },
            "Unpack" => OpKind::Unpack {
                num: usize_attr(attrs, "num")?,
                axis: attrs.int_or("axis", 0)?,
            },
            "Pack" => OpKind::Pack {
                axis: attrs.int_or("axis", 0)?,
            },
            "ConcatV2" => OpKind::ConcatV2,
            "Slice" => OpKind::Slice,
            "Pad" => OpKind::Pad,
            "PadV2" => OpKind::PadV2,
            "ConcatOffset" => OpKind::ConcatOffset,
            "SplitV" => OpKind::SplitV {
                num: usize_attr(attrs, "num_split")?,
            },
            "ShapeN" => OpKind::ShapeN {
                out_type: attrs.dtype_opt("out_type")?.unwrap_or(DType::I32),
            },
            "MatMul" => OpKind::MatMul {
                transpose_a: attrs.bool_or("transpose_a", false)?,
                transpose_b: attrs.bool_or("transpose_b", false)?,
            },
            "BatchMatMulV2" | "BatchMatMul" | "BatchMatMulV3" => OpKind::BatchMatMulV2 {
                adj_x: attrs.bool_or("adj_x", false)?,
                adj_y: attrs.bool_or("adj_y", false)?,
            },
            "AddN" => OpKind::AddN,
            "NoOp" => OpKind::NoOp,
            "_SymgradTestPanic" => OpKind::TestPanic,
            other => {
                return Err(Error::invalid(format!(
                    "Op type not registered '{other}' in symgrad"
                )))
            }
        })
    }

    /// Output types from input types (and constant inputs), or a `ValueError`/`TypeError`.
    pub fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        // Only a graph with a string output can feed one to this op.
        if ctx.graph.has_string_outputs() {
            strings::check_inputs(self.type_name(), ctx)?;
        }
        family_dispatch!(self, f => return f.infer(ctx), else {});
        match self {
            OpKind::Const { .. }
            | OpKind::Placeholder { .. }
            | OpKind::PlaceholderWithDefault { .. } => source::infer(self, ctx),
            OpKind::Unary(u) => unary::infer(*u, ctx),
            OpKind::Binary(b) => binary::infer(*b, ctx),
            OpKind::Reduce { op, keep_dims } => reduce::infer(*op, *keep_dims, ctx),
            OpKind::MatMul { .. } | OpKind::BatchMatMulV2 { .. } => linalg::infer(self, ctx),
            OpKind::AddN | OpKind::NoOp | OpKind::TestPanic => control::infer(self, ctx),
            _ => array::infer(self, ctx),
        }
    }

    /// Runs the kernel. Errors are attributed to the op by the executor.
    pub fn compute(&self, ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        if half::involved(self, inputs, ctx.metas) {
            return half::compute_widened(inputs, ctx.metas, |wide| self.compute_native(ctx, wide));
        }
        self.compute_native(ctx, inputs)
    }

    /// `compute` for inputs the kernel takes as they are (no half values, or an op that
    /// handles them itself).
    fn compute_native(&self, ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        family_dispatch!(self, f => return f.compute(ctx, inputs), else {});
        match self {
            OpKind::Const { .. }
            | OpKind::Placeholder { .. }
            | OpKind::PlaceholderWithDefault { .. } => source::compute(self, ctx.name, inputs),
            OpKind::Unary(u) => unary::compute(*u, inputs),
            OpKind::Binary(b) => binary::compute(*b, inputs),
            OpKind::Reduce { op, keep_dims } => reduce::compute(*op, *keep_dims, inputs),
            OpKind::MatMul { .. } | OpKind::BatchMatMulV2 { .. } => linalg::compute(self, inputs),
            OpKind::AddN | OpKind::NoOp | OpKind::TestPanic => control::compute(self, inputs),
            _ => array::compute(self, inputs),
        }
    }

    /// `compute` with the inputs handed over (the kernel may take them out of `inputs`):
    /// elementwise kernels then write into an input buffer that nothing else holds instead
    /// of allocating their output.
    pub fn compute_owned(&self, ctx: &KernelCtx<'_>, inputs: &mut Inputs) -> Result<Outputs> {
        if half::involved(self, inputs, ctx.metas) {
            return self.compute(ctx, inputs);
        }
        match self {
            OpKind::Unary(u) => unary::compute_owned(*u, inputs),
            OpKind::Binary(b) => binary::compute_owned(*b, inputs),
            OpKind::AddN => control::compute_owned(self, inputs),
            _ => self.compute(ctx, inputs),
        }
    }

    /// The attributes `Operation.get_attr` shows, as TF names them.
    pub fn attrs(&self, node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        let t = |i: usize| input_types.get(i).copied().map(AttrValue::Type);
        let mut out: Vec<(&'static str, AttrValue)> = Vec::new();
        let push_t = |out: &mut Vec<(&'static str, AttrValue)>, i: usize| {
            if let Some(v) = t(i) {
                out.push(("T", v));
            }
        };
        match self {
            OpKind::Const { value } => {
                out.push(("dtype", AttrValue::Type(value.dtype())));
                out.push(("value", AttrValue::Tensor(Value::clone(value))));
            }
            OpKind::Placeholder { dtype, shape }
            | OpKind::PlaceholderWithDefault { dtype, shape } => {
                out.push(("dtype", AttrValue::Type(*dtype)));
                out.push(("shape", AttrValue::Shape(Shape::clone(shape))));
            }
            OpKind::Unary(_)
            | OpKind::Binary(_)
            | OpKind::Identity
            | OpKind::StopGradient
            | OpKind::ExpandDims => push_t(&mut out, 0),
            OpKind::EnsureShape { shape } => {
                out.push(("shape", AttrValue::Shape(Shape::clone(shape))));
                push_t(&mut out, 0);
            }
            OpKind::Cast { to, truncate } => {
                if let Some(src) = input_types.first() {
                    out.push(("SrcT", AttrValue::Type(*src)));
                }
                out.push(("DstT", AttrValue::Type(*to)));
                out.push(("Truncate", AttrValue::Bool(*truncate)));
            }
            OpKind::Select | OpKind::SelectV2 => push_t(&mut out, 1),
            OpKind::Reshape
            | OpKind::Transpose
            | OpKind::Fill
            | OpKind::Tile
            | OpKind::BroadcastTo => {
                push_t(&mut out, if matches!(self, OpKind::Fill) { 1 } else { 0 })
            }
            OpKind::Squeeze { dims } => {
                push_t(&mut out, 0);
                out.push(("squeeze_dims", AttrValue::Ints(dims.to_vec())));
            }
            OpKind::Shape { out_type } | OpKind::Size { out_type } => {
                push_t(&mut out, 0);
                out.push(("out_type", AttrValue::Type(*out_type)));
            }
            OpKind::Split { num } => {
                push_t(&mut out, 1);
                out.push(("num_split", AttrValue::Int(*num as i64)));
            }
            OpKind::Unpack { num, axis } => {
                push_t(&mut out, 0);
                out.push(("num", AttrValue::Int(*num as i64)));
                out.push(("axis", AttrValue::Int(*axis)));
            }
            OpKind::Pack { axis } => {
                push_t(&mut out, 0);
                out.push(("N", AttrValue::Int(node.inputs.len() as i64)));
                out.push(("axis", AttrValue::Int(*axis)));
            }
            OpKind::ConcatV2 => {
                push_t(&mut out, 0);
                out.push((
                    "N",
                    AttrValue::Int(node.inputs.len().saturating_sub(1) as i64),
                ));
            }
            OpKind::AddN => {
                push_t(&mut out, 0);
                out.push(("N", AttrValue::Int(node.inputs.len() as i64)));
            }
            OpKind::Slice => {
                push_t(&mut out, 0);
                if let Some(v) = t(1) {
                    out.push(("Index", v));
                }
            }
            OpKind::Pad | OpKind::PadV2 => {
                push_t(&mut out, 0);
                if let Some(v) = t(1) {
                    out.push(("Tpaddings", v));
                }
            }
            OpKind::ConcatOffset => {
                out.push((
                    "N",
                    AttrValue::Int(node.inputs.len().saturating_sub(1) as i64),
                ));
                if let Some(v) = t(1) {
                    out.push(("shape_type", v));
                }
            }
            OpKind::SplitV { num } => {
                out.push(("num_split", AttrValue::Int(*num as i64)));
                push_t(&mut out, 0);
                if let Some(v) = t(1) {
                    out.push(("Tlen", v));
                }
            }
            OpKind::ShapeN { out_type } => {
                out.push(("N", AttrValue::Int(node.inputs.len() as i64)));
                push_t(&mut out, 0);
                out.push(("out_type", AttrValue::Type(*out_type)));
            }
            OpKind::DynamicStitch { n } => {
                out.push(("N", AttrValue::Int(*n as i64)));
                push_t(&mut out, *n);
            }
            OpKind::Reduce { keep_dims, .. } => {
                push_t(&mut out, 0);
                out.push(("keep_dims", AttrValue::Bool(*keep_dims)));
                if let Some(ti) = input_types.get(1) {
                    out.push(("Tidx", AttrValue::Type(*ti)));
                }
            }
            OpKind::MatMul {
                transpose_a,
                transpose_b,
            } => {
                push_t(&mut out, 0);
                out.push(("transpose_a", AttrValue::Bool(*transpose_a)));
                out.push(("transpose_b", AttrValue::Bool(*transpose_b)));
            }
            OpKind::BatchMatMulV2 { adj_x, adj_y } => {
                push_t(&mut out, 0);
                out.push(("adj_x", AttrValue::Bool(*adj_x)));
                out.push(("adj_y", AttrValue::Bool(*adj_y)));
            }
            OpKind::IdentityN => {
                out.push(("T", AttrValue::Types(input_types.to_vec())));
            }
            OpKind::InvertPermutation | OpKind::Range | OpKind::BroadcastGradientArgs => {
                push_t(&mut out, 0)
            }
            OpKind::Rank | OpKind::NoOp | OpKind::TestPanic => {}
            OpKind::Nn(f) => return f.attrs(node, input_types),
            OpKind::Conv(f) => return f.attrs(node, input_types),
            OpKind::Index(f) => return f.attrs(node, input_types),
            OpKind::AxisOps(f) => return f.attrs(node, input_types),
            OpKind::Random(f) => return f.attrs(node, input_types),
            OpKind::State(f) => return f.attrs(node, input_types),
            OpKind::Flow(f) => return f.attrs(node, input_types),
            OpKind::Layout(f) => return f.attrs(node, input_types),
            OpKind::Special(f) => return f.attrs(node, input_types),
            OpKind::Matrix(f) => return f.attrs(node, input_types),
            OpKind::Segment(f) => return f.attrs(node, input_types),
            OpKind::Host(f) => return f.attrs(node, input_types),
            OpKind::Strings(f) => return f.attrs(node, input_types),
            OpKind::Image(f) => return f.attrs(node, input_types),
            OpKind::Colour(f) => return f.attrs(node, input_types),
            OpKind::Misc(f) => return f.attrs(node, input_types),
            OpKind::Loop(f) => return f.attrs(node, input_types),
            OpKind::Summary(f) => return f.attrs(node, input_types),
            OpKind::Bitwise(f) => return f.attrs(node, input_types),
            OpKind::RandomDists(f) => return f.attrs(node, input_types),
            OpKind::ExtraMath(f) => return f.attrs(node, input_types),
            OpKind::Complex(f) => return f.attrs(node, input_types),
            OpKind::Fft(f) => return f.attrs(node, input_types),
            OpKind::Morph(f) => return f.attrs(node, input_types),
        }
        out
    }
}

/// An output count (`num`, `num_split`). Bounded so that a huge count is an error, not an
/// attempt to allocate that many outputs (a symgrad limit; TF has none but cannot build such
/// an op either).
fn usize_attr(attrs: &Attrs, name: &str) -> Result<usize> {
    const MAX_OUTPUTS: i64 = 1 << 24;
    let v = attrs.int(name)?;
    if v > MAX_OUTPUTS {
        return Err(Error::invalid(format!(
            "attr '{name}' = {v} asks for more than {MAX_OUTPUTS} outputs"
        )));
    }
    usize::try_from(v).map_err(|_| Error::invalid(format!("attr '{name}' must be >= 0, got {v}")))
}

/// Registers every built-in gradient function (and non-differentiable marker).
pub(crate) fn register_gradients(r: &mut GradRegistry) {
    source::register_gradients(r);
    unary::register_gradients(r);
    binary::register_gradients(r);
    array::register_gradients(r);
    reduce::register_gradients(r);
    linalg::register_gradients(r);
    control::register_gradients(r);
    <nn::NnOp as Family>::register_gradients(r);
    <conv::ConvOp as Family>::register_gradients(r);
    <index::IndexOp as Family>::register_gradients(r);
    <axis_ops::AxisOp as Family>::register_gradients(r);
    <random::RandomOp as Family>::register_gradients(r);
    <state::StateOp as Family>::register_gradients(r);
    <flow::FlowOp as Family>::register_gradients(r);
    <layout::LayoutOp as Family>::register_gradients(r);
    <special::SpecialOp as Family>::register_gradients(r);
    <matrix::MatrixOp as Family>::register_gradients(r);
    <segment::SegmentOp as Family>::register_gradients(r);
    <host::HostOp as Family>::register_gradients(r);
    <strings::StringOp as Family>::register_gradients(r);
    <image::ImageOp as Family>::register_gradients(r);
    <colour::ColourOp as Family>::register_gradients(r);
    <misc::MiscOp as Family>::register_gradients(r);
    <while_loop::WhileOp as Family>::register_gradients(r);
    <summary::SummaryOp as Family>::register_gradients(r);
    <bitwise::BitwiseOp as Family>::register_gradients(r);
    <random_dists::DistOp as Family>::register_gradients(r);
    <extra_math::ExtraMathOp as Family>::register_gradients(r);
    <complex::ComplexOp as Family>::register_gradients(r);
    <fft::FftOp as Family>::register_gradients(r);
    <morphology::MorphOp as Family>::register_gradients(r);
}
