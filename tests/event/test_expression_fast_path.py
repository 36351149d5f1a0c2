"""The regular-expression fast path of the expression parser agrees with the full grammar.

``ftrack_api.event.expression`` parses plain ``and`` chains without pyparsing and
hands everything else to the pyparsing grammar.  These tests hold the fast path to
the grammar: whenever it accepts a text, the grammar must accept it too and build
the same tree; whenever the grammar rejects a text, the fast path must decline it.
"""
from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ftrack_api.event import expression
from ftrack_api.event.expression import All, Any as AnyExpression, Condition, Not, Parser
from ftrack_api.exception import ParseError


def tree(node: Any) -> Any:
    """A comparable nested tuple for an expression tree."""
    if isinstance(node, Condition):
        return ("condition", node._key, node._operator, node._value)
    if isinstance(node, Not):
        return ("not", tree(node._expression))
    if isinstance(node, All):
        return ("all",) + tuple(tree(child) for child in node._expressions)
    if isinstance(node, AnyExpression):
        return ("any",) + tuple(tree(child) for child in node._expressions)
    raise AssertionError("unexpected node {0!r}".format(node))


def full_grammar(text: str) -> Any:
    """The grammar's tree, or ``None`` when it rejects *text*."""
    try:
        return tree(expression._parse_with_pyparsing(text))
    except ParseError:
        return None


def check_agreement(text: str) -> None:
    fast = expression._parse_simple(text)
    slow = full_grammar(text)
    if fast is not None:
        assert slow is not None, "fast path accepted {0!r}, grammar rejects it".format(text)
        assert tree(fast) == slow, text


ACCEPTED = [
    ("topic=ftrack.update", ("condition", "topic", "=", "ftrack.update")),
    ("  topic = ftrack.*  ", ("condition", "topic", "=", "ftrack.*")),
    ("data.n>=5", ("condition", "data.n", ">=", "5")),
    ("data.n<5", ("condition", "data.n", "<", "5")),
    ("data.n!=-1.5", ("condition", "data.n", "!=", "-1.5")),
    ('data.name="a b (c) or d"', ("condition", "data.name", "=", "a b (c) or d")),
    ("data.name='say \"hi\"'", ("condition", "data.name", "=", 'say "hi"')),
    ('data.name=""', ("condition", "data.name", "=", "")),
    (
        'topic=ftrack.storage-scenario.activate and data.storage_scenario.scenario="ftrack.centralized-storage"',
        (
            "all",
            ("condition", "topic", "=", "ftrack.storage-scenario.activate"),
            ("condition", "data.storage_scenario.scenario", "=", "ftrack.centralized-storage"),
        ),
    ),
    (
        "topic=a AND source.user.username=bob\tand\nid=x@y+z,w/v",
        (
            "all",
            ("condition", "topic", "=", "a"),
            ("condition", "source.user.username", "=", "bob"),
            ("condition", "id", "=", "x@y+z,w/v"),
        ),
    ),
]


@pytest.mark.parametrize("text, expected", ACCEPTED)
def test_fast_path_accepts_plain_and_chains_and_builds_the_grammar_tree(text, expected):
    fast = expression._parse_simple(text)
    assert fast is not None
    assert tree(fast) == expected
    assert full_grammar(text) == expected


DECLINED = [
    "topic=a or topic=b",
    "not topic=a",
    "(topic=a)",
    "topic=a and (data.x=1 or data.y=2)",
    'data.name="with \\" escape"',
    'data.name="two\nlines"',
    'data.name="a\tb"',  # pyparsing expands the tab to spaces
    'topic="a"and data.x=1',  # no space before "and": left to the grammar
    "not.x=1",  # the grammar reads "not" + ".x=1"
    "topic=a and not.x=1",
    "order=1",  # starts with a keyword: declined, the grammar decides
    "topic=and",
    "topic=a and",
    "topic=a andb=2",
    "topic=",
    "=a",
    "topic==a",
    "topic=a b",
    "tøpic=a",
    "topic=a\f",
]


@pytest.mark.parametrize("text", DECLINED)
def test_fast_path_declines_everything_else_and_the_grammar_decides(text):
    assert expression._parse_simple(text) is None
    check_agreement(text)


def test_parser_results_are_the_same_through_either_path():
    parser = Parser()
    for text, expected in ACCEPTED:
        assert tree(parser.parse(text)) == expected
    assert tree(parser.parse("topic=a or not data.x>1")) == (
        "any",
        ("condition", "topic", "=", "a"),
        ("not", ("condition", "data.x", ">", "1")),
    )
    with pytest.raises(ParseError):
        parser.parse("topic=a and")


TOKENS = st.sampled_from(
    [
        "topic", "data.x", "a", "not", "and", "or", "AND", "Or", "nOt", "order", "not.x",
        "=", "!=", ">=", "<=", ">", "<", "==", "!",
        "1", "-2.5", "ftrack.*", "x@y", '"q"', '"a b"', "'s'", '""', "'\"'", '"\\""', '"',
        "(", ")", " ", "  ", "\t", "\n", "\r", "\f", ",", "é", "$", "_",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(TOKENS, max_size=12).map("".join))
def test_fast_path_never_disagrees_with_the_grammar(text):
    check_agreement(text)


CONDITION = st.tuples(
    st.sampled_from(["topic", "data.n", "source.user.username", "id", "data.a_b"]),
    st.sampled_from(["=", "!=", ">=", "<=", ">", "<", " = ", "\t!= "]),
    st.one_of(
        st.from_regex(r"[A-Za-z0-9_,./*@+-]{1,8}", fullmatch=True),
        st.from_regex(r'"[^"\\\t\r\n]{0,8}"', fullmatch=True),
        st.from_regex(r"'[^'\\\t\r\n]{0,8}'", fullmatch=True),
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(CONDITION, min_size=1, max_size=5),
    st.sampled_from([" and ", " AND ", "\tand\n", "  And  "]),
)
def test_generated_and_chains_take_the_fast_path_with_the_grammar_tree(conditions, joiner):
    text = joiner.join(field + op + value for field, op, value in conditions)
    fast = expression._parse_simple(text)
    if any(value.lower() in ("and", "or", "not") for _, _, value in conditions):
        assert fast is None  # a bare keyword value is left to the grammar
        return
    assert fast is not None, text
    assert tree(fast) == full_grammar(text)
