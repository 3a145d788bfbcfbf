"""Execution targets: naming, transpile once, estimators (no torch, no circuits imports)."""
