"""Provides ``Recorder``: a ``TorchFunctionMode`` under which a PyTorch program runs exactly as it would, while every
call that autograd records is recorded into graphstep's tracer as the op-table nodes a NumPy file makes.

Why ``__torch_function__`` and not ``TorchDispatchMode``: measured on an ``nn.Sequential`` MLP with
``nn.CrossEntropyLoss`` (``tests/pytorch/test_modes.py`` keeps the measurement), the function mode sees the calls
the user wrote, ``linear relu linear cross_entropy``: 4 calls for the forward pass.  The dispatch mode sees ATen
after autograd has decomposed them, ``t addmm relu detach t addmm _log_softmax detach nll_loss_forward``, and
then 24 more calls of torch's own backward pass.  Both survive ``nn.Module`` code (a module calls the functional
API, which both see), but a learner reads ``linear`` and ``cross_entropy``, while ``addmm`` and
``nll_loss_forward`` hide the formula and ``detach`` is noise.  It is also the cheaper one: that MLP's forward and
backward took 210 µs plain, 233 µs under a pass-through function mode and 498 µs under a pass-through dispatch mode
(medians of 300 runs, interleaved in one process on a shared 2-core machine).  So calls are recorded at the level
the user wrote, and composites are decomposed here (``functional``) into primitives grouped under the call.

Torch computes every value the program sees; graphstep recomputes each recorded call with NumPy from its mirrors
and checks that the two agree, so a wrong mapping fails loudly where it happens.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
import threading

import numpy as np
import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode
from torch.utils.weak import WeakIdKeyDictionary

from ..core.tracer import Tensor, apply, const, input, param, scope
from ..errors import GraphstepError, UnsupportedError
from ..text import display_path, fmt_shape
from .mapping import TABLE, Mapping, Unmappable, numpy_dtype
from .names import NOT_USER, child_name, module_name, tensor_name, user_frames

_current = threading.local()  # the recorder of the thread running the user's program


class Stop(BaseException):  # noqa: N818 - a control-flow signal, like StopIteration
    """The chosen ``.backward()`` was reached: the program stops there (a BaseException: ``except Exception``
    in the user's code cannot swallow it)."""


class MappingError(GraphstepError):
    """graphstep's NumPy value of a recorded call differs from torch's: a bug in the mapping, never carried on."""


class _Poisoned(Exception):  # noqa: N818
    """A tensor made by a call graphstep could not map: what depends on it is not recorded either."""


FACTORIES = frozenset(getattr(torch, name) for name in (
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "arange", "linspace", "logspace", "eye",
    "rand", "randn", "randint", "normal", "zeros_like", "ones_like", "full_like", "rand_like", "randn_like"))
BACKWARDS = (torch.Tensor.backward, torch.autograd.backward, torch.autograd.grad)
DROPOUTS = (F.dropout, torch.dropout)
_DROPOUT = Mapping(None, "F.dropout")
_CALL_IMPL = torch.nn.Module._call_impl.__code__  # the frame of every module call


def _line() -> tuple[str, int]:
    """The user's file and line running now."""
    frames = user_frames()
    return (frames[0].f_code.co_filename, frames[0].f_lineno) if frames else ("", 0)


def _source() -> str:
    file, line = _line()
    return f"{display_path(file)}:{line}" if file else ""


def _tensors(obj):
    """The tensors in a call's arguments or result, also inside lists, tuples and dicts."""
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _tensors(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _tensors(item)


def _made_by_autograd(result) -> bool:
    """Whether autograd recorded the call that made ``result`` (some tensor of it has a grad_fn)."""
    return any(t.grad_fn is not None for t in _tensors(result))


def _mutates(func, kwargs) -> bool:
    """An in-place call: ``x.add_(y)``, ``x += y``, ``x[i] = v``, ``F.relu(x, inplace=True)``."""
    name = getattr(func, "__name__", "")
    return (name.endswith("_") and not name.endswith("__")) or name == "__setitem__" or bool(kwargs.get("inplace"))


def torch_name(func) -> str:
    """How the user wrote the function: ``Tensor.exp``, ``torch.exp``, ``torch.nn.functional.gelu``, ``Tensor.T``."""
    entry = TABLE.get(func)
    if entry is not None:
        return entry.title.replace("F.", "torch.nn.functional.", 1)
    qualname = getattr(func, "__qualname__", "") or ""
    if qualname.endswith("__get__") and hasattr(func, "__self__"):
        return f"Tensor.{func.__self__.__name__}"
    for prefix, shown in (("TensorBase.", "Tensor."), ("Tensor.", "Tensor."), ("_VariableFunctionsClass.", "torch.")):
        if qualname.startswith(prefix):
            return shown + qualname[len(prefix):]
    module = (getattr(func, "__module__", None) or "torch").replace("torch._C._nn", "torch.nn.functional")
    return f"{module}.{getattr(func, '__name__', repr(func))}"


class Recorder(TorchFunctionMode):
    """Records a PyTorch program into the active tracer.  ``stop_at``: the ``.backward()`` call (1-based) where a
    script stops; only what runs after the one before it is recorded.  None for a computation: all of it."""

    def __init__(self, tracer, *, stop_at: int | None = None) -> None:
        super().__init__()
        self.tracer, self.stop_at = tracer, stop_at
        self.backwards = 0
        self.recording = stop_at is None or stop_at == 1
        self.mirrors = WeakIdKeyDictionary()  # torch tensor → (its graphstep Tensor, torch's version counter then)
        self.poisoned = WeakIdKeyDictionary()  # tensors made by calls graphstep cannot map
        self.born = WeakIdKeyDictionary()  # tensor → (file, line) of the user's line that made it
        self.params: dict[int, torch.Tensor] = {}  # param node → the torch leaf it mirrors
        self.unmapped: dict[tuple[str, str], None] = {}  # (function, "file:line"), in order
        self.modules: list[tuple] = []  # per module call running: (its frame, name, built-in?, scope, first node)
        self._names: dict[int, tuple] = {}  # id(module) → (module, its name or None)
        self._indices: dict[int, tuple] = {}  # id(array) → (array, name): the script's integer tensors, converted
        self._run: list = [None, 0]  # the outermost torch call running from the user's line, its nodes so far
        self.output: Tensor | None = None
        self.seed: np.ndarray | None = None
        self.reference: dict[int, np.ndarray] = {}  # param node → torch's own gradient at the stop
        self.stopped_at = ""  # "file:line" of the .backward() call recorded

    # ── entering and leaving ──

    def __enter__(self):
        _current.recorder = self
        return super().__enter__()

    def __exit__(self, *exc):
        try:
            return super().__exit__(*exc)
        finally:
            self._close_modules([])
            _current.recorder = None

    # ── the mode ──

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in BACKWARDS:
            return self._backward(func, args, kwargs)
        if func in DROPOUTS:
            return self._dropout(func, args, kwargs)
        if _mutates(func, kwargs):
            return self._in_place(func, args, kwargs)
        try:
            result = func(*args, **kwargs)
        except (RuntimeError, ValueError, IndexError):  # torch refused the arguments: a shape mismatch, say
            self._refused(func, args, kwargs)
            raise
        if func in FACTORIES:
            self._note_birth(result)
        if torch.is_grad_enabled() and _made_by_autograd(result):
            self._record(func, args, kwargs, result)
        return result

    def _refused(self, func, args, kwargs) -> None:
        """A call torch refused, given to its mapping: graphstep's op refuses it too, with its own message naming
        the operands and their shapes, and keeps it as the failed node the views draw (``core.partial``).  Where
        the mapping cannot take the call, torch's own error stands."""
        entry = TABLE.get(func)
        if entry is None or not self.recording or not torch.is_grad_enabled():
            return
        try:
            self._map(entry, args, kwargs, None)
        except (Unmappable, _Poisoned, MappingError):
            return
        except GraphstepError as err:
            raise err from None

    def _record(self, func, args, kwargs, result) -> None:
        """Record a call autograd recorded: map it, or list it as unmapped (and what depends on it as untracked)."""
        entry = TABLE.get(func)
        if entry is None or "out" in kwargs and kwargs["out"] is not None:
            self._unmapped(torch_name(func) + ("(out=…)" if entry else ""), result)
            return
        if not self.recording:
            return
        try:
            mirror = self._map(entry, args, kwargs, result)
        except Unmappable as why:
            self._unmapped(f"{torch_name(func)} ({why})", result)
            return
        except _Poisoned:
            self._poison(result)
            return
        self._link(result, mirror, entry)

    def _map(self, entry: Mapping, args, kwargs, result):
        """Convert the arguments (leaves for tensors seen for the first time, outside the call's group), then run
        the handler, inside a group for a composite called by the user's code."""
        if entry.raw:
            bound = inspect.signature(entry.handler).bind(result, *args, **kwargs)
            for name in entry.raw & bound.arguments.keys():
                bound.arguments[name] = self._raw(bound.arguments[name])
            args, kwargs = bound.args[1:], bound.kwargs
        calls = self._module_calls()
        self._close_modules(calls)
        first = len(self.tracer.nodes)
        args, kwargs = self._convert(args), self._convert(kwargs)  # leaves for new tensors, outside new groups
        with self._group(calls, entry.title, entry.composite):
            try:
                mirror = entry.handler(result, *args, **kwargs)
            except (Unmappable, _Poisoned, GraphstepError):
                raise
            except Exception as err:  # torch took these arguments: graphstep must too
                raise MappingError(f"graphstep's mapping of {entry.title} failed on arguments torch accepts "
                                   f"({type(err).__name__}: {err}): a bug in graphstep's PyTorch mapping",
                                   source=_source()) from err
        self._name_indices(first)
        self._one_instruction(first)
        return mirror

    def _one_instruction(self, first: int) -> None:
        """The nodes that one run of a user's instruction makes (``net(X)``: every layer) stand at increasing
        fractions of its bytecode offset, k-th at ``offset + 1 − 1/(k+2)``: grouping then reads them as one
        instruction run once, where equal offsets would read as the instruction run again, a new loop iteration.
        A run is one outermost torch call from the user's line: a module call, or one function call."""
        run = _outermost_call()
        if run is not self._run[0]:
            self._run = [run, 0]
        for node in self.tracer.nodes[first:]:
            if node.stack:
                call, line, offset = node.stack[-1]
                node.stack = (*node.stack[:-1], (call, line, offset + 1.0 - 1.0 / (self._run[1] + 2)))
                self._run[1] += 1

    def _name_indices(self, first: int) -> None:
        """``logp[arange(8), y]``: an index that was the script's integer tensor is written with its name."""
        for node in self.tracer.nodes[first:]:
            if node.index_text is not None and self._indices:
                index = node.params["index"]
                parts = index if isinstance(index, tuple) else (index,)
                node.index_text = tuple(self._index_name(p) or text for p, text in zip(parts, node.index_text))

    def _index_name(self, part) -> str | None:
        known = self._indices.get(id(part))
        return known[1] if known is not None and known[0] is part else None

    def _group(self, calls: list, title: str, composite: bool):
        """The module calls around this call become groups; a composite the user called (not a built-in
        module's one functional call) is a group of its own."""
        self._open_modules(calls)
        builtin = self.modules and self.modules[-1][2]
        return scope(title) if composite and not builtin else contextlib.nullcontext()

    def _in_place(self, func, args, kwargs):
        """``x.add_(y)`` with autograd recording: the out-of-place op on x's value before, and x's mirror moves on
        to it, as graphstep's own ``x += y``.  Under ``torch.no_grad()`` nothing is recorded: a mirror whose tensor
        changes is noticed by its version counter when next used."""
        target = kwargs.get("tensor", args[0] if args else None)
        watched = torch.is_grad_enabled() and any(t.requires_grad for t in _tensors((args, kwargs)))
        entry = TABLE.get(func)
        if not watched or not self.recording or entry is None or not isinstance(target, torch.Tensor):
            result = func(*args, **kwargs)
            self._note_birth(target)
            if watched and _made_by_autograd(result):
                self._record(func, args, kwargs, result)
            return result
        try:
            mirror = self._map(entry, args, kwargs, None)
        except Unmappable as why:
            result = func(*args, **kwargs)
            self._unmapped(f"{torch_name(func)} ({why})", result)
            return result
        except _Poisoned:
            result = func(*args, **kwargs)
            self._poison(result)
            return result
        result = func(*args, **kwargs)
        self._link(target, mirror, entry)
        return result

    # ── tensors and their mirrors ──

    def _convert(self, obj):
        """Arguments for a handler: float tensors as mirrors, other tensors as NumPy arrays, dtypes as NumPy's."""
        if isinstance(obj, torch.Tensor):
            return self.mirror(obj) if obj.is_floating_point() else self._indexing(obj)
        if isinstance(obj, torch.Size):
            return tuple(obj)
        if isinstance(obj, tuple):
            return tuple(self._convert(x) for x in obj)
        if isinstance(obj, list):
            return [self._convert(x) for x in obj]
        if isinstance(obj, dict):
            return {k: self._convert(v) for k, v in obj.items()}
        if isinstance(obj, torch.dtype):
            return numpy_dtype(obj)
        return obj

    def _indexing(self, t: torch.Tensor) -> np.ndarray:
        """An integer or boolean tensor (labels, indices, a mask) as a NumPy array, remembered by its name."""
        array = self._raw(t)
        name = tensor_name(t, user_frames())
        if name is not None:
            self._indices[id(array)] = (array, name)
        return array

    @staticmethod
    def _raw(t):
        if not isinstance(t, torch.Tensor):
            return t
        if t.dtype in (torch.bfloat16, torch.complex64, torch.complex128):
            raise Unmappable(f"a {str(t.dtype)[6:]} tensor (graphstep computes in NumPy's float16/32/64)")
        return t.detach().cpu().numpy().copy()

    def mirror(self, t: torch.Tensor) -> Tensor:
        """The graphstep Tensor standing for ``t``: the one recorded, or a new leaf for a tensor seen first."""
        if t in self.poisoned:
            raise _Poisoned
        known = self.mirrors.get(t)
        if known is not None:
            mirror, version = known
            if t._version == version:
                return mirror
            if t.requires_grad:
                raise UnsupportedError(
                    f"{mirror.name or 'a tensor'} {fmt_shape(tuple(t.shape))} was changed in place after the recorded "
                    "computation used it", source=_source(),
                    hint="change parameters (an SGD step under torch.no_grad()) after .backward(), or make a new "
                         "tensor (w = w - lr * g) instead of changing it in place")
        if t.requires_grad and not t.is_leaf:
            raise self._untracked(t)
        leaf = self._leaf(t)
        self.mirrors[t] = (leaf, t._version)
        return leaf

    def _leaf(self, t: torch.Tensor) -> Tensor:
        """A new leaf for ``t``: a param when it requires grad, an input when a variable names it, else a const."""
        name = tensor_name(t, user_frames())
        value = self._raw(t)
        if t.requires_grad:
            leaf = param(value, name=name or "param")
            self.params[leaf.node] = t
        elif name is not None:
            leaf = input(value, name=name)
        else:
            leaf = const(value)
        born = self.born.get(t)
        if born is not None:
            node = self.tracer.nodes[leaf.node]
            node.file, node.line, node.source = born[0], born[1], f"{display_path(born[0])}:{born[1]}"
        return leaf

    def _untracked(self, t: torch.Tensor) -> GraphstepError:
        name = tensor_name(t, user_frames()) or "a tensor"
        if self.stop_at is not None and self.stop_at > 1:
            return UnsupportedError(
                f"{name} {fmt_shape(tuple(t.shape))} needs a gradient but was computed before .backward() call "
                f"{self.stop_at - 1}, where graphstep's recording of call {self.stop_at} begins", source=_source(),
                hint="compute it again after each .backward() (inside the loop), or .detach() it")
        return UnsupportedError(f"graphstep did not see how {name} {fmt_shape(tuple(t.shape))} was computed",
                                source=_source(), hint="it was made outside the program graphstep ran")

    def _note_birth(self, result) -> None:
        """Remember the user's line that made a tensor (a factory call, a parameter's initialisation), so its leaf
        points there rather than at its first use."""
        for t in _tensors(result):
            if t not in self.born and (t.is_leaf or not t.requires_grad):
                self.born[t] = _line()

    def _link(self, result, mirror, entry: Mapping) -> None:
        """Pair torch's result with graphstep's, checking that the two computed the same values."""
        if isinstance(result, torch.Tensor):
            if mirror is None or not result.requires_grad:
                return
            dtype = numpy_dtype(result.dtype)
            if mirror.dtype != dtype:  # NumPy promotes int tensors with floats to float64 where torch keeps float32
                mirror = mirror.astype(dtype)
            self._check(result, mirror, entry)
            self.mirrors[result] = (mirror, result._version)
            return
        if isinstance(result, (tuple, list)):
            parts = mirror if isinstance(mirror, (tuple, list)) else (mirror,)
            for part, piece in zip(result, parts):
                self._link(part, piece, entry)

    def _check(self, result: torch.Tensor, mirror: Tensor, entry: Mapping) -> None:
        ours, theirs = mirror.value, result.detach().cpu().numpy()
        if ours.shape != theirs.shape:
            raise MappingError(f"graphstep's {entry.title} gives shape {fmt_shape(ours.shape)}, torch's "
                               f"{fmt_shape(theirs.shape)}: a bug in graphstep's PyTorch mapping", source=_source())
        tol = 1e-3 if theirs.dtype.itemsize <= 4 else 1e-8
        scale = float(np.max(np.abs(theirs), initial=0.0, where=np.isfinite(theirs)))
        if not np.allclose(ours, theirs, rtol=tol, atol=tol * (1.0 + scale), equal_nan=True):
            diff = float(np.nanmax(np.abs(ours.astype(float) - theirs.astype(float))))
            raise MappingError(f"graphstep's {entry.title} computes values that differ from torch's by up to "
                               f"{diff:.3g}: a bug in graphstep's PyTorch mapping", source=_source())

    def _poison(self, result) -> None:
        for t in _tensors(result):
            self.poisoned[t] = True

    def _unmapped(self, what: str, result) -> None:
        """A call graphstep cannot record: listed when it is in the recorded part, and what it made is poisoned."""
        if self.recording:
            self.unmapped.setdefault((what, _source()), None)
        self._poison(result)

    def unmapped_error(self) -> UnsupportedError | None:
        """Every call graphstep could not map, with the user's line: one error listing them all."""
        if not self.unmapped:
            return None
        calls = [f"{what} at {where}" for what, where in self.unmapped]
        listed = calls[0] if len(calls) == 1 else "; ".join(calls)
        verb = "is" if len(calls) == 1 else "are"
        return UnsupportedError(
            f"{listed} {verb} not in graphstep's PyTorch mapping, so the gradient through "
            f"{'it' if len(calls) == 1 else 'them'} cannot be stepped", source=next(iter(self.unmapped))[1],
            hint="README's 'PyTorch scripts' section lists what maps; write the function with those "
                 "(e.g. F.gelu(x, approximate='tanh')), or .detach() what needs no gradient")

    # ── modules: a call is a group, its output is named after it ──

    @staticmethod
    def _module_calls() -> list:
        """The module calls running, outermost first: the frames of torch's ``Module._call_impl``.

        Read off the stack rather than from hooks: global hooks would change how torch calls every module, and a
        thread's frames are its own.
        """
        calls, frame = [], sys._getframe(1)
        while frame is not None:
            if frame.f_code is _CALL_IMPL:
                calls.append(frame)
            frame = frame.f_back
        calls.reverse()
        return calls

    def _close_modules(self, calls: list) -> None:
        """Close the groups of module calls that have returned; each one's last node is its output, called by the
        module's name (``net.0``) unless the user's statement names it."""
        same = 0
        while same < min(len(calls), len(self.modules)) and calls[same] is self.modules[same][0]:
            same += 1
        while len(self.modules) > same:
            _, name, _, opened, first = self.modules.pop()
            opened.__exit__(None, None, None)
            last = len(self.tracer.nodes) - 1
            if name is not None and last >= first:
                node = self.tracer.nodes[last]
                if node.kind == "op" and node.name is None:
                    node.name = name

    def _open_modules(self, calls: list) -> None:
        """A group for each module call running that has none yet: ``net: Sequential``, ``net.0: Linear``."""
        for frame in calls[len(self.modules):]:
            module = frame.f_locals["self"]
            name = self._module_name(module)
            opened = scope(f"{name}: {type(module).__name__}" if name else type(module).__name__)
            opened.__enter__()
            self.modules.append((frame, name, type(module).__module__.startswith("torch.nn.modules"), opened,
                                 len(self.tracer.nodes)))

    def _module_name(self, module) -> str | None:
        """``net`` for a module in the user's variable, ``net.0`` for its first layer, None for an anonymous one."""
        known = self._names.get(id(module))
        if known is not None and known[0] is module:
            return known[1]
        name = None
        for frame, outer, _, _, _ in reversed(self.modules):
            if outer is not None:
                name = child_name(frame.f_locals["self"], outer, module)
                if name is not None:
                    break
        if name is None:
            name = module_name(module, user_frames())
        self._names[id(module)] = (module, name)
        return name

    # ── randomness and the end ──

    def _dropout(self, func, args, kwargs):
        """Dropout as the mask it drew: torch draws it (so the program's random numbers are unchanged), the
        same mask is drawn first on ones, and the record is ``x ⊙ mask / (1 − p)``."""
        bound = inspect.signature(F.dropout).bind(*args, **kwargs)
        bound.apply_defaults()
        x, p, training = bound.arguments["input"], float(bound.arguments["p"]), bool(bound.arguments["training"])
        if not (self.recording and torch.is_grad_enabled() and x.requires_grad):
            return func(*args, **kwargs)
        if not training or p == 0:  # the identity
            result = func(*args, **kwargs)
            if result is not x:
                self._link(result, self.mirror(x), _DROPOUT)
            return result
        if p >= 1:
            result = func(*args, **kwargs)
            self._unmapped("torch.nn.functional.dropout (p=1)", result)
            return result
        state = torch.get_rng_state()
        keep = F.dropout(torch.ones_like(x), p, True).detach().cpu().numpy() != 0
        torch.set_rng_state(state)
        try:
            source = self.mirror(x)
        except _Poisoned:
            result = func(*args, **kwargs)
            self._poison(result)
            return result
        result = func(*args, **kwargs)
        calls = self._module_calls()
        self._close_modules(calls)
        first = len(self.tracer.nodes)
        with self._group(calls, "F.dropout", True):
            mirror = apply("multiply", source, const(keep, name="mask")) / (1.0 - p)
        self._one_instruction(first)
        self._link(result, mirror, _DROPOUT)
        return result

    def _backward(self, func, args, kwargs):
        """``loss.backward()``: torch's own backward runs (the program goes on as it would); the chosen call
        stops the program, with its tensor as the output, its ``gradient`` as the seed, and torch's gradients
        kept to compare with graphstep's."""
        tensor, gradient = _backward_arguments(func, args, kwargs)
        self.backwards += 1
        if self.stop_at is None:  # a computation that calls backward itself: torch's runs, nothing stops
            return func(*args, **kwargs)
        if self.backwards < self.stop_at:
            result = func(*args, **kwargs)
            if self.backwards + 1 == self.stop_at:
                self.recording = True  # from here on, up to the chosen call
            return result
        if not self.recording:
            return func(*args, **kwargs)
        error = self.unmapped_error()
        if error is not None:
            raise error
        before = {n: None if t.grad is None else t.grad.clone() for n, t in self.params.items()}
        result = func(*args, **kwargs)  # torch's own backward: its errors are the user's, as under python
        self._keep_reference(func, args, kwargs, result, before)
        known = self.mirrors.get(tensor)
        if known is None:
            raise UnsupportedError("graphstep did not see how the tensor .backward() starts from was computed",
                                   source=_source())
        self.output = known[0]
        self.seed = None if gradient is None else self._raw(gradient)
        self.stopped_at = _source()
        raise Stop

    def keep_reference(self, output: torch.Tensor, seed) -> None:
        """torch's gradient of each param for a computation's output (seeded as graphstep seeds it: ones when
        no seed is given), by ``torch.autograd.grad``: no ``.grad`` changes."""
        params = [(n, t) for n, t in self.params.items() if t.requires_grad]
        if not params:
            return
        seed = torch.ones_like(output) if seed is None else torch.as_tensor(seed, dtype=output.dtype)
        with torch._C.DisableTorchFunction():
            grads = torch.autograd.grad(output, [t for _, t in params], seed, allow_unused=True)
        for (n, _), grad in zip(params, grads):
            if grad is not None:
                self.reference[n] = grad.detach().cpu().numpy().copy()

    def _keep_reference(self, func, args, kwargs, result, before) -> None:
        """torch's gradient of each param for this call alone (``.grad`` minus what had accumulated before)."""
        if func is torch.autograd.grad:
            inputs = kwargs.get("inputs", args[1] if len(args) > 1 else ())
            inputs = (inputs,) if isinstance(inputs, torch.Tensor) else tuple(inputs)
            for n, t in self.params.items():
                k = next((i for i, x in enumerate(inputs) if x is t), None)
                if k is not None and result[k] is not None:
                    self.reference[n] = result[k].detach().cpu().numpy().copy()
            return
        for n, t in self.params.items():
            if t.grad is not None:
                grad = t.grad if before[n] is None else t.grad - before[n]
                self.reference[n] = grad.detach().cpu().numpy().copy()


def _backward_arguments(func, args, kwargs):
    """(the tensor backward starts from, the gradient given for it or None), for the three spellings."""
    if func is torch.Tensor.backward:
        bound = inspect.signature(torch.Tensor.backward).bind(*args, **kwargs)
        tensor, gradient = bound.arguments["self"], bound.arguments.get("gradient")
        refuse = bound.arguments.get("inputs") is not None
    else:
        first, second = ("outputs", "grad_outputs") if func is torch.autograd.grad else ("tensors", "grad_tensors")
        bound = inspect.signature(func).bind(*args, **kwargs)
        tensor, gradient = bound.arguments[first], bound.arguments.get(second)
        refuse = func is torch.autograd.backward and bound.arguments.get("inputs") is not None
        tensor, gradient = _single(tensor), _single(gradient)
    if refuse:
        raise UnsupportedError(".backward(inputs=...) accumulates into some leaves only: graphstep steps "
                               "the gradient of every param", source=_source(), hint="drop inputs=")
    return tensor, gradient


def _single(x):
    if isinstance(x, (tuple, list)):
        if len(x) != 1:
            raise UnsupportedError(f"backward of {len(x)} tensors at once: graphstep steps one output",
                                   source=_source(), hint="sum them into one loss first")
        return x[0]
    return x


def _outermost_call():
    """What one run of the user's instruction is: the outermost module call below the user's frame (its
    ``_call_impl`` frame), or a token of its own for a plain function call."""
    frame, outermost = sys._getframe(2), None
    while frame is not None and frame.f_code.co_filename.startswith(NOT_USER):
        if frame.f_code is _CALL_IMPL:
            outermost = frame
        frame = frame.f_back
    return outermost if outermost is not None else object()


def current() -> Recorder | None:
    """The recorder running the user's program on this thread."""
    return getattr(_current, "recorder", None)
