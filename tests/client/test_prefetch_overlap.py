"""The next page's request is on the wire before the caller merges the current page.

``QueryResult.all()`` hands the next page's request to its prefetch thread and then
merges the page it has. Both need the interpreter lock, so the hand-over waits until the
transport says the request has been written out; otherwise the merge would hold the lock
and the request would only leave once the merge was done (no overlap at all).

These tests use real sockets: a listening socket that has not answered yet shows what
the client has written by the time ``start()`` returns.
"""
from __future__ import annotations

import json
import socket
import threading
from typing import Any, Iterator, List, Tuple

import pytest

import ftrack_api.exception
from ftrack_api._transport import HttpTransport, RetryPolicy, when_sent
from ftrack_api.query import _Prefetch

BODY = json.dumps([{"action": "query", "expression": "select id from Task offset 500 limit 500"}])
ANSWER = [{"action": "query", "data": [], "metadata": {"next": {"offset": None}}}]


@pytest.fixture
def silent_server() -> Iterator[Tuple[socket.socket, str]]:
    """A listening socket nobody accepts on yet, and its URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    try:
        yield listener, "http://127.0.0.1:{0}".format(listener.getsockname()[1])
    finally:
        listener.close()


def _transport(url: str) -> HttpTransport:
    return HttpTransport(url, auth=None, headers={"content-type": "application/json"},
                         cookies=None, timeout=lambda: 10)


def _drain(connection: socket.socket) -> bytes:
    """Everything the peer has written so far, without waiting for more."""
    connection.setblocking(False)
    received = b""
    while True:
        try:
            chunk = connection.recv(65536)
        except BlockingIOError:
            return received
        if not chunk:
            return received
        received += chunk


def _answer(connection: socket.socket) -> None:
    payload = json.dumps(ANSWER).encode()
    connection.setblocking(True)
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                       b"Content-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload)


class Wire:
    """A real transport and prefetch pointed at the silent server; accepted connections
    are closed at teardown."""

    def __init__(self, listener: socket.socket, url: str) -> None:
        self.listener = listener
        self.transport = _transport(url)
        self.prefetch = _Prefetch(lambda expression: self.transport.send(BODY, True))
        self.connections: List[socket.socket] = []

    def accept(self) -> socket.socket:
        connection, _ = self.listener.accept()  # non-blocking: it must be there already
        self.connections.append(connection)
        return connection

    def close(self) -> None:
        self.prefetch.close()
        self.transport.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture
def wire(silent_server: Any) -> Iterator[Wire]:
    made = Wire(*silent_server)
    try:
        yield made
    finally:
        made.close()


def test_start_returns_with_the_whole_request_already_written(wire: Wire) -> None:
    wire.prefetch.start("the next page")
    # No sleep and no wait from here on: the connection and every byte of the request
    # must already be at the listening socket.
    connection = wire.accept()
    head, _, body = _drain(connection).partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"POST /api HTTP/1.1"
    assert body == BODY.encode("ascii")
    _answer(connection)
    assert wire.prefetch.result() == ANSWER


def test_every_page_of_a_prefetch_is_written_before_start_returns(wire: Wire) -> None:
    connection = None
    for page in range(3):
        wire.prefetch.start("page {0}".format(page))
        if connection is None:
            connection = wire.accept()  # one kept-alive connection for all pages
        assert _drain(connection).endswith(BODY.encode("ascii"))
        _answer(connection)
        assert wire.prefetch.result() == ANSWER


def test_when_sent_reports_each_request_of_its_own_thread_only(session: Any) -> None:
    calls: List[str] = []
    with when_sent(lambda: calls.append(threading.current_thread().name)):
        assert session.query("select id from User").first() is not None
        other = threading.Thread(target=lambda: session.query("select id from User").first(),
                                 name="other-thread")
        other.start()
        other.join(10)
    assert session.query("select id from User").first() is not None  # outside: not reported
    assert calls == [threading.current_thread().name]


def test_when_sent_contexts_nest_and_restore(session: Any) -> None:
    outer: List[int] = []
    inner: List[int] = []
    with when_sent(lambda: outer.append(1)):
        with when_sent(lambda: inner.append(1)):
            session.query("select id from User").first()
        session.query("select id from User").first()
    assert (len(outer), len(inner)) == (1, 1)


def test_a_fetch_that_never_reports_being_sent_is_waited_for_once_at_most() -> None:
    release = threading.Event()

    def fetch(expression: str) -> str:
        release.wait(10)
        return expression.upper()

    prefetch = _Prefetch(fetch)
    try:
        prefetch.start("first")  # returns although the fetch neither reports nor ends
        assert not release.is_set()
        release.set()
        assert prefetch.result() == "FIRST"
        # That fetch succeeded without a word from a transport: no more waiting for one.
        assert prefetch._reports_sent is False
        release.clear()
        prefetch.start("second")
        release.set()
        assert prefetch.result() == "SECOND"
    finally:
        prefetch.close()


def test_a_request_that_fails_before_it_is_written_ends_the_wait(silent_server: Any) -> None:
    listener, url = silent_server
    listener.close()  # nothing listens on the port any more: the connect is refused
    transport = HttpTransport(url, auth=None, headers={}, cookies=None, timeout=lambda: 5,
                              retry_policy=RetryPolicy(retries=0))
    prefetch = _Prefetch(lambda expression: transport.send(BODY, True))
    try:
        prefetch.start("page")
        with pytest.raises(ftrack_api.exception.ServerUnreachableError):
            prefetch.result()
        assert prefetch._reports_sent is True  # a failure says nothing about the transport
    finally:
        prefetch.close()
        transport.close()
