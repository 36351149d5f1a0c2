"""Virtual environments the benchmark builds for itself (never project dependencies).

* ``benchmarks/.venv-official`` - ftrack-python-api 3.1.0, the official client. It installs a
  package also named ``ftrack_api``, so it can only ever run in an interpreter of its own.
* ``benchmarks/.venv-chart`` - matplotlib, used only to draw the PNG chart.

Both are reused when present (a marker file records what was installed) and can be pointed
elsewhere with ``FTRACK_BENCH_OFFICIAL_VENV`` / ``FTRACK_BENCH_CHART_VENV``.
"""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import venv
from typing import Optional

HERE = pathlib.Path(__file__).resolve().parent
OFFICIAL_VERSION = "3.1.0"


class EnvironmentUnavailable(RuntimeError):
    """A benchmark environment could not be built (for example: no package registry)."""


def _python_of(root: pathlib.Path) -> pathlib.Path:
    if os.name == "nt":
        return root / "Scripts" / "python.exe"
    return root / "bin" / "python"


def ensure_venv(root: pathlib.Path, requirement: str, marker_name: str,
                timeout: float = 900.0) -> pathlib.Path:
    """Return the Python of a virtual environment at ``root`` holding ``requirement``.

    The environment is created and ``requirement`` pip-installed unless a marker file from an
    earlier successful build is present. Raise :class:`EnvironmentUnavailable` with pip's
    output when it cannot be built.
    """
    python = _python_of(root)
    marker = root / marker_name
    if marker.exists() and python.exists():
        return python
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(str(root))
        completed = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
             requirement],
            capture_output=True, text=True, timeout=timeout,
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise EnvironmentUnavailable(f"cannot build {root}: {error}") from None
    if completed.returncode != 0:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
        raise EnvironmentUnavailable(
            f"pip install {requirement} into {root} failed: " + " | ".join(tail))
    marker.write_text(requirement + "\n", encoding="utf-8")
    return python


def official_python(explicit: Optional[str] = None) -> pathlib.Path:
    """Interpreter with the official client: ``explicit``, the env override, or our venv."""
    if explicit:
        path = pathlib.Path(explicit)
        if not path.exists():
            raise EnvironmentUnavailable(f"--official-python {explicit} does not exist")
        return path
    root = pathlib.Path(os.environ.get("FTRACK_BENCH_OFFICIAL_VENV", HERE / ".venv-official"))
    python = _python_of(root)
    # A venv built by the test-suite fixture (marker ".ftrack-python-api-3.1.0") is fine too.
    if python.exists() and (root / f".ftrack-python-api-{OFFICIAL_VERSION}").exists():
        return python
    return ensure_venv(root, f"ftrack-python-api=={OFFICIAL_VERSION}",
                       f".ftrack-python-api-{OFFICIAL_VERSION}")


def chart_python() -> pathlib.Path:
    """Interpreter with matplotlib (its own venv, so it never touches the project's)."""
    try:
        import matplotlib  # noqa: F401 - already importable here: no venv needed

        return pathlib.Path(sys.executable)
    except ImportError:
        pass
    root = pathlib.Path(os.environ.get("FTRACK_BENCH_CHART_VENV", HERE / ".venv-chart"))
    return ensure_venv(root, "matplotlib", ".matplotlib-installed")
