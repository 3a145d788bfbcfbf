"""``qcnn-tl``: one entry point; each subcommand lives in its own module."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from qcnn_tl.cli import (
    circuits,
    evaluate,
    jobs,
    noise_models,
    pretrain,
    run,
    summarize,
    sweep,
    train,
    transpile_report,
)
from qcnn_tl.errors import QcnnTlError

COMMANDS = (pretrain, circuits, train, run, sweep, summarize, transpile_report, evaluate, jobs, noise_models)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    parser = argparse.ArgumentParser(
        prog="qcnn-tl",
        description="Classical-to-quantum CNN transfer learning (Kim, Huh & Park 2023) on Qiskit.",
    )
    parser.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="MODULE",
        help="import this module (a dotted name or a .py file) first, e.g. one that registers ansatzes, poolings or "
        "encodings of your own with qcnn_tl.register_ansatz (repeatable)",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.add_parser(subparsers)
    return parser


def import_module(name: str) -> None:
    """Imports a module by dotted name, or a ``.py`` file by path (for ``--import``).

    Raises:
        QcnnTlError: Naming the module, if it cannot be found or raises while it runs.
    """
    import importlib
    import importlib.util
    from pathlib import Path

    try:
        if name.endswith(".py"):
            path = Path(name)
            spec = importlib.util.spec_from_file_location(path.stem, path)
            if not path.is_file() or spec is None or spec.loader is None:
                raise QcnnTlError(f"--import {name}: no such file")
            module = importlib.util.module_from_spec(spec)
            sys.modules[path.stem] = module
            spec.loader.exec_module(module)
        else:
            importlib.import_module(name)
    except QcnnTlError:
        raise
    except Exception as exc:
        raise QcnnTlError(f"--import {name}: {type(exc).__name__}: {exc}") from exc


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the CLI; returns the exit status."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        for module in args.imports:
            import_module(module)
        return int(args.func(args) or 0)
    except (QcnnTlError, ValueError) as exc:
        print(f"qcnn-tl {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the machine's refusal (disk full, permissions), not the user's input
        print(f"qcnn-tl {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            f"qcnn-tl {args.command}: interrupted; checkpoints written so far are kept",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
