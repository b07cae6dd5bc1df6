"""Provides the help screen (keys and colours) and the error screen (the user's traceback)."""

from __future__ import annotations

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Static

from ..errors import GraphstepError, UserCodeError
from .key_bar import KeyBar
from .session import short_path

KEYS = [("n  space  →", "next step (forward first, then backward)"),
        ("p  ←", "step back (every step can be undone)"),
        ("f", "run to the end of the forward pass (stops at breakpoints and the first NaN/Inf)"),
        ("e", "run to the end (stops at breakpoints and the first NaN/Inf)"),
        ("E", "back to the previous stop: breakpoint, first NaN/Inf or norm limit (a debugger's reverse-continue)"),
        ("t", "run to the selected node's next step, forward or backward (stops at breakpoints on the way)"),
        ("r", "restart from step 0"),
        ("b", "breakpoint on the selected node (●b): e and f stop after its forward and backward step"),
        ("w", "watch the selected node: value and gradient stay in view, lit when a step changes them"),
        ("l", "reload the file after you edit it, keeping the step, and show what changed (esc stops a run)"),
        ("L", "trace again on new random inputs (gs.rng) and show what changed"),
        ("g", "per-sample gradients of the selected parameter vs the batch gradient"),
        ("c", "gradient check of every parameter (central differences)"),
        ("x", "export the graph as drawn now (SVG and PNG, next to your file)"),
        ("m", "switch reverse / forward mode"),
        ("j", "show the local Jacobian of the selected node (small nodes)"),
        ("h", "colour the graph by gradient norm, value magnitude, bytes held for backward, then by state again"),
        ("i", "entry mode: explain one entry (or click the value or gradient)"),
        ("enter  o", "in entry mode: follow the largest term to its G (o: its value)"),
        ("← → ↑ ↓  click", "in entry mode: move the cursor (pgup pgdn: the next slice)"),
        ("n p space", "in entry mode still step: the same entry is explained again"),
        ("d", "in entry mode: the value ↔ the gradient"),
        ("esc  i", "leave entry mode: the arrows step and select again"),
        ("/", "find nodes: a name, an op, op:matmul, kind:param, line:14"),
        ("]  [", "next / previous match of the last search, in execution order"),
        ("ctrl+p", "jump to a node by name"),
        ("z", "fold repeats (loop iterations, calls) into blocks × k, or unfold"),
        ("o", "open the selected block, or focus on a context box"),
        ("v", "focus: the nodes near the current one, the rest in boxes"),
        ("+  −", "more / fewer hops around the node in focus"),
        ("↑ ↓  tab  click", "select another node (or block) to inspect"),
        ("esc", "stop what runs (your file, a check: the line above the keys says), else follow the current node"),
        ("?", "this help"),
        ("q", "quit")]
KEY_COLUMN, GUTTER = 16, 2  # columns: the keys', then between them and what they do
COLOURS = [("pending", "not computed yet"), ("computed", "forward value known"),
           ("unused", "computed but no path to the output (a while/if test): it gets no gradient"),
           ("grad", "gradient known (backward reached it)"), ("current", "the node of the last step")]


class KeyTable(Widget):
    """The keys and what each does, in two columns: a long meaning wraps in its own.  One widget drawing a table,
    not a widget per cell (72 of them, each styled, measured and laid out, took 0.14 s of CPU to open the help)."""

    COMPONENT_CLASSES = {"key-table--key"}

    def render(self) -> Table:
        table = Table.grid(padding=(0, GUTTER, 0, 0))
        table.add_column(width=KEY_COLUMN, style=self.get_component_rich_style("key-table--key"))
        table.add_column(ratio=1)
        for key, what in KEYS:
            table.add_row(Text(key), Text(what))
        return table


class HelpScreen(ModalScreen[None]):
    """Keys and the meaning of the colours."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "close")]

    def __init__(self, styles: dict[str, Style]) -> None:
        super().__init__()
        self.legend_styles = styles

    def compose(self) -> ComposeResult:
        """Everything here, nothing looked up on mount: a screen closed as it opens is mounted emptied."""
        with VerticalScroll(id="help") as box:
            box.border_title = "graphstep · keys"
            yield KeyTable(id="help-keys")
            yield Static(self._legend(), id="legend")

    def _legend(self) -> Text:
        legend = Text("\ncolours  ")
        for state, what in COLOURS:
            legend.append(f" {state} ", style=self.legend_styles.get(state, ""))
            legend.append(f" {what}   ")
        legend.append("\nA heavy border marks the selected node; the inspector shows it.\n"
                      "A double border: a block of nodes, progress on its edge (▶ the step is inside it).\n"
                      "Backward sends G (the gradient of the output) from each node to its inputs;\n"
                      "a node used twice receives the sum of both contributions.")
        return legend


class ErrorScreen(Screen[None]):
    """The user's file could not be loaded or traced: say why, show their traceback.

    After a reload that failed, the graph of the last run that worked is still there: esc goes back to it.
    """

    COMPONENT_CLASSES = {"error-screen--message", "error-screen--hint"}
    BINDINGS = [Binding("l", "app.reload", "reload"), Binding("escape", "last_run", "last good run"),
                Binding("q", "app.quit", "quit")]

    def __init__(self, error: GraphstepError, path: str, back: bool = False) -> None:
        super().__init__()
        self.error, self.path, self.back = error, path, back

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action != "last_run" or self.back

    def action_last_run(self) -> None:
        self.dismiss()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="error") as box:
            box.border_title = f"{short_path(self.path)} could not be run"  # as every other place names it
            yield Static(id="error-body")
        yield KeyBar()

    def on_mount(self) -> None:
        self.show(self.error)

    def show(self, error: GraphstepError) -> None:
        """Replace the message with a newer error (after another reload).

        A reload can close the screen before it is mounted, emptying it: then there is nothing to update.
        """
        self.error = error
        text = Text()
        if isinstance(error, UserCodeError) and error.traceback_text:
            text.append(error.traceback_text.rstrip() + "\n\n", style="dim")
        where = f"{error.source}: " if error.source else ""
        text.append(f"{where}{error.message}", style=self.get_component_rich_style("error-screen--message"))
        if error.node:
            text.append(f"  (node {error.node})")
        if error.hint:
            text.append(f"\nhint: {error.hint}", style=self.get_component_rich_style("error-screen--hint"))
        back = ", esc goes back to its last run that worked" if self.back else ""
        text.append(f"\n\nFix the file, then press l to reload (q quits{back}).", style="bold")
        for body in self.query("#error-body").results(Static):
            body.update(text)
