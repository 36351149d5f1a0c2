"""Pipelined inserts: the rows of a batch's creates are written in chunks on the insert
thread while the batch goes on. Every observable behaviour of a row-by-row batch is kept:
reads in the batch see earlier creates, the first error of the batch is the one reported,
a failed batch leaves nothing behind and rows keep the batch's order."""
from __future__ import annotations

import sqlite3
import threading
import uuid
from typing import Any, Dict, List

import pytest

from ftrack_api.testing import LocalServer
from ftrack_api.testing import _database

from .conftest import Api

#: More rows than several chunks, with a part-chunk at the end.
MANY = 3 * _database.INSERT_CHUNK + 37


@pytest.fixture(scope="module")
def world(tmp_path_factory: Any) -> Any:
    path = str(tmp_path_factory.mktemp("pipelined") / "pipelined.sqlite")
    with LocalServer(database=path) as srv:
        yield {"api": Api(srv), "path": path, "server": srv}


def _create(entity_type: str, **data: Any) -> Dict[str, Any]:
    key = data.setdefault("id", str(uuid.uuid4()))
    return {"action": "create", "entity_type": entity_type, "entity_key": [key],
            "entity_data": dict(data, __entity_type__=entity_type)}


def _count(api: Api, expression: str) -> int:
    return len(api.rows(expression))


def test_rows_keep_the_order_of_the_batch_across_chunks(world: Dict[str, Any]) -> None:
    api = world["api"]
    project = api.project()
    creates = [_create("Shot", name=f"s{index:04d}", parent_id=project["id"])
               for index in range(MANY)]
    results = api.ok(creates)
    assert [r["data"]["id"] for r in results] == [c["id"] for c in
                                                 (op["entity_data"] for op in creates)]
    rows = api.rows(f'select id, name from Shot where parent_id is "{project["id"]}"')
    assert [row["name"] for row in rows] == [f"s{index:04d}" for index in range(MANY)]
    with sqlite3.connect(world["path"]) as conn:  # one row each, in the batch's rid order
        stored = [k for (k,) in conn.execute(
            "SELECT k FROM entity WHERE fam = 'Context' AND json_extract(data, '$.parent_id') = ?"
            " ORDER BY rid", (project["id"],))]
    assert stored == [row["id"] for row in rows]


def test_a_create_sees_parents_created_chunks_earlier_in_the_batch(world: Dict[str, Any]) -> None:
    api = world["api"]
    project = api.project()
    folders = [_create("Folder", name=f"f{index}", parent_id=project["id"])
               for index in range(MANY)]
    last = folders[-1]["entity_data"]["id"]
    first = folders[0]["entity_data"]["id"]
    results = api.ok(folders + [_create("Task", name="under-last", parent_id=last),
                                _create("Task", name="under-first", parent_id=first)])
    # The project is looked up through the parent, which is still queued or being written.
    assert results[-2]["data"]["project_id"] == project["id"]
    assert results[-1]["data"]["project_id"] == project["id"]


def test_queries_and_updates_in_the_batch_see_the_queued_creates(world: Dict[str, Any]) -> None:
    api = world["api"]
    project = api.project()
    creates = [_create("Shot", name=f"q{index}", parent_id=project["id"]) for index in range(MANY)]
    middle = creates[MANY // 2]["entity_data"]["id"]
    results = api.ok(creates + [
        {"action": "update", "entity_type": "Shot", "entity_key": [middle],
         "entity_data": {"__entity_type__": "Shot", "name": "renamed"}},
        {"action": "query",
         "expression": f'select id, name from Shot where parent_id is "{project["id"]}"'},
    ])
    assert results[-2]["data"]["name"] == "renamed"
    page = results[-1]["data"]
    assert len(page) == MANY
    assert [row["name"] for row in page].count("renamed") == 1


CHUNK = _database.INSERT_CHUNK


@pytest.mark.parametrize("duplicate, failing, reported", [
    (3, MANY, "DuplicateEntryError"),  # its chunk was written long before the failure
    (CHUNK + 2, 2 * CHUNK + 5, "DuplicateEntryError"),  # its chunk is being written
    (2 * CHUNK + 40, 2 * CHUNK + 50, "DuplicateEntryError"),  # still queued
    (MANY - 1, 2, "ValidationError"),  # the failure comes first
], ids=["written", "being-written", "queued", "failure-first"])
def test_the_first_error_of_the_batch_is_the_one_reported(world: Dict[str, Any], duplicate: int,
                                                          failing: int, reported: str) -> None:
    api = world["api"]
    project = api.project()
    kept = api.create("Shot", name="kept", parent=api.ref(project))
    before = _count(api, "select id from Shot")
    creates = [_create("Shot", name=f"d{index}", parent_id=project["id"])
               for index in range(MANY + 1)]
    creates[duplicate] = _create("Shot", id=kept["id"], name="again", parent_id=project["id"])
    creates[failing] = _create("Shot", name="bad", parent_id=project["id"], no_such_attribute=1)
    body = api.call(creates)
    assert body["exception"] == reported
    if reported == "DuplicateEntryError":
        assert body["content"] == _database.duplicate_message("Shot", kept["id"])
    else:
        assert "no_such_attribute" in body["content"]
    assert _count(api, "select id from Shot") == before  # every chunk rolled back
    assert api.rows(f'select name from Shot where id is "{kept["id"]}"')[0]["name"] == "kept"


@pytest.mark.parametrize("first, second", [(5, 9), (5, MANY - 1), (MANY - 3, MANY - 1)],
                         ids=["same-chunk", "across-chunks", "in-the-last-part-chunk"])
def test_a_key_repeated_in_the_batch_names_it_and_rolls_back(world: Dict[str, Any], first: int,
                                                             second: int) -> None:
    api = world["api"]
    project = api.project()
    before = _count(api, "select id from Shot")
    creates = [_create("Shot", name=f"r{index}", parent_id=project["id"]) for index in range(MANY)]
    key = creates[first]["entity_data"]["id"]
    creates[second] = _create("Shot", id=key, name="repeat", parent_id=project["id"])
    body = api.call(creates)
    assert body["exception"] == "DuplicateEntryError"
    assert body["content"] == _database.duplicate_message("Shot", key)
    assert _count(api, "select id from Shot") == before
    # The server goes on normally after the failed batch.
    assert len(api.ok([_create("Shot", name="after", parent_id=project["id"])])) == 1


def test_duplicate_message_is_the_row_by_row_text(world: Dict[str, Any]) -> None:
    assert _database.duplicate_message("Shot", "abc") == \
        "Duplicate entry: Shot with key 'abc' already exists."


def test_write_errors_other_than_a_duplicate_reach_the_caller(tmp_path: Any) -> None:
    db = _database.Database(str(tmp_path / "plain.sqlite"))
    try:
        db.begin(pipelined=True)
        for index in range(_database.INSERT_CHUNK + 3):
            assert db.insert_new("Context", f"k{index}", "Shot", {"id": f"k{index}"}) is True
        # A row the table refuses for another reason than its key (NOT NULL type).
        db._pending += ("Context", "broken", None, "{}")
        db._pending_rows += 1
        with pytest.raises(sqlite3.IntegrityError, match="NOT NULL"):
            db.write_pending()
        assert db._pending_rows == 0 and db._inflight is None
        db.rollback()
        assert db.count() == 0
    finally:
        db.close()


def test_a_plain_transaction_writes_at_once(tmp_path: Any) -> None:
    db = _database.Database(str(tmp_path / "plain.sqlite"))
    try:
        db.begin()
        assert db.insert_new("Context", "a", "Shot", {"id": "a"}) is True
        assert db._pending_rows == 0
        assert db.insert_new("Context", "a", "Shot", {"id": "a"}) is False
        db.commit()
        assert db.count() == 1
    finally:
        db.close()


def test_the_insert_thread_ends_with_the_server(tmp_path: Any) -> None:
    def threads() -> List[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "ftrack-local-insert"]

    before = len(threads())
    with LocalServer(database=str(tmp_path / "t.sqlite")) as srv:
        api = Api(srv)
        project = api.project()
        api.ok([_create("Shot", name=f"t{index}", parent_id=project["id"]) for index in range(MANY)])
        assert len(threads()) == before + 1
    assert len(threads()) == before


def test_an_ended_insert_thread_is_replaced(tmp_path: Any) -> None:
    db = _database.Database(str(tmp_path / "ended.sqlite"))
    used = []
    try:
        for batch in range(2):
            db.begin(pipelined=True)
            for index in range(2 * _database.INSERT_CHUNK + 1):
                db.insert_new("Context", f"{batch}-{index}", "Shot", {"id": f"{batch}-{index}"})
            db.commit()
            used.append(db._inserter)
            assert used[-1] is not None and used[-1].alive()
            used[-1].stop()  # as if the thread had ended
        assert used[0] is not used[1]
        assert db.count() == 2 * (2 * _database.INSERT_CHUNK + 1)
    finally:
        db.close()
