"""Records of the changes made in a session, waiting to be committed."""
from __future__ import annotations

import copy
import operator
import threading
from collections import OrderedDict
from typing import Any, Dict, Iterator, List, Mapping, Tuple

import ftrack_api.symbol

__all__ = [
    "Operations",
    "Operation",
    "CreateEntityOperation",
    "UpdateEntityOperation",
    "DeleteEntityOperation",
]


_IMMUTABLE = frozenset([str, int, float, bool, type(None), bytes, tuple])


def _copy(value: Any) -> Any:
    kind = type(value)
    if kind in _IMMUTABLE or getattr(kind, "primary_key_attributes", None) is not None:
        # Plain values are immutable and entities are referred to, not copied.
        return value
    return copy.copy(value)


def _state_key(entity_type: str, entity_key: Mapping[str, Any]) -> Tuple[str, Tuple[str, ...]]:
    return (entity_type, tuple(str(value) for value in entity_key.values()))


class Operations(object):
    """A stack of operations (oldest first).

    Besides the stack it keeps an index of the state (created, modified,
    deleted) each recorded entity is in, so that
    :func:`ftrack_api.inspection.state` does not have to scan the stack.
    """

    def __init__(self) -> None:
        self._stack: List[Operation] = []
        self._states: Dict[Tuple[str, Tuple[str, ...]], Any] = {}
        self._lock = threading.RLock()

    def clear(self) -> None:
        """Remove every operation."""
        with self._lock:
            del self._stack[:]
            self._states.clear()

    def push(self, operation: "Operation") -> None:
        """Add *operation* on top of the stack."""
        with self._lock:
            self._stack.append(operation)
            self._index(operation)

    def _push_create(self, operation: "CreateEntityOperation", key_values: Tuple[str, ...]) -> None:
        """:meth:`push` for a create whose key values (as text) the caller already has."""
        key = (operation.entity_type, key_values)
        with self._lock:
            self._stack.append(operation)
            if self._states.get(key) is not ftrack_api.symbol.DELETED:
                self._states[key] = ftrack_api.symbol.CREATED

    def pop(self) -> "Operation":
        """Remove and return the most recent operation (``IndexError`` when empty)."""
        with self._lock:
            operation = self._stack.pop()
            self._reindex()
            return operation

    def _index(self, operation: "Operation") -> None:
        if not isinstance(operation, (CreateEntityOperation, UpdateEntityOperation, DeleteEntityOperation)):
            return
        key = _state_key(operation.entity_type, operation.entity_key)
        current = self._states.get(key, ftrack_api.symbol.NOT_SET)
        if isinstance(operation, CreateEntityOperation):
            if current is not ftrack_api.symbol.DELETED:
                self._states[key] = ftrack_api.symbol.CREATED
        elif isinstance(operation, UpdateEntityOperation):
            if current is ftrack_api.symbol.NOT_SET:
                self._states[key] = ftrack_api.symbol.MODIFIED
        else:
            self._states[key] = ftrack_api.symbol.DELETED

    def _reindex(self) -> None:
        self._states.clear()
        for operation in self._stack:
            self._index(operation)

    def _state_of(self, entity_type: str, key_values: Tuple[str, ...]) -> Any:
        return self._states.get((entity_type, key_values), ftrack_api.symbol.NOT_SET)

    def _snapshot(self) -> List["Operation"]:
        with self._lock:
            return list(self._stack)

    def _remove(self, operations: List["Operation"]) -> None:
        """Remove exactly the given operation objects (used after a commit)."""
        with self._lock:
            count = len(operations)
            stack = self._stack
            if len(stack) >= count and all(map(operator.is_, stack, operations)):
                # The usual case: the oldest operations (a commit's snapshot).
                del stack[:count]
            else:
                ids = set(map(id, operations))
                self._stack = [op for op in self._stack if id(op) not in ids]
            self._reindex()

    def __len__(self) -> int:
        return len(self._stack)

    def __iter__(self) -> Iterator["Operation"]:
        return iter(self._snapshot())

    def __repr__(self) -> str:
        return "<Operations {0} pending>".format(len(self._stack))


class Operation(object):
    """Base class of all operations."""

    __slots__ = ()


class CreateEntityOperation(Operation):
    """Creation of an entity of *entity_type* identified by *entity_key*.

    *entity_key* is the ordered mapping of primary key names to values and
    *entity_data* the values set at creation (shallow-copied).
    """

    __slots__ = ("entity_type", "entity_key", "entity_data")

    def __init__(self, entity_type: str, entity_key: Mapping[str, Any], entity_data: Mapping[str, Any]) -> None:
        self.entity_type = entity_type
        self.entity_key = entity_key
        self.entity_data = {name: _copy(value) for name, value in entity_data.items()}

    @classmethod
    def _of_values(
        cls, entity_type: str, entity_key: Mapping[str, Any], entity_data: Dict[str, Any], copied: bool
    ) -> "CreateEntityOperation":
        """Build an operation without the per-value copy when *copied* says *entity_data*
        is already a private dict of immutable values (the create fast path)."""
        operation = cls.__new__(cls)
        operation.entity_type = entity_type
        operation.entity_key = entity_key
        operation.entity_data = (
            entity_data if copied else {name: _copy(value) for name, value in entity_data.items()}
        )
        return operation

    def __repr__(self) -> str:
        return "<CreateEntityOperation {0} {1}>".format(self.entity_type, dict(self.entity_key))


class UpdateEntityOperation(Operation):
    """Change of one attribute of an entity from *old_value* to *new_value*."""

    __slots__ = ("entity_type", "entity_key", "attribute_name", "old_value", "new_value")

    def __init__(
        self,
        entity_type: str,
        entity_key: Mapping[str, Any],
        attribute_name: str,
        old_value: Any,
        new_value: Any,
    ) -> None:
        self.entity_type = entity_type
        self.entity_key = entity_key
        self.attribute_name = attribute_name
        self.old_value = _copy(old_value)
        self.new_value = _copy(new_value)

    def __repr__(self) -> str:
        return "<UpdateEntityOperation {0} {1} {2}>".format(
            self.entity_type, dict(self.entity_key), self.attribute_name
        )


class DeleteEntityOperation(Operation):
    """Deletion of an entity."""

    __slots__ = ("entity_type", "entity_key")

    def __init__(self, entity_type: str, entity_key: Mapping[str, Any]) -> None:
        self.entity_type = entity_type
        self.entity_key = entity_key

    def __repr__(self) -> str:
        return "<DeleteEntityOperation {0} {1}>".format(self.entity_type, dict(self.entity_key))


def _ordered_key(names: List[str], values: List[Any]) -> "OrderedDict[str, str]":
    return OrderedDict((name, str(value)) for name, value in zip(names, values))
