"""Collections of entities held by collection attributes, and mapping views over them."""
from __future__ import annotations

import collections.abc
import copy
import logging
from typing import Any, Callable, Iterable, Iterator, List, Optional

import ftrack_api.exception
import ftrack_api.operation
import ftrack_api.symbol

__all__ = [
    "Collection",
    "MappedCollectionProxy",
    "KeyValueMappedCollectionProxy",
    "CustomAttributeCollectionProxy",
]

NOT_SET = ftrack_api.symbol.NOT_SET


def _identity_key(item: Any) -> Any:
    try:
        values = item._key_values()
    except AttributeError:
        raise TypeError("Collections can only hold entities, not {0!r}.".format(item)) from None
    if values is None:
        raise KeyError("Entity {0!r} has no primary key value; it cannot be put in a collection.".format(item))
    return (item.entity_type, values)


class Collection(collections.abc.MutableSequence):
    """A list of entities owned by *entity* through *attribute*.

    Membership and equality are by entity identity (type and primary key),
    so ``in`` never fetches and ``==`` ignores order. Every change records an
    :class:`~ftrack_api.operation.UpdateEntityOperation` of the owner.
    """

    __slots__ = ("entity", "attribute", "mutable", "_data", "_identities", "_detached")

    def __init__(self, entity: Any, attribute: Any, mutable: bool = True, data: Optional[Iterable[Any]] = None) -> None:
        self.entity = entity
        self.attribute = attribute
        self.mutable = mutable
        self._data: List[Any] = []
        self._identities: set = set()
        self._detached = False
        if data:
            for item in data:
                key = _identity_key(item)
                if key in self._identities:
                    continue
                self._identities.add(key)
                self._data.append(item)

    # -- change tracking --------------------------------------------------
    def _before_change(self) -> "Collection":
        if not self.mutable:
            raise ftrack_api.exception.ImmutableCollectionError(self)
        entity = self.entity
        name = self.attribute.name
        snapshot = self._clone()
        snapshot.mutable = self.mutable
        if entity._local.get(name, NOT_SET) is not self:
            if not self._detached and entity._remote.get(name, NOT_SET) is self:
                entity._remote[name] = self._clone()
            entity._local[name] = self
            self._detached = False
        return snapshot

    def _after_change(self, old: "Collection") -> None:
        entity = self.entity
        session = entity.session
        session._mark_dirty(entity)
        if session.record_operations:
            session.recorded_operations.push(
                ftrack_api.operation.UpdateEntityOperation(
                    entity.entity_type,
                    entity._primary_key_no_fetch(),
                    self.attribute.name,
                    old,
                    self,
                )
            )

    def _clone(self) -> "Collection":
        clone = Collection.__new__(Collection)
        clone.entity = self.entity
        clone.attribute = self.attribute
        clone.mutable = self.mutable
        clone._data = list(self._data)
        clone._identities = set(self._identities)
        clone._detached = True
        return clone

    __copy__ = _clone

    # -- sequence protocol ------------------------------------------------
    def insert(self, index: int, item: Any) -> None:
        key = _identity_key(item)
        if key in self._identities:
            raise ftrack_api.exception.DuplicateItemInCollectionError(item, self)
        old = self._before_change()
        self._data.insert(index, item)
        self._identities.add(key)
        self._after_change(old)

    def __getitem__(self, index: Any) -> Any:
        return self._data[index]

    def __setitem__(self, index: Any, item: Any) -> None:
        if isinstance(index, slice):
            raise NotImplementedError("Slice assignment is not supported on collections.")
        key = _identity_key(item)
        current = self._data[index]
        current_key = _identity_key(current)
        if key != current_key and key in self._identities:
            raise ftrack_api.exception.DuplicateItemInCollectionError(item, self)
        old = self._before_change()
        self._data[index] = item
        self._identities.discard(current_key)
        self._identities.add(key)
        self._after_change(old)

    def __delitem__(self, index: Any) -> None:
        items = self._data[index] if isinstance(index, slice) else [self._data[index]]
        old = self._before_change()
        del self._data[index]
        for item in items:
            self._identities.discard(_identity_key(item))
        self._after_change(old)

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._data))

    def __contains__(self, item: Any) -> bool:
        try:
            return _identity_key(item) in self._identities
        except (KeyError, TypeError):
            return False

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Collection):
            return False
        return sorted(self._identities) == sorted(other._identities)

    def __ne__(self, other: Any) -> bool:
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "<{0}.{1} object at {2:#x} {3!r}>".format(
            self.__class__.__module__, self.__class__.__name__, id(self), self._data
        )


class MappedCollectionProxy(collections.abc.MutableMapping):
    """Base of mapping views over a :class:`Collection`."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.logger = logging.getLogger(__name__ + "." + self.__class__.__name__)

    @property
    def mutable(self) -> bool:
        """Whether the underlying collection may change."""
        return self.collection.mutable

    @mutable.setter
    def mutable(self, value: bool) -> None:
        self.collection.mutable = value

    @property
    def attribute(self) -> Any:
        """The attribute owning the underlying collection."""
        return self.collection.attribute

    @attribute.setter
    def attribute(self, value: Any) -> None:
        self.collection.attribute = value

    def __copy__(self) -> "MappedCollectionProxy":
        return type(self)(copy.copy(self.collection))

    def __getitem__(self, key: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError()

    def __setitem__(self, key: Any, value: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError()

    def __delitem__(self, key: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError()

    def __iter__(self) -> Iterator[Any]:  # pragma: no cover - abstract
        raise NotImplementedError()

    def __len__(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError()


class KeyValueMappedCollectionProxy(MappedCollectionProxy):
    """A ``{key: value}`` view over a collection of item entities.

    Items are matched on their *key_attribute*; their *value_attribute* holds
    the value. Setting a new key calls *creator*; deleting a key removes the
    item from the collection and deletes the item entity.
    """

    def __init__(self, collection: Collection, creator: Callable[..., Any], key_attribute: str, value_attribute: str) -> None:
        super().__init__(collection)
        self.creator = creator
        self.key_attribute = key_attribute
        self.value_attribute = value_attribute

    def __copy__(self) -> "KeyValueMappedCollectionProxy":
        return KeyValueMappedCollectionProxy(
            copy.copy(self.collection), self.creator, self.key_attribute, self.value_attribute
        )

    def _get_entity_by_key(self, key: Any) -> Any:
        for entity in self.collection._data:
            if entity[self.key_attribute] == key:
                return entity
        raise KeyError(key)

    def get_by_key(self, key: Any) -> Any:
        """Return the item entity for *key* (:exc:`KeyError` if missing)."""
        return self._get_entity_by_key(key)

    def __getitem__(self, key: Any) -> Any:
        return self._get_entity_by_key(key)[self.value_attribute]

    def __setitem__(self, key: Any, value: Any) -> None:
        try:
            entity = self._get_entity_by_key(key)
        except KeyError:
            entity = self.creator(self, {self.key_attribute: key, self.value_attribute: value})
            session = self.collection.entity.session
            import ftrack_api.inspection

            if ftrack_api.inspection.state(entity) is ftrack_api.symbol.CREATED:
                self.collection.append(entity)
            else:
                with session.operation_recording(False):
                    self.collection.append(entity)
        else:
            entity[self.value_attribute] = value

    def __delitem__(self, key: Any) -> None:
        entity = self._get_entity_by_key(key)
        self.collection.remove(entity)
        self.collection.entity.session.delete(entity)

    def keys(self) -> List[Any]:  # type: ignore[override]
        """Return the distinct keys as a list."""
        seen: List[Any] = []
        for entity in self.collection._data:
            key = entity[self.key_attribute]
            if key not in seen:
                seen.append(key)
        return seen

    def __iter__(self) -> Iterator[Any]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def __repr__(self) -> str:
        return "<{0} {1!r}>".format(self.__class__.__name__, dict(self.items()))


def __getattr__(name: str) -> Any:
    # Names the official module re-exports from the factory (resolved lazily).
    if name in ("PerSessionDefaultKeyMaker", "memoise_session"):
        import ftrack_api.entity.factory

        return getattr(ftrack_api.entity.factory, name)
    raise AttributeError("module {0!r} has no attribute {1!r}".format(__name__, name))


def _get_custom_attribute_configurations(session: Any) -> List[Any]:
    """Return the custom attribute configurations of *session* (fetched once)."""
    cached = getattr(session, "_custom_attribute_configurations", None)
    if cached is None:
        cached = session.query(
            "select key, project_id, id, object_type_id, entity_type, default, is_hierarchical "
            "from CustomAttributeConfiguration"
        ).all()
        session._custom_attribute_configurations = cached
    return cached


class CustomAttributeCollectionProxy(MappedCollectionProxy):
    """A ``{configuration key: value}`` view over legacy ``CustomAttributeValue`` items."""

    _ENTITY_TYPES = {
        "Task": "task",
        "AssetVersion": "assetversion",
        "Asset": "asset",
        "Project": "show",
        "User": "user",
    }

    def __copy__(self) -> "CustomAttributeCollectionProxy":
        return CustomAttributeCollectionProxy(copy.copy(self.collection))

    def _configurations(self) -> List[Any]:
        entity = self.collection.entity
        type_name = self._ENTITY_TYPES.get(entity.entity_type)
        if type_name is None and entity.entity_type in entity.session.types:
            if "object_type_id" in entity.attributes.keys():
                type_name = "task"
        if type_name is None:
            raise ValueError("Entity {0!r} not supported.".format(entity))
        project_id = None
        if entity.entity_type == "Project":
            project_id = entity["id"]
        elif "project_id" in entity.attributes.keys():
            project_id = entity["project_id"]
        object_type_id = None
        if "object_type_id" in entity.attributes.keys():
            object_type_id = entity["object_type_id"]
        specific, general = [], []
        for configuration in _get_custom_attribute_configurations(entity.session):
            if configuration["entity_type"] != type_name:
                continue
            if configuration["object_type_id"] not in (None, object_type_id):
                continue
            if configuration["project_id"] == project_id and project_id is not None:
                specific.append(configuration)
            elif configuration["project_id"] is None:
                general.append(configuration)
        return specific + general

    def get_configuration_id_from_key(self, key: str) -> str:
        """Return the id of the configuration whose key is *key* (:exc:`KeyError` if none)."""
        for configuration in self._configurations():
            if configuration["key"] == key:
                return configuration["id"]
        raise KeyError(key)

    def _value_entity(self, configuration_id: str) -> Any:
        for item in self.collection._data:
            if item["configuration_id"] == configuration_id:
                return item
        return None

    def __getitem__(self, key: Any) -> Any:
        configuration_id = self.get_configuration_id_from_key(key)
        item = self._value_entity(configuration_id)
        if item is not None:
            return item["value"]
        for configuration in self._configurations():
            if configuration["id"] == configuration_id:
                return configuration["default"]
        raise KeyError(key)  # pragma: no cover

    def __setitem__(self, key: Any, value: Any) -> None:
        configuration_id = self.get_configuration_id_from_key(key)
        item = self._value_entity(configuration_id)
        if item is not None:
            item["value"] = value
            return
        entity = self.collection.entity
        item = entity.session.create(
            "CustomAttributeValue",
            {"configuration_id": configuration_id, "entity_id": entity["id"], "value": value},
        )
        entity[self.collection.attribute.name].collection.append(item)

    def __delitem__(self, key: Any) -> None:
        configuration_id = self.get_configuration_id_from_key(key)
        item = self._value_entity(configuration_id)
        if item is None:
            self.logger.warning("Custom attribute %r is not set; nothing to delete.", key)
            return
        self.collection.remove(item)
        self.collection.entity.session.delete(item)

    def __iter__(self) -> Iterator[Any]:
        return iter([configuration["key"] for configuration in self._configurations()])

    def __len__(self) -> int:
        return len(self._configurations())
