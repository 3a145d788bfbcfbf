"""``qcnn-tl jobs status|fetch RUN``: inspect or finish an evaluation run from its manifest."""

from __future__ import annotations

import argparse
from pathlib import Path

from qcnn_tl.evaluation import engine_summary, format_summary, resume_evaluation, run_status


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Registers the subcommand."""
    p = subparsers.add_parser("jobs", help="status of an evaluation run, or fetch/resubmit what is missing")
    p.add_argument("action", choices=("status", "fetch"))
    p.add_argument("run", help="run folder written by `evaluate`")
    p.add_argument("--cache-dir", help="cache for transpiled circuits (default: $QCNN_TL_CACHE or ~/.cache/qcnn_tl)")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Runs the subcommand."""
    run_dir = Path(args.run)
    engine_run = engine_summary(run_dir)
    if engine_run is not None:
        print(
            f"{run_dir}: run {engine_run.run_id} on {engine_run.backend} was computed in process by "
            f"{engine_run.options.get('engine', 'the engines')}; engine runs have no jobs and are complete "
            f"(results in {run_dir / 'evaluation.json'})"
        )
        return 0
    if args.action == "status":
        manifest, jobs = run_status(run_dir)
        done = sum(j.state == "done" for j in jobs)
        print(f"{run_dir}: run {manifest.run_id}, backend {manifest.backend}, {done}/{len(jobs)} jobs done")
        for j in jobs:
            print(
                f"  job {j.index}: {j.variant:<11} rows {j.rows[0]}-{j.rows[1]}  {j.state:<9}  "
                f"id {j.job_id}  (submitted {j.submissions}x)"
            )
        if any(j.state in ("lost", "failed", "pending") for j in jobs):
            print(f"`qcnn-tl jobs fetch {run_dir}` submits the pending, failed and lost jobs")
        return 0
    print("\n".join(format_summary(resume_evaluation(run_dir, cache_dir=args.cache_dir), run_dir)))
    return 0
