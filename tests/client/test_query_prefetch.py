"""``all()`` / ``len()`` ask for the next page while the last one is merged.

The requests must be exactly those of page-by-page fetching (same expressions, same
order, one at a time), the result the same, and a failing page must leave the earlier
pages loaded and paging resumable.
"""
from __future__ import annotations

import json
import threading
from typing import Any, List

import pytest

import ftrack_api.exception


class Recorder:
    """Wrap the session's transport: record each query expression, optionally fail one."""

    def __init__(self, session: Any, fail_at: int = -1) -> None:
        self.expressions: List[str] = []
        self.threads: List[str] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.fail_at = fail_at
        self._lock = threading.Lock()
        transport = session._transport
        original = transport.send

        def send(body: str, idempotent: bool) -> Any:
            operations = json.loads(body)
            query = [op["expression"] for op in operations if op.get("action") == "query"]
            with self._lock:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                self.expressions.extend(query)
                self.threads.append(threading.current_thread().name)
                index = len(self.expressions) - 1
            try:
                if query and index == self.fail_at:
                    raise ftrack_api.exception.ServerError("injected failure of page {0}".format(index))
                return original(body, idempotent)
            finally:
                with self._lock:
                    self.in_flight -= 1

        transport.send = send


@pytest.fixture
def fresh(new_session: Any) -> Any:
    """A session with an empty identity map (nothing of the fixtures cached)."""
    return new_session()


@pytest.fixture
def seven_tasks(session: Any, project: Any) -> Any:
    _, sequence = project
    for index in range(7):
        session.create("Task", {"name": "p{0}".format(index), "parent": sequence})
    session.commit()
    return sequence


def _expression(sequence: Any) -> str:
    return 'select name from Task where parent_id is "{0}" order by name'.format(sequence["id"])


def test_all_sends_the_same_pages_in_order_one_at_a_time(fresh: Any, seven_tasks: Any) -> None:
    recorder = Recorder(fresh)
    tasks = fresh.query(_expression(seven_tasks), page_size=2).all()
    assert [task["name"] for task in tasks] == ["p{0}".format(i) for i in range(7)]
    base = _expression(seven_tasks)
    assert recorder.expressions == ["{0} offset {1} limit 2".format(base, offset)
                                    for offset in (0, 2, 4, 6)]
    assert recorder.max_in_flight == 1
    # Pages after the first were asked for by the prefetching thread.
    assert recorder.threads[0] != "ftrack-query-prefetch"
    assert set(recorder.threads[1:]) == {"ftrack-query-prefetch"}


def test_all_equals_page_by_page_iteration(fresh: Any, seven_tasks: Any) -> None:
    by_all = fresh.query(_expression(seven_tasks), page_size=3).all()
    by_iteration = list(fresh.query(_expression(seven_tasks), page_size=3))
    # One identity map: the very same entity objects, in the same order.
    assert [id(task) for task in by_all] == [id(task) for task in by_iteration]


def test_a_limit_stops_the_prefetch_at_the_last_wanted_page(fresh: Any, seven_tasks: Any) -> None:
    recorder = Recorder(fresh)
    expression = _expression(seven_tasks) + " offset 1 limit 4"
    tasks = fresh.query(expression, page_size=3).all()
    assert [task["name"] for task in tasks] == ["p1", "p2", "p3", "p4"]
    base = _expression(seven_tasks)
    assert recorder.expressions == ["{0} offset 1 limit 3".format(base),
                                    "{0} offset 4 limit 1".format(base)]


def test_a_failed_page_keeps_the_earlier_pages_and_paging_resumes(fresh: Any,
                                                                  seven_tasks: Any) -> None:
    recorder = Recorder(fresh, fail_at=2)
    result = fresh.query(_expression(seven_tasks), page_size=2)
    with pytest.raises(ftrack_api.exception.ServerError, match="injected failure of page 2"):
        result.all()
    # Pages 0 and 1 were merged; the failed page is asked for again on the next use.
    assert len(result._results) == 4
    recorder.fail_at = -1
    assert [task["name"] for task in result.all()] == ["p{0}".format(i) for i in range(7)]
    base = _expression(seven_tasks)
    assert recorder.expressions[-2:] == ["{0} offset 4 limit 2".format(base),
                                         "{0} offset 6 limit 2".format(base)]


def test_len_and_negative_index_use_the_same_paging(fresh: Any, seven_tasks: Any) -> None:
    recorder = Recorder(fresh)
    result = fresh.query(_expression(seven_tasks), page_size=4)
    assert len(result) == 7
    assert result[-1]["name"] == "p6"
    assert len(recorder.expressions) == 2


def test_no_prefetch_thread_is_left_running(fresh: Any, seven_tasks: Any) -> None:
    for _ in range(3):
        fresh.query(_expression(seven_tasks), page_size=2).all()
    lingering = [t for t in threading.enumerate() if t.name == "ftrack-query-prefetch"]
    for thread in lingering:
        thread.join(timeout=5)
    assert not any(t.is_alive() for t in lingering)
