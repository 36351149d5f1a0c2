"""The event hub: local dispatch plus a socket.io 0.9 connection to the server.

Threads (all daemons, all joined by :meth:`EventHub.disconnect`):

* the *reader* thread of the current websocket (``ftrack-event-hub-reader-<id>``)
  decodes frames, answers heartbeats, resolves acks and queues received
  events;
* the *connect* thread started by :meth:`EventHub.connect_in_background` and
  the *reconnect* thread started when a link drops unexpectedly; both follow
  the :class:`ReconnectPolicy`.

Received events are only dispatched to subscribers by :meth:`EventHub.wait`
(in the calling thread), as in the official client.

State machine (``EventHub._state``, guarded by ``_lock``)::

    disconnected --init_connection/connect--> initialising --"1::"--> announcing
    announcing --subscriptions acked, queue flushed--> connected
    connected --link lost--> initialising (reconnect thread) --...--> connected
    any --disconnect()--> disconnected

Asynchronous publishes are sent only when *connected*, queued in the two
middle states and refused when *disconnected*.

Size note: this module is a little over the 800-line guide because the public
API (the official surface) and the connection lifecycle share one lock and
one state machine; the protocol (``_socketio``), the I/O driver
(``_connection``), the inbox (``_inbox``) and the policy (``_policy``) already
live in private modules.

Start-up cost: the protocol codec and the I/O driver (with websocket-client)
are imported by the first connection attempt, not with this module; every
session imports it, most never connect.
"""
from __future__ import annotations

import bisect
import collections
import contextlib
import itertools
import json
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
    TYPE_CHECKING,
)

from ftrack_api.event._inbox import Inbox
from ftrack_api.event._policy import ReconnectPolicy
from ftrack_api.event.base import Event, to_wire
from ftrack_api.event.expression import Parser
from ftrack_api.event.subscriber import Subscriber
from ftrack_api.exception import (
    EventHubConnectionError,
    NotFoundError,
    NotUniqueError,
    ParseError,
)

if TYPE_CHECKING:  # pragma: no cover - imported on first connect at run time
    from ftrack_api.event import _socketio as sio
    from ftrack_api.event._connection import WebSocketLink
    from ftrack_api.event._socketio import SocketIoSession

__all__ = ["EventHub", "ServerDetails", "SocketIoSession", "ReconnectPolicy"]


def __getattr__(name: str) -> Any:
    # ``SocketIoSession`` lives in the codec module, imported only when needed.
    if name == "SocketIoSession":
        from ftrack_api.event._socketio import SocketIoSession

        return SocketIoSession
    raise AttributeError("module {0!r} has no attribute {1!r}".format(__name__, name))


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

#: on_reply callbacks kept at most (replies to older events are ignored).
_MAX_REPLY_CALLBACKS = 10000


def _check_encodable(event: Event) -> None:
    """Raise TypeError now, in the publisher's thread, for data that cannot
    travel as JSON (rather than failing later in a background thread)."""
    try:
        json.dumps(to_wire(event))
    except (TypeError, ValueError) as error:
        raise TypeError(
            "Event {0!r} cannot be published asynchronously: {1}".format(event["topic"], error)
        ) from None


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

    #: Default reconnect policy; override per instance (``reconnect_policy=``
    #: or assignment) or in a subclass.
    reconnect_policy: ReconnectPolicy = ReconnectPolicy()

    def __init__(
        self,
        server_url: str,
        api_user: str,
        api_key: str,
        headers: Optional[Mapping[str, str]] = None,
        cookies: Optional[Mapping[str, str]] = None,
        *,
        reconnect_policy: Optional[ReconnectPolicy] = None,
    ) -> None:
        if reconnect_policy is not None and not isinstance(reconnect_policy, ReconnectPolicy):
            raise TypeError("reconnect_policy must be a ReconnectPolicy.")
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
        if reconnect_policy is not None:
            self.reconnect_policy = reconnect_policy

        self._parser = Parser()
        self._lock = threading.RLock()
        self._subscribers: List[Subscriber] = []
        # event id -> on_reply callback; bounded, oldest dropped first
        self._reply_callbacks: "collections.OrderedDict[str, _Callback]" = collections.OrderedDict()
        self._state = _DISCONNECTED
        self._outbox: Deque[Tuple[Event, Optional[_Callback]]] = collections.deque()

        self._inbox: Inbox[Event] = Inbox()  # received events waiting for wait()

        self._state_condition = threading.Condition(self._lock)
        self._init_network()

    def _init_network(self) -> None:
        """Set up the networking half (see the connection section below)."""
        self._link: Optional[WebSocketLink] = None
        self._codec: Optional[sio.Connection] = None
        self._packet_ids = itertools.count(1)  # not reset on reconnect
        self._ack_callbacks: Dict[int, Callable[[Any], None]] = {}
        self._unacked: Dict[int, Tuple[Event, Optional[_Callback]]] = {}
        self._closing = threading.Event()
        self._connect_lock = threading.Lock()
        self._socket_opened: Optional[threading.Event] = None
        self._attempt_wakeups: List[threading.Event] = []
        self._threads: List[threading.Thread] = []
        self._handshakes: List[threading.Thread] = []

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
        try:
            json.dumps(subscriber)
        except (TypeError, ValueError) as error:
            raise TypeError("subscriber metadata must be JSON serialisable: {0}".format(error)) from None
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
        _check_encodable(event)
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
        origin = event.get("source")
        if not isinstance(origin, dict) or not origin.get("id"):
            # Any client may publish a malformed event; it must not stop this hub.
            self.logger.warning("Cannot reply to event %s: it has no source id.", event.get("id"))
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
        another thread calls :meth:`stop_waiting`, when the connection is
        lost for good (``ftrack.meta.disconnected``), or when the hub is
        disconnected (:meth:`disconnect`, ``session.close()``).

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
        for event in self._inbox.consume(duration):
            try:
                self._handle(event)
            except Exception:  # noqa: BLE001 - one bad event must not end wait()
                self.logger.exception("Error handling received event %r.", event.get("id"))
            if event.get("topic") == "ftrack.meta.disconnected":
                return

    def stop_waiting(self) -> None:
        """Make :meth:`wait` return (callable from any thread).

        Every running :meth:`wait` returns promptly; when none is running the
        next call to :meth:`wait` returns at once instead (so a stop request
        racing with the start of :meth:`wait` is never lost).
        """
        self._inbox.stop()

    def _enqueue(self, event: Event) -> None:
        self._inbox.put(event)

    # ------------------------------------------------------------------
    # Connection
    # ------------------------------------------------------------------
    def _set_state(self, state: str) -> None:
        """Change state (caller holds ``_lock``) and wake waiters."""
        self._state = state
        self._state_condition.notify_all()

    def init_connection(self) -> None:
        """Mark the connection as initialising: asynchronous publishes are
        queued until :meth:`connect` succeeds instead of failing."""
        with self._lock:
            if self._state == _DISCONNECTED:
                self._set_state(_INITIALISING)

    def wait_until_connected(self, timeout: Optional[float] = None) -> bool:
        """Block until connected (subscriptions announced); return whether
        the hub is connected.

        Returns ``False`` after *timeout* seconds, or at once when the hub is
        disconnected with no connection attempt under way.
        """
        with self._state_condition:
            self._state_condition.wait_for(
                lambda: self._state in (_CONNECTED, _DISCONNECTED), timeout
            )
            return self._state == _CONNECTED

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Block until nothing is in flight: connected, no queued publishes
        and every frame sent so far acknowledged by the server.

        After ``subscribe(...)`` on a connected hub, ``flush()`` guarantees
        the server knows the subscription, so events that other clients
        publish from then on reach it. Returns ``False`` after *timeout*
        seconds or at once when disconnected with no attempt under way.
        """
        with self._state_condition:
            self._state_condition.wait_for(
                lambda: self._state == _DISCONNECTED
                or (self._state == _CONNECTED and not self._outbox and not self._ack_callbacks),
                timeout,
            )
            return self._state == _CONNECTED and not self._outbox and not self._ack_callbacks

    def connect(self) -> None:
        """Connect to the server now (one attempt, in this thread).

        Does the socket.io handshake, opens the websocket, announces the reply
        subscriber and every local subscriber, then sends queued publishes.
        A lost link is later re-established automatically following
        :attr:`reconnect_policy`.

        :raises ftrack_api.exception.EventHubConnectionError: already
            connected, or the attempt failed.
        """
        with self._lock:
            if self._state == _CONNECTED:
                raise EventHubConnectionError("Already connected.")
            was_disconnected = self._state == _DISCONNECTED
        self._closing.clear()
        try:
            self._open_connection()
        except EventHubConnectionError:
            if was_disconnected:  # publishes were not being queued before: do not start now
                with self._lock:
                    if self._state != _CONNECTED:
                        self._set_state(_DISCONNECTED)
            raise

    def connect_in_background(self) -> threading.Thread:
        """Connect from a new daemon thread, retrying per :attr:`reconnect_policy`.

        Returns the started thread. Nothing is raised into it: when every
        attempt fails the local event ``ftrack.meta.disconnected`` is queued.
        Publishes made meanwhile are queued.
        """
        self._closing.clear()
        self.init_connection()
        thread = threading.Thread(
            target=self._connect_with_retries, name=self._thread_name("connect"), daemon=True
        )
        self._track(thread)
        thread.start()
        return thread

    def reconnect(self, attempts: int = 10, delay: float = 5.0) -> None:
        """Drop the current link (keeping subscribers) and connect again.

        :raises ftrack_api.exception.EventHubConnectionError: still not
            connected after *attempts* tries *delay* seconds apart.
        """
        with contextlib.suppress(EventHubConnectionError):
            self.disconnect(unsubscribe=False, reconnect=True)
        self._closing.clear()
        self.init_connection()
        last_error: Optional[BaseException] = None
        for attempt in range(max(1, attempts)):
            if attempt and self._closing.wait(delay):
                break
            try:
                self._open_connection()
                return
            except EventHubConnectionError as error:
                last_error = error
        with self._lock:
            if self._state != _CONNECTED:
                self._set_state(_DISCONNECTED)
        raise EventHubConnectionError(
            "Failed to reconnect to event server: {error}",
            details={"error": str(last_error), "server_url": self.get_server_url()},
        )

    def disconnect(self, unsubscribe: bool = True, reconnect: bool = False) -> None:
        """Disconnect from the server and stop every hub thread.

        :param unsubscribe: first unsubscribe every subscriber (which also
            removes them locally), as the official client does.
        :param reconnect: keep queueing asynchronous publishes (the caller
            is about to connect again).
        :raises ftrack_api.exception.EventHubConnectionError: not connected
            (pending connection attempts are stopped all the same).
        """
        self._closing.set()
        with self._lock:
            for wakeup in self._attempt_wakeups:
                wakeup.set()  # a connection attempt in progress gives up now
            connected = self._state == _CONNECTED and self._link is not None
        if connected and unsubscribe:
            for item in list(self._subscribers):
                with contextlib.suppress(NotFoundError):
                    self.unsubscribe(item.metadata["id"])
        with self._lock:
            link, self._link, self._codec = self._link, None, None
            self._requeue_unacked()
            self._set_state(_INITIALISING if reconnect else _DISCONNECTED)
        if link is not None:
            link.close()
        self._join_threads()
        if not reconnect:
            # The connection is gone for good: a running wait() returns instead of
            # blocking forever (a thread stuck in wait() outlived session.close()).
            self._inbox.interrupt()
        if not connected:
            raise EventHubConnectionError("Not currently connected.")

    def _thread_name(self, role: str) -> str:
        """``ftrack-event-hub-<role>-<first 8 characters of the hub id>``."""
        return "ftrack-event-hub-{0}-{1}".format(role, self.id[:8])

    def _track(self, thread: threading.Thread) -> None:
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)

    def _join_threads(self, timeout: float = 2.0) -> None:
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            if thread is threading.current_thread():
                continue
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            handshakes = list(self._handshakes)
        for worker in handshakes:  # finished ones exit at once; a stalled one is left behind
            worker.join(0.2)

    def _connect_with_retries(self) -> None:
        """Body of the background and reconnect threads: never raises."""
        try:
            try:
                self._open_connection()
                return
            except EventHubConnectionError as error:
                self.logger.info("Event hub connection failed: %s", error.message)
            for delay in self.reconnect_policy.delays():
                if self._closing.wait(delay):
                    return
                try:
                    self._open_connection()
                    return
                except EventHubConnectionError as error:
                    self.logger.debug("Event hub reconnection attempt failed: %s", error.message)
            if not self._closing.is_set():
                self.logger.warning("Giving up connecting to the event server.")
                with self._lock:
                    self._set_state(_DISCONNECTED)
                self._enqueue(Event(topic="ftrack.meta.disconnected", data={}))
        except Exception:  # noqa: BLE001 - nothing may escape into the thread
            self.logger.exception("Unexpected error in the event hub connection thread.")
            with self._lock:
                if self._state != _CONNECTED:
                    self._set_state(_DISCONNECTED)

    def _open_connection(self) -> None:
        """One connection attempt; raises EventHubConnectionError on failure."""
        from ftrack_api.event import _socketio as sio
        from ftrack_api.event._connection import WebSocketLink

        with self._connect_lock:
            self._raise_if_closing()
            if self._state == _CONNECTED:
                return
            self.init_connection()
            policy = self.reconnect_policy
            headers = dict(self._headers)
            headers.update({"ftrack-user": self._api_user, "ftrack-api-key": self._api_key})
            body = self._cancellable_handshake(
                "{0}/socket.io/1/".format(self.get_server_url()), headers, policy.timeout
            )
            session = sio.parse_handshake(body)
            self._raise_if_closing()  # disconnect() was called during the handshake
            scheme = "wss" if self.secure else "ws"
            opened = threading.Event()
            link = WebSocketLink(
                "{0}://{1}{2}".format(
                    scheme, self.get_network_location(), sio.websocket_path(session.id)
                ),
                self._headers,
                self._cookies,
                on_frame=self._on_frame,
                on_close=self._on_link_closed,
                timeout=policy.timeout,
                origin=self.get_server_url(),
                name=self._thread_name("reader"),
            )
            with self._lock:
                self._socket_opened = opened
                self._attempt_wakeups = [opened]
                self._codec = sio.Connection(sio.Role.CLIENT, packet_ids=self._packet_ids)
                self._link = link
            try:
                link.open()
                self._track(link.thread)  # type: ignore[arg-type]
                if not opened.wait(policy.timeout) or self._link is not link or self._closing.is_set():
                    raise EventHubConnectionError(
                        "Event server at {server_url} did not confirm the connection.",
                        details={"server_url": self.get_server_url()},
                    )
                self._announce_all(policy.timeout)
            except BaseException:
                with self._lock:
                    if self._link is link:
                        self._link, self._codec = None, None
                    if self._state == _ANNOUNCING:
                        self._set_state(_INITIALISING)
                link.close()
                raise
            self._enqueue(Event(topic="ftrack.meta.connected", data={}))

    def _cancellable_handshake(self, url: str, headers: Dict[str, str], timeout: float) -> str:
        """Run the HTTP handshake on a helper thread so that :meth:`disconnect`
        never waits for a server that accepted the connection but does not
        answer (the helper finishes on its own timeout; its result is dropped)."""
        from ftrack_api.event._connection import handshake

        done = threading.Event()
        outcome: Dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["body"] = handshake(url, headers, self._cookies, timeout)
            except BaseException as error:  # noqa: BLE001 - handed to the waiting thread
                outcome["error"] = error
            finally:
                done.set()

        with self._lock:
            self._attempt_wakeups = [done]
        self._raise_if_closing()
        worker = threading.Thread(target=work, name=self._thread_name("handshake"), daemon=True)
        with self._lock:
            self._handshakes = [t for t in self._handshakes if t.is_alive()] + [worker]
        worker.start()
        done.wait(timeout + 5.0)
        self._raise_if_closing()
        if "error" in outcome:
            raise outcome["error"]
        if "body" not in outcome:
            raise EventHubConnectionError(
                "Handshake with {server_url} timed out.", details={"server_url": url}
            )
        return outcome["body"]

    def _raise_if_closing(self) -> None:
        if self._closing.is_set():
            raise EventHubConnectionError("Connection attempt cancelled by disconnect().")

    def _announce_all(self, timeout: float) -> None:
        """Subscribe the reply subscriber and every subscriber, wait for the
        acks, flush the queue, then become connected."""
        with self._lock:
            if self.get_subscriber_by_identifier(self.id) is None:
                self._add_subscriber(
                    Subscriber("topic=ftrack.meta.reply", self._handle_reply, {"id": self.id}, 100)
                )
            subscribers = list(self._subscribers)
            self._set_state(_ANNOUNCING)
        remaining = [len(subscribers)]
        done = threading.Event()
        if not subscribers:
            done.set()
        link = self._link
        with self._lock:
            self._attempt_wakeups.append(done)

        def acked(result: Any) -> None:
            if not (isinstance(result, dict) and result.get("success")):
                self.logger.warning("Server refused a subscription: %s", result)
            with self._lock:
                remaining[0] -= 1
                if remaining[0] <= 0:
                    done.set()

        for item in subscribers:
            event = Event(
                topic="ftrack.meta.subscribe",
                data={"subscriber": item.metadata, "subscription": str(item.subscription)},
            )
            self._prepare_event(event)
            self._send_event(event, None, on_ack=acked, requeue=False)
        if not done.wait(timeout) or self._link is not link or self._closing.is_set():
            raise EventHubConnectionError(
                "Event server at {server_url} did not acknowledge the subscriptions.",
                details={"server_url": self.get_server_url()},
            )
        with self._lock:
            while self._outbox and self._link is not None:
                event, on_reply = self._outbox.popleft()
                try:
                    self._transmit(event, on_reply, None, requeue=True)
                except (TypeError, ValueError):
                    self.logger.exception("Dropping queued event that cannot be encoded: %s", event)
            if self._link is None:
                raise EventHubConnectionError("Connection lost while sending queued events.")
            self._set_state(_CONNECTED)

    def _announce(self, item: Subscriber) -> None:
        self._send_meta(
            Event(
                topic="ftrack.meta.subscribe",
                data={"subscriber": item.metadata, "subscription": str(item.subscription)},
            )
        )

    def _send_meta(self, event: Event) -> None:
        self._prepare_event(event)
        self._send_event(event, None, requeue=False)

    def _send_event(
        self,
        event: Event,
        on_reply: Optional[_Callback],
        on_ack: Optional[Callable[[Any], None]] = None,
        requeue: bool = True,
    ) -> None:
        with self._lock:
            self._transmit(event, on_reply, on_ack, requeue)

    def _transmit(
        self,
        event: Event,
        on_reply: Optional[_Callback],
        on_ack: Optional[Callable[[Any], None]],
        requeue: bool,
    ) -> None:
        """Send *event* on the current link (caller holds ``_lock``).

        Without a usable link the event goes back to the queue (when
        *requeue*) and is sent after the next successful connect.
        """
        if on_reply is not None:
            self._reply_callbacks[event["id"]] = on_reply
            while len(self._reply_callbacks) > _MAX_REPLY_CALLBACKS:
                self._reply_callbacks.popitem(last=False)
        link, codec = self._link, self._codec
        usable = link is not None and codec is not None
        if usable:
            from ftrack_api.event._socketio import State  # loaded by the connect

            usable = codec.state is State.CONNECTED  # type: ignore[union-attr]
        if not usable:
            if requeue:
                self._outbox.append((event, on_reply))
            return
        payload = to_wire(event)
        frame, ack_id = codec.emit("ftrack.event", [payload])
        assert ack_id is not None
        self._ack_callbacks[ack_id] = on_ack if on_ack is not None else self._publish_acked
        if requeue:
            self._unacked[ack_id] = (event, on_reply)
        try:
            link.send(frame)
        except EventHubConnectionError:
            self._ack_callbacks.pop(ack_id, None)
            self._unacked.pop(ack_id, None)
            if requeue:
                self._outbox.append((event, on_reply))
            link.abort()  # the reader thread notices and reconnects

    def _publish_acked(self, result: Any) -> None:
        if not (isinstance(result, dict) and result.get("success") is True):
            self.logger.error("Server failed to publish event: %s", result)

    def _requeue_unacked(self) -> None:
        """Put events the server never acknowledged back at the queue's front
        (caller holds ``_lock``)."""
        for ack_id in sorted(self._unacked, reverse=True):
            self._outbox.appendleft(self._unacked[ack_id])
        self._unacked.clear()
        self._ack_callbacks.clear()

    # -- reader thread callbacks -------------------------------------------
    def _on_frame(self, link: WebSocketLink, frame: str) -> bool:
        from ftrack_api.event import _socketio as sio  # loaded by the connect

        with self._lock:
            if link is not self._link or self._codec is None:
                return False
            codec = self._codec
        try:
            received = codec.receive(frame)
        except sio.RemoteProtocolError as error:
            self.logger.warning("Ignoring invalid frame from the event server: %s", error.message)
            return True
        for item in received:
            if isinstance(item, sio.Connected):
                opened = self._socket_opened
                if opened is not None:
                    opened.set()
            elif isinstance(item, sio.Heartbeat):
                if item.reply:
                    with contextlib.suppress(EventHubConnectionError):
                        link.send(item.reply)
            elif isinstance(item, sio.AckReceived):
                self._on_ack(item)
            elif isinstance(item, sio.EventReceived):
                self._on_event_frame(item)
            elif isinstance(item, sio.Disconnected):
                self.logger.info("Event server closed the connection.")
                return False
            elif isinstance(item, sio.ErrorReceived):
                self.logger.warning("Event server reported an error: %s", item.reason)
        return True

    def _on_ack(self, item: sio.AckReceived) -> None:
        with self._lock:
            callback = self._ack_callbacks.pop(item.ack_id, None)
            self._unacked.pop(item.ack_id, None)
            if not self._ack_callbacks:
                self._state_condition.notify_all()
        if callback is None:
            return
        try:
            callback(item.args[0] if item.args else None)
        except Exception:  # noqa: BLE001 - never kill the reader thread
            self.logger.exception("Error in acknowledgement callback.")

    def _on_event_frame(self, item: sio.EventReceived) -> None:
        from ftrack_api.event import _socketio as sio

        payload = sio.event_frame_parts(item)
        if payload is None:
            return
        try:
            event = Event._from_wire(payload)
        except TypeError as error:
            self.logger.warning("Dropping malformed event %r: %s", payload, error)
            return
        self._enqueue(event)

    def _on_link_closed(
        self, link: WebSocketLink, error: Optional[BaseException], closed_locally: bool
    ) -> None:
        with self._lock:
            if link is not self._link:
                return
            self._link, self._codec = None, None
            self._requeue_unacked()
            for wakeup in self._attempt_wakeups:
                wakeup.set()  # a connection attempt waiting on this link fails now
            if closed_locally or self._closing.is_set():
                return
            was_connected = self._state == _CONNECTED
            self._set_state(_INITIALISING)  # queue publishes while reconnecting
        if not was_connected:
            return  # the attempt in progress reports the failure itself
        self.logger.warning("Lost connection to the event server (%s); reconnecting.", error)
        thread = threading.Thread(
            target=self._connect_with_retries, name=self._thread_name("reconnect"), daemon=True
        )
        self._track(thread)
        thread.start()
