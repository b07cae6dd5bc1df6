"""The tracer: operators, methods, names, sources, control flow and the errors a user meets."""
# ruff: noqa: N803, N806 - X, W1, H… are the names of the maths

from __future__ import annotations

import functools
import inspect
import itertools
import operator
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from support import line_of, my_func

import graphstep as gs
from graphstep import numpy as gnp
from graphstep.core.graph import _parameter_names
from graphstep.core.records import NODE_FIELDS, Node
from graphstep.errors import GraphstepError, ShapeError, UnsupportedError

THIS_FILE = os.path.basename(__file__)


def here() -> int:
    """The caller's line number."""
    return inspect.currentframe().f_back.f_lineno


def ops_of(graph):
    return [graph.nx.nodes[n]["op"] for n in graph.op_nodes]


def node_named(graph, name):
    return graph.nx.nodes[graph.ids[name]]


def _value(graph, key):
    """Re-execute the graph (not the trace's values) and read a node."""
    return gs.Stepper(graph).run_forward().value(key)


# ───────────────────────────── operators ─────────────────────────────

X0 = np.array([1.0, 2.0, 4.0])
ARR = np.array([0.5, -1.0, 3.0])


@pytest.mark.parametrize(("label", "fn", "op", "expected"), [
    ("t + 2", lambda t: t + 2, "add", X0 + 2),
    ("2 + t", lambda t: 2 + t, "add", 2 + X0),
    ("t - 2", lambda t: t - 2, "subtract", X0 - 2),
    ("2 - t", lambda t: 2 - t, "subtract", 2 - X0),
    ("t * 3", lambda t: t * 3, "multiply", X0 * 3),
    ("3 * t", lambda t: 3 * t, "multiply", 3 * X0),
    ("t / 4", lambda t: t / 4, "divide", X0 / 4),
    ("4 / t", lambda t: 4 / t, "divide", 4 / X0),
    ("t ** 2", lambda t: t ** 2, "power", X0 ** 2),
    ("2 ** t", lambda t: 2 ** t, "power", 2 ** X0),
    ("-t", lambda t: -t, "negative", -X0),
    ("abs(t)", lambda t: abs(t), "abs", np.abs(X0)),
    ("t + arr", lambda t: t + ARR, "add", X0 + ARR),
    ("arr + t", lambda t: ARR + t, "add", ARR + X0),
    ("arr - t", lambda t: ARR - t, "subtract", ARR - X0),
    ("arr * t", lambda t: ARR * t, "multiply", ARR * X0),
    ("arr / t", lambda t: ARR / t, "divide", ARR / X0),
    ("arr ** t", lambda t: np.abs(ARR) ** t, "power", np.abs(ARR) ** X0),
    ("t @ arr", lambda t: t @ ARR, "matmul", X0 @ ARR),
    ("arr @ t", lambda t: ARR @ t, "matmul", ARR @ X0),
    ("M @ t", lambda t: np.outer(ARR, ARR) @ t, "matmul", np.outer(ARR, ARR) @ X0),
    ("t @ t", lambda t: t @ t, "matmul", X0 @ X0),
])
def test_operators_record_one_op_and_match_numpy(label, fn, op, expected):
    graph = gs.trace(fn, X0)
    assert ops_of(graph) == [op], label
    np.testing.assert_allclose(_value(graph, graph.output), expected)
    assert gs.Stepper(graph).run().grad("t").shape == X0.shape


def test_reflected_ops_with_ndarray_give_the_right_gradient():
    # d/dt Σ (arr − t)·arr = −arr, through ndarray.__sub__ → __array_ufunc__
    graph = gs.trace(lambda t: ((ARR - t) * ARR).sum(), X0)
    np.testing.assert_allclose(gs.Stepper(graph).run().grad("t"), -ARR)
    # d/dt Σ arr / t = −arr / t²
    graph = gs.trace(lambda t: (ARR / t).sum(), X0)
    np.testing.assert_allclose(gs.Stepper(graph).run().grad("t"), -ARR / X0 ** 2)


def test_python_scalars_become_float_consts():
    graph = gs.trace(lambda t: t * 3, X0)
    const = [n for n, d in graph.nx.nodes(data=True) if d["kind"] == "const"]
    assert len(const) == 1
    assert graph.leaf_values[const[0]].dtype == np.float64
    assert graph.nx.nodes[const[0]]["name"] == "3"


# ───────────────────────────── methods and attributes ─────────────────────────────


def test_methods_people_use():
    M0 = np.arange(6.0).reshape(2, 3) - 2.5
    seen = {}

    def fn(M):
        seen.update(shape=M.shape, ndim=M.ndim, dtype=M.dtype, size=M.size, len=len(M))
        a = M.sum() + M.mean() + M.max() + M.norm()
        b = M.sum(axis=0, keepdims=True).mean(axis=1)
        c = M.reshape(3, 2).T.reshape((6,)).max(axis=0)
        seen.update(item=a.item(), float=float(a))
        return a + b.sum() + c + M.min() + M.transpose().sum()

    graph = gs.trace(fn, M0)
    assert seen["shape"] == (2, 3) and seen["ndim"] == 2 and seen["dtype"] == np.float64
    assert seen["size"] == 6 and seen["len"] == 2
    expected_a = M0.sum() + M0.mean() + M0.max() + np.linalg.norm(M0)
    assert isinstance(seen["item"], float) and isinstance(seen["float"], float)
    assert seen["item"] == pytest.approx(expected_a) and seen["float"] == pytest.approx(expected_a)
    assert set(ops_of(graph)) >= {"sum", "mean", "max", "norm", "reshape", "transpose", "min", "add"}
    expected = expected_a + M0.sum(axis=0, keepdims=True).mean(axis=1).sum() + M0.max() + M0.min() + M0.sum()
    assert _value(graph, graph.output) == pytest.approx(expected)


def test_T_is_transpose_and_gradient_has_the_variable_shape():
    A0 = np.arange(6.0).reshape(2, 3)
    graph = gs.trace(lambda A: (A.T @ np.ones(2)).sum(), A0)
    assert ops_of(graph) == ["transpose", "matmul", "sum"]
    assert graph.nx.nodes[graph.order[-1]]["shape"] == ()
    np.testing.assert_allclose(gs.Stepper(graph).run().grad("A"), np.ones((2, 3)))


def test_indexing_is_traced():
    graph = gs.trace(lambda t: t[np.array([0, 0, 2])].sum() + t[1:].sum(), X0)
    np.testing.assert_allclose(gs.Stepper(graph).run().grad("t"), [2.0, 1.0, 2.0])


# ───────────────────────────── names ─────────────────────────────


def test_leaf_names_and_assigned_names():
    @gs.computation
    def mlp():
        X = gs.input(np.ones((8, 4)), name="X")
        W1 = gs.param(np.ones((4, 16)), name="W1")
        b1 = gs.param(np.zeros(16), name="b1")
        Z1 = X @ W1 + b1
        H = gnp.tanh(Z1)
        return H.sum()

    graph = gs.trace(mlp)
    assert graph.params == {"W1": 1, "b1": 2}
    assert graph.inputs == {"X": 0}
    assert node_named(graph, "Z1")["op"] == "add"
    assert node_named(graph, "H")["op"] == "tanh"
    matmul = next(n for n in graph.op_nodes if graph.nx.nodes[n]["op"] == "matmul")
    assert graph.nx.nodes[matmul]["name"] not in ("Z1", None, "")  # the inner op gets an automatic name
    assert graph.nx.nodes[matmul]["name"] == "X@W1"
    assert graph.nx.nodes[graph.output]["name"] == "loss"


def test_node_attributes_follow_the_design():
    graph = gs.trace(lambda t: gnp.exp(t).sum(), X0)
    for nid, attrs in graph.nx.nodes(data=True):
        assert {"kind", "op", "name", "shape", "dtype", "inputs", "source"} <= set(attrs)
        assert tuple(graph.nx.predecessors(nid)) == tuple(dict.fromkeys(attrs["inputs"]))
    assert graph.nx.nodes[graph.params["t"]]["kind"] == "param"
    assert graph.order == sorted(graph.order) and graph.order[-1] == graph.output


def test_a_node_record_is_a_typed_node_and_nx_carries_its_fields():
    def fn(t):
        with gs.scope("layer1"):
            h = gnp.exp(t)
        return h[np.arange(2)].sum()

    graph = gs.trace(fn, X0)
    exp = graph.node("h")
    assert isinstance(exp, Node) and not hasattr(exp, "__dict__")  # slots: no per-node dict
    assert (exp.kind, exp.op, exp.name, exp.shape, exp.dtype) == ("op", "exp", "h", (3,), "float64")
    assert exp.inputs == (graph.params["t"],) and exp.params == {} and exp.scope == "layer1"
    line = line_of(Path(__file__), "h = gnp.exp(t)")
    assert exp.source.endswith(f"{THIS_FILE}:{line}") and exp.file.endswith(THIS_FILE) and exp.line == line
    assert exp.func == "fn" and exp.call >= 0 and exp.stack[-1][:2] == (exp.call, line)
    assert graph.node(graph.ids["h[arange(2)]"]).index_text == ("arange(2)",)
    assert graph.node(graph.params["t"]).op is None and graph.node(graph.params["t"]).inputs == ()
    design = ("kind", "op", "name", "shape", "dtype", "inputs", "source")
    for nid, attrs in graph.nx.nodes(data=True):
        node = graph.node(nid)
        assert set(attrs) == set(NODE_FIELDS) >= set(design)
        assert all(attrs[key] == getattr(node, key) for key in design), nid


def test_names_are_unique():
    def fn(t):
        h = t * 2
        h = h * 2
        return h.sum()

    graph = gs.trace(fn, X0)
    names = [d["name"] for _, d in graph.nx.nodes(data=True) if d["kind"] != "const"]
    assert len(names) == len(set(names))
    assert "h" in names and "h#2" in names
    # a scalar constant is called by its value wherever it appears
    assert [d["name"] for _, d in graph.nx.nodes(data=True) if d["kind"] == "const"] == ["2", "2"]


# ───────────────────────────── sources ─────────────────────────────


def test_source_is_the_users_line():
    lines = {}

    def fn(t):
        lines["exp"] = here(); e = gnp.exp(t)  # noqa: E702
        lines["mul"] = here(); m = e * 2  # noqa: E702
        lines["tanh"] = here(); th = np.tanh(m)  # noqa: E702 - real numpy goes through __array_ufunc__
        return th.sum()

    graph = gs.trace(fn, X0)
    by_op = {d["op"]: d["source"] for _, d in graph.nx.nodes(data=True) if d["op"]}
    for op, key in (("exp", "exp"), ("multiply", "mul"), ("tanh", "tanh")):
        assert by_op[op].endswith(f"{THIS_FILE}:{lines[key]}"), by_op[op]
        assert "graphstep/" not in by_op[op] and "numpy" not in by_op[op]


def test_a_source_is_as_the_user_types_it_from_where_they_trace(monkeypatch):
    """Traces in one working directory share their lines' source text; a ``chdir`` between two is seen."""
    def fn(t):
        return gnp.exp(t).sum()

    line = fn.__code__.co_firstlineno + 1
    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)
    sources = [gs.trace(fn, X0).node(1).source for _ in range(2)]
    assert sources == [f"tests/core/{THIS_FILE}:{line}"] * 2 and sources[0] is sources[1]
    monkeypatch.chdir(root / "tests")
    assert gs.trace(fn, X0).node(1).source == f"core/{THIS_FILE}:{line}"


def test_real_numpy_functions_are_traced():
    graph = gs.trace(lambda t: np.sum(np.tanh(t) * np.exp(t)), X0)
    assert ops_of(graph) == ["tanh", "exp", "multiply", "sum"]
    st = gs.Stepper(graph).run()
    # d/dt Σ tanh(t)·e^t = (1 − tanh²)·e^t + tanh·e^t
    th = np.tanh(X0)
    np.testing.assert_allclose(st.grad("t"), (1 - th ** 2) * np.exp(X0) + th * np.exp(X0))


# ───────────────────────────── control flow ─────────────────────────────


def test_comparisons_give_plain_bools():
    seen = []

    def fn(t):
        for result in (t.sum() > 0, t.sum() < 0, t.norm() >= 1, t.max() <= 1):
            seen.append(result)
        return t.sum()

    gs.trace(fn, X0)
    assert all(isinstance(r, (bool, np.bool_)) for r in seen)
    assert [bool(r) for r in seen] == [True, False, True, False]


@pytest.mark.parametrize(("a0", "doublings", "negated"), [(3.0, 6, False), (-0.5, 8, True), (200.0, 0, False)])
def test_while_and_if_trace_the_path_taken(a0, doublings, negated):
    graph = gs.trace(my_func, np.array(a0))
    ops = ops_of(graph)
    assert ops.count("multiply") == doublings + negated
    assert ops.count("norm") == doublings + 1
    assert ops.count("sum") == 1
    np.testing.assert_allclose(gs.Stepper(graph).run().grad("a"), 2.0 ** doublings * (-1 if negated else 1))


# ───────────────────────────── errors ─────────────────────────────


def test_ufunc_missing_from_table_raises_naming_it():
    def fn(t):
        return np.frexp(t)

    with pytest.raises(UnsupportedError, match=r"numpy\.frexp") as info:
        gs.trace(fn, X0)
    assert f"{THIS_FILE}:" in str(info.value)


def test_facade_attribute_missing_raises_naming_it():
    line = {}

    def fn(t):
        line["n"] = here(); return gnp.fft.fft(t)  # noqa: E702

    with pytest.raises(UnsupportedError, match=r"numpy\.fft") as info:
        gs.trace(fn, X0)
    assert f"{THIS_FILE}:{line['n']}" in str(info.value)


def test_array_function_missing_from_table_raises():
    with pytest.raises(UnsupportedError, match=r"numpy\.ediff1d"):
        gs.trace(lambda t: np.ediff1d(t), X0)


def test_facade_is_a_plain_module_for_imports_and_introspection():
    # import machinery and hasattr probe dunders; those must not become UnsupportedError
    assert not hasattr(gnp, "__path__")
    from graphstep.numpy import TRACED

    assert "tanh" in TRACED and "tanh" in dir(gnp)


def test_converting_a_tensor_to_an_array_is_refused():
    with pytest.raises(UnsupportedError, match="plain NumPy array"):
        gs.trace(lambda t: np.asarray(t) + t, X0)


def test_integer_param_is_converted_to_float_with_a_note():
    def fn():
        n = gs.param(np.arange(3), name="n")
        return (n * n).sum()

    with pytest.warns(UserWarning, match="int64 values converted to float64") as record:
        graph = gs.trace(fn)
    assert record[0].filename == __file__  # the warning points at the user's line
    assert any("param n" in note and "float64" in note for note in graph.notes)
    assert graph.leaf_values[graph.params["n"]].dtype == np.float64
    np.testing.assert_allclose(gs.Stepper(graph).run().grad("n"), [0.0, 2.0, 4.0])


def test_shape_mismatch_names_both_shapes_and_the_line():
    line = {}

    def fn():
        A = gs.param(np.ones((2, 3)), name="A")
        B = gs.param(np.ones((4, 3)), name="B")
        line["n"] = here(); return A @ B  # noqa: E702

    with pytest.raises(ShapeError) as info:
        gs.trace(fn)
    message = str(info.value)
    assert "(2×3)" in message and "(4×3)" in message and "A" in message and "B" in message
    assert f"{THIS_FILE}:{line['n']}" in message


def test_broadcast_mismatch_is_a_shape_error():
    with pytest.raises(ShapeError, match=r"\(2×3\).*\(4×3\)"):
        gs.trace(lambda a, b: a + b, np.ones((2, 3)), np.ones((4, 3)))


def test_leaf_outside_a_trace_is_a_clear_error():
    with pytest.raises(GraphstepError, match="inside a computation"):
        gs.param(np.ones(2))


def test_computation_returning_a_non_tensor_is_a_clear_error():
    with pytest.raises(GraphstepError, match="returned float"):
        gs.trace(lambda t: float(t.sum()), X0)


def test_scope_labels_nodes():
    def fn(t):
        with gs.scope("layer1"):
            h = gnp.tanh(t)
        return h.sum()

    graph = gs.trace(fn, X0)
    tracer_scope = [graph.node(n).scope for n in graph.op_nodes]
    assert tracer_scope == ["layer1", ""]


def test_shape_error_names_an_operand_as_the_graph_does():
    with pytest.raises(ShapeError, match=r"reshape cannot combine a\*2 \(3\)"):
        gs.trace(lambda a: (a * 2).reshape(4), X0)


def test_equality_compares_values_not_identity():
    seen = {}

    def fn(t):
        seen["scalar"] = t.sum() == 7.0
        seen["ne"] = t.sum() != 7.0
        seen["elementwise"] = t == np.array([1.0, 0.0, 4.0])
        return t.sum()

    gs.trace(fn, X0)
    assert bool(seen["scalar"]) is True and bool(seen["ne"]) is False
    np.testing.assert_array_equal(seen["elementwise"], [True, False, True])


def test_comparisons_with_arrays_on_the_left_give_plain_values():
    seen = {}

    def fn(t):
        seen["lt"] = ARR < t  # noqa: SIM300 - the array on the left is the point
        seen["scalar"] = np.float64(3.0) > t.sum()
        seen["eq"] = np.ones(3) == t
        return t.sum()

    gs.trace(fn, X0)
    assert isinstance(seen["lt"], np.ndarray)
    np.testing.assert_array_equal(seen["lt"], ARR < X0)
    assert bool(seen["scalar"]) is False
    np.testing.assert_array_equal(seen["eq"], [True, False, False])


def test_unnamed_leaves_take_the_assigned_variable_or_an_automatic_name():
    def fn():
        w = gs.param(np.ones(2))
        v = gs.param(np.ones(2)) * 3.0
        return (w * v).sum() + gs.param(np.ones(2)).sum()

    graph = gs.trace(fn)
    names = [graph.nx.nodes[n]["name"] for n in graph.params.values()]
    assert names[0] == "w"
    assert names[1] != "v" and node_named(graph, "v")["op"] == "multiply"  # the op keeps the line's name
    assert all(name.startswith(("w", "param")) for name in names) and "None" not in "".join(names)
    np.testing.assert_allclose(gs.Stepper(graph).run().grad("w"), [3.0, 3.0])


def test_array_arguments_are_named_as_inspect_signature_orders_the_parameters():
    def every_kind(x, /, y, z=1, *rest, k, w=2, **more): ...

    @functools.wraps(every_kind)
    def wrapped(*args, **kwargs): ...

    for fn in (every_kind, wrapped, lambda a, b: 0, lambda *a: 0, lambda **k: 0, functools.partial(every_kind, 1)):
        assert _parameter_names(fn) == list(inspect.signature(fn).parameters)


def test_nodes_share_their_source_text_and_their_empty_params():
    def chain(x):
        for _ in range(3):
            x = gnp.tanh(x)
        return gnp.sum(x)

    graph = gs.trace(chain, np.ones(2))
    tanhs = [graph.node(n) for n in graph.op_nodes if graph.node(n).op == "tanh"]
    assert len({id(node.source) for node in tanhs}) == 1  # one string per line: 8 MB at 100,000 nodes
    assert len({id(node.params) for node in tanhs}) == 1 and tanhs[0].params == {}


def _outcome(op, a, b):
    """``op(a, b)``, or the type of what it raised (a bool against 2**70 overflows, as NumPy's own does)."""
    try:
        return op(a, b)
    except (OverflowError, TypeError) as err:
        return type(err).__name__


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int8, np.uint8, np.int64, np.bool_])
def test_a_0d_tensor_compares_as_its_numpy_array_does(dtype):
    """Comparisons take a 0-d value as its NumPy scalar (faster): the results are the array's, type and all."""
    others = [100, 1000, -1000, 3.7, float("nan"), True, -1, 2**70, np.float32(3.7), np.array(3.7),
              np.array([1.0, 100.0])]
    checked = 0

    def fn(t):
        nonlocal checked
        for x in (t, t * -1.0, t * 0.0, t * np.inf):
            v = x.value
            for w, op in itertools.product(others, (operator.lt, operator.le, operator.gt, operator.ge, operator.eq,
                                                    operator.ne)):
                ours, numpys = _outcome(op, x, w), _outcome(op, v, w)
                assert type(ours) is type(numpys) and np.array_equal(ours, numpys, equal_nan=False), (v, w, op)
                checked += 1
        return t.sum()

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 0 · inf: NumPy's warnings, not ours
        gs.trace(lambda: fn(gs.input(np.array(5).astype(dtype), name="t")))
    assert checked == 4 * len(others) * 6
