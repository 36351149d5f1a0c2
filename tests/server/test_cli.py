"""``python -m ftrack_api.testing serve``: banner, persistence, clean shutdown, errors."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from typing import Dict, List

import pytest
import requests


def start(args: List[str], env: Dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ftrack_api.testing", "serve", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def banner(proc: subprocess.Popen) -> Dict[str, str]:
    values = {}
    for _ in range(3):
        line = proc.stdout.readline().strip()
        name, _, value = line.partition("=")
        values[name] = value
    return values


@pytest.fixture
def env(tmp_path) -> Dict[str, str]:
    environ = dict(os.environ)
    environ["XDG_DATA_HOME"] = str(tmp_path / "data")
    environ["HOME"] = str(tmp_path)
    return environ


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_prints_banner_and_stops_cleanly(env, tmp_path, sig) -> None:
    db = str(tmp_path / "cli.sqlite")
    proc = start(["--database", db, "--api-user", "jenkins"], env)
    try:
        values = banner(proc)
        assert list(values) == ["FTRACK_SERVER", "FTRACK_API_USER", "FTRACK_API_KEY"]
        assert values["FTRACK_SERVER"].startswith("http://127.0.0.1:")
        assert values["FTRACK_API_USER"] == "jenkins" and len(values["FTRACK_API_KEY"]) >= 32
        reply = requests.post(values["FTRACK_SERVER"] + "/api", json=[
            {"action": "query", "expression": "select username from User"}],
            headers={"ftrack-user": "jenkins", "ftrack-api-key": values["FTRACK_API_KEY"]},
            timeout=30)
        assert "jenkins" in [u["username"] for u in reply.json()[0]["data"]]
    finally:
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 0
    # A restart without --api-key keeps the key remembered by the file database.
    again = start(["--database", db, "--api-user", "jenkins"], env)
    try:
        assert banner(again)["FTRACK_API_KEY"] == values["FTRACK_API_KEY"]
    finally:
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=30) == 0


def test_default_database_lives_in_user_data_dir(env, tmp_path) -> None:
    proc = start(["--api-key", "fixed-key"], env)
    try:
        assert banner(proc)["FTRACK_API_KEY"] == "fixed-key"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    found = [os.path.join(root, f) for root, _d, files in os.walk(tmp_path) for f in files
             if f.endswith(".sqlite")]
    assert any("openftrack-api" in path for path in found), found


def test_bad_schema_file_is_a_clear_error(env, tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    for path, fragment in ((str(bad), "not valid JSON"), (str(tmp_path / "missing.json"),
                                                          "Cannot read schema file")):
        proc = start(["--database", ":memory:", "--schemas", path], env)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 2 and fragment in err and "Traceback" not in err


def test_port_in_use_is_a_clear_error(env) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = start(["--database", ":memory:", "--port", str(port)], env)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "Choose another --port" in err and "Traceback" not in err
    assert out == ""


def test_help_texts() -> None:
    out = subprocess.run([sys.executable, "-m", "ftrack_api.testing", "serve", "--help"],
                         capture_output=True, text=True, timeout=60).stdout
    for option in ("--host", "--port", "--database", "--schemas", "--api-user", "--api-key"):
        assert option in out
    assert "FTRACK_SERVER" in out


def test_unusable_database_path_is_a_clear_error(env, tmp_path) -> None:
    proc = start(["--database", str(tmp_path / "missing-dir" / "db.sqlite")], env)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "Cannot open the database" in err and "Traceback" not in err
