"""Provides ``explain``: one entry of a value or gradient as the scalar sum it is, with the stepper's numbers.

A gradient entry of input x collects, from each consumer c that takes x at position k,
``dx[i] += Σⱼ G_c[j]·J[j,i]`` with ``J = ∂c/∂x``: the column ``J[:, i]`` is the op's JVP of a unit
tangent at i, so the same code serves every op of the table.  A value entry is the row ``J[j, :]`` of
each input (the VJP of a unit G at j), written as a sum where the op's forward is one (``Op.linear``)
and as the op's own formula where it is elementwise (an operand the tracer named by its expression,
used only there, written as its own sum: ``Z1[3,7] = Σₖ X[3,k]·W1[k,7] + b1[7]``); a mean as
``Σₖ x[k]/8``.  Where the op names its Jacobian entry (``Op.jacobian_entry``: matmul's is the other
operand's entry), or the entry is found to be one of the other operand's (an op linear in each of two,
as tensordot and einsum: ``_found_entries``), the sum says so.  Each factor that is an entry keeps
where it is, so a view can go on to it (``Explanation.next_entry``).

The records hold numbers and strings only, for the CLI, the TUI or a notebook alike.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ..core.formulas import grad_name, term
from ..core.naming import assigned_name
from ..core.records import BACKWARD
from ..core.stepper import Stepper
from ..errors import GraphstepError
from ..text import fmt_shape

TERMS_SHOWN = 6  # a longer sum shows its largest terms (by |product|) and how many are left out
LETTERS = "klmnpqrs"  # the summed indices, as the formulas write them: Σₖ G[k,5]


@dataclass(frozen=True)
class Term:
    """One product of a sum: its factors as written (``X[3,2]``, ``G[3,5]``) and their numbers."""

    factors: tuple[str, ...]
    numbers: tuple[float, ...]
    product: float
    # per factor, the entry it reads as (node, index, is a gradient), None for a slope or a weight: where the
    # TUI's enter goes from this term
    refs: tuple[tuple[int, tuple[int, ...], bool] | None, ...] = ()

    @property
    def text(self) -> str:
        return "".join(f"({_num(x)})" for x in self.numbers)


@dataclass(frozen=True)
class Group:
    """The terms one source gives: a consumer's contribution to a gradient, or an input's part of a value."""

    label: str  # where they come from: "from X@W1 (matmul, input 1)"
    formula: str  # the sum with its summed index: "Σₖ X[k,2]·G[k,5]"
    terms: tuple[Term, ...]  # the terms shown (the largest, in index order)
    count: int  # how many terms the sum has
    total: float  # the sum of all of them
    why: str = ""  # the consumer's rule in one line, from its op-table entry: "tanh′ = 1 − tanh²: …"
    divisor: int = 1  # a sum every term of which is divided by the same count (a mean): written once, ``(…)/8``

    @property
    def left_out(self) -> int:
        return self.count - len(self.terms)

    def sum_text(self) -> str:
        """``(0.31)(0.052) + (−1.2)(0.011) + … 2 more (8 terms)``; a mean's ``((0.2) + (0.1) + …)/8``."""
        if not self.terms:
            return "0 (no term is non-zero)"
        shown = " + ".join(t.text for t in self.terms)
        shown += f" + … {self.left_out} more ({self.count} terms)" if self.left_out else ""
        return f"({shown})/{self.divisor}" if self.divisor != 1 else shown


@dataclass(frozen=True)
class Explanation:
    """How one entry is made: ``entry = groups' sums = total``; ``value`` is the stepper's own entry."""

    entry: str  # "dW1[2,5]"
    node: int
    index: tuple[int, ...]
    gradient: bool
    value: float
    groups: tuple[Group, ...]
    total: float
    formula: str = ""  # a value's formula with names and numbers when the op is elementwise
    note: str = ""
    reads: tuple[tuple[int, tuple[int, ...], bool], ...] = ()  # an elementwise formula's operand entries

    @property
    def terms(self) -> tuple[Term, ...]:
        return tuple(t for g in self.groups for t in g.terms)

    def next_entry(self, gradient: bool | None = None) -> tuple[int, tuple[int, ...], bool] | None:
        """The entry a learner follows from this one, as (node, index, is a gradient): a factor of the largest term
        that names an entry, of the kind ``gradient`` asks for when the term has one (a gradient entry's G[k,5]
        follows the chain rule towards the output, its ``X[k,2]`` is the value it was weighted by), else the first
        operand of an elementwise formula; None for a leaf or the seed."""
        ranked = sorted(self.terms, key=lambda t: -abs(t.product) if math.isfinite(t.product) else -math.inf)
        for t in ranked:
            refs = [ref for ref in t.refs if ref is not None]
            if refs:
                return next((ref for ref in refs if ref[2] == gradient), refs[0])
        return self.reads[0] if self.reads else None

    @property
    def left_out(self) -> int:
        return sum(g.left_out for g in self.groups)

    def lines(self) -> list[str]:
        """The explanation as printed: one line, or one per group and the total."""
        if self.formula:
            lines = [self.formula]
        elif len(self.groups) == 1:
            g = self.groups[0]
            lines = [f"{self.entry} = {g.formula} = {g.sum_text()} = {_num(self.total, 4)}", f"  {g.label}",
                     *([f"  why: {g.why}"] if g.why else [])]
        else:
            lines = [f"{self.entry} = {' + '.join(g.formula for g in self.groups)} = {_num(self.total, 4)}"]
            for g in self.groups:
                lines += [f"  {g.label}: {g.formula} = {g.sum_text()} = {_num(g.total, 4)}",
                          *([f"    why: {g.why}"] if g.why else [])]
        return lines + ([f"  {self.note}"] if self.note else [])

    @property
    def text(self) -> str:
        return "\n".join(self.lines())


# ───────────────────────────── which entry ─────────────────────────────

_INDEX = re.compile(r"^(?P<name>.+?)\[(?P<index>\s*-?\d+\s*(?:,\s*-?\d+\s*)*)\]$")


def parse_entry(graph, text: str) -> tuple[int, tuple[int, ...], bool]:
    """``"dW1[2,5]"`` → (node id, index, is a gradient); a bad name or index is the user's error, naming the shape."""
    text = text.strip()
    match = _INDEX.match(text)
    name, index = (match["name"], tuple(int(n) for n in match["index"].split(","))) if match else (text, ())
    nid, gradient = _node(graph, name)
    shape = graph.shape_of(nid)
    shown = (grad_name if gradient else term)(graph.name_of(nid))
    if len(index) != len(shape) or any(not -n <= i < n for i, n in zip(index, shape)):
        example = f"{shown}[{','.join('0' * len(shape))}]" if shape else shown
        raise GraphstepError(f"{text}: {shown} has shape {fmt_shape(shape)}, so an entry is written {example}"
                             + (f" (indices 0…{', 0…'.join(str(n - 1) for n in shape)})" if shape else ""))
    return nid, tuple(i % n for i, n in zip(index, shape)), gradient


def _node(graph, name: str) -> tuple[int, bool]:
    """A gradient ``dW1`` (or ``d(Z2−y)``) when the name after the ``d`` is a node, else the value of ``name``."""
    for candidate, gradient in ((name[1:], True), (name, False)) if name.startswith("d") else ((name, False),):
        for spelled in (candidate, candidate[1:-1] if candidate.startswith("(") and candidate.endswith(")") else None):
            try:
                return graph.id(spelled), gradient
            except (KeyError, TypeError):
                continue
    names = [graph.name_of(n) for n in graph.order]
    shown = ", ".join(names[:20]) + (", …" if len(names) > 20 else "")
    raise GraphstepError(f"no node {name!r} in {graph.name or 'the graph'} (a gradient is written dNAME)",
                         hint=f"nodes: {shown}")


def explain(stepper: Stepper, entry: str) -> Explanation:
    """How one entry of a value (``"W1[2,5]"``) or gradient (``"dW1[2,5]"``) is made, with the stepper's numbers
    as it stands: a gradient as Σ G·∂ over each consumer that has sent its part, a value from its inputs."""
    return explain_at(stepper, *parse_entry(stepper.graph, entry))


def explain_at(stepper: Stepper, node: int, index: tuple[int, ...], gradient: bool = False) -> Explanation:
    """``explain`` of an entry already held by node id and index (the TUI's cursor): no name to parse, so a node
    named ``dx`` beside one named ``x`` is never mistaken for a gradient."""
    return (_gradient if gradient else _value)(stepper, node, tuple(index))


# ───────────────────────────── a gradient entry ─────────────────────────────


def _gradient(st: Stepper, nid: int, i: tuple[int, ...]) -> Explanation:
    graph = st.graph
    name = grad_name(graph.name_of(nid))
    entry = name + _idx(i)
    if st.mode != "reverse":
        raise GraphstepError(f"{entry}: forward mode computes tangents, not gradients (explain a value instead)")
    if not graph.needs_grad[nid] or not graph.feeds_output[nid]:
        raise GraphstepError(f"{entry}: {graph.name_of(nid)} gets no gradient (no param lies upstream of it, "
                             "or it does not feed the output)")
    g = st.grad(nid)
    if g is None:
        raise GraphstepError(f"{entry}: the gradient has not arrived yet (step {st.position} of {st.total}; "
                             f"it arrives at step {_arrival(st, nid)})")
    value = float(np.asarray(g)[i])
    if nid == graph.output:
        seed = Group("the seed: G at the output", f"G{_idx(i)}", (Term((f"G{_idx(i)}",), (value,), value),), 1, value)
        return Explanation(entry, nid, i, True, value, (seed,), value, note=st.seed_note)
    sent = [(c, k, kw) for c in dict.fromkeys(graph.consumers[nid]) for k, target, _, kw in graph.vjp_program.get(c, ())
            if target == nid and (st.step_of(c, BACKWARD) or st.total + 1) <= st.position]
    groups = tuple(_contribution(st, c, k, kw, i) for c, k, kw in sent)
    pending = sum(1 for c in dict.fromkeys(graph.consumers[nid]) for k, t, _, _ in graph.vjp_program.get(c, ())
                  if t == nid) - len(sent)
    note = f"{pending} more part(s) still to arrive, by step {_arrival(st, nid)}" if pending else ""
    return Explanation(entry, nid, i, True, value, groups, math.fsum(gr.total for gr in groups), note=note)


def _arrival(st: Stepper, nid: int) -> int:
    """The step after which every consumer has sent its part of ``nid``'s gradient."""
    steps = [st.step_of(c, BACKWARD) for c in st.graph.consumers[nid] if st.step_of(c, BACKWARD)]
    return max(steps, default=st.total)


def _contribution(st: Stepper, c: int, k: int, kw: dict, i: tuple[int, ...]) -> Group:
    """Σⱼ G[j]·J[j,i] from consumer ``c`` taking the node at position ``k``; J's column from the JVP."""
    graph = st.graph
    op, inputs, _ = graph.program[c]
    xs, out = [st.value(n) for n in inputs], st.value(c)
    unit = np.zeros(np.shape(xs[k]), dtype=np.result_type(xs[k], 0.0))
    unit[i] = 1.0
    column = np.broadcast_to(np.asarray(op.jvp_rule(k)(unit, out, *xs, **kw)), np.shape(out))
    g = np.broadcast_to(np.asarray(st.grad(c)), np.shape(out))
    products = g * column
    js = [tuple(int(n) for n in j) for j in np.argwhere(~(products == 0))]  # NaN is a term too
    def jac(ys):  # the same column, of other operands
        return np.broadcast_to(np.asarray(op.jvp_rule(k)(unit, out, *ys, **kw)), np.shape(out))

    named = _named(op, k, lambda j: (j, i), js, xs, column, jac)
    x, y = graph.name_of(inputs[k]), graph.name_of(c)
    terms = []
    for j in js:
        gj = ("G" + _idx(j), float(g[j]), (c, j, True))
        if named is not None:
            p, at = named(j)
            other = (f"{term(graph.name_of(inputs[p]))}{_idx(at)}", float(xs[p][at]), (inputs[p], at, False))
            terms.append(_term(other, gj))
        elif column[j] == 1:
            terms.append(_term(gj))
        else:
            terms.append(_term(gj, (f"∂{term(y)}{_idx(j)}/∂{term(x)}{_idx(i)}", float(column[j]))))
    shown, sym = _shown(terms, js), _symbolic(js)
    if named is not None:
        p, at = named(sym)
        factors = f"{term(graph.name_of(inputs[p]))}{_idx(at)}·G{_idx(sym)}"
    elif js and all(column[j] == 1 for j in js):
        factors = f"G{_idx(sym)}"
    elif op.elementwise:
        factors = _slope_text(op, k, kw, sym, y, [term(graph.name_of(n)) for n in inputs], xs)
    else:
        factors = f"G{_idx(sym)}·∂{term(y)}{_idx(sym)}/∂{term(x)}{_idx(i)}"
    label = f"from {y} ({op.name}, input {k}), G = {grad_name(y)}"
    return Group(label, _sigma(js) + factors, shown, len(terms), math.fsum(t.product for t in terms), op.why)


def _slope_text(op, k: int, kw: dict, j: tuple, y: str, names: list[str], xs: list) -> str:
    """An elementwise op's backward rule at one entry, ``G[3,7]·(1 − H[3,7]²)``: its own formula text."""
    from ..core.ops.table import broadcast_index

    template = op.bwd_text(k)(**kw) if callable(op.bwd_text(k)) else op.bwd_text(k)
    right = template.split(" = ", 1)[-1].replace("G", f"G{_idx(j)}").replace(" ⊙ ", "·")
    at = [f"{n}{_idx(broadcast_index(j, np.shape(x)))}" for n, x in zip(names, xs)]
    return right.format(*at, y=f"{term(y)}{_idx(j)}")


def _named(op, k: int, pair, indices: list[tuple], xs: list, numbers: np.ndarray, jac=None):
    """``n → (input, index)`` naming the Jacobian entries ``J[pair(n)]`` (``pair`` gives (j, i) from the index
    that varies), when the op names them, or (``jac``) when they can be found as the other operand's entries of
    an op linear in each of two (tensordot, einsum); and the named entries are the rule's numbers; else None."""
    if not indices:
        return None
    if op.jacobian_entry is not None:
        shapes = tuple(np.shape(x) for x in xs)

        def entry(n):
            return op.jacobian_entry(k, *pair(n), shapes)
    elif jac is not None and len(xs) == 2 and op.linear and not op.elementwise:
        entry = _found_entries(k, indices, xs, jac)
        if entry is None:
            return None
    else:
        return None

    try:
        ok = all(entry(n) is not None and np.asarray(xs[entry(n)[0]])[entry(n)[1]] == numbers[n] for n in indices)
    except (IndexError, TypeError):
        ok = False
    return entry if ok else None


def _found_entries(k: int, indices: list[tuple], xs: list, jac):
    """The other operand's entry each Jacobian entry ``jac(xs)[n]`` is, for an op linear in each of two operands:
    ``jac`` run again with that operand's entries replaced by their flat positions + 1 reads each position (and
    once more with their squares, which tells one entry from a sum of several).  A function like
    ``Op.jacobian_entry``'s, n → (operand, index), the index written with n's letters for a symbolic n; or None."""
    p = 1 - k
    shape = np.shape(xs[p])
    code = np.arange(1, int(np.prod(shape)) + 1, dtype=float).reshape(shape)
    with np.errstate(all="ignore"):
        ones, squares = (np.asarray(jac([c if q == p else x for q, x in enumerate(xs)])) for c in (code, code * code))
    found = {}
    for n in indices:
        c = float(ones[n])
        if not (c >= 1 and c == round(c) and float(squares[n]) == c * c):
            return None
        found[n] = tuple(int(v) for v in np.unravel_index(int(c) - 1, shape))

    def entry(n):
        if n in found:
            return p, found[n]
        axes = [{at[a] for at in found.values()} for a in range(len(shape))]  # a symbolic n: each axis fixed,
        return p, tuple(next(iter(vs)) if len(vs) == 1 else next(  # or following one of n's letters
            (n[b] for b in range(len(n)) if all(m[b] == at[a] for m, at in found.items())), "·")
            for a, vs in enumerate(axes))

    return entry


# ───────────────────────────── a value entry ─────────────────────────────


def _value(st: Stepper, nid: int, j: tuple[int, ...]) -> Explanation:
    graph = st.graph
    entry = term(graph.name_of(nid)) + _idx(j)
    out = st.value(nid)
    if out is None:
        raise GraphstepError(f"{entry}: not computed yet (step {st.position} of {st.total}; the forward pass "
                             f"computes it at step {st.step_of(nid)})")
    value = float(np.asarray(out)[j])
    op, inputs, kw = graph.program[nid]
    if op is None:
        node = graph.node(nid)
        return Explanation(entry, nid, j, False, value, (), value,
                           formula=f"{entry} = {_num(value, 4)}  (a {node.kind})")
    xs = [st.value(n) for n in inputs]
    names = [term(graph.name_of(n)) for n in inputs]
    if op.elementwise:
        return _elementwise(st, entry, nid, j, value, op, kw, names, xs)
    rows = [_row(op, k, j, out, xs, kw) for k in range(len(xs))]
    if op.linear:
        used = [k for k in range(len(xs)) if rows[k] is not None and (op.linear == "inputs" or k == 0)]
        groups = tuple(_sum_group(inputs, op, k, j, rows[k], xs, names,
                                  lambda ys, k=k: _row(op, k, j, out, ys, kw)) for k in used)
        total = math.fsum(g.total for g in groups)
        return Explanation(entry, nid, j, False, value, groups, total)
    groups = tuple(_depends(inputs[k], rows[k], xs[k], names[k]) for k in range(len(xs)) if rows[k] is not None)
    return Explanation(entry, nid, j, False, value, groups, value,
                       formula=f"{entry} = {op.name}(…) = {_num(value, 4)}, from " +
                               "; ".join(f"{g.formula} = {g.sum_text()}" for g in groups))


def _row(op, k: int, j: tuple, out, xs: list, kw: dict):
    """Row ``J[j, :]`` of input ``k``'s local Jacobian (the VJP of a unit G at j), None for an input with no rule."""
    rule = op.vjp_rule(k)
    if rule is None:
        return None
    unit = np.zeros(np.shape(out), dtype=np.result_type(out, 0.0))
    unit[j] = 1.0
    return np.asarray(rule(unit, out, *xs, **kw, **({"i": k} if op.variadic else {})))


def _elementwise(st, entry, nid, j, value, op, kw, names, xs) -> Explanation:
    """``H[3,7] = tanh(Z1[3,7]) = tanh(0.5) = 0.4621``: the op's own formula, at one entry.  An operand that is
    an unnamed sum used only here is written as that sum (``Z1[3,7] = Σₖ X[3,k]·W1[k,7] + b1[7]``), its terms
    kept as the explanation's groups."""
    from ..core.ops.table import broadcast_index

    at = [broadcast_index(j, np.shape(x)) for x in xs]
    template = op.fwd(**kw) if callable(op.fwd) else op.fwd
    right = template.split(" = ", 1)[-1]
    inputs = st.graph.program[nid][1]
    inline = [_inlined(st, nid, p, a) for p, a in zip(inputs, at)]
    bare = [op.infix == "+" or (op.infix == "−" and k == 0) for k in range(len(xs))]  # a sum in a sum needs no ()
    by_name = right.format(*[f"{n}{_idx(a)}" if g is None else _wrap(g.formula, b)
                             for n, a, g, b in zip(names, at, inline, bare)], y=entry)
    by_number = right.format(*[_operand(float(np.asarray(x)[a])) if g is None else _wrap(g.sum_text(), b)
                               for x, a, g, b in zip(xs, at, inline, bare)], y=entry)
    return Explanation(entry, nid, j, False, value, tuple(g for g in inline if g is not None), value,
                       formula=f"{entry} = {by_name} = {by_number} = {_num(value, 4)}",
                       reads=tuple((p, a, False) for p, a, g in zip(inputs, at, inline) if g is None))


def _inlined(st: Stepper, consumer: int, p: int, at: tuple) -> Group | None:
    """The sum an operand stands for when it is written inline: an op the tracer named by its expression
    (``X@W1``, not a variable of the file), used by this consumer alone, whose value is one sum (matmul, a
    reduction).  None for any other operand, which keeps its name."""
    graph, node = st.graph, st.graph.node(p)
    op = graph.program[p][0]
    if node.kind != "op" or op is None or not op.linear or op.elementwise or list(graph.consumers[p]) != [consumer]:
        return None
    if node.name.split("#")[0] == assigned_name(node.file, node.line):  # the user's variable: keep its name
        return None
    explained = _value(st, p, at)
    return explained.groups[0] if len(explained.groups) == 1 and not explained.formula else None


def _wrap(text: str, bare: bool) -> str:
    return text if bare else f"({text})"


def _sum_group(inputs, op, k: int, j: tuple, row: np.ndarray, xs: list, names: list, jac=None) -> Group:
    """Input ``k``'s part of a linear forward: Σᵢ J[j,i]·x_k[i], with J named where the op names it (``jac``:
    the row of other operands, to find its entries, see ``_named``)."""
    x = np.asarray(xs[k])
    iis = [tuple(int(n) for n in i) for i in np.argwhere(row != 0)]
    named = _named(op, k, lambda i: (j, i), iis, xs, row, jac)
    weights = {float(row[i]) for i in iis}
    divisor = _count_divided_by(weights) if named is None else 1  # a mean: Σₖ x[k]/8, each term the entry itself
    terms = []
    for i in iis:
        own = (f"{names[k]}{_idx(i)}", float(x[i]), (inputs[k], i, False))
        if named is not None:
            p, at = named(i)
            terms.append(_term(own, (f"{names[p]}{_idx(at)}", float(np.asarray(xs[p])[at]), (inputs[p], at, False))))
        else:
            terms.append(_term(own) if row[i] == 1 or divisor > 1 else _term((_num(float(row[i])), float(row[i])), own))
    sym = _symbolic(iis)
    if named is not None:
        p, at = named(sym)
        factors = f"{names[k]}{_idx(sym)}·{names[p]}{_idx(at)}"
    elif divisor > 1:
        factors = f"{names[k]}{_idx(sym)}/{divisor}"
    else:
        weight = "" if weights <= {1.0} else f"({_num(weights.pop())})·" if len(weights) == 1 else "J·"
        factors = f"{weight}{names[k]}{_idx(sym)}"
    return Group(f"from {names[k]}", _sigma(iis) + factors, _shown(terms, iis), len(terms),
                 math.fsum(t.product for t in terms) / divisor, divisor=divisor)


def _count_divided_by(weights: set[float]) -> int:
    """n when every weight is 1/n for a whole n > 1 (a mean over n entries), else 1."""
    if len(weights) != 1:
        return 1
    (w,) = weights
    n = round(1 / w) if w > 0 else 0
    return n if n > 1 and 1 / n == w else 1


def _depends(node: int, row: np.ndarray, x, name: str) -> Group:
    """The entries of input ``node`` a value depends on (a softmax's row, a max's winner), with their numbers."""
    iis = [tuple(int(n) for n in i) for i in np.argwhere(row != 0)]
    terms = [_term((f"{name}{_idx(i)}", float(np.asarray(x)[i]), (node, i, False))) for i in iis]
    return Group(f"from {name}", f"{name}{_idx(_symbolic(iis))}", _shown(terms, iis), len(terms), math.nan)


# ───────────────────────────── writing it down ─────────────────────────────


def _term(*factors: tuple) -> Term:
    """A product of factors ``(text, number)`` or ``(text, number, (node, index, gradient))``."""
    numbers = tuple(f[1] for f in factors)
    return Term(tuple(f[0] for f in factors), numbers, math.prod(numbers),
                tuple(f[2] if len(f) > 2 else None for f in factors))


def _shown(terms: list[Term], indices: list[tuple]) -> tuple[Term, ...]:
    """The largest ``TERMS_SHOWN`` terms by |product|, kept in index order."""
    if len(terms) <= TERMS_SHOWN:
        return tuple(terms)
    keep = sorted(sorted(range(len(terms)), key=lambda n: -abs(terms[n].product))[:TERMS_SHOWN])
    return tuple(terms[n] for n in keep)


def _symbolic(indices: list[tuple]) -> tuple:
    """The index the terms share, with a letter on each axis that varies among them: ``(k, 5)``."""
    if not indices:
        return ()
    letters = iter(LETTERS)
    return tuple(next(letters) if len({ix[a] for ix in indices}) > 1 else indices[0][a]
                 for a in range(len(indices[0])))


def _sigma(indices: list[tuple]) -> str:
    """``Σₖ `` over one varying axis, ``Σ `` over several, nothing for one term."""
    sym = _symbolic(indices)
    varying = [s for s in sym if isinstance(s, str)]
    return "" if not varying else "Σₖ " if varying == ["k"] else "Σ "


def _idx(index: tuple) -> str:
    return "[" + ",".join(map(str, index)) + "]" if index else ""


def _num(x: float, digits: int = 3) -> str:
    """A number as a learner reads it: 3 significant digits, a true minus sign."""
    return f"{x:.{digits}g}".replace("-", "−")


def _operand(x: float) -> str:
    """A number inside a formula: parenthesised when negative, ``tanh (−3.85)``."""
    return f"({_num(x)})" if x < 0 else _num(x)
