"""Provides the names people read: ``finish_names`` names every node of a finished trace, ``term`` writes a
name as an operand, and ``index_parts`` writes a fancy index as a learner reads it (``logp[arange(12), y]``).

A node is called, in order of preference:

1. by its ``name=`` (leaves);
2. by the variable a statement assigns to, for the node that statement leaves unconsumed.  Every frame that
   made the node counts, the user's and a library function's: in ``logp = log_softmax(logits)`` inside
   ``graphstep.nn.cross_entropy`` the node is ``logp``; when a call returns a node, the caller's variable
   wins (``loss = gs.nn.cross_entropy(...)``: only the returned node is ``loss``, never the ``log_softmax``);
3. by its expression within ``LIMIT`` characters, ``exp(z)``, ``(Z2−y)²``, ``Σx``, ``‖r‖``, eliding the
   longest operands first (``y*log(p)+…``); when no operand fits, by its op and the variable it feeds
   (``mean→loss``).

Names are unique (a repeat is ``h#2``) and stable: the same code gives the same names.  Graphstep's own
machinery (the tracer, the op table's entry points, NumPy's dispatch) is never a naming frame.
"""

from __future__ import annotations

import functools
import itertools
import linecache
import re
from collections.abc import Callable

import numpy as np

from ..text import fmt_shape
from .ops import OPS, Op
from .partial import FAILED
from .records import Node

LIMIT = 14  # characters of an automatic name (before a #2 suffix)

# `x = …`, `x: T = …`, `x += …`, `self.W = …`, `margins[i, y] = …`, `for W in Ws: h = …`: the variable a line
# assigns to
_ASSIGN = re.compile(r"^\s*(?:(?:for|while|if|elif|with)\b.*?:\s*|else\s*:\s*)?"
                     r"(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*)\s*(?:\[.*\])?\s*(?::[^=]*)?(?:\*\*|//|[-+*/@%&|^])?=(?!=)")
_INFIX = {"+": "+", "-": "−", "*": "*", "/": "/", "@": "@", "**": "^"}
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_OPERATORS = frozenset("+−-*/@×·⊙÷^→←=<>, ")  # outside brackets, these make a name composite
_OPERATOR = re.compile("[" + re.escape("".join(sorted(_OPERATORS))) + "]")
_BRACKETS = re.compile(r"[][(){}|‖]")
_FEEDS_DEPTH = 64  # consumers searched for the variable an unnamed node feeds

_assign_cache: dict[str, str | None] = {}


def assigned_name(filename: str, lineno: int) -> str | None:
    """The variable a source line assigns to (``H = tanh(...)`` → ``H``, ``y[mask] = 0`` → ``y``), if any."""
    return _assigned(linecache.getline(filename, lineno))


def _assigned(line: str) -> str | None:
    """The variable a line of source assigns to; cached by its text (after an edit, line k is another line)."""
    if line not in _assign_cache:
        match = _ASSIGN.match(line)
        _assign_cache[line] = match.group(1) if match else None
    return _assign_cache[line]


def term(name: str) -> str:
    """A name as an operand: composite names are parenthesised, ``(Z2−y)²``; ``exp(z)``, ``W1²``, ``|x|`` are not."""
    return name if _level(name) == _ATOM else f"({name})"


_ATOM = 4
_LEVELS = {"+": 1, "−": 1, "-": 1, "*": 2, "/": 2, "@": 2, "×": 2, "·": 2, "⊙": 2, "÷": 2, "^": 3}


def _level(name: str) -> int:
    """How loosely a name binds as an operand: 1 for a sum (``a−b``, ``−x``), 2 for a product (``X@W``,
    ``Σx``), 3 for a power, ``_ATOM`` when nothing can split it (``exp(z)``, ``W1²``, ``|x|``, ``1e-05``);
    0 for anything else outside brackets (``mean→loss``)."""
    if name.isascii() and name.replace("#", "_").isidentifier():  # W1_7, h#2 (an identifier has no #): no cache
        return _ATOM  # needed for the 100,000 such names of a large graph, each met once or twice
    return _composite_level(name)


@functools.lru_cache(maxsize=4096)
def _composite_level(name: str) -> int:
    """``_level`` of a name that is not a plain ASCII identifier."""
    if not name:
        return 0
    if name[0] in "−-+":
        return 1
    if _is_number(name):
        return _ATOM
    level = 2 if name[0] in "√∛ΣΠ" else _ATOM
    if not _BRACKETS.search(name):  # every character at depth 0 (x@w7+b7): only its operators count
        return min([level, *map(_LEVELS.get, _OPERATOR.findall(name), itertools.repeat(0))])  # no generator:
        # 20,000 such names in a wide graph, each met once
    depth, bars = 0, []
    for ch in name:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch in "|‖":  # |x| and ‖x‖ open and close with the same bar
            if bars and bars[-1] == ch:
                bars.pop()
                depth -= 1
            else:
                bars.append(ch)
                depth += 1
        elif depth == 0 and ch in _OPERATORS:
            level = min(level, _LEVELS.get(ch, 0))
    return level


def _is_number(name: str) -> bool:
    if not (name[0].isdigit() or name[0] in ".-+"):
        return False
    try:
        float(name)
    except ValueError:
        return False
    return True


def _operand(name: str, infix: str, right: bool) -> str:
    """An operand of an infix name, parenthesised only where precedence needs it: ``y*log(p)+…``, ``a−(b−c)``."""
    if name.isascii() and name.isidentifier():  # an atom (``_level``), the common case, bare on either side
        return name
    level, binding = _level(name), _LEVELS[infix]
    same_needs = infix == "^" or (right and infix in "−/")
    bare = level > binding or (level == binding and not same_needs)
    return name if bare and not (right and name[0] in "−-+") else f"({name})"


# ───────────────────────────── naming a finished trace ─────────────────────────────


def finish_names(nodes: list[Node], sites: list[tuple], files: list[str],
                 leaf_values: dict[int, np.ndarray], output: int, lines: dict[str, list[str]]) -> None:
    """Name every node in place (see the module's docstring for the order of preference).

    ``sites[n]`` is node n's chain of naming frames, innermost first, as ``(frame, line, lasti)``;
    ``files[frame]`` the file of each frame, and ``lines[file]`` its source as the trace ran it (naming may come
    later, after an edit).
    """

    def target(frame: int, line: int) -> str | None:
        """The variable the statement at ``line`` of ``frame`` assigns to."""
        text = lines.get(files[frame], ())
        return _assigned(text[line - 1] if 0 < line <= len(text) else "")

    consumers = _Consumers(nodes)
    _name_statements(nodes, sites, target, consumers, output)
    _name_leaves(nodes, sites, target)
    if nodes[output].name is None:  # the result learners expect to see named
        nodes[output].name = "loss" if nodes[output].shape == () else "out"
    given = [node.name for node in nodes]  # what an unnamed node's consumers are called
    used: dict[str, int] = {}
    for nid, node in enumerate(nodes):
        name = node.name or _auto_name(nodes, nid, leaf_values, given, consumers)
        if node.kind == "const" and node.shape == () and not node.name:
            node.name = name  # a scalar constant is called by its value, however often it appears
            continue
        count = used.get(name, 0) + 1
        used[name] = count
        node.name = name if count == 1 else f"{name}#{count}"


class _Consumers:
    """Per node, the nodes taking it as an input; built on first use (most traces never ask)."""

    def __init__(self, nodes: list[Node]) -> None:
        self.nodes, self.lists = nodes, None

    def __getitem__(self, nid: int) -> list[int]:
        if self.lists is None:
            self.lists = [[] for _ in self.nodes]
            for n, node in enumerate(self.nodes):
                for i in node.inputs:
                    self.lists[i].append(n)
        return self.lists[nid]


def _name_statements(nodes, sites, target, consumers, output: int) -> None:
    """Give each op node the variable of the outermost statement that leaves it unconsumed (rule 2).

    A *run* is what one execution of one statement made in one frame: consecutive op nodes on the same line,
    later in its bytecode, or made by the same call from it.  A node made inside a callee counts for the
    caller's statement only if it leaves the callee (is used outside it, or is the output): what it returns.
    """
    open_runs: dict[int, list] = {}  # frame → [run, line, lasti, callee] of the statement running there
    best: dict[int, tuple[int, str]] = {}  # node → (level, name) of the outermost statement naming it

    def close(frame: int, run: list[int], line: int) -> None:
        name = target(frame, line)
        if name is None:
            return
        consumed = {i for n in run for i in nodes[n].inputs} if len(run) > 1 else ()
        for n in run:
            if n in consumed:
                continue
            chain = sites[n]
            level = next(j for j, site in enumerate(chain) if site[0] == frame)
            if level and not _leaves(n, chain[level - 1][0], sites, consumers, output):
                continue
            if n not in best or best[n][0] < level:
                best[n] = (level, name)

    for nid, node in enumerate(nodes):
        if node.kind != "op" and node.kind != FAILED:  # a failed call ends its statement's run: it takes the name
            continue
        callee = -1
        for frame, line, lasti in sites[nid]:
            seen = open_runs.get(frame)
            if seen is not None and line == seen[1] and (
                    lasti > seen[2] or (lasti == seen[2] and callee >= 0 and callee == seen[3])):
                seen[0].append(nid)
                seen[2], seen[3] = lasti, callee
            else:
                if seen is not None:
                    close(frame, seen[0], seen[1])
                open_runs[frame] = [[nid], line, lasti, callee]
            callee = frame
    for frame, (run, line, _, _) in open_runs.items():
        close(frame, run, line)
    for n, (_, name) in best.items():
        nodes[n].name = name


def _leaves(nid: int, callee: int, sites, consumers, output: int) -> bool:
    """Whether a node made inside call ``callee`` is used outside it: what the call returned."""
    if nid == output:
        return True
    return any(all(site[0] != callee for site in sites[m]) for m in consumers[nid])


def _name_leaves(nodes, sites, target) -> None:
    """``w = gs.param(...)`` without ``name=``: the leaf is called w, unless an op on that line is."""
    taken = None  # every name given so far, gathered at the first leaf to name (a wide graph's 40,000 have name=)
    for nid, node in enumerate(nodes):
        if node.kind in ("param", "input") and node.name is None and sites[nid]:
            frame, line, _ = sites[nid][0]
            name = target(frame, line)
            if name and taken is None:
                taken = {other.name for other in nodes if other.name}
            if name and name not in taken:
                node.name = name
                taken.add(name)


# ───────────────────────────── automatic names ─────────────────────────────


def _auto_name(nodes, nid: int, leaf_values, given: list, consumers) -> str:
    node = nodes[nid]
    if node.kind == "const":
        value = leaf_values[nid]
        if np.ndim(value) == 0:
            return f"{float(value):g}"
        return f"{'mask' if value.dtype == bool else 'const'}{fmt_shape(np.shape(value))}"
    if node.kind != "op":
        return node.kind  # an unnamed param or input: param, param#2…
    op = OPS[node.op]
    inputs = node.inputs
    operands = [nodes[i].name for i in inputs]
    render = _RENDERERS.get(op.name) or _renderer(op, node, nodes, leaf_values)
    if len(operands) <= 3:  # most names: the whole expression fits
        text = render(operands)
        if len(text) <= LIMIT and "→" not in text and _has_variable(nodes, inputs):
            return text
    if 2 <= len(operands) <= 3:  # eliding one operand of several may leave a variable; eliding the only one
        # (or all of a concat's 2,000, written as one "…") never does
        constant = [nodes[i].kind == "const" and nodes[i].shape == () for i in inputs]
        text = _fit(render, operands, constant)
        if text is not None:
            return text
    bare = getattr(render, "bare", "")
    if 0 < len(bare) <= LIMIT:
        return bare
    target = _feeds(nid, given, consumers)
    fallback = f"{op.name}→{target}" if target else f"{op.name}(…)"
    return fallback if len(fallback) <= LIMIT else f"{op.name}(…)"


def _has_variable(nodes: list[Node], inputs: tuple[int, ...]) -> bool:
    """Whether an operand is more than a scalar constant: ``2*3`` says nothing as a name.  A loop, not
    ``any`` over a generator: 60,000 ops of a wide graph ask, and the first input nearly always answers."""
    for i in inputs:
        node = nodes[i]
        if node.shape != () or node.kind != "const":
            return True
    return False


def _fit(render: Callable[[list[str]], str], operands: list[str], constant: list[bool]) -> str | None:
    """The expression, eliding the longest operands (``y*log(p)+…``) until it fits; None if no variable is left."""
    names = list(operands) if len(operands) <= 3 else ["…"]  # a concat of 2,000 parts: one ellipsis for all
    text = render(names)
    order = sorted(range(len(names)), key=lambda k: ("→" not in names[k], -len(names[k])))
    for k in order:
        if len(text) <= LIMIT and "→" not in text:
            break
        names[k] = "…"
        text = render(names)
    kept = [k for k, name in enumerate(names) if name != "…" and not (k < len(constant) and constant[k])]
    return text if kept and len(text) <= LIMIT else None


def _feeds(nid: int, given: list, consumers) -> str | None:
    """The nearest variable downstream of a node (breadth first through its consumers), e.g. ``loss``."""
    queue, seen = list(consumers[nid]), set()
    for m in queue:
        if len(seen) >= _FEEDS_DEPTH:
            break
        if m in seen:
            continue
        seen.add(m)
        if given[m]:
            return given[m]
        queue.extend(consumers[m])
    return None


_RENDERERS: dict[str, Callable[[list[str]], str]] = {}  # per op, when its expression depends on nothing else


def _renderer(op: Op, node: Node, nodes: list[Node], leaf_values) -> Callable[[list[str]], str]:
    """A function from operand names to the node's expression."""
    inputs = node.inputs
    if op.name == "power" and nodes[inputs[1]].kind == "const" and nodes[inputs[1]].shape == ():
        return _power(float(leaf_values[inputs[1]]))
    if "index" in node.params:
        index = ",".join(node.index_text or index_parts(node.params["index"]))
        return _indexed(op.name, index)
    infix = _INFIX.get(op.operator)
    if infix and len(inputs) == 2:
        render = _infix(infix)
    else:
        render = _from_formula(op, op.fwd(**node.params) if callable(op.fwd) else op.fwd)
    if op.name != "power" and not callable(op.fwd):  # the same for every node of this op
        _RENDERERS[op.name] = render
    return render


def _infix(infix: str) -> Callable[[list[str]], str]:
    return lambda n: f"{_operand(n[0], infix, False)}{infix}{_operand(n[1], infix, True)}"


def _from_formula(op: Op, fwd: str) -> Callable[[list[str]], str]:
    form, as_terms = _form(op.name, fwd)
    if form is None:
        name = op.symbol if op.symbol.isascii() and op.symbol.isalpha() else op.name
        return lambda n: f"{name}({','.join(n)})"
    if form == "−{0}":  # −(X@W) is (−X)@W: a product needs no parentheses after a minus sign
        return lambda n: f"−{n[0]}" if _level(n[0]) >= 2 else f"−({n[0]})"
    return lambda n: form.format(*(map(term, n) if as_terms else n))


def _power(k: float) -> Callable[[list[str]], str]:
    """``x²``, ``x⁻¹``, ``√x``; ``x^1.5`` otherwise."""
    if k == 0.5:
        return lambda n: f"√{term(n[0])}"
    if k == int(k) and abs(k) < 10:
        sup = str(int(k)).translate(_SUPERSCRIPT)
        return lambda n: f"{term(n[0])}{sup}"
    return lambda n: f"{term(n[0])}^{k:g}"


def _indexed(opname: str, index: str) -> Callable[[list[str]], str]:
    """``logp[arange(12),y]``, shortened to ``logp[…]`` before the variable is elided; ``x[i]←v`` for setitem.

    With the variable elided the index still says something (``…[:,None]``): that is the name's last resort.
    """
    def render(n: list[str]) -> str:
        for shown in (index, "…"):
            text = f"{term(n[0])}[{shown}]" + (f"←{term(n[1])}" if opname == "setitem" and len(n) > 1 else "")
            if len(text) <= LIMIT:
                break
        return text

    render.bare = f"…[{index}]"
    return render


_SYMBOLS = r"[^A-Za-z0-9_\s{}()\[\]|‖]+"  # √ − Σ ² ᵀ ⁻¹: not ASCII letters, digits or brackets
_PREFIX = re.compile(rf"^({_SYMBOLS})\s*\{{0\}}$")  # √{0}, −{0}, Σ {0}
_POSTFIX = re.compile(rf"^\{{0\}}({_SYMBOLS})$")  # {0}², {0}ᵀ, {0}⁻¹
_AROUND = re.compile(r"^([|‖])\{0\}\1$")  # |{0}|, ‖{0}‖
_CALL = re.compile(r"^([^\s{}()]+)\((.*)\)$")  # σ({0}), max({0}, {1}), clip({0}, lo, hi)
_WORDS = re.compile(r"^([A-Za-z][A-Za-z ]*?)\s+\{0\}$")  # exp {0}, log softmax {0}
_SIMPLE_ARG = re.compile(r"^(\{\d+\}|[\w.]+)$")


@functools.lru_cache(maxsize=512)
def _form(opname: str, fwd: str) -> tuple[str | None, bool]:
    """The op's expression as a format string over its operands, read off its forward formula
    (``{y} = exp {0}`` → ``exp({0})``), and whether operands are terms (``−{0}``) or arguments (``exp({0})``).
    None when the formula is not one of these simple shapes: the name is then ``op(a,b)``."""
    body = fwd.split("=", 1)[1].strip() if fwd.startswith("{y}") and "=" in fwd else fwd
    if m := _PREFIX.match(body):
        return m.group(1) + "{0}", True
    if m := _POSTFIX.match(body):
        return "{0}" + m.group(1), True
    if _AROUND.match(body):
        return body, False
    if m := _WORDS.match(body):
        return "_".join(m.group(1).split()) + "({0})", False
    if (m := _CALL.match(body)) and all(_SIMPLE_ARG.match(a.strip()) for a in m.group(2).split(",")):
        slots = re.findall(r"\{\d+\}", m.group(2))
        return (f"{m.group(1)}({','.join(slots)})" if slots else None), False
    return None, False


# ───────────────────────────── fancy indexing, as a learner reads it ─────────────────────────────


def index_parts(index, frame=None) -> tuple[str, ...]:
    """Each part of an index as written: ``1:``, ``None``, ``arange(12)`` (0…n−1), ``y`` (the user's array,
    looked up in ``frame``), ``[0, 2]`` (a few entries) or a summary like ``int64 (12)``."""
    parts = index if isinstance(index, tuple) else (index,)
    return tuple(_index_part(p, frame) for p in parts)


def _index_part(p, frame) -> str:
    if isinstance(p, slice):
        text = ":".join("" if v is None else str(v) for v in (p.start, p.stop, p.step))
        return text[:-1] if text.endswith(":") and p.step is None else text
    if p is None or p is Ellipsis:
        return "None" if p is None else "..."
    if isinstance(p, (bool, int, np.integer, np.bool_)):
        return str(p.item() if isinstance(p, np.generic) else p)
    a = np.asarray(p)
    if a.ndim == 0:
        return str(a.item())
    return (variable_of(frame, p) or _arange(a) or variable_of(frame, a, equal=True) or _literal(a)
            or f"{'mask' if a.dtype == bool else a.dtype} {fmt_shape(a.shape)}")


def _arange(a: np.ndarray) -> str | None:
    n = len(a)
    return f"arange({n})" if a.ndim == 1 and a.dtype.kind in "iu" and np.array_equal(a, np.arange(n)) else None


def _literal(a: np.ndarray) -> str | None:
    return str(a.tolist()) if a.size <= 4 and a.ndim == 1 and a.dtype.kind in "biu" else None


def variable_of(frame, array, *, equal: bool = False) -> str | None:
    """The user's variable in ``frame`` holding this very array, or with ``equal``, an equal local array.

    The index ``labels.astype(int)`` in ``cross_entropy`` is a new array equal to the user's ``y``.
    Globals are searched for the same object only: equality there would be a guess among unrelated arrays.
    """
    if frame is None:
        return None
    for space in (frame.f_locals,) if equal else (frame.f_locals, frame.f_globals):
        for name, v in list(space.items()):
            raw = _raw(v)
            if name.startswith("_") or not isinstance(raw, (np.ndarray, list)):
                continue
            if raw is array if not equal else (isinstance(raw, np.ndarray) and raw.shape == array.shape
                                               and raw.dtype.kind == array.dtype.kind
                                               and np.array_equal(raw, array)):
                return name
    return None


def _raw(v):
    """A traced tensor's value, else v itself (the tracer's Tensor class says what it is: no import circle)."""
    return v.value if getattr(type(v), "traced", False) else v
