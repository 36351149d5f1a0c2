"""pytest fixtures for testing pipeline code against a local ftrack server.

Enable with ``pytest -p ftrack_api.testing.pytest_plugin`` or, in a top-level
``conftest.py``, ``pytest_plugins = ["ftrack_api.testing.pytest_plugin"]``.

Fixtures:

* ``ftrack_server`` (session scope): a started :class:`~ftrack_api.testing.LocalServer`
  on an in-memory database with the default schema set.
* ``ftrack_session``: a fresh ``ftrack_api.Session`` bound to ``ftrack_server`` (with its
  own schema cache directory), closed after the test.
"""
from __future__ import annotations

from typing import Any, Iterator

import pytest

from . import LocalServer

__all__ = ["ftrack_server", "ftrack_session"]


@pytest.fixture(scope="session")
def ftrack_server() -> Iterator[LocalServer]:
    """A local ftrack server shared by the whole test session."""
    with LocalServer(database=":memory:") as server:
        yield server


@pytest.fixture
def ftrack_session(ftrack_server: LocalServer, tmp_path: Any) -> Iterator[Any]:
    """An ``ftrack_api.Session`` connected to :func:`ftrack_server`."""
    session = ftrack_server.session(schema_cache_path=str(tmp_path / "ftrack-schema-cache"),
                                    auto_connect_event_hub=False)
    try:
        yield session
    finally:
        session.close()
