"""Hostile input to the client: credentials, URLs, types, keys, values and queries."""
from __future__ import annotations

import datetime
import os

import pytest
import requests

import ftrack_api
import ftrack_api.exception

from .conftest import free_port, unique


def make(url, tmp_path, **kwargs):
    kwargs.setdefault("api_key", "k")
    kwargs.setdefault("api_user", "u")
    return ftrack_api.Session(server_url=url, schema_cache_path=str(tmp_path), **kwargs)


# -- credentials -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, value",
    [("server_url", 5), ("server_url", ["http://x"]), ("api_key", 123), ("api_key", b"key"),
     ("api_user", 5), ("api_user", ["admin"])],
)
def test_credentials_of_the_wrong_type_are_a_type_error_naming_them(local_server, tmp_path, name, value):
    kwargs = {"server_url": local_server.url, "api_key": local_server.api_key,
              "api_user": local_server.api_user, name: value}
    with pytest.raises(TypeError, match=name):
        ftrack_api.Session(schema_cache_path=str(tmp_path), **kwargs)


@pytest.mark.parametrize("name", ["server_url", "api_key", "api_user"])
def test_missing_credentials_are_a_type_error_naming_them(local_server, tmp_path, monkeypatch, name):
    monkeypatch.setattr("getpass.getuser", lambda: "")
    kwargs = {"server_url": local_server.url, "api_key": local_server.api_key,
              "api_user": local_server.api_user}
    del kwargs[name]
    with pytest.raises(TypeError, match=name):
        ftrack_api.Session(schema_cache_path=str(tmp_path), **kwargs)


def test_wrong_api_key_is_refused_with_no_data(local_server, tmp_path):
    with pytest.raises(ftrack_api.exception.InvalidCredentialsError) as info:
        make(local_server.url, tmp_path, api_key="definitely-wrong", api_user=local_server.api_user)
    assert "API key is not valid" in str(info.value)


def test_wrong_api_user_is_refused(local_server, tmp_path):
    with pytest.raises(ftrack_api.exception.InvalidCredentialsError):
        make(local_server.url, tmp_path, api_key=local_server.api_key, api_user="no-such-user")


# -- server URLs -------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["127.0.0.1:1", "localhost", "ftp://127.0.0.1:1", "http://"])
def test_malformed_server_url_is_a_clear_error(tmp_path, url):
    with pytest.raises(requests.exceptions.RequestException) as info:
        make(url, tmp_path)
    error = info.value
    assert isinstance(error, ValueError)  # requests' URL errors are ValueErrors too
    message = str(error)
    assert url in message
    assert "server_url" in message or "FTRACK_SERVER" in message
    assert "http://" in message or "https://" in message


def test_unreachable_port_is_a_connection_error_naming_the_url(tmp_path):
    url = "http://127.0.0.1:{0}".format(free_port())
    with pytest.raises(requests.exceptions.ConnectionError) as info:
        make(url, tmp_path)
    assert isinstance(info.value, ftrack_api.exception.Error)
    assert url in str(info.value)


def test_trailing_slashes_in_server_url_are_harmless(local_server, tmp_path):
    with make(local_server.url + "//", tmp_path, api_key=local_server.api_key,
              api_user=local_server.api_user) as session:
        assert session.server_url == local_server.url
        assert session.query("User").first() is not None


# -- entity types, attributes and keys ---------------------------------------------------
def test_unknown_entity_type_in_query_names_it(session):
    with pytest.raises(KeyError, match="NoSuchType"):
        session.query("NoSuchType where name is 'x'")


def test_unknown_entity_type_in_create_and_get(session):
    with pytest.raises(ftrack_api.exception.UnrecognisedEntityTypeError, match="NoSuchType"):
        session.create("NoSuchType", {})
    with pytest.raises(KeyError, match="NoSuchType"):
        session.get("NoSuchType", "some-id")


def test_unknown_attribute_in_a_query_is_a_server_error_naming_it(session):
    with pytest.raises(ftrack_api.exception.ServerError, match="no_such_attribute"):
        session.query("Project where no_such_attribute is 1").all()
    assert session.query("User").first() is not None


def test_unknown_attribute_on_an_entity(session, project):
    project_entity, _ = project
    with pytest.raises(KeyError, match="no_such_attribute"):
        project_entity["no_such_attribute"] = 1
    with pytest.raises(KeyError, match="no_such_attribute"):
        project_entity["no_such_attribute"]
    assert len(session.recorded_operations) == 0


@pytest.mark.parametrize("key", [["a", "b"], [], ("a", "b", "c")])
def test_entity_key_of_the_wrong_length(session, key):
    with pytest.raises(ValueError, match="primary key"):
        session.get("Project", key)


@pytest.mark.parametrize("key", [None, [None]])
def test_none_entity_key_is_a_type_error(session, key):
    # The official client raises TypeError for None; returning None would hide the bug.
    with pytest.raises(TypeError):
        session.get("Project", key)


def test_get_with_a_key_that_does_not_exist_returns_none(session):
    assert session.get("Project", "00000000-0000-0000-0000-000000000000") is None


@pytest.mark.parametrize("expression", [None, 5, b"Project"])
def test_query_expression_of_the_wrong_type(session, expression):
    with pytest.raises(TypeError, match="expression"):
        session.query(expression)


@pytest.mark.parametrize("page_size", [0, -1])
def test_bad_page_size(session, page_size):
    with pytest.raises(ValueError, match="page_size"):
        session.query("Project", page_size=page_size)


def test_delete_of_something_that_is_not_an_entity_is_a_type_error(session):
    with pytest.raises(TypeError, match="entity"):
        session.delete("not an entity")
    with pytest.raises(TypeError, match="entity"):
        session.delete(None)
    assert len(session.recorded_operations) == 0


# -- wrong value types -------------------------------------------------------------------
def test_wrong_value_type_is_refused_by_the_server_and_the_session_recovers(session, project, new_session):
    project_entity, _ = project
    original = project_entity["name"]
    project_entity["name"] = 12345
    with pytest.raises(ftrack_api.exception.ServerError, match="name"):
        session.commit()
    assert len(session.recorded_operations) == 1  # kept for a retry or a rollback
    project_entity["name"] = original + "_fixed"
    session.commit()
    assert len(session.recorded_operations) == 0
    fresh = new_session()
    assert fresh.get("Project", project_entity["id"])["name"] == original + "_fixed"


def test_unserialisable_value_is_a_type_error_and_keeps_the_operation(session, project):
    project_entity, _ = project
    project_entity["start_date"] = object()
    with pytest.raises(TypeError):
        session.commit()
    assert len(session.recorded_operations) == 1
    session.rollback()
    assert len(session.recorded_operations) == 0
    assert session.query("User").first() is not None


def test_reference_to_an_entity_of_the_wrong_type_is_refused(session, project, new_session):
    project_entity, _ = project
    schema_id = project_entity["project_schema"]["id"]
    project_entity["project_schema"] = project_entity  # a Project is not a ProjectSchema
    with pytest.raises(ftrack_api.exception.ServerError, match="project_schema"):
        session.commit()
    session.rollback()
    fresh = new_session()
    assert fresh.query(
        'select project_schema_id from Project where id is "{0}"'.format(project_entity["id"])
    ).one()["project_schema_id"] == schema_id


def test_none_for_a_required_string_is_refused(session, project, new_session):
    project_entity, _ = project
    name = project_entity["name"]
    project_entity["name"] = None
    with pytest.raises(ftrack_api.exception.ServerError, match="name"):
        session.commit()
    session.rollback()
    assert project_entity["name"] == name
    assert new_session().get("Project", project_entity["id"])["name"] == name


# -- ensure() and queries with awkward strings -------------------------------------------
AWKWARD = [
    "it's", 'say "hi"', "back\\slash", "trailing\\", "\\'", "\\\\\"", "both'\"mixed\\",
    "new\nline\ttab", "%s {0} %(x)s", "a\\nb", "ŝhot_日本語_🎬", "  spaced  ",
    "select id from Project", "x' or name is not 'y",
]


@pytest.mark.parametrize("value", AWKWARD)
def test_ensure_with_awkward_values_finds_the_same_entity(session, new_session, value):
    first = session.ensure("Priority", {"name": value, "value": 7})
    assert first["name"] == value
    other = new_session()
    second = other.ensure("Priority", {"name": value, "value": 7})
    assert second["id"] == first["id"]
    assert second["name"] == value
    matches = other.query("select id from Priority where name is '{0}'".format(
        value.replace("\\", "\\\\").replace("'", "\\'"))).all()
    assert [m["id"] for m in matches] == [first["id"]]
    matches = other.query('select id from Priority where name is "{0}"'.format(
        value.replace("\\", "\\\\").replace('"', '\\"'))).all()
    assert [m["id"] for m in matches] == [first["id"]]


def test_ensure_with_entity_date_and_number_values(session, project, new_session):
    project_entity, _ = project
    name = unique("seq")
    first = session.ensure("Sequence", {"name": name, "parent": project_entity})
    again = new_session().ensure("Sequence", {"name": name, "parent": project_entity})
    assert again["id"] == first["id"]
    when = datetime.datetime(2021, 3, 4, 5, 6, 7)
    pname = unique("dated")
    schema = project_entity["project_schema"]
    one = session.ensure("Project", {"name": pname, "full_name": pname, "project_schema": schema,
                                     "start_date": when}, identifying_keys=["name", "start_date"])
    two = new_session().ensure("Project", {"name": pname, "full_name": pname, "project_schema": schema,
                                           "start_date": when}, identifying_keys=["name", "start_date"])
    assert one["id"] == two["id"]
    number = session.ensure("Priority", {"name": unique("prio"), "value": 3.5})
    assert new_session().ensure("Priority", {"name": number["name"], "value": 3.5})["id"] == number["id"]


def test_ensure_with_unknown_identifying_key(session):
    with pytest.raises(KeyError, match="no_such_key"):
        session.ensure("Priority", {"name": "x"}, identifying_keys=["no_such_key"])


def test_ensure_with_no_identifying_data(session):
    with pytest.raises(ValueError, match="identifying"):
        session.ensure("Priority", {})


def test_query_syntax_errors_are_server_errors_and_the_session_stays_usable(session):
    for expression in ["Project where (name is 'x'", "Project where name is 'unterminated",
                       "Project where name is", "Project where and or", "Project order by"]:
        with pytest.raises(ftrack_api.exception.ServerError):
            session.query(expression).all()
    assert session.query("User").first() is not None


def test_huge_names_survive_a_round_trip(session, project, new_session):
    project_entity, _ = project
    huge = "H" * 200000 + "é"
    sequence = session.create("Sequence", {"name": huge, "parent": project_entity})
    session.commit()
    loaded = new_session().get("Sequence", sequence["id"])
    assert loaded["name"] == huge


def test_unicode_names_in_queries_and_values(session, project, new_session):
    project_entity, _ = project
    name = "序列_Ωμέγα_🎞️_" + unique("u")
    session.create("Sequence", {"name": name, "parent": project_entity})
    session.commit()
    fresh = new_session()
    found = fresh.query('Sequence where name is "{0}"'.format(name)).one()
    assert found["name"] == name
    assert fresh.query('Sequence where name like "序列_Ωμέγα%" and parent_id is "{0}"'.format(
        project_entity["id"])).one()["id"] == found["id"]


@pytest.mark.parametrize("value", ["limit 1", "offset 5", "take limit 0 now", "x offset 2 limit 3"])
def test_limit_and_offset_words_inside_values_are_not_clauses(session, new_session, value):
    first = session.ensure("Priority", {"name": value, "value": 9})
    again = new_session().ensure("Priority", {"name": value, "value": 9})
    assert again["id"] == first["id"]
    other = new_session()
    assert [p["id"] for p in other.query('Priority where name is "{0}"'.format(value))] == [first["id"]]
    assert other.query("Priority where name is '{0}'".format(value)).one()["id"] == first["id"]
    assert [p["id"] for p in other.query('select name from Priority where name is "{0}" limit 1'.format(value))] == [first["id"]]
    assert other.query('Priority where name is "{0}" offset 1'.format(value)).all() == []


def test_plugin_paths_given_as_one_string(local_server, tmp_path):
    from ftrack_api import _config

    first, second = tmp_path / "plugins-a", tmp_path / "plugins-b"
    for index, folder in enumerate((first, second)):
        folder.mkdir()
        (folder / "plugin_{0}.py".format(index)).write_text(
            "def register(session, **kw):\n"
            "    with open({0!r}, 'a') as out:\n"
            "        out.write('{1}')\n".format(str(tmp_path / "calls.txt"), index)
        )
    joined = str(first) + os.pathsep + str(second)
    # Checked on the resolved settings first: a string split into characters would
    # make the session execute every Python file below "/".
    settings = _config.resolve(local_server.url, "k", "u", joined, None, None, False)
    assert settings.plugin_paths == [str(first), str(second)]
    with make(local_server.url, tmp_path, api_key=local_server.api_key,
              api_user=local_server.api_user, plugin_paths=joined):
        pass
    assert sorted((tmp_path / "calls.txt").read_text()) == ["0", "1"]


def test_plugin_paths_of_the_wrong_type(local_server, tmp_path):
    with pytest.raises(TypeError, match="plugin_paths"):
        make(local_server.url, tmp_path, api_key=local_server.api_key,
             api_user=local_server.api_user, plugin_paths=5)


def test_surrounding_whitespace_in_credentials_is_ignored(local_server, tmp_path, monkeypatch):
    monkeypatch.setenv("FTRACK_SERVER", " " + local_server.url + "/\n")
    monkeypatch.setenv("FTRACK_API_KEY", local_server.api_key + "\n")
    monkeypatch.setenv("FTRACK_API_USER", local_server.api_user + "\r\n")
    with ftrack_api.Session(schema_cache_path=str(tmp_path)) as session:
        assert session.server_url == local_server.url
        assert session.api_key == local_server.api_key
        assert session.api_user == local_server.api_user
        assert session.query("User").first() is not None


@pytest.mark.parametrize("name, value", [
    ("api_key", "abc\ndef-secret-part"), ("api_key", "ключ-secret-part"),
    ("api_user", "jane\x00doe"), ("api_user", "用户"),
])
def test_credentials_that_cannot_be_sent_are_refused_without_revealing_them(local_server, tmp_path, name, value):
    kwargs = {"api_key": local_server.api_key, "api_user": local_server.api_user, name: value}
    with pytest.raises(ValueError) as info:
        make(local_server.url, tmp_path, **kwargs)
    assert name in str(info.value)
    assert "secret-part" not in str(info.value) and value not in str(info.value)


@pytest.mark.parametrize("expression", [
    "\n    User where username is '{user}'\n",
    "User\twhere username is '{user}'",
    "  select username from User where username is '{user}'",
    "SELECT username FROM User WHERE username is '{user}'",
    "select username\nfrom User\nwhere username is '{user}'",
    "User where username is '{user}'\nlimit 1",
    "User where username is '{user}' LIMIT 1",
    "User where username is '{user}' limit\t1 offset\t0",
    """
    select username
    from User
    where username is '{user}'
    order by username
    """,
])
def test_query_whitespace_and_keyword_case(session, local_server, expression):
    result = session.query(expression.format(user=local_server.api_user))
    assert [user["username"] for user in result] == [local_server.api_user]


def test_user_limit_with_odd_spacing_still_pages(session, project):
    _, sequence = project
    for index in range(7):
        session.create("Shot", {"name": "lim{0}".format(index), "parent": sequence})
    session.commit()
    result = session.query(
        'Shot where parent_id is "{0}" order by name LIMIT\t5 Offset  1'.format(sequence["id"]), page_size=2)
    assert [shot["name"] for shot in result] == ["lim{0}".format(i) for i in range(1, 6)]


def test_composite_keys_with_awkward_values(session, project, new_session):
    project_entity, _ = project
    keys = ["plain", "it's", 'say "hi"', "back\\slash\\", "ü 🎬", "limit 1", "x offset 3"]
    for key in keys:
        project_entity["metadata"][key] = "v-" + key
    session.commit()
    other = new_session()
    for key in keys:
        found = other.get("Metadata", [project_entity["id"], key])
        assert found is not None, key
        assert found["value"] == "v-" + key
    assert dict(new_session().get("Project", project_entity["id"])["metadata"]) == {k: "v-" + k for k in keys}


def test_strict_api_session_maps_status_codes_to_the_same_errors(new_session, local_server, tmp_path):
    strict = new_session(strict_api=True)
    cases = [
        (lambda: strict.query("User where no_such_attribute is 1").all(), 422, "no_such_attribute"),
        (lambda: strict.call([{"action": "no_such_action"}]), 400, "no_such_action"),
        (lambda: strict.call([{"action": "update", "entity_type": "User", "entity_key": ["missing"],
                               "entity_data": {"first_name": "x"}}]), 404, "missing"),
    ]
    for call, status, fragment in cases:
        with pytest.raises(ftrack_api.exception.ServerError, match=fragment) as info:
            call()
        assert info.value.status_code == status
    with pytest.raises(ftrack_api.exception.InvalidCredentialsError):
        local_server.session(strict_api=True, api_key="wrong", schema_cache_path=str(tmp_path))
    assert strict.query("User").first() is not None


@pytest.mark.parametrize("suffix", ["/api", "/no/such/prefix"])
def test_a_server_url_with_a_wrong_path_names_the_problem(local_server, tmp_path, suffix):
    with pytest.raises(ftrack_api.exception.ServerError) as info:
        make(local_server.url + suffix, tmp_path, api_key=local_server.api_key,
             api_user=local_server.api_user)
    message = str(info.value)
    assert "404" in message and "server URL" in message
    assert local_server.url + suffix + "/api" in message


@pytest.mark.parametrize("cache", [5, "cache", lambda session: 5, lambda session: "x"])
def test_cache_of_the_wrong_type_is_a_type_error(local_server, tmp_path, cache):
    with pytest.raises(TypeError, match="cache"):
        make(local_server.url, tmp_path, api_key=local_server.api_key,
             api_user=local_server.api_user, cache=cache)


def test_cache_factory_returning_none_adds_no_layer(local_server, tmp_path):
    with make(local_server.url, tmp_path, api_key=local_server.api_key,
              api_user=local_server.api_user, cache=lambda session: None) as session:
        assert session.query("User").first() is not None


def test_ensure_with_an_aware_datetime_with_microseconds_finds_the_same_entity(session, project, new_session):
    project_entity, _ = project
    when = datetime.datetime(2021, 5, 6, 7, 8, 9, 123456,
                             tzinfo=datetime.timezone(datetime.timedelta(hours=5)))
    name = unique("micro")
    data = {"name": name, "full_name": name, "project_schema": project_entity["project_schema"],
            "start_date": when}
    first = session.ensure("Project", dict(data), identifying_keys=["name", "start_date"])
    second = new_session().ensure("Project", dict(data), identifying_keys=["name", "start_date"])
    assert second["id"] == first["id"]
    assert len(new_session().query('Project where name is "{0}"'.format(name)).all()) == 1
    loaded = new_session().get("Project", first["id"])["start_date"]
    assert loaded == when.replace(microsecond=0)  # ftrack keeps whole seconds


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_of_the_api_request(local_server, tmp_path, status):
    import http.server
    import threading

    class Redirect(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):  # noqa: N802 - http.server API
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(status)
            self.send_header("Location", local_server.url + "/api")
            self.send_header("content-length", "0")
            self.end_headers()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    url = "http://127.0.0.1:{0}".format(httpd.server_address[1])
    try:
        if status in (307, 308):  # method and body kept: it just works
            with make(url, tmp_path, api_key=local_server.api_key, api_user=local_server.api_user) as session:
                assert session.query("User").first() is not None
        else:  # requests would turn the POST into a GET
            with pytest.raises(ftrack_api.exception.ServerError) as info:
                make(url, tmp_path, api_key=local_server.api_key, api_user=local_server.api_user)
            assert "redirected" in str(info.value) and local_server.url in str(info.value)
            assert info.value.status_code == status
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)
