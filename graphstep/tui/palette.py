"""Provides the command palettes: jump to a node by name (ctrl+p), find nodes (``/``), and ``Palette``.

``Palette`` is Textual's ``CommandPalette`` with two guards for tiny terminals.
With four rows or fewer its list of results gets no height, never lays out its
lines, and Textual 8's ``OptionList._move_page`` then looks up a line that does
not exist (``KeyError`` on page down or page up): with no room to show a page,
paging does nothing.  About six columns wide, the list wraps its options to a
width of 0 and fails: ``app.tcss`` keeps it wider (``Palette CommandList``).
And one for a double click, outside it or on a result: Textual's palette closes
on the first click and, closed already, again on the second, popping the screen
beneath (``ScreenStackError``); the same for an enter that reaches it under a
report a job opened over it: a palette not on top ignores clicks and selections.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from itertools import islice
from typing import TYPE_CHECKING

from textual import events, on
from textual.app import App
from textual.binding import Binding
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.message import Message
from textual.widgets import Input, OptionList

from ..analysis.search import find_nodes

if TYPE_CHECKING:
    from ..core.graph import Graph
    from .app import GraphstepApp

SHOWN_MATCHES = 40  # nodes listed under a search; ] and [ visit all of them


class Palette(CommandPalette):
    """The command palette, safe to page in a terminal too small to show its results."""

    BINDINGS = [Binding("pagedown", "page(1)", "Next page", show=False),
                Binding("pageup", "page(-1)", "Previous page", show=False)]

    @on(events.Click)
    @on(OptionList.OptionSelected)
    @on(Input.Submitted)
    def _once_closed(self, event: Message) -> None:
        """What reaches the palette after it closed (the second click of a double click, on a result or
        outside), or while a screen a job opened is over it (an enter on its way), does nothing: Textual's
        handlers, next in line, would close it, and closing pops the top screen, whichever it is."""
        if self.app.screen is not self:
            event.prevent_default()

    @staticmethod
    def in_stack(app: App) -> bool:
        """A palette is open: on top, or under a screen a job opened over it (a report of what changed).
        Textual's ``is_open`` sees the top only, and a second ctrl+p palette would reuse its id."""
        return any(isinstance(screen, CommandPalette) for screen in app.screen_stack)

    def action_page(self, direction: int) -> None:
        results = self.query_one(CommandList)
        if results.scrollable_content_region:  # no room at all: Textual's paging would fail, and there is no page
            results.action_page_down() if direction > 0 else results.action_page_up()


def _graphstep_app(provider: Provider) -> GraphstepApp | None:
    """The app, when it has a graph to search (a palette can open before the file has run)."""
    app = provider.app
    return app if getattr(app, "session", None) is not None and app.session.ready else None


def node_help(graph: Graph, node: int) -> str:
    """``matmul samples/mlp.py:23``: what the palette says under a node's name."""
    info = graph.node(node)
    return f"{info.op or info.kind} {info.source}"


def node_entries(graph: Graph) -> Iterator[tuple[str, int, str]]:
    """(name, node, description) of every node, in graph order."""
    return ((graph.name_of(n), n, node_help(graph, n)) for n in graph.order)


class NodeCommands(Provider):
    """Command palette entries: jump to any node by name."""

    async def search(self, query: str) -> Hits:
        app = _graphstep_app(self)
        if app is None:
            return
        matcher = self.matcher(query)
        for name, node, help_text in node_entries(app.session.graph):
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(app.pick, node), help=help_text)


class NodeMatches(Provider):
    """``/``: the nodes a query finds (a name, an op, ``op:matmul``, ``line:14``); ``]`` and ``[`` then visit each."""

    async def discover(self) -> Hits:
        app = _graphstep_app(self)
        if app is not None:
            for name, node, help_text in islice(node_entries(app.session.graph), SHOWN_MATCHES):
                yield DiscoveryHit(name, partial(app.pick, node), help=help_text)

    async def search(self, query: str) -> Hits:
        app = _graphstep_app(self)
        if app is None:
            return
        graph, matcher = app.session.graph, self.matcher(query)
        matches = find_nodes(graph, query)
        if matches:
            yield Hit(1.0, f"{len(matches):,} match{'es' * (len(matches) != 1)}: go to the next, then ] and [",
                      partial(app.use_matches, query, matches), help=f"“{query}”: by name, op, kind or line")
        for node in matches[:SHOWN_MATCHES]:
            name = graph.name_of(node)
            yield Hit(0.3 + 0.6 * matcher.match(name), matcher.highlight(name),
                      partial(app.use_matches, query, matches, node), help=node_help(graph, node))
