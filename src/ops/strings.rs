//! The `string` dtype's place in the op set: which TF ops take string tensors, and the
//! string ops themselves (StringJoin, AsString, StringFormat, StringLength, Substr, ...).

use super::{one, Family, InferCtx, KernelCtx, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::graph::{Metas, Node};
use crate::shape::{broadcast_dims, Shape};
use crate::value::{Arr, Value};
use ndarray::{IxDyn, Zip};
use smallvec::{smallvec, SmallVec};

/// TF op types whose kernels are registered for `string` tensors (checked against TF 2.21):
/// layout and selection ops that move elements without looking at them, equality, and the
/// string ops. Every other op refuses a string input when it is built, as TF's op-def
/// type constraints do.
const TAKES_STRINGS: &[&str] = &[
    "Const",
    "Unique",
    "UniqueWithCounts",
    "ListDiff",
    "Placeholder",
    "PlaceholderWithDefault",
    "Identity",
    "IdentityN",
    "StopGradient",
    "Snapshot",
    "Reshape",
    "ExpandDims",
    "Squeeze",
    "Pack",
    "Unpack",
    "ConcatV2",
    "Concat",
    "GatherV2",
    "Gather",
    "GatherNd",
    "Tile",
    "Transpose",
    "Slice",
    "StridedSlice",
    "Fill",
    "ZerosLike",
    "Equal",
    "NotEqual",
    "Shape",
    "ShapeN",
    "Size",
    "Rank",
    "Select",
    "SelectV2",
    "BroadcastTo",
    "Split",
    "SplitV",
    "ReverseV2",
    "Pad",
    "PadV2",
    "Switch",
    "Merge",
    "Assert",
    "Print",
    "PrintV2",
    "NoOp",
    "StringJoin",
    "AsString",
    "StringFormat",
    "StringLength",
    "Substr",
    "StringUpper",
    "StringLower",
    "ScalarSummary",
    "HistogramSummary",
    "TensorSummary",
    "TensorSummaryV2",
    "MergeSummary",
    "ImageSummary",
    "AudioSummaryV2",
    // Python callbacks take any dtype (dataset iterator handles and text elements are strings).
    "PyFunc",
    "PyFuncStateless",
    // A string variable (a file name, a vocabulary entry) is set whole, as in TF.
    "AssignVariableOp",
];

/// TF's build-time type error for a string input to an op without a string kernel.
pub(crate) fn check_inputs(op_type: &str, ctx: &InferCtx<'_>) -> Result<()> {
    for i in 0..ctx.num_inputs() {
        if ctx.dtype(i)? == DType::Str && !TAKES_STRINGS.contains(&op_type) {
            return Err(Error::type_error(format!(
                "Value passed to input {i} of op '{op_type}' has DataType string not in list \
                 of allowed values"
            )));
        }
    }
    Ok(())
}

/// A kernel reached with a string tensor it has no string version for (the build-time
/// check stops this first; it stays an error rather than a panic).
pub(crate) fn rejected(op_type: &str) -> Error {
    Error::type_error(format!("{op_type} has no kernel for DataType string"))
}

/// absl's `Utf8SafeCEscape`, which TF uses to print string elements: C escapes for quotes,
/// backslash and control bytes, bytes >= 0x80 kept as they are.
pub(crate) fn c_escape(s: &[u8]) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    for &c in s {
        match c {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\'' => out.extend_from_slice(b"\\'"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            c if c < 0x80 && !(0x20..0x7f).contains(&c) => {
                out.extend_from_slice(format!("\\{c:03o}").as_bytes())
            }
            c => out.push(c),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Applies `f` to the elements of two string tensors broadcast together (numpy's rules).
pub(crate) fn zip_strings<O: Clone>(
    a: &Value,
    b: &Value,
    f: impl Fn(&[u8], &[u8]) -> O,
) -> Result<Arr<O>> {
    let (Value::Str(a), Value::Str(b)) = (a, b) else {
        return Err(Error::internal("zip_strings needs two string tensors"));
    };
    let incompatible = || {
        Error::op_invalid(format!(
            "Incompatible shapes: {} vs. {}",
            Shape::known(a.shape()).bracketed(),
            Shape::known(b.shape()).bracketed()
        ))
    };
    let dims = broadcast_dims(a.shape(), b.shape()).ok_or_else(incompatible)?;
    let (Some(av), Some(bv)) = (a.broadcast(IxDyn(&dims)), b.broadcast(IxDyn(&dims))) else {
        return Err(incompatible());
    };
    Ok(Zip::from(&av)
        .and(&bv)
        .map_collect(|x, y| f(x, y))
        .into_shared())
}

// ===== the string ops =====

/// What `StringLength` and `Substr` count in: bytes or UTF-8 characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Byte,
    Utf8Char,
}

impl Unit {
    fn parse(attrs: &Attrs) -> Result<Unit> {
        match attrs.str_or("unit", "BYTE")?.as_str() {
            "BYTE" => Ok(Unit::Byte),
            "UTF8_CHAR" => Ok(Unit::Utf8Char),
            other => Err(Error::invalid(format!(
                "Value for attr 'unit' of \"{other}\" is not in the list of allowed values: \
                 \"BYTE\", \"UTF8_CHAR\""
            ))),
        }
    }
    fn name(self) -> &'static str {
        match self {
            Unit::Byte => "BYTE",
            Unit::Utf8Char => "UTF8_CHAR",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum StringOp {
    /// `StringJoin(inputs...)`: elementwise concatenation; scalars broadcast.
    StringJoin { separator: String },
    /// `AsString(input)`: numbers and bools as text, printf-style.
    AsString {
        precision: i64,
        scientific: bool,
        shortest: bool,
        width: i64,
        fill: String,
    },
    /// `StringFormat(inputs...)`: `template` with each `placeholder` replaced by a tensor
    /// summarized as TF's `SummarizeValue(summarize, print_v2=true)`; a scalar string.
    StringFormat {
        template: String,
        placeholder: String,
        summarize: i64,
    },
    /// `StringLength(input)`: int32 lengths.
    StringLength { unit: Unit },
    /// `Substr(input, pos, len)`.
    Substr { unit: Unit },
    /// `PrintV2(input)`: writes a scalar string and `end` to `output_stream`.
    PrintV2 { output_stream: String, end: String },
}

impl Family for StringOp {
    fn type_name(&self) -> &'static str {
        match self {
            StringOp::StringJoin { .. } => "StringJoin",
            StringOp::AsString { .. } => "AsString",
            StringOp::StringFormat { .. } => "StringFormat",
            StringOp::StringLength { .. } => "StringLength",
            StringOp::Substr { .. } => "Substr",
            StringOp::PrintV2 { .. } => "PrintV2",
        }
    }

    fn from_def(op_type: &str, attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        let parsed = || -> Result<Self> {
            Ok(match op_type {
                "StringJoin" => StringOp::StringJoin {
                    separator: attrs.str_or("separator", "")?,
                },
                "AsString" => StringOp::AsString {
                    precision: attrs.int_or("precision", -1)?,
                    scientific: attrs.bool_or("scientific", false)?,
                    shortest: attrs.bool_or("shortest", false)?,
                    width: attrs.int_or("width", -1)?,
                    fill: attrs.str_or("fill", "")?,
                },
                "StringFormat" => StringOp::StringFormat {
                    template: attrs.str_or("template", "%s")?,
                    placeholder: attrs.str_or("placeholder", "%s")?,
                    summarize: attrs.int_or("summarize", 3)?,
                },
                "StringLength" => StringOp::StringLength {
                    unit: Unit::parse(attrs)?,
                },
                "Substr" => StringOp::Substr {
                    unit: Unit::parse(attrs)?,
                },
                _ => StringOp::PrintV2 {
                    output_stream: attrs.str_or("output_stream", "stderr")?,
                    end: attrs.str_or("end", "\n")?,
                },
            })
        };
        match op_type {
            "StringJoin" | "AsString" | "StringFormat" | "StringLength" | "Substr" | "PrintV2" => {
                Some(parsed())
            }
            _ => None,
        }
    }

    fn attrs(&self, node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        let t0 = || input_types.first().map(|d| ("T", AttrValue::Type(*d)));
        match self {
            StringOp::StringJoin { separator } => vec![
                ("N", AttrValue::Int(node.inputs.len() as i64)),
                ("separator", AttrValue::Str(separator.clone())),
            ],
            StringOp::AsString {
                precision,
                scientific,
                shortest,
                width,
                fill,
            } => t0()
                .into_iter()
                .chain([
                    ("precision", AttrValue::Int(*precision)),
                    ("scientific", AttrValue::Bool(*scientific)),
                    ("shortest", AttrValue::Bool(*shortest)),
                    ("width", AttrValue::Int(*width)),
                    ("fill", AttrValue::Str(fill.clone())),
                ])
                .collect(),
            StringOp::StringFormat {
                template,
                placeholder,
                summarize,
            } => vec![
                ("T", AttrValue::Types(input_types.to_vec())),
                ("template", AttrValue::Str(template.clone())),
                ("placeholder", AttrValue::Str(placeholder.clone())),
                ("summarize", AttrValue::Int(*summarize)),
            ],
            StringOp::StringLength { unit } => vec![("unit", AttrValue::Str(unit.name().into()))],
            StringOp::Substr { unit } => input_types
                .get(1)
                .map(|d| ("T", AttrValue::Type(*d)))
                .into_iter()
                .chain([("unit", AttrValue::Str(unit.name().into()))])
                .collect(),
            StringOp::PrintV2 { output_stream, end } => vec![
                ("output_stream", AttrValue::Str(output_stream.clone())),
                ("end", AttrValue::Str(end.clone())),
            ],
        }
    }

    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        match self {
            StringOp::StringJoin { .. } => {
                let mut shape = Shape::scalar();
                for i in 0..ctx.num_inputs() {
                    expect_string(ctx, i, "inputs")?;
                    let s = ctx.shape(i)?;
                    if s.rank() == Some(0) {
                        continue;
                    }
                    if shape.rank() == Some(0) {
                        shape = s.clone();
                    } else {
                        shape = shape.merge(s).map_err(|_| {
                            ctx.err(format!(
                                "Inputs must be scalars or have the same shape; shapes are {} and {}",
                                shape.bracketed(),
                                s.bracketed()
                            ))
                        })?;
                    }
                }
                one(DType::Str, shape)
            }
            StringOp::AsString { .. } => {
                ctx.expect_inputs(1)?;
                let dtype = ctx.dtype(0)?;
                if dtype == DType::Str {
                    return Err(Error::type_error(
                        "Value passed to parameter 'input' has DataType string not in list of \
                         allowed values: float32, float64, int32, uint8, int16, int8, int64, bool",
                    ));
                }
                one(DType::Str, ctx.shape(0)?.clone())
            }
            StringOp::StringFormat { .. } => one(DType::Str, Shape::scalar()),
            StringOp::StringLength { .. } => {
                ctx.expect_inputs(1)?;
                expect_string(ctx, 0, "input")?;
                one(DType::I32, ctx.shape(0)?.clone())
            }
            StringOp::Substr { .. } => {
                ctx.expect_inputs(3)?;
                expect_string(ctx, 0, "input")?;
                let index_type = ctx.same_dtype("Substr", 1, 2, ("pos", "len"))?;
                if !matches!(index_type, DType::I32 | DType::I64) {
                    return Err(Error::type_error(format!(
                        "Value passed to parameter 'pos' has DataType {index_type} not in list \
                         of allowed values: int32, int64"
                    )));
                }
                let (input, pos, len) = (ctx.shape(0)?, ctx.shape(1)?, ctx.shape(2)?);
                pos.merge(len).map_err(|_| {
                    ctx.err(format!(
                        "Shape must be rank {} but is rank {}",
                        len.rank().unwrap_or(0),
                        pos.rank().unwrap_or(0)
                    ))
                })?;
                if pos.rank() != Some(0) && !input.is_compatible_with(pos) {
                    return Err(ctx.err(format!(
                        "pos and len must be scalars or have the input's shape; shapes are {} \
                         and {}",
                        input.bracketed(),
                        pos.bracketed()
                    )));
                }
                one(DType::Str, input.clone())
            }
            StringOp::PrintV2 { .. } => {
                ctx.expect_inputs(1)?;
                expect_string(ctx, 0, "input")?;
                if ctx.shape(0)?.rank().is_some_and(|r| r != 0) {
                    return Err(ctx.err(format!(
                        "Shape must be rank 0 but is rank {}",
                        ctx.shape(0)?.rank().unwrap_or(0)
                    )));
                }
                Ok(SmallVec::new())
            }
        }
    }

    fn compute(&self, _ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let first = || {
            inputs
                .first()
                .ok_or_else(|| Error::internal("string op without input"))
        };
        Ok(match self {
            StringOp::StringJoin { separator } => smallvec![join(inputs, separator.as_bytes())?],
            StringOp::AsString {
                precision,
                scientific,
                shortest,
                width,
                fill,
            } => {
                let spec = NumberSpec::new(
                    first()?.dtype(),
                    *precision,
                    *scientific,
                    *shortest,
                    *width,
                    fill,
                )?;
                smallvec![as_string(first()?, &spec)?]
            }
            StringOp::StringFormat {
                template,
                placeholder,
                summarize,
            } => smallvec![Value::Str(ndarray::ArcArray::from_elem(
                IxDyn(&[]),
                format_template(template, placeholder, *summarize, inputs)?
            ))],
            StringOp::StringLength { unit } => {
                let Value::Str(a) = first()? else {
                    return Err(rejected("StringLength"));
                };
                let lengths = a.map(|s| match unit {
                    Unit::Byte => s.len() as i32,
                    Unit::Utf8Char => s.iter().filter(|&&b| !is_continuation(b)).count() as i32,
                });
                smallvec![Value::I32(lengths.into_shared())]
            }
            StringOp::Substr { unit } => smallvec![substr(inputs, *unit)?],
            StringOp::PrintV2 { output_stream, end } => {
                let Value::Str(a) = first()? else {
                    return Err(rejected("PrintV2"));
                };
                let mut text = a.iter().next().cloned().unwrap_or_default();
                text.extend_from_slice(end.as_bytes());
                print_to(output_stream, &text)?;
                SmallVec::new()
            }
        })
    }

    fn register_gradients(r: &mut GradRegistry) {
        for op in [
            "StringJoin",
            "AsString",
            "StringFormat",
            "StringLength",
            "Substr",
            "PrintV2",
        ] {
            r.not_differentiable(op);
        }
    }
}

fn expect_string(ctx: &InferCtx<'_>, i: usize, param: &str) -> Result<()> {
    let dtype = ctx.dtype(i)?;
    if dtype != DType::Str {
        return Err(Error::type_error(format!(
            "Value passed to parameter '{param}' has DataType {dtype} not in list of allowed \
             values: string"
        )));
    }
    Ok(())
}

pub(crate) fn strings_of(v: &Value) -> Result<&Arr<Vec<u8>>> {
    match v {
        Value::Str(a) => Ok(a),
        other => Err(Error::op_invalid(format!(
            "expected a string tensor, got {}",
            other.dtype()
        ))),
    }
}

/// `StringJoin`: the non-scalar inputs share one shape, scalars repeat over it.
fn join(inputs: &[Value], separator: &[u8]) -> Result<Value> {
    let arrays: Vec<&Arr<Vec<u8>>> = inputs.iter().map(strings_of).collect::<Result<_>>()?;
    let mut shape: Vec<usize> = Vec::new();
    for a in &arrays {
        if a.ndim() == 0 {
            continue;
        }
        if shape.is_empty() {
            shape = a.shape().to_vec();
        } else if a.shape() != shape.as_slice() {
            return Err(Error::op_invalid(format!(
                "Input shapes do not match: {} vs. {}",
                Shape::known(&shape).bracketed(),
                Shape::known(a.shape()).bracketed()
            )));
        }
    }
    // Row-major element lists; a scalar is one element read at every position.
    let flat: Vec<Vec<&Vec<u8>>> = arrays.iter().map(|a| a.iter().collect()).collect();
    let n: usize = shape.iter().product();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut s = Vec::new();
        for (k, items) in flat.iter().enumerate() {
            if k > 0 {
                s.extend_from_slice(separator);
            }
            let item = if items.len() == 1 {
                items.first()
            } else {
                items.get(i)
            };
            s.extend_from_slice(item.map_or(&[][..], |v| v.as_slice()));
        }
        out.push(s);
    }
    Value::from_strings(&shape, out)
}

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// Byte offsets of the UTF-8 characters of `s` (each non-continuation byte starts one),
/// plus `s.len()` at the end.
fn char_starts(s: &[u8]) -> Vec<usize> {
    let mut starts: Vec<usize> = (0..s.len()).filter(|&i| !is_continuation(s[i])).collect();
    starts.push(s.len());
    starts
}

/// `Substr`: `len` units from `pos` (negative `pos` counts from the end), clipped at the end;
/// a `pos` outside the string is an error, as TF.
fn substr(inputs: &[Value], unit: Unit) -> Result<Value> {
    let [input, pos, len] = inputs else {
        return Err(Error::internal("Substr takes three inputs"));
    };
    let a = strings_of(input)?;
    let (pos, len) = (pos.to_i64_vec()?, len.to_i64_vec()?);
    let at = |v: &[i64], i: usize| -> i64 {
        if v.len() == 1 {
            v.first().copied().unwrap_or(0)
        } else {
            v.get(i).copied().unwrap_or(0)
        }
    };
    let mut out = Vec::with_capacity(a.len());
    for (i, s) in a.iter().enumerate() {
        let bounds: Vec<usize> = match unit {
            Unit::Byte => (0..=s.len()).collect(),
            Unit::Utf8Char => char_starts(s),
        };
        let count = bounds.len() as i64 - 1;
        let p = at(&pos, i);
        let start = if p < 0 { count + p } else { p };
        if start < 0 || start > count {
            return Err(Error::op_invalid(format!(
                "pos {p} out of range for string b'{}' at index {i}",
                c_escape(s)
            )));
        }
        let end = (start + at(&len, i).max(0)).min(count);
        let (from, to) = (bounds[start as usize], bounds[end as usize]);
        out.push(s.get(from..to).unwrap_or_default().to_vec());
    }
    Value::from_strings(a.shape(), out)
}

/// Where `PrintV2` writes: `stderr`, `stdout`, `log(...)` (to stderr, as TF's default log
/// sink does) or `file://path` (appended).
fn print_to(stream: &str, text: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let written = if let Some(path) = stream.strip_prefix("file://") {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(text))
    } else {
        match stream {
            "stdout" => {
                let mut out = std::io::stdout().lock();
                out.write_all(text).and_then(|()| out.flush())
            }
            "stderr" | "log(info)" | "log(warning)" | "log(error)" => {
                std::io::stderr().lock().write_all(text)
            }
            other => return Err(Error::op_invalid(format!("Unknown output stream: {other}"))),
        }
    };
    written.map_err(|e| Error::op_invalid(format!("PrintV2 could not write to {stream}: {e}")))
}

// ----- AsString: C's printf for one number -----

/// The printf conversion `AsString` builds from its attributes (TF's `%<fill><width>.<p>f`).
pub(crate) struct NumberSpec {
    flag: Option<u8>,
    width: usize,
    precision: Option<usize>,
    conversion: u8,
}

impl NumberSpec {
    fn new(
        dtype: DType,
        precision: i64,
        scientific: bool,
        shortest: bool,
        width: i64,
        fill: &str,
    ) -> Result<NumberSpec> {
        if fill.len() > 1 {
            return Err(Error::op_invalid(
                "Fill string must be one or fewer characters",
            ));
        }
        let flag = fill.bytes().next();
        if let Some(f) = flag {
            if !matches!(f, b' ' | b'+' | b'-' | b'0' | b'#') {
                return Err(Error::op_invalid(format!(
                    "Fill argument not supported: \"{fill}\""
                )));
            }
        }
        let conversion = if dtype.is_floating() {
            if scientific && shortest {
                return Err(Error::op_invalid(
                    "Cannot select both scientific and shortest notation",
                ));
            }
            if shortest {
                b'g'
            } else if scientific {
                b'e'
            } else {
                b'f'
            }
        } else {
            let name = dtype.tf_short_name();
            if precision > -1 {
                return Err(Error::op_invalid(format!(
                    "precision not supported for datatype {name}"
                )));
            }
            if scientific || shortest {
                return Err(Error::op_invalid(format!(
                    "scientific and shortest format not supported for datatype {name}"
                )));
            }
            b'd'
        };
        Ok(NumberSpec {
            flag,
            width: usize::try_from(width).unwrap_or(0),
            precision: usize::try_from(precision).ok(),
            conversion,
        })
    }

    /// `digits` (no sign) padded to the width as C does for the flag.
    fn pad(&self, negative: bool, digits: String, finite: bool) -> String {
        let sign = match (negative, self.flag) {
            (true, _) => "-",
            (false, Some(b'+')) => "+",
            (false, Some(b' ')) => " ",
            _ => "",
        };
        let used = sign.len() + digits.len();
        let fill = self.width.saturating_sub(used);
        match self.flag {
            Some(b'-') => format!("{sign}{digits}{}", " ".repeat(fill)),
            Some(b'0') if finite => format!("{sign}{}{digits}", "0".repeat(fill)),
            _ => format!("{}{sign}{digits}", " ".repeat(fill)),
        }
    }

    fn int(&self, x: i64) -> String {
        self.pad(x < 0, x.unsigned_abs().to_string(), true)
    }

    fn float(&self, x: f64) -> String {
        let negative = x.is_sign_negative() && !x.is_nan();
        if !x.is_finite() {
            let word = if x.is_nan() { "nan" } else { "inf" };
            return self.pad(negative, word.into(), false);
        }
        let p = self.precision.unwrap_or(6);
        let alternate = self.flag == Some(b'#');
        let mut digits = match self.conversion {
            b'e' => c_exponent(x.abs(), p),
            b'g' => format_g(x.abs(), p, alternate),
            _ => format!("{:.p$}", x.abs()),
        };
        if alternate && !digits.contains('.') {
            // '#' keeps the decimal point even with no digits after it.
            match digits.find('e') {
                Some(at) => digits.insert(at, '.'),
                None => digits.push('.'),
            }
        }
        self.pad(negative, digits, true)
    }
}

/// C's `%.{p}e` of a non-negative finite number (`1.500000e+00`).
fn c_exponent(x: f64, p: usize) -> String {
    let s = format!("{x:.p$e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

/// C's `%.{p}g` (`%#.{p}g` keeps trailing zeros when `keep_zeros`).
pub(crate) fn format_g(x: f64, p: usize, keep_zeros: bool) -> String {
    let p = p.max(1);
    if x == 0.0 {
        let zero = if x.is_sign_negative() { "-0" } else { "0" };
        return if keep_zeros && p > 1 {
            format!("{zero}.{}", "0".repeat(p - 1))
        } else {
            zero.into()
        };
    }
    let e = format!("{:.*e}", p - 1, x);
    let exp: i32 = e
        .rsplit_once('e')
        .and_then(|(_, s)| s.parse().ok())
        .unwrap_or(0);
    let trim = |s: &str| -> String {
        if keep_zeros || !s.contains('.') {
            s.to_string()
        } else {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    };
    if exp < -4 || exp >= p as i32 {
        let (mantissa, _) = e.split_once('e').unwrap_or((&e, ""));
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exp.abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        trim(&format!("{x:.decimals$}"))
    }
}

fn as_string(x: &Value, spec: &NumberSpec) -> Result<Value> {
    let texts: Vec<Vec<u8>> = match x {
        Value::F32(a) => a
            .iter()
            .map(|&v| spec.float(f64::from(v)))
            .map(String::into_bytes)
            .collect(),
        Value::F64(a) => a
            .iter()
            .map(|&v| spec.float(v))
            .map(String::into_bytes)
            .collect(),
        Value::Bool(a) => a
            .iter()
            .map(|&b| {
                if b {
                    b"true".to_vec()
                } else {
                    b"false".to_vec()
                }
            })
            .collect(),
        Value::Str(_) => return Err(rejected("AsString")),
        ints => ints
            .to_i64_vec()?
            .into_iter()
            .map(|v| spec.int(v).into_bytes())
            .collect(),
    };
    Value::from_strings(x.shape(), texts)
}

// ----- StringFormat: TF's SummarizeValue(summarize, print_v2 = true) -----

/// One element as TF's `PrintOneElement(x, print_v2 = true)` writes it.
fn element_texts_v2(v: &Value) -> Vec<String> {
    match v {
        Value::Str(a) => a.iter().map(|s| format!("\"{}\"", c_escape(s))).collect(),
        other => super::flow::element_texts(other),
    }
}

/// `Tensor::SummarizeValue(max_entries, print_v2 = true)`: numpy-like nesting, the first
/// and last `max_entries` entries of each dimension with `...` between.
pub(crate) fn summarize_v2(v: &Value, max_entries: i64) -> String {
    let items = element_texts_v2(v);
    let n = items.len();
    let limit = usize::try_from(max_entries).map_or(n, |m| m.min(n));
    let shape = v.shape();
    if shape.is_empty() {
        let mut out = items.get(..limit).unwrap_or(&[]).join(" ");
        if n > limit {
            out.push_str("...");
        }
        return out;
    }
    let mut out = String::new();
    print_dim_v2(shape, 0, limit, &items, 0, &mut out);
    out
}

/// TF's `PrintOneDimV2`: one level per dimension (the depth is the tensor's rank).
fn print_dim_v2(
    shape: &[usize],
    dim: usize,
    ends: usize,
    items: &[String],
    offset: usize,
    out: &mut String,
) {
    let rank = shape.len();
    if dim == rank {
        out.push_str(items.get(offset).map_or("", String::as_str));
        return;
    }
    out.push('[');
    let count = shape.get(dim).copied().unwrap_or(0);
    let per: usize = shape.get(dim + 1..).unwrap_or(&[]).iter().product();
    let spacing = |out: &mut String| {
        if dim + 1 == rank {
            out.push(' ');
        } else {
            out.push_str(&"\n".repeat(rank - dim - 1));
            out.push_str(&" ".repeat(dim + 1));
        }
    };
    for i in 0..ends.min(count) {
        if i > 0 {
            spacing(out);
        }
        print_dim_v2(shape, dim + 1, ends, items, offset + per * i, out);
    }
    if count > 2 * ends {
        spacing(out);
        out.push_str("...");
    }
    for i in ends.max(count.saturating_sub(ends))..count {
        spacing(out);
        print_dim_v2(shape, dim + 1, ends, items, offset + per * i, out);
    }
    out.push(']');
}

/// `StringFormat`'s kernel: the template's pieces around each placeholder, joined by the
/// summarized inputs.
fn format_template(
    template: &str,
    placeholder: &str,
    summarize: i64,
    inputs: &[Value],
) -> Result<Vec<u8>> {
    let pieces: Vec<&str> = if placeholder.is_empty() {
        vec![template]
    } else {
        template.split(placeholder).collect()
    };
    if pieces.len() != inputs.len() + 1 {
        return Err(Error::op_invalid(format!(
            "num placeholders in template and num inputs must match: {} vs. {}",
            pieces.len() - 1,
            inputs.len()
        )));
    }
    let mut out = String::new();
    for (i, piece) in pieces.iter().enumerate() {
        out.push_str(piece);
        if let Some(v) = inputs.get(i) {
            out.push_str(&summarize_v2(v, summarize));
        }
    }
    Ok(out.into_bytes())
}
