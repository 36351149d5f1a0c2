"""HTTP transport of the JSON batch API over one pooled :class:`requests.Session`.

Errors from :mod:`requests` and from the server are translated here, once,
into :mod:`ftrack_api.exception` classes (chaining the original error).

Per-request overhead
--------------------

For every call ``requests.Session.post`` redoes work whose result only changes
when the session's settings do: it scans the environment for proxies and CA
bundles (``trust_env``: two passes over ``os.environ`` plus the ``no_proxy``
matching) and merges the session's headers, auth and hooks into a new prepared
request.  The pooled session is therefore an :class:`_ApiSession`, a
:class:`requests.Session` that keeps requests' own results for the plain JSON
POSTs to the API URL (every other request is requests' unchanged work):

* ``merge_environment_settings`` for the API URL runs once per value of the
  session's ``trust_env``, ``proxies``, ``verify``, ``cert`` and ``stream``;
  changing any of them takes effect on the next request, changing *environment
  variables* after the session's first request does not;
* ``prepare_request`` builds the API POST once per value of the session's
  headers and auth object; each call copies it with its own body and a Cookie
  header computed from the session's jar.  A session with params, hooks, a
  ``Cookie`` header or another auth object is prepared by requests every time.

``post``, ``send``, the adapters, redirects, cookie extraction, hooks and the
exceptions stay requests' own.

Knowing when a request is on the wire
-------------------------------------

:func:`when_sent` lets a thread learn the moment its request has been written out
and it starts to wait for the answer (the connection's ``getresponse``). The query
prefetch uses it: the caller hands the next page's request to a worker thread and
waits for that moment before it merges the current page. Without it the worker
needed the interpreter lock to build and write the request while the caller held it
for the whole merge, so the request only left after the merge and nothing overlapped.
The connection classes of the transport's pools call the thread's callback; with a
pool of other classes (a SOCKS proxy, an adapter mounted by a script) no callback
comes and the caller stops waiting for it (see :mod:`ftrack_api.query`).
"""
from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from typing import Any, Callable, Dict, Iterator, NamedTuple, Optional, Tuple

import requests
import requests.adapters
import requests.hooks
import urllib3.connection
import urllib3.connectionpool
import urllib3.poolmanager

import ftrack_api.exception
from ftrack_api._errors_net import ServerUnreachableError

logger = logging.getLogger(__name__)

#: Actions that only read and may therefore be re-sent after a failure.
IDEMPOTENT_ACTIONS = frozenset(["query_server_information", "query_schemas", "query"])

#: HTTP statuses after which an idempotent request is retried.
RETRY_STATUSES = frozenset([502, 503, 504])

#: Server exception names that mean the credentials were rejected.
CREDENTIAL_EXCEPTIONS = frozenset(
    ["InvalidCredentialsError", "FTAuthenticationError", "AuthenticationError"]
)


def _read_whole_body(response: Any) -> None:
    """Load the body of a streamed *response* in one read.

    ``Response.content`` reads a body in 10 KiB pieces; an API answer is often several
    hundred KiB (a page of entities, the results of a create batch), and reading it
    whole saves about a millisecond per 400 KiB. ``iter_content`` keeps requests' own
    translation of read errors (``ChunkedEncodingError``, ``ConnectionError``), and the
    connection goes back to the pool once the body is read.
    """
    if getattr(response, "_content", None) is False:
        response._content = b"".join(response.iter_content(None)) or b""
        response._content_consumed = True


_sent_callbacks = threading.local()


@contextlib.contextmanager
def when_sent(callback: Callable[[], None]) -> Iterator[None]:
    """Call *callback* each time a request of this thread has been written out.

    It runs on this thread when the connection starts to wait for the answer (once per
    attempt when a request is retried), and only for the transport's own pools.
    """
    previous = getattr(_sent_callbacks, "callback", None)
    _sent_callbacks.callback = callback
    try:
        yield
    finally:
        _sent_callbacks.callback = previous


def _request_written() -> None:
    callback = getattr(_sent_callbacks, "callback", None)
    if callback is not None:
        callback()


class _HTTPConnection(urllib3.connection.HTTPConnection):
    """urllib3's connection, telling :func:`when_sent` that the request is written."""

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        _request_written()
        return super().getresponse(*args, **kwargs)


class _HTTPSConnection(urllib3.connection.HTTPSConnection):
    """urllib3's TLS connection, telling :func:`when_sent` that the request is written."""

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        _request_written()
        return super().getresponse(*args, **kwargs)


class _HTTPConnectionPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


# urllib3 names a pool or connection in its error messages by its class name: keep
# urllib3's own ("HTTPConnectionPool(host=...): Max retries exceeded ...").
for _subclass in (_HTTPConnection, _HTTPSConnection, _HTTPConnectionPool, _HTTPSConnectionPool):
    _subclass.__name__ = _subclass.__qualname__ = _subclass.__name__.lstrip("_")
del _subclass

_POOL_CLASSES = {"http": _HTTPConnectionPool, "https": _HTTPSConnectionPool}


class _ApiAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter whose pools (direct or through an HTTP proxy) use the
    connection classes above; everything else is the adapter's own."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOL_CLASSES)

    def proxy_manager_for(self, proxy: Any, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        # An HTTP(S) proxy's manager uses urllib3's default pools; a SOCKS proxy's its own.
        if getattr(manager, "pool_classes_by_scheme", None) is urllib3.poolmanager.pool_classes_by_scheme:
            manager.pool_classes_by_scheme = dict(_POOL_CLASSES)
        return manager


class RetryPolicy(NamedTuple):
    """How idempotent requests are retried: *retries* extra attempts, exponential *backoff*."""

    retries: int = 2
    backoff: float = 0.1

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number *attempt* (1-based)."""
        return self.backoff * (2 ** (attempt - 1))


def _server_error(cls: type, message: str, **attributes: Any) -> Any:
    error = cls(message, **attributes)
    error._literal = True
    return error


class _ApiSession(requests.Session):
    """The transport's :class:`requests.Session` (see the module docstring).

    :param api_url: the ``.../api`` URL whose POSTs are prepared from a template.
    :param auth: the session's auth object; the template is used while
        :attr:`auth` is still this object.
    """

    def __init__(self, api_url: str, auth: Any) -> None:
        super().__init__()
        self.auth = auth
        self._api_url = api_url
        self._api_auth = auth
        # (key, prepared API POST without its body and Cookie header)
        self._template: Optional[Tuple[Any, requests.PreparedRequest]] = None
        # settings key -> merge_environment_settings result for the prepared API URL
        self._environment: Dict[Any, Dict[str, Any]] = {}

    def _plain_api_post(self, request: requests.Request) -> bool:
        return (
            request.method == "POST"
            and request.url == self._api_url
            and isinstance(request.data, bytes)
            and not request.headers
            and not request.files
            and request.json is None
            and not request.params
            and request.auth is None
            and request.cookies is None
            and not any(request.hooks.values())
            and self.auth is self._api_auth
            and not self.params
            and not any(self.hooks.values())
            and "Cookie" not in self.headers
        )

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        """As :meth:`requests.Session.prepare_request`; API POSTs copy a template."""
        if not self._plain_api_post(request):
            return super().prepare_request(request)
        auth = self.auth
        key = (
            tuple(self.headers.items()),
            tuple(vars(auth).items()) if hasattr(auth, "__dict__") else (),
        )
        template = self._template
        if template is None or template[0] != key:
            built = super().prepare_request(requests.Request("POST", self._api_url, data=b"{}"))
            built.headers.pop("Cookie", None)  # computed for every request below
            template = self._template = (key, built)
        base = template[1]
        prepared = requests.PreparedRequest()
        prepared.method = base.method
        prepared.url = base.url
        prepared.headers = base.headers.copy()
        prepared.headers["Content-Length"] = str(len(request.data))
        prepared.body = request.data
        prepared.hooks = requests.hooks.default_hooks()
        jar = self.cookies
        if len(jar):
            prepared.prepare_cookies(jar)  # the Cookie header the jar has for the URL
        else:
            prepared._cookies = jar
        return prepared

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Dict[str, Any]:
        """As :meth:`requests.Session.merge_environment_settings`, worked out once
        per settings value for the API URL."""
        template = self._template
        if proxies or template is None or url != template[1].url:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        try:
            key: Any = (
                self.trust_env,
                tuple(sorted(self.proxies.items())) if self.proxies else (),
                self.verify,
                self.cert,
                self.stream,
                stream,
                verify,
                cert,
            )
            hash(key)
        except TypeError:  # unhashable settings (a list as cert, ...): no caching
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        settings = self._environment.get(key)
        if settings is None:
            settings = super().merge_environment_settings(url, {}, stream, verify, cert)
            if len(self._environment) >= 16:
                self._environment.clear()
            self._environment[key] = settings
        result = dict(settings)
        result["proxies"] = dict(settings["proxies"] or {})
        return result


class HttpTransport(object):
    """Send JSON batches to ``<server_url>/api``.

    *timeout* is a callable returning the current timeout in seconds (the
    session's ``request_timeout`` may change after construction).
    """

    def __init__(
        self,
        server_url: str,
        auth: Any,
        headers: Dict[str, str],
        cookies: Any,
        timeout: Callable[[], Any],
        retry_policy: RetryPolicy = RetryPolicy(),
    ) -> None:
        self.url = server_url + "/api"
        self.server_url = server_url
        self.timeout = timeout
        self.retry_policy = retry_policy
        session = _ApiSession(self.url, auth)
        adapter = _ApiAdapter(pool_connections=4, pool_maxsize=32)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers.update(headers)
        if cookies:
            session.cookies.update(cookies)
        self.session: Optional[requests.Session] = session

    def close(self) -> None:
        """Close the pooled connections."""
        if self.session is not None:
            self.session.close()
            self.session = None

    def send(self, body: str, idempotent: bool) -> Any:
        """POST *body* and return the parsed JSON answer (a list).

        Idempotent requests are retried with exponential backoff on connection
        errors and on 502/503/504; others are sent exactly once.
        """
        attempt = 0
        while True:
            session = self.session
            if session is None:
                raise ftrack_api.exception.ConnectionClosedError()
            try:
                response = session.post(self.url, data=body.encode("ascii"), timeout=self.timeout(),
                                        stream=True)
                _read_whole_body(response)
            except (requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema,
                    requests.exceptions.InvalidURL) as error:
                # Same requests class (scripts may catch it), clearer words.
                raise type(error)(
                    "Invalid ftrack server URL {0!r} (server_url / FTRACK_SERVER): {1}. "
                    "Give the full address with its scheme, for example "
                    "https://mycompany.ftrackapp.com or http://127.0.0.1:8080.".format(
                        self.server_url, error
                    )
                ) from error
            except requests.exceptions.ChunkedEncodingError:
                # The answer was cut off: a read may be asked again, a write not.
                if idempotent and attempt < self.retry_policy.retries:
                    attempt += 1
                    time.sleep(self.retry_policy.delay(attempt))
                    continue
                raise
            except requests.exceptions.ConnectionError as error:
                if idempotent and attempt < self.retry_policy.retries:
                    attempt += 1
                    time.sleep(self.retry_policy.delay(attempt))
                    continue
                unreachable = ServerUnreachableError(
                    "Could not reach the ftrack server at {0}: {1}. Check the server URL "
                    "(FTRACK_SERVER) and your network connection.".format(self.server_url, error),
                    details={"server_url": self.server_url, "error": error},
                )
                unreachable._literal = True
                raise unreachable from error
            if response.status_code in RETRY_STATUSES and idempotent and attempt < self.retry_policy.retries:
                attempt += 1
                time.sleep(self.retry_policy.delay(attempt))
                continue
            self._refuse_method_changing_redirect(response)
            return self._parse(response)

    def _refuse_method_changing_redirect(self, response: Any) -> None:
        # requests turns a POST into a GET on 301/302/303 (307/308 keep the body): the
        # server's answer to that GET would only confuse, so name the redirect instead.
        for hop in getattr(response, "history", None) or ():
            if hop.status_code in (301, 302, 303):
                location = hop.headers.get("location", "")
                raise _server_error(
                    ftrack_api.exception.ServerError,
                    "The server at {0} redirected the API request (HTTP {1}) to {2}. Use the "
                    "address it redirects to as the server URL (FTRACK_SERVER), for example "
                    "https:// instead of http://.".format(self.server_url, hop.status_code, location),
                    status_code=hop.status_code,
                )

    def _parse(self, response: Any) -> Any:
        status = response.status_code
        try:
            data = json.loads(response.content)
        except ValueError:
            text = response.text
            excerpt = text if len(text) <= 500 else text[:500] + "..."
            if status >= 400:
                hint = (
                    "there is no ftrack API at {0}; check the server URL (FTRACK_SERVER), "
                    "which must not end with /api".format(self.url)
                    if status in (404, 405)
                    else "it may be down or behind a failing proxy"
                )
                raise _server_error(
                    ftrack_api.exception.ServerUnavailableError,
                    "The server answered HTTP {0} with a non-JSON page; {1}. Raw response "
                    "was: {2}".format(status, hint, excerpt),
                    content=text,
                    status_code=status,
                ) from None
            raise _server_error(
                ftrack_api.exception.ServerError,
                "Server reported error in unexpected format. Raw error was: {0}".format(excerpt),
                content=text,
                status_code=status,
            ) from None
        if isinstance(data, dict) and "exception" in data:
            name = data.get("exception")
            content = data.get("content")
            cls = ftrack_api.exception.ServerError
            if name in CREDENTIAL_EXCEPTIONS or status == 401:
                cls = ftrack_api.exception.InvalidCredentialsError
            raise _server_error(
                cls,
                "Server reported error: {0}({1})".format(name, content),
                exception_name=name,
                content=content,
                error_code=data.get("error_code"),
                status_code=status,
            )
        if status >= 400:
            raise _server_error(
                ftrack_api.exception.ServerError,
                "Server answered HTTP {0} {1} for {2}.".format(status, response.reason, self.url),
                content=response.text,
                status_code=status,
            )
        return data
