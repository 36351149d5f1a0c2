"""Human readable structure: project / context / asset / version / component."""
from __future__ import annotations

import re
import unicodedata
from typing import Any, List, Mapping, Optional

from ftrack_api.exception import StructureError
from ftrack_api.structure.base import Structure
from ftrack_api.symbol import NOT_SET

__all__ = ["StandardStructure"]

_ILLEGAL = re.compile(r"[^A-Za-z0-9_.\-]")


def _present(value: Any) -> bool:
    return value is not None and value is not NOT_SET


def _get(entity: Any, key: str) -> Any:
    try:
        return entity[key]
    except KeyError:
        return NOT_SET


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


class StandardStructure(Structure):
    """Paths made from the names of the context a component belongs to.

    A file component ``Main`` (``.exr``) of version 3 of asset ``Hero`` on
    shot ``sh010`` of sequence ``sq01`` in project ``proj`` is placed at
    ``proj/sq01/sh010/hero/v003/main.exr``. Every name is passed through
    :meth:`sanitise_for_filesystem`.

    * *project_versions_prefix*: inserted after the project name for
      versions attached directly to the project (no intermediate context);
    * *illegal_character_substitute*: replaces characters that are not
      letters, digits, ``_``, ``.`` or ``-`` (``None`` keeps names as they
      are).

    Members of a sequence are named ``<sequence name>.<member name><ext>``
    next to the sequence; members of other containers go inside the
    container's directory.
    """

    def __init__(
        self,
        project_versions_prefix: Optional[str] = None,
        illegal_character_substitute: Optional[str] = "_",
    ) -> None:
        super().__init__()
        #: Inserted after the project for versions directly under it.
        self.project_versions_prefix = project_versions_prefix
        #: Replacement for characters unsafe in file names (``None``: no change).
        self.illegal_character_substitute = illegal_character_substitute

    def sanitise_for_filesystem(self, value: str) -> str:
        """Return *value* made safe as a single file or directory name.

        Accents are removed (NFKD normalisation, non-ASCII dropped),
        surrounding whitespace is stripped, characters outside
        ``[A-Za-z0-9_.-]`` are replaced by the substitute and the result is
        lower-cased. A name that would be empty, ``.`` or ``..`` becomes the
        substitute. With a substitute of ``None`` the value is returned
        unchanged.
        """
        substitute = self.illegal_character_substitute
        if substitute is None:
            return value
        text = unicodedata.normalize("NFKD", str(value))
        text = text.encode("ascii", "ignore").decode("ascii").strip()
        text = _ILLEGAL.sub(substitute, text).lower()
        if not text.strip("."):
            text = substitute
        return text

    def _get_version(self, entity: Any) -> Any:
        version = _get(entity, "version")
        if not _present(version):
            version_id = _get(entity, "version_id")
            if _present(version_id):
                version = entity.session.get("AssetVersion", version_id)
        if not _present(version):
            raise StructureError(
                _escape(
                    f"Cannot build a standard path for {entity!r}: the component "
                    "is not linked to an asset version."
                )
            )
        return version

    def _get_parts(self, entity: Any) -> List[str]:
        version = self._get_version(entity)
        session = entity.session
        if version in getattr(session, "created", ()):
            raise StructureError(
                _escape(
                    f"Cannot build a standard path for {entity!r}: its version "
                    f"{version!r} has not been committed yet; commit it first."
                )
            )
        link = version["link"]
        if not link:
            raise StructureError(
                _escape(
                    f"Cannot build a standard path for {entity!r}: version "
                    f"{version!r} has an empty link."
                )
            )
        project = session.get("Project", link[0]["id"])
        if project is None:
            raise StructureError(
                _escape(f"Cannot build a standard path: project {link[0]['id']!r} not found.")
            )
        sanitise = self.sanitise_for_filesystem
        parts = [sanitise(project["name"])]
        asset = version["asset"]
        asset_id = _get(asset, "id")
        # The asset is named once, after the context; servers that list it in
        # the version's link would otherwise name it twice.
        intermediate = [
            item
            for item in link[1:-1]
            if not (item.get("type") == "Asset" and item.get("id") == asset_id)
        ]
        if intermediate:
            parts.extend(sanitise(item["name"]) for item in intermediate)
        elif self.project_versions_prefix:
            parts.append(self.project_versions_prefix)
        parts.append(sanitise(asset["name"]))
        number = version["version"]
        if not isinstance(number, int) or isinstance(number, bool):
            raise StructureError(
                _escape(
                    f"Cannot build a standard path for {entity!r}: version "
                    f"{version!r} has no version number ({number!r})."
                )
            )
        parts.append(f"v{number:03d}")
        return parts

    def _file_type(self, entity: Any) -> str:
        file_type = entity["file_type"]
        return self.sanitise_for_filesystem(file_type) if file_type else ""

    def get_resource_identifier(
        self, entity: Any, context: Optional[Mapping[str, Any]] = None
    ) -> str:
        """Return the standard resource identifier of the component *entity*.

        Raise :exc:`~ftrack_api.exception.StructureError` when the component
        has no (committed) version, and :exc:`NotImplementedError` for
        entities that are not file, sequence or container components.
        """
        entity_type = getattr(entity, "entity_type", None)
        sanitise = self.sanitise_for_filesystem
        if entity_type == "FileComponent":
            file_name = sanitise(entity["name"]) + self._file_type(entity)
            container = _get(entity, "container")
            if _present(container):
                container_path = self.get_resource_identifier(container)
                if getattr(container, "entity_type", None) == "SequenceComponent":
                    directory = container_path.rpartition(self.path_separator)[0]
                    return self._join(
                        directory, f"{sanitise(container['name'])}.{file_name}"
                    )
                return self._join(container_path, file_name)
            return self._join(self.prefix, *self._get_parts(entity), file_name)
        if entity_type == "SequenceComponent":
            name = (
                f"{sanitise(entity['name'])}.{self._get_sequence_expression(entity)}"
                f"{self._file_type(entity)}"
            )
            return self._join(self.prefix, *self._get_parts(entity), name)
        if entity_type == "ContainerComponent":
            return self._join(self.prefix, *self._get_parts(entity), sanitise(entity["name"]))
        raise NotImplementedError(
            f"StandardStructure cannot build a path for a "
            f"{entity_type or type(entity).__name__} entity ({entity!r}); only file, "
            "sequence and container components."
        )
