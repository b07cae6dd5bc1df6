"""Provides ``render``: DOT text to SVG/PNG/PDF bytes with whichever Graphviz is available.

The system ``dot`` is used when it is on PATH; otherwise the Graphviz libraries
bundled in pygraphviz's binary wheels, so export works right after ``pip
install`` on Linux x86_64.  pygraphviz lays out in-process in a short-lived
child interpreter, so a layout that runs too long can be stopped.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

from ..errors import GraphstepError

TIMEOUT = 60.0  # seconds a layout may take before it is stopped
FORMATS = ("svg", "png", "pdf")
INSTALL_HINT = ("install Graphviz: 'sudo apt install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS), "
                "'conda install -c conda-forge graphviz' (conda); or 'pip install pygraphviz' (bundles Graphviz "
                "on Linux x86_64); or export .dot and render it elsewhere")
_PGV_DRAW = ("import sys, pygraphviz; sys.stdout.buffer.write(pygraphviz.AGraph(string=sys.stdin.read())"
             ".draw(format=sys.argv[1], prog=sys.argv[2], args=' '.join(sys.argv[3:])))")
PLACED = ("neato", "-n2")  # the engine that draws nodes where their ``pos`` puts them, laying nothing out


@dataclass(frozen=True)
class Renderer:
    """A Graphviz found on this machine."""

    kind: str  # "dot" (system binary) or "pygraphviz" (bundled libraries)
    where: str  # path of dot, or of the pygraphviz package
    version: str

    def describe(self) -> str:
        if self.kind == "dot":
            return f"system Graphviz: {self.where} ({self.version})"
        return f"pygraphviz {self.version} with its bundled Graphviz libraries ({self.where})"


def find_renderer() -> Renderer | None:
    """The system ``dot`` if on PATH, else pygraphviz; ``GRAPHSTEP_RENDERER=dot|pygraphviz`` forces one."""
    forced = os.environ.get("GRAPHSTEP_RENDERER", "")
    dot = shutil.which("dot") if forced in ("", "dot") else None
    if dot:
        return Renderer("dot", dot, _dot_version(dot))
    if forced in ("", "pygraphviz"):
        spec = importlib.util.find_spec("pygraphviz")
        if spec is not None and spec.origin:
            return Renderer("pygraphviz", os.path.dirname(spec.origin), _pygraphviz_version())
    return None


def render(dot: str, fmt: str, *, timeout: float = TIMEOUT, renderer: Renderer | None = None,
           placed: bool = False) -> bytes:
    """Lay out and draw DOT text as ``fmt`` bytes; GraphstepError on a missing Graphviz, failure or timeout.

    ``placed``: every node has its ``pos`` (``render.positions``), so Graphviz draws without laying out.
    """
    if fmt not in FORMATS:
        raise GraphstepError(f"cannot render format {fmt!r}", hint=f"choose one of {', '.join(FORMATS)} or dot")
    renderer = renderer or _found()
    return _run(_command(fmt, placed, renderer), dot, timeout, renderer)


def measure(dot: str, *, timeout: float = TIMEOUT, renderer: Renderer | None = None) -> dict[str, tuple[float, float]]:
    """(width, height) in points of every node of ``dot``, as Graphviz draws it: the nodes must have a ``pos``
    (any: ``Picture.sizing_dot`` puts them all at one place), so nothing is laid out."""
    renderer = renderer or _found()
    plain = _run(_command("plain", True, renderer), dot, timeout, renderer).decode("utf-8", "replace")
    sizes = {}
    for line in plain.splitlines():
        if line.startswith("node "):
            _, name, _, _, width, height, *_ = line.split(" ", 6)
            sizes[name.strip('"')] = (float(width) * 72, float(height) * 72)
    return sizes


def _command(fmt: str, placed: bool, renderer: Renderer) -> list[str]:
    engine = PLACED if placed else ("dot",)
    if renderer.kind == "dot":
        return [renderer.where, f"-K{engine[0]}", *engine[1:], f"-T{fmt}"]
    return [sys.executable, "-c", _PGV_DRAW, fmt, *engine]


def _found() -> Renderer:
    renderer = find_renderer()
    if renderer is None:
        raise GraphstepError("Graphviz not found: no 'dot' on PATH and pygraphviz is not installed",
                             hint=INSTALL_HINT)
    return renderer


def _run(command: list[str], dot: str, timeout: float, renderer: Renderer) -> bytes:
    try:
        done = subprocess.run(command, input=dot.encode("utf-8"), capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise GraphstepError(f"Graphviz layout took longer than {timeout:g} s and was stopped",
                             hint="large graphs are collapsed by default; drop --full, or export .dot and "
                                  "lay it out yourself") from None
    except OSError as err:
        raise GraphstepError(f"cannot run Graphviz ({renderer.describe()}): {err.strerror}",
                             hint=INSTALL_HINT) from None
    if done.returncode != 0 or not done.stdout:
        raise GraphstepError(f"Graphviz failed ({renderer.describe()}): {_last_error(done.stderr)}")
    return done.stdout


def _last_error(stderr: bytes) -> str:
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines()
             if line.strip() and "Fontconfig" not in line]
    return lines[-1].strip() if lines else "no output"


@functools.cache
def _dot_version(dot: str) -> str:
    """Asked once per binary and process: an export of N frames renders 2N times, and ``dot -V`` is a process."""
    try:
        done = subprocess.run([dot, "-V"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "version unknown"
    text = done.stderr.decode("utf-8", "replace")
    found = [line for line in text.splitlines() if "version" in line]
    return found[0].replace("dot - ", "").strip() if found else "version unknown"


def _pygraphviz_version() -> str:
    try:
        from importlib.metadata import version

        return version("pygraphviz")
    except Exception:  # metadata missing in odd installs; the version is only informative
        return "?"
