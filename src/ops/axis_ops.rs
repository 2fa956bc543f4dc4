//! Ops along one axis: reverse, cumulative sums and products, arg max/min, top-k, mirror pad, linspace.

use super::{Family, InferCtx, KernelCtx, Outputs};
use crate::attr::{AttrValue, Attrs};
use crate::dtype::DType;
use crate::error::Result;
use crate::grad::registry::GradRegistry;
use crate::graph::{Metas, Node};
use crate::value::Value;

/// An op of the along-an-axis family.
#[derive(Debug, Clone, PartialEq)]
pub enum AxisOp {}

impl Family for AxisOp {
    fn type_name(&self) -> &'static str {
        match *self {}
    }
    fn from_def(_op_type: &str, _attrs: &Attrs, _input_types: &[DType]) -> Option<Result<Self>> {
        None
    }
    fn attrs(&self, _node: &Node, _input_types: &[DType]) -> Vec<(&'static str, AttrValue)> {
        match *self {}
    }
    fn infer(&self, _ctx: &InferCtx<'_>) -> Result<Metas> {
        match *self {}
    }
    fn compute(&self, _ctx: &KernelCtx<'_>, _inputs: &[Value]) -> Result<Outputs> {
        match *self {}
    }
    fn register_gradients(_r: &mut GradRegistry) {}
}
