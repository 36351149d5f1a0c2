"""Hostile raw HTTP to the local server: every bad request gets an ftrack error object."""
from __future__ import annotations

import json
from typing import Any, Dict, Optional

import pytest
import requests


def post(server, body: Any, raw: bool = False, headers: Optional[Dict[str, str]] = None,
         strict: bool = False) -> requests.Response:
    sent = {"ftrack-user": server.api_user, "ftrack-api-key": server.api_key,
            "content-type": "application/json"}
    if strict:
        sent["ftrack-strict-api"] = "true"
    if headers is not None:
        sent = dict(sent, **headers)
        sent = {k: v for k, v in sent.items() if v is not None}
    data = body if raw else json.dumps(body)
    return requests.post(server.url + "/api", data=data, headers=sent, timeout=60)


def error_of(response: requests.Response) -> Dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict), body
    assert set(body) >= {"exception", "content"}, body
    assert "Traceback" not in body["content"]
    return body


def still_serving(server) -> None:
    response = post(server, [{"action": "query", "expression": "select username from User"}])
    assert response.status_code == 200
    body = response.json()
    assert server.api_user in [row["username"] for row in body[0]["data"]]


BAD_BODIES = [
    (b"{not json", "not valid JSON"),
    (b"", "not valid JSON"),
    (b"\xff\xfe garbage", "not valid JSON"),
    (b'{"action": "query"}', "list of operations"),
    (b'"a string"', "list of operations"),
    (b"null", "list of operations"),
    (b"[1, 2]", "must be an object"),
    (b"[[]]", "must be an object"),
    (b"[{}]", "action"),
    (b'[{"action": 5}]', "action"),
    (b'[{"action": null}]', "action"),
    (b'[{"action": "x"}]', "Invalid action u'x'"),
    (b'[{"action": "query"}]', "expression"),
    (b'[{"action": "query", "expression": ["select id from User"]}]', "expression"),
    (b'[{"action": "create", "entity_data": {}}]', "entity_type"),
    (b'[{"action": "create", "entity_type": 5, "entity_data": {}}]', "entity_type"),
    (b'[{"action": "create", "entity_type": "NoSuchType", "entity_data": {}}]', "NoSuchType"),
    (b'[{"action": "create", "entity_type": "User", "entity_data": [1]}]', "entity_data"),
    (b'[{"action": "create", "entity_type": "User", "entity_data": {"username": {"a": 1}}}]', "username"),
    (b'[{"action": "create", "entity_type": "User", "entity_data": {"username": "u", "is_active": "yes"}}]', "is_active"),
    (b'[{"action": "create", "entity_type": "User", "entity_data": {"username": "u", "nope": 1}}]', "nope"),
    (b'[{"action": "update", "entity_type": "User", "entity_data": {"first_name": "x"}}]', "entity_key"),
    (b'[{"action": "update", "entity_type": "User", "entity_key": {"a": 1}, "entity_data": {}}]', "entity_key"),
    (b'[{"action": "update", "entity_type": "User", "entity_key": ["a", "b"], "entity_data": {}}]', "entity_key"),
    (b'[{"action": "update", "entity_type": "User", "entity_key": ["missing"], "entity_data": {"first_name": "x"}}]', "not found"),
    (b'[{"action": "delete", "entity_type": "User", "entity_key": null}]', "entity_key"),
    (b'[{"action": "delete", "entity_type": "User", "entity_key": [null]}]', "entity_key"),
    (b'[{"action": "delete", "entity_type": "User", "entity_key": ["missing"]}]', "not found"),
    (b'[{"action": "query", "expression": "select id from User limit 99999999999999999999999"}]', "limit"),
    (b'[{"action": "query", "expression": "select id from User offset 99999999999999999999999"}]', "offset"),
    (b'[{"action": "query", "expression": "select id from User limit \xc2\xb2"}]', "limit"),
    (b'[{"action": "query", "expression": "select id from User where username is \'\\ud800\'"}]', "Unicode"),
    (b'[{"action": "create", "entity_type": "Priority", "entity_data": {"name": "\\udfff", "value": 1}}]', "Unicode"),
    (b'[{"action": "query", "expression": "select id from User where id is 1 and"}]', "position"),
    (b'[{"action": "query", "expression": "select id from User where nope is 1"}]', "nope"),
]


@pytest.mark.parametrize("body, fragment", BAD_BODIES)
def test_bad_request_bodies_get_an_ftrack_error_object(local_server, body, fragment):
    response = post(local_server, body, raw=True)
    assert response.status_code == 200
    error = error_of(response)
    assert fragment.lower() in error["content"].lower(), error
    assert "internal server error" not in error["content"].lower(), error
    still_serving(local_server)


def test_deeply_nested_json_body(local_server):
    body = b"[" * 100000 + b"]" * 100000
    error = error_of(post(local_server, body, raw=True))
    assert "nested" in error["content"].lower()
    assert "internal" not in error["content"].lower()
    still_serving(local_server)


def test_deeply_nested_entity_data(local_server):
    value: Any = "leaf"
    for _ in range(50000):
        value = {"a": value}
    body = '[{"action": "create", "entity_type": "Priority", "entity_data": {"name": ' \
           + "{\"a\": " * 50000 + '"x"' + "}" * 50000 + "}}]"
    error = error_of(post(local_server, body.encode(), raw=True))
    assert "internal" not in error["content"].lower()
    still_serving(local_server)


@pytest.mark.parametrize("criteria", [
    "(" * 3000 + "id is 1" + ")" * 3000,
    "not " * 3000 + "id is 1",
    " or ".join(["id is 1"] * 5000),
    " and ".join(["username like 'a%'"] * 2000),
])
def test_deep_or_long_criteria(local_server, criteria):
    response = post(local_server, [{"action": "query", "expression": "select id from User where " + criteria}])
    body = response.json()
    if isinstance(body, dict):
        assert "internal" not in body["content"].lower(), body["content"][:300]
    else:
        assert body[0]["action"] == "query"
    still_serving(local_server)


def test_huge_in_list(local_server):
    values = ",".join("'{0}'".format(i) for i in range(60000))
    body = post(local_server, [{"action": "query", "expression": "select id from User where id in (" + values + ")"}]).json()
    assert body == [{"action": "query", "data": [], "metadata": {"next": {"offset": None}}}]


def test_ten_megabyte_payloads(local_server):
    big = "x" * (10 * 1024 * 1024)
    response = post(local_server, [{"action": "create", "entity_type": "Priority",
                                    "entity_data": {"name": big, "value": 1}}])
    body = response.json()
    assert isinstance(body, list), str(body)[:300]
    key = body[0]["data"]["id"]
    read = post(local_server, [{"action": "query", "expression": 'select name from Priority where id is "{0}"'.format(key)}]).json()
    assert read[0]["data"][0]["name"] == big
    junk = post(local_server, b"[" + b" " * (10 * 1024 * 1024) + b"{", raw=True)
    assert "not valid JSON" in error_of(junk)["content"]
    still_serving(local_server)


@pytest.mark.parametrize("headers", [
    {"ftrack-user": None, "ftrack-api-key": None},
    {"ftrack-api-key": None},
    {"ftrack-user": None},
    {"ftrack-api-key": ""},
    {"ftrack-api-key": "wrong"},
    {"ftrack-user": "nobody"},
    {"ftrack-user": "", "ftrack-api-key": ""},
    {"ftrack-user": "admin' or '1'='1"},
])
def test_missing_or_wrong_credentials_never_give_data(local_server, headers):
    for body in ([{"action": "query", "expression": "select id, username from User"}],
                 [{"action": "query_schemas"}], [{"action": "query_server_information"}],
                 [{"action": "create", "entity_type": "Priority", "entity_data": {"name": "sneaky", "value": 1}}]):
        response = post(local_server, body, headers=headers)
        error = error_of(response)
        assert error["exception"] == "InvalidCredentialsError"
        assert "data" not in error
    assert post(local_server, [{"action": "query", "expression": "select id from Priority where name is 'sneaky'"}]).json()[0]["data"] == []


@pytest.mark.parametrize("body, status", [
    (b"{", 400),
    (b'[{"action": "x"}]', 400),
    (b'[{"action": "query", "expression": "select nope from User"}]', 422),
    (b'[{"action": "query", "expression": "select id from User limit 99999999999999999999999"}]', 422),
])
def test_strict_api_uses_http_status_codes(local_server, body, status):
    response = post(local_server, body, raw=True, strict=True)
    assert response.status_code == status
    error_of(response)
    assert post(local_server, body, raw=True).status_code == 200


def test_strict_api_wrong_credentials_is_401(local_server):
    response = post(local_server, [{"action": "query_server_information"}], strict=True,
                    headers={"ftrack-api-key": "wrong"})
    assert response.status_code == 401
    assert error_of(response)["exception"] == "InvalidCredentialsError"


def test_failing_operation_rolls_back_the_whole_batch(local_server):
    body = post(local_server, [
        {"action": "create", "entity_type": "Priority", "entity_data": {"name": "batch-rollback", "value": 1}},
        {"action": "create", "entity_type": "Priority", "entity_data": {"name": 5}},
    ]).json()
    assert isinstance(body, dict) and body["exception"] == "ValidationError"
    found = post(local_server, [{"action": "query", "expression": "select id from Priority where name is 'batch-rollback'"}]).json()
    assert found[0]["data"] == []


def test_other_http_methods_and_paths(local_server):
    response = requests.get(local_server.url + "/api", timeout=30)
    assert response.status_code in (200, 405)
    assert "Traceback" not in response.text
    response = requests.get(local_server.url + "/no/such/path", timeout=30)
    assert response.status_code == 404
    still_serving(local_server)


def test_long_in_lists_match_like_short_ones(local_server):
    names = ["inlist-{0}".format(i) for i in range(50)]
    created = post(local_server, [
        {"action": "create", "entity_type": "Priority", "entity_data": {"name": name, "value": 1000 + i}}
        for i, name in enumerate(names)
    ]).json()
    ids = sorted(item["data"]["id"] for item in created)

    def ids_of(criteria: str):
        body = post(local_server, [{"action": "query", "expression": "select id from Priority where " + criteria}]).json()
        assert isinstance(body, list), body
        return sorted(row["id"] for row in body[0]["data"])

    quoted = ", ".join("'{0}'".format(name) for name in names + ["inlist-missing"])
    assert ids_of("name in ({0})".format(quoted)) == ids
    numbers = ", ".join(str(1000 + i) for i in range(50))
    assert ids_of("value in ({0})".format(numbers)) == ids
    assert ids_of("value in ({0}) and name in ({1})".format(numbers, quoted)) == ids
    assert ids_of("name like 'inlist-%' and value not_in ({0})".format(numbers)) == []
    assert ids_of("id in ({0})".format(", ".join('"{0}"'.format(i) for i in ids))) == ids
    assert ids_of("name like 'inlist-%' and value not_in ({0})".format(
        ", ".join(str(1000 + i) for i in range(10, 50)))) == sorted(
        item["data"]["id"] for item in created[:10])


def test_nul_characters_are_refused_like_postgresql_does(local_server):
    body = post(local_server, [{"action": "create", "entity_type": "Priority",
                                "entity_data": {"name": "nul\x00inside", "value": 1}}]).json()
    assert body["exception"] == "ValidationError" and "NUL" in body["content"]
    body = post(local_server, [{"action": "query", "expression": "select id from Priority where name is 'a\x00'"}]).json()
    assert body["exception"] == "ValidationError"
    # A literal backslash followed by u0000 is ordinary text.
    literal = "literal\\u0000text"
    created = post(local_server, [{"action": "create", "entity_type": "Priority",
                                   "entity_data": {"name": literal, "value": 1}}]).json()
    key = created[0]["data"]["id"]
    found = post(local_server, [{"action": "query", "expression": 'select name from Priority where name is "{0}"'.format(
        literal.replace("\\", "\\\\"))}]).json()
    assert [row["id"] for row in found[0]["data"]] == [key]
    assert found[0]["data"][0]["name"] == literal


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e999"])
def test_non_finite_numbers_are_validation_errors(local_server, literal):
    body = (b'[{"action": "create", "entity_type": "Priority", "entity_data": {"name": "nan", "value": '
            + literal + b"}}]")
    error = error_of(post(local_server, body, raw=True))
    assert error["exception"] == "ValidationError" and "finite" in error["content"]
    still_serving(local_server)


def test_integers_beyond_64_bits(local_server):
    huge = 10 ** 30
    refused = post(local_server, [{"action": "create", "entity_type": "Priority",
                                   "entity_data": {"name": "huge-sort", "value": 1, "sort": huge}}]).json()
    assert refused["exception"] == "ValidationError" and "sort" in refused["content"]
    made = post(local_server, [{"action": "create", "entity_type": "Priority",
                                "entity_data": {"name": "huge-value", "value": huge}}]).json()
    assert made[0]["data"]["value"] == float(huge)
    read = post(local_server, [{"action": "query", "expression": 'select value from Priority where id is "{0}"'.format(
        made[0]["data"]["id"])}]).json()
    assert read[0]["data"][0]["value"] == float(huge)


def test_long_in_lists_over_integer_primary_keys(real_schema_server):
    created = post(real_schema_server, [
        {"action": "create", "entity_type": "Event", "entity_data": {"action": "adv-int-{0}".format(i)}}
        for i in range(40)])
    ids = [item["data"]["id"] for item in created.json()]
    assert all(isinstance(i, int) for i in ids)
    for values in (ids, ids[:5]):
        for literal in ("{0}", '"{0}"'):
            expression = "select id from Event where id in ({0})".format(
                ", ".join(literal.format(i) for i in values))
            rows = post(real_schema_server, [{"action": "query", "expression": expression}]).json()
            assert sorted(row["id"] for row in rows[0]["data"]) == sorted(values)


@pytest.mark.parametrize("part", ["abc", "-1", "0", "10001", "99999999999999999999", "\uff11"])
def test_upload_with_a_bad_part_number(local_server, part):
    meta = post(local_server, [{"action": "get_upload_metadata", "component_id": "adv-part",
                                "file_name": "x.txt", "file_size": 3}]).json()
    url = meta[0]["url"]
    response = requests.put(url + "/" + part, data=b"abc", timeout=30)
    assert response.status_code == 400 and "part number" in response.text
    assert requests.put(url, data=b"abc", timeout=30).status_code == 200  # the token still works
    still_serving(local_server)
