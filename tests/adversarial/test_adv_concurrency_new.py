"""Adversarial tests of today's concurrency: the query prefetch thread, the streamed
transport reads and the local server's background WAL checkpoint."""
from __future__ import annotations

import gzip
import http.server
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from typing import Any, Callable, List, Optional

import pytest
import requests

import ftrack_api
import ftrack_api.exception
from ftrack_api.testing import LocalServer

from .conftest import unique
from .test_adv_recovery import Forwarder

PREFETCH = "ftrack-query-prefetch"
CHECKPOINT = "ftrack-local-checkpoint"


def threads_named(name: str) -> List[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name and t.is_alive()]


def assert_threads_end(name: str, before: Any = ()) -> None:
    """Every thread called *name* (not in *before*) ends; a join, never a sleep."""
    for thread in threads_named(name):
        if thread in before:
            continue
        thread.join(timeout=15)
        assert not thread.is_alive(), "thread {0} left behind".format(name)


def make_shots(session: Any, count: int) -> Any:
    """A new project with one sequence holding *count* shots; returns (sequence, names)."""
    schema = session.query("ProjectSchema").first()
    project = session.create("Project", {"name": unique("conc"), "full_name": "c", "project_schema": schema})
    sequence = session.create("Sequence", {"name": "sq", "parent": project})
    names = ["sh{0:04d}".format(index) for index in range(count)]
    for name in names:
        session.create("Shot", {"name": name, "parent": sequence})
    session.commit()
    return sequence, names


def shots_query(sequence: Any) -> str:
    return 'select id, name from Shot where parent.id is "{0}" order by name'.format(sequence["id"])


def wrap_merge(session: Any, on_call: Callable[[int], None]) -> Callable[[], None]:
    """Wrap the session's merge like a plugin would; *on_call(n)* runs before merge n."""
    original = session._merge_rows
    calls = [0]

    def merge(rows: Any, merged: Any = None) -> Any:
        calls[0] += 1
        on_call(calls[0])
        return original(rows, merged)

    session._merge_rows = merge

    def restore() -> None:
        session._merge_rows = original

    return restore


# -- 1. QueryResult.all() with its prefetch thread ---------------------------------------------
def test_close_from_another_thread_during_all_fails_clearly_and_leaves_no_thread(local_server, tmp_path):
    session = local_server.session(schema_cache_path=str(tmp_path))
    sequence, names = make_shots(session, 12)
    before = set(threads_named(PREFETCH))
    result = session.query(shots_query(sequence), page_size=2)

    def on_call(count: int) -> None:
        if count == 3:
            closer = threading.Thread(target=session.close)
            closer.start()
            closer.join(timeout=30)
            assert not closer.is_alive()

    wrap_merge(session, on_call)
    outcome: List[Any] = []

    def run() -> None:
        try:
            outcome.append(result.all())
        except BaseException as error:  # noqa: BLE001 - inspected below
            outcome.append(error)

    runner = threading.Thread(target=run)
    runner.start()
    runner.join(timeout=60)
    assert not runner.is_alive(), "all() hangs after close()"
    assert len(outcome) == 1
    if isinstance(outcome[0], BaseException):
        assert isinstance(outcome[0], ftrack_api.exception.ConnectionClosedError), repr(outcome[0])
        assert 4 <= len(result._results) < len(names)
    else:
        assert [shot["name"] for shot in outcome[0]] == names
    assert session.closed
    assert_threads_end(PREFETCH, before)
    with pytest.raises(ftrack_api.exception.ConnectionClosedError):
        result.all()


def test_server_stopping_mid_all_keeps_pages_and_a_restart_resumes(tmp_path):
    database = str(tmp_path / "stop.sqlite")
    server = LocalServer(database=database).start()
    try:
        session = server.session(schema_cache_path=str(tmp_path))
        sequence, names = make_shots(session, 12)
        result = session.query(shots_query(sequence), page_size=2)

        def on_call(count: int) -> None:
            if count == 2:
                server.stop()

        restore = wrap_merge(session, on_call)
        with pytest.raises(requests.exceptions.ConnectionError):
            result.all()
        restore()
        kept = [shot["name"] for shot in result._results]
        assert 4 <= len(kept) < len(names)
        assert kept == names[: len(kept)]
        assert_threads_end(PREFETCH)

        server = LocalServer(database=database, port=server.port).start()
        everything = result.all()
        assert [shot["name"] for shot in everything] == names
        assert len({shot["id"] for shot in everything}) == len(names)
        assert len(result) == len(names)
        session.close()
    finally:
        server.stop()


class Abort(BaseException):
    """Like KeyboardInterrupt: not an Exception."""


@pytest.mark.parametrize("error", [Abort, KeyboardInterrupt])
def test_base_exception_inside_the_merge_ends_the_prefetch_thread(session, error):
    sequence, names = make_shots(session, 10)
    before = set(threads_named(PREFETCH))
    result = session.query(shots_query(sequence), page_size=2)

    def on_call(count: int) -> None:
        if count == 2:
            raise error()

    restore = wrap_merge(session, on_call)
    with pytest.raises(error):
        result.all()
    assert_threads_end(PREFETCH, before)
    restore()
    assert [shot["name"] for shot in result._results] == names[:2]
    assert [shot["name"] for shot in result.all()] == names
    assert_threads_end(PREFETCH, before)


def run_in_threads(count: int, target: Callable[[int], Any]) -> List[Any]:
    barrier = threading.Barrier(count)
    results: List[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = target(index)
        except BaseException as error:  # noqa: BLE001 - inspected by the caller
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()
    return results


def test_eight_threads_on_the_same_query_result(session):
    sequence, names = make_shots(session, 30)
    before = set(threads_named(PREFETCH))
    result = session.query(shots_query(sequence), page_size=3)
    outcomes = run_in_threads(8, lambda index: result.all() if index % 2 else len(result))
    for index, outcome in enumerate(outcomes):
        assert not isinstance(outcome, BaseException), repr(outcome)
        if index % 2:
            assert [shot["name"] for shot in outcome] == names
            assert all(a is b for a, b in zip(outcome, outcomes[1]))
        else:
            assert outcome == len(names)
    assert len(result._results) == len(names)
    assert_threads_end(PREFETCH, before)


def test_eight_threads_on_different_query_results_of_one_session(session):
    sequence, names = make_shots(session, 30)
    before = set(threads_named(PREFETCH))
    outcomes = run_in_threads(
        8, lambda index: session.query(shots_query(sequence), page_size=2 + index % 3).all()
    )
    for outcome in outcomes:
        assert not isinstance(outcome, BaseException), repr(outcome)
        assert [shot["name"] for shot in outcome] == names
        # One identity map: every thread got the very same entities.
        assert all(a is b for a, b in zip(outcome, outcomes[0]))
    assert_threads_end(PREFETCH, before)


@pytest.mark.parametrize(
    "clause, expected",
    [("offset 3 limit 5", slice(3, 8)), ("limit 4", slice(0, 4)), ("offset 7", slice(7, None)),
     ("offset 9 limit 5", slice(9, 10)), ("offset 20 limit 3", slice(0, 0)), ("limit 0", slice(0, 0)),
     ("offset 0 limit 1", slice(0, 1))],
)
def test_limit_and_offset_with_page_size_one(session, clause, expected):
    sequence, names = make_shots(session, 10)
    result = session.query("{0} {1}".format(shots_query(sequence), clause), page_size=1)
    assert [shot["name"] for shot in result.all()] == names[expected]
    assert len(result) == len(names[expected])
    again = session.query("{0} {1}".format(shots_query(sequence), clause), page_size=1)
    assert len(again) == len(names[expected])
    assert [shot["name"] for shot in again] == names[expected]


def test_empty_result_starts_no_prefetch_thread(session):
    before = set(threads_named(PREFETCH))
    result = session.query('Shot where name is "{0}"'.format(unique("none")), page_size=1)
    assert result.all() == []
    assert len(result) == 0
    assert list(result) == []
    assert set(threads_named(PREFETCH)) - before == set()


class BadPage(Forwarder):
    """Forward to the real server, except the page at *offset* gets *document*."""

    def __init__(self, server: Any, offset: int, document: str) -> None:
        super().__init__(server)
        self.marker = "offset {0} limit".format(offset).encode()
        self.document = document
        self.broken = True

    def __call__(self, body: bytes, count: int) -> Any:
        if self.broken and self.marker in body:
            return 200, "application/json", self.document.encode()
        return super().__call__(body, count)


@pytest.mark.parametrize(
    "document",
    ["[5]", '["text"]', "[null]", "[[]]", '[{"action": "query", "data": 5}]',
     '[{"action": "query", "data": {"a": 1}}]', '[{"action": "query", "data": "xy"}]',
     '[{"action": "query", "data": [], "metadata": 7}]',
     '[{"action": "query", "data": [], "metadata": {"next": 5}}]',
     '[{"action": "query", "data": [], "metadata": {"next": [1]}}]',
     '[{"action": "query", "data": [{"__entity_type__": "Shot"}]}]',
     '[{"action": "query", "data": [{"__entity_type__": "NoSuchType", "id": "x"}]}]',
     "{}", "[]", '"x"', "null"],
)
def test_a_page_of_the_wrong_shape_mid_way_is_a_server_error(local_server, stub_server, tmp_path, document):
    session = local_server.session(schema_cache_path=str(tmp_path))
    sequence, names = make_shots(session, 8)
    session.close()
    forwarder = BadPage(local_server, 4, document)
    stub = stub_server(forwarder)
    proxied = ftrack_api.Session(server_url=stub.url, api_key=local_server.api_key,
                                 api_user=local_server.api_user, schema_cache_path=str(tmp_path))
    try:
        before = set(threads_named(PREFETCH))
        result = proxied.query(shots_query(sequence), page_size=2)
        expected = (ftrack_api.exception.UnrecognisedEntityTypeError if "NoSuchType" in document
                    else ftrack_api.exception.ServerError)
        with pytest.raises(expected):
            result.all()
        assert [shot["name"] for shot in result._results] == names[:4]
        assert_threads_end(PREFETCH, before)
        forwarder.broken = False
        assert [shot["name"] for shot in result.all()] == names
    finally:
        proxied.close()
