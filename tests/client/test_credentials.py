"""Credential resolution: arguments, FTRACK_* variables, getpass and clear TypeErrors."""
from __future__ import annotations

import getpass

import pytest
import requests

import ftrack_api
from ftrack_api.session import SessionAuthentication


def test_missing_server_url_names_it(monkeypatch):
    with pytest.raises(TypeError) as info:
        ftrack_api.Session(api_key="k", api_user="u")
    message = str(info.value)
    assert message.startswith('Required "server_url" not specified.')
    assert "FTRACK_SERVER" in message


def test_explicit_empty_server_url_is_not_replaced(monkeypatch, local_server):
    monkeypatch.setenv("FTRACK_SERVER", local_server.url)
    with pytest.raises(TypeError, match='"server_url"'):
        ftrack_api.Session(server_url="", api_key="k", api_user="u")


def test_missing_api_key_names_it(local_server):
    with pytest.raises(TypeError) as info:
        ftrack_api.Session(server_url=local_server.url, api_user="u")
    assert str(info.value).startswith('Required "api_key" not specified.')
    assert "FTRACK_API_KEY" in str(info.value)


def test_missing_api_user_names_it(monkeypatch, local_server):
    def no_user():
        raise OSError("no login name")

    monkeypatch.setattr(getpass, "getuser", no_user)
    with pytest.raises(TypeError) as info:
        ftrack_api.Session(server_url=local_server.url, api_key="k")
    assert str(info.value).startswith('Required "api_user" not specified.')
    assert "FTRACK_API_USER" in str(info.value)


def test_explicit_empty_api_user_fails():
    with pytest.raises(TypeError, match='"api_user"'):
        ftrack_api.Session(server_url="http://127.0.0.1:1", api_key="k", api_user="")


def test_environment_fallbacks(monkeypatch, local_server, tmp_path):
    monkeypatch.setenv("FTRACK_SERVER", local_server.url + "/")
    monkeypatch.setenv("FTRACK_API_KEY", local_server.api_key)
    monkeypatch.setenv("FTRACK_API_USER", local_server.api_user)
    with ftrack_api.Session(schema_cache_path=str(tmp_path)) as session:
        assert session.server_url == local_server.url
        assert session.api_key == local_server.api_key
        assert session.api_user == local_server.api_user
        assert session.query("User").first() is not None


def test_legacy_apikey_used_only_when_api_key_absent(monkeypatch, local_server, tmp_path):
    monkeypatch.setenv("FTRACK_SERVER", local_server.url)
    monkeypatch.setenv("FTRACK_API_USER", local_server.api_user)
    monkeypatch.setenv("FTRACK_APIKEY", local_server.api_key)
    with ftrack_api.Session(schema_cache_path=str(tmp_path)) as session:
        assert session.api_key == local_server.api_key

    monkeypatch.setenv("FTRACK_API_KEY", "")
    with pytest.raises(TypeError, match='"api_key"'):
        ftrack_api.Session(schema_cache_path=str(tmp_path))


def test_getpass_fallback_for_user(monkeypatch, local_server, tmp_path):
    monkeypatch.setattr(getpass, "getuser", lambda: local_server.api_user)
    with ftrack_api.Session(
        server_url=local_server.url, api_key=local_server.api_key, schema_cache_path=str(tmp_path)
    ) as session:
        assert session.api_user == local_server.api_user


@pytest.mark.parametrize(
    "kwargs, word",
    [({"cookies": ["a"]}, "cookies"), ({"headers": "x"}, "headers"), ({"strict_api": "yes"}, "strict_api")],
)
def test_malformed_options_raise_type_error(kwargs, word):
    with pytest.raises(TypeError, match=word):
        ftrack_api.Session(server_url="http://127.0.0.1:1", api_key="k", api_user="u", **kwargs)


def test_session_authentication_adds_headers():
    request = requests.Request("POST", "http://127.0.0.1:1/api").prepare()
    auth = SessionAuthentication("the-key", "the-user")
    assert isinstance(auth, requests.auth.AuthBase)
    auth(request)
    assert request.headers["ftrack-api-key"] == "the-key"
    assert request.headers["ftrack-user"] == "the-user"


def test_constructor_signature_matches_official_order():
    import inspect

    parameters = list(inspect.signature(ftrack_api.Session).parameters.values())
    official = [
        "server_url", "api_key", "api_user", "auto_populate", "plugin_paths", "cache",
        "cache_key_maker", "auto_connect_event_hub", "schema_cache_path", "plugin_arguments",
        "timeout", "cookies", "headers", "strict_api",
    ]
    assert [p.name for p in parameters[: len(official)]] == official
    assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in parameters[: len(official)])
    assert parameters[len(official)].name == "event_hub_class"
    assert parameters[len(official)].kind is inspect.Parameter.KEYWORD_ONLY
    defaults = {p.name: p.default for p in parameters}
    assert defaults["auto_populate"] is True and defaults["timeout"] == 60 and defaults["strict_api"] is False


def test_strict_api_header_sent(local_server, tmp_path):
    with local_server.session(schema_cache_path=str(tmp_path), strict_api=True, headers={"x-extra": "1"}) as session:
        assert session._request.headers["ftrack-strict-api"] == "true"
        assert session._request.headers["x-extra"] == "1"
    with local_server.session(schema_cache_path=str(tmp_path), timeout=12) as session:
        assert session._request.headers["ftrack-strict-api"] == "false"
        assert session.request_timeout == 12


def test_cookies_reach_requests_and_event_hub(local_server, tmp_path):
    with local_server.session(schema_cache_path=str(tmp_path), cookies={"studio": "abc"}) as session:
        assert session._request.cookies.get("studio") == "abc"
        assert session.event_hub._cookies == {"studio": "abc"}
        assert session.event_hub._headers["ftrack-strict-api"] == "false"
        assert session.query("User").first() is not None
