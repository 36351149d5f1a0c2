"""Seed data written into a fresh database (for any schema set).

Fixed ids (documented for tests and docs):

Object types (ftrack's fixed ids): Task ``11c137c0-ee7e-4f9c-91c5-8c77cec22b2c``, Shot
``bad911de-3bd6-47b9-8b46-3476e237cb36``, Sequence ``e5139355-61da-4c8f-9db4-3abc870166bc``,
Episode ``22139355-61da-4c8f-9db4-3abc870166bc``, Folder
``3c133785-51cb-11e3-980a-20c9d0831e59``, AssetBuild ``4be63b64-5010-42fb-bf1f-428af9d638f0``,
Milestone ``01decdd1-51cb-11e3-9d5b-20c9d0831e59``.

Locations: ``ftrack.origin`` ``ce9b348f-8809-11e3-821c-20c9d081909b``, ``ftrack.unmanaged``
``cb268ecc-8809-11e3-a7e2-20c9d081909b``, ``ftrack.review``
``cd41be70-8809-11e3-b98a-20c9d081909b``, ``ftrack.connect``
``07b82a97-8cf9-11e3-9383-20c9d081909b``, ``ftrack.server``
``3a372bde-05bc-11e4-8908-20c9d081909b``.

Priorities: ``Medium`` (default) ``9661b320-3a0c-11e2-81c1-0800200c9a66``; ``Low``, ``High``,
``Urgent`` and every other seeded row get ``uuid5(SEED_NAMESPACE, "<Type>:<name>")`` ids, see
:func:`seed_id` (e.g. ``seed_id("Status", "In Progress")``).

States: Not started (NOT_STARTED), In progress (IN_PROGRESS), Done (DONE), Blocked (BLOCKED).
Statuses (sort order): Not started, Ready to start, In Progress, On Hold, Pending Review,
Approved, Completed, Omitted.
Task types: Generic, Animation, Compositing, Modeling, Lighting, Rigging, Texture, FX,
Layout, Tracking, Editing, Rotoscoping, Matte Painting, Production, Character, Environment,
Prop.
Asset types: Geometry (geo), Image Sequence (img), Upload (upload), Audio (audio),
Animation (anim), Camera (cam), Rig (rig), Texture (texture), Scene (scene), Comp (comp).
Note categories: Default, External, Internal, Client feedback. List categories: Default, Dailies.
Custom attribute types: text, number, boolean, date, enumerator, dynamic enumerator,
expression, url, notificationtype.
Security roles (name and type): Administrator, Project Manager and User (``PROJECT``), API
(``API``), Assigned (``ASSIGNED``).
Project schema ``VFX Scheme`` (id ``seed_id("ProjectSchema", "VFX Scheme")``): task workflow
``VFX Task Workflow`` (all statuses), version workflow ``VFX Version Workflow`` (Pending Review,
Approved, Not started, In Progress, On Hold, Omitted), task type schema ``VFX Task Types``
(every task type); object type schemas (``Schema`` rows) for Shot, Sequence, Episode, Folder,
AssetBuild and Milestone with their statuses (``SchemaStatus``) and types (``SchemaType``).
User type ``ac9fa5aa-4361-11e0-b7cc-0019bb4983d8``; the API user is a ``User`` with id
``seed_id("User", <username>)``.

Examples of the resulting ids: ProjectSchema ``VFX Scheme``
``d16c9bc5-0d1b-5585-b30a-b2d503c94150``; Status ``Not started``
``c5d17fca-a4bb-59a8-b8a2-cdb8d14dd346``, ``In Progress``
``77b3f20f-54c1-58d1-9e03-8177cbcd3857``; Type ``Generic``
``7cae6767-42fa-53bb-8af7-731e29f190b9``, ``Animation``
``8d4d6072-7562-5891-812c-84116af1676f``; User ``admin``
``ef5a6a3d-10b5-5441-8d6f-13d4177a37d4``.
"""
from __future__ import annotations

import uuid
from typing import Any, Dict, List

from ._database import Database
from ._reads import key_of
from ._schema import SchemaSet
from ._schemas_default import DEFAULT_PRIORITY_ID, OBJECT_TYPE_IDS

SEED_NAMESPACE = uuid.UUID("0f6f3a52-3e3c-4c1e-9d0e-6f70656e6674")

LOCATIONS = {
    "ftrack.origin": "ce9b348f-8809-11e3-821c-20c9d081909b",
    "ftrack.unmanaged": "cb268ecc-8809-11e3-a7e2-20c9d081909b",
    "ftrack.review": "cd41be70-8809-11e3-b98a-20c9d081909b",
    "ftrack.connect": "07b82a97-8cf9-11e3-9383-20c9d081909b",
    "ftrack.server": "3a372bde-05bc-11e4-8908-20c9d081909b",
}
USER_TYPE_ID = "ac9fa5aa-4361-11e0-b7cc-0019bb4983d8"
STATES = [("Not started", "NOT_STARTED"), ("In progress", "IN_PROGRESS"), ("Done", "DONE"),
          ("Blocked", "BLOCKED")]
STATUSES = [("Not started", "Not started", "#CCCCCC"), ("Ready to start", "Not started", "#8F9AC8"),
            ("In Progress", "In progress", "#FF9933"), ("On Hold", "Blocked", "#E74C3C"),
            ("Pending Review", "In progress", "#FFCC00"), ("Approved", "Done", "#1CBC90"),
            ("Completed", "Done", "#2ECC71"), ("Omitted", "Done", "#7F8C8D")]
TASK_TYPES = ["Generic", "Animation", "Compositing", "Modeling", "Lighting", "Rigging", "Texture",
              "FX", "Layout", "Tracking", "Editing", "Rotoscoping", "Matte Painting", "Production",
              "Character", "Environment", "Prop"]
ASSET_TYPES = [("Geometry", "geo"), ("Image Sequence", "img"), ("Upload", "upload"),
               ("Audio", "audio"), ("Animation", "anim"), ("Camera", "cam"), ("Rig", "rig"),
               ("Texture", "texture"), ("Scene", "scene"), ("Comp", "comp")]
PRIORITIES = [("Low", 1), ("Medium", 2), ("High", 3), ("Urgent", 4)]
SECURITY_ROLES = [("Administrator", "PROJECT"), ("Project Manager", "PROJECT"),
                  ("User", "PROJECT"), ("API", "API"), ("Assigned", "ASSIGNED")]
CA_TYPES = ["text", "number", "boolean", "date", "enumerator", "dynamic enumerator",
            "expression", "url", "notificationtype"]


def seed_id(type_id: str, name: str) -> str:
    """Deterministic id of a seeded row."""
    return str(uuid.uuid5(SEED_NAMESPACE, f"{type_id}:{name}"))


class _Seeder:
    def __init__(self, db: Database, schema: SchemaSet) -> None:
        self.db = db
        self.schema = schema

    def add(self, type_id: str, data: Dict[str, Any]) -> None:
        t = self.schema.types.get(type_id)
        if t is None:
            return
        fks = {self.schema.foreign_key(t, a.name) for a in t.attributes.values()
               if a.kind == "reference"}
        row = {k: v for k, v in data.items() if k in t.attributes or k in fks}
        for name, attr in t.attributes.items():
            if attr.kind == "scalar" and name not in row and attr.has_default \
                    and attr.default != "{uid}":
                row[name] = attr.default
        key = key_of(t, row)
        if key is None or self.db.get(t.family, key) is not None:
            return
        self.db.insert(t.family, key, t.id, row)


def seed(db: Database, schema: SchemaSet, api_user: str) -> None:
    s = _Seeder(db, schema)
    for index, (name, object_type_id) in enumerate(OBJECT_TYPE_IDS.items()):
        # ftrack names the AssetBuild object type "Asset Build".
        label = "Asset Build" if name == "AssetBuild" else name
        s.add("ObjectType", {"id": object_type_id, "name": label, "sort": index,
                             "is_leaf": name in ("Task", "Milestone"),
                             "is_taskable": name not in ("Task", "Milestone"),
                             "is_schedulable": name in ("Task", "Milestone"),
                             "is_time_reportable": name == "Task",
                             "is_typeable": name in ("Task", "Milestone", "AssetBuild"),
                             "is_statusable": True, "icon": name.lower()})
    for name, short in STATES:
        s.add("State", {"id": seed_id("State", name), "name": name, "short": short})
    for index, (name, state, color) in enumerate(STATUSES):
        s.add("Status", {"id": seed_id("Status", name), "name": name, "sort": index,
                         "color": color, "is_active": True, "state_id": seed_id("State", state)})
    for index, name in enumerate(TASK_TYPES):
        s.add("Type", {"id": seed_id("Type", name), "name": name, "sort": index,
                       "color": "#510100", "is_billable": True})
    for name, value in PRIORITIES:
        pid = DEFAULT_PRIORITY_ID if name == "Medium" else seed_id("Priority", name)
        s.add("Priority", {"id": pid, "name": name, "sort": value, "value": value,
                           "color": "#FFFFFF"})
    for name, short in ASSET_TYPES:
        s.add("AssetType", {"id": seed_id("AssetType", name), "name": name, "short": short,
                            "component": "main"})
    for index, name in enumerate(["Default", "External", "Internal", "Client feedback"]):
        s.add("NoteCategory", {"id": seed_id("NoteCategory", name), "name": name, "sort": index,
                               "color": "#4DA6FF"})
    for name in ("Default", "Dailies"):
        s.add("ListCategory", {"id": seed_id("ListCategory", name), "name": name})
    for name in CA_TYPES:
        s.add("CustomAttributeType", {"id": seed_id("CustomAttributeType", name), "name": name,
                                      "core": True})
    for name, role_type in SECURITY_ROLES:
        s.add("SecurityRole", {"id": seed_id("SecurityRole", name), "name": name,
                               "type": role_type})
    for name, location_id in LOCATIONS.items():
        s.add("Location", {"id": location_id, "name": name, "label": name.split(".")[1].title(),
                           "description": f"Built-in location {name}."})
    s.add("UserType", {"id": USER_TYPE_ID, "name": "user"})
    _seed_project_schema(s)
    add_user(db, schema, api_user)


def _seed_project_schema(s: _Seeder) -> None:
    task_wf = seed_id("WorkflowSchema", "VFX Task Workflow")
    version_wf = seed_id("WorkflowSchema", "VFX Version Workflow")
    type_schema = seed_id("TaskTypeSchema", "VFX Task Types")
    ps = seed_id("ProjectSchema", "VFX Scheme")
    s.add("WorkflowSchema", {"id": task_wf, "name": "VFX Task Workflow"})
    s.add("WorkflowSchema", {"id": version_wf, "name": "VFX Version Workflow"})
    for name, _state, _color in STATUSES:
        s.add("WorkflowSchemaStatus", {"workflow_schema_id": task_wf,
                                       "status_id": seed_id("Status", name)})
    for name in ("Pending Review", "Approved", "Not started", "In Progress", "On Hold", "Omitted"):
        s.add("WorkflowSchemaStatus", {"workflow_schema_id": version_wf,
                                       "status_id": seed_id("Status", name)})
    s.add("TaskTypeSchema", {"id": type_schema, "name": "VFX Task Types"})
    for name in TASK_TYPES:
        s.add("TaskTypeSchemaType", {"task_type_schema_id": type_schema,
                                     "type_id": seed_id("Type", name)})
    s.add("ProjectSchema", {"id": ps, "name": "VFX Scheme", "task_workflow_schema_id": task_wf,
                            "asset_version_workflow_schema_id": version_wf,
                            "task_type_schema_id": type_schema})
    for name, object_type_id in OBJECT_TYPE_IDS.items():
        s.add("ProjectSchemaObjectType", {"object_type_id": object_type_id,
                                          "project_schema_id": ps})
        if name == "Task":
            continue
        schema_id = seed_id("Schema", name)
        s.add("Schema", {"id": schema_id, "project_schema_id": ps,
                         "object_type_id": object_type_id, "type_id": object_type_id})
        for index, status in enumerate(("Not started", "In Progress", "On Hold", "Completed",
                                        "Omitted")):
            s.add("SchemaStatus", {"schema_id": schema_id, "status_id": seed_id("Status", status),
                                   "sort": index})
        s.add("SchemaType", {"schema_id": schema_id, "type_id": seed_id("Type", "Generic"),
                             "sort": 0})


def add_user(db: Database, schema: SchemaSet, username: str) -> str:
    """Create the User (and Resource) row for an API user; return its id."""
    user_id = seed_id("User", username)
    _Seeder(db, schema).add("User", {
        "id": user_id, "username": username, "first_name": username, "last_name": "",
        "email": f"{username}@localhost", "is_active": True, "resource_type": "user",
        "user_type_id": USER_TYPE_ID, "is_otp_enabled": False, "is_totp_enabled": False,
        "require_details_update": False,
    })
    return user_id


def user_id_for(db: Database, schema: SchemaSet, username: str) -> Any:
    t = schema.types.get("User")
    if t is None:
        return None
    rows: List[Any] = db.find(t.family, {"username": username}, [t.id])
    return rows[0][1] if rows else None
