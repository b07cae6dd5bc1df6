"""Provides ``StatusBar``: file, phase, step k of n, bytes held for backward, mode, search match."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from ..text import human_bytes
from .session import Session


def phase_of(session: Session) -> str:
    """The phase of the last step taken: start, forward, backward or done."""
    st = session.stepper
    if st.position == 0:
        return "start"
    if st.done:
        return "done"
    return st.phase_of(st.position)


class StatusBar(Widget):
    """One line across the top; drawn by ``render`` so an update never re-lays out the screen."""

    COMPONENT_CLASSES = {"status-bar--error"}

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.text = Text()

    def render(self) -> Text:
        return self.text

    def update(self, text: Text) -> None:
        self.text = text
        self.refresh()

    def show(self, session: Session, follow: bool, selected_name: str = "", note: str = "",
             esc: str = "follow") -> None:
        """Redraw from the session; ``note`` is e.g. ``match 3/17 “tanh”``, ``esc`` what esc does next."""
        text = Text()
        text.append(" graphstep ", style="bold reverse")
        text.append(f"  {session.display_name()}   ")
        if not session.ready:  # the file is still running (the activity line says so), or failed
            if session.error is not None:
                text.append("error: fix the file and press l", style=self.get_component_rich_style("status-bar--error"))
            self.update(text)
            return
        if session.error is not None:
            text.append("last good run: the file fails now (l) · ",
                        style=self.get_component_rich_style("status-bar--error"))
        st, training = session.stepper, session.training
        if training is not None:  # iteration 3/20 · update · step 16/18
            place = training.place
            text.append(f"iteration {place.iteration}/{training.iterations} · {place.phase}", style="bold")
            text.append(f" · step {place.step}/{place.steps}")
        else:
            text.append(phase_of(session), style="bold")
            text.append(f" · step {st.position}/{st.total}")
        wide = self.app.size.width >= 120
        if st.mode == "reverse":
            text.append(f" · {human_bytes(st.held_bytes())} held{' for backward' if wide else ''}")
        text.append(f" · {st.mode}{' mode' if wide else ''}")
        name = selected_name if len(selected_name) <= 32 else selected_name[:31] + "…"
        text.append(" · following current" if follow else f" · inspecting {name} (esc: {esc})", style="dim")
        if note:
            text.append(f" · {note}", style="bold")
        self.update(text)
