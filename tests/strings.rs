//! The string dtype in the core: constants, string kernels, the string ops, and the
//! build-time refusal of strings by ops without a string kernel.

mod common;

use common::{konst, op, strings};
use symgrad::exec::Session;
use symgrad::{AttrValue, Attrs, DType, Error, Graph, Value};

fn texts(v: &Value) -> Vec<String> {
    match v {
        Value::Str(a) => a
            .iter()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect(),
        other => panic!("expected strings, got {other:?}"),
    }
}

#[test]
fn string_tensors_pass_through_layout_ops_and_compare() {
    let g = Graph::new();
    let c = konst(&g, strings(&[2, 2], &["a", "bc", "d", ""]));
    let t = op(
        &g,
        "Transpose",
        &[c, konst(&g, Value::int_vector(DType::I32, &[1, 0]))],
        Attrs::new(),
    )
    .unwrap();
    let a = konst(&g, strings(&[], &["a"]));
    let eq = op(&g, "Equal", &[c, a], Attrs::new()).unwrap();
    let out = Session::new(&g).run(&[t, eq], &[]).unwrap();
    assert_eq!(out[0].dtype(), DType::Str);
    assert_eq!(texts(&out[0]), ["a", "d", "bc", ""]);
    assert_eq!(out[1].to_f64_vec(), [1.0, 0.0, 0.0, 0.0]);
}

#[test]
fn ops_without_string_kernels_refuse_strings_when_built() {
    let g = Graph::new();
    let c = konst(&g, strings(&[2], &["a", "b"]));
    for op_type in ["Neg", "Sqrt", "Cast"] {
        let attrs = Attrs::new().with("DstT", AttrValue::Type(DType::F32));
        match op(&g, op_type, &[c], attrs) {
            Err(Error::Type { message }) => {
                assert!(message.contains("has DataType string not in list of allowed values"))
            }
            other => panic!("{op_type}: expected a type error, got {other:?}"),
        }
    }
}

#[test]
fn string_ops_match_tf() {
    let g = Graph::new();
    let c = konst(&g, strings(&[2], &["héllo", "ab"]));
    let x = konst(&g, strings(&[], &["x"]));
    let sep = Attrs::new().with("separator", AttrValue::Str("-".into()));
    let joined = op(&g, "StringJoin", &[c, x], sep).unwrap();
    let chars = Attrs::new().with("unit", AttrValue::Str("UTF8_CHAR".into()));
    let length = op(&g, "StringLength", &[c], chars).unwrap();
    let f = konst(
        &g,
        Value::from_vec(&[3], vec![1.5f32, -2.0, f32::NAN]).unwrap(),
    );
    let text = op(
        &g,
        "AsString",
        &[f],
        Attrs::new().with("width", AttrValue::Int(10)),
    )
    .unwrap();
    let template = Attrs::new()
        .with("template", AttrValue::Str("v={}".into()))
        .with("placeholder", AttrValue::Str("{}".into()))
        .with("summarize", AttrValue::Int(1));
    let formatted = op(&g, "StringFormat", &[f], template).unwrap();
    let out = Session::new(&g)
        .run(&[joined, length, text, formatted], &[])
        .unwrap();
    assert_eq!(texts(&out[0]), ["héllo-x", "ab-x"]);
    assert_eq!(out[1].to_f64_vec(), [5.0, 2.0]);
    assert_eq!(texts(&out[2]), ["  1.500000", " -2.000000", "       nan"]);
    assert_eq!(texts(&out[3]), ["v=[1.5 ... nan]"]);
}
