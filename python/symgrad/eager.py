"""Eager execution, ``GradientTape`` and ``function`` (TF 2's eager surface).

Every op still goes through ``Graph._create_op``; in eager mode the default graph is the
``EagerGraph``, whose ``_create_op`` runs the op at once through the native
``EagerContext`` (the same Rust kernels as the graph executor, one cached single-op graph per
op signature) and returns ``EagerTensor`` outputs. Tapes live in the native context: they
record executed graph functions, and a gradient is the cached ``gradients()`` of each
recorded function, run eagerly (so an outer tape records it, for higher derivatives).
"""

from __future__ import annotations

import contextlib
import functools
import threading
from typing import Any, Callable, Iterator, Optional, Sequence

import numpy as np

from . import _symgrad
from . import dtypes as _dtypes
from . import framework as _framework
from .dtypes import DType
from .framework import Graph, Tensor, get_default_graph
from .tensor_shape import TensorShape, as_shape

__all__ = [
    "EagerTensor", "GradientTape", "function", "enable_eager_execution",
    "disable_eager_execution", "executing_eagerly", "eager_mode", "graph_mode",
]

_CONTEXT = _symgrad.EagerContext()


def context() -> Any:
    """The process's native eager context (eager variables and tapes live there)."""
    return _CONTEXT


# ----- modes -----
def executing_eagerly() -> bool:
    """True when ops run at once: eager mode is on and no graph is being built."""
    return get_default_graph()._is_eager


def enable_eager_execution(config: Any = None, device_policy: Any = None,
                           execution_mode: Any = None) -> None:
    """Makes eager execution the default outside ``Graph.as_default()`` blocks; as TF, only
    before ops were added to the global default graph."""
    graph = _framework._global_default_graph
    if _framework._eager_default is None and graph is not None and graph.version > 0:
        raise ValueError("symgrad.enable_eager_execution must be called at program startup.")
    _framework._set_eager_default(_EAGER_GRAPH)


def disable_eager_execution() -> None:
    """Makes graph building the default again (symgrad's initial state, as tf.compat.v1)."""
    _framework._set_eager_default(None)


@contextlib.contextmanager
def eager_mode() -> Iterator[None]:
    """Runs the block eagerly, whatever the default mode."""
    with _EAGER_GRAPH.as_default():
        yield


@contextlib.contextmanager
def graph_mode() -> Iterator[None]:
    """Builds the block into the global default graph, whatever the default mode."""
    with _framework._global_graph().as_default():
        yield


# ----- eager tensors and the eager "graph" -----
class _NullScope:
    """A reusable no-op context manager yielding "" (eager ops have no names)."""

    def __enter__(self) -> str:
        return ""

    def __exit__(self, *exc: Any) -> None:
        return None


_NULL_SCOPE = _NullScope()


class _AsDefault:
    """``as_default()`` of the eager graph without a generator (it runs once per op)."""

    __slots__ = ("graph",)

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def __enter__(self) -> Graph:
        _framework._default_graph_stack().append(self.graph)
        return self.graph

    def __exit__(self, *exc: Any) -> None:
        stack = _framework._default_graph_stack()
        for i in range(len(stack) - 1, -1, -1):
            if stack[i] is self.graph:
                del stack[i]
                break


class _EagerOp:
    """What ``_create_op`` returns in eager mode: the outputs of an op already run."""

    __slots__ = ("type", "outputs")

    def __init__(self, op_type: str, outputs: list["EagerTensor"]) -> None:
        self.type = op_type
        self.outputs = outputs

    @property
    def name(self) -> str:
        return ""

    def values(self) -> tuple["EagerTensor", ...]:
        return tuple(self.outputs)

    def run(self, feed_dict: Any = None, session: Any = None) -> None:
        return None


class EagerGraph(Graph):
    """The eager context seen as a graph: ``_create_op`` executes instead of building."""

    _is_eager = True
    _overrides: list[dict[str, str]]

    def _create_op(self, op_type: str, inputs: Sequence[Tensor],  # type: ignore[override]
                   attrs: Optional[dict[str, Any]] = None,
                   name: Optional[str] = None) -> Any:
        if op_type == "Const":
            value = (attrs or {})["value"]
            return _EagerOp(op_type, [EagerTensor(_symgrad.EagerValue(value))])
        if op_type == "Placeholder":
            raise RuntimeError("tf.placeholder() is not compatible with eager execution.")
        if op_type == "NoOp":
            return _EagerOp(op_type, [])
        if self._overrides:
            for mapping in reversed(self._overrides):
                if op_type in mapping:
                    attrs = dict(attrs or {}, _gradient_op_type=mapping[op_type])
                    break
        values = []
        for t in inputs:
            v = getattr(t, "_v", None)
            if v is None:
                raise TypeError(
                    f"An op outside of the function building code is being passed a Graph "
                    f"tensor ({t}) as input of {op_type}; it is not possible to mix graph "
                    "tensors into eager ops.")
            values.append(v)
        outs = _CONTEXT.execute(op_type, values, attrs or {})
        return _EagerOp(op_type, [EagerTensor(o) for o in outs])

    def name_scope(self, name: Optional[str]) -> Any:  # type: ignore[override]
        return _NULL_SCOPE

    def as_default(self) -> Any:  # type: ignore[override]
        return _AsDefault(self)

    @contextlib.contextmanager
    def gradient_override_map(self, op_type_map: dict[str, str]) -> Iterator[None]:
        """As in graph mode: ops of these types made in the block take the mapped
        gradient function (the eager op's graph carries TF's ``_gradient_op_type``)."""
        self._overrides.append(dict(op_type_map))
        try:
            yield
        finally:
            self._overrides.pop()

    def control_dependencies(self, control_inputs: Any) -> Any:  # type: ignore[override]
        return _NULL_SCOPE

    def device(self, device_name_or_function: Any) -> Any:  # type: ignore[override]
        return _NULL_SCOPE

    def colocate_with(self, op: Any, ignore_existing: bool = False) -> Any:  # type: ignore[override]
        return _NULL_SCOPE

    # Eager mode keeps no collections (TF's collections are graph-mode bookkeeping).
    def add_to_collection(self, name: str, value: Any) -> None:
        return None

    def add_to_collections(self, names: Any, value: Any) -> None:
        return None

    def get_collection_ref(self, name: str) -> list[Any]:
        return []

    def get_operations(self) -> list[Any]:
        return []


_EAGER_GRAPH = EagerGraph()
_EAGER_GRAPH._overrides = []

_CPU = "/job:localhost/replica:0/task:0/device:CPU:0"


class EagerTensor(Tensor):
    """A concrete tensor of eager mode (TF's ``EagerTensor``): holds its value."""

    _is_eager = True

    def __init__(self, value: Any) -> None:  # pylint: disable=super-init-not-called
        self._v = value
        self._dtype: Optional[DType] = None

    # ----- what an eager tensor has -----
    @property
    def dtype(self) -> DType:
        if self._dtype is None:
            self._dtype = _dtypes.as_dtype(self._v.dtype)
        return self._dtype

    @property
    def shape(self) -> TensorShape:
        return TensorShape(self._v.shape)

    @property
    def graph(self) -> Graph:
        return _EAGER_GRAPH

    @property
    def device(self) -> str:
        return _CPU

    @property
    def ndim(self) -> int:
        return len(self._v.shape)

    def numpy(self) -> Any:
        array = self._v.numpy()
        return array[()] if array.ndim == 0 else array

    def _numpy_array(self) -> np.ndarray:
        return np.asarray(self._v.numpy())

    # ----- what it has not (TF's texts) -----
    @property
    def op(self) -> Any:
        raise AttributeError("Tensor.op is undefined when eager execution is enabled.")

    @property
    def name(self) -> str:
        raise AttributeError("Tensor.name is undefined when eager execution is enabled.")

    @property
    def value_index(self) -> int:
        raise AttributeError("Tensor.value_index is undefined when eager execution is enabled.")

    @property
    def _ref(self) -> tuple[int, int]:
        raise AttributeError("An eager tensor is not an element of a graph.")

    def consumers(self) -> list[Any]:
        raise AttributeError("Tensor.consumers is undefined when eager execution is enabled.")

    def eval(self, feed_dict: Any = None, session: Any = None) -> Any:
        raise NotImplementedError(
            "eval is not supported when eager execution is enabled, is .numpy() what you're "
            "looking for?")

    def set_shape(self, shape: Any) -> None:
        if not self.shape.is_compatible_with(as_shape(shape)):
            raise ValueError(
                f"Tensor's shape {self.shape} is not compatible with supplied shape "
                f"{as_shape(shape)}.")

    # ----- Python protocol, as TF's EagerTensor -----
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        array = self._numpy_array()
        return array if dtype is None else array.astype(dtype)

    def __bool__(self) -> bool:
        return bool(self._numpy_array())

    def __float__(self) -> float:
        return float(self._numpy_array())

    def __int__(self) -> int:
        return int(self._numpy_array())

    def __index__(self) -> int:
        if not self.dtype.is_integer:
            raise TypeError("Only integer tensors of a single element can be converted to an "
                            "index.")
        return int(self._numpy_array())

    def __len__(self) -> int:
        shape = self._v.shape
        if not shape:
            raise TypeError("Scalar tensor has no `len()`")
        return int(shape[0])

    def __iter__(self) -> Iterator[Any]:
        if not self._v.shape:
            raise TypeError("Cannot iterate over a scalar tensor.")
        from .array_ops import unstack
        return iter(unstack(self))

    def __format__(self, format_spec: str) -> str:
        return format(self.numpy(), format_spec) if self.ndim == 0 else str(self)

    def __repr__(self) -> str:
        array = self._numpy_array()
        text = np.array_repr(array) if array.ndim else str(array[()])
        newline = "\n" if "\n" in text else ""
        return (f"<tf.Tensor: shape={self._shape_tuple()}, dtype={self.dtype.name}, "
                f"numpy={newline}{text}>")

    def __str__(self) -> str:
        array = self._numpy_array()
        text = np.array2string(array) if array.ndim else str(array[()])
        return f"tf.Tensor({text}, shape={self._shape_tuple()}, dtype={self.dtype.name})"

    def _shape_tuple(self) -> str:
        return str(tuple(self._v.shape))

    def __copy__(self) -> "EagerTensor":
        return self

    def __deepcopy__(self, memo: Any) -> "EagerTensor":
        return self


def _as_value(t: Any) -> Any:
    """The native value of an EagerTensor (or of anything convertible in eager mode)."""
    v = getattr(t, "_v", None)
    if v is not None:
        return v
    from .constant_op import convert_to_tensor
    with eager_mode():
        converted = convert_to_tensor(t)
    return converted._v


# ----- GradientTape -----
class _TapeState(threading.local):
    def __init__(self) -> None:
        self.tapes: list["GradientTape"] = []


_TAPE_STATE = _TapeState()


def _active_tapes() -> list["GradientTape"]:
    return _TAPE_STATE.tapes


def _flatten(structure: Any) -> list[Any]:
    if isinstance(structure, dict):
        return [x for k in sorted(structure) for x in _flatten(structure[k])]
    if isinstance(structure, (list, tuple)):
        return [x for item in structure for x in _flatten(item)]
    return [structure]


def _pack_as(structure: Any, flat: Iterator[Any]) -> Any:
    if isinstance(structure, dict):
        return {k: _pack_as(structure[k], flat) for k in sorted(structure)}
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*[_pack_as(s, flat) for s in structure])
    if isinstance(structure, (list, tuple)):
        return type(structure)(_pack_as(s, flat) for s in structure)
    return next(flat)


def _is_variable(x: Any) -> bool:
    from .variables import Variable
    return isinstance(x, Variable)


def _unconnected_zero(unconnected_gradients: Any) -> bool:
    from .gradients_impl import UnconnectedGradients
    try:
        mode = UnconnectedGradients(
            unconnected_gradients.value if isinstance(unconnected_gradients,
                                                      UnconnectedGradients)
            else unconnected_gradients)
    except ValueError:
        raise ValueError(
            f"Unknown value for unconnected_gradients: {unconnected_gradients!r}") from None
    return mode is UnconnectedGradients.ZERO


class GradientTape:
    """Records operations for automatic differentiation (TF 2's ``tf.GradientTape``).

    In graph mode (inside ``function`` or a ``Graph``) the tape records nothing and
    ``gradient`` builds ``gradients()`` instead.
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        self._persistent = bool(persistent)
        self._watch_accessed_variables = bool(watch_accessed_variables)
        self._tape: Any = None
        self._recording = False
        self._watched_variables: list[Any] = []
        self._watched_ids: set[int] = set()

    def __enter__(self) -> "GradientTape":
        self._push_tape()
        return self

    def __exit__(self, typ: Any, value: Any, traceback: Any) -> None:
        if self._recording:
            self._pop_tape()

    def _push_tape(self) -> None:
        if self._recording:
            raise ValueError("Tape is still recording, This can happen if you try to "
                             "re-enter an already-active tape.")
        if self._tape is None:
            self._tape = _symgrad.Tape(self._persistent)
            self._watched_variables = []
            self._watched_ids = set()
        _CONTEXT.push_tape(self._tape)
        _active_tapes().append(self)
        self._recording = True

    def _pop_tape(self) -> None:
        if not self._recording:
            raise ValueError("Tape is not recording.")
        _CONTEXT.pop_tape(self._tape)
        tapes = _active_tapes()
        for i in range(len(tapes) - 1, -1, -1):
            if tapes[i] is self:
                del tapes[i]
                break
        self._recording = False

    def _watch_variable(self, variable: Any) -> None:
        if self._tape is None:
            return
        self._tape.watch(variable._tape_id)
        if variable._tape_id not in self._watched_ids:
            self._watched_ids.add(variable._tape_id)
            self._watched_variables.append(variable)

    def watch(self, tensor: Any) -> None:
        """Makes the tape trace ``tensor`` (a tensor, Variable, or a nest of them)."""
        for t in _flatten(tensor):
            if _is_variable(t):
                if getattr(t, "_tape_id", None) is not None:
                    self._watch_variable(t)
                continue
            if not isinstance(t, Tensor):
                raise ValueError(f"Passed in object {t} of type {type(t).__name__!r}, not "
                                 "tf.Tensor or tf.Variable or ExtensionType.")
            v = getattr(t, "_v", None)
            if v is not None and self._tape is not None:
                self._tape.watch(v.id)

    @contextlib.contextmanager
    def stop_recording(self) -> Iterator[None]:
        """Operations in this block are not recorded on this tape."""
        if self._tape is None:
            raise RuntimeError("Trying to stop recording a tape which is not recording.")
        self._pop_tape()
        try:
            yield
        finally:
            self._push_tape()

    def reset(self) -> None:
        """Forgets everything recorded, as if the ``with`` block were entered anew."""
        self._pop_tape()
        self._tape = None
        self._push_tape()

    def watched_variables(self) -> tuple[Any, ...]:
        return tuple(self._watched_variables)

    def _source_value(self, source: Any) -> Any:
        if _is_variable(source):
            return source._tape_value()
        if not isinstance(source, Tensor):
            raise ValueError(f"Passed in object {source} of type {type(source).__name__!r}, "
                             "not tf.Tensor or tf.Variable or ExtensionType.")
        return _as_value(source)

    def _flat_gradient(self, flat_targets: list[Any], flat_sources: list[Any],
                       output_gradients: Optional[list[Any]], zero: bool) -> list[Any]:
        targets = [_as_value(t.value() if _is_variable(t) else t) for t in flat_targets]
        sources = [self._source_value(s) for s in flat_sources]
        seeds = None if output_gradients is None else [
            None if g is None else _as_value(g) for g in output_gradients]
        grads = _CONTEXT.gradient(self._tape, targets, sources, seeds, zero)
        return [None if g is None else EagerTensor(g) for g in grads]

    def gradient(self, target: Any, sources: Any, output_gradients: Any = None,
                 unconnected_gradients: Any = "none") -> Any:
        """d(target)/d(sources), shaped like ``sources``."""
        zero = _unconnected_zero(unconnected_gradients)
        if not executing_eagerly():
            return self._graph_gradient(target, sources, output_gradients, zero)
        if self._tape is None:
            raise RuntimeError("A non-persistent GradientTape can only be used to "
                               "compute one set of gradients (or jacobians)")
        if self._recording and not self._persistent:
            self._pop_tape()
        if target is None:
            raise TypeError("Argument `target` should be a list or nested structure of "
                            "Tensors, Variables or CompositeTensors to be differentiated, "
                            "but received None.")
        flat_targets = _flatten(target)
        flat_sources = _flatten(sources)
        flat_out = None if output_gradients is None else _flatten(output_gradients)
        flat_grad = self._flat_gradient(flat_targets, flat_sources, flat_out, zero)
        if not self._persistent:
            self._tape = None
        return _pack_as(sources, iter(flat_grad))

    def _graph_gradient(self, target: Any, sources: Any, output_gradients: Any,
                        zero: bool) -> Any:
        from .gradients_impl import gradients
        flat_sources = _flatten(sources)
        grads = gradients(_flatten(target), flat_sources,
                          grad_ys=None if output_gradients is None
                          else _flatten(output_gradients),
                          unconnected_gradients="zero" if zero else "none")
        return _pack_as(sources, iter(grads))

    def _begin_jacobian(self, target: Any) -> Any:
        """TF's checks before a jacobian; the target as an eager tensor."""
        if self._tape is None:
            raise RuntimeError("A non-persistent GradientTape can only be used to "
                               "compute one set of gradients (or jacobians)")
        if self._recording and not self._persistent:
            self._pop_tape()
        return _wrap_eager(target)

    def _rows(self, target: Any, source_list: list[Any], zero: bool,
              seeds: Callable[[int], Any], count: int) -> list[list[Any]]:
        """Per seed ``seeds(i)``, the gradients w.r.t. each source (one tape, many uses)."""
        rows = []
        for i in range(count):
            rows.append(self._flat_gradient([target], source_list, [seeds(i)], zero))
        return rows

    def jacobian(self, target: Any, sources: Any, unconnected_gradients: Any = "none",
                 parallel_iterations: Any = None, experimental_use_pfor: bool = True) -> Any:
        """d(target[i...])/d(source[j...]) for every element pair, shaped
        ``target.shape + source.shape`` per source."""
        from .array_ops import reshape, stack
        zero = _unconnected_zero(unconnected_gradients)
        target = self._begin_jacobian(target)
        flat_sources = _flatten(sources)
        n = int(np.prod(target.shape.as_list(), dtype=np.int64))
        tshape = target.shape.as_list()

        def seed(i: int) -> Any:
            onehot = np.zeros(n, dtype=target.dtype.as_numpy_dtype)
            onehot[i] = 1
            return EagerTensor(_symgrad.EagerValue(onehot.reshape(tshape)))

        rows = self._rows(target, flat_sources, zero, seed, n)
        out = []
        for k, s in enumerate(flat_sources):
            sshape = (s.shape if not _is_variable(s) else s.get_shape()).as_list()
            parts = [r[k] for r in rows]
            if any(p is None for p in parts):
                out.append(None)
                continue
            if n == 0:
                out.append(EagerTensor(_symgrad.EagerValue(
                    np.zeros(tshape + sshape, dtype=s.dtype.as_numpy_dtype))))
                continue
            out.append(reshape(stack(parts), tshape + sshape))
        if not self._persistent:
            self._tape = None
        return _pack_as(sources, iter(out))

    def batch_jacobian(self, target: Any, source: Any, unconnected_gradients: Any = "none",
                       parallel_iterations: Any = None,
                       experimental_use_pfor: bool = True) -> Any:
        """Per batch row b, d(target[b, ...])/d(source[b, ...]) (rows independent)."""
        from .array_ops import reshape, stack
        zero = _unconnected_zero(unconnected_gradients)
        target = self._begin_jacobian(target)
        tshape = target.shape.as_list()
        sshape = source.shape.as_list()
        if not tshape or not sshape:
            raise ValueError("Need first dimension of target shape (%s) and source shape "
                             "(%s) to match." % (target.shape, source.shape))
        if tshape[0] != sshape[0]:
            raise ValueError(f"Need first dimension of target shape ({target.shape}) and "
                             f"source shape ({source.shape}) to match.")
        batch = tshape[0]
        m = int(np.prod(tshape[1:], dtype=np.int64))

        def seed(j: int) -> Any:
            onehot = np.zeros((batch, m), dtype=target.dtype.as_numpy_dtype)
            onehot[:, j] = 1
            return EagerTensor(_symgrad.EagerValue(onehot.reshape(tshape)))

        rows = self._rows(target, [source], zero, seed, m)
        parts = [r[0] for r in rows]
        if not self._persistent:
            self._tape = None
        if any(p is None for p in parts):
            return None
        if m == 0:
            return EagerTensor(_symgrad.EagerValue(
                np.zeros(tshape + sshape[1:], dtype=source.dtype.as_numpy_dtype)))
        return reshape(stack(parts, axis=1), tshape + sshape[1:])


def _wrap_eager(x: Any) -> Any:
    if _is_variable(x):
        return x.value()
    if isinstance(x, EagerTensor):
        return x
    return EagerTensor(_as_value(x))


# ----- function -----
class FuncGraph(Graph):
    """A graph a ``function`` is traced into; reads of eager variables become inputs."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        # (placeholder, variable) pairs: fed with a fresh (taped) read at each call.
        self.variable_captures: list[tuple[Tensor, Any]] = []
        # (placeholder, eager tensor): closed-over eager tensors, fed at each call so that a
        # tape outside sees them as inputs of the call.
        self.tensor_captures: list[tuple[Tensor, "EagerTensor"]] = []
        self._captured_tensors: dict[int, Tensor] = {}
        self._captured_reads: dict[int, Tensor] = {}
        self._handles: dict[int, Tensor] = {}
        self._updates: dict[int, Any] = {}

    def note_variable_update(self, variable: Any, op: Any) -> None:
        """Later reads of ``variable`` in this graph must see the update ``op``."""
        self._updates[id(variable)] = op

    def _capture(self, eager_tensor: Tensor) -> Tensor:
        from .array_ops import placeholder
        key = id(eager_tensor)
        captured = self._captured_tensors.get(key)
        if captured is None:
            with self.as_default(), self.name_scope(None):
                captured = placeholder(eager_tensor.dtype, eager_tensor.shape,
                                       name="captured")
            self._captured_tensors[key] = captured
            self.tensor_captures.append((captured, eager_tensor))  # type: ignore[arg-type]
        return captured

    def capture_variable_read(self, variable: Any) -> Tensor:
        """A placeholder standing for the variable's value at call time, or, after the
        variable was updated in this graph, a read ordered after that update."""
        from .array_ops import placeholder
        key = id(variable)
        update = self._updates.get(key)
        if update is not None:
            with self.control_dependencies([update]):
                return self._create_op("ReadVariableOp", [self.variable_handle(variable)],
                                       {"dtype": variable.dtype.name}).outputs[0]
        read = self._captured_reads.get(key)
        if read is None:
            with self.as_default(), self.name_scope(None):
                read = placeholder(variable.dtype, variable.shape, name="captured_read")
            self._captured_reads[key] = read
            self.variable_captures.append((read, variable))
        return read

    def variable_handle(self, variable: Any) -> Tensor:
        """The variable's handle inside this graph (same shared name, so same state)."""
        key = id(variable)
        handle = self._handles.get(key)
        if handle is None:
            handle = variable._make_handle(self)
            self._handles[key] = handle
        return handle


_STATEFUL_PREFIXES = ("Assign", "ResourceScatter", "ResourceApply")


class _Concrete:
    """One trace of a ``function``: its native graph function and output structure."""

    def __init__(self, native: Any, structure: Any, outputs: list[Any],
                 variable_captures: list[tuple[Tensor, Any]],
                 tensor_captures: list[tuple[Tensor, Any]]) -> None:
        self.native = native
        self.structure = structure
        self.outputs = outputs  # per flat output: an index into fetched values or a constant
        self.variable_captures = variable_captures
        self.tensor_captures = tensor_captures


class _FetchSlot:
    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


class Function:
    """A Python function traced into a graph once per input signature, run by the graph
    executor (TF's ``tf.function``)."""

    def __init__(self, python_function: Callable[..., Any],
                 input_signature: Optional[Sequence[Any]] = None, name: Optional[str] = None
                 ) -> None:
        self._python_function = python_function
        self._input_signature = None if input_signature is None else list(input_signature)
        self._name = name or getattr(python_function, "__name__", "function")
        self._cache: dict[Any, _Concrete] = {}
        functools.update_wrapper(self, python_function)

    @property
    def python_function(self) -> Callable[..., Any]:
        return self._python_function

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        return functools.partial(self.__call__, instance)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not executing_eagerly():
            return self._python_function(*args, **kwargs)
        flat_args = _flatten((list(args), kwargs))
        tensor_positions = [i for i, a in enumerate(flat_args) if _is_tensor_arg(a)]
        if self._input_signature is not None:
            specs = self._input_signature
            if len(tensor_positions) != len(specs):
                raise TypeError(f"{self._name} was called with {len(tensor_positions)} tensor "
                                f"arguments, but its input_signature has {len(specs)}.")
            converted = []
            for pos, spec in zip(tensor_positions, specs):
                t = _wrap_eager(flat_args[pos])
                if t.dtype is not _dtypes.as_dtype(spec.dtype) or \
                        not as_shape(spec.shape).is_compatible_with(t.shape):
                    raise ValueError(f"Python inputs incompatible with input_signature: "
                                     f"{t.dtype.name}{t.shape} vs {spec}")
                converted.append(t)
            key: Any = tuple(_hashable(a) for i, a in enumerate(flat_args)
                             if i not in tensor_positions)
            shapes = [(as_shape(s.shape), _dtypes.as_dtype(s.dtype)) for s in specs]
        else:
            converted = [_wrap_eager(flat_args[p]) for p in tensor_positions]
            shapes = [(t.shape, t.dtype) for t in converted]
            by_position = dict(zip(tensor_positions, converted))
            key = tuple(
                ("T", by_position[i].dtype.name, tuple(by_position[i].shape.as_list()))
                if i in by_position else _hashable(a)
                for i, a in enumerate(flat_args))
        key = (key, _structure_key((list(args), kwargs)))
        concrete = self._cache.get(key)
        if concrete is None:
            concrete = self._trace(args, kwargs, tensor_positions, shapes)
            self._cache[key] = concrete
        captured = [_as_value(v.value()) for _, v in concrete.variable_captures]
        captured += [t._v for _, t in concrete.tensor_captures]
        outs = _CONTEXT.call(concrete.native, [t._v for t in converted] + captured)
        values = [EagerTensor(o) for o in outs]
        flat = [values[o.index] if isinstance(o, _FetchSlot) else o for o in concrete.outputs]
        return _pack_as(concrete.structure, iter(flat))

    def _trace(self, args: Any, kwargs: Any, tensor_positions: list[int],
               shapes: list[tuple[TensorShape, DType]]) -> _Concrete:
        from .array_ops import placeholder
        from .constant_op import convert_to_tensor
        from .variables import Variable
        graph = FuncGraph(self._name)
        flat_args = _flatten((list(args), kwargs))
        with graph.as_default():
            placeholders = []
            for k, (shape, dtype) in enumerate(shapes):
                placeholders.append(placeholder(dtype, shape, name=f"arg{k}"))
            new_flat = list(flat_args)
            for pos, ph in zip(tensor_positions, placeholders):
                new_flat[pos] = ph
            new_args, new_kwargs = _pack_as((list(args), kwargs), iter(new_flat))
            result = self._python_function(*new_args, **new_kwargs)
            flat_result = _flatten(result)
            fetches: list[Tensor] = []
            outputs: list[Any] = []
            for r in flat_result:
                if isinstance(r, Variable):
                    r = r.value()
                if isinstance(r, Tensor) or isinstance(r, (np.ndarray, np.generic)):
                    outputs.append(_FetchSlot(len(fetches)))
                    fetches.append(graph._capture(r) if getattr(r, "_is_eager", False)
                                   else convert_to_tensor(r))
                else:
                    # Operations (run as targets) come back as None, Python values as is.
                    outputs.append(None if hasattr(r, "type") and hasattr(r, "graph") else r)
        targets = [op._id for op in graph.get_operations()
                   if op.type.startswith(_STATEFUL_PREFIXES)]
        inputs = [p._ref for p in placeholders] + [
            p._ref for p, _ in graph.variable_captures] + [
            p._ref for p, _ in graph.tensor_captures]
        native = _CONTEXT.make_function(graph._native, inputs, [f._ref for f in fetches],
                                        targets, self._name)
        return _Concrete(native, result, outputs, list(graph.variable_captures),
                         list(graph.tensor_captures))


def _is_tensor_arg(a: Any) -> bool:
    return isinstance(a, (EagerTensor, np.ndarray)) or _is_variable(a)


def _hashable(a: Any) -> Any:
    try:
        hash(a)
        return ("V", type(a).__name__, a)
    except TypeError:
        return ("R", repr(a))


def _structure_key(structure: Any) -> Any:
    if isinstance(structure, dict):
        return ("d", tuple((k, _structure_key(structure[k])) for k in sorted(structure)))
    if isinstance(structure, (list, tuple)):
        return (type(structure).__name__, tuple(_structure_key(s) for s in structure))
    return "."


def function(func: Optional[Callable[..., Any]] = None, input_signature: Any = None,
             autograph: bool = True, jit_compile: Any = None,
             reduce_retracing: bool = False, experimental_implements: Any = None,
             experimental_autograph_options: Any = None, experimental_attributes: Any = None,
             experimental_relax_shapes: Any = None, experimental_compile: Any = None,
             experimental_follow_type_hints: Any = None, name: Optional[str] = None) -> Any:
    """Traces ``func`` into a graph per input signature and runs it with the graph
    executor (TF's ``tf.function``); usable as ``@function``, ``@function(...)`` or
    ``function(f)``."""
    if func is None:
        return lambda f: Function(f, input_signature, name)
    return Function(func, input_signature, name)


class TensorSpec:
    """A tensor's dtype and (possibly partial) shape, for ``input_signature``."""

    def __init__(self, shape: Any, dtype: Any = _dtypes.float32, name: Optional[str] = None
                 ) -> None:
        self.shape = as_shape(shape)
        self.dtype = _dtypes.as_dtype(dtype)
        self.name = name

    def __repr__(self) -> str:
        return f"TensorSpec(shape={self.shape}, dtype=tf.{self.dtype.name}, name={self.name!r})"


__all__ += ["TensorSpec"]
