//! Shared helpers for the integration tests: numeric gradient checks against central
//! finite differences in f64.
//!
//! `check_gradient` takes a graph, a placeholder `x`, an output `y` and a value for x. It
//! forms the scalar `L = sum(y * w)` with a fixed, irregular weight `w` (so every output
//! element matters differently), then checks
//!   1. first derivative: `gradients(L, x)` against `(L(x + h e_i) - L(x - h e_i)) / 2h`
//!      for every element i (Jacobian-vector products along the basis directions);
//!   2. second derivative: `gradients(sum(gradients(L, x) * v), x)` (a Hessian-vector
//!      product) against `(dL/dx(x + h v) - dL/dx(x - h v)) / 2h`, using the first
//!      derivative already checked in step 1.
#![allow(dead_code)]

use symgrad::exec::Session;
use symgrad::ops::{array, binary, reduce, source};
use symgrad::{gradients, DType, GradientOptions, Graph, Shape, Tensor, Value};

/// Deterministic, irregular values in [-1, 1] (no two alike, none zero).
pub fn pattern(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = ((s >> 11) as f64) / ((1u64 << 53) as f64);
            let v = 2.0 * u - 1.0;
            if v.abs() < 0.05 {
                v + 0.3
            } else {
                v
            }
        })
        .collect()
}

pub fn f64_value(shape: &[usize], data: Vec<f64>) -> Value {
    Value::from_vec(shape, data).expect("value")
}

pub fn placeholder(g: &Graph, shape: Shape) -> Tensor {
    source::placeholder(g, DType::F64, shape, Some("x")).expect("placeholder")
}

/// The dense gradient of `y` with respect to `x`, panicking when it is `None`.
pub fn grad_of(g: &Graph, y: Tensor, x: Tensor) -> Tensor {
    let gs = gradients(g, &[y], &[x], &GradientOptions::default()).expect("gradients");
    let first = gs.into_iter().next().flatten().expect("gradient is None");
    symgrad::grad::densify(g, first).expect("densify")
}

/// `sum(t * c)` over all elements, `c` a constant of t's run-time shape.
fn weighted_sum(g: &Graph, t: Tensor, shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let w = source::const_value(g, f64_value(shape, pattern(n, seed)), None).expect("const");
    let prod = binary::mul(g, t, w).expect("mul");
    let flat = array::reshape(g, prod, &[-1]).expect("reshape");
    reduce::sum(g, flat, &[0], false).expect("sum")
}

pub struct Checker<'a> {
    pub graph: &'a Graph,
    pub x: Tensor,
    pub y: Tensor,
    /// Other placeholders' values (axes fed at run time, ...).
    pub extra_feeds: Vec<(Tensor, Value)>,
    pub tol: f64,
    pub step: f64,
    pub second_order: bool,
    session: Session,
}

impl<'a> Checker<'a> {
    pub fn new(graph: &'a Graph, x: Tensor, y: Tensor) -> Self {
        let session = Session::new(graph);
        Checker {
            graph,
            x,
            y,
            extra_feeds: Vec::new(),
            tol: 1e-6,
            step: 1e-5,
            second_order: true,
            session,
        }
    }

    fn run(&self, fetches: &[Tensor], x_value: &Value) -> Vec<Value> {
        let mut feeds = vec![(self.x, x_value.clone())];
        feeds.extend(self.extra_feeds.iter().cloned());
        self.session.run(fetches, &feeds).expect("run")
    }

    fn close(&self, what: &str, i: usize, analytic: f64, numeric: f64) {
        let err = (analytic - numeric).abs();
        assert!(
            err <= self.tol * (1.0 + numeric.abs()),
            "{what}: element {i}: analytic {analytic} vs numeric {numeric} (|diff| {err})"
        );
    }

    /// Runs both checks at `x_value` (f64). Returns the analytic first derivative.
    pub fn check(&self, x_value: &Value) -> Vec<f64> {
        let g = self.graph;
        let y_value = self.run(&[self.y], x_value).remove(0);
        let loss = weighted_sum(g, self.y, y_value.shape(), 17);
        let dx = grad_of(g, loss, self.x);
        let x0 = x_value.to_f64_vec();
        let shape = x_value.shape().to_vec();
        let analytic = self.run(&[dx], x_value).remove(0);
        assert_eq!(analytic.shape(), x_value.shape(), "gradient shape");
        let analytic = analytic.to_f64_vec();
        let h = self.step;
        let at = |delta: &dyn Fn(usize) -> f64| {
            f64_value(
                &shape,
                x0.iter().enumerate().map(|(i, &v)| v + delta(i)).collect(),
            )
        };
        for (i, &a) in analytic.iter().enumerate() {
            let plus = self.run(&[loss], &at(&|j| if j == i { h } else { 0.0 }))[0].to_f64_vec()[0];
            let minus =
                self.run(&[loss], &at(&|j| if j == i { -h } else { 0.0 }))[0].to_f64_vec()[0];
            self.close("first derivative", i, a, (plus - minus) / (2.0 * h));
        }
        if self.second_order {
            let v_data = pattern(x0.len(), 99);
            let v = source::const_value(g, f64_value(&shape, v_data.clone()), None).expect("const");
            let gv = binary::mul(g, dx, v).expect("mul");
            let flat = array::reshape(g, gv, &[-1]).expect("reshape");
            let inner = reduce::sum(g, flat, &[0], false).expect("sum");
            let hv = grad_of(g, inner, self.x);
            let hv_analytic = self.run(&[hv], x_value).remove(0).to_f64_vec();
            assert_eq!(hv_analytic.len(), x0.len(), "Hessian-vector product size");
            let plus = self.run(&[dx], &at(&|j| h * v_data[j]))[0].to_f64_vec();
            let minus = self.run(&[dx], &at(&|j| -h * v_data[j]))[0].to_f64_vec();
            for (i, ((&a, &p), &m)) in hv_analytic.iter().zip(&plus).zip(&minus).enumerate() {
                self.close(
                    "second derivative (Hessian-vector product)",
                    i,
                    a,
                    (p - m) / (2.0 * h),
                );
            }
        }
        analytic
    }
}

/// Checks first and second derivatives of `y` wrt placeholder `x` at `x_value`.
pub fn check_gradient(g: &Graph, x: Tensor, y: Tensor, x_value: &Value, tol: f64) -> Vec<f64> {
    let mut c = Checker::new(g, x, y);
    c.tol = tol;
    c.check(x_value)
}

/// Builds a graph with an f64 placeholder of static shape `static_shape`, applies `build`,
/// and checks at `x_value` (whose shape must fit `static_shape`).
pub fn check_fn(
    static_shape: Shape,
    x_value: &Value,
    build: impl Fn(&Graph, Tensor) -> Tensor,
) -> Vec<f64> {
    let g = Graph::new();
    let x = placeholder(&g, static_shape);
    let y = build(&g, x);
    check_gradient(&g, x, y, x_value, 1e-6)
}

/// A `/proc/self/status` memory field (`"VmRSS:"`, `"VmHWM:"`) in bytes; 0 where /proc is
/// unavailable.
pub fn proc_status_bytes(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Resets VmHWM to the current RSS (Linux `clear_refs` 5), so one phase's peak can be read.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// A string tensor of `shape` holding `items` (UTF-8).
pub fn strings(shape: &[usize], items: &[&str]) -> Value {
    let data = items.iter().map(|s| s.as_bytes().to_vec()).collect();
    Value::from_strings(shape, data).expect("shape fits")
}

/// A `Const` op holding `v`.
pub fn konst(g: &Graph, v: Value) -> Tensor {
    let attrs = symgrad::Attrs::new().with("value", symgrad::AttrValue::Tensor(v));
    g.add_op_def("Const", &[], &attrs, None)
        .expect("const")
        .output(0)
}

/// The first output of a new `op_type` op, built from its TF type name and attributes.
pub fn op(
    g: &Graph,
    op_type: &str,
    inputs: &[Tensor],
    attrs: symgrad::Attrs,
) -> symgrad::Result<Tensor> {
    Ok(g.add_op_def(op_type, inputs, &attrs, None)?.output(0))
}
