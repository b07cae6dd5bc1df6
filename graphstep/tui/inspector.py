"""Provides ``Inspector``: everything the stepper knows about the selected node.

Kind, op and source line; forward and backward formulas with shapes and the
shape check; value and gradient as readable arrays; each contribution that
arrived during backward; the gradient-check result; the local Jacobian on
request.  Only formatting happens here: every number comes from the Stepper.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip

from ..core.stepper import BACKWARD, FORWARD
from ..text import fmt_array, fmt_shape, summarize
from .session import Session
from .styles import CachedStyles

JACOBIAN_MAX = 64  # entries in and out
MAX_ROWS = 12  # contributions listed per node
KINDS = {"param": "parameter (gets a gradient)", "input": "input (data, no gradient needed)",
         "const": "constant", "op": "operation"}
STATE_TEXT = {"pending": "pending: not computed yet", "computed": "computed (forward value known)",
              "grad": "gradient known", "current": "current: the last step was here"}


def array_lines(label: str, a, width: int) -> list[tuple[str, RenderableType]]:
    """Rows for a value, gradient or tangent: the array, then shape, dtype and min/mean/max."""
    if a is None:
        return [(label, Text("— not yet", style="dim"))]
    a = np.asarray(a)
    rows = [(label, Text(fmt_array(a, width)))]
    stats = summarize(a) if a.size > 4 else ""
    rows.append(("", Text(f"{fmt_shape(a.shape)} {a.dtype}  {stats}".rstrip(), style="dim")))
    return rows


Styles = Callable[[str], Style]  # a component style by name ("ok", "bad" …): its colour is set in app.tcss


class Inspector(CachedStyles, ScrollView, can_focus=False):
    """The selected node, in detail; pre-rendered to lines so a step repaints without re-layout."""

    STYLE_PREFIX = "inspector"
    COMPONENT_CLASSES = {"inspector--ok", "inspector--bad", "inspector--stopped", "inspector--break"}

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.lines: list[Strip] = []
        self._shown: tuple = ()
        self._args: tuple = ()
        self._rows: tuple = ()

    def show(self, session: Session, node: int | None, jacobian: bool = False) -> None:
        """Redraw for ``node`` from the session's stepper."""
        self._args, self._rows = (session, node, jacobian), ()
        if node is None or not session.ready:
            self.border_title = "Inspector"
            self._paint(Text("no node selected", style="dim"))
            return
        info = session.graph.node(node)
        self.border_title = f"{info['name']} · {info['op'] or info['kind']} · {info['source']}"
        width = max(20, self.scrollable_content_region.width - 12)
        if self._shown != (node, jacobian):
            self._shown = (node, jacobian)
            self.scroll_to(y=0, animate=False, immediate=True)
        self._paint(Group(*_sections(session, node, width, jacobian, self._component)))

    def show_rows(self, title: str, rows: list[tuple[str, str]]) -> None:
        """Redraw with prepared rows: what a folded block or a context box stands for (``Session.block_rows``)."""
        self._args, self._rows = (), (title, rows)
        self.border_title = title
        if self._shown != (title,):
            self._shown = (title,)
            self.scroll_to(y=0, animate=False, immediate=True)
        self._paint(_grid([(key, Text(value)) for key, value in rows]))

    def _paint(self, renderable: RenderableType) -> None:
        """Render ``renderable`` to lines once; ``render_line`` then only slices them."""
        width = max(1, self.scrollable_content_region.width)
        console = self.app.console
        options = console.options.update_width(width)
        self.lines = [Strip(line) for line in console.render_lines(renderable, options, style=self.rich_style)]
        self.virtual_size = Size(width, len(self.lines))  # unchanged: no re-layout (a reactive compares first)
        self.refresh()

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The text a mouse drag selected, for copying: the lines as shown, without their styles."""
        return selection.extract("\n".join(line.text for line in self.lines)), "\n"

    def on_resize(self) -> None:
        if self._args:
            self.show(*self._args)
        elif self._rows:
            self.show_rows(*self._rows)

    def render_line(self, y: int) -> Strip:
        k = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        line = self.lines[k] if k < len(self.lines) else Strip.blank(width)
        return line.adjust_cell_length(width, self.rich_style)


def _grid(rows: list[tuple[str, RenderableType]]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True, min_width=9)
    table.add_column(ratio=1)
    for key, value in rows:
        table.add_row(key, value)
    return table


def _sections(session: Session, node: int, width: int, jacobian: bool, styles: Styles) -> list[RenderableType]:
    st, info = session.stepper, session.graph.node(node)
    where = f" in {info['func']}()" if info.get("func") else ""
    rows = [("shape", Text(f"{fmt_shape(info['shape'])} {info['dtype']}")),
            ("kind", Text(f"{KINDS[info['kind']]}{where}")),
            ("state", Text(STATE_TEXT[st.state(node)] + ("" if session.graph.feeds_output[node] else
                                                           "; does not reach the output, so no gradient")))]
    rows += _stops(session, node, styles)
    rows += _formulas(session, node, styles)
    rows += _index(session, node, width)
    rows += array_lines("value", st.value(node), width)
    if st.mode == "reverse":
        rows += array_lines("grad", st.grad(node), width)
        rows += _received(session, node, styles)
    else:
        rows += array_lines("tangent", st.tangent(node), width)
    rows += _gradcheck(session, node, styles)
    if node == session.graph.output and st.mode == "reverse":
        rows.append(("seed", Text(st.seed_note, style="dim")))
    parts: list[RenderableType] = [_grid(rows)]
    if jacobian:
        parts.append(_jacobian(session, node, width))
    return parts


def _stops(session: Session, node: int, styles: Styles) -> list[tuple[str, RenderableType]]:
    """Why ``e``/``f`` stopped here (while the walk is still at that step), and the node's breakpoint."""
    rows: list[tuple[str, RenderableType]] = []
    stop = session.stop
    if stop is not None and stop.node == node and stop.step == session.stepper.position:
        rows.append(("stopped", Text(stop.message, style=styles("stopped") if stop.reason != "breakpoint" else "bold")))
    if node in session.stepper.breakpoints:
        rows.append(("break", Text("● breakpoint: e and f stop after this node's forward and backward steps",
                                   style=styles("break"))))
    return rows


def _formulas(session: Session, node: int, styles: Styles) -> list[tuple[str, RenderableType]]:
    graph = session.graph
    if graph.node(node)["op"] is None:
        return [("backward", Text("a leaf: its gradient is the sum of what its consumers send", style="dim"))]
    done = session.taken(node, FORWARD)
    rows = [("forward", Text(done.formula if done else graph.forward_formula(node) + "   (pending)"))]
    back = session.taken(node, BACKWARD)
    if back is not None:
        rows += [("backward" if k == 0 else "", _checked(c.formula, styles))
                 for k, c in enumerate(back.contributions[:MAX_ROWS])]
        rows += _more(len(back.contributions))
    elif session.step_of(node, BACKWARD) is not None:
        formulas = graph.backward_formulas(node)
        rows += [("backward" if k == 0 else "", Text(f"{text}   (pending)", style="dim"))
                 for k, text in enumerate(formulas[:MAX_ROWS])]
        rows += _more(len(formulas))
    return rows


def _index(session: Session, node: int, width: int) -> list[tuple[str, RenderableType]]:
    """A fancy index as the learner wrote it (``[arange(12), y]``), then the values of each array in it."""
    info = session.graph.node(node)
    parts = info.get("index_text")
    if not parts:
        return []
    index = info["params"]["index"]
    rows: list[tuple[str, RenderableType]] = [("index", Text(f"[{', '.join(parts)}]"))]
    for text, part in zip(parts, index if isinstance(index, tuple) else (index,), strict=False):
        if isinstance(part, (np.ndarray, list)) and np.ndim(part):
            rows.append(("", Text(f"{text} = {fmt_array(part, max(20, width - len(text) - 3))}")))
    return rows


def _more(count: int) -> list[tuple[str, RenderableType]]:
    """A concat of 2,000 inputs sends 2,000 contributions: the inspector lists the first few."""
    return [("", Text(f"… and {count - MAX_ROWS:,} more", style="dim"))] if count > MAX_ROWS else []


def _checked(formula: str, styles: Styles) -> Text:
    """A rule's result with its check mark lit: ✓ in the theme's success colour, ✗ in its error colour."""
    text = Text(formula)
    text.highlight_words(["✓"], style=styles("ok"))
    text.highlight_words(["✗"], style=styles("bad"))
    return text


def _received(session: Session, node: int, styles: Styles) -> list[tuple[str, RenderableType]]:
    found = session.stepper.contributions_to(node)
    rows: list[tuple[str, RenderableType]] = []
    for k, (index, c) in enumerate(found[:MAX_ROWS]):
        sender = session.record(index)
        # each note on its own line, so a narrow panel never splits it
        note = f"\n  summed over broadcast axis {', '.join(map(str, c.summed_axes))}" if c.summed_axes else ""
        note += "\n  added (+=) to the gradient already here" if c.accumulated else ""
        line = _checked(f"step {index} from {sender.name} ({sender.op}): {fmt_shape(np.shape(c.grad))}{note}", styles)
        rows.append(("received" if k == 0 else "", line))
    rows += _more(len(found))
    if len(found) > 1:
        rows.append(("", Text(f"grad = sum of these {len(found)} contributions", style="bold")))
    return rows


def _gradcheck(session: Session, node: int, styles: Styles) -> list[tuple[str, RenderableType]]:
    if session.check is None:
        return [("gradcheck", Text("press c to check every parameter", style="dim"))]
    result = next((r for r in session.check.results if r.node == node), None)
    if result is None:
        return [("gradcheck", Text("not a parameter", style="dim"))]
    return [("gradcheck", Text(str(result), style=styles("ok" if result.ok else "bad")))]


def _jacobian(session: Session, node: int, width: int) -> RenderableType:
    st, info = session.stepper, session.graph.node(node)
    if info["op"] is None:
        return Text("Jacobian: a leaf has no local Jacobian", style="dim")
    parts: list[RenderableType] = []
    out_size = int(np.prod(info["shape"], dtype=int))
    for k, i in enumerate(info["inputs"]):
        name, in_size = session.graph.name_of(i), int(np.prod(session.graph.node(i)["shape"], dtype=int))
        head = f"∂{info['name']}/∂{name}  ({out_size}×{in_size}, numerator layout)"
        if out_size > JACOBIAN_MAX or in_size > JACOBIAN_MAX:
            parts.append(Text(f"{head}: too large to show (≤ {JACOBIAN_MAX} entries each way)", style="dim"))
            continue
        try:
            parts.append(Text(f"{head}\n{fmt_array(st.jacobian(node, k), width, 12)}"))
        except Exception as err:  # the engine says why (pending values, no rule)
            parts.append(Text(f"{head}: {err}", style="dim"))
    return Group(Text("local Jacobian", style="bold"), *parts)
