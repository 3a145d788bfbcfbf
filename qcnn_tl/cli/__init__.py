"""Command-line interface: main.py plus one module per subcommand."""

__all__ = [
    "circuits",
    "common",
    "evaluate",
    "jobs",
    "main",
    "noise_models",
    "pretrain",
    "reference",
    "run",
    "summarize",
    "sweep",
    "train",
    "transpile_report",
]  # the modules; import names from them
