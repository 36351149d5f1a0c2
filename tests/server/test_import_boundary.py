"""The local server implements ftrack's semantics on its own.

It may share only the pure, specification-level client modules (the event expression
parser, the socket.io codec and the exception leaf); never the session, entity or commit
code, so that one bug cannot pass on both sides.
"""
from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import ftrack_api.testing

SERVER = pathlib.Path(ftrack_api.testing.__file__).parent
ALLOWED = {"ftrack_api.event.expression", "ftrack_api.event._socketio", "ftrack_api.exception"}


def _imports(path: pathlib.Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:  # "from ftrack_api.event import _socketio" is a module
                dotted = f"{node.module}.{alias.name}"
                yield node.lineno, dotted if dotted in ALLOWED else node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def test_server_imports_only_pure_client_modules() -> None:
    offenders = []
    for path in sorted(SERVER.rglob("*.py")):
        for line, module in _imports(path):
            if not module.startswith("ftrack_api") or module.startswith("ftrack_api.testing"):
                continue
            if module in ALLOWED:
                continue
            if path.name == "__init__.py" and path.parent == SERVER and module == "ftrack_api":
                continue  # LocalServer.session() hands out a client Session; it uses none itself
            offenders.append(f"{path.relative_to(SERVER.parent)}:{line} imports {module}")
    assert offenders == []


def test_importing_the_client_does_not_import_the_server() -> None:
    code = (
        "import sys, ftrack_api, ftrack_api.session\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('ftrack_api.testing', 'aiohttp')))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
