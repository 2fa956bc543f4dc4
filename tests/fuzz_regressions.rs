//! Replays every input the fuzz target (`fuzz/`, see fuzz/README.md) ever failed on: each must
//! now build, differentiate and run to values or clean errors, with no panic and no
//! `InternalError`. The overflow findings are also asserted directly below, since release
//! builds do not trap integer overflow.

#[allow(dead_code)]
#[path = "../fuzz/decode.rs"]
mod decode;

use symgrad::{ops, AttrValue, Attrs, Code, DType, Error, Graph, Shape, Value};

#[test]
fn saved_fuzz_findings_replay_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/regressions exists") {
        let path = entry.expect("readable entry").path();
        let data = std::fs::read(&path).expect("readable finding");
        let internal = decode::run_case(&data);
        assert!(internal.is_empty(), "{}: {internal:?}", path.display());
        count += 1;
    }
    assert!(count > 0, "no saved findings in {}", dir.display());
}

fn constant(g: &Graph, value: Value) -> symgrad::Tensor {
    let attrs = Attrs::new().with("value", AttrValue::Tensor(value));
    g.add_op_def("Const", &[], &attrs, None)
        .expect("const")
        .output(0)
}

fn int_const(g: &Graph, xs: &[i64]) -> symgrad::Tensor {
    constant(g, Value::int_vector(DType::I64, xs))
}

#[test]
fn reshape_to_a_shape_whose_size_overflows_is_a_value_error() {
    let g = Graph::new();
    let x = ops::source::placeholder(&g, DType::F32, Shape::known(&[0]), Some("x")).expect("x");
    let shape = int_const(&g, &[1 << 62, 4, -1]);
    let err = g
        .add_op_def("Reshape", &[x, shape], &Attrs::new(), None)
        .expect_err("overflow");
    let text = err.to_string();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    assert!(
        text.contains("overflow when multiplying 4611686018427387904 and 4")
            && text.contains("'Reshape'"),
        "{text}"
    );
}

#[test]
fn dynamic_stitch_with_an_extreme_constant_index_builds_and_fails_at_run_time() {
    let g = Graph::new();
    let idx = int_const(&g, &[i64::MAX]);
    let data = ops::source::placeholder(&g, DType::F64, Shape::known(&[1]), Some("d")).expect("d");
    let op = g
        .add_op_def("DynamicStitch", &[idx, data], &Attrs::new(), None)
        .expect("stitch builds");
    let s = symgrad::exec::Session::new(&g);
    let feed = Value::from_vec(&[1], vec![1.0f64]).expect("value");
    let r = s.run(&[op.output(0)], &[(data, feed)]);
    assert!(
        matches!(r, Err(Error::Op { code, .. }) if code != Code::Internal),
        "{r:?}"
    );
}

#[test]
fn fill_with_an_element_count_beyond_int64_is_an_invalid_argument_error() {
    let g = Graph::new();
    let dims =
        ops::source::placeholder(&g, DType::I64, Shape::known(&[2]), Some("dims")).expect("dims");
    let value = int_const(&g, &[1]);
    let value = ops::array::reshape(&g, value, &[]).expect("scalar");
    let fill = ops::array::fill(&g, dims, value).expect("fill");
    let s = symgrad::exec::Session::new(&g);
    let huge = Value::from_vec(&[2], vec![1i64 << 40, 1 << 40]).expect("dims value");
    let err = s.run(&[fill], &[(dims, huge)]).expect_err("overflow");
    let text = err.to_string();
    assert!(
        matches!(
            err,
            Error::Op {
                code: Code::InvalidArgument,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        text.contains(
            "Shape [1099511627776,1099511627776] would have more than 2**63 - 1 elements"
        ),
        "{text}"
    );
    // An allocation that can never succeed is TF's ResourceExhaustedError, not an abort.
    let big = Value::from_vec(&[2], vec![1i64 << 31, 1 << 31]).expect("dims value");
    let err = s.run(&[fill], &[(dims, big)]).expect_err("OOM");
    assert!(
        matches!(
            err,
            Error::Op {
                code: Code::ResourceExhausted,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(
            "OOM when allocating tensor with shape[2147483648,2147483648] and type int64"
        ),
        "{err}"
    );
    // The session is still usable.
    let ok = Value::from_vec(&[2], vec![2i64, 3]).expect("dims value");
    let out = s.run(&[fill], &[(dims, ok)]).expect("runs");
    assert_eq!(out[0].shape(), &[2, 3]);
}

fn scalar_i64(g: &Graph, x: i64) -> symgrad::Tensor {
    constant(g, Value::scalar(x))
}

#[test]
fn range_over_the_whole_int64_span_is_an_error_and_small_ranges_still_work() {
    let g = Graph::new();
    let (lo, hi, one) = (
        scalar_i64(&g, i64::MIN),
        scalar_i64(&g, i64::MAX),
        scalar_i64(&g, 1),
    );
    let huge = g
        .add_op_def("Range", &[lo, hi, one], &Attrs::new(), None)
        .expect("range");
    let (zero, five, two) = (scalar_i64(&g, 0), scalar_i64(&g, 5), scalar_i64(&g, 2));
    let small = g
        .add_op_def("Range", &[zero, five, two], &Attrs::new(), None)
        .expect("range");
    let s = symgrad::exec::Session::new(&g);
    let r = s.run(&[huge.output(0)], &[]);
    assert!(
        matches!(r, Err(Error::Op { code, .. }) if code != Code::Internal),
        "{r:?}"
    );
    let out = s.run(&[small.output(0)], &[]).expect("runs");
    assert_eq!(out[0].to_i64_vec().expect("ints"), vec![0, 2, 4]);
}

#[test]
fn one_hot_with_a_huge_depth_is_resource_exhausted_and_unpack_with_a_huge_num_is_rejected() {
    let g = Graph::new();
    let indices = int_const(&g, &[0, 1]);
    let depth = scalar_i64(&g, 1 << 62);
    let on = constant(&g, Value::scalar(1.0f64));
    let off = constant(&g, Value::scalar(0.0f64));
    let op = g
        .add_op_def("OneHot", &[indices, depth, on, off], &Attrs::new(), None)
        .expect("one_hot builds");
    let s = symgrad::exec::Session::new(&g);
    let r = s.run(&[op.output(0)], &[]);
    assert!(
        matches!(
            r,
            Err(Error::Op {
                code: Code::ResourceExhausted,
                ..
            })
        ),
        "{r:?}"
    );
    let x = ops::source::placeholder(&g, DType::F64, Shape::unknown(), Some("x")).expect("x");
    let attrs = Attrs::new().with("num", AttrValue::Int(1 << 40));
    let err = g
        .add_op_def("Unpack", &[x], &attrs, None)
        .expect_err("too many outputs");
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
}
