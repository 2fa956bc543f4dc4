//! Elementwise loops shared by the unary and binary kernels. Two things make them fast:
//! a buffer that nothing else holds any more (the executor hands over an input at its last
//! use) is overwritten in place instead of allocating the output, and large contiguous
//! tensors are split across the thread pool. Each element is computed by the same
//! expression either way, so results do not depend on the path taken.

use super::vmath::{simd, F32Fn, BLOCK};
use crate::pool;
use crate::value::Arr;
use ndarray::{ArcArray, IxDyn, Zip};
use std::mem::MaybeUninit;

/// Below this many elements one core finishes before another would have started.
pub const PARALLEL_MIN: usize = 1 << 15;

/// Elements per parallel task: several tasks per thread, so a core that other work slows
/// down hands its share over.
pub(crate) fn task_len(n: usize) -> usize {
    (n / (8 * pool::threads().max(1))).max(PARALLEL_MIN / 4)
}

/// `work(start, part)` over `xs` cut into parts, `start` being the index of a part's first
/// element: the whole slice at once when it is small, else parts of `task_len` elements on
/// the thread pool. The one place the elementwise loops decide whether to split.
fn for_each_part<T: Send>(xs: &mut [T], work: impl Fn(usize, &mut [T]) + Sync) {
    if xs.len() >= PARALLEL_MIN {
        let len = task_len(xs.len());
        pool::for_each_chunk_mut(xs, len, |i, part| work(i * len, part));
    } else {
        work(0, xs);
    }
}

/// `xs[i] = f(xs[i])`.
fn in_place<T: Copy + Send + Sync>(xs: &mut [T], f: &(impl Fn(T) -> T + Sync)) {
    for_each_part(xs, |_, part| {
        simd(
            #[inline(always)]
            || part.iter_mut().for_each(|x| *x = f(*x)),
        )
    });
}

/// A new buffer of `f(xs[i])`, written once (no zero fill first).
pub(crate) fn mapped<T: Sync, O: Send>(xs: &[T], f: &(impl Fn(&T) -> O + Sync)) -> Vec<O> {
    let n = xs.len();
    let mut out: Vec<O> = Vec::with_capacity(n);
    let spare = &mut out.spare_capacity_mut()[..n];
    let write = |dst: &mut [MaybeUninit<O>], src: &[T]| {
        simd(
            #[inline(always)]
            || {
                for (d, s) in dst.iter_mut().zip(src) {
                    d.write(f(s));
                }
            },
        )
    };
    for_each_part(spare, |at, d| write(d, &xs[at..][..d.len()]));
    // SAFETY: `for_each_part` hands each of the first n slots to exactly one part, and each
    // part writes all of its slots (from the elements of `xs` at the same indices); had `f`
    // panicked, we would not get here.
    unsafe { out.set_len(n) };
    out
}

fn shaped<O>(shape: &[usize], data: Vec<O>) -> Option<Arr<O>> {
    ArcArray::from_shape_vec(IxDyn(shape), data).ok()
}

/// `f` over every element of `a`, into `a`'s own buffer when nothing else holds it.
pub fn map<T, F>(mut a: Arr<T>, f: F) -> Arr<T>
where
    T: Copy + Send + Sync,
    F: Fn(T) -> T + Sync,
{
    if a.is_unique() {
        if let Some(xs) = a.as_slice_mut() {
            in_place(xs, &f);
            return a;
        }
    }
    map_new(&a, f)
}

/// A vectorised float32 function over every element of `a`, into `a`'s own buffer when
/// nothing else holds it.
pub fn map_f32(mut a: Arr<f32>, f: F32Fn) -> Arr<f32> {
    if a.is_unique() {
        if let Some(xs) = a.as_slice_mut() {
            for_each_part(xs, |_, part| {
                simd(
                    #[inline(always)]
                    || f.in_place(part),
                )
            });
            return a;
        }
    }
    let Some(xs) = a.as_slice() else {
        return a.mapv(|x| f.scalar(x)).into_shared();
    };
    let mut out = vec![0f32; xs.len()];
    let blocks = |src: &[f32], dst: &mut [f32]| {
        simd(
            #[inline(always)]
            || {
                for (s, d) in src.chunks(BLOCK).zip(dst.chunks_mut(BLOCK)) {
                    f.block(s, d);
                }
            },
        )
    };
    for_each_part(&mut out, |at, d| blocks(&xs[at..][..d.len()], d));
    shaped(a.shape(), out).unwrap_or_else(|| a.mapv(|x| f.scalar(x)).into_shared())
}

/// `f` over every element of `a`, into a new buffer.
pub fn map_new<T, O, F>(a: &Arr<T>, f: F) -> Arr<O>
where
    T: Copy + Sync,
    O: Clone + Send,
    F: Fn(T) -> O + Sync,
{
    if let Some(xs) = a.as_slice() {
        if xs.len() >= PARALLEL_MIN {
            if let Some(out) = shaped(a.shape(), mapped(xs, &|x: &T| f(*x))) {
                return out;
            }
        }
    }
    a.mapv(f).into_shared()
}

/// `f(a, b)` elementwise for operands of one shape, both laid out row-major, into a new
/// buffer; `None` when they are not.
pub fn zip_new<A, B, O, F>(a: &Arr<A>, b: &Arr<B>, f: F) -> Option<Arr<O>>
where
    A: Copy + Sync,
    B: Copy + Sync,
    O: Send,
    F: Fn(A, B) -> O + Sync,
{
    if a.shape() != b.shape() {
        return None;
    }
    let (xs, ys) = (a.as_slice()?, b.as_slice()?);
    let n = xs.len();
    let mut out: Vec<O> = Vec::with_capacity(n);
    let spare = &mut out.spare_capacity_mut()[..n];
    let write = |dst: &mut [MaybeUninit<O>], xs: &[A], ys: &[B]| {
        simd(
            #[inline(always)]
            || {
                for ((d, &x), &y) in dst.iter_mut().zip(xs).zip(ys) {
                    d.write(f(x, y));
                }
            },
        )
    };
    for_each_part(spare, |at, d| {
        write(d, &xs[at..][..d.len()], &ys[at..][..d.len()])
    });
    // SAFETY: as in `mapped`: every one of the n slots is written by its part.
    unsafe { out.set_len(n) };
    shaped(a.shape(), out)
}

/// `xs[i] = f(xs[i], ys[i])`.
fn zip_into<T: Copy, U: Copy>(xs: &mut [T], ys: &[U], f: &impl Fn(T, U) -> T) {
    simd(
        #[inline(always)]
        || {
            for (x, &y) in xs.iter_mut().zip(ys) {
                *x = f(*x, y);
            }
        },
    )
}

/// `f(a, b)` with numpy broadcasting where the result has `a`'s shape: into `a`'s buffer
/// when nothing else holds it. Gives `a` back (as `Err`) when that cannot be done.
fn into_first<T, U, F>(mut a: Arr<T>, b: &Arr<U>, f: &F) -> Result<Arr<T>, Arr<T>>
where
    T: Copy + Send + Sync,
    U: Copy + Sync,
    F: Fn(T, U) -> T + Sync,
{
    if !a.is_unique() || !a.is_standard_layout() {
        return Err(a);
    }
    let same_shape = a.shape() == b.shape();
    // A one-element `b` of no higher rank is a constant of the loop.
    let scalar = (b.len() == 1 && b.ndim() <= a.ndim())
        .then(|| b.first().copied())
        .flatten();
    if let Some(xs) = a.as_slice_mut() {
        if let Some(y) = scalar {
            in_place(xs, &|x| f(x, y));
            return Ok(a);
        }
        if let (true, Some(ys)) = (same_shape, b.as_slice()) {
            for_each_part(xs, |at, part| zip_into(part, &ys[at..][..part.len()], f));
            return Ok(a);
        }
    }
    if let Some(bv) = b.broadcast(a.raw_dim()) {
        Zip::from(&mut a).and(&bv).for_each(|x, &y| *x = f(*x, y));
        return Ok(a);
    }
    Err(a)
}

/// Both operands of a binary kernel, handed back when a fast path does not apply (boxed:
/// the fallback is rare, the happy path should not pay for moving them).
pub type Operands<T> = Box<(Arr<T>, Arr<T>)>;

/// `f(a, b)` with numpy broadcasting, for kernels whose result has the operands' element
/// type: reuses whichever operand's buffer has the result's shape and is held by nobody
/// else; a scalar operand becomes a constant of the loop. Gives the operands back when no
/// fast path applies (the caller then runs the general broadcast).
pub fn zip_same<T, F>(a: Arr<T>, b: Arr<T>, f: F) -> Result<Arr<T>, Operands<T>>
where
    T: Copy + Send + Sync,
    F: Fn(T, T) -> T + Sync,
{
    let a = match into_first(a, &b, &f) {
        Ok(out) => return Ok(out),
        Err(a) => a,
    };
    let b = match into_first(b, &a, &|y, x| f(x, y)) {
        Ok(out) => return Ok(out),
        Err(b) => b,
    };
    // A one-element operand whose rank does not exceed the other's broadcasts to the
    // other's shape: map the other with the scalar as a constant.
    if b.len() == 1 && b.ndim() <= a.ndim() {
        if let Some(&y) = b.iter().next() {
            return Ok(map_new(&a, |x| f(x, y)));
        }
    }
    if a.len() == 1 && a.ndim() <= b.ndim() {
        if let Some(&x) = a.iter().next() {
            return Ok(map_new(&b, |y| f(x, y)));
        }
    }
    if let Some(out) = zip_new(&a, &b, &f) {
        return Ok(out);
    }
    Err(Box::new((a, b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(shape: &[usize], data: Vec<f64>) -> Arr<f64> {
        ArcArray::from_shape_vec(IxDyn(shape), data).unwrap()
    }

    #[test]
    fn map_reuses_an_unshared_buffer_and_copies_a_shared_one() {
        let a = arr(&[3], vec![1.0, 2.0, 3.0]);
        let ptr = a.as_ptr();
        let out = map(a, |x| x * 2.0);
        assert_eq!(out.as_ptr(), ptr);
        assert_eq!(out.as_slice().unwrap(), &[2.0, 4.0, 6.0]);

        let shared = arr(&[3], vec![1.0, 2.0, 3.0]);
        let keep = shared.clone();
        let out = map(shared, |x| x + 1.0);
        assert_ne!(out.as_ptr(), keep.as_ptr());
        assert_eq!(keep.as_slice().unwrap(), &[1.0, 2.0, 3.0]);
        assert_eq!(out.as_slice().unwrap(), &[2.0, 3.0, 4.0]);
    }

    #[test]
    fn zip_same_broadcasts_into_the_larger_operand_either_side() {
        let rows = arr(&[2, 2], vec![1.0, 2.0, 3.0, 4.0]);
        let bias = arr(&[2], vec![10.0, 20.0]);
        let keep = bias.clone();
        let out = zip_same(keep, rows, |b, x| x - b).ok().unwrap();
        assert_eq!(out.shape(), &[2, 2]);
        assert_eq!(
            out.iter().copied().collect::<Vec<_>>(),
            vec![-9.0, -18.0, -7.0, -16.0]
        );
        assert_eq!(bias.as_slice().unwrap(), &[10.0, 20.0]);
    }

    #[test]
    fn zip_same_scalar_and_shared_operands() {
        let x = arr(&[2], vec![1.0, 2.0]);
        let s = arr(&[], vec![3.0]);
        let (xk, sk) = (x.clone(), s.clone());
        let out = zip_same(sk, xk, |a, b| a / b).ok().unwrap();
        assert_eq!(out.as_slice().unwrap(), &[3.0, 1.5]);
        // Mismatched shapes that need the general broadcast come back untouched.
        let a = arr(&[2, 1], vec![1.0, 2.0]);
        let b = arr(&[1, 2], vec![1.0, 2.0]);
        let (a2, b2) = (a.clone(), b.clone());
        assert!(zip_same(a2, b2, |p, q| p + q).is_err());
    }

    #[test]
    fn large_paths_match_the_small_ones() {
        let n = 3 * PARALLEL_MIN + 7;
        let data: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
        let a = arr(&[n], data.clone());
        let shared = a.clone();
        let fresh = map_new(&shared, |x| x.exp());
        let in_place_out = map(arr(&[n], data.clone()), |x| x.exp());
        let expect: Vec<f64> = data.iter().map(|x| x.exp()).collect();
        assert_eq!(fresh.as_slice().unwrap(), &expect[..]);
        assert_eq!(in_place_out.as_slice().unwrap(), &expect[..]);
        let z = zip_new(&a, &shared, |x, y| x * y).unwrap();
        let expect: Vec<f64> = data.iter().map(|x| x * x).collect();
        assert_eq!(z.as_slice().unwrap(), &expect[..]);
    }
}
