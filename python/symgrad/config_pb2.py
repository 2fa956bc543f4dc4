"""``tf.ConfigProto``, ``tf.GPUOptions``, ``tf.GraphOptions``, ``tf.OptimizerOptions``,
``tf.RunOptions`` and ``tf.RunMetadata``: plain Python stand-ins for TF's protocol buffers.

TF 1 programs build these to configure sessions; symgrad stores every field so such programs
run unchanged, but settings about devices, placement and threads have no effect. The classes
keep protobuf's contract where programs see it: keyword-only construction, the same field
names and defaults, the same errors for unknown fields and for assigning to message fields,
sub-messages created on first access, and protobuf's text format from ``str()``.
"""

from __future__ import annotations

import builtins
import operator
from typing import Any, ClassVar, Optional

__all__ = ["ConfigProto", "GPUOptions", "GraphOptions", "OptimizerOptions", "RunOptions",
           "RunMetadata"]

_INT, _BOOL, _FLOAT, _STR = "int", "bool", "float", "str"
_MAP, _REPEATED_STR = "map", "repeated_str"


class _Message:
    """A protobuf message: ``_FIELDS`` lists (name, kind) in declaration order, where a kind
    is a scalar kind, a map or repeated kind, an enum (dict name -> number) or a message class.
    """

    _FIELDS: ClassVar[tuple[tuple[str, Any], ...]] = ()

    def __init__(self, *args: Any, **fields: Any) -> None:
        # Positional arguments are accepted only to reject them with protobuf's message.
        if args:
            raise TypeError("No positional arguments allowed")
        object.__setattr__(self, "_values", {})
        for name, value in fields.items():
            kind = self._kind(name, ValueError)
            if isinstance(kind, type):
                if isinstance(value, dict):
                    value = kind(**value)
                elif not isinstance(value, kind):
                    raise TypeError(
                        "Parameter to initialize message field must be dict or instance of "
                        f"same class: expected {kind} got {type(value)}.")
                self._values[name] = value
            elif kind == _MAP:
                self._values[name] = {str(k): operator.index(v) for k, v in dict(value).items()}
            elif kind == _REPEATED_STR:
                self._values[name] = [str(v) for v in value]
            else:
                self._values[name] = _checked(kind, value)

    @classmethod
    def _kind(cls, name: str, error: type[Exception]) -> Any:
        for field, kind in cls._FIELDS:
            if field == name:
                return kind
        raise error(f'Protocol message {cls.__name__} has no "{name}" field.')

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            kind = self._kind(name, AttributeError)
        except AttributeError:
            raise AttributeError(name) from None
        values = self.__dict__["_values"]
        if name in values:
            return values[name]
        if isinstance(kind, type):
            # A sub-message springs into existence on first access, as in protobuf.
            values[name] = kind()
            return values[name]
        if kind == _MAP:
            values[name] = {}
            return values[name]
        if kind == _REPEATED_STR:
            values[name] = []
            return values[name]
        return _default(kind)

    def __setattr__(self, name: str, value: Any) -> None:
        kind = self._kind(name, AttributeError)
        if isinstance(kind, type):
            raise AttributeError(f'Assignment not allowed to message field "{name}" in '
                                 "protocol message object.")
        if kind in (_MAP, _REPEATED_STR):
            raise AttributeError(f'Assignment not allowed to map, or repeated field "{name}" '
                                 "in protocol message object.")
        self._values[name] = _checked(kind, value)

    def _is_set(self, name: str) -> bool:
        value = self._values.get(name)
        if value is None:
            return False
        if isinstance(value, _Message):
            return bool(value._text_lines())
        return bool(value)

    def HasField(self, name: str) -> bool:  # noqa: N802 - protobuf's name
        kind = self._kind(name, ValueError)
        if not isinstance(kind, type):
            raise ValueError(f'Field {self.__class__.__name__}.{name} does not have presence.')
        return self._is_set(name)

    def ClearField(self, name: str) -> None:  # noqa: N802 - protobuf's name
        self._kind(name, ValueError)
        self._values.pop(name, None)

    def Clear(self) -> None:  # noqa: N802 - protobuf's name
        self._values.clear()

    def CopyFrom(self, other: _Message) -> None:  # noqa: N802 - protobuf's name
        if other is self:
            return
        self.Clear()
        self.MergeFrom(other)

    def MergeFrom(self, other: _Message) -> None:  # noqa: N802 - protobuf's name
        if not isinstance(other, type(self)):
            raise TypeError(f"Parameter to MergeFrom() must be instance of same class: "
                            f"expected {type(self).__name__} got {type(other).__name__}.")
        for name, kind in self._FIELDS:
            if not other._is_set(name):
                continue
            value = other._values[name]
            if isinstance(kind, type):
                getattr(self, name).MergeFrom(value)
            elif kind == _MAP:
                getattr(self, name).update(value)
            elif kind == _REPEATED_STR:
                getattr(self, name).extend(value)
            else:
                self._values[name] = value

    def ListFields(self) -> list[tuple[str, Any]]:  # noqa: N802 - protobuf's name
        return [(name, self._values[name]) for name, _ in self._FIELDS if self._is_set(name)]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return builtins.all(getattr(self, n) == getattr(other, n) for n, _ in self._FIELDS)

    __hash__ = None  # type: ignore[assignment]  # mutable, as protobuf messages

    def _text_lines(self) -> list[str]:
        lines: list[str] = []
        for name, kind in self._FIELDS:
            if not self._is_set(name):
                continue
            value = self._values[name]
            if isinstance(kind, type):
                lines.append(f"{name} {{")
                lines.extend("  " + line for line in value._text_lines())
                lines.append("}")
            elif kind == _MAP:
                for key, number in value.items():
                    lines.extend([f"{name} {{", f'  key: "{key}"', f"  value: {number}", "}"])
            elif kind == _REPEATED_STR:
                lines.extend(f'{name}: "{v}"' for v in value)
            else:
                lines.append(f"{name}: {_text_scalar(kind, value)}")
        return lines

    def __str__(self) -> str:
        return "".join(line + "\n" for line in self._text_lines())

    __repr__ = __str__


def _default(kind: Any) -> Any:
    if kind == _BOOL:
        return False
    if kind == _FLOAT:
        return 0.0
    if kind == _STR:
        return ""
    return 0


def _checked(kind: Any, value: Any) -> Any:
    if kind == _FLOAT:
        if isinstance(value, (str, bytes)):
            raise TypeError(f"{value!r} has type {type(value).__name__}, but expected one of: "
                            "int, float")
        return float(value)
    if kind == _STR:
        if isinstance(value, bytes):
            return value.decode()
        if not isinstance(value, str):
            raise TypeError(f"{value!r} has type {type(value).__name__}, but expected one of: "
                            "bytes, str")
        return value
    if isinstance(kind, dict) and isinstance(value, str):
        if value not in kind:
            raise ValueError(f'unknown enum label "{value}"')
        return kind[value]
    number = operator.index(value)
    return builtins.bool(number) if kind == _BOOL else number


def _text_scalar(kind: Any, value: Any) -> str:
    if kind == _BOOL:
        return "true" if value else "false"
    if kind == _STR:
        return f'"{value}"'
    if isinstance(kind, dict):
        names = [label for label, number in kind.items() if number == value]
        return names[0] if names else str(value)
    return repr(value)


class _Unmodelled(_Message):
    """A nested message symgrad does not model; present so that reading it works."""


class OptimizerOptions(_Message):
    Level: ClassVar[dict[str, int]] = {"L1": 0, "L0": -1}
    GlobalJitLevel: ClassVar[dict[str, int]] = {"DEFAULT": 0, "OFF": -1, "ON_1": 1, "ON_2": 2}
    L1, L0 = 0, -1
    DEFAULT, OFF, ON_1, ON_2 = 0, -1, 1, 2
    _FIELDS = (
        ("do_common_subexpression_elimination", _BOOL), ("do_constant_folding", _BOOL),
        ("max_folded_constant_in_bytes", _INT), ("do_function_inlining", _BOOL),
        ("opt_level", Level), ("global_jit_level", GlobalJitLevel), ("cpu_global_jit", _BOOL),
    )


class GPUOptions(_Message):
    class Experimental(_Unmodelled):
        pass

    _FIELDS = (
        ("per_process_gpu_memory_fraction", _FLOAT), ("allow_growth", _BOOL),
        ("allocator_type", _STR), ("deferred_deletion_bytes", _INT),
        ("visible_device_list", _STR), ("polling_active_delay_usecs", _INT),
        ("polling_inactive_delay_msecs", _INT), ("force_gpu_compatible", _BOOL),
        ("experimental", Experimental),
    )


class RewriterConfig(_Unmodelled):
    pass


class GraphOptions(_Message):
    _FIELDS = (
        ("enable_recv_scheduling", _BOOL), ("optimizer_options", OptimizerOptions),
        ("build_cost_model", _INT), ("build_cost_model_after", _INT), ("infer_shapes", _BOOL),
        ("place_pruned_graph", _BOOL), ("enable_bfloat16_sendrecv", _BOOL),
        ("timeline_step", _INT), ("rewrite_options", RewriterConfig),
    )


class RPCOptions(_Unmodelled):
    pass


class ClusterDef(_Unmodelled):
    pass


class ConfigProto(_Message):
    class Experimental(_Unmodelled):
        pass

    _FIELDS = (
        ("device_count", _MAP), ("intra_op_parallelism_threads", _INT),
        ("inter_op_parallelism_threads", _INT), ("use_per_session_threads", _BOOL),
        ("placement_period", _INT), ("device_filters", _REPEATED_STR),
        ("gpu_options", GPUOptions), ("pluggable_device_options", GPUOptions),
        ("allow_soft_placement", _BOOL), ("log_device_placement", _BOOL),
        ("graph_options", GraphOptions), ("operation_timeout_in_ms", _INT),
        ("rpc_options", RPCOptions), ("cluster_def", ClusterDef),
        ("isolate_session_state", _BOOL), ("share_cluster_devices_in_session", _BOOL),
        ("experimental", Experimental),
    )


class DebugOptions(_Unmodelled):
    pass


class RunOptions(_Message):
    TraceLevel: ClassVar[dict[str, int]] = {"NO_TRACE": 0, "SOFTWARE_TRACE": 1,
                                            "HARDWARE_TRACE": 2, "FULL_TRACE": 3}
    NO_TRACE, SOFTWARE_TRACE, HARDWARE_TRACE, FULL_TRACE = 0, 1, 2, 3

    class Experimental(_Unmodelled):
        pass

    _FIELDS = (
        ("trace_level", TraceLevel), ("timeout_in_ms", _INT), ("inter_op_thread_pool", _INT),
        ("output_partition_graphs", _BOOL), ("debug_options", DebugOptions),
        ("report_tensor_allocations_upon_oom", _BOOL), ("experimental", Experimental),
    )


class StepStats(_Unmodelled):
    pass


class CostGraphDef(_Unmodelled):
    pass


class SessionMetadata(_Unmodelled):
    pass


class RunMetadata(_Message):
    """Stays empty: symgrad records no step statistics, cost graphs or partition graphs."""

    _FIELDS = (
        ("step_stats", StepStats), ("cost_graph", CostGraphDef),
        ("session_metadata", SessionMetadata),
    )


def _optional_config(config: Optional[Any]) -> Optional[ConfigProto]:
    if config is not None and not isinstance(config, ConfigProto):
        raise TypeError("Argument `config` must be a tf.ConfigProto, but got "
                        f'"{type(config).__name__}"')
    return config
