//! Host callbacks: ops whose kernel calls a function registered at run time, found by the
//! op's `token` attribute — TF's `PyFunc` and `PyFuncStateless` (what `tf.py_func` and
//! `tf.numpy_function` build). The registry is plain Rust (`HostCallback`), so Rust users can
//! register callbacks too; the Python binding registers closures that take the GIL.
//!
//! Outputs have unknown shapes (nothing is known about them until the callback runs), and the
//! ops are not differentiable, as in TF.

use super::{Family, InferCtx, KernelCtx, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::registry::GradRegistry;
use crate::graph::{Metas, Node, TensorMeta};
use crate::shape::Shape;
use crate::value::Value;
use rustc_hash::FxHashMap;
use std::sync::{Arc, OnceLock, RwLock};

/// A function the executor calls for a host-callback op. It may run on any executor thread,
/// concurrently with other calls.
pub trait HostCallback: Send + Sync {
    fn call(&self, inputs: Vec<Value>) -> Result<Vec<Value>>;
}

type Registry = RwLock<FxHashMap<String, Arc<dyn HostCallback>>>;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::default)
}

/// Makes `callback` the function behind ops whose `token` attribute is `token` (replacing
/// any earlier one).
pub fn register_callback(token: impl Into<String>, callback: Arc<dyn HostCallback>) {
    registry()
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .insert(token.into(), callback);
}

/// Forgets the callback of `token`; true when there was one.
pub fn unregister_callback(token: &str) -> bool {
    registry()
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .remove(token)
        .is_some()
}

fn lookup(token: &str) -> Option<Arc<dyn HostCallback>> {
    // The lock is released before the call: a callback may register other callbacks.
    registry()
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .get(token)
        .cloned()
}

#[derive(Debug, Clone)]
pub struct HostOp {
    token: String,
    tout: Vec<DType>,
    stateless: bool,
}

fn type_list(attrs: &Attrs, name: &str) -> Result<Vec<DType>> {
    match attrs.get(name) {
        None => Ok(Vec::new()),
        Some(AttrValue::Types(v)) => Ok(v.clone()),
        Some(AttrValue::Type(t)) => Ok(vec![*t]),
        Some(AttrValue::Strs(v)) => v.iter().map(|s| DType::from_name(s)).collect(),
        Some(AttrValue::Ints(v)) if v.is_empty() => Ok(Vec::new()),
        Some(other) => Err(Error::type_error(format!(
            "attr '{name}' expects a list(type), got {other:?}"
        ))),
    }
}

impl Family for HostOp {
    fn type_name(&self) -> &'static str {
        if self.stateless {
            "PyFuncStateless"
        } else {
            "PyFunc"
        }
    }

    fn from_def(op_type: &str, attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        let stateless = match op_type {
            "PyFunc" => false,
            "PyFuncStateless" => true,
            _ => return None,
        };
        Some((|| {
            let token = match attrs.get("token") {
                Some(AttrValue::Str(s)) => s.clone(),
                Some(other) => {
                    return Err(Error::type_error(format!(
                        "attr 'token' expects a string, got {other:?}"
                    )))
                }
                None => return Err(Error::invalid("NodeDef missing attr 'token'")),
            };
            Ok(HostOp {
                token,
                tout: type_list(attrs, "Tout")?,
                stateless,
            })
        })())
    }

    fn attrs(&self, _node: &Node, input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        vec![
            ("token", AttrValue::Str(self.token.clone())),
            ("Tin", AttrValue::Types(input_types.to_vec())),
            ("Tout", AttrValue::Types(self.tout.clone())),
        ]
    }

    fn infer(&self, _ctx: &InferCtx<'_>) -> Result<Metas> {
        Ok(self
            .tout
            .iter()
            .map(|&d| TensorMeta::new(d, Shape::unknown()))
            .collect())
    }

    fn compute(&self, _ctx: &KernelCtx<'_>, inputs: &[Value]) -> Result<Outputs> {
        let token = &self.token;
        let callback = lookup(token).ok_or_else(|| {
            Error::op_invalid(format!(
                "Callback with token {token} is not registered (its Python function may \
                 have been garbage-collected with its graph)"
            ))
        })?;
        let outputs = callback.call(inputs.to_vec())?;
        if outputs.len() != self.tout.len() {
            return Err(Error::op_invalid(format!(
                "{token} returns {} values, but expects to see {} values.",
                outputs.len(),
                self.tout.len()
            )));
        }
        for (i, (value, want)) in outputs.iter().zip(&self.tout).enumerate() {
            if value.dtype() != *want {
                return Err(Error::op_invalid(format!(
                    "{i}-th value returned by {token} is {}, but expects {}",
                    value.dtype().tf_short_name(),
                    want.tf_short_name()
                )));
            }
        }
        Ok(outputs.into_iter().collect())
    }

    fn register_gradients(r: &mut GradRegistry) {
        r.not_differentiable("PyFunc");
        r.not_differentiable("PyFuncStateless");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Doubler;
    impl HostCallback for Doubler {
        fn call(&self, inputs: Vec<Value>) -> Result<Vec<Value>> {
            Ok(inputs.iter().map(|v| v.cast(DType::F64)).collect())
        }
    }

    #[test]
    fn registry_round_trip() {
        register_callback("host_test_token", Arc::new(Doubler));
        assert!(lookup("host_test_token").is_some());
        assert!(unregister_callback("host_test_token"));
        assert!(!unregister_callback("host_test_token"));
        assert!(lookup("host_test_token").is_none());
    }
}
