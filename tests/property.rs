//! Property tests (proptest): random chains of differentiable ops on an f64 placeholder of a
//! random shape (scalars, size-0 dimensions, unknown dimensions fed at run time) — unary,
//! binary against a constant of a broadcasting shape, reductions over random axes with random
//! `keep_dims`, matmul, reshape, transpose, concat, slice, pad, softmax, log-softmax — whose
//! first and second derivatives (Hessian-vector products) match central finite differences.
//!
//! CI runs a fixed seed and 64 cases; `SYMGRAD_LONG_TESTS=1` runs 2,000 cases from a random
//! seed (a failure prints the shrunk program and is saved by proptest for replay).

mod common;

use common::{f64_value, pattern, Checker};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use symgrad::ops::{array, binary, linalg, nn, reduce, source, unary};
use symgrad::{DType, Graph, Shape, Tensor, Value};

const MAX_ELEMENTS: usize = 24;

#[derive(Debug, Clone)]
enum Step {
    Unary(u8),
    /// Partner shape (broadcasts against the current one); swap = partner on the left.
    Binary(u8, Vec<usize>, bool),
    Reduce {
        mean: bool,
        axes: Vec<i64>,
        keep_dims: bool,
    },
    MatMul(usize),
    Flatten,
    Transpose(Vec<usize>),
    ConcatWithSin(i64),
    Slice(Vec<i64>, Vec<i64>),
    Pad(Vec<[i32; 2]>),
    Softmax(bool),
}

#[derive(Debug, Clone)]
struct Program {
    shape: Vec<usize>,
    unknown: Vec<bool>,
    steps: Vec<Step>,
}

fn size(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// The shape after `step`, or `None` when the step does not apply to `shape`.
fn apply_shape(shape: &[usize], step: &Step) -> Option<Vec<usize>> {
    let rank = shape.len();
    Some(match step {
        Step::Unary(_) => shape.to_vec(),
        Step::Binary(_, other, _) => symgrad::shape::broadcast_dims(shape, other)?,
        Step::Reduce {
            axes, keep_dims, ..
        } => {
            let axes: Vec<usize> = axes.iter().map(|&a| a as usize).collect();
            if axes.iter().any(|&a| a >= rank) {
                return None;
            }
            shape
                .iter()
                .enumerate()
                .filter_map(|(i, &d)| match (axes.contains(&i), keep_dims) {
                    (true, true) => Some(1),
                    (true, false) => None,
                    (false, _) => Some(d),
                })
                .collect()
        }
        Step::MatMul(m) if rank == 2 => vec![shape[0], *m],
        Step::Flatten => vec![size(shape)],
        Step::Transpose(perm) if perm.len() == rank => perm.iter().map(|&p| shape[p]).collect(),
        Step::ConcatWithSin(axis) if rank > 0 && *axis < rank as i64 => {
            let a = *axis as usize;
            shape
                .iter()
                .enumerate()
                .map(|(i, &d)| if i == a { 2 * d } else { d })
                .collect()
        }
        Step::Slice(begin, sz) if begin.len() == rank => {
            let mut out = Vec::with_capacity(rank);
            for ((&d, &b), &s) in shape.iter().zip(begin).zip(sz) {
                let b = b as usize;
                if b > d || (s >= 0 && s as usize > d - b) {
                    return None;
                }
                out.push(if s < 0 { d - b } else { s as usize });
            }
            out
        }
        Step::Pad(p) if p.len() == rank => shape
            .iter()
            .zip(p)
            .map(|(&d, [a, b])| d + *a as usize + *b as usize)
            .collect(),
        Step::Softmax(_) if rank > 0 => shape.to_vec(),
        _ => return None,
    })
}

fn step_strategy() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u8..6).prop_map(Step::Unary),
        (
            0u8..4,
            prop::collection::vec(1usize..3, 0..3),
            any::<bool>()
        )
            .prop_map(|(op, other, swap)| Step::Binary(op, other, swap)),
        (
            any::<bool>(),
            prop::collection::vec(0i64..3, 0..3),
            any::<bool>()
        )
            .prop_map(|(mean, mut axes, keep_dims)| {
                axes.sort_unstable();
                axes.dedup();
                Step::Reduce {
                    mean,
                    axes,
                    keep_dims,
                }
            }),
        (1usize..3).prop_map(Step::MatMul),
        Just(Step::Flatten),
        (2usize..4)
            .prop_flat_map(|r| Just((0..r).collect::<Vec<_>>()).prop_shuffle())
            .prop_map(Step::Transpose),
        (0i64..3).prop_map(Step::ConcatWithSin),
        (
            prop::collection::vec(0i64..2, 1..4),
            prop::collection::vec(-1i64..3, 1..4)
        )
            .prop_map(|(b, s)| {
                let n = b.len().min(s.len());
                Step::Slice(b[..n].to_vec(), s[..n].to_vec())
            }),
        prop::collection::vec((0i32..2, 0i32..2).prop_map(|(a, b)| [a, b]), 1..4)
            .prop_map(Step::Pad),
        any::<bool>().prop_map(Step::Softmax),
    ]
}

fn program_strategy() -> impl Strategy<Value = Program> {
    (
        prop::collection::vec(0usize..4, 0..4),
        prop::collection::vec(any::<bool>(), 4),
        prop::collection::vec(step_strategy(), 1..5),
    )
        .prop_map(|(shape, unknown, candidates)| {
            // Keep the steps that apply, so every drawn program is valid and small.
            let mut cur = shape.clone();
            let mut steps = Vec::new();
            for step in candidates {
                if let Some(next) = apply_shape(&cur, &step) {
                    let mean_of_nothing = matches!(&step, Step::Reduce { mean: true, axes, .. }
                        if axes.iter().any(|&a| cur[a as usize] == 0));
                    if size(&next) <= MAX_ELEMENTS && !mean_of_nothing {
                        cur = next;
                        steps.push(step);
                    }
                }
            }
            let unknown = unknown[..shape.len()].to_vec();
            Program {
                shape,
                unknown,
                steps,
            }
        })
        .prop_filter("small input", |p| size(&p.shape) <= MAX_ELEMENTS)
}

fn int_const(g: &Graph, xs: &[i64]) -> Tensor {
    source::const_value(g, Value::int_vector(DType::I32, xs), None).expect("const")
}

fn f64_const(g: &Graph, shape: &[usize], seed: u64) -> Tensor {
    source::const_value(g, f64_value(shape, pattern(size(shape), seed)), None).expect("const")
}

fn build(g: &Graph, x: Tensor, p: &Program) -> Tensor {
    let mut y = x;
    let mut shape = p.shape.clone();
    for (k, step) in p.steps.iter().enumerate() {
        let seed = 100 + k as u64;
        y = match step {
            Step::Unary(op) => match op {
                0 => unary::sin(g, y),
                1 => unary::tanh(g, y),
                2 => unary::sigmoid(g, y),
                3 => unary::square(g, y),
                4 => unary::softplus(g, y),
                _ => unary::cos(g, y),
            }
            .expect("unary"),
            Step::Binary(op, other, swap) => {
                let c = f64_const(g, other, seed);
                let (a, b) = if *swap { (c, y) } else { (y, c) };
                match op {
                    0 => binary::add(g, a, b),
                    1 => binary::sub(g, a, b),
                    2 => binary::mul(g, a, b),
                    // A denominator bounded away from zero.
                    _ => {
                        let one = source::const_value(g, Value::scalar(1.5f64), None).expect("c");
                        let den =
                            binary::add(g, unary::square(g, b).expect("sq"), one).expect("add");
                        binary::div(g, a, den)
                    }
                }
                .expect("binary")
            }
            Step::Reduce {
                mean,
                axes,
                keep_dims,
            } => if *mean {
                reduce::mean(g, y, axes, *keep_dims)
            } else {
                reduce::sum(g, y, axes, *keep_dims)
            }
            .expect("reduce"),
            Step::MatMul(m) => {
                let w = f64_const(g, &[shape[1], *m], seed);
                linalg::matmul(g, y, w, false, false).expect("matmul")
            }
            Step::Flatten => array::reshape(g, y, &[-1]).expect("reshape"),
            Step::Transpose(perm) => {
                let perm: Vec<i64> = perm.iter().map(|&p| p as i64).collect();
                array::transpose(g, y, int_const(g, &perm)).expect("transpose")
            }
            Step::ConcatWithSin(axis) => {
                let s = unary::sin(g, y).expect("sin");
                array::concat(g, &[y, s], *axis).expect("concat")
            }
            Step::Slice(begin, sz) => {
                array::slice(g, y, int_const(g, begin), int_const(g, sz)).expect("slice")
            }
            Step::Pad(pads) => {
                let flat: Vec<i32> = pads.iter().flatten().copied().collect();
                let paddings = source::const_value(
                    g,
                    Value::from_vec(&[pads.len(), 2], flat).expect("paddings"),
                    None,
                )
                .expect("const");
                array::pad(g, y, paddings).expect("pad")
            }
            Step::Softmax(log) => if *log {
                nn::log_softmax(g, y)
            } else {
                nn::softmax(g, y)
            }
            .expect("softmax"),
        };
        shape = apply_shape(&shape, step).expect("valid step");
    }
    y
}

fn check_program(p: &Program) -> Result<(), TestCaseError> {
    let g = Graph::new();
    let dims: Vec<Option<usize>> = p
        .shape
        .iter()
        .zip(&p.unknown)
        .map(|(&d, &u)| if u { None } else { Some(d) })
        .collect();
    let x = source::placeholder(&g, DType::F64, Shape::from_dims(&dims), Some("x")).expect("x");
    let y = build(&g, x, p);
    let x_value = f64_value(&p.shape, pattern(size(&p.shape), 7));
    let mut checker = Checker::new(&g, x, y);
    checker.tol = 1e-6;
    // For a program linear in x, TF (and symgrad) report the second derivative as None.
    checker.second_order = p.steps.iter().any(|s| {
        matches!(
            s,
            Step::Unary(_) | Step::Binary(3, _, true) | Step::Softmax(_) | Step::ConcatWithSin(_)
        )
    });
    checker.check(&x_value);
    Ok(())
}

fn config() -> (Config, TestRng) {
    let long = std::env::var("SYMGRAD_LONG_TESTS").as_deref() == Ok("1");
    let config = Config {
        cases: if long { 2000 } else { 64 },
        failure_persistence: None,
        ..Config::default()
    };
    let rng = if long {
        TestRng::from_seed(RngAlgorithm::ChaCha, &rand_seed())
    } else {
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32])
    };
    (config, rng)
}

/// A seed for long runs, printed so a failure can be replayed.
fn rand_seed() -> [u8; 32] {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    eprintln!("property: long run seed {nanos}");
    let mut seed = [0u8; 32];
    seed[..16].copy_from_slice(&nanos.to_le_bytes());
    seed
}

#[test]
fn random_programs_match_finite_differences_to_second_order() {
    let (config, rng) = config();
    let mut runner = TestRunner::new_with_rng(config, rng);
    // Cases with a scalar input, a size-0 input, unknown dims, broadcasting.
    let stats = std::cell::Cell::new([0usize; 4]);
    runner
        .run(&program_strategy(), |p| {
            let mut s = stats.get();
            s[0] += usize::from(p.shape.is_empty());
            s[1] += usize::from(p.shape.contains(&0));
            s[2] += usize::from(p.unknown.contains(&true));
            s[3] += usize::from(p.steps.iter().any(|s| matches!(s, Step::Binary(..))));
            stats.set(s);
            check_program(&p)
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let stats = stats.get();
    eprintln!("property: scalar/size-0/unknown-dim/broadcast cases: {stats:?}");
    assert!(stats.iter().all(|&n| n > 0), "coverage {stats:?}");
}
