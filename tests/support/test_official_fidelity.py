"""The support modules against the OFFICIAL client, on the same local-server data."""
from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess

import pytest

import ftrack_api.formatter as formatter
from ftrack_api.structure.id import IdStructure

SCRIPT = pathlib.Path(__file__).resolve().parent / "scripts" / "official_support.py"

# Collection and proxy reprs belong to the client helpers and carry addresses.
_COLLECTION_VALUE = re.compile(r"^(\s*\w+: )<[^\n]*Collection[^\n]*$", re.MULTILINE)


def _normalise(text: str) -> str:
    return _COLLECTION_VALUE.sub(r"\1<collection>", text)


@pytest.fixture
def local_server():
    """A server of its own: recursive formatting walks everything reachable, so the
    data must not grow with the rest of the suite."""
    from ftrack_api.testing import LocalServer

    with LocalServer(database=":memory:") as server:
        yield server


@pytest.fixture
def session(local_server, tmp_path):
    with local_server.session(schema_cache_path=str(tmp_path / "setup")) as s:
        yield s


def test_formatter_and_id_structure_match_the_official_client(
    official_python, local_server, session, tmp_path, monkeypatch
):
    monkeypatch.setenv("NO_COLOR", "1")
    schema = session.query("ProjectSchema").first()
    project = session.create(
        "Project", {"name": "fidelity", "full_name": "Fidelity", "project_schema": schema}
    )
    sequence = session.create("Sequence", {"name": "sq01", "parent": project})
    shot = session.create("Shot", {"name": "sh010", "parent": sequence})
    asset = session.create(
        "Asset", {"name": "Hero", "parent": shot, "type": session.query("AssetType").first()}
    )
    version = session.create("AssetVersion", {"asset": asset, "version": 2, "comment": "first"})
    component = session.create("FileComponent", {"name": "main", "file_type": ".exr", "version": version})
    session.commit()

    env = {k: v for k, v in os.environ.items() if not k.startswith(("FTRACK_", "PYTHON"))}
    env.update(
        FTRACK_SERVER=local_server.url,
        FTRACK_API_USER=local_server.api_user,
        FTRACK_API_KEY=local_server.api_key,
        FTRACK_API_SCHEMA_CACHE_PATH=str(tmp_path / "official-cache"),
        NO_COLOR="1",
        PYTHONNOUSERSITE="1",
    )
    result = subprocess.run(
        [str(official_python), str(SCRIPT), version["id"], component["id"], asset["id"]],
        env=env,
        cwd=str(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    official = json.loads(result.stdout)

    fresh = local_server.session(schema_cache_path=str(tmp_path / "ours"))
    try:
        ours = {
            "version": formatter.format(
                fresh.get("AssetVersion", version["id"]),
                attribute_filter=formatter.FILTER["ignore_unset"],
            ),
            "asset_recursive": formatter.format(fresh.get("Asset", asset["id"]), recursive=True),
            "asset": formatter.format(fresh.get("Asset", asset["id"])),
            "id_structure": IdStructure().get_resource_identifier(
                fresh.get("FileComponent", component["id"])
            ),
        }
    finally:
        fresh.close()
    for key in official:
        assert _normalise(ours[key]) == _normalise(official[key]), key
