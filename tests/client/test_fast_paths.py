"""Behaviour kept by the client's fast paths (shared parsed datetimes, inline construction)."""
from __future__ import annotations

import datetime
import time

import pytest

import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.symbol
from ftrack_api import _codec


def test_parsed_datetimes_are_equal_for_equal_text_and_immutable() -> None:
    first = _codec.parse_datetime("2026-01-02T03:04:05")
    second = _codec.parse_datetime("2026-01-02T03:04:05")
    assert first == second == datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    assert _codec.parse_datetime("2026-01-02T03:04:06") != first
    with pytest.raises(AttributeError):
        first.note = "x"  # type: ignore[attr-defined]
    for _ in range(2):  # a bad value is never remembered
        with pytest.raises(ValueError):
            _codec.parse_datetime("not a date")


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="needs time.tzset")
def test_naive_values_without_timezone_support_follow_the_current_local_zone(monkeypatch) -> None:
    try:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()
        as_utc = _codec.parse_datetime("2026-06-01T12:00:00", timezone_support=False)
        monkeypatch.setenv("TZ", "Etc/GMT-2")  # two hours east of UTC
        time.tzset()
        as_east = _codec.parse_datetime("2026-06-01T12:00:00", timezone_support=False)
        assert as_utc.hour == 12 and as_east.hour == 10
    finally:
        monkeypatch.undo()
        time.tzset()


def test_created_entities_keep_values_dirty_state_and_operation(session) -> None:
    project = session.query("Project").first()
    task_type = session.query("Type").first()
    status = session.query("Status").first()
    task = session.create("Task", {"name": "fast", "parent": project, "description": None,
                                   "type": task_type, "status": status})
    assert task["name"] == "fast" and task["description"] is None
    assert task["parent"] is project
    assert task in session._dirty.values()
    operations = list(session.recorded_operations)
    assert [type(op).__name__ for op in operations][:1] == ["CreateEntityOperation"]
    assert operations[0].entity_data["name"] == "fast"
    assert "description" in operations[0].entity_data
    session.commit()
    again = session.query(f'select name, description from Task where id is "{task["id"]}"').one()
    assert again["name"] == "fast" and again["description"] is None


def test_schema_cache_hash_is_remembered_next_to_the_cache(local_server, tmp_path) -> None:
    import hashlib
    import json

    from ftrack_api import _schema

    with local_server.session(schema_cache_path=str(tmp_path)) as first:
        expected = first.server_information["schema_hash"]
    cache = tmp_path / "ftrack_api_schema_cache.json"
    side = tmp_path / "ftrack_api_schema_cache.json.md5"
    assert not side.exists()  # written when a cache is first read
    schemas, value = _schema.read_cache_and_hash(str(cache))
    assert value == expected == _schema.schema_hash(schemas)
    assert json.loads(side.read_text())["hash"] == expected
    with local_server.session(schema_cache_path=str(tmp_path)) as second:
        assert set(second.types) == {s["id"] for s in schemas}
    # A changed cache file is hashed again (its side file no longer matches it).
    changed = [dict(schema) for schema in schemas][:-1]
    cache.write_text(json.dumps(changed))
    _again, value = _schema.read_cache_and_hash(str(cache))
    assert value == hashlib.md5(json.dumps(changed, sort_keys=True).encode()).hexdigest()
    assert value != expected
    # ... so the session fetches the schemas again, and a broken side file is ignored.
    side.write_text("{broken")
    with local_server.session(schema_cache_path=str(tmp_path)) as third:
        assert set(third.types) == {s["id"] for s in schemas}
    assert _schema.read_cache_and_hash(str(cache))[1] == expected


def test_new_ids_are_random_version_4_uuids() -> None:
    import uuid

    from ftrack_api.entity.factory import _new_uid

    values = [_new_uid() for _ in range(2000)]
    assert len(set(values)) == len(values)
    for value in values[:200]:
        parsed = uuid.UUID(value)
        assert str(parsed) == value
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_plain_rows_merge_like_typed_rows(session) -> None:
    rows = [{"__entity_type__": "Task", "id": "00000000-0000-4000-8000-%012d" % i,
             "name": "n%d" % i, "status_id": "".join(["s", "t", "a", "t"]),
             "priority_id": None, "bid": 1.5} for i in range(3)]
    rows.append({"__entity_type__": "Task", "id": "00000000-0000-4000-8000-000000000099",
                 "name": "typed", "status_id": "stat", "unknown_key": 1,
                 "created_at": {"__type__": "datetime", "value": "2026-01-02T03:04:05"}})
    merged = session._merge_rows(rows)
    for entity, row in zip(merged, rows):
        assert "__entity_type__" not in entity._remote
        assert "unknown_key" not in entity._remote
        assert entity._remote["name"] == row["name"] and entity._remote["status_id"] == "stat"
    assert merged[0]._remote["status_id"] is merged[1]._remote["status_id"]  # pooled text
    assert merged[0]._remote["priority_id"] is None and merged[0]._remote["bid"] == 1.5
    assert merged[3]._remote["created_at"] == datetime.datetime(
        2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    again = session._merge_rows([dict(rows[0], name="renamed")])[0]
    assert again is merged[0] and again["name"] == "renamed"
    assert session.get("Task", rows[1]["id"]) is merged[1]


def test_create_only_batches_optimise_like_mixed_batches() -> None:
    from ftrack_api import _unit_of_work
    from ftrack_api.symbol import NOT_SET

    creates = [{"action": "create", "entity_type": "Task", "entity_key": [str(i)],
                "entity_data": {"__entity_type__": "Task", "id": str(i), "name": "n",
                                "description": NOT_SET}} for i in range(3)]
    fast = _unit_of_work.optimise([dict(p, entity_data=dict(p["entity_data"])) for p in creates])
    # The general path (forced by a trailing no-op update that step 5 drops).
    noop = {"action": "update", "entity_type": "Task", "entity_key": ["9"],
            "entity_data": {"__entity_type__": "Task", "name": NOT_SET}}
    general = _unit_of_work.optimise([dict(p, entity_data=dict(p["entity_data"]))
                                      for p in creates] + [noop])
    assert fast == general
    assert all("description" not in p["entity_data"] for p in fast)
    assert creates[0]["entity_data"]["description"] is NOT_SET  # inputs are not modified


def _general_create(session, monkeypatch, entity_type, data):
    """``Session.create`` with the one-step plain path switched off."""
    with monkeypatch.context() as patch:
        patch.setattr(type(session), "_create_plain", lambda self, cls, values: None)
        return session.create(entity_type, data)


def _state(session, entity):
    operation = [op for op in session.recorded_operations
                 if dict(op.entity_key) == {"id": entity["id"]}][-1]
    return {
        "local": list(entity._local.items()),
        "remote": dict(entity._remote),
        "dirty": entity in session._dirty.values(),
        "cached": session.get(entity.entity_type, entity["id"]) is entity,
        "operation": (type(operation).__name__, operation.entity_type,
                      type(operation.entity_key).__name__, dict(operation.entity_key),
                      list(operation.entity_data.items())),
        "state": ftrack_api.inspection.state(entity),
        "copied": operation.entity_data is not entity._local,
    }


def test_a_plain_create_is_what_the_general_path_builds(session, project, monkeypatch) -> None:
    project = project[0]
    status = session.query("Status").first()
    values = {"name": "plain", "description": "one step", "parent_id": project["id"],
              "status_id": status["id"], "bid": 2.5, "sort": 3}
    plain = session._create_plain(session.types["Task"],
                                  dict(values, id="11111111-1111-4111-8111-111111111111"))
    assert plain is not None  # what session.create takes for these values
    general = _general_create(session, monkeypatch, "Task",
                              dict(values, id="22222222-2222-4222-8222-222222222222"))
    one, other = _state(session, plain), _state(session, general)
    for state in (one, other):  # the key differs; everything else is the same
        state["local"] = [(name, value) for name, value in state["local"] if name != "id"]
        name, etype, kind, key, data = state["operation"]
        state["operation"] = (name, etype, kind, sorted(key),
                              [(n, v) for n, v in data if n != "id"])
    assert one == other
    assert one["dirty"] and one["cached"] and one["copied"]
    assert one["operation"][2] == "OrderedDict"
    session.commit()
    assert session.query(f'select name from Task where id is "{plain["id"]}"').one()["name"] == "plain"
    # Defaults first (a new id, the schema's defaults), then the given values, in order.
    fresh = session.create("Task", {"name": "defaults"})
    assert list(fresh._local)[:1] == ["id"] and fresh._local["name"] == "defaults"
    assert fresh._local["priority_id"] == session.types["Task"].attributes.get(
        "priority_id").default_value
    session.rollback()


def test_a_changed_plain_entity_does_not_change_its_recorded_create(session) -> None:
    task = session.create("Task", {"name": "before"})
    task["name"] = "after"
    create = [op for op in session.recorded_operations
              if type(op).__name__ == "CreateEntityOperation" and dict(op.entity_key) == {"id": task["id"]}]
    assert create[0].entity_data["name"] == "before"
    assert task["name"] == "after"


@pytest.mark.parametrize("case", ["entity value", "unset value", "integer key", "cached key",
                                  "not recording", "non-scalar name"])
def test_creates_the_plain_path_leaves_to_the_general_one(session, project, case) -> None:
    project = project[0]
    key = "33333333-3333-4333-8333-33333333333" + str(len(case) % 10)
    data = {"name": case, "id": key}
    cls = session.types["Task"]
    if case == "entity value":
        data["parent"] = project
    elif case == "unset value":
        data["description"] = ftrack_api.symbol.NOT_SET
    elif case == "integer key":
        data["id"] = 12345
    elif case == "non-scalar name":
        data["children"] = []
    if case == "cached key":
        first = session.create("Task", {"name": "first", "id": key})
        assert session._create_plain(cls, dict(data)) is None
        again = session.create("Task", dict(data))
        assert again is first and first["name"] == case  # merged into the cached entity
        return
    if case == "not recording":
        with session.operation_recording(False):
            assert session._create_plain(cls, dict(data)) is None
            entity = session.create("Task", dict(data))
        assert not [op for op in session.recorded_operations
                    if dict(op.entity_key) == {"id": entity["id"]}]
        return
    assert session._create_plain(cls, dict(data)) is None
    entity = session.create("Task", dict(data))
    assert entity["name"] == case
    if case == "entity value":
        assert entity["parent"] is project
    if case == "integer key":
        assert entity["id"] == 12345


def test_a_class_with_its_own_constructor_is_built_by_it(session) -> None:
    calls = []
    cls = session.types["Task"]
    original = cls.__init__

    def init(self, *args, **kwargs):
        calls.append(1)
        original(self, *args, **kwargs)

    cls.__init__ = init
    try:
        assert session._create_plain(cls, {"name": "own"}) is None
        task = session.create("Task", {"name": "own"})
    finally:
        cls.__init__ = original
    assert calls == [1] and task["name"] == "own"


def test_a_default_replaced_after_the_first_create_is_used(session, monkeypatch) -> None:
    session.create("Task", {"name": "first"})  # the one-step plan of Task is worked out here
    attribute = session.types["Task"].attributes.get("name")
    monkeypatch.setattr(attribute, "default_value", "DEFAULT-NAME")
    constant = session.create("Task", {})
    monkeypatch.setattr(attribute, "default_value", lambda entity: "FROM-CALLABLE")
    computed = session.create("Task", {})
    operations = {dict(op.entity_key)["id"]: op.entity_data for op in session.recorded_operations}
    assert constant["name"] == operations[constant["id"]]["name"] == "DEFAULT-NAME"
    assert computed["name"] == operations[computed["id"]]["name"] == "FROM-CALLABLE"
    session.rollback()


def test_a_create_answered_with_a_subtype_keeps_its_values(session, project, monkeypatch) -> None:
    category = session.query("ListCategory").first()
    data = {"name": "L", "project_id": project[0]["id"], "category_id": category["id"]}
    answered = []
    original = type(session)._call

    def spy(self, payloads, idempotent=None):
        results = original(self, payloads, idempotent)
        answered.extend(result["data"]["__entity_type__"] for result in results)
        return results

    monkeypatch.setattr(type(session), "_call", spy)
    created = session.create("List", dict(data))
    session.commit()
    assert answered == ["TypedContextList"]  # the server stores a List of the default kind
    assert created["name"] == "L" and created["id"]
    assert session.get("TypedContextList", created["id"])["name"] == "L"
    monkeypatch.setattr(type(session), "_settle_answered_creates", lambda self, p, r: p)
    general = session.create("List", dict(data, name="G"))
    session.commit()
    assert sorted(created._remote) == sorted(general._remote)
    assert created._local == general._local == {}
