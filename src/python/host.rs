//! Python functions as host callbacks (`PyFunc` ops): the executor runs with the GIL
//! released, so the callback takes it for the call and gives it back.

use super::convert::{array_to_value, value_to_array};
use crate::error::{Code, Error, Result};
use crate::ops::host::{register_callback, unregister_callback, HostCallback};
use crate::value::Value;
use pyo3::prelude::*;
use pyo3::types::PyList;
use std::sync::Arc;

/// Calls `func(list_of_arrays)`, which returns a list of arrays (the Python layer's wrapper
/// normalizes what the user's function returns and turns its exceptions into
/// `symgrad.errors` classes).
struct PyHostCallback {
    func: Py<PyAny>,
}

/// TF's canonical error codes by number, as `symgrad.errors` classes carry them.
fn code_from_number(n: i64) -> Code {
    match n {
        1 => Code::Cancelled,
        3 => Code::InvalidArgument,
        4 => Code::DeadlineExceeded,
        5 => Code::NotFound,
        6 => Code::AlreadyExists,
        7 => Code::PermissionDenied,
        8 => Code::ResourceExhausted,
        9 => Code::FailedPrecondition,
        10 => Code::Aborted,
        11 => Code::OutOfRange,
        12 => Code::Unimplemented,
        13 => Code::Internal,
        14 => Code::Unavailable,
        15 => Code::DataLoss,
        16 => Code::Unauthenticated,
        _ => Code::Unknown,
    }
}

/// A run-time error from a Python exception: an `OpError` keeps its code and message, any
/// other exception is `UnknownError` with its text.
fn error_from_py(py: Python<'_>, err: PyErr) -> Error {
    let value = err.value(py);
    let code = value
        .getattr("error_code")
        .and_then(|c| c.extract::<i64>())
        .ok();
    let message = value
        .getattr("message")
        .and_then(|m| m.extract::<String>())
        .ok();
    match (code, message) {
        (Some(code), Some(message)) => Error::op(code_from_number(code), message),
        _ => Error::op(Code::Unknown, err.to_string()),
    }
}

impl HostCallback for PyHostCallback {
    fn call(&self, inputs: Vec<Value>) -> Result<Vec<Value>> {
        Python::attach(|py| {
            let arrays: Vec<Py<PyAny>> =
                inputs.into_iter().map(|v| value_to_array(py, v)).collect();
            let args = PyList::new(py, arrays).map_err(|e| error_from_py(py, e))?;
            let result = self
                .func
                .call1(py, (args,))
                .map_err(|e| error_from_py(py, e))?;
            let items: Vec<Bound<'_, PyAny>> = result
                .bind(py)
                .try_iter()
                .and_then(|it| it.collect::<PyResult<_>>())
                .map_err(|e| error_from_py(py, e))?;
            items
                .iter()
                .map(|a| {
                    array_to_value(a).map_err(|e| Error::op_invalid(format!("{}", e.value(py))))
                })
                .collect()
        })
    }
}

/// Makes `func` the callback of the `PyFunc` ops whose `token` is `token`.
#[pyfunction]
pub fn register_host_callback(token: String, func: Py<PyAny>) {
    register_callback(token, Arc::new(PyHostCallback { func }));
}

/// Forgets a token's callback; true when there was one.
#[pyfunction]
pub fn unregister_host_callback(token: &str) -> bool {
    unregister_callback(token)
}
