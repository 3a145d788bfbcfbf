"""``qcnn-tl run``: the main job — U_SU4 + ZX, amplitude encoding, MNIST 0 vs 1, exact and Aer."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from qcnn_tl.cli.common import add_data_arguments, data_for, positive_int, seed_type, write_loss_curve
from qcnn_tl.evaluation import compare_engines
from qcnn_tl.training.config import TrainConfig
from qcnn_tl.training.experiment import run_training


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Registers the subcommand."""
    p = subparsers.add_parser("run", help="main job: train U_SU4+ZX on MNIST 0/1 (exact), evaluate exact and Aer")
    p.add_argument("--steps", type=positive_int, default=TrainConfig.steps)
    p.add_argument("--seed", type=seed_type, default=0)
    p.add_argument("--aer-samples", type=positive_int, help="evaluate Aer on the first N test samples (default: all)")
    p.add_argument("--out", default="runs/main")
    add_data_arguments(p)
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Runs the subcommand."""
    config = TrainConfig(steps=args.steps, seed=args.seed)
    data = data_for(config, args)
    samples = min(args.aer_samples or len(data.test_labels), len(data.test_labels))
    result = run_training(config, args.out, data=data, progress=not args.quiet)
    write_loss_curve(result, args.out)
    features, labels = data.test_features[:samples].numpy(), data.test_labels[:samples].numpy()
    engines = compare_engines(result, features, labels)
    print(f"\nU_SU4 + ZX pooling, amplitude encoding, MNIST {config.task}: {result.num_train} train / {samples} test")
    print(f"{'engine':<32} {'test accuracy':>13} {'time (s)':>9}")
    print(f"{'exact (torch statevector)':<32} {engines.exact_accuracy:>13.4f} {result.wall_time_s:>9.1f}")
    print(f"{'aer (EstimatorV2, exact mode)':<32} {engines.aer_accuracy:>13.4f} {engines.aer_s:>9.1f}")
    print(f"max |<Z>_exact - <Z>_aer| over the test samples: {engines.max_difference:.2e}")
    replace(result, engines=engines).write(Path(args.out) / "result.json")
    print(f"results: {Path(args.out) / 'result.json'}, loss curve: {Path(args.out) / 'loss.png'}")
    return 0
