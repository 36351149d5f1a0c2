"""The official client 3.1.0 runs further pipeline behaviour against the local server.

``scenarios/official_extended.py`` runs once per schema set under the official client's
own interpreter; each test asserts the values one step reported.
"""
from __future__ import annotations

import pathlib

import pytest

from .conftest import ScenarioReport, parse_report, run_script

pytestmark = pytest.mark.official


@pytest.fixture(scope="module")
def report(official_python, official_server, schema_set, tmp_path_factory) -> ScenarioReport:
    cache_dir = tmp_path_factory.mktemp(f"official-extended-cache-{schema_set}")
    completed = run_script(official_python, "official_extended.py", official_server, cache_dir)
    return ScenarioReport(schema_set, parse_report(completed), official_server.url, cache_dir,
                          completed.stderr, pathlib.Path(official_python).parents[1])


def test_every_step_ran(report) -> None:
    assert report.data["client_version"] == "3.1.0"
    assert sorted(report.data["steps"]) == sorted([
        "dates_round_trip", "immutable_attributes", "hierarchical_custom_attribute",
        "server_location_components", "thumbnail_and_encode_media",
        "notes_replies_recipients_categories", "timer_and_timelogs",
        "assignments_lists_memberships", "project_schema_helpers", "cascading_delete",
        "remote_actions", "event_hub_round_trip", "custom_attribute_types",
        "ensure_with_typed_values", "custom_attributes_on_every_owner",
        "documented_note_examples", "documented_configuration_job_and_thumbnail_examples",
        "documented_encode_media_example",
        "documented_metadata_web_review_and_role_examples"])


def test_dates_are_stored_in_utc_and_compared_in_queries(report) -> None:
    values = report.step("dates_round_trip")
    assert values["start_utc"] == "2024-01-02T01:04:05+00:00"
    assert values["end_utc"] == "2024-03-04T05:06:07+00:00"
    assert values["start_type"] == "Arrow"
    assert values["after"] == ["dated_b"]
    assert values["before"] == ["dated_a"]


def test_immutable_attributes_are_refused(report) -> None:
    values = report.step("immutable_attributes")
    assert values["local"] == "ImmutableAttributeError"
    assert "ValidationError" in values["server"]
    assert "immutable attribute Task.id" in values["server"]
    assert values["still_there"] == "imm"


def test_hierarchical_custom_attribute_is_inherited(report) -> None:
    values = report.step("hierarchical_custom_attribute")
    assert values["project_value"] == 25.0
    assert values["task_value"] == 25.0
    assert values["task_value_after_shot"] == 30.0
    assert values["project_value_after_shot"] == 25.0


def test_components_upload_to_and_download_from_the_server_location(report) -> None:
    values = report.step("server_location_components")
    assert values["component_type"] == "FileComponent"
    assert values["name"] == "plate"
    assert values["size"] == values["fresh_size"] == len(b"official client upload\n" * 10)
    assert values["file_type"] == ".txt"
    assert values["downloaded_ok"] is True
    assert values["availability_server"] == 100.0
    assert values["locations"] == values["fresh_locations"] == ["ftrack.server"]


def test_thumbnail_and_encode_media(report) -> None:
    values = report.step("thumbnail_and_encode_media")
    assert values["thumbnail_id_ok"] is True
    assert values["job_type"] == "Job"
    assert values["job_status"] == "done"
    assert values["outputs"] == ["image/jpeg", "video/mp4"]
    assert values["job_components"] == 2
    assert values["version_components"] == ["ftrackreview-mp4", "thumbnail"]


def test_notes_with_replies_recipients_and_a_category_label(report) -> None:
    values = report.step("notes_replies_recipients_categories")
    assert values["content"] == "Main note"
    assert values["labels"] == ["Internal"]
    assert values["recipients"] == [True]
    assert values["replies"] == ["A reply"]
    assert values["reply_in_reply_to_ok"] is True
    assert values["shot_notes"] == ["Main note"]


def test_one_timer_per_user_and_timelogs(report) -> None:
    values = report.step("timer_and_timelogs")
    assert values["second_start_error"] == "NotUniqueError"
    assert values["timelog_comment"] == "forced"
    assert values["timelog_count"] == 3
    assert values["durations"] == [True, True, True]
    assert values["manual_duration"] == 3600
    assert values["timers_left"] == 0


def test_assignments_lists_and_memberships(report) -> None:
    values = report.step("assignments_lists_memberships")
    assert values["assigned"] == ["assigned"]
    assert values["task_assignments"] == [True]
    assert values["group_members"] == ["admin"]
    assert values["list_items"] == ["assigned"]
    assert values["list_type"] == "TypedContextList"


def test_project_schema_helpers(report) -> None:
    values = report.step("project_schema_helpers")
    assert values["task_statuses"] == ["Not started", "Ready to start", "In Progress",
                                       "On Hold", "Pending Review", "Approved", "Completed",
                                       "Omitted"]
    assert values["task_types"] == 17
    assert values["version_statuses"] == ["Approved", "In Progress", "Not started", "Omitted",
                                          "On Hold", "Pending Review"]
    assert values["shot_statuses"] == ["Not started", "In Progress", "On Hold", "Completed",
                                       "Omitted"]
    assert values["shot_types"] == ["Generic"]


def test_deleting_a_shot_deletes_its_tasks(report) -> None:
    assert report.step("cascading_delete") == {"shot": None, "task": None}


def test_remote_actions_and_strict_mode(report) -> None:
    values = report.step("remote_actions")
    assert values["widget_url_is_url"] is True
    assert values["widget_get"] == 200
    assert values["api_key_reset"] is True
    assert values["strict_error"] == "ServerError"


def test_event_hub_round_trip_with_reply(report) -> None:
    values = report.step("event_hub_round_trip")
    assert values["connected"] is True
    assert values["received"] == [42]
    assert values["replies"] == [{"echo": 42}]


def test_custom_attribute_types_round_trip(report) -> None:
    values = report.step("custom_attribute_types")
    assert values["defaults"] == {"ca_text": "none yet", "ca_bool": False, "ca_enum": []}
    assert values["text"] == u"h\u00e9llo"
    assert values["bool"] is True
    assert values["date_utc"] == "2024-01-02T01:04:05+00:00"
    assert values["enum"] == ["a", "b"]


def test_ensure_with_boolean_and_datetime_values(report) -> None:
    values = report.step("ensure_with_typed_values")
    assert values["same_user"] is True
    assert values["same_timelog"] is True
    assert values["timelog_count"] == 1


def test_custom_attributes_on_every_owner_type(report) -> None:
    values = report.step("custom_attributes_on_every_owner")
    assert values["Asset"] == {"n_asset": 5}
    assert values["AssetVersion"] == {"n_assetversion": 6}
    assert values["User"] == {"n_user": 7}
    assert values["Project"]["n_show"] == 8
    assert values["TypedContextList"] == {"n_list": 9}


def test_documented_note_examples(report) -> None:
    values = report.step("documented_note_examples")
    assert values["parent_ok"] is True
    assert values["parent_type"] == "Task"
    assert values["task_notes"] == ["manual note", "with group"]
    assert values["replies"] == ["manual reply"]
    assert values["labels"] == ["External"]
    assert values["attachments"] == ["attachment"]
    assert values["recipient_types"] == ["Group", "User"]
    assert values["by_parent_id"] == 2


def test_documented_configuration_job_and_thumbnail_examples(report) -> None:
    values = report.step("documented_configuration_job_and_thumbnail_examples")
    assert values["folder_config"] == 1  # created without a "config"
    assert values["date_default"] == "2018-01-01T00:00:00+00:00"
    assert values["scoped_project"] is None
    assert values["job"] == ["done", "My custom job."]
    assert values["job_attachments"] == ["job log"]
    assert values["task_thumbnail"] is True
    assert values["shot_thumbnail"] is True


def test_security_roles_of_a_configuration_are_kept(report) -> None:
    """Many-to-many collections without a link type in the schema are stored too."""
    values = report.step("documented_configuration_job_and_thumbnail_examples")
    assert values["roles"] == [["Administrator"], ["Administrator"]]
    assert values["roles_after_update"] == [["Administrator", "User"], []]


def test_documented_encode_media_example(report) -> None:
    values = report.step("documented_encode_media_example")
    # Every output reported in ftrack.server can be downloaded from it.
    assert values["downloads"] == {"video/mp4": 200, "image/jpeg": 200}
    assert values["components"] == ["ftrackreview-mp4", "thumbnail"]
    assert values["thumbnail_set"] is True


def test_documented_metadata_web_review_and_role_examples(report) -> None:
    values = report.step("documented_metadata_web_review_and_role_examples")
    # Assigning a dict replaces all metadata.
    assert values["metadata"] == {"frame_padding": "4"}
    assert values["metadata_has"] == 1
    assert values["ftr_meta_frame_out"] == 150
    assert values["project_roles"] == ["Administrator", "Project Manager", "User"]
