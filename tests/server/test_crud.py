"""Create, update, delete: server-filled values, validation, rollback, cascades."""
from __future__ import annotations

import uuid
from typing import Any, Dict

import pytest

from .conftest import Api


@pytest.fixture
def shot(api: Api) -> Dict[str, Any]:
    project = api.project()
    return api.create("Shot", name="sh010", parent=api.ref(project))


def task_type(api: Api, name: str = "Animation") -> Dict[str, Any]:
    return api.rows(f'select name from Type where name is "{name}"')[0]


def test_task_with_name_parent_type_gets_first_task_status(api: Api, shot) -> None:
    task = api.create("Task", name="anim", parent=api.ref(shot), type=api.ref(task_type(api)))
    first = api.rows("select name, sort from Status order by sort limit 1")[0]
    assert task["status_id"] == first["id"]
    assert api.rows(f'select status.name from Task where id is "{task["id"]}"')[0]["status"][
        "name"] == "Not started"
    assert task["bid"] == 0 and task["sort"] == 0 and task["context_type"] == "task"
    assert task["project_id"] == shot["project_id"]
    assert task["object_type_id"] == "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c"
    assert task["priority_id"] == "9661b320-3a0c-11e2-81c1-0800200c9a66"


def test_python_client_style_create_payload(api: Api, shot) -> None:
    task_id = str(uuid.uuid4())
    result = api.ok([{"action": "create", "entity_type": "Task", "entity_key": [task_id],
                      "entity_data": {"__entity_type__": "Task", "id": task_id, "name": "T1",
                                      "object_type_id": "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c",
                                      "parent": {"__entity_type__": "Shot", "id": shot["id"]},
                                      "priority_id": "9661b320-3a0c-11e2-81c1-0800200c9a66",
                                      "start_date": {"__type__": "datetime",
                                                     "value": "2024-01-02T03:04:05+02:00"}}}])
    data = result[0]["data"]
    assert result[0]["action"] == "create"
    assert data["__entity_type__"] == "Task" and data["id"] == task_id
    assert data["start_date"] == {"__type__": "datetime", "value": "2024-01-02T01:04:05"}
    assert data["type_id"] is not None and data["status_id"] is not None


def test_uid_and_literal_defaults(api: Api) -> None:
    job = api.create("Job")
    assert uuid.UUID(job["id"]) and job["status"] == "queued" and job["type"] == "api_job"
    component = api.create("FileComponent")
    assert component["name"] == "main" and component["size"] == 0
    assert component["system_type"] == "file"


def test_update_id_names_immutable_attribute(api: Api, shot) -> None:
    body = api.update("Shot", shot["id"], id="other")
    assert body["exception"] == "ValidationError"
    assert "immutable" in body["content"] and "Shot.id" in body["content"]


def test_update_result_and_change(api: Api, shot) -> None:
    result = api.update("Shot", shot["id"], name="renamed", description="d")
    assert result[0]["action"] == "update"
    assert result[0]["data"]["name"] == "renamed" and result[0]["data"]["id"] == shot["id"]
    assert api.rows(f'select name from Shot where id is "{shot["id"]}"')[0]["name"] == "renamed"


def test_batch_with_failing_operation_leaves_nothing(api: Api, shot) -> None:
    name = f"rollback-{uuid.uuid4().hex}"
    body = api.call([
        {"action": "create", "entity_type": "Task",
         "entity_data": {"name": name, "parent": api.ref(shot)}},
        {"action": "create", "entity_type": "Task",
         "entity_data": {"name": name, "parent": api.ref(shot), "no_such_attribute": 1}},
    ])
    assert body["exception"] == "ValidationError"
    assert "no_such_attribute" in body["content"]
    assert api.rows(f'select id from Task where name is "{name}"') == []


def test_failing_update_rolls_back_previous_operations(api: Api, shot) -> None:
    body = api.call([
        {"action": "update", "entity_type": "Shot", "entity_key": [shot["id"]],
         "entity_data": {"name": "should-not-stick"}},
        {"action": "delete", "entity_type": "Shot", "entity_key": ["missing"]},
    ])
    assert body["exception"] == "NotFoundError"
    assert api.rows(f'select name from Shot where id is "{shot["id"]}"')[0]["name"] == "sh010"


@pytest.mark.parametrize("attribute, value, expected", [
    ("name", 5, "expected string"),
    ("bid", "ten", "expected number"),
    ("bid", True, "expected number"),
    ("start_date", 12, "expected datetime"),
    ("start_date", {"__type__": "datetime", "value": "yesterday"}, "Invalid ISO 8601"),
    ("parent", "not-a-reference", "expected an entity reference"),
])
def test_wrong_value_types_are_refused(api: Api, shot, attribute: str, value: Any, expected: str) -> None:
    body = api.call([{"action": "create", "entity_type": "Task",
                      "entity_data": {"name": "x", "parent": api.ref(shot), attribute: value}}])
    assert body["exception"] == "ValidationError" and expected in body["content"], body


def test_integer_and_boolean_validation(api: Api) -> None:
    body = api.call([{"action": "create", "entity_type": "FileComponent",
                      "entity_data": {"size": 1.5}}])
    assert "expected integer" in body["content"]
    body = api.call([{"action": "create", "entity_type": "Status",
                      "entity_data": {"name": "x", "is_active": "yes"}}])
    assert "expected boolean" in body["content"]


def test_missing_required_values(api: Api) -> None:
    body = api.call([{"action": "create", "entity_type": "Timelog", "entity_data": {}}])
    assert body["exception"] == "ValidationError"
    assert "duration" in body["content"] and "start" in body["content"]
    body = api.call([{"action": "create", "entity_type": "Project", "entity_data": {"name": "x"}}])
    assert "project_schema_id" in body["content"]


def test_duplicate_primary_key(api: Api) -> None:
    job = api.create("Job")
    body = api.call([{"action": "create", "entity_type": "Job", "entity_data": {"id": job["id"]}}])
    assert body["exception"] == "DuplicateEntryError"


def test_delete_cascades_through_hierarchy(api: Api) -> None:
    project = api.project()
    shot = api.create("Shot", name="sh", parent=api.ref(project))
    task = api.create("Task", name="t", parent=api.ref(shot))
    asset = api.create("Asset", name="a", parent=api.ref(shot))
    version = api.create("AssetVersion", asset=api.ref(asset))
    note = api.create("Note", content="hi", parent_id=task["id"], parent_type="Task")
    assert api.delete("Shot", shot["id"])[0] == {"action": "delete", "data": True}
    for entity_type, entity in (("Task", task), ("Asset", asset), ("AssetVersion", version),
                                ("Note", note), ("Shot", shot)):
        assert api.rows(f'select id from {entity_type} where id is "{entity["id"]}"') == []
    assert api.rows(f'select id from Project where id is "{project["id"]}"') != []


def test_delete_refused_while_in_use(api: Api, shot) -> None:
    status = api.create("Status", name=f"tmp-{uuid.uuid4().hex[:6]}")
    task = api.create("Task", name="t", parent=api.ref(shot), status=api.ref(status))
    body = api.delete("Status", status["id"])
    assert body["exception"] == "IntegrityError" and "still used by TypedContext" in body["content"]
    api.delete("Task", task["id"])
    assert api.delete("Status", status["id"])[0]["data"] is True


def test_delete_missing_entity(api: Api) -> None:
    body = api.delete("Task", "does-not-exist")
    assert body["exception"] == "NotFoundError" and "does-not-exist" in body["content"]


def test_reparent_updates_project_id(api: Api) -> None:
    first, second = api.project(), api.project()
    shot = api.create("Shot", name="moving", parent=api.ref(first))
    task = api.create("Task", name="child", parent=api.ref(shot))
    api.update("Shot", shot["id"], parent=api.ref(second))
    row = api.rows(f'select project_id from Task where id is "{task["id"]}"')[0]
    assert row["project_id"] == second["id"]
    body = api.update("Shot", shot["id"], parent={"__entity_type__": "Task", "id": task["id"]})
    assert body["exception"] == "ValidationError" and "below itself" in body["content"]


def test_create_via_base_type_uses_concrete_type(api: Api, shot) -> None:
    created = api.create("TypedContext", name="via-base", parent=api.ref(shot),
                         object_type_id="bad911de-3bd6-47b9-8b46-3476e237cb36")
    assert created["__entity_type__"] == "Shot"
    assert api.rows(f'select name from Shot where id is "{created["id"]}"')[0]["name"] == "via-base"


def test_asset_version_defaults(api: Api, shot) -> None:
    asset = api.create("Asset", name="geo", parent=api.ref(shot))
    v1 = api.create("AssetVersion", asset=api.ref(asset), comment="first")
    v2 = api.create("AssetVersion", asset=api.ref(asset), comment="second")
    assert (v1["version"], v2["version"]) == (1, 2)
    assert v1["is_published"] is True
    workflow = api.rows('select _version_workflow.statuses.name from ProjectSchema '
                        'where name is "VFX Scheme"')[0]["_version_workflow"]["statuses"]
    assert v1["status_id"] == workflow[0]["id"] and workflow[0]["name"] == "Pending Review"
    rows = api.rows(f'select latest_version.comment, versions.is_latest_version from Asset '
                    f'where id is "{asset["id"]}"')
    assert rows[0]["latest_version"]["comment"] == "second"
    assert [v["is_latest_version"] for v in rows[0]["versions"]] == [False, True]


def test_user_create_fills_flags(api: Api) -> None:
    user = api.create("User", username=f"user-{uuid.uuid4().hex[:6]}", first_name="first",
                      last_name="last", is_active=False)
    assert user["is_active"] is False and user["resource_type"] == "user"
    assert user["is_otp_enabled"] is False and user["require_details_update"] is False
    seeded = api.rows(f'select user_type_id from User where username is "{api.server.api_user}"')
    assert seeded[0]["user_type_id"] == "ac9fa5aa-4361-11e0-b7cc-0019bb4983d8"


def test_object_type_change_is_refused_by_concrete_type(api: Api, shot) -> None:
    folder_type = "3c133785-51cb-11e3-980a-20c9d0831e59"
    item = api.create("Shot", name="stays-shot", parent=api.ref(shot))
    body = api.update("TypedContext", item["id"], object_type_id=folder_type)
    assert "immutable" in body["content"] and "Shot.object_type_id" in body["content"]
    rows = api.rows(f'select object_type_id from TypedContext where id is "{item["id"]}"')
    assert rows[0]["__entity_type__"] == "Shot"



def test_reference_to_entity_created_later_is_accepted(api: Api) -> None:
    container_id = str(uuid.uuid4())
    member = api.create("FileComponent", name="1001",
                        container={"__entity_type__": "SequenceComponent", "id": container_id})
    api.create("SequenceComponent", id=container_id, name="seq", padding=4)
    rows = api.rows(f'select members.name from SequenceComponent where id is "{container_id}"')
    assert [m["id"] for m in rows[0]["members"]] == [member["id"]]


def test_status_changes_are_recorded(api: Api, shot) -> None:
    task = api.create("Task", name="tracked", parent=api.ref(shot))
    statuses = {s["name"]: s["id"] for s in api.rows("select name from Status")}
    api.update("Task", task["id"], status={"__entity_type__": "Status", "id": statuses["On Hold"]})
    api.update("Task", task["id"], status={"__entity_type__": "Status", "id": statuses["Approved"]})
    row = api.rows(f'select status_changes.from_status.name, status_changes.status.name '
                   f'from Task where id is "{task["id"]}"')[0]
    history = [(c["from_status"]["name"], c["status"]["name"]) for c in row["status_changes"]]
    assert history == [("Not started", "On Hold"), ("On Hold", "Approved")]
    assert {c["__entity_type__"] for c in row["status_changes"]} == {"TypedContextStatusChange"}
    api.delete("Task", task["id"])
    assert api.rows(f'select id from StatusChange where parent_id is "{task["id"]}"') == []


def test_create_takes_the_key_from_entity_key(api: Api) -> None:
    job_id = str(uuid.uuid4())
    result = api.ok([{"action": "create", "entity_type": "Job", "entity_key": [job_id],
                      "entity_data": {"__entity_type__": "Job"}}])
    assert result[0]["data"]["id"] == job_id


def test_delete_removes_link_rows(api: Api, shot) -> None:
    workflow = api.create("WorkflowSchema", name=f"wf-{uuid.uuid4().hex[:6]}")
    status = api.create("Status", name=f"linked-{uuid.uuid4().hex[:6]}")
    api.update("WorkflowSchema", workflow["id"], statuses=[api.ref(status)])
    assert len(api.rows(f'select status_id from WorkflowSchemaStatus where workflow_schema_id '
                        f'is "{workflow["id"]}"')) == 1
    api.delete("Status", status["id"])
    assert api.rows(f'select status_id from WorkflowSchemaStatus where workflow_schema_id '
                    f'is "{workflow["id"]}"') == []
    a = api.create("Task", name="a", parent=api.ref(shot))
    b = api.create("Task", name="b", parent=api.ref(shot))
    link = api.create("TypedContextLink", **{"from": api.ref(a), "to": api.ref(b)})
    row = api.rows(f'select outgoing_links.to_id from Task where id is "{a["id"]}"')[0]
    assert [entry["to_id"] for entry in row["outgoing_links"]] == [b["id"]]
    api.delete("Task", b["id"])
    assert api.rows(f'select id from TypedContextLink where id is "{link["id"]}"') == []
