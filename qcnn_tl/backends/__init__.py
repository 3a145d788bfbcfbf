"""Execution targets: naming, transpile once, estimators (no torch, no circuits imports)."""

__all__ = [
    "cost",
    "execution",
    "jobs",
    "local_device",
    "pricing",
    "profiles",
    "snapshots",
    "targets",
    "transpile",
]  # the modules; import names from them
