"""graphstep: make backpropagation visible, one node at a time.

The engine (tracer, graph, stepper, gradient check) imports neither textual nor
graphviz; ``export`` and the TUI load them only when used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from . import nn, numpy
from . import pytorch as _pytorch  # noqa: F401 - gs.load reads PyTorch scripts (torch itself loads only then)
from .analysis import grouping as _grouping  # noqa: F401 - installs Graph.grouping
from .core.breaks import Break, check_step
from .core.graph import Graph, trace
from .core.loader import load
from .core.ops import OPS
from .core.stepper import Step, Stepper
from .core.tracer import Tensor, computation, const, input, param, rng, scope
from .errors import GraphstepError, LoadError, ShapeError, UnsupportedError, UserCodeError

# What tracing and stepping never use is imported on first access (PEP 562): ``gs.compare`` works as ever, and
# ``import graphstep`` (a user's script, ``graphstep run``) does not pay for it: 97 ms instead of 152 under
# ``-X importtime`` (issue 12).  The TUI imports what it uses of these itself.
_LAZY = {"Comparison": ".analysis.compare", "compare": ".analysis.compare",
         "Explanation": ".analysis.explain", "explain": ".analysis.explain",
         "gradcheck": ".analysis.gradcheck",
         "PerSample": ".analysis.persample", "per_sample_gradients": ".analysis.persample",
         "OPTIMIZERS": ".core.training", "Training": ".core.training", "Update": ".core.training",
         "train": ".core.training"}

if TYPE_CHECKING:  # what type checkers and editors see of the lazy names
    from .analysis.compare import Comparison, compare
    from .analysis.explain import Explanation, explain
    from .analysis.gradcheck import gradcheck
    from .analysis.persample import PerSample, per_sample_gradients
    from .core.training import OPTIMIZERS, Training, Update, train

__version__ = "0.1.0"

__all__ = ["OPS", "OPTIMIZERS", "Break", "Comparison", "Explanation", "Graph", "GraphstepError", "LoadError",
           "PerSample", "ShapeError", "Step", "Stepper", "Tensor", "Training", "UnsupportedError", "Update",
           "UserCodeError", "check_step", "compare", "computation", "const", "explain", "export", "gradcheck", "input",
           "load", "nn", "numpy", "param", "per_sample_gradients", "rng", "scope", "trace", "train", "widget"]


def export(subject, path, **options):
    """Write a picture of a Graph or Stepper (.svg .png .pdf .dot), state drawn as of the stepper."""
    from .render.export import export as _export

    return _export(subject, path, **options)


def _repr_mimebundle_(self, include=None, exclude=None):
    """Jupyter shows a Graph or Stepper as its picture (render loaded only then: the engine stays UI-free)."""
    from .render.dot import mimebundle

    return mimebundle(self)


def _stepper_mimebundle(self, include=None, exclude=None):
    """Jupyter shows a Stepper as an interactive stepper with the notebook extra (ipywidgets), else its picture."""
    from .render.notebook import mimebundle

    return mimebundle(self)


def widget(stepper):
    """The interactive stepper of a Stepper for Jupyter (needs ipywidgets: ``graphstep[notebook]``); its buttons
    and slider move ``stepper`` itself."""
    from .render.notebook import StepperWidget

    return StepperWidget(stepper)


Graph._repr_mimebundle_ = _repr_mimebundle_
Stepper._repr_mimebundle_ = _stepper_mimebundle


def __getattr__(name: str):
    """A name of ``_LAZY``, imported on its first use and kept (the next access finds it in the module)."""
    if name not in _LAZY:
        raise AttributeError(f"module 'graphstep' has no attribute {name!r}")
    value = globals()[name] = getattr(importlib.import_module(_LAZY[name], __name__), name)
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
