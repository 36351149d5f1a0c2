"""The event hub: local dispatch plus a socket.io 0.9 connection to the server.

Threads (all daemons, all joined by :meth:`EventHub.disconnect`):

* the *reader* thread of the current websocket (``ftrack-event-hub-reader``)
  decodes frames, answers heartbeats, resolves acks and queues received
  events; when the link drops unexpectedly it runs the reconnect policy;
* the optional *connector* thread started by
  :meth:`EventHub.connect_in_background`.

Received events are only dispatched to subscribers by :meth:`EventHub.wait`
(in the calling thread), as in the official client.
"""
from __future__ import annotations

import bisect
import collections
import contextlib
import logging
import platform
import threading
import time
import urllib.parse
import uuid
from typing import (
    Any,
    Callable,
    Deque,
    Dict,
    Iterator,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Tuple,
)

from ftrack_api.event.base import Event
from ftrack_api.event.expression import Parser
from ftrack_api.event.subscriber import Subscriber
from ftrack_api.exception import (
    EventHubConnectionError,
    NotFoundError,
    NotUniqueError,
    ParseError,
)

__all__ = ["EventHub", "ServerDetails", "SocketIoSession", "ReconnectPolicy"]


class SocketIoSession(NamedTuple):
    """Parsed socket.io 0.9 handshake reply."""

    id: str
    heartbeatTimeout: int  # noqa: N815 - official field name
    supportedTransports: List[str]  # noqa: N815 - official field name


class ServerDetails(NamedTuple):
    """Scheme, host name and port of the event server."""

    scheme: str
    hostname: str
    port: Optional[int]


# Connection states (see EventHub._state).
_DISCONNECTED = "disconnected"  # publishes fail (or are dropped with on_error="ignore")
_INITIALISING = "initialising"  # publishes are queued until connected
_ANNOUNCING = "announcing"  # socket open, subscriptions being (re)announced
_CONNECTED = "connected"  # publishes go straight to the socket

_Callback = Callable[[Event], Any]


class EventHub:
    """Publish and subscribe to events, locally and through the server.

    :param server_url: ``http(s)://host[:port]`` of the ftrack server.
    :param api_user: user name sent with the handshake.
    :param api_key: API key sent with the handshake.
    :param headers: extra HTTP headers for the handshake and websocket.
    :param cookies: cookies for the handshake and websocket.
    :param reconnect_policy: keyword only; how to retry connecting
        (default :attr:`reconnect_policy`).

    :raises ValueError: if *server_url* has no scheme or host name.
    :raises TypeError: if *headers* or *cookies* are not mappings.
    """

    def __init__(
        self,
        server_url: str,
        api_user: str,
        api_key: str,
        headers: Optional[Mapping[str, str]] = None,
        cookies: Optional[Mapping[str, str]] = None,
        **kwargs: Any,
    ) -> None:
        policy = kwargs.pop("reconnect_policy", None)
        if kwargs:
            raise TypeError(
                "Unexpected keyword argument(s): {0}".format(", ".join(sorted(kwargs)))
            )
        parsed = urllib.parse.urlparse(server_url or "")
        if not parsed.scheme or not parsed.hostname:
            raise ValueError(
                "Could not determine scheme and hostname from server url {0!r}; "
                "expected something like 'https://example.ftrackapp.com'.".format(server_url)
            )
        if headers is not None and not isinstance(headers, Mapping):
            raise TypeError("headers must be a mapping, not {0!r}.".format(type(headers).__name__))
        if cookies is not None and not isinstance(cookies, Mapping):
            raise TypeError("cookies must be a mapping, not {0!r}.".format(type(cookies).__name__))

        self.id: str = uuid.uuid4().hex
        self.logger = logging.getLogger(__name__ + "." + type(self).__name__)
        self.server = ServerDetails(parsed.scheme, parsed.hostname, parsed.port)
        self._api_user = api_user
        self._api_key = api_key
        self._headers: Dict[str, str] = dict(headers or {})
        self._cookies: Dict[str, str] = dict(cookies or {})
        if policy is not None:
            self.reconnect_policy = policy

        self._parser = Parser()
        self._lock = threading.RLock()
        self._subscribers: List[Subscriber] = []
        self._reply_callbacks: Dict[str, _Callback] = {}
        self._state = _DISCONNECTED
        self._outbox: Deque[Tuple[Event, Optional[_Callback]]] = collections.deque()

        # Received events waiting for wait(); guarded by _inbox_condition.
        self._inbox: Deque[Event] = collections.deque()
        self._inbox_condition = threading.Condition()
        self._stop_generation = 0

        self._state_condition = threading.Condition(self._lock)
        self._init_network()

    def _init_network(self) -> None:
        """Set up the networking half (see the connection section below)."""
        self._link: Any = None
        self._closing = threading.Event()
        self._threads: List[threading.Thread] = []

    # ------------------------------------------------------------------
    # Server details
    # ------------------------------------------------------------------
    def get_server_url(self) -> str:
        """Return ``scheme://host[:port]`` of the event server."""
        return "{0}://{1}".format(self.server.scheme, self.get_network_location())

    def get_network_location(self) -> str:
        """Return ``host[:port]`` of the event server."""
        if self.server.port:
            return "{0}:{1}".format(self.server.hostname, self.server.port)
        return self.server.hostname

    @property
    def secure(self) -> bool:
        """Whether the server is reached over https/wss."""
        return self.server.scheme == "https"

    @property
    def connected(self) -> bool:
        """Whether the hub is connected and its subscriptions are announced."""
        return self._state == _CONNECTED

    # ------------------------------------------------------------------
    # Subscribers
    # ------------------------------------------------------------------
    def subscribe(
        self,
        subscription: str,
        callback: _Callback,
        subscriber: Optional[Dict[str, Any]] = None,
        priority: int = 100,
    ) -> str:
        """Call *callback* for events matching *subscription*; return the subscriber id.

        :param subscription: expression such as ``topic=ftrack.update``.
        :param callback: called with each matching :class:`Event`.
        :param subscriber: metadata dict; an ``id`` (hex uuid) is added to it
            when missing. Event *target* expressions match against it.
        :param priority: lower numbers are called first; ties keep
            registration order.
        :raises ftrack_api.exception.ParseError: invalid *subscription*.
        :raises ftrack_api.exception.NotUniqueError: the subscriber id is
            already registered.
        """
        if not callable(callback):
            raise TypeError("callback must be callable, not {0!r}.".format(callback))
        if subscriber is None:
            subscriber = {}
        elif not isinstance(subscriber, dict):
            raise TypeError("subscriber must be a dict of metadata.")
        subscriber.setdefault("id", uuid.uuid4().hex)
        item = Subscriber(subscription, callback, subscriber, priority)
        with self._lock:
            self._add_subscriber(item)
            announce = self._state in (_ANNOUNCING, _CONNECTED)
        if announce:
            self._announce(item)
        return subscriber["id"]

    def _add_subscriber(self, item: Subscriber) -> None:
        identifier = item.metadata["id"]
        if self.get_subscriber_by_identifier(identifier) is not None:
            raise NotUniqueError(
                "Subscriber with identifier {0!r} already exists.".format(identifier)
            )
        keys = [s.priority for s in self._subscribers]
        self._subscribers.insert(bisect.bisect_right(keys, item.priority), item)

    def unsubscribe(self, subscriber_identifier: str) -> None:
        """Remove the subscriber *subscriber_identifier* (locally and on the server).

        :raises ftrack_api.exception.NotFoundError: no such subscriber.
        """
        with self._lock:
            item = self.get_subscriber_by_identifier(subscriber_identifier)
            if item is None:
                raise NotFoundError(
                    "Cannot unsubscribe missing subscriber {0!r}.".format(subscriber_identifier)
                )
            self._subscribers.remove(item)
            announce = self._state in (_ANNOUNCING, _CONNECTED)
        if announce:
            self._send_meta(
                Event(topic="ftrack.meta.unsubscribe", data={"subscriber": item.metadata})
            )

    def get_subscriber_by_identifier(self, identifier: str) -> Optional[Subscriber]:
        """Return the subscriber with *identifier*, or ``None``."""
        for item in list(self._subscribers):
            if item.metadata.get("id") == identifier:
                return item
        return None

    @contextlib.contextmanager
    def subscription(
        self,
        subscription: str,
        callback: _Callback,
        subscriber: Optional[Dict[str, Any]] = None,
        priority: int = 100,
    ) -> Iterator[None]:
        """Context manager: subscribe on enter, unsubscribe on exit."""
        identifier = self.subscribe(subscription, callback, subscriber, priority)
        try:
            yield None
        finally:
            with contextlib.suppress(NotFoundError):
                self.unsubscribe(identifier)

    # ------------------------------------------------------------------
    # Publishing
    # ------------------------------------------------------------------
    def publish(
        self,
        event: Event,
        synchronous: bool = False,
        on_reply: Optional[_Callback] = None,
        on_error: str = "raise",
    ) -> Any:
        """Publish *event*.

        :param synchronous: call matching local subscribers now, in priority
            order, and return the list of their results (no network).
        :param on_reply: called with each reply event (asynchronous mode).
        :param on_error: ``"raise"`` or ``"ignore"``: what to do when the hub
            cannot publish because it is not connected (nor connecting).
        :return: synchronous: list of results; asynchronous: ``True`` when
            queued until connected, else ``None``.
        :raises ftrack_api.exception.EventHubConnectionError: asynchronous
            publish while disconnected and *on_error* is ``"raise"``.
        """
        if on_error not in ("raise", "ignore"):
            raise ValueError("on_error must be 'raise' or 'ignore', not {0!r}.".format(on_error))
        if not isinstance(event, Event):
            raise TypeError("publish() expects an Event, not {0!r}.".format(type(event).__name__))
        self._prepare_event(event)
        if synchronous:
            return self._handle(event, synchronous=True)
        with self._lock:
            state = self._state
            if state != _CONNECTED and state != _DISCONNECTED:
                self._outbox.append((event, on_reply))
                return True
            if state == _DISCONNECTED:
                if on_error == "ignore":
                    return None
                raise EventHubConnectionError(
                    "Cannot publish event asynchronously as not connected to server."
                )
        self._send_event(event, on_reply)
        return None

    def publish_reply(
        self, source_event: Event, data: Any, source: Optional[Dict[str, Any]] = None
    ) -> Any:
        """Publish a ``ftrack.meta.reply`` to *source_event*'s publisher."""
        reply = Event(
            topic="ftrack.meta.reply",
            data=data,
            source=source if source is not None else {},
            target="id={0}".format(source_event["source"]["id"]),
            in_reply_to_event=source_event["id"],
        )
        return self.publish(reply, on_error="ignore")

    def _prepare_event(self, event: Event) -> None:
        source = event.get("source")
        if not isinstance(source, dict):
            source = {}
            event["source"] = source
        source.setdefault("id", self.id)
        user = source.setdefault("user", {})
        if isinstance(user, dict):
            user.setdefault("username", self._api_user)
        source.setdefault("host", platform.node())

    def _handle(self, event: Event, synchronous: bool = False) -> List[Any]:
        """Dispatch *event* to matching local subscribers in priority order."""
        target = event.get("target") or ""
        target_expression = None
        if target:
            try:
                target_expression = self._parser.parse(target)
            except ParseError:
                self.logger.warning("Ignoring event with invalid target %r.", target)
                return []
        results: List[Any] = []
        for item in list(self._subscribers):
            if event.is_stopped():
                break
            if target_expression is not None and not target_expression.match(item.metadata):
                continue
            if not item.interested_in(event):
                continue
            try:
                result = item.callback(event)
            except Exception:  # noqa: BLE001 - a failing callback must not stop dispatch
                self.logger.exception("Error calling subscriber %s for event %s.", item, event)
                continue
            if synchronous:
                results.append(result)
            elif result is not None:
                self._reply_from(item, event, result)
        return results

    def _reply_from(self, item: Subscriber, event: Event, result: Any) -> None:
        if event.get("topic") == "ftrack.meta.reply":
            return
        source = dict(item.metadata)
        source.setdefault("user", {"username": self._api_user})
        source.setdefault("host", platform.node())
        self.publish_reply(event, data=result, source=source)

    def _handle_reply(self, event: Event) -> None:
        callback = self._reply_callbacks.get(event.get("in_reply_to_event") or "")
        if callback is not None:
            callback(event)

    # ------------------------------------------------------------------
    # Waiting for received events
    # ------------------------------------------------------------------
    def wait(self, duration: Optional[float] = None) -> None:
        """Process received events in this thread.

        Returns after *duration* seconds (``None`` = until stopped), when
        another thread calls :meth:`stop_waiting`, or when the connection is
        lost for good (``ftrack.meta.disconnected``).

        :raises ftrack_api.exception.EventHubConnectionError: the connection
            was never initialised (call :meth:`connect` or build the session
            with ``auto_connect_event_hub=True``).
        """
        if self._state == _DISCONNECTED and not self._inbox and self._link is None:
            raise EventHubConnectionError(
                "Event hub does not have a connection to the event server and "
                "will therefore only be capable of publishing events synchronously. "
                "Connect first (EventHub.connect or Session(auto_connect_event_hub=True))."
            )
        deadline = None if duration is None else time.monotonic() + duration
        with self._inbox_condition:
            generation = self._stop_generation
        while True:
            with self._inbox_condition:
                while not self._inbox and self._stop_generation == generation:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return
                    self._inbox_condition.wait(remaining)
                if self._stop_generation != generation:
                    return
                event = self._inbox.popleft()
            self._handle(event)
            if event.get("topic") == "ftrack.meta.disconnected":
                return

    def stop_waiting(self) -> None:
        """Make every running :meth:`wait` return (callable from any thread)."""
        with self._inbox_condition:
            self._stop_generation += 1
            self._inbox_condition.notify_all()

    def _enqueue(self, event: Event) -> None:
        with self._inbox_condition:
            self._inbox.append(event)
            self._inbox_condition.notify_all()

    # ------------------------------------------------------------------
    # Connection (filled in by the networking half)
    # ------------------------------------------------------------------
    def init_connection(self) -> None:
        """Mark the connection as initialising: asynchronous publishes are
        queued until :meth:`connect` succeeds instead of failing."""
        with self._lock:
            if self._state == _DISCONNECTED:
                self._state = _INITIALISING

    def _announce(self, item: Subscriber) -> None:
        self._send_meta(
            Event(
                topic="ftrack.meta.subscribe",
                data={"subscriber": item.metadata, "subscription": str(item.subscription)},
            )
        )

    def _send_meta(self, event: Event) -> None:
        self._prepare_event(event)
        self._send_event(event, None)

    def _send_event(self, event: Event, on_reply: Optional[_Callback]) -> None:
        raise EventHubConnectionError("Networking is not available yet.")
