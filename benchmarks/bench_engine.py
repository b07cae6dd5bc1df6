"""Times graphstep's executor against hand-written NumPy (and PyTorch eager if installed).

Run:  python benchmarks/bench_engine.py            (writes benchmarks/RESULTS.md's "Engine" section)

Each workload is timed side by side in one process, threads pinned to 1,
float64; every repeat runs each contender for ≥ 0.2 s and the ratio is taken
repeat by repeat, so a noisy machine moves both sides together.  The reported
ratio is the median over repeats.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import graphstep as gs  # noqa: E402
from graphstep import numpy as gnp  # noqa: E402

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # PyTorch is optional
    torch = None

REPEATS = 5
MIN_SECONDS = 0.2


def per_call(fn: Callable[[], object]) -> float:
    """Seconds per call, looping for at least MIN_SECONDS."""
    fn()
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < MIN_SECONDS:
        fn()
        n += 1
    return elapsed / n


def compare(contenders: dict[str, Callable]) -> dict[str, tuple[float, float]]:
    """Median seconds and median ratio to 'numpy' for every contender, repeat by repeat."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    ratios: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(REPEATS):
        this = {name: per_call(fn) for name, fn in contenders.items()}
        for name, t in this.items():
            times[name].append(t)
            ratios[name].append(t / this["numpy"])
    return {name: (statistics.median(times[name]), statistics.median(ratios[name])) for name in contenders}


# ───────────────────────────── W1 / W2: MLPs ─────────────────────────────


def tiny_mlp_data(rng):
    return dict(X=rng.standard_normal((8, 4)), y=rng.standard_normal((8, 1)), W1=rng.standard_normal((4, 16)),
                b1=rng.standard_normal(16), W2=rng.standard_normal((16, 1)), b2=rng.standard_normal(1))


def tiny_mlp_graph(d) -> gs.Graph:
    def tiny():
        X, y = gs.input(d["X"], name="X"), gs.input(d["y"], name="y")
        W1, b1 = gs.param(d["W1"], name="W1"), gs.param(d["b1"], name="b1")
        W2, b2 = gs.param(d["W2"], name="W2"), gs.param(d["b2"], name="b2")
        H = gnp.tanh(X @ W1 + b1)
        return gnp.mean((H @ W2 + b2 - y) ** 2)

    return gs.trace(tiny)


def tiny_mlp_numpy(d):
    X, y, W1, b1, W2, b2 = (d[k] for k in ("X", "y", "W1", "b1", "W2", "b2"))
    H = np.tanh(X @ W1 + b1)
    out = H @ W2 + b2
    r = out - y
    loss = np.mean(r**2)
    g_out = 2.0 * r / r.size
    dW2, db2 = H.T @ g_out, g_out.sum(axis=0)
    g_z = (g_out @ W2.T) * (1.0 - H * H)
    dW1, db1 = X.T @ g_z, g_z.sum(axis=0)
    return loss, dW1, db1, dW2, db2


def big_mlp_data(rng):
    labels = rng.integers(0, 10, 256)
    return dict(X=rng.standard_normal((256, 784)), Y=np.eye(10)[labels],
                W1=rng.standard_normal((784, 512)) * 0.05, W2=rng.standard_normal((512, 10)) * 0.05)


def big_mlp_graph(d) -> gs.Graph:
    def big():
        X, Y = gs.input(d["X"], name="X"), gs.input(d["Y"], name="Y")
        W1, W2 = gs.param(d["W1"], name="W1"), gs.param(d["W2"], name="W2")
        H = gs.nn.relu(X @ W1)
        return gnp.mean((H @ W2 - Y) ** 2)

    return gs.trace(big)


def big_mlp_numpy(d):
    X, Y, W1, W2 = d["X"], d["Y"], d["W1"], d["W2"]
    Z = X @ W1
    H = np.maximum(Z, 0.0)
    r = H @ W2 - Y
    loss = np.mean(r**2)
    g = 2.0 * r / r.size
    dW2 = H.T @ g
    g_z = (g @ W2.T) * (Z > 0)
    dW1 = X.T @ g_z
    return loss, dW1, dW2


# ───────────────────────────── W3: deep chain ─────────────────────────────

LAYERS, WIDTH, BATCH = 200, 32, 16


def chain_data(rng):
    return dict(x=rng.standard_normal((BATCH, WIDTH)),
                Ws=[rng.standard_normal((WIDTH, WIDTH)) / np.sqrt(WIDTH) for _ in range(LAYERS)],
                bs=[rng.standard_normal(WIDTH) * 0.1 for _ in range(LAYERS)])


def chain_fn(d):
    def chain():
        h = gs.input(d["x"], name="x")
        for i in range(LAYERS):
            W, b = gs.param(d["Ws"][i], name=f"W{i}"), gs.param(d["bs"][i], name=f"b{i}")
            h = gnp.tanh(h @ W + b)
        return gnp.sum(h**2)

    return chain


def chain_numpy(d):
    hs = [d["x"]]
    for W, b in zip(d["Ws"], d["bs"]):
        hs.append(np.tanh(hs[-1] @ W + b))
    loss = np.sum(hs[-1] ** 2)
    g = 2.0 * hs[-1]
    grads = []
    for i in range(LAYERS - 1, -1, -1):
        g_z = g * (1.0 - hs[i + 1] * hs[i + 1])
        grads.append((hs[i].T @ g_z, g_z.sum(axis=0)))
        g = g_z @ d["Ws"][i].T
    return loss, grads


# ───────────────────────────── W4: myFunc ─────────────────────────────


def my_func(a):
    while a.norm() < 100:
        a = a * 2
    if a.sum() > 0:
        return a
    return -1 * a


def myfunc_graphstep(a0):
    st = gs.Stepper(gs.trace(my_func, a0)).run()
    return st.grad("a")


def myfunc_numpy(a0):
    a, k = a0, 1.0
    while np.linalg.norm(a) < 100:
        a = a * 2
        k = k * 2  # the chain rule through each doubling
    if a.sum() > 0:
        return a, np.full_like(a0, k)
    return -1 * a, np.full_like(a0, -k)


# ───────────────────────────── torch versions ─────────────────────────────


def torch_contenders(tiny, big, chain, a0) -> dict[str, Callable]:
    if torch is None:
        return {}
    t = {k: torch.tensor(v, requires_grad=k.startswith(("W", "b"))) for k, v in tiny.items()}
    B = {k: torch.tensor(v, requires_grad=k.startswith("W")) for k, v in big.items()}
    Ws = [torch.tensor(w, requires_grad=True) for w in chain["Ws"]]
    bs = [torch.tensor(b, requires_grad=True) for b in chain["bs"]]
    x = torch.tensor(chain["x"])

    def tiny_t():
        H = torch.tanh(t["X"] @ t["W1"] + t["b1"])
        torch.autograd.grad(((H @ t["W2"] + t["b2"] - t["y"]) ** 2).mean(), [t["W1"], t["b1"], t["W2"], t["b2"]])

    def big_t():
        H = torch.relu(B["X"] @ B["W1"])
        torch.autograd.grad(((H @ B["W2"] - B["Y"]) ** 2).mean(), [B["W1"], B["W2"]])

    def chain_t():
        h = x
        for W, b in zip(Ws, bs):
            h = torch.tanh(h @ W + b)
        torch.autograd.grad((h**2).sum(), Ws + bs)

    def myfunc_t():
        a = torch.tensor(a0, requires_grad=True)
        f = my_func(a)
        f.backward()

    return {"W1": tiny_t, "W2": big_t, "W3": chain_t, "W4": myfunc_t}


# ───────────────────────────── memory and tracing ─────────────────────────────


def stepper_memory(graph: gs.Graph) -> tuple[int, int]:
    """(bytes the stepper allocated in a full run, bytes of values and gradients it must hold)."""
    tracemalloc.start()
    st = gs.Stepper(graph).run()
    held, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    must = sum(st.value(n).nbytes for n in graph.op_nodes)  # leaf values belong to the graph
    must += sum(g.nbytes for g in st._grads if g is not None)
    return held, must


def trace_cost(fn: Callable) -> tuple[float, int]:
    """Seconds per recorded node when tracing fn."""
    nodes = len(gs.trace(fn))
    return statistics.median(per_call(lambda: gs.trace(fn)) for _ in range(REPEATS)) / nodes, nodes


def w2_ratio() -> float:
    """Only W2's ratio (run by ``--w2-only`` in a child process with other allocator settings)."""
    big = big_mlp_data(np.random.default_rng(0))
    graph = big_mlp_graph(big)
    return compare({"graphstep": lambda: gs.Stepper(graph).run(), "numpy": lambda: big_mlp_numpy(big)})[
        "graphstep"][1]


def w2_without_trimming() -> float:
    """W2 again with glibc told to keep freed memory: separates page faults from compute."""
    env = dict(os.environ, MALLOC_TRIM_THRESHOLD_=str(1 << 30), MALLOC_MMAP_THRESHOLD_=str(1 << 26))
    out = subprocess.run([sys.executable, __file__, "--w2-only"], env=env, capture_output=True, text=True,
                         check=True).stdout
    return float(out.strip().splitlines()[-1])


def main() -> None:
    if "--w2-only" in sys.argv:
        print(w2_ratio())
        return
    rng = np.random.default_rng(0)
    tiny, big, chain = tiny_mlp_data(rng), big_mlp_data(rng), chain_data(rng)
    a0 = np.array(0.37)
    g_tiny, g_big, g_chain = tiny_mlp_graph(tiny), big_mlp_graph(big), gs.trace(chain_fn(chain))
    workloads = {
        "W1": ("tiny MLP (8×4 → 16 tanh → 1, MSE)", lambda: gs.Stepper(g_tiny).run(), lambda: tiny_mlp_numpy(tiny),
               "≤ 3×", 3.0),
        "W2": ("big MLP (256×784 → 512 relu → 10, MSE)", lambda: gs.Stepper(g_big).run(),
               lambda: big_mlp_numpy(big), "≤ 1.05×", 1.05),
        "W3": (f"deep chain ({LAYERS} tanh layers, width {WIDTH}, batch {BATCH}; {len(g_chain)} nodes)",
               lambda: gs.Stepper(g_chain).run(), lambda: chain_numpy(chain), "≤ 2×", 2.0),
        "W4": ("myFunc with its while loop, tracing included", lambda: myfunc_graphstep(a0),
               lambda: myfunc_numpy(a0), "≤ 5×", 5.0),
    }
    torch_fns = torch_contenders(tiny, big, chain, a0)
    lines = []
    for key, (label, ours, numpy_fn, target, limit) in workloads.items():
        contenders = {"graphstep": ours, "numpy": numpy_fn}
        if key in torch_fns:
            contenders["torch"] = torch_fns[key]
        result = compare(contenders)
        t_ours, ratio = result["graphstep"]
        torch_text = f", torch eager {result['torch'][1]:.2f}×" if "torch" in result else ""
        verdict = "✓" if ratio <= limit else "✗"
        line = (f"{key} {label}: graphstep {t_ours * 1e3:.3f} ms, numpy {result['numpy'][0] * 1e3:.3f} ms, "
                f"ratio {ratio:.2f}× (target {target}) {verdict}{torch_text}")
        print(line, flush=True)
        lines.append(line)
    per_node, nodes = trace_cost(chain_fn(chain))
    line = f"tracing W3: {per_node * 1e6:.2f} µs per recorded node ({nodes} nodes; target ≤ 10 µs) " + (
        "✓" if per_node <= 10e-6 else "✗")
    print(line)
    lines.append(line)
    line = (f"W2 again with glibc keeping freed memory (MALLOC_TRIM_THRESHOLD_/MALLOC_MMAP_THRESHOLD_ raised): "
            f"ratio {w2_without_trimming():.2f}× (separates page faults on the gradients the stepper keeps for "
            "display from arithmetic)")
    print(line)
    lines.append(line)
    held, must = stepper_memory(g_big)
    line = (f"memory W2: stepper holds {held / 1e6:.2f} MB after a full run for {must / 1e6:.2f} MB of values and "
            f"gradients, {held / must:.2f}× (target ≤ 1.5×) " + ("✓" if held / must <= 1.5 else "✗"))
    print(line)
    lines.append(line)
    write_results(lines)


def write_results(lines: list[str]) -> None:
    """Replace the Engine section of RESULTS.md, keeping the other sections."""
    path = Path(__file__).with_name("RESULTS.md")
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    machine = (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
               f"NumPy {np.__version__}" + (f", PyTorch {torch.__version__}" if torch else ", no PyTorch"))
    section = ("## Engine\n\n"
               f"Command: `python benchmarks/bench_engine.py` ({time.strftime('%Y-%m-%d')}; {machine}; "
               f"threads pinned to 1, float64, median of {REPEATS} repeats of ≥ {MIN_SECONDS} s, "
               "ratio = graphstep / hand-written NumPy, taken repeat by repeat).\n\n"
               + "\n".join(f"- {line}" for line in lines) + "\n")
    head, sep, rest = text.partition("## Engine\n")
    tail = rest[rest.find("\n## ") + 1:] if sep and "\n## " in rest else ""
    path.write_text(head.rstrip() + "\n\n" + section + ("\n" + tail if tail else ""))

if __name__ == "__main__":
    sys.exit(main())
