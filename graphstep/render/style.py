"""Provides the picture's visual vocabulary: colours, fonts and the legend.

Kinds are told apart by the header colour and a word (param, input, const);
state by the value and gradient rows and the border: dashed grey = pending,
blue value row = computed, green gradient row = gradient known, darker green
= summed from several consumers, thick orange border = the current step.  A
small matrix is written out, each entry on the heat colour of its class
(``render.heat``: blue below 0, red above, darker the larger; NaN and ±inf
marked), the TUI's colouring in the picture's palette.
"""

from __future__ import annotations

from .heat import LEVELS

FONT = "Helvetica,Arial,sans-serif"
MONO = "DejaVu Sans Mono,Menlo,Consolas,monospace"

HEADER = {"param": "#ffd8a8", "input": "#dee2e6", "const": "#f1f3f5", "op": "#ffffff", "summary": "#e5dbff",
          "fold": "#ffec99"}
KIND_WORD = {"param": "param", "input": "input", "const": "const", "op": ""}
VALUE = "#dbe9ff"
GRAD = "#d3f9d8"
GRAD_SUM = "#8ce99a"
CURRENT = "#e8590c"
BORDER = "#495057"
PENDING = "#adb5bd"
MUTED = "#868e96"
EDGE = "#495057"
EDGE_GRAD = "#2b8a3e"
FAILED = "#c92a2a"  # a call that failed while tracing (core.partial): its border, header text and edges
FAILED_FILL = "#ffe3e3"
CLUSTER = "#f8f9fa"
LOOP = "#fff9db"  # a loop's cluster
ITERATION = "#fff3bf"  # one iteration inside it
HEAT_SIDES = {"neg": (0x1c, 0x7e, 0xd6), "pos": (0xe0, 0x31, 0x31)}  # the hue of each side of 0, darkest level
HEAT_MARKS = {"nan": ("#fcc419", "#212529"), "posinf": ("#212529", "#ffffff"), "neginf": ("#212529", "#ffffff")}
HEAT_MIN, HEAT_MAX = 0.15, 0.85  # how much of the hue the lightest and the darkest level take (the rest white)


def heat_colours(cls: str) -> tuple[str, str]:
    """The background and text colour of a ``render.heat`` class in a picture."""
    if cls in HEAT_MARKS:
        return HEAT_MARKS[cls]
    if cls == "zero":
        return "#ffffff", "#212529"
    amount = HEAT_MIN + (HEAT_MAX - HEAT_MIN) * (int(cls[3:]) - 1) / (LEVELS - 1)
    rgb = [round(255 + (c - 255) * amount) for c in HEAT_SIDES[cls[:3]]]
    return "#" + "".join(f"{c:02x}" for c in rgb), "#ffffff" if amount > 0.55 else "#212529"


def legend_html(stateful: bool) -> str:
    """A legend strip (an HTML table, rows of swatch + words): every colour and line style, explained."""
    items = [
        _item(HEADER["param"], "param", "parameter (learned)"),
        _item(HEADER["input"], "input", "input data"),
        _item(HEADER["const"], "const", "constant"),
        _item("#ffffff", "( @ )", "op; edges carry shapes"),
    ]
    if stateful:
        items += [
            _item("#ffffff", "- - -", "pending", dashed=True),
            _item(VALUE, "value", "forward value computed"),
            _item(GRAD, "grad", "gradient known"),
            _item(GRAD_SUM, "grad Σ2", "summed from 2+ consumers"),
            _item("#ffffff", "◀ step", "current step (orange)", colour_text=CURRENT),
            _item("#ffffff", "━━", "gradient flowed back", colour_text=EDGE_GRAD),
            _heat_item(),
        ]
    items.append(_item("#ffffff", "· · ·", "does not reach the output", colour_text=MUTED))
    per_row = 4
    rows = ["<TR>" + "".join(items[i:i + per_row]) + "</TR>" for i in range(0, len(items), per_row)]
    return (f'<TABLE BORDER="1" COLOR="{PENDING}" CELLBORDER="0" CELLSPACING="2" CELLPADDING="1">'
            f'<TR><TD COLSPAN="{3 * per_row}" ALIGN="LEFT"><FONT POINT-SIZE="10"><B>Legend</B></FONT></TD></TR>'
            f"{''.join(rows)}</TABLE>")


def _item(colour: str, word: str, text: str, *, dashed: bool = False, colour_text: str = "#212529") -> str:
    style = ' STYLE="dashed"' if dashed else ""
    swatch = (f'<TD BGCOLOR="{colour}" BORDER="1" COLOR="{PENDING}"{style}>'
              f'<FONT POINT-SIZE="9" COLOR="{colour_text}">{word}</FONT></TD>')
    return f'{swatch}<TD ALIGN="LEFT"><FONT POINT-SIZE="9">{text}</FONT></TD><TD WIDTH="8"></TD>'


def _heat_item() -> str:
    """The swatch of the entries' colours: ``−  0  +`` on the darkest blue, white and the darkest red."""
    cells = "".join(f'<TD BGCOLOR="{bg}"><FONT POINT-SIZE="9" COLOR="{fg}">{sign}</FONT></TD>'
                    for sign, (bg, fg) in (("−", heat_colours(f"neg{LEVELS}")), ("0", heat_colours("zero")),
                                           ("+", heat_colours(f"pos{LEVELS}"))))
    table = f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>{cells}</TR></TABLE>'
    swatch = f'<TD BORDER="1" COLOR="{PENDING}">{table}</TD>'
    return f'{swatch}<TD ALIGN="LEFT"><FONT POINT-SIZE="9">entries: darker = larger |x|</FONT></TD><TD WIDTH="8"></TD>'


def title_html(title: str, note: str, stateful: bool) -> str:
    """The picture's label: title, an optional note (collapsed nodes), and the legend."""
    esc = (lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    rows = [f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="16">{esc(title)}</FONT></TD></TR>']
    if note:
        rows.append(f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="12" COLOR="{CURRENT}">{esc(note)}</FONT></TD></TR>')
    rows.append(f'<TR><TD ALIGN="LEFT">{legend_html(stateful)}</TD></TR>')
    return f'<<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="0">{"".join(rows)}</TABLE>>'
