"""Project schemas: statuses and types available per entity type."""
from __future__ import annotations

from typing import Any, List, Optional

import ftrack_api.entity.base

__all__ = ["ProjectSchema"]


class ProjectSchema(ftrack_api.entity.base.Entity):
    """A project schema; adds :meth:`get_statuses` and :meth:`get_types`."""

    __slots__ = ()

    def get_statuses(self, schema: str, type_id: Optional[str] = None) -> List[Any]:
        """Return the statuses for *schema* (``Task``, ``AssetVersion`` or another type)."""
        if schema == "Task":
            if type_id is not None:
                for override in self["_overrides"]:
                    if override["type_id"] == type_id:
                        return list(override["workflow_schema"]["statuses"][:])
            return list(self["_task_workflow"]["statuses"][:])
        if schema == "AssetVersion":
            return list(self["_version_workflow"]["statuses"][:])
        object_type = self._object_type(schema)
        for candidate in self["_schemas"]:
            if candidate["type_id"] == object_type["id"]:
                result = self.session.query(
                    'select task_status from SchemaStatus where schema_id is "{0}"'.format(candidate["id"])
                )
                statuses = [item["task_status"] for item in result]
                if statuses:
                    return statuses
                raise ValueError('No statuses found for schema "{0}".'.format(schema))
        raise ValueError('No valid statuses were found for schema "{0}".'.format(schema))

    def get_types(self, schema: str) -> List[Any]:
        """Return the types available for *schema*."""
        if schema == "Task":
            return list(self["_task_type_schema"]["types"][:])
        object_type = self._object_type(schema)
        for candidate in self["_schemas"]:
            if candidate["type_id"] == object_type["id"]:
                result = self.session.query(
                    'select task_type from SchemaType where schema_id is "{0}"'.format(candidate["id"])
                )
                types = [item["task_type"] for item in result]
                if types:
                    return types
                raise ValueError('No types found for schema "{0}".'.format(schema))
        raise ValueError('No valid types were found for schema "{0}".'.format(schema))

    def _object_type(self, schema: str) -> Any:
        entity_class = self.session.types.get(schema)
        if entity_class is None:
            raise ValueError('Schema "{0}" does not exist.'.format(schema))
        attribute = entity_class.attributes.get("object_type_id")
        if attribute is None or not attribute.default_value:
            raise ValueError('Schema "{0}" has no statuses or types.'.format(schema))
        object_type = self.session.get("ObjectType", attribute.default_value)
        if object_type is None:
            raise ValueError('Schema "{0}" does not exist.'.format(schema))
        return object_type
