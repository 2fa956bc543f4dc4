"""TF1 optimizers (``tf.compat.v1.train.*Optimizer``) built from assign ops and math.

TF applies updates with fused ``ResourceApply*`` kernels; symgrad composes the same formulas
from ``AssignVariableOp``/``AssignSubVariableOp`` and ordinary ops, ordering each update after
the reads it depends on with control dependencies. Slot variables are named as TF names them
(``v/Adam``, ``v/Adam_1``, ``beta1_power``...).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from .. import dtypes as _dtypes
from ..constant_op import convert_to_tensor, convert_to_tensor_or_indexed_slices
from ..control_flow_ops import group, tuple as _tuple
from ..framework import Operation, Tensor, get_default_graph
from ..gradients_impl import gradients
from ..indexed_slices import IndexedSlices
from ..math_ops import cast, sqrt, square
from ..variables import (GraphKeys, Variable, constant_initializer, get_variable,
                         ones_initializer, trainable_variables, zeros_initializer)

__all__ = [
    "Optimizer", "GradientDescentOptimizer", "MomentumOptimizer", "AdamOptimizer",
    "RMSPropOptimizer", "AdagradOptimizer", "get_global_step", "create_global_step",
    "get_or_create_global_step", "global_step", "assert_global_step",
]


def _root_variable(initial_value: Any, name: str, dtype: Any = None,
                   trainable: bool = False) -> Variable:
    """A variable named ``name`` from the root scope, outside control contexts (as TF's
    slot and non-slot variables, made under ``init_scope``)."""
    graph = get_default_graph()
    outer = graph._native.name_scope()
    graph._native.set_name_scope("")
    try:
        with graph.control_dependencies(None):
            return Variable(initial_value, trainable=trainable, name=name, dtype=dtype)
    finally:
        graph._native.set_name_scope(outer)


def _var_key(var: Variable) -> str:
    """What slots are keyed by: the op name, or an eager variable's unique state name."""
    return var._unique_id if var._eager else var.op.name


class Optimizer:
    """Base class: ``compute_gradients`` + ``apply_gradients`` = ``minimize``."""

    GATE_NONE = 0
    GATE_OP = 1
    GATE_GRAPH = 2

    def __init__(self, use_locking: bool, name: str) -> None:
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        # slot name -> {variable's op name -> slot variable}
        self._slots: dict[str, dict[str, Variable]] = {}
        self._non_slot: dict[str, Variable] = {}

    def get_name(self) -> str:
        return self._name

    # ----- the public protocol -----
    def minimize(self, loss: Any, global_step: Optional[Variable] = None,
                 var_list: Optional[Sequence[Variable]] = None,
                 gate_gradients: int = GATE_OP, aggregation_method: Any = None,
                 colocate_gradients_with_ops: bool = False, name: Optional[str] = None,
                 grad_loss: Any = None) -> Operation:
        grads_and_vars = self.compute_gradients(
            loss, var_list=var_list, gate_gradients=gate_gradients,
            aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops, grad_loss=grad_loss)
        vars_with_grad = [v for g, v in grads_and_vars if g is not None]
        if not vars_with_grad:
            raise ValueError(
                "No gradients provided for any variable, check your graph for ops that do "
                f"not support gradients, between variables {[str(v) for _, v in grads_and_vars]}"
                f" and loss {loss}.")
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def compute_gradients(self, loss: Any, var_list: Optional[Sequence[Any]] = None,
                          gate_gradients: int = GATE_OP, aggregation_method: Any = None,
                          colocate_gradients_with_ops: bool = False,
                          grad_loss: Any = None) -> list[tuple[Any, Variable]]:
        from ..eager import executing_eagerly
        if executing_eagerly():
            return self._compute_gradients_eagerly(loss, var_list, grad_loss)
        if callable(loss) and not isinstance(loss, (Tensor, Variable)):
            raise NotImplementedError("symgrad optimizers take a loss tensor, not a callable")
        if gate_gradients not in (Optimizer.GATE_NONE, Optimizer.GATE_OP,
                                  Optimizer.GATE_GRAPH):
            raise ValueError("gate_gradients must be one of: Optimizer.GATE_NONE, "
                             f"Optimizer.GATE_OP, Optimizer.GATE_GRAPH.  Not {gate_gradients}")
        loss = convert_to_tensor(loss)
        self._assert_valid_dtypes([loss])
        if var_list is None:
            var_list = trainable_variables()
        else:
            var_list = list(var_list)
        for v in var_list:
            if not isinstance(v, Variable):
                raise NotImplementedError(f"Trying to update a Tensor {v}")
            if v.graph is not loss.graph:
                raise ValueError(f"Variable {v.name} is not in the graph of the loss "
                                 f"{loss.name}")
        if not var_list:
            raise ValueError("No variables to optimize.")
        grads = gradients(loss, var_list, grad_ys=grad_loss,
                          gate_gradients=(gate_gradients == Optimizer.GATE_OP),
                          aggregation_method=aggregation_method,
                          colocate_gradients_with_ops=colocate_gradients_with_ops)
        if gate_gradients == Optimizer.GATE_GRAPH:
            present = [g for g in grads if g is not None]
            gated = iter(_tuple(present)) if present else iter([])
            grads = [None if g is None else next(gated) for g in grads]
        grads_and_vars = list(zip(grads, var_list))
        self._assert_valid_dtypes([v for g, v in grads_and_vars if g is not None])
        return grads_and_vars

    def _compute_gradients_eagerly(self, loss: Any, var_list: Optional[Sequence[Any]],
                                   grad_loss: Any) -> list[tuple[Any, Variable]]:
        """TF's eager path: the loss is a callable, differentiated on a GradientTape."""
        from ..eager import GradientTape
        if not callable(loss):
            raise RuntimeError("`loss` passed to Optimizer.compute_gradients should be a "
                               "function when eager execution is enabled.")
        with GradientTape() as tape:
            if var_list is not None:
                tape.watch(list(var_list))
            loss_value = loss()
        if var_list is None:
            var_list = list(tape.watched_variables())
        else:
            var_list = list(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        grads = tape.gradient(loss_value, var_list,
                              None if grad_loss is None else [grad_loss])
        return list(zip(grads, var_list))

    def apply_gradients(self, grads_and_vars: Any, global_step: Optional[Variable] = None,
                        name: Optional[str] = None) -> Operation:
        grads_and_vars = list(grads_and_vars)
        if not grads_and_vars:
            raise ValueError("No variables provided.")
        converted: list[tuple[Any, Variable]] = []
        for g, v in grads_and_vars:
            if not isinstance(v, Variable):
                raise NotImplementedError(f"Trying to update a Tensor {v}")
            if g is not None:
                try:
                    g = convert_to_tensor_or_indexed_slices(g)
                except TypeError:
                    raise TypeError(f"Gradient must be convertible to a Tensor or "
                                    f"IndexedSlices, or None: {g}") from None
                g_dtype = g.dtype
                if g_dtype is not v.dtype:
                    raise ValueError(f"Gradient {g} has dtype {g_dtype.name} but variable "
                                     f"{v.name} has dtype {v.dtype.name}")
            converted.append((g, v))
        var_list = [v for g, v in converted if g is not None]
        if not var_list:
            raise ValueError("No gradients provided for any variable: "
                             f"{[(str(g), str(v)) for g, v in converted]}.")
        graph = get_default_graph()
        # Outside the caller's control dependencies, as TF's init_scope: a train op built
        # under `control_dependencies(UPDATE_OPS)` must not tie the slots' initializers to
        # the update ops (and through them to the input placeholders).
        with graph.control_dependencies(None):
            self._create_slots(var_list)
        update_ops: list[Operation] = []
        with graph.name_scope(name or self._name) as scope:
            self._prepare()
            for grad, var in converted:
                if grad is None:
                    continue
                with graph.name_scope("update_" + _var_key(var)):
                    if isinstance(grad, IndexedSlices):
                        update_ops.append(self._apply_sparse_duplicate_indices(grad, var))
                    else:
                        update_ops.append(self._apply_dense(grad, var))
            if global_step is None:
                apply_updates = self._finish(update_ops, scope)
            else:
                with graph.control_dependencies([self._finish(update_ops, "update")]):
                    apply_updates = global_step.assign_add(1, name=scope, read_value=False)
        train_ops = graph.get_collection_ref("train_op")
        if apply_updates not in train_ops:
            train_ops.append(apply_updates)
        return apply_updates

    # ----- slots -----
    def get_slot_names(self) -> list[str]:
        return sorted(self._slots)

    def get_slot(self, var: Variable, name: str) -> Optional[Variable]:
        return self._slots.get(name, {}).get(_var_key(var))

    def variables(self) -> list[Variable]:
        out = list(self._non_slot.values())
        for slots in self._slots.values():
            out.extend(slots.values())
        return sorted(out, key=lambda v: v.name)

    def _slot(self, var: Variable, initializer: Any, slot_name: str,
              var_suffix: Optional[str] = None) -> Variable:
        """The slot ``slot_name`` of ``var``: a variable ``<var>/<var_suffix>`` (default the
        optimizer's name; TF uniquifies a repeated suffix with ``_1``...)."""
        slots = self._slots.setdefault(slot_name, {})
        key = _var_key(var)
        existing = slots.get(key)
        if existing is None:
            if var._eager:
                # Made eagerly even while a `function` traces (TF's init_scope).
                value: Any = lambda: initializer(var.shape, dtype=var.dtype)  # noqa: E731
            else:
                value = initializer(var.shape, dtype=var.dtype)
            existing = _root_variable(value, f"{key}/{var_suffix or self._name}")
            slots[key] = existing
        return existing

    def _zeros_slot(self, var: Variable, slot_name: str,
                    op_name: Optional[str] = None) -> Variable:
        return self._slot(var, zeros_initializer(), slot_name, op_name)

    # TF's protected slot API, which subclasses written for TF call.
    def _slot_dict(self, slot_name: str) -> dict[str, Variable]:
        return self._slots.setdefault(slot_name, {})

    def _get_or_make_slot(self, var: Variable, val: Any, slot_name: str,
                          op_name: Optional[str] = None) -> Variable:
        """A slot starting at the tensor or value ``val``."""
        return self._slot(var, lambda shape, dtype=None: val, slot_name, op_name)

    def _get_or_make_slot_with_initializer(self, var: Variable, initializer: Any, shape: Any,
                                           dtype: Any, slot_name: str,
                                           op_name: Optional[str] = None) -> Variable:
        slot_shape, slot_dtype = shape, dtype
        return self._slot(var, lambda *_, **__: initializer(slot_shape, dtype=slot_dtype),
                          slot_name, op_name)

    def _create_non_slot_variable(self, initial_value: Any, name: str,
                                  colocate_with: Any = None) -> Variable:
        """TF's non-slot variable: its dtype is the initial value's (a Python float gives
        float32, as in TF)."""
        return self._non_slot_variable(initial_value, name, None)

    def _get_non_slot_variable(self, name: str, graph: Any = None) -> Optional[Variable]:
        return self._non_slot.get(name)

    def _non_slot_variables(self) -> list[Variable]:
        return list(self._non_slot.values())

    @staticmethod
    def _call_if_callable(param: Any) -> Any:
        return param() if callable(param) else param

    def _non_slot_variable(self, initial_value: float, name: str, dtype: Any) -> Variable:
        existing = self._non_slot.get(name)
        if existing is None:
            if get_default_graph()._is_eager or hasattr(get_default_graph(),
                                                        "capture_variable_read"):
                existing = _root_variable(lambda: convert_to_tensor(initial_value, dtype=dtype),
                                          name)
            else:
                existing = _root_variable(convert_to_tensor(initial_value, dtype=dtype), name)
            self._non_slot[name] = existing
        return existing

    # ----- per-optimizer hooks -----
    def _create_slots(self, var_list: list[Variable]) -> None:
        pass

    def _prepare(self) -> None:
        pass

    # Subclasses implement TF's ref-variable hooks (`_apply_dense`, `_apply_sparse`) or its
    # resource-variable ones (`_resource_apply_*`); symgrad's variables take either.
    def _apply_dense(self, grad: Tensor, var: Variable) -> Operation:
        if type(self)._resource_apply_dense is not Optimizer._resource_apply_dense:
            return self._resource_apply_dense(grad, var)
        raise NotImplementedError()

    def _resource_apply_dense(self, grad: Tensor, handle: Variable) -> Operation:
        raise NotImplementedError()

    def _apply_sparse_duplicate_indices(self, grad: IndexedSlices, var: Variable) -> Operation:
        """Applies ``grad`` whose indices may repeat: TF's default sums the duplicates first
        (``Unique`` + ``UnsortedSegmentSum``) and calls ``_apply_sparse``."""
        cls = type(self)
        if cls._resource_apply_sparse_duplicate_indices is not \
                Optimizer._resource_apply_sparse_duplicate_indices:
            return self._resource_apply_sparse_duplicate_indices(grad.values, var,
                                                                 grad.indices)
        values, indices = _dedup(grad)
        return self._apply_sparse(IndexedSlices(values, indices, grad.dense_shape), var)

    def _resource_apply_sparse_duplicate_indices(self, grad: Tensor, handle: Variable,
                                                 indices: Tensor) -> Operation:
        raise NotImplementedError()

    def _apply_sparse(self, grad: IndexedSlices, var: Variable) -> Operation:
        if type(self)._resource_apply_sparse is not Optimizer._resource_apply_sparse:
            return self._resource_apply_sparse(grad.values, var, grad.indices)
        # A subclass with only a dense update gets the densified gradient; the result equals
        # a sparse update whenever untouched rows are left alone by a zero gradient.
        return self._apply_dense(convert_to_tensor(grad), var)

    def _resource_apply_sparse(self, grad: Tensor, handle: Variable,
                               indices: Tensor) -> Operation:
        raise NotImplementedError()

    def _finish(self, update_ops: list[Operation], name_scope: str) -> Operation:
        return group(*update_ops, name=name_scope)

    def _assert_valid_dtypes(self, tensors: Sequence[Any]) -> None:
        valid = (_dtypes.float16, _dtypes.float32, _dtypes.float64)
        for t in tensors:
            if t.dtype not in valid:
                raise ValueError(f"Invalid type {t.dtype.name} for {t.name}, expected: "
                                 f"{[d.name for d in valid]}.")

    def _hyper(self, value: Any, name: str) -> Tensor:
        # A callable hyperparameter (an eager learning-rate schedule) is evaluated at every
        # application, as TF's `_call_if_callable`.
        return convert_to_tensor(self._call_if_callable(value), name=name)

    @staticmethod
    def _as(t: Tensor, var: Variable) -> Tensor:
        return t if t.dtype is var.dtype else cast(t, var.dtype)


def _dedup(grad: IndexedSlices) -> tuple[Tensor, Tensor]:
    """TF's ``_deduplicate_indexed_slices``: (summed values, unique indices), via ``Unique``
    and an ``UnsortedSegmentSum`` over the unique count (never the variable's rows)."""
    from ..array_ops import shape, unsorted_segment_sum
    graph = get_default_graph()
    with graph.name_scope("Unique") as scope:
        op = graph._create_op("Unique", [grad.indices], {"out_idx": "int32"}, scope)
    unique_indices, positions = op.outputs[0], op.outputs[1]
    summed = unsorted_segment_sum(grad.values, positions, shape(unique_indices)[0])
    return summed, unique_indices


def _rows(var: Variable, indices: Tensor, after: Sequence[Any] = ()) -> Tensor:
    """``ResourceGather(var, indices)`` ordered after ``after``: only the touched rows."""
    graph = get_default_graph()
    with graph.control_dependencies(list(after)):
        with graph.name_scope("ResourceGather") as scope:
            op = graph._create_op("ResourceGather", [var.handle, indices],
                                  {"dtype": var.dtype.name, "batch_dims": 0,
                                   "validate_indices": True}, scope)
    return op.outputs[0]


def _scatter(var: Variable, op_type: str, indices: Tensor, updates: Tensor,
             after: Sequence[Any] = ()) -> Operation:
    graph = get_default_graph()
    with graph.control_dependencies(list(after)):
        return var._scatter(op_type, indices, updates, None, read_value=False)


class GradientDescentOptimizer(Optimizer):
    """``var -= learning_rate * grad``."""

    def __init__(self, learning_rate: Any, use_locking: bool = False,
                 name: str = "GradientDescent") -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate

    def _prepare(self) -> None:
        self._lr_t = self._hyper(self._learning_rate, "learning_rate")

    def _apply_dense(self, grad: Tensor, var: Variable) -> Operation:
        return var.assign_sub(self._as(self._lr_t, var) * grad, read_value=False)

    def _apply_sparse_duplicate_indices(self, grad: IndexedSlices,
                                        var: Variable) -> Operation:
        # TF's `_resource_apply_sparse_duplicate_indices`: a scatter-add of -lr * values into
        # the touched rows only; duplicate indices accumulate in the kernel, so no dedup.
        return var._scatter("ResourceScatterAdd", grad.indices,
                            -grad.values * self._as(self._lr_t, var), None, read_value=False)


class MomentumOptimizer(Optimizer):
    """``accum = momentum * accum + grad``; ``var -= lr * accum`` (Nesterov:
    ``var -= lr * grad + lr * momentum * accum``)."""

    def __init__(self, learning_rate: Any, momentum: Any, use_locking: bool = False,
                 name: str = "Momentum", use_nesterov: bool = False) -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._use_nesterov = use_nesterov

    def _create_slots(self, var_list: list[Variable]) -> None:
        for v in var_list:
            self._zeros_slot(v, "momentum")

    def _prepare(self) -> None:
        self._lr_t = self._hyper(self._learning_rate, "learning_rate")
        self._momentum_t = self._hyper(self._momentum, "momentum")

    def _apply_dense(self, grad: Tensor, var: Variable) -> Operation:
        accum = self.get_slot(var, "momentum")
        assert accum is not None
        lr, mom = self._as(self._lr_t, var), self._as(self._momentum_t, var)
        new_accum = accum.assign(accum.value() * mom + grad)
        if self._use_nesterov:
            step = grad * lr + new_accum * mom * lr
        else:
            step = new_accum * lr
        return var.assign_sub(step, read_value=False)

    def _apply_sparse_duplicate_indices(self, grad: IndexedSlices,
                                        var: Variable) -> Operation:
        # TF's ResourceSparseApplyMomentum on deduplicated slices, composed from
        # ResourceGather / ResourceScatterUpdate / ResourceScatterSub on the touched rows.
        accum = self.get_slot(var, "momentum")
        assert accum is not None
        values, indices = _dedup(grad)
        lr, mom = self._as(self._lr_t, var), self._as(self._momentum_t, var)
        new_rows = _rows(accum, indices) * mom + values
        set_accum = _scatter(accum, "ResourceScatterUpdate", indices, new_rows)
        if self._use_nesterov:
            step = values * lr + new_rows * mom * lr
        else:
            step = new_rows * lr
        return _scatter(var, "ResourceScatterSub", indices, step, [set_accum])


class AdamOptimizer(Optimizer):
    """Adam (Kingma & Ba), with TF's epsilon-hat placement:
    ``lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)``; ``var -= lr_t * m / (sqrt(v) + eps)``."""

    def __init__(self, learning_rate: Any = 0.001, beta1: Any = 0.9, beta2: Any = 0.999,
                 epsilon: Any = 1e-8, use_locking: bool = False, name: str = "Adam") -> None:
        super().__init__(use_locking, name)
        self._lr, self._beta1, self._beta2, self._epsilon = learning_rate, beta1, beta2, epsilon

    def _create_slots(self, var_list: list[Variable]) -> None:
        first = min(var_list, key=lambda v: v.name)
        self._non_slot_variable(self._beta1, "beta1_power", first.dtype)
        self._non_slot_variable(self._beta2, "beta2_power", first.dtype)
        for v in var_list:
            self._zeros_slot(v, "m")
            self._zeros_slot(v, "v")

    def _get_beta_accumulators(self) -> tuple[Variable, Variable]:
        """``(beta1_power, beta2_power)``, as TF's Adam exposes them."""
        return self._non_slot["beta1_power"], self._non_slot["beta2_power"]

    def _prepare(self) -> None:
        self._lr_t = self._hyper(self._lr, "learning_rate")
        self._beta1_t = self._hyper(self._beta1, "beta1")
        self._beta2_t = self._hyper(self._beta2, "beta2")
        self._epsilon_t = self._hyper(self._epsilon, "epsilon")

    def _apply_dense(self, grad: Tensor, var: Variable) -> Operation:
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        assert m is not None and v is not None
        b1p = self._as(self._non_slot["beta1_power"].value(), var)
        b2p = self._as(self._non_slot["beta2_power"].value(), var)
        lr, b1 = self._as(self._lr_t, var), self._as(self._beta1_t, var)
        b2, eps = self._as(self._beta2_t, var), self._as(self._epsilon_t, var)
        lr_t = lr * sqrt(1.0 - b2p) / (1.0 - b1p)
        m_t = m.assign(m.value() * b1 + grad * (1.0 - b1))
        v_t = v.assign(v.value() * b2 + square(grad) * (1.0 - b2))
        return var.assign_sub(lr_t * m_t / (sqrt(v_t) + eps), read_value=False)

    def _apply_sparse_duplicate_indices(self, grad: IndexedSlices,
                                        var: Variable) -> Operation:
        # TF's `_apply_sparse_shared` on deduplicated slices: m and v decay everywhere
        # (assign), the gradient terms are scatter-added into the touched rows, and var takes
        # the dense Adam step (as TF's sparse Adam does).
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        assert m is not None and v is not None
        values, indices = _dedup(grad)
        b1p = self._as(self._non_slot["beta1_power"].value(), var)
        b2p = self._as(self._non_slot["beta2_power"].value(), var)
        lr, b1 = self._as(self._lr_t, var), self._as(self._beta1_t, var)
        b2, eps = self._as(self._beta2_t, var), self._as(self._epsilon_t, var)
        lr_t = lr * sqrt(1.0 - b2p) / (1.0 - b1p)
        m_decay = m.assign(m.value() * b1, read_value=False)
        m_add = _scatter(m, "ResourceScatterAdd", indices, values * (1.0 - b1), [m_decay])
        v_decay = v.assign(v.value() * b2, read_value=False)
        v_add = _scatter(v, "ResourceScatterAdd", indices, square(values) * (1.0 - b2),
                         [v_decay])
        graph = get_default_graph()
        with graph.control_dependencies([m_add]):
            m_t = m._read()
        with graph.control_dependencies([v_add]):
            v_t = v._read()
        return var.assign_sub(lr_t * m_t / (sqrt(v_t) + eps), read_value=False)

    def _finish(self, update_ops: list[Operation], name_scope: str) -> Operation:
        graph = get_default_graph()
        b1p, b2p = self._non_slot["beta1_power"], self._non_slot["beta2_power"]
        # The powers advance only after every variable used the current ones.
        with graph.control_dependencies(update_ops):
            update_b1 = b1p.assign(b1p.value() * self._as(self._beta1_t, b1p),
                                   read_value=False)
            update_b2 = b2p.assign(b2p.value() * self._as(self._beta2_t, b2p),
                                   read_value=False)
        return group(*update_ops, update_b1, update_b2, name=name_scope)


class RMSPropOptimizer(Optimizer):
    """``ms = decay * ms + (1 - decay) * g^2``;
    ``mom = momentum * mom + lr * g / sqrt(ms + eps)``; ``var -= mom``
    (centered: ``mg = decay * mg + (1 - decay) * g``, denominator ``sqrt(ms - mg^2 + eps)``)."""

    def __init__(self, learning_rate: Any, decay: Any = 0.9, momentum: Any = 0.0,
                 epsilon: Any = 1e-10, use_locking: bool = False, centered: bool = False,
                 name: str = "RMSProp") -> None:
        super().__init__(use_locking, name)
        self._lr, self._decay, self._momentum = learning_rate, decay, momentum
        self._epsilon, self._centered = epsilon, centered

    def _create_slots(self, var_list: list[Variable]) -> None:
        for v in var_list:
            # TF1 starts the mean square at one, not zero.
            self._slot(v, ones_initializer(), "rms")
            if self._centered:
                self._zeros_slot(v, "mg")
            self._zeros_slot(v, "momentum")

    def _prepare(self) -> None:
        self._lr_t = self._hyper(self._lr, "learning_rate")
        self._decay_t = self._hyper(self._decay, "decay")
        self._momentum_t = self._hyper(self._momentum, "momentum")
        self._epsilon_t = self._hyper(self._epsilon, "epsilon")

    def _apply_dense(self, grad: Tensor, var: Variable) -> Operation:
        rms, mom = self.get_slot(var, "rms"), self.get_slot(var, "momentum")
        assert rms is not None and mom is not None
        lr, decay = self._as(self._lr_t, var), self._as(self._decay_t, var)
        momentum, eps = self._as(self._momentum_t, var), self._as(self._epsilon_t, var)
        ms_t = rms.assign(rms.value() * decay + square(grad) * (1.0 - decay))
        denom_sq = ms_t
        if self._centered:
            mg = self.get_slot(var, "mg")
            assert mg is not None
            mg_t = mg.assign(mg.value() * decay + grad * (1.0 - decay))
            denom_sq = ms_t - square(mg_t)
        mom_t = mom.assign(mom.value() * momentum + lr * grad / sqrt(denom_sq + eps))
        return var.assign_sub(mom_t, read_value=False)

    def _apply_sparse_duplicate_indices(self, grad: IndexedSlices,
                                        var: Variable) -> Operation:
        # TF's ResourceSparseApply(Centered)RMSProp on deduplicated slices, composed from
        # ResourceGather / ResourceScatterUpdate / ResourceScatterSub on the touched rows.
        rms, mom = self.get_slot(var, "rms"), self.get_slot(var, "momentum")
        assert rms is not None and mom is not None
        values, indices = _dedup(grad)
        lr, decay = self._as(self._lr_t, var), self._as(self._decay_t, var)
        momentum, eps = self._as(self._momentum_t, var), self._as(self._epsilon_t, var)
        ms_rows = _rows(rms, indices) * decay + square(values) * (1.0 - decay)
        updates = [_scatter(rms, "ResourceScatterUpdate", indices, ms_rows)]
        denom_sq = ms_rows
        if self._centered:
            mg = self.get_slot(var, "mg")
            assert mg is not None
            mg_rows = _rows(mg, indices) * decay + values * (1.0 - decay)
            updates.append(_scatter(mg, "ResourceScatterUpdate", indices, mg_rows))
            denom_sq = ms_rows - square(mg_rows)
        mom_rows = _rows(mom, indices) * momentum + lr * values / sqrt(denom_sq + eps)
        updates.append(_scatter(mom, "ResourceScatterUpdate", indices, mom_rows))
        return _scatter(var, "ResourceScatterSub", indices, mom_rows, updates)


class AdagradOptimizer(Optimizer):
    """``accum += g^2``; ``var -= lr * g / sqrt(accum)``."""

    def __init__(self, learning_rate: Any, initial_accumulator_value: float = 0.1,
                 use_locking: bool = False, name: str = "Adagrad") -> None:
        if initial_accumulator_value <= 0.0:
            raise ValueError("initial_accumulator_value must be positive: "
                             f"{initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._lr = learning_rate
        self._initial = initial_accumulator_value

    def _create_slots(self, var_list: list[Variable]) -> None:
        for v in var_list:
            self._slot(v, constant_initializer(self._initial), "accumulator")

    def _prepare(self) -> None:
        self._lr_t = self._hyper(self._lr, "learning_rate")

    def _apply_dense(self, grad: Tensor, var: Variable) -> Operation:
        acc = self.get_slot(var, "accumulator")
        assert acc is not None
        acc_t = acc.assign_add(square(grad))
        return var.assign_sub(self._as(self._lr_t, var) * grad / sqrt(acc_t),
                              read_value=False)

    def _apply_sparse_duplicate_indices(self, grad: IndexedSlices,
                                        var: Variable) -> Operation:
        # TF's ResourceSparseApplyAdagrad on deduplicated slices, composed: scatter-add
        # g^2 into the accumulator rows, then scatter-sub lr * g / sqrt(accum rows).
        acc = self.get_slot(var, "accumulator")
        assert acc is not None
        values, indices = _dedup(grad)
        acc_add = _scatter(acc, "ResourceScatterAdd", indices, square(values))
        acc_rows = _rows(acc, indices, [acc_add])
        return _scatter(var, "ResourceScatterSub", indices,
                        self._as(self._lr_t, var) * values / sqrt(acc_rows), [acc_add])


# ----- the global step -----

def get_global_step(graph: Any = None) -> Optional[Variable]:
    graph = graph or get_default_graph()
    steps = graph.get_collection(GraphKeys.GLOBAL_STEP)
    if len(steps) > 1:
        raise TypeError("Multiple tensors in global_step collection.")
    return steps[0] if steps else None


def create_global_step(graph: Any = None) -> Variable:
    graph = graph or get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError("\"global_step\" already exists.")
    with graph.as_default():
        return get_variable("global_step", shape=[], dtype=_dtypes.int64,
                            initializer=zeros_initializer(), trainable=False,
                            collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP])


def get_or_create_global_step(graph: Any = None) -> Variable:
    return get_global_step(graph) or create_global_step(graph)


def global_step(sess: Any, global_step_tensor: Any) -> int:
    return int(sess.run(global_step_tensor))



def assert_global_step(global_step_tensor: Any) -> None:
    """TF's checks that ``global_step_tensor`` can serve as the global step."""
    if not isinstance(global_step_tensor, (Variable, Tensor)):
        raise TypeError('Existing "global_step" must be a Variable or Tensor: '
                        f"{global_step_tensor}.")
    if not global_step_tensor.dtype.base_dtype.is_integer:
        raise TypeError('Existing "global_step" does not have integer type: '
                        f"{global_step_tensor.dtype}")
    shape = global_step_tensor.shape
    if shape.ndims != 0 and shape.is_fully_defined():
        raise TypeError(f'Existing "global_step" is not scalar: {shape}')
