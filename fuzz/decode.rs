//! The fuzz input decoder, shared by the fuzz target and by `tests/fuzz_regressions.rs`,
//! which replays every saved finding in `fuzz/regressions/`.

use symgrad::exec::Session;
use symgrad::{AttrValue, Attrs, DType, GradientOptions, Graph, Shape, Tensor, Value};

const OP_TYPES: &[&str] = &[
    "Abs",
    "Add",
    "AddN",
    "AddV2",
    "All",
    "Any",
    "ArgMax",
    "ArgMin",
    "Atan2",
    "AvgPool",
    "AvgPoolGrad",
    "BatchMatMulV2",
    "BiasAdd",
    "BiasAddGrad",
    "BroadcastGradientArgs",
    "BroadcastTo",
    "Cast",
    "Ceil",
    "ConcatOffset",
    "ConcatV2",
    "Conv2D",
    "Conv2DBackpropFilter",
    "Conv2DBackpropInput",
    "Cos",
    "Cumprod",
    "Cumsum",
    "DepthwiseConv2dNative",
    "Div",
    "DynamicStitch",
    "Elu",
    "EluGrad",
    "Erf",
    "Exp",
    "ExpandDims",
    "Expm1",
    "Fill",
    "Floor",
    "FloorDiv",
    "FloorMod",
    "GatherNd",
    "GatherV2",
    "Identity",
    "IdentityN",
    "Inv",
    "InvertPermutation",
    "L2Loss",
    "LeakyRelu",
    "LeakyReluGrad",
    "LinSpace",
    "Log",
    "Log1p",
    "LogSoftmax",
    "LogicalNot",
    "MatMul",
    "Max",
    "MaxPool",
    "MaxPoolGrad",
    "MaxPoolGradGrad",
    "Maximum",
    "Mean",
    "Min",
    "Minimum",
    "MirrorPad",
    "MirrorPadGrad",
    "Mul",
    "Neg",
    "NoOp",
    "OneHot",
    "OnesLike",
    "Pack",
    "Pad",
    "PadV2",
    "Pow",
    "Prod",
    "Range",
    "Rank",
    "RealDiv",
    "Reciprocal",
    "ReciprocalGrad",
    "Relu",
    "Relu6",
    "Relu6Grad",
    "ReluGrad",
    "Reshape",
    "ReverseV2",
    "Round",
    "Rsqrt",
    "RsqrtGrad",
    "ScatterNd",
    "Select",
    "SelectV2",
    "Selu",
    "SeluGrad",
    "Shape",
    "ShapeN",
    "Sigmoid",
    "SigmoidGrad",
    "Sign",
    "Sin",
    "Size",
    "Slice",
    "Softmax",
    "SoftmaxCrossEntropyWithLogits",
    "Softplus",
    "SoftplusGrad",
    "SparseSoftmaxCrossEntropyWithLogits",
    "Split",
    "SplitV",
    "Sqrt",
    "SqrtGrad",
    "Square",
    "SquaredDifference",
    "Squeeze",
    "StopGradient",
    "StridedSlice",
    "StridedSliceGrad",
    "Sub",
    "Sum",
    "Tan",
    "Tanh",
    "TanhGrad",
    "Tile",
    "TopKV2",
    "Transpose",
    "Unique",
    "Unpack",
    "UnsortedSegmentSum",
    "ZerosLike",
    "RandomUniform",
    "RandomStandardNormal",
    "TruncatedNormal",
    "RandomUniformInt",
    "RandomShuffle",
    "AssignSubVariableOp",
    "VarHandleOp",
    "ReadVariableOp",
    "AssignVariableOp",
    "AssignAddVariableOp",
    "ResourceGather",
    "ResourceScatterAdd",
    "PlaceholderWithDefault",
];

const INT_ATTRS: &[&str] = &[
    "axis",
    "num",
    "num_split",
    "N",
    "k",
    "batch_dims",
    "begin_mask",
    "end_mask",
    "ellipsis_mask",
    "new_axis_mask",
    "shrink_axis_mask",
    "seed",
    "seed2",
    "num_samples",
];
const BOOL_ATTRS: &[&str] = &[
    "keep_dims",
    "transpose_a",
    "transpose_b",
    "adj_x",
    "adj_y",
    "exclusive",
    "reverse",
    "sorted",
    "Truncate",
    "use_cudnn_on_gpu",
];
const INTS_ATTRS: &[&str] = &[
    "squeeze_dims",
    "strides",
    "ksize",
    "dilations",
    "explicit_paddings",
];
const TYPE_ATTRS: &[&str] = &[
    "DstT",
    "dtype",
    "out_type",
    "T",
    "Tidx",
    "output_type",
    "Tout",
    "out_idx",
];
const STR_ATTRS: &[(&str, &[&str])] = &[
    ("padding", &["SAME", "VALID", "EXPLICIT", "bogus"]),
    ("data_format", &["NHWC", "NCHW", "NDHWC", ""]),
    ("mode", &["REFLECT", "SYMMETRIC", "CONSTANT"]),
    ("shared_name", &["v", "w", ""]),
];

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.u8() as usize % n
        }
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
    /// Mostly small integers, sometimes extreme ones (shape overflow paths).
    fn int(&mut self) -> i64 {
        match self.u8() % 16 {
            0 => i64::MAX,
            1 => i64::MIN,
            2 => i64::from(i32::MAX),
            3 => 1 << 40,
            _ => i64::from(self.u8() % 9) - 2,
        }
    }
    fn dtype(&mut self) -> DType {
        self.pick(&[
            DType::F64,
            DType::F64,
            DType::F32,
            DType::I32,
            DType::I64,
            DType::Bool,
            DType::U8,
            DType::I8,
        ])
    }
    fn dims(&mut self) -> Vec<usize> {
        let rank = self.below(4);
        (0..rank).map(|_| self.below(4)).collect()
    }
    fn value(&mut self, dtype: DType, dims: &[usize]) -> Value {
        let n: usize = dims.iter().product();
        let data: Vec<f64> = (0..n)
            .map(|_| match self.u8() % 12 {
                0 => f64::NAN,
                1 => f64::INFINITY,
                _ => f64::from(self.u8() % 9) - 2.0,
            })
            .collect();
        let v = Value::from_vec(dims, data).unwrap_or_else(|_| Value::zeros(DType::F64, dims));
        v.cast(dtype)
    }
}

fn attrs(b: &mut Bytes<'_>) -> Attrs {
    let mut a = Attrs::new();
    for _ in 0..b.below(4) {
        a = match b.u8() % 6 {
            0 => a.with(b.pick(INT_ATTRS), AttrValue::Int(b.int())),
            1 => a.with(b.pick(BOOL_ATTRS), AttrValue::Bool(b.u8() % 2 == 0)),
            2 => {
                let n = b.below(5);
                let v = (0..n).map(|_| b.int()).collect();
                a.with(b.pick(INTS_ATTRS), AttrValue::Ints(v))
            }
            3 => {
                let d = b.dtype();
                a.with(b.pick(TYPE_ATTRS), AttrValue::Type(d))
            }
            4 => {
                let (name, choices) = b.pick(STR_ATTRS);
                a.with(name, AttrValue::Str(b.pick(choices).to_string()))
            }
            _ => {
                let dims = b.dims();
                a.with("shape", AttrValue::Shape(Shape::known(&dims)))
            }
        };
    }
    a
}

fn const_op(g: &Graph, b: &mut Bytes<'_>) -> Option<Tensor> {
    let value = if b.u8() % 3 == 0 {
        // An integer vector that may hold extreme values, as shapes, axes and sizes do.
        let n = b.below(5);
        let xs: Vec<i64> = (0..n).map(|_| b.int()).collect();
        Value::int_vector(b.pick(&[DType::I32, DType::I64]), &xs)
    } else {
        let dtype = b.dtype();
        let dims = b.dims();
        b.value(dtype, &dims)
    };
    let attrs = Attrs::new().with("value", AttrValue::Tensor(value));
    g.add_op_def("Const", &[], &attrs, None)
        .ok()
        .map(|op| op.output(0))
}

/// Builds, differentiates and runs the graph `data` decodes to. Returns the messages of
/// `InternalError`s (caught panics, broken kernel contracts): each is a finding.
pub fn run_case(data: &[u8]) -> Vec<String> {
    let mut b = Bytes(data);
    let g = Graph::new();
    let mut tensors: Vec<Tensor> = Vec::new();
    let mut placeholders: Vec<(Tensor, DType, Vec<Option<usize>>)> = Vec::new();
    for _ in 0..1 + b.below(3) {
        let dtype = b.dtype();
        let dims: Vec<Option<usize>> = (0..b.below(4))
            .map(|_| {
                if b.u8() % 3 == 0 {
                    None
                } else {
                    Some(b.below(4))
                }
            })
            .collect();
        let shape = Shape::from_dims(&dims);
        let attrs = Attrs::new()
            .with("dtype", AttrValue::Type(dtype))
            .with("shape", AttrValue::Shape(shape));
        if let Ok(op) = g.add_op_def("Placeholder", &[], &attrs, None) {
            tensors.push(op.output(0));
            placeholders.push((op.output(0), dtype, dims));
        }
    }
    for _ in 0..b.below(4) {
        tensors.extend(const_op(&g, &mut b));
    }
    if tensors.is_empty() {
        return Vec::new();
    }
    for _ in 0..b.below(20) {
        if b.u8() % 4 == 0 {
            tensors.extend(const_op(&g, &mut b));
            continue;
        }
        let op_type = b.pick(OP_TYPES);
        let inputs: Vec<Tensor> = (0..b.below(5)).map(|_| b.pick(&tensors)).collect();
        let attrs = attrs(&mut b);
        if let Ok(op) = g.add_op_def(op_type, &inputs, &attrs, None) {
            let n = g.read().node(op.node).map_or(0, |n| n.num_outputs());
            tensors.extend((0..n as u32).map(|i| op.output(i)));
        }
    }
    let ys: Vec<Tensor> = (0..b.below(3)).map(|_| b.pick(&tensors)).collect();
    let xs: Vec<Tensor> = (0..1 + b.below(2)).map(|_| b.pick(&tensors)).collect();
    let mut fetches: Vec<Tensor> = (0..1 + b.below(3)).map(|_| b.pick(&tensors)).collect();
    if !ys.is_empty() {
        if let Ok(grads) = symgrad::gradients(&g, &ys, &xs, &GradientOptions::default()) {
            for gr in grads.into_iter().flatten() {
                if let Ok(t) = symgrad::grad::densify(&g, gr) {
                    fetches.push(t);
                }
            }
        }
    }
    let feeds: Vec<(Tensor, Value)> = placeholders
        .iter()
        .map(|(t, dtype, dims)| {
            let dims: Vec<usize> = dims
                .iter()
                .map(|d| {
                    if b.u8() % 8 == 0 {
                        b.below(4)
                    } else {
                        d.unwrap_or_else(|| b.below(4))
                    }
                })
                .collect();
            let dtype = if b.u8() % 8 == 0 { b.dtype() } else { *dtype };
            (*t, b.value(dtype, &dims))
        })
        .collect();
    let s = Session::new(&g);
    let mut internal = Vec::new();
    let mut note = |r: symgrad::Result<Vec<Value>>| {
        if let Err(symgrad::Error::Op {
            code: symgrad::Code::Internal,
            message,
            ..
        }) = r
        {
            internal.push(message);
        }
    };
    for _ in 0..2 {
        note(s.run(&fetches, &feeds));
        if let Some(f) = fetches.pop() {
            note(s.run(&[f], &feeds));
        }
    }
    internal
}
