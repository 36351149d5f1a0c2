"""A local ftrack-compatible server for offline tests (aiohttp + SQLite).

Use :class:`LocalServer` as a context manager::

    with LocalServer() as server:
        session = server.session()

or run it from the command line (``python -m ftrack_api.testing serve --help``), which
prints ``FTRACK_SERVER``, ``FTRACK_API_USER`` and ``FTRACK_API_KEY`` for any script. For
pytest suites, ``ftrack_api.testing.pytest_plugin`` provides ``ftrack_server`` and
``ftrack_session`` fixtures.

What it serves: ``POST /api`` (every action of the Python and JavaScript clients:
``query_server_information``, ``query_schemas``, ``query``, ``search``, ``create``,
``update``, ``delete``, ``reset_remote``, ``delayed_job``, ``get_widget_url``,
``send_user_invite``, ``send_review_session_invite``, ``encode_media``,
``get_upload_metadata``, ``complete_multipart_upload``), the socket.io 0.9 event hub
(``ftrack.update`` after every committed batch that changed data) and the file endpoints
of the ``ftrack.server`` location (``/component/get``, ``/component/thumbnail``,
``/component/remove`` and the upload URLs). Errors are ftrack error objects; HTTP status
codes are used when the client sends ``ftrack-strict-api: true``.

The default schema set is :mod:`ftrack_api.testing._schemas_default`; any schema list in
ftrack's format works (e.g. the 116 types of a real server). The seeded rows and their
fixed ids are listed in :mod:`ftrack_api.testing._seed`.

``import ftrack_api`` never imports this package; importing it does not import aiohttp
either until a server is started.
"""
from __future__ import annotations

import asyncio
import json
import os
import threading
from typing import Any, Dict, List, Optional, Union

__all__ = ["LocalServer"]

SchemasArg = Union[None, str, "os.PathLike[str]", List[Dict[str, Any]]]

#: Seconds ``stop()`` lets requests in flight finish before their connections are closed.
SHUTDOWN_TIMEOUT = 5.0


def load_schemas(schemas: SchemasArg) -> List[Dict[str, Any]]:
    """Resolve the ``schemas`` argument into a list of schema dicts."""
    if schemas is None:
        from ._schemas_default import default_schemas

        return default_schemas()
    if isinstance(schemas, list):
        if not all(isinstance(s, dict) and "id" in s for s in schemas):
            raise ValueError("schemas must be a list of schema objects, each with an 'id'.")
        _check_schema_shapes(schemas, "schemas")
        return schemas
    if not isinstance(schemas, (str, os.PathLike)):
        raise TypeError("schemas must be None, a path to a JSON file or a list of schema "
                        f"dicts, not {type(schemas).__name__}.")
    path = os.fspath(schemas)
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as error:
        raise ValueError(f"Cannot read schema file {path!r}: {error.strerror}.") from None
    except ValueError as error:
        raise ValueError(f"Schema file {path!r} is not valid JSON: {error}.") from None
    if not isinstance(data, list) or not all(isinstance(s, dict) and "id" in s for s in data):
        raise ValueError(f"Schema file {path!r} must hold a JSON list of schema objects.")
    _check_schema_shapes(data, f"Schema file {path!r}")
    return data


def _check_schema_shapes(schemas: List[Dict[str, Any]], where: str) -> None:
    """Refuse malformed schema objects with a message instead of a later traceback."""
    for schema in schemas:
        name = schema.get("id")
        problem = None
        if not isinstance(name, str) or not name:
            problem = "an 'id' that is not a non-empty string"
        elif not isinstance(schema.get("properties", {}), dict) or not all(
                isinstance(v, dict) for v in schema.get("properties", {}).values()):
            problem = "'properties' that are not an object of attribute objects"
        elif not isinstance(schema.get("primary_key", []), list) or not all(
                key in schema.get("properties", {}) for key in schema.get("primary_key", [])):
            problem = "a 'primary_key' that is not a list of its properties"
        if problem is not None:
            raise ValueError(f"{where}: schema {name!r} has {problem}.")


class LocalServer:
    """An ftrack-compatible server running on a background thread.

    :param database: ``":memory:"`` or a path to an SQLite file (kept across restarts).
    :param schemas: ``None`` for the default schema set, a path to a JSON file in
        ``query_schemas`` format, or a list of schema dicts.
    :param api_user: username of the API user (created as a ``User``).
    :param api_key: API key; generated (or remembered by a file database) when ``None``.
    :param host: interface to bind, loopback by default.
    :param port: TCP port, ``0`` for a free one.
    :param max_operations_per_request: refuse batches with more operations than this.
    :param heartbeat_interval: event hub heartbeat interval in seconds.
    """

    def __init__(self, database: str = ":memory:", schemas: SchemasArg = None,
                 api_user: str = "admin", api_key: Optional[str] = None,
                 host: str = "127.0.0.1", port: int = 0, *,
                 max_operations_per_request: Optional[int] = None,
                 heartbeat_interval: float = 10.0) -> None:
        if not isinstance(api_user, str) or not api_user:
            raise ValueError("api_user must be a non-empty string.")
        if api_key is not None and (not isinstance(api_key, str) or not api_key.strip()):
            # An empty key would let any request that sends an empty key in.
            raise ValueError("api_key must be a non-empty string (or None to generate one).")
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an integer between 0 and 65535, got {port!r}.")
        self.database = os.fspath(database)
        self._schemas = load_schemas(schemas)
        self.api_user = api_user
        self._api_key = api_key
        self.host = host
        self.port = port
        self._requested_port = port
        self.max_operations_per_request = max_operations_per_request
        self.heartbeat_interval = heartbeat_interval
        self._thread: Optional[threading.Thread] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._runner: Any = None
        self._backend: Any = None
        self._ready = threading.Event()
        self._error: Optional[BaseException] = None

    # -- public -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8080``."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_key(self) -> str:
        """The API key of ``api_user`` (known before start only when it was given)."""
        if self._backend is not None:
            return self._backend.api_key
        if self._api_key is not None:
            return self._api_key
        raise RuntimeError("The API key is generated when the server starts; call start() first.")

    def start(self) -> "LocalServer":
        """Start serving; return once connections are accepted."""
        if self._thread is not None:
            return self
        from ._backend import Backend

        self._backend = Backend(self.database, self._schemas, self.api_user, self._api_key,
                                max_operations_per_request=self.max_operations_per_request)
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(target=self._serve, name="ftrack-local-server",
                                        daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            error, self._error = self._error, None
            self._thread.join()
            self._thread = None
            self._backend.close()
            self._backend = None
            raise error
        return self

    def stop(self) -> None:
        """Stop serving and join the server thread (idempotent).

        ``port`` keeps the port that was bound, so a new server (or ``start()`` again) can
        listen on the same port.
        """
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        self._thread = None
        self._loop = None
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    def add_user(self, username: str, api_key: Optional[str] = None) -> str:
        """Create an extra API user and return its API key."""
        if self._backend is None:
            raise RuntimeError("Start the server before adding users.")
        return self._backend.add_user(username, api_key)

    def session(self, **kwargs: Any) -> Any:
        """Return an ``ftrack_api.Session`` bound to this server."""
        import ftrack_api

        kwargs.setdefault("server_url", self.url)
        kwargs.setdefault("api_key", self.api_key)
        kwargs.setdefault("api_user", self.api_user)
        return ftrack_api.Session(**kwargs)

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- thread -------------------------------------------------------------------------
    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except BaseException as error:  # reported to start()
            self._error = error
            self._ready.set()
            loop.close()
            self._loop = None
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _startup(self) -> None:
        from aiohttp import web

        from ._app import create_app

        app = create_app(self._backend, self.heartbeat_interval)
        # stop() waits this long for requests in flight, then closes their connections
        # (aiohttp's default, 60 s, outlasted stop()'s own 30 s wait when a request had
        # just arrived on a keep-alive connection as shutdown began).
        site_options: Dict[str, Any] = {}
        try:
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
        except TypeError:  # aiohttp < 3.9 takes it on the site
            runner = web.AppRunner(app, access_log=None)
            site_options["shutdown_timeout"] = SHUTDOWN_TIMEOUT
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True, **site_options)
        try:
            await site.start()
        except OSError as error:
            await runner.cleanup()
            raise OSError(error.errno, f"Cannot listen on {self.host}:{self.port}: "
                          f"{error.strerror}") from None
        self._runner = runner
        sockets = getattr(site._server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        self._backend.server_url = self.url

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
