"""Transport errors and retries, against the local server and a loopback HTTP stub."""
from __future__ import annotations

import http.server
import json
import socket
import threading

import pytest
import requests

import ftrack_api
import ftrack_api.exception


class Stub(object):
    """A loopback HTTP server answering ``POST /api`` through a Python function."""

    def __init__(self, answer):
        self.answer = answer
        self.requests = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append(body)
                status, content_type, text = stub.answer(body, len(stub.requests))
                data = text.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self):
        return "http://127.0.0.1:{0}".format(self.server.server_address[1])

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def json_answer(results):
    return 200, "application/json", json.dumps(results)


def basic(body, count, version="dev"):
    action = body[0]["action"]
    if action == "query_server_information":
        return json_answer([{"version": version, "is_timezone_support_enabled": True}])
    if action == "query_schemas":
        return json_answer([[]])
    return json_answer([{"action": action, "data": [], "metadata": {"next": {"offset": None}}}])


def make_session(url, tmp_path):
    return ftrack_api.Session(server_url=url, api_key="k", api_user="u", schema_cache_path=str(tmp_path))


def test_html_502_page_is_a_server_error_with_status(tmp_path):
    with Stub(lambda body, count: (502, "text/html", "<html><body>Bad Gateway</body></html>")) as stub:
        with pytest.raises(ftrack_api.exception.ServerError) as info:
            make_session(stub.url, tmp_path)
    error = info.value
    assert isinstance(error, ftrack_api.exception.ServerUnavailableError)
    assert error.status_code == 502
    assert not isinstance(error, requests.exceptions.RequestException)
    assert not isinstance(error, ValueError)
    assert "502" in str(error)
    assert len(stub.requests) == 3  # a read is retried


def test_wrong_api_key_is_an_authentication_error(local_server, tmp_path):
    with pytest.raises(ftrack_api.exception.AuthenticationError) as info:
        local_server.session(api_key="wrong-key", schema_cache_path=str(tmp_path))
    error = info.value
    assert isinstance(error, ftrack_api.exception.ServerError)
    assert isinstance(error, ftrack_api.exception.InvalidCredentialsError)
    assert error.exception_name
    assert not isinstance(error, requests.exceptions.RequestException)


def test_unreachable_host(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(requests.exceptions.ConnectionError) as info:
        make_session("http://127.0.0.1:{0}".format(port), tmp_path)
    assert isinstance(info.value, ftrack_api.exception.ServerUnreachableError)
    assert isinstance(info.value, ftrack_api.exception.Error)
    assert str(port) in str(info.value)
    # requests' and urllib3's own words, with urllib3's class names (the transport's pools
    # are subclasses that keep them).
    assert "HTTPConnectionPool(host='127.0.0.1', port={0})".format(port) in str(info.value)
    assert "_HTTPConnection" not in str(info.value)


def test_too_old_server(tmp_path):
    with Stub(lambda body, count: basic(body, count, version="3.3.10")) as stub:
        with pytest.raises(ftrack_api.exception.ServerCompatibilityError) as info:
            make_session(stub.url, tmp_path)
    assert isinstance(info.value, ftrack_api.exception.ServerVersionTooOldError)
    assert "(3, 3, 10)" in str(info.value) and "(3, 3, 11)" in str(info.value)


def test_missing_version_and_accepted_versions(tmp_path):
    def no_version(body, count):
        if body[0]["action"] == "query_server_information":
            return json_answer([{}])
        return basic(body, count)

    with Stub(no_version) as stub:
        with pytest.raises(ftrack_api.exception.ServerCompatibilityError, match="Could not determine"):
            make_session(stub.url, tmp_path)
    for version in ("3.3.11", "4.13.8", "dev", "weird"):
        with Stub(lambda body, count, v=version: basic(body, count, version=v)) as stub:
            make_session(stub.url, tmp_path).close()


def test_server_error_keeps_structured_fields(tmp_path):
    def failing(body, count):
        if body[0]["action"] == "query":
            return 422, "application/json", json.dumps(
                {"exception": "ValidationError", "content": "bad {value} here", "error_code": "E42"}
            )
        return basic(body, count)

    with Stub(failing) as stub:
        with make_session(stub.url, tmp_path) as session:
            with pytest.raises(ftrack_api.exception.ServerError) as info:
                session.call([{"action": "query", "expression": "select id from Foo"}])
    error = info.value
    assert error.exception_name == "ValidationError"
    assert error.content == "bad {value} here"
    assert error.error_code == "E42"
    assert error.status_code == 422
    assert str(error) == "Server reported error: ValidationError(bad {value} here)"


def test_reads_are_retried_writes_are_not(tmp_path):
    def flaky(body, count):
        action = body[0]["action"]
        if action in ("query", "create") and not getattr(flaky, "served_" + action, False):
            setattr(flaky, "served_" + action, True)
            return 503, "text/plain", "busy"
        return basic(body, count)

    with Stub(flaky) as stub:
        with make_session(stub.url, tmp_path) as session:
            before = len(stub.requests)
            assert session.call([{"action": "query", "expression": "select id from X"}])[0]["data"] == []
            assert len(stub.requests) == before + 2
            before = len(stub.requests)
            with pytest.raises(ftrack_api.exception.ServerError) as info:
                session.call([{"action": "create", "entity_type": "X", "entity_data": {}}])
            assert info.value.status_code == 503
            assert len(stub.requests) == before + 1


def test_closed_session_raises_connection_closed(local_server, tmp_path):
    session = local_server.session(schema_cache_path=str(tmp_path))
    session.close()
    assert session.closed
    session.close()  # idempotent
    with pytest.raises(ftrack_api.exception.ConnectionClosedError):
        session.query("User").all()
    with pytest.raises(ftrack_api.exception.ConnectionClosedError):
        session._request


def test_exception_str_is_safe():
    error = ftrack_api.exception.Error("value {missing} and } brace")
    assert str(error) == "value {missing} and } brace"
    assert str(ftrack_api.exception.UnrecognisedEntityTypeError("Foo")) == 'Entity type "Foo" is not recognised.'
    assert "b'" not in str(ftrack_api.exception.UnrecognisedEntityTypeError("Foo"))
