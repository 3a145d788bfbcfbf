"""Training: configuration, loop and checkpoints."""

__all__ = ["config", "experiment", "loop"]  # the modules; import names from them
