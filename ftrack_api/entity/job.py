"""Jobs."""
from __future__ import annotations

from typing import Any, Dict, Optional

import ftrack_api.entity.base

__all__ = ["Job"]


class Job(ftrack_api.entity.base.Entity):
    """A job; only ``api_job`` jobs may be created through the API."""

    __slots__ = ()

    def __init__(self, session: Any, data: Optional[Dict[str, Any]] = None, reconstructing: bool = False) -> None:
        if not reconstructing:
            job_type = (data or {}).get("type")
            if job_type not in (None, "api_job"):
                raise ValueError(
                    'Invalid job type "{0}": only "api_job" jobs can be created.'.format(job_type)
                )
        super().__init__(session, data=data, reconstructing=reconstructing)
