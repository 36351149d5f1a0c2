"""Query language: acceptance cases, operators, values, ordering, paging and errors."""
from __future__ import annotations

from typing import Any, Dict

import pytest

from ftrack_api.testing import LocalServer

from .conftest import Api


@pytest.fixture(scope="module")
def world() -> Any:
    """A fresh server with p1 / sq01 / sh010 (t0..t9, 'limit 3') and an empty sh020."""
    with LocalServer() as srv:
        api = Api(srv)
        statuses = {s["name"]: s["id"] for s in api.rows("select name from Status")}
        project = api.project("p1")
        seq = api.create("Sequence", name="sq01", parent=api.ref(project))
        sh010 = api.create("Shot", name="sh010", parent=api.ref(seq))
        sh020 = api.create("Shot", name="sh020", parent=api.ref(seq))
        cycle = ["Not started", "In Progress", "On Hold", "Approved"]
        tasks = {}
        for i in range(10):
            tasks[f"t{i}"] = api.create("Task", name=f"t{i}", parent=api.ref(sh010),
                                        status_id=statuses[cycle[i % 4]], bid=float(i),
                                        description=f'say "hi" {i}')
        other = api.project("p2")
        api.create("Shot", name="elsewhere", parent=api.ref(other))
        yield {"api": api, "project": project, "sh010": sh010, "sh020": sh020, "seq": seq,
               "tasks": tasks, "statuses": statuses, "server": srv}


def names(rows: Any) -> Any:
    return [r["name"] for r in rows]


def test_order_offset_limit_and_next_offset(world: Dict[str, Any]) -> None:
    result = world["api"].query("select name from Task order by name descending offset 2 limit 3")
    assert names(result["data"]) == ["t7", "t6", "t5"]
    assert result["metadata"]["next"]["offset"] == 5


def test_next_offset_is_null_on_exact_last_page(world: Dict[str, Any]) -> None:
    api = world["api"]
    assert api.query("select name from Task order by name offset 5 limit 5")["metadata"] == {
        "next": {"offset": None}}
    assert api.query("select name from Task offset 0 limit 4")["metadata"]["next"]["offset"] == 4
    assert api.query("select name from Task")["metadata"]["next"]["offset"] is None
    limit0 = api.query("select name from Task limit 0")
    assert limit0["data"] == [] and limit0["metadata"]["next"]["offset"] == 0


def test_paging_walks_every_row_once(world: Dict[str, Any]) -> None:
    api, seen, offset = world["api"], [], 0
    while offset is not None:
        page = api.query(f"select name from Task offset {offset} limit 3")
        seen += names(page["data"])
        offset = page["metadata"]["next"]["offset"]
    assert sorted(seen) == sorted(f"t{i}" for i in range(10))


def test_parent_name_and_status_in(world: Dict[str, Any]) -> None:
    rows = world["api"].rows('select name, status.name from Task where parent.name is "sh010" '
                             'and status.name in ("In Progress", "On Hold")')
    assert sorted(names(rows)) == ["t1", "t2", "t5", "t6", "t9"]
    assert {r["status"]["name"] for r in rows} == {"In Progress", "On Hold"}


def test_not_children_any_finds_empty_shots(world: Dict[str, Any]) -> None:
    assert sorted(names(world["api"].rows("select name from Shot where not children any ()"))) == [
        "elsewhere", "sh020"]
    assert names(world["api"].rows("select name from Shot where children any ()")) == ["sh010"]


def test_quoted_keywords_are_values(world: Dict[str, Any]) -> None:
    api = world["api"]
    api.create("Task", name="limit 3", parent=api.ref(world["sh020"]))
    rows = api.rows('select name from Task where name is "limit 3"')
    assert names(rows) == ["limit 3"]


def test_typed_context_polymorphism(world: Dict[str, Any]) -> None:
    rows = world["api"].rows('select name from TypedContext where project.name is "p1"')
    kinds = {r["name"]: r["__entity_type__"] for r in rows}
    assert kinds["sq01"] == "Sequence" and kinds["sh010"] == "Shot" and kinds["t3"] == "Task"
    assert "elsewhere" not in kinds
    context = world["api"].rows('select name from Context where name in ("p1", "sh010")')
    assert sorted((r["name"], r["__entity_type__"]) for r in context) == [
        ("p1", "Project"), ("sh010", "Shot")]
    for row in rows:
        assert row["context_type"] == "task" and row["project_id"] == world["project"]["id"]


def test_nested_collection_projection(world: Dict[str, Any]) -> None:
    api = world["api"]
    asset = api.create("Asset", name="A", parent=api.ref(world["sh010"]))
    for _ in range(3):
        api.create("AssetVersion", asset=api.ref(asset))
    rows = api.rows(f'select versions.version from Asset where id is "{asset["id"]}"')
    assert len(rows) == 1
    versions = rows[0]["versions"]
    assert isinstance(versions, list)
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert all(v["__entity_type__"] == "AssetVersion" and "id" in v for v in versions)


def test_projection_through_references(world: Dict[str, Any]) -> None:
    rows = world["api"].rows('select parent.parent.name, status.state.short, project.full_name '
                             'from Task where name is "t0"')
    assert rows[0]["parent"]["parent"]["name"] == "sq01"
    assert rows[0]["status"]["state"]["short"] == "NOT_STARTED"
    assert rows[0]["project"]["full_name"] == "P1"
    assert rows[0]["parent"]["__entity_type__"] == "Shot"


@pytest.mark.parametrize("criteria, expected", [
    ('name is "t1"', ["t1"]),
    ("name = t1", ["t1"]),
    ('name is_not "t1" and parent.name is sh010', ["t0", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"]),
    ('name != "t1" and name != t2 and bid < 4', ["t0", "t3"]),
    ("bid > 7", ["t8", "t9"]),
    ("bid after 7", ["t8", "t9"]),
    ("bid greater_than 7.5", ["t8", "t9"]),
    ("bid >= 8", ["t8", "t9"]),
    ("bid <= 1", ["t0", "t1"]),
    ("bid before 1", ["t0"]),
    ("bid less_than 1", ["t0"]),
    ('name in (t1,t2)', ["t1", "t2"]),
    ('name not_in ("t1", "t2") and bid < 4', ["t0", "t3"]),
    ('name like "t%" and bid < 2', ["t0", "t1"]),
    ('name not_like "t%"', []),
    ('name not_like "t1%"', ["t0", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"]),
    ("not (bid > 1) and name like \"t%\"", ["t0", "t1"]),
    ("(bid is 1 or bid is 2) and not name is t2", ["t1"]),
    ('parent has (name is "sh010") and bid < 1', ["t0"]),
    ('description is "say \\"hi\\" 4"', ["t4"]),
    ("description is none and name like \"t%\"", []),
    ('parent.parent.name is sq01 and bid is 9', ["t9"]),
    ('status.state.short is "BLOCKED"', ["t2", "t6"]),
    ('project.name is "p1" and bid >= 9', ["t9"]),
    ('id in (select id from Task where bid > 8)', ["t9"]),
    ('parent_id in (select id from Shot where name is "sh010") and bid < 1', ["t0"]),
    ('ancestors any (name is "sq01") and bid < 2', ["t0", "t1"]),
    ('id in (select id from Task where parent.name is sh010 order by bid desc limit 2)',
     ["t8", "t9"]),
    ('id in (select id from Task where parent.name is sh010 order by bid offset 8)',
     ["t8", "t9"]),
])
def test_operators(world: Dict[str, Any], criteria: str, expected: Any) -> None:
    rows = world["api"].rows(f"select name from Task where parent.name is sh010 and ({criteria})")
    assert sorted(names(rows)) == expected


def test_client_quirk_no_space_before_and(world: Dict[str, Any]) -> None:
    task = world["tasks"]["t3"]
    rows = world["api"].rows(f'select name from Task where (id is "{task["id"]}"and name is "t3") '
                             f'or (id is "nope"and name is "x")')
    assert names(rows) == ["t3"]


def test_bare_uuid_and_booleans_and_none(world: Dict[str, Any]) -> None:
    api = world["api"]
    task = world["tasks"]["t5"]
    assert names(api.rows(f"select name from Task where id is {task['id']}")) == ["t5"]
    assert len(api.rows("select name from Status where is_active is true")) >= 5
    assert api.rows("select name from Status where is_active is false") == []
    assert names(api.rows("select name from Project where parent_id is none and name is p1")) == ["p1"]


def test_descendants_of_project(world: Dict[str, Any]) -> None:
    rows = world["api"].rows('select descendants.name from Project where name is "p1"')
    got = sorted(names(rows[0]["descendants"]))
    assert got[:3] == ["limit 3", "sh010", "sh020"] and "t9" in got and "sq01" in got


def test_order_by_several_and_related_paths(world: Dict[str, Any]) -> None:
    api = world["api"]
    rows = api.rows('select name from Task where parent.name is sh010 '
                    'order by status.name asc, name desc')
    statuses = {s: n for n, s in world["statuses"].items()}
    assert names(rows)[:3] == ["t7", "t3"] + ["t8"] or names(rows)[0] == "t7"
    ordered = [statuses[t["status_id"]] for t in (world["tasks"][n] for n in names(rows))]
    assert ordered == sorted(ordered)
    asc = names(api.rows("select name from Task where parent.name is sh010 order by bid ascending"))
    assert asc == [f"t{i}" for i in range(10)]


def test_date_comparisons(world: Dict[str, Any]) -> None:
    api = world["api"]
    shot = world["sh020"]
    api.create("Task", name="dated", parent=api.ref(shot),
               start_date={"__type__": "datetime", "value": "2024-01-02T03:04:05+02:00"})
    row = api.rows('select start_date from Task where name is "dated"')[0]
    assert row["start_date"] == {"__type__": "datetime", "value": "2024-01-02T01:04:05"}
    assert names(api.rows('select name from Task where start_date after "2024-01-01"')) == ["dated"]
    assert api.rows('select name from Task where start_date before "2024-01-02T01:00:00"') == []
    assert names(api.rows('select name from Task where start_date >= "2024-01-02T01:04:05Z"')) == [
        "dated"]


def test_group_by_counts(world: Dict[str, Any]) -> None:
    rows = world["api"].rows("select count(id) from Task where parent.name is sh010 "
                             "group by status_id")
    assert sorted(r["count_id"] for r in rows) == [2, 2, 3, 3]
    assert all("status_id" in r for r in rows)


@pytest.mark.parametrize("expression, fragments", [
    ("select name from Nope", ["Unknown entity type 'Nope'", "position 17"]),
    ("select nope from Task", ["no attribute 'nope'", "position 7"]),
    ("select name from Task where nope is 1", ["no attribute 'nope'", "position 28"]),
    ("select name from Task where name iz 1", ["Expected an operator", "position 33"]),
    ('select name from Task where name is "open', ["Unterminated", "position 36"]),
    ("select name from Task where (name is a", ["Expected ')'", "end of query"]),
    ("select name from Task offset x", ["non-negative integer", "position 29"]),
    ("select name from Task where name is a junk", ["Unexpected text", "position 38"]),
    ("select from Task", ["Expected an attribute path"]),
    ("select name, from Task", ["Expected an attribute path"]),
    ("", ["empty"]),
    ("select name from Task where bid is abc", ["Invalid value 'abc'", "position 35"]),
    ("select name from Task where name any (name is x)", ["needs a relation"]),
    ("select name from Task where children is 3", ["cannot be compared"]),
    ("select name.first from Task", ["Task.name is not a relation", "position 7"]),
    ("select name from Task where name.first is 3", ["not a relation", "position 28"]),
    ("select name from Task order by children.name", ["collection", "position 31"]),
    ("select name from Task where id in (select id, name from Task)", ["exactly one"]),
])
def test_errors_name_problem_and_position(world: Dict[str, Any], expression: str, fragments: Any) -> None:
    body = world["api"].call([{"action": "query", "expression": expression}])
    assert body["exception"] == "ValidationError", body
    for fragment in fragments:
        assert fragment in body["content"], (fragment, body["content"])


def test_values_are_never_pasted_into_sql(world: Dict[str, Any]) -> None:
    api = world["api"]
    hostile = "x'); DROP TABLE entity; --"
    assert api.rows(f'select name from Task where name is "{hostile}"') == []
    assert len(api.rows("select name from Task where parent.name is sh010")) == 10
