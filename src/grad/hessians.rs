//! `hessians()`: for each x, the block of second derivatives of `sum(ys)`, shaped
//! `x.shape + x.shape`. Each row is the gradient of one element of the first derivative;
//! the loop over elements runs here in Rust.

use super::{densify, gradients, GradientOptions};
use crate::error::{Error, Result};
use crate::graph::{Graph, Tensor};
use crate::ops::{self, OpKind};

pub fn hessians(
    g: &Graph,
    ys: &[Tensor],
    xs: &[Tensor],
    opts: &GradientOptions,
) -> Result<Vec<Tensor>> {
    let first = gradients(g, ys, xs, opts)?;
    let mut out = Vec::with_capacity(xs.len());
    for (i, (grad, &x)) in first.into_iter().zip(xs).enumerate() {
        let grad = grad.ok_or_else(|| {
            Error::invalid("Tried to convert 'tensor' to a tensor and failed. Error: None values not supported.")
        })?;
        let grad = densify(g, grad)?;
        let x_shape = g.shape(x)?;
        let dims = x_shape.to_vec().ok_or_else(|| {
            Error::invalid(format!(
                "Cannot compute Hessian because element {i} of `xs` does not have a fully defined shape: {x_shape}"
            ))
        })?;
        let n: usize = dims.iter().product();
        let mut full_dims: Vec<i64> = dims.iter().map(|&d| d as i64).collect();
        full_dims.extend(dims.iter().map(|&d| d as i64));
        let dtype = g.dtype(x)?;
        if n == 0 {
            let shape: Vec<usize> = full_dims.iter().map(|&d| d as usize).collect();
            out.push(ops::source::const_value(
                g,
                crate::value::Value::zeros(dtype, &shape),
                None,
            )?);
            continue;
        }
        let flat = ops::array::reshape(g, grad, &[-1])?;
        let parts = ops::array::unstack(g, flat, n, 0)?;
        let mut rows = Vec::with_capacity(n);
        for part in parts {
            let row = gradients(
                g,
                &[part],
                &[x],
                &GradientOptions {
                    name: opts.name.clone(),
                    ..Default::default()
                },
            )?;
            let row = row
                .into_iter()
                .next()
                .flatten()
                .ok_or_else(|| Error::invalid("None values not supported."))?;
            rows.push(densify(g, row)?);
        }
        let stacked = g.add1(OpKind::Pack { axis: 0 }, &rows, None)?;
        out.push(ops::array::reshape(g, stacked, &full_dims)?);
    }
    Ok(out)
}
