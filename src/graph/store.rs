//! The arena's op storage: segments of doubling capacity that are never reallocated
//! (`Segmented`, also the name table's store), and the ops' names packed in chunks beside
//! them.
//!
//! A plain `Vec<Node>` moves every op each time it doubles, so one `gradients()` call that
//! adds a thousand ops to a million-op graph could copy the whole graph (and fault in its new
//! pages): time that grows with the graph, not with the work. Here segment `k` holds
//! `FIRST << k` ops and is allocated once, so adding an op never moves another, and the
//! memory reserved stays within twice what is used, as with a `Vec`.

use super::{Node, NodeId};

/// Bytes per name chunk: names are packed back to back, one allocation per 64 KiB of names
/// instead of one per op.
const NAME_CHUNK: usize = 1 << 16;

/// Where an op's name lies in its store's name chunks: the chunk in the high 16 bits of
/// `at`, the offset in it in the low 16 (a name longer than a chunk gets a chunk of its own,
/// at offset 0). Eight bytes in every op; the cost is a limit of 65,536 chunks, 4 GiB of
/// names.
#[derive(Debug, Clone, Copy)]
pub struct NameRef {
    at: u32,
    len: u32,
}

/// Items in the first segment; small so that an empty store costs little.
const FIRST: usize = 64;
const FIRST_BITS: u32 = FIRST.trailing_zeros();

/// A growable array whose items never move: segment `k` holds `FIRST << k` items and is
/// allocated once.
#[derive(Debug)]
pub struct Segmented<T> {
    segments: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Segmented<T> {
    fn default() -> Self {
        Self {
            segments: Vec::new(),
            len: 0,
        }
    }
}

/// (segment, offset) of item `i`: segment `k` starts at `FIRST * (2^k - 1)`.
fn locate(i: usize) -> (usize, usize) {
    let j = (i >> FIRST_BITS) + 1;
    let k = (usize::BITS - 1 - j.leading_zeros()) as usize;
    (k, i - (FIRST << k) + FIRST)
}

impl<T> Segmented<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<&T> {
        if i >= self.len {
            return None;
        }
        let (k, off) = locate(i);
        self.segments.get(k).and_then(|s| s.get(off))
    }

    #[inline]
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        if i >= self.len {
            return None;
        }
        let (k, off) = locate(i);
        self.segments.get_mut(k).and_then(|s| s.get_mut(off))
    }

    pub fn push(&mut self, item: T) {
        let (k, _) = locate(self.len);
        if k == self.segments.len() {
            self.segments.push(Vec::with_capacity(FIRST << k));
        }
        if let Some(segment) = self.segments.get_mut(k) {
            segment.push(item);
            self.len += 1;
        }
    }

    pub fn iter(&self) -> std::iter::Flatten<std::slice::Iter<'_, Vec<T>>> {
        self.segments.iter().flatten()
    }
}

#[derive(Debug, Default)]
pub struct NodeStore {
    nodes: Segmented<Node>,
    /// Chunks never move once allocated, as segments do not.
    names: Vec<String>,
}

impl NodeStore {
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&Node> {
        self.nodes.get(i)
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut Node> {
        self.nodes.get_mut(i)
    }

    /// The op with id `id`.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.get(id as usize)
    }

    pub fn push(&mut self, node: Node) {
        self.nodes.push(node);
    }

    /// Stores an op name for `push`. `None` past 4 GiB of names.
    pub fn store_name(&mut self, name: &str) -> Option<NameRef> {
        // A name starts inside the chunk's first 64 KiB, so that its offset fits 16 bits.
        let fits = self
            .names
            .last()
            .is_some_and(|c| c.len() < NAME_CHUNK && c.capacity() - c.len() >= name.len());
        if !fits {
            if self.names.len() >= 1 << 16 {
                return None;
            }
            self.names
                .push(String::with_capacity(NAME_CHUNK.max(name.len())));
        }
        let chunk = u32::try_from(self.names.len().checked_sub(1)?).ok()?;
        let c = self.names.last_mut()?;
        let start = u32::try_from(c.len()).ok()?;
        c.push_str(name);
        Some(NameRef {
            at: chunk << 16 | start,
            len: u32::try_from(name.len()).ok()?,
        })
    }

    /// The name of `node`, an op of this store.
    pub fn name_of(&self, node: &Node) -> &str {
        self.name_at(node.name)
    }

    fn name_at(&self, r: NameRef) -> &str {
        let (chunk, start) = ((r.at >> 16) as usize, (r.at & 0xffff) as usize);
        self.names
            .get(chunk)
            .and_then(|c| c.get(start..start + r.len as usize))
            .unwrap_or("")
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Node> + '_ {
        self.nodes.iter()
    }
}

impl<T> std::ops::Index<usize> for Segmented<T> {
    type Output = T;
    /// Panics on an index out of range, as a slice does.
    fn index(&self, i: usize) -> &T {
        let (k, off) = locate(i);
        &self.segments[k][off]
    }
}

impl<T> std::ops::IndexMut<usize> for Segmented<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        let (k, off) = locate(i);
        &mut self.segments[k][off]
    }
}

impl std::ops::Index<usize> for NodeStore {
    type Output = Node;
    /// Panics on an id out of range, as a slice does: callers index only with ids they
    /// checked or that the graph handed out.
    fn index(&self, i: usize) -> &Node {
        &self.nodes[i]
    }
}

impl std::ops::IndexMut<usize> for NodeStore {
    fn index_mut(&mut self, i: usize) -> &mut Node {
        &mut self.nodes[i]
    }
}

impl<'a> IntoIterator for &'a NodeStore {
    type Item = &'a Node;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Vec<Node>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.nodes.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::{locate, NodeStore, NAME_CHUNK};

    #[test]
    fn names_read_back_across_chunks_and_past_a_chunks_size() {
        let mut store = NodeStore::default();
        let long = "x".repeat(NAME_CHUNK + 10);
        let mut names: Vec<String> = (0..10_000)
            .map(|i| format!("scope/op_{i}_grad/Mul"))
            .collect();
        names.insert(5_000, long.clone());
        names.push(long);
        names.push("after".into());
        let refs: Vec<_> = names.iter().map(|n| store.store_name(n)).collect();
        for (name, r) in names.iter().zip(refs) {
            let r = r.expect("stored");
            assert_eq!(store.name_at(r), name);
        }
        assert!(store.names.len() >= 5, "{} chunks", store.names.len());
    }

    #[test]
    fn segments_double_and_tile_the_ids() {
        assert_eq!(locate(0), (0, 0));
        assert_eq!(locate(63), (0, 63));
        assert_eq!(locate(64), (1, 0));
        assert_eq!(locate(191), (1, 127));
        assert_eq!(locate(192), (2, 0));
        let mut expected = (0, 0);
        for i in 0..100_000 {
            assert_eq!(locate(i), expected, "op {i}");
            expected.1 += 1;
            if expected.1 == 64 << expected.0 {
                expected = (expected.0 + 1, 0);
            }
        }
    }
}
