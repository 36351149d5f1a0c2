"""The README's main job: ``python -m ftrack_api.testing demo`` runs end to end."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest


def run_demo(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FTRACK_")}
    return subprocess.run(
        [sys.executable, "-m", "ftrack_api.testing", "demo", *args],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )


def assert_report(stdout: str) -> None:
    assert "Project 'demo_" in stdout
    assert "Sequence sq010" in stdout
    assert "Shot sh010: Opening shot" in stdout
    assert "Task compositing [Compositing] status=In Progress" in stdout
    assert "Note by " in stdout and "Please check the edges around frame 1012." in stdout
    assert "Asset sh010_comp" in stdout
    assert "v001 (compositing): First comp pass" in stdout
    assert "v002 (compositing): Fixed the edge matte on frame 1012" in stdout
    assert "Demo finished successfully." in stdout


def test_demo_on_default_schemas() -> None:
    completed = run_demo()
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert_report(completed.stdout)


def test_demo_on_real_ftrack_schemas(real_schemas_path) -> None:
    completed = run_demo("--schemas", str(real_schemas_path))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert_report(completed.stdout)
    assert str(real_schemas_path) in completed.stdout


def test_demo_with_missing_schema_file_explains_the_problem(tmp_path) -> None:
    completed = run_demo("--schemas", str(tmp_path / "nope.json"))
    assert completed.returncode != 0
    assert "nope.json" in completed.stderr
    assert "Traceback" not in completed.stderr


@pytest.mark.parametrize("command", ["demo", "serve"])
def test_missing_server_extra_tells_how_to_install_it(command) -> None:
    code = (
        "import sys; sys.modules['aiohttp'] = None\n"  # as if the extra were not installed
        "from ftrack_api.testing.__main__ import main\n"
        f"sys.exit(main([{command!r}]))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 2
    assert "pip install -e '.[server]'" in completed.stderr
    assert "Traceback" not in completed.stderr
