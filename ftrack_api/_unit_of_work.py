"""Compile recorded operations into an optimised batch of payloads (pure functions).

:func:`compile_batch` takes a list of operations and returns the list of
payload dicts to send; :func:`split_batch` cuts a long batch into requests
of bounded size while keeping the order (creates stay ahead of the updates
that refer to them).
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import ftrack_api.operation
import ftrack_api.symbol
from ftrack_api._codec import PLAIN_TYPES, reference_value, reference_values

NOT_SET = ftrack_api.symbol.NOT_SET

#: Default maximum number of operations per request. The official client sends a whole
#: commit in one request; up to this many operations this library does the same (one
#: request, one transaction), and only splits larger commits, which keeps each request
#: well within an HTTP timeout.
MAX_OPERATIONS_PER_REQUEST = 5000


def _key(entity_type: str, entity_key: Any) -> Tuple[str, Tuple[str, ...]]:
    return (entity_type, tuple(str(value) for value in entity_key.values()))


def to_payloads(operations: Sequence[Any]) -> List[Dict[str, Any]]:
    """Turn operations into unoptimised payload dicts (step 1)."""
    payloads: List[Dict[str, Any]] = []
    for operation in operations:
        if isinstance(operation, ftrack_api.operation.CreateEntityOperation):
            entity_data = {"__entity_type__": operation.entity_type}
            entity_data.update(operation.entity_key)
            entity_data.update(operation.entity_data)
            payloads.append(
                {
                    "action": "create",
                    "entity_type": operation.entity_type,
                    "entity_key": list(operation.entity_key.values()),
                    "entity_data": entity_data,
                }
            )
        elif isinstance(operation, ftrack_api.operation.UpdateEntityOperation):
            payloads.append(
                {
                    "action": "update",
                    "entity_type": operation.entity_type,
                    "entity_key": list(operation.entity_key.values()),
                    "entity_data": {
                        "__entity_type__": operation.entity_type,
                        operation.attribute_name: operation.new_value,
                    },
                }
            )
        elif isinstance(operation, ftrack_api.operation.DeleteEntityOperation):
            payloads.append(
                {
                    "action": "delete",
                    "entity_type": operation.entity_type,
                    "entity_key": list(operation.entity_key.values()),
                }
            )
        else:
            raise ValueError("Unrecognised operation type {0!r}.".format(operation))
    return payloads


def optimise(payloads: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Apply the batch optimisations (steps 2-6) and return the new list."""
    identity = lambda payload: (payload["entity_type"], tuple(payload["entity_key"]))  # noqa: E731

    if all(payload["action"] == "create" for payload in payloads):
        # Creates only (a bulk import): steps 2, 3 and 6 have nothing to act on.
        return [
            dict(payload, entity_data={name: value for name, value in payload["entity_data"].items()
                                       if value is not NOT_SET})
            for payload in payloads
        ]

    # 2. An entity created and deleted in the same batch never reaches the server.
    created = {identity(p) for p in payloads if p["action"] == "create"}
    deleted = {identity(p) for p in payloads if p["action"] == "delete"}
    cancelled = created & deleted
    if cancelled:
        payloads = [p for p in payloads if identity(p) not in cancelled]

    # Deleting an entity twice is deleting it once (a second delete would fail the batch).
    once: List[Dict[str, Any]] = []
    doomed = set()
    for payload in payloads:
        if payload["action"] == "delete":
            if identity(payload) in doomed:
                continue
            doomed.add(identity(payload))
        once.append(payload)
    payloads = once

    # 3. Only the last update of each (entity, attribute) counts.
    seen = set()
    kept: List[Dict[str, Any]] = []
    for payload in reversed(payloads):
        if payload["action"] == "update":
            names = [name for name in payload["entity_data"] if name != "__entity_type__"]
            marker = (identity(payload), names[0] if names else None)
            if marker in seen:
                continue
            seen.add(marker)
        kept.append(payload)
    kept.reverse()

    # 4 + 5. Drop unset values, then payloads left with nothing to say.
    cleaned: List[Dict[str, Any]] = []
    for payload in kept:
        if payload["action"] in ("create", "update"):
            data = {name: value for name, value in payload["entity_data"].items() if value is not NOT_SET}
            if len(data) <= 1 and payload["action"] == "update":
                continue
            payload = dict(payload, entity_data=data)
        cleaned.append(payload)

    # 6. Fold an update into the create/update of the same entity just before it.
    folded: List[Dict[str, Any]] = []
    for payload in cleaned:
        if (
            payload["action"] == "update"
            and folded
            and folded[-1]["action"] in ("create", "update")
            and identity(folded[-1]) == identity(payload)
        ):
            folded[-1]["entity_data"].update(payload["entity_data"])
            continue
        folded.append(payload)
    return folded


_CREATE = ftrack_api.operation.CreateEntityOperation
_PLAIN = PLAIN_TYPES


def _compile_creates(operations: Sequence[Any]) -> List[Dict[str, Any]]:
    """:func:`compile_batch` of a batch of creates only, in one pass.

    The same payloads as steps 1 to 6 give for such a batch (nothing is cancelled,
    deduplicated or folded): entity data with the key first, unset values dropped
    and entities turned into references.
    """
    payloads: List[Dict[str, Any]] = []
    append = payloads.append
    plain = _PLAIN
    for operation in operations:
        entity_type = operation.entity_type
        entity_key = operation.entity_key
        data = {"__entity_type__": entity_type}
        data.update(entity_key)
        for name, value in operation.entity_data.items():
            if value.__class__ in plain:
                data[name] = value
            elif value is NOT_SET:
                data.pop(name, None)
            else:
                data[name] = reference_value(value)
        append(
            {
                "action": "create",
                "entity_type": entity_type,
                "entity_key": list(entity_key.values()),
                "entity_data": data,
            }
        )
    return payloads


def compile_batch(operations: Sequence[Any]) -> List[Dict[str, Any]]:
    """Return the optimised wire payloads for *operations*.

    Entity values become references and collections become lists of
    references, so the result is plain JSON apart from dates.
    """
    if operations and all(operation.__class__ is _CREATE for operation in operations):
        return _compile_creates(operations)
    payloads = optimise(to_payloads(operations))
    for payload in payloads:
        if "entity_data" in payload:
            payload["entity_data"] = reference_values(payload["entity_data"])
    return payloads


def split_batch(payloads: List[Dict[str, Any]], size: int = MAX_OPERATIONS_PER_REQUEST) -> List[List[Dict[str, Any]]]:
    """Cut *payloads* into consecutive chunks of at most *size* operations."""
    if size <= 0:
        raise ValueError("size must be positive.")
    return [payloads[start:start + size] for start in range(0, len(payloads), size)]
