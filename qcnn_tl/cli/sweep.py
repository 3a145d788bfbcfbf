"""``qcnn-tl sweep``: the paper's grid (or any sub-grid) on a local process pool or a Dask cluster."""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

from qcnn_tl._io import check_writable
from qcnn_tl.cli.common import add_data_arguments, add_threads_argument, positive_int, set_threads
from qcnn_tl.reports.summary import summarize
from qcnn_tl.sweep.grid import grid_from_dict
from qcnn_tl.sweep.runner import run_sweep


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Registers the subcommand."""
    p = subparsers.add_parser(
        "sweep",
        help="run a grid of QCNN models and C2C heads (resumable), then summarize it",
        description="Without a sweep file: the paper's full grid (22 models x amplitude and angle encoding x "
        "tasks 0,1 2,3 8,9 x 10 repetitions, and both C2C heads). Flags override the file.",
    )
    p.add_argument("spec", nargs="?", help="TOML sweep file (e.g. benchmarks/paper_grid.toml)")
    p.add_argument("--out", default="runs/sweep", help="sweep folder (a re-run skips finished runs)")
    p.add_argument("--models", nargs="+", metavar="ANSATZ/POOLING", help="e.g. U_SU4/zx U_5/generalized")
    p.add_argument("--encodings", nargs="+", help="amplitude and/or angle")
    p.add_argument("--tasks", nargs="+", help="e.g. 0,1 2,3 8,9")
    p.add_argument("--repetitions", type=positive_int)
    p.add_argument("--c2c", nargs="*", metavar="HEAD", help="C2C heads: 1d 2d (none: no C2C runs)")
    p.add_argument("--steps", type=int, help="QCNN training steps")
    p.add_argument(
        "--workers", type=positive_int, metavar="N", help="local worker processes (default: one per CPU core)"
    )
    p.add_argument("--scheduler", help="Dask scheduler address (tcp://host:8786) instead of the local pool")
    add_data_arguments(p)
    add_threads_argument(p, what=" of the driver, which pre-trains and extracts features (each worker uses one)")
    p.set_defaults(func=command)


def _spec_data(args: argparse.Namespace) -> dict[str, Any]:
    """The sweep file's tables with the flags applied (a malformed table is left for the grid to report)."""
    data: dict[str, Any] = {}
    if args.spec:
        path = Path(args.spec)
        if not path.is_file():
            raise ValueError(f"sweep file {path} does not exist")
        try:
            data = tomllib.loads(path.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"sweep file {path} is not valid TOML: {exc}") from None
    flags = {key: getattr(args, key) for key in ("models", "encodings", "tasks", "repetitions", "c2c")}
    sections = {"grid": flags, "train": {"steps": args.steps}}
    for name, values in sections.items():
        given = {k: v for k, v in values.items() if v is not None}
        section = data.get(name, {})
        if given and isinstance(section, dict):
            data[name] = {**section, **given}
    return data


def command(args: argparse.Namespace) -> int:
    """Runs the subcommand."""
    grid = grid_from_dict(_spec_data(args), source=args.spec or "flags")
    check_writable(args.out, "--out", folder=True)
    set_threads(args)
    print(f"sweep: {grid.num_runs} runs into {args.out}")
    start = time.perf_counter()
    report = run_sweep(
        grid,
        args.out,
        workers=args.workers,
        scheduler=args.scheduler,
        data_dir=args.data_dir,
        download=args.download,
        cache_dir=args.cache_dir,
        progress=not args.quiet,
    )
    elapsed = time.perf_counter() - start
    if report.interrupted:
        print(
            f"qcnn-tl sweep: interrupted after {elapsed:.0f} s; the units in flight were dropped. "
            f"{report.completed} runs of this call are written ({report.skipped + report.completed} of "
            f"{report.total} in {args.out}); run the same command again to do the other {report.remaining}.",
            file=sys.stderr,
        )
        return 130
    print(
        f"{report.completed} runs done, {report.skipped} already finished, {len(report.failures)} units failed "
        f"({elapsed:.0f} s)"
    )
    for failure in report.failures:
        print(f"  failed: {failure}")
    if report.completed + report.skipped:
        summary = summarize(args.out)
        print(summary["markdown"])
        print("written: " + ", ".join(summary["files"]))
    return 1 if report.failures else 0
