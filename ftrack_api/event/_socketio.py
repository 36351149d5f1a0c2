"""Sans-I/O socket.io 0.9 codec and connection state, for both roles.

Nothing in this module touches a socket, a thread or a clock: it turns text
frames into events and method calls into text frames.  The client hub drives
it from a websocket-client thread; the local server drives it from aiohttp.

Theory of operation
-------------------

A frame is ``type:id:endpoint:data`` (socket.io 0.9).  ``id`` may end with
``+`` meaning "acknowledge me with data".  The endpoint is always empty here.
Types: 0 disconnect, 1 connect, 2 heartbeat, 3 message, 4 json, 5 event,
6 ack, 7 error.

State machine (identical for both roles, the role only decides who may send
what)::

    CONNECTING --(server sends / client receives "1::")--> CONNECTED
    CONNECTED  --("0::" either way, or close())----------> CLOSED
    CONNECTING --(close())--------------------------------> CLOSED

Rules:

1. Only the server sends ``1::`` and heartbeat *requests* ``2::``; the client
   answers heartbeats with ``2:::`` (as the Python client does) and the
   server accepts ``2::`` and ``2:::``.
2. Events may be sent only while CONNECTED.  Client events ask for an ack
   (``5:<n>+::json``) with ids from a counter that the owner may share across
   reconnects; server events never carry an id (``5:::json``).
3. Acks are ``6:::<n>+[<json>]`` with exactly one JSON object (the Python
   client's receive thread dies otherwise), sent by the server only.
4. Errors caused by us raise :class:`LocalProtocolError`; malformed frames
   from the peer raise :class:`RemoteProtocolError`.  Both are
   :class:`~ftrack_api.exception.EventHubPacketError`.
"""
from __future__ import annotations

import enum
import itertools
import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Tuple, Union

from ftrack_api.exception import EventHubConnectionError, EventHubPacketError

__all__ = [
    "PacketType",
    "Packet",
    "encode_packet",
    "decode_packet",
    "SocketIoSession",
    "parse_handshake",
    "format_handshake",
    "websocket_path",
    "Role",
    "State",
    "Connection",
    "Connected",
    "Disconnected",
    "Heartbeat",
    "EventReceived",
    "AckReceived",
    "MessageReceived",
    "ErrorReceived",
    "LocalProtocolError",
    "RemoteProtocolError",
]


class LocalProtocolError(EventHubPacketError):
    """We tried to do something the protocol does not allow."""


class RemoteProtocolError(EventHubPacketError):
    """The peer sent something we cannot understand."""


# ----------------------------------------------------------------------
# Packets
# ----------------------------------------------------------------------
class PacketType(enum.IntEnum):
    """socket.io 0.9 packet types."""

    DISCONNECT = 0
    CONNECT = 1
    HEARTBEAT = 2
    MESSAGE = 3
    JSON = 4
    EVENT = 5
    ACK = 6
    ERROR = 7


@dataclass(frozen=True)
class Packet:
    """One decoded frame. ``ack_with_data`` is the ``+`` after the id."""

    type: PacketType
    id: Optional[int] = None
    ack_with_data: bool = False
    endpoint: str = ""
    data: Optional[str] = None


def encode_packet(packet: Packet, trailing_separator: bool = False) -> str:
    """Return the text frame for *packet*.

    A packet without data is written ``type:id:endpoint`` (``2::``), or with a
    fourth empty field when *trailing_separator* is true (``2:::``).
    """
    identifier = "" if packet.id is None else str(packet.id)
    if packet.ack_with_data and packet.id is not None:
        identifier += "+"
    head = "{0}:{1}:{2}".format(int(packet.type), identifier, packet.endpoint)
    if packet.data is None:
        return head + ":" if trailing_separator else head
    return "{0}:{1}".format(head, packet.data)


def decode_packet(frame: str) -> Packet:
    """Parse one text frame.

    :raises RemoteProtocolError: malformed frame or unknown packet type.
    """
    if not isinstance(frame, str):
        raise RemoteProtocolError("Frame must be text, not {0!r}.".format(type(frame).__name__))
    parts = frame.split(":", 3)
    if len(parts) < 3:
        raise RemoteProtocolError("Malformed socket.io frame {0!r}.".format(frame[:80]))
    kind, identifier, endpoint = parts[0], parts[1], parts[2]
    data = parts[3] if len(parts) == 4 else None
    try:
        packet_type = PacketType(int(kind))
    except ValueError:
        raise RemoteProtocolError("Unknown packet type in frame {0!r}.".format(frame[:80])) from None
    ack_with_data = identifier.endswith("+")
    if ack_with_data:
        identifier = identifier[:-1]
    packet_id: Optional[int] = None
    if identifier:
        if not identifier.isdigit():
            raise RemoteProtocolError("Invalid packet id in frame {0!r}.".format(frame[:80]))
        packet_id = int(identifier)
    return Packet(packet_type, packet_id, ack_with_data, endpoint, data if data != "" else None)


# ----------------------------------------------------------------------
# Handshake
# ----------------------------------------------------------------------
class SocketIoSession(NamedTuple):
    """Parsed handshake reply (the official client's field names)."""

    id: str
    heartbeatTimeout: int  # noqa: N815 - official field name
    supportedTransports: List[str]  # noqa: N815 - official field name


def parse_handshake(body: str) -> SocketIoSession:
    """Parse ``sid:heartbeat:close:transports``.

    :raises EventHubConnectionError: fewer than four fields, an empty id or
        no ``websocket`` transport.
    """
    parts = (body or "").strip().split(":")
    if len(parts) < 4 or not parts[0]:
        raise EventHubConnectionError(
            "Invalid socket.io handshake reply {0!r}: expected "
            "'sid:heartbeat:close:transports'.".format((body or "")[:80])
        )
    try:
        heartbeat = int(parts[1]) if parts[1] else 0
    except ValueError:
        heartbeat = 0
    transports = [t.strip() for t in parts[3].split(",") if t.strip()]
    if "websocket" not in transports:
        raise EventHubConnectionError(
            "Server does not support the websocket transport (offers {0}).".format(
                ", ".join(transports) or "nothing"
            )
        )
    return SocketIoSession(parts[0], heartbeat, transports)


def format_handshake(
    session_id: str,
    heartbeat_timeout: int = 60,
    close_timeout: int = 60,
    transports: Tuple[str, ...] = ("websocket",),
) -> str:
    """Return the handshake reply body for *session_id*."""
    if not session_id or ":" in session_id:
        raise LocalProtocolError("Session id must be non-empty and contain no ':'.")
    return "{0}:{1}:{2}:{3}".format(
        session_id, int(heartbeat_timeout), int(close_timeout), ",".join(transports)
    )


def websocket_path(session_id: str) -> str:
    """Return the websocket path for *session_id*."""
    return "/socket.io/1/websocket/{0}".format(session_id)


# ----------------------------------------------------------------------
# Events produced by Connection.receive
# ----------------------------------------------------------------------
@dataclass(frozen=True)
class Connected:
    """The server accepted the connection (``1::``)."""


@dataclass(frozen=True)
class Disconnected:
    """The peer closed the socket.io session (``0::``)."""


@dataclass(frozen=True)
class Heartbeat:
    """A heartbeat arrived (a request on the client, a reply on the server).

    On the client, :meth:`Connection.receive` has already prepared the reply:
    send :attr:`reply`.
    """

    reply: Optional[str] = None


@dataclass(frozen=True)
class EventReceived:
    """A named event with its arguments; *ack_id* is set when the peer
    wants an acknowledgement (server role: answer with :meth:`Connection.ack`)."""

    name: str
    args: List[Any]
    ack_id: Optional[int] = None


@dataclass(frozen=True)
class AckReceived:
    """Acknowledgement of our packet *ack_id* with its arguments."""

    ack_id: int
    args: List[Any]
    expected: bool = True


@dataclass(frozen=True)
class MessageReceived:
    """A plain (type 3) or JSON (type 4) message."""

    data: Any
    json: bool = False


@dataclass(frozen=True)
class ErrorReceived:
    """The peer reported an error (``7:::reason``)."""

    reason: str


ConnectionEvent = Union[
    Connected, Disconnected, Heartbeat, EventReceived, AckReceived, MessageReceived, ErrorReceived
]


# ----------------------------------------------------------------------
# Connection state
# ----------------------------------------------------------------------
class Role(enum.Enum):
    """Which end of the connection a :class:`Connection` plays."""

    CLIENT = "client"
    SERVER = "server"


class State(enum.Enum):
    """Connection state."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    CLOSED = "closed"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Connection:
    """Role-aware socket.io 0.9 session state.

    :param role: :attr:`Role.CLIENT` or :attr:`Role.SERVER`.
    :param packet_ids: source of ack ids for client events; pass the same
        iterator to the next connection to keep counting across reconnects.
    """

    role: Role
    packet_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    state: State = State.CONNECTING
    pending_acks: Dict[int, None] = field(default_factory=dict)
    heartbeats_sent: int = 0
    heartbeats_received: int = 0

    # -- sending ----------------------------------------------------------
    def start(self) -> str:
        """Server: return the ``1::`` frame and become CONNECTED."""
        self._require_role(Role.SERVER, "start")
        if self.state is not State.CONNECTING:
            raise LocalProtocolError("Connection already started ({0}).".format(self.state.value))
        self.state = State.CONNECTED
        return encode_packet(Packet(PacketType.CONNECT))

    def heartbeat(self) -> str:
        """Server: return a heartbeat request ``2::``."""
        self._require_role(Role.SERVER, "heartbeat")
        self._require_connected()
        self.heartbeats_sent += 1
        return encode_packet(Packet(PacketType.HEARTBEAT))

    def emit(self, name: str, args: List[Any], ack: Optional[bool] = None) -> Tuple[str, Optional[int]]:
        """Return ``(frame, ack_id)`` for the event *name* with *args*.

        Clients ask for an ack by default; the server never does.
        """
        self._require_connected()
        if ack is None:
            ack = self.role is Role.CLIENT
        if ack and self.role is Role.SERVER:
            raise LocalProtocolError("The server does not ask for acks.")
        payload = _dumps({"name": name, "args": list(args)})
        if not ack:
            return encode_packet(Packet(PacketType.EVENT, data=payload)), None
        ack_id = next(self.packet_ids)
        self.pending_acks[ack_id] = None
        return encode_packet(Packet(PacketType.EVENT, ack_id, True, "", payload)), ack_id

    def ack(self, ack_id: int, result: Dict[str, Any]) -> str:
        """Server: return ``6:::<ack_id>+[result]`` (exactly one JSON object)."""
        self._require_role(Role.SERVER, "ack")
        if not isinstance(result, dict):
            raise LocalProtocolError("An ack carries exactly one JSON object.")
        return encode_packet(
            Packet(PacketType.ACK, data="{0}+{1}".format(int(ack_id), _dumps([result])))
        )

    def error(self, reason: str) -> str:
        """Return an error frame ``7:::reason``."""
        return "7:::{0}".format(reason)

    def close(self) -> str:
        """Return the ``0::`` frame and become CLOSED."""
        self.state = State.CLOSED
        return encode_packet(Packet(PacketType.DISCONNECT))

    # -- receiving --------------------------------------------------------
    def receive(self, frame: str) -> List[ConnectionEvent]:
        """Feed one received text frame; return what it means.

        :raises RemoteProtocolError: malformed frame, or a packet the peer's
            role may not send.
        """
        packet = decode_packet(frame)
        kind = packet.type
        if kind is PacketType.CONNECT:
            if self.role is Role.SERVER:
                raise RemoteProtocolError("A client may not send a connect packet.")
            if self.state is State.CONNECTING:
                self.state = State.CONNECTED
                return [Connected()]
            return []
        if kind is PacketType.DISCONNECT:
            self.state = State.CLOSED
            return [Disconnected()]
        if kind is PacketType.HEARTBEAT:
            self.heartbeats_received += 1
            if self.role is Role.CLIENT:
                return [Heartbeat(reply=encode_packet(Packet(PacketType.HEARTBEAT), True))]
            return [Heartbeat()]
        if kind is PacketType.ERROR:
            return [ErrorReceived(packet.data or "")]
        if kind is PacketType.MESSAGE:
            return [MessageReceived(packet.data or "")]
        if kind is PacketType.JSON:
            return [MessageReceived(self._loads(packet.data), json=True)]
        if kind is PacketType.EVENT:
            return [self._receive_event(packet)]
        return [self._receive_ack(packet)]

    def _receive_event(self, packet: Packet) -> EventReceived:
        payload = self._loads(packet.data)
        if not isinstance(payload, dict) or not isinstance(payload.get("name"), str):
            raise RemoteProtocolError("Event packet without a name.")
        args = payload.get("args", [])
        if not isinstance(args, list):
            raise RemoteProtocolError("Event packet args must be a list.")
        ack_id = packet.id if packet.id is not None else None
        if ack_id is not None and self.role is Role.CLIENT:
            ack_id = None  # the server never asks the client for acks
        return EventReceived(payload["name"], args, ack_id)

    def _receive_ack(self, packet: Packet) -> AckReceived:
        if self.role is Role.SERVER:
            raise RemoteProtocolError("A client may not send acks.")
        text = packet.data or ""
        identifier, _, rest = text.partition("+")
        if not identifier.isdigit():
            raise RemoteProtocolError("Ack packet without a numeric id: {0!r}.".format(text[:80]))
        args: Any = self._loads(rest) if rest else []
        if not isinstance(args, list):
            args = [args]
        ack_id = int(identifier)
        expected = self.pending_acks.pop(ack_id, 1) is None
        return AckReceived(ack_id, args, expected)

    # -- helpers ----------------------------------------------------------
    @staticmethod
    def _loads(text: Optional[str]) -> Any:
        try:
            return json.loads(text or "")
        except ValueError:
            raise RemoteProtocolError("Invalid JSON in packet: {0!r}.".format((text or "")[:80])) from None
        except RecursionError:
            raise RemoteProtocolError("JSON in packet is nested too deeply.") from None

    def _require_role(self, role: Role, action: str) -> None:
        if self.role is not role:
            raise LocalProtocolError("Only the {0} may {1}.".format(role.value, action))

    def _require_connected(self) -> None:
        if self.state is not State.CONNECTED:
            raise LocalProtocolError(
                "Cannot send while the connection is {0}.".format(self.state.value)
            )


def event_frame_parts(event: EventReceived) -> Optional[Dict[str, Any]]:
    """Return the single ``ftrack.event`` argument of *event*, or ``None``."""
    if event.name != "ftrack.event" or len(event.args) != 1 or not isinstance(event.args[0], dict):
        return None
    return event.args[0]

