"""What ``import ftrack_api`` and ``Session()`` load: the expensive optional pieces wait.

Structural checks, not timings (timings belong to benchmarks/): each test runs a fresh
interpreter and looks at ``sys.modules``.

* ``import ftrack_api; ftrack_api.Session`` loads neither pyparsing (the full event
  expression grammar), websocket-client, the socket.io codec, :mod:`dataclasses`
  (which imports :mod:`inspect`), nor aiohttp / the local server.
* Building a session against the local server - which subscribes a plain ``and``
  expression for the centralized storage scenario - still loads none of them.
* An expression that needs the full grammar (``or``, ``not``, parentheses) loads
  pyparsing; connecting the hub loads websocket-client and the codec.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Dict, List

import pytest

#: Never loaded by ``import ftrack_api; ftrack_api.Session`` nor by ``Session()``.
DEFERRED = [
    "pyparsing",
    "websocket",
    "aiohttp",
    "ftrack_api.testing",
    "ftrack_api.event._socketio",
    "ftrack_api.event._connection",
    "dataclasses",
    "pickle",
    "dbm",
    "getpass",
]

PRELUDE = """
import json, sys
def loaded():
    names = {deferred!r}
    return sorted(n for n in names if n in sys.modules or any(m.startswith(n + ".") for m in sys.modules))
report = {{}}
""".format(deferred=DEFERRED)


def run(code: str, env: Dict[str, str] = None) -> Dict[str, List[str]]:
    """Run *code* after :data:`PRELUDE` in a fresh interpreter; return its ``report``."""
    result = subprocess.run(
        [sys.executable, "-c", PRELUDE + code + "\nprint(json.dumps(report))"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def server_env(local_server, tmp_path) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        FTRACK_SERVER=local_server.url,
        FTRACK_API_USER=local_server.api_user,
        FTRACK_API_KEY=local_server.api_key,
        FTRACK_API_SCHEMA_CACHE_PATH=str(tmp_path),
    )
    return env


def test_import_and_session_attribute_defer_the_optional_pieces():
    report = run(
        """
import ftrack_api
report["import"] = loaded()
ftrack_api.Session
import ftrack_api.event.hub, ftrack_api.event.expression, ftrack_api.cache
report["session_module"] = loaded()
"""
    )
    assert report == {"import": [], "session_module": []}


def test_session_construction_defers_them_too(local_server, tmp_path):
    report = run(
        """
import ftrack_api
session = ftrack_api.Session()
report["subscribers"] = len(session.event_hub._subscribers)
report["session"] = loaded()
session.close()
""",
        env=server_env(local_server, tmp_path),
    )
    # The session did subscribe (the centralized storage scenario) without pyparsing.
    assert report["subscribers"] >= 1
    assert report["session"] == []


def test_a_plain_subscription_does_not_but_the_full_grammar_does_load_pyparsing():
    report = run(
        """
from ftrack_api.event.hub import EventHub
from ftrack_api.event.base import Event
hub = EventHub("http://127.0.0.1:9", "user", "key")
seen = []
hub.subscribe('topic=a.b and data.kind="x y"', seen.append)
hub.publish(Event(topic="a.b", data={"kind": "x y"}), synchronous=True)
report["plain"] = loaded()
report["seen"] = len(seen)
hub.subscribe("topic=a.b or (data.n>1 and not data.m=2)", seen.append)
report["full"] = loaded()
hub.publish(Event(topic="c", data={"n": 5, "m": 3}), synchronous=True)
report["seen_after"] = len(seen)
"""
    )
    assert report["plain"] == []
    assert report["seen"] == 1
    assert "pyparsing" in report["full"]
    assert report["seen_after"] == 2


def test_connecting_the_hub_loads_websocket_and_the_codec(local_server, tmp_path):
    report = run(
        """
import ftrack_api
session = ftrack_api.Session()
report["before"] = loaded()
session.event_hub.connect()
report["connected"] = session.event_hub.connected
report["after"] = loaded()
session.close()
""",
        env=server_env(local_server, tmp_path),
    )
    assert report["before"] == []
    assert report["connected"] is True
    assert "websocket" in report["after"]
    assert "ftrack_api.event._socketio" in report["after"]
    assert "ftrack_api.event._connection" in report["after"]
    assert "pyparsing" not in report["after"]  # the hub's own subscriptions are plain
    assert "aiohttp" not in report["after"]


@pytest.mark.parametrize(
    "statement",
    [
        "from ftrack_api.event.hub import SocketIoSession",
        "from ftrack_api.event.expression import Parser, Expression, All, Any, Not, Condition",
        "from ftrack_api.cache import FileCache, SerialisedCache, ObjectKeyMaker, Memoiser",
    ],
)
def test_public_names_stay_importable(statement):
    run(statement)
