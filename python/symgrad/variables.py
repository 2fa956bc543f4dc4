"""Variables (``tf.compat.v1.Variable``, ``get_variable``, ``variable_scope``, initializers).

As in TF 2.x graph mode, a variable is a resource variable: ``VarHandleOp`` names it,
``ReadVariableOp`` reads it and ``AssignVariableOp`` writes it. Values live in each Session,
keyed by the variable's shared name (its op name). A Variable converts to a fresh read
wherever a tensor is expected; ``gradients()`` w.r.t. a Variable sums the gradients at all
its reads, which is what TF gets by differentiating through the reads to the handle.
"""

from __future__ import annotations

import contextlib
import enum
import math
import re
import threading
from typing import Any, Callable, Iterator, Optional, Sequence

import numpy as np

from . import dtypes as _dtypes
from .array_ops import _shape_attr
from .constant_op import convert_to_tensor
from .framework import (Graph, Operation, Tensor, get_default_graph,
                        register_tensor_conversion_function)
from .tensor_shape import TensorShape, as_shape

__all__ = [
    "Variable", "VariableV1", "GraphKeys", "global_variables", "trainable_variables",
    "local_variables", "all_variables", "global_variables_initializer",
    "initialize_all_variables", "variables_initializer", "local_variables_initializer", "initialize_variables",
    "is_variable_initialized", "assign", "assign_add", "assign_sub", "get_variable",
    "variable_scope", "get_variable_scope", "VariableScope", "zeros_initializer",
    "ones_initializer", "constant_initializer", "random_normal_initializer",
    "truncated_normal_initializer", "random_uniform_initializer",
    "glorot_uniform_initializer", "glorot_normal_initializer", "variance_scaling_initializer",
    "he_normal", "he_uniform", "lecun_normal", "lecun_uniform", "AUTO_REUSE",
    "VariableSynchronization", "VariableAggregation",
]


class GraphKeys:
    """Standard collection names (TF's ``tf.GraphKeys``)."""
    GLOBAL_VARIABLES = "variables"
    LOCAL_VARIABLES = "local_variables"
    METRIC_VARIABLES = "metric_variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    GLOBAL_STEP = "global_step"
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"
    REGULARIZATION_LOSSES = "regularization_losses"
    SAVERS = "savers"
    SUMMARIES = "summaries"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    INIT_OP = "init_op"
    LOCAL_INIT_OP = "local_init_op"
    READY_OP = "ready_op"
    READY_FOR_LOCAL_INIT_OP = "ready_for_local_init_op"
    SUMMARY_OP = "summary_op"
    TABLE_INITIALIZERS = "table_initializer"
    QUEUE_RUNNERS = "queue_runners"
    VARIABLES = "variables"
    MODEL_VARIABLES = "model_variables"
    CONCATENATED_VARIABLES = "concatenated_variables"
    TRAINABLE_RESOURCE_VARIABLES = "trainable_resource_variables"
    ASSET_FILEPATHS = "asset_filepaths"
    WEIGHTS = "weights"
    BIASES = "biases"
    ACTIVATIONS = "activations"
    SAVEABLE_OBJECTS = "saveable_objects"
    RESOURCES = "resources"
    LOCAL_RESOURCES = "local_resources"
    EVAL_STEP = "eval_step"
    TRAIN_OP = "train_op"
    COND_CONTEXT = "cond_context"
    WHILE_CONTEXT = "while_context"


def _variable_shape(init: Tensor, shape: Any, validate_shape: bool) -> TensorShape:
    """The variable's static shape: ``shape`` if given (checked against the initial value
    when ``validate_shape``), else the initial value's."""
    var_shape = init.shape if shape is None else as_shape(shape)
    if validate_shape and shape is not None and not var_shape.is_compatible_with(init.shape):
        raise ValueError(
            f"The initial value's shape ({init.shape}) is not compatible with the "
            f"explicitly supplied `shape` argument ({var_shape}).")
    return var_shape


class VariableSynchronization(enum.Enum):
    """When a distributed variable's copies are brought together (kept, not acted on: symgrad
    has one copy)."""

    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class VariableAggregation(enum.Enum):
    """How a distributed variable's updates combine (TF 1's enum; kept, not acted on)."""

    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3
    ONLY_FIRST_TOWER = 3  # TF 1's older name for ONLY_FIRST_REPLICA


def _mode(kind: type[enum.Enum], value: Any, default: enum.Enum, what: str,
          name: Optional[str]) -> Any:
    """``value`` as the enum ``kind`` (``default`` for ``None``), with TF's error."""
    try:
        return kind(default if value is None else value)
    except ValueError:
        raise ValueError(f"Invalid variable {what} mode: {value} for variable: "
                         f"{name}") from None


def _distribution_modes(synchronization: Any, aggregation: Any, name: Optional[str]
                        ) -> tuple[VariableSynchronization, VariableAggregation]:
    """The enums a variable was given (their defaults for ``None``)."""
    return (_mode(VariableSynchronization, synchronization, VariableSynchronization.AUTO,
                  "synchronization", name),
            _mode(VariableAggregation, aggregation, VariableAggregation.NONE, "aggregation",
                  name))


class Variable:
    """A resource variable in a graph (``tf.compat.v1.Variable``); in eager mode, a
    variable whose value lives in the eager context (TF 2's eager resource variable)."""

    _eager = False

    def __init__(self, initial_value: Any = None, trainable: Optional[bool] = None,
                 collections: Optional[Sequence[str]] = None, validate_shape: bool = True,
                 caching_device: Any = None, name: Optional[str] = None,
                 variable_def: Any = None, dtype: Any = None, expected_shape: Any = None,
                 import_scope: Any = None, constraint: Any = None, use_resource: Any = None,
                 synchronization: Any = None, aggregation: Any = None,
                 shape: Any = None) -> None:
        if variable_def is not None:
            if initial_value is not None:
                raise ValueError("variable_def and initial_value are mutually exclusive.")
            self._init_from_proto(variable_def, import_scope)
            return
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        self._synchronization, self._aggregation = _distribution_modes(
            synchronization, aggregation, name)
        # As TF: a variable read on each replica is not trained unless asked.
        trainable = self._synchronization is not VariableSynchronization.ON_READ \
            if trainable is None else bool(trainable)
        if collections is None:
            collections = [GraphKeys.GLOBAL_VARIABLES]
        collections = list(collections)
        if trainable and GraphKeys.TRAINABLE_VARIABLES not in collections:
            collections.append(GraphKeys.TRAINABLE_VARIABLES)
        graph = get_default_graph()
        self._trainable = trainable
        self._constraint = constraint
        if graph._is_eager or hasattr(graph, "capture_variable_read"):
            # Eager, or being created while a `function` traces: lifted out to the eager
            # context, as TF's init_scope does.
            self._init_eager(initial_value, name, dtype, shape, validate_shape)
            return
        self._graph = graph
        # Variables are created outside any control-dependency context, as TF's init_scope.
        with graph.control_dependencies(None), graph.name_scope(name or "Variable") as scope:
            handle_name = scope[:-1]
            with graph.name_scope("Initializer"):
                value = initial_value() if callable(initial_value) else initial_value
                init = convert_to_tensor(value, dtype=dtype, name="initial_value")
            var_shape = _variable_shape(init, shape, validate_shape)
            if not validate_shape:
                var_shape = TensorShape(None)
            self._dtype = init.dtype
            self._shape = var_shape
            attrs: dict[str, Any] = {"dtype": init.dtype.name, "container": "",
                                     "shared_name": handle_name}
            shape_attr = _shape_attr(var_shape)
            if shape_attr is not None:
                attrs["shape"] = shape_attr
            self._handle = graph._create_op("VarHandleOp", [], attrs, scope).outputs[0]
            with graph.name_scope("IsInitialized") as s:
                self._is_initialized_op = graph._create_op(
                    "VarIsInitializedOp", [self._handle], {}, s + "VarIsInitializedOp/"
                ).outputs[0]
            self._initial_value = init
            self._initializer_op = graph._create_op(
                "AssignVariableOp", [self._handle, init], {"dtype": init.dtype.name},
                scope + "Assign/")
            with graph.name_scope("Read") as s:
                self._graph_element = graph._create_op(
                    "ReadVariableOp", [self._handle], {"dtype": init.dtype.name},
                    s + "ReadVariableOp/").outputs[0]
        self._save_slice_info = None
        graph.add_to_collections(collections, self)

    def _init_eager(self, initial_value: Any, name: Optional[str], dtype: Any, shape: Any,
                    validate_shape: bool) -> None:
        from .eager import _EAGER_GRAPH, context, eager_mode
        if isinstance(initial_value, Tensor) and not initial_value._is_eager:
            raise ValueError(
                "A variable created inside a `function` needs an initial value computable "
                "outside it (a callable or a constant), not the graph tensor "
                f"{initial_value}.")
        with eager_mode():
            value = initial_value() if callable(initial_value) else initial_value
            init = convert_to_tensor(value, dtype=dtype)
        var_shape = _variable_shape(init, shape, validate_shape)
        self._eager = True
        self._graph = _EAGER_GRAPH
        base = (name or "Variable").rstrip("/")
        self._eager_name = base + ":0"
        self._tape_id = context().new_id()
        # Eager variables may share a name; the state key must not.
        self._unique_id = f"{base}_{self._tape_id}"
        self._dtype = init.dtype
        self._shape = var_shape if validate_shape else TensorShape(None)
        self._handle = self._make_handle(_EAGER_GRAPH)
        self._initializer_op = _EAGER_GRAPH._create_op(
            "AssignVariableOp", [self._handle, init], {"dtype": init.dtype.name})
        self._initial_value = init
        self._is_initialized_op = None
        self._graph_element = None
        self._save_slice_info = None

    def _init_from_proto(self, variable_def: Any, import_scope: Optional[str]) -> None:
        """Wraps the ops a ``VariableDef`` names in the default graph (imported from a
        ``MetaGraphDef``, under ``import_scope``), as TF's ``_init_from_proto``."""
        from .summary_pb2 import VariableDef
        if not isinstance(variable_def, VariableDef):
            raise TypeError(f"variable_def must be a VariableDef, got {variable_def!r}")
        if not variable_def.is_resource:
            raise ValueError(
                f"The VariableDef of {variable_def.variable_name!r} is not a resource "
                "variable's: symgrad's variables are resource variables (VarHandleOp).")
        graph = get_default_graph()

        def element(name: str) -> Any:
            return graph.as_graph_element(prepend_name_scope(name, import_scope))

        handle = element(variable_def.variable_name)
        if not isinstance(handle, Tensor) or handle.op.type != "VarHandleOp":
            raise ValueError(f"{handle!r} is not a VarHandleOp's output: a VariableDef's "
                             "variable_name names the variable's handle")
        self._graph = graph
        self._handle = handle
        self._trainable = bool(variable_def.trainable)
        self._synchronization = VariableSynchronization(variable_def.synchronization)
        self._aggregation = VariableAggregation(variable_def.aggregation)
        self._constraint = None
        self._dtype = _dtypes.as_dtype(handle.op.get_attr("dtype"))
        self._shape = as_shape(handle.op.get_attr("shape"))
        self._initializer_op = element(variable_def.initializer_name)
        self._initial_value = (element(variable_def.initial_value_name)
                               if variable_def.initial_value_name else None)
        self._graph_element = (element(variable_def.snapshot_name)
                               if variable_def.snapshot_name else None)
        checks = [c for c in handle.consumers() if c.type == "VarIsInitializedOp"]
        if checks:
            self._is_initialized_op = checks[0].outputs[0]
        else:
            with graph.control_dependencies(None), graph.name_scope(handle.op.name + "/"), \
                    graph.name_scope("IsInitialized") as s:
                self._is_initialized_op = graph._create_op(
                    "VarIsInitializedOp", [handle], {}, s + "VarIsInitializedOp/").outputs[0]
        if self._graph_element is None:
            with graph.control_dependencies(None), graph.name_scope(handle.op.name + "/"):
                self._graph_element = self.read_value()
        self._save_slice_info = (variable_def.save_slice_info_def
                                 if variable_def.HasField("save_slice_info_def") else None)

    def to_proto(self, export_scope: Optional[str] = None) -> Any:
        """This variable's ``VariableDef``, names relative to ``export_scope``; ``None`` when
        the variable lies outside that scope."""
        from .summary_pb2 import VariableDef
        if self._eager:
            raise RuntimeError("to_proto not supported in EAGER mode.")
        if export_scope is not None and not self._handle.name.startswith(export_scope):
            return None
        var_def = VariableDef(variable_name=strip_name_scope(self._handle.name, export_scope))
        if self._initial_value is not None:
            var_def.initial_value_name = strip_name_scope(self._initial_value.name,
                                                          export_scope)
        var_def.initializer_name = strip_name_scope(self._initializer_op.name, export_scope)
        var_def.snapshot_name = strip_name_scope(self._graph_element.name, export_scope)
        var_def.is_resource = True
        var_def.trainable = self._trainable
        var_def.synchronization = self.synchronization.value
        var_def.aggregation = self.aggregation.value
        if self._save_slice_info is not None and hasattr(self._save_slice_info, "full_name"):
            var_def.save_slice_info_def.CopyFrom(self._save_slice_info)
        return var_def

    @staticmethod
    def from_proto(variable_def: Any, import_scope: Optional[str] = None) -> "Variable":
        """The Variable a ``VariableDef`` describes, over ops already in the default graph."""
        return Variable(variable_def=variable_def, import_scope=import_scope)

    def _make_handle(self, graph: Graph) -> Tensor:
        """A ``VarHandleOp`` for this (eager) variable in ``graph``."""
        attrs: dict[str, Any] = {"dtype": self._dtype.name, "container": "",
                                 "shared_name": self._unique_id}
        shape_attr = _shape_attr(self._shape)
        if shape_attr is not None:
            attrs["shape"] = shape_attr
        return graph._create_op("VarHandleOp", [], attrs, None).outputs[0]

    def _op_graph(self) -> Graph:
        """Where ops on this variable go: its graph, or for an eager variable the graph
        being built (a traced `function`) when not executing eagerly."""
        if self._eager:
            return get_default_graph()
        return self._graph

    def _handle_in(self, graph: Graph) -> Tensor:
        if not self._eager or graph._is_eager:
            return self._handle
        variable_handle = getattr(graph, "variable_handle", None)
        if variable_handle is not None:
            return variable_handle(self)
        return self._make_handle(graph)

    def _tape_value(self) -> Any:
        """The current value under the variable's tape id (a gradient source)."""
        from .eager import context
        if not self._eager:
            raise ValueError(f"{self!r} is a graph variable; GradientTape differentiates "
                             "eager variables only.")
        return context().variable_value(self._unique_id, self._tape_id)

    def numpy(self) -> Any:
        if not self._eager:
            raise NotImplementedError("numpy() is only available when eager execution is "
                                      "enabled.")
        return self.value().numpy()

    # ----- identity -----
    @property
    def name(self) -> str:
        return self._eager_name if self._eager else self._handle.name

    @property
    def op(self) -> Operation:
        return self._handle.op

    @property
    def handle(self) -> Tensor:
        """The handle tensor (a uint8 name vector in symgrad; TF's is a resource)."""
        return self._handle_in(self._op_graph()) if self._eager else self._handle

    @property
    def graph(self) -> Graph:
        return self._graph

    @property
    def dtype(self) -> _dtypes.DType:
        return self._dtype

    @property
    def shape(self) -> TensorShape:
        return self._shape

    def get_shape(self) -> TensorShape:
        return self._shape

    @property
    def device(self) -> str:
        return self._handle.device

    @property
    def trainable(self) -> bool:
        return self._trainable

    @property
    def synchronization(self) -> VariableSynchronization:
        return self._synchronization

    @property
    def aggregation(self) -> VariableAggregation:
        return self._aggregation

    @property
    def constraint(self) -> Any:
        return self._constraint

    @property
    def initializer(self) -> Operation:
        return self._initializer_op

    @property
    def initial_value(self) -> Tensor:
        return self._initial_value

    def _shared_name(self) -> str:
        return self._unique_id if self._eager else self.op.name

    # ----- reading -----
    def value(self) -> Tensor:
        """A fresh read at the current name scope, as TF's graph-mode ``value()``: it takes
        the enclosing control dependencies, so it sees assignments it is ordered after."""
        return self._read()

    def _as_graph_element(self) -> Tensor:
        return self._graph_element

    def read_value(self) -> Tensor:
        """A new read of the variable, ordered after ops in the current control context."""
        with self._graph.name_scope("Read") as scope:
            return self._read(scope)

    def _read(self, scope: Optional[str] = None) -> Tensor:
        if self._eager:
            return self._eager_read()
        name = (scope + "ReadVariableOp/") if scope else None
        return self._graph._create_op("ReadVariableOp", [self._handle],
                                      {"dtype": self._dtype.name}, name).outputs[0]

    def _eager_read(self) -> Tensor:
        from .eager import EagerTensor, _active_tapes, context
        graph = get_default_graph()
        if graph._is_eager:
            if self._trainable:
                for tape in _active_tapes():
                    if tape._watch_accessed_variables:
                        tape._watch_variable(self)
            return EagerTensor(context().read_variable(self._unique_id, self._tape_id))
        capture = getattr(graph, "capture_variable_read", None)
        if capture is not None:
            return capture(self)
        return graph._create_op("ReadVariableOp", [self._handle_in(graph)],
                                {"dtype": self._dtype.name}, None).outputs[0]

    def _note_update(self, graph: Graph, op: Any) -> None:
        """Tells a traced `function` graph that later reads must follow ``op``."""
        note = getattr(graph, "note_variable_update", None)
        if self._eager and note is not None:
            note(self, op)

    def _read_after_update(self, graph: Graph) -> Tensor:
        """A read that sees an update just made in ``graph``: for an eager variable in a
        traced `function`, a real read of its state, not the call-time capture."""
        if self._eager and not graph._is_eager:
            return graph._create_op("ReadVariableOp", [self._handle_in(graph)],
                                    {"dtype": self._dtype.name}, None).outputs[0]
        return self._read()

    def eval(self, session: Any = None) -> Any:
        if self._eager:
            raise NotImplementedError(
                "eval is not supported when eager execution is enabled, is .numpy() what "
                "you're looking for?")
        return self._graph_element.eval(session=session)

    def is_initialized(self, name: Optional[str] = None) -> Tensor:
        return self._is_initialized_op

    def initialized_value(self) -> Tensor:
        """The variable's value once initialized: its current value if it has one, else its
        initial value (TF 1's ref variables; TF 2's resource variables refuse it)."""
        if self._eager:
            return self.read_value()
        from .cond_ops import cond
        from .control_flow_ops import no_op
        graph = self._graph

        def current_value() -> Tensor:
            # symgrad's cond reads outer variables outside the branch; tied to an op of
            # the branch, this read is skipped when the variable is not initialized.
            with graph.control_dependencies([no_op()]):
                return self.read_value()

        with graph.control_dependencies(None):
            return cond(self.is_initialized(), current_value, lambda: self.initial_value)

    def load(self, value: Any, session: Any = None) -> None:
        from .session import get_default_session
        sess = session or get_default_session()
        if sess is None:
            raise ValueError("Either session argument should be provided or default "
                             "session should be established")
        sess.run(self.assign(value))

    # ----- writing -----
    def _update(self, op_type: str, value: Any, use_locking: Any, name: Optional[str],
                read_value: bool) -> Any:
        graph = self._op_graph()
        # The value converts in the caller's scope, as TF's `convert_to_tensor` before the
        # assign op (a `Const` beside it, not inside its name).
        with graph.as_default():
            delta = convert_to_tensor(
                value, dtype=None if isinstance(value, Tensor) else self._dtype)
        with graph.name_scope(name or op_type) as scope:
            # Python and numpy values take the variable's dtype; tensors must already have it.
            if delta.dtype is not self._dtype:
                raise TypeError(
                    f"Cannot {op_type} variable {self.name!r} of dtype {self._dtype.name} with "
                    f"a value of dtype {delta.dtype.name}")
            if not self._shape.is_compatible_with(delta.shape):
                raise ValueError(
                    f"Cannot {op_type} variable {self.name!r} of shape {self._shape} with a "
                    f"value of shape {delta.shape}: shapes must be compatible")
            op = graph._create_op(op_type, [self._handle_in(graph), delta],
                                  {"dtype": self._dtype.name}, scope)
            self._note_update(graph, op)
        if not read_value:
            return op
        # TF returns a lazy read ordered after the update; a read under a control
        # dependency is the same value when run.
        with graph.control_dependencies([op]):
            return self._read_after_update(graph)

    def assign(self, value: Any, use_locking: Any = None, name: Optional[str] = None,
               read_value: bool = True) -> Any:
        return self._update("AssignVariableOp", value, use_locking, name, read_value)

    def assign_add(self, delta: Any, use_locking: Any = None, name: Optional[str] = None,
                   read_value: bool = True) -> Any:
        return self._update("AssignAddVariableOp", delta, use_locking, name, read_value)

    def assign_sub(self, delta: Any, use_locking: Any = None, name: Optional[str] = None,
                   read_value: bool = True) -> Any:
        return self._update("AssignSubVariableOp", delta, use_locking, name, read_value)

    def _scatter(self, op_type: str, indices: Any, updates: Any, name: Optional[str],
                 read_value: bool = True) -> Any:
        """``ResourceScatter{Add,Sub,Update}``: rows ``indices`` (along dim 0) of the
        variable updated in place; returns a read ordered after the update, as TF does."""
        from ._op_helpers import int_tensor
        graph = self._op_graph()
        with graph.name_scope(name or op_type) as scope:
            indices_t = int_tensor(indices, "indices")
            updates_t = convert_to_tensor(
                updates, dtype=None if isinstance(updates, Tensor) else self._dtype,
                name="updates")
            if updates_t.dtype is not self._dtype:
                raise TypeError(
                    f"Cannot {op_type} variable {self.name!r} of dtype {self._dtype.name} with "
                    f"updates of dtype {updates_t.dtype.name}")
            op = graph._create_op(op_type, [self._handle_in(graph), indices_t, updates_t],
                                  {"dtype": self._dtype.name}, scope)
            self._note_update(graph, op)
        if not read_value:
            return op
        with graph.control_dependencies([op]):
            return self._read_after_update(graph)

    def _scatter_slices(self, op_type: str, sparse_delta: Any, name: Optional[str]) -> Any:
        from .indexed_slices import IndexedSlices
        if not isinstance(sparse_delta, IndexedSlices):
            raise TypeError(f"sparse_delta is not IndexedSlices: {sparse_delta}")
        return self._scatter(op_type, sparse_delta.indices, sparse_delta.values, name)

    def scatter_add(self, sparse_delta: Any, use_locking: Any = False,
                    name: Optional[str] = None) -> Any:
        return self._scatter_slices("ResourceScatterAdd", sparse_delta, name)

    def scatter_sub(self, sparse_delta: Any, use_locking: Any = False,
                    name: Optional[str] = None) -> Any:
        return self._scatter_slices("ResourceScatterSub", sparse_delta, name)

    def scatter_update(self, sparse_delta: Any, use_locking: Any = False,
                       name: Optional[str] = None) -> Any:
        return self._scatter_slices("ResourceScatterUpdate", sparse_delta, name)

    # ----- tensor behaviour -----
    def __repr__(self) -> str:
        if self._eager:
            array = np.asarray(self.numpy())
            text = np.array_repr(array) if array.ndim else str(array[()])
            newline = "\n" if "\n" in text else ""
            return (f"<tf.Variable '{self.name}' shape={self._shape} "
                    f"dtype={self._dtype.name}, numpy={newline}{text}>")
        return (f"<tf.Variable '{self.name}' shape={self._shape} "
                f"dtype={self._dtype.name}>")

    def __getitem__(self, key: Any) -> Tensor:
        return self.value()[key]

    def __iter__(self) -> Iterator[Any]:
        raise TypeError("'Variable' object is not iterable.")

    def __bool__(self) -> bool:
        raise TypeError("Using a `tf.Variable` as a Python `bool` is not allowed.")

    def __hash__(self) -> int:
        return id(self)

    def __del__(self) -> None:
        # An eager variable's value lives in the eager context until its object goes.
        name = getattr(self, "_unique_id", None)
        if self._eager and name is not None:
            try:
                from .eager import context
                context().delete_variable(name)
            except (ImportError, AttributeError):
                pass  # interpreter shutdown: the context is going too

    def __float__(self) -> float:
        return float(self.numpy())

    def __int__(self) -> int:
        return int(self.numpy())

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if self._eager:
            return np.asarray(self.value(), dtype=dtype)
        raise NotImplementedError(
            f"Cannot convert a symbolic tf.Variable ({self.name}) to a numpy array.")


def _delegate(method: str) -> Callable[..., Any]:
    def op(self: Variable, *args: Any) -> Any:
        return getattr(self.value(), method)(*args)
    op.__name__ = method
    return op


for _method in ["__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
                "__truediv__", "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__",
                "__rmod__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__lt__",
                "__le__", "__gt__", "__ge__", "__and__", "__rand__", "__or__", "__ror__",
                "__invert__", "__neg__", "__abs__"]:
    setattr(Variable, _method, _delegate(_method))

VariableV1 = Variable


def _variable_to_tensor(value: Variable, dtype: Any = None, name: Optional[str] = None,
                        as_ref: bool = False) -> Tensor:
    # A conversion is a fresh read, as TF's `_dense_var_to_tensor` in graph mode.
    if dtype is not None and _dtypes.as_dtype(dtype) is not value.dtype:
        raise ValueError(
            f"Incompatible type conversion requested to type '{_dtypes.as_dtype(dtype).name}' "
            f"for variable of type '{value.dtype.name}' (Variable: {value!r})")
    return value._read()


register_tensor_conversion_function(Variable, _variable_to_tensor)


def variable_reads(variable: Variable) -> list[Tensor]:
    """Every ``ReadVariableOp`` output of this variable, in creation order."""
    if variable._eager:
        # In a traced `function`, an eager variable's reads are one captured input.
        reads = getattr(get_default_graph(), "_captured_reads", {})
        return [reads[id(variable)]] if id(variable) in reads else []
    return [c.outputs[0] for c in variable.handle.consumers() if c.type == "ReadVariableOp"]


# ----- names relative to a scope (MetaGraphDef export and import) -----

def prepend_name_scope(name: str, import_scope: Optional[str]) -> str:
    """``name`` (an op or tensor name, ``^name`` or ``loc:@name``) under ``import_scope``."""
    if not import_scope:
        return name
    scope = import_scope[:-1] if import_scope.endswith("/") else import_scope
    return re.sub(r"([\^]|loc:@|^)(.*)", lambda m: f"{m.group(1)}{scope}/{m.group(2)}",
                  name, count=1)


def strip_name_scope(name: str, export_scope: Optional[str]) -> str:
    """``name`` without its leading ``export_scope/`` (also after ``^`` or ``loc:@``)."""
    if not export_scope:
        return name
    scope = export_scope[:-1] if export_scope.endswith("/") else export_scope
    return re.sub(r"([\^]|loc:@|^)" + re.escape(scope) + r"[\/]+(.*)", r"\1\2", name,
                  count=1)


# ----- collections and initializers -----

def global_variables(scope: Optional[str] = None) -> list[Variable]:
    return get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


all_variables = global_variables


def trainable_variables(scope: Optional[str] = None) -> list[Variable]:
    return get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def local_variables(scope: Optional[str] = None) -> list[Variable]:
    return get_default_graph().get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def variables_initializer(var_list: Sequence[Variable], name: str = "init") -> Operation:
    from .control_flow_ops import group, no_op
    if var_list:
        return group(*[v.initializer for v in var_list], name=name)
    return no_op(name=name)


initialize_variables = variables_initializer


def global_variables_initializer() -> Operation:
    return variables_initializer(global_variables())


initialize_all_variables = global_variables_initializer


def local_variables_initializer() -> Operation:
    return variables_initializer(local_variables(), name="init")


initialize_local_variables = local_variables_initializer


def model_variables(scope: Optional[str] = None) -> list[Any]:
    """The ``GraphKeys.MODEL_VARIABLES`` collection (filtered by ``scope``)."""
    from .framework import get_default_graph
    return get_default_graph().get_collection(GraphKeys.MODEL_VARIABLES, scope)


def no_regularizer(_: Any) -> None:
    """A regularizer that adds nothing (TF's ``tf.no_regularizer``)."""
    return None


def is_variable_initialized(variable: Variable) -> Tensor:
    return variable.is_initialized()


def assign(ref: Variable, value: Any, validate_shape: Any = None, use_locking: Any = None,
           name: Optional[str] = None) -> Any:
    if not isinstance(ref, Variable):
        raise TypeError(f"assign requires a Variable as ref, got {type(ref).__name__}")
    return ref.assign(value, name=name)


def assign_add(ref: Variable, value: Any, use_locking: Any = None,
               name: Optional[str] = None) -> Any:
    if not isinstance(ref, Variable):
        raise TypeError(f"assign_add requires a Variable as ref, got {type(ref).__name__}")
    return ref.assign_add(value, name=name)


def assign_sub(ref: Variable, value: Any, use_locking: Any = None,
               name: Optional[str] = None) -> Any:
    if not isinstance(ref, Variable):
        raise TypeError(f"assign_sub requires a Variable as ref, got {type(ref).__name__}")
    return ref.assign_sub(value, name=name)


def _scatter_fn(op_type: str, what: str) -> Callable[..., Any]:
    def fn(ref: Variable, indices: Any, updates: Any, use_locking: Any = None,
           name: Optional[str] = None) -> Any:
        if not isinstance(ref, Variable):
            raise TypeError(f"{what} requires a Variable as ref, got {type(ref).__name__}")
        return ref._scatter(op_type, indices, updates, name)
    fn.__name__ = what
    return fn


scatter_add = _scatter_fn("ResourceScatterAdd", "scatter_add")
scatter_sub = _scatter_fn("ResourceScatterSub", "scatter_sub")
scatter_update = _scatter_fn("ResourceScatterUpdate", "scatter_update")


# ----- initializers: callables (shape, dtype, partition_info) -> initial value -----

class _Initializer:
    def __init__(self, dtype: Any = _dtypes.float32) -> None:
        self.dtype = _dtypes.as_dtype(dtype)

    def _dtype(self, dtype: Any) -> _dtypes.DType:
        return self.dtype if dtype is None else _dtypes.as_dtype(dtype)


class zeros_initializer(_Initializer):
    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Any:
        from .array_ops import zeros
        return zeros(list(as_shape(shape).as_list()), dtype=self._dtype(dtype))


class ones_initializer(_Initializer):
    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Any:
        from .array_ops import ones
        return ones(list(as_shape(shape).as_list()), dtype=self._dtype(dtype))


class constant_initializer(_Initializer):
    def __init__(self, value: Any = 0, dtype: Any = _dtypes.float32,
                 verify_shape: bool = False) -> None:
        super().__init__(dtype)
        self.value = value

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Any:
        from .constant_op import constant
        return constant(self.value, dtype=self._dtype(dtype),
                        shape=list(as_shape(shape).as_list()))


def _float_dtype(dtype: Any) -> _dtypes.DType:
    dt = _dtypes.as_dtype(dtype)
    if not dt.is_floating:
        raise ValueError(f"Expected floating point type, got {dt!r}.")
    return dt


def _initializer_shape(shape: Any) -> Any:
    """Lists and TensorShapes become a list of ints; tensors pass through."""
    if isinstance(shape, Tensor):
        return shape
    dims = as_shape(shape).as_list()
    if any(d is None for d in dims):
        raise ValueError(f"Random initializers need a fully defined shape, got {shape}")
    return [int(d) for d in dims if d is not None]


class random_normal_initializer(_Initializer):
    """Normal values, built in the graph as ``random_normal`` (``RandomStandardNormal``)."""

    def __init__(self, mean: float = 0.0, stddev: float = 1.0, seed: Optional[int] = None,
                 dtype: Any = _dtypes.float32) -> None:
        self.mean, self.stddev, self.seed = mean, stddev, seed
        self.dtype = _float_dtype(dtype)

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Any:
        from .random_ops import random_normal
        return random_normal(_initializer_shape(shape), self.mean, self.stddev,
                             self._dtype(dtype), seed=self.seed)


class truncated_normal_initializer(random_normal_initializer):
    """Normal values redrawn beyond two standard deviations (``TruncatedNormal``)."""

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Any:
        from .random_ops import truncated_normal
        return truncated_normal(_initializer_shape(shape), self.mean, self.stddev,
                                self._dtype(dtype), seed=self.seed)


class random_uniform_initializer(_Initializer):
    """Uniform values in ``[minval, maxval)`` (``maxval`` defaults to 1), as
    ``random_uniform``."""

    def __init__(self, minval: Any = 0.0, maxval: Any = None, seed: Optional[int] = None,
                 dtype: Any = _dtypes.float32) -> None:
        super().__init__(dtype)
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Any:
        from .random_ops import random_uniform
        return random_uniform(_initializer_shape(shape), self.minval, self.maxval,
                              self._dtype(dtype), seed=self.seed)


def _fans(shape: Sequence[int]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shape; dims before the last two are a receptive field."""
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    receptive = 1
    for d in shape[:-2]:
        receptive *= int(d)
    return int(shape[-2]) * receptive, int(shape[-1]) * receptive


class variance_scaling_initializer(_Initializer):
    """Values scaled to the weight shape: ``scale`` divided by ``fan_in``, ``fan_out`` or their
    mean (``mode``), then a truncated normal with standard deviation
    ``sqrt(scale) / 0.87962566103423978`` (``'truncated_normal'`` or ``'normal'``), a normal
    with ``sqrt(scale)`` (``'untruncated_normal'``) or a uniform in ``±sqrt(3 * scale)``
    (``'uniform'``)."""

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: Optional[int] = None,
                 dtype: Any = _dtypes.float32) -> None:
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be a positive float. Received: {scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError("Argument `mode` should be one of ('fan_in', 'fan_out', "
                             f"'fan_avg'). Received: {mode}")
        distribution = distribution.lower()
        if distribution not in ("normal", "uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError("Argument `distribution` should be one of ('normal', "
                             "uniform', 'truncated_normal', 'untruncated_normal'). "
                             f"Received: {distribution}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed
        self.dtype = _float_dtype(dtype)

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Any:
        from .random_ops import random_normal, random_uniform, truncated_normal
        dt = self._dtype(dtype)
        dims = _initializer_shape(shape)
        if isinstance(dims, Tensor):
            raise ValueError("variance_scaling_initializer needs a static shape")
        full = dims
        if partition_info is not None and getattr(partition_info, "full_shape", None):
            full = list(partition_info.full_shape)
        fan_in, fan_out = _fans(full)
        scale = float(self.scale)
        if self.mode == "fan_in":
            scale /= max(1.0, fan_in)
        elif self.mode == "fan_out":
            scale /= max(1.0, fan_out)
        else:
            scale /= max(1.0, (fan_in + fan_out) / 2.0)
        if self.distribution in ("normal", "truncated_normal"):
            # 0.8796... is the standard deviation of a unit normal truncated to ±2.
            return truncated_normal(dims, 0.0, math.sqrt(scale) / 0.87962566103423978, dt,
                                    seed=self.seed)
        if self.distribution == "untruncated_normal":
            return random_normal(dims, 0.0, math.sqrt(scale), dt, seed=self.seed)
        limit = math.sqrt(3.0 * scale)
        return random_uniform(dims, -limit, limit, dt, seed=self.seed)


class glorot_uniform_initializer(variance_scaling_initializer):
    """Uniform in ``±sqrt(6 / (fan_in + fan_out))``."""

    def __init__(self, seed: Optional[int] = None, dtype: Any = _dtypes.float32) -> None:
        super().__init__(1.0, "fan_avg", "uniform", seed, dtype)


class glorot_normal_initializer(variance_scaling_initializer):
    """Truncated normal with standard deviation ``sqrt(2 / (fan_in + fan_out)) / 0.8796``."""

    def __init__(self, seed: Optional[int] = None, dtype: Any = _dtypes.float32) -> None:
        super().__init__(1.0, "fan_avg", "truncated_normal", seed, dtype)


def he_normal(seed: Optional[int] = None) -> variance_scaling_initializer:
    """``variance_scaling_initializer(2.0, 'fan_in', 'truncated_normal', seed)``."""
    return variance_scaling_initializer(2.0, "fan_in", "truncated_normal", seed)


def he_uniform(seed: Optional[int] = None) -> variance_scaling_initializer:
    """``variance_scaling_initializer(2.0, 'fan_in', 'uniform', seed)``."""
    return variance_scaling_initializer(2.0, "fan_in", "uniform", seed)


def lecun_normal(seed: Optional[int] = None) -> variance_scaling_initializer:
    """``variance_scaling_initializer(1.0, 'fan_in', 'truncated_normal', seed)``."""
    return variance_scaling_initializer(1.0, "fan_in", "truncated_normal", seed)


def lecun_uniform(seed: Optional[int] = None) -> variance_scaling_initializer:
    """``variance_scaling_initializer(1.0, 'fan_in', 'uniform', seed)``."""
    return variance_scaling_initializer(1.0, "fan_in", "uniform", seed)


# ----- variable scopes and get_variable -----

class VariableScope:
    """A variable scope's settings (``tf.compat.v1.VariableScope``)."""

    def __init__(self, reuse: Any, name: str = "", initializer: Any = None,
                 dtype: Any = _dtypes.float32) -> None:
        self._name = name
        self._reuse = reuse
        self._initializer = initializer
        self._dtype = _dtypes.as_dtype(dtype)

    @property
    def name(self) -> str:
        return self._name

    @property
    def original_name_scope(self) -> str:
        return self._name + "/" if self._name else ""

    @property
    def reuse(self) -> Any:
        return self._reuse

    @property
    def initializer(self) -> Any:
        return self._initializer

    @property
    def dtype(self) -> _dtypes.DType:
        return self._dtype

    def reuse_variables(self) -> None:
        self._reuse = True

    def set_initializer(self, initializer: Any) -> None:
        self._initializer = initializer

    def get_variable(self, name: str, *args: Any, **kwargs: Any) -> Variable:
        return get_variable(name, *args, **kwargs)


AUTO_REUSE = "auto_reuse"


class _ScopeStore(threading.local):
    def __init__(self) -> None:
        self.stack: list[VariableScope] = []


_SCOPES = _ScopeStore()


def _graph_vars(graph: Graph) -> dict[str, Variable]:
    store = getattr(graph, "_symgrad_vars", None)
    if store is None:
        store = {}
        setattr(graph, "_symgrad_vars", store)
    return store


def get_variable_scope() -> VariableScope:
    if _SCOPES.stack:
        return _SCOPES.stack[-1]
    return VariableScope(False)


@contextlib.contextmanager
def variable_scope(name_or_scope: Any, default_name: Optional[str] = None, values: Any = None,
                   initializer: Any = None, regularizer: Any = None, caching_device: Any = None,
                   partitioner: Any = None, custom_getter: Any = None, reuse: Any = None,
                   dtype: Any = None, use_resource: Any = None, constraint: Any = None,
                   auxiliary_name_scope: bool = True) -> Iterator[VariableScope]:
    """Opens a variable scope (and a name scope of the same name)."""
    outer = get_variable_scope()
    graph = get_default_graph()
    if name_or_scope is None and default_name is None:
        raise TypeError("If default_name is None then name_or_scope is required")
    if isinstance(name_or_scope, VariableScope):
        full = name_or_scope.name
        base_reuse = name_or_scope.reuse
    else:
        short = name_or_scope if name_or_scope is not None else default_name
        if name_or_scope is None:
            # A default name is uniquified, as TF does for `default_name`.
            prefix = outer.name + "/" if outer.name else ""
            taken = {v.split("/")[0] for v in _scope_names(graph, prefix)}
            candidate, i = short, 0
            while candidate in taken:
                i += 1
                candidate = f"{short}_{i}"
            short = candidate
        full = f"{outer.name}/{short}" if outer.name else str(short)
        base_reuse = outer.reuse
    new_reuse = reuse if reuse is not None else base_reuse
    if reuse is False:
        new_reuse = outer.reuse if outer.reuse is True else False
    scope = VariableScope(new_reuse, full,
                          initializer if initializer is not None else outer.initializer,
                          dtype if dtype is not None else outer.dtype)
    _scope_names(graph, "").add(full)
    _SCOPES.stack.append(scope)
    try:
        if auxiliary_name_scope:
            with graph.name_scope(full.split("/")[-1]):
                yield scope
        else:
            yield scope
    finally:
        _SCOPES.stack.pop()


def _scope_names(graph: Graph, prefix: str) -> set[str]:
    names = getattr(graph, "_symgrad_var_scopes", None)
    if names is None:
        names = set()
        setattr(graph, "_symgrad_var_scopes", names)
    if not prefix:
        return names
    return {n[len(prefix):] for n in names if n.startswith(prefix)}


def get_variable(name: str, shape: Any = None, dtype: Any = None, initializer: Any = None,
                 regularizer: Any = None, trainable: Optional[bool] = None,
                 collections: Optional[Sequence[str]] = None, caching_device: Any = None,
                 partitioner: Any = None, validate_shape: bool = True,
                 use_resource: Any = None, custom_getter: Any = None, constraint: Any = None,
                 synchronization: Any = None, aggregation: Any = None) -> Variable:
    """Gets an existing variable or creates a new one, by its scoped name."""
    scope = get_variable_scope()
    full = f"{scope.name}/{name}" if scope.name else name
    graph = get_default_graph()
    # Eager variables are not shared by name (TF keeps no eager variable store).
    store: dict[str, Any] = {} if graph._is_eager else _graph_vars(graph)
    reuse = scope.reuse
    existing = store.get(full)
    if existing is not None:
        if reuse is False or reuse is None:
            raise ValueError(
                f"Variable {full} already exists, disallowed. Did you mean to set "
                "reuse=True or reuse=tf.AUTO_REUSE in VarScope?")
        if shape is not None and not existing.shape.is_compatible_with(as_shape(shape)):
            raise ValueError(
                f"Trying to share variable {full}, but specified shape {as_shape(shape)} and "
                f"found shape {existing.shape}.")
        if dtype is not None and _dtypes.as_dtype(dtype) is not existing.dtype:
            raise ValueError(
                f"Trying to share variable {full}, but specified dtype "
                f"{_dtypes.as_dtype(dtype).name} and found dtype {existing.dtype.name}.")
        return existing
    if reuse is True:
        raise ValueError(
            f"Variable {full} does not exist, or was not created with tf.get_variable(). "
            "Did you mean to set reuse=tf.AUTO_REUSE in VarScope?")
    dt = _dtypes.as_dtype(dtype) if dtype is not None else scope.dtype
    init = initializer if initializer is not None else scope.initializer
    if init is None:
        init = glorot_uniform_initializer() if dt.is_floating else zeros_initializer()
    if callable(init) and not isinstance(init, (Tensor, np.ndarray)):
        if shape is None:
            raise ValueError(f"Shape of a new variable ({full}) must be fully defined, but "
                             "instead was None.")
        if not as_shape(shape).is_fully_defined():
            raise ValueError(f"Shape of a new variable ({full}) must be fully defined, but "
                             f"instead was {as_shape(shape)}.")
        dims = as_shape(shape)
        initial: Any = lambda: init(dims, dtype=dt)  # noqa: E731
        var_dtype: Any = dt
    else:
        if shape is not None and validate_shape:
            raise ValueError("If initializer is a constant, do not specify shape.")
        initial = init
        var_dtype = dtype
    # The variable's op name is the full scoped name, outside any enclosing name scope.
    outer = graph._native.name_scope()
    graph._native.set_name_scope("")
    from ._lifting import lifted
    try:
        with lifted():  # made in a loop body (an RNN cell's first call), as TF's init_scope
            v = Variable(initial, trainable=trainable, collections=collections,
                         validate_shape=validate_shape, name=full, dtype=var_dtype,
                         constraint=constraint, synchronization=synchronization,
                         aggregation=aggregation)
    finally:
        graph._native.set_name_scope(outer)
    store[full] = v
    return v


# ----- gradients() support: a Variable in xs stands for all its reads -----

def expand_variable_xs(xs: list[Any]) -> tuple[list[Any], Optional[list[tuple[int, int]]]]:
    """Replaces each Variable in ``xs`` by its reads; returns the new list and, per original
    x, the (start, count) of its entries (``None`` when ``xs`` holds no Variable)."""
    if not any(isinstance(x, Variable) for x in xs):
        return xs, None
    flat: list[Any] = []
    groups: list[tuple[int, int]] = []
    for x in xs:
        start = len(flat)
        flat.extend(variable_reads(x) if isinstance(x, Variable) else [x])
        groups.append((start, len(flat) - start))
    return flat, groups


def sum_variable_grads(xs: list[Any], grads: list[Any],
                       groups: list[tuple[int, int]], unconnected_zero: bool) -> list[Any]:
    """Folds the per-read gradients back into one gradient per original x."""
    from .array_ops import zeros_like
    from .math_ops import add_n
    out: list[Any] = []
    for x, (start, count) in zip(xs, groups):
        parts = [g for g in grads[start:start + count] if g is not None]
        if not isinstance(x, Variable):
            out.append(grads[start] if count else None)
        elif not parts:
            out.append(zeros_like(x.value()) if unconnected_zero else None)
        elif len(parts) == 1:
            out.append(parts[0])
        else:
            out.append(add_n([convert_to_tensor(p) for p in parts]))
    return out


def variable_hessian(ys: list[Any], x: Variable, name: str, colocate: bool, gate: bool,
                     aggregation_method: Any) -> Tensor:
    """``d^2 sum(ys) / dx^2`` for a Variable of fully defined shape, shaped
    ``x.shape + x.shape``: the gradient, flattened, differentiated once per element."""
    from .array_ops import reshape, stack, unstack, zeros_like
    from .gradients_impl import gradients
    if not x.shape.is_fully_defined():
        raise ValueError(f"hessians w.r.t. Variable {x.name} need a fully defined shape, got "
                         f"{x.shape}")
    dims = [int(d) for d in x.shape.as_list() if d is not None]
    size = int(np.prod(dims)) if dims else 1
    graph = x.graph
    with graph.as_default(), graph.name_scope(name):
        (g,) = gradients(ys, [x], colocate_gradients_with_ops=colocate, gate_gradients=gate,
                         aggregation_method=aggregation_method,
                         unconnected_gradients="zero")
        flat = reshape(convert_to_tensor(g), [size])
        rows = []
        for element in unstack(flat, num=size):
            (row,) = gradients(element, [x], colocate_gradients_with_ops=colocate,
                               gate_gradients=gate, aggregation_method=aggregation_method)
            rows.append(reshape(convert_to_tensor(row), [size]) if row is not None
                        else reshape(zeros_like(x.value()), [size]))
        return reshape(stack(rows), dims + dims)
