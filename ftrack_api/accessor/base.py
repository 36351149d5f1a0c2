"""The :class:`Accessor` interface."""
from __future__ import annotations

import abc
from typing import Any, List, Optional

from ftrack_api.data import Data
from ftrack_api.exception import AccessorUnsupportedOperationError

__all__ = ["Accessor"]


class Accessor(abc.ABC):
    """Interface for reading and writing data addressed by resource identifiers.

    A resource identifier is a string meaningful to the accessor (a relative
    path for :class:`~ftrack_api.accessor.disk.DiskAccessor`, a component id
    for the server accessor). Data resources are *files*; resources holding
    other resources are *containers*.
    """

    def __init__(self) -> None:
        super().__init__()

    @abc.abstractmethod
    def list(self, resource_identifier: str) -> List[str]:
        """Return the identifiers of the resources directly inside the container."""

    @abc.abstractmethod
    def exists(self, resource_identifier: str) -> bool:
        """Return whether the resource exists."""

    @abc.abstractmethod
    def is_file(self, resource_identifier: str) -> bool:
        """Return whether the resource is a file."""

    @abc.abstractmethod
    def is_container(self, resource_identifier: str) -> bool:
        """Return whether the resource is a container."""

    @abc.abstractmethod
    def is_sequence(self, resource_identifier: str) -> bool:
        """Return whether the resource is a sequence of files."""

    @abc.abstractmethod
    def open(self, resource_identifier: str, mode: str = "rb") -> Data:
        """Return a :class:`~ftrack_api.data.Data` object for the resource."""

    @abc.abstractmethod
    def remove(self, resource_identifier: str) -> None:
        """Remove the resource."""

    @abc.abstractmethod
    def make_container(self, resource_identifier: str, recursive: bool = True) -> None:
        """Create a container (and its parents when *recursive*).

        An existing container is not an error.
        """

    @abc.abstractmethod
    def get_container(self, resource_identifier: str) -> Optional[str]:
        """Return the identifier of the container holding the resource.

        Raise :exc:`~ftrack_api.exception.AccessorParentResourceNotFoundError`
        when it cannot be determined.
        """

    def remove_container(self, resource_identifier: str) -> None:
        """Remove a container (by default the same as :meth:`remove`)."""
        return self.remove(resource_identifier)

    def get_filesystem_path(self, resource_identifier: str) -> Any:
        """Return a filesystem path for the resource, when the accessor has one.

        Raise :exc:`~ftrack_api.exception.AccessorUnsupportedOperationError`
        by default.
        """
        raise AccessorUnsupportedOperationError(
            "get_filesystem_path", resource_identifier=resource_identifier
        )

    def get_url(self, resource_identifier: str) -> Any:
        """Return a URL for the resource, when the accessor has one.

        Raise :exc:`~ftrack_api.exception.AccessorUnsupportedOperationError`
        by default.
        """
        raise AccessorUnsupportedOperationError(
            "get_url", resource_identifier=resource_identifier
        )
