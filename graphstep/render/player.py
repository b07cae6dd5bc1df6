"""Provides ``player_html``: one self-contained HTML page that steps through the pictures of a walk.

The frames are embedded as data URIs, so the page can be mailed or put next to
slides on its own.  An SVG frame is drawn inline, so the page can find the box
of the step's node (``Frame.focus``, a Graphviz node title) and scroll it into
view on every step, as the TUI follows the walk.  ←/→ (or n/p, as in the TUI),
Home/End and the buttons move between steps; space plays and pauses at the
chosen speed; ``#step=N`` in the address opens step N, and the address follows
the step, so a link points at the picture on screen.  The buttons are drawn
with inline SVG: media-control characters (⏮ ⏭) have no glyph in many fonts.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from typing import Protocol

_MIME = {"svg": "image/svg+xml", "png": "image/png"}
SPEEDS = (0.5, 1, 2, 4)  # steps a second the speed menu offers; 1 is chosen


class Framed(Protocol):
    """What the page needs of a frame (``render.export.Frame``)."""

    caption: str
    image: bytes
    focus: str | None


def _icon(path: str) -> str:
    return f'<svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"><path d="{path}"/></svg>'


_ICONS = {
    "first": _icon("M2 2h2v12H2zM14 2v12L5 8z"),
    "prev": _icon("M12 2v12L3 8z"),
    "play": _icon("M4 2v12l10-6z"),
    "pause": _icon("M3 2h4v12H3zM9 2h4v12H9z"),
    "next": _icon("M4 2v12l9-6z"),
    "last": _icon("M12 2h2v12h-2zM2 2v12l9-6z"),
}

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  body {{ font-family: Helvetica, Arial, sans-serif; margin: 0; background: #f8f9fa; color: #212529; }}
  header {{ position: sticky; top: 0; z-index: 1; background: #fff; border-bottom: 1px solid #dee2e6;
           padding: 8px 16px; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }}
  button {{ font-size: 14px; padding: 4px 10px; cursor: pointer; display: inline-flex; gap: 4px;
           align-items: center; }}
  button svg {{ fill: currentColor; }}
  #counter {{ min-width: 7em; text-align: center; font-variant-numeric: tabular-nums; }}
  #caption {{ flex-basis: 100%; font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }}
  main {{ padding: 16px; }}
  #stage {{ width: max-content; min-width: 100%; text-align: center; }}
  #stage > svg, #stage > img {{ background: #fff; box-shadow: 0 1px 4px rgba(0,0,0,.15); }}
  #stage g.node.current > path, #stage g.node.current > polygon, #stage g.node.current > ellipse {{
      filter: drop-shadow(0 0 6px #fd7e14); }}
</style>
</head>
<body data-step="0">
<header>
  <strong>{title}</strong>
  <button id="first" title="first step (Home)">{first}</button>
  <button id="prev" title="previous step (← or p)">{prev} prev</button>
  <button id="play" title="play / pause (space)"><span id="play-icon">{play}</span><span id="play-text">play</span>
  </button>
  <button id="next" title="next step (→ or n)">next {next}</button>
  <button id="last" title="last step (End)">{last}</button>
  <span id="counter"></span>
  <label>speed <select id="speed" title="steps a second while playing">{speeds}</select></label>
  <span id="caption"></span>
</header>
<main><div id="stage"></div></main>
<script>
const frames = {frames};
const captions = {captions};
const focus = {focus};
const inline = {inline};  // SVG frames are drawn into the page, where their boxes can be found
const icons = {{play: {play_js}, pause: {pause_js}}};
const stage = document.getElementById("stage");
let k = 0, timer = null;

function svgText(uri) {{  // a base64 data URI, decoded as UTF-8
  const bytes = Uint8Array.from(atob(uri.slice(uri.indexOf(",") + 1)), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}}

function focusNode() {{  // the box of the step's node: a Graphviz node whose <title> is its DOT name
  if (!focus[k]) return null;
  for (const title of stage.querySelectorAll("g.node > title"))
    if (title.textContent === focus[k]) return title.parentElement;
  return null;
}}

function show(i) {{
  k = Math.max(0, Math.min(frames.length - 1, i));
  if (inline) {{
    const text = svgText(frames[k]);
    stage.innerHTML = text.slice(text.indexOf("<svg"));
  }} else {{
    stage.innerHTML = '<img alt="graph at the current step">';
    stage.firstChild.src = frames[k];
  }}
  document.getElementById("counter").textContent = "step " + k + " / " + (frames.length - 1);
  document.getElementById("caption").textContent = captions[k];
  document.body.dataset.step = k;
  history.replaceState(null, "", "#step=" + k);
  const node = focusNode();
  if (node) {{
    node.classList.add("current");
    node.scrollIntoView({{block: "center", inline: "center", behavior: "instant"}});
  }}
}}

function play(on) {{
  clearTimeout(timer);
  timer = null;
  if (on) {{
    if (k === frames.length - 1) show(0);
    const tick = () => {{
      if (k === frames.length - 1) return play(false);
      show(k + 1);
      timer = setTimeout(tick, 1000 / Number(document.getElementById("speed").value));
    }};
    timer = setTimeout(tick, 1000 / Number(document.getElementById("speed").value));
  }}
  document.getElementById("play-icon").innerHTML = on ? icons.pause : icons.play;
  document.getElementById("play-text").textContent = on ? "pause" : "play";
}}

function fromAddress() {{
  const found = /^#step=(\\d+)$/.exec(location.hash);
  return found ? Number(found[1]) : 0;
}}

const moves = {{first: () => 0, prev: () => k - 1, next: () => k + 1, last: () => frames.length - 1}};
for (const [id, to] of Object.entries(moves))
  document.getElementById(id).onclick = () => {{ play(false); show(to()); }};
document.getElementById("play").onclick = () => play(timer === null);
const keys = {{ArrowRight: "next", n: "next", ArrowLeft: "prev", p: "prev", Home: "first", End: "last"}};
document.addEventListener("keydown", (e) => {{
  if (e.target.tagName === "SELECT" || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === " ") play(timer === null);
  else if (keys[e.key]) {{ play(false); show(moves[keys[e.key]]()); }}
  else return;
  e.preventDefault();
}});
window.addEventListener("hashchange", () => show(fromAddress()));
show(fromAddress());
</script>
</body>
</html>
"""


def player_html(name: str, frames: Sequence[Framed], fmt: str) -> str:
    """A page that shows ``frames`` one at a time, following the step's node, with buttons, keys and play."""
    uris = [f"data:{_MIME[fmt]};base64,{base64.b64encode(f.image).decode('ascii')}" for f in frames]
    speeds = "".join(f'<option value="{s:g}"{" selected" if s == 1 else ""}>{s:g}×</option>' for s in SPEEDS)
    return _PAGE.format(title=html.escape(f"graphstep · {name}"), frames=_js(uris),
                        captions=_js([f.caption for f in frames]), focus=_js([f.focus for f in frames]),
                        inline=_js(fmt == "svg"),
                        speeds=speeds, play_js=_js(_ICONS["play"]), pause_js=_js(_ICONS["pause"]), **_ICONS)


def _js(value) -> str:
    # json is valid JavaScript; escaping "</" keeps a caption from closing the script element
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")
