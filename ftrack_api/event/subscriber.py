"""A callback registered on the hub together with its subscription."""
from __future__ import annotations

from typing import Any, Callable, Dict

from ftrack_api.event.subscription import Subscription

__all__ = ["Subscriber"]


class Subscriber:
    """A subscriber: *callback* called for events matching *subscription*.

    :param subscription: expression text (parsed into a
        :class:`~ftrack_api.event.subscription.Subscription`).
    :param callback: called with the event; a non-``None`` return value is
        sent back as a reply for asynchronously received events.
    :param metadata: subscriber metadata (must hold ``id``); event *target*
        expressions are matched against it.
    :param priority: lower numbers are called first.
    """

    def __init__(
        self,
        subscription: str,
        callback: Callable[[Any], Any],
        metadata: Dict[str, Any],
        priority: int,
    ) -> None:
        self.subscription = Subscription(subscription)
        self.callback = callback
        self.metadata = metadata
        self.priority = priority

    def interested_in(self, event: Any) -> bool:
        """Return whether this subscriber's subscription includes *event*."""
        return self.subscription.includes(event)

    def __str__(self) -> str:
        return "<{0} metadata={1} subscription=\"{2}\">".format(
            type(self).__name__, self.metadata, self.subscription
        )

    __repr__ = __str__
