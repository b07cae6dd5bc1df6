"""Provides ``Inspector``: everything the stepper knows about the selected node.

Kind, op and source line; forward and backward formulas with shapes and the
shape check; value and gradient as readable arrays; each contribution that
arrived during backward; the gradient-check result; the local Jacobian on
request.  Only formatting happens here: every number comes from the Stepper.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.segment import Segment
from rich.style import Style
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
KEY_WIDTH = 9  # the narrowest the key column gets
KINDS = {"param": "parameter (gets a gradient)", "input": "input (data, no gradient needed)",
         "const": "constant", "op": "operation"}
STATE_TEXT = {"pending": "pending: not computed yet", "computed": "computed (forward value known)",
              "grad": "gradient known", "current": "current: the last step was here"}


Row = tuple[str, Text]  # one line of the inspector's grid: a key, and its value (wrapped beside it)


def array_lines(label: str, a, width: int) -> list[Row]:
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
        self._width = 1  # of the lines painted
        self._shown: tuple = ()
        self._args: tuple = ()
        self._rows: tuple = ()

    def show(self, session: Session, node: int | None, jacobian: bool = False) -> None:
        """Redraw for ``node`` from the session's stepper."""
        self._args, self._rows = (session, node, jacobian), ()
        if node is None or not session.ready:
            self.border_title = "Inspector"
            self._paint([], Text("no node selected", style="dim"))
            return
        info = session.graph.node(node)
        self.border_title = f"{info.name} · {info.op or info.kind} · {info.source}"
        width = max(20, self.scrollable_content_region.width - 12)
        if self._shown != (node, jacobian):
            self._shown = (node, jacobian)
            self.scroll_to(y=0, animate=False, immediate=True)
        rows = _sections(session, node, width, self._component)
        self._paint(rows, _jacobian(session, node, width) if jacobian else None)

    def show_rows(self, title: str, rows: list[tuple[str, str]]) -> None:
        """Redraw with prepared rows: what a folded block or a context box stands for (``Session.block_rows``)."""
        self._args, self._rows = (), (title, rows)
        self.border_title = title
        if self._shown != (title,):
            self._shown = (title,)
            self.scroll_to(y=0, animate=False, immediate=True)
        self._paint([(key, Text(value)) for key, value in rows])

    def _paint(self, rows: list[Row], below: RenderableType | None = None) -> None:
        """Render the rows (and what goes ``below`` them) to lines once; ``render_line`` then only slices them."""
        width, style, console = max(1, self.scrollable_content_region.width), self.base_style, self.app.console
        self._width = width
        self.lines = grid_lines(rows, width, console, style)
        if below is not None:
            options = console.options.update_width(width)
            self.lines += [Strip(line, width) for line in console.render_lines(below, options, style=style)]
        # never shorter than the panel: a node whose detail fits leaves the size as it was, and a changed size
        # would lay out the whole screen again (a reactive compares first)
        self.virtual_size = Size(width, max(len(self.lines), self.scrollable_content_region.height))
        self.refresh()

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The text a mouse drag selected, for copying: the lines as shown, without their styles."""
        return selection.extract("\n".join(line.text for line in self.lines)), "\n"

    def on_resize(self) -> None:
        self._show_again()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._show_again()  # the lines were rendered in the old theme's colours

    def _show_again(self) -> None:
        if self._args:
            self.show(*self._args)
        elif self._rows:
            self.show_rows(*self._rows)

    def render_line(self, y: int) -> Strip:
        k = self.scroll_offset.y + y  # lines are as wide as they were painted: a resize paints them again
        return self.lines[k] if k < len(self.lines) else Strip.blank(self._width, self.base_style)


def grid_lines(rows: list[Row], width: int, console: Console, style: Style) -> list[Strip]:
    """The rows in two columns, a bold key at least 9 wide and the value wrapped beside it: cell for cell what
    Rich's ``Table.grid(padding=(0, 1))`` draws, without the table measuring and wrapping every cell twice
    (which was half the cost of a key press)."""
    if not rows:
        return []
    key_width = max(KEY_WIDTH, *(cell_len(key) for key, _ in rows)) + 1
    longest = max(cell_len(line) for _, value in rows for line in value.plain.split("\n"))
    value_width = max(1, min(width - key_width, longest))  # the table shrinks to its longest value
    key_style, lines = style + Style(bold=True), []
    for key, value in rows:
        value_style = style + console.get_style(value.style) if value.style else style
        plain = value.plain
        if "\n" in plain or "\t" in plain or cell_len(plain) > value_width:
            wrapped = value.wrap(console, value_width, justify="left", overflow="ellipsis")
        else:  # most values fit on their line: wrapping would only pad them
            wrapped = [value + Text(" " * (value_width - cell_len(plain)))]
        for k, line in enumerate(wrapped):
            segments = [Segment(key.ljust(key_width) if k == 0 else " " * key_width, key_style)]
            segments += [Segment(s.text, value_style + s.style if s.style else value_style)
                         for s in line.render(console)]
            lines.append(Strip(segments).adjust_cell_length(width, style))
    return lines


def _sections(session: Session, node: int, width: int, styles: Styles) -> list[Row]:
    st, info = session.stepper, session.graph.node(node)
    where = f" in {info.func}()" if info.func else ""
    rows = [("shape", Text(f"{fmt_shape(info.shape)} {info.dtype}")),
            ("kind", Text(f"{KINDS[info.kind]}{where}")),
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
    return rows


def _stops(session: Session, node: int, styles: Styles) -> list[Row]:
    """Why ``e``/``f`` stopped here (while the walk is still at that step), and the node's breakpoint."""
    rows: list[Row] = []
    stop = session.stop
    if stop is not None and stop.node == node and stop.step == session.stepper.position:
        rows.append(("stopped", Text(stop.message, style=styles("stopped") if stop.reason != "breakpoint" else "bold")))
    if node in session.stepper.breakpoints:
        rows.append(("break", Text("● breakpoint: e and f stop after this node's forward and backward steps",
                                   style=styles("break"))))
    return rows


def _formulas(session: Session, node: int, styles: Styles) -> list[Row]:
    graph = session.graph
    if graph.node(node).op is None:
        return [("backward", Text("a leaf: its gradient is the sum of what its consumers send", style="dim"))]
    done = session.taken(node, FORWARD)
    rows = [("forward", Text(done.formula if done else graph.forward_formula(node) + "   (pending)"))]
    back = session.taken(node, BACKWARD)
    if back is not None:
        rows += [("backward" if k == 0 else "", _checked(c.formula, styles))
                 for k, c in enumerate(back.contributions[:MAX_ROWS])]
        rows += _more(len(back.contributions))
    elif session.step_of(node, BACKWARD) is not None:
        rules = graph.vjp_program.get(node, ())  # a concat of 2,000 inputs has 2,000: only the rows shown are made
        rows += [("backward" if row == 0 else "",
                  Text(f"{graph.formulas.backward_rule(node, k).gives(graph.shape_of(i))}   (pending)", style="dim"))
                 for row, (k, i, *_) in enumerate(rules[:MAX_ROWS])]
        rows += _more(len(rules))
    return rows


def _index(session: Session, node: int, width: int) -> list[Row]:
    """A fancy index as the learner wrote it (``[arange(12), y]``), then the values of each array in it."""
    info = session.graph.node(node)
    parts = info.index_text
    if not parts:
        return []
    index = info.params["index"]
    rows: list[Row] = [("index", Text(f"[{', '.join(parts)}]"))]
    for text, part in zip(parts, index if isinstance(index, tuple) else (index,), strict=False):
        if isinstance(part, (np.ndarray, list)) and np.ndim(part):
            rows.append(("", Text(f"{text} = {fmt_array(part, max(20, width - len(text) - 3))}")))
    return rows


def _more(count: int) -> list[Row]:
    """A concat of 2,000 inputs sends 2,000 contributions: the inspector lists the first few."""
    return [("", Text(f"… and {count - MAX_ROWS:,} more", style="dim"))] if count > MAX_ROWS else []


def _checked(formula: str, styles: Styles) -> Text:
    """A rule's result with its check mark lit: ✓ in the theme's success colour, ✗ in its error colour."""
    text = Text(formula)
    text.highlight_words(["✓"], style=styles("ok"))
    text.highlight_words(["✗"], style=styles("bad"))
    return text


def _received(session: Session, node: int, styles: Styles) -> list[Row]:
    found = session.stepper.contributions_to(node)
    rows: list[Row] = []
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


def _gradcheck(session: Session, node: int, styles: Styles) -> list[Row]:
    if session.check is None:
        return [("gradcheck", Text("press c to check every parameter", style="dim"))]
    result = next((r for r in session.check.results if r.node == node), None)
    if result is None:
        return [("gradcheck", Text("not a parameter", style="dim"))]
    return [("gradcheck", Text(str(result), style=styles("ok" if result.ok else "bad")))]


def _jacobian(session: Session, node: int, width: int) -> RenderableType:
    st, info = session.stepper, session.graph.node(node)
    if info.op is None:
        return Text("Jacobian: a leaf has no local Jacobian", style="dim")
    parts: list[RenderableType] = []
    out_size = int(np.prod(info.shape, dtype=int))
    for k, i in enumerate(info.inputs):
        name, in_size = session.graph.name_of(i), int(np.prod(session.graph.node(i).shape, dtype=int))
        head = f"∂{info.name}/∂{name}  ({out_size}×{in_size}, numerator layout)"
        if out_size > JACOBIAN_MAX or in_size > JACOBIAN_MAX:
            parts.append(Text(f"{head}: too large to show (≤ {JACOBIAN_MAX} entries each way)", style="dim"))
            continue
        try:
            parts.append(Text(f"{head}\n{fmt_array(st.jacobian(node, k), width, 12)}"))
        except Exception as err:  # the engine says why (pending values, no rule)
            parts.append(Text(f"{head}: {err}", style="dim"))
    return Group(Text("local Jacobian", style="bold"), *parts)
