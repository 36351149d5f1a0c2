"""Lazily paged query results."""
from __future__ import annotations

import collections.abc
import re
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

import ftrack_api.exception

__all__ = ["QueryResult"]


#: A quoted value with backslash escapes (an unterminated one runs to the end).
_QUOTED = re.compile(r"\"(?:[^\"\\]|\\.)*\"?|'(?:[^'\\]|\\.)*'?", re.DOTALL)


def _mask_quoted(expression: str) -> str:
    """Return *expression* with every quoted value (quotes included) blanked out.

    The result has the same length, so match positions apply to the original.
    """
    return _QUOTED.sub(lambda match: "\x00" * len(match.group()), expression)


class QueryResult(collections.abc.Sequence):
    """The result of ``session.query(expression)``, fetched page by page.

    Nothing is sent until the result is used. An ``offset``/``limit`` written
    in the expression is honoured: paging starts at that offset and stops
    after that many rows, with pages never asking for more rows than remain.
    """

    OFFSET_EXPRESSION = re.compile(r"(?P<offset>\boffset\s+(?P<value>\d+))", re.IGNORECASE)
    LIMIT_EXPRESSION = re.compile(r"(?P<limit>\blimit\s+(?P<value>\d+))", re.IGNORECASE)

    def __init__(self, session: Any, expression: str, page_size: int = 500) -> None:
        if not isinstance(page_size, int) or page_size <= 0:
            raise ValueError("page_size must be a positive integer, not {0!r}.".format(page_size))
        self._session = session
        self._results: List[Any] = []
        # Several threads may page through one result: fetch one page at a time.
        self._fetch_lock = threading.Lock()
        expression, self._offset = self._extract(self.OFFSET_EXPRESSION, expression)
        expression, self._limit = self._extract(self.LIMIT_EXPRESSION, expression)
        self._expression = expression.strip()
        self._page_size = page_size
        if self._limit is not None and self._limit < page_size:
            self._page_size = max(self._limit, 1)
        self._next_offset: Optional[int] = self._offset if self._offset is not None else 0
        if self._limit == 0:
            self._next_offset = None

    @staticmethod
    def _extract(pattern: Any, expression: str) -> Any:
        match = pattern.search(expression)
        if match is not None and ("'" in expression or '"' in expression):
            # Look only outside quoted values: 'name is "limit 1"' has no limit clause.
            match = pattern.search(_mask_quoted(expression))
        if match is None:
            return expression, None
        value = int(match.group("value"))
        expression = expression[: match.start()] + expression[match.end():]
        return re.sub(r"\s+$", "", expression), value

    def __repr__(self) -> str:
        return "<{0} {1!r} ({2} loaded)>".format(type(self).__name__, self._expression, len(self._results))

    def _fetch_more(self, needed: Optional[int] = None) -> None:
        """Fetch the next page, unless *needed* rows are already loaded meanwhile."""
        with self._fetch_lock:
            if needed is not None and len(self._results) >= needed:
                return
            self._fetch_page()

    def _request_at(self, offset: Optional[int]) -> Optional[str]:
        """The expression of the page starting at *offset*, or None when paging is over."""
        if offset is None:
            return None
        page_size = self._page_size
        if self._limit is not None:
            remaining = self._limit - (offset - (self._offset or 0))
            if remaining <= 0:
                return None
            page_size = min(page_size, remaining)
        return "{0} offset {1} limit {2}".format(self._expression, offset, page_size)

    def _next_request(self) -> Optional[str]:
        """The expression of the next page; None (and paging over) when there is none."""
        expression = self._request_at(self._next_offset)
        if expression is None:
            self._next_offset = None
        return expression

    def _following_offset(self, records: List[Any], metadata: Any) -> Optional[int]:
        following = (metadata.get("next") if isinstance(metadata, dict) else None) or {}
        if not isinstance(following, dict):
            raise ftrack_api.exception.ServerError(
                "Server answered offset {0} with a next page of an unexpected form: {1!r}.".format(
                    self._next_offset, following
                )
            )
        next_offset = following.get("offset")
        if next_offset is not None and not records:
            next_offset = None
        if next_offset is not None and (
            not isinstance(next_offset, int) or next_offset <= self._next_offset
        ):
            # A broken server or proxy: paging on would never end.
            raise ftrack_api.exception.ServerError(
                "Server answered offset {0} with a next offset {1!r} that does not advance.".format(
                    self._next_offset, next_offset
                )
            )
        return next_offset

    def _add_page(self, records: List[Any], next_offset: Optional[int]) -> None:
        if self._limit is not None and len(self._results) + len(records) >= self._limit:
            records = records[: self._limit - len(self._results)]
            next_offset = None
        # Readers outside the lock only ever see complete, trimmed pages.
        self._results.extend(records)
        self._next_offset = next_offset

    def _is_native(self) -> bool:
        """Whether the session is this library's (answers can be fetched and merged apart)."""
        return hasattr(self._session, "_call") and hasattr(self._session, "_merge_rows")

    def _answer(self, expression: str) -> Tuple[List[Any], Dict[str, Any]]:
        """Send one query; return its unmerged ``(data, metadata)``, shape checked."""
        answer = self._session._call([{"action": "query", "expression": expression}],
                                     idempotent=True)[0]
        return _page_parts(answer, expression)

    def _query_page(self, expression: str) -> Any:
        """Send one query; return its merged entities and metadata."""
        if not self._is_native():
            return self._session._query(expression)
        data, metadata = self._answer(expression)
        return self._session._merge_rows(data), metadata

    def _fetch_page(self) -> None:
        expression = self._next_request()
        if expression is None:
            return
        records, metadata = self._query_page(expression)
        self._add_page(records, self._following_offset(records, metadata))

    def _fetch_rest(self) -> None:
        """Fetch every remaining page, asking for the next one while this one is merged.

        The pages are requested one after the other, in order, exactly as one by one;
        only the merge of a page into the session overlaps the server's work on the
        next. An error leaves the pages before the failed one loaded.
        """
        if not self._is_native():
            while self._next_offset is not None:
                self._fetch_page()
            return
        expression = self._next_request()
        if expression is None:
            return
        session = self._session
        prefetch: Optional[_Prefetch] = None
        try:
            data, metadata = self._answer(expression)
            while True:
                next_offset = self._following_offset(data, metadata)
                following = self._request_at(next_offset)
                if following is not None:
                    if prefetch is None:
                        prefetch = _Prefetch(self._answer,
                                             lambda: bool(getattr(session, "closed", False)))
                    prefetch.start(following)
                self._add_page(session._merge_rows(data), next_offset)
                if following is None or self._next_offset is None:
                    return
                assert prefetch is not None
                data, metadata = prefetch.result()
        finally:
            if prefetch is not None:
                prefetch.close()

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.start, index.stop, index.step
            if (start is not None and start < 0) or (stop is not None and stop < 0) or stop is None:
                self._fetch_all()
            else:
                while len(self._results) < stop and self._next_offset is not None:
                    self._fetch_more(stop)
            return self._results[index]
        if index < 0:
            self._fetch_all()
        else:
            while index >= len(self._results) and self._next_offset is not None:
                self._fetch_more(index + 1)
        return self._results[index]

    def _fetch_all(self) -> None:
        with self._fetch_lock:
            self._fetch_rest()

    def __len__(self) -> int:
        self._fetch_all()
        return len(self._results)

    def __iter__(self) -> Any:
        index = 0
        while True:
            while index >= len(self._results):
                if self._next_offset is None:
                    return
                self._fetch_more(index + 1)
            yield self._results[index]
            index += 1

    def all(self) -> List[Any]:
        """Fetch every page and return the entities as a list."""
        self._fetch_all()
        return list(self._results)

    def first(self) -> Any:
        """Return the first matching entity (or ``None``) with one ``limit 1`` request.

        :raises ValueError: if the expression already contains a limit.
        """
        if self._limit is not None:
            raise ValueError("Expression already contains a limit clause.")
        expression = self._expression
        if self._offset is not None:
            expression = "{0} offset {1}".format(expression, self._offset)
        records, _ = self._query_page("{0} limit 1".format(expression))
        return records[0] if records else None

    def one(self) -> Any:
        """Return the single matching entity.

        :raises ValueError: if the expression contains a limit or an offset.
        :raises ftrack_api.exception.NoResultFoundError: if nothing matches.
        :raises ftrack_api.exception.MultipleResultsFoundError: if several match.
        """
        if self._limit is not None:
            raise ValueError("Expression already contains a limit clause.")
        if self._offset is not None:
            raise ValueError("Expression contains an offset clause which does not make sense when selecting a single entity.")
        records, _ = self._query_page("{0} limit 2".format(self._expression))
        if not records:
            raise ftrack_api.exception.NoResultFoundError()
        if len(records) > 1:
            raise ftrack_api.exception.MultipleResultsFoundError()
        return records[0]


def _page_parts(answer: Any, expression: str) -> Any:
    """The ``(data, metadata)`` of a query *answer*, or a ServerError if it has another shape."""
    if isinstance(answer, dict):
        data = answer.get("data")
        metadata = answer.get("metadata")
        if data is None:
            data = []
        if metadata is None:
            metadata = {}
        if isinstance(data, list) and isinstance(metadata, dict):
            return data, metadata
    raise ftrack_api.exception.ServerError(
        "Server answered the query {0!r} with an unexpected JSON document: {1}".format(
            expression, repr(answer)[:300]
        )
    )


#: Seconds between two looks at the session while waiting for a prefetched page.
_CLOSED_CHECK_INTERVAL = 0.1
#: Longest wait, in seconds, for the prefetch request to be written out before the
#: caller merges anyway (a slow connect, a busy machine).
_SENT_WAIT = 0.05


class _Prefetch:
    """One worker thread that runs a page request while the caller merges the last page.

    *closed* tells whether the session was closed: a caller waiting for a page then
    gets :class:`~ftrack_api.exception.ConnectionClosedError` at once instead of
    waiting for the request in flight (the worker ends when that request does).
    """

    def __init__(self, fetch: Any, closed: Any = lambda: False) -> None:
        self._fetch = fetch
        self._closed = closed
        self._ready = threading.Condition()
        self._job: Optional[str] = None
        self._done = False
        self._answer: Any = None
        self._error: Optional[BaseException] = None
        self._closing = False
        self._sent = False
        self._reports_sent = True
        self._thread = threading.Thread(target=self._run, name="ftrack-query-prefetch", daemon=True)
        self._thread.start()

    def start(self, expression: str) -> None:
        """Hand *expression* to the worker; return once its request is on the wire.

        Waiting for that moment is what lets the caller's merge overlap the server's
        work: the worker needs the interpreter lock to build and write the request,
        which a caller merging straight away would hold until the merge is done. The
        wait ends early if the request fails, lasts at most :data:`_SENT_WAIT` (the
        caller may take longer to get the interpreter lock back on a busy process), and
        is no longer made by this prefetch once one of its requests succeeded without the
        transport reporting it sent (pools of other classes: a SOCKS proxy, an adapter a
        script mounted). Each ``all()`` has its own prefetch, so such a session pays the
        wait once per ``all()``: at most 50 ms, or the first prefetched page's time.
        """
        with self._ready:
            self._job, self._done, self._answer, self._error = expression, False, None, None
            self._sent = False
            self._ready.notify_all()
            if not self._reports_sent:
                return
            deadline = time.monotonic() + _SENT_WAIT
            while not (self._sent or self._done or self._closing):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._ready.wait(remaining)

    def _mark_sent(self) -> None:
        with self._ready:
            self._sent = True
            self._ready.notify_all()

    def result(self) -> Any:
        with self._ready:
            while not self._done:
                self._ready.wait(_CLOSED_CHECK_INTERVAL)
                if not self._done and self._closed():
                    raise ftrack_api.exception.ConnectionClosedError()
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            return self._answer

    def close(self) -> None:
        with self._ready:
            self._closing = True
            self._ready.notify_all()

    def _run(self) -> None:
        # Here, not at module level: the model modules do not import the transport
        # (nor requests); a prefetch only runs for a session that has one.
        from ftrack_api._transport import when_sent

        while True:
            with self._ready:
                while self._job is None and not self._closing:
                    self._ready.wait()
                if self._closing:
                    return
                expression, self._job = self._job, None
            try:
                with when_sent(self._mark_sent):
                    answer, error = self._fetch(expression), None
            except BaseException as failure:  # handed to the caller by result()
                answer, error = None, failure
            with self._ready:
                self._answer, self._error, self._done = answer, error, True
                if error is None and not self._sent:
                    self._reports_sent = False  # this transport never says; stop waiting
                self._ready.notify_all()
