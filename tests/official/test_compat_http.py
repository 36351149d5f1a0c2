"""The exact request bodies that the official Python client sends (protocol.md §1.1, §2,
§5.3) succeed against the local server when posted with plain ``requests``.

The bodies are serialised the way the official client serialises them
(``json.dumps(..., sort_keys=True)``, default separators, ASCII only) with the headers it
sends, and the results are checked by querying the server back.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest
import requests

pytestmark = pytest.mark.official

NEW_TASK_ID = "3b1ba945-6c1e-4a36-9d0f-0e5bd1a6c001"
TASK_OBJECT_TYPE_ID = "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c"
DEFAULT_PRIORITY_ID = "9661b320-3a0c-11e2-81c1-0800200c9a66"

#: protocol.md §2, "Observed example (create task under an existing project)".
OBSERVED_CREATE = [{
    "action": "create",
    "entity_data": {"__entity_type__": "Task", "id": NEW_TASK_ID, "name": "T1",
                    "object_type_id": TASK_OBJECT_TYPE_ID,
                    "parent": {"__entity_type__": "Project", "id": "p1"},
                    "priority_id": DEFAULT_PRIORITY_ID,
                    "start_date": {"__type__": "datetime", "value": "2024-01-02T03:04:05+02:00"}},
    "entity_key": [NEW_TASK_ID], "entity_type": "Task",
}]

#: protocol.md §2, "A mixed batch (update of a custom attribute value, a delete, an update
#: with a reference)".
OBSERVED_MIXED = [
    {"action": "update",
     "entity_data": {"__entity_type__": "ContextCustomAttributeValue", "value": 5},
     "entity_key": ["C1", "T1"], "entity_type": "ContextCustomAttributeValue"},
    {"action": "delete", "entity_key": ["T2"], "entity_type": "Task"},
    {"action": "update", "entity_data": {"__entity_type__": "Task", "name": "new",
                                         "status": {"__entity_type__": "Status", "id": "S1"}},
     "entity_key": ["T1"], "entity_type": "Task"},
]


class OfficialWire:
    """POSTs bodies byte for byte as the official client 3.1.0 does."""

    def __init__(self, server: Any) -> None:
        self.url = server.url + "/api"
        self.http = requests.Session()
        self.http.headers.update({
            "content-type": "application/json", "accept": "application/json",
            "ftrack-user": server.api_user, "ftrack-api-key": server.api_key,
            "ftrack-strict-api": "false",
        })

    def post(self, body: List[Dict[str, Any]]) -> requests.Response:
        data = json.dumps(body, sort_keys=True)
        assert data.isascii()
        return self.http.post(self.url, data=data, timeout=60)

    def ok(self, body: List[Dict[str, Any]]) -> List[Any]:
        response = self.post(body)
        assert response.status_code == 200, response.text
        result = response.json()
        assert isinstance(result, list), result
        assert len(result) == len(body)
        return result

    def rows(self, expression: str) -> List[Dict[str, Any]]:
        return self.ok([{"action": "query", "expression": expression}])[0]["data"]


@pytest.fixture(scope="module", params=["default", "real"])
def wire(request, real_schemas_path, tmp_path_factory):
    """A fresh server per schema set, holding the ids the observed bodies refer to."""
    from ftrack_api.testing import LocalServer

    schemas = None if request.param == "default" else str(real_schemas_path)
    directory = tmp_path_factory.mktemp(f"compat-{request.param}")
    with LocalServer(database=str(directory / "compat.sqlite"), schemas=schemas) as server:
        wire = OfficialWire(server)
        _seed_referenced_ids(wire)
        yield wire


def _create(_type: str, _key: List[str], **data: Any) -> Dict[str, Any]:
    data = dict(data, __entity_type__=_type)
    return {"action": "create", "entity_type": _type, "entity_key": _key, "entity_data": data}


def _seed_referenced_ids(wire: OfficialWire) -> None:
    schema = wire.rows('select id from ProjectSchema where name is "VFX Scheme"')[0]
    task_type = wire.rows('select id from Type where name is "Compositing"')[0]
    number = wire.rows('select id from CustomAttributeType where name is "number"')[0]
    workflow = wire.rows("select id from WorkflowSchema where name is \"VFX Task Workflow\"")[0]
    wire.ok([
        _create("Project", ["p1"], id="p1", name="p1", full_name="Project p1",
                project_schema={"__entity_type__": "ProjectSchema", "id": schema["id"]}),
        _create("Task", ["T1"], id="T1", name="t1", object_type_id=TASK_OBJECT_TYPE_ID,
                parent={"__entity_type__": "Project", "id": "p1"},
                type={"__entity_type__": "Type", "id": task_type["id"]}),
        _create("Task", ["T2"], id="T2", name="t2", object_type_id=TASK_OBJECT_TYPE_ID,
                parent={"__entity_type__": "Project", "id": "p1"},
                type={"__entity_type__": "Type", "id": task_type["id"]}),
        _create("Status", ["S1"], id="S1", name="Status S1", sort=99, color="#000000"),
        _create("WorkflowSchemaStatus", ["S1", workflow["id"]],
                workflow_schema_id=workflow["id"], status_id="S1"),
        _create("CustomAttributeConfiguration", ["C1"], id="C1", key="c1", label="C1",
                entity_type="task", object_type_id=TASK_OBJECT_TYPE_ID,
                type={"__entity_type__": "CustomAttributeType", "id": number["id"]},
                config=json.dumps({"isdecimal": False}), default=0),
    ])


def test_the_observed_query_body(wire) -> None:
    body = [{"action": "query", "expression":
             'select context_type, id, name from Task where name is "t1" offset 0 limit 500'}]
    result = wire.ok(body)[0]
    assert result["action"] == "query"
    assert [row["id"] for row in result["data"]] == ["T1"]
    assert result["data"][0]["__entity_type__"] == "Task"
    assert result["data"][0]["context_type"] == "task"
    assert result["metadata"]["next"]["offset"] is None


def test_the_observed_session_construction_bodies(wire) -> None:
    info = wire.ok([{"action": "query_server_information"}])[0]
    assert isinstance(info["version"], str)
    schemas = wire.ok([{"action": "query_schemas"}])[0]
    import hashlib

    assert info["schema_hash"] == hashlib.md5(
        json.dumps(schemas, sort_keys=True).encode()).hexdigest()
    assert wire.ok([]) == []


def test_the_observed_create_body(wire) -> None:
    result = wire.ok(OBSERVED_CREATE)[0]
    assert result["action"] == "create"
    assert result["data"]["__entity_type__"] == "Task"
    assert result["data"]["id"] == NEW_TASK_ID
    row = wire.rows(
        "select name, parent_id, project_id, priority_id, object_type_id, start_date, "
        f"status.name, context_type from Task where id is {NEW_TASK_ID}")[0]
    assert row["name"] == "T1"
    assert row["parent_id"] == "p1"
    assert row["project_id"] == "p1"
    assert row["priority_id"] == DEFAULT_PRIORITY_ID
    assert row["object_type_id"] == TASK_OBJECT_TYPE_ID
    assert row["context_type"] == "task"
    # +02:00 is stored as UTC and served as naive UTC (protocol.md §3.4).
    assert row["start_date"] == {"__type__": "datetime", "value": "2024-01-02T01:04:05"}
    # The first status of the project schema's task workflow.
    assert row["status"]["name"] == "Not started"


def test_the_observed_mixed_batch(wire) -> None:
    result = wire.ok(OBSERVED_MIXED)
    assert [entry["action"] for entry in result] == ["update", "delete", "update"]
    assert result[1]["data"] is True
    assert result[0]["data"]["value"] == 5
    assert result[2]["data"]["name"] == "new"
    assert wire.rows("select id from Task where id is T2") == []
    task = wire.rows("select name, status_id, custom_attributes from Task where id is T1")[0]
    assert task["name"] == "new"
    assert task["status_id"] == "S1"
    values = {item["key"]: item["value"] for item in task["custom_attributes"]}
    assert values == {"c1": 5}
    value = wire.rows('select value from ContextCustomAttributeValue '
                      'where configuration_id is "C1" and entity_id is "T1"')
    assert [v["value"] for v in value] == [5]


def test_the_populate_quirk_without_space_before_and(wire) -> None:
    """protocol.md §5.3: ``"C1"and`` (no space) as Python ``populate()`` emits it."""
    rows = wire.rows('select value from ContextCustomAttributeValue where '
                     '(configuration_id is "C1"and entity_id is "T1") or '
                     '(configuration_id is "C2"and entity_id is "T1") offset 0 limit 500')
    assert [(r["configuration_id"], r["entity_id"]) for r in rows] == [("C1", "T1")]


def test_an_unknown_action_names_it_as_the_official_client_expects(wire) -> None:
    response = wire.post([{"action": "get_nothing"}])
    assert response.status_code == 200
    error = response.json()
    assert "Invalid action u'get_nothing'" in error["content"]
    assert set(error) >= {"exception", "content", "error_code"}
