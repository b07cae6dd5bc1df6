"""Provides ``KeyBar``: the screen's keys on the bottom line, as Textual's ``Footer`` shows them, drawn by one widget.

Textual's Footer is a container of one widget per key, composed again whenever
the screen's bindings change.  Each of its key widgets is styled when it mounts
(twice: once more by its ``compact`` reactive), which against this app's
stylesheet came to a quarter of the app's start (33 of 125 CPU-ms for
samples/mlp.py) and recurs on every switch of entry mode.  The bar draws the
same line, in the footer's theme colours, as one ``Text``; a click on a key
presses it, as the Footer's does, and the key under the mouse is highlighted.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

DIM = Style(dim=True)  # a key check_action disables (None): shown, as the Footer shows it


class Key(NamedTuple):
    """One key the bar shows, and the columns it takes."""

    key: str  # what a click presses
    action: str  # what the key does: "quit", "entry_switch"…
    label: str  # " n next "
    split: int  # where the key ends and its description begins, within label
    enabled: bool  # check_action said None: shown, dimmed, a click only rings the bell
    palette: bool = False  # the command palette's key: flush right
    start: int = 0  # the first column of label on the bar


class KeyBar(Widget, can_focus=False):
    """The keys of the screen's active bindings that ``show``, one per action, in binding order; the command
    palette's key on the right edge."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--hover", "key-bar--separator"}

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.keys: list[Key] = []  # what the bindings show, left to right (the palette's last)
        self.placed: list[Key] = []  # those drawn, with their columns: the last render's
        self._hover: str | None = None  # the key under the mouse

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if screen is self.screen:
            self.keys = self._shown(screen)
            self.refresh()

    def _shown(self, screen: Screen) -> list[Key]:
        """As the Footer picks them: the first binding of each action that shows, then the palette's."""
        app, active, by_action = self.app, screen.active_bindings, {}
        for _node, binding, enabled, _tooltip in active.values():
            if binding.show:
                by_action.setdefault(binding.action, (binding, enabled))
        keys = [_key(binding, app.get_key_display(binding), enabled) for binding, enabled in by_action.values()]
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, _tooltip = active[app.COMMAND_PALETTE_BINDING]
            keys.append(_key(binding, app.get_key_display(binding), enabled, palette=True))
        return keys

    def render(self) -> Text:
        """The keys from the left, the palette's flush right after a ``▏``; keys that do not fit are left out."""
        keys, width = self.keys, self.size.width
        palette = keys[-1] if keys and keys[-1].palette else None
        room = width - (len(palette.label) + 1 if palette is not None else 0)  # 1: the ▏
        self.placed, column = [], 0
        for key in keys:
            if key is palette or column + len(key.label) > room:
                break
            self.placed.append(key._replace(start=column))
            column += len(key.label)
        if palette is not None and room >= column:
            self.placed.append(palette._replace(start=room + 1))
        line = Text(no_wrap=True, overflow="crop", end="")
        for key in self.placed:
            if key.palette:
                line.append(" " * (key.start - 1 - len(line)))
                line.append("▏", self.get_component_rich_style("key-bar--separator"))
            self._append(line, key)
        return line

    def _append(self, line: Text, key: Key) -> None:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        if key.key == self._hover:
            hover = self.get_component_rich_style("key-bar--hover")
            key_style, description_style = key_style + hover, description_style + hover
        if not key.enabled:
            key_style, description_style = key_style + DIM, description_style + DIM
        line.append(key.label[:key.split], key_style)
        line.append(key.label[key.split:], description_style)

    def key_at(self, x: int) -> Key | None:
        """The key drawn at column ``x`` of the bar, if any."""
        return next((key for key in self.placed if key.start <= x < key.start + len(key.label)), None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        key = self.key_at(event.x)
        if key is not None and key.enabled:
            self.app.simulate_key(key.key)
        elif key is not None:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        key = self.key_at(event.x)
        self._set_hover(None if key is None else key.key)

    def on_leave(self) -> None:
        self._set_hover(None)

    def _set_hover(self, key: str | None) -> None:
        if key != self._hover:
            self._hover = key
            self.refresh()


def _key(binding: Binding, shown: str, enabled: bool, palette: bool = False) -> Key:
    """`` n next ``: the key padded by a space each side, its description followed by one, as the Footer pads; the
    palette's key without its first space, where the ``▏`` before it stands, and its second with the description."""
    description = f"{binding.description} " if binding.description else ""
    if palette:
        return Key(binding.key, binding.action, f"{shown} {description}", len(shown), enabled, palette)
    return Key(binding.key, binding.action, f" {shown} {description}", len(shown) + 2, enabled)
