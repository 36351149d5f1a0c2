"""EventHub over real websockets against the EventBroker (small aiohttp app)."""
from __future__ import annotations

import threading
import time

import pytest

from ftrack_api.event.base import Event
from ftrack_api.event.hub import EventHub, ReconnectPolicy
from ftrack_api.exception import EventHubConnectionError

from .conftest import API_USER, FAST_POLICY, BrokerServer, Collector, free_port


def hub_threads(hub=None):
    """Live threads of *hub* (or of every hub)."""
    suffix = "-" + hub.id[:8] if hub is not None else ""
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith("ftrack-event-hub") and t.name.endswith(suffix)
    ]


def test_connect_and_disconnect(hubs):
    hub = hubs(connect=False)
    assert not hub.connected
    hub.connect()
    assert hub.connected and hub.wait_until_connected(0)
    with pytest.raises(EventHubConnectionError, match="Already connected"):
        hub.connect()
    assert hub.get_subscriber_by_identifier(hub.id) is not None  # reply subscriber
    hub.disconnect()
    assert not hub.connected
    assert hub_threads(hub) == []
    with pytest.raises(EventHubConnectionError, match="Not currently connected"):
        hub.disconnect()


def test_bad_credentials(broker_server):
    hub = EventHub(broker_server.url, API_USER, "wrong", reconnect_policy=FAST_POLICY)
    with pytest.raises(EventHubConnectionError) as info:
        hub.connect()
    assert "401" in str(info.value)
    assert not hub.connected


def test_no_server():
    hub = EventHub("http://127.0.0.1:{0}".format(free_port()), "u", "k")
    with pytest.raises(EventHubConnectionError):
        hub.connect()
    assert hub.wait_until_connected(0) is False


def test_subscribe_publish_between_hubs(hubs, pump):
    a, b = hubs(), hubs()
    seen = Collector()
    a.subscribe("topic=test.ping and data.n=1", seen)
    end = Collector()
    a.subscribe("topic=test.end", end)
    assert a.flush(5)  # the server knows both subscriptions
    pump(a)
    b.publish(Event("test.ping", data={"n": 2}))
    b.publish(Event("test.ping", data={"n": 1}))
    b.publish(Event("test.end"))
    assert end.wait_for(1)
    assert [e["data"] for e in seen.events] == [{"n": 1}]
    event = seen.events[0]
    assert event["source"]["id"] == b.id
    assert event["source"]["user"] == {"username": API_USER}


def test_own_events_are_delivered(hubs, pump):
    hub = hubs()
    seen = Collector()
    hub.subscribe("topic=test.self", seen)
    pump(hub)
    hub.publish(Event("test.self"))
    assert seen.wait_for(1)


def test_two_repliers_two_replies(hubs, pump):
    publisher, repliers = hubs(), hubs()
    repliers.subscribe("topic=test.ask", Collector(result="one"))
    repliers.subscribe("topic=test.ask", Collector(result="two"))
    assert repliers.flush(5)
    pump(publisher)
    pump(repliers)
    replies = Collector()
    event = Event("test.ask", data={"q": 1})
    publisher.publish(event, on_reply=replies)
    assert replies.wait_for(2)
    assert sorted(r["data"] for r in replies.events) == ["one", "two"]
    for reply in replies.events:
        assert reply["topic"] == "ftrack.meta.reply"
        assert reply["in_reply_to_event"] == event["id"]
        assert reply["target"] == "id={0}".format(publisher.id)


def test_publish_reply(hubs, pump):
    publisher, responder = hubs(), hubs()

    def answer(event):
        responder.publish_reply(event, data={"answer": 42})

    responder.subscribe("topic=test.q", answer)
    assert responder.flush(5)
    pump(responder)
    pump(publisher)
    replies = Collector()
    publisher.publish(Event("test.q"), on_reply=replies)
    assert replies.wait_for(1)
    assert replies.events[0]["data"] == {"answer": 42}


def test_target_routing(hubs, pump):
    sender, review, other = hubs(), hubs(), hubs()
    got_review, got_other = Collector(), Collector()
    review.subscribe("topic=test.t", got_review, subscriber={"applicationId": "ftrack.client.review"})
    other.subscribe("topic=test.t", got_other, subscriber={"applicationId": "other"})
    end = Collector()
    other.subscribe("topic=test.end", end)
    assert review.flush(5) and other.flush(5)
    pump(review)
    pump(other)
    sender.publish(Event("test.t", target="applicationId=ftrack.client.review"))
    assert got_review.wait_for(1)
    sender.publish(Event("test.end"))
    assert end.wait_for(1)
    assert got_other.events == []


def test_one_delivery_per_hub_with_two_matching_subscribers(hubs, pump):
    publisher, receiver = hubs(), hubs()
    first, second = Collector(), Collector()
    receiver.subscribe("topic=test.dup", first)
    receiver.subscribe("topic=test.*", second)
    end = Collector()
    receiver.subscribe("topic=test.end", end)
    assert receiver.flush(5)
    pump(receiver)
    publisher.publish(Event("test.dup"))
    publisher.publish(Event("test.end"))
    assert end.wait_for(1)
    assert len(first.events) == 1
    assert [e["topic"] for e in second.events] == ["test.dup", "test.end"]


def test_hundred_events_in_order(hubs, pump):
    a, b = hubs(), hubs()
    seen = Collector()
    a.subscribe("topic=test.seq", seen)
    assert a.flush(5)
    pump(a)
    for number in range(100):
        b.publish(Event("test.seq", data={"n": number}))
    assert seen.wait_for(100)
    assert [e["data"]["n"] for e in seen.events] == list(range(100))


def test_stop_waiting_from_another_thread(hubs):
    hub = hubs()
    started = Collector()
    hub.subscribe("topic=test.started", started)
    thread = threading.Thread(target=hub.wait, daemon=True)
    thread.start()
    hub.publish(Event("test.started"))
    assert started.wait_for(1)  # wait() is running and dispatching
    hub.stop_waiting()
    thread.join(1.0)
    assert not thread.is_alive()


def test_stop_waiting_before_wait_is_not_lost(hubs):
    hub = hubs()
    hub.stop_waiting()
    thread = threading.Thread(target=hub.wait, daemon=True)
    thread.start()
    thread.join(1.0)
    assert not thread.is_alive()


def test_wait_duration(hubs):
    hub = hubs()
    hub.wait(0.05)  # returns by itself


def test_meta_connected_is_local(hubs, pump):
    hub = hubs(connect=False)
    connected = Collector()
    hub.subscribe("topic=ftrack.meta.connected", connected)
    hub.connect()
    pump(hub)
    assert connected.wait_for(1)


def test_queued_while_initialising_sent_after_connect(hubs, pump):
    receiver = hubs()
    seen = Collector()
    receiver.subscribe("topic=test.queued", seen)
    assert receiver.flush(5)
    pump(receiver)
    hub = hubs(connect=False)
    hub.init_connection()
    assert hub.publish(Event("test.queued", data={"i": 1})) is True
    assert hub.publish(Event("test.queued", data={"i": 2})) is True
    hub.connect()
    assert seen.wait_for(2)
    assert [e["data"]["i"] for e in seen.events] == [1, 2]


def test_subscriptions_made_before_connect_are_announced(hubs, pump):
    receiver = hubs(connect=False)
    seen = Collector()
    receiver.subscribe("topic=test.early", seen)
    receiver.connect()
    pump(receiver)
    hubs().publish(Event("test.early"))
    assert seen.wait_for(1)


def test_unsubscribe_reaches_server(hubs, pump):
    receiver, sender = hubs(), hubs()
    gone, end = Collector(), Collector()
    identifier = receiver.subscribe("topic=test.gone", gone)
    receiver.subscribe("topic=test.end", end)
    receiver.unsubscribe(identifier)
    assert receiver.flush(5)
    pump(receiver)
    sender.publish(Event("test.gone"))
    sender.publish(Event("test.end"))
    assert end.wait_for(1)
    assert gone.events == []


def test_server_side_publish_reaches_subscribers(broker_server, hubs, pump):
    hub = hubs()
    seen = Collector()
    hub.subscribe("topic=ftrack.update", seen)
    assert hub.flush(5)
    pump(hub)
    event = {"topic": "ftrack.update", "data": {"entities": []}, "source": {"id": "server"}}
    threading.Thread(target=broker_server.broker.publish, args=(event,)).start()
    assert seen.wait_for(1)
    assert seen.events[0]["data"] == {"entities": []}


def test_connect_in_background_and_close(broker_server):
    hub = broker_server.hub()
    thread = hub.connect_in_background()
    assert isinstance(thread, threading.Thread) and thread.daemon
    assert hub.wait_until_connected(5)
    hub.disconnect()
    thread.join(2)
    assert not thread.is_alive()
    assert hub_threads(hub) == []


def test_background_connect_gives_up_and_reports():
    hub = EventHub(
        "http://127.0.0.1:{0}".format(free_port()),
        "u",
        "k",
        reconnect_policy=ReconnectPolicy(attempts=2, delay=0.01, timeout=2),
    )
    disconnected = Collector()
    hub.subscribe("topic=ftrack.meta.disconnected", disconnected)
    thread = hub.connect_in_background()
    assert hub.publish(Event("test.x")) is True  # queued while trying
    thread.join(5)
    assert not thread.is_alive()
    assert hub.wait_until_connected(0) is False
    hub.wait()  # returns on ftrack.meta.disconnected
    assert len(disconnected.events) == 1


def test_disconnect_stops_background_attempts():
    hub = EventHub(
        "http://127.0.0.1:{0}".format(free_port()),
        "u",
        "k",
        reconnect_policy=ReconnectPolicy(attempts=None, delay=0.05, timeout=2),
    )
    thread = hub.connect_in_background()
    with pytest.raises(EventHubConnectionError):
        hub.disconnect()
    thread.join(2)
    assert not thread.is_alive()
    assert hub_threads(hub) == []


def test_reconnect_restores_subscriptions_and_flushes_queue():
    port = free_port()
    server = BrokerServer(port=port).start()
    try:
        hub = server.hub()
        hub.connect()
        seen = Collector()
        hub.subscribe("topic=test.outage", seen)
        with_thread = threading.Thread(target=hub.wait, daemon=True)
        with_thread.start()
        hub.publish(Event("test.outage", data={"i": 0}))
        assert seen.wait_for(1)
        server.stop()
        for i in (1, 2, 3):
            # queued (True) once the hub noticed the outage; before that the
            # frame goes to the dead socket and is re-sent as unacknowledged.
            assert hub.publish(Event("test.outage", data={"i": i})) in (True, None)
        server = BrokerServer(port=port).start()
        assert hub.wait_until_connected(10)
        assert seen.wait_for(4)
        assert [e["data"]["i"] for e in seen.events] == [0, 1, 2, 3]
        assert hub.flush(5)
        other = server.hub()
        other.connect()
        other.publish(Event("test.outage", data={"i": 4}))
        assert seen.wait_for(5)
        other.disconnect()
        hub.stop_waiting()
        with_thread.join(2)
        hub.disconnect()
    finally:
        server.stop()


def test_manual_reconnect(hubs, pump):
    hub = hubs()
    seen = Collector()
    hub.subscribe("topic=test.re", seen)
    hub.reconnect(attempts=3, delay=0.05)
    assert hub.connected
    pump(hub)
    hubs().publish(Event("test.re"))
    assert seen.wait_for(1)


def test_heartbeats_are_answered():
    with BrokerServer(heartbeat_interval=0.05) as server:
        hub = server.hub()
        hub.connect()
        client = next(iter(server.broker._clients.values()))
        deadline = time.monotonic() + 5
        while client.codec.heartbeats_received < 2 and time.monotonic() < deadline:
            hub.wait(0.05)
        assert client.codec.heartbeats_received >= 2
        hub.disconnect()


def test_flush(hubs):
    hub = hubs(connect=False)
    assert hub.flush(0) is False  # not connected
    hub.connect()
    hub.subscribe("topic=test.flush", Collector())
    for number in range(20):
        hub.publish(Event("test.flush", data={"n": number}))
    assert hub.flush(5) is True
    assert hub._ack_callbacks == {}


def test_silent_link_is_detected_and_replaced():
    # No heartbeats from the server and a short read timeout: the hub treats
    # the silent link as dead, reconnects and keeps its subscriptions.
    with BrokerServer(heartbeat_interval=3600) as server:
        hub = server.hub(reconnect_policy=ReconnectPolicy(attempts=None, delay=0.05, timeout=0.5))
        connections = Collector()
        hub.subscribe("topic=ftrack.meta.connected", connections)
        seen = Collector()
        hub.subscribe("topic=test.after", seen)
        hub.connect()
        waiter = threading.Thread(target=hub.wait, daemon=True)
        waiter.start()
        assert connections.wait_for(2, timeout=10)  # connected, silent, reconnected
        assert hub.wait_until_connected(10)
        hub.publish(Event("test.after"))
        assert seen.wait_for(1)
        hub.stop_waiting()
        waiter.join(2)
        hub.disconnect()
        assert hub_threads(hub) == []


def test_failed_connect_leaves_hub_disconnected():
    hub = EventHub("http://127.0.0.1:{0}".format(free_port()), "u", "k")
    with pytest.raises(EventHubConnectionError):
        hub.connect()
    with pytest.raises(EventHubConnectionError):
        hub.publish(Event("test.x"))  # not queued: nobody is connecting
    hub.init_connection()
    with pytest.raises(EventHubConnectionError):
        hub.connect()
    assert hub.publish(Event("test.x")) is True  # init_connection() asked for queueing


def test_disconnect_during_a_stalled_handshake(tmp_path):
    import socket

    black_hole = socket.socket()
    black_hole.bind(("127.0.0.1", 0))
    black_hole.listen(8)
    try:
        hub = EventHub(
            "http://127.0.0.1:{0}".format(black_hole.getsockname()[1]),
            "u",
            "k",
            reconnect_policy=ReconnectPolicy(attempts=None, delay=0.05, timeout=30),
        )
        thread = hub.connect_in_background()
        with pytest.raises(EventHubConnectionError):
            hub.disconnect()  # the handshake is stuck; disconnect() does not wait for it
        thread.join(1)
        assert not thread.is_alive()  # the thread a Session joins has ended already
        assert not hub.connected
    finally:
        black_hole.close()
    assert not hub.connected and hub.wait_until_connected(0) is False


def test_concurrent_publishers_lose_nothing(hubs, pump):
    receiver, sender = hubs(), hubs()
    seen = Collector()
    receiver.subscribe("topic=test.concurrent", seen)
    assert receiver.flush(5)
    pump(receiver)
    barrier = threading.Barrier(4)

    def publish_many(worker):
        barrier.wait()
        for number in range(25):
            sender.publish(Event("test.concurrent", data={"w": worker, "n": number}))

    workers = [threading.Thread(target=publish_many, args=(w,)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert seen.wait_for(100)
    by_worker = {}
    for event in seen.events:
        by_worker.setdefault(event["data"]["w"], []).append(event["data"]["n"])
    assert by_worker == {w: list(range(25)) for w in range(4)}  # per-thread order kept


def test_local_delivery_while_not_connected(hubs):
    hub = hubs()
    seen = Collector(result="local")
    hub.subscribe("topic=test.local", seen)
    hub.disconnect(unsubscribe=False)
    assert not hub.connected
    assert hub.publish(Event("test.local"), synchronous=True) == ["local"]
    with pytest.raises(EventHubConnectionError):
        hub.publish(Event("test.local"))


def test_unicode_and_large_payloads(hubs, pump):
    hub = hubs()
    seen = Collector()
    hub.subscribe('topic=test.big and data.name="Caf\u00e9 \u2603"', seen)
    pump(hub)
    blob = "x" * (2 * 1024 * 1024)
    hub.publish(Event("test.big", data={"name": "Caf\u00e9 \u2603", "blob": blob, "emoji": "\U0001f600"}))
    assert seen.wait_for(1, timeout=10)
    data = seen.events[0]["data"]
    assert data["emoji"] == "\U0001f600" and data["blob"] == blob
