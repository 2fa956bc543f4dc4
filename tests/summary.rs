//! Summary ops: the serialized `Summary` bytes of each kernel (checked against TF 2.21's
//! kernels' output), their run-time checks with TF's texts, and build-time type errors.

mod common;

use common::{konst, op, strings};
use symgrad::error::Code;
use symgrad::exec::Session;
use symgrad::{AttrValue, Attrs, Error, Graph, Tensor, Value};

fn bytes_value(items: &[&[u8]]) -> Value {
    Value::from_strings(&[items.len()], items.iter().map(|s| s.to_vec()).collect())
        .expect("shape fits")
}

/// Runs `t` and returns the one string it holds.
fn run_bytes(g: &Graph, t: Tensor) -> symgrad::Result<Vec<u8>> {
    let out = Session::new(g).run(&[t], &[])?;
    match out.first() {
        Some(Value::Str(a)) => Ok(a.iter().next().cloned().unwrap_or_default()),
        other => panic!("expected a string, got {other:?}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// TF 2.21's `HistogramSummary` of `[1.0, 2.0, 2.0]` tagged `h`.
const HISTOGRAM_1_2_2: &str = "0a87010a01682a810109000000000000f03f110000000000000040190000\
                               000000000840210000000000001440290000000000002240322808996919\
                               155aed3f2b14facdbe24f03fdc94cd2e8d75ff3fe011f10c744d0140ffff\
                               ffffffffef7f3a280000000000000000000000000000f03f000000000000\
                               000000000000000000400000000000000000";

fn run_error(g: &Graph, t: Tensor) -> (Code, String) {
    match run_bytes(g, t) {
        Err(Error::Op { code, message, .. }) => (code, message),
        other => panic!("expected a run-time error, got {other:?}"),
    }
}

#[test]
fn scalar_summary_bytes_match_tf() {
    let g = Graph::new();
    let tags = konst(&g, strings(&[2], &["a", "bc"]));
    let values = konst(&g, Value::from_vec(&[2], vec![1.0f64, -0.0]).unwrap());
    let s = op(&g, "ScalarSummary", &[tags, values], Attrs::new()).unwrap();
    // simple_value is a oneof member: written even when zero.
    let want = b"\n\x08\n\x01a\x15\x00\x00\x80?\n\t\n\x02bc\x15\x00\x00\x00\x80";
    assert_eq!(run_bytes(&g, s).unwrap(), want.to_vec());
}

#[test]
fn scalar_summary_takes_integers_and_checks_shapes() {
    let g = Graph::new();
    let tags = konst(&g, strings(&[], &["x"]));
    let values = konst(&g, Value::from_vec(&[1], vec![3i64]).unwrap());
    let s = op(&g, "ScalarSummary", &[tags, values], Attrs::new()).unwrap();
    let (code, message) = run_error(&g, s);
    assert_eq!(code, Code::InvalidArgument);
    assert!(message
        .starts_with("tags and values are not the same shape: [] != [1] (tag 'x')\n\t [[{{node "));

    let i = konst(&g, Value::scalar(7i32));
    let s = op(&g, "ScalarSummary", &[tags, i], Attrs::new()).unwrap();
    assert_eq!(
        run_bytes(&g, s).unwrap(),
        b"\n\x08\n\x01x\x15\x00\x00\xe0@".to_vec()
    );
}

#[test]
fn summary_ops_refuse_wrong_types_when_built() {
    let g = Graph::new();
    let tag = konst(&g, strings(&[], &["t"]));
    let f = konst(&g, Value::scalar(1.0f32));
    let b = konst(&g, Value::scalar(true));
    match op(&g, "ScalarSummary", &[f, f], Attrs::new()) {
        Err(Error::Type { message }) => assert_eq!(
            message,
            "Input 'tags' of 'ScalarSummary' Op has type float32 that does not match expected \
             type of string."
        ),
        other => panic!("expected a type error, got {other:?}"),
    }
    match op(&g, "HistogramSummary", &[tag, b], Attrs::new()) {
        Err(Error::Type { message }) => assert!(message.starts_with(
            "Value passed to parameter 'values' has DataType bool not in list of allowed values: \
             float32, float64, int32, uint8,"
        )),
        other => panic!("expected a type error, got {other:?}"),
    }
    let i = konst(&g, Value::from_vec(&[1, 1, 1, 1], vec![1i32]).unwrap());
    match op(&g, "ImageSummary", &[tag, i], Attrs::new()) {
        Err(Error::Type { message }) => assert_eq!(
            message,
            "Value passed to parameter 'tensor' has DataType int32 not in list of allowed \
             values: uint8, float32, float16, float64"
        ),
        other => panic!("expected a type error, got {other:?}"),
    }
}

#[test]
fn histogram_summary_bytes_match_tf() {
    let g = Graph::new();
    let tag = konst(&g, strings(&[], &["h"]));
    let values = konst(&g, Value::from_vec(&[3], vec![1.0f32, 2.0, 2.0]).unwrap());
    let s = op(&g, "HistogramSummary", &[tag, values], Attrs::new()).unwrap();
    let got = run_bytes(&g, s).unwrap();
    // TF 2.21's kernel output for the same inputs.
    assert_eq!(hex(&got), HISTOGRAM_1_2_2);
}

#[test]
fn histogram_summary_rejects_non_finite_values() {
    for (x, text) in [
        (f64::NAN, "Nan in summary histogram"),
        (f64::NEG_INFINITY, "Infinity in Histogram"),
    ] {
        let g = Graph::new();
        let tag = konst(&g, strings(&[], &["h"]));
        let values = konst(&g, Value::from_vec(&[2], vec![1.0, x]).unwrap());
        let s = g
            .add_op_def(
                "HistogramSummary",
                &[tag, values],
                &Attrs::new(),
                Some("hist"),
            )
            .unwrap()
            .output(0);
        let (code, message) = run_error(&g, s);
        assert_eq!(code, Code::InvalidArgument);
        assert!(
            message.starts_with(&format!("{text} for: hist")),
            "{message}"
        );
    }
}

#[test]
fn merge_summary_concatenates_values_and_rejects_duplicate_tags() {
    let g = Graph::new();
    let a: &[u8] = b"\n\x08\n\x01a\x15\x00\x00\x80?";
    let b: &[u8] = b"\n\x08\n\x01b\x15\x00\x00\x00@";
    let x = konst(&g, bytes_value(&[a]));
    let y = konst(&g, bytes_value(&[b, b""]));
    let m = op(&g, "MergeSummary", &[x, y], Attrs::new()).unwrap();
    assert_eq!(run_bytes(&g, m).unwrap(), [a, b].concat());

    let dup = op(&g, "MergeSummary", &[x, x], Attrs::new()).unwrap();
    let (code, message) = run_error(&g, dup);
    assert_eq!(code, Code::InvalidArgument);
    assert!(message.starts_with("Duplicate tag a found in summary inputs"));

    let junk = konst(&g, bytes_value(&[b"\x0a\x05ab"]));
    let bad = op(&g, "MergeSummary", &[junk], Attrs::new()).unwrap();
    let (_, message) = run_error(&g, bad);
    assert!(message.starts_with("Could not parse one of the summary inputs"));
}

#[test]
fn tensor_summary_v2_writes_tensor_content_and_metadata() {
    let g = Graph::new();
    let tag = konst(&g, strings(&[], &["t"]));
    let x = konst(&g, Value::from_vec(&[2], vec![1i32, -2]).unwrap());
    let meta = konst(
        &g,
        bytes_value(&[b"\n\x06\n\x04text"]).reshape(&[]).unwrap(),
    );
    let s = op(&g, "TensorSummaryV2", &[tag, x, meta], Attrs::new()).unwrap();
    let want: &[u8] = b"\n!\n\x01tB\x12\x08\x03\x12\x04\x12\x02\x08\x02\"\x08\x01\x00\x00\x00\
                        \xfe\xff\xff\xffJ\x08\n\x06\n\x04text";
    assert_eq!(run_bytes(&g, s).unwrap(), want);

    let words = konst(&g, strings(&[2], &["hi", ""]));
    let s = op(&g, "TensorSummaryV2", &[tag, words, meta], Attrs::new()).unwrap();
    let want: &[u8] = b"\n\x1d\n\x01tB\x0e\x08\x07\x12\x04\x12\x02\x08\x02B\x02hiB\x00\
                        J\x08\n\x06\n\x04text";
    assert_eq!(run_bytes(&g, s).unwrap(), want);
}

#[test]
fn image_summary_writes_pngs_with_tf_tags() {
    let g = Graph::new();
    let tag = konst(&g, strings(&[], &["img"]));
    let pixels: Vec<f32> = vec![0.0, 0.5, f32::NAN, 1.0, -1.0, 0.25];
    let images = konst(&g, Value::from_vec(&[2, 1, 3, 1], pixels).unwrap());
    let attrs = Attrs::new().with("max_images", AttrValue::Int(1));
    let s = op(&g, "ImageSummary", &[tag, images], attrs).unwrap();
    let got = run_bytes(&g, s).unwrap();
    // One image (max_images = 1), tagged `img/image`, 3x1 grey: 0, 0.5, NaN -> 0, 255, 255
    // (scaled so the largest finite value is 255; the NaN pixel takes bad_color's first
    // channel), stored after the row's filter byte.
    assert!(got.windows(9).any(|w| w == b"img/image"));
    assert!(!got.windows(11).any(|w| w == b"img/image/0"));
    assert!(got.windows(8).any(|w| w == b"\x89PNG\r\n\x1a\n"));
    assert!(got.windows(4).any(|w| w == [0, 0, 255, 255]));

    let bad = op(&g, "ImageSummary", &[tag, tag], Attrs::new());
    assert!(bad.is_err());
    let flat = konst(&g, Value::from_vec(&[2, 2], vec![0u8; 4]).unwrap());
    let s = op(&g, "ImageSummary", &[tag, flat], Attrs::new()).unwrap();
    let (_, message) = run_error(&g, s);
    assert!(message.starts_with("Tensor must be 4-D with last dim 1, 3, or 4, not [2,2]"));
}

#[test]
fn audio_summary_writes_tf_wav_clips() {
    let g = Graph::new();
    let tag = konst(&g, strings(&[], &["snd"]));
    let clips = konst(
        &g,
        Value::from_vec(&[2, 2], vec![0.5f32, -1.0, 2.0, f32::NAN]).unwrap(),
    );
    let rate = konst(&g, Value::scalar(8000.4f32));
    let s = op(&g, "AudioSummaryV2", &[tag, clips, rate], Attrs::new()).unwrap();
    let got = run_bytes(&g, s).unwrap();
    // TF's header (byte rate 2 * 8000 for one channel), then int16 samples.
    let header: &[u8] = b"RIFF\x28\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\
                          \x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x04\x00\x00\x00";
    let first = [header, b"\x00\x40\x00\x80"].concat();
    let second = [header, b"\xff\x7f\x00\x00"].concat();
    let find = |needle: &[u8]| got.windows(needle.len()).any(|w| w == needle);
    assert!(find(&first) && find(&second));
    assert!(find(b"snd/audio/0") && find(b"snd/audio/1") && find(b"audio/wav"));

    let zero = konst(&g, Value::scalar(0.0f32));
    let s = op(&g, "AudioSummaryV2", &[tag, clips, zero], Attrs::new()).unwrap();
    let (_, message) = run_error(&g, s);
    assert!(message.starts_with("sample_rate must be > 0"));
    let flat = konst(&g, Value::from_vec(&[2], vec![0.0f32; 2]).unwrap());
    let s = op(&g, "AudioSummaryV2", &[tag, flat, rate], Attrs::new()).unwrap();
    let (_, message) = run_error(&g, s);
    assert!(message.starts_with("Tensor must be 3-D or 2-D, got: [2]"));
}
