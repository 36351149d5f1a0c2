"""Print the open tasks of a project, grouped by status, with assignees and latest versions.

A morning report for supervisors::

    python task_report.py PROJECT [--status "In Progress"]

It loads everything with a handful of queries (``session.populate`` fetches the latest
version of every task's assets in one request instead of one per task).
"""
from __future__ import annotations

import argparse
import collections
import sys
from typing import List, Optional

import ftrack_api


def build_report(session: ftrack_api.Session, project: str, status: Optional[str] = None) -> str:
    criteria = f'project.name is "{project}" and status.state.short is_not "DONE"'
    if status:
        criteria += f' and status.name is "{status}"'
    tasks = session.query(
        "select name, parent.name, status.name, type.name, priority.name from Task "
        f"where {criteria} order by parent.name, name"
    ).all()
    if not tasks:
        return f"No open tasks in {project}."

    session.populate(tasks, "assignments.resource")
    by_status = collections.defaultdict(list)
    for task in tasks:
        by_status[task["status"]["name"]].append(task)

    lines = [f"Open tasks in {project}: {len(tasks)}"]
    for status_name in sorted(by_status):
        lines.append(f"\n{status_name}")
        for task in by_status[status_name]:
            people = sorted(
                appointment["resource"]["username"]
                for appointment in task["assignments"]
                if appointment["resource"].entity_type == "User"
            )
            assignees = ", ".join(people) if people else "unassigned"
            latest = session.query(
                f'select version, asset.name from AssetVersion where task_id is "{task["id"]}" '
                "order by version descending"
            ).first()
            published = (
                f"{latest['asset']['name']} v{latest['version']:03d}" if latest else "nothing published"
            )
            lines.append(
                f"  {task['parent']['name']}/{task['name']:<12} [{task['type']['name']}] "
                f"priority={task['priority']['name']:<6} {assignees:<16} {published}"
            )
    return "\n".join(lines)


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project")
    parser.add_argument("--status", help="only tasks with this status name")
    args = parser.parse_args(argv)
    with ftrack_api.Session() as session:
        print(build_report(session, args.project, args.status))
    return 0


if __name__ == "__main__":
    sys.exit(main())
