//! The one mapping from the core's `Error` to Python exceptions.

use crate::error::Error;
use pyo3::exceptions::{PyKeyError, PyLookupError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;

/// `symgrad.errors.<Code>Error(None, None, message)` with the failing op's id attached
/// as `_node_id` (the Python session turns it into `.op`).
fn op_error(py: Python<'_>, class: &str, node: Option<u32>, message: &str) -> PyResult<PyErr> {
    let module = py.import("symgrad.errors")?;
    let cls = module.getattr(class)?;
    let exc = cls.call1((py.None(), py.None(), message))?;
    exc.setattr("_node_id", node)?;
    Ok(PyErr::from_value(exc))
}

impl From<Error> for PyErr {
    fn from(e: Error) -> PyErr {
        match e {
            Error::InvalidArgument { message } => PyValueError::new_err(message),
            Error::Type { message } => PyTypeError::new_err(message),
            Error::NoGradient { message } => PyLookupError::new_err(message),
            e @ Error::AlreadyRegistered { .. } => PyKeyError::new_err(e.to_string()),
            Error::Key { message } => PyKeyError::new_err(message),
            Error::Runtime { message } => PyRuntimeError::new_err(message),
            Error::Op { code, op, message } => Python::attach(|py| {
                op_error(py, code.class_name(), op, &message).unwrap_or_else(|err| err)
            }),
            Error::External(inner) => match inner.downcast::<PyErr>() {
                Ok(py_err) => *py_err,
                Err(other) => PyRuntimeError::new_err(other.to_string()),
            },
        }
    }
}

/// Wraps a Python exception raised by user code so it crosses the core unchanged.
pub fn external(e: PyErr) -> Error {
    Error::External(Box::new(e))
}

/// Runs a core call so that a Rust panic surfaces as `symgrad.errors.InternalError` instead
/// of aborting or raising PyO3's `PanicException` (a `BaseException`).
pub fn guard<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(panic) => Err(Error::op(
            crate::error::Code::Internal,
            format!(
                "internal error in symgrad: {}",
                crate::exec::panic_text(panic.as_ref())
            ),
        )
        .into()),
    }
}
