"""The :class:`Event` value passed between publishers and subscribers."""
from __future__ import annotations

import collections.abc
import uuid
from typing import Any, Dict, Iterator, Mapping, Optional

__all__ = ["Event"]

#: The keys an event carries, in their Python spelling.
EVENT_KEYS = ("id", "data", "topic", "sent", "source", "target", "in_reply_to_event")

_WIRE_REPLY_KEY = "inReplyToEvent"


class Event(collections.abc.MutableMapping):
    """An event: a mutable mapping over *topic*, *id*, *data*, *sent*,
    *source*, *target* and *in_reply_to_event*.

    :param topic: dotted topic name, for example ``ftrack.update``.
    :param id: unique identifier; a new hex uuid4 when not given.
    :param data: payload mapping (``{}`` when not given).
    :param sent: time sent (the hub leaves it ``None``).
    :param source: information about the publisher (``{}`` when not given);
        the hub fills ``id``, ``user.username`` and ``host`` on publish.
    :param target: expression matched against subscriber *metadata*; an empty
        string addresses every subscriber.
    :param in_reply_to_event: identifier of the event this one replies to.

    Calling :meth:`stop` during dispatch prevents lower priority subscribers
    from being called for this event.
    """

    def __init__(
        self,
        topic: str,
        id: Optional[str] = None,  # noqa: A002 - official parameter name
        data: Optional[Dict[str, Any]] = None,
        sent: Any = None,
        source: Optional[Dict[str, Any]] = None,
        target: str = "",
        in_reply_to_event: Optional[str] = None,
    ) -> None:
        if not isinstance(topic, str):
            raise TypeError("Event topic must be a string, not {0!r}.".format(topic))
        self._data: Dict[str, Any] = {
            "id": uuid.uuid4().hex if id is None else id,
            "data": {} if data is None else data,
            "topic": topic,
            "sent": sent,
            "source": {} if source is None else source,
            "target": target,
            "in_reply_to_event": in_reply_to_event,
        }
        self._stopped = False

    # -- control ---------------------------------------------------------
    def stop(self) -> None:
        """Stop further subscribers from receiving this event."""
        self._stopped = True

    def is_stopped(self) -> bool:
        """Return whether :meth:`stop` was called."""
        return self._stopped

    # -- mapping ---------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[key] = value

    def __delitem__(self, key: str) -> None:
        del self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __str__(self) -> str:
        return "<{0} {1}>".format(type(self).__name__, self._data)

    __repr__ = __str__

    # -- wire helpers (private) -----------------------------------------
    def _to_wire(self) -> Dict[str, Any]:
        """Return a JSON-ready dict with the wire spelling ``inReplyToEvent``."""
        return to_wire(self._data)

    @classmethod
    def _from_wire(cls, payload: Mapping[str, Any]) -> "Event":
        """Build an event from a decoded wire dict (extra keys -> TypeError)."""
        return cls(**from_wire(payload))


def to_wire(payload: Mapping[str, Any]) -> Dict[str, Any]:
    """Return *payload* restricted to the seven event keys, wire spelling."""
    result: Dict[str, Any] = {}
    for key in EVENT_KEYS:
        if key == "in_reply_to_event":
            value = payload.get(key, payload.get(_WIRE_REPLY_KEY))
            result[_WIRE_REPLY_KEY] = value
        elif key in payload:
            result[key] = payload[key]
    result.setdefault("data", {})
    result.setdefault("source", {})
    result.setdefault("target", "")
    result.setdefault("sent", None)
    return result


def from_wire(payload: Mapping[str, Any]) -> Dict[str, Any]:
    """Return keyword arguments for :class:`Event` from a wire dict."""
    kwargs = dict(payload)
    if _WIRE_REPLY_KEY in kwargs:
        kwargs["in_reply_to_event"] = kwargs.pop(_WIRE_REPLY_KEY)
    return kwargs
