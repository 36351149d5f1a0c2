"""Tokenizer and recursive-descent parser for ftrack's query language.

The result is an AST of frozen dataclasses. Every error is a :class:`QueryError`
naming the problem and its character position in the expression.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple, Union

from ._errors import QueryError

MAX_DEPTH = 256

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op>!=|>=|<=|=|>|<)
  | (?P<punct>[(),])
  | (?P<word>[^\s(),"'=!<>]+)
""", re.VERBOSE | re.DOTALL)

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Largest offset/limit (SQLite integers are 64-bit).
_MAX_INTEGER = 2 ** 63 - 1

OPERATORS = {
    "is": "is", "=": "is", "is_not": "is_not", "!=": "is_not",
    "after": ">", ">": ">", "greater_than": ">", "before": "<", "<": "<", "less_than": "<",
    ">=": ">=", "<=": "<=", "like": "like", "not_like": "not_like",
    "in": "in", "not_in": "not_in", "has": "has", "any": "any",
}
AGGREGATES = ("count", "sum", "avg", "min", "max")


@dataclass(frozen=True)
class Token:
    kind: str  # string | op | punct | word | end
    text: str
    pos: int


@dataclass(frozen=True)
class Path:
    parts: Tuple[str, ...]
    pos: int

    def __str__(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class Value:
    value: Any
    raw: str
    quoted: bool
    pos: int


@dataclass(frozen=True)
class Condition:
    path: Path
    op: str
    value: Any  # Value | tuple of Value | Query | criteria (has/any) | None
    pos: int


@dataclass(frozen=True)
class Not:
    operand: "Criteria"


@dataclass(frozen=True)
class And:
    operands: Tuple["Criteria", ...]


@dataclass(frozen=True)
class Or:
    operands: Tuple["Criteria", ...]


Criteria = Union[Condition, Not, And, Or]


@dataclass(frozen=True)
class Projection:
    path: Path
    aggregate: Optional[str] = None


@dataclass(frozen=True)
class Order:
    path: Path
    descending: bool


@dataclass(frozen=True)
class Query:
    entity_type: str
    type_pos: int
    projections: Tuple[Projection, ...]
    where: Optional[Criteria]
    group_by: Tuple[Path, ...]
    order_by: Tuple[Order, ...]
    offset: Optional[int]
    limit: Optional[int]


def tokenize(text: str) -> List[Token]:
    tokens: List[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            char = text[pos]
            if char in "\"'":
                raise QueryError(f"Unterminated quoted string starting at position {pos}.")
            raise QueryError(f"Unexpected character {char!r} at position {pos}.")
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body,
                  flags=re.DOTALL)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    # -- helpers ------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        tok = self.tokens[self.index]
        if tok.kind != "end":
            self.index += 1
        return tok

    def is_kw(self, *words: str) -> bool:
        return self.tok.kind == "word" and self.tok.text.lower() in words

    def error(self, message: str, tok: Optional[Token] = None) -> QueryError:
        tok = tok or self.tok
        found = "end of query" if tok.kind == "end" else repr(tok.text)
        return QueryError(f"{message} at position {tok.pos} (found {found}) in query "
                          f"{self.text!r}.")

    def expect_kw(self, word: str) -> Token:
        if not self.is_kw(word):
            raise self.error(f"Expected {word!r}")
        return self.advance()

    def expect_punct(self, char: str) -> Token:
        if self.tok.kind != "punct" or self.tok.text != char:
            raise self.error(f"Expected {char!r}")
        return self.advance()

    def name(self, what: str) -> Token:
        tok = self.tok
        if tok.kind != "word" or not _NAME.match(tok.text):
            raise self.error(f"Expected {what}")
        return self.advance()

    def path(self) -> Path:
        tok = self.tok
        if tok.kind != "word":
            raise self.error("Expected an attribute path")
        parts = tok.text.split(".")
        if not all(_NAME.match(p) for p in parts):
            raise self.error("Invalid attribute path")
        self.advance()
        return Path(tuple(parts), tok.pos)

    def integer(self, what: str) -> int:
        tok = self.tok
        if tok.kind != "word" or not (tok.text.isascii() and tok.text.isdigit()):
            raise self.error(f"Expected a non-negative integer after {what!r}")
        if len(tok.text) > 19 or int(tok.text) > _MAX_INTEGER:
            raise self.error(f"Value after {what!r} is too large (at most {_MAX_INTEGER})")
        self.advance()
        return int(tok.text)

    # -- grammar ------------------------------------------------------------------------
    def query(self, nested: bool = False) -> Query:
        projections: List[Projection] = []
        if self.is_kw("select"):
            self.advance()
            projections.append(self.projection())
            while self.tok.kind == "punct" and self.tok.text == ",":
                self.advance()
                projections.append(self.projection())
            self.expect_kw("from")
        type_tok = self.name("an entity type")
        where = None
        group_by: List[Path] = []
        order_by: List[Order] = []
        offset = limit = None
        if self.is_kw("where"):
            self.advance()
            where = self.criteria()
        while True:
            if self.is_kw("group"):
                self.advance()
                self.expect_kw("by")
                group_by.append(self.path())
                while self.tok.kind == "punct" and self.tok.text == ",":
                    self.advance()
                    group_by.append(self.path())
            elif self.is_kw("order"):
                self.advance()
                self.expect_kw("by")
                order_by.append(self.order())
                while self.tok.kind == "punct" and self.tok.text == ",":
                    self.advance()
                    order_by.append(self.order())
            elif self.is_kw("offset") and offset is None:
                self.advance()
                offset = self.integer("offset")
            elif self.is_kw("limit") and limit is None:
                self.advance()
                limit = self.integer("limit")
            else:
                break
        if not nested and self.tok.kind != "end":
            raise self.error("Unexpected text")
        return Query(type_tok.text, type_tok.pos, tuple(projections), where, tuple(group_by),
                     tuple(order_by), offset, limit)

    def projection(self) -> Projection:
        if self.is_kw("from"):
            raise self.error("Expected an attribute path")
        if self.is_kw(*AGGREGATES) and self.tokens[self.index + 1].text == "(":
            agg = self.advance().text.lower()
            self.expect_punct("(")
            path = self.path()
            self.expect_punct(")")
            return Projection(path, agg)
        return Projection(self.path())

    def order(self) -> Order:
        path = self.path()
        descending = False
        if self.is_kw("asc", "ascending"):
            self.advance()
        elif self.is_kw("desc", "descending"):
            self.advance()
            descending = True
        return Order(path, descending)

    def criteria(self) -> Criteria:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"Criteria nested deeper than {MAX_DEPTH} levels")
        try:
            operands = [self.and_expr()]
            while self.is_kw("or"):
                self.advance()
                operands.append(self.and_expr())
            return operands[0] if len(operands) == 1 else Or(tuple(operands))
        finally:
            self.depth -= 1

    def and_expr(self) -> Criteria:
        operands = [self.not_expr()]
        while self.is_kw("and"):
            self.advance()
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def not_expr(self) -> Criteria:
        if self.is_kw("not") and self.tokens[self.index + 1].kind in ("word", "punct"):
            nxt = self.tokens[self.index + 1]
            if nxt.kind == "word" or nxt.text == "(":
                self.advance()
                return Not(self.not_expr_inner())
        return self.atom()

    def not_expr_inner(self) -> Criteria:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"Criteria nested deeper than {MAX_DEPTH} levels")
        try:
            return self.not_expr()
        finally:
            self.depth -= 1

    def atom(self) -> Criteria:
        if self.tok.kind == "punct" and self.tok.text == "(":
            self.advance()
            inner = self.criteria()
            self.expect_punct(")")
            return inner
        return self.condition()

    def condition(self) -> Condition:
        path = self.path()
        op_tok = self.tok
        op = OPERATORS.get(op_tok.text.lower()) if op_tok.kind in ("word", "op") else None
        if op is None:
            raise self.error(f"Expected an operator after {str(path)!r}")
        self.advance()
        if op in ("has", "any"):
            self.expect_punct("(")
            inner = None
            if not (self.tok.kind == "punct" and self.tok.text == ")"):
                inner = self.criteria()
            self.expect_punct(")")
            return Condition(path, op, inner, op_tok.pos)
        if op in ("in", "not_in"):
            self.expect_punct("(")
            if self.is_kw("select"):
                sub = self.query(nested=True)
                self.expect_punct(")")
                return Condition(path, op, sub, op_tok.pos)
            values: List[Value] = []
            if not (self.tok.kind == "punct" and self.tok.text == ")"):
                values.append(self.value())
                while self.tok.kind == "punct" and self.tok.text == ",":
                    self.advance()
                    values.append(self.value())
            self.expect_punct(")")
            return Condition(path, op, tuple(values), op_tok.pos)
        return Condition(path, op, self.value(), op_tok.pos)

    def value(self) -> Value:
        tok = self.tok
        if tok.kind == "string":
            self.advance()
            return Value(_unquote(tok.text), _unquote(tok.text), True, tok.pos)
        if tok.kind != "word":
            raise self.error("Expected a value")
        self.advance()
        low = tok.text.lower()
        if low in ("none", "null"):
            return Value(None, tok.text, False, tok.pos)
        if low in ("true", "false"):
            return Value(low == "true", tok.text, False, tok.pos)
        if _NUMBER.match(tok.text):
            number = float(tok.text)
            if re.match(r"^[+-]?\d+$", tok.text):
                number = int(tok.text)
            return Value(number, tok.text, False, tok.pos)
        return Value(tok.text, tok.text, False, tok.pos)


def parse(text: Any) -> Query:
    """Parse a query expression into a :class:`Query`."""
    if not isinstance(text, str):
        raise QueryError(f"Query expression must be a string, got {type(text).__name__}.")
    if not text.strip():
        raise QueryError("Query expression is empty.")
    return _Parser(text).query()
