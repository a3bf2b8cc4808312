"""Draw the sample site's images (PNG via zlib, GIF via LZW) and the benchmark files, stdlib only.

Run from the repository root: ``python3 services/web/scripts/make_assets.py``.
The outputs are committed (a few KiB); the script documents where they came
from and regenerates them byte for byte.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "static"


def png(width: int, height: int, pixel) -> bytes:
    """An RGB PNG; `pixel(x, y)` returns (r, g, b)."""
    rows = b"".join(b"\x00" + bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def gif(width: int, height: int, palette: list[tuple[int, int, int]], index) -> bytes:
    """A GIF89a with a 16-colour palette; `index(x, y)` returns a palette index.

    The LZW stream is the simplest valid one: a clear code before every few
    literal codes keeps the code width fixed at 5 bits, so no dictionary is needed.
    """
    min_code = 4
    clear, end = 1 << min_code, (1 << min_code) + 1
    codes: list[int] = []
    pixels = [index(x, y) for y in range(height) for x in range(width)]
    for start in range(0, len(pixels), 14):   # 14 literals keep the next code below 32
        codes.append(clear)
        codes.extend(pixels[start:start + 14])
    codes.append(end)
    bits = 0
    nbits = 0
    out = bytearray()
    for code in codes:
        bits |= code << nbits
        nbits += 5
        while nbits >= 8:
            out.append(bits & 0xFF)
            bits >>= 8
            nbits -= 8
    if nbits:
        out.append(bits & 0xFF)
    blocks = b"".join(bytes([len(out[i:i + 255])]) + out[i:i + 255] for i in range(0, len(out), 255))
    colours = b"".join(bytes(c) for c in (palette + [(0, 0, 0)] * 16)[:16])
    return (b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF3, 0, 0) + colours
            + b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + bytes([min_code]) + blocks + b"\x00;")


def ico_from_png(data: bytes, size: int) -> bytes:
    """A .ico holding one PNG image (valid since Windows Vista; every browser reads it)."""
    return struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(data), 22) + data


def header_pixel(x: int, y: int) -> tuple[int, int, int]:
    wave = math.sin(x / 23.0) * 12 + math.sin(x / 7.0) * 3
    if y > 60 + wave:
        return (20, 60 + y // 3, 110)
    return (min(255, 40 + x // 4), 120 + (y * 2) % 60, 200)


def logo_pixel(x: int, y: int) -> tuple[int, int, int]:
    cx, cy = x - 31.5, y - 31.5
    r = math.hypot(cx, cy)
    if r < 14:
        return (250, 200, 40)
    if r < 30 and abs(math.atan2(cy, cx) * 8 / math.pi % 2 - 1) < 0.4:
        return (230, 90, 40)
    return (245, 245, 240)


def main() -> None:
    images = STATIC / "images"
    images.mkdir(parents=True, exist_ok=True)
    (images / "header.png").write_bytes(png(480, 96, header_pixel))
    logo = png(64, 64, logo_pixel)
    (images / "logo.png").write_bytes(logo)
    palette = [(255, 255, 255), (200, 30, 30), (30, 140, 60), (40, 80, 200), (240, 200, 40)]
    (images / "wrap.gif").write_bytes(gif(48, 48, palette, lambda x, y: ((x // 8) + (y // 8)) % 5))
    bench = STATIC / "bench"
    bench.mkdir(exist_ok=True)
    for name, size in (("1k.txt", 1024), ("100k.txt", 100 * 1024)):
        line = b"socketlab web benchmark file: the same bytes for every server under test.\n"
        (bench / name).write_bytes((line * (size // len(line) + 1))[:size])
    (STATIC / "favicon.ico").write_bytes(ico_from_png(png(32, 32, lambda x, y: logo_pixel(x * 2, y * 2)), 32))


if __name__ == "__main__":
    main()
