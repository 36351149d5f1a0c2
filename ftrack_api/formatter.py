"""Readable, optionally coloured, multi-line rendering of entities.

:func:`format` renders an entity as its type followed by one line per
attribute. Colours (via :mod:`termcolor`) are used only when the terminal is
likely to support them; see :func:`_can_do_colors`.

Unlike the official client, the ``formatters`` mapping passed in is never
modified.
"""
from __future__ import annotations

import datetime
import os
import sys
from collections.abc import Iterable, Mapping
from typing import Any, Callable, Dict, Optional, Set

from ftrack_api.symbol import NOT_SET

__all__ = ["FILTER", "format"]

#: Ready-made attribute filters for :func:`format`'s ``attribute_filter``.
#: ``"ignore_unset"`` leaves out attributes whose value is ``NOT_SET``.
FILTER: Dict[str, Callable[[Any, str, Any], bool]] = {
    "ignore_unset": lambda entity, name, value: value is not NOT_SET,
}


def _can_do_colors() -> bool:
    """Return whether coloured output is likely to be displayed correctly.

    ``ANSI_COLORS_DISABLED`` or ``NO_COLOR`` in the environment turn colours
    off, ``FORCE_COLOR`` turns them on; otherwise colours are used when
    standard output is a terminal and ``TERM`` is not ``dumb``.
    """
    environ = os.environ
    if "ANSI_COLORS_DISABLED" in environ or "NO_COLOR" in environ:
        return False
    if "FORCE_COLOR" in environ:
        return True
    if environ.get("TERM") == "dumb":
        return False
    stream = sys.stdout
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except (ValueError, OSError):  # closed or detached stream
        return False


def _colored(text: str, color: Optional[str], on_color: Optional[str], attrs: list) -> str:
    import termcolor

    try:
        # termcolor >= 2.1 makes its own colour decision; ours has been made.
        return termcolor.colored(text, color, on_color, attrs=attrs, force_color=True)
    except TypeError:
        return termcolor.colored(text, color, on_color, attrs=attrs)


def _default_formatters() -> Dict[str, Callable[[str], str]]:
    if _can_do_colors():
        return {
            "header": lambda text: _colored(text, "white", "on_blue", ["bold"]),
            "label": lambda text: _colored(text, "blue", None, ["bold"]),
        }
    return {"header": str, "label": str}


def _is_entity(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(
        getattr(value, "entity_type", None), str
    )


def _is_collection(value: Any) -> bool:
    try:
        from ftrack_api.collection import Collection
    except Exception:  # pragma: no cover - collection module not available
        Collection = ()  # type: ignore[assignment,misc]
    if Collection and isinstance(value, Collection):
        return True
    return (
        not isinstance(value, (Mapping, str, bytes))
        and isinstance(value, Iterable)
        and hasattr(value, "entity")
        and hasattr(value, "attribute")
    )


def format(  # noqa: A001 - official name, shadows the builtin in this module only.
    entity: Any,
    formatters: Optional[Mapping[str, Callable[[str], str]]] = None,
    attribute_filter: Optional[Callable[[Any, str, Any], bool]] = None,
    recursive: bool = False,
    indent: int = 0,
    indent_first_line: bool = True,
    _seen: Optional[Set[int]] = None,
) -> str:
    """Return a multi-line, human readable rendering of *entity*.

    The first line is the entity type (passed through the ``header``
    formatter), followed by one ``<label>: <value>`` line per attribute in
    name order; reading the attributes may auto-populate them.

    *formatters* may supply ``header`` and ``label`` callables (text to
    text); missing ones default to coloured text when the terminal supports
    it (see :func:`_can_do_colors`). The mapping itself is not modified.

    *attribute_filter* ``(entity, name, value) -> bool`` keeps only the
    attributes it returns true for (see :data:`FILTER`). Nested entities are
    rendered inline; entity collections are expanded only when *recursive*.
    An entity already being rendered higher up on the same path is shown as
    ``<type>{...}``. *indent* is the number of spaces before every line (the
    first one only if *indent_first_line*).
    """
    if not isinstance(indent, int) or indent < 0:
        raise ValueError(f"indent must be a non-negative integer, not {indent!r}.")
    if formatters is not None and not isinstance(formatters, Mapping):
        raise TypeError(
            f"formatters must be a mapping of callables, not {type(formatters).__name__}."
        )
    chosen: Dict[str, Callable[[str], str]] = dict(formatters or {})
    if "header" not in chosen or "label" not in chosen:
        defaults = _default_formatters()
        chosen.setdefault("header", defaults["header"])
        chosen.setdefault("label", defaults["label"])

    entity_type = getattr(entity, "entity_type", None)
    if entity_type is None:
        raise TypeError(
            f"format() needs an entity (a mapping with an entity_type), not {entity!r}."
        )

    seen = set(_seen) if _seen is not None else set()
    header = chosen["header"](str(entity_type))
    prefix = " " * indent if indent_first_line else ""
    if id(entity) in seen:
        return f"{prefix}{header}{{...}}"
    seen.add(id(entity))

    lines = [prefix + header]
    items = sorted(entity.items(), key=lambda item: item[0])
    for name, value in items:
        if attribute_filter is not None and not attribute_filter(entity, name, value):
            continue
        child_indent = indent + len(name) + 3
        if _is_entity(value):
            text = format(
                value,
                formatters=chosen,
                attribute_filter=attribute_filter,
                recursive=recursive,
                indent=child_indent,
                indent_first_line=False,
                _seen=seen,
            )
        elif recursive and _is_collection(value):
            rendered = []
            for position, child in enumerate(value):
                if _is_entity(child):
                    rendered.append(
                        format(
                            child,
                            formatters=chosen,
                            attribute_filter=attribute_filter,
                            recursive=recursive,
                            indent=child_indent,
                            indent_first_line=position != 0,
                            _seen=seen,
                        )
                    )
                else:
                    lead = " " * child_indent if position else ""
                    rendered.append(f"{lead}{child}")
            text = "\n".join(rendered)
        elif isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
            # ISO 8601, as the official client prints its Arrow values.
            text = value.isoformat()
        else:
            text = str(value)
        lines.append(f"{' ' * indent} {chosen['label'](name)}: {text}")
    return "\n".join(lines)
