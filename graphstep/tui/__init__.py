"""Provides the interactive terminal stepper (``graphstep FILE``): a Textual app over a ``Stepper``."""
