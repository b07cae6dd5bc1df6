"""Provides errors that teach: what graphstep's ``Tensor`` offers instead of a missing attribute, and every
NumPy function on the user's statement that graphstep cannot trace, each by its full NumPy name.

Only messages are made here; the tracer raises them.  Imports of the tracer and ``graphstep.numpy`` happen
at call time: an error is rare, and both import this module.
"""

from __future__ import annotations

import ast
import difflib
import linecache
import types

import numpy as np

from ..errors import TensorAttributeError, UnsupportedError
from ..text import display_path
from .ops import COMPOSITES, NUMPY, OPS
from .surface import PASSTHROUGH, VALUE_NAMES
from .surface import qualname as numpy_key

_RAW = "t.value is the raw ndarray (a plain array: no gradient flows through it)"
# what people bring from PyTorch or NumPy, and graphstep's way of saying it
_INSTEAD = {
    "numpy": _RAW, "detach": _RAW, "cpu": _RAW, "data": _RAW, "array": _RAW,
    "grad": "gradients live in the stepper: st = gs.Stepper(graph).run(); st.grad('W')",
    "backward": "graphstep runs backward itself: gs.Stepper(gs.trace(fn)).run(), then st.grad(name)",
    "requires_grad": "a trainable leaf is gs.param(value, name=...); data is gs.input(...)",
    "view": "t.reshape(...)", "permute": "t.transpose(...)", "pow": "t ** k", "mm": "t @ u",
    "unsqueeze": "t[:, None] or np.expand_dims(t, axis)", "clone": "t.copy(), or t + 0",
}
_KINDS = {"elementwise": "elementwise", "reductions": "reductions", "linalg": "linear algebra",
          "structure": "structure"}
_WIDTH = 72  # characters of traced names shown per group before "…"


def missing_attribute(tensor, attr: str) -> TensorAttributeError:
    """``t.foo``: graphstep's Tensor has no ``foo``; say what to use instead, and the user's line."""

    tracer = tensor.tracer
    hints = [_INSTEAD[attr]] if attr in _INSTEAD else []
    on_ndarray = hasattr(np.ndarray, attr)
    if attr in NUMPY:
        hints.append(f"np.{attr}(t) is traced" + ("" if on_ndarray else f" (NumPy's arrays have no .{attr} either)"))
    elif attr in VALUE_NAMES:
        hints.append(f"np.{attr}(t) gives it on the values (no gradient)")
    elif on_ndarray and attr not in _INSTEAD:
        hints.append(f"ndarray.{attr} is not in graphstep's op table, so it cannot be traced; "
                     f"t.value.{attr}(...) computes it on the raw values, without a gradient")
    close = difflib.get_close_matches(attr, [a for a in dir(type(tensor)) if not a.startswith("_")], n=3)
    if close:
        hints.append("did you mean " + " or ".join(f"t.{c}" for c in close) + "?")
    return TensorAttributeError(f"graphstep's Tensor has no attribute {attr!r}", source=tracer.source_of(),
                                node=tensor.label,
                                hint="; ".join(hints) or "a Tensor has ndarray's attributes graphstep traces "
                                                         "(shape, ndim, dtype, size, T, sum, mean, reshape…) "
                                                         "and .value, the raw array")


def missing_functions(what: str, frame) -> UnsupportedError:
    """``what`` (``numpy.linalg.det``) cannot be traced: name it, and every other such function on the line."""
    names = [what]
    for qualname in _calls_on_line(frame):
        full = f"numpy.{qualname}"
        if full not in names and what.split("(")[0] != full and _missing(qualname):
            names.append(full)
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    verb = "is" if len(names) == 1 else "are"
    pronoun = "it" if len(names) == 1 else "they"
    source = f"{_display(frame.f_code.co_filename)}:{frame.f_lineno}" if frame is not None else ""
    return UnsupportedError(f"{listed} {verb} not in graphstep's op table, so {pronoun} cannot be traced",
                            source=source, hint=_function_hint([n.split("(")[0] for n in names]))


def _display(filename: str) -> str:

    return display_path(filename)


def _missing(qualname: str) -> bool:
    """Neither traced, nor answered on values, nor passed through to NumPy (``zeros``, ``random``…)."""
    if qualname in NUMPY or qualname in VALUE_NAMES or qualname.split(".")[0] in PASSTHROUGH:
        return False
    found = _resolve(np, qualname)
    return callable(found) and not isinstance(found, type)


def _resolve(root, dotted: str):
    obj = root
    for part in dotted.split("."):
        try:
            obj = getattr(obj, part)
        except Exception:  # noqa: BLE001 - graphstep.numpy raises its own error for a missing name
            return None
    return obj


# ───────────────────────────── the NumPy calls of the user's statement ─────────────────────────────


def _calls_on_line(frame) -> list[str]:
    """NumPy's qualified names (``linalg.det``) of the calls in the statement ``frame`` is running, in order."""
    if frame is None:
        return []
    statement = _statement(frame.f_code.co_filename, frame.f_lineno)
    if statement is None:
        return []
    found = []
    for node in _expressions(statement):
        if isinstance(node, ast.Call):
            qualname = _numpy_name(node.func, frame)
            if qualname and qualname not in found:
                found.append(qualname)
    return found


def _statement(filename: str, lineno: int) -> ast.stmt | None:
    """The innermost statement of the file that spans ``lineno`` (a call may continue over several lines)."""
    tree = _parse(filename)
    if tree is None:
        try:
            return ast.parse(linecache.getline(filename, lineno).strip()).body[0]
        except (SyntaxError, IndexError):
            return None
    best = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.lineno <= lineno <= (node.end_lineno or node.lineno) \
                and (best is None or node.lineno >= best.lineno):
            best = node
    return best


_trees: dict[str, tuple[str, ast.Module | None]] = {}


def _parse(filename: str) -> ast.Module | None:
    source = "".join(linecache.getlines(filename))
    cached = _trees.get(filename)
    if cached is None or cached[0] != source:
        try:
            tree = ast.parse(source) if source else None
        except SyntaxError:
            tree = None
        cached = _trees[filename] = (source, tree)
    return cached[1]


def _expressions(statement: ast.stmt):
    """The statement's own expressions: the header of an ``if`` or ``for``, not the statements in its body."""
    todo = [child for child in ast.iter_child_nodes(statement) if not isinstance(child, ast.stmt)]
    while todo:
        node = todo.pop(0)
        yield node
        todo.extend(child for child in ast.iter_child_nodes(node) if not isinstance(child, ast.stmt))


def _numpy_name(func: ast.expr, frame) -> str | None:
    """``np.linalg.det`` → ``linalg.det`` when ``np`` is NumPy or graphstep.numpy in the frame; also ``la.det``
    for ``from numpy import linalg as la`` and ``cbrt`` for ``from numpy import cbrt``."""
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return None
    root = frame.f_locals.get(func.id, frame.f_globals.get(func.id))
    parts.reverse()
    if isinstance(root, types.ModuleType):
        space = _numpy_space(root.__name__)
        return ".".join([space, *parts]).lstrip(".") if space is not None and parts else None
    if not parts and isinstance(root, np.ufunc):
        return root.__name__
    if not parts and callable(root) and (getattr(root, "__module__", None) or "").startswith("numpy"):

        return numpy_key(root)
    return None


def _numpy_space(module: str) -> str | None:
    """``numpy.linalg`` → ``linalg``, ``graphstep.numpy`` → ``""``; None for any other module."""
    for prefix in ("graphstep.numpy", "numpy"):
        if module == prefix or module.startswith(prefix + "."):
            return module[len(prefix):].lstrip(".")
    return None


# ───────────────────────────── what graphstep does trace ─────────────────────────────


def _function_hint(missing: list[str]) -> str:
    """Close names, the traced functions grouped and cut short, and how to compute it on raw values."""

    known = sorted(set(NUMPY) | set(VALUE_NAMES))
    lines = []
    for full in missing:
        qualname = full.removeprefix("numpy.")
        close = difflib.get_close_matches(qualname, known, n=3, cutoff=0.8)
        elsewhere = [q for q in known if q.rpartition(".")[2] == qualname and q != qualname]
        absent = "NumPy has no such function; " if _resolve(np, qualname) is None else ""
        if close or elsewhere:
            lines.append(f"{full}: {absent}did you mean " + " or ".join(f"numpy.{c}" for c in elsewhere + close) + "?")
        elif absent:
            lines.append(f"{full}: {absent.rstrip('; ')}")
    groups = _traced_groups()
    spaces = {full.removeprefix("numpy.").rpartition(".")[0] for full in missing} - {""}
    lines.append(f"graphstep traces {len(NUMPY)} NumPy functions; sorted(graphstep.numpy.TRACED) lists them all")
    for space in sorted(spaces):
        inside = sorted(q.rpartition(".")[2] for q in NUMPY if q.rpartition(".")[0] == space)
        lines.append(f"  in numpy.{space}: " + (", ".join(inside) if inside else "none"))
    if not spaces or any("." not in full.removeprefix("numpy.") for full in missing):
        lines += [f"  {kind}: {_cut(names)}" for kind, names in groups.items()]
    real = [full for full in missing if _resolve(np, full.removeprefix("numpy.")) is not None]
    if real:
        lines.append(f"{real[0]}(t.value) computes it on the raw values, as a plain array without a gradient")
    return "\n    ".join(lines)


def _cut(names: list[str]) -> str:
    """As many names as fit on a line, then how many there are in all."""
    shown: list[str] = []
    for name in names:
        if len(", ".join([*shown, name])) > _WIDTH:
            return ", ".join(shown) + f", … ({len(names)} in all)"
        shown.append(name)
    return ", ".join(shown)


def _traced_groups() -> dict[str, list[str]]:
    """The traced top-level NumPy names, grouped by the op-table module their op lives in."""
    module_of: dict[str, str] = {}
    for op in OPS.values():
        # the rules are written in the op's module (a forward may be NumPy's own function)
        own = [f.__module__ for f in (*op.vjp, *op.jvp, op.forward) if callable(f)
               and f.__module__.startswith("graphstep.core.ops.") and not f.__module__.endswith(".table")]
        for qualname in op.numpy:
            module_of[qualname] = own[0].rpartition(".")[2] if own else ""
    for qualname in COMPOSITES:  # a composite's own function is what defcomposite's wrapper closes over
        cells = getattr(NUMPY[qualname], "__closure__", None) or ()
        inner = next((c.cell_contents for c in cells if isinstance(c.cell_contents, types.FunctionType)), None)
        module_of[qualname] = getattr(inner, "__module__", "").rpartition(".")[2]
    groups: dict[str, list[str]] = {}
    for qualname in sorted(NUMPY):
        if "." not in qualname:
            groups.setdefault(_KINDS.get(module_of.get(qualname, ""), "other"), []).append(qualname)
    return groups

