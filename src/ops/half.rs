//! `float16` tensors. They are stored as IEEE half precision and computed in f32: an op
//! that has a half input or output runs its f32 kernel on widened inputs, and each output
//! the op declares `float16` is rounded back to half. TF's CPU kernels for `half` do the
//! same per element (Eigen converts each operand to float and rounds the result), so an
//! elementwise op gives TF's values; reductions and products keep their partial sums in
//! f32, where TF's may round more often.
//!
//! Ops that only move or store values (sources, `Cast`, `Identity`, variables) take half
//! as it is: widening would change nothing but their cost, and a variable must keep the
//! dtype it was created with.

use super::{OpKind, Outputs};
use crate::dtype::DType;
use crate::graph::TensorMeta;
use crate::value::Value;
use half::f16;

/// Whether `op` runs through `compute_widened` for these inputs and outputs.
pub(crate) fn involved(op: &OpKind, inputs: &[Value], metas: &[TensorMeta]) -> bool {
    let half_in = inputs.iter().any(|v| matches!(v, Value::F16(_)));
    let half_out = metas.iter().any(|m| m.dtype == DType::F16);
    (half_in || half_out) && !takes_half(op)
}

fn takes_half(op: &OpKind) -> bool {
    matches!(
        op,
        OpKind::Const { .. }
            | OpKind::Placeholder { .. }
            | OpKind::PlaceholderWithDefault { .. }
            | OpKind::Cast { .. }
            | OpKind::Identity
            | OpKind::IdentityN
            | OpKind::StopGradient
            | OpKind::State(_)
            // Python kernels (`py_func`, ...) see the dtype the graph declares.
            | OpKind::Host(_)
    )
}

/// `v` as f32 when it is half; any other value unchanged (a shared buffer stays shared).
pub(crate) fn widen(v: &Value) -> Value {
    match v {
        Value::F16(a) => Value::F32(a.mapv(f16::to_f32).into_shared()),
        other => other.clone(),
    }
}

/// `v` rounded to half when the op declares `dtype` float16 for it (round to nearest even,
/// as TF's `Eigen::half` conversion).
pub(crate) fn narrow(v: Value, dtype: DType) -> Value {
    match (v, dtype) {
        (Value::F32(a), DType::F16) => Value::F16(a.mapv(f16::from_f32).into_shared()),
        (Value::F64(a), DType::F16) => Value::F16(a.mapv(f16::from_f64).into_shared()),
        (other, _) => other,
    }
}

/// Runs `kernel` on the widened `inputs` and rounds the outputs `metas` declares half.
pub(crate) fn compute_widened(
    inputs: &[Value],
    metas: &[TensorMeta],
    kernel: impl FnOnce(&[Value]) -> crate::error::Result<Outputs>,
) -> crate::error::Result<Outputs> {
    let wide: Vec<Value> = inputs.iter().map(widen).collect();
    let outputs = kernel(&wide)?;
    Ok(outputs
        .into_iter()
        .enumerate()
        .map(|(i, v)| match metas.get(i) {
            Some(meta) => narrow(v, meta.dtype),
            None => v,
        })
        .collect())
}

/// A numeric kernel reached by a half value: `compute` widens first, so this is a bug.
pub(crate) fn unwidened(op_type: &str) -> crate::error::Error {
    crate::error::Error::internal(format!("{op_type} got float16 data without widening"))
}

/// `f` on `values`, through f32 when the first is half (a half variable updated in place);
/// the result is rounded back to half then.
pub(crate) fn keeping_dtype(
    values: &[&Value],
    f: impl FnOnce(&[Value]) -> crate::error::Result<Value>,
) -> crate::error::Result<Value> {
    let half = values.first().is_some_and(|v| v.dtype() == DType::F16);
    let inputs: Vec<Value> = if half {
        values.iter().map(|v| widen(v)).collect()
    } else {
        values.iter().map(|v| (*v).clone()).collect()
    };
    let out = f(&inputs)?;
    Ok(if half { narrow(out, DType::F16) } else { out })
}
