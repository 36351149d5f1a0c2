"""The batched write path: one-statement duplicate detection, the per-batch project look-up
and the partial foreign-key indexes keep their observable behaviour."""
from __future__ import annotations

import sqlite3
import uuid
from typing import Any, Dict, List

import pytest

from ftrack_api.testing import LocalServer

from .conftest import Api


@pytest.fixture(scope="module")
def world(tmp_path_factory: Any) -> Any:
    path = str(tmp_path_factory.mktemp("writes") / "writes.sqlite")
    with LocalServer(database=path) as srv:
        yield {"api": Api(srv), "path": path}


def _create(entity_type: str, **data: Any) -> Dict[str, Any]:
    key = data.setdefault("id", str(uuid.uuid4()))
    return {"action": "create", "entity_type": entity_type, "entity_key": [key],
            "entity_data": dict(data, __entity_type__=entity_type)}


def test_a_duplicate_inside_one_batch_fails_the_whole_batch(world: Dict[str, Any]) -> None:
    api = world["api"]
    project = api.project()
    key = str(uuid.uuid4())
    body = api.call([_create("Shot", id=key, name="first", parent_id=project["id"]),
                     _create("Shot", id=key, name="second", parent_id=project["id"])])
    assert body["exception"] == "DuplicateEntryError"
    assert key in body["content"]
    assert api.rows(f'select id from Shot where id is "{key}"') == []


def test_a_create_that_repeats_a_stored_key_is_refused(world: Dict[str, Any]) -> None:
    api = world["api"]
    project = api.project()
    shot = api.create("Shot", name="kept", parent=api.ref(project))
    body = api.call([_create("Shot", id=shot["id"], name="again", parent_id=project["id"])])
    assert body["exception"] == "DuplicateEntryError"
    assert api.rows(f'select name from Shot where id is "{shot["id"]}"')[0]["name"] == "kept"


def test_project_of_the_parent_follows_a_reparent_earlier_in_the_batch(world: Dict[str, Any]) -> None:
    api = world["api"]
    first, second = api.project(), api.project()
    shot = api.create("Shot", name="moving", parent=api.ref(first))
    results: List[Any] = api.ok([
        _create("Task", name="before", parent_id=shot["id"]),
        {"action": "update", "entity_type": "Shot", "entity_key": [shot["id"]],
         "entity_data": {"__entity_type__": "Shot", "parent_id": second["id"]}},
        _create("Task", name="after", parent_id=shot["id"]),
    ])
    assert results[0]["data"]["project_id"] == first["id"]
    assert results[2]["data"]["project_id"] == second["id"]
    stored = {r["name"]: r["project_id"] for r in
              api.rows(f'select name, project_id from Task where parent_id is "{shot["id"]}"')}
    assert stored == {"before": second["id"], "after": second["id"]}  # reparent cascades


def test_many_creates_under_one_parent_all_get_its_project(world: Dict[str, Any]) -> None:
    api = world["api"]
    project = api.project()
    shot = api.create("Shot", name="busy", parent=api.ref(project))
    results = api.ok([_create("Task", name=f"t{i}", parent_id=shot["id"]) for i in range(25)])
    assert {r["data"]["project_id"] for r in results} == {project["id"]}


def _indexes(path: str) -> Dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        return {row[0]: row[1] for row in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index'")}
    finally:
        conn.close()


def _plan(path: str, sql: str) -> str:
    conn = sqlite3.connect(path)
    try:
        return " ".join(row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + sql))
    finally:
        conn.close()


def test_foreign_key_lookups_use_the_family_partial_indexes(world: Dict[str, Any]) -> None:
    api = world["api"]
    api.project()  # the database has rows
    names = _indexes(world["path"])
    assert not [n for n in names if n.startswith(("entity_fk_", "entity_pfk_"))]
    (parent_index,) = [n for n in names if n.startswith("entity_ffk_parent_id_")]
    # Partial on the families that have the key (a Status row is not in it), not on the
    # key's JSON value, which every insert had to extract for every index.
    where = names[parent_index].split(" WHERE ", 1)[1]
    assert "fam = 'Context'" in where and "fam = 'Note'" in where
    assert "'Status'" not in where and "json_extract" not in where
    assert not [n for n in names if n.startswith("entity_ffk_asset_id_")
                and "'Context'" in names[n]]
    for sql in ("SELECT k FROM entity WHERE fam = 'Context' AND "
                "json_extract(data, '$.parent_id') = 'x'",
                "SELECT k FROM entity WHERE fam = 'Context' AND "
                "json_extract(data, '$.parent_id') IN ('x', 'y')",
                "SELECT e.k FROM entity e WHERE e.fam = 'Context' AND e.type IN ('Task') AND "
                "json_extract(e.data, '$.project_id') = 'x' ORDER BY e.rid ASC"):
        plan = _plan(world["path"], sql)
        assert "entity_ffk_" in plan and "<expr>=?" in plan, plan
    # Rows without the key are found by IS NULL criteria as before.
    projects = api.rows("select name from Project where parent_id is None")
    assert projects


def test_a_database_with_older_foreign_key_indexes_gets_the_new_ones(tmp_path: Any) -> None:
    path = str(tmp_path / "older.sqlite")
    with LocalServer(database=path) as srv:
        api = Api(srv)
        project = api.project()
        shot = api.create("Shot", name="kept", parent=api.ref(project))
    conn = sqlite3.connect(path)
    try:  # what an earlier release left in the file
        for name in [n for n in _indexes(path) if n.startswith("entity_ffk_")]:
            conn.execute(f'DROP INDEX "{name}"')
        conn.execute("CREATE INDEX entity_pfk_parent_id ON entity (fam, json_extract(data, "
                     "'$.parent_id')) WHERE json_extract(data, '$.parent_id') IS NOT NULL")
        conn.commit()
    finally:
        conn.close()
    with LocalServer(database=path) as srv:
        names = _indexes(path)
        assert "entity_pfk_parent_id" not in names
        assert [n for n in names if n.startswith("entity_ffk_parent_id_")]
        rows = Api(srv).rows(f'select name from Shot where parent_id is "{project["id"]}"')
        assert [row["name"] for row in rows] == ["kept"]
    assert shot["name"] == "kept"


def test_updates_reach_a_listener_that_connects_after_unheard_batches(world: Dict[str, Any]) -> None:
    """Batches committed while no hub connection is open skip building ``ftrack.update``;
    a listener that connects later receives the events of the batches after it."""
    pytest.importorskip("websocket")
    from .test_update_events import Listener

    api = world["api"]
    project = api.project()
    api.create("Shot", name="unheard", parent=api.ref(project))  # no listener yet
    listener = Listener(api)
    try:
        shot = api.create("Shot", name="heard", parent=api.ref(project))
        event = listener.next_update()
        entities = event["data"]["entities"]
        assert [e["entityId"] for e in entities] == [shot["id"]]
        assert entities[0]["action"] == "add"
    finally:
        listener.close()


def test_server_times_are_the_current_utc_second() -> None:
    import datetime

    from ftrack_api.testing import _values

    for _ in range(3):
        before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        text = _values.now()
        after = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        moment = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S").replace(
            tzinfo=datetime.timezone.utc)
        assert before <= moment <= after


def test_a_batch_leaves_the_cyclic_collector_as_it_found_it(world: Dict[str, Any]) -> None:
    import gc

    from ftrack_api.testing._backend import _cycle_collection_paused

    assert gc.isenabled()
    with _cycle_collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with _cycle_collection_paused():
            raise RuntimeError("batch failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with _cycle_collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # was off: stays off
    finally:
        gc.enable()
    api = world["api"]
    assert api.ok([_create("Job")])[0]["data"]["id"]  # and through a real request
    body = api.call([{"action": "nope"}])
    assert body["exception"] == "ServerError"
    assert gc.isenabled()
