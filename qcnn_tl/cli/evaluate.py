"""``qcnn-tl evaluate``: a trained model on the test split, ideal vs a target (noisy Aer or IBM)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from qcnn_tl._io import write_json
from qcnn_tl.backends.execution import execution_target
from qcnn_tl.backends.jobs import RunManifest, resume
from qcnn_tl.backends.profiles import RunProfile, load_profile
from qcnn_tl.circuits import build_qcnn
from qcnn_tl.cli.common import add_data_arguments, data_for
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.qnn.hardware import accuracy, evaluate_on_target, exact_expectations
from qcnn_tl.training.config import TrainConfig


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Registers the subcommand."""
    p = subparsers.add_parser("evaluate", help="evaluate a trained model on a backend: ideal vs noisy/hardware")
    p.add_argument("--model", required=True, help="result.json written by `train` or `run`")
    p.add_argument("--profile", help="run profile name from backends/ (ideal, fake_brisbane, fake_torino, ibm_device)")
    p.add_argument("--backend", help="aer | aer:<fake> | ibm:<device> | ibm-local:<fake> (overrides the profile)")
    p.add_argument("--shots", type=int, help="shots per circuit (0 = exact, Aer only)")
    p.add_argument("--optimization-level", type=int)
    p.add_argument("--resilience-level", type=int)
    p.add_argument("--samples", type=int, default=200, help="first N test samples (noisy simulation is slow)")
    p.add_argument("--run-dir", help="folder for the run manifest and results (default: runs/eval-<backend>)")
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
    }
    return replace(profile, **{k: v for k, v in overrides.items() if v is not None})


def load_model(path: str | Path) -> dict[str, Any]:
    """A result file with its config and weights.

    Raises:
        QcnnTlError: If it is missing or not a qcnn_tl result.
    """
    try:
        result = json.loads(Path(path).read_text())
        result["config"], result["weights"]
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise QcnnTlError(f"--model {path} is not a qcnn_tl result.json: {exc}") from None
    return result


def finish(run_dir: Path, manifest: RunManifest, evs: np.ndarray) -> dict[str, Any]:
    """Computes and writes ``evaluation.json`` from a completed run."""
    labels = np.load(run_dir / "labels.npy")
    ideal = np.load(run_dir / "ideal.npy")
    summary = {
        "backend": manifest.backend,
        "options": manifest.options,
        "samples": len(labels),
        "ideal_accuracy": accuracy(ideal, labels),
        "target_accuracy": accuracy(evs, labels),
        "mean_abs_expectation_shift": float(np.mean(np.abs(evs - ideal))),
        "job_ids": [c.job_id for c in manifest.chunks],
        "model": manifest.metadata.get("model"),
    }
    write_json(run_dir / "evaluation.json", summary)
    return summary


def report(summary: dict[str, Any]) -> None:
    """Prints the ideal vs target accuracies."""
    print(f"{'target':<28} {'accuracy':>9}   ({summary['samples']} test samples)")
    print(f"{'ideal (exact engine)':<28} {summary['ideal_accuracy']:>9.4f}")
    print(f"{summary['backend']:<28} {summary['target_accuracy']:>9.4f}")
    print(f"mean |<Z>_target - <Z>_ideal| = {summary['mean_abs_expectation_shift']:.4f}")
    if summary["backend"].startswith(("aer:", "ibm-local:")):
        print("note: fake-device noise snapshots are milder than current real devices")


def command(args: argparse.Namespace) -> int:
    """Runs the subcommand."""
    result = load_model(args.model)
    config = TrainConfig(**result["config"])
    profile = profile_from(args)
    template = build_qcnn(config.ansatz, config.pooling, encoding=config.encoding)
    weights = np.asarray(result["weights"], dtype=float)
    data = data_for(config, args)
    features = data.test_features[: args.samples].numpy()
    labels = data.test_labels[: args.samples].numpy()
    target = execution_target(template, profile)
    run_dir = Path(args.run_dir or f"runs/eval-{profile.backend.replace(':', '_')}")
    run_dir.mkdir(parents=True, exist_ok=True)
    np.save(run_dir / "labels.npy", labels)
    np.save(run_dir / "ideal.npy", exact_expectations(template, features, weights))
    metadata = {"model": str(args.model), "profile": asdict(profile)}
    evs = evaluate_on_target(template, weights, features, target, run_dir, metadata=metadata)
    report(finish(run_dir, RunManifest.load(run_dir), evs))
    print(f"run folder: {run_dir}")
    return 0


def resume_command(run_dir: Path) -> dict[str, Any]:
    """Collects a run's missing results (``qcnn-tl jobs fetch``)."""
    manifest = RunManifest.load(run_dir)
    result = load_model(manifest.metadata["model"])
    config = TrainConfig(**result["config"])
    template = build_qcnn(config.ansatz, config.pooling, encoding=config.encoding)
    target = execution_target(template, RunProfile(**manifest.metadata["profile"]))
    evs = resume(run_dir, target.run_pub, fetch_job=target.fetch_job)
    return finish(run_dir, RunManifest.load(run_dir), evs)
