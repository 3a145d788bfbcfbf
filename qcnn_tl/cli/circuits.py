"""``qcnn-tl circuits``: table (or JSON) of every paper model's template."""

from __future__ import annotations

import argparse
import json

from qcnn_tl.reports.circuit_table import circuit_table


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Registers the subcommand."""
    p = subparsers.add_parser("circuits", help="weight counts, depth and gate counts of every (ansatz, pooling)")
    p.add_argument("--encoding", default="amplitude", choices=("amplitude", "angle"))
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Runs the subcommand."""
    rows = circuit_table(encoding=args.encoding)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    header = f"{'ansatz':<10} {'pooling':<12} {'weights':>7} {'depth':>6} {'2q':>5}  gates"
    print(header)
    print("-" * len(header))
    for r in rows:
        gates = ", ".join(f"{k}:{v}" for k, v in r["gate_counts"].items())
        print(
            f"{r['ansatz']:<10} {r['pooling']:<12} {r['num_weights']:>7} {r['depth']:>6} "
            f"{r['two_qubit_gates']:>5}  {gates}"
        )
    return 0
