"""Build entity classes from the schemas the server describes."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

import ftrack_api.attribute
import ftrack_api.cache
import ftrack_api.entity.base
import ftrack_api.symbol

__all__ = ["Factory", "StandardFactory", "PerSessionDefaultKeyMaker", "memoise_defaults", "memoise_session"]

NOT_SET = ftrack_api.symbol.NOT_SET
_SCALAR_TYPES = ("string", "boolean", "integer", "number", "variable", "object")


# Random version 4 UUIDs as text (defined next to the construction that recognises it).
_new_uid = ftrack_api.entity.base._new_uid


class Factory(object):
    """Turn one schema (a dict from ``query_schemas``) into an entity class."""

    def __init__(self) -> None:
        self.logger = logging.getLogger(__name__ + "." + self.__class__.__name__)

    def create(self, schema: Dict[str, Any], bases: Optional[List[type]] = None) -> type:
        """Return a new entity class for *schema*, deriving from *bases* (default ``[Entity]``)."""
        entity_type = schema["id"]
        class_name = entity_type
        class_bases = list(bases) if bases else [ftrack_api.entity.base.Entity]
        immutable = set(schema.get("immutable", []) or [])
        computed = set(schema.get("computed", []) or [])
        attributes = ftrack_api.attribute.Attributes()
        for name, fragment in (schema.get("properties") or {}).items():
            if not isinstance(fragment, dict) or fragment.get("restricted_projection"):
                continue
            attribute = self._create_attribute(class_name, name, fragment, name not in immutable, name in computed)
            if attribute is not None:
                attributes.add(attribute)
        namespace = {
            "entity_type": entity_type,
            "attributes": attributes,
            "primary_key_attributes": list(schema.get("primary_key", []) or []),
            "default_projections": list(schema.get("default_projections", []) or []),
        }
        return type(str(class_name), tuple(class_bases), namespace)

    def _create_attribute(self, class_name: str, name: str, fragment: Dict[str, Any], mutable: bool, computed: bool) -> Any:
        default = fragment.get("default", NOT_SET)
        if default == "{uid}":
            default = _new_uid
        data_type = fragment.get("type", NOT_SET)
        if data_type is NOT_SET:
            reference = fragment.get("$ref")
            if not reference:
                self.logger.debug("Skipping %s.%s: no type and no reference.", class_name, name)
                return None
            return self.create_reference_attribute(class_name, name, mutable, reference)
        if data_type in _SCALAR_TYPES:
            if data_type == "number":
                data_type = "float"
            elif data_type == "string" and fragment.get("format") == "date-time":
                data_type = "datetime"
            return self.create_scalar_attribute(class_name, name, mutable, computed, default, data_type)
        if data_type == "array":
            return self.create_collection_attribute(class_name, name, mutable)
        if data_type == "mapped_array":
            reference = (fragment.get("items") or {}).get("$ref")
            if not reference:
                self.logger.debug("Skipping %s.%s: mapped array without reference.", class_name, name)
                return None
            return self.create_mapped_collection_attribute(class_name, name, mutable, reference)
        self.logger.debug("Skipping %s.%s: unsupported type %r.", class_name, name, data_type)
        return None

    def create_scalar_attribute(self, class_name: str, name: str, mutable: bool, computed: bool, default: Any, data_type: str) -> Any:
        """Return a scalar attribute."""
        return ftrack_api.attribute.ScalarAttribute(
            name, data_type=data_type, default_value=default, mutable=mutable, computed=computed
        )

    def create_reference_attribute(self, class_name: str, name: str, mutable: bool, reference: str) -> Any:
        """Return a reference attribute."""
        return ftrack_api.attribute.ReferenceAttribute(name, reference, mutable=mutable)

    def create_collection_attribute(self, class_name: str, name: str, mutable: bool) -> Any:
        """Return a collection attribute."""
        return ftrack_api.attribute.CollectionAttribute(name, mutable=mutable)

    def create_mapped_collection_attribute(self, class_name: str, name: str, mutable: bool, reference: str) -> Any:
        """Return a mapped collection attribute; the base factory supports none."""
        self.logger.debug(
            "Mapped collection %s.%s (%s) is not supported by the base factory.", class_name, name, reference
        )
        return None


def _metadata_creator(proxy: Any, data: Dict[str, Any]) -> Any:
    owner = proxy.collection.entity
    data = dict(data)
    data["parent_id"] = owner["id"]
    data["parent_type"] = owner.entity_type
    return owner.session.create("Metadata", data)


_CONFIGURATION_TYPE = {
    "Project": "show",
    "AssetVersion": "assetversion",
    "Asset": "asset",
    "User": "user",
}


def _get_custom_attribute_configurations(session: Any) -> List[Any]:
    """Return every custom attribute configuration of *session* (fetched once per session)."""
    cached = session.__dict__.get("_factory_custom_attribute_configurations")
    if cached is None:
        cached = session.query(
            "select key, project_id, id, object_type_id, entity_type, is_hierarchical "
            "from CustomAttributeConfiguration"
        ).all()
        session.__dict__["_factory_custom_attribute_configurations"] = cached
    return cached


def _owner_project_id(entity: Any) -> Any:
    with entity.session.auto_populating(False):
        if entity.entity_type == "Project":
            return entity["id"]
        if "project_id" in entity._attribute_map():
            value = entity["project_id"]
            if value:
                return value
        if "parent" in entity._attribute_map():
            parent = entity["parent"]
            if parent:
                if parent.entity_type == "Project":
                    return parent["id"]
                if "project_id" in parent._attribute_map():
                    return parent["project_id"] or None
    return None


def _get_entity_configurations(entity: Any) -> List[Any]:
    """Return the configurations applicable to *entity*, project-specific first."""
    entity_type = entity.entity_type
    type_name = _CONFIGURATION_TYPE.get(entity_type)
    object_type_id = None
    if type_name is None:
        if entity_type.endswith("List"):
            type_name = "list"
        else:
            type_name = "task"
            if "object_type_id" in entity._attribute_map():
                with entity.session.auto_populating(False):
                    object_type_id = entity["object_type_id"]
    project_id = _owner_project_id(entity)
    specific, general = [], []
    for configuration in _get_custom_attribute_configurations(entity.session):
        if configuration["entity_type"] != type_name:
            continue
        if type_name == "task" and not configuration["is_hierarchical"]:
            if configuration["object_type_id"] not in (None, object_type_id):
                continue
        owner_project = configuration["project_id"]
        if owner_project and owner_project == project_id:
            specific.append(configuration)
        elif not owner_project:
            general.append(configuration)
    return specific + general


def _find_configuration(owner: Any, key: str) -> Any:
    for candidate in _get_entity_configurations(owner):
        if candidate["key"] == key:
            return candidate
    return None


def _make_dense_creator(reference: str) -> Any:
    def creator(proxy: Any, data: Dict[str, Any]) -> Any:
        import ftrack_api.inspection

        owner = proxy.collection.entity
        if ftrack_api.inspection.state(owner) is not ftrack_api.symbol.CREATED:
            raise KeyError(
                "Custom attributes must be created explicitly for the given entity type "
                "before being set (no custom attribute {0!r} on {1}).".format(data.get("key"), owner)
            )
        key = data["key"]
        configuration = _find_configuration(owner, key)
        if configuration is None:
            # Configurations are memoised per session; one may have been added since.
            owner.session.__dict__.pop("_factory_custom_attribute_configurations", None)
            configuration = _find_configuration(owner, key)
        if configuration is None:
            raise ValueError(
                "No custom attribute configuration with key {0!r} applies to {1}.".format(key, owner)
            )
        session = owner.session
        with session.operation_recording(False):
            value_entity = session.create(
                reference,
                {"configuration_id": configuration["id"], "entity_id": owner["id"], "key": key},
                reconstructing=True,
            )
        value_entity["value"] = data["value"]
        return value_entity

    return creator


class PerSessionDefaultKeyMaker(ftrack_api.cache.KeyMaker):
    """Key maker for memoising per session: a session is keyed by its identity."""

    def _key(self, obj: Any) -> Any:
        if isinstance(obj, dict):
            session = obj.get("session")
            if session is not None:
                return str(id(session))
        if hasattr(obj, "recorded_operations") and hasattr(obj, "types"):
            return str(id(obj))
        return str(obj)


#: Memoiser defaults shared by the per-session memoisers.
memoise_defaults = {
    "cache": ftrack_api.cache.MemoryCache(),
    "key_maker": PerSessionDefaultKeyMaker(),
    "return_copies": False,
}

#: Decorator memoising a function of one session argument, per session.
memoise_session = ftrack_api.cache.memoise_decorator(ftrack_api.cache.Memoiser(**memoise_defaults))


class StandardFactory(Factory):
    """The factory used by sessions: adds special bases, mixins and mapped collections."""

    def create(self, schema: Dict[str, Any], bases: Optional[List[type]] = None) -> type:
        """Return an entity class for *schema* with the standard behaviours mixed in."""
        import ftrack_api.entity.asset_version
        import ftrack_api.entity.component
        import ftrack_api.entity.job
        import ftrack_api.entity.location
        import ftrack_api.entity.note
        import ftrack_api.entity.project_schema
        import ftrack_api.entity.user

        schema_id = schema["id"]
        special: List[type] = []
        if schema_id == "ProjectSchema":
            special = [ftrack_api.entity.project_schema.ProjectSchema]
        elif schema_id == "Location":
            special = [ftrack_api.entity.location.Location]
        elif schema_id == "AssetVersion":
            special = [ftrack_api.entity.asset_version.AssetVersion]
        elif schema_id.endswith("Component"):
            special = [ftrack_api.entity.component.Component]
        elif schema_id == "Note":
            special = [ftrack_api.entity.note.Note]
        elif schema_id == "Job":
            special = [ftrack_api.entity.job.Job]
        elif schema_id == "User":
            special = [ftrack_api.entity.user.User]
        class_bases = special + list(bases or [])
        Entity = ftrack_api.entity.base.Entity
        if not any(isinstance(base, type) and issubclass(base, Entity) for base in class_bases):
            class_bases.append(Entity)
        properties = schema.get("properties") or {}
        if "notes" in properties:
            class_bases.append(ftrack_api.entity.note.CreateNoteMixin)
        if "thumbnail_id" in properties:
            class_bases.append(ftrack_api.entity.component.CreateThumbnailMixin)
        return super().create(schema, bases=class_bases)

    def create_mapped_collection_attribute(self, class_name: str, name: str, mutable: bool, reference: str) -> Any:
        """Support ``Metadata``, legacy ``CustomAttributeValue`` and dense custom attribute values."""
        if reference == "Metadata":
            return ftrack_api.attribute.KeyValueMappedCollectionAttribute(
                name, _metadata_creator, "key", "value", mutable=mutable
            )
        if reference == "CustomAttributeValue":
            return ftrack_api.attribute.CustomAttributeCollectionAttribute(name, mutable=mutable)
        if reference.endswith("CustomAttributeValue"):
            return ftrack_api.attribute.KeyValueMappedCollectionAttribute(
                name, _make_dense_creator(reference), "key", "value", mutable=mutable
            )
        self.logger.debug("Mapped collection %s.%s (%s) is not supported.", class_name, name, reference)
        return None
