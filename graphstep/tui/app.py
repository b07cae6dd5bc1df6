"""Provides ``GraphstepApp`` and ``run_app``: the interactive stepper of ``graphstep FILE``.

Four views of one stepper (graph, inspector, source, step log) plus a status
bar.  State flows one way: a key runs an ``action_*``, the action moves the
Stepper, ``tick`` changes, and ``watch_tick`` redraws every view from it.
The graph view draws a session ``Drawing`` (every node, repeats folded, or the
focus around one node); which one, and the item of it selected (a node or a
block), the ``Navigator`` keeps: the app's keys ask it, then redraw from it.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.theme import ThemeProvider
from textual.timer import Timer

from ..analysis.gradcheck import gradcheck
from ..analysis.persample import per_sample_gradients
from ..core.breaks import Break
from ..core.heap import owns_heap
from ..core.loader import split_target
from ..core.stepper import Step, Stepper
from ..core.training import Training
from ..core.work import Cancelled
from ..errors import GraphstepError, LoadError
from .activity import GRACE, ActivityBar
from .breadcrumb import Breadcrumb
from .entry import COLUMNS, ROWS, SLICES, EntryCursor, clicked_array, follow_term, gets_gradient
from .failure_view import failed_title, failure_rows, whole_graph_needed
from .graph_view import GraphView
from .inspector import Inspector
from .jobs import Job
from .key_bar import KeyBar
from .messages import NodePicked, StepPicked
from .navigator import Navigator
from .palette import NodeCommands, NodeMatches, Palette
from .reports import ReportScreen
from .screens import ErrorScreen, HelpScreen
from .session import FOLD_NODES, Drawing, Session, Traced, read_lines, short_path
from .source_view import SourceView
from .status_bar import StatusBar
from .step_log import StepLog
from .toasts import guard_toast_timers
from .watch_panel import WatchPanel

STOP_TITLES = {"breakpoint": "breakpoint", "nonfinite": "stopped: first NaN/Inf", "grad-norm": "stopped: gradient norm"}
ON_ERROR_SCREEN = {"reload", "reseed", "help", "quit"}  # app keys that act over the error screen
# entry mode's own actions: outside entry mode the key's other binding acts
IN_ENTRY_MODE = {"entry_move", "entry_switch", "entry_leave", "entry_follow"}
INTERRUPTED = 130  # the exit code of quitting while the user's file still runs, as ctrl+c gives
PREPARE_AFTER = 0.05  # seconds without a key before the next step's drawing is laid out


class GraphstepApp(App[int]):
    """Step a traced computation forward and backward, node by node."""

    BINDINGS = [
        # entry mode's keys act only while it is on (check_action); first, so the footer shows them first
        Binding("d", "entry_switch", "value/grad"),
        Binding("escape", "entry_leave", "leave"),
        Binding("enter", "entry_follow(1)", "follow", show=False),  # the entry its largest term reads: G for a grad
        Binding("o", "entry_follow(0)", "follow value", show=False),  # …and for a gradient, the value that weighs G
        Binding("n,space,right", "next", "next"),
        Binding("p,left", "step_back", "back"),
        Binding("f", "forward_end", "fwd end"),
        Binding("e", "end", "end"),
        Binding("E", "back_to_stop", "previous stop", show=False),
        Binding("t", "run_to_selected", "run to", show=False),
        Binding("r", "restart", "restart"),
        Binding("c", "check", "check"),
        Binding("x", "export", "export"),
        Binding("l", "reload", "reload"),
        Binding("L", "reseed", "new inputs", show=False),
        Binding("b", "breakpoint", "break"),
        Binding("w", "watch", "watch"),
        Binding("g", "per_sample", "per-sample", show=False),
        Binding("i", "entry_leave", "leave", show=False),  # in entry mode i leaves (the next one is hidden)
        Binding("i", "entry_mode", "entry"),  # the footer fits 160 columns in entry mode too: m, z, v are in
        Binding("m", "toggle_mode", "mode", show=False),  # help, and the status bar and graph title name them
        Binding("slash", "find", "find"),
        Binding("right_square_bracket", "match(1)", "next match", show=False),
        Binding("left_square_bracket", "match(-1)", "previous match", show=False),
        Binding("z", "toggle_fold", "fold", show=False),
        Binding("v", "toggle_focus", "focus", show=False),
        Binding("o", "open", "open", show=False),
        Binding("plus,equals_sign", "hops(1)", "more hops", show=False),
        Binding("minus", "hops(-1)", "fewer hops", show=False),
        Binding("j", "jacobian", "jacobian", show=False),
        Binding("h", "heat", "heat", show=False),
        Binding("up", "select(-1)", "select", show=False),
        Binding("down", "select(1)", "select", show=False),
        Binding("tab", "select(1)", "select", show=False, priority=True),
        Binding("shift+tab", "select(-1)", "select", show=False, priority=True),
        Binding("escape", "stop_or_follow", "stop / follow", show=False),
        Binding("question_mark", "help", "help"),
        Binding("q", "quit", "quit"),
        # entry mode's arrows: priority, so they come before the step and select bindings of the same keys,
        # and last, so that outside entry mode the footer still names those by n and p
        Binding("up", f"entry_move({ROWS},-1)", "entry", show=False, priority=True),
        Binding("down", f"entry_move({ROWS},1)", "entry", show=False, priority=True),
        Binding("left", f"entry_move({COLUMNS},-1)", "entry", show=False, priority=True),
        Binding("right", f"entry_move({COLUMNS},1)", "entry", show=False, priority=True),
        Binding("pageup", f"entry_move({SLICES},-1)", "slice", show=False, priority=True),
        Binding("pagedown", f"entry_move({SLICES},1)", "slice", show=False, priority=True),
    ]
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {NodeCommands}
    TITLE = "graphstep"

    # ``var``, not ``reactive``: a reactive on the app repaints the whole screen when it changes, and each
    # view refreshes only itself (the graph only the boxes whose state changed)
    tick = var(0, init=False)
    jacobian = var(False, init=False)

    def __init__(self, target: str, session: Session | None = None) -> None:
        super().__init__()
        guard_toast_timers()
        self.session = session or Session(target)
        self.nav = Navigator(self.session)  # the selection and the drawing it is in
        self.entry = EntryCursor()  # entry mode's cursor on one entry of the selected node
        self.job: Job | None = None  # the one piece of work running off the UI thread (esc stops it)
        self._started: list[Job] = []  # every job not yet ended, stopped ones too: see ``stuck``
        self.refused: GraphstepError | None = None  # a --break name the graph lacks: run_app raises it
        self._opening: Timer | None = None  # shows the panels if the file runs longer than GRACE

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Breadcrumb(id="where")
        with Horizontal(id="body") as body:
            body.display = False  # drawn once the file ran, or has run for GRACE (_open_body)
            with Vertical(id="left"):
                yield GraphView(id="graph")
                yield SourceView(id="source")
            with Vertical(id="right"):
                yield Inspector(id="inspector")
                if self.session.train is not None:  # plotext is imported only for a training
                    from .training_panel import TrainingPanel

                    yield TrainingPanel(id="training")
                yield WatchPanel(id="watches")
                yield StepLog(id="log")
        yield ActivityBar(id="activity")
        yield KeyBar()

    def on_mount(self) -> None:
        session = self.session
        if session.ready or session.error is not None:  # a session traced already
            self._loaded(None)
            return
        self.query_one(SourceView).load(short_path(session.path), read_lines(session.path))
        self.query_one(StatusBar).show(session, self.nav.follow)
        self._run_file()
        self._opening = self.set_timer(GRACE, self._open_body)

    def _open_body(self) -> None:
        """Show the panels.  Hidden while the file first runs, for at most GRACE (as the activity line): panels
        drawn empty would be laid out and drawn again, whole, once the graph is there (an eighth of the app's
        start).  They are on the main screen, whichever screen is on top (the error screen, the help)."""
        if self._opening is not None:
            self._opening.stop()
            self._opening = None
        for main in self.screen_stack[:1]:
            main.query("#body").set(display=True)  # none while the app closes; inline: no restyle of the panels

    def on_unmount(self) -> None:
        self._stop_job()  # never leave the user's loop spinning behind the app

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Over the error screen only reload, help and quit act: the graph behind it is out of sight.  Entry
        mode's keys act only in entry mode, on the main screen (elsewhere an arrow steps or selects)."""
        if action in IN_ENTRY_MODE:
            return self.entry.active and len(self.screen_stack) == 1  # never over help, a palette, a report
        if action == "entry_mode" and self.entry.active:
            return False  # its twin above leaves, and the footer has room for entry mode's keys
        return not (self.screen_stack and isinstance(self.screen, ErrorScreen)) or action in ON_ERROR_SCREEN

    # ── actions: one line each ──
    def action_next(self) -> None: self._move(Stepper.step)
    def action_step_back(self) -> None: self._move(Stepper.step_back)
    def action_forward_end(self) -> None: self._resume("forward")
    def action_end(self) -> None: self._resume("end")
    def action_back_to_stop(self) -> None: self._run_until(Stepper.resume_back)
    def action_run_to_selected(self) -> None: self._run_until(self._to_selected)
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
    def action_heat(self) -> None: self.query_one(GraphView).cycle_metric()
    def action_select(self, delta: int) -> None: self._navigate(self.nav.select_by, delta)
    def action_stop_or_follow(self) -> None: self._stop_job() or self._navigate(self.nav.follow_current)
    def action_quit(self) -> None: self._quit()
    def action_command_palette(self) -> None: self._palette()
    def action_help(self) -> None: self.push_screen(HelpScreen(self._state_styles()))
    def action_toggle_fold(self) -> None: self._set_view("folded")
    def action_toggle_focus(self) -> None: self._set_view("focused")
    def action_hops(self, delta: int) -> None: self._change_hops(delta)
    def action_open(self) -> None: self._open()
    def action_match(self, direction: int) -> None: self._jump(direction)
    def action_entry_mode(self) -> None: self._entry_mode()
    def action_entry_move(self, axis: int, delta: int) -> None: self._entry_changed(self.entry.move, axis, delta)
    def action_entry_switch(self) -> None: self._entry_switch()
    def action_entry_leave(self) -> None: self._entry_changed(self.entry.leave)
    def action_entry_follow(self, same_kind: int) -> None: self._entry_follow(bool(same_kind))

    @property
    def selected(self) -> int | None:
        """The selected item of the graph view: a node, or a block."""
        return self.nav.selected

    @property
    def follow(self) -> bool:
        """Whether the selection follows the stepper's current node."""
        return self.nav.follow

    # ── state changes ──
    def _move(self, method) -> None:
        if self.session.ready:
            with self._noted():
                done = self.session.move(method)
                if isinstance(done, Step):  # ``Stepper.step`` describes the step: the views ask for it next
                    self.session.keep(done)
            self.tick += 1

    @contextmanager
    def _noted(self) -> Iterator[None]:
        """An error the engine raises on a key (a rule that broke its shape contract) becomes a note: the app
        and the walk so far stay."""
        try:
            yield
        except GraphstepError as err:
            self.notify(err.summary(), title="graphstep", severity="error", timeout=10)

    def _resume(self, to: str) -> None:
        """``e``/``f``: run on, stopping at a breakpoint, the first NaN/Inf or a gradient over the limit."""
        self._run_until(lambda stepper: stepper.resume(to))

    def _to_selected(self, stepper: Stepper) -> Break | None:
        """``t``: to the next step of the node the selection stands for, as a debugger's run to cursor."""
        node = self.nav.selected_node()
        if node is None:
            raise GraphstepError("select a node first: t runs to its next step")
        return stepper.run_to_node(node)

    def _run_until(self, run: Callable[[Stepper], Break | None]) -> None:
        """Walk with ``run`` (on, back, to a node); a break it stops at is said, the view follows the walk."""
        if not self.session.ready:
            return
        stop = None
        with self._noted():
            stop = self.session.stop = self.session.move(run)
        if stop is not None:
            self.nav.follow = True
            self.notify(stop.message, title=STOP_TITLES.get(stop.reason, stop.reason),
                        severity="warning" if stop.reason == "breakpoint" else "error", timeout=10)
        self.tick += 1

    # ── the user's file runs in a job: a loop or input() in it never holds the UI ──
    def _reload(self, reseed: int | None = None) -> None:
        """Run the file again (after an edit, or on new random inputs with ``L``), superseding whatever runs."""
        self._stop_job()
        if isinstance(self.screen, ErrorScreen):
            self.pop_screen()  # the line that says the file is running is on the main screen
        self._run_file(reseed)

    @work(group="file", exclusive=True)
    async def _run_file(self, reseed: int | None = None) -> None:
        """Run and trace the file off the UI thread, then show the new graph and what changed, or the error.

        The old graph stays usable while the file runs, and after it fails (the error screen's esc goes back).
        """
        session = self.session
        before, keep, run = session.stepper, self.nav.selected_name(), session.tracer(reseed)
        job = self._start_job(Job(f"running {short_path(session.path)}", lambda job: run(), kind="file"))
        if job is None:
            return
        try:
            traced = await job.result()
        except Exception as err:
            self._file_failed(job, err)
            return
        finally:
            self._end_job(job)
        if not self._breaks_found(traced):
            return
        session.adopt(traced)
        self._loaded(keep)
        if before is not None and session.failure is None:  # a failure says itself, on the red node
            self._show_changes(before, reseed)

    def _file_failed(self, job: Job, err: Exception) -> None:
        """Stopped with a graph to go back to: say so.  Otherwise the error screen says what the file did, where."""
        session = self.session
        if job.stopped and session.ready:
            self.notify(f"stopped {short_path(session.path)}: the graph is its last run that worked", timeout=6)
            return
        session.fail(err)
        self._loaded(None)

    def _breaks_found(self, traced: Traced) -> bool:
        """``graphstep FILE --break NAME``: a name the graph lacks ends the app with the CLI's message (exit 2)."""
        graph = traced.graph
        unknown = [name for name in self.session.break_at if name not in graph.ids]
        if unknown:
            where = f"{short_path(self.session.path)}:{graph.name}"
            self.refused = GraphstepError(f"--break {unknown[0]}: no node of that name in {where}",
                                          hint="nodes: " + ", ".join(graph.name_of(n) for n in graph.order[:40]))
            self.exit(return_code=2)
        return not unknown

    def _show_changes(self, before: Stepper, reseed: int | None) -> None:
        """After a reload: what changed against the graph that was shown, or that nothing did."""
        from ..analysis.compare import compare  # a reload's, never the first screen's: imported when used

        session = self.session
        comparison = compare(before.graph, session.graph, before, session.stepper)
        what = f"new random inputs (draw {session.reseed})" if reseed is not None else "reloaded"
        if comparison.changed:
            self.push_screen(ReportScreen(f"What changed · {what}", comparison.lines()))
        else:
            self.notify(f"{what}: nothing changed", timeout=4)

    # ── jobs: one at a time, shown on the activity line, stopped by esc and by quitting ──
    def _start_job(self, job: Job) -> Job | None:
        """Start ``job`` as the one that runs; None (and a note) while another runs and was not asked to stop."""
        if self.job is not None and not self.job.stopped:
            self.notify(f"{self.job.what} is still running: esc stops it", severity="warning", timeout=4)
            return None
        self.job = job.start()
        self._started = [j for j in self._started if j.alive] + [job]
        self._show_activity(job)
        return job

    def _end_job(self, job: Job) -> None:
        """The job ended, or its worker was cancelled (then the job is stopped too)."""
        if not job.done:
            job.stop()
        if self.job is job:
            self.job = None
            self._show_activity(None)

    def _show_activity(self, job: Job | None) -> None:
        """The activity line follows ``job`` (None: nothing runs) — unless the app is closing and it is gone."""
        for bar in self.query(ActivityBar):
            bar.show(job)

    def _stop_job(self) -> bool:
        """Stop what runs; the activity line says so until it has ended.  False when nothing ran."""
        if self.job is None:
            return False
        self.job.stop()
        return True

    def _quit(self) -> None:
        """q, ctrl+q: quit at once, never waiting for a job."""
        code = self._exit_code()
        self._stop_job()
        self.exit(return_code=code)

    def _exit_code(self) -> int:
        """The CLI's codes: 130 when the file was interrupted (still running, or stopped before it finished),
        2 when it failed (the error screen), else 0."""
        error = self.session.error
        if (self.job is not None and self.job.kind == "file") or isinstance(error, Cancelled):
            return INTERRUPTED
        return 2 if error is not None or self.session.failure is not None else 0

    @property
    def stuck(self) -> bool:
        """A job's thread outlived the app (blocked where no interrupt reaches): only ending the process ends it."""
        return any(job.alive for job in self._started)

    def _loaded(self, keep: str | None) -> None:
        """After a run of the file: show the error screen, or lay out the new graph (the node named ``keep``
        selected, as breakpoints and watches follow their names) and redraw."""
        session = self.session
        self._open_body()
        if session.error is not None:
            self._redraw()  # behind the error screen, the last good run now says so (for esc)
            if isinstance(self.screen, ErrorScreen):
                self.screen.show(session.error)
            else:
                self.push_screen(ErrorScreen(session.error, session.path, back=session.ready))
            return
        if isinstance(self.screen, ErrorScreen):
            self.pop_screen()
        graph = session.graph
        source = self.query_one(SourceView)
        source.load(short_path(session.path), session.source_lines)
        source.highlight()
        self.query_one(Breadcrumb).display = bool(graph.grouping.groups) or len(graph) > FOLD_NODES or \
            session.training is not None
        settle_heap(reloaded=self.nav.drawing is not None)
        self.nav.reloaded(keep)
        self._redraw()
        self.call_after_refresh(session.stepper.prepare)  # what the first step needs, made while the user reads
        if session.failed is not None:  # the call that failed while tracing, selected (the inspector says why)
            self.nav.pick(session.failed)  # and scrolled to once the new drawing has its size
            self.call_after_refresh(self._redraw)

    def _switch_mode(self) -> None:
        if self.session.ready:
            self.session.set_mode("forward" if self.session.mode == "reverse" else "reverse")
            self.notify(f"{self.session.mode} mode" + (": each step carries a tangent along every param"
                                                        if self.session.mode == "forward" else ""))
            self.tick += 1

    def pick(self, item: int) -> None:
        """Select a node or a block (from a click, the palette, the step log): see ``Navigator.pick``."""
        self._navigate(self.nav.pick, item)

    def _navigate(self, move: Callable, *args) -> None:
        """Move the selection with one of the navigator's methods, then draw what it selects."""
        if self.session.ready:
            move(*args)
            self._redraw()

    # ── folding, focus, search ──
    def _set_view(self, what: str) -> None:
        """Toggle ``folded`` or ``focused``, keeping the selected node in the open."""
        session = self.session
        if not session.ready:
            return
        if what == "folded" and not session.graph.grouping.repeats:
            self.notify("nothing repeats in this graph: there is nothing to fold", timeout=3)
            return
        self._navigate(self.nav.toggle_view, what)

    def _change_hops(self, delta: int) -> None:
        if not self.session.focused:
            self.notify("+ and − set how many hops the focus view (v) shows", timeout=3)
            return
        self.session.set_hops(delta)
        self.tick += 1

    def _open(self) -> None:
        """``o``: open the block under the cursor (``Navigator.open``)."""
        if self.session.ready and self.nav.open():
            self._redraw()
        else:
            self.notify("o opens a folded block or a context box: select one (↑ ↓ tab or a click)", timeout=3)

    def use_matches(self, query: str, matches: list[int], node: int | None = None) -> None:
        """Keep a search's matches for ``]`` and ``[``, and go to ``node`` (by default the next match)."""
        self._navigate(self.nav.use_matches, query, matches, node)

    def _jump(self, direction: int) -> None:
        if not (self.session.ready and self.nav.jump(direction)):
            self.notify("press / to find nodes (a name, an op, op:matmul, line:14), then ] and [", timeout=3)
            return
        self._redraw()

    # ── redraw ──
    def _title(self, drawing: Drawing) -> str:
        """``Graph · folded (z)`` or ``Graph · focus, 2 hops (v, + −)``: what the graph view draws now."""
        kind = drawing.key[0]
        if kind != "focus":
            return "Graph · folded (z)" if kind == "fold" else "Graph"
        hops, asked = drawing.key[2], self.session.hops
        of = f" of {asked}" if hops < asked else ""
        return f"Graph · focus, {hops}{of} hop{'s' * (asked != 1)} (v, + −)"

    def watch_tick(self, tick: int) -> None:
        self._navigate(self.nav.refresh)
        self.call_after_refresh(self._prepare_next, tick)

    def _prepare_next(self, tick: int) -> None:
        """Once this step is on screen and no key has come for a moment, lay out what the next step will draw
        (``Session.prepare_next``), so that it delays neither this screen nor the next key."""
        if tick == self.tick:
            self.set_timer(PREPARE_AFTER, partial(self._prepare_if_still, tick))

    def _prepare_if_still(self, tick: int) -> None:
        if tick == self.tick and self.session.ready:
            if self.nav.follow:
                self.session.prepare_next()
            collect_while_idle()

    def watch_jacobian(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        """Every view from the navigator's state: the graph laid out again when its drawing changed."""
        session, nav, drawing = self.session, self.nav, self.nav.drawing
        if not session.ready or not self.is_mounted or drawing is None:
            return
        view, item, st = self.query_one(GraphView), nav.selected, session.stepper
        if view.drawing is not drawing:
            view.show(drawing, session)
            view.border_title = self._title(drawing) + failed_title(session)
        block, node = drawing.block(item), nav.selected_node()
        name = block.label if block is not None else session.graph.name_of(node) if node is not None else ""
        self.query_one(StatusBar).show(session, nav.follow, name, nav.match_note(),
                                       esc="leave entry" if self.entry.active else "follow")
        view.select(item, follow=nav.current_item() if nav.follow else item)
        if block is not None:
            self.query_one(Inspector).show_rows(*session.block_rows(drawing, block))
        elif node is not None and node == session.failed:
            self.query_one(Inspector).show_rows(*failure_rows(session))
        else:
            self.query_one(Inspector).show(session, node, self.jacobian, self._entry_on(node))
        line_node = node if node is not None else st.current
        self.query_one(SourceView).show(session.graph.node(line_node).line if line_node is not None else None)
        self.query_one(StepLog).show(session, node)
        self.query_one(WatchPanel).show(session, session.watched)
        self.query_one(Breadcrumb).show(session, drawing, item)
        for panel in self.query("#training"):
            panel.show(session)

    # ── entry mode: one entry of the selected node's gradient or value, explained ──
    def _entry_mode(self) -> None:
        """``i``: a cursor on an entry of the selected node (its gradient when it gets one), which stays selected
        while n and p step, so the same entry is explained as the walk moves; ``i`` again (or esc) leaves."""
        node = self.nav.selected_node() if self.session.ready else None
        if self.entry.active or node is None:
            self._entry_changed(self.entry.leave)
            return
        self.nav.pick(node)
        self.nav.follow = False
        self._entry_changed(self.entry.enter, node, self.session.graph.shape_of(node),
                            gets_gradient(self.session, node))

    def _entry_switch(self) -> None:
        if not self.entry.switch(gets_gradient(self.session, self.entry.node)):
            self.notify("this node gets no gradient: entry mode shows its value", timeout=3)
        self._redraw()

    def _entry_changed(self, change: Callable, *args) -> None:
        """Change entry mode's state, then the views; the key bar's keys only when the mode turned on or off."""
        was = self.entry.active
        change(*args)
        if self.entry.active != was:
            self.refresh_bindings()
        self._redraw()

    def _entry_on(self, node: int | None) -> EntryCursor | None:
        """Entry mode's cursor kept on ``node`` as it is now (another pick, a reload, a mode switch); None when off."""
        if not self.entry.active or node is None:
            return None
        self.entry.follow(node, self.session.graph.shape_of(node), gets_gradient(self.session, node))
        return self.entry

    @on(Inspector.EntryPicked)
    def _entry_picked(self, message: Inspector.EntryPicked) -> None:
        self._entry_changed(self.entry.place, message.index)

    @on(events.Click, "#inspector")
    def _inspector_clicked(self, event: events.Click) -> None:
        """A click on the value or the gradient the inspector draws enters entry mode on that array (then a click
        on an entry moves the cursor there)."""
        inspector, node = self.query_one(Inspector), self.nav.selected_node() if self.session.ready else None
        offset = event.get_content_offset(inspector)
        if self.entry.active or node is None or offset is None:
            return
        array = clicked_array(inspector.lines, offset.y + inspector.scroll_offset.y)
        if array is not None:
            self.nav.pick(node)
            self.nav.follow = False
            gradient = array == "grad" and gets_gradient(self.session, node)
            self._entry_changed(self.entry.enter, node, self.session.graph.shape_of(node), gradient)

    def _entry_follow(self, same_kind: bool) -> None:
        """enter (o): the cursor onto the entry the largest term of this one reads, in its own node."""
        target = follow_term(self.session, self.entry, same_kind)
        if target is None:
            self.notify("nothing to follow: this entry is not made from another (a leaf, the seed), or not yet",
                        timeout=3)
            return
        node, index, gradient = target
        self.nav.pick(node)
        self.nav.follow = False
        self._entry_changed(self.entry.jump, node, self.session.graph.shape_of(node), gradient, index)

    # ── breakpoints, watches, per-sample gradients ──
    def _toggle_breakpoint(self) -> None:
        node = self.nav.selected_node() if self.session.ready else None
        if node is not None:
            on = self.session.stepper.toggle_breakpoint(node)
            name = self.session.graph.name_of(node)
            self.notify(f"breakpoint {'set on' if on else 'removed from'} {name}"
                        + (": e and f stop after its forward and its backward step" if on else ""), timeout=4)
            self._redraw()

    def _toggle_watch(self) -> None:
        node = self.nav.selected_node() if self.session.ready else None
        if node is not None:
            watched = self.session.watched
            if node in watched:
                watched.remove(node)
            else:
                watched.append(node)
            self._redraw()

    def _per_sample(self) -> None:
        """``g``: per-sample gradients of the selected param (else the first) against the batch gradient."""
        session = self.session
        if not session.ready or self._needs_whole_graph("per-sample gradients"):
            return
        graph, node = session.graph, self.nav.selected_node()
        param = node if node is not None and graph.node(node).kind == "param" else next(iter(graph.params.values()),
                                                                                           None)
        if param is None:
            self.notify("no parameter to take per-sample gradients of", severity="warning")
            return
        job = Job(f"per-sample gradients of {graph.name_of(param)}",
                  lambda job: per_sample_gradients(graph, param, progress=job.report, cancel=job.cancel))
        self._run_job(job, lambda report: self._per_sample_done(graph, param, report))

    def _per_sample_done(self, graph, param: int, report) -> None:
        if graph is self.session.graph:
            title = f"Per-sample gradients of {graph.name_of(param)} · {'✓' if report.ok else '✗'}"
            self.push_screen(ReportScreen(title, report.lines(), report.ok))

    @work(group="job")
    async def _run_job(self, job: Job, done: Callable) -> None:
        """Run ``job`` (a check, per-sample gradients) off the UI thread and give ``done`` its result."""
        if self._start_job(job) is None:
            return
        try:
            result = await job.result()
        except Exception as err:
            self._job_failed(job, err)
            return
        finally:
            self._end_job(job)
        done(result)

    def _job_failed(self, job: Job, err: Exception) -> None:
        """Stopped on request: a short note.  Failed: what went wrong ("export failed: Graphviz …")."""
        if job.stopped:
            self.notify(f"{job.what} stopped", timeout=3)
        else:
            self.notify(err.summary() if isinstance(err, GraphstepError) else f"{job.what} failed: {err}",
                        severity="error", timeout=8)

    # ── messages from the views ──
    async def on_event(self, event: events.Event) -> None:
        """A press on a widget that has just left the screen (a notification that expired under the pointer) is
        dropped: Textual would start a text selection in it and fail (Textualize/textual#6643)."""
        if isinstance(event, events.MouseDown) and not event.is_forwarded:
            widget, _ = self.screen.get_widget_and_offset_at(event.x, event.y)
            if widget is not None and not widget.is_attached:
                return
        await super().on_event(event)

    @on(NodePicked)
    def _node_picked(self, message: NodePicked) -> None:
        self.pick(message.node)

    @on(StepPicked)
    def _step_picked(self, message: StepPicked) -> None:
        self.pick(self.session.record(message.index).node)

    # ── find, check, export ──
    def _find(self) -> None:
        if self.session.ready and not Palette.in_stack(self):
            self.push_screen(Palette(providers=[NodeMatches], placeholder="Find nodes: a name, an op, "
                                     "op:matmul, kind:param, line:14 … (then ] and [ visit every match)"))

    def _palette(self) -> None:
        """ctrl+p: Textual's command palette with our nodes in it, safe to page in a tiny terminal."""
        if self.use_command_palette and not Palette.in_stack(self):
            self.push_screen(Palette(id="--command-palette"))

    def search_themes(self) -> None:
        """The palette's Theme command: Textual's theme picker, in our ``Palette`` as every palette here is."""
        self.push_screen(Palette(providers=[ThemeProvider], placeholder="Search for themes…"))

    def _check(self) -> None:
        """``c``: the gradient check of every param, a seeded sample of entries each (the result says how many)."""
        if self.session.ready and not self._needs_whole_graph("a gradient check"):
            graph = self.session.graph
            job = Job("gradient check", lambda job: gradcheck(graph, progress=job.report, cancel=job.cancel))
            self._run_job(job, lambda report: self._checked(graph, report))

    def _needs_whole_graph(self, what: str) -> bool:
        """``what`` needs gradients, so a graph that ends at a failed call (``failure_view``) says so instead."""
        refusal = whole_graph_needed(self.session, what)
        if refusal:
            self.notify(refusal, severity="warning", timeout=6)
        return bool(refusal)

    def _checked(self, graph, report) -> None:
        if graph is not self.session.graph:
            return
        self.session.check = report
        lines = str(report) if report.results else "no parameters to check"
        self.notify(lines, title="gradient check passed ✓" if report.ok else "gradient check FAILED ✗",
                    severity="information" if report.ok else "error", timeout=8)
        self.tick += 1

    def _export(self) -> None:
        """``x``: the graph as drawn now, SVG and PNG beside the user's file, in a job (a huge graph takes a while;
        Graphviz missing or an unwritable folder is a note saying "export failed")."""
        if not self.session.ready:
            return
        session = self.session
        graph, mode, position, path, fold = session.graph, session.mode, session.stepper.position, session.path, \
            session.fold
        training = session.training  # then the walk drawn is the iteration on screen, with the loss curve
        trained_to = training.position if training is not None else 0

        def export(job: Job) -> list:
            from ..render.export import export_beside

            if training is not None:  # walked again in the job: the training on screen stays the user's
                from ..render.chart import export_training_beside

                return export_training_beside(Training(graph, **session.train).run_to(trained_to), path, fold=fold)
            snapshot = Stepper(graph, mode=mode).run_to(position)
            return export_beside(snapshot, path, fold=fold)  # FILE-stepN-2.svg … where a file of the user's is

        self._run_job(Job("export", export), lambda paths: self.notify(
            "wrote " + " and ".join(short_path(p) for p in paths), timeout=8))

    # ── colours ──
    def _state_styles(self) -> dict:
        return self.query_one(GraphView).state_styles()


def settle_heap(reloaded: bool) -> None:
    """Put what is alive now (graph, values, widgets) out of the garbage collector's sight: at 10,000 nodes
    each full collection costs ~80 ms, a stall on a key press, and none of these objects is garbage.  Only in the
    ``graphstep`` program (``heap.own_heap``): an app hosted by a test or a notebook leaves their heap alone."""
    if not owns_heap():
        return
    if reloaded:
        gc.unfreeze()
        gc.collect()  # the previous graph
    gc.freeze()


def collect_while_idle() -> None:
    """Run the full garbage collection that is nearly due now, while the user reads the screen: at 10,000 nodes
    (views, records and strips alive) it takes 10-25 ms, and the collector would otherwise start it during a key."""
    if gc.get_count()[2] >= gc.get_threshold()[2] - 3:
        gc.collect()


def run_app(target: str, breaks: list[str] = (), grad_norm_limit: float | None = None, reseed: int = 0,
            training: dict | None = None) -> int:
    """Open the TUI on ``FILE[:NAME]``, which then runs the file: a missing file is an error before the screen
    opens, a ``--break`` name the graph lacks one raised after it closes (both exit 2, as the CLI's errors do)."""
    path, _ = split_target(target)
    if not os.path.isfile(path):
        raise LoadError(f"no such file: {path}", hint="give the path of a .py file with a @gs.computation")
    app = GraphstepApp(target, Session(target, reseed=reseed, break_at=list(breaks), grad_norm_limit=grad_norm_limit,
                                       train=training))
    app.run()
    if app.refused is not None:
        raise app.refused
    code = app.return_code or 0
    if app.stuck:  # the user's code is blocked where no interrupt reaches; the terminal is already restored
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
