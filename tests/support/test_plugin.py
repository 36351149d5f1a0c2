"""Tests for ftrack_api.plugin with real plugin files on disk."""
from __future__ import annotations

import logging
import pathlib
import sys
import textwrap

import pytest

from ftrack_api.plugin import discover, load_source

RECORDER = "ftrack_plugin_test_calls"


@pytest.fixture
def calls(monkeypatch):
    """A list plugins append to (reached through a module in sys.modules)."""
    import types

    module = types.ModuleType(RECORDER)
    module.calls = []
    monkeypatch.setitem(sys.modules, RECORDER, module)
    return module.calls


def write_plugin(directory: pathlib.Path, name: str, body: str) -> pathlib.Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(body))
    return path


RECORDING_HEADER = f"import {RECORDER} as _recorder\n"


def test_register_receives_only_accepted_keywords_and_warning_names_dropped(
    tmp_path, calls, caplog
):
    path = write_plugin(
        tmp_path,
        "plugin_a.py",
        RECORDING_HEADER
        + """
def register(session, a=None):
    _recorder.calls.append(("a", session, a))
""",
    )
    with caplog.at_level(logging.WARNING, logger="ftrack_api.plugin"):
        discover([str(tmp_path)], ["SESSION"], {"a": 1, "b": 2})
    assert calls == [("a", "SESSION", 1)]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert str(path) in message
    assert "b" in message.split("argument(s)")[1]
    assert " a" not in message.split("argument(s)")[1]


def test_broken_plugins_are_logged_and_skipped(tmp_path, calls, caplog):
    broken_import = write_plugin(tmp_path, "a_broken.py", "raise RuntimeError('boom at import')\n")
    syntax = write_plugin(tmp_path, "b_syntax.py", "def register(:\n")
    raising = write_plugin(
        tmp_path,
        "c_raising.py",
        "def register(session):\n    raise ValueError('boom in register')\n",
    )
    no_register = write_plugin(tmp_path, "d_empty.py", "VALUE = 1\n")
    write_plugin(
        tmp_path,
        "e_good.py",
        RECORDING_HEADER + "def register(session):\n    _recorder.calls.append(session)\n",
    )
    with caplog.at_level(logging.DEBUG, logger="ftrack_api.plugin"):
        discover([str(tmp_path)], ["S"])
    assert calls == ["S"]

    by_path = {}
    for record in caplog.records:
        for path in (broken_import, syntax, raising, no_register):
            if str(path) in record.getMessage():
                by_path[path] = record
    assert set(by_path) == {broken_import, syntax, raising, no_register}
    assert by_path[broken_import].levelno == logging.ERROR
    assert by_path[broken_import].exc_info[1].args == ("boom at import",)
    assert isinstance(by_path[syntax].exc_info[1], SyntaxError)
    assert by_path[raising].levelno == logging.ERROR
    assert str(by_path[raising].exc_info[1]) == "boom in register"
    assert "boom in register" in caplog.text  # traceback rendered in the log
    assert by_path[no_register].levelno == logging.WARNING
    assert "no register" in by_path[no_register].getMessage()


def test_plugins_in_sub_folders_are_found_in_sorted_order(tmp_path, calls):
    for relative in ("z_top.py", "sub/m_middle.py", "sub/deeper/a_deep.py"):
        target = tmp_path / relative
        write_plugin(
            target.parent,
            target.name,
            RECORDING_HEADER
            + f"def register(session):\n    _recorder.calls.append({target.stem!r})\n",
        )
    write_plugin(tmp_path / "sub", "notes.txt", "not python")
    discover([str(tmp_path)], ["S"])
    assert calls == ["z_top", "m_middle", "a_deep"]


def test_paths_are_stripped_and_empty_ones_skipped(tmp_path, calls, caplog):
    write_plugin(
        tmp_path,
        "p.py",
        RECORDING_HEADER + "def register(*args, **kwargs):\n    _recorder.calls.append((args, kwargs))\n",
    )
    with caplog.at_level(logging.WARNING, logger="ftrack_api.plugin"):
        discover(["", "   ", f"  {tmp_path}  "], [1, 2], {"x": 3})
    assert calls == [((1, 2), {"x": 3})]
    assert caplog.records == []


def test_string_paths_are_split_on_pathsep(tmp_path, calls):
    import os

    one, two = tmp_path / "one", tmp_path / "two"
    for folder in (one, two):
        write_plugin(
            folder,
            f"{folder.name}.py",
            RECORDING_HEADER
            + f"def register(session):\n    _recorder.calls.append({folder.name!r})\n",
        )
    discover(f"{one}{os.pathsep}{two}", ["S"])
    assert calls == ["one", "two"]


def test_missing_path_is_reported(tmp_path, caplog):
    missing = tmp_path / "nowhere"
    with caplog.at_level(logging.WARNING, logger="ftrack_api.plugin"):
        discover([str(missing)])
    assert str(missing) in caplog.text


def test_extra_positional_arguments_are_trimmed_from_the_end(tmp_path, calls, caplog):
    """Unlike the official client the *leading* arguments are passed."""
    path = write_plugin(
        tmp_path,
        "p.py",
        RECORDING_HEADER
        + "def register(session):\n    _recorder.calls.append(session)\n",
    )
    with caplog.at_level(logging.WARNING, logger="ftrack_api.plugin"):
        discover([str(tmp_path)], ["first", "second"])
    assert calls == ["first"]
    assert str(path) in caplog.text
    assert "positional" in caplog.text


def test_register_without_parameters_is_called(tmp_path, calls):
    write_plugin(
        tmp_path,
        "p.py",
        RECORDING_HEADER + "def register():\n    _recorder.calls.append('called')\n",
    )
    discover([str(tmp_path)], ["session"], {"a": 1})
    assert calls == ["called"]


def test_keyword_only_and_required_keyword_parameters_are_filled(tmp_path, calls):
    write_plugin(
        tmp_path,
        "p.py",
        RECORDING_HEADER
        + "def register(session, a, *, c):\n    _recorder.calls.append((session, a, c))\n",
    )
    discover([str(tmp_path)], ["S"], {"a": 1, "c": 3, "session": "dup"})
    assert calls == [("S", 1, 3)]


def test_each_plugin_gets_its_own_module(tmp_path, calls):
    for folder in ("one", "two"):
        write_plugin(
            tmp_path / folder,
            "same_name.py",
            RECORDING_HEADER
            + f"NAME = {folder!r}\n"
            "def register(session):\n"
            "    _recorder.calls.append((NAME, __name__))\n",
        )
    discover([str(tmp_path)], ["S"])
    assert [name for name, _ in calls] == ["one", "two"]
    module_names = [module for _, module in calls]
    assert module_names[0] != module_names[1]
    assert not any(name in sys.modules for name in module_names)


def test_discover_rejects_bad_keyword_arguments(tmp_path):
    with pytest.raises(TypeError, match="mapping"):
        discover([str(tmp_path)], [], [("a", 1)])  # type: ignore[arg-type]


def test_load_source_returns_module(tmp_path):
    path = write_plugin(tmp_path, "thing.py", "VALUE = 42\nfrom dataclasses import dataclass\n@dataclass\nclass D:\n    x: int = 1\n")
    module = load_source("my_loaded_module", str(path))
    assert module.VALUE == 42
    assert module.__name__ == "my_loaded_module"
    assert module.D().x == 1
    assert "my_loaded_module" not in sys.modules
    with pytest.raises(FileNotFoundError):
        load_source("other", str(tmp_path / "missing.py"))
