"""Robustness of the local server as seen by the official client 3.1.0.

``scenarios/official_robustness.py`` runs once per schema set; eight concurrent
``scenarios/official_worker.py`` processes check that parallel commits of the official
client lose nothing and never hit "database is locked".
"""
from __future__ import annotations

import json
import pathlib
import subprocess

import pytest

from .conftest import SCENARIOS, ScenarioReport, official_env, parse_report, run_script

pytestmark = pytest.mark.official

TEXT_NAMES = sorted([u"t\u00e2che \u65e5\u672c \U0001f3ac", 'say "hi"', "back\\slash",
                     "limit 3", "it's"])


@pytest.fixture(scope="module")
def report(official_python, official_server, schema_set, tmp_path_factory) -> ScenarioReport:
    cache_dir = tmp_path_factory.mktemp(f"official-robust-cache-{schema_set}")
    completed = run_script(official_python, "official_robustness.py", official_server,
                           cache_dir)
    return ScenarioReport(schema_set, parse_report(completed), official_server.url, cache_dir,
                          completed.stderr, pathlib.Path(official_python).parents[1])


def test_bad_credentials_fail_session_construction(report) -> None:
    values = report.step("bad_credentials")
    assert values["error"] == "ServerError"
    assert "InvalidCredentialsError" in values["message"]
    assert values["unknown_user"] == "ServerError"


def test_text_values_round_trip_and_match(report) -> None:
    values = report.step("text_values")
    assert values["stored"] == TEXT_NAMES
    found = values["found"]
    assert found["unicode"] == [u"t\u00e2che \u65e5\u672c \U0001f3ac"]
    assert found["quoted"] == ['say "hi"']
    assert found["backslash"] == ["back\\slash"]
    assert found["apostrophe"] == ["it's"]
    assert found["like"] == ['say "hi"']
    # The official client strips the first "limit N" anywhere in the expression, even
    # inside quotes (protocol.md §5.4), so this query cannot find "limit 3" with it.
    assert found["keyword"] == []
    assert found["keyword_sent"][0].endswith('and name is "" offset 0 limit 3')
    assert values["big_ok"] is True


def test_default_page_size_pages_through_620_rows(report) -> None:
    values = report.step("default_page_size")
    assert values["count"] == 620
    assert values["in_order"] is True
    assert values["first_last"] == ["many_0000", "many_0619"]
    assert values["page_tails"] == ["0 limit 500", "500 limit 500"]


def test_update_events_reach_a_connected_official_client(report) -> None:
    values = report.step("update_events_reach_a_connected_client")
    assert values["ready"] is True
    assert len(values["task_events"]) == 1
    assert values["task_events"][0]["action"] == "add"
    assert values["task_events"][0]["entityType"] == "task"


def test_sequence_component_upload_and_component_removal(report) -> None:
    values = report.step("sequence_component_and_removal")
    assert values["type"] == "SequenceComponent"
    assert values["padding"] == 4
    assert values["members"] == ["0001", "0002", "0003"]
    assert values["contents"] == ["frame 1\n", "frame 2\n", "frame 3\n"]
    assert values["availability_before_removal"] == 100.0
    assert values["availability_after_removal"] == 0.0


def test_builtin_locations(report) -> None:
    values = report.step("builtin_locations")
    assert values["names"] == ["ftrack.connect", "ftrack.origin", "ftrack.review",
                               "ftrack.server", "ftrack.unmanaged"]
    assert values["server_id"] == "ftrack.server"
    assert values["picked"] == "ftrack.unmanaged"


def test_a_session_without_schema_cache_fetches_schemas(report) -> None:
    values = report.step("no_schema_cache")
    assert values["actions"] == ["query_server_information", "query_schemas"]
    assert values["type_count_positive"] is True


def test_ensure_with_entity_values_gets_a_clear_error(report) -> None:
    values = report.step("ensure_with_entity_values")
    # The official client puts "<AssetType(...)>" into the query; the server names the
    # problem and its position instead of failing obscurely.
    assert values["error"] == "ServerError"
    assert "ValidationError" in values["message"]
    assert "position" in values["message"]
    assert values["same"] is False


WORKERS = 8
COMMITS = 5


def test_eight_official_clients_commit_concurrently(official_python, official_server,
                                                     schema_set, tmp_path_factory) -> None:
    """protocol/issue 3 §9: parallel commits lose nothing and never see a locked DB."""
    import requests

    server = official_server
    headers = {"ftrack-user": server.api_user, "ftrack-api-key": server.api_key}

    def call(body):
        response = requests.post(server.url + "/api", json=body, headers=headers, timeout=60)
        result = response.json()
        assert isinstance(result, list), result
        return result

    sequence = call([{"action": "query", "expression":
                      "select id from Sequence limit 1"}])[0]["data"]
    if sequence:
        parent = {"__entity_type__": "Sequence", "id": sequence[0]["id"]}
    else:
        schema = call([{"action": "query", "expression":
                        'select id from ProjectSchema where name is "VFX Scheme"'}])[0]["data"][0]
        project = call([{"action": "create", "entity_type": "Project", "entity_data": {
            "__entity_type__": "Project", "name": "concurrency", "full_name": "concurrency",
            "project_schema_id": schema["id"]}}])[0]["data"]
        parent = {"__entity_type__": "Project", "id": project["id"]}
    shot = call([{"action": "create", "entity_type": "Shot", "entity_data": {
        "__entity_type__": "Shot", "name": "sh_concurrent", "parent": parent}}])[0]["data"]

    cache_dir = tmp_path_factory.mktemp(f"official-workers-{schema_set}")
    # Warm the schema cache once so the workers do not all fetch the schemas.
    warm = run_script(official_python, "official_worker.py", server, cache_dir,
                      [shot["id"], "99", "0"])
    assert warm.returncode == 0, warm.stderr
    processes = [
        subprocess.Popen([str(official_python), str(SCENARIOS / "official_worker.py"),
                          shot["id"], str(index), str(COMMITS)],
                         env=official_env(server, cache_dir), cwd=str(cache_dir),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for index in range(WORKERS)
    ]
    outputs = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=240)
        assert process.returncode == 0, stderr[-3000:]
        outputs.append(json.loads(stdout.strip().splitlines()[-1]))
    assert [o["errors"] for o in outputs] == [[] for _ in range(WORKERS)]
    assert all(len(o["created"]) == COMMITS for o in outputs)
    rows = call([{"action": "query", "expression":
                  f'select name, description from Task where parent_id is "{shot["id"]}"'}])[0]
    names = sorted(row["name"] for row in rows["data"])
    assert names == sorted(f"w{i}_{n:02d}" for i in range(WORKERS) for n in range(COMMITS))
    assert all(row["description"] == f"worker {row['name'][1:].split('_')[0]}"
               for row in rows["data"])
