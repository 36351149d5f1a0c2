"""Access data on a local or mounted filesystem."""
from __future__ import annotations

import contextlib
import errno
import os
from typing import Any, Dict, Iterator, List, Type

from ftrack_api.accessor.base import Accessor
from ftrack_api.data import File
from ftrack_api.exception import (
    AccessorContainerNotEmptyError,
    AccessorError,
    AccessorFilesystemPathError,
    AccessorOperationFailedError,
    AccessorParentResourceNotFoundError,
    AccessorPermissionDeniedError,
    AccessorResourceIdentifierError,
    AccessorResourceInvalidError,
    AccessorResourceNotFoundError,
    AccessorUnsupportedOperationError,
)

__all__ = ["DiskAccessor", "error_handler"]

_ERRNO_ERRORS: Dict[int, Type[AccessorError]] = {
    errno.ENOENT: AccessorResourceNotFoundError,
    errno.EPERM: AccessorPermissionDeniedError,
    errno.EACCES: AccessorPermissionDeniedError,
    errno.ENOTEMPTY: AccessorContainerNotEmptyError,
    errno.ENOTDIR: AccessorResourceInvalidError,
    errno.EISDIR: AccessorResourceInvalidError,
    errno.EINVAL: AccessorResourceInvalidError,
}


@contextlib.contextmanager
def error_handler(**kw: Any) -> Iterator[None]:
    """Turn :exc:`OSError` raised in the block into accessor errors.

    The error class follows the errno: ``ENOENT`` gives
    :exc:`~ftrack_api.exception.AccessorResourceNotFoundError`, ``EPERM`` and
    ``EACCES`` :exc:`~ftrack_api.exception.AccessorPermissionDeniedError`,
    ``ENOTEMPTY`` :exc:`~ftrack_api.exception.AccessorContainerNotEmptyError`,
    ``ENOTDIR``/``EISDIR``/``EINVAL``
    :exc:`~ftrack_api.exception.AccessorResourceInvalidError`, anything else
    :exc:`~ftrack_api.exception.AccessorOperationFailedError`. The keyword
    arguments (``operation``, ``resource_identifier``) and the original
    ``error`` become the exception's arguments; the original is chained.
    """
    try:
        yield
    except OSError as error:
        error_class = _ERRNO_ERRORS.get(error.errno, AccessorOperationFailedError)  # type: ignore[arg-type]
        raise error_class(error=error, **kw) from error


class DiskAccessor(Accessor):
    """Accessor for files and directories below the directory :attr:`prefix`.

    Resource identifiers are paths relative to the prefix (absolute paths
    inside it are accepted too). With an empty prefix identifiers are used as
    plain filesystem paths.
    """

    def __init__(self, prefix: str, **kw: Any) -> None:
        if prefix is not None and not isinstance(prefix, (str, os.PathLike)):
            raise TypeError(f"DiskAccessor prefix must be a path, not {prefix!r}.")
        prefix = os.fspath(prefix) if prefix else ""
        if prefix:
            prefix = os.path.abspath(os.path.expanduser(os.path.expandvars(prefix)))
        #: Absolute directory all identifiers are relative to ("" for none).
        self.prefix: str = prefix
        super().__init__(**kw)

    def get_filesystem_path(self, resource_identifier: str) -> str:
        """Return the filesystem path of *resource_identifier*.

        Raise :exc:`~ftrack_api.exception.AccessorFilesystemPathError` when
        the path would fall outside :attr:`prefix`.
        """
        if not isinstance(resource_identifier, str):
            raise AccessorResourceIdentifierError(
                resource_identifier,
                message="Resource identifier must be a string, not {resource_identifier!r}.",
            )
        path = resource_identifier
        if path:
            path = os.path.normpath(path)
        if not self.prefix:
            return path
        if not os.path.isabs(path):
            path = os.path.normpath(os.path.join(self.prefix, path))
        if path != self.prefix and not path.startswith(self._prefix_with_separator()):
            raise AccessorFilesystemPathError(
                resource_identifier,
                message=(
                    "Cannot determine a filesystem path for resource identifier "
                    "{resource_identifier!r}: it falls outside the prefix "
                    + repr(self.prefix).replace("{", "{{").replace("}", "}}")
                    + "."
                ),
            )
        return path

    def _prefix_with_separator(self) -> str:
        return self.prefix if self.prefix.endswith(os.sep) else self.prefix + os.sep

    def list(self, resource_identifier: str) -> List[str]:
        """Return the identifiers of the entries of a directory, sorted."""
        path = self.get_filesystem_path(resource_identifier)
        with error_handler(operation="list", resource_identifier=resource_identifier):
            names = sorted(os.listdir(path))
        return [os.path.join(resource_identifier, name) for name in names]

    def exists(self, resource_identifier: str) -> bool:
        """Return whether the path exists."""
        return os.path.exists(self.get_filesystem_path(resource_identifier))

    def is_file(self, resource_identifier: str) -> bool:
        """Return whether the path is a file."""
        return os.path.isfile(self.get_filesystem_path(resource_identifier))

    def is_container(self, resource_identifier: str) -> bool:
        """Return whether the path is a directory."""
        return os.path.isdir(self.get_filesystem_path(resource_identifier))

    def is_sequence(self, resource_identifier: str) -> bool:
        """Not supported on disk: raise AccessorUnsupportedOperationError."""
        raise AccessorUnsupportedOperationError(
            "is_sequence", resource_identifier=resource_identifier
        )

    def open(self, resource_identifier: str, mode: str = "rb") -> File:
        """Return a :class:`~ftrack_api.data.File` for the path."""
        path = self.get_filesystem_path(resource_identifier)
        with error_handler(operation="open", resource_identifier=resource_identifier):
            return File(path, mode)

    def remove(self, resource_identifier: str) -> None:
        """Delete a file or an empty directory."""
        path = self.get_filesystem_path(resource_identifier)
        with error_handler(operation="remove", resource_identifier=resource_identifier):
            if os.path.isfile(path) or os.path.islink(path):
                os.remove(path)
            elif os.path.isdir(path):
                os.rmdir(path)
            else:
                raise AccessorResourceNotFoundError(
                    operation="remove", resource_identifier=resource_identifier
                )

    def make_container(self, resource_identifier: str, recursive: bool = True) -> None:
        """Create a directory (with its parents when *recursive*).

        An existing directory is fine; an existing file raises
        :exc:`~ftrack_api.exception.AccessorResourceInvalidError`; a missing
        parent (not *recursive*) raises
        :exc:`~ftrack_api.exception.AccessorParentResourceNotFoundError`.
        """
        path = self.get_filesystem_path(resource_identifier)
        if os.path.isdir(path):
            return
        if os.path.exists(path):
            raise AccessorResourceInvalidError(
                operation="make_container",
                resource_identifier=resource_identifier,
                message="Cannot create container {resource_identifier!r}: a file is in the way.",
            )
        with error_handler(operation="make_container", resource_identifier=resource_identifier):
            try:
                if recursive:
                    os.makedirs(path, exist_ok=True)
                else:
                    os.mkdir(path)
            except FileNotFoundError as error:
                raise AccessorParentResourceNotFoundError(
                    operation="make_container", resource_identifier=resource_identifier
                ) from error
            except FileExistsError:
                if not os.path.isdir(path):
                    raise

    def get_container(self, resource_identifier: str) -> str:
        """Return the identifier of the directory holding the resource.

        With a prefix the result is relative to it and must stay inside it,
        else :exc:`~ftrack_api.exception.AccessorParentResourceNotFoundError`.
        """
        path = self.get_filesystem_path(resource_identifier)
        parent = os.path.dirname(path)
        if parent == path or (self.prefix and path == self.prefix):
            raise AccessorParentResourceNotFoundError(
                resource_identifier=resource_identifier,
                message="Cannot determine the container of {resource_identifier!r}.",
            )
        if not self.prefix:
            return parent
        relative = os.path.relpath(parent, self.prefix)
        return "" if relative == os.curdir else relative
