"""Every status code maps to its daira.<Code> class (and builtin); real failures carry field/violations."""

import pickle

import pytest

import daira
from daira import _daira
from conftest import PASSWORD, register

# (absl code, class, builtin it must also be, or None)
CODES = [
    (1, daira.Cancelled, None),
    (2, daira.Unknown, None),
    (3, daira.InvalidArgument, ValueError),
    (4, daira.DeadlineExceeded, TimeoutError),
    (5, daira.NotFound, LookupError),
    (6, daira.AlreadyExists, None),
    (7, daira.PermissionDenied, None),
    (8, daira.ResourceExhausted, None),
    (9, daira.FailedPrecondition, None),
    (10, daira.Aborted, None),
    (11, daira.OutOfRange, None),
    (12, daira.Unimplemented, NotImplementedError),
    (13, daira.Internal, None),
    (14, daira.Unavailable, ConnectionError),
    (15, daira.DataLoss, None),
    (16, daira.Unauthenticated, None),
]


@pytest.mark.parametrize("code,cls,builtin", CODES, ids=[c[1].__name__ for c in CODES])
def test_each_status_code_maps_to_its_class(code, cls, builtin):
    with pytest.raises(cls) as info:
        _daira._raise_status(code, f"op: thing {code} went wrong", "thing")
    e = info.value
    assert type(e) is cls
    assert isinstance(e, daira.Error)
    if builtin is not None:
        assert isinstance(e, builtin)
    assert e.code == daira.StatusCode(code) and int(e.code) == code
    assert e.message == f"op: thing {code} went wrong"
    assert str(e) == e.message  # not quoted, even for KeyError
    assert e.field == "thing"
    copy = pickle.loads(pickle.dumps(e))
    assert type(copy) is cls and copy.message == e.message and copy.field == "thing"


def test_not_found_is_a_key_error_too():
    with pytest.raises(KeyError):
        _daira._raise_status(5, "users: user 1 not found")


def test_status_code_names_match_classes():
    assert {c[1].code for c in CODES} == set(daira.StatusCode) - {daira.StatusCode.OK}


def test_invalid_argument_lists_fields(platform):
    with pytest.raises(daira.InvalidArgument) as info:
        platform.accounts.register(username="x", email="not-an-email", password="short")
    e = info.value
    fields = [f for f, _ in e.violations]
    assert fields == ["email", "username", "password"], e.violations
    assert e.field == "email"
    assert e.message.startswith("register: ")
    assert "short" not in e.message  # passwords are never echoed


def test_already_exists_names_the_field(platform):
    register(platform, "alice")
    with pytest.raises(daira.AlreadyExists) as info:
        platform.accounts.register(username="Alice", email="other@example.com", password=PASSWORD)
    assert info.value.field == "username"


def test_not_found_and_unauthenticated(platform):
    with pytest.raises(daira.NotFound) as info:
        platform.users.get(987654321)
    assert "987654321" in str(info.value)
    with pytest.raises(daira.Unauthenticated):
        platform.accounts.login(identifier="nobody", password=PASSWORD)
    with pytest.raises(daira.InvalidArgument) as bad:
        platform.users.count(status="SLEEPING")
    assert bad.value.field == "status"


def test_open_rejects_bad_arguments(tmp_path):
    with pytest.raises(daira.InvalidArgument) as info:
        daira.open(f"sqlite:{tmp_path / 'x.db'}", password_cost="cheap")
    assert info.value.field == "password_cost"
    with pytest.raises(daira.Error):
        daira.open("nosuchscheme://x")


def test_call_after_close_is_a_clear_error(db_url):
    p = daira.open(db_url, password_cost="test")
    alice = register(p, "alice")
    users = p.users  # a service object kept past close
    p.close()
    p.close()  # idempotent
    for call in (lambda: users.get(alice.id), lambda: p.feed.home(alice.id), p.ping,
                 lambda: register(p, "bob")):
        with pytest.raises(daira.FailedPrecondition) as info:
            call()
        assert str(info.value) == "platform is closed"
