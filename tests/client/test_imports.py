"""Import hygiene: a cheap ``import ftrack_api``, a leaf exception module, one-way imports."""
from __future__ import annotations

import json
import subprocess
import sys


def _modules_after(code):
    script = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    output = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    return set(json.loads(output.stdout.strip().splitlines()[-1]))


def test_import_ftrack_api_is_cheap():
    modules = _modules_after("import ftrack_api")
    assert "aiohttp" not in modules
    assert "requests" not in modules
    assert not any(name.startswith("ftrack_api.testing") for name in modules)


def test_exception_module_is_a_leaf():
    modules = _modules_after("import ftrack_api.exception")
    ours = {name for name in modules if name.startswith("ftrack_api")}
    assert ours == {"ftrack_api", "ftrack_api._version", "ftrack_api.exception"}


def test_submodules_resolve_after_bare_import():
    script = (
        "import ftrack_api\n"
        "assert ftrack_api.Session is ftrack_api.session.Session\n"
        "assert ftrack_api.symbol.NOT_SET is not None\n"
        "assert ftrack_api.exception.ServerError\n"
        "assert ftrack_api.inspection.identity\n"
        "assert ftrack_api.entity.base.Entity\n"
        "import sys\n"
        "assert 'aiohttp' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


def test_model_modules_do_not_import_the_session():
    modules = _modules_after(
        "import ftrack_api.entity.factory, ftrack_api.attribute, ftrack_api.collection, "
        "ftrack_api.query, ftrack_api.inspection, ftrack_api.operation"
    )
    assert "ftrack_api.session" not in modules
    assert "requests" not in modules
