"""Issue 5 acceptance cases: sessions on real websockets against LocalServer."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from ftrack_api.event.base import Event
from ftrack_api.event.hub import EventHub, ReconnectPolicy
from ftrack_api.testing import LocalServer

from .conftest import Collector, free_port


class FastReconnectHub(EventHub):
    """The documented way to plug a custom hub into a Session."""

    reconnect_policy = ReconnectPolicy(attempts=None, delay=0.2, timeout=10.0)


def hub_threads(hub=None):
    """Live threads of *hub* (or of every hub)."""
    suffix = "-" + hub.id[:8] if hub is not None else ""
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith("ftrack-event-hub") and t.name.endswith(suffix)
    ]


@pytest.fixture
def connected_sessions(local_server):
    """Factory of sessions whose hub is connected in the background."""
    created = []

    def make(**kwargs):
        kwargs.setdefault("schema_cache_path", False)
        kwargs.setdefault("event_hub_class", FastReconnectHub)
        session = local_server.session(auto_connect_event_hub=True, **kwargs)
        created.append(session)
        assert session.event_hub.wait_until_connected(10)
        return session

    yield make
    for session in created:
        session.close()


def test_ping_reaches_subscriber_exactly_once(connected_sessions, pump):
    a, b = connected_sessions(), connected_sessions()
    assert isinstance(a.event_hub, FastReconnectHub)
    pings, end = Collector(), Collector()
    a.event_hub.subscribe("topic=test.ping and data.n=1", pings)
    a.event_hub.subscribe("topic=test.ping-end", end)
    assert a.event_hub.flush(5)  # both subscriptions are known to the server
    pump(a.event_hub)
    b.event_hub.publish(Event("test.ping", data={"n": 2}))
    b.event_hub.publish(Event("test.ping", data={"n": 1}))
    assert pings.wait_for(1, timeout=1.0)
    b.event_hub.publish(Event("test.ping-end"))
    assert end.wait_for(1)
    assert [e["data"] for e in pings.events] == [{"n": 1}]


def test_synchronous_publish_returns_both_replies(session):
    hub = session.event_hub
    hub.subscribe("topic=test.sync", lambda event: "first")
    hub.subscribe("topic=test.sync", lambda event: {"second": event["data"]["x"]})
    assert hub.publish(Event("test.sync", data={"x": 1}), synchronous=True) == [
        "first",
        {"second": 1},
    ]


def test_on_reply_gets_both_replies(connected_sessions, pump):
    asker, answerer = connected_sessions(), connected_sessions()
    answerer.event_hub.subscribe("topic=test.question", lambda event: "yes")
    answerer.event_hub.subscribe("topic=test.question", lambda event: "also yes")
    assert answerer.event_hub.flush(5)
    pump(answerer.event_hub)
    pump(asker.event_hub)
    replies = Collector()
    question = Event("test.question")
    asker.event_hub.publish(question, on_reply=replies)
    assert replies.wait_for(2)
    assert sorted(r["data"] for r in replies.events) == ["also yes", "yes"]
    assert {r["in_reply_to_event"] for r in replies.events} == {question["id"]}


def test_action_discover_and_launch_round_trip(connected_sessions, pump):
    plugin, client = connected_sessions(), connected_sessions()
    launched = Collector()

    def discover(event):
        selection = event["data"].get("selection", [])
        if not selection:
            return None
        return {
            "items": [
                {"label": "Publish", "actionIdentifier": "studio.publish", "variant": "v1"}
            ]
        }

    def launch(event):
        launched(event)
        return {"success": True, "message": "Publishing {0}".format(event["data"]["selection"][0]["entityId"])}

    username = plugin.api_user
    plugin.event_hub.subscribe(
        "topic=ftrack.action.discover and source.user.username={0}".format(username), discover
    )
    plugin.event_hub.subscribe(
        "topic=ftrack.action.launch and data.actionIdentifier=studio.publish "
        "and source.user.username={0}".format(username),
        launch,
    )
    assert plugin.event_hub.flush(5)
    pump(plugin.event_hub)
    pump(client.event_hub)

    selection = [{"entityId": "task-1", "entityType": "task"}]
    discovered = Collector()
    client.event_hub.publish(
        Event("ftrack.action.discover", data={"selection": selection}), on_reply=discovered
    )
    assert discovered.wait_for(1)
    (item,) = discovered.events[0]["data"]["items"]
    assert item["actionIdentifier"] == "studio.publish"

    results = Collector()
    launch_data = dict(item, selection=selection)
    client.event_hub.publish(Event("ftrack.action.launch", data=launch_data), on_reply=results)
    assert results.wait_for(1)
    assert results.events[0]["data"] == {"success": True, "message": "Publishing task-1"}
    assert launched.events[0]["data"]["actionIdentifier"] == "studio.publish"


def test_task_status_change_produces_one_update(connected_sessions, pump):
    writer, listener = connected_sessions(), connected_sessions()
    schema = writer.query("ProjectSchema").first()
    project = writer.create(
        "Project", {"name": "events_p", "full_name": "Events", "project_schema": schema}
    )
    task = writer.create("Task", {"name": "events_t", "parent": project})
    writer.commit()
    old_status = task["status"]["id"]
    new_status = next(s for s in writer.query("Status").all() if s["id"] != old_status)

    updates, end = Collector(), Collector()
    listener.event_hub.subscribe("topic=ftrack.update", updates)
    listener.event_hub.subscribe("topic=test.update-end", end)
    assert listener.event_hub.flush(5)
    pump(listener.event_hub)

    task["status"] = new_status
    writer.commit()
    assert updates.wait_for(1)
    writer.event_hub.publish(Event("test.update-end"))  # anything extra would arrive first
    assert end.wait_for(1)
    assert len(updates.events) == 1
    (entity,) = updates.events[0]["data"]["entities"]
    assert entity["entityId"] == task["id"] and entity["action"] == "update"
    assert entity["changes"]["statusid"] == {"old": old_status, "new": new_status["id"]}


def test_hundred_events_arrive_in_order(connected_sessions, pump):
    a, b = connected_sessions(), connected_sessions()
    seen = Collector()
    a.event_hub.subscribe("topic=test.order", seen)
    assert a.event_hub.flush(5)
    pump(a.event_hub)
    for number in range(100):
        b.event_hub.publish(Event("test.order", data={"n": number}))
    assert seen.wait_for(100)
    assert [e["data"]["n"] for e in seen.events] == list(range(100))


def test_five_second_outage(tmp_path):
    port = free_port()
    database = str(tmp_path / "outage.sqlite")
    server = LocalServer(database=database, port=port).start()
    api_key = server.api_key
    sessions = []
    try:
        def make():
            session = server.session(
                auto_connect_event_hub=True,
                schema_cache_path=False,
                event_hub_class=FastReconnectHub,
            )
            sessions.append(session)
            assert session.event_hub.wait_until_connected(10)
            return session

        a, b = make(), make()
        seen = Collector()
        a.event_hub.subscribe("topic=test.outage", seen)
        assert a.event_hub.flush(5)
        waiter = threading.Thread(target=a.event_hub.wait, daemon=True)
        waiter.start()
        b.event_hub.publish(Event("test.outage", data={"i": 0}))
        assert seen.wait_for(1)

        server.stop()
        for i in (1, 2, 3):
            a.event_hub.publish(Event("test.outage", data={"i": i}))
        time.sleep(5)  # the outage itself (issue 5: "stopped for 5 s")
        assert not a.event_hub.connected
        server = LocalServer(database=database, port=port, api_key=api_key).start()

        assert seen.wait_for(4, timeout=15)
        assert [e["data"]["i"] for e in seen.events] == [0, 1, 2, 3]
        assert b.event_hub.wait_until_connected(15)
        assert a.event_hub.flush(15)
        b.event_hub.publish(Event("test.outage", data={"i": 4}))
        assert seen.wait_for(5)
        assert [e["data"]["i"] for e in seen.events] == [0, 1, 2, 3, 4]
        a.event_hub.stop_waiting()
        waiter.join(2)
    finally:
        for session in sessions:
            session.close()
        server.stop()


def test_wait_returns_after_stop_from_another_thread(connected_sessions):
    session = connected_sessions()
    hub = session.event_hub
    running = Collector()
    hub.subscribe("topic=test.running", running)
    waiter = threading.Thread(target=hub.wait, daemon=True)
    waiter.start()
    hub.publish(Event("test.running"))
    assert running.wait_for(1)
    hub.stop_waiting()
    waiter.join(1.0)
    assert not waiter.is_alive()


def test_session_close_with_connected_hub(local_server):
    session = local_server.session(auto_connect_event_hub=True, schema_cache_path=False)
    assert session.event_hub.wait_until_connected(10)
    assert hub_threads(session.event_hub)  # at least the reader
    closer = threading.Thread(target=session.close)
    closer.start()
    closer.join(2.0)
    assert not closer.is_alive()
    assert hub_threads(session.event_hub) == []
    assert not session.event_hub.connected


def test_auto_connect_does_not_block_session_start(local_server):
    # The hub's server accepts TCP connections but never answers the handshake:
    # the session is built all the same and publishes are queued meanwhile.
    black_hole = socket.socket()
    black_hole.bind(("127.0.0.1", 0))
    black_hole.listen(8)
    url = "http://127.0.0.1:{0}".format(black_hole.getsockname()[1])

    class SilentServerHub(FastReconnectHub):
        def __init__(self, server_url, *args, **kwargs):
            super().__init__(url, *args, **kwargs)

    session = local_server.session(
        auto_connect_event_hub=True, schema_cache_path=False, event_hub_class=SilentServerHub
    )
    try:
        assert session.event_hub.get_server_url() == url
        assert not session.event_hub.connected
        assert session.event_hub.publish(Event("test.early")) is True  # queued
        assert session.query("Status").first() is not None  # the session works
        # close() does not wait for the stalled handshake
        closer = threading.Thread(target=session.close)
        closer.start()
        closer.join(2.0)
        assert not closer.is_alive()
    finally:
        black_hole.close()
