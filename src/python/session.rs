//! `symgrad._symgrad.Session`: converts feeds and results; the run itself happens with the
//! GIL released.

use super::convert::{array_to_value, value_to_array};
use super::errors::guard;
use super::graph::PyGraph;
use crate::exec::Session;
use crate::graph::{OpRef, Tensor};
use crate::value::Value;
use pyo3::prelude::*;

#[pyclass(frozen, name = "Session", module = "symgrad._symgrad")]
pub struct PySession {
    session: Session,
}

#[pymethods]
impl PySession {
    #[new]
    fn new(graph: &PyGraph) -> Self {
        PySession {
            session: Session::new(&graph.graph),
        }
    }

    /// Feeds' arrays must already have the fed tensors' dtypes. Callers must not mutate a
    /// fed array from another thread while the run is in progress.
    fn run(
        &self,
        py: Python<'_>,
        fetches: Vec<(u32, u32)>,
        targets: Vec<u32>,
        feeds: Vec<((u32, u32), Bound<'_, PyAny>)>,
    ) -> PyResult<Vec<Py<PyAny>>> {
        let gid = self.session.graph().id();
        let tensor = |r: (u32, u32)| Tensor {
            graph: gid,
            node: r.0,
            index: r.1,
        };
        let fetches: Vec<Tensor> = fetches.into_iter().map(tensor).collect();
        let targets: Vec<OpRef> = targets
            .into_iter()
            .map(|node| OpRef { graph: gid, node })
            .collect();
        let feeds: Vec<(Tensor, Value)> = feeds
            .into_iter()
            .map(|(r, a)| Ok((tensor(r), array_to_value(&a)?)))
            .collect::<PyResult<_>>()?;
        guard(|| {
            let results =
                py.detach(|| self.session.run_with_targets(&fetches, &targets, &feeds))?;
            Ok(results.into_iter().map(|v| value_to_array(py, v)).collect())
        })
    }

    fn close(&self) {
        self.session.close()
    }

    #[getter]
    fn closed(&self) -> bool {
        self.session.is_closed()
    }
}
