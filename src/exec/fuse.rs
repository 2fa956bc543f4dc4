//! Plan-level fusion of elementwise float32 steps. The graph stays op for op what TF
//! builds; only the plan changes: a run of consecutive elementwise steps becomes one step
//! that evaluates a small register program block by block (`BLOCK` elements, so the
//! intermediates stay in L1), instead of one kernel call, one buffer and one slot move
//! per op. Every instruction applies the same per-element function, in the same order, as
//! the kernel of the op it stands for, so results are bit for bit those of the unfused
//! steps (up to the sign and payload of a NaN: the unfused in-place kernels may evaluate a
//! commutative op with its operands swapped, and x86 propagates the first NaN operand).
//!
//! Shapes are checked when the group runs: every full-size value in the group must have
//! one shape and every one-element operand must broadcast into it without raising the
//! rank. When that does not hold (broadcasting between full operands, shapes known only
//! at run time that disagree), the member steps run one by one as usual.
//!
//! `SYMGRAD_NO_FUSION=1` in the environment turns fusion off (for debugging and
//! comparisons).

use super::plan::Step;
use crate::dtype::DType;
use crate::graph::TensorMeta;
use crate::ops::elementwise::{task_len, PARALLEL_MIN};
use crate::ops::vmath::{bulk, load, map_lanes, simd, store, F32Fn, BLOCK, LANES};
use crate::ops::{BinaryOp, OpKind, UnaryOp};
use crate::pool;
use crate::shape::Shape;
use crate::value::Value;
use ndarray::{ArcArray, IxDyn};
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

/// Whether plans fuse elementwise steps (on unless `SYMGRAD_NO_FUSION` is set).
pub fn enabled() -> bool {
    std::env::var_os("SYMGRAD_NO_FUSION").is_none_or(|v| v.is_empty() || v == "0")
}

#[derive(Debug, Clone, Copy)]
enum Operand {
    /// A value computed earlier in the group, by its register.
    Reg(u32),
    /// A full-size input of the group, by its index in `full_inputs`.
    Full(u32),
    /// A one-element input of the group, by its index in `scalar_inputs`.
    Scalar(u32),
    /// A one-element `Const` member.
    Imm(f32),
}

#[derive(Debug, Clone, Copy)]
enum Kernel {
    Fn(F32Fn),
    Unary(UnaryOp),
    Binary(BinaryOp),
}

impl Kernel {
    /// The fusable float32 kernel of `op`, if it has one.
    fn of(op: &OpKind) -> Option<(Kernel, usize)> {
        match op {
            OpKind::Unary(u) => match (F32Fn::of(*u), u) {
                (Some(f), _) => Some((Kernel::Fn(f), 1)),
                (
                    None,
                    UnaryOp::Neg
                    | UnaryOp::Abs
                    | UnaryOp::Square
                    | UnaryOp::Sqrt
                    | UnaryOp::Rsqrt
                    | UnaryOp::Reciprocal
                    | UnaryOp::Relu,
                ) => Some((Kernel::Unary(*u), 1)),
                _ => None,
            },
            OpKind::Binary(
                b @ (BinaryOp::AddV2
                | BinaryOp::Sub
                | BinaryOp::Mul
                | BinaryOp::RealDiv
                | BinaryOp::SquaredDifference
                | BinaryOp::ReluGrad
                | BinaryOp::TanhGrad
                | BinaryOp::SigmoidGrad
                | BinaryOp::SqrtGrad
                | BinaryOp::RsqrtGrad
                | BinaryOp::ReciprocalGrad),
            ) => Some((Kernel::Binary(*b), 2)),
            _ => None,
        }
    }
}

#[derive(Debug)]
struct Instr {
    kernel: Kernel,
    a: Operand,
    b: Operand,
    dst: u32,
    /// The group output this value also goes to.
    store: Option<u32>,
}

/// One fused group of steps.
pub struct Fused {
    /// The member steps in plan order, run one by one when the fused program cannot be.
    pub members: Vec<Step>,
    program: Vec<Instr>,
    full_inputs: Vec<usize>,
    scalar_inputs: Vec<usize>,
    /// The highest rank of a one-element operand: the run-time shape must have at least it.
    scalar_rank: usize,
    /// The slots computed outputs go to, by output index.
    outputs: Vec<usize>,
    /// `Const` members that steps outside the group read.
    const_outputs: Vec<(usize, Value)>,
    /// Slots whose last read in the plan is in the group: emptied after it runs.
    dead: Vec<usize>,
    registers: usize,
    /// What the graph declares for every full-size value of the group, merged.
    shape: Shape,
}

#[derive(Clone, Copy)]
enum Src<'a> {
    Slice(&'a [f32]),
    Splat(f32),
}

#[inline(always)]
fn map_block(a: Src<'_>, d: &mut [f32], f: impl Fn(f32) -> f32) {
    match a {
        Src::Slice(x) => map_lanes(x, d, f),
        Src::Splat(x) => d.fill(f(x)),
    }
}

/// One operand's lane array at `at`.
#[inline(always)]
fn lanes(s: Src<'_>, at: usize, len: usize) -> [f32; LANES] {
    match s {
        Src::Slice(x) => load(x, at, len),
        Src::Splat(v) => [v; LANES],
    }
}

#[inline(always)]
fn zip_block(a: Src<'_>, b: Src<'_>, d: &mut [f32], f: impl Fn(f32, f32) -> f32) {
    let n = d.len();
    let mut at = bulk(n);
    let head = &mut d[..at];
    match (a, b) {
        (Src::Slice(x), Src::Slice(y)) => {
            for ((d, &x), &y) in head.iter_mut().zip(x).zip(y) {
                *d = f(x, y);
            }
        }
        (Src::Slice(x), Src::Splat(y)) => {
            for (d, &x) in head.iter_mut().zip(x) {
                *d = f(x, y);
            }
        }
        (Src::Splat(x), Src::Slice(y)) => {
            for (d, &y) in head.iter_mut().zip(y) {
                *d = f(x, y);
            }
        }
        (Src::Splat(x), Src::Splat(y)) => head.fill(f(x, y)),
    }
    while at < n {
        let len = LANES.min(n - at);
        let (x, y) = (lanes(a, at, len), lanes(b, at, len));
        let mut out = [0f32; LANES];
        for ((o, &x), &y) in out.iter_mut().zip(&x).zip(&y) {
            *o = f(x, y);
        }
        store(d, at, len, &out);
        at += len;
    }
}

/// The per-element expressions of the unary and binary kernels (`unary::apply_owned`,
/// `binary::apply_owned`), which these must match exactly.
#[inline(always)]
fn apply(kernel: Kernel, a: Src<'_>, b: Src<'_>, d: &mut [f32]) {
    match kernel {
        Kernel::Fn(f) => match a {
            Src::Slice(x) => f.block(x, d),
            Src::Splat(x) => d.fill(f.scalar(x)),
        },
        Kernel::Unary(u) => match u {
            UnaryOp::Neg => map_block(a, d, |v| -v),
            UnaryOp::Abs => map_block(a, d, |v| v.abs()),
            UnaryOp::Square => map_block(a, d, |v| v * v),
            UnaryOp::Sqrt => map_block(a, d, |v| v.sqrt()),
            UnaryOp::Rsqrt => map_block(a, d, |v| v.sqrt().recip()),
            UnaryOp::Reciprocal => map_block(a, d, |v| v.recip()),
            _ => map_block(a, d, |v| if v > 0.0 || v.is_nan() { v } else { 0.0 }),
        },
        Kernel::Binary(op) => match op {
            BinaryOp::AddV2 => zip_block(a, b, d, |x, y| x + y),
            BinaryOp::Sub => zip_block(a, b, d, |x, y| x - y),
            BinaryOp::Mul => zip_block(a, b, d, |x, y| x * y),
            BinaryOp::RealDiv => zip_block(a, b, d, |x, y| x / y),
            BinaryOp::SquaredDifference => zip_block(a, b, d, |x, y| (x - y) * (x - y)),
            BinaryOp::ReluGrad => zip_block(a, b, d, |g, f| if f > 0.0 { g } else { 0.0 }),
            BinaryOp::TanhGrad => zip_block(a, b, d, |y, dy| dy * (1.0 - y * y)),
            BinaryOp::SigmoidGrad => zip_block(a, b, d, |y, dy| dy * y * (1.0 - y)),
            BinaryOp::SqrtGrad => zip_block(a, b, d, |y, dy| dy * 0.5 / y),
            BinaryOp::RsqrtGrad => zip_block(a, b, d, |y, dy| -0.5 * dy * y * y * y),
            _ => zip_block(a, b, d, |y, dy| -dy * y * y),
        },
    }
}

/// The inputs of one run of a group.
struct Bound<'a> {
    fulls: SmallVec<[&'a [f32]; 8]>,
    scalars: SmallVec<[f32; 8]>,
}

impl Fused {
    /// Runs the group over `slots`; `false` (nothing touched) when the shapes met do not
    /// fit the fused program, and the members must run one by one.
    pub fn run(&self, slots: &mut [Option<Value>]) -> bool {
        let Some((shape, outs)) = self.compute(slots) else {
            return false;
        };
        for &s in &self.dead {
            slots[s] = None;
        }
        for (&slot, data) in self.outputs.iter().zip(outs) {
            match ArcArray::from_shape_vec(IxDyn(&shape), data) {
                Ok(a) => slots[slot] = Some(Value::F32(a)),
                Err(_) => return false,
            }
        }
        for (slot, value) in &self.const_outputs {
            slots[*slot] = Some(value.clone());
        }
        true
    }

    /// The output buffers and their shape, reading the inputs in place.
    #[allow(clippy::type_complexity)]
    fn compute(&self, slots: &[Option<Value>]) -> Option<(SmallVec<[usize; 4]>, Vec<Vec<f32>>)> {
        let mut shape: Option<&[usize]> = None;
        let mut bound = Bound {
            fulls: SmallVec::with_capacity(self.full_inputs.len()),
            scalars: SmallVec::with_capacity(self.scalar_inputs.len()),
        };
        for &s in &self.full_inputs {
            let Some(Value::F32(a)) = &slots[s] else {
                return None;
            };
            match shape {
                None => shape = Some(a.shape()),
                Some(sh) if sh != a.shape() => return None,
                Some(_) => {}
            }
            bound.fulls.push(a.as_slice()?);
        }
        let shape = shape?;
        let declared = self.shape.dims().map(|d| {
            d.len() == shape.len() && d.iter().zip(shape).all(|(d, &n)| d.is_none_or(|d| d == n))
        });
        if declared == Some(false) || self.scalar_rank > shape.len() {
            return None;
        }
        for &s in &self.scalar_inputs {
            let Some(Value::F32(a)) = &slots[s] else {
                return None;
            };
            if a.len() != 1 || a.ndim() > shape.len() {
                return None;
            }
            bound.scalars.push(*a.first()?);
        }
        let n = shape.iter().product::<usize>();
        let mut outs: Vec<Vec<f32>> = (0..self.outputs.len()).map(|_| vec![0f32; n]).collect();
        if n >= PARALLEL_MIN {
            // Tasks of whole blocks, each with its own registers and its piece of every
            // output.
            let len = task_len(n).div_ceil(BLOCK) * BLOCK;
            let mut pieces: Vec<Vec<&mut [f32]>> = (0..n.div_ceil(len))
                .map(|_| Vec::with_capacity(outs.len()))
                .collect();
            for out in &mut outs {
                for (task, piece) in out.chunks_mut(len).enumerate() {
                    pieces[task].push(piece);
                }
            }
            pool::for_each_item(pieces, |task, mut piece| {
                let start = task * len;
                self.run_range(start, (start + len).min(n), &bound, &mut piece);
            });
        } else {
            let mut all: SmallVec<[&mut [f32]; 4]> = outs.iter_mut().map(|o| &mut o[..]).collect();
            self.run_range(0, n, &bound, &mut all);
        }
        Some((SmallVec::from_slice(shape), outs))
    }

    /// Elements `start..end`; `outs[k]` holds output k's elements from `start` on.
    fn run_range(&self, start: usize, end: usize, bound: &Bound<'_>, outs: &mut [&mut [f32]]) {
        let width = BLOCK.min(end - start);
        let mut regs: Vec<Vec<f32>> = vec![vec![0f32; width]; self.registers];
        simd(
            #[inline(always)]
            || {
                let mut at = start;
                while at < end {
                    let len = width.min(end - at);
                    self.run_block(at, len, at - start, bound, &mut regs, outs);
                    at += len;
                }
            },
        )
    }

    #[inline(always)]
    fn run_block(
        &self,
        at: usize,
        len: usize,
        out_at: usize,
        bound: &Bound<'_>,
        regs: &mut [Vec<f32>],
        outs: &mut [&mut [f32]],
    ) {
        for ins in &self.program {
            let mut d = std::mem::take(&mut regs[ins.dst as usize]);
            let dst = &mut d[..len];
            let src = |o: Operand| match o {
                Operand::Reg(r) => Src::Slice(&regs[r as usize][..len]),
                Operand::Full(i) => Src::Slice(&bound.fulls[i as usize][at..at + len]),
                Operand::Scalar(i) => Src::Splat(bound.scalars[i as usize]),
                Operand::Imm(v) => Src::Splat(v),
            };
            apply(ins.kernel, src(ins.a), src(ins.b), dst);
            if let Some(k) = ins.store {
                outs[k as usize][out_at..out_at + len].copy_from_slice(dst);
            }
            regs[ins.dst as usize] = d;
        }
    }
}

/// What the fusion pass needs to know about the plan around the steps.
pub struct PlanFacts<'a> {
    /// How many reads of each slot the whole plan makes.
    pub reads: &'a [u32],
    pub fetched: &'a [bool],
    /// The graph's metadata of the tensor in each slot.
    pub metas: &'a [Option<TensorMeta>],
}

/// A group being collected.
#[derive(Default)]
struct Group {
    members: Vec<Step>,
    /// Per compute member: kernel and operands as value ids (`Operand::Reg` holds a value
    /// id until registers are assigned).
    instrs: Vec<(Kernel, Operand, Operand, usize)>,
    /// slot -> operand, for values produced in the group.
    produced: FxHashMap<usize, Operand>,
    full_inputs: Vec<usize>,
    scalar_inputs: Vec<usize>,
    externals: FxHashMap<usize, Operand>,
    scalar_rank: usize,
    /// Slot of each computed value, by value id.
    value_slots: Vec<usize>,
    consts: Vec<(usize, Value)>,
}

fn is_scalar_f32(meta: &TensorMeta) -> bool {
    meta.dtype == DType::F32 && meta.shape.num_elements() == Some(1)
}

impl Group {
    /// Takes in the bookkeeping for `step` if it fits (the caller then adds it to
    /// `members`); `false`, with nothing changed, otherwise.
    fn admit(&mut self, step: &Step, facts: &PlanFacts<'_>) -> bool {
        let out_slot = match (&step.outputs[..], step.metas.first()) {
            ([Some(slot)], Some(meta)) if meta.dtype == DType::F32 && step.fused.is_none() => *slot,
            _ => return false,
        };
        if let OpKind::Const { value } = &step.op {
            let Value::F32(a) = value.as_ref() else {
                return false;
            };
            let (true, Some(&v)) = (step.inputs.is_empty() && a.len() == 1, a.first()) else {
                return false;
            };
            self.scalar_rank = self.scalar_rank.max(a.ndim());
            self.produced.insert(out_slot, Operand::Imm(v));
            self.consts.push((out_slot, Value::F32(a.clone())));
            return true;
        }
        let Some((kernel, arity)) = Kernel::of(&step.op) else {
            return false;
        };
        if step.inputs.len() != arity {
            return false;
        }
        let mut ops: SmallVec<[Operand; 2]> = SmallVec::new();
        let mut new_inputs: SmallVec<[(usize, bool, usize); 2]> = SmallVec::new();
        for read in &step.inputs {
            if let Some(&o) = self.produced.get(&read.slot) {
                ops.push(o);
                continue;
            }
            if let Some(&o) = self.externals.get(&read.slot) {
                ops.push(o);
                continue;
            }
            let Some(Some(meta)) = facts.metas.get(read.slot) else {
                return false;
            };
            if meta.dtype != DType::F32 {
                return false;
            }
            // Provisional indices; committed below once the whole step fits.
            let scalar = is_scalar_f32(meta);
            let rank = meta.shape.rank().unwrap_or(0);
            if scalar {
                let i = self.scalar_inputs.len() + new_inputs.iter().filter(|(_, s, _)| *s).count();
                ops.push(Operand::Scalar(i as u32));
            } else {
                let i = self.full_inputs.len() + new_inputs.iter().filter(|(_, s, _)| !*s).count();
                ops.push(Operand::Full(i as u32));
            }
            new_inputs.push((read.slot, scalar, rank));
        }
        // At least one full-size operand, so the result has the group's shape.
        if !ops
            .iter()
            .any(|o| matches!(o, Operand::Reg(_) | Operand::Full(_)))
        {
            return false;
        }
        for (slot, scalar, rank) in new_inputs {
            let o = if scalar {
                self.scalar_rank = self.scalar_rank.max(rank);
                self.scalar_inputs.push(slot);
                Operand::Scalar(self.scalar_inputs.len() as u32 - 1)
            } else {
                self.full_inputs.push(slot);
                Operand::Full(self.full_inputs.len() as u32 - 1)
            };
            self.externals.insert(slot, o);
        }
        let value = self.value_slots.len();
        self.value_slots.push(out_slot);
        self.produced.insert(out_slot, Operand::Reg(value as u32));
        let b = ops.get(1).copied().unwrap_or(Operand::Imm(0.0));
        self.instrs.push((kernel, ops[0], b, value));
        true
    }

    /// The steps this group turns into: one fused step, or its members unchanged when
    /// fusing would not pay.
    fn finish(self, facts: &PlanFacts<'_>, out: &mut Vec<Step>) {
        if self.instrs.len() < 2 {
            out.extend(self.members);
            return;
        }
        let mut shape = Shape::unknown();
        let mut merged = true;
        for step in &self.members {
            if matches!(step.op, OpKind::Const { .. }) {
                continue;
            }
            match step.metas.first().map(|m| shape.merge(&m.shape)) {
                Some(Ok(s)) => shape = s,
                _ => merged = false,
            }
        }
        if !merged {
            out.extend(self.members);
            return;
        }
        // Reads of each produced slot inside the group, and the last instruction using
        // each value.
        let mut inner_reads: FxHashMap<usize, u32> = FxHashMap::default();
        let mut dead = Vec::new();
        for step in &self.members {
            for read in &step.inputs {
                if self.produced.contains_key(&read.slot) {
                    *inner_reads.entry(read.slot).or_default() += 1;
                } else if read.last && !dead.contains(&read.slot) {
                    dead.push(read.slot);
                }
            }
        }
        let escapes = |slot: usize| {
            facts.fetched.get(slot).copied().unwrap_or(false)
                || facts.reads.get(slot).copied().unwrap_or(0)
                    > inner_reads.get(&slot).copied().unwrap_or(0)
        };
        let mut last_use = vec![usize::MAX; self.value_slots.len()];
        for (i, (_, a, b, _)) in self.instrs.iter().enumerate() {
            for o in [a, b] {
                if let Operand::Reg(v) = o {
                    last_use[*v as usize] = i;
                }
            }
        }
        // Linear-scan registers: a value's register is free after its last use.
        let mut reg_of = vec![0u32; self.value_slots.len()];
        let mut free: Vec<u32> = Vec::new();
        let mut registers = 0u32;
        let mut outputs = Vec::new();
        let mut program = Vec::with_capacity(self.instrs.len());
        let to_reg = |o: Operand, reg_of: &[u32]| match o {
            Operand::Reg(v) => Operand::Reg(reg_of[v as usize]),
            other => other,
        };
        for (i, &(kernel, a, b, value)) in self.instrs.iter().enumerate() {
            let (a, b) = (to_reg(a, &reg_of), to_reg(b, &reg_of));
            let dst = free.pop().unwrap_or_else(|| {
                registers += 1;
                registers - 1
            });
            reg_of[value] = dst;
            let slot = self.value_slots[value];
            let store = escapes(slot).then(|| {
                outputs.push(slot);
                outputs.len() as u32 - 1
            });
            program.push(Instr {
                kernel,
                a,
                b,
                dst,
                store,
            });
            for o in [self.instrs[i].1, self.instrs[i].2] {
                if let Operand::Reg(v) = o {
                    let r = reg_of[v as usize];
                    if last_use[v as usize] == i && !free.contains(&r) {
                        free.push(r);
                    }
                }
            }
            if last_use[value] == usize::MAX {
                free.push(dst);
            }
        }
        let const_outputs = self
            .consts
            .into_iter()
            .filter(|(slot, _)| escapes(*slot))
            .collect();
        let Some(last) = self.members.last() else {
            return;
        };
        let step = Step {
            node: last.node,
            name: last.name.clone(),
            op: last.op.clone(),
            inputs: SmallVec::new(),
            outputs: SmallVec::new(),
            metas: SmallVec::new(),
            fused: None,
        };
        out.push(Step {
            fused: Some(Box::new(Fused {
                members: self.members,
                program,
                full_inputs: self.full_inputs,
                scalar_inputs: self.scalar_inputs,
                scalar_rank: self.scalar_rank,
                outputs,
                const_outputs,
                dead,
                registers: registers as usize,
                shape,
            })),
            ..step
        });
    }
}

/// Replaces runs of consecutive fusable steps by fused steps.
pub fn fuse(steps: Vec<Step>, facts: &PlanFacts<'_>) -> Vec<Step> {
    let mut out = Vec::with_capacity(steps.len());
    let mut group = Group::default();
    for step in steps {
        if group.admit(&step, facts) {
            group.members.push(step);
        } else {
            std::mem::take(&mut group).finish(facts, &mut out);
            out.push(step);
        }
    }
    group.finish(facts, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::super::{execute, SessionState};
    use super::*;
    use crate::grad::{densify, gradients, GradientOptions};
    use crate::graph::{Graph, Tensor};
    use crate::ops::{binary, reduce, source, unary};
    use crate::value::Value;

    fn grad(g: &Graph, y: Tensor, x: Tensor) -> Tensor {
        let loss = reduce::sum_all(g, y).unwrap();
        let d = gradients(g, &[loss], &[x], &GradientOptions::default()).unwrap();
        densify(g, d.into_iter().next().unwrap().unwrap()).unwrap()
    }

    /// Runs `fetches` with fusion on and off; asserts the results agree bit for bit (NaN for
    /// NaN) and
    /// returns them with the fused plan's step count.
    fn both(g: &Graph, fetches: &[Tensor], feeds: &[(Tensor, Value)]) -> (Vec<Value>, usize) {
        let fed: Vec<Tensor> = feeds.iter().map(|(t, _)| *t).collect();
        let data = g.read();
        let fused = super::super::plan::Plan::build_with(&data, fetches, &[], &fed, true).unwrap();
        let plain = super::super::plan::Plan::build_with(&data, fetches, &[], &fed, false).unwrap();
        assert_eq!(fused.op_count(), plain.steps.len());
        let state = SessionState::default();
        let feed = |i: usize| feeds.get(i).map(|(_, v)| v.clone());
        let a = execute(&fused, &feed, &state).unwrap();
        let b = execute(&plain, &feed, &state).unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.shape(), y.shape());
            let (Value::F32(x), Value::F32(y)) = (x, y) else {
                panic!("float32 fetches expected");
            };
            for (p, q) in x.iter().zip(y.iter()) {
                // A NaN's sign and payload depend on which NaN operand x86 propagates (the
                // first of a binary op), which operand order in a group can change; they
                // carry no value. Every other result must match bit for bit.
                if p.is_nan() && q.is_nan() {
                    continue;
                }
                assert_eq!(p.to_bits(), q.to_bits(), "fused {p} vs unfused {q}");
            }
        }
        // A second run reuses the plan's slots.
        let again = execute(&fused, &feed, &state).unwrap();
        assert_eq!(again[0].to_f64_vec().len(), a[0].to_f64_vec().len());
        (a, fused.steps.len())
    }

    fn values(n: usize) -> Vec<f32> {
        let mut v: Vec<f32> = (0..n)
            .map(|i| ((i * 7919) % 1000) as f32 / 150.0 - 3.3)
            .collect();
        let specials = [
            f32::NAN,
            f32::INFINITY,
            -f32::INFINITY,
            -0.0,
            0.0,
            1e30,
            -1e7,
            95.0,
        ];
        for (i, s) in specials.iter().enumerate() {
            if let Some(x) = v.get_mut(i * 37 % n.max(1)) {
                *x = *s;
            }
        }
        v
    }

    #[test]
    fn chain_gradient_fuses_and_matches_bitwise() {
        let g = Graph::new();
        let x = source::placeholder(&g, DType::F32, Shape::known(&[16]), None).unwrap();
        let mut y = x;
        for _ in 0..50 {
            let c = source::scalar_const(&g, DType::F32, 1.0001, None, None).unwrap();
            let d = source::scalar_const(&g, DType::F32, 0.1, None, None).unwrap();
            let yc = binary::mul(&g, y, c).unwrap();
            y = unary::tanh(&g, binary::add(&g, yc, d).unwrap()).unwrap();
        }
        let dx = grad(&g, y, x);
        let feed = Value::from_vec(&[16], values(16)).unwrap();
        let (out, steps) = both(&g, &[dx, y], &[(x, feed)]);
        // 50 * 7 ops: the forward and the backward chains each become one step.
        assert!(steps < 20, "{steps} steps after fusion");
        let dxs = out[0].to_f64_vec();
        assert!(dxs[12].is_finite() && dxs[12] > 0.0, "{}", dxs[12]);
    }

    #[test]
    fn workload_four_small_and_threaded_match_bitwise() {
        for n in [1000, 3 * PARALLEL_MIN + 5] {
            let g = Graph::new();
            let x = source::placeholder(&g, DType::F32, Shape::known(&[n]), None).unwrap();
            let sq = binary::mul(&g, unary::neg(&g, x).unwrap(), x).unwrap();
            let y =
                binary::mul(&g, unary::sin(&g, x).unwrap(), unary::exp(&g, sq).unwrap()).unwrap();
            let dx = grad(&g, y, x);
            let feed = Value::from_vec(&[n], values(n)).unwrap();
            let (out, _) = both(&g, &[dx, y], &[(x, feed)]);
            let v = out[0].to_f64_vec();
            let x1 = values(n)[1] as f64;
            let want = (x1.cos() - 2.0 * x1 * x1.sin()) * (-x1 * x1).exp();
            assert!((v[1] - want).abs() < 1e-5, "{} vs {want}", v[1]);
        }
    }

    #[test]
    fn every_fusable_op_and_gradient_matches_bitwise() {
        let g = Graph::new();
        let x = source::placeholder(&g, DType::F32, Shape::unknown_dims(1), None).unwrap();
        let two = source::scalar_const(&g, DType::F32, 2.0, None, None).unwrap();
        let mut terms = Vec::new();
        for f in [
            unary::sigmoid,
            unary::relu,
            unary::sqrt,
            unary::rsqrt,
            unary::reciprocal,
            unary::square,
            unary::abs,
            unary::log,
            unary::cos,
            unary::tanh,
        ] {
            let shifted = binary::add(&g, unary::square(&g, x).unwrap(), two).unwrap();
            terms.push(f(&g, shifted).unwrap());
        }
        let mut y = x;
        for t in terms {
            let q = binary::div(&g, t, binary::sub(&g, two, y).unwrap()).unwrap();
            y = binary::squared_difference(&g, y, q).unwrap();
        }
        let dx = grad(&g, y, x);
        let feed = Value::from_vec(&[300], values(300)).unwrap();
        both(&g, &[dx, y], &[(x, feed)]);
    }

    #[test]
    fn shapes_that_need_broadcasting_fall_back_to_the_steps() {
        let g = Graph::new();
        let unknown = Shape::unknown_dims(2);
        let a = source::placeholder(&g, DType::F32, unknown.clone(), None).unwrap();
        let b = source::placeholder(&g, DType::F32, unknown, None).unwrap();
        let ab = binary::mul(&g, a, b).unwrap();
        let y = binary::mul(&g, unary::tanh(&g, ab).unwrap(), unary::exp(&g, b).unwrap()).unwrap();
        let feeds = [
            (
                a,
                Value::from_vec(&[2, 3], vec![0.1f32, 0.2, 0.3, 0.4, 0.5, 0.6]).unwrap(),
            ),
            (
                b,
                Value::from_vec(&[1, 3], vec![0.5f32, -1.0, 2.0]).unwrap(),
            ),
        ];
        let (out, _) = both(&g, &[y], &feeds);
        assert_eq!(out[0].shape(), &[2, 3]);
        let got = out[0].to_f64_vec();
        let want = (-0.5f64).tanh() * (-1.0f64).exp();
        assert!((got[4] - want).abs() < 1e-6, "{} vs {want}", got[4]);
    }
}
