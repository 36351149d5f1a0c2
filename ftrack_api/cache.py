"""Caches, key makers and memoisation.

The session keeps every entity it knows about in a cache. By default that is a
:class:`LayeredCache` whose first (shallowest) layer is a :class:`MemoryCache`;
users may add deeper layers, for example a :class:`SerialisedCache` around a
:class:`FileCache` so that entities survive between processes.

Every cache implements the small :class:`Cache` interface: :meth:`Cache.get`,
:meth:`Cache.set` and :meth:`Cache.remove`, where ``get`` and ``remove`` raise
:exc:`KeyError` for a missing key. :meth:`Cache.keys`, :meth:`Cache.values` and
:meth:`Cache.clear` are built on top of those.

:class:`Memoiser` stores the results of function calls in a cache, keyed by a
:class:`KeyMaker` (by default :class:`ObjectKeyMaker`).
"""
from __future__ import annotations

import abc
import copy
import functools
import os
import re
import threading
import types
from collections.abc import Iterable, Mapping
from typing import Any, Callable, Dict, List, Optional, Sequence, TypeVar, Union

__all__ = [
    "Cache",
    "ProxyCache",
    "LayeredCache",
    "MemoryCache",
    "FileCache",
    "SerialisedCache",
    "KeyMaker",
    "StringKeyMaker",
    "ObjectKeyMaker",
    "Memoiser",
    "memoise_decorator",
    "memoiser",
    "memoise",
]

_Function = TypeVar("_Function", bound=Callable[..., Any])


class Cache(abc.ABC):
    """Abstract interface of every cache.

    Subclasses implement :meth:`get`, :meth:`set` and :meth:`remove`, and
    :meth:`keys` when they can enumerate their content.
    """

    @abc.abstractmethod
    def get(self, key: Any) -> Any:
        """Return the value stored under *key*.

        Raise :exc:`KeyError` when *key* is not in the cache.
        """

    @abc.abstractmethod
    def set(self, key: Any, value: Any) -> None:
        """Store *value* under *key*, replacing any previous value."""

    @abc.abstractmethod
    def remove(self, key: Any) -> None:
        """Remove *key* from the cache.

        Raise :exc:`KeyError` when *key* is not in the cache.
        """

    def keys(self) -> List[Any]:
        """Return a list of the keys currently in the cache.

        Raise :exc:`NotImplementedError` when the cache cannot enumerate its
        keys (the default).
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not support listing its keys."
        )

    def values(self) -> List[Any]:
        """Return a list of the values currently in the cache.

        Keys that disappear while the values are collected are skipped.
        """
        values = []
        for key in self.keys():
            try:
                values.append(self.get(key))
            except KeyError:
                continue
        return values

    def clear(self, pattern: Optional[str] = None) -> None:
        """Remove every key, or only the keys matching *pattern*.

        *pattern* is a regular expression searched for (:func:`re.search`) in
        each key. Keys that vanish meanwhile are ignored.
        """
        matcher = re.compile(pattern) if pattern is not None else None
        for key in list(self.keys()):
            if matcher is not None:
                text = key.decode("utf-8", "replace") if isinstance(key, bytes) else key
                if not isinstance(text, str) or not matcher.search(text):
                    continue
            try:
                self.remove(key)
            except KeyError:
                pass


class ProxyCache(Cache):
    """Forward every call to another cache, :attr:`proxied`."""

    def __init__(self, proxied: Cache) -> None:
        if not isinstance(proxied, Cache):
            raise TypeError(
                f"ProxyCache needs a Cache instance to proxy, not {type(proxied).__name__}."
            )
        #: The cache calls are forwarded to.
        self.proxied = proxied
        super().__init__()

    def get(self, key: Any) -> Any:
        """Return the value of *key* from the proxied cache."""
        return self.proxied.get(key)

    def set(self, key: Any, value: Any) -> None:
        """Store *value* under *key* in the proxied cache."""
        self.proxied.set(key, value)

    def remove(self, key: Any) -> None:
        """Remove *key* from the proxied cache."""
        self.proxied.remove(key)

    def keys(self) -> List[Any]:
        """Return the keys of the proxied cache."""
        return self.proxied.keys()

    def clear(self, pattern: Optional[str] = None) -> None:
        """Clear the proxied cache (only keys matching *pattern* if given)."""
        self.proxied.clear(pattern=pattern)


class LayeredCache(Cache):
    """Several caches used as one, shallowest (fastest) first.

    * :meth:`get` returns the value from the first layer that has it and
      writes it back into every shallower layer that missed;
    * :meth:`set` writes every layer;
    * :meth:`remove` removes from every layer and raises :exc:`KeyError` only
      when no layer held the key.
    """

    def __init__(self, caches: Sequence[Cache]) -> None:
        caches = list(caches)
        for cache in caches:
            if not isinstance(cache, Cache):
                raise TypeError(
                    "LayeredCache layers must be Cache instances, "
                    f"got {type(cache).__name__}."
                )
        #: The layers, shallowest first. May be modified in place.
        self.caches: List[Cache] = caches
        super().__init__()

    def get(self, key: Any) -> Any:
        """Return the value of *key* from the shallowest layer that has it."""
        caches = self.caches
        missed = 0
        for cache in caches:
            try:
                value = cache.get(key)
            except KeyError:
                missed += 1
                continue
            if missed:
                for shallower in caches[:missed]:
                    shallower.set(key, value)
            return value
        raise KeyError(key)

    def set(self, key: Any, value: Any) -> None:
        """Store *value* under *key* in every layer."""
        for cache in self.caches:
            cache.set(key, value)

    def remove(self, key: Any) -> None:
        """Remove *key* from every layer; :exc:`KeyError` if none had it."""
        found = False
        for cache in self.caches:
            try:
                cache.remove(key)
            except KeyError:
                continue
            found = True
        if not found:
            raise KeyError(key)

    def keys(self) -> List[Any]:
        """Return the union of the keys of every layer (unordered)."""
        keys: set = set()
        for cache in self.caches:
            keys.update(cache.keys())
        return list(keys)

    def clear(self, pattern: Optional[str] = None) -> None:
        """Clear every layer (only keys matching *pattern* if given)."""
        for cache in self.caches:
            cache.clear(pattern=pattern)


class MemoryCache(Cache):
    """An in-process cache backed by a dict.

    Individual operations are atomic under CPython's GIL, so one instance can
    be shared by several threads.
    """

    __slots__ = ("_cache",)

    def __init__(self) -> None:
        self._cache: Dict[Any, Any] = {}
        super().__init__()

    def get(self, key: Any) -> Any:
        """Return the value of *key*; :exc:`KeyError` when missing."""
        return self._cache[key]

    def set(self, key: Any, value: Any) -> None:
        """Store *value* under *key*."""
        self._cache[key] = value

    def remove(self, key: Any) -> None:
        """Remove *key*; :exc:`KeyError` when missing."""
        del self._cache[key]

    def keys(self) -> List[Any]:
        """Return a list of the keys."""
        return list(self._cache)

    def values(self) -> List[Any]:
        """Return a list of the values."""
        return list(self._cache.values())

    def clear(self, pattern: Optional[str] = None) -> None:
        """Remove every key, or only those matching *pattern*."""
        if pattern is None:
            self._cache.clear()
        else:
            super().clear(pattern=pattern)


_FILE_LOCKS: Dict[str, threading.RLock] = {}
_FILE_LOCKS_GUARD = threading.Lock()


def _dbm() -> Any:
    """The :mod:`dbm` package, imported on first use (only :class:`FileCache`
    needs it, and most processes never build one)."""
    import dbm

    return dbm


def _lock_for(path: str) -> threading.RLock:
    with _FILE_LOCKS_GUARD:
        lock = _FILE_LOCKS.get(path)
        if lock is None:
            lock = _FILE_LOCKS[path] = threading.RLock()
        return lock


class FileCache(Cache):
    """A persistent cache stored in a :mod:`dbm` database at *path*.

    Whatever :mod:`dbm` backend is available is used; with ``dbm.dumb``
    several files (``path.dat``, ``path.dir``, ``path.bak``) are created.
    The database is created when the cache is constructed.

    Keys are strings (or bytes); values must be :class:`str` or
    :class:`bytes` and are returned as UTF-8 decoded :class:`str` (values that
    are not valid UTF-8 are returned as :class:`bytes`). Wrap the cache in a
    :class:`SerialisedCache` to store other objects.

    Thread-safety: the database is opened for each operation, under a lock
    shared by every :class:`FileCache` of the same path in this process, so
    threads may share one. Separate *processes* are not coordinated: do not
    write the same file from several processes at once.
    """

    def __init__(self, path: Union[str, "os.PathLike[str]"]) -> None:
        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
            raise TypeError(f"FileCache needs a file path, not {path!r}.")
        #: Path of the database (as given to :func:`dbm.open`).
        self.path = os.fspath(path)
        self._lock = _lock_for(os.path.abspath(self.path))
        with self._lock:
            _dbm().open(self.path, "c").close()
        super().__init__()

    @staticmethod
    def _encode_key(key: Any) -> bytes:
        if isinstance(key, bytes):
            return key
        if isinstance(key, str):
            return key.encode("utf-8")
        raise TypeError(
            f"FileCache keys must be str or bytes, not {type(key).__name__}."
        )

    def get(self, key: Any) -> Any:
        """Return the value of *key*; :exc:`KeyError` when missing."""
        raw_key = self._encode_key(key)
        with self._lock:
            with _dbm().open(self.path, "r") as database:
                try:
                    value = database[raw_key]
                except KeyError:
                    raise KeyError(key) from None
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value

    def set(self, key: Any, value: Union[str, bytes]) -> None:
        """Store *value* (``str`` or ``bytes``) under *key*."""
        raw_key = self._encode_key(key)
        if isinstance(value, str):
            value = value.encode("utf-8")
        elif not isinstance(value, (bytes, bytearray)):
            raise TypeError(
                f"FileCache values must be str or bytes, not {type(value).__name__}; "
                "wrap the cache in a SerialisedCache to store other objects."
            )
        with self._lock:
            with _dbm().open(self.path, "w") as database:
                database[raw_key] = bytes(value)

    def remove(self, key: Any) -> None:
        """Remove *key*; :exc:`KeyError` when missing."""
        raw_key = self._encode_key(key)
        with self._lock:
            with _dbm().open(self.path, "w") as database:
                try:
                    del database[raw_key]
                except KeyError:
                    raise KeyError(key) from None

    def keys(self) -> List[Any]:
        """Return the keys as strings."""
        with self._lock:
            with _dbm().open(self.path, "r") as database:
                raw_keys = list(database.keys())
        return [
            raw.decode("utf-8") if isinstance(raw, bytes) else raw for raw in raw_keys
        ]


class SerialisedCache(ProxyCache):
    """Serialise values before storing them in another cache.

    :attr:`encode` is applied to values before :meth:`set` and
    :attr:`decode` to values read by :meth:`get`. Either may be ``None``
    (no conversion).
    """

    def __init__(
        self,
        proxied: Cache,
        encode: Optional[Callable[[Any], Any]] = None,
        decode: Optional[Callable[[Any], Any]] = None,
    ) -> None:
        #: Callable turning a value into its stored form, or ``None``.
        self.encode = encode
        #: Callable turning a stored form back into a value, or ``None``.
        self.decode = decode
        super().__init__(proxied)

    def get(self, key: Any) -> Any:
        """Return the decoded value of *key*."""
        value = self.proxied.get(key)
        if self.decode is not None:
            value = self.decode(value)
        return value

    def set(self, key: Any, value: Any) -> None:
        """Encode *value* and store it under *key*."""
        if self.encode is not None:
            value = self.encode(value)
        self.proxied.set(key, value)


class KeyMaker(abc.ABC):
    """Build cache keys from arbitrary items."""

    #: Joins the keys of the individual items.
    item_separator: Any = ""

    def __init__(self) -> None:
        super().__init__()

    def key(self, *items: Any) -> Any:
        """Return one key made from *items*."""
        return self.item_separator.join(self._key(item) for item in items)

    @abc.abstractmethod
    def _key(self, obj: Any) -> Any:
        """Return the key of a single *obj*."""


class StringKeyMaker(KeyMaker):
    """Keys are ``str(item)``, joined with no separator."""

    def _key(self, obj: Any) -> str:
        return str(obj)


class ObjectKeyMaker(KeyMaker):
    """Keys are :class:`bytes` that identify objects by value.

    Strings, numbers and other plain values are pickled; mappings are keyed
    by their sorted items, other iterables item by item; functions, classes
    and methods by their qualified name and module (a method's instance is
    not part of the key). Objects that can be none of these and cannot be
    pickled raise :exc:`TypeError`.
    """

    _ITEM = b"\0"
    _MAPPING = b"\1"
    _PAIR = b"\2"
    _ITERABLE = b"\3"
    _NAME = b"\4"

    item_separator = _ITEM

    def _key(self, obj: Any) -> bytes:
        import pickle  # only object keys need it (not loaded by import ftrack_api)

        if isinstance(obj, (str, bytes, int, float, bool, type(None))):
            return pickle.dumps(obj, 2)
        if isinstance(obj, Mapping):
            pairs = sorted(
                self._key(key) + self._PAIR + self._key(value)
                for key, value in obj.items()
            )
            return self._MAPPING + self._ITEM.join(pairs) + self._MAPPING
        if isinstance(obj, types.MethodType):
            owner = type(obj.__self__) if not isinstance(obj.__self__, type) else obj.__self__
            return self._NAME + self._ITEM.join(
                (
                    obj.__func__.__name__.encode("utf-8"),
                    owner.__qualname__.encode("utf-8"),
                    str(obj.__func__.__module__).encode("utf-8"),
                )
            )
        if isinstance(obj, types.BuiltinFunctionType):
            return self._NAME + obj.__name__.encode("utf-8")
        if isinstance(obj, (types.FunctionType, type)):
            return self._NAME + self._ITEM.join(
                (
                    obj.__qualname__.encode("utf-8"),
                    str(obj.__module__).encode("utf-8"),
                )
            )
        if isinstance(obj, (list, tuple, set, frozenset)) or (
            isinstance(obj, Iterable) and not hasattr(obj, "__next__")
        ):
            items = [self._key(item) for item in obj]
            if isinstance(obj, (set, frozenset)):
                items.sort()
            return self._ITERABLE + self._ITEM.join(items) + self._ITERABLE
        try:
            return pickle.dumps(obj, 2)
        except Exception as error:  # pickle raises several unrelated types
            raise TypeError(
                f"Cannot make a cache key from {type(obj).__name__} object {obj!r}: "
                f"it cannot be pickled ({error})."
            ) from error


class Memoiser:
    """Store the results of function calls in a cache.

    *cache* defaults to a new :class:`MemoryCache` and *key_maker* to an
    :class:`ObjectKeyMaker`. With *return_copies* (default) callers receive a
    deep copy of the result, so mutating it does not alter the cache.
    """

    def __init__(
        self,
        cache: Optional[Cache] = None,
        key_maker: Optional[KeyMaker] = None,
        return_copies: bool = True,
    ) -> None:
        #: Where results are stored.
        self.cache: Cache = cache if cache is not None else MemoryCache()
        #: Builds the key of a call.
        self.key_maker: KeyMaker = key_maker if key_maker is not None else ObjectKeyMaker()
        #: Whether :meth:`call` returns deep copies.
        self.return_copies = return_copies
        super().__init__()

    def call(
        self,
        function: Callable[..., Any],
        args: Optional[Sequence[Any]] = None,
        kw: Optional[Mapping[str, Any]] = None,
    ) -> Any:
        """Return ``function(*args, **kw)``, from the cache when possible.

        Positional and keyword spellings of the same call share one cache
        entry (arguments are bound to the function's signature first).
        """
        if not callable(function):
            raise TypeError(f"Memoiser.call needs a callable, not {function!r}.")
        args = tuple(args) if args is not None else ()
        kw = dict(kw) if kw is not None else {}
        import inspect  # loaded on first memoised call, not by import ftrack_api

        try:
            inspect.signature(function)
        except (TypeError, ValueError):
            # No introspectable signature (some builtins): key on the raw spelling.
            arguments: Any = {"args": args, "kw": kw}
        else:
            arguments = inspect.getcallargs(function, *args, **kw)
        key = self.key_maker.key(function, arguments)
        try:
            value = self.cache.get(key)
        except KeyError:
            value = function(*args, **kw)
            self.cache.set(key, value)
        if self.return_copies:
            value = copy.deepcopy(value)
        return value


def memoise_decorator(memoiser: Memoiser) -> Callable[[_Function], _Function]:
    """Return a decorator that memoises functions with *memoiser*."""

    def outer(function: _Function) -> _Function:
        """Return *function* with its calls memoised."""

        @functools.wraps(function)
        def inner(*args: Any, **kw: Any) -> Any:
            return memoiser.call(function, args, kw)

        return inner  # type: ignore[return-value]

    return outer


#: Default memoiser (in-memory cache, object keys, copies returned).
memoiser = Memoiser()

#: Decorator memoising with :data:`memoiser`.
memoise = memoise_decorator(memoiser)
