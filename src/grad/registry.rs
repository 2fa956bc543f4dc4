//! The gradient registry: op type → gradient function, as TF's `RegisterGradient`.
//! Built-in rules are plain function pointers; Python (or other Rust) rules are trait
//! objects; `NotDifferentiable` propagates `None` to every input.

use super::{Grad, GradCtx};
use crate::error::{Error, Result};
use rustc_hash::FxHashMap;
use std::sync::{Arc, OnceLock, RwLock};

pub type BuiltinGradFn = fn(&GradCtx<'_>, &[Option<Grad>]) -> Result<Vec<Option<Grad>>>;

/// A gradient function defined outside the built-in set (e.g. in Python).
pub trait GradientFn: Send + Sync {
    fn call(&self, ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> Result<Vec<Option<Grad>>>;
    /// Where it was defined, for the duplicate-registration message.
    fn origin(&self) -> String;
}

#[derive(Clone)]
pub enum GradEntry {
    Builtin(BuiltinGradFn),
    /// A built-in rule whose ops depend only on its op's attributes, the static types of
    /// the op's inputs, outputs and incoming gradients, and which of those are the same
    /// tensor: what it builds for one op is replayed for the next of the same kind and types
    /// (see `grad/template.rs`).
    Structural(BuiltinGradFn),
    Dyn(Arc<dyn GradientFn>),
    NotDifferentiable,
}

#[derive(Default)]
pub struct GradRegistry {
    map: FxHashMap<String, (GradEntry, String)>,
}

impl GradRegistry {
    pub fn builtin(&mut self, op_type: &str, f: BuiltinGradFn) {
        self.map.insert(
            op_type.to_string(),
            (GradEntry::Builtin(f), format!("symgrad built-in {op_type}")),
        );
    }
    /// Registers a structural rule (see `GradEntry::Structural`).
    pub fn structural(&mut self, op_type: &str, f: BuiltinGradFn) {
        self.map.insert(
            op_type.to_string(),
            (
                GradEntry::Structural(f),
                format!("symgrad built-in {op_type}"),
            ),
        );
    }
    pub fn not_differentiable(&mut self, op_type: &str) {
        self.map.insert(
            op_type.to_string(),
            (
                GradEntry::NotDifferentiable,
                format!("symgrad built-in {op_type}"),
            ),
        );
    }
}

fn global() -> &'static RwLock<GradRegistry> {
    static REGISTRY: OnceLock<RwLock<GradRegistry>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut r = GradRegistry::default();
        crate::ops::register_gradients(&mut r);
        RwLock::new(r)
    })
}

/// Registers a gradient for `op_type`; a second registration is an error, as in TF.
pub fn register(op_type: &str, entry: GradEntry, origin: String) -> Result<()> {
    let mut r = global().write().unwrap_or_else(|p| p.into_inner());
    if let Some((_, previous)) = r.map.get(op_type) {
        return Err(Error::AlreadyRegistered {
            op_type: op_type.to_string(),
            previous: previous.clone(),
        });
    }
    r.map.insert(op_type.to_string(), (entry, origin));
    Ok(())
}

/// Registers a Rust gradient function for an op type (e.g. a custom op or an override name).
pub fn register_gradient(op_type: &str, f: Arc<dyn GradientFn>) -> Result<()> {
    let origin = f.origin();
    register(op_type, GradEntry::Dyn(f), origin)
}

/// TF's `no_gradient(op_type)`.
pub fn register_not_differentiable(op_type: &str) -> Result<()> {
    register(
        op_type,
        GradEntry::NotDifferentiable,
        format!("no_gradient({op_type})"),
    )
}

/// The entry for `op_type`, cloned out so no lock is held while it runs.
pub fn lookup(op_type: &str) -> Option<GradEntry> {
    global()
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .map
        .get(op_type)
        .map(|(e, _)| e.clone())
}

pub fn registered_types() -> Vec<String> {
    let mut v: Vec<String> = global()
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .map
        .keys()
        .cloned()
        .collect();
    v.sort();
    v
}
