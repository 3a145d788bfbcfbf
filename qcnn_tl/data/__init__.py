"""Datasets, binary tasks and the feature cache."""

__all__ = ["datasets", "tasks"]  # the modules; import names from them
