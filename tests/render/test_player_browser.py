"""The HTML player of ``--frames`` in headless Chromium: it follows the step's node and opens ``#step=N``.

Real key presses reach the page through Chromium's own DevTools pipe (``tests/chromium.py``).
"""

from __future__ import annotations

import pytest
from chromium import CHROMIUM, Chromium
from support import SAMPLES

import graphstep as gs
from graphstep.core.work import Work
from graphstep.render.export import export_frames, step_pictures

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install chromium; .ci/run "
                                                                "does)")


# the box of the step's node (``.current``), wholly inside the window
IN_VIEW = """(() => {
  const node = document.querySelector('#stage g.node.current');
  if (!node) return false;
  const r = node.getBoundingClientRect();
  return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;
})()"""


@pytest.fixture(scope="module")
def player(tmp_path_factory):
    folder = tmp_path_factory.mktemp("frames")
    export_frames(gs.trace(gs.load(str(SAMPLES / "mlp.py"))), folder / "mlp")
    return folder / "mlp" / "index.html"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One browser for the module (starting Chromium costs a second of CPU); each test opens its own page."""
    chromium = Chromium(tmp_path_factory.mktemp("profile"))
    yield chromium
    chromium.close()


@needs_chromium
def test_the_step_node_stays_in_view_as_the_walk_moves_on(player, browser):
    browser.open(player.as_uri())
    for step in range(1, 6):
        browser.press("ArrowRight")
        browser.wait_for(f"document.body.dataset.step === '{step}'")
        assert browser.wait_for(IN_VIEW), f"step {step}: the current node is out of view"
    # the frames are taller than the window: the page did scroll to follow the walk
    assert browser.eval("document.getElementById('stage').scrollHeight > innerHeight && scrollY > 0")
    assert browser.eval("location.hash") == "#step=5"


@needs_chromium
def test_a_link_to_step_7_opens_step_7(player, browser):
    browser.open(player.as_uri() + "#step=7")
    assert browser.eval("document.body.dataset.step") == "7"
    assert browser.eval("document.getElementById('caption').textContent").startswith("step 7 · forward · loss = ")
    assert browser.wait_for(IN_VIEW)


@needs_chromium
def test_keys_home_end_and_space_plays_to_the_end(player, browser):
    browser.open(player.as_uri() + "#step=3")
    browser.press("Home")
    assert browser.wait_for("document.body.dataset.step === '0' && location.hash === '#step=0'")
    browser.press("End")
    assert browser.wait_for("document.body.dataset.step === '15'")
    for _ in range(3):
        browser.press("ArrowLeft")
    assert browser.wait_for("document.body.dataset.step === '12'")
    browser.eval("document.getElementById('speed').value = '4'")
    # plays at 4 steps a second and stops at the last one (from step 12: each step the page draws costs
    # Chromium ~50 CPU-ms, and three show the playing as well as fifteen)
    browser.press(" ")
    assert browser.wait_for("document.getElementById('play-text').textContent === 'pause'")
    assert browser.wait_for("document.body.dataset.step === '15' && "
                            "document.getElementById('play-text').textContent === 'play'")


def test_no_button_needs_a_media_control_glyph(player):
    page = player.read_text(encoding="utf-8")
    assert not any(glyph in page for glyph in "⏮⏭⏯⏸⏵⏴")


@needs_chromium
def test_an_animation_opens_in_chromium(tmp_path, browser):
    from graphstep.render.animate import export_animation

    graph = gs.trace(gs.load(str(SAMPLES / "double.py")))
    names = ["walk.gif", "walk.webp", "walk.apng"]
    for name in names:  # two frames (steps 0 and 3) make an animation: each more is a Graphviz layout
        export_animation(graph, tmp_path / name, scale=0.5, every=3)
    page = tmp_path / "page.html"
    page.write_text("".join(f'<img src="{name}">' for name in names), encoding="utf-8")
    browser.open(page.as_uri(), ready="true")
    decoded = browser.wait_for("Promise.all([...document.images].map((i) => i.decode().then("
                               "() => [i.naturalWidth, i.naturalHeight]))).catch((e) => String(e))")
    assert decoded == [list(_size(tmp_path / name)) for name in names]  # a broken file would say EncodingError


def _size(path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as image:
        return image.size


# myfunc's loop from a = 0.5: 8 doublings, folded at the end (28 frames, each laid out by Graphviz, where the
# sample's 55 cost twice the CPU for no case more)
LOOP = """\
import graphstep as gs


def my_func(a):
    while a.norm() < 100:
        a = a * 2
    if a.sum() > 0:
        return a
    return -1 * a


@gs.computation
def loop():
    return my_func(gs.param(0.5, name="a"))
"""


def test_every_step_names_a_box_its_frame_draws(tmp_path):
    """The page follows ``focus``: a Graphviz node title in that frame's SVG, a folded repeat's box included."""
    (tmp_path / "loop.py").write_text(LOOP)
    graph = gs.trace(gs.load(str(tmp_path / "loop.py")))
    stepper = gs.Stepper(graph)
    frames = list(step_pictures(stepper, "svg", Work("frames", stepper.total + 1), rankdir="TB", full=False,
                                fold=None, limit=800))
    assert frames[0].focus is None and len(frames) == stepper.total + 1
    for frame in frames[1:]:
        assert f"<title>{frame.focus}</title>" in frame.image.decode("utf-8"), frame.caption
    assert any(not f.focus.startswith("n") for f in frames[1:])  # some steps are inside a folded box
