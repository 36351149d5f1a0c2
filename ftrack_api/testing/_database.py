"""SQLite storage: one generic entity table, one connection used by one worker thread.

Rows are ``(rid, fam, k, type, data)``: ``fam`` is the storage family (root type),
``k`` the primary key text, ``type`` the concrete schema id and ``data`` a JSON object
with the stored scalar attributes.
"""
from __future__ import annotations

import hashlib
import json
import queue
import sqlite3
import threading
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from . import _json
from ._errors import DuplicateEntryError

_DDL = """
CREATE TABLE IF NOT EXISTS entity (
    rid INTEGER PRIMARY KEY AUTOINCREMENT,
    fam TEXT NOT NULL,
    k TEXT NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS entity_key ON entity (fam, k);
CREATE INDEX IF NOT EXISTS entity_type ON entity (type);
CREATE TABLE IF NOT EXISTS server_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_key (username TEXT PRIMARY KEY, api_key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blob (component_id TEXT PRIMARY KEY, content_type TEXT,
                                 data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS upload_part (upload_id TEXT NOT NULL, part_number INTEGER NOT NULL,
                                        data BLOB NOT NULL,
                                        PRIMARY KEY (upload_id, part_number));
"""
# Expression indexes for the foreign keys most queries follow (Database.index_foreign_keys).
INDEXED_FOREIGN_KEYS = ("parent_id", "project_id", "asset_id", "context_id", "entity_id",
                        "version_id", "component_id", "status_id", "configuration_id", "user_id",
                        "list_id")

Row = Tuple[str, str, Dict[str, Any]]  # (type, key, data)

#: Rows written (inserted, updated or deleted) between two background checkpoints.
CHECKPOINT_AFTER_ROWS = 1000

#: Longest wait (ms) of the closing checkpoint for readers in other processes.
CLOSE_CHECKPOINT_WAIT_MS = 100

#: Rows of a pipelined batch written by one multi-row INSERT on the insert thread.
INSERT_CHUNK = 128

_INSERT_ONE = "INSERT INTO entity (fam, k, type, data) VALUES (?, ?, ?, ?)"


def duplicate_message(type_id: str, key: str) -> str:
    """The error text of a create whose key exists already."""
    return f"Duplicate entry: {type_id} with key {key!r} already exists."


class Database:
    def __init__(self, path: str) -> None:
        self.path = path
        #: Values derived from the schema only (e.g. compiled select lists).
        self.memo: Dict[Any, Any] = {}
        # (query, offset) -> rid of the row before offset; valid while the stamp holds.
        self._cursors: Dict[Any, int] = {}
        self._cursor_stamp: Tuple[int, int] = (-1, -1)
        #: Count of updates and deletes of existing rows (inserts add new keys only):
        #: values derived from existing rows stay valid while it is unchanged.
        self.row_writes = 0
        self._checkpointer: Optional[_Checkpointer] = None
        # Rows of a pipelined batch not written yet (see begin): four values per row.
        self._pipelined = False
        self._pending: List[Any] = []
        self._pending_rows = 0
        self._inflight: Optional[_InsertJob] = None
        self._inserter: Optional[_Inserter] = None
        try:
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            if path != ":memory:":
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA busy_timeout=30000")
            self.conn.execute("PRAGMA cache_size=-65536")
            self.conn.execute("PRAGMA mmap_size=268435456")
            self.conn.executescript(_DDL)
            if path != ":memory:":
                # Copying the write-ahead log back into the database file (and its fsync)
                # happens on a background thread, not inside the request that commits.
                self.conn.execute("PRAGMA wal_autocheckpoint=0")
                self._checkpointer = _Checkpointer(path)
        except sqlite3.Error as error:
            raise ValueError(f"Cannot open the database {path!r}: {error}.") from None

    def index_foreign_keys(self, families: Dict[str, Sequence[str]]) -> None:
        """Keep one expression index per foreign key, over the families that have it.

        *families* maps each name of :data:`INDEXED_FOREIGN_KEYS` to the entity families whose
        types have that attribute (from the schema). Each index is partial on ``fam``
        (``WHERE fam = 'A' OR fam = 'B'``): a row of another family costs an insert only
        a comparison of its family, where a ``json_extract(...) IS NOT NULL`` condition
        parsed the row's JSON for every index. Every lookup names its family
        (``e.fam = 'Context' AND json_extract(e.data, '$.parent_id') = ...``), which
        implies the condition, so the index is used as before. Indexes of another
        definition (an older release, another schema set) are replaced.
        """
        wanted: Dict[str, str] = {}
        for fk in INDEXED_FOREIGN_KEYS:
            names = sorted(set(families.get(fk, ())))
            if not names:
                continue
            where = " OR ".join("fam = '{0}'".format(name.replace("'", "''")) for name in names)
            digest = hashlib.sha1(where.encode("utf-8")).hexdigest()[:8]
            wanted[f"entity_ffk_{fk}_{digest}"] = (
                f"CREATE INDEX IF NOT EXISTS entity_ffk_{fk}_{digest} ON entity "
                f"(fam, json_extract(data, '$.{fk}')) WHERE {where}")
        existing = [row[0] for row in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entity'")]
        for name in existing:
            if name.startswith(("entity_fk_", "entity_pfk_", "entity_ffk_")) and name not in wanted:
                self.conn.execute(f'DROP INDEX IF EXISTS "{name}"')
        for name, sql in wanted.items():
            if name not in existing:
                self.conn.execute(sql)

    @property
    def conn(self) -> sqlite3.Connection:
        """The connection, with every row of a pipelined batch written before it is used."""
        if self._pending_rows or self._inflight is not None:
            self.write_pending()
        return self._conn

    def close(self) -> None:
        self._discard_pending()
        if self._inserter is not None:
            self._inserter.stop()
            self._inserter = None
        if self._checkpointer is not None:
            self._checkpointer.stop()
            try:
                # Another process reading the file (a viewer holding a read transaction)
                # keeps the log from being reset: truncate what can be, without waiting
                # for it; the rows are durable in the log either way.
                self.conn.execute("PRAGMA busy_timeout={0}".format(CLOSE_CHECKPOINT_WAIT_MS))
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.Error:  # pragma: no cover - closing anyway
                pass
        self.conn.close()

    # -- paging ------------------------------------------------------------------------
    def _data_stamp(self) -> Tuple[int, int]:
        """Changes so far: this connection's writes and other connections' commits."""
        return (self.conn.total_changes,
                self.conn.execute("PRAGMA data_version").fetchone()[0])

    def page_cursor(self, query_key: Any, offset: int) -> Optional[int]:
        """The rid of the row before ``offset`` in a query's rid order, if still valid."""
        if not self._cursors:
            return None
        if self._data_stamp() != self._cursor_stamp:
            self._cursors.clear()
            return None
        return self._cursors.get((query_key, offset))

    def set_page_cursor(self, query_key: Any, offset: int, rid: int) -> None:
        """Remember that the row before ``offset`` of a query has ``rid``."""
        stamp = self._data_stamp()
        if stamp != self._cursor_stamp or len(self._cursors) >= 10000:
            self._cursors.clear()
            self._cursor_stamp = stamp
        self._cursors[(query_key, offset)] = rid

    # -- transactions --------------------------------------------------------------------
    def begin(self, pipelined: bool = False) -> None:
        """Start a write transaction.

        *pipelined*: :meth:`insert_new` only queues its rows; they are written by
        multi-row INSERTs on the insert thread (SQLite runs them without the interpreter
        lock) while the caller goes on preparing the next rows, and every use of
        :attr:`conn` first waits for and writes what is queued, so reads see every row
        inserted before them. A duplicate key is then reported when the rows are
        written: by :attr:`conn`, :meth:`write_pending` or :meth:`commit`.
        """
        self.conn.execute("BEGIN IMMEDIATE")
        self._pipelined = pipelined

    def commit(self) -> None:
        self._pipelined = False
        self.conn.execute("COMMIT")
        checkpointer = self._checkpointer
        if checkpointer is not None:
            # Like SQLite's own automatic checkpoint, only once enough has been written
            # (a read-only batch, every query page, writes nothing).
            written = self.conn.total_changes
            if written - checkpointer.written_at >= CHECKPOINT_AFTER_ROWS:
                checkpointer.written_at = written
                checkpointer.wake()

    def rollback(self) -> None:
        self.row_writes += 1
        # A page query of the failed batch may have remembered where a page of rows that
        # are now back (or gone) ends; a rollback changes neither part of the data stamp.
        self._cursors.clear()
        self._pipelined = False
        self._discard_pending()
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    # -- pipelined inserts -----------------------------------------------------------------
    def write_pending(self) -> None:
        """Wait for the rows being written and write the queued ones (see :meth:`begin`).

        Raises :class:`DuplicateEntryError` for the first row whose key exists; the
        queue is empty afterwards either way (the caller rolls the transaction back).
        """
        try:
            self._wait_inflight()
            if self._pending_rows:
                params, self._pending, self._pending_rows = self._pending, [], 0
                try:
                    _insert_rows(self._conn, params)
                except _InsertFailed as error:
                    self._raise_insert_error(error)
        except BaseException:
            self._discard_pending()
            raise

    def _dispatch_pending(self) -> None:
        """Hand the queued rows to the insert thread once it has written the last ones."""
        try:
            self._wait_inflight()
        except BaseException:
            self._discard_pending()
            raise
        params, self._pending, self._pending_rows = self._pending, [], 0
        inserter = self._inserter
        if inserter is None or not inserter.alive():
            inserter = self._inserter = _Inserter(self._conn)
        self._inflight = inserter.start(params)

    def _wait_inflight(self) -> None:
        job, self._inflight = self._inflight, None
        if job is not None:
            job.done.wait()
            if job.error is not None:
                self._raise_insert_error(job.error)

    def _raise_insert_error(self, error: BaseException) -> None:
        if not isinstance(error, _InsertFailed):
            raise error  # pragma: no cover - not a statement's error (MemoryError, ...)
        if not (isinstance(error.error, sqlite3.IntegrityError) and "UNIQUE" in str(error.error)):
            raise error.error
        # The failed statement wrote none of its rows: insert them and the rest one by one,
        # in order, to name the first whose key exists (as a row-by-row batch would have).
        params = error.unwritten
        for start in range(0, len(params), 4):
            row = params[start:start + 4]
            try:
                self._conn.execute(_INSERT_ONE, row)
            except sqlite3.IntegrityError as one:
                if "UNIQUE" in str(one):
                    raise DuplicateEntryError(duplicate_message(row[2], row[1])) from None
                raise
        raise error.error  # pragma: no cover - the statement failed, so one row must fail

    def _discard_pending(self) -> None:
        """Forget the queued rows, after waiting for a statement still running."""
        job, self._inflight = self._inflight, None
        if job is not None:
            job.done.wait()
        self._pending, self._pending_rows = [], 0

    # -- rows ------------------------------------------------------------------------------
    def get(self, fam: str, key: str) -> Optional[Row]:
        row = self.conn.execute("SELECT type, k, data FROM entity WHERE fam = ? AND k = ?",
                                (fam, key)).fetchone()
        return None if row is None else (row[0], row[1], json.loads(row[2]))

    def get_many(self, fam: str, keys: Iterable[str]) -> Dict[str, Row]:
        out: Dict[str, Row] = {}
        unique = list(dict.fromkeys(k for k in keys if k is not None))
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            for type_id, k, data in self.conn.execute(
                f"SELECT type, k, data FROM entity WHERE fam = ? AND k IN ({marks})",
                [fam, *chunk],
            ):
                out[k] = (type_id, k, json.loads(data))
        return out

    def find(self, fam: str, where: Dict[str, Any], types: Optional[Sequence[str]] = None) -> List[Row]:
        sql = "SELECT type, k, data FROM entity WHERE fam = ?"
        params: List[Any] = [fam]
        for name, value in where.items():
            if value is None:
                sql += f" AND json_extract(data, '$.{name}') IS NULL"
            else:
                sql += f" AND json_extract(data, '$.{name}') = ?"
                params.append(value)
        if types:
            sql += f" AND type IN ({', '.join('?' * len(types))})"
            params.extend(types)
        sql += " ORDER BY rid"
        return [(t, k, json.loads(d)) for t, k, d in self.conn.execute(sql, params)]

    def find_in(self, fam: str, attr: str, values: Sequence[Any],
                extra: Sequence[Tuple[str, Any]] = ()) -> List[Row]:
        out: List[Row] = []
        unique = list(dict.fromkeys(v for v in values if v is not None))
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            sql = (f"SELECT type, k, data FROM entity WHERE fam = ? AND "
                   f"json_extract(data, '$.{attr}') IN ({marks})")
            params: List[Any] = [fam, *chunk]
            for name, value in extra:
                sql += f" AND json_extract(data, '$.{name}') = ?"
                params.append(value)
            sql += " ORDER BY rid"
            out.extend((t, k, json.loads(d)) for t, k, d in self.conn.execute(sql, params))
        return out

    def insert(self, fam: str, key: str, type_id: str, data: Dict[str, Any]) -> None:
        self.conn.execute(_INSERT_ONE, (fam, key, type_id, _json.dumps(data)))

    def insert_new(self, fam: str, key: str, type_id: str, data: Dict[str, Any]) -> bool:
        """Insert a row unless ``(fam, key)`` exists; return whether it was inserted.

        One statement instead of a look-up and an insert: the unique key index answers.
        In a pipelined transaction (:meth:`begin`) the row is queued and True returned;
        a duplicate is reported when the queue is written.
        """
        if self._pipelined:
            self._pending += (fam, key, type_id, _json.dumps(data))
            self._pending_rows += 1
            if self._pending_rows >= INSERT_CHUNK:
                self._dispatch_pending()
            return True
        try:
            self.conn.execute(_INSERT_ONE, (fam, key, type_id, _json.dumps(data)))
        except sqlite3.IntegrityError as error:
            if "UNIQUE" in str(error):
                return False
            raise
        return True

    def replace(self, fam: str, key: str, data: Dict[str, Any], new_key: Optional[str] = None) -> None:
        self.row_writes += 1
        self.conn.execute("UPDATE entity SET data = ?, k = ? WHERE fam = ? AND k = ?",
                          (_json.dumps(data), new_key or key, fam, key))

    def set_type(self, fam: str, key: str, type_id: str) -> None:
        self.row_writes += 1
        self.conn.execute("UPDATE entity SET type = ? WHERE fam = ? AND k = ?", (type_id, fam, key))

    def delete(self, fam: str, key: str) -> None:
        self.row_writes += 1
        self.conn.execute("DELETE FROM entity WHERE fam = ? AND k = ?", (fam, key))

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM entity").fetchone()[0]

    # -- server metadata -------------------------------------------------------------------
    def meta_get(self, key: str) -> Optional[str]:
        row = self.conn.execute("SELECT value FROM server_meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def meta_set(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO server_meta (key, value) VALUES (?, ?)",
                          (key, value))

    def api_key_for(self, username: str) -> Optional[str]:
        row = self.conn.execute("SELECT api_key FROM api_key WHERE username = ?",
                                (username,)).fetchone()
        return None if row is None else row[0]

    def set_api_key(self, username: str, api_key: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO api_key (username, api_key) VALUES (?, ?)",
                          (username, api_key))

    # -- file storage of the ftrack.server location ---------------------------------------
    def put_blob(self, component_id: str, data: bytes, content_type: Optional[str]) -> None:
        self.conn.execute("INSERT OR REPLACE INTO blob (component_id, content_type, data) "
                          "VALUES (?, ?, ?)", (component_id, content_type, data))

    def get_blob(self, component_id: str) -> Optional[Tuple[bytes, Optional[str]]]:
        row = self.conn.execute("SELECT data, content_type FROM blob WHERE component_id = ?",
                                (component_id,)).fetchone()
        return None if row is None else (bytes(row[0]), row[1])

    def delete_blob(self, component_id: str) -> bool:
        return self.conn.execute("DELETE FROM blob WHERE component_id = ?",
                                 (component_id,)).rowcount > 0

    def put_part(self, upload_id: str, part_number: int, data: bytes) -> None:
        self.conn.execute("INSERT OR REPLACE INTO upload_part (upload_id, part_number, data) "
                          "VALUES (?, ?, ?)", (upload_id, part_number, data))

    def take_parts(self, upload_id: str) -> Dict[int, bytes]:
        rows = self.conn.execute("SELECT part_number, data FROM upload_part WHERE upload_id = ?",
                                 (upload_id,)).fetchall()
        self.conn.execute("DELETE FROM upload_part WHERE upload_id = ?", (upload_id,))
        return {number: bytes(data) for number, data in rows}


_INSERT_SQL: Dict[int, str] = {}


def _insert_rows(conn: sqlite3.Connection, params: List[Any]) -> None:
    """INSERT the rows of *params* (four values each), in order, in few statements.

    Row counts are split into powers of two, so that a handful of statement texts serve
    every batch size (SQLite compiles each text once, in the connection's cache).
    """
    rows = len(params) // 4
    start = 0
    while rows:
        size = 1 << (rows.bit_length() - 1)
        sql = _INSERT_SQL.get(size)
        if sql is None:
            sql = _INSERT_SQL[size] = ("INSERT INTO entity (fam, k, type, data) VALUES "
                                       + ", ".join(["(?, ?, ?, ?)"] * size))
        try:
            conn.execute(sql, params[start:start + 4 * size] if start or size != rows else params)
        except sqlite3.Error as error:
            raise _InsertFailed(error, params[start:]) from None
        start += 4 * size
        rows -= size


class _InsertFailed(Exception):
    """A statement of :func:`_insert_rows` failed: *unwritten* holds its rows and the rest."""

    def __init__(self, error: sqlite3.Error, unwritten: List[Any]) -> None:
        super().__init__(str(error))
        self.error = error
        self.unwritten = unwritten


class _InsertJob:
    __slots__ = ("params", "started", "done", "error")

    def __init__(self, params: List[Any]) -> None:
        self.params = params
        self.started = threading.Event()
        self.done = threading.Event()
        self.error: Optional[BaseException] = None


class _Inserter:
    """The thread that writes the queued rows of pipelined batches.

    SQLite executes a statement without holding the interpreter lock, so the rows of one
    chunk are written while the request's thread prepares the next chunk: on two cores
    the two overlap. A thread that has ended (it only ends when stopped) is replaced.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._jobs: "queue.SimpleQueue[Optional[_InsertJob]]" = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="ftrack-local-insert",
                                        daemon=True)
        self._thread.start()

    def start(self, params: List[Any]) -> _InsertJob:
        """Queue *params* and return once the thread has taken them.

        Waiting here hands the interpreter lock to the thread at once; otherwise it
        would wait for the caller's next switch interval (5 ms) to start the statement.
        """
        job = _InsertJob(params)
        self._jobs.put(job)
        job.started.wait()
        return job

    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            job.started.set()
            try:
                _insert_rows(self._conn, job.params)
            except BaseException as error:  # reported on the request's thread
                job.error = error
            job.done.set()


class _Checkpointer:
    """Checkpoints a WAL database on its own thread and connection after each commit.

    SQLite's automatic checkpoint runs inside the commit that crosses the threshold, so
    one request in a few paid for copying every page back and the fsync. A passive
    checkpoint never blocks the writer or readers; if it falls behind, the log just grows
    until the next one, and closing the database truncates it.
    """

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._wanted = threading.Event()
        self._stopping = False
        #: ``total_changes`` of the writing connection when a checkpoint was last asked for.
        self.written_at = 0
        self._thread = threading.Thread(target=self._run, name="ftrack-local-checkpoint",
                                        daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wanted.set()

    def stop(self) -> None:
        self._stopping = True
        self._wanted.set()
        self._thread.join(timeout=30)
        self._conn.close()

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            if self._stopping:
                return
            try:
                self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:  # pragma: no cover - e.g. the file went away; retry later
                pass
