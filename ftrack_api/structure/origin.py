"""Structure of the origin location: data stays where it is."""
from __future__ import annotations

from typing import Any, Mapping, Optional

from ftrack_api.structure.base import Structure

__all__ = ["OriginStructure"]


class OriginStructure(Structure):
    """Use the source resource identifier unchanged."""

    def get_resource_identifier(
        self, entity: Any, context: Optional[Mapping[str, Any]] = None
    ) -> str:
        """Return ``context["source_resource_identifier"]``.

        Raise :exc:`ValueError` when the context does not provide it.
        """
        if not context or "source_resource_identifier" not in context:
            raise ValueError(
                "OriginStructure needs the source resource identifier: pass "
                'context={"source_resource_identifier": <path>}.'
            )
        return context["source_resource_identifier"]
