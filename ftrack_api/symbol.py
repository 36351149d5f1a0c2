"""Named sentinel values and well known constants used across the API."""
from __future__ import annotations

import os
from typing import Any

__all__ = [
    "Symbol", "NOT_SET", "CREATED", "MODIFIED", "DELETED", "JOB_SYNC_USERS_LDAP",
    "COMPONENT_ADDED_TO_LOCATION_TOPIC", "COMPONENT_REMOVED_FROM_LOCATION_TOPIC",
    "ORIGIN_LOCATION_ID", "UNMANAGED_LOCATION_ID", "REVIEW_LOCATION_ID",
    "CONNECT_LOCATION_ID", "SERVER_LOCATION_ID", "CHUNK_SIZE",
]


class Symbol(object):
    """A named constant whose identity survives copying.

    ``str()`` gives the name, ``repr()`` gives ``Symbol(NAME)`` and truthiness
    follows *value*. Both :func:`copy.copy` and :func:`copy.deepcopy` return the
    very same object so ``is`` checks keep working on copied data.
    """

    __slots__ = ("name", "value")

    def __init__(self, name: str, value: Any = True) -> None:
        self.name = name
        self.value = value

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return "{0}({1})".format(type(self).__name__, self.name)

    def __bool__(self) -> bool:
        return bool(self.value)

    __nonzero__ = __bool__

    def __copy__(self) -> "Symbol":
        return self

    def __deepcopy__(self, memo: Any) -> "Symbol":
        return self

    def __reduce__(self) -> Any:
        # Unpickling a known module constant gives back the constant itself.
        if globals().get(self.name) is self:
            return self.name
        return (Symbol, (self.name, self.value))


#: Value of an attribute that has not been set or fetched.
NOT_SET = Symbol("NOT_SET", False)

#: Entity state: created locally, not yet committed.
CREATED = Symbol("CREATED")

#: Entity state: modified locally, not yet committed.
MODIFIED = Symbol("MODIFIED")

#: Entity state: deleted locally, not yet committed.
DELETED = Symbol("DELETED")

#: Job type used to synchronise users from LDAP.
JOB_SYNC_USERS_LDAP = Symbol("SYNC_USERS_LDAP")

#: Topic published when a component has been added to a location.
COMPONENT_ADDED_TO_LOCATION_TOPIC = "ftrack.location.component-added"

#: Topic published when a component has been removed from a location.
COMPONENT_REMOVED_FROM_LOCATION_TOPIC = "ftrack.location.component-removed"

#: Identifier of the built-in origin location.
ORIGIN_LOCATION_ID = "ce9b348f-8809-11e3-821c-20c9d081909b"

#: Identifier of the built-in unmanaged location.
UNMANAGED_LOCATION_ID = "cb268ecc-8809-11e3-a7e2-20c9d081909b"

#: Identifier of the built-in review location.
REVIEW_LOCATION_ID = "cd41be70-8809-11e3-b98a-20c9d081909b"

#: Identifier of the built-in connect location.
CONNECT_LOCATION_ID = "07b82a97-8cf9-11e3-9383-20c9d081909b"

#: Identifier of the built-in server location.
SERVER_LOCATION_ID = "3a372bde-05bc-11e4-8908-20c9d081909b"


def _chunk_size_from_environment(default: int = 1024 * 1024) -> int:
    raw = os.environ.get("FTRACK_API_FILE_CHUNK_SIZE")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        return default
    return value if value > 0 else default


#: Size in bytes of the chunks used when transferring file data. Read once at
#: import from ``FTRACK_API_FILE_CHUNK_SIZE`` (ignored when unset, zero or not
#: an integer); defaults to 1 MiB.
CHUNK_SIZE = _chunk_size_from_environment()
