"""Robustness and edge cases run by the OFFICIAL client 3.1.0 against a server.

Same contract as ``official_scenario.py``. Covers bad credentials, non-ASCII and quoted
values, large values, default-size paging, ``like``, ``ftrack.update`` events seen by a
connected client, sequence components and component removal in ``ftrack.server``, the
built-in locations and a session without a schema cache.
"""
from __future__ import annotations

import os
import sys
import tempfile
import threading

import requests

import ftrack_api
import ftrack_api.exception
import ftrack_api.symbol

from official_scenario import (SENT, actions_since, error_name, expressions_since, main,
                               new_session, new_shot, task_type)

STEPS = []


def step(function):
    STEPS.append(function)
    return function


@step
def bad_credentials():
    result = {}
    try:
        ftrack_api.Session(api_key="not-the-key", auto_connect_event_hub=False)
        result["error"] = None
    except ftrack_api.exception.ServerError as error:
        result["error"] = error_name(error)
        result["message"] = str(error)
    try:
        ftrack_api.Session(api_user="nobody", auto_connect_event_hub=False)
        result["unknown_user"] = None
    except ftrack_api.exception.ServerError as error:
        result["unknown_user"] = error_name(error)
    return result


@step
def text_values():
    session = new_session()
    shot = new_shot(session, "sh_text")
    kind = task_type(session)
    names = [u"t\u00e2che \u65e5\u672c \U0001f3ac", 'say "hi"', "back\\slash", "limit 3",
             "it's"]
    for name in names:
        session.create("Task", {"name": name, "parent": shot, "type": kind})
    big = u"\u00e9" * 300000 + "end"
    holder = session.create("Task", {"name": "big", "parent": shot, "type": kind,
                                     "description": big})
    session.commit()
    session.close()
    fresh = new_session()
    stored = sorted(t["name"] for t in fresh.query(
        'Task where parent.id is "{0}" and name is_not "big"'.format(shot["id"])).all())
    found = {}
    for label, expression in (
            ("unicode", u'name is "t\u00e2che \u65e5\u672c \U0001f3ac"'),
            ("quoted", 'name is "say \\"hi\\""'),
            ("backslash", 'name is "back\\\\slash"'),
            ("keyword", 'name is "limit 3"'),
            ("apostrophe", "name is \"it's\""),
            ("like", 'name like "say%"')):
        mark = len(SENT)
        try:
            rows = fresh.query('select name from Task where parent.id is "{0}" and {1}'.format(
                shot["id"], expression)).all()
            found[label] = [row["name"] for row in rows]
        except Exception as error:  # noqa: BLE001
            found[label] = error_name(error) + ": " + str(error)
        if label == "keyword":
            found["keyword_sent"] = expressions_since(mark)
    result = {
        "stored": stored,
        "expected": sorted(names),
        "found": found,
        "big_ok": fresh.get("Task", holder["id"])["description"] == big,
    }
    fresh.close()
    return result


@step
def default_page_size():
    session = new_session()
    shot = new_shot(session, "sh_many")
    kind = task_type(session)
    for index in range(620):
        session.create("Task", {"name": "many_{0:04d}".format(index), "parent": shot,
                                "type": kind})
    session.commit()
    mark = len(SENT)
    names = [t["name"] for t in session.query(
        'Task where parent.id is "{0}" order by name'.format(shot["id"])).all()]
    expressions = expressions_since(mark)
    session.close()
    return {
        "count": len(names),
        "in_order": names == sorted(names),
        "first_last": [names[0], names[-1]] if names else [],
        "page_tails": [e.rsplit(" offset ", 1)[1] for e in expressions],
    }


@step
def update_events_reach_a_connected_client():
    listener = ftrack_api.Session(auto_connect_event_hub=True)
    seen = []
    arrived = threading.Event()

    def on_update(event):
        for entity in event["data"].get("entities", []):
            seen.append({"entityType": entity.get("entityType"), "action": entity.get("action"),
                         "entityId": entity.get("entityId")})
        arrived.set()

    listener.event_hub.subscribe("topic=ftrack.update", on_update)
    for _ in range(100):
        if listener.event_hub.connected:
            break
        listener.event_hub.wait(0.1)
    # Subscriptions travel with the connection; a round trip to ourselves proves the
    # server has them before the update is caused.
    ready = []
    listener.event_hub.subscribe("topic=official.robustness.ready", lambda e: ready.append(1))
    listener.event_hub.publish(ftrack_api.event.base.Event(topic="official.robustness.ready"))
    for _ in range(100):
        if ready:
            break
        listener.event_hub.wait(0.1)
    writer = new_session()
    shot = new_shot(writer, "sh_events")
    task = writer.create("Task", {"name": "evented", "parent": shot, "type": task_type(writer)})
    writer.commit()
    task_id = task["id"]
    writer.close()
    for _ in range(100):
        if any(item["entityId"] == task_id for item in seen):
            break
        listener.event_hub.wait(0.1)
    listener.close()
    mine = [item for item in seen if item["entityId"] == task_id]
    return {"ready": bool(ready), "task_events": mine}


@step
def sequence_component_and_removal():
    session = new_session()
    server_location = session.query('Location where name is "ftrack.server"').one()
    directory = tempfile.mkdtemp(prefix="official-seq-")
    for frame in (1, 2, 3):
        with open(os.path.join(directory, "plate.{0:04d}.txt".format(frame)), "wb") as handle:
            handle.write(("frame %d\n" % frame).encode())
    sequence = session.create_component(
        os.path.join(directory, "plate.%04d.txt [1-3]"), data={"name": "plate_seq"},
        location=server_location)
    session.commit()
    members = sorted(sequence["members"], key=lambda m: m["name"])
    contents = [requests.get(server_location.get_url(m), timeout=30).content for m in members]
    single_path = os.path.join(directory, "single.txt")
    with open(single_path, "wb") as handle:
        handle.write(b"remove me")
    single = session.create_component(single_path, location=server_location)
    session.commit()
    before = session.get_component_availability(single)[server_location["id"]]
    server_location.remove_component(single)
    session.commit()
    fresh = new_session()
    again = fresh.get("FileComponent", single["id"])
    after = fresh.get_component_availability(again)[ftrack_api.symbol.SERVER_LOCATION_ID]
    result = {
        "type": sequence.entity_type,
        "padding": sequence["padding"],
        "members": [m["name"] for m in members],
        "contents": [c.decode("utf8", "replace") for c in contents],
        "availability_before_removal": before,
        "availability_after_removal": after,
    }
    fresh.close()
    session.close()
    return result


@step
def builtin_locations():
    session = new_session()
    names = sorted(location["name"] for location in session.query("Location").all())
    picked = session.pick_location()
    result = {
        "names": names,
        "server_id": session.get("Location", ftrack_api.symbol.SERVER_LOCATION_ID)["name"],
        "picked": None if picked is None else picked["name"],
    }
    session.close()
    return result


@step
def no_schema_cache():
    mark = len(SENT)
    session = ftrack_api.Session(schema_cache_path=False, auto_connect_event_hub=False)
    actions = actions_since(mark)
    count = len(session.types)
    session.close()
    return {"actions": actions, "type_count_positive": count > 0}


@step
def ensure_with_entity_values():
    """3.1.0 renders entity values of ensure() with str(); the server must answer clearly."""
    session = new_session()
    shot = new_shot(session, "sh_ensure_entities")
    asset_type = session.query('AssetType where short is "geo"').one()
    ids = []
    result = {}
    for _ in range(2):
        try:
            ids.append(session.ensure("Asset", {"name": "entity_valued", "type": asset_type,
                                                "parent": shot})["id"])
            result["error"] = None
        except ftrack_api.exception.ServerError as error:
            result["error"] = error_name(error)
            result["message"] = str(error)
            session.rollback()
    result["same"] = len(ids) == 2 and ids[0] == ids[1]
    session.close()
    return result


if __name__ == "__main__":
    sys.exit(main(STEPS))
