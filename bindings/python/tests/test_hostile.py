"""Hostile and careless input (issue 9): secrets never in exception text, login device fields
validated (bytes that are not UTF-8 used to be stored and then break every read of the session)."""

import os
import urllib.parse

import pytest

import daira
from conftest import PASSWORD, register

SECRETS = ("UiSecret1", "PwSecret2", "SslSecret3", "RepSecret4")


def _assert_no_secret(exc: BaseException) -> None:
    for text in (str(exc), repr(exc), str(getattr(exc, "field", ""))):
        for secret in SECRETS:
            assert secret not in text, text


def test_open_errors_never_show_a_secret(tmp_path):
    replica = urllib.parse.quote("postgres://r@127.0.0.1:1/x?password=RepSecret4&connect_timeout_ms=2000", safe="")
    urls = [
        "postgres://u:UiSecret1@127.0.0.1:1/x?password=PwSecret2&sslpassword=SslSecret3"
        "&connect_timeout_ms=2000&replica=" + replica,
        f"sqlite:{tmp_path / 'a.db'}?sslpassword=SslSecret3",
        f"sqlite:{tmp_path / 'a.db'}?password=PwSecret2",
    ]
    for url in urls:
        with pytest.raises(daira.Error) as info:
            daira.open(url, password_cost="test")
        _assert_no_secret(info.value)


def test_login_device_fields_are_validated(platform):
    register(platform, "alice")
    cases = [
        (dict(device_name=b"phone\xff\xfe"), "device_name"),
        (dict(user_agent=b"\xc3"), "user_agent"),
        (dict(device_type="x" * (10 * 1024 * 1024)), "device_type"),
        (dict(ip_address="999.0.0.1"), "ip_address"),
        (dict(ip_address="10.0.0.1 OR 1=1"), "ip_address"),
    ]
    for kwargs, field in cases:
        with pytest.raises(daira.InvalidArgument) as info:
            platform.accounts.login(identifier="alice", password=PASSWORD, **kwargs)
        assert info.value.field == field
        assert "SELECT" not in str(info.value) and "INSERT" not in str(info.value)
    # A good device is stored and every session read still decodes.
    s = platform.accounts.login(identifier="alice", password=PASSWORD, device_name="Zoë's phone",
                                ip_address="2001:db8::1", user_agent="pytest")
    who = platform.accounts.check_access_token(s.access_token)
    assert who.session.device_name == "Zoë's phone"
    assert who.session.ip_address == "2001:db8::1"


def test_refresh_retry_within_the_grace_window_returns_the_same_successor(platform):
    register(platform, "bob")
    s1 = platform.accounts.login(identifier="bob", password=PASSWORD)
    s2 = platform.accounts.refresh(s1.refresh_token)
    retry = platform.accounts.refresh(s1.refresh_token)
    assert retry.refresh_token == s2.refresh_token
    assert retry.access_token == s2.access_token
    platform.accounts.check_access_token(s2.access_token)
