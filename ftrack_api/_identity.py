"""The identity map of a session: merging server rows and entities into cached instances.

This is the hot path of every query: a row is merged in time proportional to
the attributes it carries, straight from the parsed JSON (no intermediate
entity objects). The methods are mixed into :class:`ftrack_api.session.Session`.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import ftrack_api._codec as _codec
import ftrack_api.attribute
import ftrack_api.collection
import ftrack_api.entity.base
import ftrack_api.exception


_ENTITY_INIT = ftrack_api.entity.base.Entity.__init__
_COLLECTION = ftrack_api.collection.Collection
_COLLECTION_ATTRIBUTE = ftrack_api.attribute.AbstractCollectionAttribute


def _new_reconstructed(cls: Any, session: Any) -> Any:
    """Return an empty reconstructed instance of *cls* (skipping ``__init__`` when it is the base one)."""
    if cls.__init__ is not _ENTITY_INIT:
        return cls(session, None, True)
    entity = cls.__new__(cls)
    entity.session = session
    entity._local = {}
    entity._remote = {}
    entity._inflated = None
    return entity


_POOLED_NAMES = frozenset(["context_type", "resource_type", "system_type", "parent_type", "entity_type"])


def _poolable_names(cls: Any) -> frozenset:
    """Attributes whose values repeat across rows (foreign keys, kinds): stored once per page."""
    keys = set(cls.primary_key_attributes or ())
    names = frozenset(
        name
        for name, attribute in cls.attributes._by_name.items()
        if isinstance(attribute, ftrack_api.attribute.ScalarAttribute)
        and name not in keys
        and (name.endswith("_id") or name in _POOLED_NAMES)
    )
    type.__setattr__(cls, "_ftrack_poolable", names)
    return names


#: Attribute data types whose JSON values are plain (never typed objects or entities).
_PLAIN_TYPES = frozenset(["string", "integer", "float", "boolean"])
_SCALAR = ftrack_api.attribute.ScalarAttribute


def _plain_layout(by_name: Dict[str, Any], poolable: frozenset, keys: Sequence[str]) -> Any:
    """For rows with exactly *keys*: ``(pooled names, typed names)`` when every key but the
    type marker is a :class:`~ftrack_api.attribute.ScalarAttribute` (such rows can be stored
    wholesale), else False.

    *typed names* are the scalars whose JSON value may be a typed object (a date) rather
    than plain text, number or boolean: they are decoded one by one after the wholesale store.
    """
    if "__entity_type__" not in keys:
        return False
    typed = []
    for name in keys:
        if name == "__entity_type__":
            continue
        attribute = by_name.get(name)
        if attribute is None or attribute.__class__ is not _SCALAR:
            return False
        if attribute.data_type not in _PLAIN_TYPES:
            typed.append(name)
    return tuple(name for name in keys if name in poolable), tuple(typed)


class _IdentityMap(object):
    """Identity-map behaviour of the session (see :meth:`Session.merge`)."""

    # ------------------------------------------------------------------
    # Identity map
    # ------------------------------------------------------------------
    def _identity_key(self, entity_type: str, values: Sequence[str]) -> Any:
        if self._fast_keys:
            if len(values) == 1 and values[0].__class__ is str:
                # Same text as str((entity_type, [value])), built in one step.
                return "(%r, [%r])" % (entity_type, values[0])
            return str((entity_type, list(values)))
        return self.cache_key_maker.key((entity_type, list(values)))

    def _cache_lookup(self, key: Any) -> Any:
        entity = self._identity.get(key)
        if entity is not None or self._single_layer:
            return entity
        try:
            entity = self.cache.get(key)
        except KeyError:
            return None
        if isinstance(entity, ftrack_api.entity.base.Entity):
            if entity.session is not self:
                entity.session = self
            self._identity[key] = entity
            self._attach_references(entity, {key: entity})
        return entity

    def _attach_references(self, entity: Any, merged: Dict[Any, Any]) -> None:
        """Replace detached nested entities (for example from a persistent cache) by attached ones."""
        Entity = ftrack_api.entity.base.Entity
        Collection = ftrack_api.collection.Collection
        for storage in (entity._local, entity._remote):
            for name, value in list(storage.items()):
                if isinstance(value, Entity) and not self._is_attached(value):
                    storage[name] = self._merge_entity(value, merged)
                elif isinstance(value, Collection) and any(not self._is_attached(item) for item in value._data):
                    storage[name] = Collection(
                        entity,
                        value.attribute,
                        mutable=value.mutable,
                        data=[self._merge_entity(item, merged) for item in value._data],
                    )

    def _cache_store(self, key: Any, entity: Any) -> None:
        if self._single_layer:
            self._identity[key] = entity
        else:
            self.cache.set(key, entity)

    def _is_attached(self, entity: Any) -> bool:
        values = entity._key_values()
        if values is None:
            return False
        return self._identity.get(self._identity_key(entity.entity_type, values)) is entity

    def _mark_dirty(self, entity: Any) -> None:
        self._dirty[id(entity)] = entity

    def _entity_class(self, entity_type: str) -> Any:
        cls = self.types.get(entity_type)
        if cls is None:
            raise ftrack_api.exception.UnrecognisedEntityTypeError(entity_type)
        return cls

    def _merge_rows(self, rows: List[Any]) -> List[Any]:
        merged: Dict[Any, Any] = {}
        # Short strings repeated across rows (foreign keys, types) are stored once.
        pool: Dict[str, str] = {}
        merge_row = self._merge_row
        with self._thread_lock:
            return [
                merge_row(row, merged, pool)
                if row.__class__ is dict and "__entity_type__" in row
                else _codec.decode_value(self, row, self._detached_entity)  # e.g. group-by rows
                for row in rows
            ]

    def _merge_row(self, row: Dict[str, Any], merged: Dict[Any, Any], pool: Optional[Dict[str, str]] = None) -> Any:
        """Merge one server row (raw parsed JSON) into the identity map and return the entity."""
        entity_type = row["__entity_type__"]
        cls = self.types.get(entity_type)
        if cls is None:
            raise ftrack_api.exception.UnrecognisedEntityTypeError(entity_type)
        names = cls.primary_key_attributes
        try:
            if len(names) == 1:
                value = row[names[0]]
                values: Any = (value if value.__class__ is str else str(value),)
            else:
                values = tuple([str(row[name]) for name in names])
        except KeyError as error:
            raise ftrack_api.exception.ServerError(
                "Server returned a {0} without its primary key {1}.".format(entity_type, error)
            ) from None
        if self._fast_keys:
            # Same text as str((entity_type, [values...])), built in one step.
            key: Any = ("(%r, [%r])" % (entity_type, values[0])) if len(values) == 1 else str(
                (entity_type, list(values))
            )
        else:
            key = self.cache_key_maker.key((entity_type, list(values)))
        entity = merged.get(key)
        new = False
        if entity is None:
            entity = self._identity.get(key)
            if entity is None and not self._single_layer:
                entity = self._cache_lookup(key)
            if entity is None:
                entity = _new_reconstructed(cls, self)
                new = True
            merged[key] = entity
        remote = entity._remote
        keys = tuple(row)
        layouts = cls.__dict__.get("_ftrack_plain_layouts")
        layout = None if layouts is None else layouts.get(keys)
        if layout is None:
            if layouts is None:
                layouts = {}
                type.__setattr__(cls, "_ftrack_plain_layouts", layouts)
            poolable = cls.__dict__.get("_ftrack_poolable")
            if poolable is None:
                poolable = _poolable_names(cls)
            layout = _plain_layout(cls.attributes._by_name, poolable, keys)
            if len(layouts) < 64:
                layouts[keys] = layout
        if layout is not False:
            pooled, typed = layout
            decoded = None
            for name in typed:
                value = row[name]
                if value.__class__ is dict:
                    if "__entity_type__" in value:
                        break  # an entity under a scalar: the general loop below handles it
                    if "__type__" in value:
                        if decoded is None:
                            decoded = []
                        if value.get("__type__") == "datetime" and len(value) == 2 and "value" in value:
                            decoded.append((name, _codec.parse_datetime(value["value"], self._timezone_support)))
                        else:
                            decoded.append((name, _codec.decode_value(self, value, self._detached_entity)))
            else:
                # Every key is a scalar or the type marker: the values are stored as they
                # are, the repeated ones pooled and the typed ones decoded, as the loop
                # below does one key at a time.
                remote.update(row)
                del remote["__entity_type__"]
                if decoded is not None:
                    for name, value in decoded:
                        remote[name] = value
                if pool is not None:
                    setdefault = pool.setdefault
                    for name in pooled:
                        value = row[name]
                        if value.__class__ is str:
                            remote[name] = setdefault(value, value)
                if new or not self._single_layer:
                    self._cache_store(key, entity)
                return entity
        by_name = cls.attributes._by_name
        poolable = cls.__dict__.get("_ftrack_poolable")
        if poolable is None:
            poolable = _poolable_names(cls)
        for name, value in row.items():
            attribute = by_name.get(name)
            if attribute is None:
                continue
            kind = value.__class__
            if kind is str:
                if pool is not None and name in poolable:
                    value = pool.setdefault(value, value)
            elif kind is dict:
                if "__entity_type__" in value:
                    value = self._merge_row(value, merged, pool)
                elif "__type__" in value:
                    value = _codec.decode_value(self, value, self._detached_entity)
            elif kind is list and isinstance(attribute, _COLLECTION_ATTRIBUTE):
                value = _COLLECTION(
                    entity,
                    attribute,
                    mutable=attribute._mutable,
                    data=[self._merge_row(item, merged, pool) for item in value],
                )
            remote[name] = value
        if new or not self._single_layer:
            self._cache_store(key, entity)
        return entity

    def _detached_entity(self, entity_type: str, data: Dict[str, Any]) -> Any:
        cls = self._entity_class(entity_type)
        return cls(self, data, reconstructing=True)

    def merge(self, value: Any, merged: Optional[Dict[Any, Any]] = None) -> Any:
        """Merge *value* into the session and return the attached result.

        Entities are merged into the cached instance with the same identity (a
        new attached instance is created when none is cached); collections give
        plain lists of merged entities; other values are returned unchanged.
        """
        if merged is None:
            merged = {}
        with self._thread_lock, self.operation_recording(False):
            return self._merge_value(value, merged)

    def _merge_value(self, value: Any, merged: Dict[Any, Any]) -> Any:
        if isinstance(value, ftrack_api.entity.base.Entity):
            return self._merge_entity(value, merged)
        if isinstance(value, ftrack_api.collection.Collection):
            return [self._merge_value(item, merged) for item in value._data]
        if isinstance(value, ftrack_api.collection.MappedCollectionProxy):
            return [self._merge_value(item, merged) for item in value.collection._data]
        if isinstance(value, list) and value and isinstance(value[0], ftrack_api.entity.base.Entity):
            return [self._merge_value(item, merged) for item in value]
        return value

    def _merge_entity(self, entity: Any, merged: Dict[Any, Any]) -> Any:
        values = entity._key_values()
        if values is None:
            raise KeyError("Cannot merge {0!r}: its primary key is not set.".format(entity))
        key = self._identity_key(entity.entity_type, values)
        attached = merged.get(key)
        if attached is not None:
            return attached
        attached = self._cache_lookup(key)
        if attached is None:
            if entity.session is self and entity._attribute_map() is self._entity_class(entity.entity_type).attributes._by_name and not self._refers_detached(entity):
                attached = entity
            else:
                attached = self._entity_class(entity.entity_type)(self, None, True)
            merged[key] = attached
            self._cache_store(key, attached)
        else:
            merged[key] = attached
        if attached is not entity:
            attached.merge(entity, merged)
            if not self._single_layer:
                self._cache_store(key, attached)
        return attached

    def _refers_detached(self, entity: Any) -> bool:
        plain = _codec.PLAIN_TYPES
        for storage in (entity._local, entity._remote):
            for value in storage.values():
                if type(value) in plain:
                    continue
                if isinstance(value, ftrack_api.entity.base.Entity) and not self._is_attached(value):
                    return True
                if isinstance(value, ftrack_api.collection.Collection):
                    if any(not self._is_attached(item) for item in value._data):
                        return True
        return False
