"""Helpers to look into entities without going through their mapping interface."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable, List, Tuple

import ftrack_api.symbol

__all__ = ["identity", "primary_key", "state", "states"]


def identity(entity: Any) -> Tuple[str, List[str]]:
    """Return ``(entity_type, [primary key values as strings])`` for *entity*."""
    return (str(entity.entity_type), list(primary_key(entity).values()))


def primary_key(entity: Any) -> "OrderedDict[str, str]":
    """Return the ordered ``{name: str(value)}`` primary key of *entity*.

    Values are read through ``entity[name]`` (which may auto-populate).
    Raises :exc:`KeyError` when a primary key attribute has no value.
    """
    result: "OrderedDict[str, str]" = OrderedDict()
    for name in entity.primary_key_attributes:
        value = entity[name]
        if value is ftrack_api.symbol.NOT_SET:
            raise KeyError(
                "Missing required value for primary key attribute {0!r} on {1}.".format(
                    name, entity.entity_type
                )
            )
        result[str(name)] = str(value)
    return result


def _key_values(entity: Any) -> Any:
    """Primary key values read from storage only (no fetching); None when incomplete."""
    values = []
    local = entity._local
    remote = entity._remote
    for name in entity.primary_key_attributes:
        value = local.get(name, ftrack_api.symbol.NOT_SET)
        if value is ftrack_api.symbol.NOT_SET:
            value = remote.get(name, ftrack_api.symbol.NOT_SET)
            if value is ftrack_api.symbol.NOT_SET:
                return None
        values.append(str(value))
    return tuple(values)


def _state(operation: Any, state: Any) -> Any:
    """Return the state that follows *state* after *operation*."""
    import ftrack_api.operation as operation_module

    if isinstance(operation, operation_module.CreateEntityOperation):
        return ftrack_api.symbol.CREATED
    if isinstance(operation, operation_module.UpdateEntityOperation):
        if state is ftrack_api.symbol.NOT_SET:
            return ftrack_api.symbol.MODIFIED
        return state
    if isinstance(operation, operation_module.DeleteEntityOperation):
        return ftrack_api.symbol.DELETED
    return state


def state(entity: Any) -> Any:
    """Return the state of *entity*: ``NOT_SET``, ``CREATED``, ``MODIFIED`` or ``DELETED``.

    The state is derived from the session's recorded operations only.
    """
    values = _key_values(entity)
    if values is None:
        return ftrack_api.symbol.NOT_SET
    return entity.session.recorded_operations._state_of(entity.entity_type, values)


def states(entities: Iterable[Any]) -> List[Any]:
    """Return the states of *entities*, in the same order."""
    return [state(entity) for entity in entities]
