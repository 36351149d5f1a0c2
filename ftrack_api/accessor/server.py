"""Access component data stored on the ftrack server (the ``ftrack.server`` location).

Downloads use ``GET <server>/component/get``; uploads ask the session for
upload metadata (``get_upload_metadata``) and ``PUT`` the bytes to the
returned URL with the returned headers; removal uses
``GET <server>/component/remove``.

Every HTTP failure (connection errors, timeouts, bad statuses, including
during the upload ``PUT``) raises
:exc:`~ftrack_api.exception.AccessorOperationFailedError` with a readable
message; the API key never appears in messages.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import os
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import quote, urlencode

import requests

from ftrack_api.accessor.base import Accessor
from ftrack_api.data import String
from ftrack_api.exception import AccessorOperationFailedError
from ftrack_api.logging import LazyLogMessage
from ftrack_api.symbol import CHUNK_SIZE

__all__ = ["ServerFile"]

logger = logging.getLogger(__name__)

#: ``progress_callback(transferred_bytes, total_bytes_or_None)``.
ProgressCallback = Callable[[int, Optional[int]], None]

# Transfers report progress to the debug log about every this many bytes.
_LOG_EVERY = 16 * 1024 * 1024


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


class _Progress:
    """Track a transfer and report it to a callback and the debug log."""

    def __init__(
        self,
        action: str,
        resource_identifier: str,
        total: Optional[int],
        callback: Optional[ProgressCallback],
    ) -> None:
        self.action = action
        self.resource_identifier = resource_identifier
        self.total = total
        self.callback = callback
        self.transferred = 0
        self._next_log = _LOG_EVERY

    def advance(self, size: int) -> None:
        self.transferred += size
        if self.callback is not None:
            self.callback(self.transferred, self.total)
        if self.transferred >= self._next_log:
            self._next_log = self.transferred + _LOG_EVERY
            logger.debug(
                LazyLogMessage(
                    "{0} {1}: {2} of {3} bytes.",
                    self.action,
                    self.resource_identifier,
                    self.transferred,
                    self.total if self.total is not None else "?",
                )
            )


class _UploadBody:
    """File-like request body of known length that reports progress."""

    def __init__(self, wrapped: Any, size: int, progress: _Progress) -> None:
        self._wrapped = wrapped
        self._size = size
        self._progress = progress

    def __len__(self) -> int:
        return self._size

    def read(self, size: int = -1) -> bytes:
        chunk = self._wrapped.read(size)
        if chunk:
            self._progress.advance(len(chunk))
        return chunk


class ServerFile(String):
    """Data of a component stored on the ftrack server.

    In read mode the whole file is downloaded on the first :meth:`read`. In
    a write mode (``"wb"``) the written content is uploaded on
    :meth:`flush` (and therefore on :meth:`close`), once per change.

    *progress_callback*, when given, is called as
    ``progress_callback(transferred_bytes, total_bytes)`` while data moves
    (``total_bytes`` is ``None`` when the server does not announce it).
    """

    def __init__(
        self,
        resource_identifier: str,
        session: Any,
        mode: str = "rb",
        *,
        progress_callback: Optional[ProgressCallback] = None,
    ) -> None:
        if not isinstance(resource_identifier, str) or not resource_identifier:
            raise TypeError(
                "ServerFile needs a component id as resource identifier, "
                f"not {resource_identifier!r}."
            )
        if not isinstance(mode, str):
            raise TypeError(f"ServerFile mode must be a string, not {mode!r}.")
        #: Opening mode (``"rb"`` to download, ``"wb"`` to upload).
        self.mode = mode
        #: The component id the data belongs to.
        self.resource_identifier = resource_identifier
        self._session = session
        self._timeout = getattr(session, "request_timeout", 60)
        self._progress_callback = progress_callback
        self._downloaded = False
        self._dirty = False
        super().__init__()

    # -- reading -----------------------------------------------------------

    def read(self, limit: Optional[int] = None) -> Any:
        """Return up to *limit* bytes, downloading the file on first use."""
        if not self._downloaded and not self._writable():
            self._download()
        return super().read(limit)

    def _writable(self) -> bool:
        return any(flag in self.mode for flag in "wa+")

    def _download(self) -> None:
        session = self._session
        url = f"{session.server_url}/component/get"
        params = {
            "id": self.resource_identifier,
            "username": session.api_user,
            "apiKey": session.api_key,
        }
        what = f"download component {self.resource_identifier!r}"
        try:
            response = requests.get(
                url, params=params, stream=True, timeout=self._timeout
            )
        except requests.RequestException as error:
            raise _transfer_error(what, error, session, self.resource_identifier) from error
        try:
            if not response.ok:
                raise _status_error(what, response, self.resource_identifier, session)
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            progress = _Progress("Downloaded", self.resource_identifier, total, self._progress_callback)
            self.wrapped_file.seek(0)
            self.wrapped_file.truncate()
            for chunk in response.iter_content(chunk_size=CHUNK_SIZE):
                if chunk:
                    self.wrapped_file.write(chunk)
                    progress.advance(len(chunk))
        except requests.RequestException as error:
            raise _transfer_error(what, error, session, self.resource_identifier) from error
        finally:
            response.close()
        self.wrapped_file.seek(0)
        self._downloaded = True

    # -- writing -----------------------------------------------------------

    def write(self, content: Any) -> None:
        """Write *content* (uploaded on the next :meth:`flush`)."""
        super().write(content)
        self._dirty = True

    def flush(self) -> None:
        """Upload the content when writable and changed, then flush."""
        if self.closed:
            return
        super().flush()
        if self._writable() and self._dirty:
            self._upload()
            self._dirty = False

    def _upload(self) -> None:
        session = self._session
        component_id = self.resource_identifier
        what = f"upload component {component_id!r}"

        try:
            component = session.get("FileComponent", component_id)
        except Exception as error:
            raise _failure(what, f"looking up the component failed: {error}", component_id, error) from error
        if component is None:
            raise _failure(
                what,
                "no FileComponent with that id exists; create the component before "
                "writing its data",
                component_id,
            )
        file_type = (component["file_type"] or "").lstrip(".")
        file_name = f"{component['name']}.{file_type}" if file_type else str(component["name"])

        size, checksum = self._size_and_checksum()
        try:
            metadata = session.get_upload_metadata(
                component_id=component_id,
                file_name=file_name,
                file_size=size,
                checksum=checksum,
            )
        except Exception as error:
            raise _failure(what, f"the server did not provide upload metadata: {error}", component_id, error) from error
        url = metadata.get("url") if isinstance(metadata, dict) else None
        if not url:
            raise _failure(what, f"the upload metadata has no url: {metadata!r}", component_id)
        headers = dict(metadata.get("headers") or {})

        self.wrapped_file.seek(0)
        progress = _Progress("Uploaded", component_id, size, self._progress_callback)
        body = _UploadBody(self.wrapped_file, size, progress)
        try:
            response = requests.put(url, data=body, headers=headers, timeout=self._timeout)
        except requests.RequestException as error:
            raise _transfer_error(what, error, session, component_id) from error
        try:
            if not response.ok:
                raise _status_error(what, response, component_id, session)
        finally:
            response.close()
        self.wrapped_file.seek(0, os.SEEK_END)

    def _size_and_checksum(self) -> "tuple[int, str]":
        digest = hashlib.md5()
        size = 0
        self.wrapped_file.seek(0)
        while True:
            chunk = self.wrapped_file.read(CHUNK_SIZE)
            if not chunk:
                break
            digest.update(chunk)
            size += len(chunk)
        return size, base64.b64encode(digest.digest()).decode("ascii")


def _redact(text: str, session: Any) -> str:
    key = getattr(session, "api_key", None)
    if key:
        text = text.replace(str(key), "***")
    return text


def _failure(
    what: str, reason: str, resource_identifier: str, error: Any = None
) -> AccessorOperationFailedError:
    message = f"Failed to {what}: {reason}"
    return AccessorOperationFailedError(
        operation=what,
        resource_identifier=resource_identifier,
        error=error if error is not None else reason,
        message=_escape(message),
    )


def _transfer_error(
    what: str, error: BaseException, session: Any, resource_identifier: str
) -> AccessorOperationFailedError:
    if isinstance(error, requests.Timeout):
        reason = f"the request timed out ({type(error).__name__})"
    elif isinstance(error, requests.ConnectionError):
        reason = "could not connect to the server"
    else:
        reason = f"the request failed ({type(error).__name__})"
    detail = _redact(str(error), session)
    return _failure(what, f"{reason}: {detail}", resource_identifier, _redact(repr(error), session))


def _status_error(
    what: str, response: requests.Response, resource_identifier: str, session: Any
) -> AccessorOperationFailedError:
    body = ""
    try:
        body = response.text[:200].strip()
    except Exception:  # pragma: no cover - undecodable body
        body = ""
    reason = f"the server answered HTTP {response.status_code} {response.reason or ''}".rstrip()
    if body:
        reason += f": {_redact(body, session)}"
    return _failure(what, reason, resource_identifier, response.status_code)


def _query_string(params: Dict[str, str]) -> str:
    # Percent-encode values (an API key may hold "+" or "/"), but keep the
    # characters of ordinary user names readable.
    return urlencode(params, quote_via=quote, safe="@:")


class _ServerAccessor(Accessor):
    """Accessor for the ``ftrack.server`` location.

    Resource identifiers are component ids. *progress_callback* (optional)
    is handed to every :class:`ServerFile` opened through this accessor.
    """

    def __init__(
        self,
        session: Any,
        progress_callback: Optional[ProgressCallback] = None,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        #: The session whose server and credentials are used.
        self.session = session
        self._progress_callback = progress_callback

    def open(self, resource_identifier: str, mode: str = "rb") -> ServerFile:
        """Return a :class:`ServerFile` for the component."""
        return ServerFile(
            resource_identifier,
            session=self.session,
            mode=mode,
            progress_callback=self._progress_callback,
        )

    def remove(self, resource_identifier: str) -> None:
        """Remove the component's data from the server."""
        session = self.session
        what = f"remove component {resource_identifier!r}"
        try:
            response = requests.get(
                f"{session.server_url}/component/remove",
                params=self._params(resource_identifier),
                timeout=getattr(session, "request_timeout", 60),
            )
        except requests.RequestException as error:
            raise _transfer_error(what, error, session, resource_identifier) from error
        try:
            if not response.ok:
                raise _status_error(what, response, resource_identifier, session)
        finally:
            response.close()

    def _params(self, resource_identifier: str) -> Dict[str, str]:
        return {
            "id": resource_identifier,
            "username": self.session.api_user,
            "apiKey": self.session.api_key,
        }

    def get_container(self, resource_identifier: str) -> None:
        """Components on the server have no container: return ``None``."""
        return None

    def make_container(self, resource_identifier: str, recursive: bool = True) -> None:
        """Nothing to do: the server has no containers."""
        return None

    def list(self, resource_identifier: str) -> List[str]:
        """Not supported by the server."""
        raise NotImplementedError("The server accessor cannot list resources.")

    def exists(self, resource_identifier: str) -> bool:
        """Always ``False`` (the server cannot be asked); never overwrite."""
        return False

    def is_file(self, resource_identifier: str) -> bool:
        """Not supported by the server."""
        raise NotImplementedError("The server accessor cannot tell files apart.")

    def is_container(self, resource_identifier: str) -> bool:
        """Not supported by the server."""
        raise NotImplementedError("The server accessor cannot tell containers apart.")

    def is_sequence(self, resource_identifier: str) -> bool:
        """Not supported by the server."""
        raise NotImplementedError("The server accessor cannot tell sequences apart.")

    def get_url(self, resource_identifier: str) -> str:
        """Return the download URL of the component (it carries the API key)."""
        return (
            f"{self.session.server_url}/component/get?"
            + _query_string(self._params(resource_identifier))
        )

    def get_thumbnail_url(self, resource_identifier: str, size: Optional[int] = None) -> str:
        """Return the thumbnail URL of the component, optionally of *size* pixels."""
        params = self._params(resource_identifier)
        if size:
            params["size"] = str(int(size))
        return f"{self.session.server_url}/component/thumbnail?" + _query_string(params)
