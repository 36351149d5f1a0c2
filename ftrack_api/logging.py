"""Logging helpers.

This module shares its name with the standard library's :mod:`logging`; inside
the package it is always imported as ``ftrack_api.logging``.
"""
from __future__ import annotations

import functools
import warnings
from typing import Any, Callable, TypeVar

__all__ = ["deprecation_warning", "LazyLogMessage"]

_Function = TypeVar("_Function", bound=Callable[..., Any])


def deprecation_warning(message: str) -> Callable[[_Function], _Function]:
    """Return a decorator that warns with *message* whenever the function runs.

    The warning is a :exc:`PendingDeprecationWarning`; the decorated function
    keeps its name, docstring and other metadata.
    """
    if not isinstance(message, str):
        raise TypeError(
            f"deprecation_warning needs a message string, not {type(message).__name__}."
        )

    def decorator(function: _Function) -> _Function:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            warnings.warn(message, PendingDeprecationWarning, stacklevel=2)
            return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


class LazyLogMessage:
    """A log message formatted only when it is rendered.

    ``str(LazyLogMessage("{0} of {total}", 1, total=2))`` gives ``"1 of 2"``;
    the formatting (with :meth:`str.format`) happens only if a handler
    actually emits the record.
    """

    __slots__ = ("message", "args", "kwargs")

    def __init__(self, message: str, *args: Any, **kwargs: Any) -> None:
        #: The :meth:`str.format` template.
        self.message = message
        #: Positional values for the template.
        self.args = args
        #: Keyword values for the template.
        self.kwargs = kwargs

    def __str__(self) -> str:
        return self.message.format(*self.args, **self.kwargs)

    def __repr__(self) -> str:
        return f"LazyLogMessage({self.message!r})"
