"""Subscriber registry, routing and the aiohttp socket.io 0.9 endpoints.

Routing rules (protocol notes section 6.6):

* ``ftrack.meta.subscribe`` / ``ftrack.meta.unsubscribe`` are consumed here and
  never forwarded; subscribers are kept per connection, keyed (and so
  de-duplicated) by subscriber id; a re-subscription replaces the old one.
* Every other event is delivered *once* to every connection (the sender
  included) that has at least one subscriber whose subscription matches the
  event and, when the event has a ``target``, whose metadata matches it.
* Delivered events carry only the seven standard keys.
* A publish asking for an ack is acknowledged after routing with
  ``6:::<n>+[{"success": true}]`` (or ``success: false`` and a message).

Everything here runs on the server's event loop; :meth:`EventBroker.publish`
is the only entry point for other threads.
"""
from __future__ import annotations

import asyncio
import collections
import json
import logging
import uuid
from typing import Any, Callable, Dict, List, Optional, Tuple

from aiohttp import WSMsgType, web

from ftrack_api.event import _socketio as sio
from ftrack_api.event.expression import Expression, Parser
from ftrack_api.exception import ParseError

logger = logging.getLogger(__name__)

_EVENT_KEYS = ("id", "topic", "data", "sent", "source", "target", "inReplyToEvent")
_MAX_PENDING_SESSIONS = 1024
#: Frames a connection may have waiting to be written before it is dropped
#: as a consumer that stopped reading (protects the server's memory).
MAX_QUEUED_FRAMES = 100000


class _Client:
    """One websocket connection and its subscribers."""

    def __init__(self, session_id: str, username: str, websocket: web.WebSocketResponse) -> None:
        self.session_id = session_id
        self.username = username
        self.websocket = websocket
        self.codec = sio.Connection(sio.Role.SERVER)
        self.outbox: "asyncio.Queue[Optional[str]]" = asyncio.Queue()
        self.subscribers: Dict[str, Tuple[Dict[str, Any], Expression]] = {}
        self.tasks: List["asyncio.Task[None]"] = []
        self.overflowed = False

    def send(self, frame: str) -> None:
        if self.outbox.qsize() >= MAX_QUEUED_FRAMES:
            if not self.overflowed:
                self.overflowed = True
                logger.warning("Dropping event hub connection %s: it stopped reading.", self.session_id)
                self.outbox.put_nowait(None)  # the writer stops; the handler closes the socket
                asyncio.ensure_future(self.websocket.close())
            return
        self.outbox.put_nowait(frame)

    def interested(self, event: Dict[str, Any], target: Optional[Expression]) -> bool:
        for metadata, expression in self.subscribers.values():
            if target is not None and not target.match(metadata):
                continue
            if expression.match(event):
                return True
        return False


def _clean_event(event: Dict[str, Any]) -> Dict[str, Any]:
    """Return *event* with exactly the seven standard keys (wire spelling)."""
    clean = {
        "id": event.get("id") or uuid.uuid4().hex,
        "topic": event.get("topic"),
        "data": event.get("data") if event.get("data") is not None else {},
        "sent": event.get("sent"),
        "source": event.get("source") if isinstance(event.get("source"), dict) else {},
        "target": event.get("target") or "",
        "inReplyToEvent": event.get("inReplyToEvent", event.get("in_reply_to_event")),
    }
    return clean


def _failure(message: str) -> Dict[str, Any]:
    return {"success": False, "message": message}


_SUCCESS = {"success": True}


class EventBroker:
    """The local server's event hub.

    :param authenticate: ``authenticate(username, api_key) -> bool`` used by
        the handshake.
    :param heartbeat_interval: seconds between ``2::`` heartbeats sent to
        each connection (keep it under 15 s for the JavaScript client).
    """

    def __init__(
        self, authenticate: Callable[[str, str], bool], heartbeat_interval: float = 10.0
    ) -> None:
        if heartbeat_interval <= 0:
            raise ValueError("heartbeat_interval must be positive.")
        self._authenticate = authenticate
        self._heartbeat_interval = float(heartbeat_interval)
        self._pending: "collections.OrderedDict[str, str]" = collections.OrderedDict()
        self._clients: Dict[str, _Client] = {}
        self._parser = Parser()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._closed = False

    # ------------------------------------------------------------------
    # Wiring
    # ------------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        """Add the handshake and websocket routes to *app*."""
        app.router.add_get("/socket.io/1/", self._handshake)
        app.router.add_get("/socket.io/1", self._handshake)
        app.router.add_get("/socket.io/1/websocket/{sid}", self._websocket)
        app.on_startup.append(self._on_startup)

    async def _on_startup(self, app: web.Application) -> None:
        self._loop = asyncio.get_running_loop()

    @property
    def connection_count(self) -> int:
        """Number of open websocket connections."""
        return len(self._clients)

    def publish(self, event: Dict[str, Any]) -> None:
        """Route *event* (a wire-format dict) to the subscribed connections.

        Thread-safe and non-blocking: may be called from the server's loop or
        from any other thread. Events published before the server runs or
        after :meth:`close` are dropped.
        """
        if not isinstance(event, dict) or not isinstance(event.get("topic"), str):
            raise TypeError("publish() expects an event dict with a string 'topic'.")
        loop = self._loop
        if loop is None or loop.is_closed() or self._closed:
            return
        try:
            loop.call_soon_threadsafe(self._deliver, dict(event))
        except RuntimeError:  # loop closed between the check and the call
            return

    async def close(self) -> None:
        """Disconnect every client (``0::``) and forget pending handshakes."""
        self._closed = True
        self._pending.clear()
        clients = list(self._clients.values())
        for client in clients:
            if client.codec.state is sio.State.CONNECTED:
                client.send(client.codec.close())
            client.outbox.put_nowait(None)
        for client in clients:
            writer = client.tasks[0] if client.tasks else None
            if writer is not None:
                try:
                    await asyncio.wait_for(asyncio.shield(writer), timeout=2.0)
                except (asyncio.TimeoutError, asyncio.CancelledError, Exception):  # noqa: BLE001
                    pass
            await client.websocket.close()

    # ------------------------------------------------------------------
    # HTTP handlers
    # ------------------------------------------------------------------
    async def _handshake(self, request: web.Request) -> web.Response:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        if self._closed:
            return web.Response(status=503, text="Event hub is shutting down.")
        username = request.headers.get("ftrack-user") or request.query.get("api_user") or ""
        api_key = request.headers.get("ftrack-api-key") or request.query.get("api_key") or ""
        try:
            allowed = bool(username and api_key and self._authenticate(username, api_key))
        except Exception:  # noqa: BLE001 - a broken callback must not crash the server
            logger.exception("Event hub authentication callback failed.")
            return web.Response(status=500, text="Authentication failed on the server.")
        if not allowed:
            return web.Response(
                status=401,
                text="The supplied API key is not valid (send ftrack-user and ftrack-api-key).",
            )
        session_id = uuid.uuid4().hex
        self._pending[session_id] = username
        while len(self._pending) > _MAX_PENDING_SESSIONS:
            self._pending.popitem(last=False)
        return web.Response(
            text=sio.format_handshake(session_id, 60, 60, ("websocket",)),
            content_type="text/plain",
        )

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        session_id = request.match_info["sid"]
        username = self._pending.pop(session_id, None)
        if username is None or self._closed:
            return web.Response(
                status=403, text="Unknown socket.io session id; do the handshake first."
            )
        websocket = web.WebSocketResponse(max_msg_size=64 * 1024 * 1024)
        await websocket.prepare(request)
        client = _Client(session_id, username, websocket)
        self._clients[session_id] = client
        loop = asyncio.get_running_loop()
        client.tasks.append(loop.create_task(self._write_loop(client)))
        client.tasks.append(loop.create_task(self._heartbeat_loop(client)))
        client.send(client.codec.start())
        try:
            async for message in websocket:
                if message.type == WSMsgType.TEXT:
                    self._on_frame(client, message.data)
                elif message.type == WSMsgType.ERROR:
                    break
                if client.codec.state is sio.State.CLOSED:
                    break
        finally:
            self._clients.pop(session_id, None)
            client.outbox.put_nowait(None)
            for task in client.tasks[1:]:
                task.cancel()
            if not websocket.closed:
                await websocket.close()
        return websocket

    async def _write_loop(self, client: _Client) -> None:
        while True:
            frame = await client.outbox.get()
            if frame is None:
                return
            try:
                await client.websocket.send_str(frame)
            except (ConnectionError, RuntimeError):
                return

    async def _heartbeat_loop(self, client: _Client) -> None:
        while client.codec.state is sio.State.CONNECTED:
            await asyncio.sleep(self._heartbeat_interval)
            if client.codec.state is sio.State.CONNECTED:
                client.send(client.codec.heartbeat())

    # ------------------------------------------------------------------
    # Protocol
    # ------------------------------------------------------------------
    def _on_frame(self, client: _Client, frame: str) -> None:
        try:
            events = client.codec.receive(frame)
        except sio.RemoteProtocolError as error:
            logger.warning("Bad frame from %s: %s", client.session_id, error)
            client.send(client.codec.error("invalid packet"))
            return
        for received in events:
            if isinstance(received, sio.EventReceived):
                result = self._on_event(client, received)
                if received.ack_id is not None:
                    client.send(client.codec.ack(received.ack_id, result))

    def _on_event(self, client: _Client, received: sio.EventReceived) -> Dict[str, Any]:
        event = sio.event_frame_parts(received)
        if event is None:
            return _failure("Expected one 'ftrack.event' argument.")
        topic = event.get("topic")
        if not isinstance(topic, str) or not topic:
            return _failure("Event has no topic.")
        if topic == "ftrack.meta.subscribe":
            return self._subscribe(client, event)
        if topic == "ftrack.meta.unsubscribe":
            return self._unsubscribe(client, event)
        return self._deliver(event)

    def _subscribe(self, client: _Client, event: Dict[str, Any]) -> Dict[str, Any]:
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        subscriber = data.get("subscriber")
        subscription = data.get("subscription")
        if not isinstance(subscriber, dict) or not subscriber.get("id"):
            return _failure("Subscribe needs data.subscriber with an id.")
        if not isinstance(subscription, str):
            return _failure("Subscribe needs a data.subscription expression.")
        try:
            expression = self._parser.parse(subscription)
        except ParseError as error:
            return _failure("Invalid subscription: {0}".format(error.message))
        client.subscribers[str(subscriber["id"])] = (dict(subscriber), expression)
        return dict(_SUCCESS)

    def _unsubscribe(self, client: _Client, event: Dict[str, Any]) -> Dict[str, Any]:
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        subscriber = data.get("subscriber")
        identifier = subscriber.get("id") if isinstance(subscriber, dict) else None
        if client.subscribers.pop(str(identifier), None) is None:
            return _failure("Unknown subscriber {0!r}.".format(identifier))
        return dict(_SUCCESS)

    def _deliver(self, event: Dict[str, Any]) -> Dict[str, Any]:
        if not isinstance(event.get("topic"), str) or not event.get("topic"):
            return _failure("Event has no topic.")
        clean = _clean_event(event)
        target: Optional[Expression] = None
        if clean["target"]:
            try:
                target = self._parser.parse(clean["target"])
            except (ParseError, TypeError) as error:
                return _failure("Invalid target: {0}".format(error))
        frame: Optional[str] = None
        for client in list(self._clients.values()):
            if client.codec.state is not sio.State.CONNECTED:
                continue
            if not client.interested(clean, target):
                continue
            if frame is None:
                payload = json.dumps({"name": "ftrack.event", "args": [clean]}, ensure_ascii=False)
                frame = sio.encode_packet(sio.Packet(sio.PacketType.EVENT, data=payload))
            client.send(frame)
        return dict(_SUCCESS)
