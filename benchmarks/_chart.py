"""Draw chart.png from results.json with matplotlib (run in the chart's own venv).

Usage: ``python _chart.py results.json chart.png``. Time of ``query().all()`` against the
number of rows, one line per contender and page size, log-log axes.
"""
from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLOURS = {"ours": "#1f77b4", "official": "#d62728", "floor": "#2ca02c"}


def main(source: str, target: str) -> int:
    with open(source, encoding="utf-8") as handle:
        data = json.load(handle)
    lines = {}
    for cell in data["cells"]:
        if cell["group"] != "query":
            continue
        page = cell["params"]["page_size"]
        for name, value in cell["medians"].items():
            lines.setdefault((name, page), []).append((cell["rows"], value))
    figure, axes = plt.subplots(figsize=(8, 5), dpi=110)
    pages = sorted({page for _, page in lines})
    for (name, page), points in sorted(lines.items()):
        points.sort()
        style = "-" if page == pages[0] else "--"
        axes.plot([p[0] for p in points], [p[1] for p in points], style, marker="o",
                  color=COLOURS.get(name, "black"), label=f"{name}, page size {page}")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("Tasks returned by query().all() (six projections)")
    axes.set_ylabel("seconds (median)")
    axes.set_title("query().all(): openftrack-api vs ftrack-python-api 3.1.0 vs raw floor")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
