//! Summing the contributions an output received (TF's `_AggregatedGrads`).

use super::{Grad, IndexedSlices, ScopeGuard};
use crate::error::{Error, Result};
use crate::graph::{Graph, Tensor};
use crate::ops;
use smallvec::SmallVec;

const ADD_N: i64 = 0;
const EXPERIMENTAL_TREE: i64 = 1;
const EXPERIMENTAL_ACCUMULATE_N: i64 = 2;

/// One aggregated gradient per output; checked lazily, as TF checks the method only when
/// an op is processed.
pub(super) fn aggregate_outputs(
    g: &Graph,
    op_name: &str,
    received: SmallVec<[SmallVec<[Grad; 2]>; 1]>,
    method: Option<i64>,
) -> Result<Vec<Option<Grad>>> {
    let method = method.unwrap_or(ADD_N);
    if ![ADD_N, EXPERIMENTAL_TREE, EXPERIMENTAL_ACCUMULATE_N].contains(&method) {
        return Err(Error::invalid(format!(
            "Invalid `aggregation_method` specified {method}. Accepted values are [0, 1, 2]."
        )));
    }
    let mut out = Vec::with_capacity(received.len());
    for terms in received {
        out.push(match terms.len() {
            0 => None,
            1 => Some(terms[0]),
            _ => aggregate(g, op_name, terms, method)?,
        });
    }
    Ok(out)
}

fn aggregate(
    g: &Graph,
    op_name: &str,
    terms: SmallVec<[Grad; 2]>,
    method: i64,
) -> Result<Option<Grad>> {
    match terms.len() {
        0 => return Ok(None),
        1 => return Ok(Some(terms[0])),
        _ => {}
    }
    let dense: Option<Vec<Tensor>> = terms
        .iter()
        .map(|t| {
            if let Grad::Dense(t) = t {
                Some(*t)
            } else {
                None
            }
        })
        .collect();
    if let Some(dense) = dense {
        let sum = if method == ADD_N {
            multi_device_add_n(g, &dense)?
        } else {
            chain_sum(g, op_name, &dense)?
        };
        return Ok(Some(Grad::Dense(sum)));
    }
    // Some contribution is sparse: dense terms force a dense sum, else concatenate slices.
    if terms.iter().any(|t| matches!(t, Grad::Dense(_))) {
        return Ok(Some(Grad::Dense(add_n_densifying(g, &terms)?)));
    }
    let slices: Vec<IndexedSlices> = terms
        .iter()
        .filter_map(|t| {
            if let Grad::Sparse(s) = t {
                Some(*s)
            } else {
                None
            }
        })
        .collect();
    Ok(Some(Grad::Sparse(ops::array::concat_slices(g, &slices)?)))
}

/// TF's `add_n` over dense and sparse terms: its op helper converts the slices inside the
/// op's own scope (`AddN/strided_slice`, then `AddN/inputs_<i>`), and the op takes the
/// scope's name.
fn add_n_densifying(g: &Graph, terms: &[Grad]) -> Result<Tensor> {
    let scope = ScopeGuard::enter(g, "AddN");
    let op_name = g.name_scope();
    let mut dense = Vec::with_capacity(terms.len());
    for (i, term) in terms.iter().enumerate() {
        dense.push(super::densify_named(g, *term, &format!("inputs_{i}"))?);
    }
    drop(scope);
    g.add1(ops::OpKind::AddN, &dense, Some(&op_name))
}

/// ADD_N: one `AddN` per device (colocated with its first term), then one across devices.
fn multi_device_add_n(g: &Graph, terms: &[Tensor]) -> Result<Tensor> {
    let mut by_device: Vec<(String, Vec<Tensor>)> = Vec::new();
    {
        let data = g.read();
        for t in terms {
            let device = data
                .node(t.node)
                .map_or(String::new(), |n| n.device().to_string());
            match by_device.iter_mut().find(|(d, _)| *d == device) {
                Some((_, v)) => v.push(*t),
                None => by_device.push((device, vec![*t])),
            }
        }
    }
    by_device.sort_by(|a, b| a.0.cmp(&b.0));
    let mut partial = Vec::with_capacity(by_device.len());
    for (_, group) in &by_device {
        let mut guard = ScopeGuard::keep(g);
        guard.colocate(group[0].op(), true)?;
        partial.push(ops::control::add_n(g, group)?);
    }
    ops::control::add_n(g, &partial)
}

/// EXPERIMENTAL_TREE / EXPERIMENTAL_ACCUMULATE_N: a chain of two-input `AddN`s under
/// `<op>_gradient_sum/`.
fn chain_sum(g: &Graph, op_name: &str, terms: &[Tensor]) -> Result<Tensor> {
    let _scope = ScopeGuard::enter(g, &format!("{op_name}_gradient_sum"));
    let mut running = terms[0];
    for t in &terms[1..] {
        running = ops::control::add_n(g, &[running, *t])?;
    }
    Ok(running)
}
