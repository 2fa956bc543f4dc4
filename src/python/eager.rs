//! `symgrad._symgrad.EagerContext`, `EagerValue`, `Tape`, `GraphFunction`: the eager entry
//! points. Values stay in Rust between ops; numpy sees them only when asked.

use super::convert::{array_to_value, attrs_from_dict, value_to_array};
use super::errors::guard;
use super::graph::PyGraph;
use crate::eager::{EagerContext, EagerTensor, Function, Tape};
use crate::grad::Unconnected;
use crate::graph::{OpRef, Tensor};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Arc;

/// An eager tensor's value and tape id.
#[pyclass(frozen, name = "EagerValue", module = "symgrad._symgrad")]
pub struct PyEagerValue {
    pub(crate) tensor: EagerTensor,
}

impl PyEagerValue {
    fn wrap(tensor: EagerTensor) -> PyEagerValue {
        PyEagerValue { tensor }
    }
}

fn unwrap_all(values: &[PyRef<'_, PyEagerValue>]) -> Vec<EagerTensor> {
    values.iter().map(|v| v.tensor.clone()).collect()
}

fn wrap_all(py: Python<'_>, tensors: Vec<EagerTensor>) -> PyResult<Vec<Py<PyEagerValue>>> {
    tensors
        .into_iter()
        .map(|t| Py::new(py, PyEagerValue::wrap(t)))
        .collect()
}

#[pymethods]
impl PyEagerValue {
    /// From a numpy array; `id` reuses a tape id (a variable's), else a fresh one.
    #[new]
    #[pyo3(signature = (array, id=None))]
    fn new(array: &Bound<'_, PyAny>, id: Option<u64>) -> PyResult<Self> {
        let value = array_to_value(array)?;
        Ok(PyEagerValue::wrap(match id {
            Some(id) => EagerTensor::with_id(id, value),
            None => EagerTensor::new(value),
        }))
    }
    #[getter]
    fn id(&self) -> u64 {
        self.tensor.id
    }
    #[getter]
    fn dtype(&self) -> &'static str {
        self.tensor.value.dtype().name()
    }
    #[getter]
    fn shape(&self) -> Vec<usize> {
        self.tensor.value.shape().to_vec()
    }
    fn numpy(&self, py: Python<'_>) -> Py<PyAny> {
        value_to_array(py, self.tensor.value.clone())
    }
}

#[pyclass(frozen, name = "Tape", module = "symgrad._symgrad")]
pub struct PyTape {
    tape: Arc<Tape>,
}

#[pymethods]
impl PyTape {
    #[new]
    fn new(persistent: bool) -> Self {
        PyTape {
            tape: Tape::new(persistent),
        }
    }
    fn watch(&self, id: u64) {
        self.tape.watch_id(id)
    }
    fn is_tracked(&self, id: u64) -> bool {
        self.tape.is_tracked(id)
    }
}

/// A traced graph with fixed inputs and outputs, runnable eagerly.
#[pyclass(frozen, name = "GraphFunction", module = "symgrad._symgrad")]
pub struct PyGraphFunction {
    func: Arc<Function>,
}

#[pymethods]
impl PyGraphFunction {
    #[getter]
    fn num_outputs(&self) -> usize {
        self.func.num_outputs()
    }
}

#[pyclass(frozen, name = "EagerContext", module = "symgrad._symgrad")]
pub struct PyEagerContext {
    ctx: EagerContext,
}

#[pymethods]
impl PyEagerContext {
    #[new]
    fn new() -> Self {
        PyEagerContext {
            ctx: EagerContext::new(),
        }
    }

    fn execute(
        &self,
        py: Python<'_>,
        op_type: &str,
        inputs: Vec<PyRef<'_, PyEagerValue>>,
        attrs: &Bound<'_, PyDict>,
    ) -> PyResult<Vec<Py<PyEagerValue>>> {
        let attrs = attrs_from_dict(attrs)?;
        let inputs = unwrap_all(&inputs);
        let outs = guard(|| Ok(py.detach(|| self.ctx.execute(op_type, &inputs, &attrs))?))?;
        wrap_all(py, outs)
    }

    fn make_function(
        &self,
        graph: &PyGraph,
        inputs: Vec<(u32, u32)>,
        outputs: Vec<(u32, u32)>,
        targets: Vec<u32>,
        label: &str,
    ) -> PyResult<PyGraphFunction> {
        let gid = graph.graph.id();
        let tensor = |r: (u32, u32)| Tensor {
            graph: gid,
            node: r.0,
            index: r.1,
        };
        let inputs = inputs.into_iter().map(tensor).collect();
        let outputs = outputs.into_iter().map(tensor).collect();
        let targets: Vec<OpRef> = targets
            .into_iter()
            .map(|node| OpRef { graph: gid, node })
            .collect();
        let func = guard(|| {
            Ok(self
                .ctx
                .make_function(&graph.graph, inputs, outputs, &targets, label)?)
        })?;
        Ok(PyGraphFunction { func })
    }

    fn call(
        &self,
        py: Python<'_>,
        func: &PyGraphFunction,
        inputs: Vec<PyRef<'_, PyEagerValue>>,
    ) -> PyResult<Vec<Py<PyEagerValue>>> {
        let inputs = unwrap_all(&inputs);
        let outs = guard(|| Ok(py.detach(|| self.ctx.call(&func.func, &inputs))?))?;
        wrap_all(py, outs)
    }

    /// The graph of a cached eager function, for Python gradient functions run on it.
    fn graph(&self, id: u32) -> Option<PyGraph> {
        self.ctx.graph(id).map(|graph| PyGraph { graph })
    }

    fn read_variable(&self, py: Python<'_>, name: &str, var_id: u64) -> PyResult<PyEagerValue> {
        let t = guard(|| Ok(py.detach(|| self.ctx.read_variable(name, var_id))?))?;
        Ok(PyEagerValue::wrap(t))
    }

    fn variable_value(&self, name: &str, var_id: u64) -> PyResult<PyEagerValue> {
        Ok(PyEagerValue::wrap(self.ctx.variable_value(name, var_id)?))
    }

    fn delete_variable(&self, name: &str) {
        self.ctx.delete_variable(name)
    }

    /// A fresh tape id (for an eager variable).
    fn new_id(&self) -> u64 {
        crate::eager::new_tensor_id()
    }

    fn push_tape(&self, tape: &PyTape) {
        self.ctx.push_tape(&tape.tape)
    }
    fn pop_tape(&self, tape: &PyTape) {
        self.ctx.pop_tape(&tape.tape)
    }
    fn pause_recording(&self) {
        self.ctx.pause_recording()
    }
    fn resume_recording(&self) {
        self.ctx.resume_recording()
    }
    fn is_recording(&self) -> bool {
        self.ctx.is_recording()
    }

    /// One gradient computation; the Python tape enforces single use.
    #[pyo3(signature = (tape, targets, sources, output_gradients, unconnected_zero))]
    fn gradient(
        &self,
        py: Python<'_>,
        tape: &PyTape,
        targets: Vec<PyRef<'_, PyEagerValue>>,
        sources: Vec<PyRef<'_, PyEagerValue>>,
        output_gradients: Option<Vec<Option<PyRef<'_, PyEagerValue>>>>,
        unconnected_zero: bool,
    ) -> PyResult<Vec<Option<Py<PyEagerValue>>>> {
        let targets = unwrap_all(&targets);
        let sources = unwrap_all(&sources);
        let seeds: Option<Vec<Option<EagerTensor>>> = output_gradients.map(|gs| {
            gs.iter()
                .map(|g| g.as_ref().map(|v| v.tensor.clone()))
                .collect()
        });
        let unconnected = if unconnected_zero {
            Unconnected::Zero
        } else {
            Unconnected::None
        };
        let grads = guard(|| {
            Ok(py.detach(|| {
                self.ctx.gradient_unchecked(
                    &tape.tape,
                    &targets,
                    &sources,
                    seeds.as_deref(),
                    unconnected,
                )
            })?)
        })?;
        grads
            .into_iter()
            .map(|g| g.map(|t| Py::new(py, PyEagerValue::wrap(t))).transpose())
            .collect()
    }
}
