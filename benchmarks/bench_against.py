"""Before and after in one process: this checkout's graphstep against another's, on bench_engine's workloads.

Run:  git worktree add /tmp/before HEAD   (or any commit)
      python benchmarks/bench_against.py /tmp/before [--torch] [--only W4,trace] [--repeats 11]

Both packages are loaded side by side (the other one as ``graphstep_before``) and take turns every ~20 ms within
each repeat, with hand-written NumPy between them, until each has run 0.3 s of CPU: the machine's load lands on
both alike, which separate runs of ``bench_engine.py`` minutes apart cannot promise on a shared machine.  Each
line gives the CPU time per call of both, the median of the paired after/before ratios (min–max), and both
ratios to NumPy.  ``--torch`` imports torch first, as a torch user's process has.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

BATCH_SECONDS, MIN_SECONDS = 0.02, 0.3
KEYS = ("W1", "W2", "W3", "W4", "trace")


def load(name: str, root: Path):
    """The graphstep package under ``root``, imported as ``name`` (its imports are relative: it stays itself)."""
    spec = importlib.util.spec_from_file_location(name, root / "graphstep" / "__init__.py",
                                                  submodule_search_locations=[str(root / "graphstep")])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def workloads(bench, gs) -> dict[str, Callable]:
    """bench_engine's workloads on package ``gs``; each call points bench_engine's module globals at it, since
    its computations read ``gs`` and ``gnp`` when they run."""
    gnp = sys.modules[gs.__name__ + ".numpy"]

    def use():
        bench.gs, bench.gnp = gs, gnp

    use()
    rng = bench.np.random.default_rng(0)
    tiny, big, chain = bench.tiny_mlp_data(rng), bench.big_mlp_data(rng), bench.chain_data(rng)
    graphs = {"W1": bench.tiny_mlp_graph(tiny), "W2": bench.big_mlp_graph(big), "W3": gs.trace(bench.chain_fn(chain))}
    fn, a0 = bench.chain_fn(chain), bench.np.array(0.37)
    calls = {key: (lambda g=g: gs.Stepper(g).run().grads()) for key, g in graphs.items()}
    calls["W4"] = lambda: gs.Stepper(gs.trace(bench.my_func, a0)).run().grad("a")
    calls["trace"] = lambda: (use(), gs.trace(fn))  # per node: divided by the graph's size below
    numpy = {"W1": lambda: bench.tiny_mlp_numpy(tiny), "W2": lambda: bench.big_mlp_numpy(big),
             "W3": lambda: bench.chain_numpy(chain), "W4": lambda: bench.myfunc_numpy(a0)}
    return calls, numpy, len(graphs["W3"])


def turns(contenders: dict[str, Callable]) -> dict[str, float]:
    """CPU seconds per call of each contender, taking turns every ~20 ms until each has run MIN_SECONDS."""
    spent = {name: [0.0, 0] for name in contenders}
    while min(cpu for cpu, _ in spent.values()) < MIN_SECONDS:
        for name, fn in contenders.items():
            n, start = 0, time.thread_time()
            while time.thread_time() - start < BATCH_SECONDS:
                fn()
                n += 1
            spent[name][0] += time.thread_time() - start
            spent[name][1] += n
    return {name: cpu / n for name, (cpu, n) in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="the other checkout (a git worktree)")
    parser.add_argument("--torch", action="store_true", help="import torch first")
    parser.add_argument("--only", default=",".join(KEYS))
    parser.add_argument("--repeats", type=int, default=11)
    args = parser.parse_args()
    if args.torch:
        import torch

        torch.set_num_threads(1)
    here = Path(__file__).resolve().parent
    before = load("graphstep_before", args.before.resolve())
    sys.path.insert(0, str(here.parent))
    sys.path.insert(0, str(here))
    import bench_engine as bench  # imports this checkout's graphstep

    ours, numpy, nodes = workloads(bench, bench.gs)
    theirs, _, _ = workloads(bench, before)
    for key in args.only.split(","):
        scale = 1e6 / nodes if key == "trace" else 1e6
        rows = []
        for _ in range(args.repeats):
            contenders = {"before": theirs[key], "after": ours[key]} | ({"numpy": numpy[key]} if key in numpy else {})
            rows.append({name: cpu * scale for name, cpu in turns(contenders).items()})
        print(line(key, rows), flush=True)


def line(key: str, rows: list[dict[str, float]]) -> str:
    """One workload's figures: CPU per call of both, the paired after/before ratio, both ratios to NumPy."""
    def spread(values: list[float]) -> str:
        return f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"

    def median(name: str) -> float:
        return statistics.median(row[name] for row in rows)

    unit = "µs per node" if key == "trace" else "µs"
    text = (f"{key:6s} before {median('before'):9.2f} {unit}, after {median('after'):9.2f}; "
            f"after/before {spread([row['after'] / row['before'] for row in rows])}")
    if "numpy" in rows[0]:
        text += (f"; / NumPy before {spread([row['before'] / row['numpy'] for row in rows])}, "
                 f"after {spread([row['after'] / row['numpy'] for row in rows])}")
    return text


if __name__ == "__main__":
    main()
