//! Bytes per op. Graphs of millions of ops (issue 5's 1M-step chain adds 13M ops in one
//! `gradients()` call) are bound by memory traffic, so the per-op records must not grow
//! silently: a new large attribute belongs in a `Box` (as `Const`'s value and the conv and
//! variable families are), not inline in every op.

use symgrad::graph::{Node, TensorMeta};
use symgrad::ops::OpKind;

#[test]
fn per_op_records_stay_small() {
    let sizes = [
        ("OpKind", std::mem::size_of::<OpKind>()),
        ("TensorMeta", std::mem::size_of::<TensorMeta>()),
        ("Node", std::mem::size_of::<Node>()),
    ];
    for (name, size) in sizes {
        println!("{name}: {size} bytes");
    }
    assert!(std::mem::size_of::<OpKind>() <= 24, "{sizes:?}");
    assert!(std::mem::size_of::<Node>() <= 112, "{sizes:?}");
}
