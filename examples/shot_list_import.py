"""Import a shot list (CSV) into a project: sequences, shots, frame ranges and tasks.

The kind of script an production coordinator runs at the start of a show::

    python shot_list_import.py PROJECT_NAME shots.csv

The CSV has the columns ``sequence,shot,fstart,fend,description`` (a header line).
Running it again is safe: existing sequences and shots are reused (``session.ensure``)
and only their frame ranges and descriptions are updated. Every shot gets the tasks in
``TASKS``. Frame ranges are stored in the shots' ``fstart``/``fend`` custom attributes,
which are created on first use.
"""
from __future__ import annotations

import argparse
import csv
import sys
from typing import Dict, Iterable, List

import ftrack_api

TASKS = ("Compositing", "Lighting", "Animation")


def ensure_frame_attributes(session: ftrack_api.Session) -> None:
    """Create shot-level ``fstart``/``fend`` number attributes if shots have none yet."""
    shot_type = session.query('ObjectType where name is "Shot"').one()
    existing = {
        configuration["key"]
        for configuration in session.query(
            "select key from CustomAttributeConfiguration "
            'where key in ("fstart", "fend") and entity_type is "task" '
            f'and (object_type_id is "{shot_type["id"]}" or is_hierarchical is true)'
        )
    }
    number = session.query('CustomAttributeType where name is "number"').one()
    for key, label in (("fstart", "Frame start"), ("fend", "Frame end")):
        if key not in existing:
            session.create(
                "CustomAttributeConfiguration",
                {
                    "key": key,
                    "label": label,
                    "type": number,
                    "entity_type": "task",
                    "object_type": shot_type,
                    "config": '{"isdecimal": false}',
                    "default": 0,
                },
            )
    session.commit()


def read_rows(path: str) -> List[Dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    required = {"sequence", "shot", "fstart", "fend"}
    for number, row in enumerate(rows, start=2):
        missing = sorted(name for name in required if not (row.get(name) or "").strip())
        if missing:
            raise ValueError(f"{path}:{number}: missing {', '.join(missing)}")
    return rows


def import_shots(session: ftrack_api.Session, project_name: str, rows: Iterable[Dict[str, str]]) -> int:
    project = session.query(f'Project where name is "{project_name}"').first()
    if project is None:
        schema = session.query("ProjectSchema").first()
        project = session.create(
            "Project",
            {"name": project_name, "full_name": project_name, "project_schema": schema},
        )
        session.commit()
    ensure_frame_attributes(session)
    task_types = {
        task_type["name"]: task_type for task_type in session.query("select name from Type")
    }

    count = 0
    for row in rows:
        sequence = session.ensure(
            "Sequence", {"name": row["sequence"].strip(), "parent_id": project["id"]}
        )
        shot = session.ensure("Shot", {"name": row["shot"].strip(), "parent_id": sequence["id"]})
        shot["description"] = (row.get("description") or "").strip()
        shot["custom_attributes"]["fstart"] = int(row["fstart"])
        shot["custom_attributes"]["fend"] = int(row["fend"])
        existing = {child["name"] for child in shot["children"]}
        for name in TASKS:
            if name.lower() not in existing:
                session.create(
                    "Task", {"name": name.lower(), "parent": shot, "type": task_types[name]}
                )
        count += 1
    session.commit()
    return count


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", help="project name (created when missing)")
    parser.add_argument("csv", help="shot list with sequence,shot,fstart,fend,description")
    args = parser.parse_args(argv)
    try:
        rows = read_rows(args.csv)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    with ftrack_api.Session() as session:
        count = import_shots(session, args.project, rows)
    print(f"Imported {count} shot(s) into {args.project}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
