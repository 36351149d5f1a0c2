"""Errors of the local server, serialised to ftrack's wire format in one place."""
from __future__ import annotations

from typing import Any, Dict, Optional


class ServerError(Exception):
    """An error reported to the client as ``{exception, content, error_code}``.

    ``status`` is the HTTP status used when the client asked for strict API mode.
    """

    exception = "ServerError"
    status = 500

    def __init__(self, content: str, *, exception: Optional[str] = None,
                 status: Optional[int] = None, error_code: Optional[str] = None) -> None:
        super().__init__(content)
        self.content = content
        if exception is not None:
            self.exception = exception
        if status is not None:
            self.status = status
        self.error_code = error_code

    def to_wire(self) -> Dict[str, Any]:
        return {"exception": self.exception, "content": self.content,
                "error_code": self.error_code}


class ValidationError(ServerError):
    exception = "ValidationError"
    status = 422


class QueryError(ValidationError):
    """A query that cannot be parsed or compiled (names problem and position)."""


class NotFoundError(ServerError):
    exception = "NotFoundError"
    status = 404


class DuplicateEntryError(ServerError):
    exception = "DuplicateEntryError"
    status = 409


class InvalidCredentialsError(ServerError):
    exception = "InvalidCredentialsError"
    status = 401


class BadRequestError(ServerError):
    exception = "ServerError"
    status = 400


class IntegrityError(ServerError):
    exception = "IntegrityError"
    status = 409


INVALID_CREDENTIALS_MESSAGE = (
    "The supplied API key is not valid. API keys are created from Settings under the page "
    "API keys. The api key should be passed in the request header \"ftrack-api-key\"."
)
