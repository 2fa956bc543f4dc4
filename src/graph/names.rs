//! Op and scope names: TF's `_names_in_use` and `_nodes_by_name` kept in one table.
//!
//! TF compares names without case when it makes them unique but looks ops up by their
//! exact name. One table keyed by the case-folded name serves both: each entry counts how
//! often the name was handed out and records the op bearing it, so the graph keeps no
//! second name map.
//!
//! A graph of a million steps holds over ten million names, so an entry is 24 bytes and
//! its folded key lives in an append-only byte arena instead of an allocation of its own;
//! and an ASCII name (nearly all) is hashed and compared folded on the fly, never copied
//! to be folded first.

use super::{NodeId, NodeStore};
use crate::error::{Error, Result};
use hashbrown::HashTable;
use rustc_hash::FxHashMap;

const NO_OP: NodeId = NodeId::MAX;

#[derive(Debug, Clone, Copy)]
struct NameUse {
    /// The folded key's hash (`folded_hash`), kept so growing the table never reads the
    /// keys again.
    hash: u32,
    /// Where the folded key lies in the arena.
    chunk: u32,
    start: u32,
    len: u32,
    /// How many times `unique_name` handed this (folded) name out.
    count: u32,
    /// The op named exactly so, or `NO_OP` for a scope or a reserved name.
    op: NodeId,
}

/// Chunks never move once allocated: a growing table of long names is never copied.
const ARENA_CHUNK: usize = 1 << 16;

#[derive(Debug, Default)]
struct KeyArena {
    chunks: Vec<Vec<u8>>,
}

impl KeyArena {
    /// Stores `query` folded (see `NameTable::find`); returns (chunk, start).
    fn push(&mut self, query: &[u8]) -> (u32, u32) {
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= query.len());
        if !fits {
            self.chunks
                .push(Vec::with_capacity(ARENA_CHUNK.max(query.len())));
        }
        let chunk = self.chunks.len().saturating_sub(1);
        let Some(c) = self.chunks.last_mut() else {
            return (0, 0);
        };
        let start = c.len();
        c.extend_from_slice(query);
        if let Some(key) = c.get_mut(start..) {
            let mut words = key.chunks_exact_mut(8);
            for w in &mut words {
                let folded = fold_word(<[u8; 8]>::try_from(&*w).map_or(0, u64::from_le_bytes));
                w.copy_from_slice(&folded.to_le_bytes());
            }
            words.into_remainder().make_ascii_lowercase();
        }
        (chunk as u32, start as u32)
    }

    fn key(&self, u: &NameUse) -> &[u8] {
        let (start, end) = (u.start as usize, u.start as usize + u.len as usize);
        self.chunks
            .get(u.chunk as usize)
            .and_then(|c| c.get(start..end))
            .unwrap_or(&[])
    }
}

#[derive(Debug, Default)]
pub struct NameTable {
    entries: HashTable<NameUse>,
    keys: KeyArena,
    /// Ops whose exact name differs only in case from the op recorded in `entries`; TF
    /// allows them when the names are given exactly.
    case_variants: FxHashMap<Box<str>, NodeId>,
    /// Scratch for a folded non-ASCII name, or a name with a numeric suffix.
    scratch: String,
}

/// `to_ascii_lowercase` of eight bytes at once. With the top bit of every byte set, the
/// subtractions never borrow from a neighbouring byte; each leaves the top bit set where
/// the byte is at least 'A', resp. past 'Z'.
fn fold_word(w: u64) -> u64 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let at_least_a = (w | HIGH).wrapping_sub(0x4141_4141_4141_4141);
    let past_z = (w | HIGH).wrapping_sub(0x5b5b_5b5b_5b5b_5b5b);
    w | ((at_least_a & !past_z & !w & HIGH) >> 2)
}

/// The hash of a name's folded form, computed from any form whose ASCII lower-casing is
/// that folded form (the name itself when it is ASCII).
fn folded_hash(query: &[u8]) -> u32 {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    let mut h = query.len() as u64;
    let mut words = query.chunks_exact(8);
    for w in &mut words {
        let w = <[u8; 8]>::try_from(w).map_or(0, u64::from_le_bytes);
        h = (h ^ fold_word(w)).wrapping_mul(K);
    }
    let mut tail = [0u8; 8];
    for (t, b) in tail.iter_mut().zip(words.remainder()) {
        *t = *b;
    }
    h = (h ^ fold_word(u64::from_le_bytes(tail))).wrapping_mul(K);
    (h ^ (h >> 32)) as u32
}

/// What `NameTable::find` looks a name up by: the name itself when ASCII (folded on the
/// fly), else its Unicode lower-casing, as Python's `str.lower()`.
fn query_of(name: &str) -> std::borrow::Cow<'_, [u8]> {
    if name.is_ascii() {
        std::borrow::Cow::Borrowed(name.as_bytes())
    } else {
        std::borrow::Cow::Owned(name.to_lowercase().into_bytes())
    }
}

/// The table's 64-bit hash: the stored 32 bits spread over all 64, so that both the
/// bucket (low bits) and the tag (top bits) vary.
fn spread(hash: u32) -> u64 {
    u64::from(hash).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// Appends `n` in decimal (`write!` costs more than the rest of naming an op).
fn push_decimal(out: &mut String, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut len = 0;
    for d in digits.iter_mut() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[..len].iter().rev().map(|&d| char::from(d)));
}

impl NameTable {
    /// The entry of the name whose folded form is `query` lower-cased in ASCII: the name
    /// itself when ASCII, else its full Unicode folding. Keys hold no ASCII capitals, so
    /// an ASCII-case-insensitive comparison is an exact one on the folded forms.
    fn find(&self, query: &[u8]) -> Option<&NameUse> {
        self.find_hashed(query, folded_hash(query))
    }

    fn find_hashed(&self, query: &[u8], hash: u32) -> Option<&NameUse> {
        let keys = &self.keys;
        self.entries
            .find(spread(hash), |u| keys.key(u).eq_ignore_ascii_case(query))
    }

    /// Looks `query` up (as `find`) and applies `update` to its entry; when absent and
    /// `insert`, adds it with (count, op) `fresh`. Returns the entry's count before the
    /// call (0 when it was absent).
    fn upsert(
        &mut self,
        query: &[u8],
        hash: u32,
        insert: bool,
        (count, op): (u32, NodeId),
        update: impl FnOnce(&mut NameUse),
    ) -> u32 {
        let Self { entries, keys, .. } = self;
        let entry = entries.entry(
            spread(hash),
            |u| keys.key(u).eq_ignore_ascii_case(query),
            |u| spread(u.hash),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(mut e) => {
                let u = e.get_mut();
                let before = u.count;
                update(u);
                before
            }
            hashbrown::hash_table::Entry::Vacant(v) => {
                if insert {
                    let (chunk, start) = keys.push(query);
                    v.insert(NameUse {
                        hash,
                        chunk,
                        start,
                        len: query.len() as u32,
                        count,
                        op,
                    });
                }
                0
            }
        }
    }

    /// Counts a use of `query` when `mark_as_used` (a fresh name is recorded with `op`);
    /// returns its count before.
    fn use_name(&mut self, query: &[u8], mark_as_used: bool, op: NodeId) -> u32 {
        self.upsert(query, folded_hash(query), mark_as_used, (1, op), |u| {
            if mark_as_used {
                u.count += 1;
            }
        })
    }

    /// Sets a name's use count, and its op unless `op` is `NO_OP`.
    fn record(&mut self, query: &[u8], hash: u32, count: u32, op: NodeId) {
        self.upsert(query, hash, true, (count, op), |u| {
            u.count = count;
            if op != NO_OP {
                u.op = op;
            }
        });
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
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        // The name's use count is where the search for a free suffix starts.
        let mut i = if name.is_ascii() {
            // The usual case, a fresh name, costs one probe and no copy.
            let count = self.use_name(name.as_bytes(), mark_as_used, op);
            if count == 0 {
                self.scratch = scratch;
                return name;
            }
            scratch.push_str(&name);
            count
        } else {
            scratch.push_str(&name.to_lowercase());
            let count = self.use_name(scratch.as_bytes(), mark_as_used, op);
            if count == 0 {
                self.scratch = scratch;
                return name;
            }
            count
        };
        let base_len = scratch.len();
        loop {
            scratch.truncate(base_len);
            scratch.push('_');
            push_decimal(&mut scratch, i);
            if self.find(scratch.as_bytes()).is_none() {
                break;
            }
            i += 1;
        }
        if mark_as_used {
            self.record(scratch.as_bytes(), folded_hash(scratch.as_bytes()), 1, op);
        }
        self.scratch = scratch;
        let mut out = name;
        out.push('_');
        push_decimal(&mut out, i);
        out
    }

    /// The op named exactly `name`.
    pub fn op(&self, name: &str, nodes: &NodeStore) -> Option<NodeId> {
        let query = query_of(name);
        let query = &*query;
        let recorded = self.find(query).map_or(NO_OP, |u| u.op);
        self.exact_op(name, recorded, nodes)
    }

    /// `recorded` when it bears exactly `name`, else the case variant of that name.
    fn exact_op(&self, name: &str, recorded: NodeId, nodes: &NodeStore) -> Option<NodeId> {
        match nodes.get(recorded as usize) {
            Some(n) if &*n.name == name => Some(recorded),
            _ if self.case_variants.is_empty() => None,
            _ => self.case_variants.get(name).copied(),
        }
    }

    /// Names op `id` exactly `name` (a scope name taken as an op name, which TF does not
    /// make unique again): marks it used and records it, or fails when an op bears it.
    pub fn name_op_exactly(&mut self, name: &str, id: NodeId, nodes: &NodeStore) -> Result<()> {
        let query = query_of(name);
        let query = &*query;
        let hash = folded_hash(query);
        let existing = self.find_hashed(query, hash).map(|u| (u.count, u.op));
        if self
            .exact_op(name, existing.map_or(NO_OP, |(_, op)| op), nodes)
            .is_some()
        {
            return Err(Error::invalid(format!(
                "Duplicate node name in graph: '{name}'"
            )));
        }
        match existing {
            Some((_, op)) if op != NO_OP => {
                // Another op holds the folded name: this one differs from it in case.
                self.case_variants.insert(name.into(), id);
            }
            Some((count, _)) => self.record(query, hash, count.max(1), id),
            None => self.record(query, hash, 1, id),
        }
        Ok(())
    }

    /// Undoes the op record of `name_op` when the op could not be created after all.
    pub fn forget_op(&mut self, name: &str, id: NodeId) {
        let query = query_of(name);
        let query = &*query;
        self.upsert(query, folded_hash(query), false, (0, NO_OP), |u| {
            if u.op == id {
                u.op = NO_OP;
            }
        });
        if self.case_variants.get(name) == Some(&id) {
            self.case_variants.remove(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{fold_word, folded_hash, push_decimal, NameTable};

    #[test]
    fn fold_word_lowercases_ascii_capitals_only() {
        let all: Vec<u8> = (0u8..=255).collect();
        for w in all.chunks(8) {
            let word = u64::from_le_bytes(w.try_into().unwrap_or([0; 8]));
            let folded: Vec<u8> = fold_word(word).to_le_bytes().to_vec();
            let expected: Vec<u8> = w.iter().map(u8::to_ascii_lowercase).collect();
            assert_eq!(folded, expected);
        }
    }

    #[test]
    fn folded_hash_ignores_ascii_case_and_sees_length() {
        assert_eq!(
            folded_hash(b"Gradients/Tanh_grad/TanhGrad"),
            folded_hash(b"gradients/tanh_grad/tanhgrad")
        );
        assert_ne!(folded_hash(b"a"), folded_hash(b"a\0"));
        assert_ne!(folded_hash(b"Shape"), folded_hash(b"Shape_1"));
    }

    #[test]
    fn decimal_suffixes() {
        for n in [0, 7, 10, 99, 1000, 123_456, u32::MAX] {
            let mut s = String::from("x");
            push_decimal(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
    }

    #[test]
    fn unicode_and_ascii_names_fold_together() {
        let mut t = NameTable::default();
        assert_eq!(t.unique("ÄB".to_string(), true), "ÄB");
        assert_eq!(t.unique("äb".to_string(), true), "äb_1");
        // The Kelvin sign folds to an ASCII 'k'.
        assert_eq!(t.unique("k".to_string(), true), "k");
        assert_eq!(t.unique("\u{212a}".to_string(), true), "\u{212a}_1");
        assert_eq!(t.unique("K_1".to_string(), true), "K_1_1");
        assert_eq!(t.unique("K".to_string(), true), "K_2");
    }

    #[test]
    fn many_long_names_across_arena_chunks() {
        let mut t = NameTable::default();
        let long = "scope/".repeat(50);
        for i in 0..2000 {
            assert_eq!(
                t.unique(format!("{long}op{i}"), true),
                format!("{long}op{i}")
            );
        }
        for i in 0..2000 {
            assert_eq!(
                t.unique(format!("{}OP{i}", long.to_uppercase()), true),
                format!("{}OP{i}_1", long.to_uppercase())
            );
        }
    }
}
