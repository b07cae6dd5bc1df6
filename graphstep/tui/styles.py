"""Provides ``CachedStyles``: component styles looked up once per style change.

``render_line`` runs for every visible row on every repaint, so line widgets
ask for their component styles through this cache instead of the CSS engine.
"""

from __future__ import annotations

from rich.style import Style


class CachedStyles:
    """Mixin for a widget with ``COMPONENT_CLASSES`` named ``<STYLE_PREFIX>--<name>``."""

    STYLE_PREFIX = ""

    def _style_for(self, name: str) -> Style:
        """How one component style is built; widgets may layer it on their base style."""
        return self.get_component_rich_style(f"{self.STYLE_PREFIX}--{name}")

    def _component(self, name: str) -> Style:
        cache = self.__dict__.setdefault("_style_cache", {})
        if name not in cache:
            cache[name] = self._style_for(name)
        return cache[name]

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.__dict__["_style_cache"] = {}
