"""Tests for ftrack_api.formatter with duck-typed entities."""
from __future__ import annotations

import io
import sys
from collections.abc import Mapping

import pytest
import termcolor

import ftrack_api.formatter as formatter
from ftrack_api.formatter import FILTER, format
from ftrack_api.symbol import NOT_SET


class FakeEntity(Mapping):
    """A plain mapping with an entity_type, like an entity."""

    def __init__(self, entity_type, data):
        self.entity_type = entity_type
        self._data = dict(data)

    def __getitem__(self, key):
        return self._data[key]

    def __setitem__(self, key, value):
        self._data[key] = value

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)


class FakeCollection(list):
    """List with the entity/attribute attributes of a Collection."""

    def __init__(self, items, entity=None, attribute=None):
        super().__init__(items)
        self.entity = entity
        self.attribute = attribute

    def __repr__(self):
        return f"<Collection {len(self)}>"


@pytest.fixture
def no_colours(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")


PLAIN = {"header": lambda text: f"[{text}]", "label": lambda text: text}


def test_plain_layout_sorted_and_indented(no_colours):
    task = FakeEntity("Task", {"name": "compositing", "id": "t1", "bid": 1.5})
    assert format(task) == "Task\n bid: 1.5\n id: t1\n name: compositing"
    assert format(task, indent=2) == "  Task\n   bid: 1.5\n   id: t1\n   name: compositing"
    assert format(task, indent=2, indent_first_line=False).startswith("Task\n   bid")


def test_custom_formatters_are_used_and_not_mutated(no_colours):
    task = FakeEntity("Task", {"name": "a"})
    mine = {"header": lambda text: f"<{text}>"}
    assert format(task, formatters=mine) == "<Task>\n name: a"
    assert list(mine) == ["header"]
    assert format(task, formatters=PLAIN) == "[Task]\n name: a"


def test_nested_entities_are_inlined_with_aligned_indent(no_colours):
    status = FakeEntity("Status", {"name": "Done"})
    task = FakeEntity("Task", {"status": status, "name": "a"})
    assert format(task) == "Task\n name: a\n status: Status\n          name: Done"
    # child indent = indent + len(name) + 3
    assert " " * (len("status") + 3 + 1) + "name: Done" in format(task)


def test_attribute_filter_ignore_unset(no_colours):
    task = FakeEntity("Task", {"name": "a", "bid": NOT_SET})
    assert format(task) == "Task\n bid: NOT_SET\n name: a"
    assert format(task, attribute_filter=FILTER["ignore_unset"]) == "Task\n name: a"
    assert format(
        task, attribute_filter=lambda entity, name, value: name == "bid"
    ) == "Task\n bid: NOT_SET"


def test_collections_expand_only_when_recursive(no_colours):
    first = FakeEntity("AssetVersion", {"version": 1})
    second = FakeEntity("AssetVersion", {"version": 2})
    asset = FakeEntity("Asset", {"versions": FakeCollection([first, second])})
    assert format(asset) == "Asset\n versions: <Collection 2>"
    expected = (
        "Asset\n"
        " versions: AssetVersion\n"
        "            version: 1\n"
        "           AssetVersion\n"
        "            version: 2"
    )
    assert format(asset, recursive=True) == expected


def test_cycles_print_a_marker(no_colours):
    shot = FakeEntity("Shot", {"name": "010"})
    task = FakeEntity("Task", {"parent": shot})
    shot["children"] = FakeCollection([task])
    rendered = format(shot, recursive=True)
    assert rendered.splitlines() == [
        "Shot",
        " children: Task",
        "            parent: Shot{...}",
        " name: 010",
    ]


def test_same_entity_twice_on_different_paths_is_rendered_twice(no_colours):
    user = FakeEntity("User", {"username": "jane"})
    note = FakeEntity("Note", {"author": user, "recipient": user})
    assert "Note\n author: User\n          username: jane\n recipient: User\n" in format(note) + "\n"
    assert "{...}" not in format(note)


def test_bad_input_is_rejected(no_colours):
    with pytest.raises(TypeError, match="entity_type"):
        format({"a": 1})
    with pytest.raises(ValueError, match="indent"):
        format(FakeEntity("Task", {}), indent=-1)
    with pytest.raises(TypeError, match="formatters"):
        format(FakeEntity("Task", {}), formatters=[1])  # type: ignore[arg-type]


def test_colours_use_termcolor_when_forced(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("ANSI_COLORS_DISABLED", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    task = FakeEntity("Task", {"name": "a"})
    header = termcolor.colored("Task", "white", "on_blue", attrs=["bold"], force_color=True)
    label = termcolor.colored("name", "blue", attrs=["bold"], force_color=True)
    assert header != "Task" and "\x1b[" in header
    assert format(task) == f"{header}\n {label}: a"


@pytest.mark.parametrize(
    "environment, isatty, term, expected",
    [
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, "xterm", False),
        ({"ANSI_COLORS_DISABLED": "1"}, True, "xterm", False),
        ({"FORCE_COLOR": "1"}, False, "dumb", True),
        ({}, True, "xterm", True),
        ({}, True, "dumb", False),
        ({}, False, "xterm", False),
    ],
)
def test_colour_detection(monkeypatch, environment, isatty, term, expected):
    for name in ("NO_COLOR", "ANSI_COLORS_DISABLED", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TERM", term)

    class Stream(io.StringIO):
        def isatty(self):
            return isatty

    monkeypatch.setattr(sys, "stdout", Stream())
    assert formatter._can_do_colors() is expected
    rendered = format(FakeEntity("Task", {"name": "a"}))
    assert ("\x1b[" in rendered) is expected


def test_closed_stdout_means_no_colours(monkeypatch):
    for name in ("NO_COLOR", "ANSI_COLORS_DISABLED", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm")
    stream = io.StringIO()
    stream.close()
    monkeypatch.setattr(sys, "stdout", stream)
    assert formatter._can_do_colors() is False
    monkeypatch.setattr(sys, "stdout", None)
    assert formatter._can_do_colors() is False


def test_dates_print_in_iso_format(no_colours):
    import datetime

    moment = datetime.datetime(2023, 10, 10, 14, 50, 34, tzinfo=datetime.timezone.utc)
    entity = FakeEntity("Task", {"created_at": moment, "start": datetime.date(2023, 10, 10)})
    assert format(entity) == "Task\n created_at: 2023-10-10T14:50:34+00:00\n start: 2023-10-10"
