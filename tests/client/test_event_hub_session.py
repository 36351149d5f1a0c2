"""The session's event hub: auto connection, location events and disconnect on close."""
from __future__ import annotations

import threading

import ftrack_api.event.base


def test_auto_connect_event_hub(local_server, tmp_path):
    session = local_server.session(schema_cache_path=str(tmp_path), auto_connect_event_hub=True)
    try:
        assert session.event_hub.wait_until_connected(timeout=30)
        received = threading.Event()
        payload = {}

        def callback(event):
            payload.update(event["data"])
            received.set()

        session.event_hub.subscribe("topic=client.test.ping", callback)
        session.event_hub.publish(ftrack_api.event.base.Event(topic="client.test.ping", data={"n": 1}))
        deadline_ok = False
        for _ in range(60):
            session.event_hub.wait(0.5)
            if received.is_set():
                deadline_ok = True
                break
        assert deadline_ok
        assert payload == {"n": 1}
    finally:
        session.close()
    assert not session.event_hub.connected
    assert session._auto_connect_thread is None or not session._auto_connect_thread.is_alive()


def test_session_without_auto_connect_is_not_connected(session):
    assert not session.event_hub.connected
    results = session.event_hub.publish(
        ftrack_api.event.base.Event(topic="local.only", data={}), synchronous=True
    )
    assert results == []
