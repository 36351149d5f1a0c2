"""Subscription expression language (pure, no server)."""
from __future__ import annotations

import operator
import threading

import pytest

from ftrack_api.event.base import Event
from ftrack_api.event.expression import All, Any, Condition, Expression, Not, Parser
from ftrack_api.exception import ParseError


@pytest.fixture
def parser() -> Parser:
    return Parser()


def event(**kwargs):
    return Event(**kwargs)


@pytest.mark.parametrize(
    "text, candidate, expected",
    [
        ("topic=test.ping", {"topic": "test.ping"}, True),
        ("topic=test.ping", {"topic": "test.pong"}, False),
        ("topic=ftrack.*", {"topic": "ftrack.update"}, True),
        ("topic=ftrack.*", {"topic": "xftrack.update"}, False),  # prefix, not substring
        ("topic!=ftrack.*", {"topic": "other"}, True),
        ('source.user.username="jane"', {"source": {"user": {"username": "jane"}}}, True),
        ("source.user.username='jane doe'", {"source": {"user": {"username": "jane doe"}}}, True),
        ("source.user.username=jane", {"source": {}}, False),  # missing key
        ("source.user.username!=jane", {"source": {}}, False),  # missing key never matches
        ("data.n=1", {"data": {"n": 1}}, True),
        ("data.n=1", {"data": {"n": 1.0}}, True),
        ("data.n=1", {"data": {"n": 2}}, False),
        ("data.n=1", {"data": {"n": "1"}}, True),
        ("data.n>1", {"data": {"n": 10}}, True),
        ("data.n<=1.5", {"data": {"n": 1}}, True),
        ("data.n>=abc", {"data": {"n": 1}}, False),  # never crashes
        ("data.n!=abc", {"data": {"n": 1}}, True),
        ("data.n>1", {"data": {"n": None}}, False),
        ("data.n>1", {"data": {"n": [1, 2]}}, False),
        ("data.n>1", {"data": {"n": {"a": 1}}}, False),
        ("data.n.x=1", {"data": {"n": 5}}, False),  # walking into a non-mapping
        ("data.flag=true", {"data": {"flag": True}}, True),
        ("data.flag=False", {"data": {"flag": False}}, True),
        ("data.flag=1", {"data": {"flag": True}}, False),
        ("data.s>b", {"data": {"s": "c"}}, True),
        ("topic=a and data.n=1", {"topic": "a", "data": {"n": 1}}, True),
        ("topic=a AND data.n=1", {"topic": "a", "data": {"n": 2}}, False),
        ("topic=a or topic=b", {"topic": "b"}, True),
        ("not topic=a", {"topic": "b"}, True),
        ("NOT (topic=a or topic=b)", {"topic": "b"}, False),
        ("topic=a or topic=b and data.n=1", {"topic": "a", "data": {}}, True),  # and binds tighter
        ("(topic=a or topic=b) and data.n=1", {"topic": "a", "data": {}}, False),
        ("id=abc-123_x@y.z+w,v/u", {"id": "abc-123_x@y.z+w,v/u"}, True),
    ],
)
def test_matching(parser, text, candidate, expected):
    assert parser.parse(text).match(candidate) is expected


def test_matches_events(parser):
    expression = parser.parse("topic=test.ping and data.n=1")
    assert expression.match(event(topic="test.ping", data={"n": 1}))
    assert not expression.match(event(topic="test.ping", data={"n": 2}))


@pytest.mark.parametrize("text", ["", "   ", "topic=", "=a", "topic=a and", "(topic=a", "topic~a", "a=b c=d"])
def test_invalid_expressions_raise_parse_error(parser, text):
    with pytest.raises(ParseError):
        parser.parse(text)


def test_non_string_raises_type_error(parser):
    with pytest.raises(TypeError):
        parser.parse(None)  # type: ignore[arg-type]


def test_structure_and_str(parser):
    expression = parser.parse("topic=a and not data.x>1 or id=z")
    assert str(expression) == (
        "<Any [<All [<Condition topic=a> <Not <Condition data.x>1>>]> <Condition id=z>]>"
    )
    assert isinstance(expression, Any)


def test_building_blocks():
    assert Expression().match({}) is True
    assert All().match({}) is True
    assert Any().match({}) is False
    assert Not(Expression()).match({}) is False
    assert Condition("a", operator.eq, "1").match({"a": "1"})
    assert str(Condition("a", operator.ne, "1")) == "<Condition a!=1>"
    with pytest.raises(ValueError):
        Condition("a", "~", "1")


def test_thread_safe_parsing(parser):
    texts = ["topic=t{0} and data.n>{0} or not id=x{0}".format(i) for i in range(60)]
    errors = []
    barrier = threading.Barrier(6)

    def work():
        barrier.wait()
        for _ in range(3):
            for i, text in enumerate(texts):
                try:
                    expr = Parser().parse(text)
                    assert expr.match({"topic": "t{0}".format(i), "data": {"n": i}, "id": "y"})
                except Exception as error:  # pragma: no cover - reported below
                    errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
