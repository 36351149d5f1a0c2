"""Received events waiting for :meth:`EventHub.wait`, with a stop signal.

Pure threading (no I/O): producers :meth:`Inbox.put` items, consumers iterate
:meth:`Inbox.consume`, and :meth:`Inbox.stop` ends every running consumer -
or, when none is running, the next one, so that a stop racing with the start
of a consumer is never lost.
"""
from __future__ import annotations

import collections
import threading
import time
from typing import Deque, Generic, Iterator, Optional, TypeVar

T = TypeVar("T")


class Inbox(Generic[T]):
    """A FIFO of items with stoppable, time-limited consumers."""

    def __init__(self) -> None:
        self._items: Deque[T] = collections.deque()
        self._condition = threading.Condition()
        self._generation = 0  # bumped by stop() while consumers run
        self._stop_pending = False  # stop() with no consumer running
        self._consumers = 0

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: T) -> None:
        """Append *item* and wake consumers."""
        with self._condition:
            self._items.append(item)
            self._condition.notify_all()

    def stop(self) -> None:
        """End running consumers (or the next one when none runs)."""
        with self._condition:
            if self._consumers:
                self._generation += 1
                self._condition.notify_all()
            else:
                self._stop_pending = True

    def interrupt(self) -> None:
        """End running consumers only; later ones are not affected."""
        with self._condition:
            if self._consumers:
                self._generation += 1
                self._condition.notify_all()

    def consume(self, duration: Optional[float] = None) -> Iterator[T]:
        """Yield items as they arrive for *duration* seconds (``None`` =
        until stopped)."""
        deadline = None if duration is None else time.monotonic() + duration
        with self._condition:
            if self._stop_pending:
                self._stop_pending = False
                return
            generation = self._generation
            self._consumers += 1
        try:
            while True:
                with self._condition:
                    while not self._items and self._generation == generation:
                        remaining = None if deadline is None else deadline - time.monotonic()
                        if remaining is not None and remaining <= 0:
                            return
                        self._condition.wait(remaining)
                    if self._generation != generation:
                        return
                    item = self._items.popleft()
                yield item
        finally:
            with self._condition:
                self._consumers -= 1
