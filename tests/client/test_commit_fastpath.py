"""Behaviour kept by the fast paths of create() and commit() (construction, compilation,
promotion of sent values and merging of the server's result rows)."""
from __future__ import annotations

import datetime
import json
import uuid

import pytest

import ftrack_api.attribute
import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.operation
import ftrack_api.symbol
from ftrack_api import _codec, _unit_of_work
from ftrack_api.symbol import NOT_SET


@pytest.fixture
def refs(session, project):
    project_entity, sequence = project
    return {
        "project": project_entity,
        "sequence": sequence,
        "status": session.query("Status").first(),
        "type": session.query("Type").first(),
        "priority": session.query("Priority").first(),
        "object_type": session.query("ObjectType where name is Task").first(),
    }


def _task_values(refs, index):
    return {
        "name": "t{0:03d}".format(index),
        "description": "number {0}".format(index),
        "parent_id": refs["project"]["id"],
        "status_id": refs["status"]["id"],
        "priority_id": refs["priority"]["id"],
        "type_id": refs["type"]["id"],
        "object_type_id": refs["object_type"]["id"],
    }


def test_created_entities_hold_server_filled_values_after_commit(session, refs, new_session):
    tasks = [session.create("Task", _task_values(refs, index)) for index in range(5)]
    assert all(task._remote == {} for task in tasks)
    assert all(ftrack_api.inspection.state(task) is ftrack_api.symbol.CREATED for task in tasks)
    session.commit()
    stored = new_session().query(
        'select id, name, created_at, context_type, project_id, created_by_id from Task '
        'where parent_id is "{0}"'.format(refs["project"]["id"])
    ).all()
    by_id = {task["id"]: task for task in stored}
    for task in tasks:
        assert task._local == {}
        assert ftrack_api.inspection.state(task) is ftrack_api.symbol.NOT_SET
        assert task not in session._dirty.values()
        # Values the server filled in arrive with the result row, parsed like a query's.
        created_at = task._remote["created_at"]
        assert isinstance(created_at, datetime.datetime) and created_at.tzinfo is not None
        assert created_at == by_id[task["id"]]["created_at"]
        assert task._remote["context_type"] == "task"
        assert task._remote["project_id"] == refs["project"]["id"]
        assert task._remote["created_by_id"] == by_id[task["id"]]["created_by_id"]
        assert task._remote["name"] == by_id[task["id"]]["name"]
        assert "__entity_type__" not in task._remote
    assert session.created == [] and len(session.recorded_operations) == 0
    # Repeated foreign keys of one result are stored once.
    assert tasks[0]._remote["status_id"] is tasks[1]._remote["status_id"]
    assert session.get("Task", tasks[2]["id"]) is tasks[2]


def test_create_records_one_operation_with_defaults_and_values(session, refs):
    task = session.create("Task", {"name": "with defaults", "parent_id": refs["project"]["id"],
                                   "description": None})
    operations = list(session.recorded_operations)
    assert len(operations) == 1
    operation = operations[0]
    assert isinstance(operation, ftrack_api.operation.CreateEntityOperation)
    assert list(operation.entity_key.items()) == [("id", task["id"])]
    assert str(uuid.UUID(task["id"])) == task["id"]
    # The schema defaults (id, priority_id ...) and the given values, none of them copied twice.
    assert operation.entity_data == task._local
    assert operation.entity_data is not task._local
    assert operation.entity_data["description"] is None
    assert "priority_id" in operation.entity_data  # a schema default
    task["name"] = "renamed"
    assert operation.entity_data["name"] == "with defaults"  # the operation kept its own copy
    assert session.created == [task]


def test_create_without_recording_and_with_unset_values(session, refs):
    with session.operation_recording(False):
        quiet = session.create("Task", {"name": "quiet", "description": NOT_SET})
    assert len(session.recorded_operations) == 0
    assert "description" not in quiet._local and quiet["name"] == "quiet"
    assert quiet in session._dirty.values()
    assert session.get("Task", quiet["id"]) is quiet  # cached all the same
    loud = session.create("Task", {"name": NOT_SET})
    assert "name" not in loud._local  # NOT_SET given: the schema default is not applied
    assert "name" not in list(session.recorded_operations)[0].entity_data


def test_create_with_non_plain_values_copies_them_into_the_operation(session, refs):
    when = datetime.datetime(2026, 5, 4, 3, 2, 1, tzinfo=datetime.timezone.utc)
    task = session.create("Task", {"name": "typed", "start_date": when, "parent": refs["project"],
                                   "status": refs["status"]})
    operations = list(session.recorded_operations)
    assert operations[0].entity_data["start_date"] == when
    # Relations are set after the create, as updates folded into it by the commit.
    assert [type(op).__name__ for op in operations[1:]] == ["UpdateEntityOperation"] * 2
    assert task["parent"] is refs["project"] and task["status"] is refs["status"]
    payloads = _unit_of_work.compile_batch(operations)
    assert len(payloads) == 1
    assert payloads[0]["entity_data"]["parent"] == {"__entity_type__": "Project",
                                                     "id": refs["project"]["id"]}
    session.commit()
    assert task._local == {} and task["start_date"] == when
    assert task["parent"] is refs["project"]
    # A mutable value stored at creation is copied into the operation, not shared.
    words = ["a", "b"]
    other = session.create("Task", {"name": "mutable", "description": words})
    recorded = list(session.recorded_operations)[-1].entity_data["description"]
    assert recorded == words and recorded is not words
    assert other["description"] is words
    session.rollback()


def test_create_with_callable_and_replaced_defaults(session, refs):
    attribute = session.types["Task"].attributes.get("name")
    seen = []

    def default(entity):
        seen.append(session.record_operations)
        return "from default"

    previous = attribute.default_value
    try:
        # The attributes with a default are found once per class; the value is read each time.
        attribute.default_value = default
        task = session.create("Task", {})
        assert task["name"] == "from default" and seen == [False]  # called with recording off
        assert list(session.recorded_operations)[-1].entity_data["name"] == "from default"
        attribute.default_value = lambda entity: NOT_SET
        assert "name" not in session.create("Task", {})._local
        attribute.default_value = "constant"
        assert session.create("Task", {})["name"] == "constant"
        assert session.create("Task", {"name": "given"})["name"] == "given"
    finally:
        attribute.default_value = previous
    assert session.record_operations is True
    session.rollback()


def test_create_errors_and_immutable_values(session, refs):
    with pytest.raises(KeyError):
        session.create("Task", {"id": NOT_SET, "name": "no key"})
    assert session.record_operations is True and session.auto_populate is True
    assert len(session.recorded_operations) == 0
    with pytest.raises(ftrack_api.exception.UnrecognisedEntityTypeError):
        session.create("NoSuchType", {})
    # Immutable attributes (id, object_type_id) may be given at creation, not changed after.
    task = session.create("Task", {"name": "fixed", "object_type_id": refs["object_type"]["id"]})
    with pytest.raises(ftrack_api.exception.ImmutableAttributeError):
        task["object_type_id"] = str(uuid.uuid4())
    with pytest.raises(ftrack_api.exception.ImmutableAttributeError):
        task["id"] = str(uuid.uuid4())
    assert len(session.recorded_operations) == 1
    session.rollback()


def test_create_of_a_known_key_merges_into_the_cached_entity(session, refs):
    first = session.create("Task", {"name": "first"})
    again = session.create("Task", {"id": first["id"], "name": "second"})
    assert again is first and first["name"] == "second"
    session.rollback()


def test_create_only_compilation_matches_the_general_path(session, refs):
    when = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    operations = [
        ftrack_api.operation.CreateEntityOperation(
            "Task", ftrack_api.operation._ordered_key(["id"], [str(index)]),
            {"id": str(index), "name": "n", "description": NOT_SET, "start_date": when,
             "parent": refs["project"], "bid": 1.5},
        )
        for index in range(3)
    ]
    fast = _unit_of_work.compile_batch(operations)
    general = _unit_of_work.optimise(_unit_of_work.to_payloads(operations))
    for payload in general:
        payload["entity_data"] = _codec.reference_values(payload["entity_data"])
    assert fast == general
    assert [list(p["entity_data"]) for p in fast] == [list(p["entity_data"]) for p in general]
    assert fast[0]["entity_data"]["parent"] == {"__entity_type__": "Project", "id": refs["project"]["id"]}
    assert "description" not in fast[0]["entity_data"]
    assert operations[0].entity_data["description"] is NOT_SET  # inputs are not modified


def test_typed_rows_merge_like_the_general_loop(session, refs):
    task_id = str(uuid.uuid4())
    row = {"__entity_type__": "Task", "id": task_id, "name": "typed",
           "created_at": {"__type__": "datetime", "value": "2026-01-02T03:04:05"},
           "start_date": None, "end_date": {"no": "type marker"},
           "status_id": refs["status"]["id"]}
    entity = session._merge_rows([row])[0]
    assert entity._remote["created_at"] == datetime.datetime(
        2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    assert entity._remote["start_date"] is None
    assert entity._remote["end_date"] == {"no": "type marker"}
    assert entity._remote["name"] == "typed" and "__entity_type__" not in entity._remote
    # A row carrying a relation is merged by the general loop (nested entity attached).
    nested = dict(row, name="nested", status={"__entity_type__": "Status", "id": refs["status"]["id"]})
    again = session._merge_rows([nested])[0]
    assert again is entity and entity._remote["status"] is refs["status"]
    assert entity["name"] == "nested"


def test_failed_create_commit_keeps_operations_and_rolls_back(session, refs, new_session):
    ghost = session.types["Task"](session, {"id": str(uuid.uuid4())}, reconstructing=True)
    good = [session.create("Task", _task_values(refs, index)) for index in range(3)]
    session.create("Task", {"name": "orphan", "parent": ghost})
    count = len(session.recorded_operations)
    with pytest.raises(ftrack_api.exception.ServerError):
        session.commit()
    assert len(session.recorded_operations) == count
    assert all(task._local and task._remote == {} for task in good)
    assert all(ftrack_api.inspection.state(task) is ftrack_api.symbol.CREATED for task in good)
    session.rollback()
    assert len(session.recorded_operations) == 0
    assert all(session.get("Task", task["id"]) is None for task in good)
    assert session.record_operations is True and session.auto_populate is True


def test_mixed_operations_across_a_request_boundary_keep_their_order(session, refs, new_session):
    sequence = refs["sequence"]
    doomed = session.create("Shot", {"name": "doomed", "parent": sequence})
    renamed = session.create("Shot", {"name": "before", "parent": sequence})
    session.commit()
    session.max_operations_per_request = 2
    created = [session.create("Shot", {"name": "c{0}".format(i), "parent": sequence}) for i in range(3)]
    renamed["name"] = "after"
    session.delete(doomed)
    child = session.create("Task", dict(_task_values(refs, 9), parent_id=created[2]["id"]))
    created[0]["description"] = "updated after its create"
    session.commit()
    assert len(session.recorded_operations) == 0
    for entity in created + [child]:
        assert entity._local == {} and "created_at" in entity._remote
    assert renamed._local == {} and renamed._remote["name"] == "after"
    assert session.get("Shot", doomed["id"]) is None
    fresh = new_session()
    names = sorted(s["name"] for s in fresh.query(
        'select name from Shot where parent_id is "{0}"'.format(sequence["id"])))
    assert names == ["after", "c0", "c1", "c2"]
    assert fresh.get("Shot", created[0]["id"])["description"] == "updated after its create"
    assert fresh.get("Task", child["id"])["parent_id"] == created[2]["id"]
    assert created[0]["description"] == "updated after its create"


def test_failure_in_a_later_request_settles_what_was_sent(session, refs, new_session):
    session.max_operations_per_request = 2
    sent = [session.create("Task", _task_values(refs, index)) for index in range(2)]
    ghost = session.types["Task"](session, {"id": str(uuid.uuid4())}, reconstructing=True)
    orphan = session.create("Task", {"name": "orphan", "parent": ghost})
    with pytest.raises(ftrack_api.exception.ServerError):
        session.commit()
    # The first request was persisted: its entities hold the server's values now.
    for task in sent:
        assert task._local == {} and "created_at" in task._remote
        assert ftrack_api.inspection.state(task) is ftrack_api.symbol.NOT_SET
    assert ftrack_api.inspection.state(orphan) is ftrack_api.symbol.CREATED
    assert [op.entity_key["id"] for op in session.recorded_operations
            if isinstance(op, ftrack_api.operation.CreateEntityOperation)] == [orphan["id"]]
    assert all(new_session().get("Task", task["id"]) is not None for task in sent)
    session.rollback()
    assert session.get("Task", sent[0]["id"]) is sent[0]


# -- commits of several requests -------------------------------------------------------------
class Bodies(object):
    """The write requests a session sends, captured around the real transport."""

    def __init__(self, session, answer=None):
        self.sent = []
        original = session._transport.send

        def send(body, idempotent):
            data = json.loads(body)
            if any(item.get("action") in ("create", "update", "delete") for item in data):
                self.sent.append(data)
            result = original(body, idempotent)
            return answer(data, result) if answer is not None and data in self.sent else result

        session._transport.send = send

    def names(self):
        return [[item["entity_data"].get("name") for item in body if item["action"] == "create"]
                for body in self.sent]


def _orphan(session):
    ghost = session.types["Task"](session, {"id": str(uuid.uuid4())}, reconstructing=True)
    return session.create("Task", {"name": "orphan", "parent": ghost})


def test_requests_of_disjoint_entities_are_sent_in_order_and_all_settled(session, refs, new_session):
    session.max_operations_per_request = 2
    bodies = Bodies(session)
    tasks = [session.create("Task", _task_values(refs, index)) for index in range(5)]
    session.commit()
    assert bodies.names() == [["t000", "t001"], ["t002", "t003"], ["t004"]]
    assert len(session.recorded_operations) == 0 and session.created == []
    for task in tasks:
        assert task._local == {} and "created_at" in task._remote
    assert sorted(t["name"] for t in new_session().query(
        'select name from Task where parent_id is "{0}"'.format(refs["project"]["id"]))) == \
        ["t000", "t001", "t002", "t003", "t004"]


def test_mixed_disjoint_operations_over_several_requests(session, refs, new_session):
    sequence = refs["sequence"]
    old = [session.create("Shot", {"name": "old{0}".format(i), "parent": sequence}) for i in range(2)]
    session.commit()
    session.max_operations_per_request = 2
    bodies = Bodies(session)
    first = session.create("Shot", {"name": "new0", "parent": sequence})
    old[0]["description"] = "changed"
    session.delete(old[1])
    second = session.create("Shot", {"name": "new1", "parent": sequence})
    session.commit()
    assert [[item["action"] for item in body] for body in bodies.sent] == \
        [["create", "update"], ["delete", "create"]]
    assert old[0]._local == {} and old[0]["description"] == "changed"
    assert session.get("Shot", old[1]["id"]) is None
    assert first._local == {} and second._local == {}
    fresh = new_session()
    assert sorted(s["name"] for s in fresh.query(
        'select name from Shot where parent_id is "{0}"'.format(sequence["id"]))) == ["new0", "new1", "old0"]


def test_a_failed_middle_request_stops_the_commit_and_keeps_the_rest(session, refs, new_session):
    session.max_operations_per_request = 2
    bodies = Bodies(session)
    first = [session.create("Task", _task_values(refs, index)) for index in range(2)]
    orphan = _orphan(session)
    middle = session.create("Task", _task_values(refs, 2))
    last = session.create("Task", _task_values(refs, 3))
    with pytest.raises(ftrack_api.exception.ServerError):
        session.commit()
    assert bodies.names() == [["t000", "t001"], ["orphan", "t002"]]  # the third never sent
    for task in first:
        assert task._local == {} and "created_at" in task._remote
        assert ftrack_api.inspection.state(task) is ftrack_api.symbol.NOT_SET
    for task in (orphan, middle, last):
        assert task._local and task._remote == {}
        assert ftrack_api.inspection.state(task) is ftrack_api.symbol.CREATED
    assert set(session.created) == {orphan, middle, last}
    fresh = new_session()
    assert fresh.get("Task", first[0]["id"]) is not None and fresh.get("Task", middle["id"]) is None
    session.rollback()
    assert session.get("Task", last["id"]) is None and session.get("Task", first[1]["id"]) is first[1]
    again = session.create("Task", _task_values(refs, 4))
    session.commit()
    assert fresh.get("Task", again["id"]) is not None


def test_a_failed_first_request_settles_nothing(session, refs):
    session.max_operations_per_request = 2
    bodies = Bodies(session)
    orphan = _orphan(session)
    others = [session.create("Task", _task_values(refs, index)) for index in range(3)]
    count = len(session.recorded_operations)
    with pytest.raises(ftrack_api.exception.ServerError):
        session.commit()
    assert len(bodies.sent) == 1
    assert len(session.recorded_operations) == count
    assert all(task._local and task._remote == {} for task in others + [orphan])
    session.rollback()


def test_a_value_that_cannot_be_encoded_in_a_later_request(session, refs, new_session):
    session.max_operations_per_request = 2
    bodies = Bodies(session)
    sent = [session.create("Task", _task_values(refs, index)) for index in range(2)]
    bad = session.create("Task", dict(_task_values(refs, 2), description=object()))
    with pytest.raises(TypeError):
        session.commit()
    assert bodies.names() == [["t000", "t001"]]
    assert all(task._local == {} and "created_at" in task._remote for task in sent)
    assert [op.entity_key["id"] for op in session.recorded_operations] == [bad["id"]]
    assert new_session().get("Task", sent[1]["id"]) is not None
    session.rollback()


def test_an_entity_in_two_requests_is_settled_after_the_last(session, refs, new_session):
    session.max_operations_per_request = 2
    bodies = Bodies(session)
    a = session.create("Task", _task_values(refs, 0))
    session.create("Task", _task_values(refs, 1))
    a["description"] = "then changed"  # its update is the third payload: second request
    session.commit()
    assert [[item["action"] for item in body] for body in bodies.sent] == [["create", "create"], ["update"]]
    assert a._local == {} and a["description"] == "then changed"
    assert new_session().get("Task", a["id"])["description"] == "then changed"


def test_a_row_describing_an_entity_of_a_later_request_is_merged_in_order(session, refs, new_session):
    """A result row may embed another entity (e.g. a component's locations): merged after
    that entity's sent values became remote, as a commit of one request does."""
    session.max_operations_per_request = 2
    later = {}

    def answer(data, result):
        for item, outcome in zip(data, result):
            name = item.get("entity_data", {}).get("name")
            if name == "t000":  # embeds the entity created in the next request
                outcome["data"]["embedded"] = {"__entity_type__": "Task", "id": later["id"],
                                               "description": "as embedded"}
            elif name == "t002":
                outcome["data"].pop("description")
        return result

    Bodies(session, answer)
    session.types["Task"].attributes.add(ftrack_api.attribute.ReferenceAttribute("embedded", "Task"))
    try:
        first = session.create("Task", _task_values(refs, 0))
        session.create("Task", _task_values(refs, 1))
        target = session.create("Task", _task_values(refs, 2))
        later["id"] = target["id"]
        session.commit()
    finally:
        session.types["Task"].attributes.remove(session.types["Task"].attributes.get("embedded"))
    assert first._remote["embedded"] is target
    assert target._local == {}
    assert target._remote["description"] == "as embedded"
    assert target._remote["name"] == "t002" and "created_at" in target._remote


def test_commit_leaves_the_garbage_collector_as_it_found_it(session, refs):
    import gc

    assert gc.isenabled()
    session.create("Task", _task_values(refs, 0))
    session.commit()
    assert gc.isenabled()
    gc.disable()
    try:
        session.create("Task", _task_values(refs, 1))
        session.commit()
        assert not gc.isenabled()  # not switched on behind the caller's back
        _orphan(session)
        with pytest.raises(ftrack_api.exception.ServerError):
            session.commit()
        assert not gc.isenabled()
    finally:
        gc.enable()
    session.rollback()
    session.max_operations_per_request = 1
    session.create("Task", _task_values(refs, 2))
    session.create("Task", _task_values(refs, 3))
    session.commit()
    assert gc.isenabled()


def test_removing_committed_operations_keeps_the_others_and_their_states():
    operations = ftrack_api.operation.Operations()
    created = [ftrack_api.operation.CreateEntityOperation(
        "Task", ftrack_api.operation._ordered_key(["id"], [str(i)]), {"id": str(i)}) for i in range(4)]
    for operation in created:
        operations.push(operation)
    snapshot = operations._snapshot()[:2]
    later = ftrack_api.operation.DeleteEntityOperation("Task", ftrack_api.operation._ordered_key(["id"], ["2"]))
    operations.push(later)
    operations._remove(snapshot)  # the oldest ones: removed from the front
    assert list(operations) == created[2:] + [later]
    assert operations._state_of("Task", ("0",)) is NOT_SET
    assert operations._state_of("Task", ("2",)) is ftrack_api.symbol.DELETED
    operations._remove([created[3], later])  # not a prefix: removed wherever they are
    assert list(operations) == [created[2]]
    assert operations._state_of("Task", ("2",)) is ftrack_api.symbol.CREATED
    operations._remove([created[0]])  # no longer recorded: nothing happens
    assert list(operations) == [created[2]]


def _settled_state(session, entities):
    return [
        {
            "local": dict(entity._local),
            "remote": {name: value for name, value in entity._remote.items()
                       if name not in ("id", "name", "description")},
            "dirty": id(entity) in session._dirty,
            "state": ftrack_api.inspection.state(entity),
        }
        for entity in entities
    ]


def test_settling_answered_creates_gives_the_general_result(session, refs, monkeypatch):
    settled = []
    original = type(session)._settle_answered_creates

    def spy(self, payloads, results):
        rest = original(self, payloads, results)
        settled.append((len(payloads), len(rest)))
        return rest

    monkeypatch.setattr(type(session), "_settle_answered_creates", spy)
    fused = [session.create("Task", _task_values(refs, index)) for index in range(5)]
    # One entity refers to another entity: its values are not all plain, so the general
    # promotion settles it.
    linked = session.create("Task", dict(_task_values(refs, 9), parent=refs["sequence"]))
    session.commit()
    assert settled == [(6, 1)]
    monkeypatch.setattr(type(session), "_settle_answered_creates", lambda self, p, r: p)
    general = [session.create("Task", _task_values(refs, index)) for index in range(5)]
    session.commit()
    assert _settled_state(session, fused) == _settled_state(session, general)
    for entity in fused:
        assert entity._local == {} and entity["created_at"] is not None
        assert entity["project_id"] == refs["project"]["id"]
    assert linked["parent"] is refs["sequence"] and not linked._local
    assert not session._dirty


def test_a_create_is_left_to_the_general_promotion_when_its_row_does_not_cover_it(session, refs):
    task = session.create("Task", _task_values(refs, 1))
    key = task["id"]
    payload = {"action": "create", "entity_type": "Task", "entity_key": [key],
               "entity_data": dict(task._local, __entity_type__="Task")}
    row = {"__entity_type__": "Task", **task._local}
    short = {name: value for name, value in row.items() if name != "description"}
    sent_less = dict(payload, entity_data={n: v for n, v in payload["entity_data"].items()
                                           if n != "description"})
    compound = dict(payload, entity_key=[key, "other"])
    cases = [
        ([payload], [{"action": "create"}]),          # an answer without a row
        ([payload], [{"action": "create", "data": short}]),  # the row lacks a local value
        ([sent_less], [{"action": "create", "data": row}]),  # a local value was not sent
        ([compound], [{"action": "create", "data": row}]),   # a compound key
    ]
    for payloads, results in cases:
        assert session._settle_answered_creates(payloads, results) == payloads
        assert task._local["description"] == "number 1" and id(task) in session._dirty
    assert session._settle_answered_creates([payload], [{"action": "create", "data": row}]) == []
    assert task._local == {} and id(task) not in session._dirty
    session.rollback()
