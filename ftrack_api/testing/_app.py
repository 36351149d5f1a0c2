"""aiohttp routes of the local server (thin: parse the request, call the backend)."""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import web

from ._backend import Backend

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024 * 1024

def create_app(backend: Backend, heartbeat_interval: float = 10.0) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)

    async def api(request: web.Request) -> web.Response:
        body = await request.read()

        loop = asyncio.get_running_loop()
        status, payload = await loop.run_in_executor(None, backend.handle,
                                                     dict(request.headers), body)
        text = await loop.run_in_executor(None, json.dumps, payload)
        return web.Response(status=status, text=text, content_type="application/json")

    async def widget(request: web.Request) -> web.Response:
        return web.Response(text="<html><body>ftrack local widget</body></html>",
                            content_type="text/html")

    app.router.add_post("/api", api)
    app.router.add_get("/widget/{name}", widget)
    _attach_event_hub(app, backend, heartbeat_interval)
    return app

def _attach_event_hub(app: web.Application, backend: Backend, heartbeat_interval: float) -> None:
    try:
        from ._events import EventBroker  # type: ignore[import-not-found]
    except ImportError:
        log.debug("Event hub module not available; serving without an event hub.")
        return
    broker: Any = EventBroker(authenticate=backend.authenticate,
                              heartbeat_interval=heartbeat_interval)
    broker.add_routes(app)
    backend.publish = broker.publish

    async def close_broker(_app: web.Application) -> None:
        backend.publish = None
        await broker.close()

    app.on_shutdown.append(close_broker)
