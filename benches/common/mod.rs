//! Workload pieces the cargo benches share.

use symgrad::ops::{binary, linalg, source, unary};
use symgrad::{DType, Graph, Tensor, Value};

/// Dense layers `h = relu(h · W + b)` of the given widths (no relu after the last), the
/// weights constants from `weights(layer, rows, cols)` and the biases zeros. Returns the
/// logits, the weights and the biases.
pub fn relu_mlp(
    g: &Graph,
    x: Tensor,
    sizes: &[usize],
    weights: impl Fn(usize, usize, usize) -> Vec<f32>,
) -> (Tensor, Vec<Tensor>, Vec<Tensor>) {
    let (mut ws, mut bs) = (Vec::new(), Vec::new());
    let mut h = x;
    for (i, w) in sizes.windows(2).enumerate() {
        let data = weights(i, w[0], w[1]);
        let wt =
            source::const_value(g, Value::from_vec(&[w[0], w[1]], data).unwrap(), None).unwrap();
        let b = source::const_value(g, Value::zeros(DType::F32, &[w[1]]), None).unwrap();
        h = binary::add(g, linalg::matmul(g, h, wt, false, false).unwrap(), b).unwrap();
        if i + 2 < sizes.len() {
            h = unary::relu(g, h).unwrap();
        }
        ws.push(wt);
        bs.push(b);
    }
    (h, ws, bs)
}
