"""Unit of work: recorded operations, the batch optimiser, commit, rollback, thread flags."""
from __future__ import annotations

import json
import threading
import uuid
from collections import OrderedDict

import pytest

import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.operation as op
import ftrack_api.symbol
from ftrack_api import _unit_of_work
from ftrack_api.symbol import NOT_SET


def key(value):
    return OrderedDict([("id", value)])


class Recorder(object):
    """Capture the request bodies a session sends (around the real transport)."""

    def __init__(self, session):
        self.bodies = []
        original = session._transport.send

        def send(body, idempotent):
            self.bodies.append(json.loads(body))
            return original(body, idempotent)

        session._transport.send = send

    def batches(self, action=None):
        return [
            [item for item in body if action is None or item["action"] == action]
            for body in self.bodies
            if any(item["action"] in ("create", "update", "delete") for item in body)
        ]


# -- the pure compiler -------------------------------------------------------

def test_compile_keeps_last_update_only():
    batch = _unit_of_work.compile_batch(
        [
            op.UpdateEntityOperation("Task", key("1"), "name", NOT_SET, "a"),
            op.UpdateEntityOperation("Task", key("2"), "name", NOT_SET, "x"),
            op.UpdateEntityOperation("Task", key("1"), "name", "a", "b"),
        ]
    )
    assert batch == [
        {"action": "update", "entity_type": "Task", "entity_key": ["2"],
         "entity_data": {"__entity_type__": "Task", "name": "x"}},
        {"action": "update", "entity_type": "Task", "entity_key": ["1"],
         "entity_data": {"__entity_type__": "Task", "name": "b"}},
    ]


def test_compile_cancels_create_then_delete_and_folds_updates():
    batch = _unit_of_work.compile_batch(
        [
            op.CreateEntityOperation("Task", key("1"), {"name": "gone"}),
            op.UpdateEntityOperation("Task", key("1"), "description", NOT_SET, "d"),
            op.DeleteEntityOperation("Task", key("1")),
            op.CreateEntityOperation("Task", key("2"), {"name": "kept"}),
            op.UpdateEntityOperation("Task", key("2"), "description", NOT_SET, "d2"),
            op.UpdateEntityOperation("Task", key("2"), "bid", NOT_SET, NOT_SET),
        ]
    )
    assert batch == [
        {"action": "create", "entity_type": "Task", "entity_key": ["2"],
         "entity_data": {"__entity_type__": "Task", "id": "2", "name": "kept", "description": "d2"}},
    ]


def test_compile_rejects_unknown_operations():
    with pytest.raises(ValueError):
        _unit_of_work.compile_batch([object()])


def test_split_batch_keeps_order():
    chunks = _unit_of_work.split_batch(list(range(1203)), 500)
    assert [len(chunk) for chunk in chunks] == [500, 500, 203]
    assert sum(chunks, []) == list(range(1203))


def test_operations_stack():
    operations = op.Operations()
    first = op.CreateEntityOperation("Task", key("1"), {})
    operations.push(first)
    operations.push(op.DeleteEntityOperation("Task", key("1")))
    assert len(operations) == 2
    assert list(operations)[0] is first
    assert isinstance(operations.pop(), op.DeleteEntityOperation)
    operations.clear()
    assert len(operations) == 0
    with pytest.raises(IndexError):
        operations.pop()


# -- against the server --------------------------------------------------------

def test_two_assignments_send_one_update(session, project):
    _, sequence = project
    entity = session.create("Shot", {"name": "start", "parent": sequence})
    session.commit()
    recorder = Recorder(session)
    entity["name"] = "a"
    entity["name"] = "b"
    session.commit()
    (batch,) = recorder.batches()
    assert len(batch) == 1
    assert batch[0]["action"] == "update"
    assert batch[0]["entity_data"] == {"__entity_type__": "Shot", "name": "b"}
    assert entity["name"] == "b"
    assert len(session.recorded_operations) == 0


def test_relations_set_at_creation_are_folded(session, project):
    _, sequence = project
    recorder = Recorder(session)
    shot = session.create("Shot", {"name": "sh", "parent": sequence})
    session.commit()
    (batch,) = recorder.batches()
    assert len(batch) == 1
    assert batch[0]["action"] == "create"
    assert batch[0]["entity_data"]["parent"] == {"__entity_type__": "Sequence", "id": sequence["id"]}
    assert shot["parent"] is sequence


def test_states_and_created_modified_deleted(session, project):
    project_entity, sequence = project
    shot = session.create("Shot", {"name": "s1", "parent": sequence})
    sequence["description"] = "changed"
    other = session.create("Shot", {"name": "s2", "parent": sequence})
    session.commit()
    session.delete(other)
    new = session.create("Shot", {"name": "s3", "parent": sequence})
    shot["name"] = "s1b"
    assert ftrack_api.inspection.state(new) is ftrack_api.symbol.CREATED
    assert ftrack_api.inspection.state(shot) is ftrack_api.symbol.MODIFIED
    assert ftrack_api.inspection.state(other) is ftrack_api.symbol.DELETED
    assert ftrack_api.inspection.states([new, shot, sequence]) == [
        ftrack_api.symbol.CREATED, ftrack_api.symbol.MODIFIED, ftrack_api.symbol.NOT_SET]
    assert session.created == [new]
    assert session.modified == [shot]
    assert session.deleted == [other]
    session.commit()
    assert session.query('Shot where id is "{0}"'.format(other["id"])).first() is None
    assert ftrack_api.inspection.state(shot) is ftrack_api.symbol.NOT_SET


@pytest.mark.parametrize("cap, folders, sizes", [
    (500, 2000, [500, 500, 500, 500, 1]),  # the acceptance case: 2,000 creates, a 500 cap
    (300, 700, [300, 300, 101]),
])
def test_creates_split_into_requests_at_the_servers_cap(tmp_path, cap, folders, sizes):
    """The local server started with a cap says so in its information; a session splits
    its commits to fit, and every create arrives."""
    from ftrack_api.testing import LocalServer

    with LocalServer(database=":memory:", max_operations_per_request=cap) as server:
        with server.session(schema_cache_path=str(tmp_path)) as session:
            assert session.server_information["max_operations_per_request"] == cap
            assert session.max_operations_per_request == cap
            recorder = Recorder(session)
            schema = session.query("ProjectSchema").first()
            project = session.create("Project", {"name": "big", "full_name": "Big", "project_schema": schema})
            for index in range(folders):
                session.create("Folder", {"name": "f{0}".format(index), "parent": project})
            session.commit()
            assert [len(batch) for batch in recorder.batches()] == sizes
        with server.session(schema_cache_path=str(tmp_path)) as fresh:
            result = fresh.query('select id from Folder where project_id is "{0}"'.format(project["id"]))
            assert len(result) == folders


def test_a_commit_of_a_thousand_creates_is_one_request(session, project, new_session):
    """Without an advertised cap (the default local server, ftrack), a commit of up to
    MAX_OPERATIONS_PER_REQUEST operations is one request and one transaction."""
    assert _unit_of_work.MAX_OPERATIONS_PER_REQUEST == 5000
    assert "max_operations_per_request" not in session.server_information
    assert session.max_operations_per_request == 5000
    _, sequence = project
    recorder = Recorder(session)
    shots = [session.create("Shot", {"name": "s{0}".format(index), "parent": sequence})
             for index in range(1200)]
    session.commit()
    assert [len(batch) for batch in recorder.batches()] == [1200]
    names = {row["name"] for row in new_session().query(
        'select name from Shot where parent_id is "{0}"'.format(sequence["id"]))}
    assert {shot["name"] for shot in shots} <= names


def test_rejected_commit_then_rollback(session, project, new_session):
    project_entity, sequence = project
    loaded_name = sequence["name"]
    loaded_full_name = project_entity["full_name"]
    good = session.create("Shot", {"name": "ok", "parent": sequence})
    ghost = session.types["Task"](session, {"id": str(uuid.uuid4())}, reconstructing=True)
    bad = session.create("Task", {"name": "bad", "parent": ghost})
    project_entity["full_name"] = "rejected change"
    keys = [session._identity_key(e.entity_type, e._key_values()) for e in (good, bad)]
    with pytest.raises(ftrack_api.exception.ServerError):
        session.commit()
    assert len(session.recorded_operations) > 0
    session.rollback()
    assert len(session.recorded_operations) == 0
    assert all(session._identity.get(key) is None for key in keys)
    assert session.created == [] and session.modified == []
    assert sequence["name"] == loaded_name
    assert project_entity["full_name"] == loaded_full_name
    assert session.get("Shot", good["id"]) is None  # the server kept nothing either
    shot = session.create("Shot", {"name": "after", "parent": sequence})
    session.commit()
    assert new_session().get("Shot", shot["id"])["name"] == "after"


def test_failed_commit_keeps_operations_and_session_usable(session, project):
    _, sequence = project
    ghost = session.types["Task"](session, {"id": str(uuid.uuid4())}, reconstructing=True)
    session.create("Task", {"name": "orphan", "parent": ghost})
    count = len(session.recorded_operations)
    with pytest.raises(ftrack_api.exception.ServerError) as info:
        session.commit()
    assert info.value.exception_name
    assert len(session.recorded_operations) == count
    assert session.query('Sequence where id is "{0}"'.format(sequence["id"])).one() is sequence
    session.rollback()


def test_rollback_restores_local_values(session, project):
    project_entity, _ = project
    original = project_entity["full_name"]
    project_entity["full_name"] = "changed locally"
    session.rollback()
    assert project_entity["full_name"] == original


def test_recording_and_population_flags_are_thread_local(local_server, tmp_path):
    with local_server.session(schema_cache_path=str(tmp_path), auto_populate=False) as session:
        session.auto_populate = True
        session.record_operations = False
        seen = {}

        def worker():
            seen["auto_populate"] = session.auto_populate
            seen["record_operations"] = session.record_operations
            with session.auto_populating(True):
                seen["inside"] = session.auto_populate

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert seen == {"auto_populate": False, "record_operations": True, "inside": True}
        assert session.auto_populate is True and session.record_operations is False
        with session.operation_recording(True) as value:
            assert value is None
            assert session.record_operations is True
        assert session.record_operations is False


def test_no_operations_recorded_when_recording_off(session, project):
    _, sequence = project
    with session.operation_recording(False):
        sequence["description"] = "not recorded"
    assert len(session.recorded_operations) == 0


def test_failure_in_a_later_request_keeps_only_unsent_work(tmp_path):
    from ftrack_api.testing import LocalServer

    with LocalServer(database=":memory:", max_operations_per_request=500) as server:
        with server.session(schema_cache_path=str(tmp_path)) as session:
            schema = session.query("ProjectSchema").first()
            project = session.create("Project", {"name": "partial", "full_name": "P", "project_schema": schema})
            for index in range(600):
                session.create("Folder", {"name": "f{0}".format(index), "parent": project})
            ghost = session.types["Task"](session, {"id": "00000000-0000-0000-0000-000000000000"}, reconstructing=True)
            session.create("Task", {"name": "orphan", "parent": ghost})
            with pytest.raises(ftrack_api.exception.ServerError):
                session.commit()
            remaining = list(session.recorded_operations)
            assert 0 < len(remaining) < 603
            assert ftrack_api.inspection.state(project) is ftrack_api.symbol.NOT_SET
            session.rollback()
            folders = session.query('select id from Folder where project_id is "{0}"'.format(project["id"]))
            assert len(folders) == 499  # the first request: the project and 499 folders
            session.create("Folder", {"name": "after", "parent": project})
            session.commit()


def test_unrecorded_local_values_stay_local_after_commit(session, project):
    project_entity, sequence = project
    with session.operation_recording(False):
        sequence["description"] = "not sent"
    project_entity["full_name"] = "sent"
    session.commit()
    assert project_entity._local == {} and project_entity["full_name"] == "sent"
    assert sequence._local == {"description": "not sent"}
    assert sequence._remote.get("description") != "not sent"


def test_reading_collections_of_new_entities_leaves_nothing_local(session, project, new_session):
    _, sequence = project
    shot = session.create("Shot", {"name": "fresh", "parent": sequence})
    assert len(shot["children"]) == 0
    assert len(shot["metadata"]) == 0
    shot["metadata"]["k"] = "v"
    session.commit()
    assert shot._local == {}
    task = session.create("Task", {"name": "child", "parent": shot})
    session.commit()
    fresh = new_session()
    assert [child["name"] for child in fresh.get("Shot", shot["id"])["children"]] == ["child"]
    assert dict(fresh.get("Shot", shot["id"])["metadata"]) == {"k": "v"}
