"""Times graphstep's engine against hand-written NumPy, the way a user runs it, and PyTorch eager beside it.

Run:  python benchmarks/bench_engine.py [--repeats N] [--write]

What is timed (the table of issue 12): the graph is traced once, then every call makes a fresh
``Stepper(graph)``, runs it to the end and reads the gradients (``st.grads()``); W4 traces inside the call.
The hand-written NumPy computes the same loss and gradients.  Threads are pinned to 1, float64.

Twice: in this process, where PyTorch is never imported (a user's process has none: importing torch changes the
allocator's behaviour for the whole process), and in a child process that imports torch first and times it too
(skipped with a note when torch cannot be imported).  In each repeat the contenders take turns every few
milliseconds until each has run ``MIN_SECONDS``; a ratio is taken within one repeat, so the load of a shared
machine moves both sides together.  Reported: the median ratio over repeats and its spread (min–max).

Clock: CPU time of this thread (page faults included), with wall time beside it.  On a quiet machine the two
agree; on a shared one the wall clock also counts the time other processes held the CPU.
``--write`` replaces the measured part of RESULTS.md's "Engine" section and keeps its hand-written notes.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

if "--torch-half" in sys.argv:  # the child process: torch is loaded before anything else, as in a torch user's
    try:
        import torch

        torch.set_num_threads(1)
    except Exception as err:  # noqa: BLE001 - missing, or half installed: either way no torch half
        print(json.dumps({"skipped": f"{type(err).__name__}: {err}"}))
        sys.exit(0)
else:
    torch = None

import numpy as np  # noqa: E402

import graphstep as gs  # noqa: E402
from graphstep import numpy as gnp  # noqa: E402

REPEATS = 9
MIN_SECONDS = 0.2  # of CPU time, per contender and repeat
BATCH_SECONDS = 0.02  # contenders take turns this often: a few calls in a row, as a loop in a user's script
TARGETS = {"W1": 2.5, "W2": 1.05, "W3": 1.6, "W4": 15.0}
TRACE_TARGET_US = 6.0
RESULTS = Path(__file__).with_name("RESULTS.md")
NOTES_MARK = "<!-- notes below are hand-written: bench_engine.py --write keeps them -->"


# ───────────────────────────── timing ─────────────────────────────


def per_call(fn: Callable[[], object]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) per call, looping for at least MIN_SECONDS of CPU time after one warm-up call."""
    fn()
    n, cpu0, wall0 = 0, time.thread_time(), time.perf_counter()
    while (cpu := time.thread_time() - cpu0) < MIN_SECONDS:
        fn()
        n += 1
    return cpu / n, (time.perf_counter() - wall0) / n


def compare(contenders: dict[str, Callable], repeats: int) -> dict[str, dict]:
    """Per contender: median CPU and wall seconds per call, and its ratios to 'numpy', one per repeat.

    Within a repeat the contenders take turns in batches of ~``BATCH_SECONDS`` (ABAB…, the order flipping each
    round) until each has run ``MIN_SECONDS``: whatever else the machine does lands on all of them alike.
    """
    batch = {name: max(1, round(BATCH_SECONDS / per_call(fn)[0])) for name, fn in contenders.items()}
    names = list(contenders)
    cpu: dict[str, list[float]] = {k: [] for k in names}
    wall: dict[str, list[float]] = {k: [] for k in names}
    for _ in range(repeats):
        spent = {k: [0.0, 0.0, 0] for k in names}  # CPU, wall, calls
        while min(c for c, _, _ in spent.values()) < MIN_SECONDS:
            names.reverse()
            for name in names:
                fn, n = contenders[name], batch[name]
                cpu0, wall0 = time.thread_time(), time.perf_counter()
                for _ in range(n):
                    fn()
                took = spent[name]
                took[0] += time.thread_time() - cpu0
                took[1] += time.perf_counter() - wall0
                took[2] += n
        for k, (c, w, n) in spent.items():
            cpu[k].append(c / n)
            wall[k].append(w / n)
    return {k: {"cpu": statistics.median(cpu[k]), "wall": statistics.median(wall[k]),
                "ratios": [a / b for a, b in zip(cpu[k], cpu["numpy"], strict=True)],
                "wall_ratios": [a / b for a, b in zip(wall[k], wall["numpy"], strict=True)]} for k in names}


def faults_per_call(fn: Callable[[], object], calls: int = 20) -> float:
    """Minor page faults per call (first writes to memory fresh from the OS)."""
    fn()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(calls):
        fn()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / calls


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
    for W, b in zip(d["Ws"], d["bs"], strict=True):
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
    return gs.Stepper(gs.trace(my_func, a0)).run().grad("a")


def myfunc_numpy(a0):
    a, k = a0, 1.0
    while np.linalg.norm(a) < 100:
        a = a * 2
        k = k * 2  # the chain rule through each doubling
    if a.sum() > 0:
        return a, np.full_like(a0, k)
    return -1 * a, np.full_like(a0, -k)


# ───────────────────────────── PyTorch eager, the same harness ─────────────────────────────


def torch_contenders(tiny, big, chain, a0) -> dict[str, Callable]:
    t = {k: torch.tensor(v, requires_grad=k.startswith(("W", "b"))) for k, v in tiny.items()}
    B = {k: torch.tensor(v, requires_grad=k.startswith("W")) for k, v in big.items()}  # noqa: N806
    Ws = [torch.tensor(w, requires_grad=True) for w in chain["Ws"]]  # noqa: N806
    bs = [torch.tensor(b, requires_grad=True) for b in chain["bs"]]
    x = torch.tensor(chain["x"])

    def tiny_t():
        H = torch.tanh(t["X"] @ t["W1"] + t["b1"])  # noqa: N806
        return torch.autograd.grad(((H @ t["W2"] + t["b2"] - t["y"]) ** 2).mean(),
                                   [t["W1"], t["b1"], t["W2"], t["b2"]])

    def big_t():
        H = torch.relu(B["X"] @ B["W1"])  # noqa: N806
        return torch.autograd.grad(((H @ B["W2"] - B["Y"]) ** 2).mean(), [B["W1"], B["W2"]])

    def chain_t():
        h = x
        for W, b in zip(Ws, bs, strict=True):  # noqa: N806
            h = torch.tanh(h @ W + b)
        return torch.autograd.grad((h**2).sum(), Ws + bs)

    def myfunc_t():
        a = torch.tensor(a0, requires_grad=True)
        my_func(a).backward()
        return a.grad

    return {"W1": tiny_t, "W2": big_t, "W3": chain_t, "W4": myfunc_t}


def torch_recording(chain) -> Callable[[], object]:
    """The chain's forward pass with autograd recording it: what tracing is to graphstep."""
    Ws = [torch.tensor(w, requires_grad=True) for w in chain["Ws"]]  # noqa: N806
    bs = [torch.tensor(b, requires_grad=True) for b in chain["bs"]]
    x = torch.tensor(chain["x"])

    def record():
        h = x
        for W, b in zip(Ws, bs, strict=True):  # noqa: N806
            h = torch.tanh(h @ W + b)
        return (h**2).sum()

    return record


# ───────────────────────────── one half ─────────────────────────────

LABELS = {"W1": "tiny MLP 8×4→16→1", "W2": "big MLP 256×784→512→10", "W3": "200-layer tanh chain",
          "W4": "myFunc, tracing included"}


def run_half(repeats: int, keys: tuple[str, ...] = tuple(TARGETS)) -> dict:
    """Every workload, paired with hand-written NumPy (and torch in the torch half); tracing per node; W2's
    page faults; W4's time by part."""
    rng = np.random.default_rng(0)
    tiny, big, chain = tiny_mlp_data(rng), big_mlp_data(rng), chain_data(rng)
    a0 = np.array(0.37)
    graphs = {"W1": tiny_mlp_graph(tiny), "W2": big_mlp_graph(big), "W3": gs.trace(chain_fn(chain))}
    ours = {key: (lambda g=g: gs.Stepper(g).run().grads()) for key, g in graphs.items()}
    ours["W4"] = lambda: myfunc_graphstep(a0)
    numpy = {"W1": lambda: tiny_mlp_numpy(tiny), "W2": lambda: big_mlp_numpy(big), "W3": lambda: chain_numpy(chain),
             "W4": lambda: myfunc_numpy(a0)}
    theirs = torch_contenders(tiny, big, chain, a0) if torch is not None else {}
    result = {"torch": torch.__version__ if torch is not None else None, "workloads": {}}
    for key in keys:
        contenders = {"graphstep": ours[key], "numpy": numpy[key]} | ({"torch": theirs[key]} if theirs else {})
        result["workloads"][key] = compare(contenders, repeats)
        print(f"  {key} done", file=sys.stderr, flush=True)
    fn, nodes = chain_fn(chain), len(graphs["W3"])
    tracing = {"graphstep": [per_call(lambda: gs.trace(fn))[0] / nodes for _ in range(repeats)]}
    if torch is not None:
        record = torch_recording(chain)
        tracing["torch"] = [per_call(record)[0] / nodes for _ in range(repeats)]
    result["tracing"], result["nodes"] = tracing, nodes
    result["faults"] = {"graphstep": faults_per_call(ours["W2"]), "numpy": faults_per_call(numpy["W2"])}
    result["w4_parts"] = w4_parts(a0)
    return result


def w4_parts(a0) -> dict[str, float]:
    """CPU µs per call of W4's parts: tracing, the graph's first Stepper, its run + grad (the first walk: it takes
    the traced values and compiles the backward half), and a later walk of the same graph for comparison."""
    graph = gs.trace(my_func, a0)

    def median(fn: Callable[[], object]) -> float:
        return statistics.median(per_call(fn)[0] for _ in range(3))

    trace_cpu = median(lambda: gs.trace(my_func, a0))
    fresh = median(lambda: gs.Stepper(gs.trace(my_func, a0)))
    first = statistics.median(_first_walks(a0) for _ in range(3))
    later = median(lambda: gs.Stepper(graph).run().grad("a"))
    return {"trace": trace_cpu * 1e6, "stepper set-up": (fresh - trace_cpu) * 1e6,
            "run + grad": first * 1e6, "later walk": later * 1e6, "nodes": len(graph)}


def _first_walks(a0, graphs: int = 300) -> float:
    """CPU seconds of a freshly traced graph's first walk (run + grad), its Stepper made beforehand: a difference
    of two whole calls would be lost in their noise."""
    steppers = [gs.Stepper(gs.trace(my_func, a0)) for _ in range(graphs)]
    start = time.thread_time()
    for st in steppers:
        st.run().grad("a")
    return (time.thread_time() - start) / graphs


# ───────────────────────────── report ─────────────────────────────


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}× ({min(values):.2f}–{max(values):.2f})"


def report(half: dict, title: str) -> list[str]:
    """The half's lines: a table of ratios against their targets, tracing, W2's faults, W4's parts."""
    torch_col = half["torch"] is not None
    lines = [f"**{title}**", "",
             "| workload | graphstep / NumPy, CPU (spread) | wall clock | target | graphstep | NumPy |"
             + (" PyTorch eager / NumPy |" if torch_col else ""),
             "|---|---:|---:|---:|---:|---:|" + ("---:|" if torch_col else "")]
    for key, w in half["workloads"].items():
        ours, target = w["graphstep"], TARGETS[key]
        mark = "✓" if statistics.median(ours["ratios"]) <= target else "✗"
        wall = statistics.median(ours["wall_ratios"])
        row = (f"| {key} {LABELS[key]} | {spread(ours['ratios'])} {mark} | {wall:.2f}× | ≤ {target:g}× "
               f"| {_ms(ours['cpu'])} | {_ms(w['numpy']['cpu'])} |")
        lines.append(row + (f" {spread(w['torch']['ratios'])} |" if torch_col else ""))
    per_node = [t * 1e6 for t in half["tracing"]["graphstep"]]
    mark = "✓" if statistics.median(per_node) <= TRACE_TARGET_US else "✗"
    line = (f"- tracing W3 ({half['nodes']} nodes): {statistics.median(per_node):.2f} µs per node "
            f"({min(per_node):.2f}–{max(per_node):.2f}), target ≤ {TRACE_TARGET_US:g} µs {mark}")
    if "torch" in half["tracing"]:
        line += f"; PyTorch recording the same forward pass: {statistics.median(half['tracing']['torch']) * 1e6:.2f} µs"
    parts = half["w4_parts"]
    lines += ["", line,
              f"- W2 page faults per call: graphstep {half['faults']['graphstep']:.0f}, "
              f"NumPy {half['faults']['numpy']:.0f}",
              f"- W4 by part (CPU µs per call, {parts['nodes']} nodes): trace {parts['trace']:.0f}, "
              f"first Stepper of the graph {parts['stepper set-up']:.0f}, its run + grad {parts['run + grad']:.0f} "
              f"(a later Stepper of the same graph, run + grad: {parts['later walk']:.0f})"]
    return lines


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms"


def torch_half(repeats: int, only: str) -> dict:
    """The torch half, run in a child process that imports torch first."""
    done = subprocess.run([sys.executable, __file__, "--torch-half", "--repeats", str(repeats), "--only", only],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"skipped": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "the child failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def profile(key: str, seconds: float = 3.0, lines: int = 60) -> None:
    """The workload's call tree under pyinstrument (a measuring tool, installed by hand: never a dependency)."""
    from pyinstrument import Profiler

    rng = np.random.default_rng(0)
    tiny, big, chain = tiny_mlp_data(rng), big_mlp_data(rng), chain_data(rng)
    a0 = np.array(0.37)
    graphs = {"W1": lambda: tiny_mlp_graph(tiny), "W2": lambda: big_mlp_graph(big),
              "W3": lambda: gs.trace(chain_fn(chain))}
    if key == "trace":
        fn = chain_fn(chain)
        work = lambda: gs.trace(fn)  # noqa: E731
    elif key == "W4":
        work = lambda: myfunc_graphstep(a0)  # noqa: E731
    else:
        graph = graphs[key]()
        work = lambda: gs.Stepper(graph).run().grads()  # noqa: E731
    work()
    profiler = Profiler(interval=0.0002)
    profiler.start()
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        work()
    profiler.stop()
    tree = [line for line in profiler.output_text(unicode=True, color=False).splitlines() if "─" in line]
    print("\n".join(tree[:lines]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--write", action="store_true", help="replace the measured part of RESULTS.md's Engine")
    parser.add_argument("--profile", choices=["W1", "W2", "W3", "W4", "trace"],
                        help="print a workload's profile (needs pyinstrument) instead of timing")
    parser.add_argument("--only", default=",".join(TARGETS), help="the workloads to time, e.g. W1,W3 (no --write)")
    parser.add_argument("--torch-half", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    keys = tuple(k for k in args.only.split(",") if k in TARGETS)
    if args.profile:
        profile(args.profile)
        return
    if args.torch_half:
        print(json.dumps(run_half(args.repeats, keys)))
        return
    assert "torch" not in sys.modules, "the first half must run without torch"
    load = [os.getloadavg()[0]]
    print("without torch …", file=sys.stderr)
    plain = run_half(args.repeats, keys)
    load.append(os.getloadavg()[0])
    print("with torch (child process) …", file=sys.stderr)
    with_torch = torch_half(args.repeats, args.only)
    load.append(os.getloadavg()[0])
    lines = report(plain, "In a process without PyTorch (as a user runs graphstep)") + [""]
    if "skipped" in with_torch:
        lines.append(f"**With PyTorch imported first**: skipped ({with_torch['skipped']}).")
    else:
        lines += report(with_torch, f"In a process that imported PyTorch {with_torch['torch']} first")
    text = "\n".join(lines)
    print(text)
    print(f"\nload average (1 min) at start, between halves, at the end: {', '.join(f'{x:.1f}' for x in load)}")
    if args.write and keys == tuple(TARGETS):
        write_results(text, load, args.repeats)


def write_results(text: str, load: list[float], repeats: int) -> None:
    """Replace the measured part of the Engine section, keeping its hand-written notes and the other sections."""
    old = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    head, found, rest = old.partition("## Engine\n")
    end = rest.find("\n## ") if found else -1
    section, tail = (rest[:end + 1], rest[end + 1:]) if end >= 0 else (rest, "")
    notes = section[section.index(NOTES_MARK):].rstrip() + "\n" if NOTES_MARK in section else NOTES_MARK + "\n"
    machine = (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
               f"NumPy {np.__version__}")
    measured = (f"`python benchmarks/bench_engine.py --write` ({time.strftime('%Y-%m-%d')}; {machine}; threads "
                f"pinned to 1, float64; {repeats} repeats, in each the contenders take turns every "
                f"~{BATCH_SECONDS * 1e3:.0f} ms until each has run ≥ {MIN_SECONDS} s of CPU, and the ratio is "
                f"taken within the repeat; median (min–max); load average {', '.join(f'{x:.1f}' for x in load)} "
                "on a machine shared with other work, so CPU time is the figure to read).  Each call: a fresh "
                "`Stepper(graph)`, `run()`, `grads()`; W4 traces inside the call.\n\n")
    RESULTS.write_text(head.rstrip() + "\n\n## Engine\n\n" + measured + text + "\n\n" + notes
                       + ("\n" + tail if tail else ""))


if __name__ == "__main__":
    sys.exit(main())
