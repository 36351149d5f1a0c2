"""Components and the ``create_thumbnail`` helper."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import ftrack_api.entity.base
import ftrack_api.symbol

__all__ = ["Component", "CreateThumbnailMixin"]


class Component(ftrack_api.entity.base.Entity):
    """A component (file, sequence or container)."""

    __slots__ = ()

    def get_availability(self, locations: Optional[List[Any]] = None) -> Dict[str, float]:
        """Return ``{location id: percentage}`` for this component."""
        return self.session.get_component_availability(self, locations=locations)


class CreateThumbnailMixin(object):
    """Adds :meth:`create_thumbnail` to entity types with a ``thumbnail_id``."""

    __slots__ = ()

    def create_thumbnail(self, path: str, data: Optional[Dict[str, Any]] = None) -> Any:
        """Upload *path* as this entity's thumbnail, commit and return the component."""
        session = self.session  # type: ignore[attr-defined]
        data = dict(data or {})
        data.setdefault("name", "thumbnail")
        component = session.create_component(path, data, location=None)
        origin = session.get("Location", ftrack_api.symbol.ORIGIN_LOCATION_ID)
        server = session.get("Location", ftrack_api.symbol.SERVER_LOCATION_ID)
        server.add_component(component, [origin])
        self["thumbnail_id"] = component["id"]  # type: ignore[index]
        session.commit()
        return component
