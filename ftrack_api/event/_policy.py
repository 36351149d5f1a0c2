"""The reconnect policy: an immutable value (see :class:`ReconnectPolicy`)."""
from __future__ import annotations

import dataclasses
from typing import Any, Iterator, Optional

__all__ = ["ReconnectPolicy"]


@dataclasses.dataclass(frozen=True)
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
    (30 attempts, 10 s apart, 60 s socket timeout). Use :meth:`new` to
    derive a changed copy::

        fast = ReconnectPolicy().new(delay=0.5, attempts=None)
    """

    attempts: Optional[int] = 30
    delay: float = 10.0
    backoff: float = 1.0
    max_delay: float = 60.0
    timeout: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts is not None and (
            not isinstance(self.attempts, int) or isinstance(self.attempts, bool) or self.attempts < 0
        ):
            raise ValueError("attempts must be a non-negative integer or None.")
        for name in ("delay", "max_delay", "timeout"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError("{0} must be a non-negative number.".format(name))
        if not isinstance(self.backoff, (int, float)) or self.backoff < 1:
            raise ValueError("backoff must be a number >= 1.")
        if self.timeout <= 0:
            raise ValueError("timeout must be positive.")

    def new(self, **changes: Any) -> "ReconnectPolicy":
        """Return a copy with *changes* applied."""
        return dataclasses.replace(self, **changes)

    def delays(self) -> Iterator[float]:
        """Yield the wait before each retry."""
        delay = float(self.delay)
        count = 0
        while self.attempts is None or count < self.attempts:
            yield min(delay, self.max_delay)
            delay *= self.backoff
            count += 1
