"""A dependency-free PNG line chart, used only when matplotlib cannot be installed.

It draws axes, a log-log grid and one coloured polyline per series (no text: the colours are
listed in ``results.md``). Good enough to keep the output complete on an offline machine.
"""
from __future__ import annotations

import math
import pathlib
import struct
import zlib
from typing import Dict, List, Sequence, Tuple

PALETTE = {"ours": (31, 119, 180), "official": (214, 39, 40), "floor": (44, 160, 44)}
WIDTH, HEIGHT, MARGIN = 640, 400, 40


def _write_png(path: pathlib.Path, pixels: List[bytearray]) -> None:
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def line_chart(series: Dict[str, List[List[float]]], path: pathlib.Path) -> None:
    """Write a log-log chart of ``{label: [[x, y], ...]}`` to ``path``."""
    pixels = [bytearray(b"\xff" * (WIDTH * 3)) for _ in range(HEIGHT)]

    def put(x: int, y: int, colour: Tuple[int, int, int]) -> None:
        if 0 <= x < WIDTH and 0 <= y < HEIGHT:
            pixels[y][3 * x:3 * x + 3] = bytes(colour)

    def line(a: Tuple[int, int], b: Tuple[int, int], colour: Tuple[int, int, int],
             thick: int = 1) -> None:
        steps = max(abs(b[0] - a[0]), abs(b[1] - a[1]), 1)
        for step in range(steps + 1):
            x = round(a[0] + (b[0] - a[0]) * step / steps)
            y = round(a[1] + (b[1] - a[1]) * step / steps)
            for dx in range(-thick + 1, thick):
                for dy in range(-thick + 1, thick):
                    put(x + dx, y + dy, colour)

    points = [p for values in series.values() for p in values if p[0] > 0 and p[1] > 0]
    grey, black = (225, 225, 225), (0, 0, 0)
    left, right, top, bottom = MARGIN, WIDTH - MARGIN, MARGIN, HEIGHT - MARGIN
    if points:
        xs = [math.log10(p[0]) for p in points]
        ys = [math.log10(p[1]) for p in points]
        x0, x1 = math.floor(min(xs)), math.ceil(max(xs)) or 1
        y0, y1 = math.floor(min(ys)), math.ceil(max(ys))
        x1 = x1 if x1 > x0 else x0 + 1
        y1 = y1 if y1 > y0 else y0 + 1

        def at(point: Sequence[float]) -> Tuple[int, int]:
            px = left + (math.log10(point[0]) - x0) / (x1 - x0) * (right - left)
            py = bottom - (math.log10(point[1]) - y0) / (y1 - y0) * (bottom - top)
            return round(px), round(py)

        for decade in range(x0, x1 + 1):
            x = at((10 ** decade, 10 ** y0))[0]
            line((x, top), (x, bottom), grey)
        for decade in range(y0, y1 + 1):
            y = at((10 ** x0, 10 ** decade))[1]
            line((left, y), (right, y), grey)
        for label, values in sorted(series.items()):
            colour = PALETTE.get(label.split(",")[0], black)
            ordered = sorted(v for v in values if v[0] > 0 and v[1] > 0)
            for a, b in zip(ordered, ordered[1:]):
                line(at(a), at(b), colour, 2)
            for value in ordered:
                cx, cy = at(value)
                for dx in range(-3, 4):
                    for dy in range(-3, 4):
                        put(cx + dx, cy + dy, colour)
    line((left, bottom), (right, bottom), black)
    line((left, top), (left, bottom), black)
    _write_png(path, pixels)
