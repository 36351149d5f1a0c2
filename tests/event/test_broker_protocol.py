"""Server side of the event hub, byte for byte over real websockets (LocalServer)."""
from __future__ import annotations

import json

import pytest
import requests
import websocket

from ftrack_api.testing import LocalServer


@pytest.fixture(scope="module")
def server():
    with LocalServer(database=":memory:", heartbeat_interval=0.2) as running:
        yield running


def handshake(server, **kwargs):
    return requests.get(server.url + "/socket.io/1/", timeout=10, **kwargs)


def open_socket(server):
    response = handshake(
        server, headers={"ftrack-user": server.api_user, "ftrack-api-key": server.api_key}
    )
    assert response.status_code == 200
    sid = response.text.split(":")[0]
    ws = websocket.create_connection(
        "ws://127.0.0.1:{0}/socket.io/1/websocket/{1}".format(server.port, sid), timeout=10
    )
    assert ws.recv() == "1::"
    return RawClient(ws)


class RawClient:
    def __init__(self, ws):
        self.ws = ws
        self.counter = 0

    def publish(self, event, ack=True):
        if ack:
            self.counter += 1
            frame = "5:{0}+::".format(self.counter)
        else:
            frame = "5:::"
        self.ws.send(frame + json.dumps({"name": "ftrack.event", "args": [event]}))
        return self.counter

    def subscribe(self, subscriber_id, expression, **metadata):
        metadata["id"] = subscriber_id
        return self.publish(
            {"topic": "ftrack.meta.subscribe", "data": {"subscriber": metadata, "subscription": expression}}
        )

    def recv(self, skip_heartbeats=True):
        while True:
            frame = self.ws.recv()
            if skip_heartbeats and frame == "2::":
                continue
            return frame

    def expect_ack(self, number, success=True):
        frame = self.recv()
        prefix = "6:::{0}+".format(number)
        assert frame.startswith(prefix), frame
        (result,) = json.loads(frame[len(prefix):])
        assert result["success"] is success, result
        return result

    def expect_event(self):
        frame = self.recv()
        assert frame.startswith("5:::"), frame
        payload = json.loads(frame[4:])
        assert payload["name"] == "ftrack.event" and len(payload["args"]) == 1
        return payload["args"][0]

    def close(self):
        self.ws.close()


def test_handshake_with_headers(server):
    response = handshake(
        server, headers={"FTRACK-USER": server.api_user, "ftrack-api-key": server.api_key}
    )
    assert response.status_code == 200
    sid, heartbeat, close, transports = response.text.split(":")
    assert sid and heartbeat.isdigit() and close.isdigit()
    assert "websocket" in transports.split(",")


def test_handshake_with_query_parameters(server):
    response = handshake(server, params={"api_user": server.api_user, "api_key": server.api_key})
    assert response.status_code == 200
    assert len(response.text.split(":")) == 4


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"headers": {"ftrack-user": "admin", "ftrack-api-key": "wrong"}}, {"params": {"api_user": "x"}}],
)
def test_handshake_refused_without_valid_credentials(server, kwargs):
    assert handshake(server, **kwargs).status_code == 401


def test_websocket_needs_a_handshake_sid(server):
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        websocket.create_connection(
            "ws://127.0.0.1:{0}/socket.io/1/websocket/made-up".format(server.port), timeout=5
        )
    assert info.value.status_code == 403


def test_sid_is_single_use(server):
    response = handshake(
        server, headers={"ftrack-user": server.api_user, "ftrack-api-key": server.api_key}
    )
    url = "ws://127.0.0.1:{0}/socket.io/1/websocket/{1}".format(server.port, response.text.split(":")[0])
    first = websocket.create_connection(url, timeout=5)
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(url, timeout=5)
    first.close()


def test_heartbeats_sent(server):
    client = open_socket(server)
    assert client.recv(skip_heartbeats=False) == "2::"
    client.ws.send("2:::")  # Python style reply
    client.ws.send("2::")  # JS style reply
    assert client.recv(skip_heartbeats=False) == "2::"
    client.close()


def test_ack_format_and_delivery_to_sender(server):
    client = open_socket(server)
    number = client.subscribe("sub-1", "topic=proto.a")
    client.expect_ack(number)
    assert client.ws.sock is not None
    event_number = client.publish({"topic": "proto.a", "id": "e1", "data": {"x": 1}})
    event = client.expect_event()
    assert event == {
        "id": "e1",
        "topic": "proto.a",
        "data": {"x": 1},
        "sent": None,
        "source": {},
        "target": "",
        "inReplyToEvent": None,
    }
    frame = client.recv()
    assert frame == '6:::{0}+[{{"success": true}}]'.format(event_number)
    client.close()


def test_only_standard_keys_and_reply_spelling(server):
    client = open_socket(server)
    client.expect_ack(client.subscribe("sub-1", "topic=proto.keys"))
    client.publish({"topic": "proto.keys", "id": "k", "extra": 1, "in_reply_to_event": "orig"}, ack=False)
    event = client.expect_event()
    assert set(event) == {"id", "topic", "data", "sent", "source", "target", "inReplyToEvent"}
    assert event["inReplyToEvent"] == "orig"
    client.close()


def test_once_per_connection_and_dedupe_by_subscriber_id(server):
    receiver, sender = open_socket(server), open_socket(server)
    receiver.expect_ack(receiver.subscribe("s1", "topic=proto.one"))
    receiver.expect_ack(receiver.subscribe("s2", "topic=proto.*"))
    # same id again: replaces, never duplicates
    receiver.expect_ack(receiver.subscribe("s2", "topic=proto.other"))
    sender.expect_ack(sender.publish({"topic": "proto.one", "id": "a"}))
    sender.expect_ack(sender.publish({"topic": "proto.two", "id": "b"}))
    sender.expect_ack(sender.publish({"topic": "proto.other", "id": "c"}))
    assert receiver.expect_event()["id"] == "a"
    assert receiver.expect_event()["id"] == "c"  # "b" matched only the replaced expression
    receiver.close()
    sender.close()


def test_meta_events_are_consumed_and_unsubscribe(server):
    watcher, client = open_socket(server), open_socket(server)
    watcher.expect_ack(watcher.subscribe("w", "topic=ftrack.meta.* or topic=proto.end"))
    client.expect_ack(client.subscribe("s1", "topic=proto.u"))
    number = client.publish({"topic": "ftrack.meta.unsubscribe", "data": {"subscriber": {"id": "s1"}}})
    client.expect_ack(number)
    number = client.publish({"topic": "ftrack.meta.unsubscribe", "data": {"subscriber": {"id": "s1"}}})
    assert "message" in client.expect_ack(number, success=False)
    client.publish({"topic": "proto.end", "id": "end"}, ack=False)
    assert watcher.expect_event()["id"] == "end"  # no meta event was forwarded first
    watcher.close()
    client.close()


def test_target_matched_against_subscriber_metadata(server):
    review, other, sender = open_socket(server), open_socket(server), open_socket(server)
    review.expect_ack(review.subscribe("r", "topic=proto.t", applicationId="ftrack.client.review"))
    other.expect_ack(other.subscribe("o", "topic=proto.t or topic=proto.end", applicationId="other"))
    sender.publish({"topic": "proto.t", "id": "t1", "target": "applicationId=ftrack.client.review"}, ack=False)
    sender.publish({"topic": "proto.end", "id": "end"}, ack=False)
    assert review.expect_event()["id"] == "t1"
    assert other.expect_event()["id"] == "end"
    for client in (review, other, sender):
        client.close()


def test_bad_input_gets_failure_acks(server):
    client = open_socket(server)
    assert "message" in client.expect_ack(client.subscribe("s", "topic="), success=False)
    number = client.publish({"data": {}})
    assert "topic" in client.expect_ack(number, success=False)["message"]
    number = client.publish({"topic": "proto.x", "target": "id=("})
    client.expect_ack(number, success=False)
    client.ws.send("not a frame")
    assert client.recv().startswith("7:::")
    client.close()


def test_a_connection_that_stops_reading_is_dropped(monkeypatch):
    import asyncio
    import types

    import ftrack_api.testing._events._broker as broker_module

    from .conftest import API_KEY, API_USER, BrokerServer

    monkeypatch.setattr(broker_module, "MAX_QUEUED_FRAMES", 5)
    with BrokerServer() as small:
        client = open_socket(types.SimpleNamespace(url=small.url, port=small.port,
                                                   api_user=API_USER, api_key=API_KEY))
        client.expect_ack(client.subscribe("s", "topic=proto.flood"))

        async def flood():
            # 200 events routed in one loop iteration, before the writer can run
            for number in range(200):
                small.broker.publish({"topic": "proto.flood", "id": str(number)})

        asyncio.run_coroutine_threadsafe(flood(), small._loop).result(5)
        received = []
        with pytest.raises(websocket.WebSocketConnectionClosedException):
            while True:
                frame = client.ws.recv()
                if not frame:
                    raise websocket.WebSocketConnectionClosedException("closed")
                received.append(frame)
        assert len(received) <= 5  # the queue's worth at most, then the socket closed


def test_javascript_client_style_session(server):
    """Query-string credentials, no acks, ``2::`` heartbeat replies (the JS client)."""
    credentials = {"api_user": server.api_user, "api_key": server.api_key}
    response = handshake(server, params=credentials)
    sid = response.text.split(":")[0]
    ws = websocket.create_connection(
        "ws://127.0.0.1:{0}/socket.io/1/websocket/{1}?api_user={2}&api_key={3}".format(
            server.port, sid, server.api_user, server.api_key
        ),
        timeout=10,
    )
    client = RawClient(ws)
    assert ws.recv() == "1::"
    subscriber = {"id": "js-uuid-with-dashes", "applicationId": "ftrack.api.javascript"}
    client.publish(
        {"topic": "ftrack.meta.subscribe", "data": {"subscriber": subscriber, "subscription": "topic=js.*"}},
        ack=False,
    )
    client.publish({"topic": "js.hello", "id": "j1", "data": {}, "source": {"id": "js"}}, ack=False)
    event = client.expect_event()
    assert event["id"] == "j1" and event["source"] == {"id": "js"}
    assert client.recv(skip_heartbeats=False) == "2::"
    ws.send("2::")
    client.close()
