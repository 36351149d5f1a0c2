"""The sans-I/O socket.io 0.9 codec, tested as a client/server pair in memory."""
from __future__ import annotations

import itertools
import json

import pytest

from ftrack_api.event import _socketio as sio
from ftrack_api.exception import EventHubConnectionError, EventHubPacketError


class ConnectionPair:
    """A client and a server Connection joined in memory (h11 style)."""

    def __init__(self, packet_ids=None):
        kwargs = {} if packet_ids is None else {"packet_ids": packet_ids}
        self.client = sio.Connection(sio.Role.CLIENT, **kwargs)
        self.server = sio.Connection(sio.Role.SERVER)
        self.wire = []  # every frame, in order, as (direction, frame)

    def to_client(self, frame):
        self.wire.append(("S", frame))
        return self.client.receive(frame)

    def to_server(self, frame):
        self.wire.append(("C", frame))
        return self.server.receive(frame)

    def open(self):
        assert self.to_client(self.server.start()) == [sio.Connected()]
        return self


def test_handshake_round_trip():
    body = sio.format_handshake("abc123", 60, 60, ("websocket", "xhr-polling"))
    assert body == "abc123:60:60:websocket,xhr-polling"
    session = sio.parse_handshake(body)
    assert session == ("abc123", 60, ["websocket", "xhr-polling"])
    assert session.id == "abc123" and session.heartbeatTimeout == 60
    assert sio.websocket_path("abc123") == "/socket.io/1/websocket/abc123"


@pytest.mark.parametrize("body", ["", "1234567890:", "sid:60:60", ":60:60:websocket", "sid:60:60:xhr-polling"])
def test_bad_handshake_is_a_connection_error(body):
    with pytest.raises(EventHubConnectionError):
        sio.parse_handshake(body)


def test_bad_session_id_refused():
    with pytest.raises(sio.LocalProtocolError):
        sio.format_handshake("a:b")


def test_connect_and_state():
    pair = ConnectionPair()
    assert pair.client.state is sio.State.CONNECTING
    with pytest.raises(sio.LocalProtocolError):
        pair.client.emit("ftrack.event", [{}])
    pair.open()
    assert pair.wire == [("S", "1::")]
    assert pair.client.state is pair.server.state is sio.State.CONNECTED
    with pytest.raises(sio.LocalProtocolError):
        pair.server.start()
    # a repeated connect packet is ignored by the client
    assert pair.client.receive("1::") == []


def test_client_event_asks_for_ack_and_server_acks():
    pair = ConnectionPair().open()
    event = {"topic": "t", "data": {"x": "é"}}
    frame, ack_id = pair.client.emit("ftrack.event", [event])
    assert ack_id == 1
    assert frame == '5:1+::{"name": "ftrack.event", "args": [{"topic": "t", "data": {"x": "é"}}]}'
    (received,) = pair.to_server(frame)
    assert received == sio.EventReceived("ftrack.event", [event], 1)
    assert sio.event_frame_parts(received) == event
    ack = pair.server.ack(received.ack_id, {"success": True})
    assert ack == '6:::1+[{"success": true}]'
    assert pair.to_client(ack) == [sio.AckReceived(1, [{"success": True}], True)]
    # an ack nobody waits for is flagged, not fatal
    assert pair.to_client(ack) == [sio.AckReceived(1, [{"success": True}], False)]


def test_ack_ids_count_across_connections():
    ids = itertools.count(1)
    first = ConnectionPair(ids).open()
    assert [first.client.emit("e", [])[1] for _ in range(3)] == [1, 2, 3]
    second = ConnectionPair(ids).open()
    assert second.client.emit("e", [])[1] == 4


def test_server_events_have_no_id():
    pair = ConnectionPair().open()
    frame, ack_id = pair.server.emit("ftrack.event", [{"topic": "t"}])
    assert ack_id is None
    assert frame == '5:::{"name": "ftrack.event", "args": [{"topic": "t"}]}'
    assert pair.to_client(frame) == [sio.EventReceived("ftrack.event", [{"topic": "t"}], None)]
    with pytest.raises(sio.LocalProtocolError):
        pair.server.emit("e", [], ack=True)


def test_client_events_without_ack():
    pair = ConnectionPair().open()
    frame, ack_id = pair.client.emit("ftrack.event", [{}], ack=False)
    assert frame.startswith("5:::") and ack_id is None
    assert pair.to_server(frame)[0].ack_id is None


def test_heartbeats():
    pair = ConnectionPair().open()
    request = pair.server.heartbeat()
    assert request == "2::"
    (beat,) = pair.to_client(request)
    assert beat.reply == "2:::"
    assert pair.to_server(beat.reply) == [sio.Heartbeat()]
    assert pair.to_server("2::") == [sio.Heartbeat()]  # the JS client's form
    assert pair.server.heartbeats_sent == 1 and pair.server.heartbeats_received == 2
    assert pair.client.heartbeats_received == 1
    with pytest.raises(sio.LocalProtocolError):
        pair.client.heartbeat()


def test_disconnect_both_ways():
    pair = ConnectionPair().open()
    assert pair.to_client(pair.server.close()) == [sio.Disconnected()]
    assert pair.client.state is sio.State.CLOSED
    other = ConnectionPair().open()
    assert other.to_server(other.client.close()) == [sio.Disconnected()]
    with pytest.raises(sio.LocalProtocolError):
        other.client.emit("e", [])


def test_errors_and_messages():
    pair = ConnectionPair().open()
    assert pair.to_client(pair.server.error("boom")) == [sio.ErrorReceived("boom")]
    assert pair.to_client("3:::hello") == [sio.MessageReceived("hello")]
    assert pair.to_client('4:::{"a": 1}') == [sio.MessageReceived({"a": 1}, json=True)]


@pytest.mark.parametrize(
    "frame",
    ["", "5", "5:1", "8::", "x::", "5:a::{}", "5:::not json", '5:::{"args": []}', '5:::{"name": "e", "args": 1}', "6:::x+[]"],
)
def test_malformed_frames_raise_remote_protocol_error(frame):
    connection = sio.Connection(sio.Role.CLIENT, state=sio.State.CONNECTED)
    with pytest.raises(sio.RemoteProtocolError) as info:
        connection.receive(frame)
    assert isinstance(info.value, EventHubPacketError)


def test_role_violations_from_peer():
    server = sio.Connection(sio.Role.SERVER)
    server.start()
    with pytest.raises(sio.RemoteProtocolError):
        server.receive("1::")
    with pytest.raises(sio.RemoteProtocolError):
        server.receive('6:::1+[{"success": true}]')


def test_ack_needs_one_object():
    pair = ConnectionPair().open()
    with pytest.raises(sio.LocalProtocolError):
        pair.server.ack(1, [])  # type: ignore[arg-type]
    with pytest.raises(sio.LocalProtocolError):
        pair.client.ack(1, {})


def test_packet_encoding_round_trip():
    for packet in [
        sio.Packet(sio.PacketType.EVENT, 7, True, "", json.dumps({"name": "x", "args": []})),
        sio.Packet(sio.PacketType.HEARTBEAT),
        sio.Packet(sio.PacketType.MESSAGE, None, False, "", "a:b:c"),
    ]:
        assert sio.decode_packet(sio.encode_packet(packet)) == packet
    assert sio.encode_packet(sio.Packet(sio.PacketType.HEARTBEAT), trailing_separator=True) == "2:::"
