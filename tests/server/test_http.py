"""HTTP layer: batches, credentials, errors, server information, robustness."""
from __future__ import annotations

import hashlib
import json

import pytest

from ftrack_api.testing import LocalServer

from .conftest import Api


def test_empty_batch_returns_empty_list(api: Api) -> None:
    assert api.call([]) == []


def test_results_are_ordered_per_operation(api: Api) -> None:
    result = api.ok([{"action": "query_server_information"},
                     {"action": "query", "expression": "select name from Priority where name is Low"},
                     {"action": "query_schemas"}])
    assert result[0]["version"] == "4.13.8"
    assert result[1]["data"][0]["name"] == "Low"
    assert isinstance(result[2], list) and {s["id"] for s in result[2]} >= {"Task", "Project"}


def test_server_information_fields(api: Api) -> None:
    info = api.ok([{"action": "query_server_information"}])[0]
    schemas = api.ok([{"action": "query_schemas"}])[0]
    assert info["schema_hash"] == hashlib.md5(
        json.dumps(schemas, sort_keys=True).encode()).hexdigest()
    assert info["is_timezone_support_enabled"] is True
    assert info["storage_scenario"] == {"scenario": "ftrack.automatic", "data": {}}


def test_server_information_values_selects_keys(api: Api) -> None:
    info = api.ok([{"action": "query_server_information", "values": ["version", "week_startday"]}])[0]
    assert info == {"version": "4.13.8", "week_startday": 0}


def test_server_information_user_information(api: Api) -> None:
    info = api.ok([{"action": "query_server_information",
                    "values": ["user_information", "company_information", "version"]}])[0]
    assert info["user_information"]["username"] == api.server.api_user
    assert info["company_information"]["name"] and info["version"] == "4.13.8"


def test_real_schema_hash_matches_fixture(real_api: Api) -> None:
    info = real_api.ok([{"action": "query_server_information"}])[0]
    assert info["schema_hash"] == "23a1157b8b1730fd91c76f63dcd67a8f"
    assert len(real_api.ok([{"action": "query_schemas"}])[0]) == 116


@pytest.mark.parametrize("headers", [
    {"ftrack-user": "admin", "ftrack-api-key": "wrong"},
    {"ftrack-user": "nobody", "ftrack-api-key": "wrong"},
    {},
])
def test_invalid_credentials_give_error_object_and_no_data(server: LocalServer, headers) -> None:
    import requests

    response = requests.post(server.url + "/api", json=[{"action": "query",
                                                         "expression": "select id from User"}],
                             headers=headers, timeout=30)
    body = response.json()
    assert response.status_code == 200
    assert body["exception"] == "InvalidCredentialsError"
    assert "API key" in body["content"] and "data" not in body
    strict = requests.post(server.url + "/api", json=[], timeout=30,
                           headers=dict(headers, **{"ftrack-strict-api": "true"}))
    assert strict.status_code == 401 and strict.json()["exception"] == "InvalidCredentialsError"


def test_header_names_are_case_insensitive(server: LocalServer) -> None:
    import requests

    response = requests.post(server.url + "/api", json=[{"action": "query_server_information"}],
                             headers={"Ftrack-User": server.api_user,
                                      "FTRACK-API-KEY": server.api_key}, timeout=30)
    assert response.json()[0]["version"] == "4.13.8"


def test_add_user_gives_working_credentials(server: LocalServer) -> None:
    key = server.add_user("second-user")
    other = Api(server, "second-user", key)
    users = other.rows('select username from User where username is "second-user"')
    assert [u["username"] for u in users] == ["second-user"]


def test_unknown_action_error_text(api: Api) -> None:
    body = api.call([{"action": "frobnicate"}])
    assert body["exception"] == "ServerError"
    assert "Invalid action u'frobnicate'" in body["content"]


def test_strict_mode_uses_http_status(api: Api) -> None:
    response = api.raw([{"action": "frobnicate"}], headers={"ftrack-strict-api": "true"})
    assert response.status_code == 400
    response = api.raw([{"action": "query", "expression": "select foo from Task"}],
                       headers={"ftrack-strict-api": "true"})
    assert response.status_code == 422
    assert response.json()["exception"] == "ValidationError"
    options = api.raw([{"action": "frobnicate"}],
                      headers={"ftrack-api-options": "strict:1;denormalize:1"})
    assert options.status_code == 400
    normal = api.raw([{"action": "frobnicate"}], headers={"ftrack-strict-api": "false"})
    assert normal.status_code == 200


@pytest.mark.parametrize("data, fragment", [
    (b"{not json", "not valid JSON"),
    (b'{"action": "query"}', "must be a JSON list"),
    (b"[1, 2]", "Operation 0 must be an object"),
    (b'[{"expression": "Task"}]', "no 'action'"),
    (b'[{"action": "query"}]', "missing field 'expression'"),
    (b'[{"action": "query", "expression": 5}]', "must be a string"),
    (b'[{"action": "create", "entity_type": "Task"}]', "missing field 'entity_data'"),
    (b'[{"action": "update", "entity_type": "Task", "entity_key": 5, "entity_data": {}}]',
     "entity_key"),
    (b'[{"action": "create", "entity_type": "Nope", "entity_data": {}}]', "Unknown entity type"),
    (b"\xff\xfe", "not valid JSON"),
])
def test_bad_bodies_get_clear_errors(api: Api, data: bytes, fragment: str) -> None:
    body = api.raw(None, data=data, headers={"content-type": "application/json"}).json()
    assert "exception" in body and fragment in body["content"], body
    assert api.call([]) == []  # still serving


def test_ten_megabyte_payload(api: Api) -> None:
    big = "x" * (10 * 1024 * 1024)
    body = api.call([{"action": "query", "expression": f'select id from Task where name is "{big}"'}])
    assert body[0]["data"] == []
    body = api.call([{"action": "query_server_information", "padding": big}])
    assert body[0]["version"] == "4.13.8"


def test_deeply_nested_criteria(api: Api) -> None:
    expression = "select id from Task where " + "(" * 200 + 'name is "x"' + ")" * 200
    assert api.query(expression)["data"] == []
    too_deep = "select id from Task where " + "(" * 400 + 'name is "x"' + ")" * 400
    body = api.call([{"action": "query", "expression": too_deep}])
    assert body["exception"] == "ValidationError" and "nested deeper" in body["content"]
    nots = "select id from Task where " + "not " * 200 + 'name is "x"'
    assert isinstance(api.query(nots)["data"], list)


def test_max_operations_per_request() -> None:
    with LocalServer(max_operations_per_request=2) as srv:
        api = Api(srv)
        assert len(api.call([{"action": "query_server_information"}] * 2)) == 2
        body = api.call([{"action": "query_server_information"}] * 3)
        assert body["exception"] == "ValidationError"
        assert "limit is 2 operations" in body["content"]


def test_restart_on_same_port_with_file_database(tmp_path) -> None:
    db = str(tmp_path / "db.sqlite")
    with LocalServer(database=db) as first:
        port, key = first.port, first.api_key
        Api(first).project("persisted")
    with LocalServer(database=db, port=port) as second:
        assert second.port == port and second.api_key == key
        assert [p["name"] for p in Api(second).rows("select name from Project")] == ["persisted"]


def test_stop_is_idempotent_and_restart_reuses_port() -> None:
    srv = LocalServer()
    srv.start()
    port = srv.port
    srv.stop()
    srv.stop()
    assert srv.port == port
    with srv:
        assert srv.port == port and Api(srv).call([]) == []


def test_importing_the_server_package_is_light() -> None:
    import subprocess
    import sys

    code = ("import sys, ftrack_api.testing; "
            "print('aiohttp' in sys.modules, 'ftrack_api.session' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60).stdout.split()
    assert out == ["False", "False"]


def test_api_key_before_start() -> None:
    assert LocalServer(api_key="given").api_key == "given"
    with pytest.raises(RuntimeError, match="call start"):
        LocalServer().api_key


def test_cors_for_browser_clients(api: Api) -> None:
    import requests

    origin = "http://localhost:3000"
    preflight = requests.options(api.server.url + "/api", timeout=30, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "ftrack-user, ftrack-api-key, content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    assert "ftrack-api-key" in preflight.headers["Access-Control-Allow-Headers"]
    response = api.raw([], headers={"Origin": origin})
    assert response.json() == [] and response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Access-Control-Allow-Origin" not in api.raw([]).headers


def test_body_over_the_size_limit_is_a_json_error(api: Api) -> None:
    from ftrack_api.testing._app import MAX_BODY

    data = b"[" + b" " * (MAX_BODY + 10) + b"]"
    body = api.raw(None, data=data, headers={"content-type": "application/json"}).json()
    assert body["exception"] == "ServerError" and "larger than the limit" in body["content"]
    assert api.call([]) == []
