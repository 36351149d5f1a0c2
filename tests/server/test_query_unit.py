"""Pure tests of the query parser (AST) and compiler (parameterised SQL)."""
from __future__ import annotations

import pytest

from ftrack_api.testing._errors import QueryError
from ftrack_api.testing._query_compiler import Compiler
from ftrack_api.testing._query_parser import (And, Condition, Not, Or, Order, Path, Projection,
                                              Query, Value, parse)
from ftrack_api.testing._schema import SchemaSet
from ftrack_api.testing._schemas_default import default_schemas


@pytest.fixture(scope="module")
def schema() -> SchemaSet:
    return SchemaSet(default_schemas())


def test_full_query_ast() -> None:
    q = parse('select name, status.name from Task where (a is "x"and b >= 2) or not c any () '
              "order by name desc, bid offset 2 limit 3")
    assert q == Query(
        "Task", 30,
        (Projection(Path(("name",), 7)), Projection(Path(("status", "name"), 13))),
        Or((And((Condition(Path(("a",), 42), "is", Value("x", "x", True, 47), 44),
                 Condition(Path(("b",), 54), ">=", Value(2, "2", False, 59), 56))),
            Not(Condition(Path(("c",), 69), "any", None, 71)))),
        (), (Order(Path(("name",), 87), True), Order(Path(("bid",), 98), False)), 2, 3)


@pytest.mark.parametrize("text, value", [
    ("none", None), ("None", None), ("null", None), ("true", True), ("False", False),
    ("12", 12), ("-1.5", -1.5), ('"a \\"b\\""', 'a "b"'), ("'single'", "single"),
    ("3a372bde-05bc-11e4-8908-20c9d081909b", "3a372bde-05bc-11e4-8908-20c9d081909b"),
    ("user@example.com", "user@example.com"),
])
def test_value_literals(text: str, value) -> None:
    cond = parse(f"Task where x is {text}").where
    assert isinstance(cond, Condition) and cond.value.value == value


def test_in_with_list_and_subquery() -> None:
    cond = parse("Task where id in (T1,T2, 'T3')").where
    assert [v.value for v in cond.value] == ["T1", "T2", "T3"]
    sub = parse("Task where id in (select task_id from AssetVersion where version > 1)").where
    assert isinstance(sub.value, Query) and sub.value.entity_type == "AssetVersion"


@pytest.mark.parametrize("text", ["Task where", "Task where name", "Task where name is",
                                  "select name Task", "Task limit", "Task order name",
                                  "Task where (name is a", "Task where name is a)"])
def test_syntax_errors(text: str) -> None:
    with pytest.raises(QueryError) as info:
        parse(text)
    assert "position" in info.value.content


def test_compiled_sql_binds_every_value(schema: SchemaSet) -> None:
    hostile = "'; DROP TABLE entity; --"
    q = parse(f'Task where name is "{hostile}" and parent.name in ("a", "b") and bid > 3 '
              f'and custom_attributes any (key is k and value is "1001")')
    compiler = Compiler(schema)
    sql, t = compiler.root(q)
    assert t.id == "Task"
    assert hostile not in sql and "1001" not in sql and "'a'" not in sql
    assert hostile in compiler.params.values() and "1001" in compiler.params.values()
    assert sql.count(":p") == len(compiler.params)


def test_unknown_names_raise(schema: SchemaSet) -> None:
    with pytest.raises(QueryError, match="Unknown entity type 'Nope'"):
        Compiler(schema).root(parse("Nope"))
    with pytest.raises(QueryError, match="no attribute 'nope'"):
        Compiler(schema).root(parse("Task where parent.nope is 1"))


def test_schema_relations(schema: SchemaSet) -> None:
    task = schema.get("Task")
    assert schema.foreign_key(task, "parent") == "parent_id"
    assert schema.foreign_key(task, "status") == "status_id"
    assert schema.foreign_key(schema.get("Note"), "author") == "user_id"
    assert schema.foreign_key(schema.get("Asset"), "parent") == "context_id"
    assert schema.relation(schema.get("Asset"), "versions").fk == "asset_id"
    assert schema.relation(task, "children").fk == "parent_id"
    assert schema.relation(task, "timelogs").fk == "context_id"
    assert schema.relation(task, "notes").fk == "parent_id"
    assert schema.relation(schema.get("WorkflowSchema"), "statuses").through == "WorkflowSchemaStatus"
    assert schema.get("Shot").family == "Context" and schema.get("Shot").base == "TypedContext"
    assert set(schema.get("Context").subtypes) >= {"Project", "TypedContext", "Task", "Shot"}
    assert schema.get("FileComponent").base == "Component"
    assert schema.get("ContextCustomAttributeValue").base == "CustomAttributeValue"


def test_real_schema_relations(real_schemas_path) -> None:
    import json

    schema = SchemaSet(json.loads(real_schemas_path.read_text()))
    assert len(schema.types) == 116
    task = schema.get("Task")
    assert schema.get("TypedContextList").base == "List"
    assert schema.get("Shot").classifiers == {
        "object_type_id": "bad911de-3bd6-47b9-8b46-3476e237cb36"}
    assert schema.get("Task").system_projections == ["project_id", "context_type"]
    assert schema.get("AssetVersion").system_projections == ["asset_id"]
    assert schema.foreign_key(schema.get("Status"), "state") == "state_id"
    assert schema.relation(task, "assignments").filters == (("type", "assignment"),)
