//! Op and scope names: TF's `_names_in_use` and `_nodes_by_name` kept in one table.
//!
//! TF compares names without case when it makes them unique but looks ops up by their
//! exact name. One table keyed by the case-folded name serves both: each entry counts how
//! often the name was handed out and records the op bearing it, so the graph keeps no
//! second name map.
//!
//! The table is a tree of name components: an entry is one component under its parent
//! entry (`gradients/mul_5_grad/Sum` is `Sum` under `mul_5_grad` under `gradients`), and a
//! scope remembers its own entry. Naming an op inside a scope then hashes and compares only
//! the op's own component, never the scope's long prefix, and the arena stores components,
//! not full names. An entry a path passes through but no one named has count 0 and no op:
//! it stands for a name not in use, exactly as an absent one does.
//!
//! A graph of a million steps holds over ten million names, so an entry is 32 bytes, the
//! entries lie in segments that never move (growing the table copies nothing), and an
//! entry's folded key lives in an append-only byte arena instead of an allocation of its own;
//! and an ASCII component (nearly all) is hashed and compared folded on the fly, never
//! copied to be folded first.
//!
//! Most scopes hold a handful of names (a gradient function's `mul_5_grad/` holds about
//! ten), and they are named right after the scope is made. Such a scope keeps its children
//! in a list through the entries themselves, newest first: the entries were appended
//! together, so finding one reads a few neighbouring cache lines. A single hash table over
//! all names would send each of them to a random place in a table of hundreds of megabytes
//! (three quarters of a million-step `gradients()` call was spent waiting on it). A scope
//! that grows past `LIST_MAX` children moves them into the hash table, which holds only
//! such scopes' children (and the top-level names) and each one's hash beside it, so
//! growing it never reads the entries.

use super::store::Segmented;
use super::{NodeId, NodeStore};
use crate::error::{Error, Result};
use hashbrown::HashTable;
use rustc_hash::FxHashMap;

const NO_OP: NodeId = NodeId::MAX;

/// The parent of top-level names.
pub const ROOT: u32 = u32::MAX;

/// `NameUse::last_child` of an entry without children, and the end of a sibling list.
const NONE: u32 = u32::MAX;
/// `NameUse::last_child` of an entry whose children are in the hash table.
const INDEXED: u32 = u32::MAX - 1;
/// The most children a scope keeps in its list.
const LIST_MAX: u32 = 16;

#[derive(Debug, Clone, Copy)]
struct NameUse {
    /// The entry this component lies under, or `ROOT`.
    parent: u32,
    /// Where the folded component lies in the arena.
    chunk: u32,
    start: u32,
    len: u32,
    /// How many times `unique_name` handed this (folded) name out; 0 for an entry only a
    /// longer name's path passes through.
    count: u32,
    /// The op named exactly so, or `NO_OP` for a scope or a reserved name.
    op: NodeId,
    /// The parent's child made before this one, or `NONE` (followed only while the
    /// parent lists its children).
    sibling: u32,
    /// This entry's newest child, `NONE`, or `INDEXED`.
    last_child: u32,
}

/// Where a stored key lies in the key arena.
#[derive(Debug, Clone, Copy)]
pub(super) struct KeyAt {
    chunk: u32,
    start: u32,
}

/// One entry as a recording of it needs it (see `graph/recording.rs`).
pub(super) struct RecordedEntry<'a> {
    pub parent: u32,
    /// The folded component, and where it is stored.
    pub key: &'a [u8],
    pub key_at: KeyAt,
    pub count: u32,
    pub op: Option<NodeId>,
}

/// Chunks never move once allocated: a growing table of long names is never copied.
const ARENA_CHUNK: usize = 1 << 16;

#[derive(Debug, Default)]
struct KeyArena {
    chunks: Vec<Vec<u8>>,
}

impl KeyArena {
    /// Stores `query` folded (see `NameTable::find`).
    fn push(&mut self, query: &[u8]) -> KeyAt {
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
            return KeyAt { chunk: 0, start: 0 };
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
        KeyAt {
            chunk: chunk as u32,
            start: start as u32,
        }
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
    /// The entries, addressed by their index (a child names its parent so).
    uses: Segmented<NameUse>,
    /// (hash, entry) of the top-level names and of the children of scopes past
    /// `LIST_MAX`, found by (parent, folded component).
    index: HashTable<(u32, u32)>,
    keys: KeyArena,
    /// Ops whose exact name differs only in case from the op recorded in `uses`; TF
    /// allows them when the names are given exactly.
    case_variants: FxHashMap<Box<str>, NodeId>,
    /// Scratch for a folded non-ASCII component, or a component with a numeric suffix.
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

/// The hash of a component's folded form under `parent`, computed from any form whose
/// ASCII lower-casing is that folded form (the component itself when it is ASCII).
fn component_hash(parent: u32, query: &[u8]) -> u32 {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    let mut h = (query.len() as u64) ^ (u64::from(parent) << 32);
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
pub(super) fn push_decimal(out: &mut String, mut n: u32) {
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
    fn entry(&self, id: u32) -> Option<&NameUse> {
        self.uses.get(id as usize)
    }

    /// Whether the name of entry `id` is in use (handed out or borne by an op).
    fn in_use(&self, id: u32) -> bool {
        self.entry(id).is_some_and(|u| u.count > 0 || u.op != NO_OP)
    }

    /// Where `parent`'s children are: the newest of its list, `NONE`, or `INDEXED`.
    fn children(&self, parent: u32) -> u32 {
        if parent == ROOT {
            return INDEXED;
        }
        self.entry(parent).map_or(INDEXED, |u| u.last_child)
    }

    /// Whether entry `u` is the component `query` (see `query_of`).
    fn is(&self, u: &NameUse, query: &[u8]) -> bool {
        u.len as usize == query.len() && self.keys.key(u).eq_ignore_ascii_case(query)
    }

    /// Searches a list of children from its newest, `at`: the entry of `query`, or how
    /// many children the list holds.
    fn find_listed(&self, mut at: u32, query: &[u8]) -> std::result::Result<u32, u32> {
        let mut passed = 0;
        while let Some(u) = self.entry(at) {
            if self.is(u, query) {
                return Ok(at);
            }
            passed += 1;
            at = u.sibling;
        }
        Err(passed)
    }

    fn find_indexed(&self, parent: u32, query: &[u8], hash: u32) -> Option<u32> {
        self.index
            .find(spread(hash), |&(h, id)| {
                h == hash
                    && self
                        .entry(id)
                        .is_some_and(|u| u.parent == parent && self.is(u, query))
            })
            .map(|&(_, id)| id)
    }

    /// The entry of the component `query` (see `query_of`) under `parent`.
    fn find_child(&self, parent: u32, query: &[u8]) -> Option<u32> {
        match self.children(parent) {
            INDEXED => self.find_indexed(parent, query, component_hash(parent, query)),
            newest => self.find_listed(newest, query).ok(),
        }
    }

    /// The entry of the component `query` under `parent`, added unused when absent.
    fn child(&mut self, parent: u32, query: &[u8]) -> u32 {
        let newest = self.children(parent);
        if newest == INDEXED {
            let hash = component_hash(parent, query);
            return match self.find_indexed(parent, query, hash) {
                Some(id) => id,
                None => self.append_indexed(parent, query, hash),
            };
        }
        match self.find_listed(newest, query) {
            Ok(id) => id,
            Err(listed) if listed < LIST_MAX => {
                let key = self.keys.push(query);
                self.append_listed(parent, key, query.len(), newest)
            }
            Err(_) => {
                // The walk just showed `query` is not among the children being moved.
                self.index_children(parent, newest);
                self.append_indexed(parent, query, component_hash(parent, query))
            }
        }
    }

    /// A new unused entry for `query` under `parent`, whose children are indexed.
    fn append_indexed(&mut self, parent: u32, query: &[u8], hash: u32) -> u32 {
        let id = self.append(parent, query, NONE);
        self.index
            .insert_unique(spread(hash), (hash, id), |&(h, _)| spread(h));
        id
    }

    /// A new unused entry for `query` under `parent`.
    fn append(&mut self, parent: u32, query: &[u8], sibling: u32) -> u32 {
        let key = self.keys.push(query);
        self.append_key(parent, key, query.len(), sibling)
    }

    /// A new unused entry at the head of `parent`'s list, whose newest child was `newest`.
    fn append_listed(&mut self, parent: u32, key: KeyAt, len: usize, newest: u32) -> u32 {
        let id = self.append_key(parent, key, len, newest);
        if let Some(p) = self.uses.get_mut(parent as usize) {
            p.last_child = id;
        }
        id
    }

    /// A new unused entry under `parent` whose folded key is stored at `key`.
    fn append_key(&mut self, parent: u32, key: KeyAt, len: usize, sibling: u32) -> u32 {
        let KeyAt { chunk, start } = key;
        let id = self.uses.len() as u32;
        self.uses.push(NameUse {
            parent,
            chunk,
            start,
            len: len as u32,
            count: 0,
            op: NO_OP,
            sibling,
            last_child: NONE,
        });
        id
    }

    /// Moves `parent`'s listed children, the newest being `at`, into the hash table.
    fn index_children(&mut self, parent: u32, mut at: u32) {
        while let Some(&u) = self.entry(at) {
            let hash = component_hash(parent, self.keys.key(&u));
            self.index
                .insert_unique(spread(hash), (hash, at), |&(h, _)| spread(h));
            at = u.sibling;
        }
        if let Some(p) = self.uses.get_mut(parent as usize) {
            p.last_child = INDEXED;
        }
    }

    /// The entry of the '/'-separated `path` below `parent`, adding unused entries for
    /// the components not yet present.
    pub fn path(&mut self, parent: u32, path: &str) -> u32 {
        path.split('/').fold(parent, |at, component| {
            let query = query_of(component);
            self.child(at, &query)
        })
    }

    /// The entry of `path` below `parent`, when every component of it is present.
    fn find_path(&self, parent: u32, path: &str) -> Option<u32> {
        path.split('/').try_fold(parent, |at, component| {
            let query = query_of(component);
            self.find_child(at, &query)
        })
    }

    /// The entry of a scope `name_stack` ("" or ending in '/'), added unused if absent.
    pub fn scope(&mut self, name_stack: &str) -> u32 {
        match name_stack.strip_suffix('/') {
            Some(path) => self.path(ROOT, path),
            None => ROOT,
        }
    }

    /// TF's `unique_name` for the last component `name` of a name whose other components
    /// are the path to `parent`: `None` when `name` itself is unused, else the smallest
    /// `i` (from the name's use count on) with `name_i` unused; the caller appends `_i`.
    /// When `mark_as_used`, the name handed out is recorded (with `op` when it is fresh)
    /// and its entry returned.
    pub fn unique_child(
        &mut self,
        parent: u32,
        name: &str,
        mark_as_used: bool,
        op: NodeId,
    ) -> (Option<u32>, Option<u32>) {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let query: &[u8] = if name.is_ascii() {
            name.as_bytes()
        } else {
            scratch.push_str(&name.to_lowercase());
            scratch.as_bytes()
        };
        let (count, entry) = if mark_as_used {
            let id = self.child(parent, query);
            let count = self.uses.get_mut(id as usize).map_or(0, |u| {
                let before = u.count;
                u.count += 1;
                if before == 0 && u.op == NO_OP {
                    u.op = op;
                }
                before
            });
            (count, Some(id))
        } else {
            let id = self.find_child(parent, query);
            (
                id.and_then(|id| self.entry(id)).map_or(0, |u| u.count),
                None,
            )
        };
        if count == 0 {
            self.scratch = scratch;
            return (None, entry);
        }
        if name.is_ascii() {
            scratch.push_str(name);
        }
        let base_len = scratch.len();
        let mut i = count;
        let entry = loop {
            scratch.truncate(base_len);
            scratch.push('_');
            push_decimal(&mut scratch, i);
            if mark_as_used {
                // Added unused when absent, so a free name costs one probe.
                let id = self.child(parent, scratch.as_bytes());
                if !self.in_use(id) {
                    if let Some(u) = self.uses.get_mut(id as usize) {
                        u.count = 1;
                        if op != NO_OP {
                            u.op = op;
                        }
                    }
                    break Some(id);
                }
            } else if !self
                .find_child(parent, scratch.as_bytes())
                .is_some_and(|id| self.in_use(id))
            {
                break None;
            }
            i += 1;
        };
        self.scratch = scratch;
        (Some(i), entry)
    }

    /// TF's `Graph.unique_name` for a full `name` (scope prefix included): the name itself
    /// when unused, else `name_1`, `name_2`, ... (case-insensitively unused).
    pub fn unique(&mut self, name: String, mark_as_used: bool) -> String {
        let (parent, last) = match name.rsplit_once('/') {
            Some((dir, last)) => (self.path(ROOT, dir), last),
            None => (ROOT, name.as_str()),
        };
        match self.unique_child(parent, last, mark_as_used, NO_OP).0 {
            None => name,
            Some(i) => {
                let mut out = name;
                out.push('_');
                push_decimal(&mut out, i);
                out
            }
        }
    }

    /// The op named exactly `name`.
    pub fn op(&self, name: &str, nodes: &NodeStore) -> Option<NodeId> {
        let recorded = self
            .find_path(ROOT, name)
            .and_then(|id| self.entry(id))
            .map_or(NO_OP, |u| u.op);
        self.exact_op(name, recorded, nodes)
    }

    /// `recorded` when it bears exactly `name`, else the case variant of that name.
    fn exact_op(&self, name: &str, recorded: NodeId, nodes: &NodeStore) -> Option<NodeId> {
        match nodes.get(recorded as usize) {
            Some(n) if nodes.name_of(n) == name => Some(recorded),
            _ if self.case_variants.is_empty() => None,
            _ => self.case_variants.get(name).copied(),
        }
    }

    /// Names op `id` exactly `name` (a scope name taken as an op name, which TF does not
    /// make unique again): marks it used and records it, or fails when an op bears it.
    /// `entry` is the name's entry when the caller knows it.
    pub fn name_op_exactly(
        &mut self,
        name: &str,
        entry: Option<u32>,
        id: NodeId,
        nodes: &NodeStore,
    ) -> Result<()> {
        let entry = match entry {
            Some(e) => e,
            None => self.path(ROOT, name),
        };
        let recorded = self.entry(entry).map_or(NO_OP, |u| u.op);
        if self.exact_op(name, recorded, nodes).is_some() {
            return Err(Error::invalid(format!(
                "Duplicate node name in graph: '{name}'"
            )));
        }
        if recorded != NO_OP {
            // Another op holds the folded name: this one differs from it in case.
            self.case_variants.insert(name.into(), id);
        } else if let Some(u) = self.uses.get_mut(entry as usize) {
            u.count = u.count.max(1);
            u.op = id;
        }
        Ok(())
    }

    /// Makes room in the hash table for `additional` names, so that a run of scopes named
    /// one after another (a gradient's `<op>_grad/`) does not regrow it step by step.
    pub(super) fn reserve_indexed(&mut self, additional: usize) {
        self.index.reserve(additional, |&(h, _)| spread(h));
    }

    /// How many entries the table holds: entries made later have higher ids.
    pub(super) fn entries(&self) -> u32 {
        self.uses.len() as u32
    }

    /// How many ops bear a case variant of another op's name.
    pub(super) fn case_variants(&self) -> usize {
        self.case_variants.len()
    }

    /// Whether scope `entry` has no names under it yet.
    pub(super) fn is_empty_scope(&self, entry: u32) -> bool {
        entry != ROOT && self.entry(entry).is_some_and(|u| u.last_child == NONE)
    }

    /// Entry `id`, as a recording keeps it.
    pub(super) fn recorded(&self, id: u32) -> Option<RecordedEntry<'_>> {
        let u = self.entry(id)?;
        Some(RecordedEntry {
            parent: u.parent,
            key: self.keys.key(u),
            key_at: KeyAt {
                chunk: u.chunk,
                start: u.start,
            },
            count: u.count,
            op: (u.op != NO_OP).then_some(u.op),
        })
    }

    /// Adds an entry as `recorded` described it, under `parent`, where no name `key` is
    /// yet and `siblings` names were made before it (the replay of a recording into an
    /// empty scope): appended to the parent's list without searching it while that is
    /// short, and sharing the recorded entry's stored key (keys never change once stored).
    pub(super) fn add_recorded(
        &mut self,
        parent: u32,
        (key, at): (&[u8], KeyAt),
        siblings: u32,
        count: u32,
        op: Option<NodeId>,
    ) -> u32 {
        let newest = self.children(parent);
        let id = if newest != INDEXED && siblings < LIST_MAX {
            self.append_listed(parent, at, key.len(), newest)
        } else {
            self.child(parent, key)
        };
        if let Some(u) = self.uses.get_mut(id as usize) {
            u.count = count;
            u.op = op.unwrap_or(NO_OP);
        }
        id
    }

    /// Undoes the op record of `name_op` when the op could not be created after all.
    pub fn forget_op(&mut self, name: &str, id: NodeId) {
        if let Some(entry) = self.find_path(ROOT, name) {
            if let Some(u) = self.uses.get_mut(entry as usize) {
                if u.op == id {
                    u.op = NO_OP;
                }
            }
        }
        if self.case_variants.get(name) == Some(&id) {
            self.case_variants.remove(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{component_hash, fold_word, push_decimal, NameTable, ROOT};

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
    fn component_hash_ignores_ascii_case_and_sees_length_and_parent() {
        assert_eq!(
            component_hash(ROOT, b"Tanh_grad_TanhGrad"),
            component_hash(ROOT, b"tanh_grad_tanhgrad")
        );
        assert_ne!(component_hash(ROOT, b"a"), component_hash(ROOT, b"a\0"));
        assert_ne!(
            component_hash(ROOT, b"Shape"),
            component_hash(ROOT, b"Shape_1")
        );
        assert_ne!(component_hash(0, b"Shape"), component_hash(1, b"Shape"));
    }

    #[test]
    fn a_path_through_a_name_does_not_use_it() {
        let mut t = NameTable::default();
        assert_eq!(t.unique("a/b".to_string(), true), "a/b");
        // "a" lies on the path of "a/b" but was never handed out.
        assert_eq!(t.unique("a".to_string(), false), "a");
        assert_eq!(t.unique("A".to_string(), true), "A");
        assert_eq!(t.unique("a".to_string(), true), "a_1");
        assert_eq!(t.unique("a/B".to_string(), true), "a/B_1");
        // Under the scope entry, names are the same as spelled in full.
        let scope = t.scope("a/");
        let (suffix, entry) = t.unique_child(scope, "b", true, 7);
        assert_eq!(suffix, Some(2));
        assert!(entry.is_some());
        assert_eq!(t.unique("a/b_2".to_string(), false), "a/b_2_1");
        assert_eq!(t.unique("a/b_3".to_string(), true), "a/b_3");
        assert_eq!(t.unique_child(scope, "c", false, 7), (None, None));
        // Empty components and trailing slashes are names of their own.
        assert_eq!(t.unique("a/".to_string(), true), "a/");
        assert_eq!(t.unique("a//".to_string(), true), "a//");
        assert_eq!(t.unique("a/".to_string(), true), "a/_1");
    }

    #[test]
    fn scopes_past_the_list_limit_move_their_names_to_the_index() {
        let mut t = NameTable::default();
        // Children named before and after the scope outgrows its list, in both cases.
        for i in 0..3 * super::LIST_MAX {
            assert_eq!(t.unique(format!("s/Op{i}"), true), format!("s/Op{i}"));
            if i == 2 {
                assert_eq!(t.unique("s/op2".to_string(), true), "s/op2_1");
            }
        }
        for i in 0..3 * super::LIST_MAX {
            let suffix = if i == 2 { 2 } else { 1 };
            assert_eq!(
                t.unique(format!("S/OP{i}"), false),
                format!("S/OP{i}_{suffix}")
            );
        }
        assert_eq!(t.unique("s/op2".to_string(), true), "s/op2_2");
        assert_eq!(t.unique("s/op2_1".to_string(), false), "s/op2_1_1");
        assert_eq!(t.unique("s/fresh".to_string(), false), "s/fresh");
        // A nested scope still lists its few children; its parent's index finds it.
        assert_eq!(t.unique("s/Op5/x".to_string(), true), "s/Op5/x");
        assert_eq!(t.unique("s/op5/X".to_string(), true), "s/op5/X_1");
        let scope = t.scope("S/OP5/");
        assert_eq!(t.unique_child(scope, "x", false, 7), (Some(2), None));
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
