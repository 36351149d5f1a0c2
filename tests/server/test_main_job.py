"""The main job's data flow on both schema sets (default and the 116 real types)."""
from __future__ import annotations

import pytest

from .conftest import Api


@pytest.fixture(params=["default", "real"])
def any_api(request) -> Api:
    name = "server" if request.param == "default" else "real_server"
    return Api(request.getfixturevalue(name))


def test_pipeline_round_trip(any_api: Api) -> None:
    api = any_api
    project = api.project()
    seq = api.create("Sequence", name="sq010", parent=api.ref(project))
    shot = api.create("Shot", name="sh010", parent=api.ref(seq))
    types = {t["name"]: t["id"] for t in api.rows("select name from Type")}
    statuses = {s["name"]: s["id"] for s in api.rows("select name from Status")}
    priority = api.rows('select id from Priority where name is "High"')[0]
    task = api.create("Task", name="compositing", parent=api.ref(shot),
                      type={"__entity_type__": "Type", "id": types["Compositing"]},
                      status={"__entity_type__": "Status", "id": statuses["In Progress"]},
                      priority={"__entity_type__": "Priority", "id": priority["id"]})
    asset_type = api.rows('select id from AssetType where short is "img"')[0]
    asset = api.create("Asset", name="plate", parent=api.ref(shot),
                       type={"__entity_type__": "AssetType", "id": asset_type["id"]})
    for comment in ("first pass", "second pass"):
        api.create("AssetVersion", asset=api.ref(asset), comment=comment, task=api.ref(task))
    user = api.rows(f'select id from User where username is "{api.server.api_user}"')[0]
    api.create("Note", content="Looks good", parent_id=task["id"], parent_type="Task",
               author={"__entity_type__": "User", "id": user["id"]})
    api.update("Task", task["id"], status={"__entity_type__": "Status", "id": statuses["Approved"]})

    row = api.rows(
        f'select name, type.name, status.name, priority.name, parent.name, project.name, '
        f'notes.content, notes.author.username, link, assets.name, assets.versions.comment, '
        f'assets.versions.version from Task where id is "{task["id"]}"')[0]
    assert row["type"]["name"] == "Compositing"
    assert row["status"]["name"] == "Approved" and row["priority"]["name"] == "High"
    assert row["parent"]["name"] == "sh010" and row["project"]["name"] == project["name"]
    assert [n["content"] for n in row["notes"]] == ["Looks good"]
    assert row["notes"][0]["author"]["username"] == api.server.api_user
    assert [entry["name"] for entry in row["link"]] == [project["name"], "sq010", "sh010",
                                                        "compositing"]
    versions = api.rows(f'select version, comment, task.name, asset.name from AssetVersion '
                        f'where asset_id is "{asset["id"]}" order by version')
    assert [(v["version"], v["comment"]) for v in versions] == [(1, "first pass"),
                                                                (2, "second pass")]
    assert {v["task"]["name"] for v in versions} == {"compositing"}
    context = api.rows(f'select name from TypedContext where project_id is "{project["id"]}"')
    assert sorted((c["__entity_type__"], c["name"]) for c in context) == [
        ("Sequence", "sq010"), ("Shot", "sh010"), ("Task", "compositing")]


def test_every_real_type_is_queryable(real_api: Api) -> None:
    schemas = real_api.ok([{"action": "query_schemas"}])[0]
    operations = [{"action": "query", "expression": f"select {', '.join(s['primary_key'])} "
                                                    f"from {s['id']} limit 1"} for s in schemas]
    results = real_api.ok(operations)
    assert len(results) == 116
    assert all(r["action"] == "query" for r in results)


def test_every_default_type_is_queryable(api: Api) -> None:
    schemas = api.ok([{"action": "query_schemas"}])[0]
    projections = []
    for schema in schemas:
        scalars = [n for n, p in schema["properties"].items() if p.get("type") not in (
            None, "array", "mapped_array")]
        projections.append({"action": "query",
                            "expression": f"select {', '.join(scalars)} from {schema['id']} limit 2"})
    results = api.ok(projections)
    assert all(r["action"] == "query" for r in results)


def test_integer_primary_keys_are_generated(real_api: Api) -> None:
    first = real_api.create("Event", action="test", data="{}")
    second = real_api.create("Event", action="test", data="{}")
    assert isinstance(first["id"], int) and second["id"] == first["id"] + 1
    rows = real_api.rows(f"select action from Event where id is {second['id']}")
    assert [r["id"] for r in rows] == [second["id"]]
