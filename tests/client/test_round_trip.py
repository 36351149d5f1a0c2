"""A fresh-session round trip of every batch action, on the default and the real schema sets."""
from __future__ import annotations

import json
import uuid

import pytest


@pytest.fixture(params=["default", "real"])
def server(request, local_server, real_schema_server):
    return local_server if request.param == "default" else real_schema_server


def test_round_trip_every_action(server, tmp_path):
    actions = []

    with server.session(schema_cache_path=str(tmp_path)) as session:
        original = session._transport.send
        session._transport.send = lambda body, idempotent: actions.extend(
            item["action"] for item in json.loads(body)
        ) or original(body, idempotent)
        schema = session.query("ProjectSchema").first()
        name = "rt_{0}".format(uuid.uuid4().hex[:8])
        project = session.create("Project", {"name": name, "full_name": "Round trip", "project_schema": schema})
        shot = session.create("Shot", {"name": "sh010", "parent": project, "description": "first"})
        doomed = session.create("Shot", {"name": "sh020", "parent": project})
        session.commit()
        shot["description"] = "second"
        session.commit()
        session.delete(doomed)
        session.commit()
        assert {"query", "create", "update", "delete"} <= set(actions)

    fresh_actions = []
    with server.session(schema_cache_path=False) as fresh:
        original = fresh._transport.send
        fresh._transport.send = lambda body, idempotent: fresh_actions.extend(
            item["action"] for item in json.loads(body)
        ) or original(body, idempotent)
        loaded = fresh.query('select name, description, parent.name from Shot where project.name is "{0}"'.format(name)).all()
        assert [(s["name"], s["description"], s["parent"]["name"]) for s in loaded] == [("sh010", "second", name)]
        assert fresh.get("Shot", doomed["id"]) is None
        info = fresh.call([{"action": "query_server_information"}, {"action": "query_schemas"}])
        assert info[0]["version"]
        assert {s["id"] for s in info[1]} == set(fresh.types)
    assert set(fresh_actions) >= {"query", "query_server_information", "query_schemas"}
