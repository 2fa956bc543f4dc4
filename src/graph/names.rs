//! Op and scope names: TF's `_names_in_use` and `_nodes_by_name` kept in one table.
//!
//! TF compares names without case when it makes them unique but looks ops up by their
//! exact name. One table keyed by the case-folded name serves both: each entry counts how
//! often the name was handed out and records the op bearing it, so naming an op costs one
//! key allocation and two hash probes, and the graph keeps no second name map.

use super::{NodeId, NodeStore};
use crate::error::{Error, Result};
use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::fmt::Write;
use std::hash::BuildHasher;

const NO_OP: NodeId = NodeId::MAX;

#[derive(Debug)]
struct NameUse {
    /// The folded name's hash, kept so growing the table never reads the keys again.
    hash: u64,
    folded: Box<str>,
    /// How many times `unique_name` handed this (folded) name out.
    count: u32,
    /// The op named exactly so, or `NO_OP` for a scope or a reserved name.
    op: NodeId,
}

#[derive(Debug, Default)]
pub struct NameTable {
    entries: HashTable<NameUse>,
    /// Ops whose exact name differs only in case from the op recorded in `entries`; TF
    /// allows them when the names are given exactly.
    case_variants: FxHashMap<Box<str>, NodeId>,
    /// Scratch for the folded form of the name being looked up.
    folded: String,
}

/// Python's `str.lower()`, into a reused buffer.
fn fold_into(name: &str, out: &mut String) {
    out.clear();
    if name.is_ascii() {
        out.push_str(name);
        out.make_ascii_lowercase();
    } else {
        out.push_str(&name.to_lowercase());
    }
}

fn hash(folded: &str) -> u64 {
    FxBuildHasher.hash_one(folded)
}

impl NameTable {
    fn get(&self, folded: &str) -> Option<&NameUse> {
        self.entries.find(hash(folded), |u| &*u.folded == folded)
    }

    /// Sets a name's use count, and its op unless `op` is `NO_OP`.
    fn record(&mut self, folded: &str, count: u32, op: NodeId) {
        let h = hash(folded);
        match self.entries.entry(h, |u| &*u.folded == folded, |u| u.hash) {
            hashbrown::hash_table::Entry::Occupied(mut e) => {
                let u = e.get_mut();
                u.count = count;
                if op != NO_OP {
                    u.op = op;
                }
            }
            hashbrown::hash_table::Entry::Vacant(e) => {
                e.insert(NameUse {
                    hash: h,
                    folded: folded.into(),
                    count,
                    op,
                });
            }
        }
    }

    /// TF's `Graph.unique_name` for an already scope-prefixed `name`: the name itself when
    /// unused, else `name_1`, `name_2`, ... (case-insensitively unused).
    pub fn unique(&mut self, name: String, mark_as_used: bool) -> String {
        self.unique_for(name, mark_as_used, NO_OP)
    }

    /// Names a new op `id`: `unique(name)`, recorded as that op's name. A name `unique`
    /// hands out was unused, so no other op can bear it.
    pub fn name_op(&mut self, name: String, id: NodeId) -> String {
        self.unique_for(name, true, id)
    }

    fn unique_for(&mut self, name: String, mark_as_used: bool, op: NodeId) -> String {
        let mut folded = std::mem::take(&mut self.folded);
        fold_into(&name, &mut folded);
        // One probe finds the name's use count and, for a fresh name (the usual case),
        // the place to record it.
        let h = hash(&folded);
        let i = match self.entries.entry(h, |u| *u.folded == *folded, |u| u.hash) {
            hashbrown::hash_table::Entry::Occupied(mut e) => {
                let u = e.get_mut();
                let i = u.count;
                if mark_as_used {
                    u.count = i + 1;
                }
                i
            }
            hashbrown::hash_table::Entry::Vacant(v) => {
                if mark_as_used {
                    v.insert(NameUse {
                        hash: h,
                        folded: folded.as_str().into(),
                        count: 1,
                        op,
                    });
                }
                0
            }
        };
        if i == 0 {
            self.folded = folded;
            return name;
        }
        let mut i = i;
        let base_len = folded.len();
        loop {
            folded.truncate(base_len);
            let _ = write!(folded, "_{i}");
            if self.get(&folded).is_none() {
                break;
            }
            i += 1;
        }
        if mark_as_used {
            self.record(&folded, 1, op);
        }
        self.folded = folded;
        let mut out = name;
        let _ = write!(out, "_{i}");
        out
    }

    /// The op named exactly `name`.
    pub fn op(&self, name: &str, nodes: &NodeStore) -> Option<NodeId> {
        let mut folded = String::with_capacity(name.len());
        fold_into(name, &mut folded);
        self.op_folded(&folded, name, nodes)
    }

    fn op_folded(&self, folded: &str, name: &str, nodes: &NodeStore) -> Option<NodeId> {
        let recorded = self.get(folded).map_or(NO_OP, |u| u.op);
        match nodes.get(recorded as usize) {
            Some(n) if &*n.name == name => Some(recorded),
            _ => self.case_variants.get(name).copied(),
        }
    }

    /// Names op `id` exactly `name` (a scope name taken as an op name, which TF does not
    /// make unique again): marks it used and records it, or fails when an op bears it.
    pub fn name_op_exactly(&mut self, name: &str, id: NodeId, nodes: &NodeStore) -> Result<()> {
        let mut folded = std::mem::take(&mut self.folded);
        fold_into(name, &mut folded);
        let result = if self.op_folded(&folded, name, nodes).is_some() {
            Err(Error::invalid(format!(
                "Duplicate node name in graph: '{name}'"
            )))
        } else {
            match self.get(&folded).map(|u| (u.count, u.op)) {
                Some((_, op)) if op != NO_OP => {
                    // Another op holds the folded name: this one differs from it in case.
                    self.case_variants.insert(name.into(), id);
                }
                Some((count, _)) => self.record(&folded, count.max(1), id),
                None => self.record(&folded, 1, id),
            }
            Ok(())
        };
        self.folded = folded;
        result
    }

    /// Undoes the op record of `name_op` when the op could not be created after all.
    pub fn forget_op(&mut self, name: &str, id: NodeId) {
        let mut folded = String::with_capacity(name.len());
        fold_into(name, &mut folded);
        if let Some(u) = self
            .entries
            .find_mut(hash(&folded), |u| *u.folded == *folded)
        {
            if u.op == id {
                u.op = NO_OP;
            }
        }
        if self.case_variants.get(name) == Some(&id) {
            self.case_variants.remove(name);
        }
    }
}
