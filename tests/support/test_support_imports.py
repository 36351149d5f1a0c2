"""The support modules are leaves/extensions: importing them pulls in no session or server."""
from __future__ import annotations

import subprocess
import sys

import pytest

MODULES = [
    "ftrack_api.cache",
    "ftrack_api.plugin",
    "ftrack_api.logging",
    "ftrack_api.formatter",
    "ftrack_api.data",
    "ftrack_api.accessor.base",
    "ftrack_api.accessor.disk",
    "ftrack_api.accessor.server",
    "ftrack_api.structure.base",
    "ftrack_api.structure.id",
    "ftrack_api.structure.origin",
    "ftrack_api.structure.entity_id",
    "ftrack_api.structure.standard",
    "ftrack_api.resource_identifier_transformer.base",
]

CHECK = """
import importlib, sys
for name in {modules!r}:
    module = importlib.import_module(name)
    assert module.__doc__, name
    assert isinstance(module.__all__, (list, tuple)), name
    for public in module.__all__:
        assert getattr(module, public, None) is not None, (name, public)
forbidden = [m for m in sys.modules if m == "aiohttp" or m.startswith(("aiohttp.", "ftrack_api.testing", "ftrack_api.session", "ftrack_api.entity"))]
print(",".join(sorted(forbidden)))
"""


def test_support_modules_import_no_session_entities_or_server():
    result = subprocess.run(
        [sys.executable, "-c", CHECK.format(modules=MODULES)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


@pytest.mark.parametrize("name", MODULES)
def test_public_names_have_docstrings(name):
    import importlib
    import inspect

    module = importlib.import_module(name)
    for public in module.__all__:
        value = getattr(module, public)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"{name}.{public} has no docstring"
