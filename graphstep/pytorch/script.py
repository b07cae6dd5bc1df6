"""Provides the computations of PyTorch files: ``TorchScript`` runs a plain script as ``python FILE`` would, up to
its N-th ``.backward()``; ``TorchComputation`` runs a ``@gs.computation`` whose body uses torch tensors.

Both are what ``gs.load`` returns for such files, zero-argument callables that ``gs.trace`` runs like any other
computation: under a ``Recorder``, so that the graph holds what torch's autograd recorded.  Every run starts from
the same random numbers (torch, NumPy's global generator and ``random`` are seeded from ``gs.rng``, and put back
afterwards), so reloading a script, or checking it again, records the same graph.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import types
from collections.abc import Iterator

import numpy as np
import torch

from ..core.loader import read_source
from ..core.tracer import Tensor, current_tracer, rng
from ..errors import GraphstepError, LoadError
from .recorder import Recorder, Stop


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def compile_file(path: str) -> types.CodeType:
    """The file's code, named by its path so that tracebacks, source lines and node lines point into it."""
    try:
        text = read_source(path)
    except OSError as err:
        raise LoadError(f"cannot read {path}: {err.strerror or err}") from None
    try:
        return compile(text, os.path.abspath(path), "exec", dont_inherit=True)
    except SyntaxError as err:
        raise LoadError(f"syntax error: {err.msg}", source=f"{path}:{err.lineno}",
                        hint=(err.text or "").strip()) from None


@contextlib.contextmanager
def as_program(path: str, argv: list[str]) -> Iterator[None]:
    """What ``python FILE`` gives a script: ``sys.argv``, its folder first on ``sys.path``, and the same random
    numbers every run (seeded from ``gs.rng(0)``: ``graphstep --reseed K`` draws others); all put back after."""
    folder = os.path.dirname(os.path.abspath(path))
    saved = sys.argv, torch.random.get_rng_state(), np.random.get_state(), random.getstate()
    seed = int(rng(0).integers(2**31))
    sys.argv = [path, *argv]
    sys.path.insert(0, folder)
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    try:
        yield
    finally:
        sys.argv = saved[0]
        torch.random.set_rng_state(saved[1])
        np.random.set_state(saved[2])
        random.setstate(saved[3])
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)


class _TorchFile:
    """What both kinds share: the file, the recorder's reference gradients after a run."""

    def __init__(self, path: str, name: str) -> None:
        self.path = path
        self.__name__ = self.__qualname__ = name
        self.__graphstep_computation__ = {"seed": None, "name": name}
        self._reference_nodes: dict[int, np.ndarray] = {}  # torch's own gradient per param node, from the last run

    def _finish(self, recorder: Recorder, output: Tensor | None, seed) -> Tensor:
        """The output of the run, once every call in it is mapped; torch's gradients kept by param node."""
        error = recorder.unmapped_error()
        if error is not None:
            raise error
        self.__graphstep_computation__["seed"] = seed
        self._reference_nodes = dict(recorder.reference)
        return output

    def reference_by_name(self, graph) -> dict[str, np.ndarray]:
        """torch's gradients of the last run by the graph's param names (``net.0.weight``)."""
        return {graph.name_of(n): g for n, g in self._reference_nodes.items()}


class TorchScript(_TorchFile):
    """A plain PyTorch script: run as ``__main__`` up to its ``backward``-th ``.backward()`` call, whose tensor is
    the output and whose ``gradient=`` is the seed."""

    def __init__(self, path: str, backward: int = 1, argv: list[str] | None = None) -> None:
        stem = os.path.splitext(os.path.basename(path))[0]
        super().__init__(path, stem)
        self.backward, self.argv = backward, list(argv or [])

    def __call__(self) -> Tensor:
        tracer = current_tracer("a PyTorch script")
        code = compile_file(self.path)
        scope = {"__name__": "__main__", "__file__": os.path.abspath(self.path), "__builtins__": __builtins__}
        recorder = Recorder(tracer, stop_at=self.backward)
        try:
            with as_program(self.path, self.argv), recorder:
                exec(code, scope)
        except Stop:
            tracer.notes.append(f"recorded up to the {_ordinal(self.backward)} .backward() call, at "
                                f"{recorder.stopped_at}")
            return self._finish(recorder, recorder.output, recorder.seed)
        error = recorder.unmapped_error()
        if error is not None:
            raise error
        calls = recorder.backwards
        raise GraphstepError(
            "the script never calls .backward()" if calls == 0 else
            f"the script calls .backward() {calls} time{'s' if calls != 1 else ''}, so there is no "
            f"{_ordinal(self.backward)} call to record", source=self.path,
            hint="graphstep records a PyTorch script up to its first loss.backward() (--backward N: the N-th)"
                 if calls == 0 else f"choose --backward between 1 and {calls}")


class TorchFunction(_TorchFile):
    """``fn(*args)`` recorded whole, ``args`` torch tensors (those with ``requires_grad`` are the params): torch's
    counterpart of ``gs.trace(fn, *arrays)``, for notebooks and tests.  It returns the output tensor."""

    def __init__(self, fn, args=(), name: str | None = None) -> None:
        super().__init__(getattr(getattr(fn, "__code__", None), "co_filename", ""), name or fn.__name__)
        self.fn, self.args = fn, tuple(args)

    def __call__(self) -> Tensor:
        recorder = Recorder(current_tracer("a PyTorch computation"))
        with self._program(), recorder:
            fn = self._function()
            result = fn(*self.args)
        seed = getattr(fn, "__graphstep_computation__", {}).get("seed")
        output = self._output(recorder, result)
        recorder.keep_reference(result, seed)
        if isinstance(seed, torch.Tensor):
            seed = seed.detach().cpu().numpy()
        return self._finish(recorder, output, seed)

    def _program(self):
        return contextlib.nullcontext()

    def _function(self):
        return self.fn

    def _output(self, recorder: Recorder, result) -> Tensor:
        known = recorder.mirrors.get(result) if isinstance(result, torch.Tensor) else None
        if known is not None:
            return known[0]
        error = recorder.unmapped_error()
        if error is not None:
            raise error
        what = type(result).__name__ if not isinstance(result, torch.Tensor) else "a tensor that needs no gradient"
        raise GraphstepError(f"computation {self.__name__} returned {what}, not a tensor computed from tensors "
                             "that require grad", source=self.path, hint="return the loss itself (not loss.item())")


class TorchComputation(TorchFunction):
    """A ``@gs.computation`` in a file that uses torch: the file runs, then the function, recorded whole; it
    returns the output tensor (a torch scalar, or a tensor with ``seed=``)."""

    def __init__(self, path: str, name: str) -> None:
        super().__init__(self._function, (), name)
        self.path = path

    def _program(self):
        return as_program(self.path, [])

    def _function(self):
        """The file run as a module (inside the recording: its tensors' lines are known), and its computation."""
        module = types.ModuleType(f"graphstep_user_{abs(hash(os.path.abspath(self.path)))}")
        module.__file__ = os.path.abspath(self.path)
        exec(compile_file(self.path), module.__dict__)
        for value in vars(module).values():
            meta = getattr(value, "__graphstep_computation__", None)
            if callable(value) and meta is not None and meta["name"] == self.__name__:
                return value
        raise LoadError(f"no computation named {self.__name__!r} in {self.path}")
