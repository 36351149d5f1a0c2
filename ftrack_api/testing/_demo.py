"""``python -m ftrack_api.testing demo``: run the example pipeline job on a local server.

A :class:`~ftrack_api.testing.LocalServer` is started on a temporary SQLite database,
``examples/pipeline_demo.py`` runs against it in a separate Python process (exactly as a
user would run a pipeline script, configured only through ``FTRACK_*`` environment
variables), and the script's exit code is returned.
"""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tempfile
from typing import Optional

SCRIPT_NAME = "pipeline_demo.py"


def find_script() -> pathlib.Path:
    """Return the path of the example pipeline script in the source checkout."""
    here = pathlib.Path(__file__).resolve()
    candidate = here.parents[2] / "examples" / SCRIPT_NAME
    if candidate.is_file():
        return candidate
    raise FileNotFoundError(
        f"The demo script examples/{SCRIPT_NAME} was not found next to the installed "
        "package. Install the project from a source checkout with "
        "`pip install -e '.[server]'` to run the demo."
    )


def run(schemas: Optional[str] = None, stream=None) -> int:
    """Run the demo and return its exit code (0 on success)."""
    from . import LocalServer

    stream = stream or sys.stdout
    script = find_script()
    if schemas is not None and not os.path.isfile(schemas):
        print(f"error: schema file {schemas!r} does not exist.", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="ftrack-demo-") as workdir:
        database = os.path.join(workdir, "demo.sqlite")
        with LocalServer(database=database, schemas=schemas) as server:
            label = schemas or "the default schema set"
            print(f"Local ftrack server at {server.url} serving {label}", file=stream)
            env = dict(os.environ)
            env.update(
                FTRACK_SERVER=server.url,
                FTRACK_API_USER=server.api_user,
                FTRACK_API_KEY=server.api_key,
                FTRACK_API_SCHEMA_CACHE_PATH=os.path.join(workdir, "schema-cache"),
            )
            env.pop("FTRACK_EVENT_PLUGIN_PATH", None)
            print(f"Running {script.name}\n", file=stream)
            stream.flush()
            completed = subprocess.run(
                [sys.executable, str(script)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            stream.write(completed.stdout)
            if completed.returncode == 0:
                print("\nDemo finished successfully.", file=stream)
            else:
                print(f"\nDemo failed with exit code {completed.returncode}.", file=stream)
            stream.flush()
            return completed.returncode
