"""Structure that shards data by component id."""
from __future__ import annotations

from typing import Any, List, Mapping, Optional

from ftrack_api.structure.base import Structure
from ftrack_api.symbol import NOT_SET

__all__ = ["IdStructure"]


def _present(value: Any) -> bool:
    return value is not None and value is not NOT_SET


class IdStructure(Structure):
    """Place data under directories made from the first characters of its id.

    A component with id ``0123456789`` is stored at ``0/1/2/3/456789``:

    * a standalone ``FileComponent`` → ``<prefix>/0/1/2/3/456789<file_type>``;
    * a ``SequenceComponent`` → ``<prefix>/0/1/2/3/456789/file.%04d<file_type>``;
    * a file of a sequence → ``<sequence directory>/file.<name><file_type>``;
    * a ``ContainerComponent`` → ``<prefix>/0/1/2/3/456789``;
    * a file of another container → ``<container path>/<id><file_type>``.

    Other entity types raise :exc:`NotImplementedError`.
    """

    def _sharded(self, entity: Any) -> List[str]:
        entity_id = str(entity["id"])
        return [self.prefix, *entity_id[:4], entity_id[4:]]

    def get_resource_identifier(
        self, entity: Any, context: Optional[Mapping[str, Any]] = None
    ) -> str:
        """Return the id-sharded resource identifier of *entity*."""
        entity_type = getattr(entity, "entity_type", None)
        separator = self.path_separator
        if entity_type == "FileComponent":
            file_type = entity["file_type"] or ""
            container = entity["container"]
            if _present(container):
                container_path = self.get_resource_identifier(container)
                if getattr(container, "entity_type", None) == "SequenceComponent":
                    directory = container_path.rpartition(separator)[0]
                    return self._join(directory, f"file.{entity['name']}{file_type}")
                return self._join(container_path, f"{entity['id']}{file_type}")
            parts = self._sharded(entity)
            parts[-1] += file_type
            return self._join(*parts)
        if entity_type == "SequenceComponent":
            name = f"file.{self._get_sequence_expression(entity)}{entity['file_type'] or ''}"
            return self._join(*self._sharded(entity), name)
        if entity_type == "ContainerComponent":
            return self._join(*self._sharded(entity))
        raise NotImplementedError(
            f"IdStructure cannot build a path for a {entity_type or type(entity).__name__} "
            f"entity ({entity!r}); only file, sequence and container components."
        )
