"""One of several OFFICIAL-client processes committing at the same time.

Usage: ``official_worker.py <shot id> <worker index> <commits>``. The worker creates one
Task per commit under the shot, then renames all of its tasks in one more commit, and
prints ``{"created": [...ids], "errors": [...]}`` as JSON.
"""
from __future__ import annotations

import json
import sys

import ftrack_api


def main():
    shot_id, index, commits = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    session = ftrack_api.Session(auto_connect_event_hub=False)
    errors = []
    created = []
    shot = session.get("Shot", shot_id)
    kind = session.query('Type where name is "Generic"').one()
    for number in range(commits):
        task = session.create("Task", {"name": "w{0}_{1:02d}".format(index, number),
                                       "parent": shot, "type": kind})
        try:
            session.commit()
            created.append(task["id"])
        except Exception as error:  # noqa: BLE001 - reported
            errors.append("{0}: {1}".format(type(error).__name__, error))
            session.rollback()
    for task_id in created:
        task = session.get("Task", task_id)
        task["description"] = "worker {0}".format(index)
    try:
        session.commit()
    except Exception as error:  # noqa: BLE001 - reported
        errors.append("{0}: {1}".format(type(error).__name__, error))
    session.close()
    sys.stdout.write(json.dumps({"created": created, "errors": errors}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
