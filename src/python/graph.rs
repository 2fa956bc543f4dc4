//! `symgrad._symgrad.Graph` and the gradient registry functions.

use super::convert::{attr_to_py, attrs_from_dict, shape_from_py};
use super::errors::{external, guard};
use crate::error::{Error, Result};
use crate::grad::registry::{self, GradientFn};
use crate::grad::{Grad, GradCtx, GradientOptions, IndexedSlices, Unconnected};
use crate::graph::{Graph, OpRef, Tensor};
use crate::ops::while_loop::{while_loop, LoopFn, WhileSpec};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex};

type TensorRef = (u32, u32);

#[pyclass(frozen, name = "Graph", module = "symgrad._symgrad")]
pub struct PyGraph {
    pub(crate) graph: Graph,
}

impl PyGraph {
    fn tensor(&self, r: TensorRef) -> Tensor {
        Tensor {
            graph: self.graph.id(),
            node: r.0,
            index: r.1,
        }
    }
    fn op(&self, node: u32) -> OpRef {
        OpRef {
            graph: self.graph.id(),
            node,
        }
    }
    fn with_node<T>(
        &self,
        node: u32,
        f: impl FnOnce(&crate::graph::GraphData, &crate::graph::Node) -> T,
    ) -> PyResult<T> {
        let data = self.graph.read();
        let n = data.node_checked(self.op(node))?;
        Ok(f(&data, n))
    }
}

fn grad_to_py(py: Python<'_>, g: Option<Grad>) -> PyResult<Py<PyAny>> {
    Ok(match g {
        None => py.None(),
        Some(Grad::Dense(t)) => (t.node, t.index).into_pyobject(py)?.into_any().unbind(),
        Some(Grad::Sparse(s)) => {
            let shape = s.dense_shape.map(|d| (d.node, d.index));
            (
                (s.values.node, s.values.index),
                (s.indices.node, s.indices.index),
                shape,
            )
                .into_pyobject(py)?
                .into_any()
                .unbind()
        }
    })
}

fn grad_from_py(graph: u32, obj: &Bound<'_, PyAny>) -> PyResult<Option<Grad>> {
    if obj.is_none() {
        return Ok(None);
    }
    let t = |r: TensorRef| Tensor {
        graph,
        node: r.0,
        index: r.1,
    };
    if let Ok(r) = obj.extract::<TensorRef>() {
        return Ok(Some(Grad::Dense(t(r))));
    }
    let (values, indices, shape): (TensorRef, TensorRef, Option<TensorRef>) = obj.extract()?;
    Ok(Some(Grad::Sparse(IndexedSlices {
        values: t(values),
        indices: t(indices),
        dense_shape: shape.map(t),
    })))
}

#[pymethods]
impl PyGraph {
    #[new]
    fn new() -> Self {
        PyGraph {
            graph: Graph::new(),
        }
    }
    #[getter]
    fn id(&self) -> u32 {
        self.graph.id()
    }
    #[getter]
    fn finalized(&self) -> bool {
        self.graph.is_finalized()
    }
    fn finalize(&self) {
        self.graph.finalize()
    }
    fn num_ops(&self) -> usize {
        self.graph.num_ops()
    }
    #[pyo3(signature = (op_type, inputs, attrs, name=None))]
    fn add_op(
        &self,
        op_type: &str,
        inputs: Vec<TensorRef>,
        attrs: &Bound<'_, PyDict>,
        name: Option<&str>,
    ) -> PyResult<u32> {
        let parsed = attrs_from_dict(attrs)?;
        let inputs: Vec<Tensor> = inputs.into_iter().map(|r| self.tensor(r)).collect();
        guard(|| Ok(self.graph.add_op_def(op_type, &inputs, &parsed, name)?.node))
    }
    /// A `While` op: `cond`/`body` are (function name, argument tensors, result tensors)
    /// of sub-graphs already built in this graph.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (inputs, cond, body, output_shapes, parallel_iterations, name, collected=0))]
    fn add_while(
        &self,
        inputs: Vec<TensorRef>,
        cond: (String, Vec<TensorRef>, Vec<TensorRef>),
        body: (String, Vec<TensorRef>, Vec<TensorRef>),
        output_shapes: Vec<Bound<'_, PyAny>>,
        parallel_iterations: i64,
        name: Option<&str>,
        collected: usize,
    ) -> PyResult<u32> {
        let function = |(name, args, outputs): (String, Vec<TensorRef>, Vec<TensorRef>)| LoopFn {
            name,
            args: args.into_iter().map(|r| self.tensor(r)).collect(),
            outputs: outputs.into_iter().map(|r| self.tensor(r)).collect(),
        };
        let inputs: Vec<Tensor> = inputs.into_iter().map(|r| self.tensor(r)).collect();
        let (cond, body) = (function(cond), function(body));
        guard(|| {
            let shapes = output_shapes
                .iter()
                .map(shape_from_py)
                .collect::<PyResult<Vec<_>>>()?;
            let spec = WhileSpec {
                inputs: &inputs,
                cond,
                body,
                output_shapes: Some(shapes),
                parallel_iterations,
                collected,
                name,
            };
            Ok(while_loop(&self.graph, spec)?.node)
        })
    }
    fn op_name(&self, op: u32) -> PyResult<String> {
        self.with_node(op, |data, n| data.op_name(n).to_string())
    }
    fn op_type(&self, op: u32) -> PyResult<String> {
        self.with_node(op, |_, n| n.type_name().to_string())
    }
    fn op_inputs(&self, op: u32) -> PyResult<Vec<TensorRef>> {
        self.with_node(op, |_, n| {
            n.inputs.iter().map(|t| (t.node, t.index)).collect()
        })
    }
    fn op_control_inputs(&self, op: u32) -> PyResult<Vec<u32>> {
        self.with_node(op, |_, n| n.control_inputs().to_vec())
    }
    fn op_num_outputs(&self, op: u32) -> PyResult<usize> {
        self.with_node(op, |_, n| n.num_outputs())
    }
    fn op_device(&self, op: u32) -> PyResult<String> {
        self.with_node(op, |_, n| n.device().to_string())
    }
    fn op_colocation_groups(&self, py: Python<'_>, op: u32) -> PyResult<Vec<Py<PyAny>>> {
        let groups = self.with_node(op, |data, n| data.colocation_groups(n))?;
        Ok(groups
            .into_iter()
            .map(|g| {
                pyo3::types::PyBytes::new(py, g.as_bytes())
                    .into_any()
                    .unbind()
            })
            .collect())
    }
    fn op_attr_names(&self, op: u32) -> PyResult<Vec<String>> {
        guard(|| {
            let data = self.graph.read();
            let n = data.node_checked(self.op(op))?;
            let types: Vec<_> = n
                .inputs
                .iter()
                .filter_map(|t| data.meta(*t).ok().map(|m| m.dtype))
                .collect();
            let mut names: Vec<String> =
                n.op.attrs(n, &types)
                    .into_iter()
                    .map(|(k, _)| k.to_string())
                    .collect();
            if !n.colocation().is_empty() {
                names.push("_class".to_string());
            }
            if n.gradient_op_type().is_some() {
                names.push("_gradient_op_type".to_string());
            }
            Ok(names)
        })
    }
    fn op_attr(&self, py: Python<'_>, op: u32, name: &str) -> PyResult<Py<PyAny>> {
        guard(|| {
            let data = self.graph.read();
            let n = data.node_checked(self.op(op))?;
            if name == "_class" && !n.colocation().is_empty() {
                let v: Vec<String> = n.colocation().iter().map(|s| s.to_string()).collect();
                return attr_to_py(py, &crate::attr::AttrValue::Strs(v));
            }
            if name == "_gradient_op_type" {
                if let Some(t) = n.gradient_op_type() {
                    return attr_to_py(py, &crate::attr::AttrValue::Str(t.to_string()));
                }
            }
            let types: Vec<_> = n
                .inputs
                .iter()
                .filter_map(|t| data.meta(*t).ok().map(|m| m.dtype))
                .collect();
            match n.op.attrs(n, &types).into_iter().find(|(k, _)| *k == name) {
                Some((_, v)) => attr_to_py(py, &v),
                None => Err(Error::invalid(format!(
                    "Operation '{}' has no attr named '{name}'.",
                    data.op_name(n)
                ))
                .into()),
            }
        })
    }
    fn op_by_name(&self, name: &str) -> Option<u32> {
        self.graph.op_by_name(name).map(|o| o.node)
    }
    fn output_dtype(&self, op: u32, index: u32) -> PyResult<String> {
        Ok(self
            .graph
            .dtype(self.tensor((op, index)))?
            .name()
            .to_string())
    }
    fn output_shape(&self, op: u32, index: u32) -> PyResult<Option<Vec<Option<usize>>>> {
        Ok(self
            .graph
            .shape(self.tensor((op, index)))?
            .dims()
            .map(|d| d.to_vec()))
    }
    fn set_output_shape(&self, op: u32, index: u32, shape: &Bound<'_, PyAny>) -> PyResult<()> {
        guard(|| {
            let s = shape_from_py(shape)?;
            Ok(self.graph.set_shape(self.tensor((op, index)), &s)?)
        })
    }
    fn consumers(&self, op: u32, index: u32) -> PyResult<Vec<u32>> {
        self.with_node(op, |_, n| {
            n.consumers
                .iter()
                .filter(|(_, i)| *i == index)
                .map(|(c, _)| *c)
                .collect()
        })
    }
    #[pyo3(signature = (name, mark_as_used=true))]
    fn unique_name(&self, name: &str, mark_as_used: bool) -> PyResult<String> {
        guard(|| Ok(self.graph.unique_name(name, mark_as_used)))
    }
    fn name_scope(&self) -> String {
        self.graph.name_scope()
    }
    #[pyo3(signature = (name))]
    fn enter_name_scope(&self, name: Option<&str>) -> PyResult<(String, String)> {
        guard(|| Ok(self.graph.enter_name_scope(name)))
    }
    fn set_name_scope(&self, scope: &str) {
        self.graph.set_name_scope(scope)
    }
    #[pyo3(signature = (spec))]
    fn push_device(&self, spec: Option<&str>) {
        self.graph.push_device(spec)
    }
    fn pop_device(&self) {
        self.graph.pop_device()
    }
    #[pyo3(signature = (op, ignore_existing))]
    fn push_colocation(&self, op: Option<u32>, ignore_existing: bool) -> PyResult<()> {
        guard(|| {
            Ok(self
                .graph
                .push_colocation(op.map(|o| self.op(o)), ignore_existing)?)
        })
    }
    fn pop_colocation(&self) {
        self.graph.pop_colocation()
    }
    #[pyo3(signature = (ops))]
    fn push_control_dependencies(&self, ops: Option<Vec<u32>>) -> PyResult<()> {
        guard(|| {
            let ops: Option<Vec<OpRef>> = ops.map(|v| v.into_iter().map(|o| self.op(o)).collect());
            Ok(self.graph.push_control_dependencies(ops.as_deref())?)
        })
    }
    fn pop_control_dependencies(&self) {
        self.graph.pop_control_dependencies()
    }
    fn push_gradient_override(&self, mapping: FxHashMap<String, String>) {
        self.graph.push_gradient_override(mapping)
    }
    fn pop_gradient_override(&self) {
        self.graph.pop_gradient_override()
    }
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (ys, xs, grad_ys, name, colocate_gradients_with_ops, gate_gradients, aggregation_method, stop_gradients, unconnected_zero))]
    fn gradients(
        &self,
        py: Python<'_>,
        ys: Vec<TensorRef>,
        xs: Vec<TensorRef>,
        grad_ys: Option<&Bound<'_, PyList>>,
        name: Option<String>,
        colocate_gradients_with_ops: bool,
        gate_gradients: bool,
        aggregation_method: Option<i64>,
        stop_gradients: Vec<TensorRef>,
        unconnected_zero: bool,
    ) -> PyResult<Vec<Py<PyAny>>> {
        let gid = self.graph.id();
        let grad_ys = match grad_ys {
            None => None,
            Some(list) => Some(
                list.iter()
                    .map(|o| grad_from_py(gid, &o))
                    .collect::<PyResult<Vec<_>>>()?,
            ),
        };
        let opts = GradientOptions {
            grad_ys,
            name,
            colocate_gradients_with_ops,
            gate_gradients,
            aggregation_method,
            stop_gradients: stop_gradients.into_iter().map(|r| self.tensor(r)).collect(),
            unconnected_gradients: if unconnected_zero {
                Unconnected::Zero
            } else {
                Unconnected::None
            },
        };
        let ys: Vec<Tensor> = ys.into_iter().map(|r| self.tensor(r)).collect();
        let xs: Vec<Tensor> = xs.into_iter().map(|r| self.tensor(r)).collect();
        let out = guard(|| Ok(crate::grad::gradients(&self.graph, &ys, &xs, &opts)?))?;
        out.into_iter().map(|g| grad_to_py(py, g)).collect()
    }
    #[pyo3(signature = (ys, xs, name, colocate_gradients_with_ops, gate_gradients, aggregation_method))]
    fn hessians(
        &self,
        ys: Vec<TensorRef>,
        xs: Vec<TensorRef>,
        name: Option<String>,
        colocate_gradients_with_ops: bool,
        gate_gradients: bool,
        aggregation_method: Option<i64>,
    ) -> PyResult<Vec<TensorRef>> {
        let opts = GradientOptions {
            name,
            colocate_gradients_with_ops,
            gate_gradients,
            aggregation_method,
            ..Default::default()
        };
        let ys: Vec<Tensor> = ys.into_iter().map(|r| self.tensor(r)).collect();
        let xs: Vec<Tensor> = xs.into_iter().map(|r| self.tensor(r)).collect();
        let out = guard(|| Ok(crate::grad::hessians(&self.graph, &ys, &xs, &opts)?))?;
        Ok(out.into_iter().map(|t| (t.node, t.index)).collect())
    }
}

// ----- gradient registry -----

static TRAMPOLINE: Mutex<Option<Py<PyAny>>> = Mutex::new(None);

/// A gradient function written in Python, called through the Python layer's trampoline
/// (which wraps op ids into `Operation`/`Tensor` objects and back).
struct PyGradientFn {
    func: Py<PyAny>,
    origin: String,
}

impl GradientFn for PyGradientFn {
    fn call(&self, ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> Result<Vec<Option<Grad>>> {
        Python::attach(|py| {
            let tramp = TRAMPOLINE
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
                .map(|t| t.clone_ref(py))
                .ok_or_else(|| Error::runtime("symgrad's Python gradient trampoline is not set"))?;
            let py_grads: Vec<Py<PyAny>> = grads
                .iter()
                .map(|g| grad_to_py(py, *g))
                .collect::<PyResult<_>>()
                .map_err(external)?;
            let args = (
                self.func.clone_ref(py),
                ctx.graph.id(),
                ctx.op.node,
                PyList::new(py, py_grads).map_err(external)?,
            );
            let result = tramp.call1(py, args).map_err(external)?;
            let result = result.bind(py);
            let items: Vec<Bound<'_, PyAny>> = result
                .try_iter()
                .map_err(external)?
                .collect::<PyResult<_>>()
                .map_err(external)?;
            items
                .iter()
                .map(|o| grad_from_py(ctx.graph.id(), o).map_err(external))
                .collect()
        })
    }
    fn origin(&self) -> String {
        self.origin.clone()
    }
}

fn describe(py: Python<'_>, f: &Bound<'_, PyAny>) -> String {
    let name = f
        .getattr("__name__")
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "<function>".into());
    let code = f.getattr("__code__").ok();
    let file = code
        .as_ref()
        .and_then(|c| c.getattr("co_filename").ok())
        .map(|f| f.to_string())
        .unwrap_or_default();
    let line = code
        .as_ref()
        .and_then(|c| c.getattr("co_firstlineno").ok())
        .map(|f| f.to_string())
        .unwrap_or_default();
    let _ = py;
    format!("{name} {file}:{line}")
}

#[pyfunction]
pub fn register_gradient(py: Python<'_>, op_type: &str, func: &Bound<'_, PyAny>) -> PyResult<()> {
    let origin = describe(py, func);
    guard(|| {
        Ok(registry::register_gradient(
            op_type,
            Arc::new(PyGradientFn {
                func: func.clone().unbind(),
                origin,
            }),
        )?)
    })
}

#[pyfunction]
pub fn register_not_differentiable(op_type: &str) -> PyResult<()> {
    guard(|| Ok(registry::register_not_differentiable(op_type)?))
}

#[pyfunction]
pub fn is_gradient_registered(op_type: &str) -> bool {
    registry::lookup(op_type).is_some()
}

#[pyfunction]
pub fn set_gradient_trampoline(func: &Bound<'_, PyAny>) {
    *TRAMPOLINE.lock().unwrap_or_else(|p| p.into_inner()) = Some(func.clone().unbind());
}

#[pyfunction]
pub fn op_types() -> Vec<String> {
    registry::registered_types()
}

#[allow(dead_code)]
fn _tuple_marker(_: &Bound<'_, PyTuple>) {}
