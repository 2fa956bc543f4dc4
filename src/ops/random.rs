//! Random ops with TF's op-level and graph-level seeds; their state lives in the session.
//!
//! Numbers come from Philox4x32-10, a counter-based generator keyed by (seed, seed2). Each
//! (session, op) keeps a block counter in `SessionState::rng_counters`: a run continues the
//! op's stream where the previous run of that session stopped, so the sequence of runs is
//! reproducible and two sessions with the same seeds draw the same numbers. TF's exact
//! numbers are not reproduced. With seed = seed2 = 0 (no seed anywhere), the key is drawn
//! from the clock, as TF seeds such ops nondeterministically.

use super::{Family, InferCtx, KernelCtx, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::graph::{Metas, Node, TensorMeta};
use crate::shape::Shape;
use crate::value::{Arr, Value};
use ndarray::{ArrayD, IxDyn};
use smallvec::smallvec;
use std::sync::atomic::{AtomicU64, Ordering};

/// A random op.
#[derive(Debug, Clone, PartialEq)]
pub enum RandomOp {
    RandomStandardNormal { dtype: DType, seed: i64, seed2: i64 },
    RandomUniform { dtype: DType, seed: i64, seed2: i64 },
    TruncatedNormal { dtype: DType, seed: i64, seed2: i64 },
    RandomUniformInt { seed: i64, seed2: i64 },
    RandomShuffle { seed: i64, seed2: i64 },
}

impl RandomOp {
    fn seeds(&self) -> (i64, i64) {
        match *self {
            RandomOp::RandomStandardNormal { seed, seed2, .. }
            | RandomOp::RandomUniform { seed, seed2, .. }
            | RandomOp::TruncatedNormal { seed, seed2, .. }
            | RandomOp::RandomUniformInt { seed, seed2 }
            | RandomOp::RandomShuffle { seed, seed2 } => (seed, seed2),
        }
    }
}

impl Family for RandomOp {
    fn type_name(&self) -> &'static str {
        match self {
            RandomOp::RandomStandardNormal { .. } => "RandomStandardNormal",
            RandomOp::RandomUniform { .. } => "RandomUniform",
            RandomOp::TruncatedNormal { .. } => "TruncatedNormal",
            RandomOp::RandomUniformInt { .. } => "RandomUniformInt",
            RandomOp::RandomShuffle { .. } => "RandomShuffle",
        }
    }

    fn from_def(op_type: &str, attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        let build = || -> Result<RandomOp> {
            let seed = attrs.int_or("seed", 0)?;
            let seed2 = attrs.int_or("seed2", 0)?;
            let float_dtype = || -> Result<DType> {
                let d = attrs.dtype("dtype")?;
                if !d.is_floating() {
                    return Err(Error::type_error(format!(
                        "Value passed to parameter 'dtype' has DataType {d} not in list of allowed values: half, bfloat16, float32, float64"
                    )));
                }
                Ok(d)
            };
            Ok(match op_type {
                "RandomStandardNormal" => RandomOp::RandomStandardNormal {
                    dtype: float_dtype()?,
                    seed,
                    seed2,
                },
                "RandomUniform" => RandomOp::RandomUniform {
                    dtype: float_dtype()?,
                    seed,
                    seed2,
                },
                "TruncatedNormal" => RandomOp::TruncatedNormal {
                    dtype: float_dtype()?,
                    seed,
                    seed2,
                },
                "RandomUniformInt" => RandomOp::RandomUniformInt { seed, seed2 },
                _ => RandomOp::RandomShuffle { seed, seed2 },
            })
        };
        match op_type {
            "RandomStandardNormal"
            | "RandomUniform"
            | "TruncatedNormal"
            | "RandomUniformInt"
            | "RandomShuffle" => Some(build()),
            _ => None,
        }
    }

    fn attrs(&self, _node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        let (seed, seed2) = self.seeds();
        let mut out: Vec<(&'static str, AttrValue)> = vec![
            ("seed", AttrValue::Int(seed)),
            ("seed2", AttrValue::Int(seed2)),
        ];
        let t = |i: usize| input_types.get(i).copied().map(AttrValue::Type);
        match self {
            RandomOp::RandomStandardNormal { dtype, .. }
            | RandomOp::RandomUniform { dtype, .. }
            | RandomOp::TruncatedNormal { dtype, .. } => {
                out.push(("dtype", AttrValue::Type(*dtype)));
                out.extend(t(0).map(|v| ("T", v)));
            }
            RandomOp::RandomUniformInt { .. } => {
                out.extend(t(1).map(|v| ("Tout", v)));
                out.extend(t(0).map(|v| ("T", v)));
            }
            RandomOp::RandomShuffle { .. } => out.extend(t(0).map(|v| ("T", v))),
        }
        out
    }

    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        let shape_input = |ctx: &InferCtx<'_>| -> Result<Shape> {
            let t = ctx.dtype(0)?;
            if !matches!(t, DType::I32 | DType::I64) {
                return Err(Error::type_error(format!(
                    "Value passed to parameter 'shape' has DataType {t} not in list of allowed values: int32, int64"
                )));
            }
            if let Some(r) = ctx.shape(0)?.rank() {
                if r > 1 {
                    return Err(ctx.err(format!("Shape must be rank 1 but is rank {r}")));
                }
            }
            if let Some(v) = ctx.const_ints(0) {
                if let Some(bad) = v.iter().find(|&&d| d < 0) {
                    return Err(ctx.err(format!("Dimension {bad} must be >= 0")));
                }
                return Ok(Shape(Some(v.iter().map(|&d| Some(d as usize)).collect())));
            }
            Ok(match ctx.shape(0)?.dims() {
                Some([Some(n)]) => Shape::unknown_dims(*n),
                Some([]) => Shape::scalar(),
                _ => Shape::unknown(),
            })
        };
        match self {
            RandomOp::RandomStandardNormal { dtype, .. }
            | RandomOp::RandomUniform { dtype, .. }
            | RandomOp::TruncatedNormal { dtype, .. } => {
                ctx.expect_inputs(1)?;
                Ok(smallvec![TensorMeta::new(*dtype, shape_input(ctx)?)])
            }
            RandomOp::RandomUniformInt { .. } => {
                ctx.expect_inputs(3)?;
                let dtype = ctx.same_dtype("RandomUniformInt", 1, 2, ("minval", "maxval"))?;
                if !matches!(dtype, DType::I32 | DType::I64) {
                    return Err(Error::type_error(format!(
                        "Value passed to parameter 'minval' has DataType {dtype} not in list of allowed values: int32, int64"
                    )));
                }
                for i in 1..3 {
                    if let Some(r) = ctx.shape(i)?.rank() {
                        if r != 0 {
                            return Err(ctx.err(format!("Shape must be rank 0 but is rank {r}")));
                        }
                    }
                }
                if let (Some(lo), Some(hi)) = (ctx.const_ints(1), ctx.const_ints(2)) {
                    if let (Some(lo), Some(hi)) = (lo.first(), hi.first()) {
                        if lo >= hi {
                            return Err(ctx.err(format!("Need minval < maxval: {lo} >= {hi}")));
                        }
                    }
                }
                Ok(smallvec![TensorMeta::new(dtype, shape_input(ctx)?)])
            }
            RandomOp::RandomShuffle { .. } => {
                ctx.expect_inputs(1)?;
                Ok(smallvec![ctx.input(0)?.clone()])
            }
        }
    }

    fn compute(&self, ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let first = inputs
            .first()
            .ok_or_else(|| Error::internal("random op without inputs"))?;
        let out = with_stream(ctx, self.seeds(), |rng| {
            Ok(match self {
                RandomOp::RandomShuffle { .. } => shuffle(first, rng)?,
                other => {
                    let dims = output_dims(first)?;
                    let n: usize = dims.iter().product();
                    match other {
                        RandomOp::RandomStandardNormal { dtype, .. } => {
                            floats(*dtype, &dims, (0..n).map(|_| rng.normal()).collect())?
                        }
                        RandomOp::RandomUniform { dtype, .. } => {
                            floats(*dtype, &dims, (0..n).map(|_| rng.uniform(*dtype)).collect())?
                        }
                        RandomOp::TruncatedNormal { dtype, .. } => {
                            floats(*dtype, &dims, (0..n).map(|_| rng.truncated()).collect())?
                        }
                        _ => uniform_int(&dims, inputs, rng)?,
                    }
                }
            })
        })?;
        Ok(smallvec![out])
    }

    fn register_gradients(r: &mut GradRegistry) {
        for t in [
            "RandomStandardNormal",
            "RandomUniform",
            "TruncatedNormal",
            "RandomUniformInt",
            "RandomShuffle",
        ] {
            r.not_differentiable(t);
        }
    }
}

/// Runs `draw` on the op's Philox stream for this session, continuing where the op's
/// previous run stopped, and records how far it got.
pub(crate) fn with_stream<T>(
    ctx: &KernelCtx<'_>,
    (seed, seed2): (i64, i64),
    draw: impl FnOnce(&mut Philox) -> Result<T>,
) -> Result<T> {
    let mut counters = ctx
        .state
        .rng_counters
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let counter = counters.entry(ctx.node).or_insert(0);
    let mut rng = Philox::new(seed, seed2, *counter);
    let out = draw(&mut rng)?;
    *counter = rng.next_block;
    Ok(out)
}

pub(crate) fn output_dims(shape: &Value) -> Result<Vec<usize>> {
    if shape.shape().len() > 1 {
        return Err(Error::op_invalid(format!(
            "shape must be a vector of {{int32,int64}}, got shape {:?}",
            shape.shape()
        )));
    }
    let v = shape.to_i64_vec()?;
    if let Some(bad) = v.iter().find(|&&d| d < 0) {
        return Err(Error::op_invalid(format!("Dimension {bad} must be >= 0")));
    }
    let dims = shape.to_dims()?;
    // The streams are drawn into 8-byte buffers before conversion to the output dtype.
    Value::check_allocation(DType::F64, &dims)?;
    Ok(dims)
}

fn floats(dtype: DType, dims: &[usize], xs: Vec<f64>) -> Result<Value> {
    Ok(Value::from_vec(dims, xs)?.cast(dtype))
}

fn uniform_int(dims: &[usize], inputs: &[Value], rng: &mut Philox) -> Result<Value> {
    let bound = |i: usize, what: &str| -> Result<(i64, DType)> {
        let v = inputs
            .get(i)
            .ok_or_else(|| Error::internal("RandomUniformInt needs minval and maxval"))?;
        match (v.shape().len(), v.to_i64_vec()?.as_slice()) {
            (0, [x]) => Ok((*x, v.dtype())),
            _ => Err(Error::op_invalid(format!(
                "{what} must be 0-D, got shape {:?}",
                v.shape()
            ))),
        }
    };
    let (lo, dtype) = bound(1, "minval")?;
    let (hi, _) = bound(2, "maxval")?;
    if lo >= hi {
        return Err(Error::op_invalid(format!(
            "Need minval < maxval: {lo} >= {hi}"
        )));
    }
    let n: usize = dims.iter().product();
    let range = (hi as i128 - lo as i128) as u128;
    let xs: Vec<i64> = (0..n)
        .map(|_| (lo as i128 + (rng.next_u64() as u128 % range) as i128) as i64)
        .collect();
    Value::int_vector(dtype, &xs).reshape(dims)
}

fn shuffle(x: &Value, rng: &mut Philox) -> Result<Value> {
    let shape = x.shape().to_vec();
    if shape.is_empty() {
        return Ok(x.clone());
    }
    let rows = shape[0];
    let mut perm: Vec<usize> = (0..rows).collect();
    // Fisher-Yates.
    for i in (1..rows).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        perm.swap(i, j);
    }
    let row = x.len().checked_div(rows).unwrap_or(0);
    fn permute<T: Clone>(a: &Arr<T>, perm: &[usize], row: usize) -> Result<Arr<T>> {
        let flat: Vec<T> = a.iter().cloned().collect();
        let mut out = Vec::with_capacity(flat.len());
        for &p in perm {
            out.extend_from_slice(&flat[p * row..(p + 1) * row]);
        }
        Ok(ArrayD::from_shape_vec(IxDyn(a.shape()), out)
            .map_err(|e| Error::internal(e.to_string()))?
            .into_shared())
    }
    Ok(crate::map_same!(x, a => permute(a, &perm, row)?))
}

// ===== the generator =====

/// Philox4x32-10 (Salmon et al., 2011): block `c` under key `k` gives four 32-bit words.
pub(crate) struct Philox {
    key: [u32; 2],
    next_block: u64,
    buffer: [u32; 4],
    used: usize,
}

fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = a as u64 * b as u64;
    ((p >> 32) as u32, p as u32)
}

/// SplitMix64's finalizer: spreads a 64-bit seed over all bits before it becomes a key.
fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

static ENTROPY: AtomicU64 = AtomicU64::new(0);

impl Philox {
    fn new(seed: i64, seed2: i64, counter: u64) -> Philox {
        let k = if seed == 0 && seed2 == 0 {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0);
            mix64(nanos ^ mix64(ENTROPY.fetch_add(1, Ordering::Relaxed)))
        } else {
            mix64(mix64(seed as u64) ^ (seed2 as u64).rotate_left(32))
        };
        Philox {
            key: [k as u32, (k >> 32) as u32],
            next_block: counter,
            buffer: [0; 4],
            used: 4,
        }
    }

    fn block(&self, c: u64) -> [u32; 4] {
        let mut ctr = [c as u32, (c >> 32) as u32, 0x5A5A_0F0F, 0];
        let mut key = self.key;
        for _ in 0..10 {
            let (hi0, lo0) = mulhilo(0xD251_1F53, ctr[0]);
            let (hi1, lo1) = mulhilo(0xCD9E_8D57, ctr[2]);
            ctr = [hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0];
            key[0] = key[0].wrapping_add(0x9E37_79B9);
            key[1] = key[1].wrapping_add(0xBB67_AE85);
        }
        ctr
    }

    pub(crate) fn next_u32(&mut self) -> u32 {
        if self.used == 4 {
            self.buffer = self.block(self.next_block);
            self.next_block = self.next_block.wrapping_add(1);
            self.used = 0;
        }
        let v = self.buffer[self.used];
        self.used += 1;
        v
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        ((self.next_u32() as u64) << 32) | self.next_u32() as u64
    }

    /// Uniform in [0, 1) with the precision of `dtype` (so a float32 or half draw never
    /// rounds to 1; half keeps TF's ten random mantissa bits).
    pub(crate) fn uniform(&mut self, dtype: DType) -> f64 {
        match dtype {
            DType::F16 => (self.next_u32() >> 22) as f64 / (1u64 << 10) as f64,
            DType::F32 => (self.next_u32() >> 8) as f64 / (1u64 << 24) as f64,
            _ => (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64,
        }
    }

    /// Box-Muller; `1 - u` keeps the logarithm's argument in (0, 1].
    pub(crate) fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(DType::F64);
        let u2 = self.uniform(DType::F64);
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// A standard normal redrawn until it lies within two standard deviations.
    fn truncated(&mut self) -> f64 {
        loop {
            let z = self.normal();
            if z.abs() <= 2.0 {
                return z;
            }
        }
    }
}
