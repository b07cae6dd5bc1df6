"""Drive the TUI headless and save SVG + PNG screenshots into screenshots/ (tui-*.svg, tui-*.png).

Usage: python scripts/screenshots.py            (needs rsvg-convert and fonts-firacode for the PNGs)

The PNG goes through a copy of the SVG with plain spaces and xml:space="preserve",
because rsvg-convert collapses the non-breaking spaces Textual writes.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
from pathlib import Path

from graphstep.tui.app import GraphstepApp

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screenshots"

# (file, shot name, keys pressed before the shot, terminal size)
SHOTS = [
    ("samples/mlp.py", "tui-mlp-start", [], (160, 48)),
    ("samples/mlp.py", "tui-mlp-forward", ["n"] * 3, (160, 48)),
    ("samples/mlp.py", "tui-mlp-backward", ["n"] * 14, (160, 48)),
    ("samples/mlp.py", "tui-mlp-end", ["e", "c", "pause", "up"], (160, 48)),
    ("samples/mlp.py", "tui-mlp-help", ["question_mark"], (160, 48)),
    ("samples/mlp.py", "tui-mlp-80x24", ["n"] * 10, (80, 24)),
    ("samples/mlp.py", "tui-mlp-200x60", ["n"] * 12, (200, 60)),
    ("samples/myfunc.py", "tui-myfunc-start", [], (160, 48)),
    ("samples/myfunc.py", "tui-myfunc-forward", ["n"] * 10, (160, 48)),
    ("samples/myfunc.py", "tui-myfunc-backward", ["f"] + ["n"] * 12, (160, 48)),
    ("samples/myfunc.py", "tui-myfunc-end", ["e", "j"], (160, 48)),
    ("samples/myfunc.py", "tui-myfunc-grouped", ["n"] * 10 + ["down"], (160, 48)),
    ("samples/deep_mlp.py", "tui-deep-mlp-folded", ["z", "f"] + ["n"] * 12, (160, 48)),
    ("samples/deep_mlp.py", "tui-deep-mlp-focus", ["n"] * 11 + ["v", "minus"], (160, 48)),
    ("samples/mlp.py", "tui-mlp-debug", ["n"] * 3 + ["w", "b", "down", "down", "w", "r", "e", "e"], (160, 48)),
    ("samples/nan.py", "tui-nan-stop", ["e"], (160, 48)),
    ("samples/mlp.py", "tui-mlp-entry", ["e", "slash", "W", "1", "pause", "enter", "i", "down", "down"]
     + ["right"] * 5, (160, 48)),
]


async def shoot(target: str, name: str, keys: list[str], size: tuple[int, int]) -> Path:
    """Open the app on ``target``, press ``keys``, save ``name``.svg."""
    app = GraphstepApp(str(ROOT / target))
    async with app.run_test(size=size, notifications=True) as pilot:
        await app.workers.wait_for_complete()  # the app runs the file off the UI thread
        for key in keys:
            if key == "pause":
                await app.workers.wait_for_complete()
                await pilot.pause(0.3)
            else:
                await pilot.press(key)
        await pilot.pause()
        path = OUT / f"{name}.svg"
        app.save_screenshot(path.name, str(OUT))
    return path


def to_png(svg: Path) -> Path | None:
    """Convert with rsvg-convert, through a copy whose spaces rsvg keeps."""
    if shutil.which("rsvg-convert") is None:
        return None
    text = svg.read_text(encoding="utf-8")
    text = re.sub(r"<text ", '<text xml:space="preserve" ', text).replace("&#160;", " ")
    fixed = svg.with_suffix(".rsvg.svg")
    fixed.write_text(text, encoding="utf-8")
    png = svg.with_suffix(".png")
    subprocess.run(["rsvg-convert", str(fixed), "-o", str(png)], check=True)
    fixed.unlink()
    return png


def main() -> int:
    OUT.mkdir(exist_ok=True)
    for target, name, keys, size in SHOTS:
        svg = asyncio.run(shoot(target, name, keys, size))
        png = to_png(svg)
        print(svg.relative_to(ROOT), png.relative_to(ROOT) if png else "(no rsvg-convert: no PNG)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
