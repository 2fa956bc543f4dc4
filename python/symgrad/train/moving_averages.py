"""Exponential moving averages of variables and tensors
(``tf.compat.v1.train.ExponentialMovingAverage``).

Averages live in non-trainable variables named as TF's slots (``<var>/<ema name>``) and are
updated by ``assign_sub(avg, (avg - value) * (1 - decay))`` under TF's name scopes, so that a
``Saver`` built from :meth:`ExponentialMovingAverage.variables_to_restore` reads checkpoints
written by TF-shaped programs.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from .. import dtypes as _dtypes
from ..constant_op import convert_to_tensor
from ..control_flow_ops import group
from ..framework import Operation, Tensor, get_default_graph, name_scope
from ..math_ops import cast, minimum, pow as _pow
from ..variables import (GraphKeys, Variable, get_variable_scope, global_variables,
                         trainable_variables, zeros_initializer)

__all__ = ["ExponentialMovingAverage", "moving_average_variables"]

MOVING_AVERAGE_VARIABLES = GraphKeys.MOVING_AVERAGE_VARIABLES


def moving_average_variables(scope: Optional[str] = None) -> list[Any]:
    """The variables ``ExponentialMovingAverage.apply`` has averaged (TF's
    ``MOVING_AVERAGE_VARIABLES`` collection)."""
    return get_default_graph().get_collection(MOVING_AVERAGE_VARIABLES, scope)


def _slot_variable(primary: Any, initial_value: Any, suffix: str) -> Variable:
    """A non-trainable global variable ``<variable scope>/<primary>/<suffix>``, made at the
    root name scope outside control dependencies (TF's slot creator under ``init_scope``)."""
    prefix = primary.op.name
    var_scope = get_variable_scope().name
    full_name = f"{var_scope}/{prefix}/{suffix}" if var_scope else f"{prefix}/{suffix}"
    return _slot_variable_at(full_name, initial_value)


def _assign_moving_average(average: Variable, value: Any, decay: Tensor,
                           debias: Optional[tuple[Variable, Variable]]) -> Any:
    """``average -= (average - value) * (1 - decay)`` in scope ``AssignMovingAvg``; with
    ``debias = (biased, local_step)`` the update goes to ``biased`` and ``average`` becomes
    ``biased / (1 - decay ** local_step)`` (TF's ``_zero_debias``)."""
    with name_scope(None, "AssignMovingAvg") as scope:
        one_minus_decay = convert_to_tensor(1.0 - decay, name="decay")
        if one_minus_decay.dtype is not average.dtype:
            one_minus_decay = cast(one_minus_decay, average.dtype)
        if isinstance(value, Variable):
            value = value.value()
        if debias is None:
            return average.assign_sub((average.value() - value) * one_minus_decay,
                                      read_value=False)
        biased, local_step = debias
        update_biased = biased.assign_sub((biased.value() - value) * one_minus_decay)
        update_step = local_step.assign_add(1)
        bias_factor = 1 - _pow(1.0 - one_minus_decay, update_step)
        # The op carries the scope's own name, as TF's `assign(..., name=scope)`.
        return average.assign(update_biased / bias_factor, name=scope, read_value=False)


class ExponentialMovingAverage:
    """Maintains ``shadow = decay * shadow + (1 - decay) * value`` per variable or tensor;
    with ``num_updates`` the decay is ``min(decay, (1 + n) / (10 + n))``."""

    def __init__(self, decay: Any, num_updates: Any = None, zero_debias: bool = False,
                 name: str = "ExponentialMovingAverage") -> None:
        self._decay = decay
        self._num_updates = num_updates
        self._zero_debias = zero_debias
        self._name = name
        # id(variable or tensor) -> (the averaged object, its average)
        self._averages: dict[int, tuple[Any, Variable]] = {}
        self._debiased: dict[int, tuple[Variable, Variable]] = {}

    @property
    def name(self) -> str:
        return self._name

    def apply(self, var_list: Optional[Sequence[Any]] = None) -> Operation:
        """Creates the averages (once per variable or tensor) and returns the op that
        updates them all, named after the average (``ExponentialMovingAverage``)."""
        graph = get_default_graph()
        if var_list is None:
            var_list = trainable_variables()
        var_list = list(var_list)
        for var in var_list:
            if var.dtype.base_dtype not in (_dtypes.float16, _dtypes.float32, _dtypes.float64):
                raise TypeError(f"The variables must be half, float, or double: {var.name}")
            if id(var) in self._averages:
                continue
            if isinstance(var, Variable):
                avg = self._variable_average(var)
                graph.add_to_collection(MOVING_AVERAGE_VARIABLES, var)
            else:
                avg = self._tensor_average(var)
            self._averages[id(var)] = (var, avg)
        with graph.name_scope(self._name) as scope:
            decay = convert_to_tensor(self._decay, dtype=_dtypes.float32, name="decay")
            if self._num_updates is not None:
                num_updates = cast(self._num_updates, _dtypes.float32, name="num_updates")
                decay = minimum(decay, (1.0 + num_updates) / (10.0 + num_updates))
            updates = []
            for var in var_list:
                avg = self._averages[id(var)][1]
                updates.append(_assign_moving_average(avg, var, decay,
                                                      self._debiased.get(id(avg))))
            return group(*updates, name=scope)

    def _variable_average(self, var: Variable) -> Variable:
        # An average created after training started begins at the trained value.
        return _slot_variable(var, var.initialized_value, self._name)

    def _tensor_average(self, tensor: Tensor) -> Variable:
        shape = tensor.shape
        if not shape.is_fully_defined():
            raise ValueError(f"Shape of tensor {tensor.name} must be fully defined: {shape}")
        dtype = tensor.dtype.base_dtype
        zeros = zeros_initializer()
        avg = _slot_variable(tensor, lambda: zeros(shape.as_list(), dtype=dtype), self._name)
        if self._zero_debias:
            stem = avg.op.name
            biased = _slot_variable_at(f"{stem}/biased",
                                       lambda: zeros(shape.as_list(), dtype=dtype))
            local_step = _slot_variable_at(f"{stem}/local_step", lambda: zeros([], dtype=dtype))
            self._debiased[id(avg)] = (biased, local_step)
        return avg

    def average(self, var: Any) -> Optional[Variable]:
        """The average of ``var``, or ``None`` if it is not averaged."""
        entry = self._averages.get(id(var))
        return None if entry is None or entry[0] is not var else entry[1]

    def average_name(self, var: Any) -> str:
        """The op name of ``var``'s average, or the name it would get."""
        avg = self.average(var)
        if avg is not None:
            return avg.op.name
        return get_default_graph().unique_name(f"{var.op.name}/{self._name}",
                                               mark_as_used=False)

    def variables_to_restore(self, moving_avg_variables: Optional[Sequence[Any]] = None
                             ) -> dict[str, Any]:
        """A ``Saver`` var_list mapping each average's name to its variable (and every other
        global variable to itself), so restoring loads the averages into the model."""
        if moving_avg_variables is None:
            moving_avg_variables = trainable_variables() + moving_average_variables()
        averaged: dict[int, Any] = {id(v): v for v in moving_avg_variables}
        name_map: dict[str, Any] = {}
        for v in averaged.values():
            name_map[self.average_name(v)] = v
        averaged_names = {v.name for v in averaged.values()}
        for v in global_variables():
            if v.name not in averaged_names and v.op.name not in name_map:
                name_map[v.op.name] = v
        return name_map


def _slot_variable_at(full_name: str, initial_value: Any) -> Variable:
    """A non-trainable global variable with exactly ``full_name`` (uniquified as TF's
    ``_maybe_get_unique``), at the root name scope."""
    graph = get_default_graph()
    outer = graph._native.name_scope()
    graph._native.set_name_scope("")
    try:
        with graph.control_dependencies(None):
            return Variable(initial_value, trainable=False, name=full_name)
    finally:
        graph._native.set_name_scope(outer)

