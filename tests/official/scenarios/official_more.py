"""More relations, locations and event routing run by the OFFICIAL client 3.1.0.

Same contract as ``official_scenario.py``: versions and their links, computed ``link`` /
``ancestors`` / ``descendants``, task dependencies, the unmanaged location, a refused
delete, thumbnail URLs, and event routing by target between two connected sessions.
"""
from __future__ import annotations

import os
import sys
import tempfile
import uuid

import arrow
import requests

import ftrack_api
import ftrack_api.event.base
import ftrack_api.exception
import ftrack_api.symbol

from official_scenario import (SENT, error_name, expressions_since, fixture_data, main,
                               new_session, new_shot, task_type)

STEPS = []


def step(function):
    STEPS.append(function)
    return function


@step
def versions_and_links():
    session = new_session()
    shot = new_shot(session, "sh_versions")
    task = session.create("Task", {"name": "anim", "parent": shot, "type": task_type(session)})
    asset = session.create("Asset", {"name": "anim_cache", "parent": shot,
                                     "type": session.query('AssetType where short is "anim"')
                                     .one()})
    versions = [session.create("AssetVersion", {"asset": asset, "task": task})
                for _ in range(3)]
    session.commit()
    source = session.create("AssetVersion", {"asset": asset, "task": task})
    session.commit()
    versions[2]["uses_versions"].append(source)
    session.commit()
    ids = [v["id"] for v in versions] + [source["id"]]
    asset_id = asset["id"]
    session.close()
    fresh = new_session()
    versions = [fresh.get("AssetVersion", version_id) for version_id in ids]
    asset = fresh.get("Asset", asset_id)
    result = {
        "numbers": [v["version"] for v in versions],
        "latest": asset["latest_version"]["version"] if asset["latest_version"] else None,
        "is_latest": [v["is_latest_version"] for v in versions],
        "status": versions[0]["status"]["name"] if versions[0]["status"] else None,
        "uses": [v["version"] for v in versions[2]["uses_versions"]],
        "used_in": [v["version"] for v in versions[3]["used_in_versions"]],
        "link_types": [item["type"] for item in versions[0]["link"]],
    }
    fresh.close()
    return result


@step
def computed_context_relations():
    session = new_session()
    data = fixture_data()
    shot = new_shot(session, "sh_computed")
    task = session.create("Task", {"name": "leaf", "parent": shot, "type": task_type(session)})
    session.commit()
    session.close()
    fresh = new_session()
    task = fresh.get("Task", task["id"])
    link = task["link"]
    result = {
        "link_names": [item["name"] for item in link],
        "link_types": [item["type"] for item in link],
        "link_first_is_project": link[0]["id"] == data["project_id"],
        "ancestors": [a["name"] for a in task["ancestors"]],
        "ancestor_types": [a.entity_type for a in task["ancestors"]],
        "shot_descendants": [d["name"] for d in fresh.get("Shot", shot["id"])["descendants"]],
        "empty_shots": sorted(s["name"] for s in fresh.query(
            'Shot where not children any () and parent.id is "{0}"'.format(
                data["sequence_id"])).all()),
        "project_children": sorted(c["name"] for c in
                                   fresh.get("Project", data["project_id"])["children"]),
    }
    fresh.close()
    return result


@step
def task_dependencies():
    session = new_session()
    shot = new_shot(session, "sh_deps")
    kind = task_type(session)
    layout = session.create("Task", {"name": "layout", "parent": shot, "type": kind})
    anim = session.create("Task", {"name": "animation", "parent": shot, "type": kind})
    session.create("TypedContextLink", {"from": layout, "to": anim})
    session.commit()
    ids = (layout["id"], anim["id"])
    session.close()
    fresh = new_session()
    anim = fresh.get("Task", ids[1])
    layout = fresh.get("Task", ids[0])
    result = {
        "anim_incoming": [link["from"]["name"] for link in anim["incoming_links"]],
        "layout_outgoing": [link["to"]["name"] for link in layout["outgoing_links"]],
    }
    fresh.close()
    return result


@step
def unmanaged_location():
    session = new_session()
    unmanaged = session.get("Location", ftrack_api.symbol.UNMANAGED_LOCATION_ID)
    directory = tempfile.mkdtemp(prefix="official-unmanaged-")
    path = os.path.join(directory, "scene.ma")
    with open(path, "w") as handle:
        handle.write("//Maya ASCII")
    component = session.create_component(path, data={"name": "scene"}, location=unmanaged)
    session.commit()
    component_id = component["id"]
    session.close()
    fresh = new_session()
    unmanaged = fresh.get("Location", ftrack_api.symbol.UNMANAGED_LOCATION_ID)
    component = fresh.get("Component", component_id)
    result = {
        "resource_identifier_is_path": unmanaged.get_resource_identifier(component) == path,
        "filesystem_path_is_path": unmanaged.get_filesystem_path(component) == path,
        "availability": fresh.get_component_availability(component)[unmanaged["id"]],
    }
    fresh.close()
    return result


@step
def disk_location_with_standard_structure():
    import ftrack_api.accessor.disk
    import ftrack_api.structure.standard

    session = new_session()
    location = session.ensure("Location", {"name": "studio.disk"})
    root = tempfile.mkdtemp(prefix="official-disk-")
    location.accessor = ftrack_api.accessor.disk.DiskAccessor(prefix=root)
    location.structure = ftrack_api.structure.standard.StandardStructure()
    location.priority = 1
    shot = new_shot(session, "sh_disk")
    task = session.create("Task", {"name": "comp", "parent": shot, "type": task_type(session)})
    asset = session.create("Asset", {"name": "plate", "parent": shot,
                                     "type": session.query('AssetType where short is "img"')
                                     .one()})
    version = session.create("AssetVersion", {"asset": asset, "task": task})
    session.commit()
    source = os.path.join(tempfile.mkdtemp(prefix="official-src-"), "plate.exr")
    with open(source, "w") as handle:
        handle.write("exr")
    component = version.create_component(source, data={"name": "main"}, location=location)
    session.commit()
    path = location.get_filesystem_path(component)
    result = {
        "relative_path": os.path.relpath(path, root).replace(os.sep, "/"),
        "exists": os.path.exists(path),
        "version_link": [item["name"] for item in version["link"]][1:],
    }
    session.close()
    fresh = new_session()
    location = fresh.query('Location where name is "studio.disk"').one()
    location.accessor = ftrack_api.accessor.disk.DiskAccessor(prefix=root)
    location.structure = ftrack_api.structure.standard.StandardStructure()
    location.priority = 1
    again = fresh.get("Component", component["id"])
    result["picked"] = fresh.pick_location(again)["name"]
    result["availability"] = fresh.get_component_availability(again)[location["id"]]
    location.remove_component(again)
    fresh.commit()
    result["exists_after_removal"] = os.path.exists(path)
    result["availability_after_removal"] = fresh.get_component_availability(again)[
        location["id"]]
    fresh.close()
    return result


@step
def review_sessions_and_version_lists():
    session = new_session()
    data = fixture_data()
    shot = new_shot(session, "sh_review")
    asset = session.create("Asset", {"name": "review_asset", "parent": shot,
                                     "type": session.query('AssetType where short is "upload"')
                                     .one()})
    versions = [session.create("AssetVersion", {"asset": asset}) for _ in range(2)]
    project = session.get("Project", data["project_id"])
    review = session.create("ReviewSession", {
        "name": "dailies", "project": project, "description": "Morning dailies",
        "start_date": arrow.get("2024-01-01T09:00:00"), "end_date": arrow.get("2024-01-01T10:00:00"),
    })
    for version in versions:
        session.create("ReviewSessionObject", {"review_session": review,
                                               "asset_version": version,
                                               "name": "obj", "version": "v1"})
    invitee = session.create("ReviewSessionInvitee", {"review_session": review,
                                                      "name": "Client",
                                                      "email": "client@example.com"})
    version_list = session.create("AssetVersionList", {
        "name": "selects", "project": project,
        "category": session.query('ListCategory where name is "Default"').one(),
        "owner": session.query('User where username is "{0}"'.format(session.api_user)).one(),
    })
    session.commit()
    for version in versions:
        version_list["items"].append(version)
    session.commit()
    session.send_review_session_invite(invitee)
    ids = {"review": review["id"], "list": version_list["id"]}
    session.close()
    fresh = new_session()
    review = fresh.get("ReviewSession", ids["review"])
    version_list = fresh.get("AssetVersionList", ids["list"])
    result = {
        "review_objects": len(review["review_session_objects"]),
        "review_versions": sorted(o["asset_version"]["version"]
                                  for o in review["review_session_objects"]),
        "invitees": [i["email"] for i in review["review_session_invitees"]],
        "list_items": sorted(v["version"] for v in version_list["items"]),
        "list_type": version_list.entity_type,
    }
    fresh.close()
    return result


@step
def delete_project_cascades():
    session = new_session()
    schema = session.query('ProjectSchema where name is "VFX Scheme"').one()
    project = session.create("Project", {"name": "doomed_project", "full_name": "Doomed",
                                         "project_schema": schema})
    sequence = session.create("Sequence", {"name": "sq", "parent": project})
    shot = session.create("Shot", {"name": "sh", "parent": sequence})
    task = session.create("Task", {"name": "t", "parent": shot, "type": task_type(session)})
    asset = session.create("Asset", {"name": "a", "parent": shot,
                                     "type": session.query('AssetType where short is "geo"')
                                     .one()})
    version = session.create("AssetVersion", {"asset": asset, "task": task})
    session.commit()
    ids = {"Project": project["id"], "Sequence": sequence["id"], "Shot": shot["id"],
           "Task": task["id"], "Asset": asset["id"], "AssetVersion": version["id"]}
    session.delete(project)
    session.commit()
    session.close()
    fresh = new_session()
    left = sorted(name for name, entity_id in ids.items()
                  if fresh.get(name, entity_id) is not None)
    fresh.close()
    return {"left": left}


@step
def attributes_of_subtypes_in_criteria():
    """Documented ftrack idioms whose paths go through a base type to a subtype's
    attribute (Appointment.resource is a Resource; User has the username)."""
    session = new_session()
    shot = new_shot(session, "sh_subtype_paths")
    user = session.query('User where username is "{0}"'.format(session.api_user)).one()
    assigned = session.create("Task", {"name": "mine", "parent": shot,
                                       "type": task_type(session, "Compositing")})
    session.create("Task", {"name": "other", "parent": shot,
                            "type": task_type(session, "Animation")})
    session.create("Appointment", {"context": assigned, "resource": user,
                                   "type": "assignment"})
    session.commit()
    shot_id = shot["id"]
    within = 'parent.id is "{0}"'.format(shot_id)
    result = {
        "assigned_to_me": [t["name"] for t in session.query(
            'select link from Task where assignments any (resource.username = "{0}") and {1}'
            .format(session.api_user, within)).all()],
        "shots_with_compositing": [s["name"] for s in session.query(
            'Shot where children any (type.name is "Compositing") and id is "{0}"'.format(
                shot_id)).all()],
        "tasks_under_shots": sorted(t["name"] for t in session.query(
            'Task where parent.object_type.name is "Shot" and {0}'.format(within)).all()),
        "not_assigned": [t["name"] for t in session.query(
            'Task where not assignments any (resource.username = "{0}") and {1}'.format(
                session.api_user, within)).all()],
    }
    session.close()
    return result


@step
def documented_query_idioms():
    """The examples of the official client's "Querying" documentation."""
    session = new_session()
    schema = session.query('ProjectSchema where name is "VFX Scheme"').one()
    suffix = uuid.uuid4().hex[:6]
    project = session.create("Project", {"name": "docs_" + suffix,
                                         "full_name": "Game of thrones " + suffix,
                                         "project_schema": schema})
    project["metadata"]["some_key"] = "some_value"
    author = session.create("User", {"username": "jane_" + suffix, "first_name": "Jane",
                                     "last_name": "Doe " + suffix})
    idle = session.create("User", {"username": "idle_" + suffix})
    done = session.query('Status where name is "Completed"').one()
    task = session.create("Task", {"name": "docs_task", "parent": project,
                                   "type": task_type(session), "status": done, "bid": 10})
    session.commit()
    session.create("Timelog", {"user": author, "context": task, "start": arrow.utcnow(),
                               "duration": 60, "comment": ""})
    task.create_note("by Jane", author=author)
    session.commit()
    in_project = 'project.id is "{0}"'.format(project["id"])
    names = {
        "active_thrones": 'Project where status is active and (name like "%thrones" or '
                          'full_name like "%thrones {0}") and id is "{1}"'.format(
                              suffix, project["id"]),
        "done_in_project": 'Task where {0} and status.state.name is "Done"'.format(in_project),
        "logged_today": 'Task where timelogs.start >= "{0}" and {1}'.format(
            arrow.utcnow().floor("day"), in_project),
        "by_jane": 'Note where author has (first_name is "Jane" and last_name is "Doe {0}")'
                   .format(suffix),
        "metadata_bare_words": 'Project where metadata any (key=some_key and value=some_value)'
                               ' and id is "{0}"'.format(project["id"]),
        "users_without_timelogs": 'User where not timelogs any () and username like "%_{0}"'
                                  .format(suffix),
        "bid_synonyms": 'Task where bid greater_than 9 and bid less_than 11 and {0}'.format(
            in_project),
        "state_in": 'Task where status.state.name in ("In Progress", "Done") and {0}'.format(
            in_project),
        "status_not_in": 'Task where status.name not_in ("Omitted", "On Hold") and {0}'.format(
            in_project),
    }
    result = {}
    for label, expression in names.items():
        try:
            found = session.query(expression).all()
            result[label] = sorted(e["name"] if "name" in e.keys() else
                                   e.get("username", e.get("content")) for e in found)
        except Exception as error:  # noqa: BLE001
            result[label] = error_name(error) + ": " + str(error)
    result["by_jane"] = [n["content"] for n in session.query(names["by_jane"]).all()] \
        if isinstance(result["by_jane"], list) else result["by_jane"]
    result["users_without_timelogs"] = sorted(
        u["username"].split("_")[0] for u in session.query(
            names["users_without_timelogs"]).all())
    projected = session.query('select full_name, status from Project where id is "{0}"'.format(
        project["id"])).one()
    result["projected"] = [projected["full_name"].split(" ")[0], projected["status"]]
    session.close()
    del idle
    return result


@step
def documented_examples():
    """Assignments/allocations, review sessions, lists and task templates as the
    official client's example pages use them."""
    session = new_session()
    suffix = uuid.uuid4().hex[:6]
    schema = session.query('ProjectSchema where name is "VFX Scheme"').one()
    project = session.create("Project", {"name": "examples_" + suffix, "full_name": "Examples",
                                         "project_schema": schema})
    me = session.query('User where username is {0}'.format(session.api_user)).one()
    member = session.create("User", {"username": "member_" + suffix})
    group = session.create("Group", {"name": "team_" + suffix})
    session.create("Membership", {"group": group, "user": member})
    session.create("Appointment", {"context": project, "resource": group, "type": "allocation"})
    session.create("Appointment", {"context": project, "resource": me, "type": "allocation"})
    task = session.create("Task", {"name": "assigned", "parent": project,
                                   "type": task_type(session)})
    session.create("Appointment", {"context": task, "resource": me, "type": "assignment"})
    asset = session.create("Asset", {"name": "ex_asset", "parent": project,
                                     "type": session.query('AssetType where short is "geo"')
                                     .one()})
    version = session.create("AssetVersion", {"asset": asset})
    template = session.create("TaskTemplate", {"name": "tpl_" + suffix,
                                               "project_schema": schema})
    for name in ("Modeling", "Rigging"):
        session.create("TaskTemplateItem", {"template": template,
                                            "task_type": task_type(session, name)})
    session.commit()

    team = set()
    for allocation in project["allocations"]:
        resource = allocation["resource"]
        if isinstance(resource, session.types["Group"]):
            team.update(m["user"]["username"].split("_")[0] for m in resource["memberships"])
        else:
            team.add(resource["username"])
    assigned_users = session.query(
        'select first_name, last_name from User where assignments any (context_id = "{0}")'
        .format(task["id"])).all()
    my_tasks = session.query(
        'select link from Task where assignments any (resource_id = "{0}") and '
        'project_id is "{1}"'.format(me["id"], project["id"])).all()

    review = session.create("ReviewSession", {"name": "Weekly review " + suffix,
                                              "description": "See updates from last week.",
                                              "project": project})
    session.create("ReviewSessionObject", {"name": "Compositing", "description": "Fixed shadows.",
                                           "version": "Version 3", "review_session": review,
                                           "asset_version": version})
    invitee = session.create("ReviewSessionInvitee", {"name": "John Doe",
                                                      "email": "john.doe@example.com",
                                                      "review_session": review})
    session.commit()
    found_review = session.query('ReviewSession where name is "Weekly review {0}"'.format(
        suffix)).all()
    invitees_before = len(review["review_session_invitees"])
    session.delete(invitee)
    session.commit()

    version_list = session.create("AssetVersionList", {
        "owner": me, "project": project,
        "category": session.query("ListCategory").first()})
    session.commit()
    version_list["items"].append(version)
    session.commit()
    items_after_append = len(version_list["items"])
    version_list["items"].remove(version)
    session.commit()
    project_id, review_id, list_id = project["id"], review["id"], version_list["id"]
    session.close()

    fresh = new_session()
    project = fresh.get("Project", project_id)
    templates = [t for t in project["project_schema"]["task_templates"]
                 if t["name"] == "tpl_" + suffix]
    result = {
        "team": sorted(team),
        "assigned_users": [u["first_name"] for u in assigned_users],
        "my_tasks": [" / ".join(item["name"] for item in t["link"])[-8:] for t in my_tasks],
        "review_found": len(found_review),
        "project_review_sessions": [r["id"] == review_id for r in project["review_sessions"]],
        "review_objects": [(o["name"], o["version"]) for o in
                           fresh.get("ReviewSession", review_id)["review_session_objects"]],
        "invitees_before": invitees_before,
        "invitees_after": len(fresh.get("ReviewSession", review_id)["review_session_invitees"]),
        "list_items_after_append": items_after_append,
        "list_items_after_remove": len(fresh.get("AssetVersionList", list_id)["items"]),
        "template_task_types": sorted(item["task_type"]["name"]
                                      for t in templates for item in t["items"]),
    }
    fresh.close()
    return result


@step
def group_by_aggregations():
    """The documented group-by call through a strict-API session."""
    session = ftrack_api.Session(auto_connect_event_hub=False, strict_api=True)
    shot = new_shot(session, "sh_group_by")
    kind = task_type(session)
    statuses = {name: session.query('Status where name is "{0}"'.format(name)).one()
                for name in ("In Progress", "Approved")}
    for index, (name, bid) in enumerate((("In Progress", 1), ("In Progress", 3),
                                         ("Approved", 5))):
        session.create("Task", {"name": "g{0}".format(index), "parent": shot, "type": kind,
                                "status": statuses[name], "bid": bid})
    session.commit()
    result = session.call([{"action": "query", "expression":
                            'select count(id), sum(bid), max(bid) from Task where parent_id is '
                            '"{0}" group by project_id, status_id'.format(shot["id"])}])
    by_status = {statuses[n]["id"]: n for n in statuses}
    rows = sorted((by_status.get(row["status_id"]), row["count_id"], row["sum_bid"],
                   row["max_bid"], row["project_id"] == shot["project_id"])
                  for row in result[0]["data"])
    session.close()
    return {"rows": rows}


@step
def documented_workflow_schema_example():
    """Build a complete ProjectSchema as the example page does, then use it."""
    session = new_session()
    status = {name: session.query('Status where name="{0}"'.format(name)).one()
              for name in ("Not started", "In Progress", "Completed", "On Hold")}
    all_statuses = [status["In Progress"], status["Not started"], status["Completed"],
                    status["On Hold"]]
    kinds = {name: task_type(session, name)
             for name in ("Generic", "Modeling", "Rigging", "Compositing", "Character")}
    workflow = session.create("WorkflowSchema")
    for item in all_statuses:
        session.create("WorkflowSchemaStatus", {"workflow_schema_id": workflow["id"],
                                                "status_id": item["id"]})
    type_schema = session.create("TaskTypeSchema")
    for kind in kinds.values():
        session.create("TaskTypeSchemaType", {"task_type_schema_id": type_schema["id"],
                                              "type_id": kind["id"]})
    version_workflow = session.create("WorkflowSchema")
    for item in all_statuses:
        session.create("WorkflowSchemaStatus", {"workflow_schema_id": version_workflow["id"],
                                                "status_id": item["id"]})
    schema = session.create("ProjectSchema", {
        "name": "My custom schema " + uuid.uuid4().hex[:6],
        "task_workflow_schema_id": workflow["id"], "task_type_schema_id": type_schema["id"],
        "asset_version_workflow_schema_id": version_workflow["id"]})
    for name, statuses, types in (("Sequence", None, None), ("Shot", None, None),
                                  ("Asset Build", [status["In Progress"], status["Completed"]],
                                   [kinds["Generic"], kinds["Character"]])):
        object_type = session.query('ObjectType where name="{0}"'.format(name)).one()
        session.create("ProjectSchemaObjectType", {"project_schema_id": schema["id"],
                                                   "object_type_id": object_type["id"]})
        object_schema = session.create("Schema", {"project_schema_id": schema["id"],
                                                  "object_type_id": object_type["id"]})
        for item in statuses or all_statuses:
            session.create("SchemaStatus", {"schema_id": object_schema["id"],
                                            "status_id": item["id"]})
        for kind in types or list(kinds.values()):
            session.create("SchemaType", {"schema_id": object_schema["id"],
                                          "type_id": kind["id"]})
    override = session.create("WorkflowSchema", {"name": "Compositing override"})
    for item in (status["Completed"], status["On Hold"]):
        session.create("WorkflowSchemaStatus", {"workflow_schema_id": override["id"],
                                                "status_id": item["id"]})
    session.create("ProjectSchemaOverride", {"project_schema_id": schema["id"],
                                             "type_id": kinds["Compositing"]["id"],
                                             "workflow_schema_id": override["id"]})
    template = session.create("TaskTemplate", {"project_schema_id": schema["id"],
                                               "name": "Modeling"})
    for kind in (kinds["Modeling"], kinds["Rigging"]):
        session.create("TaskTemplateItem", {"template_id": template["id"],
                                            "task_type_id": kind["id"]})
    session.commit()
    project = session.create("Project", {"name": "custom_" + uuid.uuid4().hex[:6],
                                         "full_name": "Custom", "project_schema": schema})
    build = session.create("AssetBuild", {"name": "hero", "parent": project})
    task = session.create("Task", {"name": "model", "parent": build, "type": kinds["Modeling"]})
    session.commit()
    schema_id, ids = schema["id"], (build["id"], task["id"])
    session.close()
    fresh = new_session()
    schema = fresh.get("ProjectSchema", schema_id)
    result = {
        "task_statuses": [s["name"] for s in schema.get_statuses("Task",
                                                                 kinds["Modeling"]["id"])],
        "override_statuses": [s["name"] for s in schema.get_statuses(
            "Task", kinds["Compositing"]["id"])],
        "task_types": sorted(t["name"] for t in schema.get_types("Task")),
        "build_statuses": [s["name"] for s in schema.get_statuses("AssetBuild")],
        "build_types": sorted(t["name"] for t in schema.get_types("AssetBuild")),
        "version_statuses": [s["name"] for s in schema.get_statuses("AssetVersion")],
        "new_build_status": fresh.get("AssetBuild", ids[0])["status"]["name"],
        "new_task_status": fresh.get("Task", ids[1])["status"]["name"],
        "templates": [[i["task_type"]["name"] for i in t["items"]]
                      for t in schema["task_templates"]],
    }
    fresh.close()
    return result


@step
def refused_delete():
    session = new_session()
    status = session.query('Status where name is "Not started"').one()
    session.delete(status)
    try:
        session.commit()
        result = {"error": None}
    except ftrack_api.exception.ServerError as error:
        result = {"error": error_name(error), "message": str(error)}
    session.rollback()
    fresh = new_session()
    result["still_there"] = fresh.query('Status where name is "Not started"').first() is not None
    fresh.close()
    session.close()
    return result


@step
def thumbnail_url():
    session = new_session()
    shot = new_shot(session, "sh_thumb_url")
    directory = tempfile.mkdtemp(prefix="official-thumb-")
    path = os.path.join(directory, "thumb.jpg")
    content = b"\xff\xd8\xff\xe0thumbnail bytes"
    with open(path, "wb") as handle:
        handle.write(content)
    thumbnail = shot.create_thumbnail(path)
    session.commit()
    server_location = session.get("Location", ftrack_api.symbol.SERVER_LOCATION_ID)
    url = server_location.get_thumbnail_url(thumbnail, size=100)
    response = requests.get(url, timeout=30)
    result = {"status": response.status_code, "same_bytes": response.content == content}
    session.close()
    return result


@step
def targeted_event_routing():
    listener = ftrack_api.Session(auto_connect_event_hub=True)
    sender = ftrack_api.Session(auto_connect_event_hub=True)
    received = []
    listener.event_hub.subscribe(
        "topic=official.routing", lambda event: received.append(event["data"]["n"]),
        subscriber={"applicationId": "official.listener"})
    replies = []

    def wait_until(condition, hub):
        for _ in range(100):
            if condition():
                return True
            hub.wait(0.1)
        return condition()

    wait_until(lambda: listener.event_hub.connected and sender.event_hub.connected,
               listener.event_hub)
    # A round trip through the server proves the listener's subscription is registered.
    listener.event_hub.subscribe("topic=official.routing.ping",
                                 lambda event: {"pong": True})
    # The subscription travels on the listener's connection, the ping on the sender's:
    # ping again until one is answered (bounded), then the listener is known to be ready.
    for _ in range(50):
        if replies:
            break
        sender.event_hub.publish(ftrack_api.event.base.Event(topic="official.routing.ping"),
                                 on_reply=lambda event: replies.append(event["data"]))
        for _ in range(4):
            listener.event_hub.wait(0.05)
            sender.event_hub.wait(0.05)
            if replies:
                break
    replies = replies[:1]
    sender.event_hub.publish(ftrack_api.event.base.Event(
        topic="official.routing", data={"n": 1},
        target="applicationId=official.someone-else"))
    sender.event_hub.publish(ftrack_api.event.base.Event(
        topic="official.routing", data={"n": 2}, target="applicationId=official.listener"))
    sender.event_hub.publish(ftrack_api.event.base.Event(topic="official.routing",
                                                         data={"n": 3}))
    wait_until(lambda: 3 in received, listener.event_hub)
    result = {"replies": replies, "received": sorted(received)}
    listener.close()
    sender.close()
    return result


@step
def composite_populate_and_deep_projections():
    session = new_session()
    shot = new_shot(session, "sh_deep")
    kind = task_type(session)
    tasks = [session.create("Task", {"name": name, "parent": shot, "type": kind})
             for name in ("b_task", "a_task", "c_task")]
    asset = session.create("Asset", {"name": "deep_asset", "parent": shot,
                                     "type": session.query('AssetType where short is "geo"')
                                     .one()})
    version = session.create("AssetVersion", {"asset": asset, "task": tasks[0]})
    session.commit()
    directory = tempfile.mkdtemp(prefix="official-deep-")
    path = os.path.join(directory, "geo.abc")
    with open(path, "w") as handle:
        handle.write("geo")
    version.create_component(path, data={"name": "geo"},
                             location=session.get("Location",
                                                  ftrack_api.symbol.UNMANAGED_LOCATION_ID))
    session.commit()
    configuration = session.create("CustomAttributeConfiguration", {
        "entity_type": "task", "object_type_id": "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c",
        "type": session.query('CustomAttributeType where name is "number"').one(),
        "key": "deep_number", "label": "deep", "config": '{"isdecimal": false}', "default": 7,
    })
    session.commit()
    task_ids = [t["id"] for t in tasks]
    session.close()
    session = new_session()
    for number, task_id in enumerate(task_ids):
        session.get("Task", task_id)["custom_attributes"]["deep_number"] = 10 + number
    session.commit()
    session.close()

    fresh = new_session()
    values = fresh.query(
        'select configuration_id, entity_id from ContextCustomAttributeValue where '
        'configuration_id is "{0}" and entity_id in ({1})'.format(
            configuration["id"], ", ".join('"{0}"'.format(i) for i in task_ids))).all()
    mark = len(SENT)
    fresh.populate(values, "value")
    populate_expressions = expressions_since(mark)
    deep = fresh.query(
        'select assets.versions.components.name, assets.versions.task.name from Shot '
        'where id is "{0}"'.format(shot["id"])).one()
    ordered = fresh.query(
        'select name from Task where parent.id is "{0}" order by parent.name desc, '
        'name ascending'.format(shot["id"])).all()
    result = {
        "populated_values": sorted(v["value"] for v in values),
        "populate_quirk": bool(populate_expressions) and '"and ' in populate_expressions[0],
        "deep_components": [c["name"] for a in deep["assets"] for v in a["versions"]
                            for c in v["components"]],
        "deep_task": [v["task"]["name"] for a in deep["assets"] for v in a["versions"]],
        "ordered": [t["name"] for t in ordered],
    }
    fresh.close()
    return result


@step
def acceptance_cases():
    """The acceptance cases of the local-server issue, through the official client."""
    session = new_session()
    schema = session.query('ProjectSchema where name is "VFX Scheme"').one()
    project = session.create("Project", {"name": "p1", "full_name": "p1",
                                         "project_schema": schema})
    sequence = session.create("Sequence", {"name": "sq010", "parent": project})
    shot = session.create("Shot", {"name": "sh010", "parent": sequence})
    empty_shot = session.create("Shot", {"name": "sh020", "parent": sequence})
    kind = task_type(session)
    statuses = {name: session.query('Status where name is "{0}"'.format(name)).one()
                for name in ("In Progress", "On Hold", "Approved")}
    cycle = ["In Progress", "On Hold", "Approved"]
    for index in range(10):
        session.create("Task", {"name": "t{0}".format(index), "parent": shot, "type": kind,
                                "status": statuses[cycle[index % 3]]})
    asset = session.create("Asset", {"name": "A", "parent": shot,
                                     "type": session.query('AssetType where short is "geo"')
                                     .one()})
    for _ in range(2):
        session.create("AssetVersion", {"asset": asset})
    session.commit()
    in_project = 'project_id is "{0}"'.format(project["id"])

    raw = session.call([{"action": "query", "expression":
                         "select name from Task where {0} order by name descending "
                         "offset 2 limit 3".format(in_project)}])[0]
    paged = session.query("select name from Task where {0} order by name descending "
                          "offset 2 limit 3".format(in_project)).all()
    in_statuses = session.query(
        'Task where parent.name is "sh010" and status.name in ("In Progress", "On Hold") '
        'and {0}'.format(in_project)).all()
    no_children = session.query('Shot where not children any () and {0}'.format(
        in_project)).all()
    typed = session.query('TypedContext where project.name is "p1"').all()
    versions = session.query('select versions.version from Asset where id is "{0}"'.format(
        asset["id"])).one()
    minimal = session.create("Task", {"name": "minimal", "parent": shot, "type": kind})
    session.commit()
    minimal_id = minimal["id"]
    session.close()
    fresh = new_session()
    result = {
        "raw_names": [row["name"] for row in raw["data"]],
        "raw_next_offset": raw["metadata"]["next"]["offset"],
        "paged_names": [task["name"] for task in paged],
        "in_statuses": sorted(task["name"] for task in in_statuses),
        "no_children": [s["name"] for s in no_children],
        "typed_types": sorted({(e.entity_type, e["name"]) for e in typed
                               if e["name"] in ("sq010", "sh010", "sh020", "t0")}),
        "versions": sorted(v["version"] for v in versions["versions"]),
        "minimal_status": fresh.get("Task", minimal_id)["status"]["name"],
    }
    fresh.close()
    return result


if __name__ == "__main__":
    sys.exit(main(STEPS))
