"""One measurement in a fresh interpreter; prints a single JSON object on stdout.

Run as ``python _worker.py '<json spec>'`` by ``run.py``. The same script serves the three
contenders:

* ``ours`` - this library (the runner's interpreter, the checkout on ``sys.path``);
* ``official`` - ftrack-python-api 3.1.0 (the interpreter of its own virtual environment);
* ``floor`` - plain ``requests`` + ``json.loads`` (or ``sqlite3`` + ``json.dumps`` for the
  server floor): what the wire and the storage cost with no client at all.

Both client contenders are imported as ``ftrack_api``; which one is loaded depends only on
the interpreter, so this file never imports the project itself at module level. Only the
code between the two clock reads is measured; set-up and clean-up happen outside them.
"""
from __future__ import annotations

import gc
import json
import sys
import time
import traceback
from typing import Any, Callable, Dict, List

Spec = Dict[str, Any]

TASK_EXPRESSION = "select id, name, status_id, priority_id, parent_id, description from Task"
READ_ATTRIBUTES = ("id", "name", "status_id", "priority_id", "parent_id", "description")


# -- helpers ----------------------------------------------------------------------------------
_PROFILER: Any = None  # a cProfile.Profile when the runner asked for a profile


def _start() -> float:
    """Start the clock (and the profiler, if any): only what follows is measured."""
    if _PROFILER is not None:
        _PROFILER.enable()
    return time.perf_counter()


def _stop(start: float) -> float:
    """Stop the clock (and the profiler); return the elapsed seconds."""
    seconds = time.perf_counter() - start
    if _PROFILER is not None:
        _PROFILER.disable()
    return seconds


def _session(spec: Spec, cache_path: Any = None) -> Any:
    import ftrack_api

    return ftrack_api.Session(
        server_url=spec["server_url"], api_key=spec["api_key"], api_user=spec["api_user"],
        schema_cache_path=cache_path if cache_path is not None else spec["cache_path"],
        auto_connect_event_hub=False,
    )


def _http(spec: Spec) -> Any:
    import requests

    http = requests.Session()
    http.headers.update({
        "content-type": "application/json", "accept": "application/json",
        "ftrack-user": spec["api_user"], "ftrack-api-key": spec["api_key"],
        "ftrack-strict-api": "false",
    })
    return http


def _warm_http(spec: Spec) -> Any:
    """A requests session with its connection open, as a client's is after ``Session()``."""
    http = _http(spec)
    _call(http, spec, [{"action": "query_server_information"}])
    return http


def _call(http: Any, spec: Spec, operations: List[Dict[str, Any]]) -> Any:
    response = http.post(spec["server_url"] + "/api", data=json.dumps(operations))
    data = json.loads(response.content)
    if isinstance(data, dict) and "exception" in data:
        raise RuntimeError(f"server error: {data['exception']}: {data.get('content')}")
    return data


def _floor_pages(http: Any, spec: Spec, expression: str, page_size: int) -> List[Dict[str, Any]]:
    """Fetch ``expression`` page by page as the clients do and decode with ``json.loads``."""
    rows: List[Dict[str, Any]] = []
    offset = 0
    url = spec["server_url"] + "/api"
    while True:
        body = json.dumps([{"action": "query",
                            "expression": f"{expression} offset {offset} limit {page_size}"}])
        page = json.loads(http.post(url, data=body).content)[0]
        rows.extend(page["data"])
        offset = page["metadata"]["next"]["offset"]
        if offset is None:
            return rows


def _delete_tasks(spec: Spec, ids: List[str]) -> None:
    """Remove the Tasks a create workload made (untimed), so every run sees the same data."""
    http = _http(spec)
    for start in range(0, len(ids), 1000):
        _call(http, spec, [{"action": "delete", "entity_type": "Task", "entity_key": [i]}
                           for i in ids[start:start + 1000]])


def _task_values(spec: Spec, index: int) -> Dict[str, Any]:
    refs = spec["refs"]
    return {
        "name": f"created-{index:06d}",
        "description": f"Created by the benchmark, number {index}",
        "parent_id": refs["project_a"],
        "status_id": refs["statuses"][index % len(refs["statuses"])],
        "priority_id": refs["priorities"][index % len(refs["priorities"])],
        "type_id": refs["types"][index % len(refs["types"])],
        "object_type_id": refs["task_object_type"],
    }


def _check_rows(got: int, spec: Spec) -> None:
    expected = spec.get("expect_rows")
    if expected is not None and got != expected:
        raise AssertionError(f"expected {expected} rows, got {got}")


# -- workloads --------------------------------------------------------------------------------
def w_import(spec: Spec) -> Dict[str, Any]:
    start = _start()
    if spec["contender"] == "floor":
        import requests  # noqa: F401 - the floor's only dependency
    else:
        import ftrack_api  # noqa: F401
    return {"seconds": _stop(start)}


def w_import_use(spec: Spec) -> Dict[str, Any]:
    """``import ftrack_api`` plus resolving ``ftrack_api.Session``: what a script that goes
    on to make a session pays for imports (this library loads its modules lazily)."""
    start = _start()
    if spec["contender"] == "floor":
        import requests  # noqa: F401
    else:
        import ftrack_api

        ftrack_api.Session
    return {"seconds": _stop(start)}


def w_session(spec: Spec) -> Dict[str, Any]:
    if spec["contender"] == "floor":
        import requests  # noqa: F401

        start = _start()
        http = _http(spec)
        info, schemas = _call(http, spec, [{"action": "query_server_information"},
                                           {"action": "query_schemas"}])
        seconds = _stop(start)
        return {"seconds": seconds, "schemas": len(schemas)}
    import ftrack_api

    ftrack_api.Session  # resolve a lazily imported class: import cost is its own workload
    start = _start()
    session = _session(spec)
    seconds = _stop(start)
    types = len(session.types)
    session.close()
    return {"seconds": seconds, "schemas": types}


def w_startup(spec: Spec) -> Dict[str, Any]:
    """What a script or DCC pays before its first answer: import, Session(), one query."""
    expression = "select id, name from Project"
    start = _start()
    if spec["contender"] == "floor":
        http = _http(spec)
        _call(http, spec, [{"action": "query_server_information"}, {"action": "query_schemas"}])
        rows = _floor_pages(http, spec, expression, 500)
    else:
        import ftrack_api  # noqa: F401

        rows = _session(spec).query(expression).all()
    seconds = _stop(start)
    if not rows:
        raise AssertionError("no Project returned")
    return {"seconds": seconds}


def w_query(spec: Spec) -> Dict[str, Any]:
    page_size = spec["page_size"]
    if spec["contender"] == "floor":
        http = _warm_http(spec)
        start = _start()
        rows = _floor_pages(http, spec, TASK_EXPRESSION, page_size)
        seconds = _stop(start)
        _check_rows(len(rows), spec)
        return {"seconds": seconds, "rows": len(rows)}
    session = _session(spec)
    gc.collect()
    start = _start()
    rows = session.query(TASK_EXPRESSION, page_size=page_size).all()
    seconds = _stop(start)
    _check_rows(len(rows), spec)
    return {"seconds": seconds, "rows": len(rows)}


def w_create(spec: Spec) -> Dict[str, Any]:
    count = spec["count"]
    if spec["contender"] == "floor":
        import uuid

        http = _warm_http(spec)
        start = _start()
        operations = []
        for index in range(count):
            key = str(uuid.uuid4())
            data = _task_values(spec, index)
            data["id"] = key
            data["__entity_type__"] = "Task"
            operations.append({"action": "create", "entity_type": "Task",
                               "entity_key": [key], "entity_data": data})
        results = _call(http, spec, operations)
        seconds = _stop(start)
        ids = [result["data"]["id"] for result in results]
    else:
        session = _session(spec)
        start = _start()
        created = [session.create("Task", _task_values(spec, index)) for index in range(count)]
        session.commit()
        seconds = _stop(start)
        ids = [entity["id"] for entity in created]
        session.close()
    _delete_tasks(spec, ids)
    return {"seconds": seconds, "created": len(ids)}


def w_get(spec: Spec) -> Dict[str, Any]:
    session = _session(spec)
    expression = f'{TASK_EXPRESSION} where parent_id is "{spec["refs"]["project_a"]}"'
    tasks = session.query(expression).all()
    _check_rows(len(tasks), spec)
    ids = [task["id"] for task in tasks]
    get = session.get
    start = _start()
    found = [get("Task", key) for key in ids]
    seconds = _stop(start)
    if any(entity is None for entity in found):
        raise AssertionError("get() returned None for a cached Task")
    return {"seconds": seconds, "gets": len(found)}


def w_reads(spec: Spec) -> Dict[str, Any]:
    if spec["contender"] == "floor":
        rows: List[Any] = _floor_pages(_http(spec), spec, TASK_EXPRESSION, 500)
    else:
        rows = _session(spec).query(TASK_EXPRESSION).all()
    _check_rows(len(rows), spec)
    a, b, c, d, e, f = READ_ATTRIBUTES
    gc.collect()
    start = _start()
    for row in rows:
        row[a], row[b], row[c], row[d], row[e], row[f]
    seconds = _stop(start)
    return {"seconds": seconds, "reads": 6 * len(rows)}


def w_populate(spec: Spec) -> Dict[str, Any]:
    session = _session(spec)
    tasks = session.query(
        f'select id, name from Task where parent_id is "{spec["refs"]["project_a"]}"').all()
    _check_rows(len(tasks), spec)
    start = _start()
    session.populate(tasks, "status")
    seconds = _stop(start)
    statuses = {task["status"]["id"] for task in tasks[:50]}
    if not statuses:
        raise AssertionError("populate() loaded no status")
    return {"seconds": seconds, "entities": len(tasks)}


def w_memory(spec: Spec) -> Dict[str, Any]:
    import tracemalloc

    if spec["contender"] == "floor":
        http = _http(spec)
        fetch: Callable[[], List[Any]] = lambda: _floor_pages(http, spec, TASK_EXPRESSION, 500)
    else:
        session = _session(spec)
        fetch = lambda: session.query(TASK_EXPRESSION).all()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    rows = fetch()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    _check_rows(len(rows), spec)
    retained = after - before
    return {"seconds": 0.0, "bytes_per_entity": retained / max(len(rows), 1),
            "retained_bytes": retained, "rows": len(rows)}


def w_serve(spec: Spec) -> Dict[str, Any]:
    rows = spec["serve_rows"]
    if spec["contender"] == "floor":
        import sqlite3

        connection = sqlite3.connect(spec["database"])
        start = _start()
        out = []
        for (data,) in connection.execute(
                "SELECT data FROM entity WHERE type = 'Task' ORDER BY rid LIMIT ?", (rows,)):
            values = json.loads(data)
            item = {"__entity_type__": "Task"}
            for name in READ_ATTRIBUTES:
                item[name] = values.get(name)
            out.append(item)
        body = json.dumps([{"action": "query", "data": out,
                            "metadata": {"next": {"offset": None}}}])
        seconds = _stop(start)
        connection.close()
        _check_rows(len(out), spec)
        return {"seconds": seconds, "bytes": len(body)}
    http = _warm_http(spec)
    body = json.dumps([{"action": "query",
                        "expression": f"{TASK_EXPRESSION} offset 0 limit {rows}"}])
    start = _start()
    content = http.post(spec["server_url"] + "/api", data=body).content
    seconds = _stop(start)
    _check_rows(len(json.loads(content)[0]["data"]), spec)
    return {"seconds": seconds, "bytes": len(content)}


WORKLOADS: Dict[str, Callable[[Spec], Dict[str, Any]]] = {
    "import": w_import,
    "import_use": w_import_use,
    "session": w_session,
    "startup": w_startup,
    "query": w_query,
    "create": w_create,
    "get": w_get,
    "reads": w_reads,
    "populate": w_populate,
    "memory": w_memory,
    "serve": w_serve,
}


def _profiled(function: Callable[[Spec], Dict[str, Any]], spec: Spec) -> Dict[str, Any]:
    """Run ``function`` with the profiler on only between its two clock reads."""
    import cProfile
    import io
    import pstats

    global _PROFILER
    profile = _PROFILER = cProfile.Profile()
    result = function(spec)
    profile.dump_stats(spec["profile"])
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(25)
    with open(spec["profile"] + ".txt", "w", encoding="utf-8") as handle:
        handle.write(text.getvalue())
    return result


def main(argv: List[str]) -> int:
    try:
        spec = json.loads(argv[1])
        function = WORKLOADS[spec["workload"]]
        if spec.get("profile"):
            result = _profiled(function, spec)
        else:
            result = function(spec)
        result["ok"] = True
    except BaseException as error:  # reported as an error cell, never a crash
        result = {"ok": False, "error": f"{type(error).__name__}: {error}",
                  "traceback": traceback.format_exc()[-4000:]}
    sys.stdout.write("\n@@RESULT@@" + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
