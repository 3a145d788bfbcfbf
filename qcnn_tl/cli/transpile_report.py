"""``qcnn-tl transpile-report``: depth, two-qubit cost and estimated fidelity per device and model."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from qcnn_tl.backends.targets import fake_backends
from qcnn_tl.circuits import ANSATZES, ENCODINGS, PAPER_ENCODINGS, PAPER_MODELS, POOLINGS
from qcnn_tl.reports.transpile_report import DEFAULT_DEVICES, encoding_cost, plot_report, transpile_report, write_csv


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Registers the subcommand."""
    p = subparsers.add_parser("transpile-report", help="transpile templates for fake devices and report their cost")
    p.add_argument("--backend", nargs="+", default=list(DEFAULT_DEVICES), help="fake devices (fake_brisbane ...)")
    p.add_argument(
        "--ansatz",
        nargs="+",
        help="only these ansatzes (default: every paper model); with --pooling, every pair of the two lists, "
        "the user's registered blocks included",
    )
    p.add_argument("--pooling", nargs="+", help="only these poolings")
    p.add_argument(
        "--encoding",
        nargs="+",
        default=list(PAPER_ENCODINGS),
        choices=list(ENCODINGS),
        metavar="ENCODING",
        help=f"encodings (default: amplitude angle); any of {', '.join(ENCODINGS)}",
    )
    p.add_argument("--optimization-level", nargs="+", type=int, default=[1])
    p.add_argument("--seed", type=int, default=1234, help="first transpiler seed")
    p.add_argument(
        "--layout-trials",
        type=int,
        default=4,
        help="transpiler seeds tried per circuit; the layout with the best estimated fidelity is kept",
    )
    p.add_argument(
        "--initial-layout", type=int, nargs="+", metavar="QUBIT", help="pin a physical qubit to each circuit qubit"
    )
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument("--csv", help="also write the rows to this CSV file")
    p.add_argument("--png", help="also write a bar chart of two-qubit gate counts")
    p.set_defaults(func=command)


def check_output_file(option: str, path: str | None) -> None:
    """Checks that ``path`` can be written as a file (nothing is created).

    Raises:
        ValueError: Naming ``option`` and ``path``: a folder, a missing parent folder, or no write permission.
    """
    if path is None:
        return
    target = Path(path)
    if target.is_dir():
        raise ValueError(f"{option} {path} is a folder; give a file name")
    if not target.parent.is_dir():
        raise ValueError(f"{option} {path}: the folder {target.parent} does not exist")
    if not os.access(target if target.exists() else target.parent, os.W_OK):
        raise ValueError(f"{option} {path} is not writable")


def command(args: argparse.Namespace) -> int:
    """Runs the subcommand."""
    unknown = [d for d in args.backend if d not in fake_backends()]
    if unknown:
        raise ValueError(f"unknown fake devices {unknown}; expected some of: {', '.join(sorted(fake_backends()))}")
    check_output_file("--csv", args.csv)
    check_output_file("--png", args.png)
    if args.ansatz and args.pooling:  # every pair, blocks registered with --import included
        models = [(ANSATZES[a].name, POOLINGS[p].name) for a in args.ansatz for p in args.pooling]
    else:
        models = [
            (a, p)
            for a, p in PAPER_MODELS
            if (not args.ansatz or a in args.ansatz) and (not args.pooling or p in args.pooling)
        ]
    if not models:
        raise ValueError("--ansatz/--pooling select no paper model; see `qcnn-tl circuits`")
    rows = transpile_report(
        args.backend,
        models=models,
        encodings=args.encoding,
        optimization_levels=args.optimization_level,
        seed_transpiler=args.seed,
        layout_trials=args.layout_trials,
        initial_layout=args.initial_layout,
    )
    if args.csv:
        write_csv(rows, args.csv)
    if args.png:
        plot_report(rows, args.png)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(
        f"{'backend':<16} {'ansatz':<10} {'pooling':<12} {'encoding':<10} {'lvl':>3} {'depth':>6} "
        f"{'2q depth':>8} {'2q gates':>8} {'est. F':>8} {'default F':>9}"
    )
    for r in rows:
        print(
            f"{r['backend']:<16} {r['ansatz']:<10} {r['pooling']:<12} {r['encoding']:<10} "
            f"{r['optimization_level']:>3} {r['depth']:>6} {r['two_qubit_depth']:>8} {r['two_qubit_gates']:>8} "
            f"{r['estimated_fidelity']:>8.3g} {r['default_fidelity']:>9.3g}"
        )
    print()
    for line in encoding_cost(rows):
        print(line)
    print("est. F: estimated fidelity of the layout kept (best of --layout-trials seeds, or --initial-layout);")
    print("default F: the first seed's layout. Fake-device error rates are snapshots, milder than current devices.")
    return 0
