"""Other batch actions: reset_remote, delayed_job, widgets, invites, encode_media."""
from __future__ import annotations

import json

import requests

from ftrack_api.testing import LocalServer

from .conftest import Api


def test_reset_remote_api_key() -> None:
    with LocalServer() as srv:
        api = Api(srv)
        old_key = srv.api_key
        user_id = api.rows(f'select id from User where username is "{srv.api_user}"')[0]["id"]
        result = api.ok([{"action": "reset_remote", "reset_type": "api_key",
                          "entity_type": "User", "entity_key": user_id}])[0]
        assert result["action"] == "reset_remote"
        new_key = result["data"]["api_key"]
        assert new_key != old_key
        assert srv.api_key == new_key
        assert api.call([])["exception"] == "InvalidCredentialsError"
        assert Api(srv, key=new_key).call([]) == []


def test_reset_remote_without_entity_resets_calling_user() -> None:
    with LocalServer() as srv:
        api = Api(srv)
        result = api.ok([{"action": "reset_remote", "reset_type": "api_key"}])[0]
        assert Api(srv, key=result["data"]["api_key"]).call([]) == []


def test_reset_remote_refuses_other_attributes(api: Api) -> None:
    for reset_type in ("id", "email"):
        body = api.call([{"action": "reset_remote", "reset_type": reset_type,
                          "entity_type": "User", "entity_key": "x"}])
        assert body["exception"] == "ValidationError" and reset_type in body["content"]


def test_delayed_job_returns_job(api: Api) -> None:
    result = api.ok([{"action": "delayed_job", "job_type": "SYNC_USERS_LDAP"}])[0]
    assert result["action"] == "delayed_job"
    job = result["data"]
    assert job["__entity_type__"] == "Job" and job["id"]
    assert json.loads(job["data"])["job_type"] == "SYNC_USERS_LDAP"
    assert api.rows(f'select status from Job where id is "{job["id"]}"')[0]["status"] == "done"


def test_widget_url_answers_get(api: Api) -> None:
    result = api.ok([{"action": "get_widget_url", "name": "tasks", "theme": "dark"}])[0]
    url = result["widget_url"]
    assert url.startswith(api.server.url + "/widget/tasks?token=")
    assert requests.get(url, timeout=30).status_code == 200


def test_invites(api: Api) -> None:
    user = api.rows(f'select id from User where username is "{api.server.api_user}"')[0]
    assert api.ok([{"action": "send_user_invite", "user_id": user["id"]}]) == [{"sent": True}]
    body = api.call([{"action": "send_user_invite", "user_id": "missing"}])
    assert body["exception"] == "ValidationError"
    project = api.project()
    session = api.create("ReviewSession", name="r", project=api.ref(project), description="",
                         start_date={"__type__": "datetime", "value": "2024-01-01T00:00:00"},
                         end_date={"__type__": "datetime", "value": "2024-01-02T00:00:00"})
    invitee = api.create("ReviewSessionInvitee", name="Jo", email="jo@example.com",
                         review_session=api.ref(session))
    assert api.ok([{"action": "send_review_session_invite",
                    "review_session_invitee_id": invitee["id"]}]) == [{"sent": True}]
    sent = api.rows(f'select last_sent_at from ReviewSessionInvitee where id is "{invitee["id"]}"')
    assert sent[0]["last_sent_at"]["__type__"] == "datetime"


def test_encode_media_creates_job_and_components(api: Api) -> None:
    component = api.create("FileComponent", name="movie", file_type=".mov")
    result = api.ok([{"action": "encode_media", "component_id": component["id"],
                      "version_id": None, "keep_original": False}])[0]
    assert set(result) == {"job_id"}
    job = api.rows(f'select data, status, job_components.component_id from Job '
                   f'where id is "{result["job_id"]}"')[0]
    data = json.loads(job["data"])
    assert data["source_component_id"] == component["id"] and data["keep_original"] is False
    assert [o["format"] for o in data["output"]] == ["video/mp4", "image/jpeg"]
    assert sorted(c["component_id"] for c in job["job_components"]) == sorted(
        o["component_id"] for o in data["output"])
    body = api.call([{"action": "encode_media", "component_id": "missing"}])
    assert body["exception"] == "ValidationError"


def test_unknown_actions_are_reported_by_name(api: Api) -> None:
    for name in ("get_upload_metadata_v2", "permissions"):
        body = api.call([{"action": name}])
        assert body["content"] == f"Invalid action u'{name}'"


def test_search_filters_by_terms_and_context(api: Api) -> None:
    project = api.project()
    shot = api.create("Shot", name="searchable", parent=api.ref(project))
    api.create("Task", name="lighting pass", parent=api.ref(shot))
    api.create("Task", name="anim pass", parent=api.ref(shot))
    result = api.ok([{"action": "search", "expression": "select name from Task",
                      "entity_type": "Task", "terms": ["lighting"], "context_id": shot["id"],
                      "object_type_ids": []}])[0]
    assert result["action"] == "search"
    assert [r["name"] for r in result["data"]] == ["lighting pass"]


def test_keywords_are_case_insensitive(api: Api) -> None:
    rows = api.rows('SELECT name FROM Priority WHERE name IS "Low" ORDER BY name DESC LIMIT 1')
    assert [r["name"] for r in rows] == ["Low"]
    rows = api.rows("select name from Priority limit 1 offset 0")
    assert len(rows) == 1


def test_reset_remote_in_a_failed_batch_keeps_the_old_key() -> None:
    with LocalServer() as srv:
        api = Api(srv)
        body = api.call([{"action": "reset_remote", "reset_type": "api_key"},
                         {"action": "delete", "entity_type": "Task", "entity_key": ["missing"]}])
        assert body["exception"] == "NotFoundError"
        assert api.call([]) == []
