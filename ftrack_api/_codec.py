"""JSON encoding and decoding of API values (pure; no I/O).

Datetimes are stdlib timezone-aware :class:`datetime.datetime` objects in
UTC; ``date`` values are :class:`datetime.date`. Arrow objects are accepted as
input (duck-typed, arrow is not a dependency).
"""
from __future__ import annotations

import collections.abc
import datetime
import json
import re
from typing import Any, Callable, Dict

import ftrack_api.symbol
from ftrack_api._datetime import DateTime

NOT_SET = ftrack_api.symbol.NOT_SET
UTC = datetime.timezone.utc

STRATEGIES = ("all", "set_only", "modified_only", "persisted_only")

_FRACTION = re.compile(r"(\.\d+)")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _is_arrow(value: Any) -> bool:
    return type(value).__name__ == "Arrow" and hasattr(value, "datetime")


#: Parsed server datetimes by text (DateTime is immutable, so instances can be shared):
#: a page or a commit result repeats the same few values (created_at of one batch).
_PARSED: Dict[str, datetime.datetime] = {}
_PARSED_LIMIT = 4096


def parse_datetime(value: str, timezone_support: bool = True) -> datetime.datetime:
    """Parse an ISO 8601 string into an aware UTC :class:`~ftrack_api._datetime.DateTime`.

    Naive values are UTC when *timezone_support* is on (the server stores
    UTC), else they are read as local wall-clock time.
    """
    if not timezone_support:  # depends on the local timezone at the time of the call
        return _parse_datetime(value, False)
    parsed = _PARSED.get(value)
    if parsed is None:
        parsed = _parse_datetime(value, True)
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.clear()
        _PARSED[value] = parsed
    return parsed


def _parse_datetime(value: str, timezone_support: bool) -> datetime.datetime:
    text = value.strip()
    if _DATE_ONLY.match(text):
        parsed = datetime.datetime.strptime(text, "%Y-%m-%d")
    else:
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        text = text.replace(" ", "T", 1) if "T" not in text else text
        match = _FRACTION.search(text)
        if match:
            digits = match.group(1)[1:]
            fixed = "." + (digits + "000000")[:6]
            text = text[: match.start()] + fixed + text[match.end():]
        # Python 3.9 fromisoformat needs +HH:MM offsets.
        offset = re.search(r"([+-])(\d{2})(\d{2})$", text)
        if offset and ":" not in text[offset.start():]:
            text = text[: offset.start()] + "{0}{1}:{2}".format(*offset.groups())
        parsed = datetime.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        if timezone_support:
            parsed = parsed.replace(tzinfo=UTC)
        else:
            parsed = parsed.astimezone(UTC)
    else:
        parsed = parsed.astimezone(UTC)
    return DateTime.from_datetime(parsed)


def parse_date(value: str) -> datetime.date:
    """Parse ``YYYY-MM-DD`` into a :class:`datetime.date`."""
    text = value.strip()[:10]
    return datetime.date(int(text[0:4]), int(text[5:7]), int(text[8:10]))


def encode_datetime(value: Any, timezone_support: bool = True) -> Dict[str, str]:
    """Return the wire form of a datetime, date or arrow value."""
    if _is_arrow(value):
        value = value.datetime
    if isinstance(value, datetime.datetime):
        if not timezone_support and value.tzinfo is not None:
            value = value.astimezone().replace(tzinfo=None)
        return {"__type__": "datetime", "value": value.isoformat()}
    return {"__type__": "date", "value": value.isoformat()}


def entity_reference(entity: Any) -> Dict[str, Any]:
    """Return ``{"__entity_type__": type, <pk>: str(value), ...}`` without fetching."""
    reference: Dict[str, Any] = {"__entity_type__": entity.entity_type}
    local = entity._local
    remote = entity._remote
    for name in entity.primary_key_attributes:
        value = local.get(name, NOT_SET)
        if value is NOT_SET:
            value = remote.get(name, NOT_SET)
        if value is NOT_SET:
            raise KeyError(
                "Missing required value for primary key attribute {0!r} on {1}.".format(
                    name, entity.entity_type
                )
            )
        reference[name] = str(value)
    return reference


class Encoder(object):
    """Encode values for the wire using one entity attribute strategy."""

    def __init__(self, session: Any, strategy: str = "set_only") -> None:
        if strategy not in STRATEGIES:
            raise ValueError(
                'Unsupported entity_attribute_strategy "{0}". Allowed values are: {1}'.format(
                    strategy, ", ".join(STRATEGIES)
                )
            )
        self.session = session
        self.strategy = strategy
        self.timezone_support = getattr(session, "_timezone_support", True)

    def encode(self, data: Any) -> str:
        """Return *data* as a JSON string (sorted keys)."""
        return json.dumps(data, sort_keys=True, default=self.default)

    def default(self, item: Any) -> Any:
        """``json.dumps`` hook for the non-JSON values the API knows."""
        import ftrack_api.collection
        import ftrack_api.entity.base

        if isinstance(item, (datetime.date, datetime.datetime)) or _is_arrow(item):
            return encode_datetime(item, self.timezone_support)
        if isinstance(item, ftrack_api.entity.base.Entity):
            return self._encode_entity(item)
        if isinstance(item, ftrack_api.collection.Collection):
            return [entity_reference(entity) for entity in item]
        if isinstance(item, ftrack_api.collection.MappedCollectionProxy):
            return [entity_reference(entity) for entity in item.collection]
        from ftrack_api.session import OperationPayload

        if isinstance(item, OperationPayload):
            data = dict(item.items())
            entity_data = data.get("entity_data")
            if isinstance(entity_data, collections.abc.Mapping):
                data["entity_data"] = reference_values(entity_data)
            return data
        if isinstance(item, collections.abc.Mapping):
            return dict(item)
        raise TypeError("{0!r} is not JSON serializable".format(item))

    def _encode_entity(self, entity: Any) -> Dict[str, Any]:
        import ftrack_api.attribute
        import ftrack_api.entity.base

        data = entity_reference(entity)
        strategy = self.strategy
        Entity = ftrack_api.entity.base.Entity
        if strategy == "all":
            with self.session.auto_populating(True):
                entity._populate_unset()
        for name, attribute in entity._attribute_map().items():
            if strategy == "all":
                with self.session.auto_populating(True):
                    value = attribute.get_value(entity)
                if isinstance(value, ftrack_api.collection.MappedCollectionProxy):
                    value = value.collection
            elif strategy == "set_only":
                value = entity._local.get(name, NOT_SET)
                if value is NOT_SET:
                    value = entity._remote.get(name, NOT_SET)
            elif strategy == "modified_only":
                value = entity._local.get(name, NOT_SET) if attribute.is_modified(entity) else NOT_SET
            else:
                value = NOT_SET if attribute.computed else entity._remote.get(name, NOT_SET)
            if value is NOT_SET:
                continue
            if isinstance(value, Entity):
                value = entity_reference(value)
            data[name] = value
        return data


#: Types that need no conversion (checked by exact type: fast, no ABC machinery).
PLAIN_TYPES = frozenset([str, int, float, bool, type(None), dict, list])


def reference_value(value: Any) -> Any:
    """Return *value* with an entity turned into its reference and a collection into a
    list of references (other values are returned unchanged)."""
    import ftrack_api.collection
    import ftrack_api.entity.base

    if isinstance(value, ftrack_api.entity.base.Entity):
        return entity_reference(value)
    if isinstance(value, ftrack_api.collection.Collection):
        return [entity_reference(entity) for entity in value._data]
    if isinstance(value, ftrack_api.collection.MappedCollectionProxy):
        return [entity_reference(entity) for entity in value.collection._data]
    return value


def reference_values(entity_data: Any) -> Dict[str, Any]:
    """Replace entities by references and collections by lists of references."""
    plain = PLAIN_TYPES
    result: Dict[str, Any] = {}
    for name, value in entity_data.items():
        if type(value) in plain:
            result[name] = value
            continue
        if value is NOT_SET:
            continue
        result[name] = reference_value(value)
    return result


def decode_value(session: Any, value: Any, build_entity: Callable[[str, Dict[str, Any]], Any]) -> Any:
    """Decode a parsed JSON value: typed dates and entities (via *build_entity*)."""
    if isinstance(value, dict):
        kind = value.get("__type__")
        if kind is not None and "value" in value and len(value) == 2:
            if kind == "datetime":
                return parse_datetime(value["value"], getattr(session, "_timezone_support", True))
            if kind == "date":
                return parse_date(value["value"])
        entity_type = value.get("__entity_type__")
        decoded = {key: decode_value(session, item, build_entity) for key, item in value.items()}
        if entity_type is not None:
            return build_entity(entity_type, decoded)
        return decoded
    if isinstance(value, list):
        return [decode_value(session, item, build_entity) for item in value]
    return value
