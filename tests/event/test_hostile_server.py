"""The client hub against a server that sends broken frames (real websockets).

A tiny aiohttp app of our own speaks raw socket.io frames so that every kind of
bad input can be sent; the hub must log and carry on.
"""
from __future__ import annotations

import asyncio
import json
import re
import threading

import pytest

from ftrack_api.event.base import Event
from ftrack_api.event.hub import EventHub, ReconnectPolicy

from .conftest import Collector, Pump

HOSTILE_FRAMES = [
    "8::",  # unknown packet type
    "5:::not json",
    '5:::{"args": []}',  # no name
    '5:::{"name": "ftrack.event", "args": [{"topic": "x.ok", "extra": 1}]}',  # extra key
    '5:::{"name": "ftrack.event", "args": [{"data": {}}]}',  # no topic
    '5:::{"name": "ftrack.event", "args": [1, 2]}',  # two args
    '5:::{"name": "other.name", "args": [{"topic": "x.ok"}]}',
    "6:::999+[{}]",  # ack nobody waits for
    "6:::1",  # ack without data (kills the official client's reader)
    "7:::something went wrong",
    "3:::plain message",
    "garbage",
    "2::",  # a heartbeat in the middle
]
GOOD = '5:::{"name": "ftrack.event", "args": [{"topic": "x.ok", "id": "good", "data": {"n": 1}}]}'


class HostileServer:
    def __init__(self) -> None:
        self.port = 0
        self.heartbeat_replies = 0
        self._loop = None
        self._thread = None

    def start(self) -> "HostileServer":
        from aiohttp import WSMsgType, web

        ready = threading.Event()

        async def handshake(request):
            return web.Response(text="sid1:60:60:websocket")

        async def socket_handler(request):
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            await ws.send_str("1::")
            sent_hostile = False
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    break
                if message.data in ("2::", "2:::"):
                    self.heartbeat_replies += 1
                    continue
                match = re.match(r"5:(\d+)\+::(.*)", message.data)
                if not match:
                    continue
                await ws.send_str('6:::{0}+[{{"success": true}}]'.format(match.group(1)))
                payload = json.loads(match.group(2))["args"][0]
                if payload["topic"] == "ftrack.meta.subscribe" and not sent_hostile:
                    sent_hostile = True
                    for frame in HOSTILE_FRAMES:
                        await ws.send_str(frame)
                if payload["topic"] == "x.trigger":
                    await ws.send_str(GOOD)
            return ws

        async def main():
            app = web.Application()
            app.router.add_get("/socket.io/1/", handshake)
            app.router.add_get("/socket.io/1/websocket/{sid}", socket_handler)
            self._runner = web.AppRunner(app)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]

        def run():
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(main())
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture
def hostile():
    server = HostileServer().start()
    yield server
    server.stop()


def test_hub_survives_hostile_frames(hostile, caplog):
    hub = EventHub(
        "http://127.0.0.1:{0}".format(hostile.port),
        "u",
        "k",
        reconnect_policy=ReconnectPolicy(attempts=0, timeout=10),
    )
    seen = Collector()
    hub.subscribe("topic=x.ok", seen)
    hub.connect()
    assert hub.connected
    with Pump(hub):
        hub.publish(Event("x.trigger"))
        assert seen.wait_for(1)
    assert [e["id"] for e in seen.events] == ["good"]  # the malformed ones were dropped
    assert hostile.heartbeat_replies == 1
    assert hub.connected
    hub.disconnect()
