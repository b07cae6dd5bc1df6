"""Provides the errors a user can cause; each carries one readable message.

The CLI prints ``str(error)`` and exits 2; nothing here is a bug in graphstep.
"""

from __future__ import annotations


class GraphstepError(Exception):
    """An error in the user's input: a clear message, never a traceback."""

    partial_graph = None  # a call that failed while tracing: the Graph recorded up to it (see core.partial)

    def __init__(self, message: str, *, source: str = "", node: str = "", hint: str = "") -> None:
        self.message, self.source, self.node, self.hint = message, source, node, hint
        super().__init__(self.render())

    def render(self) -> str:
        return self.summary()

    def summary(self) -> str:
        """The one-paragraph message, without any traceback."""
        where = f"{self.source}: " if self.source else ""
        node = f" (node {self.node})" if self.node else ""
        hint = f"\n  hint: {self.hint}" if self.hint else ""
        return f"{where}{self.message}{node}{hint}"


class ShapeError(GraphstepError):
    """Operands whose shapes do not fit the op.  Raised while tracing, when an operand made by an op has no name
    yet (``tanh (8×16)``); ``name_operands`` says it again with the names the trace gave them (``H (8×16)``)."""

    def __init__(self, message: str, *, operands: tuple = (), **where) -> None:
        self.operands = operands  # (node id, text after its name) per operand, for ``name_operands``
        super().__init__(message, **where)

    def name_operands(self, name_of) -> None:
        """Write each operand as ``name_of(node id)`` calls it, once the trace has named the nodes."""
        head, found, reason = self.message.partition(": ")
        op = head.split(" cannot combine ")[0]
        if not self.operands or not found:
            return
        operands = ", ".join(f"{name_of(node)} {shape}" for node, shape in self.operands)
        self.message = f"{op} cannot combine {operands}: {reason}"
        self.args = (self.render(),)


class UnsupportedError(GraphstepError):
    """A NumPy function or feature graphstep cannot trace."""


class TensorAttributeError(UnsupportedError, AttributeError):
    """``t.foo`` where graphstep's Tensor has no ``foo``: still an AttributeError, so ``hasattr`` keeps working."""


class LoadError(GraphstepError):
    """A file that cannot be read, parsed or holds no computation."""


class RuleError(GraphstepError):
    """A rule of the op table gave a gradient of the wrong shape: a bug in graphstep, never carried on from."""


class UserCodeError(GraphstepError):
    """An exception raised by the user's own code; carries their trimmed traceback."""

    def __init__(self, message: str, traceback_text: str, **kw) -> None:
        self.traceback_text = traceback_text
        super().__init__(message, **kw)

    def render(self) -> str:
        return f"{self.traceback_text.rstrip()}\n{self.summary()}" if self.traceback_text else self.summary()
