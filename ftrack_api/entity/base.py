"""Base class of every entity class built from the server's schemas."""
from __future__ import annotations

import abc
import collections.abc
import logging
import os
from collections import OrderedDict
from typing import Any, Dict, Iterator, List, Optional, Tuple

import ftrack_api.attribute
import ftrack_api.exception
import ftrack_api.operation
import ftrack_api.symbol

__all__ = ["_EntityBase", "DynamicEntityTypeMetaclass", "Entity"]

NOT_SET = ftrack_api.symbol.NOT_SET
_LOGGER = logging.getLogger("ftrack_api.entity.base.Entity")
_SCALAR = ftrack_api.attribute.ScalarAttribute


#: The RFC 4122 variant digit (binary 10xx) for each random hex digit (keeping its low bits).
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def _new_uid(entity: Any = None) -> str:
    """A random (version 4) UUID as text, like ``str(uuid.uuid4())`` at a sixth of the cost."""
    text = os.urandom(16).hex()
    # Digit 12 is the version (4); digit 16 carries the variant in its two high bits.
    return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-{_VARIANT[text[16]]}{text[17:20]}-{text[20:]}"


#: Value types a create operation can share with the entity instead of copying.
_IMMUTABLE = ftrack_api.operation._IMMUTABLE


def _construction_plan(cls: Any, by_name: Dict[str, Any]) -> Tuple[List[Tuple[str, Any, bool]], frozenset]:
    """What construction needs to know about the attributes of *cls*, worked out once.

    Returns ``(defaults, scalars)``: *defaults* lists ``(name, attribute, inline)`` for the
    attributes with a default, *inline* meaning a plain
    :class:`~ftrack_api.attribute.ScalarAttribute` whose default can be stored without
    going through ``set_local_value``; *scalars* names every plain ScalarAttribute.
    The plan is rebuilt when the attribute registry of the class is replaced or resized.
    """
    cached = cls.__dict__.get("_ftrack_construction")
    if cached is not None and cached[0] is by_name and cached[1] == len(by_name):
        return cached[2]
    defaults = [
        (name, attribute, attribute.__class__ is _SCALAR)
        for name, attribute in by_name.items()
        if attribute.default_value is not NOT_SET
    ]
    scalars = frozenset(name for name, attribute in by_name.items() if attribute.__class__ is _SCALAR)
    plan = (defaults, scalars)
    type.__setattr__(cls, "_ftrack_construction", (by_name, len(by_name), plan))
    return plan


def _plain_create_plan(cls: Any, by_name: Dict[str, Any]) -> Optional[Tuple[Tuple[Tuple[str, Any], ...], frozenset, str]]:
    """What :meth:`Session.create` needs to build a new *cls* from plain values directly.

    Returns ``(defaults, scalars, key name)`` when *cls* has one primary key attribute and
    every attribute with a default is a plain :class:`~ftrack_api.attribute.ScalarAttribute`
    (*defaults* lists ``(name, attribute)``; the caller reads each default when it creates,
    as the general path does), else None. Worked out once, and again when the attribute
    registry of the class is replaced or resized (as :func:`_construction_plan`).
    """
    cached = cls.__dict__.get("_ftrack_plain_create")
    if cached is not None and cached[0] is by_name and cached[1] == len(by_name):
        return cached[2]
    defaults, scalars = _construction_plan(cls, by_name)
    plan = None
    keys = cls.primary_key_attributes
    if keys and len(keys) == 1 and keys[0] in scalars and all(inline for _n, _a, inline in defaults):
        plan = (tuple((name, attribute) for name, attribute, _inline in defaults), scalars, keys[0])
    type.__setattr__(cls, "_ftrack_plain_create", (by_name, len(by_name), plan))
    return plan


def _construct_new(entity: Any, data: Any) -> Tuple[Optional[Tuple[str, ...]], bool]:
    """Fill a new *entity* from *data* and its defaults, recording its create operation.

    Returns ``(key values or None, plain)``; *plain* is true when every stored value
    is an immutable plain value (no entity, collection or other object), so the
    caller knows the entity refers to nothing that could be detached.

    Defaults and scalar values are stored with recording off (one create operation
    describes them); relational values are set afterwards with recording on, so
    their updates follow the create and are folded into it by the commit.
    """
    session = entity.session
    attributes = entity.attributes
    by_name = attributes._by_name if attributes is not None else {}
    local = entity._local
    plain = True
    context = None  # recording switched off lazily, only for the generic paths
    relational: List[Tuple[Any, Any]] = []
    defaults, scalars = _construction_plan(type(entity), by_name)
    bulk = False
    if data.keys() <= scalars and not entity._remote:
        # Only plain scalars are given (the usual case): when none of the values is unset,
        # they are stored in one step after the defaults, exactly as the loop below would.
        bulk = True
        for value in data.values():
            if value.__class__ not in _IMMUTABLE:
                plain = False
                if value is NOT_SET:
                    bulk = False
                    plain = True
                    break
    try:
        for name, attribute, inline in defaults:
            if name in data:
                continue
            default = attribute.default_value
            if default is _new_uid:
                default = _new_uid()
            elif callable(default):
                if context is None:
                    context = session.operation_recording(False)
                    context.__enter__()
                default = default(entity)
            if default is NOT_SET:
                continue
            if inline:
                local[name] = default
                if default.__class__ not in _IMMUTABLE:
                    plain = False
            else:
                if context is None:
                    context = session.operation_recording(False)
                    context.__enter__()
                attribute.set_local_value(entity, default)
                plain = False
        if bulk:
            # Every attribute given is mutable or still empty (the defaults skip given names).
            local.update(data)
        for name, value in () if bulk else data.items():
            attribute = by_name.get(name)
            if attribute is None:
                continue
            if attribute.__class__ is _SCALAR and value is not NOT_SET:
                # ScalarAttribute.set_local_value with recording off, inline: the same
                # mutability check and store (the dirty mark follows below).
                if not attribute._mutable and (name in local or name in entity._remote):
                    raise ftrack_api.exception.ImmutableAttributeError(attribute)
                local[name] = value
                if value.__class__ not in _IMMUTABLE:
                    plain = False
            elif isinstance(attribute, _SCALAR):
                if context is None:
                    context = session.operation_recording(False)
                    context.__enter__()
                attribute.set_local_value(entity, value)
                plain = False
            else:
                relational.append((attribute, value))
                plain = False
    finally:
        if context is not None:
            context.__exit__(None, None, None)
    if local:
        session._mark_dirty(entity)
    values = entity._key_values()
    if session.record_operations:
        if values is None:
            entity._primary_key_no_fetch()  # raises the KeyError naming the missing key
        names = entity.primary_key_attributes
        if len(names) == 1:
            entity_key: Any = OrderedDict()  # (filled by item: twice as fast as from pairs)
            entity_key[names[0]] = values[0]
        else:
            entity_key = OrderedDict(zip(names, values))
        operation = ftrack_api.operation.CreateEntityOperation._of_values(
            entity.entity_type,
            entity_key,
            local.copy() if plain else local,
            copied=plain,
        )
        session.recorded_operations._push_create(operation, values)
    for attribute, value in relational:
        attribute.set_local_value(entity, value)
    return values, plain


class _EntityBase(object):
    """Common empty base so that mixins can be combined with entity classes."""

    __slots__ = ()


class DynamicEntityTypeMetaclass(abc.ABCMeta):
    """Metaclass of the entity classes built at runtime."""

    def __repr__(cls) -> str:
        return "<dynamic ftrack class '{0}'>".format(cls.__name__)


class Entity(_EntityBase, collections.abc.MutableMapping, metaclass=DynamicEntityTypeMetaclass):
    """An entity: a mutable mapping of attribute names to values.

    Values are stored compactly in two dictionaries (``_local`` for changes
    made in this session, ``_remote`` for values known from the server).
    """

    __slots__ = ("session", "_local", "_remote", "_inflated", "__dict__", "__weakref__")

    entity_type = "Entity"
    attributes: Any = None
    primary_key_attributes: Any = None
    default_projections: Any = None

    def __init__(self, session: Any, data: Optional[Dict[str, Any]] = None, reconstructing: bool = False) -> None:
        self.session = session
        self._local: Dict[str, Any] = {}
        self._remote: Dict[str, Any] = {}
        self._inflated: Any = None
        if data is None:
            data = {}
        if reconstructing:
            self._reconstruct(data)
        else:
            self._construct(data)

    # -- construction -----------------------------------------------------
    @property
    def logger(self) -> logging.Logger:
        """Logger of the entity."""
        return _LOGGER

    def _attribute_map(self) -> Dict[str, Any]:
        attributes = self.attributes
        if attributes is None:
            return {}
        return attributes._by_name

    def _reconstruct(self, data: Dict[str, Any]) -> None:
        by_name = self._attribute_map()
        for name, value in data.items():
            attribute = by_name.get(name)
            if attribute is None:
                continue
            attribute.set_remote_value(self, value)

    def _construct(self, data: Dict[str, Any]) -> None:
        _construct_new(self, data)

    # -- identity helpers -------------------------------------------------
    def _key_values(self) -> Optional[Tuple[str, ...]]:
        names = self.primary_key_attributes
        local = self._local
        remote = self._remote
        if names and len(names) == 1:
            # One key attribute (nearly every type): the same result without the loop.
            name = names[0]
            value = local.get(name, NOT_SET)
            if value is NOT_SET:
                value = remote.get(name, NOT_SET)
                if value is NOT_SET:
                    return None
            return (value if value.__class__ is str else str(value),)
        values = []
        for name in names or ():
            value = local.get(name, NOT_SET)
            if value is NOT_SET:
                value = remote.get(name, NOT_SET)
                if value is NOT_SET:
                    return None
            values.append(str(value))
        return tuple(values)

    def _primary_key_no_fetch(self) -> "OrderedDict[str, str]":
        values = self._key_values()
        if values is None:
            for name in self.primary_key_attributes or ():
                if name not in self._local and name not in self._remote:
                    raise KeyError(
                        "Missing required value for primary key attribute {0!r} on {1}.".format(
                            name, self.entity_type
                        )
                    )
        return OrderedDict(zip(self.primary_key_attributes, values))

    def _is_created(self) -> bool:
        values = self._key_values()
        if values is None:
            return False
        return (
            self.session.recorded_operations._state_of(self.entity_type, values)
            is ftrack_api.symbol.CREATED
        )

    def _may_fetch(self) -> bool:
        """The single gate deciding whether reading an attribute may query the server."""
        session = self.session
        if not session.auto_populate or session.closed:
            return False
        return not self._is_created()

    # -- mapping interface ------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        attributes = self.attributes
        attribute = attributes._by_name.get(key) if attributes is not None else None
        if attribute is None:
            raise KeyError(key)
        if attribute.__class__ is _SCALAR:
            # Fast path for plain scalars (same rules as Attribute.get_value).
            value = self._local.get(key, NOT_SET)
            if value is not NOT_SET:
                return value
            value = self._remote.get(key, NOT_SET)
            if value is not NOT_SET:
                return value
        return attribute.get_value(self)

    def __setitem__(self, key: str, value: Any) -> None:
        attribute = self._attribute_map().get(key)
        if attribute is None:
            raise KeyError(key)
        attribute.set_local_value(self, value)

    def __delitem__(self, key: str) -> None:
        attribute = self._attribute_map().get(key)
        if attribute is None:
            raise KeyError(key)
        attribute.set_local_value(self, NOT_SET)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._attribute_map().keys()))

    def __len__(self) -> int:
        return len(self._attribute_map())

    def _populate_unset(self) -> None:
        if not self._may_fetch():
            return
        missing = [
            name
            for name, attribute in self._attribute_map().items()
            if name not in self._local and name not in self._remote
            and isinstance(attribute, ftrack_api.attribute.ScalarAttribute)
        ]
        if missing:
            self.session.populate([self], ", ".join(missing))

    def values(self) -> List[Any]:  # type: ignore[override]
        """Return the values of every attribute (one query for unset scalars first)."""
        self._populate_unset()
        return [self[name] for name in self]

    def items(self) -> List[Tuple[str, Any]]:  # type: ignore[override]
        """Return ``(name, value)`` pairs of every attribute."""
        self._populate_unset()
        return [(name, self[name]) for name in self]

    def clear(self) -> None:
        """Unset every local value (recording NOT_SET updates when recording is on)."""
        for name in list(self._local.keys()):
            self[name] = NOT_SET

    def merge(self, entity: "Entity", merged: Optional[Dict[Any, Any]] = None) -> List[Dict[str, Any]]:
        """Copy every known local and remote value of *entity* into this one.

        Nested entities and collections are merged through the session.
        Returns a list of changes (dicts with ``type``, ``name``, ``old_value``,
        ``new_value``).
        """
        if merged is None:
            merged = {}
        changes: List[Dict[str, Any]] = []
        session = self.session
        by_name = self._attribute_map()
        other_map = entity._attribute_map()
        ordered = sorted(
            other_map.items(),
            key=lambda item: not isinstance(item[1], ftrack_api.attribute.ScalarAttribute),
        )
        for name, other_attribute in ordered:
            attribute = by_name.get(name)
            if attribute is None:
                continue
            for kind, source, target in (
                ("local_attribute", entity._local, self._local),
                ("remote_attribute", entity._remote, self._remote),
            ):
                value = source.get(name, NOT_SET)
                if value is NOT_SET:
                    continue
                value = session._merge_value(value, merged)
                old_value = target.get(name, NOT_SET)
                if isinstance(attribute, ftrack_api.attribute.AbstractCollectionAttribute):
                    value = attribute._adapt(self, value, remote=True)
                    if kind == "local_attribute":
                        value.mutable = attribute.mutable
                if old_value is value:
                    continue
                target[name] = value
                if kind == "local_attribute":
                    session._mark_dirty(self)
                changes.append(
                    {"type": kind, "name": name, "old_value": old_value, "new_value": value}
                )
        return changes

    # -- presentation and identity -----------------------------------------
    def __repr__(self) -> str:
        return "<dynamic ftrack {0} object {1}>".format(type(self).__name__, id(self))

    def __str__(self) -> str:
        values = self._key_values()
        if values is None:
            text = "Unknown"
        else:
            text = ", ".join(values)
        return "<{0}({1})>".format(type(self).__name__, text)

    def __hash__(self) -> int:
        values = self._key_values()
        if values is None:
            raise KeyError("Entity {0!r} has no primary key; it is not hashable.".format(self))
        return hash(str((str(self.entity_type), list(values))))

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Entity):
            return False
        try:
            mine = self._key_values()
            theirs = other._key_values()
        except (AttributeError, KeyError):
            return False
        if mine is None or theirs is None:
            return self is other
        return str(self.entity_type) == str(other.entity_type) and mine == theirs

    def __ne__(self, other: Any) -> bool:
        return not self.__eq__(other)
