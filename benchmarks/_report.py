"""Turn the collected cells into the markdown table, the issue-6 targets and the chart."""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys
from typing import Any, Callable, Dict, List, Optional

HERE = pathlib.Path(__file__).resolve().parent
CONTENDERS = ("ours", "official", "floor", "server")
Cell = Dict[str, Any]


# -- formatting -------------------------------------------------------------------------------
def fmt_seconds(value: float) -> str:
    if value >= 1.0:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.0f} µs"


def fmt_value(cell: Cell, contender: str) -> str:
    if contender in cell["errors"]:
        return "error"
    if contender not in cell["medians"]:
        return "—"
    value = cell["medians"][contender]
    if cell["metric"] == "bytes_per_entity":
        return f"{value / 1024:.2f} KiB"
    return fmt_seconds(value)


def ratio(cell: Cell, numerator: str, denominator: str) -> Optional[float]:
    medians = cell["medians"]
    if numerator in medians and denominator in medians and medians[denominator] > 0:
        return medians[numerator] / medians[denominator]
    return None


def fmt_ratio(value: Optional[float]) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}×" if value < 0.1 else f"{value:.2f}×"


def cell_line(cell: Cell) -> str:
    """One log line while the run goes on."""
    parts = [f"{name}={fmt_value(cell, name)}" for name in cell["samples"]]
    errors = "; ".join(f"{name}: {error.splitlines()[0][:200]}"
                       for name, error in cell["errors"].items())
    return f"{cell['cell']}: " + ", ".join(parts) + (f"  [errors: {errors}]" if errors else "")


# -- targets ----------------------------------------------------------------------------------
def _target(text: str, cell: Optional[Cell], value: Optional[float], limit: float,
            at_least: bool, describe: str, missing: str = "") -> Dict[str, Any]:
    if cell is None:
        return {"target": text, "status": "SKIP", "detail": missing or "workload not run"}
    if value is None:
        errors = "; ".join(f"{k}: {v.splitlines()[0][:160]}" for k, v in cell["errors"].items())
        return {"target": text, "status": "SKIP" if not errors else "FAIL",
                "detail": errors or missing or "a contender was not run"}
    passed = value >= limit if at_least else value <= limit
    return {"target": text, "status": "PASS" if passed else "FAIL",
            "detail": describe.format(value=value)}


def targets(data: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The issue-6 targets, each PASS, FAIL or SKIP, evaluated on ratios of this run."""
    cells = data["cells"]
    no_official = data.get("official", {}).get("error")
    missing = f"official client not run ({no_official})" if no_official else ""
    out: List[Dict[str, Any]] = []

    def find(group: str, predicate: Callable[[Cell], bool] = lambda c: True) -> List[Cell]:
        return [c for c in cells if c["group"] == group and predicate(c)]

    query_cells = find("query", lambda c: c["rows"] in (10000, 50000))
    note = ""
    if not query_cells and find("query"):
        largest = max(c["rows"] for c in find("query"))
        query_cells = find("query", lambda c: c["rows"] == largest)
        note = f" (run at {largest} rows; issue 6 sets it at 10,000 and 50,000)"
    for cell in query_cells:
        label = f"query().all() {cell['rows']} rows, page {cell['params']['page_size']}"
        out.append(_target(f"{label}: ≥ 15× faster than the official client{note}", cell,
                           ratio(cell, "official", "ours"), 15.0, True,
                           "{value:.1f}× faster", missing))
        out.append(_target(f"{label}: ≤ 3× the raw floor{note}", cell,
                           ratio(cell, "ours", "floor"), 3.0, False, "{value:.2f}× the floor"))
    for cell in find("create") or [None]:
        out.append(_target("create() + commit() of 1,000: ≥ 10× faster than the official "
                           "client", cell, cell and ratio(cell, "official", "ours"), 10.0, True,
                           "{value:.1f}× faster", missing))
    for cell in find("memory") or [None]:
        out.append(_target("retained memory per entity: ≤ 40% of the official client's", cell,
                           cell and ratio(cell, "ours", "official"), 0.40, False,
                           "{value:.0%} of the official client's", missing))
    for cell in find("import") or [None]:
        out.append(_target("import ftrack_api: ≤ half the official client's time", cell,
                           cell and ratio(cell, "ours", "official"), 0.5, False,
                           "{value:.3f}× the official client's time", missing))
    for cell in find("session") or [None]:
        label = cell["cell"] if cell else "Session()"
        out.append(_target(f"{label}: no slower than the official client", cell,
                           cell and ratio(cell, "ours", "official"), 1.0, False,
                           "{value:.2f}× the official client's time", missing))
    for cell in find("serve") or [None]:
        out.append(_target("local server: serving 10,000 rows within 3× its raw floor"
                           + ("" if not cell or cell["rows"] == 10000
                              else f" (run at {cell['rows']} rows)"), cell,
                           cell and ratio(cell, "server", "floor"), 3.0, False,
                           "{value:.2f}× the floor"))
    return out


# -- markdown ---------------------------------------------------------------------------------
def markdown(data: Dict[str, Any]) -> str:
    cells = data["cells"]
    options = data["options"]
    machine = data["machine"]
    official = data["official"]
    lines = [
        "# openftrack-api benchmark (issue 6)",
        "",
        f"{machine['date']} · Python {machine['python']} · {machine['cpus']} CPUs · "
        f"{machine['platform']} · load average (1/5/15 min) at start "
        f"{machine.get('load_average_at_start')}, at end {machine.get('load_average')}  ",
        f"Median of {options['repeat']} fresh-process run(s) per cell, contenders alternating; "
        f"one LocalServer (file SQLite) holding the same data for all. "
        f"Official client: ftrack-python-api {official['version']}"
        + (f" — **not run**: {official['error']}" if official["error"] else "") + "."
        + (f" Checkout measured: {data['commit']}." if data.get("commit") else ""),
        "",
        "ours = this library; official = ftrack-python-api 3.1.0; floor = the same pages "
        "fetched with plain requests and decoded with json.loads (the server's time is in "
        "every column, the floor's included).",
        "",
        "| Workload | ours | official | floor | official ÷ ours | ours ÷ floor |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for cell in cells:
        if cell["group"] == "serve":
            continue
        lines.append(
            f"| {cell['cell']} | {fmt_value(cell, 'ours')} | {fmt_value(cell, 'official')} | "
            f"{fmt_value(cell, 'floor')} | {fmt_ratio(ratio(cell, 'official', 'ours'))} | "
            f"{fmt_ratio(ratio(cell, 'ours', 'floor'))} |")
    serve = [c for c in cells if c["group"] == "serve"]
    creates = [c for c in cells if c["group"] == "create"]
    if serve or creates:
        lines += ["", "Local server:", "",
                  "| Workload | server | floor | server ÷ floor |", "|---|---:|---:|---:|"]
        for cell in serve:
            lines.append(f"| {cell['cell']} (one HTTP request) vs SQLite + json.dumps | "
                         f"{fmt_value(cell, 'server')} | {fmt_value(cell, 'floor')} | "
                         f"{fmt_ratio(ratio(cell, 'server', 'floor'))} |")
        for cell in creates:
            lines.append(f"| server: one batch of {cell['rows']} creates (raw HTTP) | "
                         f"{fmt_value(cell, 'floor')} | — | — |")
    query = [c for c in cells if c["group"] == "query"]
    if query:
        lines += ["", "Cost per entity of query().all():", "",
                  "| Rows, page size | ours | official | floor |", "|---|---:|---:|---:|"]
        for cell in query:
            values = []
            for name in ("ours", "official", "floor"):
                median = cell["medians"].get(name)
                values.append("—" if median is None else f"{median / cell['rows'] * 1e6:.1f} µs")
            lines.append(f"| {cell['rows']}, {cell['params']['page_size']} | "
                         + " | ".join(values) + " |")
    errors = [(c["cell"], name, error) for c in cells for name, error in c["errors"].items()]
    if errors:
        lines += ["", "Errors:", ""]
        for cell_name, name, error in errors:
            lines.append(f"- {cell_name} / {name}: `{error.splitlines()[0][:300]}`")
    lines += ["", "Targets (issue 6):", ""]
    for target in data["targets"]:
        lines.append(f"- {target['status']}: {target['target']} — {target['detail']}")
    passed = sum(t["status"] == "PASS" for t in data["targets"])
    failed = sum(t["status"] == "FAIL" for t in data["targets"])
    skipped = sum(t["status"] == "SKIP" for t in data["targets"])
    lines += ["", f"{passed} targets passed, {failed} failed, {skipped} skipped.", ""]
    return "\n".join(lines)


# -- chart ------------------------------------------------------------------------------------
def chart(data: Dict[str, Any], path: pathlib.Path, results_json: pathlib.Path) -> str:
    """Draw ``path`` with matplotlib (its own venv); fall back to a plain PNG writer.

    Return ``"matplotlib"`` or ``"fallback"`` (the method used).
    """
    import _envs

    try:
        python = _envs.chart_python()
        completed = subprocess.run([str(python), str(HERE / "_chart.py"), str(results_json),
                                    str(path)], capture_output=True, text=True, timeout=300)
        if completed.returncode == 0 and path.exists():
            return "matplotlib"
        print(f"warning: matplotlib chart failed: {completed.stderr.strip()[-500:]}",
              file=sys.stderr)
    except (_envs.EnvironmentUnavailable, OSError, subprocess.SubprocessError) as error:
        print(f"warning: no matplotlib ({error}); drawing a plain chart", file=sys.stderr)
    import _png

    _png.line_chart(series(data), path)
    return "fallback"


def series(data: Dict[str, Any]) -> Dict[str, List[List[float]]]:
    """``{"ours, page 500": [[rows, seconds], ...], ...}`` for the query cells."""
    out: Dict[str, List[List[float]]] = {}
    for cell in data["cells"]:
        if cell["group"] != "query":
            continue
        for name in ("ours", "official", "floor"):
            if name in cell["medians"]:
                label = f"{name}, page {cell['params']['page_size']}"
                out.setdefault(label, []).append([cell["rows"], cell["medians"][name]])
    return out


if __name__ == "__main__":  # re-render from a results.json: python _report.py results.json
    loaded = json.loads(pathlib.Path(sys.argv[1]).read_text(encoding="utf-8"))
    loaded["targets"] = targets(loaded)
    print(markdown(loaded))
