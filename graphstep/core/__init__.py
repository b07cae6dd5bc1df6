"""The engine: the op table, tracing, the graph, the stepper and what it stops at.

Imports no other layer of graphstep (only ``graphstep.errors`` and ``graphstep.text`` below it)."""
