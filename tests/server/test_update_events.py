"""ftrack.update events published through the event hub after committed batches."""
from __future__ import annotations

import json
import uuid
from typing import Any, Dict

import pytest
import requests

from .conftest import Api

websocket = pytest.importorskip("websocket")


class Listener:
    """A raw socket.io 0.9 client subscribed to ``topic=ftrack.update``."""

    def __init__(self, api: Api) -> None:
        server = api.server
        reply = requests.get(server.url + "/socket.io/1/", headers=api.headers, timeout=30)
        assert reply.status_code == 200, reply.text
        sid = reply.text.split(":")[0]
        self.ws = websocket.create_connection(
            server.url.replace("http://", "ws://") + f"/socket.io/1/websocket/{sid}", timeout=30)
        assert self.ws.recv() == "1::"
        subscriber = uuid.uuid4().hex
        event = {"id": uuid.uuid4().hex, "topic": "ftrack.meta.subscribe",
                 "data": {"subscriber": {"id": subscriber},
                          "subscription": "topic=ftrack.update"},
                 "source": {"id": subscriber}, "target": "", "inReplyToEvent": None,
                 "sent": None}
        self.ws.send("5:1+::" + json.dumps({"name": "ftrack.event", "args": [event]}))
        while True:
            frame = self.ws.recv()
            if frame.startswith("6:::1+"):
                assert json.loads(frame[6:])[0]["success"] is True
                break

    def next_update(self) -> Dict[str, Any]:
        while True:
            frame = self.ws.recv()
            if frame.startswith("2::"):
                self.ws.send("2::")
                continue
            if frame.startswith("5:::"):
                payload = json.loads(frame[4:])
                event = payload["args"][0]
                if event["topic"] == "ftrack.update":
                    return event

    def close(self) -> None:
        self.ws.close()


@pytest.fixture
def listener(api: Api):
    lst = Listener(api)
    yield lst
    lst.close()


def test_status_change_publishes_statusid_change(api: Api, listener: Listener) -> None:
    project = api.project()
    shot = api.create("Shot", name="sh", parent=api.ref(project))
    task = api.create("Task", name="t", parent=api.ref(shot))
    for _ in range(3):  # the three creates above
        listener.next_update()
    status = api.rows('select id from Status where name is "In Progress"')[0]
    api.call([{"action": "update", "entity_type": "Task", "entity_key": [task["id"]],
               "entity_data": {"__entity_type__": "Task", "status": api.ref(status)}}],
             headers={"ftrack-clienttoken": "token-1"})
    event = listener.next_update()
    assert event["topic"] == "ftrack.update" and event["source"]["id"] == "server"
    data = event["data"]
    assert data["clientToken"] == "token-1"
    assert data["user"]["name"] == api.server.api_user
    (entity,) = data["entities"]
    assert entity["entityId"] == task["id"] and entity["entity_type"] == "Task"
    assert entity["entityType"] == "task" and entity["action"] == "update"
    assert entity["changes"]["statusid"] == {"old": task["status_id"], "new": status["id"]}
    assert entity["keys"] == ["statusid"]
    assert entity["parentId"] == shot["id"]
    assert [(p["entityId"], p["entityType"], p["entity_type"]) for p in entity["parents"]] == [
        (task["id"], "task", "Task"), (shot["id"], "task", "Shot"), (project["id"], "show", "Project")]
    assert entity["parents"][1]["parentId"] == project["id"]
    assert entity["objectTypeId"] == "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c"


def test_one_event_per_batch_with_add_and_remove(api: Api, listener: Listener) -> None:
    project = api.project()
    listener.next_update()
    task_id = str(uuid.uuid4())
    api.ok([{"action": "create", "entity_type": "Shot",
             "entity_data": {"id": task_id, "name": "a", "parent": api.ref(project)}},
            {"action": "create", "entity_type": "Shot",
             "entity_data": {"name": "b", "parent": api.ref(project)}}])
    event = listener.next_update()
    assert [e["action"] for e in event["data"]["entities"]] == ["add", "add"]
    assert event["data"]["entities"][0]["changes"]["name"] == {"old": None, "new": "a"}
    api.delete("Shot", task_id)
    event = listener.next_update()
    assert [(e["action"], e["entityId"]) for e in event["data"]["entities"]] == [
        ("remove", task_id)]


def test_failed_batch_publishes_nothing(api: Api, listener: Listener) -> None:
    api.call([{"action": "create", "entity_type": "Job", "entity_data": {"bogus": 1}}])
    marker = api.create("Job")
    event = listener.next_update()
    assert [e["entityId"] for e in event["data"]["entities"]] == [marker["id"]]


def test_custom_attribute_change_is_reported_on_its_owner(api: Api, listener: Listener) -> None:
    key = f"ev_{uuid.uuid4().hex[:6]}"
    number = api.rows('select id from CustomAttributeType where name is "number"')[0]["id"]
    api.create("CustomAttributeConfiguration", key=key, label=key, entity_type="show",
               type_id=number, default=1, config="{}")
    project = api.project()
    listener.next_update()
    listener.next_update()
    row = api.rows(f'select custom_attributes from Project where id is "{project["id"]}"')[0]
    item = [i for i in row["custom_attributes"] if i["key"] == key][0]
    api.update("ContextCustomAttributeValue", [item["configuration_id"], project["id"]], value=5)
    event = listener.next_update()
    (entity,) = event["data"]["entities"]
    assert entity["entityId"] == project["id"] and entity["entityType"] == "show"
    assert entity["keys"] == [key] and entity["changes"][key] == {"old": None, "new": 5}
