"""Local-only behaviour of EventHub, Event, Subscriber and Subscription (no server)."""
from __future__ import annotations

import platform

import pytest

from ftrack_api.event.base import Event
from ftrack_api.event.hub import EventHub
from ftrack_api.event.subscriber import Subscriber
from ftrack_api.event.subscription import Subscription
from ftrack_api.exception import (
    EventHubConnectionError,
    NotFoundError,
    NotUniqueError,
    ParseError,
)


@pytest.fixture
def hub() -> EventHub:
    return EventHub("http://127.0.0.1:9", "jane", "secret")


def test_event_mapping():
    event = Event(topic="a.b", data={"x": 1})
    assert sorted(event) == sorted(
        ["id", "topic", "data", "sent", "source", "target", "in_reply_to_event"]
    )
    assert len(event["id"]) == 32
    assert event["data"] == {"x": 1}
    assert event["source"] == {} and event["target"] == "" and event["sent"] is None
    assert str(event).startswith("<Event {")
    assert not event.is_stopped()
    event.stop()
    assert event.is_stopped()
    with pytest.raises(TypeError):
        Event(topic="a", unknown=1)  # type: ignore[call-arg]


def test_event_defaults_are_not_shared():
    first, second = Event("a"), Event("a")
    first["data"]["x"] = 1
    assert second["data"] == {}
    assert first["id"] != second["id"]


def test_constructor_validation():
    with pytest.raises(ValueError):
        EventHub("localhost", "u", "k")
    with pytest.raises(TypeError):
        EventHub("http://h", "u", "k", headers=[("a", "b")])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        EventHub("http://h", "u", "k", cookies="a=b")  # type: ignore[arg-type]


def test_server_details():
    hub = EventHub("https://example.com:8443/", "u", "k")
    assert hub.server == ("https", "example.com", 8443)
    assert hub.get_server_url() == "https://example.com:8443"
    assert hub.get_network_location() == "example.com:8443"
    assert hub.secure is True
    assert hub.connected is False
    assert EventHub("http://h", "u", "k").get_server_url() == "http://h"
    assert len(hub.id) == 32


def test_synchronous_publish_priority_and_stable_ties(hub):
    calls = []
    hub.subscribe("topic=t", lambda e: calls.append("b") or "b", priority=100)
    hub.subscribe("topic=t", lambda e: calls.append("a") or "a", priority=10)
    hub.subscribe("topic=t", lambda e: calls.append("c") or "c", priority=100)
    hub.subscribe("topic=other", lambda e: calls.append("x") or "x")
    assert hub.publish(Event("t"), synchronous=True) == ["a", "b", "c"]
    assert calls == ["a", "b", "c"]


def test_synchronous_publish_includes_none_and_skips_errors(hub):
    def boom(event):
        raise RuntimeError("boom")

    hub.subscribe("topic=t", boom)
    hub.subscribe("topic=t", lambda e: None)
    hub.subscribe("topic=t", lambda e: 3)
    assert hub.publish(Event("t"), synchronous=True) == [None, 3]


def test_stop_halts_lower_priorities(hub):
    def stopper(event):
        event.stop()
        return "first"

    hub.subscribe("topic=t", stopper, priority=1)
    hub.subscribe("topic=t", lambda e: "second", priority=2)
    assert hub.publish(Event("t"), synchronous=True) == ["first"]


def test_target_matches_subscriber_metadata(hub):
    hub.subscribe("topic=t", lambda e: "review", subscriber={"applicationId": "ftrack.client.review"})
    hub.subscribe("topic=t", lambda e: "other", subscriber={"applicationId": "other"})
    assert hub.publish(
        Event("t", target="applicationId=ftrack.client.review"), synchronous=True
    ) == ["review"]
    assert sorted(hub.publish(Event("t"), synchronous=True)) == ["other", "review"]


def test_publish_fills_source(hub):
    seen = []
    hub.subscribe("topic=t", seen.append)
    hub.publish(Event("t", source={"applicationId": "x"}), synchronous=True)
    assert seen[0]["source"] == {
        "applicationId": "x",
        "id": hub.id,
        "user": {"username": "jane"},
        "host": platform.node(),
    }


def test_subscriber_metadata_gets_id_and_duplicates_rejected(hub):
    metadata = {"applicationId": "x"}
    identifier = hub.subscribe("topic=t", lambda e: None, subscriber=metadata)
    assert metadata["id"] == identifier and len(identifier) == 32
    subscriber = hub.get_subscriber_by_identifier(identifier)
    assert isinstance(subscriber, Subscriber)
    assert subscriber.metadata is metadata and subscriber.priority == 100
    assert str(subscriber.subscription) == "topic=t"
    with pytest.raises(NotUniqueError):
        hub.subscribe("topic=t", lambda e: None, subscriber={"id": identifier})
    hub.unsubscribe(identifier)
    assert hub.get_subscriber_by_identifier(identifier) is None
    with pytest.raises(NotFoundError):
        hub.unsubscribe(identifier)


def test_subscribe_validation(hub):
    with pytest.raises(ParseError):
        hub.subscribe("topic=", lambda e: None)
    with pytest.raises(TypeError):
        hub.subscribe("topic=t", None)  # type: ignore[arg-type]
    assert hub._subscribers == []


def test_subscription_context_manager(hub):
    seen = []
    with hub.subscription("topic=t", seen.append):
        hub.publish(Event("t"), synchronous=True)
    hub.publish(Event("t"), synchronous=True)
    assert len(seen) == 1


def test_async_publish_when_not_connected(hub):
    with pytest.raises(EventHubConnectionError):
        hub.publish(Event("t"))
    assert hub.publish(Event("t"), on_error="ignore") is None
    with pytest.raises(ValueError):
        hub.publish(Event("t"), on_error="explode")
    with pytest.raises(TypeError):
        hub.publish({"topic": "t"})  # type: ignore[arg-type]


def test_async_publish_is_queued_while_initialising(hub):
    hub.init_connection()
    assert hub.publish(Event("t")) is True


def test_wait_requires_a_connection(hub):
    with pytest.raises(EventHubConnectionError):
        hub.wait(0.01)


def test_subscription_and_subscriber_objects():
    subscription = Subscription("topic=a and data.n>2")
    assert str(subscription) == "topic=a and data.n>2"
    assert subscription.includes(Event("a", data={"n": 3}))
    assert not subscription.includes(Event("a", data={"n": 1}))
    assert isinstance(Subscription.parser.parse("topic=a").match({"topic": "a"}), bool)
    subscriber = Subscriber("topic=a", lambda e: None, {"id": "s1"}, 5)
    assert subscriber.interested_in(Event("a"))
    assert "s1" in str(subscriber) and "topic=a" in str(subscriber)


def test_unencodable_data_fails_in_the_publishing_thread(hub):
    hub.init_connection()
    with pytest.raises(TypeError, match="cannot be published"):
        hub.publish(Event("t", data={"x": object()}))
    # synchronous publishes carry any Python object
    hub.subscribe("topic=t", lambda e: e["data"]["x"])
    marker = object()
    assert hub.publish(Event("t", data={"x": marker}), synchronous=True) == [marker]
    with pytest.raises(TypeError, match="JSON"):
        hub.subscribe("topic=t", lambda e: None, subscriber={"obj": object()})


def test_reconnect_policy_value():
    from ftrack_api.event.hub import ReconnectPolicy

    policy = ReconnectPolicy()
    assert (policy.attempts, policy.delay, policy.timeout) == (30, 10.0, 60.0)
    with pytest.raises(Exception):
        policy.delay = 1  # type: ignore[misc]  # frozen
    quick = policy.new(attempts=4, delay=0.5, backoff=2.0, max_delay=1.5)
    assert list(quick.delays()) == [0.5, 1.0, 1.5, 1.5]
    assert policy.delay == 10.0
    endless = policy.new(attempts=None)
    delays = endless.delays()
    assert [next(delays) for _ in range(50)] == [10.0] * 50
    for bad in ({"attempts": -1}, {"attempts": 1.5}, {"delay": -1}, {"backoff": 0.5}, {"timeout": 0}):
        with pytest.raises(ValueError):
            ReconnectPolicy(**bad)


def test_reconnect_policy_per_instance_and_subclass():
    from ftrack_api.event.hub import ReconnectPolicy

    custom = ReconnectPolicy(delay=1.0)
    assert EventHub("http://h", "u", "k", reconnect_policy=custom).reconnect_policy is custom

    class Quick(EventHub):
        reconnect_policy = custom

    assert Quick("http://h", "u", "k").reconnect_policy is custom
    assert EventHub("http://h", "u", "k").reconnect_policy == ReconnectPolicy()
    with pytest.raises(TypeError):
        EventHub("http://h", "u", "k", bogus=1)


def test_inbox_stop_semantics():
    import threading

    from ftrack_api.event._inbox import Inbox

    inbox = Inbox()
    inbox.put(1)
    inbox.put(2)
    assert list(inbox.consume(0.01)) == [1, 2]
    inbox.stop()  # nobody consuming: the next consumer returns at once
    assert list(inbox.consume(None)) == []
    got = []
    started = threading.Event()

    def consume():
        for item in inbox.consume(None):
            got.append(item)
            started.set()

    thread = threading.Thread(target=consume)
    thread.start()
    inbox.put("a")
    assert started.wait(5)
    inbox.stop()
    thread.join(5)
    assert not thread.is_alive() and got == ["a"]


def test_event_modules_import_neither_aiohttp_nor_the_server():
    import subprocess
    import sys

    code = (
        "import sys, ftrack_api.event.hub, ftrack_api.event.expression, ftrack_api.event.base;"
        "bad = [m for m in sys.modules if m.startswith(('aiohttp', 'ftrack_api.testing'))];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_expression_parser_does_not_enable_packrat():
    import pyparsing

    from ftrack_api.event.expression import Parser

    Parser().parse("topic=a and (data.b>1 or not data.c=2)")
    enabled = getattr(pyparsing.ParserElement, "_packratEnabled", False)
    assert not enabled
