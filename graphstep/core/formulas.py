"""Provides the formula text every view shows, assembled here and nowhere else.

* forward: the op's rule with the node's names and the shapes it joins,
  ``Z1 = (X@W1) + b1  (8×16)+(16) → (8×16)``;
* backward: the rule for one input (``Rule``), shown pending as
  ``dW1 = Xᵀ·G  (4×8)·(8×16) → (4×16)`` and once taken with its shape check,
  ``dW1 = Xᵀ·G  (4×8)·(8×16) → (4×16) ✓`` (``+=`` when a second consumer adds to it);
* the seed, ``dloss = 1  ()``, and a gradient's name, ``d(Z2−y)``.

The templates are the op table's (``Op.fwd``, ``Op.bwd``, ``Op.factors``, ``Op.infix``); the names are
naming's.  ``Graph.formulas`` holds one ``Formulas`` per graph; the stepper, the break messages, the
inspector and the CLI table all read their text from it.
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..text import fmt_shape, summarize
from .naming import term
from .ops import broadcast_axes

if TYPE_CHECKING:
    from .graph import Graph
    from .records import Node


class Rule(NamedTuple):
    """The backward rule a node applies for one input: ``dW1 = Xᵀ·G``, the shapes it multiplies, the axes summed."""

    text: str  # dW1 = Xᵀ·G
    shapes: str  # (4×8)·(8×16), with " Σ axis 0" when broadcasting is undone
    summed: tuple[int, ...]  # broadcast axes summed away

    def gives(self, shape: tuple[int, ...], ok: bool | None = None, *, added: bool = False) -> str:
        """The rule with its result's shape, ``dW1 = Xᵀ·G  (4×8)·(8×16) → (4×16)``, then ✓/✗ once checked;
        ``added``: the contribution is added to a gradient already there, ``dx += …``."""
        text = self.text.replace(" = ", " += ", 1) if added else self.text
        mark = "" if ok is None else " ✓" if ok else " ✗"
        return f"{text}  {self.shapes} → {fmt_shape(shape)}{mark}"

    def failed(self) -> str:
        """The rule marked wrong without a result: what an op-table bug sent had the wrong shape."""
        return f"{self.text}  {self.shapes} ✗"


class Formulas:
    """A graph's formula text; the operand names of each node are worked out once (a concat of 2,000 inputs
    asks for them 2,000 times)."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._operands: dict[int, list[str]] = {}

    def forward(self, nid: int) -> str:
        """The op's rule with names and shapes, e.g. ``Z1 = (X@W1) + b1  (8×16)+(16) → (8×16)``."""
        graph = self.graph
        op, inputs, kw = graph.program[nid]
        node = graph.node(nid)
        text = tidy(_filled(with_index(_template(op.fwd, kw), node), self.operands(nid), y=node.name))
        return f"{text}  {_operand_shapes(op.infix, [graph.shape_of(i) for i in inputs])} → {fmt_shape(node.shape)}"

    def backward_rule(self, nid: int, k: int) -> Rule:
        """The rule by which ``nid`` sends its gradient to input ``k``, with the shapes it multiplies."""
        graph = self.graph
        op, inputs, kw = graph.program[nid]
        node, names = graph.node(nid), self.operands(nid)
        template = with_index(_template(op.bwd_text(k), kw, i=k), node)
        text = tidy(_filled(template, names, y=node.name, x=names[k]))
        g_shape = node.shape
        factors = op.factors(g_shape, *map(graph.shape_of, inputs))[k] if op.factors else [g_shape]
        summed = self.summed(nid, k)
        shapes = "·".join(fmt_shape(f) for f in factors) + (f" Σ axis {','.join(map(str, summed))}" if summed else "")
        return Rule(text, shapes, summed)

    def summed(self, nid: int, k: int) -> tuple[int, ...]:
        """The broadcast axes ``nid``'s backward rule sums away for input ``k`` (``backward_rule(nid, k).summed``,
        without writing the rule: a step's record holds the axes, and writes its text only when it is read)."""
        graph = self.graph
        op, inputs, _ = graph.program[nid]
        if not op.broadcasts:
            return ()
        g_shape, shape = graph.shape_of(nid), graph.shape_of(inputs[k])
        return broadcast_axes(g_shape, shape) if g_shape != shape else ()

    def why(self, nid: int) -> str:
        """Why the node's backward rule is what it is, in one line (its op's entry); '' when it sends no gradient."""
        op = self.graph.program[nid][0]
        return op.why if op is not None and nid in self.graph.vjp_program else ""

    def backward(self, nid: int) -> list[str]:
        """The rules backward will apply at ``nid``, with shapes: what a pending step is going to do."""
        graph = self.graph
        return [self.backward_rule(nid, k).gives(graph.shape_of(i)) for k, i, _, _ in graph.vjp_program.get(nid, ())]

    def seed(self, seed: np.ndarray) -> str:
        """The seed step: ``dloss = 1  ()``, or the array given as the output's gradient."""
        return f"d{self.graph.name_of(self.graph.output)} = {summarize(seed)}  {fmt_shape(np.shape(seed))}"

    def operands(self, nid: int) -> list[str]:
        """The input names as operands (``(Z2−y)``)."""
        found = self._operands.get(nid)
        if found is None:
            found = self._operands[nid] = [term(self.graph.name_of(i)) for i in self.graph.program[nid][1]]
        return found


def grad_name(name: str) -> str:
    """The gradient of a node as the formulas write it: ``dW1``, ``d(Z2−y)``."""
    return f"d{term(name)}"


_FORMATTER = string.Formatter()
SHAPES_SHOWN = 8  # a join of more inputs writes the first and last of their shapes and how many there are


def _filled(template: str, names: list[str], **named: str) -> str:
    """``template.format(*names, **named)``, without unpacking a join's thousands of names on each of its rules."""
    if len(names) <= SHAPES_SHOWN:
        return template.format(*names, **named)
    return _FORMATTER.vformat(template, names, named)


def _operand_shapes(infix: str, shapes: list[tuple[int, ...]]) -> str:
    """The inputs' shapes joined as the op writes them, ``(8×4)·(4×16)``; a long join shortened, ``(10), (10),
    (10), …, (10) [2,000 inputs]``."""
    if len(shapes) <= SHAPES_SHOWN:
        return infix.join(map(fmt_shape, shapes))
    shown = [*map(fmt_shape, shapes[:3]), "…", fmt_shape(shapes[-1])]
    return f"{infix.join(shown)} [{len(shapes):,} inputs]"


def _template(template, params: dict, **where) -> str:
    """A formula template; an op whose formula depends on its params (einsum's subscripts) gives a function of them."""
    return template(**params, **where) if callable(template) else template


def with_index(template: str, node: Node) -> str:
    """A formula template with the node's index written in: ``{y} = {0}[i]`` → ``{y} = {0}[arange(12), y]``."""
    parts = node.index_text
    if not parts or "[i]" not in template:
        return template
    return template.replace("[i]", "[" + ", ".join(parts).replace("{", "{{").replace("}", "}}") + "]")


def tidy(text: str) -> str:
    """Drop doubled parentheses a template and an operand make together: ``softmax((X@W))`` → ``softmax(X@W)``."""
    if "((" not in text:
        return text
    pairs, stack = {}, []
    for i, ch in enumerate(text):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            pairs[stack.pop()] = i
    drop = {k for o, c in pairs.items() if text[o + 1:o + 2] == "(" and pairs.get(o + 1) == c - 1 for k in (o, c)}
    return "".join(ch for i, ch in enumerate(text) if i not in drop)
