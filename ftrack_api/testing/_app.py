"""aiohttp routes of the local server (thin: parse the request, call the backend)."""
from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any, Dict, Tuple

from aiohttp import web

from ._backend import Backend
from ._errors import BadRequestError
from ._reads import RawJSON, encode_results

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024 * 1024
# A 1x1 transparent PNG served as the default thumbnail.
_PLACEHOLDER_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)

def _encode(payload: Any) -> bytes:
    return encode_results(payload)


def _cheap_to_encode(payload: Any) -> bool:
    """A result list of one item that SQLite already serialised (a plain query page)."""
    return isinstance(payload, list) and len(payload) == 1 and isinstance(payload[0], RawJSON)


@web.middleware
async def _cors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Let browser clients (the JavaScript API with ``credentials: include``) call in."""
    origin = request.headers.get("Origin")
    if origin and request.method == "OPTIONS":
        response: web.StreamResponse = web.Response(status=204)
    else:
        response = await handler(request)
    if origin and not response.prepared:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = request.headers.get(
            "Access-Control-Request-Headers", "*")
        response.headers["Access-Control-Expose-Headers"] = "ETag"
        response.headers["Vary"] = "Origin"
    return response


def create_app(backend: Backend, heartbeat_interval: float = 10.0) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY, middlewares=[_cors])

    async def api(request: web.Request) -> web.Response:
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            strict = request.headers.get("ftrack-strict-api", "").lower() in ("true", "1")
            error = BadRequestError(f"Request body is larger than the limit of "
                                    f"{MAX_BODY // (1024 * 1024)} MB.", status=413)
            return web.json_response(error.to_wire(), status=413 if strict else 200)

        status, body = await asyncio.get_running_loop().run_in_executor(
            None, _handle_and_encode, dict(request.headers), body)
        return web.Response(status=status, body=body, content_type="application/json",
                            charset="utf-8")

    def _handle_and_encode(headers: Dict[str, str], body: bytes) -> Tuple[int, bytes]:
        # One executor hop per request: the payload is encoded by the worker thread that
        # produced it, after the backend has finished with the batch.
        status, payload = backend.handle(headers, body)
        return status, _encode(payload)

    async def widget(request: web.Request) -> web.Response:
        return web.Response(text="<html><body>ftrack local widget</body></html>",
                            content_type="text/html")

    async def upload(request: web.Request) -> web.Response:
        # Streamed: uploads are not bound by the /api body limit.
        buffer = bytearray()
        async for chunk in request.content.iter_chunked(1 << 20):
            buffer.extend(chunk)
        data = bytes(buffer)
        part = request.match_info.get("part")
        number = None
        if part is not None:
            # Like S3: part numbers 1 to 10000; anything else is not a whole-file upload.
            if not (part.isascii() and part.isdigit() and 1 <= int(part[:6]) <= 10000):
                return web.Response(status=400, text=f"Invalid part number {part!r} (1 to 10000).")
            number = int(part)
        status, text = await asyncio.get_running_loop().run_in_executor(
            None, backend.store_upload, request.match_info["token"], number, data,
            dict(request.headers))
        headers = {"ETag": f'"{text}"'} if status == 200 else {}
        return web.Response(status=status, text="" if status == 200 else text, headers=headers)

    async def component_get(request: web.Request) -> web.Response:
        status, body, info = await asyncio.get_running_loop().run_in_executor(
            None, backend.read_file, dict(request.query))
        if body is None:
            return web.Response(status=status, text=info or "")
        return web.Response(status=status, body=body,
                            content_type=info or "application/octet-stream")

    async def thumbnail(request: web.Request) -> web.Response:
        status, body, info = await asyncio.get_running_loop().run_in_executor(
            None, backend.read_file, dict(request.query))
        if status == 401:
            return web.Response(status=401, text=info or "")
        if body is None:
            return web.Response(body=_PLACEHOLDER_PNG, content_type="image/png")
        return web.Response(body=body, content_type=info or "image/png")

    async def component_remove(request: web.Request) -> web.Response:
        status, text = await asyncio.get_running_loop().run_in_executor(
            None, backend.remove_file, dict(request.query))
        return web.Response(status=status, text=text)

    async def placeholder(request: web.Request) -> web.Response:
        return web.Response(body=_PLACEHOLDER_PNG, content_type="image/png")

    app.router.add_put("/upload/{token}", upload)
    app.router.add_put("/upload/{token}/{part}", upload)
    app.router.add_get("/component/get", component_get)
    app.router.add_get("/component/thumbnail", thumbnail)
    app.router.add_get("/component/remove", component_remove)
    app.router.add_get("/img/thumbnail2.png", placeholder)
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
    # Another publisher (a test's, an embedding application's) always gets the event.
    backend.has_listeners = lambda: (backend.publish != broker.publish
                                     or broker.connection_count > 0)

    async def close_broker(_app: web.Application) -> None:
        backend.publish = None
        backend.has_listeners = None
        await broker.close()

    app.on_shutdown.append(close_broker)
