"""Locations: where component data lives, and how to move it there."""
from __future__ import annotations

import collections.abc
from typing import Any, Dict, List, Optional, Sequence

import ftrack_api.entity.base
import ftrack_api.exception
import ftrack_api.symbol

__all__ = [
    "Location",
    "MemoryLocationMixin",
    "UnmanagedLocationMixin",
    "OriginLocationMixin",
    "ServerLocationMixin",
]

NOT_SET = ftrack_api.symbol.NOT_SET


def _as_list(value: Any) -> List[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, collections.abc.Sequence):
        return [value]
    return list(value)


class Location(ftrack_api.entity.base.Entity):
    """A location with an accessor (data I/O) and a structure (resource identifiers)."""

    __slots__ = ()

    def __init__(self, session: Any, data: Optional[Dict[str, Any]] = None, reconstructing: bool = False) -> None:
        self.accessor: Any = NOT_SET
        self.structure: Any = NOT_SET
        self.resource_identifier_transformer: Any = NOT_SET
        self.priority: Any = 95
        super().__init__(session, data=data, reconstructing=reconstructing)

    def __str__(self) -> str:
        name = self._local.get("name", self._remote.get("name", NOT_SET))
        values = self._key_values()
        key = ", ".join(values) if values else "Unknown"
        if name is not NOT_SET and name:
            return '<{0}("{1}", {2})>'.format(type(self).__name__, name, key)
        return "<{0}({1})>".format(type(self).__name__, key)

    # -- adding -----------------------------------------------------------
    def add_component(self, component: Any, source: Any, recursive: bool = True) -> None:
        """Add *component* to this location, transferring its data from *source*."""
        self.add_components([component], sources=source, recursive=recursive)

    def add_components(self, components: Sequence[Any], sources: Any, recursive: bool = True, _depth: int = 0) -> None:
        """Add *components*, transferring their data from *sources* (one per component or shared)."""
        if isinstance(sources, (str, bytes)) or not isinstance(sources, collections.abc.Sequence):
            sources = [sources] * len(components)
        else:
            sources = list(sources)
            if len(sources) == 1 and len(components) != 1:
                sources = sources * len(components)
        if len(sources) != len(components):
            raise ValueError(
                "sources must be a single location or one location per component "
                "({0} sources for {1} components).".format(len(sources), len(components))
            )
        if self.structure is NOT_SET or self.structure is None:
            raise ftrack_api.exception.LocationError(
                "No structure defined for location {location}.", details={"location": self}
            )
        if not components:
            return
        availabilities = self.get_component_availabilities(components)
        existing = [c for c, a in zip(components, availabilities) if a == 100.0]
        if existing:
            raise ftrack_api.exception.ComponentInLocationError(existing, self)
        transferred: List[Any] = []
        identifiers: List[Any] = []
        try:
            for component, source in zip(components, sources):
                is_container = "members" in component.keys()
                if is_container and recursive:
                    members = list(component["members"])
                    if members:
                        self.add_components(members, source, recursive=recursive, _depth=_depth + 1)
                context = self._get_context(component, source)
                identifier = self.structure.get_resource_identifier(component, context)
                self._add_data(component, identifier, source)
                transferred.append((component, identifier))
                identifiers.append(identifier)
        except Exception as error:
            raise ftrack_api.exception.LocationError(
                "Failed to transfer component(s) to location {location}: {error}",
                details={"location": self, "error": error, "transferred": transferred},
            ) from error
        if self.resource_identifier_transformer not in (NOT_SET, None):
            identifiers = [
                self.resource_identifier_transformer.encode(identifier, context={"component": component})
                for identifier, component in zip(identifiers, components)
            ]
        try:
            self._register_components_in_location(components, identifiers)
        except Exception as error:
            raise ftrack_api.exception.LocationError(
                "Failed to register component(s) in location {location}: {error}",
                details={"location": self, "error": error, "transferred": transferred},
            ) from error
        for component in components:
            self._publish(ftrack_api.symbol.COMPONENT_ADDED_TO_LOCATION_TOPIC, component)

    def _get_context(self, component: Any, source: Any) -> Dict[str, Any]:
        """Return the structure context for adding *component* from *source*."""
        context: Dict[str, Any] = {}
        try:
            context["source_resource_identifier"] = source.get_resource_identifier(component)
        except Exception:
            pass
        return context

    def _publish(self, topic: str, component: Any) -> None:
        try:
            import ftrack_api.event.base

            self.session.event_hub.publish(
                ftrack_api.event.base.Event(
                    topic=topic, data={"component_id": component["id"], "location_id": self["id"]}
                ),
                on_error="ignore",
            )
        except Exception:
            self.logger.debug("Could not publish %s.", topic, exc_info=True)

    def _add_data(self, component: Any, resource_identifier: Any, source: Any) -> None:
        if self.accessor in (NOT_SET, None):
            raise ftrack_api.exception.LocationError(
                "No accessor defined for location {location}.", details={"location": self}
            )
        if source.accessor in (NOT_SET, None):
            raise ftrack_api.exception.LocationError(
                "No accessor defined for source location {location}.", details={"location": source}
            )
        is_container = "members" in component.keys()
        if is_container:
            if component.entity_type != "SequenceComponent":
                self.accessor.make_container(resource_identifier)
            return
        parent = self.accessor.get_container(resource_identifier)
        if not self.accessor.exists(parent):
            self.accessor.make_container(parent)
        if self.accessor.exists(resource_identifier):
            raise ftrack_api.exception.LocationError(
                "Cannot add component as data already exists at {0!r}.".format(resource_identifier)
            )
        source_identifier = source.get_resource_identifier(component)
        source_data = source.accessor.open(source_identifier, "rb")
        target_data = self.accessor.open(resource_identifier, "wb")
        try:
            while True:
                chunk = source_data.read(ftrack_api.symbol.CHUNK_SIZE)
                if not chunk:
                    break
                target_data.write(chunk)
        finally:
            target_data.close()
            source_data.close()

    def _register_components_in_location(self, components: Sequence[Any], resource_identifiers: Sequence[Any]) -> None:
        for component, identifier in zip(components, resource_identifiers):
            self.session.create(
                "ComponentLocation",
                {"component": component, "location": self, "resource_identifier": identifier},
            )
        self.session.commit()

    # -- removing ---------------------------------------------------------
    def remove_component(self, component: Any, recursive: bool = True) -> None:
        """Remove *component* (and its data) from this location."""
        self.remove_components([component], recursive=recursive)

    def remove_components(self, components: Sequence[Any], recursive: bool = True) -> None:
        """Remove *components* (and their data) from this location."""
        availabilities = self.get_component_availabilities(components)
        missing = [c for c, a in zip(components, availabilities) if a == 0.0]
        if missing:
            raise ftrack_api.exception.ComponentNotInLocationError(missing, self)
        for component in components:
            if recursive and "members" in component.keys():
                members = list(component["members"])
                if members:
                    self.remove_components(members, recursive=recursive)
            identifier = self.get_resource_identifier(component)
            self._remove_data(component, identifier)
            self._deregister_component_in_location(component)
            self._publish(ftrack_api.symbol.COMPONENT_REMOVED_FROM_LOCATION_TOPIC, component)

    def _remove_data(self, component: Any, resource_identifier: Any) -> None:
        if self.accessor in (NOT_SET, None):
            raise ftrack_api.exception.LocationError(
                "No accessor defined for location {location}.", details={"location": self}
            )
        try:
            self.accessor.remove(resource_identifier)
        except ftrack_api.exception.AccessorResourceNotFoundError:
            if component.entity_type != "SequenceComponent":
                raise

    def _deregister_component_in_location(self, component: Any) -> None:
        entry = self.session.query(
            'ComponentLocation where component_id is "{0}" and location_id is "{1}"'.format(
                component["id"], self["id"]
            )
        ).one()
        self.session.delete(entry)
        self.session.commit()

    # -- inspection -------------------------------------------------------
    def get_component_availability(self, component: Any) -> float:
        """Return the availability (0-100) of *component* here."""
        return self.get_component_availabilities([component])[0]

    def get_component_availabilities(self, components: Sequence[Any]) -> List[float]:
        """Return the availability (0-100) of each of *components* here."""
        location_id = self["id"]
        result = self.session.get_component_availabilities(components, locations=[self])
        return [entry.get(location_id, 0.0) for entry in result]

    def get_resource_identifier(self, component: Any) -> Any:
        """Return the resource identifier of *component* here."""
        return self.get_resource_identifiers([component])[0]

    def get_resource_identifiers(self, components: Sequence[Any]) -> List[Any]:
        """Return the resource identifiers of *components* here (one query)."""
        identifiers = self._get_resource_identifiers(components)
        if self.resource_identifier_transformer not in (NOT_SET, None):
            identifiers = [
                self.resource_identifier_transformer.decode(identifier, context={"component": component})
                for identifier, component in zip(identifiers, components)
            ]
        return identifiers

    def _get_resource_identifiers(self, components: Sequence[Any]) -> List[Any]:
        ids = [component["id"] for component in components]
        if not ids:
            return []
        result = self.session.query(
            "select component_id, resource_identifier from ComponentLocation "
            'where location_id is "{0}" and component_id in ({1})'.format(
                self["id"], ", ".join('"{0}"'.format(i) for i in ids)
            )
        )
        by_id = {entry["component_id"]: entry["resource_identifier"] for entry in result}
        missing = [component for component in components if component["id"] not in by_id]
        if missing:
            raise ftrack_api.exception.ComponentNotInLocationError(missing, self)
        return [by_id[i] for i in ids]

    def get_filesystem_path(self, component: Any) -> Any:
        """Return the filesystem path of *component* here."""
        return self.get_filesystem_paths([component])[0]

    def get_filesystem_paths(self, components: Sequence[Any]) -> List[Any]:
        """Return the filesystem paths of *components* here."""
        return [self.accessor.get_filesystem_path(identifier) for identifier in self.get_resource_identifiers(components)]

    def get_url(self, component: Any) -> Any:
        """Return a URL for *component* here (if the accessor supports it)."""
        return self.accessor.get_url(self.get_resource_identifier(component))


class MemoryLocationMixin(object):
    """Keep component registrations in memory (no database rows, no commit)."""

    @property
    def _cache(self) -> Dict[str, Any]:
        registry = self.__dict__.get("_memory_registry")
        if registry is None:
            registry = self.__dict__["_memory_registry"] = {}
        return registry

    def _register_component_in_location(self, component: Any, resource_identifier: Any) -> None:
        self._cache[component["id"]] = resource_identifier

    def _register_components_in_location(self, components: Sequence[Any], resource_identifiers: Sequence[Any]) -> None:
        for component, identifier in zip(components, resource_identifiers):
            self._register_component_in_location(component, identifier)

    def _deregister_component_in_location(self, component: Any) -> None:
        self._cache.pop(component["id"], None)

    def _get_resource_identifiers(self, components: Sequence[Any]) -> List[Any]:
        missing = [c for c in components if c["id"] not in self._cache]
        if missing:
            raise ftrack_api.exception.ComponentNotInLocationError(missing, self)
        return [self._cache[c["id"]] for c in components]

    def get_component_availabilities(self, components: Sequence[Any]) -> List[float]:
        """Return 100.0 for registered components, else 0.0 (containers: mean of members)."""
        result = []
        for component in components:
            if component["id"] in self._cache:
                result.append(100.0)
            else:
                result.append(0.0)
        return result


class UnmanagedLocationMixin(object):
    """Leave data where it is: adding and removing do not move bytes."""

    def _add_data(self, component: Any, resource_identifier: Any, source: Any) -> None:
        return None

    def _remove_data(self, component: Any, resource_identifier: Any = None) -> None:
        return None


class OriginLocationMixin(MemoryLocationMixin, UnmanagedLocationMixin):
    """The origin: the *source* given when adding is itself the resource identifier (a path)."""

    def _get_context(self, component: Any, source: Any) -> Dict[str, Any]:
        return {"source_resource_identifier": source}

    def add_components(self, components: Sequence[Any], sources: Any, recursive: bool = True, _depth: int = 0) -> None:
        """Register *components* with *sources* (paths) as their resource identifiers."""
        paths = _as_list(sources)
        if len(paths) == 1 and len(components) != 1:
            paths = paths * len(components)
        if len(paths) != len(components):
            raise ValueError("One path per component is required.")
        existing = [c for c in components if c["id"] in self._cache]
        if existing:
            raise ftrack_api.exception.ComponentInLocationError(existing, self)
        for component, path in zip(components, paths):
            self._register_component_in_location(component, path)


class ServerLocationMixin(object):
    """The ``ftrack.server`` location; adds :meth:`get_thumbnail_url`."""

    def get_thumbnail_url(self, component: Any, size: Optional[int] = None) -> Any:
        """Return a thumbnail URL of *component* (optionally of *size* pixels)."""
        identifier = self.get_resource_identifier(component)  # type: ignore[attr-defined]
        return self.accessor.get_thumbnail_url(identifier, size)  # type: ignore[attr-defined]
