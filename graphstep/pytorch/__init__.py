"""Provides the PyTorch front end: ``graphstep script.py`` on a plain PyTorch script records it up to its first
``.backward()`` and steps it like a NumPy computation.

``gs.load`` asks ``front_end`` about every file before importing it; a file that imports torch is this package's
(read statically: a NumPy file never loads torch).  The script then runs under a ``Recorder`` (``recorder``), a
``__torch_function__`` mode that maps each call autograd records onto graphstep's op table (``mapping``,
``functional``) and names leaves after the script's variables (``names``).  torch is an optional extra: this
module imports it only when such a file is loaded, and no other part of graphstep imports it.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass

from ..core import loader, tracer
from ..errors import GraphstepError, LoadError

__all__ = ["INSTALL", "TorchFile", "agreement", "computation", "front_end", "load", "reference_gradients", "scan",
           "select_backward"]

INSTALL = ("pip install 'graphstep[torch]'  (CPU-only build, much smaller: pip install torch --index-url "
           "https://download.pytorch.org/whl/cpu)")


@dataclass(frozen=True)
class TorchFile:
    """What a glance at a file's source tells: it imports torch, and the ``@gs.computation`` functions it defines."""

    path: str
    computations: tuple[str, ...]


def scan(path: str) -> TorchFile | None:
    """The file as a PyTorch file, or None when it does not import torch (read, never run: cheap for NumPy files)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if b"torch" not in data:
        return None
    try:
        tree = ast.parse(loader.read_source(path))
    except (SyntaxError, ValueError, OSError):
        return None  # graphstep's loader reports it
    if not any(_imports_torch(node) for node in ast.walk(tree)):
        return None
    return TorchFile(path, tuple(_computations(tree)))


def _imports_torch(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(alias.name == "torch" or alias.name.startswith("torch.") for alias in node.names)
    return isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "torch"


def _computations(tree: ast.Module):
    """The names of ``@gs.computation`` functions at the top level (``name=`` overrides the function's)."""
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if (target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")) == "computation":
                named = [k.value.value for k in getattr(decorator, "keywords", ()) if k.arg == "name"
                         and isinstance(k.value, ast.Constant)]
                yield named[0] if named else node.name


_selected = {"backward": 1}


def select_backward(n: int | None, target: str | None = None) -> None:
    """Which ``.backward()`` call of a script ``gs.load`` records from now on: the command line's ``--backward N``
    for ``target``, which must then be a PyTorch script; None for the first."""
    if n is None:
        _selected["backward"] = 1
        return
    if n < 1:
        raise GraphstepError(f"--backward counts .backward() calls from 1, not {n}")
    if target is not None:
        path, _ = loader.split_target(str(target))
        if os.path.isfile(path) and scan(path) is None:
            raise GraphstepError(f"--backward picks a .backward() call of a PyTorch script, and {path} does not "
                                 "import torch", hint="drop --backward for a NumPy computation file")
    _selected["backward"] = n


def front_end(path: str, name: str | None):
    """``gs.load``'s question to this front end: the computation of a PyTorch file, None for any other file."""
    found = scan(path)
    return None if found is None else load(path, name, backward=_selected["backward"], scanned=found)


def load(target: str, name: str | None = None, *, backward: int = 1, argv: list[str] | None = None,
         scanned: TorchFile | None = None):
    """The computation of a PyTorch file: a script recorded up to its ``backward``-th ``.backward()`` call (run
    with ``sys.argv = [path, *argv]``), or its ``@gs.computation`` (``name`` picks one of several)."""
    path, split = loader.split_target(str(target))
    name = name if name is not None else split
    found = scanned or scan(path)
    if found is None:
        raise LoadError(f"{path} does not import torch", hint="gs.load reads NumPy computation files")
    _require_torch(path)
    from .script import TorchComputation, TorchScript

    if not found.computations:
        if name is not None:
            raise LoadError(f"{path} is a PyTorch script with no computation named {name!r}",
                            hint=f"graphstep records the whole script: give {path} alone")
        return TorchScript(path, backward=backward, argv=argv)
    if name is None and len(found.computations) > 1:
        raise LoadError(f"{path} holds several computations: {', '.join(found.computations)}",
                        hint=f"choose one with {path}:{found.computations[0]}")
    chosen = name or found.computations[0]
    if chosen not in found.computations:
        raise LoadError(f"no computation named {chosen!r} in {path}",
                        hint=f"computations here: {', '.join(found.computations)}")
    return TorchComputation(path, chosen)


def computation(fn, *tensors, name: str | None = None):
    """``fn(*tensors)`` as a computation for ``gs.trace``: torch's counterpart of ``gs.trace(fn, *arrays)``, where
    the tensors that require grad are the params (named after ``fn``'s variables, as a script's are)."""
    _require_torch("this computation")
    from .script import TorchFunction

    return TorchFunction(fn, tensors, name)


def _require_torch(path: str) -> None:
    try:
        import torch  # noqa: F401 - only to know it is there
    except ImportError:
        raise LoadError(f"{path} is a PyTorch script, and torch is not installed: {INSTALL}") from None
    _look_through()


def _look_through() -> None:
    """Nodes made inside torch and this package's machinery carry the user's lines.  A module's call
    (``Module._call_impl``) is a naming frame, as ``functional`` is: everything ``logits = net(X)`` makes is one
    statement, so only its result is called ``logits``."""
    import torch

    modules = os.path.dirname(torch.nn.modules.module.__file__)
    tracer.look_through(os.path.join(modules, "module.py"), naming=True)
    tracer.look_through(os.path.dirname(torch.__file__))
    here = os.path.dirname(os.path.abspath(__file__))
    for module in ("__init__.py", "mapping.py", "names.py", "recorder.py", "script.py"):
        tracer.look_through(os.path.join(here, module))


def reference_gradients(target: str, *, backward: int = 1) -> dict:
    """torch's own ``.grad`` of each param for the chosen ``.backward()`` call, by graphstep's param names: the
    script run again, recorded as ``gs.trace(gs.load(target))`` records it."""
    from ..core.graph import trace

    computation = load(target, backward=backward)
    graph = trace(computation)
    return computation.reference_by_name(graph)


def agreement(target: str, grads: dict, *, backward: int | None = None) -> tuple[list[str], bool] | None:
    """``graphstep run --check``'s comparison with torch's autograd: one line per param, and whether all agree.
    None when ``target`` is not a PyTorch file."""
    path, _ = loader.split_target(str(target))
    if scan(path) is None:
        return None
    import numpy as np

    reference = reference_gradients(target, backward=backward or _selected["backward"])
    pairs = {name: (np.zeros(()) if g is None else np.asarray(g), reference.get(name)) for name, g in grads.items()}
    pairs = {name: (mine, np.zeros_like(mine) if theirs is None else theirs) for name, (mine, theirs) in pairs.items()}
    # a difference is relative to the gradient, floored at 1/1000 of the largest one: torch's float32 rounding
    # noise (1e-9) on a gradient that is exactly 0 in graphstep is no disagreement
    largest = max((float(np.max(np.abs(t), initial=0.0)) for _, t in pairs.values()), default=0.0)
    lines, ok = [], True
    for name, (mine, theirs) in pairs.items():
        same_shape = mine.shape == theirs.shape
        scale = max(float(np.max(np.abs(theirs), initial=0.0)), 1e-3 * largest, 1e-30)
        diff = float(np.max(np.abs(mine.astype(float) - theirs.astype(float)), initial=0.0)) / scale \
            if same_shape else float("inf")
        agrees = same_shape and diff <= (1e-4 if mine.dtype.itemsize <= 4 else 1e-7)
        ok &= agrees
        lines.append(f"torch autograd {'agrees' if agrees else 'DISAGREES'}: {name} max rel diff {diff:.2g}"
                     + ("" if same_shape else f" (shapes {mine.shape} and torch's {theirs.shape})"))
    return lines, ok


loader.FRONT_ENDS.append(front_end)
