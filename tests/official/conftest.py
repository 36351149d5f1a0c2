"""Fixtures for running scripts under the OFFICIAL ftrack client against a LocalServer.

Every script in ``scenarios/`` is executed by the official client's own interpreter (the
``official_python`` fixture), configured only through ``FTRACK_*`` environment variables
that point at a :class:`ftrack_api.testing.LocalServer` started in this test process. The
script prints a JSON report on stdout that the tests assert value by value.
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
from typing import Any, Dict, List, Optional

import pytest

SCENARIOS = pathlib.Path(__file__).resolve().parent / "scenarios"
SCHEMA_SETS = ("default", "real")
#: md5 of the real fixture's schema list (``protocol.md`` §4.1).
REAL_SCHEMA_HASH = "23a1157b8b1730fd91c76f63dcd67a8f"


class ScenarioReport:
    """The parsed JSON report of one scenario run, plus the run's context."""

    def __init__(self, schema_set: str, data: Dict[str, Any], server_url: str,
                 cache_dir: pathlib.Path, stderr: str, official_root: pathlib.Path) -> None:
        self.schema_set = schema_set
        self.data = data
        self.server_url = server_url
        self.cache_dir = cache_dir
        self.stderr = stderr
        self.official_root = official_root

    def step(self, name: str) -> Dict[str, Any]:
        """The values of step ``name``; fail with the step's traceback if it failed."""
        steps = self.data.get("steps", {})
        assert name in steps, f"step {name!r} did not run; steps: {sorted(steps)}"
        result = steps[name]
        if not result["ok"]:
            pytest.fail(f"[{self.schema_set} schemas] official client step {name!r} failed: "
                        f"{result['error']}\n{result['traceback']}", pytrace=False)
        return result["values"]


def official_env(server: Any, cache_dir: pathlib.Path) -> Dict[str, str]:
    """Environment for a script of the official client bound to ``server``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FTRACK_", "PYTHON")) and k != "VIRTUAL_ENV"}
    env.update(
        FTRACK_SERVER=server.url,
        FTRACK_API_USER=server.api_user,
        FTRACK_API_KEY=server.api_key,
        FTRACK_API_SCHEMA_CACHE_PATH=str(cache_dir),
        PYTHONNOUSERSITE="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def run_script(official_python: pathlib.Path, script: str, server: Any,
               cache_dir: pathlib.Path, args: Optional[List[str]] = None,
               timeout: float = 180) -> subprocess.CompletedProcess:
    """Run ``scenarios/<script>`` under the official client and return the process."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [str(official_python), str(SCENARIOS / script), *(args or [])],
        env=official_env(server, cache_dir),
        cwd=str(cache_dir),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def parse_report(completed: subprocess.CompletedProcess) -> Dict[str, Any]:
    assert completed.returncode == 0, (
        f"scenario exited with {completed.returncode}\nstdout:\n{completed.stdout}\n"
        f"stderr:\n{completed.stderr[-4000:]}")
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no JSON report on stdout:\n{completed.stdout}\n{completed.stderr[-4000:]}"
    return json.loads(lines[-1])


@pytest.fixture(scope="module", params=SCHEMA_SETS)
def schema_set(request) -> str:
    """``default`` (built-in schema set) or ``real`` (the 116 real ftrack schemas)."""
    return request.param


@pytest.fixture(scope="module")
def official_server(schema_set: str, real_schemas_path: pathlib.Path,
                    tmp_path_factory: pytest.TempPathFactory):
    """A LocalServer of its own (SQLite file database) for one schema set."""
    from ftrack_api.testing import LocalServer

    schemas = None if schema_set == "default" else str(real_schemas_path)
    directory = tmp_path_factory.mktemp(f"official-{schema_set}")
    with LocalServer(database=str(directory / "server.sqlite"), schemas=schemas) as server:
        yield server
