"""More relations, locations and event routing, as the official client 3.1.0 sees them.

``scenarios/official_more.py`` runs once per schema set; each test asserts one step.
"""
from __future__ import annotations

import pathlib

import pytest

from .conftest import ScenarioReport, parse_report, run_script

pytestmark = pytest.mark.official


@pytest.fixture(scope="module")
def report(official_python, official_server, schema_set, tmp_path_factory) -> ScenarioReport:
    cache_dir = tmp_path_factory.mktemp(f"official-more-cache-{schema_set}")
    completed = run_script(official_python, "official_more.py", official_server, cache_dir)
    return ScenarioReport(schema_set, parse_report(completed), official_server.url, cache_dir,
                          completed.stderr, pathlib.Path(official_python).parents[1])


def test_versions_are_numbered_and_linked(report) -> None:
    values = report.step("versions_and_links")
    assert values["numbers"] == [1, 2, 3, 4]
    assert values["latest"] == 4
    assert values["is_latest"] == [False, False, False, True]
    # The first status of the project schema's version workflow.
    assert values["status"] == "Pending Review"
    assert values["uses"] == [4]
    assert values["used_in"] == [3]
    # A real server's AssetVersion link: the asset's context chain, then the version.
    assert values["link_types"] == ["Project", "TypedContext", "TypedContext", "AssetVersion"]


def test_computed_link_ancestors_and_descendants(report) -> None:
    values = report.step("computed_context_relations")
    assert values["link_names"][1:] == ["sq_shared", "sh_computed", "leaf"]
    assert values["link_types"] == ["Project", "TypedContext", "TypedContext", "TypedContext"]
    assert values["link_first_is_project"] is True
    assert values["ancestors"] == ["sq_shared", "sh_computed"]
    assert values["ancestor_types"] == ["Sequence", "Shot"]
    assert values["shot_descendants"] == ["leaf"]
    # Only the shared shot has no children at this point of the scenario.
    assert values["empty_shots"] == ["sh_shared"]
    assert values["project_children"] == ["sq_shared"]


def test_task_dependencies(report) -> None:
    values = report.step("task_dependencies")
    assert values["anim_incoming"] == ["layout"]
    assert values["layout_outgoing"] == ["animation"]


def test_unmanaged_location(report) -> None:
    values = report.step("unmanaged_location")
    assert values["resource_identifier_is_path"] is True
    assert values["filesystem_path_is_path"] is True
    assert values["availability"] == 100.0


def test_deleting_a_status_in_use_is_refused(report) -> None:
    values = report.step("refused_delete")
    assert values["error"] == "ServerError"
    assert "Status" in values["message"]
    assert values["still_there"] is True


def test_thumbnail_url_serves_the_uploaded_bytes(report) -> None:
    values = report.step("thumbnail_url")
    assert values["status"] == 200
    assert values["same_bytes"] is True


def test_events_are_routed_by_target(report) -> None:
    values = report.step("targeted_event_routing")
    assert values["replies"] == [{"pong": True}]
    # 1 targeted another application; 2 targeted the listener; 3 had no target.
    assert values["received"] == [2, 3]


def test_composite_key_populate_and_deep_projections(report) -> None:
    values = report.step("composite_populate_and_deep_projections")
    assert values["populated_values"] == [10, 11, 12]
    # protocol.md §5.3: the official client writes '"C1"and' for composite keys.
    assert values["populate_quirk"] is True
    assert values["deep_components"] == ["geo"]
    assert values["deep_task"] == ["b_task"]
    assert values["ordered"] == ["a_task", "b_task", "c_task"]


def test_issue_acceptance_cases_through_the_official_client(report) -> None:
    values = report.step("acceptance_cases")
    assert values["raw_names"] == ["t7", "t6", "t5"]
    assert values["raw_next_offset"] == 5
    assert values["paged_names"] == ["t7", "t6", "t5"]
    # t0..t9 cycle through In Progress, On Hold, Approved.
    assert values["in_statuses"] == ["t0", "t1", "t3", "t4", "t6", "t7", "t9"]
    assert values["no_children"] == ["sh020"]
    assert values["typed_types"] == [["Sequence", "sq010"], ["Shot", "sh010"],
                                     ["Shot", "sh020"], ["Task", "t0"]]
    assert values["versions"] == [1, 2]
    assert values["minimal_status"] == "Not started"


def test_disk_location_with_the_standard_structure(report) -> None:
    values = report.step("disk_location_with_standard_structure")
    assert values["relative_path"].split("/")[1:] == ["sq_shared", "sh_disk", "plate", "v001",
                                                      "main.exr"]
    assert values["relative_path"].startswith("official_")
    assert values["exists"] is True
    assert values["version_link"] == ["sq_shared", "sh_disk", "plate v001"]
    assert values["picked"] == "studio.disk"
    assert values["availability"] == 100.0
    assert values["exists_after_removal"] is False
    assert values["availability_after_removal"] == 0.0


def test_review_sessions_and_version_lists(report) -> None:
    values = report.step("review_sessions_and_version_lists")
    assert values["review_objects"] == 2
    assert values["review_versions"] == [1, 2]
    assert values["invitees"] == ["client@example.com"]
    assert values["list_items"] == [1, 2]
    assert values["list_type"] == "AssetVersionList"


def test_deleting_a_project_deletes_everything_under_it(report) -> None:
    assert report.step("delete_project_cascades") == {"left": []}


def test_criteria_reach_attributes_of_subtypes(report) -> None:
    values = report.step("attributes_of_subtypes_in_criteria")
    assert values["assigned_to_me"] == ["mine"]
    assert values["shots_with_compositing"] == ["sh_subtype_paths"]
    assert values["tasks_under_shots"] == ["mine", "other"]
    assert values["not_assigned"] == ["other"]


def test_documented_query_idioms(report) -> None:
    values = report.step("documented_query_idioms")
    project = values["active_thrones"]
    assert len(project) == 1 and project[0].startswith("docs_")
    assert values["metadata_bare_words"] == project
    assert values["done_in_project"] == ["docs_task"]
    assert values["logged_today"] == ["docs_task"]
    assert values["by_jane"] == ["by Jane"]
    assert values["users_without_timelogs"] == ["idle"]
    assert values["bid_synonyms"] == ["docs_task"]
    assert values["state_in"] == ["docs_task"]
    assert values["status_not_in"] == ["docs_task"]
    assert values["projected"] == ["Game", "active"]


def test_documented_examples_of_the_official_client(report) -> None:
    values = report.step("documented_examples")
    assert values["team"] == ["admin", "member"]
    assert values["assigned_users"] == ["admin"]
    assert values["my_tasks"] == ["assigned"]
    # ReviewSession created with only name, description and project (dates filled).
    assert values["review_found"] == 1
    assert values["project_review_sessions"] == [True]
    assert values["review_objects"] == [["Compositing", "Version 3"]]
    assert values["invitees_before"] == 1
    assert values["invitees_after"] == 0
    # items.append then items.remove on a committed list: the update results carry the
    # collection, so the client's copy follows the server.
    assert values["list_items_after_append"] == 1
    assert values["list_items_after_remove"] == 0
    assert values["template_task_types"] == ["Modeling", "Rigging"]


def test_group_by_aggregations_through_a_strict_session(report) -> None:
    values = report.step("group_by_aggregations")
    assert values["rows"] == [["Approved", 1, 5, 5, True], ["In Progress", 2, 4, 3, True]]


def test_documented_workflow_schema_example(report) -> None:
    values = report.step("documented_workflow_schema_example")
    assert values["task_statuses"] == ["In Progress", "Not started", "Completed", "On Hold"]
    assert values["override_statuses"] == ["Completed", "On Hold"]
    assert values["task_types"] == ["Character", "Compositing", "Generic", "Modeling", "Rigging"]
    assert values["build_statuses"] == ["In Progress", "Completed"]
    assert values["build_types"] == ["Character", "Generic"]
    assert values["version_statuses"] == ["In Progress", "Not started", "Completed", "On Hold"]
    # New objects take the first status of their (custom) workflow.
    assert values["new_build_status"] == "In Progress"
    assert values["new_task_status"] == "In Progress"
    assert values["templates"] == [["Modeling", "Rigging"]]
