"""Large create batches (several hundred rows) on a file database.

The order of rows, reads inside the batch, duplicate keys (also against rows stored
earlier, and also when a later operation of the batch fails too), rollback of the whole
batch, and durability of the file once the server stops (the write-ahead log is
checkpointed on a background thread and truncated on close).
"""
from __future__ import annotations

import os
import sqlite3
import uuid
from typing import Any, Dict, List

import pytest

from ftrack_api.testing import LocalServer
from .conftest import Api

CHUNK = 250
MANY = CHUNK * 3 + 17


@pytest.fixture(scope="module")
def world(tmp_path_factory: Any) -> Any:
    path = str(tmp_path_factory.mktemp("large") / "large.sqlite")
    with LocalServer(database=path) as srv:
        api = Api(srv)
        yield {"api": api, "path": path, "project": api.project()}


def _create(entity_type: str, **data: Any) -> Dict[str, Any]:
    key = data.setdefault("id", str(uuid.uuid4()))
    return {"action": "create", "entity_type": entity_type, "entity_key": [key],
            "entity_data": dict(data, __entity_type__=entity_type)}


def _shots(project: Dict[str, Any], count: int, prefix: str) -> List[Dict[str, Any]]:
    return [_create("Shot", name=f"{prefix}{index:04d}", parent_id=project["id"])
            for index in range(count)]


def test_a_large_batch_is_stored_in_creation_order(world: Dict[str, Any]) -> None:
    api, project = world["api"], world["project"]
    operations = _shots(project, MANY, "order_")
    results = api.ok(operations)
    assert [r["data"]["name"] for r in results] == [f"order_{i:04d}" for i in range(MANY)]
    rows = api.rows(f'select name from Shot where parent_id is "{project["id"]}" '
                    'and name like "order_%"')
    # Unordered queries come back in insertion order (the rid order).
    assert [row["name"] for row in rows] == [f"order_{i:04d}" for i in range(MANY)]


def test_reads_inside_the_batch_see_the_rows_created_before_them(world: Dict[str, Any]) -> None:
    api, project = world["api"], world["project"]
    operations: List[Dict[str, Any]] = _shots(project, MANY, "seen_")
    operations.append({"action": "query",
                       "expression": f'select id from Shot where parent_id is "{project["id"]}"'
                                     ' and name like "seen_%"'})
    # A child of a row created earlier in the batch: its project comes from the parent.
    parent_key = operations[MANY - 1]["entity_key"][0]
    operations.append(_create("Task", name="child", parent_id=parent_key))
    results = api.ok(operations)
    assert len(results[MANY]["data"]) == MANY
    assert results[MANY + 1]["data"]["project_id"] == project["id"]


def test_a_key_stored_earlier_fails_the_whole_large_batch(world: Dict[str, Any]) -> None:
    api, project = world["api"], world["project"]
    existing = api.ok([_create("Shot", name="stored_once", parent_id=project["id"])])[0]["data"]
    operations = _shots(project, MANY, "dup_")
    operations.insert(CHUNK + 5,
                      _create("Shot", id=existing["id"], name="again", parent_id=project["id"]))
    body = api.call(operations)
    assert body["exception"] == "DuplicateEntryError"
    assert existing["id"] in body["content"] and "Shot" in body["content"]
    # Nothing of the batch was kept, and the stored row is unchanged.
    assert api.rows(f'select id from Shot where name like "dup_%"') == []
    stored = api.rows(f'select name from Shot where id is "{existing["id"]}"')
    assert [row["name"] for row in stored] == ["stored_once"]


def test_the_earlier_duplicate_is_reported_when_a_later_operation_fails_too(
        world: Dict[str, Any]) -> None:
    api, project = world["api"], world["project"]
    existing = api.ok([_create("Shot", name="first_error", parent_id=project["id"])])[0]["data"]
    operations = [_create("Shot", id=existing["id"], name="x", parent_id=project["id"])]
    operations += _shots(project, 20, "late_")
    operations.append(_create("Shot", name="bad", parent_id=project["id"], no_such_attribute=1))
    body = api.call(operations)
    assert body["exception"] == "DuplicateEntryError"
    assert existing["id"] in body["content"]


def test_a_key_repeated_inside_the_batch_is_refused_at_once(world: Dict[str, Any]) -> None:
    api, project = world["api"], world["project"]
    operations = _shots(project, MANY, "twice_")
    repeated = operations[3]["entity_key"][0]
    operations.append(_create("Shot", id=repeated, name="twice", parent_id=project["id"]))
    body = api.call(operations)
    assert body["exception"] == "DuplicateEntryError" and repeated in body["content"]
    assert api.rows('select id from Shot where name like "twice_%"') == []


def test_a_row_deleted_in_the_batch_can_be_created_again(world: Dict[str, Any]) -> None:
    api, project = world["api"], world["project"]
    operations = _shots(project, MANY, "again_")
    key = operations[10]["entity_key"][0]
    operations.append({"action": "delete", "entity_type": "Shot", "entity_key": [key]})
    operations.append(_create("Shot", id=key, name="reborn", parent_id=project["id"]))
    results = api.ok(operations)
    assert results[-1]["data"]["name"] == "reborn"
    assert api.rows(f'select name from Shot where id is "{key}"')[0]["name"] == "reborn"


def test_a_failed_large_batch_leaves_the_server_usable(world: Dict[str, Any]) -> None:
    api, project = world["api"], world["project"]
    operations = _shots(project, MANY, "rolled_")
    operations.append({"action": "update", "entity_type": "Shot",
                       "entity_key": [str(uuid.uuid4())], "entity_data": {"name": "ghost"}})
    assert "exception" in api.call(operations)
    assert api.rows('select id from Shot where name like "rolled_%"') == []
    # The next batch (which reuses nothing of the failed one) goes through.
    assert len(api.ok(_shots(project, MANY, "after_"))) == MANY


def test_values_round_trip_through_the_bulk_insert(world: Dict[str, Any]) -> None:
    api, project = world["api"], world["project"]
    description = 'quotes " and \\ backslash, é, 😀, new\nline'
    operations = _shots(project, CHUNK + 1, "value_")
    operations[-1]["entity_data"]["description"] = description
    key = operations[-1]["entity_key"][0]
    api.ok(operations)
    stored = api.rows(f'select description from Shot where id is "{key}"')[0]
    assert stored["description"] == description
    found = api.rows(f'select id from Shot where description is "{description[:6]}"')
    assert found == []  # equality is exact


def test_a_file_database_keeps_every_row_and_a_short_log(tmp_path: Any) -> None:
    path = str(tmp_path / "durable.sqlite")
    with LocalServer(database=path) as srv:
        api = Api(srv)
        project = api.project("durable")
        for batch in range(3):
            api.ok(_shots(project, MANY, f"d{batch}_"))
    # Stopping the server checkpoints and truncates the write-ahead log.
    wal = path + "-wal"
    assert not os.path.exists(wal) or os.path.getsize(wal) == 0
    with sqlite3.connect(path) as connection:
        count = connection.execute(
            "SELECT count(*) FROM entity WHERE type = 'Shot'").fetchone()[0]
    assert count == 3 * MANY
    with LocalServer(database=path) as again:
        rows = Api(again).rows('select name from Shot where name like "d2_%"')
        assert len(rows) == MANY


@pytest.mark.parametrize("spin", [0, 20000, 200000])
def test_stop_while_a_large_commit_is_in_flight_returns(tmp_path: Any, spin: int) -> None:
    """stop() lets the request in flight finish (or closes it after SHUTDOWN_TIMEOUT):
    it returns, leaves no server thread, and each 500-operation request is all or nothing."""
    import threading

    path = str(tmp_path / "stopping.sqlite")
    before = set(threading.enumerate())
    server = LocalServer(database=path).start()
    session = server.session(schema_cache_path=str(tmp_path))
    for index in range(1500):
        session.create("Priority", {"name": f"stop_{index:04d}", "value": index})
    outcome: List[str] = []

    def commit() -> None:
        try:
            session.commit()
            outcome.append("committed")
        except Exception as error:  # the server went away: a typed error, never a hang
            outcome.append(type(error).__name__)

    worker = threading.Thread(target=commit)
    worker.start()
    for _ in range(spin):  # stop at a different moment of the commit in each case
        pass
    server.stop()
    worker.join(60)
    assert not worker.is_alive()
    assert outcome and outcome[0] in ("committed", "ServerUnreachableError", "ServerError")
    assert not [t for t in set(threading.enumerate()) - before
                if t.name.startswith("ftrack-local")]
    with sqlite3.connect(path) as connection:
        stored = connection.execute(
            "SELECT count(*) FROM entity WHERE json_extract(data, '$.name') LIKE 'stop_%'"
        ).fetchone()[0]
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert stored % 500 == 0
    if outcome[0] == "committed":
        assert stored == 1500
    session.close()
