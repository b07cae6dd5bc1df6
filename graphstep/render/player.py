"""Provides ``player_html``: one self-contained HTML page that flips through step pictures.

The frames are embedded as data URIs, so the page can be mailed or put next to
slides on its own; ←/→ (or the buttons, or Home/End) move between steps.
"""

from __future__ import annotations

import base64
import html
import json

_MIME = {"svg": "image/svg+xml", "png": "image/png"}

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  body {{ font-family: Helvetica, Arial, sans-serif; margin: 0; background: #f8f9fa; color: #212529; }}
  header {{ position: sticky; top: 0; background: #fff; border-bottom: 1px solid #dee2e6; padding: 8px 16px;
           display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }}
  button {{ font-size: 15px; padding: 4px 14px; cursor: pointer; }}
  #caption {{ font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }}
  main {{ padding: 16px; text-align: center; }}
  img {{ max-width: 100%; background: #fff; box-shadow: 0 1px 4px rgba(0,0,0,.15); }}
</style>
</head>
<body>
<header>
  <strong>{title}</strong>
  <button id="first" title="first step (Home)">⏮</button>
  <button id="prev" title="previous step (←)">◀ prev</button>
  <span id="counter"></span>
  <button id="next" title="next step (→)">next ▶</button>
  <button id="last" title="last step (End)">⏭</button>
  <span id="caption"></span>
</header>
<main><img id="frame" alt="graph at the current step"></main>
<script>
const frames = {frames};
const captions = {captions};
let k = 0;
function show(i) {{
  k = Math.max(0, Math.min(frames.length - 1, i));
  document.getElementById("frame").src = frames[k];
  document.getElementById("counter").textContent = "step " + k + " / " + (frames.length - 1);
  document.getElementById("caption").textContent = captions[k];
}}
document.getElementById("first").onclick = () => show(0);
document.getElementById("prev").onclick = () => show(k - 1);
document.getElementById("next").onclick = () => show(k + 1);
document.getElementById("last").onclick = () => show(frames.length - 1);
document.addEventListener("keydown", (e) => {{
  if (e.key === "ArrowRight" || e.key === " ") {{ show(k + 1); e.preventDefault(); }}
  if (e.key === "ArrowLeft") show(k - 1);
  if (e.key === "Home") show(0);
  if (e.key === "End") show(frames.length - 1);
}});
show(0);
</script>
</body>
</html>
"""


def player_html(name: str, images: list[bytes], captions: list[str], fmt: str) -> str:
    """A page that shows ``images`` one at a time with prev/next buttons and arrow keys."""
    uris = [f"data:{_MIME[fmt]};base64,{base64.b64encode(data).decode('ascii')}" for data in images]
    return _PAGE.format(title=html.escape(f"graphstep · {name}"), frames=_js(uris), captions=_js(captions))


def _js(values: list[str]) -> str:
    # json is valid JavaScript; escaping "</" keeps a caption from closing the script element
    return json.dumps(values, ensure_ascii=False).replace("</", "<\\/")
