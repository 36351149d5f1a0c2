"""Create, update and delete with ftrack's server-side rules.

Server-filled values, validation (unknown / immutable / computed attributes, value
types, required values), collection updates and cascading deletes live here.
"""
from __future__ import annotations

import json
import uuid
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import _values
from ._database import Database, Row, duplicate_message
from ._errors import DuplicateEntryError, IntegrityError, NotFoundError, ValidationError
from ._reads import Reader, key_from_values, key_of
from ._schema import Computed, EntityType, Inverse, Link, SchemaSet, internal_key

TASK_OBJECT_TYPE = "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c"
DEFAULT_PRIORITY = "9661b320-3a0c-11e2-81c1-0800200c9a66"
USER_TYPE_ID = "ac9fa5aa-4361-11e0-b7cc-0019bb4983d8"  # the seeded UserType (_seed.py)
#: Stored-record field holding the member keys of an unmodelled many-to-many collection.
STORED_MEMBERS_PREFIX = "__members__"
_SYSTEM_TYPES = {"FileComponent": "file", "SequenceComponent": "sequence",
                 "ContainerComponent": "container", "Component": "file"}

# Relations deleted together with their owner (besides custom attribute values,
# metadata and list memberships, which always follow their entity).
_CASCADE: Dict[str, Sequence[str]] = {
    "Context": ("children", "assets", "notes", "timelogs", "appointments", "managers",
                "incoming_links", "outgoing_links", "status_changes"),
    "Asset": ("versions",),
    "AssetVersion": ("notes", "incoming_links", "outgoing_links", "status_changes"),
    "Component": ("component_locations",),
    "Note": ("replies", "recipients", "note_components"),
    "Job": ("job_components",),
    "Group": ("memberships", "children"),
    "User": ("memberships",),
    "CustomAttributeConfiguration": ("values",),
    "Schema": ("statuses", "types"),
    "ReviewSession": ("review_session_objects", "review_session_invitees"),
}
# (owner type or None for any, dependant type, key column) deleted with their owner.
_DEPENDANTS = ((None, "CustomAttributeValue", "entity_id"), (None, "Metadata", "parent_id"),
               (None, "ListObject", "entity_id"), ("List", "ListObject", "list_id"),
               ("Resource", "Recipient", "resource_id"), ("User", "Membership", "user_id"),
               ("Resource", "Appointment", "resource_id"))
# Link types whose rows are removed with either end.
_LINK_TYPES = ("WorkflowSchemaStatus", "TaskTypeSchemaType", "ProjectSchemaObjectType",
               "SchemaStatus", "SchemaType", "AssetVersionLink", "TypedContextLink",
               "JobComponent", "NoteComponent")
# (type, attribute of another type referring to it) that make a delete be refused.
_REFUSE: Dict[str, Sequence[Tuple[str, str]]] = {
    "Status": (("TypedContext", "status_id"), ("AssetVersion", "status_id")),
    "Type": (("TypedContext", "type_id"),),
    "ObjectType": (("TypedContext", "object_type_id"),),
    "Priority": (("TypedContext", "priority_id"),),
    "ProjectSchema": (("Project", "project_schema_id"),),
    "AssetType": (("Asset", "type_id"),),
}


class Change:
    """One row change of a batch (for ``ftrack.update``).

    ``changes`` maps each attribute to ``(old, new)``. An ``add`` may instead give
    ``added``, a copy of the row as created: its ``(None, value)`` pairs are then only built
    if an event is published (most batches have no listener).
    """

    def __init__(self, action: str, type_id: str, key: str, data: Dict[str, Any],
                 changes: Optional[Dict[str, Tuple[Any, Any]]] = None,
                 added: Optional[Dict[str, Any]] = None) -> None:
        self.action = action
        self.type_id = type_id
        self.key = key
        self.data = data
        self._changes = changes
        self._added = added

    @property
    def changes(self) -> Dict[str, Tuple[Any, Any]]:
        if self._changes is None:
            self._changes = {n: (None, v) for n, v in (self._added or {}).items()}
        return self._changes


class Writer:
    def __init__(self, db: Database, schema: SchemaSet, reader: Reader, user_id: Optional[str]) -> None:
        self.db = db
        self.schema = schema
        self.reader = reader
        self.user_id = user_id
        self.changes: List[Change] = []
        self._choices: Dict[Tuple[Any, Any], Tuple[List[str], List[str]]] = {}
        self._link_cache: Dict[str, List[Tuple[EntityType, str]]] = {}
        self._project_memo: Dict[Any, Tuple[int, Row]] = {}

    # -- helpers -------------------------------------------------------------------------
    def _type(self, type_id: Any) -> EntityType:
        return self.schema.get(type_id)

    def _key(self, t: EntityType, entity_key: Any) -> str:
        if isinstance(entity_key, (str, int)) and not isinstance(entity_key, bool):
            entity_key = [entity_key]
        if (not isinstance(entity_key, list) or len(entity_key) != len(t.primary_key)
                or not all(isinstance(v, (str, int)) and not isinstance(v, bool)
                           for v in entity_key)):
            raise ValidationError(
                f"entity_key for {t.id} must be a list of {len(t.primary_key)} value(s) "
                f"({', '.join(t.primary_key)}), got {entity_key!r}."
            )
        return key_from_values(t, entity_key)

    def _ref_key(self, t: EntityType, name: str, value: Any) -> Optional[str]:
        if value is None:
            return None
        if isinstance(value, dict):
            target = self.schema.types.get(value.get("__entity_type__") or t.attributes[name].target)
            if target is None:
                raise ValidationError(f"Unknown entity type in reference {t.id}.{name}: {value!r}.")
            declared = self.schema.types.get(t.attributes[name].target or "")
            if declared is not None and target.family != declared.family:
                raise ValidationError(
                    f"Invalid value for {t.id}.{name}: expected a reference to {declared.id}, "
                    f"got {target.id}."
                )
            pk = target.primary_key[0]
            if value.get(pk) is None:
                raise ValidationError(f"Reference {t.id}.{name} lacks primary key {pk!r}.")
            return str(value[pk])
        raise ValidationError(f"Invalid value for {t.id}.{name}: expected an entity reference "
                              f"object, got {type(value).__name__} {value!r}.")

    def _get(self, t: EntityType, key: str) -> Row:
        row = self.db.get(t.family, key)
        if row is None or row[0] not in t.subtypes:
            raise NotFoundError(f"{t.id} with key {key!r} was not found.")
        return row

    # -- create --------------------------------------------------------------------------
    def create(self, type_id: Any, entity_data: Any, entity_key: Any = None) -> Dict[str, Any]:
        t = self._type(type_id)
        if not isinstance(entity_data, dict):
            raise ValidationError(f"entity_data for create {t.id} must be an object.")
        data = entity_data  # read only; _assign skips "__entity_type__"
        if entity_key is not None:
            # The key may be given only as entity_key (the Python client repeats it in data).
            values = entity_key if isinstance(entity_key, list) else [entity_key]
            if len(values) == len(t.primary_key):
                missing = [(name, value) for name, value in zip(t.primary_key, values)
                           if name not in data]
                if missing:
                    data = dict(data)
                    data.update(missing)
        t = self.schema.concrete_type(t, data)
        plan = _create_plan(self.schema, t)
        row: Dict[str, Any] = {}
        deferred: List[Tuple[str, Any]] = []
        self._assign(t, data, row, deferred, existing=None)
        for name, default in plan.defaults:
            if name not in row:
                row[name] = str(uuid.uuid4()) if default == "{uid}" else default
        for name, value in plan.classifiers:
            row.setdefault(name, value)
        for rule in plan.fills:
            rule(self, t, row)
        if not plan.computed.isdisjoint(row):
            for name in plan.computed:
                row.pop(name, None)
        for name in t.primary_key:
            if row.get(name) is None:
                attr = t.attributes.get(name)
                if attr is not None and attr.json_type == "integer":
                    row[name] = self._next_integer(t, name)
                elif name == "id" and len(t.primary_key) == 1:
                    row[name] = str(uuid.uuid4())  # an ``id`` without a ``{uid}`` default
        self._check_required(t, row)
        key = key_of(t, row)
        if key is None:
            raise ValidationError(f"Missing primary key for {t.id}.")
        if plan.timer:
            self._check_timer(t, key, row)
        if not self.db.insert_new(t.family, key, t.id, row):
            raise DuplicateEntryError(duplicate_message(t.id, key))
        # The change keeps the row as created: a copy only when collections are written
        # next (they can add to the row), else nothing changes the row any more.
        self.changes.append(Change("add", t.id, key, row, added=dict(row) if deferred else row))
        for name, value in deferred:
            self._set_collection(t, key, row, name, value)
        return {"action": "create", "data": self.reader.full_object(t.id, row)}

    def _check_timer(self, t: EntityType, key: str, row: Dict[str, Any]) -> None:
        if self.db.get(t.family, key) is not None:
            raise DuplicateEntryError(duplicate_message(t.id, key))
        if self.db.find(t.family, {"user_id": row.get("user_id")}):
            raise DuplicateEntryError("DuplicateEntryError: a timer is already running for user "
                                      f"{row.get('user_id')!r}.")
        if t.id == "Timer" and row.get("user_id") is not None \
                and self.db.find(t.family, {"user_id": row["user_id"]}, [t.id]):
            # ftrack keeps one running timer per user (User.start_timer relies on it).
            raise DuplicateEntryError("Duplicate entry: the user already has a running Timer.")

    def _assign(self, t: EntityType, data: Dict[str, Any], row: Dict[str, Any],
                deferred: List[Tuple[str, Any]], existing: Optional[Dict[str, Any]]) -> None:
        # Plain string attributes (most of a create's values, ids included) need no more
        # than a type check: worked out once per type.
        plain: Optional[frozenset] = t.__dict__.get("_plain_strings")
        if plain is None:
            plain = t.__dict__["_plain_strings"] = frozenset(
                name for name, attr in t.attributes.items()
                if attr.kind == "scalar" and attr.json_type == "string"
                and attr.format not in ("date-time", "date"))
        for name, value in data.items():
            if existing is None and type(value) is str and name in plain:
                row[name] = value
                continue
            attr = t.attributes.get(name)
            if attr is None:
                if name == "__entity_type__":
                    continue
                raise ValidationError(f"Entity type {t.id!r} has no attribute {name!r}.")
            if existing is not None and name in t.computed:
                raise ValidationError(f"Cannot set computed attribute {t.id}.{name}.")
            if attr.kind == "scalar":
                stored = _values.validate(t.id, name, attr.json_type, attr.format, value)
                target_name = name
            elif attr.kind == "reference":
                fk = self.schema.foreign_key(t, name)
                if fk is None:
                    if value is None:
                        continue
                    raise ValidationError(f"Relation {t.id}.{name} cannot be set directly.")
                # Targets are not checked for existence: clients legitimately reference
                # entities created later in the batch or in a later batch (sequence members).
                stored, target_name = self._ref_key(t, name, value), fk
            elif attr.kind in ("collection", "mapped"):
                deferred.append((name, value))
                continue
            else:
                continue
            if existing is not None:
                current = existing.get(target_name)
                if (name in t.immutable or target_name in t.immutable) and current is not None \
                        and current != stored:
                    raise ValidationError(
                        f"Cannot update immutable attribute {t.id}.{name}."
                    )
            row[target_name] = stored

    def _next_integer(self, t: EntityType, name: str) -> int:
        """Next value of an integer primary key (ftrack's ``Event.id``)."""
        found = self.db.conn.execute(
            f"SELECT MAX(CAST(json_extract(data, '$.{name}') AS INTEGER)) FROM entity "
            "WHERE fam = ?", (t.family,)).fetchone()[0]
        return int(found or 0) + 1

    def _check_required(self, t: EntityType, row: Dict[str, Any]) -> None:
        # (required name, stored column that must hold a value), worked out once per type.
        checks: Optional[List[Tuple[str, str]]] = t.__dict__.get("_required_columns")
        if checks is None:
            checks = []
            for name in t.required:
                attr = t.attributes.get(name)
                if attr is None or attr.kind in ("collection", "mapped", "opaque"):
                    continue
                if attr.kind == "reference":
                    fk = self.schema.foreign_key(t, name)
                    if fk is not None:
                        checks.append((name, fk))
                else:
                    checks.append((name, name))
            t.__dict__["_required_columns"] = checks
        get = row.get
        for _name, column in checks:
            if get(column) is None:
                missing = [name for name, column in checks if get(column) is None]
                raise ValidationError(
                    f"Missing required value(s) for {t.id}: {', '.join(sorted(missing))}."
                )

    @staticmethod
    def _mirror_aliases(t: EntityType, row: Dict[str, Any], changed: Sequence[str] = ()) -> None:
        """Attributes stored in one column (the real Schema.type_id and object_type_id
        both alias ``typeid``) are one value: a value set on one is the other's too."""
        for names in _alias_groups(t):
            source = None
            for name in names:  # a name just set wins, else the first one with a value
                if name in changed:
                    source = name
                    break
            else:
                for name in names:
                    if row.get(name) is not None:
                        source = name
                        break
            if source is not None:
                value = row[source]
                for name in names:
                    row[name] = value

    def _fill_typed_context(self, t: EntityType, row: Dict[str, Any]) -> None:
        row["context_type"] = "task"
        for name in ("bid", "sort"):
            if name in t.attributes and row.get(name) is None:
                row[name] = 0
        if row.get("priority_id") is None:
            row["priority_id"] = DEFAULT_PRIORITY
        project = self._project_of_parent(row.get("parent_id"))
        if project is not None:
            row["project_id"] = project[1]
        if project is not None and (row.get("status_id") is None or row.get("type_id") is None):
            statuses, types = self._schema_choices(project[2], row.get("object_type_id"))
            if row.get("status_id") is None and statuses:
                row["status_id"] = statuses[0]
            if row.get("type_id") is None and types:
                row["type_id"] = types[0]
        if row.get("type_id") is None and "type_id" in t.required:
            type_t = self.schema.types.get("Type")
            if type_t is not None and row.get("object_type_id") != TASK_OBJECT_TYPE:
                rows = self._sorted(self.db.find(type_t.family, {}))
                if rows:
                    row["type_id"] = rows[0]

    def _project_of_parent(self, parent_id: Any) -> Optional[Row]:
        if not parent_id:
            return None
        # Remembered while no existing row is updated or deleted (a batch of creates
        # under one parent looks it up once).
        memo = self._project_memo
        found = memo.get(parent_id)
        if found is not None and found[0] == self.db.row_writes:
            return found[1]
        project = self._find_project_of_parent(parent_id)
        if project is not None:
            memo[parent_id] = (self.db.row_writes, project)
        return project

    def _find_project_of_parent(self, parent_id: Any) -> Optional[Row]:
        ctx = self.schema.types["Context"]
        parent = self.db.get(ctx.family, parent_id)
        if parent is None:
            raise ValidationError(f"Parent {parent_id!r} does not exist.")
        if self.schema.is_a(parent[0], "Project"):
            return parent
        project_id = parent[2].get("project_id")
        return self.db.get(ctx.family, project_id) if project_id else None

    def _sorted(self, rows: List[Row]) -> List[str]:
        return [r[1] for r in sorted(rows, key=lambda r: (r[2].get("sort") or 0))]

    def _link_targets(self, through: str, source_fk: str, source: Any, target_fk: str,
                      target_type: str) -> List[str]:
        if through not in self.schema.types or not source:
            return []
        links = self.db.find(self.schema.types[through].family, {source_fk: source})
        ids = [l[2].get(target_fk) for l in links]
        targets = self.db.get_many(self.schema.types[target_type].family, ids)
        link_sort = {l[2].get(target_fk): l[2].get("sort") for l in links}
        # Link order (then the link's own sort) decides, as the workflow lists it.
        ordered = [(link_sort.get(i) or 0, n, i) for n, i in enumerate(ids) if i in targets]
        ordered.sort(key=lambda x: (x[0], x[1]))
        return [i for _s, _n, i in ordered]

    def _schema_choices(self, project: Dict[str, Any], object_type_id: Any) -> Tuple[List[str], List[str]]:
        # Cached per batch: a batch of 1,000 task creates asks the same question each time.
        cache_key = (project.get("project_schema_id"), object_type_id)
        if cache_key not in self._choices:
            self._choices[cache_key] = self._compute_schema_choices(project, object_type_id)
        return self._choices[cache_key]

    def _compute_schema_choices(self, project: Dict[str, Any],
                                object_type_id: Any) -> Tuple[List[str], List[str]]:
        ps_t = self.schema.types.get("ProjectSchema")
        ps = self.db.get(ps_t.family, project.get("project_schema_id") or "") if ps_t else None
        if ps is None:
            return [], []
        statuses: List[str] = []
        types: List[str] = []
        if object_type_id != TASK_OBJECT_TYPE and "Schema" in self.schema.types:
            for schema_row in self.db.find(self.schema.types["Schema"].family,
                                           {"project_schema_id": ps[1]}):
                if object_type_id in (schema_row[2].get("object_type_id"),
                                      schema_row[2].get("type_id")):
                    statuses = self._link_targets("SchemaStatus", "schema_id", schema_row[1],
                                                  "status_id", "Status")
                    types = self._link_targets("SchemaType", "schema_id", schema_row[1],
                                               "type_id", "Type")
                    break
        if not statuses:
            statuses = self._link_targets("WorkflowSchemaStatus", "workflow_schema_id",
                                          ps[2].get("task_workflow_schema_id"), "status_id",
                                          "Status")
        if not types and object_type_id == TASK_OBJECT_TYPE:
            types = self._link_targets("TaskTypeSchemaType", "task_type_schema_id",
                                       ps[2].get("task_type_schema_id"), "type_id", "Type")
        return statuses, types

    def _fill_version(self, t: EntityType, row: Dict[str, Any]) -> None:
        if row.get("version") is None and "version" in t.attributes:
            others = self.db.find(t.family, {"asset_id": row.get("asset_id")}) if row.get(
                "asset_id") else []
            row["version"] = max((o[2].get("version") or 0 for o in others), default=0) + 1
        if "date" in t.attributes and row.get("date") is None:
            row["date"] = _values.now()
        if "user_id" in t.attributes and row.get("user_id") is None:
            row["user_id"] = self.user_id
        if row.get("status_id") is None:
            statuses: List[str] = []
            asset_t = self.schema.types.get("Asset")
            asset = self.db.get(asset_t.family, row.get("asset_id") or "") if asset_t else None
            project = None
            if asset is not None and asset[2].get("context_id"):
                try:
                    project = self._project_of_parent(asset[2]["context_id"])
                except ValidationError:
                    project = None
            ps_t = self.schema.types.get("ProjectSchema")
            if project is not None and ps_t is not None:
                ps = self.db.get(ps_t.family, project[2].get("project_schema_id") or "")
                if ps is not None:
                    statuses = self._link_targets(
                        "WorkflowSchemaStatus", "workflow_schema_id",
                        ps[2].get("asset_version_workflow_schema_id"), "status_id", "Status")
            if not statuses and "Status" in self.schema.types:
                statuses = self._sorted(self.db.find(self.schema.types["Status"].family, {}))
            if statuses:
                row["status_id"] = statuses[0]

    # -- collections -------------------------------------------------------------------
    def _set_collection(self, t: EntityType, key: str, row: Dict[str, Any], name: str,
                        value: Any) -> None:
        attr = t.attributes[name]
        if value is None:
            value = []
        if attr.kind == "mapped" and isinstance(value, dict):
            return  # key/value form is written through the value entities.
        if not isinstance(value, list):
            raise ValidationError(f"Invalid value for {t.id}.{name}: expected a list of entity "
                                  f"references, got {type(value).__name__}.")
        target = self.schema.types.get(attr.target or "")
        if target is None or (attr.kind == "mapped" and attr.target.endswith("CustomAttributeValue")):
            return
        member_keys = []
        for item in value:
            if not isinstance(item, dict):
                raise ValidationError(f"Invalid member of {t.id}.{name}: {item!r}.")
            item_type = self.schema.types.get(item.get("__entity_type__") or target.id, target)
            member_keys.append(key_of(item_type, item))
        rel = self.schema.relation(t, name)
        if isinstance(rel, Inverse):
            for member_key in member_keys:
                member = self.db.get(target.family, member_key or "")
                if member is None:
                    raise ValidationError(f"Member {member_key!r} of {t.id}.{name} not found.")
                member_type = self.schema.types[member[0]]
                updated = dict(member[2])
                if updated.get(rel.fk) != key and rel.fk not in member_type.primary_key:
                    updated[rel.fk] = key
                if rel.fk == "parent_id" and "parent_type" in member_type.attributes \
                        and updated.get("parent_type") is None:
                    # A Note appended to task["notes"] learns what its parent is.
                    updated["parent_type"] = t.id
                if updated != member[2]:
                    self.db.replace(target.family, member_key, updated)
        elif isinstance(rel, Link):
            through = self.schema.types[rel.through]
            existing = self.db.find(through.family, {rel.source_fk: key})
            wanted = set(k for k in member_keys if k)
            have = set()
            for link in existing:
                if link[2].get(rel.target_fk) not in wanted:
                    self.db.delete(through.family, link[1])
                else:
                    have.add(link[2].get(rel.target_fk))
            for member_key in member_keys:
                if member_key and member_key not in have:
                    link_row = {rel.source_fk: key, rel.target_fk: member_key}
                    if "id" in through.attributes:
                        link_row["id"] = str(uuid.uuid4())
                    self.db.insert(through.family, key_of(through, link_row) or "", through.id,
                                   link_row)
        elif isinstance(rel, Computed):
            raise ValidationError(f"Cannot set computed attribute {t.id}.{name}.")
        elif rel is None:
            # A many-to-many relation without a link type in the schema (e.g. the real
            # CustomAttributeConfiguration.read_security_roles): the member keys are kept
            # with the owner (see Reader), instead of being dropped.
            for member_key in member_keys:
                if self.db.get(target.family, member_key or "") is None:
                    raise ValidationError(f"Member {member_key!r} of {t.id}.{name} not found.")
            stored = self.db.get(t.family, key)
            if stored is not None:
                owner = dict(stored[2])
                owner[STORED_MEMBERS_PREFIX + name] = member_keys
                row[STORED_MEMBERS_PREFIX + name] = member_keys
                self.db.replace(t.family, key, owner)

    # -- update --------------------------------------------------------------------------
    def update(self, type_id: Any, entity_key: Any, entity_data: Any) -> Dict[str, Any]:
        t = self._type(type_id)
        key = self._key(t, entity_key)
        if not isinstance(entity_data, dict):
            raise ValidationError(f"entity_data for update {t.id} must be an object.")
        data = {k: v for k, v in entity_data.items() if k != "__entity_type__"}
        row_found = self.db.get(t.family, key)
        if row_found is None and t.id.endswith("CustomAttributeValue"):
            values = entity_key if isinstance(entity_key, list) else [entity_key]
            created = dict(zip(t.primary_key, values))
            created.update(data)
            self._validate_custom_value(t, created)
            result = self.create(t.id, created)
            result["action"] = "update"
            return result
        if row_found is None or row_found[0] not in t.subtypes:
            raise NotFoundError(f"{t.id} with key {key!r} was not found.")
        rt = self.schema.types[row_found[0]]
        old = row_found[2]
        new = dict(old)
        deferred: List[Tuple[str, Any]] = []
        self._assign(rt, data, new, deferred, existing=old)
        self._mirror_aliases(rt, new, [n for n in data if n in rt.attributes])
        if rt.id.endswith("CustomAttributeValue"):
            self._validate_custom_value(rt, new)
        if self.schema.is_a(rt.id, "TypedContext") and new.get("parent_id") != old.get("parent_id"):
            self._reparent(rt, key, new)
        self._check_required(rt, new)
        new_key = key_of(rt, new) or key
        self.db.replace(rt.family, key, new, new_key)
        if rt.base is not None and rt.classifiers:
            # A changed classifier (e.g. object_type_id) changes the concrete type.
            base = self.schema.types[rt.base]
            concrete = self.schema.concrete_type(base, new)
            if concrete.id != rt.id and concrete.classifiers:
                self.db.set_type(rt.family, new_key, concrete.id)
                rt = concrete
        diff = {n: (old.get(n), v) for n, v in new.items() if old.get(n) != v}
        for name, value in deferred:
            self._set_collection(rt, new_key, new, name, value)
            diff.setdefault(name, (None, None))
        if diff:
            self.changes.append(Change("update", rt.id, new_key, new, diff))
        if "status_id" in diff:
            self._record_status_change(rt, new_key, old.get("status_id"), new.get("status_id"))
        result = self.reader.full_object(rt.id, new)
        for name, value in deferred:
            # The updated collection comes back too (as references): the official client
            # replaces its cached copy with it, a stale copy would otherwise stay.
            refs = self._collection_refs(rt, name, value)
            if refs is not None:
                result[name] = refs
        return {"action": "update", "data": result}

    def _collection_refs(self, t: EntityType, name: str, value: Any) -> Optional[List[Any]]:
        attr = t.attributes[name]
        target = self.schema.types.get(attr.target or "")
        if target is None or not isinstance(value, list) or (
                attr.kind == "mapped" and target.id.endswith("CustomAttributeValue")):
            return None
        refs = []
        for item in value:
            item_type = self.schema.types.get(item.get("__entity_type__") or target.id, target)
            row = self.db.get(item_type.family, key_of(item_type, item) or "")
            if row is not None:
                refs.append(self.reader.base_object(row[0], row[2]))
        return refs

    def _record_status_change(self, t: EntityType, key: str, old: Any, new: Any) -> None:
        """ftrack keeps a StatusChange row for each status change of a context or version."""
        for base, change_type in (("TypedContext", "TypedContextStatusChange"),
                                  ("AssetVersion", "AssetVersionStatusChange")):
            if self.schema.is_a(t.id, base):
                break
        else:
            return
        change_t = self.schema.types.get(change_type) or self.schema.types.get("StatusChange")
        if change_t is None:
            return
        row = {"id": str(uuid.uuid4()), "from_status_id": old, "status_id": new,
               "parent_id": key, "parent_type": t.id, "user_id": self.user_id,
               "date": _values.now()}
        row = {k: v for k, v in row.items() if k in change_t.attributes}
        self.db.insert(change_t.family, row["id"], change_t.id, row)

    def _reparent(self, t: EntityType, key: str, row: Dict[str, Any]) -> None:
        ctx = self.schema.types["Context"]
        cursor = row.get("parent_id")
        seen = set()
        while cursor and cursor not in seen:
            if cursor == key:
                raise ValidationError(f"Cannot move {t.id} {key!r} below itself.")
            seen.add(cursor)
            parent = self.db.get(ctx.family, cursor)
            cursor = parent[2].get("parent_id") if parent else None
        project = self._project_of_parent(row.get("parent_id"))
        project_id = project[1] if project else None
        row["project_id"] = project_id
        for member in self.reader._computed("descendants", key, row):
            if member[2].get("project_id") != project_id:
                updated = dict(member[2], project_id=project_id)
                self.db.replace(ctx.family, member[1], updated)

    def _validate_custom_value(self, t: EntityType, row: Dict[str, Any]) -> None:
        config_t = self.schema.types.get("CustomAttributeConfiguration")
        if config_t is None:
            return
        config = self.db.get(config_t.family, str(row.get("configuration_id")))
        if config is None:
            raise ValidationError(f"Custom attribute configuration {row.get('configuration_id')!r} "
                                  "does not exist.")
        if "key" in t.attributes:
            row["key"] = config[2].get("key")
        type_row = None
        if "CustomAttributeType" in self.schema.types and config[2].get("type_id"):
            type_row = self.db.get(self.schema.types["CustomAttributeType"].family,
                                   config[2]["type_id"])
        type_name = (type_row[2].get("name") if type_row else None) or ""
        value = row.get("value")
        if value is None:
            return
        checks = {
            "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "boolean": lambda v: isinstance(v, bool),
            "text": lambda v: isinstance(v, str),
            "date": lambda v: isinstance(v, (str, dict)),
            "enumerator": lambda v: isinstance(v, (list, str)),
        }
        check = checks.get(type_name)
        if check is not None and not check(value):
            raise ValidationError(
                f'Custom attribute value for "{config[2].get("key")}" must be of type '
                f'{type_name}. Got "{value}" of type {type(value).__name__}.'
            )
        if type_name == "date":
            # Stored (and so served) as a wire datetime: clients decode it to a datetime.
            row["value"] = {"__type__": "datetime",
                            "value": _values.normalise_datetime(value)}

    # -- delete --------------------------------------------------------------------------
    def delete(self, type_id: Any, entity_key: Any) -> Dict[str, Any]:
        t = self._type(type_id)
        key = self._key(t, entity_key)
        row = self._get(t, key)
        self._delete_row(row, set())
        return {"action": "delete", "data": True}

    def _delete_row(self, row: Row, seen: set) -> None:
        type_id, key, data = row
        t = self.schema.types[type_id]
        if (t.family, key) in seen:
            return
        seen.add((t.family, key))
        for base in self.schema.ancestors(type_id):
            for other_type, fk in _REFUSE.get(base, ()):
                other = self.schema.types.get(other_type)
                if other is not None and self.db.find(other.family, {fk: key}, other.subtypes):
                    raise IntegrityError(
                        f"Cannot delete {type_id} {key!r}: it is still used by {other_type}."
                    )
        self.db.delete(t.family, key)
        self.changes.append(Change("remove", type_id, key, data,
                                   {n: (v, None) for n, v in data.items()}))
        dependants: List[Row] = []
        for base in self.schema.ancestors(type_id):
            for name in _CASCADE.get(base, ()):
                if name not in t.attributes:
                    continue
                rel = self.schema.relation(t, name)
                target = self.schema.types.get(t.attributes[name].target or "")
                if target is None:
                    continue
                if isinstance(rel, Inverse):
                    dependants += [r for r in self.db.find(target.family, {rel.fk: key})
                                   if r[0] in target.subtypes]
        for owner, base, attr in _DEPENDANTS:
            other = self.schema.types.get(base)
            if (other is not None and attr in other.attributes
                    and (owner is None or self.schema.is_a(type_id, owner))):
                dependants += self.db.find(other.family, {attr: key})
        for other, name in self._link_columns(type_id):
            dependants += self.db.find(other.family, {name: key})
        for dependant in dependants:
            self._delete_row(dependant, seen)

    def _link_columns(self, type_id: str) -> List[Tuple[EntityType, str]]:
        """(link type, key column) pairs whose rows point at entities of ``type_id``."""
        cached = self._link_cache.get(type_id)
        if cached is not None:
            return cached
        ancestors = set(self.schema.ancestors(type_id))
        out: List[Tuple[EntityType, str]] = []
        for link_type in _LINK_TYPES:
            other = self.schema.types.get(link_type)
            if other is None:
                continue
            columns = {}
            for attr in other.attributes.values():
                fk = self.schema.foreign_key(other, attr.name) if attr.kind == "reference" else None
                if fk:
                    columns[fk] = attr.target
            for name, attr in other.attributes.items():
                # Key columns without a reference (e.g. WorkflowSchemaStatus.status_id).
                if attr.kind == "scalar" and name.endswith("_id") and name not in columns:
                    columns[name] = "".join(part.title() for part in name[:-3].split("_"))
            out += [(other, fk) for fk, target in columns.items() if target in ancestors]
        self._link_cache[type_id] = out
        return out

    # -- events --------------------------------------------------------------------------
    def event_entities(self) -> List[Dict[str, Any]]:
        """The ``data.entities`` of the ``ftrack.update`` event for this batch."""
        self._event_rows: Dict[str, Optional[Row]] = {}
        out = []
        for change in self.changes:
            t = self.schema.types[change.type_id]
            if t.id.endswith("CustomAttributeValue") and t.id != "CustomAttributeValue":
                entity = self._custom_attribute_event(t, change)
                if entity is not None:
                    out.append(entity)
                    continue
            internal = self.db.memo.get(("internal_keys", t.id))
            if internal is None:
                internal = self.db.memo[("internal_keys", t.id)] = {
                    name: internal_key(attr) for name, attr in t.attributes.items()}
            changes = {}
            for name, (old, new) in change.changes.items():
                changes[internal.get(name, name)] = {"old": old, "new": new}
            out.append(self._event_entity(t, change.key, change.data, change.action, changes))
        return out

    def _event_entity(self, t: EntityType, key: str, data: Dict[str, Any], action: str,
                      changes: Dict[str, Any]) -> Dict[str, Any]:
        entity_id: Any = key if len(t.primary_key) == 1 else json.loads(key)
        parent_id = data.get("parent_id") or data.get("context_id") or data.get("asset_id")
        parents = []
        if self.schema.is_a(t.id, "Context"):
            # The entity itself, then its ancestors up to the project.
            parents.append({"entityId": entity_id, "entityType": _entity_type_name(self.schema, t),
                            "entity_type": t.id, "parentId": data.get("parent_id")})
            ctx = self.schema.types["Context"]
            cursor, seen = data.get("parent_id"), {key}
            while cursor and cursor not in seen:
                seen.add(cursor)
                if cursor not in self._event_rows:
                    self._event_rows[cursor] = self.db.get(ctx.family, cursor)
                row = self._event_rows[cursor]
                if row is None:
                    break
                parents.append({"entityId": row[1],
                                "entityType": _entity_type_name(self.schema,
                                                                self.schema.types[row[0]]),
                                "entity_type": row[0], "parentId": row[2].get("parent_id")})
                cursor = row[2].get("parent_id")
        return {"entityId": entity_id, "entityType": _entity_type_name(self.schema, t),
                "entity_type": t.id, "action": action, "keys": sorted(changes),
                "changes": changes, "objectTypeId": data.get("object_type_id"),
                "parentId": parent_id, "parents": parents}

    def _custom_attribute_event(self, t: EntityType, change: Change) -> Optional[Dict[str, Any]]:
        """A custom attribute value change is reported on its owner, keyed by the key."""
        owner_type = self.schema.types.get(t.id[: -len("CustomAttributeValue")])
        entity_id = change.data.get("entity_id")
        if owner_type is None or not entity_id:
            return None
        owner = self.db.get(owner_type.family, str(entity_id))
        if owner is None:
            return None
        key = change.data.get("key") or change.data.get("configuration_id")
        old, new = change.changes.get("value", (None, change.data.get("value")))
        return self._event_entity(self.schema.types[owner[0]], owner[1], owner[2], "update",
                                  {str(key): {"old": old, "new": new}})


# -- what create() works out once per type ----------------------------------------------------
_FillRule = Callable[[Writer, EntityType, Dict[str, Any]], None]


class _CreatePlan:
    """The parts of a create that depend on the entity type only (the schema is fixed).

    Worked out on the first create of a type and kept on it: a batch of 1,000 Task
    creates then runs only the rules that apply to a Task, instead of testing every
    rule's conditions for each row.
    """

    __slots__ = ("defaults", "classifiers", "fills", "computed", "timer")

    def __init__(self, schema: SchemaSet, t: EntityType) -> None:
        self.defaults: Tuple[Tuple[str, Any], ...] = tuple(
            (name, attr.default) for name, attr in t.attributes.items()
            if attr.kind == "scalar" and attr.has_default)
        self.classifiers = tuple(t.classifiers.items())
        self.computed = frozenset(t.computed)
        self.timer = schema.is_a(t.id, "Timer")
        self.fills: Tuple[_FillRule, ...] = tuple(_fill_rules(schema, t))


def _create_plan(schema: SchemaSet, t: EntityType) -> _CreatePlan:
    plan: Optional[_CreatePlan] = t.__dict__.get("_create_plan")
    if plan is None:
        plan = t.__dict__["_create_plan"] = _CreatePlan(schema, t)
    return plan


def _alias_groups(t: EntityType) -> List[List[str]]:
    """Scalar attributes stored in one column (sharing an alias), two or more each."""
    shared: Optional[List[List[str]]] = t.__dict__.get("_alias_groups")
    if shared is None:  # computed once per type (the schema does not change)
        groups: Dict[str, List[str]] = {}
        for attr in t.attributes.values():
            if attr.kind == "scalar" and isinstance(attr.alias, str) and attr.alias:
                groups.setdefault(attr.alias, []).append(attr.name)
        shared = t.__dict__["_alias_groups"] = [names for names in groups.values()
                                                if len(names) >= 2]
    return shared


def _fill_rules(schema: SchemaSet, t: EntityType) -> List[_FillRule]:
    """The server-side fill rules that apply to new rows of ``t``, in the order they run."""
    bases = frozenset(schema.ancestors(t.id))
    attrs = t.attributes
    rules: List[_FillRule] = []
    if _alias_groups(t):
        rules.append(lambda w, t, row: Writer._mirror_aliases(t, row))
    if "created_at" in attrs:
        rules.append(_fill_now("created_at"))
    if "created_by_id" in attrs:
        rules.append(_fill_user("created_by_id"))
    if "Project" in bases:
        rules.append(_fill_project)
    elif "TypedContext" in bases:
        rules.append(Writer._fill_typed_context)
    elif "Context" in bases:
        rules.append(lambda w, t, row: row.setdefault("context_type", "task"))
    if "AssetVersion" in bases:
        rules.append(Writer._fill_version)
    if "Component" in bases:
        system_type = _SYSTEM_TYPES.get(t.id, "file")
        rules.append(lambda w, t, row: row.setdefault("system_type", system_type))
    if bases & {"Note", "Timelog", "Timer", "Job"} and "user_id" in attrs:
        rules.append(_fill_user("user_id"))
    if "Note" in bases:
        rules += [_fill_now(name) for name in ("date", "thread_activity") if name in attrs]
    if "Timer" in bases:
        rules.append(_fill_now("start"))
    if "Job" in bases and "created_at" in attrs:
        rules.append(_fill_now("created_at"))
    if "User" in bases:
        rules.append(_fill_constant("is_active", True))
        if "user_type_id" in attrs:
            rules.append(_fill_constant("user_type_id", USER_TYPE_ID))
        rules += [_fill_constant(name, False) for name in
                  ("is_otp_enabled", "is_totp_enabled", "require_details_update") if name in attrs]
    if "Group" in bases and "local" in attrs:
        rules.append(_fill_constant("local", False))
    if "Status" in bases:
        rules.append(_fill_constant("is_active", True))
    if "CustomConfigurationBase" in bases or t.id == "CustomAttributeConfiguration":
        rules.append(lambda w, t, row: row.setdefault("core", False))
        rules.append(_fill_constant("config", "{}"))
    if t.id.endswith("CustomAttributeValue") and "key" in attrs:
        rules.append(_fill_custom_attribute_key)
    if "List" in bases:
        if "date" in attrs:
            rules.append(_fill_now("date"))
        if "user_id" in attrs:
            rules.append(_fill_user("user_id"))
        rules.append(_fill_list_category)
    if t.id == "ReviewSessionObject":
        rules.append(lambda w, t, row: row.setdefault("sort_order", 0))
    if t.id == "ReviewSession":
        # The documented create (name, description, project) must be enough.
        rules += [_fill_now(name) for name in ("start_date", "end_date") if name in attrs]
    return rules


def _fill_now(name: str) -> _FillRule:
    def rule(w: Writer, t: EntityType, row: Dict[str, Any]) -> None:
        if row.get(name) is None:
            row[name] = _values.now()
    return rule


def _fill_user(name: str) -> _FillRule:
    def rule(w: Writer, t: EntityType, row: Dict[str, Any]) -> None:
        if row.get(name) is None:
            row[name] = w.user_id
    return rule


def _fill_constant(name: str, value: Any) -> _FillRule:
    def rule(w: Writer, t: EntityType, row: Dict[str, Any]) -> None:
        if row.get(name) is None:
            row[name] = value
    return rule


def _fill_project(w: Writer, t: EntityType, row: Dict[str, Any]) -> None:
    row.setdefault("context_type", "show")
    if row.get("status") is None and "status" in t.attributes:
        row["status"] = "active"
    if row.get("full_name") is None and "full_name" in t.attributes:
        row["full_name"] = row.get("name")


def _fill_custom_attribute_key(w: Writer, t: EntityType, row: Dict[str, Any]) -> None:
    if row.get("key") is None:
        config = w.db.get(w.schema.types.get("CustomAttributeConfiguration", t).family,
                          row.get("configuration_id") or "")
        if config is not None:
            row["key"] = config[2].get("key")


def _fill_list_category(w: Writer, t: EntityType, row: Dict[str, Any]) -> None:
    if row.get("category_id") is None and "ListCategory" in w.schema.types:
        cats = w.db.find(w.schema.types["ListCategory"].family, {})
        if cats:
            row["category_id"] = cats[0][1]


def _entity_type_name(schema: SchemaSet, t: EntityType) -> str:
    if schema.is_a(t.id, "Project"):
        return "show"
    if schema.is_a(t.id, "TypedContext"):
        return "task"
    alias = t.raw.get("alias_for")
    if isinstance(alias, dict):
        alias = alias.get("id")
    return (alias if isinstance(alias, str) else t.id).lower()
