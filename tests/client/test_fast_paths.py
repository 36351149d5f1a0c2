"""Behaviour kept by the client's fast paths (shared parsed datetimes, inline construction)."""
from __future__ import annotations

import datetime
import time

import pytest

import ftrack_api.exception
from ftrack_api import _codec


def test_parsed_datetimes_are_equal_for_equal_text_and_immutable() -> None:
    first = _codec.parse_datetime("2026-01-02T03:04:05")
    second = _codec.parse_datetime("2026-01-02T03:04:05")
    assert first == second == datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    assert _codec.parse_datetime("2026-01-02T03:04:06") != first
    with pytest.raises(AttributeError):
        first.note = "x"  # type: ignore[attr-defined]
    for _ in range(2):  # a bad value is never remembered
        with pytest.raises(ValueError):
            _codec.parse_datetime("not a date")


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="needs time.tzset")
def test_naive_values_without_timezone_support_follow_the_current_local_zone(monkeypatch) -> None:
    try:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()
        as_utc = _codec.parse_datetime("2026-06-01T12:00:00", timezone_support=False)
        monkeypatch.setenv("TZ", "Etc/GMT-2")  # two hours east of UTC
        time.tzset()
        as_east = _codec.parse_datetime("2026-06-01T12:00:00", timezone_support=False)
        assert as_utc.hour == 12 and as_east.hour == 10
    finally:
        monkeypatch.undo()
        time.tzset()


def test_created_entities_keep_values_dirty_state_and_operation(session) -> None:
    project = session.query("Project").first()
    task_type = session.query("Type").first()
    status = session.query("Status").first()
    task = session.create("Task", {"name": "fast", "parent": project, "description": None,
                                   "type": task_type, "status": status})
    assert task["name"] == "fast" and task["description"] is None
    assert task["parent"] is project
    assert task in session._dirty.values()
    operations = list(session.recorded_operations)
    assert [type(op).__name__ for op in operations][:1] == ["CreateEntityOperation"]
    assert operations[0].entity_data["name"] == "fast"
    assert "description" in operations[0].entity_data
    session.commit()
    again = session.query(f'select name, description from Task where id is "{task["id"]}"').one()
    assert again["name"] == "fast" and again["description"] is None
