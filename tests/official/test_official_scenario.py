"""The official ftrack client 3.1.0 runs the fidelity scenario against the local server.

``scenarios/official_scenario.py`` is executed once per schema set (the default one and
the 116 real ftrack schemas) by the official client's own interpreter; each test below
asserts the real values one step reported.
"""
from __future__ import annotations

import hashlib
import json
import pathlib

import pytest

from .conftest import REAL_SCHEMA_HASH, ScenarioReport, parse_report, run_script

pytestmark = pytest.mark.official

PAGE_NAMES = [f"page_{index:02d}" for index in range(12)]


@pytest.fixture(scope="module")
def report(official_python, official_server, schema_set, tmp_path_factory) -> ScenarioReport:
    cache_dir = tmp_path_factory.mktemp(f"official-cache-{schema_set}")
    completed = run_script(official_python, "official_scenario.py", official_server, cache_dir)
    return ScenarioReport(schema_set, parse_report(completed), official_server.url, cache_dir,
                          completed.stderr, pathlib.Path(official_python).parents[1])


def test_the_scenario_ran_under_the_official_client(report) -> None:
    assert report.data["client_version"] == "3.1.0"
    client_file = pathlib.Path(report.data["client_file"]).resolve()
    assert report.official_root.resolve() in client_file.parents
    assert set(report.data["steps"]) == {
        "session_construction", "query_paging", "create_hierarchy", "update_and_delete",
        "custom_attributes", "populate", "ensure", "rollback_after_failed_commit",
        "metadata", "polymorphic_queries"}


def test_session_construction_fetches_then_reuses_the_schema_cache(report, real_schemas_path):
    values = report.step("session_construction")
    assert values["cache_existed_before"] is False
    assert values["first_actions"] == ["query_server_information", "query_schemas"]
    assert values["second_actions"] == ["query_server_information"]
    assert values["cache_mtime_after_second"] == 1000000000.0
    assert values["server_version"] == "4.13.8"
    assert values["schema_hash"] == values["cache_hash"]
    assert values["types_equal"] is True
    assert values["has_core_types"] is True
    cache_file = report.cache_dir / "ftrack_api_schema_cache.json"
    cached = json.loads(cache_file.read_text())
    assert hashlib.md5(json.dumps(cached, sort_keys=True).encode()).hexdigest() \
        == values["schema_hash"]
    if report.schema_set == "real":
        assert values["type_count"] == 116
        assert values["schema_hash"] == REAL_SCHEMA_HASH
        real = json.loads(real_schemas_path.read_text())
        assert sorted(s["id"] for s in cached) == sorted(s["id"] for s in real)
    else:
        assert values["type_count"] == values["cached_type_count"] == len(cached)
        assert values["type_count"] >= 80


def test_query_paging(report) -> None:
    values = report.step("query_paging")
    assert values["paged_names"] == PAGE_NAMES
    expressions = values["paged_expressions"]
    assert len(expressions) == 3
    assert [e.rsplit(" offset ", 1)[1] for e in expressions] == \
        ["0 limit 5", "5 limit 5", "10 limit 5"]
    assert values["entity_types"] == ["Task"]
    assert values["first"] == "page_00"
    assert values["first_missing"] is None
    assert values["one_errors"] == {"many": "MultipleResultsFoundError",
                                    "none": "NoResultFoundError", "with_limit": "ValueError"}
    assert values["one_single"] == "page_07"
    assert values["window_names"] == ["page_03", "page_04", "page_05", "page_06"]
    assert values["window_expressions"][0].endswith(" order by name offset 3 limit 4")
    assert values["window_paged_names"] == PAGE_NAMES[2:9]
    assert [e.rsplit(" offset ", 1)[1] for e in values["window_paged_expressions"]] == \
        ["2 limit 5", "7 limit 5"]
    assert values["descending_names"] == ["page_09", "page_08", "page_07"]
    assert values["limit_zero"] == 0


def test_create_hierarchy_and_read_it_back(report) -> None:
    values = report.step("create_hierarchy")
    assert values["project_name_ok"] is True
    assert values["project_schema_id"] == values["expected_project_schema_id"]
    assert values["shot_description"] == "Opening shot"
    assert values["shot_parent_name"] == "sq010"
    assert values["task_name"] == "compositing"
    assert values["task_parent"] == "sh010"
    assert values["task_grandparent"] == "sq010"
    assert values["task_project_ok"] is True
    assert values["task_project_id_ok"] is True
    assert values["task_status"] == "Not started"
    assert values["task_type"] == "Compositing"
    assert values["asset_name"] == "sh010_comp"
    assert values["asset_parent_id_ok"] is True
    assert values["version_number"] == 1
    assert values["version_comment"] == "First comp pass"
    assert values["version_task_ok"] is True
    assert values["version_in_asset"] is True
    assert values["note_content"] == "Please check the edges."
    assert values["note_parent_ok"] is True
    assert values["note_author"] == "admin"
    assert values["task_notes"] == ["Please check the edges."]
    assert values["shot_children"] == [["Task", "compositing"]]
    assert values["project_descendants"] == ["Sequence", "Shot", "Task"]
    assert values["task_link_names"][1:] == ["sq010", "sh010", "compositing"]
    assert values["task_link_names"][0].startswith("hier_")


def test_update_and_delete_are_seen_by_a_fresh_session(report) -> None:
    values = report.step("update_and_delete")
    assert values["name"] == "kept"
    assert values["description"] == "renamed"
    assert values["status"] == "On Hold"
    assert values["bid"] == 2.5
    assert values["shot_description"] == "updated shot"
    assert values["doomed_get"] is None
    assert values["doomed_query_count"] == 0
    assert values["shot_children"] == ["kept"]
    assert values["kept_after_delete"] is None
    assert values["shot_children_after_delete"] == []


def test_custom_attributes_on_new_and_existing_tasks(report) -> None:
    values = report.step("custom_attributes")
    assert values["default_before"] == 1
    assert values["commit_ops"] == [["create", "Task"],
                                    ["update", "ContextCustomAttributeValue"],
                                    ["update", "ContextCustomAttributeValue"]]
    assert values["new_value"] == 1001
    assert values["existing_value"] == 1001
    assert values["keys"] == ["fstart"]
    assert values["matching_names"] == ["existing", "new"]
    assert values["composite_get_value"] == 1001
    assert values["composite_get_key"] == "fstart"
    assert values["updated_value"] == 1002


def test_populate_loads_the_projections_in_one_query(report) -> None:
    values = report.step("populate")
    assert values["pairs"] == [["pop_0", "In Progress"], ["pop_1", "On Hold"],
                               ["pop_2", "Approved"]]
    assert values["populate_actions"] == ["query"]
    assert values["populate_expression_has_projection"] is True
    assert values["requests_while_reading"] == []


def test_ensure_twice_returns_the_same_entity(report) -> None:
    values = report.step("ensure")
    assert values["same_user"] is True
    assert values["user_entity_type"] == "User"
    assert values["same_asset"] is True
    assert values["user_count"] == 1
    assert values["asset_count"] == 1
    assert values["asset_parent_ok"] is True
    assert values["identifying_keys_same"] is True


def test_rollback_after_a_failed_commit(report) -> None:
    values = report.step("rollback_after_failed_commit")
    assert values["missing_required"] == "ServerError"
    assert "ValidationError" in values["missing_required_message"]
    assert "Timelog" in values["missing_required_message"]
    assert "start" in values["missing_required_message"]
    assert values["wrong_type"] == "ServerError"
    assert 'Custom attribute value for "rb_number" must be of type number' \
        in values["wrong_type_message"]
    assert values["unknown_attribute"] == "ServerError"
    assert "no_such_attribute" in values["unknown_attribute_message"]
    # The valid Task of the refused batch was not kept; the later commits succeeded.
    assert values["names_after"] == ["rb_valid_1", "rb_valid_2"]
    assert values["timelogs_after"] == 0
    assert values["valid_value"] == 2.5
    assert values["first_value"] == 0


def test_metadata_set_read_update_and_delete(report) -> None:
    values = report.step("metadata")
    assert values["read"] == {"colour": "red", "shape": "round"}
    assert values["composite_get"] == {"key": "colour", "value": "red", "parent_type": "Task",
                                       "parent_id_ok": True}
    assert values["query_any_count"] == 1
    assert values["after_update"] == {"colour": "blue"}
    assert values["deleted_get"] is None


def test_polymorphic_context_queries(report) -> None:
    values = report.step("polymorphic_queries")
    assert values["typed_entity_types"] == ["Sequence", "Shot", "Task"]
    assert values["typed_classes"] == ["Sequence", "Shot", "Task"]
    assert values["by_project_same"] is True
    assert values["context_entity_types"] == ["Project", "Shot"]
    assert values["poly_task_found"] is True
    assert values["context_get_type"] == "Shot"
    assert values["typed_get_type"] == "Shot"
