"""Structure that identifies data by entity id (used by the server location)."""
from __future__ import annotations

from typing import Any, Mapping, Optional

from ftrack_api.structure.base import Structure

__all__ = ["EntityIdStructure"]


class EntityIdStructure(Structure):
    """The resource identifier is the entity's ``id``."""

    def get_resource_identifier(
        self, entity: Any, context: Optional[Mapping[str, Any]] = None
    ) -> str:
        """Return ``entity["id"]``."""
        return entity["id"]
