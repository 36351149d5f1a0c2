"""A small production-tracking job, written the way a studio pipeline script is.

It builds a shot in one session::

    Project -> Sequence -> Shot -> Task (type, status, priority)
                               \-> Asset -> two AssetVersions with comments
    plus a Note on the task,

then moves the task to "In Progress", and finally reads everything back through a
*fresh* Session and prints a report.

The script only uses the public ``ftrack_api`` API and the standard ``FTRACK_SERVER``,
``FTRACK_API_USER`` and ``FTRACK_API_KEY`` environment variables, so it runs unchanged
against a real ftrack server, against the local server started by
``python -m ftrack_api.testing serve``, or through ``python -m ftrack_api.testing demo``.
"""
from __future__ import annotations

import datetime
import sys

import ftrack_api


def pick_by_name(entities, *wanted):
    """Return the first entity whose name matches one of *wanted* (case-insensitive)."""
    by_name = {entity["name"].lower(): entity for entity in entities}
    for name in wanted:
        if name.lower() in by_name:
            return by_name[name.lower()]
    raise LookupError(
        f"None of {wanted!r} exists on this server; found {sorted(by_name)!r}."
    )


def build_shot(session: ftrack_api.Session, project_name: str) -> dict:
    """Create the project structure and return the ids of what was made."""
    project_schema = session.query("ProjectSchema").first()
    if project_schema is None:
        raise LookupError("The server has no project schema to create a project with.")

    project = session.create(
        "Project",
        {
            "name": project_name,
            "full_name": f"Demo project {project_name}",
            "project_schema": project_schema,
        },
    )
    sequence = session.create("Sequence", {"name": "sq010", "parent": project})
    shot = session.create(
        "Shot", {"name": "sh010", "parent": sequence, "description": "Opening shot"}
    )

    statuses = session.query("select name from Status").all()
    task_type = pick_by_name(session.query("select name from Type").all(), "Compositing")
    priority = session.query("select name, sort from Priority order by sort").first()
    task = session.create(
        "Task",
        {
            "name": "compositing",
            "parent": shot,
            "type": task_type,
            "status": pick_by_name(statuses, "Not started"),
            "priority": priority,
        },
    )

    asset_type = session.query("select name from AssetType").first()
    asset = session.create(
        "Asset", {"name": "sh010_comp", "type": asset_type, "parent": shot}
    )
    for number, comment in ((1, "First comp pass"), (2, "Fixed the edge matte on frame 1012")):
        session.create(
            "AssetVersion",
            {"asset": asset, "version": number, "comment": comment, "task": task},
        )

    author = session.query(f'User where username is "{session.api_user}"').one()
    task.create_note("Please check the edges around frame 1012.", author=author)
    session.commit()

    # Work starts on the task: change its status in a second commit.
    task["status"] = pick_by_name(statuses, "In Progress")
    session.commit()
    return {"project": project["id"], "task": task["id"]}


def report(session: ftrack_api.Session, ids: dict) -> str:
    """Read everything back and return a readable report."""
    project = session.get("Project", ids["project"])
    lines = [f"Project {project['name']!r} ({project['full_name']})"]
    sequences = session.query(
        f'select name from Sequence where project_id is "{project["id"]}"'
    ).all()
    for sequence in sequences:
        lines.append(f"  Sequence {sequence['name']}")
        for shot in session.query(
            f'select name, description from Shot where parent_id is "{sequence["id"]}"'
        ):
            lines.append(f"    Shot {shot['name']}: {shot['description']}")
            for task in session.query(
                "select name, type.name, status.name, priority.name from Task "
                f'where parent_id is "{shot["id"]}"'
            ):
                lines.append(
                    f"      Task {task['name']} [{task['type']['name']}] "
                    f"status={task['status']['name']} priority={task['priority']['name']}"
                )
                for note in session.query(
                    f'select content, author.username from Note where parent_id is "{task["id"]}"'
                ):
                    lines.append(
                        f"        Note by {note['author']['username']}: {note['content']}"
                    )
            for asset in session.query(
                f'select name, type.name from Asset where parent.id is "{shot["id"]}"'
            ):
                lines.append(f"      Asset {asset['name']} ({asset['type']['name']})")
                for version in session.query(
                    "select version, comment, task.name from AssetVersion "
                    f'where asset_id is "{asset["id"]}" order by version'
                ):
                    lines.append(
                        f"        v{version['version']:03d} ({version['task']['name']}): "
                        f"{version['comment']}"
                    )
    return "\n".join(lines)


def main() -> int:
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d_%H%M%S_%f")
    with ftrack_api.Session() as session:
        ids = build_shot(session, f"demo_{stamp}")

    # A fresh session: nothing comes from the first session's cache.
    with ftrack_api.Session() as session:
        text = report(session, ids)
        task = session.get("Task", ids["task"])
        if task["status"]["name"].lower() != "in progress":
            print(f"Unexpected task status {task['status']['name']!r}", file=sys.stderr)
            return 1
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
