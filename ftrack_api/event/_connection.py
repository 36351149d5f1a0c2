"""Thin I/O driver for the event hub: the HTTP handshake and one websocket
with its reader thread (websocket-client).

It knows nothing about socket.io: frames go in and out as text, and the hub
feeds them to the sans-I/O codec in :mod:`ftrack_api.event._socketio`.
Every transport error is mapped to
:class:`~ftrack_api.exception.EventHubConnectionError` here.
"""
from __future__ import annotations

import logging
import socket
import threading
from typing import Callable, Dict, Mapping, Optional

import requests
import websocket

from ftrack_api.exception import EventHubConnectionError

logger = logging.getLogger(__name__)

#: ``on_frame(link, text) -> keep_reading``
FrameHandler = Callable[["WebSocketLink", str], bool]
#: ``on_close(link, error, closed_locally)``
CloseHandler = Callable[["WebSocketLink", Optional[BaseException], bool], None]


def handshake(
    url: str,
    headers: Mapping[str, str],
    cookies: Mapping[str, str],
    timeout: float,
) -> str:
    """GET the socket.io handshake *url*; return the body text.

    :raises EventHubConnectionError: network failure or non-200 answer.
    """
    try:
        response = requests.get(url, headers=dict(headers), cookies=dict(cookies), timeout=timeout)
    except requests.exceptions.RequestException as error:
        raise EventHubConnectionError(
            "Failed to connect to event server at {server_url}: {error}",
            details={"server_url": url, "error": str(error)},
        ) from error
    if response.status_code != 200:
        raise EventHubConnectionError(
            "Event server at {server_url} refused the handshake: {error}",
            details={
                "server_url": url,
                "error": "HTTP {0} {1}".format(response.status_code, response.text[:200]),
            },
        )
    return response.text


class WebSocketLink:
    """One websocket and the daemon thread reading it.

    :param url: ``ws(s)://`` URL.
    :param headers: extra handshake headers.
    :param cookies: cookies sent as one ``Cookie`` header.
    :param on_frame: called from the reader thread for each text frame;
        returning ``False`` stops reading (the link then closes).
    :param on_close: called once from the reader thread when reading ends.
    :param timeout: connect timeout and read timeout in seconds: no frame
        for that long means the link is dead.
    """

    def __init__(
        self,
        url: str,
        headers: Mapping[str, str],
        cookies: Mapping[str, str],
        on_frame: FrameHandler,
        on_close: CloseHandler,
        timeout: float = 60.0,
        origin: Optional[str] = None,
        name: str = "ftrack-event-hub-reader",
    ) -> None:
        self.url = url
        self._headers = ["{0}: {1}".format(k, v) for k, v in headers.items()]
        self._cookie = "; ".join("{0}={1}".format(k, v) for k, v in cookies.items()) or None
        self._on_frame = on_frame
        self._on_close = on_close
        self._timeout = timeout
        self._origin = origin
        self._name = name
        self._socket: Optional[websocket.WebSocket] = None
        self._send_lock = threading.Lock()
        self._closing = False
        self.thread: Optional[threading.Thread] = None

    def open(self) -> None:
        """Open the websocket and start the reader thread.

        :raises EventHubConnectionError: the websocket could not be opened.
        """
        options: Dict[str, object] = {"header": self._headers, "enable_multithread": True}
        if self._cookie:
            options["cookie"] = self._cookie
        if self._origin:
            options["origin"] = self._origin
        try:
            self._socket = websocket.create_connection(self.url, timeout=self._timeout, **options)
        except (websocket.WebSocketException, OSError) as error:
            raise EventHubConnectionError(
                "Failed to open websocket {server_url}: {error}",
                details={"server_url": self.url, "error": str(error)},
            ) from error
        self.thread = threading.Thread(target=self._read_loop, name=self._name, daemon=True)
        self.thread.start()

    def send(self, text: str) -> None:
        """Send one text frame (thread-safe).

        :raises EventHubConnectionError: the link is closed or broken.
        """
        sock = self._socket
        if sock is None or self._closing:
            raise EventHubConnectionError("Websocket is closed.")
        try:
            with self._send_lock:
                sock.send(text)
        except (websocket.WebSocketException, OSError) as error:
            raise EventHubConnectionError(
                "Failed to send to {server_url}: {error}",
                details={"server_url": self.url, "error": str(error)},
            ) from error

    def close(self, join_timeout: float = 2.0) -> None:
        """Close the socket and join the reader thread (idempotent)."""
        self._closing = True
        self._abort()
        thread = self.thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(join_timeout)

    def abort(self) -> None:
        """Break the link as if the peer went away (the reader reports it)."""
        self._abort()

    def _abort(self) -> None:
        sock = self._socket
        if sock is None:
            return
        raw = getattr(sock, "sock", None)
        if raw is not None:
            try:
                if self._closing:
                    with self._send_lock:
                        sock.send_close()
            except (websocket.WebSocketException, OSError):
                pass
            try:
                raw.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        try:
            sock.shutdown()
        except (websocket.WebSocketException, OSError):
            pass

    def _read_loop(self) -> None:
        error: Optional[BaseException] = None
        sock = self._socket
        assert sock is not None
        try:
            while True:
                frame = sock.recv()
                if isinstance(frame, bytes):
                    frame = frame.decode("utf-8", "replace")
                if not frame:
                    break  # close frame or EOF
                if not self._on_frame(self, frame):
                    break
        except websocket.WebSocketTimeoutException as caught:
            error = caught
            logger.info("No frame from %s for %ss; treating the link as dead.", self.url, self._timeout)
        except (websocket.WebSocketException, OSError, ValueError) as caught:
            error = caught
        except Exception as caught:  # noqa: BLE001 - the thread must always report
            error = caught
            if not self._closing:
                logger.exception("Unexpected error reading %s.", self.url)
        finally:
            closed_locally = self._closing
            self._closing = True
            try:
                sock.shutdown()
            except Exception:  # noqa: BLE001
                pass
            try:
                self._on_close(self, error, closed_locally)
            except Exception:  # noqa: BLE001
                logger.exception("Error in event hub close handler.")

