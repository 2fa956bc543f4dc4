//! Summary ops: `ScalarSummary`, `HistogramSummary`, `MergeSummary`, `TensorSummaryV2`,
//! `TensorSummary`, `ImageSummary` and `AudioSummaryV2`. Each outputs a scalar string holding a serialized
//! `tensorflow.Summary` protocol buffer, byte for byte as TF's kernels serialize it (field
//! order, proto3's omission of zero scalars, packed doubles), so event files and
//! `Summary.FromString` read them as they read TF's. The one exception is the PNG inside an
//! image summary: TF compresses with zlib, symgrad stores the pixels uncompressed (a valid
//! PNG that decodes to the same pixels; see `png`).
//!
//! None is differentiable (TF registers them with `NotDifferentiable`).

use super::strings::strings_of;
use super::{one, Family, InferCtx, KernelCtx, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::graph::{Metas, Node};
use crate::shape::Shape;
use crate::value::Value;
use ndarray::{ArcArray, IxDyn};
use smallvec::smallvec;
use std::collections::HashSet;
use std::sync::OnceLock;

#[derive(Debug, Clone)]
pub enum SummaryOp {
    /// `ScalarSummary(tags, values)`: one `simple_value` per tag.
    Scalar,
    /// `HistogramSummary(tag, values)`: TF's default exponential buckets.
    Histogram,
    /// `MergeSummary(inputs...)`: the values of all input summaries, tags unique.
    Merge,
    /// `TensorSummaryV2(tag, tensor, serialized_summary_metadata)`.
    TensorV2,
    /// `TensorSummary(tensor)`: the older form, keyed by the op's name.
    TensorV1 {
        description: String,
        labels: Vec<String>,
        display_name: String,
    },
    /// `ImageSummary(tag, tensor)`: up to `max_images` PNG images.
    Image { max_images: i64, bad_color: Value },
    /// `AudioSummaryV2(tag, tensor, sample_rate)`: up to `max_outputs` 16-bit WAV clips.
    Audio { max_outputs: i64 },
}

/// TF's `realnumbertypes` constraint as its message lists it.
const REAL_NUMBER_TYPES: &str =
    "float32, float64, int32, uint8, int16, int8, int64, bfloat16, uint16, float16, uint32, uint64";

impl Family for SummaryOp {
    fn type_name(&self) -> &'static str {
        match self {
            SummaryOp::Scalar => "ScalarSummary",
            SummaryOp::Histogram => "HistogramSummary",
            SummaryOp::Merge => "MergeSummary",
            SummaryOp::TensorV2 => "TensorSummaryV2",
            SummaryOp::TensorV1 { .. } => "TensorSummary",
            SummaryOp::Image { .. } => "ImageSummary",
            SummaryOp::Audio { .. } => "AudioSummaryV2",
        }
    }

    fn from_def(op_type: &str, attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        Some(match op_type {
            "ScalarSummary" => Ok(SummaryOp::Scalar),
            "HistogramSummary" => Ok(SummaryOp::Histogram),
            "MergeSummary" => Ok(SummaryOp::Merge),
            "TensorSummaryV2" => Ok(SummaryOp::TensorV2),
            "TensorSummary" => tensor_v1_from_attrs(attrs),
            "ImageSummary" => image_from_attrs(attrs),
            "AudioSummaryV2" => attrs.int_or("max_outputs", 3).and_then(|max_outputs| {
                if max_outputs < 1 {
                    return Err(Error::invalid(format!(
                        "Attr 'max_outputs' of 'AudioSummaryV2' Op passed {max_outputs} less \
                         than minimum 1."
                    )));
                }
                Ok(SummaryOp::Audio { max_outputs })
            }),
            _ => return None,
        })
    }

    fn attrs(&self, node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        let t = |i: usize| input_types.get(i).map(|d| ("T", AttrValue::Type(*d)));
        match self {
            SummaryOp::Scalar | SummaryOp::Histogram | SummaryOp::TensorV2 => {
                t(1).into_iter().collect()
            }
            SummaryOp::Merge => vec![("N", AttrValue::Int(node.inputs.len() as i64))],
            SummaryOp::TensorV1 {
                description,
                labels,
                display_name,
            } => t(0)
                .into_iter()
                .chain([
                    ("description", AttrValue::Str(description.clone())),
                    ("labels", AttrValue::Strs(labels.clone())),
                    ("display_name", AttrValue::Str(display_name.clone())),
                ])
                .collect(),
            SummaryOp::Image {
                max_images,
                bad_color,
            } => [("max_images", AttrValue::Int(*max_images))]
                .into_iter()
                .chain(t(1))
                .chain([("bad_color", AttrValue::Tensor(bad_color.clone()))])
                .collect(),
            SummaryOp::Audio { max_outputs } => vec![("max_outputs", AttrValue::Int(*max_outputs))],
        }
    }

    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        let op_type = self.type_name();
        match self {
            SummaryOp::Scalar | SummaryOp::Histogram => {
                ctx.expect_inputs(2)?;
                let tag_arg = if matches!(self, SummaryOp::Scalar) {
                    "tags"
                } else {
                    "tag"
                };
                expect_string(ctx, op_type, 0, tag_arg)?;
                expect_types(ctx, 1, "values", &REAL_TYPES, REAL_NUMBER_TYPES)?;
            }
            SummaryOp::Merge => {
                if ctx.num_inputs() == 0 {
                    return Err(Error::invalid(
                        "List argument 'inputs' to 'MergeSummary' Op with length 0 shorter than \
                         minimum length 1.",
                    ));
                }
                let types = (0..ctx.num_inputs())
                    .map(|i| ctx.dtype(i))
                    .collect::<Result<Vec<DType>>>()?;
                if types.iter().any(|&t| t != DType::Str) {
                    let names: Vec<&str> = types.iter().map(|t| t.name()).collect();
                    return Err(Error::type_error(format!(
                        "Tensors in list passed to 'inputs' of 'MergeSummary' Op have types \
                         [{}] that do not match expected type string.",
                        names.join(", ")
                    )));
                }
            }
            SummaryOp::TensorV2 => {
                ctx.expect_inputs(3)?;
                expect_string(ctx, op_type, 0, "tag")?;
                expect_string(ctx, op_type, 2, "serialized_summary_metadata")?;
            }
            SummaryOp::TensorV1 { .. } => ctx.expect_inputs(1)?,
            SummaryOp::Image { .. } => {
                ctx.expect_inputs(2)?;
                expect_string(ctx, op_type, 0, "tag")?;
                expect_types(
                    ctx,
                    1,
                    "tensor",
                    &[DType::U8, DType::F16, DType::F32, DType::F64],
                    "uint8, float32, float16, float64",
                )?;
            }
            SummaryOp::Audio { .. } => {
                ctx.expect_inputs(3)?;
                expect_string(ctx, op_type, 0, "tag")?;
                for (i, arg) in [(1, "tensor"), (2, "sample_rate")] {
                    let dtype = ctx.dtype(i)?;
                    if dtype != DType::F32 {
                        return Err(Error::type_error(format!(
                            "Input '{arg}' of 'AudioSummaryV2' Op has type {dtype} that does \
                             not match expected type of float32."
                        )));
                    }
                }
            }
        }
        one(DType::Str, Shape::scalar())
    }

    fn compute(&self, ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let input = |i: usize| {
            inputs
                .get(i)
                .ok_or_else(|| Error::internal("summary op without its inputs"))
        };
        let summary = match self {
            SummaryOp::Scalar => scalar_summary(input(0)?, input(1)?)?,
            SummaryOp::Histogram => histogram_summary(ctx.name, input(0)?, input(1)?)?,
            SummaryOp::Merge => merge_summaries(inputs)?,
            SummaryOp::TensorV2 => {
                let tag = scalar_string(input(0)?, "tag must be scalar")?;
                let metadata =
                    scalar_string(input(2)?, "serialized_summary_metadata must be scalar")?;
                let mut value = Proto::default();
                value.bytes(1, tag);
                value.message(8, &tensor_proto(input(1)?));
                // TF parses the metadata into the value and serializes it again; for the
                // canonical bytes `SerializeToString` gives, that is the same bytes.
                value.bytes_present(9, metadata);
                summary_of([value])
            }
            SummaryOp::TensorV1 { .. } => {
                let mut value = Proto::default();
                value.bytes(7, ctx.name.as_bytes());
                value.message(8, &tensor_proto(input(0)?));
                summary_of([value])
            }
            SummaryOp::Image {
                max_images,
                bad_color,
            } => image_summary(*max_images, bad_color, input(0)?, input(1)?)?,
            SummaryOp::Audio { max_outputs } => {
                audio_summary(*max_outputs, input(0)?, input(1)?, input(2)?)?
            }
        };
        Ok(smallvec![Value::Str(ArcArray::from_elem(
            IxDyn(&[]),
            summary
        ))])
    }

    fn register_gradients(r: &mut GradRegistry) {
        for op in [
            "ScalarSummary",
            "HistogramSummary",
            "MergeSummary",
            "TensorSummaryV2",
            "TensorSummary",
            "ImageSummary",
            "AudioSummaryV2",
        ] {
            r.not_differentiable(op);
        }
    }
}

const REAL_TYPES: [DType; 8] = [
    DType::F16,
    DType::F32,
    DType::F64,
    DType::I32,
    DType::U8,
    DType::I16,
    DType::I8,
    DType::I64,
];

fn tensor_v1_from_attrs(attrs: &Attrs) -> Result<SummaryOp> {
    let labels = match attrs.get("labels") {
        None => Vec::new(),
        Some(AttrValue::Strs(v)) => v.clone(),
        // An empty Python list arrives without an element type.
        Some(AttrValue::Ints(v)) if v.is_empty() => Vec::new(),
        Some(other) => {
            return Err(Error::type_error(format!(
                "attr 'labels' expects a list of strings, got {other:?}"
            )))
        }
    };
    Ok(SummaryOp::TensorV1 {
        description: attrs.str_or("description", "")?,
        labels,
        display_name: attrs.str_or("display_name", "")?,
    })
}

/// `ImageSummary`'s attributes with the checks TF's op def and kernel constructor make.
fn image_from_attrs(attrs: &Attrs) -> Result<SummaryOp> {
    let max_images = attrs.int_or("max_images", 3)?;
    if max_images < 1 {
        return Err(Error::invalid(format!(
            "Attr 'max_images' of 'ImageSummary' Op passed {max_images} less than minimum 1."
        )));
    }
    if max_images >= 1 << 31 {
        return Err(Error::invalid("max_images must be < 2^31"));
    }
    let bad_color = match attrs.get("bad_color") {
        None => Value::from_vec(&[4], vec![255u8, 0, 0, 255])?,
        Some(AttrValue::Tensor(v)) => v.clone(),
        Some(other) => {
            return Err(Error::type_error(format!(
                "attr 'bad_color' expects a tensor, got {other:?}"
            )))
        }
    };
    if bad_color.dtype() != DType::U8 {
        return Err(Error::invalid(format!(
            "bad_color must be uint8, got {}",
            bad_color.dtype().name()
        )));
    }
    if bad_color.shape().len() != 1 {
        return Err(Error::invalid(format!(
            "bad_color must be a vector, got shape {}",
            Shape::known(bad_color.shape()).bracketed()
        )));
    }
    Ok(SummaryOp::Image {
        max_images,
        bad_color,
    })
}

/// TF's text for a tensor of another type given to a `string` input.
fn expect_string(ctx: &InferCtx<'_>, op_type: &str, i: usize, arg: &str) -> Result<()> {
    let dtype = ctx.dtype(i)?;
    if dtype != DType::Str {
        return Err(Error::type_error(format!(
            "Input '{arg}' of '{op_type}' Op has type {dtype} that does not match expected \
             type of string."
        )));
    }
    Ok(())
}

fn expect_types(
    ctx: &InferCtx<'_>,
    i: usize,
    arg: &str,
    allowed: &[DType],
    listed: &str,
) -> Result<()> {
    let dtype = ctx.dtype(i)?;
    if !allowed.contains(&dtype) {
        return Err(Error::type_error(format!(
            "Value passed to parameter '{arg}' has DataType {dtype} not in list of allowed \
             values: {listed}"
        )));
    }
    Ok(())
}

/// The one string of a scalar string tensor, or `message` as an `InvalidArgumentError`.
fn scalar_string<'a>(v: &'a Value, message: &str) -> Result<&'a [u8]> {
    let a = strings_of(v)?;
    match a.iter().next() {
        Some(s) if a.ndim() == 0 => Ok(s),
        _ => Err(Error::op_invalid(message)),
    }
}

/// A `Summary` holding the given `Summary.Value`s, serialized.
fn summary_of(values: impl IntoIterator<Item = Proto>) -> Vec<u8> {
    let mut summary = Proto::default();
    for value in values {
        summary.message(1, &value);
    }
    summary.buf
}

// ===== ScalarSummary =====

/// The elements of a real-number tensor as C++'s `float(x)` converts them.
fn as_f32s(v: &Value) -> Result<Vec<f32>> {
    Ok(match v {
        Value::F32(a) => a.iter().copied().collect(),
        Value::F64(a) => a.iter().map(|&x| x as f32).collect(),
        Value::I8(a) => a.iter().map(|&x| f32::from(x)).collect(),
        Value::I16(a) => a.iter().map(|&x| f32::from(x)).collect(),
        Value::I32(a) => a.iter().map(|&x| x as f32).collect(),
        Value::I64(a) => a.iter().map(|&x| x as f32).collect(),
        Value::U8(a) => a.iter().map(|&x| f32::from(x)).collect(),
        other => {
            return Err(Error::op_invalid(format!(
                "summary values must be real numbers, got {}",
                other.dtype()
            )))
        }
    })
}

fn as_f64s(v: &Value) -> Result<Vec<f64>> {
    Ok(match v {
        Value::F32(a) => a.iter().map(|&x| f64::from(x)).collect(),
        Value::F64(a) => a.iter().copied().collect(),
        Value::I8(a) => a.iter().map(|&x| f64::from(x)).collect(),
        Value::I16(a) => a.iter().map(|&x| f64::from(x)).collect(),
        Value::I32(a) => a.iter().map(|&x| f64::from(x)).collect(),
        Value::I64(a) => a.iter().map(|&x| x as f64).collect(),
        Value::U8(a) => a.iter().map(|&x| f64::from(x)).collect(),
        other => {
            return Err(Error::op_invalid(format!(
                "summary values must be real numbers, got {}",
                other.dtype()
            )))
        }
    })
}

fn scalar_summary(tags: &Value, values: &Value) -> Result<Vec<u8>> {
    let tag_strings = strings_of(tags)?;
    if tags.shape() != values.shape() {
        // TF names the tag when there is exactly one.
        let single = match (tag_strings.len(), tag_strings.iter().next()) {
            (1, Some(t)) => format!(" (tag '{}')", String::from_utf8_lossy(t)),
            _ => String::new(),
        };
        return Err(Error::op_invalid(format!(
            "tags and values are not the same shape: {} != {}{single}",
            Shape::known(tags.shape()).bracketed(),
            Shape::known(values.shape()).bracketed()
        )));
    }
    let numbers = as_f32s(values)?;
    Ok(summary_of(tag_strings.iter().zip(numbers).map(
        |(tag, x)| {
            let mut value = Proto::default();
            value.bytes(1, tag);
            value.float_present(2, x);
            value
        },
    )))
}

// ===== HistogramSummary =====

/// TF's default bucket limits: `±1e-12 * 1.1^k` below 1e20, `±DBL_MAX` at the ends, and 0.
fn default_bucket_limits() -> &'static [f64] {
    static LIMITS: OnceLock<Vec<f64>> = OnceLock::new();
    LIMITS.get_or_init(|| {
        let mut positive = Vec::new();
        let mut v = 1.0e-12;
        while v < 1.0e20 {
            positive.push(v);
            v *= 1.1;
        }
        positive.push(f64::MAX);
        let mut limits: Vec<f64> = positive.iter().rev().map(|&x| -x).collect();
        limits.push(0.0);
        limits.extend_from_slice(&positive);
        limits
    })
}

/// TF's `histogram::Histogram` over the default buckets, encoded as its `EncodeToProto`
/// with empty buckets dropped: each run of empty buckets becomes one entry at the run's end.
fn histogram_proto(values: &[f64]) -> Proto {
    let limits = default_bucket_limits();
    let mut counts = vec![0.0f64; limits.len()];
    let (mut min, mut max) = (f64::MAX, -f64::MAX);
    let (mut sum, mut sum_squares) = (0.0, 0.0);
    for &x in values {
        // The first bucket whose limit exceeds x (C++'s upper_bound); DBL_MAX itself goes
        // to the last bucket.
        let b = limits
            .partition_point(|&l| l <= x)
            .min(limits.len().saturating_sub(1));
        if let Some(c) = counts.get_mut(b) {
            *c += 1.0;
        }
        min = min.min(x);
        max = max.max(x);
        sum += x;
        sum_squares += x * x;
    }
    let (mut bucket_limit, mut bucket) = (Vec::new(), Vec::new());
    let mut i = 0;
    while let (Some(&limit), Some(&count)) = (limits.get(i), counts.get(i)) {
        let (mut end, mut n) = (limit, count);
        i += 1;
        if n <= 0.0 {
            while let (Some(&l), Some(&c)) = (limits.get(i), counts.get(i)) {
                if c > 0.0 {
                    break;
                }
                (end, n) = (l, c);
                i += 1;
            }
        }
        bucket_limit.push(end);
        bucket.push(n);
    }
    let mut proto = Proto::default();
    proto.double(1, min);
    proto.double(2, max);
    proto.double(3, values.len() as f64);
    proto.double(4, sum);
    proto.double(5, sum_squares);
    proto.packed_doubles(6, &bucket_limit);
    proto.packed_doubles(7, &bucket);
    proto
}

fn histogram_summary(name: &str, tag: &Value, values: &Value) -> Result<Vec<u8>> {
    let tag = scalar_string(tag, "tags must be scalar")?;
    let numbers = as_f64s(values)?;
    if let Some(bad) = numbers.iter().find(|x| !x.is_finite()) {
        let what = if bad.is_nan() {
            "Nan in summary histogram"
        } else {
            "Infinity in Histogram"
        };
        return Err(Error::op_invalid(format!("{what} for: {name}")));
    }
    let mut value = Proto::default();
    value.bytes(1, tag);
    value.message(5, &histogram_proto(&numbers));
    Ok(summary_of([value]))
}

// ===== MergeSummary =====

/// The `Summary.Value`s of a serialized `Summary` (raw bytes) and their tags, or `None` when
/// the bytes are not a protocol buffer.
fn summary_values(bytes: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let mut out = Vec::new();
    for (field, payload) in proto_fields(bytes)? {
        if field != (1, WIRE_LEN) {
            continue; // not a `value`: TF drops what it does not know
        }
        let mut tag: &[u8] = &[];
        for (inner, data) in proto_fields(payload)? {
            if inner == (1, WIRE_LEN) {
                tag = data;
            }
        }
        out.push((payload, tag));
    }
    Some(out)
}

fn merge_summaries(inputs: &[Value]) -> Result<Vec<u8>> {
    let mut tags: HashSet<&[u8]> = HashSet::new();
    let mut merged = Proto::default();
    for input in inputs {
        for serialized in strings_of(input)?.iter() {
            let values = summary_values(serialized)
                .ok_or_else(|| Error::op_invalid("Could not parse one of the summary inputs"))?;
            for (value, tag) in values {
                // TensorSummary values carry no tag; those never clash.
                if !tag.is_empty() && !tags.insert(tag) {
                    return Err(Error::op_invalid(format!(
                        "Duplicate tag {} found in summary inputs",
                        String::from_utf8_lossy(tag)
                    )));
                }
                merged.bytes_present(1, value);
            }
        }
    }
    Ok(merged.buf)
}

// ===== TensorSummaryV2 / TensorSummary =====

/// TF's `DataType` enum number.
fn data_type_number(dtype: DType) -> u64 {
    match dtype {
        DType::F32 => 1,
        DType::F64 => 2,
        DType::F16 => 19,
        DType::I32 => 3,
        DType::U8 => 4,
        DType::I16 => 5,
        DType::I8 => 6,
        DType::Str => 7,
        DType::I64 => 9,
        DType::Bool => 10,
        DType::C64 => 8,
        DType::C128 => 18,
    }
}

/// `Tensor::AsProtoTensorContent` (numbers: raw little-endian bytes in `tensor_content`), or
/// for strings `AsProtoField` (one `string_val` per element), as TF's summary kernels choose.
fn tensor_proto(v: &Value) -> Proto {
    let mut proto = Proto::default();
    proto.uint(1, data_type_number(v.dtype()));
    let mut shape = Proto::default();
    for &d in v.shape() {
        let mut dim = Proto::default();
        dim.uint(1, d as u64);
        shape.message(2, &dim);
    }
    proto.message(2, &shape);
    let content: Vec<u8> = match v {
        Value::Str(a) => {
            for s in a.iter() {
                proto.bytes_present(8, s);
            }
            return proto;
        }
        Value::F16(a) => a.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Value::F32(a) => a.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Value::F64(a) => a.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Value::I8(a) => a.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Value::I16(a) => a.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Value::I32(a) => a.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Value::I64(a) => a.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Value::U8(a) => a.iter().copied().collect(),
        Value::Bool(a) => a.iter().map(|&b| u8::from(b)).collect(),
        Value::C64(a) => a
            .iter()
            .flat_map(|z| [z.re.to_le_bytes(), z.im.to_le_bytes()])
            .flatten()
            .collect(),
        Value::C128(a) => a
            .iter()
            .flat_map(|z| [z.re.to_le_bytes(), z.im.to_le_bytes()])
            .flatten()
            .collect(),
    };
    proto.bytes(4, &content);
    proto
}

// ===== ImageSummary =====

fn image_summary(
    max_images: i64,
    bad_color: &Value,
    tag: &Value,
    tensor: &Value,
) -> Result<Vec<u8>> {
    let base_tag = scalar_string(tag, "Tags must be a scalar")?;
    let dims = tensor.shape();
    let shape_text = || Shape::known(dims).bracketed();
    let &[batch, h, w, depth] = dims else {
        return Err(Error::op_invalid(format!(
            "Tensor must be 4-D with last dim 1, 3, or 4, not {}",
            shape_text()
        )));
    };
    if !matches!(depth, 1 | 3 | 4) {
        return Err(Error::op_invalid(format!(
            "Tensor must be 4-D with last dim 1, 3, or 4, not {}",
            shape_text()
        )));
    }
    if h == 0 || w == 0 {
        let dims: Vec<String> = dims.iter().map(usize::to_string).collect();
        return Err(Error::op_invalid(format!(
            "input tensor must have non-zero dims. Found: [{}].",
            dims.join(", ")
        )));
    }
    const LIMIT: usize = 1 << 31;
    if batch >= LIMIT || h >= LIMIT || w >= LIMIT || h.saturating_mul(w) >= 1 << 29 {
        return Err(Error::op_invalid(format!(
            "Tensor too large for summary {}",
            shape_text()
        )));
    }
    let pixels = h * w * depth;
    let n = usize::try_from(max_images).unwrap_or(usize::MAX).min(batch);
    let images: Vec<Vec<u8>> = match tensor {
        Value::U8(a) => {
            let flat: Vec<u8> = a.iter().copied().collect();
            (0..n)
                .map(|i| nth_image(&flat, i, pixels).to_vec())
                .collect()
        }
        Value::F32(_) | Value::F64(_) => {
            let bad: Vec<u8> = bad_color.to_f64_vec().iter().map(|&c| c as u8).collect();
            if bad.len() < depth {
                return Err(Error::op_invalid(format!(
                    "expected depth <= bad_color.size, got depth = {depth}, bad_color.size = {}",
                    bad.len()
                )));
            }
            let bad = bad.get(..depth).unwrap_or(&[]);
            match tensor {
                Value::F32(a) => {
                    let flat: Vec<f32> = a.iter().copied().collect();
                    (0..n)
                        .map(|i| normalize_image(nth_image(&flat, i, pixels), depth, bad))
                        .collect()
                }
                Value::F64(a) => {
                    let flat: Vec<f64> = a.iter().copied().collect();
                    (0..n)
                        .map(|i| normalize_image(nth_image(&flat, i, pixels), depth, bad))
                        .collect()
                }
                _ => Vec::new(),
            }
        }
        other => {
            return Err(Error::op_invalid(format!(
                "ImageSummary has no kernel for {}",
                other.dtype()
            )))
        }
    };
    let mut values = Vec::with_capacity(n);
    for (i, image) in images.iter().enumerate() {
        let tag = numbered_tag(base_tag, "image", max_images, i);
        let mut proto = Proto::default();
        proto.uint(1, h as u64);
        proto.uint(2, w as u64);
        proto.uint(3, depth as u64);
        proto.bytes(4, &png::encode(image, w, h, depth)?);
        let mut value = Proto::default();
        value.bytes(1, &tag);
        value.message(4, &proto);
        values.push(value);
    }
    Ok(summary_of(values))
}

/// A float element type of images (TF's kernel computes in the image's own type).
trait ImageFloat: Copy {
    fn to_f32(self) -> f32;
    fn from_f32(x: f32) -> Self;
    fn is_finite(self) -> bool;
    /// `x * scale + offset` in this type, cast to uint8 as C++ does (truncation).
    fn affine_u8(self, scale: Self, offset: Self) -> u8;
}

impl ImageFloat for f32 {
    fn to_f32(self) -> f32 {
        self
    }
    fn from_f32(x: f32) -> Self {
        x
    }
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
    fn affine_u8(self, scale: Self, offset: Self) -> u8 {
        (self * scale + offset) as u8
    }
}

impl ImageFloat for f64 {
    fn to_f32(self) -> f32 {
        self as f32
    }
    fn from_f32(x: f32) -> Self {
        f64::from(x)
    }
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    fn affine_u8(self, scale: Self, offset: Self) -> u8 {
        (self * scale + offset) as u8
    }
}

/// The tag of the `i`th of several outputs: `<tag>/<kind>/<i>`, or `<tag>/<kind>` when at
/// most one was asked for (the number requested, not produced, decides).
fn numbered_tag(base: &[u8], kind: &str, max_outputs: i64, i: usize) -> Vec<u8> {
    let mut tag = base.to_vec();
    if max_outputs > 1 {
        tag.extend_from_slice(format!("/{kind}/{i}").as_bytes());
    } else {
        tag.extend_from_slice(format!("/{kind}").as_bytes());
    }
    tag
}

fn nth_image<T>(flat: &[T], i: usize, pixels: usize) -> &[T] {
    flat.get(i * pixels..(i + 1) * pixels).unwrap_or(&[])
}

/// TF's `NormalizeFloatImage`: pixels with a non-finite channel become `bad_color`; the
/// rest are scaled so the largest is 255 (all non-negative) or shifted so 0 sits at 128 and
/// scaled by the largest magnitude (some negative).
fn normalize_image<T: ImageFloat>(image: &[T], depth: usize, bad_color: &[u8]) -> Vec<u8> {
    let finite = |px: &[T]| px.iter().all(|x| x.is_finite());
    let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
    for px in image.chunks(depth).filter(|px| finite(px)) {
        for x in px {
            lo = lo.min(x.to_f32());
            hi = hi.max(x.to_f32());
        }
    }
    const ZERO_THRESHOLD: f32 = 1e-6;
    let (scale, offset) = if lo < 0.0 {
        let m = lo.abs().max(hi.abs());
        (if m < ZERO_THRESHOLD { 0.0 } else { 127.0 / m }, 128.0)
    } else {
        (if hi < ZERO_THRESHOLD { 0.0 } else { 255.0 / hi }, 0.0)
    };
    let (scale, offset) = (T::from_f32(scale), T::from_f32(offset));
    let mut out = Vec::with_capacity(image.len());
    for px in image.chunks(depth) {
        if finite(px) {
            out.extend(px.iter().map(|x| x.affine_u8(scale, offset)));
        } else {
            out.extend_from_slice(bad_color);
        }
    }
    out
}

// ===== AudioSummaryV2 =====

fn audio_summary(
    max_outputs: i64,
    tag: &Value,
    tensor: &Value,
    sample_rate: &Value,
) -> Result<Vec<u8>> {
    let base_tag = scalar_string(tag, "Tag must be a scalar")?;
    let dims = tensor.shape();
    if !(2..=3).contains(&dims.len()) {
        return Err(Error::op_invalid(format!(
            "Tensor must be 3-D or 2-D, got: {}",
            Shape::known(dims).bracketed()
        )));
    }
    let rate = match sample_rate {
        Value::F32(a) if a.len() == 1 => a.iter().next().copied().unwrap_or(0.0),
        _ => {
            return Err(Error::op_invalid(
                "sample_rate must be rank-0 or contain a single value",
            ))
        }
    };
    // NaN fails as well, as TF's `sample_rate > 0.0f` check.
    if rate.is_nan() || rate <= 0.0 {
        return Err(Error::op_invalid("sample_rate must be > 0"));
    }
    let (batch, frames) = (
        dims.first().copied().unwrap_or(0),
        dims.get(1).copied().unwrap_or(0),
    );
    let channels = if dims.len() == 2 {
        1
    } else {
        dims.get(2).copied().unwrap_or(0)
    };
    let Value::F32(a) = tensor else {
        return Err(Error::op_invalid("AudioSummaryV2 takes float32 audio"));
    };
    let flat: Vec<f32> = a.iter().copied().collect();
    let clip = frames * channels;
    // lrintf: to the nearest integer, ties to even.
    let rate_hz = (rate.round_ties_even() as u64).max(1);
    let n = usize::try_from(max_outputs)
        .unwrap_or(usize::MAX)
        .min(batch);
    let mut values = Vec::with_capacity(n);
    for i in 0..n {
        let samples = flat.get(i * clip..(i + 1) * clip).unwrap_or(&[]);
        let mut audio = Proto::default();
        audio.float(1, rate);
        audio.uint(2, channels as u64);
        audio.uint(3, frames as u64);
        audio.bytes(4, &wav(samples, rate_hz, channels, frames)?);
        audio.bytes(5, b"audio/wav");
        let mut value = Proto::default();
        value.bytes(1, &numbered_tag(base_tag, "audio", max_outputs, i));
        value.message(6, &audio);
        values.push(value);
    }
    Ok(summary_of(values))
}

/// TF's `EncodeAudioAsS16LEWav`: a 44-byte RIFF/WAVE header and the samples as 16-bit PCM.
fn wav(samples: &[f32], rate: u64, channels: usize, frames: usize) -> Result<Vec<u8>> {
    // TF hands the encoder no buffer for an empty tensor; that is an error unless there are
    // no frames to read from it.
    if samples.is_empty() && frames > 0 {
        return Err(Error::op_invalid("audio is null"));
    }
    if rate > u64::from(u32::MAX) {
        return Err(Error::op_invalid(format!(
            "sample_rate must be in (0, 2^32), got: {rate}"
        )));
    }
    if channels == 0 || channels > usize::from(u16::MAX) {
        return Err(Error::op_invalid(format!(
            "num_channels must be in (0, 2^16), got: {channels}"
        )));
    }
    const HEADER: usize = 44;
    let data_size = samples.len().saturating_mul(2);
    let file_size = HEADER.saturating_add(data_size);
    let (Ok(file_size32), Ok(data_size32)) = (u32::try_from(file_size), u32::try_from(data_size))
    else {
        return Err(Error::op_invalid(
            "Provided channels and frames cannot be encoded as a WAV.",
        ));
    };
    let rate32 = rate as u32;
    let mut out = Vec::with_capacity(file_size);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(file_size32 - 8).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&(channels as u16).to_le_bytes());
    out.extend_from_slice(&rate32.to_le_bytes());
    let frame_bytes = 2 * channels as u32;
    out.extend_from_slice(&rate32.wrapping_mul(frame_bytes).to_le_bytes());
    out.extend_from_slice(&((2 * channels) as u16).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_size32.to_le_bytes());
    for &x in samples {
        // roundf, then clamped; a NaN ends as 0 (what x86 makes of TF's NaN-to-int16 cast).
        let scaled = (x * 32768.0).round();
        let sample = if scaled.is_nan() {
            0
        } else {
            scaled.clamp(-32768.0, 32767.0) as i16
        };
        out.extend_from_slice(&sample.to_le_bytes());
    }
    Ok(out)
}

/// A minimal PNG writer: 8-bit grey, RGB or RGBA, no filtering, and the zlib stream made of
/// stored (uncompressed) deflate blocks. Valid for every decoder; larger than TF's
/// zlib-compressed PNGs, which a compressor would be needed to reproduce byte for byte.
mod png {
    use crate::error::{Error, Result};

    const CRC_TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut n = 0;
        while n < 256 {
            let mut c = n as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[n] = c;
            n += 1;
        }
        table
    };

    /// CRC-32 (ISO-HDLC), as PNG chunks use.
    fn crc32(parts: &[&[u8]]) -> u32 {
        let mut c = u32::MAX;
        for part in parts {
            for &b in *part {
                let entry = CRC_TABLE
                    .get(((c ^ u32::from(b)) & 0xFF) as usize)
                    .copied()
                    .unwrap_or(0);
                c = entry ^ (c >> 8);
            }
        }
        c ^ u32::MAX
    }

    fn adler32(data: &[u8]) -> u32 {
        let (mut a, mut b) = (1u32, 0u32);
        for chunk in data.chunks(5552) {
            for &x in chunk {
                a += u32::from(x);
                b += a;
            }
            a %= 65521;
            b %= 65521;
        }
        (b << 16) | a
    }

    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) -> Result<()> {
        let len = u32::try_from(data.len())
            .map_err(|_| Error::internal("PNG encoding failed: chunk too large"))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc32(&[kind.as_slice(), data]).to_be_bytes());
        Ok(())
    }

    /// `pixels`: `height` rows of `width * channels` bytes.
    pub(super) fn encode(
        pixels: &[u8],
        width: usize,
        height: usize,
        channels: usize,
    ) -> Result<Vec<u8>> {
        let color_type = match channels {
            1 => 0u8,
            3 => 2,
            4 => 6,
            _ => return Err(Error::internal("PNG encoding failed")),
        };
        // libpng refuses empty images, so TF's kernel fails on them.
        let (Ok(w), Ok(h)) = (u32::try_from(width), u32::try_from(height)) else {
            return Err(Error::internal("PNG encoding failed"));
        };
        if w == 0 || h == 0 {
            return Err(Error::internal("PNG encoding failed"));
        }
        let row = width * channels;
        let mut raw = Vec::with_capacity((row + 1) * height);
        for line in pixels.chunks(row).take(height) {
            raw.push(0); // filter: none
            raw.extend_from_slice(line);
        }
        let mut zlib = vec![0x78, 0x01];
        let blocks: Vec<&[u8]> = if raw.is_empty() {
            vec![&[]]
        } else {
            raw.chunks(0xFFFF).collect()
        };
        let last = blocks.len().saturating_sub(1);
        for (i, block) in blocks.iter().enumerate() {
            zlib.push(u8::from(i == last));
            let len = block.len() as u16;
            zlib.extend_from_slice(&len.to_le_bytes());
            zlib.extend_from_slice(&(!len).to_le_bytes());
            zlib.extend_from_slice(block);
        }
        zlib.extend_from_slice(&adler32(&raw).to_be_bytes());

        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut header = Vec::with_capacity(13);
        header.extend_from_slice(&w.to_be_bytes());
        header.extend_from_slice(&h.to_be_bytes());
        header.extend_from_slice(&[8, color_type, 0, 0, 0]);
        chunk(&mut out, b"IHDR", &header)?;
        chunk(&mut out, b"IDAT", &zlib)?;
        chunk(&mut out, b"IEND", &[])?;
        Ok(out)
    }
}

// ===== protocol buffer encoding =====

const WIRE_VARINT: u8 = 0;
const WIRE_FIXED64: u8 = 1;
const WIRE_LEN: u8 = 2;
const WIRE_FIXED32: u8 = 5;

/// A message being serialized. Fields are written in the order of the calls, which callers
/// keep to field-number order as protobuf's C++ serializer does. The plain setters skip
/// proto3's default values (as an unset proto3 scalar is not written); the `_present` ones
/// write whatever they get (oneof members, repeated elements).
#[derive(Default)]
pub(crate) struct Proto {
    buf: Vec<u8>,
}

impl Proto {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }
    fn key(&mut self, field: u32, wire: u8) {
        self.varint((u64::from(field) << 3) | u64::from(wire));
    }
    fn uint(&mut self, field: u32, v: u64) {
        if v != 0 {
            self.key(field, WIRE_VARINT);
            self.varint(v);
        }
    }
    fn double(&mut self, field: u32, v: f64) {
        // proto3 skips a double whose bits are zero (so -0.0 is written).
        if v.to_bits() != 0 {
            self.key(field, WIRE_FIXED64);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
    }
    fn float(&mut self, field: u32, v: f32) {
        if v.to_bits() != 0 {
            self.float_present(field, v);
        }
    }
    fn float_present(&mut self, field: u32, v: f32) {
        self.key(field, WIRE_FIXED32);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, field: u32, v: &[u8]) {
        if !v.is_empty() {
            self.bytes_present(field, v);
        }
    }
    fn bytes_present(&mut self, field: u32, v: &[u8]) {
        self.key(field, WIRE_LEN);
        self.varint(v.len() as u64);
        self.buf.extend_from_slice(v);
    }
    fn message(&mut self, field: u32, m: &Proto) {
        self.bytes_present(field, &m.buf);
    }
    fn packed_doubles(&mut self, field: u32, v: &[f64]) {
        if !v.is_empty() {
            let data: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            self.bytes_present(field, &data);
        }
    }
}

fn read_varint(data: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *data.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7F) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

/// One field of a serialized message: (number, wire type) and its payload.
type RawField<'a> = ((u32, u8), &'a [u8]);

/// The top-level fields of a serialized message as ((number, wire type), payload), or
/// `None` if the bytes are malformed. Groups (wire types 3 and 4) count as malformed.
fn proto_fields(data: &[u8]) -> Option<Vec<RawField<'_>>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let key = read_varint(data, &mut pos)?;
        let field = u32::try_from(key >> 3).ok().filter(|&f| f != 0)?;
        let wire = (key & 7) as u8;
        let start = pos;
        let end = match wire {
            WIRE_VARINT => {
                read_varint(data, &mut pos)?;
                pos
            }
            WIRE_FIXED64 => start.checked_add(8)?,
            WIRE_LEN => {
                let len = usize::try_from(read_varint(data, &mut pos)?).ok()?;
                let begin = pos;
                out.push(((field, wire), data.get(begin..begin.checked_add(len)?)?));
                pos = begin + len;
                continue;
            }
            WIRE_FIXED32 => start.checked_add(4)?,
            _ => return None,
        };
        out.push(((field, wire), data.get(start..end)?));
        pos = end;
    }
    Some(out)
}
