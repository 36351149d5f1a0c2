"""Error classes that depend on :mod:`requests` (kept out of the leaf module)."""
from __future__ import annotations

import requests

from ftrack_api.exception import Error


class ServerUnreachableError(requests.exceptions.ConnectionError, Error):
    """The server could not be reached (DNS failure, refused connection, ...).

    Catchable both as :class:`requests.exceptions.ConnectionError` (what the
    official client lets through) and as :class:`ftrack_api.exception.Error`.
    """

    default_message = "Could not reach the server at {server_url}: {error}"

    def __init__(self, message=None, details=None, **kwargs):  # type: ignore[no-untyped-def]
        requests.exceptions.ConnectionError.__init__(self, message, **kwargs)
        Error.__init__(self, message=message, details=details)

    __str__ = Error.__str__
