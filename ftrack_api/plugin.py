"""Filesystem plugin discovery.

A plugin is a Python file defining a module-level ``register`` function. The
session calls :func:`discover` with its ``plugin_paths`` (or the directories
in ``FTRACK_EVENT_PLUGIN_PATH``); every ``*.py`` file found below those paths
is loaded and its ``register`` called with the session and those of the
session's ``plugin_arguments`` that ``register`` accepts.

Unlike the official client, a plugin whose ``register`` raises is logged and
skipped like one that fails to import: discovery always continues.
"""
from __future__ import annotations

import importlib.util
import logging
import os
import re
import sys
import types
import uuid
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

__all__ = ["discover", "load_source"]

logger = logging.getLogger(__name__)

_NOT_IDENTIFIER = re.compile(r"\W")


def load_source(modname: str, filename: Union[str, "os.PathLike[str]"]) -> types.ModuleType:
    """Execute the Python file *filename* as a module named *modname*.

    The module is returned and not kept in :data:`sys.modules` (it is only
    present there while its code runs). Errors raised by the file propagate.
    """
    if not isinstance(modname, str) or not modname:
        raise TypeError(f"load_source needs a module name, not {modname!r}.")
    path = os.fspath(filename)
    spec = importlib.util.spec_from_file_location(modname, path)
    if spec is None or spec.loader is None:
        raise ImportError(f'Cannot load "{path}" as Python source.', path=path)
    module = importlib.util.module_from_spec(spec)
    previous = sys.modules.get(modname)
    sys.modules[modname] = module
    try:
        spec.loader.exec_module(module)
    finally:
        if previous is None:
            sys.modules.pop(modname, None)
        else:
            sys.modules[modname] = previous
    return module


def _plugin_files(path: str) -> Iterable[str]:
    """Yield the ``*.py`` files below *path* in a stable order."""
    if os.path.isfile(path):
        if path.endswith(".py"):
            yield path
        return
    for directory, subdirectories, files in os.walk(path):
        subdirectories[:] = sorted(
            name for name in subdirectories if name != "__pycache__"
        )
        for name in sorted(files):
            if name.endswith(".py"):
                yield os.path.join(directory, name)


def _module_name(path: str) -> str:
    stem = _NOT_IDENTIFIER.sub("_", os.path.splitext(os.path.basename(path))[0])
    return f"ftrack_api_plugin_{stem}_{uuid.uuid4().hex}"


def _fit_arguments(
    register: Callable[..., Any],
    positional: Sequence[Any],
    keywords: Mapping[str, Any],
) -> Tuple[Tuple[Any, ...], Dict[str, Any], List[str], int]:
    """Trim the arguments to what *register* accepts.

    Return ``(args, kwargs, dropped keyword names, dropped positional count)``.
    """
    import inspect  # only when a plugin is registered (about 6 ms to import)

    try:
        signature = inspect.signature(register)
    except (TypeError, ValueError):
        return tuple(positional), dict(keywords), [], 0

    positional_names: List[str] = []
    keyword_names: List[str] = []
    var_positional = var_keyword = False
    for parameter in signature.parameters.values():
        kind = parameter.kind
        if kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            positional_names.append(parameter.name)
            if kind is parameter.POSITIONAL_OR_KEYWORD:
                keyword_names.append(parameter.name)
        elif kind is parameter.KEYWORD_ONLY:
            keyword_names.append(parameter.name)
        elif kind is parameter.VAR_POSITIONAL:
            var_positional = True
        else:
            var_keyword = True

    args = tuple(positional)
    dropped_positional = 0
    if not var_positional and len(args) > len(positional_names):
        dropped_positional = len(args) - len(positional_names)
        args = args[: len(positional_names)]

    filled = set(positional_names[: len(args)])
    kwargs: Dict[str, Any] = {}
    dropped: List[str] = []
    for name, value in keywords.items():
        if name in filled:
            dropped.append(name)
        elif var_keyword or name in keyword_names:
            kwargs[name] = value
        else:
            dropped.append(name)
    return args, kwargs, dropped, dropped_positional


def _register_plugin(
    path: str, positional: Sequence[Any], keywords: Mapping[str, Any]
) -> None:
    try:
        module = load_source(_module_name(path), path)
    except (Exception, SystemExit):
        logger.error('Failed to load plugin from "%s"; skipped.', path, exc_info=True)
        return

    register = getattr(module, "register", None)
    if register is None:
        logger.warning(
            'Plugin "%s" defines no register function; skipped.', path
        )
        return
    if not callable(register):
        logger.warning(
            'Plugin "%s": register is not callable (%r); skipped.', path, register
        )
        return

    args, kwargs, dropped, dropped_positional = _fit_arguments(
        register, positional, keywords
    )
    if dropped:
        logger.warning(
            'Plugin "%s": register() does not accept the argument(s) %s; '
            "they were not passed.",
            path,
            ", ".join(sorted(dropped)),
        )
    if dropped_positional:
        logger.warning(
            'Plugin "%s": register() accepts %d positional argument(s); '
            "the last %d given were not passed.",
            path,
            len(args),
            dropped_positional,
        )
    try:
        register(*args, **kwargs)
    except (Exception, SystemExit):
        logger.error(
            'Plugin "%s": register() raised an error; skipped.', path, exc_info=True
        )
        return
    logger.debug('Registered plugin "%s".', path)


def discover(
    paths: Union[str, Iterable[str]],
    positional_arguments: Optional[Sequence[Any]] = None,
    keyword_arguments: Optional[Mapping[str, Any]] = None,
) -> None:
    """Load every plugin found below *paths* and call its ``register``.

    *paths* is an iterable of directories (or single ``.py`` files); a single
    string is split on :data:`os.pathsep`. Each path is stripped of
    surrounding whitespace and empty ones are skipped; directories are walked
    recursively, in sorted order, for ``*.py`` files. Each file is executed as
    a module under a unique name.

    ``register`` receives *positional_arguments* as given (only the leading
    ones when it accepts fewer) and only those *keyword_arguments* its
    signature accepts; a ``**kwargs`` parameter takes them all. Dropped
    arguments are reported with a warning on the ``ftrack_api.plugin``
    logger naming the plugin file and the arguments.

    A file that fails to import, has no ``register``, or whose ``register``
    raises is logged (with its path and traceback) and skipped.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = os.fspath(paths).split(os.pathsep)
    if paths is None:
        raise TypeError("discover() needs an iterable of plugin paths, not None.")
    positional = list(positional_arguments) if positional_arguments is not None else []
    keywords: Mapping[str, Any] = (
        keyword_arguments if keyword_arguments is not None else {}
    )
    if not isinstance(keywords, Mapping):
        raise TypeError(
            "discover() keyword_arguments must be a mapping, "
            f"not {type(keywords).__name__}."
        )

    for raw_path in paths:
        if raw_path is None:
            continue
        path = os.fspath(raw_path).strip()
        if not path:
            continue
        if not os.path.exists(path):
            logger.warning('Plugin path "%s" does not exist; ignored.', path)
            continue
        for plugin_path in _plugin_files(path):
            _register_plugin(plugin_path, positional, keywords)
