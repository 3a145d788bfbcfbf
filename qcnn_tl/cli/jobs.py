"""``qcnn-tl jobs status|fetch RUN``: inspect or finish an evaluation run from its manifest."""

from __future__ import annotations

import argparse
from pathlib import Path

from qcnn_tl.backends.jobs import RunManifest
from qcnn_tl.cli.evaluate import report, resume_command


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Registers the subcommand."""
    p = subparsers.add_parser("jobs", help="status of an evaluation run, or fetch/resubmit what is missing")
    p.add_argument("action", choices=("status", "fetch"))
    p.add_argument("run", help="run folder written by `evaluate`")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Runs the subcommand."""
    run_dir = Path(args.run)
    manifest = RunManifest.load(run_dir)
    if args.action == "status":
        done = sum(c.status == "done" for c in manifest.chunks)
        print(f"{run_dir}: backend {manifest.backend}, {done}/{len(manifest.chunks)} jobs done")
        for index, chunk in enumerate(manifest.chunks):
            print(f"  job {index}: rows {chunk.start}-{chunk.stop - 1}  {chunk.status:<9}  id {chunk.job_id}")
        return 0
    report(resume_command(run_dir))
    return 0
