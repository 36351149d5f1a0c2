"""Query execution: root selection in SQL, nested projections fetched level by level."""
from __future__ import annotations

import json
import sqlite3
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import _json
from ._database import Database, Row
from ._errors import QueryError
from ._query_compiler import Compiler, col
from ._query_parser import Query, parse
from ._schema import Computed, EntityType, Inverse, Link, SchemaSet

Tree = Dict[str, "Tree"]
# Projections computed from the whole stored record (or from other rows).
_NEEDS_RECORD = frozenset({"link", "_link", "is_latest_version", "time_logged",
                           "bid_time_logged_difference", "key", "latest_version",
                           "thumbnail_url", "url"})


def key_of(t: EntityType, data: Dict[str, Any]) -> Optional[str]:
    if len(t.primary_key) == 1:  # most types: one ``id``
        value = data.get(t.primary_key[0])
        return None if value is None else str(value)
    values = [data.get(name) for name in t.primary_key]
    if any(v is None for v in values):
        return None
    if len(values) == 1:
        return str(values[0])
    return json.dumps([str(v) for v in values])


def key_from_values(t: EntityType, values: Sequence[Any]) -> str:
    if len(values) == 1:
        return str(values[0])
    return json.dumps([str(v) for v in values])


_MISSING = object()

#: SQLite 3.38 added ``->``, which returns a value's JSON text as stored.
_JSON_ARROW = sqlite3.sqlite_version_info >= (3, 38, 0)


class RawJSON(str):
    """A result that is already JSON text (embedded verbatim in the response)."""


class _FlatPlan:
    """A flat projection of plain scalar attributes (the usual query page).

    ``sql`` lets SQLite serialise each row (``json_object`` over ``json_extract``);
    :meth:`rows` builds the same objects from the stored records with orjson, which is
    faster (one parse per record instead of SQLite's parse and one look-up per name).
    """

    __slots__ = ("names", "datetimes", "booleans", "sql")

    def __init__(self, names: List[str], datetimes: List[str], booleans: List[str],
                 sql: str) -> None:
        self.names = tuple(names)
        self.datetimes = tuple(datetimes)
        self.booleans = tuple(booleans)
        self.sql = sql

    def rows(self, records: Any, fast: Any) -> List[Dict[str, Any]]:
        """The row objects of ``(type, data)`` records, as :attr:`sql` would give them."""
        names, datetimes, booleans = self.names, self.datetimes, self.booleans
        loads = fast.loads
        out = []
        for type_id, data in records:
            try:
                record = loads(data)
            except ValueError:  # pragma: no cover - a record orjson refuses (stdlib wrote it)
                record = json.loads(data)
            get = record.get
            obj = {"__entity_type__": type_id}
            for name in names:
                obj[name] = get(name)
            for name in datetimes:
                value = obj[name]
                if value is not None:
                    obj[name] = {"__type__": "datetime", "value": value}
            for name in booleans:  # as json_type: anything but a JSON boolean is null
                value = obj[name]
                if value is not True and value is not False:
                    obj[name] = None
            out.append(obj)
        return out


def dumps_results(results: Any) -> str:
    """Serialise a batch result list that may hold :class:`RawJSON` items."""
    if isinstance(results, list) and any(isinstance(r, RawJSON) for r in results):
        return "[" + ", ".join(r if isinstance(r, RawJSON) else _json.dumps(r)
                               for r in results) + "]"
    return _json.dumps(results)


def encode_results(results: Any) -> bytes:
    """:func:`dumps_results` as the UTF-8 bytes of a response body."""
    if isinstance(results, list) and any(isinstance(r, RawJSON) for r in results):
        return dumps_results(results).encode("utf-8")
    return _json.dumps_bytes(results)


class Reader:
    """Runs queries and builds entity payloads for one request."""

    def __init__(self, db: Database, schema: SchemaSet) -> None:
        self.db = db
        self.schema = schema
        self._configs: Optional[List[Row]] = None
        self._base_fields: Dict[str, List[Tuple[str, bool]]] = {}
        self._inherit_memo: Dict[Tuple[str, str], Any] = {}
        self._parents: Dict[str, Optional[str]] = {}

    # -- query action ----------------------------------------------------------------
    def query(self, expression: Any, allow_raw: bool = True) -> Any:
        """Run a query; return the ``query`` result (a dict, or :class:`RawJSON`)."""
        self._inherit_memo.clear()  # earlier operations of the batch may have written values
        self._parents.clear()
        q = parse(expression)
        if q.group_by or any(p.aggregate for p in q.projections):
            return self._grouped(q)
        compiler = Compiler(self.schema)
        from_sql, t = compiler.root(q)
        tree = self._tree(t, q)
        flat = self._cached_flat_plan(t, tree) if allow_raw else None
        fast = _json.FAST if flat is not None else None
        as_json = flat.sql if flat is not None else None
        columns = None if flat is not None else self._narrow_columns(t, tree)
        if fast is not None:
            select = "e.type, e.data"  # the records, serialised by orjson (flat.rows)
        elif as_json is not None:
            select = as_json
        elif columns is None:
            select = "e.type, e.k, e.data"
        else:
            select = "e.type, e.k" + "".join(f", {col('e', name)}" for name, _b in columns)
        order_sql = compiler.order_by(q, "e", t)  # may bind parameters
        params = dict(compiler.params)
        offset = q.offset or 0
        # Pages ordered by insertion only (no ``order by``) continue after the rid where
        # the previous page of the same query ended, instead of skipping ``offset`` rows
        # again: each page costs the same however deep it is. The rows and offsets are
        # exactly those of ``LIMIT/OFFSET`` because the stored cursor is dropped on any
        # change to the data (Database.page_cursor).
        keyset = not q.order_by and q.limit is not None
        cursor_key: Any = None
        after: Optional[int] = None
        if keyset:
            cursor_key = (from_sql, tuple(sorted((k, repr(v)) for k, v in params.items())))
            after = self.db.page_cursor(cursor_key, offset) if offset else None
        if after is not None:
            head, rest = from_sql.split(" WHERE ", 1)
            params["_after"] = after
            sql = (f"SELECT e.rid, {select} {head} WHERE ({rest}) AND e.rid > :_after"
                   f"{order_sql} LIMIT :_limit")
        else:
            rid = "e.rid, " if keyset else ""
            sql = f"SELECT {rid}{select} {from_sql}{order_sql}"
            params["_offset"] = offset
            if q.limit is not None:
                sql += " LIMIT :_limit OFFSET :_offset"
            elif offset:
                sql += " LIMIT -1 OFFSET :_offset"
        if q.limit is not None:
            params["_limit"] = q.limit + 1
        try:
            cursor: Any = self.db.conn.execute(sql, params)
            rids: List[int] = []
            if keyset:
                records = cursor.fetchall()
                rids = [record[0] for record in records]
                cursor = [record[1:] for record in records]
            if fast is not None:
                rows: List[Any] = flat.rows(cursor, fast)
            elif as_json is not None:
                rows = [record[0] for record in cursor]
            elif columns is None:
                rows = [(ty, k, json.loads(d)) for ty, k, d in cursor]
            else:
                rows = self._rows_from_columns(cursor, columns)
        except sqlite3.OperationalError as error:
            raise QueryError(f"Query is too complex to run: {error}.") from None
        if keyset and q.limit is not None and len(rows) > q.limit:
            self.db.set_page_cursor(cursor_key, offset + q.limit, rids[q.limit - 1])
        more = q.limit is not None and len(rows) > q.limit
        if more:
            rows = rows[: q.limit]
        next_offset = offset + len(rows) if more else None
        if fast is not None:
            return RawJSON('{"action": "query", "data": ' + fast.dumps(rows).decode("utf-8")
                           + ', "metadata": {"next": {"offset": '
                           + json.dumps(next_offset) + "}}}")
        if as_json is not None:
            # Rows were serialised by SQLite; only the envelope is built here.
            return RawJSON('{"action": "query", "data": [' + ", ".join(rows)
                           + '], "metadata": {"next": {"offset": '
                           + json.dumps(next_offset) + "}}}")
        data = self.project(rows, tree)
        return {"action": "query", "data": data,
                "metadata": {"next": {"offset": next_offset}}}

    def _cached_flat_plan(self, t: EntityType, tree: Tree) -> Optional["_FlatPlan"]:
        """:meth:`_flat_plan`, remembered per type and flat projection list."""
        if any(sub for sub in tree.values()):
            return None
        memo = self.db.memo
        key = ("flat_plan", t.id, tuple(tree))
        if key not in memo:
            memo[key] = self._flat_plan(t, tree)
        return memo[key]

    def _flat_plan(self, t: EntityType, tree: Tree) -> Optional["_FlatPlan"]:
        """How to serialise each row without the projection machinery, or None.

        Possible when only plain scalar attributes are projected and every queried type
        has the same attributes; otherwise rows are built by :meth:`project`.
        """
        # Rows are of concrete (leaf) types; each must produce the same set of keys.
        subtypes = [self.schema.types[s] for s in t.subtypes
                    if len(self.schema.types[s].subtypes) == 1]
        names: List[str] = []
        key_sets = set()
        for sub in subtypes:
            own = (list(sub.primary_key) + list(sub.system_projections)
                   + [c for c in sub.classifiers if c in sub.attributes] + list(tree))
            key_sets.add(frozenset(own))
            for name in own:
                if name not in names:
                    names.append(name)
        if len(key_sets) != 1:
            return None
        if len(names) > 60:
            return None
        datetimes: List[str] = []
        booleans: List[str] = []
        parts = ["'__entity_type__', e.type"]
        for name in names:
            attrs = [sub.attributes.get(name) for sub in subtypes]
            first = attrs[0]
            if first is None or name in _NEEDS_RECORD or any(
                    a is None or a.kind != "scalar" or a.json_type != first.json_type
                    or a.format != first.format for a in attrs):
                return None
            if first.json_type not in ("string", "integer", "number", "boolean"):
                return None
            value = col("e", name)
            if first.is_datetime:
                datetimes.append(name)
                value = (f"CASE WHEN {value} IS NULL THEN NULL ELSE json_object('__type__', "
                         f"'datetime', 'value', {value}) END")
            elif first.json_type == "number" and _JSON_ARROW:
                # The number's own JSON text: json_extract would make it a REAL that
                # json_object prints with 15 digits (0.30000000000000004 became 0.3).
                value = f"e.data -> '$.{name}'"
            elif first.json_type == "boolean":
                booleans.append(name)
                value = (f"CASE json_type(e.data, '$.{name}') WHEN 'true' THEN json('true') "
                         f"WHEN 'false' THEN json('false') END")
            parts.append(f"'{name}', {value}")
        return _FlatPlan(names, datetimes, booleans, "json_object(" + ", ".join(parts) + ")")

    def _narrow_columns(self, t: EntityType, tree: Tree) -> Optional[List[Tuple[str, bool]]]:
        """Stored fields the root rows need, or None when the whole record is needed.

        Fetching only these fields with ``json_extract`` avoids decoding every record.
        """
        wanted: Dict[str, bool] = {}
        for type_id in t.subtypes:
            sub = self.schema.types[type_id]
            for name in list(sub.primary_key) + list(sub.system_projections) \
                    + list(sub.classifiers):
                attr = sub.attributes.get(name)
                if attr is not None and attr.json_type in ("variable", "object"):
                    return None
                wanted.setdefault(name, attr is not None and attr.json_type == "boolean")
            for name in tree:
                if name in _NEEDS_RECORD:
                    return None
                attr = sub.attributes.get(name)
                if attr is None:
                    continue
                if attr.kind == "opaque":
                    return None
                if attr.kind == "scalar":
                    if attr.json_type in ("variable", "object"):
                        return None
                    wanted.setdefault(name, attr.json_type == "boolean")
                elif attr.kind == "reference":
                    fk = self.schema.foreign_key(sub, name)
                    if fk:
                        wanted.setdefault(fk, False)
                elif attr.kind in ("collection", "mapped"):
                    if attr.target and attr.target.endswith("CustomAttributeValue"):
                        return None
                    rel = self.schema.relation(sub, name)
                    if rel is None or isinstance(rel, Computed):
                        return None
        return list(wanted.items())

    @staticmethod
    def _rows_from_columns(cursor: Any, columns: List[Tuple[str, bool]]) -> List[Row]:
        names = [name for name, _b in columns]
        booleans = [i for i, (_n, is_bool) in enumerate(columns) if is_bool]
        rows: List[Row] = []
        for record in cursor:
            values = list(record[2:])
            for i in booleans:
                if values[i] is not None:
                    values[i] = bool(values[i])
            rows.append((record[0], record[1], dict(zip(names, values))))
        return rows

    def _grouped(self, q: Query) -> Dict[str, Any]:
        compiler = Compiler(self.schema)
        from_sql, t = compiler.root(q)
        for path in list(q.group_by) + [p.path for p in q.projections]:
            compiler.scalar_expr("e", t, path)  # validates every path
        rows = self.db.conn.execute(
            f"SELECT e.rid, e.type, e.k, e.data {from_sql} ORDER BY e.rid",
            compiler.params).fetchall()
        buckets: Dict[Tuple[Any, ...], List[Dict[str, Any]]] = {}
        for _rid, ty, _k, d in rows:
            data = json.loads(d)
            key = tuple(self._resolve_path(ty, data, path.parts) for path in q.group_by)
            buckets.setdefault(key, []).append({"type": ty, "data": data})
        out = []
        for key, members in buckets.items():
            row: Dict[str, Any] = {}
            for proj in q.projections:
                label = "_".join(proj.path.parts)
                values = [self._resolve_path(m["type"], m["data"], proj.path.parts) for m in members]
                if proj.aggregate:
                    present = [v for v in values if v is not None]
                    agg = proj.aggregate
                    if agg == "count":
                        result: Any = len(present)
                    elif not present:
                        result = None
                    elif agg == "sum":
                        result = sum(present)
                    elif agg == "avg":
                        result = sum(present) / len(present)
                    elif agg == "min":
                        result = min(present)
                    else:
                        result = max(present)
                    row[f"{agg}_{label}"] = result
                else:
                    row[label] = values[0] if values else None
            for path, value in zip(q.group_by, key):
                row.setdefault("_".join(path.parts), value)
            out.append(row)
        return {"action": "query", "data": out, "metadata": {"next": {"offset": None}}}

    def _resolve_path(self, type_id: str, data: Dict[str, Any], parts: Sequence[str]) -> Any:
        t = self.schema.types[type_id]
        attr = t.attributes.get(parts[0])
        if attr is None:
            return None
        if len(parts) == 1:
            return data.get(parts[0])
        if attr.kind != "reference":
            return None
        fk = self.schema.foreign_key(t, attr.name)
        target = self.schema.types[attr.target]
        row = self.db.get(target.family, data.get(fk)) if fk and data.get(fk) else None
        if row is None:
            return None
        return self._resolve_path(row[0], row[2], parts[1:])

    # -- projection tree --------------------------------------------------------------
    def _tree(self, t: EntityType, q: Query) -> Tree:
        tree: Tree = {}
        for proj in q.projections:
            cursor_type: Optional[EntityType] = t
            node = tree
            for index, name in enumerate(proj.path.parts):
                if cursor_type is not None:
                    attr = self._find_attr(cursor_type, name)
                    if attr is None:
                        raise QueryError(
                            f"Entity type {cursor_type.id!r} has no attribute {name!r} "
                            f"(projection {str(proj.path)!r} at position {proj.path.pos})."
                        )
                    if attr.kind in ("scalar", "opaque") and index < len(proj.path.parts) - 1:
                        raise QueryError(
                            f"Attribute {cursor_type.id}.{name} is not a relation (projection "
                            f"{str(proj.path)!r} at position {proj.path.pos})."
                        )
                    cursor_type = self.schema.types.get(attr.target) if attr.target else None
                node = node.setdefault(name, {})
        return tree

    def _find_attr(self, t: EntityType, name: str) -> Any:
        attr = t.attributes.get(name)
        if attr is None:
            for sub in t.subtypes:
                attr = self.schema.types[sub].attributes.get(name)
                if attr is not None:
                    break
        return attr

    # -- payload building ---------------------------------------------------------------
    def base_object(self, type_id: str, data: Dict[str, Any]) -> Dict[str, Any]:
        fields = self._base_fields.get(type_id)
        if fields is None:
            fields = self.db.memo.get(("base_fields", type_id))
        if fields is None:
            t = self.schema.types[type_id]
            # A polymorphic subtype also carries its classifier (e.g. a Task's
            # object_type_id), as the real server returns it (recorded responses).
            names = list(dict.fromkeys(list(t.primary_key) + list(t.system_projections)
                                       + [c for c in t.classifiers if c in t.attributes]))
            fields = [(n, n in t.attributes and t.attributes[n].is_datetime) for n in names]
            self.db.memo[("base_fields", type_id)] = fields
            self._base_fields[type_id] = fields
        obj: Dict[str, Any] = {"__entity_type__": type_id}
        for name, is_datetime in fields:
            value = data.get(name)
            if is_datetime and value is not None:
                value = {"__type__": "datetime", "value": value}
            obj[name] = value
        return obj

    def encode(self, t: EntityType, name: str, value: Any) -> Any:
        attr = t.attributes.get(name)
        if value is not None and attr is not None and attr.is_datetime:
            return {"__type__": "datetime", "value": value}
        return value

    def full_object(self, type_id: str, data: Dict[str, Any]) -> Dict[str, Any]:
        """Every stored scalar attribute (used for create/update results)."""
        memo = self.db.memo
        fields = memo.get(("full_fields", type_id))
        if fields is None:
            # (stored attributes that are returned, the datetime ones among them, and the
            # base object of an empty record: the type marker and base names, in order)
            t = self.schema.types[type_id]
            names = frozenset(name for name, attr in t.attributes.items()
                              if attr.kind in ("scalar", "opaque") and name not in t.computed)
            fields = memo[("full_fields", type_id)] = (
                names, frozenset(name for name in names if t.attributes[name].is_datetime),
                self.base_object(type_id, {}))
        returned, datetimes, empty = fields
        if returned.issuperset(data):  # the usual record: every stored name is returned
            # base_object(type_id, data) then data on top: the base names keep their
            # places and take data's values (the datetimes are wrapped below).
            obj = empty.copy()
            obj.update(data)
            for name in datetimes:
                value = obj.get(name)
                if value is not None:
                    obj[name] = {"__type__": "datetime", "value": value}
            return obj
        obj = self.base_object(type_id, data)
        for name, value in data.items():  # a record holds fewer names than its type
            if name in returned:
                if value is not None and name in datetimes:
                    value = {"__type__": "datetime", "value": value}
                obj[name] = value
        return obj

    def project(self, rows: List[Row], tree: Tree, defaults: bool = False) -> List[Dict[str, Any]]:
        objs = [self.base_object(ty, data) for ty, _k, data in rows]
        if defaults and not tree:
            # A relation projected without sub-attributes carries its default projections.
            names: Dict[str, Tree] = {}
            for ty in dict.fromkeys(r[0] for r in rows):
                for name in self.schema.types[ty].default_projections:
                    names.setdefault(name, {})
            tree = names
        for name, sub in tree.items():
            self._fill(name, sub, rows, objs)
        return objs

    def _fill(self, name: str, sub: Tree, rows: List[Row], objs: List[Dict[str, Any]]) -> None:
        by_kind: Dict[Tuple[str, str], List[int]] = {}
        for index, (ty, _k, _data) in enumerate(rows):
            attr = self.schema.types[ty].attributes.get(name)
            if attr is not None:
                by_kind.setdefault((ty, attr.kind), []).append(index)
        for (ty, kind), indexes in by_kind.items():
            t = self.schema.types[ty]
            attr = t.attributes[name]
            sel_rows = [rows[i] for i in indexes]
            sel_objs = [objs[i] for i in indexes]
            if kind == "scalar" and name not in _NEEDS_RECORD:
                is_datetime = attr.is_datetime
                for (_t, _k, data), obj in zip(sel_rows, sel_objs):
                    value = data.get(name)
                    if is_datetime and value is not None:
                        value = {"__type__": "datetime", "value": value}
                    obj[name] = value
            elif kind == "scalar":
                for (_t, k, data), obj in zip(sel_rows, sel_objs):
                    obj[name] = self._scalar(t, name, k, data)
            elif kind == "opaque":
                for (_t, _k, data), obj in zip(sel_rows, sel_objs):
                    obj[name] = data.get(name)
            elif kind == "reference":
                self._fill_reference(t, name, sub, sel_rows, sel_objs)
            elif kind in ("collection", "mapped"):
                self._fill_collection(t, name, sub, sel_rows, sel_objs)

    def _scalar(self, t: EntityType, name: str, key: str, data: Dict[str, Any]) -> Any:
        if name in ("link", "_link") and name not in data:
            return self._link(t, data)
        if name == "is_latest_version" and self.schema.is_a(t.id, "AssetVersion"):
            rows = self.db.find(t.family, {"asset_id": data.get("asset_id")})
            best = max((r[2].get("version") or 0 for r in rows), default=0)
            return (data.get("version") or 0) >= best
        if name == "time_logged" and name not in data:
            logs = self.db.find(self.schema.types.get("Timelog", t).family,
                                {"context_id": key}) if "Timelog" in self.schema.types else []
            return float(sum(r[2].get("duration") or 0 for r in logs))
        if name == "bid_time_logged_difference" and name not in data:
            return float((data.get("bid") or 0) - self._scalar(t, "time_logged", key, data))
        if name == "key" and name not in data and "configuration_id" in data:
            config = self._config(data.get("configuration_id"))
            return None if config is None else config[2].get("key")
        return self.encode(t, name, data.get(name))

    def _link(self, t: EntityType, data: Dict[str, Any]) -> List[Dict[str, Any]]:
        chain: List[Dict[str, Any]] = []
        ctx = self.schema.types.get("Context")
        if self.schema.is_a(t.id, "AssetVersion"):
            # As a real server answers: the asset's context chain, then one item for the
            # version named "<asset name> v<NNN>" (no separate Asset item), e.g.
            # [Project p, TypedContext sh01, AssetVersion "cloud v001"]. StandardStructure
            # relies on it (link[1:-1] are the folders between project and asset).
            asset = self.db.get(self.schema.types["Asset"].family, data.get("asset_id") or "")
            parent_chain: List[Dict[str, Any]] = []
            name = f"v{data.get('version') or 0:03d}"
            if asset is not None:
                context = (self.db.get(ctx.family, asset[2].get("context_id") or "")
                           if ctx else None)
                if context is not None:
                    parent_chain = self._link(self.schema.types[context[0]], context[2])
                name = f"{asset[2].get('name')} {name}"
            return parent_chain + [{"id": data.get("id"), "name": name, "type": "AssetVersion"}]
        if self.schema.is_a(t.id, "Asset"):
            parent = self.db.get(ctx.family, data.get("context_id") or "") if ctx else None
            out = self._link(self.schema.types[parent[0]], parent[2]) if parent else []
            return out + [{"id": data.get("id"), "name": data.get("name"), "type": "Asset"}]
        cursor: Optional[Tuple[str, Dict[str, Any]]] = (t.id, data)
        seen = set()
        while cursor is not None and ctx is not None:
            ty, row = cursor
            if row.get("id") in seen:
                break
            seen.add(row.get("id"))
            kind = "Project" if self.schema.is_a(ty, "Project") else "TypedContext"
            chain.append({"id": row.get("id"), "name": row.get("name"), "type": kind})
            parent_id = row.get("parent_id")
            found = self.db.get(ctx.family, parent_id) if parent_id else None
            cursor = (found[0], found[2]) if found else None
        return list(reversed(chain))

    def _fill_reference(self, t: EntityType, name: str, sub: Tree, rows: List[Row],
                        objs: List[Dict[str, Any]]) -> None:
        attr = t.attributes[name]
        target = self.schema.types.get(attr.target)
        if target is None:
            return
        if name == "latest_version" and self.schema.is_a(t.id, "Asset"):
            versions = self.db.find_in(target.family, "asset_id", [k for _t, k, _d in rows])
            latest: Dict[str, Row] = {}
            for row in versions:
                current = latest.get(row[2].get("asset_id"))
                if current is None or (row[2].get("version") or 0) > (current[2].get("version") or 0):
                    latest[row[2]["asset_id"]] = row
            keys = [latest.get(k) for _t, k, _d in rows]
        else:
            fk = self.schema.foreign_key(t, name)
            if fk is None:
                for obj in objs:
                    obj[name] = None
                return
            fetched = self.db.get_many(target.family, [d.get(fk) for _t, _k, d in rows])
            keys = [fetched.get(d.get(fk)) if d.get(fk) is not None else None for _t, _k, d in rows]
        present = [row for row in keys if row is not None]
        projected = self.project(present, sub, defaults=True)
        iterator = iter(projected)
        for obj, row in zip(objs, keys):
            obj[name] = next(iterator) if row is not None else None

    def _fill_collection(self, t: EntityType, name: str, sub: Tree, rows: List[Row],
                         objs: List[Dict[str, Any]]) -> None:
        attr = t.attributes[name]
        target = self.schema.types.get(attr.target)
        owner_keys = [k for _t, k, _d in rows]
        groups: Dict[str, List[Row]] = {k: [] for k in owner_keys}
        if target is None:
            pass
        elif attr.kind == "mapped" and attr.target.endswith("CustomAttributeValue"):
            groups = self._custom_attributes(t, target, rows)
        else:
            rel = self.schema.relation(t, name)
            allowed = set(target.subtypes)
            if isinstance(rel, Inverse):
                for row in self.db.find_in(target.family, rel.fk, owner_keys, rel.filters):
                    if row[0] in allowed:
                        groups.setdefault(row[2].get(rel.fk), []).append(row)
            elif isinstance(rel, Link):
                through = self.schema.types[rel.through]
                links = self.db.find_in(through.family, rel.source_fk, owner_keys)
                members = self.db.get_many(target.family, [l[2].get(rel.target_fk) for l in links])
                for link in links:
                    # Link members are not narrowed by type: a task list holds any context.
                    member = members.get(link[2].get(rel.target_fk))
                    if member is not None:
                        groups.setdefault(link[2].get(rel.source_fk), []).append(member)
            elif isinstance(rel, Computed):
                for _t, k, data in rows:
                    groups[k] = [r for r in self._computed(rel.name, k, data) if r[0] in allowed]
            elif rel is None:
                # Member keys kept with the owner (Writer._set_collection).
                field = "__members__" + name
                wanted = [m for _t, _k, data in rows for m in (data.get(field) or [])]
                members = self.db.get_many(target.family, wanted) if wanted else {}
                for _t, k, data in rows:
                    groups[k] = [members[m] for m in (data.get(field) or []) if m in members]
        flat: List[Row] = []
        for k in owner_keys:
            flat.extend(groups.get(k, []))
        projected = self.project(flat, sub, defaults=True) if not (attr.kind == "mapped" and target is not None
                                                    and attr.target.endswith("CustomAttributeValue")) \
            else [self._cav_object(r) for r in flat]
        iterator = iter(projected)
        for obj, k in zip(objs, owner_keys):
            obj[name] = [next(iterator) for _ in groups.get(k, [])]

    def _computed(self, name: str, key: str, data: Dict[str, Any]) -> List[Row]:
        ctx = self.schema.types["Context"]
        if name == "ancestors":
            out: List[Row] = []
            parent_id = data.get("parent_id")
            seen = {key}
            while parent_id and parent_id not in seen:
                seen.add(parent_id)
                row = self.db.get(ctx.family, parent_id)
                if row is None:
                    break
                out.append(row)
                parent_id = row[2].get("parent_id")
            return list(reversed(out))
        sql = (f"WITH RECURSIVE d(k, depth) AS (SELECT k, 1 FROM entity WHERE fam = ? AND "
               f"json_extract(data, '$.parent_id') = ? UNION SELECT c.k, d.depth + 1 FROM entity c "
               f"JOIN d ON c.fam = ? AND json_extract(c.data, '$.parent_id') = d.k) "
               f"SELECT e.type, e.k, e.data FROM entity e JOIN d ON e.fam = ? AND e.k = d.k "
               f"ORDER BY d.depth, e.rid")
        fam = ctx.family
        return [(t, k, json.loads(d)) for t, k, d in self.db.conn.execute(sql, (fam, key, fam, fam))]

    # -- custom attributes ---------------------------------------------------------------
    def configurations(self) -> List[Row]:
        if self._configs is None:
            t = self.schema.types.get("CustomAttributeConfiguration")
            self._configs = [] if t is None else self.db.find(t.family, {}, [t.id])
        return self._configs

    def _config(self, config_id: Any) -> Optional[Row]:
        for row in self.configurations():
            if row[1] == config_id:
                return row
        return None

    def config_entity_type(self, t: EntityType) -> Optional[str]:
        for base, name in (("Project", "show"), ("TypedContext", "task"), ("AssetVersion",
                           "assetversion"), ("Asset", "asset"), ("User", "user"),
                           ("ListObject", "listobject"), ("List", "list")):
            if self.schema.is_a(t.id, base):
                return name
        return None

    def applicable_configs(self, t: EntityType, data: Dict[str, Any]) -> List[Row]:
        entity_type = self.config_entity_type(t)
        project_id = data.get("id") if entity_type == "show" else data.get("project_id")
        out = []
        for row in self.configurations():
            config = row[2]
            hierarchical = bool(config.get("is_hierarchical"))
            if hierarchical:
                if entity_type not in ("show", "task"):
                    continue
            elif config.get("entity_type") != entity_type:
                continue
            elif entity_type == "task" and config.get("object_type_id") not in (
                    None, data.get("object_type_id")):
                continue
            if config.get("project_id") not in (None, project_id):
                continue
            out.append(row)
        # Project-specific configurations win over global ones with the same key.
        by_key: Dict[Any, Row] = {}
        for row in out:
            current = by_key.get(row[2].get("key"))
            if current is None or (row[2].get("project_id") and not current[2].get("project_id")):
                by_key[row[2].get("key")] = row
        return list(by_key.values())

    def _custom_attributes(self, t: EntityType, target: EntityType, rows: List[Row]) -> Dict[str, List[Row]]:
        owner_keys = [k for _t, k, _d in rows]
        stored: Dict[Tuple[str, str], Row] = {}
        for row in self.db.find_in(target.family, "entity_id", owner_keys):
            stored[(row[2].get("entity_id"), row[2].get("configuration_id"))] = row
        groups: Dict[str, List[Row]] = {}
        for ty, k, data in rows:
            items: List[Row] = []
            for config_row in self.applicable_configs(self.schema.types[ty], data):
                cid = config_row[1]
                config = config_row[2]
                found = stored.get((k, cid))
                if found is not None:
                    value = found[2].get("value")
                elif config.get("is_hierarchical"):
                    value = self._inherited(k, data, cid, config.get("default"))
                else:
                    value = config.get("default")
                items.append((target.id, json.dumps([cid, k]), {
                    "configuration_id": cid, "entity_id": k, "key": config.get("key"),
                    "value": value, "project_id": data.get("project_id"),
                }))
            groups[k] = items
        return groups

    def _inherited(self, key: str, data: Dict[str, Any], config_id: str, default: Any) -> Any:
        """Value of a hierarchical attribute from the nearest ancestor that sets it."""
        ctx = self.schema.types.get("Context")
        cav = self.schema.types.get("CustomAttributeValue")
        if ctx is None or cav is None:
            return default
        memo = self._inherit_memo
        walked: List[str] = []
        parent_id = data.get("parent_id")
        seen = {key}
        result: Any = _MISSING
        while parent_id and parent_id not in seen:
            if (config_id, parent_id) in memo:
                result = memo[(config_id, parent_id)]
                break
            seen.add(parent_id)
            walked.append(parent_id)
            found = self.db.get(cav.family, json.dumps([config_id, parent_id]))
            if found is not None:
                result = found[2].get("value")
                break
            if parent_id not in self._parents:
                parent = self.db.get(ctx.family, parent_id)
                self._parents[parent_id] = parent[2].get("parent_id") if parent else None
            parent_id = self._parents[parent_id]
        for node in walked:  # every node on the way up resolves to the same answer
            memo[(config_id, node)] = result
        return default if result is _MISSING else result

    def _cav_object(self, row: Row) -> Dict[str, Any]:
        ty, _k, data = row
        obj = {"__entity_type__": ty}
        t = self.schema.types[ty]
        for name in ("configuration_id", "entity_id", "key", "value"):
            if name in t.attributes:
                obj[name] = data.get(name)
        if "project_id" in t.system_projections:
            obj["project_id"] = data.get("project_id")
        return obj


__all__ = ["RawJSON", "Reader", "dumps_results", "key_of", "key_from_values", "col"]
