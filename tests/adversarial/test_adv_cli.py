"""``python -m ftrack_api.testing``: hostile arguments, signals, persistence."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Dict, List

import pytest
import requests

import ftrack_api


def serve(args: List[str], env: Dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ftrack_api.testing", "serve", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def read_banner(proc: subprocess.Popen) -> Dict[str, str]:
    values = {}
    for _ in range(3):
        name, _, value = proc.stdout.readline().strip().partition("=")
        values[name] = value
    assert list(values) == ["FTRACK_SERVER", "FTRACK_API_USER", "FTRACK_API_KEY"], values
    return values


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> str:
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err
    return err


def call(values: Dict[str, str], body):
    return requests.post(values["FTRACK_SERVER"] + "/api", json=body, timeout=30, headers={
        "ftrack-user": values["FTRACK_API_USER"], "ftrack-api-key": values["FTRACK_API_KEY"]}).json()


@pytest.fixture
def env(tmp_path) -> Dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("FTRACK_")}
    environ["XDG_DATA_HOME"] = str(tmp_path / "data")
    environ["HOME"] = str(tmp_path)
    return environ


@pytest.mark.parametrize("args, fragment", [
    (["--port", "abc"], "--port"),
    (["--port", "99999"], "port"),
    (["--port", "-1"], "port"),
    (["--api-user", ""], "api_user"),
    (["--database"], "--database"),
    (["--no-such-option"], "no-such-option"),
])
def test_bad_arguments_are_clear_errors(env, args, fragment):
    proc = serve(args, env)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert fragment in err
    assert "Traceback" not in err
    assert out == ""  # no banner for a server that never ran


@pytest.mark.parametrize("kind", ["directory", "not-sqlite"])
def test_unusable_database_files_are_clear_errors(env, tmp_path, kind):
    path = tmp_path / "db"
    if kind == "directory":
        path.mkdir()
    else:
        path.write_text("this is not an SQLite database, just some text " * 20)
    proc = serve(["--database", str(path)], env)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert str(path) in err and "Traceback" not in err
    assert out == ""


def test_missing_or_unknown_command(env):
    for args in ([], ["bogus"]):
        proc = subprocess.run([sys.executable, "-m", "ftrack_api.testing", *args], env=env,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2
        assert "serve" in proc.stderr and "Traceback" not in proc.stderr


def test_help_reads_well(env):
    top = subprocess.run([sys.executable, "-m", "ftrack_api.testing", "--help"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert top.returncode == 0
    assert "serve" in top.stdout and "demo" in top.stdout
    sub = subprocess.run([sys.executable, "-m", "ftrack_api.testing", "serve", "--help"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert sub.returncode == 0
    text = sub.stdout
    for option in ("--host", "--port", "--database", "--schemas", "--api-user", "--api-key"):
        line = next(line for line in text.splitlines() if line.strip().startswith(option))
        assert line  # each option is documented on its own line
    assert ":memory:" in text
    assert "Traceback" not in sub.stderr


def test_file_database_keeps_data_and_key_across_restarts(env, tmp_path):
    database = str(tmp_path / "keep.sqlite")
    first = serve(["--database", database], env)
    try:
        values = read_banner(first)
        created = call(values, [{"action": "create", "entity_type": "Priority",
                                 "entity_data": {"name": "survives", "value": 42}}])
        key = created[0]["data"]["id"]
    finally:
        stop(first)
    second = serve(["--database", database], env)
    try:
        again = read_banner(second)
        assert again["FTRACK_API_KEY"] == values["FTRACK_API_KEY"]
        rows = call(again, [{"action": "query", "expression": 'select name, value from Priority where id is "{0}"'.format(key)}])
        assert rows[0]["data"][0]["name"] == "survives" and rows[0]["data"][0]["value"] == 42
    finally:
        stop(second)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stops_cleanly_with_a_connected_event_hub_and_a_session(env, tmp_path, sig):
    proc = serve(["--database", ":memory:"], env)
    session = None
    try:
        values = read_banner(proc)
        session = ftrack_api.Session(server_url=values["FTRACK_SERVER"], api_key=values["FTRACK_API_KEY"],
                                     api_user=values["FTRACK_API_USER"], auto_connect_event_hub=True,
                                     schema_cache_path=str(tmp_path))
        assert session.event_hub.wait_until_connected(10)
        assert session.query("User").first() is not None
    finally:
        stop(proc, sig)
        if session is not None:
            session.close()


def test_two_interrupts_in_a_row(env):
    proc = serve(["--database", ":memory:"], env)
    read_banner(proc)
    proc.send_signal(signal.SIGINT)
    try:
        proc.send_signal(signal.SIGINT)
    except ProcessLookupError:
        pass
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err


@pytest.mark.parametrize("content", [None, "{not json", '{"id": "Project"}', "[1, 2]"])
def test_demo_with_a_bad_schema_file_is_a_clear_error(env, tmp_path, content):
    path = tmp_path / "schemas.json"
    if content is not None:
        path.write_text(content)
    proc = subprocess.run([sys.executable, "-m", "ftrack_api.testing", "demo", "--schemas", str(path)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert str(path) in proc.stderr
    assert "Traceback" not in proc.stderr
