"""Drive the TUI headless and save SVG + PNG screenshots into screenshots/ (tui-*.svg, tui-*.png).

Usage: python scripts/screenshots.py            (needs rsvg-convert and fonts-firacode for the PNGs)
       python scripts/screenshots.py NAME...    only the shots named (e.g. player-mlp)

Beside the TUI: a frame of the animation ``export -o walk.gif`` writes, the
``--frames`` player and ``graphstep serve`` in headless Chromium, and the notebook
stepper widget (npm and ipywidgets' HTML manager) (``PICTURES``).

The PNG goes through a copy of the SVG with plain spaces and xml:space="preserve",
because rsvg-convert collapses the non-breaking spaces Textual writes.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from graphstep.tui.app import GraphstepApp
from graphstep.tui.session import Session

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screenshots"

# (file, shot name, keys pressed before the shot, terminal size[, --train options])
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
    ("samples/broken/mlp_shapes.py", "tui-shape-error", ["f"], (160, 48)),
    ("samples/mlp.py", "tui-training", ["e"] * 8 + ["p", "p"], (160, 48),
     {"iterations": 20, "lr": 0.05, "optimizer": "adam"}),
    ("samples/mlp.py", "tui-mlp-entry", ["e", "slash", "W", "1", "pause", "enter", "i", "down", "down"]
     + ["right"] * 5, (160, 48)),
    ("samples/mlp.py", "tui-mlp-entry-follow", ["e", "slash", "W", "1", "pause", "enter", "i", "down", "down"]
     + ["right"] * 5 + ["enter", "enter"], (160, 48)),
    ("samples/mlp.py", "tui-heatmap", ["e", "slash", "W", "2", "pause", "enter"], (160, 48)),
    ("samples/mlp.py", "tui-heatmap-map", ["n"] * 13, (160, 48)),
    ("samples/mlp.py", "tui-metric", ["n"] * 12 + ["h"], (160, 48)),
]


async def shoot(target: str, name: str, keys: list[str], size: tuple[int, int], train: dict | None = None) -> Path:
    """Open the app on ``target`` (training it with ``train``), press ``keys``, save ``name``.svg."""
    app = GraphstepApp(str(ROOT / target), Session(str(ROOT / target), train=train) if train else None)
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


def animation_frame(png: Path) -> Path:
    """Frame 10 of ``graphstep export samples/mlp.py -o walk.gif``, as the GIF shows it."""
    from PIL import Image

    import graphstep as gs
    from graphstep.render.animate import export_animation

    with tempfile.TemporaryDirectory() as tmp:
        gif = export_animation(gs.trace(gs.load(str(ROOT / "samples/mlp.py"))), Path(tmp) / "walk.gif").path
        with Image.open(gif) as image:
            image.seek(10)
            image.convert("RGB").save(png)
    return png


def player(png: Path) -> Path:
    """The ``--frames`` player of samples/mlp.py at ``#step=10``, in headless Chromium (it scrolls to the node)."""
    import graphstep as gs
    from graphstep.render.export import export_frames

    sys.path.insert(0, str(ROOT / "tests"))
    from chromium import Chromium  # the tests' driver: Chromium's own --screenshot draws a scrolled page blank

    with tempfile.TemporaryDirectory() as tmp:
        page = export_frames(gs.trace(gs.load(str(ROOT / "samples/mlp.py"))), Path(tmp) / "frames")[-1]
        with Chromium(Path(tmp) / "profile", 1200, 800) as browser:
            browser.open(page.as_uri() + "#step=10")
            return browser.screenshot(png)


def export_training(png: Path) -> Path:
    """``graphstep export samples/regression_train.py --train 20 --lr 0.5 --step 12:9``: the loss curve and the
    gradient norm drawn above the graph of iteration 12."""
    import graphstep as gs
    from graphstep.render.chart import export_training as draw

    training = gs.Training(gs.trace(gs.load(str(ROOT / "samples/regression_train.py"))), 20, 0.5)
    return draw(training.run_to(training.position_of(12, 9)), png, force=True)


def browser_tui(png: Path) -> Path:
    """``graphstep serve samples/mlp.py`` in headless Chromium, after n pressed 12 times in the page."""
    sys.path.insert(0, str(ROOT / "tests"))
    from chromium import Chromium
    from served import open_served, screen, serving, type_key

    with tempfile.TemporaryDirectory() as tmp, serving("samples/mlp.py") as (_, url), \
            Chromium(Path(tmp) / "profile", 1600, 1000) as browser:
        open_served(browser, f"{url}?fontsize=12", showing="step 0/15")
        for _ in range(12):
            type_key(browser, "n")
        screen(browser, showing="step 12/15")
        return browser.screenshot(png)


def notebook(png: Path) -> Path:
    """examples/stepper.ipynb run by nbclient, its stepper widget at step 12 drawn from the widget state the run
    saved, by ipywidgets' own HTML manager (``npm pack @jupyter-widgets/html-manager``), in headless Chromium."""
    import json

    import nbformat

    sys.path.insert(0, str(ROOT / "tests"))
    from chromium import Chromium
    from notebooks import execute

    run = execute(nbformat.read(ROOT / "examples" / "stepper.ipynb", as_version=4), ROOT / "examples")
    view = next(o.data for o in run.cells[3].outputs if o.output_type == "execute_result")
    state = run.metadata.widgets["application/vnd.jupyter.widget-state+json"]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "--silent", "@jupyter-widgets/html-manager@1"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run("tar xzf *.tgz", shell=True, cwd=tmp, check=True)
        page = Path(tmp) / "notebook.html"
        page.write_text(NOTEBOOK_PAGE.format(state=json.dumps(state),
                                             view=json.dumps(view["application/vnd.jupyter.widget-view+json"])))
        with Chromium(Path(tmp) / "profile", 1400, 760) as browser:
            browser.open(page.as_uri(), ready="document.querySelector('.widget-vbox svg') !== null")
            return browser.screenshot(png)


NOTEBOOK_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><script src="package/dist/embed.js"></script>
<style>body {{ font-family: sans-serif; margin: 16px; }} pre {{ font-size: 12px; }}</style></head>
<body><div style="color:#555;margin-bottom:8px">
In [2]: w = gs.widget(st); w.go(12); w.node.value = st.graph.id("W2"); w</div>
<script type="application/vnd.jupyter.widget-state+json">{state}</script>
<script type="application/vnd.jupyter.widget-view+json">{view}</script>
</body></html>
"""

# (shot name, what makes it): pictures from the command line and a browser rather than the TUI
PICTURES = {"animation-mlp-frame": animation_frame, "player-mlp": player, "export-training": export_training,
            "browser-tui-mlp": browser_tui, "notebook-mlp": notebook}


def main() -> int:
    """Every shot, or only those named on the command line."""
    wanted = set(sys.argv[1:])
    OUT.mkdir(exist_ok=True)
    for target, name, keys, size, *train in SHOTS:
        if wanted and name not in wanted:
            continue
        svg = asyncio.run(shoot(target, name, keys, size, *train))
        png = to_png(svg)
        print(svg.relative_to(ROOT), png.relative_to(ROOT) if png else "(no rsvg-convert: no PNG)")
    for name, make in PICTURES.items():
        if not wanted or name in wanted:
            print(make(OUT / f"{name}.png").relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
