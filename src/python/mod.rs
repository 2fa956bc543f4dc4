//! The PyO3 binding: converts between Python objects and core types and forwards; no
//! logic of its own. Graph elements cross as integers (`op`, `(op, index)`).

mod convert;
mod eager;
mod errors;
mod graph;
mod host;
mod session;

use pyo3::prelude::*;

// The extension module is a library Python loads, so choosing its allocator here affects
// only symgrad's own allocations; Rust users of the crate keep whatever they choose.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[pymodule(name = "_symgrad")]
mod symgrad_native {
    #[pymodule_export]
    use super::eager::{PyEagerContext, PyEagerValue, PyGraphFunction, PyTape};
    #[pymodule_export]
    use super::graph::{
        is_gradient_registered, op_types, register_gradient, register_not_differentiable,
        set_gradient_trampoline, PyGraph,
    };
    #[pymodule_export]
    use super::host::{register_host_callback, unregister_host_callback};
    #[pymodule_export]
    use super::session::PySession;
}

#[allow(unused_imports)]
use symgrad_native as _;

/// Keeps `Python` in scope for submodules that only need the prelude.
#[allow(dead_code)]
fn _python_marker(_: Python<'_>) {}
