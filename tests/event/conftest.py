"""Fixtures for the event hub tests.

``broker_server`` is a tiny aiohttp app holding only the EventBroker (real
HTTP, real websockets on loopback), so the hub can be tested without the rest
of the local server.  The acceptance tests use ``LocalServer`` and sessions.
"""
from __future__ import annotations

import asyncio
import threading
from typing import Optional

import pytest
from _ports import free_port  # noqa: F401 (also imported from here by the tests)

from ftrack_api.event._policy import ReconnectPolicy
from ftrack_api.event.hub import EventHub

API_USER = "jane"
API_KEY = "secret-key"

FAST_POLICY = ReconnectPolicy(attempts=None, delay=0.1, timeout=10.0)


class BrokerServer:
    """An aiohttp app with just the EventBroker, on a thread of its own."""

    def __init__(self, port: int = 0, heartbeat_interval: float = 10.0) -> None:
        self.port = port
        self.heartbeat_interval = heartbeat_interval
        self.broker = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._runner = None
        self._stopped = threading.Event()

    @property
    def url(self) -> str:
        return "http://127.0.0.1:{0}".format(self.port)

    def start(self) -> "BrokerServer":
        from aiohttp import web

        from ftrack_api.testing._events import EventBroker

        ready = threading.Event()
        errors = []

        def authenticate(user: str, key: str) -> bool:
            return user == API_USER and key == API_KEY

        async def main() -> None:
            self.broker = EventBroker(authenticate, heartbeat_interval=self.heartbeat_interval)
            app = web.Application()
            self.broker.add_routes(app)

            async def shutdown(app: web.Application) -> None:
                await self.broker.close()

            app.on_shutdown.append(shutdown)
            self._runner = web.AppRunner(app)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            try:
                self._loop.run_until_complete(main())
            except Exception as error:  # pragma: no cover - reported to the test
                errors.append(error)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="broker-server", daemon=True)
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._thread = None

    def hub(self, cls=EventHub, **kwargs) -> EventHub:
        kwargs.setdefault("reconnect_policy", FAST_POLICY)
        return cls(self.url, API_USER, API_KEY, **kwargs)

    def __enter__(self) -> "BrokerServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()




@pytest.fixture
def broker_server():
    with BrokerServer() as server:
        yield server


@pytest.fixture
def hubs(broker_server):
    """Factory of connected hubs on ``broker_server``, disconnected afterwards."""
    created = []

    def make(connect: bool = True, **kwargs) -> EventHub:
        hub = broker_server.hub(**kwargs)
        created.append(hub)
        if connect:
            hub.connect()
        return hub

    yield make
    for hub in created:
        try:
            hub.disconnect()
        except Exception:
            pass


class Collector:
    """A subscriber callback that records events and can be waited on."""

    def __init__(self, result=None) -> None:
        self.events = []
        self.result = result
        self._condition = threading.Condition()

    def __call__(self, event):
        with self._condition:
            self.events.append(event)
            self._condition.notify_all()
        return self.result(event) if callable(self.result) else self.result

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> bool:
        with self._condition:
            return self._condition.wait_for(lambda: len(self.events) >= count, timeout)

    def wait_until(self, predicate, timeout: float = 5.0) -> bool:
        with self._condition:
            return self._condition.wait_for(lambda: predicate(self.events), timeout)


class Pump:
    """Run ``hub.wait()`` on a thread for the duration of a ``with`` block."""

    def __init__(self, hub) -> None:
        self.hub = hub
        self.thread = threading.Thread(target=hub.wait, name="test-pump", daemon=True)

    def __enter__(self) -> "Pump":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.hub.stop_waiting()
        self.thread.join(2)
        assert not self.thread.is_alive(), "wait() did not return after stop_waiting()"


@pytest.fixture
def pump():
    pumps = []

    def start(hub) -> Pump:
        p = Pump(hub).__enter__()
        pumps.append(p)
        return p

    yield start
    for p in pumps:
        p.__exit__(None, None, None)
