"""Offset paging stays exact when the server continues a query where its last page ended.

Pages of a query without ``order by`` are served from the rid the previous page ended at
(no OFFSET scan); these tests check that every page, and ``metadata.next.offset``, are
exactly what ``LIMIT/OFFSET`` over the current data gives, including after writes between
pages and for the reference/collection (non-SQL-serialised) projections.
"""
from __future__ import annotations

import sqlite3
from typing import Any, Dict, List, Tuple

import pytest

from ftrack_api.testing import LocalServer

from .conftest import Api


@pytest.fixture(scope="module")
def paged(tmp_path_factory: Any) -> Any:
    path = str(tmp_path_factory.mktemp("paging") / "paging.sqlite")
    with LocalServer(database=path) as srv:
        api = Api(srv)
        project = api.project("paging")
        parent = api.create("Shot", name="sh_paging", parent=api.ref(project))
        api.ok([{"action": "create", "entity_type": "Task",
                 "entity_data": {"__entity_type__": "Task", "name": f"pt{i:03d}",
                                 "parent_id": parent["id"]}} for i in range(53)])
        yield {"api": api, "parent": parent, "path": path}


def _pages(api: Api, expression: str, size: int) -> Tuple[List[Dict[str, Any]], List[Any]]:
    rows: List[Dict[str, Any]] = []
    offsets: List[Any] = []
    offset = 0
    while offset is not None:
        page = api.query(f"{expression} offset {offset} limit {size}")
        rows.extend(page["data"])
        offset = page["metadata"]["next"]["offset"]
        offsets.append(offset)
    return rows, offsets


def _where(paged: Dict[str, Any]) -> str:
    return f'where parent_id is "{paged["parent"]["id"]}"'


def test_pages_concatenate_to_the_unpaged_result(paged: Dict[str, Any]) -> None:
    api = paged["api"]
    expression = f"select id, name from Task {_where(paged)}"
    everything = api.rows(expression)
    assert len(everything) == 53
    for _round in range(2):  # the second round continues from the remembered rids
        rows, offsets = _pages(api, expression, 10)
        assert rows == everything
        assert offsets == [10, 20, 30, 40, 50, None]


def test_reference_projection_pages_are_exact(paged: Dict[str, Any]) -> None:
    api = paged["api"]
    expression = f"select name, status.name, parent.name from Task {_where(paged)}"
    everything = api.rows(expression)
    for _round in range(2):
        rows, offsets = _pages(api, expression, 7)
        assert rows == everything
        assert offsets[-1] is None and offsets[:-1] == list(range(7, 53, 7))


def test_a_page_after_a_delete_reflects_the_current_data(paged: Dict[str, Any]) -> None:
    api = paged["api"]
    expression = f"select id, name from Task {_where(paged)}"
    first = api.query(f"{expression} offset 0 limit 5")["data"]
    second = api.query(f"{expression} offset 5 limit 5")
    assert second["metadata"]["next"]["offset"] == 10
    api.delete("Task", first[0]["id"])  # every later row moves up by one
    third = api.query(f"{expression} offset 10 limit 5")["data"]
    assert third == api.rows(expression)[10:15]
    assert third[0]["id"] != api.rows(expression)[9]["id"]


def test_a_page_after_a_create_and_after_another_connection_writes(paged: Dict[str, Any]) -> None:
    api = paged["api"]
    expression = f"select id, name from Task {_where(paged)}"
    count = len(api.rows(expression))
    api.query(f"{expression} offset 0 limit 4")
    api.create("Task", name="late", parent=api.ref(paged["parent"]))
    page = api.query(f"{expression} offset 4 limit {count}")
    assert page["data"] == api.rows(expression)[4:]
    assert page["metadata"]["next"]["offset"] is None
    # A write by another connection to the same file invalidates the remembered rids too.
    api.query(f"{expression} offset 0 limit 3")
    expected_after = api.rows(expression)[4:7]
    conn = sqlite3.connect(paged["path"], isolation_level=None)
    try:
        conn.execute("DELETE FROM entity WHERE fam = 'Context' AND k = ?",
                     (api.rows(expression)[0]["id"],))
    finally:
        conn.close()
    page = api.query(f"{expression} offset 3 limit 3")["data"]
    assert page == expected_after


def test_ordered_queries_page_exactly(paged: Dict[str, Any]) -> None:
    api = paged["api"]
    expression = f"select name from Task {_where(paged)} order by name descending"
    everything = api.rows(expression)
    rows, _offsets = _pages(api, expression, 6)
    assert rows == everything
    assert [r["name"] for r in rows] == sorted((r["name"] for r in rows), reverse=True)


def test_single_sql_serialised_pages_are_encoded_inline_and_identically() -> None:
    from ftrack_api.testing._app import _cheap_to_encode, _encode
    from ftrack_api.testing._reads import RawJSON

    page = RawJSON('{"action": "query", "data": [], "metadata": {"next": {"offset": null}}}')
    assert _cheap_to_encode([page])
    assert not _cheap_to_encode([page, page]) and not _cheap_to_encode([{"a": 1}])
    assert not _cheap_to_encode({"exception": "ServerError"})
    assert _encode([page]) == b"[" + page.encode() + b"]"


def test_a_page_position_remembered_in_a_failed_batch_is_forgotten(paged: Dict[str, Any]) -> None:
    api = paged["api"]
    project = api.project("rolled-back-cursor")
    shots = api.ok([{"action": "create", "entity_type": "Shot",
                     "entity_data": {"__entity_type__": "Shot", "name": f"rb{i}",
                                     "parent_id": project["id"]}} for i in range(5)])
    expression = f'select name from Shot where parent_id is "{project["id"]}"'
    body = api.call([
        {"action": "delete", "entity_type": "Shot", "entity_key": [shots[0]["data"]["id"]]},
        {"action": "query", "expression": f"{expression} limit 3"},  # remembers where it ends
        {"action": "update", "entity_type": "Shot", "entity_key": ["no-such-shot"],
         "entity_data": {"__entity_type__": "Shot", "name": "x"}},
    ])
    assert body["exception"] == "NotFoundError"  # the batch, the delete included, rolled back
    page = api.query(f"{expression} offset 3 limit 3")["data"]
    assert [row["name"] for row in page] == ["rb3", "rb4"]
