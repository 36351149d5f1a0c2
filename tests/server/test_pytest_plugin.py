"""The pytest plugin gives user test suites a server and a session."""
from __future__ import annotations

import subprocess
import sys


def test_plugin_fixtures(tmp_path) -> None:
    (tmp_path / "test_user_pipeline.py").write_text(
        "def test_pipeline(ftrack_session, ftrack_server):\n"
        "    assert ftrack_server.url.startswith('http://127.0.0.1:')\n"
        "    schema = ftrack_session.query('ProjectSchema').first()\n"
        "    project = ftrack_session.create('Project', {'name': 'p', 'full_name': 'P',\n"
        "                                               'project_schema': schema})\n"
        "    ftrack_session.commit()\n"
        "    assert ftrack_session.query('Project where name is p').one()['id'] == project['id']\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "ftrack_api.testing.pytest_plugin",
         "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
