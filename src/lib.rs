//! symgrad: symbolic reverse-mode differentiation of dataflow graphs, as TensorFlow 1.x's
//! `tf.gradients`, with a graph arena, an op set with ndarray kernels, a gradient registry,
//! the reverse-mode traversal and an executor.
//!
//! ```
//! use symgrad::{Graph, DType, Shape, ops, grad, exec::Session, Value};
//! let g = Graph::new();
//! let x = ops::source::placeholder(&g, DType::F64, Shape::known(&[3]), Some("x")).unwrap();
//! let y = ops::unary::sin(&g, x).unwrap();
//! let dy = grad::gradients(&g, &[y], &[x], &Default::default()).unwrap();
//! let dx = grad::densify(&g, dy[0].unwrap()).unwrap();
//! let s = Session::new(&g);
//! let out = s.run(&[dx], &[(x, Value::from_vec(&[3], vec![0.0f64, 1.0, 2.0]).unwrap())]).unwrap();
//! assert!((out[0].to_f64_vec()[1] - 1f64.cos()).abs() < 1e-12);
//! ```

pub mod attr;
pub mod dtype;
pub mod eager;
pub mod error;
pub mod exec;
pub mod grad;
pub mod graph;
pub mod ops;
mod pool;
pub mod shape;
pub mod value;

#[cfg(feature = "python")]
mod python;

pub use attr::{AttrValue, Attrs};
pub use dtype::DType;
pub use error::{Code, Error, Result};
pub use grad::{gradients, hessians, Grad, GradientOptions, IndexedSlices, Unconnected};
pub use graph::{Graph, OpRef, Tensor};
pub use shape::Shape;
pub use value::Value;
