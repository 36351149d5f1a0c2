"""The reconnect policy: an immutable value (see :class:`ReconnectPolicy`).

Written by hand rather than as a dataclass: :mod:`dataclasses` imports
:mod:`inspect`, which costs every session ~10 ms of start-up for one small class.
"""
from __future__ import annotations

from typing import Any, Iterator, Optional, Tuple

__all__ = ["ReconnectPolicy"]

_FIELDS = ("attempts", "delay", "backoff", "max_delay", "timeout")


class ReconnectPolicy:
    """How the hub retries connecting after a failure or a lost link.

    :param attempts: number of retries after the first failure
        (``None`` = retry until :meth:`~ftrack_api.event.hub.EventHub.disconnect`).
    :param delay: seconds to wait before the first retry.
    :param backoff: factor applied to the delay after each retry (``1.0`` =
        constant delay).
    :param max_delay: upper bound for the delay.
    :param timeout: seconds allowed for the handshake, the websocket upgrade
        and the first connect packet; also the read timeout after which a
        silent link is considered dead.

    The defaults follow the official client's automatic reconnection
    (30 attempts, 10 s apart, 60 s socket timeout). Instances are immutable,
    hashable and compare by value. Use :meth:`new` to derive a changed copy::

        fast = ReconnectPolicy().new(delay=0.5, attempts=None)

    :raises ValueError: for a negative or ill-typed setting.
    """

    __slots__ = _FIELDS

    attempts: Optional[int]
    delay: float
    backoff: float
    max_delay: float
    timeout: float

    def __init__(
        self,
        attempts: Optional[int] = 30,
        delay: float = 10.0,
        backoff: float = 1.0,
        max_delay: float = 60.0,
        timeout: float = 60.0,
    ) -> None:
        if attempts is not None and (
            not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 0
        ):
            raise ValueError("attempts must be a non-negative integer or None.")
        for name, value in (("delay", delay), ("max_delay", max_delay), ("timeout", timeout)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError("{0} must be a non-negative number.".format(name))
        if not isinstance(backoff, (int, float)) or backoff < 1:
            raise ValueError("backoff must be a number >= 1.")
        if timeout <= 0:
            raise ValueError("timeout must be positive.")
        for name, value in zip(_FIELDS, (attempts, delay, backoff, max_delay, timeout)):
            object.__setattr__(self, name, value)

    def _values(self) -> Tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _FIELDS)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            "ReconnectPolicy is immutable; use new({0}=...) for a changed copy.".format(name)
        )

    def __delattr__(self, name: str) -> None:
        raise AttributeError("ReconnectPolicy is immutable.")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return "{0}({1})".format(
            type(self).__name__,
            ", ".join("{0}={1!r}".format(name, getattr(self, name)) for name in _FIELDS),
        )

    def __reduce__(self) -> Any:
        return (type(self), self._values())

    def new(self, **changes: Any) -> "ReconnectPolicy":
        """Return a copy with *changes* applied.

        :raises TypeError: for a name that is not a setting.
        """
        unknown = sorted(set(changes) - set(_FIELDS))
        if unknown:
            raise TypeError(
                "ReconnectPolicy has no setting {0}; expected some of {1}.".format(
                    ", ".join(unknown), ", ".join(_FIELDS)
                )
            )
        values = dict(zip(_FIELDS, self._values()))
        values.update(changes)
        return type(self)(**values)

    def delays(self) -> Iterator[float]:
        """Yield the wait before each retry."""
        delay = float(self.delay)
        count = 0
        while self.attempts is None or count < self.attempts:
            yield min(delay, self.max_delay)
            delay *= self.backoff
            count += 1
