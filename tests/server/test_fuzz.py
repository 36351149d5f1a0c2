"""Hypothesis fuzzing: random query strings and bodies never give a 500 or a hang."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import Api

_WORDS = ["select", "from", "where", "and", "or", "not", "is", "is_not", "in", "not_in", "has",
          "any", "like", "order", "by", "desc", "offset", "limit", "Task", "Shot", "Context",
          "name", "parent", "children", "status.name", "custom_attributes", "(", ")", ",", '"',
          '"x"', "none", "true", "1", "-2.5", "=", "!=", ">=", "<", "after", "key", "value",
          "group", "count(id)", "TypedContext", "ancestors", "link", "metadata", "\\"]

_QUERY_SETTINGS = settings(max_examples=700, deadline=None, derandomize=True,
                           suppress_health_check=[HealthCheck.function_scoped_fixture])
_SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


def _check(api: Api, body: bytes) -> None:
    response = api.raw(None, data=body, headers={"content-type": "application/json"})
    assert response.status_code == 200
    decoded = response.json()
    if isinstance(decoded, dict):
        assert set(decoded) == {"exception", "content", "error_code"}
        assert "Internal server error" not in decoded["content"], decoded["content"]


@_QUERY_SETTINGS
@given(st.lists(st.sampled_from(_WORDS), max_size=14))
def test_query_token_soup(api: Api, words) -> None:
    expression = " ".join(words)
    _check(api, json.dumps([{"action": "query", "expression": expression}]).encode())


@_QUERY_SETTINGS
@given(st.text(max_size=60))
def test_query_random_text(api: Api, text) -> None:
    _check(api, json.dumps([{"action": "query", "expression": "select name from Task where " + text}]).encode())


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                     | st.text(max_size=10),
                     lambda children: st.lists(children, max_size=3)
                     | st.dictionaries(st.text(max_size=8), children, max_size=3), max_leaves=10)


@_SETTINGS
@given(st.lists(st.fixed_dictionaries(
    {"action": st.sampled_from(["create", "update", "delete", "query", "encode_media",
                                "reset_remote", "delayed_job", "get_widget_url"])},
    optional={"entity_type": st.sampled_from(["Task", "Shot", "Metadata", "Nope", 3]) | _json,
              "entity_key": _json, "entity_data": _json, "expression": _json,
              "component_id": _json, "job_id": _json}), max_size=3))
def test_random_operations(api: Api, operations) -> None:
    _check(api, json.dumps(operations).encode())


@_SETTINGS
@given(st.binary(max_size=40))
def test_random_bytes(api: Api, data) -> None:
    _check(api, data)


@_SETTINGS
@given(st.lists(st.sampled_from(_WORDS + ["AssetVersion", "asset", "versions", "Note", "author",
                                          "CustomAttributeValue", "configuration", "entity_id",
                                          "Event", "id", "feeds"]), max_size=14))
def test_query_token_soup_on_real_schemas(real_api: Api, words) -> None:
    expression = " ".join(words)
    _check(real_api, json.dumps([{"action": "query", "expression": expression}]).encode())
