"""``symgrad.errors``: TF's OpError hierarchy, importable without the native module."""

import pickle

import pytest

from symgrad import errors

SUBCLASSES = [
    ("CancelledError", 1), ("UnknownError", 2), ("InvalidArgumentError", 3),
    ("DeadlineExceededError", 4), ("NotFoundError", 5), ("AlreadyExistsError", 6),
    ("PermissionDeniedError", 7), ("ResourceExhaustedError", 8),
    ("FailedPreconditionError", 9), ("AbortedError", 10), ("OutOfRangeError", 11),
    ("UnimplementedError", 12), ("InternalError", 13), ("UnavailableError", 14),
    ("DataLossError", 15), ("UnauthenticatedError", 16),
]


def test_codes_match_tf():
    assert errors.OK == 0
    assert errors.CANCELLED == 1
    assert errors.INVALID_ARGUMENT == 3
    assert errors.FAILED_PRECONDITION == 9
    assert errors.DATA_LOSS == 15
    assert errors.UNAUTHENTICATED == 16


@pytest.mark.parametrize("name, code", SUBCLASSES)
def test_subclass_signature_and_code(name, code):
    cls = getattr(errors, name)
    e = cls("node", "op", "it failed")
    assert isinstance(e, errors.OpError)
    assert e.node_def == "node" and e.op == "op"
    assert e.message == "it failed" and str(e) == "it failed"
    assert e.error_code == code
    assert errors.exception_type_from_error_code(code) is cls
    assert errors.error_code_from_exception_type(cls) == code


def test_base_class_needs_code():
    e = errors.OpError(None, None, "m", errors.ABORTED)
    assert e.error_code == 10
    with pytest.raises(TypeError):
        errors.OpError(None, None, "m")  # type: ignore[call-arg]


def test_native_style_construction():
    e = errors.InvalidArgumentError(None, None, "You must feed a value")
    e._node_id = 4
    assert e.op is None and e._node_id == 4
    assert e.args == ()
    assert repr(e) == "InvalidArgumentError()"


@pytest.mark.parametrize("name, code", SUBCLASSES)
def test_pickle_round_trip(name, code):
    e = getattr(errors, name)(None, None, "msg")
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is type(e)
    assert back.message == "msg" and back.error_code == code


def test_pickle_base_class():
    back = pickle.loads(pickle.dumps(errors.OpError(None, None, "m", 7)))
    assert type(back) is errors.OpError and back.error_code == 7 and back.message == "m"


def test_catchable_as_operror_base():
    with pytest.raises(errors.OpError):
        raise errors.NotFoundError(None, None, "x")


def test_operator_not_allowed_is_type_error():
    assert issubclass(errors.OperatorNotAllowedInGraphError, TypeError)
