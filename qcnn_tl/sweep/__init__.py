"""Sweeps over the paper's grid: what to run (grid), how one unit runs (worker), how all run (runner)."""

__all__ = ["grid", "runner", "worker"]  # the modules; import names from them
