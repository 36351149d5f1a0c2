"""Rows serialised by SQLite (fast path) equal rows built in Python."""
from __future__ import annotations

import json

import pytest

from ftrack_api.testing._backend import Backend
from ftrack_api.testing._reads import RawJSON, Reader, dumps_results
from ftrack_api.testing._schemas_default import default_schemas


@pytest.fixture(scope="module")
def backend() -> Backend:
    be = Backend(":memory:", default_schemas(), "admin", "key")
    headers = {"ftrack-user": "admin", "ftrack-api-key": "key"}

    def call(ops):
        status, payload = be.handle(headers, json.dumps(ops).encode())
        return json.loads(dumps_results(payload))

    schema_id = call([{"action": "query", "expression": "select id from ProjectSchema"}])[0][
        "data"][0]["id"]
    project = call([{"action": "create", "entity_type": "Project", "entity_data": {
        "name": "p", "project_schema_id": schema_id}}])[0]["data"]
    call([{"action": "create", "entity_type": "Task", "entity_data": {
        "name": f"t\u00e9{i} \"q\" \\", "parent": {"__entity_type__": "Project", "id": project["id"]},
        "bid": i * 0.5, "description": None if i % 2 else "d",
        "start_date": {"__type__": "datetime", "value": "2024-01-02T03:04:05Z"} if i % 3 else None}}
        for i in range(7)])
    yield be
    be.close()


@pytest.mark.parametrize("expression", [
    "select name, bid, description, start_date, sort from Task",
    "select name, is_active, sort, color from Status",
    "select name, is_leaf, is_taskable from ObjectType order by name desc offset 1 limit 3",
    "select id from Location",
    "select name from Context",
    "select username, is_active from User",
])
def test_fast_path_matches_python_path(backend: Backend, expression: str) -> None:
    fast = Reader(backend.db, backend.schema).query(expression)
    slow = Reader(backend.db, backend.schema).query(expression, allow_raw=False)
    decoded = json.loads(fast) if isinstance(fast, RawJSON) else fast
    assert decoded == json.loads(json.dumps(slow))


def test_fast_path_is_used_for_plain_scalars(backend: Backend) -> None:
    result = Reader(backend.db, backend.schema).query("select name, bid from Task limit 2")
    assert isinstance(result, RawJSON)
    assert json.loads(result)["metadata"] == {"next": {"offset": 2}}
    nested = Reader(backend.db, backend.schema).query("select name, status.name from Task")
    assert isinstance(nested, dict)


def test_dumps_results_mixes_raw_and_plain() -> None:
    text = dumps_results([RawJSON('{"a": 1}'), {"b": [True, None]}])
    assert json.loads(text) == [{"a": 1}, {"b": [True, None]}]
