"""TF 1 queue-based input: ``limit_epochs``, the input producers
(``string_input_producer``, ``range_input_producer``, ``slice_input_producer``,
``input_producer``) and batching (``batch``, ``batch_join``, ``shuffle_batch``,
``shuffle_batch_join``), built as TF builds them: queues filled by ``QueueRunner``s that
``start_queue_runners`` starts, a ``fraction_of_<capacity>_full`` summary per queue, and
``num_epochs`` counted in a local variable ``epochs`` (run ``local_variables_initializer``).
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .. import dtypes as _dtypes
from .. import errors
from ..constant_op import constant, convert_to_tensor
from ..data_flow_ops import FIFOQueue, PaddingFIFOQueue, RandomShuffleQueue
from ..framework import Tensor, control_dependencies, name_scope
from ..tensor_shape import TensorShape
from .queue_runner import QueueRunner, add_queue_runner

__all__ = ["match_filenames_once", "limit_epochs", "input_producer", "string_input_producer", "range_input_producer",
           "slice_input_producer", "batch", "batch_join", "shuffle_batch",
           "shuffle_batch_join", "maybe_batch", "maybe_batch_join", "maybe_shuffle_batch",
           "maybe_shuffle_batch_join"]


def _count_up_to(variable: Any, limit: int) -> Tensor:
    """The variable's value before adding one to it; ``OutOfRangeError`` "Reached limit of
    <limit>" once it has reached ``limit``, as TF's ``CountUpTo``."""
    from ..data.iterator_ops import _host_op
    from ..variables import assign_add

    def check(arrays: list[np.ndarray]) -> list[np.ndarray]:
        value = np.asarray(arrays[0])
        if int(value) >= limit:
            raise errors.OutOfRangeError(None, None, f"Reached limit of {limit}")
        return [value]

    with name_scope(None, "CountUpTo", []) as scope:
        value = convert_to_tensor(variable)
        checked: Tensor = _host_op("CountUpTo", [value], [value.dtype], check,
                                   scope=scope).outputs[0]
        checked.set_shape([])
        with control_dependencies([checked]):
            increment = assign_add(variable, constant(1, dtype=value.dtype))
    with control_dependencies([increment]):
        from ..array_ops import identity
        return identity(checked)


def limit_epochs(tensor: Any, num_epochs: Optional[int] = None, name: Optional[str] = None
                 ) -> Tensor:
    """``tensor``, and ``OutOfRangeError`` after it has been evaluated ``num_epochs`` times."""
    from ..array_ops import identity
    from ..variables import GraphKeys, Variable
    if num_epochs is None:
        return tensor  # type: ignore[no-any-return]
    if num_epochs <= 0:
        raise ValueError(f"num_epochs must be > 0 not {num_epochs}.")
    with name_scope(name, "limit_epochs", [tensor] if isinstance(tensor, Tensor) else []
                    ) as scope:
        zero64 = constant(0, dtype=_dtypes.int64)
        epochs = Variable(zero64, name="epochs", trainable=False,
                          collections=[GraphKeys.LOCAL_VARIABLES])
        counter = _count_up_to(epochs, int(num_epochs))
        with control_dependencies([counter]):
            return identity(tensor, name=scope)


def match_filenames_once(pattern: Any, name: Optional[str] = None) -> Any:
    """The files matching ``pattern`` (a glob or a vector of them), sorted: a local string
    variable named ``matching_filenames``, set from ``MatchingFiles`` when
    ``local_variables_initializer()`` runs, as in TF."""
    from ..io_ops import matching_files
    from ..variables import GraphKeys, Variable
    with name_scope(name, "matching_filenames", [pattern] if isinstance(pattern, Tensor)
                    else []) as scope:
        return Variable(name=scope, initial_value=matching_files(pattern), trainable=False,
                        validate_shape=False, collections=[GraphKeys.LOCAL_VARIABLES])


def _fraction_summary(queue: Any, capacity: int, summary_name: str) -> None:
    from .. import summary
    from ..math_ops import cast
    summary.scalar(summary_name, cast(queue.size(), _dtypes.float32) * (1.0 / capacity))


def input_producer(input_tensor: Any, element_shape: Any = None,
                   num_epochs: Optional[int] = None, shuffle: bool = True,
                   seed: Optional[int] = None, capacity: int = 32, shared_name: Any = None,
                   summary_name: Optional[str] = None, name: Optional[str] = None,
                   cancel_op: Any = None) -> FIFOQueue:
    """A queue the rows of ``input_tensor`` are enqueued into, shuffled each epoch when
    ``shuffle``, for ``num_epochs`` epochs (forever when ``None``)."""
    from ..random_ops import random_shuffle
    with name_scope(name, "input_producer", [input_tensor] if isinstance(
            input_tensor, Tensor) else []) as scope:
        input_tensor = convert_to_tensor(input_tensor, name="input_tensor")
        static = input_tensor.shape
        rows = TensorShape(None) if static.rank is None else TensorShape(static.as_list()[1:])
        element = rows.merge_with(TensorShape(element_shape)) if element_shape is not None \
            else rows
        if not element.is_fully_defined():
            raise ValueError("Either `input_tensor` must have a fully defined shape or "
                             "`element_shape` must be specified")
        if shuffle:
            if input_tensor.dtype == _dtypes.string:
                # The core's RandomShuffle kernel has no string dtype: shuffle the row
                # indices instead (the same permutations for the same seeds).
                from ..array_ops import gather, shape
                from ..math_ops import range as range_
                order = random_shuffle(range_(shape(input_tensor)[0]), seed=seed)
                input_tensor = gather(input_tensor, order)
            else:
                input_tensor = random_shuffle(input_tensor, seed=seed)
        input_tensor = limit_epochs(input_tensor, num_epochs)
        queue = FIFOQueue(capacity, [input_tensor.dtype], shapes=[element],
                          shared_name=shared_name, name=scope)
        enqueue = queue.enqueue_many([input_tensor])
        add_queue_runner(QueueRunner(queue, [enqueue], cancel_op=cancel_op))
        if summary_name is not None:
            _fraction_summary(queue, capacity, summary_name)
        return queue


def string_input_producer(string_tensor: Any, num_epochs: Optional[int] = None,
                          shuffle: bool = True, seed: Optional[int] = None, capacity: int = 32,
                          shared_name: Any = None, name: Optional[str] = None,
                          cancel_op: Any = None) -> FIFOQueue:
    """A queue of the strings (file names) of ``string_tensor``."""
    from ..array_ops import identity, size
    from ..check_ops import Assert
    from ..math_ops import greater
    from ..variables import Variable
    not_null_err = "string_input_producer requires a non-null input tensor"
    symbolic = isinstance(string_tensor, (Tensor, Variable))
    if not symbolic and not np.size(np.asarray(string_tensor, dtype=object)):
        raise ValueError(not_null_err)
    with name_scope(name, "input_producer", [string_tensor] if symbolic else []) as scope:
        string_tensor = convert_to_tensor(string_tensor, dtype=_dtypes.string)
        with control_dependencies([Assert(greater(size(string_tensor), 0), [not_null_err])]):
            string_tensor = identity(string_tensor)
        return input_producer(string_tensor, element_shape=[], num_epochs=num_epochs,
                              shuffle=shuffle, seed=seed, capacity=capacity,
                              shared_name=shared_name, name=scope,
                              summary_name=f"fraction_of_{capacity}_full", cancel_op=cancel_op)


def range_input_producer(limit: Any, num_epochs: Optional[int] = None, shuffle: bool = True,
                         seed: Optional[int] = None, capacity: int = 32,
                         shared_name: Any = None, name: Optional[str] = None) -> FIFOQueue:
    """A queue of the integers ``0 .. limit-1``."""
    from ..math_ops import range as range_
    with name_scope(name, "input_producer", [limit] if isinstance(limit, Tensor) else []
                    ) as scope:
        range_tensor = range_(limit)
        return input_producer(range_tensor, [], num_epochs, shuffle, seed, capacity,
                              shared_name, f"fraction_of_{capacity}_full", scope)


def slice_input_producer(tensor_list: Any, num_epochs: Optional[int] = None,
                         shuffle: bool = True, seed: Optional[int] = None, capacity: int = 32,
                         shared_name: Any = None, name: Optional[str] = None) -> list[Tensor]:
    """One row of every tensor of ``tensor_list`` (rows taken together) per evaluation."""
    from ..array_ops import gather, shape
    with name_scope(name, "input_producer", [t for t in tensor_list
                                             if isinstance(t, Tensor)]):
        tensors = [convert_to_tensor(t) for t in tensor_list]
        if not tensors:
            raise ValueError("Expected at least one tensor in slice_input_producer().")
        range_size = shape(tensors[0])[0]
        queue = range_input_producer(range_size, num_epochs=num_epochs, shuffle=shuffle,
                                     seed=seed, capacity=capacity, shared_name=shared_name)
        index = queue.dequeue()
        return [gather(t, index) for t in tensors]


# ----- batching -------------------------------------------------------------------------------
def _flat(tensors: Any) -> list[Any]:
    if isinstance(tensors, dict):
        return [tensors[k] for k in sorted(tensors)]
    if isinstance(tensors, (list, tuple)):
        return list(tensors)
    return [tensors]


def _as_original_type(original: Any, dequeued: Any) -> Any:
    flat = dequeued if isinstance(dequeued, list) else [dequeued]
    if isinstance(original, dict):
        return dict(zip(sorted(original), flat))
    if isinstance(original, (list, tuple)):
        return flat[0] if len(flat) == 1 else flat
    return flat[0]


def _queue_shapes(tensor_lists: list[list[Tensor]], shapes: Any, enqueue_many: bool,
                  dynamic_pad: bool) -> list[TensorShape]:
    if shapes is not None:
        return [TensorShape(s) for s in shapes]
    merged: list[TensorShape] = []
    for i, first in enumerate(tensor_lists[0]):
        shape = first.shape
        for other in tensor_lists[1:]:
            shape = shape.merge_with(other[i].shape)
        if enqueue_many:
            shape = TensorShape(None) if shape.rank is None else \
                TensorShape(shape.as_list()[1:])
        merged.append(shape)
    if not dynamic_pad and not all(s.is_fully_defined() for s in merged):
        raise ValueError(f"All shapes must be fully defined: {merged}")
    return merged


def _keep_input(keep_input: Any, enqueue_many: bool) -> Tensor:
    """``keep_input`` as a bool tensor, with TF's checks of its rank."""
    keep = convert_to_tensor(keep_input)
    if keep.shape.ndims is None:
        raise ValueError("`keep_input` dimensions must be known at graph construction.")
    if not enqueue_many and keep.shape.ndims == 1:
        raise ValueError("`keep_input` cannot be a vector when `enqueue_many=False`.")
    if keep.shape.ndims > 1:
        raise ValueError("`keep_input` must be 0 or 1 dimensions.")
    return keep


def _enqueue_kept(queue: Any, group: list[Tensor], enqueue_many: bool, keep: Tensor) -> Any:
    """The enqueue of ``group``, skipped where ``keep`` is False: a vector ``keep`` masks
    the rows (``enqueue_many``), a scalar one conditions the enqueue (TF's ``smart_cond``:
    a constant True enqueues plainly)."""
    from ..cond_ops import cond
    from ..control_flow_ops import no_op
    from ..math_ops import cast
    from ..partition_ops import dynamic_partition
    from ..static_value import get_static_value
    enqueue = queue.enqueue_many if enqueue_many else queue.enqueue
    if keep.shape.ndims == 1:
        # TF's `_select_which_to_enqueue`: the kept rows are partition 1 of 2.
        select = cast(keep, _dtypes.int32)
        return enqueue([dynamic_partition(t, select, num_partitions=2)[1] for t in group])
    static = get_static_value(keep)
    if static is not None:
        return enqueue(group) if bool(static) else no_op()
    return cond(keep, lambda: enqueue(group), no_op)


def _batch(tensors_list: list[Any], original: Any, batch_size: Any, capacity: int,
           enqueue_many: bool, shapes: Any, dynamic_pad: bool, allow_smaller_final_batch: bool,
           shared_name: Any, name: Optional[str], default_name: str, threads: int,
           shuffle: Optional[tuple[int, Optional[int]]], keep_input: Any = True) -> Any:
    from ..sparse_tensor import SparseTensor
    if any(isinstance(t, SparseTensor) for group in tensors_list for t in _flat(group)):
        raise TypeError("symgrad's queue-based batching does not take SparseTensors; batch "
                        "their dense form (tf.sparse.to_dense) or use tf.data")
    flat_inputs = [t for group in tensors_list for t in _flat(group) if isinstance(t, Tensor)]
    with name_scope(name, default_name, flat_inputs) as scope:
        groups = [[convert_to_tensor(t) for t in _flat(group)] for group in tensors_list]
        keep = _keep_input(keep_input, enqueue_many)
        if not groups or not groups[0]:
            raise ValueError("Expected at least one tensor in batch().")
        types = [t.dtype for t in groups[0]]
        for group in groups[1:]:
            if [t.dtype for t in group] != types:
                raise TypeError(f"Expected types to be consistent: {types} vs. "
                                f"{[t.dtype for t in group]}.")
        queue_shapes = _queue_shapes(groups, shapes, enqueue_many, dynamic_pad)
        if shuffle is not None:
            min_after_dequeue, seed = shuffle
            queue: Any = RandomShuffleQueue(capacity, min_after_dequeue, types,
                                            shapes=queue_shapes, seed=seed,
                                            shared_name=shared_name)
        elif dynamic_pad:
            queue = PaddingFIFOQueue(capacity, types, shapes=queue_shapes,
                                     shared_name=shared_name)
        else:
            queue = FIFOQueue(capacity, types, shapes=queue_shapes, shared_name=shared_name)
        enqueue_ops = [_enqueue_kept(queue, group, enqueue_many, keep)
                       for group in groups] * threads
        add_queue_runner(QueueRunner(queue, enqueue_ops))
        if shuffle is None:
            _fraction_summary(queue, capacity, f"fraction_of_{capacity}_full")
        else:
            from .. import summary
            from ..math_ops import cast, maximum
            min_after_dequeue = shuffle[0]
            room = capacity - min_after_dequeue
            full = cast(maximum(0, queue.size() - min_after_dequeue),
                        _dtypes.float32) * (1.0 / room)
            summary.scalar(f"fraction_over_{min_after_dequeue}_of_{room}_full", full)
        if allow_smaller_final_batch:
            dequeued = queue.dequeue_up_to(batch_size, name=scope)
        else:
            dequeued = queue.dequeue_many(batch_size, name=scope)
        return _as_original_type(original, dequeued)


def batch(tensors: Any, batch_size: Any, num_threads: int = 1, capacity: int = 32,
          enqueue_many: bool = False, shapes: Any = None, dynamic_pad: bool = False,
          allow_smaller_final_batch: bool = False, shared_name: Any = None,
          name: Optional[str] = None) -> Any:
    """Batches of ``batch_size`` elements of ``tensors`` (a list, tuple, dict or tensor),
    through a queue filled by ``num_threads`` threads."""
    return _batch([tensors], tensors, batch_size, capacity, enqueue_many, shapes, dynamic_pad,
                  allow_smaller_final_batch, shared_name, name, "batch", int(num_threads),
                  None)


def batch_join(tensors_list: Any, batch_size: Any, capacity: int = 32,
               enqueue_many: bool = False, shapes: Any = None, dynamic_pad: bool = False,
               allow_smaller_final_batch: bool = False, shared_name: Any = None,
               name: Optional[str] = None) -> Any:
    """As ``batch``, with one enqueuing thread per entry of ``tensors_list``."""
    return _batch(list(tensors_list), tensors_list[0], batch_size, capacity, enqueue_many,
                  shapes, dynamic_pad, allow_smaller_final_batch, shared_name, name,
                  "batch_join", 1, None)


def shuffle_batch(tensors: Any, batch_size: Any, capacity: int, min_after_dequeue: int,
                  num_threads: int = 1, seed: Optional[int] = None, enqueue_many: bool = False,
                  shapes: Any = None, allow_smaller_final_batch: bool = False,
                  shared_name: Any = None, name: Optional[str] = None) -> Any:
    """Batches of elements drawn at random from a ``RandomShuffleQueue`` that keeps at least
    ``min_after_dequeue`` elements until the input ends."""
    return _batch([tensors], tensors, batch_size, capacity, enqueue_many, shapes, False,
                  allow_smaller_final_batch, shared_name, name, "shuffle_batch",
                  int(num_threads), (int(min_after_dequeue), seed))


def shuffle_batch_join(tensors_list: Any, batch_size: Any, capacity: int,
                       min_after_dequeue: int, seed: Optional[int] = None,
                       enqueue_many: bool = False, shapes: Any = None,
                       allow_smaller_final_batch: bool = False, shared_name: Any = None,
                       name: Optional[str] = None) -> Any:
    """As ``shuffle_batch``, with one enqueuing thread per entry of ``tensors_list``."""
    return _batch(list(tensors_list), tensors_list[0], batch_size, capacity, enqueue_many,
                  shapes, False, allow_smaller_final_batch, shared_name, name,
                  "shuffle_batch_join", 1, (int(min_after_dequeue), seed))


def maybe_batch(tensors: Any, keep_input: Any, batch_size: Any, num_threads: int = 1,
                capacity: int = 32, enqueue_many: bool = False, shapes: Any = None,
                dynamic_pad: bool = False, allow_smaller_final_batch: bool = False,
                shared_name: Any = None, name: Optional[str] = None) -> Any:
    """``batch`` of the elements for which ``keep_input`` holds (a bool scalar, or with
    ``enqueue_many`` a vector over the rows)."""
    return _batch([tensors], tensors, batch_size, capacity, enqueue_many, shapes, dynamic_pad,
                  allow_smaller_final_batch, shared_name, name, "batch", int(num_threads),
                  None, keep_input)


def maybe_batch_join(tensors_list: Any, keep_input: Any, batch_size: Any, capacity: int = 32,
                     enqueue_many: bool = False, shapes: Any = None, dynamic_pad: bool = False,
                     allow_smaller_final_batch: bool = False, shared_name: Any = None,
                     name: Optional[str] = None) -> Any:
    """``batch_join`` of the elements for which ``keep_input`` holds."""
    return _batch(list(tensors_list), tensors_list[0], batch_size, capacity, enqueue_many,
                  shapes, dynamic_pad, allow_smaller_final_batch, shared_name, name,
                  "batch_join", 1, None, keep_input)


def maybe_shuffle_batch(tensors: Any, batch_size: Any, capacity: int, min_after_dequeue: int,
                        keep_input: Any, num_threads: int = 1, seed: Optional[int] = None,
                        enqueue_many: bool = False, shapes: Any = None,
                        allow_smaller_final_batch: bool = False, shared_name: Any = None,
                        name: Optional[str] = None) -> Any:
    """``shuffle_batch`` of the elements for which ``keep_input`` holds."""
    return _batch([tensors], tensors, batch_size, capacity, enqueue_many, shapes, False,
                  allow_smaller_final_batch, shared_name, name, "shuffle_batch",
                  int(num_threads), (int(min_after_dequeue), seed), keep_input)


def maybe_shuffle_batch_join(tensors_list: Any, batch_size: Any, capacity: int,
                             min_after_dequeue: int, keep_input: Any,
                             seed: Optional[int] = None, enqueue_many: bool = False,
                             shapes: Any = None, allow_smaller_final_batch: bool = False,
                             shared_name: Any = None, name: Optional[str] = None) -> Any:
    """``shuffle_batch_join`` of the elements for which ``keep_input`` holds."""
    return _batch(list(tensors_list), tensors_list[0], batch_size, capacity, enqueue_many,
                  shapes, False, allow_smaller_final_batch, shared_name, name,
                  "shuffle_batch_join", 1, (int(min_after_dequeue), seed), keep_input)
