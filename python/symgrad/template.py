"""``tf.compat.v1.make_template``: a function whose variables are created on the first call
and shared by every later call."""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional

from . import logging
from .framework import get_default_graph
from .variables import GraphKeys, VariableScope, variable_scope

__all__ = ["make_template", "Template"]


class Template:
    """Calls ``func`` in its own variable scope: the first call creates the variables, later
    calls reuse them (their ops get a fresh name scope each, ``name_1/``... as in TF)."""

    def __init__(self, name: str, func: Callable[..., Any], create_scope_now: bool = False,
                 unique_name: Optional[str] = None, custom_getter: Any = None) -> None:
        self._func = func
        self._name = name
        self._unique_name = unique_name
        self._custom_getter = custom_getter
        self._variable_scope: Optional[VariableScope] = None
        self._variables_created = False
        if create_scope_now:
            # Only the variable scope: TF opens no name scope until the first call.
            with variable_scope(unique_name, name, custom_getter=custom_getter,
                                auxiliary_name_scope=False) as scope:
                self._variable_scope = scope

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._variable_scope is not None:
            # Reuse only once the first call created the variables.
            with variable_scope(self._variable_scope, reuse=self._variables_created or None):
                return self._call_func(args, kwargs)
        with variable_scope(self._unique_name, self._name,
                            custom_getter=self._custom_getter) as scope:
            self._variable_scope = scope
            return self._call_func(args, kwargs)

    def _call_func(self, args: Any, kwargs: Any) -> Any:
        graph = get_default_graph()
        global_at_start = len(graph.get_collection(GraphKeys.GLOBAL_VARIABLES))
        trainable_at_start = len(graph.get_collection(GraphKeys.TRAINABLE_VARIABLES))
        result = self._func(*args, **kwargs)
        if not self._variables_created:
            self._variables_created = True
            return result
        trainable = graph.get_collection(GraphKeys.TRAINABLE_VARIABLES)
        if len(trainable) != trainable_at_start:
            raise ValueError("Trainable variable created when calling a template after the "
                             "first time, perhaps you used tf.Variable when you meant "
                             f"tf.get_variable: {trainable[trainable_at_start:]}")
        global_vars = graph.get_collection(GraphKeys.GLOBAL_VARIABLES)
        if len(global_vars) != global_at_start:
            logging.info("New variables created when calling a template after the first "
                         "time, perhaps you used tf.Variable when you meant tf.get_variable: "
                         "%s", global_vars[global_at_start:])
        return result

    @property
    def name(self) -> str:
        return self._name

    @property
    def func(self) -> Callable[..., Any]:
        return self._func

    @property
    def variable_scope(self) -> Optional[VariableScope]:
        return self._variable_scope

    @property
    def variable_scope_name(self) -> Optional[str]:
        """The scope's name with a trailing ``/`` (``None`` before the first call)."""
        if self._variable_scope is None:
            return None
        name = self._variable_scope.name
        return name + "/" if name else name

    def _collection(self, key: str) -> list[Any]:
        prefix = self.variable_scope_name
        if prefix is None:
            return []
        return [v for v in get_default_graph().get_collection(key)
                if v.name.startswith(prefix)]

    @property
    def variables(self) -> list[Any]:
        return self._collection(GraphKeys.GLOBAL_VARIABLES) + \
            self._collection(GraphKeys.LOCAL_VARIABLES)

    @property
    def trainable_variables(self) -> list[Any]:
        return self._collection(GraphKeys.TRAINABLE_VARIABLES)

    @property
    def non_trainable_variables(self) -> list[Any]:
        trainable = {id(v) for v in self.trainable_variables}
        return [v for v in self.variables if id(v) not in trainable]

    @property
    def global_variables(self) -> list[Any]:
        return self._collection(GraphKeys.GLOBAL_VARIABLES)

    @property
    def local_variables(self) -> list[Any]:
        return self._collection(GraphKeys.LOCAL_VARIABLES)


def make_template(name_: str, func_: Callable[..., Any], create_scope_now_: bool = False,
                  unique_name_: Optional[str] = None, custom_getter_: Any = None,
                  **kwargs: Any) -> Template:
    """Wraps ``func_`` (with ``kwargs`` bound) so that all calls share its variables."""
    if kwargs:
        func_ = functools.partial(func_, **kwargs)
    return Template(name_, func_, create_scope_now=create_scope_now_,
                    unique_name=unique_name_, custom_getter=custom_getter_)
