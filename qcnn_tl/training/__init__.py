"""Training: configuration, loop and checkpoints."""

__all__ = ["conditions", "config", "experiment", "loop"]  # the modules; import names from them
