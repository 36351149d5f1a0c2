"""Event hub across a server restart: what the event helper's own outage tests leave out."""
from __future__ import annotations

import threading
from typing import Any, List

import pytest

from ftrack_api.event.base import Event
from ftrack_api.event.hub import EventHub
from ftrack_api.event._policy import ReconnectPolicy
from ftrack_api.testing import LocalServer

from .conftest import Seen, free_port


class QuickHub(EventHub):
    """Reconnects every 0.2 s without giving up."""

    reconnect_policy = ReconnectPolicy(attempts=None, delay=0.2, timeout=10.0)


@pytest.fixture
def restartable(tmp_path):
    state = {"port": free_port(), "database": str(tmp_path / "hub.sqlite")}
    state["server"] = LocalServer(database=state["database"], port=state["port"]).start()
    sessions: List[Any] = []
    waiters: List[Any] = []

    def session():
        made = state["server"].session(auto_connect_event_hub=True, schema_cache_path=False,
                                       event_hub_class=QuickHub)
        assert made.event_hub.wait_until_connected(10)
        waiter = threading.Thread(target=made.event_hub.wait, daemon=True)
        waiter.start()
        sessions.append(made)
        waiters.append((made, waiter))
        return made

    def stop():
        state["server"].stop()

    def start():
        state["server"] = LocalServer(database=state["database"], port=state["port"]).start()

    yield session, stop, start
    for made, waiter in waiters:
        made.event_hub.stop_waiting()
        waiter.join(5)
    for made in sessions:
        made.close()
    state["server"].stop()


def test_subscriptions_changed_during_an_outage_are_applied_after_reconnect(restartable):
    session, stop, start = restartable
    a, b = session(), session()
    kept, added, removed = Seen(), Seen(), Seen()
    a.event_hub.subscribe("topic=adv.kept", kept)
    gone = a.event_hub.subscribe("topic=adv.removed", removed)
    assert a.event_hub.flush(10)

    stop()
    a.event_hub.subscribe("topic=adv.added", added)
    a.event_hub.unsubscribe(gone)
    start()

    assert a.event_hub.wait_until_connected(20)
    assert b.event_hub.wait_until_connected(20)
    assert a.event_hub.flush(10) and b.event_hub.flush(10)
    b.event_hub.publish(Event("adv.removed", data={"n": 1}))
    b.event_hub.publish(Event("adv.added", data={"n": 2}))
    b.event_hub.publish(Event("adv.kept", data={"n": 3}))
    assert added.wait_for(1)
    assert kept.wait_for(1)
    assert [e["data"]["n"] for e in added.events] == [2]
    assert [e["data"]["n"] for e in kept.events] == [3]
    assert removed.events == []


def test_replies_are_routed_after_a_reconnect(restartable):
    session, stop, start = restartable
    a, b = session(), session()
    a.event_hub.subscribe("topic=adv.ask", Seen(answer={"pong": True}))
    assert a.event_hub.flush(10)
    stop()
    start()
    assert a.event_hub.wait_until_connected(20) and b.event_hub.wait_until_connected(20)
    assert a.event_hub.flush(10)
    replies = Seen()
    b.event_hub.publish(Event("adv.ask"), on_reply=replies)
    assert replies.wait_for(1)
    assert replies.events[0]["data"] == {"pong": True}


def test_synchronous_publish_during_an_outage_is_local(restartable):
    session, stop, start = restartable
    a = session()
    a.event_hub.subscribe("topic=adv.local", Seen(answer="local answer"))
    stop()
    try:
        assert a.event_hub.publish(Event("adv.local"), synchronous=True) == ["local answer"]
    finally:
        start()
    assert a.event_hub.wait_until_connected(20)


@pytest.mark.parametrize("how", ["close", "disconnect", "close-in-callback"])
def test_a_running_wait_returns_when_the_session_is_closed(local_server, how):
    session = local_server.session(auto_connect_event_hub=True, schema_cache_path=False)
    try:
        hub = session.event_hub
        assert hub.wait_until_connected(10)
        started = Seen()
        hub.subscribe("topic=adv.started", started)
        if how == "close-in-callback":
            hub.subscribe("topic=adv.close-now", lambda event: session.close())
        assert hub.flush(10)
        waiter = threading.Thread(target=hub.wait)
        waiter.start()
        hub.publish(Event("adv.started"))
        assert started.wait_for(1)  # wait() is running and dispatching
        if how == "close":
            session.close()
        elif how == "disconnect":
            hub.disconnect()
        else:
            hub.publish(Event("adv.close-now"))
        waiter.join(10)
        assert not waiter.is_alive(), "wait() outlived the closed session"
    finally:
        session.close()


def test_reconnect_does_not_end_a_running_wait(local_server):
    session = local_server.session(auto_connect_event_hub=True, schema_cache_path=False,
                                   event_hub_class=QuickHub)
    try:
        hub = session.event_hub
        assert hub.wait_until_connected(10)
        seen = Seen()
        hub.subscribe("topic=adv.after-reconnect", seen)
        assert hub.flush(10)
        waiter = threading.Thread(target=hub.wait, daemon=True)
        waiter.start()
        hub.reconnect(attempts=5, delay=0.2)
        assert hub.wait_until_connected(10) and hub.flush(10)
        hub.publish(Event("adv.after-reconnect"))
        assert seen.wait_for(1)
        assert waiter.is_alive()
        hub.stop_waiting()
        waiter.join(10)
        assert not waiter.is_alive()
    finally:
        session.close()
