"""The benchmark runs end to end at tiny sizes, so it cannot rot (issue 6).

No timing is asserted: only that ``benchmarks/run.py`` runs every workload for every
contender without an error cell and writes its JSON, markdown and PNG outputs. In CI
(``CI`` set) the official client 3.1.0 must take part; elsewhere the run goes on without it
when its virtual environment cannot be built (for example offline).
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

# The first test may build the official client's and matplotlib's venvs (pip, from PyPI).
pytestmark = pytest.mark.timeout(900)

REPO = pathlib.Path(__file__).resolve().parents[2]
RUNNER = REPO / "benchmarks" / "run.py"

EXPECTED_CELLS = {
    "import ftrack_api", "import ftrack_api + ftrack_api.Session",
    "Session() cold schema cache", "Session() warm schema cache",
    "start-up: import + Session() + first query",
    "query().all() 60 rows, page 25", "query().all() 60 rows, page 500",
    "query().all() 120 rows, page 25", "query().all() 120 rows, page 500",
    "server: serve 120 rows", "retained memory per entity (120 rows)",
    "six attribute reads x 120 entities", "get() x 20 cached entities",
    "populate(status) over 20 entities", "create() x 20 + commit()",
}


@pytest.fixture(scope="module")
def benchmark_run(tmp_path_factory, request) -> dict:
    output = tmp_path_factory.mktemp("bench-results")
    env = {name: value for name, value in os.environ.items() if not name.startswith("FTRACK_")}
    command = [sys.executable, str(RUNNER), "--sizes", "60,120", "--page-sizes", "25,500",
               "--batch", "20", "--repeat", "1", "--output", str(output)]
    if os.environ.get("CI"):
        # Reuse (or build) the suite's official venv; a failure to build it fails here.
        python = request.getfixturevalue("official_python")
        command += ["--official-python", str(python)]
    else:
        command.append("--allow-missing-official")
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env,
                               cwd=str(REPO))
    assert completed.returncode == 0, completed.stderr[-3000:]
    return {"output": output, "stdout": completed.stdout, "stderr": completed.stderr,
            "data": json.loads((output / "results.json").read_text(encoding="utf-8"))}


def test_every_workload_ran_without_error(benchmark_run: dict) -> None:
    data = benchmark_run["data"]
    cells = {cell["cell"]: cell for cell in data["cells"]}
    assert set(cells) == EXPECTED_CELLS
    errors = {name: cell["errors"] for name, cell in cells.items() if cell["errors"]}
    assert errors == {}
    expected = {"ours", "floor"} | ({"official"} if data["official"]["python"] else set())
    for name, cell in cells.items():
        contenders = set(cell["medians"])
        if cell["group"] == "serve":
            assert contenders == {"server", "floor"}, name
        elif cell["group"] in ("get", "populate"):
            assert contenders == expected - {"floor"}, name
        else:
            assert contenders == expected, name
    assert data["tasks_seeded"] == 120


def test_official_client_takes_part_in_ci(benchmark_run: dict) -> None:
    official = benchmark_run["data"]["official"]
    if os.environ.get("CI"):
        assert official["python"] and official["error"] is None
    elif not official["python"]:
        pytest.skip(f"official client not available here: {official['error']}")
    assert official["version"] == "3.1.0"


def test_raw_samples_and_medians_are_recorded(benchmark_run: dict) -> None:
    for cell in benchmark_run["data"]["cells"]:
        for contender, samples in cell["samples"].items():
            assert len(samples) == 1 and samples[0]["ok"] is True
            assert cell["medians"][contender] == samples[0][cell["metric"]]
        if cell["group"] == "query":
            assert {s["rows"] for ss in cell["samples"].values() for s in ss} == {cell["rows"]}


def test_markdown_table_and_a_verdict_per_target(benchmark_run: dict) -> None:
    markdown = (benchmark_run["output"] / "results.md").read_text(encoding="utf-8")
    assert markdown.strip() == benchmark_run["stdout"].strip()  # the table it printed
    assert "| Workload | ours | official | floor | official ÷ ours | ours ÷ floor |" in markdown
    assert "| query().all() 120 rows, page 500 |" in markdown
    targets = benchmark_run["data"]["targets"]
    texts = [t["target"] for t in targets]
    assert len(texts) == 10  # 2 query cells x 2 criteria + create, memory, import, 2 Session, serve
    for target in targets:
        assert target["status"] in ("PASS", "FAIL", "SKIP")
        assert f"- {target['status']}: {target['target']}" in markdown
    assert any(text.startswith("local server: serving 10,000 rows") for text in texts)


def test_chart_is_a_png(benchmark_run: dict) -> None:
    chart = (benchmark_run["output"] / "chart.png").read_bytes()
    assert chart[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(chart) > 1000


def test_bad_option_is_a_clear_usage_error(tmp_path: pathlib.Path) -> None:
    completed = subprocess.run([sys.executable, str(RUNNER), "--sizes", "10,abc",
                                "--output", str(tmp_path)], capture_output=True, text=True,
                               timeout=60)
    assert completed.returncode == 2
    assert "expected comma separated integers, got '10,abc'" in completed.stderr


# -- the report's pure parts, on hand-made cells ---------------------------------------------
def _benchmarks_module(name: str):
    import importlib

    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(REPO / "benchmarks"))


def _cell(group: str, medians: dict, rows=None, metric="seconds", errors=None, **params):
    return {"cell": f"{group} cell", "group": group, "workload": group, "metric": metric,
            "rows": rows, "params": params, "samples": {}, "medians": medians,
            "errors": errors or {}}


def test_targets_pass_fail_and_skip_from_ratios() -> None:
    report = _benchmarks_module("_report")
    data = {"official": {"error": None}, "cells": [
        _cell("query", {"ours": 0.1, "official": 2.0, "floor": 0.05}, rows=10000, page_size=500),
        _cell("create", {"ours": 0.2, "official": 1.0, "floor": 0.15}, rows=1000),
        _cell("memory", {"ours": 1000.0, "official": 3000.0}, metric="bytes_per_entity"),
        _cell("serve", {"server": 0.1}, rows=10000, errors={"floor": "OSError: boom"}),
    ]}
    verdicts = {t["target"]: (t["status"], t["detail"]) for t in report.targets(data)}
    assert verdicts["query().all() 10000 rows, page 500: ≥ 15× faster than the official "
                    "client"] == ("PASS", "20.0× faster")
    assert verdicts["query().all() 10000 rows, page 500: ≤ 3× the raw floor"] == \
        ("PASS", "2.00× the floor")
    assert verdicts["create() + commit() of 1,000: ≥ 10× faster than the official client"] == \
        ("FAIL", "5.0× faster")
    assert verdicts["retained memory per entity: ≤ 40% of the official client's"] == \
        ("PASS", "33% of the official client's")
    assert verdicts["import ftrack_api: ≤ half the official client's time"] == \
        ("SKIP", "workload not run")
    assert verdicts["local server: serving 10,000 rows within 3× its raw floor"] == \
        ("FAIL", "floor: OSError: boom")


def test_targets_without_the_official_client_are_skipped() -> None:
    report = _benchmarks_module("_report")
    data = {"official": {"error": "offline"}, "cells": [
        _cell("create", {"ours": 0.2, "floor": 0.15}, rows=1000)]}
    (create,) = [t for t in report.targets(data) if t["target"].startswith("create()")]
    assert create["status"] == "SKIP"
    assert create["detail"] == "official client not run (offline)"


def test_fallback_chart_is_a_valid_png(tmp_path: pathlib.Path) -> None:
    import struct
    import zlib

    png = _benchmarks_module("_png")
    path = tmp_path / "chart.png"
    png.line_chart({"ours, page 500": [[1000, 0.04], [10000, 0.3]],
                    "official, page 500": [[1000, 0.45], [10000, 3.2]]}, path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (png.WIDTH, png.HEIGHT)
    length = struct.unpack(">I", data[33:37])[0]
    assert data[37:41] == b"IDAT"
    raw = zlib.decompress(data[41:41 + length])
    assert len(raw) == height * (1 + 3 * width)
    assert bytes(png.PALETTE["official"]) in raw and bytes(png.PALETTE["ours"]) in raw


def test_missing_official_client_fails_clearly_or_is_skipped(tmp_path: pathlib.Path) -> None:
    missing = str(tmp_path / "no-such-venv" / "bin" / "python")
    base = [sys.executable, str(RUNNER), "--quick", "--only", "import", "--no-chart",
            "--official-python", missing]
    refused = subprocess.run(base + ["--output", str(tmp_path / "a")], capture_output=True,
                             text=True, timeout=300)
    assert refused.returncode == 2
    assert f"--official-python {missing} does not exist" in refused.stderr
    assert "--allow-missing-official" in refused.stderr
    allowed = subprocess.run(base + ["--allow-missing-official", "--output", str(tmp_path / "b")],
                             capture_output=True, text=True, timeout=300)
    assert allowed.returncode == 0, allowed.stderr[-2000:]
    data = json.loads((tmp_path / "b" / "results.json").read_text(encoding="utf-8"))
    assert data["official"]["python"] is None
    assert [cell["cell"] for cell in data["cells"]] == [
        "import ftrack_api", "import ftrack_api + ftrack_api.Session"]
    for cell in data["cells"]:
        assert set(cell["medians"]) == {"ours", "floor"}
    (verdict,) = [t for t in data["targets"] if t["target"].startswith("import")]
    assert verdict["status"] == "SKIP"
    assert verdict["detail"] == (f"official client not run (--official-python {missing} "
                                 "does not exist)")
    assert not (tmp_path / "b" / "chart.png").exists()
