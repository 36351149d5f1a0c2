"""Responses of the local server have the shape of the recorded real-server responses.

``../shared/fixtures/recorded/*.json`` hold responses of a real ftrack server. The same
requests are sent to a local server serving the real 116 schemas, and the key structure
of each answer (which attributes appear, at which depth) is compared with the recording.
The local server may always denormalise (protocol.md §3.1), so a bare reference in the
recording may be a full object locally; everything the recording shows must be there.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest
import requests

pytestmark = pytest.mark.official

TASK_OBJECT_TYPE_ID = "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c"


class Raw:
    def __init__(self, server: Any) -> None:
        self.url = server.url + "/api"
        self.headers = {"ftrack-user": server.api_user, "ftrack-api-key": server.api_key}

    def ok(self, body: List[Dict[str, Any]]) -> List[Any]:
        result = requests.post(self.url, data=json.dumps(body, sort_keys=True),
                               headers=self.headers, timeout=60).json()
        assert isinstance(result, list), result
        return result

    def create(self, entity_type: str, **data: Any) -> Dict[str, Any]:
        return self.ok([{"action": "create", "entity_type": entity_type,
                         "entity_data": dict(data, __entity_type__=entity_type)}])[0]

    def one(self, expression: str) -> Dict[str, Any]:
        return self.ok([{"action": "query", "expression": expression}])[0]["data"][0]


@pytest.fixture(scope="module")
def raw(real_schemas_path, tmp_path_factory):
    """A real-schema local server holding data like the recording's."""
    from ftrack_api.testing import LocalServer

    directory = tmp_path_factory.mktemp("recorded-shapes")
    with LocalServer(database=str(directory / "db.sqlite"),
                     schemas=str(real_schemas_path)) as server:
        raw = Raw(server)
        schema = raw.one('select id from ProjectSchema where name is "VFX Scheme"')
        project = raw.create("Project", name="rec", full_name="Recorded",
                             project_schema_id=schema["id"])["data"]
        kind = raw.one('select id from Type where name is "Generic"')
        for name in ("a", "b", "c"):
            raw.create("Task", name=name, object_type_id=TASK_OBJECT_TYPE_ID,
                       parent={"__entity_type__": "Project", "id": project["id"]},
                       type={"__entity_type__": "Type", "id": kind["id"]})
        asset_type = raw.one('select id from AssetType where short is "geo"')
        asset = raw.create("Asset", name="asset", context_id=project["id"],
                           type_id=asset_type["id"])["data"]
        for _ in range(3):
            raw.create("AssetVersion", asset_id=asset["id"])
        yield raw


def recorded(fixtures_dir, name: str) -> Any:
    return json.loads((fixtures_dir / "recorded" / name).read_text())


def assert_covers(local: Any, real: Any, path: str = "$") -> None:
    """Every key of the recording is present locally, recursively (lists: item-wise)."""
    if isinstance(real, dict):
        assert isinstance(local, dict), f"{path}: expected an object, got {local!r}"
        missing = set(real) - set(local)
        assert not missing, f"{path}: missing keys {sorted(missing)} (local has {sorted(local)})"
        for key, value in real.items():
            assert_covers(local[key], value, f"{path}.{key}")
    elif isinstance(real, list):
        assert isinstance(local, list), f"{path}: expected a list, got {local!r}"
        assert len(local) == len(real), f"{path}: {len(local)} items, recording has {len(real)}"
        for index, (mine, theirs) in enumerate(zip(local, real)):
            assert_covers(mine, theirs, f"{path}[{index}]")
    else:
        assert type(local) is type(real) or {type(local), type(real)} <= {int, float}, \
            f"{path}: {type(local).__name__} locally, {type(real).__name__} recorded"


def test_server_information_has_exactly_the_recorded_keys(raw, fixtures_dir) -> None:
    local = raw.ok([{"action": "query_server_information"}])[0]
    real = recorded(fixtures_dir, "query_server_information.json")
    assert set(local) == set(real)
    assert local["storage_scenario"] == real["storage_scenario"]
    assert local["schema_hash"] == real["schema_hash"]
    assert local["is_timezone_support_enabled"] is True


def test_combined_information_and_schemas_batch(raw, fixtures_dir) -> None:
    local = raw.ok([{"action": "query_server_information"}, {"action": "query_schemas"}])
    real = recorded(fixtures_dir, "query_server_information_query_schemas.json")
    assert local[0]["schema_hash"] == real[0]["schema_hash"]
    assert local[1] == real[1]


@pytest.mark.parametrize("expression, name", [
    ("select name from Task limit 1", "query_select_name_from_task_limit_1.json"),
    ("select name, created_at from Task limit 1",
     "query_select_name,_created_at_from_task_limit_1.json"),
    ("select status.state.short from Task where status.state.short is NOT_STARTED limit 1",
     "query_select_status.state.short_from_task_where_status.state.short_is_not_started"
     "_limit_1.json"),
    ("select status.state.short from Task where status.state.short is NOT_STARTED limit 2",
     "query_select_status.state.short_from_task_where_status.state.short_is_not_started"
     "_limit_2.json"),
])
def test_query_responses_have_the_recorded_shape(raw, fixtures_dir, expression, name) -> None:
    local = raw.ok([{"action": "query", "expression": expression}])[0]
    real = recorded(fixtures_dir, name)
    assert_covers(local, real)
    # The top-level entities carry exactly the recorded attributes (projections, primary
    # key and system projections), no more.
    for mine, theirs in zip(local["data"], real["data"]):
        assert set(mine) == set(theirs)
    # Both recordings had more rows after the page (three tasks here).
    assert local["metadata"]["next"]["offset"] == real["metadata"]["next"]["offset"]


def test_nested_collection_query_has_the_recorded_shape(raw, fixtures_dir) -> None:
    name = ("query_select_version,_asset.versions.version_from_assetversion_where_asset_id"
            "_is_not_none_limit_1.json")
    local = raw.ok([{"action": "query", "expression":
                     "select version, asset.versions.version from AssetVersion "
                     "where asset_id is_not none order by version limit 1"}])[0]
    real = recorded(fixtures_dir, name)
    assert_covers(local, real)
    assert set(local["data"][0]) == set(real["data"][0])
    assert sorted(v["version"] for v in local["data"][0]["asset"]["versions"]
                  if "version" in v) == [1, 2, 3]


def test_create_user_returns_the_recorded_attributes(raw, fixtures_dir) -> None:
    local = raw.create("User", username="recorded-user", first_name="first", last_name="last",
                       is_active=False)
    real = recorded(fixtures_dir, "create_user.json")
    assert_covers(local, real)
    for key in ("first_name", "last_name", "is_active", "is_otp_enabled", "is_totp_enabled",
                "require_details_update", "user_type_id", "resource_type"):
        assert local["data"][key] == real["data"][key], key


def test_update_user_returns_the_recorded_attributes(raw, fixtures_dir) -> None:
    user = raw.create("User", username="to-rename")["data"]
    local = raw.ok([{"action": "update", "entity_type": "User", "entity_key": [user["id"]],
                     "entity_data": {"__entity_type__": "User", "username": "renamed"}}])[0]
    real = recorded(fixtures_dir, "update_user.json")
    assert_covers(local, real)
    assert local["data"]["username"] == "renamed"
    assert local["data"]["resource_type"] == "user"


def test_get_upload_metadata_has_the_recorded_keys(raw, fixtures_dir) -> None:
    import uuid

    component_id = str(uuid.uuid4())
    local = raw.ok([{"action": "get_upload_metadata", "component_id": component_id,
                     "file_name": "data.json", "file_size": 13, "checksum": None}])[0]
    real = recorded(fixtures_dir, "get_upload_metadata.json")
    assert_covers(local, real)
    assert local["component_id"] == component_id
    assert local["headers"]["Content-Type"] == "application/json"
    assert local["headers"]["Content-Length"] == real["headers"]["Content-Length"] == "13"
