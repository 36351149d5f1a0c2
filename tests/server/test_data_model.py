"""Custom attributes, metadata, notes, many-to-many relations, users and groups."""
from __future__ import annotations

import uuid
from typing import Any, Dict

import pytest

from .conftest import Api


def ca_type(api: Api, name: str) -> str:
    return api.rows(f'select id from CustomAttributeType where name is "{name}"')[0]["id"]


@pytest.fixture
def hierarchy(api: Api) -> Dict[str, Any]:
    key = f"fstart_{uuid.uuid4().hex[:6]}"
    hier = f"fps_{uuid.uuid4().hex[:6]}"
    project = api.project()
    shot_ot = "bad911de-3bd6-47b9-8b46-3476e237cb36"
    api.create("CustomAttributeConfiguration", key=key, label="Frame start", entity_type="task",
               object_type_id=shot_ot, type_id=ca_type(api, "number"), default=1001,
               config='{"isdecimal": false}')
    api.create("CustomAttributeConfiguration", key=hier, label="FPS", entity_type="show",
               is_hierarchical=True, type_id=ca_type(api, "number"), default=24.0)
    seq = api.create("Sequence", name="sq", parent=api.ref(project))
    sh1 = api.create("Shot", name="sh1", parent=api.ref(seq))
    sh2 = api.create("Shot", name="sh2", parent=api.ref(seq))
    task = api.create("Task", name="t", parent=api.ref(sh1))
    return {"key": key, "hier": hier, "project": project, "seq": seq, "sh1": sh1, "sh2": sh2,
            "task": task}


def values(api: Api, entity_type: str, entity_id: str) -> Dict[str, Any]:
    row = api.rows(f'select custom_attributes from {entity_type} where id is "{entity_id}"')[0]
    return {item["key"]: item for item in row["custom_attributes"]}


def test_dense_custom_attribute_list_with_defaults(api: Api, hierarchy) -> None:
    items = values(api, "Shot", hierarchy["sh1"]["id"])
    item = items[hierarchy["key"]]
    assert item["value"] == 1001 and item["entity_id"] == hierarchy["sh1"]["id"]
    assert item["__entity_type__"] == "ContextCustomAttributeValue" and item["configuration_id"]
    assert items[hierarchy["hier"]]["value"] == 24.0
    assert hierarchy["key"] not in values(api, "Task", hierarchy["task"]["id"])


def test_update_is_upsert_and_any_query(api: Api, hierarchy) -> None:
    item = values(api, "Shot", hierarchy["sh1"]["id"])[hierarchy["key"]]
    key = [item["configuration_id"], item["entity_id"]]
    result = api.update("ContextCustomAttributeValue", key, value=1010)
    assert result[0]["action"] == "update" and result[0]["data"]["value"] == 1010
    api.update("ContextCustomAttributeValue", key, value=1020)
    assert values(api, "Shot", hierarchy["sh1"]["id"])[hierarchy["key"]]["value"] == 1020
    rows = api.rows(f'select name from Shot where custom_attributes any '
                    f'(key is "{hierarchy["key"]}" and value is "1020")')
    assert [r["name"] for r in rows] == ["sh1"]
    for literal in ("1020", "1020.0", "1020"):
        rows = api.rows(f'select name from Shot where custom_attributes any '
                        f'(key is "{hierarchy["key"]}" and value is {literal})')
        assert [r["name"] for r in rows] == ["sh1"]
    api.update("ContextCustomAttributeValue", key, value=1020.0)
    rows = api.rows(f'select name from Shot where custom_attributes any '
                    f'(key is "{hierarchy["key"]}" and value is "1020")')
    assert [r["name"] for r in rows] == ["sh1"]
    api.update("ContextCustomAttributeValue", key, value=1020)
    rows = api.rows(f'select entity_id, value from CustomAttributeValue where '
                    f'configuration.key is "{hierarchy["key"]}"')
    assert [(r["entity_id"], r["value"]) for r in rows] == [(hierarchy["sh1"]["id"], 1020)]


def test_custom_attribute_type_is_validated(api: Api, hierarchy) -> None:
    item = values(api, "Shot", hierarchy["sh2"]["id"])[hierarchy["key"]]
    body = api.update("ContextCustomAttributeValue", [item["configuration_id"], item["entity_id"]],
                      value="test")
    assert body["exception"] == "ValidationError"
    assert f'Custom attribute value for "{hierarchy["key"]}" must be of type number' in body["content"]


def test_hierarchical_values_are_inherited(api: Api, hierarchy) -> None:
    config_id = values(api, "Project", hierarchy["project"]["id"])[hierarchy["hier"]]["configuration_id"]
    api.update("ContextCustomAttributeValue", [config_id, hierarchy["project"]["id"]], value=25.0)
    assert values(api, "Task", hierarchy["task"]["id"])[hierarchy["hier"]]["value"] == 25.0
    api.update("ContextCustomAttributeValue", [config_id, hierarchy["seq"]["id"]], value=30.0)
    assert values(api, "Task", hierarchy["task"]["id"])[hierarchy["hier"]]["value"] == 30.0
    assert values(api, "Project", hierarchy["project"]["id"])[hierarchy["hier"]]["value"] == 25.0


def test_metadata_round_trip(api: Api, hierarchy) -> None:
    shot = hierarchy["sh1"]
    api.ok([
        {"action": "create", "entity_type": "Metadata", "entity_key": [shot["id"], "colour"],
         "entity_data": {"__entity_type__": "Metadata", "parent_id": shot["id"],
                         "parent_type": "Shot", "key": "colour", "value": "red"}},
        {"action": "update", "entity_type": "Shot", "entity_key": [shot["id"]],
         "entity_data": {"__entity_type__": "Shot", "metadata": [
             {"__entity_type__": "Metadata", "parent_id": shot["id"], "key": "colour"}]}},
    ])
    row = api.rows(f'select metadata from Shot where id is "{shot["id"]}"')[0]
    assert [(m["key"], m["value"], m["__entity_type__"]) for m in row["metadata"]] == [
        ("colour", "red", "Metadata")]
    rows = api.rows('select name from Shot where metadata any (key is "colour" and value is "red")')
    assert [r["name"] for r in rows] == ["sh1"]
    api.delete("Metadata", [shot["id"], "colour"])
    assert api.rows(f'select metadata from Shot where id is "{shot["id"]}"')[0]["metadata"] == []


def test_notes_with_recipients_replies_and_category(api: Api, hierarchy) -> None:
    task = hierarchy["task"]
    user = api.rows(f'select id from User where username is "{api.server.api_user}"')[0]
    category = api.rows('select id from NoteCategory where name is "Internal"')[0]
    note = api.create("Note", content="Please fix", parent_id=task["id"], parent_type="Task",
                      category=api.ref(category))
    api.create("Recipient", note_id=note["id"], resource_id=user["id"])
    reply = api.create("Note", content="Done", in_reply_to=api.ref(note), parent_id=task["id"],
                       parent_type="Task")
    assert note["user_id"] == user["id"] and note["date"]["__type__"] == "datetime"
    row = api.rows(f'select content, author.username, category.name, recipients.resource_id, '
                   f'replies.content from Note where id is "{note["id"]}"')[0]
    assert row["author"]["username"] == api.server.api_user
    assert row["category"]["name"] == "Internal"
    assert [r["resource_id"] for r in row["recipients"]] == [user["id"]]
    assert [r["content"] for r in row["replies"]] == ["Done"]
    task_row = api.rows(f'select notes.content from Task where id is "{task["id"]}"')[0]
    assert sorted(n["content"] for n in task_row["notes"]) == ["Done", "Please fix"]
    assert reply["in_reply_to_id"] == note["id"]


def test_appointments_and_assignments(api: Api, hierarchy) -> None:
    task = hierarchy["task"]
    user = api.rows(f'select id from User where username is "{api.server.api_user}"')[0]
    api.create("Appointment", context=api.ref(task),
               resource={"__entity_type__": "User", "id": user["id"]}, type="assignment")
    row = api.rows(f'select assignments.resource_id, appointments.type, allocations '
                   f'from Task where id is "{task["id"]}"')[0]
    assert [a["resource_id"] for a in row["assignments"]] == [user["id"]]
    assert row["allocations"] == [] and [a["type"] for a in row["appointments"]] == ["assignment"]
    assigned = api.rows(f'select name from Task where assignments any (resource_id is "{user["id"]}")')
    assert task["id"] in [r["id"] for r in assigned]


def test_groups_and_memberships(api: Api) -> None:
    user = api.create("User", username=f"u_{uuid.uuid4().hex[:6]}")
    group = api.create("Group", name="lighting")
    api.create("Membership", user=api.ref(user), group=api.ref(group))
    row = api.rows(f'select memberships.group.name from User where id is "{user["id"]}"')[0]
    assert [m["group"]["name"] for m in row["memberships"]] == ["lighting"]
    assert user["resource_type"] == "user" and group["resource_type"] == "group"
    resources = api.rows(f'select id from Resource where id in ("{user["id"]}", "{group["id"]}")')
    assert sorted(r["__entity_type__"] for r in resources) == ["Group", "User"]


def test_lists_are_many_to_many(api: Api, hierarchy) -> None:
    task = hierarchy["task"]
    lst = api.create("TypedContextList", name="review", project=api.ref(hierarchy["project"]))
    assert lst["system_type"] == "task" and lst["category_id"]
    api.update("TypedContextList", lst["id"], items=[api.ref(task), api.ref(hierarchy["sh2"])])
    row = api.rows(f'select items.name from TypedContextList where id is "{lst["id"]}"')[0]
    assert sorted(i["name"] for i in row["items"]) == ["sh2", "t"]
    lists = api.rows(f'select lists.name from Task where id is "{task["id"]}"')[0]["lists"]
    assert [entry["name"] for entry in lists] == ["review"]
    api.update("TypedContextList", lst["id"], items=[api.ref(task)])
    row = api.rows(f'select items.name from TypedContextList where id is "{lst["id"]}"')[0]
    assert [i["name"] for i in row["items"]] == ["t"]
    assert [r["name"] for r in api.rows("select name from List where name is review")] == ["review"]


def test_project_schema_workflows(api: Api) -> None:
    schema = api.rows('select _task_workflow.statuses.name, _version_workflow.statuses.name, '
                      '_task_type_schema.types.name, _schemas.type_id from ProjectSchema '
                      'where name is "VFX Scheme"')[0]
    task_statuses = [s["name"] for s in schema["_task_workflow"]["statuses"]]
    assert task_statuses[:3] == ["Not started", "Ready to start", "In Progress"]
    assert "Pending Review" in [s["name"] for s in schema["_version_workflow"]["statuses"]]
    assert "Animation" in [t["name"] for t in schema["_task_type_schema"]["types"]]
    shot_schema = [s for s in schema["_schemas"]
                   if s["type_id"] == "bad911de-3bd6-47b9-8b46-3476e237cb36"]
    statuses = api.rows(f'select task_status.name from SchemaStatus where schema_id is '
                        f'"{shot_schema[0]["id"]}"')
    assert "In Progress" in [s["task_status"]["name"] for s in statuses]


def test_timelogs_and_time_logged(api: Api, hierarchy) -> None:
    task = hierarchy["task"]
    api.create("Timelog", context=api.ref(task), duration=3600.0,
               start={"__type__": "datetime", "value": "2024-05-01T10:00:00"})
    row = api.rows(f'select timelogs.duration, time_logged from Task where id is "{task["id"]}"')[0]
    assert [t["duration"] for t in row["timelogs"]] == [3600.0] and row["time_logged"] == 3600.0
    rows = api.rows('select name from Task where timelogs.start >= "2024-05-01"')
    assert task["id"] in [r["id"] for r in rows]


def test_seeded_locations_and_objects(api: Api) -> None:
    locations = {r["name"]: r["id"] for r in api.rows("select name from Location")}
    assert locations["ftrack.server"] == "3a372bde-05bc-11e4-8908-20c9d081909b"
    assert locations["ftrack.origin"] == "ce9b348f-8809-11e3-821c-20c9d081909b"
    assert locations["ftrack.unmanaged"] == "cb268ecc-8809-11e3-a7e2-20c9d081909b"
    assert locations["ftrack.review"] == "cd41be70-8809-11e3-b98a-20c9d081909b"
    assert locations["ftrack.connect"] == "07b82a97-8cf9-11e3-9383-20c9d081909b"
    types = {r["name"]: r["id"] for r in api.rows("select name from ObjectType")}
    assert types["Shot"] == "bad911de-3bd6-47b9-8b46-3476e237cb36"
    assert api.rows('select name from Priority where id is "9661b320-3a0c-11e2-81c1-0800200c9a66"')
    shorts = {r["short"] for r in api.rows("select short from AssetType")}
    assert {"geo", "img", "upload"} <= shorts


def test_asset_version_custom_attributes(api: Api, hierarchy) -> None:
    key = f"av_{uuid.uuid4().hex[:6]}"
    api.create("CustomAttributeConfiguration", key=key, label="Approved by", entity_type="assetversion",
               type_id=ca_type(api, "text"), default="", config="{}")
    asset = api.create("Asset", name="a", parent=api.ref(hierarchy["sh1"]))
    version = api.create("AssetVersion", asset=api.ref(asset))
    items = values(api, "AssetVersion", version["id"])
    assert items[key]["value"] == "" and items[key]["__entity_type__"] == "AssetVersionCustomAttributeValue"
    api.update("AssetVersionCustomAttributeValue", [items[key]["configuration_id"], version["id"]],
               value="jo")
    assert values(api, "AssetVersion", version["id"])[key]["value"] == "jo"
    assert hierarchy["key"] not in values(api, "AssetVersion", version["id"])


def test_one_running_timer_per_user(api: Api, hierarchy) -> None:
    user = api.create("User", username=f"timer_{uuid.uuid4().hex[:6]}")
    timer = api.create("Timer", user=api.ref(user), context=api.ref(hierarchy["task"]))
    assert timer["start"]["__type__"] == "datetime" and timer["comment"] == ""
    body = api.call([{"action": "create", "entity_type": "Timer",
                      "entity_data": {"user": api.ref(user)}}])
    assert body["exception"] == "DuplicateEntryError" and "DuplicateEntryError" in body["content"]
    api.delete("Timer", timer["id"])
    assert api.create("Timer", user=api.ref(user))["user_id"] == user["id"]


def test_documented_seed_ids(api: Api) -> None:
    from ftrack_api.testing._seed import seed_id

    assert seed_id("ProjectSchema", "VFX Scheme") == "d16c9bc5-0d1b-5585-b30a-b2d503c94150"
    statuses = {r["name"]: r["id"] for r in api.rows("select name from Status")}
    assert statuses["Not started"] == "c5d17fca-a4bb-59a8-b8a2-cdb8d14dd346"
    assert statuses["In Progress"] == "77b3f20f-54c1-58d1-9e03-8177cbcd3857"
    states = {r["name"]: r["short"] for r in api.rows("select name, short from State")}
    assert states == {"Not started": "NOT_STARTED", "In progress": "IN_PROGRESS",
                      "Done": "DONE", "Blocked": "BLOCKED"}
    user = api.rows(f'select id from User where username is "{api.server.api_user}"')[0]
    assert user["id"] == seed_id("User", api.server.api_user)


def test_hierarchical_values_within_one_batch_and_many_rows(api: Api, hierarchy) -> None:
    config_id = values(api, "Project", hierarchy["project"]["id"])[hierarchy["hier"]]["configuration_id"]
    for i in range(3):
        api.create("Task", name=f"extra{i}", parent=api.ref(hierarchy["sh2"]))
    query = (f'select custom_attributes from Task where project_id is '
             f'"{hierarchy["project"]["id"]}"')
    results = api.ok([
        {"action": "update", "entity_type": "ContextCustomAttributeValue",
         "entity_key": [config_id, hierarchy["project"]["id"]],
         "entity_data": {"__entity_type__": "ContextCustomAttributeValue", "value": 12.0}},
        {"action": "query", "expression": query},
        {"action": "update", "entity_type": "ContextCustomAttributeValue",
         "entity_key": [config_id, hierarchy["sh2"]["id"]],
         "entity_data": {"__entity_type__": "ContextCustomAttributeValue", "value": 48.0}},
        {"action": "query", "expression": query},
    ])

    def fps(result):
        return sorted(item["value"] for row in result["data"] for item in row["custom_attributes"]
                      if item["key"] == hierarchy["hier"])

    assert fps(results[1]) == [12.0] * 4
    assert fps(results[3]) == [12.0, 48.0, 48.0, 48.0]
