"""Subscription and target expressions.

Grammar (case-insensitive keywords, precedence ``not`` > ``and`` > ``or``)::

    expression := term ("or" term)*
    term       := factor ("and" factor)*
    factor     := "not" factor | "(" expression ")" | condition
    condition  := field operator value
    field      := [A-Za-z0-9_.]+            (dotted path into the candidate)
    operator   := "=" | "!=" | ">=" | "<=" | ">" | "<"
    value      := "double quoted" | 'single quoted' | [A-Za-z0-9-_,./*@+]+

Matching rules:

* A field path walks nested mappings; a missing key anywhere means no match.
* ``=`` with a value ending in ``*`` is a *prefix* match (``topic=ftrack.*``);
  ``!=`` with such a value is its negation.
* When the candidate is a number the value is compared numerically; a value
  that is not a number never matches with ``=`` or a relational operator and
  always matches with ``!=``.  Comparisons never raise.
* Booleans compare to ``true``/``false`` (case-insensitive).
* Strings compare as strings.

The module is pure (no I/O) and safe to use from several threads: parsing is
serialised with a lock and parsed expressions are immutable and cached.
The local server reuses it for routing.

Start-up cost: importing this module does not import :mod:`pyparsing`.  The
common form - conditions joined by ``and`` with plain or quoted values (what
the session itself subscribes with) - is recognised by one regular expression
and builds exactly the tree the full grammar would; anything else (``or``,
``not``, parentheses, escapes, unusual spacing) goes to the pyparsing grammar,
which is imported and built on first use.
"""
from __future__ import annotations

import functools
import math
import operator as _operator_module
import re
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable, List, Mapping, Optional, Union

from ftrack_api.exception import ParseError

if TYPE_CHECKING:  # pragma: no cover - imported lazily at run time
    import pyparsing as pp

__all__ = ["Parser", "Expression", "All", "Any", "Not", "Condition"]

_SYMBOLS = ("=", "!=", ">=", "<=", ">", "<")

_FUNCTION_SYMBOLS = {
    _operator_module.eq: "=",
    _operator_module.ne: "!=",
    _operator_module.ge: ">=",
    _operator_module.le: "<=",
    _operator_module.gt: ">",
    _operator_module.lt: "<",
}

_MISSING = object()


class Expression:
    """Base expression: matches every candidate."""

    def match(self, candidate: Any) -> bool:
        """Return whether *candidate* matches this expression."""
        return True

    def __str__(self) -> str:
        return "<{0}>".format(type(self).__name__)

    __repr__ = __str__


class All(Expression):
    """Match when every sub-expression matches (an empty list matches)."""

    def __init__(self, expressions: Optional[Iterable[Expression]] = None) -> None:
        self._expressions: List[Expression] = list(expressions or [])

    def match(self, candidate: Any) -> bool:
        return all(expression.match(candidate) for expression in self._expressions)

    def __str__(self) -> str:
        return "<{0} [{1}]>".format(
            type(self).__name__, " ".join(str(e) for e in self._expressions)
        )

    __repr__ = __str__


class Any(Expression):  # noqa: A001 - official name
    """Match when at least one sub-expression matches (an empty list never does)."""

    def __init__(self, expressions: Optional[Iterable[Expression]] = None) -> None:
        self._expressions: List[Expression] = list(expressions or [])

    def match(self, candidate: Any) -> bool:
        return any(expression.match(candidate) for expression in self._expressions)

    def __str__(self) -> str:
        return "<{0} [{1}]>".format(
            type(self).__name__, " ".join(str(e) for e in self._expressions)
        )

    __repr__ = __str__


class Not(Expression):
    """Negate *expression*."""

    def __init__(self, expression: Expression) -> None:
        self._expression = expression

    def match(self, candidate: Any) -> bool:
        return not self._expression.match(candidate)

    def __str__(self) -> str:
        return "<{0} {1}>".format(type(self).__name__, self._expression)

    __repr__ = __str__


class Condition(Expression):
    """Compare the value found at dotted *key* in a candidate with *value*.

    :param key: dotted path, for example ``data.n`` or ``source.user.username``.
    :param operator: one of ``= != >= <= > <`` (or the matching function from
        the :mod:`operator` module, as the official client passes).
    :param value: the expression's value (a string).
    """

    def __init__(
        self, key: str, operator: Union[str, Callable[[Any, Any], Any]], value: Any
    ) -> None:
        if callable(operator):
            symbol = _FUNCTION_SYMBOLS.get(operator)  # type: ignore[call-overload]
            if symbol is None:
                raise ValueError("Unsupported operator {0!r}.".format(operator))
            operator = symbol
        if operator not in _SYMBOLS:
            raise ValueError(
                "Unsupported operator {0!r}; expected one of {1}.".format(
                    operator, ", ".join(_SYMBOLS)
                )
            )
        self._key = key
        self._operator = operator
        self._value = value
        self._path = tuple(key.split("."))

    def match(self, candidate: Any) -> bool:
        found = _lookup(candidate, self._path)
        if found is _MISSING:
            return False
        return _compare(found, self._operator, self._value)

    def __str__(self) -> str:
        return "<{0} {1}{2}{3}>".format(
            type(self).__name__, self._key, self._operator, self._value
        )

    __repr__ = __str__


def _lookup(candidate: Any, path: tuple) -> Any:
    current = candidate
    for part in path:
        if not isinstance(current, Mapping):
            return _MISSING
        try:
            current = current[part]
        except (KeyError, TypeError):
            return _MISSING
    return current


def _as_number(text: Any) -> Optional[float]:
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return float(text)
    try:
        number = float(str(text).strip())
    except (TypeError, ValueError):
        return None
    return number


_RELATIONAL = {
    ">=": _operator_module.ge,
    "<=": _operator_module.le,
    ">": _operator_module.gt,
    "<": _operator_module.lt,
}


def _compare(found: Any, symbol: str, value: Any) -> bool:
    text = value if isinstance(value, str) else str(value)
    if symbol in ("=", "!=") and text.endswith("*"):
        matched = isinstance(found, str) and found.startswith(text[:-1])
        return matched if symbol == "=" else not matched
    if isinstance(found, bool):
        lowered = text.lower()
        if lowered not in ("true", "false"):
            return symbol == "!="
        equal = found == (lowered == "true")
        if symbol == "=":
            return equal
        if symbol == "!=":
            return not equal
        return False
    if isinstance(found, (int, float)):
        number = _as_number(text)
        if number is None or math.isnan(number) or math.isnan(float(found)):
            return symbol == "!="
        if symbol == "=":
            return float(found) == number
        if symbol == "!=":
            return float(found) != number
        return bool(_RELATIONAL[symbol](float(found), number))
    if isinstance(found, str):
        if symbol == "=":
            return found == text
        if symbol == "!=":
            return found != text
        return bool(_RELATIONAL[symbol](found, text))
    # None, mappings, lists: only inequality can hold.
    return symbol == "!="


# -- parser -------------------------------------------------------------

# Fast path: ``condition (and condition)*`` with the tokens of the full grammar
# below, separated by the whitespace pyparsing skips (space, tab, CR, LF).  It is
# deliberately narrower than the grammar: a quoted value must not contain a
# backslash, a tab or a line break (escapes, pyparsing's expansion of tabs to
# spaces and its single-line rule are left to pyparsing), ``and`` must have whitespace on both sides, and a field that
# starts with a keyword (or a bare value that is one) is left to pyparsing.  Whatever it does not match
# is parsed by pyparsing, so the two can only differ if this pattern accepts
# something the grammar reads differently; tests/event/test_expression_fast_path.py
# checks them against each other.
_CONDITION_RE = re.compile(
    r"([A-Za-z0-9_.]+)[ \t\r\n]*(!=|>=|<=|=|>|<)[ \t\r\n]*"
    r"""(?:"([^"\\\t\r\n]*)"|'([^'\\\t\r\n]*)'|([A-Za-z0-9_,./*@+-]+))"""
)
_AND_RE = re.compile(r"[ \t\r\n]+[Aa][Nn][Dd][ \t\r\n]+")
_SPACE_RE = re.compile(r"[ \t\r\n]*")
_KEYWORDS = ("and", "or", "not")


def _parse_simple(text: str) -> Optional[Expression]:
    """Return the tree of *text* when it is a plain ``and`` chain, else ``None``."""
    conditions: List[Expression] = []
    position = _SPACE_RE.match(text).end()  # type: ignore[union-attr]
    end = len(text)
    while True:
        match = _CONDITION_RE.match(text, position)
        if match is None:
            return None
        field, symbol, double, single, bare = match.groups()
        # pyparsing ends a keyword at any character that is not alphanumeric,
        # "_" or "$", so a field such as ``not.x`` reads as ``not`` + ``.x``.
        if field.lower().startswith(_KEYWORDS) or (
            bare is not None and bare.lower() in _KEYWORDS
        ):
            return None
        if double is not None:
            value = double
        elif single is not None:
            value = single
        else:
            value = bare
        conditions.append(Condition(field, symbol, value))
        position = match.end()
        separator = _AND_RE.match(text, position)
        if separator is not None:
            position = separator.end()
            continue
        if _SPACE_RE.match(text, position).end() != end:  # type: ignore[union-attr]
            return None
        break
    if len(conditions) == 1:
        return conditions[0]
    return All(conditions)


def _quoted(pp: Any, quote: str) -> "pp.ParserElement":
    # pyparsing 3 renamed its API (the camelCase names warn from 3.3 on); the
    # project still accepts pyparsing 2.4, so pick whichever spelling exists.
    if hasattr(pp, "infix_notation"):
        return pp.QuotedString(quote, esc_char="\\")
    return pp.QuotedString(quote, escChar="\\")  # pragma: no cover - pyparsing 2


def _build_grammar() -> "pp.ParserElement":
    import pyparsing as pp

    pp3 = hasattr(pp, "infix_notation")
    one_of = pp.one_of if pp3 else pp.oneOf
    infix = pp.infix_notation if pp3 else pp.infixNotation
    assoc = pp.OpAssoc if pp3 else pp.opAssoc

    field = pp.Word(pp.alphanums + "_.")
    operator = one_of(list(_SYMBOLS))
    bare = pp.Word(pp.alphanums + "-_,./*@+")
    value = _quoted(pp, '"') | _quoted(pp, "'") | bare
    condition = pp.Group(field + operator + value)
    (condition.add_parse_action if pp3 else condition.addParseAction)(
        lambda tokens: Condition(*tokens[0])
    )

    def combine(kind: type) -> Callable[["pp.ParseResults"], Expression]:
        def action(tokens: "pp.ParseResults") -> Expression:
            operands = list(tokens[0])[::2]
            return kind(operands)

        return action

    def negate(tokens: "pp.ParseResults") -> Expression:
        return Not(tokens[0][1])

    grammar = infix(
        condition,
        [
            (pp.CaselessKeyword("not"), 1, assoc.RIGHT, negate),
            (pp.CaselessKeyword("and"), 2, assoc.LEFT, combine(All)),
            (pp.CaselessKeyword("or"), 2, assoc.LEFT, combine(Any)),
        ],
    )
    return grammar + pp.StringEnd()


_GRAMMAR_LOCK = threading.Lock()
_GRAMMAR: "Optional[pp.ParserElement]" = None


def _grammar() -> "pp.ParserElement":
    global _GRAMMAR
    if _GRAMMAR is None:
        _GRAMMAR = _build_grammar()
    return _GRAMMAR


def _parse_with_pyparsing(text: str) -> Expression:
    """Parse *text* with the full grammar (imports pyparsing on first use)."""
    with _GRAMMAR_LOCK:
        grammar = _grammar()
        import pyparsing as pp

        try:
            if hasattr(grammar, "parse_string"):
                result = grammar.parse_string(text, parse_all=True)
            else:  # pragma: no cover - pyparsing 2
                result = grammar.parseString(text, parseAll=True)
        except pp.ParseBaseException as error:
            raise ParseError(
                "Failed to parse expression {0!r}: {1}".format(text, error)
            ) from None
        except RecursionError:
            result = None
    if result is None or _depth(result[0]) > _MAX_DEPTH:
        # Matching recurses once per level: a deeper tree would raise RecursionError
        # for every event (on the server: for every subscriber's every event).
        raise ParseError(
            "Failed to parse expression {0!r}: nested deeper than {1} levels.".format(
                text[:80], _MAX_DEPTH
            )
        )
    return result[0]


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str) -> Expression:
    simple = _parse_simple(text)
    if simple is not None:
        return simple
    return _parse_with_pyparsing(text)


#: Deepest nesting of not/and/or an expression may have.
_MAX_DEPTH = 100


def _depth(expression: Expression) -> int:
    """Nesting depth of *expression*, computed without recursion."""
    deepest = 0
    pending = [(expression, 1)]
    while pending:
        node, level = pending.pop()
        deepest = max(deepest, level)
        if deepest > _MAX_DEPTH:
            break
        if isinstance(node, Not):
            pending.append((node._expression, level + 1))
        elif isinstance(node, (All, Any)):
            pending.extend((child, level + 1) for child in node._expressions)
    return deepest


class Parser:
    """Parse expression strings into :class:`Expression` trees."""

    def parse(self, expression: str) -> Expression:
        """Return the :class:`Expression` for *expression*.

        :raises ftrack_api.exception.ParseError: if the text is not valid
            (including an empty string).
        :raises TypeError: if *expression* is not a string.
        """
        if not isinstance(expression, str):
            raise TypeError(
                "Expression must be a string, not {0!r}.".format(type(expression).__name__)
            )
        if not expression.strip():
            raise ParseError("Failed to parse an empty expression.")
        return _parse_cached(expression)
