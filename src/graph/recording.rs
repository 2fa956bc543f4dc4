//! Recording the ops one builder adds inside a fresh name scope, and adding the same ops
//! again, under another fresh scope, for other given tensors.
//!
//! Most gradient rules build a subgraph that depends only on the static types of what they
//! are given: `Mul`'s rule builds the same seven ops for every `[16] * []` step of a chain.
//! Running such a rule again re-infers every output type, re-interns it, and searches the
//! name table for every name, about 4,000 instructions per op. A recording keeps what one
//! run built — each op's kind, where its inputs come from (a given tensor or an earlier
//! recorded op), its outputs' interned types, its name inside the scope, and the entries it
//! made in the name table with their use counts — and a replay appends exactly those ops
//! and names, as `add_op` would have made them, without deciding anything again.
//!
//! Only a builder that stays inside its scope can be recorded: no input, control input or
//! name from outside the given tensors and the scope, and no device, colocation,
//! control-dependency or gradient-override scope around it. A replay checks the same of the
//! scope it appends to, so a replayed subgraph is the one a run would have built.

use super::names::KeyAt;
use super::{GraphData, Node, NodeId, OutputTypes, Placement, Tensor};
use crate::error::{Error, Result};
use crate::ops::OpKind;
use smallvec::SmallVec;

/// Where a recorded op's input comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// The `i`th given tensor (for a control input: that tensor's op).
    Given(u32),
    /// Output `index` of the recording's op `op`, counted from its first.
    Built { op: u32, index: u32 },
}

#[derive(Debug)]
struct RecordedOp {
    kind: OpKind,
    inputs: SmallVec<[Source; 2]>,
    controls: SmallVec<[Source; 1]>,
    outputs: OutputTypes,
    /// Its name after the scope's prefix.
    name: Box<str>,
}

/// One name table entry the builder made.
#[derive(Debug)]
struct RecordedName {
    /// The recorded entry it lies under; `None` for the scope itself.
    parent: Option<u32>,
    /// Its folded component, and where the recorded entry stored it.
    key: Box<[u8]>,
    key_at: KeyAt,
    /// How many names were made under its parent before it.
    siblings: u32,
    count: u32,
    /// The recorded op bearing it.
    op: Option<u32>,
}

/// The ops and names one builder made in a fresh scope, in terms of the tensors it was given.
#[derive(Debug)]
pub(crate) struct Recording {
    ops: Vec<RecordedOp>,
    names: Vec<RecordedName>,
    /// One more than the highest given tensor the ops read.
    given_read: usize,
}

/// The graph as a builder about to be recorded found it.
#[derive(Debug)]
pub(crate) struct RecordingStart {
    nodes: NodeId,
    names: u32,
    case_variants: usize,
    scope: u32,
}

impl Recording {
    /// Where `t`, a tensor the recorded builder handed back, comes from; `None` when it is
    /// neither given nor built by it.
    pub(crate) fn source_of(
        start: &RecordingStart,
        given: &[Tensor],
        end: NodeId,
        t: Tensor,
    ) -> Option<Source> {
        if let Some(i) = given.iter().position(|g| *g == t) {
            return Some(Source::Given(i as u32));
        }
        (start.nodes..end).contains(&t.node).then(|| Source::Built {
            op: t.node - start.nodes,
            index: t.index,
        })
    }

    /// The tensor `source` stands for in a replay whose first op is `first`.
    pub(crate) fn tensor(
        graph: u32,
        given: &[Tensor],
        first: NodeId,
        source: Source,
    ) -> Option<Tensor> {
        match source {
            Source::Given(i) => given.get(i as usize).copied(),
            Source::Built { op, index } => Some(Tensor {
                graph,
                node: first.checked_add(op)?,
                index,
            }),
        }
    }
}

impl GraphData {
    /// The start of a recording of the ops built next in the current name scope, when they
    /// can be recorded: the scope has no names in it yet, and no other scope is set.
    pub(crate) fn recording_start(&self) -> Option<RecordingStart> {
        let here = self.scope.here();
        let scope = here.name_entry()?;
        let fresh = here.is_plain() && !self.finalized && self.scope.names.is_empty_scope(scope);
        fresh.then(|| RecordingStart {
            nodes: self.nodes.len() as NodeId,
            names: self.scope.names.entries(),
            case_variants: self.scope.names.case_variants(),
            scope,
        })
    }

    /// What was built since `start`, in terms of `given`; `None` when it reached outside the
    /// given tensors and its scope, or was placed by something other than its scope.
    pub(crate) fn record_since(
        &self,
        start: &RecordingStart,
        given: &[Tensor],
    ) -> Option<Recording> {
        let here = self.scope.here();
        let names = &self.scope.names;
        if here.name_entry() != Some(start.scope)
            || !here.is_plain()
            || names.case_variants() != start.case_variants
        {
            return None;
        }
        let prefix = here.name_stack();
        let end = self.nodes.len() as NodeId;
        let mut given_read = 0;
        let mut ops = Vec::with_capacity((end - start.nodes) as usize);
        for id in start.nodes..end {
            let node = self.node(id)?;
            if let Some(p) = node.placement.as_deref() {
                if !p.device.is_empty() || !p.colocation.is_empty() || p.gradient_op_type.is_some()
                {
                    return None;
                }
            }
            let mut source = |t: Tensor| {
                let s = Recording::source_of(start, given, end, t);
                if let Some(Source::Given(i)) = s {
                    given_read = given_read.max(i as usize + 1);
                }
                s
            };
            let inputs = node
                .inputs
                .iter()
                .map(|t| source(*t))
                .collect::<Option<SmallVec<_>>>()?;
            let controls = node
                .control_inputs()
                .iter()
                .map(|&c| match given.iter().position(|g| g.node == c) {
                    Some(i) => {
                        given_read = given_read.max(i + 1);
                        Some(Source::Given(i as u32))
                    }
                    None => (start.nodes..end).contains(&c).then(|| Source::Built {
                        op: c - start.nodes,
                        index: 0,
                    }),
                })
                .collect::<Option<SmallVec<_>>>()?;
            ops.push(RecordedOp {
                kind: node.op.clone(),
                inputs,
                controls,
                outputs: node.output_types.clone(),
                name: self.op_name(node).strip_prefix(prefix)?.into(),
            });
        }
        let mut recorded_names: Vec<RecordedName> = Vec::new();
        for id in start.names..names.entries() {
            let super::names::RecordedEntry {
                parent,
                key,
                key_at,
                count,
                op,
            } = names.recorded(id)?;
            let parent = if parent == start.scope {
                None
            } else if (start.names..id).contains(&parent) {
                Some(parent - start.names)
            } else {
                return None;
            };
            let op = match op {
                None => None,
                Some(op) if (start.nodes..end).contains(&op) => Some(op - start.nodes),
                Some(_) => return None,
            };
            let siblings = recorded_names.iter().filter(|n| n.parent == parent).count() as u32;
            recorded_names.push(RecordedName {
                parent,
                key: key.into(),
                key_at,
                siblings,
                count,
                op,
            });
        }
        Some(Recording {
            ops,
            names: recorded_names,
            given_read,
        })
    }

    /// Adds the recorded ops again in the current name scope, reading `given` where the
    /// recording read its given tensors; returns the id of the first. `Ok(None)`, with
    /// nothing added, when the current scope is not one a recording could start in (see
    /// `recording_start`).
    pub(crate) fn replay(&mut self, rec: &Recording, given: &[Tensor]) -> Result<Option<NodeId>> {
        let Some(start) = self.recording_start() else {
            return Ok(None);
        };
        let first = start.nodes;
        let room = NodeId::try_from(rec.ops.len())
            .ok()
            .and_then(|n| first.checked_add(n));
        if given.len() < rec.given_read
            || room.is_none()
            || given.iter().any(|t| self.meta_id(*t).is_none())
        {
            return Ok(None);
        }
        let mut name = std::mem::take(&mut self.name_scratch);
        name.clear();
        name.push_str(self.scope.here().name_stack());
        let prefix = name.len();
        let result = self.replay_ops(rec, given, first, &mut name, prefix);
        self.name_scratch = name;
        result?;
        let mut entries: SmallVec<[u32; 16]> = SmallVec::with_capacity(rec.names.len());
        for n in &rec.names {
            let parent = match n.parent {
                None => start.scope,
                Some(p) => entries.get(p as usize).copied().unwrap_or(start.scope),
            };
            let op = n.op.map(|k| first + k);
            entries.push(self.scope.names.add_recorded(
                parent,
                (&n.key, n.key_at),
                n.siblings,
                n.count,
                op,
            ));
        }
        self.version += rec.ops.len() as u64;
        Ok(Some(first))
    }

    fn replay_ops(
        &mut self,
        rec: &Recording,
        given: &[Tensor],
        first: NodeId,
        name: &mut String,
        prefix: usize,
    ) -> Result<()> {
        let graph = self.id;
        // Every given index was checked against `given_read`, every built one is earlier.
        let tensor = |s: Source| match s {
            Source::Given(i) => given[i as usize],
            Source::Built { op, index } => Tensor {
                graph,
                node: first + op,
                index,
            },
        };
        for (k, op) in rec.ops.iter().enumerate() {
            let id = first + k as NodeId;
            let mut inputs: SmallVec<[Tensor; 2]> = SmallVec::with_capacity(op.inputs.len());
            for s in &op.inputs {
                inputs.push(tensor(*s));
            }
            let controls: SmallVec<[NodeId; 2]> =
                op.controls.iter().map(|s| tensor(*s).node).collect();
            name.truncate(prefix);
            name.push_str(&op.name);
            let name_ref = self
                .nodes
                .store_name(name)
                .ok_or_else(|| Error::invalid("graph has too many op names"))?;
            for t in &inputs {
                self.nodes[t.node as usize].consumers.push((id, t.index));
            }
            let placement = (!controls.is_empty()).then(|| {
                Box::new(Placement {
                    control_inputs: controls,
                    ..Placement::default()
                })
            });
            self.nodes.push(Node {
                name: name_ref,
                op: op.kind.clone(),
                inputs,
                output_types: op.outputs.clone(),
                consumers: SmallVec::new(),
                placement,
            });
        }
        Ok(())
    }
}
