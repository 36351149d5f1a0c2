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
from ftrack_api._unit_of_work import MAX_OPERATIONS_PER_REQUEST
from ftrack_api.testing import LocalServer

from .conftest import unique

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
    names = ["sh{0:05d}".format(index) for index in range(count)]
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

    def merge(rows: Any) -> Any:
        calls[0] += 1
        on_call(calls[0])
        return original(rows)

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

        # The server goes away just before the third page is asked for (on the prefetch
        # thread), while the second page is merged: no request is in flight at the stop.
        original_call = session._call
        calls = [0]

        def call(*args: Any, **kwargs: Any) -> Any:
            calls[0] += 1
            if calls[0] == 3:
                server.stop()
            return original_call(*args, **kwargs)

        session._call = call
        with pytest.raises(requests.exceptions.ConnectionError):
            result.all()
        session._call = original_call
        kept = [shot["name"] for shot in result._results]
        assert kept == names[:4]
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


def test_eight_threads_page_one_result_in_every_way_at_once(session):
    sequence, names = make_shots(session, 30)
    result = session.query(shots_query(sequence), page_size=4)
    ways = [
        lambda: [shot["name"] for shot in result.all()],
        lambda: [shot["name"] for shot in result],
        lambda: [shot["name"] for shot in result[5:17]],
        lambda: result[-1]["name"],
        lambda: result[22]["name"],
        lambda: len(result),
        lambda: [shot["name"] for shot in result[:]],
        lambda: result.first()["name"],
    ]
    outcomes = run_in_threads(8, lambda index: ways[index]())
    for outcome in outcomes:
        assert not isinstance(outcome, BaseException), repr(outcome)
    assert outcomes == [names, names, names[5:17], names[-1], names[22], 30, names, names[0]]
    assert len(result._results) == 30


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
def test_a_page_of_the_wrong_shape_mid_way_is_a_server_error(encoding_proxy, document):
    session, proxy = encoding_proxy
    sequence, names = make_shots(session, 8)
    proxy.override = lambda body: document.encode() if b"offset 4 limit" in body else None
    before = set(threads_named(PREFETCH))
    result = session.query(shots_query(sequence), page_size=2)
    expected = (ftrack_api.exception.UnrecognisedEntityTypeError if "NoSuchType" in document
                else ftrack_api.exception.ServerError)
    with pytest.raises(expected):
        result.all()
    assert [shot["name"] for shot in result._results] == names[:4]
    assert_threads_end(PREFETCH, before)
    proxy.override = None
    assert [shot["name"] for shot in result.all()] == names


# -- 2. the transport's streamed reads ---------------------------------------------------------
class EncodingProxy:
    """A loopback HTTP/1.1 proxy in front of the local server that can gzip, chunk or cut
    its answers, and counts the TCP connections clients open to it."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.gzip = False
        self.claim_gzip = False  # say gzip, send the body as it is
        self.status = 200
        self.chunked = False
        self.chunk_size = 4096
        self.cut_after: Optional[int] = None  # bytes of the body sent before hanging up
        self.cut_once = False
        self.document: Optional[bytes] = None  # answer this instead of forwarding
        #: body -> answer to send instead of forwarding (None: forward)
        self.override: Optional[Callable[[bytes], Optional[bytes]]] = None
        self.connections = 0
        self.requests = 0
        self._lock = threading.Lock()
        proxy = self
        upstream = requests.Session()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with proxy._lock:
                    proxy.connections += 1

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with proxy._lock:
                    proxy.requests += 1
                override = proxy.override
                payload = override(body) if override is not None else None
                if payload is None and proxy.document is not None:
                    payload = proxy.document
                if payload is None:
                    payload = upstream.post(
                        proxy.server.url + "/api", data=body, timeout=60,
                        headers={"ftrack-user": proxy.server.api_user,
                                 "ftrack-api-key": proxy.server.api_key,
                                 "content-type": "application/json"},
                    ).content
                if proxy.gzip:
                    payload = gzip.compress(payload)
                cut = proxy.cut_after
                if cut is not None and proxy.cut_once:
                    proxy.cut_after = None
                self.send_response(proxy.status)
                self.send_header("content-type", "application/json")
                if proxy.gzip or proxy.claim_gzip:
                    self.send_header("content-encoding", "gzip")
                if proxy.chunked:
                    self.send_header("transfer-encoding", "chunked")
                else:
                    self.send_header("content-length", str(len(payload)))
                self.end_headers()
                if cut is not None:
                    payload = payload[:cut]
                if proxy.chunked:
                    for start in range(0, len(payload), proxy.chunk_size):
                        piece = payload[start:start + proxy.chunk_size]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    if cut is None:
                        self.wfile.write(b"0\r\n\r\n")
                else:
                    self.wfile.write(payload)
                self.wfile.flush()
                if cut is not None:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = "http://127.0.0.1:{0}".format(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        self._upstream = upstream

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)
        self._upstream.close()


@pytest.fixture
def encoding_proxy(local_server, tmp_path):
    proxy = EncodingProxy(local_server)
    session = ftrack_api.Session(server_url=proxy.url, api_key=local_server.api_key,
                                 api_user=local_server.api_user, schema_cache_path=str(tmp_path))
    yield session, proxy
    session.close()
    proxy.close()


@pytest.mark.parametrize("gzipped, chunked", [(True, False), (False, True), (True, True)])
def test_gzip_and_chunked_answers_are_decoded(encoding_proxy, gzipped, chunked):
    session, proxy = encoding_proxy
    sequence, names = make_shots(session, 30)
    proxy.gzip, proxy.chunked, proxy.chunk_size = gzipped, chunked, 97
    result = session.query(shots_query(sequence), page_size=7)
    assert [shot["name"] for shot in result.all()] == names
    shot = session.create("Shot", {"name": "through the proxy", "parent": sequence})
    session.commit()  # a write's answer goes through the same read
    assert session.query('Shot where id is "{0}"'.format(shot["id"])).one()["name"] == "through the proxy"


def test_connections_are_reused_for_sequential_requests(encoding_proxy):
    session, proxy = encoding_proxy
    session.query("User").first()
    opened = proxy.connections
    assert opened >= 1
    for gzipped, chunked in ((False, False), (False, True), (True, False), (True, True)):
        proxy.gzip, proxy.chunked = gzipped, chunked
        for _ in range(10):
            assert session.query("User").first() is not None
    assert proxy.requests >= 41
    assert proxy.connections == opened  # every request went over the pooled connection


def test_error_answers_do_not_cost_a_connection_each(encoding_proxy):
    session, proxy = encoding_proxy
    session.query("User").first()
    opened = proxy.connections
    proxy.status = 500
    proxy.override = lambda body: json.dumps({"exception": "ServerError", "content": "boom"}).encode()
    for chunked in (False, True):
        proxy.chunked = chunked
        for _ in range(5):
            with pytest.raises(ftrack_api.exception.ServerError, match="boom"):
                session.call([{"action": "query_server_information"}])
    proxy.status, proxy.override = 200, None
    assert session.query("User").first() is not None
    assert proxy.connections == opened


def test_eight_threads_share_the_pool(encoding_proxy):
    session, proxy = encoding_proxy
    sequence, names = make_shots(session, 24)
    outcomes = run_in_threads(8, lambda index: session.query(shots_query(sequence), page_size=3).all())
    for outcome in outcomes:
        assert not isinstance(outcome, BaseException), repr(outcome)
        assert [shot["name"] for shot in outcome] == names
    assert proxy.connections <= 1 + 16  # at most a caller and a prefetch thread per thread
    run_in_threads(8, lambda index: session.query(shots_query(sequence), page_size=3).all())
    assert proxy.connections <= 1 + 16  # the second round reuses the pooled connections


def test_prefetching_all_uses_at_most_two_connections(encoding_proxy):
    session, proxy = encoding_proxy
    sequence, names = make_shots(session, 40)
    session.query("User").first()
    opened = proxy.connections
    for _ in range(3):
        assert [shot["name"] for shot in session.query(shots_query(sequence), page_size=4).all()] == names
    # the caller and the prefetch thread alternate; neither opens one per page
    assert proxy.connections - opened <= 2


@pytest.mark.parametrize("gzipped, chunked", [(False, False), (False, True), (True, False), (True, True)])
def test_cut_off_streamed_answer_to_a_read_is_retried(encoding_proxy, gzipped, chunked):
    session, proxy = encoding_proxy
    sequence, names = make_shots(session, 20)
    proxy.gzip, proxy.chunked, proxy.chunk_size = gzipped, chunked, 64
    before = proxy.requests
    proxy.cut_after, proxy.cut_once = 150, True
    assert [shot["name"] for shot in session.query(shots_query(sequence)).all()] == names
    assert proxy.requests == before + 2  # the cut-off one and its retry


@pytest.mark.parametrize("gzipped, chunked", [(False, False), (False, True), (True, False)])
def test_cut_off_streamed_answer_to_a_commit_keeps_operations(encoding_proxy, new_session, gzipped, chunked):
    session, proxy = encoding_proxy
    sequence, _ = make_shots(session, 1)
    sequence["description"] = "after a cut-off streamed answer"
    proxy.gzip, proxy.chunked, proxy.chunk_size = gzipped, chunked, 16
    proxy.cut_after, proxy.cut_once = 40, True
    before = proxy.requests
    with pytest.raises(requests.exceptions.RequestException):
        session.commit()
    assert proxy.requests == before + 1  # a write is never sent twice
    assert len(session.recorded_operations) == 1
    session.commit()
    assert new_session().get("Sequence", sequence["id"])["description"] == "after a cut-off streamed answer"


def test_huge_single_page_answer(tmp_path):
    with LocalServer() as server:
        session = server.session(schema_cache_path=str(tmp_path))
        sequence, names = make_shots(session, 20000)
        session.close()
        session = server.session(schema_cache_path=str(tmp_path))
        result = session.query(shots_query(sequence), page_size=20000)
        shots = result.all()
        assert len(shots) == 20000
        assert [shot["name"] for shot in shots] == names
        assert len({shot["id"] for shot in shots}) == 20000
        session.close()


def test_huge_gzip_chunked_answer_from_a_stub(encoding_proxy):
    session, proxy = encoding_proxy
    rows = [{"__entity_type__": "User", "id": "00000000-0000-0000-0000-{0:012d}".format(index),
             "username": "u{0}".format(index)} for index in range(20000)]
    proxy.document = json.dumps([{"action": "query", "data": rows, "metadata": {"next": {"offset": None}}}]).encode()
    proxy.gzip, proxy.chunked, proxy.chunk_size = True, True, 65536
    users = session.query("select username from User", page_size=20000).all()
    assert [user["username"] for user in users] == [row["username"] for row in rows]


def test_an_answer_that_is_not_the_gzip_it_claims_is_a_clear_error(encoding_proxy):
    session, proxy = encoding_proxy
    proxy.claim_gzip = True
    before = proxy.requests
    with pytest.raises(requests.exceptions.ContentDecodingError, match="gzip"):
        session.query("User").all()
    assert proxy.requests > before
    proxy.claim_gzip = False
    assert session.query("User").first() is not None


# -- 3. the local server's background WAL checkpoint --------------------------------------------
def wal_size(database: str) -> int:
    try:
        return os.path.getsize(database + "-wal")
    except FileNotFoundError:
        return 0


def test_many_file_servers_opened_and_stopped_leave_no_checkpoint_thread(tmp_path):
    before = set(threads_named(CHECKPOINT))
    database = str(tmp_path / "loop.sqlite")
    port = 0
    created = 0
    for round_number in range(6):
        server = LocalServer(database=database, port=port).start()
        try:
            port = server.port
            assert len(set(threads_named(CHECKPOINT)) - before) == 1
            session = server.session(schema_cache_path=str(tmp_path))
            for index in range(10 if round_number % 2 else 1100):  # some rounds cross the threshold
                session.create("Priority", {"name": "p{0}_{1}".format(round_number, index), "value": index})
                created += 1
            session.commit()
            session.close()
        finally:
            server.stop()
        assert set(threads_named(CHECKPOINT)) - before == set()
        assert wal_size(database) == 0  # closing truncates the log
    reader = sqlite3.connect(database)
    try:
        count = reader.execute("SELECT count(*) FROM entity WHERE fam = ? AND json_extract(data, '$.name') "
                               "LIKE 'p%\\_%' ESCAPE '\\'", ("Priority",)).fetchone()[0]
    finally:
        reader.close()
    assert count == created


def test_a_server_that_fails_to_start_leaves_no_checkpoint_thread(tmp_path):
    before = set(threads_named(CHECKPOINT))
    with LocalServer(database=str(tmp_path / "first.sqlite")) as first:
        with pytest.raises(OSError):
            LocalServer(database=str(tmp_path / "second.sqlite"), port=first.port).start()
    assert set(threads_named(CHECKPOINT)) - before == set()


def count_priorities(database: str, prefix: str) -> int:
    reader = sqlite3.connect(database)
    try:
        return reader.execute(
            "SELECT count(*) FROM entity WHERE fam = 'Priority' AND substr(json_extract(data, '$.name'), 1, ?) = ?",
            (len(prefix), prefix),
        ).fetchone()[0]
    finally:
        reader.close()


def create_priorities(session: Any, prefix: str, count: int) -> None:
    for index in range(count):
        session.create("Priority", {"name": "{0}{1}".format(prefix, index), "value": index})
    session.commit()


READER = r"""
import json, os, sqlite3, sys
database, stop_file, prefix = sys.argv[1:4]
connection = sqlite3.connect(database, isolation_level=None, timeout=30)
counts = []
sql = ("SELECT count(*) FROM entity WHERE fam = 'Priority' "
       "AND substr(json_extract(data, '$.name'), 1, ?) = ?")
print("ready", flush=True)
while True:
    stopping = os.path.exists(stop_file)
    counts.append(connection.execute(sql, (len(prefix), prefix)).fetchone()[0])
    if stopping:
        break
check = connection.execute("PRAGMA quick_check").fetchone()[0]
print(json.dumps({"counts": counts, "check": check}), flush=True)
"""


def test_a_reader_process_reads_the_file_while_the_server_writes(tmp_path):
    database = str(tmp_path / "shared.sqlite")
    stop_file = str(tmp_path / "stop")
    with LocalServer(database=database) as server:
        session = server.session(schema_cache_path=str(tmp_path))
        create_priorities(session, "warm", 1)
        reader = subprocess.Popen([sys.executable, "-c", READER, database, stop_file, "rd"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert reader.stdout.readline().strip() == "ready"
            for batch in range(3):
                create_priorities(session, "rd{0}_".format(batch), 1100)  # each wakes the checkpointer
            open(stop_file, "w").close()
            out, err = reader.communicate(timeout=60)
        finally:
            if reader.poll() is None:
                reader.kill()
                reader.wait()
        assert reader.returncode == 0, err
        report = json.loads(out)
        assert report["check"] == "ok"
        counts = report["counts"]
        assert counts == sorted(counts)  # never a row lost or a torn batch going back
        # A commit of 1,100 creates is sent as requests of at most MAX_OPERATIONS_PER_REQUEST,
        # each one transaction: the reader sees every request whole or not at all.
        step = MAX_OPERATIONS_PER_REQUEST
        whole = {0} | {batch * 1100 + min(part * step, 1100)
                       for batch in range(3) for part in range(1, 1100 // step + 2)}
        assert set(counts) <= whole, sorted(set(counts) - whole)
        assert counts[-1] == 3300
        session.close()
    assert count_priorities(database, "rd") == 3300


HOLDER = r"""
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN")
print(connection.execute("SELECT count(*) FROM entity").fetchone()[0], flush=True)
sys.stdin.readline()
connection.execute("COMMIT")
"""


def test_stop_is_not_held_up_by_a_reader_process_in_a_transaction(tmp_path):
    database = str(tmp_path / "held.sqlite")
    server = LocalServer(database=database).start()
    holder = None
    try:
        session = server.session(schema_cache_path=str(tmp_path))
        create_priorities(session, "before", 1100)
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, database], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        assert int(holder.stdout.readline()) > 1100
        create_priorities(session, "held", 1500)
        session.close()
        stopper = threading.Thread(target=server.stop)
        stopper.start()
        stopper.join(timeout=20)  # would be the 30 s busy timeout before the fix
        assert not stopper.is_alive(), "stop() waits for the outside reader"
    finally:
        if holder is not None:
            holder.communicate("\n", timeout=30)
        server.stop()
    assert count_priorities(database, "held") == 1500
    with LocalServer(database=database) as again:
        reopened = again.session(schema_cache_path=str(tmp_path))
        assert len(reopened.query('Priority where name like "held%"').all()) == 1500
        reopened.close()


def test_stopping_right_after_a_large_batch_keeps_every_row(tmp_path):
    database = str(tmp_path / "large.sqlite")
    before = set(threads_named(CHECKPOINT))
    for round_number in range(2):
        server = LocalServer(database=database).start()
        try:
            session = server.session(schema_cache_path=str(tmp_path))
            create_priorities(session, "big{0}_".format(round_number), 5000)
            session.close()
        finally:
            server.stop()  # right after the commit that woke the checkpointer
        assert wal_size(database) == 0
        assert set(threads_named(CHECKPOINT)) - before == set()
        assert count_priorities(database, "big{0}_".format(round_number)) == 5000
    with LocalServer(database=database) as again:
        reopened = again.session(schema_cache_path=str(tmp_path))
        assert len(reopened.query('Priority where name like "big%"', page_size=1000).all()) == 10000
        reopened.close()


def test_close_while_the_prefetched_page_hangs_at_the_server(encoding_proxy):
    session, proxy = encoding_proxy
    sequence, names = make_shots(session, 10)
    before = set(threads_named(PREFETCH))
    arrived, release = threading.Event(), threading.Event()

    def hang(body: bytes) -> Optional[bytes]:
        if b"offset 4 limit" in body:
            arrived.set()
            release.wait(60)
        return None

    proxy.override = hang
    outcome: List[Any] = []

    def run() -> None:
        try:
            outcome.append(session.query(shots_query(sequence), page_size=2).all())
        except BaseException as error:  # noqa: BLE001 - inspected below
            outcome.append(error)

    runner = threading.Thread(target=run)
    runner.start()
    try:
        assert arrived.wait(30)
        session.close()
        runner.join(timeout=20)
        # all() gave up while the page was still held at the server
        assert not runner.is_alive(), "all() waits for a request of a closed session"
        assert not release.is_set()
        assert len(outcome) == 1
        assert isinstance(outcome[0], ftrack_api.exception.ConnectionClosedError), repr(outcome[0])
    finally:
        release.set()
        runner.join(timeout=30)
    assert_threads_end(PREFETCH, before)  # the worker ends with its request


@pytest.mark.parametrize("document", ['["x"]', "[5]", '[{"action": "query", "data": 5}]',
                                      '[{"action": "query", "data": [], "metadata": []}]'])
@pytest.mark.parametrize("way", ["first", "one", "index", "slice", "iterate", "all"])
def test_every_way_of_reading_a_query_types_a_wrong_shape(encoding_proxy, document, way):
    session, proxy = encoding_proxy
    session.query("User").first()
    proxy.document = document.encode()
    result = session.query('User where username is "{0}"'.format(session.api_user), page_size=1)
    read = {
        "first": result.first, "one": result.one, "index": lambda: result[0],
        "slice": lambda: result[0:2], "iterate": lambda: next(iter(result)), "all": result.all,
    }[way]
    with pytest.raises(ftrack_api.exception.ServerError, match="unexpected JSON"):
        read()
    proxy.document = None
    assert session.query('User where username is "{0}"'.format(session.api_user)).one()["username"] == session.api_user
