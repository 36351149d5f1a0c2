"""Event system: events, subscriptions and the hub that connects them to the server.

Public modules (same paths as the official client):

* :mod:`ftrack_api.event.base` - :class:`~ftrack_api.event.base.Event`.
* :mod:`ftrack_api.event.expression` - the subscription expression language.
* :mod:`ftrack_api.event.subscription` and :mod:`ftrack_api.event.subscriber`.
* :mod:`ftrack_api.event.hub` - :class:`~ftrack_api.event.hub.EventHub`.

Importing this package imports none of them; import the module you need.
"""
from __future__ import annotations

__all__: list = []
