"""Scripts written for the official client run unchanged on this client.

The fidelity scenarios in ``tests/official/scenarios`` (written against the
official client 3.1.0) are executed with *this* package's interpreter against
the local server; every step must succeed.
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

SCENARIOS = pathlib.Path(__file__).resolve().parents[1] / "official" / "scenarios"


def run(script, server, cache_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FTRACK_")}
    env.update(
        FTRACK_SERVER=server.url,
        FTRACK_API_USER=server.api_user,
        FTRACK_API_KEY=server.api_key,
        FTRACK_API_SCHEMA_CACHE_PATH=str(cache_dir),
    )
    completed = subprocess.run(
        [sys.executable, str(SCENARIOS / script)],
        env=env, cwd=str(cache_dir), capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    assert lines, completed.stdout[-3000:] + completed.stderr[-3000:]
    return json.loads(lines[-1])


@pytest.mark.parametrize(
    "script", ["official_scenario.py", "official_extended.py", "official_robustness.py", "official_more.py"]
)
def test_official_scenario_runs_on_this_client(script, local_server, tmp_path):
    if not (SCENARIOS / script).exists():
        pytest.skip("scenario {0} not present".format(script))
    if "import arrow" in (SCENARIOS / script).read_text():
        pytest.importorskip("arrow")  # the script itself uses arrow (a test extra)
    report = run(script, local_server, tmp_path)
    assert pathlib.Path(report["client_file"]).resolve().parent == (
        pathlib.Path(__file__).resolve().parents[2] / "ftrack_api"
    )
    failed = {name: step.get("error") for name, step in report["steps"].items() if not step["ok"]}
    assert failed == {}
    assert len(report["steps"]) >= 7


def test_official_scenario_on_real_schemas(real_schema_server, tmp_path):
    report = run("official_scenario.py", real_schema_server, tmp_path)
    assert {name for name, step in report["steps"].items() if not step["ok"]} == set()
    assert report["steps"]["session_construction"]["values"]["type_count"] == 116
