"""Exception hierarchy of the API.

This module is a leaf: it imports nothing from the rest of the package so
``import ftrack_api.exception`` always works on its own.
"""
from __future__ import annotations

import builtins
import string
import traceback as _traceback
from typing import Any, Dict, Optional

__all__ = [
    "Error",
    "AuthenticationError",
    "ServerError",
    "ServerCompatibilityError",
    "ServerVersionTooOldError",
    "NotFoundError",
    "NotUniqueError",
    "IncorrectResultError",
    "NoResultFoundError",
    "MultipleResultsFoundError",
    "EntityTypeError",
    "UnrecognisedEntityTypeError",
    "OperationError",
    "InvalidStateError",
    "InvalidStateTransitionError",
    "AttributeError",
    "ImmutableAttributeError",
    "CollectionError",
    "ImmutableCollectionError",
    "DuplicateItemInCollectionError",
    "ParseError",
    "EventHubError",
    "EventHubConnectionError",
    "EventHubPacketError",
    "PermissionDeniedError",
    "LocationError",
    "ComponentNotInAnyLocationError",
    "ComponentNotInLocationError",
    "ComponentInLocationError",
    "AccessorError",
    "AccessorOperationFailedError",
    "AccessorUnsupportedOperationError",
    "AccessorPermissionDeniedError",
    "AccessorResourceIdentifierError",
    "AccessorFilesystemPathError",
    "AccessorResourceError",
    "AccessorResourceNotFoundError",
    "AccessorParentResourceNotFoundError",
    "AccessorResourceInvalidError",
    "AccessorContainerNotEmptyError",
    "StructureError",
    "ConnectionClosedError",
    "ServerUnavailableError",
    "InvalidCredentialsError",
    "ServerUnreachableError",
]

_FORMATTER = string.Formatter()


def _safe_format(message: str, details: Dict[str, Any]) -> str:
    """Format *message* with *details*; never raise.

    Placeholders that cannot be resolved (or messages that contain literal
    braces, such as server content) leave the message as it is.
    """
    if "{" not in message and "}" not in message:
        return message
    try:
        return _FORMATTER.vformat(message, (), details)
    except Exception:
        return message


class Error(Exception):
    """Base class for every error raised by the API."""

    default_message = "An unspecified error occurred."

    def __init__(self, message: Optional[str] = None, details: Optional[Dict[str, Any]] = None) -> None:
        if message is None:
            message = self.default_message
        self.message = message
        self.details = details if details is not None else {}
        self.traceback = _traceback.format_exc()

    #: When true, :attr:`message` is shown as is (it holds text from elsewhere,
    #: such as server content, that must not be treated as a template).
    _literal = False

    def __str__(self) -> str:
        message = self.message
        if self._literal and isinstance(message, str):
            return message
        if not isinstance(message, str):
            if isinstance(message, (bytes, bytearray)):
                message = bytes(message).decode("utf-8", "replace")
            else:
                message = builtins.str(message)
        details = {}
        for key, value in (self.details or {}).items():
            if isinstance(value, (bytes, bytearray)):
                value = bytes(value).decode("utf-8", "replace")
            details[key] = value
        return _safe_format(message, details)

    def __repr__(self) -> str:
        return "{0}({1!r})".format(type(self).__name__, builtins.str(self))


class AuthenticationError(Error):
    """Raised when authentication fails."""

    default_message = "Authentication failed."


class ServerError(Error):
    """Raised when the server reports an error while processing a request.

    Besides the message it keeps what the server said: :attr:`exception_name`
    (the server's ``exception`` field), :attr:`content` (its message),
    :attr:`error_code` and :attr:`status_code` (the HTTP status).
    """

    default_message = "The server reported an error processing the request."

    def __init__(
        self,
        message: Optional[str] = None,
        details: Optional[Dict[str, Any]] = None,
        exception_name: Optional[str] = None,
        content: Optional[str] = None,
        error_code: Any = None,
        status_code: Optional[int] = None,
    ) -> None:
        super().__init__(message=message, details=details)
        for key, value in (
            ("exception_name", exception_name),
            ("content", content),
            ("error_code", error_code),
            ("status_code", status_code),
        ):
            self.details.setdefault(key, value)
        self.exception_name = exception_name
        self.content = content
        self.error_code = error_code
        self.status_code = status_code


class ServerCompatibilityError(ServerError):
    """Raised when the server is not compatible with this client."""

    default_message = "The server is not compatible with this client."


class ServerVersionTooOldError(ServerCompatibilityError):
    """The server's version is older than the oldest version this client supports."""

    default_message = "The server version is too old for this client."


class NotFoundError(Error):
    """Raised when something could not be found."""

    default_message = "Not found."


class NotUniqueError(Error):
    """Raised when a value that must be unique is not."""

    default_message = "Value is not unique."


class IncorrectResultError(Error):
    """Raised when a result does not match what was expected."""

    default_message = "The result was not as expected."


class NoResultFoundError(IncorrectResultError):
    """Raised when a result was expected but none was found."""

    default_message = "Expected a result but none was found."


class MultipleResultsFoundError(IncorrectResultError):
    """Raised when exactly one result was expected but several were found."""

    default_message = "Expected a single result but several were found."


def _add_details(kw: Dict[str, Any], **values: Any) -> None:
    """Merge *values* into ``kw["details"]`` (created when absent or None), in place."""
    details = kw.get("details")
    if details is None:
        details = kw["details"] = {}
    details.update(values)


class EntityTypeError(Error):
    """Raised for problems with an entity type."""

    default_message = "Entity type error."


class UnrecognisedEntityTypeError(EntityTypeError):
    """Raised when an entity type is not known to the session."""

    default_message = 'Entity type "{entity_type}" is not recognised.'

    def __init__(self, entity_type: str, **kw: Any) -> None:
        _add_details(kw, entity_type=entity_type)
        super().__init__(**kw)


class OperationError(Error):
    """Raised for problems with an operation."""

    default_message = "Operation error."


class InvalidStateError(Error):
    """Raised when something is in an invalid state."""

    default_message = "Invalid state."


class InvalidStateTransitionError(InvalidStateError):
    """Raised when an entity cannot move between two states."""

    default_message = (
        "Cannot move entity {entity!r} from state {current_state!r} to {target_state!r}."
    )

    def __init__(self, current_state: Any, target_state: Any, entity: Any, **kw: Any) -> None:
        _add_details(
            kw, current_state=current_state, target_state=target_state, entity=entity
        )
        super().__init__(**kw)


class AttributeError(Error):  # noqa: A001 - official name, shadows the builtin here only.
    """Raised for problems with an entity attribute."""

    default_message = "Attribute error."


class ImmutableAttributeError(AttributeError):
    """Raised when trying to change an immutable attribute."""

    default_message = "Attribute {attribute.name!r} is immutable and cannot be modified."

    def __init__(self, attribute: Any, **kw: Any) -> None:
        _add_details(kw, attribute=attribute)
        super().__init__(**kw)


class CollectionError(Error):
    """Raised for problems with a collection."""

    default_message = "Collection error."

    def __init__(self, collection: Any, **kw: Any) -> None:
        _add_details(kw, collection=collection)
        super().__init__(**kw)


class ImmutableCollectionError(CollectionError):
    """Raised when trying to change an immutable collection."""

    default_message = "Collection {collection!r} is immutable and cannot be modified."


class DuplicateItemInCollectionError(CollectionError):
    """Raised when an item is added to a collection that already holds it."""

    default_message = "Item {item!r} is already in collection {collection!r}."

    def __init__(self, item: Any, collection: Any, **kw: Any) -> None:
        _add_details(kw, item=item)
        super().__init__(collection, **kw)


class ParseError(Error):
    """Raised when parsing fails."""

    default_message = "Parsing failed."


class EventHubError(Error):
    """Raised for problems with the event hub."""

    default_message = "Event hub error."


class EventHubConnectionError(EventHubError):
    """Raised when the event hub is not connected."""

    default_message = "The event hub is not connected."


class EventHubPacketError(EventHubError):
    """Raised when an event hub packet is invalid."""

    default_message = "Invalid event hub packet."


class PermissionDeniedError(Error):
    """Raised when permission is denied."""

    default_message = "Permission denied."


class LocationError(Error):
    """Raised for problems with a location."""

    default_message = "An unspecified location error occurred."


class ComponentNotInAnyLocationError(LocationError):
    """Raised when a component is not available in any location."""

    default_message = "The component is not available in any location."


def _component_details(components: Any, location: Any, kw: Dict[str, Any]) -> None:
    if not isinstance(components, (list, tuple)):
        components = [components]
    else:
        components = list(components)
    _add_details(
        kw,
        components=components,
        formatted_components=", ".join(builtins.str(c) for c in components),
        location=location,
    )


class ComponentNotInLocationError(LocationError):
    """Raised when components are not found in a location."""

    default_message = "Component(s) {formatted_components} not found in location {location}."

    def __init__(self, components: Any, location: Any, **kw: Any) -> None:
        _component_details(components, location, kw)
        super().__init__(**kw)


class ComponentInLocationError(LocationError):
    """Raised when components already exist in a location."""

    default_message = "Component(s) {formatted_components} already exist in location {location}."

    def __init__(self, components: Any, location: Any, **kw: Any) -> None:
        _component_details(components, location, kw)
        super().__init__(**kw)


class AccessorError(Error):
    """Raised for problems with an accessor."""

    default_message = "An unspecified accessor error occurred."


class AccessorOperationFailedError(AccessorError):
    """Raised when an accessor operation fails."""

    default_message = "Accessor operation {operation} failed: {error}"

    def __init__(
        self, operation: str = "", resource_identifier: Any = None, error: Any = None, **kw: Any
    ) -> None:
        _add_details(kw, operation=operation, resource_identifier=resource_identifier, error=error)
        super().__init__(**kw)


class AccessorUnsupportedOperationError(AccessorOperationFailedError):
    """Raised when an accessor does not support an operation."""

    default_message = "Accessor operation {operation} is not supported."


class AccessorPermissionDeniedError(AccessorOperationFailedError):
    """Raised when an accessor is denied permission for an operation."""

    default_message = "Permission denied: cannot {operation} {resource_identifier}."


class AccessorResourceIdentifierError(AccessorError):
    """Raised when a resource identifier is invalid."""

    default_message = "Resource identifier {resource_identifier!r} is invalid."

    def __init__(self, resource_identifier: Any, **kw: Any) -> None:
        _add_details(kw, resource_identifier=resource_identifier)
        super().__init__(**kw)


class AccessorFilesystemPathError(AccessorResourceIdentifierError):
    """Raised when no filesystem path can be derived from an identifier."""

    default_message = (
        "Cannot determine a filesystem path from resource identifier {resource_identifier!r}."
    )


class AccessorResourceError(AccessorError):
    """Raised for problems with an accessor resource."""

    default_message = "An unspecified resource error occurred: {resource_identifier}"

    def __init__(
        self, operation: str = "", resource_identifier: Any = None, error: Any = None, **kw: Any
    ) -> None:
        _add_details(kw, operation=operation, resource_identifier=resource_identifier)
        super().__init__(**kw)


class AccessorResourceNotFoundError(AccessorResourceError):
    """Raised when a resource does not exist."""

    default_message = "Resource not found: {resource_identifier}"


class AccessorParentResourceNotFoundError(AccessorResourceError):
    """Raised when the parent of a resource does not exist."""

    default_message = "Parent resource is missing: {resource_identifier}"


class AccessorResourceInvalidError(AccessorResourceError):
    """Raised when a resource is invalid."""

    default_message = "Resource is invalid: {resource_identifier}"


class AccessorContainerNotEmptyError(AccessorResourceError):
    """Raised when a container that must be empty is not."""

    default_message = "Container is not empty: {resource_identifier}"


class StructureError(Error):
    """Raised for problems with a structure."""

    default_message = "An unspecified structure error occurred."


class ConnectionClosedError(Error):
    """Raised when the session has been closed."""

    default_message = "The connection has been closed."


# --- More specific errors (still catchable as what the official client raises).


class ServerUnavailableError(ServerError):
    """The server (or a proxy in front of it) answered with a non-JSON error page.

    Typical for a ``502 Bad Gateway`` HTML page during a deploy.
    """

    default_message = "The server is unavailable (HTTP {status_code})."


class InvalidCredentialsError(ServerError, AuthenticationError):
    """The server rejected the API user or API key."""

    default_message = "The server rejected the credentials: {content}"


def __getattr__(name: str) -> Any:
    # ``ServerUnreachableError`` derives from ``requests.exceptions.ConnectionError``;
    # it is built on first use so that importing this module stays cheap.
    if name == "ServerUnreachableError":
        from ftrack_api._errors_net import ServerUnreachableError

        return ServerUnreachableError
    raise builtins.AttributeError("module {0!r} has no attribute {1!r}".format(__name__, name))
