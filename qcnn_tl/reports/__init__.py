"""Reports: transpile reports, result tables and plots."""

__all__ = [
    "circuit_table",
    "cnn_seeds",
    "drawing",
    "frontier",
    "multiclass",
    "noise_table",
    "paper",
    "plots",
    "stats",
    "summary",
    "transpile_report",
]  # the modules; import names from them
