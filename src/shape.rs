//! Static shapes: a rank that may be unknown, and dimensions that may be unknown.

use crate::error::{Error, Result};
use smallvec::SmallVec;
use std::fmt;

pub type Dim = Option<usize>;
pub type Dims = SmallVec<[Dim; 4]>;

/// A static shape as TF's `TensorShape`: `None` is an unknown rank.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Shape(pub Option<Dims>);

impl Shape {
    pub fn unknown() -> Shape {
        Shape(None)
    }
    pub fn scalar() -> Shape {
        Shape(Some(Dims::new()))
    }
    pub fn known(dims: &[usize]) -> Shape {
        Shape(Some(dims.iter().map(|&d| Some(d)).collect()))
    }
    pub fn from_dims(dims: &[Dim]) -> Shape {
        Shape(Some(dims.iter().copied().collect()))
    }
    /// A shape of known rank whose dimensions are all unknown.
    pub fn unknown_dims(rank: usize) -> Shape {
        Shape(Some(std::iter::repeat_n(None, rank).collect()))
    }
    pub fn rank(&self) -> Option<usize> {
        self.0.as_ref().map(|d| d.len())
    }
    pub fn dims(&self) -> Option<&[Dim]> {
        self.0.as_deref()
    }
    pub fn dim(&self, i: usize) -> Dim {
        self.0.as_ref().and_then(|d| d.get(i).copied().flatten())
    }
    pub fn is_fully_defined(&self) -> bool {
        self.0
            .as_ref()
            .is_some_and(|d| d.iter().all(|x| x.is_some()))
    }
    /// The dimensions when all are known.
    pub fn to_vec(&self) -> Option<Vec<usize>> {
        self.0.as_ref().and_then(|d| d.iter().copied().collect())
    }
    /// `None` when a dimension is unknown or the count would exceed TF's 2**63 - 1 elements.
    pub fn num_elements(&self) -> Option<usize> {
        self.to_vec().and_then(|v| checked_num_elements(&v).ok())
    }

    pub fn is_compatible_with(&self, other: &Shape) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => {
                a.len() == b.len()
                    && a.iter().zip(b.iter()).all(|(x, y)| match (x, y) {
                        (Some(x), Some(y)) => x == y,
                        _ => true,
                    })
            }
            _ => true,
        }
    }

    /// The most specific shape compatible with both, or an error when they contradict.
    pub fn merge(&self, other: &Shape) -> Result<Shape> {
        match (&self.0, &other.0) {
            (None, _) => Ok(other.clone()),
            (_, None) => Ok(self.clone()),
            (Some(a), Some(b)) => {
                if a.len() != b.len() {
                    return Err(Error::invalid(format!(
                        "Shapes {self} and {other} are not compatible"
                    )));
                }
                let mut out = Dims::with_capacity(a.len());
                for (x, y) in a.iter().zip(b.iter()) {
                    out.push(match (x, y) {
                        (Some(x), Some(y)) if x != y => {
                            return Err(Error::invalid(format!(
                                "Shapes {self} and {other} are not compatible"
                            )))
                        }
                        (Some(x), _) => Some(*x),
                        (_, y) => *y,
                    });
                }
                Ok(Shape(Some(out)))
            }
        }
    }

    /// TF's kernel-message spelling: `[2,3]`, `[?,3]`, `<unknown>`.
    pub fn bracketed(&self) -> String {
        match &self.0 {
            None => "<unknown>".to_string(),
            Some(d) => {
                let parts: Vec<String> = d
                    .iter()
                    .map(|x| x.map_or("?".to_string(), |v| v.to_string()))
                    .collect();
                format!("[{}]", parts.join(","))
            }
        }
    }
}

impl fmt::Display for Shape {
    /// Python `TensorShape` spelling: `(2, 3)`, `(None, 3)`, `(5,)`, `()`, `<unknown>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            None => f.write_str("<unknown>"),
            Some(d) => {
                let parts: Vec<String> = d
                    .iter()
                    .map(|x| x.map_or("None".to_string(), |v| v.to_string()))
                    .collect();
                if parts.len() == 1 {
                    write!(f, "({},)", parts[0])
                } else {
                    write!(f, "({})", parts.join(", "))
                }
            }
        }
    }
}

/// Static numpy broadcasting of two shapes. `Ok(None)` inside dims where unknown.
/// Errors when known dimensions contradict.
/// The element count of `dims`, or the pair of factors whose product first exceeds TF's
/// limit of 2**63 - 1 elements (a wrapped product would turn a huge shape into a small one).
pub fn checked_num_elements(dims: &[usize]) -> std::result::Result<usize, (usize, usize)> {
    const LIMIT: usize = i64::MAX as usize;
    let mut n: usize = 1;
    for &d in dims {
        n = n.checked_mul(d).filter(|&m| m <= LIMIT).ok_or((n, d))?;
    }
    Ok(n)
}

pub fn broadcast_static(a: &Shape, b: &Shape) -> std::result::Result<Shape, (usize, usize)> {
    let (Some(da), Some(db)) = (&a.0, &b.0) else {
        return Ok(Shape::unknown());
    };
    let rank = da.len().max(db.len());
    let mut out = Dims::with_capacity(rank);
    for i in 0..rank {
        let (x, y) = (aligned(da, i, rank), aligned(db, i, rank));
        out.push(match (x, y) {
            (Some(1), y) => y,
            (x, Some(1)) => x,
            (Some(x), Some(y)) if x == y => Some(x),
            (Some(x), Some(y)) => return Err((x, y)),
            (Some(x), None) | (None, Some(x)) => Some(x),
            (None, None) => None,
        });
    }
    Ok(Shape(Some(out)))
}

/// Dimension `i` of `dims` right-aligned to `rank` (missing leading dims are 1).
fn aligned(dims: &[Dim], i: usize, rank: usize) -> Dim {
    if i + dims.len() >= rank {
        dims[i + dims.len() - rank]
    } else {
        Some(1)
    }
}

/// Run-time numpy broadcasting of concrete shapes.
pub fn broadcast_dims(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = Vec::with_capacity(rank);
    for i in 0..rank {
        let x = if i + a.len() >= rank {
            a[i + a.len() - rank]
        } else {
            1
        };
        let y = if i + b.len() >= rank {
            b[i + b.len() - rank]
        } else {
            1
        };
        out.push(if x == y || y == 1 {
            x
        } else if x == 1 {
            y
        } else {
            return None;
        });
    }
    Some(out)
}

/// The axes along which a tensor of shape `a` was broadcast to reach `out` (TF's
/// `BroadcastGradientArgs` for one side), or `None` when static shapes cannot tell.
pub fn broadcast_reduction_axes(a: &Shape, b: &Shape) -> Option<(Vec<usize>, Vec<usize>)> {
    let (Some(da), Some(db)) = (&a.0, &b.0) else {
        return None;
    };
    let rank = da.len().max(db.len());
    let mut ra = Vec::new();
    let mut rb = Vec::new();
    for i in 0..rank {
        let (x, y) = (aligned(da, i, rank), aligned(db, i, rank));
        match (x, y) {
            (Some(1), Some(1)) => {}
            (Some(1), _) => ra.push(i),
            (_, Some(1)) => rb.push(i),
            (Some(x), Some(y)) if x == y => {}
            _ => return None,
        }
    }
    Some((ra, rb))
}

/// Normalises a possibly negative axis against a rank, with TF's message on failure.
pub fn normalize_axis(axis: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    if axis < -r || axis >= r {
        return Err(Error::invalid(format!(
            "axis {axis} is out of bounds: must be in range [{}, {r})",
            -r
        )));
    }
    Ok(if axis < 0 {
        (axis + r) as usize
    } else {
        axis as usize
    })
}
