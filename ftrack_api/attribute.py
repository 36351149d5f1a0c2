"""Attribute descriptions of entity types and the logic to read/write their values.

Every entity stores its values in two small dictionaries: ``_local`` (values
set in this session, not committed yet) and ``_remote`` (values known from the
server). A missing key means :data:`~ftrack_api.symbol.NOT_SET`. Reading goes
through one gate (:meth:`Attribute.get_value`): local value, else remote value,
else - only when auto-population is allowed for the entity - one fetch.
"""
from __future__ import annotations

import collections.abc
import functools
import logging
from collections import OrderedDict
from typing import Any, Callable, Dict, Iterator, List, Optional

import ftrack_api.collection
import ftrack_api.exception
import ftrack_api.operation
import ftrack_api.symbol

__all__ = [
    "merge_references",
    "Attributes",
    "Attribute",
    "ScalarAttribute",
    "ReferenceAttribute",
    "AbstractCollectionAttribute",
    "CollectionAttribute",
    "KeyValueMappedCollectionAttribute",
    "CustomAttributeCollectionAttribute",
]

logger = logging.getLogger(__name__)

NOT_SET = ftrack_api.symbol.NOT_SET


def merge_references(function: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate ``get_value(attribute, entity)`` to attach returned entities to the session.

    Values that are entities or collections of entities not yet known to the
    session are merged into it first.
    """

    @functools.wraps(function)
    def wrapper(attribute: "Attribute", entity: Any) -> Any:
        value = function(attribute, entity)
        session = getattr(entity, "session", None)
        if session is None:
            return value
        import ftrack_api.entity.base as entity_base

        if isinstance(value, entity_base.Entity) and not session._is_attached(value):
            return session.merge(value)
        return value

    return wrapper


class Attributes(object):
    """An ordered registry of :class:`Attribute` objects, keyed by name."""

    __slots__ = ("_by_name",)

    def __init__(self, attributes: Optional[List["Attribute"]] = None) -> None:
        self._by_name: "OrderedDict[str, Attribute]" = OrderedDict()
        for attribute in attributes or ():
            self.add(attribute)

    def add(self, attribute: "Attribute") -> None:
        """Add *attribute*; :exc:`~ftrack_api.exception.NotUniqueError` if its name exists."""
        if attribute.name in self._by_name:
            raise ftrack_api.exception.NotUniqueError(
                "Attribute with name {0!r} already added.".format(attribute.name)
            )
        self._by_name[attribute.name] = attribute

    def remove(self, attribute: "Attribute") -> None:
        """Remove *attribute* (:exc:`KeyError` if absent)."""
        del self._by_name[attribute.name]

    def get(self, name: str) -> Optional["Attribute"]:
        """Return the attribute called *name*, or ``None``."""
        return self._by_name.get(name)

    def keys(self) -> List[str]:
        """Return the attribute names, in order."""
        return list(self._by_name.keys())

    def __contains__(self, item: Any) -> bool:
        if not isinstance(item, Attribute):
            return False
        return self._by_name.get(item.name) is item

    def __iter__(self) -> Iterator["Attribute"]:
        return iter(list(self._by_name.values()))

    def __len__(self) -> int:
        return len(self._by_name)

    def __repr__(self) -> str:
        return "<Attributes {0}>".format(self.keys())


class Attribute(object):
    """Description of one attribute of an entity type.

    *default_value* may be a callable taking the new entity. An immutable
    attribute can be set once (from empty) but never changed afterwards.
    *computed* attributes are server-computed; the ``persisted_only`` encode
    strategy leaves them out.
    """

    __slots__ = ("_name", "_mutable", "_computed", "default_value")

    def __init__(
        self, name: str, default_value: Any = NOT_SET, mutable: bool = True, computed: bool = False
    ) -> None:
        self._name = name
        self.default_value = default_value
        self._mutable = mutable
        self._computed = computed

    def __repr__(self) -> str:
        return "<{0}.{1}({2}) object at {3}>".format(
            self.__class__.__module__, self.__class__.__name__, self._name, id(self)
        )

    @property
    def name(self) -> str:
        """Name of the attribute."""
        return self._name

    @property
    def mutable(self) -> bool:
        """Whether the value may be changed once set."""
        return self._mutable

    @property
    def computed(self) -> bool:
        """Whether the value is computed by the server."""
        return self._computed

    # -- storage ----------------------------------------------------------
    def get_entity_storage(self, entity: Any) -> Dict[str, Any]:
        """Return ``{"local": value, "remote": value}`` for *entity* (a snapshot)."""
        return {
            "local": entity._local.get(self._name, NOT_SET),
            "remote": entity._remote.get(self._name, NOT_SET),
        }

    def get_local_value(self, entity: Any) -> Any:
        """Return the local value (or NOT_SET)."""
        return entity._local.get(self._name, NOT_SET)

    def get_remote_value(self, entity: Any) -> Any:
        """Return the remote value (or NOT_SET); never fetches."""
        return entity._remote.get(self._name, NOT_SET)

    def get_value(self, entity: Any) -> Any:
        """Return the local value, else the remote value, else fetch it when allowed.

        Never raises for missing data: returns NOT_SET when nothing is known.
        """
        name = self._name
        value = entity._local.get(name, NOT_SET)
        if value is not NOT_SET:
            return value
        value = entity._remote.get(name, NOT_SET)
        if value is NOT_SET and entity._may_fetch():
            self.populate_remote_value(entity)
            value = entity._remote.get(name, NOT_SET)
        return value

    def _check_mutable(self, entity: Any, value: Any) -> None:
        if self._mutable or value is NOT_SET:
            return
        name = self._name
        if name in entity._local or name in entity._remote:
            raise ftrack_api.exception.ImmutableAttributeError(self)

    def set_local_value(self, entity: Any, value: Any) -> None:
        """Set the local value, recording an update operation when recording is on."""
        self._check_mutable(entity, value)
        self._store_local(entity, value)

    def _store_local(self, entity: Any, value: Any) -> None:
        name = self._name
        old_value = entity._local.get(name, NOT_SET)
        if value is NOT_SET:
            entity._local.pop(name, None)
        else:
            entity._local[name] = value
        session = entity.session
        session._mark_dirty(entity)
        if session.record_operations:
            session.recorded_operations.push(
                ftrack_api.operation.UpdateEntityOperation(
                    entity.entity_type,
                    entity._primary_key_no_fetch(),
                    name,
                    old_value,
                    value,
                )
            )

    def set_remote_value(self, entity: Any, value: Any) -> None:
        """Set the remote value; never records an operation."""
        if value is NOT_SET:
            entity._remote.pop(self._name, None)
        else:
            entity._remote[self._name] = value

    def _projections(self, entity: Any) -> List[str]:
        return [self._name]

    def populate_remote_value(self, entity: Any) -> None:
        """Fetch the value of this attribute from the server."""
        entity.session.populate([entity], ", ".join(self._projections(entity)))

    def is_modified(self, entity: Any) -> bool:
        """Whether a local value is set and differs from the remote value."""
        local = entity._local.get(self._name, NOT_SET)
        if local is NOT_SET:
            return False
        return local != entity._remote.get(self._name, NOT_SET)

    def is_set(self, entity: Any) -> bool:
        """Whether a local or a remote value is set."""
        return self._name in entity._local or self._name in entity._remote


class ScalarAttribute(Attribute):
    """A plain value; *data_type* is informational (no coercion is done)."""

    __slots__ = ("data_type",)

    def __init__(self, name: str, data_type: str, **kw: Any) -> None:
        super().__init__(name, **kw)
        self.data_type = data_type


class ReferenceAttribute(Attribute):
    """A reference to one entity of *entity_type*."""

    __slots__ = ("entity_type",)

    def __init__(self, name: str, entity_type: str, **kw: Any) -> None:
        super().__init__(name, **kw)
        self.entity_type = entity_type

    def _projections(self, entity: Any) -> List[str]:
        target = entity.session.types.get(self.entity_type)
        projections = list(getattr(target, "default_projections", None) or [])
        if not projections:
            return [self._name]
        return ["{0}.{1}".format(self._name, projection) for projection in projections]

    def is_modified(self, entity: Any) -> bool:
        local = entity._local.get(self._name, NOT_SET)
        if local is NOT_SET:
            return False
        remote = entity._remote.get(self._name, NOT_SET)
        if local is remote:
            return False
        if local is None or remote is None or remote is NOT_SET:
            return local is not remote
        return _identity_of(local) != _identity_of(remote)

    @merge_references
    def get_value(self, entity: Any) -> Any:
        return Attribute.get_value(self, entity)


def _identity_of(entity: Any) -> Any:
    try:
        return (entity.entity_type, entity._key_values())
    except Exception:
        return id(entity)


class AbstractCollectionAttribute(Attribute):
    """Base of attributes holding a collection of entities."""

    __slots__ = ()

    #: Class used to hold the value.
    collection_class: Any = None

    def get_value(self, entity: Any) -> Any:
        """Return the collection (local if changed, else the known remote one).

        A persisted entity whose collection was never loaded (and cannot be
        fetched) gets an empty collection that is only stored once it is
        changed, so a later load is never masked by a stale placeholder.
        """
        return self._wrap(entity, self._collection(entity))

    def _collection(self, entity: Any) -> "ftrack_api.collection.Collection":
        value = entity._local.get(self._name, NOT_SET)
        if value is not NOT_SET:
            return value
        value = Attribute.get_value(self, entity)  # remote, else fetched when allowed
        if value is NOT_SET or value is None:
            placeholder = ftrack_api.collection.Collection(entity, self, mutable=self._mutable)
            if entity._is_created():
                # A new entity has nothing on the server yet: the empty collection is
                # its true remote state (changing it makes it local, as usual).
                entity._remote[self._name] = placeholder
            else:
                placeholder._detached = True
            return placeholder
        return value

    def _wrap(self, entity: Any, collection: Any) -> Any:
        return collection

    def _adapt(self, entity: Any, value: Any, remote: bool) -> Any:
        Collection = ftrack_api.collection.Collection
        if value is None:
            value = []
        if isinstance(value, ftrack_api.collection.MappedCollectionProxy):
            value = value.collection
        if isinstance(value, Collection):
            if value.entity is not entity or value.attribute is not self:
                if remote:
                    return Collection(entity, self, mutable=self._mutable, data=list(value))
                raise ftrack_api.exception.AttributeError(
                    "Collection already bound to a different attribute."
                )
            return value
        if isinstance(value, (list, tuple)):
            return Collection(entity, self, mutable=self._mutable, data=list(value))
        raise NotImplementedError(
            "Cannot convert {0!r} to a collection for attribute {1!r}.".format(value, self._name)
        )

    def set_local_value(self, entity: Any, value: Any) -> None:
        self._check_mutable(entity, value)
        if value is not NOT_SET:
            value = self._adapt(entity, value, remote=False)
        self._store_local(entity, value)

    def set_remote_value(self, entity: Any, value: Any) -> None:
        if value is NOT_SET:
            entity._remote.pop(self._name, None)
            return
        entity._remote[self._name] = self._adapt(entity, value, remote=True)

    def is_modified(self, entity: Any) -> bool:
        local = entity._local.get(self._name, NOT_SET)
        if local is NOT_SET:
            return False
        return local != entity._remote.get(self._name, NOT_SET)


class CollectionAttribute(AbstractCollectionAttribute):
    """A plain collection (list) of entities."""

    __slots__ = ()
    collection_class = ftrack_api.collection.Collection


class KeyValueMappedCollectionAttribute(AbstractCollectionAttribute):
    """A collection of entities presented as a mapping (metadata, custom attributes).

    *creator* is called as ``creator(proxy, {key_attribute: key,
    value_attribute: value})`` to make a new item entity.
    """

    __slots__ = ("creator", "key_attribute", "value_attribute")
    collection_class = ftrack_api.collection.KeyValueMappedCollectionProxy

    def __init__(
        self, name: str, creator: Callable[..., Any], key_attribute: str, value_attribute: str, **kw: Any
    ) -> None:
        super().__init__(name, **kw)
        self.creator = creator
        self.key_attribute = key_attribute
        self.value_attribute = value_attribute

    def _projections(self, entity: Any) -> List[str]:
        return [
            "{0}.{1}".format(self._name, self.key_attribute),
            "{0}.{1}".format(self._name, self.value_attribute),
        ]

    def _wrap(self, entity: Any, collection: Any) -> Any:
        return ftrack_api.collection.KeyValueMappedCollectionProxy(
            collection, self.creator, self.key_attribute, self.value_attribute
        )

    def set_local_value(self, entity: Any, value: Any) -> None:
        if isinstance(value, collections.abc.Mapping) and not isinstance(
            value, ftrack_api.collection.MappedCollectionProxy
        ):
            self._check_mutable(entity, value)
            proxy = self.get_value(entity)
            for key in list(proxy.keys()):
                if key not in value:
                    del proxy[key]
            for key, item in value.items():
                proxy[key] = item
            return
        super().set_local_value(entity, value)


class CustomAttributeCollectionAttribute(AbstractCollectionAttribute):
    """The legacy ``CustomAttributeValue`` mapping keyed by configuration key."""

    __slots__ = ()
    collection_class = ftrack_api.collection.CustomAttributeCollectionProxy

    def _wrap(self, entity: Any, collection: Any) -> Any:
        return ftrack_api.collection.CustomAttributeCollectionProxy(collection)

    def set_local_value(self, entity: Any, value: Any) -> None:
        if isinstance(value, collections.abc.Mapping) and not isinstance(
            value, ftrack_api.collection.MappedCollectionProxy
        ):
            proxy = self.get_value(entity)
            for key, item in value.items():
                proxy[key] = item
            return
        super().set_local_value(entity, value)
