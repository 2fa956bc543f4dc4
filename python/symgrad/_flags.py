"""The part of ``absl.flags`` TF 1 programs use, on the standard library alone.

TF re-exports ``absl.flags``; ``symgrad.app.flags`` (also ``symgrad.flags``) is built on it when
absl is installed, and this one otherwise. It keeps absl's behaviour where programs see it:
``DEFINE_*`` on the global ``FLAGS``, reading a flag before parsing raises
``UnparsedFlagAccessError``, ``FLAGS(argv)`` parses ``--name=value``, ``--name value``,
``--bool``/``--nobool`` and stops at ``--``, and absl's error classes and messages.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional, Sequence

__all__ = [
    "FLAGS", "FlagValues", "Flag", "Error", "DuplicateFlagError", "IllegalFlagValueError",
    "UnparsedFlagAccessError", "UnrecognizedFlagError", "DEFINE_string", "DEFINE_integer",
    "DEFINE_float", "DEFINE_boolean", "DEFINE_bool", "DEFINE_list", "DEFINE_enum",
    "DEFINE_multi_string", "mark_flag_as_required",
]


class Error(Exception):
    """The base of the flag errors, as ``absl.flags.Error``."""


class DuplicateFlagError(Error):
    pass


class IllegalFlagValueError(Error):
    pass


class UnparsedFlagAccessError(Error):
    pass


class UnrecognizedFlagError(Error):
    pass


def _parse_bool(text: Any) -> bool:
    if isinstance(text, bool):
        return text
    lowered = str(text).lower()
    if lowered in ("true", "t", "1"):
        return True
    if lowered in ("false", "f", "0"):
        return False
    raise ValueError("Non-boolean argument to boolean flag", text)


def _parse_list(text: Any) -> list[str]:
    if isinstance(text, (list, tuple)):
        return [str(v) for v in text]
    return [part.strip() for part in str(text).split(",")] if text else []


class Flag:
    """One flag: its name, help, default, parser and current value."""

    def __init__(self, name: str, default: Any, help: str,  # noqa: A002 - absl's name
                 parse: Callable[[Any], Any], boolean: bool = False, multi: bool = False
                 ) -> None:
        self.name = name
        self.help = help
        self._parse = parse
        self.boolean = boolean
        self.multi = multi
        self.present = 0
        self.default = None if default is None else self.parse_value(default)
        self.value = self.default

    def parse_value(self, argument: Any) -> Any:
        if self.multi:
            items = argument if isinstance(argument, (list, tuple)) else [argument]
            return [self._parse(item) for item in items]
        return self._parse(argument)

    def parse(self, argument: Any) -> None:
        try:
            value = self.parse_value(argument)
        except (TypeError, ValueError) as e:
            raise IllegalFlagValueError(f"flag --{self.name}={argument}: {e}") from None
        if self.multi and self.present:
            self.value = list(self.value or []) + value
        else:
            self.value = value
        self.present += 1


class FlagValues:
    """The registry of flags; attribute access reads a flag's value once parsed."""

    def __init__(self) -> None:
        self.__dict__["_flags"] = {}
        self.__dict__["_parsed"] = False
        self.__dict__["_required"] = []

    def _register(self, flag: Flag) -> None:
        flags: dict[str, Flag] = self.__dict__["_flags"]
        if flag.name in flags:
            first = flags[flag.name]
            raise DuplicateFlagError(
                f"The flag '{flag.name}' is defined twice. First from -, second from -. "
                f"Description from first occurrence: {first.help}")
        flags[flag.name] = flag

    def __getattr__(self, name: str) -> Any:
        flags: dict[str, Flag] = self.__dict__["_flags"]
        if name not in flags:
            raise AttributeError(name)
        if not self.__dict__["_parsed"]:
            raise UnparsedFlagAccessError(
                f"Trying to access flag --{name} before flags were parsed.")
        return flags[name].value

    def __setattr__(self, name: str, value: Any) -> None:
        flags: dict[str, Flag] = self.__dict__["_flags"]
        if name not in flags:
            raise AttributeError(name)
        flags[name].value = value

    def __getitem__(self, name: str) -> Flag:
        return self.__dict__["_flags"][name]  # type: ignore[no-any-return]

    def __contains__(self, name: str) -> bool:
        return name in self.__dict__["_flags"]

    def __iter__(self) -> Any:
        return iter(self.__dict__["_flags"])

    def is_parsed(self) -> bool:
        return bool(self.__dict__["_parsed"])

    def mark_as_parsed(self) -> None:
        self.__dict__["_parsed"] = True

    def unparse_flags(self) -> None:
        for flag in self.__dict__["_flags"].values():
            flag.value, flag.present = flag.default, 0
        self.__dict__["_parsed"] = False

    def flag_values_dict(self) -> dict[str, Any]:
        return {name: flag.value for name, flag in self.__dict__["_flags"].items()}

    def __call__(self, argv: Sequence[str], known_only: bool = False) -> list[str]:
        """Parses ``argv[1:]``; returns ``argv[0]`` and the arguments that are not flags."""
        if isinstance(argv, str):
            raise TypeError("argv should be a tuple/list of strings, not bytes or string.")
        if not argv:
            raise ValueError("argv cannot be an empty list, and must contain the program "
                             "name as the first element.")
        flags: dict[str, Flag] = self.__dict__["_flags"]
        rest = [argv[0]]
        args = list(argv[1:])
        i = 0
        while i < len(args):
            arg = args[i]
            i += 1
            if arg == "--":
                rest.extend(args[i:])
                break
            if not arg.startswith("-") or arg == "-":
                rest.append(arg)
                continue
            body = arg[2:] if arg.startswith("--") else arg[1:]
            name, eq, value = body.partition("=")
            flag = flags.get(name)
            if flag is None and not eq and name.startswith("no") and name[2:] in flags:
                flag = flags[name[2:]]
                if flag.boolean:
                    flag.parse("false")
                    continue
                flag = None
            if flag is None:
                if known_only:
                    rest.append(arg)
                    continue
                raise UnrecognizedFlagError(f"Unknown command line flag '{name}'")
            if not eq:
                if flag.boolean:
                    value = "true"
                elif i < len(args):
                    value = args[i]
                    i += 1
                else:
                    raise IllegalFlagValueError(f"flag --{name}=None: Missing value")
            flag.parse(value)
        for name in self.__dict__["_required"]:
            if flags[name].value is None:
                raise IllegalFlagValueError(
                    f"flag --{name}=None: Flag --{name} must have a value other than None.")
        self.__dict__["_parsed"] = True
        return rest


FLAGS = FlagValues()


def _define(flag: Flag, flag_values: Optional[FlagValues]) -> Flag:
    (flag_values if flag_values is not None else FLAGS)._register(flag)
    return flag


def DEFINE_string(name: str, default: Optional[str], help: str,  # noqa: N802, A002
                  flag_values: Optional[FlagValues] = None, **args: Any) -> Flag:
    return _define(Flag(name, default, help, str), flag_values)


def DEFINE_integer(name: str, default: Optional[int], help: str,  # noqa: N802, A002
                   lower_bound: Optional[int] = None, upper_bound: Optional[int] = None,
                   flag_values: Optional[FlagValues] = None, **args: Any) -> Flag:
    return _define(Flag(name, default, help, _bounded(int, lower_bound, upper_bound)),
                   flag_values)


def DEFINE_float(name: str, default: Optional[float], help: str,  # noqa: N802, A002
                 lower_bound: Optional[float] = None, upper_bound: Optional[float] = None,
                 flag_values: Optional[FlagValues] = None, **args: Any) -> Flag:
    return _define(Flag(name, default, help, _bounded(float, lower_bound, upper_bound)),
                   flag_values)


def DEFINE_boolean(name: str, default: Optional[bool], help: str,  # noqa: N802, A002
                   flag_values: Optional[FlagValues] = None, **args: Any) -> Flag:
    return _define(Flag(name, default, help, _parse_bool, boolean=True), flag_values)


DEFINE_bool = DEFINE_boolean


def DEFINE_list(name: str, default: Any, help: str,  # noqa: N802, A002
                flag_values: Optional[FlagValues] = None, **args: Any) -> Flag:
    return _define(Flag(name, default, help, _parse_list), flag_values)


def DEFINE_enum(name: str, default: Optional[str], enum_values: Iterable[str],  # noqa: N802
                help: str, flag_values: Optional[FlagValues] = None,  # noqa: A002
                **args: Any) -> Flag:
    allowed = list(enum_values)

    def parse(text: Any) -> str:
        if text not in allowed:
            raise ValueError(f"value should be one of <{'|'.join(allowed)}>")
        return str(text)

    return _define(Flag(name, default, help, parse), flag_values)


def DEFINE_multi_string(name: str, default: Any, help: str,  # noqa: N802, A002
                        flag_values: Optional[FlagValues] = None, **args: Any) -> Flag:
    return _define(Flag(name, default, help, str, multi=True), flag_values)


def mark_flag_as_required(flag_name: str, flag_values: Optional[FlagValues] = None) -> None:
    (flag_values if flag_values is not None else FLAGS).__dict__["_required"].append(flag_name)


def _bounded(kind: Callable[[Any], Any], lower: Any, upper: Any) -> Callable[[Any], Any]:
    noun = "integer" if kind is int else "number"
    # absl's wording for each kind of bound.
    if lower is not None and upper is not None:
        expected = f"an {noun} in the range [{lower}, {upper}]" if kind is int else \
            f"a {noun} in the range [{lower}, {upper}]"
    elif lower == 0:
        expected = f"a non-negative {noun}"
    elif lower == 1 and kind is int:
        expected = f"a positive {noun}"
    elif lower is not None:
        expected = f"{noun} >= {lower}"
    else:
        expected = f"{noun} <= {upper}"

    def parse(text: Any) -> Any:
        value = kind(text)
        if (lower is not None and value < lower) or (upper is not None and value > upper):
            raise ValueError(f"{value} is not {expected}")
        return value

    return parse
