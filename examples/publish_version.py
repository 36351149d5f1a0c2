"""Publish a file as the next version of an asset on a task.

What a DCC "publish" button does::

    python publish_version.py PROJECT SHOT TASK FILE [--asset NAME] [--comment TEXT]

It finds the task, reuses or creates the asset, creates the next ``AssetVersion``,
uploads the file as its ``main`` component to the ``ftrack.server`` location, records who published it in the version's
metadata, sets the version to "Pending Review", and prints where the file lives.
"""
from __future__ import annotations

import argparse
import getpass
import os
import socket
import sys
from typing import List, Optional

import ftrack_api


def find_task(session: ftrack_api.Session, project: str, shot: str, task: str):
    result = session.query(
        "select id, name, parent.name, project.name from Task "
        f'where project.name is "{project}" and parent.name is "{shot}" and name is "{task}"'
    ).first()
    if result is None:
        raise LookupError(f"No task {task!r} on shot {shot!r} in project {project!r}.")
    return result


def publish(
    session: ftrack_api.Session,
    task,
    path: str,
    asset_name: Optional[str] = None,
    comment: str = "",
):
    shot = task["parent"]
    asset_type = session.query('AssetType where short is "comp"').first() or session.query(
        "AssetType"
    ).first()
    asset = session.ensure(
        "Asset",
        {"name": asset_name or f"{shot['name']}_{task['name']}", "context_id": shot["id"]},
    )
    if not asset["type"]:
        asset["type"] = asset_type

    latest = session.query(
        f'select version from AssetVersion where asset_id is "{asset["id"]}" '
        "order by version descending"
    ).first()
    version = session.create(
        "AssetVersion",
        {
            "asset": asset,
            "task": task,
            "version": (latest["version"] if latest else 0) + 1,
            "comment": comment,
        },
    )
    review = session.query('Status where name is "Pending Review"').first()
    if review is not None:
        version["status"] = review
    version["metadata"]["published_by"] = getpass.getuser()
    version["metadata"]["host"] = socket.gethostname()
    session.commit()

    server_location = session.query('Location where name is "ftrack.server"').one()
    component = version.create_component(path, {"name": "main"}, location=server_location)
    session.commit()
    return version, component, server_location


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project")
    parser.add_argument("shot")
    parser.add_argument("task")
    parser.add_argument("file")
    parser.add_argument("--asset", help="asset name (default: <shot>_<task>)")
    parser.add_argument("--comment", default="", help="version comment")
    args = parser.parse_args(argv)
    if not os.path.isfile(args.file):
        print(f"error: {args.file} is not a file.", file=sys.stderr)
        return 2

    with ftrack_api.Session() as session:
        try:
            task = find_task(session, args.project, args.shot, args.task)
        except LookupError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        version, component, location = publish(session, task, args.file, args.asset, args.comment)
        print(
            f"Published {version['asset']['name']} v{version['version']:03d} "
            f"({component['size']} bytes) to {location['name']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
