//! Plan-level fusion of elementwise float32 steps. The graph stays op for op what TF
//! builds; only the plan changes: a run of consecutive elementwise steps becomes one step
//! that evaluates a small register program block by block (`BLOCK` elements, so the
//! intermediates stay in L1), instead of one kernel call, one buffer and one slot move
//! per op. Every instruction applies the same per-element function, in the same order, as
//! the kernel of the op it stands for, so results are bit for bit those of the unfused
//! steps (up to the sign and payload of a NaN: the unfused in-place kernels may evaluate a
//! commutative op with its operands swapped, and x86 propagates the first NaN operand).
//!
//! Steps that only move or rename values join a group as aliases when the plan can prove
//! at build time that their kernel would return their input's elements unchanged:
//! `Identity`, `StopGradient`, a `Sum` over no axes, a `Reshape` to the same shape,
//! `ExpandDims`/`Squeeze` of one element, and `Fill`/`Tile`/`BroadcastTo` of one element
//! (a splat). `Const`s of any dtype join too (their values are known when the plan is
//! built), which is what lets the gradient's seed (`Fill` → `Reshape` → `Tile` of shape
//! constants) sit inside the chain it feeds instead of cutting it.
//!
//! Shapes are checked when the group runs: every full-size value in the group must have
//! one shape and every one-element operand must broadcast into it without raising the
//! rank. When that does not hold (broadcasting between full operands, shapes known only
//! at run time that disagree), the member steps run one by one as usual, so errors are
//! raised, and name the op, exactly as without fusion.
//!
//! `SYMGRAD_NO_FUSION=1` in the environment turns fusion off (for debugging and
//! comparisons).

use super::plan::Step;
use super::{KernelCtx, SessionState};
use crate::dtype::DType;
use crate::graph::TensorMeta;
use crate::ops::array::resolve_reshape;
use crate::ops::elementwise::{task_len, PARALLEL_MIN};
use crate::ops::vmath::{bulk, load, map_lanes, simd, store, F32Fn, BLOCK, LANES};
use crate::ops::{BinaryOp, OpKind, ReduceOp, UnaryOp};
use crate::pool;
use crate::shape::Shape;
use crate::value::Value;
use ndarray::{ArcArray, IxDyn};
use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use std::sync::Mutex;

/// Whether plans fuse elementwise steps (on unless `SYMGRAD_NO_FUSION` is set).
pub fn enabled() -> bool {
    std::env::var_os("SYMGRAD_NO_FUSION").is_none_or(|v| v.is_empty() || v == "0")
}

/// Outputs up to this many elements are proven aliases by running the op's own kernel on a
/// stand-in input when the plan is built; larger ones by the rules in `large_alias`.
const DRY_RUN_MAX: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Operand {
    /// A value computed earlier in the group, by its register.
    Reg(u32),
    /// A full-size input of the group, by its index in `full_inputs`.
    Full(u32),
    /// A full-size `Const` whose elements differ, by its index in `const_fulls`.
    ConstFull(u32),
    /// A one-element input of the group, by its index in `scalar_inputs`.
    Scalar(u32),
    /// A one-element value known when the plan is built.
    Imm(f32),
}

#[derive(Debug, Clone, Copy)]
enum Kernel {
    Fn(F32Fn),
    Unary(UnaryOp),
    Binary(BinaryOp),
    /// The operand unchanged: an alias that steps outside the group read.
    Copy,
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
    /// The group output this value also goes to (`NO_STORE`: none).
    store: u32,
}

const NO_STORE: u32 = u32::MAX;

/// One fused group of steps.
pub struct Fused {
    /// The member steps in plan order, run one by one when the fused program cannot be.
    pub members: Vec<Step>,
    program: Vec<Instr>,
    full_inputs: Vec<usize>,
    /// Full-size `Const`s whose elements differ.
    const_fulls: Vec<Value>,
    scalar_inputs: Vec<usize>,
    /// The highest rank of a one-element operand: the run-time shape must have at least it.
    scalar_rank: usize,
    /// The slots computed outputs go to, by output index.
    outputs: Vec<usize>,
    /// Values known when the plan was built (`Const` members and one-element aliases of
    /// them) that steps outside the group read.
    const_outputs: Vec<(usize, Value)>,
    /// Slots whose last read in the plan is in the group: emptied after it runs.
    dead: Vec<usize>,
    registers: usize,
    /// What the graph declares for every full-size value of the group, merged.
    shape: Shape,
    /// The register file of the last single-task run, kept for the next one.
    spare_registers: Mutex<Vec<f32>>,
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
        Kernel::Copy => match a {
            Src::Slice(x) => d.copy_from_slice(x),
            Src::Splat(x) => d.fill(x),
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
    consts: SmallVec<[&'a [f32]; 2]>,
    scalars: SmallVec<[f32; 8]>,
}

/// Elements `start..end` of the group, with a register file of `regs.len() / width`
/// registers of `width` elements; `outs[k]` holds output k's elements from `start` on.
struct Task<'a, 'b> {
    bound: &'a Bound<'b>,
    start: usize,
    end: usize,
    width: usize,
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

    /// The run-time shape of the group's full-size values and its inputs bound, when they
    /// fit the program.
    fn bind<'s>(&'s self, slots: &'s [Option<Value>]) -> Option<(SmallVec<[usize; 4]>, Bound<'s>)> {
        let mut shape: Option<&[usize]> = None;
        let mut bound = Bound {
            fulls: SmallVec::with_capacity(self.full_inputs.len()),
            consts: SmallVec::with_capacity(self.const_fulls.len()),
            scalars: SmallVec::with_capacity(self.scalar_inputs.len()),
        };
        let inputs = self.full_inputs.iter().map(|&s| (slots[s].as_ref(), false));
        for (value, constant) in inputs.chain(self.const_fulls.iter().map(|c| (Some(c), true))) {
            let Some(Value::F32(a)) = value else {
                return None;
            };
            match shape {
                None => shape = Some(a.shape()),
                Some(sh) if sh != a.shape() => return None,
                Some(_) => {}
            }
            let data = a.as_slice()?;
            if constant {
                bound.consts.push(data);
            } else {
                bound.fulls.push(data);
            }
        }
        let shape: SmallVec<[usize; 4]> = match shape {
            Some(shape) => SmallVec::from_slice(shape),
            // Every full-size value is a splat: the declared shape is the shape.
            None => self.shape.to_vec()?.into_iter().collect(),
        };
        let declared = self.shape.dims().map(|d| {
            d.len() == shape.len() && d.iter().zip(&shape).all(|(d, &n)| d.is_none_or(|d| d == n))
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
        Some((shape, bound))
    }

    /// The output buffers and their shape, reading the inputs in place.
    #[allow(clippy::type_complexity)]
    fn compute(&self, slots: &[Option<Value>]) -> Option<(SmallVec<[usize; 4]>, Vec<Vec<f32>>)> {
        let (shape, bound) = self.bind(slots)?;
        let n = shape.iter().product::<usize>();
        let mut outs: Vec<Vec<f32>> = (0..self.outputs.len()).map(|_| vec![0f32; n]).collect();
        if n >= PARALLEL_MIN {
            self.run_parallel(n, &bound, &mut outs);
        } else {
            let width = BLOCK.min(n);
            let mut regs = self
                .spare_registers
                .lock()
                .map(|mut r| std::mem::take(&mut *r))
                .unwrap_or_default();
            regs.resize(self.registers * width, 0.0);
            let mut all: SmallVec<[&mut [f32]; 4]> = outs.iter_mut().map(|o| &mut o[..]).collect();
            let task = Task {
                bound: &bound,
                start: 0,
                end: n,
                width,
            };
            self.run_range(&task, &mut regs, &mut all);
            if let Ok(mut spare) = self.spare_registers.lock() {
                *spare = regs;
            }
        }
        Some((shape, outs))
    }

    /// The one place a group is split over threads: tasks of whole blocks, each with its own
    /// registers and its piece of every output.
    fn run_parallel(&self, n: usize, bound: &Bound<'_>, outs: &mut [Vec<f32>]) {
        let len = task_len(n).div_ceil(BLOCK) * BLOCK;
        let mut pieces: Vec<Vec<&mut [f32]>> = (0..n.div_ceil(len))
            .map(|_| Vec::with_capacity(outs.len()))
            .collect();
        for out in outs.iter_mut() {
            for (task, piece) in out.chunks_mut(len).enumerate() {
                pieces[task].push(piece);
            }
        }
        pool::for_each_item(pieces, |task, mut piece| {
            let start = task * len;
            let mut regs = vec![0f32; self.registers * BLOCK];
            let task = Task {
                bound,
                start,
                end: (start + len).min(n),
                width: BLOCK,
            };
            self.run_range(&task, &mut regs, &mut piece);
        });
    }

    fn run_range(&self, task: &Task<'_, '_>, regs: &mut [f32], outs: &mut [&mut [f32]]) {
        simd(
            #[inline(always)]
            || {
                let mut at = task.start;
                while at < task.end {
                    let len = task.width.min(task.end - at);
                    self.run_block(task, at, len, regs, outs);
                    at += len;
                }
            },
        )
    }

    #[inline(always)]
    fn run_block(
        &self,
        task: &Task<'_, '_>,
        at: usize,
        len: usize,
        regs: &mut [f32],
        outs: &mut [&mut [f32]],
    ) {
        let w = task.width;
        let out_at = at - task.start;
        for ins in &self.program {
            // The destination never is an operand of its own instruction (`Group::finish`),
            // so the register file splits into the destination and the rest.
            let d0 = ins.dst as usize * w;
            let (below, rest) = regs.split_at_mut(d0);
            let (dst, above) = rest.split_at_mut(w);
            let src = |o: Operand| match o {
                Operand::Reg(r) => {
                    let r = r as usize * w;
                    if r < d0 {
                        Src::Slice(&below[r..r + len])
                    } else {
                        let r = r - d0 - w;
                        Src::Slice(&above[r..r + len])
                    }
                }
                Operand::Full(i) => Src::Slice(&task.bound.fulls[i as usize][at..at + len]),
                Operand::ConstFull(i) => Src::Slice(&task.bound.consts[i as usize][at..at + len]),
                Operand::Scalar(i) => Src::Splat(task.bound.scalars[i as usize]),
                Operand::Imm(v) => Src::Splat(v),
            };
            let dst = &mut dst[..len];
            apply(ins.kernel, src(ins.a), src(ins.b), dst);
            if let Some(out) = outs.get_mut(ins.store as usize) {
                out[out_at..out_at + len].copy_from_slice(dst);
            }
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

/// What a group knows about one value.
#[derive(Debug, Clone, Copy)]
struct Val {
    op: Operand,
    /// The value has the group's full shape; otherwise it has one element.
    full: bool,
    /// The rank of a one-element value (broadcasting it must not raise the group's rank).
    rank: usize,
}

/// A group being collected.
#[derive(Default)]
struct Group {
    members: Vec<Step>,
    /// Per instruction: kernel and operands as value ids (`Operand::Reg` holds a value id
    /// until registers are assigned), and the value it defines.
    instrs: Vec<(Kernel, Operand, Operand, usize)>,
    /// slot -> value, for values produced in the group (computed, aliased or constant).
    produced: FxHashMap<usize, Val>,
    /// slot -> value, for the group's inputs.
    externals: FxHashMap<usize, Val>,
    full_inputs: Vec<usize>,
    const_fulls: Vec<Value>,
    scalar_inputs: Vec<usize>,
    scalar_rank: usize,
    /// Slot of each computed value, by value id (`usize::MAX` for a group-internal one).
    value_slots: Vec<usize>,
    /// `Const` members' values, by slot.
    consts: FxHashMap<usize, Value>,
    /// The declared shapes of the full-size values, merged.
    shape: Shape,
}

fn is_scalar_f32(meta: &TensorMeta) -> bool {
    meta.dtype == DType::F32 && meta.shape.num_elements() == Some(1)
}

/// A new input of a step being admitted: its slot and whether it is one-element.
type NewInput = (usize, bool);

impl Group {
    /// What the group knows about the value in `slot`, with a provisional operand when the
    /// slot would be a new input (`new` collects them; committed by `commit`).
    fn resolve(
        &self,
        slot: usize,
        facts: &PlanFacts<'_>,
        plan_consts: &FxHashMap<usize, Value>,
        new: &mut SmallVec<[NewInput; 2]>,
    ) -> Option<Val> {
        if let Some(&v) = self
            .produced
            .get(&slot)
            .or_else(|| self.externals.get(&slot))
        {
            return Some(v);
        }
        if let Some(Value::F32(a)) = plan_consts.get(&slot) {
            if a.len() == 1 {
                return Some(Val {
                    op: Operand::Imm(*a.first()?),
                    full: false,
                    rank: a.ndim(),
                });
            }
        }
        let meta = facts.metas.get(slot)?.as_ref()?;
        if meta.dtype != DType::F32 {
            return None;
        }
        let scalar = is_scalar_f32(meta);
        let (op, rank) = if scalar {
            let i =
                self.scalar_inputs.len() + new.iter().filter(|(s, one)| *one && *s != slot).count();
            (Operand::Scalar(i as u32), meta.shape.rank().unwrap_or(0))
        } else {
            let i =
                self.full_inputs.len() + new.iter().filter(|(s, one)| !*one && *s != slot).count();
            (Operand::Full(i as u32), 0)
        };
        if !new.iter().any(|(s, _)| *s == slot) {
            new.push((slot, scalar));
        }
        Some(Val {
            op,
            full: !scalar,
            rank,
        })
    }

    /// Makes the new inputs of an admitted step the group's.
    fn commit(&mut self, new: SmallVec<[NewInput; 2]>, facts: &PlanFacts<'_>) {
        for (slot, scalar) in new {
            let meta = facts.metas.get(slot).and_then(|m| m.as_ref());
            let val = if scalar {
                self.scalar_inputs.push(slot);
                Val {
                    op: Operand::Scalar(self.scalar_inputs.len() as u32 - 1),
                    full: false,
                    rank: meta.and_then(|m| m.shape.rank()).unwrap_or(0),
                }
            } else {
                self.full_inputs.push(slot);
                Val {
                    op: Operand::Full(self.full_inputs.len() as u32 - 1),
                    full: true,
                    rank: 0,
                }
            };
            self.externals.insert(slot, val);
        }
    }

    /// Merges a full-size value's declared shape into the group's; `false` when they
    /// contradict.
    fn merge_shape(&mut self, shape: &Shape) -> bool {
        match self.shape.merge(shape) {
            Ok(s) => {
                self.shape = s;
                true
            }
            Err(_) => false,
        }
    }

    /// Takes in the bookkeeping for `step` if it fits (the caller then adds it to
    /// `members`); `false`, with nothing changed, otherwise.
    fn admit(
        &mut self,
        step: &Step,
        facts: &PlanFacts<'_>,
        plan_consts: &FxHashMap<usize, Value>,
    ) -> bool {
        let (out_slot, meta) = match (&step.outputs[..], step.metas.first()) {
            ([Some(slot)], Some(meta)) if step.fused.is_none() => (*slot, meta),
            _ => return false,
        };
        if let OpKind::Const { value } = &step.op {
            return step.inputs.is_empty() && self.admit_const(out_slot, value);
        }
        if meta.dtype != DType::F32 {
            return false;
        }
        let data_inputs = match &step.op {
            OpKind::Fill => 1..2,
            OpKind::AddN | OpKind::Unary(_) | OpKind::Binary(_) => 0..step.inputs.len(),
            OpKind::Identity
            | OpKind::StopGradient
            | OpKind::Reshape
            | OpKind::ExpandDims
            | OpKind::Squeeze { .. }
            | OpKind::Tile
            | OpKind::BroadcastTo
            | OpKind::Reduce {
                op: ReduceOp::Sum, ..
            } => 0..1,
            _ => return false,
        };
        let mut new = SmallVec::new();
        let mut vals: SmallVec<[Val; 3]> = SmallVec::new();
        for read in &step.inputs[data_inputs.clone()] {
            match self.resolve(read.slot, facts, plan_consts, &mut new) {
                Some(v) => vals.push(v),
                None => return false,
            }
        }
        let val = if let Some((kernel, arity)) = Kernel::of(&step.op) {
            if vals.len() != arity || !vals.iter().any(|v| v.full) || !self.merge_shape(&meta.shape)
            {
                return false;
            }
            for v in vals.iter().filter(|v| !v.full) {
                self.scalar_rank = self.scalar_rank.max(v.rank);
            }
            let b = vals.get(1).map_or(Operand::Imm(0.0), |v| v.op);
            self.compute_val(kernel, vals[0].op, b, out_slot)
        } else if matches!(step.op, OpKind::AddN) {
            // The kernel requires one shape and adds left to right.
            if vals.is_empty() || !vals.iter().all(|v| v.full) || !self.merge_shape(&meta.shape) {
                return false;
            }
            let mut acc = vals[0];
            for (i, v) in vals.iter().enumerate().skip(1) {
                let slot = if i + 1 == vals.len() {
                    out_slot
                } else {
                    usize::MAX
                };
                acc = self.compute_val(Kernel::Binary(BinaryOp::AddV2), acc.op, v.op, slot);
            }
            acc
        } else {
            let [x] = vals[..] else {
                return false;
            };
            let args: Option<SmallVec<[&Value; 2]>> = step
                .inputs
                .iter()
                .enumerate()
                .filter(|(i, _)| !data_inputs.contains(i))
                .map(|(_, r)| {
                    self.consts
                        .get(&r.slot)
                        .or_else(|| plan_consts.get(&r.slot))
                })
                .collect();
            let in_meta = step
                .inputs
                .get(data_inputs.start)
                .and_then(|r| facts.metas.get(r.slot)?.as_ref());
            match (args, in_meta) {
                (Some(args), Some(in_meta)) => match alias(step, x, &in_meta.shape, &args, meta) {
                    Some(v) => v,
                    None => return false,
                },
                _ => return false,
            }
        };
        if val.full && !self.merge_shape(&meta.shape) {
            return false;
        }
        self.commit(new, facts);
        self.produced.insert(out_slot, val);
        true
    }

    /// Records an instruction computing a full-size value into `slot`.
    fn compute_val(&mut self, kernel: Kernel, a: Operand, b: Operand, slot: usize) -> Val {
        let value = self.value_slots.len();
        self.value_slots.push(slot);
        self.instrs.push((kernel, a, b, value));
        Val {
            op: Operand::Reg(value as u32),
            full: true,
            rank: 0,
        }
    }

    fn admit_const(&mut self, slot: usize, value: &Value) -> bool {
        let val = match value {
            Value::F32(a) => {
                let Some(&first) = a.first() else {
                    return false;
                };
                if a.len() == 1 {
                    Val {
                        op: Operand::Imm(first),
                        full: false,
                        rank: a.ndim(),
                    }
                } else {
                    if a.as_slice().is_none() || !self.merge_shape(&Shape::known(a.shape())) {
                        return false;
                    }
                    if a.iter().all(|x| x.to_bits() == first.to_bits()) {
                        Val {
                            op: Operand::Imm(first),
                            full: true,
                            rank: 0,
                        }
                    } else {
                        self.const_fulls.push(value.clone());
                        Val {
                            op: Operand::ConstFull(self.const_fulls.len() as u32 - 1),
                            full: true,
                            rank: 0,
                        }
                    }
                }
            }
            // Shapes, axes and multiples: known to the alias rules, never computed on.
            _ => {
                self.consts.insert(slot, value.clone());
                return true;
            }
        };
        self.consts.insert(slot, value.clone());
        self.produced.insert(slot, val);
        true
    }
}

/// The value an identity-like step outputs when the plan can prove that its kernel returns
/// `x`'s elements unchanged (`args`: its other inputs, all known); `None` otherwise.
fn alias(step: &Step, x: Val, in_shape: &Shape, args: &[&Value], out: &TensorMeta) -> Option<Val> {
    match &step.op {
        OpKind::Identity | OpKind::StopGradient => return Some(x),
        // Over no axes the kernel copies its input whatever its shape; over others it
        // would add to zero, which is not the identity for -0.0.
        OpKind::Reduce {
            op: ReduceOp::Sum, ..
        } => {
            let [axes] = args else {
                return None;
            };
            let int = matches!(axes.dtype(), DType::I32 | DType::I64);
            return (int && axes.is_empty() && axes.shape().len() <= 1).then_some(x);
        }
        // The dry run below proves shapes, not values: only ops that move elements unchanged
        // may go on to it.
        OpKind::Reshape
        | OpKind::ExpandDims
        | OpKind::Squeeze { .. }
        | OpKind::Tile
        | OpKind::BroadcastTo
        | OpKind::Fill => {}
        _ => return None,
    }
    let out_dims = out.shape.to_vec()?;
    let n_out: usize = out_dims.iter().product();
    let in_dims: Vec<usize> = if x.full {
        in_shape.to_vec()?
    } else {
        vec![1; x.rank]
    };
    let n_in: usize = in_dims.iter().product();
    if n_out == 0 {
        return None;
    }
    let proven = if n_out.max(n_in) <= DRY_RUN_MAX {
        dry_run(step, &in_dims, args).is_some_and(|shape| shape == out_dims)
    } else {
        large_alias(step, x, &in_dims, args, &out_dims)
    };
    if !proven {
        return None;
    }
    match (x.full, n_out == 1) {
        (false, true) => Some(Val {
            rank: out_dims.len(),
            ..x
        }),
        (false, false) => Some(Val {
            full: true,
            rank: 0,
            ..x
        }),
        (true, _) => (in_dims == out_dims).then_some(x),
    }
}

/// The shape `step`'s own kernel gives for a stand-in of `in_dims` as its data input and
/// `args` as the others; `None` when the kernel rejects them.
fn dry_run(step: &Step, in_dims: &[usize], args: &[&Value]) -> Option<Vec<usize>> {
    let stand_in = Value::zeros(DType::F32, in_dims);
    let mut args = args.iter().map(|&a| a.clone());
    let inputs: SmallVec<[Value; 3]> = match step.op {
        OpKind::Fill => args.chain(std::iter::once(stand_in)).collect(),
        _ => std::iter::once(stand_in).chain(args.by_ref()).collect(),
    };
    let state = SessionState::default();
    let ctx = KernelCtx {
        name: &step.name,
        node: step.node,
        state: &state,
        metas: &step.metas,
    };
    match step.op.compute(&ctx, &inputs).ok()?.as_slice() {
        [out] => Some(out.shape().to_vec()),
        _ => None,
    }
}

/// `alias`'s proof for outputs too large to dry-run: splats of one element, and reshapes
/// to the same shape.
fn large_alias(step: &Step, x: Val, in_dims: &[usize], args: &[&Value], out: &[usize]) -> bool {
    let dims = |v: &Value| v.to_dims().ok().filter(|d| d == out).is_some();
    match (&step.op, args) {
        (OpKind::Tile, [mult]) if !x.full => mult.to_i64_vec().is_ok_and(|m| {
            m.len() == in_dims.len() && m.iter().zip(out).all(|(&m, &d)| m >= 0 && m as usize == d)
        }),
        (OpKind::BroadcastTo, [shape]) if !x.full => in_dims.len() <= out.len() && dims(shape),
        (OpKind::Fill, [shape]) => in_dims.is_empty() && dims(shape),
        (OpKind::Reshape, [shape]) if x.full => {
            let n = in_dims.iter().product();
            in_dims == out
                && shape
                    .to_i64_vec()
                    .is_ok_and(|req| resolve_reshape(n, &req).is_ok_and(|d| d == out))
        }
        _ => false,
    }
}

impl Group {
    /// The steps this group turns into: one fused step, or its members unchanged when
    /// fusing would not pay or an output cannot be given.
    fn finish(mut self, facts: &PlanFacts<'_>, out: &mut Vec<Step>) {
        if self.instrs.len() < 2 {
            out.extend(self.members);
            return;
        }
        // Reads of each produced slot inside the group; slots whose last read is here.
        let mut inner_reads: FxHashMap<usize, u32> = FxHashMap::default();
        let mut dead = Vec::new();
        for step in &self.members {
            for read in &step.inputs {
                if self.produced.contains_key(&read.slot) || self.consts.contains_key(&read.slot) {
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
        // Values steps outside read: stored by the instruction that computes them, copied
        // when they are aliases, or known already.
        let mut const_outputs = Vec::new();
        let escaping: Vec<(usize, Shape)> = self
            .members
            .iter()
            .filter_map(|step| match (step.outputs.first(), step.metas.first()) {
                (Some(&Some(slot)), Some(meta)) if escapes(slot) => {
                    Some((slot, meta.shape.clone()))
                }
                _ => None,
            })
            .collect();
        for (slot, shape) in escaping {
            if let Some(value) = self.consts.get(&slot) {
                const_outputs.push((slot, value.clone()));
                continue;
            }
            let Some(val) = self.produced.get(&slot).copied() else {
                continue;
            };
            match val.op {
                Operand::Reg(v) if self.value_slots.get(v as usize) == Some(&slot) => {}
                op if val.full => {
                    self.compute_val(Kernel::Copy, op, Operand::Imm(0.0), slot);
                }
                Operand::Imm(v) => match shape.to_vec() {
                    Some(dims) => {
                        const_outputs.push((slot, Value::F32(ArcArray::from_elem(IxDyn(&dims), v))))
                    }
                    None => {
                        out.extend(self.members);
                        return;
                    }
                },
                _ => {
                    out.extend(self.members);
                    return;
                }
            }
        }
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
        let mut is_free: Vec<bool> = Vec::new();
        let mut outputs = Vec::new();
        let mut program = Vec::with_capacity(self.instrs.len());
        let to_reg = |o: Operand, reg_of: &[u32]| match o {
            Operand::Reg(v) => Operand::Reg(reg_of[v as usize]),
            other => other,
        };
        for (i, &(kernel, a, b, value)) in self.instrs.iter().enumerate() {
            let (a, b) = (to_reg(a, &reg_of), to_reg(b, &reg_of));
            let dst = match free.pop() {
                Some(r) => {
                    is_free[r as usize] = false;
                    r
                }
                None => {
                    is_free.push(false);
                    is_free.len() as u32 - 1
                }
            };
            if a == Operand::Reg(dst) || b == Operand::Reg(dst) {
                // Cannot happen (operands are live, so not free); `run_block` relies on it.
                out.extend(self.members);
                return;
            }
            reg_of[value] = dst;
            let slot = self.value_slots[value];
            let store = if slot != usize::MAX && escapes(slot) {
                outputs.push(slot);
                outputs.len() as u32 - 1
            } else {
                NO_STORE
            };
            program.push(Instr {
                kernel,
                a,
                b,
                dst,
                store,
            });
            let (_, a, b, _) = self.instrs[i];
            for o in [a, b] {
                if let Operand::Reg(v) = o {
                    let r = reg_of[v as usize];
                    if last_use[v as usize] == i && !is_free[r as usize] {
                        is_free[r as usize] = true;
                        free.push(r);
                    }
                }
            }
            if last_use[value] == usize::MAX {
                is_free[dst as usize] = true;
                free.push(dst);
            }
        }
        let Some(last) = self.members.last() else {
            return;
        };
        let step = Step {
            node: last.node,
            name: last.name.clone(),
            op: OpKind::NoOp,
            inputs: SmallVec::new(),
            outputs: SmallVec::new(),
            metas: SmallVec::new(),
            fused: None,
            loop_plans: None,
        };
        out.push(Step {
            fused: Some(Box::new(Fused {
                members: self.members,
                program,
                full_inputs: self.full_inputs,
                const_fulls: self.const_fulls,
                scalar_inputs: self.scalar_inputs,
                scalar_rank: self.scalar_rank,
                outputs,
                const_outputs,
                dead,
                registers: is_free.len(),
                shape: self.shape,
                spare_registers: Mutex::new(Vec::new()),
            })),
            ..step
        });
    }
}

/// Replaces runs of consecutive fusable steps by fused steps.
pub fn fuse(steps: Vec<Step>, facts: &PlanFacts<'_>) -> Vec<Step> {
    let mut out = Vec::with_capacity(steps.len());
    let mut group = Group::default();
    // Every `Const` of the plan by slot: immutable, so later groups may use their values.
    let mut plan_consts: FxHashMap<usize, Value> = FxHashMap::default();
    for step in steps {
        if let (OpKind::Const { value }, [Some(slot)]) = (&step.op, &step.outputs[..]) {
            plan_consts.insert(*slot, Value::clone(value));
        }
        if group.admit(&step, facts, &plan_consts) {
            group.members.push(step);
        } else {
            std::mem::take(&mut group).finish(facts, &mut out);
            // The step may start the next group.
            if group.admit(&step, facts, &plan_consts) {
                group.members.push(step);
            } else {
                out.push(step);
            }
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
    use crate::ops::{array, binary, control, reduce, source, unary};
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
        // 50 * 7 ops and the gradient's seed (`Fill`, `Reshape`, `Tile` of constants): one
        // step (the loss is not needed: its gradient does not read it).
        assert_eq!(steps, 1, "{steps} steps after fusion");
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
            // The gradient alone is one pass (a `Tile` of one element above the dry-run
            // limit here becomes a splat); with `y` fetched too, `y`'s loss joins the plan.
            let (_, steps) = both(&g, &[dx], &[(x, feed.clone())]);
            assert_eq!(steps, 1, "n = {n}");
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

    fn ints(g: &Graph, xs: &[i64]) -> Tensor {
        source::const_ints(g, xs).unwrap()
    }

    fn f32_const(g: &Graph, shape: &[usize], xs: Vec<f32>) -> Tensor {
        source::const_value(g, Value::from_vec(shape, xs).unwrap(), None).unwrap()
    }

    /// Every identity-like step and kind of constant inside one group, some of them read
    /// outside it (fetched), on a static shape and on one known only at run time.
    #[test]
    fn aliases_and_constants_join_the_group_and_match_bitwise() {
        for static_shape in [true, false] {
            let g = Graph::new();
            let shape = if static_shape {
                Shape::known(&[8])
            } else {
                Shape::unknown_dims(1)
            };
            let x = source::placeholder(&g, DType::F32, shape, None).unwrap();
            let varied = f32_const(&g, &[8], values(8));
            let equal = f32_const(&g, &[8], vec![-0.0; 8]);
            let half = source::scalar_const(&g, DType::F32, 0.5, None, None).unwrap();
            let one_elem = f32_const(&g, &[1], vec![3.0]);
            let a = binary::mul(&g, x, varied).unwrap();
            let b = array::identity(&g, binary::add(&g, a, equal).unwrap()).unwrap();
            let c = array::stop_gradient(&g, unary::tanh(&g, b).unwrap()).unwrap();
            let d = reduce::sum(&g, c, &[], false).unwrap();
            let e = array::reshape(&g, d, &[-1]).unwrap();
            let f = array::fill(&g, ints(&g, &[8]), half).unwrap();
            let t = array::tile(&g, one_elem, ints(&g, &[8])).unwrap();
            let bt = array::broadcast_to(&g, half, ints(&g, &[8])).unwrap();
            let s = array::squeeze(&g, array::expand_dims(&g, half, 0).unwrap(), &[]).unwrap();
            let sum = control::add_n(&g, &[e, f, t, bt]).unwrap();
            let y = binary::mul(&g, sum, s).unwrap();
            let y = binary::sub(&g, y, array::reshape(&g, one_elem, &[]).unwrap()).unwrap();
            let feed = Value::from_vec(&[8], values(8)).unwrap();
            let (out, steps) = both(&g, &[y], &[(x, feed.clone())]);
            assert_eq!(steps, 1, "static shape: {static_shape}");
            let xs = values(8);
            let vs = values(8);
            let want = (((xs[3] * vs[3] + -0.0).tanh() + 0.5 + 3.0 + 0.5) * 0.5 - 3.0) as f64;
            assert!((out[0].to_f64_vec()[3] - want).abs() < 1e-6);
            // Read outside the group: an alias of a computed value, an alias of the input, a
            // splat, and constants of both kinds.
            let fetches = [y, b, array::identity(&g, x).unwrap(), t, f, e, varied, s];
            let (out, steps) = both(&g, &fetches, &[(x, feed)]);
            assert!(steps <= 3, "{steps} steps");
            assert_eq!(out[3].to_f64_vec(), vec![3.0; 8]);
            assert_eq!(out[7].shape(), &[] as &[usize]);
        }
    }

    /// A shape that only the run reveals to disagree: the group falls back to its steps,
    /// which raise the error an unfused plan raises, naming the same op.
    #[test]
    fn a_shape_mismatch_at_run_time_raises_the_unfused_error() {
        let g = Graph::new();
        let x = source::placeholder(&g, DType::F32, Shape::unknown_dims(1), None).unwrap();
        let varied = f32_const(&g, &[8], values(8));
        let a = binary::mul(&g, unary::exp(&g, x).unwrap(), varied).unwrap();
        let y = unary::sin(&g, array::identity(&g, a).unwrap()).unwrap();
        let fed = [x];
        let data = g.read();
        let state = SessionState::default();
        let mut errors = Vec::new();
        for fuse in [true, false] {
            let plan = super::super::plan::Plan::build_with(&data, &[y], &[], &fed, fuse).unwrap();
            assert_eq!(plan.steps.len() == 1, fuse);
            let good = Value::from_vec(&[8], values(8)).unwrap();
            assert!(execute(&plan, &|_| Some(good.clone()), &state).is_ok());
            let bad = Value::from_vec(&[5], values(5)).unwrap();
            match execute(&plan, &|_| Some(bad.clone()), &state) {
                Err(e) => errors.push(e.to_string()),
                Ok(_) => panic!("a [5] by [8] product must fail"),
            }
        }
        assert_eq!(errors[0], errors[1]);
        assert!(errors[0].contains("node Mul"), "{}", errors[0]);
    }

    /// An elementwise op without a fused kernel (`Erf`) between fusable ones cuts the group:
    /// it runs as its own step, on the values the first group stored.
    #[test]
    fn an_unfusable_elementwise_op_cuts_the_group() {
        let g = Graph::new();
        let x = source::placeholder(&g, DType::F32, Shape::known(&[3, 4]), None).unwrap();
        let half = source::scalar_const(&g, DType::F32, 0.5, None, None).unwrap();
        let a = binary::mul(&g, half, x).unwrap();
        let b = binary::mul(&g, x, half).unwrap();
        let e = unary::erf(&g, b).unwrap();
        let y = binary::mul(&g, a, binary::add(&g, half, e).unwrap()).unwrap();
        let feed = Value::from_vec(&[3, 4], values(12)).unwrap();
        let (out, steps) = both(&g, &[y, e], &[(x, feed)]);
        assert_eq!(steps, 3);
        let x8 = values(12)[8] as f64;
        let erf = out[1].to_f64_vec()[8];
        // erf(-0.476667) = -0.499758 (its input would be -0.476667).
        assert!((x8 + 0.953_333).abs() < 1e-5, "{x8}");
        assert!((erf + 0.499_758).abs() < 1e-5, "{erf}");
    }
}
