"""``tf.data.experimental``: the TF 1 era transformations that became ``Dataset`` methods,
as ``apply`` functions."""

from __future__ import annotations

from typing import Any, Callable, Optional

from .dataset_ops import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, DatasetV1

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "unbatch",
           "shuffle_and_repeat", "map_and_batch", "parallel_interleave", "enumerate_dataset"]

Transformation = Callable[[DatasetV1], DatasetV1]


def unbatch() -> Transformation:
    """``dataset.apply(unbatch())`` is ``dataset.unbatch()``."""
    return lambda dataset: dataset.unbatch()


def shuffle_and_repeat(buffer_size: Any, count: Any = None, seed: Optional[int] = None
                       ) -> Transformation:
    """``shuffle(buffer_size, seed)`` then ``repeat(count)``, reshuffled each epoch."""
    return lambda dataset: dataset.shuffle(buffer_size, seed).repeat(count)


def map_and_batch(map_func: Callable[..., Any], batch_size: Any,
                  num_parallel_batches: Any = None, drop_remainder: bool = False,
                  num_parallel_calls: Any = None) -> Transformation:
    """``map(map_func)`` then ``batch(batch_size, drop_remainder)``."""
    return lambda dataset: dataset.map(map_func).batch(batch_size, drop_remainder)


def parallel_interleave(map_func: Callable[..., Any], cycle_length: Any, block_length: Any = 1,
                        sloppy: bool = False, buffer_output_elements: Any = None,
                        prefetch_input_elements: Any = None) -> Transformation:
    """``interleave(map_func, cycle_length, block_length)``; always in the deterministic
    order (``sloppy`` only allows TF another order)."""
    return lambda dataset: dataset.interleave(map_func, cycle_length, block_length)


def enumerate_dataset(start: Any = 0) -> Transformation:
    """``dataset.apply(enumerate_dataset(start))`` is ``dataset.enumerate(start)``."""
    return lambda dataset: dataset.enumerate(start)
