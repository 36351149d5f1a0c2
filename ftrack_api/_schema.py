"""Schema hashing and the on-disk schema cache."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from typing import Any, List, Optional, Tuple

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
            # One json.dumps call, without indentation: only that form runs the C encoder
            # (json.dump and any indent run the pure-Python one, several times slower).
            text = json.dumps(schemas)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
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


def _stamp(path: str) -> Optional[Tuple[int, int]]:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_size, status.st_mtime_ns)


def read_cache_and_hash(path: Optional[str]) -> Optional[Tuple[List[Any], str]]:
    """Return ``(schemas, schema_hash(schemas))`` from the cache at *path*, or None.

    The hash is remembered in a small side file (``<cache>.md5``) keyed by the cache
    file's size and modification time, so that an unchanged cache is not re-serialised
    to be hashed on every Session(). Any doubt (a changed, replaced or unreadable file)
    means the hash is computed from the schemas that were read.
    """
    if not path:
        return None
    before = _stamp(path)
    schemas = read_cache(path)
    if schemas is None:
        return None
    stable = before is not None and _stamp(path) == before
    side = path + ".md5"
    if stable:
        try:
            with open(side, "r", encoding="utf-8") as handle:
                remembered = json.load(handle)
            if (isinstance(remembered, dict) and isinstance(remembered.get("hash"), str)
                    and [remembered.get("size"), remembered.get("mtime_ns")] == list(before)):
                return schemas, remembered["hash"]
        except (OSError, ValueError):
            pass
    value = schema_hash(schemas)
    if stable:
        try:
            handle_fd, temporary = tempfile.mkstemp(prefix=".ftrack-schemas-md5-",
                                                    dir=os.path.dirname(path) or ".")
            with os.fdopen(handle_fd, "w", encoding="utf-8") as stream:
                json.dump({"size": before[0], "mtime_ns": before[1], "hash": value}, stream)
            os.replace(temporary, side)
        except OSError:
            logger.debug("Could not remember the schema cache hash in %s.", side, exc_info=True)
    return schemas, value
