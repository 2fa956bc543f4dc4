//! numpy arrays and Python values ↔ core values.

use crate::attr::AttrValue;
use crate::error::Error;
use crate::shape::Shape;
use crate::value::{Elem, Value};
use crate::with_fixed;
use numpy::{
    IntoPyArray, PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyFloat, PyInt, PyList, PyString, PyTuple};

fn read_array<T: Elem + numpy::Element>(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    let arr = obj.cast::<PyArrayDyn<T>>()?;
    let ro = arr.readonly();
    let view = ro.as_array();
    if let Some(src) = view.as_slice() {
        // A large feed is copied by the kernels' thread pool (a feed of 10M floats took 4 ms
        // on one thread, mostly first touches of the new pages), into memory not zeroed first.
        let copy = crate::ops::elementwise::mapped(src, &|x: &T| *x);
        if let Ok(owned) = ndarray::ArcArray::from_shape_vec(view.raw_dim(), copy) {
            return Ok(T::wrap(owned));
        }
    }
    Ok(T::wrap(view.to_owned().into_shared()))
}

fn read_complex<T: crate::value::Stored + Copy + numpy::Element>(
    obj: &Bound<'_, PyAny>,
) -> PyResult<Value> {
    let arr = obj.cast::<PyArrayDyn<T>>()?;
    let ro = arr.readonly();
    Ok(T::wrap(ro.as_array().to_owned().into_shared()))
}

/// A numpy array of a supported dtype → `Value` (one copy into a Rust-owned buffer).
pub fn array_to_value(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    let py = obj.py();
    let untyped = obj.cast::<PyUntypedArray>()?;
    let dt = untyped.dtype();
    macro_rules! try_types {
        ($($t:ty),*) => {
            $(if dt.is_equiv_to(&numpy::dtype::<$t>(py)) { return read_array::<$t>(obj); })*
        };
    }
    macro_rules! try_complex {
        ($($t:ty),*) => {
            $(if dt.is_equiv_to(&numpy::dtype::<$t>(py)) { return read_complex::<$t>(obj); })*
        };
    }
    try_types!(half::f16, f32, f64, i8, i16, i32, i64, u8, bool);
    try_complex!(crate::value::Complex32, crate::value::Complex64);
    if matches!(dt.kind(), b'O' | b'S' | b'U') {
        return strings_to_value(obj);
    }
    Err(Error::type_error(format!("unsupported numpy dtype {dt}")).into())
}

/// One element of a string tensor: `bytes` as they are, `str` as UTF-8 (TF's encoding).
fn string_element(item: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = item.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(s) = item.cast::<PyString>() {
        return Ok(s.to_str()?.as_bytes().to_vec());
    }
    Err(Error::type_error(format!(
        "Failed to convert elements of {item} to Tensor. Expected bytes or str, got '{}'.",
        item.get_type().name()?
    ))
    .into())
}

/// A numpy array of bytes, str or objects holding them → a string `Value`.
fn strings_to_value(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    let untyped = obj.cast::<PyUntypedArray>()?;
    let shape = untyped.shape().to_vec();
    // `ravel` walks the elements in row-major order whatever the strides.
    let flat = obj.call_method0("ravel")?.call_method1("astype", ("O",))?;
    let items = flat.call_method0("tolist")?;
    let data = items
        .try_iter()?
        .map(|item| string_element(&item?))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(Value::from_strings(&shape, data)?)
}

/// `Value` → numpy array, moving the buffer when nothing else shares it. Strings become an
/// object array of `bytes`, as TF's `Session.run` returns them.
pub fn value_to_array(py: Python<'_>, v: Value) -> Py<PyAny> {
    if let Value::Str(a) = &v {
        let objects = a.map(|s| PyBytes::new(py, s).into_any().unbind());
        return objects.into_pyarray(py).into_any().unbind();
    }
    with_fixed!(v, py.None(), a => a.into_owned().into_pyarray(py).into_any().unbind())
}

/// Python attribute values as the Python layer passes them.
pub fn attr_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Option<AttrValue>> {
    if obj.is_none() {
        return Ok(None);
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(Some(AttrValue::Bool(obj.extract()?)));
    }
    if obj.is_instance_of::<PyInt>() {
        return Ok(Some(AttrValue::Int(obj.extract()?)));
    }
    if obj.is_instance_of::<PyFloat>() {
        return Ok(Some(AttrValue::Float(obj.extract()?)));
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(Some(AttrValue::Str(obj.extract()?)));
    }
    if obj.is_instance_of::<PyBytes>() {
        let b: Vec<u8> = obj.extract()?;
        return Ok(Some(AttrValue::Str(
            String::from_utf8_lossy(&b).into_owned(),
        )));
    }
    if obj.cast::<PyUntypedArray>().is_ok() {
        return Ok(Some(AttrValue::Tensor(array_to_value(obj)?)));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let items: Vec<Bound<'_, PyAny>> = obj.try_iter()?.collect::<PyResult<_>>()?;
        if items.iter().all(|i| i.is_instance_of::<PyString>()) && !items.is_empty() {
            return Ok(Some(AttrValue::Strs(
                items.iter().map(|i| i.extract()).collect::<PyResult<_>>()?,
            )));
        }
        if items.iter().any(|i| i.is_none()) {
            let dims = items
                .iter()
                .map(|i| {
                    if i.is_none() {
                        Ok(None)
                    } else {
                        i.extract::<i64>().map(|d| usize::try_from(d).ok())
                    }
                })
                .collect::<PyResult<_>>()?;
            return Ok(Some(AttrValue::Shape(Shape(Some(dims)))));
        }
        return Ok(Some(AttrValue::Ints(
            items.iter().map(|i| i.extract()).collect::<PyResult<_>>()?,
        )));
    }
    Err(Error::type_error(format!("unsupported attribute value {obj}")).into())
}

/// Attribute values → tagged Python pairs `(kind, value)`.
pub fn attr_to_py(py: Python<'_>, v: &AttrValue) -> PyResult<Py<PyAny>> {
    let shape_py = |s: &Shape| -> Py<PyAny> {
        match s.dims() {
            None => py.None(),
            Some(d) => {
                let v: Vec<Option<usize>> = d.to_vec();
                v.into_pyobject(py)
                    .map(|o| o.into_any().unbind())
                    .unwrap_or_else(|_| py.None())
            }
        }
    };
    let pair = |kind: &str, value: Py<PyAny>| -> PyResult<Py<PyAny>> {
        Ok((kind, value).into_pyobject(py)?.into_any().unbind())
    };
    match v {
        AttrValue::Bool(b) => pair("bool", b.into_pyobject(py)?.to_owned().into_any().unbind()),
        AttrValue::Int(i) => pair("int", i.into_pyobject(py)?.into_any().unbind()),
        AttrValue::Float(f) => pair("float", f.into_pyobject(py)?.into_any().unbind()),
        AttrValue::Str(s) => pair("string", s.into_pyobject(py)?.into_any().unbind()),
        AttrValue::Type(t) => pair("type", t.name().into_pyobject(py)?.into_any().unbind()),
        AttrValue::Shape(s) => pair("shape", shape_py(s)),
        AttrValue::Ints(v) => pair("ints", v.clone().into_pyobject(py)?.into_any().unbind()),
        AttrValue::Types(v) => {
            let names: Vec<&str> = v.iter().map(|t| t.name()).collect();
            pair("types", names.into_pyobject(py)?.into_any().unbind())
        }
        AttrValue::Strs(v) => pair("strings", v.clone().into_pyobject(py)?.into_any().unbind()),
        AttrValue::Tensor(t) => pair("tensor", value_to_array(py, t.clone())),
    }
}

/// An attribute dict as the Python layer passes it (`None` values are left out).
pub fn attrs_from_dict(attrs: &Bound<'_, pyo3::types::PyDict>) -> PyResult<crate::attr::Attrs> {
    let mut parsed = crate::attr::Attrs::new();
    for (k, v) in attrs.iter() {
        let key: String = k.extract()?;
        if let Some(value) = attr_from_py(&v)? {
            parsed.0.push((key, value));
        }
    }
    Ok(parsed)
}

pub fn shape_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Shape> {
    if obj.is_none() {
        return Ok(Shape::unknown());
    }
    let dims: Vec<Option<i64>> = obj.extract()?;
    Ok(Shape(Some(
        dims.into_iter()
            .map(|d| d.and_then(|d| usize::try_from(d).ok()))
            .collect(),
    )))
}
