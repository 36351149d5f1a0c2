"""The :class:`Session`: the entry point of the API.

The session coordinates collaborators that live in their own modules:
settings (:mod:`ftrack_api._config`), transport (:mod:`ftrack_api._transport`),
codec (:mod:`ftrack_api._codec`), schema cache (:mod:`ftrack_api._schema`),
unit of work (:mod:`ftrack_api._unit_of_work`), entity factory
(:mod:`ftrack_api.entity.factory`), built-in locations
(:mod:`ftrack_api._locations`), the identity map (:mod:`ftrack_api._identity`)
and the server-action helpers (:mod:`ftrack_api._session_helpers`).
"""
from __future__ import annotations

import collections.abc
import datetime
import gc
import json
import logging
import re
import threading
from collections import OrderedDict
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import requests
import requests.auth

import ftrack_api._codec as _codec
import ftrack_api._config as _config
import ftrack_api._schema as _schema
import ftrack_api._transport as _transport
import ftrack_api._unit_of_work as _unit_of_work
import ftrack_api.attribute
import ftrack_api.cache
import ftrack_api.collection
import ftrack_api.entity.base
import ftrack_api.entity.factory
import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.operation
import ftrack_api.query
import ftrack_api.symbol
from ftrack_api._identity import _IdentityMap
from ftrack_api.event.hub import EventHub
from ftrack_api._session_helpers import _SessionHelpers

# Modules every Session() construction needs (the entity classes built from the schemas,
# the built-in locations' accessors and structure): loaded with this module - as the
# official client loads them with ``import ftrack_api`` - rather than inside Session().
import ftrack_api.accessor.disk  # noqa: E402,F401
import ftrack_api.accessor.server  # noqa: E402,F401
import ftrack_api.entity.asset_version  # noqa: E402,F401
import ftrack_api.entity.component  # noqa: E402,F401
import ftrack_api.entity.job  # noqa: E402,F401
import ftrack_api.entity.location  # noqa: E402,F401
import ftrack_api.entity.note  # noqa: E402,F401
import ftrack_api.entity.project_schema  # noqa: E402,F401
import ftrack_api.entity.user  # noqa: E402,F401
import ftrack_api.structure.base  # noqa: E402,F401

__all__ = [
    "SessionAuthentication",
    "Session",
    "AutoPopulatingContext",
    "OperationRecordingContext",
    "OperationPayload",
]

NOT_SET = ftrack_api.symbol.NOT_SET
_ENTITY_INIT = ftrack_api.entity.base.Entity.__init__
_ENTITY_CONSTRUCT = ftrack_api.entity.base.Entity._construct
_construct_new = ftrack_api.entity.base._construct_new
_plain_create_plan = ftrack_api.entity.base._plain_create_plan
_new_uid = ftrack_api.entity.base._new_uid
_IMMUTABLE = ftrack_api.entity.base._IMMUTABLE
MINIMUM_SERVER_VERSION = (3, 3, 11)

class SessionAuthentication(requests.auth.AuthBase):
    """Attach the ``ftrack-api-key`` and ``ftrack-user`` headers to every request."""

    def __init__(self, api_key: str, api_user: str) -> None:
        self.api_key = api_key
        self.api_user = api_user
        super().__init__()

    def __call__(self, request: Any) -> Any:
        request.headers.update({"ftrack-api-key": self.api_key, "ftrack-user": self.api_user})
        return request

class AutoPopulatingContext(object):
    """Context manager setting ``session.auto_populate`` (this thread only) and restoring it."""

    def __init__(self, session: "Session", auto_populate: bool) -> None:
        self._session = session
        self._auto_populate = auto_populate
        self._previous: Any = None

    def __enter__(self) -> None:
        self._previous = self._session.auto_populate
        self._session.auto_populate = self._auto_populate
        return None

    def __exit__(self, *exc: Any) -> None:
        self._session.auto_populate = self._previous

class OperationRecordingContext(object):
    """Context manager setting ``session.record_operations`` (this thread only) and restoring it."""

    def __init__(self, session: "Session", record_operations: bool) -> None:
        self._session = session
        self._record_operations = record_operations
        self._previous: Any = None

    def __enter__(self) -> None:
        self._previous = self._session.record_operations
        self._session.record_operations = self._record_operations
        return None

    def __exit__(self, *exc: Any) -> None:
        self._session.record_operations = self._previous

class OperationPayload(collections.abc.MutableMapping):
    """A payload of a commit batch (a mapping)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._data: Dict[str, Any] = dict(*args, **kwargs)

    def __str__(self) -> str:
        return "<{0} {1}>".format(type(self).__name__, self._data)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[key] = value

    def __delitem__(self, key: str) -> None:
        del self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

class _PausedCollection(object):
    """Context manager: the cyclic garbage collector stays off inside.

    Used around the allocation-heavy, cycle-free steps of a commit (compiling the
    batch, settling the answers), where collections would only traverse objects that
    are alive anyway. Re-entrant and shared by threads: the collector is switched back
    on when the last holder leaves, and only if it was on when the first one entered.
    """

    _lock = threading.Lock()
    _holders = 0
    _restore = False

    def __enter__(self) -> None:
        cls = _PausedCollection
        with cls._lock:
            if cls._holders == 0:
                cls._restore = gc.isenabled()
                gc.disable()
            cls._holders += 1

    def __exit__(self, *exc: Any) -> None:
        cls = _PausedCollection
        with cls._lock:
            cls._holders -= 1
            if cls._holders == 0 and cls._restore:
                gc.enable()


_COLLECTION_PAUSED = _PausedCollection()


class _ThreadFlags(threading.local):
    def __init__(self, auto_populate: bool) -> None:
        self.auto_populate = auto_populate
        self.record_operations = True

#: A query expression that starts with its own projections.
_SELECT = re.compile(r"select\s", re.IGNORECASE)


def _quote(value: Any) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return '"{0}"'.format(text)

def _event(topic: str, data: Dict[str, Any]) -> Any:
    import ftrack_api.event.base

    return ftrack_api.event.base.Event(topic=topic, data=data)

class Session(_IdentityMap, _SessionHelpers):
    """A connection to an ftrack server.

    All arguments are optional and fall back to environment variables:
    *server_url* to ``FTRACK_SERVER``, *api_key* to ``FTRACK_API_KEY`` (or the
    legacy ``FTRACK_APIKEY`` when ``FTRACK_API_KEY`` is absent) and *api_user*
    to ``FTRACK_API_USER`` (else the login name). A missing value raises
    :exc:`TypeError` naming it.

    *cache* is a :class:`ftrack_api.cache.Cache` or a callable taking the
    session and returning one (or None); it becomes the second layer of
    :attr:`cache`. *schema_cache_path* is the directory of the schema cache
    (``FTRACK_API_SCHEMA_CACHE_PATH``, else the user cache directory);
    ``False`` disables it. *event_hub_class* (keyword only) selects the event
    hub class (default :attr:`event_hub_class`).
    """

    #: Class used for :attr:`event_hub`; override in a subclass or pass
    #: ``event_hub_class=`` to the constructor.
    event_hub_class: Any = EventHub

    #: Maximum number of operations sent in one request by :meth:`commit` (a server that
    #: advertises a lower ``max_operations_per_request`` in its information lowers it for
    #: the session).
    max_operations_per_request = _unit_of_work.MAX_OPERATIONS_PER_REQUEST

    def __init__(
        self,
        server_url: Optional[str] = None,
        api_key: Optional[str] = None,
        api_user: Optional[str] = None,
        auto_populate: bool = True,
        plugin_paths: Optional[List[str]] = None,
        cache: Any = None,
        cache_key_maker: Any = None,
        auto_connect_event_hub: bool = False,
        schema_cache_path: Any = None,
        plugin_arguments: Optional[Dict[str, Any]] = None,
        timeout: float = 60,
        cookies: Optional[Mapping[str, str]] = None,
        headers: Optional[Mapping[str, str]] = None,
        strict_api: bool = False,
        *,
        event_hub_class: Any = None,
    ) -> None:
        self.logger = logging.getLogger(__name__ + "." + type(self).__name__)
        self._closed = False
        self._settings = _config.resolve(
            server_url, api_key, api_user, plugin_paths, cookies, headers, strict_api
        )
        self._server_url = self._settings.server_url
        self._api_key = self._settings.api_key
        self._api_user = self._settings.api_user
        self.request_timeout = timeout
        self._timezone_support = True

        self.recorded_operations = ftrack_api.operation.Operations()
        self._flags = _ThreadFlags(bool(auto_populate))
        self._thread_lock = threading.RLock()
        # Serialises commits so that two threads never send the same operations.
        self._commit_lock = threading.RLock()
        self._dirty: Dict[int, Any] = {}
        self._auto_connect_thread: Optional[threading.Thread] = None

        self.cache_key_maker = cache_key_maker or ftrack_api.cache.StringKeyMaker()
        self._fast_keys = type(self.cache_key_maker) is ftrack_api.cache.StringKeyMaker
        self._local_cache = ftrack_api.cache.MemoryCache()
        self._identity: Dict[Any, Any] = self._local_cache._cache
        self.cache = ftrack_api.cache.LayeredCache([self._local_cache])
        if cache is not None:
            if callable(cache) and not isinstance(cache, ftrack_api.cache.Cache):
                cache = cache(self)
            if cache is not None:
                if not all(callable(getattr(cache, name, None)) for name in ("get", "set", "remove")):
                    raise TypeError(
                        "cache must be a ftrack_api.cache.Cache or a callable returning one, "
                        "not {0}.".format(type(cache).__name__)
                    )
                self.cache.caches.append(cache)
        self._single_layer = len(self.cache.caches) == 1

        self._transport = _transport.HttpTransport(
            self._server_url,
            SessionAuthentication(self._api_key, self._api_user),
            dict(self._settings.headers, **{"content-type": "application/json", "accept": "application/json"}),
            self._settings.cookies,
            lambda: self.request_timeout,
        )
        self.schemas: List[Any] = []
        self.types: Dict[str, Any] = {}
        try:
            self._connect(event_hub_class, auto_connect_event_hub, plugin_arguments, schema_cache_path)
        except BaseException:
            # Do not leak pooled connections or a hub thread from a half-built session.
            self._closed = True
            self._transport.close()
            hub = self.__dict__.get("_event_hub")
            if hub is not None and auto_connect_event_hub:
                try:
                    hub.disconnect()
                except Exception:
                    pass
            raise

    def _connect(self, event_hub_class: Any, auto_connect_event_hub: bool, plugin_arguments: Any, schema_cache_path: Any) -> None:
        """Steps of construction that talk to the server or run user code."""
        self._server_information = self._call(
            [{"action": "query_server_information"}], idempotent=True
        )[0]
        self._timezone_support = bool(self._server_information.get("is_timezone_support_enabled", True))
        cap = self._server_information.get("max_operations_per_request")
        if cap.__class__ is int and 0 < cap < self.max_operations_per_request:
            # A server that refuses larger requests says so (the local server does when
            # it is given a cap): commits are split to fit.
            self.max_operations_per_request = cap
        self.check_server_compatibility()

        hub_class = event_hub_class or type(self).event_hub_class or EventHub
        self._event_hub = hub_class(
            self._server_url,
            self._api_user,
            self._api_key,
            headers=dict(self._settings.headers),
            cookies=dict(self._transport.session.cookies.get_dict()) if self._transport.session else {},
        )
        if auto_connect_event_hub:
            self._event_hub.init_connection()
            self._auto_connect_thread = self._event_hub.connect_in_background()

        self._plugin_paths = self._settings.plugin_paths
        self._plugin_arguments = dict(plugin_arguments or {})
        self._discover_plugins(plugin_arguments=self._plugin_arguments)

        self._schema_cache_file = _schema.resolve_cache_path(schema_cache_path)
        self.schemas = self._load_schemas(self._schema_cache_file)
        self.types = self._build_entity_type_classes(self.schemas)

        try:
            from ftrack_api import _centralized_storage_scenario as scenario

            scenario.register(self)
        except Exception:  # pragma: no cover - defensive
            self.logger.debug("Could not register the centralized storage scenario.", exc_info=True)
        self._configure_locations()
        self._event_hub.publish(_event("ftrack.api.session.ready", {"session": self}), synchronous=True)

    # ------------------------------------------------------------------
    # Properties and flags
    # ------------------------------------------------------------------
    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return "<{0} {1} as {2}{3}>".format(
            type(self).__name__, self._server_url, self._api_user, " (closed)" if self._closed else ""
        )

    @property
    def auto_populate(self) -> bool:
        """Whether reading an unloaded attribute fetches it (per thread)."""
        return self._flags.auto_populate

    @auto_populate.setter
    def auto_populate(self, value: bool) -> None:
        self._flags.auto_populate = bool(value)

    @property
    def record_operations(self) -> bool:
        """Whether changes are recorded as operations (per thread)."""
        return self._flags.record_operations

    @record_operations.setter
    def record_operations(self, value: bool) -> None:
        self._flags.record_operations = bool(value)

    def auto_populating(self, auto_populate: bool) -> AutoPopulatingContext:
        """Return a context manager setting :attr:`auto_populate` for this thread."""
        return AutoPopulatingContext(self, auto_populate)

    def operation_recording(self, record_operations: bool) -> OperationRecordingContext:
        """Return a context manager setting :attr:`record_operations` for this thread."""
        return OperationRecordingContext(self, record_operations)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called."""
        return self._closed

    @property
    def server_information(self) -> Dict[str, Any]:
        """A copy of the server information."""
        return dict(self._server_information)

    @property
    def server_url(self) -> str:
        """The server URL (without trailing slash)."""
        return self._server_url

    @property
    def api_user(self) -> str:
        """The API user name."""
        return self._api_user

    @property
    def api_key(self) -> str:
        """The API key."""
        return self._api_key

    @property
    def event_hub(self) -> Any:
        """The event hub."""
        return self._event_hub

    @property
    def _request(self) -> requests.Session:
        if self._closed or self._transport.session is None:
            raise ftrack_api.exception.ConnectionClosedError()
        return self._transport.session

    def _entities_in_state(self, state: Any) -> List[Any]:
        result = []
        for (entity_type, values), current in list(self.recorded_operations._states.items()):
            if current is not state:
                continue
            entity = self._identity.get(self._identity_key(entity_type, values))
            if entity is not None:
                result.append(entity)
        return result

    @property
    def created(self) -> List[Any]:
        """Cached entities created but not committed yet."""
        return self._entities_in_state(ftrack_api.symbol.CREATED)

    @property
    def modified(self) -> List[Any]:
        """Cached entities modified but not committed yet."""
        return self._entities_in_state(ftrack_api.symbol.MODIFIED)

    @property
    def deleted(self) -> List[Any]:
        """Cached entities deleted but not committed yet."""
        return self._entities_in_state(ftrack_api.symbol.DELETED)

    # ------------------------------------------------------------------
    # Compatibility and lifecycle
    # ------------------------------------------------------------------
    def check_server_compatibility(self) -> None:
        """Raise :exc:`~ftrack_api.exception.ServerCompatibilityError` for unsupported servers."""
        version = self._server_information.get("version")
        if version is None:
            raise ftrack_api.exception.ServerCompatibilityError("Could not determine server version.")
        if version == "dev":
            return
        match = re.match(r"(\d+)\.(\d+)\.(\d+)", str(version))
        if not match:
            return
        found = tuple(int(part) for part in match.groups())
        if found < MINIMUM_SERVER_VERSION:
            error = ftrack_api.exception.ServerVersionTooOldError(
                "Server version {0!r} is not supported by this client; the minimum supported "
                "version is {1!r}. Upgrade the ftrack server.".format(found, MINIMUM_SERVER_VERSION)
            )
            error._literal = True
            raise error

    def close(self) -> None:
        """Close the session: drop pending operations and cache, close connections and the hub."""
        if self._closed:
            self.logger.debug("Session already closed.")
            return
        self._closed = True
        if len(self.recorded_operations):
            self.logger.warning("Closing session with pending operations not persisted.")
        self.recorded_operations.clear()
        self._dirty.clear()
        self._local_cache.clear()
        self._transport.close()
        hub = getattr(self, "_event_hub", None)
        if hub is not None:
            try:
                hub.disconnect()
            except ftrack_api.exception.EventHubConnectionError:
                pass
            except Exception:
                self.logger.debug("Event hub disconnect failed.", exc_info=True)
        thread = self._auto_connect_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)

    def reset(self) -> None:
        """Drop pending operations and the memory cache; configure locations again."""
        if len(self.recorded_operations):
            self.logger.warning("Resetting session with pending operations not persisted.")
        self.recorded_operations.clear()
        self._dirty.clear()
        self._local_cache.clear()
        self.__dict__.pop("_factory_custom_attribute_configurations", None)
        self.__dict__.pop("_custom_attribute_configurations", None)
        self._configure_locations()
        self._event_hub.publish(_event("ftrack.api.session.reset", {"session": self}), synchronous=True)

    def rollback(self) -> None:
        """Forget every pending change: created entities leave the cache, local values are dropped."""
        with self._thread_lock, self.auto_populating(False), self.operation_recording(False):
            for operation in self.recorded_operations:
                if isinstance(operation, ftrack_api.operation.CreateEntityOperation):
                    key = self._identity_key(
                        operation.entity_type, tuple(str(v) for v in operation.entity_key.values())
                    )
                    try:
                        self.cache.remove(key)
                    except KeyError:
                        pass
            for entity in list(self._dirty.values()):
                self._restore_remote(entity)
            self._dirty.clear()
            self.recorded_operations.clear()

    @staticmethod
    def _restore_remote(entity: Any) -> None:
        entity._local.clear()
        for value in entity._remote.values():
            if isinstance(value, ftrack_api.collection.Collection):
                value._detached = False

    # ------------------------------------------------------------------
    # Data methods
    # ------------------------------------------------------------------
    def create(self, entity_type: str, data: Optional[Dict[str, Any]] = None, reconstructing: bool = False) -> Any:
        """Create an entity of *entity_type* from *data* and return the cached instance.

        Unless *reconstructing*, a create operation is recorded and the entity
        is persisted on the next :meth:`commit`.
        """
        cls = self.types.get(entity_type)
        if cls is None:
            cls = self._entity_class(entity_type)  # raises UnrecognisedEntityTypeError
        if data.__class__ is dict and not reconstructing:
            instance = self._create_plain(cls, data)
            if instance is not None:
                return instance
        with self._thread_lock:
            if not reconstructing and cls.__init__ is _ENTITY_INIT and cls._construct is _ENTITY_CONSTRUCT:
                # What Entity.__init__ + _construct do, keeping what the construction learnt.
                instance = cls.__new__(cls)
                instance.session = self
                instance._local = {}
                instance._remote = {}
                instance._inflated = None
                values, plain = _construct_new(instance, {} if data is None else data)
                if not plain:
                    values = instance._key_values()
            else:
                instance = cls(self, data, reconstructing=reconstructing)
                values = instance._key_values()
                plain = False
            if values is None:
                return instance
            key = self._identity_key(cls.entity_type, values)
            existing = self._cache_lookup(key)
            if existing is None or existing is instance:
                # A plain new entity holds only immutable scalars: nothing it refers to is detached.
                if plain or not self._refers_detached(instance):
                    self._cache_store(key, instance)
                    return instance
            return self.merge(instance)

    def _create_plain(self, cls: Any, data: Dict[str, Any]) -> Any:
        """:meth:`create` of the usual kind in one step, or None when it is not one.

        The usual kind: an entity class with the base constructor and one primary key,
        given only plain immutable values of its scalar attributes, recorded as a
        create, with no cached entity of the same key, in a session with the default
        single-layer cache and key maker. The result is the one the general path gives
        (the defaults, then the values, in ``_local``; one create operation with a copy
        of them; the entity marked dirty and cached) without its per-value dispatch.
        """
        if not (self._single_layer and self._fast_keys and cls.__init__ is _ENTITY_INIT
                and cls._construct is _ENTITY_CONSTRUCT and cls.attributes is not None):
            return None
        plan = _plain_create_plan(cls, cls.attributes._by_name)
        if plan is None or not data.keys() <= plan[1] or not self._flags.record_operations:
            return None
        immutable = _IMMUTABLE
        for value in data.values():
            if value.__class__ not in immutable:
                return None
        defaults, _scalars, key_name = plan
        local: Dict[str, Any] = {}
        for name, attribute in defaults:
            if name not in data:
                # Read each time, as the general path does (a default can be replaced).
                default = attribute.default_value
                if default is _new_uid:
                    default = _new_uid()
                elif default.__class__ not in immutable:
                    return None  # a callable, unset or mutable default: the general path
                local[name] = default
        local.update(data)
        value = local.get(key_name)
        if value.__class__ is not str:
            return None
        entity_type = cls.entity_type
        key = "(%r, [%r])" % (entity_type, value)  # what _identity_key gives (_fast_keys)
        with self._thread_lock:
            identity = self._identity
            if key in identity:
                return None  # the general path merges into the cached entity
            instance = cls.__new__(cls)
            instance.session = self
            instance._local = local
            instance._remote = {}
            instance._inflated = None
            self._dirty[id(instance)] = instance
            entity_key: Any = OrderedDict()
            entity_key[key_name] = value
            self.recorded_operations._push_create(
                ftrack_api.operation.CreateEntityOperation._of_values(
                    entity_type, entity_key, local.copy(), copied=True),
                (value,),
            )
            identity[key] = instance
        return instance

    def ensure(self, entity_type: str, data: Dict[str, Any], identifying_keys: Optional[Sequence[str]] = None) -> Any:
        """Return the entity matching *data* on *identifying_keys*, creating or updating it.

        String values are escaped in the query, so quotes and backslashes are
        safe. Commits when something was created or changed.
        """
        if identifying_keys is None:
            identifying_keys = list(data.keys())
        identifying_keys = list(identifying_keys)
        if not identifying_keys:
            raise ValueError(
                "Could not determine any identifying data to check against when ensuring "
                "{0!r} with data {1!r}. Identifying keys: {2!r}".format(entity_type, data, identifying_keys)
            )
        cls = self._entity_class(entity_type)
        criteria = []
        for key in identifying_keys:
            value = data[key]
            criteria.append(self._criterion(key, value))
        expression = "{0} where {1}".format(cls.entity_type, " and ".join(criteria))
        try:
            entity = self.query(expression).one()
        except ftrack_api.exception.NoResultFoundError:
            entity = self.create(entity_type, data)
            self.commit()
            return entity
        changed = False
        for key, value in data.items():
            if entity[key] != value:
                entity[key] = value
                changed = True
        if changed:
            self.commit()
        return entity

    def _criterion(self, key: str, value: Any) -> str:
        if isinstance(value, ftrack_api.entity.base.Entity):
            values = value._key_values() or ()
            parts = [
                "{0}.{1} is {2}".format(key, name, _quote(item))
                for name, item in zip(value.primary_key_attributes, values)
            ]
            return " and ".join(parts)
        if isinstance(value, str):
            return "{0} is {1}".format(key, _quote(value))
        if _codec._is_arrow(value):
            value = value.datetime
        if isinstance(value, datetime.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
            return '{0} is "{1}"'.format(key, value.replace(microsecond=0).isoformat())
        if isinstance(value, datetime.date):
            return '{0} is "{1}"'.format(key, value.isoformat())
        return "{0} is {1}".format(key, value)

    def delete(self, entity: Any) -> None:
        """Mark *entity* for deletion on the next :meth:`commit`."""
        if not isinstance(entity, ftrack_api.entity.base.Entity):
            raise TypeError(
                "delete() expects an entity, not {0} {1!r}.".format(type(entity).__name__, entity)
            )
        if self.record_operations:
            self.recorded_operations.push(
                ftrack_api.operation.DeleteEntityOperation(entity.entity_type, entity._primary_key_no_fetch())
            )

    def get(self, entity_type: str, entity_key: Any) -> Any:
        """Return the entity of *entity_type* with primary key *entity_key*, or None.

        *entity_key* is a value or, for composite keys, a sequence of values in
        primary key order. The cache is checked first.
        """
        cls = self.types[entity_type]
        if isinstance(entity_key, (str, bytes)) or not isinstance(entity_key, collections.abc.Sequence):
            entity_key = [entity_key]
        if any(value is None for value in entity_key):
            raise TypeError(
                "entity_key for {0} must not be None, got {1!r}.".format(entity_type, entity_key)
            )
        names = cls.primary_key_attributes
        if len(entity_key) != len(names):
            raise ValueError(
                "Incompatible entity_key {0!r} supplied. Entity type {1} expects a primary key "
                "composed of {2}.".format(entity_key, entity_type, ", ".join(names))
            )
        values = tuple(str(value) for value in entity_key)
        entity = self._cache_lookup(self._identity_key(cls.entity_type, values))
        if entity is not None:
            return entity
        condition = " and ".join("{0} is {1}".format(name, _quote(value)) for name, value in zip(names, values))
        return self.query("{0} where ({1})".format(entity_type, condition)).first()

    def query(self, expression: str, page_size: int = 500) -> ftrack_api.query.QueryResult:
        """Return a lazy :class:`~ftrack_api.query.QueryResult` for *expression*.

        Without a leading ``select``, the type's default projections are added.
        """
        if not isinstance(expression, str):
            raise TypeError("expression must be a string, not {0!r}.".format(type(expression).__name__))
        # Triple-quoted queries start with a newline; keywords are case-insensitive.
        expression = expression.strip()
        if not _SELECT.match(expression):
            entity_type = expression.split(None, 1)[0] if expression else expression
            cls = self.types[entity_type]
            projections = list(cls.default_projections or []) or list(cls.primary_key_attributes)
            expression = "select {0} from {1}".format(", ".join(projections), expression)
        return ftrack_api.query.QueryResult(self, expression, page_size=page_size)

    def _query(self, expression: str) -> Tuple[List[Any], Dict[str, Any]]:
        result = self._call([{"action": "query", "expression": expression}], idempotent=True)[0]
        return self._merge_rows(result.get("data") or []), result.get("metadata") or {}

    def populate(self, entities: Any, projections: str) -> None:
        """Fetch *projections* (a comma separated string) for *entities* in one query.

        Entities created in this session (not committed yet) are skipped;
        locally set values are never overwritten. Entities of several types
        are fetched with one query per type.
        """
        if isinstance(entities, ftrack_api.entity.base.Entity):
            entities = [entities]
        else:
            entities = list(entities)
        if isinstance(projections, (list, tuple)):
            projections = ", ".join(projections)
        by_type: Dict[str, List[Tuple[str, ...]]] = {}
        names_of: Dict[str, List[str]] = {}
        for entity in entities:
            if entity._is_created():
                continue
            values = entity._key_values()
            if values is None:
                continue
            by_type.setdefault(entity.entity_type, []).append(values)
            names_of[entity.entity_type] = entity.primary_key_attributes
        for entity_type, all_keys in by_type.items():
            names = names_of[entity_type]
            for start in range(0, len(all_keys), self.populate_batch_size):
                self._populate_keys(entity_type, names, all_keys[start:start + self.populate_batch_size], projections)

    #: Most entities fetched by one ``populate`` query (larger sets use several).
    populate_batch_size = 1000

    def _populate_keys(self, entity_type: str, names: List[str], keys: List[Tuple[str, ...]], projections: str) -> None:
        if len(names) == 1:
            if len(keys) == 1:
                condition = "{0} is {1}".format(names[0], _quote(keys[0][0]))
            else:
                condition = "{0} in ({1})".format(names[0], ", ".join(_quote(k[0]) for k in keys))
        else:
            condition = " or ".join(
                "({0})".format(" and ".join("{0} is {1}".format(n, _quote(v)) for n, v in zip(names, k)))
                for k in keys
            )
        self.query("select {0} from {1} where {2}".format(projections, entity_type, condition)).all()

    # ------------------------------------------------------------------
    # Commit
    # ------------------------------------------------------------------
    def commit(self) -> None:
        """Persist the recorded operations (optimised, split into requests when large).

        On failure the operations stay recorded and the session stays usable
        (call :meth:`rollback` to discard them).
        """
        with self._commit_lock:
            self._commit()

    def _commit(self) -> None:
        with self._thread_lock, _COLLECTION_PAUSED:
            operations = self.recorded_operations._snapshot()
            with self.auto_populating(False):
                batch = _unit_of_work.compile_batch(operations)
        if not batch:
            self.recorded_operations._remove(operations)
            return
        results: List[Any] = []
        chunks = _unit_of_work.split_batch(batch, self.max_operations_per_request)
        for index, chunk in enumerate(chunks):
            try:
                results.extend(self._call(chunk, idempotent=False))
            except Exception:
                if index:
                    # Earlier requests were persisted: forget what they fully covered.
                    self._settle_partial(operations, batch[: len(results)], batch[len(results):], results)
                raise
        self.recorded_operations._remove(operations)
        with self._thread_lock, _COLLECTION_PAUSED, self.auto_populating(False), self.operation_recording(False):
            unsettled = batch
            if self._single_layer and self._fast_keys and all(
                    payload["action"] == "create" for payload in batch):
                unsettled = self._settle_answered_creates(batch, results)
            self._promote_sent(unsettled)
            self._apply_results(batch, results)

    def _settle_answered_creates(self, payloads: List[Dict[str, Any]], results: List[Any]) -> List[Dict[str, Any]]:
        """Settle the created entities whose answer row holds every value they sent.

        Such an entity's local values would be made remote and then overwritten by the
        row's (see :meth:`_promote_sent` and :meth:`_apply_results`): they are dropped
        here instead, and the row is merged as usual. Returns the payloads it did not
        settle, for the general promotion: an answer without a row, a row of another
        entity type or key (the server answered a subtype), a compound key, an entity
        with a local value that was not sent, that the row lacks or that is not a plain
        value.
        """
        identity = self._identity
        dirty = self._dirty
        plain = _codec.PLAIN_TYPES
        rest: List[Dict[str, Any]] = []
        for payload, result in zip(payloads, results):
            row = result.get("data") if result.__class__ is dict else None
            key = payload["entity_key"]
            if row.__class__ is not dict or len(key) != 1 or key[0].__class__ is not str:
                rest.append(payload)
                continue
            entity_type = payload["entity_type"]
            entity = identity.get("(%r, [%r])" % (entity_type, key[0]))
            local = None if entity is None else entity._local
            if (not local or row.get("__entity_type__") != entity_type
                    or row.get(entity.primary_key_attributes[0]) != key[0]
                    or not local.keys() <= row.keys()
                    or not local.keys() <= payload["entity_data"].keys()):
                # (A row of another type or key is merged into another entity: this one
                # keeps its values as the general promotion makes them.)
                rest.append(payload)
                continue
            for value in local.values():
                if value.__class__ not in plain:
                    rest.append(payload)
                    break
            else:
                local.clear()
                dirty.pop(id(entity), None)
        return rest

    def _promote_sent(self, payloads: List[Dict[str, Any]]) -> None:
        """Make the local values that were just persisted the entities' remote values."""
        sent: Dict[Tuple[str, Tuple[str, ...]], Any] = {}
        for payload in payloads:
            action = payload["action"]
            if action == "create" or action == "update":
                key = (payload["entity_type"], tuple(payload["entity_key"]))
                names = payload["entity_data"].keys()
                known = sent.get(key)
                if known is None:
                    sent[key] = names  # one payload per entity (the usual case): its keys
                else:
                    union = set(known)
                    union.update(names)
                    sent[key] = union
        dirty = self._dirty
        promote = self._promote_local
        for entity in list(dirty.values()):
            local = entity._local
            if local:
                names = sent.get((entity.entity_type, entity._key_values()))
                if names is not None:
                    promote(entity, names)
            if not local:
                dirty.pop(id(entity), None)

    def _apply_results(self, payloads: List[Dict[str, Any]], results: List[Any]) -> None:
        rows = []
        for payload, result in zip(payloads, results):
            if payload["action"] == "delete":
                key = self._identity_key(payload["entity_type"], tuple(payload["entity_key"]))
                try:
                    self.cache.remove(key)
                except KeyError:
                    pass
            elif isinstance(result, dict) and isinstance(result.get("data"), dict):
                rows.append(result["data"])
        self._merge_rows(rows)

    def _settle_partial(self, operations: List[Any], sent: List[Dict[str, Any]], unsent: List[Dict[str, Any]], results: List[Any]) -> None:
        """After a failure in a later request, drop the operations already persisted."""
        pending = {(p["entity_type"], tuple(p["entity_key"])) for p in unsent}
        done = {(p["entity_type"], tuple(p["entity_key"])) for p in sent} - pending
        persisted = [
            operation
            for operation in operations
            if (operation.entity_type, tuple(str(v) for v in operation.entity_key.values())) in done
        ]
        self.recorded_operations._remove(persisted)
        with self._thread_lock, self.auto_populating(False), self.operation_recording(False):
            self._promote_sent([p for p in sent if (p["entity_type"], tuple(p["entity_key"])) in done])
            self._apply_results(sent, results)

    @staticmethod
    def _promote_local(entity: Any, names: Any) -> None:
        local = entity._local
        if not local:
            return
        remote = entity._remote
        collection = ftrack_api.collection.Collection
        plain = _codec.PLAIN_TYPES
        if local.keys() <= names:
            # Everything local was sent (the usual case, e.g. a create): move it wholesale.
            for value in local.values():
                if value.__class__ not in plain and isinstance(value, collection):
                    value._detached = False
            remote.update(local)
            local.clear()
            return
        for name in [name for name in local if name in names]:
            value = local.pop(name)
            if value.__class__ not in plain and isinstance(value, collection):
                value._detached = False
            remote[name] = value

    # ------------------------------------------------------------------
    # Transport and codec
    # ------------------------------------------------------------------
    def _call(self, data: List[Dict[str, Any]], idempotent: Optional[bool] = None) -> Any:
        if self._closed:
            raise ftrack_api.exception.ConnectionClosedError()
        if idempotent is None:
            idempotent = all(
                isinstance(item, Mapping) and item.get("action") in _transport.IDEMPOTENT_ACTIONS
                for item in data
            )
        body = self.encode(data, entity_attribute_strategy="modified_only")
        result = self._transport.send(body, idempotent=idempotent)
        if not isinstance(result, list) or len(result) != len(data):
            # A proxy or a broken server; never let it surface as a KeyError later.
            raise ftrack_api.exception.ServerError(
                "Server answered {0} action(s) with an unexpected JSON document: {1}".format(
                    len(data), repr(result)[:300]
                )
            )
        return result

    def call(self, data: List[Dict[str, Any]]) -> List[Any]:
        """Send the list of actions *data* and return the decoded results (one per action)."""
        result = self._call(data)
        with self.operation_recording(False):
            return _codec.decode_value(self, result, self._detached_entity)

    def encode(self, data: Any, entity_attribute_strategy: str = "set_only") -> str:
        """Return *data* as JSON; entities are encoded with *entity_attribute_strategy*.

        Strategies: ``all``, ``set_only``, ``modified_only``, ``persisted_only``.
        """
        return _codec.Encoder(self, entity_attribute_strategy).encode(data)

    def decode(self, string: str) -> Any:
        """Decode JSON *string*; entities become new (unattached) entity instances."""
        with self.operation_recording(False):
            return _codec.decode_value(self, json.loads(string), self._detached_entity)

    def entity_reference(self, entity: Any) -> Dict[str, Any]:
        """Return the reference form ``{"__entity_type__": ..., <pk>: ...}`` of *entity*."""
        return _codec.entity_reference(entity)

    # ------------------------------------------------------------------
    # Schemas, types, plugins and locations
    # ------------------------------------------------------------------
    def _discover_plugins(self, plugin_arguments: Optional[Dict[str, Any]] = None) -> None:
        from ftrack_api import plugin

        plugin.discover(self._plugin_paths, [self], plugin_arguments or {})

    def _load_schemas(self, schema_cache_path: Any) -> List[Any]:
        server_hash = self._server_information.get("schema_hash")
        found = _schema.read_cache_and_hash(schema_cache_path) if schema_cache_path else None
        if found is not None and server_hash and found[1] == server_hash:
            return found[0]
        schemas = self._call([{"action": "query_schemas"}], idempotent=True)[0]
        if schema_cache_path:
            _schema.write_cache(schema_cache_path, schemas)
        return schemas

    def _read_schemas_from_cache(self, schema_cache_path: str) -> Tuple[List[Any], str]:
        """Return ``(schemas, hash)`` read from *schema_cache_path* (``([], "")`` when unusable)."""
        schemas = _schema.read_cache(schema_cache_path)
        if schemas is None:
            return [], ""
        return schemas, _schema.schema_hash(schemas)

    def _write_schemas_to_cache(self, schemas: List[Any], schema_cache_path: str) -> None:
        """Write *schemas* to *schema_cache_path* (failures give a warning)."""
        _schema.write_cache(schema_cache_path, schemas)

    def _create(self, entity_type: str, data: Optional[Dict[str, Any]], reconstructing: bool) -> Any:
        return self.create(entity_type, data, reconstructing=reconstructing)

    def _merge(self, value: Any, merged: Dict[Any, Any]) -> Any:
        with self._thread_lock, self.operation_recording(False):
            return self._merge_value(value, merged)

    def _build_entity_type_classes(self, schemas: List[Any]) -> Dict[str, Any]:
        factory = ftrack_api.entity.factory.StandardFactory()
        types: Dict[str, Any] = {}
        hub = self._event_hub
        for schema in schemas:
            results = hub.publish(
                _event(
                    "ftrack.api.session.construct-entity-type",
                    {"schema": schema, "schemas": schemas},
                ),
                synchronous=True,
            )
            results = [result for result in results or [] if result is not None]
            if not results:
                entity_class = factory.create(schema)
            elif len(results) > 1:
                raise ValueError(
                    "Expected single entity type to represent schema {0!r} but received {1} "
                    "entity types instead.".format(schema["id"], len(results))
                )
            else:
                entity_class = results[0]
            types[entity_class.entity_type] = entity_class
        return types

    def _configure_locations(self) -> None:
        from ftrack_api import _locations

        _locations.configure_locations(self)
