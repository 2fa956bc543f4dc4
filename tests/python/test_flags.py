"""tf.app.flags / tf.flags and tf.app.run: the standard-library fallback (symgrad._flags)
against absl's behaviour and messages (recorded from absl-py with TF 2.21), and the app layer."""

import sys

import pytest

import symgrad as tf
from symgrad import _flags


@pytest.fixture
def registry():
    values = _flags.FlagValues()
    _flags.DEFINE_string("name", "x", "a name", flag_values=values)
    _flags.DEFINE_integer("n", 3, "a count", flag_values=values)
    _flags.DEFINE_boolean("v", False, "verbose", flag_values=values)
    _flags.DEFINE_list("l", "a,b", "a list", flag_values=values)
    _flags.DEFINE_enum("e", "a", ["a", "b"], "a choice", flag_values=values)
    _flags.DEFINE_float("f", 0.5, "a ratio", flag_values=values)
    _flags.DEFINE_multi_string("m", None, "repeated", flag_values=values)
    return values


def test_parsing_as_absl(registry):
    with pytest.raises(_flags.UnparsedFlagAccessError,
                       match="^Trying to access flag --name before flags were parsed.$"):
        _ = registry.name
    rest = registry(["prog", "--name=z", "--n", "5", "--nov", "rest", "--l=c,d", "--m=1",
                     "--m=2", "--f=2", "--", "--n=1"])
    assert rest == ["prog", "rest", "--n=1"]
    assert (registry.name, registry.n, registry.v, registry.l, registry.e, registry.f,
            registry.m) == ("z", 5, False, ["c", "d"], "a", 2.0, ["1", "2"])
    registry(["prog", "--v"])
    assert registry.v is True
    registry.n = 9
    assert registry.n == 9 and registry["n"].default == 3 and registry.is_parsed()
    assert isinstance(_flags.UnparsedFlagAccessError("x"), _flags.Error)


def test_errors_as_absl(registry):
    with pytest.raises(_flags.DuplicateFlagError, match="^The flag 'name' is defined twice."):
        _flags.DEFINE_string("name", "y", "again", flag_values=registry)
    with pytest.raises(_flags.UnrecognizedFlagError, match="^Unknown command line flag 'bogus'$"):
        registry(["prog", "--bogus=1"])
    with pytest.raises(_flags.IllegalFlagValueError,
                       match=r"^flag --n=abc: invalid literal for int\(\) with base 10: 'abc'$"):
        registry(["prog", "--n=abc"])
    with pytest.raises(_flags.IllegalFlagValueError,
                       match="^flag --e=c: value should be one of <a|b>$"):
        registry(["prog", "--e=c"])
    with pytest.raises(AttributeError, match="^bogus$"):
        _ = registry.bogus
    assert registry(["prog", "--bogus=1", "x"], known_only=True) == ["prog", "--bogus=1", "x"]


def test_bounds_as_absl():
    values = _flags.FlagValues()
    _flags.DEFINE_integer("n", 3, "h", lower_bound=0, flag_values=values)
    _flags.DEFINE_integer("k", 3, "h", lower_bound=0, upper_bound=5, flag_values=values)
    _flags.DEFINE_integer("j", 3, "h", upper_bound=5, flag_values=values)
    for arg, message in [("--n=-1", "flag --n=-1: -1 is not a non-negative integer"),
                         ("--k=9", "flag --k=9: 9 is not an integer in the range [0, 5]"),
                         ("--j=9", "flag --j=9: 9 is not integer <= 5")]:
        with pytest.raises(_flags.IllegalFlagValueError) as info:
            values(["prog", arg])
        assert str(info.value) == message


def test_tf_app_flags_and_run(monkeypatch):
    assert tf.flags is tf.app.flags
    name = "symgrad_test_app_flag"
    tf.app.flags.DEFINE_integer(name, 4, "for the test")
    seen = []

    def main(argv):
        seen.append((argv, getattr(tf.app.flags.FLAGS, name)))
        return 3

    with pytest.raises(SystemExit) as info:
        tf.app.run(main=main, argv=["prog", f"--{name}=7", "--unknown=3", "x"])
    assert info.value.code == 3
    assert seen == [(["prog", "--unknown=3", "x"], 7)]


def test_tf_flags_parse_sys_argv_on_first_read(monkeypatch):
    registry = _flags.FlagValues()
    _flags.DEFINE_string("who", "nobody", "h", flag_values=registry)
    from symgrad.app import _FlagValuesWrapper
    wrapped = _FlagValuesWrapper(registry)
    monkeypatch.setattr(sys, "argv", ["prog", "--who=me"])
    assert wrapped.who == "me"
    assert registry.is_parsed()


def test_app_flags_is_absl_when_installed():
    absl_flags = pytest.importorskip("absl.flags")
    assert tf.app.flags.DEFINE_string is absl_flags.DEFINE_string
