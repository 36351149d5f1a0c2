"""Paging with every combination of a user's offset/limit and page_size."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import unique

ROWS = 23


@pytest.fixture(scope="module")
def paged(local_server, tmp_path_factory):
    session = local_server.session(schema_cache_path=str(tmp_path_factory.mktemp("paging")))
    prefix = unique("page")
    for index in range(ROWS):
        session.create("Priority", {"name": "{0}-{1:02d}".format(prefix, index), "value": index})
    session.commit()
    yield session, prefix
    session.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offset=st.one_of(st.none(), st.integers(0, ROWS + 3)),
       limit=st.one_of(st.none(), st.integers(0, ROWS + 3)),
       page_size=st.integers(1, 9),
       keyword_case=st.sampled_from(["lower", "upper"]))
def test_offset_limit_and_page_size_always_give_the_right_slice(paged, offset, limit, page_size, keyword_case):
    session, prefix = paged
    expected = ["{0}-{1:02d}".format(prefix, i) for i in range(ROWS)]
    start = offset or 0
    expected = expected[start:] if limit is None else expected[start:start + limit]
    clauses = ""
    if offset is not None:
        clauses += " offset {0}".format(offset)
    if limit is not None:
        clauses += " limit {0}".format(limit)
    if keyword_case == "upper":
        clauses = clauses.upper()
    expression = "select name from Priority where name like '{0}-%' order by name{1}".format(prefix, clauses)
    result = session.query(expression, page_size=page_size)
    assert [p["name"] for p in result] == expected
    assert len(session.query(expression, page_size=page_size)) == len(expected)
    indexed = session.query(expression, page_size=page_size)
    if expected:
        assert indexed[len(expected) - 1]["name"] == expected[-1]
        assert indexed[-1]["name"] == expected[-1]
    with pytest.raises(IndexError):
        indexed[len(expected)]
