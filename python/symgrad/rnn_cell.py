"""``tf.nn.rnn_cell`` (``tf.compat.v1.nn.rnn_cell``): TF 1's RNN cells as TF 2.21 builds them
in graph mode (the legacy cells in ``tensorflow/python/keras/layers/legacy_rnn``).

A cell is a legacy layer (``symgrad.layers.Layer``): on its first call it opens its variable
scope (``basic_lstm_cell``, ``gru_cell``, ... inside the caller's scope, e.g.
``rnn/basic_lstm_cell``) and makes its variables there with ``get_variable``, so names, shapes,
initializers and reuse follow TF (``rnn/basic_lstm_cell/kernel``,
``rnn/multi_rnn_cell/cell_0/gru_cell/gates/bias``). Variables are made outside any loop or
cond being traced (TF makes them in ``init_scope``), so a cell may first be called inside
``dynamic_rnn``'s loop.
"""

from __future__ import annotations

import hashlib
import numbers
from typing import Any, Callable, NamedTuple, Optional

import numpy as np

from . import dtypes as _dtypes
from ._lifting import lifted
from .array_ops import concat, expand_dims, slice as _slice, split, zeros
from .constant_op import constant, convert_to_tensor
from .framework import Tensor, get_default_graph, name_scope
from .layers import InputSpec, Layer, _check_input
from .math_ops import add, divide, floor, matmul, multiply, sigmoid, tanh
from .tensor_shape import TensorShape, as_shape
from .variables import (Variable, constant_initializer, get_variable_scope, variable_scope,
                        zeros_initializer)

__all__ = [
    "RNNCell", "BasicRNNCell", "BasicLSTMCell", "LSTMCell", "GRUCell", "LSTMStateTuple",
    "MultiRNNCell", "DropoutWrapper", "ResidualWrapper", "DeviceWrapper",
]

_WEIGHTS = "kernel"
_BIAS = "bias"


def _flatten(structure: Any) -> list[Any]:
    from .cond_ops import _flatten as flatten
    return flatten(structure)


def _pack_as(structure: Any, flat: list[Any]) -> Any:
    from .cond_ops import _pack_as as pack
    return pack(structure, flat)


def _is_nested(value: Any) -> bool:
    return isinstance(value, (list, tuple, dict))


def _map_structure(fn: Callable[..., Any], *structures: Any) -> Any:
    flats = [_flatten(s) for s in structures]
    return _pack_as(structures[0], [fn(*items) for items in zip(*flats)])


def _has(obj: Any, attr: str) -> bool:
    try:
        getattr(obj, attr)
    except AttributeError:
        return False
    return True


def assert_like_rnncell(cell_name: str, cell: Any) -> None:
    """TF's check that ``cell`` quacks like an RNNCell (``TypeError`` naming what is missing)."""
    conditions = [
        (_has(cell, "output_size"), "'output_size' property is missing"),
        (_has(cell, "state_size"), "'state_size' property is missing"),
        (_has(cell, "get_initial_state") or _has(cell, "zero_state"),
         "either 'zero_state' or 'get_initial_state' method is required"),
        (callable(cell), "is not callable"),
    ]
    missing = [text for ok, text in conditions if not ok]
    if missing:
        raise TypeError(f"The argument {cell_name!r} ({cell}) is not an RNNCell: "
                        f"{', '.join(missing)}.")


def _check_supported_dtypes(dtype: Any) -> None:
    if dtype is None:
        return
    dt = _dtypes.as_dtype(dtype)
    if not dt.is_floating:
        raise ValueError("RNN cell only supports floating point inputs, but received dtype: "
                         f"{dt}")


def _check_rnn_cell_input_dtypes(values: Any) -> None:
    for t in _flatten(values):
        _check_supported_dtypes(t.dtype)


def _activation(activation: Any) -> Callable[[Tensor], Tensor]:
    if not activation:
        return tanh
    if isinstance(activation, str):
        from . import nn
        fn = getattr(nn, activation, None)
        if fn is None or not callable(fn):
            raise ValueError(f"Unknown activation function: {activation}")
        return fn  # type: ignore[no-any-return]
    if not callable(activation):
        raise TypeError(f"Could not interpret activation function identifier: {activation}")
    return activation  # type: ignore[no-any-return]


def _concat_shape(prefix: Any, suffix: Any, static: bool = False) -> Any:
    """TF's ``rnn_cell_impl._concat``: ``prefix + suffix`` as an int32 shape tensor, or with
    ``static`` as a list of dims (``None`` where unknown)."""
    def part(value: Any, what: str) -> tuple[Optional[Tensor], Optional[list[Any]]]:
        if isinstance(value, Tensor):
            known = _constant_value(value)
            if value.shape.rank == 0:
                scalar = None if static else expand_dims(value, 0)
                return scalar, [None if known is None else int(known)]
            if value.shape.rank != 1:
                raise ValueError(f"{what} tensor must be either a scalar or vector, but saw "
                                 f"tensor: {value}")
            if known is not None:
                return value, [int(d) for d in known]
            length = value.shape.as_list()[0]
            # Unknown values of known count: dims unknown but the rank known (what TF's shape
            # inference of the resulting Fill gives).
            return value, (None if length is None else [None] * length)
        shape = TensorShape(value) if not isinstance(value, TensorShape) else value
        dims = shape.as_list() if shape.rank is not None else None
        if static or not shape.is_fully_defined():
            return None, dims
        return constant(dims, dtype=_dtypes.int32), dims

    p, p_static = part(prefix, "prefix")
    s, s_static = part(suffix, "suffix")
    if static:
        if p_static is None or s_static is None:
            return None
        return list(p_static) + list(s_static)
    if p is None or s is None:
        raise ValueError(f"Provided a prefix or suffix of None: {prefix} and {suffix}")
    return concat((p, s), 0)


def _zero_state_tensors(state_size: Any, batch_size: Any, dtype: Any) -> Any:
    def one(size: Any) -> Tensor:
        value = zeros(_concat_shape(batch_size, size), dtype=dtype)
        static = _concat_shape(batch_size, size, static=True)
        if static is not None:
            value.set_shape(static)
        return value

    return _map_structure(one, state_size)


def _constant_value(t: Tensor) -> Any:
    """The value of a ``Const`` tensor, else None (TF's ``constant_value``, for constants)."""
    if t.op.type == "Const":
        return np.asarray(t.op.get_attr("value"))
    return None


class RNNCell(Layer):
    """An RNN cell: ``(output, new_state) = cell(inputs, state)``, with ``state_size``,
    ``output_size`` and ``zero_state``."""

    def __init__(self, trainable: bool = True, name: Optional[str] = None, dtype: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(trainable=trainable, name=name, dtype=dtype, **kwargs)
        self._is_tf_rnn_cell = True
        self._rnncell_scope: Any = None

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> Any:
        if scope is not None:
            with variable_scope(scope) as entered:
                return self._layer_call(inputs, state, entered)
        if self._rnncell_scope is None:
            # TF caches the caller's variable scope at the first call and re-enters it, name
            # scope included (``static_rnn``'s ops read ``rnn/gru_cell/add``).
            graph = get_default_graph()
            self._rnncell_scope = (get_variable_scope(), graph._native.name_scope())
        vscope, name_scope_text = self._rnncell_scope
        with variable_scope(vscope, auxiliary_name_scope=False):
            with get_default_graph().name_scope(name_scope_text or None):
                return self._layer_call(inputs, state, None)

    def _layer_call(self, inputs: Any, state: Any, scope: Any) -> Any:
        """The legacy ``Layer.__call__`` for a cell: its scope, ``build`` once, ``call``."""
        self._set_scope(scope)
        graph = get_default_graph()
        with variable_scope(self._scope, reuse=True if self.built else self._reuse,
                            auxiliary_name_scope=False):
            with graph.name_scope(self._name_scope_text):
                if not _is_nested(inputs) and not isinstance(inputs, Tensor):
                    inputs = convert_to_tensor(inputs, dtype=self._dtype)
                flat_inputs = _flatten(inputs)
                if self._dtype is None and flat_inputs:
                    self._dtype = convert_to_tensor(flat_inputs[0]).dtype.base_dtype
                if isinstance(inputs, Tensor):
                    _check_input(self.name, self.input_spec, inputs)
                known = set(id(v) for v in graph.get_collection("variables"))
                if not self.built:
                    with lifted():
                        self.build(_shapes_of(inputs))
                    self.built = True
                outputs = self.call(inputs, state)
                self._track_new_variables(graph, known)
        return outputs

    def _track_new_variables(self, graph: Any, known: set[int]) -> None:
        """Variables that ``call`` made with ``get_variable`` belong to the cell (TF tracks
        them through a custom getter)."""
        owned = set(id(v) for v in self._trainable_weights + self._non_trainable_weights)
        trainable = set(id(v) for v in graph.get_collection("trainable_variables"))
        for v in graph.get_collection("variables"):
            if id(v) in known or id(v) in owned:
                continue
            if id(v) in trainable:
                self._trainable_weights.append(v)
            else:
                self._non_trainable_weights.append(v)

    @property
    def state_size(self) -> Any:
        raise NotImplementedError("Abstract method")

    @property
    def output_size(self) -> Any:
        raise NotImplementedError("Abstract method")

    def build(self, input_shape: Any) -> None:
        pass

    def call(self, inputs: Any, state: Any) -> Any:  # type: ignore[override]
        raise NotImplementedError("Abstract method")

    def add_variable(self, name: str, shape: Any, dtype: Any = None, initializer: Any = None,
                     **kwargs: Any) -> Variable:
        """TF's deprecated alias of ``add_weight``."""
        return self.add_weight(name, shape, dtype=dtype, initializer=initializer, **kwargs)

    def get_initial_state(self, inputs: Any = None, batch_size: Any = None,
                          dtype: Any = None) -> Any:
        if inputs is not None:
            inputs = convert_to_tensor(inputs, name="inputs")
            static_batch = inputs.shape.as_list()[0] if inputs.shape.rank else None
            if batch_size is not None:
                wanted = (_constant_value(batch_size) if isinstance(batch_size, Tensor)
                          else batch_size)
                if static_batch != wanted:
                    raise ValueError(
                        "batch size from input tensor is different from the input param. "
                        f"Input tensor batch: {static_batch}, batch_size: {batch_size}")
            if dtype is not None and inputs.dtype is not _dtypes.as_dtype(dtype):
                raise ValueError(
                    "dtype from input tensor is different from the input param. Input "
                    f"tensor dtype: {inputs.dtype}, dtype: {_dtypes.as_dtype(dtype)}")
            from .array_ops import shape as _shape
            batch_size = static_batch or _shape(inputs)[0]
            dtype = inputs.dtype
        if batch_size is None or dtype is None:
            raise ValueError(
                "batch_size and dtype cannot be None while constructing initial state: "
                f"batch_size={batch_size}, dtype={dtype}")
        return self.zero_state(batch_size, dtype)

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        """Zeros shaped ``[batch_size, s]`` for each ``s`` in ``state_size``."""
        with name_scope(type(self).__name__ + "ZeroState"):
            return _zero_state_tensors(self.state_size, batch_size, dtype)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "trainable": self.trainable,
                "dtype": None if self.dtype is None else self.dtype.name}


def _shapes_of(inputs: Any) -> Any:
    if isinstance(inputs, Tensor):
        return inputs.shape
    return _map_structure(lambda t: convert_to_tensor(t).shape, inputs)


def _last_dim(input_shape: Any) -> int:
    shape = as_shape(input_shape)
    dims = shape.as_list() if shape.rank is not None else None
    if not dims or dims[-1] is None:
        raise ValueError("Expected inputs.shape[-1] to be known, received shape: "
                         f"{tuple(dims) if dims is not None else None}")
    return int(dims[-1])


class LayerRNNCell(RNNCell):
    """A cell whose variables are made in ``build`` (all of TF's built-in cells)."""


class _UnitsCell(LayerRNNCell):
    """What TF's built-in cells share: ``num_units``, an activation, rank-2 float inputs, and
    ``state_size``/``output_size`` set by each cell."""

    def __init__(self, num_units: int, activation: Any, reuse: Any, name: Optional[str],
                 dtype: Any, **kwargs: Any) -> None:
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        _check_supported_dtypes(self.dtype)
        self.input_spec = InputSpec(ndim=2)
        self._num_units = num_units
        self._activation = _activation(activation)
        self._state_size: Any = num_units
        self._output_size = num_units

    @property
    def state_size(self) -> Any:
        return self._state_size

    @property
    def output_size(self) -> int:
        return self._output_size

    def _input_depth(self, inputs_shape: Any) -> int:
        depth = _last_dim(inputs_shape)
        _check_supported_dtypes(self.dtype)
        return depth


class BasicRNNCell(_UnitsCell):
    """``output = new_state = activation(W [inputs, state] + b)``."""

    def __init__(self, num_units: int, activation: Any = None, reuse: Any = None,
                 name: Optional[str] = None, dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(num_units, activation, reuse, name, dtype, **kwargs)

    def build(self, inputs_shape: Any) -> None:
        depth = self._input_depth(inputs_shape)
        self._kernel = self.add_variable(_WEIGHTS, shape=[depth + self._num_units,
                                                          self._num_units])
        self._bias = self.add_variable(_BIAS, shape=[self._num_units],
                                       initializer=zeros_initializer(dtype=self.dtype))
        self.built = True

    def call(self, inputs: Any, state: Any) -> Any:  # type: ignore[override]
        from .nn import bias_add
        _check_rnn_cell_input_dtypes([inputs, state])
        gate_inputs = matmul(concat([inputs, state], 1), self._kernel)
        gate_inputs = bias_add(gate_inputs, self._bias)
        output = self._activation(gate_inputs)
        return output, output


class GRUCell(_UnitsCell):
    """Gated recurrent unit (Cho et al. 2014): gates ``r, u``, candidate ``c``,
    ``new_h = u * h + (1 - u) * c``."""

    def __init__(self, num_units: int, activation: Any = None, reuse: Any = None,
                 kernel_initializer: Any = None, bias_initializer: Any = None,
                 name: Optional[str] = None, dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(num_units, activation, reuse, name, dtype, **kwargs)
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer

    def build(self, inputs_shape: Any) -> None:
        depth = self._input_depth(inputs_shape)
        n = self._num_units
        dt = self.dtype or _dtypes.float32
        self._gate_kernel = self.add_variable(f"gates/{_WEIGHTS}", shape=[depth + n, 2 * n],
                                              initializer=self._kernel_initializer)
        self._gate_bias = self.add_variable(
            f"gates/{_BIAS}", shape=[2 * n],
            initializer=(self._bias_initializer if self._bias_initializer is not None
                         else constant_initializer(1.0, dtype=dt)))
        self._candidate_kernel = self.add_variable(f"candidate/{_WEIGHTS}",
                                                   shape=[depth + n, n],
                                                   initializer=self._kernel_initializer)
        self._candidate_bias = self.add_variable(
            f"candidate/{_BIAS}", shape=[n],
            initializer=(self._bias_initializer if self._bias_initializer is not None
                         else zeros_initializer(dtype=dt)))
        self.built = True

    def call(self, inputs: Any, state: Any) -> Any:  # type: ignore[override]
        from .nn import bias_add
        _check_rnn_cell_input_dtypes([inputs, state])
        gate_inputs = matmul(concat([inputs, state], 1), self._gate_kernel)
        gate_inputs = bias_add(gate_inputs, self._gate_bias)
        value = sigmoid(gate_inputs)
        r, u = split(value=value, num_or_size_splits=2, axis=1)
        r_state = r * state
        candidate = matmul(concat([inputs, r_state], 1), self._candidate_kernel)
        candidate = bias_add(candidate, self._candidate_bias)
        c = self._activation(candidate)
        new_h = u * state + (1 - u) * c
        return new_h, new_h


class _LSTMStateTupleBase(NamedTuple):
    c: Any
    h: Any



class LSTMStateTuple(_LSTMStateTupleBase):
    """``(c, h)``: an LSTM cell's state (memory and output)."""

    __slots__ = ()

    @property
    def dtype(self) -> Any:
        c, h = self
        if c.dtype != h.dtype:
            raise TypeError(f"Inconsistent internal state: {c.dtype} vs {h.dtype}")
        return c.dtype


class BasicLSTMCell(_UnitsCell):
    """The basic LSTM cell (Zaremba et al. 2014): gates ``i, j, f, o`` from one kernel,
    ``forget_bias`` added to ``f``."""

    def __init__(self, num_units: int, forget_bias: float = 1.0, state_is_tuple: bool = True,
                 activation: Any = None, reuse: Any = None, name: Optional[str] = None,
                 dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(num_units, activation, reuse, name, dtype, **kwargs)
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._state_size = (LSTMStateTuple(num_units, num_units) if state_is_tuple
                            else 2 * num_units)

    def build(self, inputs_shape: Any) -> None:
        depth = self._input_depth(inputs_shape)
        n = self._num_units
        self._kernel = self.add_variable(_WEIGHTS, shape=[depth + n, 4 * n])
        self._bias = self.add_variable(_BIAS, shape=[4 * n],
                                       initializer=zeros_initializer(dtype=self.dtype))
        self.built = True

    def call(self, inputs: Any, state: Any) -> Any:  # type: ignore[override]
        from .nn import bias_add
        _check_rnn_cell_input_dtypes([inputs, state])
        one = constant(1, dtype=_dtypes.int32)
        if self._state_is_tuple:
            c, h = state
        else:
            c, h = split(value=state, num_or_size_splits=2, axis=one)
        gate_inputs = matmul(concat([inputs, h], 1), self._kernel)
        gate_inputs = bias_add(gate_inputs, self._bias)
        i, j, f, o = split(value=gate_inputs, num_or_size_splits=4, axis=one)
        forget_bias = constant(self._forget_bias, dtype=f.dtype)
        new_c = add(multiply(c, sigmoid(add(f, forget_bias))),
                    multiply(sigmoid(i), self._activation(j)))
        new_h = multiply(self._activation(new_c), sigmoid(o))
        new_state: Any = (LSTMStateTuple(new_c, new_h) if self._state_is_tuple
                          else concat([new_c, new_h], 1))
        return new_h, new_state


class LSTMCell(_UnitsCell):
    """The LSTM cell with optional peepholes, cell clipping and an output projection
    (Hochreiter & Schmidhuber 1997; Sak et al. 2014)."""

    def __init__(self, num_units: int, use_peepholes: bool = False, cell_clip: Any = None,
                 initializer: Any = None, num_proj: Optional[int] = None, proj_clip: Any = None,
                 num_unit_shards: Any = None, num_proj_shards: Any = None,
                 forget_bias: float = 1.0, state_is_tuple: bool = True, activation: Any = None,
                 reuse: Any = None, name: Optional[str] = None, dtype: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(num_units, activation, reuse, name, dtype, **kwargs)
        if num_unit_shards is not None or num_proj_shards is not None:
            raise NotImplementedError(
                "symgrad has no partitioned variables: num_unit_shards and num_proj_shards "
                "are not supported")
        self._use_peepholes = use_peepholes
        self._cell_clip = cell_clip
        self._initializer = initializer
        self._num_proj = num_proj
        self._proj_clip = proj_clip
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        h = num_proj if num_proj else num_units
        self._state_size = (LSTMStateTuple(num_units, h) if state_is_tuple
                            else num_units + h)
        self._output_size = h

    def build(self, inputs_shape: Any) -> None:
        depth = self._input_depth(inputs_shape)
        n = self._num_units
        h_depth = n if self._num_proj is None else self._num_proj
        self._kernel = self.add_variable(_WEIGHTS, shape=[depth + h_depth, 4 * n],
                                         initializer=self._initializer)
        self._bias = self.add_variable(_BIAS, shape=[4 * n],
                                       initializer=zeros_initializer(dtype=self.dtype))
        if self._use_peepholes:
            self._w_f_diag = self.add_variable("w_f_diag", shape=[n],
                                               initializer=self._initializer)
            self._w_i_diag = self.add_variable("w_i_diag", shape=[n],
                                               initializer=self._initializer)
            self._w_o_diag = self.add_variable("w_o_diag", shape=[n],
                                               initializer=self._initializer)
        if self._num_proj is not None:
            self._proj_kernel = self.add_variable(f"projection/{_WEIGHTS}",
                                                  shape=[n, self._num_proj],
                                                  initializer=self._initializer)
        self.built = True

    def call(self, inputs: Any, state: Any) -> Any:  # type: ignore[override]
        from ._nn_math import clip_by_value
        from .nn import bias_add
        _check_rnn_cell_input_dtypes([inputs, state])
        n = self._num_units
        num_proj = n if self._num_proj is None else self._num_proj
        if self._state_is_tuple:
            c_prev, m_prev = state
        else:
            c_prev = _slice(state, [0, 0], [-1, n])
            m_prev = _slice(state, [0, n], [-1, num_proj])
        shape = inputs.shape
        if shape.rank is not None and shape.rank != 2:
            raise ValueError(f"Shape {shape} must have rank 2")
        if shape.rank is None or shape.as_list()[1] is None:
            raise ValueError("Could not infer input size from inputs.get_shape()[-1]."
                             f"Received input shape: {shape}")
        lstm_matrix = matmul(concat([inputs, m_prev], 1), self._kernel)
        lstm_matrix = bias_add(lstm_matrix, self._bias)
        i, j, f, o = split(value=lstm_matrix, num_or_size_splits=4, axis=1)
        if self._use_peepholes:
            c = (sigmoid(f + self._forget_bias + self._w_f_diag * c_prev) * c_prev
                 + sigmoid(i + self._w_i_diag * c_prev) * self._activation(j))
        else:
            c = sigmoid(f + self._forget_bias) * c_prev + sigmoid(i) * self._activation(j)
        if self._cell_clip is not None:
            c = clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            m = sigmoid(o + self._w_o_diag * c) * self._activation(c)
        else:
            m = sigmoid(o) * self._activation(c)
        if self._num_proj is not None:
            m = matmul(m, self._proj_kernel)
            if self._proj_clip is not None:
                m = clip_by_value(m, -self._proj_clip, self._proj_clip)
        new_state: Any = LSTMStateTuple(c, m) if self._state_is_tuple else concat([c, m], 1)
        return m, new_state


class MultiRNNCell(RNNCell):
    """Cells stacked in layers: the output of one is the input of the next, each under
    ``cell_<i>``."""

    def __init__(self, cells: Any, state_is_tuple: bool = True) -> None:
        super().__init__()
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        if not _is_nested(cells):
            raise TypeError(f"cells must be a list or tuple, but received: {cells}.")
        self._cells = list(cells)
        self._state_is_tuple = state_is_tuple
        if not state_is_tuple and any(_is_nested(c.state_size) for c in self._cells):
            raise ValueError("Some cells return tuples of states, but the flag state_is_tuple "
                             "is not set. State sizes are: "
                             f"{[c.state_size for c in self._cells]}")

    @property
    def state_size(self) -> Any:
        if self._state_is_tuple:
            return tuple(cell.state_size for cell in self._cells)
        return sum(cell.state_size for cell in self._cells)

    @property
    def output_size(self) -> Any:
        return self._cells[-1].output_size

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        with name_scope(type(self).__name__ + "ZeroState"):
            if self._state_is_tuple:
                return tuple(cell.zero_state(batch_size, dtype) for cell in self._cells)
            return _zero_state_tensors(self.state_size, batch_size, dtype)

    def _cells_weights(self, kind: str) -> list[Variable]:
        out: list[Variable] = []
        for cell in self._cells:
            if isinstance(cell, Layer):
                out += getattr(cell, kind)
        return out

    @property
    def trainable_weights(self) -> list[Variable]:
        return self._cells_weights("trainable_weights") if self.trainable else []

    @property
    def non_trainable_weights(self) -> list[Variable]:
        out = self._cells_weights("non_trainable_weights")
        if not self.trainable:
            return self._cells_weights("trainable_weights") + out
        return out

    # Layer's aliases name its own properties; these name the overrides.
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def call(self, inputs: Any, state: Any) -> Any:  # type: ignore[override]
        position = 0
        current = inputs
        new_states = []
        for i, cell in enumerate(self._cells):
            with variable_scope(f"cell_{i}"):
                if self._state_is_tuple:
                    if not _is_nested(state):
                        raise ValueError(f"Expected state to be a tuple of length "
                                         f"{len(self.state_size)}, but received: {state}")
                    cell_state = state[i]
                else:
                    cell_state = _slice(state, [0, position], [-1, cell.state_size])
                    position += cell.state_size
                current, new_state = cell(current, cell_state)
                new_states.append(new_state)
        return current, (tuple(new_states) if self._state_is_tuple
                         else concat(new_states, 1))


# ----- wrappers -----

class _RNNCellWrapper(RNNCell):
    """A cell around another cell: calls it directly, under the caller's scope (so the
    wrapped cell's variables are named as if unwrapped)."""

    def __init__(self, cell: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        assert_like_rnncell("cell", cell)
        self.cell = cell

    @property
    def wrapped_cell(self) -> Any:
        return self.cell

    @property
    def state_size(self) -> Any:
        return self.cell.state_size

    @property
    def output_size(self) -> Any:
        return self.cell.output_size

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        with name_scope(type(self).__name__ + "ZeroState"):
            return self.cell.zero_state(batch_size, dtype)

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> Any:
        return self._call_wrapped_cell(inputs, state, self.cell.__call__, scope=scope)

    def _call_wrapped_cell(self, inputs: Any, state: Any, cell_call_fn: Callable[..., Any],
                           **kwargs: Any) -> Any:
        raise NotImplementedError

    @property
    def trainable_weights(self) -> list[Variable]:
        return list(getattr(self.cell, "trainable_weights", []))

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return list(getattr(self.cell, "non_trainable_weights", []))

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights


def _default_dropout_state_filter_visitor(substate: Any) -> Any:
    if isinstance(substate, LSTMStateTuple):
        return LSTMStateTuple(c=False, h=True)
    from .tensor_array_ops import TensorArray
    if isinstance(substate, TensorArray):
        return False
    return True


def _children(node: Any) -> list[Any]:
    return [node[k] for k in sorted(node)] if isinstance(node, dict) else list(node)


def _filtered_leaves(values: Any, visitor: Callable[[Any], Any]) -> list[bool]:
    """Per leaf of ``values``: whether dropout applies, as TF's
    ``get_traverse_shallow_structure(visitor, values)`` decides: ``True`` for a node means
    traverse it (the visitor then sees its children), ``False`` leaves the whole node alone,
    and a structure of bools one level down decides per child."""
    out: list[bool] = []
    stack: list[tuple[bool, Any]] = [(True, values)]
    while stack:
        visit, node = stack.pop()
        if not visit:
            out.extend([False] * len(_flatten(node)))
            continue
        decision = visitor(node)
        if isinstance(decision, (bool, np.bool_)):
            if not decision:
                out.extend([False] * len(_flatten(node)))
            elif _is_nested(node):
                stack.extend((True, child) for child in reversed(_children(node)))
            else:
                out.append(True)
            continue
        if not _is_nested(node) or not _is_nested(decision) or len(decision) != len(node):
            raise ValueError(f"dropout_state_filter_visitor returned {decision} for {node}: "
                             "expected a bool or a structure of bools one level deep")
        picks = _children(decision)
        stack.extend((bool(pick), child)
                     for child, pick in reversed(list(zip(_children(node), picks))))
    return out


class DropoutWrapper(_RNNCellWrapper):
    """Dropout on a cell's inputs, outputs and state (``*_keep_prob``); with
    ``variational_recurrent`` one mask per sequence (Gal & Ghahramani 2016)."""

    def __init__(self, cell: Any, input_keep_prob: Any = 1.0, output_keep_prob: Any = 1.0,
                 state_keep_prob: Any = 1.0, variational_recurrent: bool = False,
                 input_size: Any = None, dtype: Any = None, seed: Optional[int] = None,
                 dropout_state_filter_visitor: Any = None, **kwargs: Any) -> None:
        super().__init__(cell, dtype=dtype, **kwargs)
        if (dropout_state_filter_visitor is not None
                and not callable(dropout_state_filter_visitor)):
            raise TypeError("dropout_state_filter_visitor must be callable. "
                            f"Received: {dropout_state_filter_visitor}")
        self._dropout_state_filter = (dropout_state_filter_visitor
                                      or _default_dropout_state_filter_visitor)
        with name_scope("DropoutWrapperInit"):
            for prob, attr in [(input_keep_prob, "input_keep_prob"),
                               (state_keep_prob, "state_keep_prob"),
                               (output_keep_prob, "output_keep_prob")]:
                tensor = convert_to_tensor(prob)
                known = _constant_value(tensor)
                if known is not None:
                    value = float(known)
                    if value < 0 or value > 1:
                        raise ValueError(f"Parameter {attr} must be between 0 and 1. "
                                         f"Received {value}")
                    setattr(self, f"_{attr}", value)
                else:
                    setattr(self, f"_{attr}", tensor)
        self._variational_recurrent = variational_recurrent
        self._input_size = input_size
        self._seed = seed
        self._recurrent_input_noise: Any = None
        self._recurrent_state_noise: Any = None
        self._recurrent_output_noise: Any = None
        if variational_recurrent:
            if dtype is None:
                raise ValueError("When variational_recurrent=True, dtype must be provided")
            input_keep = self._input_keep_prob  # type: ignore[attr-defined]
            if not isinstance(input_keep, numbers.Real) or input_keep < 1.0:
                if input_size is None:
                    raise ValueError(
                        "When variational_recurrent=True and input_keep_prob < 1.0 or is "
                        "unknown, input_size must be provided")
                self._recurrent_input_noise = self._noise(input_size, "input", dtype)
            self._recurrent_state_noise = self._noise(cell.state_size, "state", dtype)
            self._recurrent_output_noise = self._noise(cell.output_size, "output", dtype)

    def _noise(self, sizes: Any, salt: str, dtype: Any) -> Any:
        from .random_ops import random_uniform
        leaves = _flatten(sizes)
        noise = []
        for i, s in enumerate(leaves):
            dims = as_shape(s).as_list()
            shape = concat(([1], constant(dims, dtype=_dtypes.int32)), 0)
            noise.append(random_uniform(shape, seed=self._gen_seed(salt, i), dtype=dtype))
        return _pack_as(sizes, noise)

    def _gen_seed(self, salt_prefix: str, index: int) -> Optional[int]:
        """TF's per-tensor seed: md5 of the seed and a salt, so masks differ per tensor."""
        if self._seed is None:
            return None
        text = (str(self._seed) + f"{salt_prefix}_{index}").encode("utf-8")
        return int(hashlib.md5(text).hexdigest()[:8], 16) & 0x7FFFFFFF

    def build(self, inputs_shape: Any) -> None:
        self.cell.build(inputs_shape)
        self.built = True

    def _dropout(self, values: Any, salt: str, noise: Any, keep_prob: Any,
                 which: Optional[list[bool]] = None) -> Any:
        from .random_ops import dropout
        leaves = _flatten(values)
        noises = _flatten(noise) if noise is not None else [None] * len(leaves)
        if which is None:
            which = [True] * len(leaves)
        out = []
        for i, (v, n, do) in enumerate(zip(leaves, noises, which)):
            if not do:
                out.append(v)
            elif not self._variational_recurrent:
                out.append(dropout(v, rate=1.0 - keep_prob, seed=self._gen_seed(salt, i)))
            else:
                kept = floor(keep_prob + n)
                result = divide(v, keep_prob) * kept
                result.set_shape(v.shape)
                out.append(result)
        return _pack_as(values, out)

    def _call_wrapped_cell(self, inputs: Any, state: Any, cell_call_fn: Callable[..., Any],
                           **kwargs: Any) -> Any:
        def should_dropout(p: Any) -> bool:
            return not isinstance(p, float) or p < 1

        input_keep = self._input_keep_prob  # type: ignore[attr-defined]
        state_keep = self._state_keep_prob  # type: ignore[attr-defined]
        output_keep = self._output_keep_prob  # type: ignore[attr-defined]
        if should_dropout(input_keep):
            inputs = self._dropout(inputs, "input", self._recurrent_input_noise, input_keep)
        output, new_state = cell_call_fn(inputs, state, **kwargs)
        if should_dropout(state_keep):
            which = _filtered_leaves(new_state, self._dropout_state_filter)
            new_state = self._dropout(new_state, "state", self._recurrent_state_noise,
                                      state_keep, which)
        if should_dropout(output_keep):
            output = self._dropout(output, "output", self._recurrent_output_noise, output_keep)
        return output, new_state


class ResidualWrapper(_RNNCellWrapper):
    """Adds the cell's inputs to its outputs (or combines them with ``residual_fn``)."""

    def __init__(self, cell: Any, residual_fn: Any = None, **kwargs: Any) -> None:
        super().__init__(cell, **kwargs)
        self._residual_fn = residual_fn

    def _call_wrapped_cell(self, inputs: Any, state: Any, cell_call_fn: Callable[..., Any],
                           **kwargs: Any) -> Any:
        outputs, new_state = cell_call_fn(inputs, state, **kwargs)

        def default_residual_fn(inputs: Any, outputs: Any) -> Any:
            from .while_ops import _structure_error
            problem = _structure_error(inputs, outputs)
            if problem is not None:
                raise ValueError(problem)
            for inp, out in zip(_flatten(inputs), _flatten(outputs)):
                if not inp.shape.is_compatible_with(out.shape):
                    raise ValueError(f"Shapes {inp.shape} and {out.shape} are incompatible")
            return _map_structure(lambda inp, out: inp + out, inputs, outputs)

        return (self._residual_fn or default_residual_fn)(inputs, outputs), new_state


class DeviceWrapper(_RNNCellWrapper):
    """Runs the cell (and its zero state) under ``device(device)``."""

    def __init__(self, cell: Any, device: str, **kwargs: Any) -> None:
        super().__init__(cell, **kwargs)
        self._device = device

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        from .framework import device
        with name_scope(type(self).__name__ + "ZeroState"), device(self._device):
            return self.cell.zero_state(batch_size, dtype)

    def _call_wrapped_cell(self, inputs: Any, state: Any, cell_call_fn: Callable[..., Any],
                           **kwargs: Any) -> Any:
        from .framework import device
        with device(self._device):
            return cell_call_fn(inputs, state, **kwargs)
