//! Typed op attributes, as TF's `AttrValue`: what `Operation.get_attr` returns and what
//! `OpKind::from_def` reads.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::shape::Shape;
use crate::value::Value;

#[derive(Debug, Clone)]
pub enum AttrValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Type(DType),
    Shape(Shape),
    Ints(Vec<i64>),
    Types(Vec<DType>),
    Strs(Vec<String>),
    Tensor(Value),
}

/// Attributes passed to `OpKind::from_def`, looked up by name.
#[derive(Debug, Clone, Default)]
pub struct Attrs(pub Vec<(String, AttrValue)>);

impl Attrs {
    pub fn new() -> Self {
        Attrs(Vec::new())
    }
    pub fn with(mut self, name: &str, v: AttrValue) -> Self {
        self.0.push((name.to_string(), v));
        self
    }
    pub fn get(&self, name: &str) -> Option<&AttrValue> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool> {
        match self.get(name) {
            None => Ok(default),
            Some(AttrValue::Bool(b)) => Ok(*b),
            Some(AttrValue::Int(i)) => Ok(*i != 0),
            Some(other) => Err(bad(name, "bool", other)),
        }
    }
    pub fn int_or(&self, name: &str, default: i64) -> Result<i64> {
        match self.get(name) {
            None => Ok(default),
            Some(AttrValue::Int(i)) => Ok(*i),
            Some(other) => Err(bad(name, "int", other)),
        }
    }
    pub fn int(&self, name: &str) -> Result<i64> {
        match self.get(name) {
            Some(AttrValue::Int(i)) => Ok(*i),
            Some(other) => Err(bad(name, "int", other)),
            None => Err(missing(name)),
        }
    }
    pub fn ints_or(&self, name: &str, default: Vec<i64>) -> Result<Vec<i64>> {
        match self.get(name) {
            None => Ok(default),
            Some(AttrValue::Ints(v)) => Ok(v.clone()),
            Some(AttrValue::Int(i)) => Ok(vec![*i]),
            Some(other) => Err(bad(name, "list(int)", other)),
        }
    }
    pub fn dtype(&self, name: &str) -> Result<DType> {
        self.dtype_opt(name)?.ok_or_else(|| missing(name))
    }
    pub fn dtype_opt(&self, name: &str) -> Result<Option<DType>> {
        match self.get(name) {
            None => Ok(None),
            Some(AttrValue::Type(t)) => Ok(Some(*t)),
            Some(AttrValue::Str(s)) => DType::from_name(s).map(Some),
            Some(other) => Err(bad(name, "type", other)),
        }
    }
    pub fn shape_or_unknown(&self, name: &str) -> Result<Shape> {
        match self.get(name) {
            None => Ok(Shape::unknown()),
            Some(AttrValue::Shape(s)) => Ok(s.clone()),
            Some(AttrValue::Ints(v)) => Ok(Shape(Some(
                v.iter()
                    .map(|&d| if d < 0 { None } else { Some(d as usize) })
                    .collect(),
            ))),
            Some(other) => Err(bad(name, "shape", other)),
        }
    }
    pub fn tensor(&self, name: &str) -> Result<Value> {
        match self.get(name) {
            Some(AttrValue::Tensor(v)) => Ok(v.clone()),
            Some(other) => Err(bad(name, "tensor", other)),
            None => Err(missing(name)),
        }
    }
    pub fn str_or(&self, name: &str, default: &str) -> Result<String> {
        match self.get(name) {
            None => Ok(default.to_string()),
            Some(AttrValue::Str(s)) => Ok(s.clone()),
            Some(other) => Err(bad(name, "string", other)),
        }
    }
}

fn bad(name: &str, want: &str, got: &AttrValue) -> Error {
    Error::type_error(format!("attr '{name}' expects a {want}, got {got:?}"))
}
fn missing(name: &str) -> Error {
    Error::invalid(format!("NodeDef missing attr '{name}'"))
}
