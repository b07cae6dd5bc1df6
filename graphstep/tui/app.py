"""Provides ``GraphstepApp`` and ``run_app``: the interactive stepper of ``graphstep FILE``.

Four views of one stepper (graph, inspector, source, step log) plus a status
bar.  State flows one way: a key runs an ``action_*``, the action moves the
Stepper, ``tick`` changes, and ``watch_tick`` redraws every view from it.
"""

from __future__ import annotations

import os
from functools import partial

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import Hit, Hits, Provider, SimpleCommand
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Footer

from ..compare import compare
from ..errors import GraphstepError, LoadError
from ..gradcheck import gradcheck
from ..loader import split_target
from ..persample import per_sample_gradients
from ..stepper import Stepper
from .graph_view import GraphView
from .inspector import Inspector
from .messages import NodePicked, StepPicked
from .reports import ReportScreen
from .screens import ErrorScreen, HelpScreen
from .session import Session, short_path
from .source_view import SourceView
from .status_bar import StatusBar
from .step_log import StepLog
from .watch_panel import WatchPanel

STOP_TITLES = {"breakpoint": "breakpoint", "nonfinite": "stopped: first NaN/Inf", "grad-norm": "stopped: gradient norm"}


class NodeCommands(Provider):
    """Command palette entries: jump to any node by name."""

    async def search(self, query: str) -> Hits:
        app = self.app
        if not isinstance(app, GraphstepApp) or not app.session.ready:
            return
        matcher = self.matcher(query)
        for name, node, help_text in app.node_entries():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(app.pick, node), help=help_text)


class GraphstepApp(App[int]):
    """Step a traced computation forward and backward, node by node."""

    BINDINGS = [
        Binding("n,space,right", "next", "next"),
        Binding("p,left", "back", "back"),
        Binding("f", "forward_end", "fwd end"),
        Binding("e", "end", "end"),
        Binding("r", "restart", "restart"),
        Binding("c", "check", "check"),
        Binding("x", "export", "export"),
        Binding("l", "reload", "reload"),
        Binding("L", "reseed", "new inputs", show=False),
        Binding("b", "breakpoint", "break"),
        Binding("w", "watch", "watch"),
        Binding("g", "per_sample", "per-sample", show=False),
        Binding("m", "toggle_mode", "mode"),
        Binding("slash", "find", "find"),
        Binding("j", "jacobian", "jacobian", show=False),
        Binding("up", "select(-1)", "select", show=False),
        Binding("down", "select(1)", "select", show=False),
        Binding("tab", "select(1)", "select", show=False, priority=True),
        Binding("shift+tab", "select(-1)", "select", show=False, priority=True),
        Binding("escape", "follow", "follow", show=False),
        Binding("question_mark", "help", "help"),
        Binding("q", "quit", "quit"),
    ]
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {NodeCommands}
    TITLE = "graphstep"

    tick = reactive(0, init=False)
    selected: reactive[int | None] = reactive(None, init=False)
    follow = reactive(True, init=False)
    jacobian = reactive(False, init=False)

    def __init__(self, target: str, session: Session | None = None) -> None:
        super().__init__()
        self.session = session or Session(target)
        self._visual: list[int] = []

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield GraphView(id="graph")
                yield SourceView(id="source")
            with Vertical(id="right"):
                yield Inspector(id="inspector")
                yield WatchPanel(id="watches")
                yield StepLog(id="log")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#graph").border_title = "Graph"
        self.query_one("#graph").border_subtitle = self._legend()
        if self.session.stepper is None and self.session.error is None:
            self.session.reload()
        self._loaded()

    # ── actions: one line each ──
    def action_next(self) -> None: self._move(Stepper.step)
    def action_back(self) -> None: self._move(Stepper.step_back)
    def action_forward_end(self) -> None: self._resume("forward")
    def action_end(self) -> None: self._resume("end")
    def action_restart(self) -> None: self._move(Stepper.reset)
    def action_reload(self) -> None: self._reload()
    def action_reseed(self) -> None: self._reload(reseed=self.session.reseed + 1)
    def action_breakpoint(self) -> None: self._toggle_breakpoint()
    def action_watch(self) -> None: self._toggle_watch()
    def action_per_sample(self) -> None: self._per_sample()
    def action_check(self) -> None: self._check()
    def action_export(self) -> None: self._export()
    def action_toggle_mode(self) -> None: self._switch_mode()
    def action_find(self) -> None: self._find()
    def action_jacobian(self) -> None: self.jacobian = not self.jacobian
    def action_select(self, delta: int) -> None: self._select_by(delta)
    def action_follow(self) -> None: self.follow = True
    def action_help(self) -> None: self.push_screen(HelpScreen(self._state_styles()))

    # ── state changes ──
    def _move(self, method) -> None:
        if self.session.ready:
            method(self.session.stepper)
            self.tick += 1

    def _resume(self, to: str) -> None:
        """``e``/``f``: run on, stopping at a breakpoint, the first NaN/Inf or a gradient over the limit."""
        if not self.session.ready:
            return
        stop = self.session.stop = self.session.stepper.resume(to)
        if stop is not None:
            self.set_reactive(GraphstepApp.follow, True)
            self.notify(stop.message, title=STOP_TITLES.get(stop.reason, stop.reason),
                        severity="warning" if stop.reason == "breakpoint" else "error", timeout=10)
        self.tick += 1

    def _reload(self, reseed: int | None = None) -> None:
        """Trace again (after an edit, or on new random inputs with ``L``) and say what changed."""
        before = self.session.stepper if self.session.ready else None  # replaced, never changed
        self.session.reload(reseed=reseed)
        self._loaded()
        if before is not None and self.session.ready:
            comparison = compare(before.graph, self.session.graph, before, self.session.stepper)
            what = f"new random inputs (draw {self.session.reseed})" if reseed is not None else "reloaded"
            if comparison.changed:
                self.push_screen(ReportScreen(f"What changed · {what}", comparison.lines()))
            else:
                self.notify(f"{what}: nothing changed", timeout=4)

    def _loaded(self) -> None:
        """After a (re)load: show the error screen, or lay out the new graph and redraw."""
        session = self.session
        if session.error is not None:
            if isinstance(self.screen, ErrorScreen):
                self.screen.show(session.error)
            else:
                self.push_screen(ErrorScreen(session.error, session.path))
            return
        if isinstance(self.screen, ErrorScreen):
            self.pop_screen()
        layout = session.layout
        self._visual = sorted(layout.boxes, key=lambda n: (layout.boxes[n].y, layout.boxes[n].x))
        self.query_one(SourceView).load(short_path(session.path), session.source_lines)
        self.query_one(GraphView).show(layout, session.stepper)
        if self.selected is not None and self.selected >= len(session.graph):
            self.selected, self.follow = None, True
        self.tick += 1

    def _switch_mode(self) -> None:
        if self.session.ready:
            self.session.set_mode("forward" if self.session.mode == "reverse" else "reverse")
            self.query_one(GraphView).show(self.session.layout, self.session.stepper)
            self.notify(f"{self.session.mode} mode" + (": each step carries a tangent along every param"
                                                        if self.session.mode == "forward" else ""))
            self.tick += 1

    def _select_by(self, delta: int) -> None:
        if self._visual:
            at = self._visual.index(self.selected) if self.selected in self._visual else 0
            self.pick(self._visual[(at + delta) % len(self._visual)])

    def pick(self, node: int) -> None:
        """Select a node for the inspector; following resumes when it is the current node."""
        # set both without their watchers, then draw once
        self.set_reactive(GraphstepApp.follow, node == self.session.stepper.current)
        self.set_reactive(GraphstepApp.selected, node)
        self._redraw()

    # ── redraw ──
    def watch_tick(self) -> None:
        session = self.session
        if not session.ready:
            return
        if self.follow:
            current = session.stepper.current
            self.set_reactive(GraphstepApp.selected, current if current is not None else self._first())
        self._redraw()

    def watch_selected(self) -> None:
        self._redraw()

    def watch_follow(self) -> None:
        self.watch_tick()

    def watch_jacobian(self) -> None:
        self._redraw()

    def _first(self) -> int | None:
        return self._visual[0] if self._visual else None

    def _redraw(self) -> None:
        session = self.session
        if not session.ready or not self.is_mounted:
            return
        node, st = self.selected, session.stepper
        name = session.graph.name_of(node) if node is not None else ""
        self.query_one(StatusBar).show(session, self.follow, name)
        self.query_one(GraphView).select(node, follow=st.current if self.follow else node)
        self.query_one(Inspector).show(session, node, self.jacobian)
        line_node = node if node is not None else st.current
        self.query_one(SourceView).show(session.graph.node(line_node)["line"] if line_node is not None else None)
        self.query_one(StepLog).show(session, node)
        self.query_one(WatchPanel).show(session, session.watched)

    # ── breakpoints, watches, per-sample gradients ──
    def _toggle_breakpoint(self) -> None:
        if self.session.ready and self.selected is not None:
            on = self.session.stepper.toggle_breakpoint(self.selected)
            name = self.session.graph.name_of(self.selected)
            self.notify(f"breakpoint {'set on' if on else 'removed from'} {name}"
                        + (": e and f stop after its forward and its backward step" if on else ""), timeout=4)
            self._redraw()

    def _toggle_watch(self) -> None:
        if self.session.ready and self.selected is not None:
            watched = self.session.watched
            if self.selected in watched:
                watched.remove(self.selected)
            else:
                watched.append(self.selected)
            self._redraw()

    @work(thread=True, exclusive=True, group="per-sample")
    def _per_sample(self) -> None:
        session = self.session
        if not session.ready:
            return
        graph, node = session.graph, self.selected
        param = node if node is not None and graph.node(node)["kind"] == "param" else next(iter(graph.params.values()),
                                                                                           None)
        if param is None:
            self.call_from_thread(self.notify, "no parameter to take per-sample gradients of", severity="warning")
            return
        try:
            report = per_sample_gradients(graph, param)
        except GraphstepError as err:
            self.call_from_thread(self.notify, err.summary(), severity="error", timeout=8)
            return
        title = f"Per-sample gradients of {graph.name_of(param)} · {'✓' if report.ok else '✗'}"
        self.call_from_thread(self.push_screen, ReportScreen(title, report.lines(), report.ok))

    # ── messages from the views ──
    @on(NodePicked)
    def _node_picked(self, message: NodePicked) -> None:
        self.pick(message.node)

    @on(StepPicked)
    def _step_picked(self, message: StepPicked) -> None:
        self.pick(self.session.record(message.index).node)

    # ── find, check, export ──
    def node_entries(self) -> list[tuple[str, int, str]]:
        """(name, node, description) of every node, for the palette."""
        graph = self.session.graph
        return [(graph.name_of(n), n, f"{graph.node(n)['op'] or graph.node(n)['kind']} "
                 f"{graph.node(n)['source']}") for n in graph.order]

    def _find(self) -> None:
        if self.session.ready:
            commands = [SimpleCommand(name, partial(self.pick, node), text) for name, node, text in self.node_entries()]
            self.search_commands(commands, placeholder="Jump to node…")

    @work(thread=True, exclusive=True, group="check")
    def _check(self) -> None:
        if not self.session.ready:
            return
        graph = self.session.graph
        self.call_from_thread(self.notify, "gradient check running…", timeout=2)
        report = gradcheck(graph)
        self.call_from_thread(self._checked, graph, report)

    def _checked(self, graph, report) -> None:
        if graph is not self.session.graph:
            return
        self.session.check = report
        lines = "\n".join(str(r) for r in report.results) or "no parameters to check"
        self.notify(lines, title="gradient check passed ✓" if report.ok else "gradient check FAILED ✗",
                    severity="information" if report.ok else "error", timeout=8)
        self.tick += 1

    @work(thread=True, exclusive=True, group="export")
    def _export(self) -> None:
        if not self.session.ready:
            return
        session = self.session
        snapshot = Stepper(session.graph, mode=session.mode).run_to(session.stepper.position)
        stem = os.path.splitext(session.path)[0]
        paths = [f"{stem}-step{snapshot.position}.{ext}" for ext in ("svg", "png")]
        try:
            from ..render.export import export

            for path in paths:
                export(snapshot, path)
        except Exception as err:  # Graphviz missing, unwritable path, export not there yet
            self.call_from_thread(self.notify, f"export failed: {err}", severity="error", timeout=8)
            return
        self.call_from_thread(self.notify, "wrote " + " and ".join(short_path(p) for p in paths), timeout=8)

    # ── colours ──
    def _state_styles(self) -> dict:
        view = self.query_one(GraphView)
        states = ("pending", "computed", "unused", "grad", "current")
        return {s: view.get_component_rich_style(f"graph-view--{s}") for s in states}

    def _legend(self) -> str:
        return ("[dim]pending[/] · [b #5fafff]computed[/] · [i dim #5fafff]unused[/] · [b #87d75f]grad[/] · "
                "[reverse b #ffd75f] current [/]")


def run_app(target: str, breaks: list[str] = (), grad_norm_limit: float | None = None, reseed: int = 0) -> int:
    """Open the TUI on ``FILE[:NAME]``; a missing file or an unknown breakpoint is an error before the screen opens."""
    path, _ = split_target(target)
    if not os.path.isfile(path):
        raise LoadError(f"no such file: {path}", hint="give the path of a .py file with a @gs.computation")
    session = Session(target, reseed=reseed, break_at=list(breaks), grad_norm_limit=grad_norm_limit)
    session.reload()
    unknown = [name for name in breaks if session.ready and name not in session.graph.ids]
    if unknown:
        raise GraphstepError(f"--break {unknown[0]}: no node of that name in {session.display_name()}",
                             hint="nodes: " + ", ".join(session.graph.name_of(n) for n in session.graph.order[:40]))
    app = GraphstepApp(target, session)
    app.run()
    return app.return_code or 0
