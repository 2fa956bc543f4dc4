//! Discrete Fourier transforms (`tf.signal`): `FFT`, `IFFT` over the innermost 1, 2 or 3
//! axes of a complex tensor, and `RFFT`, `IRFFT` between real signals and the
//! non-negative-frequency half of their spectra. Per op: the shape rule, the kernel and, for
//! the complex transforms, the gradient (`ifft(grad) * n` and `fft(grad) / n`, as TF's
//! `fft_ops.py`; the real transforms' gradients are built in Python, as TF builds them).
//!
//! Every transform is computed in f64 (complex64 results are rounded once): radix-2 for
//! power-of-two lengths and Bluestein's chirp-z convolution for the others, so any length
//! costs O(n log n).

use super::{array, binary, one, Family, InferCtx, KernelCtx, OpKind, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx};
use crate::graph::{Metas, Node};
use crate::shape::Shape;
use crate::value::{Complex32, Complex64, Value};
use ndarray::{ArrayD, Axis, IxDyn};
use smallvec::smallvec;
use std::f64::consts::PI;

/// An op of this family: which transform, over how many innermost axes (1, 2 or 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FftOp {
    Fft(u8),
    Ifft(u8),
    Rfft(u8),
    Irfft(u8),
}

const NAMES: [(&str, FftOp); 12] = [
    ("FFT", FftOp::Fft(1)),
    ("FFT2D", FftOp::Fft(2)),
    ("FFT3D", FftOp::Fft(3)),
    ("IFFT", FftOp::Ifft(1)),
    ("IFFT2D", FftOp::Ifft(2)),
    ("IFFT3D", FftOp::Ifft(3)),
    ("RFFT", FftOp::Rfft(1)),
    ("RFFT2D", FftOp::Rfft(2)),
    ("RFFT3D", FftOp::Rfft(3)),
    ("IRFFT", FftOp::Irfft(1)),
    ("IRFFT2D", FftOp::Irfft(2)),
    ("IRFFT3D", FftOp::Irfft(3)),
];

impl FftOp {
    fn rank(self) -> usize {
        match self {
            FftOp::Fft(r) | FftOp::Ifft(r) | FftOp::Rfft(r) | FftOp::Irfft(r) => r as usize,
        }
    }
}

impl Family for FftOp {
    fn type_name(&self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, op)| op == self)
            .map_or("FFT", |(name, _)| name)
    }

    fn from_def(op_type: &str, _attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        NAMES
            .iter()
            .find(|(name, _)| *name == op_type)
            .map(|&(_, op)| Ok(op))
    }

    fn attrs(&self, _node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        let Some(&t) = input_types.first() else {
            return Vec::new();
        };
        match self {
            FftOp::Fft(_) | FftOp::Ifft(_) => vec![("Tcomplex", AttrValue::Type(t))],
            FftOp::Rfft(_) => vec![
                ("Treal", AttrValue::Type(t)),
                ("Tcomplex", AttrValue::Type(t.complex_of().unwrap_or(t))),
            ],
            FftOp::Irfft(_) => vec![
                ("Treal", AttrValue::Type(t.real())),
                ("Tcomplex", AttrValue::Type(t)),
            ],
        }
    }

    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        let rank = self.rank();
        let real_input = matches!(self, FftOp::Rfft(_));
        ctx.expect_inputs(if matches!(self, FftOp::Fft(_) | FftOp::Ifft(_)) {
            1
        } else {
            2
        })?;
        let x = ctx.input(0)?;
        let ok = if real_input {
            matches!(x.dtype, DType::F32 | DType::F64)
        } else {
            x.dtype.is_complex()
        };
        if !ok {
            let allowed = if real_input {
                "float32, float64"
            } else {
                "complex64, complex128"
            };
            return Err(Error::type_error(format!(
                "Value passed to parameter 'input' has DataType {} not in list of allowed values: {allowed}",
                x.dtype
            )));
        }
        if let Some(r) = x.shape.rank() {
            if r < rank {
                return Err(ctx.err(format!(
                    "Shape must be at least rank {rank} but is rank {r}"
                )));
            }
        }
        let (out_dtype, lengths) = match self {
            FftOp::Fft(_) | FftOp::Ifft(_) => return one(x.dtype, x.shape.clone()),
            FftOp::Rfft(_) => (x.dtype.complex_of().unwrap_or(x.dtype), ctx.const_ints(1)),
            FftOp::Irfft(_) => (x.dtype.real(), ctx.const_ints(1)),
        };
        if ctx.dtype(1)? != DType::I32 {
            return Err(Error::type_error(format!(
                "Value passed to parameter 'fft_length' has DataType {} not in list of allowed values: int32",
                ctx.dtype(1)?
            )));
        }
        let Some(dims) = x.shape.dims() else {
            return one(out_dtype, Shape::unknown());
        };
        let lead = dims.len() - rank;
        let mut out: Vec<Option<usize>> = dims[..lead].to_vec();
        match lengths {
            Some(n) if n.len() == rank => {
                let inner: Vec<Option<usize>> =
                    n.iter().map(|&d| usize::try_from(d).ok()).collect();
                out.extend(inner.iter().copied());
                if let (FftOp::Rfft(_), Some(Some(last))) = (self, out.last_mut()) {
                    *last = *last / 2 + 1;
                }
            }
            _ => out.extend(std::iter::repeat_n(None, rank)),
        }
        one(out_dtype, Shape(Some(out.into_iter().collect())))
    }

    fn compute(&self, _ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let rank = self.rank();
        let x = inputs
            .first()
            .ok_or_else(|| Error::internal("an FFT op without input"))?;
        if x.shape().len() < rank {
            return Err(Error::op_invalid(format!(
                "Input must have rank of at least {rank} but got: {:?}",
                x.shape()
            )));
        }
        let lengths = match inputs.get(1) {
            Some(v) => {
                let n = v.to_dims()?;
                if n.len() != rank {
                    return Err(Error::op_invalid(format!(
                        "fft_length must have {rank} elements, got {}",
                        n.len()
                    )));
                }
                n
            }
            None => Vec::new(),
        };
        let (wide, narrow) = widen(x)?;
        let out = match self {
            FftOp::Fft(_) | FftOp::Ifft(_) => {
                let inverse = matches!(self, FftOp::Ifft(_));
                let mut a = wide;
                let r = a.ndim();
                for axis in r - rank..r {
                    transform_axis(&mut a, axis, inverse);
                }
                a
            }
            FftOp::Rfft(_) => rfft(wide, &lengths),
            FftOp::Irfft(_) => {
                let real = irfft(wide, &lengths);
                return Ok(smallvec![if narrow {
                    Value::F32(real.mapv(|v| v as f32).into_shared())
                } else {
                    Value::F64(real.into_shared())
                }]);
            }
        };
        Ok(smallvec![if narrow {
            Value::C64(
                out.mapv(|z| Complex32::new(z.re as f32, z.im as f32))
                    .into_shared(),
            )
        } else {
            Value::C128(out.into_shared())
        }])
    }

    fn register_gradients(r: &mut GradRegistry) {
        for (name, op) in NAMES {
            match op {
                FftOp::Fft(_) | FftOp::Ifft(_) => r.structural(name, complex_fft_grad),
                // Registered from Python (`fft_ops.py`), as TF builds them there.
                FftOp::Rfft(_) | FftOp::Irfft(_) => {}
            }
        }
    }
}

/// The input as complex f64 (real inputs as `x + 0i`), and whether results narrow back to
/// 32-bit parts.
fn widen(x: &Value) -> Result<(ArrayD<Complex64>, bool)> {
    Ok(match x {
        Value::C64(a) => (a.mapv(|z| Complex64::new(z.re.into(), z.im.into())), true),
        Value::C128(a) => (a.to_owned(), false),
        Value::F32(a) => (a.mapv(|v| Complex64::new(v.into(), 0.0)), true),
        Value::F64(a) => (a.mapv(|v| Complex64::new(v, 0.0)), false),
        other => {
            return Err(Error::op_invalid(format!(
                "an FFT of a {} tensor",
                other.dtype()
            )))
        }
    })
}

/// `a` cropped or zero-padded along `axis` to `n` entries.
fn fit_axis(a: ArrayD<Complex64>, axis: usize, n: usize) -> ArrayD<Complex64> {
    let have = a.shape()[axis];
    if have == n {
        return a;
    }
    let mut shape = a.shape().to_vec();
    shape[axis] = n;
    let mut out = ArrayD::from_elem(IxDyn(&shape), Complex64::new(0.0, 0.0));
    let keep = have.min(n);
    out.slice_axis_mut(Axis(axis), (0..keep).into())
        .assign(&a.slice_axis(Axis(axis), (0..keep).into()));
    out
}

/// `RFFT`: crop or pad the inner axes to `lengths`, transform them, keep the first
/// `n / 2 + 1` frequencies of the innermost.
fn rfft(mut a: ArrayD<Complex64>, lengths: &[usize]) -> ArrayD<Complex64> {
    let r = a.ndim();
    let first = r - lengths.len();
    for (k, &n) in lengths.iter().enumerate() {
        a = fit_axis(a, first + k, n);
        transform_axis(&mut a, first + k, false);
    }
    let last = lengths.last().copied().unwrap_or(0);
    let keep = if last == 0 { 0 } else { last / 2 + 1 };
    a.slice_axis(Axis(r - 1), (0..keep).into()).to_owned()
}

/// `IRFFT`: the outer inner axes inverted as complex transforms, then the innermost
/// extended by Hermitian symmetry and inverted to real numbers (the imaginary parts of
/// its zero and Nyquist frequencies drop out, as in TF).
fn irfft(mut a: ArrayD<Complex64>, lengths: &[usize]) -> ArrayD<f64> {
    let r = a.ndim();
    let first = r - lengths.len();
    let (outer, last) = lengths.split_at(lengths.len().saturating_sub(1));
    for (k, &n) in outer.iter().enumerate() {
        a = fit_axis(a, first + k, n);
        transform_axis(&mut a, first + k, true);
    }
    let n = last.first().copied().unwrap_or(0);
    let half = if n == 0 { 0 } else { n / 2 + 1 };
    let a = fit_axis(a, r - 1, half);
    let mut shape = a.shape().to_vec();
    shape[r - 1] = n;
    let mut out = ArrayD::<f64>::zeros(IxDyn(&shape));
    let mut line = vec![Complex64::new(0.0, 0.0); n];
    for (src, mut dst) in a
        .lanes(Axis(r - 1))
        .into_iter()
        .zip(out.lanes_mut(Axis(r - 1)))
    {
        for (k, slot) in line.iter_mut().enumerate() {
            *slot = if k < half { src[k] } else { src[n - k].conj() };
        }
        dft(&mut line, true);
        for (d, z) in dst.iter_mut().zip(&line) {
            *d = z.re;
        }
    }
    out
}

/// Transforms every lane of `a` along `axis` (the inverse divides by the length).
fn transform_axis(a: &mut ArrayD<Complex64>, axis: usize, inverse: bool) {
    let n = a.shape()[axis];
    let mut line = vec![Complex64::new(0.0, 0.0); n];
    for mut lane in a.lanes_mut(Axis(axis)) {
        for (slot, z) in line.iter_mut().zip(lane.iter()) {
            *slot = *z;
        }
        dft(&mut line, inverse);
        for (z, v) in lane.iter_mut().zip(&line) {
            *z = *v;
        }
    }
}

/// The DFT of `x` in place, `sum_j x_j exp(∓2πi jk/n)`; the inverse (+) divided by n.
fn dft(x: &mut [Complex64], inverse: bool) {
    let n = x.len();
    if n <= 1 {
        return;
    }
    if n.is_power_of_two() {
        radix2(x, inverse);
    } else {
        bluestein(x, inverse);
    }
    if inverse {
        let scale = 1.0 / n as f64;
        for z in x.iter_mut() {
            *z = z.scale(scale);
        }
    }
}

/// Iterative Cooley-Tukey for power-of-two lengths (unnormalized).
fn radix2(x: &mut [Complex64], inverse: bool) {
    let n = x.len();
    let bits = n.trailing_zeros();
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - bits);
        if i < j {
            x.swap(i, j);
        }
    }
    let sign = if inverse { 1.0 } else { -1.0 };
    let mut len = 2;
    while len <= n {
        let step = Complex64::from_polar(1.0, sign * 2.0 * PI / len as f64);
        for start in (0..n).step_by(len) {
            let mut w = Complex64::new(1.0, 0.0);
            for k in 0..len / 2 {
                let (a, b) = (x[start + k], x[start + k + len / 2] * w);
                x[start + k] = a + b;
                x[start + k + len / 2] = a - b;
                w *= step;
            }
        }
        len <<= 1;
    }
}

/// Bluestein's algorithm: the DFT as a convolution with a chirp, done with power-of-two
/// transforms (unnormalized).
fn bluestein(x: &mut [Complex64], inverse: bool) {
    let n = x.len();
    let m = (2 * n - 1).next_power_of_two();
    let sign = if inverse { 1.0 } else { -1.0 };
    // exp(sign·iπk²/n), with k² taken mod 2n so the angle stays exact for large k.
    let chirp: Vec<Complex64> = (0..n)
        .map(|k| {
            let k2 = (k as u128 * k as u128 % (2 * n as u128)) as f64;
            Complex64::from_polar(1.0, sign * PI * k2 / n as f64)
        })
        .collect();
    let zero = Complex64::new(0.0, 0.0);
    let mut a = vec![zero; m];
    for k in 0..n {
        a[k] = x[k] * chirp[k];
    }
    let mut b = vec![zero; m];
    b[0] = chirp[0].conj();
    for k in 1..n {
        b[k] = chirp[k].conj();
        b[m - k] = chirp[k].conj();
    }
    radix2(&mut a, false);
    radix2(&mut b, false);
    for (p, q) in a.iter_mut().zip(&b) {
        *p *= q;
    }
    radix2(&mut a, true);
    let scale = 1.0 / m as f64;
    for k in 0..n {
        x[k] = chirp[k] * a[k].scale(scale);
    }
}

// ----- gradients (fft_ops.py) -----

/// `FFT*`: `ifft(grad) * n`; `IFFT*`: `fft(grad) * (1 / n)`, n the transform's size read off
/// the gradient's shape (`reduce_prod(shape(grad)[-rank:])`, cast to its type).
fn complex_fft_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> Result<Vec<Option<Grad>>> {
    let OpKind::Fft(op) = ctx.kind else {
        return Err(Error::internal("FFT gradient for another op"));
    };
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let dtype = g.dtype(grad)?;
    let rank = op.rank() as i64;
    let shape = array::shape_of(g, grad, DType::I32, None)?;
    let inner = super::index::vector_slice(g, shape, -rank, None)?;
    let size = super::reduce::prod(g, inner, &[0], false)?;
    let (back, factor) = match op {
        FftOp::Fft(r) => (FftOp::Ifft(r), array::cast(g, size, dtype)?),
        FftOp::Ifft(r) => {
            let n = array::cast(g, size, dtype.real())?;
            let inv = binary::operator(g, binary::BinaryOp::RealDiv, binary::Operand::S(1.0), n)?;
            (FftOp::Fft(r), array::cast(g, inv, dtype)?)
        }
        _ => return Err(Error::internal("complex_fft_grad on a real transform")),
    };
    let transformed = g.add1(OpKind::Fft(back), &[grad], Some(back.type_name()))?;
    let out = binary::operator(g, binary::BinaryOp::Mul, transformed, factor)?;
    Ok(vec![Some(Grad::Dense(out))])
}
