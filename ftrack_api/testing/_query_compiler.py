"""Compile a parsed query to parameterised SQL over the entity table.

Values are always bound as parameters; only attribute names validated against the
schema (``[A-Za-z_][A-Za-z0-9_]*``) appear in SQL text.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import _values
from ._errors import QueryError, ValidationError
from ._query_parser import And, Condition, Not, Or, Path, Query, Value
from ._schema import Computed, EntityType, Inverse, Link, SchemaSet


#: Above this many values an ``in`` list is bound as one JSON array.
_LARGE_IN_LIST = 32


def _json_list(values: List[Any]) -> Optional[str]:
    try:
        return json.dumps([int(v) if isinstance(v, bool) else v for v in values], allow_nan=False)
    except (TypeError, ValueError):
        return None


def _as_number(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def col(alias: str, name: str) -> str:
    return f"json_extract({alias}.data, '$.{name}')"


class Compiler:
    def __init__(self, schema: SchemaSet) -> None:
        self.schema = schema
        self.params: Dict[str, Any] = {}
        self._alias = 0

    def alias(self) -> str:
        self._alias += 1
        return f"t{self._alias}"

    def bind(self, value: Any) -> str:
        # Named parameters: SQL fragments may be assembled in any order.
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    # -- type filters ------------------------------------------------------------------
    def type_filter(self, alias: str, t: EntityType) -> str:
        fam = self.schema.types[t.family]
        sql = f"{alias}.fam = {self.bind(t.family)}"
        if len(t.subtypes) < len(fam.subtypes):
            marks = ", ".join(self.bind(s) for s in t.subtypes)
            sql += f" AND {alias}.type IN ({marks})"
        return sql

    def key_expr(self, alias: str, t: EntityType) -> str:
        return f"{alias}.k"

    # -- relation joins ----------------------------------------------------------------
    def reference_join(self, owner: str, t: EntityType, attr_name: str, member: str) -> Tuple[str, EntityType]:
        attr = t.attributes[attr_name]
        target = self.schema.get(attr.target)
        if t.id == "Asset" or self.schema.is_a(t.id, "Asset"):
            if attr_name == "latest_version":
                fam = self.bind(target.family)
                inner = (f"(SELECT v.k FROM entity v WHERE v.fam = {fam} AND "
                         f"{col('v', 'asset_id')} = {owner}.k ORDER BY "
                         f"{col('v', 'version')} DESC LIMIT 1)")
                return f"{self.type_filter(member, target)} AND {member}.k = {inner}", target
        fk = self.schema.foreign_key(t, attr_name)
        if fk is None:
            raise QueryError(f"Relation {t.id}.{attr_name} cannot be queried.")
        return (f"{self.type_filter(member, target)} AND {member}.k = {col(owner, fk)}", target)

    def collection_join(self, owner: str, t: EntityType, attr_name: str, member: str) -> Tuple[str, EntityType]:
        attr = t.attributes[attr_name]
        target = self.schema.get(attr.target)
        if attr.kind == "mapped" and attr.target.endswith("CustomAttributeValue"):
            return (f"{self.type_filter(member, target)} AND "
                    f"{col(member, 'entity_id')} = {owner}.k"), target
        rel = self.schema.relation(t, attr_name)
        if isinstance(rel, Inverse):
            sql = f"{self.type_filter(member, target)} AND {col(member, rel.fk)} = {owner}.k"
            for name, value in rel.filters:
                sql += f" AND {col(member, name)} = {self.bind(value)}"
            return sql, target
        if isinstance(rel, Link):
            through = self.schema.get(rel.through)
            link = self.alias()
            sub = (f"SELECT {col(link, rel.target_fk)} FROM entity {link} WHERE "
                   f"{self.type_filter(link, through)} AND {col(link, rel.source_fk)} = {owner}.k")
            return f"{self.type_filter(member, target)} AND {member}.k IN ({sub})", target
        if isinstance(rel, Computed):
            ctx = self.schema.types[target.family].id
            if rel.name == "descendants":
                cte = (f"WITH RECURSIVE d(k) AS (SELECT c.k FROM entity c WHERE c.fam = "
                       f"{self.bind(ctx)} AND {col('c', 'parent_id')} = {owner}.k UNION "
                       f"SELECT c.k FROM entity c JOIN d ON c.fam = {self.bind(ctx)} AND "
                       f"{col('c', 'parent_id')} = d.k) SELECT k FROM d")
            else:
                cte = (f"WITH RECURSIVE a(k) AS (SELECT {col(owner, 'parent_id')} UNION "
                       f"SELECT {col('c', 'parent_id')} FROM entity c JOIN a ON c.fam = "
                       f"{self.bind(ctx)} AND c.k = a.k) SELECT k FROM a")
            return f"{self.type_filter(member, target)} AND {member}.k IN ({cte})", target
        raise QueryError(f"Relation {t.id}.{attr_name} cannot be queried.")

    def join(self, owner: str, t: EntityType, attr_name: str, member: str) -> Tuple[str, EntityType]:
        attr = t.attributes[attr_name]
        if attr.kind == "reference":
            return self.reference_join(owner, t, attr_name, member)
        return self.collection_join(owner, t, attr_name, member)

    # -- criteria ----------------------------------------------------------------------
    def criteria(self, node: Any, alias: str, t: EntityType) -> str:
        if isinstance(node, And):
            return "(" + " AND ".join(self.criteria(n, alias, t) for n in node.operands) + ")"
        if isinstance(node, Or):
            return "(" + " OR ".join(self.criteria(n, alias, t) for n in node.operands) + ")"
        if isinstance(node, Not):
            negated = False
            while isinstance(node, Not):
                negated = not negated
                node = node.operand
            inner = self.criteria(node, alias, t)
            return f"(NOT {inner})" if negated else inner
        return self.condition(node, alias, t, node.path.parts)

    def _attr(self, t: EntityType, name: str, path: Path) -> Any:
        attr = t.attributes.get(name)
        if attr is None:
            raise QueryError(f"Entity type {t.id!r} has no attribute {name!r} (path "
                             f"{str(path)!r} at position {path.pos}).")
        return attr

    def _subtype_owner(self, t: EntityType, name: str) -> Tuple[EntityType, List[str]]:
        """For an attribute that only subtypes of ``t`` have (a Resource's ``username``
        is a User's, a Context's ``type`` a TypedContext's): the first subtype that has
        it and every subtype that has it. ``(t, [])`` when ``t`` has it itself."""
        if name in t.attributes:
            return t, []
        owners = [sub for sub in t.subtypes if name in self.schema.types[sub].attributes]
        if not owners:
            return t, []
        return self.schema.types[owners[0]], owners

    def condition(self, cond: Condition, alias: str, t: EntityType, parts: Sequence[str]) -> str:
        owner, owners = self._subtype_owner(t, parts[0])
        if owners:
            # As ftrack does (e.g. "assignments any (resource.username is x)"): the
            # criterion holds for the rows of the subtypes that have the attribute.
            marks = ", ".join(self.bind(o) for o in owners)
            inner = self._condition(cond, alias, owner, parts)
            return f"({alias}.type IN ({marks}) AND {inner})"
        return self._condition(cond, alias, t, parts)

    def _condition(self, cond: Condition, alias: str, t: EntityType, parts: Sequence[str]) -> str:
        attr = self._attr(t, parts[0], cond.path)
        rest = parts[1:]
        if rest or (cond.op in ("has", "any") and attr.kind != "scalar"):
            if attr.kind == "scalar" or attr.kind == "opaque":
                raise QueryError(f"Attribute {t.id}.{attr.name} is not a relation (path "
                                 f"{str(cond.path)!r} at position {cond.path.pos}).")
            member = self.alias()
            join, target = self.join(alias, t, attr.name, member)
            if rest:
                inner = self.condition(cond, member, target, rest)
            elif cond.value is None:
                inner = "1"
            else:
                inner = self.criteria(cond.value, member, target)
            return f"EXISTS (SELECT 1 FROM entity {member} WHERE {join} AND {inner})"
        if cond.op in ("has", "any"):
            raise QueryError(f"Operator {cond.op!r} needs a relation, {t.id}.{attr.name} is "
                             f"a scalar (position {cond.pos}).")
        if attr.kind == "reference":
            fk = self.schema.foreign_key(t, attr.name)
            if fk is None:
                raise QueryError(f"Relation {t.id}.{attr.name} cannot be compared.")
            return self.compare(col(alias, fk), "string", None, cond)
        if attr.kind != "scalar":
            raise QueryError(f"Collection {t.id}.{attr.name} cannot be compared with "
                             f"{cond.op!r} (position {cond.pos}); use 'any'.")
        if attr.name in t.primary_key and len(t.primary_key) == 1:
            expr = f"{alias}.k"
        else:
            expr = col(alias, attr.name)
        return self.compare(expr, attr.json_type, attr.format, cond)

    def compare(self, expr: str, json_type: Optional[str], fmt: Optional[str], cond: Condition) -> str:
        op = cond.op
        raw = expr
        if json_type == "variable":
            expr = f"CAST({expr} AS TEXT)"
        if op in ("in", "not_in"):
            neg = "NOT " if op == "not_in" else ""
            if isinstance(cond.value, Query):
                sub_sql, _ = self.subquery(cond.value)
                return f"({expr} {neg}IN ({sub_sql}))"
            values = [self.coerce(v, json_type, fmt) for v in cond.value]
            non_null = [v for v in values if v is not None]
            if not values:
                return "0" if op == "in" else "1"
            if expr.endswith(".k"):
                # The key column is TEXT; json_each values get no TEXT affinity, so
                # integer keys are compared as the text they are stored as.
                non_null = [v if isinstance(v, str) else str(v) for v in non_null]
            packed = _json_list(non_null) if len(non_null) > _LARGE_IN_LIST else None
            if packed is not None:
                # One JSON parameter: binding thousands of named parameters is quadratic
                # in SQLite and may pass its limit on the number of variables.
                marks = f"SELECT value FROM json_each({self.bind(packed)})"
            else:
                marks = ", ".join(self.bind(v) for v in non_null) or "NULL"
            sql = f"{expr} {neg}IN ({marks})"
            if len(non_null) != len(values):
                sql = (f"({sql} OR {expr} IS NULL)" if op == "in"
                       else f"({sql} AND {expr} IS NOT NULL)")
            elif op == "not_in":
                sql = f"({sql} OR {expr} IS NULL)"
            return f"({sql})"
        value = self.coerce(cond.value, json_type, fmt)
        if json_type == "variable" and op in ("is", "is_not") and value is not None:
            number = _as_number(value)
            if number is not None:
                # "1001" matches a stored 1001 or 1001.0 as well as the text "1001".
                match = (f"({expr} = {self.bind(value)} OR (typeof({raw}) IN ('integer', "
                         f"'real') AND {raw} = {self.bind(number)}))")
                return match if op == "is" else f"(NOT {match} OR {raw} IS NULL)"
        if op == "is":
            return f"{expr} IS NULL" if value is None else f"{expr} = {self.bind(value)}"
        if op == "is_not":
            return f"{expr} IS NOT NULL" if value is None else f"{expr} IS NOT {self.bind(value)}"
        if value is None:
            raise QueryError(f"Operator {op!r} cannot compare with none (position {cond.pos}).")
        if op in ("like", "not_like"):
            sql = f"{expr} LIKE {self.bind(str(value))}"
            return sql if op == "like" else f"({expr} IS NULL OR NOT {sql})"
        return f"{expr} {op} {self.bind(value)}"

    def coerce(self, v: Value, json_type: Optional[str], fmt: Optional[str]) -> Any:
        value = v.value
        if value is None:
            return None
        try:
            if fmt in ("date-time", "date"):
                return _values.normalise_datetime(value if v.quoted else v.raw)
            if json_type == "string":
                return value if v.quoted else v.raw
            if json_type in ("integer", "number"):
                if isinstance(value, bool):
                    return int(value)
                if isinstance(value, str):
                    number = float(value)
                    return int(number) if number.is_integer() else number
                return value
            if json_type == "boolean":
                if isinstance(value, str):
                    low = value.lower()
                    if low in ("true", "1"):
                        return True
                    if low in ("false", "0"):
                        return False
                    raise ValueError(value)
                return bool(value)
            if json_type == "variable":
                if isinstance(value, bool):
                    return "1" if value else "0"
                return value if v.quoted else v.raw
        except (ValueError, ValidationError):
            raise QueryError(f"Invalid value {v.raw!r} for a {fmt or json_type} attribute at "
                             f"position {v.pos}.") from None
        return value

    # -- ordering and projections of sub-queries ----------------------------------------
    def scalar_expr(self, alias: str, t: EntityType, path: Path, allow_collections: bool = False) -> Tuple[str, Any]:
        parts = path.parts
        cursor_alias, cursor = alias, t
        joins: List[str] = []
        for i, name in enumerate(parts):
            cursor = self._subtype_owner(cursor, name)[0]
            attr = self._attr(cursor, name, path)
            if i == len(parts) - 1:
                if attr.kind != "scalar":
                    raise QueryError(f"Path {str(path)!r} at position {path.pos} does not end "
                                     "in a scalar attribute.")
                if attr.name in cursor.primary_key and len(cursor.primary_key) == 1:
                    expr = f"{cursor_alias}.k"
                else:
                    expr = col(cursor_alias, attr.name)
                break
            if attr.kind != "reference" and not allow_collections:
                raise QueryError(f"Path {str(path)!r} at position {path.pos} goes through "
                                 f"collection {cursor.id}.{name}; only references are allowed.")
            if attr.kind not in ("reference", "collection", "mapped"):
                raise QueryError(f"Attribute {cursor.id}.{name} is not a relation (path "
                                 f"{str(path)!r} at position {path.pos}).")
            member = self.alias()
            join, target = self.join(cursor_alias, cursor, name, member)
            joins.append((member, join))  # type: ignore[arg-type]
            cursor_alias, cursor = member, target
        for member, join in reversed(joins):  # type: ignore[misc]
            expr = f"(SELECT {expr} FROM entity {member} WHERE {join} LIMIT 1)"
        return expr, attr

    def subquery(self, q: Query) -> Tuple[str, EntityType]:
        t = self.schema.types.get(q.entity_type)
        if t is None:
            raise QueryError(f"Unknown entity type {q.entity_type!r} at position {q.type_pos}.")
        if len(q.projections) != 1:
            raise QueryError("A sub-query must select exactly one attribute.")
        alias = self.alias()
        expr, _ = self.scalar_expr(alias, t, q.projections[0].path)
        sql = f"SELECT {expr} FROM entity {alias} WHERE {self.type_filter(alias, t)}"
        if q.where is not None:
            sql += f" AND {self.criteria(q.where, alias, t)}"
        if q.order_by or q.limit is not None or q.offset:
            sql += self.order_by(q, alias, t)
            limit = -1 if q.limit is None else q.limit
            sql += f" LIMIT {self.bind(limit)} OFFSET {self.bind(q.offset or 0)}"
        return sql, t

    def root(self, q: Query, alias: str = "e") -> Tuple[str, EntityType]:
        """``FROM ... WHERE ... ORDER BY ...`` for the root selection (no limit)."""
        t = self.schema.types.get(q.entity_type)
        if t is None:
            raise QueryError(f"Unknown entity type {q.entity_type!r} at position {q.type_pos}.")
        sql = f"FROM entity {alias} WHERE {self.type_filter(alias, t)}"
        if q.where is not None:
            sql += f" AND {self.criteria(q.where, alias, t)}"
        return sql, t

    def order_by(self, q: Query, alias: str, t: EntityType) -> str:
        terms = []
        for order in q.order_by:
            expr, _ = self.scalar_expr(alias, t, order.path)
            terms.append(f"{expr} {'DESC' if order.descending else 'ASC'}")
        terms.append(f"{alias}.rid ASC")
        return " ORDER BY " + ", ".join(terms)


__all__ = ["Compiler", "col"]
