"""``qcnn-tl circuits``: table or JSON of every paper model; ``export`` and ``draw`` templates."""

from __future__ import annotations

import argparse
import json

from qcnn_tl._io import check_writable
from qcnn_tl.circuits import ENCODINGS, PAPER_ENCODINGS, qcnn_layout
from qcnn_tl.circuits.export import export_templates
from qcnn_tl.reports.circuit_table import circuit_table
from qcnn_tl.reports.drawing import draw_template

_NUM_LEVELS = len(qcnn_layout(8))


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Registers the subcommand."""
    p = subparsers.add_parser("circuits", help="weight counts, depth and gate counts of every (ansatz, pooling)")
    names = ", ".join(ENCODINGS)
    p.add_argument("--encoding", default="amplitude", choices=list(ENCODINGS), metavar="ENCODING", help=names)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    export = actions.add_parser("export", help="write every template as QPY and OpenQASM 3")
    export.add_argument("directory", nargs="?", default="circuits")
    export.add_argument(
        "--encodings",
        nargs="+",
        default=list(PAPER_ENCODINGS),
        choices=list(ENCODINGS),
        metavar="ENCODING",
        help="encodings to export (default: the paper's amplitude and angle, the files under circuits/)",
    )
    draw = actions.add_parser("draw", help="save a matplotlib drawing of a template or one level")
    draw.add_argument("ansatz")
    draw.add_argument("--pooling", default="zx")
    draw.add_argument(
        "--template-encoding", dest="draw_encoding", default="angle", choices=list(ENCODINGS), metavar="ENCODING"
    )
    draw.add_argument(
        "--level", type=int, help=f"draw only this level (1..{_NUM_LEVELS}, 1-based), without the encoding"
    )
    draw.add_argument("--out", help="PNG path (default: <ansatz>_<pooling>[_level<k>].png)")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Runs the subcommand."""
    if args.action == "export":
        check_writable(args.directory, "directory", folder=True)
        written = export_templates(args.directory, args.encodings)
        print(f"wrote {len(written)} files to {args.directory}/")
        return 0
    if args.action == "draw":
        if args.level is not None and not 1 <= args.level <= _NUM_LEVELS:
            raise ValueError(f"--level must be in 1..{_NUM_LEVELS} (levels are 1-based); got {args.level}")
        suffix = "" if args.level is None else f"_level{args.level}"
        out = check_writable(args.out or f"{args.ansatz}_{args.pooling}{suffix}.png", "--out")
        print(draw_template(args.ansatz, args.pooling, out, encoding=args.draw_encoding, level=args.level))
        return 0
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
