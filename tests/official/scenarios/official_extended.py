"""Further pipeline behaviour run by the OFFICIAL client 3.1.0 against a server.

Same contract as ``official_scenario.py`` (environment in, one JSON report out, every
step reported even when it fails): dates, immutable attributes, hierarchical custom
attributes, components in the ``ftrack.server`` location, thumbnails, ``encode_media``,
notes with replies/recipients/categories, timers and timelogs, assignments, lists,
project schema helpers, group memberships, cascading deletes, remote actions (widget
URL, invites, API key reset, strict API mode) and the event hub.
"""
from __future__ import annotations

import datetime
import json
import os
import sys
import tempfile
import threading
import uuid

import arrow
import requests

import ftrack_api
import ftrack_api.event.base
import ftrack_api.exception
import ftrack_api.symbol

from official_scenario import (TASK_OBJECT_TYPE_ID, error_name, fixture_data, main,
                               new_session, new_shot, task_type)

STEPS = []


def step(function):
    STEPS.append(function)
    return function


def admin(session):
    return session.query('User where username is "{0}"'.format(session.api_user)).one()


def media_file(name, content):
    directory = tempfile.mkdtemp(prefix="official-media-")
    path = os.path.join(directory, name)
    with open(path, "wb") as handle:
        handle.write(content)
    return path


@step
def dates_round_trip():
    session = new_session()
    shot = new_shot(session, "sh_dates")
    kind = task_type(session)
    aware = arrow.get("2024-01-02T03:04:05+02:00")
    naive = datetime.datetime(2024, 3, 4, 5, 6, 7)
    first = session.create("Task", {"name": "dated_a", "parent": shot, "type": kind,
                                    "start_date": aware, "end_date": naive})
    second = session.create("Task", {"name": "dated_b", "parent": shot, "type": kind,
                                     "start_date": arrow.get("2024-06-01T00:00:00+00:00")})
    session.commit()
    ids = [first["id"], second["id"]]
    session.close()
    fresh = new_session()
    task = fresh.get("Task", ids[0])
    after = fresh.query('Task where parent.id is "{0}" and start_date after "2024-02-01"'.format(
        shot["id"])).all()
    before = fresh.query('Task where parent.id is "{0}" and start_date before "2024-02-01"'
                         .format(shot["id"])).all()
    result = {
        "start_utc": task["start_date"].to("utc").isoformat(),
        "end_utc": task["end_date"].to("utc").isoformat(),
        "start_type": type(task["start_date"]).__name__,
        "after": [t["name"] for t in after],
        "before": [t["name"] for t in before],
    }
    fresh.close()
    return result


@step
def immutable_attributes():
    session = new_session()
    shot = new_shot(session, "sh_immutable")
    task = session.create("Task", {"name": "imm", "parent": shot, "type": task_type(session)})
    session.commit()
    result = {}
    try:
        task["id"] = str(uuid.uuid4())
        result["local"] = None
    except Exception as error:  # noqa: BLE001
        result["local"] = error_name(error)
    try:
        session.call([{"action": "update", "entity_type": "Task", "entity_key": [task["id"]],
                       "entity_data": {"__entity_type__": "Task", "id": "changed"}}])
        result["server"] = None
    except ftrack_api.exception.ServerError as error:
        result["server"] = str(error)
    fresh = new_session()
    result["still_there"] = fresh.get("Task", task["id"])["name"]
    fresh.close()
    session.close()
    return result


@step
def hierarchical_custom_attribute():
    session = new_session()
    data = fixture_data()
    shot = new_shot(session, "sh_hier")
    task = session.create("Task", {"name": "hier_task", "parent": shot, "type": task_type(session)})
    session.commit()
    configuration = session.create("CustomAttributeConfiguration", {
        "entity_type": "show", "is_hierarchical": True, "key": "fps", "label": "FPS",
        "type": session.query('CustomAttributeType where name is "number"').one(),
        "config": '{"isdecimal": true}', "default": 24.0,
    })
    session.commit()
    session.close()
    session = new_session()
    project = session.get("Project", data["project_id"])
    project["custom_attributes"]["fps"] = 25.0
    session.commit()
    session.close()
    fresh = new_session()
    result = {
        "configuration_id_ok": bool(configuration["id"]),
        "project_value": fresh.get("Project", data["project_id"])["custom_attributes"]["fps"],
        "task_value": fresh.get("Task", task["id"])["custom_attributes"]["fps"],
    }
    shot = fresh.get("Shot", shot["id"])
    shot["custom_attributes"]["fps"] = 30.0
    fresh.commit()
    fresh.close()
    last = new_session()
    result["task_value_after_shot"] = last.get("Task", task["id"])["custom_attributes"]["fps"]
    result["project_value_after_shot"] = last.get("Project", data["project_id"])[
        "custom_attributes"]["fps"]
    last.close()
    return result


@step
def custom_attribute_types():
    session = new_session()
    shot = new_shot(session, "sh_ca_types")
    task = session.create("Task", {"name": "typed_ca", "parent": shot, "type": task_type(session)})
    types = {name: session.query('CustomAttributeType where name is "{0}"'.format(name)).one()
             for name in ("text", "boolean", "date", "enumerator")}
    enum_config = json.dumps({"multiSelect": True, "data": json.dumps(
        [{"menu": "A", "value": "a"}, {"menu": "B", "value": "b"}])})
    for key, type_name, config, default in (
            ("ca_text", "text", '{"markdown": false}', "none yet"),
            ("ca_bool", "boolean", "{}", False),
            ("ca_date", "date", "{}", None),
            ("ca_enum", "enumerator", enum_config, [])):
        data = {"entity_type": "task", "object_type_id": TASK_OBJECT_TYPE_ID,
                "type": types[type_name], "key": key, "label": key, "config": config}
        if default is not None:
            data["default"] = default
        session.create("CustomAttributeConfiguration", data)
    session.commit()
    session.close()
    session = new_session()
    task = session.get("Task", task["id"])
    defaults = {key: task["custom_attributes"][key] for key in ("ca_text", "ca_bool", "ca_enum")}
    task["custom_attributes"]["ca_text"] = u"h\u00e9llo"
    task["custom_attributes"]["ca_bool"] = True
    task["custom_attributes"]["ca_date"] = arrow.get("2024-01-02T03:04:05+02:00")
    task["custom_attributes"]["ca_enum"] = ["a", "b"]
    session.commit()
    session.close()
    fresh = new_session()
    values = fresh.get("Task", task["id"])["custom_attributes"]
    date = values["ca_date"]
    result = {
        "defaults": defaults,
        "text": values["ca_text"],
        "bool": values["ca_bool"],
        "date_utc": date.to("utc").isoformat() if hasattr(date, "to") else repr(date),
        "enum": values["ca_enum"],
    }
    fresh.close()
    return result


@step
def custom_attributes_on_every_owner():
    session = new_session()
    number = session.query('CustomAttributeType where name is "number"').one()
    for entity_type in ("assetversion", "asset", "user", "show", "list"):
        session.create("CustomAttributeConfiguration", {
            "entity_type": entity_type, "type": number, "key": "n_" + entity_type,
            "label": entity_type, "config": '{"isdecimal": false}', "default": 0})
    session.commit()
    session.close()
    session = new_session()
    shot = new_shot(session, "sh_ca_owners")
    asset = session.create("Asset", {"name": "ca_asset", "parent": shot,
                                     "type": session.query('AssetType where short is "geo"')
                                     .one()})
    asset["custom_attributes"]["n_asset"] = 5
    version = session.create("AssetVersion", {"asset": asset})
    version["custom_attributes"]["n_assetversion"] = 6
    user = session.create("User", {"username": "ca_user_" + uuid.uuid4().hex[:6]})
    user["custom_attributes"]["n_user"] = 7
    project = session.create("Project", {
        "name": "ca_project_" + uuid.uuid4().hex[:6], "full_name": "CA owners",
        "project_schema": session.query('ProjectSchema where name is "VFX Scheme"').one()})
    project["custom_attributes"]["n_show"] = 8
    task_list = session.create("TypedContextList", {
        "name": "ca_list", "project": project,
        "category": session.query('ListCategory where name is "Default"').one(),
        "owner": admin(session)})
    task_list["custom_attributes"]["n_list"] = 9
    session.commit()
    ids = {"Asset": asset["id"], "AssetVersion": version["id"], "User": user["id"],
           "Project": project["id"], "TypedContextList": task_list["id"]}
    session.close()
    fresh = new_session()
    result = {name: dict(fresh.get(name, entity_id)["custom_attributes"])
              for name, entity_id in ids.items()}
    fresh.close()
    return result


@step
def ensure_with_typed_values():
    session = new_session()
    shot = new_shot(session, "sh_ensure_typed")
    task = session.create("Task", {"name": "ensured_log", "parent": shot,
                                   "type": task_type(session)})
    session.commit()
    user = admin(session)
    username = "typed_" + uuid.uuid4().hex[:6]
    users = [session.ensure("User", {"username": username, "is_active": True})["id"]
             for _ in range(2)]
    data = {"start": arrow.get("2024-05-06T07:08:09+00:00"), "duration": 10, "comment": "c",
            "context_id": task["id"], "user_id": user["id"]}
    logs = [session.ensure("Timelog", data)["id"] for _ in range(2)]
    count = len(session.query('Timelog where context_id is "{0}"'.format(task["id"])).all())
    session.close()
    return {"same_user": users[0] == users[1], "same_timelog": logs[0] == logs[1],
            "timelog_count": count}


@step
def server_location_components():
    session = new_session()
    server_location = session.query('Location where name is "ftrack.server"').one()
    content = b"official client upload\n" * 10
    path = media_file("plate.txt", content)
    component = session.create_component(path, data={"name": "plate"},
                                         location=server_location)
    session.commit()
    url = server_location.get_url(component)
    downloaded = requests.get(url, timeout=30)
    availability = session.get_component_availability(component)
    result = {
        "component_type": component.entity_type,
        "name": component["name"],
        "size": component["size"],
        "file_type": component["file_type"],
        "downloaded_ok": downloaded.status_code == 200 and downloaded.content == content,
        "availability_server": availability.get(ftrack_api.symbol.SERVER_LOCATION_ID),
        "locations": sorted(cl["location"]["name"] for cl in component["component_locations"]),
    }
    fresh = new_session()
    again = fresh.get("FileComponent", component["id"])
    result["fresh_size"] = again["size"]
    result["fresh_locations"] = sorted(
        cl["location"]["name"] for cl in again["component_locations"])
    fresh.close()
    session.close()
    return result


@step
def thumbnail_and_encode_media():
    session = new_session()
    shot = new_shot(session, "sh_media")
    asset = session.create("Asset", {"name": "media", "parent": shot,
                                     "type": session.query('AssetType where short is "upload"')
                                     .one()})
    version = session.create("AssetVersion", {"asset": asset})
    session.commit()
    thumb = shot.create_thumbnail(media_file("thumb.jpg", b"\xff\xd8\xff\xe0fake-jpeg"))
    session.commit()
    job = version.encode_media(media_file("movie.mov", b"fake movie bytes"))
    job_data = json.loads(job["data"])
    session.close()
    fresh = new_session()
    shot = fresh.get("Shot", shot["id"])
    job = fresh.get("Job", job["id"])
    result = {
        "thumbnail_id_ok": shot["thumbnail_id"] == thumb["id"],
        "job_type": job.entity_type,
        "job_status": job["status"],
        "outputs": sorted(output["format"] for output in job_data["output"]),
        "job_components": len(job["job_components"]),
        "version_components": sorted(c["name"] for c in
                                     fresh.get("AssetVersion", version["id"])["components"]),
    }
    fresh.close()
    return result


@step
def notes_replies_recipients_categories():
    session = new_session()
    shot = new_shot(session, "sh_notes")
    user = admin(session)
    category = session.query('NoteCategory where name is "Internal"').one()
    note = shot.create_note("Main note", author=user, recipients=[user], category=category)
    session.commit()
    reply = note.create_reply("A reply", author=user)
    session.commit()
    ids = (note["id"], reply["id"])
    session.close()
    fresh = new_session()
    note = fresh.get("Note", ids[0])
    result = {
        "content": note["content"],
        # 3.1.0 records a category as a label (a NoteLabelLink to the NoteCategory row).
        "labels": sorted(link["label"]["name"] for link in note["note_label_links"]),
        "recipients": [r["resource_id"] == user["id"] for r in note["recipients"]],
        "replies": [r["content"] for r in note["replies"]],
        "reply_in_reply_to_ok": fresh.get("Note", ids[1])["in_reply_to"]["id"] == ids[0],
        "shot_notes": sorted(n["content"] for n in fresh.get("Shot", shot["id"])["notes"]),
    }
    fresh.close()
    return result


@step
def documented_note_examples():
    """Manual notes appended to task["notes"], replies, label links, group recipients and
    attachments (NoteComponent in ftrack.server), as the official example page does."""
    session = new_session()
    shot = new_shot(session, "sh_manual_notes")
    task = session.create("Task", {"name": "noted", "parent": shot, "type": task_type(session)})
    session.commit()
    user = admin(session)
    note = session.create("Note", {"content": "manual note", "author": user})
    task["notes"].append(note)
    session.commit()
    reply = session.create("Note", {"content": "manual reply", "author": user})
    note["replies"].append(reply)
    label = session.query('NoteLabel where name is "External"').one()
    session.create("NoteLabelLink", {"note_id": note["id"], "label_id": label["id"]})
    group = session.create("Group", {"name": "Animation_" + uuid.uuid4().hex[:6]})
    session.commit()
    helper_note = task.create_note("with group", author=user, recipients=[user, group],
                                   labels=[label])
    server_location = session.query('Location where name is "ftrack.server"').one()
    component = session.create_component(media_file("attachment.txt", b"attachment"),
                                         data={"name": "My file"}, location=server_location)
    session.create("NoteComponent", {"component_id": component["id"], "note_id": note["id"]})
    session.commit()
    ids = {"task": task["id"], "note": note["id"], "helper": helper_note["id"]}
    session.close()
    fresh = new_session()
    note = fresh.get("Note", ids["note"])
    server_location = fresh.query('Location where name is "ftrack.server"').one()
    result = {
        "parent_ok": note["parent_id"] == ids["task"],
        "parent_type": note["parent_type"],
        "task_notes": sorted(n["content"] for n in fresh.get("Task", ids["task"])["notes"]),
        "replies": [r["content"] for r in note["replies"]],
        "labels": [link["label"]["name"] for link in note["note_label_links"]],
        "attachments": [requests.get(server_location.get_url(nc["component"]), timeout=30).text
                        for nc in note["note_components"]],
        "recipient_types": sorted(r["recipient"].entity_type
                                  for r in fresh.get("Note", ids["helper"])["recipients"]),
        "by_parent_id": len(fresh.query('Note where parent_id is "{0}"'.format(
            ids["task"])).all()),
    }
    fresh.close()
    return result


@step
def documented_configuration_job_and_thumbnail_examples():
    """Custom attribute configurations, jobs with attachments and thumbnails set through
    relations, as the official example pages do them."""
    session = new_session()
    data = fixture_data()
    suffix = uuid.uuid4().hex[:6]
    text = session.query('CustomAttributeType where name is "text"').one()
    folder = session.query('ObjectType where name is "Folder"').one()
    session.create("CustomAttributeConfiguration", {
        "entity_type": "task", "object_type_id": folder["id"], "type": text, "label": "Foo",
        "key": "foo_" + suffix, "default": "bar"})
    role = session.query("SecurityRole").first()
    dated = session.create("CustomAttributeConfiguration", {
        "entity_type": "assetversion",
        "type": session.query('CustomAttributeType where name is "date"').first(),
        "label": "Date attribute", "key": "date_" + suffix, "default": arrow.Arrow(2017, 2, 8),
        "write_security_roles": [role], "read_security_roles": [role]})
    scoped = session.create("CustomAttributeConfiguration", {
        "project_id": data["project_id"], "entity_type": "assetversion",
        "type": session.query('CustomAttributeType where name is "number"').first(),
        "label": "Number attribute", "key": "number_" + suffix, "default": 42,
        "config": json.dumps({"isdecimal": True})})
    session.commit()
    dated["default"] = arrow.Arrow(2018, 1, 1)
    scoped["project_id"] = None
    session.commit()

    user = admin(session)
    job = session.create("Job", {"user": user, "status": "running",
                                 "data": json.dumps({"description": "My custom job."})})
    session.commit()
    job["status"] = "done"
    server_location = session.query('Location where name is "ftrack.server"').one()
    attachment = session.create_component(media_file("job.log", b"job log"),
                                          data={"name": "My file"}, location=server_location)
    session.create("JobComponent", {"component_id": attachment["id"], "job_id": job["id"]})
    shot = new_shot(session, "sh_thumbnail_relation")
    task = session.create("Task", {"name": "thumbed", "parent": shot, "type": task_type(session)})
    thumbnail = session.create_component(media_file("image.jpg", b"\xff\xd8jpeg"),
                                         dict(name="thumbnail"), location=server_location)
    session.commit()
    task["thumbnail"] = thumbnail
    asset = session.create("Asset", {"name": "thumbed", "parent": shot,
                                     "type": session.query('AssetType where short is "img"')
                                     .one()})
    version = session.create("AssetVersion", {"asset": asset, "thumbnail": thumbnail})
    session.commit()
    version["asset"]["parent"]["thumbnail_id"] = version["thumbnail_id"]
    session.commit()
    ids = {"dated": dated["id"], "scoped": scoped["id"], "job": job["id"], "task": task["id"],
           "shot": shot["id"], "thumbnail": thumbnail["id"]}
    session.close()

    fresh = new_session()
    dated = fresh.get("CustomAttributeConfiguration", ids["dated"])
    job = fresh.get("Job", ids["job"])
    server_location = fresh.query('Location where name is "ftrack.server"').one()
    result = {
        "folder_config": len(fresh.query('CustomAttributeConfiguration where key is "foo_{0}"'
                                         .format(suffix)).all()),
        "date_default": dated["default"].to("utc").isoformat()
        if hasattr(dated["default"], "to") else repr(dated["default"]),
        "roles": [[r["name"] for r in dated["read_security_roles"]],
                  [r["name"] for r in dated["write_security_roles"]]],
        "scoped_project": fresh.get("CustomAttributeConfiguration", ids["scoped"])["project_id"],
        "job": [job["status"], json.loads(job["data"])["description"]],
        "job_attachments": [requests.get(server_location.get_url(jc["component"]),
                                         timeout=30).text for jc in job["job_components"]],
        "task_thumbnail": fresh.get("Task", ids["task"])["thumbnail_id"] == ids["thumbnail"],
        "shot_thumbnail": fresh.get("Shot", ids["shot"])["thumbnail_id"] == ids["thumbnail"],
    }
    # Change the memberships: one more reader, no writers.
    dated["read_security_roles"].append(fresh.query('SecurityRole where name is "User"').one())
    dated["write_security_roles"] = []
    fresh.commit()
    fresh.close()
    last = new_session()
    dated = last.get("CustomAttributeConfiguration", ids["dated"])
    result["roles_after_update"] = [sorted(r["name"] for r in dated["read_security_roles"]),
                                    [r["name"] for r in dated["write_security_roles"]]]
    last.close()
    return result


@step
def documented_encode_media_example():
    """session.encode_media(path), then attach the outputs to a version (example page)."""
    session = new_session()
    shot = new_shot(session, "sh_encode_doc")
    asset = session.create("Asset", {"name": "encoded", "parent": shot,
                                     "type": session.query('AssetType where short is "upload"')
                                     .one()})
    version = session.create("AssetVersion", {"asset": asset})
    session.commit()
    job = session.encode_media(media_file("movie.mov", b"movie bytes"))
    job_data = json.loads(job["data"])
    server_location = session.query("Location where name is ftrack.server").one()
    downloads = {}
    for output in job_data["output"]:
        component = session.get("FileComponent", output["component_id"])
        component["version_id"] = version["id"]
        if output["format"] == "image/jpeg":
            version["thumbnail_id"] = output["component_id"]
        response = requests.get(server_location.get_url(component), timeout=30)
        downloads[output["format"]] = response.status_code
    session.commit()
    version_id = version["id"]
    session.close()
    fresh = new_session()
    version = fresh.get("AssetVersion", version_id)
    result = {
        "downloads": downloads,
        "components": sorted(c["name"] for c in version["components"]),
        "thumbnail_set": version["thumbnail_id"] is not None,
    }
    fresh.close()
    return result


@step
def documented_metadata_web_review_and_role_examples():
    session = new_session()
    data = fixture_data()
    sequence = session.create("Sequence", {"name": "meta_seq",
                                           "parent": session.get("Project", data["project_id"])})
    sequence["metadata"]["frame_padding"] = "5"
    sequence["metadata"]["focal_length"] = "70"
    session.commit()
    sequence["metadata"] = {"frame_padding": "4"}
    session.commit()
    server_location = session.query('Location where name is "ftrack.server"').one()
    shot = new_shot(session, "sh_web_review")
    asset = session.create("Asset", {"name": "review", "parent": shot,
                                     "type": session.query('AssetType where short is "upload"')
                                     .one()})
    version = session.create("AssetVersion", {"asset": asset})
    session.commit()
    component = version.create_component(path=media_file("file.mp4", b"mp4"),
                                         data={"name": "ftrackreview-mp4"},
                                         location=server_location)
    component["metadata"]["ftr_meta"] = json.dumps({"frameIn": 0, "frameOut": 150,
                                                    "frameRate": 25, "height": 720,
                                                    "width": 1280})
    component.session.commit()
    ids = (sequence["id"], component["id"])
    session.close()
    fresh = new_session()
    component = fresh.get("FileComponent", ids[1])
    result = {
        "metadata": dict(fresh.get("Sequence", ids[0])["metadata"]),
        "metadata_has": len(fresh.query(
            'Sequence where metadata has (key is "frame_padding" and value is "4") and '
            'id is "{0}"'.format(ids[0])).all()),
        "ftr_meta_frame_out": json.loads(component["metadata"]["ftr_meta"])["frameOut"],
        "project_roles": sorted(r["name"] for r in fresh.query(
            'select name from SecurityRole where type is "PROJECT"').all()),
    }
    fresh.close()
    return result


@step
def timer_and_timelogs():
    session = new_session()
    shot = new_shot(session, "sh_timer")
    task = session.create("Task", {"name": "timed", "parent": shot, "type": task_type(session)})
    session.commit()
    user = admin(session)
    user.start_timer(task, comment="working")
    second_error = None
    try:
        user.start_timer(task, comment="again")
    except Exception as error:  # noqa: BLE001
        second_error = error_name(error)
    # The refused Timer create stays pending in the session until it is rolled back.
    session.rollback()
    user.start_timer(task, comment="forced", force=True)
    timelog = user.stop_timer()
    timelog_id = timelog["id"]
    manual = session.create("Timelog", {"user": user, "context": task, "comment": "manual",
                                        "start": arrow.get("2024-01-01T09:00:00"),
                                        "duration": 3600})
    session.commit()
    session.close()
    fresh = new_session()
    logs = fresh.query('Timelog where context_id is "{0}"'.format(task["id"])).all()
    result = {
        "second_start_error": second_error,
        "timelog_comment": fresh.get("Timelog", timelog_id)["comment"],
        "timelog_count": len(logs),
        "durations": sorted(float(log["duration"]) >= 0 for log in logs),
        "manual_duration": fresh.get("Timelog", manual["id"])["duration"],
        "timers_left": len(fresh.query('Timer where user_id is "{0}"'.format(user["id"])).all()),
    }
    fresh.close()
    return result


@step
def assignments_lists_memberships():
    session = new_session()
    data = fixture_data()
    shot = new_shot(session, "sh_assign")
    task = session.create("Task", {"name": "assigned", "parent": shot, "type": task_type(session)})
    user = admin(session)
    session.create("Appointment", {"context": task, "resource": user, "type": "assignment"})
    group = session.create("Group", {"name": "grp_" + uuid.uuid4().hex[:6]})
    session.create("Membership", {"group": group, "user": user})
    category = session.query('ListCategory where name is "Dailies"').one()
    task_list = session.create("TypedContextList", {
        "name": "dailies", "project": session.get("Project", data["project_id"]),
        "category": category, "owner": user})
    session.commit()
    task_list["items"].append(task)
    session.commit()
    ids = {"task": task["id"], "group": group["id"], "list": task_list["id"]}
    session.close()
    fresh = new_session()
    assigned = fresh.query('Task where assignments any (resource_id is "{0}") and id is "{1}"'
                           .format(user["id"], ids["task"])).all()
    group = fresh.get("Group", ids["group"])
    task_list = fresh.get("TypedContextList", ids["list"])
    result = {
        "assigned": [t["name"] for t in assigned],
        "task_assignments": [a["resource"]["id"] == user["id"]
                             for a in fresh.get("Task", ids["task"])["assignments"]],
        "group_members": [m["user"]["username"] for m in group["memberships"]],
        "list_items": [item["name"] for item in task_list["items"]],
        "list_type": task_list.entity_type,
    }
    fresh.close()
    return result


@step
def project_schema_helpers():
    session = new_session()
    schema = session.query('ProjectSchema where name is "VFX Scheme"').one()
    compositing = task_type(session)
    result = {
        "task_statuses": [s["name"] for s in schema.get_statuses("Task", compositing["id"])],
        "task_types": len(schema.get_types("Task")),
        "version_statuses": sorted(s["name"] for s in schema.get_statuses("AssetVersion")),
        "shot_statuses": [s["name"] for s in schema.get_statuses("Shot")],
        "shot_types": [t["name"] for t in schema.get_types("Shot")],
    }
    session.close()
    return result


@step
def cascading_delete():
    session = new_session()
    shot = new_shot(session, "sh_cascade")
    task = session.create("Task", {"name": "child", "parent": shot, "type": task_type(session)})
    session.commit()
    ids = (shot["id"], task["id"])
    session.delete(shot)
    session.commit()
    session.close()
    fresh = new_session()
    result = {"shot": fresh.get("Shot", ids[0]), "task": fresh.get("Task", ids[1])}
    fresh.close()
    return result


@step
def remote_actions():
    session = new_session()
    user = admin(session)
    url = session.get_widget_url("tasks", theme="dark")
    other_name = "invitee_" + uuid.uuid4().hex[:6]
    other = session.create("User", {"username": other_name, "email": other_name + "@example.com"})
    session.commit()
    session.send_user_invite(other)
    reset = session.reset_remote("api_key", entity=other)
    strict = ftrack_api.Session(auto_connect_event_hub=False, strict_api=True)
    try:
        strict.query("Task where no_such_attribute is 1").all()
        strict_error = None
    except ftrack_api.exception.ServerError as error:
        strict_error = error_name(error)
    strict.close()
    result = {
        "widget_url_is_url": url.startswith("http"),
        "widget_get": requests.get(url, timeout=30).status_code,
        "api_key_reset": isinstance(reset, dict) and bool(reset.get("api_key")),
        "strict_error": strict_error,
        "user": user["username"],
    }
    session.close()
    return result


@step
def event_hub_round_trip():
    session = ftrack_api.Session(auto_connect_event_hub=True)
    received = []
    done = threading.Event()

    def handler(event):
        received.append(event["data"].get("value"))
        done.set()
        return {"echo": event["data"].get("value")}

    replies = []
    session.event_hub.subscribe("topic=official.scenario.ping", handler)
    # Bounded waits on conditions: connect, then deliver the event to ourselves.
    for _ in range(100):
        if session.event_hub.connected:
            break
        session.event_hub.wait(0.1)
    session.event_hub.publish(
        ftrack_api.event.base.Event(topic="official.scenario.ping", data={"value": 42}),
        on_reply=lambda event: replies.append(event["data"]))
    for _ in range(100):
        if received and replies:
            break
        session.event_hub.wait(0.1)
    result = {"connected": session.event_hub.connected, "received": received,
              "replies": replies}
    session.close()
    return result


if __name__ == "__main__":
    sys.exit(main(STEPS))
