"""Eight clients committing at once: nothing lost, never 'database is locked'."""
from __future__ import annotations

import threading
from typing import Any, List

from ftrack_api.testing import LocalServer

from .conftest import Api


def test_eight_concurrent_committing_clients(tmp_path) -> None:
    with LocalServer(database=str(tmp_path / "concurrent.sqlite")) as srv:
        setup = Api(srv)
        project = setup.project()
        shots = [setup.create("Shot", name=f"sh{i}", parent=setup.ref(project)) for i in range(8)]
        errors: List[Any] = []
        start = threading.Barrier(8)

        def client(index: int) -> None:
            api = Api(srv)
            start.wait()
            for n in range(15):
                body = api.call([
                    {"action": "create", "entity_type": "Task",
                     "entity_data": {"name": f"c{index}-{n}", "parent": api.ref(shots[index])}},
                    {"action": "update", "entity_type": "Shot", "entity_key": [shots[index]["id"]],
                     "entity_data": {"description": f"rev {n}"}},
                    {"action": "query", "expression": "select id from Task limit 5"},
                ])
                if not isinstance(body, list):
                    errors.append(body)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        tasks = setup.rows(f'select name from Task where project_id is "{project["id"]}"')
        assert len(tasks) == 8 * 15
        descriptions = setup.rows(f'select description from Shot where project_id is "{project["id"]}"')
        assert {d["description"] for d in descriptions} == {"rev 14"}


def test_concurrent_updates_of_one_entity_keep_every_attribute(server) -> None:
    setup = Api(server)
    project = setup.project()
    shot = setup.create("Shot", name="shared", parent=setup.ref(project))
    attributes = ["name", "description"]
    start = threading.Barrier(8)
    errors: List[Any] = []

    def client(index: int) -> None:
        api = Api(server)
        start.wait()
        for n in range(10):
            name = attributes[index % 2]
            body = api.update("Shot", shot["id"], **{name: f"{name}-{index}-{n}"})
            if not isinstance(body, list):
                errors.append(body)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    row = setup.rows(f'select name, description from Shot where id is "{shot["id"]}"')[0]
    assert row["name"].startswith("name-") and row["name"].endswith("-9")
    assert row["description"].startswith("description-") and row["description"].endswith("-9")
