"""``tf.nn.embedding_lookup`` and ``tf.sequence_mask``.

embedding_lookup follows TF's partition strategies for a list of shards. TF partitions the ids
with DynamicPartition and reassembles with DynamicStitch; symgrad gathers from every shard and
keeps each id's owner (see `_lookup_sharded`), which looks up the same rows.
"""

from __future__ import annotations

import builtins as _builtins
from typing import Any, Optional

from . import dtypes as _dtypes
from .array_ops import (concat, expand_dims, gather, identity, ones_like, reshape, shape,
                        zeros_like)
from .array_ops import rank as rank_of
from ._op_helpers import create_tensor
from .clip_ops import clip_by_norm
from .constant_op import constant, convert_to_tensor
from .framework import Tensor, name_scope
from .math_ops import (add_n, cast, equal, floordiv, floormod, greater_equal, less,
                       logical_and, maximum, range, reduce_max, subtract, where_v2)

__all__ = ["embedding_lookup", "sequence_mask"]


def _clip_rows(looked_up: Tensor, ids: Tensor, max_norm: Any) -> Tensor:
    """Clips each embedding (the dims after the ids' dims) to L2 norm `max_norm`, as TF."""
    if max_norm is None:
        return looked_up
    ids_rank, rank = ids.shape.rank, looked_up.shape.rank
    if ids_rank is None or rank is None:
        axes: Any = range(rank_of(ids), rank_of(looked_up))
    else:
        axes = list(_builtins.range(ids_rank, rank))
    return clip_by_norm(looked_up, max_norm, axes=axes)


def _lookup_sharded(shards: list[Tensor], ids: Tensor, partition_strategy: str) -> Tensor:
    """Each id looked up in the shard that holds it; the other shards contribute zeros.

    TF routes ids with DynamicPartition/DynamicStitch. Here every shard gathers at the local
    row of the ids it owns (row 0 for the others) and `where` keeps the owner's row, so each
    shard's gradient is an IndexedSlices that is zero away from its own ids. An id that no
    shard holds reaches a shard's gather out of range and fails there, as in TF.
    """
    n = len(shards)
    ends: list[Tensor] = []
    for s in shards:
        rows = shape(s, out_type=ids.dtype)[0]
        ends.append(rows if not ends else ends[-1] + rows)
    pieces = []
    for p, shard in enumerate(shards):
        if partition_strategy == "mod":
            owned = equal(floormod(ids, n), p)
            local = floordiv(ids, n)
        else:
            # Ids below the first shard or past the last go to that shard, whose gather then
            # rejects them.
            if p == 0:
                owned = less(ids, ends[0])
            elif p == n - 1:
                owned = greater_equal(ids, ends[p - 1])
            else:
                owned = logical_and(greater_equal(ids, ends[p - 1]), less(ids, ends[p]))
            local = subtract(ids, ends[p - 1]) if p else ids
        rows = gather(shard, where_v2(owned, local, zeros_like(local)))
        # The mask, shaped like the ids followed by ones, broadcasts over each row.
        trailing = ones_like(shape(rows)[rank_of(ids):])
        mask = reshape(owned, concat([shape(owned), trailing], 0))
        pieces.append(where_v2(mask, rows, zeros_like(rows)))
    return add_n(pieces)


def embedding_lookup(params: Any, ids: Any, partition_strategy: str = "mod",
                     name: Optional[str] = None, validate_indices: bool = True,
                     max_norm: Any = None) -> Tensor:
    """Rows of `params` (a tensor, or a list of shards of one table) at `ids`."""
    del validate_indices  # TF ignores it too: ids are always checked
    if params is None:
        raise ValueError("params must be specified")
    if isinstance(params, (list, tuple)) and not params:
        raise ValueError("Length of params is currently 0. Need at least one param.")
    shards = list(params) if isinstance(params, (list, tuple)) else [params]
    if partition_strategy not in ("mod", "div"):
        raise ValueError(
            f"Unrecognized partition strategy: {partition_strategy}. Must be one of either "
            "`mod` or `div`.")
    with name_scope(name, "embedding_lookup", shards + [ids]) as scope:
        tensors = [convert_to_tensor(p, name="params") for p in shards]
        tids = convert_to_tensor(ids, name="ids")
        if len(tensors) == 1:
            return _clip_rows(gather(tensors[0], tids, name=scope or None), tids, max_norm)
        looked_up = _lookup_sharded(tensors, tids, partition_strategy)
        return _clip_rows(identity(looked_up, name=scope or None), tids, max_norm)


def sequence_mask(lengths: Any, maxlen: Any = None, dtype: Any = _dtypes.bool,
                  name: Optional[str] = None) -> Tensor:
    """``mask[i..., j] = j < lengths[i...]`` for ``j`` in ``[0, maxlen)``."""
    with name_scope(name, "SequenceMask", [lengths, maxlen]):
        tlengths = convert_to_tensor(lengths)
        if maxlen is None:
            tmax = reduce_max(tlengths)
            tmax = maximum(constant(0, tmax.dtype), tmax)
        else:
            tmax = convert_to_tensor(maxlen)
        if tmax.shape.rank is not None and tmax.shape.rank != 0:
            raise ValueError(
                "Argument `maxlen` must be scalar for sequence_mask, received `maxlen` = "
                f"{tmax} with shape '{tmax.shape}' instead")
        # gen_math_ops._range in TF: a `Range` op by that name.
        row_vector = create_tensor(
            "Range", [constant(0, tmax.dtype), tmax, constant(1, tmax.dtype)],
            {}, "Range")
        # gen_math_ops.cast in TF: a Cast op even when the dtypes already agree.
        column = expand_dims(tlengths, -1)
        with name_scope(None, "Cast") as cast_scope:
            matrix = create_tensor("Cast", [column],
                                   {"DstT": tmax.dtype.name, "Truncate": False}, cast_scope)
        result = less(row_vector, matrix)
        if dtype is None or _dtypes.as_dtype(dtype) == result.dtype:
            return result
        return cast(result, dtype)
