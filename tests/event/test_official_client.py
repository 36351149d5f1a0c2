"""The official ftrack-python-api 3.1.0 hub against the local server's event hub.

The official client runs in its own virtual environment, in a subprocess
(black-box use only). It connects, subscribes, publishes, gets replies from
its own subscriber, and talks to one of our hubs both ways.
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import threading

import pytest

from ftrack_api.event.base import Event
from ftrack_api.event.hub import EventHub

from .conftest import FAST_POLICY, Collector

REPO = pathlib.Path(__file__).resolve().parents[2]

SCRIPT = r'''
import json, sys, time
import ftrack_api.event.base as base
import ftrack_api.event.hub as hubmodule

url, user, key = sys.argv[1:4]
hub = hubmodule.EventHub(url, user, key)
hub.connect()
state = {"quit": False, "got": [], "replies": [], "ours": []}

def on_ping(event):
    state["got"].append(event["data"])
    return {"echo": event["data"]["n"]}

def on_ours(event):
    state["ours"].append(event["data"])
    return {"official": True, "n": event["data"]["n"]}

def on_quit(event):
    state["quit"] = True

hub.subscribe("topic=compat.ping", on_ping)
hub.subscribe("topic=compat.ours", on_ours)
hub.subscribe("topic=compat.quit", on_quit)
hub.publish(base.Event(topic="compat.ping", data={"n": 1}),
            on_reply=lambda event: state["replies"].append(event["data"]))
deadline = time.time() + 20
while not state["replies"] and time.time() < deadline:
    hub.wait(0.1)
print("READY " + json.dumps({"got": state["got"], "replies": state["replies"]}), flush=True)
while not state["quit"] and time.time() < deadline:
    hub.wait(0.1)
print("DONE " + json.dumps({"ours": state["ours"]}), flush=True)
hub.disconnect()
'''


@pytest.fixture(scope="session")
def official_client_python(request) -> pathlib.Path:
    """The official client's interpreter: ../venv-official if present, else the
    shared ``official_python`` fixture (which builds or skips with a reason)."""
    candidate = REPO.parent / "venv-official" / "bin" / "python"
    if candidate.exists():
        return candidate
    return request.getfixturevalue("official_python")


def test_official_client_round_trip(local_server, official_client_python, tmp_path):
    script = tmp_path / "official_hub.py"
    script.write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FTRACK_", "PYTHON"))}
    process = subprocess.Popen(
        [str(official_client_python), str(script), local_server.url, local_server.api_user,
         local_server.api_key],
        cwd=str(tmp_path),  # never pick up this checkout's ftrack_api
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    ours = EventHub(local_server.url, local_server.api_user, local_server.api_key,
                    reconnect_policy=FAST_POLICY)
    try:
        line = process.stdout.readline()
        if not line.startswith("READY "):
            process.kill()
            pytest.fail("official client failed: {0}{1}".format(line, process.communicate()[1]))
        first = json.loads(line[len("READY "):])
        assert first == {"got": [{"n": 1}], "replies": [{"echo": 1}]}

        ours.connect()
        replies = Collector()
        ours.subscribe("topic=compat.never", Collector())
        pump = threading.Thread(target=ours.wait, daemon=True)
        pump.start()
        ours.publish(Event("compat.ours", data={"n": 7}), on_reply=replies)
        assert replies.wait_for(1, timeout=10)
        reply = replies.events[0]
        assert reply["data"] == {"official": True, "n": 7}
        assert reply["topic"] == "ftrack.meta.reply"
        ours.publish(Event("compat.quit"))
        out, err = process.communicate(timeout=20)
        assert process.returncode == 0, err
        assert out.strip().splitlines()[-1] == 'DONE ' + json.dumps({"ours": [{"n": 7}]})
        ours.stop_waiting()
        pump.join(2)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        try:
            ours.disconnect()
        except Exception:
            pass
