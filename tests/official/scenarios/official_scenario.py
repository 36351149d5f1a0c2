"""Scenario run by the OFFICIAL ftrack client (ftrack-python-api 3.1.0) against a server.

This script is executed by the Python interpreter of the official client's own virtual
environment, never by this project's interpreter. It is configured only through the
environment (``FTRACK_SERVER``, ``FTRACK_API_USER``, ``FTRACK_API_KEY`` and
``FTRACK_API_SCHEMA_CACHE_PATH``), runs every step of the scenario, and prints one JSON
object on stdout::

    {"client_version": "3.1.0", "steps": {"<step>": {"ok": true, "values": {...}}, ...}}

A failing step is reported as ``{"ok": false, "error": "<Type>: <message>", "traceback":
"..."}`` and the remaining steps still run, so the test can name every failing step.
Steps only depend on the shared project that :func:`fixture_data` creates.
"""
from __future__ import annotations

import json
import os
import sys
import traceback
import uuid

import requests

import ftrack_api
import ftrack_api.exception

TASK_OBJECT_TYPE_ID = "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c"
SCHEMA_CACHE_NAME = "ftrack_api_schema_cache.json"

# -- request recorder ------------------------------------------------------------------
# Every JSON batch the client posts is recorded (requests is patched, not the client), so
# steps can assert what went over the wire, e.g. that a cached schema is not refetched.
SENT = []
_original_post = requests.Session.post


def _recording_post(self, url, *args, **kwargs):
    data = kwargs.get("data")
    if isinstance(data, (str, bytes)) and url.endswith("/api"):
        try:
            SENT.append(json.loads(data))
        except ValueError:
            SENT.append(["<undecodable>"])
    return _original_post(self, url, *args, **kwargs)


requests.Session.post = _recording_post


def sent_since(mark):
    """Operations (flattened) posted since ``mark = len(SENT)``."""
    return [op for batch in SENT[mark:] for op in batch]


def actions_since(mark):
    return [op.get("action") for op in sent_since(mark)]


def expressions_since(mark):
    return [op.get("expression") for op in sent_since(mark) if op.get("action") == "query"]


def new_session():
    return ftrack_api.Session(auto_connect_event_hub=False)


def error_name(error):
    return type(error).__name__


# -- shared data -----------------------------------------------------------------------
SHARED = {}


def fixture_data():
    """Create the project and shot that the steps work under (once)."""
    if SHARED:
        return SHARED
    session = new_session()
    project_schema = session.query('ProjectSchema where name is "VFX Scheme"').one()
    project = session.create("Project", {
        "name": "official_" + uuid.uuid4().hex[:8], "full_name": "Official scenario",
        "project_schema": project_schema,
    })
    sequence = session.create("Sequence", {"name": "sq_shared", "parent": project})
    shot = session.create("Shot", {"name": "sh_shared", "parent": sequence})
    session.commit()
    SHARED.update(project_id=project["id"], project_name=project["name"],
                  sequence_id=sequence["id"], shot_id=shot["id"],
                  project_schema_id=project_schema["id"])
    session.close()
    return SHARED


def new_shot(session, name):
    """A fresh Shot under the shared sequence (committed), so steps do not interfere."""
    data = fixture_data()
    sequence = session.get("Sequence", data["sequence_id"])
    shot = session.create("Shot", {"name": name, "parent": sequence})
    session.commit()
    return shot


def task_type(session, name="Compositing"):
    return session.query('Type where name is "{0}"'.format(name)).one()


# -- steps ---------------------------------------------------------------------------------
STEPS = []


def step(function):
    STEPS.append(function)
    return function


@step
def session_construction():
    cache_dir = os.environ["FTRACK_API_SCHEMA_CACHE_PATH"]
    cache_file = os.path.join(cache_dir, SCHEMA_CACHE_NAME)
    cache_existed = os.path.exists(cache_file)
    mark = len(SENT)
    first = new_session()
    first_actions = actions_since(mark)
    info = first.server_information
    types = sorted(first.types)
    first.close()
    with open(cache_file) as handle:
        cached = json.load(handle)
    import hashlib
    cache_hash = hashlib.md5(json.dumps(cached, sort_keys=True).encode("utf8")).hexdigest()
    # A cache that is not rewritten keeps its (old) modification time.
    os.utime(cache_file, (1000000000, 1000000000))
    mark = len(SENT)
    second = new_session()
    second_actions = actions_since(mark)
    second_types = sorted(second.types)
    second.close()
    return {
        "cache_existed_before": cache_existed,
        "first_actions": first_actions,
        "second_actions": second_actions,
        "server_version": info.get("version"),
        "schema_hash": info.get("schema_hash"),
        "cache_hash": cache_hash,
        "cache_mtime_after_second": os.path.getmtime(cache_file),
        "type_count": len(types),
        "cached_type_count": len(cached),
        "types_equal": types == second_types,
        "has_core_types": all(name in types for name in (
            "Project", "Sequence", "Shot", "Task", "Asset", "AssetVersion", "Note",
            "TypedContext", "Context", "CustomAttributeConfiguration", "Metadata")),
        "task_class_name": type(second.types["Task"]).__name__,
    }


@step
def query_paging():
    session = new_session()
    shot = new_shot(session, "sh_paging")
    task_kind = task_type(session)
    for index in range(12):
        session.create("Task", {"name": "page_{0:02d}".format(index), "parent": shot,
                                "type": task_kind})
    session.commit()
    base = 'Task where parent.id is "{0}" order by name'.format(shot["id"])

    mark = len(SENT)
    paged = session.query(base, page_size=5).all()
    paged_expressions = expressions_since(mark)

    first = session.query(base).first()
    missing = session.query('Task where parent.id is "{0}" and name is "nope"'.format(
        shot["id"])).first()

    errors = {}
    for label, expression in (
            ("many", base),
            ("none", 'Task where parent.id is "{0}" and name is "nope"'.format(shot["id"])),
            ("with_limit", base + " limit 3")):
        try:
            session.query(expression).one()
            errors[label] = None
        except Exception as error:  # noqa: BLE001 - the class name is the result
            errors[label] = error_name(error)
    single = session.query('Task where parent.id is "{0}" and name is "page_07"'.format(
        shot["id"])).one()

    mark = len(SENT)
    window = session.query(base + " offset 3 limit 4").all()
    window_expressions = expressions_since(mark)
    mark = len(SENT)
    window_paged = session.query(base + " offset 2 limit 7", page_size=5).all()
    window_paged_expressions = expressions_since(mark)
    descending = session.query(
        'select name from Task where parent.id is "{0}" order by name descending '
        'offset 2 limit 3'.format(shot["id"])).all()
    limit_zero = session.query(base + " limit 0").all()
    result = {
        "paged_names": [task["name"] for task in paged],
        "paged_expressions": paged_expressions,
        "first": first["name"],
        "first_missing": missing,
        "one_errors": errors,
        "one_single": single["name"],
        "window_names": [task["name"] for task in window],
        "window_expressions": window_expressions,
        "window_paged_names": [task["name"] for task in window_paged],
        "window_paged_expressions": window_paged_expressions,
        "descending_names": [task["name"] for task in descending],
        "limit_zero": len(limit_zero),
        "entity_types": sorted({task.entity_type for task in paged}),
    }
    session.close()
    return result


@step
def create_hierarchy():
    session = new_session()
    project_schema = session.query('ProjectSchema where name is "VFX Scheme"').one()
    user = session.query('User where username is "{0}"'.format(session.api_user)).one()
    project = session.create("Project", {
        "name": "hier_" + uuid.uuid4().hex[:8], "full_name": "Hierarchy project",
        "project_schema": project_schema,
    })
    sequence = session.create("Sequence", {"name": "sq010", "parent": project})
    shot = session.create("Shot", {"name": "sh010", "parent": sequence,
                                   "description": "Opening shot"})
    task = session.create("Task", {"name": "compositing", "parent": shot,
                                   "type": task_type(session)})
    asset_type = session.query('AssetType where short is "comp"').one()
    asset = session.create("Asset", {"name": "sh010_comp", "parent": shot, "type": asset_type})
    version = session.create("AssetVersion", {"asset": asset, "task": task,
                                              "comment": "First comp pass"})
    session.commit()
    note = task.create_note("Please check the edges.", author=user)
    session.commit()
    ids = {"project": project["id"], "sequence": sequence["id"], "shot": shot["id"],
           "task": task["id"], "asset": asset["id"], "version": version["id"],
           "note": note["id"]}
    session.close()

    fresh = new_session()
    project = fresh.get("Project", ids["project"])
    task = fresh.query(
        'select name, parent.name, parent.parent.name, project.name, status.name, '
        'type.name, project_id from Task where id is "{0}"'.format(ids["task"])).one()
    version = fresh.get("AssetVersion", ids["version"])
    note = fresh.get("Note", ids["note"])
    shot = fresh.get("Shot", ids["shot"])
    children = fresh.query('select name from TypedContext where parent.id is "{0}"'.format(
        ids["shot"])).all()
    result = {
        "project_name_ok": project["name"].startswith("hier_"),
        "project_schema_id": project["project_schema_id"],
        "expected_project_schema_id": project_schema["id"],
        "sequence_parent_id": fresh.get("Sequence", ids["sequence"])["parent_id"],
        "shot_description": shot["description"],
        "shot_parent_name": shot["parent"]["name"],
        "task_name": task["name"],
        "task_parent": task["parent"]["name"],
        "task_grandparent": task["parent"]["parent"]["name"],
        "task_project_ok": task["project"]["id"] == ids["project"],
        "task_project_id_ok": task["project_id"] == ids["project"],
        "task_status": task["status"]["name"],
        "task_type": task["type"]["name"],
        "asset_name": version["asset"]["name"],
        "asset_parent_id_ok": version["asset"]["parent"]["id"] == ids["shot"],
        "version_number": version["version"],
        "version_comment": version["comment"],
        "version_task_ok": version["task"]["id"] == ids["task"],
        "version_in_asset": [v["id"] for v in fresh.get("Asset", ids["asset"])["versions"]]
        == [ids["version"]],
        "note_content": note["content"],
        "note_parent_ok": note["parent_id"] == ids["task"],
        "note_author": note["author"]["username"],
        "task_notes": [n["content"] for n in fresh.get("Task", ids["task"])["notes"]],
        "shot_children": sorted((c.entity_type, c["name"]) for c in children),
        "project_descendants": sorted({d.entity_type for d in project["descendants"]}),
        "task_link_names": [item["name"] for item in fresh.get("Task", ids["task"])["link"]],
    }
    fresh.close()
    return result


@step
def update_and_delete():
    session = new_session()
    shot = new_shot(session, "sh_update")
    kind = task_type(session)
    keep = session.create("Task", {"name": "keep", "parent": shot, "type": kind})
    doomed = session.create("Task", {"name": "doomed", "parent": shot, "type": kind})
    session.commit()
    on_hold = session.query('Status where name is "On Hold"').one()
    keep["name"] = "kept"
    keep["description"] = "renamed"
    keep["status"] = on_hold
    keep["bid"] = 2.5
    shot["description"] = "updated shot"
    session.delete(doomed)
    session.commit()
    ids = {"keep": keep["id"], "doomed": doomed["id"], "shot": shot["id"]}
    session.close()

    fresh = new_session()
    kept = fresh.get("Task", ids["keep"])
    result = {
        "name": kept["name"],
        "description": kept["description"],
        "status": kept["status"]["name"],
        "bid": kept["bid"],
        "shot_description": fresh.get("Shot", ids["shot"])["description"],
        "doomed_get": fresh.get("Task", ids["doomed"]),
        "doomed_query_count": len(fresh.query('Task where id is "{0}"'.format(
            ids["doomed"])).all()),
        "shot_children": sorted(c["name"] for c in fresh.get("Shot", ids["shot"])["children"]),
    }
    # Delete the remaining task from this fresh session too.
    fresh.delete(kept)
    fresh.commit()
    fresh.close()
    last = new_session()
    result["kept_after_delete"] = last.get("Task", ids["keep"])
    result["shot_children_after_delete"] = [
        c["name"] for c in last.get("Shot", ids["shot"])["children"]]
    last.close()
    return result


@step
def custom_attributes():
    session = new_session()
    shot = new_shot(session, "sh_custom")
    kind = task_type(session)
    existing = session.create("Task", {"name": "existing", "parent": shot, "type": kind})
    session.commit()
    existing_id = existing["id"]
    number = session.query('CustomAttributeType where name is "number"').one()
    task_object_type = session.get("ObjectType", TASK_OBJECT_TYPE_ID)
    configuration = session.create("CustomAttributeConfiguration", {
        "entity_type": "task", "object_type": task_object_type, "type": number,
        "key": "fstart", "label": "Frame start", "config": json.dumps({"isdecimal": False}),
        "default": 1, "is_hierarchical": False,
    })
    session.commit()
    configuration_id = configuration["id"]
    session.close()

    session = new_session()
    shot = session.get("Shot", shot["id"])
    new_task = session.create("Task", {"name": "new", "parent": shot, "type": kind})
    new_task["custom_attributes"]["fstart"] = 1001
    existing = session.get("Task", existing_id)
    default_before = existing["custom_attributes"]["fstart"]
    existing["custom_attributes"]["fstart"] = 1001
    mark = len(SENT)
    session.commit()
    commit_ops = [(op.get("action"), op.get("entity_type")) for op in sent_since(mark)]
    new_id = new_task["id"]
    session.close()

    fresh = new_session()
    new_task = fresh.get("Task", new_id)
    existing = fresh.get("Task", existing_id)
    matching = fresh.query(
        'Task where custom_attributes any (key is "fstart" and value is "1001") '
        'and parent.id is "{0}"'.format(shot["id"])).all()
    value = fresh.get("ContextCustomAttributeValue", [configuration_id, existing_id])
    result = {
        "default_before": default_before,
        "commit_ops": commit_ops,
        "new_value": new_task["custom_attributes"]["fstart"],
        "existing_value": existing["custom_attributes"]["fstart"],
        "keys": sorted(existing["custom_attributes"].keys()),
        "matching_names": sorted(task["name"] for task in matching),
        "composite_get_value": None if value is None else value["value"],
        "composite_get_key": None if value is None else value["key"],
    }
    existing["custom_attributes"]["fstart"] = 1002
    fresh.commit()
    fresh.close()
    last = new_session()
    result["updated_value"] = last.get("Task", existing_id)["custom_attributes"]["fstart"]
    last.close()
    return result


@step
def populate():
    session = new_session()
    shot = new_shot(session, "sh_populate")
    kind = task_type(session)
    statuses = ["In Progress", "On Hold", "Approved"]
    for index, status in enumerate(statuses):
        session.create("Task", {"name": "pop_{0}".format(index), "parent": shot, "type": kind,
                                "status": session.query(
                                    'Status where name is "{0}"'.format(status)).one()})
    session.commit()
    shot_id = shot["id"]
    session.close()

    fresh = new_session()
    tasks = fresh.query('select id from Task where parent.id is "{0}"'.format(shot_id)).all()
    mark = len(SENT)
    fresh.populate(tasks, "name, status.name")
    populate_actions = actions_since(mark)
    populate_expressions = expressions_since(mark)
    mark = len(SENT)
    pairs = sorted((task["name"], task["status"]["name"]) for task in tasks)
    reads_after = actions_since(mark)
    fresh.close()
    return {
        "pairs": pairs,
        "populate_actions": populate_actions,
        "populate_expression_has_projection": bool(populate_expressions)
        and populate_expressions[0].startswith("select name, status.name from Task"),
        "requests_while_reading": reads_after,
    }


@step
def ensure():
    session = new_session()
    data = fixture_data()
    username = "ensure_" + uuid.uuid4().hex[:8]
    first_user = session.ensure("User", {"username": username, "first_name": "Ensured"})
    second_user = session.ensure("User", {"username": username, "first_name": "Ensured"})
    asset_type = session.query('AssetType where short is "geo"').one()
    asset_data = {"name": "ensured_asset", "context_id": data["shot_id"],
                  "type_id": asset_type["id"]}
    first_asset = session.ensure("Asset", asset_data)
    second_asset = session.ensure("Asset", asset_data)
    session.close()
    other = new_session()
    third_asset = other.ensure("Asset", asset_data)
    users = other.query('User where username is "{0}"'.format(username)).all()
    assets = other.query('Asset where name is "ensured_asset" and context_id is "{0}"'.format(
        data["shot_id"])).all()
    # identifying_keys: the same user is found although first_name differs.
    by_key = other.ensure("User", {"username": username, "first_name": "Other"},
                          identifying_keys=["username"])
    result = {
        "same_user": first_user["id"] == second_user["id"],
        "user_entity_type": first_user.entity_type,
        "same_asset": first_asset["id"] == second_asset["id"] == third_asset["id"],
        "user_count": len(users),
        "asset_count": len(assets),
        "asset_parent_ok": assets[0]["parent"]["id"] == data["shot_id"] if assets else False,
        "identifying_keys_same": by_key["id"] == first_user["id"],
    }
    other.close()
    return result


@step
def rollback_after_failed_commit():
    session = new_session()
    shot = new_shot(session, "sh_rollback")
    kind = task_type(session)
    results = {}

    # 1. Missing required values (a Timelog without start and duration) in a batch that
    #    also creates a valid Task: the whole batch must be refused.
    session.create("Task", {"name": "rb_batch_ok", "parent": shot, "type": kind})
    session.create("Timelog", {"comment": "no start, no duration", "context_id": shot["id"]})
    try:
        session.commit()
        results["missing_required"] = None
    except ftrack_api.exception.ServerError as error:
        results["missing_required"] = "ServerError"
        results["missing_required_message"] = str(error)
    session.rollback()
    valid = session.create("Task", {"name": "rb_valid_1", "parent": shot, "type": kind})
    session.commit()
    results["valid_after_first"] = valid["id"]

    # 2. A value of the wrong type (a string into a number custom attribute).
    configuration = session.query(
        'CustomAttributeConfiguration where key is "rb_number"').first()
    if configuration is None:
        configuration = session.create("CustomAttributeConfiguration", {
            "entity_type": "task", "object_type_id": TASK_OBJECT_TYPE_ID,
            "type": session.query('CustomAttributeType where name is "number"').one(),
            "key": "rb_number", "label": "rb number", "config": json.dumps({"isdecimal": True}),
            "default": 0,
        })
        session.commit()
    session.close()
    session = new_session()
    target = session.get("Task", valid["id"])
    target["custom_attributes"]["rb_number"] = "not a number"
    try:
        session.commit()
        results["wrong_type"] = None
    except ftrack_api.exception.ServerError as error:
        results["wrong_type"] = "ServerError"
        results["wrong_type_message"] = str(error)
    session.rollback()

    # 3. An unknown attribute sent to the server (raw call, the client cannot stop it).
    try:
        session.call([{"action": "create", "entity_type": "Task", "entity_key": [str(uuid.uuid4())],
                       "entity_data": {"__entity_type__": "Task", "name": "x",
                                       "no_such_attribute": 1}}])
        results["unknown_attribute"] = None
    except ftrack_api.exception.ServerError as error:
        results["unknown_attribute"] = "ServerError"
        results["unknown_attribute_message"] = str(error)

    shot = session.get("Shot", shot["id"])
    second = session.create("Task", {"name": "rb_valid_2", "parent": shot, "type": kind})
    second["custom_attributes"]["rb_number"] = 2.5
    session.commit()
    session.close()

    fresh = new_session()
    names = sorted(task["name"] for task in fresh.query(
        'Task where parent.id is "{0}"'.format(shot["id"])).all())
    timelogs = fresh.query('Timelog where context_id is "{0}"'.format(shot["id"])).all()
    results.update({
        "names_after": names,
        "timelogs_after": len(timelogs),
        "valid_value": fresh.get("Task", second["id"])["custom_attributes"]["rb_number"],
        "first_value": fresh.get("Task", valid["id"])["custom_attributes"]["rb_number"],
    })
    fresh.close()
    return results


@step
def metadata():
    session = new_session()
    shot = new_shot(session, "sh_metadata")
    task = session.create("Task", {"name": "meta", "parent": shot, "type": task_type(session)})
    task["metadata"]["colour"] = "red"
    session.commit()
    task["metadata"]["shape"] = "round"
    session.commit()
    task_id = task["id"]
    session.close()

    fresh = new_session()
    task = fresh.get("Task", task_id)
    read = dict(task["metadata"])
    item = fresh.get("Metadata", [task_id, "colour"])
    composite = None if item is None else {
        "key": item["key"], "value": item["value"], "parent_type": item["parent_type"],
        "parent_id_ok": item["parent_id"] == task_id}
    by_query = fresh.query('Task where metadata any (key is "shape" and value is "round") '
                           'and id is "{0}"'.format(task_id)).all()
    task["metadata"]["colour"] = "blue"
    del task["metadata"]["shape"]
    fresh.commit()
    fresh.close()
    last = new_session()
    after = dict(last.get("Task", task_id)["metadata"])
    missing = last.get("Metadata", [task_id, "shape"])
    last.close()
    return {
        "read": read,
        "composite_get": composite,
        "query_any_count": len(by_query),
        "after_update": after,
        "deleted_get": missing,
    }


@step
def polymorphic_queries():
    session = new_session()
    data = fixture_data()
    shot = new_shot(session, "sh_poly")
    session.create("Task", {"name": "poly_task", "parent": shot, "type": task_type(session)})
    session.commit()
    typed = session.query('TypedContext where project_id is "{0}"'.format(
        data["project_id"])).all()
    by_project = session.query('TypedContext where project.name is "{0}"'.format(
        data["project_name"])).all()
    context = session.query('Context where id in ("{0}", "{1}")'.format(
        data["project_id"], shot["id"])).all()
    typed_classes = sorted({type(entity).__name__ for entity in typed})
    result = {
        "typed_entity_types": sorted({entity.entity_type for entity in typed}),
        "typed_classes": typed_classes,
        "by_project_same": sorted(e["id"] for e in by_project) == sorted(e["id"] for e in typed),
        "context_entity_types": sorted(entity.entity_type for entity in context),
        "poly_task_found": any(e["name"] == "poly_task" and e.entity_type == "Task"
                               for e in typed),
        "context_get_type": session.get("Context", shot["id"]).entity_type,
        "typed_get_type": session.get("TypedContext", shot["id"]).entity_type,
    }
    session.close()
    return result


def main(steps=None):
    """Run ``steps`` (default: this scenario's), print the JSON report, return 0."""
    report = {"client_version": ftrack_api.__version__, "client_file": ftrack_api.__file__,
              "steps": {}}
    only = set(sys.argv[1:])
    for function in STEPS if steps is None else steps:
        if only and function.__name__ not in only:
            continue
        try:
            values = function()
            report["steps"][function.__name__] = {"ok": True, "values": values}
        except Exception as error:  # noqa: BLE001 - every failure is reported, not raised
            report["steps"][function.__name__] = {
                "ok": False, "error": "{0}: {1}".format(error_name(error), error),
                "traceback": traceback.format_exc(),
            }
    sys.stdout.write(json.dumps(report, sort_keys=True, default=str))
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
