"""A parsed subscription expression."""
from __future__ import annotations

from typing import Any

from ftrack_api.event.expression import Parser

__all__ = ["Subscription"]


class Subscription:
    """The subscription *subscription* (expression text), parsed once.

    :raises ftrack_api.exception.ParseError: if the text is not a valid
        expression.
    """

    #: Parser shared by every subscription (thread-safe).
    parser = Parser()

    def __init__(self, subscription: str) -> None:
        self._subscription = subscription
        self._expression = self.parser.parse(subscription)

    def includes(self, event: Any) -> bool:
        """Return whether *event* matches this subscription."""
        return self._expression.match(event)

    def __str__(self) -> str:
        return self._subscription

    def __repr__(self) -> str:
        return "<{0} {1!r}>".format(type(self).__name__, self._subscription)
