"""Schema hashing and the on-disk schema cache."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from typing import Any, List, Optional

logger = logging.getLogger(__name__)

CACHE_FILE_NAME = "ftrack_api_schema_cache.json"


def schema_hash(schemas: Any) -> str:
    """Return the md5 hex digest of ``json.dumps(schemas, sort_keys=True)``."""
    return hashlib.md5(json.dumps(schemas, sort_keys=True).encode("utf-8")).hexdigest()


def resolve_cache_path(schema_cache_path: Any) -> Optional[str]:
    """Return the cache *file* path for the ``schema_cache_path`` argument (None = disabled)."""
    if schema_cache_path is False:
        return None
    if schema_cache_path is None:
        schema_cache_path = os.environ.get("FTRACK_API_SCHEMA_CACHE_PATH")
    if not schema_cache_path:
        import platformdirs

        schema_cache_path = platformdirs.user_cache_dir()
    return os.path.join(os.fspath(schema_cache_path), CACHE_FILE_NAME)


def read_cache(path: Optional[str]) -> Optional[List[Any]]:
    """Return the cached schemas, or None when missing; a corrupt file gives a warning."""
    if not path or not os.path.exists(path):
        return None
    try:
        with open(path, "r", encoding="utf-8") as handle:
            schemas = json.load(handle)
        if not isinstance(schemas, list):
            raise ValueError("schema cache does not hold a list")
        return schemas
    except (OSError, ValueError, TypeError, AttributeError) as error:
        warnings.warn(
            "Ignoring unreadable schema cache {0!r} ({1}); schemas will be fetched "
            "from the server.".format(path, error),
            RuntimeWarning,
            stacklevel=3,
        )
        return None


def write_cache(path: Optional[str], schemas: Any) -> None:
    """Write *schemas* to *path* atomically; failures give a warning and are ignored."""
    if not path:
        return
    try:
        directory = os.path.dirname(path) or "."
        os.makedirs(directory, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".ftrack-schemas-", dir=directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(schemas, stream, indent=4)
            os.replace(temporary, path)
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise
    except (OSError, TypeError, ValueError) as error:
        warnings.warn(
            "Could not write schema cache {0!r} ({1}); continuing without it.".format(path, error),
            RuntimeWarning,
            stacklevel=3,
        )
