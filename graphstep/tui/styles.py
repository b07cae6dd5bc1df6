"""Provides ``CachedStyles``: component styles, and the widget's own style, looked up once per style change.

``render_line`` runs for every visible row on every repaint, so line widgets
ask for their styles through this cache instead of the CSS engine (Textual
computes ``rich_style`` afresh on each call, walking every ancestor).  The heat
colouring's styles (``render.heat`` classes) are made here too, the one place
that turns the theme's colours into per-cell styles: app.tcss gives each side
its hue (``<widget>--heat-neg``, ``--heat-pos``, ``--heat-nan``, ``--heat-inf``)
and a level blends it into the widget's background.
"""

from __future__ import annotations

from rich.style import Style

from ..render.heat import LEVELS

HEAT_MIN, HEAT_MAX = 0.18, 0.8  # how far the lightest and the darkest level blend the hue into the background


class CachedStyles:
    """Mixin for a widget with ``COMPONENT_CLASSES`` named ``<STYLE_PREFIX>--<name>``."""

    STYLE_PREFIX = ""

    def _style_for(self, name: str) -> Style:
        """How one component style is built (``""``: the widget's own); widgets may layer it on their base style."""
        return self.get_component_rich_style(f"{self.STYLE_PREFIX}--{name}") if name else self.rich_style

    def _component(self, name: str) -> Style:
        cache = self.__dict__.setdefault("_style_cache", {})
        if name not in cache:
            cache[name] = self._heat_for(name[5:]) if name.startswith("heat:") else self._style_for(name)
        return cache[name]

    def heat_style(self, cls: str) -> Style:
        """The style of a ``render.heat`` class (``pos3``, ``nan`` …), to layer on the base style."""
        return self._component(f"heat:{cls}")

    def _heat_for(self, cls: str) -> Style:
        """A level: its side's hue blended into the background, the text in the colour that reads on it; a mark
        (nan, ±inf): its component as app.tcss styles it; zero: nothing added."""
        if cls in ("nan", "posinf", "neginf"):
            return self.get_component_rich_style(f"{self.STYLE_PREFIX}--heat-{'nan' if cls == 'nan' else 'inf'}",
                                                 partial=True)
        if cls == "zero":
            return Style()
        side, level = cls[:3], int(cls[3:])
        hue = self.get_component_styles(f"{self.STYLE_PREFIX}--heat-{side}").background
        background = self.background_colors[1]
        colour = background.blend(hue.with_alpha(1.0), HEAT_MIN + (HEAT_MAX - HEAT_MIN) * (level - 1) / (LEVELS - 1))
        return Style(bgcolor=colour.rich_color, color=colour.get_contrast_text(0.95).rich_color)

    @property
    def base_style(self) -> Style:
        """The widget's ``rich_style`` (its colours on its ancestors' background), cached as the components are."""
        return self._component("")

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.__dict__["_style_cache"] = {}
