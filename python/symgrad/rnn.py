"""TF 1's RNN drivers: ``static_rnn``, ``static_bidirectional_rnn``, ``dynamic_rnn``,
``bidirectional_dynamic_rnn`` and ``raw_rnn`` (``tensorflow/python/ops/rnn.py``).

``dynamic_rnn`` is one ``while_loop`` over the time steps (scope ``rnn/while``). TF writes
each step's output to a ``TensorArray``; here the loop's ``While`` op collects them itself (as
``map_fn`` does, ``WhileOp::collected``), so the outputs and their gradients are those of the
loop. Past a sequence's length the output is zero and the state is copied through (``Select``
on ``time >= sequence_length``), as TF's ``_rnn_step``.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Optional

import numpy as np

from . import dtypes as _dtypes
from .array_ops import (concat, gather, identity, pad, rank, reverse, shape as _shape, stack,
                        transpose, unstack, zeros)
from .constant_op import constant, convert_to_tensor
from .framework import Tensor, control_dependencies, get_default_graph
from ._nn_math import reduce_all
from .math_ops import (cast, equal, greater_equal, less, maximum, minimum, range as _range,
                       reduce_max, where)
from .rnn_cell import (_concat_shape, _flatten, _is_nested, _pack_as, assert_like_rnncell)
from .tensor_shape import TensorShape
from .variables import VariableScope, variable_scope

__all__ = ["static_rnn", "static_bidirectional_rnn", "dynamic_rnn", "bidirectional_dynamic_rnn",
           "raw_rnn"]


@contextlib.contextmanager
def _rnn_scope(scope: Any, default: str) -> Iterator[VariableScope]:
    """``variable_scope(scope or default)``; a ``VariableScope`` object re-enters its own name
    scope, as TF does (``bidirectional_rnn/fw/while``, not ``.../fw/fw/while``)."""
    if isinstance(scope, VariableScope):
        with variable_scope(scope, auxiliary_name_scope=False) as entered:
            with get_default_graph().name_scope(scope.original_name_scope or None):
                yield entered
        return
    with variable_scope(scope or default) as entered:
        yield entered


def _transpose_batch_time(x: Tensor) -> Tensor:
    """Swaps axes 0 and 1 (batch and time) of a rank >= 2 tensor, as TF builds it."""
    static = x.shape
    if static.rank is not None and static.rank < 2:
        return x
    x_rank = rank(x)
    x_t = transpose(x, concat(([1, 0], _range(2, x_rank)), axis=0))
    if static.rank is not None:
        dims = static.as_list()
        x_t.set_shape([dims[1], dims[0]] + dims[2:])
    return x_t


def _best_effort_input_batch_size(flat_input: list[Tensor]) -> Any:
    """The batch size (axis 1 of time-major inputs): an int when known, else a tensor."""
    for value in flat_input:
        shape = value.shape
        if shape.rank is None:
            continue
        if shape.rank < 2:
            raise ValueError("Input tensor should have rank >= 2. Received input="
                             f"{value} of rank {shape.rank}")
        batch = shape.as_list()[1]
        if batch is not None:
            return batch
    return _shape(flat_input[0])[1]


def _infer_state_dtype(explicit_dtype: Any, state: Any) -> Any:
    if explicit_dtype is not None:
        return _dtypes.as_dtype(explicit_dtype)
    if _is_nested(state):
        found = [element.dtype for element in _flatten(state)]
        if not found:
            raise ValueError(f"Unable to infer dtype from argument state={state}.")
        if any(d != found[0] for d in found):
            raise ValueError(
                f"Argument state={state} has tensors of different inferred dtypes. Unable to "
                "infer a single representative dtype. Dtypes received: "
                f"{found}")
        return found[0]
    return state.dtype


def _initial_state(cell: Any, initial_state: Any, batch_size: Any, dtype: Any) -> Any:
    if initial_state is not None:
        return initial_state
    if not dtype:
        raise ValueError("If no initial_state is provided, argument `dtype` must be specified")
    if getattr(cell, "get_initial_state", None) is not None:
        return cell.get_initial_state(inputs=None, batch_size=batch_size, dtype=dtype)
    return cell.zero_state(batch_size, dtype)


def _rnn_step(time: Any, sequence_length: Tensor, zero_output: Any, state: Any,
              call_cell: Callable[[], Any]) -> tuple[Any, Any]:
    """One step with TF's copy-through: where ``time >= sequence_length`` the output is
    zero and the state is the previous one (``Select`` per batch row)."""
    from .while_ops import _structure_error
    flat_state = _flatten(state)
    flat_zero_output = _flatten(zero_output)
    copy_cond = greater_equal(time, sequence_length)
    new_output, new_state = call_cell()
    for a, b in ((zero_output, new_output), (state, new_state)):
        problem = _structure_error(a, b)
        if problem is not None:
            raise ValueError(problem)

    def copy_one_through(old: Tensor, new: Tensor) -> Tensor:
        if old.shape.rank == 0:
            return new
        result = where(copy_cond, old, new)
        result.set_shape(old.shape)
        return result

    final_output = [copy_one_through(z, o)
                    for z, o in zip(flat_zero_output, _flatten(new_output))]
    final_state = [copy_one_through(s, n) for s, n in zip(flat_state, _flatten(new_state))]
    return _pack_as(zero_output, final_output), _pack_as(state, final_state)


def _zero_output(cell: Any, batch_size: Any, dtype: Any) -> Any:
    static_batch = batch_size if isinstance(batch_size, int) else None

    def one(size: Any) -> Tensor:
        value = zeros(_concat_shape(batch_size, size), dtype)
        dims = _concat_shape([static_batch], size, static=True)
        if dims is not None:
            value.set_shape(dims)
        return value

    flat = [one(size) for size in _flatten(cell.output_size)]
    return _pack_as(cell.output_size, flat)


# ----- static_rnn -----

def static_rnn(cell: Any, inputs: Any, initial_state: Any = None, dtype: Any = None,
               sequence_length: Any = None, scope: Any = None) -> tuple[list[Any], Any]:
    """The cell unrolled over the list ``inputs`` (one ``[batch, depth]`` tensor per step)."""
    assert_like_rnncell("cell", cell)
    if not _is_nested(inputs):
        raise TypeError(f"Argument `inputs` must be a sequence. Received: {inputs}")
    if not inputs:
        raise ValueError("Argument `inputs` must not be empty.")
    outputs: list[Any] = []
    with _rnn_scope(scope, "rnn") as varscope:
        first_input = inputs
        while _is_nested(first_input):
            first_input = first_input[0]
        first_input = convert_to_tensor(first_input)
        if first_input.shape.rank != 1:
            fixed_batch = _batch_dim(first_input)
            for flat_input in _flatten(inputs):
                flat_input = convert_to_tensor(flat_input)
                dims = _dims_at_least(flat_input, 2)
                if dims is not None:
                    if (fixed_batch is not None and dims[0] is not None
                            and fixed_batch != dims[0]):
                        raise ValueError(f"Dimensions {fixed_batch} and {dims[0]} are not "
                                         "compatible")
                    for i, size in enumerate(dims[1:]):
                        if size is None:
                            raise ValueError(
                                f"Input size (dimension {i} of input {flat_input}) must be "
                                "accessible via shape inference, but saw value None.")
        else:
            fixed_batch = _batch_dim(first_input)
        batch_size = fixed_batch if fixed_batch else _shape(first_input)[0]
        state = _initial_state(cell, initial_state, batch_size, dtype)
        zero_output: Any = None
        if sequence_length is not None:
            sequence_length = convert_to_tensor(sequence_length, name="sequence_length")
            if sequence_length.shape.rank not in (None, 1):
                raise ValueError("Argument `sequence_length` must be a vector of length "
                                 f"{batch_size}. Received sequence_length={sequence_length}.")
            zero_output = _zero_output(cell, batch_size, _infer_state_dtype(dtype, state))
            sequence_length = cast(sequence_length, _dtypes.int32)
        for time, input_ in enumerate(inputs):
            if time > 0:
                varscope.reuse_variables()

            def call_cell(input_: Any = input_, state: Any = state) -> Any:
                return cell(input_, state)

            if sequence_length is not None:
                output, state = _rnn_step(time, sequence_length, zero_output, state, call_cell)
            else:
                output, state = call_cell()
            outputs.append(output)
        return outputs, state


def _dims_at_least(t: Tensor, n: int) -> Optional[list[Any]]:
    if t.shape.rank is None:
        return None
    if t.shape.rank < n:
        raise ValueError(f"Shape {t.shape} must have rank at least {n}")
    return t.shape.as_list()


def _batch_dim(t: Tensor) -> Any:
    dims = _dims_at_least(t, 1)
    return None if dims is None else dims[0]


def _reverse_seq(input_seq: list[Any], lengths: Any) -> list[Any]:
    """The list of steps reversed; with ``lengths``, each sequence's first ``lengths[b]``
    steps only (``ReverseSequence`` on the stacked steps)."""
    from .layout_ops import reverse_sequence
    if lengths is None:
        return list(reversed(input_seq))
    flat_seq = [_flatten(x) for x in input_seq]
    results: list[list[Any]] = [[] for _ in input_seq]
    for sequence in zip(*flat_seq):
        sequence = tuple(convert_to_tensor(s) for s in sequence)
        shape = TensorShape(None) if sequence[0].shape.rank is None else TensorShape(
            [None] * sequence[0].shape.rank)
        for s in sequence:
            shape = shape.merge_with(s.shape)
        joined = stack(list(sequence))
        reversed_ = reverse_sequence(joined, lengths, 0, 1)
        for r, out in zip(unstack(reversed_, num=len(sequence)), results):
            r.set_shape(shape)
            out.append(r)
    return [_pack_as(x, r) for x, r in zip(input_seq, results)]


def static_bidirectional_rnn(cell_fw: Any, cell_bw: Any, inputs: Any,
                             initial_state_fw: Any = None, initial_state_bw: Any = None,
                             dtype: Any = None, sequence_length: Any = None,
                             scope: Any = None) -> tuple[list[Any], Any, Any]:
    """``static_rnn`` forwards (scope ``fw``) and over the reversed steps (``bw``), the two
    outputs of each step concatenated."""
    assert_like_rnncell("cell_fw", cell_fw)
    assert_like_rnncell("cell_bw", cell_bw)
    if not _is_nested(inputs):
        raise TypeError(f"Argument `inputs` must be a sequence. Received: {inputs}")
    if not inputs:
        raise ValueError("Argument `inputs` must not be empty.")
    with _rnn_scope(scope, "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            output_fw, state_fw = static_rnn(cell_fw, inputs, initial_state_fw, dtype,
                                             sequence_length, scope=fw_scope)
        with variable_scope("bw") as bw_scope:
            reversed_inputs = _reverse_seq(inputs, sequence_length)
            tmp, state_bw = static_rnn(cell_bw, reversed_inputs, initial_state_bw, dtype,
                                       sequence_length, scope=bw_scope)
    output_bw = _reverse_seq(tmp, sequence_length)
    flat = [concat([fw, bw], 1) for fw, bw in zip(_flatten(output_fw), _flatten(output_bw))]
    return _pack_as(output_fw, flat), state_fw, state_bw


# ----- dynamic_rnn -----

def dynamic_rnn(cell: Any, inputs: Any, sequence_length: Any = None, initial_state: Any = None,
                dtype: Any = None, parallel_iterations: Optional[int] = None,
                swap_memory: bool = False, time_major: bool = False,
                scope: Any = None) -> tuple[Any, Any]:
    """The cell run over ``inputs`` (``[batch, time, ...]``, or ``[time, batch, ...]`` with
    ``time_major``) by a ``while_loop``; returns ``(outputs, final_state)``."""
    assert_like_rnncell("cell", cell)
    with _rnn_scope(scope, "rnn"):
        flat_input = [convert_to_tensor(x) for x in _flatten(inputs)]
        if not time_major:
            flat_input = [_transpose_batch_time(x) for x in flat_input]
        parallel_iterations = parallel_iterations or 32
        if sequence_length is not None:
            sequence_length = cast(sequence_length, _dtypes.int32)
            if sequence_length.shape.rank not in (None, 1):
                raise ValueError(
                    "Argument sequence_length must be a vector of length batch_size. "
                    f"Received sequence_length={sequence_length} of shape: "
                    f"{sequence_length.shape}")
            sequence_length = identity(sequence_length, name="sequence_length")
        batch_size = _best_effort_input_batch_size(flat_input)
        state = _initial_state(cell, initial_state, batch_size, dtype)
        if sequence_length is not None and not get_default_graph()._is_eager:
            from .check_ops import Assert
            x_shape = _shape(sequence_length)
            packed = stack([batch_size])
            check = Assert(reduce_all(equal(x_shape, packed)), [
                f"Expected shape for Tensor {sequence_length.name} is ", packed,
                " but saw shape: ", x_shape])
            with control_dependencies([check]):
                sequence_length = identity(sequence_length, name="CheckSeqLen")
        packed_inputs = _pack_as(inputs, flat_input)
        outputs, final_state = _dynamic_rnn_loop(cell, packed_inputs, state,
                                                 parallel_iterations, sequence_length, dtype)
        if not time_major:
            outputs = _pack_as(outputs, [_transpose_batch_time(o) for o in _flatten(outputs)])
        return outputs, final_state


def _dynamic_rnn_loop(cell: Any, inputs: Any, initial_state: Any, parallel_iterations: int,
                      sequence_length: Optional[Tensor], dtype: Any) -> tuple[Any, Any]:
    from .while_ops import _build_while
    state = initial_state
    flat_input = _flatten(inputs)
    flat_output_size = _flatten(cell.output_size)
    time_steps = _shape(flat_input[0])[0]
    batch_size = _best_effort_input_batch_size(flat_input)
    shapes = []
    for x in flat_input:
        dims = _dims_at_least(x, 3)
        shapes.append(TensorShape(dims))
    const_time_steps, const_batch_size = (shapes[0].as_list()[:2] if shapes[0].rank is not None
                                          else (None, None))
    for x, s in zip(flat_input, shapes):
        if s.rank is None:
            continue
        dims = s.as_list()
        if any(d is None for d in dims[2:]):
            raise ValueError("Input size (depth of inputs) must be accessible via shape "
                             f"inference, but saw value None for input={x}.")
        if const_time_steps != dims[0]:
            raise ValueError("Time steps is not the same for all the elements in the input in "
                             f"a batch. Received time steps={dims[0]} for input={x}.")
        if const_batch_size != dims[1]:
            raise ValueError("Batch_size is not the same for all the elements in the input. "
                             f"Received batch size={dims[1]} for input={x}.")
    state_dtype = _infer_state_dtype(dtype, state)
    zero_output = _zero_output(cell, batch_size, state_dtype)
    if sequence_length is not None:
        max_sequence_length: Any = reduce_max(sequence_length)
    else:
        max_sequence_length = time_steps
    time = constant(0, dtype=_dtypes.int32, name="time")
    loop_bound = minimum(time_steps, maximum(1, max_sequence_length))

    def step(time: Tensor, state: Any) -> tuple[Any, Any]:
        input_t = [gather(x, time) for x in flat_input]
        for value, s in zip(input_t, shapes):
            if s.rank is not None:
                value.set_shape(s.as_list()[1:])
        packed = _pack_as(inputs, input_t)

        def call_cell() -> Any:
            return cell(packed, state)

        if sequence_length is not None:
            return _rnn_step(time, sequence_length, zero_output, state, call_cell)
        return call_cell()

    def body(time: Tensor, state: Any) -> tuple[list[Any], list[Any]]:
        output, new_state = step(time, state)
        return [time + 1, new_state], _flatten(output)

    if get_default_graph()._is_eager:
        # TF runs the steps in Python when executing eagerly.
        final_state = state
        rows = []
        for t in range(int(np.asarray(time_steps.numpy()))):  # type: ignore[attr-defined]
            output, final_state = step(constant(t), final_state)
            rows.append(_flatten(output))
        collected = [stack([row[k] for row in rows]) if rows
                     else zeros(concat([[0], _shape(z)], 0), z.dtype)
                     for k, z in enumerate(_flatten(zero_output))]
    else:
        (_, final_state), collected = _build_while(
            lambda time, state: less(time, loop_bound), body, [time, state], None,
            parallel_iterations, None, time_steps, collect=True)
    final_outputs = []
    for output, size in zip(collected, flat_output_size):
        if sequence_length is not None:
            # The loop stops after the longest sequence; TF's TensorArray then holds zeros
            # for the steps never written.
            missing = time_steps - _shape(output)[0]
            paddings = [[0, missing]] + [[0, 0]] * (output.shape.rank - 1
                                                   if output.shape.rank is not None else 0)
            output = pad(output, stack([stack(p) for p in paddings]))
        static = _concat_shape([const_time_steps, const_batch_size], size, static=True)
        if static is not None:
            output.set_shape(static)
        final_outputs.append(output)
    return _pack_as(cell.output_size, final_outputs), final_state


def bidirectional_dynamic_rnn(cell_fw: Any, cell_bw: Any, inputs: Any,
                              sequence_length: Any = None, initial_state_fw: Any = None,
                              initial_state_bw: Any = None, dtype: Any = None,
                              parallel_iterations: Optional[int] = None,
                              swap_memory: bool = False, time_major: bool = False,
                              scope: Any = None) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """``dynamic_rnn`` forwards (scope ``fw``) and over the time-reversed inputs (``bw``, each
    sequence reversed within its length); returns ``((out_fw, out_bw), (state_fw, state_bw))``
    with ``out_bw`` reversed back."""
    from .layout_ops import reverse_sequence
    assert_like_rnncell("cell_fw", cell_fw)
    assert_like_rnncell("cell_bw", cell_bw)
    time_axis, batch_axis = (0, 1) if time_major else (1, 0)

    def _reverse(x: Any) -> Tensor:
        if sequence_length is not None:
            return reverse_sequence(input=x, seq_lengths=sequence_length, seq_axis=time_axis,
                                    batch_axis=batch_axis)
        return reverse(x, axis=[time_axis])

    with _rnn_scope(scope, "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            output_fw, state_fw = dynamic_rnn(
                cell_fw, inputs, sequence_length=sequence_length,
                initial_state=initial_state_fw, dtype=dtype,
                parallel_iterations=parallel_iterations, swap_memory=swap_memory,
                time_major=time_major, scope=fw_scope)
        with variable_scope("bw") as bw_scope:
            inputs_reverse = _pack_as(inputs, [_reverse(x) for x in _flatten(inputs)])
            tmp, state_bw = dynamic_rnn(
                cell_bw, inputs_reverse, sequence_length=sequence_length,
                initial_state=initial_state_bw, dtype=dtype,
                parallel_iterations=parallel_iterations, swap_memory=swap_memory,
                time_major=time_major, scope=bw_scope)
    output_bw = _reverse(tmp)
    return (output_fw, output_bw), (state_fw, state_bw)


def raw_rnn(cell: Any, loop_fn: Callable[..., Any], parallel_iterations: Optional[int] = None,
            swap_memory: bool = False, scope: Any = None) -> tuple[Any, Any, Any]:
    """The cell driven by ``loop_fn(time, cell_output, cell_state, loop_state)``, which gives
    ``(finished, next_input, next_state, emit_output, next_loop_state)``; runs until every
    batch entry is finished. Returns ``(emit_ta, final_state, final_loop_state)``, the emitted
    outputs in ``TensorArray``s."""
    from .math_ops import logical_not, logical_or
    from .tensor_array_ops import TensorArray
    from .while_ops import while_loop
    assert_like_rnncell("cell", cell)
    if not callable(loop_fn):
        raise TypeError(f"Argument `loop_fn` must be a callable. Received: {loop_fn}.")
    parallel_iterations = parallel_iterations or 32
    with _rnn_scope(scope, "rnn"):
        time = constant(0, dtype=_dtypes.int32)
        (elements_finished, next_input, initial_state, emit_structure,
         init_loop_state) = loop_fn(time, None, None, None)
        flat_input = [convert_to_tensor(x) for x in _flatten(next_input)]
        loop_state = (init_loop_state if init_loop_state is not None
                      else constant(0, dtype=_dtypes.int32))
        static_batch = _batch_dim(flat_input[0])
        for x in flat_input[1:]:
            other = _batch_dim(x)
            if static_batch is not None and other is not None and other != static_batch:
                raise ValueError(f"Dimensions {static_batch} and {other} are not compatible")
        batch_size: Any = static_batch if static_batch is not None else _shape(flat_input[0])[0]
        from .while_ops import _structure_error
        problem = _structure_error(initial_state, cell.state_size)
        if problem is not None:
            raise ValueError(problem)
        flat_state = [convert_to_tensor(s) for s in _flatten(initial_state)]
        state = _pack_as(initial_state, flat_state)
        if emit_structure is not None:
            flat_emit = [convert_to_tensor(e) for e in _flatten(emit_structure)]
            flat_emit_size: list[Any] = [e.shape if e.shape.is_fully_defined() else _shape(e)
                                         for e in flat_emit]
            flat_emit_dtypes = [e.dtype for e in flat_emit]
        else:
            emit_structure = cell.output_size
            flat_emit_size = _flatten(emit_structure)
            flat_emit_dtypes = [flat_state[0].dtype] * len(flat_emit_size)
        flat_emit_ta = []
        for i, (dt, size) in enumerate(zip(flat_emit_dtypes, flat_emit_size)):
            elem = _concat_shape(static_batch, size if not isinstance(size, Tensor)
                                 else TensorShape(None), static=True)
            flat_emit_ta.append(TensorArray(dtype=dt, dynamic_size=True, size=0,
                                            element_shape=elem, name=f"rnn_output_{i}"))
        emit_ta = _pack_as(emit_structure, flat_emit_ta)
        zero_emit = _pack_as(emit_structure, [
            zeros(_concat_shape(batch_size, size), dt)
            for size, dt in zip(flat_emit_size, flat_emit_dtypes)])

        def condition(unused_time: Any, finished: Tensor, *_: Any) -> Tensor:
            return logical_not(reduce_all(finished))

        def body(time: Tensor, finished: Tensor, current_input: Any, emit_ta: Any, state: Any,
                 loop_state: Any) -> tuple[Any, ...]:
            next_output, cell_state = cell(current_input, state)
            next_time = time + 1
            (next_finished, next_input, next_state, emit_output,
             next_loop_state) = loop_fn(next_time, next_output, cell_state, loop_state)
            loop_state = loop_state if next_loop_state is None else next_loop_state

            def copy_through(current: Any, candidate: Any) -> Any:
                def one(cur: Any, cand: Any) -> Any:
                    if isinstance(cur, TensorArray) or cur.shape.rank == 0:
                        return cand
                    return where(finished, cur, cand)
                return _pack_as(current, [one(c, d) for c, d in
                                          zip(_flatten(current), _flatten(candidate))])

            emit_output = copy_through(zero_emit, emit_output)
            next_state = copy_through(state, next_state)
            emit_ta = _pack_as(emit_ta, [ta.write(time, e) for ta, e in
                                         zip(_flatten(emit_ta), _flatten(emit_output))])
            finished = logical_or(finished, next_finished)
            return (next_time, finished, next_input, emit_ta, next_state, loop_state)

        returned = while_loop(condition, body,
                              loop_vars=[time, elements_finished, next_input, emit_ta, state,
                                         loop_state],
                              parallel_iterations=parallel_iterations,
                              swap_memory=swap_memory)
        emit_ta, final_state, final_loop_state = returned[-3:]
        if init_loop_state is None:
            final_loop_state = None
        return emit_ta, final_state, final_loop_state
