"""Shared fixtures: every test talks to a real local server over real HTTP."""
from __future__ import annotations

import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]


def _shared_dir() -> pathlib.Path:
    override = os.environ.get("FTRACK_SHARED_DIR")
    if override:
        return pathlib.Path(override)
    return REPO.parent / "shared"


SHARED = _shared_dir()
FIXTURES = SHARED / "fixtures"
REAL_SCHEMAS = FIXTURES / "ftrack_schemas.json"


@pytest.fixture(scope="session")
def fixtures_dir() -> pathlib.Path:
    """The read-only reference fixtures in ``../shared/fixtures``."""
    if not FIXTURES.is_dir():
        pytest.fail(f"Reference fixtures not found at {FIXTURES}; set FTRACK_SHARED_DIR.")
    return FIXTURES


@pytest.fixture(scope="session")
def real_schemas_path(fixtures_dir: pathlib.Path) -> pathlib.Path:
    return fixtures_dir / "ftrack_schemas.json"


@pytest.fixture(autouse=True)
def _clean_ftrack_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory) -> None:
    """No test sees the developer's FTRACK_* variables or schema cache."""
    for name in list(os.environ):
        if name.startswith("FTRACK_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(
        "FTRACK_API_SCHEMA_CACHE_PATH", str(tmp_path_factory.mktemp("schema-cache"))
    )


@pytest.fixture(scope="session")
def local_server():
    """One local server (default schema set, in-memory SQLite) for the whole run."""
    from ftrack_api.testing import LocalServer

    with LocalServer(database=":memory:") as server:
        yield server


@pytest.fixture(scope="session")
def real_schema_server(real_schemas_path: pathlib.Path):
    """A local server serving the 116 real ftrack schemas."""
    from ftrack_api.testing import LocalServer

    with LocalServer(database=":memory:", schemas=str(real_schemas_path)) as server:
        yield server


@pytest.fixture
def session(local_server, tmp_path):
    """A fresh client Session bound to the shared local server."""
    s = local_server.session(schema_cache_path=str(tmp_path))
    try:
        yield s
    finally:
        s.close()



@pytest.fixture
def new_session(local_server, tmp_path):
    """Factory of extra sessions bound to the shared local server (closed at teardown)."""
    made = []

    def factory(**kwargs):
        kwargs.setdefault("schema_cache_path", str(tmp_path))
        made.append(local_server.session(**kwargs))
        return made[-1]

    yield factory
    for made_session in made:
        made_session.close()

OFFICIAL_VERSION = "3.1.0"


def _official_venv_python() -> pathlib.Path:
    """Return a Python that has the official client, building its venv if needed.

    The official client lives in a virtual environment of its own
    (``.venv-official`` in the checkout, or ``FTRACK_OFFICIAL_VENV``): it installs the
    same ``ftrack_api`` package name as this project, so the two never share one.
    """
    import subprocess
    import venv

    root = pathlib.Path(os.environ.get("FTRACK_OFFICIAL_VENV", REPO / ".venv-official"))
    python = root / "bin" / "python"
    marker = root / f".ftrack-python-api-{OFFICIAL_VERSION}"
    if marker.exists() and python.exists():
        return python
    if python.exists():
        probe = subprocess.run(
            [str(python), "-c", "import importlib.metadata as m; print(m.version('ftrack-python-api'))"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == OFFICIAL_VERSION:
            marker.write_text(OFFICIAL_VERSION)
            return python
    venv.EnvBuilder(with_pip=True, clear=True).create(root)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"ftrack-python-api=={OFFICIAL_VERSION}"],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    marker.write_text(OFFICIAL_VERSION)
    return python


@pytest.fixture(scope="session")
def official_python() -> pathlib.Path:
    """Path of a Python interpreter with ``ftrack-python-api`` 3.1.0 installed.

    In CI (``CI=true``) a failure to build it fails the test; elsewhere, for example on
    an offline laptop, the tests that need it are skipped with the reason.
    """
    try:
        return _official_venv_python()
    except Exception as error:  # noqa: BLE001 - reported to the user verbatim
        detail = getattr(error, "stderr", "") or str(error)
        message = f"could not install ftrack-python-api {OFFICIAL_VERSION}: {detail}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
