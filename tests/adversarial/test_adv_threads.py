"""Threads: one Session shared by 8 threads, and 8 clients committing at once."""
from __future__ import annotations

import threading
import traceback
from typing import Any, Callable, Dict, List

import pytest

import ftrack_api.exception
from ftrack_api.testing import LocalServer

from .conftest import unique

THREADS = 8


def run_threads(target: Callable[[int], Any], count: int = THREADS) -> Dict[int, Any]:
    """Run ``target(index)`` on *count* threads released together; raise the first error."""
    barrier = threading.Barrier(count)
    results: Dict[int, Any] = {}
    errors: List[str] = []

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=60)
            results[index] = target(index)
        except BaseException:  # noqa: BLE001 - reported below
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not any(thread.is_alive() for thread in threads), "a worker thread hung"
    assert errors == [], errors[0]
    return results


@pytest.fixture
def shots(session, project):
    _, sequence = project
    made = [session.create("Shot", {"name": "sh{0:03d}".format(i), "parent": sequence,
                                    "description": "d{0}".format(i)}) for i in range(60)]
    session.commit()
    return sequence, made


def test_one_query_result_iterated_by_eight_threads(shots, new_session):
    sequence, made = shots
    other = new_session()
    result = other.query('Shot where parent_id is "{0}" order by name'.format(sequence["id"]), page_size=7)
    expected = ["sh{0:03d}".format(i) for i in range(60)]
    names = run_threads(lambda index: [shot["name"] for shot in result])
    assert all(names[i] == expected for i in range(THREADS)), {i: len(n) for i, n in names.items()}
    assert len(result) == 60
    assert [shot["name"] for shot in result.all()] == expected


def test_one_query_result_indexed_and_measured_by_eight_threads(shots, new_session):
    sequence, _ = shots
    other = new_session()
    result = other.query('Shot where parent_id is "{0}" order by name'.format(sequence["id"]), page_size=5)

    def work(index: int) -> Any:
        if index % 3 == 0:
            return len(result)
        if index % 3 == 1:
            return result[59 - index]["name"]
        return result[index * 2: index * 2 + 3]

    out = run_threads(work)
    for index, value in out.items():
        if index % 3 == 0:
            assert value == 60
        elif index % 3 == 1:
            assert value == "sh{0:03d}".format(59 - index)
        else:
            assert [shot["name"] for shot in value] == ["sh{0:03d}".format(i) for i in range(index * 2, index * 2 + 3)]
    assert len(result.all()) == 60


def test_lazy_loads_of_the_same_entities_from_eight_threads(shots, new_session):
    sequence, made = shots
    other = new_session()
    loaded = other.query('select id from Shot where parent_id is "{0}"'.format(sequence["id"])).all()
    assert len(loaded) == 60

    def work(index: int) -> Any:
        seen = []
        for shot in loaded[index:] + loaded[:index]:
            seen.append((shot["id"], shot["description"], shot["parent"]["name"], shot["project"]["id"]))
        return sorted(seen)

    out = run_threads(work)
    expected = sorted((s["id"], s["description"], "sq010", sequence["project"]["id"]) for s in made)
    assert all(value == expected for value in out.values())
    assert len(other.recorded_operations) == 0


def test_thread_local_flags_never_leak(session):
    inside = threading.Event()
    release = threading.Event()
    seen: Dict[str, Any] = {}

    def other_thread() -> None:
        try:
            with session.auto_populating(False):
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        seen["after_exception"] = session.auto_populate
        with session.operation_recording(False), session.auto_populating(False):
            session.record_operations = False
            inside.set()
            release.wait(timeout=30)
            seen["inside"] = (session.record_operations, session.auto_populate)
        seen["after"] = (session.record_operations, session.auto_populate)

    thread = threading.Thread(target=other_thread)
    thread.start()
    assert inside.wait(timeout=30)
    assert session.record_operations is True
    assert session.auto_populate is True
    session.auto_populate = False
    release.set()
    thread.join(timeout=30)
    assert seen["after_exception"] is True
    assert seen["inside"] == (False, False)
    assert seen["after"] == (True, True)
    assert session.auto_populate is False
    fresh: List[Any] = []
    probe = threading.Thread(target=lambda: fresh.append((session.record_operations, session.auto_populate)))
    probe.start()
    probe.join(timeout=30)
    assert fresh == [(True, True)]
    session.auto_populate = True


def test_eight_threads_mix_queries_lazy_loads_and_commits(session, shots, new_session):
    sequence, made = shots

    def work(index: int) -> Any:
        mine = made[index * 7:(index + 1) * 7]
        for round_number in range(4):
            for shot in mine:
                shot["description"] = "t{0}-r{1}".format(index, round_number)
            created = session.create("Task", {"name": "task-{0}-{1}".format(index, round_number),
                                              "parent": mine[0]})
            listed = session.query('select name, parent.name from Shot where parent_id is "{0}"'.format(
                sequence["id"])).all()
            assert len(listed) == 60
            assert all(shot["parent"]["name"] == "sq010" for shot in listed)
            session.commit()
            assert created["parent"] is mine[0]
        return [shot["id"] for shot in mine]

    run_threads(work)
    assert len(session.recorded_operations) == 0
    fresh = new_session()
    rows = fresh.query('select description from Shot where parent_id is "{0}"'.format(sequence["id"])).all()
    by_id = {row["id"]: row["description"] for row in rows}
    for index in range(THREADS):
        for shot in made[index * 7:(index + 1) * 7]:
            assert by_id[shot["id"]] == "t{0}-r3".format(index)
            assert shot["description"] == "t{0}-r3".format(index)
    tasks = fresh.query('select name from Task where parent.parent_id is "{0}"'.format(sequence["id"])).all()
    assert sorted(task["name"] for task in tasks) == sorted(
        "task-{0}-{1}".format(i, r) for i in range(THREADS) for r in range(4))


def test_eight_threads_writing_the_same_attribute_stay_consistent(session, shots, new_session):
    _, made = shots
    target = made[0]

    def work(index: int) -> Any:
        for round_number in range(5):
            target["description"] = "w{0}-{1}".format(index, round_number)
            session.commit()

    run_threads(work)
    assert len(session.recorded_operations) == 0
    remote = new_session().get("Shot", target["id"])["description"]
    assert remote == target["description"]
    assert remote.endswith("-4")


def test_close_while_other_threads_query(local_server, tmp_path, shots):
    sequence, _ = shots
    shared = local_server.session(schema_cache_path=str(tmp_path))
    started = threading.Barrier(THREADS + 1)
    outcomes: List[str] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        started.wait(timeout=60)
        for _ in range(30):
            try:
                shared.query('select name from Shot where parent_id is "{0}"'.format(sequence["id"])).all()
                outcome = "ok"
            except ftrack_api.exception.ConnectionClosedError:
                outcome = "closed"
            except Exception as error:  # noqa: BLE001 - recorded and asserted
                outcome = "error: {0!r}".format(error)
            with lock:
                outcomes.append(outcome)
            if outcome != "ok":
                return

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    started.wait(timeout=60)
    shared.close()
    for thread in threads:
        thread.join(timeout=120)
    assert set(outcomes) <= {"ok", "closed"}, [o for o in outcomes if o not in ("ok", "closed")][:3]
    with pytest.raises(ftrack_api.exception.ConnectionClosedError):
        shared.query("User").all()


def test_eight_sessions_commit_at_once_on_a_file_database(tmp_path):
    with LocalServer(database=str(tmp_path / "threads.sqlite")) as server:
        setup = server.session(schema_cache_path=str(tmp_path))
        schema = setup.query("ProjectSchema").first()
        project = setup.create("Project", {"name": unique("conc"), "full_name": "c", "project_schema": schema})
        counters = [setup.create("Sequence", {"name": "seq{0}".format(i), "parent": project}) for i in range(THREADS)]
        setup.commit()
        sessions = [server.session(schema_cache_path=str(tmp_path)) for _ in range(THREADS)]

        def work(index: int) -> Any:
            mine = sessions[index]
            sequence = mine.get("Sequence", counters[index]["id"])
            for round_number in range(12):
                sequence["description"] = str(round_number)
                mine.create("Shot", {"name": "c{0}-{1}".format(index, round_number), "parent": sequence})
                mine.commit()
                assert mine.query('select id from Shot where parent_id is "{0}"'.format(
                    sequence["id"])).all()
            return True

        run_threads(work)
        check = server.session(schema_cache_path=str(tmp_path))
        shots = check.query('select name from Shot where project_id is "{0}"'.format(project["id"])).all()
        assert len(shots) == THREADS * 12
        descriptions = check.query('select description from Sequence where project_id is "{0}"'.format(
            project["id"])).all()
        assert [row["description"] for row in descriptions] == ["11"] * THREADS
        for item in sessions + [setup, check]:
            item.close()


def test_two_servers_on_one_file_database_never_lock(tmp_path):
    import requests

    database = str(tmp_path / "shared.sqlite")
    with LocalServer(database=database) as first, LocalServer(database=database) as second:
        assert first.api_key == second.api_key  # one database, one remembered key
        servers = [first, second]

        def work(index: int) -> Any:
            server = servers[index % 2]
            headers = {"ftrack-user": server.api_user, "ftrack-api-key": server.api_key}
            for number in range(20):
                body = requests.post(server.url + "/api", timeout=60, headers=headers, json=[
                    {"action": "create", "entity_type": "Priority",
                     "entity_data": {"name": "two-{0}-{1}".format(index, number), "value": number}},
                    {"action": "query", "expression": "select id from Priority where name like 'two-%' limit 3"},
                ]).json()
                assert isinstance(body, list), body
            return True

        run_threads(work)
        for server in servers:
            headers = {"ftrack-user": server.api_user, "ftrack-api-key": server.api_key}
            rows = requests.post(server.url + "/api", timeout=60, headers=headers, json=[
                {"action": "query", "expression": "select id from Priority where name like 'two-%'"}]).json()
            assert len(rows[0]["data"]) == THREADS * 20


def test_one_hub_subscribed_published_and_unsubscribed_from_eight_threads():
    from ftrack_api.event.base import Event
    from ftrack_api.event.hub import EventHub

    hub = EventHub("http://127.0.0.1:1", "user", "key")  # never connected: local delivery

    def work(index: int) -> Any:
        for number in range(100):
            identifier = hub.subscribe(
                "topic=adv.thread{0} and data.n >= {1}".format(index, number), lambda event, i=index: i)
            assert hub.publish(Event("adv.thread{0}".format(index), data={"n": number}), synchronous=True) == [index]
            assert hub.publish(Event("adv.thread{0}".format(index), data={"n": number - 1}), synchronous=True) == []
            hub.unsubscribe(identifier)
        return True

    run_threads(work)
    assert hub.publish(Event("adv.thread0", data={"n": 1000}), synchronous=True) == []


def test_eight_committing_sessions_each_see_every_update_event(tmp_path):
    condition = threading.Condition()
    counts = [0] * THREADS

    def counter(index: int) -> Callable[[Any], None]:
        def callback(event: Any) -> None:
            with condition:
                counts[index] += 1
                condition.notify_all()
        return callback

    with LocalServer(database=str(tmp_path / "updates.sqlite")) as server:
        sessions = [server.session(auto_connect_event_hub=True, schema_cache_path=False) for _ in range(THREADS)]
        waiters = []
        try:
            for index, item in enumerate(sessions):
                assert item.event_hub.wait_until_connected(10)
                item.event_hub.subscribe("topic=ftrack.update", counter(index))
                assert item.event_hub.flush(10)
                waiter = threading.Thread(target=item.event_hub.wait, daemon=True)
                waiter.start()
                waiters.append(waiter)
            schema = sessions[0].query("ProjectSchema").first()
            project = sessions[0].create("Project", {"name": unique("upd"), "full_name": "u", "project_schema": schema})
            sessions[0].commit()

            def work(index: int) -> Any:
                mine = sessions[index]
                parent = mine.get("Project", project["id"])
                for number in range(6):
                    mine.create("Sequence", {"name": "u{0}-{1}".format(index, number), "parent": parent})
                    mine.commit()
                return True

            run_threads(work)
            expected = 1 + THREADS * 6
            with condition:
                assert condition.wait_for(lambda: min(counts) >= expected, timeout=60), counts
            assert counts == [expected] * THREADS
            assert all(item.event_hub.connected for item in sessions)
        finally:
            for item in sessions:
                item.event_hub.stop_waiting()
            for waiter in waiters:
                waiter.join(5)
            for item in sessions:
                item.close()
