"""Tests for ftrack_api.accessor.server.

The transfers run over real HTTP against a small loopback storage server
defined here (the local ftrack server does not serve /component/* yet). The
session is a stand-in exposing exactly what the accessor uses: server_url,
api_user, api_key, request_timeout, get() and get_upload_metadata().
"""
from __future__ import annotations

import base64
import hashlib
import http.server
import socket
import threading
import urllib.parse

import pytest

import ftrack_api.exception as exc
from ftrack_api.accessor.server import ServerFile, _ServerAccessor

USER = "jane@studio.example"
KEY = "s3cret+key/=="


class Storage:
    def __init__(self):
        self.files = {}
        self.puts = []
        self.removed = []
        self.put_status = 200
        self.release = threading.Event()


def make_handler():
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep test output quiet
            pass

        def _reply(self, status, body=b"", headers=None):
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            storage = _Current.storage
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            if url.path == "/hang":
                storage.release.wait(10)
                return self._reply(200, b"late")
            if url.path.startswith("/blob/"):
                # Storage behind a redirect, as real ftrack servers do (signed URL).
                if "authorization" in {name.lower() for name in self.headers}:
                    return self._reply(400, b"unexpected auth header")
                return self._reply(200, storage.files[url.path[len("/blob/"):]])
            if query.get("username") != USER or query.get("apiKey") != KEY:
                return self._reply(401, b"bad credentials")
            if url.path == "/component/get":
                if query["id"].startswith("redirect-"):
                    return self._reply(302, headers={"Location": f"/blob/{query['id']}"})
                if query["id"] == "slow":
                    storage.release.wait(10)
                if query["id"] not in storage.files:
                    return self._reply(404, b"no such component")
                return self._reply(200, storage.files[query["id"]])
            if url.path == "/component/remove":
                if storage.files.pop(query["id"], None) is None:
                    return self._reply(404, b"no such component")
                storage.removed.append(query["id"])
                return self._reply(200, b"")
            self._reply(404)

        def do_PUT(self):
            storage = _Current.storage
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            component_id = self.path.rsplit("/", 1)[-1]
            storage.puts.append((component_id, dict(self.headers), body))
            if storage.put_status == 200:
                storage.files[component_id] = body
            self._reply(storage.put_status, b"stored" if storage.put_status == 200 else b"rejected")

    return Handler


class _Current:
    storage = Storage()


@pytest.fixture(scope="module")
def _storage_server():
    handler = make_handler()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        _Current.storage.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def storage(_storage_server):
    storage = Storage()
    storage.url = _storage_server
    _Current.storage = storage
    try:
        yield storage
    finally:
        storage.release.set()


class StandInSession:
    def __init__(self, server_url, components=None):
        self.server_url = server_url
        self.api_user = USER
        self.api_key = KEY
        self.request_timeout = 5
        self.components = components or {}
        self.metadata_requests = []

    def get(self, entity_type, entity_key):
        assert entity_type == "FileComponent"
        return self.components.get(entity_key)

    def get_upload_metadata(self, component_id, file_name, file_size, checksum=None):
        self.metadata_requests.append((component_id, file_name, file_size, checksum))
        return {
            "url": f"{self.server_url}/upload/{component_id}",
            "headers": {
                "Content-Type": "application/octet-stream",
                "Content-Disposition": f'attachment; filename="{file_name}"',
                "Content-MD5": checksum,
            },
        }


def closed_port_url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


def test_download_reads_the_component_data(storage):
    storage.files["c1"] = b"frame data" * 1000
    session = StandInSession(storage.url)
    accessor = _ServerAccessor(session)
    data = accessor.open("c1")
    assert isinstance(data, ServerFile)
    assert data.mode == "rb" and data.resource_identifier == "c1"
    assert data.read(5) == b"frame"
    assert data.read() == (b"frame data" * 1000)[5:]
    data.close()


def test_download_reports_progress(storage):
    storage.files["c1"] = b"x" * 3000
    progress = []
    accessor = _ServerAccessor(
        StandInSession(storage.url), progress_callback=lambda done, total: progress.append((done, total))
    )
    assert accessor.open("c1").read() == b"x" * 3000
    assert progress[-1] == (3000, 3000)


def test_upload_puts_bytes_with_metadata_headers(storage):
    session = StandInSession(storage.url, {"c2": {"name": "main", "file_type": ".exr"}})
    progress = []
    accessor = _ServerAccessor(session, progress_callback=lambda done, total: progress.append((done, total)))
    payload = b"\x00\x01binary" * 500
    data = accessor.open("c2", "wb")
    data.write(payload)
    data.close()
    checksum = base64.b64encode(hashlib.md5(payload).digest()).decode()
    assert session.metadata_requests == [("c2", "main.exr", len(payload), checksum)]
    assert len(storage.puts) == 1
    component_id, headers, body = storage.puts[0]
    assert component_id == "c2" and body == payload
    assert headers["Content-MD5"] == checksum
    assert headers["Content-Length"] == str(len(payload))
    assert headers["Content-Disposition"] == 'attachment; filename="main.exr"'
    assert "ftrack-api-key" not in {name.lower() for name in headers}
    assert progress[-1] == (len(payload), len(payload))
    # Round trip through the download endpoint.
    assert accessor.open("c2").read() == payload


def test_upload_happens_once_per_change(storage):
    session = StandInSession(storage.url, {"c3": {"name": "notes", "file_type": ""}})
    data = ServerFile("c3", session, mode="wb")
    data.write("hello")
    data.flush()
    data.flush()
    data.close()
    assert len(storage.puts) == 1
    assert session.metadata_requests[0][1] == "notes"
    assert storage.files["c3"] == b"hello"


def test_upload_of_missing_component_fails_clearly(storage):
    data = ServerFile("ghost", StandInSession(storage.url), mode="wb")
    data.write(b"x")
    with pytest.raises(exc.AccessorOperationFailedError) as info:
        data.flush()
    assert "ghost" in str(info.value)
    assert "no FileComponent" in str(info.value)
    assert storage.puts == []


def test_rejected_put_is_wrapped(storage):
    storage.put_status = 403
    session = StandInSession(storage.url, {"c4": {"name": "main", "file_type": ".txt"}})
    data = ServerFile("c4", session, mode="wb")
    data.write(b"x")
    with pytest.raises(exc.AccessorOperationFailedError) as info:
        data.close()
    message = str(info.value)
    assert "upload component 'c4'" in message
    assert "HTTP 403" in message and "rejected" in message


def test_put_connection_error_is_wrapped(storage):
    session = StandInSession(storage.url, {"c5": {"name": "main", "file_type": ".txt"}})
    dead = closed_port_url()
    session.get_upload_metadata = lambda **kw: {"url": f"{dead}/upload/c5", "headers": {}}
    data = ServerFile("c5", session, mode="wb")
    data.write(b"x")
    with pytest.raises(exc.AccessorOperationFailedError) as info:
        data.flush()
    assert "could not connect" in str(info.value)
    assert KEY not in str(info.value)


def test_metadata_failure_is_wrapped(storage):
    session = StandInSession(storage.url, {"c6": {"name": "main", "file_type": ".txt"}})

    def broken(**kw):
        raise exc.ServerError("Invalid action 'get_upload_metadata'")

    session.get_upload_metadata = broken
    data = ServerFile("c6", session, mode="wb")
    data.write(b"x")
    with pytest.raises(exc.AccessorOperationFailedError, match="upload metadata") as info:
        data.flush()
    assert isinstance(info.value.__cause__, exc.ServerError)


def test_download_failures_are_wrapped_without_leaking_the_key(storage):
    session = StandInSession(storage.url)
    with pytest.raises(exc.AccessorOperationFailedError) as info:
        ServerFile("missing", session).read()
    message = str(info.value)
    assert "download component 'missing'" in message
    assert "HTTP 404" in message and "no such component" in message
    assert KEY not in message

    session.server_url = closed_port_url()
    with pytest.raises(exc.AccessorOperationFailedError) as info:
        ServerFile("c1", session).read()
    assert "could not connect" in str(info.value)
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value.details)


def test_download_timeout_is_wrapped(storage):
    session = StandInSession(storage.url)
    session.request_timeout = 0.2
    with pytest.raises(exc.AccessorOperationFailedError, match="timed out"):
        ServerFile("slow", session).read()


def test_remove(storage):
    storage.files["c7"] = b"x"
    accessor = _ServerAccessor(StandInSession(storage.url))
    accessor.remove("c7")
    assert storage.removed == ["c7"]
    with pytest.raises(exc.AccessorOperationFailedError, match="HTTP 404"):
        accessor.remove("c7")


def test_urls_and_trivial_operations(storage):
    session = StandInSession("https://studio.ftrackapp.com")
    accessor = _ServerAccessor(session)
    assert accessor.get_url("abc") == (
        "https://studio.ftrackapp.com/component/get?id=abc"
        "&username=jane@studio.example&apiKey=s3cret%2Bkey%2F%3D%3D"
    )
    assert accessor.get_thumbnail_url("abc") == (
        "https://studio.ftrackapp.com/component/thumbnail?id=abc"
        "&username=jane@studio.example&apiKey=s3cret%2Bkey%2F%3D%3D"
    )
    assert accessor.get_thumbnail_url("abc", size=300).endswith("&size=300")
    assert accessor.get_container("abc") is None
    assert accessor.make_container("abc") is None
    assert accessor.exists("abc") is False
    for method in (accessor.list, accessor.is_file, accessor.is_container, accessor.is_sequence):
        with pytest.raises(NotImplementedError):
            method("abc")
    with pytest.raises(TypeError, match="component id"):
        ServerFile("", session)


def test_download_follows_redirects(storage):
    storage.files["redirect-1"] = b"stored elsewhere"
    assert ServerFile("redirect-1", StandInSession(storage.url)).read() == b"stored elsewhere"
