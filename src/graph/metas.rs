//! The static types of a graph's op outputs, interned: a node keeps a 4-byte id per output.
//!
//! A million-op graph has only a handful of distinct (dtype, shape) pairs, and a `TensorMeta`
//! inline in every node (88 bytes) was over a third of each op's memory. Building a big
//! gradient is bound by writing fresh memory, so the bytes per op are its cost.

use super::TensorMeta;
use crate::dtype::DType;
use hashbrown::HashTable;
use std::hash::BuildHasher;

/// An interned `TensorMeta`: an index into its graph's `MetaTable`.
pub type MetaId = u32;

#[derive(Debug)]
pub struct MetaTable {
    metas: Vec<TensorMeta>,
    index: HashTable<MetaId>,
    /// Per dtype, the id `intern` returned last for it: a gradient's ops alternate between a
    /// few types (float activations, int32 shape constants), and comparing with the last one
    /// of the same dtype costs less than hashing.
    last: [MetaId; DTYPES],
    /// Whether any op outputs a string: only then must a new op's inputs be checked for
    /// strings (most graphs have none).
    has_strings: bool,
}

/// More than the number of `DType` variants.
const DTYPES: usize = 16;

impl Default for MetaTable {
    fn default() -> Self {
        MetaTable {
            metas: Vec::new(),
            index: HashTable::new(),
            last: [MetaId::MAX; DTYPES],
            has_strings: false,
        }
    }
}

impl MetaTable {
    /// The id of `meta`, added when new. `None` when the table holds `u32::MAX` distinct
    /// metas (no graph gets there before it runs out of ops).
    pub fn intern(&mut self, meta: &TensorMeta) -> Option<MetaId> {
        let slot = (meta.dtype as usize) % DTYPES;
        let last = self.last.get(slot).copied().unwrap_or(MetaId::MAX);
        if self.metas.get(last as usize) == Some(meta) {
            return Some(last);
        }
        let Self {
            metas,
            index,
            has_strings,
            ..
        } = self;
        let hasher = rustc_hash::FxBuildHasher;
        let hash = hasher.hash_one(meta);
        let found = index.entry(
            hash,
            |&id| metas.get(id as usize) == Some(meta),
            |&id| metas.get(id as usize).map_or(0, |m| hasher.hash_one(m)),
        );
        let id = match found {
            hashbrown::hash_table::Entry::Occupied(e) => *e.get(),
            hashbrown::hash_table::Entry::Vacant(v) => {
                let id = MetaId::try_from(metas.len()).ok()?;
                *has_strings |= meta.dtype == DType::Str;
                metas.push(meta.clone());
                v.insert(id);
                id
            }
        };
        if let Some(l) = self.last.get_mut(slot) {
            *l = id;
        }
        Some(id)
    }

    /// The meta of `id`; ids come only from `intern` on this table.
    pub fn get(&self, id: MetaId) -> Option<&TensorMeta> {
        self.metas.get(id as usize)
    }

    /// Whether some interned type is `string`.
    pub fn has_strings(&self) -> bool {
        self.has_strings
    }

    pub fn len(&self) -> usize {
        self.metas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.metas.is_empty()
    }
}

/// An op's output types: two inline (nearly every op has one or two outputs), more on the
/// heap. Sixteen bytes against a `SmallVec`'s twenty-four, in every op of the graph.
#[derive(Debug, Clone)]
pub enum OutputTypes {
    Inline {
        len: u8,
        ids: [MetaId; 2],
    },
    /// A thin pointer, so that this variant is no wider than the inline one.
    Spilled(Box<Vec<MetaId>>),
}

impl Default for OutputTypes {
    fn default() -> Self {
        OutputTypes::Inline {
            len: 0,
            ids: [0; 2],
        }
    }
}

impl OutputTypes {
    pub fn as_slice(&self) -> &[MetaId] {
        match self {
            OutputTypes::Inline { len, ids } => ids.get(..*len as usize).unwrap_or(&[]),
            OutputTypes::Spilled(v) => v,
        }
    }

    pub fn as_mut_slice(&mut self) -> &mut [MetaId] {
        match self {
            OutputTypes::Inline { len, ids } => ids.get_mut(..*len as usize).unwrap_or(&mut []),
            OutputTypes::Spilled(v) => v,
        }
    }

    pub fn push(&mut self, id: MetaId) {
        match self {
            OutputTypes::Inline { len, ids } if (*len as usize) < ids.len() => {
                ids[*len as usize] = id;
                *len += 1;
            }
            OutputTypes::Inline { len, ids } => {
                let mut v = Vec::with_capacity(*len as usize + 1);
                v.extend_from_slice(&ids[..*len as usize]);
                v.push(id);
                *self = OutputTypes::Spilled(Box::new(v));
            }
            OutputTypes::Spilled(v) => v.push(id),
        }
    }
}

impl std::ops::Deref for OutputTypes {
    type Target = [MetaId];
    fn deref(&self) -> &[MetaId] {
        self.as_slice()
    }
}

impl std::ops::DerefMut for OutputTypes {
    fn deref_mut(&mut self) -> &mut [MetaId] {
        self.as_mut_slice()
    }
}

impl Extend<MetaId> for OutputTypes {
    fn extend<I: IntoIterator<Item = MetaId>>(&mut self, iter: I) {
        for id in iter {
            self.push(id);
        }
    }
}

impl FromIterator<MetaId> for OutputTypes {
    fn from_iter<I: IntoIterator<Item = MetaId>>(iter: I) -> Self {
        let mut out = OutputTypes::default();
        out.extend(iter);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{MetaTable, OutputTypes};
    use crate::dtype::DType;
    use crate::graph::TensorMeta;
    use crate::shape::Shape;

    #[test]
    fn equal_metas_share_one_id() {
        let mut table = MetaTable::default();
        let v16 = TensorMeta::new(DType::F32, Shape::known(&[16]));
        let a = table.intern(&v16);
        let b = table.intern(&TensorMeta::new(DType::F64, Shape::known(&[16])));
        let c = table.intern(&TensorMeta::new(DType::F32, Shape::unknown()));
        let d = table.intern(&TensorMeta::new(DType::F32, Shape(Some(vec![None].into()))));
        assert_eq!((a, b, c, d), (Some(0), Some(1), Some(2), Some(3)));
        assert_eq!(table.intern(&v16), Some(0));
        assert_eq!(table.get(0), Some(&v16));
        assert_eq!(table.get(4), None);
        assert_eq!(table.len(), 4);
        assert!(!table.has_strings());
        assert_eq!(
            table.intern(&TensorMeta::new(DType::Str, Shape::scalar())),
            Some(4)
        );
        assert!(table.has_strings());
        assert_eq!(table.intern(&v16), Some(0));
    }

    #[test]
    fn output_types_spill_past_two_and_read_back() {
        assert_eq!(std::mem::size_of::<OutputTypes>(), 16);
        let mut types: OutputTypes = [7].into_iter().collect();
        assert_eq!(&*types, &[7]);
        types.push(8);
        assert!(matches!(types, OutputTypes::Inline { len: 2, .. }));
        types.extend([9, 10]);
        assert!(matches!(types, OutputTypes::Spilled(_)));
        assert_eq!(&*types, &[7, 8, 9, 10]);
        types[1] = 80;
        assert_eq!(types.get(1), Some(&80));
        assert_eq!(types.len(), 4);
        assert!(OutputTypes::default().is_empty());
    }
}
