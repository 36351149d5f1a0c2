"""Asset versions."""
from __future__ import annotations

from typing import Any, Dict, Optional

import ftrack_api.entity.base

__all__ = ["AssetVersion"]


class AssetVersion(ftrack_api.entity.base.Entity):
    """An asset version; adds component and media helpers."""

    __slots__ = ()

    def create_component(self, path: str, data: Optional[Dict[str, Any]] = None, location: Any = None) -> Any:
        """Create a component for *path* on this version (no location by default)."""
        data = dict(data or {})
        data.pop("version_id", None)
        data["version"] = self
        return self.session.create_component(path, data=data, location=location)

    def encode_media(self, media: Any, keep_original: Any = "auto") -> Any:
        """Encode *media* for review on this version; return the ``Job``."""
        return self.session.encode_media(media, version_id=self["id"], keep_original=keep_original)
