"""Provides ``Graph`` (a traced computation as a networkx DAG) and ``trace``.

Node ids are ints in creation order; creation is already a topological order
(an op is recorded after its inputs), so ``order`` is computed once, here.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import os
import textwrap
import types
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

import numpy as np

from ..errors import GraphstepError, ShapeError
from ..text import display_path
from .formulas import Formulas
from .heap import paused_gc
from .ops import OPS, Op
from .partial import forward_only, is_failure
from .program import Program, building, cached
from .records import Node
from .tracer import Tensor, Tracer, _active, param, reseeded
from .usercode import TraceCancelled, exit_error, graphstep_cause, guarded, located, user_code_error

if TYPE_CHECKING:
    import networkx as nx  # imported by ``Graph.nx`` on first use: ~70 ms of every launch otherwise


class Graph:
    """A traced computation: ``nx`` (DiGraph), ``order``, ``output``, ``params``, ``inputs``."""

    def __init__(self, tracer: Tracer, output: int, *, name: str = "", seed=None) -> None:
        self.name = name
        self.notes = list(tracer.notes)
        self.seed = None if seed is None else np.asarray(seed, dtype=float)
        self.leaf_values = tracer.leaf_values
        self.output = output
        self.order: list[int] = list(range(len(tracer.nodes)))
        self._nodes: list[Node] = tracer.nodes
        self.calls = tracer.calls  # user function calls, see Tracer.calls
        self.scope_spans = [tuple(span) for span in tracer.scope_spans if span[2] is not None]
        self._tracer: Tracer | None = tracer  # names the nodes on first use (``_named``); None once it has
        self._given = _named_first(tracer.nodes)  # what ``id`` finds by name without naming every node
        self._traced, tracer.values = tracer.values, None  # handed to the first walk (``take_traced``)
        self.distinct_shapes = tuple(tracer.shape_set)  # the nodes' shapes, each once: a few among 100,000
        self._index(tracer.nodes)

    def _index(self, nodes: list[Node]) -> None:
        """What every stepper reads of the nodes, in one pass and a comprehension (per node, the pass is ~0.2 µs):
        ``program`` (per node its op entry, input ids and keyword params: plain tuples, as in ``vjp_program``,
        since CPython unpacks an exact tuple fastest), ``op_nodes``, ``needs_grad`` (a param lies upstream),
        ``shapes`` and ``mixed_dtypes`` (a node not float64: only then can a rule's gradient differ from its
        input's dtype)."""
        self.program: list[tuple[Op | None, tuple[int, ...], dict]] = []
        self.op_nodes: list[int] = []
        self.needs_grad: list[bool] = []
        self.shapes: list[tuple[int, ...]] = [node.shape for node in nodes]
        needs, dtypes = self.needs_grad, set()
        add, add_op, need = self.program.append, self.op_nodes.append, needs.append  # bound once, not per node
        for n, node in enumerate(nodes):
            op = node.op
            if op is None:
                add((None, node.inputs, node.params))
                need(node.kind == "param")
            else:
                inputs = node.inputs
                add((OPS[op], inputs, node.params))
                add_op(n)
                for i in inputs:  # any(), without building a map per node
                    if needs[i]:
                        need(True)
                        break
                else:
                    need(False)
            dtypes.add(node.dtype)
        self.mixed_dtypes = bool(dtypes - {"float64"})

    @cached
    def nx(self) -> nx.DiGraph:
        """The graph as a networkx DiGraph (built on first use): each node's attribute dict holds its ``Node``'s
        fields, DESIGN.md's keys among them, for code that walks the graph with networkx."""
        import networkx as nx

        graph = nx.DiGraph(name=self.name)
        graph.add_nodes_from((n, node.attributes()) for n, node in enumerate(self._named()))
        graph.add_edges_from((i, n) for n, node in enumerate(self._nodes) for i in node.inputs)
        return graph

    @cached
    def feeds_output(self) -> list[bool]:
        """Whether a node lies on a path to the output (a ``while`` test, say, does not)."""
        feeds, program = [False] * len(self._nodes), self.program
        feeds[self.output] = True
        for n in reversed(self.op_nodes):  # leaves have no inputs
            if feeds[n]:
                for i in program[n][1]:
                    feeds[i] = True
        return feeds

    @cached
    def consumers(self) -> list[list[int]]:
        """Per node, the nodes that take it as an input."""
        out: list[list[int]] = [[] for _ in self._nodes]
        for n, node in enumerate(self._nodes):
            for i in node.inputs:
                out[i].append(n)
        return out

    @cached
    def backward_nodes(self) -> list[int]:
        """Op nodes between a param and the output, in reverse order: the backward pass."""
        feeds, needs = self.feeds_output, self.needs_grad
        return [n for n in reversed(self.op_nodes) if feeds[n] and needs[n]]

    @cached
    def vjp_program(self) -> Mapping[int, tuple]:
        """Per backward node: (input position, input id, rule, keyword params) for inputs that need a gradient;
        each node's entry is made when first read (``VjpProgram``)."""
        return VjpProgram(self.program, self.needs_grad, self.backward_nodes)

    @cached
    def walk(self) -> Program:
        """What every ``Stepper`` of this graph executes, compiled once (``program.Program``): fitted to the
        traced shapes, with the buffers their big values and gradients are written into."""
        with building(len(self._nodes)):  # hundreds of thousands of tuples that live with the graph, no cycles
            return Program(self, traced=True)

    def take_traced(self) -> dict[int, np.ndarray] | None:
        """Per op node, the value its trace computed, handed once, to the graph's first walk (``Stepper``), so that
        it does not compute the forward pass again (a small graph's walk is mostly per-node Python, and W4 traces
        every call); None after that, or when the trace's values were too big to keep (``tracer.KEPT_BYTES``).
        Given once, so that the graph does not hold a forward pass for its lifetime."""
        traced, self._traced = self._traced, None
        return traced

    def is_scalar_const(self, nid: int) -> bool:
        """The 2 in ``x ** 2``: views write it into its op instead of drawing a node."""
        node = self._nodes[nid]
        return node.kind == "const" and node.shape == ()

    @cached
    def formulas(self) -> Formulas:
        """The formula text of every node (``formulas.Formulas``), built on first use."""
        return Formulas(self)

    def forward_formula(self, nid: int) -> str:
        """The op's rule with names and shapes, e.g. ``Z1 = (X@W1) + b1  (8×16)+(16) → (8×16)``."""
        return self.formulas.forward(nid)

    def backward_formulas(self, nid: int) -> list[str]:
        """The rules backward will apply at ``nid``, with shapes: what a pending step is going to do."""
        return self.formulas.backward(nid)

    def __len__(self) -> int:
        return len(self._nodes)

    def __repr__(self) -> str:
        return f"<Graph {self.name!r}: {len(self)} nodes, params {list(self.params)}>"

    @property
    def file(self) -> str:
        """The file the computation's output was written in, as the user would type it; "" for one a reader could
        not open: a notebook cell's temporary file (``/tmp/ipykernel_…/….py``), ``<stdin>``, ``<string>``."""
        path = self.node(self.output).source.rpartition(":")[0]
        cell = os.path.basename(os.path.dirname(path)).startswith("ipykernel_")
        return "" if cell or path.startswith("<") else os.path.normpath(path)  # gs.load("../x.py"): no /a/../

    def _named(self) -> list[Node]:
        """The node records, named: naming waits for the first question that needs a name (``Tracer.named``)."""
        if self._tracer is not None:
            self._tracer.named()
            self._tracer = None
        return self._nodes

    @cached
    def params(self) -> dict[str, int]:
        """{name: node id} of the parameters."""
        return {node.name: n for n, node in enumerate(self._named()) if node.kind == "param"}

    @cached
    def inputs(self) -> dict[str, int]:
        """{name: node id} of the inputs."""
        return {node.name: n for n, node in enumerate(self._named()) if node.kind == "input"}

    @cached
    def ids(self) -> dict[str, int]:
        """{name: node id} of every node."""
        return {node.name: n for n, node in enumerate(self._named())}

    def records(self) -> list[Node]:
        """Every node's record, named, in id order: for a pass over all of them without ``node``'s checks per id
        (a list shared with the graph: read it, never change it)."""
        return self._named()

    def node(self, key: int | str) -> Node:
        """The record of a node given by id or name (``graph.nx`` has the same fields as attribute dicts)."""
        return self._named()[self.id(key)]

    def id(self, key: int | str) -> int:
        if isinstance(key, (int, np.integer)) and 0 <= key < len(self._nodes):
            return int(key)
        if isinstance(key, str):
            nid = self._given.get(key)
            if nid is None:
                nid = self.ids.get(key)
            if nid is not None:
                return nid
        raise KeyError(f"no node {key!r} in graph {self.name!r}")

    def name_of(self, nid: int) -> str:
        return self._named()[nid].name

    def shape_of(self, nid: int) -> tuple[int, ...]:
        return self.shapes[nid]

    def dtype_of(self, nid: int) -> str:
        return self._nodes[nid].dtype



class VjpProgram(Mapping):
    """``Graph.vjp_program``: a mapping from backward node to its sends, in backward order, each made when first
    read.  A view opening on a 100,000-node graph reads none of them (0.15 s made all at once); a walk's compiled
    program (``Program.backward``) and the records of its steps read them all."""

    def __init__(self, program: list[tuple], needs: list[bool], nodes: list[int]) -> None:
        self._program, self._needs, self._nodes = program, needs, nodes
        self._made: dict[int, tuple] = {}

    @cached
    def _keys(self) -> frozenset[int]:
        return frozenset(self._nodes)

    def __getitem__(self, nid: int) -> tuple:
        made = self._made.get(nid)
        if made is None:
            made = self._made[nid] = self.unkept(nid)
        return made

    def unkept(self, nid: int) -> tuple:
        """The node's sends, made afresh unless kept (or replaced) already, and not kept: a walk's compiled program
        holds its own (fitted) copy, so keeping these too would hold 13 MB more at 100,000 nodes."""
        if nid not in self._keys:
            raise KeyError(nid)
        return self.walked(nid)

    def walked(self, nid: int) -> tuple:
        """``unkept`` for a backward node, as a walk reads them (``Program``): not asked whether it is one, which
        would build the set of them for a graph walked once."""
        made = self._made.get(nid)
        if made is not None:
            return made
        op, inputs, kw = self._program[nid]
        needs = self._needs
        if op.variadic:
            return tuple([(k, i, op.vjp_rule(k), {**kw, "i": k}) for k, i in enumerate(inputs) if needs[i]])
        rules, sends = op.vjp, []  # a rule per input, read without vjp_rule's call: a quarter of this, per node
        for k, i in enumerate(inputs):
            if needs[i]:
                sends.append((k, i, rules[k], kw))
        return tuple(sends)

    def __setitem__(self, nid: int, sends: tuple) -> None:
        """Replace a backward node's sends before a walk compiles them (a deliberately broken rule, in a test)."""
        if nid not in self._keys:
            raise KeyError(nid)
        self._made[nid] = sends

    def __contains__(self, nid: object) -> bool:
        return nid in self._keys

    def __iter__(self) -> Iterator[int]:
        return iter(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)


def _named_first(nodes: list[Node]) -> dict[str, int]:
    """{name: id} of the leaves a trace starts with that the user named (``gs.param(w, name="W1")``, a traced
    function's arguments), up to the first node without a name yet: no node before them can take their names,
    so naming keeps them as they are."""
    given: dict[str, int] = {}
    for n, node in enumerate(nodes):
        if node.kind == "op" or node.name is None or node.name in given:
            break
        given[node.name] = n
    return given


def trace(fn: Callable, *arrays, seed=None, reseed: int | None = None) -> Graph:
    """Run ``fn`` once, recording every op; array arguments become params named after fn's parameters.

    ``reseed`` makes every ``gs.rng(k)`` in the computation draw new numbers (see ``tracer.rng``).  Whatever
    ``fn`` does (exits, reads stdin, raises) ends as a ``GraphstepError`` naming the line (``run_user_code``).
    """
    meta = getattr(fn, "__graphstep_computation__", {})
    if not arrays:
        _refuse_arguments(fn)
    tracer = Tracer()
    with paused_gc():  # a trace makes thousands of records that live on, no cycles: the collector would rescan them
        _active.append(tracer)
        try:
            args = _params_for(fn, arrays)
            tracer.running = True
            drawn = reseeded(reseed) if reseed is not None else _AS_WRITTEN
            with np.errstate(all="ignore"), drawn:  # NaN/Inf are the stepper's to show, not warnings
                result = run_user_code(fn, *args)
            tracer.running = False
        except GraphstepError as err:
            if tracer.nodes and is_failure(tracer.nodes[-1], err):  # a call failed (``core.partial``): the error
                failed = len(tracer.nodes) - 1  # carries the graph recorded up to it, that call its last node
                tracer.finish_names(failed)
                err.partial_graph = forward_only(Graph(tracer, failed, name=meta.get("name", fn.__name__)))
                if isinstance(err, ShapeError):
                    err.name_operands(err.partial_graph.name_of)
            raise
        finally:
            _active.pop()
        if not isinstance(result, Tensor) or result.tracer is not tracer:
            raise _not_a_tensor(fn, result)
        tracer.finish_names(result.node)
        return Graph(tracer, result.node, name=meta.get("name", fn.__name__),
                     seed=seed if seed is not None else meta.get("seed"))


_AS_WRITTEN = contextlib.nullcontext()  # ``gs.rng(k)`` draws as the file says: no ``reseeded`` block to enter


def run_user_code(call: Callable, *args):
    """``call(*args)``, the user's code, guarded (``usercode.guarded``): anything it raises (``sys.exit``,
    ``KeyboardInterrupt``, any BaseException) becomes a ``GraphstepError`` naming their line, reading stdin
    fails at once, and ``interrupt_thread`` stops it with ``Cancelled``.  A real ctrl+c stays a KeyboardInterrupt.
    """
    try:
        return guarded(_call, call, *args)
    except (KeyboardInterrupt, TraceCancelled, BrokenPipeError):  # a real ctrl+c; a stop on its way to the
        raise  # outermost guard; `graphstep run FILE | head` closing the pipe their print writes to
    except SystemExit as err:
        raise exit_error(err) from None
    except GraphstepError as err:
        raise located(err)  # noqa: B904 - the same error, now naming the user's line
    except Exception as err:  # the user's own bug: show their frames only
        raise graphstep_cause(err) or user_code_error(err) from None
    except BaseException as err:
        raise user_code_error(err) from None


def _call(call: Callable, *args):
    """The frame right above the user's code: in graph.py, where the tracer's walk up their frames ends."""
    return call(*args)


def _params_for(fn: Callable, arrays) -> list[Tensor]:
    if not arrays:
        return []
    names = _parameter_names(fn)
    return [param(a, name=names[i] if i < len(names) else f"arg{i}") for i, a in enumerate(arrays)]


def _parameter_names(fn: Callable) -> list[str]:
    """The names of ``fn``'s parameters in ``inspect.signature``'s order, read off a plain function's code
    (a fifth of a small trace goes to ``signature``); ``signature`` itself for anything else."""
    code = getattr(fn, "__code__", None)
    if type(fn) is not types.FunctionType or hasattr(fn, "__wrapped__") or code is None:
        return list(inspect.signature(fn).parameters)
    names, n, k = code.co_varnames, code.co_argcount, code.co_kwonlyargcount
    star = [names[n + k]] if code.co_flags & inspect.CO_VARARGS else []
    stars = [names[n + k + len(star)]] if code.co_flags & inspect.CO_VARKEYWORDS else []
    return [*names[:n], *star, *names[n:n + k], *stars]


def _refuse_arguments(fn: Callable) -> None:
    """A computation is called with no arguments: one that needs some is refused at its def line."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return
    needed = [p.name for p in parameters if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if needed:
        path, line, _ = _def_site(fn)
        raise GraphstepError(f"computation {fn.__name__} takes {'an argument' if len(needed) == 1 else 'arguments'} "
                             f"({', '.join(needed)}), but graphstep calls it with none",
                             source=f"{path}:{line}" if line else path,
                             hint="make them local variables (gs.param(...) for those that need a gradient), "
                                  "or give them default values")


def _not_a_tensor(fn: Callable, result) -> GraphstepError:
    """A computation that returned no traced tensor, named at its return (its def line when it has several)."""
    path, line, returns = _def_site(fn)
    if result is None and not returns:
        message = f"computation {fn.__name__} has no return statement, so it returns None"
    else:
        what = "None" if result is None else "a tensor of another trace" if isinstance(result, Tensor) else \
            type(result).__name__
        message = f"computation {fn.__name__} returned {what}, not a traced tensor"
        line = returns[0] if len(returns) == 1 else line
    return GraphstepError(message, source=f"{path}:{line}" if line else path,
                          hint="return the loss (or output) computed from gs.param/gs.input, itself "
                               "(not float(loss) or loss.item())")


def _def_site(fn: Callable) -> tuple[str, int, list[int]]:
    """(file, line of ``def``, lines of its own ``return`` statements) of a function, as far as its source says."""
    code = getattr(inspect.unwrap(fn), "__code__", None)
    path = display_path(code.co_filename) if code else "?"
    try:
        lines, start = inspect.getsourcelines(fn)
        tree = ast.parse(textwrap.dedent("".join(lines))).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        return path, code.co_firstlineno if code else 0, []
    returns: list[int] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Return):
                returns.append(start + child.lineno - 1)
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                visit(child)

    visit(tree)
    return path, start + tree.lineno - 1, returns
