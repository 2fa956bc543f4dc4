"""``tf.config``: the devices and run-time settings programs query before they build.

symgrad runs on the CPU alone, so the one physical device is ``/physical_device:CPU:0`` and
GPU lists are empty: the usual ``for gpu in list_physical_devices("GPU"):
set_memory_growth(gpu, True)`` runs and does nothing. Settings are kept and read back as TF
reports them; the thread counts take effect through ``ConfigProto`` and
``SYMGRAD_NUM_THREADS``, not here.
"""

from __future__ import annotations

import collections
from types import SimpleNamespace
from typing import Any, Optional

__all__ = ["PhysicalDevice", "LogicalDevice", "LogicalDeviceConfiguration",
           "list_physical_devices", "list_logical_devices", "get_visible_devices",
           "set_visible_devices", "get_logical_device_configuration",
           "set_logical_device_configuration", "get_soft_device_placement",
           "set_soft_device_placement", "run_functions_eagerly", "functions_run_eagerly",
           "experimental_run_functions_eagerly", "experimental_functions_run_eagerly",
           "experimental", "threading", "optimizer"]

PhysicalDevice = collections.namedtuple("PhysicalDevice", ["name", "device_type"])
LogicalDevice = collections.namedtuple("LogicalDevice", ["name", "device_type"])


class LogicalDeviceConfiguration(collections.namedtuple(
        "LogicalDeviceConfiguration",
        ["memory_limit", "experimental_priority", "experimental_device_ordinal"])):
    """How to split a physical device into logical ones (kept, not acted on)."""

    def __new__(cls, memory_limit: Optional[int] = None, experimental_priority: Any = None,
                experimental_device_ordinal: Any = None) -> "LogicalDeviceConfiguration":
        return super().__new__(cls, memory_limit, experimental_priority,
                               experimental_device_ordinal)


VirtualDeviceConfiguration = LogicalDeviceConfiguration

_CPU = PhysicalDevice(name="/physical_device:CPU:0", device_type="CPU")
_settings: dict[str, Any] = {
    "visible": [_CPU], "soft_placement": True, "run_eagerly": False, "intra": 0, "inter": 0,
    "jit": "", "tf32": True, "synchronous": True, "device_policy": "silent",
    "optimizer_options": {"disable_model_pruning": False, "disable_meta_optimizer": False},
    "logical": {}, "mlir_bridge": False,
}


def list_physical_devices(device_type: Optional[str] = None) -> list[PhysicalDevice]:
    """The machine's devices of ``device_type`` (all when ``None``): the CPU only."""
    return [_CPU] if device_type in (None, "CPU") else []


def list_logical_devices(device_type: Optional[str] = None) -> list[LogicalDevice]:
    cpus = [LogicalDevice(name="/device:CPU:0", device_type="CPU")]
    return cpus if device_type in (None, "CPU") else []


def _check_device(device: Any) -> PhysicalDevice:
    if device != _CPU:
        raise ValueError(f"Unrecognized device: {device!r}")
    return device


def get_visible_devices(device_type: Optional[str] = None) -> list[PhysicalDevice]:
    return [d for d in _settings["visible"] if device_type in (None, d.device_type)]


def set_visible_devices(devices: Any, device_type: Optional[str] = None) -> None:
    """Which devices programs may use; the CPU cannot be hidden, as in TF."""
    if isinstance(devices, PhysicalDevice):
        devices = [devices]
    devices = [_check_device(d) for d in devices]
    if device_type in (None, "CPU") and _CPU not in devices:
        raise ValueError("Visible devices must include at least one CPU device.")
    _settings["visible"] = [_CPU]


def get_logical_device_configuration(device: Any) -> Optional[list[Any]]:
    return _settings["logical"].get(_check_device(device))


def set_logical_device_configuration(device: Any, logical_devices: Any) -> None:
    _settings["logical"][_check_device(device)] = (
        None if logical_devices is None else list(logical_devices))


def get_soft_device_placement() -> bool:
    return bool(_settings["soft_placement"])


def set_soft_device_placement(enabled: bool) -> None:
    _settings["soft_placement"] = bool(enabled)


def run_functions_eagerly(run_eagerly: bool) -> None:
    """Kept and reported; ``symgrad.function`` always traces its graph."""
    _settings["run_eagerly"] = bool(run_eagerly)


def functions_run_eagerly() -> bool:
    return bool(_settings["run_eagerly"])


experimental_run_functions_eagerly = run_functions_eagerly
experimental_functions_run_eagerly = functions_run_eagerly


def _set_memory_growth(device: Any, enable: bool) -> None:
    del enable
    if getattr(device, "device_type", None) != "GPU":
        raise ValueError("Cannot set memory growth on non-GPU and non-Pluggable devices")


def _get_memory_growth(device: Any) -> bool:
    raise KeyError(device)  # TF keeps growth settings for GPUs only


def _get_device_details(device: Any) -> dict[str, Any]:
    _check_device(device)
    return {}


def _setter(key: str) -> Any:
    def set_value(value: Any) -> None:
        _settings[key] = value
    return set_value


def _getter(key: str) -> Any:
    return lambda: _settings[key]


def _set_experimental_options(options: dict[str, Any]) -> None:
    _settings["optimizer_options"].update(options)


def _set_tf32(enabled: bool) -> None:
    _settings["tf32"] = bool(enabled)


experimental = SimpleNamespace(
    list_physical_devices=list_physical_devices, list_logical_devices=list_logical_devices,
    get_visible_devices=get_visible_devices, set_visible_devices=set_visible_devices,
    set_memory_growth=_set_memory_growth, get_memory_growth=_get_memory_growth,
    get_device_details=_get_device_details, VirtualDeviceConfiguration=VirtualDeviceConfiguration,
    get_virtual_device_configuration=get_logical_device_configuration,
    set_virtual_device_configuration=set_logical_device_configuration,
    enable_tensor_float_32_execution=_set_tf32,
    tensor_float_32_execution_enabled=_getter("tf32"),
    get_synchronous_execution=_getter("synchronous"),
    set_synchronous_execution=_setter("synchronous"),
    get_device_policy=_getter("device_policy"), set_device_policy=_setter("device_policy"),
    enable_mlir_bridge=lambda: _settings.update(mlir_bridge=True),
    disable_mlir_bridge=lambda: _settings.update(mlir_bridge=False),
)
threading = SimpleNamespace(
    get_intra_op_parallelism_threads=_getter("intra"),
    set_intra_op_parallelism_threads=_setter("intra"),
    get_inter_op_parallelism_threads=_getter("inter"),
    set_inter_op_parallelism_threads=_setter("inter"),
)


def _set_jit(enabled: Any) -> None:
    # TF reports True as its "autoclustering" mode and False as "".
    _settings["jit"] = "autoclustering" if enabled is True else (enabled or "")


optimizer = SimpleNamespace(
    get_jit=_getter("jit"), set_jit=_set_jit,
    get_experimental_options=lambda: dict(_settings["optimizer_options"]),
    set_experimental_options=_set_experimental_options,
)
