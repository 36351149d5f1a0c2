"""A hostile raw socket.io client on the local event hub must not hurt anybody else."""
from __future__ import annotations

import json
import threading
from typing import Any, List

import pytest
import requests
import websocket

from ftrack_api.event.base import Event

from .conftest import Seen


def raw_client(server):
    headers = {"ftrack-user": server.api_user, "ftrack-api-key": server.api_key}
    handshake = requests.get(server.url + "/socket.io/1/", headers=headers, timeout=30)
    sid = handshake.text.split(":")[0]
    ws = websocket.create_connection(
        server.url.replace("http://", "ws://") + "/socket.io/1/websocket/" + sid, timeout=20)
    assert ws.recv() == "1::"
    return ws


def recv_until(ws, prefix: str) -> str:
    while True:
        frame = ws.recv()
        if frame.startswith(prefix):
            return frame


def publish_frame(number: int, event: Any) -> str:
    return "5:{0}+::{1}".format(number, json.dumps({"name": "ftrack.event", "args": [event]}))


@pytest.fixture
def observer(local_server):
    session = local_server.session(auto_connect_event_hub=True, schema_cache_path=False)
    assert session.event_hub.wait_until_connected(10)
    waiter = threading.Thread(target=session.event_hub.wait, daemon=True)
    waiter.start()
    yield session
    session.event_hub.stop_waiting()
    waiter.join(5)
    session.close()


GARBAGE = [
    "garbage", "", "9::", "5:::", "5:::{", "5:::[]", '5:::{"name": 5}',
    '5:::{"name":"ftrack.event","args":5}', '5:::{"name":"ftrack.event","args":[5]}',
    "5:1+::" + "[" * 100000 + "]" * 100000,
    '5:2+::{"name":"ftrack.event","args":[' + '{"a":' * 50000 + "1" + "}" * 50000 + "]}",
    "6:::1+[]",
]


def test_garbage_frames_get_errors_and_the_hub_keeps_serving(local_server, observer):
    seen = Seen()
    observer.event_hub.subscribe("topic=adv.wire.after", seen)
    assert observer.event_hub.flush(10)
    ws = raw_client(local_server)
    try:
        for frame in GARBAGE:
            ws.send(frame)
        ws.send(publish_frame(3, {"topic": "adv.wire.after", "data": {"n": 1}}))
        assert recv_until(ws, "6:::3+") == '6:::3+[{"success": true}]'
    finally:
        ws.close()
    assert seen.wait_until(lambda events: len(events) == 1)
    other = local_server.session(auto_connect_event_hub=True, schema_cache_path=False)
    try:
        assert other.event_hub.wait_until_connected(10)
        other.event_hub.publish(Event("adv.wire.after", data={"n": 2}))
        assert seen.wait_until(lambda events: len(events) == 2)
    finally:
        other.close()
    assert [e["data"]["n"] for e in seen.events] == [1, 2]


MALFORMED_EVENTS = [
    {"topic": "adv.wire.reply", "data": {"n": 0}, "source": 5},
    {"topic": "adv.wire.reply", "data": {"n": 1}, "source": {"user": "no id"}},
    {"topic": "adv.wire.reply", "data": {"n": 2}, "source": None, "target": 5},
    {"topic": "adv.wire.reply", "data": {"n": 3}, "source": {"id": None}, "inReplyToEvent": 5},
    {"topic": "adv.wire.reply", "data": [1, 2]},
    {"topic": "adv.wire.reply", "data": "text", "sent": "not a date"},
]


def test_malformed_events_from_another_client_never_stop_a_replying_hub(local_server, observer):
    seen = Seen(answer={"pong": True})
    observer.event_hub.subscribe("topic=adv.wire.reply", seen)
    assert observer.event_hub.flush(10)
    ws = raw_client(local_server)
    try:
        for number, event in enumerate(MALFORMED_EVENTS, start=1):
            ws.send(publish_frame(number, event))
            recv_until(ws, "6:::{0}+".format(number))
    finally:
        ws.close()
    asker = local_server.session(auto_connect_event_hub=True, schema_cache_path=False)
    try:
        assert asker.event_hub.wait_until_connected(10)
        replies = Seen()
        asker.event_hub.publish(Event("adv.wire.reply", data={"n": "final"}), on_reply=replies)
        waiter = threading.Thread(target=asker.event_hub.wait, args=(20,), daemon=True)
        waiter.start()
        assert replies.wait_until(lambda events: len(events) == 1)
        assert replies.events[0]["data"] == {"pong": True}
        asker.event_hub.stop_waiting()
        waiter.join(5)
    finally:
        asker.close()
    assert seen.wait_until(lambda events: any(
        isinstance(e["data"], dict) and e["data"].get("n") == "final" for e in events))
    assert observer.event_hub.connected


@pytest.mark.parametrize("expression", [
    "not " * 20000 + "topic=adv.deep",
    "not (" * 3000 + "topic=adv.deep" + ")" * 3000,
    "(topic=adv.deep and (" * 2000 + "topic=adv.deep" + "))" * 2000,
])
def test_a_deeply_nested_subscription_cannot_break_routing(local_server, observer, expression):
    ws = raw_client(local_server)
    try:
        ws.send(publish_frame(1, {"topic": "ftrack.meta.subscribe",
                                  "data": {"subscriber": {"id": "deep"}, "subscription": expression}}))
        ack = recv_until(ws, "6:::1+")
        assert '"success": false' in ack and "nested" in ack
        seen = Seen()
        observer.event_hub.subscribe("topic=adv.deep", seen)
        assert observer.event_hub.flush(10)
        observer.event_hub.publish(Event("adv.deep"))
        assert seen.wait_until(lambda events: len(events) == 1)
        ws.send(publish_frame(2, {"topic": "adv.deep", "data": {}}))
        assert recv_until(ws, "6:::2+") == '6:::2+[{"success": true}]'
        assert seen.wait_until(lambda events: len(events) == 2)
    finally:
        ws.close()
    assert observer.event_hub.connected


def test_a_deeply_nested_local_subscription_is_a_parse_error():
    from ftrack_api.event.hub import EventHub
    from ftrack_api.exception import ParseError

    hub = EventHub("http://127.0.0.1:1", "user", "key")
    with pytest.raises(ParseError, match="nested"):
        hub.subscribe("not " * 5000 + "topic=x", lambda event: "never")
    hub.subscribe("topic=adv.fine", lambda event: "fine")
    assert hub.publish(Event("adv.fine"), synchronous=True) == ["fine"]
    assert str(hub.subscribe("not not topic=adv.fine", lambda event: None))
