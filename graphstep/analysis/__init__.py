"""What is computed about a graph: grouping and repeats, gradient checks, per-sample gradients,
comparisons and search.  Imports only ``graphstep.core``."""
