//! Run-time tensor values: one shared, copy-on-write ndarray per dtype.

use crate::dtype::DType;
use crate::error::{Error, Result};
use half::f16;
use ndarray::{ArcArray, ArrayD, IxDyn};
pub use num_complex::{Complex32, Complex64};
use num_traits::{NumCast, One, Zero};

pub type Arr<T> = ArcArray<T, IxDyn>;

/// A concrete tensor. Cloning is cheap (the buffer is shared); kernels that write get a
/// private copy only when the buffer is shared.
#[derive(Debug, Clone)]
pub enum Value {
    /// `float16`: kernels widen it to f32 and round their results back (see `half`).
    F16(Arr<f16>),
    F32(Arr<f32>),
    F64(Arr<f64>),
    I8(Arr<i8>),
    I16(Arr<i16>),
    I32(Arr<i32>),
    I64(Arr<i64>),
    U8(Arr<u8>),
    Bool(Arr<bool>),
    /// TF `string` elements: arbitrary bytes (TF encodes Python `str` as UTF-8).
    Str(Arr<Vec<u8>>),
    /// `complex64`: two f32 per element.
    C64(Arr<Complex32>),
    /// `complex128`: two f64 per element.
    C128(Arr<Complex64>),
}

/// Runs `$body` with `$a` bound to the array inside any variant.
#[macro_export]
macro_rules! with_value {
    ($v:expr, $a:ident => $body:expr) => {
        match $v {
            $crate::value::Value::F16($a) => $body,
            $crate::value::Value::F32($a) => $body,
            $crate::value::Value::F64($a) => $body,
            $crate::value::Value::I8($a) => $body,
            $crate::value::Value::I16($a) => $body,
            $crate::value::Value::I32($a) => $body,
            $crate::value::Value::I64($a) => $body,
            $crate::value::Value::U8($a) => $body,
            $crate::value::Value::Bool($a) => $body,
            $crate::value::Value::C64($a) => $body,
            $crate::value::Value::C128($a) => $body,
            $crate::value::Value::Str($a) => $body,
        }
    };
}

/// `with_value!` over the fixed-size (`Copy`) element types; `$string` for strings.
#[macro_export]
macro_rules! with_fixed {
    ($v:expr, $string:expr, $a:ident => $body:expr) => {
        match $v {
            $crate::value::Value::F16($a) => $body,
            $crate::value::Value::F32($a) => $body,
            $crate::value::Value::F64($a) => $body,
            $crate::value::Value::I8($a) => $body,
            $crate::value::Value::I16($a) => $body,
            $crate::value::Value::I32($a) => $body,
            $crate::value::Value::I64($a) => $body,
            $crate::value::Value::U8($a) => $body,
            $crate::value::Value::Bool($a) => $body,
            $crate::value::Value::C64($a) => $body,
            $crate::value::Value::C128($a) => $body,
            $crate::value::Value::Str(_) => $string,
        }
    };
}

/// `with_value!` over the real fixed-size element types (`Elem`); `$other` for strings and
/// complex numbers.
#[macro_export]
macro_rules! with_real {
    ($v:expr, $other:expr, $a:ident => $body:expr) => {
        match $v {
            $crate::value::Value::F16($a) => $body,
            $crate::value::Value::F32($a) => $body,
            $crate::value::Value::F64($a) => $body,
            $crate::value::Value::I8($a) => $body,
            $crate::value::Value::I16($a) => $body,
            $crate::value::Value::I32($a) => $body,
            $crate::value::Value::I64($a) => $body,
            $crate::value::Value::U8($a) => $body,
            $crate::value::Value::Bool($a) => $body,
            $crate::value::Value::Str(_)
            | $crate::value::Value::C64(_)
            | $crate::value::Value::C128(_) => $other,
        }
    };
}

/// Maps any variant to the same variant.
#[macro_export]
macro_rules! map_same {
    ($v:expr, $a:ident => $body:expr) => {
        match $v {
            $crate::value::Value::F16($a) => $crate::value::Value::F16($body),
            $crate::value::Value::F32($a) => $crate::value::Value::F32($body),
            $crate::value::Value::F64($a) => $crate::value::Value::F64($body),
            $crate::value::Value::I8($a) => $crate::value::Value::I8($body),
            $crate::value::Value::I16($a) => $crate::value::Value::I16($body),
            $crate::value::Value::I32($a) => $crate::value::Value::I32($body),
            $crate::value::Value::I64($a) => $crate::value::Value::I64($body),
            $crate::value::Value::U8($a) => $crate::value::Value::U8($body),
            $crate::value::Value::Bool($a) => $crate::value::Value::Bool($body),
            $crate::value::Value::C64($a) => $crate::value::Value::C64($body),
            $crate::value::Value::C128($a) => $crate::value::Value::C128($body),
            $crate::value::Value::Str($a) => $crate::value::Value::Str($body),
        }
    };
}

/// `map_same!` over the fixed-size (`Copy`) element types; `$err` for strings.
#[macro_export]
macro_rules! map_fixed {
    ($v:expr, $err:expr, $a:ident => $body:expr) => {
        match $v {
            $crate::value::Value::F16($a) => $crate::value::Value::F16($body),
            $crate::value::Value::F32($a) => $crate::value::Value::F32($body),
            $crate::value::Value::F64($a) => $crate::value::Value::F64($body),
            $crate::value::Value::I8($a) => $crate::value::Value::I8($body),
            $crate::value::Value::I16($a) => $crate::value::Value::I16($body),
            $crate::value::Value::I32($a) => $crate::value::Value::I32($body),
            $crate::value::Value::I64($a) => $crate::value::Value::I64($body),
            $crate::value::Value::U8($a) => $crate::value::Value::U8($body),
            $crate::value::Value::Bool($a) => $crate::value::Value::Bool($body),
            $crate::value::Value::C64($a) => $crate::value::Value::C64($body),
            $crate::value::Value::C128($a) => $crate::value::Value::C128($body),
            $crate::value::Value::Str(_) => return Err($err),
        }
    };
}

/// Maps numeric (non-bool) variants to the same variant; `$err` for bool.
#[macro_export]
macro_rules! map_numeric {
    ($v:expr, $err:expr, $a:ident => $body:expr) => {
        match $v {
            $crate::value::Value::F32($a) => $crate::value::Value::F32($body),
            $crate::value::Value::F64($a) => $crate::value::Value::F64($body),
            $crate::value::Value::I8($a) => $crate::value::Value::I8($body),
            $crate::value::Value::I16($a) => $crate::value::Value::I16($body),
            $crate::value::Value::I32($a) => $crate::value::Value::I32($body),
            $crate::value::Value::I64($a) => $crate::value::Value::I64($body),
            $crate::value::Value::U8($a) => $crate::value::Value::U8($body),
            // Half values are widened before a numeric kernel sees them (`half::widened`).
            $crate::value::Value::F16(_)
            | $crate::value::Value::Bool(_)
            | $crate::value::Value::Str(_)
            | $crate::value::Value::C64(_)
            | $crate::value::Value::C128(_) => return Err($err),
        }
    };
}

/// Maps float variants to the same variant; `$err` for the others.
#[macro_export]
macro_rules! map_float {
    ($v:expr, $err:expr, $a:ident => $body:expr) => {
        match $v {
            $crate::value::Value::F32($a) => $crate::value::Value::F32($body),
            $crate::value::Value::F64($a) => $crate::value::Value::F64($body),
            _ => return Err($err),
        }
    };
}

/// Element types a `Value` stores, with the variant that holds them.
pub trait Stored: Clone + Send + Sync + std::fmt::Debug + 'static {
    const DTYPE: DType;
    fn wrap(a: Arr<Self>) -> Value;
    fn unwrap_ref(v: &Value) -> Option<&Arr<Self>>;
}

/// Element types with a fixed size, made from a real number (complex ones as `x + 0i`).
pub trait Fixed: Stored + Copy {
    fn from_f64(x: f64) -> Self;
}

/// The real (ordered) element types: what numeric kernels are generic over.
pub trait Elem: Fixed + PartialOrd {
    fn to_f64(self) -> f64;
}

macro_rules! impl_stored {
    ($t:ty, $variant:ident) => {
        impl Stored for $t {
            const DTYPE: DType = DType::$variant;
            fn wrap(a: Arr<Self>) -> Value {
                Value::$variant(a)
            }
            fn unwrap_ref(v: &Value) -> Option<&Arr<Self>> {
                match v {
                    Value::$variant(a) => Some(a),
                    _ => None,
                }
            }
        }
    };
}
impl_stored!(f16, F16);
impl_stored!(f32, F32);
impl_stored!(f64, F64);
impl_stored!(i8, I8);
impl_stored!(i16, I16);
impl_stored!(i32, I32);
impl_stored!(i64, I64);
impl_stored!(u8, U8);
impl_stored!(bool, Bool);
impl_stored!(Complex32, C64);
impl_stored!(Complex64, C128);

impl Fixed for Complex32 {
    fn from_f64(x: f64) -> Self {
        Complex32::new(x as f32, 0.0)
    }
}
impl Fixed for Complex64 {
    fn from_f64(x: f64) -> Self {
        Complex64::new(x, 0.0)
    }
}

macro_rules! impl_elem {
    ($t:ty) => {
        impl Fixed for $t {
            fn from_f64(x: f64) -> Self {
                <$t as NumCast>::from(x)
                    .unwrap_or_else(|| if x > 0.0 { <$t>::MAX } else { <$t>::MIN })
            }
        }
        impl Elem for $t {
            fn to_f64(self) -> f64 {
                <f64 as NumCast>::from(self).unwrap_or(f64::NAN)
            }
        }
    };
}
impl_elem!(f32);
impl_elem!(f64);
impl_elem!(i8);
impl_elem!(i16);
impl_elem!(i32);
impl_elem!(i64);
impl_elem!(u8);

impl Fixed for f16 {
    fn from_f64(x: f64) -> Self {
        f16::from_f64(x)
    }
}
impl Elem for f16 {
    fn to_f64(self) -> f64 {
        self.to_f64()
    }
}

impl Fixed for bool {
    fn from_f64(x: f64) -> Self {
        x != 0.0
    }
}
impl Elem for bool {
    fn to_f64(self) -> f64 {
        if self {
            1.0
        } else {
            0.0
        }
    }
}

impl Value {
    pub fn dtype(&self) -> DType {
        match self {
            Value::F16(_) => DType::F16,
            Value::F32(_) => DType::F32,
            Value::F64(_) => DType::F64,
            Value::I8(_) => DType::I8,
            Value::I16(_) => DType::I16,
            Value::I32(_) => DType::I32,
            Value::I64(_) => DType::I64,
            Value::U8(_) => DType::U8,
            Value::Bool(_) => DType::Bool,
            Value::Str(_) => DType::Str,
            Value::C64(_) => DType::C64,
            Value::C128(_) => DType::C128,
        }
    }

    pub fn shape(&self) -> &[usize] {
        with_value!(self, a => a.shape())
    }

    pub fn len(&self) -> usize {
        with_value!(self, a => a.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn from_array<T: Stored>(a: ArrayD<T>) -> Value {
        T::wrap(a.into_shared())
    }

    pub fn from_vec<T: Stored>(shape: &[usize], data: Vec<T>) -> Result<Value> {
        let a = ArrayD::from_shape_vec(IxDyn(shape), data)
            .map_err(|e| Error::invalid(format!("bad tensor data for shape {shape:?}: {e}")))?;
        Ok(Value::from_array(a))
    }

    /// A string tensor from its elements in row-major order.
    pub fn from_strings(shape: &[usize], data: Vec<Vec<u8>>) -> Result<Value> {
        let a = ArrayD::from_shape_vec(IxDyn(shape), data)
            .map_err(|e| Error::invalid(format!("bad tensor data for shape {shape:?}: {e}")))?;
        Ok(Value::Str(a.into_shared()))
    }

    pub fn scalar<T: Stored>(x: T) -> Value {
        T::wrap(ArcArray::from_elem(IxDyn(&[]), x))
    }

    /// A tensor of `dtype` filled with `x` (converted to the element type).
    pub fn full(dtype: DType, shape: &[usize], x: f64) -> Value {
        fn make<T: Elem>(shape: &[usize], x: f64) -> Value {
            T::wrap(ArcArray::from_elem(IxDyn(shape), T::from_f64(x)))
        }
        match dtype {
            DType::F16 => make::<f16>(shape, x),
            DType::F32 => make::<f32>(shape, x),
            DType::F64 => make::<f64>(shape, x),
            DType::I8 => make::<i8>(shape, x),
            DType::I16 => make::<i16>(shape, x),
            DType::I32 => make::<i32>(shape, x),
            DType::I64 => make::<i64>(shape, x),
            DType::U8 => make::<u8>(shape, x),
            DType::Bool => make::<bool>(shape, x),
            DType::C64 => Value::C64(ArcArray::from_elem(
                IxDyn(shape),
                Complex32::new(x as f32, 0.0),
            )),
            DType::C128 => Value::C128(ArcArray::from_elem(IxDyn(shape), Complex64::new(x, 0.0))),
            // Strings have no numbers: every fill is TF's zero string, the empty one.
            DType::Str => Value::Str(ArcArray::from_elem(IxDyn(shape), Vec::new())),
        }
    }

    pub fn zeros(dtype: DType, shape: &[usize]) -> Value {
        Value::full(dtype, shape, 0.0)
    }

    pub fn as_array<T: Stored>(&self) -> Option<&Arr<T>> {
        T::unwrap_ref(self)
    }

    /// Converts to another dtype as `numpy.astype` does for these types (float→int
    /// truncates toward zero, anything→bool is `!= 0`; a float out of the integer's range,
    /// or NaN, converts as C++ does on x86-64, which TF's CPU kernel and numpy both show:
    /// see `c_cast_i32`). Strings have no numeric value: TF's
    /// Cast rejects them when the op is built, so here they convert to the target's zeros.
    pub fn cast(&self, to: DType) -> Value {
        if self.dtype() == to {
            return self.clone();
        }
        if self.dtype() == DType::Str || to == DType::Str {
            return Value::zeros(to, self.shape());
        }
        if self.dtype().is_complex() || to.is_complex() {
            return self.cast_complex(to);
        }
        fn conv<S: Elem, T: Elem>(a: &Arr<S>) -> Value {
            T::wrap(a.mapv(|x| T::from_f64(x.to_f64())).into_shared())
        }
        fn from_src<S: Elem>(a: &Arr<S>, to: DType) -> Value {
            match to {
                DType::F16 => conv::<S, f16>(a),
                DType::F32 => conv::<S, f32>(a),
                DType::F64 => conv::<S, f64>(a),
                DType::I8 => conv::<S, i8>(a),
                DType::I16 => conv::<S, i16>(a),
                DType::I32 => conv::<S, i32>(a),
                DType::I64 => conv::<S, i64>(a),
                DType::U8 => conv::<S, u8>(a),
                DType::Bool => conv::<S, bool>(a),
                DType::Str => Value::zeros(DType::Str, a.shape()),
                DType::C64 | DType::C128 => Value::zeros(to, a.shape()),
            }
        }
        // Casts to integers go through i64 and wrap to the narrow type like C (numpy's
        // astype); going through f64 would saturate instead. Floats take C's conversion
        // first (`c_cast_i32`: int64 directly, narrower types through int32).
        if to.is_integer() {
            let wide: Option<Vec<i64>> = match self {
                Value::F16(_) | Value::F32(_) | Value::F64(_) if to == DType::I64 => {
                    Some(self.to_f64_vec().into_iter().map(c_cast_i64).collect())
                }
                Value::F16(_) | Value::F32(_) | Value::F64(_) => Some(
                    self.to_f64_vec()
                        .into_iter()
                        .map(|x| c_cast_i32(x) as i64)
                        .collect(),
                ),
                _ if self.dtype().is_integer() => Some(self.to_i64_vec_unchecked()),
                _ => None,
            };
            if let Some(wide) = wide {
                let shape = self.shape().to_vec();
                let v = match to {
                    DType::I8 => Value::from_vec(&shape, wide.iter().map(|&x| x as i8).collect()),
                    DType::I16 => Value::from_vec(&shape, wide.iter().map(|&x| x as i16).collect()),
                    DType::I32 => Value::from_vec(&shape, wide.iter().map(|&x| x as i32).collect()),
                    DType::I64 => Value::from_vec(&shape, wide),
                    _ => Value::from_vec(&shape, wide.iter().map(|&x| x as u8).collect()),
                };
                if let Ok(v) = v {
                    return v;
                }
            }
        }
        crate::with_real!(self, Value::zeros(to, self.shape()), a => from_src(a, to))
    }

    /// Casts with a complex side, as TF's `Cast`: a real number becomes `x + 0i`; a complex
    /// one keeps its real part (any nonzero part makes `true`).
    fn cast_complex(&self, to: DType) -> Value {
        let parts: Vec<(f64, f64)> = match self {
            Value::C64(a) => a.iter().map(|z| (z.re as f64, z.im as f64)).collect(),
            Value::C128(a) => a.iter().map(|z| (z.re, z.im)).collect(),
            real => real.to_f64_vec().into_iter().map(|x| (x, 0.0)).collect(),
        };
        let shape = self.shape().to_vec();
        let made = match to {
            DType::C64 => Value::from_vec(
                &shape,
                parts
                    .iter()
                    .map(|&(re, im)| Complex32::new(re as f32, im as f32))
                    .collect(),
            ),
            DType::C128 => Value::from_vec(
                &shape,
                parts
                    .iter()
                    .map(|&(re, im)| Complex64::new(re, im))
                    .collect(),
            ),
            DType::Bool => Value::from_vec(
                &shape,
                parts
                    .iter()
                    .map(|&(re, im)| re != 0.0 || im != 0.0)
                    .collect(),
            ),
            _ => Value::from_vec(
                &shape,
                parts.iter().map(|&(re, _)| re).collect::<Vec<f64>>(),
            )
            .map(|real| real.cast(to)),
        };
        made.unwrap_or_else(|_| Value::zeros(to, &shape))
    }

    fn to_i64_vec_unchecked(&self) -> Vec<i64> {
        // Contiguous shapes and axes skip ndarray's n-dimensional iterator.
        match self {
            Value::I32(a) if a.as_slice().is_some() => {
                return a
                    .as_slice()
                    .map_or_else(Vec::new, |s| s.iter().map(|&x| x as i64).collect());
            }
            Value::I64(a) if a.as_slice().is_some() => {
                return a.as_slice().map_or_else(Vec::new, |s| s.to_vec());
            }
            _ => {}
        }
        match self {
            Value::I8(a) => a.iter().map(|&x| x as i64).collect(),
            Value::I16(a) => a.iter().map(|&x| x as i64).collect(),
            Value::I32(a) => a.iter().map(|&x| x as i64).collect(),
            Value::I64(a) => a.iter().copied().collect(),
            Value::U8(a) => a.iter().map(|&x| x as i64).collect(),
            Value::Bool(a) => a.iter().map(|&x| x as i64).collect(),
            Value::F16(a) => a.iter().map(|&x| x.to_f64() as i64).collect(),
            Value::F32(a) => a.iter().map(|&x| x as i64).collect(),
            Value::F64(a) => a.iter().map(|&x| x as i64).collect(),
            Value::Str(a) => vec![0; a.len()],
            Value::C64(a) => a.iter().map(|&x| x.re as i64).collect(),
            Value::C128(a) => a.iter().map(|&x| x.re as i64).collect(),
        }
    }

    /// The elements of an integer tensor (shapes, axes, indices), in logical order.
    pub fn to_i64_vec(&self) -> Result<Vec<i64>> {
        if !self.dtype().is_integer() {
            return Err(Error::op_invalid(format!(
                "expected an integer tensor, got {}",
                self.dtype()
            )));
        }
        Ok(self.to_i64_vec_unchecked())
    }

    /// The elements as f64, in logical order (NaN for strings, which have no number).
    pub fn to_f64_vec(&self) -> Vec<f64> {
        match self {
            Value::C64(a) => return a.iter().map(|z| z.re as f64).collect(),
            Value::C128(a) => return a.iter().map(|z| z.re).collect(),
            _ => {}
        }
        crate::with_real!(self, vec![f64::NAN; self.len()], a => a.iter().map(|&x| x.to_f64()).collect())
    }

    /// An integer tensor read as a list of non-negative sizes (a shape) whose element count
    /// is representable, with TF's texts otherwise.
    pub fn to_dims(&self) -> Result<Vec<usize>> {
        let dims: Vec<usize> = self
            .to_i64_vec()?
            .into_iter()
            .map(|d| {
                usize::try_from(d)
                    .map_err(|_| Error::op_invalid(format!("dimension {d} must be >= 0")))
            })
            .collect::<Result<_>>()?;
        if crate::shape::checked_num_elements(&dims).is_err() {
            return Err(Error::op_invalid(format!(
                "Shape [{}] would have more than 2**63 - 1 elements",
                dims.iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            )));
        }
        Ok(dims)
    }

    /// Fails with TF's `ResourceExhaustedError` text, instead of aborting the process, when a
    /// tensor of `dtype` and `dims` cannot be allocated. Only large requests are probed (one
    /// reservation that is released at once; untouched pages cost nothing).
    pub fn check_allocation(dtype: DType, dims: &[usize]) -> Result<()> {
        const PROBE_ABOVE: usize = 1 << 28;
        let bytes = crate::shape::checked_num_elements(dims)
            .ok()
            .and_then(|n| n.checked_mul(dtype.size_of()))
            .filter(|&b| b <= isize::MAX as usize);
        let fits = match bytes {
            Some(b) if b <= PROBE_ABOVE => true,
            Some(b) => Vec::<u8>::new().try_reserve_exact(b).is_ok(),
            None => false,
        };
        if fits {
            Ok(())
        } else {
            Err(Error::op(
                crate::error::Code::ResourceExhausted,
                format!(
                    "OOM when allocating tensor with shape[{}] and type {}",
                    dims.iter()
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join(","),
                    dtype.tf_short_name()
                ),
            ))
        }
    }

    /// A 1-D int tensor of `dtype` (int32 or int64) holding `xs`.
    pub fn int_vector(dtype: DType, xs: &[i64]) -> Value {
        let n = xs.len();
        match dtype {
            DType::I64 => Value::I64(
                ArcArray::from_shape_vec(IxDyn(&[n]), xs.to_vec())
                    .unwrap_or_else(|_| ArcArray::zeros(IxDyn(&[0]))),
            ),
            _ => Value::I32(
                ArcArray::from_shape_vec(IxDyn(&[n]), xs.iter().map(|&x| x as i32).collect())
                    .unwrap_or_else(|_| ArcArray::zeros(IxDyn(&[0]))),
            ),
        }
    }

    pub fn reshape(&self, shape: &[usize]) -> Result<Value> {
        let n: usize = shape.iter().product();
        if n != self.len() {
            return Err(Error::op_invalid(format!(
                "Input to reshape is a tensor with {} values, but the requested shape has {}",
                self.len(),
                n
            )));
        }
        Ok(map_same!(self, a => reshape_arr(a, shape)))
    }
}

/// Reshapes in logical (row-major) order; shares the buffer when it is contiguous.
pub fn reshape_arr<T: Clone>(a: &Arr<T>, shape: &[usize]) -> Arr<T> {
    if a.is_standard_layout() {
        if let Ok(r) = a.clone().into_shape_with_order(IxDyn(shape)) {
            return r;
        }
    }
    let data: Vec<T> = a.iter().cloned().collect();
    ArcArray::from_shape_vec(IxDyn(shape), data).unwrap_or_else(|_| a.clone())
}

pub fn zero<T: Zero>() -> T {
    T::zero()
}
pub fn one<T: One>() -> T {
    T::one()
}

/// C++'s `static_cast<int32_t>(double)` on x86-64 (`cvttsd2si`), which TF's `Cast` kernel
/// compiles to: truncation toward zero, and for NaN or a value out of range the "integer
/// indefinite" `i32::MIN` (Rust's `as` saturates instead). TF's casts to the narrower
/// integer types keep the low bits of this result (300.7 → 44 as uint8, inf → 0).
fn c_cast_i32(x: f64) -> i32 {
    // -2**31 - 1 itself saturates to i32::MIN, the same answer.
    if (-2_147_483_649.0..2_147_483_648.0).contains(&x) {
        x as i32
    } else {
        i32::MIN
    }
}

/// `c_cast_i32` for int64: NaN or out of range gives `i64::MIN`.
fn c_cast_i64(x: f64) -> i64 {
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&x) {
        x as i64
    } else {
        i64::MIN
    }
}
