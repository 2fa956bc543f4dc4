//! Fuzzes graph construction, differentiation and execution. The input bytes decode into a
//! few placeholders and constants, a sequence of ops added by TF type name with arbitrary
//! inputs and attributes, `gradients()` of some outputs, and runs with arbitrary feeds.
//! Errors are the expected outcome for most inputs; a panic (even one the executor would
//! catch: libfuzzer's panic hook aborts first), an abort or an allocation failure is a finding.
#![no_main]

#[path = "../decode.rs"]
mod decode;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let internal = decode::run_case(data);
    assert!(internal.is_empty(), "InternalError: {internal:?}");
});
