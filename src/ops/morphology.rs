//! Grayscale morphology (`tf.nn.dilation2d`; erosion is built from it in Python):
//! `Dilation2D(input, filter)` with `input` `[batch, rows, cols, depth]` and `filter`
//! `[filter_rows, filter_cols, depth]`,
//! `out[b, y, x, c] = max over (i, j) of input[b, y·s + i·r - pad, x·s + j·r - pad, c] + filter[i, j, c]`,
//! positions outside the input left out; and its two backprops, which route each output's
//! gradient to the first maximising input position and filter tap (TF's kernels scan rows,
//! then columns, and keep a new maximum only when it is strictly larger).
//!
//! Side by side: shape rules (TF's, with the effective filter size `(k - 1)·rate + 1` and
//! the windowed sizes of SAME/VALID padding), kernels and the gradient (TF's
//! `_Dilation2DGrad`; TF registers none for the backprops, so neither does symgrad).

use super::conv::{self, ranked, Padding};
use super::{one, Family, InferCtx, KernelCtx, OpKind, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::grad::{Grad, GradCtx};
use crate::graph::{Graph, Metas, Node, Tensor};
use crate::shape::Shape;
use crate::value::{Stored, Value};
use half::f16;
use smallvec::smallvec;

/// The window of a dilation: strides and rates along rows and columns, and the padding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Window {
    pub strides: [usize; 2],
    pub rates: [usize; 2],
    pub same: bool,
}

/// An op of this family.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MorphOp {
    Dilation2D(Box<Window>),
    Dilation2DBackpropInput(Box<Window>),
    Dilation2DBackpropFilter(Box<Window>),
}

impl MorphOp {
    fn window(&self) -> &Window {
        match self {
            MorphOp::Dilation2D(w)
            | MorphOp::Dilation2DBackpropInput(w)
            | MorphOp::Dilation2DBackpropFilter(w) => w,
        }
    }
}

/// A strides or rates attribute: four positive values, the outer two 1.
fn spatial_pair(op_type: &str, attrs: &Attrs, name: &str) -> Result<[usize; 2]> {
    let v = conv::four_ints(op_type, attrs, name, None)?;
    if v[0] != 1 || v[3] != 1 {
        let what = if name == "strides" { "Stride" } else { "Rate" };
        return Err(Error::op_invalid(format!(
            "{what} is only supported across spatial dimensions."
        )));
    }
    Ok([v[1] as usize, v[2] as usize])
}

impl Family for MorphOp {
    fn type_name(&self) -> &'static str {
        match self {
            MorphOp::Dilation2D(_) => "Dilation2D",
            MorphOp::Dilation2DBackpropInput(_) => "Dilation2DBackpropInput",
            MorphOp::Dilation2DBackpropFilter(_) => "Dilation2DBackpropFilter",
        }
    }

    fn from_def(op_type: &str, attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        let make: fn(Box<Window>) -> MorphOp = match op_type {
            "Dilation2D" => MorphOp::Dilation2D,
            "Dilation2DBackpropInput" => MorphOp::Dilation2DBackpropInput,
            "Dilation2DBackpropFilter" => MorphOp::Dilation2DBackpropFilter,
            _ => return None,
        };
        Some((|| {
            let window = Window {
                strides: spatial_pair(op_type, attrs, "strides")?,
                rates: spatial_pair(op_type, attrs, "rates")?,
                same: conv::parse_padding(op_type, attrs)? == Padding::Same,
            };
            Ok(make(Box::new(window)))
        })())
    }

    fn attrs(&self, _node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        let w = self.window();
        let four = |p: [usize; 2]| AttrValue::Ints(vec![1, p[0] as i64, p[1] as i64, 1]);
        let mut out = Vec::new();
        if let Some(&t) = input_types.first() {
            out.push(("T", AttrValue::Type(t)));
        }
        out.push(("strides", four(w.strides)));
        out.push(("rates", four(w.rates)));
        let padding = if w.same { "SAME" } else { "VALID" };
        out.push(("padding", AttrValue::Str(padding.to_string())));
        out
    }

    fn infer(&self, ctx: &InferCtx<'_>) -> Result<Metas> {
        let backprop = !matches!(self, MorphOp::Dilation2D(_));
        ctx.expect_inputs(if backprop { 3 } else { 2 })?;
        let dtype = ctx.dtype(0)?;
        if !matches!(
            dtype,
            DType::F16
                | DType::F32
                | DType::F64
                | DType::I8
                | DType::I16
                | DType::I32
                | DType::I64
                | DType::U8
        ) {
            return Err(Error::type_error(format!(
                "Value passed to parameter 'input' has DataType {dtype} not in list of allowed values: float32, float64, int32, uint8, int16, int8, int64, bfloat16, uint16, float16, uint32, uint64"
            )));
        }
        let args = ["input", "filter", "out_backprop"];
        for i in 1..ctx.num_inputs() {
            ctx.same_dtype(self.type_name(), 0, i, (args[0], args[i]))?;
        }
        let input = ranked(ctx, 0, 4)?;
        let filter = ranked(ctx, 1, 3)?;
        match self {
            MorphOp::Dilation2DBackpropInput(_) => {
                ranked(ctx, 2, 4)?;
                return one(dtype, ctx.shape(0)?.clone());
            }
            MorphOp::Dilation2DBackpropFilter(_) => {
                ranked(ctx, 2, 4)?;
                return one(dtype, ctx.shape(1)?.clone());
            }
            MorphOp::Dilation2D(_) => {}
        }
        let w = self.window();
        let (rows, cols) = (input[1], input[2]);
        let (k_rows, k_cols) = (filter[0], filter[1]);
        let (Some(rows), Some(cols), Some(k_rows), Some(k_cols)) = (rows, cols, k_rows, k_cols)
        else {
            return one(dtype, Shape::from_dims(&[input[0], None, None, filter[2]]));
        };
        if let (Some(a), Some(b)) = (input[3], filter[2]) {
            if a != b {
                return Err(ctx.err(format!("Dimensions must be equal, but are {a} and {b}")));
            }
        }
        let out_rows = output_size(rows, k_rows, w, 0).map_err(|m| ctx.err(m))?;
        let out_cols = output_size(cols, k_cols, w, 1).map_err(|m| ctx.err(m))?;
        one(
            dtype,
            Shape::from_dims(&[input[0], Some(out_rows.0), Some(out_cols.0), filter[2]]),
        )
    }

    fn compute(&self, _ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let [input, filter, rest @ ..] = inputs else {
            return Err(Error::internal("Dilation2D takes its input and filter"));
        };
        let geom = Geom::new(self.window(), input.shape(), filter.shape())?;
        if input.dtype() != filter.dtype() {
            return Err(Error::op_invalid(
                "Dilation2D: input and filter differ in dtype",
            ));
        }
        let out_backprop = match (self, rest.first()) {
            (MorphOp::Dilation2D(_), _) => None,
            (_, Some(g)) => {
                let want = [geom.batch, geom.out_rows, geom.out_cols, geom.depth];
                if g.shape().len() != 4 {
                    return Err(Error::op_invalid(format!(
                        "out_backprop must be 4-dimensional{}",
                        Shape::known(g.shape()).bracketed()
                    )));
                }
                if g.shape() != want || g.dtype() != input.dtype() {
                    return Err(Error::op_invalid("out_backprop has incompatible size."));
                }
                Some(g)
            }
            (_, None) => return Err(Error::internal("a Dilation2D backprop needs out_backprop")),
        };
        macro_rules! run {
            ($t:ty) => {
                geom.run::<$t>(self, input, filter, out_backprop)
            };
        }
        let out = match input {
            Value::F16(_) => run!(f16),
            Value::F32(_) => run!(f32),
            Value::F64(_) => run!(f64),
            Value::I8(_) => run!(i8),
            Value::I16(_) => run!(i16),
            Value::I32(_) => run!(i32),
            Value::I64(_) => run!(i64),
            Value::U8(_) => run!(u8),
            other => Err(Error::op_invalid(format!(
                "Dilation2D does not support {}",
                other.dtype()
            ))),
        }?;
        Ok(smallvec![out])
    }

    fn register_gradients(r: &mut GradRegistry) {
        r.builtin("Dilation2D", dilation_grad);
    }
}

/// The output size and leading padding along axis `axis` (0 rows, 1 columns).
fn output_size(
    input: usize,
    k: usize,
    w: &Window,
    axis: usize,
) -> std::result::Result<(usize, usize), String> {
    let padding = if w.same {
        Padding::Same
    } else {
        Padding::Valid
    };
    conv::windowed(input, k, w.strides[axis], w.rates[axis], &padding, axis)
}

/// Element types: ordered, with TF's addition (wrapping for integers, rounded for halves).
trait Morph: Stored + Copy + PartialOrd {
    const LOWEST: Self;
    const ZERO: Self;
    fn plus(self, other: Self) -> Self;
}

macro_rules! morph_float {
    ($t:ty) => {
        impl Morph for $t {
            const LOWEST: $t = <$t>::MIN;
            const ZERO: $t = 0.0;
            fn plus(self, other: $t) -> $t {
                self + other
            }
        }
    };
}
morph_float!(f32);
morph_float!(f64);

impl Morph for f16 {
    const LOWEST: f16 = f16::MIN;
    const ZERO: f16 = f16::ZERO;
    fn plus(self, other: f16) -> f16 {
        f16::from_f32(self.to_f32() + other.to_f32())
    }
}

macro_rules! morph_int {
    ($($t:ty),*) => {$(
        impl Morph for $t {
            const LOWEST: $t = <$t>::MIN;
            const ZERO: $t = 0;
            fn plus(self, other: $t) -> $t {
                self.wrapping_add(other)
            }
        }
    )*};
}
morph_int!(i8, i16, i32, i64, u8);

/// Sizes of one dilation, checked as TF's kernels check them.
struct Geom {
    batch: usize,
    rows: usize,
    cols: usize,
    depth: usize,
    k_rows: usize,
    k_cols: usize,
    out_rows: usize,
    out_cols: usize,
    pad_top: usize,
    pad_left: usize,
    strides: [usize; 2],
    rates: [usize; 2],
}

impl Geom {
    fn new(w: &Window, input: &[usize], filter: &[usize]) -> Result<Geom> {
        if input.len() != 4 {
            return Err(Error::op_invalid(format!(
                "input must be 4-dimensional{}",
                Shape::known(input).bracketed()
            )));
        }
        if filter.len() != 3 {
            return Err(Error::op_invalid(format!(
                "filter must be 3-dimensional: {}",
                Shape::known(filter).bracketed()
            )));
        }
        if input[3] != filter[2] {
            return Err(Error::op_invalid(format!(
                "input and filter must have the same depth: {} vs {}",
                input[3], filter[2]
            )));
        }
        let (out_rows, pad_top) =
            output_size(input[1], filter[0], w, 0).map_err(Error::op_invalid)?;
        let (out_cols, pad_left) =
            output_size(input[2], filter[1], w, 1).map_err(Error::op_invalid)?;
        Ok(Geom {
            batch: input[0],
            rows: input[1],
            cols: input[2],
            depth: input[3],
            k_rows: filter[0],
            k_cols: filter[1],
            out_rows,
            out_cols,
            pad_top,
            pad_left,
            strides: w.strides,
            rates: w.rates,
        })
    }

    /// Calls `visit(out index, input index, filter index)` for the first maximising tap
    /// of each output element, `None`s when no tap lies inside the input.
    fn scan<T: Morph>(
        &self,
        x: &[T],
        f: &[T],
        mut visit: impl FnMut(usize, T, Option<(usize, usize)>, (Option<usize>, Option<usize>)),
    ) {
        let (rows, cols, depth) = (self.rows as isize, self.cols as isize, self.depth);
        let mut o = 0;
        for b in 0..self.batch {
            for y in 0..self.out_rows {
                let top = (y * self.strides[0]) as isize - self.pad_top as isize;
                for xo in 0..self.out_cols {
                    let left = (xo * self.strides[1]) as isize - self.pad_left as isize;
                    for c in 0..depth {
                        let mut best = T::LOWEST;
                        let mut at = None;
                        for i in 0..self.k_rows {
                            let r = top + (i * self.rates[0]) as isize;
                            if r < 0 || r >= rows {
                                continue;
                            }
                            for j in 0..self.k_cols {
                                let q = left + (j * self.rates[1]) as isize;
                                if q < 0 || q >= cols {
                                    continue;
                                }
                                let xi = ((b * self.rows + r as usize) * self.cols + q as usize)
                                    * depth
                                    + c;
                                let fi = (i * self.k_cols + j) * depth + c;
                                let v = x[xi].plus(f[fi]);
                                if v > best {
                                    best = v;
                                    at = Some((xi, fi));
                                }
                            }
                        }
                        // Without a strictly larger tap (NaNs, or values at the type's
                        // lowest) TF routes the gradient to the window's clamped corner
                        // and to the first filter tap.
                        let (r0, q0) = (top.max(0), left.max(0));
                        let corner_x = (r0 < rows && q0 < cols).then(|| {
                            ((b * self.rows + r0 as usize) * self.cols + q0 as usize) * depth + c
                        });
                        let corner_f = (self.k_rows > 0 && self.k_cols > 0).then_some(c);
                        visit(o, best, at, (corner_x, corner_f));
                        o += 1;
                    }
                }
            }
        }
    }

    fn run<T: Morph>(
        &self,
        op: &MorphOp,
        input: &Value,
        filter: &Value,
        out_backprop: Option<&Value>,
    ) -> Result<Value> {
        let values = |v: &Value| -> Result<Vec<T>> {
            T::unwrap_ref(v)
                .map(|a| a.iter().copied().collect())
                .ok_or_else(|| Error::internal("Dilation2D operand of another dtype"))
        };
        let (x, f) = (values(input)?, values(filter)?);
        match op {
            MorphOp::Dilation2D(_) => {
                let mut out =
                    vec![T::ZERO; self.batch * self.out_rows * self.out_cols * self.depth];
                self.scan(&x, &f, |o, best, _, _| out[o] = best);
                Value::from_vec(&[self.batch, self.out_rows, self.out_cols, self.depth], out)
            }
            MorphOp::Dilation2DBackpropInput(_) | MorphOp::Dilation2DBackpropFilter(_) => {
                let g = values(out_backprop.ok_or_else(|| Error::internal("no gradient"))?)?;
                let into_input = matches!(op, MorphOp::Dilation2DBackpropInput(_));
                let shape = if into_input { input } else { filter }.shape();
                let mut acc = vec![T::ZERO; shape.iter().product()];
                self.scan(&x, &f, |o, _, at, (corner_x, corner_f)| {
                    let target = if into_input {
                        at.map(|(xi, _)| xi).or(corner_x)
                    } else {
                        at.map(|(_, fi)| fi).or(corner_f)
                    };
                    if let Some(t) = target {
                        acc[t] = acc[t].plus(g[o]);
                    }
                });
                Value::from_vec(shape, acc)
            }
        }
    }
}

// ===== gradient and builders =====

/// TF's `_Dilation2DGrad`: the two backprops with the op's window.
fn dilation_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> Result<Vec<Option<Grad>>> {
    let OpKind::Morph(MorphOp::Dilation2D(w)) = &ctx.kind else {
        return Err(Error::internal("dilation_grad on another op"));
    };
    let g = ctx.graph;
    let (x, f) = (ctx.input(0)?, ctx.input(1)?);
    let grad = ctx.grad(grads, 0)?;
    let dx = g.add1(
        OpKind::Morph(MorphOp::Dilation2DBackpropInput(w.clone())),
        &[x, f, grad],
        Some("Dilation2DBackpropInput"),
    )?;
    let df = g.add1(
        OpKind::Morph(MorphOp::Dilation2DBackpropFilter(w.clone())),
        &[x, f, grad],
        Some("Dilation2DBackpropFilter"),
    )?;
    Ok(vec![Some(Grad::Dense(dx)), Some(Grad::Dense(df))])
}

/// `Dilation2D(input, filter)`.
pub fn dilation2d(g: &Graph, input: Tensor, filter: Tensor, window: Window) -> Result<Tensor> {
    g.add1(
        OpKind::Morph(MorphOp::Dilation2D(Box::new(window))),
        &[input, filter],
        Some("Dilation2D"),
    )
}
