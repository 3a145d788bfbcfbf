"""``qcnn-tl summarize``: a sweep's results as the paper's table and chart, with the headline verdict."""

from __future__ import annotations

import argparse

from qcnn_tl._io import check_writable
from qcnn_tl.reports.summary import summarize


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Registers the subcommand."""
    p = subparsers.add_parser("summarize", help="tables (Markdown, CSV) and chart (PNG) of a sweep's results")
    p.add_argument("sweep_dir", metavar="DIR", help="a sweep folder written by 'qcnn-tl sweep'")
    p.add_argument("--out", help="where to write summary.md/.csv/.png (default: DIR)")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Runs the subcommand."""
    if args.out:
        check_writable(args.out, "--out", folder=True)
    summary = summarize(args.sweep_dir, args.out)
    print(summary["markdown"])
    print("written: " + ", ".join(summary["files"]))
    return 0
