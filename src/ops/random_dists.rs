//! Sampling from distributions: `Multinomial` (categorical draws from logits),
//! `RandomGamma` with its reparameterisation helper `RandomGammaGrad`, and
//! `RandomPoissonV2`.
//!
//! They draw from the same per-(session, op) Philox streams as the ops in `random.rs`, so
//! seeds behave the same way; like those, they do not reproduce TF's exact numbers (TF's
//! samplers consume its own Philox layout), only its distributions and its edge cases
//! (`-inf` logits never drawn, all-`-inf` rows giving `num_classes`, `alpha == 0` giving 0,
//! negative `alpha` NaN, `rate <= 0` giving 0).
//!
//! Gradients as TF registers them: `Multinomial` is not differentiable (`None`);
//! `RandomGamma`'s gradient with respect to `alpha` is TF's `_RandomGammaGrad` (implicit
//! reparameterisation through `RandomGammaGrad`); `RandomGammaGrad` and `RandomPoissonV2`
//! have no gradient in TF, so differentiating through them is TF's `LookupError`.

use super::extra_math::{allowed, computed_input_error};
use super::random::{output_dims, with_stream, Philox};
use super::special_fns as sf;
use super::Outputs;
use super::{array, binary, linalg, one, reduce, source, Family, InferCtx, KernelCtx, OpKind};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx};
use crate::graph::{Metas, Node, TensorMeta};
use crate::shape::{broadcast_static, Dims, Shape};
use crate::value::Value;
use smallvec::smallvec;

/// An op of this family.
#[derive(Debug, Clone, PartialEq)]
pub enum DistOp {
    /// `Multinomial(logits, num_samples)` -> `[batch, num_samples]` class indices.
    Multinomial {
        output_dtype: DType,
        seed: i64,
        seed2: i64,
    },
    /// `RandomGamma(shape, alpha)` -> `shape + alpha.shape` samples of Gamma(alpha, 1).
    RandomGamma { seed: i64, seed2: i64 },
    /// `RandomGammaGrad(alpha, sample)`: d sample / d alpha with the noise held fixed.
    RandomGammaGrad,
    /// `RandomPoissonV2(shape, rate)` -> `shape + rate.shape` counts in `dtype`.
    RandomPoissonV2 { dtype: DType, seed: i64, seed2: i64 },
}

const TYPES: [&str; 4] = [
    "Multinomial",
    "RandomGamma",
    "RandomGammaGrad",
    "RandomPoissonV2",
];

impl DistOp {
    fn attr_list(&self, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        let t = |i: usize| input_types.get(i).copied().map(AttrValue::Type);
        let mut out: Vec<(&'static str, AttrValue)> = Vec::new();
        // Alphabetical, as TF prints a node def.
        match self {
            DistOp::Multinomial {
                output_dtype,
                seed,
                seed2,
            } => {
                out.extend(t(0).map(|v| ("T", v)));
                out.push(("output_dtype", AttrValue::Type(*output_dtype)));
                out.push(("seed", AttrValue::Int(*seed)));
                out.push(("seed2", AttrValue::Int(*seed2)));
            }
            DistOp::RandomGamma { seed, seed2 } => {
                out.extend(t(0).map(|v| ("S", v)));
                out.extend(t(1).map(|v| ("T", v)));
                out.push(("seed", AttrValue::Int(*seed)));
                out.push(("seed2", AttrValue::Int(*seed2)));
            }
            DistOp::RandomGammaGrad => out.extend(t(0).map(|v| ("T", v))),
            DistOp::RandomPoissonV2 { dtype, seed, seed2 } => {
                out.extend(t(1).map(|v| ("R", v)));
                out.extend(t(0).map(|v| ("S", v)));
                out.push(("dtype", AttrValue::Type(*dtype)));
                out.push(("seed", AttrValue::Int(*seed)));
                out.push(("seed2", AttrValue::Int(*seed2)));
            }
        }
        out
    }

    fn node_err(&self, ctx: &InferCtx<'_>, message: impl std::fmt::Display) -> Error {
        linalg::shape_fn_error(ctx, self.type_name(), |t| self.attr_list(t), message)
    }

    fn expect_rank(&self, ctx: &InferCtx<'_>, i: usize, rank: usize) -> Result<()> {
        linalg::expect_rank(ctx, i, rank, self.type_name(), |t| self.attr_list(t))
    }

    /// `shape + param.shape` for `RandomGamma`/`RandomPoissonV2`, the shape from input 0.
    fn sample_shape(&self, ctx: &InferCtx<'_>) -> Result<Shape> {
        let s = ctx.dtype(0)?;
        if !matches!(s, DType::I32 | DType::I64) {
            return Err(allowed("shape", s, "int32, int64"));
        }
        self.expect_rank(ctx, 0, 1)?;
        let param = ctx.shape(1)?.clone();
        let lead: Option<Dims> = if let Some(v) = ctx.const_ints(0) {
            if let Some(bad) = v.iter().find(|&&d| d < 0) {
                return Err(Error::invalid(format!(
                    "Invalid value in tensor used for shape: {bad}"
                )));
            }
            Some(v.iter().map(|&d| Some(d as usize)).collect())
        } else {
            match ctx.shape(0)?.dims() {
                Some([Some(n)]) => Some((0..*n).map(|_| None).collect()),
                _ => None,
            }
        };
        Ok(match (lead, param.dims()) {
            (Some(mut dims), Some(p)) => {
                dims.extend(p.iter().copied());
                Shape(Some(dims))
            }
            _ => Shape::unknown(),
        })
    }
}

impl Family for DistOp {
    fn type_name(&self) -> &'static str {
        match self {
            DistOp::Multinomial { .. } => "Multinomial",
            DistOp::RandomGamma { .. } => "RandomGamma",
            DistOp::RandomGammaGrad => "RandomGammaGrad",
            DistOp::RandomPoissonV2 { .. } => "RandomPoissonV2",
        }
    }

    fn from_def(op_type: &str, attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        if !TYPES.contains(&op_type) {
            return None;
        }
        let build = || -> Result<DistOp> {
            let seed = attrs.int_or("seed", 0)?;
            let seed2 = attrs.int_or("seed2", 0)?;
            Ok(match op_type {
                "Multinomial" => {
                    let output_dtype = attrs.dtype_opt("output_dtype")?.unwrap_or(DType::I64);
                    if !matches!(output_dtype, DType::I32 | DType::I64) {
                        return Err(allowed("output_dtype", output_dtype, "int32, int64"));
                    }
                    DistOp::Multinomial {
                        output_dtype,
                        seed,
                        seed2,
                    }
                }
                "RandomGamma" => DistOp::RandomGamma { seed, seed2 },
                "RandomGammaGrad" => DistOp::RandomGammaGrad,
                _ => {
                    let dtype = attrs.dtype_opt("dtype")?.unwrap_or(DType::F64);
                    if !matches!(dtype, DType::F32 | DType::F64 | DType::I32 | DType::I64) {
                        return Err(allowed(
                            "dtype",
                            dtype,
                            "float16, float32, float64, int32, int64",
                        ));
                    }
                    DistOp::RandomPoissonV2 { dtype, seed, seed2 }
                }
            })
        };
        Some(build())
    }

    fn attrs(&self, _node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        self.attr_list(input_types)
    }

    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        ctx.expect_inputs(2)?;
        match self {
            DistOp::Multinomial { output_dtype, .. } => {
                let t = ctx.dtype(0)?;
                if !t.is_floating() {
                    return Err(allowed("logits", t, "float32, float64"));
                }
                if ctx.dtype(1)? != DType::I32 {
                    return Err(Error::type_error(format!(
                        "Input 'num_samples' of 'Multinomial' Op has type {} that does not match expected type of int32.",
                        ctx.dtype(1)?
                    )));
                }
                self.expect_rank(ctx, 0, 2)?;
                self.expect_rank(ctx, 1, 0)?;
                let samples = match ctx.const_ints(1).as_deref() {
                    Some([n]) if *n < 0 => {
                        return Err(computed_input_error(
                            ctx,
                            self.type_name(),
                            &self.attr_list(&[t, DType::I32]),
                            format!("Dimension size, given by scalar input 1, must be non-negative but is {n}"),
                            1,
                            *n,
                        ));
                    }
                    Some([n]) => Some(*n as usize),
                    _ => None,
                };
                one(
                    *output_dtype,
                    Shape(Some(smallvec![ctx.shape(0)?.dim(0), samples])),
                )
            }
            DistOp::RandomGamma { .. } => {
                let t = ctx.dtype(1)?;
                if !t.is_floating() {
                    return Err(allowed("alpha", t, "float16, float32, float64"));
                }
                one(t, self.sample_shape(ctx)?)
            }
            DistOp::RandomGammaGrad => {
                let t = ctx.same_dtype("RandomGammaGrad", 0, 1, ("alpha", "sample"))?;
                if !t.is_floating() {
                    return Err(allowed("alpha", t, "float32, float64"));
                }
                let (a, s) = (ctx.shape(0)?, ctx.shape(1)?);
                let shape = broadcast_static(a, s).map_err(|(x, y)| {
                    self.node_err(
                        ctx,
                        format!("Dimensions must be equal, but are {x} and {y}"),
                    )
                })?;
                one(t, shape)
            }
            DistOp::RandomPoissonV2 { dtype, .. } => {
                let r = ctx.dtype(1)?;
                if !matches!(r, DType::F32 | DType::F64 | DType::I32 | DType::I64) {
                    return Err(allowed(
                        "rate",
                        r,
                        "float16, float32, float64, int32, int64",
                    ));
                }
                Ok(smallvec![TensorMeta::new(*dtype, self.sample_shape(ctx)?)])
            }
        }
    }

    fn compute(&self, ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let [a, b] = inputs else {
            return Err(Error::internal(format!(
                "{} needs two inputs",
                self.type_name()
            )));
        };
        let out = match self {
            DistOp::Multinomial {
                output_dtype,
                seed,
                seed2,
            } => with_stream(ctx, (*seed, *seed2), |rng| {
                multinomial(a, b, *output_dtype, rng)
            })?,
            DistOp::RandomGamma { seed, seed2 } => with_stream(ctx, (*seed, *seed2), |rng| {
                sample_each(a, b, b.dtype(), |alpha| gamma(alpha, rng))
            })?,
            DistOp::RandomGammaGrad => gamma_sample_grad(a, b)?,
            DistOp::RandomPoissonV2 { dtype, seed, seed2 } => {
                with_stream(ctx, (*seed, *seed2), |rng| {
                    sample_each(a, b, *dtype, |rate| poisson(rate, rng))
                })?
            }
        };
        Ok(smallvec![out])
    }

    fn register_gradients(r: &mut GradRegistry) {
        r.not_differentiable("Multinomial");
        r.builtin("RandomGamma", random_gamma_grad);
    }
}

// ===== kernels =====

fn multinomial(logits: &Value, num_samples: &Value, out: DType, rng: &mut Philox) -> Result<Value> {
    let [batch, classes] = *logits.shape() else {
        return Err(Error::op_invalid(format!(
            "logits should be a matrix, got shape {}",
            Shape::known(logits.shape()).bracketed()
        )));
    };
    let n = match (num_samples.shape(), num_samples.to_i64_vec()?.as_slice()) {
        ([], [n]) => *n,
        (s, _) => {
            return Err(Error::op_invalid(format!(
                "num_samples should be a scalar, got shape {}",
                Shape::known(s).bracketed()
            )))
        }
    };
    if classes == 0 {
        return Err(Error::op_invalid("num_classes should be positive, got 0"));
    }
    let n = usize::try_from(n)
        .map_err(|_| Error::op_invalid(format!("num_samples should be non-negative, got {n}")))?;
    Value::check_allocation(DType::I64, &[batch, n])?;
    let values = logits.to_f64_vec();
    let mut drawn: Vec<i64> = Vec::with_capacity(batch * n);
    let mut cdf = vec![0.0f64; classes];
    for row in values.chunks(classes) {
        // As TF's kernel: non-finite logits (-inf, +inf, NaN) get no mass, and the
        // exponentials are taken relative to the largest finite logit.
        let max = row
            .iter()
            .filter(|x| x.is_finite())
            .fold(f64::MIN, |m, &x| m.max(x));
        let mut total = 0.0;
        for (c, &x) in cdf.iter_mut().zip(row) {
            if x.is_finite() {
                total += (x - max).exp();
            }
            *c = total;
        }
        for _ in 0..n {
            let target = rng.uniform(DType::F64) * total;
            // First class whose cumulative mass exceeds the target (C++'s upper_bound);
            // a row without mass gives `classes`, as TF's.
            drawn.push(cdf.partition_point(|&c| c <= target) as i64);
        }
    }
    Value::int_vector(out, &drawn).reshape(&[batch, n])
}

/// `shape + params.shape` draws, one per parameter for every index of `shape` (parameters
/// vary fastest, as TF lays them out), converted to `dtype`.
fn sample_each(
    shape: &Value,
    params: &Value,
    dtype: DType,
    mut draw: impl FnMut(f64) -> f64,
) -> Result<Value> {
    let mut dims = output_dims(shape)?;
    let lead: usize = dims.iter().product();
    dims.extend_from_slice(params.shape());
    Value::check_allocation(DType::F64, &dims)?;
    let params = params.to_f64_vec();
    let mut out = Vec::with_capacity(lead * params.len());
    for _ in 0..lead {
        out.extend(params.iter().map(|&p| draw(p)));
    }
    Ok(Value::from_vec(&dims, out)?.cast(dtype))
}

/// One Gamma(alpha, 1) draw: Marsaglia and Tsang's method, with `alpha < 1` boosted through
/// Gamma(alpha + 1) * U^(1/alpha).
fn gamma(alpha: f64, rng: &mut Philox) -> f64 {
    if alpha.is_nan() || alpha < 0.0 {
        return f64::NAN;
    }
    if alpha == 0.0 {
        return 0.0;
    }
    if alpha.is_infinite() {
        return f64::INFINITY;
    }
    if alpha == 1.0 {
        return -(1.0 - rng.uniform(DType::F64)).ln();
    }
    let (a, boost) = if alpha < 1.0 {
        let u = 1.0 - rng.uniform(DType::F64);
        (alpha + 1.0, u.powf(1.0 / alpha))
    } else {
        (alpha, 1.0)
    };
    let d = a - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = rng.normal();
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u = 1.0 - rng.uniform(DType::F64);
        let x2 = x * x;
        if u < 1.0 - 0.0331 * x2 * x2 || u.ln() < 0.5 * x2 + d * (1.0 - v + v.ln()) {
            return d * v * boost;
        }
    }
}

/// One Poisson(rate) count: Knuth's product of uniforms for small rates, Hörmann's
/// transformed rejection (PTRS) for large ones.
fn poisson(rate: f64, rng: &mut Philox) -> f64 {
    if rate.is_nan() {
        return f64::NAN;
    }
    if rate <= 0.0 {
        return 0.0;
    }
    if rate.is_infinite() {
        return f64::INFINITY;
    }
    if rate < 10.0 {
        let limit = (-rate).exp();
        let mut k = 0.0;
        let mut prod = rng.uniform(DType::F64);
        while prod > limit {
            k += 1.0;
            prod *= rng.uniform(DType::F64);
        }
        return k;
    }
    let (slam, loglam) = (rate.sqrt(), rate.ln());
    let b = 0.931 + 2.53 * slam;
    let a = -0.059 + 0.02483 * b;
    let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    let vr = 0.9277 - 3.6224 / (b - 2.0);
    loop {
        let u = rng.uniform(DType::F64) - 0.5;
        let v = rng.uniform(DType::F64);
        let us = 0.5 - u.abs();
        let k = ((2.0 * a / us + b) * u + rate + 0.43).floor();
        if us >= 0.07 && v <= vr {
            return k;
        }
        if k < 0.0 || (us < 0.013 && v > us) {
            continue;
        }
        if v.ln() + inv_alpha.ln() - (a / (us * us) + b).ln()
            <= -rate + k * loglam - sf::lgamma(k + 1.0)
        {
            return k;
        }
    }
}

/// d sample / d alpha of a Gamma(alpha, 1) sample with its uniform noise held fixed:
/// -(dP(alpha, x)/d alpha) / p(x; alpha), P the regularised lower incomplete gamma and p
/// the density (implicit differentiation of P(alpha, x) = u).
fn gamma_sample_der_alpha(alpha: f64, x: f64) -> f64 {
    if alpha.is_nan() || x.is_nan() || alpha <= 0.0 || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return 0.0;
    }
    let log_density = (alpha - 1.0) * x.ln() - x - sf::lgamma(alpha);
    -sf::igamma_grad_a(alpha, x) / log_density.exp()
}

fn gamma_sample_grad(alpha: &Value, sample: &Value) -> Result<Value> {
    let mismatch = || Error::op_invalid("RandomGammaGrad needs float alpha and sample of one type");
    Ok(match (alpha, sample) {
        (Value::F32(a), Value::F32(s)) => Value::F32(binary::zip_broadcast(a, s, |a, x| {
            gamma_sample_der_alpha(a as f64, x as f64) as f32
        })?),
        (Value::F64(a), Value::F64(s)) => {
            Value::F64(binary::zip_broadcast(a, s, gamma_sample_der_alpha)?)
        }
        _ => return Err(mismatch()),
    })
}

// ===== gradients =====

/// TF's `_RandomGammaGrad`: alpha reshaped to broadcast against the samples (leading unit
/// dimensions, one per sample dimension), `RandomGammaGrad` times the incoming gradient,
/// summed over the sample dimensions.
fn random_gamma_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> Result<Vec<Option<Grad>>> {
    let g = ctx.graph;
    let (shape, alpha) = (ctx.input(0)?, ctx.input(1)?);
    let sample = ctx.output(0);
    let grad = ctx.grad(grads, 0)?;
    binary::with_control_dependency(g, grad, || {
        let shape_of_shape = array::shape_of(g, shape, DType::I32, None)?;
        let num_sample_dims = array::slice_const(g, shape_of_shape, &[0], &[1])?;
        let one_i32 = source::const_value(g, Value::scalar(1i32), None)?;
        let ones = array::fill(g, num_sample_dims, one_i32)?;
        let alpha_shape = array::shape_of(g, alpha, DType::I32, None)?;
        let new_shape = array::concat(g, &[ones, alpha_shape], 0)?;
        let alpha_broadcastable = array::reshape_t(g, alpha, new_shape)?;
        let partial_a = g.add1(
            OpKind::RandomDists(Box::new(DistOp::RandomGammaGrad)),
            &[alpha_broadcastable, sample],
            Some("RandomGammaGrad"),
        )?;
        let weighted = binary::mul(g, grad, partial_a)?;
        let count = array::reshape(g, num_sample_dims, &[])?;
        let axes = reduce::range_from(g, 0, count, 1)?;
        let dalpha = reduce::sum_t(g, weighted, axes, false)?;
        Ok(vec![None, Some(Grad::Dense(dalpha))])
    })
}
