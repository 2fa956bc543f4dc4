//! The static types of a graph's op outputs, interned: a node keeps a 4-byte id per output.
//!
//! A million-op graph has only a handful of distinct (dtype, shape) pairs, and a `TensorMeta`
//! inline in every node (88 bytes) was over a third of each op's memory. Building a big
//! gradient is bound by writing fresh memory, so the bytes per op are its cost.

use super::TensorMeta;
use hashbrown::HashTable;
use std::hash::BuildHasher;

/// An interned `TensorMeta`: an index into its graph's `MetaTable`.
pub type MetaId = u32;

#[derive(Debug, Default)]
pub struct MetaTable {
    metas: Vec<TensorMeta>,
    index: HashTable<MetaId>,
    /// The id `intern` returned last: consecutive ops mostly share one type, and comparing
    /// with it costs less than hashing.
    last: MetaId,
}

impl MetaTable {
    /// The id of `meta`, added when new. `None` when the table holds `u32::MAX` distinct
    /// metas (no graph gets there before it runs out of ops).
    pub fn intern(&mut self, meta: &TensorMeta) -> Option<MetaId> {
        if self.metas.get(self.last as usize) == Some(meta) {
            return Some(self.last);
        }
        let Self {
            metas, index, last, ..
        } = self;
        let hasher = rustc_hash::FxBuildHasher;
        let hash = hasher.hash_one(meta);
        let found = index.entry(
            hash,
            |&id| metas.get(id as usize) == Some(meta),
            |&id| metas.get(id as usize).map_or(0, |m| hasher.hash_one(m)),
        );
        match found {
            hashbrown::hash_table::Entry::Occupied(e) => *last = *e.get(),
            hashbrown::hash_table::Entry::Vacant(v) => {
                *last = MetaId::try_from(metas.len()).ok()?;
                metas.push(meta.clone());
                v.insert(*last);
            }
        }
        Some(*last)
    }

    /// The meta of `id`; ids come only from `intern` on this table.
    pub fn get(&self, id: MetaId) -> Option<&TensorMeta> {
        self.metas.get(id as usize)
    }

    pub fn len(&self) -> usize {
        self.metas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.metas.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::MetaTable;
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
    }
}
