"""Adadelta, FTRL, proximal and dual-averaging optimizers (``tf.compat.v1.train``).

TF applies each with a fused ``ResourceApply*`` kernel (``ResourceSparseApply*`` for
``IndexedSlices``, after summing duplicate indices). Here every optimizer states its kernel's
arithmetic once, as new values of the variable and its slots from their current values; the
dense path applies it to whole variables, the sparse path to the touched rows only
(``ResourceGather`` / ``ResourceScatterUpdate``). All writes are ordered after all reads.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from ..array_ops import identity, zeros_like
from ..constant_op import convert_to_tensor
from ..control_flow_ops import group
from ..framework import Operation, Tensor, get_default_graph
from ..indexed_slices import IndexedSlices
from ..math_ops import (abs as _abs, cast, maximum, pow as _pow, rsqrt, sign, sqrt, square,
                        where_v2)
from ..variables import Variable, constant_initializer
from .optimizer import Optimizer, _dedup, _rows, _scatter

__all__ = ["AdadeltaOptimizer", "FtrlOptimizer", "ProximalGradientDescentOptimizer",
           "ProximalAdagradOptimizer", "AdagradDAOptimizer"]


class _KernelOptimizer(Optimizer):
    """An optimizer whose update is one elementwise kernel over the variable and its slots
    (named ``_slot_order``); subclasses give the kernel as :meth:`_new_values`."""

    _slot_order: tuple[str, ...] = ()

    def _new_values(self, var: Variable, value: Tensor, grad: Tensor,
                    slots: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
        """(new variable value, new slot values) from the current ones; ``var`` only
        supplies the dtype."""
        raise NotImplementedError

    def _slot_variables(self, var: Variable) -> list[Variable]:
        slots = [self.get_slot(var, n) for n in self._slot_order]
        present = [s for s in slots if s is not None]
        if len(present) != len(slots):
            raise ValueError(f"Slots of {var.name} are missing: {self._slot_order}")
        return present

    def _apply_dense(self, grad: Tensor, var: Variable) -> Operation:
        slot_vars = self._slot_variables(var)
        reads = [var.value()] + [s.value() for s in slot_vars]
        new_value, new_slots = self._new_values(var, reads[0], grad, reads[1:])
        graph = get_default_graph()
        with graph.control_dependencies(reads):
            writes = [s.assign(v, read_value=False) for s, v in zip(slot_vars, new_slots)]
            writes.append(var.assign(new_value, read_value=False))
        return group(*writes)

    def _apply_sparse_duplicate_indices(self, grad: IndexedSlices,
                                        var: Variable) -> Operation:
        slot_vars = self._slot_variables(var)
        values, indices = _dedup(grad)
        reads = [_rows(var, indices)] + [_rows(s, indices) for s in slot_vars]
        new_rows, new_slot_rows = self._new_values(var, reads[0], values, reads[1:])
        writes = [_scatter(s, "ResourceScatterUpdate", indices, rows, reads)
                  for s, rows in zip(slot_vars, new_slot_rows)]
        writes.append(_scatter(var, "ResourceScatterUpdate", indices, new_rows, reads))
        return group(*writes)


def _require_dtype(op_type: str, first: tuple[str, Tensor],
                   others: Sequence[tuple[str, Tensor]]) -> None:
    """TF's op-construction check for kernels whose Python wrapper does not cast the
    hyperparameters (the dense proximal optimizers): every input must share ``first``'s
    dtype."""
    first_name, first_t = first
    for name, t in others:
        if t.dtype is not first_t.dtype:
            raise TypeError(f"Input '{name}' of '{op_type}' Op has type {t.dtype.name} that "
                            f"does not match type {first_t.dtype.name} of argument "
                            f"'{first_name}'.")


def _soft_threshold(prox: Tensor, threshold: Tensor) -> Tensor:
    """``sign(v) * max(|v| - threshold, 0)``: the kernels' ``l1 > 0`` branch, which equals
    ``v`` when ``l1`` is 0, so one expression serves both."""
    return sign(prox) * maximum(_abs(prox) - threshold, 0.0)


class AdadeltaOptimizer(_KernelOptimizer):
    """``accum = rho accum + (1 - rho) g^2``;
    ``update = sqrt(accum_update + eps) / sqrt(accum + eps) * g``; ``var -= lr * update``;
    ``accum_update = rho accum_update + (1 - rho) update^2``."""

    _slot_order = ("accum", "accum_update")

    def __init__(self, learning_rate: Any = 0.001, rho: Any = 0.95, epsilon: Any = 1e-8,
                 use_locking: bool = False, name: str = "Adadelta") -> None:
        super().__init__(use_locking, name)
        self._lr, self._rho, self._epsilon = learning_rate, rho, epsilon

    def _create_slots(self, var_list: list[Variable]) -> None:
        for v in var_list:
            self._zeros_slot(v, "accum")
            self._zeros_slot(v, "accum_update")

    def _prepare(self) -> None:
        self._lr_t = self._hyper(self._lr, "lr")
        self._rho_t = self._hyper(self._rho, "rho")
        self._epsilon_t = self._hyper(self._epsilon, "epsilon")

    def _new_values(self, var: Variable, value: Tensor, grad: Tensor,
                    slots: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
        accum, accum_update = slots
        lr, rho = self._as(self._lr_t, var), self._as(self._rho_t, var)
        eps = self._as(self._epsilon_t, var)
        new_accum = accum * rho + square(grad) * (1.0 - rho)
        update = sqrt(accum_update + eps) * rsqrt(new_accum + eps) * grad
        new_update = accum_update * rho + square(update) * (1.0 - rho)
        return value - update * lr, [new_accum, new_update]


class FtrlOptimizer(_KernelOptimizer):
    """FTRL-Proximal (McMahan et al.), TF's ``ApplyFtrl`` / ``ApplyFtrlV2`` (with
    ``l2_shrinkage_regularization_strength``):
    ``linear += g' - (n'^-p - n^-p) / lr * var`` with ``n' = n + g^2``, then
    ``var = (l1 sign(linear) - linear) / (n'^-p / lr + 2 l2)`` where ``|linear| > l1``,
    else 0 (``p`` = ``learning_rate_power``; ``g' = g + 2 l2_shrinkage var``)."""

    _slot_order = ("accum", "linear")

    def __init__(self, learning_rate: Any, learning_rate_power: Any = -0.5,
                 initial_accumulator_value: Any = 0.1, l1_regularization_strength: Any = 0.0,
                 l2_regularization_strength: Any = 0.0, use_locking: bool = False,
                 name: str = "Ftrl", accum_name: Optional[str] = None,
                 linear_name: Optional[str] = None,
                 l2_shrinkage_regularization_strength: Any = 0.0,
                 beta: Any = None) -> None:
        super().__init__(use_locking, name)
        for what, number, bad, required in [
                ("initial_accumulator_value", initial_accumulator_value,
                 initial_accumulator_value < 0.0, "positive or zero"),
                ("learning_rate_power", learning_rate_power, learning_rate_power > 0.0,
                 "negative or zero"),
                ("l1_regularization_strength", l1_regularization_strength,
                 l1_regularization_strength < 0.0, "positive or zero"),
                ("l2_regularization_strength", l2_regularization_strength,
                 l2_regularization_strength < 0.0, "positive or zero"),
                ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength,
                 l2_shrinkage_regularization_strength < 0.0, "positive or zero")]:
            if bad:
                raise ValueError(f"{what} {number:f} needs to be {required}")
        self._learning_rate = learning_rate
        self._learning_rate_power = learning_rate_power
        self._initial_accumulator_value = initial_accumulator_value
        self._l1 = l1_regularization_strength
        self._l2 = l2_regularization_strength
        self._beta = 0.0 if beta is None else beta
        self._l2_shrinkage = l2_shrinkage_regularization_strength
        self._accum_name = accum_name
        self._linear_name = linear_name

    def _create_slots(self, var_list: list[Variable]) -> None:
        for v in var_list:
            self._slot(v, constant_initializer(self._initial_accumulator_value), "accum",
                       self._accum_name)
            self._slot(v, constant_initializer(0.0), "linear", self._linear_name)

    def _prepare(self) -> None:
        self._lr_t = self._hyper(self._learning_rate, "learning_rate")
        self._l1_t = self._hyper(self._l1, "l1_regularization_strength")
        # `beta` folds into l2 as TF does: l2 + beta / (2 lr).
        self._l2_t = convert_to_tensor(
            self._l2 + self._beta / (2.0 * maximum(self._learning_rate, 1e-36)),
            name="adjusted_l2_regularization_strength")
        self._beta_t = self._hyper(self._beta, "beta")
        self._l2_shrinkage_t = self._hyper(self._l2_shrinkage,
                                           "l2_shrinkage_regularization_strength")
        self._lr_power_t = self._hyper(self._learning_rate_power, "learning_rate_power")

    def _new_values(self, var: Variable, value: Tensor, grad: Tensor,
                    slots: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
        accum, linear = slots
        lr, l1 = self._as(self._lr_t, var), self._as(self._l1_t, var)
        l2, power = self._as(self._l2_t, var), self._as(self._lr_power_t, var)
        new_accum = accum + square(grad)
        shrunk_grad = grad
        if not (isinstance(self._l2_shrinkage, (int, float)) and self._l2_shrinkage <= 0.0):
            shrunk_grad = grad + 2.0 * self._as(self._l2_shrinkage_t, var) * value
        if isinstance(self._learning_rate_power, (int, float)) and \
                self._learning_rate_power == -0.5:
            # The kernels special-case -0.5 with sqrt (not pow), which rounds differently.
            new_scale, old_scale = sqrt(new_accum), sqrt(accum)
        else:
            new_scale, old_scale = _pow(new_accum, -power), _pow(accum, -power)
        new_linear = linear + shrunk_grad - (new_scale - old_scale) / lr * value
        x = l1 * sign(new_linear) - new_linear
        y = new_scale / lr + 2.0 * l2
        new_value = where_v2(_abs(new_linear) > l1, x / y, zeros_like(new_linear))
        return new_value, [new_accum, new_linear]


class _ProximalOptimizer(_KernelOptimizer):
    """FOBOS steps: ``v = var - a g``; ``var = sign(v) max(|v| - a l1, 0) / (1 + a l2)``
    for a rate ``a`` given by :meth:`_rate`."""

    # TF's dense kernel and the names of its rate and gradient inputs, for the dtype check.
    _dense_kernel = ("", "", "")

    def __init__(self, learning_rate: Any, l1_regularization_strength: Any,
                 l2_regularization_strength: Any, use_locking: bool, name: str) -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._l1 = l1_regularization_strength
        self._l2 = l2_regularization_strength

    def _prepare(self) -> None:
        self._lr_t = self._hyper(self._learning_rate, "learning_rate")
        self._l1_t = self._hyper(self._l1, "l1_regularization_strength")
        self._l2_t = self._hyper(self._l2, "l2_regularization_strength")

    def _apply_dense(self, grad: Tensor, var: Variable) -> Operation:
        # TF's dense path passes the hyperparameters uncast (its sparse path casts them).
        op_type, rate_arg, grad_arg = self._dense_kernel
        _require_dtype(op_type, (rate_arg, self._lr_t),
                       [("l1", self._l1_t), ("l2", self._l2_t), (grad_arg, grad)])
        return super()._apply_dense(grad, var)

    def _rate(self, lr: Tensor, grad: Tensor, slots: list[Tensor]
              ) -> tuple[Tensor, list[Tensor]]:
        """(the step's rate, new slot values)."""
        raise NotImplementedError

    def _new_values(self, var: Variable, value: Tensor, grad: Tensor,
                    slots: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
        lr, l1 = self._as(self._lr_t, var), self._as(self._l1_t, var)
        l2 = self._as(self._l2_t, var)
        rate, new_slots = self._rate(lr, grad, slots)
        prox = value - grad * rate
        return _soft_threshold(prox, rate * l1) / (1.0 + l2 * rate), new_slots


class ProximalGradientDescentOptimizer(_ProximalOptimizer):
    """FOBOS with the fixed rate ``lr``."""

    _dense_kernel = ("ResourceApplyProximalGradientDescent", "alpha", "delta")

    def __init__(self, learning_rate: Any, l1_regularization_strength: Any = 0.0,
                 l2_regularization_strength: Any = 0.0, use_locking: bool = False,
                 name: str = "ProximalGradientDescent") -> None:
        super().__init__(learning_rate, l1_regularization_strength,
                         l2_regularization_strength, use_locking, name)

    def _rate(self, lr: Tensor, grad: Tensor, slots: list[Tensor]
              ) -> tuple[Tensor, list[Tensor]]:
        return lr, []


class ProximalAdagradOptimizer(_ProximalOptimizer):
    """FOBOS with Adagrad's rate: ``accum += g^2``; ``a = lr / sqrt(accum)``."""

    _slot_order = ("accumulator",)
    _dense_kernel = ("ResourceApplyProximalAdagrad", "lr", "grad")

    def __init__(self, learning_rate: Any, initial_accumulator_value: Any = 0.1,
                 l1_regularization_strength: Any = 0.0, l2_regularization_strength: Any = 0.0,
                 use_locking: bool = False, name: str = "ProximalAdagrad") -> None:
        if initial_accumulator_value <= 0.0:
            raise ValueError("initial_accumulator_value must be positive: "
                             f"{initial_accumulator_value}")
        super().__init__(learning_rate, l1_regularization_strength,
                         l2_regularization_strength, use_locking, name)
        self._initial = initial_accumulator_value

    def _create_slots(self, var_list: list[Variable]) -> None:
        for v in var_list:
            self._slot(v, constant_initializer(self._initial), "accumulator")

    def _rate(self, lr: Tensor, grad: Tensor, slots: list[Tensor]
              ) -> tuple[Tensor, list[Tensor]]:
        new_accum = slots[0] + square(grad)
        return lr * rsqrt(new_accum), [new_accum]


class AdagradDAOptimizer(_KernelOptimizer):
    """Adagrad dual averaging: ``g_acc += g``; ``gg_acc += g^2``;
    ``var = -lr sign(g_acc) max(|g_acc| - t l1, 0) / (l2 t lr + sqrt(gg_acc))`` with
    ``t = global_step + 1``."""

    _slot_order = ("gradient_accumulator", "gradient_squared_accumulator")

    def __init__(self, learning_rate: Any, global_step: Any,
                 initial_gradient_squared_accumulator_value: Any = 0.1,
                 l1_regularization_strength: Any = 0.0, l2_regularization_strength: Any = 0.0,
                 use_locking: bool = False, name: str = "AdagradDA") -> None:
        if initial_gradient_squared_accumulator_value <= 0.0:
            raise ValueError("initial_gradient_squared_accumulator_value must be positive: "
                             f"{initial_gradient_squared_accumulator_value}")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial = initial_gradient_squared_accumulator_value
        self._l1 = l1_regularization_strength
        self._l2 = l2_regularization_strength
        self._global_step = global_step

    def _create_slots(self, var_list: list[Variable]) -> None:
        for v in var_list:
            self._slot(v, constant_initializer(0.0), "gradient_accumulator")
            self._slot(v, constant_initializer(self._initial), "gradient_squared_accumulator")

    def _prepare(self) -> None:
        self._lr_t = self._hyper(self._learning_rate, "learning_rate")
        self._step_t = identity(self._global_step) + 1

    def _new_values(self, var: Variable, value: Tensor, grad: Tensor,
                    slots: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
        g_acc, gg_acc = slots
        lr = self._as(self._lr_t, var)
        l1 = cast(self._l1, var.dtype)
        l2 = cast(self._l2, var.dtype)
        # The kernels take the step as a number of the variable's type (via float).
        step = cast(self._step_t, var.dtype)
        new_g = g_acc + grad
        new_gg = gg_acc + square(grad)
        new_value = -lr * _soft_threshold(new_g, step * l1) / (l2 * (step * lr) + sqrt(new_gg))
        return new_value, [new_g, new_gg]
