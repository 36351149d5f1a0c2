"""A fast, drop-in replacement for the ftrack Python API."""
from __future__ import annotations

from typing import Any, Optional

from ftrack_api._version import __version__

__all__ = ["__version__", "Session", "mixin"]


def mixin(instance: Any, mixin_class: type, name: Optional[str] = None) -> None:
    """Mix *mixin_class* into *instance* by swapping its class.

    The new class has bases ``(mixin_class, original_class)`` and is named
    *name* (default: original class name followed by the mixin class name).
    Nothing happens when *mixin_class* is already part of the instance's MRO.
    """
    if mixin_class in type(instance).mro():
        return None
    original = instance.__class__
    if name is None:
        name = "{0}{1}".format(original.__name__, mixin_class.__name__)
    instance.__class__ = type(name, (mixin_class, original), {})
    return None


def __getattr__(name: str) -> Any:
    if name == "Session":
        from ftrack_api.session import Session

        return Session
    import importlib

    try:
        return importlib.import_module("ftrack_api." + name)
    except ImportError:
        raise AttributeError("module 'ftrack_api' has no attribute {0!r}".format(name)) from None
