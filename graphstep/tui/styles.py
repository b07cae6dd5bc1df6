"""Provides ``CachedStyles``: component styles, and the widget's own style, looked up once per style change.

``render_line`` runs for every visible row on every repaint, so line widgets
ask for their styles through this cache instead of the CSS engine (Textual
computes ``rich_style`` afresh on each call, walking every ancestor).
"""

from __future__ import annotations

from rich.style import Style


class CachedStyles:
    """Mixin for a widget with ``COMPONENT_CLASSES`` named ``<STYLE_PREFIX>--<name>``."""

    STYLE_PREFIX = ""

    def _style_for(self, name: str) -> Style:
        """How one component style is built (``""``: the widget's own); widgets may layer it on their base style."""
        return self.get_component_rich_style(f"{self.STYLE_PREFIX}--{name}") if name else self.rich_style

    def _component(self, name: str) -> Style:
        cache = self.__dict__.setdefault("_style_cache", {})
        if name not in cache:
            cache[name] = self._style_for(name)
        return cache[name]

    @property
    def base_style(self) -> Style:
        """The widget's ``rich_style`` (its colours on its ancestors' background), cached as the components are."""
        return self._component("")

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.__dict__["_style_cache"] = {}
