"""The server backend: authentication, the batch dispatcher and one action per function.

All database work runs on one worker thread (single writer); each batch is one
SQLite transaction that is rolled back entirely when any operation fails.
"""
from __future__ import annotations

import base64
import contextlib
import gc
import hashlib
import json
import logging
import mimetypes
import re
import secrets
import sys
import threading
import uuid
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from . import _json, _values
from ._database import INDEXED_FOREIGN_KEYS, Database
from ._errors import (INVALID_CREDENTIALS_MESSAGE, BadRequestError, DuplicateEntryError,
                      InvalidCredentialsError, ServerError, ValidationError)
from ._reads import Reader
from ._schema import SchemaSet
from ._seed import add_user, seed, user_id_for
from ._writes import Writer

#: A ``\\uD800``-``\\uDFFF`` escape in a JSON body (half of a surrogate pair, or a lone one).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
class _NotFinite(Exception):
    """NaN or an infinity in a request body (SQLite's JSON and PostgreSQL refuse them)."""


def _no_constant(text: str) -> Any:
    raise _NotFinite(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _NotFinite(text)
    return value


#: A ``\\u0000`` escape that is not itself an escaped backslash followed by ``u0000``.
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch runs.

    A batch keeps thousands of containers alive until it ends (decoded operations,
    rows, results); they would trigger repeated collections, full ones included, that
    find nothing to free (it is all freed by reference counting afterwards). Left alone
    when the collector is already off; resumed even if the batch fails.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
SERVER_VERSION = "4.13.8"


class Backend:
    """Domain state of one local server."""

    def __init__(self, database: str, schemas: List[Dict[str, Any]], api_user: str,
                 api_key: Optional[str], *, max_operations_per_request: Optional[int] = None,
                 server_url: str = "") -> None:
        # Deeply nested criteria (hundreds of levels) are parsed recursively.
        if sys.getrecursionlimit() < 5000:
            sys.setrecursionlimit(5000)
        self.schema = SchemaSet(schemas)
        self.db = Database(database)
        self.db.index_foreign_keys(self._families_by_foreign_key())
        self.lock = threading.Lock()
        self.max_operations = max_operations_per_request
        self.server_url = server_url
        self.publish: Optional[Callable[[Dict[str, Any]], None]] = None
        #: Whether an ``ftrack.update`` published now could reach anyone (None: always
        #: build it). The event hub sets it: with no hub connection open, a batch does
        #: not build the event's entity list, which no one could receive.
        self.has_listeners: Optional[Callable[[], bool]] = None
        # Upload tokens handed out by get_upload_metadata: token -> (component id, headers).
        self.uploads: Dict[str, Dict[str, Any]] = {}
        with self.lock:
            self.db.begin()
            try:
                if self.db.meta_get("seeded") is None:
                    seed(self.db, self.schema, api_user)
                    self.db.meta_set("seeded", "1")
                if api_key is None:
                    api_key = self.db.api_key_for(api_user) or secrets.token_hex(24)
                add_user(self.db, self.schema, api_user)
                self.db.set_api_key(api_user, api_key)
                self.db.commit()
            except BaseException:
                self.db.rollback()
                raise
        self.api_user = api_user
        self.api_key = api_key
        # API keys by username, kept in memory so that authentication never waits for a
        # running batch (the event hub authenticates on the server's event loop).
        self._keys: Dict[str, str] = dict(self.db.conn.execute(
            "SELECT username, api_key FROM api_key").fetchall())
        self._pending_keys: Dict[str, str] = {}

    def close(self) -> None:
        with self.lock:
            self.db.close()

    # -- users ---------------------------------------------------------------------------
    def add_user(self, username: str, api_key: Optional[str] = None) -> str:
        if not isinstance(username, str) or not username:
            raise ValueError("username must be a non-empty string")
        api_key = api_key or secrets.token_hex(24)
        with self.lock:
            self.db.begin()
            try:
                if user_id_for(self.db, self.schema, username) is None:
                    add_user(self.db, self.schema, username)
                self.db.set_api_key(username, api_key)
                self.db.commit()
            except BaseException:
                self.db.rollback()
                raise
            self._keys[username] = api_key
        return api_key

    def authenticate(self, username: Any, api_key: Any) -> bool:
        if not isinstance(username, str) or not isinstance(api_key, str):
            return False
        expected = self._keys.get(username)
        return expected is not None and secrets.compare_digest(expected, api_key)

    def set_key_in_batch(self, username: str, api_key: str) -> None:
        """Change an API key as part of the running batch (applied when it commits)."""
        self.db.set_api_key(username, api_key)
        self._pending_keys[username] = api_key

    # -- files ---------------------------------------------------------------------------
    def store_upload(self, token: str, part: Optional[int], data: bytes,
                     headers: Dict[str, str]) -> Tuple[int, str]:
        """Store a PUT body for an upload token; return (HTTP status, ETag or message)."""
        upload = self.uploads.get(token)
        if upload is None:
            return 403, "Unknown or expired upload URL."
        lowered = {k.lower(): v for k, v in headers.items()}
        digest = hashlib.md5(data).digest()
        expected = lowered.get("content-md5")
        if expected and base64.b64encode(digest).decode("ascii") != expected.strip():
            return 400, "Content-MD5 does not match the uploaded data."
        with self.lock:
            self.db.begin()
            try:
                if part is None:
                    self.db.put_blob(upload["component_id"], data, lowered.get("content-type"))
                    self.uploads.pop(token, None)
                else:
                    self.db.put_part(token, part, data)
                self.db.commit()
            except BaseException:
                self.db.rollback()
                raise
        return 200, hashlib.md5(data).hexdigest()

    def read_file(self, query: Dict[str, str]) -> Tuple[int, Optional[bytes], Optional[str]]:
        if not self.authenticate(query.get("username"), query.get("apiKey")):
            return 401, None, INVALID_CREDENTIALS_MESSAGE
        with self.lock:
            found = self.db.get_blob(query.get("id", ""))
        if found is None:
            return 404, None, f"No data stored for component {query.get('id')!r}."
        return 200, found[0], found[1]

    def remove_file(self, query: Dict[str, str]) -> Tuple[int, str]:
        if not self.authenticate(query.get("username"), query.get("apiKey")):
            return 401, INVALID_CREDENTIALS_MESSAGE
        with self.lock:
            self.db.begin()
            removed = self.db.delete_blob(query.get("id", ""))
            self.db.commit()
        return (200, "removed") if removed else (404, "No such component data.")

    # -- batch ---------------------------------------------------------------------------
    def _families_by_foreign_key(self) -> Dict[str, List[str]]:
        """The families whose types have each indexed foreign key (for the indexes)."""
        families: Dict[str, List[str]] = {}
        for t in self.schema.types.values():
            for fk in INDEXED_FOREIGN_KEYS:
                if fk in t.attributes and t.family not in families.setdefault(fk, []):
                    families[fk].append(t.family)
        return families

    def handle(self, headers: Dict[str, str], body: bytes) -> Tuple[int, Any]:
        """Process one POST /api request; return (HTTP status, payload).

        The payload may hold :class:`~._reads.RawJSON` items; serialise it with
        :func:`~._reads.encode_results` (the response body's bytes, as the app does).
        """
        lowered = {k.lower(): v for k, v in headers.items()}
        strict = lowered.get("ftrack-strict-api", "").strip().lower() in ("true", "1")
        options = lowered.get("ftrack-api-options", "").replace("=", ":").replace(" ", "")
        strict = strict or any(item.lower() in ("strict:1", "strict:true")
                               for item in options.split(";"))
        try:
            username = lowered.get("ftrack-user")
            if not self.authenticate(username, lowered.get("ftrack-api-key")):
                raise InvalidCredentialsError(INVALID_CREDENTIALS_MESSAGE)
            with _cycle_collection_paused():
                operations = self._decode(body)
                results = self._run(operations, username or "", lowered)
            return 200, results
        except ServerError as error:
            return (error.status if strict else 200), error.to_wire()
        except Exception as error:  # pragma: no cover - last resort, never a traceback
            log.exception("Unexpected server error")
            wrapped = ServerError(f"Internal server error: {type(error).__name__}: {error}")
            return (500 if strict else 200), wrapped.to_wire()

    def _decode(self, body: bytes) -> List[Dict[str, Any]]:
        operations = _json.fast_loads(body)
        if operations is _json.UNDECODED:
            operations = self._decode_stdlib(body)
        elif b"\\u0000" in body and _NUL_ESCAPE.search(body):
            # orjson refuses every lone surrogate itself; the NUL rule is ours.
            raise ValidationError("Strings must not contain NUL (\\u0000) characters.")
        return self._check_operations(operations)

    def _decode_stdlib(self, body: bytes) -> Any:
        """Decode a body with :mod:`json` (what orjson refuses gets its error here)."""
        try:
            operations = json.loads(body.decode("utf-8"), parse_constant=_no_constant,
                                    parse_float=_finite_float)
        except _NotFinite as error:
            raise ValidationError(f"Numbers must be finite, got {error}.") from None
        except (UnicodeDecodeError, ValueError) as error:
            raise BadRequestError(f"Request body is not valid JSON: {error}.") from None
        except RecursionError:
            raise BadRequestError("Request body is nested too deeply.") from None
        if b"\\u0000" in body and _NUL_ESCAPE.search(body):
            # Like ftrack's PostgreSQL, which refuses NUL characters in text.
            raise ValidationError("Strings must not contain NUL (\\u0000) characters.")
        if _SURROGATE_ESCAPE.search(body):
            # Escaped pairs (an emoji) are fine; a lone surrogate cannot be stored or compared.
            try:
                json.dumps(operations, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError:
                raise BadRequestError("Request body holds a string that is not valid Unicode "
                                      "(a lone UTF-16 surrogate escape).") from None
            except RecursionError:
                raise BadRequestError("Request body is nested too deeply.") from None
        return operations

    def _check_operations(self, operations: Any) -> List[Dict[str, Any]]:
        if not isinstance(operations, list):
            raise BadRequestError("Request body must be a JSON list of operations, got "
                                  f"{type(operations).__name__}.")
        if self.max_operations is not None and len(operations) > self.max_operations:
            raise ValidationError(
                f"Too many operations in one request: {len(operations)} (the limit is "
                f"{self.max_operations} operations per request)."
            )
        for index, op in enumerate(operations):
            if not isinstance(op, dict):
                raise BadRequestError(f"Operation {index} must be an object, got "
                                      f"{type(op).__name__}.")
            if not isinstance(op.get("action"), str):
                raise BadRequestError(f"Operation {index} has no 'action' string.")
        return operations

    def _run(self, operations: List[Dict[str, Any]], username: str,
             headers: Dict[str, str]) -> List[Any]:
        if not operations:
            return []
        with self.lock:
            user_id = user_id_for(self.db, self.schema, username)
            reader = Reader(self.db, self.schema)
            writer = Writer(self.db, self.schema, reader, user_id)
            self.db.begin(pipelined=True)
            try:
                results = []
                for index, op in enumerate(operations):
                    handler = _ACTIONS.get(op["action"])
                    if handler is None:
                        raise ServerError(f"Invalid action u'{op['action']}'", status=400)
                    try:
                        results.append(handler(self, reader, writer, op))
                    except RecursionError:
                        raise ValidationError(f"Operation {index} is nested too deeply.") from None
                    reader._configs = None
                self.db.commit()
                self._keys.update(self._pending_keys)
                if self.api_user in self._pending_keys:  # LocalServer.api_key follows a reset
                    self.api_key = self._pending_keys[self.api_user]
            except BaseException:
                earlier: Optional[DuplicateEntryError] = None
                try:
                    # A create queued before the failing operation whose key exists is
                    # the error a row-by-row batch would have stopped at.
                    self.db.write_pending()
                except DuplicateEntryError as error:
                    earlier = error
                except BaseException:  # pragma: no cover - the first error is reported
                    pass
                self.db.rollback()
                if earlier is not None:
                    raise earlier from None
                raise
            finally:
                self._pending_keys.clear()
            wanted = self.publish is not None and (self.has_listeners is None
                                                   or self.has_listeners())
            entities = writer.event_entities() if writer.changes and wanted else []
        if entities and self.publish is not None:
            self._publish_update(entities, username, user_id, headers)
        return results

    def _publish_update(self, entities: List[Dict[str, Any]], username: str, user_id: Any,
                        headers: Dict[str, str]) -> None:
        push = headers.get("ftrack-pushtoken")
        event = {
            "topic": "ftrack.update", "id": uuid.uuid4().hex,
            "data": {"entities": entities, "user": {"userid": user_id, "name": username},
                     "clientToken": headers.get("ftrack-clienttoken"),
                     "pushToken": None if push in (None, "undefined") else push},
            "source": {"id": "server", "user": {"username": username, "id": user_id}},
            "target": "", "sent": None, "inReplyToEvent": None,
        }
        try:
            assert self.publish is not None
            self.publish(event)
        except Exception:  # pragma: no cover - the hub must never break a commit
            log.exception("Could not publish ftrack.update")


# -- actions ---------------------------------------------------------------------------------
def _field(op: Dict[str, Any], name: str, kind: Any, what: str) -> Any:
    if name not in op:
        raise ValidationError(f"Operation {op.get('action')!r} is missing field {name!r}.")
    value = op[name]
    if not isinstance(value, kind):
        raise ValidationError(f"Field {name!r} of {op.get('action')!r} must be {what}.")
    return value


def _server_information(backend: Backend, reader: Reader, writer: Writer, op: Dict[str, Any]) -> Any:
    info = {
        "version": SERVER_VERSION, "schema_hash": backend.schema.hash,
        "is_timezone_support_enabled": True,
        "storage_scenario": {"scenario": "ftrack.automatic", "data": {}},
        "is_nested_subqueries_enabled": True, "week_startday": 0, "workday_length": 28800,
        "preferred_language": "en", "display_week_numbers": False,
    }
    values = op.get("values")
    if isinstance(values, list) and values:
        wanted = [k for k in values if isinstance(k, str)]
        if "user_information" in wanted:
            info["user_information"] = _user_information(backend, writer.user_id)
        info.update({
            "company_information": {"name": "openftrack-api local server", "logo_url": None},
            "license": [], "product": "ftrack", "custom_widget": [], "default_colors": {},
            "storage_limit": None, "display_task_dates_as_time": False,
        })
        return {k: info.get(k) for k in wanted}
    default = {k: info[k] for k in ("version", "schema_hash", "is_timezone_support_enabled",
                                    "storage_scenario")}
    if backend.max_operations is not None:
        # Not an ftrack key: tells clients of this server how to split a large commit
        # (this library's Session reads it; other clients ignore unknown keys).
        default["max_operations_per_request"] = backend.max_operations
    return default


def _user_information(backend: Backend, user_id: Any) -> Optional[Dict[str, Any]]:
    user_t = backend.schema.types.get("User")
    row = backend.db.get(user_t.family, str(user_id)) if user_t and user_id else None
    if row is None:
        return None
    data = row[2]
    return {"id": row[1], "username": data.get("username"), "first_name": data.get("first_name"),
            "last_name": data.get("last_name"), "thumbnail_id": data.get("thumbnail_id"),
            "thumbnail_url": None, "access_key_id": None, "is_global_access_key": False,
            "restricted_user": False, "permissions": []}


def _schemas(backend: Backend, reader: Reader, writer: Writer, op: Dict[str, Any]) -> Any:
    return backend.schema.raw


def _query(backend: Backend, reader: Reader, writer: Writer, op: Dict[str, Any]) -> Any:
    return reader.query(_field(op, "expression", str, "a string"))


def _search(backend: Backend, reader: Reader, writer: Writer, op: Dict[str, Any]) -> Any:
    """JS ``search``: a query narrowed by free-text terms, a context and object types."""
    expression = op.get("expression") or ""
    entity_type = _field(op, "entity_type", str, "a string")
    if not isinstance(expression, str):
        raise ValidationError("Field 'expression' of 'search' must be a string.")
    result = reader.query(expression if expression.strip() else entity_type, allow_raw=False)
    terms = [t.lower() for t in op.get("terms") or [] if isinstance(t, str)]
    object_type_ids = [o for o in op.get("object_type_ids") or [] if isinstance(o, str)]
    context_id = op.get("context_id")
    data = []
    for item in result["data"]:
        row = backend.db.get(backend.schema.get(item["__entity_type__"]).family,
                             str(item.get("id")))
        stored = row[2] if row else {}
        text = " ".join(str(v).lower() for v in stored.values() if isinstance(v, str))
        if terms and not all(term in text for term in terms):
            continue
        if object_type_ids and stored.get("object_type_id") not in object_type_ids:
            continue
        if context_id and context_id not in (stored.get("parent_id"), stored.get("project_id"),
                                             stored.get("context_id"), stored.get("id")):
            continue
        data.append(item)
    return {"action": "search", "data": data, "metadata": result["metadata"]}


def _create(backend: Backend, reader: Reader, writer: Writer, op: Dict[str, Any]) -> Any:
    return writer.create(_field(op, "entity_type", str, "a string"),
                         _field(op, "entity_data", dict, "an object"), op.get("entity_key"))


def _update(backend: Backend, reader: Reader, writer: Writer, op: Dict[str, Any]) -> Any:
    _field(op, "entity_key", (list, str), "a list")
    return writer.update(_field(op, "entity_type", str, "a string"), op["entity_key"],
                         _field(op, "entity_data", dict, "an object"))


def _delete(backend: Backend, reader: Reader, writer: Writer, op: Dict[str, Any]) -> Any:
    _field(op, "entity_key", (list, str), "a list")
    return writer.delete(_field(op, "entity_type", str, "a string"), op["entity_key"])


def _reset_remote(backend: Backend, reader: Reader, writer: Writer, op: Dict[str, Any]) -> Any:
    reset_type = op.get("reset_type")
    entity_type = op.get("entity_type", "User")
    if reset_type != "api_key" or entity_type not in ("User", "ApiKey"):
        raise ValidationError(f"Cannot reset {reset_type!r} of {entity_type!r}; only "
                              "'api_key' of a User can be reset.")
    key = op.get("entity_key")
    user_t = backend.schema.get("User")
    if key is None:
        key = writer.user_id  # no entity given: the calling user
    if key is None:
        username = None
    else:
        key = key[0] if isinstance(key, list) and key else key
        row = backend.db.get(user_t.family, str(key))
        if row is None:
            raise ValidationError(f"User {key!r} was not found.")
        username = row[2].get("username")
    if username is None:
        raise ValidationError("reset_remote needs the entity_key of a User.")
    new_key = secrets.token_hex(24)
    backend.set_key_in_batch(username, new_key)
    return {"action": "reset_remote", "data": {"api_key": new_key}}


def _delayed_job(backend: Backend, reader: Reader, writer: Writer, op: Dict[str, Any]) -> Any:
    job_type = _field(op, "job_type", str, "a string")
    result = writer.create("Job", {"type": "api_job", "status": "done", "data": json.dumps(
        {"job_type": job_type, "data": op.get("data")}), "finished_at": _values.now()})
    return {"action": "delayed_job", "data": result["data"]}


def _widget_url(backend: Backend, reader: Reader, writer: Writer, op: Dict[str, Any]) -> Any:
    name = _field(op, "name", str, "a string")
    token = secrets.token_hex(8)
    url = f"{backend.server_url}/widget/{name}?token={token}"
    if op.get("theme"):
        url += f"&theme={op['theme']}"
    if op.get("entity_type"):
        key = op.get("entity_key")
        key = key[0] if isinstance(key, list) and key else key
        url += f"&entityType={op['entity_type']}&entityId={key}"
    return {"widget_url": url}


def _invite(backend: Backend, reader: Reader, writer: Writer, op: Dict[str, Any]) -> Any:
    if op["action"] == "send_user_invite":
        user_id = _field(op, "user_id", str, "a string")
        reader.db.get(backend.schema.get("User").family, user_id) or _raise(
            ValidationError(f"User {user_id!r} was not found."))
    else:
        invitee = _field(op, "review_session_invitee_id", str, "a string")
        t = backend.schema.get("ReviewSessionInvitee")
        reader.db.get(t.family, invitee) or _raise(
            ValidationError(f"ReviewSessionInvitee {invitee!r} was not found."))
        if "last_sent_at" in t.attributes:
            writer.update(t.id, [invitee], {"last_sent_at": {"__type__": "datetime",
                                                             "value": _values.now()}})
    return {"sent": True}


def _raise(error: Exception) -> Any:
    raise error


def _encode_media(backend: Backend, reader: Reader, writer: Writer, op: Dict[str, Any]) -> Any:
    component_id = _field(op, "component_id", str, "a string")
    comp_t = backend.schema.get("Component")
    source = reader.db.get(comp_t.family, component_id)
    if source is None:
        raise ValidationError(f"Component {component_id!r} was not found.")
    version_id = op.get("version_id")
    outputs = []
    # No real transcode: the outputs carry the source's bytes, so that every output that
    # is reported in ftrack.server can also be downloaded from it.
    source_blob = backend.db.get_blob(component_id)
    job = writer.create("Job", {"type": "encode_media", "status": "done",
                                "finished_at": _values.now()})["data"]
    for fmt, name, ext in (("video/mp4", "ftrackreview-mp4", ".mp4"),
                           ("image/jpeg", "thumbnail", ".jpg")):
        data = {"name": name, "file_type": ext,
                "size": len(source_blob[0]) if source_blob is not None else 0}
        if version_id:
            data["version_id"] = version_id
        created = writer.create("FileComponent", data)["data"]
        if source_blob is not None:
            backend.db.put_blob(created["id"], source_blob[0], fmt)
        outputs.append({"format": fmt, "component_id": created["id"]})
        writer.create("JobComponent", {"job_id": job["id"], "component_id": created["id"]})
        if "ComponentLocation" in backend.schema.types:
            writer.create("ComponentLocation", {
                "component_id": created["id"], "resource_identifier": created["id"],
                "location_id": "3a372bde-05bc-11e4-8908-20c9d081909b"})
    keep = bool(op.get("keep_original", False))
    payload = {"output": outputs, "source_component_id": component_id, "keep_original": keep}
    writer.update("Job", [job["id"]], {"data": json.dumps(payload)})
    return {"job_id": job["id"]}


def _upload_metadata(backend: Backend, reader: Reader, writer: Writer, op: Dict[str, Any]) -> Any:
    component_id = _field(op, "component_id", str, "a string")
    file_name = _field(op, "file_name", str, "a string")
    size = op.get("file_size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise ValidationError("Field 'file_size' of 'get_upload_metadata' must be a size in bytes.")
    token = secrets.token_hex(16)
    backend.uploads[token] = {"component_id": component_id}
    parts = op.get("parts")
    if isinstance(parts, int) and not isinstance(parts, bool) and parts >= 3:
        return {"component_id": component_id, "upload_id": token,
                "urls": [{"signed_url": f"{backend.server_url}/upload/{token}/{n}",
                          "part_number": n} for n in range(1, parts + 1)]}
    content_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
    headers = {"Content-Type": content_type,
               "Content-Disposition": f'attachment; filename="{file_name}"'}
    if size is not None:
        headers["Content-Length"] = str(size)  # as the real server (recorded response)
    if isinstance(op.get("checksum"), str) and op["checksum"]:
        headers["Content-MD5"] = op["checksum"]
    return {"url": f"{backend.server_url}/upload/{token}", "headers": headers,
            "component_id": component_id}


def _complete_multipart(backend: Backend, reader: Reader, writer: Writer, op: Dict[str, Any]) -> Any:
    upload_id = _field(op, "upload_id", str, "a string")
    component_id = _field(op, "component_id", str, "a string")
    parts = _field(op, "parts", list, "a list")
    if backend.uploads.get(upload_id, {}).get("component_id") != component_id:
        raise ValidationError(f"Unknown multipart upload {upload_id!r}.")
    stored = backend.db.take_parts(upload_id)
    numbers = [p.get("part_number") for p in parts if isinstance(p, dict)]
    if sorted(numbers) != sorted(stored) or not numbers:
        raise ValidationError(f"Parts {numbers} do not match the uploaded parts {sorted(stored)}.")
    backend.db.put_blob(component_id, b"".join(stored[n] for n in sorted(stored)), None)
    backend.uploads.pop(upload_id, None)
    return {"action": "complete_multipart_upload", "component_id": component_id,
            "url": f"{backend.server_url}/component/get?id={component_id}"}


_ACTIONS: Dict[str, Callable[[Backend, Reader, Writer, Dict[str, Any]], Any]] = {
    "get_upload_metadata": _upload_metadata,
    "complete_multipart_upload": _complete_multipart,
    "query_server_information": _server_information,
    "query_schemas": _schemas,
    "query": _query,
    "search": _search,
    "create": _create,
    "update": _update,
    "delete": _delete,
    "reset_remote": _reset_remote,
    "delayed_job": _delayed_job,
    "get_widget_url": _widget_url,
    "send_user_invite": _invite,
    "send_review_session_invite": _invite,
    "encode_media": _encode_media,
}
