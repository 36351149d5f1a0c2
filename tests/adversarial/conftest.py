"""Fixtures of the adversarial tests: projects on the shared server, stub HTTP servers."""
from __future__ import annotations

import http.server
import socket
import threading
import uuid
from typing import Any, Callable, List, Optional, Tuple

import pytest
from _ports import free_port  # noqa: F401 (also imported from here by the tests)


def unique(prefix: str = "adv") -> str:
    """A name no other test uses."""
    return "{0}_{1}".format(prefix, uuid.uuid4().hex[:10])




Answer = Tuple[Any, ...]


class StubServer:
    """A tiny loopback ``http.server`` answering every POST with ``handler(body, count)``.

    ``handler`` returns ``(status, content_type, body_bytes)`` or ``None`` to drop the
    connection without an answer; a fourth item declares another content length (the
    answer is then cut off).
    """

    def __init__(self, handler: Callable[[bytes, int], Optional[Answer]]) -> None:
        self.handler = handler
        self.requests: List[bytes] = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                stub.requests.append(body)
                answer = stub.handler(body, len(stub.requests))
                if answer is None:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                status, content_type, payload = answer[:3]
                declared = answer[3] if len(answer) > 3 else len(payload)
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(declared))
                self.end_headers()
                self.wfile.write(payload)
                if declared != len(payload):  # a cut-off answer
                    self.close_connection = True

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = "http://127.0.0.1:{0}".format(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> "StubServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def stub_server():
    """Factory of :class:`StubServer` instances, stopped at teardown."""
    made: List[StubServer] = []

    def factory(handler: Callable[[bytes, int], Optional[Answer]]) -> StubServer:
        stub = StubServer(handler)
        stub.__enter__()
        made.append(stub)
        return stub

    yield factory
    for stub in made:
        stub.__exit__(None, None, None)


@pytest.fixture
def project(session):
    """A committed Project with one Sequence; returns (project, sequence)."""
    schema = session.query("ProjectSchema").first()
    project = session.create(
        "Project", {"name": unique("proj"), "full_name": "Adversarial", "project_schema": schema}
    )
    sequence = session.create("Sequence", {"name": "sq010", "parent": project})
    session.commit()
    return project, sequence


class Seen:
    """An event callback that records events; waits block until enough arrived."""

    def __init__(self, answer: Any = None) -> None:
        self.events: List[Any] = []
        self.answer = answer
        self._condition = threading.Condition()

    def __call__(self, event: Any) -> Any:
        with self._condition:
            self.events.append(event)
            self._condition.notify_all()
        return self.answer

    def wait_for(self, count: int, timeout: float = 20.0) -> bool:
        """Block until *count* events arrived (False on timeout)."""
        return self.wait_until(lambda events: len(events) >= count, timeout)

    def wait_until(self, predicate: Callable[[List[Any]], bool], timeout: float = 20.0) -> bool:
        """Block until *predicate(events)* holds (False on timeout)."""
        with self._condition:
            return self._condition.wait_for(lambda: predicate(self.events), timeout=timeout)
