"""Draw the extension's 128 px icon, docs/images/icon.png: a prompt's lines of words on a
dark card, some words painted in the salience colours (violet for Grad L2's levels, orange for
a segment that pushed towards the answer), as the editor paints them.

Pure Python (zlib writes the PNG), so it runs without Pillow. Shapes are drawn at 4x and
averaged down, which smooths their edges.

    .venv/bin/python scripts/draw-icon.py [OUT]
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

SIZE = 128
SCALE = 4  # supersampling factor
RGB = tuple[int, int, int]
CARD_TOP: RGB = (0x31, 0x2E, 0x81)  # indigo, the card's gradient from top...
CARD_BOTTOM: RGB = (0x1E, 0x1B, 0x4B)  # ...to bottom
WORD: RGB = (0xE5, 0xE7, 0xEB)  # unpainted words
VIOLET: RGB = (0xA7, 0x8B, 0xFA)  # an unsigned method's colour (promptSalience.unsigned*)
VIOLET_STRONG: RGB = (0x7C, 0x3A, 0xED)
ORANGE: RGB = (0xF9, 0x73, 0x16)  # towards the span (promptSalience.positive*)

# Each line of the "prompt": (width of each word in px at 128, colour of the word).
LINES: list[list[tuple[int, RGB]]] = [
    [(22, WORD), (30, WORD), (18, VIOLET)],
    [(16, WORD), (36, VIOLET_STRONG), (20, WORD)],
    [(28, ORANGE), (14, WORD), (26, WORD)],
    [(20, WORD), (24, VIOLET), (12, WORD)],
]


def inside_rounded(
    x: float, y: float, left: float, top: float, w: float, h: float, r: float
) -> bool:
    """Whether (x, y) lies in the rectangle with rounded corners of radius r."""
    if not (left <= x < left + w and top <= y < top + h):
        return False
    cx = min(max(x, left + r), left + w - r)
    cy = min(max(y, top + r), top + h - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def shapes() -> list[tuple[float, float, float, float, float, RGB | None]]:
    """(left, top, width, height, radius, colour) in 128 px units; None is the card."""
    out: list[tuple[float, float, float, float, float, RGB | None]] = [(4, 4, 120, 120, 24, None)]
    top = 26.0
    for line in LINES:
        left = 20.0
        for width, colour in line:
            out.append((left, top, width, 12, 6, colour))
            left += width + 6
        top += 21
    return out


def draw() -> list[list[tuple[int, int, int, int]]]:
    """The icon's RGBA pixels, row by row."""
    drawn = shapes()
    rows = []
    for py in range(SIZE):
        row = []
        for px in range(SIZE):
            total = [0, 0, 0, 0]
            for sy in range(SCALE):
                for sx in range(SCALE):
                    x = (px * SCALE + sx + 0.5) / SCALE
                    y = (py * SCALE + sy + 0.5) / SCALE
                    colour: RGB | None = None
                    for left, top, w, h, r, fill in drawn:
                        if inside_rounded(x, y, left, top, w, h, r):
                            colour = fill or gradient(y / SIZE)
                    if colour is not None:
                        for i in range(3):
                            total[i] += colour[i]
                        total[3] += 255
            n = SCALE * SCALE
            alpha = total[3] // n
            # Colour channels averaged over the covered samples only (straight alpha).
            covered = total[3] // 255 or 1
            row.append((total[0] // covered, total[1] // covered, total[2] // covered, alpha))
        rows.append(row)
    return rows


def gradient(t: float) -> RGB:
    """The card's colour at height t (0 top, 1 bottom)."""
    r, g, b = (round(a + (z - a) * t) for a, z in zip(CARD_TOP, CARD_BOTTOM, strict=True))
    return (r, g, b)


def png_bytes(rows: list[list[tuple[int, int, int, int]]]) -> bytes:
    """An RGBA PNG (8 bits per channel, no filter) of these rows."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes(v for pixel in row for v in pixel) for row in rows)
    header = struct.pack(">IIBBBBB", len(rows[0]), len(rows), 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images/icon.png")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(png_bytes(draw()))
    print(f"Wrote {out} ({SIZE}x{SIZE})")


if __name__ == "__main__":
    main()
