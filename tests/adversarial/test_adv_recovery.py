"""Failure and recovery: rejected commits, broken proxies, server restarts, close()."""
from __future__ import annotations

import threading

import pytest
import requests

import ftrack_api
import ftrack_api.exception
from ftrack_api.testing import LocalServer

from .conftest import free_port, unique


class Forwarder:
    """Answers of a stub proxy: forward to the real server, or fail as told."""

    def __init__(self, server) -> None:
        self.server = server
        self.mode = "forward"
        self.forwarded = 0
        self.released = threading.Event()

    def __call__(self, body: bytes, count: int):
        mode = self.mode
        if mode == "html502":
            return 502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        if mode == "html200":
            return 200, "text/html", b"<html><body>Please log in to the hotel wifi</body></html>"
        if mode == "drop":
            return None
        if mode == "drop_once":
            self.mode = "forward"
            return None
        if mode in ("truncate", "truncate_once"):
            if mode == "truncate_once":
                self.mode = "forward"
            return 200, "application/json", b'[{"action": "qu', 4000
        if mode == "hang":
            self.released.wait(60)
            return None
        if mode.startswith("json:"):
            return 200, "application/json", mode[5:].encode()
        response = requests.post(
            self.server.url + "/api", data=body, timeout=60,
            headers={"ftrack-user": self.server.api_user, "ftrack-api-key": self.server.api_key,
                     "content-type": "application/json"},
        )
        self.forwarded += 1
        return response.status_code, "application/json", response.content


@pytest.fixture
def proxied(local_server, stub_server, tmp_path):
    forwarder = Forwarder(local_server)
    stub = stub_server(forwarder)
    session = ftrack_api.Session(server_url=stub.url, api_key=local_server.api_key,
                                 api_user=local_server.api_user, schema_cache_path=str(tmp_path))
    yield session, forwarder
    forwarder.released.set()
    session.close()


def make_project(session):
    schema = session.query("ProjectSchema").first()
    project = session.create("Project", {"name": unique("rec"), "full_name": "r", "project_schema": schema})
    sequence = session.create("Sequence", {"name": "sq", "parent": project})
    session.commit()
    return project, sequence


# -- rejected commits ----------------------------------------------------------------------
def test_rejected_commit_keeps_operations_and_rollback_restores_everything(session, project, new_session):
    project_entity, sequence = project
    shot = session.create("Shot", {"name": "keep", "parent": sequence})
    session.commit()
    original = sequence["name"]
    sequence["name"] = "renamed"
    sequence["description"] = "changed"
    session.delete(shot)
    created = session.create("Shot", {"name": "new", "parent": sequence})
    bad = session.create("Shot", {"name": 5, "parent": sequence})  # refused by the server
    pending = len(session.recorded_operations)
    assert pending >= 5
    with pytest.raises(ftrack_api.exception.ServerError):
        session.commit()
    assert len(session.recorded_operations) == pending
    assert sequence["name"] == "renamed"
    session.rollback()
    assert len(session.recorded_operations) == 0
    assert sequence["name"] == original
    assert session.created == [] and session.modified == [] and session.deleted == []
    fresh = new_session()
    assert fresh.get("Shot", shot["id"]) is not None
    assert fresh.get("Shot", created["id"]) is None
    assert fresh.get("Shot", bad["id"]) is None
    # The session stays usable and the rolled-back shot can still be changed.
    shot["description"] = "after rollback"
    session.commit()
    assert new_session().get("Shot", shot["id"])["description"] == "after rollback"


def test_rejected_commit_can_be_fixed_and_retried(session, project, new_session):
    _, sequence = project
    shot = session.create("Shot", {"name": 5, "parent": sequence})
    with pytest.raises(ftrack_api.exception.ServerError):
        session.commit()
    shot["name"] = "fixed"
    session.commit()
    assert len(session.recorded_operations) == 0
    assert new_session().get("Shot", shot["id"])["name"] == "fixed"


def test_rollback_of_created_entities_forgets_them(session, project):
    _, sequence = project
    shot = session.create("Shot", {"name": "ephemeral", "parent": sequence})
    session.rollback()
    assert session.get("Shot", shot["id"]) is None
    assert session.query('Shot where id is "{0}"'.format(shot["id"])).all() == []


# -- broken proxies ------------------------------------------------------------------------
def test_html_502_on_commit_is_not_retried_and_keeps_operations(proxied, new_session):
    session, forwarder = proxied
    _, sequence = make_project(session)
    sequence["description"] = "through a broken proxy"
    forwarder.mode = "html502"
    before = forwarder.forwarded
    with pytest.raises(ftrack_api.exception.ServerUnavailableError) as info:
        session.commit()
    assert info.value.status_code == 502
    assert "502" in str(info.value)
    assert len(session.recorded_operations) == 1
    forwarder.mode = "forward"
    session.commit()
    assert forwarder.forwarded == before + 1
    assert new_session().get("Sequence", sequence["id"])["description"] == "through a broken proxy"


def test_html_page_with_status_200_is_a_clear_server_error(proxied):
    session, forwarder = proxied
    forwarder.mode = "html200"
    with pytest.raises(ftrack_api.exception.ServerError) as info:
        session.query("User").all()
    assert "hotel wifi" in str(info.value)
    forwarder.mode = "forward"
    assert session.query("User").first() is not None


def test_dropped_connection_on_commit_keeps_operations(proxied, new_session):
    session, forwarder = proxied
    _, sequence = make_project(session)
    sequence["description"] = "after a dropped connection"
    forwarder.mode = "drop"
    with pytest.raises(requests.exceptions.ConnectionError):
        session.commit()
    assert len(session.recorded_operations) == 1
    forwarder.mode = "forward"
    session.commit()
    assert new_session().get("Sequence", sequence["id"])["description"] == "after a dropped connection"


def test_dropped_connection_on_a_read_is_retried(proxied):
    session, forwarder = proxied
    before = forwarder.forwarded
    forwarder.mode = "drop_once"
    assert session.query("User").first() is not None
    assert forwarder.forwarded == before + 1


# -- server stopped and restarted ----------------------------------------------------------
def test_server_restart_on_the_same_port_with_a_file_database(tmp_path):
    port = free_port()
    database = str(tmp_path / "restart.sqlite")
    server = LocalServer(database=database, port=port).start()
    try:
        session = server.session(schema_cache_path=str(tmp_path))
        project, sequence = make_project(session)
        key = server.api_key
        server.stop()

        sequence["description"] = "written while down"
        with pytest.raises(requests.exceptions.ConnectionError):
            session.commit()
        assert len(session.recorded_operations) == 1
        with pytest.raises(requests.exceptions.ConnectionError):
            session.query("User").all()

        server = LocalServer(database=database, port=port).start()
        assert server.api_key == key  # the file database remembers its key
        session.commit()  # the existing session recovers on its next call
        assert len(session.recorded_operations) == 0
        assert session.query('Sequence where id is "{0}"'.format(sequence["id"])).one()["name"] == "sq"
        other = server.session(schema_cache_path=str(tmp_path))
        assert other.get("Sequence", sequence["id"])["description"] == "written while down"
        assert other.get("Project", project["id"])["name"] == project["name"]
        other.close()
        session.close()
    finally:
        server.stop()


def test_first_call_after_restart_may_be_a_commit(tmp_path):
    # A pooled keep-alive connection to the old server must not break a commit,
    # which is never retried.
    port = free_port()
    database = str(tmp_path / "keepalive.sqlite")
    server = LocalServer(database=database, port=port).start()
    try:
        session = server.session(schema_cache_path=str(tmp_path))
        _, sequence = make_project(session)
        session.query("User").all()
        server.stop()
        server = LocalServer(database=database, port=port).start()
        sequence["description"] = "first call after restart"
        session.commit()
        assert server.session(schema_cache_path=str(tmp_path)).get(
            "Sequence", sequence["id"])["description"] == "first call after restart"
        session.close()
    finally:
        server.stop()


# -- close() -------------------------------------------------------------------------------
def hub_threads():
    return [t for t in threading.enumerate() if t.name.startswith("ftrack-event-hub") and t.is_alive()]


def test_close_is_idempotent_and_everything_fails_clearly_afterwards(local_server, tmp_path):
    before = set(threading.enumerate())
    session = local_server.session(schema_cache_path=str(tmp_path), auto_connect_event_hub=True)
    assert session.event_hub.wait_until_connected(10)
    user = session.query("User").first()
    session.close()
    session.close()
    assert session.closed
    for call in (lambda: session.query("User").all(),
                 lambda: session.get("User", "00000000-0000-0000-0000-000000000000"),
                 lambda: session.commit() if session.recorded_operations else session.call([{"action": "query_server_information"}]),
                 lambda: session.populate([user], "username")):
        with pytest.raises(ftrack_api.exception.ConnectionClosedError):
            call()
    # close() joins the hub's threads itself; only the shared server's own workers may remain.
    leftover = [t.name for t in set(threading.enumerate()) - before
                if t.is_alive() and not t.name.startswith(("asyncio_", "ftrack-local-server"))]
    assert leftover == []
    with session:
        pass  # leaving a context of a closed session is harmless


def test_close_with_pending_operations_and_a_context_manager(local_server, tmp_path):
    name = unique("pending")
    with local_server.session(schema_cache_path=str(tmp_path)) as session:
        session.create("Priority", {"name": name, "value": 1})
    assert session.closed
    assert len(session.recorded_operations) == 0  # dropped, like the official client
    session.commit()  # nothing to send: a no-op, like the official client
    session.create("Priority", {"name": name, "value": 2})
    with pytest.raises(ftrack_api.exception.ConnectionClosedError):
        session.commit()
    with local_server.session(schema_cache_path=str(tmp_path)) as other:
        assert other.query('Priority where name is "{0}"'.format(name)).all() == []


def test_deleting_an_entity_twice_commits(session, project, new_session):
    _, sequence = project
    shot = session.create("Shot", {"name": "twice", "parent": sequence})
    session.commit()
    session.delete(shot)
    session.delete(shot)
    session.commit()
    assert len(session.recorded_operations) == 0
    assert new_session().get("Shot", shot["id"]) is None


def test_update_after_delete_fails_the_batch_and_rollback_recovers(session, project, new_session):
    # Like the official client: the update is sent after the delete and the server
    # refuses it; nothing of the batch is applied.
    _, sequence = project
    shot = session.create("Shot", {"name": "zombie", "parent": sequence})
    session.commit()
    session.delete(shot)
    shot["description"] = "after delete"
    with pytest.raises(ftrack_api.exception.ServerError, match="not found"):
        session.commit()
    session.rollback()
    assert new_session().get("Shot", shot["id"])["name"] == "zombie"
    assert session.query("User").first() is not None


def test_cut_off_answer_to_a_read_is_retried(proxied):
    session, forwarder = proxied
    before = forwarder.forwarded
    forwarder.mode = "truncate_once"
    assert session.query("User").first() is not None
    assert forwarder.forwarded == before + 1


def test_cut_off_answer_to_a_commit_keeps_operations(proxied, new_session):
    session, forwarder = proxied
    _, sequence = make_project(session)
    sequence["description"] = "after a cut-off answer"
    forwarder.mode = "truncate"
    with pytest.raises(requests.exceptions.RequestException):
        session.commit()
    assert len(session.recorded_operations) == 1
    forwarder.mode = "forward"
    session.commit()
    assert new_session().get("Sequence", sequence["id"])["description"] == "after a cut-off answer"


@pytest.mark.parametrize("document", ["{}", "[]", "null", "5", '[{"action": "query"}, {"action": "query"}]'])
def test_answers_of_the_wrong_shape_are_server_errors(proxied, document):
    session, forwarder = proxied
    forwarder.mode = "json:" + document
    with pytest.raises(ftrack_api.exception.ServerError, match="unexpected"):
        session.query("User").all()
    forwarder.mode = "forward"
    assert session.query("User").first() is not None


def test_a_hanging_server_times_out_and_the_commit_can_be_retried(proxied, new_session):
    session, forwarder = proxied
    _, sequence = make_project(session)
    sequence["description"] = "after a timeout"
    session.request_timeout = 0.5  # may change after construction
    forwarder.mode = "hang"
    with pytest.raises(requests.exceptions.Timeout):
        session.commit()
    assert len(session.recorded_operations) == 1
    forwarder.mode = "forward"
    session.request_timeout = 60
    session.commit()
    assert new_session().get("Sequence", sequence["id"])["description"] == "after a timeout"


@pytest.mark.parametrize("next_offset", ["0", "5", "null", '"abc"', "-1"])
def test_a_next_offset_that_does_not_advance_ends_paging(proxied, next_offset):
    session, forwarder = proxied
    row = '{"__entity_type__": "User", "id": "ef5a6a3d-0000-0000-0000-000000000001", "username": "loop"}'
    forwarder.mode = 'json:[{"action": "query", "data": [' + row + '], "metadata": {"next": {"offset": ' \
        + next_offset + "}}}]"
    result = session.query("select username from User offset 5", page_size=1)
    if next_offset == "null":
        assert [user["username"] for user in result] == ["loop"]
    else:
        with pytest.raises(ftrack_api.exception.ServerError, match="does not advance"):
            list(result)
    forwarder.mode = "forward"
    assert session.query("User").first() is not None
