"""QueryResult paging against the local server (acceptance cases of issue 4)."""
from __future__ import annotations

import pytest

import ftrack_api.exception
import ftrack_api.query




class CountingQueries(object):
    """Count the query requests a session sends (wraps the real transport)."""

    def __init__(self, session):
        self.expressions = []
        transport = session._transport
        original = transport.send

        def send(body, idempotent):
            if '"action": "query"' in body:
                self.expressions.append(body)
            return original(body, idempotent)

        transport.send = send


@pytest.fixture
def ten_tasks(session, project):
    _, sequence = project
    names = ["t{0}".format(i) for i in range(10)]
    for name in reversed(names):
        session.create("Task", {"name": name, "parent": sequence})
    session.commit()
    return sequence


def test_five_tasks_page_size_two_three_requests(session, project):
    _, sequence = project
    for index in range(5):
        session.create("Task", {"name": "t{0}".format(index), "parent": sequence})
    session.commit()
    counter = CountingQueries(session)
    result = session.query(
        'Task where parent_id is "{0}" order by name'.format(sequence["id"]), page_size=2
    )
    names = [task["name"] for task in result]
    assert names == ["t0", "t1", "t2", "t3", "t4"]
    assert len(counter.expressions) == 3
    assert len(result) == 5
    assert len(counter.expressions) == 3


def test_user_offset_and_limit_combined_with_paging(session, ten_tasks):
    result = session.query(
        'Task where parent_id is "{0}" order by name offset 1 limit 3'.format(ten_tasks["id"]),
        page_size=2,
    )
    assert [task["name"] for task in result] == ["t1", "t2", "t3"]
    assert len(result) == 3


def test_one_rejects_limit_and_offset(session, ten_tasks):
    with pytest.raises(ValueError):
        session.query("Task limit 1").one()
    with pytest.raises(ValueError):
        session.query("Task offset 1").one()
    with pytest.raises(ValueError):
        session.query("Task limit 1").first()


def test_one_and_first(session, ten_tasks):
    parent = ten_tasks["id"]
    one = session.query('Task where parent_id is "{0}" and name is "t4"'.format(parent)).one()
    assert one["name"] == "t4"
    with pytest.raises(ftrack_api.exception.NoResultFoundError):
        session.query('Task where parent_id is "{0}" and name is "nope"'.format(parent)).one()
    with pytest.raises(ftrack_api.exception.MultipleResultsFoundError):
        session.query('Task where parent_id is "{0}"'.format(parent)).one()
    first = session.query('Task where parent_id is "{0}" order by name'.format(parent)).first()
    assert first["name"] == "t0"
    assert session.query('Task where parent_id is "{0}" and name is "nope"'.format(parent)).first() is None
    second = session.query('Task where parent_id is "{0}" order by name offset 1'.format(parent)).first()
    assert second["name"] == "t1"


def test_lazy_indexing_and_all(session, ten_tasks):
    counter = CountingQueries(session)
    result = session.query('Task where parent_id is "{0}" order by name'.format(ten_tasks["id"]), page_size=3)
    assert isinstance(result, ftrack_api.query.QueryResult)
    assert counter.expressions == []
    assert result[4]["name"] == "t4"
    assert len(counter.expressions) == 2
    assert [t["name"] for t in result.all()] == ["t{0}".format(i) for i in range(10)]
    assert result[-1]["name"] == "t9"
    assert [t["name"] for t in result[1:3]] == ["t1", "t2"]


def test_query_results_are_cached_instances(session, ten_tasks):
    first = session.query('Task where parent_id is "{0}" and name is "t3"'.format(ten_tasks["id"])).one()
    again = session.query('select name from Task where id is "{0}"'.format(first["id"])).one()
    assert again is first
    assert session.get("Task", first["id"]) is first


def test_invalid_page_size(session):
    with pytest.raises(ValueError):
        session.query("Task", page_size=0)


def test_unknown_type_in_query_is_key_error(session):
    with pytest.raises(KeyError):
        session.query("NoSuchType where id is 1")


def test_group_by_rows_come_back_as_plain_dicts(session):
    rows = session.query("select count(id) from Status group by state.name").all()
    assert rows and all(isinstance(row, dict) for row in rows)
    assert all("count_id" in row for row in rows)
