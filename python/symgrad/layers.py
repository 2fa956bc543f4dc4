"""``tf.layers`` (``tf.compat.v1.layers``): TF 1's legacy layers as TF 2.21 (with tf_keras)
builds them in graph mode.

A layer owns a variable scope, opened on its first call (``dense``, ``dense_1``, ... or the
given ``name``); its variables are made there with ``get_variable`` (so ``reuse=`` and
enclosing variable scopes work as in TF) and every call builds its ops under the name scope
that the variable scope opened first (a second call of one layer object gives
``dense/MatMul_1``). Regularization losses land in ``REGULARIZATION_LOSSES`` and the batch
norm moving-average updates in ``UPDATE_OPS``, as TF puts them.

Deliberate differences from TF: BatchNormalization always builds the non-fused composition
(symgrad has no ``FusedBatchNormV3``); where TF would fuse (4-D input, channel axis 1 or 3) the
moving variance is updated with the Bessel-corrected batch variance as the fused kernel does,
so the values match. ``Dropout`` and BatchNormalization with a ``training`` tensor build a
``Switch``/``Merge`` cond rather than TF 2's functional ``If``.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Optional

import numpy as np

from . import dtypes as _dtypes
from . import nn
from .array_ops import expand_dims, reshape, shape as _shape, squeeze, stack, transpose
from .array_ops import concat, pad, strided_slice
from .cond_ops import cond
from .constant_op import constant, convert_to_tensor
from .framework import Tensor, get_default_graph, name_scope
from .math_ops import cast, greater_equal, matmul, multiply, realdiv, where_v2
from .nn_windows import _with_space_to_batch
from .random_ops import random_uniform
from .tensor_shape import TensorShape
from .variables import (GraphKeys, Variable, get_variable, ones_initializer, variable_scope,
                        zeros_initializer)

__all__ = [
    "Layer", "InputSpec", "Dense", "dense", "Conv1D", "conv1d", "Conv2D", "conv2d",
    "Conv2DTranspose", "conv2d_transpose", "SeparableConv2D", "separable_conv2d",
    "MaxPooling1D", "max_pooling1d", "MaxPooling2D", "max_pooling2d", "AveragePooling1D",
    "average_pooling1d", "AveragePooling2D", "average_pooling2d", "Flatten", "flatten",
    "Dropout", "dropout", "BatchNormalization", "batch_normalization",
    "Conv3D", "conv3d", "MaxPooling3D", "max_pooling3d", "AveragePooling3D",
    "average_pooling3d",
]


class InputSpec:
    """The rank constraints a layer puts on its input (TF's ``InputSpec``)."""

    def __init__(self, dtype: Any = None, shape: Any = None, ndim: Optional[int] = None,
                 max_ndim: Optional[int] = None, min_ndim: Optional[int] = None,
                 axes: Optional[dict[int, int]] = None) -> None:
        self.dtype = dtype
        self.shape = shape
        self.ndim = ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = axes or {}


def _snake_case(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def _static_bool(value: Any) -> Optional[bool]:
    """The value of ``training`` when known while building (TF's ``smart_cond`` folding)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return bool(value)
    if isinstance(value, Tensor) and value.op.type == "Const":
        return bool(np.asarray(value.op.get_attr("value")))
    return None


def _product(dims: list[Optional[int]]) -> int:
    """The number of elements of known dims (callers check that none is None)."""
    out = 1
    for d in dims:
        out *= d if d is not None else 0
    return out


def _smart_cond(pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any],
                name: Optional[str] = None) -> Any:
    static = _static_bool(pred)
    if static is not None:
        return true_fn() if static else false_fn()
    pred = convert_to_tensor(pred, name="training")
    if pred.dtype is not _dtypes.bool:
        raise TypeError(f"pred must not be a Python bool, got {pred.dtype.name} tensor")
    return cond(pred, true_fn, false_fn, name=name)


def _check_input(name: str, spec: Optional[InputSpec], x: Tensor) -> None:
    if spec is None:
        return
    rank = x.shape.rank
    if spec.ndim is not None and rank is not None and rank != spec.ndim:
        raise ValueError(f'Input 0 of layer "{name}" is incompatible with the layer: '
                         f"expected ndim={spec.ndim}, found ndim={rank}. "
                         f"Full shape received: {tuple(x.shape.as_list())}")
    if spec.min_ndim is not None and rank is not None and rank < spec.min_ndim:
        raise ValueError(f'Input 0 of layer "{name}" is incompatible with the layer: '
                         f"expected min_ndim={spec.min_ndim}, found ndim={rank}. "
                         f"Full shape received: {tuple(x.shape.as_list())}")
    if rank is not None:
        dims = x.shape.as_list()
        for axis, value in spec.axes.items():
            got = dims[axis]
            if got is not None and got != value:
                raise ValueError(
                    f'Input 0 of layer "{name}" is incompatible with the layer: expected '
                    f"axis {axis} of input shape to have value {value}, but received input "
                    f"with shape {tuple(dims)}")


class Layer:
    """The base of the legacy layers: variable scope, weights, losses and updates."""

    def __init__(self, trainable: bool = True, name: Optional[str] = None, dtype: Any = None,
                 **kwargs: Any) -> None:
        self._reuse = kwargs.pop("_reuse", None)
        self._init_scope = kwargs.pop("_scope", None)
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        if kwargs:
            raise TypeError(f"Keyword argument not understood: {sorted(kwargs)[0]}")
        self.trainable = trainable
        self.built = False
        self._dtype = None if dtype is None else _dtypes.as_dtype(dtype)
        self._activity_regularizer = activity_regularizer
        self._trainable_weights: list[Variable] = []
        self._non_trainable_weights: list[Variable] = []
        self._losses: list[Any] = []
        self._updates: list[Any] = []
        self._base_name = name if name is not None else _snake_case(type(self).__name__)
        self._name = name
        self._scope: Any = None
        self._name_scope_text: Optional[str] = None
        self.input_spec: Optional[InputSpec] = None

    # ----- properties -----

    @property
    def name(self) -> str:
        if self._name is not None:
            return self._name
        return self._scope.name.split("/")[-1] if self._scope is not None else self._base_name

    @property
    def dtype(self) -> Optional[_dtypes.DType]:
        return self._dtype

    @property
    def scope_name(self) -> str:
        if self._scope is None:
            raise ValueError(f"No name available for layer scope because the layer "
                             f'"{self.name}" has not been used yet. The scope name  is '
                             "determined the first time the layer instance is called. You "
                             "must therefore call the layer before querying `scope_name`.")
        return str(self._scope.name)

    @property
    def activity_regularizer(self) -> Any:
        return self._activity_regularizer

    @property
    def trainable_weights(self) -> list[Variable]:
        return list(self._trainable_weights) if self.trainable else []

    @property
    def non_trainable_weights(self) -> list[Variable]:
        if self.trainable:
            return list(self._non_trainable_weights)
        return self._trainable_weights + self._non_trainable_weights

    @property
    def weights(self) -> list[Variable]:
        return self.trainable_weights + self.non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    @property
    def losses(self) -> list[Any]:
        return list(self._losses)

    @property
    def updates(self) -> list[Any]:
        return list(self._updates)

    # ----- what subclasses use -----

    def build(self, input_shape: TensorShape) -> None:
        self.built = True

    def call(self, inputs: Tensor, **kwargs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> TensorShape:
        raise NotImplementedError(f"{type(self).__name__}.compute_output_shape")

    def add_loss(self, losses: Any, inputs: Any = None) -> None:
        new = list(losses) if isinstance(losses, (list, tuple)) else [losses]
        self._losses.extend(new)
        for loss in new:
            get_default_graph().add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)

    def add_update(self, updates: Any, inputs: Any = None) -> None:
        new = list(updates) if isinstance(updates, (list, tuple)) else [updates]
        for u in new:
            op = u.op if isinstance(u, Tensor) else u
            if isinstance(u, Variable):
                continue  # TF drops a "no update" branch that is just the variable
            self._updates.append(op)
            get_default_graph().add_to_collection(GraphKeys.UPDATE_OPS, op)

    def add_weight(self, name: str, shape: Any, dtype: Any = None, initializer: Any = None,
                   regularizer: Any = None, trainable: bool = True, constraint: Any = None,
                   **kwargs: Any) -> Variable:
        dt = _dtypes.as_dtype(dtype) if dtype is not None else (self._dtype or _dtypes.float32)
        graph = get_default_graph()
        with variable_scope(self._scope, reuse=self.built or self._reuse,
                            auxiliary_name_scope=False):
            with graph.name_scope(self._name_scope_text):
                known = set(id(v) for v in graph.get_collection(GraphKeys.GLOBAL_VARIABLES))
                variable = get_variable(name, shape=shape, dtype=dt, initializer=initializer,
                                        trainable=trainable and self.trainable,
                                        constraint=constraint)
                if regularizer is not None and id(variable) not in known:
                    with name_scope(name + "/Regularizer"):
                        self.add_loss(regularizer(variable))
        if trainable:
            self._trainable_weights.append(variable)
        else:
            self._non_trainable_weights.append(variable)
        return variable

    # ----- calling -----

    def _set_scope(self, scope: Any = None) -> None:
        if self._scope is not None:
            return
        graph = get_default_graph()
        if self._reuse:
            manager = variable_scope(scope if scope is not None else self._base_name)
        else:
            manager = variable_scope(scope, default_name=self._base_name)
        with manager as captured:
            self._scope = captured
            self._name_scope_text = graph._native.name_scope()

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        self._set_scope(kwargs.pop("scope", self._init_scope))
        graph = get_default_graph()
        with variable_scope(self._scope, reuse=True if self.built else self._reuse,
                            auxiliary_name_scope=False):
            with graph.name_scope(self._name_scope_text):
                if not isinstance(inputs, Tensor):
                    inputs = convert_to_tensor(inputs, dtype=self._dtype)
                if self._dtype is None:
                    self._dtype = inputs.dtype.base_dtype
                _check_input(self.name, self.input_spec, inputs)
                if not self.built:
                    self.build(inputs.shape)
                    self.built = True
                outputs = self.call(inputs, *args, **kwargs)
                if self._activity_regularizer is not None:
                    with name_scope("ActivityRegularizer"):
                        for out in (outputs if isinstance(outputs, (list, tuple))
                                    else [outputs]):
                            loss = self._activity_regularizer(out)
                            batch = cast(_shape(out)[0], loss.dtype)
                            self.add_loss(loss / batch)
        return outputs

    def apply(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        return self.__call__(inputs, *args, **kwargs)


def _apply_layer(cls: type, args: dict[str, Any]) -> Any:
    """A functional form: builds ``cls`` from its arguments as TF does (the layer's scope is
    exactly ``name``; ``reuse`` passed on) and calls it on ``inputs`` (with ``training``)."""
    args = dict(args)
    inputs = args.pop("inputs")
    name, reuse = args.pop("name"), args.pop("reuse")
    call = {"training": args.pop("training")} if "training" in args else {}
    layer = cls(name=name, _reuse=reuse, _scope=name, **args)
    return layer(inputs, **call)


class _KernelLayer(Layer):
    """The kernel/bias/activation settings Dense and the convolutions share."""

    def __init__(self, activation: Any, use_bias: bool, kernel_initializer: Any,
                 bias_initializer: Any, kernel_regularizer: Any, bias_regularizer: Any,
                 activity_regularizer: Any, kernel_constraint: Any, bias_constraint: Any,
                 trainable: bool, name: Optional[str], **kwargs: Any) -> None:
        super().__init__(trainable=trainable, name=name,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.activation = activation
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer or zeros_initializer()
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint


# ----- Dense -----

class Dense(_KernelLayer):
    """``outputs = activation(inputs @ kernel + bias)``; inputs of rank > 2 contract their
    last axis (TF's ``Tensordot``)."""

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = None, bias_initializer: Any = None,
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, trainable: bool = True,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, trainable, name, **kwargs)
        self.units = int(units)
        if self.units <= 0:
            raise ValueError("Received an invalid value for `units`, expected a positive "
                             f"integer. Received: units={units}")
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape: TensorShape) -> None:
        last = input_shape.as_list()[-1] if input_shape.rank is not None else None
        if last is None:
            raise ValueError("The last dimension of the inputs to a Dense layer should be "
                             f"defined. Found None. Full input shape received: {input_shape}")
        self.input_spec = InputSpec(min_ndim=2, axes={-1: last})
        self.kernel = self.add_weight("kernel", [last, self.units],
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = (self.add_weight("bias", [self.units], initializer=self.bias_initializer,
                                     regularizer=self.bias_regularizer,
                                     constraint=self.bias_constraint)
                     if self.use_bias else None)

    def call(self, inputs: Tensor) -> Tensor:  # type: ignore[override]
        rank = inputs.shape.rank
        if rank is None or rank == 2:
            outputs = matmul(inputs, self.kernel)
        else:
            outputs = _last_axis_dot(inputs, self.kernel, self.units)
        if self.use_bias:
            outputs = nn.bias_add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs


def _last_axis_dot(x: Tensor, kernel: Any, units: int) -> Tensor:
    """TF's ``tensordot(x, kernel, [[rank - 1], [0]])``: a reshape to a matrix, ``MatMul``
    and a reshape back, under ``Tensordot``."""
    dims = x.shape.as_list()
    with name_scope("Tensordot") as scope:
        w = convert_to_tensor(kernel)
        inner = w.shape.as_list()[0]
        if all(d is not None for d in dims):
            flat = reshape(x, [_product(dims[:-1]), inner])
            out_shape: Any = dims[:-1] + [units]
        else:
            lead = strided_slice(_shape(x), [0], [-1], [1])
            flat = reshape(x, [-1, inner])
            out_shape = concat([lead, constant([units])], 0)
        product = matmul(flat, w)
        out = reshape(product, out_shape, name=scope)
    out.set_shape(TensorShape(dims[:-1] + [units]))
    return out


def dense(inputs: Any, units: int, activation: Any = None, use_bias: bool = True,
          kernel_initializer: Any = None, bias_initializer: Any = None,
          kernel_regularizer: Any = None, bias_regularizer: Any = None,
          activity_regularizer: Any = None, kernel_constraint: Any = None,
          bias_constraint: Any = None, trainable: bool = True, name: Optional[str] = None,
          reuse: Any = None) -> Tensor:
    return _apply_layer(Dense, locals())


# ----- convolutions -----

def _tuple(value: Any, n: int, what: str) -> tuple[int, ...]:
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    out = tuple(int(v) for v in value)
    if len(out) != n:
        raise ValueError(f"The `{what}` argument must be a tuple of {n} integers. "
                         f"Received: {value}")
    return out


def _data_format(data_format: Optional[str]) -> str:
    fmt = (data_format or "channels_last").lower()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError("The `data_format` argument must be one of \"channels_first\", "
                         f"\"channels_last\". Received: {data_format}")
    return fmt


def _padding(padding: str, causal_ok: bool = False) -> str:
    pad = padding.lower()
    if pad not in ("valid", "same") and not (causal_ok and pad == "causal"):
        raise ValueError("The `padding` argument must be a list/tuple or one of \"valid\", "
                         f"\"same\" (or \"causal\", only for `Conv1D). Received: {padding}")
    return pad.upper()


class _Conv(_KernelLayer):
    def __init__(self, rank: int, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", data_format: Optional[str] = "channels_last",
                 dilation_rate: Any = 1, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = None, bias_initializer: Any = None,
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, trainable: bool = True,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, trainable, name, **kwargs)
        self.rank = rank
        self.filters = int(filters)
        self.kernel_size = _tuple(kernel_size, rank, "kernel_size")
        self.strides = _tuple(strides, rank, "strides")
        self.padding = _padding(padding, causal_ok=rank == 1)
        self.data_format = _data_format(data_format)
        self.dilation_rate = _tuple(dilation_rate, rank, "dilation_rate")
        if any(s != 1 for s in self.strides) and any(d != 1 for d in self.dilation_rate):
            raise ValueError("`strides > 1` not supported in conjunction with "
                             f"`dilation_rate > 1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        self.input_spec = InputSpec(min_ndim=rank + 2)

    @property
    def _channel_axis(self) -> int:
        return 1 if self.data_format == "channels_first" else -1

    def _in_channels(self, input_shape: TensorShape) -> int:
        dims = input_shape.as_list() if input_shape.rank is not None else None
        channels = dims[self._channel_axis] if dims is not None else None
        if channels is None:
            raise ValueError("The channel dimension of the inputs should be defined. The "
                             f"input_shape received is {input_shape}, where axis "
                             f"{self._channel_axis} (0-based) is the channel dimension, "
                             "which found to be `None`.")
        return int(channels)

    def build(self, input_shape: TensorShape) -> None:
        channels = self._in_channels(input_shape)
        self.kernel = self.add_weight("kernel", list(self.kernel_size) + [channels, self.filters],
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self._add_bias()
        self.input_spec = InputSpec(min_ndim=self.rank + 2,
                                    axes={self._channel_axis: channels})

    def _add_bias(self) -> None:
        self.bias = (self.add_weight("bias", [self.filters], initializer=self.bias_initializer,
                                     regularizer=self.bias_regularizer,
                                     constraint=self.bias_constraint)
                     if self.use_bias else None)

    def _tf_format(self) -> str:
        spatial = {1: "W", 2: "HW", 3: "DHW"}[self.rank]
        return ("NC" + spatial) if self.data_format == "channels_first" else ("N" + spatial + "C")

    def _convolve(self, inputs: Tensor) -> Tensor:
        fmt = self._tf_format()
        op_name = (type(self).__name__ if type(self) in (Conv1D, Conv2D, Conv3D)
                   else f"Conv{self.rank}D")
        padding = self.padding
        if padding == "CAUSAL":
            # Left padding by the dilated window, then a VALID convolution, as TF.
            pads = [[0, 0], [0, 0], [0, 0]]
            pads[2 if self.data_format == "channels_first" else 1] = [
                self.dilation_rate[0] * (self.kernel_size[0] - 1), 0]
            inputs, padding = pad(inputs, pads), "VALID"
        if self.rank == 1:
            def op(x: Tensor, pad_mode: str, name: str) -> Tensor:
                return nn.conv1d(x, self.kernel, stride=list(self.strides), padding=pad_mode,
                                 data_format=fmt, name=name)
        else:
            strides = ([1, 1] + list(self.strides) if fmt.startswith("NC")
                       else [1] + list(self.strides) + [1])
            conv = nn.conv2d if self.rank == 2 else nn.conv3d

            def op(x: Tensor, pad_mode: str, name: str) -> Tensor:
                return conv(x, self.kernel, strides, pad_mode, data_format=fmt, name=name)
        if all(d == 1 for d in self.dilation_rate):
            return op(inputs, padding, op_name)
        # Dilated: TF's nn.convolution wraps a VALID convolution in SpaceToBatchND and
        # BatchToSpaceND.
        with name_scope(op_name) as scope:
            constant(list(self.dilation_rate), name="dilation_rate")
            first_spatial = 2 if self.data_format == "channels_first" else 1
            spatial_dims = list(range(first_spatial, first_spatial + self.rank))
            return _with_space_to_batch(
                inputs, list(self.dilation_rate), padding, list(self.kernel_size),
                spatial_dims, lambda x, pad_mode: op(x, pad_mode, scope),
                filter_shape=self.kernel.shape.as_list())

    def call(self, inputs: Tensor) -> Tensor:  # type: ignore[override]
        outputs = self._convolve(inputs)
        return self._finish(outputs)

    def _finish(self, outputs: Tensor) -> Tensor:
        if self.use_bias:
            if self.rank == 1 and self.data_format == "channels_first":
                outputs = outputs + reshape(self.bias, (1, self.filters, 1))
            else:
                fmt = "NCHW" if self.data_format == "channels_first" else "NHWC"
                outputs = nn.bias_add(outputs, self.bias, data_format=fmt)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs


class Conv1D(_Conv):
    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: Optional[str] = "channels_last", dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = None,
                 bias_initializer: Any = None, kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 trainable: bool = True, name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(1, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, trainable, name, **kwargs)


class Conv2D(_Conv):
    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: str = "valid", data_format: Optional[str] = "channels_last",
                 dilation_rate: Any = (1, 1), activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = None, bias_initializer: Any = None,
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, trainable: bool = True,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(2, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, trainable, name, **kwargs)


def conv1d(inputs: Any, filters: int, kernel_size: Any, strides: Any = 1,
           padding: str = "valid", data_format: str = "channels_last", dilation_rate: Any = 1,
           activation: Any = None, use_bias: bool = True, kernel_initializer: Any = None,
           bias_initializer: Any = None, kernel_regularizer: Any = None,
           bias_regularizer: Any = None, activity_regularizer: Any = None,
           kernel_constraint: Any = None, bias_constraint: Any = None, trainable: bool = True,
           name: Optional[str] = None, reuse: Any = None) -> Tensor:
    return _apply_layer(Conv1D, locals())


def conv2d(inputs: Any, filters: int, kernel_size: Any, strides: Any = (1, 1),
           padding: str = "valid", data_format: str = "channels_last",
           dilation_rate: Any = (1, 1), activation: Any = None, use_bias: bool = True,
           kernel_initializer: Any = None, bias_initializer: Any = None,
           kernel_regularizer: Any = None, bias_regularizer: Any = None,
           activity_regularizer: Any = None, kernel_constraint: Any = None,
           bias_constraint: Any = None, trainable: bool = True, name: Optional[str] = None,
           reuse: Any = None) -> Tensor:
    return _apply_layer(Conv2D, locals())


class Conv3D(_Conv):
    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1, 1),
                 padding: str = "valid", data_format: Optional[str] = "channels_last",
                 dilation_rate: Any = (1, 1, 1), activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = None, bias_initializer: Any = None,
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, trainable: bool = True,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(3, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, trainable, name, **kwargs)


def conv3d(inputs: Any, filters: int, kernel_size: Any, strides: Any = (1, 1, 1),
           padding: str = "valid", data_format: str = "channels_last",
           dilation_rate: Any = (1, 1, 1), activation: Any = None, use_bias: bool = True,
           kernel_initializer: Any = None, bias_initializer: Any = None,
           kernel_regularizer: Any = None, bias_regularizer: Any = None,
           activity_regularizer: Any = None, kernel_constraint: Any = None,
           bias_constraint: Any = None, trainable: bool = True, name: Optional[str] = None,
           reuse: Any = None) -> Tensor:
    return _apply_layer(Conv3D, locals())


def _deconv_length(length: Any, k: int, padding: str, stride: int) -> Any:
    """The transposed convolution's output length (keras ``deconv_output_length``)."""
    if padding == "VALID":
        return length * stride + max(k - stride, 0)
    return length * stride


class Conv2DTranspose(_Conv):
    """The transpose of Conv2D: a ``Conv2DBackpropInput`` named ``conv2d_transpose``; the
    kernel is ``[h, w, filters, in_channels]``."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: str = "valid", data_format: Optional[str] = "channels_last",
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = None,
                 bias_initializer: Any = None, kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 trainable: bool = True, name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(2, filters, kernel_size, strides, padding, data_format, 1,
                         activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, trainable, name, **kwargs)
        self.input_spec = InputSpec(ndim=4)

    def build(self, input_shape: TensorShape) -> None:
        if input_shape.rank != 4:
            raise ValueError("Inputs should have rank 4. "
                             f"Received input_shape={input_shape}.")
        channels = self._in_channels(input_shape)
        self.kernel = self.add_weight("kernel", list(self.kernel_size) + [self.filters, channels],
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self._add_bias()
        self.input_spec = InputSpec(ndim=4, axes={self._channel_axis: channels})

    def call(self, inputs: Tensor) -> Tensor:  # type: ignore[override]
        first = self.data_format == "channels_first"
        h_axis, w_axis = (2, 3) if first else (1, 2)
        dims = inputs.shape.as_list()
        dyn = _shape(inputs) if any(d is None for d in dims) else constant(dims, name="Shape")
        batch = dyn[0]
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        height = dims[h_axis] if dims[h_axis] is not None else dyn[h_axis]
        width = dims[w_axis] if dims[w_axis] is not None else dyn[w_axis]
        out_h = _deconv_length(height, kh, self.padding, sh)
        out_w = _deconv_length(width, kw, self.padding, sw)
        parts = [batch, self.filters, out_h, out_w] if first else [batch, out_h, out_w,
                                                                  self.filters]
        output_shape = stack(parts)
        fmt = "NCHW" if first else "NHWC"
        strides = [1, 1, sh, sw] if first else [1, sh, sw, 1]
        outputs = nn.conv2d_transpose(inputs, self.kernel, output_shape, strides,
                                      padding=self.padding, data_format=fmt)
        static = [dims[0], self.filters, None, None] if first else [dims[0], None, None,
                                                                   self.filters]
        if isinstance(out_h, int):
            static[h_axis] = out_h
        if isinstance(out_w, int):
            static[w_axis] = out_w
        outputs.set_shape(TensorShape(static))
        return self._finish(outputs)


def conv2d_transpose(inputs: Any, filters: int, kernel_size: Any, strides: Any = (1, 1),
                     padding: str = "valid", data_format: str = "channels_last",
                     activation: Any = None, use_bias: bool = True,
                     kernel_initializer: Any = None, bias_initializer: Any = None,
                     kernel_regularizer: Any = None, bias_regularizer: Any = None,
                     activity_regularizer: Any = None, kernel_constraint: Any = None,
                     bias_constraint: Any = None, trainable: bool = True,
                     name: Optional[str] = None, reuse: Any = None) -> Tensor:
    return _apply_layer(Conv2DTranspose, locals())


class SeparableConv2D(_Conv):
    """A depthwise convolution (``depth_multiplier`` channels per input channel) then a 1x1
    pointwise one; variables ``depthwise_kernel``, ``pointwise_kernel``, ``bias``."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: str = "valid", data_format: Optional[str] = "channels_last",
                 dilation_rate: Any = (1, 1), depth_multiplier: int = 1,
                 activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = None, pointwise_initializer: Any = None,
                 bias_initializer: Any = None, depthwise_regularizer: Any = None,
                 pointwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None,
                 pointwise_constraint: Any = None, bias_constraint: Any = None,
                 trainable: bool = True, name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(2, filters, kernel_size, strides, padding, data_format, dilation_rate,
                         activation, use_bias, None, bias_initializer, None,
                         bias_regularizer, activity_regularizer, None, bias_constraint,
                         trainable, name, **kwargs)
        self.depth_multiplier = int(depth_multiplier)
        self.depthwise_initializer = depthwise_initializer
        self.pointwise_initializer = pointwise_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.pointwise_regularizer = pointwise_regularizer
        self.depthwise_constraint = depthwise_constraint
        self.pointwise_constraint = pointwise_constraint

    def build(self, input_shape: TensorShape) -> None:
        channels = self._in_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", list(self.kernel_size) + [channels, self.depth_multiplier],
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", [1, 1, channels * self.depth_multiplier, self.filters],
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        self._add_bias()
        self.input_spec = InputSpec(ndim=4, axes={self._channel_axis: channels})

    def call(self, inputs: Tensor) -> Tensor:  # type: ignore[override]
        fmt = "NCHW" if self.data_format == "channels_first" else "NHWC"
        strides = ([1, 1] + list(self.strides) if fmt == "NCHW"
                   else [1] + list(self.strides) + [1])
        outputs = nn.separable_conv2d(inputs, self.depthwise_kernel, self.pointwise_kernel,
                                      strides=strides, padding=self.padding,
                                      rate=list(self.dilation_rate), data_format=fmt)
        return self._finish(outputs)


def separable_conv2d(inputs: Any, filters: int, kernel_size: Any, strides: Any = (1, 1),
                     padding: str = "valid", data_format: str = "channels_last",
                     dilation_rate: Any = (1, 1), depth_multiplier: int = 1,
                     activation: Any = None, use_bias: bool = True,
                     depthwise_initializer: Any = None, pointwise_initializer: Any = None,
                     bias_initializer: Any = None, depthwise_regularizer: Any = None,
                     pointwise_regularizer: Any = None, bias_regularizer: Any = None,
                     activity_regularizer: Any = None, depthwise_constraint: Any = None,
                     pointwise_constraint: Any = None, bias_constraint: Any = None,
                     trainable: bool = True, name: Optional[str] = None,
                     reuse: Any = None) -> Tensor:
    return _apply_layer(SeparableConv2D, locals())


# ----- pooling -----

class _Pooling(Layer):
    """Pooling of rank ``_rank`` with the ``_op_type`` kernel (``MaxPool`` or ``AvgPool``)."""

    _rank = 2
    _op_type = "MaxPool"

    def __init__(self, pool_size: Any, strides: Any, padding: str = "valid",
                 data_format: str = "channels_last", name: Optional[str] = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.pool_size = _tuple(pool_size, self._rank, "pool_size")
        self.strides = _tuple(strides if strides is not None else pool_size, self._rank,
                              "strides")
        self.padding = _padding(padding)
        self.data_format = _data_format(data_format)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _pool2d(self, inputs: Tensor, ksize: list[int], strides: list[int], fmt: str) -> Tensor:
        pool = nn.max_pool if self._op_type == "MaxPool" else nn.avg_pool
        return pool(inputs, ksize, strides, self.padding, data_format=fmt)

    def call(self, inputs: Tensor) -> Tensor:  # type: ignore[override]
        first = self.data_format == "channels_first"
        if self._rank == 3:
            # The 3-D pools take channels last only: channels first is transposed around them.
            pool3d = nn.max_pool3d if self._op_type == "MaxPool" else nn.avg_pool3d
            x = transpose(inputs, (0, 2, 3, 4, 1)) if first else inputs
            y = pool3d(x, ksize=(1,) + self.pool_size + (1,),
                       strides=(1,) + self.strides + (1,), padding=self.padding)
            return transpose(y, (0, 4, 1, 2, 3)) if first else y
        if self._rank == 2:
            if first:
                return self._pool2d(inputs, [1, 1] + list(self.pool_size),
                                    [1, 1] + list(self.strides), "NCHW")
            return self._pool2d(inputs, [1] + list(self.pool_size) + [1],
                                [1] + list(self.strides) + [1], "NHWC")
        # 1-D: a unit spatial dim is added, pooled in 2-D and squeezed away again; channels
        # first goes through NHWC and back (the CPU kernels are NHWC), as TF.
        pad_axis = 3 if first else 2
        x = expand_dims(inputs, pad_axis)
        ksize = [1, self.pool_size[0], 1, 1]
        strides = [1, self.strides[0], 1, 1]
        if first:
            x = transpose(x, [0, 2, 3, 1])
            y = transpose(self._pool2d(x, ksize, strides, "NHWC"), [0, 3, 1, 2])
        else:
            y = self._pool2d(x, ksize, strides, "NHWC")
        return squeeze(y, [pad_axis])


class MaxPooling1D(_Pooling):
    _rank, _op_type = 1, "MaxPool"


class AveragePooling1D(_Pooling):
    _rank, _op_type = 1, "AvgPool"


class MaxPooling2D(_Pooling):
    _rank, _op_type = 2, "MaxPool"


class AveragePooling2D(_Pooling):
    _rank, _op_type = 2, "AvgPool"


class MaxPooling3D(_Pooling):
    _rank, _op_type = 3, "MaxPool"


class AveragePooling3D(_Pooling):
    _rank, _op_type = 3, "AvgPool"


def max_pooling3d(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
                  data_format: str = "channels_last", name: Optional[str] = None) -> Tensor:
    return MaxPooling3D(pool_size, strides, padding, data_format, name=name)(inputs)


def average_pooling3d(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
                      data_format: str = "channels_last", name: Optional[str] = None) -> Tensor:
    return AveragePooling3D(pool_size, strides, padding, data_format, name=name)(inputs)


def max_pooling1d(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
                  data_format: str = "channels_last", name: Optional[str] = None) -> Tensor:
    return MaxPooling1D(pool_size, strides, padding, data_format, name=name)(inputs)


def average_pooling1d(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
                      data_format: str = "channels_last", name: Optional[str] = None) -> Tensor:
    return AveragePooling1D(pool_size, strides, padding, data_format, name=name)(inputs)


def max_pooling2d(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
                  data_format: str = "channels_last", name: Optional[str] = None) -> Tensor:
    return MaxPooling2D(pool_size, strides, padding, data_format, name=name)(inputs)


def average_pooling2d(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
                      data_format: str = "channels_last", name: Optional[str] = None) -> Tensor:
    return AveragePooling2D(pool_size, strides, padding, data_format, name=name)(inputs)


# ----- Flatten and Dropout -----

class Flatten(Layer):
    """Flattens every dim but the batch dim (channels first is moved last first)."""

    def __init__(self, data_format: Optional[str] = None, name: Optional[str] = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.data_format = _data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs: Tensor) -> Tensor:  # type: ignore[override]
        rank = inputs.shape.rank
        if self.data_format == "channels_first" and rank is not None and rank > 1:
            inputs = transpose(inputs, [0] + list(range(2, rank)) + [1])
        if rank == 1:
            return expand_dims(inputs, 1)
        if rank is None:
            return reshape(inputs, [_shape(inputs)[0], -1])
        dims = inputs.shape.as_list()
        if all(d is not None for d in dims[1:]):
            return reshape(inputs, constant([-1, _product(dims[1:])]))
        if dims[0] is not None:
            return reshape(inputs, constant([int(dims[0]), -1]))
        return reshape(inputs, [_shape(inputs)[0], -1])


def flatten(inputs: Any, name: Optional[str] = None,
            data_format: str = "channels_last") -> Tensor:
    return Flatten(name=name, data_format=data_format)(inputs)


class Dropout(Layer):
    """Zeroes each element with probability ``rate`` and scales the rest by
    ``1 / (1 - rate)`` when ``training``; the identity otherwise."""

    def __init__(self, rate: float = 0.5, noise_shape: Any = None, seed: Optional[int] = None,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        if not isinstance(rate, Tensor) and not 0 <= float(rate) <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float "
                             f"value between 0 and 1. Received: rate={rate}")
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed

    def _drop(self, x: Tensor) -> Tensor:
        # TF 2's dropout: scale, draw, keep where the draw is at least `rate`.
        with name_scope("dropout"):
            if not isinstance(self.rate, Tensor) and float(self.rate) == 0:
                return x
            scale = constant(1.0 / (1.0 - float(self.rate)), dtype=x.dtype) if not isinstance(
                self.rate, Tensor) else realdiv(1.0, 1.0 - cast(self.rate, x.dtype))
            scaled = multiply(x, scale)
            noise = self.noise_shape if self.noise_shape is not None else _shape(x)
            draw = random_uniform(noise, dtype=x.dtype, seed=self.seed)
            rate = self.rate if not isinstance(self.rate, Tensor) else cast(self.rate, x.dtype)
            keep = greater_equal(draw, rate)
            return where_v2(keep, scaled, constant(0, dtype=x.dtype))

    def call(self, inputs: Tensor, training: Any = False) -> Tensor:  # type: ignore[override]
        from .array_ops import identity
        return _smart_cond(training, lambda: self._drop(inputs), lambda: identity(inputs))


def dropout(inputs: Any, rate: float = 0.5, noise_shape: Any = None, seed: Optional[int] = None,
            training: Any = False, name: Optional[str] = None) -> Tensor:
    return Dropout(rate, noise_shape=noise_shape, seed=seed, name=name)(inputs,
                                                                         training=training)


# ----- BatchNormalization -----

class BatchNormalization(Layer):
    """Normalizes with the batch moments when ``training`` (and updates the moving
    averages through ``UPDATE_OPS``), with the moving averages otherwise."""

    def __init__(self, axis: Any = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = None,
                 gamma_initializer: Any = None, moving_mean_initializer: Any = None,
                 moving_variance_initializer: Any = None, beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, renorm: bool = False,
                 renorm_clipping: Any = None, renorm_momentum: float = 0.99,
                 fused: Any = None, trainable: bool = True, virtual_batch_size: Any = None,
                 adjustment: Any = None, name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(trainable=trainable, name=name, **kwargs)
        if renorm or virtual_batch_size is not None or adjustment is not None:
            raise NotImplementedError(
                "symgrad's BatchNormalization has no renorm, virtual_batch_size or adjustment")
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = beta_initializer or zeros_initializer()
        self.gamma_initializer = gamma_initializer or ones_initializer()
        self.moving_mean_initializer = moving_mean_initializer or zeros_initializer()
        self.moving_variance_initializer = moving_variance_initializer or ones_initializer()
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint
        self.fused = fused

    def build(self, input_shape: TensorShape) -> None:
        ndims = input_shape.rank
        if ndims is None:
            raise ValueError(f"Input has undefined rank. Received: input_shape={input_shape}.")
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        axes = [a + ndims if a < 0 else a for a in axes]
        for a in axes:
            if not 0 <= a < ndims:
                raise ValueError(f"Invalid axis: {a}")
        if len(set(axes)) != len(axes):
            raise ValueError(f"Duplicate axis: {axes}")
        self._axes = axes
        dims = input_shape.as_list()
        for a in axes:
            if dims[a] is None:
                raise ValueError(f"Input has undefined `axis` dimension. Received input with "
                                 f"shape {tuple(dims)} and axis={tuple(axes)}")
        # One axis: a vector of parameters; several: the input's rank with 1 elsewhere.
        param_shape = [dims[a] for a in axes] if len(axes) == 1 else [
            dims[i] if i in axes else 1 for i in range(ndims)]
        self.input_spec = InputSpec(ndim=ndims, axes={a: dims[a] for a in axes})
        # Where TF 2.21 would run FusedBatchNormV3 (whose moving variance uses the
        # Bessel-corrected batch variance).
        self._fusable = (self.fused is not False and len(axes) == 1
                         and (ndims, axes[0]) in ((4, 1), (4, 3), (5, 1), (5, 4)))
        param_dtype = _dtypes.float32 if self._dtype in (None,) else self._dtype
        self.gamma = (self.add_weight("gamma", param_shape, dtype=param_dtype,
                                      initializer=self.gamma_initializer,
                                      regularizer=self.gamma_regularizer,
                                      constraint=self.gamma_constraint)
                      if self.scale else None)
        self.beta = (self.add_weight("beta", param_shape, dtype=param_dtype,
                                     initializer=self.beta_initializer,
                                     regularizer=self.beta_regularizer,
                                     constraint=self.beta_constraint)
                     if self.center else None)
        self.moving_mean = self.add_weight("moving_mean", param_shape, dtype=param_dtype,
                                           initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", param_shape,
                                               dtype=param_dtype,
                                               initializer=self.moving_variance_initializer,
                                               trainable=False)

    def _assign_moving_average(self, variable: Variable, value: Tensor) -> Tensor:
        with name_scope("AssignMovingAvg"):
            decay = convert_to_tensor(1.0 - self.momentum, name="decay")
            if decay.dtype is not variable.dtype:
                decay = cast(decay, variable.dtype)
            delta = (variable - cast(value, variable.dtype)) * decay
            return variable.assign_sub(delta)

    def _add_moving_average_update(self, training: Any, variable: Variable,
                                   value: Any) -> None:
        # With a static `training` TF collects the assign op itself (the read it returns
        # runs after it, under a control dependency); with a tensor, the cond's output.
        if _static_bool(training) is True:
            updated = self._assign_moving_average(variable, value)
            self.add_update(updated.op.control_inputs[0])
        else:
            self.add_update(_smart_cond(
                training, lambda: self._assign_moving_average(variable, value),
                lambda: variable))

    def call(self, inputs: Tensor, training: Any = False) -> Tensor:  # type: ignore[override]
        ndims = inputs.shape.rank
        if ndims is None:
            raise ValueError(f"Input has undefined rank. Received: input_shape={inputs.shape}.")
        reduction_axes = [i for i in range(ndims) if i not in self._axes]
        broadcast_shape = [1] * ndims
        for a in self._axes:
            broadcast_shape[a] = inputs.shape.as_list()[a]
        needs_broadcast = sorted(reduction_axes) != list(range(ndims))[:-1]

        def _broadcast(v: Any) -> Any:
            if v is not None and needs_broadcast and len(self._axes) == 1:
                return reshape(v, broadcast_shape)
            return v

        scale, offset = _broadcast(self.gamma), _broadcast(self.beta)
        static = _static_bool(training)
        if static is False:
            mean: Any = self.moving_mean
            variance: Any = self.moving_variance
        else:
            keep_dims = len(self._axes) > 1
            batch_mean, batch_variance = nn.moments(
                cast(inputs, self.moving_mean.dtype) if inputs.dtype is not
                self.moving_mean.dtype else inputs, reduction_axes, keep_dims=keep_dims)
            mean = _smart_cond(training, lambda: batch_mean,
                               lambda: convert_to_tensor(self.moving_mean))
            variance = _smart_cond(training, lambda: batch_variance,
                                   lambda: convert_to_tensor(self.moving_variance))
            update_variance = variance
            if self._fusable:
                dims = inputs.shape.as_list()
                counted = [dims[i] for i in reduction_axes]
                if all(d is not None for d in counted):
                    n = float(_product(counted))
                    factor: Any = n / max(n - 1.0, 1.0)
                else:
                    full = _shape(inputs)
                    n_t = cast(stack([full[i] for i in reduction_axes]), variance.dtype)
                    from .math_ops import maximum, reduce_prod
                    count = reduce_prod(n_t)
                    factor = count / maximum(count - 1.0, 1.0)
                update_variance = variance * factor
            self._add_moving_average_update(training, self.moving_mean, mean)
            self._add_moving_average_update(training, self.moving_variance, update_variance)
        mean = _broadcast(mean)
        variance = _broadcast(variance)
        if offset is not None:
            offset = cast(offset, inputs.dtype) if offset.dtype is not inputs.dtype else offset
        if scale is not None:
            scale = cast(scale, inputs.dtype) if scale.dtype is not inputs.dtype else scale
        return nn.batch_normalization(inputs, mean, variance, offset, scale, self.epsilon)


def batch_normalization(inputs: Any, axis: Any = -1, momentum: float = 0.99,
                        epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                        beta_initializer: Any = None, gamma_initializer: Any = None,
                        moving_mean_initializer: Any = None,
                        moving_variance_initializer: Any = None, beta_regularizer: Any = None,
                        gamma_regularizer: Any = None, beta_constraint: Any = None,
                        gamma_constraint: Any = None, training: Any = False,
                        trainable: bool = True, name: Optional[str] = None, reuse: Any = None,
                        renorm: bool = False, renorm_clipping: Any = None,
                        renorm_momentum: float = 0.99, fused: Any = None,
                        virtual_batch_size: Any = None, adjustment: Any = None) -> Tensor:
    return _apply_layer(BatchNormalization, locals())
