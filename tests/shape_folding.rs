//! Static shapes from shape tensors that are computed, not constant: shape inference runs the
//! small constant subgraph feeding a shape input, as TF's `EvaluateConstantTensor` does, and
//! leaves unknown what depends on a fed value or is too deep to run while building.

use symgrad::ops::binary::BinaryOp;
use symgrad::ops::{array, binary, source};
use symgrad::{DType, Graph, Shape, Tensor, Value};

fn ints(g: &Graph, xs: &[i64]) -> Tensor {
    source::const_value(g, Value::int_vector(DType::I32, xs), None).expect("const")
}

fn x(g: &Graph) -> Tensor {
    source::placeholder(g, DType::F32, Shape::unknown_dims(1), Some("x")).expect("placeholder")
}

#[test]
fn a_computed_constant_shape_is_run_while_building() {
    let g = Graph::new();
    let doubled =
        binary::binary(&g, BinaryOp::Mul, ints(&g, &[2, 3]), ints(&g, &[2]), None).expect("mul");
    let minus_one = binary::binary(&g, BinaryOp::Sub, doubled, ints(&g, &[1]), None).expect("sub");
    let y = array::reshape_t(&g, x(&g), minus_one).expect("reshape");
    assert_eq!(g.shape(y).expect("shape"), Shape::known(&[3, 5]));
}

#[test]
fn a_shape_from_a_fed_value_stays_unknown() {
    let g = Graph::new();
    let n = source::placeholder(&g, DType::I32, Shape::known(&[2]), Some("n")).expect("n");
    let shape = binary::binary(&g, BinaryOp::Mul, n, ints(&g, &[2]), None).expect("mul");
    let y = array::reshape_t(&g, x(&g), shape).expect("reshape");
    assert_eq!(g.shape(y).expect("shape"), Shape::unknown_dims(2));
}

#[test]
fn a_static_shape_of_a_computed_tensor_is_known_without_running_it() {
    let g = Graph::new();
    // shape(a * 2) with a of static shape [4, 6]: the Mul is never run.
    let a = source::placeholder(&g, DType::F32, Shape::known(&[4, 6]), Some("a")).expect("a");
    let two = source::const_value(&g, Value::scalar(2.0f32), None).expect("two");
    let a2 = binary::binary(&g, BinaryOp::Mul, a, two, None).expect("mul");
    let s = array::shape_of(&g, a2, DType::I32, None).expect("shape");
    let halved = binary::binary(&g, BinaryOp::FloorDiv, s, ints(&g, &[2]), None).expect("div");
    let y = array::reshape_t(&g, x(&g), halved).expect("reshape");
    assert_eq!(g.shape(y).expect("shape"), Shape::known(&[2, 3]));
}

#[test]
fn a_deep_constant_subgraph_is_not_run() {
    let g = Graph::new();
    let mut shape = ints(&g, &[1, 1]);
    for _ in 0..200 {
        shape = binary::binary(&g, BinaryOp::AddV2, shape, ints(&g, &[0]), None).expect("add");
    }
    let y = array::reshape_t(&g, x(&g), shape).expect("reshape");
    assert_eq!(g.shape(y).expect("shape"), Shape::unknown_dims(2));
    // A few steps are.
    let mut shape = ints(&g, &[1, 1]);
    for _ in 0..20 {
        shape = binary::binary(&g, BinaryOp::AddV2, shape, ints(&g, &[1]), None).expect("add");
    }
    let y = array::reshape_t(&g, x(&g), shape).expect("reshape");
    assert_eq!(g.shape(y).expect("shape"), Shape::known(&[21, 21]));
}

#[test]
fn a_failing_constant_subgraph_leaves_the_shape_unknown() {
    // An integer division by zero fails when run; building goes on, as in TF.
    let g = Graph::new();
    let bad = binary::binary(
        &g,
        BinaryOp::FloorDiv,
        ints(&g, &[4, 6]),
        ints(&g, &[0]),
        None,
    )
    .expect("floordiv builds");
    let y = array::reshape_t(&g, x(&g), bad).expect("reshape");
    assert_eq!(g.shape(y).expect("shape"), Shape::unknown_dims(2));
}
