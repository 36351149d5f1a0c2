"""The local server's JSON fast path (orjson) behaves exactly like its stdlib path.

Each body is sent twice over real HTTP, once with orjson doing the hot-path JSON work and
once with the stdlib only; answers, stored values and errors must be the same.
"""
from __future__ import annotations

import json
import uuid
from typing import Any, Dict, List

import pytest
import requests

from ftrack_api.testing import _json

orjson = pytest.importorskip("orjson")


def _post(server, data: bytes) -> requests.Response:
    headers = {"ftrack-user": server.api_user, "ftrack-api-key": server.api_key,
               "content-type": "application/json"}
    return requests.post(server.url + "/api", data=data, headers=headers, timeout=60)


@pytest.fixture
def both_paths(local_server, monkeypatch):
    """Send a body with each JSON path; return the two decoded answers.

    Takes the body, or a function making a fresh one for each path (creates need keys of
    their own).
    """

    def send(data: Any) -> List[Any]:
        answers = []
        for fast in (orjson, None):
            monkeypatch.setattr(_json, "FAST", fast)
            answers.append(_post(local_server, data() if callable(data) else data).json())
        monkeypatch.setattr(_json, "FAST", orjson)
        return answers

    return send


def _priority(name: str, value: Any, key: str) -> bytes:
    return json.dumps([{"action": "create", "entity_type": "Priority", "entity_key": [key],
                        "entity_data": {"__entity_type__": "Priority", "id": key,
                                        "name": name, "value": value}}]).encode()


ERROR_BODIES = [
    (b'[{"action": "create", "entity_type": "Priority", "entity_data": {"name": "n", "value": NaN}}]',
     "finite"),
    (b'[{"action": "create", "entity_type": "Priority", "entity_data": {"name": "n", "value": Infinity}}]',
     "finite"),
    (b'[{"action": "create", "entity_type": "Priority", "entity_data": {"name": "n", "value": 1e400}}]',
     "finite"),
    (b'[{"action": "create", "entity_type": "Priority", "entity_data": {"name": "\\ud800", "value": 1}}]',
     "surrogate"),
    (b'[{"action": "create", "entity_type": "Priority", "entity_data": {"name": "a\\u0000b", "value": 1}}]',
     "NUL"),
    (b'\xef\xbb\xbf[{"action": "query", "expression": "select id from User"}]', "not valid JSON"),
    (b'[{"action": "query", "expression": "select id from User"}', "not valid JSON"),
    (b'[' * 3000 + b']' * 3000, "must be an object"),
    (b'{"action": "query"}', "list of operations"),
]


@pytest.mark.parametrize("body, fragment", ERROR_BODIES)
def test_refused_bodies_get_the_same_error_on_both_paths(both_paths, body, fragment):
    fast, stdlib = both_paths(body)
    assert fast == stdlib
    assert isinstance(fast, dict) and fragment.lower() in fast["content"].lower(), fast


@pytest.mark.parametrize("name, value", [
    ("beyond 64 bits", 123456789012345678901234567890),
    ("largest 64-bit", 9223372036854775807),
    ("negative zero", -0.0),
    ("small float", 1.5e-300),
    ("Ünïcödé 😀 名前", 3),
    ("tab\tand \"quotes\" and \\ backslash", 0.1),
])
def test_values_are_stored_and_answered_alike(both_paths, name, value):
    keys: List[str] = []

    def body() -> bytes:
        keys.append(str(uuid.uuid4()))
        return _priority(name, value, keys[-1])

    created = both_paths(body)
    # A number beyond 64 bits is kept as a double, like PostgreSQL does (_values).
    expected = float(value) if isinstance(value, int) and value >= 2 ** 63 else value
    for answer, key in zip(created, keys):
        assert isinstance(answer, list), answer
        data = answer[0]["data"]
        assert data["id"] == key
        assert data["name"] == name
        assert data["value"] == expected and type(data["value"]) is type(expected)
    assert {k: v for k, v in created[0][0]["data"].items() if k != "id"} == \
        {k: v for k, v in created[1][0]["data"].items() if k != "id"}
    # Both rows read back the same, whichever path reads them.
    query = json.dumps([{"action": "query", "expression":
                         f'select name, value from Priority where id in ("{keys[0]}", "{keys[1]}")'}]).encode()
    read_fast, read_stdlib = both_paths(query)
    assert read_fast == read_stdlib
    assert [row["name"] for row in read_fast[0]["data"]] == [name, name]


def test_escaped_pairs_decode_to_the_character(both_paths):
    def body() -> bytes:
        key = str(uuid.uuid4()).encode()
        return (b'[{"action": "create", "entity_type": "Priority", "entity_key": ["%s"], '
                b'"entity_data": {"id": "%s", "name": "\\ud83d\\ude00", "value": 1}}]') % (key, key)

    fast, stdlib = both_paths(body)
    assert fast[0]["data"]["name"] == stdlib[0]["data"]["name"] == "\U0001F600"


def test_answers_declare_utf8(local_server):
    key = str(uuid.uuid4())
    response = _post(local_server, _priority("naïve", 1, key))
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.encoding == "utf-8"
    assert response.json()[0]["data"]["name"] == "naïve"
    assert "naïve".encode("utf-8") in response.content  # UTF-8 text, not \\u escapes


def test_helpers_fall_back_to_the_stdlib(monkeypatch):
    big: Dict[str, Any] = {"n": 2 ** 70}
    assert _json.dumps(big) == json.dumps(big)
    assert json.loads(_json.dumps_bytes({1: "int key"})) == {"1": "int key"}
    assert _json.fast_loads(b"[12345678901234567890]") is _json.UNDECODED
    assert _json.fast_loads(b"[NaN]") is _json.UNDECODED
    assert _json.fast_loads(b'[1, "x"]') == [1, "x"]
    monkeypatch.setattr(_json, "FAST", None)
    assert _json.fast_loads(b"[1]") is _json.UNDECODED
    assert _json.dumps({"a": [1, None]}) == '{"a": [1, null]}'


FLAT_QUERIES = [
    "select name, value from Priority",
    "select username, is_active, first_name from User",
    "select name, full_name, start_date, end_date, status from Project",
    "select name, bid, sort, description, start_date, created_at, priority_id from Task",
    "select name from Status order by name",
    "select id from TypedContext",  # polymorphic: falls back to the projection machinery
]


@pytest.mark.parametrize("expression", FLAT_QUERIES)
def test_query_pages_are_the_same_on_both_paths(both_paths, local_server, expression):
    """Flat pages are built from the records by orjson, or by SQLite without it."""
    key = str(uuid.uuid4())
    _post(local_server, _priority("Ünïcödé page", 0.30000000000000004, key))
    for page in ("", " limit 3", " offset 2 limit 2"):
        body = json.dumps([{"action": "query", "expression": expression + page}]).encode()
        fast, stdlib = both_paths(body)
        assert isinstance(fast, list) and fast[0]["action"] == "query", fast
        assert fast == stdlib


@pytest.mark.parametrize("value", [0.30000000000000004, 1 / 3, -0.0, 1e16, 2.5e-310,
                                   123456789012345678901234567890])
def test_numbers_read_back_exactly_on_both_paths(both_paths, local_server, value):
    """SQLite's json_object prints a REAL with 15 digits; answers keep every digit."""
    key = str(uuid.uuid4())
    _post(local_server, _priority("exact", value, key))
    body = json.dumps([{"action": "query", "expression":
                        f'select value from Priority where id is "{key}"'}]).encode()
    from ftrack_api.testing._reads import _JSON_ARROW

    fast, stdlib = both_paths(body)
    # Before SQLite 3.38 (no ``->``), the path without orjson prints 15 digits.
    for answer in (fast, stdlib) if _JSON_ARROW else (fast,):
        stored = answer[0]["data"][0]["value"]
        assert stored == float(value) and repr(stored) == repr(float(value))
