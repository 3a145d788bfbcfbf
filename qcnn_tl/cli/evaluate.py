"""``qcnn-tl evaluate``: a trained model on the test split, ideal vs a target (noisy Aer or IBM)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from qcnn_tl._io import check_writable
from qcnn_tl.backends.jobs import check_run_dir_free
from qcnn_tl.backends.profiles import RunProfile, load_profile
from qcnn_tl.cli.common import add_data_arguments, data_for
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.evaluation import (
    check_binary,
    check_samples,
    default_run_dir,
    evaluate_model,
    evaluate_with_engine,
    format_price,
    format_summary,
    price_evaluation,
)
from qcnn_tl.results import RunResult
from qcnn_tl.training.config import TrainConfig


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Registers the subcommand."""
    p = subparsers.add_parser("evaluate", help="evaluate a trained model on a backend: ideal vs noisy/hardware")
    p.add_argument("--model", required=True, help="result.json written by `train` or `run`")
    p.add_argument("--profile", help="run profile name from backends/ (ideal, fake_brisbane, ibm_device, ...)")
    p.add_argument("--backend", help="aer | aer:<fake> | ibm:<device> | ibm-local:<fake> (overrides the profile)")
    p.add_argument(
        "--shots",
        type=int,
        help="shots per circuit (0: exact, Aer only; default: the profile's, else exact on Aer "
        "and 4000 on ibm/ibm-local)",
    )
    p.add_argument("--optimization-level", type=int)
    p.add_argument("--resilience-level", type=int, help="IBM Runtime error mitigation 0-2 (ibm and ibm-local)")
    p.add_argument("--layout-trials", type=int, help="transpiler seeds tried; the best estimated fidelity is kept")
    p.add_argument(
        "--initial-layout", type=int, nargs="+", metavar="QUBIT", help="pin a physical qubit to each circuit qubit"
    )
    p.add_argument(
        "--simulator",
        choices=("engine", "aer"),
        default="engine",
        help="for aer and aer:<fake> backends: qcnn_tl's engines in this process (default; the noisy engine is "
        "exact under the device's noise model, seconds for the whole test split) or Aer jobs (cross-check)",
    )
    p.add_argument("--samples", type=int, help="first N test samples (default: the whole test split)")
    p.add_argument("--rows-per-job", type=int, help="samples per job (default 250 on IBM, 50 locally)")
    p.add_argument("--run-dir", help="new folder for the run (default: runs/eval-<backend>-<time>)")
    p.add_argument("--dry-run", action="store_true", help="price the run (jobs, shots, device time); submit nothing")
    add_data_arguments(p)
    p.set_defaults(func=command)


def profile_from(args: argparse.Namespace) -> RunProfile:
    """The profile, with flags overriding its fields."""
    profile = load_profile(args.profile) if args.profile else RunProfile()
    overrides = {
        "backend": args.backend,
        "shots": args.shots,
        "optimization_level": args.optimization_level,
        "resilience_level": args.resilience_level,
        "layout_trials": args.layout_trials,
        "initial_layout": tuple(args.initial_layout) if args.initial_layout else None,
    }
    return replace(profile, **{k: v for k, v in overrides.items() if v is not None})


def load_model(path: str | Path) -> RunResult[TrainConfig]:
    """A trained QCNN's result file.

    Raises:
        QcnnTlError: If it is missing or not a QCNN's result (the message names ``--model`` and the file).
    """
    result = RunResult.read(path, TrainConfig, "a trained QCNN's result.json (--model)")
    if result.weights is None:
        raise QcnnTlError(f"--model {path} holds no weights")
    return result


def command(args: argparse.Namespace) -> int:
    """Runs the subcommand."""
    if args.samples is not None:
        check_samples(args.samples, args.samples)
    if args.rows_per_job is not None and args.rows_per_job < 1:
        raise ValueError(f"--rows-per-job must be a positive integer; got {args.rows_per_job}")
    model = load_model(args.model)
    check_binary(model)
    profile = profile_from(args)
    run_dir = Path(args.run_dir) if args.run_dir else default_run_dir(profile.backend)
    if not args.dry_run:  # the output is checked before the data are read
        check_run_dir_free(run_dir)
        check_writable(run_dir, "--run-dir", folder=True)
    data = data_for(model.config, args, trained=model)
    available = len(data.test_labels)
    samples = available if args.samples is None else check_samples(args.samples, available)
    features = data.test_features[:samples].numpy()
    labels = data.test_labels[:samples].numpy()
    if args.dry_run:
        price = price_evaluation(model, features, profile, cache_dir=args.cache_dir, rows_per_job=args.rows_per_job)
        print("\n".join(format_price(price)))
        return 0
    print(f"run folder: {run_dir}")
    if args.simulator == "engine" and profile.backend.split(":")[0] == "aer":
        summary = evaluate_with_engine(
            model,
            features,
            labels,
            profile,
            run_dir,
            model_source=str(Path(args.model).resolve()),
            cache_dir=args.cache_dir,
        )
        print("\n".join(format_summary(summary, run_dir)))
        return 0
    summary = evaluate_model(
        model,
        features,
        labels,
        profile,
        run_dir,
        model_source=str(Path(args.model).resolve()),
        cache_dir=args.cache_dir,
        rows_per_job=args.rows_per_job,
    )
    print("\n".join(format_summary(summary, run_dir)))
    return 0
