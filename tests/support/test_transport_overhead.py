"""The transport's per-request shortcuts keep requests' behaviour.

``ftrack_api._transport`` works out the environment settings (proxies, CA bundle)
once per session and reuses the prepared request's merged headers; everything a
script may change on ``session._request`` (the :class:`requests.Session`) must
still take effect on the next request.  A small loopback forward proxy in front of
the local server shows what actually goes over the wire.
"""
from __future__ import annotations

import http.client
import http.server
import threading
import urllib.parse
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import requests
from _ports import free_port

import ftrack_api.exception

PROXY_VARIABLES = [
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy",
    "NO_PROXY", "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
]

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "content-length"}


class RecordingProxy:
    """A plain-HTTP forward proxy on 127.0.0.1 that records every request it forwards.

    *set_cookie*, when set, is added as a ``Set-Cookie`` header to the responses.
    """

    def __init__(self) -> None:
        self.requests: List[Tuple[str, str, Dict[str, str]]] = []
        self.set_cookie: Optional[str] = None
        self.release = threading.Event()
        self.stall = False
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self._forward()

            def do_GET(self) -> None:
                self._forward()

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                proxy.requests.append(
                    (self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
                )
                if proxy.stall:
                    proxy.release.wait(30)
                target = urllib.parse.urlsplit(self.path)
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                path = target.path + ("?" + target.query if target.query else "")
                upstream.request(self.command, path, body=body, headers=headers)
                answer = upstream.getresponse()
                content = answer.read()
                upstream.close()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                if proxy.set_cookie:
                    self.send_header("Set-Cookie", proxy.set_cookie)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that timed out and hung up: nothing to report

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:{0}".format(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def api_requests(self, server_url: str) -> List[Dict[str, str]]:
        """Headers of the requests forwarded to *server_url*/api."""
        return [headers for _, path, headers in self.requests if path == server_url + "/api"]

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@pytest.fixture
def proxy() -> Iterator[RecordingProxy]:
    server = RecordingProxy()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def via_proxy(new_session, proxy, monkeypatch: pytest.MonkeyPatch):
    """Sessions made with ``HTTP_PROXY`` pointing at the recording proxy (closed at teardown)."""

    def factory(**kwargs: Any) -> Any:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        return new_session(**kwargs)

    return factory


@pytest.fixture(autouse=True)
def _no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)




def test_environment_proxy_carries_every_api_request(local_server, proxy, via_proxy):
    session = via_proxy()
    constructed = len(proxy.api_requests(local_server.url))
    assert constructed >= 1  # server information (schemas may come from the cache)
    assert session.query("User").first() is not None
    assert len(proxy.api_requests(local_server.url)) == constructed + 1
    headers = proxy.api_requests(local_server.url)[-1]
    assert headers["ftrack-user"] == local_server.api_user
    assert headers["ftrack-api-key"] == local_server.api_key
    assert headers["content-type"] == "application/json"


def test_proxy_on_a_closed_port_is_the_typed_unreachable_error(local_server, monkeypatch, tmp_path):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:{0}".format(free_port()))
    with pytest.raises(ftrack_api.exception.ServerUnreachableError) as info:
        local_server.session(schema_cache_path=str(tmp_path))
    assert isinstance(info.value, requests.exceptions.ConnectionError)
    assert isinstance(info.value.__cause__, requests.exceptions.ProxyError)
    assert local_server.url in str(info.value)


@pytest.mark.parametrize("variable", ["NO_PROXY", "no_proxy"])
def test_no_proxy_bypasses_the_environment_proxy(local_server, monkeypatch, tmp_path, variable):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:{0}".format(free_port()))
    monkeypatch.setenv(variable, "127.0.0.1")
    session = local_server.session(schema_cache_path=str(tmp_path))
    try:
        assert session.query("User").first() is not None
    finally:
        session.close()


def test_environment_is_read_once_per_session(local_server, proxy, monkeypatch, tmp_path):
    session = local_server.session(schema_cache_path=str(tmp_path))
    try:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)  # after the first request: not seen
        assert session.query("User").first() is not None
        assert proxy.api_requests(local_server.url) == []
        other = local_server.session(schema_cache_path=str(tmp_path))  # a new session sees it
        try:
            assert len(proxy.api_requests(local_server.url)) >= 1
        finally:
            other.close()
    finally:
        session.close()


def test_trust_env_and_session_proxies_take_effect_on_the_next_request(
    local_server, proxy, monkeypatch, tmp_path
):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    session = local_server.session(schema_cache_path=str(tmp_path))
    try:
        count = len(proxy.api_requests(local_server.url))
        session._request.trust_env = False
        assert session.query("User").first() is not None
        assert len(proxy.api_requests(local_server.url)) == count  # went direct
        session._request.trust_env = True
        assert session.query("User").first() is not None
        assert len(proxy.api_requests(local_server.url)) == count + 1

        monkeypatch.delenv("HTTP_PROXY")
        session._request.trust_env = False
        session._request.proxies = {"http": proxy.url}  # explicit proxies, no environment
        assert session.query("User").first() is not None
        assert len(proxy.api_requests(local_server.url)) == count + 2
        session._request.proxies = {}
        assert session.query("User").first() is not None
        assert len(proxy.api_requests(local_server.url)) == count + 2
    finally:
        session.close()


def test_header_auth_and_hook_changes_reach_the_wire(local_server, proxy, via_proxy):
    session = via_proxy()
    session._request.headers["x-probe"] = "one"
    session.query("User").first()
    assert proxy.api_requests(local_server.url)[-1]["x-probe"] == "one"
    session._request.headers["x-probe"] = "two"
    session.query("User").first()
    assert proxy.api_requests(local_server.url)[-1]["x-probe"] == "two"
    del session._request.headers["x-probe"]
    session.query("User").first()
    assert "x-probe" not in proxy.api_requests(local_server.url)[-1]

    original = session._request.auth

    def custom_auth(request: Any) -> Any:
        request = original(request)
        request.headers["x-custom-auth"] = "yes"
        return request

    session._request.auth = custom_auth
    session.query("User").first()
    assert proxy.api_requests(local_server.url)[-1]["x-custom-auth"] == "yes"
    session._request.auth = original
    session.query("User").first()
    assert "x-custom-auth" not in proxy.api_requests(local_server.url)[-1]

    statuses: List[int] = []
    session._request.hooks["response"].append(lambda response, **kw: statuses.append(response.status_code))
    session.query("User").first()
    assert statuses == [200]


def test_cookies_given_set_later_and_sent_by_the_server_are_sent_back(
    local_server, proxy, monkeypatch, tmp_path
):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    session = local_server.session(schema_cache_path=str(tmp_path), cookies={"given": "1"})
    try:
        assert "given=1" in proxy.api_requests(local_server.url)[-1]["cookie"]
        session._request.cookies.set("later", "2")
        proxy.set_cookie = "sticky=3; Path=/"
        session.query("User").first()
        cookie = proxy.api_requests(local_server.url)[-1]["cookie"]
        assert "given=1" in cookie and "later=2" in cookie and "sticky" not in cookie
        proxy.set_cookie = None
        session.query("User").first()
        cookie = proxy.api_requests(local_server.url)[-1]["cookie"]
        assert "sticky=3" in cookie and "given=1" in cookie
        session._request.cookies.clear()
        session.query("User").first()
        assert "cookie" not in proxy.api_requests(local_server.url)[-1]
    finally:
        session.close()


def test_a_timeout_set_after_construction_applies(local_server, proxy, via_proxy):
    session = via_proxy()
    session.request_timeout = 0.3
    proxy.stall = True
    with pytest.raises(requests.exceptions.ReadTimeout):
        session.query("User").first()
    proxy.stall = False
    proxy.release.set()
    session.request_timeout = 60
    assert session.query("User").first() is not None


def test_other_requests_on_the_session_are_prepared_by_requests(local_server, proxy, via_proxy):
    session = via_proxy()
    raw = session._request
    assert isinstance(raw, requests.Session)
    answer = raw.post(
        local_server.url + "/api",
        json=[{"action": "query_server_information"}],
        headers={"x-once": "1"},
        params={"probe": "yes"},
        timeout=30,
    )
    assert answer.status_code == 200 and "version" in answer.json()[0]
    method, path, headers = proxy.requests[-1]
    assert (method, path) == ("POST", local_server.url + "/api?probe=yes")
    assert headers["x-once"] == "1"
    assert headers["ftrack-user"] == local_server.api_user
    session.query("User").first()  # the next API call carries none of that
    assert "x-once" not in proxy.api_requests(local_server.url)[-1]


def test_requests_through_an_http_proxy_report_when_written(local_server, proxy, via_proxy):
    # The query prefetch waits for this report before merging; a proxy must not lose it.
    from ftrack_api._transport import when_sent

    session = via_proxy()
    before = len(proxy.api_requests(local_server.url))
    reports: List[str] = []
    with when_sent(lambda: reports.append("written")):
        assert session.query("User").first() is not None
    assert reports == ["written"]
    assert len(proxy.api_requests(local_server.url)) == before + 1  # it went via the proxy
