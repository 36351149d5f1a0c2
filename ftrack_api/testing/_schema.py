"""Schema model of the local server: types, attributes, polymorphism and relations.

Relations are inferred from ftrack's naming conventions (``<name>_id`` columns and
inverse references) plus the small explicit tables below, so that any schema set
in ftrack's format works.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ._errors import ValidationError

# Base type -> subtypes that share its storage (beyond alias_for classifiers).
_EXPLICIT_BASES: Dict[str, Sequence[str]] = {
    "Context": ("Project", "TypedContext"),
    "Component": ("FileComponent", "SequenceComponent", "ContainerComponent"),
    "Resource": ("User", "Group"),
    "CustomConfigurationBase": ("CustomAttributeConfiguration", "CustomAttributeLinkConfiguration"),
}
# Base types whose subtypes are recognised by a name suffix.
_SUFFIX_BASES = ("CustomAttributeValue", "StatusChange", "CustomAttributeLink",
                 "CustomAttributeLinkFrom")

# (type or base type, reference attribute) -> local foreign key attribute.
_EXPLICIT_FK: Dict[Tuple[str, str], str] = {
    ("Note", "author"): "user_id",
    ("List", "owner"): "user_id",
    ("Recipient", "recipient"): "resource_id",
    ("Recipient", "user"): "resource_id",
    ("ProjectSchema", "_task_workflow"): "task_workflow_schema_id",
    ("ProjectSchema", "_version_workflow"): "asset_version_workflow_schema_id",
    ("ProjectSchema", "_task_type_schema"): "task_type_schema_id",
    ("Asset", "parent"): "context_id",
    ("SchemaStatus", "task_status"): "status_id",
    ("SchemaType", "task_type"): "type_id",
    ("ReviewSessionObject", "asset_version"): "version_id",
    ("ReviewSessionObjectStatus", "invitee"): "review_session_invitee_id",
}


@dataclass(frozen=True)
class Link:
    """A many-to-many relation through a link type."""

    through: str
    source_fk: str  # attribute of ``through`` holding the owner key
    target_fk: str  # attribute of ``through`` holding the member key


@dataclass(frozen=True)
class Inverse:
    """A one-to-many relation: members whose ``fk`` equals the owner key."""

    fk: str
    filters: Tuple[Tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Computed:
    """A relation the server computes (``ancestors``, ``descendants``...)."""

    name: str


_EXPLICIT_COLLECTIONS: Dict[Tuple[str, str], Any] = {
    ("WorkflowSchema", "statuses"): Link("WorkflowSchemaStatus", "workflow_schema_id", "status_id"),
    ("TaskTypeSchema", "types"): Link("TaskTypeSchemaType", "task_type_schema_id", "type_id"),
    ("Type", "task_type_schemas"): Link("TaskTypeSchemaType", "type_id", "task_type_schema_id"),
    ("ProjectSchema", "object_types"): Link("ProjectSchemaObjectType", "project_schema_id",
                                            "object_type_id"),
    ("ObjectType", "project_schemas"): Link("ProjectSchemaObjectType", "object_type_id",
                                            "project_schema_id"),
    ("TypedContext", "lists"): Link("ListObject", "entity_id", "list_id"),
    ("AssetVersion", "lists"): Link("ListObject", "entity_id", "list_id"),
    ("List", "items"): Link("ListObject", "list_id", "entity_id"),
    ("AssetVersion", "uses_versions"): Link("AssetVersionLink", "to_id", "from_id"),
    ("AssetVersion", "used_in_versions"): Link("AssetVersionLink", "from_id", "to_id"),
    ("AssetVersion", "incoming_links"): Inverse("to_id"),
    ("AssetVersion", "outgoing_links"): Inverse("from_id"),
    ("TypedContext", "incoming_links"): Inverse("to_id"),
    ("TypedContext", "outgoing_links"): Inverse("from_id"),
    ("Context", "assignments"): Inverse("context_id", (("type", "assignment"),)),
    ("Context", "allocations"): Inverse("context_id", (("type", "allocation"),)),
    ("Context", "appointments"): Inverse("context_id"),
    ("Resource", "assignments"): Inverse("resource_id", (("type", "assignment"),)),
    ("Resource", "allocations"): Inverse("resource_id", (("type", "allocation"),)),
    ("Resource", "appointments"): Inverse("resource_id"),
    ("SequenceComponent", "members"): Inverse("container_id"),
    ("ContainerComponent", "members"): Inverse("container_id"),
    ("Context", "notes"): Inverse("parent_id"),
    ("Context", "ancestors"): Computed("ancestors"),
    ("Context", "descendants"): Computed("descendants"),
    ("ProjectSchema", "_schemas"): Inverse("project_schema_id"),
    ("ProjectSchema", "object_type_schemas"): Inverse("project_schema_id"),
}


def snake(name: str) -> str:
    """``ProjectSchema`` -> ``project_schema``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def internal_key(attr: "Attribute") -> str:
    """ftrack's internal column name of an attribute (``status_id`` -> ``statusid``)."""
    if isinstance(attr.alias, str) and attr.alias:
        return attr.alias
    if attr.name.endswith("_id"):
        return attr.name[:-3].replace("_", "") + "id"
    return attr.name


@dataclass
class Attribute:
    name: str
    kind: str  # scalar | reference | collection | mapped | opaque
    json_type: Optional[str] = None
    format: Optional[str] = None
    target: Optional[str] = None
    default: Any = None
    has_default: bool = False
    alias: Any = None
    restricted: bool = False

    @property
    def is_datetime(self) -> bool:
        return self.format == "date-time" or self.format == "date"


@dataclass
class EntityType:
    id: str
    raw: Dict[str, Any]
    attributes: Dict[str, Attribute]
    primary_key: List[str]
    required: List[str]
    immutable: List[str]
    computed: List[str]
    default_projections: List[str]
    system_projections: List[str] = field(default_factory=list)
    base: Optional[str] = None
    subtypes: List[str] = field(default_factory=list)  # self + all descendants
    family: str = ""
    classifiers: Dict[str, Any] = field(default_factory=dict)

    def attribute(self, name: str) -> Attribute:
        try:
            return self.attributes[name]
        except KeyError:
            raise ValidationError(
                f"Entity type {self.id!r} has no attribute {name!r}."
            ) from None

    def scalar_names(self) -> List[str]:
        return [a.name for a in self.attributes.values() if a.kind == "scalar"]


class SchemaSet:
    """Indexed view of a list of schemas in ftrack's ``query_schemas`` format."""

    def __init__(self, schemas: List[Dict[str, Any]]) -> None:
        if not isinstance(schemas, list) or not all(isinstance(s, dict) and "id" in s
                                                    for s in schemas):
            raise ValueError("Schemas must be a list of objects, each with an 'id'.")
        self.raw = schemas
        self.hash = hashlib.md5(json.dumps(schemas, sort_keys=True).encode("ascii")).hexdigest()
        self.types: Dict[str, EntityType] = {}
        self._is_a_memo: Dict[Tuple[str, str], bool] = {}
        for schema in schemas:
            self.types[schema["id"]] = self._build_type(schema)
        self._link_hierarchy()
        self._resolve_system_projections()
        self._fk_cache: Dict[Tuple[str, str], Optional[str]] = {}
        self._rel_cache: Dict[Tuple[str, str], Any] = {}
        self._is_a_memo.clear()  # answers given while the hierarchy was being linked

    # -- construction -------------------------------------------------------------------
    @staticmethod
    def _build_type(schema: Dict[str, Any]) -> EntityType:
        attributes: Dict[str, Attribute] = {}
        for name, prop in (schema.get("properties") or {}).items():
            if not isinstance(prop, dict):
                continue
            ptype = prop.get("type")
            alias = prop.get("alias_for")
            if ptype is None and "$ref" in prop:
                attr = Attribute(name, "reference", target=prop["$ref"], alias=alias)
            elif ptype in ("array", "mapped_array"):
                target = (prop.get("items") or {}).get("$ref")
                kind = "collection" if ptype == "array" else "mapped"
                attr = Attribute(name, kind, json_type=ptype, target=target, alias=alias,
                                 restricted=bool(prop.get("restricted_projection")))
            elif ptype in ("string", "integer", "number", "boolean", "variable", "object") \
                    or (ptype is None and prop.get("format") == "foreign_key"):
                # A foreign key without a type (the real User.user_type_id) is a string.
                ptype = ptype or "string"
                attr = Attribute(name, "scalar", json_type=ptype, format=prop.get("format"),
                                 default=prop.get("default"), has_default="default" in prop,
                                 alias=alias)
            else:
                attr = Attribute(name, "opaque", alias=alias)
            attributes[name] = attr
        return EntityType(
            id=schema["id"], raw=schema, attributes=attributes,
            primary_key=list(schema.get("primary_key") or ["id"]),
            required=list(schema.get("required") or []),
            immutable=list(schema.get("immutable") or []),
            computed=list(schema.get("computed") or []),
            default_projections=list(schema.get("default_projections") or []),
            system_projections=list(schema.get("system_projections") or []),
        )

    def _link_hierarchy(self) -> None:
        by_alias = {t.raw.get("alias_for"): t.id for t in self.types.values()
                    if isinstance(t.raw.get("alias_for"), str)}
        for t in self.types.values():
            alias = t.raw.get("alias_for")
            if isinstance(alias, dict) and alias.get("id"):
                base = by_alias.get(alias["id"]) or (alias["id"] if alias["id"] in self.types
                                                     else None)
                if base and base != t.id:
                    t.base = base
                for column, value in (alias.get("classifiers") or {}).items():
                    t.classifiers[self._attr_for_internal(t, column)] = value
        for base, subs in _EXPLICIT_BASES.items():
            if base in self.types:
                for sub in subs:
                    if sub in self.types and self.types[sub].base is None:
                        self.types[sub].base = base
        for suffix in _SUFFIX_BASES:
            if suffix in self.types:
                for t in self.types.values():
                    if t.id != suffix and t.id.endswith(suffix) and t.base is None:
                        t.base = suffix
        for t in self.types.values():
            chain = [t.id]
            cursor = t
            while cursor.base and cursor.base not in chain:
                chain.append(cursor.base)
                cursor = self.types[cursor.base]
            t.family = chain[-1]
            for ancestor in chain:
                self.types[ancestor].subtypes.append(t.id)
        self._share_plain_aliases()

    def _share_plain_aliases(self) -> None:
        """Types whose ``alias_for`` names the same table are views of one storage.

        ftrack's ``NoteLabel`` and ``NoteCategory`` are both ``NoteCategory``: a label
        link (``NoteLabelLink.label_id``) may point at a category row and vice versa.
        """
        groups: Dict[str, List[EntityType]] = {}
        for t in self.types.values():
            alias = t.raw.get("alias_for")
            if isinstance(alias, str) and t.base is None:
                groups.setdefault(alias, []).append(t)
        for alias, members in groups.items():
            if len(members) < 2:
                continue
            members.sort(key=lambda m: (m.id != alias, m.id))
            family = members[0].family
            views = [sub for m in members for sub in m.subtypes]
            for m in members:
                for sub in m.subtypes:
                    self.types[sub].family = family
                m.subtypes[:] = list(dict.fromkeys(m.subtypes + views))

    @staticmethod
    def _attr_for_internal(t: EntityType, column: str) -> str:
        for attr in t.attributes.values():
            if attr.alias == column:
                return attr.name
        return column if column in t.attributes else column

    def _resolve_system_projections(self) -> None:
        for t in self.types.values():
            resolved: List[str] = []
            for entry in t.system_projections:
                name = entry if entry in t.attributes else None
                if name is None:
                    for attr in t.attributes.values():
                        if attr.alias == entry and attr.kind == "scalar":
                            name = attr.name
                            break
                if name and name not in resolved and t.attributes[name].kind == "scalar":
                    resolved.append(name)
            t.system_projections = resolved

    # -- lookups ------------------------------------------------------------------------
    def get(self, type_id: Any) -> EntityType:
        if not isinstance(type_id, str) or type_id not in self.types:
            raise ValidationError(f"Unknown entity type {type_id!r}.")
        return self.types[type_id]

    def ancestors(self, type_id: str) -> List[str]:
        out = []
        t = self.types.get(type_id)
        while t is not None:
            out.append(t.id)
            t = self.types.get(t.base) if t.base else None
        return out

    def is_a(self, type_id: str, base: str) -> bool:
        memo = self._is_a_memo
        key = (type_id, base)
        found = memo.get(key)
        if found is None:
            # The hierarchy is fixed once the set is built (_link_hierarchy).
            found = memo[key] = base in self.ancestors(type_id)
        return found

    def concrete_type(self, t: EntityType, data: Dict[str, Any]) -> EntityType:
        """The most specific subtype of ``t`` whose classifiers match ``data``."""
        for sub_id in t.subtypes:
            sub = self.types[sub_id]
            if sub_id != t.id and sub.classifiers and all(
                data.get(k) == v for k, v in sub.classifiers.items()
            ):
                return sub
        return t

    def foreign_key(self, t: EntityType, ref: str) -> Optional[str]:
        """Local attribute holding the key of reference ``ref`` of type ``t``."""
        cache_key = (t.id, ref)
        if cache_key in self._fk_cache:
            return self._fk_cache[cache_key]
        result: Optional[str] = None
        attr = t.attributes.get(ref)
        for ancestor in self.ancestors(t.id):
            if (ancestor, ref) in _EXPLICIT_FK:
                result = _EXPLICIT_FK[(ancestor, ref)]
                break
        if result is None and attr is not None:
            candidates = [ref + "_id", ref.lstrip("_") + "_id"]
            alias = attr.alias if isinstance(attr.alias, str) else ref
            for name in candidates:
                if name in t.attributes and t.attributes[name].kind == "scalar":
                    result = name
                    break
            if result is None:
                for other in t.attributes.values():
                    if other.kind == "scalar" and other.alias in (alias + "id", alias + "_id"):
                        result = other.name
                        break
        if result is not None and result not in t.attributes:
            result = None
        if result is None and attr is not None and attr.kind == "reference":
            # No column in the schema: keep the key in an implicit ``<name>_id`` field.
            result = ref.lstrip("_") + "_id"
        self._fk_cache[cache_key] = result
        return result

    def relation(self, t: EntityType, name: str) -> Any:
        """How collection ``name`` of ``t`` is stored: Inverse, Link, Computed or None."""
        cache_key = (t.id, name)
        if cache_key in self._rel_cache:
            return self._rel_cache[cache_key]
        result = self._infer_relation(t, name)
        self._rel_cache[cache_key] = result
        return result

    def _infer_relation(self, t: EntityType, name: str) -> Any:
        for ancestor in self.ancestors(t.id):
            if (ancestor, name) in _EXPLICIT_COLLECTIONS:
                rel = _EXPLICIT_COLLECTIONS[(ancestor, name)]
                if isinstance(rel, Link) and rel.through not in self.types:
                    return None
                return rel
        attr = t.attributes.get(name)
        if attr is None or attr.target not in self.types:
            return None
        target = self.types[attr.target]
        owner_types = set(self.ancestors(t.id))
        matches = []
        for other in target.attributes.values():
            if other.kind == "reference" and other.target in owner_types:
                fk = self.foreign_key(target, other.name)
                if fk:
                    matches.append((other.name, fk))
        if matches:
            preferred = [m for m in matches if m[0] == "parent"] or matches
            return Inverse(preferred[0][1])
        for ancestor in self.ancestors(t.id):
            fk = snake(ancestor) + "_id"
            if fk in target.attributes:
                return Inverse(fk)
        if "parent_id" in target.attributes:
            return Inverse("parent_id")
        return None
