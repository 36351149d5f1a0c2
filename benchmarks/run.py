#!/usr/bin/env python
"""Benchmark this library against ftrack-python-api 3.1.0 and the raw floor (issue 6).

One command, from the repository root, with the project's interpreter::

    python benchmarks/run.py [--sizes 1000,10000,50000] [--repeat 3] [--quick]

It builds the official client's own virtual environment (``benchmarks/.venv-official``),
starts one :class:`ftrack_api.testing.LocalServer` on a file database in a temporary
directory, seeds it through raw HTTP ``create`` batches, and then runs every workload for
the three contenders - this library (``ours``), the official client (``official``) and the
raw floor (``floor``: plain ``requests`` + ``json.loads``) - alternating, each measurement in
a fresh subprocess of the right interpreter. It writes ``results.json`` (every raw sample),
``results.md`` (medians, ratios, one PASS/FAIL line per target) and ``chart.png`` into the
output directory (``benchmarks/results/`` by default) and prints the markdown.

See ``benchmarks/README.rst`` for the options and the meaning of each workload.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any, Dict, List, Optional, Sequence

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(REPO))  # the server and the client measured are this checkout's

import _envs  # noqa: E402
import _report  # noqa: E402

WORKER = HERE / "_worker.py"
RESULT_TAG = "@@RESULT@@"
WORKER_TIMEOUT = 1800.0


# -- command line ---------------------------------------------------------------------------
def _int_list(text: str) -> List[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma separated integers, got {text!r}")
    if not values or any(value <= 0 for value in values):
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return sorted(set(values))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description="Benchmark openftrack-api against ftrack-python-api 3.1.0 and the raw "
                    "floor on one local server (issue 6).")
    parser.add_argument("--sizes", type=_int_list, default=None,
                        help="Task counts for query().all() (default: 1000,10000,50000)")
    parser.add_argument("--page-sizes", type=_int_list, default=None,
                        help="query page sizes (default: 500,5000; 500 is the clients' default)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="fresh-process repeats per cell; the median is reported (default 3)")
    parser.add_argument("--batch", type=int, default=None,
                        help="entities for create+commit, get() and populate() (default 1000)")
    parser.add_argument("--reads-rows", type=int, default=None,
                        help="entities for the six-attribute reads (default: largest size)")
    parser.add_argument("--memory-rows", type=int, default=None,
                        help="entities for retained memory (default: min(10000, largest size))")
    parser.add_argument("--serve-rows", type=int, default=None,
                        help="rows for the server-vs-SQLite workload (default: min(10000, "
                             "largest size))")
    parser.add_argument("--quick", action="store_true",
                        help="tiny run to check the harness: sizes 200, batch 100, repeat 1, "
                             "page sizes 100,500 (explicit options still win)")
    parser.add_argument("--output", default=str(HERE / "results"),
                        help="output directory (default: benchmarks/results)")
    parser.add_argument("--official-python", default=None,
                        help="interpreter that has ftrack-python-api 3.1.0 (default: build "
                             "benchmarks/.venv-official, or FTRACK_BENCH_OFFICIAL_VENV)")
    parser.add_argument("--allow-missing-official", action="store_true",
                        help="if the official client's venv cannot be built (offline), run "
                             "without it instead of failing")
    parser.add_argument("--no-official", action="store_true",
                        help="do not run the official client at all")
    parser.add_argument("--no-chart", action="store_true", help="do not draw chart.png")
    parser.add_argument("--profile", action="store_true",
                        help="after the run, profile this library's query/create/server cells "
                             "with cProfile (results/profiles/*.pstats and *.txt)")
    parser.add_argument("--only", default=None,
                        help="comma separated workload groups to run: import,session,query,"
                             "create,get,reads,populate,memory,serve (default: all)")
    args = parser.parse_args(argv)
    quick = args.quick
    if args.sizes is None:
        args.sizes = [200] if quick else [1000, 10000, 50000]
    if args.page_sizes is None:
        args.page_sizes = [100, 500] if quick else [500, 5000]
    if args.repeat is None:
        args.repeat = 1 if quick else 3
    if args.batch is None:
        args.batch = 100 if quick else 1000
    largest = max(args.sizes)
    if args.batch > largest:
        parser.error(f"--batch {args.batch} is larger than the largest size {largest}")
    args.reads_rows = args.reads_rows or largest
    args.memory_rows = args.memory_rows or min(10000, largest)
    args.serve_rows = args.serve_rows or min(10000, largest)
    for name in ("reads_rows", "memory_rows", "serve_rows"):
        if getattr(args, name) > largest:
            parser.error(f"--{name.replace('_', '-')} cannot exceed the largest size {largest}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    groups = {"import", "session", "query", "create", "get", "reads", "populate", "memory",
              "serve"}
    args.groups = groups if not args.only else set(args.only.split(","))
    unknown = args.groups - groups
    if unknown:
        parser.error(f"unknown workload group(s): {', '.join(sorted(unknown))}")
    return args


# -- processes --------------------------------------------------------------------------------
class Contenders:
    """The interpreter and environment each contender's workers run with."""

    def __init__(self, official: Optional[pathlib.Path], official_error: Optional[str],
                 pycache: pathlib.Path) -> None:
        self.official = official
        self.official_error = official_error
        base = {name: value for name, value in os.environ.items()
                if not name.startswith("FTRACK_")
                and name not in ("PYTHONPATH", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE")}
        base["PYTHONWARNINGS"] = "ignore"
        # Every contender imports from bytecode, as an installed package does: a shared
        # bytecode cache (filled by the untimed priming runs) in the run's temp directory,
        # whatever PYTHONDONTWRITEBYTECODE the caller has.
        base["PYTHONPYCACHEPREFIX"] = str(pycache)
        ours_env = dict(base)
        ours_env["PYTHONPATH"] = str(REPO)  # always measure this checkout
        self.envs = {"ours": ours_env, "official": dict(base), "floor": dict(base),
                     "server": dict(base)}

    def names(self) -> List[str]:
        return ["ours", "official", "floor"] if self.official else ["ours", "floor"]

    def python(self, contender: str) -> str:
        if contender == "official":
            assert self.official is not None
            return str(self.official)
        return sys.executable


def run_worker(contenders: Contenders, contender: str, spec: Dict[str, Any]) -> Dict[str, Any]:
    """Run one measurement in a fresh interpreter; never raises for a failed workload."""
    spec = dict(spec, contender=contender)
    command = [contenders.python(contender), str(WORKER), json.dumps(spec)]
    try:
        completed = subprocess.run(command, capture_output=True, text=True,
                                   timeout=WORKER_TIMEOUT, env=contenders.envs[contender],
                                   cwd=tempfile.gettempdir())
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timed out after {WORKER_TIMEOUT:.0f} s"}
    marker = completed.stdout.rfind(RESULT_TAG)
    if marker < 0:
        tail = (completed.stderr or completed.stdout).strip()[-1500:]
        return {"ok": False, "error": f"worker exited {completed.returncode}: {tail}"}
    return json.loads(completed.stdout[marker + len(RESULT_TAG):])


# -- server and data --------------------------------------------------------------------------
class Bench:
    """The one server, its data, and the samples collected so far."""

    def __init__(self, args: argparse.Namespace, contenders: Contenders, workdir: pathlib.Path):
        import requests

        from ftrack_api.testing import LocalServer

        self.args = args
        self.contenders = contenders
        self.workdir = workdir
        self.database = str(workdir / "bench.sqlite")
        self.server = LocalServer(database=self.database).start()
        self.http = requests.Session()
        self.http.headers.update({"content-type": "application/json",
                                  "ftrack-user": self.server.api_user,
                                  "ftrack-api-key": self.server.api_key})
        self.tasks = 0
        self.cells: List[Dict[str, Any]] = []
        self.refs = self._references()
        self.warm_caches: Dict[str, str] = {}

    def close(self) -> None:
        self.server.stop()

    # raw HTTP, used only for seeding
    def call(self, operations: List[Dict[str, Any]]) -> Any:
        response = self.http.post(self.server.url + "/api", data=json.dumps(operations))
        data = response.json()
        if isinstance(data, dict) and "exception" in data:
            raise RuntimeError(f"seeding failed: {data['exception']}: {data.get('content')}")
        return data

    def _ids(self, expression: str) -> List[str]:
        return [row["id"] for row in self.call([{"action": "query",
                                                 "expression": expression}])[0]["data"]]

    def _references(self) -> Dict[str, Any]:
        schema = self._ids("select id from ProjectSchema")[0]
        task_type = self.call([{"action": "query", "expression":
                                'select id from ObjectType where name is "Task"'}])[0]["data"]
        projects = {}
        for name in ("bench_a", "bench_b"):
            key = str(uuid.uuid4())
            self.call([{"action": "create", "entity_type": "Project", "entity_key": [key],
                        "entity_data": {"__entity_type__": "Project", "id": key, "name": name,
                                        "full_name": name.replace("_", " ").title(),
                                        "project_schema_id": schema}}])
            projects[name] = key
        return {
            "project_a": projects["bench_a"], "project_b": projects["bench_b"],
            "statuses": self._ids("select id from Status"),
            "priorities": self._ids("select id from Priority"),
            "types": self._ids("select id from Type"),
            "task_object_type": task_type[0]["id"] if task_type else None,
        }

    def seed_tasks(self, total: int) -> None:
        """Grow the database to ``total`` Tasks: the first ``batch`` under project A."""
        refs = self.refs
        if self.tasks >= total:
            return
        started = time.perf_counter()
        while self.tasks < total:
            operations = []
            for index in range(self.tasks, min(total, self.tasks + 1000)):
                key = str(uuid.uuid4())
                parent = refs["project_a"] if index < self.args.batch else refs["project_b"]
                data = {"__entity_type__": "Task", "id": key, "name": f"task-{index:06d}",
                        "description": f"Seeded benchmark task number {index}",
                        "parent_id": parent,
                        "status_id": refs["statuses"][index % len(refs["statuses"])],
                        "priority_id": refs["priorities"][index % len(refs["priorities"])],
                        "type_id": refs["types"][index % len(refs["types"])]}
                if refs["task_object_type"]:
                    data["object_type_id"] = refs["task_object_type"]
                operations.append({"action": "create", "entity_type": "Task",
                                   "entity_key": [key], "entity_data": data})
            self.call(operations)
            self.tasks += len(operations)
        _log(f"seeded {self.tasks} Tasks ({time.perf_counter() - started:.1f} s)")

    # measurements
    def spec(self, workload: str, **extra: Any) -> Dict[str, Any]:
        spec = {"workload": workload, "server_url": self.server.url,
                "api_user": self.server.api_user, "api_key": self.server.api_key,
                "refs": self.refs, "database": self.database}
        spec.update(extra)
        return spec

    def cache_dir(self, contender: str, warm: bool) -> Optional[str]:
        """A warm (primed) or a new, empty schema cache directory for a client contender."""
        if contender in ("floor", "server"):
            return None
        if warm and contender in self.warm_caches:
            return self.warm_caches[contender]
        return tempfile.mkdtemp(prefix=f"cold-{contender}-", dir=self.workdir)

    def prime(self) -> None:
        """Give each client a warm schema cache (and compile its bytecode) before measuring."""
        for contender in self.contenders.names():
            if contender == "floor":
                run_worker(self.contenders, contender, self.spec("startup"))
                continue
            path = tempfile.mkdtemp(prefix=f"warm-{contender}-", dir=self.workdir)
            self.warm_caches[contender] = path
            for workload, extra in (("session", {}), ("startup", {}), ("create", {"count": 2}),
                                    ("populate", {})):
                result = run_worker(self.contenders, contender,
                                    self.spec(workload, cache_path=path, **extra))
                if not result.get("ok"):
                    _log(f"warning: priming {workload} failed for {contender}: "
                         f"{result.get('error')}")

    def measure(self, cell: str, group: str, workload: str, contenders: Sequence[str],
                metric: str = "seconds", rows: Optional[int] = None,
                warm: bool = True, **extra: Any) -> Dict[str, Any]:
        """Run one cell: ``repeat`` rounds, the contenders alternating in rotated order."""
        samples: Dict[str, List[Any]] = {name: [] for name in contenders}
        order = list(contenders)
        for round_index in range(self.args.repeat):
            rotated = order[round_index % len(order):] + order[:round_index % len(order)]
            for contender in rotated:
                spec = self.spec(workload, cache_path=self.cache_dir(contender, warm),
                                 **extra)
                result = run_worker(self.contenders, contender, spec)
                samples[contender].append(result)
        cell_data = {"cell": cell, "group": group, "workload": workload, "metric": metric,
                     "rows": rows, "params": extra, "samples": samples,
                     "medians": {}, "errors": {}}
        for contender, results in samples.items():
            good = [r[metric] for r in results if r.get("ok")]
            bad = [r.get("error", "?") for r in results if not r.get("ok")]
            if bad:
                cell_data["errors"][contender] = bad[0]
            if good and not bad:
                cell_data["medians"][contender] = statistics.median(good)
        self.cells.append(cell_data)
        _log(_report.cell_line(cell_data))
        return cell_data


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the run ----------------------------------------------------------------------------------
def run(args: argparse.Namespace, contenders: Contenders, workdir: pathlib.Path) -> Dict[str, Any]:
    bench = Bench(args, contenders, workdir)
    try:
        _run_workloads(bench, args)
        if args.profile:
            _profile(bench, args)
    finally:
        bench.close()
    return {"cells": bench.cells, "tasks_seeded": bench.tasks}


def _run_workloads(bench: Bench, args: argparse.Namespace) -> None:
    groups = args.groups
    clients = [name for name in bench.contenders.names() if name != "floor"]
    everyone = bench.contenders.names()
    bench.seed_tasks(min(args.sizes))
    bench.prime()
    if "import" in groups:
        bench.measure("import ftrack_api", "import", "import", everyone)
        bench.measure("import ftrack_api + ftrack_api.Session", "import_use", "import_use",
                      everyone)
    if "session" in groups:
        bench.measure("Session() cold schema cache", "session", "session", everyone,
                      warm=False)
        bench.measure("Session() warm schema cache", "session", "session", everyone)
        bench.measure("start-up: import + Session() + first query", "startup", "startup",
                      everyone)
    serve_done = False
    for size in args.sizes:
        bench.seed_tasks(size)
        if "query" in groups:
            for page_size in args.page_sizes:
                bench.measure(f"query().all() {size} rows, page {page_size}", "query",
                              "query", everyone, rows=size, page_size=page_size,
                              expect_rows=size)
        if "serve" in groups and not serve_done and size >= args.serve_rows:
            bench.measure(f"server: serve {args.serve_rows} rows", "serve", "serve",
                          ["server", "floor"], rows=args.serve_rows, warm=False,
                          serve_rows=args.serve_rows, expect_rows=args.serve_rows)
            serve_done = True
        if "memory" in groups and size == _at_least(args.sizes, args.memory_rows):
            bench.measure(f"retained memory per entity ({size} rows)", "memory", "memory",
                          everyone, metric="bytes_per_entity", rows=size, expect_rows=size)
        if "reads" in groups and size == _at_least(args.sizes, args.reads_rows):
            bench.measure(f"six attribute reads x {size} entities", "reads", "reads",
                          everyone, rows=size, expect_rows=size)
    batch = args.batch
    if "get" in groups:
        bench.measure(f"get() x {batch} cached entities", "get", "get", clients,
                      rows=batch, expect_rows=batch)
    if "populate" in groups:
        bench.measure(f"populate(status) over {batch} entities", "populate", "populate",
                      clients, rows=batch, expect_rows=batch)
    if "create" in groups:
        bench.measure(f"create() x {batch} + commit()", "create", "create", everyone,
                      rows=batch, count=batch)


def _at_least(sizes: Sequence[int], rows: int) -> int:
    """The first size at which the database holds at least ``rows`` Tasks."""
    return next(size for size in sizes if size >= rows)


def _profile(bench: Bench, args: argparse.Namespace) -> None:
    """cProfile this library's worst cells (one extra, unreported run each)."""
    directory = pathlib.Path(args.output) / "profiles"
    directory.mkdir(parents=True, exist_ok=True)
    size = max(args.sizes)
    jobs = [
        ("ours-query", "ours", bench.spec("query", page_size=args.page_sizes[0],
                                          expect_rows=size)),
        ("ours-create", "ours", bench.spec("create", count=args.batch)),
        ("ours-session-cold", "ours", bench.spec("session", cold=True)),
        ("ours-session-warm", "ours", bench.spec("session")),
        ("ours-startup", "ours", bench.spec("startup")),
        ("ours-reads", "ours", bench.spec("reads", expect_rows=size)),
        ("server-serve", "server", bench.spec("serve", serve_rows=min(size, args.serve_rows))),
    ]
    for name, contender, spec in jobs:
        spec["cache_path"] = bench.cache_dir(contender, warm=not spec.pop("cold", False))
        if contender == "server":
            # The server runs in this process: profile it here while a worker calls it.
            _profile_server(bench, directory / name, spec)
            continue
        spec["profile"] = str(directory / f"{name}.pstats")
        result = run_worker(bench.contenders, contender, spec)
        _log(f"profile {name}: {'ok' if result.get('ok') else result.get('error')}")


def _profile_server(bench: Bench, base: pathlib.Path, spec: Dict[str, Any]) -> None:
    """Profile the server's request handling for one big query, in this process.

    aiohttp hands each ``/api`` body to a worker thread, where cProfile (per thread) cannot
    follow; so the same two steps (``handle`` then ``json.dumps``) are run here while the
    server is idle.
    """
    import cProfile
    import io
    import pstats

    backend = getattr(bench.server, "_backend", None)
    if backend is None or not hasattr(backend, "handle"):
        _log("profile server-serve: no backend to profile")
        return
    headers = {"ftrack-user": bench.server.api_user, "ftrack-api-key": bench.server.api_key,
               "content-type": "application/json"}
    body = json.dumps([{"action": "query", "expression":
                        f"{_TASKS} offset 0 limit {spec['serve_rows']}"}]).encode()
    creates = []
    for index in range(bench.args.batch):
        key = str(uuid.uuid4())
        creates.append({"action": "create", "entity_type": "Task", "entity_key": [key],
                        "entity_data": {"__entity_type__": "Task", "id": key,
                                        "name": f"profiled-{index}",
                                        "parent_id": bench.refs["project_a"],
                                        "status_id": bench.refs["statuses"][0],
                                        "object_type_id": bench.refs["task_object_type"]}})
    for suffix, request in (("", body), ("-create", json.dumps(creates).encode())):
        profile = cProfile.Profile()
        profile.enable()
        status, payload = backend.handle(headers, request)
        json.dumps(payload)
        profile.disable()
        profile.dump_stats(f"{base}{suffix}.pstats")
        text = io.StringIO()
        pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(25)
        pathlib.Path(f"{base}{suffix}.pstats.txt").write_text(text.getvalue(), encoding="utf-8")
        _log(f"profile server-serve{suffix}: ok (status {status})")
    bench.call([{"action": "delete", "entity_type": "Task", "entity_key": [op["entity_key"][0]]}
                for op in creates])


_TASKS = "select id, name, status_id, priority_id, parent_id, description from Task"


def _commit() -> Optional[str]:
    """The checkout's commit (with ``+dirty`` when it has local changes), if git is there."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=str(REPO),
                              capture_output=True, text=True, timeout=30)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no",
                                "--", "ftrack_api"], cwd=str(REPO), capture_output=True,
                               text=True, timeout=30)
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _machine() -> Dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"python": platform.python_version(), "platform": platform.platform(),
            "load_average": [round(value, 2) for value in load] if load else None,
            "cpus": os.cpu_count(), "date": datetime.datetime.now(datetime.timezone.utc)
            .strftime("%Y-%m-%d %H:%M UTC")}


def _check_dependencies() -> Optional[str]:
    missing = []
    for module in ("requests", "aiohttp"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        return (f"missing {', '.join(missing)} in {sys.executable}: run the benchmark with the "
                f"interpreter the project is installed in (pip install -e '.[server]')")
    return None


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    problem = _check_dependencies()
    if problem:
        _log(f"error: {problem}")
        return 2
    output = pathlib.Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    official: Optional[pathlib.Path] = None
    official_error: Optional[str] = None
    if args.no_official:
        official_error = "disabled with --no-official"
    else:
        try:
            official = _envs.official_python(args.official_python)
        except _envs.EnvironmentUnavailable as error:
            if not args.allow_missing_official:
                _log(f"error: {error}\n(use --allow-missing-official to run without it)")
                return 2
            official_error = str(error)
            _log(f"warning: running without the official client: {error}")
    load_at_start = _machine()["load_average"]
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="ftrack-bench-"))
    contenders = Contenders(official, official_error, workdir / "pycache")
    started = time.perf_counter()
    try:
        data = run(args, contenders, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    data.update({
        "machine": dict(_machine(), load_average_at_start=load_at_start),
        "commit": _commit(), "seconds_total": time.perf_counter() - started,
        "options": {"sizes": args.sizes, "page_sizes": args.page_sizes, "repeat": args.repeat,
                    "batch": args.batch, "reads_rows": args.reads_rows,
                    "memory_rows": args.memory_rows, "serve_rows": args.serve_rows},
        "official": {"python": str(official) if official else None, "error": official_error,
                     "version": _envs.OFFICIAL_VERSION},
    })
    data["targets"] = _report.targets(data)
    (output / "results.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    markdown = _report.markdown(data)
    (output / "results.md").write_text(markdown, encoding="utf-8")
    if not args.no_chart:
        _report.chart(data, output / "chart.png", output / "results.json")
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
