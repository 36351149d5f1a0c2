"""One session shared by 8 threads mixing queries, lazy loads and commits."""
from __future__ import annotations

import threading

import ftrack_api.symbol


def test_eight_threads_share_a_session(session, project, new_session):
    project_entity, sequence = project
    errors = []
    created = {}
    barrier = threading.Barrier(8)

    def worker(index):
        try:
            barrier.wait(timeout=30)
            assert session.auto_populate is True
            assert session.record_operations is True
            with session.auto_populating(index % 2 == 0):
                names = []
                for number in range(5):
                    shot = session.create(
                        "Shot", {"name": "w{0}_{1}".format(index, number), "parent": sequence}
                    )
                    names.append(shot["id"])
                session.commit()
                created[index] = names
                for shot_id in names:
                    shot = session.get("Shot", shot_id)
                    assert shot["name"].startswith("w{0}_".format(index))
                with session.auto_populating(True):
                    loaded = session.query(
                        'select id from Shot where parent_id is "{0}"'.format(sequence["id"])
                    ).all()
                    assert all(item["parent"] is sequence for item in loaded)
                    assert sequence["name"] == "sq010"
                assert session.auto_populate is (index % 2 == 0)
            assert session.auto_populate is True
        except Exception as error:  # pragma: no cover - reported below
            errors.append((index, repr(error)))

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(created) == 8
    assert session.auto_populate is True and session.record_operations is True
    assert len(session.recorded_operations) == 0
    fresh = new_session()
    shots = fresh.query('select name from Shot where parent_id is "{0}"'.format(sequence["id"])).all()
    assert sorted(shot["name"] for shot in shots) == sorted(
        "w{0}_{1}".format(i, n) for i in range(8) for n in range(5)
    )
    ids = [shot_id for names in created.values() for shot_id in names]
    assert len(set(ids)) == 40
    assert all(session.get("Shot", shot_id) is not None for shot_id in ids)
