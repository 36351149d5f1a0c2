"""Misuse of the ``LocalServer`` Python API."""
from __future__ import annotations

import pytest
import requests

from ftrack_api.testing import LocalServer


@pytest.mark.parametrize("key", ["", "   ", 5, b"key"])
def test_an_empty_or_odd_api_key_is_refused(key):
    # An empty key would let in every request that sends an empty ftrack-api-key.
    with pytest.raises(ValueError, match="api_key"):
        LocalServer(api_key=key)


def test_the_cli_refuses_an_empty_api_key():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "ftrack_api.testing", "serve", "--database", ":memory:",
                           "--api-key", ""], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "api_key" in proc.stderr and "Traceback" not in proc.stderr
    assert "FTRACK_SERVER" not in proc.stdout


def test_no_key_header_and_empty_key_header_never_authenticate():
    with LocalServer() as server:
        body = [{"action": "query", "expression": "select username from User"}]
        for headers in ({}, {"ftrack-user": server.api_user, "ftrack-api-key": ""},
                        {"ftrack-user": server.api_user}):
            answer = requests.post(server.url + "/api", json=body, headers=headers, timeout=30).json()
            assert answer["exception"] == "InvalidCredentialsError"


@pytest.mark.parametrize("schemas, error", [
    ({"id": "Project"}, TypeError),
    (5, TypeError),
    ([{"no": "id"}], ValueError),
    (["Project"], ValueError),
])
def test_bad_schemas_argument(schemas, error):
    with pytest.raises(error, match="schema"):
        LocalServer(schemas=schemas)


def test_start_stop_are_idempotent_and_restartable(tmp_path):
    server = LocalServer(database=str(tmp_path / "api.sqlite"))
    server.stop()  # before start: harmless
    assert server.start() is server
    url = server.url
    assert server.start().url == url  # already running
    server.stop()
    server.stop()
    server.start()
    try:
        session = server.session(schema_cache_path=str(tmp_path))
        assert session.query("User").first()["username"] == server.api_user
        session.close()
    finally:
        server.stop()


def test_session_before_start_is_a_clear_error():
    with pytest.raises(RuntimeError, match="start"):
        LocalServer().session()


@pytest.mark.parametrize("schemas, fragment", [
    ([{"id": 5}], "'id'"),
    ([{"id": "X", "properties": {"a": 5}}], "properties"),
    ([{"id": "X", "properties": []}], "properties"),
    ([{"id": "X", "properties": {"a": {"type": "string"}}, "primary_key": "a"}], "primary_key"),
    ([{"id": "X", "properties": {}, "primary_key": ["missing"]}], "primary_key"),
])
def test_malformed_schema_objects_are_named(tmp_path, schemas, fragment):
    import json

    with pytest.raises(ValueError, match=fragment):
        LocalServer(schemas=schemas)
    path = tmp_path / "schemas.json"
    path.write_text(json.dumps(schemas))
    with pytest.raises(ValueError, match=fragment) as info:
        LocalServer(schemas=str(path))
    assert str(path) in str(info.value)


def test_a_saved_query_schemas_answer_is_refused_clearly(tmp_path, real_schemas_path):
    import json

    wrapped = tmp_path / "wrapped.json"  # what session.call([{"action": "query_schemas"}]) returns
    wrapped.write_text(json.dumps([json.loads(real_schemas_path.read_text())]))
    with pytest.raises(ValueError, match="list of schema objects"):
        LocalServer(schemas=str(wrapped))


def test_api_key_follows_a_reset_of_the_api_users_key(tmp_path):
    import ftrack_api.exception

    with LocalServer() as server:
        old_key = server.api_key
        session = server.session(schema_cache_path=str(tmp_path))
        user = session.query('User where username is "{0}"'.format(server.api_user)).one()
        new_key = session.reset_remote("api_key", user)["api_key"]
        assert new_key != old_key
        assert server.api_key == new_key
        with pytest.raises(ftrack_api.exception.InvalidCredentialsError):
            session.query("User").all()  # the old key is no longer valid
        session.close()
        fresh = server.session(schema_cache_path=str(tmp_path))
        assert fresh.query("User").first() is not None
        fresh.close()
