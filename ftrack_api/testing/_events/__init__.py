"""Server side of the event hub for the local server (socket.io 0.9 over aiohttp).

Only :class:`EventBroker` is meant to be used, by the local server's app.
"""
from __future__ import annotations

from ftrack_api.testing._events._broker import EventBroker

__all__ = ["EventBroker"]
